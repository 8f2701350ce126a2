//! Whether the ladder chases an invoice on a day: the rules the daily run
//! ([`super::run::decide`]) and the send-time re-check
//! ([`super::recheck`]) share, so that a message never goes out for what
//! the run would not have sent it for. A customer's ladder is paused by a
//! person or the policy; an invoice is left alone while a promise to pay
//! covers it, while a payment plan stands for it, and where the customer's
//! unapplied credit covers it; the ladder runs on its owed parts.

use std::collections::BTreeMap;

use serde::Serialize;

use super::credit::CustomerStatus;
use super::policy::Policy;
use super::run::{Credit, Promise, Receipt};
use crate::currency::Currency;
use crate::date::Date;
use crate::state::InvoiceState;

/// Why a customer's ladder is paused on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum Pause {
    /// A person paused it through this day (inclusive).
    Person { until: Date },
    /// The policy's override for the customer pauses it.
    Policy,
    /// The debt was handed over (an approved escalation review): the
    /// agency or the lawyer collects now, not the ladder.
    HandedOver { status: CustomerStatus },
}

/// Whether the ladder of the customer `reference` is paused on `as_of`,
/// and by whom.
pub fn ladder_paused(
    policy: &Policy,
    reference: &str,
    status: CustomerStatus,
    paused_until: Option<Date>,
    as_of: Date,
) -> Option<Pause> {
    if status.handed_over() {
        return Some(Pause::HandedOver { status });
    }
    if policy.override_for(reference).is_some_and(|o| o.pause) {
        return Some(Pause::Policy);
    }
    paused_until
        .filter(|until| *until >= as_of)
        .map(|until| Pause::Person { until })
}

/// Where a promise to pay stands on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromiseStanding {
    /// Made after the day.
    NotMade,
    /// The money promised arrived by the promised date.
    Kept { received_minor: i64 },
    /// The promised date passed without it.
    Broken { received_minor: i64 },
    /// Still running: the ladder waits for what it covers.
    Pauses,
}

impl Promise {
    /// Where the promise stands on `as_of`, counting `receipts` (the
    /// customer's) in its currency received from its day through the
    /// promised date and recorded after it was.
    pub fn standing<'a>(
        &self,
        receipts: impl IntoIterator<Item = &'a Receipt>,
        as_of: Date,
    ) -> PromiseStanding {
        if self.made_on > as_of {
            return PromiseStanding::NotMade;
        }
        let received_minor: i64 = receipts
            .into_iter()
            .filter(|r| r.customer_id == self.customer_id && r.currency == self.currency)
            .filter(|r| {
                r.received_date >= self.made_on
                    && r.recorded_at_s > self.made_at_s
                    && r.received_date <= as_of.min(self.promised_date)
            })
            .map(|r| r.amount_minor)
            .sum();
        if received_minor >= self.amount_minor {
            PromiseStanding::Kept { received_minor }
        } else if as_of > self.promised_date {
            PromiseStanding::Broken { received_minor }
        } else {
            PromiseStanding::Pauses
        }
    }

    /// Whether the promise is about `invoice`: the invoices it names, or
    /// (naming none) every invoice of the customer in its currency.
    pub fn covers(&self, invoice: &InvoiceState) -> bool {
        if self.invoice_ids.is_empty() {
            invoice.customer_id == self.customer_id && invoice.currency == self.currency
        } else {
            self.invoice_ids.contains(&invoice.id)
        }
    }
}

/// A customer's unapplied credit as the ladder spends it: invoice by
/// invoice in [`first_due`] order, as applying it would. What it covers
/// whole is never chased.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreditCover {
    left: BTreeMap<Currency, i64>,
}

impl CreditCover {
    /// The credit of `credits` (one customer's), per currency.
    pub fn new<'a>(credits: impl IntoIterator<Item = &'a Credit>) -> CreditCover {
        let mut left: BTreeMap<Currency, i64> = BTreeMap::new();
        for c in credits {
            *left.entry(c.currency).or_default() += c.unapplied_minor.max(0);
        }
        CreditCover { left }
    }

    /// What is left to spend in `currency`.
    pub fn room(&self, currency: Currency) -> i64 {
        self.left.get(&currency).copied().unwrap_or(0)
    }

    /// Spends the credit on an invoice owing `owed_minor` (in part when it
    /// falls short) and says whether it covered it whole.
    pub fn cover(&mut self, currency: Currency, owed_minor: i64) -> bool {
        let room = self.room(currency);
        if room > 0 && owed_minor > 0 {
            self.left.insert(currency, (room - owed_minor).max(0));
        }
        owed_minor > 0 && room >= owed_minor
    }
}

/// The due date the ladder counts from: the oldest part still open.
pub fn first_due(invoice: &InvoiceState, as_of: Date) -> Date {
    invoice
        .first_open_due_as_of(as_of)
        .unwrap_or_else(|| invoice.due_date())
}

/// Puts one customer's invoices in the order the ladder takes them (and
/// their credit covers them): oldest first due first.
pub fn in_chase_order(invoices: &mut [&InvoiceState], as_of: Date) {
    invoices.sort_by_cached_key(|i| (first_due(i, as_of), i.id));
}

/// One part of an invoice the ladder runs on: the whole invoice, or one
/// installment of installment terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OwedPart {
    /// 1-based position in the invoice's schedule.
    pub number: u32,
    pub due_date: Date,
    pub open_minor: i64,
}

/// The parts of `inv` the ladder runs on, oldest due first. An invoice with
/// one due date (or one aged by a plan's dates, `due`) is one part; on
/// installment terms each open installment is its own, owed on its date.
pub fn ladder_parts(inv: &InvoiceState, as_of: Date, due: Date) -> Vec<OwedPart> {
    let whole = |number: usize| {
        vec![OwedPart {
            number: number as u32,
            due_date: due,
            open_minor: inv.open_as_of(as_of).max(0),
        }]
    };
    if inv.schedule.len() <= 1 || due != first_due(inv, as_of) {
        return whole(1);
    }
    let parts: Vec<OwedPart> = inv
        .open_parts_as_of(as_of)
        .into_iter()
        .map(|p| OwedPart {
            number: inv
                .schedule
                .iter()
                .position(|s| s.due_date == p.due_date)
                .map_or(inv.schedule.len(), |i| i + 1) as u32,
            due_date: p.due_date,
            open_minor: p.amount_minor,
        })
        .collect();
    if parts.is_empty() {
        // Paid, with this run's charges still to post: they fall due with
        // the last installment, so they are its part (as they will be once
        // posted, and the next run sees them).
        whole(inv.schedule.len())
    } else {
        parts
    }
}

/// A step of a payment plan's installments (they are not on the ladder):
/// its key in the installment's marks, its wording, and its rank among the
/// steps of one message (ladder steps rank by their days from the due date).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanStep {
    pub key: &'static str,
    pub template: &'static str,
    pub rank: i32,
}

/// A message item's step names a plan's step with this before its key
/// (`plan_notice`).
pub const PLAN_STEP_PREFIX: &str = "plan_";

/// Before an installment falls due.
pub const PLAN_REMINDER: PlanStep = PlanStep {
    key: "reminder",
    template: "plan_installment_reminder",
    rank: -1,
};

/// An installment is late.
pub const PLAN_NOTICE: PlanStep = PlanStep {
    key: "notice",
    template: "plan_installment_notice",
    rank: 1,
};

impl PlanStep {
    /// The step as a message item names it.
    pub fn step(&self) -> String {
        format!("{PLAN_STEP_PREFIX}{}", self.key)
    }

    /// The plan step a message item's step names, if it names one.
    pub fn of_item_step(step: &str) -> Option<PlanStep> {
        let key = step.strip_prefix(PLAN_STEP_PREFIX)?;
        [PLAN_REMINDER, PLAN_NOTICE]
            .into_iter()
            .find(|s| s.key == key)
    }
}

#[cfg(test)]
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    #[test]
    fn credit_covers_oldest_first_and_in_part_when_short() {
        let credits = [Credit {
            customer_id: 1,
            currency: usd(),
            unapplied_minor: 150_00,
        }];
        let mut cover = CreditCover::new(&credits);
        assert!(cover.cover(usd(), 100_00));
        // 50.00 left: not enough for the next, which takes it all.
        assert!(!cover.cover(usd(), 80_00));
        assert_eq!(cover.room(usd()), 0);
        assert!(!cover.cover(usd(), 10_00));
        // Nothing owed is never "covered".
        assert!(!CreditCover::new(&credits).cover(usd(), 0));
    }

    #[test]
    fn a_plan_step_is_named_by_its_key_with_the_prefix() {
        assert_eq!(PLAN_NOTICE.step(), "plan_notice");
        assert_eq!(PlanStep::of_item_step("plan_reminder"), Some(PLAN_REMINDER));
        assert_eq!(PlanStep::of_item_step("first_notice"), None);
        assert_eq!(PlanStep::of_item_step("plan_other"), None);
    }
}
