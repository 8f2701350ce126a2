//! The floors: each job done by the shortest route a database allows, so
//! that Dun's figure has something to be measured against.
//!
//! A floor does the same work as Dun — it reads the same CSV, groups the
//! lines into invoices and computes each total exactly — but keeps only the
//! columns a report needs (number, customer id, dates, currency, total) in
//! a table with a primary key and nothing else, checks nothing, and writes
//! no ledger.

pub mod postgres;
pub mod sqlite;

use std::collections::HashMap;
use std::path::Path;

use anyhow::{anyhow, Context as _, Result};
use dun_core::invoice::InvoiceLine;
use dun_core::money::{parse_scaled, UnitPrice, UNIT_PRICE_EXTRA_DECIMALS_MAX};
use dun_core::{Currency, Date};

/// What the floor keeps of an invoice.
#[derive(Clone, Debug, Default)]
pub struct FloorInvoice {
    pub number: String,
    pub customer_id: i64,
    pub issue_day: i32,
    pub due_day: i32,
    pub currency: String,
    pub total_minor: i64,
}

/// The floor's aging, one `GROUP BY` over a covering index: per customer and
/// currency, the open amount in each of the standard buckets (current,
/// 1–30, 31–60, 61–90, 90+ days past due as of `$1`) and the count.
/// `CAST` because PostgreSQL sums `BIGINT` into `NUMERIC`.
pub const AGING_SQL: &str = "SELECT customer_id, currency,
    CAST(SUM(CASE WHEN $1 - due_date <= 0 THEN total_minor ELSE 0 END) AS BIGINT),
    CAST(SUM(CASE WHEN $1 - due_date BETWEEN 1 AND 30 THEN total_minor ELSE 0 END) AS BIGINT),
    CAST(SUM(CASE WHEN $1 - due_date BETWEEN 31 AND 60 THEN total_minor ELSE 0 END) AS BIGINT),
    CAST(SUM(CASE WHEN $1 - due_date BETWEEN 61 AND 90 THEN total_minor ELSE 0 END) AS BIGINT),
    CAST(SUM(CASE WHEN $1 - due_date > 90 THEN total_minor ELSE 0 END) AS BIGINT),
    COUNT(*)
  FROM floor_invoices GROUP BY customer_id, currency";

/// The covering index the aging reads, created before it is timed.
pub const AGING_INDEX_SQL: &str =
    "CREATE INDEX floor_invoices_aging ON floor_invoices (customer_id, currency, due_date, total_minor)";

/// One row of the floor's aging.
#[derive(Clone, Debug)]
pub struct AgingLine {
    pub customer_id: i64,
    pub currency: String,
    pub buckets_minor: [i64; 5],
    pub count: i64,
}

/// Total open per currency, to check the floor summed what Dun summed.
pub fn totals(lines: &[AgingLine]) -> std::collections::BTreeMap<String, i64> {
    let mut totals = std::collections::BTreeMap::new();
    for line in lines {
        *totals.entry(line.currency.clone()).or_insert(0) += line.buckets_minor.iter().sum::<i64>();
    }
    totals
}

/// Reads an invoices CSV in Dun's columns and hands each invoice (its lines
/// summed) to `emit`. Returns how many invoices there were.
pub fn each_invoice(
    path: &Path,
    customer_ids: &HashMap<String, i64>,
    mut emit: impl FnMut(&FloorInvoice) -> Result<()>,
) -> Result<u64> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let header = reader.byte_headers()?.clone();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name.as_bytes())
            .ok_or_else(|| anyhow!("{} has no column {name}", path.display()))
    };
    let [number, customer, issue, due, currency, amount, quantity, price, tax] = [
        "number",
        "customer_ref",
        "issue_date",
        "due_date",
        "currency",
        "amount",
        "quantity",
        "unit_price",
        "tax_rate",
    ]
    .map(column);
    let (number, customer, issue, due, currency) = (number?, customer?, issue?, due?, currency?);
    let (amount, quantity, price, tax) = (amount?, quantity?, price?, tax?);

    let mut record = csv::StringRecord::new();
    let mut current: Option<FloorInvoice> = None;
    let mut exponent = 2;
    let mut count = 0;
    while reader.read_record(&mut record)? {
        let row = || {
            format!(
                "{} row {}",
                path.display(),
                record.position().map_or(0, |p| p.line())
            )
        };
        let same = current.as_ref().is_some_and(|c| c.number == record[number]);
        if !same {
            if let Some(done) = current.take() {
                emit(&done)?;
                count += 1;
            }
            let code = &record[currency];
            exponent = Currency::parse(code)?.exponent();
            let day = |i: usize| -> Result<i32> { Ok(Date::parse(&record[i])?.day_number()) };
            current = Some(FloorInvoice {
                number: record[number].to_string(),
                customer_id: *customer_ids
                    .get(&record[customer])
                    .ok_or_else(|| anyhow!("{}: no customer {}", row(), &record[customer]))?,
                issue_day: day(issue)?,
                due_day: day(due)?,
                currency: code.to_string(),
                total_minor: 0,
            });
        }
        let decimal = |i: usize, scale: u8| -> Result<i64> {
            let text = &record[i];
            if text.is_empty() {
                return Ok(0);
            }
            parse_scaled(text, scale)
                .map(|v| v as i64)
                .map_err(|_| anyhow!("{}: '{text}' is not a number", row()))
        };
        let (quantity_e4, unit_price) = if record[amount].is_empty() {
            (
                decimal(quantity, 4)?,
                UnitPrice::from_minor_e4(i128::from(decimal(
                    price,
                    exponent + UNIT_PRICE_EXTRA_DECIMALS_MAX,
                )?)),
            )
        } else {
            (10_000, UnitPrice::from_minor(decimal(amount, exponent)?))
        };
        let line = InvoiceLine {
            description: String::new(),
            quantity_e4,
            unit_price,
            tax_rate_ppm: decimal(tax, 4)?,
        };
        if let Some(c) = current.as_mut() {
            c.total_minor += line.net_minor() + line.tax_minor();
        }
    }
    if let Some(done) = current.take() {
        emit(&done)?;
        count += 1;
    }
    Ok(count)
}

/// Reads a customers CSV's `ref` column, numbering the customers from 1.
pub fn customer_refs(path: &Path) -> Result<Vec<String>> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let index = reader
        .headers()?
        .iter()
        .position(|h| h == "ref")
        .ok_or_else(|| anyhow!("{} has no column ref", path.display()))?;
    let mut refs = Vec::new();
    for record in reader.records() {
        refs.push(record?[index].to_string());
    }
    Ok(refs)
}
