//! Links to a customer's portal: made for a person to send by their own
//! means, and withdrawn when one went to the wrong person.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{AppState, Caller, Need};
use crate::extract::ApiPath;
use crate::problem::ApiError;
use crate::wire;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(make_portal_link))
        .routes(routes!(withdraw_portal_links))
}

/// A signed link to one customer's portal.
#[derive(Serialize, ToSchema)]
pub struct PortalLinkOut {
    pub customer: String,
    /// `{public_url}/portal/{token}`: open invoices, statement, PDFs,
    /// promise and dispute, for this customer only, with no sign-in.
    pub url: String,
    /// The last day the link works.
    pub expires_on: String,
}

/// Makes a signed link to the customer's portal, valid as long as the links
/// printed on documents, to send by your own means.
#[utoipa::path(
    post,
    path = "/api/v1/customers/{reference}/portal-links",
    tag = "customers",
    params(
        ("reference" = String, Path, description = "The customer's reference"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = PortalLinkOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn make_portal_link(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(reference): ApiPath<String>,
) -> Result<(StatusCode, Json<PortalLinkOut>), ApiError> {
    let public_url = state.config.public_url.clone();
    let out = state
        .as_caller(caller, Need::Write, move |store, p| {
            let today = wire::today_in(&p.org.timezone)?;
            let customer = store.customer(p.org_id, &reference)?;
            let url =
                dun_mail::attachments::portal_link(store, p.org_id, customer.id, today, public_url.as_deref())?
                    .ok_or_else(|| {
                        ApiError::conflict(
                            "public_url: the server has no public address (DUN_PUBLIC_URL) to put in a link",
                        )
                        .field("public_url")
                    })?;
            Ok(PortalLinkOut {
                customer: customer.reference,
                url,
                expires_on: today
                    .add_days(dun_mail::attachments::PORTAL_LINK_DAYS)
                    .to_string(),
            })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// What withdrawing a customer's portal links did.
#[derive(Serialize, ToSchema)]
pub struct WithdrawnOut {
    pub customer: String,
    /// How many times this customer's links have been withdrawn, this time
    /// included.
    pub withdrawals: i64,
}

/// Withdraws every portal link made so far for the customer (one sent to
/// the wrong person, say): they answer "withdrawn"; the next link made or
/// sent works. Logged on the customer's timeline.
#[utoipa::path(
    post,
    path = "/api/v1/customers/{reference}/portal-links/withdraw",
    tag = "customers",
    params(
        ("reference" = String, Path, description = "The customer's reference"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = WithdrawnOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn withdraw_portal_links(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(reference): ApiPath<String>,
) -> Result<Json<WithdrawnOut>, ApiError> {
    let out = state
        .as_caller(caller, Need::Write, move |store, p| {
            let today = wire::today_in(&p.org.timezone)?;
            let withdrawals =
                store.withdraw_portal_links(p.org_id, &reference, today, &p.author())?;
            Ok(WithdrawnOut {
                customer: reference,
                withdrawals,
            })
        })
        .await?;
    Ok(Json(out))
}
