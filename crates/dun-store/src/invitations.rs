//! Invitations and reset links: the one-time links an owner hands out.
//!
//! An owner does not add a person to the organisation: they *invite* an
//! address with a role. The answer is the same whether or not the address
//! has an account anywhere (no one learns who has one), and nothing about
//! another organisation's member is shown. The invitee opens the link and
//! accepts — with the password of the account they have, or with a name and
//! a new password — and only then is the membership made. A pending
//! invitation can be withdrawn; the list of them shows the address, the role
//! and when it expires, never anything about an account.
//!
//! A reset link is an owner's way to let a member who forgot their password
//! set a new one: it names one member of the owner's organisation, and
//! setting a password through it ends every session of theirs.
//!
//! Both links carry 32 random bytes, shown once and kept as their SHA-256
//! (as sessions and tokens are); each expires ([`INVITATION_DAYS`],
//! [`RESET_LINK_HOURS`]) and is used once.

use serde::{Deserialize, Serialize};

use crate::accounts::{
    check_password_for, insert_user, member_role, normalize_email, random_hex, set_password_in,
    sha256_hex, user_row, verify_password, Role, User, DUMMY_HASH,
};
use crate::clock::{seconds_of, utc_of};
use crate::error::StoreError;
use crate::orgs::Org;
use crate::{params, Store};

/// How long an invitation link stays good, in days.
pub const INVITATION_DAYS: i64 = 7;
/// How long a reset link stays good, in hours.
pub const RESET_LINK_HOURS: i64 = 24;
/// Most pending invitations an organisation may hold at once.
pub const INVITATIONS_PENDING_MAX: i64 = 200;
/// Length of a link's secret as written (32 random bytes, hex).
const LINK_SECRET_CHARS: usize = 64;

/// An invitation not yet accepted, as the inviting organisation sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub created_at: String,
    pub expires_at: String,
}

/// An invitation just made: the only time its link's secret is seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewInvitation {
    pub invitation: Invitation,
    pub secret: String,
}

/// What the invitee sees on opening a live link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvitationOffer {
    pub org_name: String,
    pub email: String,
    pub role: Role,
    pub expires_at: String,
}

/// How the invitee accepts.
#[derive(Clone, Copy, Debug)]
pub enum Acceptance<'a> {
    /// With the password of the account the address has already.
    Existing { password: &'a str },
    /// As someone new: their name and a password for the new account.
    New { name: &'a str, password: &'a str },
}

/// What accepting made: the person is a member of `org` with `role`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub org: Org,
    pub user: User,
    pub role: Role,
}

/// A reset link just issued: the only time its secret is seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewResetLink {
    pub email: String,
    pub expires_at: String,
    pub secret: String,
}

/// `now` (as [`crate::clock::Clock::now_utc`] writes it) moved on by `seconds`.
fn later(now: &str, seconds: i64) -> String {
    utc_of(seconds_of(now).unwrap_or(0).saturating_add(seconds))
}

fn link_refused() -> StoreError {
    StoreError::Invalid(
        "token: this link has expired, has been used or has been withdrawn; ask an owner of the organisation for a new one"
            .into(),
    )
}

fn looks_like_a_secret(secret: &str) -> bool {
    secret.len() == LINK_SECRET_CHARS && secret.bytes().all(|b| b.is_ascii_hexdigit())
}

fn invitation_row(r: &crate::Row<'_>) -> Result<Invitation, StoreError> {
    Ok(Invitation {
        id: r.i64(0)?,
        email: r.string(1)?,
        role: Role::parse(&r.string(2)?)?,
        created_at: r.string(3)?,
        expires_at: r.string(4)?,
    })
}

/// A live invitation by its secret, at `now`: its id, organisation, address
/// and role.
const LIVE_INVITATION: &str = "SELECT i.id, i.org_id, i.email, i.role, i.expires_at, o.name
     FROM invitations i JOIN organisations o ON o.id = i.org_id
     WHERE i.secret_sha256 = $1 AND i.accepted_at IS NULL AND i.withdrawn_at IS NULL
       AND i.expires_at > $2";

impl Store {
    /// An owner invites `email` to the organisation with `role`. The
    /// answer does not depend on whether the address has an account
    /// anywhere; an earlier pending invitation of the same address is
    /// replaced (its link stops working).
    pub fn invite(
        &mut self,
        org_id: i64,
        invited_by: i64,
        email: &str,
        role: Role,
    ) -> Result<NewInvitation, StoreError> {
        let email = normalize_email(email)?;
        let now = self.now_utc();
        let expires_at = later(&now, INVITATION_DAYS * 86_400);
        let secret = random_hex(32)?;
        let mut tx = self.conn().transaction()?;
        crate::orgs::lock(&mut tx, org_id)?;
        // A member of this organisation is on its own list already: saying
        // so tells the owner nothing about any other organisation.
        let member = tx.query_opt(
            "SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.org_id = $1 AND u.email = $2",
            params![org_id, email.as_str()],
            |r| r.i64(0),
        )?;
        if member.is_some() {
            return Err(StoreError::Conflict(format!(
                "email: '{email}' is a member of this organisation already; change their role instead"
            )));
        }
        tx.execute(
            "UPDATE invitations SET withdrawn_at = $1
             WHERE org_id = $2 AND email = $3 AND accepted_at IS NULL AND withdrawn_at IS NULL",
            params![now.as_str(), org_id, email.as_str()],
        )?;
        let pending = tx
            .query_opt(
                "SELECT COUNT(*) FROM invitations
                 WHERE org_id = $1 AND accepted_at IS NULL AND withdrawn_at IS NULL AND expires_at > $2",
                params![org_id, now.as_str()],
                |r| r.i64(0),
            )?
            .unwrap_or(0);
        if pending >= INVITATIONS_PENDING_MAX {
            return Err(StoreError::Conflict(format!(
                "the organisation has {INVITATIONS_PENDING_MAX} pending invitations, the most allowed; withdraw some first"
            )));
        }
        let id = tx
            .query_opt(
                "INSERT INTO invitations (org_id, email, role, secret_sha256, invited_by, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                params![org_id, email.as_str(), role.as_str(), sha256_hex(&secret).as_str(),
                    invited_by, now.as_str(), expires_at.as_str()],
                |r| r.i64(0),
            )?
            .ok_or_else(|| StoreError::Conflict("the invitation was not saved".into()))?;
        tx.commit()?;
        Ok(NewInvitation {
            invitation: Invitation {
                id,
                email,
                role,
                created_at: now,
                expires_at,
            },
            secret,
        })
    }

    /// The organisation's pending invitations (not accepted, withdrawn or
    /// expired at `now`), newest first.
    pub fn invitations(&mut self, org_id: i64, now: &str) -> Result<Vec<Invitation>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            "SELECT id, email, role, created_at, expires_at FROM invitations
             WHERE org_id = $1 AND accepted_at IS NULL AND withdrawn_at IS NULL AND expires_at > $2
             ORDER BY id DESC",
            params![org_id, now],
            invitation_row,
        )
    }

    /// Withdraws a pending invitation of the organisation: its link stops
    /// working. One accepted, withdrawn or of another organisation is not
    /// found.
    pub fn withdraw_invitation(&mut self, org_id: i64, id: i64) -> Result<(), StoreError> {
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let changed = tx.execute(
            "UPDATE invitations SET withdrawn_at = $1
             WHERE org_id = $2 AND id = $3 AND accepted_at IS NULL AND withdrawn_at IS NULL",
            params![now.as_str(), org_id, id],
        )?;
        if changed == 0 {
            return Err(StoreError::not_found("invitation", id));
        }
        tx.commit()
    }

    /// What a live invitation link offers at `now`, or `None`.
    pub fn invitation_offer(
        &mut self,
        secret: &str,
        now: &str,
    ) -> Result<Option<InvitationOffer>, StoreError> {
        if !looks_like_a_secret(secret) {
            return Ok(None);
        }
        let mut tx = self.conn().read_transaction()?;
        tx.query_opt(
            LIVE_INVITATION,
            params![sha256_hex(secret).as_str(), now],
            |r| {
                Ok(InvitationOffer {
                    email: r.string(2)?,
                    role: Role::parse(&r.string(3)?)?,
                    expires_at: r.string(4)?,
                    org_name: r.string(5)?,
                })
            },
        )
    }

    /// The invitee accepts a live link at `now`: the membership is made and
    /// the link is used up. An existing account proves itself with its
    /// password; a new one is made with the name and password given.
    pub fn accept_invitation(
        &mut self,
        secret: &str,
        how: Acceptance<'_>,
        now: &str,
    ) -> Result<Accepted, StoreError> {
        if !looks_like_a_secret(secret) {
            return Err(link_refused());
        }
        let mut tx = self.conn().transaction()?;
        let (id, org_id, email, role) = tx
            .query_opt(
                LIVE_INVITATION,
                params![sha256_hex(secret).as_str(), now],
                |r| {
                    Ok((
                        r.i64(0)?,
                        r.i64(1)?,
                        r.string(2)?,
                        Role::parse(&r.string(3)?)?,
                    ))
                },
            )?
            .ok_or_else(link_refused)?;
        crate::orgs::lock(&mut tx, org_id)?;
        let existing = tx.query_opt(
            "SELECT id, email, name, created_at, password_hash FROM users WHERE email = $1",
            params![email.as_str()],
            |r| Ok((user_row(r)?, r.string(4)?)),
        )?;
        let user = match (how, existing) {
            (Acceptance::Existing { password }, Some((user, hash))) => {
                if !verify_password(password, &hash) {
                    return Err(StoreError::Invalid(
                        "password: that is not the password of the account at this address".into(),
                    ));
                }
                user
            }
            (Acceptance::Existing { password }, None) => {
                // As much work as a wrong password, and the same words.
                verify_password(password, DUMMY_HASH);
                return Err(StoreError::Invalid(
                    "password: that is not the password of the account at this address".into(),
                ));
            }
            (Acceptance::New { name, password }, None) => {
                check_password_for(password, &[&email, name])?;
                insert_user(&mut tx, &email, name, password, now)?
            }
            (Acceptance::New { .. }, Some(_)) => {
                return Err(StoreError::Invalid(
                    "password: this address has a Dun account already; accept with its password"
                        .into(),
                ));
            }
        };
        if member_role(&mut tx, org_id, user.id)?.is_some() {
            return Err(StoreError::Conflict(
                "you are a member of this organisation already; sign in".into(),
            ));
        }
        tx.execute(
            "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
            params![org_id, user.id, role.as_str(), now],
        )?;
        let used = tx.execute(
            "UPDATE invitations SET accepted_at = $1
             WHERE org_id = $2 AND id = $3 AND accepted_at IS NULL AND withdrawn_at IS NULL",
            params![now, org_id, id],
        )?;
        if used != 1 {
            return Err(link_refused());
        }
        tx.commit()?;
        let org = self.org_by_id(org_id)?;
        Ok(Accepted {
            org,
            user: User {
                created_at: now.to_string(),
                ..user
            },
            role,
        })
    }

    /// An owner issues a reset link for `user_id`, a member of their
    /// organisation; earlier unused links for them from this organisation
    /// stop working.
    pub fn issue_reset_link(
        &mut self,
        org_id: i64,
        issued_by: i64,
        user_id: i64,
    ) -> Result<NewResetLink, StoreError> {
        let now = self.now_utc();
        let expires_at = later(&now, RESET_LINK_HOURS * 3600);
        let secret = random_hex(32)?;
        let mut tx = self.conn().transaction()?;
        crate::orgs::lock(&mut tx, org_id)?;
        let email = tx
            .query_opt(
                "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
                 WHERE m.org_id = $1 AND m.user_id = $2",
                params![org_id, user_id],
                |r| r.string(0),
            )?
            .ok_or_else(|| StoreError::not_found("user", user_id))?;
        tx.execute(
            "UPDATE password_resets SET used_at = $1
             WHERE org_id = $2 AND user_id = $3 AND used_at IS NULL",
            params![now.as_str(), org_id, user_id],
        )?;
        tx.execute(
            "INSERT INTO password_resets (org_id, user_id, secret_sha256, issued_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            params![org_id, user_id, sha256_hex(&secret).as_str(), issued_by, now.as_str(),
                expires_at.as_str()],
        )?;
        tx.commit()?;
        Ok(NewResetLink {
            email,
            expires_at,
            secret,
        })
    }

    /// The address a live reset link is for, at `now`, or `None`.
    pub fn reset_link_email(
        &mut self,
        secret: &str,
        now: &str,
    ) -> Result<Option<String>, StoreError> {
        if !looks_like_a_secret(secret) {
            return Ok(None);
        }
        let mut tx = self.conn().read_transaction()?;
        tx.query_opt(LIVE_RESET, params![sha256_hex(secret).as_str(), now], |r| {
            r.string(3)
        })
    }

    /// Sets a new password through a live reset link at `now`: the link is
    /// used up and every session of the member's ends.
    pub fn reset_password(
        &mut self,
        secret: &str,
        new: &str,
        now: &str,
    ) -> Result<String, StoreError> {
        if !looks_like_a_secret(secret) {
            return Err(link_refused());
        }
        let mut tx = self.conn().transaction()?;
        let (id, org_id, user_id, email, name) = tx
            .query_opt(LIVE_RESET, params![sha256_hex(secret).as_str(), now], |r| {
                Ok((r.i64(0)?, r.i64(1)?, r.i64(2)?, r.string(3)?, r.string(4)?))
            })?
            .ok_or_else(link_refused)?;
        check_password_for(new, &[&email, &name])?;
        let used = tx.execute(
            "UPDATE password_resets SET used_at = $1 WHERE org_id = $2 AND id = $3 AND used_at IS NULL",
            params![now, org_id, id],
        )?;
        if used != 1 {
            return Err(link_refused());
        }
        set_password_in(&mut tx, user_id, new, None)?;
        tx.commit()?;
        Ok(email)
    }
}

/// A live reset link by its secret, at `now`, whose member still belongs
/// to the organisation that issued it.
const LIVE_RESET: &str = "SELECT r.id, r.org_id, r.user_id, u.email, u.name
     FROM password_resets r
     JOIN memberships m ON m.org_id = r.org_id AND m.user_id = r.user_id
     JOIN users u ON u.id = r.user_id
     WHERE r.secret_sha256 = $1 AND r.used_at IS NULL AND r.expires_at > $2";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_expires_after_its_days() {
        assert_eq!(
            later("2026-12-07T17:00:00Z", INVITATION_DAYS * 86_400),
            "2026-12-14T17:00:00Z"
        );
        assert_eq!(
            later("2026-12-31T12:00:00Z", RESET_LINK_HOURS * 3600),
            "2027-01-01T12:00:00Z"
        );
    }

    #[test]
    fn only_a_secret_shaped_text_is_looked_up() {
        assert!(looks_like_a_secret(&"ab".repeat(32)));
        assert!(!looks_like_a_secret("ab"));
        assert!(!looks_like_a_secret(&"zz".repeat(32)));
    }
}
