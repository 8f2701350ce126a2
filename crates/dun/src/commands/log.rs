//! `dun log`: what a person records about a customer — calls, notes,
//! replies, promises to pay, disputes — each on the customer's timeline.

use anyhow::{anyhow, Result};
use clap::{Args, Subcommand};
use dun_core::Currency;
use dun_store::disputes::NewDispute;
use dun_store::records::{ContactKind, NewContact, NewPromise, PromiseRecord, PromisedPayment};

use super::{amount, money};
use crate::cli::KeyArg;
use crate::context::{parse_date, Context};

#[derive(Args, Debug)]
pub struct AuthorArg {
    /// Who records this, kept on the timeline (default: $USER, else "unknown").
    #[arg(long, value_name = "NAME")]
    pub author: Option<String>,
}

impl AuthorArg {
    pub fn name(&self) -> String {
        self.author
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(|| "unknown".to_string())
    }
}

#[derive(Args, Debug)]
pub struct OnArg {
    /// The day it happened (default: today in the organisation's time zone).
    #[arg(long, value_name = "DATE")]
    pub on: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum LogCommand {
    /// Log a call: what came of it, and any promise to pay made on it.
    Call {
        /// Customer reference.
        customer: String,
        /// What came of it, e.g. "left voicemail" or "will pay Friday".
        #[arg(long)]
        outcome: String,
        /// What was said.
        #[arg(long, default_value = "")]
        note: String,
        /// A promise made on the call: the amount, e.g. 500.00 (with --promise-date).
        #[arg(long, requires = "promise_date")]
        promise_amount: Option<String>,
        /// The date the customer promised to pay by.
        #[arg(long, requires = "promise_amount", value_name = "DATE")]
        promise_date: Option<String>,
        /// Currency of the promise (default: the invoices', else the organisation's).
        #[arg(long)]
        currency: Option<String>,
        /// An invoice the call was about; repeat for each.
        #[arg(long = "invoice", value_name = "NUMBER")]
        invoices: Vec<String>,
        #[command(flatten)]
        on: OnArg,
        #[command(flatten)]
        author: AuthorArg,
    },
    /// Log an internal note on the customer's timeline.
    Note {
        /// Customer reference.
        customer: String,
        /// The note.
        text: String,
        /// An invoice the note is about; repeat for each.
        #[arg(long = "invoice", value_name = "NUMBER")]
        invoices: Vec<String>,
        #[command(flatten)]
        on: OnArg,
        #[command(flatten)]
        author: AuthorArg,
    },
    /// Log what the customer replied (by email, letter, in person).
    Reply {
        /// Customer reference.
        customer: String,
        /// What they said.
        text: String,
        /// An invoice the reply is about; repeat for each.
        #[arg(long = "invoice", value_name = "NUMBER")]
        invoices: Vec<String>,
        #[command(flatten)]
        on: OnArg,
        #[command(flatten)]
        author: AuthorArg,
    },
    /// Record a promise to pay an amount by a date; the ladder pauses for
    /// what it covers until then.
    Promise {
        /// Customer reference.
        customer: String,
        /// Amount promised, e.g. 500.00.
        #[arg(long)]
        amount: String,
        /// The date they promised to pay by.
        #[arg(long, value_name = "DATE")]
        date: String,
        /// Currency (default: the invoices', else the organisation's).
        #[arg(long)]
        currency: Option<String>,
        /// An invoice it covers; repeat for each (default: every open one in the currency).
        #[arg(long = "invoice", value_name = "NUMBER")]
        invoices: Vec<String>,
        #[command(flatten)]
        on: OnArg,
        #[command(flatten)]
        author: AuthorArg,
        #[command(flatten)]
        key: KeyArg,
    },
    /// Open a dispute on an invoice (or one of its lines); its ladder pauses
    /// until the dispute is resolved (`dun dispute resolve`).
    Dispute {
        /// Invoice number.
        invoice: String,
        /// What the customer contests.
        #[arg(long)]
        reason: String,
        /// The line disputed (1 is the first), when it is one line.
        #[arg(long, value_name = "N")]
        line: Option<u32>,
        #[command(flatten)]
        on: OnArg,
        #[command(flatten)]
        author: AuthorArg,
        #[command(flatten)]
        key: KeyArg,
    },
}

pub fn run(ctx: &mut Context, command: LogCommand) -> Result<()> {
    let org_id = ctx.org.id;
    match command {
        LogCommand::Call {
            customer,
            outcome,
            note,
            promise_amount,
            promise_date,
            currency,
            invoices,
            on,
            author,
        } => {
            let on = ctx.date_or_today(on.on.as_deref(), "on")?;
            let promise = match (promise_amount, promise_date) {
                (Some(a), Some(d)) => {
                    let currency = promise_currency(ctx, currency.as_deref(), &invoices)?;
                    Some(PromisedPayment {
                        amount_minor: amount(&a, currency, "promise-amount")?,
                        currency,
                        promised_date: parse_date(&d, "promise-date")?,
                    })
                }
                _ => None,
            };
            let record = ctx.store.log_contact(
                org_id,
                &NewContact {
                    customer_ref: customer,
                    kind: ContactKind::Call,
                    summary: note,
                    outcome: Some(outcome),
                    on,
                    author: author.name(),
                    invoices,
                    promise,
                },
            )?;
            println!("Logged a call with {} on {on}.", record.customer_ref);
            if let Some(p) = &record.promise {
                print_promise(p);
            }
        }
        LogCommand::Note {
            customer,
            text,
            invoices,
            on,
            author,
        } => note(
            ctx,
            ContactKind::Note,
            customer,
            text,
            invoices,
            &on,
            &author,
        )?,
        LogCommand::Reply {
            customer,
            text,
            invoices,
            on,
            author,
        } => note(
            ctx,
            ContactKind::Reply,
            customer,
            text,
            invoices,
            &on,
            &author,
        )?,
        LogCommand::Promise {
            customer,
            amount: amount_text,
            date,
            currency,
            invoices,
            on,
            author,
            key,
        } => {
            let made_on = ctx.date_or_today(on.on.as_deref(), "on")?;
            let currency = promise_currency(ctx, currency.as_deref(), &invoices)?;
            let record = ctx.store.add_promise(
                org_id,
                &NewPromise {
                    customer_ref: customer,
                    currency,
                    amount_minor: amount(&amount_text, currency, "amount")?,
                    promised_date: parse_date(&date, "date")?,
                    invoices,
                    made_on,
                    author: author.name(),
                },
                key.key.as_deref(),
            )?;
            print_promise(&record);
        }
        LogCommand::Dispute {
            invoice,
            reason,
            line,
            on,
            author,
            key,
        } => {
            let on = ctx.date_or_today(on.on.as_deref(), "on")?;
            let record = ctx.store.open_dispute(
                org_id,
                &NewDispute {
                    invoice,
                    line,
                    reason,
                    on,
                    author: author.name(),
                },
                key.key.as_deref(),
            )?;
            let what = match record.line {
                Some(line) => format!("line {line} of invoice {}", record.invoice),
                None => format!("invoice {}", record.invoice),
            };
            println!(
                "Opened dispute #{} on {what} ({}); its reminders and notices pause until it is resolved with `dun dispute resolve {}`.",
                record.id, record.customer_ref, record.id
            );
        }
    }
    Ok(())
}

fn note(
    ctx: &mut Context,
    kind: ContactKind,
    customer: String,
    text: String,
    invoices: Vec<String>,
    on: &OnArg,
    author: &AuthorArg,
) -> Result<()> {
    let on = ctx.date_or_today(on.on.as_deref(), "on")?;
    let record = ctx.store.log_contact(
        ctx.org.id,
        &NewContact {
            customer_ref: customer,
            kind,
            summary: text,
            outcome: None,
            on,
            author: author.name(),
            invoices,
            promise: None,
        },
    )?;
    println!(
        "Logged a {} for {} on {on}.",
        kind.as_str(),
        record.customer_ref
    );
    Ok(())
}

/// `--currency`, else the store's default for a promise (the first named
/// invoice's, else the organisation's).
fn promise_currency(
    ctx: &mut Context,
    currency: Option<&str>,
    invoices: &[String],
) -> Result<Currency> {
    match currency {
        Some(code) => Currency::parse(code).map_err(|e| anyhow!("--currency: {e}")),
        None => Ok(ctx.store.default_currency(ctx.org.id, invoices)?),
    }
}

fn print_promise(p: &PromiseRecord) {
    let c = p.currency;
    let covers = if p.invoices.is_empty() {
        format!("every open {c} invoice")
    } else {
        p.invoices.join(", ")
    };
    println!(
        "Recorded promise #{} from {}: {} {c} by {} (covers {covers}).",
        p.id,
        p.customer_ref,
        money(p.amount_minor, c),
        p.promised_date
    );
}
