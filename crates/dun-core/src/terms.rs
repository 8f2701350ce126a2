//! Payment terms and the installment schedule they produce.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::date::Date;

/// Most installments one invoice may be split into.
pub const INSTALLMENTS_MAX: usize = 60;
/// Longest credit period terms may grant, in days.
pub const TERM_DAYS_MAX: u32 = 3650;

/// When an invoice falls due, counted from its issue date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Terms {
    /// Due on the issue date.
    DueOnReceipt,
    /// Due `days` after the issue date (`net30`).
    Net { days: u32 },
    /// Due `days` after the end of the issue month (`eom15`).
    EndOfMonth { days: u32 },
    /// Equal installments, each due `days` after issue (`installments:30/60/90`).
    Installments { days: Vec<u32> },
}

/// One dated part of an invoice's total.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installment {
    pub due_date: Date,
    pub amount_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not payment terms: {reason}; accepted: due_on_receipt, net30, eom15, installments:30/60/90")]
pub struct TermsError {
    pub value: String,
    pub reason: String,
}

impl Terms {
    pub fn parse(text: &str) -> Result<Terms, TermsError> {
        let error = |reason: &str| TermsError {
            value: text.to_string(),
            reason: reason.to_string(),
        };
        let days = |digits: &str| -> Result<u32, TermsError> {
            let days: u32 = digits
                .trim()
                .parse()
                .map_err(|_| error("the number of days is missing or not a whole number"))?;
            if days > TERM_DAYS_MAX {
                return Err(error(&format!("at most {TERM_DAYS_MAX} days")));
            }
            Ok(days)
        };
        let t = text.trim().to_ascii_lowercase();
        if t == "due_on_receipt" || t == "due on receipt" || t == "cod" {
            return Ok(Terms::DueOnReceipt);
        }
        if let Some(rest) = t.strip_prefix("installments:") {
            let list = rest.split('/').map(days).collect::<Result<Vec<_>, _>>()?;
            if list.is_empty() || list.len() > INSTALLMENTS_MAX {
                return Err(error(&format!("give 1 to {INSTALLMENTS_MAX} installments")));
            }
            if list.windows(2).any(|w| w[0] >= w[1]) {
                return Err(error("installment days must increase"));
            }
            return Ok(Terms::Installments { days: list });
        }
        if let Some(rest) = t.strip_prefix("eom") {
            return Ok(Terms::EndOfMonth {
                days: days(rest.trim_start_matches(['+', ' ']))?,
            });
        }
        if let Some(rest) = t.strip_prefix("net") {
            return Ok(Terms::Net {
                days: days(rest.trim_start_matches(' '))?,
            });
        }
        Err(error("unknown kind of terms"))
    }

    /// The dates and amounts `total_minor` falls due on, for an invoice
    /// issued on `issue_date`. Installment terms split the total equally;
    /// the minor units left over go one each to the first installments, so
    /// the parts always add up to the total exactly.
    pub fn schedule(&self, issue_date: Date, total_minor: i64) -> Vec<Installment> {
        let single = |due_date| {
            vec![Installment {
                due_date,
                amount_minor: total_minor,
            }]
        };
        match self {
            Terms::DueOnReceipt => single(issue_date),
            Terms::Net { days } => single(issue_date.add_days(*days as i32)),
            Terms::EndOfMonth { days } => single(issue_date.end_of_month().add_days(*days as i32)),
            Terms::Installments { days } => {
                let n = days.len() as i64;
                let (base, leftover) = (total_minor.div_euclid(n), total_minor.rem_euclid(n));
                days.iter()
                    .enumerate()
                    .map(|(i, d)| Installment {
                        due_date: issue_date.add_days(*d as i32),
                        amount_minor: base + i64::from((i as i64) < leftover),
                    })
                    .collect()
            }
        }
    }
}

impl fmt::Display for Terms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Terms::DueOnReceipt => f.write_str("due_on_receipt"),
            Terms::Net { days } => write!(f, "net{days}"),
            Terms::EndOfMonth { days } => write!(f, "eom{days}"),
            Terms::Installments { days } => {
                f.write_str("installments:")?;
                let parts: Vec<String> = days.iter().map(u32::to_string).collect();
                f.write_str(&parts.join("/"))
            }
        }
    }
}

impl TryFrom<String> for Terms {
    type Error = TermsError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Terms::parse(&value)
    }
}

impl From<Terms> for String {
    fn from(value: Terms) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn due_dates_follow_the_terms() {
        let issued = d("2026-01-20");
        let due = |t: &str| {
            Terms::parse(t).unwrap().schedule(issued, 100)[0]
                .due_date
                .to_string()
        };
        assert_eq!(due("net30"), "2026-02-19");
        assert_eq!(due("eom15"), "2026-02-15");
        assert_eq!(due("due_on_receipt"), "2026-01-20");
    }

    #[test]
    fn installments_add_up_to_the_total() {
        let s = Terms::parse("installments:30/60/90")
            .unwrap()
            .schedule(d("2026-01-01"), 1000);
        assert_eq!(
            s.iter().map(|i| i.amount_minor).collect::<Vec<_>>(),
            vec![334, 333, 333]
        );
        assert_eq!(s[2].due_date.to_string(), "2026-04-01");
    }

    #[test]
    fn refuses_nonsense_with_the_reason() {
        assert!(Terms::parse("net").is_err());
        assert!(Terms::parse("installments:60/30").is_err());
        assert!(Terms::parse("whenever").is_err());
        assert_eq!(Terms::parse("NET 45").unwrap().to_string(), "net45");
    }
}
