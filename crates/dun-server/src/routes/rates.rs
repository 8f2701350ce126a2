//! Exchange rates the owner sets, each from a date: what `dun rates` does.
//! They count what a customer owes in another currency toward a credit
//! limit; no amount owed is ever converted by them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use dun_core::collections::policy::Rate;
use dun_store::rates::StoredRate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{AppState, Caller, Need};
use crate::extract::ApiJson;
use crate::problem::ApiError;
use crate::wire;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_rates, set_rate))
}

/// A rate: from `effective_from` on, one `from` counts as `rate` `to`.
#[derive(Serialize, ToSchema)]
pub struct RateOut {
    pub from: String,
    pub to: String,
    /// Units of `to` per unit of `from`, e.g. "1.08".
    pub rate: String,
    pub effective_from: String,
    pub author: String,
    pub set_at: String,
}

fn rate_out(r: StoredRate) -> RateOut {
    RateOut {
        from: r.rate.from.code().to_string(),
        to: r.rate.to.code().to_string(),
        rate: r.rate.rate.to_string(),
        effective_from: r.rate.effective_from.to_string(),
        author: r.author,
        set_at: r.created_at,
    }
}

/// Every rate set, by pair and date.
#[utoipa::path(
    get,
    path = "/api/v1/rates",
    tag = "customers",
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = Vec<RateOut>))
)]
async fn list_rates(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<RateOut>>, ApiError> {
    let list = state
        .as_caller(caller, Need::Read, move |store, p| {
            Ok(store.rates(p.org_id)?)
        })
        .await?;
    Ok(Json(list.into_iter().map(rate_out).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRateIn {
    /// The currency owed, e.g. "EUR".
    pub from: String,
    /// The currency of credit limits (the organisation's), e.g. "USD".
    pub to: String,
    /// Units of `to` per unit of `from`, up to six decimal places.
    pub rate: String,
    /// The first day it applies.
    pub effective_from: String,
}

/// Sets a rate from a date on (an owner); the same pair and date is replaced.
#[utoipa::path(
    post,
    path = "/api/v1/rates",
    tag = "customers",
    request_body = NewRateIn,
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = RateOut),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn set_rate(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<NewRateIn>,
) -> Result<(StatusCode, Json<RateOut>), ApiError> {
    let from = wire::parse_currency("from", &input.from)?;
    let to = wire::parse_currency("to", &input.to)?;
    let rate =
        Rate::parse(&input.rate).map_err(|e| ApiError::invalid("rate", format!("rate: {e}")))?;
    let on = wire::parse_date("effective_from", &input.effective_from)?;
    let stored = state
        .as_caller(caller, Need::Own, move |store, p| {
            Ok(store.set_rate(p.org_id, from, to, rate, on, &p.author())?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(rate_out(stored))))
}
