//! The outbox page: every message the run, a schedule or a person queued,
//! newest first, with its state — pending, sending, sent, failed, unknown,
//! dropped — where it went and why it failed or was dropped; a failed or
//! unknown one is sent again from here. A banner says when no SMTP server
//! is configured, so nothing leaves. Opened, a reminder not yet sent reads
//! as it would go now: re-checked against the ledger as the worker will
//! (what is left out and why, or that it would not be sent at all).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_store::outbox::{OutboxMessage, STATUSES};
use dun_store::recheck::Recheck;
use maud::{html, Markup};
use serde::Deserialize;

use crate::layout::{encode, page, status_class, words, Ctx};
use crate::{read_page, submit};

/// Messages one page shows.
const PAGE_ROWS: i64 = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/outbox", get(list))
        .route("/outbox/{id}", get(show))
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

/// What the server needs before it e-mails anyone.
#[derive(Clone, Copy)]
struct Sending {
    smtp: bool,
    public_url: bool,
}

impl Sending {
    fn of(state: &AppState) -> Sending {
        Sending {
            smtp: state.smtp.is_some(),
            public_url: state.config.customer_link_base().is_some(),
        }
    }
}

fn outbox_page(
    ctx: &Ctx,
    messages: &[OutboxMessage],
    status: Option<&str>,
    sending: Sending,
    refusal: Option<&str>,
) -> Markup {
    let body = html! {
        h1 { "Outbox" }
        @if !sending.smtp {
            p.notice.bad role="status" {
                "No SMTP server is configured, so messages stay here and nothing is e-mailed. "
                "Set " code { "DUN_SMTP_HOST" } " and " code { "DUN_SMTP_FROM" } " for " code { "dun serve" } "."
            }
        }
        @if !sending.public_url {
            p.notice.bad role="status" #public-url {
                "No public address is set, so messages stay here: every customer e-mail carries a link to the customer's portal, "
                "and a link to this machine would reach nobody. Set " code { "DUN_PUBLIC_URL" }
                " to the address customers reach " code { "dun serve" } " at (https://ar.example.com)."
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
                        td.num { a href=(format!("/outbox/{}", m.id)) aria-label=(format!("Read message {}", m.id)) { (m.id) } }
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
    let sending = Sending::of(&state);
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
            outbox_page(ctx, &messages, status.as_deref(), sending, None),
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
    let sending = Sending::of(&state);
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
            Ok(outbox_page(ctx, &messages, None, sending, Some(message)))
        },
    )
    .await
}

/// What goes with a message, as the worker attaches it.
fn attachments_said(kind: &str, resends: bool) -> &'static str {
    match kind {
        "invoice" => "the invoice's PDF, and its e-invoice (UBL) when it conforms",
        "statement" => "the statement's PDF",
        _ if resends => "the PDF (and e-invoice) of the invoices this step sends again",
        _ => "none",
    }
}

/// One message as the customer will read it: subject, addressee and body,
/// written now from the same template and figures the worker uses.
pub async fn show(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(id): Path<i64>,
) -> Response {
    let public_url = state.config.site_url();
    read_page(&state, caller, move |store, p, ctx| {
        let claim = store.preview_message(p.org_id, id, ctx.today)?;
        let written = dun_mail::worker::compose(&claim, &public_url, Vec::new())
            .map_err(|e| ApiError::invalid("template", e))?;
        let m = &claim.message;
        let resends = m.detail["items"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|i| i["resend_invoice"].as_bool() == Some(true));
        let body = html! {
            p { a href="/outbox" { "← Outbox" } }
            h1 { "Message " (m.id) }
            dl.facts {
                dt { "State" } dd { span class=(format!("badge {}", status_class(&m.status))) { (words(&m.status)) } }
                dt { "To" } dd {
                    @if claim.recipient.is_empty() { span.bad { "no e-mail address" } } @else { (claim.recipient) }
                    " (" a href=(format!("/customers/{}", encode(&m.customer_ref))) { (m.customer_name) } ")"
                }
                @if let Some(cc) = &claim.cc { dt { "Copy to" } dd #cc { (cc) } }
                dt { "Subject" } dd #subject { (written.subject) }
                dt { "Attached" } dd { (attachments_said(&m.kind, resends)) }
                @if let Some(error) = &m.last_error {
                    dt { @if m.status == "dropped" { "Why not sent" } @else { "Last error" } }
                    dd { (error) }
                }
            }
            @match &claim.recheck {
                Recheck::Dropped { reason, .. } => {
                    p.notice.bad role="status" #recheck {
                        "Checked against the book now, this reminder would not be sent: " (reason) "."
                    }
                }
                Recheck::Goes { left_out } if !left_out.is_empty() => {
                    p.notice role="status" #recheck {
                        "Checked against the book now, it goes without "
                        (left_out.iter().map(|l| format!("{} ({})", l.number, l.reason)).collect::<Vec<_>>().join(", "))
                        "."
                    }
                }
                _ => {}
            }
            h2 { "As the customer reads it" }
            div.scroll tabindex="0" { pre #message-text { (written.text) } }
        };
        Ok((StatusCode::OK, page(ctx, "Outbox", &format!("Message {}", m.id), body)))
    })
    .await
}
