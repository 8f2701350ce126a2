//! Invoices: the list with filters, an invoice's page, and the actions on
//! an invoice (issue, void, credit note, payment with allocation,
//! write-off). The draft form is in `invoices_form`.
//!
//! Every action calls the store function the JSON API calls, with the same
//! checks; every writing form carries a fresh idempotency key.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use dun_core::aging::AgingEdges;
use dun_core::collections::charges::{waivable_charge, WAIVABLE_CHARGES};
use dun_core::invoice::{format_quantity, format_tax_rate};
use dun_core::ledger::EntryKind;
use dun_core::reference::CreditorReference;
use dun_core::{money as core_money, Currency, Date};
use dun_server::app::{AppState, Caller, Need};
use dun_server::extract::{decode_cursor, encode_cursor};
use dun_server::problem::ApiError;
use dun_store::accounts::{Principal, Role};
use dun_store::credit_file::IssueOverride;
use dun_store::invoices::{check_reason_chars, Reduction, REASON_CHARS_MAX};
use dun_store::invoices::{InvoiceFilter, StatusFilter};
use dun_store::payments::{payment_text_problem, Allocate, NewPayment};
use dun_store::waivers::Waiver;
use dun_store::Store;
use maud::{html, Markup};
use serde::Deserialize;

use crate::invoices_form;
use crate::layout::{encode, money, page, status_class, unit_price, words, Ctx};
use crate::{read_page, submit};

/// Invoices one page of the list shows.
const PAGE_ROWS: i64 = 50;
const CURSOR_LIST: &str = "web-invoices";
/// The list's status filters offered (the store knows each word).
const STATUSES: [&str; 8] = [
    "open",
    "overdue",
    "draft",
    "paid",
    "credited",
    "written_off",
    "void",
    "settled",
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/invoices", get(list))
        .route(
            "/invoices/new",
            get(invoices_form::new_form).post(invoices_form::new_submit),
        )
        .route("/invoices/{key}", get(show))
        .route(
            "/invoices/{key}/edit",
            get(invoices_form::edit_form).post(invoices_form::edit_submit),
        )
        .route("/invoices/{key}/delete", post(delete_draft))
        .route("/invoices/{key}/issue", post(issue))
        .route("/invoices/{key}/void", post(void))
        .route("/invoices/{key}/send", post(send))
        .route(
            "/invoices/{key}/credit-notes/{number}/send",
            post(send_credit_note),
        )
        .route("/invoices/{key}/credit-notes", post(credit_note))
        .route("/invoices/{key}/write-offs", post(write_off))
        .route("/invoices/{key}/waivers", post(waiver))
        .route(
            "/invoices/{key}/write-off-reversals",
            post(write_off_reversal),
        )
        .route("/invoices/{key}/payments", post(payment))
}

/// The address of an invoice's page: its number, or `draft-{id}`.
pub(crate) fn href(number: Option<&str>, id: i64) -> String {
    match number {
        Some(n) => format!("/invoices/{}", encode(n)),
        None => format!("/invoices/draft-{id}"),
    }
}

/// What the store finds an invoice by: its number, or `#id` for a draft.
pub(crate) fn store_key(key: &str) -> String {
    match key.strip_prefix("draft-") {
        Some(id) => format!("#{id}"),
        None => key.to_string(),
    }
}

/// A fresh key for one rendering of a form that writes: sent back as the
/// idempotency key, so a form sent twice (a double click, a retry) posts
/// once.
pub(crate) fn form_key() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "web-{nanos:x}-{:x}-{:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The key a form carries, if it is a usable one.
pub(crate) fn sent_key(key: &str) -> Option<String> {
    let key = key.trim();
    (key.starts_with("web-") && key.len() <= 100).then(|| key.to_string())
}

pub(crate) fn non_empty(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

// ---------------------------------------------------------------- the list

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    bucket: Option<String>,
    customer: Option<String>,
    cursor: Option<String>,
}

fn list_query_string(query: &ListQuery, cursor: &str) -> String {
    let mut parts = Vec::new();
    for (name, value) in [
        ("status", non_empty(&query.status)),
        ("bucket", non_empty(&query.bucket)),
        ("customer", non_empty(&query.customer)),
    ] {
        if let Some(v) = value {
            parts.push(format!("{name}={}", encode(&v)));
        }
    }
    parts.push(format!("cursor={}", encode(cursor)));
    parts.join("&")
}

/// The due dates of an aging bucket (index into `edges.labels()`) as of
/// `today`: (earliest, latest), open-ended where None.
pub(crate) fn bucket_range(
    edges: &AgingEdges,
    bucket: usize,
    today: Date,
) -> (Option<Date>, Option<Date>) {
    let days = edges.days();
    if bucket == 0 {
        // Current: not yet past due.
        return (Some(today), None);
    }
    if bucket <= days.len() {
        let low = if bucket == 1 { 1 } else { days[bucket - 2] + 1 };
        let high = days[bucket - 1];
        return (
            Some(today.add_days(-(high as i32))),
            Some(today.add_days(-(low as i32))),
        );
    }
    let last = days.last().copied().unwrap_or(0);
    (None, Some(today.add_days(-(last as i32) - 1)))
}

fn bucket_label(label: &str) -> String {
    if label == "current" {
        "current (not yet due)".to_string()
    } else {
        format!("{} days late", label.replace('-', "–"))
    }
}

pub async fn list(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Query(query): Query<ListQuery>,
) -> Response {
    read_page(&state, caller, move |store, p, ctx| {
        let status = non_empty(&query.status);
        let bucket = non_empty(&query.bucket);
        let customer = non_empty(&query.customer);
        let status_filter = StatusFilter::parse(status.as_deref().unwrap_or(""))
            .map_err(|_| {
                ApiError::invalid(
                    "status",
                    format!(
                        "Status '{}' is not one of {}.",
                        status.as_deref().unwrap_or(""),
                        STATUSES.join(", ")
                    ),
                )
            })?;
        let labels = ctx.edges.labels();
        let (due_from, due_to) = match bucket.as_deref() {
            None => (None, None),
            Some(b) => {
                let index = labels.iter().position(|l| l == b).ok_or_else(|| {
                    ApiError::invalid(
                        "bucket",
                        format!(
                            "Overdue bucket '{b}' is not one of {}.",
                            labels.join(", ")
                        ),
                    )
                })?;
                bucket_range(&ctx.edges, index, ctx.today)
            }
        };
        let before_id = decode_cursor(CURSOR_LIST, non_empty(&query.cursor).as_deref())?
            .map(|c| c.parse::<i64>())
            .transpose()
            .map_err(|_| ApiError::invalid("cursor", "This page's address is damaged; start from the first page."))?;
        let mut rows = store.invoices(
            p.org_id,
            &InvoiceFilter {
                customer_ref: customer.clone(),
                status: status_filter,
                due_from,
                due_to,
                as_of: Some(ctx.today),
                issued_by: None,
                before_id,
                limit: PAGE_ROWS + 1,
            },
        )?;
        let more = rows.len() as i64 > PAGE_ROWS;
        rows.truncate(PAGE_ROWS as usize);
        let next = if more {
            rows.last().map(|r| {
                list_query_string(&query, &encode_cursor(CURSOR_LIST, &r.id.to_string()))
            })
        } else {
            None
        };
        let writer = ctx.role >= Role::Collector;
        let body = html! {
            h1 { "Invoices" }
            @if writer {
                p { a href="/invoices/new" { "New invoice" } }
            }
            form.filters method="get" action="/invoices" role="search" {
                div {
                    label for="status" { "Status" }
                    select #status name="status" {
                        option value="" { "Any" }
                        @for s in STATUSES {
                            option value=(s) selected[status.as_deref() == Some(s)] { (words(s)) }
                        }
                    }
                }
                div {
                    label for="bucket" { "Overdue bucket" }
                    select #bucket name="bucket" {
                        option value="" { "Any" }
                        @for l in &labels {
                            option value=(l) selected[bucket.as_deref() == Some(l.as_str())] { (bucket_label(l)) }
                        }
                    }
                }
                div {
                    label for="customer" { "Customer reference" }
                    input #customer type="text" name="customer" value=(customer.as_deref().unwrap_or(""));
                }
                div { button type="submit" { "Filter" } }
            }
            @if rows.is_empty() {
                p.empty { "No invoices match." }
            } @else {
                div.scroll tabindex="0" {
                    table.data #invoices {
                        thead { tr {
                            th scope="col" { "Invoice" }
                            th scope="col" { "Customer" }
                            th scope="col" { "Issued" }
                            th scope="col" { "Due" }
                            th.num scope="col" { "Total" }
                            th.num scope="col" { "Open" }
                            th.num scope="col" { "Days late" }
                            th scope="col" { "Status" }
                        } }
                        tbody {
                            @for row in &rows {
                                @let late = ctx.today.days_since(row.due_date);
                                @let open = row.open_minor != 0 && row.status != "draft";
                                tr {
                                    td.code { a href=(href(row.number.as_deref(), row.id)) {
                                        (row.number.clone().unwrap_or_else(|| format!("draft #{}", row.id)))
                                    } }
                                    td {
                                        a href=(format!("/customers/{}", encode(&row.customer_ref))) { (row.customer_name) }
                                        " " span.muted.code { (row.customer_ref) }
                                    }
                                    td { (row.issue_date) }
                                    td { (row.due_date) }
                                    td.num { (money(row.total_minor, row.currency)) }
                                    td.num { @if row.status == "draft" || row.open_minor == 0 { span.muted { "—" } } @else { (money(row.open_minor, row.currency)) } }
                                    td.num { @if open && late > 0 { span.bad { (late) } } @else { span.muted { "—" } } }
                                    td { span class=(format!("badge {}", status_class(&row.status))) { (words(&row.status)) } }
                                }
                            }
                        }
                    }
                }
            }
            nav.pager aria-label="Pages" {
                @if query.cursor.is_some() {
                    a href="/invoices" { "First page" }
                }
                @if let Some(next) = next {
                    a href=(format!("/invoices?{next}")) rel="next" { "Next page" }
                }
            }
        };
        Ok((StatusCode::OK, page(ctx, "Invoices", "Invoices", body)))
    })
    .await
}

pub(crate) fn check_override(reason: &str) -> Result<Option<String>, ApiError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Ok(None);
    }
    if check_reason_chars("override_reason", reason).is_err() {
        return Err(ApiError::invalid(
            "override_reason",
            format!("Override reason: at most {REASON_CHARS_MAX} characters."),
        ));
    }
    Ok(Some(reason.to_string()))
}

// ------------------------------------------------------- an invoice's page

/// Any action form's fields, kept to show again beside a refusal.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ActionForm {
    pub(crate) csrf_token: Option<String>,
    #[serde(default)]
    pub(crate) amount: String,
    #[serde(default)]
    pub(crate) date: String,
    #[serde(default)]
    pub(crate) reason: String,
    #[serde(default)]
    pub(crate) method: String,
    #[serde(default)]
    pub(crate) reference: String,
    #[serde(default)]
    pub(crate) allocation: String,
    #[serde(default)]
    pub(crate) override_reason: String,
    /// A waiver's charge: fee, interest or compensation.
    #[serde(default)]
    pub(crate) charge: String,
    #[serde(default)]
    pub(crate) form_key: String,
}

/// A refusal's sentence for a person: the credit policy's refusal without
/// the API's hint, and what to do about it.
pub(crate) fn readable(message: &str) -> String {
    let plain = message.replace(
        " (an owner or collector may override it with override_reason)",
        "",
    );
    let mut chars = plain.chars();
    let capital = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if plain.len() == message.len() {
        return capital;
    }
    format!("{capital}. To issue it anyway, say why in the override reason.")
}

/// (which form, the message, what it held).
type Refusal<'a> = (&'static str, &'a str, &'a ActionForm);

pub(crate) fn invoice_page(
    store: &mut Store,
    p: &Principal,
    ctx: &Ctx,
    key: &str,
    error: Option<Refusal<'_>>,
) -> Result<Markup, ApiError> {
    let v = store.invoice(p.org_id, key, ctx.today)?;
    let c = v.currency;
    let customer = store.customer(p.org_id, &v.customer_ref).ok();
    let emails = store.invoice_emails(p.org_id, v.id)?;
    let credit_notes = store.credit_notes_on(p.org_id, v.id)?;
    // Under a late-payment law, the invoice's calculation sheet is a PDF.
    let law = !store.policy(p.org_id)?.policy.law.is_none();
    let status = v.status.as_str();
    let is_draft = status == "draft";
    let is_void = status == "void";
    // The charges on it a person may waive, with what is on it of each.
    let waivable: Vec<(&str, i64)> = [EntryKind::Fee, EntryKind::Interest, EntryKind::Compensation]
        .into_iter()
        .map(|kind| {
            let on: i64 = v
                .entries
                .iter()
                .filter(|e| e.entry.kind == kind)
                .map(|e| e.entry.ar_minor)
                .sum();
            (kind.as_str(), on)
        })
        .filter(|(_, on)| *on > 0)
        .collect();
    // What write-offs not yet reversed took off it.
    let written_off: i64 = -v
        .entries
        .iter()
        .filter(|e| e.entry.kind == EntryKind::WriteOff)
        .map(|e| e.entry.ar_minor)
        .sum::<i64>();
    let link = href(v.number.as_deref(), v.id);
    let title = match &v.number {
        Some(n) => format!("Invoice {n}"),
        None => format!("Draft invoice #{}", v.id),
    };
    let writer = ctx.role >= Role::Collector;
    let blank = ActionForm::default();
    let values = |which: &str| match error {
        Some((w, _, f)) if w == which => f,
        _ => &blank,
    };
    let alert = |which: &str| -> Markup {
        html! {
            @if let Some((w, message, _)) = error {
                @if w == which { p.notice.bad role="alert" { (readable(message)) } }
            }
        }
    };
    // Tax per rate, in the order the rates first appear.
    let mut rates: Vec<(i64, i64, i64)> = Vec::new();
    for l in &v.lines {
        match rates.iter_mut().find(|r| r.0 == l.tax_rate_ppm) {
            Some(r) => {
                r.1 += l.net_minor();
                r.2 += l.tax_minor();
            }
            None => rates.push((l.tax_rate_ppm, l.net_minor(), l.tax_minor())),
        }
    }
    let late = if !is_draft && !is_void && v.open_minor > 0 {
        v.days_past_due.max(0)
    } else {
        0
    };
    let nothing_applied = v
        .entries
        .iter()
        .all(|e| matches!(e.entry.kind, EntryKind::InvoiceIssued));
    let open = v.open_minor > 0 && !is_draft && !is_void;
    let pay = values("payment");
    let body = html! {
        p.crumbs { a href="/invoices" { "Invoices" } " / " (v.number.clone().unwrap_or_else(|| format!("draft #{}", v.id))) }
        h1 {
            (title) " "
            span #status class=(format!("badge {}", status_class(if late > 0 { "overdue" } else { status }))) { (words(status)) }
        }
        p {
            @if let Some(n) = &v.number {
                a href=(format!("/api/v1/invoices/{}/pdf", encode(n))) { "PDF" }
                " · "
                a href=(format!("/api/v1/invoices/{}/xml", encode(n))) { "UBL XML" }
                @if law {
                    " · "
                    a #interest-sheet href=(format!("/api/v1/invoices/{}/interest-sheet.pdf", encode(n))) { "Calculation of interest (PDF)" }
                }
                @if writer { " · " }
            }
            @if writer {
                a href=(format!("/invoices/new?customer={}", encode(&v.customer_ref))) { "New invoice for " (v.customer_name) }
            }
        }
        div.columns {
            section aria-labelledby="document" {
                h2 #document .sr { "The invoice" }
                dl.facts {
                    dt { "From" } dd { (ctx.org_name) }
                    dt { "To" } dd {
                        a href=(format!("/customers/{}", encode(&v.customer_ref))) { (v.customer_name) }
                        " (" (v.customer_ref) ")"
                        @if let Some(email) = customer.as_ref().and_then(|c| c.email.as_ref()) { br; span.muted { (email) } }
                    }
                    dt { "Issue date" } dd { (v.issue_date) }
                    dt { "Due date" } dd #due { (v.due_date) }
                    dt { "Terms" } dd { (v.terms.to_string()) }
                    dt { "Payment reference" } dd.code #payment-reference { (CreditorReference::for_invoice(v.id).grouped()) }
                    @if !is_draft {
                        dt { "Days late" } dd #days-late { @if late > 0 { span.bad { (late) } } @else { "—" } }
                    }
                }
                @if !v.description.is_empty() { p { (v.description) } }
                div.scroll tabindex="0" { table.data #lines {
                    thead { tr {
                        th scope="col" { "Description" } th.num scope="col" { "Quantity" } th.num scope="col" { "Unit price" }
                        th.num scope="col" { "Tax %" } th.num scope="col" { "Net" } th.num scope="col" { "Tax" }
                    } }
                    tbody { @for l in &v.lines { tr {
                        td { (l.description) }
                        td.num { (format_quantity(l.quantity_e4)) }
                        td.num { (unit_price(l.unit_price, c)) }
                        td.num { (format_tax_rate(l.tax_rate_ppm)) }
                        td.num { (money(l.net_minor(), c)) }
                        td.num { (money(l.tax_minor(), c)) }
                    } } }
                } }
                h3 { "Tax per rate" }
                table.data #tax-rates {
                    thead { tr { th scope="col" { "Rate" } th.num scope="col" { "Net" } th.num scope="col" { "Tax" } } }
                    tbody { @for (rate, net, tax) in &rates { tr {
                        td { (format_tax_rate(*rate)) " %" } td.num { (money(*net, c)) } td.num { (money(*tax, c)) }
                    } } }
                }
                dl.facts #totals {
                    dt { "Subtotal" } dd.num #subtotal { (money(v.totals.subtotal_minor, c)) }
                    dt { "Tax" } dd.num #tax { (money(v.totals.tax_minor, c)) }
                    dt { "Total" } dd.num #total { strong { (money(v.totals.total_minor, c)) } }
                    @if !is_draft {
                        dt { "Open" } dd.num #open { strong { (money(v.open_minor, c)) } }
                    }
                }
                @if v.schedule.len() > 1 {
                    h3 { "Installments" }
                    table.data {
                        thead { tr { th scope="col" { "Due" } th.num scope="col" { "Amount" } } }
                        tbody { @for i in &v.schedule { tr { td { (i.due_date) } td.num { (money(i.amount_minor, c)) } } } }
                    }
                }
                h2 #history { "History" }
                @if v.entries.is_empty() {
                    p.empty { "Nothing posted yet." }
                } @else {
                    table.data {
                        thead { tr { th scope="col" { "Date" } th scope="col" { "What" } th.num scope="col" { "Amount" } th scope="col" { "Payment" } } }
                        tbody { @for e in &v.entries { tr {
                            td { (e.entry.effective_date) }
                            td { (words(e.entry.kind.as_str())) }
                            td.num { (money(e.entry.ar_minor, c)) }
                            td { @if let Some(id) = e.entry.payment_id { "payment #" (id) } @else { span.muted { "—" } } }
                        } } }
                    }
                }
            }
            @if writer {
                section aria-labelledby="actions" {
                    h2 #actions { "Actions" }
                    @if is_draft {
                        h3 { "Issue" }
                        (alert("issue"))
                        form.stack method="post" action=(format!("{link}/issue")) {
                            (ctx.csrf_field())
                            input type="hidden" name="form_key" value=(form_key());
                            p.hint { "Issuing gives the invoice its number; it cannot be edited afterwards." }
                            label for="override_reason" { "Override reason " span.hint { "(only if the credit policy refuses)" } }
                            input #override_reason type="text" name="override_reason" value=(values("issue").override_reason);
                            button #issue.primary type="submit" { "Issue invoice" }
                        }
                        h3 { "Change or throw away" }
                        (alert("delete"))
                        p { a #edit-draft href=(format!("{link}/edit")) { "Edit this draft" } }
                        form.stack method="post" action=(format!("{link}/delete")) {
                            (ctx.csrf_field())
                            input type="hidden" name="form_key" value=(form_key());
                            p.hint { "A draft has no number and nothing on the ledger; the customer's timeline keeps what it was." }
                            button #delete-draft.danger type="submit" { "Delete draft" }
                        }
                    }
                    @if open {
                        h3 #record-payment { "Record a payment" }
                        (alert("payment"))
                        form.stack method="post" action=(format!("{link}/payments")) {
                            (ctx.csrf_field())
                            input type="hidden" name="form_key" value=(form_key());
                            label for="payment-amount" { "Amount (" (c.code()) ")" }
                            input #payment-amount type="text" inputmode="decimal" name="amount" required
                                value=(if pay.amount.is_empty() { core_money::format_minor(v.open_minor, c) } else { pay.amount.clone() });
                            label for="payment-date" { "Received on" }
                            input #payment-date type="date" name="date" value=(if pay.date.is_empty() { ctx.today.to_string() } else { pay.date.clone() });
                            label for="payment-method" { "Method" }
                            input #payment-method type="text" name="method" value=(if pay.method.is_empty() { "bank_transfer" } else { pay.method.as_str() });
                            label for="payment-reference" { "Payer's reference " span.hint { "(optional)" } }
                            input #payment-reference type="text" name="reference" value=(pay.reference);
                            fieldset {
                                legend { "Allocate to" }
                                div.check {
                                    input #allocation-this type="radio" name="allocation" value="this" checked[pay.allocation != "oldest_due_first"];
                                    label for="allocation-this" { "This invoice (any remainder stays as customer credit)" }
                                }
                                div.check {
                                    input #allocation-oldest type="radio" name="allocation" value="oldest_due_first" checked[pay.allocation == "oldest_due_first"];
                                    label for="allocation-oldest" { "The customer's invoices, oldest due first" }
                                }
                            }
                            button #record-payment-button.primary type="submit" { "Record payment" }
                        }
                        h3 { "Credit note" }
                        (alert("credit_note"))
                        form.stack method="post" action=(format!("{link}/credit-notes")) {
                            (ctx.csrf_field())
                            input type="hidden" name="form_key" value=(form_key());
                            label for="credit-amount" { "Amount (" (c.code()) ") " span.hint { "(empty: all that is open)" } }
                            input #credit-amount type="text" inputmode="decimal" name="amount" value=(values("credit_note").amount);
                            label for="credit-reason" { "Reason" }
                            input #credit-reason type="text" name="reason" required value=(values("credit_note").reason);
                            button #credit-note type="submit" { "Issue credit note" }
                        }
                        h3 { "Write off" }
                        (alert("write_off"))
                        form.stack method="post" action=(format!("{link}/write-offs")) {
                            (ctx.csrf_field())
                            input type="hidden" name="form_key" value=(form_key());
                            label for="writeoff-amount" { "Amount (" (c.code()) ") " span.hint { "(empty: all that is open)" } }
                            input #writeoff-amount type="text" inputmode="decimal" name="amount" value=(values("write_off").amount);
                            label for="writeoff-reason" { "Reason" }
                            input #writeoff-reason type="text" name="reason" required value=(values("write_off").reason);
                            button #write-off.danger type="submit" { "Write off" }
                        }
                        @if !waivable.is_empty() {
                            h3 { "Waive a charge" }
                            (alert("waiver"))
                            form.stack method="post" action=(format!("{link}/waivers")) {
                                (ctx.csrf_field())
                                input type="hidden" name="form_key" value=(form_key());
                                label for="waive-charge" { "Charge" }
                                select #waive-charge name="charge" {
                                    @for (kind, on) in &waivable {
                                        option value=(kind) { (words(kind)) " (" (money(*on, c)) ")" }
                                    }
                                }
                                label for="waive-amount" { "Amount (" (c.code()) ") " span.hint { "(empty: all of that charge)" } }
                                input #waive-amount type="text" inputmode="decimal" name="amount" value=(values("waiver").amount);
                                label for="waive-reason" { "Reason" }
                                input #waive-reason type="text" name="reason" required value=(values("waiver").reason) placeholder="e.g. goodwill: first late payment";
                                button #waive type="submit" { "Waive" }
                            }
                        }
                    }
                    @if written_off > 0 {
                        h3 { "Reverse the write-off" }
                        (alert("write_off_reversal"))
                        form.stack method="post" action=(format!("{link}/write-off-reversals")) {
                            (ctx.csrf_field())
                            input type="hidden" name="form_key" value=(form_key());
                            p.hint { (money(written_off, c)) " was written off. Reversing puts it back on the invoice, which is then chased again; the write-off stays in the history." }
                            label for="reverse-writeoff-reason" { "Reason" }
                            input #reverse-writeoff-reason type="text" name="reason" required value=(values("write_off_reversal").reason) placeholder="e.g. the customer paid after all";
                            button #reverse-write-off type="submit" { "Reverse the write-off" }
                        }
                    }
                    @if !is_draft && !is_void {
                        h3 { "E-mail" }
                        (alert("send"))
                        @if emails.is_empty() {
                            p.hint { "Not e-mailed from Dun yet." }
                        } @else {
                            ul #emails {
                                @for e in &emails {
                                    li { "Message #" (e.message_id) ", " (words(&e.status)) " — queued " (e.queued_at)
                                        @if let Some(at) = &e.sent_at { ", sent " (at) } }
                                }
                            }
                        }
                        form.stack method="post" action=(format!("{link}/send")) {
                            (ctx.csrf_field())
                            input type="hidden" name="form_key" value=(form_key());
                            p.hint { "The PDF and, when your organisation's details make one, the e-invoice are attached." }
                            button #send-invoice type="submit" {
                                @if emails.is_empty() { "E-mail to customer" } @else { "E-mail again" }
                            }
                        }
                        @for note in &credit_notes {
                            form.inline method="post" action=(format!("{link}/credit-notes/{}/send", encode(&note.number))) {
                                (ctx.csrf_field())
                                input type="hidden" name="form_key" value=(form_key());
                                button type="submit" id=(format!("send-{}", note.number)) {
                                    "E-mail credit note " (note.number) " (" (money(note.amount_minor, c)) ")"
                                }
                            }
                        }
                    }
                    @if !is_draft && !is_void && nothing_applied {
                        h3 { "Void" }
                        (alert("void"))
                        form.stack method="post" action=(format!("{link}/void")) {
                            (ctx.csrf_field())
                            input type="hidden" name="form_key" value=(form_key());
                            p.hint { "Only an invoice nothing has been applied to can be voided; otherwise issue a credit note." }
                            label for="void-reason" { "Reason" }
                            input #void-reason type="text" name="reason" required value=(values("void").reason);
                            button #void.danger type="submit" { "Void invoice" }
                        }
                    }
                    @if !is_draft && !open && !nothing_applied {
                        p.empty { "Nothing is open on this invoice." }
                    }
                }
            }
        }
    };
    Ok(page(ctx, "Invoices", &title, body))
}

pub async fn show(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(key): Path<String>,
) -> Response {
    read_page(&state, caller, move |store, p, ctx| {
        Ok((
            StatusCode::OK,
            invoice_page(store, p, ctx, &store_key(&key), None)?,
        ))
    })
    .await
}

/// Runs one action form: `work` gets the store's key of the invoice and
/// answers the address to go to; a 422 shows the page again with the
/// message beside the form `which`.
async fn action<F>(
    state: AppState,
    caller: Result<Caller, ApiError>,
    key: String,
    form: ActionForm,
    which: &'static str,
    work: F,
) -> Response
where
    F: FnOnce(&mut Store, &Principal, &Ctx, &str, &ActionForm) -> Result<String, ApiError>
        + Send
        + 'static,
{
    let target = store_key(&key);
    let again_key = target.clone();
    let (submitted, for_page) = (form.clone(), form);
    submit(
        &state,
        caller,
        submitted.csrf_token.clone(),
        Need::Write,
        move |store, p, ctx| work(store, p, ctx, &target, &submitted),
        move |store, p, ctx, message| {
            invoice_page(store, p, ctx, &again_key, Some((which, message, &for_page)))
        },
    )
    .await
}

fn page_of(store: &mut Store, p: &Principal, key: &str, ctx: &Ctx) -> Result<String, ApiError> {
    let v = store.invoice(p.org_id, key, ctx.today)?;
    Ok(href(v.number.as_deref(), v.id))
}

fn reason_of(text: &str) -> Result<String, ApiError> {
    let reason = text.trim();
    if reason.is_empty() {
        return Err(ApiError::invalid(
            "reason",
            "Reason: say why, in a few words; it is kept with the entry.",
        ));
    }
    if let Err(e) = check_reason_chars("reason", reason) {
        return Err(ApiError::invalid("reason", format!("Reason: {}.", e.why)));
    }
    Ok(reason.to_string())
}

fn date_or_today(text: &str, ctx: &Ctx, label: &str) -> Result<Date, ApiError> {
    match text.trim() {
        "" => Ok(ctx.today),
        d => Date::parse(d).map_err(|e| ApiError::invalid("date", format!("{label}: {e}."))),
    }
}

fn positive_amount(text: &str, currency: Currency) -> Result<i64, ApiError> {
    let minor = core_money::parse_amount_minor(text.trim(), currency)
        .map_err(|e| ApiError::invalid("amount", format!("Amount: {e}.")))?;
    if minor <= 0 {
        return Err(ApiError::invalid(
            "amount",
            "Amount: must be more than zero.",
        ));
    }
    Ok(minor)
}

pub async fn issue(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(key): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    action(
        state,
        caller,
        key,
        form,
        "issue",
        |store, p, _ctx, key, f| {
            let reason = check_override(&f.override_reason)?;
            let author = p.author();
            let override_by = reason.as_deref().map(|reason| IssueOverride {
                reason,
                author: &author,
            });
            let posted = store.issue_invoice(
                p.org_id,
                key,
                override_by,
                sent_key(&f.form_key).as_deref(),
            )?;
            Ok(href(Some(&posted.number), posted.invoice_id))
        },
    )
    .await
}

/// E-mails the invoice to its customer (queued in the outbox).
pub async fn send(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(key): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    action(state, caller, key, form, "send", |store, p, ctx, key, f| {
        store.send_invoice(p.org_id, key, ctx.today, sent_key(&f.form_key).as_deref())?;
        page_of(store, p, key, ctx)
    })
    .await
}

pub async fn send_credit_note(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path((key, number)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    action(
        state,
        caller,
        key,
        form,
        "send",
        move |store, p, ctx, key, f| {
            store.send_credit_note(
                p.org_id,
                &number,
                ctx.today,
                sent_key(&f.form_key).as_deref(),
            )?;
            page_of(store, p, key, ctx)
        },
    )
    .await
}

pub async fn void(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(key): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    action(state, caller, key, form, "void", |store, p, ctx, key, f| {
        let reason = reason_of(&f.reason)?;
        store.void_invoice(
            p.org_id,
            key,
            ctx.today,
            &reason,
            sent_key(&f.form_key).as_deref(),
        )?;
        page_of(store, p, key, ctx)
    })
    .await
}

/// An amount typed in the invoice's currency, or none when left empty.
fn optional_amount(
    store: &mut Store,
    p: &Principal,
    key: &str,
    text: &str,
    date: Date,
) -> Result<Option<i64>, ApiError> {
    match text.trim() {
        "" => Ok(None),
        text => {
            let currency = store.invoice(p.org_id, key, date)?.currency;
            Ok(Some(positive_amount(text, currency)?))
        }
    }
}

fn reduce(
    store: &mut Store,
    p: &Principal,
    ctx: &Ctx,
    key: &str,
    f: &ActionForm,
    kind: EntryKind,
) -> Result<String, ApiError> {
    let reason = reason_of(&f.reason)?;
    let date = date_or_today(&f.date, ctx, "Date")?;
    let amount_minor = optional_amount(store, p, key, &f.amount, date)?;
    store.reduce_invoice(
        p.org_id,
        key,
        &Reduction {
            kind,
            amount_minor,
            date,
            reason,
        },
        sent_key(&f.form_key).as_deref(),
    )?;
    Ok(format!("{}#history", page_of(store, p, key, ctx)?))
}

pub async fn credit_note(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(key): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    action(
        state,
        caller,
        key,
        form,
        "credit_note",
        |store, p, ctx, key, f| reduce(store, p, ctx, key, f, EntryKind::CreditNote),
    )
    .await
}

pub async fn write_off(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(key): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    action(
        state,
        caller,
        key,
        form,
        "write_off",
        |store, p, ctx, key, f| reduce(store, p, ctx, key, f, EntryKind::WriteOff),
    )
    .await
}

pub async fn waiver(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(key): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    action(
        state,
        caller,
        key,
        form,
        "waiver",
        |store, p, ctx, key, f| {
            let reason = reason_of(&f.reason)?;
            let date = date_or_today(&f.date, ctx, "Date")?;
            let charge = waivable_charge(&f.charge).ok_or_else(|| {
                ApiError::invalid("charge", format!("Charge: choose {WAIVABLE_CHARGES}."))
            })?;
            let amount_minor = optional_amount(store, p, key, &f.amount, date)?;
            store.waive_charge(
                p.org_id,
                key,
                &Waiver {
                    charge,
                    amount_minor,
                    date,
                    reason,
                },
                sent_key(&f.form_key).as_deref(),
            )?;
            Ok(format!("{}#history", page_of(store, p, key, ctx)?))
        },
    )
    .await
}

pub async fn delete_draft(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(key): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    action(
        state,
        caller,
        key,
        form,
        "delete",
        |store, p, ctx, key, f| {
            store.delete_draft(p.org_id, key, ctx.today, sent_key(&f.form_key).as_deref())?;
            Ok("/invoices?status=draft".to_string())
        },
    )
    .await
}

pub async fn write_off_reversal(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(key): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    action(
        state,
        caller,
        key,
        form,
        "write_off_reversal",
        |store, p, ctx, key, f| {
            let reason = reason_of(&f.reason)?;
            let date = date_or_today(&f.date, ctx, "Date")?;
            store.reverse_write_off(
                p.org_id,
                key,
                date,
                &reason,
                sent_key(&f.form_key).as_deref(),
            )?;
            Ok(format!("{}#history", page_of(store, p, key, ctx)?))
        },
    )
    .await
}

pub async fn payment(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(key): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    action(
        state,
        caller,
        key,
        form,
        "payment",
        |store, p, ctx, key, f| {
            let received_date = date_or_today(&f.date, ctx, "Received on")?;
            let v = store.invoice(p.org_id, key, ctx.today)?;
            let amount_minor = positive_amount(&f.amount, v.currency)?;
            let method = match f.method.trim() {
                "" => "bank_transfer".to_string(),
                m => m.to_string(),
            };
            let reference = f.reference.trim().to_string();
            for (field, label, text) in [
                ("method", "Method", &method),
                ("reference", "Payer's reference", &reference),
            ] {
                if let Some(why) = payment_text_problem(field, text) {
                    return Err(ApiError::invalid(field, format!("{label}: {why}.")));
                }
            }
            let allocate = match f.allocation.as_str() {
                "oldest_due_first" => Allocate::OldestDueFirst,
                _ => {
                    let Some(number) = v.number.clone().filter(|_| v.open_minor > 0) else {
                        return Err(ApiError::invalid(
                            "allocation",
                            "Nothing is open on this invoice; allocate oldest due first instead.",
                        ));
                    };
                    Allocate::Explicit(vec![(number, amount_minor.min(v.open_minor))])
                }
            };
            store.record_payment(
                p.org_id,
                &NewPayment {
                    customer_ref: v.customer_ref.clone(),
                    currency: v.currency,
                    received_date,
                    amount_minor,
                    method,
                    reference,
                    note: String::new(),
                },
                &allocate,
                sent_key(&f.form_key).as_deref(),
            )?;
            Ok(format!("{}#history", href(v.number.as_deref(), v.id)))
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_ranges_of_due_dates() {
        let today = Date::parse("2026-03-31").unwrap();
        let edges = AgingEdges::standard();
        let d = |s: &str| Some(Date::parse(s).unwrap());
        assert_eq!(bucket_range(&edges, 0, today), (d("2026-03-31"), None));
        assert_eq!(
            bucket_range(&edges, 1, today),
            (d("2026-03-01"), d("2026-03-30"))
        );
        assert_eq!(
            bucket_range(&edges, 2, today),
            (d("2026-01-30"), d("2026-02-28"))
        );
        assert_eq!(bucket_range(&edges, 4, today), (None, d("2025-12-30")));
    }
}
