//! The aging report read from the store equals the aging the domain
//! rebuilds from the ledger's entries, on any date: before and after later
//! payments, voids, credit notes, write-offs and reversals, with invoices
//! split into installments.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use common::*;
use dun_core::aging::AgingEdges;
use dun_core::invoice::InvoiceDraft;
use dun_core::terms::Installment;
use dun_core::Date;
use dun_store::import::ImportRequest;
use dun_store::payments::{Allocate, NewPayment};
use dun_store::{Org, Store};

/// The book every test here reads, in the domain's words:
///
/// ```text
/// ALPHA  INV-000001  2026-01-01  net30                    1000.00 USD   due 01-31
/// ALPHA  INV-000002  2026-01-10  installments:30/60/90     900.00 USD   300 due 02-09, 03-11, 04-10
/// ALPHA  INV-000003  2026-01-15  explicit installments     300.00 USD   100 due 02-01, 200 due 03-01
/// BETA   INV-000004  2026-01-20  eom15                     500.00 USD   due 02-15
/// BETA   INV-000005  2026-01-05  net30                     400.00 EUR   due 02-04
/// BETA   INV-000006  2026-02-01  due on receipt            250.00 USD   voided 03-01
/// ALPHA  INV-000007  2026-02-15  net30                     120.00 USD   credit note 20.00 03-20, written off 06-30
/// BETA   OLD-1       2025-12-20  imported, due 2025-12-01   75.00 USD
/// 2026-02-20  ALPHA pays  400.00 oldest due first  -> INV-000001
/// 2026-02-25  BETA  pays  300.00 to INV-000004; reversed 2026-04-05
/// 2026-03-01  BETA  pays  100.00 EUR oldest due first -> INV-000005
/// 2026-03-15  ALPHA pays 1500.00 oldest due first  -> INV-000001 600, INV-000003 300, INV-000002 600
/// 2026-04-01  ALPHA pays   50.00 kept as credit; 20.00 refunded 04-02
/// ```
fn book(store: &mut Store) -> Org {
    let acme = org(store, "Acme Ltd");
    keep_credit_unapplied(store, &acme);
    let alpha = customer(store, &acme, "ALPHA");
    let beta = customer(store, &acme, "BETA");
    invoice(store, &acme, &alpha, "2026-01-01", "net30", 1000_00);
    invoice(
        store,
        &acme,
        &alpha,
        "2026-01-10",
        "installments:30/60/90",
        900_00,
    );
    let explicit = InvoiceDraft {
        installments: vec![
            Installment {
                due_date: d("2026-02-01"),
                amount_minor: 100_00,
            },
            Installment {
                due_date: d("2026-03-01"),
                amount_minor: 200_00,
            },
        ],
        ..draft(alpha.id, d("2026-01-15"), "net30", 300_00)
    };
    issue_draft(store, &acme, &explicit);
    invoice(store, &acme, &beta, "2026-01-20", "eom15", 500_00);
    issue_draft(
        store,
        &acme,
        &draft_in(beta.id, eur(), d("2026-01-05"), "net30", 400_00),
    );
    invoice(store, &acme, &beta, "2026-02-01", "due_on_receipt", 250_00);
    invoice(store, &acme, &alpha, "2026-02-15", "net30", 120_00);
    let history = vec![dun_core::import::InvoiceRow {
        row: 2,
        number: "OLD-1".into(),
        customer_ref: "BETA".into(),
        issue_date: d("2025-12-20"),
        due_date: d("2025-12-01"),
        currency: usd(),
        description: "from the old system".into(),
        lines: vec![dun_core::invoice::InvoiceLine::new("old", 10_000, 75_00, 0).unwrap()],
    }];
    let request = ImportRequest {
        author: "test",
        key: None,
        fingerprint: "old",
        dry_run: false,
        ladder_from: None,
    };
    store
        .import_invoices(acme.id, &history, &request, &mut |_| {})
        .unwrap();

    let oldest = Allocate::OldestDueFirst;
    store
        .record_payment(
            acme.id,
            &payment(&alpha, "2026-02-20", 400_00),
            &oldest,
            None,
        )
        .unwrap();
    let bounced = store
        .record_payment(
            acme.id,
            &payment(&beta, "2026-02-25", 300_00),
            &Allocate::Explicit(vec![("INV-000004".into(), 300_00)]),
            None,
        )
        .unwrap();
    store
        .record_payment(
            acme.id,
            &NewPayment {
                currency: eur(),
                ..payment(&beta, "2026-03-01", 100_00)
            },
            &oldest,
            None,
        )
        .unwrap();
    store
        .void_invoice(
            acme.id,
            "INV-000006",
            d("2026-03-01"),
            "sent in error",
            None,
        )
        .unwrap();
    let big = store
        .record_payment(
            acme.id,
            &payment(&alpha, "2026-03-15", 1500_00),
            &oldest,
            None,
        )
        .unwrap();
    let split: Vec<(&str, i64)> = big
        .allocations
        .iter()
        .map(|a| (a.number.as_str(), a.amount_minor))
        .collect();
    assert_eq!(
        split,
        [
            ("INV-000001", 600_00),
            ("INV-000003", 300_00),
            ("INV-000002", 600_00)
        ]
    );
    store
        .reduce_invoice(
            acme.id,
            "INV-000007",
            &credit_note(Some(20_00), "2026-03-20"),
            None,
        )
        .unwrap();
    let spare = store
        .record_payment(
            acme.id,
            &payment(&alpha, "2026-04-01", 50_00),
            &Allocate::None,
            None,
        )
        .unwrap();
    store
        .refund_payment(
            acme.id,
            spare.payment_id,
            20_00,
            d("2026-04-02"),
            "overpaid",
            None,
        )
        .unwrap();
    store
        .reverse_payment(
            acme.id,
            bounced.payment_id,
            d("2026-04-05"),
            "cheque bounced",
            None,
        )
        .unwrap();
    store
        .reduce_invoice(acme.id, "INV-000007", &write_off(None, "2026-06-30"), None)
        .unwrap();
    acme
}

/// Dates around every event of the book, and far before and after it.
fn report_dates() -> Vec<Date> {
    [
        "2025-11-30",
        "2025-12-20",
        "2025-12-31",
        "2026-01-01",
        "2026-01-31",
        "2026-02-01",
        "2026-02-09",
        "2026-02-10",
        "2026-02-19",
        "2026-02-20",
        "2026-02-24",
        "2026-02-25",
        "2026-02-28",
        "2026-03-01",
        "2026-03-02",
        "2026-03-14",
        "2026-03-15",
        "2026-03-19",
        "2026-03-20",
        "2026-04-04",
        "2026-04-05",
        "2026-04-10",
        "2026-04-11",
        "2026-05-15",
        "2026-06-29",
        "2026-06-30",
        "2027-01-01",
    ]
    .into_iter()
    .map(d)
    .collect()
}

/// ALPHA's (or BETA's) USD amounts per bucket as of `as_of`, from the store.
fn row(store: &mut Store, org: &Org, reference: &str, as_of: &str) -> Vec<i64> {
    let customer = store.customer(org.id, reference).unwrap();
    let (report, names) = store
        .aging(org.id, d(as_of), &AgingEdges::standard(), false)
        .unwrap();
    assert_eq!(names[&customer.id].reference, reference);
    report
        .rows
        .get(&(customer.id, usd()))
        .map_or_else(|| vec![0; 5], |r| r.amounts_minor.clone())
}

storage_test!(
    fn the_stored_aging_equals_the_ledger_on_every_date(store: &mut Store) {
        let acme = book(store);
        assert_aging_matches_ledger(store, acme.id, &report_dates());
    }
);

storage_test!(
    fn the_stored_schedules_are_the_domain_schedules(store: &mut Store) {
        let acme = book(store);
        let headers = store.invoice_states(acme.id).unwrap();
        let by_number = |n: &str| {
            headers
                .values()
                .find(|h| h.number == n)
                .unwrap()
                .schedule
                .clone()
        };
        assert_eq!(
            by_number("INV-000001"),
            terms("net30").schedule(d("2026-01-01"), 1000_00)
        );
        assert_eq!(
            by_number("INV-000002"),
            terms("installments:30/60/90").schedule(d("2026-01-10"), 900_00)
        );
        assert_eq!(
            by_number("INV-000003"),
            [
                Installment {
                    due_date: d("2026-02-01"),
                    amount_minor: 100_00
                },
                Installment {
                    due_date: d("2026-03-01"),
                    amount_minor: 200_00
                },
            ]
        );
        assert_eq!(
            by_number("INV-000004"),
            terms("eom15").schedule(d("2026-01-20"), 500_00)
        );
        assert_eq!(by_number("OLD-1")[0].due_date, d("2025-12-01"));
        assert_eq!(
            headers.len(),
            8,
            "drafts are not headers; every issued or voided invoice is"
        );
    }
);

storage_test!(
    fn the_aging_on_a_past_date_ignores_what_came_later(store: &mut Store) {
        let acme = book(store);
        //                                               current  1-30    31-60    61-90   90+
        // Before the 1 500.00 payment: INV-000001 600 (42 days), INV-000002
        // 300 (33) + 300 (3) + 300 (current), INV-000003 100 (41) + 200 (13),
        // INV-000007 120 (current).
        assert_eq!(
            row(store, &acme, "ALPHA", "2026-03-14"),
            [420_00, 500_00, 1000_00, 0, 0]
        );
        assert_eq!(
            row(store, &acme, "ALPHA", "2026-03-15"),
            [420_00, 0, 0, 0, 0]
        );
        // INV-000007 (due 03-17) less its credit note, 3 days late.
        assert_eq!(
            row(store, &acme, "ALPHA", "2026-03-20"),
            [300_00, 100_00, 0, 0, 0],
            "after the credit note"
        );
        // The last installment of INV-000002 (due 04-10) is 81 days late, the
        // rest of INV-000007 104.
        assert_eq!(
            row(store, &acme, "ALPHA", "2026-06-29"),
            [0, 0, 0, 300_00, 100_00],
            "before the write-off"
        );
        assert_eq!(
            row(store, &acme, "ALPHA", "2026-06-30"),
            [0, 0, 0, 300_00, 0],
            "after the write-off"
        );
        // BETA: INV-000006 counts until it was voided; INV-000004 is partly paid
        // until the payment bounced; OLD-1 was overdue from its first day.
        assert_eq!(
            row(store, &acme, "BETA", "2026-02-28"),
            [0, 200_00 + 250_00, 0, 75_00, 0]
        );
        assert_eq!(
            row(store, &acme, "BETA", "2026-03-01"),
            [0, 200_00, 0, 75_00, 0]
        );
        assert_eq!(
            row(store, &acme, "BETA", "2026-04-05"),
            [0, 0, 500_00, 0, 75_00]
        );
        assert_eq!(
            row(store, &acme, "BETA", "2025-12-20"),
            [0, 75_00, 0, 0, 0],
            "19 days late when issued"
        );
        assert_eq!(
            row(store, &acme, "BETA", "2025-12-19"),
            [0; 5],
            "before it was issued"
        );

        // The detail lists each open part with its own due date and bucket.
        let (detail, _) = store
            .aging(acme.id, d("2026-03-14"), &AgingEdges::standard(), true)
            .unwrap();
        let parts: Vec<(String, String, i64, usize)> = detail
            .items
            .iter()
            .filter(|i| i.number == "INV-000002" || i.number == "INV-000003")
            .map(|i| {
                (
                    i.number.clone(),
                    i.due_date.to_string(),
                    i.open_minor,
                    i.bucket,
                )
            })
            .collect();
        assert_eq!(
            parts,
            [
                ("INV-000002".into(), "2026-02-09".into(), 300_00, 2),
                ("INV-000002".into(), "2026-03-11".into(), 300_00, 1),
                ("INV-000002".into(), "2026-04-10".into(), 300_00, 0),
                ("INV-000003".into(), "2026-02-01".into(), 100_00, 2),
                ("INV-000003".into(), "2026-03-01".into(), 200_00, 1),
            ]
        );
        // Currencies are reported apart, never added.
        let beta = store.customer(acme.id, "BETA").unwrap();
        let (report, _) = store
            .aging(acme.id, d("2026-03-01"), &AgingEdges::standard(), false)
            .unwrap();
        assert_eq!(
            report.rows[&(beta.id, eur())].amounts_minor,
            [0, 300_00, 0, 0, 0]
        );
        let totals = report.totals();
        assert_eq!(totals[&eur()].total_minor(), 300_00);
        assert_eq!(
            totals[&usd()].total_minor(),
            row(store, &acme, "ALPHA", "2026-03-01").iter().sum::<i64>() + 275_00
        );
    }
);
