//! The policy and its versions: the one in force, its history, a document
//! checked without writing (with what its late-payment law would charge),
//! and a document made the new version — what `dun policy` does.

use axum::extract::State;
use axum::Json;
use dun_core::collections::document::{self, DocumentError};
use dun_store::policies::{PolicyVersion, PolicyVersionSummary};
use dun_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{AppState, Caller, Need};
use crate::extract::{ApiJson, ApiPath, IdempotencyKey};
use crate::problem::ApiError;

use super::today;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_policy, put_policy))
        .routes(routes!(policy_versions))
        .routes(routes!(policy_version))
        .routes(routes!(check_policy))
}

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
