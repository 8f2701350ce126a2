//! E-mail from the server: after each scheduler tick, every organisation's
//! outbox is drained through SMTP (when `DUN_SMTP_HOST` is set), with the
//! same worker as `dun outbox send` — claims in the database, at most once,
//! invoices with their PDF and UBL e-invoice attached. Without SMTP the
//! messages stay in the outbox (and `/metrics` shows them waiting).

use std::sync::Arc;

use dun_mail::worker::{deliver_with_documents, DrainOptions};
use dun_mail::{SmtpConfig, SmtpSender};

use crate::app::AppState;
use crate::problem::ApiError;

/// Most messages one organisation sends per tick.
pub const MESSAGES_PER_TICK_MAX: usize = 500;

/// Drains every organisation's outbox once.
pub async fn drain(state: &AppState, smtp: &Arc<SmtpConfig>, worker: &str) -> Result<(), ApiError> {
    let orgs = state.pool.run(|store| Ok(store.orgs()?)).await?;
    for org in orgs {
        let (smtp, worker, public_url) = (
            smtp.clone(),
            worker.to_string(),
            state.config.customer_link_base().map(str::to_string),
        );
        let (org_id, name) = (org.id, org.name.clone());
        // Not the writer lane: the worker's transactions are short, and the
        // SMTP conversation between them must not hold up the API's writes.
        let report = state
            .pool
            .run(move |store| {
                let today = crate::wire::today_in(&org.timezone)?;
                let mut sender = SmtpSender::new((*smtp).clone());
                let clock = store.clock();
                let now = move || clock.now_utc();
                Ok(deliver_with_documents(
                    store,
                    org_id,
                    &smtp,
                    &mut sender,
                    &DrainOptions {
                        worker: &worker,
                        limit: MESSAGES_PER_TICK_MAX,
                        stale_secs: DrainOptions::STALE_SECS_DEFAULT,
                        public_url: public_url.as_deref(),
                        today,
                        now: &now,
                    },
                )?)
            })
            .await?;
        if report.waiting_for_public_url > 0 {
            tracing::warn!(
                org = %name,
                waiting = report.waiting_for_public_url,
                "customer e-mails wait in the outbox: they carry portal links, and DUN_PUBLIC_URL \
                 (the address customers reach this server at) is not set"
            );
        }
        if report.claimed > 0 || !report.recovered.is_empty() || !report.dropped.is_empty() {
            tracing::info!(
                org = %name,
                sent = report.sent.len(),
                retried = report.retried.len(),
                failed = report.failed.len(),
                unknown = report.unknown.len(),
                recovered = report.recovered.len(),
                dropped = report.dropped.len(),
                "outbox drained"
            );
        }
    }
    Ok(())
}
