//! Send-time truth, stored: a reminder the run queued is re-checked
//! against the ledger just before it goes — in the transaction that claims
//! it for sending (`delivery.rs`), or keeps its letter (`letters.rs`) — by
//! the domain's own rules (`dun_core::collections::recheck`).
//!
//! ## What is re-checked
//! Only what the daily run queued (`kind = 'dunning'` with the run's
//! action): reminders, notices, final demands, re-sent invoices and the
//! charges they state, and plan installment notices. An invoice e-mail, a
//! credit note and a statement are the ledger's own documents — a customer
//! may have asked for exactly that one — and a message a person queued
//! says what they chose to say: those go as they are. A statement is drawn
//! up from the ledger at the claim anyway.
//!
//! ## What becomes of it
//! - Every item still chased: it goes, each amount what is open now.
//! - Some items no longer chased: they are left out (and with them the
//!   invoices a reminder would have attached); if its own step has no item
//!   left, the message is worded for the most pressing step that has.
//! - Nothing left: `dropped`, never sent; `last_error` and a
//!   `message_dropped` timeline entry say what was not sent and why
//!   ("Reminder for INV-000012 not sent: paid on 2026-03-20"), and a
//!   "print and post" task for its letter is closed.
//!
//! The marks of the items left out are turned to *skipped*: the step was
//! not performed, so no later message says it was sent, no interest runs
//! from a notice that never went, it does not count toward a riskier tier,
//! and the ladder goes on to the next step rather than sending it again.
//!
//! What the claim's transaction sees is what is judged: on PostgreSQL the
//! row is held `FOR UPDATE`, so of two workers only one judges it, and a
//! payment committed while the message is on its way is too late for it
//! (as it always was).

use std::collections::BTreeSet;

use dun_core::collections::action::{Mark, QueuedItem};
use dun_core::collections::credit::CustomerStatus;
use dun_core::collections::plan::PlanStatus;
use dun_core::collections::policy::Policy;
use dun_core::collections::recheck::{recheck, restep, ItemNow, RecheckInput};
use dun_core::collections::run::{Credit, Dispute, Plan, Promise, Receipt};
use dun_core::state::InvoiceState;
use dun_core::Date;
use serde::Serialize;

use crate::collections::{
    active_promises, load_invoices, load_invoices_by_id, open_disputes, promised_receipts,
    unapplied_credits,
};
use crate::db::{Backend, Tx};
use crate::error::StoreError;
use crate::outbox::OutboxMessage;
use crate::timeline::{self, NewEntry};
use crate::{params, Param, Store};

/// The statuses of a message that has not gone yet: the ones a re-check
/// judges (the claim only ever takes `pending` ones; a preview of a held,
/// failed or unknown one shows what sending it would do).
const WAITING: [&str; 4] = ["pending", "held", "failed", "unknown"];

/// An item the re-check left out of a message, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    pub invoice_id: i64,
    /// The invoice (or plan installment) as the message names it.
    pub number: String,
    /// Why, in words: "paid on 2026-03-20", "disputed".
    pub reason: String,
}

/// What the send-time re-check makes of a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Recheck {
    /// Not a message that is re-checked (an invoice, a credit note, a
    /// statement, one a person queued) or not waiting any more.
    NotRechecked,
    /// Still chased: it goes as its detail now says, without `left_out`,
    /// every amount what is open now.
    Goes { left_out: Vec<LeftOut> },
    /// Nothing in it is chased any more: not sent. `reason` is the
    /// sentence the outbox and the timeline show.
    Dropped {
        reason: String,
        left_out: Vec<LeftOut>,
    },
}

/// A message as the re-check leaves it, before anything is written.
pub(crate) struct Rechecked {
    pub recheck: Recheck,
    /// The message as it goes now (detail, template and channels re-worded;
    /// as queued, with what was left out noted, when dropped).
    pub message: OutboxMessage,
    /// Whether `message` differs from the row.
    pub changed: bool,
    /// The marks of the items left out (every item's, when dropped).
    marks: Vec<Mark>,
    /// The invoices the message was about.
    invoice_ids: Vec<i64>,
}

/// Whether message `m` is one the re-check judges: a reminder the run
/// queued.
pub(crate) fn is_rechecked(m: &OutboxMessage) -> bool {
    m.kind == "dunning" && m.action_id.is_some()
}

/// What an item of a message's `detail` is about, as the domain looks it
/// up; `None` for an item this build cannot read (it goes as it is).
fn queued_item(item: &serde_json::Value, message_step: Option<&str>) -> Option<QueuedItem> {
    Some(QueuedItem {
        invoice_id: item["invoice_id"].as_i64()?,
        step: item["step"]
            .as_str()
            .or(message_step)
            .unwrap_or_default()
            .to_string(),
        part: item["part"]["number"].as_u64().map(|n| n as u32),
        installment: match (
            item["installment"]["plan_id"].as_i64(),
            item["installment"]["number"].as_u64(),
        ) {
            (Some(plan), Some(n)) => Some((plan, n as u32)),
            _ => None,
        },
    })
}

/// One customer's book as the re-check reads it.
struct CustomerBook {
    policy: Policy,
    status: CustomerStatus,
    paused_until: Option<Date>,
    invoices: Vec<InvoiceState>,
    promises: Vec<Promise>,
    receipts: Vec<Receipt>,
    disputes: Vec<Dispute>,
    plans: Vec<Plan>,
    credits: Vec<Credit>,
}

fn customer_book(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_id: i64,
    items: &[QueuedItem],
    on: Date,
) -> Result<CustomerBook, StoreError> {
    let (_, policy) = crate::policies::in_force(tx, org_id)?;
    let (paused_until, status) = tx
        .query_opt(
            "SELECT paused_until, status FROM customers WHERE org_id = $1 AND id = $2",
            params![org_id, customer_id],
            |r| Ok((r.opt_i64(0)?, r.string(1)?)),
        )?
        .ok_or_else(|| StoreError::not_found("customer", format!("#{customer_id}")))?;
    let paused_until = paused_until.map(|d| Date::from_day_number(d as i32));
    let status = CustomerStatus::parse(&status)
        .ok_or_else(|| StoreError::Corrupt(format!("customer status '{status}'")))?;
    let plans = crate::plans::domain_plans(tx, org_id, "customer_id = $2", &[customer_id.into()])?;
    let credits = unapplied_credits(tx, org_id, on, Some(customer_id))?;
    // The items' invoices and those of the plans that stand for any.
    let mut ids: BTreeSet<i64> = items
        .iter()
        .map(|i| i.invoice_id)
        .filter(|id| *id > 0)
        .collect();
    for plan in plans.iter().filter(|p| p.status == PlanStatus::Active) {
        ids.extend(plan.invoice_ids.iter().copied());
    }
    let ids: Vec<i64> = ids.into_iter().collect();
    let mut invoices = Vec::new();
    load_invoices_by_id(tx, org_id, &ids, &mut invoices)?;
    // Credit is spent on the oldest open invoices first: those too.
    if credits.iter().any(|c| c.unapplied_minor > 0) {
        let mut open = Vec::new();
        let customer: [Param<'_>; 1] = [customer_id.into()];
        load_invoices(
            tx,
            org_id,
            "customer_id = $2 AND open_minor <> 0 AND status <> 'draft'",
            &customer,
            &mut open,
        )?;
        invoices.extend(open.into_iter().filter(|i| !ids.contains(&i.id)));
    }
    let promises = active_promises(tx, org_id, Some(customer_id))?;
    let receipts = promised_receipts(tx, org_id, &promises, Some(customer_id))?;
    let disputes = open_disputes(tx, org_id, Some(customer_id))?;
    Ok(CustomerBook {
        policy,
        status,
        paused_until,
        invoices,
        promises,
        receipts,
        disputes,
        plans,
        credits,
    })
}

/// The sentence that says what of a dropped message was not sent and why:
/// "Reminder for INV-000012 not sent: paid on 2026-03-20".
fn not_sent(left_out: &[LeftOut]) -> String {
    let mut numbers: Vec<&str> = Vec::new();
    for l in left_out {
        if !numbers.contains(&l.number.as_str()) {
            numbers.push(&l.number);
        }
    }
    let same_reason = left_out.windows(2).all(|w| w[0].reason == w[1].reason);
    let why = match left_out.first() {
        Some(first) if same_reason => first.reason.clone(),
        _ => left_out
            .iter()
            .map(|l| format!("{} {}", l.number, l.reason))
            .collect::<Vec<_>>()
            .join("; "),
    };
    format!("Reminder for {} not sent: {why}", numbers.join(", "))
}

/// Judges message `m` on the book as it stands (the day it is sent:
/// `today`, never before the day it speaks for). Reads only.
pub(crate) fn recheck_message(
    tx: &mut Tx<'_>,
    org_id: i64,
    m: OutboxMessage,
    today: Date,
) -> Result<Rechecked, StoreError> {
    let unchanged = |m: OutboxMessage| Rechecked {
        recheck: Recheck::NotRechecked,
        message: m,
        changed: false,
        marks: Vec::new(),
        invoice_ids: Vec::new(),
    };
    if !is_rechecked(&m) || !WAITING.contains(&m.status.as_str()) {
        return Ok(unchanged(m));
    }
    let items: Vec<serde_json::Value> = m.detail["items"].as_array().cloned().unwrap_or_default();
    let message_step = m.detail["step"].as_str().map(str::to_string);
    let queued: Vec<Option<QueuedItem>> = items
        .iter()
        .map(|i| queued_item(i, message_step.as_deref()))
        .collect();
    let known: Vec<QueuedItem> = queued.iter().flatten().cloned().collect();
    if known.is_empty() {
        return Ok(unchanged(m));
    }
    let on = today.max(m.as_of);
    let book = customer_book(tx, org_id, m.customer_id, &known, on)?;
    let now = recheck(
        &RecheckInput {
            on,
            policy: &book.policy,
            customer_reference: &m.customer_ref,
            customer_status: book.status,
            paused_until: book.paused_until,
            invoices: &book.invoices,
            promises: &book.promises,
            receipts: &book.receipts,
            disputes: &book.disputes,
            plans: &book.plans,
            credits: &book.credits,
        },
        &known,
    );
    let mut judged = now.into_iter();
    let mut kept: Vec<serde_json::Value> = Vec::new();
    let mut left_out: Vec<LeftOut> = Vec::new();
    let mut marks: Vec<Mark> = Vec::new();
    let mut amounts_moved = false;
    for (item, q) in items.iter().zip(&queued) {
        let Some(q) = q else {
            kept.push(item.clone());
            continue;
        };
        match judged.next() {
            Some(ItemNow::Owed { open_minor }) => {
                let mut item = item.clone();
                if item["open_minor"].as_i64() != Some(open_minor) {
                    amounts_moved = true;
                    item["open_minor"] = open_minor.into();
                }
                kept.push(item);
            }
            Some(ItemNow::NotChased { why }) => {
                left_out.push(LeftOut {
                    invoice_id: q.invoice_id,
                    number: item["number"].as_str().unwrap_or_default().to_string(),
                    reason: why.to_string(),
                });
                marks.push(q.mark());
            }
            None => kept.push(item.clone()),
        }
    }
    let mut invoice_ids: Vec<i64> = known
        .iter()
        .map(|q| q.invoice_id)
        .filter(|id| *id > 0)
        .collect();
    invoice_ids.sort_unstable();
    invoice_ids.dedup();
    if left_out.is_empty() && !amounts_moved {
        return Ok(Rechecked {
            recheck: Recheck::Goes {
                left_out: Vec::new(),
            },
            message: m,
            changed: false,
            marks,
            invoice_ids,
        });
    }
    let mut message = m;
    // What earlier re-checks left out stays on record beside this one's.
    let mut noted: Vec<serde_json::Value> = message.detail["left_out"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    noted.extend(
        left_out
            .iter()
            .map(|l| serde_json::json!({ "invoice_id": l.invoice_id, "number": l.number, "reason": l.reason, "on": on })),
    );
    if !noted.is_empty() {
        message.detail["left_out"] = noted.into();
    }
    if kept.is_empty() {
        // Nothing goes: its items stay as the run queued them, for the record.
        let reason = not_sent(&left_out);
        return Ok(Rechecked {
            recheck: Recheck::Dropped { reason, left_out },
            message,
            changed: true,
            marks: known.iter().map(QueuedItem::mark).collect(),
            invoice_ids,
        });
    }
    if !left_out.is_empty() {
        let steps: Vec<&str> = kept.iter().filter_map(|i| i["step"].as_str()).collect();
        // Worded as the run would word it for what is left; a step the
        // policy no longer has keeps the wording it was queued with.
        if let Some(now) = restep(&book.policy, &steps).filter(|_| steps.len() == kept.len()) {
            let channels: Vec<String> = now
                .channels
                .iter()
                .map(|c| c.as_str().to_string())
                .collect();
            message.detail["step"] = now.step.clone().into();
            message.detail["template"] = now.template.clone().into();
            message.detail["channels"] = serde_json::to_value(&channels)?;
            message.template = now.template;
            message.channels = channels;
        }
    }
    message.detail["items"] = kept.into();
    Ok(Rechecked {
        recheck: Recheck::Goes { left_out },
        message,
        changed: true,
        marks,
        invoice_ids,
    })
}

/// A reminder a person cancelled was not sent: the run's marks of its items
/// become skipped, as for a dropped one — no later message says it went,
/// no interest runs from it, it counts toward no tier, and the ladder goes
/// on to the next step rather than sending it again.
pub(crate) fn skip_cancelled(
    tx: &mut Tx<'_>,
    org_id: i64,
    m: &OutboxMessage,
) -> Result<(), StoreError> {
    if !is_rechecked(m) {
        return Ok(());
    }
    let message_step = m.detail["step"].as_str();
    let items = m.detail["items"].as_array().into_iter().flatten();
    for q in items.filter_map(|i| queued_item(i, message_step)) {
        let mark = q.mark();
        tx.execute(
            "UPDATE run_marks SET skipped = 1 WHERE org_id = $1 AND subject = $2 AND key = $3",
            params![org_id, mark.subject.to_string().as_str(), mark.key.as_str()],
        )?;
    }
    Ok(())
}

/// Writes what the re-check decided of a `pending` message: its new
/// wording, or `dropped` with its timeline entry (and its letter's task
/// closed); the marks of what was left out become skipped. Returns false,
/// writing nothing, when the row was no longer pending.
pub(crate) fn settle(
    tx: &mut Tx<'_>,
    org_id: i64,
    r: &Rechecked,
    now: &str,
    today: Date,
) -> Result<bool, StoreError> {
    if !r.changed {
        return Ok(true);
    }
    let m = &r.message;
    let detail = m.detail.to_string();
    let channels = serde_json::to_string(&m.channels)?;
    let changed = match &r.recheck {
        Recheck::Dropped { reason, .. } => tx.execute(
            "UPDATE outbox SET status = 'dropped', last_error = $3, detail = $4, next_attempt_at = NULL
             WHERE org_id = $1 AND id = $2 AND status = 'pending'",
            params![org_id, m.id, reason.as_str(), detail.as_str()],
        )?,
        _ => tx.execute(
            "UPDATE outbox SET detail = $3, template = $4, channels = $5
             WHERE org_id = $1 AND id = $2 AND status = 'pending'",
            params![
                org_id,
                m.id,
                detail.as_str(),
                m.template.as_str(),
                channels.as_str()
            ],
        )?,
    };
    if changed == 0 {
        return Ok(false);
    }
    for mark in &r.marks {
        tx.execute(
            "UPDATE run_marks SET skipped = 1 WHERE org_id = $1 AND subject = $2 AND key = $3",
            params![org_id, mark.subject.to_string().as_str(), mark.key.as_str()],
        )?;
    }
    if let Recheck::Dropped { reason, left_out } = &r.recheck {
        // Its letter, if one was kept, is no longer to be posted: the task
        // written with it (same customer, same moment) is closed.
        tx.execute(
            "UPDATE tasks SET status = 'done', outcome = $4, closed_at = $5
             WHERE org_id = $1 AND customer_id = $2 AND kind = 'letter' AND created_by = 'letters'
                AND status = 'open'
                AND created_at IN (SELECT created_at FROM letters WHERE org_id = $1 AND outbox_id = $3)",
            params![
                org_id,
                m.customer_id,
                m.id,
                format!("Not to be posted: {reason}").as_str(),
                now
            ],
        )?;
        timeline::log(
            tx,
            org_id,
            now,
            &NewEntry {
                customer_id: m.customer_id,
                on_date: today,
                kind: "message_dropped",
                author: "delivery worker",
                summary: reason,
                detail: serde_json::json!({
                    "outbox_id": m.id,
                    "message_id": m.message_id,
                    "template": m.template,
                    "as_of": m.as_of,
                    "left_out": left_out,
                }),
                invoice_ids: &r.invoice_ids,
            },
        )?;
    }
    Ok(true)
}

impl Store {
    /// Re-checks, as a claim would, every pending reminder whose letter is
    /// about to be made (the `letter` channel, none kept yet), each in a
    /// transaction of its own that holds its row: the delivery worker calls
    /// this before it makes letters, so no letter is written for what is
    /// no longer owed, and a reminder that goes by letter alone is dropped
    /// too. Returns those dropped, with why. (Keeping a letter re-checks
    /// once more: `Store::save_letters`.)
    pub fn recheck_letters(
        &mut self,
        org_id: i64,
        now: &str,
        today: Date,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let waiting: Vec<i64> = self
            .letters_to_make(org_id)?
            .into_iter()
            .filter(is_rechecked)
            .map(|m| m.id)
            .collect();
        let mut dropped = Vec::new();
        for id in waiting {
            let mut tx = self.conn().transaction()?;
            let lock = match tx.backend() {
                Backend::Postgres => " FOR UPDATE SKIP LOCKED",
                Backend::Sqlite => "",
            };
            let held = tx.query_opt(
                &format!(
                    "SELECT id FROM outbox WHERE org_id = $1 AND id = $2 AND status = 'pending'{lock}"
                ),
                params![org_id, id],
                |r| r.i64(0),
            )?;
            if held.is_none() {
                // Claimed, dropped or held by another worker meanwhile.
                tx.commit()?;
                continue;
            }
            let m = crate::delivery::locked_message(&mut tx, org_id, id)?;
            let rechecked = recheck_message(&mut tx, org_id, m, today)?;
            if settle(&mut tx, org_id, &rechecked, now, today)? {
                if let Recheck::Dropped { reason, .. } = rechecked.recheck {
                    dropped.push((id, reason));
                }
            }
            tx.commit()?;
        }
        Ok(dropped)
    }
}

/// What the re-check left out of a message that went, as the timeline's
/// sent entry adds it: " (left out: INV-000012 paid on 2026-03-20)".
pub(crate) fn left_out_note(m: &OutboxMessage) -> String {
    let noted: Vec<String> = m.detail["left_out"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            format!(
                "{} {}",
                l["number"].as_str().unwrap_or_default(),
                l["reason"].as_str().unwrap_or_default()
            )
        })
        .collect();
    if noted.is_empty() {
        String::new()
    } else {
        format!(" (left out: {})", noted.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn left(number: &str, reason: &str) -> LeftOut {
        LeftOut {
            invoice_id: 1,
            number: number.into(),
            reason: reason.into(),
        }
    }

    #[test]
    fn the_sentence_names_what_was_not_sent_and_why() {
        assert_eq!(
            not_sent(&[left("INV-000012", "paid on 2026-03-20")]),
            "Reminder for INV-000012 not sent: paid on 2026-03-20"
        );
        assert_eq!(
            not_sent(&[left("INV-1", "disputed"), left("INV-2", "disputed")]),
            "Reminder for INV-1, INV-2 not sent: disputed"
        );
        assert_eq!(
            not_sent(&[
                left("INV-1", "paid on 2026-03-20"),
                left("INV-2", "disputed")
            ]),
            "Reminder for INV-1, INV-2 not sent: INV-1 paid on 2026-03-20; INV-2 disputed"
        );
    }
}
