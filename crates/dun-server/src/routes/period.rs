//! The closed period: which day the books are closed through (nothing is
//! posted on or before it), and the owner closing or reopening them.

use axum::extract::State;
use axum::Json;
use dun_store::period::ClosedPeriod;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{AppState, Caller, Need};
use crate::extract::ApiJson;
use crate::problem::ApiError;
use crate::wire;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_period, put_period))
}

/// Where the books stand.
#[derive(Serialize, ToSchema)]
pub struct PeriodOut {
    /// Closed through this day (none: open).
    pub closed_through: Option<String>,
    pub closed_by: Option<String>,
    pub closed_at: Option<String>,
}

fn period_out(c: Option<ClosedPeriod>) -> PeriodOut {
    match c {
        Some(c) => PeriodOut {
            closed_through: Some(c.through.to_string()),
            closed_by: Some(c.by),
            closed_at: Some(c.at),
        },
        None => PeriodOut {
            closed_through: None,
            closed_by: None,
            closed_at: None,
        },
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PeriodIn {
    /// Close the books through this day; null reopens them all. A day
    /// before the one closed reopens the days after it.
    pub closed_through: Option<String>,
    /// Why; required to reopen.
    #[serde(default)]
    pub reason: String,
}

/// Which day the books are closed through.
#[utoipa::path(
    get,
    path = "/api/v1/period",
    tag = "accounts",
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = PeriodOut))
)]
async fn get_period(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<PeriodOut>, ApiError> {
    let c = state
        .as_caller(caller, Need::Read, move |store, p| {
            Ok(store.closed_period(p.org_id)?)
        })
        .await?;
    Ok(Json(period_out(c)))
}

/// Closes the books through a day, or reopens them (the owner only):
/// every posting dated on or before the day is refused from then on.
#[utoipa::path(
    put,
    path = "/api/v1/period",
    tag = "accounts",
    request_body = PeriodIn,
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = PeriodOut),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn put_period(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<PeriodIn>,
) -> Result<Json<PeriodOut>, ApiError> {
    let through = wire::opt_date("closed_through", input.closed_through.as_deref())?;
    let c = state
        .as_caller(caller, Need::Own, move |store, p| {
            Ok(store.set_closed_period(p.org_id, through, &input.reason, &p.author())?)
        })
        .await?;
    Ok(Json(period_out(c)))
}
