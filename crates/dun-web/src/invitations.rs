//! The pages a one-time link opens, signed out: an invitation (accept with
//! the password of one's account, or as someone new with a name and a
//! password — then signed in to the organisation) and a reset link (set a
//! new password; every session ends). A link expired, used or withdrawn
//! opens a page that says so and nothing else.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use dun_server::app::AppState;
use dun_server::problem::ApiError;
use dun_store::invitations::InvitationOffer;
use dun_store::StoreError;
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::{another_site, posted_from_another_site, signed_in};
use crate::layout::bare;
use crate::{error_page, html as html_response};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/invitations/{token}", get(show).post(accept))
        .route("/reset-password/{token}", get(reset_page).post(reset))
}

/// What the acceptance forms held (a name only from the "new" form).
#[derive(Default, Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

#[derive(Default, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    new_password: String,
}

fn no_such_link() -> Response {
    html_response(
        StatusCode::NOT_FOUND,
        bare(
            "Link not valid",
            html! {
                h1 { "This link is not valid" }
                p.notice.bad { "It has expired, has been used or has been withdrawn. Ask an owner of the organisation for a new one." }
                p { a href="/sign-in" { "Sign in" } }
            },
        ),
    )
}

fn offer_page(token: &str, offer: &InvitationOffer, error: Option<&str>, name: &str) -> Markup {
    let action = format!("/invitations/{token}");
    bare(
        "Invitation",
        html! {
            h1 { "Join " (offer.org_name) }
            p #invitation-offer {
                "You are invited to work in " strong { (offer.org_name) } " as "
                strong { (offer.role.as_str()) } ", at " strong { (offer.email) } "."
                " The invitation expires " (offer.expires_at) "."
            }
            @if let Some(error) = error {
                p.notice.bad role="alert" { (error) }
            }
            section aria-labelledby="existing" {
                h2 #existing { "I have a Dun account" }
                form.stack method="post" action=(action) {
                    label for="existing-password" { "Its password" }
                    input #existing-password type="password" name="password" required autocomplete="current-password";
                    button #accept-existing.primary type="submit" { "Accept and sign in" }
                }
            }
            section aria-labelledby="new" {
                h2 #new { "I am new to Dun" }
                form.stack method="post" action=(action) {
                    label for="new-name" { "Your name" }
                    input #new-name type="text" name="name" value=(name) required autocomplete="name";
                    (crate::layout::new_password_field("new-password", "password", "Choose a password"))
                    button #accept-new.primary type="submit" { "Accept and sign in" }
                }
            }
        },
    )
}

pub async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let secret = token.clone();
    let offer = state
        .pool
        .run(move |store| Ok(store.invitation_offer(&secret, &store.now_utc())?))
        .await;
    match offer {
        Ok(Some(offer)) => html_response(StatusCode::OK, offer_page(&token, &offer, None, "")),
        Ok(None) => no_such_link(),
        Err(e) => error_page(e),
    }
}

pub async fn accept(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    headers: axum::http::HeaderMap,
    Form(form): Form<AcceptForm>,
) -> Response {
    if posted_from_another_site(&headers, &state.config.site_url()) {
        return another_site();
    }
    let name = Some(form.name.clone()).filter(|n| !n.trim().is_empty());
    let accepted = dun_server::routes::accounts::accept_with(
        &state,
        peer,
        &headers,
        token.clone(),
        name,
        form.password.clone(),
    )
    .await;
    let refusal = match accepted {
        Ok(accepted) => {
            let hours = state.config.session_hours;
            let session = state
                .pool
                .run(move |store| {
                    let expires = dun_server::wire::utc_in(hours as i64 * 3600);
                    Ok(store.create_session(accepted.user.id, accepted.org.id, &expires)?)
                })
                .await;
            return match session {
                Ok(session) => signed_in(&state, &session),
                Err(e) => error_page(e),
            };
        }
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => e,
        Err(e) => return error_page(e),
    };
    // The form again with why, while the link is live; else the link's page.
    let secret = token.clone();
    let offer = state
        .pool
        .run(move |store| Ok(store.invitation_offer(&secret, &store.now_utc())?))
        .await;
    match offer {
        Ok(Some(offer)) => html_response(
            refusal.status,
            offer_page(&token, &offer, Some(&refusal.detail), &form.name),
        ),
        Ok(None) => no_such_link(),
        Err(e) => error_page(e),
    }
}

/// What setting a password through a reset link came to.
enum Reset {
    Done(String),
    /// The member's address and why the password was refused.
    Refused(String, String),
    Gone,
}

fn reset_form(token: &str, email: &str, error: Option<&str>) -> Markup {
    bare(
        "Set a new password",
        html! {
            h1 { "Set a new password" }
            p #reset-for { "For " strong { (email) } ". Every session of this account ends when it is set." }
            @if let Some(error) = error {
                p.notice.bad role="alert" { (error) }
            }
            form.stack method="post" action=(format!("/reset-password/{token}")) {
                (crate::layout::new_password_field("reset-password", "new_password", "New password"))
                button #set-password.primary type="submit" { "Set the password" }
            }
        },
    )
}

pub async fn reset_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let secret = token.clone();
    let email = state
        .pool
        .run(move |store| Ok(store.reset_link_email(&secret, &store.now_utc())?))
        .await;
    match email {
        Ok(Some(email)) => html_response(StatusCode::OK, reset_form(&token, &email, None)),
        Ok(None) => no_such_link(),
        Err(e) => error_page(e),
    }
}

pub async fn reset(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: axum::http::HeaderMap,
    Form(form): Form<ResetForm>,
) -> Response {
    if posted_from_another_site(&headers, &state.config.site_url()) {
        return another_site();
    }
    let secret = token.clone();
    let done = state
        .pool
        .write(move |store| {
            let now = store.now_utc();
            let Some(email) = store.reset_link_email(&secret, &now)? else {
                return Ok(Reset::Gone);
            };
            match store.reset_password(&secret, &form.new_password, &now) {
                Ok(_) => Ok(Reset::Done(email)),
                Err(StoreError::Invalid(why)) => Ok(Reset::Refused(email, why)),
                Err(e) => Err(ApiError::from(e)),
            }
        })
        .await;
    match done {
        Ok(Reset::Done(email)) => html_response(
            StatusCode::OK,
            bare(
                "Password set",
                html! {
                    h1 { "Your password is set" }
                    p.notice.ok role="status" { "The password of " strong { (email) } " is changed; every session of this account has ended." }
                    p { a #to-sign-in href="/sign-in" { "Sign in" } }
                },
            ),
        ),
        Ok(Reset::Refused(email, why)) => html_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            reset_form(&token, &email, Some(&why)),
        ),
        Ok(Reset::Gone) => no_such_link(),
        Err(e) => error_page(e),
    }
}
