//! A customer's unapplied credit, on both engines: applied at once to their
//! oldest open items (the default policy) when an invoice is issued, money
//! arrives or the run charges something, posted as allocations with their
//! own entries; kept for a person when the policy says so; and never
//! chased, charged or held, whichever the setting.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use common::*;
use dun_core::collections::action::ActionKind;
use dun_core::collections::document::DEFAULT_POLICY;
use dun_core::ledger::EntryKind;
use dun_store::collections::RunOutcome;
use dun_store::payments::Allocate;
use dun_store::{Org, Store};

fn credit_of(store: &mut Store, org_id: i64, customer_id: i64) -> i64 {
    store
        .balances(org_id)
        .unwrap()
        .get(&customer_id)
        .map_or(0, |list| list.iter().map(|b| b.credit_minor).sum())
}

fn run_on(store: &mut Store, org: &Org, as_of: &str) -> RunOutcome {
    store
        .run_collections(org.id, d(as_of), true)
        .unwrap_or_else(|e| panic!("the run as of {as_of} failed: {e}"))
}

fn kinds(outcome: &RunOutcome, customer_id: i64) -> Vec<String> {
    outcome
        .plan
        .actions
        .iter()
        .filter(|a| a.customer_id == customer_id)
        .map(|a| match &a.kind {
            ActionKind::Interest { amount_minor, .. } => format!("interest {amount_minor}"),
            other => other.name().to_string(),
        })
        .collect()
}

/// The book: 250.00 received against a 100.00 invoice (150.00 of
/// credit), then a 120.00 invoice.
fn overpaid_then_invoiced(
    store: &mut Store,
    org: &Org,
) -> (dun_store::customers::Customer, String) {
    let cred = customer(store, org, "CRED");
    invoice(store, org, &cred, "2026-01-05", "net30", 100_00);
    let paid = store
        .record_payment(
            org.id,
            &payment(&cred, "2026-01-20", 250_00),
            &Allocate::OldestDueFirst,
            None,
        )
        .unwrap();
    assert_eq!(paid.unallocated_minor, 150_00);
    let second = invoice(store, org, &cred, "2026-02-01", "net30", 120_00);
    (cred, second.number)
}

const LADDER_DAYS: [&str; 6] = [
    "2026-02-24",
    "2026-03-03",
    "2026-03-10",
    "2026-04-02",
    "2026-05-02",
    "2026-06-01",
];

storage_test!(
    fn issuing_to_a_customer_with_credit_posts_the_allocation(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let allocations_before = count_kind(store, acme.id, EntryKind::Allocation);
        let (cred, number) = overpaid_then_invoiced(store, &acme);
        // The credit paid the new invoice the day it was issued.
        assert_eq!(open_of(store, &acme, &number), 0);
        assert_eq!(credit_of(store, acme.id, cred.id), 30_00);
        assert_eq!(
            count_kind(store, acme.id, EntryKind::Allocation) - allocations_before,
            2,
            "one allocation for the payment, one for the credit applied"
        );
        let applied: Vec<_> = store
            .entries(acme.id)
            .unwrap()
            .into_iter()
            .filter(|e| e.entry.kind == EntryKind::Allocation)
            .map(|e| (e.entry.effective_date, -e.entry.ar_minor))
            .collect();
        assert_eq!(
            applied,
            vec![(d("2026-01-20"), 100_00), (d("2026-02-01"), 120_00)]
        );
        // And the run never chases CRED.
        for day in LADDER_DAYS {
            let outcome = run_on(store, &acme, day);
            assert_eq!(kinds(&outcome, cred.id), Vec::<String>::new(), "{day}");
        }
        assert!(store.outbox(acme.id, None, 100).unwrap().is_empty());
    }
);

storage_test!(
    fn a_payment_arriving_when_invoices_are_open_applies(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let open = customer(store, &acme, "OPEN");
        let inv = invoice(store, &acme, &open, "2026-02-01", "net30", 80_00);
        let paid = store
            .record_payment(
                acme.id,
                &payment(&open, "2026-02-10", 100_00),
                &Allocate::None,
                None,
            )
            .unwrap();
        assert_eq!(paid.allocations.len(), 1);
        assert_eq!(paid.allocations[0].number, inv.number);
        assert_eq!(paid.allocations[0].amount_minor, 80_00);
        assert_eq!(paid.unallocated_minor, 20_00);
        assert_eq!(open_of(store, &acme, &inv.number), 0);
        assert_eq!(credit_of(store, acme.id, open.id), 20_00);
    }
);

storage_test!(
    fn credit_kept_for_a_person_still_stops_the_ladder(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        keep_credit_unapplied(store, &acme);
        let (cred, number) = overpaid_then_invoiced(store, &acme);
        assert_eq!(open_of(store, &acme, &number), 120_00);
        assert_eq!(credit_of(store, acme.id, cred.id), 150_00);
        for day in LADDER_DAYS {
            let outcome = run_on(store, &acme, day);
            assert_eq!(kinds(&outcome, cred.id), Vec::<String>::new(), "{day}");
        }
        assert!(store.outbox(acme.id, None, 100).unwrap().is_empty());
        assert_eq!(
            credit_of(store, acme.id, cred.id),
            150_00,
            "kept for a person"
        );
        let customer = store.customer(acme.id, "CRED").unwrap();
        assert_eq!(customer.status, "active");
    }
);

storage_test!(
    fn trailing_interest_after_full_payment_is_netted_from_credit(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let policy =
            format!("{DEFAULT_POLICY}\n[[customer]]\nref = \"F1\"\nladder_shift_days = -7\n");
        store
            .apply_policy(acme.id, &policy, "Test Owner", None)
            .unwrap();
        let f1 = customer(store, &acme, "F1");
        let inv = invoice(store, &acme, &f1, "2026-01-01", "net30", 1000_00);
        run_on(store, &acme, "2026-03-02");
        run_on(store, &acme, "2026-04-01");
        let paid = store
            .record_payment(
                acme.id,
                &payment(&f1, "2026-04-20", 1100_00),
                &Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
        // 1,000.00 + interest from 24 March (the date the late notice
        // stated) 1.75 + the final demand's fee 40.00 = 1,041.75 settled.
        assert_eq!(paid.unallocated_minor, 58_25);
        let messages_before = store.outbox(acme.id, None, 100).unwrap().len();
        let tasks_before = store.tasks(acme.id, Some("F1"), false).unwrap().len();
        run_on(store, &acme, "2026-04-20");
        let may = run_on(store, &acme, "2026-05-01");
        // April's interest, while the principal was open (1–19 April), and
        // nothing else: no notice, fee, hold or escalation.
        assert_eq!(kinds(&may, f1.id), vec!["interest 416".to_string()]);
        assert_eq!(
            open_of(store, &acme, &inv.number),
            0,
            "netted from the credit"
        );
        assert_eq!(credit_of(store, acme.id, f1.id), 54_09);
        let june = run_on(store, &acme, "2026-06-01");
        assert_eq!(kinds(&june, f1.id), Vec::<String>::new());
        assert_eq!(
            store.outbox(acme.id, None, 100).unwrap().len(),
            messages_before
        );
        assert_eq!(
            store.tasks(acme.id, Some("F1"), false).unwrap().len(),
            tasks_before
        );
        let customer = store.customer(acme.id, "F1").unwrap();
        assert_eq!(customer.status, "active");
    }
);

storage_test!(
    fn a_reversal_reopens_invoices_that_other_credit_then_pays(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let inv = invoice(store, &acme, &alpha, "2026-01-01", "net30", 100_00);
        let bounced = store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-02-01", 100_00),
                &Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
        let spare = store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-02-02", 30_00),
                &Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
        assert_eq!(spare.unallocated_minor, 30_00, "nothing was open");
        store
            .reverse_payment(
                acme.id,
                bounced.payment_id,
                d("2026-02-10"),
                "cheque bounced",
                None,
            )
            .unwrap();
        assert_eq!(open_of(store, &acme, &inv.number), 70_00);
        assert_eq!(credit_of(store, acme.id, alpha.id), 0);
    }
);
