//! Escalation reviews: the ladder's last step proposes handing the debt to
//! an agency, to a lawyer, or writing it off; a person approves one of
//! them, or rejects the review. This module is the rule for what a
//! decision may be and what it does; the store carries it out in one
//! transaction.

use std::fmt;

use serde::Serialize;

use super::action::TaskKind;
use super::credit::CustomerStatus;
use crate::REASON_CHARS_MAX;

/// What an escalation hands the debt to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    /// A collection agency collects it: the customer is `with_agency`.
    Agency,
    /// A lawyer takes legal action: the customer is `legal`.
    Legal,
    /// It is written off (the owner's decision alone).
    WriteOff,
}

impl Escalation {
    pub const ALL: [Escalation; 3] = [Escalation::Agency, Escalation::Legal, Escalation::WriteOff];

    pub fn as_str(self) -> &'static str {
        match self {
            Escalation::Agency => "agency",
            Escalation::Legal => "legal",
            Escalation::WriteOff => "write_off",
        }
    }

    /// `agency`, `legal`, `write_off` (also `write-off`, and the
    /// policy's `propose_…` effect names).
    pub fn parse(text: &str) -> Option<Escalation> {
        let text = text.trim().to_ascii_lowercase().replace('-', "_");
        let text = text.strip_prefix("propose_").unwrap_or(&text);
        match text {
            "agency" | "with_agency" => Some(Escalation::Agency),
            "legal" => Some(Escalation::Legal),
            "write_off" => Some(Escalation::WriteOff),
            _ => None,
        }
    }

    /// The status the customer takes, when the escalation hands the debt
    /// over (a write-off settles the invoices instead).
    pub fn status(self) -> Option<CustomerStatus> {
        match self {
            Escalation::Agency => Some(CustomerStatus::WithAgency),
            Escalation::Legal => Some(CustomerStatus::Legal),
            Escalation::WriteOff => None,
        }
    }

    /// Only the owner may write money off.
    pub fn needs_owner(self) -> bool {
        self == Escalation::WriteOff
    }
}

impl fmt::Display for Escalation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Escalation::Agency => "hand to a collection agency",
            Escalation::Legal => "take legal action",
            Escalation::WriteOff => "write off",
        })
    }
}

/// A person's decision on an escalation review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "decision", content = "escalation")]
pub enum Decision {
    Approve(Escalation),
    /// The ladder goes on as it was; nothing is handed over.
    Reject,
}

impl Decision {
    /// `approved: agency`, `rejected`: the task's outcome and the record's
    /// decision.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve(Escalation::Agency) => "agency",
            Decision::Approve(Escalation::Legal) => "legal",
            Decision::Approve(Escalation::WriteOff) => "write_off",
            Decision::Reject => "rejected",
        }
    }

    /// The decision as a person names it: an escalation, or `reject`.
    pub fn parse(text: &str) -> Option<Decision> {
        match text.trim().to_ascii_lowercase().as_str() {
            "reject" | "rejected" => Some(Decision::Reject),
            other => Escalation::parse(other).map(Decision::Approve),
        }
    }

    /// The words accepted by [`Decision::parse`], for a refusal.
    pub const ACCEPTED: &'static str = "agency, legal, write_off or reject";
}

/// Why a decision is refused: the field it is about and the reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum DecisionRefusal {
    #[error("task: #{task_id} is a {kind} task, not an escalation review")]
    NotAReview { task_id: i64, kind: String },
    #[error("decision: writing off needs the owner")]
    WriteOffNeedsOwner,
    #[error("decision: the customer is already {status}")]
    AlreadyHandedOver { status: CustomerStatus },
    #[error("reason: give one, of 1 to {REASON_CHARS_MAX} characters")]
    Reason,
}

impl DecisionRefusal {
    /// The field the refusal is about.
    pub fn field(&self) -> &'static str {
        match self {
            DecisionRefusal::NotAReview { .. } => "task",
            DecisionRefusal::WriteOffNeedsOwner | DecisionRefusal::AlreadyHandedOver { .. } => {
                "decision"
            }
            DecisionRefusal::Reason => "reason",
        }
    }
}

/// Checks a person's decision on task `task_id` of kind `kind`, for a
/// customer whose status is `status`; `by_owner` when the person is the
/// owner. Any of the three escalations may be approved, whatever the
/// review proposed: the person decides.
pub fn check_decision(
    task_id: i64,
    kind: &str,
    decision: Decision,
    status: CustomerStatus,
    by_owner: bool,
    reason: &str,
) -> Result<(), DecisionRefusal> {
    if kind != TaskKind::Escalation.as_str() {
        return Err(DecisionRefusal::NotAReview {
            task_id,
            kind: kind.replace('_', " "),
        });
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > REASON_CHARS_MAX {
        return Err(DecisionRefusal::Reason);
    }
    if let Decision::Approve(escalation) = decision {
        if escalation.needs_owner() && !by_owner {
            return Err(DecisionRefusal::WriteOffNeedsOwner);
        }
        if escalation.status() == Some(status) {
            return Err(DecisionRefusal::AlreadyHandedOver { status });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const REVIEW: &str = "escalation";

    #[test]
    fn decisions_are_named_as_people_write_them() {
        assert_eq!(
            Decision::parse("Agency"),
            Some(Decision::Approve(Escalation::Agency))
        );
        assert_eq!(
            Decision::parse("write-off"),
            Some(Decision::Approve(Escalation::WriteOff))
        );
        assert_eq!(
            Decision::parse("propose_legal"),
            Some(Decision::Approve(Escalation::Legal))
        );
        assert_eq!(Decision::parse(" reject "), Some(Decision::Reject));
        assert_eq!(Decision::parse("sue"), None);
        for e in Escalation::ALL {
            assert_eq!(Escalation::parse(e.as_str()), Some(e));
        }
    }

    #[test]
    fn only_the_owner_writes_off_and_only_a_review_is_decided() {
        let active = CustomerStatus::Active;
        let write_off = Decision::Approve(Escalation::WriteOff);
        assert_eq!(
            check_decision(1, REVIEW, write_off, active, false, "gone"),
            Err(DecisionRefusal::WriteOffNeedsOwner)
        );
        assert_eq!(
            check_decision(1, REVIEW, write_off, active, true, "gone"),
            Ok(())
        );
        let agency = Decision::Approve(Escalation::Agency);
        assert_eq!(
            check_decision(1, REVIEW, agency, active, false, "no reply"),
            Ok(())
        );
        assert_eq!(
            check_decision(2, "call", agency, active, true, "x")
                .unwrap_err()
                .field(),
            "task"
        );
        assert_eq!(
            check_decision(1, REVIEW, Decision::Reject, active, false, "  "),
            Err(DecisionRefusal::Reason)
        );
        assert_eq!(
            check_decision(1, REVIEW, agency, CustomerStatus::WithAgency, true, "x"),
            Err(DecisionRefusal::AlreadyHandedOver {
                status: CustomerStatus::WithAgency
            })
        );
    }

    #[test]
    fn a_reason_is_counted_in_characters() {
        let agency = Decision::Approve(Escalation::Agency);
        let active = CustomerStatus::Active;
        // 1000 two-byte characters: 2000 bytes, within the limit.
        let at_limit = "é".repeat(REASON_CHARS_MAX);
        assert_eq!(
            check_decision(1, REVIEW, agency, active, false, &at_limit),
            Ok(())
        );
        let over = "e".repeat(REASON_CHARS_MAX + 1);
        assert_eq!(
            check_decision(1, REVIEW, agency, active, false, &over),
            Err(DecisionRefusal::Reason)
        );
    }
}
