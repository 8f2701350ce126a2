//! `dun dispute`: list disputes, and end one by a credit note or by
//! rejecting it. (A dispute is opened with `dun log dispute`.)

use anyhow::{bail, Result};
use clap::Subcommand;
use dun_store::disputes::{DisputeRecord, Resolution};

use super::log::{AuthorArg, OnArg};
use super::{amount, money};
use crate::cli::FormatArg;
use crate::context::Context;
use crate::output::{emit, Table};

#[derive(Subcommand, Debug)]
pub enum DisputeCommand {
    /// List disputes, newest first (open ones unless --all).
    List {
        /// Only this customer's (by reference).
        #[arg(long)]
        customer: Option<String>,
        /// Resolved and rejected ones too.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        format: FormatArg,
    },
    /// End a dispute: a credit note of an amount on its invoice, or --reject
    /// (the invoice stands and its reminders resume).
    Resolve {
        /// The dispute's id (see `dun dispute list`).
        id: i64,
        /// Issue a credit note of this amount on the disputed invoice, e.g. 50.00.
        #[arg(
            long,
            value_name = "AMOUNT",
            conflicts_with = "reject",
            required_unless_present = "reject"
        )]
        credit_note: Option<String>,
        /// Reject the dispute: the invoice stands.
        #[arg(long)]
        reject: bool,
        /// Why, kept with the resolution (and on the credit note).
        #[arg(long, default_value = "")]
        reason: String,
        #[command(flatten)]
        on: OnArg,
        #[command(flatten)]
        author: AuthorArg,
    },
}

pub fn run(ctx: &mut Context, command: DisputeCommand) -> Result<()> {
    let org_id = ctx.org.id;
    match command {
        DisputeCommand::List {
            customer,
            all,
            format,
        } => {
            let disputes = ctx.store.disputes(org_id, customer.as_deref(), !all)?;
            let mut table = Table::new(&[
                "id", "customer", "invoice", "line", "opened", "status", "reason", "closed",
            ])
            .numeric([0, 3]);
            for d in &disputes {
                table.push(vec![
                    d.id.to_string(),
                    d.customer_ref.clone(),
                    d.invoice.clone(),
                    d.line.map(|l| l.to_string()).unwrap_or_default(),
                    d.opened_on.to_string(),
                    d.status.clone(),
                    d.reason.clone(),
                    d.closed_on.map(|d| d.to_string()).unwrap_or_default(),
                ]);
            }
            emit(format.format, &table, &disputes)
        }
        DisputeCommand::Resolve {
            id,
            credit_note,
            reject,
            reason,
            on,
            author,
        } => {
            let on = ctx.date_or_today(on.on.as_deref(), "on")?;
            let resolution = match (credit_note, reject) {
                (Some(text), false) => {
                    let dispute = ctx.store.dispute(org_id, id)?;
                    let today = ctx.today()?;
                    let currency = ctx.store.invoice(org_id, &dispute.invoice, today)?.currency;
                    Resolution::CreditNote {
                        amount_minor: amount(&text, currency, "credit-note")?,
                        reason,
                    }
                }
                (None, true) => Resolution::Rejected { reason },
                _ => bail!("give either --credit-note AMOUNT or --reject"),
            };
            let record = ctx
                .store
                .resolve_dispute(org_id, id, &resolution, on, &author.name())?;
            print_resolved(&record);
            Ok(())
        }
    }
}

fn print_resolved(d: &DisputeRecord) {
    let note = d
        .resolution
        .as_ref()
        .and_then(|r| r.get("credit_note"))
        .and_then(|n| n.as_str());
    match note {
        Some(number) => {
            let amount = d
                .resolution
                .as_ref()
                .and_then(|r| r.get("amount_minor"))
                .and_then(|a| a.as_i64())
                .unwrap_or(0);
            let currency = d
                .resolution
                .as_ref()
                .and_then(|r| r.get("currency"))
                .and_then(|c| c.as_str())
                .and_then(|c| dun_core::Currency::parse(c).ok());
            let shown = match currency {
                Some(c) => format!("{} {c}", money(amount, c)),
                None => amount.to_string(),
            };
            println!(
                "Resolved dispute #{} on invoice {} by credit note {number} of {shown}.",
                d.id, d.invoice
            );
        }
        None => println!(
            "Rejected dispute #{} on invoice {}; its reminders and notices resume.",
            d.id, d.invoice
        ),
    }
}
