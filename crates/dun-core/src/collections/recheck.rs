//! Send-time truth: a message the run queued may wait in the outbox for
//! hours (the run at 06:00, a bank import at 09:00, a mail server down).
//! Just before it goes, each of its items is looked up on the book as it
//! stands then and judged by the rules the run chased it by
//! ([`super::chase`]): an item no longer chased is left out, one still owed
//! is stated at what is open now ([`recheck`]). A message left with nothing
//! is not sent at all; one whose items at its own step are all gone is
//! worded for the most pressing step left ([`restep`]). The store loads
//! the book and writes what becomes of the message.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use super::action::{PlanOutcome, QueuedItem};
use super::chase::{
    first_due, in_chase_order, ladder_parts, ladder_paused, CreditCover, Pause, PlanStep,
    PromiseStanding,
};
use super::credit::CustomerStatus;
use super::plan::{Plan, PlanStanding, PlanStatus};
use super::policy::{Channel, Policy};
use super::run::{Credit, Dispute, Promise, Receipt};
use crate::date::Date;
use crate::state::{InvoiceState, SettlementStatus};

/// One customer's book as it stands when their message is about to go.
pub struct RecheckInput<'a> {
    /// The day it is judged on: the day it is sent (never before the day
    /// the message speaks for).
    pub on: Date,
    /// The policy in force.
    pub policy: &'a Policy,
    pub customer_reference: &'a str,
    /// The customer's status now (handed over: nothing more is chased).
    pub customer_status: CustomerStatus,
    /// Paused by a person through this day.
    pub paused_until: Option<Date>,
    /// The items' invoices, the invoices of the customer's plans, and,
    /// where the customer has unapplied credit, every invoice of theirs
    /// with something open (what the credit is spent on first).
    pub invoices: &'a [InvoiceState],
    /// The customer's active promises.
    pub promises: &'a [Promise],
    /// The customer's payments since the oldest of those promises was made.
    pub receipts: &'a [Receipt],
    /// Open disputes on the customer's invoices.
    pub disputes: &'a [Dispute],
    /// The customer's plans.
    pub plans: &'a [Plan],
    /// The customer's unapplied credit.
    pub credits: &'a [Credit],
}

/// What an item of a queued message is now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "now")]
pub enum ItemNow {
    /// Still chased: this is open on it (the invoice, its part, or the
    /// installment).
    Owed { open_minor: i64 },
    /// No longer chased, and why.
    NotChased { why: NotChased },
}

/// Why the ladder no longer chases an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum NotChased {
    /// Nothing is open on it: paid, credited, written off or voided, on
    /// the day nothing was left.
    Settled {
        status: SettlementStatus,
        on: Option<Date>,
    },
    /// An open dispute.
    Disputed,
    /// A promise to pay by this date covers it.
    Promised { promised_date: Date },
    /// A payment plan stands for it (its installments are chased instead).
    OnPlan { plan_id: i64 },
    /// The customer's reminders are paused.
    Paused { pause: Pause },
    /// The customer's unapplied credit covers it.
    CoveredByCredit,
    /// That part of an invoice on installment terms is paid.
    PartPaid { part: u32 },
    /// That installment of the plan is paid.
    InstallmentPaid { installment: u32 },
    /// The plan is over: completed, or broken (the ladder chases its
    /// invoices again, on their own dates).
    PlanEnded { plan_id: i64, outcome: PlanOutcome },
    /// The invoice is not on the book (any more).
    NotOnLedger,
}

impl fmt::Display for NotChased {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotChased::Settled { status, on } => {
                let word = match status {
                    SettlementStatus::Paid => "paid",
                    SettlementStatus::Credited => "credited",
                    SettlementStatus::WrittenOff => "written off",
                    SettlementStatus::Void => "voided",
                    SettlementStatus::Draft => "not issued",
                    other => other.as_str(),
                };
                match on {
                    Some(day) => write!(f, "{word} on {day}"),
                    None => f.write_str(word),
                }
            }
            NotChased::Disputed => f.write_str("disputed"),
            NotChased::Promised { promised_date } => {
                write!(f, "payment promised by {promised_date}")
            }
            NotChased::OnPlan { plan_id } => write!(f, "on payment plan {plan_id}"),
            NotChased::Paused {
                pause: Pause::Person { until },
            } => write!(f, "reminders paused through {until}"),
            NotChased::Paused {
                pause: Pause::Policy,
            } => f.write_str("reminders paused by the policy"),
            NotChased::Paused {
                pause: Pause::HandedOver { status },
            } => match status {
                CustomerStatus::Legal => f.write_str("handed over for legal action"),
                _ => f.write_str("handed to a collection agency"),
            },
            NotChased::CoveredByCredit => f.write_str("covered by the customer's unapplied credit"),
            NotChased::PartPaid { part } => write!(f, "part {part} paid"),
            NotChased::InstallmentPaid { installment } => {
                write!(f, "installment {installment} paid")
            }
            NotChased::PlanEnded { plan_id, outcome } => {
                write!(f, "payment plan {plan_id} {}", outcome.as_str())
            }
            NotChased::NotOnLedger => f.write_str("no longer on the book"),
        }
    }
}

/// What each of `items` is on `input.on`, in their order.
pub fn recheck(input: &RecheckInput<'_>, items: &[QueuedItem]) -> Vec<ItemNow> {
    let paused = ladder_paused(
        input.policy,
        input.customer_reference,
        input.customer_status,
        input.paused_until,
        input.on,
    );
    let covered = covered_by_credit(input);
    items
        .iter()
        .map(|item| {
            let now = match item.installment {
                Some((plan_id, number)) => installment_now(input, paused, plan_id, number),
                None => invoice_now(input, paused, &covered, item),
            };
            match now {
                Ok(open_minor) => ItemNow::Owed { open_minor },
                Err(why) => ItemNow::NotChased { why },
            }
        })
        .collect()
}

/// The invoices the customer's credit covers whole, spent as the run
/// spends it.
fn covered_by_credit(input: &RecheckInput<'_>) -> BTreeSet<i64> {
    let mut credit = CreditCover::new(input.credits);
    if input.credits.iter().all(|c| c.unapplied_minor <= 0) {
        return BTreeSet::new();
    }
    let mut invoices: Vec<&InvoiceState> = input.invoices.iter().collect();
    in_chase_order(&mut invoices, input.on);
    invoices
        .into_iter()
        .filter(|inv| credit.cover(inv.currency, inv.open_as_of(input.on).max(0)))
        .map(|inv| inv.id)
        .collect()
}

fn plan_standing(input: &RecheckInput<'_>, plan: &Plan) -> PlanStanding {
    let open = plan.open_minor(input.invoices, input.on);
    plan.standing(open, input.on, input.policy.plans.default_after_days)
}

fn invoice_now(
    input: &RecheckInput<'_>,
    paused: Option<Pause>,
    covered: &BTreeSet<i64>,
    item: &QueuedItem,
) -> Result<i64, NotChased> {
    let on = input.on;
    let inv = input
        .invoices
        .iter()
        .find(|i| i.id == item.invoice_id)
        .ok_or(NotChased::NotOnLedger)?;
    let status = inv.status_as_of(on);
    if !status.is_open() {
        return Err(NotChased::Settled {
            status,
            on: inv.closed_on(on),
        });
    }
    if let Some(pause) = paused {
        return Err(NotChased::Paused { pause });
    }
    if input.disputes.iter().any(|d| d.invoice_id == inv.id) {
        return Err(NotChased::Disputed);
    }
    if let Some(p) = input
        .promises
        .iter()
        .find(|p| p.covers(inv) && p.standing(input.receipts, on) == PromiseStanding::Pauses)
    {
        return Err(NotChased::Promised {
            promised_date: p.promised_date,
        });
    }
    if let Some(plan) = input.plans.iter().find(|p| {
        p.invoice_ids.contains(&inv.id)
            && matches!(plan_standing(input, p), PlanStanding::Current { .. })
    }) {
        return Err(NotChased::OnPlan { plan_id: plan.id });
    }
    if covered.contains(&inv.id) {
        return Err(NotChased::CoveredByCredit);
    }
    let part = item.part.unwrap_or(1);
    ladder_parts(inv, on, first_due(inv, on))
        .into_iter()
        .find(|p| p.number == part)
        .map(|p| p.open_minor)
        .ok_or(NotChased::PartPaid { part })
}

fn installment_now(
    input: &RecheckInput<'_>,
    paused: Option<Pause>,
    plan_id: i64,
    number: u32,
) -> Result<i64, NotChased> {
    let plan = input
        .plans
        .iter()
        .find(|p| p.id == plan_id)
        .ok_or(NotChased::NotOnLedger)?;
    let ended = |outcome| NotChased::PlanEnded { plan_id, outcome };
    let unpaid = match plan_standing(input, plan) {
        PlanStanding::Current { unpaid } => unpaid,
        PlanStanding::Completed => return Err(ended(PlanOutcome::Completed)),
        PlanStanding::Defaulted { .. } => return Err(ended(PlanOutcome::Defaulted)),
        PlanStanding::NotInForce => {
            return Err(match plan.status {
                PlanStatus::Completed => ended(PlanOutcome::Completed),
                PlanStatus::Defaulted => ended(PlanOutcome::Defaulted),
                PlanStatus::Active => NotChased::NotOnLedger,
            })
        }
    };
    if let Some(pause) = paused {
        return Err(NotChased::Paused { pause });
    }
    unpaid
        .iter()
        .find(|u| u.number == number)
        .map(|u| u.left_minor)
        .ok_or(NotChased::InstallmentPaid {
            installment: number,
        })
}

/// How a message is worded for the steps of its items.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepNow {
    /// The most pressing step: what the message is about.
    pub step: String,
    /// Its template.
    pub template: String,
    /// The channels of every item's step.
    pub channels: Vec<Channel>,
}

/// The wording of a message whose items are at `steps` (as the items name
/// them), by the policy in force, as the run words one: the template of
/// the most pressing step (the latest on the ladder), the channels of them
/// all. `None` when a step is not in the policy any more.
pub fn restep(policy: &Policy, steps: &[&str]) -> Option<StepNow> {
    let ladder = policy.steps();
    let mut best: Option<(i32, &str, String)> = None;
    let mut channels: Vec<Channel> = Vec::new();
    for &key in steps {
        let (rank, template, step_channels) = match PlanStep::of_item_step(key) {
            Some(plan) => (plan.rank, plan.template.to_string(), vec![Channel::Email]),
            None => {
                let step = ladder.iter().find(|s| s.key == key)?;
                (
                    step.offset_days,
                    step.template.clone(),
                    step.channels.clone(),
                )
            }
        };
        channels.extend(step_channels);
        if best.as_ref().is_none_or(|(r, ..)| rank >= *r) {
            best = Some((rank, key, template));
        }
    }
    channels.sort();
    channels.dedup();
    let (_, step, template) = best?;
    Some(StepNow {
        step: step.to_string(),
        template,
        channels,
    })
}

#[cfg(test)]
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;
    use crate::book::Book;
    use crate::collections::chase::PLAN_NOTICE;
    use crate::collections::document::{parse, DEFAULT_POLICY};
    use crate::currency::Currency;
    use crate::invoice::{InvoiceDraft, InvoiceLine};
    use crate::posting::AllocationRequest;
    use crate::terms::{Installment, Terms};

    fn d(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    fn policy() -> Policy {
        parse(DEFAULT_POLICY).unwrap()
    }

    fn issue(book: &mut Book, issued: &str, minor: i64) -> i64 {
        book.issue(&InvoiceDraft {
            customer_id: 1,
            currency: usd(),
            issue_date: d(issued),
            terms: Terms::Net { days: 30 },
            description: String::new(),
            lines: vec![InvoiceLine::new("work", 10_000, minor, 0).unwrap()],
            installments: Vec::new(),
        })
        .unwrap()
    }

    fn item(invoice_id: i64, step: &str) -> QueuedItem {
        QueuedItem {
            invoice_id,
            step: step.into(),
            part: None,
            installment: None,
        }
    }

    struct Facts {
        promises: Vec<Promise>,
        disputes: Vec<Dispute>,
        plans: Vec<Plan>,
        credits: Vec<Credit>,
        paused_until: Option<Date>,
        status: CustomerStatus,
    }

    fn none() -> Facts {
        Facts {
            promises: Vec::new(),
            disputes: Vec::new(),
            plans: Vec::new(),
            credits: Vec::new(),
            paused_until: None,
            status: CustomerStatus::Active,
        }
    }

    fn judge(book: &Book, facts: &Facts, on: &str, items: &[QueuedItem]) -> Vec<ItemNow> {
        let policy = policy();
        let invoices: Vec<InvoiceState> = book.invoices.values().cloned().collect();
        recheck(
            &RecheckInput {
                on: d(on),
                policy: &policy,
                customer_reference: "C1",
                customer_status: facts.status,
                paused_until: facts.paused_until,
                invoices: &invoices,
                promises: &facts.promises,
                receipts: &[],
                disputes: &facts.disputes,
                plans: &facts.plans,
                credits: &facts.credits,
            },
            items,
        )
    }

    fn why(now: &ItemNow) -> String {
        match now {
            ItemNow::NotChased { why } => why.to_string(),
            ItemNow::Owed { open_minor } => format!("owed {open_minor}"),
        }
    }

    #[test]
    fn a_paid_invoice_is_not_chased_and_says_the_day_it_was_paid() {
        let mut book = Book::new();
        let a = issue(&mut book, "2026-01-01", 100_00);
        let b = issue(&mut book, "2026-01-05", 80_00);
        let oldest = AllocationRequest::OldestDueFirst;
        // The first paid in full, the second in part, after the run.
        book.receive(1, usd(), d("2026-03-20"), 130_00, &oldest)
            .unwrap();
        let now = judge(
            &book,
            &none(),
            "2026-03-21",
            &[item(a, "first_notice"), item(b, "first_notice")],
        );
        assert_eq!(why(&now[0]), "paid on 2026-03-20");
        assert_eq!(now[1], ItemNow::Owed { open_minor: 50_00 });
    }

    #[test]
    fn a_dispute_a_promise_a_pause_a_plan_or_credit_stops_the_chase() {
        let mut book = Book::new();
        let a = issue(&mut book, "2026-01-01", 100_00);
        let items = [item(a, "first_notice")];
        let on = "2026-03-21";
        assert_eq!(
            judge(&book, &none(), on, &items)[0],
            ItemNow::Owed { open_minor: 100_00 }
        );

        let mut facts = none();
        facts.disputes.push(Dispute {
            id: 1,
            invoice_id: a,
        });
        assert_eq!(why(&judge(&book, &facts, on, &items)[0]), "disputed");

        let mut facts = none();
        facts.promises.push(Promise {
            id: 1,
            customer_id: 1,
            currency: usd(),
            amount_minor: 100_00,
            made_on: d("2026-03-21"),
            made_at_s: 0,
            promised_date: d("2026-04-01"),
            invoice_ids: Vec::new(),
        });
        assert_eq!(
            why(&judge(&book, &facts, on, &items)[0]),
            "payment promised by 2026-04-01"
        );
        // Broken by the day it is judged on: chased again.
        assert_eq!(
            judge(&book, &facts, "2026-04-02", &items)[0],
            ItemNow::Owed { open_minor: 100_00 }
        );

        let mut facts = none();
        facts.paused_until = Some(d("2026-03-31"));
        assert_eq!(
            why(&judge(&book, &facts, on, &items)[0]),
            "reminders paused through 2026-03-31"
        );

        // Handed to an agency: the ladder sends nothing more.
        let mut facts = none();
        facts.status = CustomerStatus::WithAgency;
        assert_eq!(
            why(&judge(&book, &facts, on, &items)[0]),
            "handed to a collection agency"
        );

        let mut facts = none();
        facts.plans.push(Plan {
            id: 7,
            customer_id: 1,
            currency: usd(),
            invoice_ids: vec![a],
            installments: vec![
                Installment {
                    due_date: d("2026-04-01"),
                    amount_minor: 50_00,
                },
                Installment {
                    due_date: d("2026-05-01"),
                    amount_minor: 50_00,
                },
            ],
            created_on: d("2026-03-21"),
            opening_minor: 100_00,
            status: PlanStatus::Active,
            defaulted_on: None,
        });
        assert_eq!(
            why(&judge(&book, &facts, on, &items)[0]),
            "on payment plan 7"
        );
        // The plan's own installment is still chased, at what is left of it.
        let installment = QueuedItem {
            invoice_id: a,
            step: PLAN_NOTICE.step(),
            part: None,
            installment: Some((7, 1)),
        };
        assert_eq!(
            judge(&book, &facts, on, std::slice::from_ref(&installment))[0],
            ItemNow::Owed { open_minor: 50_00 }
        );
        book.receive(
            1,
            usd(),
            d("2026-03-25"),
            50_00,
            &AllocationRequest::OldestDueFirst,
        )
        .unwrap();
        assert_eq!(
            why(&judge(&book, &facts, "2026-03-26", &[installment])[0]),
            "installment 1 paid"
        );

        let mut facts = none();
        facts.credits.push(Credit {
            customer_id: 1,
            currency: usd(),
            unapplied_minor: 40_00,
        });
        // 50.00 still open after the payment; 40.00 of credit does not cover it.
        assert_eq!(
            judge(&book, &facts, "2026-03-26", &items)[0],
            ItemNow::Owed { open_minor: 50_00 }
        );
        facts.credits[0].unapplied_minor = 50_00;
        assert_eq!(
            why(&judge(&book, &facts, "2026-03-26", &items)[0]),
            "covered by the customer's unapplied credit"
        );
    }

    #[test]
    fn credit_covers_the_oldest_invoice_first() {
        let mut book = Book::new();
        let old = issue(&mut book, "2026-01-01", 100_00);
        let new = issue(&mut book, "2026-02-01", 100_00);
        let mut facts = none();
        facts.credits.push(Credit {
            customer_id: 1,
            currency: usd(),
            unapplied_minor: 150_00,
        });
        let now = judge(
            &book,
            &facts,
            "2026-03-21",
            &[item(new, "first_notice"), item(old, "second_notice")],
        );
        assert_eq!(now[0], ItemNow::Owed { open_minor: 100_00 });
        assert_eq!(why(&now[1]), "covered by the customer's unapplied credit");
    }

    #[test]
    fn a_message_is_worded_for_the_most_pressing_step_left() {
        let policy = policy();
        let both = restep(&policy, &["first_notice", "final_demand"]).unwrap();
        assert_eq!(both.step, "final_demand");
        assert_eq!(both.template, "final_demand");
        assert_eq!(both.channels, [Channel::Email, Channel::Letter]);
        let first = restep(&policy, &["first_notice", "plan_notice"]).unwrap();
        assert_eq!(first.step, "first_notice");
        assert_eq!(first.channels, [Channel::Email]);
        let plan = restep(&policy, &["plan_reminder"]).unwrap();
        assert_eq!(plan.template, "plan_installment_reminder");
        assert_eq!(restep(&policy, &["first_notice", "no_such_step"]), None);
    }
}
