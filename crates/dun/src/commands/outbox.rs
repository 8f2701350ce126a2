//! `dun outbox`: the customer-facing messages the run has queued.

use anyhow::Result;
use clap::Subcommand;

use crate::cli::FormatArg;
use crate::context::Context;
use crate::output::{emit, Table};

#[derive(Subcommand, Debug)]
pub enum OutboxCommand {
    /// Messages in the outbox, oldest first.
    List {
        /// Only messages with this status: pending, sent, failed.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[command(flatten)]
        format: FormatArg,
    },
}

pub fn run(ctx: &mut Context, command: OutboxCommand) -> Result<()> {
    match command {
        OutboxCommand::List {
            status,
            limit,
            format,
        } => {
            let messages = ctx.store.outbox(ctx.org.id, status.as_deref(), limit)?;
            let mut table = Table::new(&[
                "id", "as of", "customer", "channels", "template", "invoices", "status", "attempts",
            ])
            .numeric([0, 7]);
            for m in &messages {
                let invoices: Vec<&str> = m.detail["items"]
                    .as_array()
                    .map(|items| items.iter().filter_map(|i| i["number"].as_str()).collect())
                    .unwrap_or_default();
                table.push(vec![
                    m.id.to_string(),
                    m.as_of.to_string(),
                    m.customer_ref.clone(),
                    m.channels.join("+"),
                    m.template.clone(),
                    invoices.join(", "),
                    m.status.clone(),
                    m.attempts.to_string(),
                ]);
            }
            emit(format.format, &table, &messages)
        }
    }
}
