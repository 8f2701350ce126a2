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

/// Today in the organisation's time zone, by the machine's clock (the
/// server's, as its stores' clock is).
pub fn today_in(timezone: &str) -> Result<Date, ApiError> {
    dun_store::clock::Clock::System
        .today_in(timezone)
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

/// A nested object of a request body. serde builds a struct from an array
/// too (`"documents": [null, null]`), which the OpenAPI document calls
/// invalid; it is refused as not an object (issue 18 item 9).
pub fn object<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error as _;
    use serde::Deserialize as _;
    let value = serde_json::Value::deserialize(d)?;
    if !value.is_object() {
        return Err(D::Error::custom(format!(
            "expected an object, got {}",
            json_kind(&value)
        )));
    }
    serde_json::from_value(value).map_err(D::Error::custom)
}

/// As [`object`], or `null` for none.
pub fn opt_object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error as _;
    use serde::Deserialize as _;
    let value = serde_json::Value::deserialize(d)?;
    match value {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Object(_) => serde_json::from_value(value)
            .map(Some)
            .map_err(D::Error::custom),
        other => Err(D::Error::custom(format!(
            "expected an object or null, got {}",
            json_kind(&other)
        ))),
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
