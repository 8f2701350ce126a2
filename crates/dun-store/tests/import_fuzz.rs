//! Fuzz-style property test of the CSV importers (issue 18), on both
//! engines: mutated invoice and payment files — bytes changed, cut,
//! inserted, dropped — never panic, and a file refused (by the reader or
//! by the store) leaves the book exactly as it was.

#[macro_use]
mod common;

use common::*;
use dun_store::import::ImportRequest;
use dun_store::Store;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const INVOICES: &str = "number,customer_ref,issue_date,due_date,currency,description,amount\n\
INV-9001,C1,2026-01-05,2026-02-04,USD,Pallets,120.00\n\
INV-9002,C1,2026-01-06,2026-02-05,USD,Crates,80.50\n";

const PAYMENTS: &str = "date,customer_ref,amount,currency,reference,invoice_number,method\n\
2026-02-01,C1,50.00,USD,BACS 1,INV-9001,transfer\n";

fn mutated(base: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let bytes = base.as_bytes().to_vec();
    let len = bytes.len();
    proptest::collection::vec((0..len, any::<u8>(), 0u8..4), 1..6).prop_map(move |edits| {
        let mut out = bytes.clone();
        for (at, byte, how) in edits {
            let at = at % out.len().max(1);
            match how {
                0 if at < out.len() => out[at] = byte,
                1 => out.truncate(at.max(1)),
                2 => out.insert(at, byte),
                _ if at < out.len() => {
                    out.remove(at);
                }
                _ => {}
            }
        }
        out
    })
}

storage_test!(
    fn mutated_import_files_never_panic_and_a_refused_one_changes_nothing(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        customer(store, &acme, "C1");
        let mut runner = TestRunner::new(Config {
            cases: 48,
            ..Config::default()
        });
        let request = ImportRequest {
            author: "test",
            key: None,
            fingerprint: "sha256:fuzz",
            dry_run: false,
            ladder_from: None,
        };
        let files = prop_oneof![
            mutated(INVOICES).prop_map(|f| (true, f)),
            mutated(PAYMENTS).prop_map(|f| (false, f))
        ];
        let cell = std::cell::RefCell::new(&mut *store);
        runner
            .run(&files, |(invoices, file)| {
                let mut guard = cell.borrow_mut();
                let store: &mut Store = &mut guard;
                let before = snapshot(store, acme.id);
                let result = if invoices {
                    match dun_csv::read_invoices(file.as_slice()).into_result() {
                        Ok(rows) => {
                            Some(store.import_invoices(acme.id, &rows, &request, &mut |_| {}))
                        }
                        Err(_) => None,
                    }
                } else {
                    match dun_csv::read_payments(file.as_slice()).into_result() {
                        Ok(rows) => {
                            Some(store.import_payments(acme.id, &rows, &request, &mut |_| {}))
                        }
                        Err(_) => None,
                    }
                };
                match result {
                    None | Some(Err(_)) => prop_assert_eq!(snapshot(store, acme.id), before),
                    Some(Ok(_)) => {}
                }
                Ok(())
            })
            .unwrap();
        check_book(store);
    }
);
