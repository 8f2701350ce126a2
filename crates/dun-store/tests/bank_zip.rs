//! ZIP archives of camt files, as German banks deliver them, on both
//! engines: read by the real parser, each entry a statement of its own,
//! all imported in one transaction; the same archive again adds nothing;
//! an archive with one entry cut short is refused whole, naming the entry
//! and the element, and nothing of it is written.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use std::io::{Cursor, Write};

use common::*;
use dun_core::reference::CreditorReference;
use dun_store::bank_queue::BankFilter;
use dun_store::{Org, Store};

/// A camt message (053 statement or 054 notification) with one credit per
/// `(bank reference, amount, remittance)`.
fn camt(message: &str, id: &str, credits: &[(&str, i64, String)]) -> String {
    let (root, each) = match message {
        "053" => ("BkToCstmrStmt", "Stmt"),
        _ => ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
    };
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.{message}.001.08\"><{root}>\
         <GrpHdr><MsgId>{id}</MsgId><CreDtTm>2026-03-03T05:00:00</CreDtTm></GrpHdr>\
         <{each}><Id>{id}</Id><CreDtTm>2026-03-03T05:00:00</CreDtTm>\
         <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>"
    );
    for (bank_ref, amount_minor, text) in credits {
        let amount = format!("{}.{:02}", amount_minor / 100, amount_minor % 100);
        xml.push_str(&format!(
            "<Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>\
             <BookgDt><Dt>2026-03-02</Dt></BookgDt><AcctSvcrRef>{bank_ref}</AcctSvcrRef><BkTxCd/>\
             <NtryDtls><TxDtls><RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        ));
    }
    xml.push_str(&format!("</{each}></{root}></Document>"));
    xml
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        out.start_file(*name, options).unwrap();
        out.write_all(bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn import(
    store: &mut Store,
    org: &Org,
    bytes: &[u8],
) -> Result<dun_store::bank::BankImportSummary, String> {
    let statements = dun_bank::parse_statements(bytes, &dun_bank::ParseOptions::default())
        .map_err(|e| e.to_string())?;
    store
        .import_bank_statements(org.id, "camt.zip", &statements, false)
        .map_err(|e| e.to_string())
}

storage_test!(
    fn a_zip_of_statements_imports_each_once_and_a_damaged_one_nothing(store: &mut Store) {
        let acme = org(store, "Acme GmbH");
        let c = customer(store, &acme, "C1");
        let first = issue_draft(
            store,
            &acme,
            &draft_in(c.id, eur(), d("2026-02-01"), "net30", 120_00),
        );
        let second = issue_draft(
            store,
            &acme,
            &draft_in(c.id, eur(), d("2026-02-01"), "net30", 80_00),
        );
        let rf = |id| CreditorReference::for_invoice(id).as_str().to_string();
        let statement = camt(
            "053",
            "STMT-1",
            &[
                ("B-1", 120_00, rf(first.invoice_id)),
                ("B-2", 7_00, "Spende".into()),
            ],
        );
        let notification = camt("054", "NTF-1", &[("B-3", 80_00, rf(second.invoice_id))]);
        let archive = zip_of(&[
            ("2026-03-02_camt053.xml", statement.as_bytes()),
            ("2026-03-02_camt054.xml", notification.as_bytes()),
        ]);

        // A damaged archive first: the second entry is cut short.
        let cut = &notification[..notification.len() - 40];
        let damaged = zip_of(&[
            ("2026-03-02_camt053.xml", statement.as_bytes()),
            ("2026-03-02_camt054.xml", cut.as_bytes()),
        ]);
        let err = import(store, &acme, &damaged).unwrap_err();
        assert!(
            err.contains("ZIP entry \"2026-03-02_camt054.xml\", Document"),
            "the refusal names the entry and the element: {err}"
        );
        // An archive cut short itself.
        let err = import(store, &acme, &archive[..archive.len() / 2]).unwrap_err();
        assert!(err.contains("ZIP archive"), "{err}");
        // An entry that is not XML.
        let err = import(
            store,
            &acme,
            &zip_of(&[
                ("2026-03-02_camt053.xml", statement.as_bytes()),
                ("Kontoauszug.pdf", b"%PDF-1.4"),
            ]),
        )
        .unwrap_err();
        assert!(
            err.contains("ZIP entry \"Kontoauszug.pdf\"") && err.contains("not an XML file"),
            "{err}"
        );
        assert!(store
            .bank_transactions(acme.id, BankFilter::All)
            .unwrap()
            .is_empty());
        assert_eq!(open_of(store, &acme, &first.number), 120_00);

        let summary = import(store, &acme, &archive).unwrap();
        assert_eq!(
            (
                summary.statements,
                summary.lines_new,
                summary.matched,
                summary.unmatched
            ),
            (2, 3, 2, 1)
        );
        assert_eq!(open_of(store, &acme, &first.number), 0);
        assert_eq!(open_of(store, &acme, &second.number), 0);
        let entries = store.entries(acme.id).unwrap().len();

        let again = import(store, &acme, &archive).unwrap();
        assert_eq!(
            (
                again.statements,
                again.lines_read,
                again.lines_new,
                again.matched
            ),
            (2, 3, 0, 0)
        );
        assert_eq!(store.entries(acme.id).unwrap().len(), entries);
        assert_eq!(
            store
                .bank_transactions(acme.id, BankFilter::All)
                .unwrap()
                .len(),
            3
        );
    }
);
