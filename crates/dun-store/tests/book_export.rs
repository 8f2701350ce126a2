//! `dun export --all` knows every table and column of the schema: a
//! migration that adds a table or a column fails this test until the
//! export carries it (`book_export::TABLES`) or says why not
//! (`NOT_EXPORTED`, a table's `absent` secrets). The round trip through
//! files is `dun/tests/book_export.rs`.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use dun_store::book_export::{Scope, NOT_EXPORTED, TABLES};
use dun_store::stripe::{EventOutcome, StoredIntent, StripeEvent, StripeEventKind};
use dun_store::Store;

storage_test!(
    fn the_export_knows_every_table_and_column_of_the_schema(url: &str) {
        let mut store = Store::open(url).expect("open the store");
        let mut schema: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (table, column) in store.schema_columns().unwrap() {
            schema.entry(table).or_default().insert(column);
        }
        assert!(
            schema.len() > 30,
            "the catalogue lists {} tables",
            schema.len()
        );

        let exported: BTreeSet<String> = TABLES.iter().map(|t| t.name.to_string()).collect();
        let left_out: BTreeSet<String> = NOT_EXPORTED.iter().map(|(t, _)| t.to_string()).collect();
        assert!(exported.is_disjoint(&left_out));
        let known: BTreeSet<String> = exported.union(&left_out).cloned().collect();
        let tables: BTreeSet<String> = schema.keys().cloned().collect();
        assert_eq!(
            tables.difference(&known).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "tables the export does not know: add them to book_export::TABLES (or NOT_EXPORTED, with why)"
        );
        assert_eq!(
            known.difference(&tables).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "tables the export names that the schema does not have"
        );

        for table in TABLES {
            let mut columns: BTreeSet<String> = table
                .columns
                .iter()
                .map(|c| c.name.to_string())
                .chain(table.absent.iter().map(|a| a.name.to_string()))
                .collect();
            assert_eq!(
                columns.len(),
                table.columns.len() + table.absent.len(),
                "{}: a column named twice",
                table.name
            );
            if table.scope == Scope::Org {
                assert!(columns.insert("org_id".to_string()), "{}", table.name);
            }
            assert_eq!(
                &columns, &schema[table.name],
                "{}: the export's columns (left) are not the schema's (right)",
                table.name
            );
            for key in table.order {
                assert!(
                    table.columns.iter().any(|c| c.name == *key),
                    "{}: ordered by {key}, which it does not write",
                    table.name
                );
            }
        }
    }
);

/// A second database beside the test's own, dropped afterwards: the copy
/// an export is imported into.
struct Copy {
    url: String,
    pg: Option<(String, String)>,
}

impl Copy {
    fn beside(url: &str) -> Copy {
        if !url.starts_with("postgres") {
            return Copy {
                url: format!("{url}.copy"),
                pg: None,
            };
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!("dun_copy_{}_{nanos}", std::process::id());
        let mut admin = postgres::Client::connect(url, postgres::NoTls).expect("connect");
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .expect("create the copy's database");
        let (base, _) = url.rsplit_once('/').expect("a database in the URL");
        Copy {
            url: format!("{base}/{name}"),
            pg: Some((url.to_string(), name)),
        }
    }
}

impl Drop for Copy {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            if let Ok(mut client) = postgres::Client::connect(admin, postgres::NoTls) {
                let _ = client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
            }
        }
    }
}

fn files(dir: &std::path::Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

storage_test!(
    /// What only the server writes — Stripe's intents and events, the
    /// scheduler's claims — travels like the rest, and the Stripe keys
    /// stay behind.
    fn stripe_events_and_run_claims_travel_and_the_keys_stay(store: &mut Store, url: &str) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let first = invoice(store, &acme, &alpha, "2026-01-01", "net30", 10_000);
        store
            .set_stripe_keys(
                acme.id,
                Some("sk_test_EXPORTSECRET1"),
                Some("whsec_EXPORTSECRET2"),
            )
            .unwrap();
        store
            .save_stripe_intent(
                acme.id,
                &StoredIntent {
                    intent_id: "pi_1".into(),
                    idempotency_key: "key-1".into(),
                    customer_id: alpha.id,
                    currency: usd(),
                    amount_minor: 10_000,
                    invoices: vec![first.number.clone()],
                },
            )
            .unwrap();
        let event = StripeEvent {
            id: "evt_1".into(),
            event_type: "payment_intent.succeeded".into(),
            kind: StripeEventKind::PaymentSucceeded {
                intent_id: "pi_1".into(),
                currency: usd(),
                amount_minor: 10_000,
                customer_ref: "ALPHA".into(),
                invoices: vec![first.number.clone()],
                method: "card".into(),
                received_date: d("2026-02-01"),
            },
        };
        let outcome = store.apply_stripe_event(acme.id, &event).unwrap();
        assert!(
            matches!(outcome, EventOutcome::Posted { .. }),
            "{outcome:?}"
        );
        store
            .claim_run(
                acme.id,
                d("2026-02-02"),
                "host-1",
                "2026-02-02T06:00:00Z",
                "2026-02-02T05:50:00Z",
            )
            .unwrap();

        let dir = tempfile::tempdir().unwrap();
        let exported = dir.path().join("first");
        store.export_book(acme.id, &exported, &mut |_| {}).unwrap();
        let copy = Copy::beside(url);
        let mut other = Store::open(&copy.url).unwrap();
        let summary = other.import_book(&exported, &mut |_| {}).unwrap();
        assert_eq!(summary.organisation_id, acme.id);
        assert!(other.verify(acme.id).unwrap().is_empty());
        let again = dir.path().join("again");
        other.export_book(acme.id, &again, &mut |_| {}).unwrap();
        let (first_files, second_files) = (files(&exported), files(&again));
        assert_eq!(first_files, second_files);
        for table in ["stripe_intents", "stripe_events", "run_claims"] {
            let text = String::from_utf8(first_files[&format!("{table}.jsonl")].clone()).unwrap();
            assert_eq!(text.lines().count(), 1, "{table}: {text}");
        }
        for (name, bytes) in &first_files {
            let text = String::from_utf8_lossy(bytes);
            assert!(!text.contains("EXPORTSECRET"), "{name} holds a Stripe key");
        }
        let keys = other.stripe_keys(acme.id).unwrap();
        assert_eq!((keys.secret_key, keys.webhook_secret), (None, None));
    }
);
