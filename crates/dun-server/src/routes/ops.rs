//! Operations: liveness, readiness, metrics and the API's own description.

use axum::extract::{ConnectInfo, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::metrics::StatusLabels;
use crate::problem::ApiError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .routes(routes!(openapi_json))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `ready`.
    pub status: String,
}

/// Whether the process is alive.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

/// Whether the process can serve: the database answers.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, body = Health),
        (status = 503, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state
        .pool
        .run(|store| store.user_count().map_err(ApiError::from))
        .await
        .map_err(|e| {
            tracing::warn!(detail = %e.detail, "not ready");
            ApiError::unavailable("the database does not answer")
        })?;
    Ok(Json(Health {
        status: "ready".into(),
    }))
}

/// Whether a scrape may read the metrics: from this host, or with the
/// configured bearer token (compared in constant time).
pub fn metrics_allowed(
    peer: std::net::IpAddr,
    authorization: Option<&str>,
    token: Option<&str>,
) -> bool {
    if peer.is_loopback() {
        return true;
    }
    match (token, authorization.and_then(|a| a.strip_prefix("Bearer "))) {
        (Some(want), Some(got)) => {
            want.len() == got.len()
                && want
                    .bytes()
                    .zip(got.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        }
        _ => false,
    }
}

/// Prometheus metrics in the text exposition format: to loopback clients,
/// or to others with `DUN_METRICS_TOKEN` as a bearer token.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn metrics(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if !metrics_allowed(
        peer.ip(),
        authorization,
        state.config.metrics_token.as_deref(),
    ) {
        return ApiError::forbidden(
            "the metrics are read from this host, or with the metrics token (DUN_METRICS_TOKEN) as a bearer token",
        )
        .into_response();
    }
    // The outbox's depth is read when scraped: a figure of the database,
    // true whichever process wrote it.
    let depth = state
        .pool
        .run(|store| store.outbox_depth().map_err(ApiError::from))
        .await;
    if let Ok(depth) = depth {
        state.metrics.outbox.clear();
        for (status, count) in depth {
            state
                .metrics
                .outbox
                .get_or_create(&StatusLabels { status })
                .set(count);
        }
    }
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.encode(),
    )
        .into_response()
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"))
)]
async fn openapi_json() -> Response {
    match serde_json::to_string(crate::openapi::document()) {
        Ok(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(e) => {
            ApiError::internal(format!("cannot write the OpenAPI document: {e}")).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::metrics_allowed;

    #[test]
    fn metrics_are_for_this_host_or_the_token() {
        // Issue 18 item 6: /metrics was open to anyone who reached the server.
        let ip = |s: &str| s.parse().unwrap();
        assert!(metrics_allowed(ip("127.0.0.1"), None, None));
        assert!(metrics_allowed(ip("::1"), None, Some("s3cret")));
        assert!(!metrics_allowed(ip("203.0.113.5"), None, None));
        assert!(!metrics_allowed(
            ip("203.0.113.5"),
            Some("Bearer s3cret"),
            None
        ));
        assert!(!metrics_allowed(
            ip("203.0.113.5"),
            Some("Bearer nope!!"),
            Some("s3cret")
        ));
        assert!(metrics_allowed(
            ip("203.0.113.5"),
            Some("Bearer s3cret"),
            Some("s3cret")
        ));
    }
}
