//! `dun collateral`: what a customer's credit file holds as security.

use anyhow::Result;
use clap::builder::PossibleValuesParser;
use clap::Subcommand;
use dun_store::collateral::{CollateralKind, NewCollateral};

use super::log::{AuthorArg, OnArg};
use super::{amount, money};
use crate::cli::FormatArg;
use crate::context::{parse_date, Context};
use crate::output::{emit, Table};

// Parsed once per process: the size of a variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum CollateralCommand {
    /// Add collateral to a customer's credit file; the run makes a task
    /// before it expires.
    Add {
        /// Customer reference.
        customer: String,
        #[arg(long, value_parser = PossibleValuesParser::new(CollateralKind::ALL.map(|k| k.as_str())))]
        kind: String,
        /// Amount it secures, e.g. 5000.00.
        #[arg(long)]
        amount: String,
        /// Currency (default: the organisation's).
        #[arg(long)]
        currency: Option<String>,
        /// When it was filed or received.
        #[arg(long, value_name = "DATE")]
        filed: Option<String>,
        /// When it lapses.
        #[arg(long, value_name = "DATE")]
        expires: Option<String>,
        /// A filing number, a bank's reference.
        #[arg(long, default_value = "")]
        reference: String,
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        on: OnArg,
        #[command(flatten)]
        author: AuthorArg,
    },
    /// List collateral on file, soonest expiry first.
    List {
        /// Only this customer's (by reference).
        customer: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
}

pub fn run(ctx: &mut Context, command: CollateralCommand) -> Result<()> {
    let org_id = ctx.org.id;
    match command {
        CollateralCommand::Add {
            customer,
            kind,
            amount: amount_text,
            currency,
            filed,
            expires,
            reference,
            note,
            on,
            author,
        } => {
            let currency = ctx.currency_or_home(currency.as_deref())?;
            let record = ctx.store.add_collateral(
                org_id,
                &NewCollateral {
                    customer_ref: customer,
                    kind: CollateralKind::parse(&kind)?,
                    amount_minor: amount(&amount_text, currency, "amount")?,
                    currency,
                    filed_on: filed
                        .as_deref()
                        .map(|d| parse_date(d, "filed"))
                        .transpose()?,
                    expires_on: expires
                        .as_deref()
                        .map(|d| parse_date(d, "expires"))
                        .transpose()?,
                    reference,
                    note,
                    on: ctx.date_or_today(on.on.as_deref(), "on")?,
                    author: author.name(),
                },
            )?;
            let expiry = record
                .expires_on
                .map_or(String::new(), |d| format!(", expires {d}"));
            println!(
                "Added collateral #{} to {}'s credit file: {} of {} {currency}{expiry}.",
                record.id,
                record.customer_ref,
                record.kind.as_str(),
                money(record.amount_minor.unwrap_or(0), currency)
            );
            Ok(())
        }
        CollateralCommand::List { customer, format } => {
            let list = ctx.store.collateral(org_id, customer.as_deref())?;
            let mut table = Table::new(&[
                "id",
                "customer",
                "kind",
                "currency",
                "amount",
                "filed",
                "expires",
                "reference",
                "note",
            ])
            .numeric([0, 4]);
            let day = |d: Option<dun_core::Date>| d.map(|d| d.to_string()).unwrap_or_default();
            for k in &list {
                table.push(vec![
                    k.id.to_string(),
                    k.customer_ref.clone(),
                    k.kind.as_str().to_string(),
                    k.currency.map(|c| c.to_string()).unwrap_or_default(),
                    match (k.amount_minor, k.currency) {
                        (Some(a), Some(c)) => money(a, c),
                        _ => String::new(),
                    },
                    day(k.filed_on),
                    day(k.expires_on),
                    k.reference.clone(),
                    k.note.clone(),
                ]);
            }
            emit(format.format, &table, &list)
        }
    }
}
