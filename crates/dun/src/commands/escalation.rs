//! `dun escalations` (the agency list) and `dun customer claim-file`.
//! Deciding a review is `dun task decide` (worklist.rs).

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;
use dun_store::escalations::Amount;

use super::money;
use crate::cli::FormatArg;
use crate::context::Context;
use crate::output::{emit, Table};

#[derive(Args, Debug)]
pub struct EscalationsArgs {
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Args, Debug)]
pub struct ClaimFileArgs {
    /// The customer's reference.
    #[arg(value_name = "REF")]
    pub reference: String,
    /// The day it speaks for (default: today).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Where to write the ZIP (default: ./claim-REF-DATE.zip).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

fn amounts(list: &[Amount]) -> String {
    if list.is_empty() {
        return "-".to_string();
    }
    list.iter()
        .map(|a| format!("{} {}", money(a.amount_minor, a.currency), a.currency))
        .collect::<Vec<_>>()
        .join(" + ")
}

pub fn list(ctx: &mut Context, args: &EscalationsArgs) -> Result<()> {
    let rows = ctx.store.handed_over(ctx.org.id)?;
    if rows.is_empty() && args.format.format == crate::cli::Format::Table {
        println!("No customer is with an agency or a lawyer.");
        return Ok(());
    }
    let mut table = Table::new(&[
        "customer",
        "status",
        "since",
        "handed over",
        "received since",
        "open now",
    ]);
    for r in &rows {
        table.push(vec![
            r.customer_ref.clone(),
            r.status.to_string(),
            r.since.map_or_else(|| "-".to_string(), |d| d.to_string()),
            amounts(&r.handed_over),
            amounts(&r.received_since),
            amounts(&r.open_now),
        ]);
    }
    emit(args.format.format, &table, &rows)
}

pub fn claim_file(ctx: &mut Context, args: &ClaimFileArgs) -> Result<()> {
    let as_of = ctx.date_or_today(args.as_of.as_deref(), "as-of")?;
    let bundle =
        dun_mail::claim_file::claim_file(&mut ctx.store, ctx.org.id, &args.reference, as_of)?;
    let bytes = dun_mail::claim_file::zip(&bundle)?;
    let path = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(&bundle.name));
    std::fs::write(&path, &bytes)
        .with_context(|| format!("cannot write the claim file to '{}'", path.display()))?;
    println!(
        "Wrote the claim file of {} to {} ({} bytes): {}",
        args.reference,
        path.display(),
        bytes.len(),
        bundle
            .files
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
