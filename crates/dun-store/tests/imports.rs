//! Imports: whole files applied all or nothing, every bad row reported by
//! row and column, unusual history accepted with a warning, dry runs
//! writing nothing.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use common::*;
use dun_core::import::{CustomerRow, InvoiceRow, PaymentRow, RowError};
use dun_core::invoice::InvoiceLine;
use dun_core::Currency;
use dun_store::import::{ImportRequest, ImportSummary};
use dun_store::payments::Allocate;
use dun_store::{Store, StoreError};

const APPLY: ImportRequest<'static> = ImportRequest {
    author: "test",
    key: None,
    fingerprint: "sha256:test-file",
    dry_run: false,
    ladder_from: None,
};
const DRY_RUN: ImportRequest<'static> = ImportRequest {
    author: "test",
    key: None,
    fingerprint: "sha256:test-file",
    dry_run: true,
    ladder_from: None,
};

/// The (row, column) of every problem, in file order.
fn problems(result: Result<ImportSummary, StoreError>) -> Vec<(usize, String)> {
    match result {
        Err(StoreError::Import(errors)) => {
            let mut list: Vec<&RowError> = errors.errors.iter().collect();
            list.sort_by(|a, b| (a.row, &a.column).cmp(&(b.row, &b.column)));
            list.into_iter()
                .map(|e| (e.row, e.column.clone()))
                .collect()
        }
        other => panic!("the import was not refused: {other:?}"),
    }
}

fn expected(list: &[(usize, &str)]) -> Vec<(usize, String)> {
    list.iter()
        .map(|(row, column)| (*row, column.to_string()))
        .collect()
}

fn customer_line(row: usize, reference: &str, name: &str) -> CustomerRow {
    CustomerRow {
        row,
        ..customer_row(reference, name)
    }
}

fn invoice_line(
    row: usize,
    number: &str,
    customer: &str,
    issued: &str,
    due: &str,
    currency: Currency,
    amount_minor: i64,
) -> InvoiceRow {
    InvoiceRow {
        row,
        number: number.to_string(),
        customer_ref: customer.to_string(),
        issue_date: d(issued),
        due_date: d(due),
        currency,
        description: format!("Imported {number}"),
        lines: vec![InvoiceLine::new("Imported", 10_000, amount_minor, 0).unwrap()],
    }
}

fn payment_line(
    row: usize,
    customer: &str,
    received: &str,
    amount_minor: i64,
    invoice: Option<&str>,
) -> PaymentRow {
    PaymentRow {
        row,
        received_date: d(received),
        customer_ref: customer.to_string(),
        amount_minor,
        currency: usd(),
        method: "transfer".to_string(),
        reference: format!("BANK-{row}"),
        invoice_number: invoice.map(str::to_string),
    }
}

storage_test!(
    fn a_customer_file_with_bad_rows_writes_nothing(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        customer(store, &acme, "EXISTING");
        let mut bad_email = customer_line(4, "GAMMA", "Gamma");
        bad_email.email = Some("not-an-address".into());
        let rows = vec![
            customer_line(2, "ALPHA", "Alpha"),
            customer_line(3, "BETA", "Beta"),
            bad_email,
            customer_line(5, "EXISTING", "Existing again"),
            customer_line(6, "DELTA", " "),
            customer_line(7, "BETA", "Beta"),
        ];
        let before = snapshot(store, acme.id);
        let refused = store.import_customers(acme.id, &rows, &APPLY, &mut |_| {});
        let message = match &refused {
            Err(e) => e.to_string(),
            Ok(_) => String::new(),
        };
        assert_eq!(
            problems(refused),
            expected(&[(4, "email"), (5, "ref"), (6, "name")])
        );
        assert!(
            message.contains("nothing was written")
                && message.contains("row 5, column ref ('EXISTING')"),
            "{message}"
        );
        assert_eq!(snapshot(store, acme.id), before);
        // A dry run finds the same problems.
        assert_eq!(
            problems(store.import_customers(acme.id, &rows, &DRY_RUN, &mut |_| {})).len(),
            3
        );
    }
);

storage_test!(
    fn a_customer_listed_twice_is_imported_once_with_a_warning(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let rows = vec![
            customer_line(2, "ALPHA", "Alpha"),
            customer_line(3, "BETA", "Beta"),
            customer_line(4, "BETA", "Beta"),
            customer_line(5, "ALPHA", "Alpha Renamed"),
        ];
        let dry = store
            .import_customers(acme.id, &rows, &DRY_RUN, &mut |_| {})
            .unwrap();
        assert!(dry.dry_run && dry.written == 0, "{dry:?}");
        assert!(
            store.customers(acme.id).unwrap().is_empty(),
            "the dry run wrote customers"
        );

        let mut progressed = 0;
        let summary = store
            .import_customers(acme.id, &rows, &APPLY, &mut |n| progressed += n)
            .unwrap();
        assert_eq!(
            (summary.rows, summary.written, summary.dry_run, progressed),
            (4, 2, false, 2)
        );
        let warned: Vec<Vec<usize>> = summary.warnings.iter().map(|w| w.rows.clone()).collect();
        assert_eq!(warned, [vec![4], vec![5]]);
        assert!(
            summary.warnings[1].message.contains("another name"),
            "{:?}",
            summary.warnings
        );
        assert_eq!(
            dry.warnings, summary.warnings,
            "a dry run warns as the real run does"
        );
        let names: Vec<(String, String)> = store
            .customers(acme.id)
            .unwrap()
            .into_iter()
            .map(|c| (c.reference, c.name))
            .collect();
        assert_eq!(
            names,
            [
                ("ALPHA".into(), "Alpha".into()),
                ("BETA".into(), "Beta".into())
            ]
        );
    }
);

storage_test!(
    fn an_invoice_file_with_bad_rows_writes_nothing(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        customer(store, &acme, "BETA");
        invoice(store, &acme, &alpha, "2026-01-05", "net30", 10_00); // INV-000001
        let rows = vec![
            invoice_line(
                2,
                "OLD-1",
                "ALPHA",
                "2025-11-01",
                "2025-12-01",
                usd(),
                100_00,
            ),
            invoice_line(
                3,
                "OLD-2",
                "BETA",
                "2025-11-02",
                "2025-12-02",
                usd(),
                200_00,
            ),
            invoice_line(
                4,
                "OLD-3",
                "NOBODY",
                "2025-11-03",
                "2025-12-03",
                usd(),
                300_00,
            ),
            invoice_line(
                5,
                "OLD-2",
                "ALPHA",
                "2025-11-04",
                "2025-12-04",
                usd(),
                400_00,
            ),
            invoice_line(
                6,
                "INV-000001",
                "ALPHA",
                "2025-11-05",
                "2025-12-05",
                usd(),
                500_00,
            ),
            invoice_line(
                7,
                "OLD-2",
                "GHOST",
                "2025-11-06",
                "2025-12-06",
                usd(),
                600_00,
            ),
        ];
        let before = snapshot(store, acme.id);
        let refused = store.import_invoices(acme.id, &rows, &APPLY, &mut |_| {});
        let message = format!(
            "{:?}",
            refused.as_ref().map(|_| ()).map_err(ToString::to_string)
        );
        assert_eq!(
            problems(refused),
            expected(&[
                (4, "customer_ref"),
                (5, "number"),
                (6, "number"),
                (7, "customer_ref"),
                (7, "number")
            ])
        );
        assert!(message.contains("row 5, column number ('OLD-2'): the number is used twice in this file (also row 3)"), "{message}");
        assert!(message.contains("row 6, column number ('INV-000001'): an invoice with this number is already in the book"), "{message}");
        assert!(message.contains("5 problem(s) in all"), "{message}");
        assert_eq!(
            snapshot(store, acme.id),
            before,
            "a refused import wrote something"
        );
        // Nor did it move the invoice sequence.
        assert_eq!(
            invoice(store, &acme, &alpha, "2026-01-06", "net30", 10_00).number,
            "INV-000002"
        );
    }
);

storage_test!(
    /// An imported invoice priced finer than the cent keeps its price and
    /// owes the rounded lines: 3 × 13.333 = 40.00, 2.5 × 1.234567 = 3.09.
    fn an_imported_unit_price_finer_than_the_cent_is_kept(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        customer(store, &acme, "ALPHA");
        let price = |t: &str| dun_core::money::UnitPrice::parse(t, usd()).unwrap();
        let mut row = invoice_line(2, "OLD-1", "ALPHA", "2025-11-01", "2025-12-01", usd(), 1);
        row.lines = vec![
            InvoiceLine::priced("Bolts", 30_000, price("13.333"), 0).unwrap(),
            InvoiceLine::priced("Cable", 25_000, price("1.234567"), 0).unwrap(),
        ];
        store
            .import_invoices(acme.id, std::slice::from_ref(&row), &APPLY, &mut |_| {})
            .unwrap();
        let view = store.invoice(acme.id, "OLD-1", d("2025-11-01")).unwrap();
        assert_eq!(view.lines, row.lines);
        assert_eq!((view.totals.total_minor, view.open_minor), (43_09, 43_09));
    }
);

storage_test!(
    fn unusual_invoice_history_is_imported_with_warnings(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        customer(store, &acme, "BETA");
        let rows = vec![
            invoice_line(
                2,
                "INV-000007",
                "ALPHA",
                "2025-11-01",
                "2025-12-01",
                usd(),
                100_00,
            ),
            invoice_line(
                3,
                "OLD-9",
                "BETA",
                "2025-11-10",
                "2025-11-01",
                usd(),
                200_00,
            ),
            invoice_line(
                4,
                "OLD-10",
                "ALPHA",
                "2025-11-15",
                "2025-12-15",
                eur(),
                300_00,
            ),
            invoice_line(
                5,
                "OLD-11",
                "ALPHA",
                "2025-11-20",
                "2025-11-10",
                eur(),
                400_00,
            ),
        ];
        let before = snapshot(store, acme.id);
        let dry = store
            .import_invoices(acme.id, &rows, &DRY_RUN, &mut |_| {})
            .unwrap();
        assert!(dry.dry_run && dry.written == 0 && dry.rows == 4, "{dry:?}");
        assert_eq!(
            snapshot(store, acme.id),
            before,
            "the dry run wrote something"
        );

        let summary = store
            .import_invoices(acme.id, &rows, &APPLY, &mut |_| {})
            .unwrap();
        assert_eq!((summary.rows, summary.written), (4, 4));
        assert_eq!(summary.warnings, dry.warnings);
        let warned: Vec<(Vec<usize>, bool)> = summary
            .warnings
            .iter()
            .map(|w| {
                (
                    w.rows.clone(),
                    w.message.contains("due date before the issue date"),
                )
            })
            .collect();
        assert_eq!(warned, [(vec![3, 5], true), (vec![4, 5], false)]);
        assert!(
            summary.warnings[1].message.contains("organisation's USD"),
            "{:?}",
            summary.warnings
        );

        let after = snapshot(store, acme.id);
        assert_eq!(
            (after.invoices, after.entries),
            (before.invoices + 4, before.entries + 4)
        );
        let early = store.invoice(acme.id, "OLD-9", d("2025-11-10")).unwrap();
        assert_eq!(
            (early.due_date, early.open_minor, early.days_past_due),
            (d("2025-11-01"), 200_00, 9),
            "kept as given"
        );
        assert_eq!(
            store
                .invoice(acme.id, "OLD-10", d("2025-12-01"))
                .unwrap()
                .currency,
            eur()
        );
        // The organisation's own numbers in the history move its sequence on.
        assert_eq!(
            invoice(store, &acme, &alpha, "2026-01-05", "net30", 10_00).number,
            "INV-000008"
        );
    }
);

storage_test!(
    fn a_payment_file_with_bad_rows_writes_nothing(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let beta = customer(store, &acme, "BETA");
        invoice(store, &acme, &alpha, "2026-01-01", "net30", 100_00); // INV-000001
        invoice(store, &acme, &beta, "2026-01-01", "net30", 80_00); // INV-000002
        let rows = vec![
            payment_line(2, "ALPHA", "2026-02-01", 30_00, None),
            payment_line(3, "NOBODY", "2026-02-01", 10_00, None),
            payment_line(4, "ALPHA", "2026-02-01", 10_00, Some("INV-999999")),
            payment_line(5, "ALPHA", "2026-02-01", 0, None),
            payment_line(6, "BETA", "2026-02-01", 10_00, Some("INV-000001")),
            payment_line(7, "BETA", "2026-02-01", 10_00, Some("INV-000002")),
        ];
        let before = snapshot(store, acme.id);
        assert_eq!(
            problems(store.import_payments(acme.id, &rows, &APPLY, &mut |_| {})),
            expected(&[
                (3, "customer_ref"),
                (4, "invoice_number"),
                (5, "amount"),
                (6, "invoice_number")
            ])
        );
        assert_eq!(
            snapshot(store, acme.id),
            before,
            "a refused import wrote something"
        );
    }
);

storage_test!(
    fn a_payment_file_is_allocated_row_by_row(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let beta = customer(store, &acme, "BETA");
        invoice(store, &acme, &alpha, "2026-01-01", "net30", 100_00); // INV-000001 due 01-31
        invoice(store, &acme, &alpha, "2026-01-05", "net10", 50_00); // INV-000002 due 01-15
        invoice(store, &acme, &beta, "2026-01-01", "net30", 80_00); // INV-000003
        let mut euros = payment_line(7, "ALPHA", "2026-02-05", 7_00, None);
        euros.currency = eur();
        let rows = vec![
            payment_line(2, "ALPHA", "2026-02-01", 120_00, None),
            payment_line(3, "ALPHA", "2026-02-02", 40_00, Some("INV-000001")),
            payment_line(4, "BETA", "2026-02-03", 80_00, Some("INV-000003")),
            // Paid in full by the row before: it stays as credit.
            payment_line(5, "BETA", "2026-02-04", 5_00, Some("INV-000003")),
            payment_line(6, "BETA", "2026-02-04", 1_00, None),
            euros,
        ];
        let before = snapshot(store, acme.id);
        let dry = store
            .import_payments(acme.id, &rows, &DRY_RUN, &mut |_| {})
            .unwrap();
        assert!(dry.dry_run && dry.written == 0, "{dry:?}");
        assert_eq!(
            snapshot(store, acme.id),
            before,
            "the dry run wrote something"
        );

        let summary = store
            .import_payments(acme.id, &rows, &APPLY, &mut |_| {})
            .unwrap();
        assert_eq!((summary.rows, summary.written), (6, 6));
        // Each customer's timeline says what the file brought them, by whom.
        let mut imported = |customer: i64| -> Vec<(String, String, String)> {
            store
                .timeline(acme.id, customer, None, 100)
                .unwrap()
                .into_iter()
                .filter(|e| e.kind == "import")
                .map(|e| (e.on_date.to_string(), e.author, e.summary))
                .collect()
        };
        assert_eq!(
            imported(beta.id),
            [(
                "2026-02-04".to_string(),
                "test".to_string(),
                "Imported 3 payments from a file (BANK-4, BANK-5, BANK-6): 86.00 USD".to_string()
            )]
        );
        assert_eq!(
            imported(alpha.id)[0].2,
            "Imported 3 payments from a file (BANK-2, BANK-3, BANK-7): 7.00 EUR + 160.00 USD"
        );
        for number in ["INV-000001", "INV-000002", "INV-000003"] {
            assert_eq!(open_of(store, &acme, number), 0, "{number}");
        }
        let balances = store.balances(acme.id).unwrap();
        let credit = |customer: i64, currency: Currency| {
            balances[&customer]
                .iter()
                .find(|b| b.currency == currency)
                .map_or(0, |b| b.credit_minor)
        };
        assert_eq!(credit(alpha.id, usd()), 10_00, "120 + 40 paid 150");
        assert_eq!(credit(alpha.id, eur()), 7_00);
        assert_eq!(credit(beta.id, usd()), 6_00);
        // The oldest due (INV-000002) was paid first, on the payment's date.
        let entries = store.entries(acme.id).unwrap();
        let allocations: Vec<(Option<i64>, i64, String)> = entries
            .iter()
            .filter(|e| e.entry.kind == dun_core::ledger::EntryKind::Allocation)
            .map(|e| {
                (
                    e.entry.invoice_id,
                    e.entry.ar_minor,
                    e.entry.effective_date.to_string(),
                )
            })
            .collect();
        let listed = all_invoices(store, acme.id);
        let id = |n: &str| {
            listed
                .iter()
                .find(|i| i.number.as_deref() == Some(n))
                .unwrap()
                .id
        };
        assert_eq!(
            allocations,
            [
                (Some(id("INV-000002")), -50_00, "2026-02-01".into()),
                (Some(id("INV-000001")), -70_00, "2026-02-01".into()),
                (Some(id("INV-000001")), -30_00, "2026-02-02".into()),
                (Some(id("INV-000003")), -80_00, "2026-02-03".into()),
            ]
        );
        // Imported credit is ordinary credit: it pays a later invoice.
        invoice(store, &acme, &alpha, "2026-03-01", "net30", 25_00);
        let later = store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-03-02", 15_00),
                &Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
        assert_eq!(later.unallocated_minor, 0);
    }
);

storage_test!(
    fn an_import_repeated_under_its_key_is_done_once(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        customer(store, &acme, "ALPHA");
        let rows = vec![invoice_line(
            2,
            "OLD-1",
            "ALPHA",
            "2025-11-01",
            "2025-12-01",
            usd(),
            100_00,
        )];
        let keyed = ImportRequest {
            author: "test",
            key: Some("import-1"),
            fingerprint: "sha256:aaaa",
            dry_run: false,
            ladder_from: None,
        };
        let first = store
            .import_invoices(acme.id, &rows, &keyed, &mut |_| {})
            .unwrap();
        let after_first = snapshot(store, acme.id);
        // The same file again under the same key: the first summary, marked
        // as a repeat, nothing new (without the key the number OLD-1 would
        // now be refused as taken).
        assert!(!first.repeated);
        let again = store
            .import_invoices(acme.id, &rows, &keyed, &mut |_| {})
            .unwrap();
        assert!(again.repeated);
        assert_eq!(
            dun_store::import::ImportSummary {
                repeated: false,
                ..again
            },
            first
        );
        assert_eq!(snapshot(store, acme.id), after_first);
        let other_file = ImportRequest {
            author: "test",
            fingerprint: "sha256:bbbb",
            ..keyed
        };
        let reused = store.import_invoices(acme.id, &rows, &other_file, &mut |_| {});
        assert!(
            matches!(reused, Err(StoreError::KeyReused(_))),
            "{reused:?}"
        );
        let as_customers = store.import_customers(
            acme.id,
            &[customer_line(2, "BETA", "Beta")],
            &keyed,
            &mut |_| {},
        );
        assert!(
            matches!(as_customers, Err(StoreError::KeyReused(_))),
            "{as_customers:?}"
        );
        assert_eq!(snapshot(store, acme.id), after_first);
    }
);

storage_test!(
    fn amounts_in_import_errors_are_decimals_never_minor_units(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        customer(store, &acme, "ALPHA");
        let mut negative_limit = customer_line(2, "GAMMA", "Gamma");
        negative_limit.credit_limit_minor = Some(-1_50);
        let refused = store.import_customers(acme.id, &[negative_limit], &APPLY, &mut |_| {});
        let Err(StoreError::Import(errors)) = refused else {
            panic!("not refused: {refused:?}");
        };
        assert_eq!(
            (
                errors.errors[0].column.as_str(),
                errors.errors[0].value.as_str()
            ),
            ("credit_limit", "-1.50")
        );
        let rows = vec![payment_line(2, "ALPHA", "2026-02-01", -5_00, None)];
        let refused = store.import_payments(acme.id, &rows, &APPLY, &mut |_| {});
        let Err(StoreError::Import(errors)) = refused else {
            panic!("not refused: {refused:?}");
        };
        let text = errors.to_string();
        assert!(
            text.contains(
                "row 2, column amount ('-5.00'): a payment amount must be more than zero"
            ),
            "{text}"
        );
        assert!(
            !text.contains("500") && !text.contains("minor units"),
            "{text}"
        );
    }
);

storage_test!(
    fn the_rows_the_book_refuses_are_left_out_and_the_rest_imported_once(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        customer(store, &acme, "ALPHA");
        customer(store, &acme, "BETA");
        let gamma = customer(store, &acme, "GAMMA");
        invoice(store, &acme, &gamma, "2026-01-01", "net30", 100_00);
        let rows = vec![
            payment_line(2, "ALPHA", "2026-02-01", 30_00, None),
            payment_line(3, "NOBODY", "2026-02-01", 10_00, None),
            payment_line(4, "BETA", "2026-02-01", 10_00, Some("INV-999999")),
            payment_line(5, "BETA", "2026-02-02", 20_00, None),
        ];
        let import = |store: &mut Store,
                      rows: &[PaymentRow],
                      request: &ImportRequest<'_>,
                      progress: &mut dyn FnMut(usize)| {
            store.import_payments(acme.id, rows, request, progress)
        };
        let before = snapshot(store, acme.id);
        let (summary, refused) = store
            .import_good_rows(acme.id, rows.clone(), &DRY_RUN, &import, &mut |_| {})
            .unwrap();
        assert_eq!(
            (summary.rows, summary.written, summary.dry_run),
            (2, 0, true)
        );
        let mut named: Vec<usize> = refused.errors.iter().map(|e| e.row).collect();
        named.sort();
        assert_eq!(named, [3, 4]);
        assert_eq!(snapshot(store, acme.id), before, "the dry run wrote");
        let keyed = ImportRequest {
            key: Some("import:payments:test"),
            ..APPLY
        };
        let (summary, refused) = store
            .import_good_rows(acme.id, rows.clone(), &keyed, &import, &mut |_| {})
            .unwrap();
        assert_eq!((summary.written, refused.errors.len()), (2, 2));
        let after = snapshot(store, acme.id);
        assert_ne!(after, before);
        let (again, refused) = store
            .import_good_rows(acme.id, rows, &keyed, &import, &mut |_| {})
            .unwrap();
        assert!(again.repeated && refused.is_empty(), "{again:?}");
        assert_eq!(again.written, 2);
        assert_eq!(snapshot(store, acme.id), after, "the repeat wrote");
    }
);
