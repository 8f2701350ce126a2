//! The aging report: open amounts by how many days past due they are.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::collections::plan::Plan;
use crate::currency::Currency;
use crate::date::Date;
use crate::state::InvoiceState;

/// Most bucket edges an aging report may have.
pub const EDGES_MAX: usize = 12;

/// Bucket edges in days past due. `[30, 60, 90]` gives the buckets
/// current (not yet due), 1–30, 31–60, 61–90 and 90+.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AgingEdges(Vec<u32>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' are not aging bucket edges; give 1 to {EDGES_MAX} increasing whole numbers of days, e.g. 30,60,90")]
pub struct EdgesError(pub String);

impl AgingEdges {
    pub fn parse(text: &str) -> Result<AgingEdges, EdgesError> {
        let error = || EdgesError(text.to_string());
        let edges: Vec<u32> = text
            .split(',')
            .map(|p| p.trim().parse::<u32>().map_err(|_| error()))
            .collect::<Result<_, _>>()?;
        if edges.is_empty() || edges.len() > EDGES_MAX || edges[0] == 0 {
            return Err(error());
        }
        if edges.windows(2).any(|w| w[0] >= w[1]) {
            return Err(error());
        }
        Ok(AgingEdges(edges))
    }

    pub fn standard() -> AgingEdges {
        AgingEdges(vec![30, 60, 90])
    }

    pub fn days(&self) -> &[u32] {
        &self.0
    }

    pub fn bucket_count(&self) -> usize {
        self.0.len() + 2
    }

    /// Index of the bucket for `days_past_due`: 0 is current.
    pub fn bucket(&self, days_past_due: i32) -> usize {
        if days_past_due <= 0 {
            return 0;
        }
        let days = days_past_due as u32;
        self.0
            .iter()
            .position(|edge| days <= *edge)
            .map_or(self.0.len() + 1, |i| i + 1)
    }

    /// Labels: `current`, `1-30`, `31-60`, `61-90`, `90+`.
    pub fn labels(&self) -> Vec<String> {
        let mut labels = vec!["current".to_string()];
        let mut low = 1;
        for edge in &self.0 {
            labels.push(format!("{low}-{edge}"));
            low = edge + 1;
        }
        labels.push(format!("{}+", self.0.last().copied().unwrap_or(0)));
        labels
    }
}

impl std::fmt::Display for AgingEdges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u32::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

/// Amounts and item counts per bucket for one customer (or the total) in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AgingRow {
    pub amounts_minor: Vec<i64>,
    pub counts: Vec<u64>,
}

impl AgingRow {
    pub fn new(buckets: usize) -> AgingRow {
        AgingRow {
            amounts_minor: vec![0; buckets],
            counts: vec![0; buckets],
        }
    }

    pub fn total_minor(&self) -> i64 {
        self.amounts_minor.iter().sum()
    }

    pub fn add(&mut self, bucket: usize, amount_minor: i64, count: u64) {
        self.amounts_minor[bucket] += amount_minor;
        self.counts[bucket] += count;
    }
}

/// One open part of one invoice, for the detail view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AgingItem {
    pub customer_id: i64,
    pub invoice_id: i64,
    pub number: String,
    pub currency: Currency,
    pub due_date: Date,
    pub days_past_due: i32,
    pub bucket: usize,
    pub open_minor: i64,
}

/// An amount open on one invoice (or one installment of it), due on one date.
#[derive(Clone, Copy, Debug)]
pub struct OpenItem<'a> {
    pub customer_id: i64,
    pub invoice_id: i64,
    pub number: &'a str,
    pub currency: Currency,
    pub due_date: Date,
    pub open_minor: i64,
}

/// The aging of a book as of one date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AgingReport {
    pub as_of: Date,
    pub edges: AgingEdges,
    /// Per (customer id, currency).
    pub rows: BTreeMap<(i64, Currency), AgingRow>,
    /// Filled only when the detail was asked for.
    pub items: Vec<AgingItem>,
}

impl AgingReport {
    pub fn new(as_of: Date, edges: AgingEdges) -> AgingReport {
        AgingReport {
            as_of,
            edges,
            rows: BTreeMap::new(),
            items: Vec::new(),
        }
    }

    /// Adds an amount that fell due on `due_date`.
    pub fn add(&mut self, customer_id: i64, currency: Currency, due_date: Date, amount_minor: i64) {
        let bucket = self.edges.bucket(self.as_of.days_since(due_date));
        self.add_to_bucket(customer_id, currency, bucket, amount_minor, 1);
    }

    /// Adds pre-summed figures for one bucket.
    pub fn add_to_bucket(
        &mut self,
        customer_id: i64,
        currency: Currency,
        bucket: usize,
        amount_minor: i64,
        count: u64,
    ) {
        let buckets = self.edges.bucket_count();
        self.rows
            .entry((customer_id, currency))
            .or_insert_with(|| AgingRow::new(buckets))
            .add(bucket, amount_minor, count);
    }

    /// Adds every part of `invoice` open on the report's date.
    pub fn add_invoice(&mut self, invoice: &InvoiceState, detail: bool) {
        for part in invoice.open_parts_as_of(self.as_of) {
            let item = OpenItem {
                customer_id: invoice.customer_id,
                invoice_id: invoice.id,
                number: &invoice.number,
                currency: invoice.currency,
                due_date: part.due_date,
                open_minor: part.amount_minor,
            };
            self.add_item(&item, detail);
        }
    }

    /// Adds what the invoices of a plan that stood on the report's date
    /// have open (`open`: one item per covered invoice, any due date), each
    /// part in the bucket of the installment it is owed with.
    pub fn add_plan(&mut self, plan: &Plan, open: &[OpenItem<'_>], detail: bool) {
        let in_order: Vec<&OpenItem<'_>> = plan
            .invoice_ids
            .iter()
            .filter_map(|id| open.iter().find(|o| o.invoice_id == *id))
            .collect();
        let amounts: Vec<(i64, i64)> = in_order
            .iter()
            .map(|o| (o.invoice_id, o.open_minor))
            .collect();
        for part in plan.open_parts(&amounts) {
            if let Some(o) = in_order.iter().find(|o| o.invoice_id == part.invoice_id) {
                let item = OpenItem {
                    due_date: part.due_date,
                    open_minor: part.amount_minor,
                    ..**o
                };
                self.add_item(&item, detail);
            }
        }
    }

    /// Adds one open amount; with `detail`, also lists it.
    pub fn add_item(&mut self, item: &OpenItem<'_>, detail: bool) {
        self.add(
            item.customer_id,
            item.currency,
            item.due_date,
            item.open_minor,
        );
        if detail {
            let days_past_due = self.as_of.days_since(item.due_date);
            self.items.push(AgingItem {
                customer_id: item.customer_id,
                invoice_id: item.invoice_id,
                number: item.number.to_string(),
                currency: item.currency,
                due_date: item.due_date,
                days_past_due,
                bucket: self.edges.bucket(days_past_due),
                open_minor: item.open_minor,
            });
        }
    }

    /// Totals per currency over all customers.
    pub fn totals(&self) -> BTreeMap<Currency, AgingRow> {
        let mut totals: BTreeMap<Currency, AgingRow> = BTreeMap::new();
        for ((_, currency), row) in &self.rows {
            let total = totals
                .entry(*currency)
                .or_insert_with(|| AgingRow::new(self.edges.bucket_count()));
            for (b, (amount, count)) in row.amounts_minor.iter().zip(&row.counts).enumerate() {
                total.add(b, *amount, *count);
            }
        }
        totals
    }

    /// Drops rows that came to nothing, so reports built by different
    /// routes compare equal.
    pub fn normalized(mut self) -> AgingReport {
        self.rows.retain(|_, row| row.counts.iter().any(|c| *c > 0));
        self.items
            .sort_by_key(|i| (i.customer_id, i.invoice_id, i.due_date));
        self
    }
}

/// The aging of `invoices` as of `as_of`. An invoice under a plan that
/// stood on that day is owed by the plan's installments' dates, not its own.
pub fn aging_of<'a>(
    as_of: Date,
    edges: &AgingEdges,
    invoices: impl IntoIterator<Item = &'a InvoiceState>,
    plans: &[Plan],
    detail: bool,
) -> AgingReport {
    let standing: Vec<&Plan> = plans.iter().filter(|p| p.covers_on(as_of)).collect();
    let mut report = AgingReport::new(as_of, edges.clone());
    let mut covered: Vec<OpenItem<'a>> = Vec::new();
    for invoice in invoices {
        if standing.iter().any(|p| p.invoice_ids.contains(&invoice.id)) {
            covered.push(OpenItem {
                customer_id: invoice.customer_id,
                invoice_id: invoice.id,
                number: &invoice.number,
                currency: invoice.currency,
                due_date: invoice.due_date(),
                open_minor: invoice.open_as_of(as_of),
            });
        } else {
            report.add_invoice(invoice, detail);
        }
    }
    for plan in standing {
        report.add_plan(plan, &covered, detail);
    }
    report.normalized()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_by_days_past_due() {
        let e = AgingEdges::standard();
        assert_eq!(e.bucket(-5), 0);
        assert_eq!(e.bucket(0), 0);
        assert_eq!(e.bucket(1), 1);
        assert_eq!(e.bucket(30), 1);
        assert_eq!(e.bucket(31), 2);
        assert_eq!(e.bucket(90), 3);
        assert_eq!(e.bucket(91), 4);
        assert_eq!(e.labels(), vec!["current", "1-30", "31-60", "61-90", "90+"]);
        assert!(AgingEdges::parse("60,30").is_err());
        assert_eq!(AgingEdges::parse("15, 45").unwrap().labels()[2], "16-45");
    }
}
