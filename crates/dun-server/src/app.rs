//! The state every handler shares, and the one way a handler reaches the
//! book: `AppState::as_caller`, which authenticates the caller, checks the
//! role, and runs the work with a pooled connection on a blocking thread.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use dun_store::accounts::{Credential, Principal, Role};
use dun_store::Store;

use crate::config::Config;
use crate::limits::LoginLimiter;
use crate::metrics::Metrics;
use crate::pool::Pool;
use crate::problem::ApiError;

/// The browser session cookie's name.
pub const SESSION_COOKIE: &str = "dun_session";
/// The header a browser session sends its CSRF token in on writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: Pool,
    pub metrics: Arc<Metrics>,
    pub login_limiter: Arc<LoginLimiter>,
    /// Where the scheduler sends the outbox's messages; none: they wait.
    pub smtp: Option<Arc<dun_mail::SmtpConfig>>,
}

/// What a route needs of its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Any member: viewer, collector or owner.
    Read,
    /// A collector or owner.
    Write,
    /// An owner: the policy, users and tokens.
    Own,
}

impl Need {
    pub fn role(self) -> Role {
        match self {
            Need::Read => Role::Viewer,
            Need::Write => Role::Collector,
            Need::Own => Role::Owner,
        }
    }
}

/// The credential a request carries, not yet checked against the book.
#[derive(Clone, Debug)]
pub struct Caller {
    secret: CallerSecret,
    /// Whether the method changes something (a session must then prove it
    /// is not a cross-site request).
    writes: bool,
    csrf_header: Option<String>,
}

#[derive(Clone, Debug)]
enum CallerSecret {
    Token(String),
    Session(String),
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Caller, ApiError> {
        let writes = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        let csrf_header = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let value = value.to_str().unwrap_or("");
            let token = value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
                .ok_or_else(|| {
                    ApiError::unauthorized(
                        "Authorization: send 'Bearer <token>' with a token made by an owner",
                    )
                    .field("Authorization")
                })?;
            return Ok(Caller {
                secret: CallerSecret::Token(token.trim().to_string()),
                writes,
                csrf_header,
            });
        }
        if let Some(session) = session_cookie(&parts.headers) {
            return Ok(Caller {
                secret: CallerSecret::Session(session),
                writes,
                csrf_header,
            });
        }
        Err(ApiError::unauthorized(
            "sign in (POST /api/v1/session) or send an API token as 'Authorization: Bearer <token>'",
        ))
    }
}

/// The session secret in a request's `dun_session` cookie, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}

impl Caller {
    /// The CSRF token a browser form sent as a field (`csrf_token`), taken
    /// when the request has no `x-csrf-token` header; the check is the same.
    pub fn with_form_csrf(mut self, token: Option<String>) -> Caller {
        if self.csrf_header.is_none() {
            self.csrf_header = token;
        }
        self
    }

    /// Checks the credential against the book and the role against `need`.
    pub fn authenticate(&self, store: &mut Store, need: Need) -> Result<Principal, ApiError> {
        let principal = match &self.secret {
            CallerSecret::Token(secret) => store.authenticate_token(secret)?.ok_or_else(|| {
                ApiError::unauthorized("the API token is unknown or revoked").field("Authorization")
            })?,
            CallerSecret::Session(secret) => store
                .authenticate_session(secret, &store.now_utc())?
                .ok_or_else(|| ApiError::unauthorized("the session has ended; sign in again"))?,
        };
        if self.writes {
            if let Credential::Session { csrf_token, .. } = &principal.credential {
                if self.csrf_header.as_deref() != Some(csrf_token.as_str()) {
                    return Err(ApiError::forbidden(format!(
                        "{CSRF_HEADER}: a signed-in browser must send the session's CSRF token on every write"
                    ))
                    .field(CSRF_HEADER));
                }
            }
        }
        if principal.role < need.role() {
            return Err(ApiError::forbidden(format!(
                "this needs the {} role or higher; you are {}",
                need.role().as_str(),
                principal.role.as_str()
            )));
        }
        Ok(principal)
    }
}

impl AppState {
    /// Authenticates `caller` for `need` and runs `work` in its
    /// organisation, all on one pooled connection.
    pub async fn as_caller<T, F>(&self, caller: Caller, need: Need, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store, &Principal) -> Result<T, ApiError> + Send + 'static,
    {
        if need != Need::Read && self.pool.is_sqlite() {
            // The one SQLite writer does only the write: the credential is
            // read beforehand, here.
            let principal = self
                .pool
                .quick(move |store| caller.authenticate(store, need))
                .await?;
            return self
                .pool
                .write(move |store| acting(store, &principal, work))
                .await;
        }
        let work = move |store: &mut Store| {
            let principal = caller.authenticate(store, need)?;
            acting(store, &principal, work)
        };
        match need {
            Need::Read => self.pool.run(work).await,
            Need::Write | Need::Own => self.pool.write(work).await,
        }
    }

    /// As [`AppState::as_caller`] for a read of a few rows by key (one
    /// invoice, one customer): see [`Pool::quick`].
    pub async fn as_caller_quick<T, F>(&self, caller: Caller, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store, &Principal) -> Result<T, ApiError> + Send + 'static,
    {
        self.pool
            .quick(move |store| {
                let principal = caller.authenticate(store, Need::Read)?;
                work(store, &principal)
            })
            .await
    }
}

/// Runs `work` with the store acting for `principal` (the author of what it
/// writes on timelines), and for nobody after.
fn acting<T>(
    store: &mut Store,
    principal: &Principal,
    work: impl FnOnce(&mut Store, &Principal) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    store.set_acting(Some(&principal.author()));
    let result = work(store, principal);
    store.set_acting(None);
    result
}
