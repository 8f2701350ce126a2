//! The organisation's online-payment settings over HTTP (what `dun org set
//! --stripe-…` does): the Stripe keys are set by the owner and never shown
//! back — only whether each is set; the publishable key is public by
//! design and shown. The rules for a key are the store's
//! (`dun_store::stripe::check_keys`).

use axum::extract::State;
use axum::Json;
use dun_store::stripe::StripeKeys;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{AppState, Caller, Need};
use crate::extract::ApiJson;
use crate::problem::ApiError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_stripe, put_stripe))
}

/// Online payment through Stripe, as set.
#[derive(Serialize, ToSchema)]
pub struct StripeOut {
    /// Whether a secret key (`sk_…` or `rk_…`) is set; never the key.
    pub secret_key_set: bool,
    /// Whether a webhook signing secret (`whsec_…`) is set; never the secret.
    pub webhook_secret_set: bool,
    /// `pk_…`, public by design (the customer's browser is given it).
    pub publishable_key: Option<String>,
    /// The address to give Stripe for webhooks (none until the server
    /// knows its public address, `DUN_PUBLIC_URL`).
    pub webhook_url: Option<String>,
    /// Whether customers are offered to pay by card (a secret key is set).
    pub pay_online: bool,
}

/// The keys to set: a key left out is kept, `""` clears it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StripeIn {
    pub secret_key: Option<String>,
    pub webhook_secret: Option<String>,
    pub publishable_key: Option<String>,
}

fn stripe_out(keys: &StripeKeys, state: &AppState) -> StripeOut {
    StripeOut {
        secret_key_set: keys.secret_key.is_some(),
        webhook_secret_set: keys.webhook_secret.is_some(),
        publishable_key: keys.publishable_key.clone(),
        webhook_url: state
            .config
            .customer_link_base()
            .map(|base| format!("{}/webhooks/stripe", base.trim_end_matches('/'))),
        pay_online: keys.secret_key.is_some(),
    }
}

/// The organisation's online-payment settings (owner only).
#[utoipa::path(
    get,
    path = "/api/v1/organisation/stripe",
    tag = "accounts",
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = StripeOut))
)]
async fn get_stripe(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<StripeOut>, ApiError> {
    let keys = state
        .as_caller(caller, Need::Own, |store, p| {
            Ok(store.stripe_keys(p.org_id)?)
        })
        .await?;
    Ok(Json(stripe_out(&keys, &state)))
}

/// Sets the Stripe keys given (owner only): a key left out is kept, `""`
/// clears it. A malformed key is refused naming its field, without
/// repeating it; nothing is written.
#[utoipa::path(
    put,
    path = "/api/v1/organisation/stripe",
    tag = "accounts",
    request_body = StripeIn,
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = StripeOut),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn put_stripe(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<StripeIn>,
) -> Result<Json<StripeOut>, ApiError> {
    let keys = state
        .as_caller(caller, Need::Own, move |store, p| {
            Ok(store.set_stripe_settings(
                p.org_id,
                input.secret_key.as_deref(),
                input.webhook_secret.as_deref(),
                input.publishable_key.as_deref(),
            )?)
        })
        .await?;
    Ok(Json(stripe_out(&keys, &state)))
}
