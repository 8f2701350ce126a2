//! Disputes: a customer contests an invoice or one of its lines. While a
//! dispute is open the run holds the invoice's ladder; it ends resolved by
//! a credit note (posted in the same transaction) or rejected (the ladder
//! resumes). Each step is on the customer's timeline.

use dun_core::ledger::EntryKind;
use dun_core::money::format_minor;
use dun_core::Date;
use serde::{Deserialize, Serialize};

use crate::customers;
use crate::db::{Param, Row, Tx};
use crate::error::StoreError;
use crate::invoices::{self, Reduction, REASON_CHARS_MAX};
use crate::records::{check_amount, check_author, check_open, RECORDS_LIST_MAX};
use crate::timeline::{self, NewEntry};
use crate::{entries, idempotency, params, Store};

/// A dispute a customer raised on an invoice or one of its lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDispute {
    pub invoice: String,
    /// 1-based line number, when one line is disputed.
    pub line: Option<u32>,
    pub reason: String,
    pub on: Date,
    pub author: String,
}

/// How a dispute ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Resolution {
    /// The customer is right (in part): a credit note of this amount.
    CreditNote { amount_minor: i64, reason: String },
    /// The invoice stands; the ladder resumes.
    Rejected { reason: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeRecord {
    pub id: i64,
    pub customer_id: i64,
    pub customer_ref: String,
    pub invoice_id: i64,
    pub invoice: String,
    pub line: Option<u32>,
    pub reason: String,
    /// `open`, `resolved` (by a credit note) or `rejected`.
    pub status: String,
    pub opened_on: Date,
    pub closed_on: Option<Date>,
    /// How it ended: `{"kind": "credit_note", "credit_note": "CN-…", …}` or `{"kind": "rejected", …}`.
    pub resolution: Option<serde_json::Value>,
}

fn dispute_from_row(r: &Row<'_>) -> Result<DisputeRecord, StoreError> {
    Ok(DisputeRecord {
        id: r.i64(0)?,
        customer_id: r.i64(1)?,
        customer_ref: r.string(2)?,
        invoice_id: r.i64(3)?,
        invoice: r.opt_string(4)?.unwrap_or_default(),
        line: r.opt_i64(5)?.map(|l| l as u32),
        reason: r.string(6)?,
        status: r.string(7)?,
        opened_on: Date::from_day_number(r.i64(8)? as i32),
        closed_on: r.opt_i64(9)?.map(|d| Date::from_day_number(d as i32)),
        resolution: r
            .opt_string(10)?
            .map(|t| serde_json::from_str(&t))
            .transpose()?,
    })
}

fn disputes_where(
    tx: &mut Tx<'_>,
    org_id: i64,
    condition: &str,
    more: &[Param<'_>],
) -> Result<Vec<DisputeRecord>, StoreError> {
    let mut all: Vec<Param<'_>> = vec![org_id.into(), RECORDS_LIST_MAX.into()];
    all.extend_from_slice(more);
    tx.query(
        &format!(
            "SELECT d.id, d.customer_id, c.ref, d.invoice_id, i.number, d.line, d.reason, d.status,
                d.opened_on, d.closed_on, d.resolution
             FROM disputes d
             JOIN customers c ON c.id = d.customer_id AND c.org_id = d.org_id
             JOIN invoices i ON i.id = d.invoice_id AND i.org_id = d.org_id
             WHERE d.org_id = $1 AND {condition} ORDER BY d.id DESC LIMIT $2"
        ),
        &all,
        dispute_from_row,
    )
}

impl Store {
    /// Opens a dispute on an issued invoice with something open (or on one
    /// of its lines). Logged as `dispute`; the run holds the invoice's
    /// ladder while it is open.
    pub fn open_dispute(
        &mut self,
        org_id: i64,
        dispute: &NewDispute,
        key: Option<&str>,
    ) -> Result<DisputeRecord, StoreError> {
        let author = check_author(&dispute.author)?.to_string();
        let reason = dispute.reason.trim().to_string();
        if reason.is_empty() {
            return Err(StoreError::Invalid(format!(
                "reason: say why the invoice is disputed, in 1 to {REASON_CHARS_MAX} characters"
            )));
        }
        invoices::check_reason_chars("reason", &dispute.reason)?;
        let now = self.now_utc();
        let tx = self.conn().transaction()?;
        idempotency::run(tx, org_id, key, "dispute.open", dispute, &now, |tx| {
            let invoice_id = invoices::find(tx, org_id, dispute.invoice.trim())?;
            let customer_id = tx
                .query_opt(
                    "SELECT customer_id FROM invoices WHERE org_id = $1 AND id = $2",
                    params![org_id, invoice_id],
                    |r| r.i64(0),
                )?
                .ok_or_else(|| StoreError::not_found("invoice", &dispute.invoice))?;
            customers::lock(tx, org_id, customer_id)?;
            let state = entries::invoice_state(tx, org_id, invoice_id)?;
            check_open(&state)?;
            if let Some(line) = dispute.line {
                let lines: Vec<serde_json::Value> = tx
                    .query_opt(
                        "SELECT lines FROM invoices WHERE org_id = $1 AND id = $2",
                        params![org_id, invoice_id],
                        |r| r.string(0),
                    )?
                    .map(|t| serde_json::from_str(&t))
                    .transpose()?
                    .unwrap_or_default();
                if line == 0 || line as usize > lines.len() {
                    return Err(StoreError::Conflict(format!(
                        "invoice {} has lines 1 to {}; there is no line {line}",
                        state.number,
                        lines.len()
                    )));
                }
            }
            let already = tx.query_opt(
                "SELECT id FROM disputes WHERE org_id = $1 AND invoice_id = $2 AND status = 'open'
                    AND (line IS NULL OR line = $3 OR $3 = 0)",
                params![org_id, invoice_id, i64::from(dispute.line.unwrap_or(0))],
                |r| r.i64(0),
            )?;
            if let Some(open) = already {
                return Err(StoreError::Conflict(format!(
                    "invoice {} already has open dispute #{open}; resolve it first",
                    state.number
                )));
            }
            let id = tx
                .query_opt(
                    "INSERT INTO disputes (org_id, customer_id, invoice_id, line, reason, status, opened_on,
                        closed_on, resolution, created_at)
                     VALUES ($1, $2, $3, $4, $5, 'open', $6, NULL, NULL, $7) RETURNING id",
                    params![
                        org_id,
                        customer_id,
                        invoice_id,
                        dispute.line.map(i64::from),
                        reason.as_str(),
                        i64::from(dispute.on.day_number()),
                        now.as_str()
                    ],
                    |r| r.i64(0),
                )?
                .ok_or_else(|| StoreError::Conflict("the dispute was not saved".into()))?;
            let what = match dispute.line {
                Some(line) => format!("line {line} of {}", state.number),
                None => state.number.clone(),
            };
            timeline::log(
                tx,
                org_id,
                &now,
                &NewEntry {
                    customer_id,
                    on_date: dispute.on,
                    kind: "dispute",
                    author: &author,
                    summary: &format!("Disputed {what}: {reason}"),
                    detail: serde_json::json!({
                        "dispute_id": id,
                        "invoice": state.number,
                        "line": dispute.line,
                        "reason": reason,
                    }),
                    invoice_ids: &[invoice_id],
                },
            )?;
            disputes_where(tx, org_id, "d.id = $3", params![id])?
                .pop()
                .ok_or_else(|| StoreError::not_found("dispute", format!("#{id}")))
        })
    }

    /// Ends an open dispute: by a credit note on its invoice (posted in the
    /// same transaction), or rejected (the ladder resumes). Logged as
    /// `dispute_resolved` or `dispute_rejected`.
    pub fn resolve_dispute(
        &mut self,
        org_id: i64,
        dispute_id: i64,
        resolution: &Resolution,
        on: Date,
        author: &str,
    ) -> Result<DisputeRecord, StoreError> {
        let author = check_author(author)?;
        let raw = match resolution {
            Resolution::CreditNote { reason, .. } | Resolution::Rejected { reason } => reason,
        };
        invoices::check_reason_chars("reason", raw)?;
        let reason = raw.trim();
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let found = tx.query_opt(
            "SELECT customer_id FROM disputes WHERE org_id = $1 AND id = $2",
            params![org_id, dispute_id],
            |r| r.i64(0),
        )?;
        let customer_id = found.ok_or_else(|| StoreError::not_found("dispute", dispute_id))?;
        if matches!(resolution, Resolution::CreditNote { .. }) {
            // A credit note takes a number: the organisation's lock before
            // the customer's (see orgs::lock).
            crate::orgs::lock(&mut tx, org_id)?;
        }
        customers::lock(&mut tx, org_id, customer_id)?;
        let dispute = disputes_where(&mut tx, org_id, "d.id = $3", params![dispute_id])?
            .pop()
            .ok_or_else(|| StoreError::not_found("dispute", dispute_id))?;
        if dispute.status != "open" {
            return Err(StoreError::Conflict(format!(
                "dispute #{dispute_id} is already {}",
                dispute.status
            )));
        }
        if on < dispute.opened_on {
            return Err(StoreError::Invalid(format!(
                "{on} is before the dispute was opened ({})",
                dispute.opened_on
            )));
        }
        let (status, kind, summary, detail) = match resolution {
            Resolution::CreditNote { amount_minor, .. } => {
                check_amount("the credit note amount", *amount_minor)?;
                let note_reason = if reason.is_empty() {
                    format!("dispute #{dispute_id} resolved")
                } else {
                    format!("dispute #{dispute_id}: {reason}")
                };
                let posted = invoices::reduce(
                    &mut tx,
                    org_id,
                    &dispute.invoice,
                    &Reduction {
                        kind: EntryKind::CreditNote,
                        amount_minor: Some(*amount_minor),
                        date: on,
                        reason: note_reason,
                    },
                    None,
                    &now,
                )?;
                let c = posted.currency;
                let number = posted.document_number.clone().unwrap_or_default();
                let summary = format!(
                    "Dispute on {} resolved by credit note {number} of {} {c}{}",
                    dispute.invoice,
                    format_minor(posted.amount_minor, c),
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!(": {reason}")
                    }
                );
                let detail = serde_json::json!({
                    "kind": "credit_note",
                    "dispute_id": dispute_id,
                    "credit_note": number,
                    "currency": c,
                    "amount_minor": posted.amount_minor,
                    "open_minor": posted.open_minor,
                    "reason": reason,
                });
                ("resolved", "dispute_resolved", summary, detail)
            }
            Resolution::Rejected { .. } => {
                let summary = format!(
                    "Dispute on {} rejected; collections resume{}",
                    dispute.invoice,
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!(": {reason}")
                    }
                );
                let detail = serde_json::json!({
                    "kind": "rejected",
                    "dispute_id": dispute_id,
                    "reason": reason,
                });
                ("rejected", "dispute_rejected", summary, detail)
            }
        };
        tx.execute(
            "UPDATE disputes SET status = $1, closed_on = $2, resolution = $3 WHERE org_id = $4 AND id = $5",
            params![
                status,
                i64::from(on.day_number()),
                detail.to_string().as_str(),
                org_id,
                dispute_id
            ],
        )?;
        timeline::log(
            &mut tx,
            org_id,
            &now,
            &NewEntry {
                customer_id,
                on_date: on,
                kind,
                author,
                summary: &summary,
                detail,
                invoice_ids: &[dispute.invoice_id],
            },
        )?;
        let record = disputes_where(&mut tx, org_id, "d.id = $3", params![dispute_id])?
            .pop()
            .ok_or_else(|| StoreError::not_found("dispute", dispute_id))?;
        tx.commit()?;
        Ok(record)
    }

    /// One dispute by id.
    pub fn dispute(&mut self, org_id: i64, dispute_id: i64) -> Result<DisputeRecord, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        disputes_where(&mut tx, org_id, "d.id = $3", params![dispute_id])?
            .pop()
            .ok_or_else(|| StoreError::not_found("dispute", dispute_id))
    }

    /// Disputes of one customer or of all, newest first; only open ones when `open_only`.
    pub fn disputes(
        &mut self,
        org_id: i64,
        customer_ref: Option<&str>,
        open_only: bool,
    ) -> Result<Vec<DisputeRecord>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let status = if open_only { "open" } else { "" };
        let customer_id = match customer_ref {
            Some(reference) => customers::by_ref(&mut tx, org_id, reference)?.id,
            None => 0,
        };
        disputes_where(
            &mut tx,
            org_id,
            "(d.customer_id = $3 OR $3 = 0) AND (d.status = $4 OR $4 = '')",
            params![customer_id, status],
        )
    }
}
