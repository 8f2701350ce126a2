//! Escalation reviews: deciding one (hand over to an agency or a lawyer,
//! write off, or reject), the agency list, and a customer's claim file.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use dun_core::collections::escalation::Decision;
use dun_mail::attachments::DocumentError;
use dun_mail::claim_file;
use dun_store::escalations::ReviewDecision;
use dun_store::escalations::{Amount, EscalationRecord, HandedOver};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{AppState, Caller, Need};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::problem::ApiError;
use crate::routes::collections::{task_out, TaskOut};
use crate::wire;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(decide_review))
        .routes(routes!(list_handed_over))
        .routes(routes!(claim_file_zip))
}

/// An amount in one currency.
#[derive(Serialize, ToSchema)]
pub struct AmountOut {
    pub currency: String,
    /// A decimal string in the currency's exponent.
    pub amount: String,
}

fn amounts_out(list: &[Amount]) -> Vec<AmountOut> {
    list.iter()
        .map(|a| AmountOut {
            currency: a.currency.code().to_string(),
            amount: wire::amount(a.amount_minor, a.currency),
        })
        .collect()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    /// `agency`, `legal`, `write_off` (the owner only) or `reject`.
    pub decision: String,
    /// Why, in a sentence; kept with the decision and on the timeline.
    pub reason: String,
    /// The day it is decided (default: today).
    pub on: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct WrittenOffOut {
    pub invoice: String,
    pub currency: String,
    pub amount: String,
}

#[derive(Serialize, ToSchema)]
pub struct DecisionOut {
    pub task: TaskOut,
    /// `agency`, `legal`, `write_off` or `rejected`.
    pub decision: String,
    pub reason: String,
    pub decided_on: String,
    /// What was open when handed over, per currency.
    pub handed_over: Vec<AmountOut>,
    pub written_off: Vec<WrittenOffOut>,
    pub author: String,
}

fn decision_out(r: EscalationRecord) -> DecisionOut {
    DecisionOut {
        handed_over: amounts_out(&r.handed_over),
        written_off: r
            .written_off
            .iter()
            .map(|(number, a)| WrittenOffOut {
                invoice: number.clone(),
                currency: a.currency.code().to_string(),
                amount: wire::amount(a.amount_minor, a.currency),
            })
            .collect(),
        task: task_out(r.task),
        decision: r.decision,
        reason: r.reason,
        decided_on: r.decided_on.to_string(),
        author: r.author,
    }
}

/// Decides an escalation review: approving `agency` or `legal` sets the
/// customer's status (the ladder stops; payments still post), `write_off`
/// (the owner only) writes the review's invoices off, `reject` closes the
/// review and the ladder goes on. A review is decided once (409 after).
#[utoipa::path(
    post,
    path = "/api/v1/tasks/{task_id}/decision",
    tag = "collections",
    request_body = DecisionIn,
    params(("task_id" = i64, Path, description = "The escalation review's task id")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = DecisionOut),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn decide_review(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(task_id): ApiPath<i64>,
    ApiJson(input): ApiJson<DecisionIn>,
) -> Result<Json<DecisionOut>, ApiError> {
    let decision = Decision::parse(&input.decision).ok_or_else(|| {
        ApiError::invalid(
            "decision",
            format!(
                "decision: '{}' is not one; give {}",
                input.decision,
                Decision::ACCEPTED
            ),
        )
    })?;
    let on = wire::opt_date("on", input.on.as_deref())?;
    // Writing money off is the owner's; the rest a collector may decide.
    let need = match decision {
        Decision::Approve(e) if e.needs_owner() => Need::Own,
        _ => Need::Write,
    };
    let record = state
        .as_caller(caller, need, move |store, p| {
            let on = match on {
                Some(day) => day,
                None => wire::today_in(&p.org.timezone)?,
            };
            let by_owner = p.role == dun_store::accounts::Role::Owner;
            Ok(store.decide_escalation(
                p.org_id,
                task_id,
                &ReviewDecision {
                    decision,
                    reason: &input.reason,
                    on,
                    by_owner,
                },
                &p.author(),
            )?)
        })
        .await?;
    Ok(Json(decision_out(record)))
}

/// A customer with an agency or a lawyer.
#[derive(Serialize, ToSchema)]
pub struct HandedOverOut {
    pub customer_reference: String,
    pub customer_name: String,
    /// `with_agency` or `legal`.
    pub status: String,
    /// The day the review was approved (none: a person set the status).
    pub since: Option<String>,
    pub reason: Option<String>,
    pub handed_over: Vec<AmountOut>,
    /// Received since it was handed over: what to report to the agency.
    pub received_since: Vec<AmountOut>,
    pub open_now: Vec<AmountOut>,
}

fn handed_over_out(h: HandedOver) -> HandedOverOut {
    HandedOverOut {
        handed_over: amounts_out(&h.handed_over),
        received_since: amounts_out(&h.received_since),
        open_now: amounts_out(&h.open_now),
        customer_reference: h.customer_ref,
        customer_name: h.customer_name,
        status: h.status.to_string(),
        since: h.since.map(|d| d.to_string()),
        reason: h.reason,
    }
}

/// The agency list: every customer with an agency or a lawyer, what they
/// owed when handed over, what they paid since and what is open now.
#[utoipa::path(
    get,
    path = "/api/v1/escalations",
    tag = "collections",
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = Vec<HandedOverOut>))
)]
async fn list_handed_over(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<HandedOverOut>>, ApiError> {
    let list = state
        .as_caller(caller, Need::Read, move |store, p| {
            Ok(store.handed_over(p.org_id)?)
        })
        .await?;
    Ok(Json(list.into_iter().map(handed_over_out).collect()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ClaimFileQuery {
    /// The day it speaks for (default: today).
    pub as_of: Option<String>,
}

/// The customer's claim file, for an agency or a court: a ZIP with
/// `claim-file.pdf` (open invoices; every reminder, letter, call, promise
/// and dispute with its date), the statements of account as PDF, and
/// `invoices.csv` and `history.csv`.
#[utoipa::path(
    get,
    path = "/api/v1/customers/{reference}/claim-file.zip",
    tag = "customers",
    params(("reference" = String, Path, description = "The customer's reference"), ClaimFileQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, description = "The claim file as ZIP", content_type = "application/zip"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn claim_file_zip(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(reference): ApiPath<String>,
    ApiQuery(query): ApiQuery<ClaimFileQuery>,
) -> Result<Response, ApiError> {
    let as_of = wire::opt_date("as_of", query.as_of.as_deref())?;
    let (name, bytes) = state
        .as_caller(caller, Need::Read, move |store, p| {
            let as_of = match as_of {
                Some(day) => day,
                None => wire::today_in(&p.org.timezone)?,
            };
            let bundle =
                claim_file::claim_file(store, p.org_id, &reference, as_of).map_err(claim_error)?;
            let bytes = claim_file::zip(&bundle).map_err(claim_error)?;
            Ok((bundle.name, bytes))
        })
        .await?;
    Ok(zip_response(&name, bytes))
}

fn claim_error(e: DocumentError) -> ApiError {
    match e {
        DocumentError::Store(e) => e.into(),
        DocumentError::Refused(message) | DocumentError::NotConforming(message) => {
            ApiError::internal(message)
        }
        draft @ DocumentError::Draft { .. } => ApiError::internal(draft.to_string()),
        DocumentError::Render(e) => ApiError::internal(format!("rendering a PDF: {e}")),
    }
}

/// The bundle's bytes, to be saved as `name`.
pub fn zip_response(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, claim_file::ZIP.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}
