//! The outbox page: every message the run, a schedule or a person queued,
//! newest first, with its state — pending, sending, sent, failed, unknown,
//! dropped, held, cancelled — where it went and why it failed or was
//! dropped; a person holds, sends now, cancels (with a reason) or retries
//! a message from here. A banner says when no SMTP server
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
use dun_store::outbox_actions::{OutboxAction, OUTBOX_REASON_CHARS_MAX};
use dun_store::recheck::Recheck;
use dun_store::{Store, StoreError};
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
        .route("/outbox/{id}/{action}", post(act))
}

#[derive(Deserialize, Default)]
pub struct OutboxQuery {
    status: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    /// The action just taken, to say so.
    done: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct ActionForm {
    csrf_token: Option<String>,
    #[serde(default)]
    reason: String,
}

/// An action by the name its route and button use.
fn action_named(name: &str) -> Option<OutboxAction> {
    OutboxAction::ALL.into_iter().find(|a| a.name() == name)
}

/// The button's words for an action.
fn button_words(action: OutboxAction) -> &'static str {
    match action {
        OutboxAction::Hold => "Hold",
        OutboxAction::SendNow => "Send now",
        OutboxAction::Cancel => "Cancel it",
        OutboxAction::Retry => "Send again",
    }
}

/// What happened, after an action.
fn done_words(action: OutboxAction) -> &'static str {
    match action {
        OutboxAction::Hold => "held: it is not sent until you send it now",
        OutboxAction::SendNow | OutboxAction::Retry => "due now: the next delivery pass sends it",
        OutboxAction::Cancel => "cancelled: it will not be sent",
    }
}

/// A message's action buttons; an action that needs a reason (cancel) is
/// offered where the message is read, with its reason field, unless
/// `with_reasons`.
fn action_forms(ctx: &Ctx, m: &OutboxMessage, with_reasons: bool) -> Markup {
    html! {
        @for action in OutboxAction::for_message(m) {
            @if action.needs_reason() && !with_reasons {
                a href=(format!("/outbox/{}#act", m.id)) aria-label=(format!("Cancel message {}", m.id)) { "Cancel…" }
            } @else {
                form.inline method="post" action=(format!("/outbox/{}/{}", m.id, action.name())) {
                    (ctx.csrf_field())
                    @if with_reasons && (action.needs_reason() || action == OutboxAction::Hold) {
                        label {
                            @if action.needs_reason() { "Why not send it " } @else { "Why hold it (optional) " }
                            input type="text" name="reason" maxlength=(OUTBOX_REASON_CHARS_MAX)
                                required[action.needs_reason()];
                        }
                    }
                    button type="submit" aria-label=(format!("{} message {}", button_words(action), m.id)) { (button_words(action)) }
                }
            }
        }
    }
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
                        td { (action_forms(ctx, m, false)) }
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

/// A person holds, sends now, cancels or retries a message (on the
/// timeline with their name); a message in another state meanwhile is
/// refused on the page it was asked from.
pub async fn act(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path((id, name)): Path<(i64, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    let Some(action) = action_named(&name) else {
        return crate::error_page(ApiError::not_found(format!(
            "there is no action '{name}' on a message"
        )));
    };
    let public_url = state.config.site_url();
    submit(
        &state,
        caller,
        form.csrf_token.clone(),
        Need::Write,
        move |store, p, ctx| {
            let now = dun_store::clock::now_utc();
            match store.act_on_message(
                p.org_id,
                id,
                action,
                &form.reason,
                &p.author(),
                &now,
                ctx.today,
            ) {
                Ok(_) => Ok(format!("/outbox/{id}?done={}", action.name())),
                Err(StoreError::Conflict(m) | StoreError::Invalid(m)) => {
                    Err(ApiError::invalid("status", m))
                }
                Err(e) => Err(e.into()),
            }
        },
        move |store, p, ctx, message| {
            message_page(store, p.org_id, ctx, id, &public_url, None, Some(message))
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
    Query(query): Query<ShowQuery>,
) -> Response {
    let public_url = state.config.site_url();
    read_page(&state, caller, move |store, p, ctx| {
        let done = query.done.as_deref().and_then(action_named);
        let page = message_page(store, p.org_id, ctx, id, &public_url, done, None)?;
        Ok((StatusCode::OK, page))
    })
    .await
}

fn message_page(
    store: &mut Store,
    org_id: i64,
    ctx: &Ctx,
    id: i64,
    public_url: &str,
    done: Option<OutboxAction>,
    refusal: Option<&str>,
) -> Result<Markup, ApiError> {
    let claim = store.preview_message(org_id, id, ctx.today)?;
    let written = dun_mail::worker::compose(&claim, public_url, Vec::new())
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
        @if let Some(action) = done {
            p.notice role="status" #done { "Message " (m.id) " is " (done_words(action)) "." }
        }
        @if let Some(message) = refusal {
            p.notice.bad role="alert" #refusal { (message) }
        }
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
                dt { @match m.status.as_str() { "dropped" => "Why not sent", "cancelled" => "Why cancelled", _ => "Last error" } }
                dd { (error) }
            }
        }
        @if !OutboxAction::for_message(m).is_empty() {
            div.actions #act { (action_forms(ctx, m, true)) }
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
    Ok(page(ctx, "Outbox", &format!("Message {}", m.id), body))
}
