//! Statement schedules: a customer's statement of account sent on a
//! schedule (e.g. the 1st of every month) by the daily run, through the
//! outbox.
//!
//! A statement due is queued in the run's claim transaction (see
//! `recurring.rs`), under the organisation's lock, together with the move
//! of the schedule's `next_date`: both or neither, and a second run the
//! same day finds nothing due. It covers the days from the last one sent
//! (or, for the first, from the schedule's occurrence before it) to the
//! day before its own date, so a statement the run missed is not lost: the
//! next one covers its days too (the missed-day rule: one statement, not
//! one per missed period).

use dun_core::schedule::Schedule;
use dun_core::Date;
use serde::Serialize;

use crate::customers;
use crate::db::{Row, Tx};
use crate::error::StoreError;
use crate::outbox::{self, MessageKind, NewMessage};
use crate::records::check_author;
use crate::recurring::{day, opt_date, schedule, ScheduleStatus};
use crate::timeline::{self, NewEntry};
use crate::{orgs, params, Store};

/// Most schedules one list returns.
pub const STATEMENT_SCHEDULES_LIST_MAX: i64 = 10_000;

/// A customer's statement schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatementSchedule {
    pub id: i64,
    pub customer_id: i64,
    pub customer_ref: String,
    pub customer_name: String,
    pub schedule: Schedule,
    /// The next statement's date; None once ended.
    pub next_date: Option<Date>,
    pub last_sent_date: Option<Date>,
    pub status: ScheduleStatus,
    pub created_by: String,
    pub created_at: String,
}

/// A statement the run queued (or, previewed, would queue).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatementOutcome {
    pub schedule_id: i64,
    pub customer_ref: String,
    pub occurrence: Date,
    pub period_start: Date,
    pub period_end: Date,
    /// The outbox row; None in a preview.
    pub message_id: Option<i64>,
    /// Occurrences the run missed, whose days this statement covers.
    pub missed_count: usize,
}

const COLUMNS: &str = "s.id, s.customer_id, c.ref, c.name, s.schedule, s.next_date,
    s.last_sent_date, s.status, s.created_by, s.created_at";
const FROM: &str =
    "statement_schedules s JOIN customers c ON c.org_id = s.org_id AND c.id = s.customer_id";

fn from_row(r: &Row<'_>) -> Result<StatementSchedule, StoreError> {
    Ok(StatementSchedule {
        id: r.i64(0)?,
        customer_id: r.i64(1)?,
        customer_ref: r.string(2)?,
        customer_name: r.string(3)?,
        schedule: schedule(&r.string(4)?)?,
        next_date: opt_date(r, 5)?,
        last_sent_date: opt_date(r, 6)?,
        status: ScheduleStatus::parse(&r.string(7)?)?,
        created_by: r.string(8)?,
        created_at: r.string(9)?,
    })
}

fn by_customer(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_ref: &str,
) -> Result<StatementSchedule, StoreError> {
    tx.query_opt(
        &format!("SELECT {COLUMNS} FROM {FROM} WHERE s.org_id = $1 AND c.ref = $2"),
        params![org_id, customer_ref.trim()],
        from_row,
    )?
    .ok_or_else(|| StoreError::not_found("statement schedule of customer", customer_ref))
}

/// A `statement` entry for the customer's timeline.
fn note<'a>(
    customer_id: i64,
    on: Date,
    author: &'a str,
    summary: &'a str,
    detail: serde_json::Value,
) -> NewEntry<'a> {
    NewEntry {
        customer_id,
        on_date: on,
        kind: "statement",
        author,
        summary,
        detail,
        invoice_ids: &[],
    }
}

fn log(tx: &mut Tx<'_>, org_id: i64, now: &str, entry: NewEntry<'_>) -> Result<(), StoreError> {
    timeline::log(tx, org_id, now, &entry).map(|_| ())
}

/// The days a statement on `occurrence` covers: from the last one sent
/// (else the schedule's occurrence before it) through the day before
/// `occurrence`, so consecutive statements tile the calendar (on the 1st
/// of December: 1 to 30 November).
fn period(s: &StatementSchedule, occurrence: Date) -> (Date, Date) {
    let start = match s.last_sent_date {
        Some(last) if last < occurrence => last,
        _ => s.schedule.last_before(occurrence),
    };
    (start, occurrence.add_days(-1))
}

fn due(
    tx: &mut Tx<'_>,
    org_id: i64,
    as_of: Date,
) -> Result<Vec<(StatementSchedule, dun_core::schedule::Due)>, StoreError> {
    let schedules = tx.query(
        &format!(
            "SELECT {COLUMNS} FROM {FROM}
             WHERE s.org_id = $1 AND s.status = 'active' AND s.next_date <= $2 ORDER BY s.id"
        ),
        params![org_id, day(as_of)],
        from_row,
    )?;
    Ok(schedules
        .into_iter()
        .map(|s| {
            let next = s
                .next_date
                .expect("the query reads schedules with a next date");
            let due = s.schedule.due(next, as_of, None);
            (s, due)
        })
        .collect())
}

/// Queues every statement due by `as_of` and moves the schedules on,
/// inside the run's transaction (the organisation's lock is held).
pub(crate) fn perform(
    tx: &mut Tx<'_>,
    org_id: i64,
    as_of: Date,
    now: &str,
) -> Result<Vec<StatementOutcome>, StoreError> {
    let mut out = Vec::new();
    for (s, due) in due(tx, org_id, as_of)? {
        let old_next = s.next_date.expect("due schedules have a next date");
        let moved = tx.execute(
            "UPDATE statement_schedules SET next_date = $1, last_sent_date = COALESCE($2, last_sent_date)
             WHERE org_id = $3 AND id = $4 AND next_date = $5 AND status = 'active'",
            params![
                due.next.map(day),
                due.occurrence.map(day),
                org_id,
                s.id,
                day(old_next)
            ],
        )?;
        let Some(occurrence) = due.occurrence else {
            continue;
        };
        if moved == 0 {
            continue;
        }
        let (start, end) = period(&s, occurrence);
        let message_id = outbox::enqueue(
            tx,
            org_id,
            &NewMessage {
                customer_id: s.customer_id,
                kind: MessageKind::Statement,
                invoice_id: None,
                period: Some((start, end)),
                template: "statement".to_string(),
                detail: serde_json::json!({
                    "statement_schedule_id": s.id,
                    "occurrence": occurrence,
                    "missed_count": due.missed_count,
                }),
                as_of: occurrence,
            },
            now,
        )?;
        let summary = format!(
            "Statement of account for {start} to {end} queued ({}){}",
            s.schedule.describe(),
            if due.missed_count > 0 {
                format!(
                    "; it also covers {} statement date(s) missed while no daily run happened",
                    due.missed_count
                )
            } else {
                String::new()
            }
        );
        log(
            tx,
            org_id,
            now,
            note(
                s.customer_id,
                occurrence,
                &format!("statement schedule #{}", s.id),
                &summary,
                serde_json::json!({
                    "statement_schedule_id": s.id,
                    "outbox_id": message_id,
                    "period_start": start,
                    "period_end": end,
                    "missed_count": due.missed_count,
                }),
            ),
        )?;
        out.push(StatementOutcome {
            schedule_id: s.id,
            customer_ref: s.customer_ref.clone(),
            occurrence,
            period_start: start,
            period_end: end,
            message_id: Some(message_id),
            missed_count: due.missed_count,
        });
    }
    Ok(out)
}

/// The statements [`perform`] would queue; writes nothing.
pub(crate) fn preview(
    tx: &mut Tx<'_>,
    org_id: i64,
    as_of: Date,
) -> Result<Vec<StatementOutcome>, StoreError> {
    Ok(due(tx, org_id, as_of)?
        .into_iter()
        .filter_map(|(s, due)| {
            let occurrence = due.occurrence?;
            let (start, end) = period(&s, occurrence);
            Some(StatementOutcome {
                schedule_id: s.id,
                customer_ref: s.customer_ref.clone(),
                occurrence,
                period_start: start,
                period_end: end,
                message_id: None,
                missed_count: due.missed_count,
            })
        })
        .collect())
}

impl Store {
    /// Sets the customer's statement schedule (replacing any it had): the
    /// first statement is the schedule's first occurrence on or after
    /// `starts_on`.
    pub fn set_statement_schedule(
        &mut self,
        org_id: i64,
        customer_ref: &str,
        schedule: Schedule,
        starts_on: Date,
        author: &str,
    ) -> Result<StatementSchedule, StoreError> {
        let author = check_author(author)?.to_string();
        let now = self.now_utc();
        let first = schedule.next_on_or_after(starts_on);
        let mut tx = self.conn().transaction()?;
        orgs::lock(&mut tx, org_id)?;
        let customer = customers::by_ref(&mut tx, org_id, customer_ref.trim())?;
        tx.execute(
            "INSERT INTO statement_schedules (org_id, customer_id, schedule, next_date, last_sent_date,
                status, created_by, created_at)
             VALUES ($1, $2, $3, $4, NULL, 'active', $5, $6)
             ON CONFLICT (org_id, customer_id) DO UPDATE SET schedule = excluded.schedule,
                next_date = excluded.next_date, status = 'active', created_by = excluded.created_by,
                created_at = excluded.created_at",
            params![
                org_id,
                customer.id,
                schedule.to_string().as_str(),
                day(first),
                author.as_str(),
                now.as_str()
            ],
        )?;
        let summary = format!(
            "Statements of account scheduled: {}, first on {first}",
            schedule.describe()
        );
        log(
            &mut tx,
            org_id,
            &now,
            note(
                customer.id,
                starts_on,
                &author,
                &summary,
                serde_json::json!({ "schedule": schedule, "first": first }),
            ),
        )?;
        let s = by_customer(&mut tx, org_id, &customer.reference)?;
        tx.commit()?;
        Ok(s)
    }

    /// Every statement schedule, by customer reference.
    pub fn statement_schedules(
        &mut self,
        org_id: i64,
    ) -> Result<Vec<StatementSchedule>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            &format!("SELECT {COLUMNS} FROM {FROM} WHERE s.org_id = $1 ORDER BY c.ref LIMIT $2"),
            params![org_id, STATEMENT_SCHEDULES_LIST_MAX],
            from_row,
        )
    }

    /// Pauses, resumes (from `on`: the next date is the schedule's first on
    /// or after it) or ends a customer's statement schedule.
    pub fn set_statement_schedule_status(
        &mut self,
        org_id: i64,
        customer_ref: &str,
        to: ScheduleStatus,
        on: Date,
        author: &str,
    ) -> Result<StatementSchedule, StoreError> {
        let author = check_author(author)?.to_string();
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        orgs::lock(&mut tx, org_id)?;
        let s = by_customer(&mut tx, org_id, customer_ref)?;
        if s.status == to {
            return Err(StoreError::Conflict(format!(
                "the statement schedule of {} is already {}",
                s.customer_ref,
                to.as_str()
            )));
        }
        if s.status == ScheduleStatus::Ended && to == ScheduleStatus::Paused {
            return Err(StoreError::Conflict(format!(
                "the statement schedule of {} has ended; set a new statement schedule instead",
                s.customer_ref
            )));
        }
        let next = match to {
            ScheduleStatus::Active => Some(s.schedule.next_on_or_after(on)),
            ScheduleStatus::Paused => s.next_date,
            ScheduleStatus::Ended => None,
        };
        tx.execute(
            "UPDATE statement_schedules SET status = $1, next_date = $2 WHERE org_id = $3 AND id = $4",
            params![to.as_str(), next.map(day), org_id, s.id],
        )?;
        let summary = format!(
            "Statement schedule ({}) {}{}",
            s.schedule.describe(),
            match to {
                ScheduleStatus::Active => "resumed",
                ScheduleStatus::Paused => "paused",
                ScheduleStatus::Ended => "ended",
            },
            match (to, next) {
                (ScheduleStatus::Active, Some(n)) => format!("; next on {n}"),
                _ => String::new(),
            }
        );
        log(
            &mut tx,
            org_id,
            &now,
            note(
                s.customer_id,
                on,
                &author,
                &summary,
                serde_json::json!({ "statement_schedule_id": s.id, "status": to, "next_date": next }),
            ),
        )?;
        let s = by_customer(&mut tx, org_id, customer_ref)?;
        tx.commit()?;
        Ok(s)
    }
}
