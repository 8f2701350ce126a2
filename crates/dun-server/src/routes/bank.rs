//! Bank statements and the reconciliation queue: what `dun bank` does.
//! A statement file is the request's body as the bank wrote it (camt XML
//! or a CSV export, any encoding the parser reads).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use dun_store::bank::BankImportSummary;
use dun_store::bank_queue::{BankCursor, BankFilter, BankTransaction, Confirm};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{AppState, Caller, Need};
use crate::extract::{
    decode_id_cursor, encode_cursor, page_limit, ApiJson, ApiPath, ApiQuery, Page,
};
use crate::problem::ApiError;
use crate::wire;

/// Most invoices one confirmation names.
const CONFIRM_INVOICES_MAX: usize = 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_statement))
        .routes(routes!(list_lines))
        .routes(routes!(get_line))
        .routes(routes!(confirm_line))
        .routes(routes!(dismiss_line))
        .routes(routes!(undo_line))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// The file's name, kept with the statement.
    #[param(max_length = 255)]
    pub file_name: Option<String>,
    /// A CSV export's layout: `dun`, `de-bank`, `deutsche-bank` or
    /// `paypal` (default: found from the header row). Ignored for camt XML
    /// and ZIP archives.
    pub preset: Option<String>,
    /// A CSV mapping, the TOML text itself (URL-encoded, at most 16 KiB):
    /// which column holds the date, the amount, the currency… for an
    /// export no preset reads (README, "Bank statements"). Wins over
    /// `preset`. A mapping that cannot be read is refused naming its line
    /// and key.
    pub mapping: Option<String>,
    /// Import even when opening + lines ≠ closing balance.
    pub accept_unbalanced: Option<bool>,
}

/// What an import did.
#[derive(Serialize, ToSchema)]
pub struct BankImportOut {
    pub statements: usize,
    pub lines_read: usize,
    /// Lines not imported before.
    pub lines_new: usize,
    /// Credits posted as payments by a rule.
    pub matched: usize,
    /// Credits waiting for a person, with candidates.
    pub suggested: usize,
    /// Credits waiting for a person, without a candidate.
    pub unmatched: usize,
    /// Returns that reversed an earlier match.
    pub returned: usize,
    /// Other money out.
    pub debits: usize,
    pub payment_ids: Vec<i64>,
}

fn import_out(s: BankImportSummary) -> BankImportOut {
    BankImportOut {
        statements: s.statements,
        lines_read: s.lines_read,
        lines_new: s.lines_new,
        matched: s.matched,
        suggested: s.suggested,
        unmatched: s.unmatched,
        returned: s.returned,
        debits: s.debits,
        payment_ids: s.payment_ids,
    }
}

/// Imports a bank statement: camt.052/053/054 (.001.02 to .001.08), a ZIP
/// archive of camt files (each entry a statement; found by its first
/// bytes), or a CSV export, as the bank wrote it. New credits that name an invoice, or
/// come from a known payer with a telling amount, are posted; the rest
/// wait in the queue. Lines imported before are skipped. Refused whole
/// (nothing written) when the file cannot be read or its balances do not
/// add up.
#[utoipa::path(
    post,
    path = "/api/v1/bank/statements",
    tag = "payments",
    params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The statement file"),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = BankImportOut),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn import_statement(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<BankImportOut>), ApiError> {
    let mapping = query
        .mapping
        .as_deref()
        .map(dun_bank::CsvMapping::from_toml)
        .transpose()
        .map_err(|e| ApiError::invalid("mapping", format!("{e}; nothing was imported")))?;
    let options = dun_bank::ParseOptions {
        preset: query.preset,
        mapping,
    };
    let statements = dun_bank::parse_statements(&body, &options).map_err(|e| {
        ApiError::invalid(
            "body",
            format!("the statement file: {e}; nothing was imported"),
        )
    })?;
    let name = query.file_name.unwrap_or_else(|| "statement".into());
    let accept = query.accept_unbalanced.unwrap_or(false);
    let summary = state
        .as_caller(caller, Need::Write, move |store, p| {
            Ok(store.import_bank_statements(p.org_id, &name, &statements, accept)?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(import_out(summary))))
}

/// A candidate for a waiting line.
#[derive(Serialize, ToSchema)]
pub struct CandidateOut {
    /// The customer's reference.
    pub customer: String,
    pub customer_name: String,
    /// Invoice numbers it would pay.
    pub invoices: Vec<String>,
    /// 0 to 100.
    pub score: u8,
    pub reasons: Vec<String>,
}

/// A bank line and what was decided for it.
#[derive(Serialize, ToSchema)]
pub struct BankLineOut {
    pub id: i64,
    pub booked_date: String,
    /// Money in is positive, money out negative.
    pub amount: String,
    pub currency: String,
    pub counterparty_name: Option<String>,
    pub counterparty_iban: Option<String>,
    pub remittance: String,
    pub structured_ref: Option<String>,
    pub bank_ref: Option<String>,
    pub return_reason: Option<String>,
    /// unmatched, suggested, matched, returned, not_customer or debit.
    pub status: String,
    /// How it was matched: reference, invoice_number, customer_reference,
    /// known_payer or person.
    pub rule: Option<String>,
    /// The customer's reference, once matched.
    pub customer: Option<String>,
    pub payment_id: Option<i64>,
    pub reasons: Vec<String>,
    pub candidates: Vec<CandidateOut>,
    pub decided_by: Option<String>,
}

fn line_out(t: BankTransaction) -> BankLineOut {
    BankLineOut {
        id: t.id,
        booked_date: t.booked_date.to_string(),
        amount: wire::amount(t.amount_minor, t.currency),
        currency: t.currency.code().to_string(),
        counterparty_name: t.counterparty_name,
        counterparty_iban: t.counterparty_iban,
        remittance: t.remittance,
        structured_ref: t.structured_ref,
        bank_ref: t.bank_ref,
        return_reason: t.return_reason,
        status: t.status,
        rule: t.rule,
        customer: t.customer_ref,
        payment_id: t.payment_id,
        reasons: t.reasons,
        candidates: t
            .candidates
            .into_iter()
            .map(|c| CandidateOut {
                customer: c.customer_ref,
                customer_name: c.customer_name,
                invoices: c.invoices,
                score: c.score,
                reasons: c.reasons,
            })
            .collect(),
        decided_by: t.decided_by,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LinesQuery {
    /// `queue` (default: waiting for a person), `matched` or `all`.
    pub show: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Bank lines, newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/bank/transactions",
    tag = "payments",
    params(LinesQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = Page<BankLineOut>),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn list_lines(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<LinesQuery>,
) -> Result<Json<Page<BankLineOut>>, ApiError> {
    let show = query.show.unwrap_or_else(|| "queue".into());
    let filter = BankFilter::parse(&show).ok_or_else(|| {
        ApiError::invalid("show", format!("show '{show}': queue, matched or all"))
    })?;
    let limit = page_limit(query.limit)?;
    let cursor = match decode_id_cursor(LINES_LIST, query.cursor.as_deref())? {
        Some(id) => BankCursor::After(id),
        None => BankCursor::First,
    };
    let page = state
        .as_caller(caller, Need::Read, move |store, p| {
            // A line named by a cursor may be gone only with its organisation.
            store
                .bank_transactions_page(p.org_id, filter, cursor, limit as usize)
                .map_err(|e| match e {
                    dun_store::StoreError::NotFound { .. } => ApiError::invalid(
                        "cursor",
                        "cursor: not a cursor this list gave out; start again without one",
                    ),
                    e => e.into(),
                })
        })
        .await?;
    Ok(Json(Page {
        items: page.lines.into_iter().map(line_out).collect(),
        next_cursor: page
            .next_after
            .map(|id| encode_cursor(LINES_LIST, &id.to_string())),
    }))
}

/// The list name cursors of bank lines carry.
const LINES_LIST: &str = "bank";

/// One bank line.
#[utoipa::path(
    get,
    path = "/api/v1/bank/transactions/{transaction_id}",
    tag = "payments",
    params(("transaction_id" = i64, Path, description = "The bank line's id")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = BankLineOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn get_line(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<BankLineOut>, ApiError> {
    let line = state
        .as_caller(caller, Need::Read, move |store, p| {
            Ok(store.bank_transaction(p.org_id, id)?)
        })
        .await?;
    Ok(Json(line_out(line)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmInvoiceIn {
    pub number: String,
    /// Default: what is left of the line, up to what the invoice has open.
    pub amount: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmIn {
    /// The customer's reference.
    #[schema(min_length = 1)]
    pub customer: String,
    /// Invoices it pays, in order (default: the customer's oldest due first).
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub invoices: Vec<ConfirmInvoiceIn>,
}

/// Posts a waiting line as the customer's payment and remembers the payer
/// for them.
#[utoipa::path(
    post,
    path = "/api/v1/bank/transactions/{transaction_id}/confirm",
    tag = "payments",
    request_body = ConfirmIn,
    params(("transaction_id" = i64, Path, description = "The bank line's id")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = BankLineOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn confirm_line(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ConfirmIn>,
) -> Result<Json<BankLineOut>, ApiError> {
    if input.invoices.len() > CONFIRM_INVOICES_MAX {
        return Err(ApiError::invalid(
            "invoices",
            format!("invoices: at most {CONFIRM_INVOICES_MAX}"),
        ));
    }
    let line = state
        .as_caller(caller, Need::Write, move |store, p| {
            let currency = store.bank_transaction(p.org_id, id)?.currency;
            let invoices = input
                .invoices
                .iter()
                .map(|i| {
                    let amount = match &i.amount {
                        Some(a) => Some(wire::parse_amount("invoices.amount", a, currency)?),
                        None => None,
                    };
                    Ok((i.number.clone(), amount))
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            let confirm = Confirm {
                customer_ref: input.customer,
                invoices,
            };
            Ok(store.confirm_bank_transaction(p.org_id, id, &confirm)?)
        })
        .await?;
    Ok(Json(line_out(line)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonIn {
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// Takes a waiting line out of the queue: not a customer's payment.
#[utoipa::path(
    post,
    path = "/api/v1/bank/transactions/{transaction_id}/dismiss",
    tag = "payments",
    request_body = ReasonIn,
    params(("transaction_id" = i64, Path, description = "The bank line's id")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = BankLineOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn dismiss_line(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ReasonIn>,
) -> Result<Json<BankLineOut>, ApiError> {
    let line = state
        .as_caller(caller, Need::Write, move |store, p| {
            Ok(store.dismiss_bank_transaction(p.org_id, id, &input.reason)?)
        })
        .await?;
    Ok(Json(line_out(line)))
}

/// Undoes a match: its payment is reversed and the line waits again.
#[utoipa::path(
    post,
    path = "/api/v1/bank/transactions/{transaction_id}/undo",
    tag = "payments",
    request_body = ReasonIn,
    params(("transaction_id" = i64, Path, description = "The bank line's id")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = BankLineOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn undo_line(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ReasonIn>,
) -> Result<Json<BankLineOut>, ApiError> {
    let line = state
        .as_caller(caller, Need::Write, move |store, p| {
            Ok(store.undo_bank_match(p.org_id, id, &input.reason)?)
        })
        .await?;
    Ok(Json(line_out(line)))
}
