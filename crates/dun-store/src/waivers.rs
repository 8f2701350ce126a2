//! Waiving a charge: a late fee, interest or fixed compensation taken off
//! an invoice by a person, with a reason — a reversing entry of the
//! charge's own kind (`posting::reverse_charge`), never a credit note, on
//! the customer's timeline. What the invoice was paid beyond its new
//! balance goes back to the payments as credit, which the policy then
//! applies as for any payment. The run never charges it again: the
//! charge's mark stays.

use dun_core::collections::action::charge_words;
use dun_core::collections::charges::charged_minor;
use dun_core::ledger::EntryKind;
use dun_core::money::format_minor;
use dun_core::{posting, Date};
use serde::{Deserialize, Serialize};

use crate::invoices::{check_reason, locked_invoice};
use crate::timeline::{self, NewEntry};
use crate::{entries, idempotency, Store, StoreError};

/// A charge a person waives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Waiver {
    /// `EntryKind::Fee`, `Interest` or `Compensation`.
    pub charge: EntryKind,
    /// All of that charge still on the invoice when None.
    pub amount_minor: Option<i64>,
    pub date: Date,
    pub reason: String,
}

/// What a waiver took off.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waived {
    pub invoice: String,
    pub currency: dun_core::Currency,
    pub charge: EntryKind,
    pub amount_minor: i64,
    /// The invoice's open amount after it.
    pub open_minor: i64,
}

impl Store {
    /// Waives `waiver.charge` on invoice `invoice` (its number).
    pub fn waive_charge(
        &mut self,
        org_id: i64,
        invoice: &str,
        waiver: &Waiver,
        key: Option<&str>,
    ) -> Result<Waived, StoreError> {
        let reason = waiver.reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid(
                "reason: say why the charge is waived (e.g. \"goodwill: first late payment\")"
                    .into(),
            ));
        }
        check_reason(reason)?;
        if !matches!(
            waiver.charge,
            EntryKind::Fee | EntryKind::Interest | EntryKind::Compensation
        ) {
            return Err(StoreError::Invalid(format!(
                "charge: {} is not a charge a person waives; give {}",
                waiver.charge.as_str(),
                dun_core::collections::charges::WAIVABLE_CHARGES
            )));
        }
        let now = self.now_utc();
        let author = self.acting();
        let tx = self.conn().transaction()?;
        idempotency::run(
            tx,
            org_id,
            key,
            "waive_charge",
            &(invoice, waiver),
            &now,
            |tx| {
                let state = locked_invoice(tx, org_id, invoice)?;
                let words = charge_words(waiver.charge);
                let on = charged_minor(&state, waiver.charge);
                if on <= 0 {
                    return Err(StoreError::Conflict(format!(
                        "charge: {} has no {words} to waive",
                        state.number
                    )));
                }
                let amount = waiver.amount_minor.unwrap_or(on);
                if amount <= 0 || amount > on {
                    return Err(StoreError::Invalid(format!(
                        "amount: {} {} is not between 0 and the {words} on {}, {} {}",
                        format_minor(amount, state.currency),
                        state.currency,
                        state.number,
                        format_minor(on, state.currency),
                        state.currency
                    )));
                }
                let on_invoice = entries::entries(
                    tx,
                    org_id,
                    "invoice_id = $2 AND payment_id IS NOT NULL",
                    &[state.id.into()],
                )?;
                let allocations =
                    dun_core::book::allocations_on(on_invoice.iter().map(|e| &e.entry), state.id);
                let posted = posting::reverse_charge(
                    &state,
                    waiver.charge,
                    amount,
                    waiver.date,
                    &allocations,
                )?;
                entries::post(tx, org_id, &posted, &now)?;
                let c = state.currency;
                timeline::log(
                    tx,
                    org_id,
                    &now,
                    &NewEntry {
                        customer_id: state.customer_id,
                        on_date: waiver.date,
                        kind: "charge_waived",
                        author: &author,
                        summary: &format!(
                            "Waived {words} of {} {c} on {}: {reason}",
                            format_minor(amount, c),
                            state.number
                        ),
                        detail: serde_json::json!({
                            "charge": waiver.charge.as_str(),
                            "amount": format_minor(amount, c),
                            "currency": c.code(),
                            "reason": reason,
                        }),
                        invoice_ids: &[state.id],
                    },
                )?;
                // What it was paid beyond its new balance is credit again.
                crate::unapplied::apply(tx, org_id, state.customer_id, waiver.date, &now, None)?;
                let after = entries::invoice_state(tx, org_id, state.id)?;
                Ok(Waived {
                    invoice: state.number.clone(),
                    currency: c,
                    charge: waiver.charge,
                    amount_minor: amount,
                    open_minor: after.open_minor(),
                })
            },
        )
    }
}
