//! Bank statements in, on both engines: each line kept once however often
//! it is imported, credits matched by reference, invoice number or a known
//! payer and posted as payments, returns reversed, the rest in the queue
//! for a person — whose confirmation teaches the payer, and whose undo
//! restores the book exactly.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use common::*;
use dun_core::bank::{BankLine, Statement, StatementFormat};
use dun_core::reference::CreditorReference;
use dun_store::bank_queue::{BankFilter, Confirm};
use dun_store::{Org, Store};

fn line(booked: &str, amount_minor: i64, text: &str) -> BankLine {
    let mut l = BankLine::new(d(booked), amount_minor, usd());
    l.remittance = text.to_string();
    l
}

fn statement(lines: Vec<BankLine>) -> Statement {
    Statement {
        format: StatementFormat::Camt("camt.053.001.08".into()),
        statement_id: Some("STMT-1".into()),
        account_iban: Some("DE89370400440532013000".into()),
        currency: Some(usd()),
        opening_minor: None,
        closing_minor: None,
        lines,
    }
}

fn balances(store: &mut Store, org: &Org) -> String {
    format!("{:?}", store.balances(org.id).unwrap())
}

fn queue(store: &mut Store, org: &Org) -> Vec<dun_store::bank_queue::BankTransaction> {
    store.bank_transactions(org.id, BankFilter::Queue).unwrap()
}

storage_test!(
    fn a_reference_pays_its_invoice_and_a_second_import_adds_nothing(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let c = customer(store, &acme, "C1");
        let inv = invoice(store, &acme, &c, "2026-03-01", "net30", 100_00);
        let mut paid = line(
            "2026-03-20",
            100_00,
            &format!(
                "Payment {}",
                CreditorReference::for_invoice(inv.invoice_id).grouped()
            ),
        );
        paid.bank_ref = Some("BANK-1".into());
        let file = vec![statement(vec![
            paid.clone(),
            line("2026-03-21", -50_00, "rent"),
        ])];
        let first = store
            .import_bank_statements(acme.id, "march.xml", &file, false)
            .unwrap();
        assert_eq!(
            (
                first.lines_read,
                first.lines_new,
                first.matched,
                first.debits
            ),
            (2, 2, 1, 1)
        );
        assert_eq!(open_of(store, &acme, &inv.number), 0);
        let entries = store.entries(acme.id).unwrap().len();
        let again = store
            .import_bank_statements(acme.id, "march.xml", &file, false)
            .unwrap();
        assert_eq!(
            (again.lines_read, again.lines_new, again.matched),
            (2, 0, 0)
        );
        // An overlapping statement: the old line again and a new one.
        let overlap = vec![statement(vec![paid, line("2026-03-22", 5_00, "coffee")])];
        let third = store
            .import_bank_statements(acme.id, "week.xml", &overlap, false)
            .unwrap();
        assert_eq!((third.lines_new, third.matched, third.unmatched), (1, 0, 1));
        assert_eq!(store.entries(acme.id).unwrap().len(), entries);
        let all = store.bank_transactions(acme.id, BankFilter::All).unwrap();
        assert_eq!(all.len(), 3);
        let matched = all.iter().find(|t| t.status == "matched").unwrap();
        assert_eq!(matched.rule.as_deref(), Some("reference"));
        assert_eq!(matched.customer_ref.as_deref(), Some("C1"));
        assert!(
            matched.reasons[0].contains(&inv.number),
            "{:?}",
            matched.reasons
        );
        check_book(store);
    }
);

storage_test!(
    fn identical_lines_without_a_bank_reference_count_each_once(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let twice = vec![statement(vec![
            line("2026-03-20", 10_00, "x"),
            line("2026-03-20", 10_00, "x"),
        ])];
        let first = store
            .import_bank_statements(acme.id, "a.csv", &twice, false)
            .unwrap();
        assert_eq!(first.lines_new, 2);
        let again = store
            .import_bank_statements(acme.id, "a.csv", &twice, false)
            .unwrap();
        assert_eq!(again.lines_new, 0);
        let three = vec![statement(vec![
            line("2026-03-20", 10_00, "x"),
            line("2026-03-20", 10_00, "x"),
            line("2026-03-20", 10_00, "x"),
        ])];
        assert_eq!(
            store
                .import_bank_statements(acme.id, "b.csv", &three, false)
                .unwrap()
                .lines_new,
            1
        );
    }
);

storage_test!(
    fn balances_that_do_not_add_up_refuse_the_file_whole(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let c = customer(store, &acme, "C1");
        let inv = invoice(store, &acme, &c, "2026-03-01", "net30", 100_00);
        let mut s = statement(vec![line("2026-03-20", 100_00, &inv.number)]);
        s.opening_minor = Some(1_000_00);
        s.closing_minor = Some(1_050_00);
        let before = snapshot(store, acme.id);
        let err = store
            .import_bank_statements(acme.id, "bad.xml", &[s.clone()], false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("do not add up") && err.contains("110000") && err.contains("105000"),
            "{err}"
        );
        assert_eq!(snapshot(store, acme.id), before);
        assert!(store
            .bank_transactions(acme.id, BankFilter::All)
            .unwrap()
            .is_empty());
        // Told to, it imports anyway.
        let done = store
            .import_bank_statements(acme.id, "bad.xml", &[s], true)
            .unwrap();
        assert_eq!(done.matched, 1);
    }
);

storage_test!(
    fn confirming_teaches_the_payer_and_the_next_payment_matches_itself(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let c = customer(store, &acme, "C1");
        let first = invoice(store, &acme, &c, "2026-03-01", "net30", 80_00);
        let second = invoice(store, &acme, &c, "2026-03-05", "net30", 45_50);
        let mut stranger = line("2026-03-20", 80_00, "thanks");
        stranger.counterparty_name = Some("Jane Q Public".into());
        stranger.counterparty_iban = Some("GB82WEST12345698765432".into());
        let s = store
            .import_bank_statements(
                acme.id,
                "a.xml",
                &[statement(vec![stranger.clone()])],
                false,
            )
            .unwrap();
        assert_eq!(s.matched, 0);
        let waiting = queue(store, &acme);
        assert_eq!(waiting.len(), 1);
        // The amount equals an open invoice: a candidate, with the reason.
        assert_eq!(waiting[0].status, "suggested");
        assert_eq!(waiting[0].candidates[0].customer_ref, "C1");
        assert!(waiting[0].candidates[0].reasons[0].contains(&first.number));
        let confirmed = store
            .confirm_bank_transaction(
                acme.id,
                waiting[0].id,
                &Confirm {
                    customer_ref: "C1".into(),
                    invoices: vec![(first.number.clone(), None)],
                },
            )
            .unwrap();
        assert_eq!(
            (confirmed.status.as_str(), confirmed.rule.as_deref()),
            ("matched", Some("person"))
        );
        assert_eq!(open_of(store, &acme, &first.number), 0);
        // Deciding it again is refused: it is no longer waiting.
        let again = store.confirm_bank_transaction(
            acme.id,
            waiting[0].id,
            &Confirm {
                customer_ref: "C1".into(),
                invoices: vec![],
            },
        );
        assert!(again.unwrap_err().to_string().contains("is matched"));
        // The next payment from that account, of the other invoice's amount, matches itself.
        let mut next = stranger;
        next.booked = d("2026-04-02");
        next.amount_minor = 45_50;
        let s = store
            .import_bank_statements(acme.id, "b.xml", &[statement(vec![next])], false)
            .unwrap();
        assert_eq!(s.matched, 1);
        assert_eq!(open_of(store, &acme, &second.number), 0);
        let matched = store
            .bank_transactions(acme.id, BankFilter::Matched)
            .unwrap();
        assert_eq!(matched[0].rule.as_deref(), Some("known_payer"));
        check_book(store);
    }
);

storage_test!(
    fn undoing_a_match_restores_the_book_and_the_queue(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let c = customer(store, &acme, "C1");
        let inv = invoice(store, &acme, &c, "2026-03-01", "net30", 100_00);
        let before = balances(store, &acme);
        let s = store
            .import_bank_statements(
                acme.id,
                "a.xml",
                &[statement(vec![line(
                    "2026-03-20",
                    130_00,
                    &format!("inv {}", inv.number),
                )])],
                false,
            )
            .unwrap();
        assert_eq!(s.matched, 1);
        assert_ne!(balances(store, &acme), before);
        let id = store
            .bank_transactions(acme.id, BankFilter::Matched)
            .unwrap()[0]
            .id;
        assert!(
            store.undo_bank_match(acme.id, id, "").is_err(),
            "a reason is required"
        );
        let undone = store
            .undo_bank_match(acme.id, id, "wrong customer")
            .unwrap();
        assert_eq!(undone.status, "unmatched");
        assert_eq!(balances(store, &acme), before);
        assert_eq!(open_of(store, &acme, &inv.number), 100_00);
        assert_eq!(queue(store, &acme).len(), 1);
        // And it can be decided again.
        let dismissed = store
            .dismiss_bank_transaction(acme.id, id, "owner's loan")
            .unwrap();
        assert_eq!(dismissed.status, "not_customer");
        assert!(queue(store, &acme).is_empty());
        check_book(store);
    }
);

storage_test!(
    fn a_returned_debit_reverses_the_payment_it_returns(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let c = customer(store, &acme, "C1");
        let inv = invoice(store, &acme, &c, "2026-03-01", "net30", 100_00);
        let mut collected = line("2026-03-20", 100_00, &inv.number);
        collected.end_to_end_id = Some("E2E-77".into());
        store
            .import_bank_statements(acme.id, "a.xml", &[statement(vec![collected])], false)
            .unwrap();
        assert_eq!(open_of(store, &acme, &inv.number), 0);
        let mut returned = line("2026-03-25", -100_00, "RETURN");
        returned.end_to_end_id = Some("E2E-77".into());
        returned.return_reason = Some("AM04".into());
        let s = store
            .import_bank_statements(acme.id, "b.xml", &[statement(vec![returned])], false)
            .unwrap();
        assert_eq!((s.returned, s.debits), (1, 0));
        assert_eq!(open_of(store, &acme, &inv.number), 100_00);
        let all = store.bank_transactions(acme.id, BankFilter::All).unwrap();
        assert!(all.iter().all(|t| t.status == "returned"), "{all:?}");
        assert!(all.iter().any(|t| t
            .reasons
            .iter()
            .any(|r| r.contains("insufficient funds (AM04)"))));
        check_book(store);
    }
);

storage_test!(
    fn money_in_another_currency_waits_for_a_person(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let c = customer(store, &acme, "C1");
        let inv = invoice(store, &acme, &c, "2026-03-01", "net30", 100_00);
        let mut euros = line(
            "2026-03-20",
            100_00,
            &CreditorReference::for_invoice(inv.invoice_id).grouped(),
        );
        euros.currency = eur();
        let mut s = statement(vec![euros]);
        s.currency = Some(eur());
        let done = store
            .import_bank_statements(acme.id, "a.xml", &[s], false)
            .unwrap();
        assert_eq!((done.matched, done.suggested), (0, 1));
        assert_eq!(open_of(store, &acme, &inv.number), 100_00);
        let waiting = queue(store, &acme);
        assert!(
            waiting[0].candidates[0]
                .reasons
                .iter()
                .any(|r| r.contains("is in USD")),
            "{waiting:?}"
        );
    }
);

storage_test!(
    fn a_known_payer_paying_the_installment_due_pays_the_plans_invoices(store: &mut Store) {
        use dun_core::terms::Installment;
        use dun_store::plans::NewPlan;
        let acme = org(store, "Acme Ltd");
        let c = customer(store, &acme, "C1");
        let older = invoice(store, &acme, &c, "2026-01-05", "net30", 400_00);
        let newer = invoice(store, &acme, &c, "2026-01-20", "net30", 200_00);
        let other = invoice(store, &acme, &c, "2026-02-01", "net30", 55_00);
        store
            .create_plan(
                acme.id,
                &NewPlan {
                    customer_ref: "C1".into(),
                    invoices: vec![older.number.clone(), newer.number.clone()].into(),
                    installments: [
                        ("2026-03-01", 150_00),
                        ("2026-04-01", 150_00),
                        ("2026-05-01", 300_00),
                    ]
                    .iter()
                    .map(|(due, amount_minor)| Installment {
                        due_date: d(due),
                        amount_minor: *amount_minor,
                    })
                    .collect(),
                    created_on: d("2026-02-15"),
                    author: "clerk".into(),
                },
                None,
            )
            .unwrap();
        // The payer's account is known: a person confirmed an earlier line.
        let mut taught = line("2026-02-20", 55_00, "Feb");
        taught.counterparty_iban = Some("GB82WEST12345698765432".into());
        store
            .import_bank_statements(
                acme.id,
                "feb.xml",
                &[statement(vec![taught.clone()])],
                false,
            )
            .unwrap();
        let waiting = queue(store, &acme)[0].id;
        store
            .confirm_bank_transaction(
                acme.id,
                waiting,
                &Confirm {
                    customer_ref: "C1".into(),
                    invoices: vec![(other.number.clone(), None)],
                },
            )
            .unwrap();

        // Exactly the first installment, after its day: matched to the plan.
        let mut installment = taught.clone();
        installment.booked = d("2026-03-03");
        installment.amount_minor = 150_00;
        installment.remittance = "Rate 1".into();
        let s = store
            .import_bank_statements(
                acme.id,
                "mar.xml",
                &[statement(vec![installment.clone()])],
                false,
            )
            .unwrap();
        assert_eq!((s.matched, s.suggested), (1, 0));
        assert_eq!(open_of(store, &acme, &older.number), 250_00);
        assert_eq!(open_of(store, &acme, &newer.number), 200_00);
        let matched = store
            .bank_transactions(acme.id, BankFilter::Matched)
            .unwrap();
        assert_eq!(matched[0].rule.as_deref(), Some("known_payer"));
        assert!(
            matched[0]
                .reasons
                .iter()
                .any(|r| r.contains("plan has due")),
            "{:?}",
            matched[0].reasons
        );
        // The same amount again before the second installment's day: the
        // plan has nothing due, so a person decides.
        installment.booked = d("2026-03-20");
        installment.remittance = "Rate 2".into();
        let s = store
            .import_bank_statements(acme.id, "mar2.xml", &[statement(vec![installment])], false)
            .unwrap();
        assert_eq!((s.matched, s.suggested), (0, 1));
        assert_eq!(open_of(store, &acme, &older.number), 250_00);
        check_book(store);
    }
);

/// What an organisation's ledger, payments and payment timeline say, with
/// ids replaced by what a person reads (invoice numbers, the payment's
/// place in order), so two organisations' books can be compared.
fn ledger_as_read(store: &mut Store, org: &Org) -> Vec<String> {
    let numbers: std::collections::HashMap<i64, String> = all_invoices(store, org.id)
        .into_iter()
        .map(|i| (i.id, i.number.unwrap_or_default()))
        .collect();
    let mut payments = store.payments(org.id, 1_000).unwrap();
    payments.sort_by_key(|(id, _, _)| *id);
    let place: std::collections::HashMap<i64, usize> = payments
        .iter()
        .enumerate()
        .map(|(k, (id, _, _))| (*id, k + 1))
        .collect();
    let mut read: Vec<String> = payments
        .iter()
        .map(|(_, p, unallocated)| {
            format!(
                "payment {} {} {} {} '{}' unallocated {unallocated}",
                p.received_date, p.customer_ref, p.amount_minor, p.method, p.reference
            )
        })
        .collect();
    for e in store.entries(org.id).unwrap() {
        let e = e.entry;
        read.push(format!(
            "entry {} invoice {:?} payment {:?} ar {} credit {} on {}",
            e.kind.as_str(),
            e.invoice_id.map(|id| numbers[&id].clone()),
            e.payment_id.map(|id| place[&id]),
            e.ar_minor,
            e.credit_minor,
            e.effective_date
        ));
    }
    for number in numbers.values() {
        read.push(format!("open {number} {}", open_of(store, org, number)));
    }
    read.sort();
    read
}

storage_test!(
    fn credits_matched_together_post_what_each_typed_payment_would(store: &mut Store) {
        // Two organisations with the same book; one learns its payments
        // from a statement, the other has each typed with the allocations
        // the matcher chose. Their books must read the same.
        let acme = org(store, "Acme Ltd");
        let twin = org(store, "Twin Ltd");
        let mut invoices = Vec::new();
        for o in [&acme, &twin] {
            let c1 = customer(store, o, "C1");
            let c2 = customer(store, o, "C2");
            let c3 = customer(store, o, "C3");
            let mut numbers = Vec::new();
            for (c, day, amount) in [
                (&c1, "2026-03-01", 100_00),
                (&c1, "2026-03-02", 100_00),
                (&c1, "2026-03-03", 75_50),
                (&c2, "2026-03-04", 100_00),
                (&c2, "2026-03-05", 100_00),
                (&c3, "2026-03-06", 100_00),
            ] {
                numbers.push(invoice(store, o, c, day, "net30", amount));
            }
            invoices.push(numbers);
        }
        let inv = &invoices[0];
        let reference = |k: usize| CreditorReference::for_invoice(inv[k].invoice_id).grouped();
        let texts = [
            (format!("RF {}", reference(0)), 100_00),
            (format!("part {}", reference(1)), 40_00),
            (format!("rest {}", reference(1)), 60_00),
            (format!("invoice {}", inv[2].number.to_lowercase()), 75_50),
            // An overpayment: 20.00 left as credit, applied by the policy
            // to C2's other invoice.
            (reference(3), 120_00),
            // C2 now holds credit: posted one by one, 80.00 to the
            // invoice, the rest credit.
            (reference(4), 100_00),
            (reference(5), 100_00),
        ];
        let lines: Vec<BankLine> = texts
            .iter()
            .map(|(text, amount)| line("2026-03-20", *amount, text))
            .collect();
        let summary = store
            .import_bank_statements(acme.id, "march.xml", &[statement(lines)], false)
            .unwrap();
        assert_eq!(
            (summary.matched, summary.suggested, summary.unmatched),
            (7, 0, 0)
        );
        let twin_invoices = &invoices[1];
        // Customer, line, and the invoices (by place) with what each gets.
        type Typed<'a> = (&'a str, usize, &'a [(usize, i64)]);
        let typed: [Typed<'_>; 7] = [
            ("C1", 0, &[(0, 100_00)]),
            ("C1", 1, &[(1, 40_00)]),
            ("C1", 2, &[(1, 60_00)]),
            ("C1", 3, &[(2, 75_50)]),
            ("C2", 4, &[(3, 100_00)]),
            ("C2", 5, &[(4, 80_00)]),
            ("C3", 6, &[(5, 100_00)]),
        ];
        for (customer_ref, k, allocations) in typed {
            let (text, amount) = &texts[k];
            let payment = dun_store::payments::NewPayment {
                customer_ref: customer_ref.into(),
                currency: usd(),
                received_date: d("2026-03-20"),
                amount_minor: *amount,
                method: "bank transfer".into(),
                reference: text.clone(),
                note: "from the bank statement, booked 2026-03-20".into(),
            };
            let explicit = allocations
                .iter()
                .map(|(i, a)| (twin_invoices[*i].number.clone(), *a))
                .collect();
            store
                .record_payment(
                    twin.id,
                    &payment,
                    &dun_store::payments::Allocate::Explicit(explicit),
                    None,
                )
                .unwrap();
        }
        assert_eq!(ledger_as_read(store, &acme), ledger_as_read(store, &twin));
        // The customers' timelines say the same, line for line.
        for reference in ["C1", "C2", "C3"] {
            let said: Vec<Vec<String>> = [&acme, &twin]
                .iter()
                .map(|o| {
                    let c = store.customer(o.id, reference).unwrap();
                    let mut s: Vec<String> = store
                        .timeline(o.id, c.id, None, 100)
                        .unwrap()
                        .into_iter()
                        .filter(|t| t.kind != "invoice")
                        .map(|t| format!("{} {} {}", t.on_date, t.kind, t.summary))
                        .collect();
                    s.sort();
                    s
                })
                .collect();
            assert_eq!(said[0], said[1], "{reference}");
            assert!(said[0].iter().any(|s| s.contains("Payment of")), "{said:?}");
        }
        check_book(store);
    }
);

storage_test!(
    fn a_statement_paying_hundreds_of_invoices_moves_each_once(store: &mut Store) {
        // More invoices than one statement of moves holds (a hundred):
        // each paid exactly once, partly or in full, and the book verifies.
        let acme = org(store, "Acme Ltd");
        let c = customer(store, &acme, "C1");
        let invoices: Vec<_> = (0..250)
            .map(|k| invoice(store, &acme, &c, "2026-03-01", "net30", 10_00 + k))
            .collect();
        let lines: Vec<BankLine> = invoices
            .iter()
            .enumerate()
            .map(|(k, inv)| {
                // Every third invoice is paid a cent short.
                let short = i64::from(k % 3 == 0);
                line(
                    &format!("2026-03-{:02}", 2 + k % 20),
                    inv.amount_minor - short,
                    &CreditorReference::for_invoice(inv.invoice_id).grouped(),
                )
            })
            .collect();
        let summary = store
            .import_bank_statements(acme.id, "big.xml", &[statement(lines)], false)
            .unwrap();
        assert_eq!(summary.matched, 250);
        for (k, inv) in invoices.iter().enumerate() {
            let open = i64::from(k % 3 == 0);
            assert_eq!(open_of(store, &acme, &inv.number), open, "{}", inv.number);
        }
        check_book(store);
    }
);
