//! The worklist and tasks: the collector's open tasks ranked, a task of
//! one's own, done and reopened — what `dun worklist` and `dun task` do.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use dun_store::worklist::TaskRecord;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{AppState, Caller, Need};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::problem::ApiError;
use crate::wire;

use super::{limit_in, text_in, today};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(worklist))
        .routes(routes!(list_tasks, add_task))
        .routes(routes!(complete_task))
        .routes(routes!(reopen_task))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WorklistQuery {
    /// The day to rank as of (default: today); tasks due after it are left out.
    pub as_of: Option<String>,
    /// Most rows, 1 to 1000 (default 50).
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct LastContactOut {
    pub on: String,
    pub kind: String,
    pub summary: String,
}

#[derive(Serialize, ToSchema)]
pub struct WorklistRowOut {
    pub task_id: i64,
    /// The ranking score (higher first); not money.
    pub priority: f64,
    pub customer_reference: String,
    pub customer_name: String,
    pub task_kind: String,
    /// What to do next.
    pub next_step: String,
    pub due_date: String,
    /// Open in `currency`.
    pub owed: String,
    pub currency: String,
    /// Days the oldest open part of any invoice is past due.
    pub days_late: i32,
    pub tier: String,
    pub last_contact: Option<LastContactOut>,
}

/// The collector's open tasks due by a day, most pressing first.
#[utoipa::path(
    get,
    path = "/api/v1/worklist",
    tag = "tasks",
    params(WorklistQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = Vec<WorklistRowOut>),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn worklist(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<WorklistQuery>,
) -> Result<Json<Vec<WorklistRowOut>>, ApiError> {
    let limit = limit_in(
        "limit",
        query.limit,
        50,
        dun_store::worklist::WORKLIST_LIMIT_MAX,
    )?;
    let out = state
        .as_caller(caller, Need::Read, move |store, p| {
            let org = p.org.clone();
            let as_of = wire::as_of_or_today("as_of", query.as_of.as_deref(), &org.timezone)?;
            let rows = store.worklist(p.org_id, as_of, limit)?;
            Ok(rows
                .into_iter()
                .map(|r| {
                    let currency = r.currency.unwrap_or(org.currency);
                    WorklistRowOut {
                        task_id: r.task_id,
                        priority: if r.priority.is_finite() {
                            r.priority
                        } else {
                            0.0
                        },
                        customer_reference: r.customer_ref,
                        customer_name: r.customer_name,
                        task_kind: r.task_kind,
                        next_step: r.next_step,
                        due_date: r.due_date.to_string(),
                        owed: wire::amount(r.owed_minor, currency),
                        currency: currency.code().to_string(),
                        days_late: r.days_late,
                        tier: r.tier.as_str().to_string(),
                        last_contact: r.last_contact.map(|c| LastContactOut {
                            on: c.on.to_string(),
                            kind: c.kind,
                            summary: c.summary,
                        }),
                    }
                })
                .collect())
        })
        .await?;
    Ok(Json(out))
}

#[derive(Serialize, ToSchema)]
pub struct TaskOut {
    pub id: i64,
    pub customer_reference: String,
    /// `call`, `internal`, `escalation`, `collateral_expiry`, `broken_promise`.
    pub kind: String,
    pub title: String,
    pub due_date: String,
    /// `open` or `done`.
    pub status: String,
    pub invoice_ids: Vec<i64>,
    pub proposals: Vec<String>,
    pub created_by: String,
    pub outcome: Option<String>,
    pub closed_at: Option<String>,
}

pub fn task_out(t: TaskRecord) -> TaskOut {
    TaskOut {
        id: t.id,
        customer_reference: t.customer_ref,
        kind: t.kind,
        title: t.title,
        due_date: t.due_date.to_string(),
        status: t.status,
        invoice_ids: t.invoice_ids,
        proposals: t.proposals,
        created_by: t.created_by,
        outcome: t.outcome,
        closed_at: t.closed_at,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TaskQuery {
    /// `open`, `done` or `all` (default `open`).
    pub status: Option<String>,
    /// Only this customer's tasks.
    pub customer: Option<String>,
}

/// Tasks by due date: open ones unless told otherwise.
#[utoipa::path(
    get,
    path = "/api/v1/tasks",
    tag = "tasks",
    params(TaskQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = Vec<TaskOut>),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn list_tasks(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<TaskQuery>,
) -> Result<Json<Vec<TaskOut>>, ApiError> {
    let status = query.status.unwrap_or_else(|| "open".into());
    if !["open", "done", "all"].contains(&status.as_str()) {
        return Err(ApiError::invalid(
            "status",
            "status: give open, done or all",
        ));
    }
    let tasks = state
        .as_caller(caller, Need::Read, move |store, p| {
            Ok(store
                .tasks(p.org_id, query.customer.as_deref(), status == "open")?
                .into_iter()
                .filter(|t| status != "done" || t.status == "done")
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(Json(tasks.into_iter().map(task_out).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTaskIn {
    /// The customer's reference.
    pub customer: String,
    /// What to do, e.g. "Ask for the signed delivery note".
    pub title: String,
    /// When it is due (default: today).
    pub due: Option<String>,
}

/// Adds a task of your own for a customer.
#[utoipa::path(
    post,
    path = "/api/v1/tasks",
    tag = "tasks",
    request_body = NewTaskIn,
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = TaskOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn add_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<NewTaskIn>,
) -> Result<(StatusCode, Json<TaskOut>), ApiError> {
    text_in("title", &input.title)?;
    let due = wire::opt_date("due", input.due.as_deref())?;
    let task = state
        .as_caller(caller, Need::Write, move |store, p| {
            let today = today(p)?;
            Ok(store.add_task(
                p.org_id,
                &input.customer,
                &input.title,
                due.unwrap_or(today),
                today,
                &p.author(),
            )?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(task_out(task))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskDoneIn {
    /// What came of it, e.g. "paid by card".
    pub outcome: String,
}

/// Closes an open task with what came of it (409 if it is already done).
#[utoipa::path(
    post,
    path = "/api/v1/tasks/{task_id}/done",
    tag = "tasks",
    request_body = TaskDoneIn,
    params(("task_id" = i64, Path, description = "The task's id")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = TaskOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn complete_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(task_id): ApiPath<i64>,
    ApiJson(input): ApiJson<TaskDoneIn>,
) -> Result<Json<TaskOut>, ApiError> {
    text_in("outcome", &input.outcome)?;
    let task = state
        .as_caller(caller, Need::Write, move |store, p| {
            let today = today(p)?;
            Ok(store.complete_task(p.org_id, task_id, &input.outcome, today, &p.author())?)
        })
        .await?;
    Ok(Json(task_out(task)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskReopenIn {
    /// Why it is open again, e.g. "the promised payment did not come".
    pub reason: String,
}

/// Opens a done task again, with a reason (409 if it is not done; an
/// escalation review's decision is not reopened: 422).
#[utoipa::path(
    post,
    path = "/api/v1/tasks/{task_id}/reopen",
    tag = "tasks",
    request_body = TaskReopenIn,
    params(("task_id" = i64, Path, description = "The task's id")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = TaskOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn reopen_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(task_id): ApiPath<i64>,
    ApiJson(input): ApiJson<TaskReopenIn>,
) -> Result<Json<TaskOut>, ApiError> {
    text_in("reason", &input.reason)?;
    let task = state
        .as_caller(caller, Need::Write, move |store, p| {
            let today = today(p)?;
            Ok(store.reopen_task(p.org_id, task_id, &input.reason, today, &p.author())?)
        })
        .await?;
    Ok(Json(task_out(task)))
}
