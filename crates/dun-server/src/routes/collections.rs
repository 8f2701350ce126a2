//! Collections: the policy and its versions, the daily run (previewed or
//! applied), the worklist and tasks, the communication log (contacts,
//! promises, disputes) and a customer's standing (pause, status) — what
//! `dun policy`, `dun run`, `dun worklist`, `dun task`, `dun log`,
//! `dun dispute` and `dun pause|resume|status` do. The outbox is
//! `outbox.rs`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use dun_core::collections::action::Action;
use dun_core::collections::credit::CustomerStatus;
use dun_core::collections::document::{self, DocumentError};
use dun_core::{Currency, Date};
use dun_store::collections::RunOutcome;
use dun_store::credit_file::{CreditStanding, StatusDecision};
use dun_store::disputes::{DisputeRecord, NewDispute, Resolution};
use dun_store::plans::PlanInstallments;
use dun_store::policies::{PolicyVersion, PolicyVersionSummary};
use dun_store::records::{ContactKind, NewContact, NewPromise, PromiseRecord, PromisedPayment};
use dun_store::timeline::{TimelineCursor, TimelineEntry};
use dun_store::worklist::TaskRecord;
use dun_store::{Store, StoreError};
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

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_policy, put_policy))
        .routes(routes!(policy_versions))
        .routes(routes!(policy_version))
        .routes(routes!(check_policy))
        .routes(routes!(preview_run))
        .routes(routes!(list_runs, apply_run))
        .routes(routes!(worklist))
        .routes(routes!(list_tasks, add_task))
        .routes(routes!(complete_task))
        .routes(routes!(reopen_task))
        .routes(routes!(timeline))
        .routes(routes!(log_contact))
        .routes(routes!(add_promise))
        .routes(routes!(list_disputes, open_dispute))
        .routes(routes!(resolve_dispute))
        .routes(routes!(pause_customer))
        .routes(routes!(resume_customer))
        .routes(routes!(set_status))
        .routes(routes!(list_collateral, add_collateral))
        .routes(routes!(list_plans, create_plan))
}

/// Today in the caller's organisation.
fn today(p: &dun_store::accounts::Principal) -> Result<Date, ApiError> {
    wire::today_in(&p.org.timezone)
}

pub(super) fn limit_in(
    field: &str,
    limit: Option<i64>,
    default: i64,
    max: i64,
) -> Result<i64, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::invalid(
            field,
            format!("{field}: {n} is outside 1 to {max}"),
        )),
    }
}

fn text_in(field: &str, text: &str) -> Result<(), ApiError> {
    if text.trim().is_empty() {
        return Err(ApiError::invalid(
            field,
            format!("{field}: must not be empty"),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------- policy

/// The size of a policy, at a glance.
#[derive(Serialize, ToSchema)]
pub struct PolicySummaryOut {
    pub reminders: usize,
    pub ladder_steps: usize,
    pub customer_overrides: usize,
    pub late_fee: bool,
    pub interest: bool,
}

/// One version of the policy, with its document.
#[derive(Serialize, ToSchema)]
pub struct PolicyOut {
    pub version: i64,
    /// The TOML document as its author wrote it.
    pub document: String,
    /// What this version changed from the one before.
    pub changes: Vec<String>,
    pub author: String,
    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub created_at: String,
    pub summary: PolicySummaryOut,
}

fn policy_out(v: PolicyVersion) -> PolicyOut {
    PolicyOut {
        summary: PolicySummaryOut {
            reminders: v.policy.reminders.len(),
            ladder_steps: v.policy.ladder.len(),
            customer_overrides: v.policy.overrides.len(),
            late_fee: v.policy.late_fee.is_some(),
            interest: v.policy.interest.is_some(),
        },
        version: v.version,
        document: v.document,
        changes: v.changes,
        author: v.author,
        created_at: v.created_at,
    }
}

/// A version in the history (without its document).
#[derive(Serialize, ToSchema)]
pub struct PolicyVersionOut {
    pub version: i64,
    pub changes: Vec<String>,
    pub author: String,
    pub created_at: String,
}

fn version_out(v: PolicyVersionSummary) -> PolicyVersionOut {
    PolicyVersionOut {
        version: v.version,
        changes: v.changes,
        author: v.author,
        created_at: v.created_at,
    }
}

/// One problem of a policy document.
#[derive(Serialize, ToSchema)]
pub struct PolicyProblemOut {
    /// The line of the document, when the problem has one.
    pub line: Option<usize>,
    /// Where in the policy, e.g. `ladder[2].days`.
    pub place: String,
    pub reason: String,
}

fn problems_out(errors: &[DocumentError]) -> Vec<PolicyProblemOut> {
    errors
        .iter()
        .map(|e| PolicyProblemOut {
            line: e.line,
            place: e.place.clone(),
            reason: e.reason.clone(),
        })
        .collect()
}

/// A refused document: 422 on `document`, every problem with its line.
fn refused(errors: &[DocumentError]) -> ApiError {
    let list = errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ");
    ApiError::invalid(
        "document",
        format!(
            "document: the policy was refused ({} problem(s)); nothing was written: {list}",
            errors.len()
        ),
    )
}

/// The policy in force.
#[utoipa::path(
    get,
    path = "/api/v1/policy",
    tag = "policy",
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = PolicyOut))
)]
async fn get_policy(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<PolicyOut>, ApiError> {
    let v = state
        .as_caller(caller, Need::Read, move |store, p| {
            Ok(store.policy(p.org_id)?)
        })
        .await?;
    Ok(Json(policy_out(v)))
}

/// Every version of the policy, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/policy/versions",
    tag = "policy",
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = Vec<PolicyVersionOut>))
)]
async fn policy_versions(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<PolicyVersionOut>>, ApiError> {
    let list = state
        .as_caller(caller, Need::Read, move |store, p| {
            Ok(store.policy_versions(p.org_id)?)
        })
        .await?;
    Ok(Json(list.into_iter().map(version_out).collect()))
}

/// One version of the policy, with its document.
#[utoipa::path(
    get,
    path = "/api/v1/policy/versions/{version}",
    tag = "policy",
    params(("version" = i64, Path, description = "The version number (1 is Dun's default)")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = PolicyOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn policy_version(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(version): ApiPath<i64>,
) -> Result<Json<PolicyOut>, ApiError> {
    let v = state
        .as_caller(caller, Need::Read, move |store, p| {
            Ok(store.policy_version(p.org_id, version)?)
        })
        .await?;
    Ok(Json(policy_out(v)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocumentIn {
    /// The whole policy as a TOML document.
    pub document: String,
}

#[derive(Serialize, ToSchema)]
pub struct PolicyCheckOut {
    /// Whether the document is a valid policy.
    pub valid: bool,
    /// Every problem, each with its line (empty when valid).
    pub problems: Vec<PolicyProblemOut>,
    /// The version in force the document is compared with.
    pub current_version: i64,
    /// What applying it would change (empty when invalid or the same).
    pub changes: Vec<String>,
    /// Its late-payment law and what it would charge on an example
    /// invoice (absent when the document follows no law or is invalid).
    pub law_example: Option<LawExampleOut>,
}

/// What a late-payment law preset would charge on an example invoice: one
/// unpaid month of statutory interest and the fixed compensation.
#[derive(Serialize, ToSchema)]
pub struct LawExampleOut {
    /// The preset, e.g. `de_bgb_288`.
    pub law: String,
    /// The law's title.
    pub title: String,
    /// The example invoice's currency (the law's own).
    pub currency: String,
    /// The example invoice's amount.
    pub principal: String,
    pub due_date: String,
    /// The month of interest shown: first and last day.
    pub from: String,
    pub through: String,
    /// The month's statutory interest.
    pub interest: String,
    /// The fixed compensation, once per invoice.
    pub compensation: String,
    /// All of it in one sentence.
    pub said: String,
}

fn law_example_out(ex: &dun_core::collections::law_example::LawExample) -> LawExampleOut {
    let money = |minor| dun_core::money::format_minor(minor, ex.currency);
    LawExampleOut {
        law: ex.law.as_str().to_string(),
        title: ex.law.title().to_string(),
        currency: ex.currency.to_string(),
        principal: money(ex.principal_minor),
        due_date: ex.due_date.to_string(),
        from: ex.month.from.to_string(),
        through: ex.month.through.to_string(),
        interest: money(ex.month.amount_minor),
        compensation: money(ex.compensation_minor),
        said: ex.to_string(),
    }
}

/// Checks a policy document without writing anything: its problems with
/// their lines, or what applying it would change.
#[utoipa::path(
    post,
    path = "/api/v1/policy/check",
    tag = "policy",
    request_body = PolicyDocumentIn,
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = PolicyCheckOut),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn check_policy(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<PolicyDocumentIn>,
) -> Result<Json<PolicyCheckOut>, ApiError> {
    let out = state
        .as_caller(caller, Need::Read, move |store, p| {
            let current = store.policy(p.org_id)?;
            Ok(match document::parse(&input.document) {
                Ok(policy) => PolicyCheckOut {
                    valid: true,
                    problems: Vec::new(),
                    current_version: current.version,
                    changes: document::summarize_changes(&current.policy, &policy),
                    law_example: store
                        .law_example(p.org_id, policy.law, today(p)?)?
                        .as_ref()
                        .map(law_example_out),
                },
                Err(errors) => PolicyCheckOut {
                    valid: false,
                    problems: problems_out(&errors),
                    current_version: current.version,
                    changes: Vec::new(),
                    law_example: None,
                },
            })
        })
        .await?;
    Ok(Json(out))
}

/// Makes a document the policy in force, as a new version (owners only).
/// A document with problems is refused with every problem and its line.
#[utoipa::path(
    put,
    path = "/api/v1/policy",
    tag = "policy",
    request_body = PolicyDocumentIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = PolicyOut),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn put_policy(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiJson(input): ApiJson<PolicyDocumentIn>,
) -> Result<Json<PolicyOut>, ApiError> {
    let v = state
        .as_caller(caller, Need::Own, move |store, p| {
            match store.apply_policy(p.org_id, &input.document, &p.author(), key.as_deref()) {
                Ok(v) => Ok(v),
                Err(StoreError::PolicyDocument(errors)) => Err(refused(&errors)),
                Err(StoreError::Invalid(m)) => {
                    Err(ApiError::invalid("document", format!("document: {m}")))
                }
                Err(e) => Err(e.into()),
            }
        })
        .await?;
    Ok(Json(policy_out(v)))
}

// ---------------------------------------------------------------- runs

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

// ---------------------------------------------------------------- worklist and tasks

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

// ---------------------------------------------------------------- communication log

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

fn positive(field: &str, text: &str, currency: Currency) -> Result<i64, ApiError> {
    let minor = wire::parse_amount(field, text, currency)?;
    if minor <= 0 {
        return Err(ApiError::invalid(
            field,
            format!("{field}: must be more than zero"),
        ));
    }
    Ok(minor)
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

// ---------------------------------------------------------------- standing

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

// ---------------------------------------------------------------- credit file: collateral and plans

#[derive(Serialize, ToSchema)]
pub struct CollateralOut {
    pub id: i64,
    pub customer_reference: String,
    /// `personal_guarantee`, `ucc1`, `lien`, `pre_lien`, `letter_of_credit`, `deposit`.
    pub kind: String,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub filed_on: Option<String>,
    pub expires_on: Option<String>,
    /// The filing's or instrument's own reference.
    pub reference: String,
    pub note: String,
}

fn collateral_out(c: dun_store::collateral::CollateralRecord) -> CollateralOut {
    CollateralOut {
        id: c.id,
        customer_reference: c.customer_ref,
        kind: c.kind.as_str().to_string(),
        amount: match (c.amount_minor, c.currency) {
            (Some(a), Some(cur)) => Some(wire::amount(a, cur)),
            _ => None,
        },
        currency: c.currency.map(|cur| cur.code().to_string()),
        filed_on: c.filed_on.map(|d| d.to_string()),
        expires_on: c.expires_on.map(|d| d.to_string()),
        reference: c.reference,
        note: c.note,
    }
}

/// The collateral in a customer's credit file.
#[utoipa::path(
    get,
    path = "/api/v1/customers/{reference}/collateral",
    tag = "standing",
    params(("reference" = String, Path, description = "The customer's reference")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = Vec<CollateralOut>),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn list_collateral(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(reference): ApiPath<String>,
) -> Result<Json<Vec<CollateralOut>>, ApiError> {
    let list = state
        .as_caller(caller, Need::Read, move |store, p| {
            Ok(store.collateral(p.org_id, Some(&reference))?)
        })
        .await?;
    Ok(Json(list.into_iter().map(collateral_out).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCollateralIn {
    /// `personal_guarantee`, `ucc1`, `lien`, `pre_lien`, `letter_of_credit`, `deposit`.
    pub kind: String,
    pub amount: String,
    /// Default: the organisation's currency.
    pub currency: Option<String>,
    /// The day it was filed.
    pub filed: Option<String>,
    /// The day it expires (the run makes a task before then).
    pub expires: Option<String>,
    /// The filing's or instrument's own reference.
    pub reference: Option<String>,
    pub note: Option<String>,
}

/// Adds collateral to a customer's credit file.
#[utoipa::path(
    post,
    path = "/api/v1/customers/{reference}/collateral",
    tag = "standing",
    request_body = NewCollateralIn,
    params(("reference" = String, Path, description = "The customer's reference")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = CollateralOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn add_collateral(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(reference): ApiPath<String>,
    ApiJson(input): ApiJson<NewCollateralIn>,
) -> Result<(StatusCode, Json<CollateralOut>), ApiError> {
    let kind = dun_store::collateral::CollateralKind::parse(&input.kind)
        .map_err(|e| ApiError::invalid("kind", format!("kind: {e}")))?;
    let filed_on = wire::opt_date("filed", input.filed.as_deref())?;
    let expires_on = wire::opt_date("expires", input.expires.as_deref())?;
    if let (Some(f), Some(e)) = (filed_on, expires_on) {
        if e < f {
            return Err(ApiError::invalid(
                "expires",
                "expires: must not be before filed",
            ));
        }
    }
    let given = input
        .currency
        .as_deref()
        .map(|c| wire::parse_currency("currency", c))
        .transpose()?;
    let record = state
        .as_caller(caller, Need::Write, move |store, p| {
            let org = p.org.clone();
            let currency = given.unwrap_or(org.currency);
            let on = wire::today_in(&org.timezone)?;
            Ok(store.add_collateral(
                p.org_id,
                &dun_store::collateral::NewCollateral {
                    customer_ref: reference,
                    kind,
                    amount_minor: positive("amount", &input.amount, currency)?,
                    currency,
                    filed_on,
                    expires_on,
                    reference: input.reference.unwrap_or_default(),
                    note: input.note.unwrap_or_default(),
                    on,
                    author: p.author(),
                },
            )?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(collateral_out(record))))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct InstallmentOut {
    pub due_date: String,
    pub amount: String,
}

#[derive(Serialize, ToSchema)]
pub struct PlanOut {
    pub id: i64,
    pub customer_reference: String,
    pub currency: String,
    pub invoices: Vec<String>,
    pub installments: Vec<InstallmentOut>,
    pub created_on: String,
    /// What the invoices had open when the plan was made.
    pub opening: String,
    /// `active`, `completed` or `defaulted`.
    pub status: String,
    pub defaulted_on: Option<String>,
}

fn plan_out(p: dun_store::plans::PlanRecord) -> PlanOut {
    let c = p.currency;
    PlanOut {
        id: p.id,
        customer_reference: p.customer_ref,
        currency: c.code().to_string(),
        invoices: p.invoices,
        installments: p
            .installments
            .iter()
            .map(|i| InstallmentOut {
                due_date: i.due_date.to_string(),
                amount: wire::amount(i.amount_minor, c),
            })
            .collect(),
        created_on: p.created_on.to_string(),
        opening: wire::amount(p.opening_minor, c),
        status: p.status,
        defaulted_on: p.defaulted_on.map(|d| d.to_string()),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    /// Only this customer's plans.
    pub customer: Option<String>,
}

/// Payment plans, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/plans",
    tag = "standing",
    params(PlanQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = Vec<PlanOut>),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn list_plans(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<PlanQuery>,
) -> Result<Json<Vec<PlanOut>>, ApiError> {
    let list = state
        .as_caller(caller, Need::Read, move |store, p| {
            Ok(store.plans(p.org_id, query.customer.as_deref())?)
        })
        .await?;
    Ok(Json(list.into_iter().map(plan_out).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PlanInstallmentIn)]
pub struct InstallmentIn {
    pub date: String,
    pub amount: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitIn {
    /// How many equal installments (the odd cents on the first ones).
    pub count: u32,
    /// The first installment's date.
    pub first: String,
    /// Days between installments (default 30: `dun_store::plans::SPLIT_EVERY_DAYS_DEFAULT`).
    pub every_days: Option<u32>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlanIn {
    /// The customer's reference.
    pub customer: String,
    /// Numbers of the open invoices it covers (one currency).
    pub invoices: Vec<String>,
    /// Each installment, in date order, adding up to what the invoices have open.
    pub installments: Option<Vec<InstallmentIn>>,
    /// Instead of `installments`: divide what is open evenly.
    #[serde(default, deserialize_with = "crate::wire::opt_object")]
    pub split: Option<SplitIn>,
}

/// An invoice named in the request that is not there: 404, as an
/// invoice named anywhere else, naming the field `invoices`.
fn no_such_invoice(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound {
            what: "invoice",
            key,
        } => ApiError::not_found(format!("invoices: there is no invoice {key}")).field("invoices"),
        e => e.into(),
    }
}

/// Puts open invoices on a payment plan: installments that add up exactly
/// to what they have open.
#[utoipa::path(
    post,
    path = "/api/v1/plans",
    tag = "standing",
    request_body = NewPlanIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = PlanOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn create_plan(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiJson(input): ApiJson<NewPlanIn>,
) -> Result<(StatusCode, Json<PlanOut>), ApiError> {
    if input.invoices.is_empty() {
        return Err(ApiError::invalid("invoices", "invoices: name at least one"));
    }
    let given = match (&input.installments, &input.split) {
        (Some(list), None) if !list.is_empty() => list
            .iter()
            .enumerate()
            .map(|(i, x)| {
                Ok((
                    wire::parse_date(&format!("installments[{i}].date"), &x.date)?,
                    x.amount.clone(),
                ))
            })
            .collect::<Result<Vec<_>, ApiError>>()
            .map(Some)?,
        (None, Some(_)) => None,
        _ => {
            return Err(ApiError::invalid(
                "installments",
                "installments: give at least one installment, or split (not both)",
            ))
        }
    };
    let split = match &input.split {
        Some(s) => Some(dun_store::plans::Split {
            count: s.count,
            first: wire::parse_date("split.first", &s.first)?,
            every_days: s.every_days,
        }),
        None => None,
    };
    let plan = state
        .as_caller(caller, Need::Write, move |store, p| {
            let created_on = today(p)?;
            let installments = match (given, split) {
                (Some(list), _) => {
                    // The invoices' currency, for the amounts; the store
                    // checks it again under the plan's lock.
                    let currency = store
                        .default_currency(p.org_id, &input.invoices)
                        .map_err(no_such_invoice)?;
                    PlanInstallments::Given(
                        list.into_iter()
                            .enumerate()
                            .map(|(i, (due_date, amount))| {
                                Ok(dun_core::terms::Installment {
                                    due_date,
                                    amount_minor: positive(
                                        &format!("installments[{i}].amount"),
                                        &amount,
                                        currency,
                                    )?,
                                })
                            })
                            .collect::<Result<Vec<_>, ApiError>>()?,
                    )
                }
                // The store reads what is open and splits it, under the
                // plan's lock.
                (None, Some(split)) => PlanInstallments::Split(split),
                (None, None) => PlanInstallments::Given(Vec::new()),
            };
            store
                .create_plan(
                    p.org_id,
                    &dun_store::plans::NewPlan {
                        customer_ref: input.customer,
                        invoices: input.invoices.into(),
                        installments,
                        created_on,
                        author: p.author(),
                    },
                    key.as_deref(),
                )
                .map_err(no_such_invoice)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(plan_out(plan))))
}
