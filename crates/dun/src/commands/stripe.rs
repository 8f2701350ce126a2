//! `dun stripe events`: the Stripe events the webhook received and what
//! each did (posted, duplicate, refunded, reversed, disputed, failed,
//! ignored, review); `--status review` lists those a person must look at.

use anyhow::Result;
use clap::Subcommand;

use crate::cli::FormatArg;
use crate::context::Context;
use crate::output::{emit, Table};

#[derive(Subcommand, Debug)]
pub enum StripeCommand {
    /// The events received from Stripe, oldest first.
    Events {
        /// Only events of this status, e.g. review.
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
}

pub fn run(ctx: &mut Context, command: StripeCommand) -> Result<()> {
    match command {
        StripeCommand::Events { status, format } => {
            let events: Vec<_> = ctx
                .store
                .stripe_events(ctx.org.id)?
                .into_iter()
                .filter(|e| status.as_deref().is_none_or(|s| e.status == s))
                .collect();
            let mut table = Table::new(&[
                "event",
                "type",
                "payment_intent",
                "status",
                "payment",
                "fee",
                "detail",
            ]);
            for e in &events {
                table.push(vec![
                    e.event_id.clone(),
                    e.event_type.clone(),
                    e.intent_id.clone().unwrap_or_default(),
                    e.status.clone(),
                    e.payment_id.map(|p| format!("#{p}")).unwrap_or_default(),
                    match (
                        e.fee_minor,
                        e.fee_currency.as_deref().map(dun_core::Currency::parse),
                    ) {
                        (Some(fee), Some(Ok(c))) => {
                            format!("{} {c}", dun_core::money::format_minor(fee, c))
                        }
                        _ => String::new(),
                    },
                    e.detail.clone(),
                ]);
            }
            emit(format.format, &table, &events)
        }
    }
}
