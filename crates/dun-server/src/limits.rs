//! Sign-in rate limiting, kept in memory per process (several processes
//! each apply the limit; documented):
//! - **per address**: after `failures_max` failures for one address, from
//!   any client, within the window, that address may not try until the
//!   oldest failure leaves the window;
//! - **per client**: a client (an IP address, [`client_ip`]) that failed
//!   [`CLIENT_FACTOR`] × `failures_max` times within the window, on any
//!   addresses, may not try either.
//!
//! The address is the identity the password check uses
//! ([`dun_store::accounts::sign_in_identity`]): `"  A@x.io"` and `"a@x.io"`
//! count as one.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use dun_store::accounts::sign_in_identity;

/// Most keys remembered; the oldest are forgotten first.
const TRACKED_MAX: usize = 100_000;
/// A client may fail this many times the per-address limit (people behind
/// one office address share it).
pub const CLIENT_FACTOR: u32 = 4;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Address(String),
    Client(String),
}

pub struct LoginLimiter {
    failures_max: u32,
    window: Duration,
    failures: Mutex<HashMap<Key, Vec<Instant>>>,
}

impl LoginLimiter {
    pub fn new(failures_max: u32, window: Duration) -> LoginLimiter {
        LoginLimiter {
            failures_max,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(email: &str, client: &str) -> [(Key, u32); 2] {
        [
            (Key::Address(sign_in_identity(email)), 1),
            (Key::Client(client.to_string()), CLIENT_FACTOR),
        ]
    }

    /// `Err(seconds to wait)` when this address, or this client, may not
    /// try now.
    pub fn check(&self, email: &str, client: &str, now: Instant) -> Result<(), u64> {
        let Ok(mut map) = self.failures.lock() else {
            return Ok(());
        };
        let mut wait = 0;
        for (key, factor) in Self::keys(email, client) {
            let Some(times) = map.get_mut(&key) else {
                continue;
            };
            times.retain(|t| now.duration_since(*t) < self.window);
            if times.len() as u32 >= self.failures_max.saturating_mul(factor) {
                let oldest = times.first().copied().unwrap_or(now);
                let left = self.window.saturating_sub(now.duration_since(oldest));
                wait = wait.max(left.as_secs().max(1));
            }
        }
        if wait > 0 {
            Err(wait)
        } else {
            Ok(())
        }
    }

    pub fn failed(&self, email: &str, client: &str, now: Instant) {
        if let Ok(mut map) = self.failures.lock() {
            if map.len() >= TRACKED_MAX {
                let window = self.window;
                map.retain(|_, times| {
                    times
                        .last()
                        .is_some_and(|t| now.duration_since(*t) < window)
                });
                if map.len() >= TRACKED_MAX {
                    map.clear();
                }
            }
            for (key, _) in Self::keys(email, client) {
                map.entry(key).or_default().push(now);
            }
        }
    }

    /// The address proved its password: its failures are forgotten (the
    /// client's stay until they leave the window).
    pub fn succeeded(&self, email: &str, _client: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&Key::Address(sign_in_identity(email)));
        }
    }
}

/// The client of a request with `headers` from `peer`, as the
/// configuration's trusted proxies say.
pub fn client_of(peer: IpAddr, headers: &axum::http::HeaderMap, trusted: &[IpAddr]) -> String {
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    client_ip(peer, forwarded, trusted).to_string()
}

/// The client a request came from: the peer's address, unless the peer is
/// a trusted proxy — then the nearest address in `X-Forwarded-For` that is
/// not one (the header's right end is what the trusted proxies added).
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let Some(header) = forwarded_for else {
        return peer;
    };
    let mut client = peer;
    for hop in header.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            // A hop that is not an address ends what can be believed.
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_the_limit_until_the_window_passes() {
        let limiter = LoginLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check("a@x.io", "1.2.3.4", t0).is_ok());
            limiter.failed("A@x.io", "1.2.3.4", t0);
        }
        let wait = limiter.check("a@x.io", "1.2.3.4", t0).unwrap_err();
        assert!((59..=60).contains(&wait), "{wait}");
        assert!(
            limiter.check("a@x.io", "5.6.7.8", t0).is_err(),
            "the address is limited from any client"
        );
        assert!(
            limiter.check("b@x.io", "1.2.3.4", t0).is_ok(),
            "another address from this client is not, yet"
        );
        assert!(limiter
            .check("a@x.io", "1.2.3.4", t0 + Duration::from_secs(61))
            .is_ok());
        limiter.succeeded("a@x.io", "1.2.3.4");
        assert!(limiter.check("a@x.io", "1.2.3.4", t0).is_ok());
    }

    #[test]
    fn one_address_is_one_identity_from_any_client() {
        // Issue 18 item 3: padding the address with spaces or changing its
        // case bought five more guesses each; a new client, five more.
        let limiter = LoginLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for (i, spelled) in ["a@x.io", "  a@x.io", "A@X.IO "].iter().enumerate() {
            assert!(limiter.check(spelled, &format!("10.0.0.{i}"), t0).is_ok());
            limiter.failed(spelled, &format!("10.0.0.{i}"), t0);
        }
        assert!(limiter.check("\ta@x.io", "10.9.9.9", t0).is_err());
        assert!(limiter.check("b@x.io", "10.9.9.9", t0).is_ok());
    }

    #[test]
    fn one_client_is_limited_across_addresses() {
        let limiter = LoginLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..(2 * CLIENT_FACTOR) {
            let address = format!("user{i}@x.io");
            assert!(limiter.check(&address, "1.2.3.4", t0).is_ok());
            limiter.failed(&address, "1.2.3.4", t0);
        }
        assert!(limiter.check("fresh@x.io", "1.2.3.4", t0).is_err());
        assert!(limiter.check("fresh@x.io", "5.6.7.8", t0).is_ok());
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxy = ip("10.0.0.1");
        let trusted = [proxy];
        // Not trusted: the header is whatever the client wrote.
        assert_eq!(
            client_ip(ip("203.0.113.9"), Some("1.1.1.1"), &trusted),
            ip("203.0.113.9")
        );
        // Trusted: the nearest untrusted hop, not what the client prepended.
        assert_eq!(
            client_ip(proxy, Some("6.6.6.6, 198.51.100.7"), &trusted),
            ip("198.51.100.7")
        );
        assert_eq!(client_ip(proxy, None, &trusted), proxy);
        assert_eq!(client_ip(proxy, Some("junk, 10.0.0.1"), &trusted), proxy);
    }
}
