//! The outbox page: every message the run, a schedule or a person queued,
//! newest first, with its state — pending, sending, sent, failed, unknown,
//! dropped, held, cancelled — where it went and why it failed or was
//! dropped; a person holds, sends now, cancels (with a reason) or retries
//! a message from here. A banner says when no SMTP server
//! is configured, so nothing leaves. Opened, a reminder not yet sent reads
//! as it would go now: re-checked against the ledger as the worker will
//! (what is left out and why, or that it would not be sent at all), with
//! its From, To and Cc, its HTML body in a sandboxed frame (served from
//! its own address under a Content-Security-Policy that runs nothing and
//! loads nothing), its plain-text alternative, and the files the worker
//! would attach (`dun_mail::attachments::preview`: the worker's own code,
//! writing nothing), each one downloadable.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use dun_mail::attachments::Prepared;
use dun_mail::send::Outgoing;
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_store::accounts::Role;
use dun_store::delivery::Claim;
use dun_store::outbox::{OutboxMessage, STATUSES};
use dun_store::outbox_actions::{OutboxAction, OUTBOX_REASON_CHARS_MAX};
use dun_store::recheck::Recheck;
use dun_store::{Store, StoreError};
use maud::{html, Markup};
use serde::Deserialize;

use crate::layout::{encode, page, status_class, words, Ctx};
use crate::{error_page, read_page, submit};

/// Messages one page shows.
const PAGE_ROWS: i64 = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/outbox", get(list))
        .route("/outbox/{id}", get(show))
        .route("/outbox/{id}/body.html", get(body_html))
        .route("/outbox/{id}/attachments/{file}", get(attachment))
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
    // A viewer reads; the buttons are for those who may act.
    if ctx.role < Role::Collector {
        return html! {};
    }
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
    let from = Sender::of(&state);
    submit(
        &state,
        caller,
        form.csrf_token.clone(),
        Need::Write,
        move |store, p, ctx| {
            let now = store.now_utc();
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
            message_page(
                store,
                p.org_id,
                ctx,
                id,
                &public_url,
                &from,
                None,
                Some(message),
            )
        },
    )
    .await
}

/// The policy a message's HTML body is served under: a sandbox (no
/// script, no form, no origin), nothing loaded but the images the e-mail
/// carries inline, its own inline styles, framed by Dun's pages only.
pub const BODY_CONTENT_SECURITY_POLICY: &str = "sandbox; default-src 'none'; img-src data:; \
     style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/// A message as the worker would write it now: the claim (re-checked), the
/// e-mail, and the files it would carry — or why they cannot be made (the
/// worker would then fail the message before the server is reached).
struct Reading {
    claim: Claim,
    written: Outgoing,
    documents: Result<Prepared, String>,
}

/// Reads message `id` without changing anything (`Store::preview_message`,
/// `dun_mail::attachments::preview`).
fn read_message(
    store: &mut Store,
    org_id: i64,
    id: i64,
    today: dun_core::Date,
    public_url: &str,
) -> Result<Reading, ApiError> {
    let claim = store.preview_message(org_id, id, today)?;
    let written = dun_mail::worker::compose(&claim, public_url, Vec::new())
        .map_err(|e| ApiError::invalid("template", e))?;
    let documents =
        match dun_mail::attachments::preview(store, org_id, &claim, today, Some(public_url)) {
            Ok(prepared) => Ok(prepared),
            Err(dun_mail::attachments::DocumentError::Store(e)) => return Err(e.into()),
            Err(e) => Err(e.to_string()),
        };
    Ok(Reading {
        claim,
        written,
        documents,
    })
}

/// One message as the customer will read it: subject, addressees, body and
/// attachments, written now from the same template, figures and documents
/// the worker uses.
pub async fn show(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(id): Path<i64>,
    Query(query): Query<ShowQuery>,
) -> Response {
    let public_url = state.config.site_url();
    let from = Sender::of(&state);
    read_page(&state, caller, move |store, p, ctx| {
        let done = query.done.as_deref().and_then(action_named);
        let page = message_page(store, p.org_id, ctx, id, &public_url, &from, done, None)?;
        Ok((StatusCode::OK, page))
    })
    .await
}

/// Who a message comes from: the server's `DUN_SMTP_FROM` and reply-to.
#[derive(Clone, Default)]
struct Sender {
    from: Option<String>,
    reply_to: Option<String>,
}

impl Sender {
    fn of(state: &AppState) -> Sender {
        state
            .smtp
            .as_ref()
            .map(|c| Sender {
                from: Some(c.from.clone()),
                reply_to: c.reply_to.clone(),
            })
            .unwrap_or_default()
    }
}

/// A size in bytes as a person reads it (`812 bytes`, `14.2 kB`).
fn size_words(bytes: usize) -> String {
    if bytes < 1000 {
        format!("{bytes} bytes")
    } else if bytes < 1_000_000 {
        format!("{:.1} kB", bytes as f64 / 1000.0)
    } else {
        format!("{:.1} MB", bytes as f64 / 1_000_000.0)
    }
}

/// A media type in words, beside the type itself.
fn media_words(content_type: &str) -> &'static str {
    match content_type {
        dun_mail::attachments::PDF => "PDF",
        dun_mail::attachments::XML => "E-invoice (UBL XML)",
        _ => "File",
    }
}

#[allow(clippy::too_many_arguments)]
fn message_page(
    store: &mut Store,
    org_id: i64,
    ctx: &Ctx,
    id: i64,
    public_url: &str,
    from: &Sender,
    done: Option<OutboxAction>,
    refusal: Option<&str>,
) -> Result<Markup, ApiError> {
    let Reading {
        claim,
        written,
        documents,
    } = read_message(store, org_id, id, ctx.today, public_url)?;
    let m = &claim.message;
    // Once it went, the addresses it went to; before, the customer's now.
    let gone = m.recipient.is_some() && m.status == "sent";
    let (to, cc) = if gone {
        (m.recipient.clone().unwrap_or_default(), m.cc.clone())
    } else {
        (claim.recipient.clone(), claim.cc.clone())
    };
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
            dt { "State" } dd {
                span class=(format!("badge {}", status_class(&m.status))) { (words(&m.status)) }
                @if let Some(at) = &m.sent_at { " on " (at) }
            }
            dt { "From" } dd #from {
                @match &from.from {
                    Some(f) => { (f) }
                    None => { span.muted { "not set (" code { "DUN_SMTP_FROM" } ")" } }
                }
            }
            @if let Some(reply_to) = &from.reply_to { dt { "Replies to" } dd { (reply_to) } }
            dt { "To" } dd #to {
                @if to.is_empty() { span.bad { "no e-mail address" } } @else { (to) }
                " (" a href=(format!("/customers/{}", encode(&m.customer_ref))) { (m.customer_name) } ")"
            }
            dt { "Cc" } dd #cc { @match &cc { Some(cc) => { (cc) } None => { "—" } } }
            dt { "Subject" } dd #subject { (written.subject) }
            @if let Some(error) = &m.last_error {
                dt { @match m.status.as_str() { "dropped" => "Why not sent", "cancelled" => "Why cancelled", _ => "Last error" } }
                dd { (error) }
            }
        }
        @if ctx.role >= Role::Collector && !OutboxAction::for_message(m).is_empty() {
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
        iframe.mail #message-html sandbox="" src=(format!("/outbox/{}/body.html", m.id))
            title=(format!("The e-mail of message {} as the customer sees it", m.id)) {}
        details #message-plain {
            summary { "Plain-text version" }
            div.scroll tabindex="0" { pre #message-text { (written.text) } }
        }
        h2 #attached { "Attached" }
        @if gone {
            p.muted #regenerated {
                "The files are not kept once sent: these are drawn up again from the book as it is now, "
                "so an amount paid or charged since shows as it stands today."
            }
        }
        @match &documents {
            Err(why) => {
                p.notice.bad role="status" #documents-refused {
                    "The documents cannot be made, so the message would fail before it is sent: " (why)
                }
            }
            Ok(prepared) => {
                @if prepared.files.is_empty() {
                    p.empty { "Nothing is attached." }
                } @else {
                    div.scroll tabindex="0" { table.data.stacked #attachments {
                        thead { tr { th scope="col" { "File" } th scope="col" { "Type" } th.num scope="col" { "Size" } } }
                        tbody { @for f in &prepared.files {
                            tr {
                                td.lead.file { a href=(format!("/outbox/{}/attachments/{}", m.id, encode(&f.filename))) download=(f.filename) { (f.filename) } }
                                td data-label="Type" { (media_words(&f.content_type)) " " span.muted { "(" (f.content_type) ")" } }
                                td.num data-label="Size" { (size_words(f.bytes.len())) }
                            }
                        } }
                    } }
                }
                @for w in &prepared.withheld {
                    p.notice.bad.withheld role="status" {
                        (w.what) " " (w.number) " goes without its e-invoice, which would not conform; "
                        "set what the organisation's profile asks (" a href="/settings/profile" { "Settings → Profile" } "). " (w.why)
                    }
                }
            }
        }
    };
    Ok(page(ctx, "Outbox", &format!("Message {}", m.id), body))
}

/// Bytes with their media type, and a file name to save them under.
struct Served {
    content_type: String,
    bytes: Vec<u8>,
    filename: Option<String>,
}

/// Runs `work` for a signed-in reader and serves what it made, with the
/// headers a raw file needs; a refusal is an error page.
async fn serve_read<F>(state: &AppState, caller: Result<Caller, ApiError>, work: F) -> Response
where
    F: FnOnce(&mut Store, i64, &Ctx) -> Result<Served, ApiError> + Send + 'static,
{
    let Ok(caller) = caller else {
        return crate::see_other("/sign-in");
    };
    let made = state
        .as_caller(caller, Need::Read, move |store, p| {
            let ctx = Ctx::load(p)?;
            work(store, p.org_id, &ctx)
        })
        .await;
    let served = match made {
        Ok(served) => served,
        Err(e) => return error_page(e),
    };
    let mut response = (StatusCode::OK, served.bytes).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&served.content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Some(name) = served.filename {
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            headers.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The message's HTML body exactly as the e-mail carries it, under
/// [`BODY_CONTENT_SECURITY_POLICY`]: the message page frames it.
pub async fn body_html(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(id): Path<i64>,
) -> Response {
    let public_url = state.config.site_url();
    let mut response = serve_read(&state, caller, move |store, org_id, ctx| {
        let reading = read_message(store, org_id, id, ctx.today, &public_url)?;
        Ok(Served {
            content_type: "text/html; charset=utf-8".into(),
            bytes: reading.written.html.into_bytes(),
            filename: None,
        })
    })
    .await;
    if response.status() == StatusCode::OK {
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(BODY_CONTENT_SECURITY_POLICY),
        );
        headers.insert(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    response
}

/// One file the message would carry, by its file name, as the worker
/// would attach it now.
pub async fn attachment(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path((id, file)): Path<(i64, String)>,
) -> Response {
    let public_url = state.config.site_url();
    serve_read(&state, caller, move |store, org_id, ctx| {
        let reading = read_message(store, org_id, id, ctx.today, &public_url)?;
        let files = reading
            .documents
            .map_err(|why| ApiError::invalid("attachments", why))?
            .files;
        let Some(found) = files.into_iter().find(|f| f.filename == file) else {
            return Err(ApiError::not_found(format!(
                "message {id} carries no file named '{file}'"
            )));
        };
        Ok(Served {
            content_type: found.content_type,
            filename: Some(found.filename),
            bytes: found.bytes,
        })
    })
    .await
}
