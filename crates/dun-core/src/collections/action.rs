//! What the run decides: actions, each naming the policy version and the
//! rule that produced it, and the marks that make it happen at most once.

use std::fmt;

use serde::Serialize;

use super::credit::CustomerStatus;
use super::policy::{Channel, Tier};
use crate::currency::Currency;
use crate::date::Date;

/// What a step was done for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Subject {
    Invoice {
        id: i64,
    },
    /// Installment `number` (1-based) of a payment plan.
    Installment {
        plan_id: i64,
        number: u32,
    },
    Collateral {
        id: i64,
    },
    /// A customer as a whole (a proposal about their status).
    Customer {
        id: i64,
    },
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Invoice { id } => write!(f, "invoice:{id}"),
            Subject::Installment { plan_id, number } => write!(f, "plan:{plan_id}/{number}"),
            Subject::Collateral { id } => write!(f, "collateral:{id}"),
            Subject::Customer { id } => write!(f, "customer:{id}"),
        }
    }
}

impl Subject {
    pub fn parse(text: &str) -> Option<Subject> {
        let (kind, rest) = text.split_once(':')?;
        match kind {
            "invoice" => Some(Subject::Invoice {
                id: rest.parse().ok()?,
            }),
            "collateral" => Some(Subject::Collateral {
                id: rest.parse().ok()?,
            }),
            "customer" => Some(Subject::Customer {
                id: rest.parse().ok()?,
            }),
            "plan" => {
                let (plan, number) = rest.split_once('/')?;
                Some(Subject::Installment {
                    plan_id: plan.parse().ok()?,
                    number: number.parse().ok()?,
                })
            }
            _ => None,
        }
    }
}

/// "This was done for this subject": a step sent (or skipped), a fee
/// charged, a month's interest posted. The store keeps marks unique, which
/// is what makes a second run of the same day produce nothing.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Mark {
    pub subject: Subject,
    /// A step key (`first_notice`), `fee:<step>` (`fee:<step>:<period>`
    /// for fees per period), `interest:<YYYY-MM>`, `expiry`, `reminder`, `notice`.
    pub key: String,
}

impl Mark {
    pub fn new(subject: Subject, key: impl Into<String>) -> Mark {
        Mark {
            subject,
            key: key.into(),
        }
    }
}

/// A mark already on the book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DoneMark {
    pub key: String,
    pub on: Date,
    /// Recorded as superseded by a later step, not performed.
    pub skipped: bool,
}

/// One invoice (or installment) a message is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MessageItem {
    pub invoice_id: i64,
    pub number: String,
    pub currency: Currency,
    pub due_date: Date,
    pub days_past_due: i32,
    pub open_minor: i64,
    /// The step this item is sent for.
    pub step: String,
    /// Set when the item is an installment of a payment plan.
    pub installment: Option<InstallmentRef>,
    /// Set when the item is one part of an invoice on installment terms:
    /// only that part is stated as due.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<PartRef>,
    /// The customer-facing steps sent for it before, oldest first: what
    /// the message may say was sent (none: it claims no earlier reminder).
    pub reminded: Vec<SentStep>,
    /// Attach the invoice again.
    pub resend_invoice: bool,
    /// The message states that interest runs from this date if unpaid.
    pub interest_from: Option<Date>,
}

impl MessageItem {
    /// What the outbox keeps of the item to find it on the book again.
    pub fn queued(&self) -> QueuedItem {
        QueuedItem {
            invoice_id: self.invoice_id,
            step: self.step.clone(),
            part: self.part.map(|p| p.number),
            installment: self.installment.map(|i| (i.plan_id, i.number)),
        }
    }
}

/// A message item as it waits in the outbox: the invoice (or installment)
/// and the step it was sent for — what the send-time re-check
/// ([`super::recheck`]) looks up on the ledger, and what its mark is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QueuedItem {
    pub invoice_id: i64,
    pub step: String,
    /// Part n of an invoice on installment terms (none: part 1, or the
    /// whole invoice).
    pub part: Option<u32>,
    /// (plan, installment number) for an installment of a payment plan.
    pub installment: Option<(i64, u32)>,
}

impl QueuedItem {
    /// The mark that records the item's step as done: the one the run
    /// wrote when it queued the item.
    pub fn mark(&self) -> Mark {
        match self.installment {
            Some((plan_id, number)) => {
                let key = self
                    .step
                    .strip_prefix(super::chase::PLAN_STEP_PREFIX)
                    .unwrap_or(&self.step);
                Mark::new(Subject::Installment { plan_id, number }, key)
            }
            None => Mark::new(
                Subject::Invoice {
                    id: self.invoice_id,
                },
                part_key(&self.step, self.part.unwrap_or(1)),
            ),
        }
    }
}

/// A part's mark for `step`: the step's key for the first (as for an
/// invoice with one due date), `key@n` for part n.
/// Borrowed for the first part: the run asks it of every step of every
/// invoice, and most invoices have one part.
pub fn part_key(step_key: &str, number: u32) -> std::borrow::Cow<'_, str> {
    if number <= 1 {
        std::borrow::Cow::Borrowed(step_key)
    } else {
        std::borrow::Cow::Owned(format!("{step_key}@{number}"))
    }
}

/// A customer-facing step sent on a day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SentStep {
    pub step: String,
    pub on: Date,
}

/// Part `number` of the `of` parts of an invoice on installment terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PartRef {
    pub number: u32,
    pub of: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct InstallmentRef {
    pub plan_id: i64,
    pub number: u32,
    pub amount_minor: i64,
}

/// One customer's message of the day: every invoice concerned, one message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Message {
    pub channels: Vec<Channel>,
    /// The template of the most pressing step among the items.
    pub template: String,
    /// That step: the items at it are what the message is about; the rest
    /// are listed apart, not under its wording.
    pub step: String,
    pub items: Vec<MessageItem>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    Call,
    Internal,
    /// Review an escalation or a write-off the policy proposes; a person decides.
    Escalation,
    CollateralExpiry,
    BrokenPromise,
    /// The policy would change a status a person set: a person decides.
    StatusReview,
}

impl TaskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Call => "call",
            TaskKind::Internal => "internal",
            TaskKind::Escalation => "escalation",
            TaskKind::CollateralExpiry => "collateral_expiry",
            TaskKind::BrokenPromise => "broken_promise",
            TaskKind::StatusReview => "status_review",
        }
    }

    /// Every kind, in the order lists show them.
    pub const ALL: [TaskKind; 6] = [
        TaskKind::Call,
        TaskKind::Internal,
        TaskKind::Escalation,
        TaskKind::CollateralExpiry,
        TaskKind::BrokenPromise,
        TaskKind::StatusReview,
    ];

    pub fn parse(text: &str) -> Option<TaskKind> {
        TaskKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Task {
    pub kind: TaskKind,
    pub title: String,
    pub invoice_ids: Vec<i64>,
    /// What the policy proposes a person approve (`propose_agency`, …).
    pub proposals: Vec<String>,
    pub due_date: Date,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum ActionKind {
    Message(Message),
    Task(Task),
    Fee {
        invoice_id: i64,
        number: String,
        currency: Currency,
        amount_minor: i64,
        step: String,
    },
    Interest {
        invoice_id: i64,
        number: String,
        currency: Currency,
        amount_minor: i64,
        from: Date,
        through: Date,
        /// The accrual before the monthly cap, when the cap cut it.
        uncapped_minor: Option<i64>,
    },
    /// The fixed compensation a late-payment law grants per invoice,
    /// posted as its own entry kind.
    Compensation {
        invoice_id: i64,
        number: String,
        currency: Currency,
        amount_minor: i64,
        /// The preset (`de_bgb_288`, …).
        law: String,
    },
    /// A charge the run made that the book, as it now stands, does not
    /// bear: money taken off the invoice was dated on or before the charge
    /// but recorded after it (a backdated payment or credit note). Posted
    /// as a reversing entry of the charge's kind; what the invoice was
    /// paid beyond its corrected balance goes back to the payment as
    /// unapplied credit.
    ChargeReversed {
        invoice_id: i64,
        number: String,
        currency: Currency,
        /// `fee`, `interest` or `compensation`.
        charge: crate::ledger::EntryKind,
        amount_minor: i64,
        reason: String,
    },
    /// A fee or interest the policy would charge, not charged because the
    /// policy names no amount in the invoice's currency (`field`, e.g.
    /// `late_fee.flat`): amounts are never converted. Recorded once.
    NotCharged {
        invoice_id: i64,
        number: String,
        currency: Currency,
        field: String,
        reason: String,
    },
    /// Steps superseded by a later one reached on the same run (a missed
    /// day): recorded, not performed.
    Skip {
        steps: Vec<String>,
        invoice_id: i64,
    },
    SetStatus {
        from: CustomerStatus,
        to: CustomerStatus,
        reason: String,
    },
    SetTier {
        from: Tier,
        to: Tier,
        reasons: Vec<String>,
    },
    PromiseSettled {
        promise_id: i64,
        kept: bool,
        currency: Currency,
        amount_minor: i64,
        received_minor: i64,
    },
    PlanSettled {
        plan_id: i64,
        /// `completed`, or `defaulted` (the ladder resumes on its invoices).
        outcome: PlanOutcome,
        installment: Option<u32>,
    },
    /// An open task the run made whose reason no longer holds (what it
    /// was about is paid, credited or written off): closed, with why.
    CloseTask {
        task_id: i64,
        title: String,
        reason: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanOutcome {
    Completed,
    Defaulted,
}

impl PlanOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanOutcome::Completed => "completed",
            PlanOutcome::Defaulted => "defaulted",
        }
    }
}

impl ActionKind {
    /// A few words on what the action does, beside its kind: for the run's
    /// table (`dun run`) and the API's run outcome.
    pub fn describe(&self) -> String {
        match self {
            ActionKind::Message(m) => format!(
                "{} ({})",
                m.template,
                m.channels
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join("+")
            ),
            ActionKind::Task(t) => format!("{}: {}", t.kind.as_str(), t.title),
            ActionKind::Fee { step, .. } => format!("late fee ({step})"),
            ActionKind::Interest { from, through, .. } => format!("interest {from} – {through}"),
            ActionKind::Compensation { law, .. } => format!("fixed compensation ({law})"),
            ActionKind::ChargeReversed { charge, .. } => {
                format!("{} reversed", charge_words(*charge))
            }
            ActionKind::Skip { steps, .. } => format!("not sent: {}", steps.join(", ")),
            ActionKind::NotCharged { reason, .. } => format!("not charged: {reason}"),
            ActionKind::SetStatus { from, to, .. } => format!("status {from} → {to}"),
            ActionKind::SetTier { from, to, .. } => format!("tier {from} → {to}"),
            ActionKind::PromiseSettled { kept, .. } => if *kept {
                "promise kept"
            } else {
                "promise broken"
            }
            .to_string(),
            ActionKind::PlanSettled {
                plan_id, outcome, ..
            } => format!("plan {plan_id} {}", outcome.as_str()),
            ActionKind::CloseTask { title, .. } => format!("task closed: {title}"),
        }
    }

    /// The numbers of the invoices the action concerns; `numbers` names
    /// those the action knows only by id (`#id` when it has none).
    pub fn invoice_numbers(
        &self,
        numbers: &std::collections::BTreeMap<i64, String>,
    ) -> Vec<String> {
        let number = |id: &i64| numbers.get(id).cloned().unwrap_or_else(|| format!("#{id}"));
        match self {
            ActionKind::Message(m) => m.items.iter().map(|i| i.number.clone()).collect(),
            ActionKind::Task(t) => t.invoice_ids.iter().map(number).collect(),
            ActionKind::Fee { number, .. }
            | ActionKind::Interest { number, .. }
            | ActionKind::Compensation { number, .. }
            | ActionKind::ChargeReversed { number, .. } => {
                vec![number.clone()]
            }
            ActionKind::Skip { invoice_id, .. } => vec![number(invoice_id)],
            ActionKind::NotCharged { number, .. } => vec![number.clone()],
            _ => Vec::new(),
        }
    }

    /// The money the action puts on an invoice (a late fee, interest, the
    /// law's compensation: positive) or takes off it (a charge reversed:
    /// negative); `None` for an action that charges nothing.
    pub fn charged(&self) -> Option<(Currency, i64)> {
        match self {
            ActionKind::Fee {
                currency,
                amount_minor,
                ..
            }
            | ActionKind::Interest {
                currency,
                amount_minor,
                ..
            }
            | ActionKind::Compensation {
                currency,
                amount_minor,
                ..
            } => Some((*currency, *amount_minor)),
            ActionKind::ChargeReversed {
                currency,
                amount_minor,
                ..
            } => Some((*currency, -amount_minor)),
            _ => None,
        }
    }

    /// What the action is worth per currency, as the run's tables show it
    /// (the CLI's amount column, the API's `amounts`): the money it charges
    /// or gives back ([`ActionKind::charged`]), a settled promise's amount,
    /// and for a message the open amounts of the invoices it is about.
    pub fn worth(&self) -> std::collections::BTreeMap<Currency, i64> {
        let mut totals = std::collections::BTreeMap::new();
        let mut add = |currency: Currency, amount_minor: i64| {
            *totals.entry(currency).or_insert(0) += amount_minor;
        };
        if let Some((currency, amount_minor)) = self.charged() {
            add(currency, amount_minor);
        }
        match self {
            ActionKind::PromiseSettled {
                currency,
                amount_minor,
                ..
            } => add(*currency, *amount_minor),
            ActionKind::Message(m) => {
                for item in &m.items {
                    add(item.currency, item.open_minor);
                }
            }
            _ => {}
        }
        totals
    }

    /// A short name for tables and logs.
    pub fn name(&self) -> &'static str {
        match self {
            ActionKind::Message(_) => "message",
            ActionKind::Task(_) => "task",
            ActionKind::Fee { .. } => "fee",
            ActionKind::Interest { .. } => "interest",
            ActionKind::Compensation { .. } => "compensation",
            ActionKind::ChargeReversed { .. } => "charge_reversed",
            ActionKind::Skip { .. } => "skip",
            ActionKind::NotCharged { .. } => "not_charged",
            ActionKind::SetStatus { .. } => "status",
            ActionKind::SetTier { .. } => "tier",
            ActionKind::PromiseSettled { .. } => "promise",
            ActionKind::PlanSettled { .. } => "plan",
            ActionKind::CloseTask { .. } => "task_closed",
        }
    }
}

/// A charge's kind in words: "late fee", "interest", "fixed compensation".
pub fn charge_words(kind: crate::ledger::EntryKind) -> &'static str {
    match kind {
        crate::ledger::EntryKind::Fee => "late fee",
        crate::ledger::EntryKind::Interest => "interest",
        crate::ledger::EntryKind::Compensation => "fixed compensation",
        _ => "charge",
    }
}

/// One decision of the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Action {
    pub customer_id: i64,
    /// The policy rule that produced it: `step.final_demand`, `late_fee`,
    /// `interest`, `credit.cod_when_days_past_due`, `tiers`, … (a rule
    /// named in the code is borrowed, not copied, for each action).
    pub rule: std::borrow::Cow<'static, str>,
    /// Marks set when the action is applied; if any is already on the book
    /// the action has been done and is not applied again.
    pub marks: Vec<Mark>,
    pub kind: ActionKind,
}

/// Everything one run decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunPlan {
    pub as_of: Date,
    pub policy_version: i64,
    pub actions: Vec<Action>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_action_charges_fees_interest_and_compensation_and_a_reversal_gives_back() {
        let usd = Currency::parse("USD").unwrap();
        let fee = ActionKind::Fee {
            invoice_id: 1,
            number: "INV-1".into(),
            currency: usd,
            amount_minor: 4000,
            step: "final_demand".into(),
        };
        assert_eq!(fee.charged(), Some((usd, 4000)));
        let reversed = ActionKind::ChargeReversed {
            invoice_id: 1,
            number: "INV-1".into(),
            currency: usd,
            charge: crate::ledger::EntryKind::Fee,
            amount_minor: 4000,
            reason: "paid before the fee".into(),
        };
        assert_eq!(reversed.charged(), Some((usd, -4000)));
        let skip = ActionKind::Skip {
            steps: vec!["first_notice".into()],
            invoice_id: 1,
        };
        assert_eq!(skip.charged(), None);
        assert!(skip.worth().is_empty());
        assert_eq!(fee.worth().into_iter().collect::<Vec<_>>(), [(usd, 4000)]);
        assert_eq!(
            reversed.worth().into_iter().collect::<Vec<_>>(),
            [(usd, -4000)]
        );
        let eur = Currency::parse("EUR").unwrap();
        let compensation = ActionKind::Compensation {
            invoice_id: 1,
            number: "INV-1".into(),
            currency: eur,
            amount_minor: 4000,
            law: "eu_2011_7".into(),
        };
        assert_eq!(
            compensation.worth().into_iter().collect::<Vec<_>>(),
            [(eur, 4000)]
        );
        let settled = ActionKind::PromiseSettled {
            promise_id: 7,
            kept: true,
            currency: usd,
            amount_minor: 25_000,
            received_minor: 25_000,
        };
        assert_eq!(
            settled.worth().into_iter().collect::<Vec<_>>(),
            [(usd, 25_000)]
        );
    }
}
