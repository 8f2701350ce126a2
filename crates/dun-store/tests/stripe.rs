//! Online payment through Stripe, the book's part: an event applied once
//! (again, or twice at the same time, writes nothing), a payment allocated
//! to the invoices it names or kept as credit, refunds, and the keys.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use std::sync::Barrier;

use common::*;
use dun_store::stripe::{EventOutcome, StripeEvent, StripeEventKind, StripeKeys};
use dun_store::{Store, StoreError};

fn succeeded(
    event: &str,
    intent: &str,
    customer: &str,
    invoices: &[&str],
    amount: i64,
) -> StripeEvent {
    StripeEvent {
        id: event.into(),
        event_type: "payment_intent.succeeded".into(),
        kind: StripeEventKind::PaymentSucceeded {
            intent_id: intent.into(),
            currency: usd(),
            amount_minor: amount,
            customer_ref: customer.into(),
            invoices: invoices.iter().map(|s| s.to_string()).collect(),
            method: "card".into(),
            received_date: d("2026-02-01"),
        },
    }
}

fn refunded(event: &str, intent: &str, refunded_minor: i64) -> StripeEvent {
    StripeEvent {
        id: event.into(),
        event_type: "charge.refunded".into(),
        kind: StripeEventKind::Refunded {
            intent_id: intent.into(),
            charge_id: format!("ch_{intent}"),
            currency: usd(),
            refunded_minor,
            date: d("2026-02-01"),
        },
    }
}

fn payment_count(store: &mut Store, org_id: i64) -> usize {
    store.payments(org_id, 1000).unwrap().len()
}

storage_test!(
    fn an_event_posts_one_payment_however_often_it_comes(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let first = invoice(store, &acme, &alpha, "2026-01-01", "net30", 100_00);
        let second = invoice(store, &acme, &alpha, "2026-01-02", "net30", 40_00);
        let event = succeeded(
            "evt_1",
            "pi_1",
            "ALPHA",
            &[&second.number, &first.number],
            140_00,
        );
        let outcome = store.apply_stripe_event(acme.id, &event).unwrap();
        let EventOutcome::Posted { payment_id } = outcome else {
            panic!("posted: {outcome:?}");
        };
        assert_eq!(open_of(store, &acme, &first.number), 0);
        assert_eq!(open_of(store, &acme, &second.number), 0);
        let payment = store.payment(acme.id, payment_id).unwrap();
        assert_eq!(
            (payment.amount_minor, payment.unallocated_minor),
            (140_00, 0)
        );
        // Again: nothing.
        assert_eq!(
            store.apply_stripe_event(acme.id, &event).unwrap(),
            EventOutcome::Duplicate
        );
        // Another event for the same intent: kept, nothing posted.
        let other = succeeded("evt_2", "pi_1", "ALPHA", &[&first.number], 140_00);
        assert_eq!(
            store.apply_stripe_event(acme.id, &other).unwrap(),
            EventOutcome::Ignored
        );
        assert_eq!(payment_count(store, acme.id), 1);
        let events = store.stripe_events(acme.id).unwrap();
        assert_eq!(
            events.iter().map(|e| e.status.as_str()).collect::<Vec<_>>(),
            vec!["posted", "ignored"]
        );
        assert_eq!(events[0].payment_id, Some(payment_id));
        // The timeline says where it came from.
        let timeline = store.timeline(acme.id, alpha.id, None, 10).unwrap();
        assert!(
            timeline
                .iter()
                .any(|t| t.kind == "payment" && t.author == "Stripe" && t.summary.contains("pi_1")),
            "{timeline:?}"
        );
    }
);

storage_test!(
    fn an_invoice_settled_meanwhile_leaves_the_payment_as_credit(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let inv = invoice(store, &acme, &alpha, "2026-01-01", "net30", 100_00);
        store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-01-20", 100_00),
                &dun_store::payments::Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
        let outcome = store
            .apply_stripe_event(
                acme.id,
                &succeeded("evt_1", "pi_1", "ALPHA", &[&inv.number], 100_00),
            )
            .unwrap();
        let EventOutcome::Posted { payment_id } = outcome else {
            panic!("posted: {outcome:?}");
        };
        assert_eq!(
            store
                .payment(acme.id, payment_id)
                .unwrap()
                .unallocated_minor,
            100_00
        );
        // Named invoices of another customer or unknown are not paid either.
        let beta = customer(store, &acme, "BETA");
        let betas = invoice(store, &acme, &beta, "2026-01-01", "net30", 10_00);
        let outcome = store
            .apply_stripe_event(
                acme.id,
                &succeeded("evt_2", "pi_2", "ALPHA", &[&betas.number, "NOPE"], 5_00),
            )
            .unwrap();
        assert!(
            matches!(outcome, EventOutcome::Posted { .. }),
            "{outcome:?}"
        );
        assert_eq!(open_of(store, &acme, &betas.number), 10_00);
    }
);

storage_test!(
    fn an_unknown_customer_is_kept_for_review_and_posts_nothing(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let outcome = store
            .apply_stripe_event(acme.id, &succeeded("evt_1", "pi_1", "GHOST", &[], 10_00))
            .unwrap();
        assert!(
            matches!(&outcome, EventOutcome::Review { reason } if reason.contains("GHOST")),
            "{outcome:?}"
        );
        assert_eq!(payment_count(store, acme.id), 0);
        assert_eq!(store.stripe_events(acme.id).unwrap()[0].status, "review");
        // A failed payment is kept and posts nothing.
        let failed = StripeEvent {
            id: "evt_2".into(),
            event_type: "payment_intent.payment_failed".into(),
            kind: StripeEventKind::PaymentFailed {
                intent_id: "pi_2".into(),
                reason: "Your card was declined.".into(),
            },
        };
        assert_eq!(
            store.apply_stripe_event(acme.id, &failed).unwrap(),
            EventOutcome::Failed
        );
        assert_eq!(payment_count(store, acme.id), 0);
    }
);

storage_test!(
    fn refunds_reverse_a_whole_payment_or_pay_back_credit(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let inv = invoice(store, &acme, &alpha, "2026-01-01", "net30", 100_00);
        // Paid in full, refunded in full: reversed, the invoice open again.
        store
            .apply_stripe_event(
                acme.id,
                &succeeded("evt_1", "pi_1", "ALPHA", &[&inv.number], 100_00),
            )
            .unwrap();
        assert_eq!(open_of(store, &acme, &inv.number), 0);
        let outcome = store
            .apply_stripe_event(acme.id, &refunded("evt_r1", "pi_1", 100_00))
            .unwrap();
        assert!(
            matches!(outcome, EventOutcome::Reversed { .. }),
            "{outcome:?}"
        );
        assert_eq!(open_of(store, &acme, &inv.number), 100_00);
        assert_eq!(
            store
                .apply_stripe_event(acme.id, &refunded("evt_r1", "pi_1", 100_00))
                .unwrap(),
            EventOutcome::Duplicate
        );
        // Overpaid: the credit is refunded in two parts; Stripe's amount is
        // the running total.
        let outcome = store
            .apply_stripe_event(
                acme.id,
                &succeeded("evt_2", "pi_2", "ALPHA", &[&inv.number], 130_00),
            )
            .unwrap();
        assert!(
            matches!(outcome, EventOutcome::Posted { .. }),
            "{outcome:?}"
        );
        let outcome = store
            .apply_stripe_event(acme.id, &refunded("evt_r2", "pi_2", 10_00))
            .unwrap();
        let EventOutcome::Refunded { payment_id } = outcome else {
            panic!("refunded: {outcome:?}");
        };
        assert_eq!(
            store
                .payment(acme.id, payment_id)
                .unwrap()
                .unallocated_minor,
            20_00
        );
        store
            .apply_stripe_event(acme.id, &refunded("evt_r3", "pi_2", 30_00))
            .unwrap();
        assert_eq!(
            store
                .payment(acme.id, payment_id)
                .unwrap()
                .unallocated_minor,
            0
        );
        // More than the credit: for a person, nothing posted.
        let outcome = store
            .apply_stripe_event(acme.id, &refunded("evt_r4", "pi_2", 50_00))
            .unwrap();
        assert!(
            matches!(outcome, EventOutcome::Review { .. }),
            "{outcome:?}"
        );
        assert_eq!(open_of(store, &acme, &inv.number), 0);
        // A refund of another system's charge on the same account: ignored.
        assert_eq!(
            store
                .apply_stripe_event(acme.id, &refunded("evt_r5", "pi_9", 1_00))
                .unwrap(),
            EventOutcome::Ignored
        );
        // Of an intent the portal made but Dun never posted: review.
        store
            .save_stripe_intent(
                acme.id,
                &dun_store::stripe::StoredIntent {
                    intent_id: "pi_8".into(),
                    idempotency_key: "k-8".into(),
                    customer_id: alpha.id,
                    currency: usd(),
                    amount_minor: 1_00,
                    invoices: vec![],
                },
            )
            .unwrap();
        let outcome = store
            .apply_stripe_event(acme.id, &refunded("evt_r6", "pi_8", 1_00))
            .unwrap();
        assert!(
            matches!(outcome, EventOutcome::Review { .. }),
            "{outcome:?}"
        );
        let timeline = store.timeline(acme.id, alpha.id, None, 50).unwrap();
        assert!(
            timeline
                .iter()
                .any(|t| t.kind == "refund" && t.summary.contains("Stripe")),
            "{timeline:?}"
        );
    }
);

storage_test!(
    fn concurrent_deliveries_of_an_event_post_once(store: &mut Store, url: &str) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let inv = invoice(store, &acme, &alpha, "2026-01-01", "net30", 100_00);
        const DELIVERIES: usize = 5;
        let start = Barrier::new(DELIVERIES);
        let outcomes: Vec<EventOutcome> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..DELIVERIES)
                .map(|_| {
                    let (start, number) = (&start, inv.number.clone());
                    scope.spawn(move || {
                        let mut own = Store::connect(url).expect("a connection");
                        start.wait();
                        let event = succeeded("evt_1", "pi_1", "ALPHA", &[&number], 100_00);
                        loop {
                            match own.apply_stripe_event(acme.id, &event) {
                                // SQLite's one writer: busy is retried.
                                Err(StoreError::Sqlite(e)) if e.to_string().contains("locked") => {
                                    continue
                                }
                                other => return other.expect("applied"),
                            }
                        }
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let posted = outcomes
            .iter()
            .filter(|o| matches!(o, EventOutcome::Posted { .. }))
            .count();
        assert_eq!(posted, 1, "{outcomes:?}");
        assert_eq!(payment_count(store, acme.id), 1);
        assert_eq!(open_of(store, &acme, &inv.number), 0);
    }
);

storage_test!(
    fn keys_are_kept_checked_and_never_shown(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        assert_eq!(store.stripe_keys(acme.id).unwrap(), StripeKeys::default());
        let keys = store
            .set_stripe_keys(acme.id, Some("sk_test_123"), Some("whsec_abc"))
            .unwrap();
        assert_eq!(keys.secret_key.as_deref(), Some("sk_test_123"));
        let shown = format!("{keys:?}");
        assert!(
            !shown.contains("sk_test_123") && !shown.contains("whsec_abc"),
            "{shown}"
        );
        assert!(shown.contains("set"), "{shown}");
        assert_eq!(
            store.stripe_webhook_secrets().unwrap(),
            vec![(acme.id, "whsec_abc".to_string())]
        );
        // A wrong key is refused, naming the field but not the value.
        let err = store
            .set_stripe_keys(acme.id, Some("pk_live_oops"), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("stripe_secret_key") && !err.contains("pk_live_oops"),
            "{err}"
        );
        // None keeps, "" clears.
        let keys = store.set_stripe_keys(acme.id, None, Some("")).unwrap();
        assert_eq!(keys.secret_key.as_deref(), Some("sk_test_123"));
        assert_eq!(keys.webhook_secret, None);
        assert!(store.stripe_webhook_secrets().unwrap().is_empty());
    }
);

fn disputed(event: &str, intent: &str, amount: i64, lost: Option<bool>) -> StripeEvent {
    StripeEvent {
        id: event.into(),
        event_type: if lost.is_some() {
            "charge.dispute.closed"
        } else {
            "charge.dispute.created"
        }
        .into(),
        kind: StripeEventKind::Disputed {
            intent_id: intent.into(),
            dispute_id: format!("dp_{event}"),
            currency: usd(),
            amount_minor: amount,
            reason: "fraudulent".into(),
            lost,
            date: d("2026-02-01"),
        },
    }
}

storage_test!(
    fn a_card_dispute_is_told_and_a_lost_one_takes_the_money_back(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let inv = invoice(store, &acme, &alpha, "2026-01-01", "net30", 100_00);
        let outcome = store
            .apply_stripe_event(
                acme.id,
                &succeeded("evt_1", "pi_1", "ALPHA", &[&inv.number], 100_00),
            )
            .unwrap();
        let EventOutcome::Posted { payment_id } = outcome else {
            panic!("posted: {outcome:?}");
        };
        // Opened: a person is told, nothing moves.
        assert_eq!(
            store
                .apply_stripe_event(acme.id, &disputed("evt_d1", "pi_1", 100_00, None))
                .unwrap(),
            EventOutcome::Disputed { payment_id }
        );
        assert_eq!(open_of(store, &acme, &inv.number), 0);
        let timeline = store.timeline(acme.id, alpha.id, None, 10).unwrap();
        assert!(
            timeline
                .iter()
                .any(|t| t.kind == "card_dispute" && t.summary.contains("dp_evt_d1")),
            "{timeline:?}"
        );
        // Lost: the payment is reversed, the invoice open again; once.
        let lost = disputed("evt_d2", "pi_1", 100_00, Some(true));
        assert_eq!(
            store.apply_stripe_event(acme.id, &lost).unwrap(),
            EventOutcome::Reversed { payment_id }
        );
        assert_eq!(open_of(store, &acme, &inv.number), 100_00);
        assert_eq!(
            store.apply_stripe_event(acme.id, &lost).unwrap(),
            EventOutcome::Duplicate
        );
        // Won (of another payment): told, nothing moves.
        store
            .apply_stripe_event(
                acme.id,
                &succeeded("evt_2", "pi_2", "ALPHA", &[&inv.number], 100_00),
            )
            .unwrap();
        let outcome = store
            .apply_stripe_event(acme.id, &disputed("evt_d3", "pi_2", 100_00, Some(false)))
            .unwrap();
        assert!(
            matches!(outcome, EventOutcome::Disputed { .. }),
            "{outcome:?}"
        );
        assert_eq!(open_of(store, &acme, &inv.number), 0);
    }
);

storage_test!(
    fn a_payment_dated_before_the_invoices_last_movement_is_kept_as_credit(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let inv = invoice(store, &acme, &alpha, "2026-01-01", "net30", 100_00);
        // Paid on 02-01, the payment reversed on 02-10: the invoice moved on 02-10.
        let posted = store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-02-01", 100_00),
                &dun_store::payments::Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
        store
            .reverse_payment(acme.id, posted.payment_id, d("2026-02-10"), "bounced", None)
            .unwrap();
        // Stripe's event, delivered late, says the money came on 02-01: it
        // cannot be allocated before 02-10, so it is received as credit
        // rather than refused.
        let outcome = store
            .apply_stripe_event(
                acme.id,
                &succeeded("evt_1", "pi_1", "ALPHA", &[&inv.number], 100_00),
            )
            .unwrap();
        let EventOutcome::Posted { payment_id } = outcome else {
            panic!("posted: {outcome:?}");
        };
        assert_eq!(
            store.payment(acme.id, payment_id).unwrap().amount_minor,
            100_00
        );
        assert_eq!(payment_count(store, acme.id), 2);
    }
);

storage_test!(
    fn an_event_delivered_after_the_run_says_why_it_is_late(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let inv = invoice(store, &acme, &alpha, "2026-01-01", "net30", 100_00);
        store
            .run_collections(acme.id, d("2026-02-03"), true)
            .unwrap();
        // Paid on 02-01, Stripe's event delivered after the run of 02-03.
        let outcome = store
            .apply_stripe_event(
                acme.id,
                &succeeded("evt_1", "pi_1", "ALPHA", &[&inv.number], 100_00),
            )
            .unwrap();
        assert!(
            matches!(outcome, EventOutcome::Posted { .. }),
            "{outcome:?}"
        );
        let timeline = store.timeline(acme.id, alpha.id, None, 10).unwrap();
        assert!(
            timeline.iter().any(|t| t.kind == "payment"
                && t.summary.contains("arrived after the run of 2026-02-03")),
            "{timeline:?}"
        );
    }
);
