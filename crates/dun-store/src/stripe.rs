//! Online payment through Stripe (issue 19): the organisation's keys, the
//! PaymentIntents the portal created, and every verified event, applied
//! once.
//!
//! *Invariant:* an event is applied in the same transaction that inserts
//! its row in `stripe_events`, whose key is (organisation, event id): a
//! replayed event, or the same event delivered twice at the same time,
//! finds the row there (PostgreSQL makes the second insert wait for the
//! first's commit) and writes nothing. A PaymentIntent posts one payment
//! even if Stripe sent two different events for it. Signature checking
//! and reading Stripe's JSON are the server's; this module takes the
//! event already verified and mapped.

use dun_core::money::format_minor;
use dun_core::posting::AllocationRequest;
use dun_core::{Currency, Date};
use serde::Serialize;

use crate::db::Tx;
use crate::error::StoreError;
use crate::payments::{self, NewPayment};
use crate::timeline::{self, NewEntry};
use crate::{customers, entries, invoices, params, Store};

/// Who the timeline names as the author of what Stripe's events post.
pub const STRIPE_AUTHOR: &str = "Stripe";
/// Longest Stripe key or webhook secret accepted, in bytes.
pub const KEY_BYTES_MAX: usize = 500;
/// Longest Stripe identifier (event, PaymentIntent, charge), in bytes.
pub const ID_BYTES_MAX: usize = 255;

/// The organisation's Stripe keys. Its `Debug` never shows them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StripeKeys {
    pub secret_key: Option<String>,
    pub webhook_secret: Option<String>,
    /// `pk_…`: public by design (Stripe.js in the customer's browser
    /// is given it), so shown back.
    pub publishable_key: Option<String>,
}

impl std::fmt::Debug for StripeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeKeys")
            .field("secret_key", &set_or_not(&self.secret_key))
            .field("webhook_secret", &set_or_not(&self.webhook_secret))
            .field("publishable_key", &self.publishable_key)
            .finish()
    }
}

/// What a key shows as: "set" or "not set", never its value.
pub fn set_or_not(key: &Option<String>) -> &'static str {
    if key.is_some() {
        "set"
    } else {
        "not set"
    }
}

fn check_key(field: &str, value: &str, prefixes: &[&str]) -> Result<(), StoreError> {
    if value.len() > KEY_BYTES_MAX {
        return Err(StoreError::Invalid(format!(
            "{field}: at most {KEY_BYTES_MAX} bytes"
        )));
    }
    if !prefixes.iter().any(|p| value.starts_with(p)) || value.chars().any(char::is_whitespace) {
        return Err(StoreError::Invalid(format!(
            "{field}: not a Stripe key; it starts with {} and has no spaces (the value is not repeated here)",
            prefixes.join(" or ")
        )));
    }
    Ok(())
}

/// Checks the keys given (`None` or `""`: nothing to check), before
/// anything is written.
pub fn check_keys(
    secret_key: Option<&str>,
    webhook_secret: Option<&str>,
) -> Result<(), StoreError> {
    if let Some(k) = secret_key.map(str::trim).filter(|k| !k.is_empty()) {
        check_key("stripe_secret_key", k, &["sk_", "rk_"])?;
    }
    if let Some(k) = webhook_secret.map(str::trim).filter(|k| !k.is_empty()) {
        check_key("stripe_webhook_secret", k, &["whsec_"])?;
    }
    Ok(())
}

/// Checks a publishable key (`None` or `""`: nothing to check).
pub fn check_publishable_key(key: Option<&str>) -> Result<(), StoreError> {
    match key.map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => check_key("stripe_publishable_key", k, &["pk_"]),
        None => Ok(()),
    }
}

/// A PaymentIntent the portal created, and what it pays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredIntent {
    pub intent_id: String,
    pub idempotency_key: String,
    pub customer_id: i64,
    pub currency: Currency,
    pub amount_minor: i64,
    pub invoices: Vec<String>,
}

/// What the book knows of an intent from its events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IntentProgress {
    /// The payment it posted.
    pub payment_id: Option<i64>,
    /// Failed attempts (a declined card).
    pub failures: usize,
    /// Refunded in full since.
    pub refunded: bool,
}

/// A verified Stripe event, as the server read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StripeEvent {
    pub id: String,
    pub event_type: String,
    pub kind: StripeEventKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StripeEventKind {
    /// `payment_intent.succeeded`: money received for a PaymentIntent.
    PaymentSucceeded {
        intent_id: String,
        currency: Currency,
        amount_minor: i64,
        /// The customer reference and invoice numbers Dun put in the
        /// intent's metadata.
        customer_ref: String,
        invoices: Vec<String>,
        /// `card`, `sepa_debit`…: the payment's method in the book.
        method: String,
        received_date: Date,
    },
    /// `charge.refunded`: `refunded_minor` is the charge's whole refunded
    /// amount so far (Stripe's `amount_refunded`), not this refund's.
    Refunded {
        intent_id: String,
        charge_id: String,
        currency: Currency,
        refunded_minor: i64,
        date: Date,
    },
    /// `charge.dispute.created` (`lost: None`) or `charge.dispute.closed`
    /// (`lost: Some(..)`): the cardholder disputed the payment with their
    /// bank. Opened, a person is told; lost, the money is taken back as a
    /// refund would be; won, a person is told.
    Disputed {
        intent_id: String,
        dispute_id: String,
        currency: Currency,
        amount_minor: i64,
        reason: String,
        lost: Option<bool>,
        date: Date,
    },
    /// `payment_intent.payment_failed`: nothing is posted.
    PaymentFailed { intent_id: String, reason: String },
    /// Any other type: kept, nothing done.
    Other,
}

/// What applying an event did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum EventOutcome {
    /// A payment was posted.
    Posted { payment_id: i64 },
    /// The event was applied before: nothing was written now.
    Duplicate,
    /// Part of a payment's credit was paid back.
    Refunded { payment_id: i64 },
    /// The whole payment was refunded: it is reversed, its invoices open again.
    Reversed { payment_id: i64 },
    /// A card dispute opened or won: on the timeline, nothing posted.
    Disputed { payment_id: i64 },
    /// A failed payment: recorded, nothing posted.
    Failed,
    /// Kept, nothing to do.
    Ignored,
    /// Kept, and a person must look: the reason says why.
    Review { reason: String },
}

impl EventOutcome {
    fn status(&self) -> &'static str {
        match self {
            EventOutcome::Posted { .. } => "posted",
            EventOutcome::Duplicate => "duplicate",
            EventOutcome::Refunded { .. } => "refunded",
            EventOutcome::Reversed { .. } => "reversed",
            EventOutcome::Disputed { .. } => "disputed",
            EventOutcome::Failed => "failed",
            EventOutcome::Ignored => "ignored",
            EventOutcome::Review { .. } => "review",
        }
    }

    fn payment_id(&self) -> Option<i64> {
        match self {
            EventOutcome::Posted { payment_id }
            | EventOutcome::Refunded { payment_id }
            | EventOutcome::Reversed { payment_id }
            | EventOutcome::Disputed { payment_id } => Some(*payment_id),
            _ => None,
        }
    }
}

/// One stored event, for a person or a test to read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredEvent {
    pub event_id: String,
    pub event_type: String,
    pub intent_id: Option<String>,
    pub status: String,
    pub payment_id: Option<i64>,
    pub amount_minor: Option<i64>,
    pub detail: String,
    /// Stripe's fee and its currency (the balance's), for a posted payment.
    pub fee_minor: Option<i64>,
    pub fee_currency: Option<String>,
}

impl StripeEvent {
    fn intent_id(&self) -> Option<&str> {
        match &self.kind {
            StripeEventKind::PaymentSucceeded { intent_id, .. }
            | StripeEventKind::Refunded { intent_id, .. }
            | StripeEventKind::Disputed { intent_id, .. }
            | StripeEventKind::PaymentFailed { intent_id, .. } => Some(intent_id),
            StripeEventKind::Other => None,
        }
    }

    fn check(&self) -> Result<(), StoreError> {
        for (field, value) in [
            ("id", Some(self.id.as_str())),
            ("type", Some(self.event_type.as_str())),
            ("payment_intent", self.intent_id()),
        ] {
            if let Some(v) = value {
                if v.is_empty() || v.len() > ID_BYTES_MAX {
                    return Err(StoreError::Invalid(format!(
                        "{field}: '{}' is not a Stripe identifier (1 to {ID_BYTES_MAX} bytes)",
                        v.chars().take(40).collect::<String>()
                    )));
                }
            }
        }
        Ok(())
    }
}

impl Store {
    /// The organisation's Stripe keys.
    pub fn stripe_keys(&mut self, org_id: i64) -> Result<StripeKeys, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query_opt(
            "SELECT stripe_secret_key, stripe_webhook_secret, stripe_publishable_key
             FROM organisations WHERE id = $1",
            params![org_id],
            |r| {
                Ok(StripeKeys {
                    secret_key: r.opt_string(0)?,
                    webhook_secret: r.opt_string(1)?,
                    publishable_key: r.opt_string(2)?,
                })
            },
        )?
        .ok_or_else(|| StoreError::not_found("organisation", format!("#{org_id}")))
    }

    /// Sets the keys given: `Some("")` clears one, `None` keeps it.
    pub fn set_stripe_keys(
        &mut self,
        org_id: i64,
        secret_key: Option<&str>,
        webhook_secret: Option<&str>,
    ) -> Result<StripeKeys, StoreError> {
        self.set_stripe_settings(org_id, secret_key, webhook_secret, None)
    }

    /// Sets any of the three keys in one transaction: `Some("")` clears
    /// one, `None` keeps it. Every key given is checked first; a refusal
    /// names its field and writes nothing.
    pub fn set_stripe_settings(
        &mut self,
        org_id: i64,
        secret_key: Option<&str>,
        webhook_secret: Option<&str>,
        publishable_key: Option<&str>,
    ) -> Result<StripeKeys, StoreError> {
        let (secret_key, webhook_secret, publishable_key) = (
            secret_key.map(str::trim),
            webhook_secret.map(str::trim),
            publishable_key.map(str::trim),
        );
        check_keys(secret_key, webhook_secret)?;
        check_publishable_key(publishable_key)?;
        let given = |k: Option<&str>| k.map(|k| Some(k.to_string()).filter(|k| !k.is_empty()));
        let mut tx = self.conn().transaction()?;
        crate::orgs::lock(&mut tx, org_id)?;
        let mut keys = tx
            .query_opt(
                "SELECT stripe_secret_key, stripe_webhook_secret, stripe_publishable_key
                 FROM organisations WHERE id = $1",
                params![org_id],
                |r| {
                    Ok(StripeKeys {
                        secret_key: r.opt_string(0)?,
                        webhook_secret: r.opt_string(1)?,
                        publishable_key: r.opt_string(2)?,
                    })
                },
            )?
            .ok_or_else(|| StoreError::not_found("organisation", format!("#{org_id}")))?;
        if let Some(k) = given(secret_key) {
            keys.secret_key = k;
        }
        if let Some(k) = given(webhook_secret) {
            keys.webhook_secret = k;
        }
        if let Some(k) = given(publishable_key) {
            keys.publishable_key = k;
        }
        tx.execute(
            "UPDATE organisations SET stripe_secret_key = $2, stripe_webhook_secret = $3,
                stripe_publishable_key = $4
             WHERE id = $1",
            params![
                org_id,
                keys.secret_key.as_deref(),
                keys.webhook_secret.as_deref(),
                keys.publishable_key.as_deref()
            ],
        )?;
        tx.commit()?;
        Ok(keys)
    }

    /// Stripe's fee for a payment it posted (in the balance's currency),
    /// when Stripe has told it.
    pub fn stripe_fee_for_payment(
        &mut self,
        org_id: i64,
        payment_id: i64,
    ) -> Result<Option<(i64, Currency)>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let found = tx.query_opt(
            "SELECT fee_minor, fee_currency FROM stripe_events
             WHERE org_id = $1 AND payment_id = $2 AND status = 'posted'
               AND fee_minor IS NOT NULL AND fee_currency IS NOT NULL",
            params![org_id, payment_id],
            |r| Ok((r.i64(0)?, r.string(1)?)),
        )?;
        found
            .map(|(fee, code)| {
                Currency::parse(&code)
                    .map(|c| (fee, c))
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .transpose()
    }

    /// Sets the publishable key (`pk_…`; `""` clears it).
    pub fn set_stripe_publishable_key(
        &mut self,
        org_id: i64,
        key: &str,
    ) -> Result<StripeKeys, StoreError> {
        self.set_stripe_settings(org_id, None, None, Some(key))
    }

    /// Keeps the client secret Stripe gave an intent (what the payment
    /// page hands Stripe.js); the first kept stays.
    pub fn set_stripe_client_secret(
        &mut self,
        org_id: i64,
        intent_id: &str,
        client_secret: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.conn().transaction()?;
        tx.execute(
            "UPDATE stripe_intents SET client_secret = $3
             WHERE org_id = $1 AND intent_id = $2 AND client_secret IS NULL",
            params![org_id, intent_id, client_secret],
        )?;
        tx.commit()
    }

    /// An intent's client secret, if Stripe gave one.
    pub fn stripe_client_secret(
        &mut self,
        org_id: i64,
        intent_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        Ok(tx
            .query_opt(
                "SELECT client_secret FROM stripe_intents WHERE org_id = $1 AND intent_id = $2",
                params![org_id, intent_id],
                |r| r.opt_string(0),
            )?
            .flatten())
    }

    /// Every organisation's webhook signing secret: an event is theirs
    /// whose secret verifies its signature.
    pub fn stripe_webhook_secrets(&mut self) -> Result<Vec<(i64, String)>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            "SELECT id, stripe_webhook_secret FROM organisations
             WHERE stripe_webhook_secret IS NOT NULL ORDER BY id",
            params![],
            |r| Ok((r.i64(0)?, r.string(1)?)),
        )
    }

    /// The intent created for this idempotency key, if any.
    pub fn stripe_intent_by_key(
        &mut self,
        org_id: i64,
        key: &str,
    ) -> Result<Option<StoredIntent>, StoreError> {
        self.stripe_intent_where(org_id, "idempotency_key = $2", key)
    }

    /// An intent the portal created, by Stripe's id.
    pub fn stripe_intent(
        &mut self,
        org_id: i64,
        intent_id: &str,
    ) -> Result<Option<StoredIntent>, StoreError> {
        self.stripe_intent_where(org_id, "intent_id = $2", intent_id)
    }

    /// What became of an intent: the payment it posted, if any, and
    /// whether a payment of it failed (the latest word wins on the page).
    pub fn stripe_intent_progress(
        &mut self,
        org_id: i64,
        intent_id: &str,
    ) -> Result<IntentProgress, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let rows = tx.query(
            "SELECT status, payment_id FROM stripe_events
             WHERE org_id = $1 AND intent_id = $2 ORDER BY created_at, event_id",
            params![org_id, intent_id],
            |r| Ok((r.string(0)?, r.opt_i64(1)?)),
        )?;
        let mut progress = IntentProgress::default();
        for (status, payment_id) in rows {
            match status.as_str() {
                "posted" => progress.payment_id = payment_id,
                "failed" => progress.failures += 1,
                "reversed" => progress.refunded = true,
                _ => {}
            }
        }
        Ok(progress)
    }

    fn stripe_intent_where(
        &mut self,
        org_id: i64,
        condition: &str,
        value: &str,
    ) -> Result<Option<StoredIntent>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query_opt(
            &format!(
                "SELECT intent_id, idempotency_key, customer_id, currency, amount_minor, invoices
                 FROM stripe_intents WHERE org_id = $1 AND {condition}"
            ),
            params![org_id, value],
            |r| {
                Ok(StoredIntent {
                    intent_id: r.string(0)?,
                    idempotency_key: r.string(1)?,
                    customer_id: r.i64(2)?,
                    currency: Currency::parse(&r.string(3)?)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    amount_minor: r.i64(4)?,
                    invoices: split_numbers(&r.string(5)?),
                })
            },
        )
    }

    /// Keeps an intent the portal created (a second with the same key is
    /// the first: Stripe answered both with the same intent).
    pub fn save_stripe_intent(
        &mut self,
        org_id: i64,
        intent: &StoredIntent,
    ) -> Result<(), StoreError> {
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        tx.execute(
            "INSERT INTO stripe_intents (org_id, intent_id, idempotency_key, customer_id, currency,
                amount_minor, invoices, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            params![
                org_id,
                intent.intent_id.as_str(),
                intent.idempotency_key.as_str(),
                intent.customer_id,
                intent.currency.code(),
                intent.amount_minor,
                intent.invoices.join(",").as_str(),
                now.as_str()
            ],
        )?;
        tx.commit()
    }

    /// The events kept for the organisation, oldest first.
    pub fn stripe_events(&mut self, org_id: i64) -> Result<Vec<StoredEvent>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            "SELECT event_id, event_type, intent_id, status, payment_id, amount_minor, detail,
                fee_minor, fee_currency
             FROM stripe_events WHERE org_id = $1 ORDER BY created_at, event_id",
            params![org_id],
            |r| {
                Ok(StoredEvent {
                    event_id: r.string(0)?,
                    event_type: r.string(1)?,
                    intent_id: r.opt_string(2)?,
                    status: r.string(3)?,
                    payment_id: r.opt_i64(4)?,
                    amount_minor: r.opt_i64(5)?,
                    detail: r.string(6)?,
                    fee_minor: r.opt_i64(7)?,
                    fee_currency: r.opt_string(8)?,
                })
            },
        )
    }

    /// Records Stripe's fee beside the payment an event posted (the
    /// provider's fee is not the customer's: it is kept, not posted).
    pub fn set_stripe_fee(
        &mut self,
        org_id: i64,
        event_id: &str,
        fee_minor: i64,
        fee_currency: Currency,
    ) -> Result<(), StoreError> {
        if fee_minor < 0 {
            return Err(StoreError::Invalid(format!(
                "fee: {fee_minor} is not a fee (zero or more, in minor units)"
            )));
        }
        let mut tx = self.conn().transaction()?;
        tx.execute(
            "UPDATE stripe_events SET fee_minor = $3, fee_currency = $4
             WHERE org_id = $1 AND event_id = $2 AND status = 'posted'",
            params![org_id, event_id, fee_minor, fee_currency.code()],
        )?;
        tx.commit()
    }

    /// Applies a verified event once (see the module's invariant). A
    /// refusal of the book (an unknown customer, a currency that is not
    /// the invoices') keeps the event for review rather than failing, so
    /// Stripe does not send it again for days; a database failure writes
    /// nothing and Stripe's retry applies it later.
    pub fn apply_stripe_event(
        &mut self,
        org_id: i64,
        event: &StripeEvent,
    ) -> Result<EventOutcome, StoreError> {
        event.check()?;
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        if !claim(&mut tx, org_id, event, &now)? {
            return Ok(EventOutcome::Duplicate);
        }
        match apply(&mut tx, org_id, event, &now) {
            Ok((outcome, amount)) => {
                finish(&mut tx, org_id, event, &outcome, amount)?;
                tx.commit()?;
                Ok(outcome)
            }
            Err(
                e @ (StoreError::NotFound { .. }
                | StoreError::Invalid(_)
                | StoreError::Conflict(_)
                | StoreError::Refused(_)
                | StoreError::Posting(_)),
            ) => {
                drop(tx);
                let reason = e.to_string();
                let mut tx = self.conn().transaction()?;
                if !claim(&mut tx, org_id, event, &now)? {
                    return Ok(EventOutcome::Duplicate);
                }
                let outcome = EventOutcome::Review { reason };
                finish(&mut tx, org_id, event, &outcome, None)?;
                tx.commit()?;
                Ok(outcome)
            }
            Err(e) => Err(e),
        }
    }
}

fn split_numbers(joined: &str) -> Vec<String> {
    joined
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect()
}

/// Inserts the event's row; false when it is there already.
fn claim(tx: &mut Tx<'_>, org_id: i64, event: &StripeEvent, now: &str) -> Result<bool, StoreError> {
    let inserted = tx.query_opt(
        "INSERT INTO stripe_events (org_id, event_id, event_type, intent_id, status, detail, created_at)
         VALUES ($1, $2, $3, $4, 'received', '', $5)
         ON CONFLICT (org_id, event_id) DO NOTHING RETURNING event_id",
        params![org_id, event.id.as_str(), event.event_type.as_str(), event.intent_id(), now],
        |r| r.string(0),
    )?;
    Ok(inserted.is_some())
}

fn finish(
    tx: &mut Tx<'_>,
    org_id: i64,
    event: &StripeEvent,
    outcome: &EventOutcome,
    amount_minor: Option<i64>,
) -> Result<(), StoreError> {
    let detail = match outcome {
        EventOutcome::Review { reason } => reason.clone(),
        _ => String::new(),
    };
    tx.execute(
        "UPDATE stripe_events SET status = $3, payment_id = $4, amount_minor = $5, detail = $6
         WHERE org_id = $1 AND event_id = $2",
        params![
            org_id,
            event.id.as_str(),
            outcome.status(),
            outcome.payment_id(),
            amount_minor,
            detail.as_str()
        ],
    )?;
    Ok(())
}

/// Whether this organisation's portal created the intent (a refund or
/// dispute of any other is another system's business).
fn made_here(tx: &mut Tx<'_>, org_id: i64, intent_id: &str) -> Result<bool, StoreError> {
    Ok(tx
        .query_opt(
            "SELECT intent_id FROM stripe_intents WHERE org_id = $1 AND intent_id = $2",
            params![org_id, intent_id],
            |r| r.string(0),
        )?
        .is_some())
}

/// The payment an intent posted, if any.
fn posted_for(tx: &mut Tx<'_>, org_id: i64, intent_id: &str) -> Result<Option<i64>, StoreError> {
    tx.query_opt(
        "SELECT payment_id FROM stripe_events
         WHERE org_id = $1 AND intent_id = $2 AND status = 'posted' AND payment_id IS NOT NULL",
        params![org_id, intent_id],
        |r| r.i64(0),
    )
}

fn apply(
    tx: &mut Tx<'_>,
    org_id: i64,
    event: &StripeEvent,
    now: &str,
) -> Result<(EventOutcome, Option<i64>), StoreError> {
    match &event.kind {
        StripeEventKind::PaymentSucceeded {
            intent_id,
            currency,
            amount_minor,
            customer_ref,
            invoices: numbers,
            method,
            received_date,
        } => {
            let customer = customers::lock_by_ref(tx, org_id, customer_ref)?;
            // Under the customer's lock: a second event for the same
            // intent (not the same event) waits here, then finds it posted.
            if posted_for(tx, org_id, intent_id)?.is_some() {
                return Ok((EventOutcome::Ignored, None));
            }
            if *amount_minor <= 0 {
                return Err(StoreError::Invalid(format!(
                    "amount: {amount_minor} is not a payment (more than zero, in minor units)"
                )));
            }
            let mut named = Vec::new();
            for number in numbers {
                let Ok(id) = invoices::find(tx, org_id, number) else {
                    continue;
                };
                let state = entries::invoice_state(tx, org_id, id)?;
                let open = if state.customer_id == customer.id
                    && state.currency == *currency
                    && state.status == dun_core::invoice::DocumentStatus::Issued
                {
                    state.open_minor()
                } else {
                    0
                };
                named.push((id, open));
            }
            let split = dun_core::online::split_among(*amount_minor, &named);
            let request = if split.is_empty() {
                AllocationRequest::None
            } else {
                AllocationRequest::Explicit(split)
            };
            // Money dated before a run already applied needs a reason: a
            // late delivery of Stripe's event is one, said on the timeline.
            let note = match crate::collections::last_applied_run(tx, org_id)? {
                Some(run) if *received_date < run => format!(
                    "paid online on {received_date}; Stripe's event arrived after the run of {run}"
                ),
                _ => String::new(),
            };
            let payment = NewPayment {
                customer_ref: customer.reference.clone(),
                currency: *currency,
                received_date: *received_date,
                amount_minor: *amount_minor,
                method: method.clone(),
                reference: intent_id.clone(),
                note,
            };
            let posted = match payments::record_in(
                tx,
                org_id,
                customer.id,
                &payment,
                &request,
                now,
                STRIPE_AUTHOR,
            ) {
                // The allocation is refused (an invoice moved after the day
                // the money came, e.g. a late delivery): the money is still
                // received, as credit, which the policy then applies. The
                // refusal comes from planning, before anything is written.
                Err(StoreError::Posting(_)) if request != AllocationRequest::None => {
                    payments::record_in(
                        tx,
                        org_id,
                        customer.id,
                        &payment,
                        &AllocationRequest::None,
                        now,
                        STRIPE_AUTHOR,
                    )?
                }
                other => other?,
            };
            Ok((
                EventOutcome::Posted {
                    payment_id: posted.payment_id,
                },
                Some(*amount_minor),
            ))
        }
        StripeEventKind::Refunded {
            intent_id,
            charge_id,
            currency,
            refunded_minor,
            date,
        } => {
            let Some(payment_id) = posted_for(tx, org_id, intent_id)? else {
                if !made_here(tx, org_id, intent_id)? {
                    // Another system's charge on the same Stripe account.
                    return Ok((EventOutcome::Ignored, None));
                }
                return Err(StoreError::Invalid(format!(
                    "payment_intent: Dun posted no payment for {intent_id}; refund it by hand if it was recorded otherwise"
                )));
            };
            let state = entries::payment_state(tx, org_id, payment_id)?;
            customers::lock(tx, org_id, state.customer_id)?;
            if state.currency != *currency {
                return Err(StoreError::Invalid(format!(
                    "currency: the refund is in {currency}, payment #{payment_id} in {}",
                    state.currency
                )));
            }
            let before: i64 = tx
                .query_opt(
                    "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM stripe_events
                     WHERE org_id = $1 AND intent_id = $2 AND status IN ('refunded', 'reversed')",
                    params![org_id, intent_id.as_str()],
                    |r| r.i64(0),
                )?
                .unwrap_or(0);
            let now_refunded = refunded_minor - before;
            if now_refunded <= 0 || state.reversed {
                return Ok((EventOutcome::Ignored, None));
            }
            let c = state.currency;
            take_back(
                tx,
                org_id,
                &state,
                now_refunded,
                before == 0,
                *date,
                &format!(
                    "refunded in full through Stripe (charge {charge_id}, {} {c})",
                    format_minor(now_refunded, c)
                ),
                &format!("refunded through Stripe (charge {charge_id})"),
                &format!(
                    "Stripe refunded {} {c} of payment #{} (charge {charge_id})",
                    format_minor(now_refunded, c),
                    state.id
                ),
                now,
            )
        }
        StripeEventKind::Disputed {
            intent_id,
            dispute_id,
            currency,
            amount_minor,
            reason,
            lost,
            date,
        } => {
            let Some(payment_id) = posted_for(tx, org_id, intent_id)? else {
                if !made_here(tx, org_id, intent_id)? {
                    return Ok((EventOutcome::Ignored, None));
                }
                return Err(StoreError::Invalid(format!(
                    "payment_intent: Dun posted no payment for {intent_id}; the dispute {dispute_id} is for a person"
                )));
            };
            let state = entries::payment_state(tx, org_id, payment_id)?;
            customers::lock(tx, org_id, state.customer_id)?;
            if state.currency != *currency {
                return Err(StoreError::Invalid(format!(
                    "currency: the dispute is in {currency}, payment #{payment_id} in {}",
                    state.currency
                )));
            }
            let c = state.currency;
            let amount = format_minor(*amount_minor, c);
            if *lost == Some(true) {
                if state.reversed {
                    return Ok((EventOutcome::Ignored, None));
                }
                return take_back(
                    tx,
                    org_id,
                    &state,
                    *amount_minor,
                    true,
                    *date,
                    &format!("card dispute {dispute_id} lost at Stripe ({reason}, {amount} {c})"),
                    &format!("card dispute {dispute_id} lost at Stripe ({reason})"),
                    &format!("The card dispute {dispute_id} of payment #{payment_id} was lost ({amount} {c}, {reason})"),
                    now,
                );
            }
            let summary = match lost {
                None => format!(
                    "The customer disputed card payment #{payment_id} with their bank ({amount} {c}, {reason}): answer it in Stripe's dashboard (dispute {dispute_id})"
                ),
                _ => format!("The card dispute {dispute_id} of payment #{payment_id} was closed in your favour"),
            };
            timeline::log(
                tx,
                org_id,
                now,
                &NewEntry {
                    customer_id: state.customer_id,
                    on_date: *date,
                    kind: "card_dispute",
                    author: STRIPE_AUTHOR,
                    summary: &summary,
                    detail: serde_json::json!({
                        "payment_id": payment_id,
                        "dispute": dispute_id,
                        "amount": amount,
                        "currency": c.code(),
                        "reason": reason,
                        "closed": lost.is_some(),
                    }),
                    invoice_ids: &[],
                },
            )?;
            Ok((EventOutcome::Disputed { payment_id }, None))
        }
        StripeEventKind::PaymentFailed { .. } => Ok((EventOutcome::Failed, None)),
        StripeEventKind::Other => Ok((EventOutcome::Ignored, None)),
    }
}

/// Takes `amount_minor` of a payment back (a refund, a lost dispute): all
/// of it, the first time, reverses the payment (its invoices open again);
/// a part its unallocated credit covers is refunded from it; more than
/// that is left to a person, on the timeline.
#[allow(clippy::too_many_arguments)]
fn take_back(
    tx: &mut Tx<'_>,
    org_id: i64,
    state: &dun_core::state::PaymentState,
    amount_minor: i64,
    first: bool,
    date: Date,
    all_reason: &str,
    part_reason: &str,
    what: &str,
    now: &str,
) -> Result<(EventOutcome, Option<i64>), StoreError> {
    let payment_id = state.id;
    if first && amount_minor >= state.amount_minor {
        payments::reverse_in(tx, org_id, payment_id, date, all_reason, now, STRIPE_AUTHOR)?;
        return Ok((EventOutcome::Reversed { payment_id }, Some(amount_minor)));
    }
    if amount_minor <= state.unallocated_minor {
        payments::refund_in(
            tx,
            org_id,
            payment_id,
            amount_minor,
            date,
            part_reason,
            now,
            STRIPE_AUTHOR,
        )?;
        return Ok((EventOutcome::Refunded { payment_id }, Some(amount_minor)));
    }
    let c = state.currency;
    let reason = format!(
        "{what}, more than its unallocated credit of {} {c}: take the allocations back and refund by hand",
        format_minor(state.unallocated_minor, c)
    );
    timeline::log(
        tx,
        org_id,
        now,
        &NewEntry {
            customer_id: state.customer_id,
            on_date: date,
            kind: "refund",
            author: STRIPE_AUTHOR,
            summary: &reason,
            detail: serde_json::json!({
                "payment_id": payment_id,
                "amount": format_minor(amount_minor, c),
                "currency": c.code(),
                "review": true,
            }),
            invoice_ids: &[],
        },
    )?;
    Ok((EventOutcome::Review { reason }, None))
}
