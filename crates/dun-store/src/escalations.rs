//! Escalation reviews decided by a person (dun-core
//! `collections::escalation`): approving one hands the debt to an agency
//! or a lawyer (the customer's status, which stops the ladder) or writes
//! the review's invoices off; rejecting it closes the review and the
//! ladder goes on. One transaction: the task closes, the decision is
//! kept, the status or the write-offs are posted, the timeline says so.
//! `handed_over` lists the customers with an agency or a lawyer and what
//! they paid since, to report to them.

use dun_core::collections::credit::CustomerStatus;
use dun_core::collections::escalation::{check_decision, Decision, Escalation};
use dun_core::ledger::EntryKind;
use dun_core::money::format_minor;
use dun_core::{Currency, Date};
use serde::Serialize;

use crate::credit_file::{open_by_currency, set_status_in, StatusDecision};
use crate::db::Tx;
use crate::error::StoreError;
use crate::invoices::{reduce, Reduction};
use crate::records::{check_author, locked_customer};
use crate::timeline::{self, NewEntry};
use crate::worklist::{task, TaskRecord};
use crate::{entries, params, Store};

/// An amount in one currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Amount {
    pub currency: Currency,
    pub amount_minor: i64,
}

/// A decision taken on an escalation review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EscalationRecord {
    pub task: TaskRecord,
    /// `agency`, `legal`, `write_off` or `rejected`.
    pub decision: String,
    pub reason: String,
    pub decided_on: Date,
    /// What was open when it was handed over (empty when rejected).
    pub handed_over: Vec<Amount>,
    /// The invoices written off (with what was written off), for `write_off`.
    pub written_off: Vec<(String, Amount)>,
    pub author: String,
}

/// A customer with an agency or a lawyer, for the agency list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HandedOver {
    pub customer_ref: String,
    pub customer_name: String,
    /// `with_agency` or `legal`.
    pub status: CustomerStatus,
    /// The day the review was approved (none when a person set the status
    /// directly).
    pub since: Option<Date>,
    pub reason: Option<String>,
    /// Open when handed over, per currency.
    pub handed_over: Vec<Amount>,
    /// Received since the day it was handed over, per currency: what to
    /// report to the agency.
    pub received_since: Vec<Amount>,
    /// Open now, per currency.
    pub open_now: Vec<Amount>,
}

fn amounts(pairs: Vec<(Currency, i64)>) -> Vec<Amount> {
    pairs
        .into_iter()
        .map(|(currency, amount_minor)| Amount {
            currency,
            amount_minor,
        })
        .collect()
}

fn words(list: &[Amount]) -> String {
    if list.is_empty() {
        return "nothing".to_string();
    }
    list.iter()
        .map(|a| {
            format!(
                "{} {}",
                format_minor(a.amount_minor, a.currency),
                a.currency
            )
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Payments received from the customer on or after `since`, per currency.
fn received_since(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_id: i64,
    since: Date,
) -> Result<Vec<Amount>, StoreError> {
    let pairs = tx.query(
        "SELECT currency, CAST(SUM(amount_minor) AS BIGINT) FROM payments
         WHERE org_id = $1 AND customer_id = $2 AND status <> 'reversed' AND received_date >= $3
         GROUP BY currency ORDER BY currency",
        params![org_id, customer_id, i64::from(since.day_number())],
        |r| Ok((entries::currency(&r.string(0)?)?, r.i64(1)?)),
    )?;
    Ok(amounts(pairs))
}

/// Writes off what is open on the review's invoices, oldest first.
fn write_off_all(
    tx: &mut Tx<'_>,
    org_id: i64,
    review: &TaskRecord,
    reason: &str,
    on: Date,
    author: &str,
    now: &str,
) -> Result<Vec<(String, Amount)>, StoreError> {
    let mut written = Vec::new();
    for id in &review.invoice_ids {
        let open = tx.query_opt(
            "SELECT number, open_minor, currency FROM invoices
             WHERE org_id = $1 AND id = $2 AND customer_id = $3",
            params![org_id, *id, review.customer_id],
            |r| Ok((r.string(0)?, r.i64(1)?, r.string(2)?)),
        )?;
        let Some((number, open_minor, currency)) = open else {
            continue;
        };
        if open_minor <= 0 {
            continue;
        }
        let posted = reduce(
            tx,
            org_id,
            &number,
            &Reduction {
                kind: EntryKind::WriteOff,
                amount_minor: None,
                date: on,
                reason: format!("escalation review #{}: {reason}", review.id),
            },
            Some(author),
            now,
        )?;
        written.push((
            number,
            Amount {
                currency: entries::currency(&currency)?,
                amount_minor: posted.amount_minor,
            },
        ));
    }
    Ok(written)
}

/// A person's decision on an escalation review, as they gave it.
#[derive(Clone, Copy, Debug)]
pub struct ReviewDecision<'a> {
    pub decision: Decision,
    pub reason: &'a str,
    /// The day it is decided.
    pub on: Date,
    /// The person is the owner (a write-off needs one).
    pub by_owner: bool,
}

impl Store {
    /// A person's decision on escalation review `task_id` (see
    /// `dun_core::collections::escalation::check_decision`).
    pub fn decide_escalation(
        &mut self,
        org_id: i64,
        task_id: i64,
        given: &ReviewDecision<'_>,
        author: &str,
    ) -> Result<EscalationRecord, StoreError> {
        let ReviewDecision {
            decision,
            reason,
            on,
            by_owner,
        } = *given;
        let author = check_author(author)?;
        let reason = reason.trim();
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let review = task(&mut tx, org_id, task_id)?;
        let customer = locked_customer(&mut tx, org_id, &review.customer_ref)?;
        let status = CustomerStatus::parse(&customer.status)
            .ok_or_else(|| StoreError::Corrupt(format!("customer status '{}'", customer.status)))?;
        check_decision(task_id, &review.kind, decision, status, by_owner, reason).map_err(
            |refusal| match refusal {
                dun_core::collections::escalation::DecisionRefusal::AlreadyHandedOver {
                    ..
                }
                | dun_core::collections::escalation::DecisionRefusal::NotAReview { .. } => {
                    StoreError::Conflict(refusal.to_string())
                }
                _ => StoreError::Invalid(refusal.to_string()),
            },
        )?;
        let outcome = match decision {
            Decision::Approve(e) => format!("approved: {e} — {reason}"),
            Decision::Reject => format!("rejected — {reason}"),
        };
        let closed = tx.execute(
            "UPDATE tasks SET status = 'done', outcome = $1, closed_at = $2
             WHERE org_id = $3 AND id = $4 AND status = 'open'",
            params![outcome.as_str(), now.as_str(), org_id, task_id],
        )?;
        if closed == 0 {
            return Err(StoreError::Conflict(format!(
                "task #{task_id} is already {}; it was decided before",
                review.status
            )));
        }
        let open = amounts(open_by_currency(&mut tx, org_id, customer.id)?);
        let (handed_over, written_off) = match decision {
            Decision::Approve(Escalation::WriteOff) => (
                Vec::new(),
                write_off_all(&mut tx, org_id, &review, reason, on, author, &now)?,
            ),
            Decision::Approve(e) => {
                let status = e.status().expect("an escalation that hands over");
                set_status_in(
                    &mut tx,
                    org_id,
                    &customer.reference,
                    &StatusDecision {
                        status,
                        reason: &format!("escalation review #{task_id} approved: {reason}"),
                        until: None,
                    },
                    on,
                    author,
                    &now,
                )?;
                (open, Vec::new())
            }
            Decision::Reject => (Vec::new(), Vec::new()),
        };
        let handed_over_json = serde_json::to_string(&handed_over)?;
        tx.execute(
            "INSERT INTO escalations (org_id, task_id, customer_id, decision, reason, decided_on,
                handed_over, author, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            params![
                org_id,
                task_id,
                customer.id,
                decision.as_str(),
                reason,
                i64::from(on.day_number()),
                handed_over_json.as_str(),
                author,
                now.as_str()
            ],
        )?;
        let summary = match decision {
            Decision::Approve(Escalation::WriteOff) => format!(
                "Escalation review approved: written off {} — {reason}",
                written_off
                    .iter()
                    .map(|(n, a)| format!(
                        "{n} ({} {})",
                        format_minor(a.amount_minor, a.currency),
                        a.currency
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Decision::Approve(e) => format!(
                "Escalation review approved: {e}, {} handed over — {reason}",
                words(&handed_over)
            ),
            Decision::Reject => format!("Escalation review rejected — {reason}"),
        };
        timeline::log(
            &mut tx,
            org_id,
            &now,
            &NewEntry {
                customer_id: customer.id,
                on_date: on,
                kind: "escalation",
                author,
                summary: &summary,
                detail: serde_json::json!({
                    "task_id": task_id,
                    "decision": decision.as_str(),
                    "reason": reason,
                    "handed_over": handed_over,
                }),
                invoice_ids: &review.invoice_ids,
            },
        )?;
        let task = task(&mut tx, org_id, task_id)?;
        tx.commit()?;
        Ok(EscalationRecord {
            task,
            decision: decision.as_str().to_string(),
            reason: reason.to_string(),
            decided_on: on,
            handed_over,
            written_off,
            author: author.to_string(),
        })
    }

    /// The customers with an agency or a lawyer, with what they owed when
    /// handed over, what they paid since and what is open now (the agency
    /// list), by reference.
    pub fn handed_over(&mut self, org_id: i64) -> Result<Vec<HandedOver>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let customers = tx.query(
            "SELECT id, ref, name, status FROM customers
             WHERE org_id = $1 AND status IN ('with_agency', 'legal') ORDER BY ref",
            params![org_id],
            |r| Ok((r.i64(0)?, r.string(1)?, r.string(2)?, r.string(3)?)),
        )?;
        let mut list = Vec::with_capacity(customers.len());
        for (id, reference, name, status) in customers {
            let status = CustomerStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("customer status '{status}'")))?;
            let latest = tx.query_opt(
                "SELECT decided_on, reason, handed_over FROM escalations
                 WHERE org_id = $1 AND customer_id = $2 AND decision IN ('agency', 'legal')
                 ORDER BY decided_on DESC, task_id DESC LIMIT 1",
                params![org_id, id],
                |r| Ok((r.i64(0)?, r.string(1)?, r.string(2)?)),
            )?;
            let (since, reason, handed_over) = match latest {
                Some((day, reason, json)) => (
                    Some(Date::from_day_number(day as i32)),
                    Some(reason),
                    serde_json::from_str::<Vec<Amount>>(&json)?,
                ),
                None => (None, None, Vec::new()),
            };
            let received_since = match since {
                Some(day) => received_since(&mut tx, org_id, id, day)?,
                None => Vec::new(),
            };
            let open_now = amounts(open_by_currency(&mut tx, org_id, id)?);
            list.push(HandedOver {
                customer_ref: reference,
                customer_name: name,
                status,
                since,
                reason,
                handed_over,
                received_since,
                open_now,
            });
        }
        tx.commit()?;
        Ok(list)
    }
}

/// Timeline entries a claim file lists at most.
pub const CLAIM_HISTORY_MAX: usize = 5000;

/// What a claim file holds about one debtor, read in one snapshot.
#[derive(Clone, Debug, Serialize)]
pub struct ClaimFile {
    /// The statements of account, per currency, from the first invoice
    /// to `as_of` (the seller, the buyer and how the seller is paid too).
    pub statements: crate::statements::CustomerStatements,
    pub status: CustomerStatus,
    /// The approved escalation in force, when the debt was handed over
    /// that way: the day and the reason.
    pub handed_over: Option<(Date, String)>,
    /// Every entry of the customer's timeline, in the order it happened
    /// (at most [`CLAIM_HISTORY_MAX`], the latest).
    pub history: Vec<crate::timeline::TimelineEntry>,
    pub as_of: Date,
}

impl Store {
    /// The claim file of customer `customer_ref` as of `as_of`: statements
    /// from the first invoice on, and the whole history.
    pub fn claim_file(
        &mut self,
        org_id: i64,
        customer_ref: &str,
        as_of: Date,
    ) -> Result<ClaimFile, StoreError> {
        let customer = self.customer(org_id, customer_ref)?;
        let status = CustomerStatus::parse(&customer.status)
            .ok_or_else(|| StoreError::Corrupt(format!("customer status '{}'", customer.status)))?;
        let (first, handed_over) = {
            let mut tx = self.conn().read_transaction()?;
            let first = tx
                .query_opt(
                    "SELECT MIN(issue_date) FROM invoices
                     WHERE org_id = $1 AND customer_id = $2 AND status <> 'draft'",
                    params![org_id, customer.id],
                    |r| r.opt_i64(0),
                )?
                .flatten()
                .map_or(as_of, |d| Date::from_day_number(d as i32));
            let handed_over = tx.query_opt(
                "SELECT decided_on, reason FROM escalations
                 WHERE org_id = $1 AND customer_id = $2 AND decision IN ('agency', 'legal')
                 ORDER BY decided_on DESC, task_id DESC LIMIT 1",
                params![org_id, customer.id],
                |r| Ok((Date::from_day_number(r.i64(0)? as i32), r.string(1)?)),
            )?;
            tx.commit()?;
            (first, handed_over)
        };
        let statements =
            self.customer_statements(org_id, &customer.reference, first.min(as_of), as_of)?;
        let mut history = Vec::new();
        let mut before = None;
        while history.len() < CLAIM_HISTORY_MAX {
            let page = self.timeline(
                org_id,
                customer.id,
                before,
                crate::timeline::TIMELINE_LIMIT_MAX,
            )?;
            let Some(last) = page.last() else {
                break;
            };
            before = Some(crate::timeline::TimelineCursor::after(last));
            history.extend(page.into_iter().filter(|e| e.on_date <= as_of));
        }
        history.truncate(CLAIM_HISTORY_MAX);
        history.sort_by_key(|e| (e.on_date, e.id));
        Ok(ClaimFile {
            statements,
            status,
            handed_over: handed_over.filter(|_| status.handed_over()),
            history,
            as_of,
        })
    }
}
