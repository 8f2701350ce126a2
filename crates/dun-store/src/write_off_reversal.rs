//! Reversing a write-off: written off by mistake, or the debt was recovered
//! after all. Each write-off on the invoice not yet reversed gets an entry
//! of its own kind that puts its amount back (`posting::reverse_write_off`);
//! the write-off keeps when, why and by whom — nothing is deleted. The
//! invoice is open again and the daily run treats it as any open invoice.

use dun_core::money::format_minor;
use dun_core::{posting, Date};
use serde::{Deserialize, Serialize};

use crate::invoices::{check_reason, locked_invoice};
use crate::timeline::{self, NewEntry};
use crate::{entries, idempotency, params, Store, StoreError};

/// What a reversal put back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteOffReversed {
    pub invoice: String,
    pub currency: dun_core::Currency,
    /// The write-offs reversed (an invoice may have had several).
    pub write_offs: usize,
    pub amount_minor: i64,
    /// The invoice's open amount after it.
    pub open_minor: i64,
}

impl Store {
    /// Reverses every write-off on invoice `invoice` (its number) not yet
    /// reversed, dated `date`, with a reason.
    pub fn reverse_write_off(
        &mut self,
        org_id: i64,
        invoice: &str,
        date: Date,
        reason: &str,
        key: Option<&str>,
    ) -> Result<WriteOffReversed, StoreError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid(
                "reason: say why the write-off is reversed (e.g. \"the customer paid after all\")"
                    .into(),
            ));
        }
        check_reason(reason)?;
        let now = self.now_utc();
        let author = self.acting();
        let tx = self.conn().transaction()?;
        idempotency::run(
            tx,
            org_id,
            key,
            "write_off.reverse",
            &(invoice, date, reason),
            &now,
            |tx| {
                let state = locked_invoice(tx, org_id, invoice)?;
                let written: Vec<(i64, i64, Date)> = tx.query(
                    "SELECT id, amount_minor, written_off_date FROM write_offs
                     WHERE org_id = $1 AND invoice_id = $2 AND reversed_on IS NULL ORDER BY id",
                    params![org_id, state.id],
                    |r| Ok((r.i64(0)?, r.i64(1)?, crate::recurring::date(r, 2)?)),
                )?;
                if written.is_empty() {
                    return Err(StoreError::Conflict(format!(
                        "invoice: {} has no write-off to reverse",
                        state.number
                    )));
                }
                let mut posted = Vec::with_capacity(written.len());
                for &(id, amount, on) in &written {
                    posted.push(posting::reverse_write_off(&state, id, amount, on, date)?);
                    tx.execute(
                        "UPDATE write_offs SET reversed_on = $1, reversed_reason = $2, reversed_by = $3
                         WHERE org_id = $4 AND id = $5 AND reversed_on IS NULL",
                        params![i64::from(date.day_number()), reason, author.as_str(), org_id, id],
                    )?;
                }
                entries::post(tx, org_id, &posted, &now)?;
                let amount: i64 = written.iter().map(|w| w.1).sum();
                let c = state.currency;
                timeline::log(
                    tx,
                    org_id,
                    &now,
                    &NewEntry {
                        customer_id: state.customer_id,
                        on_date: date,
                        kind: "write_off_reversed",
                        author: &author,
                        summary: &format!(
                            "Write-off of {} {c} on {} reversed: {reason}",
                            format_minor(amount, c),
                            state.number
                        ),
                        detail: serde_json::json!({
                            "amount": format_minor(amount, c),
                            "currency": c.code(),
                            "reason": reason,
                        }),
                        invoice_ids: &[state.id],
                    },
                )?;
                let after = entries::invoice_state(tx, org_id, state.id)?;
                Ok(WriteOffReversed {
                    invoice: state.number.clone(),
                    currency: c,
                    write_offs: written.len(),
                    amount_minor: amount,
                    open_minor: after.open_minor(),
                })
            },
        )
    }
}
