//! Dun's web UI: pages rendered on the server (maud, compiled into the
//! binary), plain HTML forms, one stylesheet of our own. Nothing needs
//! JavaScript and nothing is loaded from elsewhere.
//!
//! Every page reaches the book the way the API does: through
//! [`AppState::as_caller`], which authenticates the session cookie (or an
//! API token), checks the role and runs the store work on a pooled
//! connection. A form that writes carries the session's CSRF token as the
//! field `csrf_token` ([`Caller::with_form_csrf`]); without it the write is
//! refused. The organisation always comes from the credential.

// Handlers pass `ApiError` along; it is built only on the failure path.
#![allow(clippy::result_large_err)]

mod assets;
mod auth;
mod bank;
mod charts;
mod customer_actions;
mod customer_new;
mod customers;
mod dashboard;
pub mod dashboard_cache;
mod imports;
mod invitations;
mod invoices;
mod invoices_form;
mod layout;
mod outbox;
mod payments;
mod policy;
mod policy_form;
mod portal;
mod portal_pay;
mod qr;
mod recurring;
mod reports;
mod settings;
mod settings_email;
mod settings_profile;
mod settings_templates;
mod today;
mod worklist;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_store::accounts::Principal;
use dun_store::Store;
use maud::Markup;

pub use imports::IMPORT_UPLOAD_BYTES_MAX;
pub use layout::Ctx;

/// Starts computing what the pages keep (each organisation's dashboard)
/// in the background; call it inside the runtime as the server starts.
pub fn warm(state: AppState) {
    dashboard_cache::warm(state);
}

/// The web UI's routes, to merge beside the API's
/// (`dun_server::serve_with`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route(
            "/sign-in",
            get(auth::sign_in_page).post(auth::sign_in_submit),
        )
        .route("/sign-out", post(auth::sign_out))
        .route("/setup", get(auth::setup_page).post(auth::setup_submit))
        .route("/dashboard", get(dashboard::show))
        .route("/customers", get(customers::list))
        .route("/customers/{reference}", get(customers::show))
        .route("/customers/{reference}/calls", post(customers::log_call))
        .route("/assets/{name}", get(assets::serve))
        .merge(customers::action_routes())
        .merge(invoices::routes())
        .merge(worklist::routes())
        .merge(policy::routes())
        .merge(policy_form::routes())
        .merge(reports::routes())
        .merge(recurring::routes())
        .merge(imports::routes())
        .merge(bank::routes())
        .merge(payments::routes())
        .merge(outbox::routes())
        .merge(today::routes())
        .merge(settings::routes())
        .merge(settings_profile::routes())
        .merge(settings_templates::routes())
        .merge(settings_email::routes())
        .merge(portal::routes())
        .merge(invitations::routes())
}

async fn home(State(state): State<AppState>, caller: Result<Caller, ApiError>) -> Response {
    let Ok(caller) = caller else {
        return to_sign_in(&state).await;
    };
    match state.as_caller(caller, Need::Read, |_, _| Ok(())).await {
        Ok(()) => see_other("/dashboard"),
        Err(_) => to_sign_in(&state).await,
    }
}

/// Signed out: to set-up while the database has no users, else sign-in.
async fn to_sign_in(state: &AppState) -> Response {
    match state.pool.run(|store| Ok(store.user_count()?)).await {
        Ok(0) => see_other("/setup"),
        _ => see_other("/sign-in"),
    }
}

/// A 303 to `to` (after a form, the browser GETs the next page).
pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// An HTML page; never cached (it shows the book as it is now).
pub(crate) fn html(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A page for a refusal: sign-in again on 401, else the status and the
/// problem's sentence (never an error dump).
pub(crate) fn error_page(error: ApiError) -> Response {
    if error.status == StatusCode::UNAUTHORIZED {
        return see_other("/sign-in");
    }
    if error.status.is_server_error() {
        if let Some(cause) = &error.internal {
            eprintln!("dun-web: {cause}");
        }
    }
    html(
        error.status,
        layout::bare(
            error.title,
            maud::html! {
                h1 { (error.title) }
                p.notice.bad { (error.detail) }
                p { a href="/dashboard" { "Back to the dashboard" } }
            },
        ),
    )
}

/// Runs `work` for a signed-in reader with the page's context; a visitor
/// with no credential is sent to sign in.
pub(crate) async fn read_page<F>(
    state: &AppState,
    caller: Result<Caller, ApiError>,
    work: F,
) -> Response
where
    F: FnOnce(&mut Store, &Principal, &Ctx) -> Result<(StatusCode, Markup), ApiError>
        + Send
        + 'static,
{
    let Ok(caller) = caller else {
        return to_sign_in(state).await;
    };
    match state
        .as_caller(caller, Need::Read, move |store, p| {
            let ctx = Ctx::load(p)?;
            work(store, p, &ctx)
        })
        .await
    {
        Ok((status, markup)) => html(status, markup),
        Err(e) => error_page(e),
    }
}

/// A form that writes, for a signed-in caller: checks the form's CSRF token
/// and the role, runs `work` in one write, and answers 303 to the address
/// it returns. A refusal the person can fix (422) shows the form's page
/// again via `again` with the message, status 422, so nothing typed is
/// lost; any other refusal is an error page.
pub(crate) async fn submit<F, G>(
    state: &AppState,
    caller: Result<Caller, ApiError>,
    csrf_token: Option<String>,
    need: Need,
    work: F,
    again: G,
) -> Response
where
    F: FnOnce(&mut Store, &Principal, &Ctx) -> Result<String, ApiError> + Send + 'static,
    G: FnOnce(&mut Store, &Principal, &Ctx, &str) -> Result<Markup, ApiError> + Send + 'static,
{
    let Ok(caller) = caller else {
        return see_other("/sign-in");
    };
    let caller = caller.with_form_csrf(csrf_token);
    let done = state
        .as_caller(caller.clone(), need, move |store, p| {
            let ctx = Ctx::load(p)?;
            work(store, p, &ctx)
        })
        .await;
    match done {
        Ok(to) => see_other(&to),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let message = e.detail;
            read_page(state, Ok(caller), move |store, p, ctx| {
                Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    again(store, p, ctx, &message)?,
                ))
            })
            .await
        }
        Err(e) => error_page(e),
    }
}
