//! Issue 18 item 7, on both engines: an invoice number and a customer
//! reference over their limit, or holding a control character, are
//! refused by the CSV import as a row error naming the column — SQLite
//! stored a 1 MB invoice number, PostgreSQL answered a raw error — and the
//! book is left as it was.

#[macro_use]
mod common;

use common::*;
use dun_core::text::{CUSTOMER_REFERENCE_BYTES_MAX, INVOICE_NUMBER_BYTES_MAX};
use dun_store::import::ImportRequest;
use dun_store::{Store, StoreError};

const REQUEST: ImportRequest<'static> = ImportRequest {
    author: "test",
    key: None,
    fingerprint: "sha256:limits",
    dry_run: false,
    ladder_from: None,
};

/// The refused columns of an import, as `row:column`.
fn refused(result: Result<dun_store::import::ImportSummary, StoreError>) -> Vec<String> {
    match result {
        Err(StoreError::Import(errors)) => errors
            .errors
            .iter()
            .map(|e| format!("{}:{}", e.row, e.column))
            .collect(),
        other => panic!("not refused as rows: {other:?}"),
    }
}

storage_test!(
    fn over_long_or_control_character_identifiers_are_refused_by_row(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        customer(store, &acme, "C1");
        let before = snapshot(store, acme.id);

        let long_ref = "R".repeat(CUSTOMER_REFERENCE_BYTES_MAX + 1);
        let csv = format!(
            "ref,name\n{long_ref},Long\n\"C\u{1}2\",Bell\nC3,Fine\n{},Just fits\n",
            "R".repeat(CUSTOMER_REFERENCE_BYTES_MAX)
        );
        let rows = dun_csv::read_customers(csv.as_bytes(), usd())
            .into_result()
            .expect("the reader passes them to the book's check");
        let columns = refused(store.import_customers(acme.id, &rows, &REQUEST, &mut |_| {}));
        assert_eq!(columns, ["2:ref", "3:ref"]);

        let long_number = "9".repeat(1_000_000);
        let csv = format!(
            "number,customer_ref,issue_date,due_date,currency,description,amount\n\
             {long_number},C1,2026-01-05,2026-02-04,USD,Pallets,120.00\n\
             \"INV\u{7}2\",C1,2026-01-05,2026-02-04,USD,Crates,80.50\n\
             {},C1,2026-01-05,2026-02-04,USD,Boxes,10.00\n",
            "N".repeat(INVOICE_NUMBER_BYTES_MAX)
        );
        let rows = dun_csv::read_invoices(csv.as_bytes())
            .into_result()
            .expect("the reader passes them to the book's check");
        let result = store.import_invoices(acme.id, &rows, &REQUEST, &mut |_| {});
        if let Err(StoreError::Import(errors)) = &result {
            let shown = errors.to_string();
            assert!(
                shown.contains("at most 64 bytes (1000000 given)"),
                "{shown}"
            );
            assert!(shown.contains("control character"), "{shown}");
            assert!(shown.len() < 2_000, "the value is not echoed whole");
        }
        assert_eq!(refused(result), ["2:number", "3:number"]);
        assert_eq!(snapshot(store, acme.id), before, "nothing half-written");
    }
);
