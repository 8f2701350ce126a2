//! The state of one invoice or one payment, derived from its entries.

use serde::Serialize;

use crate::currency::Currency;
use crate::date::Date;
use crate::invoice::DocumentStatus;
use crate::ledger::{Entry, EntryKind};
use crate::terms::Installment;

/// One change to an invoice's open amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Movement {
    pub effective_date: Date,
    pub kind: EntryKind,
    pub ar_minor: i64,
}

/// An issued (or voided) invoice as the ledger sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InvoiceState {
    pub id: i64,
    pub number: String,
    pub customer_id: i64,
    pub currency: Currency,
    pub status: DocumentStatus,
    pub issue_date: Date,
    pub total_minor: i64,
    pub schedule: Vec<Installment>,
    /// Every entry on the invoice, in the order they were posted.
    pub movements: Vec<Movement>,
    /// The day an invoice imported from another system entered Dun's
    /// collections ladder: steps it had reached before then were that
    /// system's to take, so the run sends, charges and holds nothing for
    /// them, and interest runs from this day at the earliest. `None`: the
    /// ladder runs from the due date.
    #[serde(default)]
    pub ladder_from: Option<Date>,
}

/// What an invoice looks like on one day: the one status vocabulary of
/// every list, page, document and API (the glossary's words).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SettlementStatus {
    Draft,
    Open,
    /// Less is open than was billed, and money was paid toward it.
    PartiallyPaid,
    /// Less is open than was billed by credit notes alone.
    PartiallyCredited,
    /// Nothing open, and money was paid toward it.
    Paid,
    /// Nothing open, by credit notes alone: what it billed was taken back.
    Credited,
    WrittenOff,
    Void,
}

impl SettlementStatus {
    pub const ALL: [SettlementStatus; 8] = [
        SettlementStatus::Draft,
        SettlementStatus::Open,
        SettlementStatus::PartiallyPaid,
        SettlementStatus::PartiallyCredited,
        SettlementStatus::Paid,
        SettlementStatus::Credited,
        SettlementStatus::WrittenOff,
        SettlementStatus::Void,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SettlementStatus::Draft => "draft",
            SettlementStatus::Open => "open",
            SettlementStatus::PartiallyPaid => "partially_paid",
            SettlementStatus::PartiallyCredited => "partially_credited",
            SettlementStatus::Paid => "paid",
            SettlementStatus::Credited => "credited",
            SettlementStatus::WrittenOff => "written_off",
            SettlementStatus::Void => "void",
        }
    }

    pub fn parse(text: &str) -> Option<SettlementStatus> {
        SettlementStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    /// Something is still owed on it.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            SettlementStatus::Open
                | SettlementStatus::PartiallyPaid
                | SettlementStatus::PartiallyCredited
        )
    }

    /// Issued, and nothing is owed on it any more.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            SettlementStatus::Paid | SettlementStatus::Credited | SettlementStatus::WrittenOff
        )
    }
}

/// What took money off an invoice, as sums of its entries (negative: taken
/// off): all [`InvoiceState::status_as_of`] needs besides the open amount.
/// The store reads the same sums for a list's rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reductions {
    /// Charges: the invoice, fees and interest.
    pub billed_minor: i64,
    /// Allocations less reversed allocations.
    pub paid_minor: i64,
    pub credited_minor: i64,
    pub written_off_minor: i64,
    pub voided: bool,
}

impl Reductions {
    pub fn add(&mut self, kind: EntryKind, ar_minor: i64) {
        match kind {
            k if k.is_charge() => self.billed_minor += ar_minor,
            EntryKind::Allocation | EntryKind::AllocationReversed => self.paid_minor += ar_minor,
            EntryKind::CreditNote => self.credited_minor += ar_minor,
            EntryKind::WriteOff => self.written_off_minor += ar_minor,
            EntryKind::InvoiceVoided => self.voided = true,
            _ => {}
        }
    }

    /// The status of an issued invoice with `open_minor` open.
    pub fn status(&self, open_minor: i64) -> SettlementStatus {
        if self.voided {
            return SettlementStatus::Void;
        }
        let paid = self.paid_minor < 0;
        if open_minor <= 0 {
            return if self.written_off_minor < 0 {
                SettlementStatus::WrittenOff
            } else if paid || self.credited_minor == 0 {
                SettlementStatus::Paid
            } else {
                SettlementStatus::Credited
            };
        }
        // Partly paid means less is open than was billed: a payment that was
        // reversed leaves the invoice simply open again.
        if open_minor >= self.billed_minor {
            SettlementStatus::Open
        } else if !paid && self.credited_minor < 0 {
            SettlementStatus::PartiallyCredited
        } else {
            SettlementStatus::PartiallyPaid
        }
    }
}

impl InvoiceState {
    pub fn due_date(&self) -> Date {
        self.schedule.last().map_or(self.issue_date, |i| i.due_date)
    }

    pub fn open_minor(&self) -> i64 {
        self.movements.iter().map(|m| m.ar_minor).sum()
    }

    pub fn open_as_of(&self, date: Date) -> i64 {
        self.movements
            .iter()
            .filter(|m| m.effective_date <= date)
            .map(|m| m.ar_minor)
            .sum()
    }

    /// The day, up to `date`, from which nothing has been open on the
    /// invoice: the day it was paid, credited, written off or voided.
    /// `None` while something is open on `date`.
    pub fn closed_on(&self, date: Date) -> Option<Date> {
        let mut days: Vec<Date> = self
            .movements
            .iter()
            .map(|m| m.effective_date)
            .filter(|d| *d <= date)
            .collect();
        days.sort_unstable();
        days.dedup();
        let mut closed = None;
        for day in days {
            if self.open_as_of(day) <= 0 {
                closed = closed.or(Some(day));
            } else {
                closed = None;
            }
        }
        closed
    }

    /// The most that may be taken off the invoice with effect from `date`
    /// without its open amount falling below zero on that day or any later
    /// day already on the ledger. A payment recorded late is dated when it
    /// was received; a fee posted since may not be paid by it retroactively.
    pub fn reducible_on(&self, date: Date) -> i64 {
        let mut dates: Vec<Date> = self
            .movements
            .iter()
            .map(|m| m.effective_date)
            .filter(|d| *d > date)
            .collect();
        dates.sort_unstable();
        dates.dedup();
        let mut floor = self.open_as_of(date);
        for d in dates {
            floor = floor.min(self.open_as_of(d));
        }
        floor.max(0)
    }

    pub fn last_movement_date(&self) -> Option<Date> {
        self.movements.iter().map(|m| m.effective_date).max()
    }

    /// Status as of `date`, derived from the entries up to that day.
    pub fn status_as_of(&self, date: Date) -> SettlementStatus {
        let upto = || self.movements.iter().filter(|m| m.effective_date <= date);
        if self.status == DocumentStatus::Draft || date < self.issue_date {
            return SettlementStatus::Draft;
        }
        let mut reductions = Reductions::default();
        let mut open = 0;
        for m in upto() {
            reductions.add(m.kind, m.ar_minor);
            open += m.ar_minor;
        }
        reductions.status(open)
    }

    /// The parts still open on `date`, each with the date it fell due.
    ///
    /// Money taken off the invoice settles the installments oldest first;
    /// fees and interest are a last part, due with the last installment.
    pub fn open_parts_as_of(&self, date: Date) -> Vec<Installment> {
        let mut parts: Vec<Installment> = Vec::with_capacity(self.schedule.len() + 1);
        self.each_open_part_as_of(date, |part| {
            match parts.last_mut() {
                // Fees and interest fall due with the last installment:
                // one open part, as the aging's index route counts it.
                Some(last) if last.due_date == part.due_date => {
                    last.amount_minor += part.amount_minor
                }
                _ => parts.push(part),
            }
            true
        });
        parts
    }

    /// The due date of the oldest part open on `date` — the first of
    /// [`InvoiceState::open_parts_as_of`] — without building the parts
    /// (the run asks it of every open invoice). `None` when nothing is open.
    pub fn first_open_due_as_of(&self, date: Date) -> Option<Date> {
        let mut first = None;
        self.each_open_part_as_of(date, |part| {
            first = Some(part.due_date);
            false
        });
        first
    }

    /// Calls `each` with what is left open of every part on `date`, oldest
    /// first, until it answers `false` (see [`InvoiceState::open_parts_as_of`]).
    fn each_open_part_as_of(&self, date: Date, mut each: impl FnMut(Installment) -> bool) {
        let upto = self.movements.iter().filter(|m| m.effective_date <= date);
        let (mut charged, mut open) = (0i64, 0i64);
        for m in upto {
            open += m.ar_minor;
            if m.kind.is_charge() {
                charged += m.ar_minor;
            }
        }
        if open <= 0 {
            return;
        }
        let extra = charged - self.total_minor;
        let mut settled = charged - open;
        let last_due = self.due_date();
        let all = self
            .schedule
            .iter()
            .copied()
            .chain((extra > 0).then_some(Installment {
                due_date: last_due,
                amount_minor: extra,
            }));
        for part in all {
            let taken = settled.min(part.amount_minor);
            settled -= taken;
            if part.amount_minor > taken {
                let left = Installment {
                    due_date: part.due_date,
                    amount_minor: part.amount_minor - taken,
                };
                if !each(left) {
                    return;
                }
            }
        }
    }

    pub fn apply(&mut self, entry: &Entry) {
        if entry.kind == EntryKind::InvoiceVoided {
            self.status = DocumentStatus::Void;
        }
        self.movements.push(Movement {
            effective_date: entry.effective_date,
            kind: entry.kind,
            ar_minor: entry.ar_minor,
        });
    }
}

/// A payment as the ledger sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PaymentState {
    pub id: i64,
    pub customer_id: i64,
    pub currency: Currency,
    pub received_date: Date,
    pub amount_minor: i64,
    /// Received and not yet applied, refunded or reversed.
    pub unallocated_minor: i64,
    pub reversed: bool,
}

impl PaymentState {
    pub fn apply(&mut self, entry: &Entry) {
        if entry.kind == EntryKind::PaymentReversed {
            self.reversed = true;
        }
        self.unallocated_minor += entry.credit_minor;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::Book;
    use crate::invoice::{InvoiceDraft, InvoiceLine};
    use crate::posting::AllocationRequest;
    use crate::terms::Terms;

    #[test]
    fn a_reversed_payment_leaves_the_invoice_open_not_partly_paid() {
        let day = |s| Date::parse(s).unwrap();
        let usd = Currency::parse("USD").unwrap();
        let mut book = Book::new();
        let draft = InvoiceDraft {
            customer_id: 1,
            currency: usd,
            issue_date: day("2026-01-01"),
            terms: Terms::Net { days: 30 },
            description: String::new(),
            lines: vec![InvoiceLine::new("work", 10_000, 10_000, 0).unwrap()],
            installments: Vec::new(),
        };
        let invoice = book.issue(&draft).unwrap();
        let payment = book
            .receive(
                1,
                usd,
                day("2026-01-10"),
                4_000,
                &AllocationRequest::OldestDueFirst,
            )
            .unwrap();
        let state = |book: &Book| book.invoices[&invoice].status_as_of(day("2026-02-01"));
        assert_eq!(state(&book), SettlementStatus::PartiallyPaid);
        book.reverse(payment, day("2026-01-20")).unwrap();
        assert_eq!(state(&book), SettlementStatus::Open);
    }

    #[test]
    fn an_invoice_is_closed_from_the_day_nothing_is_left_open() {
        let day = |s| Date::parse(s).unwrap();
        let usd = Currency::parse("USD").unwrap();
        let mut book = Book::new();
        let draft = InvoiceDraft {
            customer_id: 1,
            currency: usd,
            issue_date: day("2026-01-01"),
            terms: Terms::Net { days: 30 },
            description: String::new(),
            lines: vec![InvoiceLine::new("work", 10_000, 10_000, 0).unwrap()],
            installments: Vec::new(),
        };
        let invoice = book.issue(&draft).unwrap();
        let oldest = AllocationRequest::OldestDueFirst;
        book.receive(1, usd, day("2026-01-10"), 6_000, &oldest)
            .unwrap();
        let rest = book
            .receive(1, usd, day("2026-01-15"), 4_000, &oldest)
            .unwrap();
        let closed = |book: &Book, on| book.invoices[&invoice].closed_on(day(on));
        assert_eq!(closed(&book, "2026-01-12"), None);
        assert_eq!(closed(&book, "2026-02-01"), Some(day("2026-01-15")));
        // Open again after the last payment is reversed: not closed.
        book.reverse(rest, day("2026-01-20")).unwrap();
        assert_eq!(closed(&book, "2026-02-01"), None);
        assert_eq!(closed(&book, "2026-01-19"), Some(day("2026-01-15")));
    }
}
