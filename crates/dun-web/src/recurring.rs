//! Recurring invoices and statement schedules in the browser: the list
//! (customer, what each invoice comes to, the cadence, the next date, the
//! status, how many issued so far), a recurring invoice's page with its
//! occurrences, the form that sets one up, and pause, resume and end (end
//! only with a confirmation); each customer's statement schedule, set,
//! paused, resumed or ended. The same store calls as `/api/v1/recurring`
//! and `dun recurring` / `dun statement-schedule`; the schedule is read by
//! the domain's `Schedule::parse_with_anchor`, the lines as the invoice
//! form reads them. A viewer sees everything and no form.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use dun_core::schedule::Schedule;
use dun_core::terms::Terms;
use dun_core::Date;
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_server::wire;
use dun_store::accounts::{Principal, Role};
use dun_store::recurring::{NewRecurring, Recurring, ScheduleStatus};
use dun_store::statement_schedules::StatementSchedule;
use dun_store::{Store, StoreError};
use maud::{html, Markup};
use serde::Deserialize;

use crate::invoices::href as invoice_href;
use crate::invoices_form::{parse_lines, LineForm};
use crate::layout::{encode, money, page, status_class, unit_price, words, Ctx};
use crate::{read_page, submit};

/// Line rows the set-up form offers.
const FORM_LINE_ROWS: usize = 3;

/// The cadences the form offers, each with what its detail field takes.
const CADENCES: [(&str, &str); 4] = [
    ("monthly", "the day of the month: 1 to 31, or last"),
    (
        "weekly",
        "every how many weeks, counted from the start date: 1, 2, …",
    ),
    (
        "quarterly",
        "the day of the month, every third month from January: 1 to 31",
    ),
    ("yearly", "the day of the year as MM-DD, e.g. 01-15"),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/recurring", get(list).post(create))
        .route("/recurring/new", get(new_form))
        .route("/recurring/statements", post(set_statements))
        .route(
            "/recurring/statements/{customer}/{step}",
            post(statement_step),
        )
        .route("/recurring/{id}", get(show))
        .route("/recurring/{id}/{step}", post(step))
}

/// A change of status a person asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Pause,
    Resume,
    End,
}

impl Step {
    fn parse(text: &str) -> Result<Step, ApiError> {
        match text {
            "pause" => Ok(Step::Pause),
            "resume" => Ok(Step::Resume),
            "end" => Ok(Step::End),
            other => Err(ApiError::not_found(format!(
                "'{other}' is not one of pause, resume, end"
            ))),
        }
    }

    fn status(self) -> ScheduleStatus {
        match self {
            Step::Pause => ScheduleStatus::Paused,
            Step::Resume => ScheduleStatus::Active,
            Step::End => ScheduleStatus::Ended,
        }
    }

    fn done(self) -> &'static str {
        match self {
            Step::Pause => "paused",
            Step::Resume => "resumed",
            Step::End => "ended",
        }
    }
}

/// A schedule already in the state asked for (paused twice, from two
/// tabs), or ended meanwhile: said on the schedule's page, not an error
/// page.
fn on_the_page(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(m) => {
            let mut words = m.chars();
            let said = words
                .next()
                .map(|c| c.to_uppercase().chain(words).collect::<String>())
                .unwrap_or_default();
            ApiError::invalid("status", format!("{said}."))
        }
        other => other.into(),
    }
}

fn writer(ctx: &Ctx) -> bool {
    ctx.role >= Role::Collector
}

fn date_or_dash(date: Option<Date>) -> String {
    date.map_or_else(|| "—".to_string(), |d| d.to_string())
}

fn status_badge(status: ScheduleStatus) -> Markup {
    html! { span class=(format!("badge {}", status_class(status.as_str()))) { (status.as_str()) } }
}

/// The schedule a person typed: a cadence and its detail, read by the
/// domain (a weekly one counts its weeks from `anchor`, the start date).
fn parse_schedule(cadence: &str, detail: &str, anchor: Date) -> Result<Schedule, ApiError> {
    let cadence = cadence.trim();
    if !CADENCES.iter().any(|(c, _)| *c == cadence) {
        return Err(ApiError::invalid(
            "cadence",
            format!("Cadence '{cadence}' is not one of monthly, weekly, quarterly, yearly."),
        ));
    }
    let text = match detail.trim() {
        "" => cadence.to_string(),
        d => format!("{cadence}:{d}"),
    };
    Schedule::parse_with_anchor(&text, anchor)
        .map_err(|e| ApiError::invalid("every", format!("Schedule: {e}.")))
}

fn opt_date(field: &str, text: &str) -> Result<Option<Date>, ApiError> {
    match text.trim() {
        "" => Ok(None),
        t => wire::parse_date(field, t).map(Some),
    }
}

/// The cadence select and its detail field, for a form whose ids start
/// with `prefix`.
fn cadence_fields(prefix: &str, cadence: &str, every: &str) -> Markup {
    html! {
        label for=(format!("{prefix}cadence")) { "Cadence" }
        select id=(format!("{prefix}cadence")) name="cadence" {
            @for (c, _) in CADENCES {
                option value=(c) selected[cadence == c] { (c) }
            }
        }
        label for=(format!("{prefix}every")) { "Day or interval "
            span.hint { "(" @for (i, (c, what)) in CADENCES.iter().enumerate() { @if i > 0 { "; " } (c) ": " (what) } ")" } }
        input id=(format!("{prefix}every")) name="every" required value=(every) autocomplete="off";
    }
}

// ---- The list ----

#[derive(Deserialize, Default)]
pub struct ListQuery {
    done: Option<String>,
    customer: Option<String>,
}

/// What a redirect after a statement schedule's form says.
fn statements_notice(done: &str, customer: &str) -> Option<String> {
    let what = match done {
        "statements-set" => "set",
        "statements-paused" => "paused",
        "statements-resumed" => "resumed",
        "statements-ended" => "ended",
        _ => return None,
    };
    Some(format!("The statement schedule of {customer} is {what}."))
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct StatementForm {
    csrf_token: Option<String>,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    cadence: String,
    #[serde(default)]
    every: String,
    #[serde(default)]
    starts: String,
    /// Ending asks for this ("yes").
    #[serde(default)]
    confirm: String,
}

fn statements_section(ctx: &Ctx, schedules: &[StatementSchedule], form: &StatementForm) -> Markup {
    let can = writer(ctx);
    html! {
        section #statements aria-labelledby="statements-title" {
            h2 #statements-title { "Statement schedules" }
            p { "A customer's statement of account, queued in the outbox by the daily run on each date; it covers the days since the last one." }
            @if schedules.is_empty() {
                p.empty { "No customer has a statement schedule." }
            } @else {
                div.scroll tabindex="0" { table.data {
                    thead { tr {
                        th scope="col" { "Customer" } th scope="col" { "Cadence" }
                        th scope="col" { "Next" } th scope="col" { "Last sent" } th scope="col" { "Status" }
                        @if can { th scope="col" { "Change" } }
                    } }
                    tbody { @for s in schedules {
                        tr id=(format!("statements-{}", s.customer_ref)) {
                            td { a href=(format!("/customers/{}", encode(&s.customer_ref))) { (s.customer_name) } br; span.small.muted { (s.customer_ref) } }
                            td { (s.schedule.describe()) }
                            td { (date_or_dash(s.next_date)) }
                            td { (date_or_dash(s.last_sent_date)) }
                            td { (status_badge(s.status)) }
                            @if can {
                                td { (statement_buttons(ctx, s)) }
                            }
                        }
                    } }
                } }
            }
            @if can {
                details open[!form.customer.is_empty()] {
                    summary { "Schedule statements for a customer" }
                    form.stack method="post" action="/recurring/statements" {
                        (ctx.csrf_field())
                        p.hint { "A customer who has a schedule gets the new one in its place." }
                        label for="st-customer" { "Customer (reference)" }
                        input #st-customer name="customer" required value=(form.customer) autocomplete="off";
                        (cadence_fields("st-", if form.cadence.is_empty() { "monthly" } else { form.cadence.as_str() }, &form.every))
                        label for="st-starts" { "First statement on or after " span.hint { "(default today)" } }
                        input #st-starts type="date" name="starts" value=(form.starts);
                        button type="submit" { "Schedule statements" }
                    }
                }
            }
        }
    }
}

fn statement_buttons(ctx: &Ctx, s: &StatementSchedule) -> Markup {
    let action = |step: &str| format!("/recurring/statements/{}/{step}", encode(&s.customer_ref));
    html! {
        @match s.status {
            ScheduleStatus::Active => {
                form.inline method="post" action=(action("pause")) {
                    (ctx.csrf_field())
                    button type="submit" aria-label=(format!("Pause the statements of {}", s.customer_ref)) { "Pause" }
                }
            }
            ScheduleStatus::Paused => {
                form.inline method="post" action=(action("resume")) {
                    (ctx.csrf_field())
                    button type="submit" aria-label=(format!("Resume the statements of {}", s.customer_ref)) { "Resume" }
                }
            }
            ScheduleStatus::Ended => { "—" }
        }
        @if s.status != ScheduleStatus::Ended {
            details.inline {
                summary { "End…" }
                form.stack method="post" action=(action("end")) {
                    (ctx.csrf_field())
                    label { input type="checkbox" name="confirm" value="yes" required; " End the statements of " (s.customer_ref) " for good" }
                    button type="submit" { "End" }
                }
            }
        }
    }
}

fn list_page(
    ctx: &Ctx,
    rows: &[Recurring],
    schedules: &[StatementSchedule],
    notice: Option<&str>,
    refusal: Option<&str>,
    form: &StatementForm,
) -> Markup {
    let body = html! {
        h1 { "Recurring invoices" }
        @if let Some(message) = refusal { p.notice.bad role="alert" { (message) } }
        @if let Some(message) = notice { p.notice.ok role="status" #done { (message) } }
        p { "Invoices billed on a schedule: the daily run issues each on its date with the same lines." }
        @if writer(ctx) {
            p { a.button href="/recurring/new" { "Set up a recurring invoice" } }
        }
        @if rows.is_empty() {
            p.empty { "No recurring invoices." }
        } @else {
            div.scroll tabindex="0" { table.data {
                thead { tr {
                    th scope="col" { "#" } th scope="col" { "Customer" } th.num scope="col" { "Each invoice" }
                    th scope="col" { "Cadence" } th scope="col" { "Next" } th scope="col" { "Status" }
                    th.num scope="col" { "Issued so far" }
                } }
                tbody { @for r in rows {
                    tr {
                        td.num { a href=(format!("/recurring/{}", r.id)) { (r.id) } }
                        td { a href=(format!("/customers/{}", encode(&r.customer_ref))) { (r.customer_name) } }
                        td.num { (money(r.total_minor, r.currency)) }
                        td { (r.schedule.describe()) }
                        td { (date_or_dash(r.next_date)) }
                        td { (status_badge(r.status)) }
                        td.num { (r.issued_count) }
                    }
                } }
            } }
        }
        (statements_section(ctx, schedules, form))
    };
    page(ctx, "Recurring", "Recurring invoices", body)
}

fn list_markup(
    store: &mut Store,
    p: &Principal,
    ctx: &Ctx,
    notice: Option<&str>,
    refusal: Option<&str>,
    form: &StatementForm,
) -> Result<Markup, ApiError> {
    let rows = store.recurring_invoices(p.org_id, None)?;
    let schedules = store.statement_schedules(p.org_id)?;
    Ok(list_page(ctx, &rows, &schedules, notice, refusal, form))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Query(query): Query<ListQuery>,
) -> Response {
    read_page(&state, caller, move |store, p, ctx| {
        let notice = query
            .done
            .as_deref()
            .and_then(|d| statements_notice(d, query.customer.as_deref().unwrap_or("")));
        Ok((
            StatusCode::OK,
            list_markup(
                store,
                p,
                ctx,
                notice.as_deref(),
                None,
                &StatementForm::default(),
            )?,
        ))
    })
    .await
}

pub async fn set_statements(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Form(form): Form<StatementForm>,
) -> Response {
    let again_form = form.clone();
    submit(
        &state,
        caller,
        form.csrf_token.clone(),
        Need::Write,
        move |store, p, ctx| {
            let starts = opt_date("starts", &form.starts)?.unwrap_or(ctx.today);
            let schedule = parse_schedule(&form.cadence, &form.every, starts)?;
            let s = store.set_statement_schedule(
                p.org_id,
                form.customer.trim(),
                schedule,
                starts,
                &p.author(),
            )?;
            Ok(format!(
                "/recurring?done=statements-set&customer={}#statements",
                encode(&s.customer_ref)
            ))
        },
        move |store, p, ctx, message| list_markup(store, p, ctx, None, Some(message), &again_form),
    )
    .await
}

pub async fn statement_step(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path((customer, step)): Path<(String, String)>,
    Form(form): Form<StatementForm>,
) -> Response {
    submit(
        &state,
        caller,
        form.csrf_token.clone(),
        Need::Write,
        move |store, p, ctx| {
            let step = Step::parse(&step)?;
            if step == Step::End && form.confirm != "yes" {
                return Err(ApiError::invalid(
                    "confirm",
                    format!("Tick the box to end the statements of {customer} for good."),
                ));
            }
            let s = store
                .set_statement_schedule_status(
                    p.org_id,
                    &customer,
                    step.status(),
                    ctx.today,
                    &p.author(),
                )
                .map_err(on_the_page)?;
            Ok(format!(
                "/recurring?done=statements-{}&customer={}#statements",
                step.done(),
                encode(&s.customer_ref)
            ))
        },
        move |store, p, ctx, message| {
            list_markup(
                store,
                p,
                ctx,
                None,
                Some(message),
                &StatementForm::default(),
            )
        },
    )
    .await
}

// ---- Setting one up ----

/// The set-up form, as typed.
#[derive(Clone, Debug, Default)]
pub struct RecurringForm {
    csrf_token: Option<String>,
    customer: String,
    cadence: String,
    every: String,
    currency: String,
    terms: String,
    description: String,
    starts: String,
    ends: String,
    send_email: bool,
    lines: Vec<LineForm>,
}

impl RecurringForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> RecurringForm {
        let mut form = RecurringForm::default();
        let mut columns: [Vec<String>; 4] = Default::default();
        for (name, value) in pairs {
            match name.as_str() {
                "csrf_token" => form.csrf_token = Some(value),
                "customer" => form.customer = value,
                "cadence" => form.cadence = value,
                "every" => form.every = value,
                "currency" => form.currency = value,
                "terms" => form.terms = value,
                "invoice_description" => form.description = value,
                "starts" => form.starts = value,
                "ends" => form.ends = value,
                "send_email" => form.send_email = value == "yes",
                "description" => columns[0].push(value),
                "quantity" => columns[1].push(value),
                "unit_price" => columns[2].push(value),
                "tax_rate" => columns[3].push(value),
                _ => {}
            }
        }
        form.lines = LineForm::rows(&columns);
        form
    }

    fn blank() -> RecurringForm {
        RecurringForm {
            cadence: "monthly".into(),
            every: "1".into(),
            send_email: true,
            ..RecurringForm::default()
        }
    }
}

fn new_page(ctx: &Ctx, form: &RecurringForm, refusal: Option<&str>) -> Markup {
    let mut lines = form.lines.clone();
    while lines.len() < FORM_LINE_ROWS {
        lines.push(LineForm::default());
    }
    let body = html! {
        p.crumbs { a href="/recurring" { "Recurring invoices" } " / new" }
        h1 { "Set up a recurring invoice" }
        @if !writer(ctx) {
            p.notice { "You may read the book but not write to it: a collector or an owner sets up recurring invoices." }
        } @else {
            @if let Some(message) = refusal { p.notice.bad role="alert" { (message) } }
            form.stack method="post" action="/recurring" {
                (ctx.csrf_field())
                label for="customer" { "Customer (reference)" }
                input #customer name="customer" required value=(form.customer) autocomplete="off";
                (cadence_fields("", &form.cadence, &form.every))
                label for="starts" { "First invoice on or after " span.hint { "(default today)" } }
                input #starts type="date" name="starts" value=(form.starts);
                label for="ends" { "No invoice after " span.hint { "(empty: no end)" } }
                input #ends type="date" name="ends" value=(form.ends);
                label for="currency" { "Currency " span.hint { "(default " (ctx.currency.code()) ")" } }
                input #currency name="currency" size="4" maxlength="3" value=(form.currency) autocapitalize="characters";
                label for="terms" { "Terms " span.hint { "(e.g. net30; empty: the customer's)" } }
                input #terms name="terms" value=(form.terms);
                label for="invoice_description" { "Printed on each invoice " span.hint { "(optional)" } }
                input #invoice_description name="invoice_description" value=(form.description);
                fieldset {
                    legend { "Lines" }
                    div.scroll tabindex="0" { table.data.lines {
                        thead { tr {
                            th scope="col" { "Description" } th.num scope="col" { "Quantity" }
                            th.num scope="col" { "Unit price" } th.num scope="col" { "Tax %" }
                        } }
                        tbody { @for (i, line) in lines.iter().enumerate() {
                            tr {
                                td {
                                    label.visually-hidden for=(format!("line-{i}-description")) { "Line " (i + 1) " description" }
                                    input id=(format!("line-{i}-description")) name="description" value=(line.description);
                                }
                                td.num {
                                    label.visually-hidden for=(format!("line-{i}-quantity")) { "Line " (i + 1) " quantity" }
                                    input id=(format!("line-{i}-quantity")) inputmode="decimal" size="6" name="quantity" value=(line.quantity);
                                }
                                td.num {
                                    label.visually-hidden for=(format!("line-{i}-unit_price")) { "Line " (i + 1) " unit price" }
                                    input id=(format!("line-{i}-unit_price")) inputmode="decimal" size="9" name="unit_price" value=(line.unit_price);
                                }
                                td.num {
                                    label.visually-hidden for=(format!("line-{i}-tax_rate")) { "Line " (i + 1) " tax rate (percent)" }
                                    input id=(format!("line-{i}-tax_rate")) inputmode="decimal" size="5" name="tax_rate" value=(line.tax_rate);
                                }
                            }
                        } }
                    } }
                }
                label { input #send_email type="checkbox" name="send_email" value="yes" checked[form.send_email]; " E-mail each invoice (PDF and XML) when it is issued" }
                button.primary type="submit" { "Set up" }
            }
        }
    };
    page(ctx, "Recurring", "Set up a recurring invoice", body)
}

pub async fn new_form(State(state): State<AppState>, caller: Result<Caller, ApiError>) -> Response {
    read_page(&state, caller, move |_, _, ctx| {
        Ok((StatusCode::OK, new_page(ctx, &RecurringForm::blank(), None)))
    })
    .await
}

pub async fn create(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let form = RecurringForm::from_pairs(pairs);
    let again_form = form.clone();
    submit(
        &state,
        caller,
        form.csrf_token.clone(),
        Need::Write,
        move |store, p, ctx| {
            let starts = opt_date("starts", &form.starts)?.unwrap_or(ctx.today);
            let ends = opt_date("ends", &form.ends)?;
            let schedule = parse_schedule(&form.cadence, &form.every, starts)?;
            let currency = match form.currency.trim() {
                "" => ctx.currency,
                code => wire::parse_currency("currency", &code.to_ascii_uppercase())?,
            };
            let terms = match form.terms.trim() {
                "" => None,
                t => Some(
                    Terms::parse(t)
                        .map_err(|e| ApiError::invalid("terms", format!("Terms: {e}.")))?,
                ),
            };
            let lines = parse_lines(&form.lines, currency)?;
            let r = store.create_recurring(
                p.org_id,
                &NewRecurring {
                    customer_ref: form.customer.trim().to_string(),
                    currency,
                    lines,
                    terms,
                    description: form.description.trim().to_string(),
                    schedule,
                    starts_on: starts,
                    ends_on: ends,
                    send_email: form.send_email,
                    created_by: p.author(),
                },
            )?;
            Ok(format!("/recurring/{}?done=created", r.id))
        },
        move |_, _, ctx, message| Ok(new_page(ctx, &again_form, Some(message))),
    )
    .await
}

// ---- One recurring invoice ----

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    done: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct StepForm {
    csrf_token: Option<String>,
    /// Ending asks for this ("yes").
    #[serde(default)]
    confirm: String,
}

fn done_notice(done: &str, r: &Recurring) -> Option<String> {
    let next = r
        .next_date
        .map_or_else(String::new, |d| format!("; the next invoice is on {d}"));
    Some(match done {
        "created" => format!("Recurring invoice #{} is set up{next}.", r.id),
        "paused" => format!(
            "Recurring invoice #{} is paused: nothing is billed until it is resumed.",
            r.id
        ),
        "resumed" if r.status == ScheduleStatus::Ended => format!(
            "Recurring invoice #{} had no date left before its end, so it has ended.",
            r.id
        ),
        "resumed" => format!("Recurring invoice #{} is resumed{next}.", r.id),
        "ended" => format!("Recurring invoice #{} has ended for good.", r.id),
        _ => return None,
    })
}

fn show_page(
    ctx: &Ctx,
    r: &Recurring,
    occurrences: &[dun_store::recurring::Occurrence],
    notice: Option<&str>,
    refusal: Option<&str>,
) -> Markup {
    let c = r.currency;
    let action = |step: &str| format!("/recurring/{}/{step}", r.id);
    let body = html! {
        p.crumbs { a href="/recurring" { "Recurring invoices" } " / #" (r.id) }
        h1 { "Recurring invoice #" (r.id) " · " (r.customer_name) }
        @if let Some(message) = refusal { p.notice.bad role="alert" { (message) } }
        @if let Some(message) = notice { p.notice.ok role="status" #done { (message) } }
        dl.facts {
            dt { "Customer" } dd { a href=(format!("/customers/{}", encode(&r.customer_ref))) { (r.customer_name) } " (" (r.customer_ref) ")" }
            dt { "Status" } dd #status { (status_badge(r.status)) }
            dt { "Cadence" } dd { (r.schedule.describe()) " " span.small.muted.code { (r.schedule.to_string()) } }
            dt { "Starts" } dd { (r.starts_on) }
            dt { "Ends" } dd { (date_or_dash(r.ends_on)) }
            dt { "Next invoice" } dd #next { (date_or_dash(r.next_date)) }
            dt { "Last issued" } dd { (date_or_dash(r.last_issued_date)) }
            dt { "Issued so far" } dd { (r.issued_count) }
            dt { "Each invoice" } dd { (money(r.total_minor, c)) }
            dt { "Terms" } dd { (r.terms.to_string()) }
            dt { "E-mailed when issued" } dd { (if r.send_email { "yes" } else { "no" }) }
            @if !r.description.is_empty() { dt { "Printed on each" } dd { (r.description) } }
            dt { "Set up by" } dd { (r.created_by) }
        }
        h2 { "Lines" }
        div.scroll tabindex="0" { table.data {
            thead { tr {
                th scope="col" { "Description" } th.num scope="col" { "Quantity" } th.num scope="col" { "Unit price" }
                th.num scope="col" { "Tax" } th.num scope="col" { "Net" }
            } }
            tbody { @for l in &r.lines {
                tr {
                    td { @if l.description.is_empty() { "—" } @else { (l.description) } }
                    td.num { (dun_core::invoice::format_quantity(l.quantity_e4)) }
                    td.num { (unit_price(l.unit_price, c)) }
                    td.num { (money(l.tax_minor(), c)) }
                    td.num { (money(l.net_minor(), c)) }
                }
            } }
        } }
        @if writer(ctx) && r.status != ScheduleStatus::Ended {
            h2 { "Change" }
            div.buttons {
                @if r.status == ScheduleStatus::Active {
                    form.inline method="post" action=(action("pause")) {
                        (ctx.csrf_field())
                        button #pause type="submit" { "Pause" }
                    }
                } @else {
                    form.inline method="post" action=(action("resume")) {
                        (ctx.csrf_field())
                        button #resume type="submit" { "Resume from today" }
                    }
                }
            }
            details #end-details {
                summary { "End this recurring invoice…" }
                form.stack method="post" action=(action("end")) {
                    (ctx.csrf_field())
                    p { "Ending is for good: nothing more is billed, and it cannot be resumed (set up a new one instead). Invoices already issued stay as they are." }
                    label { input #confirm-end type="checkbox" name="confirm" value="yes" required; " End recurring invoice #" (r.id) " for good" }
                    button #end type="submit" { "End it" }
                }
            }
        }
        h2 { "Occurrences" }
        @if occurrences.is_empty() {
            p.empty { "None yet: the daily run issues the first on " (date_or_dash(r.next_date)) "." }
        } @else {
            div.scroll tabindex="0" { table.data #occurrences {
                thead { tr {
                    th scope="col" { "Date" } th scope="col" { "Outcome" } th scope="col" { "Invoice" }
                    th.num scope="col" { "Missed before it" }
                } }
                tbody { @for o in occurrences {
                    tr {
                        td { (o.occurrence) }
                        td { span class=(format!("badge {}", status_class(&o.outcome))) { (words(&o.outcome)) } }
                        td { @match o.invoice_id {
                            Some(id) => a href=(invoice_href(o.number.as_deref(), id)) { (o.number.as_deref().unwrap_or("draft")) },
                            None => "—",
                        } }
                        td.num { (o.missed_count) }
                    }
                } }
            } }
        }
    };
    page(
        ctx,
        "Recurring",
        &format!("Recurring invoice #{}", r.id),
        body,
    )
}

fn show_markup(
    store: &mut Store,
    p: &Principal,
    ctx: &Ctx,
    id: i64,
    done: Option<&str>,
    refusal: Option<&str>,
) -> Result<Markup, ApiError> {
    let r = store.recurring_invoice(p.org_id, id)?;
    let occurrences = store.recurring_occurrences(p.org_id, id)?;
    let notice = done.and_then(|d| done_notice(d, &r));
    Ok(show_page(ctx, &r, &occurrences, notice.as_deref(), refusal))
}

pub async fn show(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(id): Path<i64>,
    Query(query): Query<ShowQuery>,
) -> Response {
    read_page(&state, caller, move |store, p, ctx| {
        Ok((
            StatusCode::OK,
            show_markup(store, p, ctx, id, query.done.as_deref(), None)?,
        ))
    })
    .await
}

pub async fn step(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path((id, step)): Path<(i64, String)>,
    Form(form): Form<StepForm>,
) -> Response {
    submit(
        &state,
        caller,
        form.csrf_token.clone(),
        Need::Write,
        move |store, p, ctx| {
            let step = Step::parse(&step)?;
            let author = p.author();
            match step {
                Step::Pause => store.pause_recurring(p.org_id, id, ctx.today, &author),
                Step::Resume => store.resume_recurring(p.org_id, id, ctx.today, &author),
                Step::End => {
                    if form.confirm != "yes" {
                        return Err(ApiError::invalid(
                            "confirm",
                            format!("Tick the box to end recurring invoice #{id} for good."),
                        ));
                    }
                    store.end_recurring(p.org_id, id, ctx.today, &author)
                }
            }
            .map_err(on_the_page)?;
            Ok(format!("/recurring/{id}?done={}", step.done()))
        },
        move |store, p, ctx, message| show_markup(store, p, ctx, id, None, Some(message)),
    )
    .await
}
