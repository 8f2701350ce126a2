//! Signed, expiring links to a customer's portal.
//!
//! A token is `{org_id}.{customer_id}.{expiry day number}.{mac}`, where
//! `mac` is the HMAC-SHA256 (hex) of those three under the organisation's
//! `portal_secret` (32 random bytes from the operating system, written on
//! first use). It needs no row of its own: whoever holds the link sees that
//! customer's portal until the day it expires, and changing any character
//! of it breaks the signature.
//!
//! A person can **withdraw** a customer's links (a link forwarded to the
//! wrong person): the customer's `portal_generation` goes up by one, and the
//! signature covers the generation, so every link signed before stops
//! working and the next one made works. Generation 0 is signed exactly as
//! links were before withdrawal existed, so those links kept working.
//!
//! *Invariant:* the signature is checked before the expiry is read, so an
//! altered expiry is reported as altered, never as valid or expired.

use std::fmt;

use dun_core::Date;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::db::Tx;
use crate::error::StoreError;
use crate::{params, Store};

type HmacSha256 = Hmac<Sha256>;

/// Bytes of randomness in an organisation's portal secret.
pub const PORTAL_SECRET_BYTES: usize = 32;
/// Longest token accepted, in bytes (anything longer is malformed).
pub const TOKEN_BYTES_MAX: usize = 200;
/// Hex digits of the signature in a token (the full SHA-256 output).
const MAC_HEX_DIGITS: usize = 64;

/// What a valid token grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PortalAccess {
    pub org_id: i64,
    pub customer_id: i64,
    /// The last day the link works.
    pub expires_on: Date,
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    /// Not a token at all (wrong shape, a part that is not a number).
    #[error("this portal link is not valid ({0}); ask the sender for a new one")]
    Malformed(String),
    /// A well-formed token whose signature does not match: changed, cut or
    /// made up, or signed by another organisation.
    #[error("this portal link has been altered; ask the sender for a new one")]
    Altered,
    #[error("this portal link expired on {expires_on}; ask the sender for a new one")]
    Expired { expires_on: Date },
    /// Signed by the organisation, but for a generation of the customer's
    /// links that has since been withdrawn.
    #[error("this portal link was withdrawn; ask the sender for a new one")]
    Withdrawn { org_id: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The address of a customer's portal: `{public_url}/portal/{token}`.
pub fn portal_url(public_url: &str, token: &str) -> String {
    format!("{}/portal/{token}", public_url.trim_end_matches('/'))
}

struct Payload {
    org_id: i64,
    customer_id: i64,
    expires_day: i32,
}

impl fmt::Display for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}.{}",
            self.org_id, self.customer_id, self.expires_day
        )
    }
}

/// Withdrawn generations a refused link is tried against, to tell a
/// withdrawn link from an altered one.
const WITHDRAWN_GENERATIONS_CHECKED_MAX: i64 = 100;

fn mac(secret: &str, payload: &Payload, generation: i64) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(b"dun-portal-v1:");
    mac.update(payload.to_string().as_bytes());
    if generation != 0 {
        mac.update(format!(":g{generation}").as_bytes());
    }
    mac
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    hex::decode(text).ok()
}

fn parse(token: &str) -> Result<(Payload, Vec<u8>), PortalError> {
    if token.len() > TOKEN_BYTES_MAX {
        return Err(PortalError::Malformed(format!(
            "{} characters long; at most {TOKEN_BYTES_MAX}",
            token.len()
        )));
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [org, customer, expires, signature] = parts[..] else {
        return Err(PortalError::Malformed(format!(
            "it has {} parts; a link has 4 separated by '.'",
            parts.len()
        )));
    };
    let number = |what: &str, text: &str| {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PortalError::Malformed(format!(
                "its {what} '{text}' is not a number"
            )));
        }
        text.parse::<i64>()
            .map_err(|_| PortalError::Malformed(format!("its {what} '{text}' is out of range")))
    };
    let org_id = number("organisation", org)?;
    let customer_id = number("customer", customer)?;
    let expires_day = i32::try_from(number("expiry", expires)?)
        .map_err(|_| PortalError::Malformed(format!("its expiry '{expires}' is out of range")))?;
    if signature.len() != MAC_HEX_DIGITS {
        return Err(PortalError::Malformed(format!(
            "its signature has {} characters; it has {MAC_HEX_DIGITS}",
            signature.len()
        )));
    }
    let signature = unhex(signature)
        .ok_or_else(|| PortalError::Malformed("its signature is not hexadecimal".into()))?;
    Ok((
        Payload {
            org_id,
            customer_id,
            expires_day,
        },
        signature,
    ))
}

fn random_secret() -> Result<String, StoreError> {
    let mut bytes = [0u8; PORTAL_SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| {
        StoreError::Connect(format!(
            "the operating system gave no random bytes for the portal secret: {e}"
        ))
    })?;
    Ok(hex::encode(bytes))
}

/// The organisation's portal secret, written first if it has none yet
/// (inside the caller's write transaction; of two writers racing, the
/// second's `UPDATE … WHERE portal_secret IS NULL` changes nothing and it
/// reads the first one's).
pub(crate) fn secret(tx: &mut Tx<'_>, org_id: i64) -> Result<String, StoreError> {
    let read = |tx: &mut Tx<'_>| {
        tx.query_opt(
            "SELECT portal_secret FROM organisations WHERE id = $1",
            params![org_id],
            |r| r.opt_string(0),
        )?
        .ok_or_else(|| StoreError::not_found("organisation", format!("#{org_id}")))
    };
    if let Some(secret) = read(tx)? {
        return Ok(secret);
    }
    let fresh = random_secret()?;
    tx.execute(
        "UPDATE organisations SET portal_secret = $2 WHERE id = $1 AND portal_secret IS NULL",
        params![org_id, fresh.as_str()],
    )?;
    read(tx)?.ok_or_else(|| StoreError::Corrupt("the portal secret was not written".into()))
}

/// A token for `customer_id`'s portal, valid through `expires_on`, inside
/// the caller's transaction.
pub(crate) fn token(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_id: i64,
    expires_on: Date,
) -> Result<String, StoreError> {
    let generation = tx
        .query_opt(
            "SELECT portal_generation FROM customers WHERE org_id = $1 AND id = $2",
            params![org_id, customer_id],
            |r| r.i64(0),
        )?
        .ok_or_else(|| StoreError::not_found("customer", format!("#{customer_id}")))?;
    let secret = secret(tx, org_id)?;
    let payload = Payload {
        org_id,
        customer_id,
        expires_day: expires_on.day_number(),
    };
    let signature = hex::encode(mac(&secret, &payload, generation).finalize().into_bytes());
    Ok(format!("{payload}.{signature}"))
}

impl Store {
    /// A signed link token to `customer_id`'s portal, valid through
    /// `expires_on` (see [`portal_url`]).
    pub fn portal_token(
        &mut self,
        org_id: i64,
        customer_id: i64,
        expires_on: Date,
    ) -> Result<String, StoreError> {
        let mut tx = self.conn().transaction()?;
        let token = token(&mut tx, org_id, customer_id, expires_on)?;
        tx.commit()?;
        Ok(token)
    }

    /// Withdraws every portal link made so far for the customer with this
    /// reference (the next one made works), and logs it on the customer's
    /// timeline. Returns how many times its links have been withdrawn.
    pub fn withdraw_portal_links(
        &mut self,
        org_id: i64,
        reference: &str,
        on: Date,
        author: &str,
    ) -> Result<i64, StoreError> {
        let author = crate::records::check_author(author)?;
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let (customer_id, generation) = tx
            .query_opt(
                "UPDATE customers SET portal_generation = portal_generation + 1
                 WHERE org_id = $1 AND ref = $2 RETURNING id, portal_generation",
                params![org_id, reference],
                |r| Ok((r.i64(0)?, r.i64(1)?)),
            )?
            .ok_or_else(|| StoreError::not_found("customer", reference))?;
        crate::timeline::log(
            &mut tx,
            org_id,
            &now,
            &crate::timeline::NewEntry {
                customer_id,
                on_date: on,
                kind: "portal_withdrawn",
                author,
                summary: "Withdrew the customer's portal links; the next link sent works",
                detail: serde_json::json!({ "generation": generation }),
                invoice_ids: &[],
            },
        )?;
        tx.commit()?;
        Ok(generation)
    }

    /// Checks a portal token on `today`: its shape, then its signature under
    /// its organisation's secret, then its expiry.
    pub fn verify_portal_token(
        &mut self,
        token: &str,
        today: Date,
    ) -> Result<PortalAccess, PortalError> {
        let (payload, signature) = parse(token.trim())?;
        let found = self.conn().statement().query_opt(
            "SELECT o.portal_secret, c.portal_generation
             FROM organisations o
             LEFT JOIN customers c ON c.org_id = o.id AND c.id = $2
             WHERE o.id = $1",
            params![payload.org_id, payload.customer_id],
            |r| Ok((r.opt_string(0)?, r.opt_i64(1)?)),
        )?;
        // An organisation that does not exist, or never signed a link, has
        // signed nothing: the token was made up. (A customer no longer
        // there is judged as generation 0; the portal then finds no one.)
        let (secret, generation) = match found {
            Some((Some(secret), generation)) => (secret, generation.unwrap_or(0)),
            _ => return Err(PortalError::Altered),
        };
        if mac(&secret, &payload, generation)
            .verify_slice(&signature)
            .is_err()
        {
            let withdrawn = (generation.saturating_sub(WITHDRAWN_GENERATIONS_CHECKED_MAX)
                ..generation)
                .any(|g| mac(&secret, &payload, g).verify_slice(&signature).is_ok());
            return Err(if withdrawn {
                PortalError::Withdrawn {
                    org_id: payload.org_id,
                }
            } else {
                PortalError::Altered
            });
        }
        let expires_on = Date::from_day_number(payload.expires_day);
        if today > expires_on {
            return Err(PortalError::Expired { expires_on });
        }
        Ok(PortalAccess {
            org_id: payload.org_id,
            customer_id: payload.customer_id,
            expires_on,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_joins_the_public_address_and_the_token() {
        assert_eq!(
            portal_url("https://ar.example.com/", "1.2.3.ab"),
            "https://ar.example.com/portal/1.2.3.ab"
        );
    }

    #[test]
    fn malformed_tokens_say_what_is_wrong() {
        for (token, says) in [
            ("", "1 parts"),
            ("1.2.3", "3 parts"),
            ("a.2.3.00", "organisation 'a'"),
            ("1.-2.3.00", "customer '-2'"),
            ("1.2.99999999999.00", "expiry"),
            ("1.2.3.00", "signature has 2"),
            (&format!("1.2.3.{}", "zz".repeat(32)), "not hexadecimal"),
        ] {
            match parse(token) {
                Err(PortalError::Malformed(m)) => assert!(m.contains(says), "{token}: {m}"),
                other => panic!("{token}: {:?}", other.map(|_| ())),
            }
        }
    }
}
