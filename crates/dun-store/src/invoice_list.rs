//! The invoice list: one query every shell's list reads (the CLI's `dun
//! invoice list`, the API's `GET /invoices`, the web's invoice pages, a
//! customer's page), with typed filters and the domain's status words.
//!
//! Newest first is id order, read backwards through an index (migration
//! 0010): `invoices_by_customer` for one customer's, `invoices_by_status`
//! for drafts, void or settled ones, `invoices_by_org` for all. Open,
//! overdue and aging-bucket pages of the whole book read the partial index
//! of open invoices (`invoices_open_header`), which holds only them.
//!
//! A row's status is the domain's ([`Reductions::status`]) from the sums
//! of its entries by kind, read for the page's rows in one query: a paid,
//! a credited and a written-off invoice say so everywhere.

use std::collections::HashMap;

use dun_core::state::{Reductions, SettlementStatus};
use dun_core::Date;

use crate::db::{Param, Tx};
use crate::entries;
use crate::error::StoreError;
use crate::invoices::{InvoiceSummary, LIST_LIMIT_MAX};
use crate::{params, Store};

/// Which invoices a list shows, by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusFilter {
    #[default]
    All,
    /// Anything still owed — open, partially paid or partially credited:
    /// the open items, as `open` means in a list.
    Open,
    /// Still owed and past due on the list's date.
    Overdue,
    /// Nothing owed any more: paid, credited or written off.
    Settled,
    /// Exactly this status.
    Is(SettlementStatus),
}

impl StatusFilter {
    /// The words a list accepts: the groups, and every status word (as a
    /// filter `open` is the group: every invoice still owed).
    pub fn words() -> Vec<&'static str> {
        let mut words = vec!["all", "open", "overdue", "settled"];
        words.extend(
            SettlementStatus::ALL
                .iter()
                .map(|s| s.as_str())
                .filter(|w| *w != "open"),
        );
        words
    }

    pub fn parse(word: &str) -> Result<StatusFilter, StoreError> {
        Ok(match word {
            "" | "all" => StatusFilter::All,
            "open" => StatusFilter::Open,
            "overdue" => StatusFilter::Overdue,
            "settled" => StatusFilter::Settled,
            other => match SettlementStatus::parse(other) {
                Some(s) => StatusFilter::Is(s),
                None => {
                    return Err(StoreError::Invalid(format!(
                        "status: '{other}' is not one of {}",
                        StatusFilter::words().join(", ")
                    )))
                }
            },
        })
    }

    /// The SQL that narrows the rows (`$3` is the list's date); the
    /// domain's status of each row is then checked exactly.
    fn condition(self) -> &'static str {
        use SettlementStatus as S;
        match self {
            StatusFilter::All => "1 = 1",
            StatusFilter::Is(S::Draft) => "i.status = 'draft'",
            StatusFilter::Is(S::Void) => "i.status = 'void'",
            StatusFilter::Open
            | StatusFilter::Is(S::Open | S::PartiallyPaid | S::PartiallyCredited) => {
                "i.open_minor <> 0"
            }
            StatusFilter::Overdue => "i.open_minor <> 0 AND i.due_date < $3",
            StatusFilter::Settled => "i.status = 'issued' AND i.open_minor = 0",
            StatusFilter::Is(S::WrittenOff) => {
                "i.status = 'issued' AND i.open_minor = 0 AND EXISTS (SELECT 1 FROM write_offs w
                    WHERE w.org_id = i.org_id AND w.invoice_id = i.id AND w.reversed_on IS NULL)"
            }
            StatusFilter::Is(S::Paid | S::Credited) => {
                "i.status = 'issued' AND i.open_minor = 0 AND NOT EXISTS (SELECT 1 FROM write_offs w
                    WHERE w.org_id = i.org_id AND w.invoice_id = i.id AND w.reversed_on IS NULL)"
            }
        }
    }

    fn admits(self, status: SettlementStatus) -> bool {
        match self {
            StatusFilter::All => true,
            StatusFilter::Open | StatusFilter::Overdue => status.is_open(),
            StatusFilter::Settled => status.is_settled(),
            StatusFilter::Is(s) => s == status,
        }
    }
}

/// What an invoice list asks for.
#[derive(Clone, Debug, Default)]
pub struct InvoiceFilter {
    pub customer_ref: Option<String>,
    pub status: StatusFilter,
    /// What "overdue" is judged on.
    pub as_of: Option<Date>,
    /// Only invoices issued by this day.
    pub issued_by: Option<Date>,
    /// Only open invoices due on or after this date (an aging bucket's end).
    pub due_from: Option<Date>,
    /// Only open invoices due on or before this date.
    pub due_to: Option<Date>,
    /// Only ids below this one (the cursor of the next page).
    pub before_id: Option<i64>,
    pub limit: i64,
}

fn day(date: Option<Date>, none: i32) -> i64 {
    i64::from(date.map_or(none, Date::day_number))
}

/// Each issued row's status, from its entries' sums by kind (one query).
fn statuses(
    tx: &mut Tx<'_>,
    org_id: i64,
    rows: &[(InvoiceSummary, String)],
) -> Result<HashMap<i64, SettlementStatus>, StoreError> {
    let ids: Vec<String> = rows
        .iter()
        .filter(|(_, stored)| stored == "issued")
        .map(|(r, _)| r.id.to_string())
        .collect();
    let mut sums: HashMap<i64, Reductions> = HashMap::new();
    if !ids.is_empty() {
        // Ids the database gave, written as numbers.
        tx.query_each(
            &format!(
                "SELECT invoice_id, kind, CAST(SUM(ar_minor) AS BIGINT) FROM ledger_entries
                 WHERE org_id = $1 AND invoice_id IN ({}) GROUP BY invoice_id, kind",
                ids.join(", ")
            ),
            params![org_id],
            |r| {
                let kind = entries::kind(&r.string(1)?)?;
                sums.entry(r.i64(0)?).or_default().add(kind, r.i64(2)?);
                Ok(())
            },
        )?;
    }
    Ok(rows
        .iter()
        .map(|(r, stored)| {
            let status = match stored.as_str() {
                "draft" => SettlementStatus::Draft,
                "void" => SettlementStatus::Void,
                _ => sums
                    .get(&r.id)
                    .copied()
                    .unwrap_or_default()
                    .status(r.open_minor),
            };
            (r.id, status)
        })
        .collect())
}

impl Store {
    /// Invoices, newest first, filtered: every shell's list.
    pub fn invoices(
        &mut self,
        org_id: i64,
        filter: &InvoiceFilter,
    ) -> Result<Vec<InvoiceSummary>, StoreError> {
        let limit = filter.limit.clamp(1, LIST_LIMIT_MAX);
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
                None => return Ok(Vec::new()),
            },
        };
        let customer_condition = if customer_id.is_some() {
            "i.customer_id = $2"
        } else {
            "i.customer_id <> $2"
        };
        let bucket_condition = if filter.due_from.is_some() || filter.due_to.is_some() {
            "i.open_minor <> 0 AND i.due_date >= $6 AND i.due_date <= $7"
        } else {
            "i.due_date >= $6 AND i.due_date <= $7"
        };
        // `$3` appears in every statement (as a tautology where no filter
        // needs it) so PostgreSQL always knows its type.
        let sql = format!(
            "SELECT i.id, i.number, c.ref, i.currency, i.issue_date, i.due_date, i.total_minor,
                i.open_minor, i.status, c.name
             FROM invoices i JOIN customers c ON c.id = i.customer_id AND c.org_id = i.org_id
             WHERE i.org_id = $1 AND {customer_condition} AND i.id < $5 AND i.issue_date <= $8
               AND {} AND {bucket_condition} AND (i.due_date < $3 OR i.due_date >= $3)
             ORDER BY i.id DESC LIMIT $4",
            filter.status.condition()
        );
        let as_of = day(filter.as_of, i32::MAX);
        let (due_from, due_to) = (day(filter.due_from, i32::MIN), day(filter.due_to, i32::MAX));
        let issued_by = day(filter.issued_by, i32::MAX);
        let mut before = filter.before_id.unwrap_or(i64::MAX);
        let mut out = Vec::new();
        // The SQL narrows; the domain's status decides. A page short of
        // matches reads on from where it stopped.
        loop {
            let params: [Param<'_>; 8] = [
                org_id.into(),
                customer_id.unwrap_or(0).into(),
                as_of.into(),
                limit.into(),
                before.into(),
                due_from.into(),
                due_to.into(),
                issued_by.into(),
            ];
            let rows = tx.query(&sql, &params, |r| {
                Ok((
                    InvoiceSummary {
                        id: r.i64(0)?,
                        number: r.opt_string(1)?,
                        customer_ref: r.string(2)?,
                        customer_name: r.string(9)?,
                        currency: entries::currency(&r.string(3)?)?,
                        issue_date: Date::from_day_number(r.i64(4)? as i32),
                        due_date: Date::from_day_number(r.i64(5)? as i32),
                        total_minor: r.i64(6)?,
                        open_minor: r.i64(7)?,
                        status: String::new(),
                    },
                    r.string(8)?,
                ))
            })?;
            let full = rows.len() as i64 == limit;
            let statuses = statuses(&mut tx, org_id, &rows)?;
            for (mut row, _) in rows {
                before = row.id;
                let status = statuses[&row.id];
                if filter.status.admits(status) && (out.len() as i64) < limit {
                    row.status = status.as_str().to_string();
                    out.push(row);
                }
            }
            if !full || out.len() as i64 >= limit {
                return Ok(out);
            }
        }
    }
}
