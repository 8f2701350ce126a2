//! The daily collections run, stored: load the book as of a date, let the
//! domain decide ([`run::decide`]), and apply what it decided in the same
//! transaction.
//!
//! ## One run at a time, and each step once
//! An applied run takes the organisation's row lock before it reads
//! anything (on SQLite the transaction is `IMMEDIATE`, which already holds
//! the file's write lock), so a second process running the same day waits,
//! then reads what the first committed — its marks — and decides nothing
//! new. Marks are also unique in the table: an action any of whose marks is
//! already there is not applied (under the lock this cannot happen; it is
//! the second belt).
//!
//! ## Postings
//! Fees and interest are ledger entries made by [`posting::charge`] and
//! appended by [`entries::post`], so `open_minor` and `last_entry_date`
//! move in the same transaction. As every posting does, the run first takes
//! the row locks of the customers it charges (ascending ids, after the
//! organisation's), then re-reads their invoices' status, so an invoice a
//! person voided meanwhile is refused rather than charged. A posting the
//! rules refuse fails the whole run: nothing of it is written.
//!
//! ## Loading fast
//! Invoices come through the indexes the aging uses: open ones through
//! `invoices_open`, recently moved ones through `invoices_by_last_entry`,
//! their entries through `entries_by_invoice`. Payment history is summed in
//! SQL, per customer, over the policy's window. Nothing reads the whole
//! ledger.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Instant;

use crate::db::placeholders;

use dun_core::collections::action::{
    Action, ActionKind, DoneMark, Message, PlanOutcome, RunPlan, Subject, Task, TaskKind,
};
use dun_core::collections::charges::reduced_behind_a_charge;
use dun_core::collections::credit::CustomerStatus;
use dun_core::collections::law::{DebtorKind, ReferenceRates};
use dun_core::collections::policy::{Effect, InterestStart, Policy, Tier};
use dun_core::collections::risk::{settled_on, History};
use dun_core::collections::run::{
    self, Collateral, Credit, Dispute, OpenTask, Plan, PlanStatus, Promise, Receipt, RunCustomer,
    RunInput,
};
use dun_core::invoice::DocumentStatus;
use dun_core::ledger::{Entry, EntryKind};
use dun_core::money::format_minor;
use dun_core::posting;
use dun_core::state::{InvoiceState, Movement, SettlementStatus};
use dun_core::{Currency, Date};
use serde::Serialize;

use crate::aging::CustomerName;
use crate::db::{Backend, Param, Row, Tx};
use crate::entries::{self, currency};
use crate::error::StoreError;
use crate::timeline::{self, NewEntry};
use crate::{customers, params, Store};

/// Most runs one history read returns.
pub const RUNS_LIMIT_MAX: i64 = 1000;
pub use crate::outbox::{OutboxMessage, OUTBOX_LIMIT_MAX};
/// Ids per `IN (…)` list.
const IDS_PER_STATEMENT: usize = 500;
/// Rows per multi-row INSERT.
const ROWS_PER_STATEMENT: usize = 500;
/// Marks one run writes from which it refreshes the planner's statistics
/// on them.
const MARKS_TO_ANALYZE: u64 = 10_000;
/// Attempts of an applied run that PostgreSQL aborted as a deadlock victim
/// or a serialization failure (the run is all or nothing, so it is redone).
const RUN_ATTEMPTS_MAX: usize = 3;

/// How long each part of a run took, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct RunTimings {
    pub load_ms: f64,
    pub decide_ms: f64,
    pub write_ms: f64,
}

/// An action the run applied, with the `run_actions` row that records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppliedAction {
    pub action_id: i64,
    /// The action: `plan.actions[index]`.
    pub index: usize,
}

/// What a run decided and, when applied, what it did.
#[derive(Clone, Debug, Serialize)]
pub struct RunOutcome {
    pub plan: RunPlan,
    /// Empty for a dry run.
    pub applied: Vec<AppliedAction>,
    /// The `runs` row, when applied.
    pub run_id: Option<i64>,
    pub timings: RunTimings,
    /// Reference and name of every customer an action concerns.
    pub customers: BTreeMap<i64, CustomerName>,
    /// The number of every invoice an action concerns.
    pub invoice_numbers: BTreeMap<i64, String>,
}

impl RunOutcome {
    /// The actions applied (none for a dry run), in the run's order.
    pub fn applied_actions(&self) -> impl Iterator<Item = &Action> + '_ {
        self.applied.iter().map(|a| &self.plan.actions[a.index])
    }
}

/// One applied run, from the history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunRecord {
    pub id: i64,
    pub as_of: Date,
    pub policy_version: i64,
    pub actions: i64,
    pub started_at: String,
    pub finished_at: String,
}

/// The book as of a date, loaded for the run: what [`RunInput`] borrows.
#[derive(Clone, Debug)]
pub struct RunBook {
    pub as_of: Date,
    pub policy: Policy,
    pub policy_version: i64,
    /// The organisation's currency (a policy amount without one is in it).
    pub home_currency: Currency,
    pub customers: Vec<RunCustomer>,
    pub invoices: Vec<InvoiceState>,
    /// Settled invoices whose charges may be undue (money dated on or
    /// before a charge, recorded after it): corrected, never chased.
    pub settled_charged: Vec<InvoiceState>,
    pub done: HashMap<Subject, Vec<DoneMark>>,
    pub promises: Vec<Promise>,
    pub receipts: Vec<Receipt>,
    pub disputes: Vec<Dispute>,
    pub plans: Vec<Plan>,
    pub collateral: Vec<Collateral>,
    pub open_tasks: Vec<OpenTask>,
    pub credits: Vec<Credit>,
    /// The shipped reference rates with the organisation's own rows.
    pub reference_rates: ReferenceRates,
}

impl RunBook {
    pub fn input(&self) -> RunInput<'_> {
        RunInput {
            as_of: self.as_of,
            policy: &self.policy,
            home_currency: self.home_currency,
            policy_version: self.policy_version,
            customers: &self.customers,
            invoices: &self.invoices,
            settled_charged: &self.settled_charged,
            done: &self.done,
            promises: &self.promises,
            receipts: &self.receipts,
            disputes: &self.disputes,
            plans: &self.plans,
            collateral: &self.collateral,
            open_tasks: &self.open_tasks,
            credits: &self.credits,
            reference_rates: &self.reference_rates,
        }
    }
}

fn day(date: Date) -> i64 {
    i64::from(date.day_number())
}

fn date(r: &Row<'_>, index: usize) -> Result<Date, StoreError> {
    Ok(Date::from_day_number(r.i64(index)? as i32))
}

fn opt_date(r: &Row<'_>, index: usize) -> Result<Option<Date>, StoreError> {
    Ok(r.opt_i64(index)?.map(|d| Date::from_day_number(d as i32)))
}

/// A row's `created_at` in seconds; `unknown` where the text is not a
/// time this build wrote (rows written by hand), so that such a promise
/// counts every payment since its day and such a payment counts toward
/// every promise, as before times were compared.
fn recorded_at(text: &str, unknown: i64) -> i64 {
    crate::clock::seconds_of(text).unwrap_or(unknown)
}

fn json_ids(text: &str) -> Result<Vec<i64>, StoreError> {
    Ok(serde_json::from_str(text)?)
}

/// `$first, $first+1, …` for `n` values.
/// Whether PostgreSQL gave up the transaction so that another could go on
/// (deadlock victim, serialization failure): redoing it is safe.
fn is_retryable(e: &StoreError) -> bool {
    match e {
        StoreError::Postgres(e) => matches!(
            e.code(),
            Some(c) if *c == postgres::error::SqlState::T_R_DEADLOCK_DETECTED
                || *c == postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
        ),
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// Loading

/// Appends the invoices matching `condition` (over `invoices`, `$1` the
/// organisation, `$2`… `params`) with their movements, in posting order.
///
/// The header comes from the columns the run's covering indexes hold (no
/// schedule); the schedules of the few invoices split into installments
/// are read apart.
pub(crate) fn load_invoices(
    tx: &mut Tx<'_>,
    org_id: i64,
    condition: &str,
    params: &[Param<'_>],
    out: &mut Vec<InvoiceState>,
) -> Result<(), StoreError> {
    load_invoices_where(tx, org_id, "org_id = $1", condition, params, out)
}

/// The invoices of `ids` (as [`load_invoices`]).
pub(crate) fn load_invoices_by_id(
    tx: &mut Tx<'_>,
    org_id: i64,
    ids: &[i64],
    out: &mut Vec<InvoiceState>,
) -> Result<(), StoreError> {
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let params: Vec<Param<'_>> = chunk.iter().map(|id| Param::from(*id)).collect();
        // `+org_id`: SQLite's sampled statistics otherwise make a scan of
        // the organisation's invoices look cheaper than the ids' own rows.
        load_invoices_where(
            tx,
            org_id,
            "+org_id = $1",
            &format!("id IN ({})", placeholders(2, chunk.len())),
            &params,
            out,
        )?;
    }
    Ok(())
}

fn load_invoices_where(
    tx: &mut Tx<'_>,
    org_id: i64,
    org: &str,
    condition: &str,
    params: &[Param<'_>],
    out: &mut Vec<InvoiceState>,
) -> Result<(), StoreError> {
    let mut all: Vec<Param<'_>> = vec![org_id.into()];
    all.extend_from_slice(params);
    let first = out.len();
    let mut index: HashMap<i64, usize> = HashMap::new();
    let mut split = false;
    tx.query_each(
        &format!(
            "SELECT id, number, customer_id, currency, status, issue_date, due_date, total_minor,
                CAST(NULL AS TEXT), installment_count, ladder_from
             FROM invoices WHERE {org} AND {condition}"
        ),
        &all,
        |r| {
            let mut state = entries::invoice_header(r)?;
            state.ladder_from = opt_date(r, 10)?;
            split |= r.i64(9)? > 1;
            index.insert(state.id, out.len());
            out.push(state);
            Ok(())
        },
    )?;
    if out.len() == first {
        return Ok(());
    }
    if split {
        tx.query_each(
            &format!(
                "SELECT id, schedule FROM invoices
                 WHERE {org} AND {condition} AND installment_count > 1"
            ),
            &all,
            |r| {
                if let (Some(&i), Some(json)) = (index.get(&r.i64(0)?), r.opt_string(1)?) {
                    out[i].schedule = serde_json::from_str(&json)?;
                }
                Ok(())
            },
        )?;
    }
    // Entry ids beside the movements: an index hands rows over in its own
    // order, and movements are kept in the order they were posted.
    let mut ids: Vec<Vec<i64>> = vec![Vec::new(); out.len() - first];
    let mut kinds: HashMap<String, EntryKind> = HashMap::new();
    tx.query_each(
        &format!(
            "SELECT invoice_id, id, effective_date, kind, ar_minor FROM ledger_entries
             WHERE org_id = $1 AND invoice_id IN (SELECT id FROM invoices WHERE {org} AND {condition})"
        ),
        &all,
        |r| {
            let Some(&i) = index.get(&r.i64(0)?) else {
                return Ok(());
            };
            let text = r.string(3)?;
            let kind = match kinds.get(&text) {
                Some(k) => *k,
                None => {
                    let k = EntryKind::parse(&text)
                        .ok_or_else(|| StoreError::Corrupt(format!("entry kind '{text}'")))?;
                    kinds.insert(text, k);
                    k
                }
            };
            ids[i - first].push(r.i64(1)?);
            out[i].movements.push(Movement {
                effective_date: date(r, 2)?,
                kind,
                ar_minor: r.i64(4)?,
            });
            Ok(())
        },
    )?;
    for (offset, ids) in ids.into_iter().enumerate() {
        if !ids.windows(2).all(|w| w[0] < w[1]) {
            let state = &mut out[first + offset];
            let mut pairs: Vec<(i64, Movement)> =
                ids.into_iter().zip(state.movements.drain(..)).collect();
            pairs.sort_by_key(|p| p.0);
            state.movements = pairs.into_iter().map(|p| p.1).collect();
        }
    }
    Ok(())
}

fn add_mark(done: &mut HashMap<Subject, Vec<DoneMark>>, r: &Row<'_>) -> Result<(), StoreError> {
    let text = r.string(0)?;
    let subject =
        Subject::parse(&text).ok_or_else(|| StoreError::Corrupt(format!("run mark '{text}'")))?;
    done.entry(subject).or_default().push(DoneMark {
        key: r.string(1)?,
        on: date(r, 2)?,
        skipped: r.i64(3)? != 0,
    });
    Ok(())
}

/// The marks of `subjects`, by their exact keys.
fn marks_of(
    tx: &mut Tx<'_>,
    org_id: i64,
    subjects: &[String],
    done: &mut HashMap<Subject, Vec<DoneMark>>,
) -> Result<(), StoreError> {
    for chunk in subjects.chunks(IDS_PER_STATEMENT) {
        let mut all: Vec<Param<'_>> = vec![org_id.into()];
        all.extend(chunk.iter().map(Param::from));
        tx.query_each(
            &format!(
                "SELECT subject, key, done_on, skipped FROM run_marks WHERE org_id = $1 AND subject IN ({})",
                placeholders(2, chunk.len())
            ),
            &all,
            |r| add_mark(done, r),
        )?;
    }
    Ok(())
}

/// Payment history per customer over the policy's window, summed in SQL.
fn load_history(
    tx: &mut Tx<'_>,
    org_id: i64,
    as_of: Date,
    policy: &Policy,
) -> Result<HashMap<i64, History>, StoreError> {
    let since = as_of.add_days(-(policy.tiers.history_days as i32));
    let (since, upto) = (day(since), day(as_of));
    let mut history: HashMap<i64, History> = HashMap::new();
    // Paid in full within the window (settled on the day of the last entry),
    // written off excluded, as the domain counts them.
    tx.query_each(
        "SELECT customer_id, currency, COUNT(*),
            CAST(SUM(CASE WHEN last_entry_date <= due_date THEN 1 ELSE 0 END) AS BIGINT),
            CAST(SUM(CASE WHEN total_minor > 0 THEN total_minor ELSE 0 END) AS BIGINT),
            CAST(SUM(CASE WHEN total_minor > 0 AND last_entry_date > due_date
                THEN total_minor * (last_entry_date - due_date) ELSE 0 END) AS BIGINT)
         FROM invoices
         WHERE org_id = $1 AND open_minor = 0 AND status = 'issued'
            AND +last_entry_date > $2 AND +last_entry_date <= $3
            AND id NOT IN (SELECT invoice_id FROM write_offs WHERE org_id = $1 AND reversed_on IS NULL)
         GROUP BY customer_id, currency",
        params![org_id, since, upto],
        |r| {
            let h = history.entry(r.i64(0)?).or_default();
            h.settled += r.i64(2)? as u32;
            h.settled_on_time += r.i64(3)? as u32;
            let e = h.lateness.entry(currency(&r.string(1)?)?).or_default();
            e.0 += i128::from(r.i64(4)?);
            e.1 += i128::from(r.i64(5)?);
            Ok(())
        },
    )?;
    // Tenure is read only by a tier rule on it: the first invoice of every
    // customer takes a pass over all invoices, so it is found only then.
    let tenure = [
        Tier::New,
        Tier::Low,
        Tier::Medium,
        Tier::High,
        Tier::Critical,
    ]
    .iter()
    .any(|t| policy.tiers.rule(*t).tenure_days_below.is_some());
    if tenure {
        tx.query_each(
            "SELECT customer_id, MIN(issue_date) FROM invoices
             WHERE org_id = $1 AND status <> 'draft' AND issue_date <= $2 GROUP BY customer_id",
            params![org_id, upto],
            |r| {
                history.entry(r.i64(0)?).or_default().first_invoice = Some(date(r, 1)?);
                Ok(())
            },
        )?;
    }
    // What the run itself records (broken promises, steps done) counts
    // from the next day, so a second run of the same day sees the same
    // history as the first.
    tx.query_each(
        "SELECT customer_id, COUNT(*) FROM promises
         WHERE org_id = $1 AND status = 'broken' AND settled_on > $2 AND settled_on < $3
         GROUP BY customer_id",
        params![org_id, since, upto],
        |r| {
            history.entry(r.i64(0)?).or_default().broken_promises = r.i64(1)? as u32;
            Ok(())
        },
    )?;
    tx.query_each(
        "SELECT customer_id, COUNT(*) FROM disputes
         WHERE org_id = $1 AND opened_on > $2 AND opened_on <= $3 GROUP BY customer_id",
        params![org_id, since, upto],
        |r| {
            history.entry(r.i64(0)?).or_default().disputes = r.i64(1)? as u32;
            Ok(())
        },
    )?;
    // Ladder steps done (not skipped) on the customer's invoices in the
    // window; fee and interest marks have a ':' in their key, steps never.
    // A step sent on a balance below the policy's minimum
    // (`below_minimum:<step>` beside it) does not count.
    let uses_steps = Tier::ALL
        .iter()
        .any(|t| policy.tiers.rule(*t).step_reached.is_some());
    if uses_steps {
        tx.query_each(
            "SELECT DISTINCT (SELECT i.customer_id FROM invoices i
                    WHERE i.org_id = m.org_id AND i.id = CAST(substr(m.subject, 9) AS BIGINT)),
                m.key
             FROM run_marks m
             WHERE m.org_id = $1 AND m.skipped = 0 AND m.done_on > $2 AND m.done_on < $3
                AND substr(m.subject, 1, 8) = 'invoice:' AND m.key NOT LIKE '%:%'
                AND NOT EXISTS (SELECT 1 FROM run_marks b WHERE b.org_id = m.org_id
                    AND b.subject = m.subject AND b.key = 'below_minimum:' || m.key)",
            params![org_id, since, upto],
            |r| {
                if let Some(customer_id) = r.opt_i64(0)? {
                    // `first_notice@2`: the step, reached by part 2 of an
                    // invoice on installment terms.
                    let key = r.string(1)?;
                    let step = key.split('@').next().unwrap_or(&key).to_string();
                    history
                        .entry(customer_id)
                        .or_default()
                        .steps_reached
                        .push(step);
                }
                Ok(())
            },
        )?;
        for h in history.values_mut() {
            h.steps_reached.sort();
            h.steps_reached.dedup();
        }
    }
    Ok(history)
}

/// An invoice the run charged a fee or interest on is settled, as the
/// domain counts it, when payments and credit notes reach its total,
/// whatever was charged: its open amount and last entry say nothing of
/// that. So each such invoice is judged from its entries instead of the
/// sums [`load_history`] took: taken out of them if they counted it, and
/// counted as the domain counts it.
fn correct_for_charges<'a>(
    history: &mut HashMap<i64, History>,
    charged: impl Iterator<Item = &'a InvoiceState>,
    as_of: Date,
    window_days: u32,
) {
    let since = as_of.add_days(-(window_days as i32));
    for inv in charged {
        let h = history.entry(inv.customer_id).or_default();
        let total = inv.total_minor.max(0);
        let due = inv.due_date();
        let last = inv.last_movement_date().unwrap_or(inv.issue_date);
        let counted = inv.status == DocumentStatus::Issued
            && inv.open_minor() == 0
            && last > since
            && last <= as_of
            && !inv.movements.iter().any(|m| m.kind == EntryKind::WriteOff);
        if counted {
            h.settled = h.settled.saturating_sub(1);
            if last <= due {
                h.settled_on_time = h.settled_on_time.saturating_sub(1);
            }
            let e = h.lateness.entry(inv.currency).or_default();
            e.0 -= i128::from(total);
            e.1 -= i128::from(total) * i128::from(last.days_since(due).max(0));
        }
        if inv.status_as_of(as_of) != SettlementStatus::Void {
            if let Some(on) = settled_on(inv, as_of).filter(|on| *on > since) {
                h.add_settled(inv.currency, inv.total_minor, due, on);
            }
        }
    }
}

/// Loads everything the run needs to decide `as_of`, inside `tx`.
fn load(tx: &mut Tx<'_>, org_id: i64, as_of: Date) -> Result<RunBook, StoreError> {
    let (policy_version, policy) = crate::policies::in_force(tx, org_id)?;
    let home_currency = crate::credit_file::org_currency(tx, org_id)?;
    let mut history = load_history(tx, org_id, as_of, &policy)?;

    // Open invoices; and of those with nothing open now, the ones the run
    // may still act on: moved after `as_of` (open on that day), and those
    // paid since the first day of the month before that may owe interest
    // for a month not charged yet (overdue past the grace days; with
    // interest from a notice, only those a notice was sent for).
    let sets: Vec<(String, Vec<Param<'_>>)> = vec![
        ("open_minor <> 0".to_string(), Vec::new()),
        (
            "open_minor = 0 AND last_entry_date > $2 AND status <> 'draft'".to_string(),
            vec![day(as_of).into()],
        ),
    ];
    let mut invoices = Vec::new();
    // Marks: those of the loaded invoices, then those of plans'
    // installments and collateral.
    let mut done: HashMap<Subject, Vec<DoneMark>> = HashMap::new();
    for (condition, params) in &sets {
        let first = invoices.len();
        load_invoices(tx, org_id, condition, params, &mut invoices)?;
        // Their marks by their exact keys. (Joined to the invoices through
        // `'invoice:' || id`, a planner without statistics on the marks may
        // nest a scan of one inside the other: minutes on PostgreSQL and
        // SQLite alike.)
        let subjects: Vec<String> = invoices[first..]
            .iter()
            .map(|i| Subject::Invoice { id: i.id }.to_string())
            .collect();
        marks_of(tx, org_id, &subjects, &mut done)?;
    }
    if let Some(rule) = &policy.interest {
        // Paid since the first of the month before, overdue past the grace
        // days: they may owe a month's interest not charged yet; with
        // interest from a notice, only those a notice was sent for.
        let (y, m, _) = as_of.add_months(-1).ymd();
        let recent = Date::from_ymd(y, m, 1).expect("the first of a month exists");
        let cut = as_of.add_days(-(rule.grace_days as i32));
        let mut ids: Vec<i64> = tx.query(
            "SELECT id FROM invoices WHERE org_id = $1 AND open_minor = 0 AND status = 'issued'
                AND +last_entry_date >= $2 AND +last_entry_date <= $3 AND due_date < $4",
            params![org_id, day(recent), day(as_of), day(cut)],
            |r| r.i64(0),
        )?;
        let mut marks: HashMap<Subject, Vec<DoneMark>> = HashMap::new();
        let subjects: Vec<String> = ids
            .iter()
            .map(|id| Subject::Invoice { id: *id }.to_string())
            .collect();
        marks_of(tx, org_id, &subjects, &mut marks)?;
        if rule.start == InterestStart::Notice {
            let announcing: Vec<&str> = policy
                .ladder
                .iter()
                .filter(|s| s.effects.contains(&Effect::AnnounceInterest))
                .map(|s| s.key.as_str())
                .collect();
            ids.retain(|id| {
                marks
                    .get(&Subject::Invoice { id: *id })
                    .is_some_and(|list| {
                        list.iter()
                            .any(|m| !m.skipped && announcing.contains(&m.key.as_str()))
                    })
            });
        }
        load_invoices_by_id(tx, org_id, &ids, &mut invoices)?;
        for id in ids {
            let subject = Subject::Invoice { id };
            if let Some(list) = marks.remove(&subject) {
                done.insert(subject, list);
            }
        }
    }

    // The invoices the run has charged (the marks name them: nothing else
    // posts fees or interest); those paid in full are not loaded yet.
    let charged: HashSet<i64> = tx
        .query(
            "SELECT DISTINCT CAST(substr(subject, 9) AS BIGINT) FROM run_marks
             WHERE org_id = $1 AND substr(subject, 1, 8) = 'invoice:'
                AND (key LIKE 'fee:%' OR key LIKE 'interest:%' OR key = 'compensation')",
            params![org_id],
            |r| r.i64(0),
        )?
        .into_iter()
        .collect();
    let mut paid_charged = Vec::new();
    if !charged.is_empty() {
        let loaded: HashSet<i64> = invoices.iter().map(|i| i.id).collect();
        let mut rest: Vec<i64> = charged
            .iter()
            .filter(|id| !loaded.contains(id))
            .copied()
            .collect();
        rest.sort_unstable();
        load_invoices_by_id(tx, org_id, &rest, &mut paid_charged)?;
    }
    correct_for_charges(
        &mut history,
        invoices
            .iter()
            .filter(|i| charged.contains(&i.id))
            .chain(&paid_charged),
        as_of,
        policy.tiers.history_days,
    );

    // Of those, the ones whose charges the run may have to reverse, with
    // their marks (the months of interest charged).
    let settled_charged: Vec<InvoiceState> = paid_charged
        .into_iter()
        .filter(reduced_behind_a_charge)
        .collect();
    let subjects: Vec<String> = settled_charged
        .iter()
        .map(|i| Subject::Invoice { id: i.id }.to_string())
        .collect();
    marks_of(tx, org_id, &subjects, &mut done)?;

    let mut customers = Vec::new();
    tx.query_each(
        "SELECT id, ref, name, status, status_by_policy, paused_until, tier, status_held_until,
                debtor
         FROM customers WHERE org_id = $1",
        params![org_id],
        |r| {
            let id = r.i64(0)?;
            let status = r.string(3)?;
            let tier = r.string(6)?;
            customers.push(RunCustomer {
                id,
                reference: r.string(1)?,
                name: r.string(2)?,
                status: CustomerStatus::parse(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("customer status '{status}'")))?,
                status_by_policy: r.i64(4)? != 0,
                status_held_until: opt_date(r, 7)?,
                paused_until: opt_date(r, 5)?,
                tier: Tier::parse(&tier)
                    .ok_or_else(|| StoreError::Corrupt(format!("customer tier '{tier}'")))?,
                history: history.remove(&id).unwrap_or_default(),
                debtor: match r.opt_string(8)? {
                    None => None,
                    Some(text) => {
                        Some(DebtorKind::parse(&text).ok_or_else(|| {
                            StoreError::Corrupt(format!("customer debtor '{text}'"))
                        })?)
                    }
                },
            });
            Ok(())
        },
    )?;

    let promises = active_promises(tx, org_id, None)?;
    let receipts = promised_receipts(tx, org_id, &promises, None)?;
    let credits = unapplied_credits(tx, org_id, as_of, None)?;
    let disputes = open_disputes(tx, org_id, None)?;
    let plans = crate::plans::domain_plans(tx, org_id, "status IN ('active', 'defaulted')", &[])?;
    let collateral = tx.query(
        "SELECT id, customer_id, kind, expires_on FROM collateral
         WHERE org_id = $1 AND expires_on IS NOT NULL ORDER BY id",
        params![org_id],
        |r| {
            Ok(Collateral {
                id: r.i64(0)?,
                customer_id: r.i64(1)?,
                kind: r.string(2)?,
                expires_on: opt_date(r, 3)?,
            })
        },
    )?;
    // Few: looked up by their exact keys.
    let mut subjects: Vec<String> = collateral
        .iter()
        .map(|c| Subject::Collateral { id: c.id }.to_string())
        .collect();
    for plan in plans.iter().filter(|p| p.status == PlanStatus::Active) {
        for n in 1..=plan.installments.len() as u32 {
            subjects.push(
                Subject::Installment {
                    plan_id: plan.id,
                    number: n,
                }
                .to_string(),
            );
        }
    }
    // A person's status decision: the run proposes once per decision.
    subjects.extend(
        customers
            .iter()
            .filter(|c| c.status_held_until.is_some())
            .map(|c| Subject::Customer { id: c.id }.to_string()),
    );
    marks_of(tx, org_id, &subjects, &mut done)?;

    // The run's own open tasks: it closes those whose reason has gone.
    let mut open_tasks = Vec::new();
    tx.query_each(
        "SELECT id, customer_id, kind, title, invoice_ids FROM tasks
         WHERE org_id = $1 AND status = 'open' AND created_by LIKE 'policy v%' ORDER BY id",
        params![org_id],
        |r| {
            if let Some(kind) = TaskKind::parse(&r.string(2)?) {
                open_tasks.push(OpenTask {
                    id: r.i64(0)?,
                    customer_id: r.i64(1)?,
                    kind,
                    title: r.string(3)?,
                    invoice_ids: json_ids(&r.string(4)?)?,
                });
            }
            Ok(())
        },
    )?;

    Ok(RunBook {
        as_of,
        policy,
        policy_version,
        home_currency,
        customers,
        invoices,
        settled_charged,
        done,
        promises,
        receipts,
        disputes,
        plans,
        collateral,
        open_tasks,
        credits,
        reference_rates: crate::reference_rates::reference_rates(tx, org_id)?,
    })
}

/// `AND customer_id = $n` when `customer` names one (`$n` the parameter
/// after `params`, which it is added to), else nothing: the run reads the
/// whole organisation, the send-time re-check one customer.
fn one_customer<'a>(customer: Option<i64>, params: &mut Vec<Param<'a>>) -> String {
    match customer {
        Some(id) => {
            params.push(id.into());
            format!(" AND customer_id = ${}", params.len())
        }
        None => String::new(),
    }
}

/// The active promises to pay (of one customer, when given).
pub(crate) fn active_promises(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer: Option<i64>,
) -> Result<Vec<Promise>, StoreError> {
    let mut params: Vec<Param<'_>> = vec![org_id.into()];
    let only = one_customer(customer, &mut params);
    tx.query(
        &format!(
            "SELECT id, customer_id, currency, amount_minor, made_on, promised_date, invoice_ids, created_at
             FROM promises WHERE org_id = $1 AND status = 'active'{only} ORDER BY id"
        ),
        &params,
        |r| {
            Ok(Promise {
                id: r.i64(0)?,
                customer_id: r.i64(1)?,
                currency: currency(&r.string(2)?)?,
                amount_minor: r.i64(3)?,
                made_on: date(r, 4)?,
                promised_date: date(r, 5)?,
                invoice_ids: json_ids(&r.string(6)?)?,
                made_at_s: recorded_at(&r.string(7)?, i64::MIN),
            })
        },
    )
}

/// The payments a promise may count: not reversed, received since the
/// oldest of `promises` was made, by customers with an active promise (of
/// one customer, when given).
pub(crate) fn promised_receipts(
    tx: &mut Tx<'_>,
    org_id: i64,
    promises: &[Promise],
    customer: Option<i64>,
) -> Result<Vec<Receipt>, StoreError> {
    let Some(since) = promises.iter().map(|p| p.made_on).min() else {
        return Ok(Vec::new());
    };
    let mut params: Vec<Param<'_>> = vec![org_id.into(), day(since).into()];
    let only = one_customer(customer, &mut params);
    tx.query(
        &format!(
            "SELECT customer_id, currency, received_date, amount_minor, created_at FROM payments
             WHERE org_id = $1 AND status <> 'reversed' AND received_date >= $2{only}
                AND customer_id IN (SELECT customer_id FROM promises WHERE org_id = $1 AND status = 'active')"
        ),
        &params,
        |r| {
            Ok(Receipt {
                customer_id: r.i64(0)?,
                currency: currency(&r.string(1)?)?,
                received_date: date(r, 2)?,
                amount_minor: r.i64(3)?,
                recorded_at_s: recorded_at(&r.string(4)?, i64::MAX),
            })
        },
    )
}

/// Unapplied credit received by `by`, per customer and currency (of one
/// customer, when given).
pub(crate) fn unapplied_credits(
    tx: &mut Tx<'_>,
    org_id: i64,
    by: Date,
    customer: Option<i64>,
) -> Result<Vec<Credit>, StoreError> {
    let mut params: Vec<Param<'_>> = vec![org_id.into(), day(by).into()];
    let only = one_customer(customer, &mut params);
    tx.query(
        &format!(
            "SELECT customer_id, currency, CAST(SUM(unallocated_minor) AS BIGINT) FROM payments
             WHERE org_id = $1 AND unallocated_minor > 0 AND status <> 'reversed' AND received_date <= $2{only}
             GROUP BY customer_id, currency"
        ),
        &params,
        |r| {
            Ok(Credit {
                customer_id: r.i64(0)?,
                currency: currency(&r.string(1)?)?,
                unapplied_minor: r.i64(2)?,
            })
        },
    )
}

/// The open disputes (of one customer, when given).
pub(crate) fn open_disputes(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer: Option<i64>,
) -> Result<Vec<Dispute>, StoreError> {
    let mut params: Vec<Param<'_>> = vec![org_id.into()];
    let only = one_customer(customer, &mut params);
    tx.query(
        &format!(
            "SELECT id, invoice_id FROM disputes WHERE org_id = $1 AND status = 'open'{only} ORDER BY id"
        ),
        &params,
        |r| {
            Ok(Dispute {
                id: r.i64(0)?,
                invoice_id: r.i64(1)?,
            })
        },
    )
}

// ---------------------------------------------------------------------------
// Applying

/// Multi-row `INSERT INTO table (columns) VALUES … {suffix}`, handing every
/// row a RETURNING in the suffix gives back to `each`. Returns the rows
/// inserted.
fn insert_rows(
    tx: &mut Tx<'_>,
    table: &str,
    columns: &[&str],
    rows: &[Param<'_>],
    suffix: &str,
    mut each: impl FnMut(&Row<'_>) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    let width = columns.len();
    assert_eq!(rows.len() % width, 0, "{table}: params are not whole rows");
    let mut inserted = 0;
    let mut full: Option<String> = None;
    for chunk in rows.chunks(ROWS_PER_STATEMENT * width) {
        let statement = |n: usize| {
            let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
            for r in 0..n {
                if r > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                sql.push_str(&placeholders(r * width + 1, width));
                sql.push(')');
            }
            sql.push(' ');
            sql.push_str(suffix);
            sql
        };
        let n = chunk.len() / width;
        let sql = if n == ROWS_PER_STATEMENT {
            full.get_or_insert_with(|| statement(n)).clone()
        } else {
            statement(n)
        };
        if suffix.contains("RETURNING") {
            tx.query_each(&sql, chunk, &mut each)?;
        } else {
            inserted += tx.execute(&sql, chunk)?;
        }
    }
    Ok(inserted)
}

/// The invoices an action concerns.
fn invoice_ids(action: &Action) -> Vec<i64> {
    match &action.kind {
        ActionKind::Message(m) => {
            let mut ids: Vec<i64> = m.items.iter().map(|i| i.invoice_id).collect();
            ids.dedup();
            ids
        }
        ActionKind::Task(t) => t.invoice_ids.clone(),
        ActionKind::Fee { invoice_id, .. }
        | ActionKind::Interest { invoice_id, .. }
        | ActionKind::Compensation { invoice_id, .. }
        | ActionKind::ChargeReversed { invoice_id, .. }
        | ActionKind::Skip { invoice_id, .. }
        | ActionKind::NotCharged { invoice_id, .. } => vec![*invoice_id],
        _ => Vec::new(),
    }
}

/// What the timeline says an action did: its kind and a sentence.
fn describe(action: &Action, numbers: &HashMap<i64, &str>) -> (&'static str, String) {
    let number = |id: &i64| numbers.get(id).copied().unwrap_or("?").to_string();
    match &action.kind {
        ActionKind::Message(m) => {
            let channels: Vec<&str> = m.channels.iter().map(|c| c.as_str()).collect();
            let items: Vec<&str> = m.items.iter().map(|i| i.number.as_str()).collect();
            (
                "message",
                format!(
                    "{} by {} about {}",
                    m.template.replace('_', " "),
                    channels.join(" and "),
                    items.join(", ")
                ),
            )
        }
        ActionKind::Task(t) => ("task", t.title.clone()),
        ActionKind::Fee {
            number,
            currency,
            amount_minor,
            step,
            ..
        } => (
            "fee",
            format!(
                "late fee of {} {currency} on {number} ({})",
                format_minor(*amount_minor, *currency),
                step.replace('_', " ")
            ),
        ),
        ActionKind::Interest {
            number,
            currency,
            amount_minor,
            from,
            through,
            ..
        } => (
            "interest",
            format!(
                "interest of {} {currency} on {number} for {from} to {through}",
                format_minor(*amount_minor, *currency)
            ),
        ),
        ActionKind::ChargeReversed {
            number,
            currency,
            charge,
            amount_minor,
            reason,
            ..
        } => (
            "charge_reversed",
            format!(
                "{} of {} {currency} on {number} reversed: {reason}",
                dun_core::collections::action::charge_words(*charge),
                format_minor(*amount_minor, *currency)
            ),
        ),
        ActionKind::Compensation {
            number,
            currency,
            amount_minor,
            law,
            ..
        } => (
            "compensation",
            format!(
                "fixed compensation of {} {currency} on {number} ({law})",
                format_minor(*amount_minor, *currency)
            ),
        ),
        ActionKind::Skip { steps, invoice_id } => (
            "skip",
            format!(
                "{} on {} not sent: a later step was due the same day",
                steps.join(", ").replace('_', " "),
                number(invoice_id)
            ),
        ),
        ActionKind::NotCharged { number, reason, .. } => (
            "not_charged",
            format!("nothing charged on {number}: {reason}"),
        ),
        ActionKind::SetStatus { from, to, reason } => {
            ("status_change", format!("status {from} → {to}: {reason}"))
        }
        ActionKind::SetTier { from, to, reasons } => (
            "tier_change",
            format!("risk tier {from} → {to}: {}", reasons.join("; ")),
        ),
        ActionKind::PromiseSettled {
            kept,
            currency,
            amount_minor,
            received_minor,
            ..
        } => (
            if *kept {
                "promise_kept"
            } else {
                "promise_broken"
            },
            format!(
                "promise to pay {} {currency} {}: {} {currency} received",
                format_minor(*amount_minor, *currency),
                if *kept { "kept" } else { "broken" },
                format_minor(*received_minor, *currency)
            ),
        ),
        ActionKind::CloseTask { title, reason, .. } => {
            ("task_done", format!("Closed: {title} — {reason}"))
        }
        ActionKind::PlanSettled {
            plan_id,
            outcome,
            installment,
        } => match outcome {
            PlanOutcome::Completed => (
                "plan_completed",
                format!("payment plan {plan_id} completed"),
            ),
            PlanOutcome::Defaulted => (
                "plan_defaulted",
                format!(
                    "payment plan {plan_id} defaulted{}: the ladder resumes on its invoices",
                    installment.map_or(String::new(), |n| format!(" (installment {n} unpaid)"))
                ),
            ),
        },
    }
}

/// Rows per guarded `UPDATE` ([`Guarded`]): each row is a branch of a
/// `CASE` per column, which SQLite tests in order.
const ROWS_PER_UPDATE: usize = 100;

/// Updates of one table the run makes only where each row still says what
/// the run read: one statement per batch of rows, `UPDATE table SET c =
/// CASE id WHEN … END, … WHERE +org_id = $1 AND id IN (…) AND condition
/// AND guard = CASE id WHEN … END RETURNING id`, so a first run's
/// thousands of holds and tiers are a few round trips, not one each.
struct Guarded<'a> {
    table: &'static str,
    /// Set on every row, `$2`… standing for [`Guarded::fixed`].
    also: &'static str,
    fixed: Vec<Param<'a>>,
    /// Columns set to each row's values, with their SQL types.
    set: &'static [(&'static str, &'static str)],
    /// The column that must still hold the row's last value.
    guard: Option<(&'static str, &'static str)>,
    /// What every row must still say.
    condition: &'static str,
    /// Per row: the action, the row's id, then its values.
    rows: Vec<(usize, i64, Vec<Param<'a>>)>,
}

impl<'a> Guarded<'a> {
    fn new(table: &'static str, also: &'static str) -> Self {
        Guarded {
            table,
            also,
            fixed: Vec::new(),
            set: &[],
            guard: None,
            condition: "",
            rows: Vec::new(),
        }
    }

    fn row<const N: usize>(&mut self, action: usize, id: i64, values: [Param<'a>; N]) {
        debug_assert_eq!(N, self.set.len() + usize::from(self.guard.is_some()));
        self.rows.push((action, id, values.to_vec()));
    }

    /// Writes the rows in their order and returns the actions whose row
    /// did not change. A row named twice is written in a later statement
    /// than the first time, so each sees what the one before left.
    fn apply(&self, tx: &mut Tx<'_>, org_id: i64) -> Result<Vec<usize>, StoreError> {
        let mut rounds: Vec<Vec<&(usize, i64, Vec<Param<'a>>)>> = Vec::new();
        let mut seen: HashMap<i64, usize> = HashMap::new();
        for row in &self.rows {
            let round = seen.entry(row.1).or_insert(0);
            if rounds.len() <= *round {
                rounds.push(Vec::new());
            }
            rounds[*round].push(row);
            *round += 1;
        }
        let mut unchanged = Vec::new();
        for round in &rounds {
            for chunk in round.chunks(ROWS_PER_UPDATE) {
                let mut params: Vec<Param<'_>> = vec![org_id.into()];
                params.extend_from_slice(&self.fixed);
                let mut ids = Vec::with_capacity(chunk.len());
                let mut value_at: Vec<usize> = Vec::with_capacity(chunk.len());
                for (_, id, values) in chunk {
                    params.push((*id).into());
                    ids.push(format!("${}", params.len()));
                    value_at.push(params.len() + 1);
                    params.extend_from_slice(values);
                }
                let case = |column: usize, sql_type: &str| {
                    let mut sql = String::from("CASE id");
                    for (r, first) in value_at.iter().enumerate() {
                        sql.push_str(&format!(
                            " WHEN {} THEN CAST(${} AS {sql_type})",
                            ids[r],
                            first + column
                        ));
                    }
                    sql.push_str(" END");
                    sql
                };
                let mut sets: Vec<String> = self
                    .set
                    .iter()
                    .enumerate()
                    .map(|(c, (name, sql_type))| format!("{name} = {}", case(c, sql_type)))
                    .collect();
                if !self.also.is_empty() {
                    sets.push(self.also.to_string());
                }
                let mut sql = format!(
                    "UPDATE {} SET {} WHERE +org_id = $1 AND id IN ({})",
                    self.table,
                    sets.join(", "),
                    ids.join(", ")
                );
                if !self.condition.is_empty() {
                    sql.push_str(" AND ");
                    sql.push_str(self.condition);
                }
                if let Some((name, sql_type)) = self.guard {
                    sql.push_str(&format!(" AND {name} = {}", case(self.set.len(), sql_type)));
                }
                sql.push_str(" RETURNING id");
                let changed: HashSet<i64> =
                    tx.query(&sql, &params, |r| r.i64(0))?.into_iter().collect();
                unchanged.extend(
                    chunk
                        .iter()
                        .filter(|(_, id, _)| !changed.contains(id))
                        .map(|(action, ..)| *action),
                );
            }
        }
        Ok(unchanged)
    }
}

/// Writes what `plan` decided. Returns the run's id and the actions applied.
fn apply(
    tx: &mut Tx<'_>,
    org_id: i64,
    book: &RunBook,
    plan: &RunPlan,
    now: &str,
) -> Result<(i64, Vec<AppliedAction>), StoreError> {
    let as_of = day(plan.as_of);
    let version = plan.policy_version;
    let run_id = tx
        .query_opt(
            "INSERT INTO runs (org_id, as_of, policy_version, actions, started_at, finished_at)
             VALUES ($1, $2, $3, 0, $4, $4) RETURNING id",
            params![org_id, as_of, version, now],
            |r| r.i64(0),
        )?
        .ok_or_else(|| StoreError::Conflict("the run was not recorded".into()))?;

    // A mark belongs to the first action that claims it; then the table
    // says which marks are new. An action with a mark that is not is
    // skipped whole, and the marks it did claim are taken back.
    let subjects: Vec<Vec<String>> = plan
        .actions
        .iter()
        .map(|a| a.marks.iter().map(|m| m.subject.to_string()).collect())
        .collect();
    let mut keep = vec![true; plan.actions.len()];
    let mut owner: HashSet<(&str, &str)> = HashSet::new();
    for (i, action) in plan.actions.iter().enumerate() {
        let keys: Vec<(&str, &str)> = subjects[i]
            .iter()
            .zip(&action.marks)
            .map(|(s, m)| (s.as_str(), m.key.as_str()))
            .collect();
        if keys.iter().any(|k| owner.contains(k)) {
            keep[i] = false;
            continue;
        }
        owner.extend(keys);
    }
    // In key order: the unique index is then written from left to right.
    let mut marks: Vec<(&str, &str, i64)> = Vec::new();
    for (i, action) in plan.actions.iter().enumerate().filter(|(i, _)| keep[*i]) {
        let skipped = i64::from(matches!(action.kind, ActionKind::Skip { .. }));
        for (subject, mark) in subjects[i].iter().zip(&action.marks) {
            marks.push((subject, &mark.key, skipped));
        }
    }
    marks.sort_unstable();
    let mut mark_rows: Vec<Param<'_>> = Vec::with_capacity(marks.len() * 6);
    for (subject, key, skipped) in &marks {
        mark_rows.extend_from_slice(&[
            org_id.into(),
            (*subject).into(),
            (*key).into(),
            as_of.into(),
            (*skipped).into(),
            run_id.into(),
        ]);
    }
    let inserted = insert_rows(
        tx,
        "run_marks",
        &["org_id", "subject", "key", "done_on", "skipped", "run_id"],
        &mark_rows,
        "ON CONFLICT (org_id, subject, key) DO NOTHING",
        |_| Ok(()),
    )?;
    if inserted >= MARKS_TO_ANALYZE && tx.backend() == Backend::Postgres {
        // A first run over a large book writes hundreds of thousands of
        // marks; until the planner knows (autovacuum had not looked minutes
        // later), PostgreSQL's generic plan read the next day's marks by
        // scanning them all for each list of keys: 10 s instead of 2 on
        // the 1M demo book. (SQLite finds them by key regardless, and its
        // ANALYZE here cost seconds.)
        tx.execute("ANALYZE run_marks", &[])?;
    }
    if inserted != marks.len() as u64 {
        // Some were there already (another run got here first): which of
        // them this run wrote, the table says.
        let mut ours: HashSet<(String, String)> = tx
            .query(
                "SELECT subject, key FROM run_marks WHERE org_id = $1 AND run_id = $2",
                params![org_id, run_id],
                |r| Ok((r.string(0)?, r.string(1)?)),
            )?
            .into_iter()
            .collect();
        for (i, action) in plan.actions.iter().enumerate() {
            if !keep[i] {
                continue;
            }
            let all_new = subjects[i]
                .iter()
                .zip(&action.marks)
                .all(|(s, m)| ours.contains(&(s.clone(), m.key.clone())));
            if !all_new {
                keep[i] = false;
                for (subject, m) in subjects[i].iter().zip(&action.marks) {
                    if ours.remove(&(subject.clone(), m.key.clone())) {
                        tx.execute(
                            "DELETE FROM run_marks WHERE org_id = $1 AND subject = $2 AND key = $3 AND run_id = $4",
                            params![org_id, subject.as_str(), m.key.as_str(), run_id],
                        )?;
                    }
                }
            }
        }
    }

    // Status and tier changes, promises and plans: only if the row still
    // says what the run read (a person may have changed it meanwhile).
    // Each kind is one statement per batch of rows, each row updated only
    // where it still holds what the run read; an action whose row did not
    // change is not applied.
    let reasons: Vec<Option<String>> = plan
        .actions
        .iter()
        .enumerate()
        .map(|(i, action)| match &action.kind {
            ActionKind::SetTier { reasons, .. } if keep[i] => {
                serde_json::to_string(reasons).map(Some)
            }
            _ => Ok(None),
        })
        .collect::<Result<_, _>>()?;
    let mut statuses = Guarded::new(
        "customers",
        "status_by_policy = 1, status_held_until = NULL",
    );
    statuses.set = &[("status", "TEXT")];
    statuses.guard = Some(("status", "TEXT"));
    let mut tiers = Guarded::new("customers", "");
    tiers.set = &[("tier", "TEXT"), ("tier_reasons", "TEXT")];
    tiers.guard = Some(("tier", "TEXT"));
    let mut promises = Guarded::new("promises", "settled_on = $2");
    promises.fixed = vec![as_of.into()];
    promises.set = &[("status", "TEXT")];
    promises.condition = "status = 'active'";
    let mut plans = Guarded::new("payment_plans", "");
    plans.set = &[("status", "TEXT"), ("defaulted_on", "BIGINT")];
    plans.condition = "status = 'active'";
    let mut closed = Guarded::new("tasks", "status = 'done', closed_at = $2");
    closed.fixed = vec![now.into()];
    closed.set = &[("outcome", "TEXT")];
    closed.condition = "status = 'open'";
    for (i, action) in plan.actions.iter().enumerate() {
        if !keep[i] {
            continue;
        }
        let cid = action.customer_id;
        match &action.kind {
            ActionKind::SetStatus { from, to, .. } => {
                statuses.row(i, cid, [to.as_str().into(), from.as_str().into()])
            }
            ActionKind::SetTier { from, to, .. } => tiers.row(
                i,
                cid,
                [
                    to.as_str().into(),
                    reasons[i].as_deref().into(),
                    from.as_str().into(),
                ],
            ),
            ActionKind::PromiseSettled {
                promise_id, kept, ..
            } => promises.row(
                i,
                *promise_id,
                [if *kept { "kept" } else { "broken" }.into()],
            ),
            ActionKind::PlanSettled {
                plan_id, outcome, ..
            } => {
                let (status, defaulted_on) = match outcome {
                    PlanOutcome::Completed => ("completed", None),
                    PlanOutcome::Defaulted => ("defaulted", Some(as_of)),
                };
                plans.row(i, *plan_id, [status.into(), defaulted_on.into()])
            }
            ActionKind::CloseTask {
                task_id, reason, ..
            } => closed.row(i, *task_id, [reason.as_str().into()]),
            _ => {}
        }
    }
    for guarded in [&statuses, &tiers, &promises, &plans, &closed] {
        for i in guarded.apply(tx, org_id)? {
            keep[i] = false;
        }
    }

    // The record of every action, then what each does.
    let kept: Vec<usize> = (0..plan.actions.len()).filter(|i| keep[*i]).collect();
    let details: Vec<String> = kept
        .iter()
        .map(|i| serde_json::to_string(&plan.actions[*i]))
        .collect::<Result<_, _>>()?;
    let rules: Vec<String> = kept
        .iter()
        .map(|i| plan.actions[*i].rule.to_string())
        .collect();
    let mut rows: Vec<Param<'_>> = Vec::with_capacity(kept.len() * 8);
    for (n, i) in kept.iter().enumerate() {
        let action = &plan.actions[*i];
        rows.extend_from_slice(&[
            org_id.into(),
            run_id.into(),
            action.customer_id.into(),
            version.into(),
            rules[n].as_str().into(),
            action.kind.name().into(),
            details[n].as_str().into(),
            now.into(),
        ]);
    }
    // Each row's id comes back in the order the rows were written (checked
    // against its customer); were it otherwise, the ids are matched to the
    // actions by customer, kind and rule.
    let mut returned: Vec<(i64, i64)> = Vec::with_capacity(kept.len());
    insert_rows(
        tx,
        "run_actions",
        &[
            "org_id",
            "run_id",
            "customer_id",
            "policy_version",
            "rule",
            "kind",
            "detail",
            "created_at",
        ],
        &rows,
        "RETURNING id, customer_id",
        |r| {
            returned.push((r.i64(0)?, r.i64(1)?));
            Ok(())
        },
    )?;
    let in_order = returned.len() == kept.len()
        && returned
            .iter()
            .zip(&kept)
            .all(|((_, c), i)| *c == plan.actions[*i].customer_id);
    let mut action_ids: HashMap<usize, i64> = HashMap::new();
    if in_order {
        action_ids.extend(kept.iter().zip(&returned).map(|(i, (id, _))| (*i, *id)));
    } else {
        let mut waiting: HashMap<(i64, String, String), std::collections::VecDeque<usize>> =
            HashMap::new();
        for i in &kept {
            let a = &plan.actions[*i];
            waiting
                .entry((a.customer_id, a.kind.name().to_string(), a.rule.to_string()))
                .or_default()
                .push_back(*i);
        }
        tx.query_each(
            "SELECT id, customer_id, kind, rule FROM run_actions WHERE org_id = $1 AND run_id = $2 ORDER BY id",
            params![org_id, run_id],
            |r| {
                let queue = waiting.get_mut(&(r.i64(1)?, r.string(2)?, r.string(3)?));
                if let Some(i) = queue.and_then(|q| q.pop_front()) {
                    action_ids.insert(i, r.i64(0)?);
                }
                Ok(())
            },
        )?;
    }

    let numbers: HashMap<i64, &str> = book
        .invoices
        .iter()
        .map(|i| (i.id, i.number.as_str()))
        .collect();
    let authors: Vec<String> = kept
        .iter()
        .map(|i| format!("policy v{version} · {}", plan.actions[*i].rule))
        .collect();

    // Messages to the outbox, tasks to the worklist.
    let mut outbox: Vec<(usize, &Message, String)> = Vec::new();
    let mut tasks: Vec<(usize, &Task)> = Vec::new();
    for (n, i) in kept.iter().enumerate() {
        match &plan.actions[*i].kind {
            ActionKind::Message(m) => outbox.push((*i, m, serde_json::to_string(m)?)),
            ActionKind::Task(t) => tasks.push((n, t)),
            _ => {}
        }
    }
    let channels: Vec<String> = outbox
        .iter()
        .map(|(_, m, _)| {
            serde_json::to_string(&m.channels.iter().map(|c| c.as_str()).collect::<Vec<_>>())
        })
        .collect::<Result<_, _>>()?;
    let mut rows: Vec<Param<'_>> = Vec::with_capacity(outbox.len() * 10);
    for (n, (i, m, detail)) in outbox.iter().enumerate() {
        rows.extend_from_slice(&[
            org_id.into(),
            plan.actions[*i].customer_id.into(),
            action_ids.get(i).copied().into(),
            as_of.into(),
            channels[n].as_str().into(),
            m.template.as_str().into(),
            detail.as_str().into(),
            "pending".into(),
            0i64.into(),
            now.into(),
        ]);
    }
    insert_rows(
        tx,
        "outbox",
        &[
            "org_id",
            "customer_id",
            "action_id",
            "as_of",
            "channels",
            "template",
            "detail",
            "status",
            "attempts",
            "created_at",
        ],
        &rows,
        "",
        |_| Ok(()),
    )?;
    crate::outbox::assign_message_ids(tx, org_id)?;
    let task_texts: Vec<(String, String)> = tasks
        .iter()
        .map(|(_, t)| {
            Ok((
                serde_json::to_string(&t.invoice_ids)?,
                serde_json::to_string(&t.proposals)?,
            ))
        })
        .collect::<Result<_, StoreError>>()?;
    let mut rows: Vec<Param<'_>> = Vec::with_capacity(tasks.len() * 11);
    for ((n, t), (ids, proposals)) in tasks.iter().zip(&task_texts) {
        rows.extend_from_slice(&[
            org_id.into(),
            plan.actions[kept[*n]].customer_id.into(),
            t.kind.as_str().into(),
            t.title.as_str().into(),
            day(t.due_date).into(),
            "open".into(),
            ids.as_str().into(),
            proposals.as_str().into(),
            authors[*n].as_str().into(),
            now.into(),
        ]);
    }
    insert_rows(
        tx,
        "tasks",
        &[
            "org_id",
            "customer_id",
            "kind",
            "title",
            "due_date",
            "status",
            "invoice_ids",
            "proposals",
            "created_by",
            "created_at",
        ],
        &rows,
        "",
        |_| Ok(()),
    )?;

    // The timeline: one entry per action, by the policy version and rule.
    let described: Vec<(&str, String, Vec<i64>)> = kept
        .iter()
        .map(|i| {
            let action = &plan.actions[*i];
            let (kind, summary) = describe(action, &numbers);
            (kind, summary, invoice_ids(action))
        })
        .collect();
    let entries: Vec<NewEntry<'_>> = kept
        .iter()
        .zip(&described)
        .zip(&authors)
        .map(|((i, (kind, summary, ids)), author)| {
            let action = &plan.actions[*i];
            Ok(NewEntry {
                customer_id: action.customer_id,
                on_date: plan.as_of,
                kind,
                author,
                summary,
                detail: serde_json::to_value(&action.kind)?,
                invoice_ids: ids,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    timeline::log_many(tx, org_id, now, &entries)?;

    // Fees and interest: under their customers' locks, on their invoices
    // as they stand now; the posting rules decide, as for any posting.
    let charges: Vec<(i64, EntryKind, i64)> = kept
        .iter()
        .filter_map(|i| match &plan.actions[*i].kind {
            ActionKind::Fee {
                invoice_id,
                amount_minor,
                ..
            } => Some((*invoice_id, EntryKind::Fee, *amount_minor)),
            ActionKind::Interest {
                invoice_id,
                amount_minor,
                ..
            } => Some((*invoice_id, EntryKind::Interest, *amount_minor)),
            ActionKind::Compensation {
                invoice_id,
                amount_minor,
                ..
            } => Some((*invoice_id, EntryKind::Compensation, *amount_minor)),
            _ => None,
        })
        .collect();
    if !charges.is_empty() {
        let states: HashMap<i64, &InvoiceState> = book.invoices.iter().map(|i| (i.id, i)).collect();
        let charged: BTreeSet<i64> = charges.iter().map(|c| c.0).collect();
        let mut payers: BTreeSet<i64> = BTreeSet::new();
        for id in &charged {
            let state = states
                .get(id)
                .ok_or_else(|| StoreError::not_found("invoice", format!("#{id}")))?;
            payers.insert(state.customer_id);
        }
        lock_customers(tx, org_id, &payers)?;
        let ids: Vec<i64> = charged.into_iter().collect();
        let mut status_now: HashMap<i64, String> = HashMap::new();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let mut all: Vec<Param<'_>> = vec![org_id.into()];
            all.extend(chunk.iter().map(|id| Param::from(*id)));
            tx.query_each(
                &format!(
                    // `+org_id`: SQLite's sampled statistics otherwise make a
                    // scan of the organisation's invoices look cheaper than
                    // the ids' own rows.
                    "SELECT id, status FROM invoices WHERE +org_id = $1 AND id IN ({})",
                    placeholders(2, chunk.len())
                ),
                &all,
                |r| {
                    status_now.insert(r.i64(0)?, r.string(1)?);
                    Ok(())
                },
            )?;
        }
        let mut posted: Vec<Entry> = Vec::with_capacity(charges.len());
        for (id, kind, amount) in charges {
            let mut state = (*states[&id]).clone();
            let status = status_now.get(&id).map_or("", String::as_str);
            state.status = DocumentStatus::parse(status)
                .ok_or_else(|| StoreError::Corrupt(format!("invoice status '{status}'")))?;
            posted.push(posting::charge(&state, kind, amount, plan.as_of)?);
        }
        entries::post(tx, org_id, &posted, now)?;
        // A charge that credit covers is netted from it at once.
        apply_credit_of(tx, org_id, &payers, book, plan.as_of, now)?;
    }

    reverse_charges(tx, org_id, book, plan, &kept, now)?;

    tx.execute(
        "UPDATE runs SET actions = $1, finished_at = $2 WHERE org_id = $3 AND id = $4",
        params![kept.len() as i64, now, org_id, run_id],
    )?;
    let applied = kept
        .iter()
        .map(|i| AppliedAction {
            action_id: action_ids.get(i).copied().unwrap_or(0),
            index: *i,
        })
        .collect();
    Ok((run_id, applied))
}

/// Posts the run's reversals of undue charges, under their customers'
/// locks, by the posting rule (which gives what an invoice was paid beyond
/// its corrected balance back to the payments); then the policy applies
/// that credit as for any payment.
fn reverse_charges(
    tx: &mut Tx<'_>,
    org_id: i64,
    book: &RunBook,
    plan: &RunPlan,
    kept: &[usize],
    now: &str,
) -> Result<(), StoreError> {
    let reversals: Vec<(i64, EntryKind, i64)> = kept
        .iter()
        .filter_map(|i| match &plan.actions[*i].kind {
            ActionKind::ChargeReversed {
                invoice_id,
                charge,
                amount_minor,
                ..
            } => Some((*invoice_id, *charge, *amount_minor)),
            _ => None,
        })
        .collect();
    if reversals.is_empty() {
        return Ok(());
    }
    let mut payers: BTreeSet<i64> = BTreeSet::new();
    for (invoice_id, kind, amount) in reversals {
        let state = book
            .invoices
            .iter()
            .chain(&book.settled_charged)
            .find(|i| i.id == invoice_id)
            .ok_or_else(|| StoreError::not_found("invoice", format!("#{invoice_id}")))?;
        if payers.insert(state.customer_id) {
            customers::lock(tx, org_id, state.customer_id)?;
        }
        // As it stands now (this run may have charged it too).
        let state = crate::entries::invoice_state(tx, org_id, invoice_id)?;
        let on_invoice = crate::entries::entries(
            tx,
            org_id,
            "invoice_id = $2 AND payment_id IS NOT NULL",
            &[invoice_id.into()],
        )?;
        let allocations =
            dun_core::book::allocations_on(on_invoice.iter().map(|e| &e.entry), invoice_id);
        let posted = posting::reverse_charge(&state, kind, amount, plan.as_of, &allocations)?;
        entries::post(tx, org_id, &posted, now)?;
    }
    apply_credit_of(tx, org_id, &payers, book, plan.as_of, now)
}

/// The policy applies `payers`' unapplied credit to what they owe, as
/// for any payment, after the run's charges or reversals moved it.
fn apply_credit_of(
    tx: &mut Tx<'_>,
    org_id: i64,
    payers: &BTreeSet<i64>,
    book: &RunBook,
    as_of: Date,
    now: &str,
) -> Result<(), StoreError> {
    // Most have none: which do is one read per batch, not one per payer.
    let mut with_credit: BTreeSet<i64> = BTreeSet::new();
    let ids: Vec<i64> = payers.iter().copied().collect();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let mut all: Vec<Param<'_>> = vec![org_id.into()];
        all.extend(chunk.iter().map(|id| Param::from(*id)));
        tx.query_each(
            &format!(
                "SELECT DISTINCT customer_id FROM payments
                 WHERE org_id = $1 AND unallocated_minor > 0 AND status <> 'reversed'
                    AND customer_id IN ({})",
                placeholders(2, chunk.len())
            ),
            &all,
            |r| {
                with_credit.insert(r.i64(0)?);
                Ok(())
            },
        )?;
    }
    for customer_id in &with_credit {
        crate::unapplied::apply(tx, org_id, *customer_id, as_of, now, Some(&book.policy))?;
    }
    Ok(())
}

/// Takes the row locks of `payers`, as [`customers::lock`] does each, in
/// ascending ids, a batch per statement.
fn lock_customers(tx: &mut Tx<'_>, org_id: i64, payers: &BTreeSet<i64>) -> Result<(), StoreError> {
    let ids: Vec<i64> = payers.iter().copied().collect();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let mut all: Vec<Param<'_>> = vec![org_id.into()];
        all.extend(chunk.iter().map(|id| Param::from(*id)));
        let locked = tx.execute(
            &format!(
                "UPDATE customers SET lock_version = lock_version + 1
                 WHERE org_id = $1 AND id IN ({})",
                placeholders(2, chunk.len())
            ),
            &all,
        )?;
        if locked != chunk.len() as u64 {
            // One is missing: which, the single lock says.
            for id in chunk {
                customers::lock(tx, org_id, *id)?;
            }
        }
    }
    Ok(())
}

/// The date of the latest applied run, if any.
pub(crate) fn last_applied_run(tx: &mut Tx<'_>, org_id: i64) -> Result<Option<Date>, StoreError> {
    Ok(tx
        .query_opt(
            "SELECT MAX(as_of) FROM runs WHERE org_id = $1",
            params![org_id],
            |r| opt_date(r, 0),
        )?
        .flatten())
}

/// Money dated before the last applied run changes what that run saw:
/// refused without a reason (`field`), which the timeline keeps. The next
/// run reverses the fees and interest the book no longer bears.
pub(crate) fn require_reason_behind_run(
    tx: &mut Tx<'_>,
    org_id: i64,
    field: &str,
    what: &str,
    dated: Date,
    reason: &str,
) -> Result<(), StoreError> {
    if !reason.trim().is_empty() {
        return Ok(());
    }
    match last_applied_run(tx, org_id)? {
        Some(last) if dated < last => Err(StoreError::Invalid(format!(
            "{field}: {what} is dated {dated}, before the collections run already applied for {last}; give a reason for recording it late (the next run reverses any fee or interest it would not have charged)"
        ))),
        _ => Ok(()),
    }
}

fn elapsed_ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn names(book: &RunBook, plan: &RunPlan) -> BTreeMap<i64, CustomerName> {
    let concerned: BTreeSet<i64> = plan.actions.iter().map(|a| a.customer_id).collect();
    book.customers
        .iter()
        .filter(|c| concerned.contains(&c.id))
        .map(|c| {
            (
                c.id,
                CustomerName {
                    reference: c.reference.clone(),
                    name: c.name.clone(),
                },
            )
        })
        .collect()
}

fn numbers(book: &RunBook, plan: &RunPlan) -> BTreeMap<i64, String> {
    let concerned: BTreeSet<i64> = plan.actions.iter().flat_map(invoice_ids).collect();
    book.invoices
        .iter()
        .filter(|i| concerned.contains(&i.id))
        .map(|i| (i.id, i.number.clone()))
        .collect()
}

/// Who applies a run, and on what word.
#[derive(Clone, Copy, Debug)]
enum Asker<'a> {
    /// A person (`dun run`, the API): applied as decided.
    Person,
    /// The scheduler, nobody watching: a first run that would charge or
    /// send much waits ([`run::first_run_hold`]).
    Scheduler,
    /// A person who read the preview with this [`plan_digest`].
    AsPreviewed(&'a str),
}

/// A fingerprint of everything a run decided (SHA-256 of its JSON, hex):
/// equal digests, equal plans. The Today page sends it back with Apply.
pub fn plan_digest(plan: &RunPlan) -> String {
    use sha2::{Digest, Sha256};
    let json = serde_json::to_vec(plan).unwrap_or_default();
    hex::encode(Sha256::digest(&json))
}

impl Store {
    /// The book as of `as_of`, loaded as the run would load it, from one
    /// consistent snapshot (for previews and benchmarks of the decision).
    pub fn run_book(&mut self, org_id: i64, as_of: Date) -> Result<RunBook, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let book = load(&mut tx, org_id, as_of)?;
        tx.commit()?;
        Ok(book)
    }

    /// The daily collections run as of `as_of`: decides from the book and,
    /// with `apply`, does what it decided, all in one transaction. Without
    /// `apply` nothing is written (a preview).
    ///
    /// Refused: applying a date before the latest applied run's.
    pub fn run_collections(
        &mut self,
        org_id: i64,
        as_of: Date,
        apply: bool,
    ) -> Result<RunOutcome, StoreError> {
        if !apply {
            let started = Instant::now();
            let mut tx = self.conn().read_transaction()?;
            let book = load(&mut tx, org_id, as_of)?;
            tx.commit()?;
            let load_ms = elapsed_ms(started);
            let started = Instant::now();
            let plan = run::decide(&book.input());
            let decide_ms = elapsed_ms(started);
            return Ok(RunOutcome {
                customers: names(&book, &plan),
                invoice_numbers: numbers(&book, &plan),
                plan,
                applied: Vec::new(),
                run_id: None,
                timings: RunTimings {
                    load_ms,
                    decide_ms,
                    write_ms: 0.0,
                },
            });
        }
        self.apply_run_retrying(org_id, as_of, Asker::Person)
    }

    /// The run applied on a person's word after they read its preview:
    /// as [`Store::run_collections`] applied, but refused (a conflict,
    /// nothing written) unless what it decides now is what they read —
    /// `digest` is [`plan_digest`] of the preview. A payment recorded or a
    /// policy changed in between makes them look again rather than send
    /// what they did not see.
    pub fn run_collections_as_previewed(
        &mut self,
        org_id: i64,
        as_of: Date,
        digest: &str,
    ) -> Result<RunOutcome, StoreError> {
        self.apply_run_retrying(org_id, as_of, Asker::AsPreviewed(digest))
    }

    /// The run as a scheduler applies it, with nobody watching: as
    /// [`Store::run_collections`] applied, except that a book's first run
    /// that would charge anything or send more than a few messages
    /// ([`run::first_run_hold`]) is refused (a conflict saying what it
    /// would do), nothing written: it waits for a person to run it.
    pub fn run_collections_unattended(
        &mut self,
        org_id: i64,
        as_of: Date,
    ) -> Result<RunOutcome, StoreError> {
        self.apply_run_retrying(org_id, as_of, Asker::Scheduler)
    }

    /// [`Store::apply_run`], tried again while the engine says a
    /// concurrent writer got in the way.
    fn apply_run_retrying(
        &mut self,
        org_id: i64,
        as_of: Date,
        asker: Asker<'_>,
    ) -> Result<RunOutcome, StoreError> {
        let mut attempt = 1;
        loop {
            match self.apply_run(org_id, as_of, asker) {
                Err(e) if attempt < RUN_ATTEMPTS_MAX && is_retryable(&e) => attempt += 1,
                other => return other,
            }
        }
    }

    fn apply_run(
        &mut self,
        org_id: i64,
        as_of: Date,
        asker: Asker<'_>,
    ) -> Result<RunOutcome, StoreError> {
        let now = self.now_utc();
        let started = Instant::now();
        let mut tx = self.conn().transaction()?;
        crate::orgs::lock(&mut tx, org_id)?;
        let latest = tx
            .query_opt(
                "SELECT MAX(as_of) FROM runs WHERE org_id = $1",
                params![org_id],
                |r| opt_date(r, 0),
            )?
            .flatten();
        if let Some(latest) = latest.filter(|d| *d > as_of) {
            return Err(StoreError::Conflict(format!(
                "runs go forward; the run for {latest} was applied, so {as_of} cannot be applied now (it can still be previewed)"
            )));
        }
        let book = load(&mut tx, org_id, as_of)?;
        let load_ms = elapsed_ms(started);
        let started = Instant::now();
        let plan = run::decide(&book.input());
        let decide_ms = elapsed_ms(started);
        if let Some(what) = latest
            .is_none()
            .then(|| run::first_run_hold(&plan))
            .flatten()
            .filter(|_| matches!(asker, Asker::Scheduler))
        {
            return Err(StoreError::Conflict(format!(
                "the book's first run, as of {as_of}, would {what}; it waits for a person: preview it and apply it by hand"
            )));
        }
        if let Asker::AsPreviewed(digest) = asker {
            if plan_digest(&plan) != digest {
                return Err(StoreError::Conflict(format!(
                    "the book changed since the preview you read: as of {as_of} the run would now take {} actions; nothing was done — read it again",
                    plan.actions.len()
                )));
            }
        }
        let started = Instant::now();
        let (run_id, applied) = apply(&mut tx, org_id, &book, &plan, &now)?;
        tx.commit()?;
        let write_ms = elapsed_ms(started);
        Ok(RunOutcome {
            customers: names(&book, &plan),
            invoice_numbers: numbers(&book, &plan),
            plan,
            applied,
            run_id: Some(run_id),
            timings: RunTimings {
                load_ms,
                decide_ms,
                write_ms,
            },
        })
    }

    /// Applied runs, newest first.
    pub fn runs(&mut self, org_id: i64, limit: i64) -> Result<Vec<RunRecord>, StoreError> {
        let limit = limit.clamp(1, RUNS_LIMIT_MAX);
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            "SELECT id, as_of, policy_version, actions, started_at, finished_at FROM runs
             WHERE org_id = $1 ORDER BY id DESC LIMIT $2",
            params![org_id, limit],
            |r| {
                Ok(RunRecord {
                    id: r.i64(0)?,
                    as_of: date(r, 1)?,
                    policy_version: r.i64(2)?,
                    actions: r.i64(3)?,
                    started_at: r.string(4)?,
                    finished_at: r.string(5)?,
                })
            },
        )
    }
}
