//! The daily totals the figures read (kept with the entries, per
//! organisation, currency and day) give the figures the entries give, on a
//! book of every kind of posting — invoices in two currencies, payments and
//! their reversal, credit notes, write-offs and their reversal, a void,
//! installments, a plan, a run's charges, back-dated postings and imports —
//! on many dates; migration 31's backfill gives the same totals; and
//! `verify` finds totals that the entries do not give.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use std::collections::BTreeSet;

use common::*;
use dun_core::aging::AgingEdges;
use dun_core::figures::{self, FigureInputs, Figures, Period, PeriodSums};
use dun_core::import::{InvoiceRow, PaymentRow};
use dun_core::invoice::InvoiceLine;
use dun_core::terms::Installment;
use dun_core::{Currency, Date};
use dun_store::db::Conn;
use dun_store::import::ImportRequest;
use dun_store::payments::{Allocate, NewPayment};
use dun_store::plans::NewPlan;
use dun_store::{params, Org, Store};

const APPLY: ImportRequest<'static> = ImportRequest {
    author: "test",
    key: None,
    fingerprint: "sha256:test-file",
    dry_run: false,
    ladder_from: None,
};

fn to(number: &str, amount_minor: i64) -> Allocate {
    Allocate::Explicit(vec![(number.to_string(), amount_minor)])
}

fn imported(
    number: &str,
    customer: &str,
    issued: &str,
    due: &str,
    c: Currency,
    amount: i64,
) -> InvoiceRow {
    InvoiceRow {
        row: 2,
        number: number.to_string(),
        customer_ref: customer.to_string(),
        issue_date: d(issued),
        due_date: d(due),
        currency: c,
        description: format!("Imported {number}"),
        lines: vec![InvoiceLine::new("Imported", 10_000, amount, 0).unwrap()],
    }
}

/// A book with every kind of posting, several of them back-dated (posted
/// after entries of later dates).
fn book(store: &mut Store) -> Org {
    let acme = org(store, "Acme Ltd");
    let alpha = customer(store, &acme, "ALPHA");
    let beta = customer(store, &acme, "BETA");
    let pay = |store: &mut Store, payment: NewPayment, allocate: Allocate| {
        store
            .record_payment(acme.id, &payment, &allocate, None)
            .expect("record the payment")
    };
    invoice(store, &acme, &alpha, "2026-01-05", "net30", 1000_00); // INV-000001
    invoice(store, &acme, &beta, "2026-01-10", "net14", 500_00); // INV-000002
    issue_draft(
        store,
        &acme,
        &draft_in(beta.id, eur(), d("2026-01-12"), "net30", 800_00),
    ); // INV-000003 EUR
    invoice(
        store,
        &acme,
        &alpha,
        "2026-01-20",
        "installments:30/60",
        600_00,
    ); // INV-000004
    pay(
        store,
        payment(&alpha, "2026-01-25", 400_00),
        to("INV-000001", 400_00),
    );
    invoice(store, &acme, &beta, "2026-02-01", "due_on_receipt", 300_00); // INV-000005
    store
        .void_invoice(acme.id, "INV-000005", d("2026-02-03"), "sent twice", None)
        .expect("void");
    // Back-dated: an invoice of December, and a payment of January on it.
    invoice(store, &acme, &beta, "2025-12-15", "net30", 250_00); // INV-000006
    pay(
        store,
        payment(&beta, "2026-01-08", 100_00),
        to("INV-000006", 100_00),
    );
    store
        .reduce_invoice(
            acme.id,
            "INV-000002",
            &credit_note(Some(50_00), "2026-02-05"),
            None,
        )
        .expect("credit note");
    store
        .reduce_invoice(
            acme.id,
            "INV-000001",
            &write_off(Some(200_00), "2026-02-20"),
            None,
        )
        .expect("write-off");
    store
        .reverse_write_off(
            acme.id,
            "INV-000001",
            d("2026-03-05"),
            "they paid after all",
            None,
        )
        .expect("reverse the write-off");
    let posted = pay(
        store,
        payment(&alpha, "2026-02-25", 300_00),
        to("INV-000004", 300_00),
    );
    store
        .reverse_payment(acme.id, posted.payment_id, d("2026-03-02"), "bounced", None)
        .expect("reverse the payment");
    store
        .reduce_invoice(acme.id, "INV-000006", &write_off(None, "2026-03-10"), None)
        .expect("write off the rest");
    // Imported history, some of it due before it was issued.
    let rows = vec![
        imported("OLD-1", "ALPHA", "2025-11-20", "2025-12-20", usd(), 700_00),
        imported("OLD-2", "BETA", "2026-02-10", "2026-02-01", usd(), 150_00),
        imported("OLD-3", "BETA", "2026-01-15", "2026-03-15", eur(), 900_00),
    ];
    store
        .import_invoices(acme.id, &rows, &APPLY, &mut |_| {})
        .expect("import invoices");
    let payments = vec![
        PaymentRow {
            row: 2,
            received_date: d("2026-01-02"),
            customer_ref: "ALPHA".into(),
            amount_minor: 300_00,
            currency: usd(),
            method: "transfer".into(),
            reference: "BANK-1".into(),
            invoice_number: Some("OLD-1".into()),
        },
        PaymentRow {
            row: 3,
            received_date: d("2026-02-28"),
            customer_ref: "BETA".into(),
            amount_minor: 150_00,
            currency: usd(),
            method: "transfer".into(),
            reference: "BANK-2".into(),
            invoice_number: Some("OLD-2".into()),
        },
    ];
    store
        .import_payments(acme.id, &payments, &APPLY, &mut |_| {})
        .expect("import payments");
    store
        .create_plan(
            acme.id,
            &NewPlan {
                customer_ref: "BETA".into(),
                invoices: dun_store::plans::PlanInvoices::Named(vec!["INV-000002".into()]),
                installments: dun_store::plans::PlanInstallments::Given(vec![
                    Installment {
                        due_date: d("2026-03-20"),
                        amount_minor: 200_00,
                    },
                    Installment {
                        due_date: d("2026-04-20"),
                        amount_minor: 250_00,
                    },
                ]),
                created_on: d("2026-03-01"),
                author: "clerk".into(),
            },
            None,
        )
        .expect("a plan");
    invoice(store, &acme, &alpha, "2026-03-25", "net30", 450_00);
    pay(
        store,
        payment(&alpha, "2026-04-02", 450_00),
        to("INV-000007", 450_00),
    );
    acme
}

/// The figures of `period` computed from the entries themselves, with the
/// aging's current bucket as the current AR: what the totals must give.
fn from_entries(store: &mut Store, org_id: i64, period: Period) -> Vec<Figures> {
    let entries = store.entries(org_id).unwrap();
    let (aging, _) = store
        .aging(org_id, period.end, &AgingEdges::standard(), false)
        .unwrap();
    let totals = aging.totals();
    let currencies: BTreeSet<Currency> = entries.iter().map(|e| e.entry.currency).collect();
    let ar = |currency: Currency, date: Date| -> i64 {
        let mut s = PeriodSums::default();
        for e in entries.iter().map(|e| &e.entry) {
            if e.currency == currency && e.invoice_id.is_some() && e.effective_date <= date {
                s.add(e.kind, e.ar_minor);
            }
        }
        s.net_minor()
    };
    currencies
        .into_iter()
        .map(|currency| {
            let mut sums = PeriodSums::default();
            for e in entries.iter().map(|e| &e.entry) {
                if e.currency == currency
                    && e.invoice_id.is_some()
                    && period.contains(e.effective_date)
                {
                    sums.add(e.kind, e.ar_minor);
                }
            }
            FigureInputs {
                currency,
                period,
                beginning_ar_minor: ar(currency, period.day_before()),
                ending_ar_minor: ar(currency, period.end),
                ending_current_ar_minor: totals
                    .get(&currency)
                    .map_or(0, |row| row.amounts_minor[0]),
                sums,
            }
        })
        .filter(figures::has_activity)
        .map(|inputs| figures::compute(&inputs))
        .collect()
}

/// Every figure of every period ending on one of many dates, from the
/// totals, equals the entries'; a trend's points are those figures.
fn assert_figures_are_the_entries(store: &mut Store, org_id: i64) {
    let mut date = d("2025-11-01");
    let mut checked = 0;
    while date <= d("2026-05-15") {
        for days in [1, 7, 30, 90] {
            let period = Period::new(date, days).unwrap();
            let kept = store.figures(org_id, date, days).unwrap();
            assert_eq!(
                kept,
                from_entries(store, org_id, period),
                "{days} days to {date}"
            );
            checked += kept.len();
        }
        date = date.add_days(4);
    }
    assert!(checked > 100, "only {checked} figures had anything to say");
    for (end, days, points, step) in [("2026-04-30", 90, 12, 7), ("2026-03-31", 30, 6, 30)] {
        let trend = store
            .figures_trend(org_id, d(end), days, points, step)
            .unwrap();
        assert_eq!(trend.len(), points as usize);
        for point in &trend {
            let alone = store
                .figures(org_id, point.period.end, point.period.days)
                .unwrap();
            assert_eq!(point.figures, alone, "{}", point.period.end);
        }
    }
}

storage_test!(
    fn the_figures_read_from_the_totals_are_the_entries(store: &mut Store) {
        let acme = book(store);
        assert_eq!(store.verify(acme.id).unwrap(), Vec::<String>::new());
        assert_figures_are_the_entries(store, acme.id);
    }
);

storage_test!(
    /// Migration 31 run on a book written without it fills the same totals.
    fn the_backfill_gives_the_same_totals(store: &mut Store, url: &str) {
        let acme = book(store);
        let before: Vec<Vec<Figures>> = (0..20)
            .map(|k| {
                store
                    .figures(acme.id, d("2026-01-01").add_days(k * 7), 30)
                    .unwrap()
            })
            .collect();
        let mut conn = Conn::open(url).unwrap();
        let mut tx = conn.transaction().unwrap();
        for sql in [
            "DROP INDEX invoices_split_by_last_entry",
            "DROP TABLE daily_totals",
            "DELETE FROM schema_migrations WHERE version = 31",
        ] {
            tx.execute(sql, &[]).unwrap();
        }
        tx.commit().unwrap();
        drop(conn);
        let mut reopened = Store::open(url).expect("migrate again");
        assert_eq!(reopened.verify(acme.id).unwrap(), Vec::<String>::new());
        let after: Vec<Vec<Figures>> = (0..20)
            .map(|k| {
                reopened
                    .figures(acme.id, d("2026-01-01").add_days(k * 7), 30)
                    .unwrap()
            })
            .collect();
        assert_eq!(after, before);
        assert_figures_are_the_entries(&mut reopened, acme.id);
    }
);

storage_test!(
    /// A kept total the entries do not give is found, by currency and day.
    fn verify_finds_a_total_the_entries_do_not_give(store: &mut Store, url: &str) {
        let acme = book(store);
        let day = i64::from(d("2026-02-20").day_number());
        let mut conn = Conn::open(url).unwrap();
        let mut tx = conn.transaction().unwrap();
        tx.execute(
            "UPDATE daily_totals SET written_off_minor = written_off_minor + 1
             WHERE org_id = $1 AND currency = 'USD' AND day = $2",
            params![acme.id, day],
        )
        .unwrap();
        tx.commit().unwrap();
        let problems = store.verify(acme.id).unwrap();
        assert_eq!(
            problems,
            ["the daily totals of USD on 2026-02-20 keep written_off_minor 20001 where the entries give 20000"]
        );
        // Put back, for the after-scenario check.
        let mut tx = conn.transaction().unwrap();
        tx.execute(
            "UPDATE daily_totals SET written_off_minor = written_off_minor - 1
             WHERE org_id = $1 AND currency = 'USD' AND day = $2",
            params![acme.id, day],
        )
        .unwrap();
        tx.commit().unwrap();
    }
);
