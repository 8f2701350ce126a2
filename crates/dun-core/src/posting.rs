//! Decisions that turn a command into ledger entries, or refuse it.
//!
//! Each function takes the current state and returns the entries to append;
//! it never changes anything itself. Storage loads the state, calls these,
//! and writes what they return in one transaction; the in-memory [`Book`]
//! does the same. So the rules live here once.
//!
//! [`Book`]: crate::book::Book

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::invoice::DocumentStatus;
use crate::ledger::{Entry, EntryKind};
use crate::money::{format_minor, AMOUNT_MINOR_MAX};
use crate::state::{InvoiceState, PaymentState};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostingError {
    #[error("amount must be positive and at most {AMOUNT_MINOR_MAX} minor units (got {0})")]
    Amount(i64),
    #[error("invoice {0} is a draft; issue it first")]
    NotIssued(String),
    #[error("invoice {0} is void")]
    Void(String),
    #[error("invoice {number} has {open} open on {date}; {amount} cannot be taken off it")]
    ExceedsOpen {
        number: String,
        amount: String,
        open: String,
        date: Date,
    },
    #[error("payment {payment_id} has {unallocated} unallocated; {amount} cannot be applied or refunded from it")]
    ExceedsUnallocated {
        payment_id: i64,
        amount: String,
        unallocated: String,
    },
    #[error("invoice {number} is in {invoice}, the payment in {payment}; amounts of different currencies never mix")]
    CurrencyMismatch {
        number: String,
        invoice: String,
        payment: String,
    },
    #[error("invoice {0} belongs to another customer than the payment")]
    CustomerMismatch(String),
    #[error("{what} dated {date} would precede {since} ({reason})")]
    TooEarly {
        what: &'static str,
        date: Date,
        since: Date,
        reason: &'static str,
    },
    #[error("invoice {0} has payments, credit notes or write-offs on it; reverse those first, or issue a credit note instead of voiding")]
    HasSettlements(String),
    #[error("payment {0} has been reversed")]
    PaymentReversed(i64),
}

impl PostingError {
    /// Whether the book as it stands refuses the posting (a draft, a void
    /// invoice, what is open or unallocated, a reversed payment, a closed
    /// period…) rather than the amount as written: the same request may
    /// succeed once the book changes.
    pub fn concerns_book_state(&self) -> bool {
        !matches!(self, PostingError::Amount(_))
    }
}

fn check_amount(amount_minor: i64) -> Result<(), PostingError> {
    if amount_minor <= 0 || amount_minor > AMOUNT_MINOR_MAX {
        return Err(PostingError::Amount(amount_minor));
    }
    Ok(())
}

fn entry(
    kind: EntryKind,
    date: Date,
    ar_minor: i64,
    credit_minor: i64,
) -> impl Fn(i64, crate::Currency) -> Entry {
    move |customer_id, currency| Entry {
        customer_id,
        currency,
        kind,
        invoice_id: None,
        payment_id: None,
        document_id: None,
        effective_date: date,
        ar_minor,
        credit_minor,
    }
}

fn invoice_entry(invoice: &InvoiceState, kind: EntryKind, date: Date, ar_minor: i64) -> Entry {
    Entry {
        invoice_id: Some(invoice.id),
        ..entry(kind, date, ar_minor, 0)(invoice.customer_id, invoice.currency)
    }
}

fn require_issued(invoice: &InvoiceState) -> Result<(), PostingError> {
    match invoice.status {
        DocumentStatus::Draft => Err(PostingError::NotIssued(invoice.number.clone())),
        DocumentStatus::Void => Err(PostingError::Void(invoice.number.clone())),
        DocumentStatus::Issued => Ok(()),
    }
}

fn require_not_before(
    what: &'static str,
    date: Date,
    since: Date,
    reason: &'static str,
) -> Result<(), PostingError> {
    if date < since {
        return Err(PostingError::TooEarly {
            what,
            date,
            since,
            reason,
        });
    }
    Ok(())
}

/// Checks that `amount_minor` may come off `invoice` with effect from
/// `date`, on top of `already_minor` planned against it by the same command
/// (with effect from the same date) and not yet on the invoice.
fn require_reducible(
    invoice: &InvoiceState,
    amount_minor: i64,
    date: Date,
    already_minor: i64,
) -> Result<(), PostingError> {
    let open = invoice.reducible_on(date) - already_minor;
    if amount_minor > open {
        return Err(PostingError::ExceedsOpen {
            number: invoice.number.clone(),
            amount: format_minor(amount_minor, invoice.currency),
            open: format_minor(open, invoice.currency),
            date,
        });
    }
    Ok(())
}

/// Issuing: the invoice's total becomes receivable on its issue date.
pub fn issue(invoice: &InvoiceState) -> Entry {
    invoice_entry(
        invoice,
        EntryKind::InvoiceIssued,
        invoice.issue_date,
        invoice.total_minor,
    )
}

/// Voiding cancels an invoice that nothing has been applied to.
pub fn void(invoice: &InvoiceState, date: Date) -> Result<Entry, PostingError> {
    require_issued(invoice)?;
    require_not_before(
        "the void",
        date,
        invoice.issue_date,
        "the invoice's issue date",
    )?;
    // Credit notes and write-offs stay; allocations count net of their
    // reversals, so a payment that was reversed no longer stands in the way
    // (as the error message promises).
    let reduced = invoice
        .movements
        .iter()
        .any(|m| matches!(m.kind, EntryKind::CreditNote | EntryKind::WriteOff));
    let allocated: i64 = invoice
        .movements
        .iter()
        .filter(|m| {
            matches!(
                m.kind,
                EntryKind::Allocation | EntryKind::AllocationReversed
            )
        })
        .map(|m| m.ar_minor)
        .sum();
    if reduced || allocated != 0 {
        return Err(PostingError::HasSettlements(invoice.number.clone()));
    }
    let open = invoice.open_minor();
    let last = invoice.last_movement_date().unwrap_or(invoice.issue_date);
    require_not_before("the void", date, last, "the invoice's last entry")?;
    Ok(invoice_entry(
        invoice,
        EntryKind::InvoiceVoided,
        date,
        -open,
    ))
}

/// A charge on an invoice: a late fee or interest.
pub fn charge(
    invoice: &InvoiceState,
    kind: EntryKind,
    amount_minor: i64,
    date: Date,
) -> Result<Entry, PostingError> {
    debug_assert!(matches!(
        kind,
        EntryKind::Fee | EntryKind::Interest | EntryKind::Compensation
    ));
    check_amount(amount_minor)?;
    require_issued(invoice)?;
    require_not_before(
        "the charge",
        date,
        invoice.issue_date,
        "the invoice's issue date",
    )?;
    Ok(invoice_entry(invoice, kind, date, amount_minor))
}

/// Reverses `amount_minor` of the charges of `kind` posted on `invoice` (a
/// fee, interest or compensation the book no longer bears): an entry of
/// the charge's kind for minus the amount. When the invoice was paid more
/// than its corrected balance, that much of its allocations is undone
/// (`allocations`: per payment, what it has on the invoice, the latest
/// first), so the money is the payments' unapplied credit again.
pub fn reverse_charge(
    invoice: &InvoiceState,
    kind: EntryKind,
    amount_minor: i64,
    date: Date,
    allocations: &[(i64, i64)],
) -> Result<Vec<Entry>, PostingError> {
    debug_assert!(matches!(
        kind,
        EntryKind::Fee | EntryKind::Interest | EntryKind::Compensation
    ));
    check_amount(amount_minor)?;
    require_issued(invoice)?;
    let posted: i64 = invoice
        .movements
        .iter()
        .filter(|m| m.kind == kind)
        .map(|m| m.ar_minor)
        .sum();
    if amount_minor > posted {
        return Err(PostingError::ExceedsOpen {
            number: invoice.number.clone(),
            amount: amount_minor.to_string(),
            open: posted.to_string(),
            date,
        });
    }
    require_not_before(
        "the reversal",
        date,
        invoice.issue_date,
        "the invoice's issue date",
    )?;
    let mut entries = vec![invoice_entry(invoice, kind, date, -amount_minor)];
    let mut overpaid = (amount_minor - invoice.open_minor()).max(0);
    for &(payment_id, allocated) in allocations {
        if overpaid == 0 {
            break;
        }
        let undo = allocated.min(overpaid);
        if undo <= 0 {
            continue;
        }
        overpaid -= undo;
        entries.push(Entry {
            payment_id: Some(payment_id),
            invoice_id: Some(invoice.id),
            ..entry(EntryKind::AllocationReversed, date, undo, undo)(
                invoice.customer_id,
                invoice.currency,
            )
        });
    }
    Ok(entries)
}

/// A credit note (`kind` CreditNote) or write-off (`kind` WriteOff) against one invoice.
pub fn reduce(
    invoice: &InvoiceState,
    kind: EntryKind,
    document_id: i64,
    amount_minor: i64,
    date: Date,
) -> Result<Entry, PostingError> {
    debug_assert!(matches!(kind, EntryKind::CreditNote | EntryKind::WriteOff));
    check_amount(amount_minor)?;
    require_issued(invoice)?;
    require_not_before(
        "the entry",
        date,
        invoice.issue_date,
        "the invoice's issue date",
    )?;
    require_reducible(invoice, amount_minor, date, 0)?;
    Ok(Entry {
        document_id: Some(document_id),
        ..invoice_entry(invoice, kind, date, -amount_minor)
    })
}

/// A write-off a person reverses: the amount written off goes back on the
/// invoice (AR +), as an entry of the write-off's own kind tied to it, on
/// or after the day it was written off. `written_off_minor` is what that
/// write-off took (positive).
pub fn reverse_write_off(
    invoice: &InvoiceState,
    write_off_id: i64,
    written_off_minor: i64,
    written_off_on: Date,
    date: Date,
) -> Result<Entry, PostingError> {
    check_amount(written_off_minor)?;
    require_issued(invoice)?;
    require_not_before(
        "the reversal",
        date,
        written_off_on,
        "the day it was written off",
    )?;
    Ok(Entry {
        document_id: Some(write_off_id),
        ..invoice_entry(invoice, EntryKind::WriteOff, date, written_off_minor)
    })
}

/// Money received from a customer; it is credit until allocated.
pub fn receive(payment: &PaymentState) -> Result<Entry, PostingError> {
    check_amount(payment.amount_minor)?;
    Ok(Entry {
        payment_id: Some(payment.id),
        ..entry(
            EntryKind::PaymentReceived,
            payment.received_date,
            0,
            payment.amount_minor,
        )(payment.customer_id, payment.currency)
    })
}

/// How a payment is to be spread over invoices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AllocationRequest {
    /// Keep it all as credit.
    None,
    /// Pay the customer's open invoices in the order they fell due.
    OldestDueFirst,
    /// These invoice ids, these amounts.
    Explicit(Vec<(i64, i64)>),
}

/// Plans the allocations of `payment` (as it stands after being received)
/// over `invoices` (the customer's invoices the request may touch).
/// Each allocation is dated the later of `date`, the payment's date and the
/// invoice's issue date.
pub fn allocate(
    payment: &PaymentState,
    invoices: &[&InvoiceState],
    request: &AllocationRequest,
    date: Date,
) -> Result<Vec<Entry>, PostingError> {
    if payment.reversed {
        return Err(PostingError::PaymentReversed(payment.id));
    }
    let mut remaining = payment.unallocated_minor;
    let mut entries = Vec::new();
    let post = |invoice: &InvoiceState,
                amount_minor: i64,
                remaining: &mut i64,
                entries: &mut Vec<Entry>|
     -> Result<(), PostingError> {
        if invoice.currency != payment.currency {
            return Err(PostingError::CurrencyMismatch {
                number: invoice.number.clone(),
                invoice: invoice.currency.to_string(),
                payment: payment.currency.to_string(),
            });
        }
        if invoice.customer_id != payment.customer_id {
            return Err(PostingError::CustomerMismatch(invoice.number.clone()));
        }
        require_issued(invoice)?;
        let on = date.max(payment.received_date).max(invoice.issue_date);
        // An invoice named twice in one request: the first allocation is
        // not on the invoice yet, but it counts.
        let already: i64 = entries
            .iter()
            .filter(|e| e.invoice_id == Some(invoice.id))
            .map(|e| -e.ar_minor)
            .sum();
        require_reducible(invoice, amount_minor, on, already)?;
        if amount_minor > *remaining {
            return Err(PostingError::ExceedsUnallocated {
                payment_id: payment.id,
                amount: format_minor(amount_minor, payment.currency),
                unallocated: format_minor(*remaining, payment.currency),
            });
        }
        *remaining -= amount_minor;
        entries.push(Entry {
            payment_id: Some(payment.id),
            invoice_id: Some(invoice.id),
            ..entry(EntryKind::Allocation, on, -amount_minor, -amount_minor)(
                payment.customer_id,
                payment.currency,
            )
        });
        Ok(())
    };
    match request {
        AllocationRequest::None => {}
        AllocationRequest::Explicit(list) => {
            for (invoice_id, amount_minor) in list {
                check_amount(*amount_minor)?;
                let invoice = invoices
                    .iter()
                    .find(|i| i.id == *invoice_id)
                    .ok_or_else(|| PostingError::NotIssued(format!("#{invoice_id}")))?;
                post(invoice, *amount_minor, &mut remaining, &mut entries)?;
            }
        }
        AllocationRequest::OldestDueFirst => {
            let mut open: Vec<&InvoiceState> = invoices
                .iter()
                .copied()
                .filter(|i| {
                    i.status == DocumentStatus::Issued
                        && i.currency == payment.currency
                        && i.customer_id == payment.customer_id
                        && i.open_minor() > 0
                })
                .collect();
            let first_due = |i: &InvoiceState| {
                i.open_parts_as_of(Date::from_day_number(i32::MAX))
                    .first()
                    .map_or(i.due_date(), |p| p.due_date)
            };
            open.sort_by_key(|i| (first_due(i), i.issue_date, i.id));
            for invoice in open {
                if remaining == 0 {
                    break;
                }
                let on = date.max(payment.received_date).max(invoice.issue_date);
                let amount_minor = remaining.min(invoice.reducible_on(on));
                if amount_minor > 0 {
                    post(invoice, amount_minor, &mut remaining, &mut entries)?;
                }
            }
        }
    }
    Ok(entries)
}

/// Applies a customer's unapplied credit to their oldest open items: each
/// payment with credit left, oldest first, allocated oldest-due-first
/// exactly as [`allocate`] does when asked to, over the invoices as the
/// allocations before it left them. `payments` and `invoices` are one
/// customer's; currencies are matched by [`allocate`]. Nothing to apply:
/// no entries.
pub fn apply_credit(
    payments: &[&PaymentState],
    invoices: &[&InvoiceState],
    date: Date,
) -> Result<Vec<Entry>, PostingError> {
    let mut order: Vec<&PaymentState> = payments
        .iter()
        .copied()
        .filter(|p| !p.reversed && p.unallocated_minor > 0)
        .collect();
    order.sort_by_key(|p| (p.received_date, p.id));
    let mut states: Vec<InvoiceState> = invoices
        .iter()
        .filter(|i| order.iter().any(|p| p.currency == i.currency))
        .map(|i| (*i).clone())
        .collect();
    let mut all = Vec::new();
    for payment in order {
        let refs: Vec<&InvoiceState> = states
            .iter()
            .filter(|i| i.currency == payment.currency)
            .collect();
        let entries = allocate(payment, &refs, &AllocationRequest::OldestDueFirst, date)?;
        for entry in &entries {
            if let Some(state) = states.iter_mut().find(|s| Some(s.id) == entry.invoice_id) {
                state.apply(entry);
            }
        }
        all.extend(entries);
    }
    Ok(all)
}

/// Pays unapplied credit back to the customer.
pub fn refund(
    payment: &PaymentState,
    amount_minor: i64,
    date: Date,
) -> Result<Entry, PostingError> {
    check_amount(amount_minor)?;
    if payment.reversed {
        return Err(PostingError::PaymentReversed(payment.id));
    }
    require_not_before(
        "the refund",
        date,
        payment.received_date,
        "the payment's date",
    )?;
    if amount_minor > payment.unallocated_minor {
        return Err(PostingError::ExceedsUnallocated {
            payment_id: payment.id,
            amount: format_minor(amount_minor, payment.currency),
            unallocated: format_minor(payment.unallocated_minor, payment.currency),
        });
    }
    Ok(Entry {
        payment_id: Some(payment.id),
        ..entry(EntryKind::Refund, date, 0, -amount_minor)(payment.customer_id, payment.currency)
    })
}

/// Reverses a payment that did not stand, given `history`, the entries
/// posted on it so far (entries of other payments are ignored): every
/// allocation made from it is undone (the invoices are open again), then
/// what remains leaves credit.
///
/// The reversal may not be dated before the payment's last entry: undoing an
/// allocation before it was made would show the invoice open for more than
/// was billed, and the bounced payment as credit, on the days in between.
pub fn reverse_with_history<'a>(
    payment: &PaymentState,
    history: impl IntoIterator<Item = &'a Entry>,
    date: Date,
) -> Result<Vec<Entry>, PostingError> {
    let history: Vec<&Entry> = history
        .into_iter()
        .filter(|e| e.payment_id == Some(payment.id))
        .collect();
    if payment.reversed {
        return Err(PostingError::PaymentReversed(payment.id));
    }
    let last = history
        .iter()
        .map(|e| e.effective_date)
        .max()
        .unwrap_or(payment.received_date);
    require_not_before("the reversal", date, last, "the payment's last entry")?;
    let mut per_invoice: BTreeMap<i64, i64> = BTreeMap::new();
    for e in &history {
        if let Some(invoice_id) = e.invoice_id {
            *per_invoice.entry(invoice_id).or_default() -= e.ar_minor;
        }
    }
    let allocated: Vec<(i64, i64)> = per_invoice.into_iter().filter(|(_, a)| *a != 0).collect();
    reverse(payment, &allocated, date)
}

/// Reverses a payment that did not stand: every allocation made from it is
/// undone (the invoices are open again), then what remains leaves credit.
/// `allocated` lists, per invoice, the amount the payment still has on it.
///
/// This cannot see the payment's later-dated entries, so it cannot refuse a
/// reversal dated before them; prefer [`reverse_with_history`], which does.
pub fn reverse(
    payment: &PaymentState,
    allocated: &[(i64, i64)],
    date: Date,
) -> Result<Vec<Entry>, PostingError> {
    if payment.reversed {
        return Err(PostingError::PaymentReversed(payment.id));
    }
    require_not_before(
        "the reversal",
        date,
        payment.received_date,
        "the payment's date",
    )?;
    let mut entries = Vec::new();
    let mut restored = 0;
    for &(invoice_id, amount_minor) in allocated.iter().filter(|(_, a)| *a > 0) {
        restored += amount_minor;
        entries.push(Entry {
            payment_id: Some(payment.id),
            invoice_id: Some(invoice_id),
            ..entry(
                EntryKind::AllocationReversed,
                date,
                amount_minor,
                amount_minor,
            )(payment.customer_id, payment.currency)
        });
    }
    entries.push(Entry {
        payment_id: Some(payment.id),
        ..entry(
            EntryKind::PaymentReversed,
            date,
            0,
            -(payment.unallocated_minor + restored),
        )(payment.customer_id, payment.currency)
    });
    Ok(entries)
}
