//! Set-up, sign-in, users and API tokens.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use dun_store::accounts::{Credential, Member, Principal, Role, Setup, TokenInfo};
use dun_store::invitations::{Acceptance, Accepted, Invitation};
use dun_store::orgs::NewOrg;
use dun_store::Org;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{session_cookie, AppState, Caller, Need, SESSION_COOKIE};
use crate::extract::{ApiJson, ApiPath, IdempotencyKey};
use crate::problem::ApiError;
use crate::wire;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(setup_status, setup))
        .routes(routes!(whoami, sign_in, sign_out))
        .routes(routes!(change_password))
        .routes(routes!(organisation, update_organisation))
        .routes(routes!(list_users))
        .routes(routes!(change_role, remove_user))
        .routes(routes!(list_invitations, invite))
        .routes(routes!(withdraw_invitation))
        .routes(routes!(accept_invitation))
        .routes(routes!(issue_reset_link))
        .routes(routes!(reset_password))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

#[derive(Serialize, ToSchema)]
pub struct OrganisationOut {
    pub id: i64,
    pub name: String,
    /// The home currency (ISO 4217).
    pub currency: String,
    /// IANA time zone; "today" for the book is the date there.
    pub timezone: String,
    pub invoice_prefix: String,
    pub credit_note_prefix: String,
    /// Aging bucket edges in days past due.
    pub aging_edges: String,
    /// Local time (HH:MM) the server runs the daily collections.
    pub run_at: String,
}

impl OrganisationOut {
    fn new(org: Org, run_at: String) -> OrganisationOut {
        OrganisationOut {
            id: org.id,
            name: org.name,
            currency: org.currency.code().to_string(),
            timezone: org.timezone,
            invoice_prefix: org.invoice_prefix,
            credit_note_prefix: org.credit_note_prefix,
            aging_edges: org.aging_edges,
            run_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: RoleName,
    pub created_at: String,
}

/// A role: owner (everything), collector (the ledger and collections, not
/// the policy, users or tokens), viewer (reads only).
#[derive(Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleName {
    Owner,
    Collector,
    Viewer,
}

impl From<Role> for RoleName {
    fn from(r: Role) -> Self {
        match r {
            Role::Owner => RoleName::Owner,
            Role::Collector => RoleName::Collector,
            Role::Viewer => RoleName::Viewer,
        }
    }
}

impl From<RoleName> for Role {
    fn from(r: RoleName) -> Self {
        match r {
            RoleName::Owner => Role::Owner,
            RoleName::Collector => Role::Collector,
            RoleName::Viewer => Role::Viewer,
        }
    }
}

fn user_out(m: Member) -> UserOut {
    UserOut {
        id: m.user.id,
        email: m.user.email,
        name: m.user.name,
        role: m.role.into(),
        created_at: m.user.created_at,
    }
}

#[derive(Serialize, ToSchema)]
pub struct SetupStatus {
    /// True while the database has no users: POST /api/v1/setup is open.
    pub needed: bool,
}

/// Whether first-run set-up is still open.
#[utoipa::path(get, path = "/api/v1/setup", tag = "accounts", responses((status = 200, body = SetupStatus)))]
async fn setup_status(State(state): State<AppState>) -> Result<Json<SetupStatus>, ApiError> {
    let users = state.pool.run(|store| Ok(store.user_count()?)).await?;
    Ok(Json(SetupStatus { needed: users == 0 }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupIn {
    /// The organisation's name; if one by that name exists (the demo
    /// book's), its owner is made instead.
    pub organisation: String,
    /// ISO 4217 home currency, e.g. USD.
    pub currency: String,
    /// IANA time zone, e.g. Europe/London.
    pub timezone: String,
    /// Prefix of invoice numbers (default INV-).
    pub invoice_prefix: Option<String>,
    pub email: String,
    pub name: String,
    /// At least 12 characters, not a common password.
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct SetupOut {
    pub organisation: OrganisationOut,
    pub owner: UserOut,
}

/// First-run set-up: creates the organisation and its owner. Open only
/// while the database has no users.
#[utoipa::path(
    post,
    path = "/api/v1/setup",
    tag = "accounts",
    request_body = SetupIn,
    responses(
        (status = 201, body = SetupOut),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn setup(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<SetupIn>,
) -> Result<(StatusCode, Json<SetupOut>), ApiError> {
    let currency = wire::parse_currency("currency", &input.currency)?;
    if jiff::tz::TimeZone::get(&input.timezone).is_err() {
        return Err(ApiError::invalid(
            "timezone",
            format!(
                "timezone: '{}' is not a time zone; use an IANA name such as Europe/London",
                input.timezone
            ),
        ));
    }
    let setup = Setup {
        org: NewOrg {
            name: input.organisation,
            currency,
            timezone: input.timezone,
            invoice_prefix: input.invoice_prefix.unwrap_or_else(|| "INV-".into()),
        },
        email: input.email,
        name: input.name,
        password: input.password,
    };
    let out = state
        .pool
        .run(move |store| {
            let (org, user) = store.setup(&setup)?;
            let run_at = store.run_at(org.id)?;
            Ok(SetupOut {
                organisation: OrganisationOut::new(org, run_at),
                owner: UserOut {
                    id: user.id,
                    email: user.email,
                    name: user.name,
                    role: RoleName::Owner,
                    created_at: user.created_at,
                },
            })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(out)))
}

#[derive(Serialize, ToSchema)]
pub struct WhoAmI {
    pub user_id: i64,
    pub email: String,
    pub role: RoleName,
    pub organisation: OrganisationOut,
    /// `token` or `session`.
    pub via: String,
    /// For a session: the value to send in x-csrf-token on writes.
    pub csrf_token: Option<String>,
}

fn whoami_of(store: &mut dun_store::Store, p: &Principal) -> Result<WhoAmI, ApiError> {
    let org = p.org.clone();
    let run_at = store.run_at(org.id)?;
    let (via, csrf_token) = match &p.credential {
        dun_store::accounts::Credential::Token { .. } => ("token".to_string(), None),
        dun_store::accounts::Credential::Session { csrf_token, .. } => {
            ("session".to_string(), Some(csrf_token.clone()))
        }
    };
    Ok(WhoAmI {
        user_id: p.user_id,
        email: p.email.clone(),
        role: p.role.into(),
        organisation: OrganisationOut::new(org, run_at),
        via,
        csrf_token,
    })
}

/// Who the caller is, in which organisation.
#[utoipa::path(
    get,
    path = "/api/v1/session",
    tag = "accounts",
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = WhoAmI), (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"))
)]
async fn whoami(State(state): State<AppState>, caller: Caller) -> Result<Json<WhoAmI>, ApiError> {
    Ok(Json(state.as_caller(caller, Need::Read, whoami_of).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub email: String,
    pub password: String,
    /// The organisation to work in, by name; needed only when the user
    /// belongs to several.
    pub organisation: Option<String>,
}

/// Signs in: sets the session cookie and returns the CSRF token that
/// writes must carry. Failed attempts are limited per address and client.
#[utoipa::path(
    post,
    path = "/api/v1/session",
    tag = "accounts",
    request_body = SignIn,
    responses(
        (status = 200, body = WhoAmI, headers(("set-cookie" = String, description = "The session cookie"))),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 429, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    ApiJson(input): ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    let client = crate::limits::client_of(peer.ip(), &headers, &state.config.trusted_proxies);
    let limiter = state.login_limiter.clone();
    if let Err(wait) = limiter.check(&input.email, &client, Instant::now()) {
        return Err(ApiError::too_many(
            format!("too many failed sign-ins for this address; try again in {wait} seconds"),
            wait,
        ));
    }
    let session_hours = state.config.session_hours;
    let email = input.email.clone();
    let outcome = state
        .pool
        .run(move |store| {
            let Some(user) = store.check_password(&input.email, &input.password)? else {
                return Ok(None);
            };
            let memberships = store.memberships(user.id)?;
            let org = match (&input.organisation, memberships.as_slice()) {
                (_, []) => return Err(ApiError::forbidden("this user belongs to no organisation")),
                (None, [(org, _)]) => org.clone(),
                (None, many) => {
                    return Err(ApiError::invalid(
                        "organisation",
                        format!(
                            "organisation: this user belongs to several; name one of {}",
                            many.iter()
                                .map(|(o, _)| o.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ))
                }
                (Some(name), all) => all
                    .iter()
                    .find(|(o, _)| &o.name == name)
                    .map(|(o, _)| o.clone())
                    .ok_or_else(|| {
                        ApiError::invalid(
                            "organisation",
                            format!("organisation: '{name}' is not one of this user's"),
                        )
                    })?,
            };
            let expires = wire::utc_in(session_hours as i64 * 3600);
            let session = store.create_session(user.id, org.id, &expires)?;
            let principal = store
                .authenticate_session(&session.secret, &store.now_utc())?
                .ok_or_else(|| ApiError::internal("a session just made was not found"))?;
            let who = whoami_of(store, &principal)?;
            Ok(Some((session, who)))
        })
        .await?;
    let Some((session, who)) = outcome else {
        limiter.failed(&email, &client, Instant::now());
        return Err(ApiError::unauthorized(
            "the e-mail address or the password is wrong",
        ));
    };
    limiter.succeeded(&email, &client);
    let secure = if state.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        session.secret,
        session_hours * 3600
    );
    let mut response = Json(who).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 12 characters (at most 256 bytes), not a common password
    /// and not the account's own address (OWASP ASVS level 2).
    pub new_password: String,
}

/// Changes the signed-in user's own password (any role). Every other
/// session of theirs ends; a session asking stays signed in. Tokens stay
/// (revoke them apart).
#[utoipa::path(
    post,
    path = "/api/v1/session/password",
    tag = "accounts",
    request_body = PasswordChange,
    security(("token" = []), ("session" = [])),
    responses(
        (status = 204, description = "Changed"),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let principal = state
        .pool
        .quick(move |store| caller.authenticate(store, Need::Read))
        .await?;
    state
        .pool
        .write(move |store| {
            let keep = match principal.credential {
                Credential::Session { session_id, .. } => Some(session_id),
                Credential::Token { .. } => None,
            };
            store.change_password(
                principal.user_id,
                &input.current_password,
                &input.new_password,
                keep,
            )?;
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Signs out: ends the session and clears its cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "accounts", responses((status = 204, description = "Signed out")))]
async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(secret) = session_cookie(&headers) {
        state
            .pool
            .run(move |store| Ok(store.end_session(&secret)?))
            .await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("dun_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(response)
}

/// The caller's organisation.
#[utoipa::path(
    get,
    path = "/api/v1/organisation",
    tag = "accounts",
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = OrganisationOut))
)]
async fn organisation(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<OrganisationOut>, ApiError> {
    Ok(Json(
        state
            .as_caller(caller, Need::Read, |store, p| {
                let org = p.org.clone();
                let run_at = store.run_at(org.id)?;
                Ok(OrganisationOut::new(org, run_at))
            })
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationPatch {
    /// Local time (HH:MM) for the daily collections run.
    pub run_at: Option<String>,
}

/// Changes the organisation's settings (owner only).
#[utoipa::path(
    patch,
    path = "/api/v1/organisation",
    tag = "accounts",
    request_body = OrganisationPatch,
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = OrganisationOut), (status = 422, body = crate::problem::Problem, content_type = "application/problem+json"))
)]
async fn update_organisation(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<OrganisationPatch>,
) -> Result<Json<OrganisationOut>, ApiError> {
    Ok(Json(
        state
            .as_caller(caller, Need::Own, move |store, p| {
                if let Some(run_at) = &input.run_at {
                    store.set_run_at(p.org_id, run_at)?;
                }
                let org = p.org.clone();
                let run_at = store.run_at(org.id)?;
                Ok(OrganisationOut::new(org, run_at))
            })
            .await?,
    ))
}

/// The organisation's users and their roles (owner only).
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "accounts",
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = Vec<UserOut>))
)]
async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<UserOut>>, ApiError> {
    Ok(Json(
        state
            .as_caller(caller, Need::Own, |store, p| {
                Ok(store.members(p.org_id)?.into_iter().map(user_out).collect())
            })
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationIn {
    /// The address to invite; whether it has an account anywhere changes
    /// nothing in the answer.
    pub email: String,
    pub role: RoleName,
}

#[derive(Serialize, ToSchema)]
pub struct InvitationOut {
    pub id: i64,
    pub email: String,
    pub role: RoleName,
    pub created_at: String,
    /// After this time the link no longer works.
    pub expires_at: String,
}

fn invitation_out(i: Invitation) -> InvitationOut {
    InvitationOut {
        id: i.id,
        email: i.email,
        role: i.role.into(),
        created_at: i.created_at,
        expires_at: i.expires_at,
    }
}

#[derive(Serialize, ToSchema)]
pub struct NewInvitationOut {
    pub invitation: InvitationOut,
    /// The one-time link to hand to the invitee, shown this once
    /// (`{public_url}/invitations/{token}`); Dun does not e-mail it.
    pub link: String,
}

/// Pending invitations (not accepted, withdrawn or expired), newest first
/// (owner only).
#[utoipa::path(
    get,
    path = "/api/v1/invitations",
    tag = "accounts",
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = Vec<InvitationOut>))
)]
async fn list_invitations(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<InvitationOut>>, ApiError> {
    Ok(Json(
        state
            .as_caller(caller, Need::Own, |store, p| {
                let now = store.now_utc();
                Ok(store
                    .invitations(p.org_id, &now)?
                    .into_iter()
                    .map(invitation_out)
                    .collect())
            })
            .await?,
    ))
}

/// Invites an address to the organisation with a role (owner only). The
/// answer is the same whether or not the address has an account; the
/// person becomes a member only when they accept through the link, which
/// is in this answer and nowhere else and expires in 7 days. (An
/// Idempotency-Key is refused here: a repeat could not show the link
/// again.)
#[utoipa::path(
    post,
    path = "/api/v1/invitations",
    tag = "accounts",
    request_body = InvitationIn,
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = NewInvitationOut),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn invite(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiJson(input): ApiJson<InvitationIn>,
) -> Result<(StatusCode, Json<NewInvitationOut>), ApiError> {
    if key.0.is_some() {
        return Err(ApiError::invalid(
            "Idempotency-Key",
            "Idempotency-Key: not accepted when inviting, whose link is shown only once; send the request without it",
        ));
    }
    let site = state.config.site_url();
    let made = state
        .as_caller(caller, Need::Own, move |store, p| {
            Ok(store.invite(p.org_id, p.user_id, &input.email, input.role.into())?)
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewInvitationOut {
            link: invitation_link(&site, &made.secret),
            invitation: invitation_out(made.invitation),
        }),
    ))
}

/// Where an invitation's secret is opened.
pub fn invitation_link(site: &str, secret: &str) -> String {
    format!("{}/invitations/{secret}", site.trim_end_matches('/'))
}

/// Where a reset link's secret is opened.
pub fn reset_link(site: &str, secret: &str) -> String {
    format!("{}/reset-password/{secret}", site.trim_end_matches('/'))
}

/// Withdraws a pending invitation: its link stops working (owner only).
#[utoipa::path(
    delete,
    path = "/api/v1/invitations/{invitation_id}",
    tag = "accounts",
    params(("invitation_id" = i64, Path, description = "The invitation's id")),
    security(("token" = []), ("session" = [])),
    responses((status = 204, description = "Withdrawn"), (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"))
)]
async fn withdraw_invitation(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(invitation_id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state
        .as_caller(caller, Need::Own, move |store, p| {
            Ok(store.withdraw_invitation(p.org_id, invitation_id)?)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptIn {
    /// The secret at the end of the invitation link.
    pub token: String,
    /// The password of the account the address has already; or, with
    /// `name`, the password of a new account (at least 12 characters, not
    /// a common password).
    pub password: String,
    /// Only for someone with no account yet: their name.
    pub name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AcceptedOut {
    /// The organisation joined.
    pub organisation: String,
    pub user: UserOut,
}

/// Accepts an invitation (no sign-in: the link's secret and the password
/// are the proof). The membership is made now; sign in afterwards.
#[utoipa::path(
    post,
    path = "/api/v1/invitations/accept",
    tag = "accounts",
    request_body = AcceptIn,
    responses(
        (status = 201, body = AcceptedOut),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 429, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn accept_invitation(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<AcceptIn>,
) -> Result<(StatusCode, Json<AcceptedOut>), ApiError> {
    let accepted = accept_with(
        &state,
        peer,
        &headers,
        input.token,
        input.name,
        input.password,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(AcceptedOut {
            organisation: accepted.org.name,
            user: UserOut {
                id: accepted.user.id,
                email: accepted.user.email,
                name: accepted.user.name,
                role: accepted.role.into(),
                created_at: accepted.user.created_at,
            },
        }),
    ))
}

/// Accepts an invitation for the API and the web form alike: a password
/// proves an existing account, so failures count against the sign-in
/// limit of the link (its identity) and of the client.
pub async fn accept_with(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    token: String,
    name: Option<String>,
    password: String,
) -> Result<Accepted, ApiError> {
    let client = crate::limits::client_of(peer.ip(), headers, &state.config.trusted_proxies);
    let limiter = state.login_limiter.clone();
    let identity = format!("invitation:{}", token.get(..16).unwrap_or(&token));
    if let Err(wait) = limiter.check(&identity, &client, Instant::now()) {
        return Err(ApiError::too_many(
            format!("too many failed attempts; try again in {wait} seconds"),
            wait,
        ));
    }
    let outcome = state
        .pool
        .write(move |store| {
            let now = store.now_utc();
            let how = match name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                Some(name) => Acceptance::New {
                    name,
                    password: &password,
                },
                None => Acceptance::Existing {
                    password: &password,
                },
            };
            Ok(store.accept_invitation(&token, how, &now)?)
        })
        .await;
    match &outcome {
        Ok(_) => limiter.succeeded(&identity, &client),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            limiter.failed(&identity, &client, Instant::now())
        }
        Err(_) => {}
    }
    outcome
}

#[derive(Serialize, ToSchema)]
pub struct ResetLinkOut {
    /// The member the link is for.
    pub email: String,
    /// After this time the link no longer works.
    pub expires_at: String,
    /// The one-time link to hand to the member, shown this once
    /// (`{public_url}/reset-password/{token}`).
    pub link: String,
}

/// Issues a one-time reset link for a member of the organisation (owner
/// only): whoever opens it sets the member's password, and every session of
/// theirs ends. It expires in 24 hours; a newer link replaces it.
#[utoipa::path(
    post,
    path = "/api/v1/users/{user_id}/reset-link",
    tag = "accounts",
    params(("user_id" = i64, Path, description = "The user's id")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = ResetLinkOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn issue_reset_link(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(user_id): ApiPath<i64>,
) -> Result<(StatusCode, Json<ResetLinkOut>), ApiError> {
    if key.0.is_some() {
        return Err(ApiError::invalid(
            "Idempotency-Key",
            "Idempotency-Key: not accepted when issuing a reset link, which is shown only once; send the request without it",
        ));
    }
    let site = state.config.site_url();
    let made = state
        .as_caller(caller, Need::Own, move |store, p| {
            Ok(store.issue_reset_link(p.org_id, p.user_id, user_id)?)
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ResetLinkOut {
            email: made.email,
            expires_at: made.expires_at,
            link: reset_link(&site, &made.secret),
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetIn {
    /// The secret at the end of the reset link.
    pub token: String,
    /// At least 12 characters, not a common password.
    pub new_password: String,
}

/// Sets a new password through a reset link (no sign-in: the link is the
/// proof). The link is used up and every session of the member's ends.
#[utoipa::path(
    post,
    path = "/api/v1/password-reset",
    tag = "accounts",
    request_body = PasswordResetIn,
    responses(
        (status = 204, description = "The password is set"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn reset_password(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<PasswordResetIn>,
) -> Result<StatusCode, ApiError> {
    state
        .pool
        .write(move |store| {
            let now = store.now_utc();
            store.reset_password(&input.token, &input.new_password, &now)?;
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleIn {
    pub role: RoleName,
}

/// Changes a user's role (owner only); the last owner cannot be demoted.
#[utoipa::path(
    patch,
    path = "/api/v1/users/{user_id}",
    tag = "accounts",
    params(("user_id" = i64, Path, description = "The user's id")),
    request_body = RoleIn,
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = UserOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn change_role(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(user_id): ApiPath<i64>,
    ApiJson(input): ApiJson<RoleIn>,
) -> Result<Json<UserOut>, ApiError> {
    let member = state
        .as_caller(caller, Need::Own, move |store, p| {
            Ok(store.set_role(p.org_id, user_id, input.role.into())?)
        })
        .await?;
    Ok(Json(user_out(member)))
}

/// Removes a user from the organisation, ending their sessions and tokens
/// there (owner only).
#[utoipa::path(
    delete,
    path = "/api/v1/users/{user_id}",
    tag = "accounts",
    params(("user_id" = i64, Path, description = "The user's id")),
    security(("token" = []), ("session" = [])),
    responses((status = 204, description = "Removed"), (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"))
)]
async fn remove_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(user_id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state
        .as_caller(caller, Need::Own, move |store, p| {
            Ok(store.remove_user(p.org_id, user_id)?)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    pub id: i64,
    pub name: String,
    pub role: RoleName,
    /// The secret's first characters, to tell tokens apart.
    pub prefix: String,
    pub user_email: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

fn token_out(t: TokenInfo) -> TokenOut {
    TokenOut {
        id: t.id,
        name: t.name,
        role: t.role.into(),
        prefix: t.prefix,
        user_email: t.user_email,
        created_at: t.created_at,
        revoked_at: t.revoked_at,
    }
}

/// API tokens without their secrets: an owner sees all of the
/// organisation's, anyone else their own.
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "accounts",
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = Vec<TokenOut>))
)]
async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<TokenOut>>, ApiError> {
    Ok(Json(
        state
            .as_caller(caller, Need::Read, |store, p| {
                let only = (p.role != Role::Owner).then_some(p.user_id);
                Ok(store
                    .tokens(p.org_id, only)?
                    .into_iter()
                    .map(token_out)
                    .collect())
            })
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenIn {
    /// What the token is for ("accounting sync").
    pub name: String,
    /// At most the creator's own role; default collector.
    pub role: Option<RoleName>,
}

#[derive(Serialize, ToSchema)]
pub struct NewTokenOut {
    pub token: TokenOut,
    /// The secret, shown this once: send it as `Authorization: Bearer …`.
    pub secret: String,
}

/// Makes an API token for the caller in this organisation, with at most
/// the caller's role. Its secret is
/// in this response and nowhere else. (An Idempotency-Key is refused here:
/// a repeat could not show the secret again.)
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "accounts",
    request_body = NewTokenIn,
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = NewTokenOut),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiJson(input): ApiJson<NewTokenIn>,
) -> Result<(StatusCode, Json<NewTokenOut>), ApiError> {
    if key.0.is_some() {
        return Err(ApiError::invalid(
            "Idempotency-Key",
            "Idempotency-Key: not accepted when making a token, whose secret is shown only once; send the request without it",
        ));
    }
    let made = state
        .as_caller(caller, Need::Read, move |store, p| {
            Ok(store.create_token(
                p.org_id,
                p.user_id,
                &input.name,
                input.role.map_or(Role::Collector, Role::from),
            )?)
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenOut {
            token: token_out(made.info),
            secret: made.secret,
        }),
    ))
}

/// Revokes a token at once: an owner any of the organisation's, anyone
/// else their own.
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{token_id}",
    tag = "accounts",
    params(("token_id" = i64, Path, description = "The token's id")),
    security(("token" = []), ("session" = [])),
    responses((status = 204, description = "Revoked"), (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"))
)]
async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(token_id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state
        .as_caller(caller, Need::Read, move |store, p| {
            let only = (p.role != Role::Owner).then_some(p.user_id);
            Ok(store.revoke_token(p.org_id, token_id, only)?)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
