//! A customer's credit standing: the status that decides whether they may
//! be sold to on credit, a person's pause of the ladder, and the credit
//! check made on every issue. (Collateral is in `collateral.rs`.)
//!
//! *Invariant:* a status a person sets is marked `status_by_policy = 0`, so
//! the daily run (which may lift only the holds it placed) leaves it alone.

use dun_core::collections::credit::{check_issue, exposure_minor, CreditRefusal, CustomerStatus};
use dun_core::collections::policy::Tier;
use dun_core::money::format_minor;
use dun_core::state::InvoiceState;
use dun_core::{Currency, Date};
use serde::{Deserialize, Serialize};

use crate::db::{Row, Tx};
use crate::error::StoreError;
use crate::records::{check_author, check_text, locked_customer, NOTE_CHARS_MAX};
use crate::timeline::{self, NewEntry};
use crate::{entries, params, Store};

/// A person's decision on a customer's status.
#[derive(Clone, Copy, Debug)]
pub struct StatusDecision<'a> {
    pub status: CustomerStatus,
    pub reason: &'a str,
    /// The last day it holds; `None`: until a person changes it.
    pub until: Option<Date>,
}

/// `paused_until` of a customer paused "until resumed": the last day a
/// date may carry, so the run's `paused_until >= as_of` holds for ever.
pub const PAUSED_INDEFINITELY: &str = "2200-12-31";

/// The day [`PAUSED_INDEFINITELY`] names.
pub fn paused_indefinitely() -> Date {
    Date::parse(PAUSED_INDEFINITELY).expect("a valid date")
}

/// A pause asked to end before the day it is made: the refusal, typed, for
/// each shell to word (the store's own wording names the field first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("until: {until} is before {today}; a pause runs from today")]
pub struct PauseBeforeToday {
    /// The last paused day asked for.
    pub until: Date,
    /// The day the pause is made.
    pub today: Date,
}

impl From<PauseBeforeToday> for StoreError {
    fn from(e: PauseBeforeToday) -> StoreError {
        StoreError::Invalid(e.to_string())
    }
}

/// Refuses a pause through a day before `today` (none: until resumed). The
/// one check of that rule: [`Store::pause_customer`] makes it, and a shell
/// may call it to word its own hint.
pub fn check_pause_until(until: Option<Date>, today: Date) -> Result<(), PauseBeforeToday> {
    match until {
        Some(until) if until < today => Err(PauseBeforeToday { until, today }),
        _ => Ok(()),
    }
}

/// A person's override of a credit refusal on issue: why, and who.
#[derive(Clone, Copy, Debug)]
pub struct IssueOverride<'a> {
    pub reason: &'a str,
    pub author: &'a str,
}

/// What was overridden, to be logged once the invoice has its number.
pub(crate) struct Overridden {
    refusal: String,
    reason: String,
    author: String,
}

/// The organisation's home currency.
pub(crate) fn org_currency(tx: &mut Tx<'_>, org_id: i64) -> Result<Currency, StoreError> {
    let code = tx
        .query_opt(
            "SELECT currency FROM organisations WHERE id = $1",
            params![org_id],
            |r| r.string(0),
        )?
        .ok_or_else(|| StoreError::not_found("organisation", format!("#{org_id}")))?;
    entries::currency(&code)
}

/// What one customer owes on open invoices in `currency`.
pub(crate) fn open_in(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_id: i64,
    currency: Currency,
) -> Result<i64, StoreError> {
    Ok(tx
        .query_opt(
            "SELECT CAST(COALESCE(SUM(open_minor), 0) AS BIGINT) FROM invoices
             WHERE org_id = $1 AND customer_id = $2 AND currency = $3 AND open_minor <> 0",
            params![org_id, customer_id, currency.code()],
            |r| r.i64(0),
        )?
        .unwrap_or(0))
}

/// An invoice the credit policy refused to issue without a person's
/// override: which, to whom, and the domain's reason (typed, so each shell
/// words its own hint — a CLI flag, an API field, a form's label).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditRefused {
    pub invoice: String,
    pub customer: String,
    pub refusal: CreditRefusal,
}

impl std::fmt::Display for CreditRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot issue invoice {} to {}: {}",
            self.invoice, self.customer, self.refusal
        )
    }
}

fn describe(refusal: &CreditRefusal) -> String {
    match refusal {
        CreditRefusal::Status { status } => format!("the customer is {status}"),
        CreditRefusal::OverLimit {
            currency,
            limit,
            exposure,
        } => format!("the customer would owe {exposure} {currency} against a credit limit of {limit} {currency}"),
        CreditRefusal::NoRate {
            currency,
            limit_currency,
            on,
        } => format!("no exchange rate from {currency} to {limit_currency} was set for {on}"),
        CreditRefusal::Reason => refusal.to_string(),
    }
}

/// The credit check on issue, inside the issuing transaction (the customer
/// is locked): the customer's status, and their exposure plus this invoice
/// against their credit limit. The limit is the customer's own, else the
/// policy's override for them, else the policy's default, in the
/// organisation's currency; what they owe in other currencies (and this
/// invoice, if in one) counts through the rates the owner set
/// ([`dun_core::collections::credit::exposure_minor`], rate in force on the
/// issue date). Without a rate the issue is refused, naming the currency.
/// `policy` is the one in force (the issue reads it once).
pub(crate) fn check_credit(
    tx: &mut Tx<'_>,
    org_id: i64,
    policy: &dun_core::collections::policy::Policy,
    invoice: &InvoiceState,
    override_by: Option<&IssueOverride<'_>>,
) -> Result<Option<Overridden>, StoreError> {
    let (reference, status, own_limit) = tx
        .query_opt(
            "SELECT ref, status, credit_limit_minor FROM customers WHERE org_id = $1 AND id = $2",
            params![org_id, invoice.customer_id],
            |r| Ok((r.string(0)?, r.string(1)?, r.opt_i64(2)?)),
        )?
        .ok_or_else(|| StoreError::not_found("customer", format!("#{}", invoice.customer_id)))?;
    let status = CustomerStatus::parse(&status)
        .ok_or_else(|| StoreError::Corrupt(format!("customer status '{status}'")))?;
    let home = org_currency(tx, org_id)?;
    let limit = if status != CustomerStatus::Active {
        None
    } else if own_limit.is_some() {
        own_limit
    } else {
        policy
            .override_for(&reference)
            .and_then(|o| o.credit_limit)
            .or(policy.credit.default_limit)
            .map(|amount| amount.in_minor(home))
    };
    let exposure = match limit {
        Some(_) => {
            let owed = open_by_currency(tx, org_id, invoice.customer_id)?;
            let rates = crate::rates::rates_into(tx, org_id, home)?;
            let on = invoice.issue_date;
            exposure_minor(&owed, home, &rates, on).and_then(|open| {
                let total =
                    exposure_minor(&[(invoice.currency, invoice.total_minor)], home, &rates, on)?;
                Ok((open, total))
            })
        }
        None => Ok((0, 0)),
    };
    let refusal = match exposure {
        Err(refusal) => refusal,
        Ok((open, total)) => match check_issue(status, limit, open, total, home, None) {
            Ok(_) => return Ok(None),
            Err(refusal) => refusal,
        },
    };
    let Some(by) = override_by else {
        return Err(StoreError::Refused(Box::new(CreditRefused {
            invoice: invoice.number.clone(),
            customer: reference,
            refusal,
        })));
    };
    let author = check_author(by.author)?;
    let reason = by.reason.trim();
    if reason.is_empty() || reason.chars().count() > dun_core::REASON_CHARS_MAX {
        return Err(StoreError::Invalid(format!(
            "override_reason: {}",
            CreditRefusal::Reason
        )));
    }
    Ok(Some(Overridden {
        refusal: describe(&refusal),
        reason: reason.to_string(),
        author: author.to_string(),
    }))
}

/// What one customer owes on open invoices, per currency.
pub(crate) fn open_by_currency(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_id: i64,
) -> Result<Vec<(Currency, i64)>, StoreError> {
    tx.query(
        "SELECT currency, CAST(SUM(open_minor) AS BIGINT) FROM invoices
         WHERE org_id = $1 AND customer_id = $2 AND open_minor <> 0 GROUP BY currency",
        params![org_id, customer_id],
        |r| Ok((entries::currency(&r.string(0)?)?, r.i64(1)?)),
    )
}

/// Logs an issue a person let through over a credit refusal.
pub(crate) fn log_override(
    tx: &mut Tx<'_>,
    org_id: i64,
    invoice: &InvoiceState,
    overridden: &Overridden,
    now: &str,
) -> Result<(), StoreError> {
    let c = invoice.currency;
    let summary = format!(
        "Issued {} ({} {c}) over a credit refusal ({}): {}",
        invoice.number,
        format_minor(invoice.total_minor, c),
        overridden.refusal,
        overridden.reason
    );
    timeline::log(
        tx,
        org_id,
        now,
        &NewEntry {
            customer_id: invoice.customer_id,
            on_date: invoice.issue_date,
            kind: "override",
            author: &overridden.author,
            summary: &summary,
            detail: serde_json::json!({
                "invoice": invoice.number,
                "currency": c,
                "total_minor": invoice.total_minor,
                "refusal": overridden.refusal,
                "reason": overridden.reason,
            }),
            invoice_ids: &[invoice.id],
        },
    )?;
    Ok(())
}

/// A customer's standing: status, who placed it, pause, tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditStanding {
    pub customer_id: i64,
    pub reference: String,
    pub status: CustomerStatus,
    /// Placed by the policy (the run may lift it), not by a person.
    pub status_by_policy: bool,
    /// Paused by a person through this day; [`PAUSED_INDEFINITELY`] until resumed.
    pub paused_until: Option<Date>,
    /// A person's decision on the status holds through this day
    /// ([`PAUSED_INDEFINITELY`]: until a person changes it).
    pub status_held_until: Option<Date>,
    pub tier: Tier,
    pub tier_reasons: Vec<String>,
}

fn standing_from_row(r: &Row<'_>) -> Result<CreditStanding, StoreError> {
    let status = r.string(2)?;
    let tier = r.string(5)?;
    Ok(CreditStanding {
        customer_id: r.i64(0)?,
        reference: r.string(1)?,
        status: CustomerStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("customer status '{status}'")))?,
        status_by_policy: r.i64(3)? != 0,
        paused_until: r.opt_i64(4)?.map(|d| Date::from_day_number(d as i32)),
        tier: Tier::parse(&tier).ok_or_else(|| StoreError::Corrupt(format!("tier '{tier}'")))?,
        tier_reasons: serde_json::from_str(&r.string(6)?)?,
        status_held_until: r.opt_i64(7)?.map(|d| Date::from_day_number(d as i32)),
    })
}

fn standing(tx: &mut Tx<'_>, org_id: i64, reference: &str) -> Result<CreditStanding, StoreError> {
    tx.query_opt(
        "SELECT id, ref, status, status_by_policy, paused_until, tier, tier_reasons, status_held_until
         FROM customers WHERE org_id = $1 AND ref = $2",
        params![org_id, reference],
        standing_from_row,
    )?
    .ok_or_else(|| StoreError::not_found("customer", reference))
}

impl Store {
    /// A customer's status, pause and tier.
    pub fn credit_standing(
        &mut self,
        org_id: i64,
        reference: &str,
    ) -> Result<CreditStanding, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        standing(&mut tx, org_id, reference)
    }

    /// Pauses the collections ladder for a customer through `until` (None:
    /// until resumed). Logged as `pause`.
    pub fn pause_customer(
        &mut self,
        org_id: i64,
        reference: &str,
        until: Option<Date>,
        reason: &str,
        on: Date,
        author: &str,
    ) -> Result<CreditStanding, StoreError> {
        let author = check_author(author)?;
        let reason = check_text("reason", reason, NOTE_CHARS_MAX)?;
        check_pause_until(until, on)?;
        let through = until.unwrap_or_else(paused_indefinitely);
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let customer = locked_customer(&mut tx, org_id, reference)?;
        tx.execute(
            "UPDATE customers SET paused_until = $1 WHERE org_id = $2 AND id = $3",
            params![i64::from(through.day_number()), org_id, customer.id],
        )?;
        let summary = match until {
            Some(until) => format!("Paused collections through {until}: {reason}"),
            None => format!("Paused collections until resumed: {reason}"),
        };
        timeline::log(
            &mut tx,
            org_id,
            &now,
            &NewEntry {
                customer_id: customer.id,
                on_date: on,
                kind: "pause",
                author,
                summary: &summary,
                detail: serde_json::json!({ "until": until, "reason": reason }),
                invoice_ids: &[],
            },
        )?;
        let standing = standing(&mut tx, org_id, &customer.reference)?;
        tx.commit()?;
        Ok(standing)
    }

    /// Lifts a person's pause. Logged as `resume`.
    pub fn resume_customer(
        &mut self,
        org_id: i64,
        reference: &str,
        on: Date,
        author: &str,
    ) -> Result<CreditStanding, StoreError> {
        let author = check_author(author)?;
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let customer = locked_customer(&mut tx, org_id, reference)?;
        let before = standing(&mut tx, org_id, &customer.reference)?;
        if before.paused_until.is_none_or(|d| d < on) {
            return Err(StoreError::Conflict(format!(
                "customer {} is not paused",
                customer.reference
            )));
        }
        tx.execute(
            "UPDATE customers SET paused_until = NULL WHERE org_id = $1 AND id = $2",
            params![org_id, customer.id],
        )?;
        timeline::log(
            &mut tx,
            org_id,
            &now,
            &NewEntry {
                customer_id: customer.id,
                on_date: on,
                kind: "resume",
                author,
                summary: "Resumed collections",
                detail: serde_json::json!({ "was_paused_until": before.paused_until }),
                invoice_ids: &[],
            },
        )?;
        let standing = standing(&mut tx, org_id, &customer.reference)?;
        tx.commit()?;
        Ok(standing)
    }

    /// Sets a customer's status by a person's decision, which holds through
    /// `decision.until` (or until a person changes it): meanwhile the daily
    /// run proposes a change on the worklist, never makes one. Logged as
    /// `status_change`.
    pub fn set_customer_status(
        &mut self,
        org_id: i64,
        reference: &str,
        decision: &StatusDecision<'_>,
        on: Date,
        author: &str,
    ) -> Result<CreditStanding, StoreError> {
        let author = check_author(author)?;
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let customer = locked_customer(&mut tx, org_id, reference)?;
        set_status_in(
            &mut tx,
            org_id,
            &customer.reference,
            decision,
            on,
            author,
            &now,
        )?;
        let standing = standing(&mut tx, org_id, &customer.reference)?;
        tx.commit()?;
        Ok(standing)
    }
}

/// A person's decision on the customer `reference` (locked by the caller),
/// inside the caller's transaction; logged as `status_change`.
pub(crate) fn set_status_in(
    tx: &mut Tx<'_>,
    org_id: i64,
    reference: &str,
    decision: &StatusDecision<'_>,
    on: Date,
    author: &str,
    now: &str,
) -> Result<(), StoreError> {
    let status = decision.status;
    let reason = check_text("reason", decision.reason, NOTE_CHARS_MAX)?;
    if let Some(until) = decision.until {
        if until < on {
            return Err(StoreError::Invalid(format!(
                "until: {until} is before {on}; give a day from {on} on, or none for \"until a person changes it\""
            )));
        }
    }
    let held_until = decision.until.unwrap_or_else(paused_indefinitely);
    let before = standing(tx, org_id, reference)?;
    if before.status == status
        && !before.status_by_policy
        && before.status_held_until == Some(held_until)
    {
        return Err(StoreError::Conflict(format!(
            "customer {reference} is already {status}"
        )));
    }
    tx.execute(
        "UPDATE customers SET status = $1, status_by_policy = 0, status_held_until = $2
         WHERE org_id = $3 AND id = $4",
        params![
            status.as_str(),
            i64::from(held_until.day_number()),
            org_id,
            before.customer_id
        ],
    )?;
    let summary = format!("Status {} → {status}: {reason}", before.status);
    timeline::log(
        tx,
        org_id,
        now,
        &NewEntry {
            customer_id: before.customer_id,
            on_date: on,
            kind: "status_change",
            author,
            summary: &summary,
            detail: serde_json::json!({
                "from": before.status,
                "to": status,
                "reason": reason,
                "by_policy": false,
                "until": decision.until,
            }),
            invoice_ids: &[],
        },
    )?;
    Ok(())
}
