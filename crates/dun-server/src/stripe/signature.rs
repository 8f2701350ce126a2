//! Stripe's webhook signature, checked before anything of the body is
//! read: `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over
//! `"<t>.<body>"` with the endpoint's signing secret. Pure: the caller
//! passes the clock.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far the signed time may be from now, in seconds (Stripe's own
/// libraries' default): an old delivery captured and sent again is refused.
pub const TOLERANCE_SECONDS: i64 = 300;
/// Longest `Stripe-Signature` header read, in bytes.
pub const HEADER_BYTES_MAX: usize = 4096;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("Stripe-Signature: missing")]
    Missing,
    #[error("Stripe-Signature: not of the form t=<unix seconds>,v1=<hex signature> (at most {HEADER_BYTES_MAX} bytes)")]
    Malformed,
    #[error(
        "Stripe-Signature: signed at {signed}, more than {TOLERANCE_SECONDS} s from now ({now})"
    )]
    OutsideTolerance { signed: i64, now: i64 },
    #[error("Stripe-Signature: no v1 signature matches this body with the webhook secret")]
    NoMatch,
}

/// The signed time and the `v1` signatures a header carries.
fn parse(header: &str) -> Result<(i64, Vec<Vec<u8>>), SignatureError> {
    if header.len() > HEADER_BYTES_MAX {
        return Err(SignatureError::Malformed);
    }
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match k {
            "t" => t = Some(v.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            "v1" => v1.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?),
            _ => {} // v0 (test mode's old scheme) and future schemes
        }
    }
    match t {
        Some(t) if !v1.is_empty() => Ok((t, v1)),
        _ => Err(SignatureError::Malformed),
    }
}

/// The signature `secret` makes of `payload` signed at `t`, as hex.
pub fn sign(secret: &str, t: i64, payload: &[u8]) -> String {
    hex::encode(mac(secret, t, payload).finalize().into_bytes())
}

fn mac(secret: &str, t: i64, payload: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

/// Whether `header` signs `payload` with one of `secrets`, within the
/// tolerance of `now` (unix seconds): the indexes of the secrets that do
/// (more than one when organisations share a Stripe account's endpoint).
/// Every comparison is constant-time (`Mac::verify_slice`).
pub fn verify(
    header: Option<&str>,
    payload: &[u8],
    secrets: &[&str],
    now: i64,
) -> Result<Vec<usize>, SignatureError> {
    let (t, signatures) = parse(header.ok_or(SignatureError::Missing)?)?;
    if (now - t).abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::OutsideTolerance { signed: t, now });
    }
    let matching: Vec<usize> = secrets
        .iter()
        .enumerate()
        .filter(|(_, secret)| {
            let base = mac(secret, t, payload);
            signatures
                .iter()
                .any(|s| base.clone().verify_slice(s).is_ok())
        })
        .map(|(i, _)| i)
        .collect();
    if matching.is_empty() {
        return Err(SignatureError::NoMatch);
    }
    Ok(matching)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;

    fn header(secret: &str, t: i64, body: &[u8]) -> String {
        format!("t={t},v1={}", sign(secret, t, body))
    }

    #[test]
    fn a_good_signature_names_its_secret() {
        let h = header(SECRET, 1_000, BODY);
        assert_eq!(
            verify(Some(&h), BODY, &["whsec_other", SECRET], 1_010),
            Ok(vec![1])
        );
    }

    #[test]
    fn the_signature_is_stripes_scheme() {
        // HMAC-SHA256 over "<t>.<body>", computed independently (Python's hmac).
        assert_eq!(
            sign("whsec_test", 1_700_000_000, br#"{"id":"evt_1"}"#),
            "c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925"
        );
    }

    #[test]
    fn a_changed_body_or_secret_does_not_verify() {
        let h = header(SECRET, 1_000, BODY);
        assert_eq!(
            verify(Some(&h), b"{}", &[SECRET], 1_000),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(Some(&h), BODY, &["whsec_other"], 1_000),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(Some(&h), BODY, &[], 1_000),
            Err(SignatureError::NoMatch)
        );
    }

    #[test]
    fn any_of_several_v1_signatures_verifies() {
        let h = format!(
            "t=1000,v0=abcd,v1={},v1={}",
            "00".repeat(32),
            sign(SECRET, 1_000, BODY)
        );
        assert_eq!(verify(Some(&h), BODY, &[SECRET], 1_000), Ok(vec![0]));
    }

    #[test]
    fn outside_the_tolerance_is_refused_either_way() {
        let h = header(SECRET, 1_000, BODY);
        assert!(verify(Some(&h), BODY, &[SECRET], 1_000 + TOLERANCE_SECONDS).is_ok());
        assert_eq!(
            verify(Some(&h), BODY, &[SECRET], 1_001 + TOLERANCE_SECONDS),
            Err(SignatureError::OutsideTolerance {
                signed: 1_000,
                now: 1_301
            })
        );
        assert!(matches!(
            verify(Some(&h), BODY, &[SECRET], 1_000 - TOLERANCE_SECONDS - 1),
            Err(SignatureError::OutsideTolerance { .. })
        ));
    }

    #[test]
    fn malformed_headers_are_refused() {
        for h in ["", "t=1", "v1=00", "t=x,v1=00", "t=1,v1=zz", "garbage"] {
            assert_eq!(
                verify(Some(h), BODY, &[SECRET], 1),
                Err(SignatureError::Malformed),
                "{h}"
            );
        }
        assert_eq!(
            verify(None, BODY, &[SECRET], 1),
            Err(SignatureError::Missing)
        );
        let long = format!("t=1,v1={}", "0".repeat(HEADER_BYTES_MAX));
        assert_eq!(
            verify(Some(&long), BODY, &[SECRET], 1),
            Err(SignatureError::Malformed)
        );
    }
}
