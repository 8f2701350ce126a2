//! Sign-in, sign-out and first-run set-up, as forms. Sign-in makes the
//! same session as `POST /api/v1/session`, under the same rate limit.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Form;
use dun_server::app::{session_cookie, AppState, Caller, Need, SESSION_COOKIE};
use dun_server::problem::ApiError;
use dun_server::wire;
use dun_store::accounts::{NewSession, Setup};
use dun_store::orgs::NewOrg;
use dun_store::Store;
use maud::{html, Markup};
use serde::Deserialize;

use crate::layout::bare;
use crate::{error_page, html, see_other};

#[derive(Default, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    /// Needed only when the user belongs to several organisations.
    organisation: Option<String>,
}

fn sign_in_form(error: Option<&str>, form: &SignInForm) -> Markup {
    bare(
        "Sign in",
        html! {
            h1 { "Sign in" }
            @if let Some(error) = error {
                p.notice.bad role="alert" { (error) }
            }
            form.stack method="post" action="/sign-in" {
                label for="email" { "E-mail address" }
                input #email type="email" name="email" value=(form.email) required autocomplete="username" autofocus;
                label for="password" { "Password" }
                input #password type="password" name="password" required autocomplete="current-password";
                label for="organisation" { "Organisation " span.hint { "(only if you belong to several)" } }
                input #organisation type="text" name="organisation" value=(form.organisation.as_deref().unwrap_or(""));
                button.primary type="submit" { "Sign in" }
            }
        },
    )
}

pub async fn sign_in_page(State(state): State<AppState>) -> Response {
    if let Ok(0) = state.pool.run(|store| Ok(store.user_count()?)).await {
        return see_other("/setup");
    }
    html(StatusCode::OK, sign_in_form(None, &SignInForm::default()))
}

/// Opens a session for `email` if the password is right: `None` if not.
fn open_session(
    store: &mut Store,
    email: &str,
    password: &str,
    organisation: Option<&str>,
    session_hours: u64,
) -> Result<Option<NewSession>, ApiError> {
    let Some(user) = store.check_password(email, password)? else {
        return Ok(None);
    };
    let memberships = store.memberships(user.id)?;
    let org = match (organisation, memberships.as_slice()) {
        (_, []) => return Err(ApiError::forbidden("this user belongs to no organisation")),
        (None, [(org, _)]) => org.clone(),
        (None, many) => {
            return Err(ApiError::invalid(
                "organisation",
                format!(
                    "You belong to several organisations; name one of {}.",
                    many.iter()
                        .map(|(o, _)| o.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ))
        }
        (Some(name), all) => all
            .iter()
            .find(|(o, _)| o.name == name)
            .map(|(o, _)| o.clone())
            .ok_or_else(|| {
                ApiError::invalid(
                    "organisation",
                    format!("'{name}' is not one of your organisations."),
                )
            })?,
    };
    let expires = dun_server::wire::utc_in(session_hours as i64 * 3600);
    Ok(Some(store.create_session(user.id, org.id, &expires)?))
}

/// Sends the browser on to the dashboard with the session cookie set.
pub(crate) fn signed_in(state: &AppState, session: &NewSession) -> Response {
    let secure = if state.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        session.secret,
        state.config.session_hours * 3600
    );
    let mut response = see_other("/dashboard");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// Whether a signed-out form (sign-in, set-up) was posted from another
/// site: the browser says so (`Sec-Fetch-Site: cross-site`), or its
/// `Origin` names another host than the one it asked. Such a post is
/// login CSRF — signing the victim in to the attacker's account — and is
/// refused (OWASP: verifying origin with standard headers). A client that
/// sends neither header (curl, a script) is not a browser being steered.
/// Behind a proxy that rewrites `Host`, the origin of the configured
/// public URL is Dun's own too.
pub(crate) fn posted_from_another_site(headers: &axum::http::HeaderMap, public_url: &str) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if text("sec-fetch-site") == Some("cross-site") {
        return true;
    }
    match (text("origin"), text("host")) {
        (Some("null"), _) => true,
        (Some(origin), host) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            let public = public_url.trim_end_matches('/');
            let same_host = host.is_some_and(|h| origin_host.eq_ignore_ascii_case(h));
            !same_host && !origin.eq_ignore_ascii_case(public)
        }
        _ => false,
    }
}

pub(crate) fn another_site() -> Response {
    html(
        StatusCode::FORBIDDEN,
        crate::layout::bare(
            "Refused",
            maud::html! {
                h1 { "Refused" }
                p.notice.bad { "This form was sent from another site. Open Dun's own sign-in page and sign in there." }
                p { a href="/sign-in" { "Sign in" } }
            },
        ),
    )
}

pub async fn sign_in_submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    if posted_from_another_site(&headers, &state.config.site_url()) {
        return another_site();
    }
    let client = dun_server::limits::client_of(peer.ip(), &headers, &state.config.trusted_proxies);
    let limiter = state.login_limiter.clone();
    if let Err(wait) = limiter.check(&form.email, &client, Instant::now()) {
        let message =
            format!("Too many failed sign-ins for this address; try again in {wait} seconds.");
        return html(
            StatusCode::TOO_MANY_REQUESTS,
            sign_in_form(Some(&message), &form),
        );
    }
    let session_hours = state.config.session_hours;
    let (email, password) = (form.email.clone(), form.password.clone());
    let organisation = form.organisation.clone().filter(|o| !o.trim().is_empty());
    let outcome = state
        .pool
        .run(move |store| {
            open_session(
                store,
                &email,
                &password,
                organisation.as_deref(),
                session_hours,
            )
        })
        .await;
    match outcome {
        Ok(Some(session)) => {
            limiter.succeeded(&form.email, &client);
            signed_in(&state, &session)
        }
        Ok(None) => {
            limiter.failed(&form.email, &client, Instant::now());
            html(
                StatusCode::UNAUTHORIZED,
                sign_in_form(Some("The e-mail address or the password is wrong."), &form),
            )
        }
        Err(e) if e.status.is_client_error() => {
            html(e.status, sign_in_form(Some(&e.detail), &form))
        }
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf_token: Option<String>,
}

/// Ends the session (a write: it carries the CSRF token) and clears the
/// cookie.
pub async fn sign_out(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    headers: axum::http::HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let Ok(caller) = caller else {
        return see_other("/sign-in");
    };
    let caller = caller.with_form_csrf(form.csrf_token);
    let secret = session_cookie(&headers);
    let ended = state
        .as_caller(caller, Need::Read, move |store, _| {
            if let Some(secret) = secret {
                store.end_session(&secret)?;
            }
            Ok(())
        })
        .await;
    if let Err(e) = ended {
        return error_page(e);
    }
    let mut response = see_other("/sign-in");
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("dun_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    response
}

#[derive(Default, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

fn setup_form(error: Option<&str>, form: &SetupForm) -> Markup {
    let currency = if form.currency.is_empty() {
        "USD"
    } else {
        &form.currency
    };
    let timezone = if form.timezone.is_empty() {
        "UTC"
    } else {
        &form.timezone
    };
    bare(
        "Set up",
        html! {
            h1 { "Set up Dun" }
            p { "The database is empty. Name your organisation and make its owner; you will be signed in." }
            @if let Some(error) = error {
                p.notice.bad role="alert" { (error) }
            }
            form.stack method="post" action="/setup" {
                fieldset {
                    legend { "Organisation" }
                    label for="organisation" { "Name" }
                    input #organisation type="text" name="organisation" value=(form.organisation) required autofocus;
                    label for="currency" { "Home currency " span.hint { "(ISO 4217, e.g. USD, EUR, GBP)" } }
                    input #currency type="text" name="currency" value=(currency) required maxlength="3" autocapitalize="characters";
                    label for="timezone" { "Time zone " span.hint { "(e.g. Europe/London)" } }
                    input #timezone type="text" name="timezone" value=(timezone) required;
                }
                fieldset {
                    legend { "Owner" }
                    label for="name" { "Your name" }
                    input #name type="text" name="name" value=(form.name) required autocomplete="name";
                    label for="email" { "E-mail address" }
                    input #email type="email" name="email" value=(form.email) required autocomplete="username";
                    label for="password" { "Password " span.hint { "(at least " (dun_store::passwords::PASSWORD_CHARS_MIN) " characters; a few unrelated words make a good one)" } }
                    input #password type="password" name="password" required minlength=(dun_store::passwords::PASSWORD_CHARS_MIN) autocomplete="new-password";
                }
                button.primary type="submit" { "Create and sign in" }
            }
        },
    )
}

pub async fn setup_page(State(state): State<AppState>) -> Response {
    match state.pool.run(|store| Ok(store.user_count()?)).await {
        Ok(0) => html(StatusCode::OK, setup_form(None, &SetupForm::default())),
        Ok(_) => see_other("/sign-in"),
        Err(e) => error_page(e),
    }
}

pub async fn setup_submit(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Form(form): Form<SetupForm>,
) -> Response {
    if posted_from_another_site(&headers, &state.config.site_url()) {
        return another_site();
    }
    let checked = wire::parse_currency("currency", form.currency.trim().to_uppercase().as_str())
        .and_then(|currency| {
            if jiff::tz::TimeZone::get(form.timezone.trim()).is_err() {
                return Err(ApiError::invalid(
                    "timezone",
                    format!(
                        "timezone: '{}' is not a time zone; use an IANA name such as Europe/London",
                        form.timezone
                    ),
                ));
            }
            Ok(currency)
        });
    let currency = match checked {
        Ok(c) => c,
        Err(e) => return html(e.status, setup_form(Some(&e.detail), &form)),
    };
    let setup = Setup {
        org: NewOrg {
            name: form.organisation.trim().to_string(),
            currency,
            timezone: form.timezone.trim().to_string(),
            invoice_prefix: "INV-".into(),
        },
        email: form.email.trim().to_string(),
        name: form.name.trim().to_string(),
        password: form.password.clone(),
    };
    let session_hours = state.config.session_hours;
    let outcome = state
        .pool
        .run(move |store| {
            store.setup(&setup)?;
            open_session(
                store,
                &setup.email,
                &setup.password,
                Some(&setup.org.name),
                session_hours,
            )
        })
        .await;
    match outcome {
        Ok(Some(session)) => signed_in(&state, &session),
        Ok(None) => error_page(ApiError::internal("the owner just made could not sign in")),
        Err(e) if e.status == StatusCode::CONFLICT => see_other("/sign-in"),
        Err(e) if e.status.is_client_error() => html(e.status, setup_form(Some(&e.detail), &form)),
        Err(e) => error_page(e),
    }
}
