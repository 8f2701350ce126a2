//! Online payment through Stripe (issue 19), the shell's part: the
//! webhook (`POST /webhooks/stripe`), the client that creates
//! PaymentIntents, and the pure pieces beside them — the signature
//! ([`signature`]) and reading an event ([`event`]).
//!
//! The webhook has no session or token: the signature is its
//! credential, checked against each organisation's webhook secret before
//! a byte of the body is parsed. The organisation whose secret verifies
//! it is the one the event is applied to, once (see `dun_store::stripe`).

pub mod card_form;
pub mod client;
pub mod event;
pub mod signature;
pub mod sync;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use dun_core::online::PayRequest;
use dun_core::Date;
use sha2::{Digest, Sha256};

use dun_store::stripe::EventOutcome;

use crate::app::AppState;
use crate::problem::ApiError;

/// The webhook's path.
pub const WEBHOOK_PATH: &str = "/webhooks/stripe";
/// Largest event body accepted, in bytes (Stripe's events are a few KiB).
pub const WEBHOOK_BODY_BYTES_MAX: usize = 256 * 1024;

/// The webhook's route, with its own body limit.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(WEBHOOK_PATH, post(webhook))
        .layer(DefaultBodyLimit::max(WEBHOOK_BODY_BYTES_MAX))
}

/// The key a pay request is created under at Stripe (and kept under in
/// the book): the same customer asking to pay the same invoices for the
/// same amount gets the same key, so a double click, a reload or a second
/// tab makes one PaymentIntent, not two.
pub fn idempotency_key(org_id: i64, customer_id: i64, request: &PayRequest) -> String {
    let mut invoices = request.invoices.clone();
    invoices.sort();
    let mut hash = Sha256::new();
    hash.update(format!(
        "{org_id}\n{customer_id}\n{}\n{}\n{}",
        request.currency.code(),
        request.amount_minor,
        invoices.join(",")
    ));
    format!("dun-pay-{}", &hex::encode(hash.finalize())[..40])
}

/// The day `unix_seconds` falls on in `timezone`.
pub fn date_in(unix_seconds: i64, timezone: &str) -> Result<Date, String> {
    let at = jiff::Timestamp::from_second(unix_seconds).map_err(|e| e.to_string())?;
    let zone = jiff::tz::TimeZone::get(timezone).map_err(|e| e.to_string())?;
    let day = at.to_zoned(zone).date();
    Date::parse(&day.to_string()).map_err(|e| e.to_string())
}

fn now_unix() -> i64 {
    jiff::Timestamp::now().as_second()
}

async fn webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match receive(state, headers, body).await {
        Ok(answer) => answer,
        Err(e) => e.into_response(),
    }
}

async fn receive(state: AppState, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let header = match headers.get("stripe-signature") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| {
                    ApiError::bad_request(signature::SignatureError::Malformed.to_string())
                        .field("Stripe-Signature")
                })?
                .to_string(),
        ),
    };
    let secrets = state
        .pool
        .quick(|store| Ok(store.stripe_webhook_secrets()?))
        .await?;
    let keys: Vec<&str> = secrets.iter().map(|(_, s)| s.as_str()).collect();
    let matching = signature::verify(header.as_deref(), &body, &keys, now_unix()).map_err(|e| {
        tracing::warn!(problem = %e, "a Stripe webhook was refused");
        ApiError::bad_request(e.to_string()).field("Stripe-Signature")
    })?;
    let org_ids: Vec<i64> = matching.iter().map(|&i| secrets[i].0).collect();
    // Verified: now the body may be read.
    let parsed: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad_request(event::EventError::NotAnEvent.to_string()))?;
    let (event_id, event_type, created) =
        event::header(&parsed).map_err(|e| ApiError::bad_request(e.to_string()))?;
    // Each organisation whose secret signed it (several share one Stripe
    // account's endpoint) applies it; the metadata decides whose payment
    // it is, the others keep it as ignored.
    let mut outcomes = Vec::with_capacity(org_ids.len());
    let intent_id = parsed["data"]["object"]["id"].as_str().map(str::to_string);
    for org_id in org_ids {
        let parsed = parsed.clone();
        let outcome = state
            .pool
            .write(move |store| {
                let org = store.org_by_id(org_id)?;
                let date = date_in(created, &org.timezone)
                    .map_err(|e| ApiError::bad_request(format!("created: {created}: {e}")))?;
                let mapped = event::map(&parsed, org_id, date)
                    .map_err(|e| ApiError::bad_request(e.to_string()))?;
                Ok(store.apply_stripe_event(org_id, &mapped)?)
            })
            .await?;
        tracing::info!(org_id, event_id = %event_id, event_type = %event_type, outcome = ?outcome, "a Stripe event was received");
        if matches!(outcome, EventOutcome::Posted { .. }) {
            if let Some(intent_id) = &intent_id {
                record_fee(&state, org_id, &event_id, intent_id).await;
            }
        }
        outcomes.push(outcome);
    }
    // What is answered: the outcome that did something, if any.
    let result = outcomes
        .iter()
        .find(|o| !matches!(o, EventOutcome::Ignored))
        .or(outcomes.first())
        .cloned();
    Ok((
        StatusCode::OK,
        Json(serde_json::json!({"received": true, "event": event_id, "result": result})),
    )
        .into_response())
}

/// Asks Stripe for its fee on a payment just posted and keeps it beside
/// it. Best effort: the payment stands whatever happens here, and a fee
/// Stripe has not settled yet is simply not known.
async fn record_fee(state: &AppState, org_id: i64, event_id: &str, intent_id: &str) {
    let keys = match state
        .pool
        .quick(move |store| Ok(store.stripe_keys(org_id)?))
        .await
    {
        Ok(keys) => keys,
        Err(e) => {
            tracing::warn!(org_id, problem = %e.detail, "Stripe's fee was not read");
            return;
        }
    };
    let Some(secret_key) = keys.secret_key else {
        return;
    };
    let base = state.config.stripe_api_base.clone();
    let intent = intent_id.to_string();
    let fee =
        tokio::task::spawn_blocking(move || client::Client::new(&base, &secret_key).fee(&intent))
            .await;
    let (fee_minor, currency) = match fee {
        Ok(Ok(Some(fee))) => fee,
        Ok(Ok(None)) => return,
        Ok(Err(e)) => {
            tracing::warn!(org_id, problem = %e, "Stripe's fee was not read");
            return;
        }
        Err(e) => {
            tracing::warn!(org_id, problem = %e, "Stripe's fee was not read");
            return;
        }
    };
    let event_id = event_id.to_string();
    if let Err(e) = state
        .pool
        .write(move |store| Ok(store.set_stripe_fee(org_id, &event_id, fee_minor, currency)?))
        .await
    {
        tracing::warn!(org_id, problem = %e.detail, "Stripe's fee was not kept");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dun_core::Currency;

    fn request(amount: i64, invoices: &[&str]) -> PayRequest {
        PayRequest {
            currency: Currency::parse("EUR").unwrap(),
            amount_minor: amount,
            invoices: invoices.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn the_same_pay_request_has_the_same_key() {
        let a = idempotency_key(1, 2, &request(100, &["B", "A"]));
        assert_eq!(a, idempotency_key(1, 2, &request(100, &["A", "B"])));
        assert_ne!(a, idempotency_key(1, 2, &request(101, &["A", "B"])));
        assert_ne!(a, idempotency_key(1, 3, &request(100, &["A", "B"])));
        assert_ne!(a, idempotency_key(2, 2, &request(100, &["A", "B"])));
        assert!(a.len() <= 255);
    }

    #[test]
    fn a_timestamp_falls_on_its_zones_day() {
        // 2026-12-07T23:30:00Z
        let t = 1_796_686_200;
        assert_eq!(date_in(t, "UTC").unwrap().to_string(), "2026-12-07");
        assert_eq!(
            date_in(t, "Europe/Berlin").unwrap().to_string(),
            "2026-12-08"
        );
        assert!(date_in(t, "Nowhere/Else").is_err());
    }
}
