//! An in-memory book: the ledger rules applied to plain data.
//!
//! The storage layer is the book of record; this one serves the property
//! tests, the scenario tests and the demo generator, and states the rules in
//! their simplest form. Both call the same [`posting`](crate::posting) rules.

use std::collections::BTreeMap;

use crate::aging::{AgingEdges, AgingReport};
use crate::collections::plan::Plan;
use crate::currency::Currency;
use crate::date::Date;
use crate::invoice::{DocumentStatus, InvoiceDraft, InvoiceError};
use crate::ledger::{BalanceParts, Entry, EntryKind};
use crate::posting::{self, AllocationRequest, PostingError};
use crate::state::{InvoiceState, PaymentState};
use crate::terms::Installment;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    #[error(transparent)]
    Posting(#[from] PostingError),
    #[error(transparent)]
    Invoice(#[from] InvoiceError),
    #[error("no invoice #{0}")]
    NoInvoice(i64),
    #[error("no payment #{0}")]
    NoPayment(i64),
}

#[derive(Clone, Debug, Default)]
pub struct Book {
    pub invoices: BTreeMap<i64, InvoiceState>,
    pub payments: BTreeMap<i64, PaymentState>,
    pub entries: Vec<Entry>,
    next_document_id: i64,
}

impl InvoiceState {
    /// A freshly issued invoice with no entries yet.
    pub fn issued(
        id: i64,
        number: String,
        customer_id: i64,
        currency: Currency,
        issue_date: Date,
        total_minor: i64,
        schedule: Vec<Installment>,
    ) -> InvoiceState {
        InvoiceState {
            id,
            number,
            customer_id,
            currency,
            status: DocumentStatus::Issued,
            issue_date,
            total_minor,
            schedule,
            movements: Vec::new(),
            ladder_from: None,
        }
    }
}

impl Book {
    pub fn new() -> Book {
        Book::default()
    }

    fn post(&mut self, entries: Vec<Entry>) {
        for entry in entries {
            if let Some(id) = entry.invoice_id {
                if let Some(invoice) = self.invoices.get_mut(&id) {
                    invoice.apply(&entry);
                }
            }
            if let Some(id) = entry.payment_id {
                if let Some(payment) = self.payments.get_mut(&id) {
                    payment.apply(&entry);
                }
            }
            self.entries.push(entry);
        }
    }

    fn invoice(&self, id: i64) -> Result<&InvoiceState, BookError> {
        self.invoices.get(&id).ok_or(BookError::NoInvoice(id))
    }

    fn payment(&self, id: i64) -> Result<&PaymentState, BookError> {
        self.payments.get(&id).ok_or(BookError::NoPayment(id))
    }

    /// Issues a draft; the number is the next of the gap-free sequence.
    pub fn issue(&mut self, draft: &InvoiceDraft) -> Result<i64, BookError> {
        let schedule = draft.schedule()?;
        let id = self.invoices.len() as i64 + 1;
        let invoice = InvoiceState::issued(
            id,
            format!("INV-{id:06}"),
            draft.customer_id,
            draft.currency,
            draft.issue_date,
            draft.totals().total_minor,
            schedule,
        );
        let entry = posting::issue(&invoice);
        self.invoices.insert(id, invoice);
        self.post(vec![entry]);
        Ok(id)
    }

    pub fn void(&mut self, invoice_id: i64, date: Date) -> Result<(), BookError> {
        let entry = posting::void(self.invoice(invoice_id)?, date)?;
        self.post(vec![entry]);
        Ok(())
    }

    pub fn charge(
        &mut self,
        invoice_id: i64,
        kind: EntryKind,
        amount_minor: i64,
        date: Date,
    ) -> Result<(), BookError> {
        let entry = posting::charge(self.invoice(invoice_id)?, kind, amount_minor, date)?;
        self.post(vec![entry]);
        Ok(())
    }

    /// Reverses `amount_minor` of the charges of `kind` on an invoice
    /// ([`posting::reverse_charge`]); what it was paid beyond its corrected
    /// balance goes back to the payments as unapplied credit.
    pub fn reverse_charge(
        &mut self,
        invoice_id: i64,
        kind: EntryKind,
        amount_minor: i64,
        date: Date,
    ) -> Result<(), BookError> {
        let allocations = allocations_on(&self.entries, invoice_id);
        let entries = posting::reverse_charge(
            self.invoice(invoice_id)?,
            kind,
            amount_minor,
            date,
            &allocations,
        )?;
        self.post(entries);
        Ok(())
    }

    /// A credit note or write-off; returns the document id.
    pub fn reduce(
        &mut self,
        invoice_id: i64,
        kind: EntryKind,
        amount_minor: i64,
        date: Date,
    ) -> Result<i64, BookError> {
        let document_id = self.next_document_id + 1;
        let entry = posting::reduce(
            self.invoice(invoice_id)?,
            kind,
            document_id,
            amount_minor,
            date,
        )?;
        self.next_document_id = document_id;
        self.post(vec![entry]);
        Ok(document_id)
    }

    /// Records a payment and allocates it; nothing is posted if any part is refused.
    pub fn receive(
        &mut self,
        customer_id: i64,
        currency: Currency,
        received_date: Date,
        amount_minor: i64,
        request: &AllocationRequest,
    ) -> Result<i64, BookError> {
        let id = self.payments.len() as i64 + 1;
        let mut payment = PaymentState {
            id,
            customer_id,
            currency,
            received_date,
            amount_minor,
            unallocated_minor: 0,
            reversed: false,
        };
        let received = posting::receive(&payment)?;
        payment.apply(&received);
        let candidates: Vec<&InvoiceState> = self
            .invoices
            .values()
            .filter(|i| i.customer_id == customer_id)
            .collect();
        let allocations = posting::allocate(&payment, &candidates, request, received_date)?;
        payment.unallocated_minor = 0;
        self.payments.insert(id, payment);
        let mut all = vec![received];
        all.extend(allocations);
        self.post(all);
        Ok(id)
    }

    /// Applies existing credit of a payment to invoices.
    pub fn allocate(
        &mut self,
        payment_id: i64,
        request: &AllocationRequest,
        date: Date,
    ) -> Result<(), BookError> {
        let payment = self.payment(payment_id)?;
        let candidates: Vec<&InvoiceState> = self
            .invoices
            .values()
            .filter(|i| i.customer_id == payment.customer_id)
            .collect();
        let entries = posting::allocate(payment, &candidates, request, date)?;
        self.post(entries);
        Ok(())
    }

    /// Applies the customer's unapplied credit to their oldest open items
    /// ([`posting::apply_credit`]).
    pub fn apply_credit(&mut self, customer_id: i64, date: Date) -> Result<(), BookError> {
        let payments: Vec<&PaymentState> = self
            .payments
            .values()
            .filter(|p| p.customer_id == customer_id)
            .collect();
        let invoices: Vec<&InvoiceState> = self
            .invoices
            .values()
            .filter(|i| i.customer_id == customer_id)
            .collect();
        let entries = posting::apply_credit(&payments, &invoices, date)?;
        self.post(entries);
        Ok(())
    }

    pub fn refund(
        &mut self,
        payment_id: i64,
        amount_minor: i64,
        date: Date,
    ) -> Result<(), BookError> {
        let entry = posting::refund(self.payment(payment_id)?, amount_minor, date)?;
        self.post(vec![entry]);
        Ok(())
    }

    pub fn reverse(&mut self, payment_id: i64, date: Date) -> Result<(), BookError> {
        let entries =
            posting::reverse_with_history(self.payment(payment_id)?, &self.entries, date)?;
        self.post(entries);
        Ok(())
    }

    /// Per invoice, what `payment_id` still has allocated to it.
    pub fn allocated_by(&self, payment_id: i64) -> Vec<(i64, i64)> {
        allocated_by(&self.entries, payment_id)
    }

    /// The identity's parts per customer and currency, from the entries.
    pub fn balances(&self, as_of: Date) -> BTreeMap<(i64, Currency), BalanceParts> {
        balances(self.entries.iter().filter(|e| e.effective_date <= as_of))
    }

    /// The aging from the invoices' live states.
    pub fn aging(&self, as_of: Date, edges: &AgingEdges, detail: bool) -> AgingReport {
        crate::aging::aging_of(as_of, edges, self.invoices.values(), &[], detail)
    }
}

/// Per payment, what it still has allocated to `invoice_id`, the payment
/// allocated to it last first (the order a correction undoes them in).
pub fn allocations_on<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
    invoice_id: i64,
) -> Vec<(i64, i64)> {
    let mut per_payment: Vec<(i64, i64)> = Vec::new();
    for e in entries {
        if e.invoice_id != Some(invoice_id) {
            continue;
        }
        let Some(payment_id) = e.payment_id else {
            continue;
        };
        match per_payment.iter().position(|(p, _)| *p == payment_id) {
            Some(i) => {
                let (p, a) = per_payment.remove(i);
                per_payment.push((p, a - e.ar_minor));
            }
            None => per_payment.push((payment_id, -e.ar_minor)),
        }
    }
    per_payment.reverse();
    per_payment.retain(|(_, a)| *a > 0);
    per_payment
}

/// Per invoice, what a payment still has allocated to it.
pub fn allocated_by<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
    payment_id: i64,
) -> Vec<(i64, i64)> {
    let mut per_invoice: BTreeMap<i64, i64> = BTreeMap::new();
    for e in entries {
        if e.payment_id == Some(payment_id) {
            if let Some(invoice_id) = e.invoice_id {
                *per_invoice.entry(invoice_id).or_default() -= e.ar_minor;
            }
        }
    }
    per_invoice.into_iter().filter(|(_, a)| *a != 0).collect()
}

/// Sums entries into the open-balance identity's parts, per customer and currency.
pub fn balances<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
) -> BTreeMap<(i64, Currency), BalanceParts> {
    let mut parts: BTreeMap<(i64, Currency), BalanceParts> = BTreeMap::new();
    for e in entries {
        parts.entry((e.customer_id, e.currency)).or_default().add(e);
    }
    parts
}

/// The aging as of `as_of` rebuilt from invoice headers and the entries up
/// to that day only: what any past report must have shown. Invoices under
/// a plan that stood that day are aged by its installments.
pub fn aging_from_entries<'a>(
    headers: impl IntoIterator<Item = &'a InvoiceState>,
    entries: impl IntoIterator<Item = &'a Entry>,
    plans: &[Plan],
    as_of: Date,
    edges: &AgingEdges,
    detail: bool,
) -> AgingReport {
    let mut invoices: BTreeMap<i64, InvoiceState> = headers
        .into_iter()
        .map(|h| {
            let mut fresh = h.clone();
            fresh.movements.clear();
            fresh.status = DocumentStatus::Issued;
            (h.id, fresh)
        })
        .collect();
    for e in entries.into_iter().filter(|e| e.effective_date <= as_of) {
        if let Some(invoice) = e.invoice_id.and_then(|id| invoices.get_mut(&id)) {
            invoice.apply(e);
        }
    }
    crate::aging::aging_of(as_of, edges, invoices.values(), plans, detail)
}
