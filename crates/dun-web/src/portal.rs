//! The customer portal: a signed, expiring link per customer opens their
//! open invoices and statement, each invoice's own page (its payment
//! reference and, in euro to an organisation with an IBAN, the EPC QR code
//! a banking app scans), the PDFs, payment instructions, and forms to
//! promise a payment or raise a dispute. No sign-in; the link is the
//! credential, and it reaches only that customer.
//!
//! *Invariants:* every read and write here is scoped by the organisation
//! and the customer the verified token names (an invoice number of anyone
//! else is "not found"); a refused link says only that it is not valid
//! (or, for a genuine one past its day, that it expired) and reveals
//! nothing else; a form is refused when the browser says it was sent from
//! another site (`Sec-Fetch-Site`, `Origin`), since the token in the path
//! is the only credential. Every answer is `no-store`, `no-referrer`
//! (the path is the credential) and `noindex`.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use dun_core::customer::PaymentMethod;
use dun_core::epc_qr;
use dun_core::reference::CreditorReference;
use dun_core::{Currency, Date};
use dun_mail::attachments::{self, DocumentError};
use dun_server::app::AppState;
use dun_server::problem::ApiError;
use dun_server::wire;
use dun_store::customers::Customer;
use dun_store::disputes::NewDispute;
// The longest dispute reason is the store's, defined once there.
use dun_store::invoices::{check_reason_chars, InvoiceFilter, InvoiceSummary, REASON_CHARS_MAX};
use dun_store::portal::PortalError;
use dun_store::records::NewPromise;
use dun_store::{Org, Store, StoreError};
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

use crate::layout::{encode, money};

/// Who the timeline names as the author of what the customer does here.
pub const PORTAL_AUTHOR: &str = "customer via portal";
/// Open invoices the portal lists.
const INVOICE_ROWS: i64 = 200;
/// How far back the statement goes at least, in days.
const STATEMENT_DAYS: i32 = 365;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/{token}", get(show))
        .route("/portal/{token}/statement.pdf", get(statement_pdf))
        .route("/portal/{token}/invoices/{number}", get(invoice_page))
        .route("/portal/{token}/invoices/{number}/pdf", get(invoice_pdf))
        .route("/portal/{token}/promise", post(promise))
        .route("/portal/{token}/dispute", post(dispute))
        .merge(crate::portal_pay::routes())
}

/// The headers every portal answer carries.
pub(crate) fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    response
}

pub(crate) fn page(status: StatusCode, markup: Markup) -> Response {
    private(crate::html(status, markup))
}

/// The portal's frame: the organisation's name, no staff navigation.
pub(crate) fn frame(org_name: &str, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex, nofollow";
                meta name="referrer" content="no-referrer";
                title { (title) " · " (org_name) }
                link rel="stylesheet" href=(crate::assets::css_href());
            }
            body.bare.portal {
                main #main.portal {
                    p.brand { span.logo aria-hidden="true" { (org_name.chars().next().unwrap_or('D')) } (org_name) }
                    (body)
                }
            }
        }
    }
}

/// A refusal as a page that says only what the visitor may know.
pub(crate) fn refusal(
    status: StatusCode,
    org_name: Option<&str>,
    heading: &str,
    text: &str,
) -> Response {
    let body = html! {
        h1 { (heading) }
        p.notice.bad role="alert" { (text) }
    };
    let markup = match org_name {
        Some(org) => frame(org, heading, body),
        None => crate::layout::bare(heading, body),
    };
    page(status, markup)
}

fn not_valid() -> Response {
    refusal(
        StatusCode::FORBIDDEN,
        None,
        "This link is not valid",
        "This link is not valid. Check that it was copied whole, or ask the sender for a new one.",
    )
}

pub(crate) fn not_found(org: &str) -> Response {
    refusal(
        StatusCode::NOT_FOUND,
        Some(org),
        "Not found",
        "There is no such document on your account.",
    )
}

pub(crate) fn trouble(e: ApiError) -> Response {
    if let Some(cause) = &e.internal {
        eprintln!("dun-web portal: {cause}");
    }
    let status = if e.status.is_server_error() {
        e.status
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    refusal(
        status,
        None,
        "Something went wrong",
        "The page could not be shown just now. Please try again in a moment.",
    )
}

/// Whom a verified link reaches, as of the organisation's today.
pub(crate) struct Visitor {
    pub(crate) org: Org,
    pub(crate) customer: Customer,
    pub(crate) today: Date,
    pub(crate) expires_on: Date,
}

/// Why a link opens nothing.
pub(crate) enum Refused {
    NotValid,
    Expired { org: String },
    Withdrawn { org: String },
    Failed(ApiError),
}

impl Refused {
    pub(crate) fn response(self) -> Response {
        match self {
            Refused::NotValid => not_valid(),
            Refused::Expired { org } => refusal(
                StatusCode::GONE,
                Some(&org),
                "This link has expired",
                &format!("This link has expired — ask {org} for a new one."),
            ),
            Refused::Withdrawn { org } => refusal(
                StatusCode::GONE,
                Some(&org),
                "This link was withdrawn",
                &format!("{org} has withdrawn this link — ask them for a new one."),
            ),
            Refused::Failed(e) => trouble(e),
        }
    }
}

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Refused {
        Refused::Failed(e)
    }
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Refused {
        Refused::Failed(e.into())
    }
}

/// Checks the token (shape, then signature), then its expiry against the
/// organisation's today, and loads the one customer it names.
pub(crate) fn visitor(store: &mut Store, token: &str) -> Result<Visitor, Refused> {
    // The signature first, with no expiry yet: the organisation's zone
    // decides what today is, and it is known only once the token is.
    let access = match store.verify_portal_token(token, Date::from_day_number(i32::MIN)) {
        Ok(a) => a,
        Err(PortalError::Store(e)) => return Err(e.into()),
        Err(PortalError::Withdrawn { org_id }) => {
            return Err(match store.org_by_id(org_id) {
                Ok(org) => Refused::Withdrawn { org: org.name },
                Err(StoreError::NotFound { .. }) => Refused::NotValid,
                Err(e) => e.into(),
            })
        }
        Err(_) => return Err(Refused::NotValid),
    };
    let org = match store.org_by_id(access.org_id) {
        Ok(org) => org,
        Err(StoreError::NotFound { .. }) => return Err(Refused::NotValid),
        Err(e) => return Err(e.into()),
    };
    let today = wire::today_in(&org.timezone)?;
    if today > access.expires_on {
        return Err(Refused::Expired { org: org.name });
    }
    let customer = match store.customer_by_id(access.org_id, access.customer_id) {
        Ok(c) => c,
        Err(StoreError::NotFound { .. }) => return Err(Refused::NotValid),
        Err(e) => return Err(e.into()),
    };
    Ok(Visitor {
        org,
        customer,
        today,
        expires_on: access.expires_on,
    })
}

/// What a portal form held, to show again beside its message.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PortalForm {
    #[serde(default)]
    promise_date: String,
    #[serde(default)]
    promise_amount: String,
    #[serde(default)]
    dispute_invoice: String,
    #[serde(default)]
    dispute_reason: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct PortalQuery {
    done: Option<String>,
}

pub(crate) fn open_invoices(
    store: &mut Store,
    v: &Visitor,
) -> Result<Vec<InvoiceSummary>, StoreError> {
    Ok(store
        .invoices(
            v.org.id,
            &InvoiceFilter {
                customer_ref: Some(v.customer.reference.clone()),
                status: dun_store::invoices::StatusFilter::Open,
                as_of: Some(v.today),
                issued_by: Some(v.today),
                limit: INVOICE_ROWS,
                ..Default::default()
            },
        )?
        .into_iter()
        .filter(|i| i.number.is_some() && i.open_minor > 0)
        .collect())
}

/// The statement's period: the last year, or since the oldest open
/// invoice when that is older.
fn statement_from(v: &Visitor, invoices: &[InvoiceSummary]) -> Date {
    let year = v.today.add_days(-STATEMENT_DAYS);
    invoices
        .iter()
        .map(|i| i.issue_date)
        .min()
        .map_or(year, |d| d.min(year))
}

/// The portal's one page, with a form's message when one was refused.
fn portal_page(
    store: &mut Store,
    v: &Visitor,
    token: &str,
    done: Option<&str>,
    again: Option<(&str, &str, &PortalForm)>,
) -> Result<Markup, StoreError> {
    let invoices = open_invoices(store, v)?;
    let from = statement_from(v, &invoices);
    let found = store.customer_statements(v.org.id, &v.customer.reference, from, v.today)?;
    let seller = &found.seller;
    let payment = &found.payment;
    let base = format!("/portal/{}", encode(token));
    let blank = PortalForm::default();
    let (which, message, form) = match again {
        Some((w, m, f)) => (w, Some(m), f),
        None => ("", None, &blank),
    };
    let numbers: Vec<&str> = invoices
        .iter()
        .filter_map(|i| i.number.as_deref())
        .collect();
    let invoice_ids: Vec<i64> = invoices.iter().map(|i| i.id).collect();
    let currency: Currency = invoices.first().map_or(v.org.currency, |i| i.currency);
    let online = crate::portal_pay::online_for(store, v)?;
    let body = html! {
        h1 { (v.customer.name) }
        p.muted {
            "Your account with " (seller.name)
            @if let Some(e) = &seller.email { " · " a href=(format!("mailto:{e}")) { (e) } }
            @if let Some(p) = &seller.phone { " · " (p) }
        }
        @if !seller.address_lines.is_empty() || seller.city.is_some() {
            address.muted {
                @for line in &seller.address_lines { (line) ", " }
                @if let Some(pc) = &seller.postcode { (pc) " " }
                @if let Some(city) = &seller.city { (city) }
                @if let Some(cc) = &seller.country_code { ", " (cc) }
            }
        }
        // The headline: what the customer owes per currency (the
        // statement's closing balance: open invoices less credit not yet
        // applied) and since when the oldest open invoice was due.
        @for s in found.statements.iter().filter(|s| s.closing_minor > 0) {
            p.owed data-owed=(s.currency.code()) {
                "You owe " strong { (money(s.closing_minor, s.currency)) }
                @if let Some(oldest) = s.open_invoices.first() {
                    @if oldest.days_past_due > 0 {
                        "; the oldest invoice was due " (oldest.due_date) " (" (oldest.days_past_due)
                        @if oldest.days_past_due == 1 { " day ago)." } @else { " days ago)." }
                    } @else {
                        "; the next is due " (oldest.due_date) "."
                    }
                } @else { "." }
            }
        }
        @match done {
            Some("promise") => p.notice.ok role="status" { "Thank you — your promise to pay is recorded. " (seller.name) " will see it straight away." },
            Some("dispute") => p.notice.ok role="status" { "Thank you — your dispute is recorded. " (seller.name) " will look into it and be in touch; reminders for that invoice stop meanwhile." },
            _ => {},
        }
        section aria-labelledby="open" {
            h2 #open { "Open invoices" }
            @if invoices.is_empty() {
                p.empty { "Nothing is open. Thank you!" }
            } @else {
                div.scroll tabindex="0" { table.data.stacked #portal-invoices {
                    thead { tr {
                        th scope="col" { "Invoice" } th scope="col" { "Issued" } th scope="col" { "Due" }
                        th.num scope="col" { "Total" } th.num scope="col" { "Open" } th.num scope="col" { "Days late" }
                        th scope="col" { "Payment reference" }
                        th scope="col" { "PDF" }
                    } }
                    tbody {
                        @for i in &invoices {
                            @let number = i.number.clone().unwrap_or_default();
                            @let late = v.today.days_since(i.due_date);
                            tr data-invoice=(number) {
                                td.code.lead { a href=(format!("{base}/invoices/{}", encode(&number))) { (number) } }
                                td data-label="Issued" { (i.issue_date) }
                                td data-label="Due" { (i.due_date) }
                                td.num data-label="Total" { (money(i.total_minor, i.currency)) }
                                td.num data-label="Open" { (money(i.open_minor, i.currency)) }
                                td.num data-label="Days late" { @if late > 0 { span.bad { (late) } } @else { span.muted { "—" } } }
                                td.code data-label="Payment reference" { (CreditorReference::for_invoice(i.id).grouped()) }
                                td { a href=(format!("{base}/invoices/{}/pdf", encode(&number))) { "Download " span.visually-hidden { (number) } " PDF" } }
                            }
                        }
                    }
                } }
            }
        }
        section aria-labelledby="pay" {
            h2 #pay { "How to pay" }
            @if let Some(methods) = &v.customer.payment_methods {
                p #accepted-methods { "You may pay by " (PaymentMethod::list_label(Some(methods))) "." }
            }
            @if online { (crate::portal_pay::pay_form(&base, &invoices)) }
            @if payment.iban.is_none() && payment.account_name.is_none() && payment.note.is_none() {
                p { "Please contact " (seller.name) " for payment details." }
            } @else {
                dl.facts {
                    @if let Some(name) = &payment.account_name { dt { "Account name" } dd { (name) } }
                    @if let Some(iban) = &payment.iban { dt { "IBAN" } dd.code { (iban) } }
                    @if let Some(bic) = &payment.bic { dt { "BIC" } dd.code { (bic) } }
                }
                @if let Some(note) = &payment.note { p { (note) } }
            }
            @if !invoices.is_empty() {
                dl.facts {
                    dt { "Payment reference" }
                    dd {
                        span.code #payment-reference { (CreditorReference::for_payment_of(v.customer.id, &invoice_ids).grouped()) }
                        @if invoice_ids.len() > 1 { " for everything open, or each invoice's own above" }
                    }
                }
            }
        }
        section aria-labelledby="statement" {
            h2 #statement { "Statement of account" }
            @if found.statements.is_empty() {
                p.empty { "No movement since " (from) "." }
            }
            @for s in &found.statements {
                @let c = s.currency;
                @let several = found.statements.len() > 1;
                h3 { (c.code()) ", " (s.from) " to " (s.to) }
                div.scroll tabindex="0" { table.data.statement data-currency=(c.code()) {
                    thead { tr {
                        th scope="col" { "Date" } th scope="col" { "Description" }
                        th.num scope="col" { "Amount" } th.num scope="col" { "Balance" }
                    } }
                    tbody {
                        tr { td { (s.from) } td { "Opening balance" } td.num {} td.num { (money(s.opening_minor, c)) } }
                        @for l in &s.lines {
                            tr {
                                td { (l.date) }
                                td { (l.description()) }
                                td.num { (money(l.amount_minor, c)) }
                                td.num { (money(l.balance_minor, c)) }
                            }
                        }
                        tr.total { td { (s.to) } td { "Closing balance" } td.num {} td.num data-closing=(c.code()) { (money(s.closing_minor, c)) } }
                    }
                } }
                p {
                    a href=(if several { format!("{base}/statement.pdf?currency={}", c.code()) } else { format!("{base}/statement.pdf") }) {
                        "Download the statement (PDF" @if several { ", " (c.code()) } ")"
                    }
                }
            }
        }
        div.columns {
            section aria-labelledby="promise" {
                h2 #promise { "Promise a payment" }
                @if which == "promise" { @if let Some(m) = message { p.notice.bad role="alert" { (m) } } }
                form.stack method="post" action=(format!("{base}/promise")) {
                    label for="promise_date" { "I will pay by" }
                    input #promise_date type="date" name="promise_date" value=(form.promise_date) min=(v.today.to_string()) required;
                    label for="promise_amount" { "Amount (" (currency.code()) ")" }
                    input #promise_amount type="text" inputmode="decimal" name="promise_amount" value=(form.promise_amount) required;
                    button.primary type="submit" { "Promise this payment" }
                }
            }
            section aria-labelledby="dispute" {
                h2 #dispute { "Raise a dispute" }
                @if which == "dispute" { @if let Some(m) = message { p.notice.bad role="alert" { (m) } } }
                @if numbers.is_empty() {
                    p.empty { "No open invoice to dispute." }
                } @else {
                    form.stack method="post" action=(format!("{base}/dispute")) {
                        label for="dispute_invoice" { "Invoice" }
                        select #dispute_invoice name="dispute_invoice" required {
                            @for n in &numbers {
                                option value=(n) selected[form.dispute_invoice == *n] { (n) }
                            }
                        }
                        label for="dispute_reason" { "What is wrong" }
                        p.muted.small #dispute_reason_limit { "At most " (REASON_CHARS_MAX) " characters." }
                        textarea #dispute_reason name="dispute_reason" rows="3" required maxlength=(REASON_CHARS_MAX) aria-describedby="dispute_reason_limit" { (form.dispute_reason) }
                        button type="submit" { "Raise a dispute" }
                    }
                }
            }
        }
        p.muted.small { "This link works through " (v.expires_on) ". Keep it private: anyone with it can see this page." }
    };
    Ok(frame(&v.org.name, &v.customer.name, body))
}

async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<PortalQuery>,
) -> Response {
    let done = state
        .pool
        .run(move |store| {
            Ok(match visitor(store, &token) {
                Ok(v) => Ok(portal_page(store, &v, &token, query.done.as_deref(), None)?),
                Err(r) => Err(r),
            })
        })
        .await;
    match done {
        Ok(Ok(markup)) => page(StatusCode::OK, markup),
        Ok(Err(refused)) => refused.response(),
        Err(e) => trouble(e),
    }
}

/// One invoice of the visitor's as a page: its figures, its payment
/// reference, how to pay it and, when it can be paid by SEPA credit
/// transfer, the EPC QR code for what is open.
fn invoice_view(
    store: &mut Store,
    v: &Visitor,
    token: &str,
    number: &str,
) -> Result<Option<Markup>, StoreError> {
    // Only an issued invoice of this customer: never a draft (`#id`),
    // never anyone else's.
    if number.starts_with('#') {
        return Ok(None);
    }
    let inv = match store.invoice(v.org.id, number, v.today) {
        Ok(inv) if inv.customer_ref == v.customer.reference && inv.number.is_some() => inv,
        Ok(_) | Err(StoreError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let (seller, payment) = store.seller(v.org.id)?;
    let c = inv.currency;
    let open = if inv.status == dun_core::state::SettlementStatus::Void {
        0
    } else {
        inv.open_minor.max(0)
    };
    let reference = CreditorReference::for_invoice(inv.id);
    let qr = epc_qr::for_document(&payment, &seller.name, c, open, &reference).and_then(|p| {
        crate::qr::epc_svg(
            &p,
            &format!("EPC QR code: pay {} to {}", money(open, c), seller.name),
        )
    });
    let base = format!("/portal/{}", encode(token));
    let number = inv.number.clone().unwrap_or_default();
    let late = v.today.days_since(inv.due_date);
    let online = crate::portal_pay::online_for(store, v)?;
    let body = html! {
        p.crumbs { a href=(base) { "Your account" } " / " (number) }
        h1 { "Invoice " (number) }
        dl.facts #invoice {
            dt { "Issued" } dd { (inv.issue_date) }
            dt { "Due" } dd { (inv.due_date) }
            dt { "Total" } dd.num { (money(inv.totals.total_minor, c)) }
            dt { "Open" } dd.num #open { strong { (money(open, c)) } }
            @if open > 0 && late > 0 { dt { "Days late" } dd { span.bad { (late) } } }
            dt { "Payment reference" } dd.code #payment-reference { (reference.grouped()) }
        }
        p { a href=(format!("{base}/invoices/{}/pdf", encode(&number))) { "Download the invoice (PDF)" } }
        section aria-labelledby="pay" {
            h2 #pay { "How to pay" }
            @if open <= 0 {
                p.empty { "Nothing is open on this invoice. Thank you!" }
            } @else {
                @if online { (crate::portal_pay::pay_invoice_button(&base, &number, &money(open, c))) }
                div.columns {
                    div {
                        dl.facts {
                            @if let Some(name) = &payment.account_name { dt { "Account name" } dd { (name) } }
                            @if let Some(iban) = &payment.iban { dt { "IBAN" } dd.code { (iban) } }
                            @if let Some(bic) = &payment.bic { dt { "BIC" } dd.code { (bic) } }
                            dt { "Amount" } dd { (money(open, c)) }
                            dt { "Payment reference" } dd.code { (reference.grouped()) }
                        }
                        p { "Please quote the payment reference with your payment, so it is matched to this invoice." }
                        @if let Some(note) = &payment.note { p { (note) } }
                        @if payment.iban.is_none() && payment.account_name.is_none() && payment.note.is_none() {
                            p { "Please contact " (seller.name) " for payment details." }
                        }
                    }
                    @if let Some(svg) = qr {
                        figure.epc-qr {
                            (svg)
                            figcaption.muted { "Scan with your banking app to pay by SEPA credit transfer." }
                        }
                    }
                }
            }
        }
    };
    Ok(Some(frame(&v.org.name, &format!("Invoice {number}"), body)))
}

async fn invoice_page(
    State(state): State<AppState>,
    Path((token, number)): Path<(String, String)>,
) -> Response {
    let done = state
        .pool
        .run(move |store| {
            Ok(match visitor(store, &token) {
                Ok(v) => Ok((
                    invoice_view(store, &v, &token, &number)?,
                    v.org.name.clone(),
                )),
                Err(r) => Err(r),
            })
        })
        .await;
    match done {
        Ok(Ok((Some(markup), _))) => page(StatusCode::OK, markup),
        Ok(Ok((None, org))) => not_found(&org),
        Ok(Err(refused)) => refused.response(),
        Err(e) => trouble(e),
    }
}

/// A document's bytes, shown inline under `filename`.
fn pdf(filename: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!("inline; filename=\"{}\"", attachments::file_stem(filename));
    private(
        (
            [
                (header::CONTENT_TYPE, attachments::PDF.to_string()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            bytes,
        )
            .into_response(),
    )
}

fn document_failed(e: DocumentError) -> ApiError {
    match e {
        DocumentError::Store(e) => e.into(),
        DocumentError::Refused(m) | DocumentError::NotConforming(m) => ApiError::internal(m),
        draft @ DocumentError::Draft { .. } => ApiError::internal(draft.to_string()),
        DocumentError::Render(e) => ApiError::internal(format!("rendering a PDF: {e}")),
    }
}

/// What a PDF request ends in.
enum Document {
    File(String, Vec<u8>),
    NotFound(String),
}

async fn run_document<F>(state: &AppState, token: String, work: F) -> Response
where
    F: FnOnce(&mut Store, &Visitor) -> Result<Document, ApiError> + Send + 'static,
{
    let done = state
        .pool
        .run(move |store| {
            Ok(match visitor(store, &token) {
                Ok(v) => Ok(work(store, &v)?),
                Err(r) => Err(r),
            })
        })
        .await;
    match done {
        Ok(Ok(Document::File(name, bytes))) => pdf(&name, bytes),
        Ok(Ok(Document::NotFound(org))) => not_found(&org),
        Ok(Err(refused)) => refused.response(),
        Err(e) => trouble(e),
    }
}

async fn invoice_pdf(
    State(state): State<AppState>,
    Path((token, number)): Path<(String, String)>,
) -> Response {
    run_document(&state, token, move |store, v| {
        // Only an issued invoice of this customer: never a draft (`#id`),
        // never anyone else's.
        if number.starts_with('#') {
            return Ok(Document::NotFound(v.org.name.clone()));
        }
        match store.invoice(v.org.id, &number, v.today) {
            Ok(view) if view.customer_ref == v.customer.reference && view.number.is_some() => {}
            Ok(_) | Err(StoreError::NotFound { .. }) => {
                return Ok(Document::NotFound(v.org.name.clone()))
            }
            Err(e) => return Err(e.into()),
        }
        let (number, bytes) = attachments::invoice_pdf(store, v.org.id, &number, v.today, None)
            .map_err(document_failed)?;
        Ok(Document::File(format!("{number}.pdf"), bytes))
    })
    .await
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct StatementQuery {
    currency: Option<String>,
}

async fn statement_pdf(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<StatementQuery>,
) -> Response {
    run_document(&state, token, move |store, v| {
        let invoices = open_invoices(store, v)?;
        let from = statement_from(v, &invoices);
        let all = attachments::statement_pdfs(
            store,
            v.org.id,
            &v.customer.reference,
            from,
            v.today,
            None,
        )
        .map_err(document_failed)?;
        let wanted = query
            .currency
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let found = match wanted {
            Some(code) => all
                .into_iter()
                .find(|(s, _)| s.currency.code().eq_ignore_ascii_case(code)),
            None => all.into_iter().next(),
        };
        Ok(match found {
            Some((s, bytes)) => Document::File(
                format!(
                    "statement-{}-{}-{}.pdf",
                    v.customer.reference,
                    v.today,
                    s.currency.code()
                ),
                bytes,
            ),
            None => Document::NotFound(v.org.name.clone()),
        })
    })
    .await
}

/// Whether the browser says the form came from another site. A browser
/// sends `Sec-Fetch-Site` (modern ones) or `Origin` with a POST; either,
/// when present, must name this site.
pub(crate) fn cross_site(headers: &HeaderMap, public_url: &str) -> bool {
    // A browser that sends Sec-Fetch-Site says where the form came from;
    // its word is final. (Its Origin may be "null": the portal's
    // Referrer-Policy: no-referrer makes Chromium send that on a POST.)
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Ok(origin) = origin.to_str() else {
        return true;
    };
    let origin = origin.trim_end_matches('/');
    let public = {
        let url = public_url.trim_end_matches('/');
        // scheme://host[:port] of the public address
        match url.find("://") {
            Some(i) => match url[i + 3..].find('/') {
                Some(j) => &url[..i + 3 + j],
                None => url,
            },
            None => url,
        }
    };
    if origin.eq_ignore_ascii_case(public) {
        return false;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, h)| h);
    !matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

pub(crate) fn cross_site_refused() -> Response {
    refusal(
        StatusCode::FORBIDDEN,
        None,
        "Refused",
        "This form was sent from another site and was refused. Open your link again and send it from there.",
    )
}

/// The outcome of a portal form.
enum Posted {
    Done(&'static str),
    Again(Markup),
}

async fn portal_post<F>(
    state: AppState,
    headers: HeaderMap,
    token: String,
    which: &'static str,
    form: PortalForm,
    work: F,
) -> Response
where
    F: FnOnce(&mut Store, &Visitor, &PortalForm) -> Result<(), ApiError> + Send + 'static,
{
    if cross_site(&headers, &state.config.site_url()) {
        return cross_site_refused();
    }
    let path_token = token.clone();
    let done = state
        .pool
        .write(move |store| {
            let v = match visitor(store, &token) {
                Ok(v) => v,
                Err(r) => return Ok(Err(r)),
            };
            match work(store, &v, &form) {
                Ok(()) => Ok(Ok(Posted::Done(which))),
                Err(e)
                    if matches!(
                        e.status,
                        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT
                    ) =>
                {
                    let markup =
                        portal_page(store, &v, &token, None, Some((which, &e.detail, &form)))?;
                    Ok(Ok(Posted::Again(markup)))
                }
                Err(e) => Err(e),
            }
        })
        .await;
    match done {
        Ok(Ok(Posted::Done(what))) => private(crate::see_other(&format!(
            "/portal/{}?done={what}#{what}",
            encode(&path_token)
        ))),
        Ok(Ok(Posted::Again(markup))) => page(StatusCode::UNPROCESSABLE_ENTITY, markup),
        Ok(Err(refused)) => refused.response(),
        Err(e) => trouble(e),
    }
}

async fn promise(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<PortalForm>,
) -> Response {
    portal_post(state, headers, token, "promise", form, |store, v, f| {
        let date = f.promise_date.trim();
        if date.is_empty() {
            return Err(ApiError::invalid(
                "promise_date",
                "Give the day you will pay by.",
            ));
        }
        let promised_date = wire::parse_date("promise_date", date).map_err(|_| {
            ApiError::invalid(
                "promise_date",
                format!("'{date}' is not a date; give it as YYYY-MM-DD."),
            )
        })?;
        if promised_date < v.today {
            return Err(ApiError::invalid(
                "promise_date",
                format!(
                    "The day you will pay by must be today ({}) or later.",
                    v.today
                ),
            ));
        }
        let invoices = open_invoices(store, v)?;
        let currency = invoices.first().map_or(v.org.currency, |i| i.currency);
        let amount = f.promise_amount.trim();
        let amount_minor =
            wire::parse_amount("promise_amount", amount, currency).map_err(|_| {
                ApiError::invalid(
                    "promise_amount",
                    format!("'{amount}' is not an amount; give it like 250.00."),
                )
            })?;
        if amount_minor <= 0 {
            return Err(ApiError::invalid(
                "promise_amount",
                "The amount must be more than zero.",
            ));
        }
        store.add_promise(
            v.org.id,
            &NewPromise {
                customer_ref: v.customer.reference.clone(),
                currency,
                amount_minor,
                promised_date,
                invoices: Vec::new(),
                made_on: v.today,
                author: PORTAL_AUTHOR.to_string(),
            },
            None,
        )?;
        Ok(())
    })
    .await
}

async fn dispute(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<PortalForm>,
) -> Response {
    portal_post(state, headers, token, "dispute", form, |store, v, f| {
        let number = f.dispute_invoice.trim();
        let reason = f.dispute_reason.trim();
        if number.is_empty() {
            return Err(ApiError::invalid(
                "dispute_invoice",
                "Choose the invoice you dispute.",
            ));
        }
        if reason.is_empty() {
            return Err(ApiError::invalid(
                "dispute_reason",
                "Say what is wrong with the invoice.",
            ));
        }
        if let Err(e) = check_reason_chars("reason", reason) {
            return Err(ApiError::invalid(
                "dispute_reason",
                format!("Your reason: {}.", e.why),
            ));
        }
        let open = open_invoices(store, v)?;
        if !open.iter().any(|i| i.number.as_deref() == Some(number)) {
            return Err(ApiError::invalid(
                "dispute_invoice",
                format!("{number} is not one of your open invoices."),
            ));
        }
        match store.open_dispute(
            v.org.id,
            &NewDispute {
                invoice: number.to_string(),
                line: None,
                reason: reason.to_string(),
                on: v.today,
                author: PORTAL_AUTHOR.to_string(),
            },
            None,
        ) {
            Ok(_) => Ok(()),
            Err(StoreError::Conflict(_)) => Err(ApiError::invalid(
                "dispute_invoice",
                format!("{number} is already in dispute; we will be in touch about it."),
            )),
            Err(e) => Err(e.into()),
        }
    })
    .await
}
