//! The bank page: upload a statement (camt, a ZIP of camt files, or a CSV
//! export, with a mapping the user writes when no layout reads it), see what
//! matched by itself and why, and decide the lines waiting for a person —
//! confirm a candidate, post to another customer and invoices, mark as
//! not a customer payment, or undo a match. Lines are listed a page of
//! [`QUEUE_ROWS_MAX`] at a time, with Previous and Next.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_store::bank_queue::{
    BankCursor, BankFilter, BankPage, BankTransaction, Confirm, QUEUE_ROWS_MAX,
};
use dun_store::Store;
use maud::{html, Markup};
use serde::Deserialize;

use crate::layout::{encode, money, page, status_class, words, Ctx};
use crate::{error_page, read_page, submit};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/bank", get(list))
        .route("/bank/import", post(import))
        .route("/bank/{id}/confirm", post(confirm))
        .route("/bank/{id}/dismiss", post(dismiss))
        .route("/bank/{id}/undo", post(undo))
}

#[derive(Deserialize, Default)]
pub struct BankQuery {
    show: Option<String>,
    /// The page of lines after (older than) this line.
    after: Option<i64>,
    /// The page of lines before (newer than) this line.
    before: Option<i64>,
    /// After an import: what it did, as `read.new.matched.waiting`.
    imported: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct ConfirmForm {
    csrf_token: Option<String>,
    customer: String,
    /// Invoice numbers, separated by commas or spaces (empty: oldest first).
    #[serde(default)]
    invoices: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct ReasonForm {
    csrf_token: Option<String>,
    reason: String,
}

const TABS: [(&str, &str); 3] = [
    ("queue", "Waiting for you"),
    ("matched", "Matched"),
    ("all", "All lines"),
];

fn line_text(t: &BankTransaction) -> Markup {
    html! {
        (t.counterparty_name.as_deref().unwrap_or("(no name)"))
        @if let Some(iban) = &t.counterparty_iban { br; span.small.muted.code { (iban) } }
        @if !t.remittance.is_empty() { br; span.small { (t.remittance) } }
        @if let Some(r) = &t.structured_ref { br; span.small.code { (r) } }
    }
}

fn decide_forms(ctx: &Ctx, t: &BankTransaction) -> Markup {
    html! {
        @for c in &t.candidates {
            form.inline method="post" action=(format!("/bank/{}/confirm", t.id)) {
                (ctx.csrf_field())
                input type="hidden" name="customer" value=(c.customer_ref);
                input type="hidden" name="invoices" value=(c.invoices.join(","));
                button type="submit" aria-label=(format!("Confirm line {} as {}", t.id, c.customer_name)) {
                    "Confirm: " (c.customer_name)
                    @if !c.invoices.is_empty() { " · " (c.invoices.join(", ")) }
                }
                span.small.muted { " " (c.score) "% — " (c.reasons.join("; ")) }
            }
            br;
        }
        details {
            summary { "Another customer or invoices…" }
            form.stack method="post" action=(format!("/bank/{}/confirm", t.id)) {
                (ctx.csrf_field())
                label for=(format!("customer-{}", t.id)) { "Customer reference" }
                input id=(format!("customer-{}", t.id)) name="customer" required;
                label for=(format!("invoices-{}", t.id)) { "Invoice numbers " span.hint { "(commas; empty: oldest due first)" } }
                input id=(format!("invoices-{}", t.id)) name="invoices";
                button type="submit" { "Post as their payment" }
            }
            form.stack method="post" action=(format!("/bank/{}/dismiss", t.id)) {
                (ctx.csrf_field())
                label for=(format!("reason-{}", t.id)) { "Not a customer payment — why?" }
                input id=(format!("reason-{}", t.id)) name="reason" required placeholder="owner's loan, supplier refund…";
                button type="submit" { "Take out of the queue" }
            }
        }
    }
}

fn bank_page(
    ctx: &Ctx,
    lines_page: &BankPage,
    show: &str,
    notice: Option<&str>,
    refusal: Option<&str>,
) -> Markup {
    let lines = &lines_page.lines;
    let body = html! {
        h1 { "Bank" }
        @if let Some(message) = refusal { p.notice.bad role="alert" { (message) } }
        @if let Some(message) = notice { p.notice.ok role="status" { (message) } }
        form.stack method="post" action="/bank/import" enctype="multipart/form-data" {
            (ctx.csrf_field())
            label for="statement" { "Bank statement " span.hint { "(camt.053, camt.052, camt.054, a ZIP of them, or a CSV export)" } }
            input #statement type="file" name="file" required;
            label for="preset" { "CSV layout" }
            select #preset name="preset" {
                option value="" { "Find it from the header row" }
                @for p in dun_bank::presets() { option value=(p) { (p) } }
            }
            details {
                summary { "A CSV export no layout reads: write a mapping…" }
                label for="mapping" { "Mapping (TOML) " span.hint { "(which column holds what; see the README's “Bank statements”)" } }
                textarea #mapping name="mapping" rows="8" spellcheck="false" placeholder="date = \"Buchungstag\"\ndate_format = \"dd.mm.yyyy\"\namount = \"Betrag\"\ndecimal = \",\"\nfixed_currency = \"EUR\"\nskip_footer_rows = 1" {}
            }
            label { input type="checkbox" name="accept_unbalanced" value="1"; " Import even if its balances do not add up" }
            button type="submit" { "Import and match" }
        }
        nav.tabs aria-label="Bank lines" {
            @for (key, label) in TABS {
                a href=(format!("/bank?show={key}")) aria-current=[(show == key).then_some("page")] { (label) }
            }
        }
        @if lines.is_empty() {
            p.empty { @if show == "queue" { "Nothing is waiting: every line is matched or decided." } @else { "No bank lines." } }
        } @else {
            div.scroll tabindex="0" { table.data {
                thead { tr {
                    th scope="col" { "#" } th scope="col" { "Booked" } th.num scope="col" { "Amount" }
                    th scope="col" { "From / text" } th scope="col" { "State" } th scope="col" { "Customer, why" } th scope="col" { "" }
                } }
                tbody { @for t in lines {
                    tr id=(format!("line-{}", t.id)) {
                        td.num { (t.id) }
                        td { (t.booked_date) }
                        td.num { (money(t.amount_minor, t.currency)) }
                        td { (line_text(t)) }
                        td { span class=(format!("badge {}", status_class(&t.status))) { (words(&t.status)) }
                             @if let Some(rule) = &t.rule { br; span.small.muted { "by " (words(rule)) } } }
                        td {
                            @if let Some(c) = &t.customer_ref {
                                a href=(format!("/customers/{}", encode(c))) { (t.customer_name.as_deref().unwrap_or(c)) } br;
                            }
                            span.small { (t.reasons.join("; ")) }
                        }
                        td {
                            @if t.status == "unmatched" || t.status == "suggested" {
                                (decide_forms(ctx, t))
                            } @else if t.status == "matched" {
                                form.inline method="post" action=(format!("/bank/{}/undo", t.id)) {
                                    (ctx.csrf_field())
                                    label.visually-hidden for=(format!("undo-{}", t.id)) { "Why undo line " (t.id) }
                                    input id=(format!("undo-{}", t.id)) name="reason" required placeholder="why undo";
                                    button type="submit" { "Undo" }
                                }
                            }
                        }
                    }
                } }
            } }
        }
        @if lines_page.previous_before.is_some() || lines_page.next_after.is_some() {
            nav.pager aria-label="Pages of bank lines" {
                @if let Some(id) = lines_page.previous_before {
                    a href=(format!("/bank?show={show}&before={id}")) rel="prev" { "← Previous " (QUEUE_ROWS_MAX) }
                    " "
                }
                @if let Some(id) = lines_page.next_after {
                    a href=(format!("/bank?show={show}&after={id}")) rel="next" { "Next " (QUEUE_ROWS_MAX) " →" }
                }
            }
        }
    };
    page(ctx, "Bank", "Bank", body)
}

fn filter_of(show: &str) -> Result<BankFilter, ApiError> {
    BankFilter::parse(show).ok_or_else(|| {
        ApiError::invalid(
            "show",
            format!("Show '{show}' is not one of queue, matched, all."),
        )
    })
}

fn imported_notice(text: &str) -> Option<String> {
    let n: Vec<usize> = text.split('.').filter_map(|p| p.parse().ok()).collect();
    let [read, new, matched, waiting] = n[..] else {
        return None;
    };
    Some(format!(
        "Read {read} lines: {new} new, {} already imported. {matched} matched and posted; {waiting} waiting for you.",
        read - new.min(read)
    ))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Query(query): Query<BankQuery>,
) -> Response {
    read_page(&state, caller, move |store, p, ctx| {
        let show = query.show.unwrap_or_else(|| "queue".into());
        let cursor = match (query.after, query.before) {
            (Some(id), _) => BankCursor::After(id),
            (None, Some(id)) => BankCursor::Before(id),
            (None, None) => BankCursor::First,
        };
        let lines =
            store.bank_transactions_page(p.org_id, filter_of(&show)?, cursor, QUEUE_ROWS_MAX)?;
        let notice = query.imported.as_deref().and_then(imported_notice);
        Ok((
            StatusCode::OK,
            bank_page(ctx, &lines, &show, notice.as_deref(), None),
        ))
    })
    .await
}

fn again(
    store: &mut Store,
    p: &dun_store::accounts::Principal,
    ctx: &Ctx,
    message: &str,
) -> Result<Markup, ApiError> {
    let lines = store.bank_transactions_page(
        p.org_id,
        BankFilter::Queue,
        BankCursor::First,
        QUEUE_ROWS_MAX,
    )?;
    Ok(bank_page(ctx, &lines, "queue", None, Some(message)))
}

/// The statement upload: multipart, with the CSRF token as a field.
pub async fn import(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    mut multipart: Multipart,
) -> Response {
    let (mut csrf, mut preset, mut mapping, mut accept, mut file, mut name) =
        (None, None, None, false, Vec::new(), String::new());
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return error_page(ApiError::invalid(
                    "file",
                    format!("The upload could not be read: {e}"),
                ))
            }
        };
        let field_name = field.name().unwrap_or("").to_string();
        if field_name == "file" {
            name = field.file_name().unwrap_or("statement").to_string();
        }
        let Ok(bytes) = field.bytes().await else {
            return error_page(ApiError::invalid(
                "file",
                "The upload was cut short; try again.",
            ));
        };
        match field_name.as_str() {
            "csrf_token" => csrf = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "preset" => {
                preset =
                    Some(String::from_utf8_lossy(&bytes).into_owned()).filter(|p| !p.is_empty())
            }
            "mapping" => {
                mapping = Some(String::from_utf8_lossy(&bytes).into_owned())
                    .filter(|m| !m.trim().is_empty())
            }
            "accept_unbalanced" => accept = true,
            "file" => file = bytes.to_vec(),
            _ => {}
        }
    }
    submit(
        &state,
        caller,
        csrf,
        Need::Write,
        move |store, p, _| {
            if file.is_empty() {
                return Err(ApiError::invalid(
                    "file",
                    "Choose a statement file to import.",
                ));
            }
            let mapping = mapping
                .as_deref()
                .map(dun_bank::CsvMapping::from_toml)
                .transpose()
                .map_err(|e| {
                    ApiError::invalid(
                        "mapping",
                        format!("The mapping: {e}. Nothing was imported."),
                    )
                })?;
            let options = dun_bank::ParseOptions { preset, mapping };
            let statements = dun_bank::parse_statements(&file, &options).map_err(|e| {
                ApiError::invalid("file", format!("{name}: {e}. Nothing was imported."))
            })?;
            let s = store.import_bank_statements(p.org_id, &name, &statements, accept)?;
            Ok(format!(
                "/bank?imported={}.{}.{}.{}",
                s.lines_read,
                s.lines_new,
                s.matched,
                s.suggested + s.unmatched
            ))
        },
        again,
    )
    .await
}

pub async fn confirm(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(id): Path<i64>,
    Form(form): Form<ConfirmForm>,
) -> Response {
    submit(
        &state,
        caller,
        form.csrf_token.clone(),
        Need::Write,
        move |store, p, _| {
            let invoices = form
                .invoices
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|n| !n.is_empty())
                .map(|n| (n.to_string(), None))
                .collect();
            let confirm = Confirm {
                customer_ref: form.customer.trim().to_string(),
                invoices,
            };
            store.confirm_bank_transaction(p.org_id, id, &confirm)?;
            Ok(format!("/bank#line-{id}"))
        },
        again,
    )
    .await
}

pub async fn dismiss(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(id): Path<i64>,
    Form(form): Form<ReasonForm>,
) -> Response {
    submit(
        &state,
        caller,
        form.csrf_token.clone(),
        Need::Write,
        move |store, p, _| {
            store.dismiss_bank_transaction(p.org_id, id, &form.reason)?;
            Ok("/bank".to_string())
        },
        again,
    )
    .await
}

pub async fn undo(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(id): Path<i64>,
    Form(form): Form<ReasonForm>,
) -> Response {
    submit(
        &state,
        caller,
        form.csrf_token.clone(),
        Need::Write,
        move |store, p, _| {
            store.undo_bank_match(p.org_id, id, &form.reason)?;
            Ok("/bank?show=queue".to_string())
        },
        again,
    )
    .await
}
