//! The credit file: a customer's collateral and payment plans.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use dun_store::plans::PlanInstallments;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{AppState, Caller, Need};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IdempotencyKey};
use crate::problem::ApiError;
use crate::wire;

use super::{no_such_invoice, positive, today};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_collateral, add_collateral))
        .routes(routes!(list_plans, create_plan))
}

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
