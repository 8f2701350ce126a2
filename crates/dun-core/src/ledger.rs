//! The ledger: append-only entries from which every balance is derived.
//!
//! Each entry moves two figures for one customer in one currency:
//! `ar_minor`, what the customer owes on one invoice (accounts receivable),
//! and `credit_minor`, money received and not yet applied to an invoice
//! (customer credit). Nothing is ever updated or deleted; a mistake is
//! undone by a further entry (a reversal, a void, a credit note).

use serde::{Deserialize, Serialize};

use crate::currency::Currency;
use crate::date::Date;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// An invoice was issued: AR + total.
    InvoiceIssued,
    /// An issued invoice was voided: AR − what was still open.
    InvoiceVoided,
    /// A late fee charged on an invoice: AR +.
    Fee,
    /// Interest charged on an invoice's overdue principal: AR +.
    Interest,
    /// The fixed compensation a late-payment law grants per invoice
    /// (€40; UK £40/£70/£100): AR +. A cost, like a fee: it bears no
    /// interest.
    Compensation,
    /// Money received: credit +.
    PaymentReceived,
    /// Part of a payment applied to an invoice: AR −, credit −.
    Allocation,
    /// An allocation undone: AR +, credit +.
    AllocationReversed,
    /// A credit note against an invoice: AR −.
    CreditNote,
    /// An uncollectable amount written off: AR −.
    WriteOff,
    /// Unapplied credit paid back to the customer: credit −.
    Refund,
    /// A payment that did not stand (bounced, charged back): credit −.
    PaymentReversed,
}

impl EntryKind {
    pub const ALL: [EntryKind; 12] = [
        EntryKind::InvoiceIssued,
        EntryKind::InvoiceVoided,
        EntryKind::Fee,
        EntryKind::Interest,
        EntryKind::Compensation,
        EntryKind::PaymentReceived,
        EntryKind::Allocation,
        EntryKind::AllocationReversed,
        EntryKind::CreditNote,
        EntryKind::WriteOff,
        EntryKind::Refund,
        EntryKind::PaymentReversed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::InvoiceIssued => "invoice_issued",
            EntryKind::InvoiceVoided => "invoice_voided",
            EntryKind::Fee => "fee",
            EntryKind::Interest => "interest",
            EntryKind::Compensation => "compensation",
            EntryKind::PaymentReceived => "payment_received",
            EntryKind::Allocation => "allocation",
            EntryKind::AllocationReversed => "allocation_reversed",
            EntryKind::CreditNote => "credit_note",
            EntryKind::WriteOff => "write_off",
            EntryKind::Refund => "refund",
            EntryKind::PaymentReversed => "payment_reversed",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        EntryKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether this kind adds to what an invoice bills (total, fees, interest).
    pub fn is_charge(self) -> bool {
        matches!(
            self,
            EntryKind::InvoiceIssued
                | EntryKind::Fee
                | EntryKind::Interest
                | EntryKind::Compensation
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub customer_id: i64,
    pub currency: Currency,
    pub kind: EntryKind,
    pub invoice_id: Option<i64>,
    pub payment_id: Option<i64>,
    /// The credit note or write-off document behind the entry, if any.
    pub document_id: Option<i64>,
    pub effective_date: Date,
    pub ar_minor: i64,
    pub credit_minor: i64,
}

/// The open balance identity of PRODUCT.md, per kind of entry:
/// `invoices + fees + interest − allocations − credit notes − write-offs`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BalanceParts {
    /// Issued totals less voids.
    pub invoices_minor: i64,
    pub fees_minor: i64,
    pub interest_minor: i64,
    /// Allocations less allocation reversals.
    pub allocations_minor: i64,
    pub credit_notes_minor: i64,
    pub write_offs_minor: i64,
    /// Received, not yet applied, not refunded.
    pub credit_minor: i64,
}

impl BalanceParts {
    pub fn add(&mut self, entry: &Entry) {
        match entry.kind {
            EntryKind::InvoiceIssued | EntryKind::InvoiceVoided => {
                self.invoices_minor += entry.ar_minor
            }
            // Compensation is a cost of recovery: with the fees.
            EntryKind::Fee | EntryKind::Compensation => self.fees_minor += entry.ar_minor,
            EntryKind::Interest => self.interest_minor += entry.ar_minor,
            EntryKind::Allocation | EntryKind::AllocationReversed => {
                self.allocations_minor -= entry.ar_minor
            }
            EntryKind::CreditNote => self.credit_notes_minor -= entry.ar_minor,
            EntryKind::WriteOff => self.write_offs_minor -= entry.ar_minor,
            EntryKind::PaymentReceived | EntryKind::Refund | EntryKind::PaymentReversed => {}
        }
        self.credit_minor += entry.credit_minor;
    }

    /// The open balance by the identity.
    pub fn open_minor(&self) -> i64 {
        self.invoices_minor + self.fees_minor + self.interest_minor
            - self.allocations_minor
            - self.credit_notes_minor
            - self.write_offs_minor
    }
}
