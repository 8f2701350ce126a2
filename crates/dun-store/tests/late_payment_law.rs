//! Late-payment law on both engines: the run posts statutory interest
//! (reference rate + margin, per half-year) and the fixed compensation as
//! its own entry kind, spares a customer marked a consumer, and reads the
//! organisation's imported reference rates over the shipped table (a bad
//! rate file writes nothing).

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use common::*;
use dun_core::collections::document::DEFAULT_POLICY;
use dun_core::collections::law::DebtorKind;
use dun_core::ledger::EntryKind;
use dun_store::{Org, Store};

/// The default policy under § 288 BGB: no own interest or late fee,
/// costs → interest → principal.
fn german_policy() -> String {
    let cut = |text: &str, section: &str| {
        let start = text.find(&format!("\n{section}\n")).expect("section") + 1;
        let end = start + text[start..].find("# ----").expect("next section");
        format!("{}{}", &text[..start], &text[end..])
    };
    let text = cut(DEFAULT_POLICY, "[late_fee]");
    let text = cut(&text, "[interest]");
    text.replacen(
        "default_terms = \"net30\"",
        "default_terms = \"net30\"\nlaw = \"de_bgb_288\"",
        1,
    )
    .replace(
        "effects = [\"late_fee\", \"credit_hold\"]",
        "effects = [\"credit_hold\"]",
    )
    .replace(
        "allocation = \"principal_first\"",
        "allocation = \"fees_interest_principal\"",
    )
}

fn entries_of(store: &mut Store, org: &Org, invoice_id: i64, kind: EntryKind) -> Vec<i64> {
    store
        .entries(org.id)
        .expect("entries")
        .iter()
        .filter(|e| e.entry.kind == kind && e.entry.invoice_id == Some(invoice_id))
        .map(|e| e.entry.ar_minor)
        .collect()
}

storage_test!(
    fn the_run_charges_what_the_german_law_allows_and_spares_consumers(store: &mut Store) {
        let acme = org(store, "Acme GmbH");
        store
            .apply_policy(acme.id, &german_policy(), "Test Owner", None)
            .expect("the German policy is accepted");
        let biz = customer(store, &acme, "BIZ");
        let home = customer(store, &acme, "HOME");
        store
            .set_debtor(
                acme.id,
                "HOME",
                Some(DebtorKind::Consumer),
                d("2024-05-16"),
                "Test Owner",
            )
            .unwrap();
        let inv = issue_draft(
            store,
            &acme,
            &draft_in(biz.id, eur(), d("2024-05-16"), "net30", 10_000_00),
        );
        let theirs = issue_draft(
            store,
            &acme,
            &draft_in(home.id, eur(), d("2024-05-16"), "net30", 1_000_00),
        );
        for day in ["2024-06-16", "2024-07-01", "2024-08-01"] {
            store.run_collections(acme.id, d(day), true).unwrap();
        }
        // € 40 once; June 16–30 at 3.62 + 9 % = 51.86; July at 3.37 + 9 % = 105.06.
        assert_eq!(
            entries_of(store, &acme, inv.invoice_id, EntryKind::Compensation),
            vec![40_00]
        );
        assert_eq!(
            entries_of(store, &acme, inv.invoice_id, EntryKind::Interest),
            vec![51_86, 105_06]
        );
        assert_eq!(open_of(store, &acme, &inv.number), 10_196_92);
        // The consumer: nothing but the invoice.
        assert!(entries_of(store, &acme, theirs.invoice_id, EntryKind::Compensation).is_empty());
        assert!(entries_of(store, &acme, theirs.invoice_id, EntryKind::Interest).is_empty());
        assert_eq!(open_of(store, &acme, &theirs.number), 1_000_00);
    }
);

storage_test!(
    fn imported_rates_extend_the_shipped_ones(store: &mut Store) {
        let acme = org(store, "Acme GmbH");
        let shipped = store.reference_rates(acme.id).unwrap();
        assert!(shipped.iter().all(|r| r.origin == "shipped"));
        let bad = "series,in_force_from,rate_percent,source\nde_base,2026-07-01,1.27,\n";
        let err = store
            .import_reference_rates(acme.id, bad, "Test Owner")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2: source"), "{err}");
        assert_eq!(store.reference_rates(acme.id).unwrap(), shipped);
        let good = "series,in_force_from,rate_percent,source\n\
                    de_base,2026-07-01,1.27,\"Bundesbank, my reading\"\n\
                    de_base,2026-01-01,1.27,corrected source\n";
        assert_eq!(
            store
                .import_reference_rates(acme.id, good, "Test Owner")
                .unwrap(),
            2
        );
        let all = store.reference_rates(acme.id).unwrap();
        assert_eq!(all.len(), shipped.len() + 1, "one new, one replaced");
        let jan = all
            .iter()
            .find(|r| {
                r.rate.series.as_str() == "de_base" && r.rate.in_force_from == d("2026-01-01")
            })
            .unwrap();
        assert_eq!(
            (jan.origin, jan.rate.source.as_str()),
            ("imported", "corrected source")
        );
    }
);
