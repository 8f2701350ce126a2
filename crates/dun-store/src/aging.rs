//! The aging report, read from the database.
//!
//! Two routes give the same figures (a test holds them equal on both
//! engines):
//! - **from the open-invoice index**: an invoice with one due date whose
//!   last entry is on or before the report's date has, on that date, exactly
//!   its current open amount. The partial index `invoices_open` covers every
//!   column this needs, so the database sums it per customer, currency and
//!   bucket without reading the invoices themselves.
//! - **rebuilt from entries**: every other invoice (one that moved after the
//!   date, or is split into installments) is loaded with its entries and aged
//!   by the domain, using only the entries up to the date.

use std::collections::BTreeMap;

use dun_core::aging::{AgingEdges, AgingReport, OpenItem};
use dun_core::{Currency, Date};
use serde::Serialize;

use crate::db::Tx;
use crate::entries;
use crate::error::StoreError;
use crate::{params, Store};

#[derive(Clone, Debug, Serialize)]
pub struct CustomerName {
    pub reference: String,
    pub name: String,
}

/// Invoices whose open amount today is their open amount on `$1`.
/// The unary `+` (valid on both engines) keeps SQLite's planner, which has
/// no statistics, from choosing `invoices_by_last_entry` over the covering
/// `invoices_open`.
const UNMOVED: &str =
    "org_id = $2 AND open_minor <> 0 AND +last_entry_date <= $1 AND installment_count = 1";

/// Ages the unmoved invoices in one pass over the covering index: the
/// database streams `(customer, currency, due date, open amount)` and the
/// domain's bucket rule sorts them. (Bucketing in SQL with a conditional SUM
/// per bucket measured slower in SQLite: ten CASE evaluations per row.)
fn unmoved_summed(
    tx: &mut Tx<'_>,
    org_id: i64,
    report: &mut AgingReport,
) -> Result<(), StoreError> {
    let as_of = i64::from(report.as_of.day_number());
    let mut last: Option<(String, Currency)> = None;
    tx.query_each(
        &format!(
            "SELECT customer_id, currency, due_date, open_minor FROM invoices WHERE {UNMOVED}"
        ),
        params![as_of, org_id],
        |r| {
            let code = r.string(1)?;
            let currency = match &last {
                Some((known, currency)) if *known == code => *currency,
                _ => {
                    let currency = entries::currency(&code)?;
                    last = Some((code, currency));
                    currency
                }
            };
            report.add(
                r.i64(0)?,
                currency,
                Date::from_day_number(r.i64(2)? as i32),
                r.i64(3)?,
            );
            Ok(())
        },
    )
}

fn unmoved_listed(
    tx: &mut Tx<'_>,
    org_id: i64,
    report: &mut AgingReport,
) -> Result<(), StoreError> {
    let as_of = i64::from(report.as_of.day_number());
    tx.query_each(
        &format!("SELECT id, number, customer_id, currency, due_date, open_minor FROM invoices WHERE {UNMOVED}"),
        params![as_of, org_id],
        |r| {
            let number = r.string(1)?;
            let item = OpenItem {
                invoice_id: r.i64(0)?,
                number: &number,
                customer_id: r.i64(2)?,
                currency: entries::currency(&r.string(3)?)?,
                due_date: Date::from_day_number(r.i64(4)? as i32),
                open_minor: r.i64(5)?,
            };
            report.add_item(&item, true);
            Ok(())
        },
    )
}

impl Store {
    /// The aging as of `as_of`; with `detail`, every open part is listed.
    pub fn aging(
        &mut self,
        org_id: i64,
        as_of: Date,
        edges: &AgingEdges,
        detail: bool,
    ) -> Result<(AgingReport, BTreeMap<i64, CustomerName>), StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let mut report = AgingReport::new(as_of, edges.clone());
        if detail {
            unmoved_listed(&mut tx, org_id, &mut report)?;
        } else {
            unmoved_summed(&mut tx, org_id, &mut report)?;
        }
        let day = i64::from(as_of.day_number());
        // Each condition is answered by an index; together with UNMOVED they
        // cover every invoice issued by the date exactly once.
        for rebuild in [
            "open_minor <> 0 AND installment_count > 1 AND last_entry_date <= $2",
            "last_entry_date > $2 AND issue_date <= $3 AND status <> 'draft'",
        ] {
            let params = if rebuild.contains("$3") {
                params![day, day]
            } else {
                params![day]
            };
            for state in entries::invoice_states(&mut tx, org_id, rebuild, params)?.values() {
                report.add_invoice(state, detail);
            }
        }
        let mut names = BTreeMap::new();
        tx.query_each(
            "SELECT id, ref, name FROM customers WHERE org_id = $1",
            params![org_id],
            |r| {
                names.insert(
                    r.i64(0)?,
                    CustomerName {
                        reference: r.string(1)?,
                        name: r.string(2)?,
                    },
                );
                Ok(())
            },
        )?;
        Ok((report.normalized(), names))
    }
}
