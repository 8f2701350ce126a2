//! Fuzz-style property tests (issue 18): random bytes and mutated real
//! files — a camt.053 in every version the builder writes, and German and
//! PayPal CSV exports — never make the parser panic; every answer is a
//! statement list or one refusal that names a place.

mod common;

use common::camt::{document, Entry, Msg, Stmt, Tx};
use dun_bank::{parse_statements, ParseOptions};
use proptest::prelude::*;

fn camt(version: u32) -> Vec<u8> {
    let mut entry = Entry::new("123.45", true);
    entry.acct_svcr_ref = Some("REF-1");
    entry.txs = vec![Tx {
        end_to_end_id: Some("E2E-1"),
        debtor: Some(("Müller Bau GmbH", "DE89370400440532013000")),
        ustrd: vec!["RE INV-000001"],
        strd_ref: Some("RF18539007547034"),
        ..Tx::default()
    }];
    let stmt = Stmt {
        id: "S1",
        iban: Some("DE89370400440532013000"),
        ccy: Some("EUR"),
        balances: vec![],
        entries: vec![entry.clone(), Entry::new("10.00", false)],
    };
    document(Msg::C053, version, &[stmt]).into_bytes()
}

const GERMAN: &str = "Buchungstag;Valutadatum;Beguenstigter/Zahlungspflichtiger;Kontonummer/IBAN;Verwendungszweck;Betrag;Waehrung\n\
02.03.26;02.03.26;Müller Bau;DE89370400440532013000;\"RE INV-000001; danke\";1.234,56;EUR\n\
03.03.26;03.03.26;Stadtwerke;DE02120300000000202051;Strom;-45,00;EUR\n";

const PAYPAL: &str = "Date,Time,Name,Type,Status,Currency,Gross,Fee,Net,Transaction ID,Subject\n\
03/02/2026,10:00:00,Jane Doe,Payment,Completed,USD,\"1,234.56\",0.00,\"1,234.56\",TX1,INV-000002\n";

/// Checks one answer: no panic got us here; a refusal names a place.
fn judged(bytes: &[u8]) {
    match parse_statements(bytes, &ParseOptions::default()) {
        Ok(statements) => {
            for s in statements {
                for line in s.lines {
                    assert!(line.remittance.len() <= dun_core::bank::BANK_TEXT_BYTES_MAX);
                }
            }
        }
        Err(e) => assert!(!e.place.is_empty() && !e.reason.is_empty(), "{e:?}"),
    }
}

/// A mutation of a real file: bytes changed, cut, doubled or dropped.
fn mutated(base: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = base.len();
    proptest::collection::vec((0..len, any::<u8>(), 0u8..4), 1..8).prop_map(move |edits| {
        let mut bytes = base.clone();
        for (at, byte, how) in edits {
            let at = at % bytes.len().max(1);
            match how {
                0 => bytes[at] = byte,
                1 => bytes.truncate(at),
                2 => bytes.insert(at, byte),
                _ => {
                    if at < bytes.len() {
                        bytes.remove(at);
                    }
                }
            }
            if bytes.is_empty() {
                bytes.push(byte);
            }
        }
        bytes
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        judged(&bytes);
    }

    #[test]
    fn mutated_camt_files_never_panic(file in (2u32..=8).prop_flat_map(|v| mutated(camt(v)))) {
        judged(&file);
    }

    #[test]
    fn mutated_csv_exports_never_panic(file in prop_oneof![mutated(GERMAN.as_bytes().to_vec()), mutated(PAYPAL.as_bytes().to_vec())]) {
        judged(&file);
    }
}

#[test]
fn the_unmutated_files_read() {
    for version in 2..=8 {
        assert_eq!(
            parse_statements(&camt(version), &ParseOptions::default()).unwrap()[0]
                .lines
                .len(),
            2
        );
    }
    assert_eq!(
        parse_statements(GERMAN.as_bytes(), &ParseOptions::default()).unwrap()[0]
            .lines
            .len(),
        2
    );
    assert_eq!(
        parse_statements(PAYPAL.as_bytes(), &ParseOptions::default()).unwrap()[0]
            .lines
            .len(),
        1
    );
}
