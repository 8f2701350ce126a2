//! Escalation reviews decided by a person, on both engines: the default
//! ladder reaches its +90 review; approving it hands the debt to an agency
//! (the ladder stops: no message, fee, interest or call after; payments
//! still post and show on the agency list), a write-off needs the owner
//! and writes the review's invoices off, a rejection leaves the ladder as
//! it was, and a review is decided once.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use common::*;
use dun_core::collections::credit::CustomerStatus;
use dun_core::collections::escalation::{Decision, Escalation};
use dun_core::Date;
use dun_store::escalations::{EscalationRecord, ReviewDecision};
use dun_store::payments::Allocate;
use dun_store::worklist::TaskRecord;
use dun_store::{params, Conn, Org, Store, StoreError};

/// Runs the default policy every day from `from` through `to`.
fn run_days(store: &mut Store, org: &Org, from: &str, to: &str) {
    let mut day = d(from);
    while day <= d(to) {
        store
            .run_collections(org.id, day, true)
            .unwrap_or_else(|e| panic!("the run as of {day} failed: {e}"));
        day = day.add_days(1);
    }
}

/// `Store::decide_escalation` with the decision's parts in a row.
#[allow(clippy::too_many_arguments)]
fn decide(
    store: &mut Store,
    org_id: i64,
    task_id: i64,
    decision: Decision,
    reason: &str,
    on: Date,
    author: &str,
    by_owner: bool,
) -> Result<EscalationRecord, StoreError> {
    store.decide_escalation(
        org_id,
        task_id,
        &ReviewDecision {
            decision,
            reason,
            on,
            by_owner,
        },
        author,
    )
}

fn review_of(store: &mut Store, org: &Org, reference: &str) -> TaskRecord {
    let open = store.tasks(org.id, Some(reference), true).expect("tasks");
    open.into_iter()
        .find(|t| t.kind == "escalation")
        .unwrap_or_else(|| panic!("{reference} has no open escalation review"))
}

/// Rows of `table` for customer `customer_id` with `day_column` after `after`.
fn count_after(url: &str, table: &str, day_column: &str, customer_id: i64, after: Date) -> i64 {
    let mut conn = Conn::open(url).expect("open a second connection");
    let mut tx = conn.read_transaction().expect("read");
    tx.query_opt(
        &format!("SELECT COUNT(*) FROM {table} WHERE customer_id = $1 AND {day_column} > $2"),
        params![customer_id, i64::from(after.day_number())],
        |r| r.i64(0),
    )
    .expect("count")
    .unwrap_or(0)
}

storage_test!(
    fn an_approved_review_hands_over_and_stops_the_ladder(store: &mut Store, url: &str) {
        let acme = org(store, "Acme Ltd");
        let agency = customer(store, &acme, "AGENCY");
        let gone = customer(store, &acme, "GONE");
        let kept = customer(store, &acme, "KEPT");
        let a = invoice(store, &acme, &agency, "2026-01-01", "net30", 1000_00).number;
        let g = invoice(store, &acme, &gone, "2026-01-01", "net30", 300_00).number;
        invoice(store, &acme, &kept, "2026-01-01", "net30", 200_00);
        // Due 01-31: +90 is 05-01.
        run_days(store, &acme, "2026-01-20", "2026-05-01");
        let decided = d("2026-05-02");

        // A collector may hand over; only the owner writes off.
        let review = review_of(store, &acme, "AGENCY");
        assert!(
            review.title.contains("agency") && review.title.contains(&a),
            "{}",
            review.title
        );
        let write_off = Decision::Approve(Escalation::WriteOff);
        let err = decide(
            store, acme.id, review.id, write_off, "gone", decided, "cole", false,
        )
        .unwrap_err();
        assert!(
            matches!(err, StoreError::Invalid(ref m) if m.contains("needs the owner")),
            "{err}"
        );
        let err = decide(
            store,
            acme.id,
            review.id,
            Decision::Approve(Escalation::Agency),
            " ",
            decided,
            "cole",
            false,
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("reason:"), "{err}");
        let record = decide(
            store,
            acme.id,
            review.id,
            Decision::Approve(Escalation::Agency),
            "no reply to the final demand",
            decided,
            "cole",
            false,
        )
        .expect("hand AGENCY to the agency");
        assert_eq!(record.task.status, "done");
        assert_eq!(record.handed_over.len(), 1);
        let owed_then = record.handed_over[0].amount_minor;
        assert!(owed_then >= 1040_00, "principal and the fee: {owed_then}");
        assert_eq!(
            store.credit_standing(acme.id, "AGENCY").unwrap().status,
            CustomerStatus::WithAgency
        );
        // Decided once.
        let again = decide(
            store,
            acme.id,
            review.id,
            Decision::Reject,
            "changed my mind",
            decided,
            "cole",
            false,
        )
        .unwrap_err();
        assert!(matches!(again, StoreError::Conflict(_)), "{again}");

        // The owner writes GONE off: every review invoice settles.
        let review = review_of(store, &acme, "GONE");
        let record = decide(
            store,
            acme.id,
            review.id,
            write_off,
            "the company was dissolved",
            decided,
            "olive",
            true,
        )
        .expect("write GONE off");
        assert_eq!(record.written_off.len(), 1);
        assert_eq!(record.written_off[0].0, g);
        assert_eq!(open_of(store, &acme, &g), 0);

        // KEPT: rejected; the ladder goes on for them.
        let review = review_of(store, &acme, "KEPT");
        decide(
            store,
            acme.id,
            review.id,
            Decision::Reject,
            "long-standing customer, will call",
            decided,
            "cole",
            false,
        )
        .expect("reject KEPT's review");
        // A call task is not a review.
        store
            .add_task(acme.id, "KEPT", "Ask for the PO", decided, decided, "cole")
            .map(|t| {
                let err = decide(
                    store,
                    acme.id,
                    t.id,
                    Decision::Reject,
                    "x",
                    decided,
                    "cole",
                    false,
                )
                .unwrap_err();
                assert!(err.to_string().starts_with("task:"), "{err}");
            })
            .expect("add a task");

        // A payment to the agency's customer still posts.
        store
            .record_payment(
                acme.id,
                &payment(&agency, "2026-06-10", 400_00),
                &Allocate::OldestDueFirst,
                None,
            )
            .expect("the payment posts");
        run_days(store, &acme, "2026-05-02", "2026-06-30");

        // Nothing more went to AGENCY or GONE; KEPT's interest went on.
        for c in [&agency, &gone] {
            assert_eq!(
                count_after(url, "outbox", "as_of", c.id, decided),
                0,
                "{}",
                c.reference
            );
        }
        let mut conn = Conn::open(url).expect("open");
        let mut tx = conn.read_transaction().expect("read");
        let charged_after = |tx: &mut dun_store::db::Tx<'_>, id: i64| {
            tx.query_opt(
                "SELECT COUNT(*) FROM ledger_entries WHERE customer_id = $1 AND effective_date > $2
                 AND kind IN ('fee', 'interest', 'compensation')",
                params![id, i64::from(decided.day_number())],
                |r| r.i64(0),
            )
            .expect("count")
            .unwrap_or(0)
        };
        assert_eq!(charged_after(&mut tx, agency.id), 0, "no fee or interest");
        assert!(charged_after(&mut tx, kept.id) > 0, "KEPT's ladder goes on");
        drop(tx);

        // The call task of the +35 step closed on the next run; none opened.
        let open: Vec<String> = store
            .tasks(acme.id, Some("AGENCY"), true)
            .unwrap()
            .into_iter()
            .map(|t| t.title)
            .collect();
        assert!(open.is_empty(), "{open:?}");

        // The agency list reports what AGENCY paid since.
        let list = store.handed_over(acme.id).expect("the agency list");
        assert_eq!(list.len(), 1);
        let row = &list[0];
        assert_eq!(row.customer_ref, "AGENCY");
        assert_eq!(row.since, Some(decided));
        assert_eq!(row.handed_over[0].amount_minor, owed_then);
        assert_eq!(row.received_since[0].amount_minor, 400_00);
        assert_eq!(row.open_now[0].amount_minor, owed_then - 400_00);

        // The timeline says what was decided, by whom.
        let timeline = store.timeline(acme.id, agency.id, None, 1000).unwrap();
        let entry = timeline
            .iter()
            .find(|e| e.kind == "escalation")
            .expect("an escalation entry");
        assert!(
            entry.summary.contains("collection agency") && entry.author == "cole",
            "{}",
            entry.summary
        );
        check_book(store);
    }
);
