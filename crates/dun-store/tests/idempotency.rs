//! Idempotency keys: a command sent twice is done once; a key is never
//! reused for another command.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use common::*;
use dun_core::ledger::EntryKind;
use dun_core::posting::PostingError;
use dun_store::idempotency::KEY_BYTES_MAX;
use dun_store::payments::Allocate;
use dun_store::{Store, StoreError};

fn entry_count(store: &mut Store, org_id: i64) -> usize {
    store.entries(org_id).unwrap().len()
}

storage_test!(
    fn a_repeated_key_returns_the_first_result_and_posts_nothing(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let row = customer_row("ALPHA", "Alpha Inc");
        let alpha = store.add_customer(acme.id, &row, Some("cust-1")).unwrap();
        assert_eq!(
            store.add_customer(acme.id, &row, Some("cust-1")).unwrap(),
            alpha
        );
        assert_eq!(store.customers(acme.id).unwrap().len(), 1);

        let first_draft = draft(alpha.id, d("2026-01-05"), "net30", 100_00);
        let id = store
            .create_invoice(acme.id, &first_draft, Some("draft-1"))
            .unwrap();
        assert_eq!(
            store
                .create_invoice(acme.id, &first_draft, Some("draft-1"))
                .unwrap(),
            id
        );
        assert_eq!(all_invoices(store, acme.id).len(), 1, "one draft");

        let issued = store
            .issue_invoice(acme.id, &id.to_string(), None, Some("issue-1"))
            .unwrap();
        let entries = entry_count(store, acme.id);
        assert_eq!(
            store
                .issue_invoice(acme.id, &id.to_string(), None, Some("issue-1"))
                .unwrap(),
            issued,
            "not 'already issued'"
        );
        assert_eq!(entry_count(store, acme.id), entries);

        let pay = payment(&alpha, "2026-01-20", 130_00);
        let paid = store
            .record_payment(acme.id, &pay, &Allocate::OldestDueFirst, Some("pay-1"))
            .unwrap();
        let entries = entry_count(store, acme.id);
        assert_eq!(
            store
                .record_payment(acme.id, &pay, &Allocate::OldestDueFirst, Some("pay-1"))
                .unwrap(),
            paid
        );
        assert_eq!(
            entry_count(store, acme.id),
            entries,
            "the repeat posted entries"
        );
        assert_eq!(count_kind(store, acme.id, EntryKind::PaymentReceived), 1);

        let refund = store
            .refund_payment(
                acme.id,
                paid.payment_id,
                10_00,
                d("2026-01-21"),
                "overpaid",
                Some("refund-1"),
            )
            .unwrap();
        assert_eq!(
            store
                .refund_payment(
                    acme.id,
                    paid.payment_id,
                    10_00,
                    d("2026-01-21"),
                    "overpaid",
                    Some("refund-1")
                )
                .unwrap(),
            refund
        );
        assert_eq!(refund.unallocated_minor, 20_00, "refunded once");

        let second = invoice(store, &acme, &alpha, "2026-01-06", "net30", 50_00);
        let note = store
            .reduce_invoice(
                acme.id,
                &second.number,
                &credit_note(Some(5_00), "2026-01-22"),
                Some("cn-1"),
            )
            .unwrap();
        assert_eq!(
            store
                .reduce_invoice(
                    acme.id,
                    &second.number,
                    &credit_note(Some(5_00), "2026-01-22"),
                    Some("cn-1")
                )
                .unwrap(),
            note
        );
        let next = store
            .reduce_invoice(
                acme.id,
                &second.number,
                &credit_note(Some(1_00), "2026-01-22"),
                None,
            )
            .unwrap();
        assert_eq!(
            next.document_number.as_deref(),
            Some("CN-000002"),
            "the repeat took no number"
        );

        let third = invoice(store, &acme, &alpha, "2026-01-07", "net30", 70_00);
        let void = store
            .void_invoice(
                acme.id,
                &third.number,
                d("2026-01-23"),
                "duplicate",
                Some("void-1"),
            )
            .unwrap();
        assert_eq!(
            store
                .void_invoice(
                    acme.id,
                    &third.number,
                    d("2026-01-23"),
                    "duplicate",
                    Some("void-1")
                )
                .unwrap(),
            void
        );

        let reversed = store
            .reverse_payment(
                acme.id,
                paid.payment_id,
                d("2026-01-24"),
                "cheque bounced",
                Some("reverse-1"),
            )
            .unwrap();
        assert_eq!(
            store
                .reverse_payment(
                    acme.id,
                    paid.payment_id,
                    d("2026-01-24"),
                    "cheque bounced",
                    Some("reverse-1")
                )
                .unwrap(),
            reversed
        );

        let written = store
            .reduce_invoice(
                acme.id,
                &second.number,
                &write_off(None, "2026-06-30"),
                Some("wo-1"),
            )
            .unwrap();
        let entries = entry_count(store, acme.id);
        assert_eq!(
            store
                .reduce_invoice(
                    acme.id,
                    &second.number,
                    &write_off(None, "2026-06-30"),
                    Some("wo-1")
                )
                .unwrap(),
            written
        );
        assert_eq!(entry_count(store, acme.id), entries);
        for (kind, once) in [
            (EntryKind::InvoiceIssued, 3),
            (EntryKind::Refund, 1),
            (EntryKind::CreditNote, 2),
            (EntryKind::InvoiceVoided, 1),
            (EntryKind::PaymentReversed, 1),
            (EntryKind::WriteOff, 1),
        ] {
            assert_eq!(count_kind(store, acme.id, kind), once, "{kind:?}");
        }
    }
);

storage_test!(
    fn a_key_used_for_another_command_is_refused(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let inv = invoice(store, &acme, &alpha, "2026-01-05", "net30", 100_00);
        store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-01-20", 40_00),
                &Allocate::OldestDueFirst,
                Some("k-1"),
            )
            .unwrap();
        let before = snapshot(store, acme.id);

        let other_amount = store.record_payment(
            acme.id,
            &payment(&alpha, "2026-01-20", 41_00),
            &Allocate::OldestDueFirst,
            Some("k-1"),
        );
        assert!(
            matches!(other_amount, Err(StoreError::KeyReused(ref k)) if k == "k-1"),
            "{other_amount:?}"
        );
        let other_allocation = store.record_payment(
            acme.id,
            &payment(&alpha, "2026-01-20", 40_00),
            &Allocate::None,
            Some("k-1"),
        );
        assert!(
            matches!(other_allocation, Err(StoreError::KeyReused(_))),
            "{other_allocation:?}"
        );
        let other_kind = store.reduce_invoice(
            acme.id,
            &inv.number,
            &credit_note(Some(1_00), "2026-01-21"),
            Some("k-1"),
        );
        assert!(
            matches!(other_kind, Err(StoreError::KeyReused(_))),
            "{other_kind:?}"
        );
        let other_customer =
            store.add_customer(acme.id, &customer_row("BETA", "Beta"), Some("k-1"));
        assert!(
            matches!(other_customer, Err(StoreError::KeyReused(_))),
            "{other_customer:?}"
        );
        assert_eq!(
            snapshot(store, acme.id),
            before,
            "a refused key posted something"
        );
        let message = other_amount.unwrap_err().to_string();
        assert!(
            message.contains("'k-1'") && message.contains("use a new key"),
            "{message}"
        );

        let too_long = "k".repeat(KEY_BYTES_MAX + 1);
        let refused = store.record_payment(
            acme.id,
            &payment(&alpha, "2026-01-20", 1_00),
            &Allocate::None,
            Some(&too_long),
        );
        assert!(
            matches!(refused, Err(StoreError::Invalid(_))),
            "{refused:?}"
        );
        assert_eq!(snapshot(store, acme.id), before);
    }
);

storage_test!(
    fn a_refused_command_leaves_its_key_unused(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let inv = invoice(store, &acme, &alpha, "2026-01-05", "net30", 100_00);
        let refused = store.reduce_invoice(
            acme.id,
            &inv.number,
            &credit_note(Some(500_00), "2026-01-10"),
            Some("k-2"),
        );
        assert!(
            matches!(
                refused,
                Err(StoreError::Posting(PostingError::ExceedsOpen { .. }))
            ),
            "{refused:?}"
        );
        // The key was claimed in the refused command's transaction, so it went
        // with the rollback: another command may take it.
        let paid = store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-01-20", 100_00),
                &Allocate::OldestDueFirst,
                Some("k-2"),
            )
            .unwrap();
        assert_eq!(paid.unallocated_minor, 0);
    }
);

storage_test!(
    fn keys_belong_to_one_organisation(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let globex = org(store, "Globex");
        let a = store
            .add_customer(acme.id, &customer_row("ALPHA", "Alpha"), Some("shared-key"))
            .unwrap();
        let g = store
            .add_customer(
                globex.id,
                &customer_row("GAMMA", "Gamma"),
                Some("shared-key"),
            )
            .unwrap();
        assert_ne!(a.id, g.id);
        assert_eq!(store.customers(globex.id).unwrap()[0].reference, "GAMMA");
    }
);
