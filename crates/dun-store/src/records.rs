//! What people record about a customer: calls, notes, replies, promises to
//! pay and disputes. Each is a row where the run needs one (promises,
//! disputes) and always an entry on the customer's timeline, written in the
//! same transaction, with its author.
//!
//! *Invariant:* a refused record writes nothing: every check runs before
//! the first write, and every command is one transaction.

use dun_core::money::{format_minor, AMOUNT_MINOR_MAX};
use dun_core::state::InvoiceState;
use dun_core::{Currency, Date};
use serde::{Deserialize, Serialize};

use crate::customers::{self, Customer};
use crate::db::{Param, Tx};
use crate::error::StoreError;
use crate::invoices;
use crate::timeline::{self, NewEntry};
use crate::{entries, idempotency, params, Store};

/// Longest author name (a person, or `policy vN · rule`), in characters.
pub const AUTHOR_CHARS_MAX: usize = dun_core::text::NAME_CHARS_MAX;
/// Longest note, call summary or outcome a person writes, in characters.
pub const NOTE_CHARS_MAX: usize = dun_core::text::NOTE_CHARS_MAX;
/// Most invoices one record may name.
pub const RECORD_INVOICES_MAX: usize = 500;
/// Most records one list returns.
pub const RECORDS_LIST_MAX: i64 = 10_000;

// ---------------------------------------------------------------------------
// Shared by the record-keeping modules

pub(crate) fn check_author(author: &str) -> Result<&str, StoreError> {
    let author = author.trim();
    if let Some(why) = dun_core::text::identifier_problem(author, AUTHOR_CHARS_MAX) {
        return Err(StoreError::Invalid(format!(
            "author: {why} (who is recording this?)"
        )));
    }
    Ok(author)
}

/// `text` trimmed, required, at most `max` characters and holding no
/// control character but line breaks and tabs.
pub(crate) fn check_text<'a>(
    field: &str,
    text: &'a str,
    max: usize,
) -> Result<&'a str, StoreError> {
    // Counted as sent, spaces around it too (the API's document says so).
    if let Some(why) = dun_core::text::note_problem(text, max) {
        return Err(StoreError::Invalid(format!("{field}: {why}")));
    }
    let text = text.trim();
    if text.is_empty() {
        return Err(StoreError::Invalid(format!(
            "{field}: required, 1 to {max} characters"
        )));
    }
    Ok(text)
}

/// A customer by reference, locked for the rest of the transaction.
pub(crate) fn locked_customer(
    tx: &mut Tx<'_>,
    org_id: i64,
    reference: &str,
) -> Result<Customer, StoreError> {
    let customer = customers::by_ref(tx, org_id, reference.trim())?;
    customers::lock(tx, org_id, customer.id)?;
    Ok(customer)
}

pub(crate) fn check_amount(field: &str, amount_minor: i64) -> Result<(), StoreError> {
    if amount_minor <= 0 || amount_minor > AMOUNT_MINOR_MAX {
        return Err(StoreError::Invalid(format!(
            "{field} must be positive and at most {AMOUNT_MINOR_MAX} minor units (got {amount_minor})"
        )));
    }
    Ok(())
}

/// What the invoices named in a record must be.
pub(crate) struct InvoiceRule {
    /// Issued, not void, something open.
    pub open: bool,
    pub currency: Option<Currency>,
}

/// The invoices `numbers` of `customer`, read with their movements, each
/// checked against `rule`. An unknown number, another customer's invoice,
/// another currency or a repeat is refused by name.
pub(crate) fn customer_invoices(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer: &Customer,
    numbers: &[String],
    rule: &InvoiceRule,
) -> Result<Vec<InvoiceState>, StoreError> {
    if numbers.len() > RECORD_INVOICES_MAX {
        return Err(StoreError::Invalid(format!(
            "{} invoices named; at most {RECORD_INVOICES_MAX} are accepted",
            numbers.len()
        )));
    }
    let mut states: Vec<InvoiceState> = Vec::with_capacity(numbers.len());
    for number in numbers {
        let id = invoices::find(tx, org_id, number.trim())?;
        let state = entries::invoice_state(tx, org_id, id)?;
        if states.iter().any(|s| s.id == id) {
            return Err(StoreError::Invalid(format!(
                "invoice {number} is named twice"
            )));
        }
        if state.customer_id != customer.id {
            return Err(StoreError::Invalid(format!(
                "invoice {} is not {}'s",
                state.number, customer.reference
            )));
        }
        if let Some(currency) = rule.currency {
            if state.currency != currency {
                return Err(StoreError::Invalid(format!(
                    "invoice {} is in {}, not {currency}",
                    state.number, state.currency
                )));
            }
        }
        if rule.open {
            check_open(&state)?;
        }
        states.push(state);
    }
    Ok(states)
}

/// Refuses a draft, a void invoice or one with nothing open.
pub(crate) fn check_open(state: &InvoiceState) -> Result<(), StoreError> {
    use dun_core::invoice::DocumentStatus;
    match state.status {
        DocumentStatus::Draft => Err(StoreError::Conflict(format!(
            "invoice {} is a draft; it is not owed yet",
            state.number
        ))),
        DocumentStatus::Void => Err(StoreError::Conflict(format!(
            "invoice {} is void",
            state.number
        ))),
        _ if state.open_minor() <= 0 => Err(StoreError::Conflict(format!(
            "invoice {} is paid; nothing is open on it",
            state.number
        ))),
        _ => Ok(()),
    }
}

pub(crate) fn ids_json(ids: &[i64]) -> String {
    serde_json::to_string(ids).expect("ids serialize")
}

/// The numbers of invoices by id, for display.
pub(crate) fn numbers_of(
    tx: &mut Tx<'_>,
    org_id: i64,
    ids: &[i64],
) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let number = tx
            .query_opt(
                "SELECT number FROM invoices WHERE org_id = $1 AND id = $2",
                params![org_id, *id],
                |r| r.opt_string(0),
            )?
            .flatten()
            .unwrap_or_else(|| format!("#{id}"));
        out.push(number);
    }
    Ok(out)
}

fn day(v: Option<i64>) -> Option<Date> {
    v.map(|d| Date::from_day_number(d as i32))
}

fn on_list(numbers: &[String]) -> String {
    if numbers.is_empty() {
        String::new()
    } else {
        format!(" ({})", numbers.join(", "))
    }
}

// ---------------------------------------------------------------------------
// Promises to pay

/// A promise to pay, as a person records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPromise {
    pub customer_ref: String,
    pub currency: Currency,
    pub amount_minor: i64,
    pub promised_date: Date,
    /// Invoice numbers it covers; empty: all the customer's open ones in `currency`.
    pub invoices: Vec<String>,
    pub made_on: Date,
    pub author: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromiseRecord {
    pub id: i64,
    pub customer_id: i64,
    pub customer_ref: String,
    pub currency: Currency,
    pub amount_minor: i64,
    pub made_on: Date,
    pub promised_date: Date,
    /// Empty: every open invoice of the customer in the currency.
    pub invoice_ids: Vec<i64>,
    pub invoices: Vec<String>,
    /// `active`, `kept` or `broken` (the run settles it from payments).
    pub status: String,
    pub settled_on: Option<Date>,
}

/// Checks and writes a promise for a customer already locked.
pub(crate) fn insert_promise(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer: &Customer,
    promise: &NewPromise,
    author: &str,
    now: &str,
) -> Result<PromiseRecord, StoreError> {
    check_amount("the promised amount", promise.amount_minor)?;
    if promise.promised_date < promise.made_on {
        return Err(StoreError::Invalid(format!(
            "the promised date {} is before the day the promise was made ({})",
            promise.promised_date, promise.made_on
        )));
    }
    let c = promise.currency;
    let states = customer_invoices(
        tx,
        org_id,
        customer,
        &promise.invoices,
        &InvoiceRule {
            open: true,
            currency: Some(c),
        },
    )?;
    if states.is_empty() && crate::credit_file::open_in(tx, org_id, customer.id, c)? <= 0 {
        return Err(StoreError::Conflict(format!(
            "{} owes nothing in {c}; a promise covers open invoices",
            customer.reference
        )));
    }
    let ids: Vec<i64> = states.iter().map(|s| s.id).collect();
    let numbers: Vec<String> = states.iter().map(|s| s.number.clone()).collect();
    let id = tx
        .query_opt(
            "INSERT INTO promises (org_id, customer_id, currency, amount_minor, made_on, promised_date,
                invoice_ids, status, settled_on, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', NULL, $8) RETURNING id",
            params![
                org_id,
                customer.id,
                c.code(),
                promise.amount_minor,
                i64::from(promise.made_on.day_number()),
                i64::from(promise.promised_date.day_number()),
                ids_json(&ids).as_str(),
                now
            ],
            |r| r.i64(0),
        )?
        .ok_or_else(|| StoreError::Conflict("the promise was not saved".into()))?;
    let summary = format!(
        "Promised {} {c} by {}{}",
        format_minor(promise.amount_minor, c),
        promise.promised_date,
        on_list(&numbers)
    );
    timeline::log(
        tx,
        org_id,
        now,
        &NewEntry {
            customer_id: customer.id,
            on_date: promise.made_on,
            kind: "promise",
            author,
            summary: &summary,
            detail: serde_json::json!({
                "promise_id": id,
                "currency": c,
                "amount_minor": promise.amount_minor,
                "promised_date": promise.promised_date,
            }),
            invoice_ids: &ids,
        },
    )?;
    Ok(PromiseRecord {
        id,
        customer_id: customer.id,
        customer_ref: customer.reference.clone(),
        currency: c,
        amount_minor: promise.amount_minor,
        made_on: promise.made_on,
        promised_date: promise.promised_date,
        invoice_ids: ids,
        invoices: numbers,
        status: "active".into(),
        settled_on: None,
    })
}

fn promises_where(
    tx: &mut Tx<'_>,
    org_id: i64,
    condition: &str,
    more: &[Param<'_>],
) -> Result<Vec<PromiseRecord>, StoreError> {
    let mut all: Vec<Param<'_>> = vec![org_id.into(), RECORDS_LIST_MAX.into()];
    all.extend_from_slice(more);
    let mut rows = tx.query(
        &format!(
            "SELECT p.id, p.customer_id, c.ref, p.currency, p.amount_minor, p.made_on, p.promised_date,
                p.invoice_ids, p.status, p.settled_on
             FROM promises p JOIN customers c ON c.id = p.customer_id AND c.org_id = p.org_id
             WHERE p.org_id = $1 AND {condition} ORDER BY p.id DESC LIMIT $2"
        ),
        &all,
        |r| {
            Ok(PromiseRecord {
                id: r.i64(0)?,
                customer_id: r.i64(1)?,
                customer_ref: r.string(2)?,
                currency: entries::currency(&r.string(3)?)?,
                amount_minor: r.i64(4)?,
                made_on: Date::from_day_number(r.i64(5)? as i32),
                promised_date: Date::from_day_number(r.i64(6)? as i32),
                invoice_ids: serde_json::from_str(&r.string(7)?)?,
                invoices: Vec::new(),
                status: r.string(8)?,
                settled_on: day(r.opt_i64(9)?),
            })
        },
    )?;
    for p in &mut rows {
        p.invoices = numbers_of(tx, org_id, &p.invoice_ids)?;
    }
    Ok(rows)
}

// ---------------------------------------------------------------------------
// Calls, notes, replies

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    /// A call made or taken.
    Call,
    /// An internal note.
    Note,
    /// What the customer wrote or said back.
    Reply,
}

impl ContactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Call => "call",
            ContactKind::Note => "note",
            ContactKind::Reply => "reply",
        }
    }
}

/// A promise made during a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromisedPayment {
    pub amount_minor: i64,
    pub currency: Currency,
    pub promised_date: Date,
}

/// A call, note or reply to log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewContact {
    pub customer_ref: String,
    pub kind: ContactKind,
    /// The note's text; for a call, what was said (may be empty).
    pub summary: String,
    /// A call's outcome (`left voicemail`, `will pay Friday`); required for a call.
    pub outcome: Option<String>,
    pub on: Date,
    pub author: String,
    /// Invoices it concerns.
    pub invoices: Vec<String>,
    /// A promise made on the call, recorded with it.
    pub promise: Option<PromisedPayment>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRecord {
    pub timeline_id: i64,
    pub customer_ref: String,
    pub promise: Option<PromiseRecord>,
}

impl Store {
    /// Records a promise to pay. Logged as `promise`.
    pub fn add_promise(
        &mut self,
        org_id: i64,
        promise: &NewPromise,
        key: Option<&str>,
    ) -> Result<PromiseRecord, StoreError> {
        let author = check_author(&promise.author)?.to_string();
        let now = self.now_utc();
        let tx = self.conn().transaction()?;
        idempotency::run(tx, org_id, key, "promise.add", promise, &now, |tx| {
            let customer = locked_customer(tx, org_id, &promise.customer_ref)?;
            insert_promise(tx, org_id, &customer, promise, &author, &now)
        })
    }

    /// The currency of a record about `invoices` (a promise, a plan's
    /// installments) when none is given: the first named invoice's, else the
    /// organisation's. The one rule for every shell, which reads it to parse
    /// the amounts; the command checks the invoices against it again under
    /// its lock.
    pub fn default_currency(
        &mut self,
        org_id: i64,
        invoices: &[String],
    ) -> Result<Currency, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let code = match invoices.first() {
            Some(number) => {
                let id = invoices::find(&mut tx, org_id, number)?;
                tx.query_opt(
                    "SELECT currency FROM invoices WHERE org_id = $1 AND id = $2",
                    params![org_id, id],
                    |r| r.string(0),
                )?
                .ok_or_else(|| StoreError::not_found("invoice", number))?
            }
            None => tx
                .query_opt(
                    "SELECT currency FROM organisations WHERE id = $1",
                    params![org_id],
                    |r| r.string(0),
                )?
                .ok_or_else(|| StoreError::not_found("organisation", format!("#{org_id}")))?,
        };
        tx.commit()?;
        entries::currency(&code)
    }

    /// Promises of one customer or of all, newest first.
    pub fn promises(
        &mut self,
        org_id: i64,
        customer_ref: Option<&str>,
    ) -> Result<Vec<PromiseRecord>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        match customer_ref {
            Some(reference) => {
                let customer = customers::by_ref(&mut tx, org_id, reference)?;
                promises_where(&mut tx, org_id, "p.customer_id = $3", params![customer.id])
            }
            None => promises_where(&mut tx, org_id, "1 = 1", &[]),
        }
    }

    /// Logs a call, note or reply on the customer's timeline; a promise
    /// made on a call is recorded with it, in the same transaction.
    pub fn log_contact(
        &mut self,
        org_id: i64,
        contact: &NewContact,
    ) -> Result<ContactRecord, StoreError> {
        let author = check_author(&contact.author)?;
        if let Some(why) = dun_core::text::note_problem(&contact.summary, NOTE_CHARS_MAX) {
            return Err(StoreError::Invalid(format!("summary: {why}")));
        }
        let summary = contact.summary.trim();
        let outcome = contact
            .outcome
            .as_deref()
            .map(|o| check_text("outcome", o, NOTE_CHARS_MAX))
            .transpose()?;
        let line = match (contact.kind, outcome) {
            (ContactKind::Call, None) => {
                return Err(StoreError::Invalid(
                    "outcome: a call needs its outcome, e.g. \"left voicemail\"".into(),
                ))
            }
            (ContactKind::Call, Some(outcome)) if summary.is_empty() => format!("Call: {outcome}"),
            (ContactKind::Call, Some(outcome)) => format!("Call: {outcome} — {summary}"),
            (_, Some(_)) => {
                return Err(StoreError::Invalid(
                    "only a call has an outcome; write it in the text".into(),
                ))
            }
            (kind, None) => {
                check_text("summary", summary, NOTE_CHARS_MAX)?;
                match kind {
                    ContactKind::Reply => format!("Reply: {summary}"),
                    _ => summary.to_string(),
                }
            }
        };
        if contact.promise.is_some() && contact.kind != ContactKind::Call {
            return Err(StoreError::Invalid(
                "promise: a promise is made on a call; log the call with its promise, or the promise on its own"
                    .into(),
            ));
        }
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let customer = locked_customer(&mut tx, org_id, &contact.customer_ref)?;
        let states = customer_invoices(
            &mut tx,
            org_id,
            &customer,
            &contact.invoices,
            &InvoiceRule {
                open: false,
                currency: None,
            },
        )?;
        let ids: Vec<i64> = states.iter().map(|s| s.id).collect();
        let timeline_id = timeline::log(
            &mut tx,
            org_id,
            &now,
            &NewEntry {
                customer_id: customer.id,
                on_date: contact.on,
                kind: contact.kind.as_str(),
                author,
                summary: &line,
                detail: serde_json::json!({
                    "text": summary,
                    "outcome": outcome,
                    "promise": contact.promise,
                }),
                invoice_ids: &ids,
            },
        )?;
        let promise = match contact.promise {
            Some(p) => Some(insert_promise(
                &mut tx,
                org_id,
                &customer,
                &NewPromise {
                    customer_ref: customer.reference.clone(),
                    currency: p.currency,
                    amount_minor: p.amount_minor,
                    promised_date: p.promised_date,
                    invoices: contact.invoices.clone(),
                    made_on: contact.on,
                    author: author.to_string(),
                },
                author,
                &now,
            )?),
            None => None,
        };
        tx.commit()?;
        Ok(ContactRecord {
            timeline_id,
            customer_ref: customer.reference,
            promise,
        })
    }
}
