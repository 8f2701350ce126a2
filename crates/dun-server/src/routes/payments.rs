//! Payments: the list, one payment, recording (with allocation),
//! allocating credit, refunds and reversals.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use dun_core::Currency;
use dun_store::api_ledger::{PaymentSummary, PaymentView};
use dun_store::payments::{Allocate, NewPayment, PaymentPosted};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{AppState, Caller, Need};
use crate::extract::{
    decode_id_cursor, page_limit, page_of, ApiJson, ApiPath, ApiQuery, IdempotencyKey, Page,
};
use crate::problem::ApiError;
use crate::wire;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_payments, record_payment))
        .routes(routes!(get_payment))
        .routes(routes!(allocate_payment))
        .routes(routes!(refund_payment))
        .routes(routes!(reverse_payment))
}

/// Most invoices one explicit allocation names.
pub(crate) const ALLOCATIONS_MAX: usize = 1000;

#[derive(Serialize, ToSchema)]
pub struct PaymentSummaryOut {
    pub id: i64,
    /// The customer's reference.
    pub customer: String,
    pub currency: String,
    pub received_date: String,
    pub amount: String,
    pub method: String,
    pub reference: String,
    /// Received and not yet applied, refunded or reversed.
    pub unallocated: String,
    /// received or reversed.
    pub status: String,
}

fn summary_out(p: PaymentSummary) -> PaymentSummaryOut {
    PaymentSummaryOut {
        id: p.id,
        customer: p.customer_ref,
        currency: p.currency.code().to_string(),
        received_date: p.received_date.to_string(),
        amount: wire::amount(p.amount_minor, p.currency),
        method: p.method,
        reference: p.reference,
        unallocated: wire::amount(p.unallocated_minor, p.currency),
        status: p.status,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PaymentQuery {
    /// Only payments of the customer with this reference.
    pub customer: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Payments, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/payments",
    tag = "payments",
    params(PaymentQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = Page<PaymentSummaryOut>),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn list_payments(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<PaymentQuery>,
) -> Result<Json<Page<PaymentSummaryOut>>, ApiError> {
    let limit = page_limit(query.limit)?;
    let before_id = decode_id_cursor("payments", query.cursor.as_deref())?;
    let page = state
        .as_caller(caller, Need::Read, move |store, p| {
            let rows =
                store.payment_page(p.org_id, query.customer.as_deref(), before_id, limit + 1)?;
            Ok(page_of(rows, limit, "payments", |r| r.id.to_string()))
        })
        .await?;
    Ok(Json(Page {
        items: page.items.into_iter().map(summary_out).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// How to apply a payment: a rule, or amounts on named invoices.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum AllocationIn {
    Rule(AllocationRule),
    Invoices(Vec<AllocationLineIn>),
}

#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum AllocationRule {
    /// The oldest due invoices first.
    OldestDueFirst,
    /// Keep it all as unallocated credit.
    None,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocationLineIn {
    /// The invoice's number.
    pub invoice: String,
    /// In the payment's currency.
    pub amount: String,
}

fn allocate_of(
    field: &str,
    allocation: Option<AllocationIn>,
    currency: Currency,
) -> Result<Allocate, ApiError> {
    Ok(match allocation {
        None | Some(AllocationIn::Rule(AllocationRule::OldestDueFirst)) => Allocate::OldestDueFirst,
        Some(AllocationIn::Rule(AllocationRule::None)) => Allocate::None,
        Some(AllocationIn::Invoices(list)) => {
            if list.is_empty() || list.len() > ALLOCATIONS_MAX {
                return Err(ApiError::invalid(
                    field,
                    format!("{field}: name 1 to {ALLOCATIONS_MAX} invoices, or use \"oldest_due_first\" or \"none\""),
                ));
            }
            Allocate::Explicit(
                list.into_iter()
                    .enumerate()
                    .map(|(i, a)| {
                        let minor = wire::parse_amount(
                            &format!("{field}[{i}].amount"),
                            &a.amount,
                            currency,
                        )?;
                        if minor <= 0 {
                            return Err(ApiError::invalid(
                                format!("{field}[{i}].amount"),
                                format!("{field}[{i}].amount: must be more than zero"),
                            ));
                        }
                        Ok((a.invoice, minor))
                    })
                    .collect::<Result<Vec<_>, ApiError>>()?,
            )
        }
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPaymentIn {
    /// The customer's reference.
    pub customer: String,
    /// ISO 4217 code (default: the organisation's home currency).
    pub currency: Option<String>,
    /// Default: today in the organisation's time zone.
    pub received_date: Option<String>,
    /// A positive decimal string in the currency.
    pub amount: String,
    /// Default: bank_transfer.
    pub method: Option<String>,
    /// The payer's reference (default empty).
    pub reference: Option<String>,
    /// "oldest_due_first" (default), "none", or [{invoice, amount}].
    pub allocation: Option<AllocationIn>,
    /// Why the payment is recorded late: required when received_date is
    /// before the last applied collections run (kept on the timeline).
    #[schema(max_length = 200)]
    pub note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AllocatedOut {
    pub invoice_id: i64,
    /// The invoice's number (empty where the store did not read it).
    pub invoice: String,
    pub amount: String,
}

/// What recording, allocating, refunding or reversing a payment did.
#[derive(Serialize, ToSchema)]
pub struct PaymentPostedOut {
    pub payment_id: i64,
    pub currency: String,
    pub amount: String,
    /// Applied to invoices by this request (on a reversal: taken back).
    pub allocations: Vec<AllocatedOut>,
    /// Unallocated credit left on the payment.
    pub unallocated: String,
}

fn posted_out(p: PaymentPosted) -> PaymentPostedOut {
    let c = p.currency;
    PaymentPostedOut {
        payment_id: p.payment_id,
        currency: c.code().to_string(),
        amount: wire::amount(p.amount_minor, c),
        allocations: p
            .allocations
            .into_iter()
            .map(|a| AllocatedOut {
                invoice_id: a.invoice_id,
                invoice: a.number,
                amount: wire::amount(a.amount_minor, c),
            })
            .collect(),
        unallocated: wire::amount(p.unallocated_minor, c),
    }
}

/// Records a payment and allocates it, all or nothing.
#[utoipa::path(
    post,
    path = "/api/v1/payments",
    tag = "payments",
    request_body = NewPaymentIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = PaymentPostedOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn record_payment(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiJson(input): ApiJson<NewPaymentIn>,
) -> Result<(StatusCode, Json<PaymentPostedOut>), ApiError> {
    let currency = input
        .currency
        .as_deref()
        .map(|c| wire::parse_currency("currency", c))
        .transpose()?;
    let received_date = wire::opt_date("received_date", input.received_date.as_deref())?;
    let method = input.method.unwrap_or_else(|| "bank_transfer".to_string());
    let reference = input.reference.unwrap_or_default();
    let note = input.note.unwrap_or_default();
    let customer = input.customer;
    let amount = input.amount;
    let allocation = input.allocation;
    let posted = state
        .as_caller(caller, Need::Write, move |store, p| {
            // The organisation is read only when a default needs it.
            let (currency, received_date) = match (currency, received_date) {
                (Some(c), Some(d)) => (c, d),
                (c, d) => {
                    let org = p.org.clone();
                    let d = match d {
                        Some(d) => d,
                        None => wire::today_in(&org.timezone)?,
                    };
                    (c.unwrap_or(org.currency), d)
                }
            };
            let amount_minor = wire::parse_amount("amount", &amount, currency)?;
            if amount_minor <= 0 {
                return Err(ApiError::invalid(
                    "amount",
                    "amount: must be more than zero",
                ));
            }
            let allocate = allocate_of("allocation", allocation, currency)?;
            let payment = NewPayment {
                customer_ref: customer,
                currency,
                received_date,
                amount_minor,
                method,
                reference,
                note,
            };
            Ok(store.record_payment(p.org_id, &payment, &allocate, key.as_deref())?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(posted_out(posted))))
}

/// One ledger entry of a payment.
#[derive(Serialize, ToSchema)]
pub struct PaymentEntryOut {
    pub id: i64,
    /// payment_received, allocation, allocation_reversed, refund, payment_reversed.
    pub kind: String,
    pub date: String,
    pub invoice_id: Option<i64>,
    /// The number of the invoice the entry touches, if any.
    pub invoice: Option<String>,
    /// What the entry did to the amount owed on the invoice.
    pub amount: String,
    /// What the entry did to the payment's unallocated credit.
    pub credit: String,
    pub recorded_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct PaymentOut {
    #[serde(flatten)]
    pub payment: PaymentSummaryOut,
    pub entries: Vec<PaymentEntryOut>,
}

fn payment_out(v: PaymentView) -> PaymentOut {
    let c = v.payment.currency;
    PaymentOut {
        payment: summary_out(v.payment),
        entries: v
            .entries
            .into_iter()
            .map(|(e, number)| PaymentEntryOut {
                id: e.id,
                kind: e.entry.kind.as_str().to_string(),
                date: e.entry.effective_date.to_string(),
                invoice_id: e.entry.invoice_id,
                invoice: number,
                amount: wire::amount(e.entry.ar_minor, c),
                credit: wire::amount(e.entry.credit_minor, c),
                recorded_at: e.recorded_at,
            })
            .collect(),
    }
}

/// One payment with its ledger history.
#[utoipa::path(
    get,
    path = "/api/v1/payments/{payment_id}",
    tag = "payments",
    params(("payment_id" = i64, Path, description = "The payment's id")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = PaymentOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn get_payment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(payment_id): ApiPath<i64>,
) -> Result<Json<PaymentOut>, ApiError> {
    let view = state
        .as_caller_quick(caller, move |store, p| {
            Ok(store.payment_view(p.org_id, payment_id)?)
        })
        .await?;
    Ok(Json(payment_out(view)))
}

fn date_or_today(
    p: &dun_store::accounts::Principal,
    date: Option<dun_core::Date>,
) -> Result<dun_core::Date, ApiError> {
    match date {
        Some(d) => Ok(d),
        None => wire::today_in(&p.org.timezone),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocateIn {
    /// "oldest_due_first", "none", or [{invoice, amount}].
    pub allocation: AllocationIn,
    /// Default: today.
    pub date: Option<String>,
}

/// Applies a payment's unallocated credit to invoices.
#[utoipa::path(
    post,
    path = "/api/v1/payments/{payment_id}/allocations",
    tag = "payments",
    request_body = AllocateIn,
    params(
        ("payment_id" = i64, Path, description = "The payment's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = PaymentPostedOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn allocate_payment(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(payment_id): ApiPath<i64>,
    ApiJson(input): ApiJson<AllocateIn>,
) -> Result<(StatusCode, Json<PaymentPostedOut>), ApiError> {
    let date = wire::opt_date("date", input.date.as_deref())?;
    let allocation = input.allocation;
    let posted = state
        .as_caller(caller, Need::Write, move |store, p| {
            let date = date_or_today(p, date)?;
            let currency = store.payment(p.org_id, payment_id)?.currency;
            let allocate = allocate_of("allocation", Some(allocation), currency)?;
            Ok(store.allocate_payment(p.org_id, payment_id, &allocate, date, key.as_deref())?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(posted_out(posted))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundIn {
    /// In the payment's currency; at most its unallocated credit.
    pub amount: String,
    /// Default: today.
    pub date: Option<String>,
    /// Why the money goes back (kept on the customer's timeline).
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// Pays unallocated credit back to the customer.
#[utoipa::path(
    post,
    path = "/api/v1/payments/{payment_id}/refund",
    tag = "payments",
    request_body = RefundIn,
    params(
        ("payment_id" = i64, Path, description = "The payment's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = PaymentPostedOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn refund_payment(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(payment_id): ApiPath<i64>,
    ApiJson(input): ApiJson<RefundIn>,
) -> Result<Json<PaymentPostedOut>, ApiError> {
    let date = wire::opt_date("date", input.date.as_deref())?;
    let amount = input.amount;
    let reason = input.reason;
    let posted = state
        .as_caller(caller, Need::Write, move |store, p| {
            let date = date_or_today(p, date)?;
            let currency = store.payment(p.org_id, payment_id)?.currency;
            let amount_minor = wire::parse_amount("amount", &amount, currency)?;
            if amount_minor <= 0 {
                return Err(ApiError::invalid(
                    "amount",
                    "amount: must be more than zero",
                ));
            }
            Ok(store.refund_payment(
                p.org_id,
                payment_id,
                amount_minor,
                date,
                &reason,
                key.as_deref(),
            )?)
        })
        .await?;
    Ok(Json(posted_out(posted)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReverseIn {
    /// Default: today.
    pub date: Option<String>,
    /// Why it did not stand, e.g. "cheque bounced" (kept on the
    /// customer's timeline).
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// Reverses a payment that did not stand (bounced, charged back); its
/// invoices are open again.
#[utoipa::path(
    post,
    path = "/api/v1/payments/{payment_id}/reverse",
    tag = "payments",
    request_body = ReverseIn,
    params(
        ("payment_id" = i64, Path, description = "The payment's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = PaymentPostedOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn reverse_payment(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(payment_id): ApiPath<i64>,
    ApiJson(input): ApiJson<ReverseIn>,
) -> Result<Json<PaymentPostedOut>, ApiError> {
    let date = wire::opt_date("date", input.date.as_deref())?;
    let reason = input.reason;
    let posted = state
        .as_caller(caller, Need::Write, move |store, p| {
            let date = date_or_today(p, date)?;
            Ok(store.reverse_payment(p.org_id, payment_id, date, &reason, key.as_deref())?)
        })
        .await?;
    Ok(Json(posted_out(posted)))
}
