//! The outbox page: every message the run, a schedule or a person queued,
//! newest first, with its state — pending, sending, sent, failed, unknown —
//! where it went and why it failed; a failed or unknown one is sent again
//! from here. A banner says when no SMTP server is configured, so nothing
//! leaves.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_store::outbox::{OutboxMessage, STATUSES};
use maud::{html, Markup};
use serde::Deserialize;

use crate::layout::{encode, page, status_class, words, Ctx};
use crate::{read_page, submit};

/// Messages one page shows.
const PAGE_ROWS: i64 = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/outbox", get(list))
        .route("/outbox/{id}/retry", post(retry))
}

#[derive(Deserialize, Default)]
pub struct OutboxQuery {
    status: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct RetryForm {
    csrf_token: Option<String>,
}

/// What a message is about, in a few words: its invoices, or its period.
fn about(m: &OutboxMessage) -> String {
    let numbers: Vec<&str> = m.detail["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["number"].as_str())
        .collect();
    if !numbers.is_empty() {
        return numbers.join(", ");
    }
    if let Some(number) = m.detail["number"].as_str() {
        return number.to_string();
    }
    match (m.period_start, m.period_end) {
        (Some(from), Some(to)) => format!("{from} to {to}"),
        _ => String::new(),
    }
}

fn outbox_page(
    ctx: &Ctx,
    messages: &[OutboxMessage],
    status: Option<&str>,
    smtp_configured: bool,
    refusal: Option<&str>,
) -> Markup {
    let body = html! {
        h1 { "Outbox" }
        @if !smtp_configured {
            p.notice.bad role="status" {
                "No SMTP server is configured, so messages stay here and nothing is e-mailed. "
                "Set " code { "DUN_SMTP_HOST" } " and " code { "DUN_SMTP_FROM" } " for " code { "dun serve" } "."
            }
        }
        @if let Some(message) = refusal {
            p.notice.bad role="alert" { (message) }
        }
        nav.tabs aria-label="Message state" {
            a href="/outbox" aria-current=[status.is_none().then_some("page")] { "All" }
            @for s in STATUSES {
                a href=(format!("/outbox?status={s}")) aria-current=[(status == Some(s)).then_some("page")] { (words(s)) }
            }
        }
        @if messages.is_empty() {
            p.empty { "No messages." }
        } @else {
            div.scroll tabindex="0" { table.data {
                thead { tr {
                    th scope="col" { "#" } th scope="col" { "Customer" } th scope="col" { "What" }
                    th scope="col" { "About" } th scope="col" { "For" } th scope="col" { "State" }
                    th scope="col" { "To" } th scope="col" { "Last error" } th scope="col" { "" }
                } }
                tbody { @for m in messages {
                    tr {
                        td.num { (m.id) }
                        td { a href=(format!("/customers/{}", encode(&m.customer_ref))) { (m.customer_name) } }
                        td { (words(&m.template)) }
                        td { (about(m)) }
                        td { (m.as_of) }
                        td { span class=(format!("badge {}", status_class(&m.status))) { (words(&m.status)) } }
                        td { (m.recipient.as_deref().unwrap_or("")) }
                        td { (m.last_error.as_deref().unwrap_or("")) }
                        td {
                            @if m.status == "failed" || m.status == "unknown" {
                                form.inline method="post" action=(format!("/outbox/{}/retry", m.id)) {
                                    (ctx.csrf_field())
                                    button type="submit" aria-label=(format!("Send message {} again", m.id)) { "Send again" }
                                }
                            }
                        }
                    }
                } }
            } }
        }
    };
    page(ctx, "Outbox", "Outbox", body)
}

pub async fn list(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Query(query): Query<OutboxQuery>,
) -> Response {
    let smtp_configured = state.smtp.is_some();
    read_page(&state, caller, move |store, p, ctx| {
        let status = query.status.filter(|s| !s.is_empty() && s != "all");
        if let Some(s) = status.as_deref() {
            if !STATUSES.contains(&s) {
                return Err(ApiError::invalid(
                    "status",
                    format!("State '{s}' is not one of {}.", STATUSES.join(", ")),
                ));
            }
        }
        let messages = store.outbox_recent(p.org_id, status.as_deref(), PAGE_ROWS)?;
        Ok((
            StatusCode::OK,
            outbox_page(ctx, &messages, status.as_deref(), smtp_configured, None),
        ))
    })
    .await
}

/// A person sends a failed or unknown message again (on the timeline with
/// their name).
pub async fn retry(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(id): Path<i64>,
    Form(form): Form<RetryForm>,
) -> Response {
    let smtp_configured = state.smtp.is_some();
    submit(
        &state,
        caller,
        form.csrf_token.clone(),
        Need::Write,
        move |store, p, ctx| {
            let now = dun_store::clock::now_utc();
            store.retry_message(p.org_id, id, &p.author(), &now, ctx.today)?;
            Ok("/outbox".to_string())
        },
        move |store, p, ctx, message| {
            let messages = store.outbox_recent(p.org_id, None, PAGE_ROWS)?;
            Ok(outbox_page(
                ctx,
                &messages,
                None,
                smtp_configured,
                Some(message),
            ))
        },
    )
    .await
}
