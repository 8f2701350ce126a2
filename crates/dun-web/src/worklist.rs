//! The collector's worklist: prioritized tasks, each with one form to
//! log its outcome.
//!
//! The order is the store's (`Store::worklist`): priority = amount at
//! risk × lateness × the risk tier's weight (PRODUCT.md). A page shows
//! [`PAGE_ROWS`] tasks; `page=N` shows the next ones, up to the store's
//! bound of `WORKLIST_LIMIT_MAX` tasks.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use dun_core::collections::action::TaskKind;
use dun_core::collections::escalation::{Decision, Escalation};
use dun_core::money::parse_amount_minor;
use dun_core::Currency;
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_server::wire;
use dun_store::accounts::{Principal, Role};
use dun_store::escalations::{Amount, ReviewDecision};
use dun_store::records::PromisedPayment;
use dun_store::worklist::WorklistRow;
use dun_store::Store;
use maud::{html, Markup};
use serde::Deserialize;

use crate::customers::tel_href;
use crate::dashboard_cache::{open_ranked, Keeper};
use crate::layout::{encode, money, page, status_class, words, Ctx};
use crate::{read_page, submit};

/// Tasks one page shows.
const PAGE_ROWS: usize = 25;
/// The task kinds, for the filter: the domain's.
fn is_kind(text: &str) -> bool {
    TaskKind::parse(text).is_some()
}
/// The outcome that records a promise (its amount and date are asked for).
const PROMISED: &str = "Called — promised to pay";
/// The outcomes logged in one click: (button text, outcome recorded, id part).
pub const OUTCOMES: [(&str, &str, &str); 4] = [
    ("Called — promised", PROMISED, "promised"),
    ("Left voicemail", "Left voicemail", "voicemail"),
    ("No answer", "No answer", "no-answer"),
    ("Done", "Done", "done"),
];

#[derive(Clone, Debug, Default, Deserialize)]
pub struct WorklistQuery {
    kind: Option<String>,
    page: Option<String>,
    done: Option<String>,
    reopened: Option<String>,
}

/// Opening a done task again: why.
#[derive(Clone, Deserialize)]
pub struct ReopenForm {
    csrf_token: Option<String>,
    #[serde(default)]
    reason: String,
}

fn non_empty(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// The form one task's row posts.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DoneForm {
    csrf_token: Option<String>,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    preset: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    page: String,
    /// What the customer promised in the call, in `promise_currency`, and by when.
    #[serde(default)]
    promise_amount: String,
    #[serde(default)]
    promise_currency: String,
    #[serde(default)]
    promise_date: String,
}

/// The form an escalation review's row posts.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DecideForm {
    csrf_token: Option<String>,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    page: String,
}

/// The decisions on an escalation review: (button text, decision, owner only).
const DECISIONS: [(&str, Decision, bool); 4] = [
    (
        "Hand to an agency",
        Decision::Approve(Escalation::Agency),
        false,
    ),
    (
        "Take legal action",
        Decision::Approve(Escalation::Legal),
        false,
    ),
    ("Write off", Decision::Approve(Escalation::WriteOff), true),
    ("Reject", Decision::Reject, false),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/worklist", get(show))
        .route("/worklist/{task_id}/done", post(done))
        .route("/worklist/{task_id}/decide", post(decide))
        .route("/worklist/{task_id}/reopen", post(reopen))
        .route("/escalations", get(handed_over))
}

/// A refused outcome to show beside its task: (task id, message, text typed).
type Refusal<'a> = (i64, &'a str, &'a str);

fn worklist_page(
    keeper: &Keeper,
    store: &mut Store,
    p: &Principal,
    ctx: &Ctx,
    query: &WorklistQuery,
    refusal: Option<Refusal<'_>>,
) -> Result<Markup, ApiError> {
    let kind = non_empty(&query.kind).filter(|k| is_kind(k));
    let page_no: usize = match non_empty(&query.page) {
        None => 0,
        Some(text) => text.parse::<usize>().map_err(|_| {
            ApiError::invalid("page", format!("page: '{text}' is not a page number"))
        })?,
    };
    let offset = page_no.saturating_mul(PAGE_ROWS);
    // The store ranks every open task and keeps the first
    // `WORKLIST_LIMIT_MAX`; the ranking is kept (see `ranked`).
    let (heavy, stale) = keeper.heavy(store, p.org_id, ctx.today, &ctx.edges)?;
    let ranked = open_ranked(store, p.org_id, &heavy, stale)?;
    let matching: Vec<(usize, WorklistRow)> = ranked
        .iter()
        .enumerate()
        .filter(|(_, r)| kind.as_deref().is_none_or(|k| r.task_kind == k))
        .map(|(i, r)| (i, r.clone()))
        .collect();
    let more = matching.len() > offset + PAGE_ROWS;
    let rows: Vec<(usize, WorklistRow)> =
        matching.into_iter().skip(offset).take(PAGE_ROWS).collect();
    // Active promises of the customers on this page (one read each).
    let mut promised: BTreeMap<String, String> = BTreeMap::new();
    for (_, row) in &rows {
        if promised.contains_key(&row.customer_ref) {
            continue;
        }
        let text = store
            .promises(p.org_id, Some(&row.customer_ref))?
            .into_iter()
            .filter(|pr| pr.status == "active")
            .min_by_key(|pr| pr.promised_date)
            .map(|pr| {
                format!(
                    "{} by {}",
                    money(pr.amount_minor, pr.currency),
                    pr.promised_date
                )
            })
            .unwrap_or_default();
        promised.insert(row.customer_ref.clone(), text);
    }
    let writes = ctx.role >= Role::Collector;
    let kind_q = kind.as_deref().unwrap_or("");
    let link = |n: usize| {
        let mut parts = Vec::new();
        if let Some(k) = &kind {
            parts.push(format!("kind={}", encode(k)));
        }
        if n > 0 {
            parts.push(format!("page={n}"));
        }
        if parts.is_empty() {
            "/worklist".to_string()
        } else {
            format!("/worklist?{}", parts.join("&"))
        }
    };
    let done = non_empty(&query.done).and_then(|d| d.parse::<i64>().ok());
    let reopened = non_empty(&query.reopened).and_then(|d| d.parse::<i64>().ok());
    // A refusal about a task not on this page (reopening a done one).
    let elsewhere = refusal.filter(|r| !rows.iter().any(|(_, row)| row.task_id == r.0));
    let body = html! {
        h1 { "Worklist" }
        p.muted { "Open tasks due by " (ctx.today) ", most pressing first: amount at risk × days late × the risk tier's weight. " a href="/escalations" { "Customers with an agency or a lawyer" } }
        @if let Some(id) = done {
            div.notice.ok role="status" {
                "Task #" (id) " is done; the outcome is on the customer's timeline. "
                @if writes {
                    form.inline method="post" action=(format!("/worklist/{id}/reopen")) {
                        (ctx.csrf_field())
                        input type="hidden" name="reason" value="closed by mistake";
                        button type="submit" id=(format!("reopen-{id}")) { "Undo: open it again" }
                    }
                }
            }
        }
        @if let Some(id) = reopened {
            p.notice.ok role="status" { "Task #" (id) " is open again; the reopening is on the customer's timeline." }
        }
        @if let Some((id, message, _)) = elsewhere {
            p.notice.bad role="alert" { "Task #" (id) ": " (message) }
        }
        form.filters method="get" action="/worklist" {
            div {
                label for="kind" { "Kind" }
                select #kind name="kind" {
                    option value="" { "Any" }
                    @for k in TaskKind::ALL.map(TaskKind::as_str) {
                        option value=(k) selected[kind.as_deref() == Some(k)] { (words(k)) }
                    }
                }
            }
            div { button type="submit" { "Filter" } }
        }
        @if rows.is_empty() {
            p.empty { "No open tasks are due." }
        } @else {
            div.scroll tabindex="0" { table.data.worklist {
                thead { tr {
                    th.num scope="col" { "#" }
                    th scope="col" { "Kind" }
                    th scope="col" { "Customer" }
                    th scope="col" { "What to do" }
                    th.num scope="col" { "Owed" }
                    th scope="col" { "Days late" }
                    th scope="col" { "Promised" }
                    th scope="col" { "Last contact" }
                    @if writes { th scope="col" { "Outcome" } }
                } }
                tbody {
                    @for (rank, row) in &rows {
                        @let currency = row.currency.unwrap_or(ctx.currency);
                        @let since = ctx.today.add_days(-row.days_late);
                        tr id=(format!("task-{}", row.task_id)) data-task=(row.task_id) {
                            td.num.rank { (rank + 1) }
                            td.task-kind { span class=(format!("badge {}", status_class(&row.task_kind))) { (words(&row.task_kind)) } }
                            td.customer {
                                a href=(format!("/customers/{}", encode(&row.customer_ref))) { (row.customer_name) }
                                " "
                                span class=(format!("badge {}", status_class(row.tier.as_str()))) { "tier " (words(row.tier.as_str())) }
                                @if let Some(phone) = &row.phone {
                                    br;
                                    a.phone href=(tel_href(phone)) { (phone) }
                                }
                            }
                            td.step { (next_step(&row.next_step, &row.invoice_numbers)) br; span.muted { "due " (row.due_date) } }
                            td.num.owed data-label="Owed" {
                                @if row.owed_minor == 0 { span.muted { "—" } }
                                @else { span.bad[row.owed_minor > 0 && row.days_late > 0] { (money(row.owed_minor, currency)) } }
                            }
                            td.late data-label="Late" {
                                @if row.days_late > 0 {
                                    span.bad { (row.days_late) " days late" } br; span.muted { "since " (since) }
                                } @else { span.muted { "—" } }
                            }
                            td.promised data-label="Promised" { @match promised.get(&row.customer_ref).filter(|t| !t.is_empty()) {
                                Some(t) => (t),
                                None => span.muted { "—" },
                            } }
                            td.last-contact data-label="Last contact" { @match &row.last_contact {
                                Some(c) => { (c.on) " · " (words(&c.kind)) br; span.muted { (c.summary) } },
                                None => span.muted { "none" },
                            } }
                            @if writes && row.task_kind == TaskKind::Escalation.as_str() {
                                td.outcome { (decide_form(ctx, row.task_id, kind_q, page_no, refusal.filter(|r| r.0 == row.task_id))) }
                            } @else if writes {
                                td.outcome { (done_form(ctx, row.task_id, currency, kind_q, page_no, refusal.filter(|r| r.0 == row.task_id))) }
                            }
                        }
                    }
                }
            } }
        }
        nav.pager aria-label="Pages" {
            @if page_no > 0 {
                a href=(link(page_no - 1)) rel="prev" { "Previous page" }
            }
            @if more {
                a href=(link(page_no + 1)) rel="next" { "Next page" }
            }
        }
    };
    Ok(page(ctx, "Worklist", "Worklist", body))
}

/// Invoice numbers a task's text lists before the rest fold away.
const NUMBERS_SHOWN: usize = 2;
/// Lists of more invoice numbers than this are folded.
const NUMBERS_FOLDED_OVER: usize = 3;

/// The task's text with a long list of its invoice numbers folded:
/// "INV-1, INV-2 and 14 more", the whole list a click away. The list is
/// found in the text as the run wrote it (the numbers, comma-separated,
/// in its order); a text without it is shown as it is.
fn next_step(title: &str, numbers: &[String]) -> Markup {
    let folded = (numbers.len() > NUMBERS_FOLDED_OVER)
        .then(|| {
            let mut at: Vec<(usize, &str)> = numbers
                .iter()
                .map(|n| title.find(n.as_str()).map(|i| (i, n.as_str())))
                .collect::<Option<_>>()?;
            at.sort();
            let in_order: Vec<&str> = at.iter().map(|(_, n)| *n).collect();
            let list = in_order.join(", ");
            let start = at.first()?.0;
            (title.get(start..start + list.len()) == Some(list.as_str()))
                .then_some((start, list, in_order))
        })
        .flatten();
    match folded {
        None => html! { (title) },
        Some((start, list, in_order)) => {
            let (before, after) = (&title[..start], &title[start + list.len()..]);
            html! {
                (before)
                details.numbers {
                    summary {
                        (in_order[..NUMBERS_SHOWN].join(", ")) " and " (in_order.len() - NUMBERS_SHOWN) " more"
                    }
                    (list)
                }
                (after)
            }
        }
    }
}

/// An escalation review's decision: a reason, then one button per decision
/// (writing off is the owner's).
fn decide_form(
    ctx: &Ctx,
    task_id: i64,
    kind: &str,
    page_no: usize,
    refusal: Option<Refusal<'_>>,
) -> Markup {
    let input_id = format!("reason-{task_id}");
    html! {
        form.done method="post" action=(format!("/worklist/{task_id}/decide")) {
            (ctx.csrf_field())
            input type="hidden" name="kind" value=(kind);
            input type="hidden" name="page" value=(page_no);
            @if let Some((_, message, _)) = refusal {
                p.notice.bad role="alert" { (message) }
            }
            label for=(input_id) { "Why (review #" (task_id) ")" }
            input id=(input_id) type="text" name="reason" required value=(refusal.map_or("", |r| r.2)) placeholder="e.g. no reply to the final demand";
            div.presets {
                @for (text, decision, owner_only) in DECISIONS {
                    @if !owner_only || ctx.role >= Role::Owner {
                        button type="submit" name="decision" value=(decision.as_str()) id=(format!("decide-{task_id}-{}", decision.as_str())) { (text) }
                    }
                }
            }
        }
    }
}

fn done_form(
    ctx: &Ctx,
    task_id: i64,
    currency: Currency,
    kind: &str,
    page_no: usize,
    refusal: Option<Refusal<'_>>,
) -> Markup {
    let input_id = format!("outcome-{task_id}");
    html! {
        form.done method="post" action=(format!("/worklist/{task_id}/done")) {
            (ctx.csrf_field())
            input type="hidden" name="kind" value=(kind);
            input type="hidden" name="page" value=(page_no);
            @if let Some((_, message, _)) = refusal {
                p.notice.bad role="alert" { (message) }
            }
            // Enter in a typed field logs the words as typed: the form's
            // first submit button is the one Enter presses, so it is this
            // unseen one, not the first one-click outcome.
            button type="submit" hidden tabindex="-1" { "Log outcome" }
            div.presets {
                @for (text, outcome, id) in OUTCOMES {
                    button type="submit" name="preset" value=(outcome) id=(format!("done-{task_id}-{id}")) { (text) }
                }
            }
            input type="hidden" name="promise_currency" value=(currency.code());
            details.more open[refusal.is_some()] {
                summary { "A promise, or other words" span.visually-hidden { " (task #" (task_id) ")" } }
                label for=(input_id) { "Outcome of task #" (task_id) }
                input id=(input_id) type="text" name="outcome" value=(refusal.map_or("", |r| r.2)) placeholder="e.g. will pay Friday";
                label for=(format!("promise-amount-{task_id}")) { "Promised (" (currency.code()) ", with “Called — promised”)" }
                input id=(format!("promise-amount-{task_id}")) type="text" inputmode="decimal" name="promise_amount" placeholder="e.g. 400.00";
                label for=(format!("promise-date-{task_id}")) { "by" }
                input id=(format!("promise-date-{task_id}")) type="date" name="promise_date";
                button.primary type="submit" id=(format!("done-{task_id}")) { "Log outcome" }
            }
        }
    }
}

pub async fn show(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Query(query): Query<WorklistQuery>,
) -> Response {
    let keeper = Keeper::new(&state);
    read_page(&state, caller, move |store, p, ctx| {
        Ok((
            StatusCode::OK,
            worklist_page(&keeper, store, p, ctx, &query, None)?,
        ))
    })
    .await
}

/// The outcome a form gives: a one-click outcome, with the typed words
/// after it if any; or the typed words alone.
fn outcome_of(form: &DoneForm) -> Result<String, ApiError> {
    let preset = form.preset.trim();
    let typed = form.outcome.trim();
    let outcome =
        match (preset.is_empty(), typed.is_empty()) {
            (false, false) => format!("{preset} — {typed}"),
            (false, true) => preset.to_string(),
            (true, false) => typed.to_string(),
            (true, true) => return Err(ApiError::invalid(
                "outcome",
                "Say what came of the task, e.g. \"left voicemail\", or click one of the outcomes.",
            )),
        };
    Ok(outcome)
}

/// The promise a "promised" outcome records: amount and date are asked
/// for, so the ladder waits for what was promised (and given with any
/// other outcome, they are recorded too).
fn promise_of(form: &DoneForm) -> Result<Option<PromisedPayment>, ApiError> {
    let promised = form.preset.trim() == PROMISED;
    let (amount, date) = (form.promise_amount.trim(), form.promise_date.trim());
    if !promised && amount.is_empty() && date.is_empty() {
        return Ok(None);
    }
    if amount.is_empty() {
        return Err(ApiError::invalid(
            "promise_amount",
            "Say how much they promised to pay, e.g. 400.00, so the reminders wait for it.",
        ));
    }
    if date.is_empty() {
        return Err(ApiError::invalid(
            "promise_date",
            "Say by when they promised to pay, so the reminders wait until then.",
        ));
    }
    let currency = Currency::parse(form.promise_currency.trim())
        .map_err(|e| ApiError::invalid("promise_currency", e.to_string()))?;
    let amount_minor = parse_amount_minor(amount, currency).map_err(|e| {
        ApiError::invalid(
            "promise_amount",
            format!("'{amount}' is not an amount: {e}"),
        )
    })?;
    Ok(Some(PromisedPayment {
        amount_minor,
        currency,
        promised_date: wire::parse_date("promise_date", date)?,
    }))
}

/// Where a row's form leads once done: the list as it was, saying so.
fn done_location(task_id: i64, kind: &str, page: &str) -> String {
    let mut to = format!("/worklist?done={task_id}");
    let kind = kind.trim();
    if is_kind(kind) {
        to.push_str(&format!("&kind={}", encode(kind)));
    }
    if let Ok(n) = page.trim().parse::<usize>() {
        if n > 0 {
            to.push_str(&format!("&page={n}"));
        }
    }
    to
}

/// The list again, as it was (`(kind, page)`), with a row's refusal.
fn again(
    keeper: &Keeper,
    store: &mut Store,
    p: &Principal,
    ctx: &Ctx,
    (kind, page): (&str, &str),
    refusal: Refusal<'_>,
) -> Result<Markup, ApiError> {
    let query = WorklistQuery {
        kind: Some(kind.to_string()),
        page: Some(page.to_string()).filter(|t| t.trim().parse::<usize>().is_ok()),
        done: None,
        reopened: None,
    };
    worklist_page(keeper, store, p, ctx, &query, Some(refusal))
}

pub async fn decide(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(task_id): Path<i64>,
    Form(form): Form<DecideForm>,
) -> Response {
    let decision = Decision::parse(&form.decision);
    // Writing money off is the owner's; the rest a collector may decide.
    let need = match decision {
        Some(Decision::Approve(e)) if e.needs_owner() => Need::Own,
        _ => Need::Write,
    };
    let (submitted, for_page) = (form.clone(), form);
    let keeper = Keeper::new(&state);
    submit(
        &state,
        caller,
        submitted.csrf_token.clone(),
        need,
        move |store, p, ctx| {
            let decision = decision.ok_or_else(|| {
                ApiError::invalid(
                    "decision",
                    format!("Choose one of the decisions ({}).", Decision::ACCEPTED),
                )
            })?;
            store.decide_escalation(
                p.org_id,
                task_id,
                &ReviewDecision {
                    decision,
                    reason: &submitted.reason,
                    on: ctx.today,
                    by_owner: p.role >= Role::Owner,
                },
                &p.author(),
            )?;
            Ok(done_location(task_id, &submitted.kind, &submitted.page))
        },
        move |store, p, ctx, message| {
            let refusal = (task_id, message, for_page.reason.as_str());
            again(
                &keeper,
                store,
                p,
                ctx,
                (&for_page.kind, &for_page.page),
                refusal,
            )
        },
    )
    .await
}

fn amounts(list: &[Amount]) -> String {
    if list.is_empty() {
        return "—".to_string();
    }
    list.iter()
        .map(|a| format!("{} {}", money(a.amount_minor, a.currency), a.currency))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The agency list: customers with an agency or a lawyer, what they owed
/// then, what they paid since (to report) and what is open now.
pub async fn handed_over(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
) -> Response {
    read_page(&state, caller, move |store, p, ctx| {
        let rows = store.handed_over(p.org_id)?;
        let body = html! {
            h1 { "With an agency or a lawyer" }
            p.muted { "Customers whose escalation review was approved: the reminders stopped; payments still post. Report what they paid since to whoever collects." }
            @if rows.is_empty() {
                p.empty { "No customer is with an agency or a lawyer." }
            } @else {
                div.scroll tabindex="0" { table.data {
                    thead { tr {
                        th scope="col" { "Customer" }
                        th scope="col" { "Status" }
                        th scope="col" { "Since" }
                        th.num scope="col" { "Handed over" }
                        th.num scope="col" { "Received since" }
                        th.num scope="col" { "Open now" }
                        th scope="col" { "Claim file" }
                    } }
                    tbody {
                        @for r in &rows {
                            tr {
                                td { a href=(format!("/customers/{}", encode(&r.customer_ref))) { (r.customer_name) } }
                                td { span class=(format!("badge {}", status_class(r.status.as_str()))) { (words(r.status.as_str())) } }
                                td { @match r.since { Some(d) => (d), None => span.muted { "—" } } }
                                td.num { (amounts(&r.handed_over)) }
                                td.num { (amounts(&r.received_since)) }
                                td.num { (amounts(&r.open_now)) }
                                td { a href=(format!("/api/v1/customers/{}/claim-file.zip", encode(&r.customer_ref))) download { "ZIP" } }
                            }
                        }
                    }
                } }
            }
        };
        Ok((StatusCode::OK, page(ctx, "Worklist", "With an agency or a lawyer", body)))
    })
    .await
}

/// Opens a done task again (the "Undo" beside "Task #N is done").
pub async fn reopen(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(task_id): Path<i64>,
    Form(form): Form<ReopenForm>,
) -> Response {
    let keeper = Keeper::new(&state);
    let reason = form.reason.clone();
    submit(
        &state,
        caller,
        form.csrf_token.clone(),
        Need::Write,
        move |store, p, ctx| {
            store.reopen_task(p.org_id, task_id, &reason, ctx.today, &p.author())?;
            Ok(format!("/worklist?reopened={task_id}"))
        },
        move |store, p, ctx, message| {
            again(&keeper, store, p, ctx, ("", ""), (task_id, message, ""))
        },
    )
    .await
}

pub async fn done(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(task_id): Path<i64>,
    Form(form): Form<DoneForm>,
) -> Response {
    let (submitted, for_page) = (form.clone(), form);
    let keeper = Keeper::new(&state);
    submit(
        &state,
        caller,
        submitted.csrf_token.clone(),
        Need::Write,
        move |store, p, ctx| {
            let outcome = outcome_of(&submitted)?;
            let promise = promise_of(&submitted)?;
            store.complete_task_with_promise(
                p.org_id,
                task_id,
                &outcome,
                promise,
                ctx.today,
                &p.author(),
            )?;
            Ok(done_location(task_id, &submitted.kind, &submitted.page))
        },
        move |store, p, ctx, message| {
            let refusal = (task_id, message, for_page.outcome.as_str());
            again(
                &keeper,
                store,
                p,
                ctx,
                (&for_page.kind, &for_page.page),
                refusal,
            )
        },
    )
    .await
}
