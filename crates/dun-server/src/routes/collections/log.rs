//! The communication log: a customer's timeline, contacts (calls, notes,
//! replies), promises and disputes — what `dun log` and `dun dispute` do.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use dun_core::Currency;
use dun_store::disputes::{DisputeRecord, NewDispute, Resolution};
use dun_store::records::{ContactKind, NewContact, NewPromise, PromiseRecord, PromisedPayment};
use dun_store::timeline::{TimelineCursor, TimelineEntry};
use dun_store::Store;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{AppState, Caller, Need};
use crate::extract::{
    decode_cursor, page_limit, page_of, ApiJson, ApiPath, ApiQuery, IdempotencyKey, Page,
};
use crate::problem::ApiError;
use crate::wire;

use super::{no_such_invoice, positive, text_in, today};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(timeline))
        .routes(routes!(log_contact))
        .routes(routes!(add_promise))
        .routes(routes!(list_disputes, open_dispute))
        .routes(routes!(resolve_dispute))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TimelineQuery {
    /// Items per page, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TimelineEntryOut {
    pub id: i64,
    /// When it was written, UTC.
    pub occurred_at: String,
    /// The day it concerns.
    pub on_date: String,
    /// `call`, `note`, `reply`, `promise`, `dispute`, `message`, `task`, `pause`, …
    pub kind: String,
    pub author: String,
    pub summary: String,
    /// What the kind needs (amounts, dates, outcome).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub invoice_ids: Vec<i64>,
}

fn entry_out(e: TimelineEntry) -> TimelineEntryOut {
    TimelineEntryOut {
        id: e.id,
        occurred_at: e.occurred_at,
        on_date: e.on_date.to_string(),
        kind: e.kind,
        author: e.author,
        summary: e.summary,
        detail: e.detail,
        invoice_ids: e.invoice_ids,
    }
}

/// A customer's timeline, newest first: every contact, message, promise,
/// dispute and change of standing.
#[utoipa::path(
    get,
    path = "/api/v1/customers/{reference}/timeline",
    tag = "log",
    params(("reference" = String, Path, description = "The customer's reference"), TimelineQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = Page<TimelineEntryOut>),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn timeline(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(reference): ApiPath<String>,
    ApiQuery(query): ApiQuery<TimelineQuery>,
) -> Result<Json<Page<TimelineEntryOut>>, ApiError> {
    let limit = page_limit(query.limit)?;
    let before = match decode_cursor("timeline", query.cursor.as_deref())? {
        None => None,
        Some(key) => Some(TimelineCursor::parse(&key).ok_or_else(|| {
            ApiError::invalid(
                "cursor",
                "cursor: not a cursor this list gave out; start again without one",
            )
        })?),
    };
    let page = state
        .as_caller(caller, Need::Read, move |store, p| {
            let customer = store.customer(p.org_id, &reference)?;
            let rows = store.timeline(p.org_id, customer.id, before, limit + 1)?;
            Ok(page_of(rows, limit, "timeline", |e| {
                TimelineCursor::after(e).key()
            }))
        })
        .await?;
    Ok(Json(Page {
        items: page.items.into_iter().map(entry_out).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromiseIn {
    /// The day the customer promised to pay by.
    pub date: String,
    pub amount: String,
    /// Default: the first named invoice's currency, else the organisation's.
    pub currency: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactIn {
    /// `call`, `note` or `reply` (the customer's answer).
    pub kind: String,
    /// What was said or written.
    pub summary: String,
    /// What came of a call (required for a call), e.g. "reached", "voicemail".
    pub outcome: Option<String>,
    /// Numbers of the invoices it concerns.
    pub invoices: Option<Vec<String>>,
    /// A payment promised on a call.
    #[serde(default, deserialize_with = "crate::wire::opt_object")]
    pub promise: Option<PromiseIn>,
    /// The day it happened (default: today).
    pub on: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PromiseOut {
    pub id: i64,
    pub customer_reference: String,
    pub currency: String,
    pub amount: String,
    pub made_on: String,
    pub promised_date: String,
    /// The invoices it covers (empty: every open invoice in its currency).
    pub invoices: Vec<String>,
    /// `open`, `kept` or `broken`.
    pub status: String,
    pub settled_on: Option<String>,
}

fn promise_out(p: PromiseRecord) -> PromiseOut {
    PromiseOut {
        id: p.id,
        customer_reference: p.customer_ref,
        currency: p.currency.code().to_string(),
        amount: wire::amount(p.amount_minor, p.currency),
        made_on: p.made_on.to_string(),
        promised_date: p.promised_date.to_string(),
        invoices: p.invoices,
        status: p.status,
        settled_on: p.settled_on.map(|d| d.to_string()),
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = ContactLoggedOut)]
pub struct ContactOut {
    /// The timeline entry written.
    pub timeline_id: i64,
    pub customer_reference: String,
    pub promise: Option<PromiseOut>,
}

/// The currency of a promise: given, else the store's default (the first
/// invoice's, else the organisation's).
fn promise_currency(
    store: &mut Store,
    p: &dun_store::accounts::Principal,
    field: &str,
    given: Option<&str>,
    invoices: &[String],
) -> Result<Currency, ApiError> {
    if let Some(code) = given {
        return wire::parse_currency(field, code);
    }
    store
        .default_currency(p.org_id, invoices)
        .map_err(no_such_invoice)
}

/// Logs a call, note or reply with a customer (a call may carry a promise).
#[utoipa::path(
    post,
    path = "/api/v1/customers/{reference}/contacts",
    tag = "log",
    request_body = ContactIn,
    params(("reference" = String, Path, description = "The customer's reference")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = ContactOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn log_contact(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(reference): ApiPath<String>,
    ApiJson(input): ApiJson<ContactIn>,
) -> Result<(StatusCode, Json<ContactOut>), ApiError> {
    let kind = match input.kind.as_str() {
        "call" => ContactKind::Call,
        "note" => ContactKind::Note,
        "reply" => ContactKind::Reply,
        _ => return Err(ApiError::invalid("kind", "kind: give call, note or reply")),
    };
    text_in("summary", &input.summary)?;
    if kind == ContactKind::Call && input.outcome.as_deref().is_none_or(|o| o.trim().is_empty()) {
        return Err(ApiError::invalid(
            "outcome",
            "outcome: a call needs what came of it",
        ));
    }
    if kind != ContactKind::Call && input.promise.is_some() {
        return Err(ApiError::invalid(
            "promise",
            "promise: only a call carries a promise",
        ));
    }
    let on = wire::opt_date("on", input.on.as_deref())?;
    let promised_date = input
        .promise
        .as_ref()
        .map(|pr| wire::parse_date("promise.date", &pr.date))
        .transpose()?;
    let invoices = input.invoices.unwrap_or_default();
    let record = state
        .as_caller(caller, Need::Write, move |store, p| {
            let on = match on {
                Some(d) => d,
                None => today(p)?,
            };
            let promise = match (input.promise, promised_date) {
                (Some(pr), Some(promised_date)) => {
                    let currency = promise_currency(
                        store,
                        p,
                        "promise.currency",
                        pr.currency.as_deref(),
                        &invoices,
                    )?;
                    Some(PromisedPayment {
                        amount_minor: positive("promise.amount", &pr.amount, currency)?,
                        currency,
                        promised_date,
                    })
                }
                _ => None,
            };
            Ok(store.log_contact(
                p.org_id,
                &NewContact {
                    customer_ref: reference,
                    kind,
                    summary: input.summary,
                    outcome: input.outcome,
                    on,
                    author: p.author(),
                    invoices,
                    promise,
                },
            )?)
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ContactOut {
            timeline_id: record.timeline_id,
            customer_reference: record.customer_ref,
            promise: record.promise.map(promise_out),
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPromiseIn {
    /// The day the customer promised to pay by.
    pub date: String,
    pub amount: String,
    /// Default: the first named invoice's currency, else the organisation's.
    pub currency: Option<String>,
    /// Numbers of the invoices it covers (default: every open one in its currency).
    pub invoices: Option<Vec<String>>,
}

/// Records a customer's promise to pay; the run settles it as kept or
/// broken on its date.
#[utoipa::path(
    post,
    path = "/api/v1/customers/{reference}/promises",
    tag = "log",
    request_body = NewPromiseIn,
    params(
        ("reference" = String, Path, description = "The customer's reference"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = PromiseOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn add_promise(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(reference): ApiPath<String>,
    ApiJson(input): ApiJson<NewPromiseIn>,
) -> Result<(StatusCode, Json<PromiseOut>), ApiError> {
    let promised_date = wire::parse_date("date", &input.date)?;
    let invoices = input.invoices.unwrap_or_default();
    let record = state
        .as_caller(caller, Need::Write, move |store, p| {
            let currency =
                promise_currency(store, p, "currency", input.currency.as_deref(), &invoices)?;
            let amount_minor = positive("amount", &input.amount, currency)?;
            let made_on = today(p)?;
            Ok(store.add_promise(
                p.org_id,
                &NewPromise {
                    customer_ref: reference,
                    currency,
                    amount_minor,
                    promised_date,
                    invoices,
                    made_on,
                    author: p.author(),
                },
                key.as_deref(),
            )?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(promise_out(record))))
}

#[derive(Serialize, ToSchema)]
pub struct DisputeOut {
    pub id: i64,
    pub customer_reference: String,
    pub invoice: String,
    /// The disputed line (1-based), when one line is.
    pub line: Option<u32>,
    pub reason: String,
    /// `open`, `resolved` (by a credit note) or `rejected`.
    pub status: String,
    pub opened_on: String,
    pub closed_on: Option<String>,
    /// How it ended.
    #[schema(value_type = Option<Object>)]
    pub resolution: Option<serde_json::Value>,
}

fn dispute_out(d: DisputeRecord) -> DisputeOut {
    DisputeOut {
        id: d.id,
        customer_reference: d.customer_ref,
        invoice: d.invoice,
        line: d.line,
        reason: d.reason,
        status: d.status,
        opened_on: d.opened_on.to_string(),
        closed_on: d.closed_on.map(|d| d.to_string()),
        resolution: d.resolution,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DisputeQuery {
    /// Only this customer's disputes.
    pub customer: Option<String>,
    /// `open` or `all` (default `open`).
    pub status: Option<String>,
}

/// Disputes, newest first: open ones unless told otherwise.
#[utoipa::path(
    get,
    path = "/api/v1/disputes",
    tag = "log",
    params(DisputeQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = Vec<DisputeOut>),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn list_disputes(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<DisputeQuery>,
) -> Result<Json<Vec<DisputeOut>>, ApiError> {
    let open_only = match query.status.as_deref() {
        None | Some("open") => true,
        Some("all") => false,
        Some(_) => return Err(ApiError::invalid("status", "status: give open or all")),
    };
    let list = state
        .as_caller(caller, Need::Read, move |store, p| {
            Ok(store.disputes(p.org_id, query.customer.as_deref(), open_only)?)
        })
        .await?;
    Ok(Json(list.into_iter().map(dispute_out).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDisputeIn {
    /// The disputed invoice's number.
    pub invoice: String,
    /// Why the customer disputes it.
    pub reason: String,
    /// One disputed line (1-based), if only one is.
    pub line: Option<u32>,
}

/// Opens a dispute on an issued invoice (or one of its lines); its
/// reminders and notices pause until it is resolved.
#[utoipa::path(
    post,
    path = "/api/v1/disputes",
    tag = "log",
    request_body = NewDisputeIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = DisputeOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn open_dispute(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiJson(input): ApiJson<NewDisputeIn>,
) -> Result<(StatusCode, Json<DisputeOut>), ApiError> {
    text_in("reason", &input.reason)?;
    if input.line == Some(0) {
        return Err(ApiError::invalid("line", "line: lines are numbered from 1"));
    }
    let record = state
        .as_caller(caller, Need::Write, move |store, p| {
            let on = today(p)?;
            Ok(store.open_dispute(
                p.org_id,
                &NewDispute {
                    invoice: input.invoice,
                    line: input.line,
                    reason: input.reason,
                    on,
                    author: p.author(),
                },
                key.as_deref(),
            )?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(dispute_out(record))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveDisputeIn {
    /// `credit_note` (the customer is right, in part) or `rejected` (the invoice stands).
    pub resolution: String,
    /// The credit note's amount, in the invoice's currency (with `credit_note`).
    pub amount: Option<String>,
    /// Why; kept with the resolution (and on the credit note).
    pub reason: Option<String>,
}

/// Ends an open dispute: by a credit note on its invoice, or rejected (its
/// reminders resume).
#[utoipa::path(
    post,
    path = "/api/v1/disputes/{dispute_id}/resolve",
    tag = "log",
    request_body = ResolveDisputeIn,
    params(("dispute_id" = i64, Path, description = "The dispute's id")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = DisputeOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn resolve_dispute(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(dispute_id): ApiPath<i64>,
    ApiJson(input): ApiJson<ResolveDisputeIn>,
) -> Result<Json<DisputeOut>, ApiError> {
    let reason = input.reason.unwrap_or_default();
    let credit_note = match (input.resolution.as_str(), input.amount) {
        ("credit_note", Some(amount)) => Some(amount),
        ("credit_note", None) => {
            return Err(ApiError::invalid(
                "amount",
                "amount: a credit note needs its amount",
            ))
        }
        ("rejected", None) => None,
        ("rejected", Some(_)) => {
            return Err(ApiError::invalid(
                "amount",
                "amount: a rejected dispute has no amount",
            ))
        }
        _ => {
            return Err(ApiError::invalid(
                "resolution",
                "resolution: give credit_note or rejected",
            ))
        }
    };
    let record = state
        .as_caller(caller, Need::Write, move |store, p| {
            let today = today(p)?;
            let resolution = match credit_note {
                Some(text) => {
                    let dispute = store.dispute(p.org_id, dispute_id)?;
                    let currency = store.invoice(p.org_id, &dispute.invoice, today)?.currency;
                    Resolution::CreditNote {
                        amount_minor: positive("amount", &text, currency)?,
                        reason,
                    }
                }
                None => Resolution::Rejected { reason },
            };
            Ok(store.resolve_dispute(p.org_id, dispute_id, &resolution, today, &p.author())?)
        })
        .await?;
    Ok(Json(dispute_out(record)))
}
