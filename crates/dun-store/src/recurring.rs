//! Recurring invoices: a template (customer, lines, terms) billed on a
//! schedule, and [`Store::run_schedules`], which the daily run calls to
//! issue what is due and queue the statements due.
//!
//! ## Each occurrence once
//! A run performs a template's occurrences in three steps:
//! 1. **claim** — one transaction under the organisation's row lock (the
//!    lock order of every writer: organisation, then customers): for each
//!    active template whose `next_date` has come, the occurrence owed (the
//!    latest; earlier missed ones become a task, see `dun_core::schedule`)
//!    is written to `recurring_occurrences` as `pending` (its primary key
//!    is the template and the date, so it is claimed once) and `next_date`
//!    moves past the day. A second process waits on the lock and then finds
//!    nothing due;
//! 2. **issue** — every `pending` occurrence goes through the same commands
//!    a person uses, `create_invoice` and `issue_invoice`, with idempotency
//!    keys made of the template and the date, so numbering, the credit
//!    check and the postings are the ordinary ones, and a repeat (a crash
//!    and a re-run, or a second process finishing the same occurrence)
//!    returns the first result instead of a second invoice;
//! 3. **record** — one transaction under the organisation's lock turns the
//!    occurrence `issued` (and queues the invoice e-mail, and logs it on
//!    the timeline) or `refused`, only if it is still `pending`, so this
//!    happens once whoever finishes first.
//!
//! A crash between the steps leaves a `pending` occurrence, which the next
//! run finishes (whatever its date) before anything else. A refusal by the
//! credit check is not a failure of the run: the draft stays for a person,
//! with a task and a timeline entry saying why.

use dun_core::invoice::{totals, InvoiceDraft, InvoiceLine, DESCRIPTION_CHARS_MAX};
use dun_core::money::format_minor;
use dun_core::schedule::{Due, Schedule};
use dun_core::terms::Terms;
use dun_core::{Currency, Date};
use serde::{Deserialize, Serialize};

use crate::customers;
use crate::db::{Row, Tx};
use crate::entries::currency;
use crate::error::StoreError;
use crate::outbox::{self, MessageKind, NewMessage};
use crate::records::check_author;
use crate::statement_schedules::{self, StatementOutcome};
use crate::timeline::{self, NewEntry};
use crate::{orgs, params, Store};

/// Most templates one list returns.
pub const RECURRING_LIST_MAX: i64 = 10_000;
/// Longest reason kept for a refused occurrence, in bytes.
const REFUSAL_BYTES_MAX: usize = 2000;

/// Whether a schedule (a recurring invoice or a statement schedule) runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleStatus {
    Active,
    /// Held by a person; occurrences during the pause are not performed.
    Paused,
    /// Past its end date, or ended by a person. Final.
    Ended,
}

impl ScheduleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduleStatus::Active => "active",
            ScheduleStatus::Paused => "paused",
            ScheduleStatus::Ended => "ended",
        }
    }

    pub fn parse(text: &str) -> Result<ScheduleStatus, StoreError> {
        match text {
            "active" => Ok(ScheduleStatus::Active),
            "paused" => Ok(ScheduleStatus::Paused),
            "ended" => Ok(ScheduleStatus::Ended),
            other => Err(StoreError::Invalid(format!(
                "status '{other}' is not one of active, paused, ended"
            ))),
        }
    }
}

/// A template to bill on a schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRecurring {
    pub customer_ref: String,
    pub currency: Currency,
    pub lines: Vec<InvoiceLine>,
    /// The customer's terms when None.
    pub terms: Option<Terms>,
    pub description: String,
    pub schedule: Schedule,
    /// The first occurrence is the schedule's first on or after this day.
    pub starts_on: Date,
    /// No occurrence after this day.
    pub ends_on: Option<Date>,
    /// Queue the invoice e-mail (PDF and XML attached) when it is issued.
    pub send_email: bool,
    pub created_by: String,
}

/// A stored template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Recurring {
    pub id: i64,
    pub customer_id: i64,
    pub customer_ref: String,
    pub customer_name: String,
    pub currency: Currency,
    pub lines: Vec<InvoiceLine>,
    pub terms: Terms,
    pub description: String,
    pub schedule: Schedule,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    /// The first occurrence not performed yet; None once ended.
    pub next_date: Option<Date>,
    pub last_issued_date: Option<Date>,
    pub status: ScheduleStatus,
    pub send_email: bool,
    pub created_by: String,
    pub created_at: String,
    /// What each invoice comes to (lines and tax).
    pub total_minor: i64,
    /// How many of its occurrences have been issued so far.
    pub issued_count: i64,
}

/// What one occurrence of a template gave (or, previewed, would give).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecurringOutcome {
    pub recurring_id: i64,
    pub customer_ref: String,
    pub occurrence: Date,
    /// `issued`, `refused` (the draft waits for a person), or `due` (a preview).
    pub outcome: String,
    pub invoice_id: Option<i64>,
    pub number: Option<String>,
    pub currency: Currency,
    pub total_minor: i64,
    /// The invoice e-mail was queued in the outbox.
    pub emailed: bool,
    /// Why the credit check refused it.
    pub reason: Option<String>,
    /// Earlier occurrences not performed (the run did not happen then).
    pub missed_count: usize,
    pub missed: Vec<Date>,
}

/// What [`Store::run_schedules`] did (or, previewed, would do).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScheduleReport {
    pub as_of: Date,
    pub dry_run: bool,
    pub invoices: Vec<RecurringOutcome>,
    pub statements: Vec<StatementOutcome>,
    /// Templates and statement schedules past their end date, now ended.
    pub ended_recurring: Vec<i64>,
}

impl ScheduleReport {
    pub fn issued(&self) -> usize {
        self.invoices
            .iter()
            .filter(|o| o.outcome == "issued")
            .count()
    }

    pub fn refused(&self) -> usize {
        self.invoices
            .iter()
            .filter(|o| o.outcome == "refused")
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.invoices.is_empty() && self.statements.is_empty() && self.ended_recurring.is_empty()
    }
}

/// One performed occurrence, from a template's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Occurrence {
    pub recurring_id: i64,
    pub occurrence: Date,
    pub outcome: String,
    pub invoice_id: Option<i64>,
    /// The invoice's number; None for a draft (a refused occurrence) or
    /// before it is made.
    pub number: Option<String>,
    pub missed_count: i64,
    pub created_at: String,
}

const COLUMNS: &str = "r.id, r.customer_id, c.ref, c.name, r.currency, r.lines, r.terms,
    r.description, r.schedule, r.starts_on, r.ends_on, r.next_date, r.last_issued_date, r.status,
    r.send_email, r.created_by, r.created_at,
    (SELECT COUNT(*) FROM recurring_occurrences o
     WHERE o.org_id = r.org_id AND o.recurring_id = r.id AND o.outcome = 'issued')";
const FROM: &str =
    "recurring_invoices r JOIN customers c ON c.org_id = r.org_id AND c.id = r.customer_id";

pub(crate) fn date(r: &Row<'_>, index: usize) -> Result<Date, StoreError> {
    Ok(Date::from_day_number(r.i64(index)? as i32))
}

pub(crate) fn opt_date(r: &Row<'_>, index: usize) -> Result<Option<Date>, StoreError> {
    Ok(r.opt_i64(index)?.map(|d| Date::from_day_number(d as i32)))
}

pub(crate) fn schedule(text: &str) -> Result<Schedule, StoreError> {
    Schedule::parse(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn day(date: Date) -> i64 {
    i64::from(date.day_number())
}

fn recurring_from_row(r: &Row<'_>) -> Result<Recurring, StoreError> {
    let lines: Vec<InvoiceLine> = serde_json::from_str(&r.string(5)?)?;
    Ok(Recurring {
        id: r.i64(0)?,
        customer_id: r.i64(1)?,
        customer_ref: r.string(2)?,
        customer_name: r.string(3)?,
        currency: currency(&r.string(4)?)?,
        total_minor: totals(&lines).total_minor,
        lines,
        terms: Terms::parse(&r.string(6)?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        description: r.string(7)?,
        schedule: schedule(&r.string(8)?)?,
        starts_on: date(r, 9)?,
        ends_on: opt_date(r, 10)?,
        next_date: opt_date(r, 11)?,
        last_issued_date: opt_date(r, 12)?,
        status: ScheduleStatus::parse(&r.string(13)?)?,
        send_email: r.i64(14)? != 0,
        created_by: r.string(15)?,
        created_at: r.string(16)?,
        issued_count: r.i64(17)?,
    })
}

fn read(tx: &mut Tx<'_>, org_id: i64, id: i64) -> Result<Recurring, StoreError> {
    tx.query_opt(
        &format!("SELECT {COLUMNS} FROM {FROM} WHERE r.org_id = $1 AND r.id = $2"),
        params![org_id, id],
        recurring_from_row,
    )?
    .ok_or_else(|| StoreError::not_found("recurring invoice", format!("#{id}")))
}

/// `120.00 USD, day 1 of every month`
fn headline(r: &Recurring) -> String {
    format!(
        "{} {}, {}",
        format_minor(r.total_minor, r.currency),
        r.currency,
        r.schedule.describe()
    )
}

/// A `recurring` entry for the template's customer's timeline.
fn note<'a>(
    r: &Recurring,
    on: Date,
    author: &'a str,
    summary: &'a str,
    detail: serde_json::Value,
    invoice_ids: &'a [i64],
) -> NewEntry<'a> {
    NewEntry {
        customer_id: r.customer_id,
        on_date: on,
        kind: "recurring",
        author,
        summary,
        detail,
        invoice_ids,
    }
}

fn log(tx: &mut Tx<'_>, org_id: i64, now: &str, entry: NewEntry<'_>) -> Result<(), StoreError> {
    timeline::log(tx, org_id, now, &entry).map(|_| ())
}

/// A task for a person on the worklist.
pub(crate) struct NewTask<'a> {
    pub customer_id: i64,
    pub title: &'a str,
    pub due: Date,
    pub invoice_ids: &'a [i64],
    pub author: &'a str,
}

/// Puts a task on the worklist (kind `internal`).
pub(crate) fn add_task(
    tx: &mut Tx<'_>,
    org_id: i64,
    task: &NewTask<'_>,
    now: &str,
) -> Result<i64, StoreError> {
    tx.query_opt(
        "INSERT INTO tasks (org_id, customer_id, kind, title, due_date, status, invoice_ids,
            proposals, created_by, outcome, created_at, closed_at)
         VALUES ($1, $2, 'internal', $3, $4, 'open', $5, '[]', $6, NULL, $7, NULL) RETURNING id",
        params![
            org_id,
            task.customer_id,
            task.title,
            day(task.due),
            serde_json::to_string(task.invoice_ids)?.as_str(),
            task.author,
            now
        ],
        |r| r.i64(0),
    )?
    .ok_or_else(|| StoreError::Conflict("the task was not saved".into()))
}

/// The first few dates, and how many more.
pub(crate) fn dates_text(dates: &[Date], count: usize) -> String {
    let listed: Vec<String> = dates.iter().map(Date::to_string).collect();
    if count > listed.len() {
        format!(
            "{} earlier ones and {}",
            count - listed.len(),
            listed.join(", ")
        )
    } else {
        listed.join(", ")
    }
}

/// The author of what the run does for template `id`.
fn run_author(id: i64) -> String {
    format!("recurring invoice #{id}")
}

/// Whether issuing failed because of the invoice or the customer (a person
/// must act), rather than the database (the run must stop and be re-run).
fn refusal(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Refused(_)
            | StoreError::Invalid(_)
            | StoreError::Conflict(_)
            | StoreError::Posting(_)
            | StoreError::Invoice(_)
            | StoreError::NotFound { .. }
    )
}

/// Step 1 (module docs), inside the run's transaction: claims the
/// occurrence owed by every active template due by `as_of`, moves its
/// `next_date`, and turns missed occurrences into a task.
fn claim(
    tx: &mut Tx<'_>,
    org_id: i64,
    as_of: Date,
    now: &str,
    ended: &mut Vec<i64>,
) -> Result<(), StoreError> {
    let due = due_templates(tx, org_id, as_of)?;
    for (r, due) in due {
        let old_next = r.next_date.expect("due templates have a next date");
        let author = run_author(r.id);
        if let Some(occurrence) = due.occurrence {
            tx.execute(
                "INSERT INTO recurring_occurrences (org_id, recurring_id, occurrence, invoice_id, outcome,
                    missed, created_at)
                 VALUES ($1, $2, $3, NULL, 'pending', $4, $5)
                 ON CONFLICT (org_id, recurring_id, occurrence) DO NOTHING",
                params![org_id, r.id, day(occurrence), due.missed_count as i64, now],
            )?;
            if due.missed_count > 0 {
                let missed = dates_text(&due.missed, due.missed_count);
                let summary = format!(
                    "Recurring invoice #{} ({}): not billed for {missed} (no daily run on those days); billed {occurrence} only",
                    r.id,
                    headline(&r)
                );
                log(
                    tx,
                    org_id,
                    now,
                    note(
                        &r,
                        as_of,
                        &author,
                        &summary,
                        serde_json::json!({
                            "recurring_id": r.id,
                            "missed": due.missed,
                            "missed_count": due.missed_count,
                            "billed": occurrence,
                        }),
                        &[],
                    ),
                )?;
                let title = format!(
                    "Recurring invoice #{}: {} occurrence(s) were not billed while no daily run happened ({missed}); bill them by hand if they are owed",
                    r.id, due.missed_count
                );
                add_task(
                    tx,
                    org_id,
                    &NewTask {
                        customer_id: r.customer_id,
                        title: &title,
                        due: as_of,
                        invoice_ids: &[],
                        author: &author,
                    },
                    now,
                )?;
            }
        }
        let status = match due.next {
            Some(_) => ScheduleStatus::Active,
            None => {
                ended.push(r.id);
                ScheduleStatus::Ended
            }
        };
        tx.execute(
            "UPDATE recurring_invoices SET next_date = $1, status = $2
             WHERE org_id = $3 AND id = $4 AND next_date = $5 AND status = 'active'",
            params![
                due.next.map(day),
                status.as_str(),
                org_id,
                r.id,
                day(old_next)
            ],
        )?;
        if status == ScheduleStatus::Ended {
            let summary = format!(
                "Recurring invoice #{} ({}) ended: no occurrence after {}",
                r.id,
                headline(&r),
                r.ends_on.map_or_else(String::new, |d| d.to_string())
            );
            log(
                tx,
                org_id,
                now,
                note(
                    &r,
                    as_of,
                    &author,
                    &summary,
                    serde_json::json!({ "recurring_id": r.id, "ends_on": r.ends_on }),
                    &[],
                ),
            )?;
        }
    }
    Ok(())
}

/// Active templates due by `as_of`, with what each owes.
fn due_templates(
    tx: &mut Tx<'_>,
    org_id: i64,
    as_of: Date,
) -> Result<Vec<(Recurring, Due)>, StoreError> {
    let templates = tx.query(
        &format!(
            "SELECT {COLUMNS} FROM {FROM}
             WHERE r.org_id = $1 AND r.status = 'active' AND r.next_date <= $2 ORDER BY r.id"
        ),
        params![org_id, day(as_of)],
        recurring_from_row,
    )?;
    Ok(templates
        .into_iter()
        .map(|r| {
            let next = r
                .next_date
                .expect("the query reads templates with a next date");
            let due = r.schedule.due(next, as_of, r.ends_on);
            (r, due)
        })
        .collect())
}

/// A claimed occurrence not yet issued or refused.
struct Pending {
    template: Recurring,
    occurrence: Date,
    missed_count: usize,
}

fn pending(tx: &mut Tx<'_>, org_id: i64) -> Result<Vec<Pending>, StoreError> {
    let claimed = tx.query(
        "SELECT recurring_id, occurrence, missed FROM recurring_occurrences
         WHERE org_id = $1 AND outcome = 'pending' ORDER BY occurrence, recurring_id",
        params![org_id],
        |r| Ok((r.i64(0)?, date(r, 1)?, r.i64(2)?)),
    )?;
    claimed
        .into_iter()
        .map(|(id, occurrence, missed)| {
            Ok(Pending {
                template: read(tx, org_id, id)?,
                occurrence,
                missed_count: missed as usize,
            })
        })
        .collect()
}

/// The idempotency key of one step of one occurrence.
fn key(recurring_id: i64, occurrence: Date, step: &str) -> String {
    format!("dun.recurring.{recurring_id}.{occurrence}.{step}")
}

fn draft_of(r: &Recurring, occurrence: Date) -> InvoiceDraft {
    InvoiceDraft {
        customer_id: r.customer_id,
        currency: r.currency,
        issue_date: occurrence,
        terms: r.terms.clone(),
        description: r.description.clone(),
        lines: r.lines.clone(),
        installments: Vec::new(),
    }
}

impl Store {
    /// Saves a template; its first occurrence is the schedule's first on or
    /// after `starts_on`. Logged on the customer's timeline.
    pub fn create_recurring(
        &mut self,
        org_id: i64,
        new: &NewRecurring,
    ) -> Result<Recurring, StoreError> {
        let author = check_author(&new.created_by)?.to_string();
        if let Some(why) = dun_core::text::note_problem(&new.description, DESCRIPTION_CHARS_MAX) {
            return Err(StoreError::Invalid(format!("description: {why}")));
        }
        if let Some(ends) = new.ends_on {
            if ends < new.starts_on {
                return Err(StoreError::Invalid(format!(
                    "the end date {ends} is before the start date {}; give an end on or after it",
                    new.starts_on
                )));
            }
        }
        let first = new.schedule.next_on_or_after(new.starts_on);
        if new.ends_on.is_some_and(|ends| first > ends) {
            return Err(StoreError::Invalid(format!(
                "no occurrence of '{}' ({}) falls from {} to {}; the first would be {first}",
                new.schedule,
                new.schedule.describe(),
                new.starts_on,
                new.ends_on.map_or_else(String::new, |d| d.to_string())
            )));
        }
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let customer = customers::by_ref(&mut tx, org_id, new.customer_ref.trim())?;
        let terms = new.terms.clone().unwrap_or_else(|| customer.terms.clone());
        // The same checks as a draft invoice: lines, their count, the total.
        InvoiceDraft {
            customer_id: customer.id,
            currency: new.currency,
            issue_date: first,
            terms: terms.clone(),
            description: new.description.clone(),
            lines: new.lines.clone(),
            installments: Vec::new(),
        }
        .schedule()?;
        let id = tx
            .query_opt(
                "INSERT INTO recurring_invoices (org_id, customer_id, currency, lines, terms, description,
                    schedule, starts_on, ends_on, next_date, last_issued_date, status, send_email,
                    created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, 'active', $11, $12, $13)
                 RETURNING id",
                params![
                    org_id,
                    customer.id,
                    new.currency.code(),
                    serde_json::to_string(&new.lines)?.as_str(),
                    terms.to_string().as_str(),
                    new.description.as_str(),
                    new.schedule.to_string().as_str(),
                    day(new.starts_on),
                    new.ends_on.map(day),
                    day(first),
                    i64::from(new.send_email),
                    author.as_str(),
                    now.as_str()
                ],
                |r| r.i64(0),
            )?
            .ok_or_else(|| StoreError::Conflict("the recurring invoice was not saved".into()))?;
        let r = read(&mut tx, org_id, id)?;
        let summary = format!(
            "Recurring invoice #{id} set up: {}, first on {first}{}",
            headline(&r),
            r.ends_on
                .map_or_else(String::new, |d| format!(", none after {d}"))
        );
        log(
            &mut tx,
            org_id,
            &now,
            note(
                &r,
                new.starts_on,
                &author,
                &summary,
                serde_json::json!({ "recurring_id": id, "schedule": r.schedule, "first": first }),
                &[],
            ),
        )?;
        tx.commit()?;
        Ok(r)
    }

    /// One template.
    pub fn recurring_invoice(&mut self, org_id: i64, id: i64) -> Result<Recurring, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        read(&mut tx, org_id, id)
    }

    /// Templates, oldest first; only those with `status` when given.
    pub fn recurring_invoices(
        &mut self,
        org_id: i64,
        status: Option<ScheduleStatus>,
    ) -> Result<Vec<Recurring>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            &format!(
                "SELECT {COLUMNS} FROM {FROM} WHERE r.org_id = $1 AND ($2 = '' OR r.status = $2)
                 ORDER BY r.id LIMIT $3"
            ),
            params![
                org_id,
                status.map_or("", ScheduleStatus::as_str),
                RECURRING_LIST_MAX
            ],
            recurring_from_row,
        )
    }

    /// What each performed occurrence of a template gave, newest first.
    pub fn recurring_occurrences(
        &mut self,
        org_id: i64,
        id: i64,
    ) -> Result<Vec<Occurrence>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            "SELECT o.recurring_id, o.occurrence, o.outcome, o.invoice_id, o.missed, o.created_at,
                i.number
             FROM recurring_occurrences o
             LEFT JOIN invoices i ON i.org_id = o.org_id AND i.id = o.invoice_id
             WHERE o.org_id = $1 AND o.recurring_id = $2
             ORDER BY o.occurrence DESC LIMIT $3",
            params![org_id, id, RECURRING_LIST_MAX],
            |r| {
                Ok(Occurrence {
                    recurring_id: r.i64(0)?,
                    occurrence: date(r, 1)?,
                    outcome: r.string(2)?,
                    invoice_id: r.opt_i64(3)?,
                    number: r.opt_string(6)?,
                    missed_count: r.i64(4)?,
                    created_at: r.string(5)?,
                })
            },
        )
    }

    /// Holds a template: nothing is billed until it is resumed, and the
    /// occurrences in between are not billed afterwards either.
    pub fn pause_recurring(
        &mut self,
        org_id: i64,
        id: i64,
        on: Date,
        author: &str,
    ) -> Result<Recurring, StoreError> {
        self.set_recurring_status(org_id, id, on, author, ScheduleStatus::Paused)
    }

    /// Resumes a paused template from `on`: its next occurrence is the
    /// schedule's first on or after `on` (and its start date).
    pub fn resume_recurring(
        &mut self,
        org_id: i64,
        id: i64,
        on: Date,
        author: &str,
    ) -> Result<Recurring, StoreError> {
        self.set_recurring_status(org_id, id, on, author, ScheduleStatus::Active)
    }

    /// Ends a template for good.
    pub fn end_recurring(
        &mut self,
        org_id: i64,
        id: i64,
        on: Date,
        author: &str,
    ) -> Result<Recurring, StoreError> {
        self.set_recurring_status(org_id, id, on, author, ScheduleStatus::Ended)
    }

    fn set_recurring_status(
        &mut self,
        org_id: i64,
        id: i64,
        on: Date,
        author: &str,
        to: ScheduleStatus,
    ) -> Result<Recurring, StoreError> {
        let author = check_author(author)?.to_string();
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        // The run claims occurrences under the organisation's lock; so
        // does this, so a pause lands wholly before or after a claim.
        orgs::lock(&mut tx, org_id)?;
        let r = read(&mut tx, org_id, id)?;
        let (next, status, verb) = match (r.status, to) {
            (ScheduleStatus::Ended, _) => {
                return Err(StoreError::Conflict(format!(
                    "recurring invoice #{id} has ended; set up a new recurring invoice instead"
                )))
            }
            (from, wanted) if from == wanted => {
                return Err(StoreError::Conflict(format!(
                    "recurring invoice #{id} is already {}",
                    from.as_str()
                )))
            }
            (_, ScheduleStatus::Paused) => (r.next_date, ScheduleStatus::Paused, "paused"),
            (_, ScheduleStatus::Ended) => (None, ScheduleStatus::Ended, "ended"),
            (_, ScheduleStatus::Active) => {
                let next = r.schedule.next_on_or_after(on.max(r.starts_on));
                match r.ends_on {
                    Some(end) if next > end => (None, ScheduleStatus::Ended, "resumed and ended"),
                    _ => (Some(next), ScheduleStatus::Active, "resumed"),
                }
            }
        };
        tx.execute(
            "UPDATE recurring_invoices SET status = $1, next_date = $2 WHERE org_id = $3 AND id = $4",
            params![status.as_str(), next.map(day), org_id, id],
        )?;
        let summary = format!(
            "Recurring invoice #{id} ({}) {verb}{}",
            headline(&r),
            match (status, next) {
                (ScheduleStatus::Active, Some(next)) => format!("; next on {next}"),
                _ => String::new(),
            }
        );
        log(
            &mut tx,
            org_id,
            &now,
            note(
                &r,
                on,
                &author,
                &summary,
                serde_json::json!({ "recurring_id": id, "status": status, "next_date": next }),
                &[],
            ),
        )?;
        let r = read(&mut tx, org_id, id)?;
        tx.commit()?;
        Ok(r)
    }

    /// The schedules' part of the daily run for `as_of`: issues the
    /// recurring invoices due (and queues their e-mails) and queues the
    /// statements due. Idempotent per template and occurrence: a second
    /// call the same day, or a second process, does nothing new (module
    /// docs).
    pub fn run_schedules(
        &mut self,
        org_id: i64,
        as_of: Date,
    ) -> Result<ScheduleReport, StoreError> {
        let now = self.now_utc();
        let mut ended_recurring = Vec::new();
        // Step 1, and the statements, in one transaction.
        let mut tx = self.conn().transaction()?;
        orgs::lock(&mut tx, org_id)?;
        claim(&mut tx, org_id, as_of, &now, &mut ended_recurring)?;
        let statements = statement_schedules::perform(&mut tx, org_id, as_of, &now)?;
        let pending = pending(&mut tx, org_id)?;
        tx.commit()?;
        // Steps 2 and 3, each occurrence on its own.
        let mut invoices = Vec::new();
        for p in pending {
            if let Some(outcome) = self.finish(org_id, &p)? {
                invoices.push(outcome);
            }
        }
        Ok(ScheduleReport {
            as_of,
            dry_run: false,
            invoices,
            statements,
            ended_recurring,
        })
    }

    /// What [`Store::run_schedules`] would do on `as_of`; writes nothing.
    pub fn preview_schedules(
        &mut self,
        org_id: i64,
        as_of: Date,
    ) -> Result<ScheduleReport, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let mut invoices: Vec<RecurringOutcome> = pending(&mut tx, org_id)?
            .into_iter()
            .map(|p| outcome_of(&p.template, p.occurrence, "due", p.missed_count, &[]))
            .collect();
        let mut ended_recurring = Vec::new();
        for (r, due) in due_templates(&mut tx, org_id, as_of)? {
            if let Some(occurrence) = due.occurrence {
                invoices.push(outcome_of(
                    &r,
                    occurrence,
                    "due",
                    due.missed_count,
                    &due.missed,
                ));
            }
            if due.next.is_none() {
                ended_recurring.push(r.id);
            }
        }
        let statements = statement_schedules::preview(&mut tx, org_id, as_of)?;
        tx.commit()?;
        Ok(ScheduleReport {
            as_of,
            dry_run: true,
            invoices,
            statements,
            ended_recurring,
        })
    }

    /// Steps 2 and 3 for one claimed occurrence. None when another process
    /// recorded it first.
    fn finish(&mut self, org_id: i64, p: &Pending) -> Result<Option<RecurringOutcome>, StoreError> {
        let r = &p.template;
        let draft = draft_of(r, p.occurrence);
        let draft_key = key(r.id, p.occurrence, "draft");
        let issued = match self.create_invoice(org_id, &draft, Some(&draft_key)) {
            Ok(draft_id) => {
                let issue_key = key(r.id, p.occurrence, "issue");
                match self.issue_invoice(org_id, &format!("#{draft_id}"), None, Some(&issue_key)) {
                    Ok(posted) => Ok((draft_id, posted.number)),
                    Err(e) if refusal(&e) => Err((Some(draft_id), e.to_string())),
                    Err(e) => return Err(e),
                }
            }
            Err(e) if refusal(&e) => Err((None, e.to_string())),
            Err(e) => return Err(e),
        };
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        orgs::lock(&mut tx, org_id)?;
        let author = run_author(r.id);
        let mut outcome = outcome_of(r, p.occurrence, "issued", p.missed_count, &[]);
        // A refusal another process's issue overtook counts as issued.
        let issued = match issued {
            Err((Some(draft_id), reason)) => {
                let number = tx
                    .query_opt(
                        "SELECT number FROM invoices WHERE org_id = $1 AND id = $2 AND status <> 'draft'",
                        params![org_id, draft_id],
                        |r| r.opt_string(0),
                    )?
                    .flatten();
                match number {
                    Some(number) => Ok((draft_id, number)),
                    None => Err((Some(draft_id), reason)),
                }
            }
            other => other,
        };
        match issued {
            Ok((invoice_id, number)) => {
                let recorded = tx.execute(
                    "UPDATE recurring_occurrences SET outcome = 'issued', invoice_id = $1
                     WHERE org_id = $2 AND recurring_id = $3 AND occurrence = $4
                       AND outcome IN ('pending', 'refused')",
                    params![invoice_id, org_id, r.id, day(p.occurrence)],
                )?;
                if recorded == 0 {
                    return Ok(None);
                }
                tx.execute(
                    "UPDATE recurring_invoices SET last_issued_date = $1
                     WHERE org_id = $2 AND id = $3 AND (last_issued_date IS NULL OR last_issued_date < $1)",
                    params![day(p.occurrence), org_id, r.id],
                )?;
                // The policy's send_on_issue queued it already when issued.
                let queued_on_issue = tx
                    .query_opt(
                        "SELECT COUNT(*) FROM outbox WHERE org_id = $1 AND invoice_id = $2 AND kind = 'invoice'",
                        params![org_id, invoice_id],
                        |r| r.i64(0),
                    )?
                    .unwrap_or(0)
                    > 0;
                if r.send_email && !queued_on_issue {
                    outbox::enqueue(
                        &mut tx,
                        org_id,
                        &NewMessage {
                            customer_id: r.customer_id,
                            kind: MessageKind::Invoice,
                            invoice_id: Some(invoice_id),
                            period: None,
                            template: "invoice".to_string(),
                            detail: serde_json::json!({
                                "recurring_id": r.id,
                                "occurrence": p.occurrence,
                                "number": number,
                            }),
                            as_of: p.occurrence,
                        },
                        &now,
                    )?;
                }
                let summary = format!(
                    "Issued {number} ({} {}) from recurring invoice #{} ({}), for {}{}",
                    format_minor(r.total_minor, r.currency),
                    r.currency,
                    r.id,
                    r.schedule.describe(),
                    p.occurrence,
                    if r.send_email { "; e-mail queued" } else { "" }
                );
                log(
                    &mut tx,
                    org_id,
                    &now,
                    note(
                        r,
                        p.occurrence,
                        &author,
                        &summary,
                        serde_json::json!({
                            "recurring_id": r.id,
                            "occurrence": p.occurrence,
                            "number": number,
                            "emailed": r.send_email,
                        }),
                        &[invoice_id],
                    ),
                )?;
                outcome.invoice_id = Some(invoice_id);
                outcome.number = Some(number);
                outcome.emailed = r.send_email;
            }
            Err((draft_id, reason)) => {
                let mut reason = reason;
                if reason.len() > REFUSAL_BYTES_MAX {
                    let mut cut = REFUSAL_BYTES_MAX;
                    while !reason.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    reason.truncate(cut);
                }
                let recorded = tx.execute(
                    "UPDATE recurring_occurrences SET outcome = 'refused', invoice_id = $1
                     WHERE org_id = $2 AND recurring_id = $3 AND occurrence = $4 AND outcome = 'pending'",
                    params![draft_id, org_id, r.id, day(p.occurrence)],
                )?;
                if recorded == 0 {
                    return Ok(None);
                }
                let ids: Vec<i64> = draft_id.into_iter().collect();
                let what = draft_id.map_or_else(
                    || "no draft could be made".to_string(),
                    |id| format!("draft #{id} waits: issue it with an override and a reason if it should go out"),
                );
                let summary = format!(
                    "Recurring invoice #{} for {} was not issued: {reason}",
                    r.id, p.occurrence
                );
                log(
                    &mut tx,
                    org_id,
                    &now,
                    note(
                        r,
                        p.occurrence,
                        &author,
                        &summary,
                        serde_json::json!({
                            "recurring_id": r.id,
                            "occurrence": p.occurrence,
                            "refused": reason,
                            "draft_id": draft_id,
                        }),
                        &ids,
                    ),
                )?;
                let title = format!(
                    "Recurring invoice #{} for {} was not issued ({reason}); {what}",
                    r.id, p.occurrence
                );
                add_task(
                    &mut tx,
                    org_id,
                    &NewTask {
                        customer_id: r.customer_id,
                        title: &title,
                        due: p.occurrence,
                        invoice_ids: &ids,
                        author: &author,
                    },
                    &now,
                )?;
                outcome.outcome = "refused".to_string();
                outcome.invoice_id = draft_id;
                outcome.reason = Some(reason);
            }
        }
        tx.commit()?;
        Ok(Some(outcome))
    }
}

fn outcome_of(
    r: &Recurring,
    occurrence: Date,
    outcome: &str,
    missed_count: usize,
    missed: &[Date],
) -> RecurringOutcome {
    RecurringOutcome {
        recurring_id: r.id,
        customer_ref: r.customer_ref.clone(),
        occurrence,
        outcome: outcome.to_string(),
        invoice_id: None,
        number: None,
        currency: r.currency,
        total_minor: r.total_minor,
        emailed: false,
        reason: None,
        missed_count,
        missed: missed.to_vec(),
    }
}
