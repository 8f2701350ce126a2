//! The customer list as a user browses it: a page at a time, in reference
//! order, with what each owes per currency, filtered by status, tier,
//! overdue and a search of name and reference.

use std::collections::BTreeMap;

use dun_core::{Currency, Date};
use serde::Serialize;

use crate::error::StoreError;
use crate::{params, Store};

/// Most rows one page returns.
pub const PAGE_ROWS_MAX: i64 = 500;
/// Longest search text, in bytes.
pub const SEARCH_BYTES_MAX: usize = 100;

#[derive(Clone, Debug)]
pub struct CustomerFilter {
    /// Only customers whose reference sorts after this one (the cursor).
    pub after_ref: Option<String>,
    /// Only the customer with exactly this reference.
    pub reference: Option<String>,
    /// `active`, `hold`, `cod`, … as stored.
    pub status: Option<String>,
    /// A risk tier as stored (`new`, `A`, `B`, …).
    pub tier: Option<String>,
    /// Only customers with an invoice past due on `as_of`.
    pub overdue: bool,
    /// Part of the name or reference, any case.
    pub search: Option<String>,
    /// The day "overdue" is judged on.
    pub as_of: Date,
    /// Rows to return (the caller asks one more to know if there is more).
    pub limit: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomerOwes {
    pub currency: Currency,
    pub open_minor: i64,
    pub overdue_minor: i64,
    pub open_invoices: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomerListRow {
    pub id: i64,
    pub reference: String,
    pub name: String,
    pub email: Option<String>,
    pub status: String,
    pub tier: String,
    pub owes: Vec<CustomerOwes>,
}

impl Store {
    pub fn customer_page(
        &mut self,
        org_id: i64,
        filter: &CustomerFilter,
    ) -> Result<Vec<CustomerListRow>, StoreError> {
        let limit = filter.limit.clamp(1, PAGE_ROWS_MAX + 1);
        let search = match filter.search.as_deref().map(str::trim) {
            Some(s) if s.len() > SEARCH_BYTES_MAX => {
                return Err(StoreError::Invalid(format!(
                    "q: longer than {SEARCH_BYTES_MAX} bytes"
                )))
            }
            Some(s) if !s.is_empty() => {
                let escaped = s
                    .to_lowercase()
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                format!("%{escaped}%")
            }
            _ => String::new(),
        };
        let as_of = i64::from(filter.as_of.day_number());
        let mut tx = self.conn().read_transaction()?;
        let mut rows = tx.query(
            "SELECT c.id, c.ref, c.name, c.email, c.status, c.tier
             FROM customers c
             WHERE c.org_id = $1 AND c.ref > $2
               AND ($3 = '' OR c.status = $3)
               AND ($4 = '' OR c.tier = $4)
               AND ($5 = '' OR LOWER(c.name) LIKE $5 ESCAPE '\\' OR LOWER(c.ref) LIKE $5 ESCAPE '\\')
               AND (CAST($6 AS BIGINT) = 0 OR EXISTS (
                    SELECT 1 FROM invoices i
                    WHERE i.org_id = c.org_id AND i.customer_id = c.id
                      AND i.open_minor <> 0 AND i.due_date < $7))
               AND ($9 = '' OR c.ref = $9)
             ORDER BY c.ref LIMIT $8",
            params![
                org_id,
                filter.after_ref.as_deref().unwrap_or(""),
                filter.status.as_deref().unwrap_or(""),
                filter.tier.as_deref().unwrap_or(""),
                search.as_str(),
                i64::from(filter.overdue),
                as_of,
                limit,
                filter.reference.as_deref().unwrap_or("")
            ],
            |r| {
                Ok(CustomerListRow {
                    id: r.i64(0)?,
                    reference: r.string(1)?,
                    name: r.string(2)?,
                    email: r.opt_string(3)?,
                    status: r.string(4)?,
                    tier: r.string(5)?,
                    owes: Vec::new(),
                })
            },
        )?;
        if rows.is_empty() {
            return Ok(rows);
        }
        // One query serves the whole page.
        let ids = crate::db::placeholders(3, rows.len());
        let mut bound: Vec<crate::db::Param<'_>> = vec![org_id.into(), as_of.into()];
        bound.extend(rows.iter().map(|r| crate::db::Param::from(r.id)));
        let mut owes: BTreeMap<i64, Vec<CustomerOwes>> = BTreeMap::new();
        tx.query_each(
            &format!(
                "SELECT customer_id, currency, CAST(SUM(open_minor) AS BIGINT),
                    CAST(SUM(CASE WHEN due_date < $2 THEN open_minor ELSE 0 END) AS BIGINT), COUNT(*)
                 FROM invoices
                 WHERE org_id = $1 AND open_minor <> 0 AND customer_id IN ({ids})
                 GROUP BY customer_id, currency ORDER BY customer_id, currency"
            ),
            &bound,
            |r| {
                owes.entry(r.i64(0)?).or_default().push(CustomerOwes {
                    currency: crate::entries::currency(&r.string(1)?)?,
                    open_minor: r.i64(2)?,
                    overdue_minor: r.i64(3)?,
                    open_invoices: r.i64(4)?,
                });
                Ok(())
            },
        )?;
        for row in &mut rows {
            row.owes = owes.remove(&row.id).unwrap_or_default();
        }
        Ok(rows)
    }
}
