//! A person acting on a message in the outbox before or after the worker
//! has tried it: hold it, send it now, cancel it (with a reason), or send a
//! failed one again. Each is one guarded `UPDATE … WHERE status = …` in the
//! transaction that writes its timeline entry, so a worker that claims the
//! message meanwhile wins or loses whole: a message being sent is never
//! held or cancelled half-way, and a held or cancelled one is never
//! claimed (the worker claims `pending` rows only).
//!
//! Which states each action starts from is [`OutboxAction::from_states`],
//! the one place that says it; every shell offers a button or a command
//! only where it applies.

use dun_core::Date;

use crate::delivery::locked_message;
use crate::error::StoreError;
use crate::outbox::OutboxMessage;
use crate::records::check_author;
use crate::timeline::{self, NewEntry};
use crate::{params, Store};

/// Longest reason for holding or cancelling a message, in characters.
pub const OUTBOX_REASON_CHARS_MAX: usize = 500;

/// What a person may do to a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutboxAction {
    /// Keep a pending message from being sent until someone sends it.
    Hold,
    /// Make a held message, or one waiting to retry after a temporary
    /// failure, due at once.
    SendNow,
    /// Never send it; the reason goes on the timeline.
    Cancel,
    /// Queue a failed message, or one whose delivery is unknown, again.
    Retry,
}

impl OutboxAction {
    pub const ALL: [OutboxAction; 4] = [
        OutboxAction::Hold,
        OutboxAction::SendNow,
        OutboxAction::Cancel,
        OutboxAction::Retry,
    ];

    /// The states a message may be in for this action.
    pub fn from_states(self) -> &'static [&'static str] {
        match self {
            OutboxAction::Hold => &["pending"],
            OutboxAction::SendNow => &["pending", "held"],
            OutboxAction::Cancel => &["pending", "held", "failed", "unknown"],
            OutboxAction::Retry => &["failed", "unknown"],
        }
    }

    /// Whether a message in `status` (waiting until `next_attempt_at`, if
    /// any) is one this action applies to. `SendNow` on a pending message
    /// applies only while it waits for a retry: otherwise it is due already.
    pub fn applies(self, status: &str, next_attempt_at: Option<&str>) -> bool {
        match self {
            OutboxAction::SendNow if status == "pending" => next_attempt_at.is_some(),
            _ => self.from_states().contains(&status),
        }
    }

    /// The actions that apply to `m`, in the order a page offers them.
    pub fn for_message(m: &OutboxMessage) -> Vec<OutboxAction> {
        OutboxAction::ALL
            .into_iter()
            .filter(|a| a.applies(&m.status, m.next_attempt_at.as_deref()))
            .collect()
    }

    /// Its name in commands, routes and the timeline: `hold`, `send-now`,
    /// `cancel`, `retry`.
    pub fn name(self) -> &'static str {
        match self {
            OutboxAction::Hold => "hold",
            OutboxAction::SendNow => "send-now",
            OutboxAction::Cancel => "cancel",
            OutboxAction::Retry => "retry",
        }
    }

    /// Whether the action needs a reason.
    pub fn needs_reason(self) -> bool {
        self == OutboxAction::Cancel
    }

    fn timeline_kind(self) -> &'static str {
        match self {
            OutboxAction::Hold => "email_held",
            OutboxAction::SendNow => "email_send_now",
            OutboxAction::Cancel => "email_cancelled",
            OutboxAction::Retry => "email_retry",
        }
    }

    fn past(self) -> &'static str {
        match self {
            OutboxAction::Hold => "held",
            OutboxAction::SendNow => "sent now",
            OutboxAction::Cancel => "cancelled",
            OutboxAction::Retry => "retried",
        }
    }
}

/// The refusal of an action on a message in the wrong state.
fn wrong_state(id: i64, action: OutboxAction, status: &str) -> StoreError {
    let from = match action.from_states() {
        [only] => only.to_string(),
        [first @ .., last] => format!("{} or {last}", first.join(", ")),
        [] => String::new(),
    };
    let waiting = if action == OutboxAction::SendNow && status == "pending" {
        " (it is due already: the next delivery pass sends it)"
    } else {
        ""
    };
    StoreError::Conflict(format!(
        "message #{id} is {status}{waiting}; only a {from} message can be {}",
        action.past()
    ))
}

/// The reason as kept: trimmed, required where the action needs one,
/// refused when longer than [`OUTBOX_REASON_CHARS_MAX`].
fn checked_reason(action: OutboxAction, raw: &str) -> Result<String, StoreError> {
    let reason = raw.trim();
    if action.needs_reason() && reason.is_empty() {
        return Err(StoreError::Invalid(format!(
            "reason: say why the message is {}; it goes on the customer's timeline",
            action.past()
        )));
    }
    // The reason as sent counts, spaces around it too: the limit a client
    // reads in the API's document is on what it sends.
    if let Some(why) = dun_core::text::note_problem(raw, OUTBOX_REASON_CHARS_MAX) {
        return Err(StoreError::Invalid(format!("reason: {why}")));
    }
    Ok(reason.to_string())
}

impl Store {
    /// A person takes `action` on message `id`, logged on the customer's
    /// timeline with their name and `reason`. Returns the message as it
    /// now is. Refused (nothing written) when the message is in a state
    /// the action does not start from — including when a worker claimed it
    /// first.
    #[allow(clippy::too_many_arguments)] // the store's usual who, now and today
    pub fn act_on_message(
        &mut self,
        org_id: i64,
        id: i64,
        action: OutboxAction,
        reason: &str,
        author: &str,
        now: &str,
        today: Date,
    ) -> Result<OutboxMessage, StoreError> {
        let author = check_author(author)?;
        let reason = checked_reason(action, reason)?;
        let mut tx = self.conn().transaction()?;
        let m = locked_message(&mut tx, org_id, id)?;
        if !action.applies(&m.status, m.next_attempt_at.as_deref()) {
            return Err(wrong_state(id, action, &m.status));
        }
        let changed = match action {
            OutboxAction::Hold => tx.execute(
                "UPDATE outbox SET status = 'held' WHERE org_id = $1 AND id = $2 AND status = $3",
                params![org_id, id, m.status.as_str()],
            )?,
            OutboxAction::SendNow => tx.execute(
                "UPDATE outbox SET status = 'pending', next_attempt_at = NULL
                 WHERE org_id = $1 AND id = $2 AND status = $3",
                params![org_id, id, m.status.as_str()],
            )?,
            OutboxAction::Cancel => {
                let why = format!("cancelled by {author}: {reason}");
                let changed = tx.execute(
                    "UPDATE outbox SET status = 'cancelled', next_attempt_at = NULL, last_error = $4
                     WHERE org_id = $1 AND id = $2 AND status = $3",
                    params![org_id, id, m.status.as_str(), why.as_str()],
                )?;
                if changed == 1 {
                    crate::recheck::skip_cancelled(&mut tx, org_id, &m)?;
                }
                changed
            }
            OutboxAction::Retry => tx.execute(
                "UPDATE outbox SET status = 'pending', claimed_by = NULL, claimed_at = NULL,
                    next_attempt_at = NULL, attempts = 0
                 WHERE org_id = $1 AND id = $2 AND status = $3",
                params![org_id, id, m.status.as_str()],
            )?,
        };
        if changed == 0 {
            // A worker claimed it between the read and the update (SQLite
            // holds the write lock, so this is PostgreSQL's race).
            let now_is = locked_message(&mut tx, org_id, id)?;
            return Err(wrong_state(id, action, &now_is.status));
        }
        let summary = match action {
            OutboxAction::Retry => format!(
                "E-mail #{id} ({}) queued again after it was {}",
                m.template, m.status
            ),
            OutboxAction::SendNow => format!("E-mail #{id} ({}) sent now", m.template),
            _ if reason.is_empty() => format!("E-mail #{id} ({}) {}", m.template, action.past()),
            _ => format!("E-mail #{id} ({}) {}: {reason}", m.template, action.past()),
        };
        let ids = crate::delivery::invoice_ids(&m);
        timeline::log(
            &mut tx,
            org_id,
            now,
            &NewEntry {
                customer_id: m.customer_id,
                on_date: today,
                kind: action.timeline_kind(),
                author,
                summary: &summary,
                detail: serde_json::json!({
                    "outbox_id": id,
                    "action": action.name(),
                    "was": m.status,
                    "reason": (!reason.is_empty()).then_some(reason.as_str()),
                    "error": m.last_error,
                }),
                invoice_ids: &ids,
            },
        )?;
        let m = locked_message(&mut tx, org_id, id)?;
        tx.commit()?;
        Ok(m)
    }

    /// A person sends a `failed` or `unknown` message again: it goes back
    /// to `pending`, due now. Logged with their name.
    pub fn retry_message(
        &mut self,
        org_id: i64,
        id: i64,
        author: &str,
        now: &str,
        today: Date,
    ) -> Result<OutboxMessage, StoreError> {
        self.act_on_message(org_id, id, OutboxAction::Retry, "", author, now, today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_action_starts_from_its_states_only() {
        use OutboxAction::*;
        let statuses = crate::outbox::STATUSES;
        let applies = |a: OutboxAction, s: &str| a.applies(s, None);
        let from = |a| -> Vec<&str> { statuses.into_iter().filter(|s| applies(a, s)).collect() };
        assert_eq!(from(Hold), ["pending"]);
        assert_eq!(from(SendNow), ["held"]);
        assert!(SendNow.applies("pending", Some("2026-01-01T00:00:00Z")));
        assert_eq!(from(Cancel), ["pending", "held", "failed", "unknown"]);
        assert_eq!(from(Retry), ["failed", "unknown"]);
        for s in ["sending", "sent", "dropped", "cancelled"] {
            assert!(OutboxAction::ALL.iter().all(|a| !applies(*a, s)), "{s}");
        }
    }

    #[test]
    fn a_cancel_needs_a_reason_and_every_reason_has_a_limit() {
        assert!(checked_reason(OutboxAction::Cancel, "  ").is_err());
        assert_eq!(checked_reason(OutboxAction::Hold, " ").unwrap(), "");
        let long = "x".repeat(OUTBOX_REASON_CHARS_MAX + 1);
        assert!(checked_reason(OutboxAction::Hold, &long).is_err());
        let at_limit = "é".repeat(OUTBOX_REASON_CHARS_MAX);
        assert!(checked_reason(OutboxAction::Cancel, &at_limit).is_ok());
    }
}
