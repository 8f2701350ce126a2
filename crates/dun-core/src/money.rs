//! Exact money: integer minor units of one currency, and the one rounding rule.
//!
//! Amounts are `i64` minor units (cents for USD, yen for JPY, fils for BHD).
//! Intermediate products (quantity × price, amount × rate) are computed in
//! `i128` and rounded **half-even** to the minor unit exactly once, by
//! [`round_half_even`], at the point a figure becomes a posted amount.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::currency::Currency;

/// Largest amount the ledger accepts, in minor units: 10^15, a thousand
/// trillion cents. Sums of many such amounts still fit in an `i64`.
pub const AMOUNT_MINOR_MAX: i64 = 1_000_000_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount_minor: i64, currency: Currency) -> Money {
        Money {
            amount_minor,
            currency,
        }
    }

    /// Parses a decimal amount such as `1234.50` in `currency`. More digits
    /// after the point than the currency has are refused, never rounded away.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, AmountError> {
        let amount_minor = parse_amount_minor(text, currency)?;
        Ok(Money::new(amount_minor, currency))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            format_minor(self.amount_minor, self.currency),
            self.currency
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("'{0}' is not a number; write digits with an optional '.' and sign, e.g. 1234.50")]
    NotANumber(String),
    #[error("'{value}' has {digits} digits after the point; {currency} allows {allowed}")]
    TooPrecise {
        value: String,
        digits: usize,
        allowed: u8,
        currency: Currency,
    },
    #[error("'{0}' is too large; at most {max} is accepted", max = AMOUNT_MINOR_MAX)]
    TooLarge(String),
}

/// Parses a decimal number exactly into an integer scaled by `10^scale`.
/// Returns `Err(Some(digits))` when it has more fractional digits than
/// `scale`, `Err(None)` when it is not a number at all.
pub fn parse_scaled(text: &str, scale: u8) -> Result<i128, Option<usize>> {
    let text = text.trim();
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (whole, fraction) = match body.split_once('.') {
        Some((w, f)) => (w, f),
        None => (body, ""),
    };
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits_ok(whole) || !digits_ok(fraction) {
        return Err(None);
    }
    if whole.len() > 24 {
        return Err(None);
    }
    // Trailing zeros beyond the scale carry no value: 10.500 USD is 10.50.
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > scale as usize {
        return Err(Some(fraction.len()));
    }
    let mut value: i128 = 0;
    for b in whole.bytes() {
        value = value * 10 + i128::from(b - b'0');
    }
    for i in 0..scale as usize {
        let digit = fraction.as_bytes().get(i).map_or(0, |b| b - b'0');
        value = value * 10 + i128::from(digit);
    }
    Ok(if negative { -value } else { value })
}

/// Parses an amount of `currency` into minor units.
pub fn parse_amount_minor(text: &str, currency: Currency) -> Result<i64, AmountError> {
    match parse_scaled(text, currency.exponent()) {
        Ok(v) if v.abs() > i128::from(AMOUNT_MINOR_MAX) => Err(AmountError::TooLarge(text.into())),
        Ok(v) => Ok(v as i64),
        Err(Some(digits)) => Err(AmountError::TooPrecise {
            value: text.to_string(),
            digits,
            allowed: currency.exponent(),
            currency,
        }),
        Err(None) => Err(AmountError::NotANumber(text.to_string())),
    }
}

/// Writes minor units as a plain decimal (`-1234.50`), no grouping.
pub fn format_minor(amount_minor: i64, currency: Currency) -> String {
    format_scaled(i128::from(amount_minor), currency.exponent())
}

/// Writes an integer scaled by `10^scale` as a plain decimal.
pub fn format_scaled(value: i128, scale: u8) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    if scale == 0 {
        return format!("{sign}{abs}");
    }
    let unit = 10u128.pow(u32::from(scale));
    format!(
        "{sign}{}.{:0width$}",
        abs / unit,
        abs % unit,
        width = scale as usize
    )
}

/// Divides and rounds half to even (banker's rounding): 0.5 → 0, 1.5 → 2,
/// 2.5 → 2. This is the product's one rounding rule for posted amounts.
pub fn round_half_even(numerator: i128, denominator: i128) -> i128 {
    assert!(denominator > 0, "denominator must be positive");
    let quotient = numerator.div_euclid(denominator);
    let remainder = numerator.rem_euclid(denominator);
    match (2 * remainder).cmp(&denominator) {
        std::cmp::Ordering::Less => quotient,
        std::cmp::Ordering::Greater => quotient + 1,
        std::cmp::Ordering::Equal if quotient % 2 == 0 => quotient,
        std::cmp::Ordering::Equal => quotient + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    #[test]
    fn parses_exactly_per_exponent() {
        assert_eq!(parse_amount_minor("12.34", usd()), Ok(1234));
        assert_eq!(parse_amount_minor("12.3", usd()), Ok(1230));
        assert_eq!(parse_amount_minor("12", usd()), Ok(1200));
        assert_eq!(parse_amount_minor("-0.05", usd()), Ok(-5));
        assert_eq!(parse_amount_minor("10.500", usd()), Ok(1050));
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(parse_amount_minor("1500", jpy), Ok(1500));
        assert!(matches!(
            parse_amount_minor("1500.5", jpy),
            Err(AmountError::TooPrecise { digits: 1, .. })
        ));
        let bhd = Currency::parse("BHD").unwrap();
        assert_eq!(parse_amount_minor("1.234", bhd), Ok(1234));
        assert!(matches!(
            parse_amount_minor("1,234.00", usd()),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(
            parse_amount_minor(".", usd()),
            Err(AmountError::NotANumber(_))
        ));
    }

    #[test]
    fn formats_back() {
        assert_eq!(format_minor(-5, usd()), "-0.05");
        assert_eq!(
            format_minor(123456, Currency::parse("BHD").unwrap()),
            "123.456"
        );
        assert_eq!(format_minor(7, Currency::parse("JPY").unwrap()), "7");
    }

    #[test]
    fn rounds_half_to_even() {
        assert_eq!(round_half_even(5, 10), 0);
        assert_eq!(round_half_even(15, 10), 2);
        assert_eq!(round_half_even(25, 10), 2);
        assert_eq!(round_half_even(26, 10), 3);
        assert_eq!(round_half_even(-5, 10), 0);
        assert_eq!(round_half_even(-15, 10), -2);
        assert_eq!(round_half_even(-16, 10), -2);
    }
}
