//! The web UI's invoice list: cursor pages (id descending) filtered by
//! status, customer and an aging bucket (a range of due dates among the
//! open invoices), each page bounded by LIMIT.

use dun_core::Date;

use crate::entries;
use crate::error::StoreError;
use crate::invoices::{InvoiceSummary, LIST_LIMIT_MAX};
use crate::{params, Store};

#[derive(Clone, Debug, Default)]
pub struct WebInvoiceFilter {
    /// The customer's reference; empty for all.
    pub customer_ref: Option<String>,
    /// `draft`, `open`, `overdue`, `paid`, `void` (as the API's list).
    pub status: Option<String>,
    /// Only open invoices due on or after this date (an aging bucket's end).
    pub due_from: Option<Date>,
    /// Only open invoices due on or before this date.
    pub due_to: Option<Date>,
    /// What "overdue" is judged on.
    pub as_of: Option<Date>,
    /// Only ids below this one (the cursor).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// One page of the list.
#[derive(Clone, Debug, Default)]
pub struct WebInvoicePage {
    pub rows: Vec<InvoiceSummary>,
}

fn summary(r: &crate::db::Row<'_>) -> Result<InvoiceSummary, StoreError> {
    let status = r.string(8)?;
    let open = r.i64(7)?;
    let total = r.i64(6)?;
    Ok(InvoiceSummary {
        id: r.i64(0)?,
        number: r.opt_string(1)?,
        customer_ref: r.string(2)?,
        currency: entries::currency(&r.string(3)?)?,
        issue_date: Date::from_day_number(r.i64(4)? as i32),
        due_date: Date::from_day_number(r.i64(5)? as i32),
        total_minor: total,
        open_minor: open,
        status: match status.as_str() {
            "issued" if open == 0 => "paid".to_string(),
            "issued" if open < total => "partially_paid".to_string(),
            "issued" => "open".to_string(),
            s => s.to_string(),
        },
    })
}

impl Store {
    /// One page of the web UI's invoice list, newest first.
    ///
    /// Newest first is id order, read backwards through an index (migration
    /// 0010): `invoices_by_customer` for one customer's, `invoices_by_status`
    /// for drafts, void or paid ones, `invoices_by_org` for all. Open,
    /// overdue and aging-bucket pages of the whole book read the partial
    /// index of open invoices (`invoices_open_header`), which holds only
    /// them; the planner picks it once it has statistics for the indexes
    /// of migration 0010 (which ends with `ANALYZE invoices`) — without
    /// them SQLite walked `invoices_by_org` and looked up every row (a 90+
    /// page of a 1,000,000-invoice book took 150 ms instead of 16 ms).
    pub fn web_invoice_page(
        &mut self,
        org_id: i64,
        filter: &WebInvoiceFilter,
    ) -> Result<WebInvoicePage, StoreError> {
        let limit = filter.limit.clamp(1, LIST_LIMIT_MAX);
        let as_of = i64::from(filter.as_of.map_or(i32::MAX, Date::day_number));
        let status_condition = match filter.status.as_deref() {
            None | Some("all") | Some("") => "1 = 1",
            Some("draft") => "i.status = 'draft'",
            Some("open") => "i.open_minor <> 0",
            Some("overdue") => "i.open_minor <> 0 AND i.due_date < $3",
            Some("paid") => "i.status = 'issued' AND i.open_minor = 0",
            Some("void") => "i.status = 'void'",
            Some(other) => {
                return Err(StoreError::Invalid(format!(
                    "status: '{other}' is not one of all, draft, open, overdue, paid, void"
                )))
            }
        };
        let bucket = filter.due_from.is_some() || filter.due_to.is_some();
        // Without a bucket the range is every date.
        let bucket_condition = if bucket {
            "i.open_minor <> 0 AND i.due_date >= $6 AND i.due_date <= $7"
        } else {
            "i.due_date >= $6 AND i.due_date <= $7"
        };
        let due_from = i64::from(filter.due_from.map_or(i32::MIN, Date::day_number));
        let due_to = i64::from(filter.due_to.map_or(i32::MAX, Date::day_number));
        let before = filter.before_id.unwrap_or(i64::MAX);
        let mut tx = self.conn().read_transaction()?;
        // The customer by id, so their index narrows the rows; without
        // one, `customer_id <> 0` holds for every row (ids start at 1).
        let customer_id = match filter.customer_ref.as_deref().filter(|r| !r.is_empty()) {
            None => None,
            Some(reference) => match tx.query_opt(
                "SELECT id FROM customers WHERE org_id = $1 AND ref = $2",
                params![org_id, reference],
                |r| r.i64(0),
            )? {
                Some(id) => Some(id),
                None => return Ok(WebInvoicePage::default()),
            },
        };
        let customer_condition = if customer_id.is_some() {
            "i.customer_id = $2"
        } else {
            "i.customer_id <> $2"
        };
        let sql = format!(
            "SELECT i.id, i.number, c.ref, i.currency, i.issue_date, i.due_date, i.total_minor, i.open_minor, i.status
             FROM invoices i JOIN customers c ON c.id = i.customer_id AND c.org_id = i.org_id
             WHERE i.org_id = $1 AND {customer_condition} AND i.id < $5
               AND {status_condition} AND {bucket_condition}
               AND (i.due_date < $3 OR i.due_date >= $3)
             ORDER BY i.id DESC LIMIT $4"
        );
        let rows = tx.query(
            &sql,
            params![
                org_id,
                customer_id.unwrap_or(0),
                as_of,
                limit,
                before,
                due_from,
                due_to
            ],
            summary,
        )?;
        Ok(WebInvoicePage { rows })
    }
}
