//! The outbox over HTTP: what `dun outbox list|hold|send-now|cancel|retry`
//! do. Which action applies to which message is the store's rule
//! (`dun_store::outbox_actions::OutboxAction`); these handlers carry it.

use axum::extract::State;
use axum::Json;
use dun_store::outbox::OutboxMessage;
use dun_store::outbox_actions::OutboxAction;
use dun_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::collections::limit_in;
use crate::app::{AppState, Caller, Need};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::problem::ApiError;
use crate::wire;

/// Most messages one page of the outbox list returns.
pub const OUTBOX_PAGE_MAX: i64 = 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(outbox))
        .routes(routes!(outbox_message))
        .routes(routes!(hold_message))
        .routes(routes!(send_message_now))
        .routes(routes!(cancel_message))
        .routes(routes!(retry_message))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// Only messages with this status: `pending`, `held`, `sending`,
    /// `sent`, `failed`, `unknown`, `dropped` or `cancelled`.
    pub status: Option<String>,
    /// Most messages, 1 to 1000 (default 50).
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct OutboxMessageOut {
    pub id: i64,
    pub customer_reference: String,
    pub customer_name: String,
    /// `dunning`, `invoice`, `credit_note` or `statement`.
    pub kind: String,
    pub template: String,
    pub channels: Vec<String>,
    pub status: String,
    pub attempts: i64,
    pub as_of: String,
    pub created_at: String,
    pub sent_at: Option<String>,
    /// Who it went to (set when a worker claims it).
    pub recipient: Option<String>,
    /// Who had it in copy (accounts payable contacts), set with `recipient`.
    pub cc: Option<String>,
    /// Why it failed; for a `dropped` reminder (re-checked against the
    /// ledger at send time and found stale), what was not sent and why.
    pub last_error: Option<String>,
    /// The message as it goes: as the run decided it, less what the
    /// send-time re-check left out (`left_out`).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// What a person may do to it now: `hold`, `send-now`, `cancel`,
    /// `retry` (each a POST to `/api/v1/outbox/{id}/ACTION`).
    pub actions: Vec<String>,
}

fn message_out(m: OutboxMessage) -> OutboxMessageOut {
    OutboxMessageOut {
        actions: OutboxAction::for_message(&m)
            .into_iter()
            .map(|a| a.name().to_string())
            .collect(),
        id: m.id,
        customer_reference: m.customer_ref,
        customer_name: m.customer_name,
        kind: m.kind,
        template: m.template,
        channels: m.channels,
        status: m.status,
        attempts: m.attempts,
        as_of: m.as_of.to_string(),
        created_at: m.created_at,
        sent_at: m.sent_at,
        recipient: m.recipient,
        cc: m.cc,
        last_error: m.last_error,
        detail: m.detail,
    }
}

/// Messages in the outbox, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/outbox",
    tag = "outbox",
    params(OutboxQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = Vec<OutboxMessageOut>),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn outbox(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<OutboxQuery>,
) -> Result<Json<Vec<OutboxMessageOut>>, ApiError> {
    let limit = limit_in("limit", query.limit, 50, OUTBOX_PAGE_MAX)?;
    let list = state
        .as_caller(caller, Need::Read, move |store, p| {
            match store.outbox(p.org_id, query.status.as_deref(), limit) {
                Ok(list) => Ok(list),
                Err(StoreError::Invalid(m)) => {
                    Err(ApiError::invalid("status", format!("status: {m}")))
                }
                Err(e) => Err(e.into()),
            }
        })
        .await?;
    Ok(Json(list.into_iter().map(message_out).collect()))
}

/// One message in the outbox.
#[utoipa::path(
    get,
    path = "/api/v1/outbox/{message_id}",
    tag = "outbox",
    params(("message_id" = i64, Path, description = "The message's id")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = OutboxMessageOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn outbox_message(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(message_id): ApiPath<i64>,
) -> Result<Json<OutboxMessageOut>, ApiError> {
    let m = state
        .as_caller(caller, Need::Read, move |store, p| {
            Ok(store.outbox_message(p.org_id, message_id)?)
        })
        .await?;
    Ok(Json(message_out(m)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutboxReasonIn {
    /// Why, for the customer's timeline (at most 500 characters).
    #[serde(default)]
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutboxCancelIn {
    /// Why the message is cancelled, for the customer's timeline (1 to
    /// 500 characters).
    pub reason: String,
}

/// `action` on message `id` by the caller.
async fn act(
    state: AppState,
    caller: Caller,
    id: i64,
    action: OutboxAction,
    reason: String,
) -> Result<Json<OutboxMessageOut>, ApiError> {
    let m = state
        .as_caller(caller, Need::Write, move |store, p| {
            let today = wire::today_in(&p.org.timezone)?;
            let now = store.now_utc();
            match store.act_on_message(p.org_id, id, action, &reason, &p.author(), &now, today) {
                Err(StoreError::Invalid(m)) => Err(ApiError::invalid("reason", m)),
                other => Ok(other?),
            }
        })
        .await?;
    Ok(Json(message_out(m)))
}

/// Holds a pending message: the worker does not send it until someone
/// sends it now (409 if it is not pending — being sent, sent, …).
#[utoipa::path(
    post,
    path = "/api/v1/outbox/{message_id}/hold",
    tag = "outbox",
    request_body = OutboxReasonIn,
    params(("message_id" = i64, Path, description = "The message's id")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = OutboxMessageOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn hold_message(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(message_id): ApiPath<i64>,
    ApiJson(input): ApiJson<OutboxReasonIn>,
) -> Result<Json<OutboxMessageOut>, ApiError> {
    act(state, caller, message_id, OutboxAction::Hold, input.reason).await
}

/// Makes a held message, or one waiting to retry, due at once: the next
/// delivery pass sends it (409 otherwise).
#[utoipa::path(
    post,
    path = "/api/v1/outbox/{message_id}/send-now",
    tag = "outbox",
    params(("message_id" = i64, Path, description = "The message's id")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = OutboxMessageOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn send_message_now(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(message_id): ApiPath<i64>,
) -> Result<Json<OutboxMessageOut>, ApiError> {
    act(
        state,
        caller,
        message_id,
        OutboxAction::SendNow,
        String::new(),
    )
    .await
}

/// Cancels a message not sent (pending, held, failed or unknown): it is
/// never sent, and the reason goes on the customer's timeline (409 for a
/// message being sent or gone; 422 without a reason).
#[utoipa::path(
    post,
    path = "/api/v1/outbox/{message_id}/cancel",
    tag = "outbox",
    request_body = OutboxCancelIn,
    params(("message_id" = i64, Path, description = "The message's id")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = OutboxMessageOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn cancel_message(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(message_id): ApiPath<i64>,
    ApiJson(input): ApiJson<OutboxCancelIn>,
) -> Result<Json<OutboxMessageOut>, ApiError> {
    act(
        state,
        caller,
        message_id,
        OutboxAction::Cancel,
        input.reason,
    )
    .await
}

/// Queues a failed message, or one whose delivery is unknown, again
/// (409 otherwise).
#[utoipa::path(
    post,
    path = "/api/v1/outbox/{message_id}/retry",
    tag = "outbox",
    params(("message_id" = i64, Path, description = "The message's id")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = OutboxMessageOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn retry_message(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(message_id): ApiPath<i64>,
) -> Result<Json<OutboxMessageOut>, ApiError> {
    act(
        state,
        caller,
        message_id,
        OutboxAction::Retry,
        String::new(),
    )
    .await
}
