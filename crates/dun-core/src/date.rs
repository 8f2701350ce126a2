//! Calendar dates as a day number, with no clock and no time zone.
//!
//! The domain never asks "what day is it?": the shell decides today in the
//! organisation's time zone and passes a `Date` in. A `Date` is the number of
//! days since 1970-01-01, which makes `days past due` a subtraction and lets
//! storage keep dates as plain integers on both databases.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Earliest year a date may carry. Older dates are refused as out of range.
pub const YEAR_MIN: i32 = 1900;
/// Latest year a date may carry.
pub const YEAR_MAX: i32 = 2200;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date {
    days: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("'{0}' is not a date; use YYYY-MM-DD, e.g. 2026-01-31")]
    Format(String),
    #[error("'{0}' does not exist in the calendar")]
    NoSuchDay(String),
    #[error("'{value}' is out of range; years {YEAR_MIN} to {YEAR_MAX} are accepted")]
    OutOfRange { value: String },
}

impl Date {
    /// Builds a date from year, month (1–12) and day (1–31), if it exists.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(YEAR_MIN..=YEAR_MAX).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        if day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date {
            days: days_from_civil(year, month, day),
        })
    }

    /// Parses exactly `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Date, DateError> {
        let bytes = text.as_bytes();
        let well_formed = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !well_formed {
            return Err(DateError::Format(text.to_string()));
        }
        let number = |range: std::ops::Range<usize>| -> u32 {
            bytes[range]
                .iter()
                .fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
        };
        let (year, month, day) = (number(0..4) as i32, number(5..7), number(8..10));
        if !(YEAR_MIN..=YEAR_MAX).contains(&year) {
            return Err(DateError::OutOfRange {
                value: text.to_string(),
            });
        }
        Date::from_ymd(year, month, day).ok_or_else(|| DateError::NoSuchDay(text.to_string()))
    }

    /// The day number: days since 1970-01-01. Storage keeps this integer.
    pub fn day_number(self) -> i32 {
        self.days
    }

    pub fn from_day_number(days: i32) -> Date {
        Date { days }
    }

    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.days)
    }

    pub fn add_days(self, days: i32) -> Date {
        Date {
            days: self.days + days,
        }
    }

    /// Calendar days from `earlier` to `self` (negative when `self` is earlier).
    pub fn days_since(self, earlier: Date) -> i32 {
        self.days - earlier.days
    }

    /// The last day of this date's month.
    pub fn end_of_month(self) -> Date {
        let (year, month, _) = self.ymd();
        Date {
            days: days_from_civil(year, month, days_in_month(year, month)),
        }
    }

    /// The same day `months` later, clamped to the end of a shorter month
    /// (2026-01-31 plus one month is 2026-02-28).
    pub fn add_months(self, months: i32) -> Date {
        let (year, month, day) = self.ymd();
        let index = year * 12 + (month as i32 - 1) + months;
        let (new_year, new_month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
        let new_day = day.min(days_in_month(new_year, new_month));
        Date {
            days: days_from_civil(new_year, new_month, new_day),
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl std::str::FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Date::parse(s)
    }
}

impl TryFrom<String> for Date {
    type Error = DateError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Date::parse(&value)
    }
}

impl From<Date> for String {
    fn from(value: Date) -> Self {
        value.to_string()
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days: exact for the
// proleptic Gregorian calendar, no tables.
fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i32::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_day_of_two_centuries() {
        let start = Date::parse("1900-01-01").unwrap();
        let end = Date::parse("2100-12-31").unwrap();
        let mut day = start;
        while day <= end {
            assert_eq!(Date::parse(&day.to_string()).unwrap(), day);
            day = day.add_days(1);
        }
        assert_eq!(Date::parse("1970-01-01").unwrap().day_number(), 0);
    }

    #[test]
    fn refuses_what_is_not_a_day() {
        assert!(matches!(
            Date::parse("2026-02-29"),
            Err(DateError::NoSuchDay(_))
        ));
        assert!(matches!(
            Date::parse("31/01/2026"),
            Err(DateError::Format(_))
        ));
        assert!(matches!(
            Date::parse("2026-1-31"),
            Err(DateError::Format(_))
        ));
        assert!(matches!(
            Date::parse("1850-01-01"),
            Err(DateError::OutOfRange { .. })
        ));
        assert!(Date::parse("2024-02-29").is_ok());
    }

    #[test]
    fn month_arithmetic_clamps_to_month_end() {
        let d = Date::parse("2026-01-31").unwrap();
        assert_eq!(d.add_months(1).to_string(), "2026-02-28");
        assert_eq!(d.end_of_month().to_string(), "2026-01-31");
        assert_eq!(
            Date::parse("2026-12-15").unwrap().add_months(1).to_string(),
            "2027-01-15"
        );
        assert_eq!(
            Date::parse("2024-02-10")
                .unwrap()
                .end_of_month()
                .to_string(),
            "2024-02-29"
        );
    }
}
