//! The collector's worklist order.
//!
//! priority = amount at risk × lateness × tier weight, where the amount
//! counts by its order of magnitude (1 + ln(1 + owed in major units)), so a
//! small balance still surfaces: 50.00 forty days late outranks 5,000.00
//! due tomorrow. The score is a ranking, not money; it is never posted.

use serde::Serialize;

use crate::Currency;

/// One open task with what the ranking needs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ranked {
    pub task_id: i64,
    pub priority: f64,
}

/// The score of a task for a customer owing `owed_minor` of `currency`, the
/// oldest of it `days_late` past due, in a tier weighted `weight_percent`.
pub fn priority(owed_minor: i64, currency: Currency, days_late: i32, weight_percent: u32) -> f64 {
    let major = owed_minor.max(0) as f64 / 10f64.powi(i32::from(currency.exponent()));
    let amount = 1.0 + (1.0 + major).ln();
    let lateness = 1.0 + f64::from(days_late.max(0)) / 30.0;
    amount * lateness * f64::from(weight_percent) / 100.0
}

#[cfg(test)]
// Minor units written as major_minor (100_00 is 100.00) read as money.
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;

    #[test]
    fn small_and_late_outranks_big_and_not_yet_due() {
        let usd = Currency::parse("USD").unwrap();
        let small_late = priority(50_00, usd, 40, 100);
        let big_fresh = priority(5_000_00, usd, 0, 100);
        assert!(small_late > big_fresh, "{small_late} vs {big_fresh}");
        // Same debt, riskier tier, higher.
        assert!(priority(100_00, usd, 10, 200) > priority(100_00, usd, 10, 100));
        // Exponent respected: 1000 JPY is about 10 USD, not 1000.
        let jpy = Currency::parse("JPY").unwrap();
        assert!((priority(1000, jpy, 0, 100) - priority(1000_00, usd, 0, 100)).abs() < 1e-9);
    }
}
