//! The storage test harness: every test runs once on SQLite and once on
//! PostgreSQL, each time against a database of its own.
//!
//! [`storage_test!`] turns one test body into a module with two tests,
//! `sqlite` (a fresh file in a temporary directory) and `postgres` (a fresh
//! database created on the server named by `DUN_TEST_POSTGRES_URL`, dropped
//! afterwards). Without that variable the PostgreSQL half says loudly that
//! it was skipped, and fails instead when `DUN_TEST_REQUIRE_POSTGRES=1`
//! (CI sets it, so a missing server can never pass for a green run).
//!
//! After every scenario the harness checks the whole book of every
//! organisation: the figures kept beside the ledger equal its sums
//! (`Store::verify`), balances equal the ledger's identity, and the aging
//! read from the store equals the aging the domain rebuilds from the
//! entries, summary and detail, on every date where something changed.

// Each test file uses its own part of the harness.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use dun_core::aging::AgingEdges;
use dun_core::book::{aging_from_entries, balances};
use dun_core::import::CustomerRow;
use dun_core::invoice::{InvoiceDraft, InvoiceLine};
use dun_core::ledger::EntryKind;
use dun_core::terms::Terms;
use dun_core::{Currency, Date};
use dun_store::customers::Customer;
use dun_store::invoices::{InvoiceFilter, Posted, Reduction, LIST_LIMIT_MAX};
use dun_store::orgs::NewOrg;
use dun_store::payments::NewPayment;
use dun_store::{Org, Store};

/// The PostgreSQL server to test against, as a URL whose user may create
/// databases, e.g. `postgres://postgres@127.0.0.1:5432/test`.
pub const POSTGRES_URL_VAR: &str = "DUN_TEST_POSTGRES_URL";
/// When `1`, a missing [`POSTGRES_URL_VAR`] fails the PostgreSQL tests.
pub const REQUIRE_POSTGRES_VAR: &str = "DUN_TEST_REQUIRE_POSTGRES";
/// Longest database name PostgreSQL keeps (longer ones are truncated).
const PG_IDENTIFIER_BYTES_MAX: usize = 63;
/// Most as-of dates the after-scenario aging check compares.
const AGING_CHECK_DATES_MAX: usize = 40;

/// Runs one storage test body on both backends.
///
/// ```ignore
/// storage_test!(fn numbers_are_gap_free(store: &mut Store) { … });
/// storage_test!(fn threads_share_a_book(store: &mut Store, url: &str) { … });
/// storage_test!(fn opening_an_empty_database(url: &str) { … });
/// ```
///
/// The first two forms get a migrated store (and the URL it was opened
/// from, for tests that open more connections) and have the whole book
/// checked afterwards; the last gets the URL of an empty database.
#[macro_export]
macro_rules! storage_test {
    ($(#[$meta:meta])* fn $name:ident($store:ident: &mut $store_ty:ty) $body:block) => {
        $crate::storage_test!($(#[$meta])* fn $name($store: &mut $store_ty, _url: &str) $body);
    };
    ($(#[$meta:meta])* fn $name:ident($store:ident: &mut $store_ty:ty, $url:ident: &str) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn scenario($store: &mut $store_ty, $url: &str) $body

            fn run($url: &str) {
                let mut store = dun_store::Store::open($url).expect("open the store");
                scenario(&mut store, $url);
                $crate::common::check_book(&mut store);
            }

            #[test]
            fn sqlite() {
                $crate::common::on_sqlite(stringify!($name), run);
            }

            #[test]
            fn postgres() {
                $crate::common::on_postgres(stringify!($name), run);
            }
        }
    };
    ($(#[$meta:meta])* fn $name:ident($url:ident: &str) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn run($url: &str) $body

            #[test]
            fn sqlite() {
                $crate::common::on_sqlite(stringify!($name), run);
            }

            #[test]
            fn postgres() {
                $crate::common::on_postgres(stringify!($name), run);
            }
        }
    };
}

// ---------------------------------------------------------------------------
// Backends

/// Runs `test` with the path of a fresh SQLite file, removed afterwards.
pub fn on_sqlite(name: &str, test: fn(&str)) {
    let dir = tempfile::Builder::new()
        .prefix(&format!("dun-store-{name}-"))
        .tempdir()
        .expect("create a temporary directory");
    let path = dir.path().join("dun.sqlite");
    test(path.to_str().expect("the temporary path is UTF-8"));
}

/// Runs `test` with the URL of a fresh PostgreSQL database, dropped
/// afterwards; or reports the test skipped when no server is configured.
pub fn on_postgres(name: &str, test: fn(&str)) {
    let Some(admin_url) = postgres_url(name) else {
        return;
    };
    let database = ScratchDatabase::create(&admin_url, name);
    test(&database.url);
}

fn postgres_url(test: &str) -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            let message = format!("SKIPPED (PostgreSQL): {POSTGRES_URL_VAR} is not set");
            if std::env::var(REQUIRE_POSTGRES_VAR).as_deref() == Ok("1") {
                panic!("{message}, and {REQUIRE_POSTGRES_VAR}=1 requires PostgreSQL ({test})");
            }
            // Straight to the handle: libtest captures eprintln! of passing
            // tests, and a skip must be seen.
            let _ = writeln!(std::io::stderr(), "{message} ({test})");
            None
        }
    }
}

/// A database of one test's own, created through an admin connection to
/// the configured URL and dropped (best effort) when this is dropped, even
/// when the test panicked.
struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    fn create(admin_url: &str, test: &str) -> ScratchDatabase {
        static SEQUENCE: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let suffix = format!(
            "_{}_{}_{nanos}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        );
        let stem: String = test
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(PG_IDENTIFIER_BYTES_MAX - "dun_".len() - suffix.len())
            .collect();
        let name = format!("dun_{stem}{suffix}");
        let mut admin = admin_client(admin_url);
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
        let url = with_database(admin_url, &name);
        ScratchDatabase {
            admin_url: admin_url.to_string(),
            name,
            url,
        }
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let Ok(mut admin) = postgres::Client::connect(&self.admin_url, postgres::NoTls) else {
            eprintln!("note: could not drop the test database {}", self.name);
            return;
        };
        // FORCE (PostgreSQL 13+) ends connections a panicking thread left open.
        let forced = admin.batch_execute(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ));
        if forced.is_err() {
            if let Err(e) =
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{}\"", self.name))
            {
                eprintln!("note: could not drop the test database {}: {e}", self.name);
            }
        }
    }
}

fn admin_client(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to PostgreSQL at {POSTGRES_URL_VAR}: {e}"))
}

/// `url` with its database (the path) replaced by `database`, keeping any
/// `?query`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or_else(|| {
        panic!("{POSTGRES_URL_VAR} must be a URL such as postgres://user@host:5432/db")
    });
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{database}", &base[..authority_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

// ---------------------------------------------------------------------------
// The after-scenario check

/// Checks every organisation's book: derived figures, balances and aging.
pub fn check_book(store: &mut Store) {
    for org in store.orgs().expect("list organisations") {
        let problems = store.verify(org.id).expect("verify");
        assert!(
            problems.is_empty(),
            "verify({}) found problems: {problems:#?}",
            org.name
        );
        assert_balances_match_ledger(store, org.id);
        assert_aging_matches_ledger(store, org.id, &[]);
    }
}

/// The balances kept by the store equal the ledger's identity per customer
/// and currency: open = invoices + fees + interest − allocations − credit
/// notes − write-offs, and credit = what payments still hold.
pub fn assert_balances_match_ledger(store: &mut Store, org_id: i64) {
    let entries = store.entries(org_id).expect("entries");
    let expected: BTreeMap<(i64, Currency), (i64, i64)> =
        balances(entries.iter().map(|s| &s.entry))
            .into_iter()
            .map(|(k, parts)| (k, (parts.open_minor(), parts.credit_minor)))
            .filter(|(_, (open, credit))| *open != 0 || *credit != 0)
            .collect();
    let actual: BTreeMap<(i64, Currency), (i64, i64)> = store
        .balances(org_id)
        .expect("balances")
        .into_iter()
        .flat_map(|(customer, list)| {
            list.into_iter()
                .map(move |b| ((customer, b.currency), (b.open_minor, b.credit_minor)))
        })
        .collect();
    assert_eq!(
        actual, expected,
        "balances (open, credit) per customer and currency"
    );
    for (key, (open, credit)) in &actual {
        assert!(
            *open >= 0 && *credit >= 0,
            "negative balance for {key:?}: open {open}, credit {credit}"
        );
    }
}

/// Compares `Store::aging` with `aging_from_entries` (summary and detail,
/// standard and custom edges) on `dates`, and on every date around the
/// book's entries and due dates, so reports dated before later payments,
/// voids and credit notes are covered.
pub fn assert_aging_matches_ledger(store: &mut Store, org_id: i64, dates: &[Date]) {
    let entries = store.entries(org_id).expect("entries");
    let headers = store.invoice_states(org_id).expect("invoice states");
    let plans = store.run_plans(org_id).expect("plans");
    let mut around: BTreeSet<Date> = BTreeSet::new();
    for e in &entries {
        around.extend([e.entry.effective_date.add_days(-1), e.entry.effective_date]);
    }
    for h in headers.values() {
        for part in &h.schedule {
            for days in [0, 1, 30, 31, 61, 91] {
                around.insert(part.due_date.add_days(days));
            }
        }
    }
    let around: Vec<Date> = around.into_iter().collect();
    let step = around.len().div_ceil(AGING_CHECK_DATES_MAX).max(1);
    let mut all: BTreeSet<Date> = around.into_iter().step_by(step).collect();
    all.extend(dates.iter().copied());
    let edge_sets = [
        AgingEdges::standard(),
        AgingEdges::parse("7,14,45").expect("edges"),
    ];
    for as_of in all {
        for edges in &edge_sets {
            for detail in [false, true] {
                let (from_store, _) = store.aging(org_id, as_of, edges, detail).expect("aging");
                let expected = aging_from_entries(
                    headers.values(),
                    entries.iter().map(|s| &s.entry),
                    &plans,
                    as_of,
                    edges,
                    detail,
                );
                assert_eq!(
                    from_store, expected,
                    "aging as of {as_of} (edges {edges}, detail {detail}) differs from the ledger's"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Fixtures: a small book written in the domain's words

pub fn usd() -> Currency {
    Currency::parse("USD").expect("USD")
}

pub fn eur() -> Currency {
    Currency::parse("EUR").expect("EUR")
}

/// `d("2026-01-31")`
pub fn d(text: &str) -> Date {
    Date::parse(text).expect("a test date")
}

pub fn terms(text: &str) -> Terms {
    Terms::parse(text).expect("test terms")
}

pub fn new_org(name: &str) -> NewOrg {
    NewOrg {
        name: name.to_string(),
        currency: usd(),
        timezone: "Europe/Paris".to_string(),
        invoice_prefix: "INV-".to_string(),
    }
}

/// A USD organisation numbering its invoices `INV-000001`, …
pub fn org(store: &mut Store, name: &str) -> Org {
    store
        .create_org(&new_org(name))
        .expect("create the organisation")
}

pub fn customer_row(reference: &str, name: &str) -> CustomerRow {
    CustomerRow {
        row: 1,
        reference: reference.to_string(),
        name: name.to_string(),
        email: Some(format!("ap@{}.example.com", reference.to_ascii_lowercase())),
        phone: Some("+1 555 0100".to_string()),
        // No limit: a limit makes what is owed in other currencies need a
        // rate (`set_rate`); tests of limits set one.
        credit_limit_minor: None,
        terms: None,
        notes: None,
        payment_methods: None,
    }
}

pub fn customer(store: &mut Store, org: &Org, reference: &str) -> Customer {
    store
        .add_customer(
            org.id,
            &customer_row(reference, &format!("{reference} Corp")),
            None,
        )
        .expect("add the customer")
}

/// A one-line draft of `amount_minor` (no tax) in `currency`.
pub fn draft_in(
    customer_id: i64,
    currency: Currency,
    issued: Date,
    terms_text: &str,
    amount_minor: i64,
) -> InvoiceDraft {
    InvoiceDraft {
        customer_id,
        currency,
        issue_date: issued,
        terms: terms(terms_text),
        description: "Consulting".to_string(),
        lines: vec![InvoiceLine::new("Consulting", 10_000, amount_minor, 0).expect("a line")],
        installments: Vec::new(),
    }
}

pub fn draft(customer_id: i64, issued: Date, terms_text: &str, amount_minor: i64) -> InvoiceDraft {
    draft_in(customer_id, usd(), issued, terms_text, amount_minor)
}

/// Creates and issues a USD invoice.
pub fn invoice(
    store: &mut Store,
    org: &Org,
    customer: &Customer,
    issued: &str,
    terms_text: &str,
    amount_minor: i64,
) -> Posted {
    issue_draft(
        store,
        org,
        &draft(customer.id, d(issued), terms_text, amount_minor),
    )
}

pub fn issue_draft(store: &mut Store, org: &Org, draft: &InvoiceDraft) -> Posted {
    let id = store
        .create_invoice(org.id, draft, None)
        .expect("create the draft");
    store
        .issue_invoice(org.id, &id.to_string(), None, None)
        .expect("issue the invoice")
}

pub fn payment(customer: &Customer, received: &str, amount_minor: i64) -> NewPayment {
    NewPayment {
        customer_ref: customer.reference.clone(),
        currency: usd(),
        received_date: d(received),
        amount_minor,
        method: "transfer".to_string(),
        reference: format!("BANK-{received}-{amount_minor}"),
        note: String::new(),
    }
}

/// The open amount the store keeps on one invoice.
pub fn open_of(store: &mut Store, org: &Org, number: &str) -> i64 {
    store
        .invoice(org.id, number, d("2200-01-01"))
        .expect("read the invoice")
        .open_minor
}

pub fn all_invoices(store: &mut Store, org_id: i64) -> Vec<dun_store::invoices::InvoiceSummary> {
    store
        .invoices(
            org_id,
            &InvoiceFilter {
                limit: LIST_LIMIT_MAX,
                ..InvoiceFilter::default()
            },
        )
        .expect("list invoices")
}

/// What a refused command must leave exactly as it was.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub customers: usize,
    pub invoices: usize,
    pub entries: usize,
    pub balances: String,
}

pub fn snapshot(store: &mut Store, org_id: i64) -> Snapshot {
    Snapshot {
        customers: store.customers(org_id).expect("customers").len(),
        invoices: all_invoices(store, org_id).len(),
        entries: store.entries(org_id).expect("entries").len(),
        balances: format!("{:?}", store.balances(org_id).expect("balances")),
    }
}

/// How many entries of `kind` the organisation's ledger holds.
pub fn count_kind(store: &mut Store, org_id: i64, kind: EntryKind) -> usize {
    store
        .entries(org_id)
        .expect("entries")
        .iter()
        .filter(|e| e.entry.kind == kind)
        .count()
}

/// A credit note of `amount_minor` (all that is open when None) dated `date`.
pub fn credit_note(amount_minor: Option<i64>, date: &str) -> Reduction {
    Reduction {
        kind: EntryKind::CreditNote,
        amount_minor,
        date: d(date),
        reason: "credit note".to_string(),
    }
}

/// A write-off of `amount_minor` (all that is open when None) dated `date`.
pub fn write_off(amount_minor: Option<i64>, date: &str) -> Reduction {
    Reduction {
        kind: EntryKind::WriteOff,
        amount_minor,
        date: d(date),
        reason: "uncollectable".to_string(),
    }
}

/// Puts Dun's default policy in force with customers' credit kept until a
/// person applies it (`[payments] unapplied_credit = "keep_unapplied"`):
/// for books that test applying, refunding and showing credit by hand.
pub fn keep_credit_unapplied(store: &mut Store, org: &Org) {
    let default = dun_core::collections::document::DEFAULT_POLICY;
    let text = default.replace(
        "unapplied_credit = \"apply_oldest_first\"",
        "unapplied_credit = \"keep_unapplied\"",
    );
    assert_ne!(text, default, "the default policy names its credit setting");
    store
        .apply_policy(org.id, &text, "Test Owner", None)
        .expect("keep credit unapplied");
}
