//! Invoices: the list, one invoice, drafting, issuing, voiding, credit
//! notes and write-offs.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use dun_core::invoice::{
    format_quantity, format_tax_rate, parse_quantity_e4, parse_tax_rate_ppm, InvoiceDraft,
    InvoiceLine,
};
use dun_core::ledger::EntryKind;
use dun_core::terms::{Installment, Terms};
use dun_core::Currency;
use dun_mail::attachments;
use dun_mail::interest_sheet;
use dun_store::credit_file::IssueOverride;
use dun_store::invoices::{
    InvoiceFilter, InvoiceSummary, InvoiceView, Posted, Reduction, StatusFilter,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{AppState, Caller, Need};
use crate::extract::{
    decode_id_cursor, page_limit, page_of, ApiJson, ApiPath, ApiQuery, IdempotencyKey, Page,
};
use crate::problem::ApiError;
use crate::routes::documents;
use crate::wire;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_invoices, create_invoice))
        .routes(routes!(get_invoice, edit_draft, delete_draft))
        .routes(routes!(issue_invoice))
        .routes(routes!(void_invoice))
        .routes(routes!(send_invoice))
        .routes(routes!(send_credit_note))
        .routes(routes!(credit_note))
        .routes(routes!(write_off))
        .routes(routes!(waive_charge))
        .routes(routes!(reverse_write_off))
        .routes(routes!(interest_sheet))
        .routes(routes!(interest_sheet_pdf))
}

/// One row of the invoice list.
#[derive(Serialize, ToSchema)]
pub struct InvoiceSummaryOut {
    /// The invoice's id (drafts are addressed by it).
    pub id: i64,
    /// The number, given at issue; absent on a draft.
    pub number: Option<String>,
    /// The customer's reference.
    pub customer: String,
    pub currency: String,
    pub issue_date: String,
    pub due_date: String,
    pub total: String,
    pub open: String,
    /// draft, open, partially_paid, partially_credited, paid, credited,
    /// written_off, void.
    pub status: String,
}

fn summary_out(s: InvoiceSummary) -> InvoiceSummaryOut {
    InvoiceSummaryOut {
        id: s.id,
        number: s.number,
        customer: s.customer_ref,
        currency: s.currency.code().to_string(),
        issue_date: s.issue_date.to_string(),
        due_date: s.due_date.to_string(),
        total: wire::amount(s.total_minor, s.currency),
        open: wire::amount(s.open_minor, s.currency),
        status: s.status,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InvoiceQuery {
    /// all (default); open (everything still owed), overdue, settled (paid,
    /// credited or written off); or one status: draft, partially_paid,
    /// partially_credited, paid, credited, written_off, void.
    pub status: Option<String>,
    /// Only invoices of the customer with this reference.
    pub customer: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Invoices, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/invoices",
    tag = "invoices",
    params(InvoiceQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = Page<InvoiceSummaryOut>),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn list_invoices(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<InvoiceQuery>,
) -> Result<Json<Page<InvoiceSummaryOut>>, ApiError> {
    let limit = page_limit(query.limit)?;
    let before_id = decode_id_cursor("invoices", query.cursor.as_deref())?;
    let status = StatusFilter::parse(query.status.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::invalid("status", e.to_string()))?;
    let page = state
        .as_caller(caller, Need::Read, move |store, p| {
            let org = p.org.clone();
            let today = wire::today_in(&org.timezone)?;
            let filter = InvoiceFilter {
                customer_ref: query.customer,
                status,
                as_of: Some(today),
                issued_by: Some(today),
                before_id,
                limit: limit + 1,
                ..InvoiceFilter::default()
            };
            let rows = store.invoices(p.org_id, &filter)?;
            Ok(page_of(rows, limit, "invoices", |r| r.id.to_string()))
        })
        .await?;
    Ok(Json(Page {
        items: page.items.into_iter().map(summary_out).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineIn {
    pub description: String,
    /// A positive decimal with at most 4 decimals, e.g. "2.5".
    pub quantity: String,
    /// In the invoice's currency, as a decimal string, e.g. "13.333": up to
    /// 4 decimals more than the currency has (6 for EUR, 4 for JPY). The
    /// line's net is rounded half-even to the currency's decimals.
    pub unit_price: String,
    /// A percentage from 0 to 100, e.g. "8.875" (default 0).
    pub tax_rate: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallmentIn {
    pub due_date: String,
    pub amount: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvoiceIn {
    /// The customer's reference.
    pub customer: String,
    /// ISO 4217 code (default: the organisation's home currency).
    pub currency: Option<String>,
    /// Default: today in the organisation's time zone.
    pub issue_date: Option<String>,
    /// Payment terms (default: the customer's).
    pub terms: Option<String>,
    pub description: Option<String>,
    pub lines: Vec<LineIn>,
    /// An explicit schedule adding up to the total; default from the terms.
    pub installments: Option<Vec<InstallmentIn>>,
    /// Issue at once (default false: a draft).
    pub issue: Option<bool>,
    /// With `issue`: overrides a credit-policy refusal, logged with your name.
    pub override_reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct InvoiceCreated {
    /// The invoice's id.
    pub id: i64,
    /// Its number, when it was issued.
    pub number: Option<String>,
    /// draft or open.
    pub status: String,
    pub customer: String,
    pub currency: String,
    pub subtotal: String,
    pub tax: String,
    pub total: String,
    pub open: String,
}

/// The store's limit on a reason ([`dun_store::invoices::REASON_CHARS_MAX`]
/// characters), checked before the write, refused as the field `reason`.
fn check_reason(reason: &str) -> Result<(), ApiError> {
    dun_store::invoices::check_reason_chars("reason", reason)
        .map_err(|e| ApiError::invalid(e.field, e.to_string()))
}

fn override_reason(reason: Option<&str>) -> Result<Option<&str>, ApiError> {
    match reason {
        Some(r) if r.trim().is_empty() => Err(ApiError::invalid(
            "override_reason",
            "override_reason: say why the credit policy is overridden, or leave it out",
        )),
        Some(r) => {
            dun_store::invoices::check_reason_chars("override_reason", r)
                .map_err(|e| ApiError::invalid(e.field, e.to_string()))?;
            Ok(Some(r))
        }
        None => Ok(None),
    }
}

pub(crate) fn parse_lines(
    lines: &[LineIn],
    currency: Currency,
) -> Result<Vec<InvoiceLine>, ApiError> {
    let parsed = parse_each_line(lines, currency)?;
    dun_core::invoice::checked_totals(&parsed)
        .map_err(|e| ApiError::invalid("lines", format!("lines: {e}")))?;
    Ok(parsed)
}

fn parse_each_line(lines: &[LineIn], currency: Currency) -> Result<Vec<InvoiceLine>, ApiError> {
    if lines.is_empty() {
        return Err(ApiError::invalid(
            "lines",
            "lines: an invoice needs at least one line",
        ));
    }
    if lines.len() > dun_core::invoice::LINES_MAX {
        return Err(ApiError::invalid(
            "lines",
            format!("lines: at most {} lines", dun_core::invoice::LINES_MAX),
        ));
    }
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let at = |part: &str| format!("lines[{i}].{part}");
            let quantity = parse_quantity_e4(&l.quantity).map_err(|e| {
                ApiError::invalid(at("quantity"), format!("{}: {e}", at("quantity")))
            })?;
            let price = wire::parse_unit_price(&at("unit_price"), &l.unit_price, currency)?;
            let tax = match l.tax_rate.as_deref() {
                Some(t) => parse_tax_rate_ppm(t).map_err(|e| {
                    ApiError::invalid(at("tax_rate"), format!("{}: {e}", at("tax_rate")))
                })?,
                None => 0,
            };
            InvoiceLine::priced(l.description.trim(), quantity, price, tax)
                .map_err(|e| ApiError::invalid(format!("lines[{i}]"), format!("lines[{i}]: {e}")))
        })
        .collect()
}

/// Drafts an invoice, and issues it at once with `issue: true`.
#[utoipa::path(
    post,
    path = "/api/v1/invoices",
    tag = "invoices",
    request_body = NewInvoiceIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = InvoiceCreated),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn create_invoice(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiJson(input): ApiJson<NewInvoiceIn>,
) -> Result<(StatusCode, Json<InvoiceCreated>), ApiError> {
    override_reason(input.override_reason.as_deref())?;
    if input.override_reason.is_some() && input.issue != Some(true) {
        return Err(ApiError::invalid(
            "override_reason",
            "override_reason: only with issue: true (or on POST /api/v1/invoices/{invoice}/issue)",
        ));
    }
    let out = state
        .as_caller(caller, Need::Write, move |store, p| {
            let (draft, customer) = draft_of(store, p, &input)?;
            let currency = draft.currency;
            let mut out = draft_out(0, customer, &draft);
            if input.issue == Some(true) {
                // One transaction: a refused issue leaves no draft behind.
                let author = p.author();
                let override_by = input
                    .override_reason
                    .as_deref()
                    .map(|reason| IssueOverride {
                        reason,
                        author: &author,
                    });
                let posted = store.create_and_issue_invoice(
                    p.org_id,
                    &draft,
                    override_by,
                    key.as_deref(),
                )?;
                out.id = posted.invoice_id;
                out.number = Some(posted.number);
                out.status = "open".to_string();
                out.open = wire::amount(posted.open_minor, currency);
            } else {
                out.id = store.create_invoice(p.org_id, &draft, key.as_deref())?;
            }
            Ok(out)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// What a request says a draft is: checked field by field, named as sent.
fn draft_of(
    store: &mut dun_store::Store,
    p: &dun_store::accounts::Principal,
    input: &NewInvoiceIn,
) -> Result<(InvoiceDraft, String), ApiError> {
    let terms = input
        .terms
        .as_deref()
        .map(|t| Terms::parse(t).map_err(|e| ApiError::invalid("terms", format!("terms: {e}"))))
        .transpose()?;
    let issue_date = wire::opt_date("issue_date", input.issue_date.as_deref())?;
    let currency = match input.currency.as_deref() {
        Some(c) => wire::parse_currency("currency", c)?,
        None => p.org.currency,
    };
    let description = input.description.clone().unwrap_or_default();
    let lines = parse_lines(&input.lines, currency)?;
    let installments = input
        .installments
        .as_deref()
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, inst)| {
            Ok(Installment {
                due_date: wire::parse_date(&format!("installments[{i}].due_date"), &inst.due_date)?,
                amount_minor: wire::parse_amount(
                    &format!("installments[{i}].amount"),
                    &inst.amount,
                    currency,
                )?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let customer = store
        .customer(p.org_id, &input.customer)
        .map_err(|e| match e {
            dun_store::StoreError::NotFound { .. } => ApiError::invalid(
                "customer",
                format!(
                    "customer: no customer has the reference '{}'",
                    input.customer
                ),
            ),
            other => other.into(),
        })?;
    let draft = InvoiceDraft {
        customer_id: customer.id,
        currency,
        issue_date: match issue_date {
            Some(d) => d,
            None => wire::today_in(&p.org.timezone)?,
        },
        terms: terms.unwrap_or_else(|| customer.terms.clone()),
        description,
        lines,
        installments,
    };
    draft.schedule().map_err(|e| {
        ApiError::invalid(
            if draft.installments.is_empty() {
                "lines"
            } else {
                "installments"
            },
            format!("{e}"),
        )
    })?;
    Ok((draft, customer.reference))
}

/// A draft as the API answers it (nothing open: nothing is posted yet).
fn draft_out(id: i64, customer: String, draft: &InvoiceDraft) -> InvoiceCreated {
    let totals = draft.totals();
    let currency = draft.currency;
    InvoiceCreated {
        id,
        number: None,
        status: "draft".to_string(),
        customer,
        currency: currency.code().to_string(),
        subtotal: wire::amount(totals.subtotal_minor, currency),
        tax: wire::amount(totals.tax_minor, currency),
        total: wire::amount(totals.total_minor, currency),
        open: wire::amount(0, currency),
    }
}

/// Replaces everything a draft says with this body, as `POST
/// /api/v1/invoices` takes it (without `issue` and `override_reason`:
/// issue it with `POST /api/v1/invoices/{invoice}/issue`). 409 once issued.
#[utoipa::path(
    put,
    path = "/api/v1/invoices/{invoice}",
    tag = "invoices",
    request_body = NewInvoiceIn,
    params(
        ("invoice" = String, Path, description = "The draft, as #ID or its id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = InvoiceCreated),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn edit_draft(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(invoice): ApiPath<String>,
    ApiJson(input): ApiJson<NewInvoiceIn>,
) -> Result<Json<InvoiceCreated>, ApiError> {
    if input.issue.is_some() || input.override_reason.is_some() {
        return Err(ApiError::invalid(
            if input.issue.is_some() {
                "issue"
            } else {
                "override_reason"
            },
            "issue: a draft is changed here and issued with POST /api/v1/invoices/{invoice}/issue",
        ));
    }
    let out = state
        .as_caller(caller, Need::Write, move |store, p| {
            let (draft, customer) = draft_of(store, p, &input)?;
            let id = store.replace_draft(p.org_id, &invoice, &draft, key.as_deref())?;
            Ok(draft_out(id, customer, &draft))
        })
        .await?;
    Ok(Json(out))
}

/// Throws a draft away: it has no number and nothing on the ledger; the
/// customer's timeline keeps what it was. 409 once issued.
#[utoipa::path(
    delete,
    path = "/api/v1/invoices/{invoice}",
    tag = "invoices",
    params(
        ("invoice" = String, Path, description = "The draft, as #ID or its id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn delete_draft(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(invoice): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state
        .as_caller(caller, Need::Write, move |store, p| {
            let today = wire::today_in(&p.org.timezone)?;
            Ok(store.delete_draft(p.org_id, &invoice, today, key.as_deref())?)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct LineOut {
    pub description: String,
    pub quantity: String,
    /// Exactly as priced: the currency's decimals and any further ones
    /// ("13.333").
    pub unit_price: String,
    /// Percent.
    pub tax_rate: String,
    pub net: String,
    pub tax: String,
}

#[derive(Serialize, ToSchema)]
pub struct InstallmentOut {
    pub due_date: String,
    pub amount: String,
}

/// One ledger entry on an invoice.
#[derive(Serialize, ToSchema)]
pub struct InvoiceEntryOut {
    pub id: i64,
    /// invoice_issued, allocation, credit_note, write_off, fee, …
    pub kind: String,
    pub date: String,
    /// What the entry did to the amount owed (negative reduces it).
    pub amount: String,
    pub payment_id: Option<i64>,
    pub recorded_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct InvoiceOut {
    pub id: i64,
    /// Absent on a draft.
    pub number: Option<String>,
    pub customer: String,
    pub customer_name: String,
    pub currency: String,
    pub issue_date: String,
    pub due_date: String,
    pub terms: String,
    pub description: String,
    pub lines: Vec<LineOut>,
    pub installments: Vec<InstallmentOut>,
    pub subtotal: String,
    pub tax: String,
    pub total: String,
    /// Open as of `as_of`.
    pub open: String,
    /// draft, open, partially_paid, partially_credited, paid, credited,
    /// written_off, void.
    pub status: String,
    pub days_past_due: i32,
    /// The ISO 11649 creditor reference a payment quotes (`RF…`, compact;
    /// printed in groups of four); absent on a draft.
    pub payment_reference: Option<String>,
    pub entries: Vec<InvoiceEntryOut>,
}

fn invoice_out(v: InvoiceView) -> InvoiceOut {
    let c = v.currency;
    InvoiceOut {
        id: v.id,
        number: v.number,
        customer: v.customer_ref,
        customer_name: v.customer_name,
        currency: c.code().to_string(),
        issue_date: v.issue_date.to_string(),
        due_date: v.due_date.to_string(),
        terms: v.terms.to_string(),
        description: v.description,
        lines: v
            .lines
            .iter()
            .map(|l| LineOut {
                description: l.description.clone(),
                quantity: format_quantity(l.quantity_e4),
                unit_price: l.unit_price.format(c),
                tax_rate: format_tax_rate(l.tax_rate_ppm),
                net: wire::amount(l.net_minor(), c),
                tax: wire::amount(l.tax_minor(), c),
            })
            .collect(),
        installments: v
            .schedule
            .iter()
            .map(|i| InstallmentOut {
                due_date: i.due_date.to_string(),
                amount: wire::amount(i.amount_minor, c),
            })
            .collect(),
        subtotal: wire::amount(v.totals.subtotal_minor, c),
        tax: wire::amount(v.totals.tax_minor, c),
        total: wire::amount(v.totals.total_minor, c),
        open: wire::amount(v.open_minor, c),
        status: v.status.as_str().to_string(),
        days_past_due: v.days_past_due,
        payment_reference: v.payment_reference,
        entries: v
            .entries
            .into_iter()
            .map(|e| InvoiceEntryOut {
                id: e.id,
                kind: e.entry.kind.as_str().to_string(),
                date: e.entry.effective_date.to_string(),
                amount: wire::amount(e.entry.ar_minor, c),
                payment_id: e.entry.payment_id,
                recorded_at: e.recorded_at,
            })
            .collect(),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AsOfQuery {
    /// Judge the status as of this date (default: today).
    pub as_of: Option<String>,
}

/// One invoice with its lines, schedule and ledger history.
#[utoipa::path(
    get,
    path = "/api/v1/invoices/{invoice}",
    tag = "invoices",
    params(("invoice" = String, Path, description = "The invoice's number, or its id (drafts)"), AsOfQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = InvoiceOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn get_invoice(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(invoice): ApiPath<String>,
    ApiQuery(query): ApiQuery<AsOfQuery>,
) -> Result<Json<InvoiceOut>, ApiError> {
    let as_of = wire::opt_date("as_of", query.as_of.as_deref())?;
    let view = state
        .as_caller_quick(caller, move |store, p| {
            let as_of = match as_of {
                Some(d) => d,
                None => wire::today_in(&p.org.timezone)?,
            };
            Ok(store.invoice(p.org_id, &invoice, as_of)?)
        })
        .await?;
    Ok(Json(invoice_out(view)))
}

/// What issuing, voiding, a credit note or a write-off posted.
#[derive(Serialize, ToSchema)]
pub struct PostedOut {
    pub invoice_id: i64,
    pub number: String,
    pub currency: String,
    /// The amount posted (the total, what was voided, credited or written off).
    pub amount: String,
    /// What is open on the invoice afterwards.
    pub open: String,
    /// The credit note's number, if one was made.
    pub document_number: Option<String>,
}

fn posted_out(p: Posted) -> PostedOut {
    PostedOut {
        invoice_id: p.invoice_id,
        number: p.number,
        currency: p.currency.code().to_string(),
        amount: wire::amount(p.amount_minor, p.currency),
        open: wire::amount(p.open_minor, p.currency),
        document_number: p.document_number,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueIn {
    /// Overrides a credit-policy refusal; logged with your name.
    pub override_reason: Option<String>,
}

/// Issues a draft: it takes the next number and is posted.
#[utoipa::path(
    post,
    path = "/api/v1/invoices/{invoice}/issue",
    tag = "invoices",
    request_body = IssueIn,
    params(
        ("invoice" = String, Path, description = "The draft's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = PostedOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn issue_invoice(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(invoice): ApiPath<String>,
    ApiJson(input): ApiJson<IssueIn>,
) -> Result<Json<PostedOut>, ApiError> {
    override_reason(input.override_reason.as_deref())?;
    let posted = state
        .as_caller(caller, Need::Write, move |store, p| {
            let author = p.author();
            let override_by = input
                .override_reason
                .as_deref()
                .map(|reason| IssueOverride {
                    reason,
                    author: &author,
                });
            Ok(store.issue_invoice(p.org_id, &invoice, override_by, key.as_deref())?)
        })
        .await?;
    Ok(Json(posted_out(posted)))
}

/// An invoice queued for e-mail.
#[derive(Serialize, ToSchema)]
pub struct InvoiceSentOut {
    /// The outbox message that carries it.
    pub message_id: i64,
    pub number: String,
    /// The customer's address it goes to.
    pub email: String,
}

/// E-mails an issued invoice to its customer: queued in the outbox, the
/// PDF and (when the organisation's details make one) the UBL e-invoice
/// attached; on the customer's timeline. Sending again queues it again.
#[utoipa::path(
    post,
    path = "/api/v1/invoices/{invoice}/send",
    tag = "invoices",
    params(
        ("invoice" = String, Path, description = "The invoice's number"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 202, body = InvoiceSentOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn send_invoice(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(invoice): ApiPath<String>,
) -> Result<(StatusCode, Json<InvoiceSentOut>), ApiError> {
    let sent = state
        .as_caller(caller, Need::Write, move |store, p| {
            let today = wire::today_in(&p.org.timezone)?;
            Ok(store.send_invoice(p.org_id, &invoice, today, key.as_deref())?)
        })
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(InvoiceSentOut {
            message_id: sent.message_id,
            number: sent.number,
            email: sent.email,
        }),
    ))
}

/// E-mails a credit note to its customer: queued in the outbox with its
/// PDF and, when the organisation's details make one, its UBL credit note;
/// on the customer's timeline.
#[utoipa::path(
    post,
    path = "/api/v1/credit-notes/{credit_note}/send",
    tag = "invoices",
    params(
        ("credit_note" = String, Path, description = "The credit note's number"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 202, body = InvoiceSentOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn send_credit_note(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(credit_note): ApiPath<String>,
) -> Result<(StatusCode, Json<InvoiceSentOut>), ApiError> {
    let sent = state
        .as_caller(caller, Need::Write, move |store, p| {
            let today = wire::today_in(&p.org.timezone)?;
            Ok(store.send_credit_note(p.org_id, &credit_note, today, key.as_deref())?)
        })
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(InvoiceSentOut {
            message_id: sent.message_id,
            number: sent.number,
            email: sent.email,
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidIn {
    /// Default: today.
    pub date: Option<String>,
    pub reason: Option<String>,
}

/// Voids an issued invoice that nothing has been applied to.
#[utoipa::path(
    post,
    path = "/api/v1/invoices/{invoice}/void",
    tag = "invoices",
    request_body = VoidIn,
    params(
        ("invoice" = String, Path, description = "The invoice's number"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = PostedOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn void_invoice(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(invoice): ApiPath<String>,
    ApiJson(input): ApiJson<VoidIn>,
) -> Result<Json<PostedOut>, ApiError> {
    let date = wire::opt_date("date", input.date.as_deref())?;
    let reason = input.reason.unwrap_or_default();
    check_reason(&reason)?;
    let posted = state
        .as_caller(caller, Need::Write, move |store, p| {
            let date = match date {
                Some(d) => d,
                None => wire::today_in(&p.org.timezone)?,
            };
            Ok(store.void_invoice(p.org_id, &invoice, date, &reason, key.as_deref())?)
        })
        .await?;
    Ok(Json(posted_out(posted)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReductionIn {
    /// In the invoice's currency; default: all that is open.
    pub amount: Option<String>,
    /// Default: today.
    pub date: Option<String>,
    /// Why, in a few words; kept with the entry.
    pub reason: String,
}

/// An amount given in the invoice's currency (none: the command's default),
/// more than zero.
fn positive_amount_in(
    store: &mut dun_store::Store,
    org_id: i64,
    invoice: &str,
    text: Option<&str>,
    date: dun_core::Date,
) -> Result<Option<i64>, ApiError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let currency = store.invoice(org_id, invoice, date)?.currency;
    let minor = wire::parse_amount("amount", text, currency)?;
    if minor <= 0 {
        return Err(ApiError::invalid(
            "amount",
            "amount: must be more than zero",
        ));
    }
    Ok(Some(minor))
}

async fn reduce(
    state: AppState,
    caller: Caller,
    key: IdempotencyKey,
    invoice: String,
    input: ReductionIn,
    kind: EntryKind,
) -> Result<(StatusCode, Json<PostedOut>), ApiError> {
    let date = wire::opt_date("date", input.date.as_deref())?;
    if input.reason.trim().is_empty() {
        return Err(ApiError::invalid(
            "reason",
            "reason: say why, in a few words; it is kept with the entry",
        ));
    }
    check_reason(&input.reason)?;
    let posted = state
        .as_caller(caller, Need::Write, move |store, p| {
            let date = match date {
                Some(d) => d,
                None => wire::today_in(&p.org.timezone)?,
            };
            let amount_minor =
                positive_amount_in(store, p.org_id, &invoice, input.amount.as_deref(), date)?;
            let reduction = Reduction {
                kind,
                amount_minor,
                date,
                reason: input.reason,
            };
            Ok(store.reduce_invoice(p.org_id, &invoice, &reduction, key.as_deref())?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(posted_out(posted))))
}

/// A credit note against an invoice.
#[utoipa::path(
    post,
    path = "/api/v1/invoices/{invoice}/credit-notes",
    tag = "invoices",
    request_body = ReductionIn,
    params(
        ("invoice" = String, Path, description = "The invoice's number"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = PostedOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn credit_note(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(invoice): ApiPath<String>,
    ApiJson(input): ApiJson<ReductionIn>,
) -> Result<(StatusCode, Json<PostedOut>), ApiError> {
    reduce(state, caller, key, invoice, input, EntryKind::CreditNote).await
}

/// Writes off what cannot be collected on an invoice.
#[utoipa::path(
    post,
    path = "/api/v1/invoices/{invoice}/write-offs",
    tag = "invoices",
    request_body = ReductionIn,
    params(
        ("invoice" = String, Path, description = "The invoice's number"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = PostedOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn write_off(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(invoice): ApiPath<String>,
    ApiJson(input): ApiJson<ReductionIn>,
) -> Result<(StatusCode, Json<PostedOut>), ApiError> {
    reduce(state, caller, key, invoice, input, EntryKind::WriteOff).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaiverIn {
    /// `fee`, `interest` or `compensation`.
    pub charge: String,
    /// In the invoice's currency; default: all of that charge on the invoice.
    pub amount: Option<String>,
    /// Default: today.
    pub date: Option<String>,
    /// Why, in a few words; on the customer's timeline.
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct WaivedOut {
    pub invoice: String,
    pub currency: String,
    /// `fee`, `interest` or `compensation`.
    pub charge: String,
    pub amount: String,
    /// What is open on the invoice after it.
    pub open: String,
}

/// Waives a late fee, interest or fixed compensation on an invoice: a
/// reversing entry with a reason (not a credit note), on the timeline;
/// what was paid beyond the new balance becomes the customer's credit.
#[utoipa::path(
    post,
    path = "/api/v1/invoices/{invoice}/waivers",
    tag = "invoices",
    request_body = WaiverIn,
    params(
        ("invoice" = String, Path, description = "The invoice's number"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = WaivedOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn waive_charge(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(invoice): ApiPath<String>,
    ApiJson(input): ApiJson<WaiverIn>,
) -> Result<(StatusCode, Json<WaivedOut>), ApiError> {
    let charge =
        dun_core::collections::charges::waivable_charge(&input.charge).ok_or_else(|| {
            ApiError::invalid(
                "charge",
                format!(
                    "charge: '{}' is not one; give {}",
                    input.charge,
                    dun_core::collections::charges::WAIVABLE_CHARGES
                ),
            )
        })?;
    let date = wire::opt_date("date", input.date.as_deref())?;
    check_reason(&input.reason)?;
    let waived = state
        .as_caller(caller, Need::Write, move |store, p| {
            let date = match date {
                Some(d) => d,
                None => wire::today_in(&p.org.timezone)?,
            };
            let amount_minor =
                positive_amount_in(store, p.org_id, &invoice, input.amount.as_deref(), date)?;
            let waiver = dun_store::waivers::Waiver {
                charge,
                amount_minor,
                date,
                reason: input.reason,
            };
            Ok(store.waive_charge(p.org_id, &invoice, &waiver, key.as_deref())?)
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(WaivedOut {
            invoice: waived.invoice,
            currency: waived.currency.code().to_string(),
            charge: waived.charge.as_str().to_string(),
            amount: wire::amount(waived.amount_minor, waived.currency),
            open: wire::amount(waived.open_minor, waived.currency),
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteOffReversalIn {
    /// Default: today.
    pub date: Option<String>,
    /// Why, in a few words; on the customer's timeline.
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct WriteOffReversedOut {
    pub invoice: String,
    pub currency: String,
    /// How many write-offs were reversed.
    pub write_offs: usize,
    /// What went back on the invoice.
    pub amount: String,
    /// What is open on the invoice after it.
    pub open: String,
}

/// Reverses the write-offs on an invoice (written off by mistake, or the
/// debt was recovered): the amount goes back on the invoice with a reason,
/// the write-off is kept, the invoice is open again.
#[utoipa::path(
    post,
    path = "/api/v1/invoices/{invoice}/write-off-reversals",
    tag = "invoices",
    request_body = WriteOffReversalIn,
    params(
        ("invoice" = String, Path, description = "The invoice's number"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = WriteOffReversedOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn reverse_write_off(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(invoice): ApiPath<String>,
    ApiJson(input): ApiJson<WriteOffReversalIn>,
) -> Result<(StatusCode, Json<WriteOffReversedOut>), ApiError> {
    let date = wire::opt_date("date", input.date.as_deref())?;
    check_reason(&input.reason)?;
    let reversed = state
        .as_caller(caller, Need::Write, move |store, p| {
            let date = match date {
                Some(d) => d,
                None => wire::today_in(&p.org.timezone)?,
            };
            Ok(store.reverse_write_off(p.org_id, &invoice, date, &input.reason, key.as_deref())?)
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(WriteOffReversedOut {
            invoice: reversed.invoice,
            currency: reversed.currency.code().to_string(),
            write_offs: reversed.write_offs,
            amount: wire::amount(reversed.amount_minor, reversed.currency),
            open: wire::amount(reversed.open_minor, reversed.currency),
        }),
    ))
}

/// One period of a month's statutory interest: nothing changed in it.
#[derive(Serialize, ToSchema)]
pub struct SheetPeriodOut {
    pub from: String,
    pub through: String,
    pub days: i32,
    pub principal: String,
    /// The reference rate, percent a year.
    pub reference: String,
    /// `ecb_mro`, `de_base` or `boe_base`.
    pub reference_series: String,
    /// The row of the rate table it was read from.
    pub reference_in_force_from: String,
    pub margin: String,
    pub rate: String,
    /// Before the month's one rounding, with two more places.
    pub interest: String,
}

#[derive(Serialize, ToSchema)]
pub struct SheetMonthOut {
    /// `YYYY-MM`.
    pub month: String,
    pub periods: Vec<SheetPeriodOut>,
    /// Rounded half-even once, as posted.
    pub amount: String,
}

/// An invoice's calculation sheet under the policy's late-payment law.
#[derive(Serialize, ToSchema)]
pub struct SheetOut {
    pub invoice: String,
    pub customer_reference: String,
    pub currency: String,
    /// The policy's preset, e.g. `de_bgb_288`.
    pub law: String,
    /// The day interest starts to run.
    pub starts: String,
    pub months: Vec<SheetMonthOut>,
    pub interest: String,
    /// Interest on the ledger for the invoice, net of reversals.
    pub posted_interest: String,
    pub matches_ledger: bool,
    /// Fixed compensation on the ledger.
    pub compensation: String,
}

/// The calculation sheet as PDF, for a debtor or a court: each month's
/// statutory interest with its periods, the fixed compensation and the
/// totals, and whether they match the ledger.
#[utoipa::path(
    get,
    path = "/api/v1/invoices/{invoice}/interest-sheet.pdf",
    tag = "invoices",
    params(("invoice" = String, Path, description = "The invoice's number"), AsOfQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, description = "The calculation sheet as PDF", content_type = "application/pdf"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The policy names no late-payment law", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn interest_sheet_pdf(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(invoice): ApiPath<String>,
    ApiQuery(query): ApiQuery<AsOfQuery>,
) -> Result<Response, ApiError> {
    let as_of = wire::opt_date("as_of", query.as_of.as_deref())?;
    let (name, pdf) = state
        .as_caller(caller, Need::Read, move |store, p| {
            let as_of = match as_of {
                Some(d) => d,
                None => wire::today_in(&p.org.timezone)?,
            };
            let found = store.calculation_sheet(p.org_id, &invoice, as_of)?;
            interest_sheet::interest_sheet_pdf(store, p.org_id, &found)
                .map_err(|e| documents::document_error("invoice", e))
        })
        .await?;
    Ok(documents::file(attachments::PDF, &name, pdf))
}

/// The calculation sheet of an invoice under the policy's late-payment
/// law: each month's statutory interest with its periods (days,
/// principal, reference rate, margin, rate), the fixed compensation, and
/// whether it matches the ledger.
#[utoipa::path(
    get,
    path = "/api/v1/invoices/{invoice}/interest-sheet",
    tag = "invoices",
    params(("invoice" = String, Path, description = "The invoice's number"), AsOfQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = SheetOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The policy names no late-payment law", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn interest_sheet(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(invoice): ApiPath<String>,
    ApiQuery(query): ApiQuery<AsOfQuery>,
) -> Result<Json<SheetOut>, ApiError> {
    // Months ended before `as_of` (default: today).
    let as_of = wire::opt_date("as_of", query.as_of.as_deref())?;
    let found = state
        .as_caller(caller, Need::Read, move |store, p| {
            let as_of = match as_of {
                Some(d) => d,
                None => wire::today_in(&p.org.timezone)?,
            };
            Ok(store.calculation_sheet(p.org_id, &invoice, as_of)?)
        })
        .await?;
    let c = found.currency;
    let s = &found.sheet;
    Ok(Json(SheetOut {
        invoice: found.invoice.clone(),
        customer_reference: found.customer_ref.clone(),
        currency: c.code().to_string(),
        law: s.law.as_str().to_string(),
        starts: s.starts.to_string(),
        months: s
            .months
            .iter()
            .map(|m| SheetMonthOut {
                month: m.from.to_string()[..7].to_string(),
                periods: m
                    .periods
                    .iter()
                    .map(|p| SheetPeriodOut {
                        from: p.from.to_string(),
                        through: p.through.to_string(),
                        days: p.days,
                        principal: wire::amount(p.principal_minor, c),
                        reference: p.reference.to_string(),
                        reference_series: p.reference_series.as_str().to_string(),
                        reference_in_force_from: p.reference_in_force_from.to_string(),
                        margin: p.margin.to_string(),
                        rate: p.rate.to_string(),
                        interest: p.exact_interest(c),
                    })
                    .collect(),
                amount: wire::amount(m.amount_minor, c),
            })
            .collect(),
        interest: wire::amount(s.interest_minor, c),
        posted_interest: wire::amount(s.posted_interest_minor, c),
        matches_ledger: s.matches_ledger(),
        compensation: wire::amount(s.compensation_minor, c),
    }))
}
