//! Today: what today's run will do, in words a person reads — per
//! customer, the messages with their invoices and amounts, the fees,
//! interest and compensation with amounts, holds, tier changes and tasks —
//! and **Apply**, which applies exactly what was read: the form carries
//! the preview's digest and the store refuses if the run would now decide
//! anything else (`Store::run_collections_as_previewed`). A first run the
//! scheduler left for a person says so here; the runs applied before are
//! listed below it.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use dun_core::collections::action::{charge_words, Action, ActionKind};
use dun_core::collections::run::first_run_hold;
use dun_core::Currency;
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_store::accounts::Role;
use dun_store::collections::{plan_digest, RunOutcome};
use dun_store::{Store, StoreError};
use maud::{html, Markup};
use serde::Deserialize;

use crate::layout::{encode, money, page, words, Ctx};
use crate::{read_page, submit};

/// Applied runs listed under the preview.
const HISTORY_ROWS: i64 = 10;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/today", get(show))
        .route("/today/apply", post(apply))
}

#[derive(Deserialize, Default)]
pub struct TodayQuery {
    /// The run just applied, to say so.
    applied: Option<i64>,
}

#[derive(Deserialize, Default, Clone)]
pub struct ApplyForm {
    csrf_token: Option<String>,
    #[serde(default)]
    digest: String,
}

/// An invoice's number, or `#id` when the run knows it by id only.
fn number(outcome: &RunOutcome, id: i64) -> String {
    outcome
        .invoice_numbers
        .get(&id)
        .cloned()
        .unwrap_or_else(|| format!("#{id}"))
}

/// One action as a sentence.
fn in_words(outcome: &RunOutcome, action: &Action) -> String {
    match &action.kind {
        ActionKind::Message(m) => {
            let channels: Vec<&str> = m
                .channels
                .iter()
                .map(|c| match c.as_str() {
                    "email" => "e-mail",
                    other => other,
                })
                .collect();
            let items: Vec<String> = m
                .items
                .iter()
                .map(|i| {
                    let when = match i.days_past_due {
                        d if d < 0 => format!("due in {} days", -d),
                        0 => "due today".to_string(),
                        d => format!("{d} days late"),
                    };
                    format!(
                        "{} ({} open, {when})",
                        i.number,
                        money(i.open_minor, i.currency)
                    )
                })
                .collect();
            format!(
                "Send the {} by {}: {}",
                words(&m.template),
                channels.join(" and "),
                items.join(", ")
            )
        }
        ActionKind::Task(t) => format!(
            "Task ({}), due {}: {}",
            words(t.kind.as_str()),
            t.due_date,
            t.title
        ),
        ActionKind::Fee {
            number,
            currency,
            amount_minor,
            step,
            ..
        } => format!(
            "Charge a late fee of {} on {number} ({})",
            money(*amount_minor, *currency),
            words(step)
        ),
        ActionKind::Interest {
            number,
            currency,
            amount_minor,
            from,
            through,
            ..
        } => format!(
            "Charge interest of {} on {number}, {from} to {through}",
            money(*amount_minor, *currency)
        ),
        ActionKind::Compensation {
            number,
            currency,
            amount_minor,
            law,
            ..
        } => format!(
            "Charge the fixed compensation of {} on {number} ({})",
            money(*amount_minor, *currency),
            words(law)
        ),
        ActionKind::ChargeReversed {
            number,
            currency,
            charge,
            amount_minor,
            reason,
            ..
        } => format!(
            "Reverse the {} of {} on {number}: {reason}",
            charge_words(*charge),
            money(*amount_minor, *currency)
        ),
        ActionKind::NotCharged { number, reason, .. } => {
            format!("Nothing charged on {number}: {reason}")
        }
        ActionKind::Skip { steps, invoice_id } => format!(
            "Not sent on {} (a later step is due the same day): {}",
            number(outcome, *invoice_id),
            steps
                .iter()
                .map(|s| words(s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ActionKind::SetStatus { from, to, reason } => format!(
            "Status {} → {}: {reason}",
            words(from.as_str()),
            words(to.as_str())
        ),
        ActionKind::SetTier { from, to, reasons } => {
            format!("Risk tier {from} → {to}: {}", reasons.join("; "))
        }
        ActionKind::PromiseSettled {
            kept,
            currency,
            amount_minor,
            received_minor,
            ..
        } => format!(
            "The promise of {} was {} ({} received)",
            money(*amount_minor, *currency),
            if *kept { "kept" } else { "broken" },
            money(*received_minor, *currency)
        ),
        ActionKind::PlanSettled {
            plan_id, outcome, ..
        } => format!("Payment plan {plan_id} {}", outcome.as_str()),
        ActionKind::CloseTask { title, reason, .. } => {
            format!("Close the task “{title}”: {reason}")
        }
    }
}

/// One customer's part of the run, in a few words: "2 messages, 1 task".
fn customer_summary(actions: &[&Action]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for a in actions {
        let word = match &a.kind {
            ActionKind::Message(_) => "message",
            ActionKind::Task(_) => "task",
            ActionKind::Fee { .. }
            | ActionKind::Interest { .. }
            | ActionKind::Compensation { .. } => "charge",
            ActionKind::ChargeReversed { .. } => "charge reversed",
            ActionKind::SetStatus { .. } => "status change",
            ActionKind::SetTier { .. } => "tier change",
            _ => "note",
        };
        *counts.entry(word).or_default() += 1;
    }
    counts
        .iter()
        .map(|(w, n)| format!("{n} {w}{}", if *n == 1 { "" } else { "s" }))
        .collect::<Vec<_>>()
        .join(", ")
}

fn today_page(
    store: &mut Store,
    ctx: &Ctx,
    org_id: i64,
    applied: Option<i64>,
    refusal: Option<&str>,
) -> Result<Markup, ApiError> {
    let outcome = store.run_collections(org_id, ctx.today, false)?;
    let digest = plan_digest(&outcome.plan);
    let history = store.runs(org_id, HISTORY_ROWS)?;
    let held = store
        .run_claims(org_id, 1)?
        .into_iter()
        .find(|c| c.run_date == ctx.today)
        .and_then(|c| c.outcome)
        .filter(|o| o.starts_with("refused"))
        .filter(|_| !history.iter().any(|r| r.as_of == ctx.today));
    let first = history.is_empty();
    let hold = if first {
        first_run_hold(&outcome.plan)
    } else {
        None
    };
    let mut by_customer: BTreeMap<String, (i64, Vec<&Action>)> = BTreeMap::new();
    for action in &outcome.plan.actions {
        let name = outcome
            .customers
            .get(&action.customer_id)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| format!("#{}", action.customer_id));
        by_customer
            .entry(name)
            .or_insert_with(|| (action.customer_id, Vec::new()))
            .1
            .push(action);
    }
    let messages = outcome
        .plan
        .actions
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Message(_)))
        .count();
    let mut charges: BTreeMap<Currency, i64> = BTreeMap::new();
    for (currency, amount) in outcome.plan.actions.iter().filter_map(|a| a.kind.charged()) {
        *charges.entry(currency).or_default() += amount;
    }
    let writer = ctx.role != Role::Viewer;
    let body = html! {
        h1 { "Today" }
        p.muted { "What the collections run does as of " (ctx.today) " (" (ctx.timezone) "), policy version " (outcome.plan.policy_version) "." }
        @if let Some(run_id) = applied {
            p.notice role="status" #applied { "Run " (run_id) " applied. Its messages are in the " a href="/outbox" { "outbox" } "." }
        }
        @if let Some(message) = refusal {
            p.notice.bad role="alert" #refusal { (message) }
        }
        @if let Some(outcome) = &held {
            p.notice.bad role="status" #held {
                "The scheduler did not apply today's run on its own: " (outcome.trim_start_matches("refused: ")) ". Read it below and apply it if it is right."
            }
        } @else if let Some(what) = &hold {
            p.notice role="status" #first-run {
                "This is the book's first run: it would " (what) ". The scheduler waits for a person to apply it."
            }
        }
        @if outcome.plan.actions.is_empty() {
            p.empty #nothing { "Nothing to do today: no message, charge or task is due." }
        } @else {
            p #totals {
                (messages) " message" @if messages != 1 { "s" } " to send"
                @for (currency, amount) in &charges {
                    "; " (money(*amount, *currency)) " charged"
                }
                "; " (by_customer.len()) " customer" @if by_customer.len() != 1 { "s" } "."
            }
            @if writer {
                form method="post" action="/today/apply" #apply {
                    (ctx.csrf_field())
                    input type="hidden" name="digest" value=(digest);
                    button type="submit" { "Apply today's run" }
                    " " span.muted { "Applies what this page shows; if the book changes first, nothing is done and the page says so." }
                }
            }
            @for (name, (customer_id, actions)) in &by_customer {
                @let reference = outcome.customers.get(customer_id).map(|c| c.reference.clone()).unwrap_or_default();
                details.customer-run open[by_customer.len() <= 10] {
                    summary {
                        strong { (name) } " — " (customer_summary(actions))
                    }
                    ul {
                        @for action in actions {
                            li { (in_words(&outcome, action)) }
                        }
                    }
                    @if !reference.is_empty() {
                        p { a href=(format!("/customers/{}", encode(&reference))) { "Open " (name) } }
                    }
                }
            }
        }
        h2 { "Runs applied" }
        @if history.is_empty() {
            p.empty { "No run has been applied yet." }
        } @else {
            div.scroll tabindex="0" { table.data {
                thead { tr {
                    th scope="col" { "Run" } th scope="col" { "As of" } th.num scope="col" { "Actions" }
                    th scope="col" { "Policy" } th scope="col" { "Finished" }
                } }
                tbody { @for run in &history {
                    tr {
                        td.num { (run.id) }
                        td { (run.as_of) }
                        td.num { (run.actions) }
                        td { "v" (run.policy_version) }
                        td { (run.finished_at) }
                    }
                } }
            } }
        }
    };
    Ok(page(ctx, "Today", "Today", body))
}

pub async fn show(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Query(query): Query<TodayQuery>,
) -> Response {
    read_page(&state, caller, move |store, p, ctx| {
        let page = today_page(store, ctx, p.org_id, query.applied, None)?;
        Ok((StatusCode::OK, page))
    })
    .await
}

/// Applies today's run as the person read it, or says why not.
pub async fn apply(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Form(form): Form<ApplyForm>,
) -> Response {
    submit(
        &state,
        caller,
        form.csrf_token.clone(),
        Need::Write,
        move |store, p, ctx| match store.run_collections_as_previewed(
            p.org_id,
            ctx.today,
            &form.digest,
        ) {
            Ok(outcome) => Ok(format!(
                "/today?applied={}",
                outcome.run_id.unwrap_or_default()
            )),
            Err(StoreError::Conflict(m)) => Err(ApiError::invalid("digest", m)),
            Err(e) => Err(e.into()),
        },
        move |store, p, ctx, message| today_page(store, ctx, p.org_id, None, Some(message)),
    )
    .await
}
