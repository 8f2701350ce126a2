//! Sign-in rate limiting: after `login_failures_max` failures for one
//! address from one client within the window, further attempts are refused
//! with 429 until the oldest failure leaves the window. Kept in memory per
//! process (several processes each apply the limit; documented).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most (address, client) pairs remembered; the oldest are forgotten first.
const TRACKED_MAX: usize = 100_000;

pub struct LoginLimiter {
    failures_max: u32,
    window: Duration,
    failures: Mutex<HashMap<(String, String), Vec<Instant>>>,
}

impl LoginLimiter {
    pub fn new(failures_max: u32, window: Duration) -> LoginLimiter {
        LoginLimiter {
            failures_max,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` when this pair may not try now.
    pub fn check(&self, email: &str, client: &str, now: Instant) -> Result<(), u64> {
        let Ok(mut map) = self.failures.lock() else {
            return Ok(());
        };
        let key = (email.to_lowercase(), client.to_string());
        let Some(times) = map.get_mut(&key) else {
            return Ok(());
        };
        times.retain(|t| now.duration_since(*t) < self.window);
        if times.len() as u32 >= self.failures_max {
            let oldest = times.first().copied().unwrap_or(now);
            let wait = self.window.saturating_sub(now.duration_since(oldest));
            return Err(wait.as_secs().max(1));
        }
        Ok(())
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
            map.entry((email.to_lowercase(), client.to_string()))
                .or_default()
                .push(now);
        }
    }

    pub fn succeeded(&self, email: &str, client: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&(email.to_lowercase(), client.to_string()));
        }
    }
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
            limiter.check("a@x.io", "5.6.7.8", t0).is_ok(),
            "another client is not limited"
        );
        assert!(limiter
            .check("a@x.io", "1.2.3.4", t0 + Duration::from_secs(61))
            .is_ok());
        limiter.succeeded("a@x.io", "1.2.3.4");
        assert!(limiter.check("a@x.io", "1.2.3.4", t0).is_ok());
    }
}
