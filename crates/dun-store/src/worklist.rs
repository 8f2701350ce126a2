//! The collector's worklist: open tasks (the run's calls and reviews, and
//! a person's own), each with what the customer owes, how late, when they
//! were last in touch and the next step, ranked by
//! [`dun_core::collections::worklist::priority`].

use std::collections::BTreeMap;

use dun_core::collections::action::TaskKind;
use dun_core::collections::policy::Tier;
use dun_core::collections::worklist::priority;
use dun_core::{Currency, Date};
use serde::{Deserialize, Serialize};

use crate::credit_file::org_currency;
use crate::db::{Row, Tx};
use crate::error::StoreError;
use crate::policies::in_force;
use crate::records::{
    check_author, check_text, insert_promise, locked_customer, NewPromise, PromisedPayment,
    NOTE_CHARS_MAX,
};
use crate::timeline::{self, NewEntry};
use crate::{customers, entries, params, Store};

/// Most rows one worklist returns.
pub const WORKLIST_LIMIT_MAX: i64 = 1000;
/// Longest task title, in characters.
pub const TASK_TITLE_CHARS_MAX: usize = 200;
/// Timeline kinds that count as contact with the customer: what a person
/// logged, and messages the run sent.
pub const CONTACT_KINDS: [&str; 7] = [
    "call", "note", "reply", "promise", "dispute", "plan", "message",
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRecord {
    pub id: i64,
    pub customer_id: i64,
    pub customer_ref: String,
    /// `call`, `internal`, `escalation`, `collateral_expiry`, `broken_promise`.
    pub kind: String,
    pub title: String,
    pub due_date: Date,
    /// `open` or `done`.
    pub status: String,
    pub invoice_ids: Vec<i64>,
    pub proposals: Vec<String>,
    pub created_by: String,
    pub outcome: Option<String>,
    pub closed_at: Option<String>,
}

/// The latest contact with a customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LastContact {
    pub on: Date,
    pub kind: String,
    pub summary: String,
}

/// One row of the worklist.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorklistRow {
    pub task_id: i64,
    /// The ranking score (higher first); not money.
    pub priority: f64,
    pub customer_ref: String,
    pub customer_name: String,
    pub task_kind: String,
    /// The task's title: what to do next.
    pub next_step: String,
    pub due_date: Date,
    /// Open in `currency`: the organisation's, or the customer's largest.
    pub owed_minor: i64,
    pub currency: Option<Currency>,
    /// Days the oldest open part of any invoice is past due (0: none is).
    pub days_late: i32,
    pub tier: Tier,
    pub tier_weight_percent: u32,
    pub last_contact: Option<LastContact>,
    pub invoice_ids: Vec<i64>,
    /// The numbers of the task's invoices, in `invoice_ids`' order (a
    /// draft's has none).
    pub invoice_numbers: Vec<String>,
    /// The customer's main phone.
    pub phone: Option<String>,
}

/// Invoice ids one statement asks about at most.
const IDS_PER_STATEMENT_MAX: usize = 500;

/// The numbers of invoices `ids` (drafts have none), by id.
fn invoice_numbers(
    tx: &mut Tx<'_>,
    org_id: i64,
    ids: &[i64],
) -> Result<BTreeMap<i64, String>, StoreError> {
    let mut out = BTreeMap::new();
    for chunk in ids.chunks(IDS_PER_STATEMENT_MAX) {
        let mut bound: Vec<crate::db::Param<'_>> = vec![org_id.into()];
        bound.extend(chunk.iter().map(|id| crate::db::Param::from(*id)));
        tx.query_each(
            &format!(
                "SELECT id, number FROM invoices
                 WHERE org_id = $1 AND number IS NOT NULL AND id IN ({})",
                crate::db::placeholders(2, chunk.len())
            ),
            &bound,
            |r| {
                out.insert(r.i64(0)?, r.string(1)?);
                Ok(())
            },
        )?;
    }
    Ok(out)
}

const TASK_COLUMNS: &str = "t.id, t.customer_id, c.ref, t.kind, t.title, t.due_date, t.status,
    t.invoice_ids, t.proposals, t.created_by, t.outcome, t.closed_at";

fn task_from_row(r: &Row<'_>) -> Result<TaskRecord, StoreError> {
    Ok(TaskRecord {
        id: r.i64(0)?,
        customer_id: r.i64(1)?,
        customer_ref: r.string(2)?,
        kind: r.string(3)?,
        title: r.string(4)?,
        due_date: Date::from_day_number(r.i64(5)? as i32),
        status: r.string(6)?,
        invoice_ids: serde_json::from_str(&r.string(7)?)?,
        proposals: serde_json::from_str(&r.string(8)?)?,
        created_by: r.string(9)?,
        outcome: r.opt_string(10)?,
        closed_at: r.opt_string(11)?,
    })
}

pub(crate) fn task(tx: &mut Tx<'_>, org_id: i64, id: i64) -> Result<TaskRecord, StoreError> {
    tx.query_opt(
        &format!(
            "SELECT {TASK_COLUMNS} FROM tasks t JOIN customers c ON c.id = t.customer_id AND c.org_id = t.org_id
             WHERE t.org_id = $1 AND t.id = $2"
        ),
        params![org_id, id],
        task_from_row,
    )?
    .ok_or_else(|| StoreError::not_found("task", id))
}

/// Per customer and currency: (open as of the day, oldest days past due).
type Exposure = BTreeMap<i64, BTreeMap<Currency, (i64, i32)>>;

/// What the customers with open tasks owe as of `as_of`, from their open
/// invoices' entries (so installments age separately).
fn exposure(tx: &mut Tx<'_>, org_id: i64, as_of: Date) -> Result<Exposure, StoreError> {
    let states = entries::invoice_states(
        tx,
        org_id,
        "open_minor <> 0 AND customer_id IN
            (SELECT customer_id FROM tasks WHERE org_id = $1 AND status = 'open')",
        &[],
    )?;
    let mut out: Exposure = BTreeMap::new();
    for state in states.values() {
        let open = state.open_as_of(as_of);
        if open <= 0 {
            continue;
        }
        let late = state
            .open_parts_as_of(as_of)
            .first()
            .map_or(0, |p| as_of.days_since(p.due_date).max(0));
        let slot = out
            .entry(state.customer_id)
            .or_default()
            .entry(state.currency)
            .or_insert((0, 0));
        slot.0 += open;
        slot.1 = slot.1.max(late);
    }
    Ok(out)
}

fn last_contacts(
    tx: &mut Tx<'_>,
    org_id: i64,
    as_of: Date,
) -> Result<BTreeMap<i64, LastContact>, StoreError> {
    let kinds: Vec<String> = CONTACT_KINDS.iter().map(|k| format!("'{k}'")).collect();
    let sql = format!(
        "SELECT customer_id, on_date, kind, summary FROM timeline WHERE org_id = $1 AND id IN
            (SELECT MAX(id) FROM timeline
             WHERE org_id = $1 AND on_date <= $2 AND kind IN ({})
               AND customer_id IN (SELECT customer_id FROM tasks WHERE org_id = $1 AND status = 'open')
             GROUP BY customer_id)",
        kinds.join(", ")
    );
    let mut out = BTreeMap::new();
    tx.query_each(&sql, params![org_id, i64::from(as_of.day_number())], |r| {
        out.insert(
            r.i64(0)?,
            LastContact {
                on: Date::from_day_number(r.i64(1)? as i32),
                kind: r.string(2)?,
                summary: r.string(3)?,
            },
        );
        Ok(())
    })?;
    Ok(out)
}

impl Store {
    /// The ids of the organisation's open tasks (`tasks_open` holds them).
    pub fn open_task_ids(
        &mut self,
        org_id: i64,
    ) -> Result<std::collections::BTreeSet<i64>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let ids = tx.query(
            "SELECT id FROM tasks WHERE org_id = $1 AND status = 'open'",
            params![org_id],
            |r| r.i64(0),
        )?;
        tx.commit()?;
        Ok(ids.into_iter().collect())
    }

    /// Open tasks due by `as_of`, highest priority first: priority = amount
    /// at risk × lateness × the tier's `worklist_weight_percent`.
    pub fn worklist(
        &mut self,
        org_id: i64,
        as_of: Date,
        limit: i64,
    ) -> Result<Vec<WorklistRow>, StoreError> {
        let limit = limit.clamp(1, WORKLIST_LIMIT_MAX) as usize;
        let mut tx = self.conn().read_transaction()?;
        // The policy in force, read in the same snapshot (not
        // `Store::policy`, which may write the default version first).
        let (_, policy) = in_force(&mut tx, org_id)?;
        let home = org_currency(&mut tx, org_id)?;
        let tasks = tx.query(
            "SELECT t.id, t.customer_id, c.ref, c.name, c.tier, t.kind, t.title, t.due_date, t.invoice_ids,
                c.phone
             FROM tasks t JOIN customers c ON c.id = t.customer_id AND c.org_id = t.org_id
             WHERE t.org_id = $1 AND t.status = 'open' AND t.due_date <= $2",
            params![org_id, i64::from(as_of.day_number())],
            |r| {
                let tier = r.string(4)?;
                Ok((
                    r.i64(0)?,
                    r.i64(1)?,
                    r.string(2)?,
                    r.string(3)?,
                    Tier::parse(&tier).ok_or_else(|| StoreError::Corrupt(format!("tier '{tier}'")))?,
                    r.string(5)?,
                    r.string(6)?,
                    Date::from_day_number(r.i64(7)? as i32),
                    serde_json::from_str::<Vec<i64>>(&r.string(8)?)?,
                    r.opt_string(9)?,
                ))
            },
        )?;
        let all_ids: Vec<i64> = tasks
            .iter()
            .flat_map(|t| t.8.iter().copied())
            .collect::<std::collections::BTreeSet<i64>>()
            .into_iter()
            .collect();
        let numbers = invoice_numbers(&mut tx, org_id, &all_ids)?;
        let exposure = exposure(&mut tx, org_id, as_of)?;
        let contacts = last_contacts(&mut tx, org_id, as_of)?;
        tx.commit()?;
        let none = BTreeMap::new();
        let mut rows: Vec<WorklistRow> = tasks
            .into_iter()
            .map(
                |(
                    task_id,
                    customer_id,
                    reference,
                    name,
                    tier,
                    kind,
                    title,
                    due,
                    invoice_ids,
                    phone,
                )| {
                    let owed = exposure.get(&customer_id).unwrap_or(&none);
                    let days_late = owed.values().map(|(_, late)| *late).max().unwrap_or(0);
                    // Amounts of different currencies are never added: the
                    // home currency's, else the largest single one.
                    let pick = owed.get(&home).map(|(open, _)| (home, *open)).or_else(|| {
                        owed.iter()
                            .max_by_key(|(c, (open, _))| (*open, std::cmp::Reverse(**c)))
                            .map(|(c, (open, _))| (*c, *open))
                    });
                    let weight = policy.tiers.rule(tier).worklist_weight_percent;
                    let score = match pick {
                        Some((c, open)) => priority(open, c, days_late, weight),
                        None => priority(0, home, days_late, weight),
                    };
                    WorklistRow {
                        task_id,
                        priority: score,
                        customer_ref: reference,
                        customer_name: name,
                        task_kind: kind,
                        next_step: title,
                        due_date: due,
                        owed_minor: pick.map_or(0, |(_, open)| open),
                        currency: pick.map(|(c, _)| c),
                        days_late,
                        tier,
                        tier_weight_percent: weight,
                        last_contact: contacts.get(&customer_id).cloned(),
                        invoice_numbers: invoice_ids
                            .iter()
                            .filter_map(|id| numbers.get(id).cloned())
                            .collect(),
                        invoice_ids,
                        phone,
                    }
                },
            )
            .collect();
        rows.sort_by(|a, b| {
            b.priority
                .total_cmp(&a.priority)
                .then(a.due_date.cmp(&b.due_date))
                .then(a.task_id.cmp(&b.task_id))
        });
        rows.truncate(limit);
        Ok(rows)
    }

    /// A task a person adds for a customer (kind `internal`). Logged as `task`.
    pub fn add_task(
        &mut self,
        org_id: i64,
        customer_ref: &str,
        title: &str,
        due: Date,
        on: Date,
        author: &str,
    ) -> Result<TaskRecord, StoreError> {
        let author = check_author(author)?;
        let title = check_text("title", title, TASK_TITLE_CHARS_MAX)?;
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let customer = locked_customer(&mut tx, org_id, customer_ref)?;
        let id = tx
            .query_opt(
                "INSERT INTO tasks (org_id, customer_id, kind, title, due_date, status, invoice_ids,
                    proposals, created_by, outcome, created_at, closed_at)
                 VALUES ($1, $2, 'internal', $3, $4, 'open', '[]', '[]', $5, NULL, $6, NULL) RETURNING id",
                params![
                    org_id,
                    customer.id,
                    title,
                    i64::from(due.day_number()),
                    author,
                    now.as_str()
                ],
                |r| r.i64(0),
            )?
            .ok_or_else(|| StoreError::Conflict("the task was not saved".into()))?;
        timeline::log(
            &mut tx,
            org_id,
            &now,
            &NewEntry {
                customer_id: customer.id,
                on_date: on,
                kind: "task",
                author,
                summary: &format!("Task: {title} (due {due})"),
                detail: serde_json::json!({ "task_id": id, "due_date": due }),
                invoice_ids: &[],
            },
        )?;
        let record = task(&mut tx, org_id, id)?;
        tx.commit()?;
        Ok(record)
    }

    /// Closes an open task with what came of it. Logged as `task_done`.
    pub fn complete_task(
        &mut self,
        org_id: i64,
        task_id: i64,
        outcome: &str,
        on: Date,
        author: &str,
    ) -> Result<TaskRecord, StoreError> {
        self.complete_task_with_promise(org_id, task_id, outcome, None, on, author)
    }

    /// Closes an open task with what came of it and, when the customer
    /// promised to pay, records that promise in the same transaction, so
    /// the ladder waits for it. Logged as `task_done` (and `promise`).
    pub fn complete_task_with_promise(
        &mut self,
        org_id: i64,
        task_id: i64,
        outcome: &str,
        promise: Option<PromisedPayment>,
        on: Date,
        author: &str,
    ) -> Result<TaskRecord, StoreError> {
        let author = check_author(author)?;
        let outcome = check_text("outcome", outcome, NOTE_CHARS_MAX)?;
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let before = task(&mut tx, org_id, task_id)?;
        if before.kind == TaskKind::Escalation.as_str() {
            return Err(StoreError::Conflict(format!(
                "task: #{task_id} is an escalation review; decide it instead: {}",
                dun_core::collections::escalation::Decision::ACCEPTED
            )));
        }
        customers::lock(&mut tx, org_id, before.customer_id)?;
        let closed = tx.execute(
            "UPDATE tasks SET status = 'done', outcome = $1, closed_at = $2
             WHERE org_id = $3 AND id = $4 AND status = 'open'",
            params![outcome, now.as_str(), org_id, task_id],
        )?;
        if closed == 0 {
            return Err(StoreError::Conflict(format!(
                "task #{task_id} is already {}",
                before.status
            )));
        }
        if let Some(p) = promise {
            // What they owe in that currency, as a promise made in a call.
            let customer = locked_customer(&mut tx, org_id, &before.customer_ref)?;
            let promise = NewPromise {
                customer_ref: before.customer_ref.clone(),
                currency: p.currency,
                amount_minor: p.amount_minor,
                promised_date: p.promised_date,
                invoices: Vec::new(),
                made_on: on,
                author: author.to_string(),
            };
            insert_promise(&mut tx, org_id, &customer, &promise, author, &now)?;
        }
        timeline::log(
            &mut tx,
            org_id,
            &now,
            &NewEntry {
                customer_id: before.customer_id,
                on_date: on,
                kind: "task_done",
                author,
                summary: &format!("Done: {} — {outcome}", before.title),
                detail: serde_json::json!({
                    "task_id": task_id,
                    "task_kind": before.kind,
                    "outcome": outcome,
                }),
                invoice_ids: &before.invoice_ids,
            },
        )?;
        let record = task(&mut tx, org_id, task_id)?;
        tx.commit()?;
        Ok(record)
    }

    /// Opens a done task again (closed by mistake, or what came of it did
    /// not hold), with a reason. Its old outcome stays on the timeline, with
    /// the reopening (`task_reopened`). An escalation review a person
    /// decided is not reopened: the decision handed the customer over or
    /// wrote invoices off, and is undone by its own means.
    pub fn reopen_task(
        &mut self,
        org_id: i64,
        task_id: i64,
        reason: &str,
        on: Date,
        author: &str,
    ) -> Result<TaskRecord, StoreError> {
        let author = check_author(author)?;
        let reason = check_text("reason", reason, NOTE_CHARS_MAX)?;
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let before = task(&mut tx, org_id, task_id)?;
        if before.kind == TaskKind::Escalation.as_str() {
            return Err(StoreError::Invalid(format!(
                "task: #{task_id} is an escalation review, decided; a decision is not reopened \
                 (set the customer's status back, or reverse a write-off)"
            )));
        }
        customers::lock(&mut tx, org_id, before.customer_id)?;
        let opened = tx.execute(
            "UPDATE tasks SET status = 'open', outcome = NULL, closed_at = NULL
             WHERE org_id = $1 AND id = $2 AND status = 'done'",
            params![org_id, task_id],
        )?;
        if opened == 0 {
            return Err(StoreError::Conflict(format!(
                "task #{task_id} is {}, not done; only a done task is reopened",
                before.status
            )));
        }
        timeline::log(
            &mut tx,
            org_id,
            &now,
            &NewEntry {
                customer_id: before.customer_id,
                on_date: on,
                kind: "task_reopened",
                author,
                summary: &format!("Reopened: {} — {reason}", before.title),
                detail: serde_json::json!({
                    "task_id": task_id,
                    "task_kind": before.kind,
                    "reason": reason,
                    "outcome_before": before.outcome,
                }),
                invoice_ids: &before.invoice_ids,
            },
        )?;
        let record = task(&mut tx, org_id, task_id)?;
        tx.commit()?;
        Ok(record)
    }

    /// Tasks of one customer (or all), open ones only when `open_only`, by due date.
    pub fn tasks(
        &mut self,
        org_id: i64,
        customer_ref: Option<&str>,
        open_only: bool,
    ) -> Result<Vec<TaskRecord>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let customer_id = match customer_ref {
            Some(reference) => customers::by_ref(&mut tx, org_id, reference)?.id,
            None => 0,
        };
        let status = if open_only { "open" } else { "" };
        tx.query(
            &format!(
                "SELECT {TASK_COLUMNS} FROM tasks t JOIN customers c ON c.id = t.customer_id AND c.org_id = t.org_id
                 WHERE t.org_id = $1 AND (t.customer_id = $2 OR $2 = 0) AND (t.status = $3 OR $3 = '')
                 ORDER BY t.due_date, t.id LIMIT $4"
            ),
            params![org_id, customer_id, status, WORKLIST_LIMIT_MAX],
            task_from_row,
        )
    }
}
