//! What a late-payment law preset would charge on an example invoice: the
//! policy check and the policy editor show it, so an owner sees the preset's
//! figures before a customer does.
//!
//! The example is one invoice of [`EXAMPLE_PRINCIPAL_MAJOR`] in the law's own
//! currency, due on the last day of a month and still unpaid a whole month
//! later. Its interest is computed by [`law::statutory_interest`] for that
//! month — exactly what the daily run posts for it — and its compensation by
//! [`Law::compensation_minor`]: no figure here has a rule of its own.

use std::fmt;

use serde::Serialize;

use super::law::{self, Law, RateUnknown, ReferenceRates, StatutoryCharge};
use super::policy::AllocationOrder;
use crate::book::Book;
use crate::currency::Currency;
use crate::date::Date;
use crate::invoice::{InvoiceDraft, InvoiceLine};
use crate::money::Money;
use crate::terms::Terms;

/// The example invoice's amount, in whole units of the law's currency.
pub const EXAMPLE_PRINCIPAL_MAJOR: i64 = 1_000;
/// How many months back the example may go to find one whose reference
/// rate is in the table.
pub const EXAMPLE_MONTHS_BACK_MAX: usize = 24;

/// One month of statutory interest and the fixed compensation on an
/// unpaid example invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LawExample {
    pub law: Law,
    pub currency: Currency,
    pub principal_minor: i64,
    pub due_date: Date,
    /// The month's interest, with its periods (days, reference rate, margin).
    pub month: StatutoryCharge,
    pub compensation_minor: i64,
    /// The reference rate that kept the example from a later month: the
    /// owner imports it to charge those days (the run charges nothing
    /// for days whose rate is unknown).
    pub rate_missing: Option<RateUnknown>,
}

/// The currency a law names its fixed compensation in.
pub fn law_currency(law: Law) -> Option<Currency> {
    let code = match law {
        Law::None => return None,
        Law::UkLatePayment1998 => "GBP",
        Law::Eu2011_7 | Law::DeBgb288 | Law::FrL441_10 => "EUR",
    };
    Some(Currency::parse(code).expect("EUR and GBP are ISO 4217 codes"))
}

/// What `law` would charge for the last whole month before `as_of` on an
/// invoice due the month before, or the latest month before that whose
/// reference rate `rates` knows. `None` for no law, or when no month in
/// [`EXAMPLE_MONTHS_BACK_MAX`] has a known rate.
pub fn example(law: Law, rates: &ReferenceRates, as_of: Date) -> Option<LawExample> {
    let currency = law_currency(law)?;
    let principal_minor = EXAMPLE_PRINCIPAL_MAJOR * 10_i64.pow(u32::from(currency.exponent()));
    let order = law.allocation().unwrap_or(AllocationOrder::PrincipalFirst);
    let mut rate_missing = None;
    let mut month_end = first_of_month(as_of).add_days(-1);
    for _ in 0..EXAMPLE_MONTHS_BACK_MAX {
        let (from, through) = (first_of_month(month_end), month_end);
        let due_date = from.add_days(-1);
        let invoice = unpaid_invoice(currency, principal_minor, due_date);
        match law::statutory_interest(law, rates, &invoice, from, through, order) {
            Ok(month) => {
                let compensation_minor = law
                    .compensation_minor(currency, principal_minor)
                    .unwrap_or(0);
                return Some(LawExample {
                    law,
                    currency,
                    principal_minor,
                    due_date,
                    month,
                    compensation_minor,
                    rate_missing,
                });
            }
            Err(unknown) => {
                rate_missing.get_or_insert(unknown);
                month_end = from.add_days(-1);
            }
        }
    }
    None
}

fn first_of_month(day: Date) -> Date {
    let (y, m, _) = day.ymd();
    Date::from_ymd(y, m, 1).expect("the first of a month exists")
}

/// An invoice of `principal_minor` due on `due_date`, nothing paid.
fn unpaid_invoice(
    currency: Currency,
    principal_minor: i64,
    due_date: Date,
) -> crate::state::InvoiceState {
    let mut book = Book::new();
    let id = book
        .issue(&InvoiceDraft {
            customer_id: 1,
            currency,
            issue_date: due_date.add_days(-30),
            terms: Terms::Net { days: 30 },
            description: String::new(),
            lines: vec![InvoiceLine::new("example", 10_000, principal_minor, 0)
                .expect("a one-line example invoice is valid")],
            installments: Vec::new(),
        })
        .expect("a one-line example invoice issues");
    book.invoices.remove(&id).expect("the invoice just issued")
}

impl fmt::Display for LawExample {
    /// "Under France, Code de commerce art. L441-10, an invoice of
    /// 1000.00 EUR due 2026-05-31 and still unpaid bears 9.99 EUR of
    /// interest for 2026-06-01 to 2026-06-30 (30 days at 12.15 %: the
    /// reference rate of 2.15 % in force from 2026-01-01 plus 10.00
    /// points), and 40.00 EUR fixed compensation once."
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let money = |minor| Money::new(minor, self.currency);
        write!(
            f,
            "Under {}, an invoice of {} due {} and still unpaid bears {} of interest for {} to {}",
            self.law.title(),
            money(self.principal_minor),
            self.due_date,
            money(self.month.amount_minor),
            self.month.from,
            self.month.through,
        )?;
        let said: Vec<String> = self
            .month
            .periods
            .iter()
            .map(|p| {
                format!(
                    "{} days at {} %: the reference rate of {} % in force from {} plus {} points",
                    p.days, p.rate, p.reference, p.reference_in_force_from, p.margin
                )
            })
            .collect();
        if !said.is_empty() {
            write!(f, " ({})", said.join("; "))?;
        }
        write!(
            f,
            ", and {} fixed compensation once.",
            money(self.compensation_minor)
        )?;
        if let Some(missing) = &self.rate_missing {
            write!(
                f,
                " A later month is not shown: the {} in force on {} is not in the rate table yet, and the run charges no interest for the days it fixes until it is added.",
                missing.series.title(),
                missing.on
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
// Minor units written as major_minor (100_00 is 100.00) read as money.
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    /// Worked by hand from the shipped table. France, June 2026: the ECB
    /// rate in force on 1 January 2026 is 2.15 %, + 10 points = 12.15 %;
    /// 1,000.00 × 30 days × 12.15 % / 365 = 9.9863… → 9.99.
    #[test]
    fn france_in_june_2026_is_worked_by_hand() {
        let ex = example(
            Law::FrL441_10,
            &ReferenceRates::shipped(),
            day("2026-07-10"),
        )
        .unwrap();
        assert_eq!(ex.due_date, day("2026-05-31"));
        assert_eq!(
            (ex.month.from, ex.month.through),
            (day("2026-06-01"), day("2026-06-30"))
        );
        assert_eq!(ex.month.amount_minor, 9_99);
        assert_eq!(ex.compensation_minor, 40_00);
        assert_eq!(ex.rate_missing, None);
        let said = ex.to_string();
        assert!(
            said.contains("an invoice of 1000.00 EUR due 2026-05-31"),
            "{said}"
        );
        assert!(
            said.contains("bears 9.99 EUR of interest for 2026-06-01 to 2026-06-30"),
            "{said}"
        );
        assert!(
            said.contains("30 days at 12.15 %: the reference rate of 2.15 % in force from 2026-01-01 plus 10.00 points"),
            "{said}"
        );
        assert!(
            said.contains("and 40.00 EUR fixed compensation once."),
            "{said}"
        );
    }

    /// Germany, November 2026: the base rate for the second half of 2026
    /// is not in the shipped table, so the example goes back to June
    /// (base rate 1.27 % + 9 points = 10.27 %; 1,000.00 × 30 × 10.27 % /
    /// 365 = 8.4411… → 8.44) and names the missing rate.
    #[test]
    fn a_missing_rate_moves_the_example_back_and_is_named() {
        let ex = example(Law::DeBgb288, &ReferenceRates::shipped(), day("2026-12-07")).unwrap();
        assert_eq!(ex.month.from, day("2026-06-01"));
        assert_eq!(ex.month.amount_minor, 8_44);
        let missing = ex.rate_missing.unwrap();
        assert_eq!(missing.on, day("2026-07-01"));
        assert!(ex.to_string().contains("not in the rate table yet"));
    }

    /// The UK's compensation follows the debt's band: £1,000.00 is in the
    /// £1,000–£9,999.99 band, £70.
    #[test]
    fn the_uk_example_is_in_pounds_with_its_band() {
        let ex = example(
            Law::UkLatePayment1998,
            &ReferenceRates::shipped(),
            day("2026-04-02"),
        )
        .unwrap();
        assert_eq!(ex.currency.code(), "GBP");
        assert_eq!(ex.compensation_minor, 70_00);
        assert!(ex.month.amount_minor > 0);
    }

    #[test]
    fn no_law_has_no_example() {
        assert_eq!(
            example(Law::None, &ReferenceRates::shipped(), day("2026-04-02")),
            None
        );
    }
}
