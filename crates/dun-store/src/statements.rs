//! Statements of account and what the documents read: one customer's
//! entries, invoices, credit note numbers and payment references, read in
//! one snapshot and drawn up by the domain (`dun_core::statement`).

use std::collections::BTreeMap;

use dun_core::aging::AgingEdges;
use dun_core::party::{Party, PaymentInstructions};
use dun_core::statement::{self, Statement, StatementInput};
use dun_core::Date;
use serde::Serialize;

use crate::customers::{self, Customer};
use crate::db::Tx;
use crate::entries::{self, StoredEntry};
use crate::error::StoreError;
use crate::invoices::InvoiceView;
use crate::{params, Store};

/// A customer's statements (one per currency) with who sends them.
#[derive(Clone, Debug, Serialize)]
pub struct CustomerStatements {
    pub customer: Customer,
    pub seller: Party,
    pub payment: PaymentInstructions,
    pub buyer: Party,
    pub statements: Vec<Statement>,
}

/// An invoice with everything its document prints besides the policy.
#[derive(Clone, Debug, Serialize)]
pub struct InvoiceDocument {
    pub invoice: InvoiceView,
    pub seller: Party,
    pub payment: PaymentInstructions,
    pub buyer: Party,
}

/// The customer's entries: those on its invoices and those on its payments
/// (an allocation is on both; it is read once), in the order posted.
fn customer_entries(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_id: i64,
    to: Date,
) -> Result<Vec<StoredEntry>, StoreError> {
    let to = i64::from(to.day_number());
    let mut all = entries::entries(
        tx,
        org_id,
        "invoice_id IN (SELECT id FROM invoices WHERE org_id = $1 AND customer_id = $2)
         AND effective_date <= $3",
        params![customer_id, to],
    )?;
    all.extend(entries::entries(
        tx,
        org_id,
        "payment_id IN (SELECT id FROM payments WHERE org_id = $1 AND customer_id = $2)
         AND invoice_id IS NULL AND effective_date <= $3",
        params![customer_id, to],
    )?);
    all.sort_by_key(|e| e.id);
    Ok(all)
}

fn names(
    tx: &mut Tx<'_>,
    sql: &str,
    org_id: i64,
    customer_id: i64,
) -> Result<BTreeMap<i64, String>, StoreError> {
    let mut map = BTreeMap::new();
    tx.query_each(sql, params![org_id, customer_id], |r| {
        map.insert(r.i64(0)?, r.string(1)?);
        Ok(())
    })?;
    Ok(map)
}

fn edges(tx: &mut Tx<'_>, org_id: i64) -> Result<AgingEdges, StoreError> {
    let text = tx
        .query_opt(
            "SELECT aging_edges FROM organisations WHERE id = $1",
            params![org_id],
            |r| r.string(0),
        )?
        .ok_or_else(|| StoreError::not_found("organisation", format!("#{org_id}")))?;
    AgingEdges::parse(&text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn statements_in(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer: &Customer,
    from: Date,
    to: Date,
) -> Result<Vec<Statement>, StoreError> {
    let edges = edges(tx, org_id)?;
    let stored = customer_entries(tx, org_id, customer.id, to)?;
    let entries: Vec<_> = stored.into_iter().map(|s| s.entry).collect();
    let invoices = entries::invoice_states(
        tx,
        org_id,
        "customer_id = $2 AND status <> 'draft' AND issue_date <= $3",
        params![customer.id, i64::from(to.day_number())],
    )?;
    let credit_notes = names(
        tx,
        "SELECT id, number FROM credit_notes WHERE org_id = $1 AND customer_id = $2",
        org_id,
        customer.id,
    )?;
    let payments = names(
        tx,
        "SELECT id, reference FROM payments WHERE org_id = $1 AND customer_id = $2",
        org_id,
        customer.id,
    )?;
    let plans = crate::plans::domain_plans(tx, org_id, "customer_id = $2", params![customer.id])?;
    statement::statements(&StatementInput {
        customer_id: customer.id,
        from,
        to,
        edges: &edges,
        entries: &entries,
        invoices: &invoices,
        credit_notes: &credit_notes,
        payments: &payments,
        plans: &plans,
    })
    .map_err(|e| StoreError::Invalid(e.to_string()))
}

impl Store {
    /// The customer's statements of account for `[from, to]`, one per
    /// currency with a balance, a movement in the period or something open
    /// at its end (none for a customer with nothing), read in one snapshot.
    pub fn statement(
        &mut self,
        org_id: i64,
        customer_ref: &str,
        from: Date,
        to: Date,
    ) -> Result<Vec<Statement>, StoreError> {
        Ok(self
            .customer_statements(org_id, customer_ref, from, to)?
            .statements)
    }

    /// [`Store::statement`] with the customer, the seller and the buyer
    /// the document prints, from the same snapshot.
    pub fn customer_statements(
        &mut self,
        org_id: i64,
        customer_ref: &str,
        from: Date,
        to: Date,
    ) -> Result<CustomerStatements, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let customer = customers::by_ref(&mut tx, org_id, customer_ref)?;
        let statements = statements_in(&mut tx, org_id, &customer, from, to)?;
        let (seller, payment) = crate::parties::seller_in(&mut tx, org_id)?;
        let buyer = crate::parties::buyer_in(&mut tx, org_id, customer.id)?;
        Ok(CustomerStatements {
            customer,
            seller,
            payment,
            buyer,
            statements,
        })
    }

    /// An invoice (by number, or `#id` for a draft) with the seller, how
    /// the seller is paid, and the buyer, its status judged as of `as_of`.
    pub fn invoice_document(
        &mut self,
        org_id: i64,
        invoice: &str,
        as_of: Date,
    ) -> Result<InvoiceDocument, StoreError> {
        let invoice = self.invoice(org_id, invoice, as_of)?;
        let mut tx = self.conn().read_transaction()?;
        let customer = customers::by_ref(&mut tx, org_id, &invoice.customer_ref)?;
        let (seller, payment) = crate::parties::seller_in(&mut tx, org_id)?;
        let buyer = crate::parties::buyer_in(&mut tx, org_id, customer.id)?;
        Ok(InvoiceDocument {
            invoice,
            seller,
            payment,
            buyer,
        })
    }
}
