//! The daily collections run, scheduled.
//!
//! Every `scheduler_interval_ms` the scheduler looks at each organisation:
//! once its local time has reached its `run_at`, it claims the run of its
//! local date in the database ([`dun_store::operations`]) and, if it won the
//! claim, applies the run for that date. While the run works a heartbeat
//! keeps the claim fresh; when it ends the claim is marked finished with a
//! one-line outcome. A process that dies mid-run leaves a claim whose
//! heartbeat goes stale; the next process to look takes it over and runs
//! the day. The run is one transaction whose marks make a repeat do
//! nothing, so a takeover never acts twice, and several `dun serve`
//! processes sharing one PostgreSQL run each organisation's day once.
//!
//! When the policy says `run_after_bank_import`, the day's run waits until
//! a bank statement has been imported that day (local time), or until the
//! policy's `bank_import_wait_until`, whichever comes first.
//!
//! After the collections run, the day's schedules run too (recurring
//! invoices issued, statements queued), as `dun run` does.
//!
//! A run that fails releases its claim, so the next tick tries again (and
//! logs again): a person sees the error in the logs and in the metrics.

use std::time::{Duration, Instant};

use dun_core::Date;
use dun_store::operations::Claim;
use tokio::sync::watch;

use crate::app::AppState;
use crate::metrics::OutcomeLabels;
use crate::problem::ApiError;
use crate::wire::utc;

/// This scheduler's name in run claims: host, process id, and a random
/// part so that two schedulers in one process are told apart too.
pub fn claimer_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    let tag = dun_store::accounts::random_hex(3).unwrap_or_default();
    format!("{host}:{}:{tag}", std::process::id())
}

pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let claimer = claimer_name();
    let interval = Duration::from_millis(state.config.scheduler_interval_ms);
    tracing::info!(claimer = %claimer, interval_ms = interval.as_millis() as u64, "scheduler started");
    loop {
        if *stop.borrow() {
            break;
        }
        if let Err(e) = tick(&state, &claimer).await {
            tracing::error!(detail = %e.detail, cause = ?e.internal, "scheduler tick failed");
        }
        crate::idempotency::sweep(&state).await;
        if let Some(smtp) = &state.smtp {
            if let Err(e) = crate::delivery::drain(&state, smtp, &claimer).await {
                tracing::error!(detail = %e.detail, cause = ?e.internal, "outbox delivery failed");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => break,
        }
    }
    tracing::info!("scheduler stopped");
}

/// An organisation whose day may be due.
struct Due {
    org_id: i64,
    name: String,
    date: Date,
}

/// The organisations whose local time has reached their run time, each
/// with its local date.
async fn due(state: &AppState) -> Result<Vec<Due>, ApiError> {
    state
        .pool
        .run(|store| {
            let mut due = Vec::new();
            for org in store.orgs()? {
                let run_at = store.run_at(org.id)?;
                let Ok(zone) = jiff::tz::TimeZone::get(&org.timezone) else {
                    tracing::error!(org = %org.name, timezone = %org.timezone, "unknown time zone; the run is skipped");
                    continue;
                };
                let now = jiff::Timestamp::now().to_zoned(zone);
                let local = now.strftime("%H:%M").to_string();
                if local < run_at {
                    continue;
                }
                // The policy may have the run wait for the day's bank
                // statement (until its latest time).
                let payments = store.policy(org.id)?.policy.payments;
                if payments.run_after_bank_import {
                    let midnight = store
                        .clock()
                        .start_of_today_utc(&org.timezone)
                        .unwrap_or_else(|_| utc(now.timestamp()));
                    let imported = store.bank_imported_since(org.id, &midnight)?;
                    if !payments.run_may_start(&local, imported) {
                        continue;
                    }
                }
                let d = now.date();
                let Some(date) = Date::from_ymd(i32::from(d.year()), d.month() as u32, d.day() as u32) else {
                    continue;
                };
                due.push(Due {
                    org_id: org.id,
                    name: org.name,
                    date,
                });
            }
            Ok(due)
        })
        .await
}

async fn tick(state: &AppState, claimer: &str) -> Result<(), ApiError> {
    for org in due(state).await? {
        let now = jiff::Timestamp::now();
        let stale = jiff::SignedDuration::from_millis(state.config.run_claim_stale_ms as i64);
        let stale_before = utc(now.checked_sub(stale).unwrap_or(now));
        let (org_id, date, who) = (org.org_id, org.date, claimer.to_string());
        let claim = state
            .pool
            .write(move |store| {
                Ok(store.claim_run(org_id, date, &who, &utc(now), &stale_before)?)
            })
            .await?;
        match claim {
            Claim::Won => run_one(state, claimer, &org).await,
            Claim::Held { .. } | Claim::Finished => {}
        }
    }
    Ok(())
}

async fn run_one(state: &AppState, claimer: &str, org: &Due) {
    let started = Instant::now();
    tracing::info!(org = %org.name, date = %org.date, "daily run started");
    // The heartbeat keeps the claim fresh while the run works.
    let beat_every = Duration::from_millis((state.config.run_claim_stale_ms / 3).max(100));
    let (done_tx, mut done_rx) = watch::channel(false);
    let heartbeat =
        {
            let (pool, who, org_id, date) = (
                state.pool.clone(),
                claimer.to_string(),
                org.org_id,
                org.date,
            );
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(beat_every) => {}
                        _ = done_rx.changed() => break,
                    }
                    let who = who.clone();
                    let beat = pool
                        .write(move |store| {
                            Ok(store.heartbeat_run(
                                org_id,
                                date,
                                &who,
                                &utc(jiff::Timestamp::now()),
                            )?)
                        })
                        .await;
                    if !matches!(beat, Ok(true)) {
                        tracing::warn!(org_id, "the run's claim could not be refreshed");
                    }
                }
            })
        };
    let (org_id, date) = (org.org_id, org.date);
    let result = state
        .pool
        .write(move |store| {
            let outcome = store.run_collections_unattended(org_id, date)?;
            // Then what the schedules owe the day, as `dun run` does:
            // recurring invoices issued, statements queued.
            let schedules = store.run_schedules(org_id, date)?;
            Ok(format!(
                "{} actions applied (run {}); {} recurring invoices issued, {} statements queued",
                outcome.applied.len(),
                outcome
                    .run_id
                    .map_or_else(|| "-".to_string(), |id| id.to_string()),
                schedules.issued(),
                schedules.statements.len()
            ))
        })
        .await;
    let _ = done_tx.send(true);
    let _ = heartbeat.await;
    let seconds = started.elapsed().as_secs_f64();
    state.metrics.run_seconds.observe(seconds);
    let who = claimer.to_string();
    match result {
        Ok(summary) => {
            tracing::info!(org = %org.name, date = %org.date, seconds, summary = %summary, "daily run finished");
            state
                .metrics
                .runs
                .get_or_create(&OutcomeLabels {
                    outcome: "applied".into(),
                })
                .inc();
            let finished = state
                .pool
                .write(move |store| {
                    Ok(store.finish_run(
                        org_id,
                        date,
                        &who,
                        &summary,
                        &utc(jiff::Timestamp::now()),
                    )?)
                })
                .await;
            if let Err(e) = finished {
                tracing::error!(org = %org.name, detail = %e.detail, "the run's claim could not be marked finished");
            }
        }
        Err(e) if e.status.is_client_error() => {
            // The book refused the run (a run dated after this one was
            // applied by hand, say): retrying cannot help; the claim is
            // finished with the reason, which the logs and metrics show.
            tracing::error!(org = %org.name, date = %org.date, detail = %e.detail, "daily run refused");
            state
                .metrics
                .runs
                .get_or_create(&OutcomeLabels {
                    outcome: "refused".into(),
                })
                .inc();
            let outcome = format!("refused: {}", e.detail);
            let _ = state
                .pool
                .write(move |store| {
                    Ok(store.finish_run(
                        org_id,
                        date,
                        &who,
                        &outcome,
                        &utc(jiff::Timestamp::now()),
                    )?)
                })
                .await;
        }
        Err(e) => {
            tracing::error!(org = %org.name, date = %org.date, detail = %e.detail, cause = ?e.internal, "daily run failed; it will be tried again");
            state
                .metrics
                .runs
                .get_or_create(&OutcomeLabels {
                    outcome: "failed".into(),
                })
                .inc();
            let _ = state
                .pool
                .write(move |store| Ok(store.release_run(org_id, date, &who)?))
                .await;
        }
    }
}
