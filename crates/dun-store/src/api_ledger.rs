//! Reads the HTTP API's payment list needs: cursor pages (id descending,
//! before a given id) and one payment with its ledger history. (Invoice
//! lists are `invoice_list.rs`, every shell's.)

use dun_core::{Currency, Date};
use serde::Serialize;

use crate::entries::{self, StoredEntry};
use crate::error::StoreError;
use crate::invoices::LIST_LIMIT_MAX;
use crate::{params, Store};

/// One payment as a list shows it.
#[derive(Clone, Debug, Serialize)]
pub struct PaymentSummary {
    pub id: i64,
    pub customer_ref: String,
    pub currency: Currency,
    pub received_date: Date,
    pub amount_minor: i64,
    pub method: String,
    pub reference: String,
    pub unallocated_minor: i64,
    /// `received` or `reversed`.
    pub status: String,
}

/// One payment with its ledger entries and the numbers of the invoices
/// they touch.
#[derive(Clone, Debug, Serialize)]
pub struct PaymentView {
    pub payment: PaymentSummary,
    pub entries: Vec<(StoredEntry, Option<String>)>,
}

const PAYMENT_COLUMNS: &str =
    "p.id, c.ref, p.currency, p.received_date, p.amount_minor, p.method, p.reference,
    p.unallocated_minor, p.status";

fn payment_row(r: &crate::db::Row<'_>) -> Result<PaymentSummary, StoreError> {
    Ok(PaymentSummary {
        id: r.i64(0)?,
        customer_ref: r.string(1)?,
        currency: entries::currency(&r.string(2)?)?,
        received_date: Date::from_day_number(r.i64(3)? as i32),
        amount_minor: r.i64(4)?,
        method: r.string(5)?,
        reference: r.string(6)?,
        unallocated_minor: r.i64(7)?,
        status: r.string(8)?,
    })
}

impl Store {
    /// Payments, newest first, of one customer if given, with ids below
    /// `before_id`.
    pub fn payment_page(
        &mut self,
        org_id: i64,
        customer_ref: Option<&str>,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<PaymentSummary>, StoreError> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS}
             FROM payments p JOIN customers c ON c.id = p.customer_id AND c.org_id = p.org_id
             WHERE p.org_id = $1 AND ($2 = '' OR c.ref = $2) AND p.id < $3
             ORDER BY p.id DESC LIMIT $4"
        );
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            &sql,
            params![
                org_id,
                customer_ref.unwrap_or(""),
                before_id.unwrap_or(i64::MAX),
                limit.clamp(1, LIST_LIMIT_MAX)
            ],
            payment_row,
        )
    }

    /// One payment with its history.
    pub fn payment_view(
        &mut self,
        org_id: i64,
        payment_id: i64,
    ) -> Result<PaymentView, StoreError> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS}
             FROM payments p JOIN customers c ON c.id = p.customer_id AND c.org_id = p.org_id
             WHERE p.org_id = $1 AND p.id = $2"
        );
        let mut tx = self.conn().read_transaction()?;
        let payment = tx
            .query_opt(&sql, params![org_id, payment_id], payment_row)?
            .ok_or_else(|| StoreError::not_found("payment", format!("#{payment_id}")))?;
        let history = entries::entries(&mut tx, org_id, "payment_id = $2", params![payment_id])?;
        let numbers: Vec<(i64, Option<String>)> = tx.query(
            "SELECT id, number FROM invoices WHERE org_id = $1 AND id IN
                (SELECT invoice_id FROM ledger_entries WHERE org_id = $1 AND payment_id = $2)",
            params![org_id, payment_id],
            |r| Ok((r.i64(0)?, r.opt_string(1)?)),
        )?;
        let entries = history
            .into_iter()
            .map(|e| {
                let number = e.entry.invoice_id.and_then(|id| {
                    numbers
                        .iter()
                        .find(|(n, _)| *n == id)
                        .and_then(|(_, number)| number.clone())
                });
                (e, number)
            })
            .collect();
        Ok(PaymentView { payment, entries })
    }
}
