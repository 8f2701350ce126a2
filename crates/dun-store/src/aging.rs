//! The aging report, read from the database.
//!
//! Two routes give the same figures (a test holds them equal on both
//! engines):
//! - **grouped in SQL**: an invoice with one due date whose last entry is on
//!   or before the report's date has, on that date, exactly its current open
//!   amount; the database sums those per customer, currency and bucket.
//! - **rebuilt from entries**: every other invoice (paid, credited or voided
//!   after the date, or split into installments) is loaded with its entries
//!   and aged by the domain, using only the entries up to the date.

use std::collections::BTreeMap;

use dun_core::aging::{AgingEdges, AgingReport};
use dun_core::Date;
use serde::Serialize;

use crate::db::{Param, Tx};
use crate::entries;
use crate::error::StoreError;
use crate::{params, Store};

#[derive(Clone, Debug, Serialize)]
pub struct CustomerName {
    pub reference: String,
    pub name: String,
}

/// `CASE WHEN $1 - due_date <= 0 THEN 0 WHEN $1 - due_date <= $2 THEN 1 … END`
fn bucket_case(edges: &AgingEdges) -> String {
    let mut sql = String::from("CASE WHEN $1 - due_date <= 0 THEN 0");
    for (i, _) in edges.days().iter().enumerate() {
        sql.push_str(&format!(" WHEN $1 - due_date <= ${} THEN {}", i + 2, i + 1));
    }
    sql.push_str(&format!(" ELSE {} END", edges.days().len() + 1));
    sql
}

fn grouped_in_sql(
    tx: &mut Tx<'_>,
    org_id: i64,
    report: &mut AgingReport,
) -> Result<(), StoreError> {
    let edges = report.edges.clone();
    let n = edges.days().len();
    // The bucket is cast: PostgreSQL types a CASE of small literals as
    // INTEGER, and every integer this crate reads is 64-bit.
    let sql = format!(
        "SELECT customer_id, currency, CAST({case} AS BIGINT) AS bucket, CAST(SUM(open_minor) AS BIGINT), COUNT(*)
         FROM invoices
         WHERE org_id = ${org} AND open_minor <> 0 AND last_entry_date <= $1 AND schedule IS NULL
         GROUP BY customer_id, currency, 3",
        case = bucket_case(&edges),
        org = n + 2,
    );
    let as_of = i64::from(report.as_of.day_number());
    let mut params: Vec<Param<'_>> = vec![as_of.into()];
    params.extend(edges.days().iter().map(|d| Param::from(i64::from(*d))));
    params.push(org_id.into());
    tx.query_each(&sql, &params, |r| {
        let currency = entries::currency(&r.string(1)?)?;
        report.add_to_bucket(
            r.i64(0)?,
            currency,
            r.i64(2)? as usize,
            r.i64(3)?,
            r.i64(4)? as u64,
        );
        Ok(())
    })
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
        let rebuild = if detail {
            "status <> 'draft' AND issue_date <= $2 AND (open_minor <> 0 OR last_entry_date > $3)"
        } else {
            grouped_in_sql(&mut tx, org_id, &mut report)?;
            "status <> 'draft' AND issue_date <= $2
             AND (last_entry_date > $3 OR (schedule IS NOT NULL AND open_minor <> 0))"
        };
        let states = entries::invoice_states(&mut tx, org_id, rebuild, params![day, day])?;
        for state in states.values() {
            report.add_invoice(state, detail);
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
