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
    #[error(
        "'{value}' has {digits} digits after the point; a unit price in {currency} takes at most {allowed}"
    )]
    PriceTooPrecise {
        value: String,
        digits: usize,
        allowed: u8,
        currency: Currency,
    },
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

/// Decimals a unit price may carry beyond its currency's minor unit: a EUR
/// or USD price takes up to 6 decimals (13.333333), a JPY price 4, a BHD
/// price 7. EN 16931 sets no limit on the item net price (BT-146); common
/// invoicing software takes 4 to 6 decimals, and 4 beyond the minor unit
/// keeps every currency's prices to at least that.
pub const UNIT_PRICE_EXTRA_DECIMALS_MAX: u8 = 4;
/// Decimals of a minor unit a [`UnitPrice`] holds: fixed, as lines are
/// stored in it (`unit_price_minor_e4`); the limit above may not exceed it.
const UNIT_PRICE_SCALE: u8 = 4;
const _: () = assert!(UNIT_PRICE_EXTRA_DECIMALS_MAX <= UNIT_PRICE_SCALE);
/// One minor unit in a [`UnitPrice`]'s scale.
const UNIT_PRICE_MINOR: i128 = 10_i128.pow(UNIT_PRICE_SCALE as u32);

/// The price of one unit of an invoice line (EN 16931 BT-146, the item net
/// price), exact: minor units of the invoice's currency and up to
/// [`UNIT_PRICE_EXTRA_DECIMALS_MAX`] decimals more, held as an integer of
/// ten-thousandths of a minor unit. 13.333 EUR is 1333.3 cents,
/// `minor_e4` 13_333_000. A price in whole minor units is exactly the
/// `i64` amount it always was ([`UnitPrice::whole_minor`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitPrice {
    minor_e4: i128,
}

impl UnitPrice {
    /// A price of whole minor units.
    pub fn from_minor(amount_minor: i64) -> UnitPrice {
        UnitPrice {
            minor_e4: i128::from(amount_minor) * UNIT_PRICE_MINOR,
        }
    }

    /// A price in ten-thousandths of a minor unit.
    pub fn from_minor_e4(minor_e4: i128) -> UnitPrice {
        UnitPrice { minor_e4 }
    }

    /// The price in ten-thousandths of a minor unit.
    pub fn minor_e4(self) -> i128 {
        self.minor_e4
    }

    /// The price in minor units when it has no decimals beyond them.
    pub fn whole_minor(self) -> Option<i64> {
        if self.minor_e4 % UNIT_PRICE_MINOR == 0 {
            i64::try_from(self.minor_e4 / UNIT_PRICE_MINOR).ok()
        } else {
            None
        }
    }

    pub fn is_negative(self) -> bool {
        self.minor_e4 < 0
    }

    /// Parses a price such as `13.333` in `currency`: at most the
    /// currency's decimals plus [`UNIT_PRICE_EXTRA_DECIMALS_MAX`]; more are
    /// refused, never rounded away. Whatever [`parse_amount_minor`] accepts
    /// is accepted, as the same number.
    pub fn parse(text: &str, currency: Currency) -> Result<UnitPrice, AmountError> {
        let allowed = currency.exponent() + UNIT_PRICE_EXTRA_DECIMALS_MAX;
        let unused = 10_i128.pow(u32::from(UNIT_PRICE_SCALE - UNIT_PRICE_EXTRA_DECIMALS_MAX));
        match parse_scaled(text, allowed).map(|v| v * unused) {
            Ok(v) if v.abs() > i128::from(AMOUNT_MINOR_MAX) * UNIT_PRICE_MINOR => {
                Err(AmountError::TooLarge(text.into()))
            }
            Ok(minor_e4) => Ok(UnitPrice { minor_e4 }),
            Err(Some(digits)) => Err(AmountError::PriceTooPrecise {
                value: text.to_string(),
                digits,
                allowed,
                currency,
            }),
            Err(None) => Err(AmountError::NotANumber(text.to_string())),
        }
    }

    /// The price as a plain decimal: the currency's decimals, and the
    /// further ones it has (`13.333`, `13.30`, `1500.25` JPY).
    pub fn format(self, currency: Currency) -> String {
        let full = format_scaled(self.minor_e4, currency.exponent() + UNIT_PRICE_SCALE);
        let keep = full.len() - usize::from(UNIT_PRICE_SCALE);
        let (head, extra) = full.split_at(keep);
        let extra = extra.trim_end_matches('0');
        let head = if extra.is_empty() && currency.exponent() == 0 {
            head.trim_end_matches('.')
        } else {
            head
        };
        format!("{head}{extra}")
    }

    /// `quantity_e4` (quantity × 10^4) units at this price, rounded
    /// half-even to the minor unit once: the line net amount (BT-131).
    pub fn times_quantity_e4(self, quantity_e4: i64) -> i128 {
        let quantity_unit = 10_i128.pow(u32::from(crate::invoice::QUANTITY_SCALE));
        round_half_even(
            i128::from(quantity_e4) * self.minor_e4,
            quantity_unit * UNIT_PRICE_MINOR,
        )
    }
}

/// As JSON a unit price is the exact decimal of minor units it is, as a
/// string: `"1333.3"` for 13.333 EUR. (Invoice lines are stored in their
/// own shape; see `invoice::InvoiceLine`.)
impl Serialize for UnitPrice {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let full = format_scaled(self.minor_e4, UNIT_PRICE_SCALE);
        let text = full.trim_end_matches('0').trim_end_matches('.');
        s.serialize_str(text)
    }
}

impl<'de> Deserialize<'de> for UnitPrice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<UnitPrice, D::Error> {
        let text = String::deserialize(d)?;
        parse_scaled(&text, UNIT_PRICE_SCALE)
            .map(UnitPrice::from_minor_e4)
            .map_err(|_| {
                serde::de::Error::custom(format!(
                    "'{text}' is not a unit price in minor units with at most {UNIT_PRICE_SCALE} decimals"
                ))
            })
    }
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
    fn unit_prices_take_four_decimals_beyond_the_currency() {
        let eur = Currency::parse("EUR").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        let bhd = Currency::parse("BHD").unwrap();
        let p = UnitPrice::parse("13.333", eur).unwrap();
        assert_eq!(p.minor_e4(), 13_333_000);
        assert_eq!(p.whole_minor(), None);
        assert_eq!(p.format(eur), "13.333");
        assert_eq!(
            UnitPrice::parse("0.000001", eur).unwrap().format(eur),
            "0.000001"
        );
        assert_eq!(UnitPrice::parse("13.3", eur).unwrap().format(eur), "13.30");
        assert_eq!(
            UnitPrice::parse("13.3330", eur).unwrap().format(eur),
            "13.333"
        );
        assert_eq!(UnitPrice::parse("1500", jpy).unwrap().format(jpy), "1500");
        assert_eq!(
            UnitPrice::parse("1500.25", jpy).unwrap().format(jpy),
            "1500.25"
        );
        assert_eq!(
            UnitPrice::parse("1.2345678", bhd).unwrap().format(bhd),
            "1.2345678"
        );
        assert_eq!(UnitPrice::parse("-0.5", eur).unwrap().format(eur), "-0.50");
        assert!(UnitPrice::parse("-0.5", eur).unwrap().is_negative());
        // What an amount parses to, a price parses to, in whole minor units.
        for text in ["12.34", "0", "999999999999.99", "10.500", "+3"] {
            let p = UnitPrice::parse(text, eur).unwrap();
            assert_eq!(
                p.whole_minor(),
                parse_amount_minor(text, eur).ok(),
                "{text}"
            );
            assert_eq!(
                p,
                UnitPrice::from_minor(parse_amount_minor(text, eur).unwrap())
            );
        }
        let refused = UnitPrice::parse("13.1234567", eur).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "'13.1234567' has 7 digits after the point; a unit price in EUR takes at most 6"
        );
        assert!(matches!(
            UnitPrice::parse("1.23456", jpy),
            Err(AmountError::PriceTooPrecise {
                digits: 5,
                allowed: 4,
                ..
            })
        ));
        assert!(matches!(
            UnitPrice::parse("13,333", eur),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(
            UnitPrice::parse("10000000000000.0001", eur),
            Err(AmountError::TooLarge(_))
        ));
        assert!(UnitPrice::parse("10000000000000", eur).is_ok());
    }

    #[test]
    fn a_line_net_rounds_half_even_to_the_minor_unit_once() {
        let eur = Currency::parse("EUR").unwrap();
        let net = |q: i64, p: &str| UnitPrice::parse(p, eur).unwrap().times_quantity_e4(q);
        // 3 × 13.333 = 39.999 → 40.00
        assert_eq!(net(30_000, "13.333"), 40_00);
        // 1 × 13.333 = 13.333 → 13.33
        assert_eq!(net(10_000, "13.333"), 13_33);
        // 1 × 0.125 = 0.125 → 0.12 (half to even), 3 × 0.125 = 0.375 → 0.38
        assert_eq!(net(10_000, "0.125"), 12);
        assert_eq!(net(30_000, "0.125"), 38);
        // 2.5 × 1.0005 = 2.50125 → 2.50; 0.3333 × 13.333 = 4.4438889 → 4.44
        assert_eq!(net(25_000, "1.0005"), 2_50);
        assert_eq!(net(3_333, "13.333"), 4_44);
        // Whole minor units round as they always did: 0.5 × 3.33 = 1.665 → 1.66.
        assert_eq!(net(5_000, "3.33"), 1_66);
        assert_eq!(
            UnitPrice::from_minor(333).times_quantity_e4(5_000),
            round_half_even(5_000 * 333, 10_000)
        );
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
