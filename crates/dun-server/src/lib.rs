//! Dun's HTTP adapter: `dun serve`.
//!
//! One process serves the JSON API (and, later, the web UI and the customer
//! portal) and runs each organisation's daily collections at its local
//! time. It holds no state of its own beyond caches that may be lost: the
//! book, accounts, sessions and run claims live in the database, so several
//! processes may share one PostgreSQL.
//!
//! A request flows: request id → trace span → metrics → timeout → router →
//! handler, which parses its input (a problem naming the field if bad),
//! then calls [`app::AppState::as_caller`]: authenticate, check the role,
//! and do the store work on a pooled connection on a blocking thread.

// Handlers return `Result<_, ApiError>`; the error carries the problem's
// parts and is built only on the failure path, where its size is no cost.
#![allow(clippy::result_large_err)]

pub mod app;
pub mod config;
pub mod delivery;
pub mod extract;
pub mod headers;
pub mod idempotency;
pub mod limits;
pub mod logging;
pub mod metrics;
pub mod openapi;
pub mod openapi_limits;
pub mod pool;
pub mod problem;
pub mod routes;
pub mod scheduler;
pub mod stripe;
pub mod wire;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, MatchedPath, State};
use axum::http::{HeaderValue, Request, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};

use crate::app::AppState;
use crate::config::Config;
use crate::limits::LoginLimiter;
use crate::metrics::{Metrics, RequestLabels, RouteLabels};
use crate::pool::Pool;
use crate::problem::ApiError;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Request ids: this process's start time and a counter, unique enough to
/// find one request in the logs of several processes.
#[derive(Clone)]
struct Sequential {
    prefix: Arc<str>,
    next: Arc<AtomicU64>,
}

impl MakeRequestId for Sequential {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

/// Brings the schema up to date and builds the shared state.
pub fn state(config: Config) -> Result<AppState, dun_store::StoreError> {
    // One connection migrates; the pool's connections only connect.
    dun_store::Store::open(&config.database_url)?;
    let pool = Pool::new(
        &config.database_url,
        config.pool_size,
        config.sqlite_cache_mib,
        config.sqlite_mmap_mib,
    );
    let login_limiter = LoginLimiter::new(
        config.login_failures_max,
        Duration::from_millis(config.login_window_ms),
    );
    Ok(AppState {
        config: Arc::new(config),
        pool,
        metrics: Arc::new(Metrics::new()),
        login_limiter: Arc::new(login_limiter),
        smtp: None,
    })
}

/// The whole application: API routes, operations routes and middleware.
pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// The whole application with `extra` routes (the web UI) merged beside
/// the API's, under the same middleware.
pub fn router_with(state: AppState, extra: Router<AppState>) -> Router {
    let (api, _) = openapi::api_router().split_for_parts();
    let api = api.merge(stripe::routes()).merge(extra);
    let timeout = Duration::from_millis(state.config.request_timeout_ms);
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let ids = Sequential {
        prefix: Arc::from(format!("{started:x}")),
        next: Arc::new(AtomicU64::new(1)),
    };
    let body_limit = state.config.body_limit_bytes;
    let hsts = state.config.secure_cookies();
    api.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(
                    axum::http::HeaderName::from_static(REQUEST_ID_HEADER),
                    ids,
                ))
                .layer(PropagateRequestIdLayer::new(
                    axum::http::HeaderName::from_static(REQUEST_ID_HEADER),
                ))
                .layer(logging::trace_layer())
                .layer(CatchPanicLayer::custom(|_| {
                    ApiError::internal("a handler panicked").into_response()
                }))
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    record_metrics,
                ))
                .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                    ApiError::unavailable(
                        "the request took longer than the server allows (request_timeout_ms)",
                    )
                }))
                .timeout(timeout)
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    idempotency::remember,
                )),
        )
        .layer(headers::security_headers(hsts))
        .with_state(state)
}

async fn method_not_allowed(request: Request<Body>) -> Response {
    if from_a_browser(&request) {
        // Typically a form's address opened again (a reload, a bookmark):
        // the page it came from is one step up.
        return browser_page(
            StatusCode::METHOD_NOT_ALLOWED,
            "This address takes a form",
            "It is where a form on another page sends what you entered; it is not a page to open. \
             Go back to the page the form was on.",
        );
    }
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        "this route does not take that method; see /openapi.json",
    )
    .into_response()
}

async fn not_found(request: Request<Body>) -> Response {
    if from_a_browser(&request) {
        return browser_page(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is no page at this address. It may have been mistyped, or what it showed was removed.",
        );
    }
    ApiError::not_found("no such route; the API is described at /openapi.json").into_response()
}

/// A person's browser opening a page (it accepts HTML), not a client of
/// the API, whose refusals stay problem documents.
fn from_a_browser(request: &Request<Body>) -> bool {
    let path = request.uri().path();
    let api = path.starts_with("/api/") || path == "/openapi.json" || path == "/metrics";
    let html = request
        .headers()
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    html && !api
}

/// A plain page for a browser that asked for an address the server has no
/// page at: what happened in words and a way back, never a JSON document.
/// `title` and `detail` are this file's own constant text.
fn browser_page(status: StatusCode, title: &'static str, detail: &'static str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Dun</title><link rel=\"stylesheet\" href=\"/assets/dun.css\"></head>\
         <body><main class=\"bare\"><h1>{title}</h1><p>{detail}</p>\
         <p><a href=\"/dashboard\">Go to the dashboard</a></p></main></body></html>"
    );
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

async fn record_metrics(
    State(state): State<AppState>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            method: method.clone(),
            route: route.clone(),
            status,
        })
        .inc();
    state
        .metrics
        .latency
        .get_or_create(&RouteLabels { method, route })
        .observe(seconds);
    response
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets
/// in-flight requests finish (at most `shutdown_grace_ms`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, Router::new(), shutdown).await
}

/// [`serve`] with `extra` routes merged into the application (see
/// [`router_with`]); `dun serve` passes the web UI's.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    extra: Router<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let grace = Duration::from_millis(state.config.shutdown_grace_ms);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let scheduler = if state.config.scheduler {
        Some(tokio::spawn(scheduler::run(state.clone(), stop_rx.clone())))
    } else {
        None
    };
    let app = router_with(state, extra);
    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: finishing requests in flight");
        let _ = signalled_tx.send(());
    });
    let server = tokio::spawn(async move { server.await });
    let _ = signalled_rx.await;
    let _ = stop_tx.send(true);
    let outcome = match tokio::time::timeout(grace, server).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(std::io::Error::other(join.to_string())),
        Err(_) => {
            tracing::warn!(
                grace_ms = grace.as_millis() as u64,
                "requests still running after the grace period; stopping anyway"
            );
            Ok(())
        }
    };
    if let Some(handle) = scheduler {
        let _ = tokio::time::timeout(grace, handle).await;
    }
    outcome
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
