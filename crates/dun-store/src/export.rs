//! Reading the book back as import rows, so an export imports as it was.

use dun_core::import::{CustomerRow, InvoiceRow, PaymentRow};
use dun_core::Date;

use crate::entries::currency;
use crate::error::StoreError;
use crate::{params, Store};

impl Store {
    pub fn customer_rows(&mut self, org_id: i64) -> Result<Vec<CustomerRow>, StoreError> {
        Ok(self
            .customers(org_id)?
            .into_iter()
            .enumerate()
            .map(|(i, c)| CustomerRow {
                row: i + 2,
                reference: c.reference,
                name: c.name,
                email: c.email,
                phone: c.phone,
                credit_limit_minor: c.credit_limit_minor,
                terms: Some(c.terms),
                notes: c.notes,
                payment_methods: c.payment_methods,
            })
            .collect())
    }

    /// Issued invoices (not drafts, not void), in number order of issue.
    pub fn invoice_rows(&mut self, org_id: i64) -> Result<Vec<InvoiceRow>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let mut row = 1;
        tx.query(
            "SELECT i.number, c.ref, i.issue_date, i.due_date, i.currency, i.description, i.lines
             FROM invoices i JOIN customers c ON c.id = i.customer_id AND c.org_id = i.org_id
             WHERE i.org_id = $1 AND i.status = 'issued' ORDER BY i.id",
            params![org_id],
            |r| {
                row += 1;
                Ok(InvoiceRow {
                    row,
                    number: r.string(0)?,
                    customer_ref: r.string(1)?,
                    issue_date: Date::from_day_number(r.i64(2)? as i32),
                    due_date: Date::from_day_number(r.i64(3)? as i32),
                    currency: currency(&r.string(4)?)?,
                    description: r.string(5)?,
                    lines: serde_json::from_str(&r.string(6)?)?,
                })
            },
        )
    }

    /// Payments that stand, each with the invoice it was applied to when
    /// there was exactly one.
    pub fn payment_rows(&mut self, org_id: i64) -> Result<Vec<PaymentRow>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let mut row = 1;
        tx.query(
            "SELECT p.received_date, c.ref, p.amount_minor, p.currency, p.method, p.reference,
                (SELECT CASE WHEN COUNT(DISTINCT e.invoice_id) = 1 THEN MAX(i.number) END
                 FROM ledger_entries e JOIN invoices i ON i.id = e.invoice_id AND i.org_id = e.org_id
                 WHERE e.org_id = p.org_id AND e.payment_id = p.id AND e.kind = 'allocation')
             FROM payments p JOIN customers c ON c.id = p.customer_id AND c.org_id = p.org_id
             WHERE p.org_id = $1 AND p.status = 'received' ORDER BY p.received_date, p.id",
            params![org_id],
            |r| {
                row += 1;
                Ok(PaymentRow {
                    row,
                    received_date: Date::from_day_number(r.i64(0)? as i32),
                    customer_ref: r.string(1)?,
                    amount_minor: r.i64(2)?,
                    currency: currency(&r.string(3)?)?,
                    method: r.string(4)?,
                    reference: r.string(5)?,
                    invoice_number: r.opt_string(6)?,
                })
            },
        )
    }

    /// Payments, newest first.
    pub fn payments(
        &mut self,
        org_id: i64,
        limit: i64,
    ) -> Result<Vec<(i64, PaymentRow, i64)>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            "SELECT p.id, p.received_date, c.ref, p.amount_minor, p.currency, p.method, p.reference, p.unallocated_minor
             FROM payments p JOIN customers c ON c.id = p.customer_id AND c.org_id = p.org_id
             WHERE p.org_id = $1 ORDER BY p.id DESC LIMIT $2",
            params![org_id, limit.clamp(1, 10_000)],
            |r| {
                Ok((
                    r.i64(0)?,
                    PaymentRow {
                        row: 0,
                        received_date: Date::from_day_number(r.i64(1)? as i32),
                        customer_ref: r.string(2)?,
                        amount_minor: r.i64(3)?,
                        currency: currency(&r.string(4)?)?,
                        method: r.string(5)?,
                        reference: r.string(6)?,
                        invoice_number: None,
                    },
                    r.i64(7)?,
                ))
            },
        )
    }
}
