//! How values cross the wire: amounts as decimal strings in their
//! currency's exponent, dates as ISO 8601, each parsed with the field named.

use dun_core::{money, Currency, Date};

use crate::problem::ApiError;

/// `amount_minor` as a decimal string ("12.50" for 1250 USD).
pub fn amount(amount_minor: i64, currency: Currency) -> String {
    money::format_minor(amount_minor, currency)
}

pub fn parse_amount(field: &str, text: &str, currency: Currency) -> Result<i64, ApiError> {
    money::parse_amount_minor(text, currency)
        .map_err(|e| ApiError::invalid(field, format!("{field}: {e}")))
}

/// A unit price, which may carry decimals beyond the currency's.
pub fn parse_unit_price(
    field: &str,
    text: &str,
    currency: Currency,
) -> Result<money::UnitPrice, ApiError> {
    money::UnitPrice::parse(text, currency)
        .map_err(|e| ApiError::invalid(field, format!("{field}: {e}")))
}

pub fn parse_currency(field: &str, text: &str) -> Result<Currency, ApiError> {
    Currency::parse(text).map_err(|e| ApiError::invalid(field, format!("{field}: {e}")))
}

pub fn parse_date(field: &str, text: &str) -> Result<Date, ApiError> {
    Date::parse(text).map_err(|e| ApiError::invalid(field, format!("{field}: {e}")))
}

pub fn opt_date(field: &str, text: Option<&str>) -> Result<Option<Date>, ApiError> {
    text.map(|t| parse_date(field, t)).transpose()
}

/// Today in the organisation's time zone.
pub fn today_in(timezone: &str) -> Result<Date, ApiError> {
    dun_store::clock::today_in(timezone)
        .map_err(|e| ApiError::internal(format!("the organisation's time zone: {e}")))
}

/// `at` as the store's recorded-time text, `YYYY-MM-DDTHH:MM:SSZ` (UTC),
/// which orders as text.
pub fn utc(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Now plus `seconds` (negative: in the past), as [`utc`] writes it.
pub fn utc_in(seconds: i64) -> String {
    let now = jiff::Timestamp::now();
    utc(now
        .checked_add(jiff::SignedDuration::from_secs(seconds))
        .unwrap_or(now))
}

/// `as_of` if given, else today in the organisation's zone.
pub fn as_of_or_today(field: &str, text: Option<&str>, timezone: &str) -> Result<Date, ApiError> {
    match text {
        Some(t) => parse_date(field, t),
        None => today_in(timezone),
    }
}
