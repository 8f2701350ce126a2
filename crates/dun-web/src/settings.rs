//! The owner's settings: users (invite, change role, issue a reset link,
//! remove; pending invitations, withdrawn at will), API tokens
//! (create, shown once; revoke), the closed period (close the books
//! through a day; reopen with a reason) and online payment (the Stripe
//! keys: set, never shown back, or removed). Everyone sees and manages their
//! own tokens here; only an owner sees the users, every token and the
//! period form. It links to the organisation's profile, the e-mail
//! templates and the sending status (`settings_profile`,
//! `settings_templates`, `settings_email`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_store::accounts::{NewToken, Principal, Role};
use dun_store::Store;
use maud::{html, Markup};
use serde::Deserialize;

use crate::layout::{page, Ctx};
use crate::{error_page, html as html_response, read_page, see_other, submit};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings", get(show))
        .route("/settings/invitations", post(invite))
        .route(
            "/settings/invitations/{invitation_id}/withdraw",
            post(withdraw_invitation),
        )
        .route(
            "/settings/users/{user_id}/reset-link",
            post(issue_reset_link),
        )
        .route("/settings/users/{user_id}/role", post(change_role))
        .route("/settings/users/{user_id}/remove", post(remove_user))
        .route("/settings/tokens", post(create_token))
        .route("/settings/password", post(change_password))
        .route("/settings/period", post(set_period))
        .route("/settings/stripe", post(set_stripe))
        .route("/settings/tokens/{token_id}/revoke", post(revoke_token))
}

/// What the invitation form held, to show again beside its error.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct UserForm {
    csrf_token: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// What the token form held.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct TokenForm {
    csrf_token: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

/// A form that carries only its CSRF token (and maybe a role).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ButtonForm {
    csrf_token: Option<String>,
    #[serde(default)]
    role: String,
}

/// What the page shows beside the lists: an error and the form it came
/// from, or a token's secret shown this once.
#[derive(Default)]
struct Shown<'a> {
    user_error: Option<(&'a str, &'a UserForm)>,
    token_error: Option<(&'a str, &'a TokenForm)>,
    new_token: Option<&'a NewToken>,
    /// A one-time link just made (what it is for, the link), shown once.
    new_link: Option<(&'a str, &'a str)>,
    /// The password form's outcome: `Ok(())` changed, `Err(why)` refused.
    password: Option<Result<(), &'a str>>,
    /// The period form's refusal, with what was typed.
    period_error: Option<(&'a str, &'a PeriodForm)>,
    /// The online-payment form's refusal (keys typed are not shown again).
    stripe_error: Option<&'a str>,
}

/// The Stripe keys: an empty field keeps the key; `clear` removes all three.
#[derive(Deserialize, Default, Clone)]
pub struct StripeForm {
    csrf_token: Option<String>,
    #[serde(default)]
    secret_key: String,
    #[serde(default)]
    webhook_secret: String,
    #[serde(default)]
    publishable_key: String,
    #[serde(default)]
    clear: Option<String>,
}

/// Closing the books through a day (empty: reopen them all).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PeriodForm {
    csrf_token: Option<String>,
    #[serde(default)]
    through: String,
    #[serde(default)]
    reason: String,
}

/// A user's own password change.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PasswordForm {
    csrf_token: Option<String>,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

fn role_select(id: &str, chosen: &str, most: Role) -> Markup {
    html! {
        select id=(id) name="role" {
            @for role in Role::ALL.iter().rev().filter(|r| **r <= most) {
                option value=(role.as_str()) selected[chosen == role.as_str()] { (role.as_str()) }
            }
        }
    }
}

fn settings_page(
    store: &mut Store,
    p: &Principal,
    ctx: &Ctx,
    shown: Shown<'_>,
) -> Result<Markup, ApiError> {
    let owner = p.role == Role::Owner;
    let (members, invitations) = if owner {
        let now = store.now_utc();
        (store.members(p.org_id)?, store.invitations(p.org_id, &now)?)
    } else {
        (Vec::new(), Vec::new())
    };
    let only = (!owner).then_some(p.user_id);
    let tokens = store.tokens(p.org_id, only)?;
    let blank_user = UserForm {
        role: Role::Collector.as_str().into(),
        ..UserForm::default()
    };
    let user_form = shown.user_error.map_or(&blank_user, |(_, f)| f);
    let blank_token = TokenForm {
        role: Role::Collector.as_str().into(),
        ..TokenForm::default()
    };
    let token_form = shown.token_error.map_or(&blank_token, |(_, f)| f);
    let closed = store.closed_period(p.org_id)?;
    let stripe = if owner {
        Some(store.stripe_keys(p.org_id)?)
    } else {
        None
    };
    let blank_period = PeriodForm::default();
    let period_form = shown.period_error.map_or(&blank_period, |(_, f)| f);
    let body = html! {
        h1 { "Settings" }
        nav #settings-more aria-label="More settings" {
            ul {
                li { a href="/settings/profile" { "Organisation profile" } span.hint { " — name, address, tax identifiers, bank details" } }
                li { a href="/settings/templates" { "E-mail templates" } span.hint { " — the wording of every message" } }
                li { a href="/settings/email" { "Sending e-mail" } span.hint { " — SMTP, the public address, the outbox" } }
            }
        }
        @if owner {
            section aria-labelledby="period" {
                h2 #period { "Closed period" }
                @match &closed {
                    Some(c) => p #closed-through { "The books are closed through " strong { (c.through) } " (by " (c.by) ", " (c.at) "): nothing is posted on or before that day." },
                    None => p #closed-through { "No period is closed: entries may be dated on any day." },
                }
                @if let Some((message, _)) = shown.period_error {
                    p.notice.bad role="alert" { (message) }
                }
                form.stack method="post" action="/settings/period" {
                    (ctx.csrf_field())
                    label for="period-through" { "Close the books through " span.hint { "(empty: reopen every period)" } }
                    input #period-through type="date" name="through" value=(period_form.through);
                    label for="period-reason" { "Reason " span.hint { "(needed to reopen, or to move the day back)" } }
                    input #period-reason type="text" name="reason" value=(period_form.reason) placeholder="e.g. November is reconciled";
                    button #close-period.primary type="submit" { "Save" }
                }
            }
            @if let Some(keys) = &stripe {
                section aria-labelledby="stripe" {
                    h2 #stripe { "Online payment (Stripe)" }
                    p #stripe-state {
                        @if keys.secret_key.is_some() {
                            "Customers may pay by card from the portal and from every message. "
                        } @else {
                            "Online payment is off: set a secret key to offer customers to pay by card. "
                        }
                        "Secret key: " strong { @if keys.secret_key.is_some() { "set" } @else { "not set" } }
                        "; webhook signing secret: " strong { @if keys.webhook_secret.is_some() { "set" } @else { "not set" } }
                        "; publishable key: " strong { (keys.publishable_key.as_deref().unwrap_or("not set")) } "."
                    }
                    @if let Some(message) = shown.stripe_error {
                        p.notice.bad role="alert" { (message) }
                    }
                    form.stack method="post" action="/settings/stripe" autocomplete="off" {
                        (ctx.csrf_field())
                        label for="stripe-secret" { "Secret key " span.hint { "(sk_… or rk_…; empty: keep it)" } }
                        input #stripe-secret type="password" name="secret_key" autocomplete="off";
                        label for="stripe-webhook" { "Webhook signing secret " span.hint { "(whsec_…; empty: keep it)" } }
                        input #stripe-webhook type="password" name="webhook_secret" autocomplete="off";
                        label for="stripe-publishable" { "Publishable key " span.hint { "(pk_…; empty: keep it)" } }
                        input #stripe-publishable type="text" name="publishable_key";
                        button #save-stripe.primary type="submit" { "Save" }
                    }
                    @if keys.secret_key.is_some() || keys.webhook_secret.is_some() || keys.publishable_key.is_some() {
                        form.inline method="post" action="/settings/stripe" {
                            (ctx.csrf_field())
                            input type="hidden" name="clear" value="all";
                            button #clear-stripe type="submit" { "Turn online payment off (remove the keys)" }
                        }
                    }
                }
            }
            section aria-labelledby="users" {
                h2 #users { "Users" }
                div.scroll tabindex="0" { table.data {
                    thead { tr {
                        th scope="col" { "Name" } th scope="col" { "E-mail" }
                        th scope="col" { "Role" } th scope="col" { span.visually-hidden { "Reset link or remove" } }
                    } }
                    tbody { @for m in &members {
                        @let role_id = format!("role-{}", m.user.id);
                        tr {
                            td { (m.user.name) }
                            td { (m.user.email) }
                            td {
                                form.inline method="post" action=(format!("/settings/users/{}/role", m.user.id)) {
                                    (ctx.csrf_field())
                                    label.visually-hidden for=(role_id) { "Role of " (m.user.email) }
                                    (role_select(&role_id, m.role.as_str(), Role::Owner))
                                    button type="submit" { "Change role" }
                                }
                            }
                            td {
                                @if m.user.id != p.user_id {
                                    form.inline method="post" action=(format!("/settings/users/{}/reset-link", m.user.id)) {
                                        (ctx.csrf_field())
                                        button type="submit" aria-label=(format!("Reset link for {}", m.user.email)) { "Reset link" }
                                    }
                                    form.inline method="post" action=(format!("/settings/users/{}/remove", m.user.id)) {
                                        (ctx.csrf_field())
                                        button.danger type="submit" aria-label=(format!("Remove {}", m.user.email)) { "Remove" }
                                    }
                                } @else {
                                    span.muted { "you" }
                                }
                            }
                        }
                    } }
                } }
                @if let Some((what, link)) = shown.new_link {
                    div.notice.ok role="status" {
                        p { (what) " Copy the link now and hand it over — it is not shown again:" }
                        p { code #new-link { (link) } }
                    }
                }
                h3 #invitations-title { "Invitations" }
                @if invitations.is_empty() {
                    p.empty #no-invitations { "No invitations pending." }
                } @else {
                    div.scroll tabindex="0" { table.data #invitations {
                        thead { tr {
                            th scope="col" { "E-mail" } th scope="col" { "Role" }
                            th scope="col" { "Expires" } th scope="col" { span.visually-hidden { "Withdraw" } }
                        } }
                        tbody { @for i in &invitations {
                            tr {
                                td { (i.email) }
                                td { (i.role.as_str()) }
                                td { (i.expires_at) }
                                td {
                                    form.inline method="post" action=(format!("/settings/invitations/{}/withdraw", i.id)) {
                                        (ctx.csrf_field())
                                        button.danger type="submit" aria-label=(format!("Withdraw the invitation of {}", i.email)) { "Withdraw" }
                                    }
                                }
                            }
                        } }
                    } }
                }
                h3 #add-user-title { "Invite someone" }
                p.muted { "They become a member when they open the link and accept: with the password of their Dun account, or as someone new with a name and a password. The link works once, for " (dun_store::invitations::INVITATION_DAYS) " days." }
                @if let Some((message, _)) = shown.user_error {
                    p.notice.bad role="alert" { (message) }
                }
                form.stack method="post" action="/settings/invitations" aria-labelledby="add-user-title" {
                    (ctx.csrf_field())
                    label for="user-email" { "E-mail" }
                    input #user-email type="email" name="email" value=(user_form.email) required;
                    label for="user-role" { "Role" }
                    (role_select("user-role", &user_form.role, Role::Owner))
                    button.primary type="submit" { "Make the invitation link" }
                }
            }
        }
        section aria-labelledby="tokens" {
            h2 #tokens { "API tokens" }
            p.muted {
                @if owner { "Every token of the organisation. " } @else { "Your tokens. " }
                "A token acts with its role over the API: send it as "
                code { "Authorization: Bearer …" } "."
            }
            @if let Some(made) = shown.new_token {
                div.notice.ok role="status" {
                    p { "The token " strong { (made.info.name) } " was made. Copy its secret now — it is not shown again:" }
                    p { code #token-secret { (made.secret) } }
                }
            }
            @if tokens.is_empty() {
                p.empty { "No tokens yet." }
            } @else {
                div.scroll tabindex="0" { table.data {
                    thead { tr {
                        th scope="col" { "Name" } th scope="col" { "Starts with" } th scope="col" { "Role" }
                        th scope="col" { "Made by" } th scope="col" { "Made" } th scope="col" { "State" }
                    } }
                    tbody { @for t in &tokens {
                        tr {
                            td { (t.name) }
                            td.code { (t.prefix) "…" }
                            td { (t.role.as_str()) }
                            td { (t.user_email) }
                            td { (t.created_at.get(..10).unwrap_or(&t.created_at)) }
                            td {
                                @if let Some(revoked) = &t.revoked_at {
                                    span.badge.neutral { "revoked " (revoked.get(..10).unwrap_or(revoked)) }
                                } @else {
                                    form.inline method="post" action=(format!("/settings/tokens/{}/revoke", t.id)) {
                                        (ctx.csrf_field())
                                        button.danger type="submit" aria-label=(format!("Revoke {}", t.name)) { "Revoke" }
                                    }
                                }
                            }
                        }
                    } }
                } }
            }
            h3 #new-token-title { "Make a token" }
            @if let Some((message, _)) = shown.token_error {
                p.notice.bad role="alert" { (message) }
            }
            form.stack method="post" action="/settings/tokens" aria-labelledby="new-token-title" {
                (ctx.csrf_field())
                label for="token-name" { "What it is for" }
                input #token-name type="text" name="name" value=(token_form.name) required placeholder="accounting sync";
                label for="token-role" { "Role " span.hint { "(at most your own)" } }
                (role_select("token-role", &token_form.role, p.role))
                button.primary type="submit" { "Make the token" }
            }
        }
        section aria-labelledby="password" {
            h2 #password { "Your password" }
            @match shown.password {
                Some(Ok(())) => {
                    div.notice.ok role="status" { p { "Your password is changed; your other sessions have ended." } }
                }
                Some(Err(message)) => { p.notice.bad role="alert" { (message) } }
                None => {}
            }
            form.stack method="post" action="/settings/password" aria-labelledby="password" {
                (ctx.csrf_field())
                label for="current-password" { "Current password" }
                input #current-password type="password" name="current_password" required autocomplete="current-password";
                (crate::layout::new_password_field("new-password", "new_password", "New password"))
                button.primary type="submit" { "Change the password" }
            }
        }
    };
    Ok(page(ctx, "Settings", "Settings", body))
}

/// The page again with `message` by the users (a button's refusal).
fn users_refused(
    store: &mut Store,
    p: &Principal,
    ctx: &Ctx,
    message: &str,
) -> Result<Markup, ApiError> {
    let blank = UserForm::default();
    let shown = Shown {
        user_error: Some((message, &blank)),
        ..Shown::default()
    };
    settings_page(store, p, ctx, shown)
}

/// The page again with `message` by the tokens (a button's refusal).
fn tokens_refused(
    store: &mut Store,
    p: &Principal,
    ctx: &Ctx,
    message: &str,
) -> Result<Markup, ApiError> {
    let blank = TokenForm::default();
    let shown = Shown {
        token_error: Some((message, &blank)),
        ..Shown::default()
    };
    settings_page(store, p, ctx, shown)
}

pub async fn show(State(state): State<AppState>, caller: Result<Caller, ApiError>) -> Response {
    read_page(&state, caller, |store, p, ctx| {
        Ok((
            StatusCode::OK,
            settings_page(store, p, ctx, Shown::default())?,
        ))
    })
    .await
}

fn parse_role(text: &str) -> Result<Role, ApiError> {
    Role::parse(text.trim()).map_err(|_| {
        ApiError::invalid(
            "role",
            format!(
                "role: '{}' is not one of owner, collector, viewer",
                text.trim()
            ),
        )
    })
}

/// An owner invites an address: the page again, showing the link once
/// (not a redirect, so the link is never in an address; not cached). The
/// answer is the same whether or not the address has an account.
pub async fn invite(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Form(form): Form<UserForm>,
) -> Response {
    let site = state.config.site_url();
    shown_once(&state, caller, form.csrf_token.clone(), move |store, p| {
        let made = parse_role(&form.role).and_then(|role| {
            store
                .invite(p.org_id, p.user_id, &form.email, role)
                .map_err(ApiError::from)
        });
        match made {
            Ok(made) => Ok(Ok((
                format!(
                    "{} is invited as {}.",
                    made.invitation.email,
                    made.invitation.role.as_str()
                ),
                dun_server::routes::accounts::invitation_link(&site, &made.secret),
            ))),
            Err(e) if e.status.is_client_error() => Ok(Err((e.detail, form))),
            Err(e) => Err(e),
        }
    })
    .await
}

/// An owner issues a reset link for a member: the page again, showing it
/// once.
pub async fn issue_reset_link(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(user_id): Path<i64>,
    Form(form): Form<ButtonForm>,
) -> Response {
    let site = state.config.site_url();
    shown_once(&state, caller, form.csrf_token, move |store, p| {
        let made = store.issue_reset_link(p.org_id, p.user_id, user_id)?;
        Ok(Ok((
            format!(
                "A reset link for {} is made; it works once, until {}.",
                made.email, made.expires_at
            ),
            dun_server::routes::accounts::reset_link(&site, &made.secret),
        )))
    })
    .await
}

/// What an owner's one-time link form came to: (what, link) to show once,
/// or a refusal to show beside the form with what was typed.
type LinkOutcome = Result<(String, String), (String, UserForm)>;

/// Runs `work` for an owner and answers with the settings page showing the
/// link it made (201), or its refusal (422).
async fn shown_once<F>(
    state: &AppState,
    caller: Result<Caller, ApiError>,
    csrf_token: Option<String>,
    work: F,
) -> Response
where
    F: FnOnce(&mut Store, &Principal) -> Result<LinkOutcome, ApiError> + Send + 'static,
{
    let Ok(caller) = caller else {
        return see_other("/sign-in");
    };
    let caller = caller.with_form_csrf(csrf_token);
    let done = state
        .as_caller(caller, Need::Own, move |store, p| {
            let ctx = Ctx::load(p)?;
            match work(store, p)? {
                Ok((what, link)) => {
                    let shown = Shown {
                        new_link: Some((&what, &link)),
                        ..Shown::default()
                    };
                    Ok((StatusCode::CREATED, settings_page(store, p, &ctx, shown)?))
                }
                Err((why, form)) => {
                    let shown = Shown {
                        user_error: Some((&why, &form)),
                        ..Shown::default()
                    };
                    Ok((
                        StatusCode::UNPROCESSABLE_ENTITY,
                        settings_page(store, p, &ctx, shown)?,
                    ))
                }
            }
        })
        .await;
    match done {
        Ok((status, markup)) => html_response(status, markup),
        Err(e) => error_page(e),
    }
}

pub async fn withdraw_invitation(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(invitation_id): Path<i64>,
    Form(form): Form<ButtonForm>,
) -> Response {
    submit(
        &state,
        caller,
        form.csrf_token.clone(),
        Need::Own,
        move |store, p, _| {
            store.withdraw_invitation(p.org_id, invitation_id)?;
            Ok("/settings#users".into())
        },
        users_refused,
    )
    .await
}

pub async fn set_period(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Form(form): Form<PeriodForm>,
) -> Response {
    let (submitted, typed) = (form.clone(), form);
    submit(
        &state,
        caller,
        submitted.csrf_token.clone(),
        Need::Own,
        move |store, p, _| {
            let through = match submitted.through.trim() {
                "" => None,
                text => Some(dun_core::Date::parse(text).map_err(|e| {
                    ApiError::invalid("through", format!("Close the books through: {e}."))
                })?),
            };
            store.set_closed_period(p.org_id, through, &submitted.reason, &p.author())?;
            Ok("/settings#period".into())
        },
        move |store, p, ctx, message| {
            let shown = Shown {
                period_error: Some((message, &typed)),
                ..Shown::default()
            };
            settings_page(store, p, ctx, shown)
        },
    )
    .await
}

/// The owner sets or removes the Stripe keys (never shown back).
pub async fn set_stripe(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Form(form): Form<StripeForm>,
) -> Response {
    submit(
        &state,
        caller,
        form.csrf_token.clone(),
        Need::Own,
        move |store, p, _| {
            let typed = |k: &str| Some(k.trim().to_string()).filter(|k| !k.is_empty());
            let keys = if form.clear.is_some() {
                [
                    Some(String::new()),
                    Some(String::new()),
                    Some(String::new()),
                ]
            } else {
                [
                    typed(&form.secret_key),
                    typed(&form.webhook_secret),
                    typed(&form.publishable_key),
                ]
            };
            let [secret, webhook, publishable] = keys;
            store.set_stripe_settings(
                p.org_id,
                secret.as_deref(),
                webhook.as_deref(),
                publishable.as_deref(),
            )?;
            Ok("/settings#stripe".into())
        },
        move |store, p, ctx, message| {
            let shown = Shown {
                stripe_error: Some(message),
                ..Shown::default()
            };
            settings_page(store, p, ctx, shown)
        },
    )
    .await
}

pub async fn change_role(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(user_id): Path<i64>,
    Form(form): Form<ButtonForm>,
) -> Response {
    submit(
        &state,
        caller,
        form.csrf_token.clone(),
        Need::Own,
        move |store, p, _| {
            store.set_role(p.org_id, user_id, parse_role(&form.role)?)?;
            Ok("/settings#users".into())
        },
        users_refused,
    )
    .await
}

pub async fn remove_user(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(user_id): Path<i64>,
    Form(form): Form<ButtonForm>,
) -> Response {
    submit(
        &state,
        caller,
        form.csrf_token.clone(),
        Need::Own,
        move |store, p, _| {
            store.remove_user(p.org_id, user_id)?;
            Ok("/settings#users".into())
        },
        users_refused,
    )
    .await
}

/// Makes a token and answers with the page showing its secret — once: the
/// answer is not a redirect, so the secret is never in an address, and the
/// page is not cached.
/// The signed-in user's own password (any role); their other sessions end.
pub async fn change_password(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Form(form): Form<PasswordForm>,
) -> Response {
    let Ok(caller) = caller else {
        return see_other("/sign-in");
    };
    let caller = caller.with_form_csrf(form.csrf_token.clone());
    let done = state
        .as_caller(caller, Need::Read, move |store, p| {
            let ctx = Ctx::load(p)?;
            let keep = match p.credential {
                dun_store::accounts::Credential::Session { session_id, .. } => Some(session_id),
                dun_store::accounts::Credential::Token { .. } => None,
            };
            let refusal = match store
                .change_password(p.user_id, &form.current_password, &form.new_password, keep)
                .map_err(ApiError::from)
            {
                Ok(()) => None,
                Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => Some(e.detail),
                Err(e) => return Err(e),
            };
            let (status, outcome) = match &refusal {
                None => (StatusCode::OK, Ok(())),
                Some(why) => (StatusCode::UNPROCESSABLE_ENTITY, Err(why.as_str())),
            };
            let shown = Shown {
                password: Some(outcome),
                ..Shown::default()
            };
            Ok((status, settings_page(store, p, &ctx, shown)?))
        })
        .await;
    match done {
        Ok((status, markup)) => html_response(status, markup),
        Err(e) => error_page(e),
    }
}

pub async fn create_token(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Form(form): Form<TokenForm>,
) -> Response {
    let Ok(caller) = caller else {
        return see_other("/sign-in");
    };
    let caller = caller.with_form_csrf(form.csrf_token.clone());
    let made = state
        .as_caller(caller, Need::Read, move |store, p| {
            let ctx = Ctx::load(p)?;
            let result = parse_role(&form.role).and_then(|role| {
                store
                    .create_token(p.org_id, p.user_id, &form.name, role)
                    .map_err(ApiError::from)
            });
            match result {
                Ok(made) => Ok((
                    StatusCode::CREATED,
                    settings_page(
                        store,
                        p,
                        &ctx,
                        Shown {
                            new_token: Some(&made),
                            ..Shown::default()
                        },
                    )?,
                )),
                Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    settings_page(
                        store,
                        p,
                        &ctx,
                        Shown {
                            token_error: Some((&e.detail, &form)),
                            ..Shown::default()
                        },
                    )?,
                )),
                Err(e) => Err(e),
            }
        })
        .await;
    match made {
        Ok((status, markup)) => html_response(status, markup),
        Err(e) => error_page(e),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(token_id): Path<i64>,
    Form(form): Form<ButtonForm>,
) -> Response {
    submit(
        &state,
        caller,
        form.csrf_token.clone(),
        Need::Read,
        move |store, p, _| {
            let only = (p.role != Role::Owner).then_some(p.user_id);
            store.revoke_token(p.org_id, token_id, only)?;
            Ok("/settings#tokens".into())
        },
        tokens_refused,
    )
    .await
}
