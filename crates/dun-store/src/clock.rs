//! The shell's clock: when something was recorded, and what day it is in
//! an organisation's time zone — read by the shells (CLI, server), which
//! pass that date in; nothing in the store reads it for itself.

use dun_core::Date;

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    utc_of(secs)
}

/// A time given in seconds since 1970-01-01 UTC, as [`now_utc`] writes
/// times.
pub fn utc_of(secs: i64) -> String {
    let day = Date::from_day_number(secs.div_euclid(86_400) as i32);
    let s = secs.rem_euclid(86_400);
    format!("{day}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

/// Seconds since 1970-01-01 UTC of a time [`now_utc`] wrote
/// (`YYYY-MM-DDTHH:MM:SSZ`); `None` for any other text.
pub fn seconds_of(text: &str) -> Option<i64> {
    let (day, time) = text.strip_suffix('Z')?.split_once('T')?;
    let day = Date::parse(day).ok()?;
    let mut parts = time.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    Some(i64::from(day.day_number()) * 86_400 + h * 3600 + m * 60 + s)
}

/// Why [`today_in`] has no answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TodayError {
    #[error(
        "'{0}' is not a time zone; use an IANA name such as Europe/London or America/New_York"
    )]
    UnknownZone(String),
    #[error("today ({0}) is outside the dates Dun accepts")]
    OutOfRange(String),
}

/// Today's date in the time zone `timezone` (an IANA name).
pub fn today_in(timezone: &str) -> Result<Date, TodayError> {
    let zone = jiff::tz::TimeZone::get(timezone)
        .map_err(|_| TodayError::UnknownZone(timezone.to_string()))?;
    let today = jiff::Timestamp::now().to_zoned(zone).date();
    Date::from_ymd(
        i32::from(today.year()),
        today.month() as u32,
        today.day() as u32,
    )
    .ok_or_else(|| TodayError::OutOfRange(today.to_string()))
}

/// The start of today in the time zone `timezone`, as [`now_utc`] writes
/// times (what "imported today" is measured from).
pub fn start_of_today_utc(timezone: &str) -> Result<String, TodayError> {
    let zone = jiff::tz::TimeZone::get(timezone)
        .map_err(|_| TodayError::UnknownZone(timezone.to_string()))?;
    let now = jiff::Timestamp::now().to_zoned(zone);
    let start = now
        .start_of_day()
        .map_err(|_| TodayError::OutOfRange(now.date().to_string()))?;
    Ok(start.timestamp().strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_known_only_in_a_real_zone() {
        assert!(today_in("Europe/London").is_ok());
        assert_eq!(
            today_in("Mars/Olympus"),
            Err(TodayError::UnknownZone("Mars/Olympus".into()))
        );
    }
}
