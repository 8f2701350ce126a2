//! What the CSV adapter accepts, refuses, and writes back.

use dun_core::import::{InvoiceRow, PaymentRow};
use dun_core::invoice::InvoiceLine;
use dun_core::money::UnitPrice;
use dun_core::{Currency, Date};
use proptest::prelude::*;

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

#[test]
fn consecutive_rows_with_one_number_are_one_invoice() {
    let csv = "number,customer_ref,issue_date,due_date,currency,description,quantity,unit_price,tax_rate\n\
               X-1,C1,2026-01-05,2026-02-04,USD,Hours,2.5,80.00,20\n\
               X-1,C1,2026-01-05,2026-02-04,USD,Travel,1,35.50,\n\
               X-2,C2,2026-01-06,2026-01-06,JPY,Tea,3,1200,8\n";
    let rows = dun_csv::read_invoices(csv.as_bytes())
        .into_result()
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].lines.len(), 2);
    assert_eq!(
        dun_core::invoice::totals(&rows[0].lines).total_minor,
        20000 + 4000 + 3550
    );
    assert_eq!(rows[1].currency.exponent(), 0);
    assert_eq!(
        dun_core::invoice::totals(&rows[1].lines).total_minor,
        3600 + 288
    );
}

#[test]
fn unit_prices_take_four_decimals_more_than_the_currency() {
    let csv = "number,customer_ref,issue_date,due_date,currency,description,quantity,unit_price,tax_rate\n\
               X-1,C1,2026-01-05,2026-02-04,EUR,Bolts,3,13.333,20\n\
               X-1,C1,2026-01-05,2026-02-04,EUR,Cable,2.5,1.234567,\n\
               X-2,C2,2026-01-06,2026-01-06,JPY,Tea,3,101.5,\n\
               X-3,C2,2026-01-06,2026-01-06,EUR,Too fine,1,13.1234567,\n\
               X-4,C2,2026-01-06,2026-01-06,JPY,Too fine,1,1.23456,\n";
    let errors = dun_csv::read_invoices(csv.as_bytes())
        .into_result()
        .unwrap_err();
    let found: Vec<String> = errors.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].contains("row 5, column unit_price ('13.1234567')")
            && found[0]
                .contains("has 7 digits after the point; a unit price in EUR takes at most 6"),
        "{found:?}"
    );
    assert!(
        found[1].contains("('1.23456')")
            && found[1].contains("a unit price in JPY takes at most 4"),
        "{found:?}"
    );
    let good: String = csv.lines().take(4).map(|l| format!("{l}\n")).collect();
    let rows = dun_csv::read_invoices(good.as_bytes())
        .into_result()
        .unwrap();
    // 3 × 13.333 = 39.999 → 40.00 (+ 8.00); 2.5 × 1.234567 → 3.09.
    assert_eq!(
        dun_core::invoice::totals(&rows[0].lines).total_minor,
        40_00 + 8_00 + 3_09
    );
    // 3 × 101.5 = 304.5 → 304 yen (half-even).
    assert_eq!(dun_core::invoice::totals(&rows[1].lines).total_minor, 304);
    // Written back exactly as given.
    let mut out = Vec::new();
    dun_csv::write_invoices(&mut out, &rows).unwrap();
    let written = String::from_utf8(out).unwrap();
    assert!(
        written.contains(",3,13.333,20")
            && written.contains(",2.5,1.234567,0")
            && written.contains(",3,101.5,0"),
        "{written}"
    );
}

#[test]
fn a_further_line_that_disagrees_is_named() {
    let csv = "number,customer_ref,issue_date,due_date,currency,amount\n\
               X-1,C1,2026-01-05,2026-02-04,USD,1.00\n\
               X-1,C2,2026-01-05,2026-02-04,USD,1.00\n";
    let errors = dun_csv::read_invoices(csv.as_bytes())
        .into_result()
        .unwrap_err();
    assert_eq!(errors.errors.len(), 1);
    assert_eq!(
        (errors.errors[0].row, errors.errors[0].column.as_str()),
        (3, "number")
    );
}

#[test]
fn every_field_problem_is_reported_at_once() {
    let csv = "date,customer_ref,amount,currency,invoice_number\n\
               2026-02-30,C1,10.00,USD,\n\
               2026-02-01,,10.00,USD,\n\
               2026-02-01,C1,10.001,USD,\n\
               2026-02-01,C1,-5,USD,\n\
               2026-02-01,C1,5,usd,\n";
    let errors = dun_csv::read_payments(csv.as_bytes())
        .into_result()
        .unwrap_err();
    let found: Vec<(usize, &str)> = errors
        .errors
        .iter()
        .map(|e| (e.row, e.column.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            (2, "date"),
            (3, "customer_ref"),
            (4, "amount"),
            (5, "amount"),
            (6, "currency")
        ]
    );
    assert!(
        errors.errors[2]
            .reason
            .contains("3 digits after the point; USD allows 2"),
        "{}",
        errors.errors[2].reason
    );
}

#[test]
fn unknown_and_missing_columns_are_named_on_the_header_row() {
    let errors = dun_csv::read_customers("ref,nom\nC1,x\n".as_bytes(), usd())
        .into_result()
        .unwrap_err();
    let text = errors.to_string();
    assert!(text.contains("row 1, column nom: unknown column"), "{text}");
    assert!(
        text.contains("row 1, column name: required column is missing"),
        "{text}"
    );
}

fn date() -> impl Strategy<Value = Date> {
    (0i32..3000).prop_map(|d| Date::parse("2024-01-01").unwrap().add_days(d))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn invoices_written_read_back_unchanged(
        specs in prop::collection::vec((date(), 0i32..90, prop::collection::vec((1i64..1_000_000, 0i128..100_000_000_000, prop::sample::select(vec![0i64, 50_000, 88_750, 200_000])), 1..4), prop::sample::select(vec!["USD", "JPY", "BHD"])), 1..20)
    ) {
        let rows: Vec<InvoiceRow> = specs.iter().enumerate().map(|(i, (issue, days, lines, code))| InvoiceRow {
            row: 0,
            number: format!("N-{i}"),
            customer_ref: format!("C{}", i % 3),
            issue_date: *issue,
            due_date: issue.add_days(*days),
            currency: Currency::parse(code).unwrap(),
            description: String::new(),
            // Prices in ten-thousandths of a minor unit: most finer than it.
            lines: lines.iter().enumerate().map(|(j, (q, p, t))| InvoiceLine::priced(&format!("line, \"{j}\""), *q, UnitPrice::from_minor_e4(*p), *t).unwrap()).collect(),
        }).collect();
        let mut out = Vec::new();
        dun_csv::write_invoices(&mut out, &rows).unwrap();
        let back = dun_csv::read_invoices(out.as_slice()).into_result().unwrap();
        prop_assert_eq!(back.len(), rows.len());
        for (a, b) in rows.iter().zip(&back) {
            prop_assert_eq!(&a.number, &b.number);
            prop_assert_eq!(&a.lines, &b.lines);
            prop_assert_eq!(a.due_date, b.due_date);
            prop_assert_eq!(a.currency, b.currency);
        }
    }

    #[test]
    fn payments_written_read_back_unchanged(amounts in prop::collection::vec(1i64..1_000_000_000, 1..20), day in date()) {
        let rows: Vec<PaymentRow> = amounts.iter().enumerate().map(|(i, a)| PaymentRow {
            row: i + 2,
            received_date: day,
            customer_ref: "C1".into(),
            amount_minor: *a,
            currency: usd(),
            method: "card".into(),
            reference: format!("R{i}"),
            invoice_number: (i % 2 == 0).then(|| format!("N-{i}")),
        }).collect();
        let mut out = Vec::new();
        dun_csv::write_payments(&mut out, &rows).unwrap();
        prop_assert_eq!(dun_csv::read_payments(out.as_slice()).into_result().unwrap(), rows);
    }
}
