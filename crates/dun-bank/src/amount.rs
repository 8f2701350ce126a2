//! Amounts as text to exact minor units: no floats, nothing rounded away.
//!
//! Each function returns the reason a text is refused; the caller knows the
//! place.

use dun_core::money::{parse_scaled, AMOUNT_MINOR_MAX};
use dun_core::Currency;

/// A camt amount: unsigned, `.` as the decimal point (the sign is the
/// element's `CdtDbtInd`).
pub fn camt_minor(text: &str, currency: Currency) -> Result<i64, String> {
    let plain = text.trim();
    let unsigned_digits = !plain.is_empty()
        && plain.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && plain.bytes().filter(|b| *b == b'.').count() <= 1;
    if !unsigned_digits {
        return Err(
            "not a camt amount; write unsigned digits with '.' as the decimal point, e.g. 1234.50 (the sign is CdtDbtInd)"
                .into(),
        );
    }
    scaled(plain, currency)
}

/// A CSV amount: an optional sign, groups of three digits separated by the
/// other mark (`.` when `decimal` is `,`, and `,` when it is `.`), and at
/// most one `decimal` mark.
pub fn csv_minor(text: &str, decimal: char, currency: Currency) -> Result<i64, String> {
    let thousands = if decimal == ',' { '.' } else { ',' };
    let example = if decimal == ',' {
        "-1.234,56"
    } else {
        "-1,234.56"
    };
    let refusal = || {
        format!(
            "not an amount; write digits with '{decimal}' as the decimal mark and '{thousands}' between thousands, e.g. {example}"
        )
    };
    let text = text.trim();
    let (negative, body) = match text.chars().next() {
        Some('-') => (true, &text[1..]),
        Some('+') => (false, &text[1..]),
        _ => (false, text),
    };
    let body = body.trim_start();
    let (whole, fraction) = match body.split_once(decimal) {
        Some((w, f)) => (w, f),
        None => (body, ""),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let whole_ok = whole
        .split(thousands)
        .enumerate()
        .all(|(i, group)| digits(group) && ((i == 0 && group.len() <= 3) || group.len() == 3))
        || (!whole.contains(thousands) && (whole.is_empty() || digits(whole)));
    let fraction_ok = fraction.is_empty() || digits(fraction);
    let has_digits = !whole.is_empty() || !fraction.is_empty();
    if !(whole_ok && fraction_ok && has_digits) || body.contains(decimal) && fraction.is_empty() {
        return Err(refusal());
    }
    let plain = format!(
        "{}{}.{}",
        if negative { "-" } else { "" },
        whole.replace(thousands, ""),
        fraction
    );
    scaled(plain.trim_end_matches('.'), currency)
}

fn scaled(plain: &str, currency: Currency) -> Result<i64, String> {
    match parse_scaled(plain, currency.exponent()) {
        Ok(v) if v.abs() > i128::from(AMOUNT_MINOR_MAX) => Err(format!(
            "too large; at most {} minor units are accepted",
            AMOUNT_MINOR_MAX
        )),
        Ok(v) => Ok(v as i64),
        Err(Some(digits)) => Err(format!(
            "{digits} digits after the decimal mark; {currency} allows {}",
            currency.exponent()
        )),
        Err(None) => Err("not an amount".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    #[test]
    fn camt_amounts_are_unsigned_and_exact() {
        assert_eq!(camt_minor("1234.5", cur("EUR")), Ok(123450));
        assert_eq!(camt_minor("1234", cur("EUR")), Ok(123400));
        assert_eq!(camt_minor("0.10", cur("EUR")), Ok(10));
        assert_eq!(camt_minor("12.345", cur("BHD")), Ok(12345));
        assert_eq!(camt_minor("1000", cur("JPY")), Ok(1000));
        assert!(camt_minor("1.5", cur("JPY"))
            .unwrap_err()
            .contains("JPY allows 0"));
        assert!(camt_minor("1.234", cur("EUR"))
            .unwrap_err()
            .contains("EUR allows 2"));
        // Trailing zeros carry no value.
        assert_eq!(camt_minor("1.200", cur("EUR")), Ok(120));
        for bad in ["-1.00", "+1", "1,00", "", ".", "1.2.3", "1e3", " 1 0"] {
            assert!(camt_minor(bad, cur("EUR")).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn csv_amounts_with_a_decimal_comma() {
        let eur = cur("EUR");
        assert_eq!(csv_minor("1.234,56", ',', eur), Ok(123456));
        assert_eq!(csv_minor("-1.234,56", ',', eur), Ok(-123456));
        assert_eq!(csv_minor("1234,5", ',', eur), Ok(123450));
        assert_eq!(csv_minor("+12", ',', eur), Ok(1200));
        assert_eq!(csv_minor(" -0,01 ", ',', eur), Ok(-1));
        assert_eq!(csv_minor("1.000.000", ',', eur), Ok(100_000_000));
        assert_eq!(csv_minor(",50", ',', eur), Ok(50));
        // A dot where a comma belongs is refused, not read as thousands.
        for bad in [
            "12.50", "1.23,45", "1,2,3", "12,", "", "-", "1 234,56", "abc", "1.234.5", "--1",
        ] {
            assert!(csv_minor(bad, ',', eur).is_err(), "{bad:?} was accepted");
        }
        assert!(csv_minor("1,234", ',', eur)
            .unwrap_err()
            .contains("EUR allows 2"));
    }

    #[test]
    fn csv_amounts_with_a_decimal_point() {
        let usd = cur("USD");
        assert_eq!(csv_minor("1,234.56", '.', usd), Ok(123456));
        assert_eq!(csv_minor("-10.00", '.', usd), Ok(-1000));
        assert_eq!(csv_minor("1234567", '.', usd), Ok(123456700));
        assert!(csv_minor("12,50", '.', usd).is_err());
        assert!(csv_minor("10.001", '.', usd)
            .unwrap_err()
            .contains("USD allows 2"));
        assert!(csv_minor("99999999999999999999", '.', usd)
            .unwrap_err()
            .contains("too large"));
    }
}
