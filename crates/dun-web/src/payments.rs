//! Payments in the browser: the list (by customer, newest first, paged),
//! recording one (allocated to the oldest due invoices, or kept as
//! credit), and a payment's page — its allocations and entries — with its
//! credit applied, refunded, or the payment reversed (each with a reason
//! on the timeline), as `dun payment` does.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_server::wire;
use dun_store::api_ledger::{PaymentSummary, PaymentView};
use dun_store::payments::{Allocate, NewPayment};
use dun_store::stripe::StoredEvent;
use maud::{html, Markup};
use serde::Deserialize;

use crate::layout::{encode, money, page, status_class, words, Ctx};
use crate::{read_page, submit};

/// Payments one page lists.
const PAGE_ROWS: i64 = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/payments", get(list).post(record))
        .route("/payments/{id}", get(show))
        .route("/payments/{id}/allocate", post(allocate))
        .route("/payments/{id}/refund", post(refund))
        .route("/payments/{id}/reverse", post(reverse))
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    customer: Option<String>,
    before: Option<i64>,
}

#[derive(Deserialize, Default, Clone)]
pub struct RecordForm {
    csrf_token: Option<String>,
    customer: String,
    amount: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    reference: String,
    /// "oldest" (default) or "none".
    #[serde(default)]
    allocate: String,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct MoneyForm {
    csrf_token: Option<String>,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
}

fn record_form(ctx: &Ctx, form: &RecordForm) -> Markup {
    html! {
        details open[!form.customer.is_empty()] {
            summary { "Record a payment" }
            form.stack method="post" action="/payments" {
                (ctx.csrf_field())
                label for="pay-customer" { "Customer reference" }
                input #pay-customer name="customer" required value=(form.customer);
                label for="pay-amount" { "Amount" }
                input #pay-amount name="amount" required inputmode="decimal" value=(form.amount);
                label for="pay-currency" { "Currency " span.hint { "(default " (ctx.currency.code()) ")" } }
                input #pay-currency name="currency" value=(form.currency) maxlength="3";
                label for="pay-date" { "Received " span.hint { "(default today)" } }
                input #pay-date type="date" name="date" value=(form.date);
                label for="pay-method" { "Method" }
                input #pay-method name="method" value=(form.method) placeholder="bank transfer";
                label for="pay-reference" { "Reference" }
                input #pay-reference name="reference" value=(form.reference);
                label for="pay-allocate" { "Apply it" }
                select #pay-allocate name="allocate" {
                    option value="oldest" selected[form.allocate != "none"] { "to the oldest due invoices first" }
                    option value="none" selected[form.allocate == "none"] { "keep it as credit for now" }
                }
                label for="pay-note" { "Note " span.hint { "(needed when it is dated before the last run: why it is recorded late)" } }
                input #pay-note name="note" maxlength="200" value=(form.note);
                button type="submit" { "Record payment" }
            }
        }
    }
}

/// The Stripe events kept for a person (`review`): a refund larger than
/// the payment's credit, an event the book could not apply.
fn stripe_review(
    store: &mut dun_store::Store,
    org_id: i64,
) -> Result<Vec<StoredEvent>, dun_store::StoreError> {
    Ok(store
        .stripe_events(org_id)?
        .into_iter()
        .filter(|e| e.status == "review")
        .collect())
}

fn list_page(
    ctx: &Ctx,
    rows: &[PaymentSummary],
    customer: Option<&str>,
    more: Option<i64>,
    refusal: Option<&str>,
    form: &RecordForm,
    review: &[StoredEvent],
) -> Markup {
    let body = html! {
        h1 { "Payments" }
        @if let Some(message) = refusal { p.notice.bad role="alert" { (message) } }
        @if !review.is_empty() {
            section #stripe-review aria-labelledby="stripe-review-title" {
                h2 #stripe-review-title { "Stripe events to look at (" (review.len()) ")" }
                p { "Dun kept these card payment events without applying them in full; settle each in Stripe's dashboard or by hand here." }
                div.scroll tabindex="0" { table.data {
                    thead { tr {
                        th scope="col" { "Event" } th scope="col" { "Type" }
                        th scope="col" { "Payment intent" } th scope="col" { "Payment" } th scope="col" { "Why" }
                    } }
                    tbody { @for e in review {
                        tr {
                            td.code { (e.event_id) }
                            td { (e.event_type) }
                            td.code { (e.intent_id.as_deref().unwrap_or("")) }
                            td.num { @if let Some(id) = e.payment_id { a href=(format!("/payments/{id}")) { (id) } } }
                            td { (e.detail) }
                        }
                    } }
                } }
            }
        }
        (record_form(ctx, form))
        form.filters method="get" action="/payments" {
            div {
                label for="filter-customer" { "Customer reference" }
                input #filter-customer name="customer" value=(customer.unwrap_or(""));
            }
            button type="submit" { "Show" }
        }
        @if rows.is_empty() {
            p.empty { "No payments." }
        } @else {
            div.scroll tabindex="0" { table.data {
                thead { tr {
                    th scope="col" { "#" } th scope="col" { "Received" } th scope="col" { "Customer" }
                    th.num scope="col" { "Amount" } th.num scope="col" { "Unallocated" }
                    th scope="col" { "Method" } th scope="col" { "Reference" } th scope="col" { "State" }
                } }
                tbody { @for p in rows {
                    tr {
                        td.num { a href=(format!("/payments/{}", p.id)) { (p.id) } }
                        td { (p.received_date) }
                        td { a href=(format!("/customers/{}", encode(&p.customer_ref))) { (p.customer_ref) } }
                        td.num { (money(p.amount_minor, p.currency)) }
                        td.num { (money(p.unallocated_minor, p.currency)) }
                        td { (p.method) }
                        td { (p.reference) }
                        td { span class=(format!("badge {}", status_class(&p.status))) { (words(&p.status)) } }
                    }
                } }
            } }
            @if let Some(before) = more {
                p.pager { a href=(format!("/payments?before={before}{}", customer.map(|c| format!("&customer={}", encode(c))).unwrap_or_default())) { "Older payments →" } }
            }
        }
    };
    page(ctx, "Payments", "Payments", body)
}

pub async fn list(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Query(query): Query<ListQuery>,
) -> Response {
    read_page(&state, caller, move |store, p, ctx| {
        let customer = query.customer.filter(|c| !c.trim().is_empty());
        let mut rows =
            store.payment_page(p.org_id, customer.as_deref(), query.before, PAGE_ROWS + 1)?;
        let more = (rows.len() as i64 > PAGE_ROWS).then(|| {
            rows.truncate(PAGE_ROWS as usize);
            rows.last().map_or(0, |r| r.id)
        });
        Ok((
            StatusCode::OK,
            list_page(
                ctx,
                &rows,
                customer.as_deref(),
                more,
                None,
                &RecordForm::default(),
                &stripe_review(store, p.org_id)?,
            ),
        ))
    })
    .await
}

pub async fn record(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Form(form): Form<RecordForm>,
) -> Response {
    let again_form = form.clone();
    submit(
        &state,
        caller,
        form.csrf_token.clone(),
        Need::Write,
        move |store, p, ctx| {
            let currency = match form.currency.trim() {
                "" => ctx.currency,
                code => wire::parse_currency("currency", &code.to_uppercase())?,
            };
            let received_date = match form.date.trim() {
                "" => ctx.today,
                date => wire::parse_date("date", date)?,
            };
            let payment = NewPayment {
                customer_ref: form.customer.trim().to_string(),
                currency,
                received_date,
                amount_minor: wire::parse_amount("amount", form.amount.trim(), currency)?,
                method: if form.method.trim().is_empty() {
                    "bank transfer".into()
                } else {
                    form.method.trim().to_string()
                },
                reference: form.reference.trim().to_string(),
                note: form.note.trim().to_string(),
            };
            let allocate = if form.allocate == "none" {
                Allocate::None
            } else {
                Allocate::OldestDueFirst
            };
            let posted = store.record_payment(p.org_id, &payment, &allocate, None)?;
            Ok(format!("/payments/{}", posted.payment_id))
        },
        move |store, p, ctx, message| {
            let rows = store.payment_page(p.org_id, None, None, PAGE_ROWS)?;
            Ok(list_page(
                ctx,
                &rows,
                None,
                None,
                Some(message),
                &again_form,
                &stripe_review(store, p.org_id)?,
            ))
        },
    )
    .await
}

/// The payment's page; `stripe_fee`: what Stripe kept of a card payment
/// (not the customer's debt, which the gross amount settles).
fn payment_page(
    ctx: &Ctx,
    view: &PaymentView,
    refusal: Option<&str>,
    stripe_fee: Option<(i64, dun_core::Currency)>,
) -> Markup {
    let p = &view.payment;
    let c = p.currency;
    let open = p.status != "reversed";
    let body = html! {
        p { a href="/payments" { "← Payments" } }
        h1 { "Payment " (p.id) }
        @if let Some(message) = refusal { p.notice.bad role="alert" { (message) } }
        dl.facts {
            dt { "Customer" } dd { a href=(format!("/customers/{}", encode(&p.customer_ref))) { (p.customer_ref) } }
            dt { "Received" } dd { (p.received_date) }
            dt { "Amount" } dd #payment-amount { (money(p.amount_minor, c)) }
            dt { "Unallocated credit" } dd #payment-unallocated { (money(p.unallocated_minor, c)) }
            dt { "Method" } dd { (p.method) }
            dt { "Reference" } dd { (p.reference) }
            @if let Some((fee, fee_currency)) = stripe_fee {
                dt { "Stripe's fee" } dd #payment-stripe-fee { (money(fee, fee_currency)) }
            }
            dt { "State" } dd { span class=(format!("badge {}", status_class(&p.status))) { (words(&p.status)) } }
        }
        h2 { "Entries" }
        div.scroll tabindex="0" { table.data {
            thead { tr { th scope="col" { "Date" } th scope="col" { "Kind" } th scope="col" { "Invoice" } th.num scope="col" { "Receivable" } th.num scope="col" { "Credit" } } }
            tbody { @for (e, number) in &view.entries {
                tr {
                    td { (e.entry.effective_date) }
                    td { (words(e.entry.kind.as_str())) }
                    td { @if let Some(n) = number { a href=(format!("/invoices/{}", encode(n))) { (n) } } }
                    td.num { (money(e.entry.ar_minor, c)) }
                    td.num { (money(e.entry.credit_minor, c)) }
                }
            } }
        } }
        @if open && p.unallocated_minor > 0 {
            h2 { "Its credit" }
            form.inline method="post" action=(format!("/payments/{}/allocate", p.id)) {
                (ctx.csrf_field())
                button type="submit" { "Apply to the oldest due invoices" }
            }
            form.stack method="post" action=(format!("/payments/{}/refund", p.id)) {
                (ctx.csrf_field())
                label for="refund-amount" { "Refund amount " span.hint { "(at most " (money(p.unallocated_minor, c)) ")" } }
                input #refund-amount name="amount" required inputmode="decimal";
                label for="refund-reason" { "Why" }
                input #refund-reason name="reason" required;
                button type="submit" { "Refund" }
            }
        }
        @if open {
            h2 { "Reverse" }
            form.stack method="post" action=(format!("/payments/{}/reverse", p.id)) {
                (ctx.csrf_field())
                label for="reverse-reason" { "Why did it not stand? " span.hint { "(its invoices are open again)" } }
                input #reverse-reason name="reason" required placeholder="bounced cheque, paid in error…";
                button type="submit" { "Reverse payment" }
            }
        }
    };
    page(ctx, "Payments", &format!("Payment {}", p.id), body)
}

pub async fn show(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(id): Path<i64>,
) -> Response {
    read_page(&state, caller, move |store, p, ctx| {
        let view = store.payment_view(p.org_id, id)?;
        let fee = store.stripe_fee_for_payment(p.org_id, id)?;
        Ok((StatusCode::OK, payment_page(ctx, &view, None, fee)))
    })
    .await
}

async fn on_payment<F>(
    state: AppState,
    caller: Result<Caller, ApiError>,
    id: i64,
    csrf: Option<String>,
    work: F,
) -> Response
where
    F: FnOnce(&mut dun_store::Store, &dun_store::accounts::Principal, &Ctx) -> Result<(), ApiError>
        + Send
        + 'static,
{
    submit(
        &state,
        caller,
        csrf,
        Need::Write,
        move |store, p, ctx| {
            work(store, p, ctx)?;
            Ok(format!("/payments/{id}"))
        },
        move |store, p, ctx, message| {
            let view = store.payment_view(p.org_id, id)?;
            let fee = store.stripe_fee_for_payment(p.org_id, view.payment.id)?;
            Ok(payment_page(ctx, &view, Some(message), fee))
        },
    )
    .await
}

pub async fn allocate(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(id): Path<i64>,
    Form(form): Form<MoneyForm>,
) -> Response {
    on_payment(state, caller, id, form.csrf_token, move |store, p, ctx| {
        store.allocate_payment(p.org_id, id, &Allocate::OldestDueFirst, ctx.today, None)?;
        Ok(())
    })
    .await
}

pub async fn refund(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(id): Path<i64>,
    Form(form): Form<MoneyForm>,
) -> Response {
    let csrf = form.csrf_token.clone();
    on_payment(state, caller, id, csrf, move |store, p, ctx| {
        let currency = store.payment(p.org_id, id)?.currency;
        let amount = wire::parse_amount("amount", form.amount.trim(), currency)?;
        store.refund_payment(p.org_id, id, amount, ctx.today, &form.reason, None)?;
        Ok(())
    })
    .await
}

pub async fn reverse(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(id): Path<i64>,
    Form(form): Form<MoneyForm>,
) -> Response {
    let csrf = form.csrf_token.clone();
    on_payment(state, caller, id, csrf, move |store, p, ctx| {
        store.reverse_payment(p.org_id, id, ctx.today, &form.reason, None)?;
        Ok(())
    })
    .await
}
