//! The customer list as a user browses it: a page at a time, in reference
//! order (or by what is owed, days past due or name: [`CustomerSort`]),
//! with what each owes per currency, filtered by status, tier, overdue and
//! a search of name and reference.

use std::collections::BTreeMap;

use dun_core::{Currency, Date};
use serde::Serialize;

use crate::error::StoreError;
use crate::{params, Store};

/// Most rows one page returns.
pub const PAGE_ROWS_MAX: i64 = 500;
/// Longest search text, in bytes.
pub const SEARCH_BYTES_MAX: usize = 100;

/// The order of the customer list, each ending in the reference so that
/// the order is total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CustomerSort {
    /// By reference; pages by the `after_ref` cursor.
    #[default]
    Reference,
    /// Most owed in the organisation's currency first (amounts in other
    /// currencies are never added to it).
    Owed,
    /// Longest past due first (the oldest overdue open invoice), then
    /// those with nothing past due.
    DaysLate,
    /// By name, any case.
    Name,
}

impl CustomerSort {
    pub const ALL: [CustomerSort; 4] = [
        CustomerSort::Owed,
        CustomerSort::DaysLate,
        CustomerSort::Name,
        CustomerSort::Reference,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CustomerSort::Reference => "reference",
            CustomerSort::Owed => "owed",
            CustomerSort::DaysLate => "days_late",
            CustomerSort::Name => "name",
        }
    }

    pub fn parse(text: &str) -> Option<CustomerSort> {
        CustomerSort::ALL
            .into_iter()
            .find(|s| s.as_str() == text.trim())
    }

    /// The SQL order (the page's query names `$7` as the day judged on
    /// and `$10` as the organisation's currency).
    fn order_by(self) -> &'static str {
        match self {
            CustomerSort::Reference => "c.ref",
            CustomerSort::Owed => {
                "COALESCE((SELECT SUM(o.open_minor) FROM invoices o
                    WHERE o.org_id = c.org_id AND o.customer_id = c.id AND o.currency = $10), 0) DESC,
                 c.ref"
            }
            CustomerSort::DaysLate => {
                "COALESCE((SELECT MIN(o.due_date) FROM invoices o
                    WHERE o.org_id = c.org_id AND o.customer_id = c.id
                      AND o.open_minor <> 0 AND o.due_date < $7), 2147483647),
                 c.ref"
            }
            CustomerSort::Name => "LOWER(c.name), c.ref",
        }
    }
}

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
    pub phone: Option<String>,
    pub status: String,
    pub tier: String,
    pub owes: Vec<CustomerOwes>,
    /// Days the oldest overdue open invoice is past due (0: none is).
    pub days_late: i32,
}

impl Store {
    pub fn customer_page(
        &mut self,
        org_id: i64,
        filter: &CustomerFilter,
    ) -> Result<Vec<CustomerListRow>, StoreError> {
        self.customer_page_sorted(org_id, filter, CustomerSort::Reference, 0)
    }

    /// [`Self::customer_page`] in `sort`'s order, skipping the first
    /// `offset` rows (orders other than by reference page by offset).
    pub fn customer_page_sorted(
        &mut self,
        org_id: i64,
        filter: &CustomerFilter,
        sort: CustomerSort,
        offset: i64,
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
        let home = crate::credit_file::org_currency(&mut tx, org_id)?;
        let mut rows = tx.query(
            &format!(
            "SELECT c.id, c.ref, c.name, c.email, c.status, c.tier, c.phone
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
               AND (c.ref <> $10 OR c.ref = $10)
             ORDER BY {} LIMIT $8 OFFSET $11",
                sort.order_by()
            ),
            params![
                org_id,
                filter.after_ref.as_deref().unwrap_or(""),
                filter.status.as_deref().unwrap_or(""),
                filter.tier.as_deref().unwrap_or(""),
                search.as_str(),
                i64::from(filter.overdue),
                as_of,
                limit,
                filter.reference.as_deref().unwrap_or(""),
                home.code(),
                offset.max(0)
            ],
            |r| {
                Ok(CustomerListRow {
                    id: r.i64(0)?,
                    reference: r.string(1)?,
                    name: r.string(2)?,
                    email: r.opt_string(3)?,
                    status: r.string(4)?,
                    tier: r.string(5)?,
                    phone: r.opt_string(6)?,
                    owes: Vec::new(),
                    days_late: 0,
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
        let mut oldest_due: BTreeMap<i64, i64> = BTreeMap::new();
        tx.query_each(
            &format!(
                "SELECT customer_id, currency, CAST(SUM(open_minor) AS BIGINT),
                    CAST(SUM(CASE WHEN due_date < $2 THEN open_minor ELSE 0 END) AS BIGINT), COUNT(*),
                    MIN(CASE WHEN due_date < $2 THEN due_date END)
                 FROM invoices
                 WHERE org_id = $1 AND open_minor <> 0 AND customer_id IN ({ids})
                 GROUP BY customer_id, currency ORDER BY customer_id, currency"
            ),
            &bound,
            |r| {
                if let Some(due) = r.opt_i64(5)? {
                    let oldest = oldest_due.entry(r.i64(0)?).or_insert(due);
                    *oldest = (*oldest).min(due);
                }
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
            row.days_late = oldest_due
                .get(&row.id)
                .map_or(0, |due| i32::try_from(as_of - due).unwrap_or(i32::MAX));
        }
        Ok(rows)
    }
}
