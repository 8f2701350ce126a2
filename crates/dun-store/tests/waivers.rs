//! Waiving a charge, on both engines: a late fee or interest taken off by a
//! person with a reason — a reversing entry of its own kind, on the
//! timeline with who and why — never charged again by the run; what was
//! paid beyond the new balance becomes credit and pays the next invoice.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use common::*;
use dun_core::ledger::EntryKind;
use dun_store::payments::Allocate;
use dun_store::waivers::Waiver;
use dun_store::{Org, Store, StoreError};

fn run_days(store: &mut Store, org: &Org, from: &str, to: &str) {
    let mut day = d(from);
    while day <= d(to) {
        store
            .run_collections(org.id, day, true)
            .unwrap_or_else(|e| panic!("the run as of {day} failed: {e}"));
        day = day.add_days(1);
    }
}

/// What the ledger holds of `kind` on `number`, net of reversals.
fn net(store: &mut Store, org: &Org, number: &str, kind: EntryKind) -> i64 {
    store
        .invoice(org.id, number, d("2200-01-01"))
        .unwrap()
        .entries
        .iter()
        .filter(|e| e.entry.kind == kind)
        .map(|e| e.entry.ar_minor)
        .sum()
}

fn waiver(charge: EntryKind, amount_minor: Option<i64>, on: &str, reason: &str) -> Waiver {
    Waiver {
        charge,
        amount_minor,
        date: d(on),
        reason: reason.to_string(),
    }
}

storage_test!(
    fn a_waived_charge_is_reversed_with_its_reason_and_never_charged_again(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let first = invoice(store, &acme, &alpha, "2026-01-01", "net30", 1000_00).number;
        // Due 06-30: not yet chased when the interest is waived.
        let second = invoice(store, &acme, &alpha, "2026-01-01", "net180", 500_00).number;
        // Past the final demand (+60): its fee, and interest from the notice.
        run_days(store, &acme, "2026-01-20", "2026-04-30");
        let fee = net(store, &acme, &first, EntryKind::Fee);
        assert_eq!(fee, 40_00, "the default policy's final-demand fee");
        let open_before = open_of(store, &acme, &first);

        store.set_acting(Some("ann"));
        let err = store
            .waive_charge(
                acme.id,
                &first,
                &waiver(EntryKind::Fee, None, "2026-05-01", " "),
                None,
            )
            .unwrap_err();
        assert!(err.to_string().starts_with("reason:"), "{err}");
        let err = store
            .waive_charge(
                acme.id,
                &first,
                &waiver(EntryKind::Fee, Some(40_01), "2026-05-01", "goodwill"),
                None,
            )
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Invalid(ref m) if m.starts_with("amount:")),
            "{err}"
        );
        let waived = store
            .waive_charge(
                acme.id,
                &first,
                &waiver(
                    EntryKind::Fee,
                    None,
                    "2026-05-01",
                    "goodwill: first late payment",
                ),
                None,
            )
            .unwrap();
        assert_eq!(waived.amount_minor, 40_00);
        assert_eq!(waived.open_minor, open_before - 40_00);
        assert_eq!(net(store, &acme, &first, EntryKind::Fee), 0);
        let entry = store
            .timeline(acme.id, alpha.id, None, 100)
            .unwrap()
            .into_iter()
            .find(|e| e.kind == "charge_waived")
            .expect("on the timeline");
        assert_eq!(entry.author, "ann");
        assert!(
            entry.summary.contains("late fee of 40.00 USD") && entry.summary.contains("goodwill"),
            "{}",
            entry.summary
        );
        // Nothing left to waive; the run never charges it again.
        let err = store
            .waive_charge(
                acme.id,
                &first,
                &waiver(EntryKind::Fee, None, "2026-05-02", "again"),
                None,
            )
            .unwrap_err();
        assert!(
            err.to_string().contains("has no late fee to waive"),
            "{err}"
        );
        run_days(store, &acme, "2026-05-01", "2026-05-31");
        assert_eq!(net(store, &acme, &first, EntryKind::Fee), 0);

        // Paid in full, interest included; then the interest is waived:
        // that much of the payment is credit again and pays the next invoice.
        let owed = open_of(store, &acme, &first);
        let interest = net(store, &acme, &first, EntryKind::Interest);
        assert!(interest > 0, "interest was charged");
        store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-06-02", owed),
                &Allocate::Explicit(vec![(first.clone(), owed)]),
                None,
            )
            .unwrap();
        assert_eq!(open_of(store, &acme, &first), 0);
        store
            .waive_charge(
                acme.id,
                &first,
                &waiver(EntryKind::Interest, None, "2026-06-03", "settled in full"),
                None,
            )
            .unwrap();
        assert_eq!(open_of(store, &acme, &first), 0);
        assert_eq!(open_of(store, &acme, &second), 500_00 - interest);
        check_book(store);
    }
);

storage_test!(
    fn a_reversed_write_off_is_open_and_chased_again(store: &mut Store) {
        use dun_core::state::SettlementStatus;
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        // Written off whole, by mistake.
        let number = invoice(store, &acme, &alpha, "2026-01-01", "net30", 1000_00).number;
        store
            .reduce_invoice(acme.id, &number, &write_off(None, "2026-03-01"), None)
            .unwrap();
        let status = |store: &mut Store, number: &str| {
            store
                .invoice(acme.id, number, d("2026-03-10"))
                .unwrap()
                .status
        };
        assert_eq!(status(store, &number), SettlementStatus::WrittenOff);
        // Part written off, the rest paid: still written off as a whole.
        let other = invoice(store, &acme, &alpha, "2026-01-02", "net30", 500_00).number;
        store
            .reduce_invoice(
                acme.id,
                &other,
                &write_off(Some(200_00), "2026-03-01"),
                None,
            )
            .unwrap();
        store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-03-02", 300_00),
                &Allocate::Explicit(vec![(other.clone(), 300_00)]),
                None,
            )
            .unwrap();
        assert_eq!(status(store, &other), SettlementStatus::WrittenOff);
        let ledger = snapshot(store, acme.id);

        store.set_acting(Some("ann"));
        let refusals: [(&str, &str, &str); 3] = [
            (&number, "2026-03-10", " "),
            (&number, "2026-02-28", "written off by mistake"),
            ("INV-404", "2026-03-10", "no such invoice"),
        ];
        for (which, on, reason) in refusals {
            let err = store
                .reverse_write_off(acme.id, which, d(on), reason, None)
                .unwrap_err();
            assert!(
                matches!(err, StoreError::Invalid(_) | StoreError::NotFound { .. })
                    || err.to_string().contains("written off"),
                "{err}"
            );
        }
        assert_eq!(snapshot(store, acme.id), ledger, "refusals write nothing");

        let reversed = store
            .reverse_write_off(
                acme.id,
                &number,
                d("2026-03-10"),
                "written off by mistake",
                None,
            )
            .unwrap();
        assert_eq!(
            (
                reversed.write_offs,
                reversed.amount_minor,
                reversed.open_minor
            ),
            (1, 1000_00, 1000_00)
        );
        assert_eq!(status(store, &number), SettlementStatus::Open);
        let again = store
            .reverse_write_off(acme.id, &number, d("2026-03-10"), "again", None)
            .unwrap_err();
        assert!(
            again.to_string().contains("has no write-off to reverse"),
            "{again}"
        );
        let reversed = store
            .reverse_write_off(acme.id, &other, d("2026-03-10"), "they will pay", None)
            .unwrap();
        assert_eq!(
            (reversed.amount_minor, reversed.open_minor),
            (200_00, 200_00)
        );
        assert_eq!(status(store, &other), SettlementStatus::PartiallyPaid);
        // Both entries are of the write-off's own kind; nothing was deleted.
        assert_eq!(net(store, &acme, &number, EntryKind::WriteOff), 0);
        assert_eq!(count_kind(store, acme.id, EntryKind::WriteOff), 4);
        let timeline = store.timeline(acme.id, alpha.id, None, 10).unwrap();
        let entry = timeline
            .iter()
            .find(|e| e.kind == "write_off_reversed" && e.summary.contains(&number))
            .expect("the reversal on the timeline");
        assert_eq!(entry.author, "ann");
        assert!(
            entry.summary.contains("written off by mistake"),
            "{}",
            entry.summary
        );
        check_book(store);

        // Open again, it is chased again: the final demand's fee at +60.
        run_days(store, &acme, "2026-03-10", "2026-04-05");
        assert_eq!(net(store, &acme, &number, EntryKind::Fee), 40_00);
        check_book(store);
    }
);
