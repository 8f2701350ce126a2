//! Payments: receipt, allocation (oldest due first or explicit), customer
//! credit, refunds and reversals.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use common::*;
use dun_core::ledger::EntryKind;
use dun_core::posting::PostingError;
use dun_core::state::SettlementStatus;
use dun_store::payments::{Allocate, Allocated, NewPayment};
use dun_store::{Store, StoreError};

fn allocated(list: &[Allocated]) -> Vec<(&str, i64)> {
    list.iter()
        .map(|a| (a.number.as_str(), a.amount_minor))
        .collect()
}

fn credit_of(store: &mut Store, org_id: i64, customer_id: i64) -> i64 {
    store
        .balances(org_id)
        .unwrap()
        .get(&customer_id)
        .map_or(0, |list| list.iter().map(|b| b.credit_minor).sum())
}

storage_test!(
    fn a_payment_settles_the_oldest_due_first_and_keeps_the_rest_as_credit(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        keep_credit_unapplied(store, &acme);
        let alpha = customer(store, &acme, "ALPHA");
        let beta = customer(store, &acme, "BETA");
        let jan31 = invoice(store, &acme, &alpha, "2026-01-01", "net30", 100_00); // INV-000001 due 01-31
        let jan15 = invoice(store, &acme, &alpha, "2026-01-05", "net10", 50_00); // INV-000002 due 01-15
        let mar11 = invoice(store, &acme, &alpha, "2026-01-10", "net60", 200_00); // INV-000003 due 03-11
        let betas = invoice(store, &acme, &beta, "2026-01-01", "net0", 70_00); // another customer's

        let first = store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-02-01", 180_00),
                &Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
        assert_eq!(
            allocated(&first.allocations),
            [
                (jan15.number.as_str(), 50_00),
                (jan31.number.as_str(), 100_00),
                (mar11.number.as_str(), 30_00)
            ]
        );
        assert_eq!((first.amount_minor, first.unallocated_minor), (180_00, 0));

        let second = store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-02-02", 300_00),
                &Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
        assert_eq!(
            allocated(&second.allocations),
            [(mar11.number.as_str(), 170_00)]
        );
        assert_eq!(
            second.unallocated_minor, 130_00,
            "the rest is the customer's credit"
        );
        assert_eq!(credit_of(store, acme.id, alpha.id), 130_00);
        for inv in [&jan31, &jan15, &mar11] {
            assert_eq!(open_of(store, &acme, &inv.number), 0);
        }
        assert_eq!(
            open_of(store, &acme, &betas.number),
            70_00,
            "another customer's invoice is never touched"
        );
        let view = store
            .invoice(acme.id, &mar11.number, d("2026-02-01"))
            .unwrap();
        assert_eq!(
            (view.status, view.open_minor),
            (SettlementStatus::PartiallyPaid, 170_00)
        );

        // Credit is applied later to a new invoice.
        let april = invoice(store, &acme, &alpha, "2026-04-01", "net30", 100_00);
        let applied = store
            .allocate_payment(
                acme.id,
                second.payment_id,
                &Allocate::OldestDueFirst,
                d("2026-04-02"),
                None,
            )
            .unwrap();
        assert_eq!(
            allocated(&applied.allocations),
            [(april.number.as_str(), 100_00)]
        );
        assert_eq!(applied.unallocated_minor, 30_00);
        assert_eq!(credit_of(store, acme.id, alpha.id), 30_00);
        let allocation = store
            .entries(acme.id)
            .unwrap()
            .into_iter()
            .rev()
            .find(|e| e.entry.kind == EntryKind::Allocation)
            .unwrap();
        assert_eq!(
            allocation.entry.effective_date,
            d("2026-04-02"),
            "dated when it was applied"
        );
    }
);

storage_test!(
    fn an_explicit_allocation_is_applied_as_asked_or_not_at_all(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        keep_credit_unapplied(store, &acme);
        let alpha = customer(store, &acme, "ALPHA");
        let beta = customer(store, &acme, "BETA");
        let older = invoice(store, &acme, &alpha, "2026-01-01", "net30", 100_00);
        let newer = invoice(store, &acme, &alpha, "2026-01-10", "net30", 200_00);
        let betas = invoice(store, &acme, &beta, "2026-01-01", "net30", 50_00);

        let explicit = |list: &[(&str, i64)]| {
            Allocate::Explicit(list.iter().map(|(n, a)| (n.to_string(), *a)).collect())
        };
        let before = snapshot(store, acme.id);
        let refusals: Vec<(NewPayment, Allocate, &str)> = vec![
            (
                payment(&alpha, "2026-02-01", 300_00),
                explicit(&[(&newer.number, 200_01)]),
                "exceeds open",
            ),
            (
                payment(&alpha, "2026-02-01", 100_00),
                explicit(&[(&older.number, 60_00), (&newer.number, 60_00)]),
                "exceeds payment",
            ),
            (
                payment(&alpha, "2026-02-01", 50_00),
                explicit(&[(&betas.number, 50_00)]),
                "another customer",
            ),
            (
                payment(&alpha, "2026-02-01", 50_00),
                explicit(&[("INV-424242", 50_00)]),
                "unknown invoice",
            ),
            (
                NewPayment {
                    currency: eur(),
                    ..payment(&alpha, "2026-02-01", 50_00)
                },
                explicit(&[(&older.number, 50_00)]),
                "currency",
            ),
            (
                payment(&alpha, "2026-02-01", 0),
                Allocate::OldestDueFirst,
                "zero amount",
            ),
            (
                NewPayment {
                    customer_ref: "NOBODY".into(),
                    ..payment(&alpha, "2026-02-01", 50_00)
                },
                Allocate::OldestDueFirst,
                "unknown customer",
            ),
        ];
        for (new, allocate, why) in &refusals {
            let result = store.record_payment(acme.id, new, allocate, None);
            let expected = match *why {
                "exceeds open" => matches!(
                    result,
                    Err(StoreError::Posting(PostingError::ExceedsOpen { .. }))
                ),
                "exceeds payment" => matches!(
                    result,
                    Err(StoreError::Posting(PostingError::ExceedsUnallocated { .. }))
                ),
                "another customer" => matches!(
                    result,
                    Err(StoreError::Posting(PostingError::CustomerMismatch(_)))
                ),
                "unknown invoice" => matches!(
                    result,
                    Err(StoreError::NotFound {
                        what: "invoice",
                        ..
                    })
                ),
                "currency" => matches!(
                    result,
                    Err(StoreError::Posting(PostingError::CurrencyMismatch { .. }))
                ),
                "zero amount" => {
                    matches!(result, Err(StoreError::Posting(PostingError::Amount(0))))
                }
                _ => matches!(
                    result,
                    Err(StoreError::NotFound {
                        what: "customer",
                        ..
                    })
                ),
            };
            assert!(expected, "{why}: {result:?}");
        }
        assert_eq!(
            snapshot(store, acme.id),
            before,
            "a refused payment left something behind"
        );

        // The newer invoice first, as the customer asked, and the rest as credit.
        let paid = store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-02-01", 250_00),
                &explicit(&[(&newer.number, 200_00), (&older.number, 30_00)]),
                None,
            )
            .unwrap();
        assert_eq!(
            allocated(&paid.allocations),
            [
                (newer.number.as_str(), 200_00),
                (older.number.as_str(), 30_00)
            ]
        );
        assert_eq!(paid.unallocated_minor, 20_00);
        assert_eq!(
            (
                open_of(store, &acme, &older.number),
                open_of(store, &acme, &newer.number)
            ),
            (70_00, 0)
        );
        // Applying more credit than is left is refused; the rest goes explicitly.
        let over = store.allocate_payment(
            acme.id,
            paid.payment_id,
            &explicit(&[(&older.number, 20_01)]),
            d("2026-02-05"),
            None,
        );
        assert!(
            matches!(
                over,
                Err(StoreError::Posting(PostingError::ExceedsUnallocated { .. }))
            ),
            "{over:?}"
        );
        let rest = store
            .allocate_payment(
                acme.id,
                paid.payment_id,
                &explicit(&[(&older.number, 20_00)]),
                d("2026-02-05"),
                None,
            )
            .unwrap();
        assert_eq!(rest.unallocated_minor, 0);
        assert_eq!(open_of(store, &acme, &older.number), 50_00);
        assert_eq!(credit_of(store, acme.id, alpha.id), 0);

        // Nothing allocated: all credit.
        let kept = store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-02-06", 12_34),
                &Allocate::None,
                None,
            )
            .unwrap();
        assert!(kept.allocations.is_empty());
        assert_eq!(credit_of(store, acme.id, alpha.id), 12_34);
    }
);

storage_test!(
    fn a_refund_pays_back_credit_only(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        invoice(store, &acme, &alpha, "2026-01-01", "net30", 100_00);
        let paid = store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-01-20", 150_00),
                &Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
        assert_eq!(paid.unallocated_minor, 50_00);

        let before = snapshot(store, acme.id);
        let over = store.refund_payment(
            acme.id,
            paid.payment_id,
            50_01,
            d("2026-01-25"),
            "overpaid",
            None,
        );
        assert!(
            matches!(
                over,
                Err(StoreError::Posting(PostingError::ExceedsUnallocated { .. }))
            ),
            "{over:?}"
        );
        let early = store.refund_payment(
            acme.id,
            paid.payment_id,
            10_00,
            d("2026-01-19"),
            "overpaid",
            None,
        );
        assert!(
            matches!(
                early,
                Err(StoreError::Posting(PostingError::TooEarly { .. }))
            ),
            "{early:?}"
        );
        let unknown =
            store.refund_payment(acme.id, 9_999, 10_00, d("2026-01-25"), "overpaid", None);
        assert!(
            matches!(
                unknown,
                Err(StoreError::NotFound {
                    what: "payment",
                    ..
                })
            ),
            "{unknown:?}"
        );
        assert_eq!(snapshot(store, acme.id), before);

        let refunded = store
            .refund_payment(
                acme.id,
                paid.payment_id,
                30_00,
                d("2026-01-25"),
                "overpaid",
                None,
            )
            .unwrap();
        assert_eq!(refunded.unallocated_minor, 20_00);
        let refunded = store
            .refund_payment(
                acme.id,
                paid.payment_id,
                20_00,
                d("2026-01-26"),
                "overpaid",
                None,
            )
            .unwrap();
        assert_eq!(refunded.unallocated_minor, 0);
        assert_eq!(credit_of(store, acme.id, alpha.id), 0);
        assert_eq!(count_kind(store, acme.id, EntryKind::Refund), 2);
        assert_eq!(
            open_of(store, &acme, "INV-000001"),
            0,
            "a refund never reopens an invoice"
        );
    }
);

storage_test!(
    fn a_reversal_reopens_the_invoices_it_paid(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        keep_credit_unapplied(store, &acme);
        let alpha = customer(store, &acme, "ALPHA");
        let first = invoice(store, &acme, &alpha, "2026-01-01", "net30", 100_00);
        let second = invoice(store, &acme, &alpha, "2026-01-02", "net30", 60_00);
        let bounced = store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-02-01", 190_00),
                &Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
        assert_eq!(bounced.unallocated_minor, 30_00);
        let good = store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-02-02", 5_00),
                &Allocate::None,
                None,
            )
            .unwrap();

        let early = store.reverse_payment(
            acme.id,
            bounced.payment_id,
            d("2026-01-31"),
            "cheque bounced",
            None,
        );
        assert!(
            matches!(
                early,
                Err(StoreError::Posting(PostingError::TooEarly { .. }))
            ),
            "{early:?}"
        );
        let reversed = store
            .reverse_payment(
                acme.id,
                bounced.payment_id,
                d("2026-02-10"),
                "cheque bounced",
                None,
            )
            .unwrap();
        let mut undone: Vec<(i64, i64)> = reversed
            .allocations
            .iter()
            .map(|a| (a.invoice_id, a.amount_minor))
            .collect();
        undone.sort();
        assert_eq!(
            undone,
            [(first.invoice_id, -100_00), (second.invoice_id, -60_00)]
        );
        assert_eq!(reversed.unallocated_minor, 0);

        let listed = all_invoices(store, acme.id);
        for (inv, total) in [(&first, 100_00), (&second, 60_00)] {
            let view = store
                .invoice(acme.id, &inv.number, d("2026-02-10"))
                .unwrap();
            assert_eq!(view.open_minor, total, "reopened in full");
            // The domain's status_as_of calls this PartiallyPaid (it sees a
            // negative movement), while all of it is open; the list says open.
            let row = listed.iter().find(|i| i.id == inv.invoice_id).unwrap();
            assert_eq!((row.status.as_str(), row.open_minor), ("open", total));
            let then = store
                .invoice(acme.id, &inv.number, d("2026-02-09"))
                .unwrap();
            assert_eq!(
                (then.status, then.open_minor),
                (SettlementStatus::Paid, 0),
                "paid until the reversal"
            );
        }
        assert_eq!(
            credit_of(store, acme.id, alpha.id),
            5_00,
            "only the good payment's credit is left"
        );
        assert_eq!(count_kind(store, acme.id, EntryKind::AllocationReversed), 2);
        assert_eq!(count_kind(store, acme.id, EntryKind::PaymentReversed), 1);

        let before = snapshot(store, acme.id);
        let twice = store.reverse_payment(
            acme.id,
            bounced.payment_id,
            d("2026-02-11"),
            "cheque bounced",
            None,
        );
        assert!(
            matches!(
                twice,
                Err(StoreError::Posting(PostingError::PaymentReversed(_)))
            ),
            "{twice:?}"
        );
        let refund = store.refund_payment(
            acme.id,
            bounced.payment_id,
            1,
            d("2026-02-11"),
            "overpaid",
            None,
        );
        assert!(
            matches!(
                refund,
                Err(StoreError::Posting(PostingError::PaymentReversed(_)))
            ),
            "{refund:?}"
        );
        let reuse = store.allocate_payment(
            acme.id,
            bounced.payment_id,
            &Allocate::OldestDueFirst,
            d("2026-02-11"),
            None,
        );
        assert!(
            matches!(
                reuse,
                Err(StoreError::Posting(PostingError::PaymentReversed(_)))
            ),
            "{reuse:?}"
        );
        assert_eq!(snapshot(store, acme.id), before);

        // The reopened invoices are paid again by the good credit, oldest first.
        let applied = store
            .allocate_payment(
                acme.id,
                good.payment_id,
                &Allocate::OldestDueFirst,
                d("2026-02-12"),
                None,
            )
            .unwrap();
        assert_eq!(
            allocated(&applied.allocations),
            [(first.number.as_str(), 5_00)]
        );
    }
);

storage_test!(
    fn payments_in_another_currency_never_mix(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let dollars = invoice(store, &acme, &alpha, "2026-01-01", "net30", 100_00);
        let euros = issue_draft(
            store,
            &acme,
            &draft_in(alpha.id, eur(), d("2026-01-02"), "net30", 80_00),
        );
        let paid = store
            .record_payment(
                acme.id,
                &NewPayment {
                    currency: eur(),
                    ..payment(&alpha, "2026-02-01", 100_00)
                },
                &Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
        assert_eq!(
            allocated(&paid.allocations),
            [(euros.number.as_str(), 80_00)]
        );
        assert_eq!(paid.unallocated_minor, 20_00);
        assert_eq!(open_of(store, &acme, &dollars.number), 100_00);
        let balances = &store.balances(acme.id).unwrap()[&alpha.id];
        let by_currency: Vec<(String, i64, i64)> = balances
            .iter()
            .map(|b| (b.currency.to_string(), b.open_minor, b.credit_minor))
            .collect();
        assert!(
            by_currency.contains(&("USD".into(), 100_00, 0)),
            "{by_currency:?}"
        );
        assert!(
            by_currency.contains(&("EUR".into(), 0, 20_00)),
            "{by_currency:?}"
        );
    }
);

storage_test!(
    fn payments_to_other_invoices_reuse_the_same_prepared_statements(store: &mut Store) {
        // The invoices a payment reaches differ from payment to payment;
        // their ids must be bound, not written into the statement, or every
        // payment would prepare (and keep) statements of its own.
        let acme = org(store, "Acme Ltd");
        let mut settled = Vec::new();
        for i in 0..12 {
            let c = customer(store, &acme, &format!("C{i:02}"));
            let inv = invoice(store, &acme, &c, "2026-01-01", "net30", 10_00 + i);
            settled.push((c, inv));
        }
        let mut prepared = Vec::new();
        for (c, inv) in &settled {
            let posted = store
                .record_payment(
                    acme.id,
                    &payment(c, "2026-02-01", inv.amount_minor),
                    &Allocate::OldestDueFirst,
                    None,
                )
                .unwrap();
            assert_eq!(
                allocated(&posted.allocations),
                [(inv.number.as_str(), inv.amount_minor)]
            );
            prepared.push(store.prepared_statements());
        }
        assert!(
            prepared.windows(2).skip(1).all(|w| w[0] == w[1]),
            "prepared statements after each payment: {prepared:?}"
        );
    }
);

storage_test!(
    /// Issue 13 item 14: everything that moves money is on the customer's
    /// timeline, with who did it and why, in the order it happened.
    fn money_moved_is_on_the_timeline_with_author_and_reason(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        store.set_acting(Some("ann@acme.example"));
        let first = invoice(store, &acme, &alpha, "2026-01-05", "net30", 100_00);
        let second = invoice(store, &acme, &alpha, "2026-01-06", "net30", 40_00);
        let paid = store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-01-20", 60_00),
                &Allocate::Explicit(vec![(first.number.clone(), 60_00)]),
                None,
            )
            .unwrap();
        store
            .reduce_invoice(
                acme.id,
                &first.number,
                &credit_note(Some(10_00), "2026-01-21"),
                None,
            )
            .unwrap();
        store
            .void_invoice(acme.id, &second.number, d("2026-01-22"), "sent twice", None)
            .unwrap();
        let spare = store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-01-23", 50_00),
                &Allocate::None,
                None,
            )
            .unwrap();
        assert!(matches!(
            store.refund_payment(acme.id, spare.payment_id, 5_00, d("2026-01-24"), " ", None),
            Err(StoreError::Invalid(_))
        ));
        store
            .refund_payment(
                acme.id,
                spare.payment_id,
                5_00,
                d("2026-01-24"),
                "paid twice",
                None,
            )
            .unwrap();
        store
            .reverse_payment(
                acme.id,
                paid.payment_id,
                d("2026-01-25"),
                "cheque bounced",
                None,
            )
            .unwrap();
        store.set_acting(None);

        let mut timeline = store.timeline(acme.id, alpha.id, None, 100).unwrap();
        timeline.reverse();
        let people: Vec<(&str, &str)> = timeline
            .iter()
            .filter(|e| e.author == "ann@acme.example")
            .map(|e| (e.kind.as_str(), e.summary.as_str()))
            .collect();
        let kinds: Vec<&str> = people.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            kinds,
            [
                "invoice_issued",
                "invoice_issued",
                "payment",
                "credit_note",
                "invoice_voided",
                "payment",
                "refund",
                "payment_reversed",
            ],
            "{timeline:#?}"
        );
        let said = |kind: &str, words: &[&str]| {
            let (_, summary) = people.iter().find(|(k, _)| *k == kind).unwrap();
            for w in words {
                assert!(summary.contains(w), "{kind}: {summary}");
            }
        };
        said("payment", &["60.00 USD", &first.number]);
        said("credit_note", &["10.00 USD", "CN-000001", &first.number]);
        said("invoice_voided", &[&second.number, "sent twice"]);
        said("refund", &["5.00 USD", "paid twice"]);
        said("payment_reversed", &["60.00 USD", "cheque bounced"]);
        // The spare payment's credit was applied by the policy when the
        // reversal reopened the invoice: that moved money too.
        assert!(
            timeline
                .iter()
                .any(|e| e.kind == "credit_applied" && e.author.starts_with("policy")),
            "{timeline:#?}"
        );
    }
);
