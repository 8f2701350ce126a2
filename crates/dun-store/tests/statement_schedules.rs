//! Statement schedules: the daily run queues a customer's statement of
//! account on its dates, once, for the days since the last one; a missed
//! date is covered by the next statement, not sent twice.

// Amounts are written as money reads: `250_00` is 250.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use common::*;
use dun_core::schedule::Schedule;
use dun_store::recurring::ScheduleStatus;
use dun_store::{Org, Store, StoreError};

const CLERK: &str = "Ann (billing)";

/// Statement messages in the outbox as `customer period_start..period_end`.
fn statements(store: &mut Store, org: &Org) -> Vec<String> {
    store
        .outbox(org.id, None, 10_000)
        .expect("the outbox")
        .into_iter()
        .filter(|m| m.kind == "statement")
        .map(|m| {
            format!(
                "{} {}..{}",
                m.customer_ref,
                m.period_start.expect("a period"),
                m.period_end.expect("a period")
            )
        })
        .collect()
}

fn monthly() -> Schedule {
    Schedule::parse("monthly:1").unwrap()
}

storage_test!(
    fn statements_go_out_on_their_dates_once(store: &mut Store) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        invoice(store, &org, &c1, "2026-11-10", "net30", 250_00);
        let s = store
            .set_statement_schedule(org.id, "C1", monthly(), d("2026-11-24"), CLERK)
            .unwrap();
        assert_eq!(s.next_date, Some(d("2026-12-01")));
        assert!(store
            .run_schedules(org.id, d("2026-11-30"))
            .unwrap()
            .statements
            .is_empty());
        let report = store.run_schedules(org.id, d("2026-12-01")).unwrap();
        assert_eq!(report.statements.len(), 1);
        assert_eq!(
            (
                report.statements[0].period_start,
                report.statements[0].period_end
            ),
            (d("2026-11-01"), d("2026-11-30"))
        );
        assert!(store
            .run_schedules(org.id, d("2026-12-01"))
            .unwrap()
            .is_empty());
        assert!(store
            .run_schedules(org.id, d("2026-12-20"))
            .unwrap()
            .is_empty());
        store.run_schedules(org.id, d("2027-01-01")).unwrap();
        assert_eq!(
            statements(store, &org),
            ["C1 2026-11-01..2026-11-30", "C1 2026-12-01..2026-12-31"]
        );
        let timeline = store.timeline(org.id, c1.id, None, 100).unwrap();
        let queued = timeline
            .iter()
            .filter(|e| e.kind == "statement" && e.summary.contains("queued"))
            .count();
        assert_eq!(queued, 2);
        let listed = store.statement_schedules(org.id).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].last_sent_date, Some(d("2027-01-01")));
        assert_eq!(listed[0].next_date, Some(d("2027-02-01")));
    }
);

storage_test!(
    fn a_missed_statement_is_covered_by_the_next_one(store: &mut Store) {
        let org = org(store, "Acme");
        customer(store, &org, "C1");
        store
            .set_statement_schedule(org.id, "C1", monthly(), d("2026-11-24"), CLERK)
            .unwrap();
        store.run_schedules(org.id, d("2026-12-01")).unwrap();
        // No run in January: the February statement covers December and January.
        let report = store.run_schedules(org.id, d("2027-02-03")).unwrap();
        assert_eq!(report.statements.len(), 1);
        assert_eq!(report.statements[0].missed_count, 1);
        assert_eq!(
            statements(store, &org),
            ["C1 2026-11-01..2026-11-30", "C1 2026-12-01..2027-01-31"]
        );
    }
);

storage_test!(
    fn a_dry_run_previews_and_writes_nothing(store: &mut Store) {
        let org = org(store, "Acme");
        customer(store, &org, "C1");
        customer(store, &org, "C2");
        store
            .set_statement_schedule(org.id, "C1", monthly(), d("2026-11-24"), CLERK)
            .unwrap();
        store
            .set_statement_schedule(
                org.id,
                "C2",
                Schedule::parse("quarterly:1").unwrap(),
                d("2026-11-24"),
                CLERK,
            )
            .unwrap();
        let preview = store.preview_schedules(org.id, d("2026-12-01")).unwrap();
        assert!(preview.dry_run);
        assert_eq!(preview.statements.len(), 1, "C2's first is 2027-01-01");
        assert_eq!(preview.statements[0].customer_ref, "C1");
        assert_eq!(preview.statements[0].message_id, None);
        assert!(statements(store, &org).is_empty());
        let applied = store.run_schedules(org.id, d("2026-12-01")).unwrap();
        assert_eq!(applied.statements.len(), 1);
        assert!(store
            .preview_schedules(org.id, d("2026-12-01"))
            .unwrap()
            .is_empty());
    }
);

storage_test!(
    fn schedules_pause_resume_end_and_replace(store: &mut Store) {
        let org = org(store, "Acme");
        customer(store, &org, "C1");
        store
            .set_statement_schedule(org.id, "C1", monthly(), d("2026-11-24"), CLERK)
            .unwrap();
        let paused = store
            .set_statement_schedule_status(
                org.id,
                "C1",
                ScheduleStatus::Paused,
                d("2026-11-25"),
                CLERK,
            )
            .unwrap();
        assert_eq!(paused.status, ScheduleStatus::Paused);
        assert!(store
            .run_schedules(org.id, d("2026-12-01"))
            .unwrap()
            .is_empty());
        let resumed = store
            .set_statement_schedule_status(
                org.id,
                "C1",
                ScheduleStatus::Active,
                d("2026-12-05"),
                CLERK,
            )
            .unwrap();
        assert_eq!(resumed.next_date, Some(d("2027-01-01")));
        let again = store.set_statement_schedule_status(
            org.id,
            "C1",
            ScheduleStatus::Active,
            d("2026-12-05"),
            CLERK,
        );
        assert!(matches!(again, Err(StoreError::Conflict(m)) if m.contains("already active")));
        // Replaced by a quarterly schedule: one row per customer.
        let replaced = store
            .set_statement_schedule(
                org.id,
                "C1",
                Schedule::parse("quarterly:1").unwrap(),
                d("2026-12-05"),
                CLERK,
            )
            .unwrap();
        assert_eq!(replaced.next_date, Some(d("2027-01-01")));
        assert_eq!(store.statement_schedules(org.id).unwrap().len(), 1);
        store.run_schedules(org.id, d("2027-01-01")).unwrap();
        assert_eq!(statements(store, &org), ["C1 2026-10-01..2026-12-31"]);
        let ended = store
            .set_statement_schedule_status(
                org.id,
                "C1",
                ScheduleStatus::Ended,
                d("2027-01-02"),
                CLERK,
            )
            .unwrap();
        assert_eq!(ended.next_date, None);
        assert!(store
            .run_schedules(org.id, d("2027-04-01"))
            .unwrap()
            .is_empty());
        let e = store
            .set_statement_schedule(org.id, "NOPE", monthly(), d("2026-11-24"), CLERK)
            .unwrap_err();
        assert!(e.to_string().contains("'NOPE' was not found"), "{e}");
    }
);
