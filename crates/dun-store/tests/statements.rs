//! Statements of account read from the store, on SQLite and PostgreSQL:
//! figures by hand, and the same statement the domain draws from the whole
//! ledger.

#[macro_use]
mod common;

use std::collections::BTreeMap;

use common::*;
use dun_core::aging::AgingEdges;
use dun_core::ledger::EntryKind;
use dun_core::party::{Party, PaymentInstructions};
use dun_core::statement::{statements, StatementInput};
use dun_store::invoices::Reduction;
use dun_store::payments::Allocate;
use dun_store::{Org, Store, StoreError};

struct Book {
    org: Org,
    credit_note: String,
}

/// Customer C1: two USD invoices, a part payment, a credit note, money
/// received and not applied, a EUR invoice and a draft; C2: one invoice.
fn book(store: &mut Store) -> Book {
    let org = org(store, "Acme Ltd");
    keep_credit_unapplied(store, &org);
    let c1 = customer(store, &org, "C1");
    let c2 = customer(store, &org, "C2");
    invoice(store, &org, &c1, "2026-01-05", "net30", 100_000);
    let second = invoice(store, &org, &c1, "2026-02-10", "net30", 50_000);
    invoice(store, &org, &c2, "2026-02-11", "net30", 70_000);
    issue_draft(
        store,
        &org,
        &draft_in(c1.id, eur(), d("2026-02-12"), "net30", 20_000),
    );
    store
        .create_invoice(
            org.id,
            &draft(c1.id, d("2026-02-13"), "net30", 99_900),
            None,
        )
        .unwrap();
    store
        .record_payment(
            org.id,
            &payment(&c1, "2026-02-15", 60_000),
            &Allocate::OldestDueFirst,
            None,
        )
        .unwrap();
    let credit = store
        .reduce_invoice(
            org.id,
            &second.number,
            &Reduction {
                kind: EntryKind::CreditNote,
                amount_minor: Some(5_000),
                date: d("2026-02-20"),
                reason: "two units returned".into(),
            },
            None,
        )
        .unwrap();
    store
        .record_payment(
            org.id,
            &payment(&c1, "2026-02-25", 100_000),
            &Allocate::None,
            None,
        )
        .unwrap();
    Book {
        org,
        credit_note: credit.document_number.unwrap(),
    }
}

storage_test!(
    fn a_statement_by_hand(store: &mut Store) {
        let Book { org, credit_note } = book(store);
        let all = store
            .statement(org.id, "C1", d("2026-02-01"), d("2026-02-28"))
            .unwrap();
        let currencies: Vec<_> = all.iter().map(|s| s.currency).collect();
        assert_eq!(currencies, vec![eur(), usd()]);
        let eur_statement = &all[0];
        assert_eq!(eur_statement.opening_minor, 0);
        assert_eq!(eur_statement.closing_minor, 20_000);

        let s = &all[1];
        assert_eq!(s.opening_minor, 100_000);
        let lines: Vec<(String, i64, i64)> = s
            .lines
            .iter()
            .map(|l| (l.description(), l.amount_minor, l.balance_minor))
            .collect();
        assert_eq!(
            lines,
            vec![
                ("Invoice INV-000002".to_string(), 50_000, 150_000),
                (
                    "Payment received (ref BANK-2026-02-15-60000)".to_string(),
                    -60_000,
                    90_000
                ),
                (
                    format!("Credit note {credit_note} on INV-000002"),
                    -5_000,
                    85_000
                ),
                (
                    "Payment received (ref BANK-2026-02-25-100000)".to_string(),
                    -100_000,
                    -15_000
                ),
            ]
        );
        assert_eq!(s.closing_minor, -15_000);
        assert_eq!((s.charges_minor, s.credits_minor), (50_000, 165_000));
        // INV-000001 (due 2026-02-04) 400.00 is 24 days late; INV-000002
        // (due 2026-03-12) 450.00 is not due. 1,000.00 waits unapplied.
        assert_eq!(s.aging_minor, vec![45_000, 40_000, 0, 0, 0]);
        assert_eq!(s.unapplied_credit_minor, 100_000);
        assert_eq!(
            s.closing_minor,
            s.aging_total_minor() - s.unapplied_credit_minor
        );
        let open: Vec<&str> = s.open_invoices.iter().map(|o| o.number.as_str()).collect();
        assert_eq!(open, vec!["INV-000001", "INV-000002"]);

        // The other customer's invoice is only on its own statement.
        let c2 = store
            .statement(org.id, "C2", d("2026-02-01"), d("2026-02-28"))
            .unwrap();
        assert_eq!(c2.len(), 1);
        assert_eq!(c2[0].closing_minor, 70_000);
        assert_eq!(c2[0].lines.len(), 1);
    }
);

storage_test!(
    fn the_store_states_what_the_domain_draws_from_the_whole_ledger(store: &mut Store) {
        let Book { org, .. } = book(store);
        let entries: Vec<_> = store
            .entries(org.id)
            .unwrap()
            .into_iter()
            .map(|s| s.entry)
            .collect();
        let invoices = store.invoice_states(org.id).unwrap();
        let edges = AgingEdges::standard();
        let customers = store.customers(org.id).unwrap();
        let periods = [
            ("2025-12-01", "2025-12-31"),
            ("2026-01-01", "2026-01-31"),
            ("2026-02-01", "2026-02-14"),
            ("2026-02-15", "2026-02-15"),
            ("2026-01-10", "2026-03-31"),
            ("2026-06-01", "2026-06-30"),
        ];
        for c in &customers {
            for (from, to) in periods {
                let from_store = store
                    .statement(org.id, &c.reference, d(from), d(to))
                    .unwrap();
                // The domain is given no names: compare the figures.
                let none = BTreeMap::new();
                let drawn = statements(&StatementInput {
                    customer_id: c.id,
                    from: d(from),
                    to: d(to),
                    edges: &edges,
                    entries: &entries,
                    invoices: &invoices,
                    credit_notes: &none,
                    payments: &none,
                    plans: &[],
                })
                .unwrap();
                let figures = |all: &[dun_core::statement::Statement]| -> Vec<_> {
                    all.iter()
                        .map(|s| {
                            (
                                s.currency,
                                s.opening_minor,
                                s.lines
                                    .iter()
                                    .map(|l| (l.date, l.kind, l.amount_minor, l.balance_minor))
                                    .collect::<Vec<_>>(),
                                s.closing_minor,
                                s.aging_minor.clone(),
                                s.unapplied_credit_minor,
                            )
                        })
                        .collect()
                };
                assert_eq!(
                    figures(&from_store),
                    figures(&drawn),
                    "{} {from}..{to}",
                    c.reference
                );
            }
        }
        // Before anything happened: nothing to state.
        assert!(store
            .statement(org.id, "C1", d("2025-12-01"), d("2025-12-31"))
            .unwrap()
            .is_empty());
    }
);

storage_test!(
    fn the_organisations_aging_edges_shape_the_statement(store: &mut Store) {
        let Book { org, .. } = book(store);
        store
            .set_aging_edges(org.id, &AgingEdges::parse("15,45").unwrap())
            .unwrap();
        let s = store
            .statement(org.id, "C1", d("2026-02-01"), d("2026-02-28"))
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(s.aging_labels, vec!["current", "1-15", "16-45", "45+"]);
        assert_eq!(s.aging_minor, vec![45_000, 0, 40_000, 0]);
    }
);

storage_test!(
    fn refusals_name_what_is_wrong(store: &mut Store) {
        let Book { org, .. } = book(store);
        match store.statement(org.id, "C9", d("2026-02-01"), d("2026-02-28")) {
            Err(e @ StoreError::NotFound { .. }) => assert!(e.to_string().contains("C9"), "{e}"),
            other => panic!("an unknown customer: {other:?}"),
        }
        match store.statement(org.id, "C1", d("2026-03-01"), d("2026-02-01")) {
            Err(StoreError::Invalid(message)) => {
                assert!(
                    message.starts_with("from: ") && message.contains("2026-03-01"),
                    "{message}"
                )
            }
            other => panic!("a reversed period: {other:?}"),
        }
        // Another organisation's customer of the same reference is not found.
        let other = store.create_org(&new_org("Other Co")).unwrap();
        assert!(store
            .statement(other.id, "C1", d("2026-02-01"), d("2026-02-28"))
            .is_err());
    }
);

storage_test!(
    fn an_invoice_document_has_the_seller_the_buyer_and_how_to_pay(store: &mut Store) {
        let Book { org, .. } = book(store);
        store
            .set_seller(
                org.id,
                &Party {
                    name: "Acme Ltd".into(),
                    address_lines: vec!["1 High Street".into()],
                    city: Some("London".into()),
                    country_code: Some("GB".into()),
                    vat_id: Some("GB123456789".into()),
                    ..Party::default()
                },
                &PaymentInstructions {
                    iban: Some("GB82WEST12345698765432".into()),
                    ..PaymentInstructions::default()
                },
            )
            .unwrap();
        let doc = store
            .invoice_document(org.id, "INV-000001", d("2026-02-28"))
            .unwrap();
        assert_eq!(doc.invoice.number.as_deref(), Some("INV-000001"));
        assert_eq!(doc.invoice.open_minor, 40_000);
        assert_eq!(doc.seller.city.as_deref(), Some("London"));
        assert_eq!(doc.payment.iban.as_deref(), Some("GB82WEST12345698765432"));
        assert_eq!(doc.buyer.name, "C1 Corp");
        let with_names = store
            .customer_statements(org.id, "C1", d("2026-02-01"), d("2026-02-28"))
            .unwrap();
        assert_eq!(with_names.seller.vat_id.as_deref(), Some("GB123456789"));
        assert_eq!(with_names.buyer.name, "C1 Corp");
        assert_eq!(with_names.statements.len(), 2);
    }
);
