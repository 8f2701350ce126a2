//! A customer's standing: the ladder paused or resumed, and the credit
//! status set by hand — what `dun pause|resume|status` do.

use axum::extract::State;
use axum::Json;
use dun_core::collections::credit::CustomerStatus;
use dun_store::credit_file::{CreditStanding, StatusDecision};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{AppState, Caller, Need};
use crate::extract::{ApiJson, ApiPath};
use crate::problem::ApiError;
use crate::wire;

use super::{text_in, today};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(pause_customer))
        .routes(routes!(resume_customer))
        .routes(routes!(set_status))
}

#[derive(Serialize, ToSchema)]
pub struct StandingOut {
    pub reference: String,
    /// `active`, `cod_required`, `on_hold`, `do_not_serve`, `with_agency` or `legal`.
    pub status: String,
    /// Placed by the policy (the run may lift it), not by a person.
    pub status_by_policy: bool,
    /// Whether the ladder is paused by a person.
    pub paused: bool,
    /// The last paused day; absent when paused until resumed, or not paused.
    pub paused_until: Option<String>,
    /// Whether a person's decision on the status is in force (the run
    /// proposes, never makes, a change while it is).
    pub status_held: bool,
    /// The last day that decision holds; absent when it holds until a
    /// person changes it, or there is none.
    pub status_held_until: Option<String>,
    pub tier: String,
    pub tier_reasons: Vec<String>,
}

fn standing_out(s: CreditStanding) -> StandingOut {
    let indefinite = dun_store::credit_file::paused_indefinitely();
    StandingOut {
        reference: s.reference,
        status: s.status.as_str().to_string(),
        status_by_policy: s.status_by_policy,
        paused: s.paused_until.is_some(),
        paused_until: s
            .paused_until
            .filter(|d| *d != indefinite)
            .map(|d| d.to_string()),
        status_held: s.status_held_until.is_some(),
        status_held_until: s
            .status_held_until
            .filter(|d| *d != indefinite)
            .map(|d| d.to_string()),
        tier: s.tier.as_str().to_string(),
        tier_reasons: s.tier_reasons,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseIn {
    /// The last paused day (default: until resumed).
    pub until: Option<String>,
    pub reason: String,
}

/// Pauses a customer's collections ladder (through `until`, or until resumed).
#[utoipa::path(
    post,
    path = "/api/v1/customers/{reference}/pause",
    tag = "standing",
    request_body = PauseIn,
    params(("reference" = String, Path, description = "The customer's reference")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = StandingOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn pause_customer(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(reference): ApiPath<String>,
    ApiJson(input): ApiJson<PauseIn>,
) -> Result<Json<StandingOut>, ApiError> {
    text_in("reason", &input.reason)?;
    let until = wire::opt_date("until", input.until.as_deref())?;
    let s =
        state
            .as_caller(caller, Need::Write, move |store, p| {
                let on = today(p)?;
                Ok(store.pause_customer(
                    p.org_id,
                    &reference,
                    until,
                    &input.reason,
                    on,
                    &p.author(),
                )?)
            })
            .await?;
    Ok(Json(standing_out(s)))
}

/// Resumes a paused customer's collections ladder.
#[utoipa::path(
    post,
    path = "/api/v1/customers/{reference}/resume",
    tag = "standing",
    params(("reference" = String, Path, description = "The customer's reference")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = StandingOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn resume_customer(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(reference): ApiPath<String>,
) -> Result<Json<StandingOut>, ApiError> {
    let s = state
        .as_caller(caller, Need::Write, move |store, p| {
            let on = today(p)?;
            Ok(store.resume_customer(p.org_id, &reference, on, &p.author())?)
        })
        .await?;
    Ok(Json(standing_out(s)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusIn {
    /// `active`, `cod_required` (or `cod`), `on_hold` (or `hold`), `do_not_serve`,
    /// `with_agency` or `legal` (handed over: the ladder stops).
    pub status: String,
    pub reason: String,
    /// The last day the decision holds (default: until a person changes it);
    /// meanwhile the daily run proposes a change, never makes one.
    #[serde(default)]
    pub until: Option<String>,
}

/// Sets a customer's credit status by hand (the run leaves a person's
/// status alone).
#[utoipa::path(
    put,
    path = "/api/v1/customers/{reference}/status",
    tag = "standing",
    request_body = StatusIn,
    params(("reference" = String, Path, description = "The customer's reference")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = StandingOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn set_status(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(reference): ApiPath<String>,
    ApiJson(input): ApiJson<StatusIn>,
) -> Result<Json<StandingOut>, ApiError> {
    let status = match input.status.as_str() {
        "hold" => Some(CustomerStatus::OnHold),
        "cod" => Some(CustomerStatus::CodRequired),
        other => CustomerStatus::parse(other),
    }
    .ok_or_else(|| {
        ApiError::invalid(
            "status",
            "status: give active, cod_required (cod), on_hold (hold), do_not_serve, with_agency or legal",
        )
    })?;
    text_in("reason", &input.reason)?;
    let until = wire::opt_date("until", input.until.as_deref())?;
    let s = state
        .as_caller(caller, Need::Write, move |store, p| {
            let on = today(p)?;
            let decision = StatusDecision {
                status,
                reason: &input.reason,
                until,
            };
            Ok(store.set_customer_status(p.org_id, &reference, &decision, on, &p.author())?)
        })
        .await?;
    Ok(Json(standing_out(s)))
}
