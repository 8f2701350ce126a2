//! The cash-application journey, on both engines (issue 14, "Done when"):
//! a book of 200 invoices; a camt.053 of 150 lines — credits quoting RF
//! references, invoice numbers typed sloppily, known payers' accounts
//! without a reference, an overpayment, a partial, a stranger's transfer,
//! unknown payers, and a returned debit — read by the real parser and
//! imported; the daily run that follows sends nothing to the customers
//! who paid; the queue shows the rest with reasons; confirming one teaches
//! its payer's account.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]
// Customers are named by their index (C00…C49), so loops go by index.
#![allow(clippy::needless_range_loop)]

#[macro_use]
mod common;

use std::collections::BTreeSet;
use std::fmt::Write;

use common::*;
use dun_core::reference::CreditorReference;
use dun_store::bank_queue::{BankFilter, Confirm};
use dun_store::{Org, Store};

const CUSTOMERS: usize = 50;
const INVOICES_EACH: usize = 4;

/// A credit or debit as a camt.053 entry says it.
struct Entry {
    amount_minor: i64,
    credit: bool,
    name: String,
    iban: String,
    text: String,
    structured: Option<String>,
    e2e: String,
    return_code: Option<&'static str>,
}

/// A German IBAN for payer `k`, with its check digits computed.
fn iban_of(k: usize) -> String {
    let bban = format!("37040044{:010}", 532_013_000 + k);
    let remainder = format!("{bban}131400")
        .bytes()
        .fold(0u32, |r, b| (r * 10 + u32::from(b - b'0')) % 97);
    format!("DE{:02}{bban}", 98 - remainder)
}

fn camt053(entries: &[Entry]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>\
         <GrpHdr><MsgId>JOURNEY</MsgId><CreDtTm>2026-03-03T05:00:00</CreDtTm></GrpHdr>\
         <Stmt><Id>STMT-2026-03-02</Id><CreDtTm>2026-03-03T05:00:00</CreDtTm>\
         <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>",
    );
    for (i, e) in entries.iter().enumerate() {
        let (ind, party, account) = if e.credit {
            ("CRDT", "Dbtr", "DbtrAcct")
        } else {
            ("DBIT", "Cdtr", "CdtrAcct")
        };
        let amount = format!("{}.{:02}", e.amount_minor / 100, e.amount_minor % 100);
        let _ = write!(
            xml,
            "<Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>{ind}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>\
             <BookgDt><Dt>2026-03-02</Dt></BookgDt><ValDt><Dt>2026-03-02</Dt></ValDt>\
             <AcctSvcrRef>J-{i}</AcctSvcrRef><BkTxCd/><NtryDtls><TxDtls>\
             <Refs><EndToEndId>{}</EndToEndId></Refs><Amt Ccy=\"EUR\">{amount}</Amt>\
             <RltdPties><{party}><Pty><Nm>{}</Nm></Pty></{party}><{account}><Id><IBAN>{}</IBAN></Id></{account}></RltdPties>",
            e.e2e, e.name, e.iban
        );
        xml.push_str("<RmtInf>");
        if !e.text.is_empty() {
            let _ = write!(xml, "<Ustrd>{}</Ustrd>", e.text);
        }
        if let Some(r) = &e.structured {
            let _ = write!(xml, "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{r}</Ref></CdtrRefInf></Strd>");
        }
        xml.push_str("</RmtInf>");
        if let Some(code) = e.return_code {
            let _ = write!(xml, "<RtrInf><Rsn><Cd>{code}</Cd></Rsn></RtrInf>");
        }
        xml.push_str("</TxDtls></NtryDtls></Ntry>");
    }
    xml.push_str("</Stmt></BkToCstmrStmt></Document>");
    xml
}

fn import(store: &mut Store, org: &Org, xml: &str) -> dun_store::bank::BankImportSummary {
    let statements = dun_bank::parse_statements(xml.as_bytes(), &dun_bank::ParseOptions::default())
        .expect("the statement parses");
    store
        .import_bank_statements(org.id, "journey.xml", &statements, false)
        .expect("the statement imports")
}

struct Inv {
    id: i64,
    number: String,
    amount_minor: i64,
}

fn credit(
    amount_minor: i64,
    k: usize,
    text: String,
    structured: Option<String>,
    e2e: String,
) -> Entry {
    Entry {
        amount_minor,
        credit: true,
        name: format!("C{k:02} Corp"),
        iban: iban_of(k),
        text,
        structured,
        e2e,
        return_code: None,
    }
}

storage_test!(
    fn a_days_statement_pays_who_paid_and_the_run_spares_them(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let mut book: Vec<(dun_store::customers::Customer, Vec<Inv>)> = Vec::new();
        for k in 0..CUSTOMERS {
            let c = customer(store, &acme, &format!("C{k:02}"));
            let mut invoices = Vec::new();
            for j in 0..INVOICES_EACH {
                let amount_minor = ((k * INVOICES_EACH + j + 1) * 1_000) as i64 * 100 + 37;
                let posted = issue_draft(
                    store,
                    &acme,
                    &draft_in(c.id, eur(), d("2026-01-05"), "net30", amount_minor),
                );
                invoices.push(Inv {
                    id: posted.invoice_id,
                    number: posted.number,
                    amount_minor,
                });
            }
            book.push((c, invoices));
        }
        assert_eq!(book.iter().map(|(_, i)| i.len()).sum::<usize>(), 200);

        // Customers 25..30 paid before; a person confirmed their first
        // invoice from their account, which taught it.
        let earlier: Vec<Entry> = (25..30)
            .map(|k| {
                credit(
                    book[k].1[0].amount_minor,
                    k,
                    "February".into(),
                    None,
                    format!("OLD-{k}"),
                )
            })
            .collect();
        let before = import(
            store,
            &acme,
            &camt053(&earlier)
                .replace("STMT-2026-03-02", "STMT-2026-02-27")
                .replace("J-", "OLD-"),
        );
        assert_eq!(
            before.matched, 0,
            "unknown payers without a reference wait for a person"
        );
        for line in store.bank_transactions(acme.id, BankFilter::Queue).unwrap() {
            let k: usize = line.counterparty_name.as_deref().unwrap()[1..3]
                .parse()
                .unwrap();
            store
                .confirm_bank_transaction(
                    acme.id,
                    line.id,
                    &Confirm {
                        customer_ref: book[k].0.reference.clone(),
                        invoices: vec![(book[k].1[0].number.clone(), None)],
                    },
                )
                .unwrap();
        }

        let mut entries = Vec::new();
        // 0..15: every invoice by its RF reference (structured or typed in
        // groups); customer 0 overpays one, customer 1 pays half of one.
        for k in 0..15 {
            for (j, inv) in book[k].1.iter().enumerate() {
                let r = CreditorReference::for_invoice(inv.id);
                let amount = match (k, j) {
                    (0, 0) => inv.amount_minor + 50_00,
                    (1, 0) => inv.amount_minor / 2,
                    _ => inv.amount_minor,
                };
                let (text, structured) = if j % 2 == 0 {
                    (String::new(), Some(r.as_str().to_string()))
                } else {
                    (format!("Zahlung {}", r.grouped()), None)
                };
                entries.push(credit(amount, k, text, structured, format!("RF-{k}-{j}")));
            }
        }
        // 15..25: invoice numbers typed every which way.
        for k in 15..25 {
            for (j, inv) in book[k].1.iter().enumerate() {
                let digits = inv
                    .number
                    .trim_start_matches(|c: char| !c.is_ascii_digit())
                    .trim_start_matches('0');
                let text = match j {
                    0 => format!("inv {digits}"),
                    1 => format!("Rechnung {}", inv.number.to_lowercase()),
                    2 => format!("invoice #{digits} thanks"),
                    _ => inv.number.replace('-', " "),
                };
                entries.push(credit(
                    inv.amount_minor,
                    k,
                    text,
                    None,
                    format!("NO-{k}-{j}"),
                ));
            }
        }
        // 25..30: the known payers, no reference, exact amounts.
        for k in 25..30 {
            for (j, inv) in book[k].1.iter().enumerate().skip(1) {
                entries.push(credit(
                    inv.amount_minor,
                    k,
                    "see attached".into(),
                    None,
                    format!("KP-{k}-{j}"),
                ));
            }
        }
        // 30..41: unknown payers, no reference: a person decides.
        for k in 30..41 {
            for (j, inv) in book[k].1.iter().enumerate().take(3) {
                entries.push(credit(
                    inv.amount_minor,
                    k,
                    "transfer".into(),
                    None,
                    format!("UP-{k}-{j}"),
                ));
            }
        }
        // A stranger's transfer, and the bank returning customer 14's last payment.
        entries.push(Entry {
            amount_minor: 999_99,
            credit: true,
            name: "Nobody We Know".into(),
            iban: iban_of(99),
            text: "loan".into(),
            structured: None,
            e2e: "X-1".into(),
            return_code: None,
        });
        let returned = &book[14].1[3];
        entries.push(Entry {
            amount_minor: returned.amount_minor,
            credit: false,
            name: "C14 Corp".into(),
            iban: iban_of(14),
            text: "RETURN".into(),
            structured: None,
            e2e: "RF-14-3".into(),
            return_code: Some("AM04"),
        });
        assert_eq!(entries.len(), 150);

        let xml = camt053(&entries);
        let s = import(store, &acme, &xml);
        assert_eq!((s.lines_read, s.lines_new), (150, 150));
        // 60 by reference, 40 by number, 15 by known payer.
        assert_eq!((s.matched, s.returned, s.debits), (115, 1, 0), "{s:?}");
        assert_eq!(s.suggested + s.unmatched, 34, "{s:?}");
        assert_eq!(
            import(store, &acme, &xml).lines_new,
            0,
            "the same file again adds nothing"
        );

        // What each customer owes now.
        let owing: BTreeSet<usize> = (0..CUSTOMERS)
            .filter(|&k| {
                book[k]
                    .1
                    .iter()
                    .any(|inv| open_of(store, &acme, &inv.number) > 0)
            })
            .collect();
        let paid: Vec<usize> = (0..CUSTOMERS).filter(|k| !owing.contains(k)).collect();
        // 0 (overpaid: credit), 2..14, 15..30 paid everything; 1 (half), 14 (returned) and 30.. did not.
        assert!(owing.contains(&1) && owing.contains(&14) && owing.contains(&30));
        assert_eq!(paid.len(), 28, "{paid:?}");
        assert_eq!(
            open_of(store, &acme, &book[1].1[0].number),
            book[1].1[0].amount_minor - book[1].1[0].amount_minor / 2
        );

        // The run the next morning: no message, fee, interest, hold or task
        // for those who paid (their risk tier is re-scored; that is internal).
        let run = store
            .run_collections(acme.id, d("2026-03-03"), true)
            .unwrap();
        for &k in &paid {
            let id = book[k].0.id;
            let actions: Vec<&str> = run
                .plan
                .actions
                .iter()
                .filter(|a| a.customer_id == id)
                .map(|a| a.kind.name())
                .filter(|k| *k != "tier")
                .collect();
            assert!(
                actions.is_empty(),
                "C{k:02} paid everything, yet the run did {actions:?}"
            );
        }
        let chased: BTreeSet<i64> = run.plan.actions.iter().map(|a| a.customer_id).collect();
        assert!(
            chased.contains(&book[45].0.id),
            "an unpaid customer is still chased"
        );
        let outbox = store.outbox_recent(acme.id, None, 1000).unwrap();
        for &k in &paid {
            assert!(
                outbox.iter().all(|m| m.customer_id != book[k].0.id),
                "a message to C{k:02}, who paid"
            );
        }

        // The queue: the 33 from unknown payers with candidates and
        // reasons, the stranger with none.
        let queue = store.bank_transactions(acme.id, BankFilter::Queue).unwrap();
        assert_eq!(queue.len(), 34);
        for line in &queue {
            if line.counterparty_name.as_deref() == Some("Nobody We Know") {
                assert!(line.candidates.is_empty(), "{line:?}");
                continue;
            }
            let k: usize = line.counterparty_name.as_deref().unwrap()[1..3]
                .parse()
                .unwrap();
            let best = &line.candidates[0];
            assert_eq!(best.customer_ref, book[k].0.reference, "{line:?}");
            assert!(
                best.reasons.iter().any(|r| r.contains("resembles"))
                    && best.reasons.iter().any(|r| r.contains("has open")),
                "{line:?}"
            );
        }
        let returned_line = store
            .bank_transactions(acme.id, BankFilter::All)
            .unwrap()
            .into_iter()
            .find(|t| t.amount_minor < 0)
            .unwrap();
        assert_eq!(returned_line.status, "returned");
        assert!(returned_line.reasons[0].contains("insufficient funds (AM04)"));

        // Confirming one teaches its account: C31's next payment matches itself.
        let c31 = queue
            .iter()
            .find(|l| l.counterparty_name.as_deref() == Some("C31 Corp"))
            .unwrap();
        let pays = &c31.candidates[0].invoices;
        store
            .confirm_bank_transaction(
                acme.id,
                c31.id,
                &Confirm {
                    customer_ref: "C31".into(),
                    invoices: vec![(pays[0].clone(), None)],
                },
            )
            .unwrap();
        let last = &book[31].1[3];
        let next = camt053(&[credit(
            last.amount_minor,
            31,
            String::new(),
            None,
            "NEXT".into(),
        )])
        .replace("J-0", "NEXT-0");
        let s = import(store, &acme, &next);
        assert_eq!(s.matched, 1, "{s:?}");
        assert_eq!(open_of(store, &acme, &last.number), 0);
        check_book(store);
    }
);
