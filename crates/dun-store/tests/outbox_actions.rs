//! A person acts on a message before the worker sends it (issue 16 item
//! 2), on both engines: a held message is never claimed until someone
//! sends it now; a cancelled one is never sent, its reason on the
//! timeline, and the ladder does not send its step again; a message a
//! worker has claimed is neither held nor cancelled; each action starts
//! only from its states, and a refusal writes nothing.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use common::*;
use dun_store::outbox::OutboxMessage;
use dun_store::outbox_actions::OutboxAction;
use dun_store::{Store, StoreError};

const NOW: &str = "2026-02-08T09:00:00Z";

/// The messages queued for customer `customer_id`, oldest first.
fn queued(store: &mut Store, org_id: i64, customer_id: i64) -> Vec<OutboxMessage> {
    let mut mine: Vec<_> = store
        .outbox(org_id, None, 100)
        .unwrap()
        .into_iter()
        .filter(|m| m.customer_id == customer_id)
        .collect();
    mine.sort_by_key(|m| m.id);
    mine
}

fn kinds(store: &mut Store, org_id: i64, customer_id: i64) -> Vec<(String, String, String)> {
    store
        .timeline(org_id, customer_id, None, 100)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind.starts_with("email_"))
        .map(|e| (e.kind, e.author, e.summary))
        .collect()
}

storage_test!(
    fn a_held_message_waits_until_it_is_sent_now(store: &mut Store, _url: &str) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let c2 = customer(store, &org, "C2");
        invoice(store, &org, &c1, "2026-01-01", "net30", 100_00);
        invoice(store, &org, &c2, "2026-01-01", "net30", 200_00);
        store
            .run_collections(org.id, d("2026-02-07"), true)
            .unwrap();
        let m1 = queued(store, org.id, c1.id).remove(0);
        let m2 = queued(store, org.id, c2.id).remove(0);
        let today = d("2026-02-08");

        let held = store
            .act_on_message(
                org.id,
                m1.id,
                OutboxAction::Hold,
                "  checking the address ",
                "Ann",
                NOW,
                today,
            )
            .unwrap();
        assert_eq!(held.status, "held");
        assert_eq!(
            OutboxAction::for_message(&held),
            [OutboxAction::SendNow, OutboxAction::Cancel]
        );
        assert_eq!(
            kinds(store, org.id, c1.id),
            [(
                "email_held".to_string(),
                "Ann".to_string(),
                format!(
                    "E-mail #{} (first_notice) held: checking the address",
                    m1.id
                )
            )]
        );
        // The worker takes the other customer's message and then nothing.
        let claim = store
            .claim_next_message(org.id, "w1", NOW, today)
            .unwrap()
            .unwrap();
        assert_eq!(claim.message.id, m2.id);
        assert!(store
            .claim_next_message(org.id, "w1", NOW, today)
            .unwrap()
            .is_none());
        // Holding twice, or sending now what is due already, is refused.
        let again = store
            .act_on_message(org.id, m1.id, OutboxAction::Hold, "", "Ann", NOW, today)
            .unwrap_err();
        assert!(matches!(again, StoreError::Conflict(_)), "{again}");
        assert!(
            again
                .to_string()
                .contains("is held; only a pending message can be held"),
            "{again}"
        );

        let sent_now = store
            .act_on_message(org.id, m1.id, OutboxAction::SendNow, "", "Bob", NOW, today)
            .unwrap();
        assert_eq!(
            (
                sent_now.status.as_str(),
                sent_now.next_attempt_at.as_deref()
            ),
            ("pending", None)
        );
        let due = store
            .act_on_message(org.id, m1.id, OutboxAction::SendNow, "", "Bob", NOW, today)
            .unwrap_err();
        assert!(due.to_string().contains("it is due already"), "{due}");
        let claim = store
            .claim_next_message(org.id, "w1", NOW, today)
            .unwrap()
            .unwrap();
        assert_eq!(claim.message.id, m1.id);
        // Claimed: it is being sent, and neither held nor cancelled now.
        for action in [OutboxAction::Hold, OutboxAction::Cancel] {
            let err = store
                .act_on_message(org.id, m1.id, action, "too late", "Ann", NOW, today)
                .unwrap_err();
            assert!(err.to_string().contains("is sending"), "{err}");
        }
        let entries = kinds(store, org.id, c1.id);
        assert_eq!(entries.len(), 2, "{entries:#?}");
        assert_eq!(entries[0].0, "email_send_now");
        assert_eq!(entries[0].1, "Bob");
    }
);

storage_test!(
    fn a_message_waiting_to_retry_is_sent_now(store: &mut Store, _url: &str) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        invoice(store, &org, &c1, "2026-01-01", "net30", 100_00);
        store
            .run_collections(org.id, d("2026-02-07"), true)
            .unwrap();
        let today = d("2026-02-08");
        let claim = store
            .claim_next_message(org.id, "w1", NOW, today)
            .unwrap()
            .unwrap();
        store
            .record_temporary_failure(org.id, claim.message.id, "w1", NOW, today, "451 try later")
            .unwrap();
        let waiting = store.outbox_message(org.id, claim.message.id).unwrap();
        assert_eq!(waiting.status, "pending");
        assert!(waiting.next_attempt_at.is_some());
        assert!(store
            .claim_next_message(org.id, "w1", NOW, today)
            .unwrap()
            .is_none());
        assert!(OutboxAction::for_message(&waiting).contains(&OutboxAction::SendNow));

        store
            .act_on_message(
                org.id,
                waiting.id,
                OutboxAction::SendNow,
                "",
                "Ann",
                NOW,
                today,
            )
            .unwrap();
        let claim = store
            .claim_next_message(org.id, "w1", NOW, today)
            .unwrap()
            .unwrap();
        assert_eq!(claim.message.id, waiting.id);
        assert_eq!(claim.message.attempts, 2);
    }
);

storage_test!(
    fn a_cancelled_reminder_and_its_step_are_never_sent(store: &mut Store, url: &str) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let inv = invoice(store, &org, &c1, "2026-01-01", "net30", 100_00);
        store
            .run_collections(org.id, d("2026-02-07"), true)
            .unwrap();
        let m = queued(store, org.id, c1.id).remove(0);
        let today = d("2026-02-08");

        // A reason is required, and a refusal writes nothing.
        let err = store
            .act_on_message(org.id, m.id, OutboxAction::Cancel, "  ", "Ann", NOW, today)
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        assert!(err.to_string().starts_with("reason:"), "{err}");
        assert_eq!(
            store.outbox_message(org.id, m.id).unwrap().status,
            "pending"
        );
        assert!(kinds(store, org.id, c1.id).is_empty());

        let cancelled = store
            .act_on_message(
                org.id,
                m.id,
                OutboxAction::Cancel,
                "agreed on the phone to wait",
                "Ann",
                NOW,
                today,
            )
            .unwrap();
        assert_eq!(cancelled.status, "cancelled");
        assert_eq!(
            cancelled.last_error.as_deref(),
            Some("cancelled by Ann: agreed on the phone to wait")
        );
        assert!(OutboxAction::for_message(&cancelled).is_empty());
        assert!(store
            .claim_next_message(org.id, "w1", NOW, today)
            .unwrap()
            .is_none());
        assert_eq!(
            store.outbox(org.id, Some("cancelled"), 10).unwrap().len(),
            1
        );
        let entries = store.timeline(org.id, c1.id, None, 100).unwrap();
        let entry = entries
            .iter()
            .find(|e| e.kind == "email_cancelled")
            .expect("logged");
        assert_eq!(entry.author, "Ann");
        assert_eq!(entry.invoice_ids, [inv.invoice_id]);
        assert_eq!(entry.detail["reason"], "agreed on the phone to wait");
        assert_eq!(entry.detail["was"], "pending");
        // Nothing more may be done to it.
        for action in OutboxAction::ALL {
            let err = store
                .act_on_message(org.id, m.id, action, "why", "Ann", NOW, today)
                .unwrap_err();
            assert!(err.to_string().contains("is cancelled"), "{err}");
        }

        // The step counts as not performed, and the next days' runs do not
        // queue it again.
        let mut conn = dun_store::Conn::open(url).unwrap();
        let mut tx = conn.read_transaction().unwrap();
        let skipped = tx
            .query_opt(
                "SELECT skipped FROM run_marks WHERE org_id = $1 AND subject = $2 AND key = 'first_notice'",
                dun_store::params![org.id, format!("invoice:{}", inv.invoice_id).as_str()],
                |r| r.i64(0),
            )
            .unwrap();
        assert_eq!(skipped, Some(1));
        drop(tx);
        for day in ["2026-02-08", "2026-02-09", "2026-02-10"] {
            store.run_collections(org.id, d(day), true).unwrap();
        }
        assert_eq!(
            queued(store, org.id, c1.id).len(),
            1,
            "nothing queued again"
        );
        check_book(store);
    }
);

storage_test!(
    fn a_failed_message_is_retried_or_cancelled(store: &mut Store, _url: &str) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        invoice(store, &org, &c1, "2026-01-01", "net30", 100_00);
        store
            .run_collections(org.id, d("2026-02-07"), true)
            .unwrap();
        let today = d("2026-02-08");
        let claim = store
            .claim_next_message(org.id, "w1", NOW, today)
            .unwrap()
            .unwrap();
        store
            .record_permanent_failure(
                org.id,
                claim.message.id,
                "w1",
                NOW,
                today,
                "550 no such user",
            )
            .unwrap();
        let failed = store.outbox_message(org.id, claim.message.id).unwrap();
        assert_eq!(
            OutboxAction::for_message(&failed),
            [OutboxAction::Cancel, OutboxAction::Retry]
        );
        let hold = store
            .act_on_message(org.id, failed.id, OutboxAction::Hold, "", "Ann", NOW, today)
            .unwrap_err();
        assert!(
            hold.to_string()
                .contains("is failed; only a pending message"),
            "{hold}"
        );
        let retried = store
            .retry_message(org.id, failed.id, "Ann", NOW, today)
            .unwrap();
        assert_eq!((retried.status.as_str(), retried.attempts), ("pending", 0));
        let cancelled = store
            .act_on_message(
                org.id,
                failed.id,
                OutboxAction::Cancel,
                "the customer wrote back",
                "Ann",
                NOW,
                today,
            )
            .unwrap();
        assert_eq!(cancelled.status, "cancelled");
        let entries = kinds(store, org.id, c1.id);
        let mine: Vec<&str> = entries
            .iter()
            .filter(|e| e.1 == "Ann")
            .map(|e| e.0.as_str())
            .collect();
        assert_eq!(mine, ["email_cancelled", "email_retry"]);
    }
);
