//! `dun stripe events`: the Stripe events the webhook received and what
//! each did (posted, duplicate, refunded, reversed, disputed, failed,
//! ignored, review); `--status review` lists those a person must look at.
//! `dun stripe sync --since DATE`: the payments Stripe took whose webhook
//! never came, posted now, once (`dun_server::stripe::sync`).

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
    /// Posts the card payments Stripe took since DATE whose webhook never
    /// reached Dun (each once: a later webhook or sync posts nothing more).
    /// Stripe's API is DUN_STRIPE_API_BASE, else api.stripe.com.
    Sync {
        /// The first day (YYYY-MM-DD, in the organisation's zone) whose
        /// PaymentIntents are looked at.
        #[arg(long, value_name = "DATE")]
        since: String,
        #[command(flatten)]
        format: FormatArg,
    },
}

pub fn run(ctx: &mut Context, command: StripeCommand) -> Result<()> {
    match command {
        StripeCommand::Sync { since, format } => {
            let day = dun_core::Date::parse(since.trim()).map_err(|e| {
                anyhow::anyhow!("since: '{since}' is not a date ({e}); write YYYY-MM-DD")
            })?;
            let base = std::env::var("DUN_STRIPE_API_BASE")
                .ok()
                .map(|b| b.trim().trim_end_matches('/').to_string())
                .filter(|b| !b.is_empty())
                .unwrap_or_else(|| dun_server::stripe::client::DEFAULT_API_BASE.to_string());
            let report = dun_server::stripe::sync::sync(&mut ctx.store, &base, ctx.org.id, day)?;
            let mut table = Table::new(&["payment_intent", "result", "payment"]);
            for healed in &report.intents {
                table.push(vec![
                    healed.intent_id.clone(),
                    healed.result.clone(),
                    healed
                        .payment_id
                        .map(|p| format!("#{p}"))
                        .unwrap_or_default(),
                ]);
            }
            emit(format.format, &table, &report)?;
            Ok(())
        }
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
