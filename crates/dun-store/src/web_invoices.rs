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

/// Invoice ids a page looks through when no index serves its filter
/// (drafts, void invoices): a page reads at most this many rows, and the
/// next page goes on further back.
pub const SCAN_WINDOW: i64 = 20_000;

/// One page of the list.
#[derive(Clone, Debug, Default)]
pub struct WebInvoicePage {
    pub rows: Vec<InvoiceSummary>,
    /// Set when a page looked through a window of ids only and older ones
    /// remain: the next page goes on below this id.
    pub searched_down_to: Option<i64>,
}

const COLUMNS: &str = "SELECT i.id, i.number, c.ref, i.currency, i.issue_date, i.due_date, i.total_minor, i.open_minor, i.status
     FROM invoices i JOIN customers c ON c.id = i.customer_id AND c.org_id = i.org_id";

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
    /// Each filter is read through an index that returns rows in id order
    /// or a customer's few: open, overdue and aging buckets through the
    /// partial indexes on open invoices; paid ones of a customer through
    /// `invoices_settled`; everything, or paid, in id order from the
    /// newest (most rows match, so LIMIT ends it soon). A customer's
    /// invoices of any status are their open ones and their settled ones
    /// (drafts and void invoices under those statuses). Drafts and void
    /// invoices have no index: a page looks through [`SCAN_WINDOW`] ids.
    pub fn web_invoice_page(
        &mut self,
        org_id: i64,
        filter: &WebInvoiceFilter,
    ) -> Result<WebInvoicePage, StoreError> {
        let limit = filter.limit.clamp(1, LIST_LIMIT_MAX);
        let as_of = i64::from(filter.as_of.map_or(i32::MAX, Date::day_number));
        let status = filter
            .status
            .as_deref()
            .filter(|s| !s.is_empty() && *s != "all");
        if let Some(other) =
            status.filter(|s| !["draft", "open", "overdue", "paid", "void"].contains(s))
        {
            return Err(StoreError::Invalid(format!(
                "status: '{other}' is not one of all, draft, open, overdue, paid, void"
            )));
        }
        let bucket = filter.due_from.is_some() || filter.due_to.is_some();
        let due_from = i64::from(filter.due_from.map_or(i32::MIN, Date::day_number));
        let due_to = i64::from(filter.due_to.map_or(i32::MAX, Date::day_number));
        let before = filter.before_id.unwrap_or(i64::MAX);
        let mut tx = self.conn().read_transaction()?;
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
        // `$2` is the customer (`<> 0` when none: ids start at 1), `$3` the
        // day "overdue" is judged on, `$6`/`$7` the due dates of a bucket.
        let customer_condition = if customer_id.is_some() {
            "i.customer_id = $2"
        } else {
            "i.customer_id <> $2"
        };
        let run = |tx: &mut crate::db::Tx<'_>, org: &str, condition: &str, low: i64| {
            let sql = format!(
                "{COLUMNS}
                 WHERE {org} AND {customer_condition} AND i.id < $5 AND i.id >= $8 AND {condition}
                   AND i.due_date >= $6 AND i.due_date <= $7 AND (i.due_date < $3 OR i.due_date >= $3)
                 ORDER BY i.id DESC LIMIT $4"
            );
            tx.query(
                &sql,
                params![
                    org_id,
                    customer_id.unwrap_or(0),
                    as_of,
                    limit,
                    before,
                    due_from,
                    due_to,
                    low
                ],
                summary,
            )
        };
        // The organisation through an index (`org_id = $1`), or not
        // (`+i.org_id`), so the rows come in id order from the newest.
        const INDEXED: &str = "i.org_id = $1";
        const ID_ORDER: &str = "+i.org_id = $1";
        let open = "i.open_minor <> 0";
        let mut page = WebInvoicePage::default();
        match status {
            _ if bucket => {
                let extra = match status {
                    Some("draft") | Some("void") | Some("paid") => return Ok(page),
                    _ => "i.open_minor <> 0 AND i.status = 'issued'",
                };
                page.rows = run(&mut tx, INDEXED, extra, i64::MIN)?;
            }
            Some("open") => page.rows = run(&mut tx, INDEXED, open, i64::MIN)?,
            Some("overdue") => {
                page.rows = run(
                    &mut tx,
                    INDEXED,
                    "i.open_minor <> 0 AND i.due_date < $3",
                    i64::MIN,
                )?
            }
            Some("paid") => {
                let org = if customer_id.is_some() {
                    INDEXED
                } else {
                    ID_ORDER
                };
                page.rows = run(
                    &mut tx,
                    org,
                    "i.status = 'issued' AND i.open_minor = 0",
                    i64::MIN,
                )?;
            }
            Some(which) => {
                // Drafts or void invoices: a window of ids.
                let condition = if which == "draft" {
                    "i.status = 'draft'"
                } else {
                    "i.status = 'void'"
                };
                let top = tx
                    .query_opt(
                        "SELECT i.id FROM invoices i WHERE +i.org_id = $1 AND i.id < $2 ORDER BY i.id DESC LIMIT 1",
                        params![org_id, before],
                        |r| r.i64(0),
                    )?
                    .unwrap_or(0);
                let low = top - SCAN_WINDOW + 1;
                page.rows = run(&mut tx, ID_ORDER, condition, low)?;
                if (page.rows.len() as i64) < limit && low > 1 {
                    page.searched_down_to = Some(low);
                }
            }
            None if customer_id.is_some() => {
                // A customer's open invoices and settled ones, merged.
                let mut rows = run(&mut tx, INDEXED, open, i64::MIN)?;
                rows.extend(run(
                    &mut tx,
                    INDEXED,
                    "i.status = 'issued' AND i.open_minor = 0",
                    i64::MIN,
                )?);
                rows.sort_by_key(|r| std::cmp::Reverse(r.id));
                rows.truncate(limit as usize);
                page.rows = rows;
            }
            None => page.rows = run(&mut tx, ID_ORDER, "1 = 1", i64::MIN)?,
        }
        Ok(page)
    }
}
