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
//!
//! An invoice under a payment plan that stood on the date is owed by the
//! plan's installments' dates; it is taken out of both routes and aged by
//! the plan ([`AgingReport::add_plan`]).

use std::collections::{BTreeMap, HashSet};

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

/// An invoice's open amount on the report's date, kept to age by its plan.
struct Owned {
    customer_id: i64,
    invoice_id: i64,
    number: String,
    currency: Currency,
    open_minor: i64,
}

/// Ages the unmoved invoices row by row (listed with `detail`); those in
/// `covered` go to `under_plan` instead.
fn unmoved_listed(
    tx: &mut Tx<'_>,
    org_id: i64,
    report: &mut AgingReport,
    covered: &HashSet<i64>,
    under_plan: &mut Vec<Owned>,
    detail: bool,
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
            if covered.contains(&item.invoice_id) {
                under_plan.push(Owned {
                    customer_id: item.customer_id,
                    invoice_id: item.invoice_id,
                    currency: item.currency,
                    open_minor: item.open_minor,
                    number,
                });
            } else {
                report.add_item(&item, detail);
            }
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
        let day = i64::from(as_of.day_number());
        // Invoices under a plan that stood on the day are owed by its
        // installments' dates: gathered apart, then aged by the plan.
        let plans = crate::plans::domain_plans(
            &mut tx,
            org_id,
            "created_on <= $2 AND (status <> 'defaulted' OR defaulted_on > $2)",
            params![day],
        )?;
        let covered: HashSet<i64> = plans
            .iter()
            .flat_map(|p| p.invoice_ids.iter().copied())
            .collect();
        let mut under_plan: Vec<Owned> = Vec::new();
        if detail || !covered.is_empty() {
            unmoved_listed(
                &mut tx,
                org_id,
                &mut report,
                &covered,
                &mut under_plan,
                detail,
            )?;
        } else {
            unmoved_summed(&mut tx, org_id, &mut report)?;
        }
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
                if covered.contains(&state.id) {
                    under_plan.push(Owned {
                        customer_id: state.customer_id,
                        invoice_id: state.id,
                        number: state.number.clone(),
                        currency: state.currency,
                        open_minor: state.open_as_of(as_of),
                    });
                } else {
                    report.add_invoice(state, detail);
                }
            }
        }
        let open: Vec<OpenItem<'_>> = under_plan
            .iter()
            .map(|o| OpenItem {
                customer_id: o.customer_id,
                invoice_id: o.invoice_id,
                number: &o.number,
                currency: o.currency,
                due_date: as_of,
                open_minor: o.open_minor,
            })
            .collect();
        for plan in &plans {
            report.add_plan(plan, &open, detail);
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
