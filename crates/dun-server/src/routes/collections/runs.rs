//! The daily run, previewed or applied as of a day, and the runs applied —
//! what `dun run` does.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use dun_core::collections::action::Action;
use dun_store::collections::RunOutcome;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{AppState, Caller, Need};
use crate::extract::{ApiJson, ApiQuery, IdempotencyKey};
use crate::problem::ApiError;
use crate::wire;

use super::limit_in;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(preview_run))
        .routes(routes!(list_runs, apply_run))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunIn {
    /// The day to run for (default: today in the organisation's zone).
    pub as_of: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MoneyOut {
    pub currency: String,
    pub amount: String,
}

/// One action of a run.
#[derive(Serialize, ToSchema)]
pub struct RunActionOut {
    pub customer_reference: String,
    pub customer_name: String,
    /// `message`, `task`, `fee`, `interest`, `skip`, `status`, `tier`, `promise`, `plan`.
    pub kind: String,
    /// The policy rule (ladder step) that produced it, e.g. `step.final_demand`.
    pub rule: String,
    /// The numbers of the invoices it concerns.
    pub invoices: Vec<String>,
    /// What it is worth per currency (fee, interest, amounts a message is about).
    pub amounts: Vec<MoneyOut>,
    /// A few words on what it does.
    pub what: String,
    /// The action as the run decided it.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
pub struct RunOut {
    pub as_of: String,
    pub policy_version: i64,
    /// Whether the actions were applied (false for a preview).
    pub applied: bool,
    /// The run's id when applied.
    pub run_id: Option<i64>,
    pub actions: Vec<RunActionOut>,
}

/// What an action is worth per currency (`ActionKind::worth`).
fn action_amounts(action: &Action) -> Vec<MoneyOut> {
    action
        .kind
        .worth()
        .into_iter()
        .map(|(c, a)| MoneyOut {
            currency: c.code().to_string(),
            amount: wire::amount(a, c),
        })
        .collect()
}

fn run_out(outcome: &RunOutcome) -> RunOut {
    let applied = outcome.run_id.is_some();
    let actions: Vec<&Action> = if applied {
        outcome.applied_actions().collect()
    } else {
        outcome.plan.actions.iter().collect()
    };
    RunOut {
        as_of: outcome.plan.as_of.to_string(),
        policy_version: outcome.plan.policy_version,
        applied,
        run_id: outcome.run_id,
        actions: actions
            .into_iter()
            .map(|a| {
                let name = outcome.customers.get(&a.customer_id);
                RunActionOut {
                    customer_reference: name
                        .map_or_else(|| format!("#{}", a.customer_id), |c| c.reference.clone()),
                    customer_name: name.map(|c| c.name.clone()).unwrap_or_default(),
                    kind: a.kind.name().to_string(),
                    rule: a.rule.to_string(),
                    invoices: a.kind.invoice_numbers(&outcome.invoice_numbers),
                    amounts: action_amounts(a),
                    what: a.kind.describe(),
                    detail: serde_json::to_value(&a.kind).unwrap_or(serde_json::Value::Null),
                }
            })
            .collect(),
    }
}

async fn run(
    state: AppState,
    caller: Caller,
    input: RunIn,
    apply: bool,
) -> Result<RunOut, ApiError> {
    let need = if apply { Need::Write } else { Need::Read };
    state
        .as_caller(caller, need, move |store, p| {
            let org = p.org.clone();
            let as_of = wire::as_of_or_today("as_of", input.as_of.as_deref(), &org.timezone)?;
            let outcome = store.run_collections(p.org_id, as_of, apply)?;
            Ok(run_out(&outcome))
        })
        .await
}

/// What the collections run would do as of a day; nothing is written.
#[utoipa::path(
    post,
    path = "/api/v1/runs/preview",
    tag = "runs",
    request_body = RunIn,
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = RunOut),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn preview_run(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<RunIn>,
) -> Result<Json<RunOut>, ApiError> {
    Ok(Json(run(state, caller, input, false).await?))
}

/// Applies the collections run as of a day (runs go forward: a day before
/// the latest applied run's is a 409). Applying the same day again does
/// only what is not yet done.
#[utoipa::path(
    post,
    path = "/api/v1/runs",
    tag = "runs",
    request_body = RunIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Accepted; a run repeated for the same day does nothing twice")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = RunOut),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn apply_run(
    State(state): State<AppState>,
    caller: Caller,
    _key: IdempotencyKey,
    ApiJson(input): ApiJson<RunIn>,
) -> Result<(StatusCode, Json<RunOut>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(run(state, caller, input, true).await?),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LimitQuery {
    /// Most items, 1 to 1000 (default 50).
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct RunRecordOut {
    pub id: i64,
    pub as_of: String,
    pub policy_version: i64,
    /// How many actions it applied.
    pub actions: i64,
    pub started_at: String,
    pub finished_at: String,
}

/// Applied runs, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/runs",
    tag = "runs",
    params(LimitQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = Vec<RunRecordOut>),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn list_runs(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<LimitQuery>,
) -> Result<Json<Vec<RunRecordOut>>, ApiError> {
    let limit = limit_in(
        "limit",
        query.limit,
        50,
        dun_store::collections::RUNS_LIMIT_MAX,
    )?;
    let runs = state
        .as_caller(caller, Need::Read, move |store, p| {
            Ok(store.runs(p.org_id, limit)?)
        })
        .await?;
    Ok(Json(
        runs.into_iter()
            .map(|r| RunRecordOut {
                id: r.id,
                as_of: r.as_of.to_string(),
                policy_version: r.policy_version,
                actions: r.actions,
                started_at: r.started_at,
                finished_at: r.finished_at,
            })
            .collect(),
    ))
}
