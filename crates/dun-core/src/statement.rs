//! The statement of account: what a customer owed at the start of a period,
//! everything that moved it during the period with a running balance, what
//! they owe at its end, and how old that is.
//!
//! The balance on a statement is what the customer owes net of money they
//! have paid and that is not yet applied: the sum over the customer's entries
//! of `ar_minor − credit_minor`. Receiving a payment lowers it; applying the
//! payment to an invoice moves money from credit to the invoice and leaves it
//! unchanged, so allocations are not statement lines. One statement per
//! currency: amounts of different currencies are never added.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::aging::{aging_of, AgingEdges};
use crate::collections::plan::Plan;
use crate::currency::Currency;
use crate::date::Date;
use crate::ledger::{Entry, EntryKind};
use crate::reference::CreditorReference;
use crate::state::InvoiceState;

/// Longest period one statement may cover, in days (ten years).
pub const PERIOD_DAYS_MAX: i32 = 3660;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("from: the period starts on {from}, after it ends on {to}; give a start on or before the end")]
    PeriodReversed { from: Date, to: Date },
    #[error(
        "the period {from} to {to} is longer than {PERIOD_DAYS_MAX} days; ask for a shorter one"
    )]
    PeriodTooLong { from: Date, to: Date },
}

/// What the domain needs to draw up one customer's statements.
pub struct StatementInput<'a> {
    pub customer_id: i64,
    pub from: Date,
    pub to: Date,
    pub edges: &'a AgingEdges,
    /// The customer's entries in every currency, in the order they were posted.
    pub entries: &'a [Entry],
    /// The customer's issued invoices with their movements, by id.
    pub invoices: &'a BTreeMap<i64, InvoiceState>,
    /// Credit note numbers by credit note id (an entry's `document_id`).
    pub credit_notes: &'a BTreeMap<i64, String>,
    /// Payment references (the cheque or transfer reference) by payment id.
    pub payments: &'a BTreeMap<i64, String>,
    /// The customer's payment plans: what they cover is aged by their dates.
    pub plans: &'a [Plan],
}

/// One dated line of a statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    pub date: Date,
    pub kind: EntryKind,
    pub invoice_number: Option<String>,
    /// The credit note's number, for a credit note.
    pub document_number: Option<String>,
    /// The payment's reference, for a payment, refund or reversal.
    pub payment_reference: Option<String>,
    /// What the line adds to the balance: positive for invoices, fees,
    /// interest, refunds and payments that did not stand; negative for
    /// payments, credit notes, write-offs and voids.
    pub amount_minor: i64,
    /// The balance after this line.
    pub balance_minor: i64,
}

impl StatementLine {
    /// The line as a person reads it, e.g. "Payment received (ref 1042)".
    pub fn description(&self) -> String {
        let invoice = self.invoice_number.as_deref().unwrap_or("?");
        let reference = match self.payment_reference.as_deref() {
            Some(r) if !r.is_empty() => format!(" (ref {r})"),
            _ => String::new(),
        };
        match self.kind {
            EntryKind::InvoiceIssued => format!("Invoice {invoice}"),
            EntryKind::InvoiceVoided => format!("Invoice {invoice} voided"),
            EntryKind::Fee => format!("Late fee on {invoice}"),
            EntryKind::Interest => format!("Interest on {invoice}"),
            EntryKind::Compensation => format!("Fixed compensation on {invoice}"),
            EntryKind::PaymentReceived => format!("Payment received{reference}"),
            EntryKind::CreditNote => match &self.document_number {
                Some(doc) => format!("Credit note {doc} on {invoice}"),
                None => format!("Credit note on {invoice}"),
            },
            EntryKind::WriteOff => format!("Written off on {invoice}"),
            EntryKind::Refund => format!("Refund{reference}"),
            EntryKind::PaymentReversed => format!("Payment reversed{reference}"),
            EntryKind::Allocation => format!("Payment applied to {invoice}"),
            EntryKind::AllocationReversed => format!("Payment unapplied from {invoice}"),
        }
    }

    /// The amount as a charge (what raised the balance), if it is one.
    pub fn charge_minor(&self) -> Option<i64> {
        (self.amount_minor > 0).then_some(self.amount_minor)
    }

    /// The amount as a credit (what lowered the balance), positive, if it is one.
    pub fn credit_minor(&self) -> Option<i64> {
        (self.amount_minor < 0).then_some(-self.amount_minor)
    }
}

/// An invoice open at the end of the period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpenInvoice {
    pub invoice_id: i64,
    pub number: String,
    pub issue_date: Date,
    pub due_date: Date,
    /// Days past due at the end of the period (zero or less: not yet due).
    pub days_past_due: i32,
    pub total_minor: i64,
    pub open_minor: i64,
}

impl OpenInvoice {
    /// The invoice's own payment reference.
    pub fn payment_reference(&self) -> CreditorReference {
        CreditorReference::for_invoice(self.invoice_id)
    }
}

/// One customer's statement of account in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub customer_id: i64,
    pub currency: Currency,
    pub from: Date,
    pub to: Date,
    /// The balance at the end of the day before `from`.
    pub opening_minor: i64,
    pub lines: Vec<StatementLine>,
    /// Sum of the lines that raised the balance.
    pub charges_minor: i64,
    /// Sum of the lines that lowered it, as a positive figure.
    pub credits_minor: i64,
    /// The balance at the end of `to`: opening + charges − credits.
    pub closing_minor: i64,
    /// Bucket labels of the aging (`current`, `1-30`, …).
    pub aging_labels: Vec<String>,
    /// What is open on the customer's invoices at the end of `to`, by bucket.
    pub aging_minor: Vec<i64>,
    /// Money received by the end of `to` and not applied to any invoice.
    /// `closing = Σ aging − unapplied credit`.
    pub unapplied_credit_minor: i64,
    /// The invoices open at the end of `to`, oldest due first.
    pub open_invoices: Vec<OpenInvoice>,
}

impl Statement {
    pub fn aging_total_minor(&self) -> i64 {
        self.aging_minor.iter().sum()
    }

    /// The reference a payment of the statement quotes: the customer's
    /// (ISO 11649, see [`CreditorReference::for_customer`]).
    pub fn payment_reference(&self) -> CreditorReference {
        CreditorReference::for_customer(self.customer_id)
    }

    /// What the statement asks to be paid: the closing balance (owed, net
    /// of money received and not applied), or nothing when it is not
    /// positive.
    pub fn amount_due_minor(&self) -> i64 {
        self.closing_minor.max(0)
    }

    /// What is past due at the end of the period (every bucket but current).
    pub fn overdue_minor(&self) -> i64 {
        self.aging_minor.iter().skip(1).sum()
    }
}

/// Net effect of an entry on what the customer owes.
fn net_minor(entry: &Entry) -> i64 {
    entry.ar_minor - entry.credit_minor
}

/// Draws up the customer's statements for `[from, to]`, one per currency
/// that has a balance, a movement in the period or something open at its
/// end; none when the customer has nothing at all.
pub fn statements(input: &StatementInput<'_>) -> Result<Vec<Statement>, StatementError> {
    let (from, to) = (input.from, input.to);
    if from > to {
        return Err(StatementError::PeriodReversed { from, to });
    }
    if to.days_since(from) >= PERIOD_DAYS_MAX {
        return Err(StatementError::PeriodTooLong { from, to });
    }
    let mine = || {
        input
            .entries
            .iter()
            .filter(|e| e.customer_id == input.customer_id)
    };
    let currencies: Vec<Currency> = {
        let mut c: Vec<Currency> = mine()
            .filter(|e| e.effective_date <= to)
            .map(|e| e.currency)
            .collect();
        c.sort();
        c.dedup();
        c
    };
    let number_of = |invoice_id: Option<i64>| {
        invoice_id.map(|id| {
            input
                .invoices
                .get(&id)
                .map_or_else(|| format!("#{id}"), |s| s.number.clone())
        })
    };
    let mut out = Vec::new();
    for currency in currencies {
        let in_currency = || mine().filter(|e| e.currency == currency);
        let opening_minor: i64 = in_currency()
            .filter(|e| e.effective_date < from)
            .map(net_minor)
            .sum();
        let mut period: Vec<&Entry> = in_currency()
            .filter(|e| e.effective_date >= from && e.effective_date <= to && net_minor(e) != 0)
            .collect();
        // Stable: entries of one day stay in the order they were posted.
        period.sort_by_key(|e| e.effective_date);
        let mut balance = opening_minor;
        let (mut charges_minor, mut credits_minor) = (0i64, 0i64);
        let lines: Vec<StatementLine> = period
            .into_iter()
            .map(|e| {
                let amount_minor = net_minor(e);
                balance += amount_minor;
                if amount_minor > 0 {
                    charges_minor += amount_minor;
                } else {
                    credits_minor -= amount_minor;
                }
                StatementLine {
                    date: e.effective_date,
                    kind: e.kind,
                    invoice_number: number_of(e.invoice_id),
                    document_number: match e.kind {
                        EntryKind::CreditNote => e
                            .document_id
                            .and_then(|id| input.credit_notes.get(&id).cloned()),
                        _ => None,
                    },
                    payment_reference: e.payment_id.and_then(|id| input.payments.get(&id).cloned()),
                    amount_minor,
                    balance_minor: balance,
                }
            })
            .collect();
        let unapplied_credit_minor: i64 = in_currency()
            .filter(|e| e.effective_date <= to)
            .map(|e| e.credit_minor)
            .sum();

        let issued: Vec<&InvoiceState> = input
            .invoices
            .values()
            .filter(|s| {
                s.customer_id == input.customer_id && s.currency == currency && s.issue_date <= to
            })
            .collect();
        let aging = aging_of(to, input.edges, issued.iter().copied(), input.plans, false);
        let mut open_invoices = Vec::new();
        for state in issued {
            let open_minor = state.open_as_of(to);
            if open_minor > 0 {
                open_invoices.push(OpenInvoice {
                    invoice_id: state.id,
                    number: state.number.clone(),
                    issue_date: state.issue_date,
                    due_date: state.due_date(),
                    days_past_due: to.days_since(state.due_date()),
                    total_minor: state.total_minor,
                    open_minor,
                });
            }
        }
        open_invoices.sort_by(|a, b| (a.due_date, &a.number).cmp(&(b.due_date, &b.number)));
        let aging_minor = aging.rows.get(&(input.customer_id, currency)).map_or_else(
            || vec![0; input.edges.bucket_count()],
            |row| row.amounts_minor.clone(),
        );
        if opening_minor == 0
            && lines.is_empty()
            && open_invoices.is_empty()
            && unapplied_credit_minor == 0
        {
            continue;
        }
        out.push(Statement {
            customer_id: input.customer_id,
            currency,
            from,
            to,
            opening_minor,
            lines,
            charges_minor,
            credits_minor,
            closing_minor: balance,
            aging_labels: input.edges.labels(),
            aging_minor,
            unapplied_credit_minor,
            open_invoices,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::Book;
    use crate::invoice::{InvoiceDraft, InvoiceLine};
    use crate::posting::AllocationRequest;
    use crate::terms::Terms;

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    fn issue(book: &mut Book, customer: i64, currency: Currency, date: &str, cents: i64) -> i64 {
        let draft = InvoiceDraft {
            customer_id: customer,
            currency,
            issue_date: day(date),
            terms: Terms::Net { days: 30 },
            description: String::new(),
            lines: vec![InvoiceLine::new("work", 10_000, cents, 0).unwrap()],
            installments: Vec::new(),
        };
        book.issue(&draft).unwrap()
    }

    fn draw(book: &Book, customer: i64, from: &str, to: &str) -> Vec<Statement> {
        let edges = AgingEdges::standard();
        let none = BTreeMap::new();
        statements(&StatementInput {
            customer_id: customer,
            from: day(from),
            to: day(to),
            edges: &edges,
            entries: &book.entries,
            invoices: &book.invoices,
            credit_notes: &none,
            payments: &none,
            plans: &[],
        })
        .unwrap()
    }

    /// A book: an invoice before the period, one in it, a part payment in
    /// it, a fee, a payment after the period; another customer's invoice.
    fn sample() -> (Book, i64, i64) {
        let mut book = Book::new();
        let a = issue(&mut book, 1, usd(), "2026-01-05", 100_000);
        let b = issue(&mut book, 1, usd(), "2026-02-10", 50_000);
        issue(&mut book, 2, usd(), "2026-02-11", 70_000);
        book.receive(
            1,
            usd(),
            day("2026-02-15"),
            60_000,
            &AllocationRequest::OldestDueFirst,
        )
        .unwrap();
        book.charge(a, EntryKind::Fee, 2_500, day("2026-02-20"))
            .unwrap();
        book.receive(
            1,
            usd(),
            day("2026-03-10"),
            10_000,
            &AllocationRequest::OldestDueFirst,
        )
        .unwrap();
        (book, a, b)
    }

    #[test]
    fn opening_lines_running_balance_and_closing() {
        let (book, _, _) = sample();
        let s = draw(&book, 1, "2026-02-01", "2026-02-28");
        assert_eq!(s.len(), 1);
        let s = &s[0];
        assert_eq!(s.opening_minor, 100_000);
        let got: Vec<(EntryKind, i64, i64)> = s
            .lines
            .iter()
            .map(|l| (l.kind, l.amount_minor, l.balance_minor))
            .collect();
        assert_eq!(
            got,
            vec![
                (EntryKind::InvoiceIssued, 50_000, 150_000),
                (EntryKind::PaymentReceived, -60_000, 90_000),
                (EntryKind::Fee, 2_500, 92_500),
            ]
        );
        assert_eq!(s.charges_minor, 52_500);
        assert_eq!(s.credits_minor, 60_000);
        assert_eq!(s.closing_minor, 92_500);
        assert_eq!(
            s.opening_minor + s.charges_minor - s.credits_minor,
            s.closing_minor
        );
        assert_eq!(s.lines[1].description(), "Payment received");
    }

    #[test]
    fn aging_as_of_the_end_and_the_identity_with_unapplied_credit() {
        let (book, a, b) = sample();
        let s = &draw(&book, 1, "2026-02-01", "2026-02-28")[0];
        // Invoice a (due 2026-02-04, 24 days late): 1000 − 600 + 25 = 425.
        // Invoice b (due 2026-03-12): 500, current.
        assert_eq!(s.aging_minor, vec![50_000, 42_500, 0, 0, 0]);
        assert_eq!(s.unapplied_credit_minor, 0);
        assert_eq!(
            s.closing_minor,
            s.aging_total_minor() - s.unapplied_credit_minor
        );
        assert_eq!(s.overdue_minor(), 42_500);
        let ids: Vec<i64> = s.open_invoices.iter().map(|o| o.invoice_id).collect();
        assert_eq!(ids, vec![a, b]);
        assert_eq!(s.open_invoices[0].days_past_due, 24);
    }

    #[test]
    fn unapplied_money_lowers_the_balance_and_stays_out_of_the_aging() {
        let mut book = Book::new();
        issue(&mut book, 1, usd(), "2026-01-05", 10_000);
        book.receive(
            1,
            usd(),
            day("2026-01-20"),
            15_000,
            &AllocationRequest::OldestDueFirst,
        )
        .unwrap();
        let s = &draw(&book, 1, "2026-01-01", "2026-01-31")[0];
        assert_eq!(s.closing_minor, -5_000);
        assert_eq!(s.unapplied_credit_minor, 5_000);
        assert_eq!(s.aging_total_minor(), 0);
        assert!(s.open_invoices.is_empty());
        assert_eq!(
            s.closing_minor,
            s.aging_total_minor() - s.unapplied_credit_minor
        );
    }

    #[test]
    fn one_statement_per_currency_and_none_for_a_quiet_customer() {
        let mut book = Book::new();
        let eur = Currency::parse("EUR").unwrap();
        issue(&mut book, 1, usd(), "2026-01-05", 10_000);
        issue(&mut book, 1, eur, "2026-01-06", 20_000);
        let all = draw(&book, 1, "2026-01-01", "2026-01-31");
        let got: Vec<(Currency, i64)> = all.iter().map(|s| (s.currency, s.closing_minor)).collect();
        assert_eq!(got, vec![(eur, 20_000), (usd(), 10_000)]);
        assert!(draw(&book, 3, "2026-01-01", "2026-01-31").is_empty());
        // Before anything happened: nothing to state.
        assert!(draw(&book, 1, "2025-01-01", "2025-12-31").is_empty());
    }

    #[test]
    fn a_later_period_opens_where_the_earlier_closed() {
        let (book, _, _) = sample();
        let feb = &draw(&book, 1, "2026-02-01", "2026-02-28")[0];
        let mar = &draw(&book, 1, "2026-03-01", "2026-03-31")[0];
        assert_eq!(mar.opening_minor, feb.closing_minor);
        assert_eq!(mar.closing_minor, 82_500);
    }

    #[test]
    fn a_reversed_period_is_refused_with_both_dates() {
        let (book, _, _) = sample();
        let edges = AgingEdges::standard();
        let none = BTreeMap::new();
        let err = statements(&StatementInput {
            customer_id: 1,
            from: day("2026-03-01"),
            to: day("2026-02-01"),
            edges: &edges,
            entries: &book.entries,
            invoices: &book.invoices,
            credit_notes: &none,
            payments: &none,
            plans: &[],
        })
        .unwrap_err();
        assert!(err.to_string().contains("2026-03-01"), "{err}");
    }
}
