//! `dun aging`.

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use dun_core::aging::{AgingEdges, AgingReport};
use dun_store::aging::CustomerName;
use serde_json::json;

use super::money;
use crate::cli::{AgingArgs, Format};
use crate::context::Context;
use crate::output::{emit, Table};

pub fn run(ctx: &mut Context, args: &AgingArgs) -> Result<()> {
    let as_of = ctx.date_or_today(args.as_of.as_deref(), "as-of")?;
    let edges = match &args.edges {
        Some(text) => AgingEdges::parse(text).map_err(|e| anyhow!("--edges: {e}"))?,
        None => ctx.org.edges(),
    };
    let (report, names) = ctx.store.aging(ctx.org.id, as_of, &edges, args.detail)?;
    let table = if args.detail {
        detail_table(&report, &names)
    } else {
        summary_table(&report, &names)
    };
    match args.format.format {
        Format::Json => emit(Format::Json, &table, &to_json(&report, &names)),
        format => {
            if format == Format::Table {
                println!("Aging as of {as_of} (days past due)\n");
            }
            emit(format, &table, &())
        }
    }
}

fn summary_table(report: &AgingReport, names: &BTreeMap<i64, CustomerName>) -> Table {
    let labels = report.edges.labels();
    let mut header: Vec<&str> = vec!["customer", "name", "currency"];
    header.extend(labels.iter().map(String::as_str));
    header.extend(["total", "items"]);
    let n = labels.len();
    let mut table = Table::new(&header).numeric(3..3 + n + 2);
    let mut rows: Vec<_> = report.rows.iter().collect();
    rows.sort_by(|a, b| {
        let name = |id: &i64| {
            names
                .get(id)
                .map(|c| c.reference.clone())
                .unwrap_or_default()
        };
        (name(&a.0 .0), a.0 .1).cmp(&(name(&b.0 .0), b.0 .1))
    });
    for ((customer_id, currency), row) in rows {
        let name = names.get(customer_id);
        let mut cells = vec![
            name.map_or_else(|| format!("#{customer_id}"), |c| c.reference.clone()),
            name.map_or_else(String::new, |c| c.name.clone()),
            currency.to_string(),
        ];
        cells.extend(row.amounts_minor.iter().map(|a| money(*a, *currency)));
        cells.push(money(row.total_minor(), *currency));
        cells.push(row.counts.iter().sum::<u64>().to_string());
        table.push(cells);
    }
    for (currency, row) in report.totals() {
        let mut cells = vec!["TOTAL".to_string(), String::new(), currency.to_string()];
        cells.extend(row.amounts_minor.iter().map(|a| money(*a, currency)));
        cells.push(money(row.total_minor(), currency));
        cells.push(row.counts.iter().sum::<u64>().to_string());
        table.push(cells);
    }
    table
}

fn detail_table(report: &AgingReport, names: &BTreeMap<i64, CustomerName>) -> Table {
    let labels = report.edges.labels();
    let mut table = Table::new(&[
        "customer",
        "invoice",
        "due",
        "days past due",
        "bucket",
        "currency",
        "open",
    ])
    .numeric([3, 6]);
    let mut items: Vec<_> = report.items.iter().collect();
    items.sort_by_key(|i| {
        (
            names.get(&i.customer_id).map(|c| c.reference.clone()),
            i.due_date,
            i.invoice_id,
        )
    });
    for i in items {
        table.push(vec![
            names
                .get(&i.customer_id)
                .map_or_else(|| format!("#{}", i.customer_id), |c| c.reference.clone()),
            i.number.clone(),
            i.due_date.to_string(),
            i.days_past_due.to_string(),
            labels[i.bucket].clone(),
            i.currency.to_string(),
            money(i.open_minor, i.currency),
        ]);
    }
    table
}

fn to_json(report: &AgingReport, names: &BTreeMap<i64, CustomerName>) -> serde_json::Value {
    let labels = report.edges.labels();
    let buckets = |amounts: &[i64], counts: &[u64], currency| -> serde_json::Value {
        labels
            .iter()
            .zip(amounts.iter().zip(counts))
            .map(|(l, (a, c))| json!({ "bucket": l, "amount": money(*a, currency), "amount_minor": a, "count": c }))
            .collect()
    };
    let customers: Vec<_> = report
        .rows
        .iter()
        .map(|((id, currency), row)| {
            json!({
                "customer_ref": names.get(id).map(|c| c.reference.clone()),
                "customer_name": names.get(id).map(|c| c.name.clone()),
                "currency": currency,
                "buckets": buckets(&row.amounts_minor, &row.counts, *currency),
                "total": money(row.total_minor(), *currency),
                "total_minor": row.total_minor(),
            })
        })
        .collect();
    let totals: Vec<_> = report
        .totals()
        .iter()
        .map(|(currency, row)| {
            json!({
                "currency": currency,
                "buckets": buckets(&row.amounts_minor, &row.counts, *currency),
                "total": money(row.total_minor(), *currency),
                "total_minor": row.total_minor(),
            })
        })
        .collect();
    let items: Vec<_> = report
        .items
        .iter()
        .map(|i| {
            json!({
                "customer_ref": names.get(&i.customer_id).map(|c| c.reference.clone()),
                "invoice": i.number,
                "due_date": i.due_date,
                "days_past_due": i.days_past_due,
                "bucket": labels[i.bucket],
                "currency": i.currency,
                "open": money(i.open_minor, i.currency),
                "open_minor": i.open_minor,
            })
        })
        .collect();
    json!({ "as_of": report.as_of, "edges_days": report.edges.days(), "customers": customers, "totals": totals, "items": items })
}
