//! The collection figures read from the store, on a small book whose
//! figures were computed by hand, and held equal to the aging report's AR
//! and current AR on every date around the book's events.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use common::*;
use dun_core::aging::AgingEdges;
use dun_core::figures::{Absence, Figure, Figures, PeriodSums};
use dun_core::terms::Installment;
use dun_core::Currency;
use dun_store::payments::{Allocate, NewPayment};
use dun_store::plans::NewPlan;
use dun_store::{Org, Store, StoreError};

fn to(number: &str, amount_minor: i64) -> Allocate {
    Allocate::Explicit(vec![(number.to_string(), amount_minor)])
}

/// The book, in the order it happened:
///
/// ```text
/// INV-000001  ALPHA 2025-12-01 net30               1000.00 USD  paid 01-20
/// INV-000002  BETA  2025-12-15 net30                500.00 USD  200 paid 12-20, 300 paid 02-10
/// INV-000003  ALPHA 2026-01-10 net30 (due 02-09)   2000.00 USD  1500 paid 02-20, credit note 50 03-01,
///                                                               150 written off 03-25: 300 open
/// INV-000004  BETA  2026-02-01 net30                600.00 USD  voided 02-05
/// INV-000005  BETA  2026-02-01 net30 (due 03-03)    400.00 EUR
/// INV-000006  ALPHA 2026-03-01 installments:30/60   200.00 USD  100 due 03-31, 100 due 04-30; paid 04-05
/// INV-000007  BETA  2026-03-15 net30 (due 04-14)    900.00 USD  paid 04-10
/// INV-000008  ALPHA 2026-03-20 due on receipt       100.00 USD
/// INV-000009  ALPHA 2026-04-05 net30                700.00 USD  (after the periods below)
/// ```
fn book(store: &mut Store) -> Org {
    let acme = org(store, "Acme Ltd");
    let alpha = customer(store, &acme, "ALPHA");
    let beta = customer(store, &acme, "BETA");
    let pay = |store: &mut Store, payment: NewPayment, allocate: Allocate| {
        store
            .record_payment(acme.id, &payment, &allocate, None)
            .expect("record the payment");
    };
    invoice(store, &acme, &alpha, "2025-12-01", "net30", 1000_00);
    invoice(store, &acme, &beta, "2025-12-15", "net30", 500_00);
    pay(
        store,
        payment(&beta, "2025-12-20", 200_00),
        to("INV-000002", 200_00),
    );
    invoice(store, &acme, &alpha, "2026-01-10", "net30", 2000_00);
    pay(
        store,
        payment(&alpha, "2026-01-20", 1000_00),
        to("INV-000001", 1000_00),
    );
    invoice(store, &acme, &beta, "2026-02-01", "net30", 600_00);
    store
        .void_invoice(acme.id, "INV-000004", d("2026-02-05"), "sent twice", None)
        .expect("void");
    issue_draft(
        store,
        &acme,
        &draft_in(beta.id, eur(), d("2026-02-01"), "net30", 400_00),
    );
    pay(
        store,
        payment(&beta, "2026-02-10", 300_00),
        to("INV-000002", 300_00),
    );
    pay(
        store,
        payment(&alpha, "2026-02-20", 1500_00),
        to("INV-000003", 1500_00),
    );
    invoice(
        store,
        &acme,
        &alpha,
        "2026-03-01",
        "installments:30/60",
        200_00,
    );
    store
        .reduce_invoice(
            acme.id,
            "INV-000003",
            &credit_note(Some(50_00), "2026-03-01"),
            None,
        )
        .expect("credit note");
    invoice(store, &acme, &beta, "2026-03-15", "net30", 900_00);
    invoice(store, &acme, &alpha, "2026-03-20", "due_on_receipt", 100_00);
    store
        .reduce_invoice(
            acme.id,
            "INV-000003",
            &write_off(Some(150_00), "2026-03-25"),
            None,
        )
        .expect("write-off");
    invoice(store, &acme, &alpha, "2026-04-05", "net30", 700_00);
    pay(
        store,
        payment(&alpha, "2026-04-05", 200_00),
        to("INV-000006", 200_00),
    );
    pay(
        store,
        payment(&beta, "2026-04-10", 900_00),
        to("INV-000007", 900_00),
    );
    acme
}

fn of(figures: &[Figures], currency: Currency) -> &Figures {
    figures
        .iter()
        .find(|f| f.currency == currency)
        .unwrap_or_else(|| panic!("no {currency} figures in {figures:?}"))
}

fn shown(figure: Figure) -> String {
    figure.display()
}

storage_test!(
    /// The first quarter of 2026 (90 days ending 2026-03-31; beginning AR
    /// is AR at the end of 2025-12-31), by hand:
    ///
    /// USD: beginning 1000 + 300 = 1300.00. Invoiced 2000 + 600 + 200 +
    /// 900 + 100 = 3800.00, voided 600.00: credit sales 3200.00. Collected
    /// 1000 + 300 + 1500 = 2800.00, credited 50.00, written off 150.00.
    /// Ending 1300 + 3200 − 3000 = 1500.00 (INV-3 300, INV-6 200, INV-7
    /// 900, INV-8 100), current 200 + 900 = 1100.00 (INV-6's parts are due
    /// 03-31 and 04-30; INV-3 and INV-8 are past due). Later payments and
    /// INV-9 do not count.
    /// DSO = 1500 / 3200 × 90 = 42.1875 → 42.2; best = 1100 / 3200 × 90 =
    /// 30.9375 → 30.9; ADD = 400 / 3200 × 90 = 11.25 → 11.2 (half-even);
    /// CEI = 3000 / 3400 = 88.235…% → 88.2; bad debt = 150 / 3200 =
    /// 4.6875% → 4.69.
    ///
    /// EUR: nothing before, 400.00 invoiced 02-01, due 03-03: DSO = 90.0,
    /// best 0.0, ADD 90.0, CEI = (0 + 400 − 400) / (0 + 400 − 0) = 0.0.
    fn the_first_quarter_by_hand(store: &mut Store) {
        let acme = book(store);
        let figures = store.figures(acme.id, d("2026-03-31"), 90).unwrap();
        assert_eq!(figures.len(), 2, "{figures:?}");
        let u = of(&figures, usd());
        assert_eq!(u.period_first_day, d("2026-01-01"));
        assert_eq!(u.beginning_ar_minor, 1300_00);
        assert_eq!(
            u.sums,
            PeriodSums {
                invoiced_minor: 3800_00,
                voided_minor: 600_00,
                charged_minor: 0,
                collected_minor: 2800_00,
                credited_minor: 50_00,
                written_off_minor: 150_00,
            }
        );
        assert_eq!(u.credit_sales_minor, 3200_00);
        assert_eq!(u.ending_ar_minor, 1500_00);
        assert_eq!(u.ending_current_ar_minor, 1100_00);
        assert_eq!(u.ending_past_due_ar_minor, 400_00);
        assert_eq!(shown(u.dso), "42.2");
        assert_eq!(shown(u.best_possible_dso), "30.9");
        assert_eq!(shown(u.average_days_delinquent), "11.2");
        assert_eq!(shown(u.cei), "88.2");
        assert_eq!(shown(u.bad_debt_ratio), "4.69");

        let e = of(&figures, eur());
        assert_eq!(
            (
                e.beginning_ar_minor,
                e.ending_ar_minor,
                e.ending_current_ar_minor
            ),
            (0, 400_00, 0)
        );
        assert_eq!(shown(e.dso), "90.0");
        assert_eq!(shown(e.best_possible_dso), "0.0");
        assert_eq!(shown(e.average_days_delinquent), "90.0");
        assert_eq!(shown(e.cei), "0.0");
        assert_eq!(shown(e.bad_debt_ratio), "0.00");
    }
);

storage_test!(
    /// February 2026 (28 days; beginning AR at the end of 01-31), by hand:
    /// USD began at 300 (INV-2) + 2000 (INV-3) = 2300.00; INV-4 was issued
    /// and voided (credit sales 0), 1800.00 collected, ending 500.00, none
    /// current. No sales: the day figures and the bad-debt ratio are
    /// absent; CEI = 1800 / 2300 = 78.26…% → 78.3.
    /// EUR: 400.00 invoiced and current at 02-28: DSO = best = 28.0, ADD 0.0;
    /// CEI has nothing collectible (0 + 400 − 400) and is absent.
    fn a_month_without_sales(store: &mut Store) {
        let acme = book(store);
        let figures = store.figures(acme.id, d("2026-02-28"), 28).unwrap();
        let u = of(&figures, usd());
        assert_eq!(
            (
                u.beginning_ar_minor,
                u.ending_ar_minor,
                u.ending_current_ar_minor
            ),
            (2300_00, 500_00, 0)
        );
        assert_eq!(u.credit_sales_minor, 0);
        for figure in [
            u.dso,
            u.best_possible_dso,
            u.average_days_delinquent,
            u.bad_debt_ratio,
        ] {
            assert_eq!(figure, Figure::Absent(Absence::NoCreditSales));
        }
        assert_eq!(shown(u.cei), "78.3");
        let e = of(&figures, eur());
        assert_eq!(shown(e.dso), "28.0");
        assert_eq!(shown(e.best_possible_dso), "28.0");
        assert_eq!(shown(e.average_days_delinquent), "0.0");
        assert_eq!(e.cei, Figure::Absent(Absence::NothingCollectible));
    }
);

storage_test!(
    /// AR and current AR agree with the aging report as of every date
    /// around the book's events, through every route (unmoved, moved
    /// later, installments), and beginning + movements = ending.
    fn ar_equals_the_aging_on_every_date(store: &mut Store) {
        let acme = book(store);
        // Two payment plans: their invoices are current by the plan's
        // dates in the aging and in the figures alike.
        for (customer, number, made, parts) in [
            (
                "BETA",
                "INV-000005",
                "2026-03-10",
                [("2026-03-31", 200_00), ("2026-04-30", 200_00)],
            ),
            (
                "ALPHA",
                "INV-000008",
                "2026-03-25",
                [("2026-04-15", 50_00), ("2026-05-15", 50_00)],
            ),
        ] {
            store
                .create_plan(
                    acme.id,
                    &NewPlan {
                        customer_ref: customer.into(),
                        invoices: vec![number.into()].into(),
                        installments: parts
                            .iter()
                            .map(|(due, amount_minor)| Installment {
                                due_date: d(due),
                                amount_minor: *amount_minor,
                            })
                            .collect(),
                        created_on: d(made),
                        author: "clerk".into(),
                    },
                    None,
                )
                .unwrap();
        }
        let edges = AgingEdges::standard();
        let mut date = d("2025-11-25");
        while date <= d("2026-05-10") {
            for days in [1, 30] {
                let figures = store.figures(acme.id, date, days).unwrap();
                let (aging, _) = store.aging(acme.id, date, &edges, false).unwrap();
                let totals = aging.totals();
                for currency in [usd(), eur()] {
                    let (total, current) = totals
                        .get(&currency)
                        .map_or((0, 0), |row| (row.total_minor(), row.amounts_minor[0]));
                    let found = figures.iter().find(|f| f.currency == currency);
                    let (ending, ending_current) =
                        found.map_or((0, 0), |f| (f.ending_ar_minor, f.ending_current_ar_minor));
                    assert_eq!(
                        (ending, ending_current),
                        (total, current),
                        "{currency} on {date}"
                    );
                    if let Some(f) = found {
                        assert_eq!(
                            f.beginning_ar_minor + f.sums.net_minor(),
                            f.ending_ar_minor,
                            "{currency} on {date}"
                        );
                    }
                }
            }
            date = date.add_days(3);
        }
    }
);

storage_test!(
    /// A trend is the same figures period by period, read in one snapshot.
    fn a_trend_is_its_points(store: &mut Store) {
        let acme = book(store);
        let trend = store
            .figures_trend(acme.id, d("2026-03-31"), 90, 4, 30)
            .unwrap();
        let ends: Vec<String> = trend.iter().map(|p| p.period.end.to_string()).collect();
        assert_eq!(
            ends,
            ["2025-12-31", "2026-01-30", "2026-03-01", "2026-03-31"]
        );
        for point in &trend {
            let alone = store
                .figures(acme.id, point.period.end, point.period.days)
                .unwrap();
            assert_eq!(point.figures, alone, "{}", point.period.end);
        }
        let last = trend.last().unwrap();
        assert_eq!(shown(of(&last.figures, usd()).dso), "42.2");
    }
);

storage_test!(
    /// Bad arguments are refused with what is accepted; an empty book has
    /// nothing to report.
    fn bad_periods_are_refused(store: &mut Store) {
        let acme = org(store, "Empty Ltd");
        assert_eq!(store.figures(acme.id, d("2026-03-31"), 90).unwrap(), []);
        let refused = store.figures(acme.id, d("2026-03-31"), 0).unwrap_err();
        assert!(
            matches!(&refused, StoreError::Invalid(m) if m.contains("1 to 3660 days")),
            "{refused}"
        );
        let refused = store
            .figures_trend(acme.id, d("2026-03-31"), 90, 0, 30)
            .unwrap_err();
        assert!(matches!(refused, StoreError::Invalid(_)), "{refused}");
    }
);
