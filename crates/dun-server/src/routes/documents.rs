//! Documents and what they are made from: an invoice as PDF and as a UBL
//! e-invoice, a customer's statement of account (JSON and PDF), the
//! message templates, recurring invoices, the organisation's seller
//! profile (with how its documents look: paper, locale, logo) and a
//! customer's address.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use dun_core::document::{DocumentLocale, DocumentSettings, Logo, Paper};
use dun_core::invoice::{format_quantity, format_tax_rate};
use dun_core::party::{Party, PaymentInstructions};
use dun_core::schedule::Schedule;
use dun_core::statement::Statement;
use dun_core::terms::Terms;
use dun_core::Date;
use dun_mail::attachments::{self, DocumentError};
use dun_mail::template::{self, Template};
use dun_store::delivery::StoredTemplate;
use dun_store::document_settings::DocumentOptions;
use dun_store::recurring::{NewRecurring, Recurring, ScheduleStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{AppState, Caller, Need};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::problem::ApiError;
use crate::routes::invoices::{parse_lines, LineIn, LineOut};
use crate::wire;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(invoice_pdf))
        .routes(routes!(invoice_xml))
        .routes(routes!(customer_statement))
        .routes(routes!(customer_statement_pdf))
        .routes(routes!(list_templates))
        .routes(routes!(get_template, put_template, reset_template))
        .routes(routes!(list_recurring, create_recurring))
        .routes(routes!(pause_recurring))
        .routes(routes!(resume_recurring))
        .routes(routes!(end_recurring))
        .routes(routes!(get_profile, put_profile))
        .routes(routes!(get_logo, put_logo, delete_logo))
        .routes(routes!(put_customer_address))
}

const PDF: &str = attachments::PDF;
const XML: &str = attachments::XML;

/// A document's bytes with its media type, shown inline under `filename`.
pub(crate) fn file(content_type: &'static str, filename: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!("inline; filename=\"{}\"", attachments::file_stem(filename));
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// A document that could not be made: the store's own problem, a refusal
/// (a draft, a broken EN 16931 rule: 422), or a fault of the renderer.
pub(crate) fn document_error(field: &str, e: DocumentError) -> ApiError {
    match e {
        DocumentError::Store(e) => e.into(),
        DocumentError::Refused(message) if message.starts_with("no invoice or credit note") => {
            ApiError::not_found(message)
        }
        DocumentError::Refused(message) => ApiError::invalid(field, message),
        // What the book holds, not what was asked, stands in the way.
        DocumentError::NotConforming(message) => ApiError::conflict(message),
        draft @ DocumentError::Draft { .. } => ApiError::conflict(draft.to_string()),
        DocumentError::Render(e) => ApiError::internal(format!("rendering a PDF: {e}")),
    }
}

/// The invoice as PDF.
#[utoipa::path(
    get,
    path = "/api/v1/invoices/{invoice}/pdf",
    tag = "invoices",
    params(("invoice" = String, Path, description = "The invoice's number")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, description = "The invoice as PDF", content_type = "application/pdf"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A draft, which has no number yet", body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn invoice_pdf(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(invoice): ApiPath<String>,
) -> Result<Response, ApiError> {
    let (number, pdf) = state
        .as_caller(caller, Need::Read, move |store, p| {
            let today = wire::today_in(&p.org.timezone)?;
            attachments::invoice_pdf(store, p.org_id, &invoice, today, None)
                .map_err(|e| document_error("invoice", e))
        })
        .await?;
    Ok(file(PDF, &format!("{number}.pdf"), pdf))
}

/// The invoice (or credit note) as a UBL 2.1 e-invoice, checked against
/// EN 16931: a document that would break a rule is refused (409) with
/// every rule it breaks.
#[utoipa::path(
    get,
    path = "/api/v1/invoices/{invoice}/xml",
    tag = "invoices",
    params(("invoice" = String, Path, description = "The invoice's or credit note's number")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, description = "The UBL e-invoice", content_type = "application/xml"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A draft, or a document the book's details would make break EN 16931 rules (each listed)", body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn invoice_xml(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(invoice): ApiPath<String>,
) -> Result<Response, ApiError> {
    let (name, xml) = state
        .as_caller(caller, Need::Read, move |store, p| {
            let today = wire::today_in(&p.org.timezone)?;
            attachments::invoice_ubl(store, p.org_id, &invoice, today)
                .map_err(|e| document_error("invoice", e))
        })
        .await?;
    Ok(file(XML, &name, xml))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatementQuery {
    /// The period's first day (default: the first of `to`'s month).
    pub from: Option<String>,
    /// The period's last day (default: today).
    pub to: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatementPdfQuery {
    /// The period's first day (default: the first of `to`'s month).
    pub from: Option<String>,
    /// The period's last day (default: today).
    pub to: Option<String>,
    /// The statement in this currency (default: the first).
    pub currency: Option<String>,
}

/// One dated line of a statement.
#[derive(Serialize, ToSchema)]
pub struct StatementLineOut {
    pub date: String,
    /// The ledger entry's kind (invoice_issued, payment_received, …).
    pub kind: String,
    /// The line as a person reads it.
    pub description: String,
    pub invoice_number: Option<String>,
    pub document_number: Option<String>,
    pub payment_reference: Option<String>,
    /// What the line adds to the balance (negative: a credit).
    pub amount: String,
    /// The balance after the line.
    pub balance: String,
}

#[derive(Serialize, ToSchema)]
pub struct AgingBucketOut {
    /// current, 1-30, …
    pub bucket: String,
    pub open: String,
}

#[derive(Serialize, ToSchema)]
pub struct StatementInvoiceOut {
    pub number: String,
    pub issue_date: String,
    pub due_date: String,
    /// At the end of the period (zero or less: not yet due).
    pub days_past_due: i32,
    pub total: String,
    pub open: String,
}

/// A statement of account in one currency.
#[derive(Serialize, ToSchema)]
pub struct StatementOut {
    pub currency: String,
    pub from: String,
    pub to: String,
    /// The balance at the end of the day before `from`.
    pub opening: String,
    pub charges: String,
    pub credits: String,
    /// opening + charges − credits.
    pub closing: String,
    pub lines: Vec<StatementLineOut>,
    pub aging: Vec<AgingBucketOut>,
    /// Received by `to` and applied to no invoice.
    pub unapplied_credit: String,
    pub open_invoices: Vec<StatementInvoiceOut>,
}

/// A customer's statements, one per currency with something to state.
#[derive(Serialize, ToSchema)]
pub struct StatementsOut {
    /// The customer's reference.
    pub customer: String,
    pub from: String,
    pub to: String,
    /// Empty when there is no balance, no movement and nothing open.
    pub statements: Vec<StatementOut>,
}

fn statement_out(s: Statement) -> StatementOut {
    let c = s.currency;
    StatementOut {
        currency: c.code().to_string(),
        from: s.from.to_string(),
        to: s.to.to_string(),
        opening: wire::amount(s.opening_minor, c),
        charges: wire::amount(s.charges_minor, c),
        credits: wire::amount(s.credits_minor, c),
        closing: wire::amount(s.closing_minor, c),
        lines: s
            .lines
            .iter()
            .map(|l| StatementLineOut {
                date: l.date.to_string(),
                kind: l.kind.as_str().to_string(),
                description: l.description(),
                invoice_number: l.invoice_number.clone(),
                document_number: l.document_number.clone(),
                payment_reference: l.payment_reference.clone(),
                amount: wire::amount(l.amount_minor, c),
                balance: wire::amount(l.balance_minor, c),
            })
            .collect(),
        aging: s
            .aging_labels
            .iter()
            .zip(&s.aging_minor)
            .map(|(label, minor)| AgingBucketOut {
                bucket: label.clone(),
                open: wire::amount(*minor, c),
            })
            .collect(),
        unapplied_credit: wire::amount(s.unapplied_credit_minor, c),
        open_invoices: s
            .open_invoices
            .iter()
            .map(|i| StatementInvoiceOut {
                number: i.number.clone(),
                issue_date: i.issue_date.to_string(),
                due_date: i.due_date.to_string(),
                days_past_due: i.days_past_due,
                total: wire::amount(i.total_minor, c),
                open: wire::amount(i.open_minor, c),
            })
            .collect(),
    }
}

/// The period asked for: `to` defaults to today, `from` to the first of
/// `to`'s month.
fn period(from: Option<Date>, to: Option<Date>, timezone: &str) -> Result<(Date, Date), ApiError> {
    let to = match to {
        Some(d) => d,
        None => wire::today_in(timezone)?,
    };
    let from = match from {
        Some(d) => d,
        None => {
            let (y, m, _) = to.ymd();
            Date::from_ymd(y, m, 1).ok_or_else(|| {
                ApiError::invalid("to", format!("to: {to} has no first of the month"))
            })?
        }
    };
    if from > to {
        return Err(ApiError::invalid(
            "from",
            format!("from: {from} is after to ({to})"),
        ));
    }
    Ok((from, to))
}

/// The customer's statement of account for a period, per currency.
#[utoipa::path(
    get,
    path = "/api/v1/customers/{reference}/statement",
    tag = "customers",
    params(("reference" = String, Path, description = "The customer's reference"), StatementQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = StatementsOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn customer_statement(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(reference): ApiPath<String>,
    ApiQuery(query): ApiQuery<StatementQuery>,
) -> Result<Json<StatementsOut>, ApiError> {
    let from = wire::opt_date("from", query.from.as_deref())?;
    let to = wire::opt_date("to", query.to.as_deref())?;
    let out = state
        .as_caller(caller, Need::Read, move |store, p| {
            let (from, to) = period(from, to, &p.org.timezone)?;
            let found = store.customer_statements(p.org_id, &reference, from, to)?;
            Ok(StatementsOut {
                customer: found.customer.reference,
                from: from.to_string(),
                to: to.to_string(),
                statements: found.statements.into_iter().map(statement_out).collect(),
            })
        })
        .await?;
    Ok(Json(out))
}

/// The customer's statement of account as PDF: the first currency's, or
/// the one `currency` names.
#[utoipa::path(
    get,
    path = "/api/v1/customers/{reference}/statement.pdf",
    tag = "customers",
    params(("reference" = String, Path, description = "The customer's reference"), StatementPdfQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, description = "The statement as PDF", content_type = "application/pdf"),
        (status = 404, description = "No such customer, or nothing to state (in that currency) for the period", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn customer_statement_pdf(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(reference): ApiPath<String>,
    ApiQuery(query): ApiQuery<StatementPdfQuery>,
) -> Result<Response, ApiError> {
    let from = wire::opt_date("from", query.from.as_deref())?;
    let to = wire::opt_date("to", query.to.as_deref())?;
    let currency = query
        .currency
        .as_deref()
        .map(|c| wire::parse_currency("currency", c))
        .transpose()?;
    let (name, pdf) = state
        .as_caller(caller, Need::Read, move |store, p| {
            let (from, to) = period(from, to, &p.org.timezone)?;
            let all = attachments::statement_pdfs(store, p.org_id, &reference, from, to, None)
                .map_err(|e| document_error("reference", e))?;
            let several = all.len() > 1;
            let found = match currency {
                Some(c) => all.into_iter().find(|(s, _)| s.currency == c),
                None => all.into_iter().next(),
            };
            let (s, pdf) = found.ok_or_else(|| {
                ApiError::not_found(format!(
                    "customer '{reference}' has nothing to state{} from {from} to {to}: no balance, no movement, nothing open",
                    currency.map_or_else(String::new, |c| format!(" in {}", c.code()))
                ))
            })?;
            let name = if several || currency.is_some() {
                format!("statement-{reference}-{to}-{}.pdf", s.currency.code())
            } else {
                format!("statement-{reference}-{to}.pdf")
            };
            Ok((name, pdf))
        })
        .await?;
    Ok(file(PDF, &name, pdf))
}

// ---- Message templates ----

/// Longest template name, in bytes.
pub(crate) const TEMPLATE_NAME_BYTES_MAX: usize = 64;

/// A message template: the wording of one kind of e-mail.
#[derive(Serialize, ToSchema)]
pub struct TemplateOut {
    /// The name the policy's ladder steps and the documents use.
    pub name: String,
    /// One line; may use `{{placeholders}}`.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
    /// Whether Dun has its own wording for this name.
    pub built_in: bool,
    /// Whether the organisation has changed the wording (else it is Dun's).
    pub edited: bool,
    /// The organisation's version, from 1; absent when not edited.
    pub version: Option<i64>,
    pub updated_by: Option<String>,
    pub updated_at: Option<String>,
}

fn is_built_in(name: &str) -> bool {
    template::BUILT_IN_NAMES.contains(&name)
}

fn stored_out(t: StoredTemplate) -> TemplateOut {
    TemplateOut {
        built_in: is_built_in(&t.name),
        name: t.name,
        subject: t.subject,
        text: t.text_body,
        html: t.html_body,
        edited: true,
        version: Some(t.version),
        updated_by: Some(t.updated_by),
        updated_at: Some(t.updated_at),
    }
}

fn built_in_out(name: &str) -> TemplateOut {
    let t = template::default_template(name);
    TemplateOut {
        name: name.to_string(),
        subject: t.subject,
        text: t.text,
        html: t.html,
        built_in: true,
        edited: false,
        version: None,
        updated_by: None,
        updated_at: None,
    }
}

/// Every template: Dun's built-in wording, or the organisation's where it
/// has changed it, and any other template the organisation has written.
pub fn all_templates(stored: Vec<StoredTemplate>) -> Vec<TemplateOut> {
    let mut out: Vec<TemplateOut> = template::BUILT_IN_NAMES
        .iter()
        .filter(|n| !stored.iter().any(|t| t.name == **n))
        .map(|n| built_in_out(n))
        .collect();
    out.extend(stored.into_iter().map(stored_out));
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn check_template_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= TEMPLATE_NAME_BYTES_MAX
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "name",
            format!("name: '{name}' must be 1 to {TEMPLATE_NAME_BYTES_MAX} lower-case letters, digits or underscores (e.g. first_notice)"),
        ))
    }
}

/// The wording of template `name` as an organisation would save it, checked
/// as every shell checks it: the name's form, then each part (sizes, a
/// one-line subject, only known placeholders). No HTML body: the text's
/// paragraphs as HTML. A refusal names its field (`name`, `subject`,
/// `text` or `html`) and where in it.
pub fn checked_template(
    name: &str,
    subject: String,
    text: String,
    html: Option<String>,
) -> Result<Template, ApiError> {
    check_template_name(name)?;
    let html = html.unwrap_or_else(|| template::html_from_text(&text));
    let wording = Template {
        subject,
        text,
        html,
    };
    wording.check(name).map_err(|e| {
        let field = match e.part {
            "subject" => "subject",
            "html body" => "html",
            _ => "text",
        };
        ApiError::invalid(field, e.to_string())
    })?;
    Ok(wording)
}

/// The message templates, built-in and edited, by name.
#[utoipa::path(
    get,
    path = "/api/v1/templates",
    tag = "collections",
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = Vec<TemplateOut>))
)]
async fn list_templates(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<TemplateOut>>, ApiError> {
    let stored = state
        .as_caller(caller, Need::Read, move |store, p| {
            Ok(store.message_templates(p.org_id)?)
        })
        .await?;
    Ok(Json(all_templates(stored)))
}

/// One message template: the organisation's wording, or Dun's.
#[utoipa::path(
    get,
    path = "/api/v1/templates/{name}",
    tag = "collections",
    params(("name" = String, Path, description = "The template's name, e.g. first_notice")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = TemplateOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn get_template(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<TemplateOut>, ApiError> {
    let stored = state
        .as_caller(caller, Need::Read, move |store, p| {
            Ok(store.message_templates(p.org_id)?)
        })
        .await?;
    all_templates(stored)
        .into_iter()
        .find(|t| t.name == name)
        .map(Json)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "template '{name}' is neither built in nor written by your organisation; see GET /api/v1/templates"
            ))
        })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateIn {
    /// One line, at most 300 characters; may use placeholders.
    pub subject: String,
    /// The plain-text body; `{{placeholders}}` from the documented list only.
    pub text: String,
    /// The HTML body (default: the text's paragraphs as HTML).
    pub html: Option<String>,
}

/// Saves the organisation's wording of a template (a new version). A
/// placeholder Dun does not know is refused (422) with where it is.
#[utoipa::path(
    put,
    path = "/api/v1/templates/{name}",
    tag = "collections",
    request_body = TemplateIn,
    params(("name" = String, Path, description = "The template's name, e.g. first_notice")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = TemplateOut),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn put_template(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
    ApiJson(input): ApiJson<TemplateIn>,
) -> Result<Json<TemplateOut>, ApiError> {
    let wording = checked_template(&name, input.subject, input.text, input.html)?;
    let saved = state
        .as_caller(caller, Need::Own, move |store, p| {
            Ok(store.set_message_template(
                p.org_id,
                &name,
                &wording.subject,
                &wording.text,
                &wording.html,
                &p.author(),
                &store.now_utc(),
            )?)
        })
        .await?;
    Ok(Json(stored_out(saved)))
}

/// Drops the organisation's wording of a template: the next messages use
/// Dun's built-in wording again (a later edit starts again at version 1).
/// A built-in template the organisation never changed is already so (204
/// all the same); a name neither built in nor the organisation's is 404.
/// Owner only.
#[utoipa::path(
    delete,
    path = "/api/v1/templates/{name}",
    tag = "collections",
    params(("name" = String, Path, description = "The template's name, e.g. first_notice")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 204, description = "Dun's wording is used again"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn reset_template(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    check_template_name(&name)?;
    state
        .as_caller(caller, Need::Own, move |store, p| {
            let dropped = store.reset_message_template(p.org_id, &name)?;
            if !dropped && !template::BUILT_IN_NAMES.contains(&name.as_str()) {
                return Err(ApiError::not_found(format!(
                    "template '{name}' is neither built in nor written by your organisation; see GET /api/v1/templates"
                )));
            }
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- Recurring invoices ----

/// A recurring invoice: a template billed on a schedule.
#[derive(Serialize, ToSchema)]
pub struct RecurringOut {
    pub id: i64,
    /// The customer's reference.
    pub customer: String,
    pub customer_name: String,
    pub currency: String,
    pub lines: Vec<LineOut>,
    pub terms: String,
    pub description: String,
    /// Canonical form, e.g. `monthly:1`.
    pub schedule: String,
    /// The schedule in words.
    pub schedule_description: String,
    pub starts: String,
    pub ends: Option<String>,
    /// The next occurrence; absent once it has ended.
    pub next_date: Option<String>,
    pub last_issued_date: Option<String>,
    /// active, paused or ended.
    pub status: String,
    /// Whether each invoice is e-mailed when issued.
    pub send_email: bool,
    /// Each invoice's total.
    pub total: String,
    pub created_by: String,
    pub created_at: String,
}

fn recurring_out(r: Recurring) -> RecurringOut {
    let c = r.currency;
    RecurringOut {
        id: r.id,
        customer: r.customer_ref,
        customer_name: r.customer_name,
        currency: c.code().to_string(),
        lines: r
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
        terms: r.terms.to_string(),
        description: r.description,
        schedule_description: r.schedule.describe(),
        schedule: r.schedule.to_string(),
        starts: r.starts_on.to_string(),
        ends: r.ends_on.map(|d| d.to_string()),
        next_date: r.next_date.map(|d| d.to_string()),
        last_issued_date: r.last_issued_date.map(|d| d.to_string()),
        status: r.status.as_str().to_string(),
        send_email: r.send_email,
        total: wire::amount(r.total_minor, c),
        created_by: r.created_by,
        created_at: r.created_at,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecurringQuery {
    /// Only templates with this status: active, paused or ended.
    pub status: Option<String>,
}

/// Recurring invoices, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/recurring",
    tag = "invoices",
    params(RecurringQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = Vec<RecurringOut>),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn list_recurring(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<RecurringQuery>,
) -> Result<Json<Vec<RecurringOut>>, ApiError> {
    let status = query
        .status
        .as_deref()
        .map(|s| {
            ScheduleStatus::parse(s).map_err(|_| {
                ApiError::invalid(
                    "status",
                    format!("status: '{s}' is not one of active, paused, ended"),
                )
            })
        })
        .transpose()?;
    let rows = state
        .as_caller(caller, Need::Read, move |store, p| {
            Ok(store.recurring_invoices(p.org_id, status)?)
        })
        .await?;
    Ok(Json(rows.into_iter().map(recurring_out).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRecurringIn {
    /// The customer's reference.
    pub customer: String,
    /// `monthly:1` (day of month, or `last`), `weekly:2` (every 2 weeks from
    /// `starts`), `quarterly:1`, `yearly:1`, …
    pub schedule: String,
    pub lines: Vec<LineIn>,
    /// ISO 4217 code (default: the organisation's home currency).
    pub currency: Option<String>,
    /// Payment terms (default: the customer's).
    pub terms: Option<String>,
    pub description: Option<String>,
    /// The first invoice is the schedule's first date on or after this
    /// (default: today).
    pub starts: Option<String>,
    /// No invoice after this date (default: none).
    pub ends: Option<String>,
    /// E-mail each invoice when it is issued (default true).
    pub send_email: Option<bool>,
}

/// Sets up a recurring invoice; the daily run issues each occurrence.
#[utoipa::path(
    post,
    path = "/api/v1/recurring",
    tag = "invoices",
    request_body = NewRecurringIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = RecurringOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn create_recurring(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<NewRecurringIn>,
) -> Result<(StatusCode, Json<RecurringOut>), ApiError> {
    let starts = wire::opt_date("starts", input.starts.as_deref())?;
    let ends = wire::opt_date("ends", input.ends.as_deref())?;
    let terms = input
        .terms
        .as_deref()
        .map(|t| Terms::parse(t).map_err(|e| ApiError::invalid("terms", format!("terms: {e}"))))
        .transpose()?;
    let currency = input
        .currency
        .as_deref()
        .map(|c| wire::parse_currency("currency", c))
        .transpose()?;
    let description = input.description.unwrap_or_default();
    let r = state
        .as_caller(caller, Need::Write, move |store, p| {
            let org = p.org.clone();
            let starts = match starts {
                Some(d) => d,
                None => wire::today_in(&org.timezone)?,
            };
            let schedule = Schedule::parse_with_anchor(&input.schedule, starts)
                .map_err(|e| ApiError::invalid("schedule", format!("schedule: {e}")))?;
            let currency = currency.unwrap_or(org.currency);
            let lines = parse_lines(&input.lines, currency)?;
            Ok(store.create_recurring(
                p.org_id,
                &NewRecurring {
                    customer_ref: input.customer,
                    currency,
                    lines,
                    terms,
                    description,
                    schedule,
                    starts_on: starts,
                    ends_on: ends,
                    send_email: input.send_email.unwrap_or(true),
                    created_by: p.author(),
                },
            )?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(recurring_out(r))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecurringStepIn {
    /// From this date (default: today). Resuming bills again from the
    /// schedule's first date on or after it.
    pub on: Option<String>,
}

#[derive(Clone, Copy)]
enum Step {
    Pause,
    Resume,
    End,
}

async fn step(
    state: AppState,
    caller: Caller,
    id: i64,
    input: RecurringStepIn,
    step: Step,
) -> Result<Json<RecurringOut>, ApiError> {
    let on = wire::opt_date("on", input.on.as_deref())?;
    let r = state
        .as_caller(caller, Need::Write, move |store, p| {
            let on = match on {
                Some(d) => d,
                None => wire::today_in(&p.org.timezone)?,
            };
            let author = p.author();
            Ok(match step {
                Step::Pause => store.pause_recurring(p.org_id, id, on, &author)?,
                Step::Resume => store.resume_recurring(p.org_id, id, on, &author)?,
                Step::End => store.end_recurring(p.org_id, id, on, &author)?,
            })
        })
        .await?;
    Ok(Json(recurring_out(r)))
}

/// Pauses a recurring invoice: nothing is billed until it is resumed.
#[utoipa::path(
    post,
    path = "/api/v1/recurring/{recurring_id}/pause",
    tag = "invoices",
    request_body = RecurringStepIn,
    params(
        ("recurring_id" = i64, Path, description = "The recurring invoice's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = RecurringOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn pause_recurring(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<RecurringStepIn>,
) -> Result<Json<RecurringOut>, ApiError> {
    step(state, caller, id, input, Step::Pause).await
}

/// Resumes a paused recurring invoice.
#[utoipa::path(
    post,
    path = "/api/v1/recurring/{recurring_id}/resume",
    tag = "invoices",
    request_body = RecurringStepIn,
    params(
        ("recurring_id" = i64, Path, description = "The recurring invoice's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = RecurringOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn resume_recurring(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<RecurringStepIn>,
) -> Result<Json<RecurringOut>, ApiError> {
    step(state, caller, id, input, Step::Resume).await
}

/// Ends a recurring invoice for good.
#[utoipa::path(
    post,
    path = "/api/v1/recurring/{recurring_id}/end",
    tag = "invoices",
    request_body = RecurringStepIn,
    params(
        ("recurring_id" = i64, Path, description = "The recurring invoice's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = RecurringOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn end_recurring(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<RecurringStepIn>,
) -> Result<Json<RecurringOut>, ApiError> {
    step(state, caller, id, input, Step::End).await
}

// ---- The seller profile and customers' addresses ----

/// A party as documents name it (seller or buyer).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyIo {
    pub name: String,
    /// Street address, one entry per line, at most 3.
    #[serde(default)]
    pub address_lines: Vec<String>,
    pub city: Option<String>,
    pub postcode: Option<String>,
    /// State, county or province.
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2, e.g. GB, DE, US.
    pub country_code: Option<String>,
    /// With its country prefix, e.g. GB123456789.
    pub vat_id: Option<String>,
    /// Legal registration number.
    pub company_id: Option<String>,
    /// A seller's tax registration other than VAT (EN 16931 BT-32), e.g.
    /// a US sales-tax permit; ignored for a buyer.
    #[serde(default)]
    pub tax_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The electronic address e-invoices go to (Peppol), as SCHEME:ID, e.g.
    /// `0088:5790000435975` (a GLN) or `9930:DE123456789`.
    #[serde(default)]
    pub endpoint: Option<String>,
}

impl From<Party> for PartyIo {
    fn from(p: Party) -> PartyIo {
        PartyIo {
            name: p.name,
            address_lines: p.address_lines,
            city: p.city,
            postcode: p.postcode,
            region: p.region,
            country_code: p.country_code,
            vat_id: p.vat_id,
            company_id: p.company_id,
            tax_id: p.tax_id,
            email: p.email,
            phone: p.phone,
            endpoint: p.endpoint,
        }
    }
}

impl From<PartyIo> for Party {
    fn from(p: PartyIo) -> Party {
        Party {
            name: p.name,
            address_lines: p.address_lines,
            city: p.city,
            postcode: p.postcode,
            region: p.region,
            country_code: p.country_code,
            vat_id: p.vat_id,
            company_id: p.company_id,
            tax_id: p.tax_id,
            email: p.email,
            phone: p.phone,
            endpoint: p.endpoint,
        }
    }
}

/// How the seller wants to be paid.
#[derive(Serialize, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentIo {
    /// Checked (checksum); stored upper case without spaces.
    pub iban: Option<String>,
    pub bic: Option<String>,
    pub account_name: Option<String>,
    /// Printed with the instructions ("Quote the invoice number").
    pub note: Option<String>,
}

/// The organisation as seller on its documents, and how it is paid.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileIo {
    #[serde(deserialize_with = "crate::wire::object")]
    pub seller: PartyIo,
    /// Absent: no payment instructions.
    #[serde(default, deserialize_with = "crate::wire::object")]
    pub payment: PaymentIo,
    /// How its documents look. Absent on a PUT: kept as they are.
    #[serde(default, deserialize_with = "crate::wire::opt_object")]
    pub documents: Option<DocumentsIo>,
}

/// The paper and language of the organisation's documents, and its logo
/// (set with `PUT /api/v1/organisation/logo`).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentsIo {
    /// `a4` or `us_letter`; null: never chosen, so US Letter when the
    /// organisation's country is US or CA and A4 otherwise.
    #[schema(example = "us_letter")]
    pub paper_size: Option<String>,
    /// The paper documents are laid out on now (the chosen one, or the
    /// country's). Ignored on a PUT.
    #[serde(default)]
    #[schema(read_only, example = "us_letter")]
    pub paper_size_in_use: Option<String>,
    /// The language of the documents' fixed words, dates and amounts:
    /// `en`, `de` or `fr`. Absent on a PUT: `en`.
    #[serde(default)]
    #[schema(example = "de")]
    pub document_locale: Option<String>,
    /// The logo drawn at the top of documents, if any. Ignored on a PUT.
    #[serde(default)]
    #[schema(read_only)]
    pub logo: Option<LogoOut>,
}

/// A stored logo, described (`GET /api/v1/organisation/logo` gives the bytes).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct LogoOut {
    /// `image/png` or `image/jpeg`.
    pub media_type: String,
    pub width_px: u32,
    pub height_px: u32,
    pub bytes: usize,
}

fn logo_out(logo: &Logo) -> LogoOut {
    LogoOut {
        media_type: logo.media_type().to_string(),
        width_px: logo.width_px,
        height_px: logo.height_px,
        bytes: logo.bytes.len(),
    }
}

fn documents_out(d: &DocumentSettings) -> DocumentsIo {
    DocumentsIo {
        paper_size: d.paper_chosen.map(|p| p.as_str().to_string()),
        paper_size_in_use: Some(d.paper.as_str().to_string()),
        document_locale: Some(d.locale.as_str().to_string()),
        logo: d.logo.as_ref().map(logo_out),
    }
}

/// The options a PUT sets, checked before anything is written.
fn documents_in(d: &DocumentsIo) -> Result<DocumentOptions, ApiError> {
    let paper = d
        .paper_size
        .as_deref()
        .map(Paper::parse)
        .transpose()
        .map_err(|e| ApiError::invalid("documents.paper_size", e.to_string()))?;
    let locale = d
        .document_locale
        .as_deref()
        .map(DocumentLocale::parse)
        .transpose()
        .map_err(|e| ApiError::invalid("documents.document_locale", e.to_string()))?
        .unwrap_or_default();
    Ok(DocumentOptions { paper, locale })
}

fn profile_out(
    (seller, payment): (Party, PaymentInstructions),
    documents: &DocumentSettings,
) -> ProfileIo {
    ProfileIo {
        seller: seller.into(),
        payment: PaymentIo {
            iban: payment.iban,
            bic: payment.bic,
            account_name: payment.account_name,
            note: payment.note,
        },
        documents: Some(documents_out(documents)),
    }
}

/// The organisation's seller profile: address, identifiers, payment
/// instructions, as printed on invoices and statements.
#[utoipa::path(
    get,
    path = "/api/v1/organisation/profile",
    tag = "accounts",
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = ProfileIo))
)]
async fn get_profile(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ProfileIo>, ApiError> {
    let profile = state
        .as_caller(caller, Need::Read, move |store, p| {
            Ok((store.seller(p.org_id)?, store.document_settings(p.org_id)?))
        })
        .await?;
    Ok(Json(profile_out(profile.0, &profile.1)))
}

/// Replaces the seller profile (fields left out are cleared) and, when
/// `documents` is given, the paper size and document locale. Every
/// malformed value is refused at once (422) and nothing is written.
#[utoipa::path(
    put,
    path = "/api/v1/organisation/profile",
    tag = "accounts",
    request_body = ProfileIo,
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = ProfileIo),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn put_profile(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<ProfileIo>,
) -> Result<Json<ProfileIo>, ApiError> {
    let party: Party = input.seller.into();
    let payment = PaymentInstructions {
        iban: input.payment.iban,
        bic: input.payment.bic,
        account_name: input.payment.account_name,
        note: input.payment.note,
    };
    let options = input.documents.as_ref().map(documents_in).transpose()?;
    let profile = state
        .as_caller(caller, Need::Own, move |store, p| {
            // The seller is checked whole first; the options are already.
            let seller = store.set_seller(p.org_id, &party, &payment)?;
            let documents = match options {
                Some(options) => store.set_document_options(p.org_id, &options)?,
                None => store.document_settings(p.org_id)?,
            };
            Ok((seller, documents))
        })
        .await?;
    Ok(Json(profile_out(profile.0, &profile.1)))
}

/// The organisation's logo as its image bytes (404 when it has none).
#[utoipa::path(
    get,
    path = "/api/v1/organisation/logo",
    tag = "accounts",
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, description = "The logo", content_type = "image/png"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn get_logo(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let logo = state
        .as_caller(caller, Need::Read, move |store, p| {
            Ok(store.document_settings(p.org_id)?.logo)
        })
        .await?
        .ok_or_else(|| ApiError::not_found("the organisation has no logo"))?;
    Ok((
        [(header::CONTENT_TYPE, logo.media_type().to_string())],
        logo.bytes,
    )
        .into_response())
}

/// Sets the logo drawn at the top of invoices, credit notes, statements
/// and letters: the body is the PNG or JPEG file itself (at most
/// 512 KiB). Anything else is refused (422) and nothing is written.
#[utoipa::path(
    put,
    path = "/api/v1/organisation/logo",
    tag = "accounts",
    request_body(content = Vec<u8>, content_type = "image/png", description = "The PNG or JPEG image"),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = LogoOut),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn put_logo(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<LogoOut>, ApiError> {
    // Checked before the write is queued; the store checks it again.
    let bytes = body.to_vec();
    Logo::parse(bytes.clone()).map_err(|e| ApiError::invalid("body", e.to_string()))?;
    let logo = state
        .as_caller(caller, Need::Own, move |store, p| {
            Ok(store.set_logo(p.org_id, bytes)?)
        })
        .await?;
    Ok(Json(logo_out(&logo)))
}

/// Removes the logo; documents are drawn without one (204, also when
/// there was none).
#[utoipa::path(
    delete,
    path = "/api/v1/organisation/logo",
    tag = "accounts",
    security(("token" = []), ("session" = [])),
    responses((status = 204, description = "No logo now"))
)]
async fn delete_logo(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<StatusCode, ApiError> {
    state
        .as_caller(caller, Need::Own, move |store, p| {
            Ok(store.remove_logo(p.org_id)?)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A customer's postal address and identifiers.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressIn {
    /// Street address, one entry per line, at most 3.
    #[serde(default)]
    pub address_lines: Vec<String>,
    pub city: Option<String>,
    pub postcode: Option<String>,
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2, e.g. GB, DE, US.
    pub country_code: Option<String>,
    pub vat_id: Option<String>,
    pub company_id: Option<String>,
    /// The electronic address e-invoices go to (Peppol), as SCHEME:ID.
    #[serde(default)]
    pub endpoint: Option<String>,
}

/// Replaces a customer's address and identifiers (fields left out are
/// cleared; the name, e-mail and phone stay). Answers the customer as
/// buyer.
#[utoipa::path(
    put,
    path = "/api/v1/customers/{reference}/address",
    tag = "customers",
    request_body = AddressIn,
    params(("reference" = String, Path, description = "The customer's reference")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = PartyIo),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn put_customer_address(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(reference): ApiPath<String>,
    ApiJson(input): ApiJson<AddressIn>,
) -> Result<Json<PartyIo>, ApiError> {
    let buyer = state
        .as_caller(caller, Need::Write, move |store, p| {
            let current = store.buyer_by_ref(p.org_id, &reference)?;
            let party = Party {
                address_lines: input.address_lines,
                city: input.city,
                postcode: input.postcode,
                region: input.region,
                country_code: input.country_code,
                vat_id: input.vat_id,
                company_id: input.company_id,
                endpoint: input.endpoint,
                ..current
            };
            Ok(store.set_buyer(p.org_id, &reference, &party)?)
        })
        .await?;
    Ok(Json(buyer.into()))
}
