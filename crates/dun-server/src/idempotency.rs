//! `Idempotency-Key` on every POST: the first answer is kept and replayed.
//!
//! For a POST carrying the header, this layer hashes the method, path and
//! body, and claims the key in the database (scoped by a hash of the
//! caller's credential, so different callers' keys never meet). A repeat
//! with the same request gets the first answer again, byte for byte (with
//! `idempotent-replayed: true`); with a different request, 422; while the
//! first is still being answered, 409. A 5xx is not kept, so a retry goes
//! ahead. Commands whose store call takes the key as well (payments,
//! invoices, credit notes…) are also done once inside their own
//! transaction, which closes the window between doing the command and
//! keeping its answer; for the others, a process that dies in that window
//! leaves a claim that is taken over after `ABANDONED_AFTER_SECONDS`.

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use dun_store::http_requests::KeyClaim;
use sha2::{Digest, Sha256};

use crate::app::{session_cookie, AppState};
use crate::extract::{IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_BYTES_MAX};
use crate::problem::ApiError;

/// A claim never answered (its process died) is taken over after this.
pub const ABANDONED_AFTER_SECONDS: i64 = 300;
/// Kept answers are swept after this.
pub const KEPT_SECONDS: i64 = 24 * 3600;
/// Largest answer kept for replay.
const ANSWER_BYTES_MAX: usize = 4 * 1024 * 1024;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whose key this is: a hash of the credential the request carries.
fn scope(request: &Request<Body>) -> Option<String> {
    if let Some(auth) = request.headers().get(header::AUTHORIZATION) {
        return Some(hex(&Sha256::digest(auth.as_bytes())));
    }
    session_cookie(request.headers()).map(|value| hex(&Sha256::digest(value.as_bytes())))
}

pub async fn remember(
    State(state): State<AppState>,
    request: Request<Body>,
    next: Next,
) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let Some(key) = request.headers().get(IDEMPOTENCY_HEADER) else {
        return next.run(request).await;
    };
    let key = match key.to_str().ok().map(str::trim).filter(|k| {
        !k.is_empty() && k.len() <= IDEMPOTENCY_KEY_BYTES_MAX && k.chars().all(|c| c.is_ascii_graphic())
    }) {
        Some(k) => k.to_string(),
        None => {
            return ApiError::invalid(
                "Idempotency-Key",
                format!("Idempotency-Key: must be 1 to {IDEMPOTENCY_KEY_BYTES_MAX} printable ASCII characters"),
            )
            .into_response()
        }
    };
    // Without a credential the handler answers 401; nothing to remember.
    let Some(scope) = scope(&request) else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, state.config.body_limit_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "Request too large",
                "the body is larger than the server accepts (body_limit_bytes)",
            )
            .into_response()
        }
    };
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(parts.uri.path().as_bytes());
    hasher.update(b"?");
    hasher.update(parts.uri.query().unwrap_or("").as_bytes());
    hasher.update(b"\n");
    hasher.update(&bytes);
    let request_sha256 = hex(&hasher.finalize());
    let claim = {
        let (scope, key) = (scope.clone(), key.clone());
        state
            .pool
            .write(move |store| {
                Ok(store.claim_http_key(
                    &scope,
                    &key,
                    &request_sha256,
                    &store.now_utc(),
                    &crate::wire::utc_in(-ABANDONED_AFTER_SECONDS),
                )?)
            })
            .await
    };
    match claim {
        Err(e) => return e.into_response(),
        Ok(KeyClaim::Reused) => {
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency key reused",
                "Idempotency-Key: this key was sent before with a different request; use a new key",
            )
            .field("Idempotency-Key")
            .into_response()
        }
        Ok(KeyClaim::InProgress) => {
            return ApiError::conflict(
                "a request with this Idempotency-Key is still being answered; retry in a moment",
            )
            .field("Idempotency-Key")
            .into_response()
        }
        Ok(KeyClaim::Answered {
            status,
            content_type,
            body,
        }) => {
            let mut response =
                (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
            if let Ok(value) = HeaderValue::from_str(&content_type) {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            return response;
        }
        Ok(KeyClaim::Fresh) => {}
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, ANSWER_BYTES_MAX).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let _ = state
                .pool
                .write(move |store| Ok(store.release_http_key(&scope, &key)?))
                .await;
            return ApiError::internal("an answer too large to keep for its Idempotency-Key")
                .into_response();
        }
    };
    let status = parts.status;
    let text = String::from_utf8(bytes.to_vec()).ok();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let kept = match text {
        Some(text) if !status.is_server_error() => {
            state
                .pool
                .write(move |store| {
                    Ok(store.answer_http_key(
                        &scope,
                        &key,
                        status.as_u16(),
                        &content_type,
                        &text,
                    )?)
                })
                .await
        }
        _ => {
            state
                .pool
                .write(move |store| Ok(store.release_http_key(&scope, &key)?))
                .await
        }
    };
    if let Err(e) = kept {
        tracing::error!(detail = %e.detail, cause = ?e.internal, "an answer could not be kept for its Idempotency-Key");
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}

/// Forgets kept answers older than a day (called by the scheduler).
pub async fn sweep(state: &AppState) {
    let before = crate::wire::utc_in(-KEPT_SECONDS);
    if let Err(e) = state
        .pool
        .write(move |store| Ok(store.sweep_http_keys(&before)?))
        .await
    {
        tracing::warn!(detail = %e.detail, "kept Idempotency-Key answers could not be swept");
    }
}
