//! Payments: receipt, allocation, refunds and reversals.

use std::collections::BTreeMap;

use dun_core::ledger::Entry;
use dun_core::money::format_minor;
use dun_core::posting::{self, AllocationRequest};
use dun_core::state::{InvoiceState, PaymentState};
use dun_core::{Currency, Date};
use serde::{Deserialize, Serialize};

use crate::customers;
use crate::db::{placeholders, Param, Tx};
use crate::entries::{self, INVOICE_HEADER};
use crate::error::StoreError;
use crate::timeline::{self, NewEntry};
use crate::{idempotency, invoices, params, Store};

/// Longest payment reference, method or note, in characters.
pub const REFERENCE_CHARS_MAX: usize = dun_core::text::PAYMENT_REFERENCE_CHARS_MAX;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPayment {
    pub customer_ref: String,
    pub currency: Currency,
    pub received_date: Date,
    pub amount_minor: i64,
    pub method: String,
    pub reference: String,
    /// Why the payment is recorded late: required when it is dated before
    /// the last applied run (whose fees and interest the next run then
    /// corrects); on the timeline with the payment.
    #[serde(default)]
    pub note: String,
}

/// How a command asks for allocation: invoice numbers rather than ids.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Allocate {
    None,
    OldestDueFirst,
    Explicit(Vec<(String, i64)>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocated {
    pub invoice_id: i64,
    pub number: String,
    pub amount_minor: i64,
}

/// What recording, allocating, refunding or reversing a payment returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentPosted {
    pub payment_id: i64,
    pub currency: Currency,
    pub amount_minor: i64,
    pub allocations: Vec<Allocated>,
    pub unallocated_minor: i64,
}

/// Why a payment's method or reference (one line), or its note (line
/// breaks allowed), is refused, or `None`: the one rule every shell asks.
pub fn payment_text_problem(field: &str, value: &str) -> Option<String> {
    if field == "note" {
        dun_core::text::note_problem(value, REFERENCE_CHARS_MAX)
    } else {
        dun_core::text::line_problem(value, REFERENCE_CHARS_MAX)
    }
}

/// A payment's columns as a file's import writes them, many rows a
/// statement (`import_row`: where it stands in the file), in this order.
pub(crate) const IMPORTED_COLUMNS: [&str; 11] = [
    "org_id",
    "customer_id",
    "currency",
    "received_date",
    "amount_minor",
    "method",
    "reference",
    "unallocated_minor",
    "status",
    "import_row",
    "created_at",
];

pub(crate) fn check_text(field: &str, value: &str) -> Result<(), StoreError> {
    match payment_text_problem(field, value) {
        Some(why) => Err(StoreError::Invalid(format!("{field}: {why}"))),
        None => Ok(()),
    }
}

/// A payment read under its customer's lock: the lock comes first, so the
/// state is what every other writer has committed.
fn locked_payment(
    tx: &mut Tx<'_>,
    org_id: i64,
    payment_id: i64,
) -> Result<PaymentState, StoreError> {
    let customer_id = entries::payment_state(tx, org_id, payment_id)?.customer_id;
    customers::lock(tx, org_id, customer_id)?;
    entries::payment_state(tx, org_id, payment_id)
}

/// The customer's invoices that still have something open.
pub(crate) fn open_invoices(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_id: i64,
) -> Result<Vec<InvoiceState>, StoreError> {
    Ok(entries::invoice_states(
        tx,
        org_id,
        "customer_id = $2 AND open_minor <> 0 AND status = 'issued'",
        params![customer_id],
    )?
    .into_values()
    .collect())
}

fn resolve(
    tx: &mut Tx<'_>,
    org_id: i64,
    allocate: &Allocate,
) -> Result<AllocationRequest, StoreError> {
    Ok(match allocate {
        Allocate::None => AllocationRequest::None,
        Allocate::OldestDueFirst => AllocationRequest::OldestDueFirst,
        Allocate::Explicit(list) => AllocationRequest::Explicit(
            list.iter()
                .map(|(number, amount)| Ok((invoices::find(tx, org_id, number)?, *amount)))
                .collect::<Result<_, StoreError>>()?,
        ),
    })
}

/// Allocations planned for a payment: the entries to post, and what they
/// allocate to which invoice.
type Plan = (Vec<Entry>, Vec<Allocated>);

fn allocated_of(planned: &[Entry], candidates: &[InvoiceState]) -> Vec<Allocated> {
    planned
        .iter()
        .map(|e| {
            let id = e.invoice_id.unwrap_or_default();
            Allocated {
                invoice_id: id,
                number: candidates
                    .iter()
                    .find(|c| c.id == id)
                    .map(|c| c.number.clone())
                    .unwrap_or_default(),
                amount_minor: -e.ar_minor,
            }
        })
        .collect()
}

/// Oldest-due-first allocation from the few invoices the payment can
/// reach, rather than every open invoice of the customer with all its
/// entries (a customer with forty open invoices made each payment read
/// hundreds of entries). The invoices are taken in the domain's order from
/// their headers alone, until their open amounts cover the payment; the
/// domain then allocates over that prefix exactly as over all of them.
/// `None` — the caller loads everything — when an invoice is split into
/// installments (its order depends on its schedule), or when the prefix did
/// not absorb the payment (an entry dated later can make less of an
/// invoice reducible than is open).
fn oldest_due_first_from_prefix(
    tx: &mut Tx<'_>,
    org_id: i64,
    payment: &PaymentState,
    date: Date,
) -> Result<Option<Plan>, StoreError> {
    // `open_minor <> 0` as written lets both engines use the partial index
    // of open invoices (which says exactly that). The whole header is read
    // here, so only the prefix's movements remain to be read.
    let mut headers = tx.query(
        &format!(
            "SELECT {INVOICE_HEADER}, open_minor, installment_count FROM invoices
             WHERE org_id = $1 AND customer_id = $2 AND currency = $3 AND open_minor <> 0
               AND open_minor > 0 AND status = 'issued'"
        ),
        params![org_id, payment.customer_id, payment.currency.code()],
        |r| Ok((entries::invoice_header(r)?, r.i64(9)?, r.i64(10)?)),
    )?;
    if headers.iter().any(|h| h.2 > 1) {
        return Ok(None);
    }
    headers.sort_by_key(|(state, _, _)| (state.due_date(), state.issue_date, state.id));
    let mut covered = 0i64;
    let mut taken = 0;
    for (_, open, _) in &headers {
        if covered >= payment.unallocated_minor {
            break;
        }
        covered = covered.saturating_add(*open);
        taken += 1;
    }
    let reaches_all = taken == headers.len();
    let mut candidates: BTreeMap<i64, InvoiceState> = headers
        .into_iter()
        .take(taken)
        .map(|(state, _, _)| (state.id, state))
        .collect();
    // (With none, the domain still judges the payment: a reversed one is refused.)
    if !candidates.is_empty() {
        let mut bound: Vec<Param<'_>> = vec![org_id.into()];
        bound.extend(candidates.keys().map(|&id| Param::from(id)));
        entries::load_movements(
            tx,
            &mut candidates,
            &format!("invoice_id IN ({})", placeholders(2, bound.len() - 1)),
            &bound,
        )?;
    }
    let candidates: Vec<InvoiceState> = candidates.into_values().collect();
    let refs: Vec<&InvoiceState> = candidates.iter().collect();
    let planned = posting::allocate(payment, &refs, &AllocationRequest::OldestDueFirst, date)?;
    let allocated: i64 = planned.iter().map(|e| -e.ar_minor).sum();
    if allocated < payment.unallocated_minor && !reaches_all {
        return Ok(None);
    }
    let allocations = allocated_of(&planned, &candidates);
    Ok(Some((planned, allocations)))
}

/// Plans the allocations of `payment` asked for by `request` in `tx`,
/// without posting them.
fn plan_allocations(
    tx: &mut Tx<'_>,
    org_id: i64,
    payment: &PaymentState,
    request: &AllocationRequest,
    date: Date,
) -> Result<Plan, StoreError> {
    if let AllocationRequest::OldestDueFirst = request {
        if let Some(plan) = oldest_due_first_from_prefix(tx, org_id, payment, date)? {
            return Ok(plan);
        }
    }
    let mut candidates = open_invoices(tx, org_id, payment.customer_id)?;
    if let AllocationRequest::Explicit(list) = request {
        // Named invoices are checked even when nothing is open on them, so
        // the refusal says why (void, paid, another customer's).
        for (id, _) in list {
            if !candidates.iter().any(|c| c.id == *id) {
                candidates.push(entries::invoice_state(tx, org_id, *id)?);
            }
        }
    }
    let refs: Vec<&InvoiceState> = candidates.iter().collect();
    let planned = posting::allocate(payment, &refs, request, date)?;
    let allocations = allocated_of(&planned, &candidates);
    Ok((planned, allocations))
}

/// A refund or reversal says why: a person reads it on the timeline.
fn check_money_reason(reason: &str) -> Result<(), StoreError> {
    if reason.trim().is_empty() {
        return Err(StoreError::Invalid(
            "reason: say why (it is kept on the customer's timeline)".into(),
        ));
    }
    Ok(crate::invoices::check_reason_chars("reason", reason)?)
}

impl Store {
    /// One payment as the ledger sees it.
    pub fn payment(&mut self, org_id: i64, payment_id: i64) -> Result<PaymentState, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        entries::payment_state(&mut tx, org_id, payment_id)
    }

    /// Records a payment and allocates it, all or nothing.
    pub fn record_payment(
        &mut self,
        org_id: i64,
        payment: &NewPayment,
        allocate: &Allocate,
        key: Option<&str>,
    ) -> Result<PaymentPosted, StoreError> {
        check_text("method", &payment.method)?;
        check_text("reference", &payment.reference)?;
        let now = self.now_utc();
        let author = self.acting();
        let tx = self.conn().transaction()?;
        idempotency::run(
            tx,
            org_id,
            key,
            "payment.record",
            &(payment, allocate),
            &now,
            |tx| {
                let customer = customers::lock_by_ref(tx, org_id, &payment.customer_ref)?;
                let request = resolve(tx, org_id, allocate)?;
                record_in(tx, org_id, customer.id, payment, &request, &now, &author)
            },
        )
    }

    /// Applies a payment's unallocated credit to invoices.
    pub fn allocate_payment(
        &mut self,
        org_id: i64,
        payment_id: i64,
        allocate: &Allocate,
        date: Date,
        key: Option<&str>,
    ) -> Result<PaymentPosted, StoreError> {
        let now = self.now_utc();
        let tx = self.conn().transaction()?;
        idempotency::run(
            tx,
            org_id,
            key,
            "payment.allocate",
            &(payment_id, allocate, date),
            &now,
            |tx| {
                let state = locked_payment(tx, org_id, payment_id)?;
                let request = resolve(tx, org_id, allocate)?;
                let (planned, allocations) = plan_allocations(tx, org_id, &state, &request, date)?;
                entries::post(tx, org_id, &planned, &now)?;
                let allocated: i64 = allocations.iter().map(|a| a.amount_minor).sum();
                Ok(PaymentPosted {
                    payment_id,
                    currency: state.currency,
                    amount_minor: state.amount_minor,
                    allocations,
                    unallocated_minor: state.unallocated_minor - allocated,
                })
            },
        )
    }

    /// Pays back unallocated credit, for `reason` (on the timeline).
    pub fn refund_payment(
        &mut self,
        org_id: i64,
        payment_id: i64,
        amount_minor: i64,
        date: Date,
        reason: &str,
        key: Option<&str>,
    ) -> Result<PaymentPosted, StoreError> {
        check_money_reason(reason)?;
        let now = self.now_utc();
        let author = self.acting();
        let tx = self.conn().transaction()?;
        idempotency::run(
            tx,
            org_id,
            key,
            "payment.refund",
            &(payment_id, amount_minor, date, reason),
            &now,
            |tx| {
                refund_in(
                    tx,
                    org_id,
                    payment_id,
                    amount_minor,
                    date,
                    reason,
                    &now,
                    &author,
                )
            },
        )
    }

    /// Reverses a payment that did not stand, for `reason` (on the
    /// timeline); its invoices are open again.
    pub fn reverse_payment(
        &mut self,
        org_id: i64,
        payment_id: i64,
        date: Date,
        reason: &str,
        key: Option<&str>,
    ) -> Result<PaymentPosted, StoreError> {
        check_money_reason(reason)?;
        let now = self.now_utc();
        let author = self.acting();
        let tx = self.conn().transaction()?;
        idempotency::run(
            tx,
            org_id,
            key,
            "payment.reverse",
            &(payment_id, date, reason),
            &now,
            |tx| reverse_in(tx, org_id, payment_id, date, reason, &now, &author),
        )
    }
}

/// Records a payment from `customer_id` and allocates it as `request`
/// says, inside the caller's transaction: the one way a payment is
/// written (typed, imported from a bank, confirmed from the queue).
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_in(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_id: i64,
    payment: &NewPayment,
    request: &AllocationRequest,
    now: &str,
    author: &str,
) -> Result<PaymentPosted, StoreError> {
    check_text("method", &payment.method)?;
    check_text("reference", &payment.reference)?;
    check_text("note", &payment.note)?;
    crate::collections::require_reason_behind_run(
        tx,
        org_id,
        "note",
        "the payment",
        payment.received_date,
        &payment.note,
    )?;
    customers::lock(tx, org_id, customer_id)?;
    // Receipt and allocations are planned before the payment's
    // row is written (under a provisional id), so the row goes
    // in with its unallocated amount final, and the entries
    // are posted together: one insert of entries, no second
    // write of the payment.
    let mut state = PaymentState {
        id: 0,
        customer_id,
        currency: payment.currency,
        received_date: payment.received_date,
        amount_minor: payment.amount_minor,
        unallocated_minor: 0,
        reversed: false,
    };
    let received = posting::receive(&state)?;
    state.apply(&received);
    let (planned, allocations) =
        plan_allocations(tx, org_id, &state, request, payment.received_date)?;
    let mut posting = Vec::with_capacity(planned.len() + 1);
    posting.push(received);
    posting.extend(planned);
    let unallocated_minor: i64 = posting.iter().map(|e| e.credit_minor).sum();
    let id = tx
    .query_opt(
        "INSERT INTO payments (org_id, customer_id, currency, received_date, amount_minor, method,
            reference, unallocated_minor, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'received', $9) RETURNING id",
        params![org_id, customer_id, payment.currency.code(), i64::from(payment.received_date.day_number()),
            payment.amount_minor, payment.method.as_str(), payment.reference.as_str(), unallocated_minor, now],
        |r| r.i64(0),
    )?
    .ok_or_else(|| StoreError::Conflict("the payment was not saved".into()))?;
    for entry in &mut posting {
        if entry.payment_id == Some(state.id) {
            entry.payment_id = Some(id);
        }
    }
    entries::post_for_new_payment(tx, org_id, &posting, now, id)?;
    // Credit left with invoices open is applied at once (as the
    // policy says), this payment's and any older.
    let mut allocations = allocations;
    let applied =
        crate::unapplied::apply(tx, org_id, customer_id, payment.received_date, now, None)?;
    for e in applied.iter().filter(|e| e.payment_id == Some(id)) {
        let invoice_id = e.invoice_id.unwrap_or_default();
        allocations.push(Allocated {
            invoice_id,
            number: invoices::number_of(tx, org_id, invoice_id)?,
            amount_minor: -e.ar_minor,
        });
    }
    let kept = payment.amount_minor - allocations.iter().map(|a| a.amount_minor).sum::<i64>();
    let summary = timeline_summary(payment, &allocations);
    let invoice_ids: Vec<i64> = allocations.iter().map(|a| a.invoice_id).collect();
    timeline::log(
        tx,
        org_id,
        now,
        &NewEntry {
            customer_id,
            on_date: payment.received_date,
            kind: "payment",
            author,
            summary: &summary,
            detail: timeline_detail(id, payment),
            invoice_ids: &invoice_ids,
        },
    )?;
    Ok(PaymentPosted {
        payment_id: id,
        currency: payment.currency,
        amount_minor: payment.amount_minor,
        allocations,
        unallocated_minor: kept,
    })
}

/// What a received payment's timeline entry says: the amount and
/// reference, what it paid, what it left as credit, and the note.
pub(crate) fn timeline_summary(payment: &NewPayment, allocations: &[Allocated]) -> String {
    let c = payment.currency;
    let allocated: i64 = allocations.iter().map(|a| a.amount_minor).sum();
    let paid: Vec<String> = allocations
        .iter()
        .map(|a| format!("{} {}", a.number, format_minor(a.amount_minor, c)))
        .collect();
    let kept = payment.amount_minor - allocated;
    let mut summary = format!(
        "Payment of {} {c} received{}",
        format_minor(payment.amount_minor, c),
        if payment.reference.is_empty() {
            String::new()
        } else {
            format!(" ({})", payment.reference)
        }
    );
    if !paid.is_empty() {
        summary.push_str(&format!(": {}", paid.join(", ")));
    }
    if kept > 0 {
        summary.push_str(&format!("; {} {c} kept as credit", format_minor(kept, c)));
    }
    if !payment.note.trim().is_empty() {
        summary.push_str(&format!(" — {}", payment.note.trim()));
    }
    summary
}

/// A received payment's timeline detail.
pub(crate) fn timeline_detail(payment_id: i64, payment: &NewPayment) -> serde_json::Value {
    serde_json::json!({
        "payment_id": payment_id,
        "amount": format_minor(payment.amount_minor, payment.currency),
        "currency": payment.currency.code(),
        "reference": payment.reference,
        "method": payment.method,
        "note": payment.note,
    })
}

/// Pays back `amount_minor` of a payment's unallocated credit inside the
/// caller's transaction, for `reason` (on the timeline): the one way a
/// refund is written (typed, or a provider's refund event).
#[allow(clippy::too_many_arguments)]
pub(crate) fn refund_in(
    tx: &mut Tx<'_>,
    org_id: i64,
    payment_id: i64,
    amount_minor: i64,
    date: Date,
    reason: &str,
    now: &str,
    author: &str,
) -> Result<PaymentPosted, StoreError> {
    check_money_reason(reason)?;
    let state = locked_payment(tx, org_id, payment_id)?;
    let entry = posting::refund(&state, amount_minor, date)?;
    entries::post(tx, org_id, &[entry], now)?;
    let c = state.currency;
    timeline::log(
        tx,
        org_id,
        now,
        &NewEntry {
            customer_id: state.customer_id,
            on_date: date,
            kind: "refund",
            author,
            summary: &format!(
                "Refund of {} {c} from payment #{payment_id}: {reason}",
                format_minor(amount_minor, c)
            ),
            detail: serde_json::json!({
                "payment_id": payment_id,
                "amount": format_minor(amount_minor, c),
                "currency": c.code(),
                "reason": reason,
            }),
            invoice_ids: &[],
        },
    )?;
    Ok(PaymentPosted {
        payment_id,
        currency: state.currency,
        amount_minor: state.amount_minor,
        allocations: Vec::new(),
        unallocated_minor: state.unallocated_minor - amount_minor,
    })
}

/// Reverses a payment inside the caller's transaction: its allocations
/// are undone, its invoices open again, the timeline says why.
#[allow(clippy::too_many_arguments)]
pub(crate) fn reverse_in(
    tx: &mut Tx<'_>,
    org_id: i64,
    payment_id: i64,
    date: Date,
    reason: &str,
    now: &str,
    author: &str,
) -> Result<PaymentPosted, StoreError> {
    check_money_reason(reason)?;
    let state = locked_payment(tx, org_id, payment_id)?;
    let history = entries::entries(tx, org_id, "payment_id = $2", params![payment_id])?;
    let allocated = dun_core::book::allocated_by(history.iter().map(|s| &s.entry), payment_id);
    let planned = posting::reverse_with_history(&state, history.iter().map(|s| &s.entry), date)?;
    entries::post(tx, org_id, &planned, now)?;
    let c = state.currency;
    let reopened: Vec<i64> = allocated.iter().map(|(id, _)| *id).collect();
    timeline::log(
        tx,
        org_id,
        now,
        &NewEntry {
            customer_id: state.customer_id,
            on_date: date,
            kind: "payment_reversed",
            author,
            summary: &format!(
                "Payment #{payment_id} of {} {c} reversed: {reason}",
                format_minor(state.amount_minor, c)
            ),
            detail: serde_json::json!({
                "payment_id": payment_id,
                "amount": format_minor(state.amount_minor, c),
                "currency": c.code(),
                "reason": reason,
            }),
            invoice_ids: &reopened,
        },
    )?;
    // The invoices it paid are open again: other credit pays them.
    crate::unapplied::apply(tx, org_id, state.customer_id, date, now, None)?;
    Ok(PaymentPosted {
        payment_id,
        currency: state.currency,
        amount_minor: state.amount_minor,
        allocations: allocated
            .iter()
            .map(|(id, amount)| Allocated {
                invoice_id: *id,
                number: String::new(),
                amount_minor: -amount,
            })
            .collect(),
        unallocated_minor: 0,
    })
}
