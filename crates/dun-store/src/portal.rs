//! Signed, expiring links to a customer's portal.
//!
//! A token is `{org_id}.{customer_id}.{expiry day number}.{mac}`, where
//! `mac` is the HMAC-SHA256 (hex) of those three under the organisation's
//! `portal_secret` (32 random bytes from the operating system, written on
//! first use). It needs no row of its own: whoever holds the link sees that
//! customer's portal until the day it expires, and changing any character
//! of it breaks the signature.
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

fn mac(secret: &str, payload: &Payload) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(b"dun-portal-v1:");
    mac.update(payload.to_string().as_bytes());
    mac
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
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
    Ok(hex(&bytes))
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
    let known = tx.query_opt(
        "SELECT id FROM customers WHERE org_id = $1 AND id = $2",
        params![org_id, customer_id],
        |r| r.i64(0),
    )?;
    if known.is_none() {
        return Err(StoreError::not_found("customer", format!("#{customer_id}")));
    }
    let secret = secret(tx, org_id)?;
    let payload = Payload {
        org_id,
        customer_id,
        expires_day: expires_on.day_number(),
    };
    let signature = hex(&mac(&secret, &payload).finalize().into_bytes());
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

    /// Checks a portal token on `today`: its shape, then its signature under
    /// its organisation's secret, then its expiry.
    pub fn verify_portal_token(
        &mut self,
        token: &str,
        today: Date,
    ) -> Result<PortalAccess, PortalError> {
        let (payload, signature) = parse(token.trim())?;
        let mut tx = self.conn().read_transaction()?;
        let secret = tx
            .query_opt(
                "SELECT portal_secret FROM organisations WHERE id = $1",
                params![payload.org_id],
                |r| r.opt_string(0),
            )?
            .flatten();
        tx.commit()?;
        // An organisation that does not exist, or never signed a link, has
        // signed nothing: the token was made up.
        let secret = secret.ok_or(PortalError::Altered)?;
        mac(&secret, &payload)
            .verify_slice(&signature)
            .map_err(|_| PortalError::Altered)?;
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
