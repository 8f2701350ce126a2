//! `dun rates`: exchange rates the owner sets, each from a date, so that
//! what a customer owes in another currency counts toward a credit limit.

use anyhow::{anyhow, Result};
use clap::Subcommand;
use dun_core::collections::policy::Rate;
use dun_core::Currency;

use super::log::AuthorArg;
use crate::cli::FormatArg;
use crate::context::{parse_date, Context};
use crate::output::{emit, Table};

#[derive(Subcommand, Debug)]
pub enum RatesCommand {
    /// Set the rate from one currency to another from a date on: one FROM
    /// counts as RATE TO (`dun rates set EUR USD 1.08 --from 2026-01-01`).
    /// A rate already set for that pair and date is replaced.
    Set {
        /// The currency owed, e.g. EUR.
        from: String,
        /// The currency of the credit limit (the organisation's), e.g. USD.
        to: String,
        /// Units of TO per unit of FROM, up to six decimal places, e.g. 1.08.
        rate: String,
        /// The first day the rate applies (default: today).
        #[arg(long = "from", value_name = "DATE")]
        effective_from: Option<String>,
        #[command(flatten)]
        author: AuthorArg,
    },
    /// List every rate set, by pair and date.
    List {
        #[command(flatten)]
        format: FormatArg,
    },
    /// Reference rates of the late-payment laws (ECB, Bundesbank, Bank of
    /// England): import, list.
    #[command(subcommand)]
    Reference(ReferenceCommand),
}

#[derive(Subcommand, Debug)]
pub enum ReferenceCommand {
    /// Import reference rates from a CSV file with the columns
    /// `series,in_force_from,rate_percent,source` (series: ecb_mro,
    /// de_base, boe_base; source: where the rate was published). The
    /// whole file is refused if any row is wrong; a row replaces one of
    /// the same series and day.
    Import {
        /// The CSV file.
        file: std::path::PathBuf,
        #[command(flatten)]
        author: AuthorArg,
    },
    /// List the reference rates in force: shipped with Dun, or imported.
    List {
        #[command(flatten)]
        format: FormatArg,
    },
}

fn currency(text: &str, field: &str) -> Result<Currency> {
    Currency::parse(text).map_err(|e| anyhow!("{field}: {e}"))
}

pub fn run(ctx: &mut Context, command: RatesCommand) -> Result<()> {
    let org_id = ctx.org.id;
    match command {
        RatesCommand::Set {
            from,
            to,
            rate,
            effective_from,
            author,
        } => {
            let from = currency(&from, "FROM")?;
            let to = currency(&to, "TO")?;
            let rate = Rate::parse(&rate).map_err(|e| anyhow!("RATE: {e}"))?;
            let on = match effective_from {
                Some(d) => parse_date(&d, "from")?,
                None => ctx.date_or_today(None, "from")?,
            };
            let stored = ctx
                .store
                .set_rate(org_id, from, to, rate, on, &author.name())?;
            println!(
                "From {}, 1 {from} counts as {} {to} toward credit limits.",
                stored.rate.effective_from, stored.rate.rate
            );
            Ok(())
        }
        RatesCommand::List { format } => {
            let list = ctx.store.rates(org_id)?;
            let mut table =
                Table::new(&["from", "to", "rate", "effective_from", "author", "set_at"])
                    .numeric([2]);
            for r in &list {
                table.push(vec![
                    r.rate.from.to_string(),
                    r.rate.to.to_string(),
                    r.rate.rate.to_string(),
                    r.rate.effective_from.to_string(),
                    r.author.clone(),
                    r.created_at.clone(),
                ]);
            }
            emit(format.format, &table, &list)
        }
        RatesCommand::Reference(ReferenceCommand::Import { file, author }) => {
            let text =
                std::fs::read_to_string(&file).map_err(|e| anyhow!("{}: {e}", file.display()))?;
            let n = ctx
                .store
                .import_reference_rates(org_id, &text, &author.name())?;
            println!("Imported {n} reference rate(s) from {}.", file.display());
            Ok(())
        }
        RatesCommand::Reference(ReferenceCommand::List { format }) => {
            let list = ctx.store.reference_rates(org_id)?;
            let mut table = Table::new(&[
                "series",
                "in_force_from",
                "rate_percent",
                "origin",
                "source",
            ])
            .numeric([2]);
            for r in &list {
                table.push(vec![
                    r.rate.series.to_string(),
                    r.rate.in_force_from.to_string(),
                    r.rate.rate.to_string(),
                    r.origin.to_string(),
                    r.rate.source.clone(),
                ]);
            }
            emit(format.format, &table, &list)
        }
    }
}
