//! Where the store's instants come from. A [`Store`](crate::Store) carries
//! the [`Clock`] its opener chose — [`Store::open`](crate::Store::open)
//! and [`Store::connect`](crate::Store::connect) choose [`Clock::System`],
//! as the CLI and the server want; a test installs [`Clock::Fixed`] with
//! [`Store::set_clock`](crate::Store::set_clock) — and every time the store
//! records (`YYYY-MM-DDTHH:MM:SSZ`) is read from it. Functions outside a
//! `Store` take `now` as they take `today`.
//!
//! [`system_seconds`] is the one reading of the machine's clock in
//! `dun-store` (`tests/clock.rs` scans the sources and holds it).

use dun_core::Date;

/// Where "now" comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The machine's clock, read each time it is asked.
    System,
    /// One fixed instant, in seconds since 1970-01-01 UTC: the same answer
    /// every time (a test's clock).
    Fixed(i64),
}

impl Clock {
    /// A clock stopped at `text` (`YYYY-MM-DDTHH:MM:SSZ`, as
    /// [`Clock::now_utc`] writes times); `None` for any other text.
    pub fn at(text: &str) -> Option<Clock> {
        seconds_of(text).map(Clock::Fixed)
    }

    /// Seconds since 1970-01-01 UTC, now.
    pub fn seconds(self) -> i64 {
        match self {
            Clock::System => system_seconds(),
            Clock::Fixed(secs) => secs,
        }
    }

    /// Now, as `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn now_utc(self) -> String {
        utc_of(self.seconds())
    }

    /// Today's date in the time zone `timezone` (an IANA name).
    pub fn today_in(self, timezone: &str) -> Result<Date, TodayError> {
        today_at(self.seconds(), timezone)
    }

    /// The start of today in the time zone `timezone`, as
    /// [`Clock::now_utc`] writes times (what "imported today" is measured
    /// from).
    pub fn start_of_today_utc(self, timezone: &str) -> Result<String, TodayError> {
        let now = zoned(self.seconds(), timezone)?;
        let start = now
            .start_of_day()
            .map_err(|_| TodayError::OutOfRange(now.date().to_string()))?;
        Ok(utc_of(start.timestamp().as_second()))
    }
}

/// The machine's clock, in seconds since 1970-01-01 UTC: the only place
/// `dun-store` reads it, reached through [`Clock::System`].
fn system_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A time given in seconds since 1970-01-01 UTC, as [`Clock::now_utc`]
/// writes times.
pub fn utc_of(secs: i64) -> String {
    let day = Date::from_day_number(secs.div_euclid(86_400) as i32);
    let s = secs.rem_euclid(86_400);
    format!("{day}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

/// Seconds since 1970-01-01 UTC of a time [`Clock::now_utc`] wrote
/// (`YYYY-MM-DDTHH:MM:SSZ`); `None` for any other text.
pub fn seconds_of(text: &str) -> Option<i64> {
    let (day, time) = text.strip_suffix('Z')?.split_once('T')?;
    let day = Date::parse(day).ok()?;
    let mut parts = time.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    Some(i64::from(day.day_number()) * 86_400 + h * 3600 + m * 60 + s)
}

/// Why [`Clock::today_in`] has no answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TodayError {
    #[error(
        "'{0}' is not a time zone; use an IANA name such as Europe/London or America/New_York"
    )]
    UnknownZone(String),
    #[error("today ({0}) is outside the dates Dun accepts")]
    OutOfRange(String),
}

/// The date in the time zone `timezone` (an IANA name) at `secs` seconds
/// since 1970-01-01 UTC.
pub fn today_at(secs: i64, timezone: &str) -> Result<Date, TodayError> {
    let today = zoned(secs, timezone)?.date();
    Date::from_ymd(
        i32::from(today.year()),
        today.month() as u32,
        today.day() as u32,
    )
    .ok_or_else(|| TodayError::OutOfRange(today.to_string()))
}

fn zoned(secs: i64, timezone: &str) -> Result<jiff::Zoned, TodayError> {
    let zone = jiff::tz::TimeZone::get(timezone)
        .map_err(|_| TodayError::UnknownZone(timezone.to_string()))?;
    let at =
        jiff::Timestamp::from_second(secs).map_err(|_| TodayError::OutOfRange(utc_of(secs)))?;
    Ok(at.to_zoned(zone))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_known_only_in_a_real_zone() {
        assert!(Clock::System.today_in("Europe/London").is_ok());
        assert_eq!(
            Clock::System.today_in("Mars/Olympus"),
            Err(TodayError::UnknownZone("Mars/Olympus".into()))
        );
    }

    #[test]
    fn a_fixed_clock_answers_its_instant_in_every_zone() {
        let clock = Clock::at("2026-03-01T23:30:00Z").unwrap();
        assert_eq!(clock.now_utc(), "2026-03-01T23:30:00Z");
        assert_eq!(clock.today_in("UTC").unwrap().to_string(), "2026-03-01");
        assert_eq!(
            clock.today_in("Europe/Berlin").unwrap().to_string(),
            "2026-03-02"
        );
        assert_eq!(
            clock.start_of_today_utc("Europe/Berlin").unwrap(),
            "2026-03-01T23:00:00Z"
        );
        assert_eq!(Clock::at("yesterday"), None);
    }
}
