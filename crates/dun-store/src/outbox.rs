//! The outbox: every customer-facing message waiting to be delivered, or
//! gone. The daily run writes its dunning messages here; issuing an invoice,
//! a credit note or a statement schedule enqueues theirs with
//! [`Store::enqueue_message`] (or [`enqueue`] inside their own transaction);
//! the delivery worker (`delivery.rs`, driven by `dun-mail`) drains it.
//!
//! *Invariant:* a row's `message_id` is assigned when it is written and never
//! changes, so every attempt to deliver it carries the same `Message-ID`.

use dun_core::Date;
use serde::Serialize;

use crate::db::{Row, Tx};
use crate::error::StoreError;
use crate::{params, Store};

/// Most outbox messages one read returns.
pub const OUTBOX_LIMIT_MAX: i64 = 10_000;
/// Longest template name, in bytes.
pub const TEMPLATE_NAME_BYTES_MAX: usize = 100;
/// Largest `detail` of one message, in bytes of JSON.
pub const DETAIL_BYTES_MAX: usize = 1_000_000;

/// What a message is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A reminder or notice of the collections run; `detail.items` lists
    /// every invoice concerned.
    Dunning,
    /// An issued invoice (`invoice_id`), sent with its PDF and UBL XML.
    Invoice,
    /// An issued credit note (`invoice_id` names the credit note's document).
    CreditNote,
    /// A statement of account for a period.
    Statement,
}

impl MessageKind {
    pub const ALL: [MessageKind; 4] = [
        MessageKind::Dunning,
        MessageKind::Invoice,
        MessageKind::CreditNote,
        MessageKind::Statement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Dunning => "dunning",
            MessageKind::Invoice => "invoice",
            MessageKind::CreditNote => "credit_note",
            MessageKind::Statement => "statement",
        }
    }

    pub fn parse(text: &str) -> Result<MessageKind, StoreError> {
        MessageKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "message kind '{text}' is not one of dunning, invoice, credit_note, statement"
                ))
            })
    }
}

/// The statuses a message goes through. `pending` → `sending` (claimed by a
/// worker, committed before the SMTP transaction) → `sent`; or back to
/// `pending` after a temporary failure; or `failed` (permanent: a person
/// must act); or `unknown` (the worker stopped between claiming and
/// recording the outcome: a person confirms whether it arrived); or
/// `dropped` (a reminder re-checked at send time found nothing in it still
/// chased — paid, disputed… — and was not sent; `last_error` says why).
/// A person may hold a pending message (`held`: not sent until someone
/// sends it) or cancel one not yet sent (`cancelled`, never sent; the
/// reason in `last_error`); see `outbox_actions.rs`.
pub const STATUSES: [&str; 8] = [
    "pending",
    "held",
    "sending",
    "sent",
    "failed",
    "unknown",
    "dropped",
    "cancelled",
];

/// A message to put in the outbox.
#[derive(Clone, Debug, PartialEq)]
pub struct NewMessage {
    pub customer_id: i64,
    pub kind: MessageKind,
    /// The document, for `invoice` and `credit_note`.
    pub invoice_id: Option<i64>,
    /// First and last day, for `statement`.
    pub period: Option<(Date, Date)>,
    /// The wording, by name (`invoice`, `statement`, `first_notice`, …).
    pub template: String,
    /// What the template needs beyond the customer (a run's items).
    pub detail: serde_json::Value,
    /// The book's date the message speaks for.
    pub as_of: Date,
}

/// A customer-facing message waiting in (or gone from) the outbox.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutboxMessage {
    pub id: i64,
    pub customer_id: i64,
    pub customer_ref: String,
    pub customer_name: String,
    pub action_id: Option<i64>,
    pub as_of: Date,
    pub channels: Vec<String>,
    pub template: String,
    /// The message as the run decided it (its items: every invoice concerned).
    pub detail: serde_json::Value,
    pub status: String,
    pub attempts: i64,
    pub created_at: String,
    pub sent_at: Option<String>,
    /// `dunning`, `invoice`, `credit_note` or `statement`.
    pub kind: String,
    pub invoice_id: Option<i64>,
    pub period_start: Option<Date>,
    pub period_end: Option<Date>,
    pub message_id: Option<String>,
    /// The address it went to (set when a worker claims it).
    pub recipient: Option<String>,
    /// Who had it in copy (accounts payable; set with `recipient`).
    pub cc: Option<String>,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<String>,
    pub next_attempt_at: Option<String>,
    /// Why it failed; for a `dropped` message, what was not sent and why.
    pub last_error: Option<String>,
}

pub(crate) const MESSAGE_COLUMNS: &str = "o.id, o.customer_id, c.ref, c.name, o.action_id, o.as_of,
    o.channels, o.template, o.detail, o.status, o.attempts, o.created_at, o.sent_at, o.kind,
    o.invoice_id, o.period_start, o.period_end, o.message_id, o.recipient, o.claimed_by,
    o.claimed_at, o.next_attempt_at, o.last_error, o.cc";

fn opt_date(r: &Row<'_>, index: usize) -> Result<Option<Date>, StoreError> {
    Ok(r.opt_i64(index)?.map(|d| Date::from_day_number(d as i32)))
}

pub(crate) fn message_from_row(r: &Row<'_>) -> Result<OutboxMessage, StoreError> {
    Ok(OutboxMessage {
        id: r.i64(0)?,
        customer_id: r.i64(1)?,
        customer_ref: r.string(2)?,
        customer_name: r.string(3)?,
        action_id: r.opt_i64(4)?,
        as_of: Date::from_day_number(r.i64(5)? as i32),
        channels: serde_json::from_str(&r.string(6)?)?,
        template: r.string(7)?,
        detail: serde_json::from_str(&r.string(8)?)?,
        status: r.string(9)?,
        attempts: r.i64(10)?,
        created_at: r.string(11)?,
        sent_at: r.opt_string(12)?,
        kind: r.string(13)?,
        invoice_id: r.opt_i64(14)?,
        period_start: opt_date(r, 15)?,
        period_end: opt_date(r, 16)?,
        message_id: r.opt_string(17)?,
        recipient: r.opt_string(18)?,
        claimed_by: r.opt_string(19)?,
        claimed_at: r.opt_string(20)?,
        next_attempt_at: r.opt_string(21)?,
        last_error: r.opt_string(22)?,
        cc: r.opt_string(23)?,
    })
}

/// Eight random bytes in hex: the part of a Message-ID that keeps two
/// installations' `dun.1.1` apart.
fn nonce_hex() -> Result<String, StoreError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| {
        StoreError::Connect(format!(
            "the operating system gave no random bytes for a Message-ID: {e}"
        ))
    })?;
    Ok(hex::encode(bytes))
}

/// Gives every message of the organisation written without a Message-ID
/// (the run's bulk insert) its own: `dun.{id}.{org}.{nonce}@dun`. Only
/// pending rows can lack one, so the status index finds them.
pub(crate) fn assign_message_ids(tx: &mut Tx<'_>, org_id: i64) -> Result<u64, StoreError> {
    let nonce = nonce_hex()?;
    tx.execute(
        "UPDATE outbox SET message_id = 'dun.' || id || '.' || org_id || '.' || CAST($2 AS TEXT) || '@dun'
         WHERE org_id = $1 AND status = 'pending' AND message_id IS NULL",
        params![org_id, nonce.as_str()],
    )
}

/// Puts one message in the outbox inside the caller's transaction and
/// returns its id. Checks that the customer (and the document) belong to
/// the organisation and that the kind has what it needs.
pub(crate) fn enqueue(
    tx: &mut Tx<'_>,
    org_id: i64,
    msg: &NewMessage,
    now: &str,
) -> Result<i64, StoreError> {
    let template = msg.template.trim();
    if template.is_empty()
        || template.len() > TEMPLATE_NAME_BYTES_MAX
        || !template
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(StoreError::Invalid(format!(
            "template name '{template}' must be 1 to {TEMPLATE_NAME_BYTES_MAX} letters, digits, '_' or '-'"
        )));
    }
    let detail = msg.detail.to_string();
    if detail.len() > DETAIL_BYTES_MAX {
        return Err(StoreError::Invalid(format!(
            "a message's detail is {} bytes; at most {DETAIL_BYTES_MAX} are accepted",
            detail.len()
        )));
    }
    match msg.kind {
        MessageKind::Invoice | MessageKind::CreditNote => {
            let Some(invoice_id) = msg.invoice_id else {
                return Err(StoreError::Invalid(format!(
                    "a message of kind {} needs the document's invoice_id",
                    msg.kind.as_str()
                )));
            };
            let owner = tx.query_opt(
                "SELECT customer_id FROM invoices WHERE org_id = $1 AND id = $2",
                params![org_id, invoice_id],
                |r| r.i64(0),
            )?;
            match owner {
                None => return Err(StoreError::not_found("invoice", format!("#{invoice_id}"))),
                Some(c) if c != msg.customer_id => {
                    return Err(StoreError::Invalid(format!(
                        "invoice #{invoice_id} belongs to customer #{c}, not #{}",
                        msg.customer_id
                    )))
                }
                Some(_) => {}
            }
        }
        MessageKind::Statement => match msg.period {
            Some((start, end)) if start <= end => {}
            Some((start, end)) => {
                return Err(StoreError::Invalid(format!(
                    "a statement's period starts {start} after it ends {end}"
                )))
            }
            None => {
                return Err(StoreError::Invalid(
                    "a message of kind statement needs its period (first and last day)".into(),
                ))
            }
        },
        MessageKind::Dunning => {}
    }
    let known = tx.query_opt(
        "SELECT id FROM customers WHERE org_id = $1 AND id = $2",
        params![org_id, msg.customer_id],
        |r| r.i64(0),
    )?;
    if known.is_none() {
        return Err(StoreError::not_found(
            "customer",
            format!("#{}", msg.customer_id),
        ));
    }
    let (start, end) = match msg.period {
        Some((s, e)) => (
            Some(i64::from(s.day_number())),
            Some(i64::from(e.day_number())),
        ),
        None => (None, None),
    };
    let nonce = nonce_hex()?;
    let id = tx
        .query_opt(
            "INSERT INTO outbox (org_id, customer_id, action_id, as_of, channels, template, detail,
                status, attempts, created_at, kind, invoice_id, period_start, period_end)
             VALUES ($1, $2, NULL, $3, '[\"email\"]', $4, $5, 'pending', 0, $6, $7, $8, $9, $10)
             RETURNING id",
            params![
                org_id,
                msg.customer_id,
                i64::from(msg.as_of.day_number()),
                template,
                detail.as_str(),
                now,
                msg.kind.as_str(),
                msg.invoice_id,
                start,
                end
            ],
            |r| r.i64(0),
        )?
        .ok_or_else(|| StoreError::Conflict("the message was not queued".into()))?;
    tx.execute(
        "UPDATE outbox SET message_id = $3 WHERE org_id = $1 AND id = $2",
        params![
            org_id,
            id,
            format!("dun.{id}.{org_id}.{nonce}@dun").as_str()
        ],
    )?;
    Ok(id)
}

impl Store {
    /// Puts one message in the outbox, in its own transaction.
    pub fn enqueue_message(&mut self, org_id: i64, msg: &NewMessage) -> Result<i64, StoreError> {
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let id = enqueue(&mut tx, org_id, msg, &now)?;
        tx.commit()?;
        Ok(id)
    }

    /// The newest messages first (a page of the outbox), only those with
    /// `status` when given.
    pub fn outbox_recent(
        &mut self,
        org_id: i64,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        self.outbox_in_order(org_id, status, limit, "DESC")
    }

    /// Messages in the outbox, oldest first; only those with `status`
    /// (one of [`STATUSES`]) when given.
    pub fn outbox(
        &mut self,
        org_id: i64,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        self.outbox_in_order(org_id, status, limit, "ASC")
    }

    fn outbox_in_order(
        &mut self,
        org_id: i64,
        status: Option<&str>,
        limit: i64,
        order: &'static str,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        if let Some(s) = status {
            if !STATUSES.contains(&s) {
                return Err(StoreError::Invalid(format!(
                    "status: '{s}' is not one of {}",
                    STATUSES.join(", ")
                )));
            }
        }
        let limit = limit.clamp(1, OUTBOX_LIMIT_MAX);
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            &format!(
                "SELECT {MESSAGE_COLUMNS}
                 FROM outbox o JOIN customers c ON c.org_id = o.org_id AND c.id = o.customer_id
                 WHERE o.org_id = $1 AND ($2 = '' OR o.status = $2)
                 ORDER BY o.id {order} LIMIT $3"
            ),
            params![org_id, status.unwrap_or(""), limit],
            message_from_row,
        )
    }

    /// One message of the outbox.
    pub fn outbox_message(&mut self, org_id: i64, id: i64) -> Result<OutboxMessage, StoreError> {
        let mut tx = self.conn().read_transaction()?;
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

    /// How many of the organisation's messages wait to be sent (pending,
    /// whenever their next attempt is).
    pub fn outbox_pending(&mut self, org_id: i64) -> Result<usize, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let n = tx.query_opt(
            "SELECT COUNT(*) FROM outbox WHERE org_id = $1 AND status = 'pending'",
            params![org_id],
            |r| r.i64(0),
        )?;
        Ok(usize::try_from(n.unwrap_or(0)).unwrap_or(0))
    }

    /// How many messages of the organisation are in each status.
    pub fn outbox_counts(&mut self, org_id: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            "SELECT status, COUNT(*) FROM outbox WHERE org_id = $1 GROUP BY status ORDER BY status",
            params![org_id],
            |r| Ok((r.string(0)?, r.i64(1)?)),
        )
    }
}
