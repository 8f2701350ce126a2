//! Credit standing: a customer's status, and whether an invoice may be
//! issued to it.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::policy::Rate;
use crate::date::Date;
use crate::money::{format_minor, round_half_even};
use crate::{Currency, REASON_CHARS_MAX};

/// Whether a customer may be sold to on credit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerStatus {
    Active,
    /// Sell only for cash on delivery (placed by the policy or a person).
    CodRequired,
    /// No new invoices until a person lifts it.
    OnHold,
    DoNotServe,
    /// Handed to a collection agency after an escalation review: the
    /// ladder stops; payments still post.
    WithAgency,
    /// Handed to a lawyer (legal action) after an escalation review: the
    /// ladder stops; payments still post.
    Legal,
}

impl CustomerStatus {
    pub const ALL: [CustomerStatus; 6] = [
        CustomerStatus::Active,
        CustomerStatus::CodRequired,
        CustomerStatus::OnHold,
        CustomerStatus::DoNotServe,
        CustomerStatus::WithAgency,
        CustomerStatus::Legal,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            CustomerStatus::Active => "active",
            CustomerStatus::CodRequired => "cod_required",
            CustomerStatus::OnHold => "on_hold",
            CustomerStatus::DoNotServe => "do_not_serve",
            CustomerStatus::WithAgency => "with_agency",
            CustomerStatus::Legal => "legal",
        }
    }

    /// The debt was handed over (to an agency or a lawyer): the ladder
    /// sends, charges and holds nothing more for the customer.
    pub fn handed_over(self) -> bool {
        matches!(self, CustomerStatus::WithAgency | CustomerStatus::Legal)
    }

    pub fn parse(text: &str) -> Option<CustomerStatus> {
        CustomerStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for CustomerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an invoice may not be issued without a person's override.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum CreditRefusal {
    #[error("the customer is {status}; issuing needs an override with a reason")]
    Status { status: CustomerStatus },
    #[error("the customer would owe {exposure} {currency} against a credit limit of {limit} {currency}; issuing needs an override with a reason")]
    OverLimit {
        currency: Currency,
        limit: String,
        exposure: String,
    },
    /// The customer has a credit limit in `limit_currency` and owes (or
    /// would owe) in `currency`, for which no rate is set on `on`: the
    /// exposure cannot be counted, so issuing is refused.
    #[error("no exchange rate from {currency} to {limit_currency} is set for {on}, so what the customer owes in {currency} cannot count toward their credit limit in {limit_currency}; set a rate from {currency} to {limit_currency} in force on that day, or issue with an override and a reason")]
    NoRate {
        currency: Currency,
        limit_currency: Currency,
        on: Date,
    },
    #[error("an override needs a reason of 1 to {REASON_CHARS_MAX} characters")]
    Reason,
}

/// A rate the owner set: from `effective_from` on, one unit of `from` counts
/// as `rate` units of `to` (EUR → USD 1.08 from 2026-01-01).
/// Used only to count exposure toward a credit limit; no amount owed is
/// ever converted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeRate {
    pub from: Currency,
    pub to: Currency,
    /// Units of `to` per unit of `from`, exact to six places.
    pub rate: Rate,
    pub effective_from: Date,
}

/// Largest rate accepted (units of one currency per unit of another).
pub const RATE_MAX: i128 = 1_000_000_000;

impl ExchangeRate {
    /// Checks a rate the owner gives: two different currencies, a rate
    /// above 0 and at most [`RATE_MAX`]. Each problem names its field.
    pub fn new(
        from: Currency,
        to: Currency,
        rate: Rate,
        effective_from: Date,
    ) -> Result<ExchangeRate, (&'static str, String)> {
        if from == to {
            return Err((
                "to",
                format!("a rate is between two currencies, not {from} and {to}"),
            ));
        }
        if rate.scaled() <= 0 {
            return Err(("rate", "must be above 0".into()));
        }
        if rate.scaled() > RATE_MAX * 1_000_000 {
            return Err(("rate", format!("at most {RATE_MAX}")));
        }
        Ok(ExchangeRate {
            from,
            to,
            rate,
            effective_from,
        })
    }
}

/// `amount_minor` of `from` in minor units of `to` at `rate` (units of `to`
/// per unit of `from`), rounded half-even once to `to`'s minor unit.
pub fn convert_minor(amount_minor: i64, from: Currency, to: Currency, rate: Rate) -> i64 {
    let up = 10i128.pow(u32::from(to.exponent()));
    let down = 10i128.pow(u32::from(from.exponent())) * 1_000_000;
    round_half_even(i128::from(amount_minor) * rate.scaled() * up, down)
        .clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// The rate from `from` to `to` in force on `on`: the one with the latest
/// `effective_from` on or before it.
pub fn rate_on(rates: &[ExchangeRate], from: Currency, to: Currency, on: Date) -> Option<Rate> {
    rates
        .iter()
        .filter(|r| r.from == from && r.to == to && r.effective_from <= on)
        .max_by_key(|r| r.effective_from)
        .map(|r| r.rate)
}

/// What a customer owes (or would owe) in several currencies, counted in
/// the credit limit's currency: each amount in another currency converted
/// at the rate in force on `on` ([`convert_minor`]), summed. A currency
/// without a rate refuses ([`CreditRefusal::NoRate`]): exposure is never
/// left out.
pub fn exposure_minor(
    owed: &[(Currency, i64)],
    limit_currency: Currency,
    rates: &[ExchangeRate],
    on: Date,
) -> Result<i64, CreditRefusal> {
    let mut total: i64 = 0;
    for &(currency, amount_minor) in owed {
        if amount_minor == 0 {
            continue;
        }
        let counted = if currency == limit_currency {
            amount_minor
        } else {
            let rate =
                rate_on(rates, currency, limit_currency, on).ok_or(CreditRefusal::NoRate {
                    currency,
                    limit_currency,
                    on,
                })?;
            convert_minor(amount_minor, currency, limit_currency, rate)
        };
        total = total.saturating_add(counted);
    }
    Ok(total)
}

/// What a person overrode, to be logged with their reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreditOverride {
    pub refusal: String,
    pub reason: String,
}

/// Decides whether an invoice of `total_minor` may be issued to a customer
/// with `status`, a credit `limit_minor` in `currency` (if any) and
/// `open_minor` already owed in that currency. A refusal can be overridden
/// by a person with a reason; the override is returned to be logged.
pub fn check_issue(
    status: CustomerStatus,
    limit_minor: Option<i64>,
    open_minor: i64,
    total_minor: i64,
    currency: Currency,
    override_reason: Option<&str>,
) -> Result<Option<CreditOverride>, CreditRefusal> {
    let refusal = if status != CustomerStatus::Active {
        Some(CreditRefusal::Status { status })
    } else {
        limit_minor
            .filter(|limit| open_minor.saturating_add(total_minor) > *limit)
            .map(|limit| CreditRefusal::OverLimit {
                currency,
                limit: format_minor(limit, currency),
                exposure: format_minor(open_minor.saturating_add(total_minor), currency),
            })
    };
    match (refusal, override_reason) {
        (None, _) => Ok(None),
        (Some(r), Some(reason)) => {
            let reason = reason.trim();
            if reason.is_empty() || reason.chars().count() > REASON_CHARS_MAX {
                return Err(CreditRefusal::Reason);
            }
            Ok(Some(CreditOverride {
                refusal: r.to_string(),
                reason: reason.to_string(),
            }))
        }
        (Some(r), None) => Err(r),
    }
}

#[cfg(test)]
// Minor units written as major_minor (100_00 is 100.00) read as money.
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;

    fn rate(from: &str, to: &str, rate: &str, on: &str) -> ExchangeRate {
        ExchangeRate::new(
            Currency::parse(from).unwrap(),
            Currency::parse(to).unwrap(),
            Rate::parse(rate).unwrap(),
            Date::parse(on).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn exposure_in_other_currencies_counts_at_the_rate_in_force() {
        let c = |s: &str| Currency::parse(s).unwrap();
        let d = |s: &str| Date::parse(s).unwrap();
        let rates = [
            rate("EUR", "USD", "1.08", "2026-01-01"),
            rate("EUR", "USD", "1.10", "2026-03-01"),
            rate("JPY", "USD", "0.0067", "2026-01-01"),
            rate("BHD", "USD", "2.659574", "2026-01-01"),
        ];
        // 50,000.00 EUR at 1.08 = 54,000.00 USD; at 1.10 from March.
        assert_eq!(
            exposure_minor(&[(c("EUR"), 50_000_00)], c("USD"), &rates, d("2026-02-01")),
            Ok(54_000_00)
        );
        assert_eq!(
            exposure_minor(&[(c("EUR"), 50_000_00)], c("USD"), &rates, d("2026-03-01")),
            Ok(55_000_00)
        );
        // Minor units of each: 3,500 JPY = 23.45 USD; 1.234 BHD = 3.281… → 3.28.
        assert_eq!(
            convert_minor(3500, c("JPY"), c("USD"), Rate::parse("0.0067").unwrap()),
            23_45
        );
        assert_eq!(
            convert_minor(1234, c("BHD"), c("USD"), Rate::parse("2.659574").unwrap()),
            3_28
        );
        // Half-even once: 0.05 EUR at 1.1 = 0.055 → 0.06; at 1.3 = 0.065 → 0.06.
        assert_eq!(
            convert_minor(5, c("EUR"), c("USD"), Rate::parse("1.1").unwrap()),
            6
        );
        assert_eq!(
            convert_minor(5, c("EUR"), c("USD"), Rate::parse("1.3").unwrap()),
            6
        );
        // Before any rate, or a currency with none: refused, naming it.
        assert_eq!(
            exposure_minor(
                &[(c("USD"), 100_00), (c("EUR"), 1_00)],
                c("USD"),
                &rates,
                d("2025-12-31")
            ),
            Err(CreditRefusal::NoRate {
                currency: c("EUR"),
                limit_currency: c("USD"),
                on: d("2025-12-31")
            })
        );
        let no_gbp = exposure_minor(&[(c("GBP"), 1)], c("USD"), &rates, d("2026-02-01"))
            .unwrap_err()
            .to_string();
        assert!(
            no_gbp.starts_with("no exchange rate from GBP to USD is set for 2026-02-01"),
            "{no_gbp}"
        );
        assert!(ExchangeRate::new(
            c("USD"),
            c("USD"),
            Rate::parse("1").unwrap(),
            d("2026-01-01")
        )
        .is_err());
        assert!(ExchangeRate::new(
            c("EUR"),
            c("USD"),
            Rate::parse("0").unwrap(),
            d("2026-01-01")
        )
        .is_err());
    }

    #[test]
    fn limits_and_holds_refuse_unless_overridden() {
        let usd = Currency::parse("USD").unwrap();
        let active = CustomerStatus::Active;
        assert_eq!(
            check_issue(active, Some(1000), 600, 400, usd, None),
            Ok(None)
        );
        let over = check_issue(active, Some(1000), 600, 401, usd, None).unwrap_err();
        assert!(
            over.to_string()
                .contains("owe 10.01 USD against a credit limit of 10.00 USD"),
            "{over}"
        );
        let ok = check_issue(
            active,
            Some(1000),
            600,
            401,
            usd,
            Some("paid by card on delivery"),
        )
        .unwrap();
        assert_eq!(ok.unwrap().reason, "paid by card on delivery");
        assert!(matches!(
            check_issue(CustomerStatus::CodRequired, None, 0, 1, usd, None),
            Err(CreditRefusal::Status { .. })
        ));
        assert_eq!(
            check_issue(CustomerStatus::DoNotServe, None, 0, 1, usd, Some("  ")),
            Err(CreditRefusal::Reason)
        );
    }
}
