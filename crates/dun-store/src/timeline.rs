//! The communication log: every message, task, charge, call, note,
//! promise, dispute and status change on a customer's timeline.
//!
//! *Invariant:* timeline rows are only ever inserted; nothing here updates
//! or deletes one.

use serde::Serialize;

use dun_core::Date;

use crate::db::Tx;
use crate::error::StoreError;
use crate::{params, Store};

/// Most timeline entries one read returns.
pub const TIMELINE_LIMIT_MAX: i64 = 1000;
/// Most bytes of a summary a person writes (a note, a call's outcome).
pub const SUMMARY_BYTES_MAX: usize = 4000;

/// One entry of the log. Money moved by hand is written by the command
/// that moves it, with the store's acting author: `invoice_issued`,
/// `invoice_voided`, `payment`, `credit_note`, `write_off`, `refund`,
/// `payment_reversed`, `import` (one per customer and imported file, naming
/// what it brought), `escalation` (a review decided); `credit_applied` by
/// the policy. Besides, `kind` is
/// one of: `message`, `task`, `fee`,
/// `interest`, `skip`, `status_change`, `tier_change`, `promise_kept`,
/// `promise_broken`, `plan_completed`, `plan_defaulted` (written by the
/// run, author `policy vN · rule`), and `call`, `note`, `reply`, `promise`,
/// `dispute`, `dispute_resolved`, `dispute_rejected`, `pause`, `resume`,
/// `override`, `collateral`, `plan`, `task_done`, `portal_withdrawn`
/// (written for a person, author their name); `email_sent`,
/// `email_failed`, `email_unknown` and `message_dropped` (a reminder the
/// send-time re-check found nothing still owed in: not sent) by the
/// delivery worker; `email_held`, `email_send_now`, `email_cancelled` and
/// `email_retry` for a person acting on a message (`outbox_actions.rs`).
/// Where a page of a timeline ends: the entries before this one, in the
/// timeline's order (the day it happened, newest first; then the order
/// they were recorded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimelineCursor {
    pub on_date: Date,
    pub id: i64,
}

impl TimelineCursor {
    /// The cursor after `entry`.
    pub fn after(entry: &TimelineEntry) -> TimelineCursor {
        TimelineCursor {
            on_date: entry.on_date,
            id: entry.id,
        }
    }

    /// `DAY:ID`, as [`TimelineCursor::parse`] reads it back.
    pub fn key(&self) -> String {
        format!("{}:{}", self.on_date.day_number(), self.id)
    }

    pub fn parse(text: &str) -> Option<TimelineCursor> {
        let (day, id) = text.split_once(':')?;
        Some(TimelineCursor {
            on_date: Date::from_day_number(day.parse().ok()?),
            id: id.parse().ok()?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    pub id: i64,
    pub customer_id: i64,
    pub occurred_at: String,
    pub on_date: Date,
    pub kind: String,
    pub author: String,
    pub summary: String,
    /// JSON with what the kind needs (amounts, dates, outcome).
    pub detail: serde_json::Value,
    pub invoice_ids: Vec<i64>,
}

/// What to write.
pub struct NewEntry<'a> {
    pub customer_id: i64,
    pub on_date: Date,
    pub kind: &'a str,
    pub author: &'a str,
    pub summary: &'a str,
    pub detail: serde_json::Value,
    pub invoice_ids: &'a [i64],
}

/// Appends one entry inside the caller's transaction.
pub fn log(
    tx: &mut Tx<'_>,
    org_id: i64,
    now: &str,
    entry: &NewEntry<'_>,
) -> Result<i64, StoreError> {
    let detail = entry.detail.to_string();
    let ids = serde_json::to_string(entry.invoice_ids).expect("ids serialize");
    tx.query(
        "INSERT INTO timeline (org_id, customer_id, occurred_at, on_date, kind, author, summary, detail, invoice_ids)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        params![
            org_id,
            entry.customer_id,
            now,
            i64::from(entry.on_date.day_number()),
            entry.kind,
            entry.author,
            entry.summary,
            &detail,
            &ids
        ],
        |r| r.i64(0),
    )
    .map(|ids| ids[0])
}

/// Appends many entries inside the caller's transaction, in multi-row
/// INSERTs (the daily run writes one per action it applies).
pub fn log_many(
    tx: &mut Tx<'_>,
    org_id: i64,
    now: &str,
    entries: &[NewEntry<'_>],
) -> Result<(), StoreError> {
    let texts: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            (
                e.detail.to_string(),
                serde_json::to_string(e.invoice_ids).expect("ids serialize"),
            )
        })
        .collect();
    let mut rows: Vec<crate::Param<'_>> = Vec::with_capacity(entries.len() * 9);
    for (e, (detail, ids)) in entries.iter().zip(&texts) {
        rows.extend_from_slice(&[
            org_id.into(),
            e.customer_id.into(),
            now.into(),
            i64::from(e.on_date.day_number()).into(),
            e.kind.into(),
            e.author.into(),
            e.summary.into(),
            detail.into(),
            ids.into(),
        ]);
    }
    crate::bulk::insert(
        tx,
        "timeline",
        &[
            "org_id",
            "customer_id",
            "occurred_at",
            "on_date",
            "kind",
            "author",
            "summary",
            "detail",
            "invoice_ids",
        ],
        &rows,
        None,
        |_| Ok(()),
    )
}

impl Store {
    /// Writes one entry that no other command writes (the delivery worker's
    /// notes, say), in its own transaction.
    pub fn log_timeline(&mut self, org_id: i64, entry: &NewEntry<'_>) -> Result<i64, StoreError> {
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let id = log(&mut tx, org_id, &now, entry)?;
        tx.commit()?;
        Ok(id)
    }

    /// A customer's timeline in the order things happened, newest first
    /// (by the day each happened — a payment recorded today for last week
    /// sits at last week — then by when it was recorded), at most `limit`
    /// entries after the cursor `before` (for paging; `None` = from the
    /// newest).
    pub fn timeline(
        &mut self,
        org_id: i64,
        customer_id: i64,
        before: Option<TimelineCursor>,
        limit: i64,
    ) -> Result<Vec<TimelineEntry>, StoreError> {
        let limit = limit.clamp(1, TIMELINE_LIMIT_MAX);
        let (day, id) = before.map_or((i64::MAX, i64::MAX), |c| {
            (i64::from(c.on_date.day_number()), c.id)
        });
        let mut tx = self.conn().read_transaction()?;
        let rows = tx.query(
            "SELECT id, customer_id, occurred_at, on_date, kind, author, summary, detail, invoice_ids
             FROM timeline WHERE org_id = $1 AND customer_id = $2
               AND (on_date < $3 OR (on_date = $3 AND id < $4))
             ORDER BY on_date DESC, id DESC LIMIT $5",
            params![org_id, customer_id, day, id, limit],
            |r| {
                Ok(TimelineEntry {
                    id: r.i64(0)?,
                    customer_id: r.i64(1)?,
                    occurred_at: r.string(2)?,
                    on_date: Date::from_day_number(r.i64(3)? as i32),
                    kind: r.string(4)?,
                    author: r.string(5)?,
                    summary: r.string(6)?,
                    detail: serde_json::from_str(&r.string(7)?).unwrap_or(serde_json::Value::Null),
                    invoice_ids: serde_json::from_str(&r.string(8)?).unwrap_or_default(),
                })
            },
        )?;
        tx.commit()?;
        Ok(rows)
    }
}
