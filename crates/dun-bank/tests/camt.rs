//! camt files of every message (052, 053, 054) in every version (02–08)
//! read into statements, every field checked.

mod common;

use common::camt::{document, Balance, Entry, Msg, Stmt, Tx};
use dun_bank::{parse_statements, ParseOptions};
use dun_core::bank::{BankLine, Statement, StatementFormat};
use dun_core::{Currency, Date};

fn eur() -> Currency {
    Currency::parse("EUR").unwrap()
}

fn day(d: u32) -> Date {
    Date::from_ymd(2026, 3, d).unwrap()
}

fn parse(xml: &str) -> Vec<Statement> {
    parse_statements(xml.as_bytes(), &ParseOptions::default())
        .unwrap_or_else(|e| panic!("{e:?}\n{xml}"))
}

/// A day at the bank: a payment with two remittance lines, one with a
/// structured reference, a supplier paid, a batch of three, a returned
/// direct debit, a pending credit and a reversal.
fn business_day() -> Stmt {
    let mut paid = Entry::new("1234.56", true);
    paid.value = Some("2026-03-03");
    paid.acct_svcr_ref = Some("BANK-1");
    paid.txs = vec![Tx {
        end_to_end_id: Some("E2E-1"),
        debtor: Some(("Müller &amp; Söhne GmbH", "de89 3704 0044 0532 0130 00")),
        creditor: Some(("Dun Demo Ltd", "DE02120300000000202051")),
        ustrd: vec!["Rechnung INV-2026-0042 ", " Kunde 17"],
        ..Tx::default()
    }];

    let mut structured = Entry::new("25", true);
    structured.booked_as_date_time = true;
    structured.txs = vec![Tx {
        acct_svcr_ref: Some("TX-2"),
        end_to_end_id: Some("NOTPROVIDED"),
        debtor: Some(("ACME Ltd.", "GB33BUKB20201555555555")),
        strd_ref: Some("RF18539007547034"),
        ..Tx::default()
    }];

    let mut supplier = Entry::new("50.00", false);
    supplier.acct_svcr_ref = Some("BANK-3");
    supplier.txs = vec![Tx {
        debtor: Some(("Dun Demo Ltd", "DE02120300000000202051")),
        creditor: Some(("Office Supplies Ltd", "GB29NWBK60161331926819")),
        ustrd: vec!["Order 991"],
        ..Tx::default()
    }];

    let mut batch = Entry::new("300.00", true);
    batch.acct_svcr_ref = Some("BATCH-7");
    let payer = |amount, name, iban, text| Tx {
        amount: Some((amount, "EUR")),
        debtor: Some((name, iban)),
        ustrd: vec![text],
        ..Tx::default()
    };
    batch.txs = vec![
        payer("100.00", "Alpha GmbH", "DE75512108001245126199", "INV-1"),
        payer("150.00", "Beta AG", "DE12500105170648489890", "INV-2"),
        Tx {
            acct_svcr_ref: Some("OWN-3"),
            ..payer("50.00", "Gamma KG", "DE44500105175407324931", "INV-3")
        },
    ];

    let mut returned = Entry::new("80.00", false);
    returned.acct_svcr_ref = Some("BANK-5");
    returned.txs = vec![Tx {
        end_to_end_id: Some("DD-2026-17"),
        debtor: Some(("Delta GmbH", "DE91100000000123456789")),
        creditor: Some(("Dun Demo Ltd", "DE02120300000000202051")),
        return_code: Some("AC04"),
        ..Tx::default()
    }];

    let mut pending = Entry::new("999.99", true);
    pending.status = "PDNG";
    pending.booked = None;
    pending.acct_svcr_ref = Some("PENDING-1");

    let mut reversal = Entry::new("10.00", false);
    reversal.reversal = true;
    reversal.acct_svcr_ref = Some("BANK-7");

    Stmt {
        id: "STMT-2026-061",
        iban: Some("DE02 1203 0000 0000 2020 51"),
        ccy: Some("EUR"),
        balances: vec![
            Balance {
                code: "OPBD",
                amount: "10000.00",
                ccy: "EUR",
                credit: true,
            },
            Balance {
                code: "CLBD",
                amount: "11419.56",
                ccy: "EUR",
                credit: true,
            },
        ],
        entries: vec![
            paid, structured, supplier, batch, returned, pending, reversal,
        ],
    }
}

fn expected_lines() -> Vec<BankLine> {
    let line = |amount, booked| BankLine::new(booked, amount, eur());
    let some = |s: &str| Some(s.to_string());

    let mut paid = line(123456, day(2));
    paid.value_date = Some(day(3));
    paid.bank_ref = some("BANK-1");
    paid.end_to_end_id = some("E2E-1");
    paid.counterparty_name = some("Müller & Söhne GmbH");
    paid.counterparty_iban = some("DE89370400440532013000");
    paid.remittance = "Rechnung INV-2026-0042 Kunde 17".into();

    let mut structured = line(2500, day(2));
    structured.bank_ref = some("TX-2");
    structured.counterparty_name = some("ACME Ltd.");
    structured.counterparty_iban = some("GB33BUKB20201555555555");
    structured.structured_ref = some("RF18539007547034");

    let mut supplier = line(-5000, day(2));
    supplier.bank_ref = some("BANK-3");
    supplier.counterparty_name = some("Office Supplies Ltd");
    supplier.counterparty_iban = some("GB29NWBK60161331926819");
    supplier.remittance = "Order 991".into();

    let batch = |amount, bank_ref: &str, name: &str, iban: &str, text: &str| {
        let mut l = line(amount, day(2));
        l.bank_ref = some(bank_ref);
        l.counterparty_name = some(name);
        l.counterparty_iban = some(iban);
        l.remittance = text.into();
        l
    };

    let mut returned = line(-8000, day(2));
    returned.bank_ref = some("BANK-5");
    returned.end_to_end_id = some("DD-2026-17");
    returned.counterparty_name = some("Dun Demo Ltd");
    returned.counterparty_iban = some("DE02120300000000202051");
    returned.return_reason = some("AC04");

    let mut reversal = line(-1000, day(2));
    reversal.bank_ref = some("BANK-7");
    reversal.return_reason = some("reversal");

    vec![
        paid,
        structured,
        supplier,
        batch(
            10000,
            "BATCH-7/1",
            "Alpha GmbH",
            "DE75512108001245126199",
            "INV-1",
        ),
        batch(
            15000,
            "BATCH-7/2",
            "Beta AG",
            "DE12500105170648489890",
            "INV-2",
        ),
        batch(5000, "OWN-3", "Gamma KG", "DE44500105175407324931", "INV-3"),
        returned,
        reversal,
    ]
}

fn small_usd_statement() -> Stmt {
    let mut e = Entry::new("1.50", true);
    e.ccy = "USD";
    e.booked = Some("2026-03-05");
    Stmt {
        id: "USD-1",
        iban: Some("gb29nwbk60161331926819"),
        ccy: Some("USD"),
        balances: vec![
            Balance {
                code: "PRCD",
                amount: "5.00",
                ccy: "USD",
                credit: false,
            },
            Balance {
                code: "CLBD",
                amount: "3.50",
                ccy: "USD",
                credit: false,
            },
        ],
        entries: vec![e],
    }
}

#[test]
fn every_message_in_every_version_reads_every_field() {
    let usd = Currency::parse("USD").unwrap();
    for msg in Msg::ALL {
        for version in 2..=8 {
            let xml = document(msg, version, &[business_day(), small_usd_statement()]);
            let got = parse(&xml);
            let format = StatementFormat::Camt(format!("camt.{}.001.{version:02}", msg.number()));
            let balances = |opening, closing| {
                if msg.has_balances() {
                    (Some(opening), Some(closing))
                } else {
                    (None, None)
                }
            };
            let (opening_minor, closing_minor) = balances(1_000_000, 1_141_956);
            let first = Statement {
                format: format.clone(),
                statement_id: Some("STMT-2026-061".into()),
                account_iban: Some("DE02120300000000202051".into()),
                currency: Some(eur()),
                opening_minor,
                closing_minor,
                lines: expected_lines(),
            };
            let usd_line = BankLine::new(day(5), 150, usd);
            let (opening_minor, closing_minor) = balances(-500, -350);
            let second = Statement {
                format,
                statement_id: Some("USD-1".into()),
                account_iban: Some("GB29NWBK60161331926819".into()),
                currency: Some(usd),
                opening_minor,
                closing_minor,
                lines: vec![usd_line],
            };
            assert_eq!(got.len(), 2, "{msg:?} v{version}");
            for (g, want) in got.iter().zip([&first, &second]) {
                for (i, (gl, wl)) in g.lines.iter().zip(&want.lines).enumerate() {
                    assert_eq!(gl, wl, "{msg:?} v{version} line {i}");
                }
                assert_eq!(g, want, "{msg:?} v{version}");
                assert!(g.check_balances().is_ok(), "{msg:?} v{version}");
            }
        }
    }
}

#[test]
fn a_batch_transaction_may_carry_its_own_sign() {
    // v03 and later: TxDtls/CdtDbtInd; a batch of a credit and a debit.
    let mut batch = Entry::new("70.00", true);
    batch.acct_svcr_ref = Some("B");
    batch.txs = vec![
        Tx {
            amount: Some(("100.00", "EUR")),
            credit: Some(true),
            debtor: Some(("Payer", "DE75512108001245126199")),
            creditor: Some(("Us", "DE02120300000000202051")),
            ..Tx::default()
        },
        Tx {
            amount: Some(("30.00", "EUR")),
            credit: Some(false),
            debtor: Some(("Us", "DE02120300000000202051")),
            creditor: Some(("Bank fees", "DE12500105170648489890")),
            ..Tx::default()
        },
    ];
    let stmt = Stmt {
        id: "S",
        iban: None,
        ccy: None,
        balances: vec![],
        entries: vec![batch],
    };
    let got = parse(&document(Msg::C053, 4, &[stmt]));
    let lines = &got[0].lines;
    assert_eq!(got[0].account_iban, None);
    assert_eq!(got[0].currency, None);
    assert_eq!(
        lines.iter().map(|l| l.amount_minor).collect::<Vec<_>>(),
        [10000, -3000]
    );
    assert_eq!(lines[0].counterparty_name.as_deref(), Some("Payer"));
    assert_eq!(lines[1].counterparty_name.as_deref(), Some("Bank fees"));
    assert_eq!(lines[1].bank_ref.as_deref(), Some("B/2"));
}

#[test]
fn a_proprietary_return_reason_is_kept() {
    let mut e = Entry::new("12.00", true);
    e.txs = vec![Tx {
        return_prtry: Some("BANK-RETURN-9"),
        ..Tx::default()
    }];
    let stmt = Stmt {
        id: "S",
        iban: None,
        ccy: Some("EUR"),
        balances: vec![],
        entries: vec![e],
    };
    let got = parse(&document(Msg::C053, 8, &[stmt]));
    assert_eq!(
        got[0].lines[0].return_reason.as_deref(),
        Some("BANK-RETURN-9")
    );
    assert_eq!(got[0].lines[0].bank_ref, None);
}

#[test]
fn prefixed_elements_cdata_and_a_bom_read_the_same() {
    let xml = "\u{FEFF}\n  <?xml version=\"1.0\"?>\
        <c:Document xmlns:c=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><c:BkToCstmrStmt>\
        <c:Stmt><c:Id>P-1</c:Id><c:Acct><c:Id><c:IBAN>DE02120300000000202051</c:IBAN></c:Id></c:Acct>\
        <c:Ntry><c:Amt Ccy=\"EUR\">7.00</c:Amt><c:CdtDbtInd>CRDT</c:CdtDbtInd><c:Sts>BOOK</c:Sts>\
        <c:BookgDt><c:Dt>2026-03-02</c:Dt></c:BookgDt><c:NtryDtls><c:TxDtls><c:RmtInf>\
        <c:Ustrd><![CDATA[a <b> & c]]></c:Ustrd><c:Ustrd>caf&#xE9; &lt;1&gt;</c:Ustrd></c:RmtInf>\
        </c:TxDtls></c:NtryDtls></c:Ntry></c:Stmt></c:BkToCstmrStmt></c:Document>";
    let got = parse(xml);
    assert_eq!(got[0].statement_id.as_deref(), Some("P-1"));
    assert_eq!(got[0].lines[0].amount_minor, 700);
    assert_eq!(got[0].lines[0].remittance, "a <b> & c café <1>");
}

#[test]
fn long_texts_are_cut_on_a_character_boundary() {
    let long: &'static str = Box::leak("ü".repeat(700).into_boxed_str());
    let mut e = Entry::new("1.00", true);
    e.txs = vec![Tx {
        debtor: Some((long, "DE75512108001245126199")),
        ustrd: vec![long, long],
        ..Tx::default()
    }];
    let stmt = Stmt {
        id: "S",
        iban: None,
        ccy: None,
        balances: vec![],
        entries: vec![e],
    };
    let got = parse(&document(Msg::C054, 6, &[stmt]));
    let line = &got[0].lines[0];
    let max = dun_core::bank::BANK_TEXT_BYTES_MAX;
    assert_eq!(line.counterparty_name.as_ref().unwrap().len(), max);
    assert_eq!(line.remittance.len(), max);
    assert!(line.remittance.chars().all(|c| c == 'ü'));
}

#[test]
fn an_empty_statement_and_a_file_of_none() {
    let empty = Stmt {
        id: "EMPTY",
        iban: None,
        ccy: Some("EUR"),
        balances: vec![],
        entries: vec![],
    };
    let got = parse(&document(Msg::C052, 5, &[empty]));
    assert_eq!(got.len(), 1);
    assert!(got[0].lines.is_empty());
    assert_eq!(parse(&document(Msg::C053, 5, &[])), Vec::<Statement>::new());
}

#[test]
fn a_hundred_thousand_entries_stream_through() {
    let mut entries = Vec::new();
    for _ in 0..100_000 {
        let mut e = Entry::new("0.01", true);
        e.txs = vec![Tx {
            debtor: Some(("Payer", "DE75512108001245126199")),
            ustrd: vec!["INV-1"],
            ..Tx::default()
        }];
        entries.push(e);
    }
    let stmt = Stmt {
        id: "BIG",
        iban: None,
        ccy: Some("EUR"),
        balances: vec![],
        entries,
    };
    let xml = document(Msg::C053, 8, &[stmt]);
    let got = parse(&xml);
    assert_eq!(got[0].lines.len(), 100_000);
    assert_eq!(
        got[0].lines.iter().map(|l| l.amount_minor).sum::<i64>(),
        100_000
    );
}
