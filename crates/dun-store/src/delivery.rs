//! The delivery worker's side of the outbox: claiming a message, and
//! recording what came of sending it. The SMTP conversation itself is in
//! `dun-mail` (`dun_mail::worker::deliver_pending` drives these calls).
//!
//! ## The guarantee: at most once
//! A message is claimed in its own transaction — `pending` → `sending`,
//! with the worker's name, the time and the recipient — and that commit
//! happens **before** the SMTP transaction begins. The outcome is recorded
//! in a second transaction after the server has answered. So:
//! - two workers (two `dun serve` processes on one PostgreSQL, or a CLI
//!   beside a server) never both send a message: the claim is an `UPDATE …
//!   WHERE status = 'pending'` (PostgreSQL: on a row read `FOR UPDATE SKIP
//!   LOCKED`; SQLite: under the file's write lock) and only one can win it;
//! - a retry or a re-run never sends a message that is `sent`, `sending`,
//!   `failed` or `unknown` — only `pending` rows are claimed;
//! - a worker that stops between the claim and the record (killed, the
//!   machine lost power) leaves the row `sending`. Whether the server
//!   accepted it cannot be known from here, so it is **never re-sent by
//!   itself**: once the claim is older than the stale limit, any worker
//!   turns it into `unknown` with a task for a person ("confirm whether
//!   message … reached …"); `dun outbox retry ID` sends it again on their
//!   word. The same happens when the connection breaks while the server
//!   holds the message's body (the one moment its answer decides).
//!
//! A failure the server states (a 4xx reply, a refused connection) before
//! the body is sent is certain: temporary ones go back to `pending` with an
//! exponential backoff, permanent ones (5xx, no address) become `failed`
//! with a task. Every send, failure and unknown outcome is a timeline entry.
//!
//! ## Send-time truth
//! In the same transaction as the claim, a reminder the run queued is
//! re-checked against the ledger (`recheck.rs`): what is no longer chased
//! is left out and the amounts are what is open now; a reminder with
//! nothing left is `dropped` instead of claimed, with a timeline entry
//! saying what was not sent and why. So two workers never both send, nor
//! both drop, one message.

use dun_core::customer::Recipients;
use dun_core::statement::Statement;
use dun_core::Date;
use serde::Serialize;

use crate::db::{Backend, Tx};
use crate::error::StoreError;
use crate::outbox::{message_from_row, OutboxMessage, MESSAGE_COLUMNS};
use crate::recheck::{self, Recheck};
use crate::records::check_author;
use crate::timeline::{self, NewEntry};
use crate::{params, portal, Store};

/// Attempts after which a message that keeps failing temporarily is failed.
pub const ATTEMPTS_MAX: i64 = 8;
/// The first wait after a temporary failure, in seconds; it doubles with
/// each attempt.
pub const BACKOFF_BASE_SECS: i64 = 60;
/// The longest wait between two attempts, in seconds.
pub const BACKOFF_MAX_SECS: i64 = 3600;
/// How long a claim may stay `sending` before it is taken for a worker
/// that stopped, by default, in seconds (well over an SMTP timeout).
pub const STALE_CLAIM_SECS_DEFAULT: i64 = 600;
/// Days a portal link in a message stays valid.
pub const PORTAL_LINK_DAYS: i32 = 60;
/// Longest error text kept on a row, in bytes.
pub const ERROR_BYTES_MAX: usize = 1000;
/// Rows one claim looks at before giving up when other workers keep
/// winning them.
const CLAIM_TRIES_MAX: usize = 20;

/// The wait after the `attempts`-th temporary failure, in seconds.
pub fn backoff_secs(attempts: i64) -> i64 {
    let doublings = attempts.clamp(1, 30) - 1;
    BACKOFF_BASE_SECS
        .saturating_mul(1i64 << doublings)
        .min(BACKOFF_MAX_SECS)
}

/// Seconds since 1970 of a `YYYY-MM-DDTHH:MM:SSZ` time.
pub fn utc_secs(text: &str) -> Option<i64> {
    let (date, time) = text.strip_suffix('Z')?.split_once('T')?;
    let date = Date::parse(date).ok()?;
    let mut parts = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    Some(i64::from(date.day_number()) * 86_400 + h * 3600 + m * 60 + s)
}

/// `YYYY-MM-DDTHH:MM:SSZ` of seconds since 1970.
pub fn utc_text(secs: i64) -> String {
    let day = Date::from_day_number(secs.div_euclid(86_400) as i32);
    let s = secs.rem_euclid(86_400);
    format!("{day}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

fn checked_time(field: &str, text: &str) -> Result<i64, StoreError> {
    utc_secs(text).ok_or_else(|| {
        StoreError::Invalid(format!(
            "{field} '{text}' is not a time of the form YYYY-MM-DDTHH:MM:SSZ"
        ))
    })
}

fn clip(text: &str) -> String {
    let mut end = text.len().min(ERROR_BYTES_MAX);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// An issued document a message is about, as the message shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DocumentBrief {
    pub number: Option<String>,
    pub currency: String,
    pub issue_date: Date,
    pub due_date: Date,
    pub total_minor: i64,
    pub open_minor: i64,
}

/// The organisation's own wording of a template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredTemplate {
    pub name: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: String,
}

/// A message a worker has claimed: everything it needs to write and send it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Claim {
    pub message: OutboxMessage,
    /// Who it goes to, `a@x.com, b@y.com` (`dun_core::customer::recipients`:
    /// the customer's main address and billing contacts).
    pub recipient: String,
    /// Who has it in copy (accounts payable), the same way; `None`: nobody.
    pub cc: Option<String>,
    pub org_name: String,
    /// The organisation takes card payments (its Stripe secret key is
    /// set): the message carries a Pay link to the portal.
    pub pays_online: bool,
    /// A signed token to the customer's portal (see `portal::portal_url`).
    pub portal_token: String,
    pub portal_expires_on: Date,
    /// For `invoice` and `credit_note` messages.
    pub document: Option<DocumentBrief>,
    /// The organisation's wording, when it has its own for this template.
    pub template: Option<StoredTemplate>,
    /// For `statement` messages: the customer's statements of the period
    /// (one per currency), drawn up once in the claim's snapshot — the PDF
    /// attached and the e-mail's body are both written from these.
    pub statements: Vec<Statement>,
    /// What the send-time re-check made of it: for a claim, never
    /// `Dropped`; for a preview, what sending it now would do.
    pub recheck: Recheck,
}

/// What the next claim gave a worker.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "next")]
pub enum Next {
    /// A message claimed (`sending`) for the worker to send now.
    Send(Box<Claim>),
    /// A reminder nothing in which is chased any more: `dropped`, not
    /// sent; `reason` says what was not sent and why.
    Dropped { id: i64, reason: String },
}

/// What became of a temporary failure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Retry {
    /// Pending again, not before this time.
    At(String),
    /// It had failed [`ATTEMPTS_MAX`] times: failed, with a task.
    GaveUp,
}

/// The invoices a message concerns, for its timeline entry.
pub(crate) fn invoice_ids(m: &OutboxMessage) -> Vec<i64> {
    let mut ids: Vec<i64> = m.detail["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["invoice_id"].as_i64())
                .collect()
        })
        .unwrap_or_default();
    ids.extend(m.invoice_id);
    ids.sort_unstable();
    ids.dedup();
    ids
}

pub(crate) fn locked_message(
    tx: &mut Tx<'_>,
    org_id: i64,
    id: i64,
) -> Result<OutboxMessage, StoreError> {
    tx.query_opt(
        &format!(
            "SELECT {MESSAGE_COLUMNS}
             FROM outbox o JOIN customers c ON c.org_id = o.org_id AND c.id = o.customer_id
             WHERE o.org_id = $1 AND o.id = $2"
        ),
        params![org_id, id],
        message_from_row,
    )?
    .ok_or_else(|| StoreError::not_found("message", format!("#{id}")))
}

/// A task for a person about a message, and its timeline entry.
#[allow(clippy::too_many_arguments)]
fn task_and_log(
    tx: &mut Tx<'_>,
    org_id: i64,
    m: &OutboxMessage,
    now: &str,
    today: Date,
    kind: &str,
    summary: &str,
    task_title: Option<&str>,
) -> Result<(), StoreError> {
    let ids = invoice_ids(m);
    if let Some(title) = task_title {
        let ids_json = serde_json::to_string(&ids)?;
        let title = clip(title);
        tx.execute(
            "INSERT INTO tasks (org_id, customer_id, kind, title, due_date, status, invoice_ids,
                proposals, created_by, outcome, created_at, closed_at)
             VALUES ($1, $2, 'delivery', $3, $4, 'open', $5, '[]', 'delivery worker', NULL, $6, NULL)",
            params![
                org_id,
                m.customer_id,
                title.as_str(),
                i64::from(today.day_number()),
                ids_json.as_str(),
                now
            ],
        )?;
    }
    timeline::log(
        tx,
        org_id,
        now,
        &NewEntry {
            customer_id: m.customer_id,
            on_date: today,
            kind,
            author: "delivery worker",
            summary,
            detail: serde_json::json!({
                "outbox_id": m.id,
                "message_id": m.message_id,
                "template": m.template,
                "recipient": m.recipient,
                "attempts": m.attempts,
                "error": m.last_error,
            }),
            invoice_ids: &ids,
        },
    )?;
    Ok(())
}

/// The statements a `statement` message is about (none for other kinds,
/// or for a period the domain refuses: the message then goes without).
fn statements_of(
    tx: &mut Tx<'_>,
    org_id: i64,
    message: &OutboxMessage,
) -> Result<Vec<Statement>, StoreError> {
    let (Some(from), Some(to)) = (message.period_start, message.period_end) else {
        return Ok(Vec::new());
    };
    if message.kind != "statement" {
        return Ok(Vec::new());
    }
    let customer = crate::customers::by_ref(tx, org_id, &message.customer_ref)?;
    match crate::statements::statements_in(tx, org_id, &customer, from, to) {
        Err(StoreError::Invalid(_)) => Ok(Vec::new()),
        other => other,
    }
}

impl Store {
    /// Turns every message left `sending` by a worker other than `worker`
    /// whose claim is older than `stale_secs` into `unknown`, each with a
    /// task asking a person to confirm whether it arrived. Returns their ids.
    pub fn recover_stale_claims(
        &mut self,
        org_id: i64,
        worker: &str,
        now: &str,
        stale_secs: i64,
        today: Date,
    ) -> Result<Vec<i64>, StoreError> {
        let before = utc_text(checked_time("now", now)? - stale_secs.max(0));
        let mut tx = self.conn().transaction()?;
        let stale: Vec<i64> = tx.query(
            "SELECT id FROM outbox WHERE org_id = $1 AND status = 'sending'
                AND claimed_by <> $2 AND claimed_at <= $3 ORDER BY id",
            params![org_id, worker, before.as_str()],
            |r| r.i64(0),
        )?;
        let mut marked = Vec::new();
        for id in stale {
            let changed = tx.execute(
                "UPDATE outbox SET status = 'unknown',
                    last_error = 'the worker ' || claimed_by || ' stopped after claiming it at ' || claimed_at || '; it may or may not have been delivered'
                 WHERE org_id = $1 AND id = $2 AND status = 'sending'",
                params![org_id, id],
            )?;
            if changed == 0 {
                continue;
            }
            let m = locked_message(&mut tx, org_id, id)?;
            let to = m.recipient.clone().unwrap_or_default();
            task_and_log(
                &mut tx,
                org_id,
                &m,
                now,
                today,
                "email_unknown",
                &format!(
                    "E-mail #{id} ({}) to {to}: outcome unknown (the worker stopped while sending)",
                    m.template
                ),
                Some(&format!(
                    "Confirm whether message #{id} ({}, Message-ID {}) reached {to}; if not, retry it from the outbox",
                    m.template,
                    m.message_id.as_deref().unwrap_or("-")
                )),
            )?;
            marked.push(id);
        }
        tx.commit()?;
        Ok(marked)
    }

    /// Claims the oldest pending e-mail that is due (`next_attempt_at` not
    /// after `now`) for `worker`, committing `sending` before returning it;
    /// reminders found stale on the way are dropped (see [`Self::claim_next`]).
    /// A message whose customer has no e-mail address is failed on the way,
    /// with a task. `None` when nothing is due.
    pub fn claim_next_message(
        &mut self,
        org_id: i64,
        worker: &str,
        now: &str,
        today: Date,
    ) -> Result<Option<Claim>, StoreError> {
        loop {
            match self.claim_next(org_id, worker, now, today)? {
                Some(Next::Send(claim)) => return Ok(Some(*claim)),
                Some(Next::Dropped { .. }) => continue,
                None => return Ok(None),
            }
        }
    }

    /// Takes the oldest pending e-mail that is due (`next_attempt_at` not
    /// after `now`) for `worker` and, in the same transaction, re-checks a
    /// reminder against the ledger (`recheck.rs`): still chased, it is
    /// claimed — `sending`, committed before it is returned, worded for what
    /// is still owed; nothing in it chased any more, it is `dropped` and
    /// that is returned. A message whose customer has no e-mail address is
    /// failed on the way, with a task. `None` when nothing is due.
    pub fn claim_next(
        &mut self,
        org_id: i64,
        worker: &str,
        now: &str,
        today: Date,
    ) -> Result<Option<Next>, StoreError> {
        checked_time("now", now)?;
        let mut tx = self.conn().transaction()?;
        let lock = match tx.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let pick = format!(
            "SELECT id FROM outbox WHERE org_id = $1 AND status = 'pending'
                AND (next_attempt_at IS NULL OR next_attempt_at <= $2)
                AND channels LIKE '%\"email\"%'
             ORDER BY id LIMIT 1{lock}"
        );
        for _ in 0..CLAIM_TRIES_MAX {
            let Some(id) = tx.query_opt(&pick, params![org_id, now], |r| r.i64(0))? else {
                tx.commit()?;
                return Ok(None);
            };
            // Send-time truth, decided under this claim's lock on the row.
            let queued = locked_message(&mut tx, org_id, id)?;
            let rechecked = recheck::recheck_message(&mut tx, org_id, queued, today)?;
            if !recheck::settle(&mut tx, org_id, &rechecked, now, today)? {
                continue;
            }
            if let Recheck::Dropped { reason, .. } = rechecked.recheck {
                tx.commit()?;
                return Ok(Some(Next::Dropped { id, reason }));
            }
            if !rechecked.message.channels.iter().any(|c| c == "email") {
                // Re-worded for a step that goes by letter alone: the
                // letters are made for it, not an e-mail.
                continue;
            }
            let customer_id = rechecked.message.customer_id;
            let recipients = crate::contacts::recipients_in(&mut tx, org_id, customer_id)?;
            if recipients.is_empty() {
                let changed = tx.execute(
                    "UPDATE outbox SET status = 'failed', claimed_by = $3, claimed_at = $4,
                        last_error = 'the customer has no e-mail address'
                     WHERE org_id = $1 AND id = $2 AND status = 'pending'",
                    params![org_id, id, worker, now],
                )?;
                if changed == 1 {
                    let m = locked_message(&mut tx, org_id, id)?;
                    task_and_log(
                        &mut tx,
                        org_id,
                        &m,
                        now,
                        today,
                        "email_failed",
                        &format!("E-mail #{id} ({}) not sent: no e-mail address", m.template),
                        Some(&format!(
                            "Add an e-mail address for customer {} ({}), then retry message #{id} from the outbox",
                            m.customer_ref, m.customer_name
                        )),
                    )?;
                }
                continue;
            }
            let (to, cc) = (recipients.to_text(), recipients.cc_text());
            let changed = tx.execute(
                "UPDATE outbox SET status = 'sending', claimed_by = $3, claimed_at = $4,
                    attempts = attempts + 1, recipient = $5, cc = $6
                 WHERE org_id = $1 AND id = $2 AND status = 'pending'",
                params![org_id, id, worker, now, to.as_str(), cc.as_deref()],
            )?;
            if changed == 0 {
                // Another worker won it between our read and our update.
                continue;
            }
            let message = locked_message(&mut tx, org_id, id)?;
            let claim = claim_of(
                &mut tx,
                org_id,
                message,
                recipients,
                today,
                rechecked.recheck,
            )?;
            tx.commit()?;
            return Ok(Some(Next::Send(Box::new(claim))));
        }
        tx.commit()?;
        Ok(None)
    }

    /// Message `id` as the worker would write it today, without claiming
    /// it or changing anything it says: for a person to read first. A
    /// reminder not sent yet is re-checked as the claim would
    /// (`Claim::recheck` says what was left out, or that it would be
    /// dropped). The recipients are the customer's now (empty when they
    /// have no address).
    pub fn preview_message(
        &mut self,
        org_id: i64,
        id: i64,
        today: Date,
    ) -> Result<Claim, StoreError> {
        let mut tx = self.conn().transaction()?;
        let queued = locked_message(&mut tx, org_id, id)?;
        let rechecked = recheck::recheck_message(&mut tx, org_id, queued, today)?;
        let message = rechecked.message;
        let recipients = crate::contacts::recipients_in(&mut tx, org_id, message.customer_id)?;
        let claim = claim_of(
            &mut tx,
            org_id,
            message,
            recipients,
            today,
            rechecked.recheck,
        )?;
        tx.commit()?;
        Ok(claim)
    }

    /// Records that the server accepted message `id` (claimed by `worker`).
    /// `summary` is the timeline's line (e.g. the subject). Returns whether
    /// the row was still this worker's to record.
    pub fn record_sent(
        &mut self,
        org_id: i64,
        id: i64,
        worker: &str,
        now: &str,
        today: Date,
        summary: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.conn().transaction()?;
        let changed = tx.execute(
            "UPDATE outbox SET status = 'sent', sent_at = $4, last_error = NULL, next_attempt_at = NULL
             WHERE org_id = $1 AND id = $2 AND claimed_by = $3 AND status IN ('sending', 'unknown')",
            params![org_id, id, worker, now],
        )?;
        if changed == 1 {
            let m = locked_message(&mut tx, org_id, id)?;
            let to = m.recipient.clone().unwrap_or_default();
            task_and_log(
                &mut tx,
                org_id,
                &m,
                now,
                today,
                "email_sent",
                &format!(
                    "E-mailed {} to {to}: {summary}{}",
                    m.template,
                    recheck::left_out_note(&m)
                ),
                None,
            )?;
        }
        tx.commit()?;
        Ok(changed == 1)
    }

    /// Records a temporary failure (the server said 4xx, or could not be
    /// reached) of message `id`: pending again after a backoff, or failed
    /// with a task once it has been tried [`ATTEMPTS_MAX`] times.
    pub fn record_temporary_failure(
        &mut self,
        org_id: i64,
        id: i64,
        worker: &str,
        now: &str,
        today: Date,
        error: &str,
    ) -> Result<Retry, StoreError> {
        let now_secs = checked_time("now", now)?;
        let error = clip(error);
        let mut tx = self.conn().transaction()?;
        let m = locked_message(&mut tx, org_id, id)?;
        if m.status != "sending" || m.claimed_by.as_deref() != Some(worker) {
            return Err(StoreError::Conflict(format!(
                "message #{id} is {} (claimed by {}), not this worker's to record",
                m.status,
                m.claimed_by.as_deref().unwrap_or("nobody")
            )));
        }
        if m.attempts >= ATTEMPTS_MAX {
            drop(tx);
            self.record_permanent_failure(
                org_id,
                id,
                worker,
                now,
                today,
                &format!("{error} (gave up after {} attempts)", m.attempts),
            )?;
            return Ok(Retry::GaveUp);
        }
        let at = utc_text(now_secs + backoff_secs(m.attempts));
        tx.execute(
            "UPDATE outbox SET status = 'pending', claimed_by = NULL, claimed_at = NULL,
                next_attempt_at = $4, last_error = $5
             WHERE org_id = $1 AND id = $2 AND claimed_by = $3 AND status = 'sending'",
            params![org_id, id, worker, at.as_str(), error.as_str()],
        )?;
        tx.commit()?;
        Ok(Retry::At(at))
    }

    /// Records a permanent failure (the server said 5xx, the address is
    /// not an address): failed, with a task for a person.
    pub fn record_permanent_failure(
        &mut self,
        org_id: i64,
        id: i64,
        worker: &str,
        now: &str,
        today: Date,
        error: &str,
    ) -> Result<(), StoreError> {
        let error = clip(error);
        let mut tx = self.conn().transaction()?;
        let changed = tx.execute(
            "UPDATE outbox SET status = 'failed', last_error = $4, next_attempt_at = NULL
             WHERE org_id = $1 AND id = $2 AND claimed_by = $3 AND status = 'sending'",
            params![org_id, id, worker, error.as_str()],
        )?;
        if changed == 1 {
            let m = locked_message(&mut tx, org_id, id)?;
            let to = m.recipient.clone().unwrap_or_default();
            task_and_log(
                &mut tx,
                org_id,
                &m,
                now,
                today,
                "email_failed",
                &format!("E-mail #{id} ({}) to {to} failed: {error}", m.template),
                Some(&format!(
                    "E-mail #{id} ({}) to {to} failed: {error}. Correct the address or the server settings, then retry it from the outbox",
                    m.template
                )),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records that the connection broke while the server held the
    /// message's body: `unknown`, with a task to confirm.
    pub fn record_unknown(
        &mut self,
        org_id: i64,
        id: i64,
        worker: &str,
        now: &str,
        today: Date,
        error: &str,
    ) -> Result<(), StoreError> {
        let error = clip(error);
        let mut tx = self.conn().transaction()?;
        let changed = tx.execute(
            "UPDATE outbox SET status = 'unknown', last_error = $4
             WHERE org_id = $1 AND id = $2 AND claimed_by = $3 AND status = 'sending'",
            params![org_id, id, worker, error.as_str()],
        )?;
        if changed == 1 {
            let m = locked_message(&mut tx, org_id, id)?;
            let to = m.recipient.clone().unwrap_or_default();
            task_and_log(
                &mut tx,
                org_id,
                &m,
                now,
                today,
                "email_unknown",
                &format!("E-mail #{id} ({}) to {to}: outcome unknown ({error})", m.template),
                Some(&format!(
                    "Confirm whether message #{id} ({}, Message-ID {}) reached {to}; if not, retry it from the outbox",
                    m.template,
                    m.message_id.as_deref().unwrap_or("-")
                )),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The organisation's own wording of every template it has changed.
    pub fn message_templates(&mut self, org_id: i64) -> Result<Vec<StoredTemplate>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            "SELECT name, subject, text_body, html_body, version, updated_by, updated_at
             FROM message_templates WHERE org_id = $1 ORDER BY name",
            params![org_id],
            template_from_row,
        )
    }

    /// Saves the organisation's wording of template `name` (a new version).
    /// The caller has checked the text (`dun_mail::template`).
    #[allow(clippy::too_many_arguments)]
    pub fn set_message_template(
        &mut self,
        org_id: i64,
        name: &str,
        subject: &str,
        text_body: &str,
        html_body: &str,
        author: &str,
        now: &str,
    ) -> Result<StoredTemplate, StoreError> {
        let author = check_author(author)?;
        let mut tx = self.conn().transaction()?;
        crate::orgs::lock(&mut tx, org_id)?;
        let version = template(&mut tx, org_id, name)?.map_or(1, |t| t.version + 1);
        tx.execute(
            "DELETE FROM message_templates WHERE org_id = $1 AND name = $2",
            params![org_id, name],
        )?;
        tx.execute(
            "INSERT INTO message_templates (org_id, name, subject, text_body, html_body, version, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            params![org_id, name, subject, text_body, html_body, version, author, now],
        )?;
        let saved = template(&mut tx, org_id, name)?
            .ok_or_else(|| StoreError::Conflict("the template was not saved".into()))?;
        tx.commit()?;
        Ok(saved)
    }

    /// Drops the organisation's wording of template `name`: the next
    /// messages use Dun's built-in wording again (a later edit starts again
    /// at version 1). Whether there was a wording of its own to drop.
    pub fn reset_message_template(&mut self, org_id: i64, name: &str) -> Result<bool, StoreError> {
        let mut tx = self.conn().transaction()?;
        crate::orgs::lock(&mut tx, org_id)?;
        let dropped = tx.execute(
            "DELETE FROM message_templates WHERE org_id = $1 AND name = $2",
            params![org_id, name],
        )?;
        tx.commit()?;
        Ok(dropped > 0)
    }
}

fn template_from_row(r: &crate::Row<'_>) -> Result<StoredTemplate, StoreError> {
    Ok(StoredTemplate {
        name: r.string(0)?,
        subject: r.string(1)?,
        text_body: r.string(2)?,
        html_body: r.string(3)?,
        version: r.i64(4)?,
        updated_by: r.string(5)?,
        updated_at: r.string(6)?,
    })
}

fn template(
    tx: &mut Tx<'_>,
    org_id: i64,
    name: &str,
) -> Result<Option<StoredTemplate>, StoreError> {
    tx.query_opt(
        "SELECT name, subject, text_body, html_body, version, updated_by, updated_at
         FROM message_templates WHERE org_id = $1 AND name = $2",
        params![org_id, name],
        template_from_row,
    )
}

/// Everything a message needs to be written, read in the caller's
/// transaction: the organisation, a fresh portal link, the document, the
/// organisation's wording and a statement's statements.
fn claim_of(
    tx: &mut Tx<'_>,
    org_id: i64,
    message: OutboxMessage,
    recipients: Recipients,
    today: Date,
    recheck: Recheck,
) -> Result<Claim, StoreError> {
    let (org_name, pays_online) = tx
        .query_opt(
            "SELECT name, stripe_secret_key FROM organisations WHERE id = $1",
            params![org_id],
            |r| Ok((r.string(0)?, r.opt_string(1)?.is_some())),
        )?
        .unwrap_or_default();
    let portal_expires_on = today.add_days(PORTAL_LINK_DAYS);
    let portal_token = portal::token(tx, org_id, message.customer_id, portal_expires_on)?;
    let credit_note = (message.kind == "credit_note")
        .then(|| message.detail["number"].as_str().map(str::to_string))
        .flatten();
    let document = match (message.invoice_id, credit_note) {
        // A credit note's own number, amount and date (nothing is open on it).
        (Some(_), Some(number)) => tx.query_opt(
            "SELECT number, currency, issue_date, amount_minor FROM credit_notes
             WHERE org_id = $1 AND number = $2",
            params![org_id, number.as_str()],
            |r| {
                let issued = Date::from_day_number(r.i64(2)? as i32);
                Ok(DocumentBrief {
                    number: r.opt_string(0)?,
                    currency: r.string(1)?,
                    issue_date: issued,
                    due_date: issued,
                    total_minor: r.i64(3)?,
                    open_minor: 0,
                })
            },
        )?,
        (Some(invoice_id), None) => tx.query_opt(
            "SELECT number, currency, issue_date, due_date, total_minor, open_minor
             FROM invoices WHERE org_id = $1 AND id = $2",
            params![org_id, invoice_id],
            |r| {
                Ok(DocumentBrief {
                    number: r.opt_string(0)?,
                    currency: r.string(1)?,
                    issue_date: Date::from_day_number(r.i64(2)? as i32),
                    due_date: Date::from_day_number(r.i64(3)? as i32),
                    total_minor: r.i64(4)?,
                    open_minor: r.i64(5)?,
                })
            },
        )?,
        (None, _) => None,
    };
    let template = template(tx, org_id, &message.template)?;
    let statements = statements_of(tx, org_id, &message)?;
    Ok(Claim {
        message,
        recipient: recipients.to_text(),
        cc: recipients.cc_text(),
        org_name,
        pays_online,
        portal_token,
        portal_expires_on,
        document,
        template,
        statements,
        recheck,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let waits: Vec<i64> = (1..=8).map(backoff_secs).collect();
        assert_eq!(waits, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }

    #[test]
    fn times_round_trip() {
        for t in [
            "2026-11-24T00:00:00Z",
            "2026-11-24T23:59:59Z",
            "1999-02-28T12:34:56Z",
        ] {
            assert_eq!(utc_text(utc_secs(t).unwrap()), t);
        }
        assert_eq!(
            utc_secs("2026-11-24T00:01:00Z").unwrap() - utc_secs("2026-11-23T23:59:00Z").unwrap(),
            120
        );
        assert!(utc_secs("2026-11-24 00:00:00").is_none());
    }
}
