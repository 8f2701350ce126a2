//! camt files refused whole, each refusal naming the element.

mod common;

use common::camt::{document, Balance, Entry, Msg, Stmt, Tx};
use dun_bank::{parse_statements, ParseError, ParseOptions};

fn refuse(xml: &str) -> ParseError {
    match parse_statements(xml.as_bytes(), &ParseOptions::default()) {
        Ok(s) => panic!("accepted: {s:?}\n{xml}"),
        Err(e) => e,
    }
}

fn one(entries: Vec<Entry>) -> Stmt {
    Stmt {
        id: "S-1",
        iban: Some("DE02120300000000202051"),
        ccy: Some("EUR"),
        balances: vec![Balance {
            code: "OPBD",
            amount: "100.00",
            ccy: "EUR",
            credit: true,
        }],
        entries,
    }
}

fn three_entries() -> String {
    let entries = (0..3).map(|_| Entry::new("1.00", true)).collect();
    document(Msg::C053, 8, &[one(entries)])
}

const STMT: &str = "Document/BkToCstmrStmt/Stmt[1]";

/// `xml` with the first `from` in entry `n` (1-based) replaced.
fn in_entry(xml: &str, n: usize, from: &str, to: &str) -> String {
    let entry = xml.match_indices("<Ntry>").nth(n - 1).expect("the entry").0;
    let at = entry + xml[entry..].find(from).expect("the text in the entry");
    format!("{}{to}{}", &xml[..at], &xml[at + from.len()..])
}

#[test]
fn malformed_xml_is_refused_at_its_element_and_line() {
    let xml = in_entry(&three_entries(), 2, "</CdtDbtInd>", "</CdtDbtIndX>");
    let err = refuse(&xml);
    let at = xml.find("</CdtDbtIndX>").unwrap();
    let line = xml[..at].lines().count();
    assert_eq!(
        err.place,
        format!("{STMT}/Ntry[2]/CdtDbtInd (line {line}, byte {at})")
    );
    assert!(err.reason.contains("well-formed XML"), "{err:?}");
    assert!(err.value.starts_with("</CdtDbtIndX>"), "{err:?}");

    let xml = three_entries().replace("<Id>S-1</Id>", "<Id>S-1</Id><Bad attr=\"x></Bad>");
    let err = refuse(&xml);
    assert!(err.place.starts_with(&format!("{STMT} (line ")), "{err:?}");
}

#[test]
fn a_file_cut_short_is_refused_at_the_open_element() {
    let xml = three_entries();
    let third = xml.match_indices("<Ntry>").nth(2).unwrap().0;
    let cut = third + xml[third..].find("<BookgDt>").unwrap();
    let err = refuse(&xml[..cut]);
    assert_eq!(err.place, format!("{STMT}/Ntry[3]"));
    assert!(err.reason.contains("cut short"), "{err:?}");
    assert!(err.reason.contains("</Ntry>"), "{err:?}");

    // Cut inside a tag.
    let err = refuse(&xml[..cut + 4]);
    assert!(
        err.place.starts_with(&format!("{STMT}/Ntry[3] (line ")),
        "{err:?}"
    );

    // Cut after the last entry but before the statement closes.
    let end = xml.find("</Stmt>").unwrap();
    let err = refuse(&xml[..end]);
    assert_eq!(err.place, STMT);
}

#[test]
fn unknown_messages_and_versions_are_refused_with_those_accepted() {
    for namespace in [
        "urn:iso:std:iso:20022:tech:xsd:camt.053.001.13",
        "urn:iso:std:iso:20022:tech:xsd:camt.053.001.01",
        "urn:iso:std:iso:20022:tech:xsd:camt.999.001.08",
        "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03",
    ] {
        let xml = three_entries().replace(&Msg::C053.namespace(8), namespace);
        let err = refuse(&xml);
        assert_eq!(err.place, "Document/@xmlns");
        assert_eq!(err.value, namespace);
        assert!(err
            .reason
            .contains("camt.052, camt.053 and camt.054, versions 001.02 to 001.08"));
    }
    let xml = three_entries().replace(&format!(" xmlns=\"{}\"", Msg::C053.namespace(8)), "");
    assert_eq!(refuse(&xml).place, "Document/@xmlns");

    // The namespace says camt.052 but the message is a camt.053 one.
    let xml = three_entries().replace(&Msg::C053.namespace(8), &Msg::C052.namespace(8));
    let err = refuse(&xml);
    assert_eq!(err.place, "Document/BkToCstmrStmt");
    assert!(err.reason.contains("BkToCstmrAcctRpt"), "{err:?}");

    let err = refuse("<?xml version=\"1.0\"?><Invoice xmlns=\"urn:oasis\"/>");
    assert_eq!(
        (err.place.as_str(), err.value.as_str()),
        ("root element", "Invoice")
    );
    assert!(err.reason.contains("Document"));
}

#[test]
fn an_amount_in_another_currency_than_the_account_is_refused() {
    let mut entries: Vec<Entry> = (0..2).map(|_| Entry::new("1.00", true)).collect();
    entries[1].ccy = "USD";
    let err = refuse(&document(Msg::C053, 5, &[one(entries)]));
    assert_eq!(err.place, format!("{STMT}/Ntry[2]/Amt/@Ccy"));
    assert_eq!(err.value, "USD");
    assert!(err.reason.starts_with("wrong currency"), "{err:?}");
    assert!(err.reason.contains("EUR"));

    let mut stmt = one(vec![]);
    stmt.balances.push(Balance {
        code: "CLBD",
        amount: "1.00",
        ccy: "CHF",
        credit: true,
    });
    let err = refuse(&document(Msg::C052, 3, &[stmt]));
    assert_eq!(
        err.place,
        "Document/BkToCstmrAcctRpt/Rpt[1]/Bal[2]/Amt/@Ccy"
    );
    assert!(err.reason.starts_with("wrong currency"));

    // A batch transaction in another currency.
    let mut batch = Entry::new("2.00", true);
    batch.txs = vec![
        Tx {
            amount: Some(("1.00", "EUR")),
            ..Tx::default()
        },
        Tx {
            amount: Some(("1.00", "GBP")),
            ..Tx::default()
        },
    ];
    let err = refuse(&document(Msg::C054, 4, &[one(vec![batch.clone()])]));
    assert_eq!(
        err.place,
        "Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/NtryDtls[1]/TxDtls[2]/Amt/@Ccy"
    );
    // A batch entry's own amount is checked too.
    batch.txs[1].amount = Some(("1.00", "EUR"));
    batch.ccy = "GBP";
    let err = refuse(&document(Msg::C054, 4, &[one(vec![batch])]));
    assert_eq!(
        err.place,
        "Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/Amt/@Ccy"
    );
}

#[test]
fn more_decimals_than_the_currency_has_are_refused() {
    let mut entries = vec![Entry::new("1.00", true), Entry::new("12.345", true)];
    entries[0].acct_svcr_ref = Some("A");
    let err = refuse(&document(Msg::C053, 2, &[one(entries)]));
    assert_eq!(err.place, format!("{STMT}/Ntry[2]/Amt"));
    assert_eq!(err.value, "12.345");
    assert!(err.reason.contains("EUR allows 2"), "{err:?}");

    let mut yen = Entry::new("100.5", true);
    yen.ccy = "JPY";
    let mut stmt = one(vec![yen]);
    stmt.ccy = None;
    let err = refuse(&document(Msg::C053, 7, &[stmt]));
    assert_eq!(err.place, format!("{STMT}/Ntry[1]/Amt"));
    assert!(err.reason.contains("JPY allows 0"));

    let mut stmt = one(vec![]);
    stmt.balances[0].amount = "100.001";
    let err = refuse(&document(Msg::C053, 6, &[stmt]));
    assert_eq!(err.place, format!("{STMT}/Bal[1]/Amt"));
}

#[test]
fn codes_dates_and_missing_elements_are_refused_at_their_element() {
    let base = three_entries();
    let cases: [(&str, &str, String, &str); 6] = [
        (
            "<CdtDbtInd>CRDT</CdtDbtInd>",
            "<CdtDbtInd>CREDIT</CdtDbtInd>",
            format!("{STMT}/Ntry[1]/CdtDbtInd"),
            "CRDT or DBIT",
        ),
        (
            "<Sts><Cd>BOOK</Cd></Sts>",
            "<Sts><Cd>DONE</Cd></Sts>",
            format!("{STMT}/Ntry[1]/Sts/Cd"),
            "BOOK, PDNG, INFO",
        ),
        (
            "<BookgDt><Dt>2026-03-02</Dt></BookgDt>",
            "<BookgDt><Dt>02.03.2026</Dt></BookgDt>",
            format!("{STMT}/Ntry[1]/BookgDt/Dt"),
            "YYYY-MM-DD",
        ),
        (
            "<BookgDt><Dt>2026-03-02</Dt></BookgDt>",
            "",
            format!("{STMT}/Ntry[1]/BookgDt"),
            "booking date",
        ),
        (
            "<Amt Ccy=\"EUR\">1.00</Amt>",
            "<Amt Ccy=\"EURO\">1.00</Amt>",
            format!("{STMT}/Ntry[1]/Amt/@Ccy"),
            "ISO 4217",
        ),
        (
            "<Amt Ccy=\"EUR\">1.00</Amt>",
            "<Amt Ccy=\"EUR\">-1.00</Amt>",
            format!("{STMT}/Ntry[1]/Amt"),
            "unsigned",
        ),
    ];
    for (from, to, place, reason) in cases {
        let err = refuse(&in_entry(&base, 1, from, to));
        assert_eq!(err.place, place, "{to}");
        assert!(err.reason.contains(reason), "{err:?}");
    }
}

#[test]
fn entities_beyond_xmls_own_are_refused() {
    let xml = three_entries().replacen(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
        "<?xml version=\"1.0\"?><!DOCTYPE Document [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>",
        1,
    );
    let xml = xml.replacen("<Id>S-1</Id>", "<Id>&x;</Id>", 1);
    let err = refuse(&xml);
    assert!(
        err.place.starts_with(&format!("{STMT}/Id (line ")),
        "{err:?}"
    );
    assert!(err.reason.contains("unknown entity &x;"), "{err:?}");
}

#[test]
fn bytes_that_are_not_utf8_are_refused_at_their_line() {
    let xml = three_entries().replacen("<Id>S-1</Id>", "<Id>S\u{FC}1</Id>", 1);
    let mut bytes = xml.into_bytes();
    let at = bytes.windows(2).position(|w| w == "ü".as_bytes()).unwrap();
    bytes.splice(at..at + 2, [0xFC]);
    let err = parse_statements(&bytes, &ParseOptions::default()).unwrap_err();
    assert!(err.place.starts_with("line 6, byte "), "{err:?}");
    assert_eq!(err.value, "\\xFC");
}
