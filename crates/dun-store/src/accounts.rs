//! Accounts: users, their roles in organisations, API tokens and browser
//! sessions.
//!
//! Secrets never rest in the database: passwords are argon2id hashes;
//! tokens and session ids are 32 random bytes shown once and kept as their
//! SHA-256 (they carry 256 bits of entropy, so a fast hash is enough and a
//! lookup stays one index probe). A token is scoped to one organisation and
//! acts with the lower of its own role and its creator's current role, so
//! demoting or removing a user takes effect on their tokens at once.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::Tx;
use crate::error::StoreError;
use crate::orgs::{org_from_row_at, NewOrg, Org};
use crate::{params, Store};

pub use crate::passwords::{PASSWORD_BYTES_MAX, PASSWORD_CHARS_MIN};
/// Longest e-mail address, in characters (RFC 5321's path limit).
pub const EMAIL_CHARS_MAX: usize = dun_core::text::EMAIL_CHARS_MAX;
/// Longest user or token name, in characters.
pub const NAME_CHARS_MAX: usize = dun_core::text::NAME_CHARS_MAX;
/// Most live (unrevoked) tokens an organisation may hold.
pub const TOKENS_PER_ORG_MAX: i64 = 1_000;
/// What every token secret starts with, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "dun_";

/// What a user may do in an organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything, writes nothing.
    Viewer,
    /// Works the ledger and the collections; cannot change the policy,
    /// users or tokens.
    Collector,
    /// Everything.
    Owner,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Collector, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Collector => "collector",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Result<Role, StoreError> {
        match text {
            "owner" => Ok(Role::Owner),
            "collector" => Ok(Role::Collector),
            "viewer" => Ok(Role::Viewer),
            other => Err(StoreError::Invalid(format!(
                "role '{other}' is not one of owner, collector, viewer"
            ))),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub created_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user: User,
    pub role: Role,
}

/// How a request proved who it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    Token { token_id: i64 },
    Session { session_id: i64, csrf_token: String },
}

/// Who is asking, in which organisation, with which role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i64,
    pub email: String,
    pub org_id: i64,
    pub role: Role,
    pub credential: Credential,
    /// The organisation, read with the credential in one statement.
    pub org: Org,
}

impl Principal {
    /// The name written as the author of what this principal records.
    pub fn author(&self) -> String {
        match self.credential {
            Credential::Token { token_id } => format!("{} (token {token_id})", self.email),
            Credential::Session { .. } => self.email.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub prefix: String,
    pub user_email: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// A token just made: the only time its secret is seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub info: TokenInfo,
    pub secret: String,
}

/// A session just opened: its secret goes into the browser's cookie.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSession {
    pub secret: String,
    pub csrf_token: String,
    pub expires_at: String,
}

/// The first organisation and its owner, made on an empty database.
#[derive(Clone, Debug)]
pub struct Setup {
    pub org: NewOrg,
    pub email: String,
    pub name: String,
    pub password: String,
}

pub(crate) fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// `bytes` random bytes from the operating system, as lower-case hex.
pub fn random_hex(bytes: usize) -> Result<String, StoreError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)
        .map_err(|e| StoreError::Conflict(format!("the system has no randomness to give: {e}")))?;
    Ok(hex::encode(buf))
}

pub fn hash_password(password: &str) -> Result<String, StoreError> {
    check_password_rules(password)?;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| StoreError::Conflict(format!("the system has no randomness to give: {e}")))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| StoreError::Conflict(format!("cannot encode a salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Conflict(format!("cannot hash the password: {e}")))
}

pub(crate) fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

fn check_password_rules(password: &str) -> Result<(), StoreError> {
    check_password_for(password, &[])
}

/// The password rules (`passwords.rs`) for the account `identity` (its
/// address and name), as a typed refusal of the field `password`.
pub(crate) fn check_password_for(password: &str, identity: &[&str]) -> Result<(), StoreError> {
    match crate::passwords::weakness(password, identity) {
        None => Ok(()),
        Some(w) => Err(StoreError::Invalid(format!("password: {w}"))),
    }
}

/// The identity an address names at sign-in: trimmed (of any white
/// space) and lower-cased. The password check and the sign-in limit both
/// use it, so one account is one identity however it is typed.
pub fn sign_in_identity(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The address lower-cased and trimmed, if it looks like one.
pub fn normalize_email(email: &str) -> Result<String, StoreError> {
    let email = sign_in_identity(email);
    if let Some(why) = dun_core::text::email_problem(&email) {
        let shown: String = email
            .chars()
            .take(80)
            .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
            .collect();
        return Err(StoreError::Invalid(format!(
            "email: '{shown}': {why} (at most {EMAIL_CHARS_MAX} characters)"
        )));
    }
    Ok(email)
}

/// A name as written is within its limit (as the API declares it); what
/// is kept is trimmed.
fn check_name(field: &str, name: &str) -> Result<String, StoreError> {
    if let Some(why) = dun_core::text::identifier_problem(name, NAME_CHARS_MAX) {
        return Err(StoreError::Invalid(format!("{field}: {why}")));
    }
    Ok(name.trim().to_string())
}

pub(crate) fn user_row(r: &crate::Row<'_>) -> Result<User, StoreError> {
    Ok(User {
        id: r.i64(0)?,
        email: r.string(1)?,
        name: r.string(2)?,
        created_at: r.string(3)?,
    })
}

/// The new password's hash, and every session of the user's but `keep`
/// ended: whoever held the old password is signed out.
pub(crate) fn set_password_in(
    tx: &mut Tx<'_>,
    user_id: i64,
    new: &str,
    keep: Option<i64>,
) -> Result<(), StoreError> {
    let hash = hash_password(new)?;
    tx.execute(
        "UPDATE users SET password_hash = $1 WHERE id = $2",
        params![hash.as_str(), user_id],
    )?;
    tx.execute(
        "DELETE FROM sessions WHERE user_id = $1 AND id <> $2",
        params![user_id, keep.unwrap_or(0)],
    )?;
    Ok(())
}

pub(crate) fn insert_user(
    tx: &mut Tx<'_>,
    email: &str,
    name: &str,
    password: &str,
    now: &str,
) -> Result<User, StoreError> {
    let email = normalize_email(email)?;
    let name = check_name("name", name)?;
    let hash = hash_password(password)?;
    let taken = tx.query_opt(
        "SELECT id FROM users WHERE email = $1",
        params![email.as_str()],
        |r| r.i64(0),
    )?;
    if taken.is_some() {
        return Err(StoreError::Conflict(format!(
            "email: a user with the address '{email}' already exists"
        )));
    }
    let id = tx
        .query_opt(
            "INSERT INTO users (email, name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            params![email.as_str(), name.as_str(), hash.as_str(), now],
            |r| r.i64(0),
        )?
        .ok_or_else(|| StoreError::Conflict("the user was not saved".into()))?;
    Ok(User {
        id,
        email,
        name,
        created_at: now.to_string(),
    })
}

pub(crate) fn member_role(
    tx: &mut Tx<'_>,
    org_id: i64,
    user_id: i64,
) -> Result<Option<Role>, StoreError> {
    tx.query_opt(
        "SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2",
        params![org_id, user_id],
        |r| Role::parse(&r.string(0)?),
    )
}

/// Refuses a change that would leave the organisation without an owner.
fn keep_an_owner(tx: &mut Tx<'_>, org_id: i64, user_id: i64) -> Result<(), StoreError> {
    let others = tx
        .query_opt(
            "SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = 'owner' AND user_id <> $2",
            params![org_id, user_id],
            |r| r.i64(0),
        )?
        .unwrap_or(0);
    if others == 0 {
        return Err(StoreError::Conflict(
            "the organisation's last owner cannot be removed or demoted; make another user owner first"
                .into(),
        ));
    }
    Ok(())
}

impl Store {
    /// How many users exist (none: the server offers first-run set-up).
    pub fn user_count(&mut self) -> Result<i64, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        Ok(tx
            .query_opt("SELECT COUNT(*) FROM users", params![], |r| r.i64(0))?
            .unwrap_or(0))
    }

    /// First-run set-up: the organisation (or the one named, if it exists
    /// already, as the demo book's does) and its owner. Refused once any
    /// user exists.
    pub fn setup(&mut self, setup: &Setup) -> Result<(Org, User), StoreError> {
        // Refused before anything is written: once a person can sign in,
        // set-up (which needs no sign-in) may not add an organisation.
        if self.users_exist()? {
            return Err(set_up_already());
        }
        check_password_for(&setup.password, &[&setup.email, &setup.name])?;
        let org = match self.org(Some(&setup.org.name)) {
            Ok(org) => org,
            Err(StoreError::NotFound { .. }) => self.create_org(&setup.org)?,
            Err(e) => return Err(e),
        };
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        crate::orgs::lock(&mut tx, org.id)?;
        let users = tx
            .query_opt("SELECT COUNT(*) FROM users", params![], |r| r.i64(0))?
            .unwrap_or(0);
        if users > 0 {
            return Err(set_up_already());
        }
        let user = insert_user(&mut tx, &setup.email, &setup.name, &setup.password, &now)?;
        tx.execute(
            "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
            params![org.id, user.id, now.as_str()],
        )?;
        tx.commit()?;
        Ok((org, user))
    }

    /// Whether anyone can sign in yet (set-up is done once someone can).
    pub fn users_exist(&mut self) -> Result<bool, StoreError> {
        let mut tx = self.conn().transaction()?;
        let users = tx
            .query_opt("SELECT COUNT(*) FROM users", params![], |r| r.i64(0))?
            .unwrap_or(0);
        tx.commit()?;
        Ok(users > 0)
    }

    /// Adds a user to an organisation with `role` at once; a user who
    /// exists already (in another organisation) is added with their own
    /// password. Only the operator's `dun user add` (shell access to the
    /// database, no web session) adds directly: an owner over the web or
    /// the API invites (`invitations.rs`), and the person accepts.
    pub fn add_user(
        &mut self,
        org_id: i64,
        email: &str,
        name: &str,
        password: Option<&str>,
        role: Role,
    ) -> Result<Member, StoreError> {
        let now = self.now_utc();
        let email = normalize_email(email)?;
        if let Some(password) = password {
            check_password_for(password, &[&email, name])?;
        }
        let mut tx = self.conn().transaction()?;
        crate::orgs::lock(&mut tx, org_id)?;
        let existing = tx.query_opt(
            "SELECT id, email, name, created_at FROM users WHERE email = $1",
            params![email.as_str()],
            user_row,
        )?;
        let user = match existing {
            Some(user) => {
                if member_role(&mut tx, org_id, user.id)?.is_some() {
                    return Err(StoreError::Conflict(format!(
                        "email: '{email}' is a member of this organisation already; change their role instead"
                    )));
                }
                // A member's date is when they joined this organisation.
                User {
                    created_at: now.clone(),
                    ..user
                }
            }
            None => {
                let password = password.ok_or_else(|| {
                    StoreError::Invalid(format!(
                        "password: required for a new user ('{email}' has no account yet)"
                    ))
                })?;
                insert_user(&mut tx, &email, name, password, &now)?
            }
        };
        tx.execute(
            "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
            params![org_id, user.id, role.as_str(), now.as_str()],
        )?;
        tx.commit()?;
        Ok(Member { user, role })
    }

    pub fn members(&mut self, org_id: i64) -> Result<Vec<Member>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            "SELECT u.id, u.email, u.name, m.created_at, m.role
             FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.org_id = $1 ORDER BY u.email",
            params![org_id],
            |r| {
                Ok(Member {
                    user: user_row(r)?,
                    role: Role::parse(&r.string(4)?)?,
                })
            },
        )
    }

    pub fn set_role(
        &mut self,
        org_id: i64,
        user_id: i64,
        role: Role,
    ) -> Result<Member, StoreError> {
        let mut tx = self.conn().transaction()?;
        crate::orgs::lock(&mut tx, org_id)?;
        let current = member_role(&mut tx, org_id, user_id)?
            .ok_or_else(|| StoreError::not_found("user", user_id))?;
        if current == Role::Owner && role != Role::Owner {
            keep_an_owner(&mut tx, org_id, user_id)?;
        }
        tx.execute(
            "UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3",
            params![role.as_str(), org_id, user_id],
        )?;
        let user = tx
            .query_opt(
                "SELECT u.id, u.email, u.name, m.created_at
                 FROM memberships m JOIN users u ON u.id = m.user_id
                 WHERE m.org_id = $1 AND m.user_id = $2",
                params![org_id, user_id],
                user_row,
            )?
            .ok_or_else(|| StoreError::not_found("user", user_id))?;
        tx.commit()?;
        Ok(Member { user, role })
    }

    /// Removes a user from the organisation, ending their sessions there
    /// and revoking the tokens they made for it.
    pub fn remove_user(&mut self, org_id: i64, user_id: i64) -> Result<(), StoreError> {
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        crate::orgs::lock(&mut tx, org_id)?;
        let current = member_role(&mut tx, org_id, user_id)?
            .ok_or_else(|| StoreError::not_found("user", user_id))?;
        if current == Role::Owner {
            keep_an_owner(&mut tx, org_id, user_id)?;
        }
        tx.execute(
            "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2",
            params![org_id, user_id],
        )?;
        tx.execute(
            "DELETE FROM sessions WHERE org_id = $1 AND user_id = $2",
            params![org_id, user_id],
        )?;
        tx.execute(
            "UPDATE api_tokens SET revoked_at = $1 WHERE org_id = $2 AND user_id = $3 AND revoked_at IS NULL",
            params![now.as_str(), org_id, user_id],
        )?;
        tx.commit()
    }

    /// The organisations a user belongs to, with their role in each.
    pub fn memberships(&mut self, user_id: i64) -> Result<Vec<(Org, Role)>, StoreError> {
        let orgs = self.orgs()?;
        let mut tx = self.conn().read_transaction()?;
        let roles = tx.query(
            "SELECT org_id, role FROM memberships WHERE user_id = $1",
            params![user_id],
            |r| Ok((r.i64(0)?, Role::parse(&r.string(1)?)?)),
        )?;
        Ok(orgs
            .into_iter()
            .filter_map(|org| {
                roles
                    .iter()
                    .find(|(id, _)| *id == org.id)
                    .map(|(_, role)| (org, *role))
            })
            .collect())
    }

    /// The user with this address and password, or `None` — the same
    /// work is done for an unknown address as for a wrong password, so the
    /// answer's timing does not tell which.
    pub fn check_password(
        &mut self,
        email: &str,
        password: &str,
    ) -> Result<Option<User>, StoreError> {
        let email = sign_in_identity(email);
        let found = {
            let mut tx = self.conn().read_transaction()?;
            tx.query_opt(
                "SELECT id, email, name, created_at, password_hash FROM users WHERE email = $1",
                params![email.as_str()],
                |r| Ok((user_row(r)?, r.string(4)?)),
            )?
        };
        match found {
            Some((user, hash)) => Ok(verify_password(password, &hash).then_some(user)),
            None => {
                verify_password(password, DUMMY_HASH);
                Ok(None)
            }
        }
    }

    /// Makes a token for `user_id` in `org_id` with `role` (no higher than
    /// the user's own).
    pub fn create_token(
        &mut self,
        org_id: i64,
        user_id: i64,
        name: &str,
        role: Role,
    ) -> Result<NewToken, StoreError> {
        let name = check_name("name", name)?;
        let now = self.now_utc();
        let secret = format!("{TOKEN_PREFIX}{}", random_hex(32)?);
        let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 8).collect();
        let mut tx = self.conn().transaction()?;
        crate::orgs::lock(&mut tx, org_id)?;
        let own = member_role(&mut tx, org_id, user_id)?
            .ok_or_else(|| StoreError::not_found("user", user_id))?;
        if role > own {
            return Err(StoreError::Invalid(format!(
                "role: a token cannot have more rights than its user ('{}' is {})",
                role.as_str(),
                own.as_str()
            )));
        }
        let live = tx
            .query_opt(
                "SELECT COUNT(*) FROM api_tokens WHERE org_id = $1 AND revoked_at IS NULL",
                params![org_id],
                |r| r.i64(0),
            )?
            .unwrap_or(0);
        if live >= TOKENS_PER_ORG_MAX {
            return Err(StoreError::Conflict(format!(
                "the organisation has {TOKENS_PER_ORG_MAX} live tokens, the most allowed; revoke some first"
            )));
        }
        let id = tx
            .query_opt(
                "INSERT INTO api_tokens (org_id, user_id, name, role, prefix, secret_sha256, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                params![org_id, user_id, name.as_str(), role.as_str(), prefix.as_str(),
                    sha256_hex(&secret).as_str(), now.as_str()],
                |r| r.i64(0),
            )?
            .ok_or_else(|| StoreError::Conflict("the token was not saved".into()))?;
        let email = tx
            .query_opt(
                "SELECT email FROM users WHERE id = $1",
                params![user_id],
                |r| r.string(0),
            )?
            .unwrap_or_default();
        tx.commit()?;
        Ok(NewToken {
            info: TokenInfo {
                id,
                name,
                role,
                prefix,
                user_email: email,
                created_at: now,
                revoked_at: None,
            },
            secret,
        })
    }

    /// The organisation's tokens (only `only_user`'s, when given).
    pub fn tokens(
        &mut self,
        org_id: i64,
        only_user: Option<i64>,
    ) -> Result<Vec<TokenInfo>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            "SELECT t.id, t.name, t.role, t.prefix, u.email, t.created_at, t.revoked_at
             FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.org_id = $1 AND (CAST($2 AS BIGINT) = 0 OR t.user_id = $2) ORDER BY t.id",
            params![org_id, only_user.unwrap_or(0)],
            |r| {
                Ok(TokenInfo {
                    id: r.i64(0)?,
                    name: r.string(1)?,
                    role: Role::parse(&r.string(2)?)?,
                    prefix: r.string(3)?,
                    user_email: r.string(4)?,
                    created_at: r.string(5)?,
                    revoked_at: r.opt_string(6)?,
                })
            },
        )
    }

    /// Revokes a token of this organisation (only one of `only_user`'s,
    /// when given); revoking twice is harmless.
    pub fn revoke_token(
        &mut self,
        org_id: i64,
        token_id: i64,
        only_user: Option<i64>,
    ) -> Result<(), StoreError> {
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let found = tx.query_opt(
            "SELECT user_id FROM api_tokens WHERE org_id = $1 AND id = $2",
            params![org_id, token_id],
            |r| r.i64(0),
        )?;
        if found.is_none() || only_user.is_some_and(|u| found != Some(u)) {
            return Err(StoreError::not_found("token", token_id));
        }
        tx.execute(
            "UPDATE api_tokens SET revoked_at = $1 WHERE org_id = $2 AND id = $3 AND revoked_at IS NULL",
            params![now.as_str(), org_id, token_id],
        )?;
        tx.commit()
    }

    /// The principal a token secret stands for, if it is live and its user
    /// still belongs to the organisation.
    pub fn authenticate_token(&mut self, secret: &str) -> Result<Option<Principal>, StoreError> {
        if !secret.starts_with(TOKEN_PREFIX) || secret.len() > 200 {
            return Ok(None);
        }
        // One statement, no transaction: every request asks this first.
        let found = self.conn().statement().query_opt(
            AUTH_BY_TOKEN,
            params![sha256_hex(secret).as_str()],
            |r| {
                let role = Role::parse(&r.string(2)?)?.min(Role::parse(&r.string(3)?)?);
                Ok(Principal {
                    user_id: r.i64(4)?,
                    email: r.string(5)?,
                    org_id: r.i64(1)?,
                    role,
                    credential: Credential::Token {
                        token_id: r.i64(0)?,
                    },
                    org: org_from_row_at(r, 6)?,
                })
            },
        )?;
        Ok(found)
    }

    /// Opens a browser session for a member of `org_id`, lasting
    /// `ttl_seconds` from `now` (an RFC 3339 UTC time).
    pub fn create_session(
        &mut self,
        user_id: i64,
        org_id: i64,
        expires_at: &str,
    ) -> Result<NewSession, StoreError> {
        let now = self.now_utc();
        let secret = random_hex(32)?;
        let csrf_token = random_hex(16)?;
        let mut tx = self.conn().transaction()?;
        if member_role(&mut tx, org_id, user_id)?.is_none() {
            return Err(StoreError::not_found("organisation membership", org_id));
        }
        // Sessions long expired are swept by whoever opens a new one.
        tx.execute(
            "DELETE FROM sessions WHERE expires_at < $1",
            params![now.as_str()],
        )?;
        tx.execute(
            "INSERT INTO sessions (secret_sha256, user_id, org_id, csrf_token, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            params![sha256_hex(&secret).as_str(), user_id, org_id, csrf_token.as_str(), now.as_str(), expires_at],
        )?;
        tx.commit()?;
        Ok(NewSession {
            secret,
            csrf_token,
            expires_at: expires_at.to_string(),
        })
    }

    /// The principal a session cookie stands for at `now`, if any.
    pub fn authenticate_session(
        &mut self,
        secret: &str,
        now: &str,
    ) -> Result<Option<Principal>, StoreError> {
        if secret.len() != 64 {
            return Ok(None);
        }
        self.conn().statement().query_opt(
            AUTH_BY_SESSION,
            params![sha256_hex(secret).as_str(), now],
            |r| {
                Ok(Principal {
                    user_id: r.i64(3)?,
                    email: r.string(4)?,
                    org_id: r.i64(1)?,
                    role: Role::parse(&r.string(2)?)?,
                    credential: Credential::Session {
                        session_id: r.i64(0)?,
                        csrf_token: r.string(5)?,
                    },
                    org: org_from_row_at(r, 6)?,
                })
            },
        )
    }

    /// A user changes their own password: the current one must be right;
    /// every session of theirs ends except `keep_session` (the one asking).
    pub fn change_password(
        &mut self,
        user_id: i64,
        current: &str,
        new: &str,
        keep_session: Option<i64>,
    ) -> Result<(), StoreError> {
        check_password_rules(new)?;
        let mut tx = self.conn().transaction()?;
        let hash = tx
            .query_opt(
                "SELECT password_hash FROM users WHERE id = $1",
                params![user_id],
                |r| r.string(0),
            )?
            .ok_or_else(|| StoreError::not_found("user", format!("#{user_id}")))?;
        if !verify_password(current, &hash) {
            return Err(StoreError::Invalid(
                "current_password: that is not your current password".into(),
            ));
        }
        set_password_in(&mut tx, user_id, new, keep_session)?;
        tx.commit()
    }

    /// Sets a user's password as the operator of the database (`dun user
    /// password`): every session of theirs ends.
    pub fn set_password(&mut self, email: &str, new: &str) -> Result<(), StoreError> {
        check_password_rules(new)?;
        let email = normalize_email(email)?;
        let mut tx = self.conn().transaction()?;
        let user_id = tx
            .query_opt(
                "SELECT id FROM users WHERE email = $1",
                params![email.as_str()],
                |r| r.i64(0),
            )?
            .ok_or_else(|| StoreError::not_found("user", email.clone()))?;
        set_password_in(&mut tx, user_id, new, None)?;
        tx.commit()
    }

    pub fn end_session(&mut self, secret: &str) -> Result<(), StoreError> {
        let mut tx = self.conn().transaction()?;
        tx.execute(
            "DELETE FROM sessions WHERE secret_sha256 = $1",
            params![sha256_hex(secret).as_str()],
        )?;
        tx.commit()
    }
}

/// A token's principal and organisation (the organisation's columns are
/// `orgs::COLUMNS`, from the seventh on).
const AUTH_BY_TOKEN: &str = "SELECT t.id, t.org_id, t.role, m.role, u.id, u.email,
        o.id, o.name, o.currency, o.timezone, o.invoice_prefix, o.credit_note_prefix, o.aging_edges
     FROM api_tokens t
     JOIN memberships m ON m.org_id = t.org_id AND m.user_id = t.user_id
     JOIN users u ON u.id = t.user_id
     JOIN organisations o ON o.id = t.org_id
     WHERE t.secret_sha256 = $1 AND t.revoked_at IS NULL";

/// A session's principal and organisation, as [`AUTH_BY_TOKEN`].
const AUTH_BY_SESSION: &str = "SELECT s.id, s.org_id, m.role, u.id, u.email, s.csrf_token,
        o.id, o.name, o.currency, o.timezone, o.invoice_prefix, o.credit_note_prefix, o.aging_edges
     FROM sessions s
     JOIN memberships m ON m.org_id = s.org_id AND m.user_id = s.user_id
     JOIN users u ON u.id = s.user_id
     JOIN organisations o ON o.id = s.org_id
     WHERE s.secret_sha256 = $1 AND s.expires_at > $2";

/// A hash of a random password, verified against when the address is
/// unknown so that a miss costs what a wrong password costs.
pub(crate) const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0nU8jC1CMJ1bcoefZ0x8h6oXyqS6C5Qnb1SoR4mRtUk";

fn set_up_already() -> StoreError {
    StoreError::Conflict("set-up is done already: sign in as an owner to add users".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_credential_statements_read_every_column_of_the_organisation() {
        let columns: Vec<String> = crate::orgs::COLUMNS
            .split(',')
            .map(|c| format!("o.{}", c.trim()))
            .collect();
        let columns = columns.join(", ");
        assert!(AUTH_BY_TOKEN.contains(&columns), "{AUTH_BY_TOKEN}");
        assert!(AUTH_BY_SESSION.contains(&columns), "{AUTH_BY_SESSION}");
    }

    #[test]
    fn roles_order_by_rights() {
        assert!(Role::Owner > Role::Collector && Role::Collector > Role::Viewer);
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()).unwrap(), role);
        }
        assert!(Role::parse("admin")
            .unwrap_err()
            .to_string()
            .contains("owner, collector, viewer"));
    }

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(hash_password("short")
            .unwrap_err()
            .to_string()
            .contains("password"));
    }

    #[test]
    fn dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn emails_are_checked() {
        assert_eq!(
            normalize_email(" Ann@Example.COM ").unwrap(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }
}
