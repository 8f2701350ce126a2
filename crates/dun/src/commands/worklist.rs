//! `dun worklist` and `dun task`: the collector's open tasks, most
//! pressing first, and closing them.

use anyhow::Result;
use clap::{Args, Subcommand};
use dun_core::collections::escalation::Decision;
use dun_store::escalations::ReviewDecision;

use super::log::{AuthorArg, OnArg};
use super::money;
use crate::cli::FormatArg;
use crate::context::{parse_date, Context};
use crate::output::{emit, Table};

/// Rows `dun worklist` shows unless told otherwise.
const WORKLIST_ROWS_DEFAULT: i64 = 50;
/// Longest last-contact summary shown in the table, in characters.
const CONTACT_CHARS_SHOWN: usize = 40;

#[derive(Args, Debug)]
pub struct WorklistArgs {
    /// The day to rank as of (default: today); tasks due after it are left out.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Most rows to show.
    #[arg(long, default_value_t = WORKLIST_ROWS_DEFAULT)]
    pub limit: i64,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Subcommand, Debug)]
pub enum TaskCommand {
    /// Close a task with what came of it.
    Done {
        /// The task's id (see `dun worklist`).
        id: i64,
        /// What came of it, e.g. "paid by card", "promised 500 by Friday".
        #[arg(long)]
        outcome: String,
        #[command(flatten)]
        on: OnArg,
        #[command(flatten)]
        author: AuthorArg,
    },
    /// Open a done task again, with why (its old outcome stays on the timeline).
    Reopen {
        /// The task's id (see `dun task list` or the customer's timeline).
        id: i64,
        /// Why, e.g. "the promised payment did not come".
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        on: OnArg,
        #[command(flatten)]
        author: AuthorArg,
    },
    /// Decide an escalation review: hand the debt to an agency or a
    /// lawyer (the ladder stops), write its invoices off, or reject it.
    Decide {
        /// The review's task id (see `dun worklist`).
        id: i64,
        /// agency, legal, write-off or reject.
        decision: String,
        /// Why, in a sentence; kept with the decision and on the timeline.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        on: OnArg,
        #[command(flatten)]
        author: AuthorArg,
    },
    /// Add a task of your own for a customer.
    Add {
        /// Customer reference.
        customer: String,
        /// What to do, e.g. "Ask for the signed delivery note".
        title: String,
        /// When it is due (default: today).
        #[arg(long, value_name = "DATE")]
        due: Option<String>,
        #[command(flatten)]
        on: OnArg,
        #[command(flatten)]
        author: AuthorArg,
    },
}

fn shorten(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_string()
    } else {
        let cut: String = text.chars().take(chars.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

pub fn worklist(ctx: &mut Context, args: &WorklistArgs) -> Result<()> {
    let as_of = ctx.date_or_today(args.as_of.as_deref(), "as-of")?;
    let rows = ctx.store.worklist(ctx.org.id, as_of, args.limit)?;
    let mut table = Table::new(&[
        "priority",
        "customer",
        "owed",
        "days late",
        "tier",
        "last contact",
        "next step",
        "task",
    ])
    .numeric([0, 2, 3, 7]);
    for r in &rows {
        let owed = match r.currency {
            Some(c) => format!("{} {c}", money(r.owed_minor, c)),
            None => "-".to_string(),
        };
        let contact = match &r.last_contact {
            Some(c) => format!(
                "{} {}: {}",
                c.on,
                c.kind,
                shorten(&c.summary, CONTACT_CHARS_SHOWN)
            ),
            None => "never".to_string(),
        };
        table.push(vec![
            format!("{:.2}", r.priority),
            r.customer_ref.clone(),
            owed,
            r.days_late.to_string(),
            r.tier.to_string(),
            contact,
            r.next_step.clone(),
            r.task_id.to_string(),
        ]);
    }
    if rows.is_empty() && args.format.format == crate::cli::Format::Table {
        println!("No open tasks due by {as_of}.");
        return Ok(());
    }
    emit(args.format.format, &table, &rows)
}

pub fn task(ctx: &mut Context, command: TaskCommand) -> Result<()> {
    let org_id = ctx.org.id;
    match command {
        TaskCommand::Done {
            id,
            outcome,
            on,
            author,
        } => {
            let on = ctx.date_or_today(on.on.as_deref(), "on")?;
            let task = ctx
                .store
                .complete_task(org_id, id, &outcome, on, &author.name())?;
            println!(
                "Done: task #{} for {} ({}).",
                task.id, task.customer_ref, task.title
            );
        }
        TaskCommand::Reopen {
            id,
            reason,
            on,
            author,
        } => {
            let on = ctx.date_or_today(on.on.as_deref(), "on")?;
            let task = ctx
                .store
                .reopen_task(org_id, id, &reason, on, &author.name())?;
            println!(
                "Reopened: task #{} for {} ({}), due {}.",
                task.id, task.customer_ref, task.title, task.due_date
            );
        }
        TaskCommand::Decide {
            id,
            decision,
            reason,
            on,
            author,
        } => {
            let on = ctx.date_or_today(on.on.as_deref(), "on")?;
            let decision = Decision::parse(&decision).ok_or_else(|| {
                anyhow::anyhow!(
                    "decision: '{decision}' is not one; give {}",
                    Decision::ACCEPTED
                )
            })?;
            // Whoever runs the command on the machine holding the book
            // is its owner (`dun user` manages the others' roles).
            let record = ctx.store.decide_escalation(
                org_id,
                id,
                &ReviewDecision {
                    decision,
                    reason: &reason,
                    on,
                    by_owner: true,
                },
                &author.name(),
            )?;
            println!(
                "Review #{} for {}: {}.",
                record.task.id,
                record.task.customer_ref,
                record.task.outcome.as_deref().unwrap_or("decided")
            );
            for (number, amount) in &record.written_off {
                println!(
                    "  wrote off {} {} on {number}",
                    money(amount.amount_minor, amount.currency),
                    amount.currency
                );
            }
            for amount in &record.handed_over {
                println!(
                    "  handed over {} {} (the ladder sends nothing more; `dun escalations` lists payments since)",
                    money(amount.amount_minor, amount.currency),
                    amount.currency
                );
            }
        }
        TaskCommand::Add {
            customer,
            title,
            due,
            on,
            author,
        } => {
            let on = ctx.date_or_today(on.on.as_deref(), "on")?;
            let due = match due {
                Some(d) => parse_date(&d, "due")?,
                None => on,
            };
            let task = ctx
                .store
                .add_task(org_id, &customer, &title, due, on, &author.name())?;
            println!(
                "Added task #{} for {}: {} (due {}).",
                task.id, task.customer_ref, task.title, task.due_date
            );
        }
    }
    Ok(())
}
