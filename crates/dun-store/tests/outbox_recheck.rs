//! Send-time truth (issue 14 item 5): a reminder the run queued is
//! re-checked against the ledger in the transaction that claims it, on
//! both engines. Paid, disputed… since it was queued: dropped, never sent,
//! and the timeline says why. Partly paid: it goes with what is still owed,
//! at what is open now. An invoice e-mail goes as asked. Two workers never
//! both send nor both drop one message.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use std::collections::BTreeSet;
use std::sync::Barrier;
use std::thread;

use common::*;
use dun_store::delivery::Next;
use dun_store::disputes::NewDispute;
use dun_store::payments::Allocate;
use dun_store::recheck::Recheck;
use dun_store::{Conn, Store};

const NOW: &str = "2026-02-08T09:00:00Z";

/// The one message the run queued for customer `customer_id`.
fn queued(store: &mut Store, org_id: i64, customer_id: i64) -> dun_store::outbox::OutboxMessage {
    let all = store.outbox(org_id, None, 100).unwrap();
    let mine: Vec<_> = all
        .into_iter()
        .filter(|m| m.customer_id == customer_id)
        .collect();
    assert_eq!(mine.len(), 1, "{mine:#?}");
    mine.into_iter().next().unwrap()
}

fn pay(
    store: &mut Store,
    org: &dun_store::Org,
    c: &dun_store::customers::Customer,
    on: &str,
    minor: i64,
    number: &str,
) {
    store
        .record_payment(
            org.id,
            &payment(c, on, minor),
            &Allocate::Explicit(vec![(number.to_string(), minor)]),
            None,
        )
        .unwrap();
}

/// Whether the run's mark `key` on invoice `invoice_id` is recorded as
/// skipped (not performed).
fn mark_skipped(url: &str, org_id: i64, invoice_id: i64, key: &str) -> bool {
    let mut conn = Conn::open(url).unwrap();
    let mut tx = conn.read_transaction().unwrap();
    let skipped = tx
        .query_opt(
            "SELECT skipped FROM run_marks WHERE org_id = $1 AND subject = $2 AND key = $3",
            dun_store::params![org_id, format!("invoice:{invoice_id}").as_str(), key],
            |r| r.i64(0),
        )
        .unwrap()
        .expect("the mark is there");
    skipped != 0
}

storage_test!(
    fn a_reminder_paid_since_is_dropped_and_the_timeline_says_why(store: &mut Store, url: &str) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let inv = invoice(store, &org, &c1, "2026-01-01", "net30", 100_00); // due 01-31
        store
            .run_collections(org.id, d("2026-02-07"), true)
            .unwrap();
        let m = queued(store, org.id, c1.id);
        assert_eq!(
            (m.template.as_str(), m.status.as_str()),
            ("first_notice", "pending")
        );

        // The bank import at 09:00: paid in full the day after the run.
        pay(store, &org, &c1, "2026-02-08", 100_00, &inv.number);
        let next = store
            .claim_next(org.id, "worker-1", NOW, d("2026-02-08"))
            .unwrap();
        let reason = format!("Reminder for {} not sent: paid on 2026-02-08", inv.number);
        assert_eq!(
            next,
            Some(Next::Dropped {
                id: m.id,
                reason: reason.clone()
            })
        );
        // Nothing left to send; the message is dropped and says why.
        assert!(store
            .claim_next_message(org.id, "worker-1", NOW, d("2026-02-08"))
            .unwrap()
            .is_none());
        let after = store.outbox_message(org.id, m.id).unwrap();
        assert_eq!(after.status, "dropped");
        assert_eq!(after.last_error.as_deref(), Some(reason.as_str()));
        assert_eq!(after.claimed_by, None);
        assert_eq!(after.detail["left_out"][0]["reason"], "paid on 2026-02-08");
        assert_eq!(store.outbox(org.id, Some("dropped"), 10).unwrap().len(), 1);
        let timeline = store.timeline(org.id, c1.id, None, 100).unwrap();
        let dropped: Vec<_> = timeline
            .iter()
            .filter(|e| e.kind == "message_dropped")
            .collect();
        assert_eq!(dropped.len(), 1, "{timeline:#?}");
        assert_eq!(dropped[0].summary, reason);
        assert_eq!(dropped[0].invoice_ids, [inv.invoice_id]);
        assert!(!timeline.iter().any(|e| e.kind == "email_sent"));
        // The step was not performed: the run's mark says so.
        assert!(mark_skipped(url, org.id, inv.invoice_id, "first_notice"));
        // A dropped message is not one a person sends again.
        let err = store
            .retry_message(org.id, m.id, "Ann", NOW, d("2026-02-08"))
            .unwrap_err();
        assert!(
            err.to_string().contains("only a failed or unknown"),
            "{err}"
        );
    }
);

storage_test!(
    fn a_reminder_partly_paid_since_goes_with_what_is_owed_now(store: &mut Store, url: &str) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let paid = invoice(store, &org, &c1, "2026-01-01", "net30", 100_00);
        let owed = invoice(store, &org, &c1, "2026-01-02", "net30", 250_00);
        store
            .run_collections(org.id, d("2026-02-08"), true)
            .unwrap();
        let m = queued(store, org.id, c1.id);
        let numbers: Vec<&str> = m.detail["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["number"].as_str().unwrap())
            .collect();
        assert_eq!(numbers, [paid.number.as_str(), owed.number.as_str()]);

        pay(store, &org, &c1, "2026-02-08", 100_00, &paid.number);
        pay(store, &org, &c1, "2026-02-08", 40_00, &owed.number);
        let claim = store
            .claim_next_message(org.id, "worker-1", NOW, d("2026-02-08"))
            .unwrap()
            .expect("the reminder still goes");
        assert_eq!(claim.message.id, m.id);
        assert_eq!(claim.message.status, "sending");
        let items = claim.message.detail["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{items:#?}");
        assert_eq!(items[0]["number"], owed.number.as_str());
        assert_eq!(items[0]["open_minor"], 210_00);
        assert_eq!(claim.message.template, "first_notice");
        match &claim.recheck {
            Recheck::Goes { left_out } => {
                assert_eq!(left_out.len(), 1);
                assert_eq!(left_out[0].number, paid.number);
                assert_eq!(left_out[0].reason, "paid on 2026-02-08");
            }
            other => panic!("expected it to go, got {other:?}"),
        }
        // The row says what goes: the worker composes from it.
        let row = store.outbox_message(org.id, m.id).unwrap();
        assert_eq!(row.detail["items"], claim.message.detail["items"]);
        assert!(mark_skipped(url, org.id, paid.invoice_id, "first_notice"));
        assert!(!mark_skipped(url, org.id, owed.invoice_id, "first_notice"));

        // Sent: the timeline says what was left out.
        assert!(store
            .record_sent(org.id, m.id, "worker-1", NOW, d("2026-02-08"), "Overdue")
            .unwrap());
        let timeline = store.timeline(org.id, c1.id, None, 100).unwrap();
        let sent = timeline.iter().find(|e| e.kind == "email_sent").unwrap();
        assert!(
            sent.summary
                .ends_with(&format!("(left out: {} paid on 2026-02-08)", paid.number)),
            "{}",
            sent.summary
        );
        assert!(!timeline.iter().any(|e| e.kind == "message_dropped"));
    }
);

storage_test!(
    fn a_dispute_opened_after_the_reminder_was_queued_drops_it(store: &mut Store) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let inv = invoice(store, &org, &c1, "2026-01-01", "net30", 100_00);
        store
            .run_collections(org.id, d("2026-02-07"), true)
            .unwrap();
        let m = queued(store, org.id, c1.id);
        store
            .open_dispute(
                org.id,
                &NewDispute {
                    invoice: inv.number.clone(),
                    line: None,
                    reason: "the crate arrived broken".into(),
                    on: d("2026-02-08"),
                    author: "Ann".into(),
                },
                None,
            )
            .unwrap();
        // What the outbox page shows before anything is sent.
        let preview = store
            .preview_message(org.id, m.id, d("2026-02-08"))
            .unwrap();
        let reason = format!("Reminder for {} not sent: disputed", inv.number);
        assert_eq!(
            preview.recheck,
            Recheck::Dropped {
                reason: reason.clone(),
                left_out: vec![dun_store::recheck::LeftOut {
                    invoice_id: inv.invoice_id,
                    number: inv.number.clone(),
                    reason: "disputed".into(),
                }],
            }
        );
        // A preview writes nothing.
        assert_eq!(
            store.outbox_message(org.id, m.id).unwrap().status,
            "pending"
        );

        let next = store
            .claim_next(org.id, "worker-1", NOW, d("2026-02-08"))
            .unwrap();
        assert_eq!(
            next,
            Some(Next::Dropped {
                id: m.id,
                reason: reason.clone()
            })
        );
        assert_eq!(
            store.outbox_message(org.id, m.id).unwrap().status,
            "dropped"
        );
        let timeline = store.timeline(org.id, c1.id, None, 100).unwrap();
        assert!(
            timeline
                .iter()
                .any(|e| e.kind == "message_dropped" && e.summary == reason),
            "{timeline:#?}"
        );
    }
);

storage_test!(
    fn an_invoice_e_mail_is_sent_even_when_the_invoice_is_paid(store: &mut Store) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let inv = invoice(store, &org, &c1, "2026-01-01", "net30", 100_00);
        let sent = store
            .send_invoice(org.id, &inv.number, d("2026-01-01"), None)
            .unwrap();
        pay(store, &org, &c1, "2026-01-05", 100_00, &inv.number);
        // The customer asked for their invoice: it goes as it is.
        let preview = store
            .preview_message(org.id, sent.message_id, d("2026-01-05"))
            .unwrap();
        assert_eq!(preview.recheck, Recheck::NotRechecked);
        let claim = store
            .claim_next_message(org.id, "worker-1", NOW, d("2026-01-05"))
            .unwrap()
            .expect("the invoice e-mail goes");
        assert_eq!(claim.message.id, sent.message_id);
        assert_eq!(claim.message.kind, "invoice");
        assert_eq!(claim.recheck, Recheck::NotRechecked);
    }
);

storage_test!(
    fn a_final_demand_left_with_a_first_notice_is_worded_as_one(store: &mut Store, url: &str) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let old = invoice(store, &org, &c1, "2026-01-01", "net30", 100_00); // due 01-31
        let new = invoice(store, &org, &c1, "2026-02-23", "net30", 80_00); // due 03-25
        let today = d("2026-04-01");
        store.run_collections(org.id, today, true).unwrap();
        let m = queued(store, org.id, c1.id);
        assert_eq!(m.template, "final_demand");
        assert_eq!(m.channels, ["email", "letter"]);

        // The final demand's invoice (with its late fee) is paid in full.
        let open = open_of(store, &org, &old.number);
        assert!(open > 100_00, "the fee is charged: {open}");
        pay(store, &org, &c1, "2026-04-01", open, &old.number);
        // Its letter is not kept: the message is re-worded first.
        let kept = store
            .save_letters(
                org.id,
                m.id,
                &[("letter.pdf".to_string(), b"%PDF-1.7".to_vec())],
                NOW,
                today,
            )
            .unwrap();
        assert!(kept.is_empty());
        let row = store.outbox_message(org.id, m.id).unwrap();
        assert_eq!(row.status, "pending");
        assert_eq!(row.template, "first_notice");
        assert_eq!(row.channels, ["email"]);
        assert_eq!(row.detail["step"], "first_notice");
        let items = row.detail["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["number"], new.number.as_str());
        assert!(store.letters(org.id, m.id).unwrap().is_empty());
        assert!(mark_skipped(url, org.id, old.invoice_id, "final_demand"));

        let claim = store
            .claim_next_message(org.id, "worker-1", NOW, today)
            .unwrap()
            .expect("the first notice goes");
        assert_eq!(claim.message.template, "first_notice");
        assert_eq!(claim.message.detail["items"], row.detail["items"]);
    }
);

storage_test!(
    fn a_letter_kept_before_the_invoice_was_paid_is_not_posted(store: &mut Store) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let inv = invoice(store, &org, &c1, "2026-01-01", "net30", 100_00);
        let today = d("2026-04-01");
        store.run_collections(org.id, today, true).unwrap();
        let m = queued(store, org.id, c1.id);
        assert_eq!(m.channels, ["email", "letter"]);
        // The letter is kept (and its "print and post" task written) while
        // the e-mail waits for a mail server.
        let kept = store
            .save_letters(
                org.id,
                m.id,
                &[("letter.pdf".to_string(), b"%PDF-1.7".to_vec())],
                NOW,
                today,
            )
            .unwrap();
        assert_eq!(kept.len(), 1);
        let print = |store: &mut Store| {
            store
                .tasks(org.id, Some("C1"), false)
                .unwrap()
                .into_iter()
                .filter(|t| t.kind == "letter")
                .collect::<Vec<_>>()
        };
        assert_eq!(print(store)[0].status, "open");

        let open = open_of(store, &org, &inv.number);
        pay(store, &org, &c1, "2026-04-02", open, &inv.number);
        let next = store
            .claim_next(org.id, "worker-1", "2026-04-02T09:00:00Z", d("2026-04-02"))
            .unwrap();
        assert!(
            matches!(next, Some(Next::Dropped { id, .. }) if id == m.id),
            "{next:?}"
        );
        let task = &print(store)[0];
        assert_eq!(task.status, "done");
        assert!(
            task.outcome
                .as_deref()
                .unwrap()
                .starts_with("Not to be posted: Reminder for"),
            "{task:?}"
        );
    }
);

/// Reminders queued for `n` customers, one each; those of the first
/// `paid` customers paid since.
fn queued_for(store: &mut Store, n: usize, paid: usize) -> (dun_store::Org, Vec<i64>) {
    let org = org(store, "Acme");
    let mut customers = Vec::new();
    for i in 0..n {
        let c = customer(store, &org, &format!("C{i:03}"));
        invoice(store, &org, &c, "2026-01-01", "net30", 100_00);
        customers.push(c);
    }
    store
        .run_collections(org.id, d("2026-02-07"), true)
        .unwrap();
    let mut ids: Vec<i64> = store
        .outbox(org.id, None, 1000)
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    ids.sort_unstable();
    assert_eq!(ids.len(), n);
    for c in &customers[..paid] {
        store
            .record_payment(
                org.id,
                &payment(c, "2026-02-08", 100_00),
                &Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
    }
    (org, ids)
}

storage_test!(
    fn two_workers_never_both_send_nor_both_drop_a_message(store: &mut Store, url: &str) {
        const CUSTOMERS: usize = 40;
        const PAID: usize = 25;
        const WORKERS: usize = 2;
        let (org, ids) = queued_for(store, CUSTOMERS, PAID);
        let start = Barrier::new(WORKERS);
        let results: Vec<(Vec<i64>, Vec<i64>)> = thread::scope(|scope| {
            let handles: Vec<_> = (0..WORKERS)
                .map(|w| {
                    let start = &start;
                    let org_id = org.id;
                    scope.spawn(move || {
                        let mut store = Store::open(url).unwrap();
                        let worker = format!("worker-{w}");
                        start.wait();
                        let (mut sent, mut dropped) = (Vec::new(), Vec::new());
                        while let Some(next) = store
                            .claim_next(org_id, &worker, NOW, d("2026-02-08"))
                            .unwrap()
                        {
                            match next {
                                Next::Send(claim) => {
                                    let id = claim.message.id;
                                    assert!(store
                                        .record_sent(org_id, id, &worker, NOW, d("2026-02-08"), "s")
                                        .unwrap());
                                    sent.push(id);
                                }
                                Next::Dropped { id, .. } => dropped.push(id),
                            }
                        }
                        (sent, dropped)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let sent: Vec<i64> = results.iter().flat_map(|r| r.0.clone()).collect();
        let dropped: Vec<i64> = results.iter().flat_map(|r| r.1.clone()).collect();
        assert_eq!(sent.len(), CUSTOMERS - PAID, "{results:?}");
        assert_eq!(dropped.len(), PAID, "{results:?}");
        let all: BTreeSet<i64> = sent.iter().chain(&dropped).copied().collect();
        assert_eq!(
            all.len(),
            CUSTOMERS,
            "each message handled once: {results:?}"
        );
        assert_eq!(all.into_iter().collect::<Vec<_>>(), ids);
        // The paid customers' reminders are the ones dropped, each once.
        for m in store.outbox(org.id, None, 1000).unwrap() {
            let paid = m.customer_ref.as_str() < format!("C{PAID:03}").as_str();
            assert_eq!(m.status, if paid { "dropped" } else { "sent" }, "{m:?}");
            let entries = store.timeline(org.id, m.customer_id, None, 100).unwrap();
            let kind = if paid {
                "message_dropped"
            } else {
                "email_sent"
            };
            assert_eq!(
                entries.iter().filter(|e| e.kind == kind).count(),
                1,
                "{entries:#?}"
            );
        }
    }
);
