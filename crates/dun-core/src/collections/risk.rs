//! Risk tiers from payment history, each with the reasons that produced it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::policy::{Tier, TierRule, TierRules};
use crate::currency::Currency;
use crate::date::Date;
use crate::ledger::EntryKind;
use crate::state::{InvoiceState, SettlementStatus};

/// What a customer's history says, over the policy's window
/// (`tiers.history_days` back from the run's date).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct History {
    /// The customer's first invoice: tenure counts from it.
    pub first_invoice: Option<Date>,
    /// Invoices paid in full within the window.
    pub settled: u32,
    /// Of those, paid on or before their due date.
    pub settled_on_time: u32,
    /// Per currency: Σ amount and Σ amount × days late of the settled
    /// invoices (amounts of different currencies are never added).
    pub lateness: BTreeMap<Currency, (i128, i128)>,
    /// Promises found broken in the window, before the run's date (what a
    /// run records counts from the next day, so a second run of the same
    /// day sees the same history and decides the same tier).
    pub broken_promises: u32,
    /// Disputes opened in the window.
    pub disputes: u32,
    /// Keys of ladder steps done (not skipped) in the window, before the
    /// run's date.
    pub steps_reached: Vec<String>,
}

impl History {
    /// Counts one invoice paid in full on `settled_on`.
    pub fn add_settled(
        &mut self,
        currency: Currency,
        total_minor: i64,
        due: Date,
        settled_on: Date,
    ) {
        self.settled += 1;
        let late = settled_on.days_since(due).max(0);
        if late == 0 {
            self.settled_on_time += 1;
        }
        let e = self.lateness.entry(currency).or_default();
        e.0 += i128::from(total_minor.max(0));
        e.1 += i128::from(total_minor.max(0)) * i128::from(late);
    }

    /// Amount-weighted average days late, the worst over the currencies,
    /// rounded down to whole days.
    pub fn avg_days_late(&self) -> Option<u32> {
        self.lateness
            .values()
            .filter(|(w, _)| *w > 0)
            .map(|(w, d)| (d / w) as u32)
            .max()
    }

    pub fn on_time_percent(&self) -> Option<u32> {
        (self.settled > 0).then(|| self.settled_on_time * 100 / self.settled)
    }

    /// The settled part of the history from invoices' entries: each
    /// invoice settled within `window_days` before `as_of` counts, settled
    /// on the day the money taken off it (payments and credit notes, not
    /// write-offs) reached its total. Fees and interest charged later do
    /// not unsettle it: what the run charges today must not change the
    /// history a second run of today reads.
    pub fn from_invoices<'a>(
        invoices: impl IntoIterator<Item = &'a InvoiceState>,
        as_of: Date,
        window_days: u32,
    ) -> History {
        let mut h = History::default();
        let since = as_of.add_days(-(window_days as i32));
        for inv in invoices {
            if inv.issue_date > as_of {
                continue;
            }
            h.first_invoice = Some(
                h.first_invoice
                    .map_or(inv.issue_date, |d| d.min(inv.issue_date)),
            );
            if inv.status_as_of(as_of) == SettlementStatus::Void {
                continue;
            }
            if let Some(settled_on) = settled_on(inv, as_of) {
                if settled_on > since {
                    h.add_settled(inv.currency, inv.total_minor, inv.due_date(), settled_on);
                }
            }
        }
        h
    }
}

/// The day the money taken off an invoice (payments and credit notes)
/// last reached its total, up to `as_of`; `None` while it falls short.
pub fn settled_on(invoice: &InvoiceState, as_of: Date) -> Option<Date> {
    let mut moves: Vec<(Date, i64)> = invoice
        .movements
        .iter()
        .filter(|m| m.effective_date <= as_of)
        .filter(|m| {
            matches!(
                m.kind,
                EntryKind::Allocation | EntryKind::AllocationReversed | EntryKind::CreditNote
            )
        })
        .map(|m| (m.effective_date, -m.ar_minor))
        .collect();
    moves.sort_by_key(|m| m.0);
    let mut paid = 0i64;
    let mut settled = None;
    let mut i = 0;
    while i < moves.len() {
        let day = moves[i].0;
        while i < moves.len() && moves[i].0 == day {
            paid += moves[i].1;
            i += 1;
        }
        settled = if paid >= invoice.total_minor {
            settled.or(Some(day))
        } else {
            None
        };
    }
    settled
}

/// A customer's tier and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub tier: Tier,
    pub reasons: Vec<String>,
}

/// Places a customer in the riskiest tier any of whose conditions its
/// history meets; with fewer settled invoices than the policy needs to
/// judge, the tier is `new` unless a high or critical condition is met by
/// conduct (broken promises, disputes, a step reached).
pub fn assess(history: &History, rules: &TierRules, as_of: Date) -> Assessment {
    let enough = history.settled >= rules.settled_invoices_to_rate;
    for tier in [Tier::Critical, Tier::High, Tier::Medium] {
        let reasons = matches(history, rules.rule(tier), as_of, enough);
        if !reasons.is_empty() {
            return Assessment { tier, reasons };
        }
    }
    if !enough {
        return Assessment {
            tier: Tier::New,
            reasons: vec![format!(
                "{} settled invoice{} in the last {} days; {} needed to rate",
                history.settled,
                if history.settled == 1 { "" } else { "s" },
                rules.history_days,
                rules.settled_invoices_to_rate
            )],
        };
    }
    let mut reasons = Vec::new();
    if let Some(avg) = history.avg_days_late() {
        reasons.push(format!("pays {avg} days late on average (amount-weighted)"));
    }
    if let Some(p) = history.on_time_percent() {
        reasons.push(format!(
            "{p} % of {} invoices paid on time",
            history.settled
        ));
    }
    Assessment {
        tier: Tier::Low,
        reasons,
    }
}

fn matches(h: &History, rule: &TierRule, as_of: Date, enough: bool) -> Vec<String> {
    let mut reasons = Vec::new();
    if enough {
        if let (Some(min), Some(avg)) = (rule.avg_days_late_at_least, h.avg_days_late()) {
            if avg >= min {
                reasons.push(format!(
                    "pays {avg} days late on average (amount-weighted; {min} or more)"
                ));
            }
        }
        if let (Some(below), Some(p)) = (rule.on_time_percent_below, h.on_time_percent()) {
            if p < below {
                reasons.push(format!(
                    "{p} % of {} invoices paid on time (under {below} %)",
                    h.settled
                ));
            }
        }
        if let (Some(below), Some(first)) = (rule.tenure_days_below, h.first_invoice) {
            let tenure = as_of.days_since(first).max(0) as u32;
            if tenure < below {
                reasons.push(format!("customer for {tenure} days (under {below})"));
            }
        }
    }
    if let Some(min) = rule.broken_promises_at_least {
        if h.broken_promises >= min {
            reasons.push(format!(
                "{} broken promises to pay ({min} or more)",
                h.broken_promises
            ));
        }
    }
    if let Some(min) = rule.disputes_at_least {
        if h.disputes >= min {
            reasons.push(format!("{} disputes ({min} or more)", h.disputes));
        }
    }
    if let Some(step) = &rule.step_reached {
        if h.steps_reached.iter().any(|s| s == step) {
            reasons.push(format!("reached step {step} in the last 12 months"));
        }
    }
    reasons
}

#[cfg(test)]
// Minor units written as major_minor (100_00 is 100.00) read as money.
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn rules() -> TierRules {
        TierRules {
            settled_invoices_to_rate: 3,
            history_days: 365,
            new: TierRule::default(),
            low: TierRule::default(),
            medium: TierRule {
                avg_days_late_at_least: Some(10),
                on_time_percent_below: Some(80),
                ..TierRule::default()
            },
            high: TierRule {
                avg_days_late_at_least: Some(30),
                broken_promises_at_least: Some(2),
                ..TierRule::default()
            },
            critical: TierRule {
                avg_days_late_at_least: Some(60),
                ..TierRule::default()
            },
        }
    }

    #[test]
    fn tiers_follow_amount_weighted_lateness() {
        let usd = Currency::parse("USD").unwrap();
        let due = day("2026-01-31");
        let mut h = History::default();
        h.add_settled(usd, 100, due, due);
        h.add_settled(usd, 100, due, due);
        assert_eq!(assess(&h, &rules(), day("2026-06-01")).tier, Tier::New);
        h.add_settled(usd, 100, due, due);
        assert_eq!(assess(&h, &rules(), day("2026-06-01")).tier, Tier::Low);
        // One big invoice 40 days late outweighs three small ones on time.
        h.add_settled(usd, 10_000, due, due.add_days(40));
        let a = assess(&h, &rules(), day("2026-06-01"));
        assert_eq!(a.tier, Tier::High, "{:?}", a.reasons);
        assert!(a.reasons[0].contains("38 days late"), "{:?}", a.reasons);
    }

    #[test]
    fn broken_promises_rate_even_a_new_customer() {
        let h = History {
            broken_promises: 2,
            ..History::default()
        };
        let a = assess(&h, &rules(), day("2026-06-01"));
        assert_eq!(a.tier, Tier::High);
        assert_eq!(a.reasons, vec!["2 broken promises to pay (2 or more)"]);
    }
}
