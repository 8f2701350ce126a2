//! Customers' unapplied credit, applied at once to their oldest open items
//! unless the policy keeps it for a person (`[payments] unapplied_credit`).
//! The allocations are the domain's ([`posting::apply_credit`], the same
//! code a payment allocated oldest-due-first goes through), each posted as
//! its own ledger entry.

use std::collections::BTreeMap;

use dun_core::collections::policy::{CreditApplication, Policy};
use dun_core::ledger::Entry;
use dun_core::money::format_minor;
use dun_core::posting;
use dun_core::state::{InvoiceState, PaymentState};
use dun_core::{Currency, Date};

use crate::db::Tx;
use crate::entries::{self, currency};
use crate::error::StoreError;
use crate::{params, payments, policies};

/// Applies `customer_id`'s unapplied credit to their open invoices, dated
/// `date` (or later: never before the payment or the invoice), in `tx`,
/// which holds the customer's lock. `policy`: the policy in force if the
/// caller has it; read here otherwise, and only when there is credit.
/// Returns the allocations posted.
pub(crate) fn apply(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_id: i64,
    date: Date,
    now: &str,
    policy: Option<&Policy>,
) -> Result<Vec<Entry>, StoreError> {
    // Most postings leave no credit: one indexed read, and nothing more.
    let credit: Vec<PaymentState> = tx.query(
        "SELECT id, customer_id, currency, received_date, amount_minor, unallocated_minor FROM payments
         WHERE org_id = $1 AND customer_id = $2 AND unallocated_minor > 0 AND status <> 'reversed'",
        params![org_id, customer_id],
        |r| {
            Ok(PaymentState {
                id: r.i64(0)?,
                customer_id: r.i64(1)?,
                currency: currency(&r.string(2)?)?,
                received_date: Date::from_day_number(r.i64(3)? as i32),
                amount_minor: r.i64(4)?,
                unallocated_minor: r.i64(5)?,
                reversed: false,
            })
        },
    )?;
    if credit.is_empty() {
        return Ok(Vec::new());
    }
    let setting = match policy {
        Some(p) => p.payments.unapplied_credit,
        None => policies::in_force(tx, org_id)?.1.payments.unapplied_credit,
    };
    if setting != CreditApplication::ApplyOldestFirst {
        return Ok(Vec::new());
    }
    let open = payments::open_invoices(tx, org_id, customer_id)?;
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let payment_refs: Vec<&PaymentState> = credit.iter().collect();
    let invoice_refs: Vec<&InvoiceState> = open.iter().collect();
    let planned = posting::apply_credit(&payment_refs, &invoice_refs, date)?;
    if !planned.is_empty() {
        entries::post(tx, org_id, &planned, now)?;
        log_applied(tx, org_id, customer_id, date, &open, &planned, now)?;
    }
    Ok(planned)
}

/// Credit applied by the policy goes on the customer's timeline: money
/// moved without a person.
fn log_applied(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_id: i64,
    date: Date,
    open: &[InvoiceState],
    planned: &[Entry],
    now: &str,
) -> Result<(), StoreError> {
    let mut parts: Vec<String> = Vec::new();
    let mut ids: Vec<i64> = Vec::new();
    for e in planned {
        let Some(inv) = e.invoice_id.and_then(|id| open.iter().find(|i| i.id == id)) else {
            continue;
        };
        parts.push(format!(
            "{} {} {}",
            inv.number,
            format_minor(-e.ar_minor, inv.currency),
            inv.currency
        ));
        ids.push(inv.id);
    }
    crate::timeline::log(
        tx,
        org_id,
        now,
        &crate::timeline::NewEntry {
            customer_id,
            on_date: date,
            kind: "credit_applied",
            author: "policy · payments.unapplied_credit",
            summary: &format!("Credit applied: {}", parts.join(", ")),
            detail: serde_json::Value::Null,
            invoice_ids: &ids,
        },
    )?;
    Ok(())
}

impl crate::Store {
    /// Unapplied credit now, per currency: one customer's, or (`None`) the
    /// whole organisation's. Shown beside what is owed, never netted from it.
    pub fn unapplied_credit(
        &mut self,
        org_id: i64,
        customer_id: Option<i64>,
    ) -> Result<BTreeMap<Currency, i64>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let rows = tx.query(
            "SELECT currency, CAST(SUM(unallocated_minor) AS BIGINT) FROM payments
             WHERE org_id = $1 AND (customer_id = $2 OR $2 = 0)
                AND unallocated_minor > 0 AND status <> 'reversed'
             GROUP BY currency",
            params![org_id, customer_id.unwrap_or(0)],
            |r| Ok((currency(&r.string(0)?)?, r.i64(1)?)),
        )?;
        Ok(rows.into_iter().collect())
    }
}
