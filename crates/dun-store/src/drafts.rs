//! Changing a draft before it is issued, or throwing it away. A draft has
//! no number and nothing on the ledger, so both are plain edits of its row
//! — kept on the customer's timeline with who did it — and refused once it
//! is issued: an issued invoice never changes (a credit note or a void
//! undoes it).

use dun_core::invoice::{DocumentStatus, InvoiceDraft};
use dun_core::money::format_minor;
use serde::{Deserialize, Serialize};

use crate::db::Tx;
use crate::invoices::{find, DraftColumns};
use crate::timeline::{self, NewEntry};
use crate::{customers, entries, idempotency, params, Store, StoreError};

/// A draft thrown away: what it was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedDraft {
    pub id: i64,
    pub customer_id: i64,
    pub currency: dun_core::Currency,
    pub total_minor: i64,
}

/// The draft `invoice` (`#ID`), its customer locked; refused when issued
/// or void.
fn locked_draft(
    tx: &mut Tx<'_>,
    org_id: i64,
    invoice: &str,
) -> Result<dun_core::state::InvoiceState, StoreError> {
    let id = find(tx, org_id, invoice)?;
    let customer_id = tx
        .query_opt(
            "SELECT customer_id FROM invoices WHERE org_id = $1 AND id = $2",
            params![org_id, id],
            |r| r.i64(0),
        )?
        .ok_or_else(|| StoreError::not_found("invoice", invoice))?;
    customers::lock(tx, org_id, customer_id)?;
    let state = entries::invoice_state(tx, org_id, id)?;
    if state.status != DocumentStatus::Draft {
        return Err(StoreError::Conflict(format!(
            "invoice {} is {}; only a draft is changed or deleted (an issued invoice is undone by a credit note or a void)",
            state.number,
            if state.status == DocumentStatus::Void { "void" } else { "issued" }
        )));
    }
    Ok(state)
}

impl Store {
    /// Replaces everything a draft says (customer, currency, dates, terms,
    /// description, lines, schedule) with `draft`. Returns its id.
    pub fn replace_draft(
        &mut self,
        org_id: i64,
        invoice: &str,
        draft: &InvoiceDraft,
        key: Option<&str>,
    ) -> Result<i64, StoreError> {
        let columns = DraftColumns::of(draft)?;
        let totals = columns.totals;
        let now = self.now_utc();
        let author = self.acting();
        let tx = self.conn().transaction()?;
        idempotency::run(
            tx,
            org_id,
            key,
            "invoice.edit_draft",
            &(invoice, draft),
            &now,
            |tx| {
                let before = locked_draft(tx, org_id, invoice)?;
                if draft.customer_id != before.customer_id {
                    customers::lock(tx, org_id, draft.customer_id)?;
                }
                tx.execute(
                "UPDATE invoices SET customer_id = $1, currency = $2, issue_date = $3, due_date = $4,
                    terms = $5, description = $6, lines = $7, schedule = $8, installment_count = $9,
                    subtotal_minor = $10, tax_minor = $11, total_minor = $12, last_entry_date = $13
                 WHERE org_id = $14 AND id = $15 AND status = 'draft'",
                params![
                    draft.customer_id,
                    draft.currency.code(),
                    i64::from(draft.issue_date.day_number()),
                    i64::from(columns.due.day_number()),
                    columns.terms.as_str(),
                    draft.description.as_str(),
                    columns.lines.as_str(),
                    columns.explicit_schedule.as_deref(),
                    columns.installment_count,
                    totals.subtotal_minor,
                    totals.tax_minor,
                    totals.total_minor,
                    i64::from(draft.issue_date.day_number()),
                    org_id,
                    before.id,
                ],
            )?;
                let (was, is) = (before.currency, draft.currency);
                timeline::log(
                    tx,
                    org_id,
                    &now,
                    &NewEntry {
                        customer_id: draft.customer_id,
                        on_date: draft.issue_date,
                        kind: "draft_edited",
                        author: &author,
                        summary: &format!(
                            "Draft #{} edited: {} {was} → {} {is}",
                            before.id,
                            format_minor(before.total_minor, was),
                            format_minor(totals.total_minor, is)
                        ),
                        detail: serde_json::json!({
                            "draft_id": before.id,
                            "total_before": format_minor(before.total_minor, was),
                            "currency_before": was.code(),
                            "total": format_minor(totals.total_minor, is),
                            "currency": is.code(),
                            "customer_before": before.customer_id,
                        }),
                        invoice_ids: &[before.id],
                    },
                )?;
                Ok(before.id)
            },
        )
    }

    /// Throws a draft away. It had no number and nothing on the ledger; the
    /// customer's timeline keeps what it was and who deleted it.
    pub fn delete_draft(
        &mut self,
        org_id: i64,
        invoice: &str,
        on: dun_core::Date,
        key: Option<&str>,
    ) -> Result<DeletedDraft, StoreError> {
        let now = self.now_utc();
        let author = self.acting();
        let tx = self.conn().transaction()?;
        idempotency::run(
            tx,
            org_id,
            key,
            "invoice.delete_draft",
            &invoice,
            &now,
            |tx| {
                let draft = locked_draft(tx, org_id, invoice)?;
                // A recurring invoice the credit check refused left this draft
                // for a person; the occurrence stays refused, without it.
                tx.execute(
                "UPDATE recurring_occurrences SET invoice_id = NULL WHERE org_id = $1 AND invoice_id = $2",
                params![org_id, draft.id],
            )?;
                tx.execute(
                    "DELETE FROM invoices WHERE org_id = $1 AND id = $2 AND status = 'draft'",
                    params![org_id, draft.id],
                )?;
                let c = draft.currency;
                timeline::log(
                    tx,
                    org_id,
                    &now,
                    &NewEntry {
                        customer_id: draft.customer_id,
                        on_date: on,
                        kind: "draft_deleted",
                        author: &author,
                        summary: &format!(
                            "Draft #{} of {} {c} deleted",
                            draft.id,
                            format_minor(draft.total_minor, c)
                        ),
                        detail: serde_json::json!({
                            "draft_id": draft.id,
                            "total": format_minor(draft.total_minor, c),
                            "currency": c.code(),
                        }),
                        invoice_ids: &[],
                    },
                )?;
                Ok(DeletedDraft {
                    id: draft.id,
                    customer_id: draft.customer_id,
                    currency: c,
                    total_minor: draft.total_minor,
                })
            },
        )
    }
}
