//! Property tests of the ledger: random books, run day by day, checked
//! against the identities of PRODUCT.md ("Domain" and "Reports").
//!
//! A simulation drives a [`Book`] with random operations over ~120 days and
//! keeps its own model of what every operation should have done (amounts,
//! dates, which operations must be refused). The model never reads the
//! core's derived figures back, so the checks compare two independent
//! computations:
//!
//! * (a) the open-balance identity per customer and currency on every day:
//!   the invoices' `open_as_of`, the core's `BalanceParts`, the entries
//!   summed by kind here, and the model's facts all agree;
//! * (b) no payment is spent twice, no credit goes negative, no invoice is
//!   ever less than zero open or more open than it was billed, on any day;
//! * (c) every aging report taken at the end of a day is reproduced exactly,
//!   after the whole run, from the entries dated up to that day;
//! * (d) invoice totals are the sum of their lines (rounded half-even once
//!   per line) and schedules add up to the total, never due before issue.
//!
//! A refused operation must leave the book exactly as it was.
//!
//! Two runs share the simulation. Day by day (every operation dated the day
//! it happens), the model also predicts each acceptance and refusal, and the
//! aging snapshots of (c) are taken. With late-recorded operations (dated up
//! to 30 days back), history legitimately changes, so only the invariants
//! that must hold on every past day are checked.

use std::collections::BTreeMap;

use dun_core::aging::{AgingEdges, AgingReport};
use dun_core::book::{self, Book};
use dun_core::invoice::{self, InvoiceDraft, InvoiceLine};
use dun_core::ledger::{BalanceParts, Entry, EntryKind};
use dun_core::money::{UnitPrice, AMOUNT_MINOR_MAX};
use dun_core::posting::AllocationRequest;
use dun_core::state::InvoiceState;
use dun_core::terms::{Installment, Terms, INSTALLMENTS_MAX, TERM_DAYS_MAX};
use dun_core::{Currency, Date};
use proptest::prelude::*;
use proptest::sample::Index;

/// Days simulated after the start date.
const DAYS: i32 = 120;

fn start() -> Date {
    Date::parse("2026-01-01").unwrap()
}

fn currencies() -> [Currency; 3] {
    ["USD", "JPY", "BHD"].map(|c| Currency::parse(c).unwrap())
}

fn custom_edges() -> AgingEdges {
    AgingEdges::parse("15,45").unwrap()
}

// ---------------------------------------------------------------------------
// Operations and their strategies
// ---------------------------------------------------------------------------

/// An amount relative to what it applies to (the open amount of an
/// invoice, the unallocated part of a payment), or a fixed one.
#[derive(Clone, Debug)]
enum Amt {
    /// Per mille of the base (1000 is all of it, above 1000 is too much).
    Share(u32),
    /// The base plus a few minor units (−2 to +2): the edges of "too much".
    Around(i64),
    Fixed(i64),
}

impl Amt {
    fn of(&self, base: i64) -> i64 {
        match self {
            Amt::Share(per_mille) => (i128::from(base) * i128::from(*per_mille) / 1000) as i64,
            Amt::Around(delta) => base + delta,
            Amt::Fixed(v) => *v,
        }
    }
}

fn amt() -> impl Strategy<Value = Amt> {
    prop_oneof![
        4 => (1u32..=1100).prop_map(Amt::Share),
        2 => (-2i64..=2).prop_map(Amt::Around),
        1 => (-1i64..=300_000).prop_map(Amt::Fixed),
    ]
}

#[derive(Clone, Debug)]
enum Alloc {
    None,
    Oldest,
    /// (pick among the customer's invoices in the payment's currency, or
    /// among all invoices; which one; how much of its open amount)
    Explicit(Vec<(bool, Index, Amt)>),
}

fn alloc() -> impl Strategy<Value = Alloc> {
    prop_oneof![
        1 => Just(Alloc::None),
        3 => Just(Alloc::Oldest),
        3 => prop::collection::vec((prop::bool::weighted(0.85), any::<Index>(), amt()), 1..=3)
            .prop_map(Alloc::Explicit),
    ]
}

#[derive(Clone, Debug)]
enum Op {
    Issue {
        customer: Index,
        currency: Index,
        /// (quantity × 10^4, unit price in minor units, tax ppm)
        lines: Vec<(i64, i64, i64)>,
        terms: Terms,
    },
    Receive {
        customer: Index,
        currency: Index,
        amount: Amt,
        alloc: Alloc,
    },
    Allocate {
        payment: Index,
        alloc: Alloc,
    },
    Reduce {
        invoice: Index,
        write_off: bool,
        amount: Amt,
    },
    Charge {
        invoice: Index,
        interest: bool,
        amount: i64,
    },
    Void {
        invoice: Index,
    },
    Refund {
        payment: Index,
        amount: Amt,
    },
    Reverse {
        payment: Index,
    },
}

fn terms() -> impl Strategy<Value = Terms> {
    prop_oneof![
        Just(Terms::DueOnReceipt),
        (0u32..=90).prop_map(|days| Terms::Net { days }),
        (0u32..=45).prop_map(|days| Terms::EndOfMonth { days }),
        prop::collection::btree_set(0u32..=120, 1..=4).prop_map(|days| Terms::Installments {
            days: days.into_iter().collect()
        }),
    ]
}

fn tax_ppm() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(0i64),
        Just(50_000),
        Just(88_750),
        Just(200_000),
        0i64..=1_000_000,
    ]
}

fn line() -> impl Strategy<Value = (i64, i64, i64)> {
    (
        prop_oneof![Just(10_000i64), 1i64..=50_000],
        0i64..=100_000,
        tax_ppm(),
    )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<Index>(), any::<Index>(), prop::collection::vec(line(), 1..=3), terms())
            .prop_map(|(customer, currency, lines, terms)| Op::Issue { customer, currency, lines, terms }),
        4 => (any::<Index>(), any::<Index>(), amt(), alloc())
            .prop_map(|(customer, currency, amount, alloc)| Op::Receive { customer, currency, amount, alloc }),
        1 => (any::<Index>(), alloc()).prop_map(|(payment, alloc)| Op::Allocate { payment, alloc }),
        2 => (any::<Index>(), any::<bool>(), amt())
            .prop_map(|(invoice, write_off, amount)| Op::Reduce { invoice, write_off, amount }),
        2 => (any::<Index>(), any::<bool>(), -1i64..=20_000)
            .prop_map(|(invoice, interest, amount)| Op::Charge { invoice, interest, amount }),
        1 => any::<Index>().prop_map(|invoice| Op::Void { invoice }),
        1 => (any::<Index>(), amt()).prop_map(|(payment, amount)| Op::Refund { payment, amount }),
        1 => any::<Index>().prop_map(|payment| Op::Reverse { payment }),
    ]
}

/// Per day, the operations of that day, each with how many days it is
/// backdated (used only by the backdating property).
fn days_of_ops() -> impl Strategy<Value = Vec<Vec<(i32, Op)>>> {
    let back = prop_oneof![3 => Just(0i32), 1 => 1i32..=30];
    prop::collection::vec(prop::collection::vec((back, op()), 0..=3), DAYS as usize)
}

// ---------------------------------------------------------------------------
// The model: what the operations should have done, kept independently
// ---------------------------------------------------------------------------

/// Which part of the open-balance identity a fact moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Invoices,
    Fees,
    Interest,
    Allocations,
    CreditNotes,
    WriteOffs,
    Credit,
}

#[derive(Clone, Debug)]
struct Fact {
    date: Date,
    customer: i64,
    currency: Currency,
    part: Part,
    amount: i64,
}

/// The identity's parts as the model sums them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ModelParts {
    invoices: i64,
    fees: i64,
    interest: i64,
    allocations: i64,
    credit_notes: i64,
    write_offs: i64,
    credit: i64,
}

impl ModelParts {
    fn add(&mut self, part: Part, amount: i64) {
        match part {
            Part::Invoices => self.invoices += amount,
            Part::Fees => self.fees += amount,
            Part::Interest => self.interest += amount,
            Part::Allocations => self.allocations += amount,
            Part::CreditNotes => self.credit_notes += amount,
            Part::WriteOffs => self.write_offs += amount,
            Part::Credit => self.credit += amount,
        }
    }

    fn open(&self) -> i64 {
        self.invoices + self.fees + self.interest
            - self.allocations
            - self.credit_notes
            - self.write_offs
    }

    fn same_as(&self, p: &BalanceParts) -> bool {
        (
            self.invoices,
            self.fees,
            self.interest,
            self.allocations,
            self.credit_notes,
            self.write_offs,
            self.credit,
        ) == (
            p.invoices_minor,
            p.fees_minor,
            p.interest_minor,
            p.allocations_minor,
            p.credit_notes_minor,
            p.write_offs_minor,
            p.credit_minor,
        )
    }
}

#[derive(Clone, Debug)]
struct ModelInvoice {
    customer: i64,
    currency: Currency,
    issue: Date,
    total: i64,
    /// Open amount over all entries (not as of a date).
    open: i64,
    void: bool,
    /// Credit notes and write-offs taken off it.
    reduced: i64,
    /// Allocations on it, net of reversals.
    allocated: i64,
}

#[derive(Clone, Debug)]
struct ModelPayment {
    customer: i64,
    currency: Currency,
    received: Date,
    amount: i64,
    unallocated: i64,
    refunded: i64,
    reversed_on: Option<Date>,
    /// Per invoice, what this payment has on it.
    on_invoice: BTreeMap<i64, i64>,
}

#[derive(Default)]
struct Model {
    invoices: BTreeMap<i64, ModelInvoice>,
    payments: BTreeMap<i64, ModelPayment>,
    facts: Vec<Fact>,
}

impl Model {
    fn fact(&mut self, date: Date, customer: i64, currency: Currency, part: Part, amount: i64) {
        self.facts.push(Fact {
            date,
            customer,
            currency,
            part,
            amount,
        });
    }

    fn parts_as_of(&self, date: Date) -> BTreeMap<(i64, Currency), ModelParts> {
        let mut parts: BTreeMap<(i64, Currency), ModelParts> = BTreeMap::new();
        for f in self.facts.iter().filter(|f| f.date <= date) {
            parts
                .entry((f.customer, f.currency))
                .or_default()
                .add(f.part, f.amount);
        }
        parts
    }

    /// Records an allocation of `amount` from `payment_id` to `invoice_id`.
    fn allocate(&mut self, payment_id: i64, invoice_id: i64, amount: i64, date: Date) {
        let p = self.payments.get_mut(&payment_id).unwrap();
        p.unallocated -= amount;
        *p.on_invoice.entry(invoice_id).or_default() += amount;
        let (customer, currency) = (p.customer, p.currency);
        let inv = self.invoices.get_mut(&invoice_id).unwrap();
        inv.open -= amount;
        inv.allocated += amount;
        self.fact(date, customer, currency, Part::Allocations, amount);
        self.fact(date, customer, currency, Part::Credit, -amount);
    }
}

/// Quantity × price rounded half-even to the minor unit, then tax on that,
/// rounded half-even: written out here again so the model does not lean on
/// the core's rounding.
/// A line's net and tax; `price_e4` in ten-thousandths of a minor unit.
fn model_line_total(quantity_e4: i64, price_e4: i128, tax_ppm: i64) -> (i64, i64) {
    fn half_even(n: i128, d: i128) -> i128 {
        assert!(n >= 0 && d > 0);
        let (q, r) = (n / d, n % d);
        if 2 * r > d || (2 * r == d && q % 2 == 1) {
            q + 1
        } else {
            q
        }
    }
    let net = half_even(i128::from(quantity_e4) * price_e4, 100_000_000);
    let tax = half_even(net * i128::from(tax_ppm), 1_000_000);
    (net as i64, tax as i64)
}

// ---------------------------------------------------------------------------
// The simulation
// ---------------------------------------------------------------------------

struct Sim {
    book: Book,
    model: Model,
    customers: usize,
    /// Whether operations may carry dates before "today". When they do not,
    /// the model also predicts which operations the book must refuse, and
    /// end-of-day aging snapshots are taken.
    backdating: bool,
    snapshots: Vec<Snapshot>,
    /// What was done, resolved to ids and amounts, for failure messages.
    log: Vec<String>,
}

struct Snapshot {
    date: Date,
    standard: AgingReport,
    custom: AgingReport,
    balances: BTreeMap<(i64, Currency), BalanceParts>,
}

/// Which ids a payment allocated to, from the entries it produced.
fn allocations_in(entries: &[Entry]) -> Vec<(i64, i64, Date)> {
    entries
        .iter()
        .filter(|e| e.kind == EntryKind::Allocation)
        .map(|e| (e.invoice_id.unwrap(), -e.ar_minor, e.effective_date))
        .collect()
}

impl Sim {
    fn new(customers: usize, backdating: bool) -> Sim {
        Sim {
            book: Book::new(),
            model: Model::default(),
            customers,
            backdating,
            snapshots: Vec::new(),
            log: Vec::new(),
        }
    }

    fn strict(&self) -> bool {
        !self.backdating
    }

    fn pick_invoice(&self, index: &Index) -> Option<i64> {
        let ids: Vec<i64> = self.model.invoices.keys().copied().collect();
        (!ids.is_empty()).then(|| ids[index.index(ids.len())])
    }

    fn pick_payment(&self, index: &Index) -> Option<i64> {
        let ids: Vec<i64> = self.model.payments.keys().copied().collect();
        (!ids.is_empty()).then(|| ids[index.index(ids.len())])
    }

    /// Turns the generated allocation into a request, picking invoices the
    /// way the generator asked.
    fn request(&self, customer: i64, currency: Currency, alloc: &Alloc) -> AllocationRequest {
        match alloc {
            Alloc::None => AllocationRequest::None,
            Alloc::Oldest => AllocationRequest::OldestDueFirst,
            Alloc::Explicit(list) => {
                let own: Vec<i64> = self
                    .model
                    .invoices
                    .iter()
                    .filter(|(_, i)| i.customer == customer && i.currency == currency)
                    .map(|(id, _)| *id)
                    .collect();
                let all: Vec<i64> = self.model.invoices.keys().copied().collect();
                // Shares are of the open amount split by the number of
                // pairs, so naming one invoice several times can still fit.
                let n = list.len() as i64;
                let pairs = list
                    .iter()
                    .filter_map(|(mine, index, amount)| {
                        let pool = if *mine { &own } else { &all };
                        if pool.is_empty() {
                            return None;
                        }
                        let id = pool[index.index(pool.len())];
                        Some((id, amount.of(self.model.invoices[&id].open / n)))
                    })
                    .collect();
                AllocationRequest::Explicit(pairs)
            }
        }
    }

    /// Whether an explicit list may be applied from `remaining` credit of
    /// `customer` in `currency`, when nothing is dated after today.
    fn explicit_ok(
        &self,
        customer: i64,
        currency: Currency,
        remaining: i64,
        list: &[(i64, i64)],
    ) -> bool {
        let mut remaining = remaining;
        let mut planned: BTreeMap<i64, i64> = BTreeMap::new();
        for &(id, amount) in list {
            let inv = &self.model.invoices[&id];
            let already = planned.entry(id).or_default();
            let fits = amount > 0
                && amount <= AMOUNT_MINOR_MAX
                && inv.customer == customer
                && inv.currency == currency
                && !inv.void
                && amount + *already <= inv.open
                && amount <= remaining;
            if !fits {
                return false;
            }
            *already += amount;
            remaining -= amount;
        }
        true
    }

    /// Eligible invoices for oldest-due-first and the order the rule owes
    /// them: first open part's due date, then issue date, then id.
    fn oldest_first_order(
        &self,
        customer: i64,
        currency: Currency,
    ) -> Vec<((Date, Date, i64), i64)> {
        let far = Date::from_day_number(i32::MAX);
        let mut v: Vec<((Date, Date, i64), i64)> = self
            .model
            .invoices
            .iter()
            .filter(|(_, i)| {
                i.customer == customer && i.currency == currency && !i.void && i.open > 0
            })
            .map(|(id, i)| {
                let state = &self.book.invoices[id];
                let first_due = state
                    .open_parts_as_of(far)
                    .first()
                    .map_or(state.due_date(), |p| p.due_date);
                ((first_due, i.issue, *id), i.open)
            })
            .collect();
        v.sort();
        v
    }

    /// Checks what oldest-due-first did, when nothing is dated after today:
    /// it spent as much as it could, and only on a prefix of the order.
    fn check_oldest(
        &self,
        order: &[((Date, Date, i64), i64)],
        budget: i64,
        done: &[(i64, i64, Date)],
    ) -> Result<(), TestCaseError> {
        let open_total: i64 = order.iter().map(|(_, open)| open).sum();
        let spent: i64 = done.iter().map(|(_, a, _)| a).sum();
        prop_assert_eq!(
            spent,
            budget.min(open_total),
            "oldest-first spent the wrong amount"
        );
        let got = |id: i64| {
            done.iter()
                .filter(|(i, _, _)| *i == id)
                .map(|(_, a, _)| a)
                .sum::<i64>()
        };
        for (i, ((_, _, id), open)) in order.iter().enumerate() {
            prop_assert!(got(*id) <= *open);
            if got(*id) > 0 {
                for ((_, _, earlier), earlier_open) in &order[..i] {
                    prop_assert_eq!(
                        got(*earlier),
                        *earlier_open,
                        "invoice {} got money while the older-due {} was left open",
                        id,
                        earlier
                    );
                }
            }
        }
        Ok(())
    }

    fn apply(&mut self, day: Date, back: i32, op: &Op) -> Result<(), TestCaseError> {
        let date = if self.backdating {
            day.add_days(-back).max(start())
        } else {
            day
        };
        let before = (
            self.book.entries.clone(),
            self.book.invoices.clone(),
            self.book.payments.clone(),
        );
        let n_before = self.book.entries.len();
        // Some(prediction) when the model can tell whether the book must accept.
        let (result, predicted, what): (Result<(), String>, Option<bool>, String) = match op {
            Op::Issue {
                customer,
                currency,
                lines,
                terms,
            } => {
                let customer = customer.index(self.customers) as i64 + 1;
                let currency = currencies()[currency.index(3)];
                let lines: Vec<InvoiceLine> = lines
                    .iter()
                    .map(|&(q, p, t)| InvoiceLine::new("item", q, p, t).unwrap())
                    .collect();
                let total: i64 = lines
                    .iter()
                    .map(|l| {
                        let (net, tax) = model_line_total(
                            l.quantity_e4,
                            l.unit_price.minor_e4(),
                            l.tax_rate_ppm,
                        );
                        net + tax
                    })
                    .sum();
                let draft = InvoiceDraft {
                    customer_id: customer,
                    currency,
                    issue_date: date,
                    terms: terms.clone(),
                    description: String::new(),
                    lines,
                    installments: Vec::new(),
                };
                let result = self.book.issue(&draft);
                if let Ok(id) = result {
                    prop_assert_eq!(id, self.model.invoices.len() as i64 + 1);
                    let state = &self.book.invoices[&id];
                    prop_assert_eq!(state.total_minor, total);
                    prop_assert_eq!(
                        state.schedule.iter().map(|i| i.amount_minor).sum::<i64>(),
                        total
                    );
                    self.model.invoices.insert(
                        id,
                        ModelInvoice {
                            customer,
                            currency,
                            issue: date,
                            total,
                            open: total,
                            void: false,
                            reduced: 0,
                            allocated: 0,
                        },
                    );
                    self.model
                        .fact(date, customer, currency, Part::Invoices, total);
                }
                let what = format!(
                    "issue #{} c{customer} {currency} {total} {terms}",
                    self.model.invoices.len()
                );
                (
                    result.map(|_| ()).map_err(|e| e.to_string()),
                    Some(true),
                    what,
                )
            }

            Op::Receive {
                customer,
                currency,
                amount,
                alloc,
            } => {
                let customer = customer.index(self.customers) as i64 + 1;
                let currency = currencies()[currency.index(3)];
                let open_total: i64 = self
                    .model
                    .invoices
                    .values()
                    .filter(|i| i.customer == customer && i.currency == currency && !i.void)
                    .map(|i| i.open)
                    .sum();
                let request = self.request(customer, currency, alloc);
                let amount = match &request {
                    // Enough for what is asked, often with some left as
                    // credit, sometimes a unit or two short.
                    AllocationRequest::Explicit(list) => {
                        let asked: i64 = list.iter().map(|(_, a)| a).sum();
                        asked
                            + match amount {
                                Amt::Around(delta) => *delta,
                                other => other.of(open_total) / 4,
                            }
                    }
                    _ => amount.of(open_total),
                };
                let order = self.oldest_first_order(customer, currency);
                let amount_ok = amount > 0 && amount <= AMOUNT_MINOR_MAX;
                let predicted = match &request {
                    AllocationRequest::Explicit(list) => {
                        amount_ok && self.explicit_ok(customer, currency, amount, list)
                    }
                    _ => amount_ok,
                };
                let result = self
                    .book
                    .receive(customer, currency, date, amount, &request);
                if let Ok(id) = result {
                    prop_assert_eq!(id, self.model.payments.len() as i64 + 1);
                    self.model.payments.insert(
                        id,
                        ModelPayment {
                            customer,
                            currency,
                            received: date,
                            amount,
                            unallocated: amount,
                            refunded: 0,
                            reversed_on: None,
                            on_invoice: BTreeMap::new(),
                        },
                    );
                    self.model
                        .fact(date, customer, currency, Part::Credit, amount);
                    let done = allocations_in(&self.book.entries[n_before..]);
                    self.record_allocations(id, date, &request, &done)?;
                    if self.strict() && request == AllocationRequest::OldestDueFirst {
                        self.check_oldest(&order, amount, &done)?;
                    }
                }
                let what = format!("receive c{customer} {currency} {amount} {request:?}");
                (
                    result.map(|_| ()).map_err(|e| e.to_string()),
                    Some(predicted),
                    what,
                )
            }

            Op::Allocate { payment, alloc } => {
                let Some(id) = self.pick_payment(payment) else {
                    return Ok(());
                };
                let p = self.model.payments[&id].clone();
                let request = self.request(p.customer, p.currency, alloc);
                let order = self.oldest_first_order(p.customer, p.currency);
                let predicted = p.reversed_on.is_none()
                    && match &request {
                        AllocationRequest::Explicit(list) => {
                            self.explicit_ok(p.customer, p.currency, p.unallocated, list)
                        }
                        _ => true,
                    };
                let result = self.book.allocate(id, &request, date);
                if result.is_ok() {
                    let done = allocations_in(&self.book.entries[n_before..]);
                    self.record_allocations(id, date, &request, &done)?;
                    if self.strict() && request == AllocationRequest::OldestDueFirst {
                        self.check_oldest(&order, p.unallocated, &done)?;
                    }
                }
                let what = format!("allocate p{id} {request:?}");
                (result.map_err(|e| e.to_string()), Some(predicted), what)
            }

            Op::Reduce {
                invoice,
                write_off,
                amount,
            } => {
                let Some(id) = self.pick_invoice(invoice) else {
                    return Ok(());
                };
                let inv = self.model.invoices[&id].clone();
                let amount = amount.of(inv.open);
                let kind = if *write_off {
                    EntryKind::WriteOff
                } else {
                    EntryKind::CreditNote
                };
                let predicted = amount > 0 && !inv.void && amount <= inv.open;
                let result = self.book.reduce(id, kind, amount, date);
                if result.is_ok() {
                    let m = self.model.invoices.get_mut(&id).unwrap();
                    m.open -= amount;
                    m.reduced += amount;
                    let part = if *write_off {
                        Part::WriteOffs
                    } else {
                        Part::CreditNotes
                    };
                    self.model
                        .fact(date, inv.customer, inv.currency, part, amount);
                }
                let what = format!("{kind:?} #{id} {amount}");
                (
                    result.map(|_| ()).map_err(|e| e.to_string()),
                    Some(predicted),
                    what,
                )
            }

            Op::Charge {
                invoice,
                interest,
                amount,
            } => {
                let Some(id) = self.pick_invoice(invoice) else {
                    return Ok(());
                };
                let inv = self.model.invoices[&id].clone();
                let kind = if *interest {
                    EntryKind::Interest
                } else {
                    EntryKind::Fee
                };
                let predicted = *amount > 0 && !inv.void && date >= inv.issue;
                let result = self.book.charge(id, kind, *amount, date);
                if result.is_ok() {
                    self.model.invoices.get_mut(&id).unwrap().open += amount;
                    let part = if *interest {
                        Part::Interest
                    } else {
                        Part::Fees
                    };
                    self.model
                        .fact(date, inv.customer, inv.currency, part, *amount);
                }
                let what = format!("{kind:?} #{id} {amount}");
                (result.map_err(|e| e.to_string()), Some(predicted), what)
            }

            Op::Void { invoice } => {
                let Some(id) = self.pick_invoice(invoice) else {
                    return Ok(());
                };
                let inv = self.model.invoices[&id].clone();
                // Refused once anything is taken off it (net of reversals).
                let predicted = !inv.void && inv.reduced == 0 && inv.allocated == 0;
                let result = self.book.void(id, date);
                if result.is_ok() {
                    let m = self.model.invoices.get_mut(&id).unwrap();
                    m.void = true;
                    m.open = 0;
                    self.model
                        .fact(date, inv.customer, inv.currency, Part::Invoices, -inv.open);
                }
                let what = format!("void #{id}");
                (result.map_err(|e| e.to_string()), Some(predicted), what)
            }

            Op::Refund { payment, amount } => {
                let Some(id) = self.pick_payment(payment) else {
                    return Ok(());
                };
                let p = self.model.payments[&id].clone();
                let amount = amount.of(p.unallocated);
                let predicted = p.reversed_on.is_none() && amount > 0 && amount <= p.unallocated;
                let result = self.book.refund(id, amount, date);
                if result.is_ok() {
                    let m = self.model.payments.get_mut(&id).unwrap();
                    m.unallocated -= amount;
                    m.refunded += amount;
                    self.model
                        .fact(date, p.customer, p.currency, Part::Credit, -amount);
                }
                let what = format!("refund p{id} {amount}");
                (result.map_err(|e| e.to_string()), Some(predicted), what)
            }

            Op::Reverse { payment } => {
                let Some(id) = self.pick_payment(payment) else {
                    return Ok(());
                };
                let p = self.model.payments[&id].clone();
                let predicted = p.reversed_on.is_none();
                let result = self.book.reverse(id, date);
                if result.is_ok() {
                    let mut restored = 0;
                    for (&invoice_id, &amount) in p.on_invoice.iter().filter(|(_, a)| **a > 0) {
                        restored += amount;
                        let inv = self.model.invoices.get_mut(&invoice_id).unwrap();
                        inv.open += amount;
                        inv.allocated -= amount;
                        self.model
                            .fact(date, p.customer, p.currency, Part::Allocations, -amount);
                        self.model
                            .fact(date, p.customer, p.currency, Part::Credit, amount);
                    }
                    self.model.fact(
                        date,
                        p.customer,
                        p.currency,
                        Part::Credit,
                        -(p.unallocated + restored),
                    );
                    let m = self.model.payments.get_mut(&id).unwrap();
                    m.unallocated = 0;
                    m.on_invoice.clear();
                    m.reversed_on = Some(date);
                }
                let what = format!("reverse p{id}");
                (result.map_err(|e| e.to_string()), Some(predicted), what)
            }
        };
        self.log.push(format!("{date} {what} -> {result:?}"));

        match &result {
            Err(e) => {
                // A refusal leaves the book exactly as it was.
                prop_assert_eq!(
                    self.book.entries.len(),
                    n_before,
                    "refused but posted: {}",
                    e
                );
                prop_assert!(
                    self.book.entries == before.0,
                    "refused but entries changed: {}",
                    e
                );
                prop_assert!(
                    self.book.invoices == before.1,
                    "refused but invoices changed: {}",
                    e
                );
                prop_assert!(
                    self.book.payments == before.2,
                    "refused but payments changed: {}",
                    e
                );
            }
            Ok(()) => prop_assert!(self.book.entries.len() > n_before || is_noop(op)),
        }
        if let (Some(predicted), true) = (predicted, self.strict()) {
            prop_assert_eq!(
                result.is_ok(),
                predicted,
                "on {} the book answered {:?} to {:?}",
                date,
                result,
                op
            );
        }
        self.check_model_matches_book()
    }

    /// Books the allocations a payment made into the model, checking that
    /// explicit ones are exactly what was asked.
    fn record_allocations(
        &mut self,
        payment_id: i64,
        date: Date,
        request: &AllocationRequest,
        done: &[(i64, i64, Date)],
    ) -> Result<(), TestCaseError> {
        let received = self.model.payments[&payment_id].received;
        if let AllocationRequest::Explicit(list) = request {
            let asked: Vec<(i64, i64)> = list.to_vec();
            let got: Vec<(i64, i64)> = done.iter().map(|(i, a, _)| (*i, *a)).collect();
            prop_assert_eq!(got, asked);
        }
        if *request == AllocationRequest::None {
            prop_assert!(done.is_empty());
        }
        for &(invoice_id, amount, on) in done {
            let issue = self.model.invoices[&invoice_id].issue;
            prop_assert_eq!(
                on,
                date.max(received).max(issue),
                "allocation dated wrongly"
            );
            prop_assert!(amount > 0);
            self.model.allocate(payment_id, invoice_id, amount, on);
        }
        Ok(())
    }

    fn check_model_matches_book(&self) -> Result<(), TestCaseError> {
        for (id, m) in &self.model.invoices {
            let state = &self.book.invoices[id];
            prop_assert_eq!(state.open_minor(), m.open, "invoice {} open", id);
            prop_assert_eq!(state.customer_id, m.customer);
            prop_assert_eq!(state.total_minor, m.total);
        }
        for (id, m) in &self.model.payments {
            let state = &self.book.payments[id];
            prop_assert_eq!(
                state.unallocated_minor,
                m.unallocated,
                "payment {} unallocated",
                id
            );
            prop_assert_eq!(state.reversed, m.reversed_on.is_some());
            prop_assert_eq!(state.amount_minor, m.amount);
            prop_assert!(state.unallocated_minor >= 0);
        }
        Ok(())
    }

    fn end_of_day(&mut self, day: Date) {
        if self.strict() {
            self.snapshots.push(Snapshot {
                date: day,
                standard: self.book.aging(day, &AgingEdges::standard(), true),
                custom: self.book.aging(day, &custom_edges(), true),
                balances: self.book.balances(day),
            });
        }
    }

    /// The checks over the whole run, for every day in it.
    fn check_all_days(&self) -> Result<(), TestCaseError> {
        let book = &self.book;
        let first = start().add_days(-1);
        let last = start().add_days(DAYS + 1);
        let mut day = first;
        while day <= last {
            // (b) per invoice: never below zero, never more than billed.
            for inv in book.invoices.values() {
                let open = inv.open_as_of(day);
                let billed = charged_as_of(inv, day);
                prop_assert!(open >= 0, "{} is {} open on {}", inv.number, open, day);
                prop_assert!(
                    open <= billed,
                    "{} is {} open on {} but only {} was billed",
                    inv.number,
                    open,
                    day,
                    billed
                );
            }
            // (a) the identity, four ways.
            let core = book.balances(day);
            let model = self.model.parts_as_of(day);
            let mut by_kind: BTreeMap<(i64, Currency), i64> = BTreeMap::new();
            for e in book.entries.iter().filter(|e| e.effective_date <= day) {
                let signed = match e.kind {
                    EntryKind::InvoiceIssued | EntryKind::InvoiceVoided => e.ar_minor,
                    EntryKind::Fee | EntryKind::Interest | EntryKind::Compensation => e.ar_minor,
                    // allocations are subtracted: an allocation's ar is
                    // negative, a reversal's positive
                    EntryKind::Allocation | EntryKind::AllocationReversed => e.ar_minor,
                    EntryKind::CreditNote | EntryKind::WriteOff => e.ar_minor,
                    EntryKind::PaymentReceived | EntryKind::Refund | EntryKind::PaymentReversed => {
                        prop_assert_eq!(e.ar_minor, 0);
                        0
                    }
                };
                *by_kind.entry((e.customer_id, e.currency)).or_default() += signed;
            }
            let mut open_sum: BTreeMap<(i64, Currency), i64> = BTreeMap::new();
            for inv in book.invoices.values() {
                *open_sum.entry((inv.customer_id, inv.currency)).or_default() +=
                    inv.open_as_of(day);
            }
            let aging = book.aging(day, &AgingEdges::standard(), false);
            let mut keys: Vec<(i64, Currency)> = core.keys().chain(model.keys()).copied().collect();
            keys.extend(open_sum.keys().copied());
            keys.sort();
            keys.dedup();
            for key in keys {
                let c = core.get(&key).copied().unwrap_or_default();
                let m = model.get(&key).copied().unwrap_or_default();
                let o = open_sum.get(&key).copied().unwrap_or_default();
                let k = by_kind.get(&key).copied().unwrap_or_default();
                prop_assert!(
                    m.same_as(&c),
                    "{:?} on {}: model {:?} core {:?}",
                    key,
                    day,
                    m,
                    c
                );
                prop_assert_eq!(o, c.open_minor(), "{:?} on {}", key, day);
                prop_assert_eq!(o, k, "{:?} on {}", key, day);
                prop_assert_eq!(o, m.open(), "{:?} on {}", key, day);
                prop_assert!(c.credit_minor >= 0, "{:?} on {}: negative credit", key, day);
                let aged = aging.rows.get(&key).map_or(0, |r| r.total_minor());
                prop_assert_eq!(aged, o, "{:?} on {}: aging total", key, day);
            }
            for row in aging.rows.values() {
                prop_assert!(row.amounts_minor.iter().all(|a| *a >= 0));
            }

            // (b) per payment: credit between zero and the amount, and none
            // left from the day it was reversed.
            for (id, p) in &book.payments {
                let credit: i64 = book
                    .entries
                    .iter()
                    .filter(|e| e.payment_id == Some(*id) && e.effective_date <= day)
                    .map(|e| e.credit_minor)
                    .sum();
                prop_assert!(
                    (0..=p.amount_minor).contains(&credit),
                    "payment {} has {} credit on {}",
                    id,
                    credit,
                    day
                );
                if let Some(reversed_on) = self.model.payments[id].reversed_on {
                    if day >= reversed_on {
                        prop_assert_eq!(
                            credit,
                            0,
                            "payment {} reversed on {}, credit on {}",
                            id,
                            reversed_on,
                            day
                        );
                    }
                }
            }
            day = day.add_days(1);
        }

        // (b) per payment over all time.
        for (id, p) in &book.payments {
            let allocated: i64 = book::allocated_by(&book.entries, *id)
                .iter()
                .map(|(_, a)| a)
                .sum();
            let refunded: i64 = book
                .entries
                .iter()
                .filter(|e| e.payment_id == Some(*id) && e.kind == EntryKind::Refund)
                .map(|e| -e.credit_minor)
                .sum();
            prop_assert!(allocated >= 0 && refunded >= 0);
            prop_assert!(
                allocated + refunded <= p.amount_minor,
                "payment {} overspent",
                id
            );
            prop_assert!(p.unallocated_minor >= 0);
            if !p.reversed {
                prop_assert_eq!(p.unallocated_minor, p.amount_minor - allocated - refunded);
            } else {
                prop_assert_eq!((p.unallocated_minor, allocated), (0, 0));
            }
            prop_assert_eq!(refunded, self.model.payments[id].refunded);
        }

        // (c) every end-of-day report, rebuilt from the entries up to that day.
        for s in &self.snapshots {
            let upto: Vec<Entry> = book
                .entries
                .iter()
                .filter(|e| e.effective_date <= s.date)
                .cloned()
                .collect();
            for (edges, taken) in [
                (AgingEdges::standard(), &s.standard),
                (custom_edges(), &s.custom),
            ] {
                let rebuilt = book::aging_from_entries(
                    book.invoices.values(),
                    &upto,
                    &[],
                    s.date,
                    &edges,
                    true,
                );
                prop_assert_eq!(
                    &rebuilt,
                    taken,
                    "aging as of {} ({}) not reproduced",
                    s.date,
                    edges
                );
            }
            prop_assert_eq!(
                &book.balances(s.date),
                &s.balances,
                "balances as of {}",
                s.date
            );
        }
        Ok(())
    }
}

fn is_noop(op: &Op) -> bool {
    // Allocating nothing (or from a payment with no credit left) posts nothing.
    matches!(op, Op::Allocate { .. })
}

fn charged_as_of(invoice: &InvoiceState, date: Date) -> i64 {
    invoice
        .movements
        .iter()
        .filter(|m| m.effective_date <= date && m.kind.is_charge())
        .map(|m| m.ar_minor)
        .sum()
}

fn run(customers: usize, days: &[Vec<(i32, Op)>], backdating: bool) -> Result<Sim, TestCaseError> {
    let mut sim = Sim::new(customers, backdating);
    for (n, ops) in days.iter().enumerate() {
        let day = start().add_days(n as i32);
        for (back, op) in ops {
            if let Err(e) = sim.apply(day, *back, op) {
                return Err(TestCaseError::fail(format!(
                    "{e}\nafter:\n{}",
                    sim.log.join("\n")
                )));
            }
        }
        sim.end_of_day(day);
    }
    if let Err(e) = sim.check_all_days() {
        return Err(TestCaseError::fail(format!(
            "{e}\nafter:\n{}",
            sim.log.join("\n")
        )));
    }
    Ok(sim)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Day by day, every operation dated the day it happens: the model
    /// predicts each acceptance and refusal, and (a), (b), (c) hold.
    #[test]
    fn the_book_keeps_its_identities_day_by_day(customers in 2usize..=4, days in days_of_ops()) {
        run(customers, &days, false)?;
    }

    /// Operations recorded late (dated up to 30 days back): nothing can
    /// make an invoice negative or over-billed, or a credit negative, on
    /// any day, and the identity holds on every day.
    #[test]
    fn late_recorded_operations_never_break_any_past_day(customers in 2usize..=4, days in days_of_ops()) {
        run(customers, &days, true)?;
    }
}

// ---------------------------------------------------------------------------
// (d) money: lines, totals, schedules
// ---------------------------------------------------------------------------

fn wide_terms() -> impl Strategy<Value = Terms> {
    prop_oneof![
        Just(Terms::DueOnReceipt),
        (0u32..=TERM_DAYS_MAX).prop_map(|days| Terms::Net { days }),
        (0u32..=TERM_DAYS_MAX).prop_map(|days| Terms::EndOfMonth { days }),
        prop::collection::btree_set(0u32..=TERM_DAYS_MAX, 1..=INSTALLMENTS_MAX).prop_map(|days| {
            Terms::Installments {
                days: days.into_iter().collect(),
            }
        }),
    ]
}

fn any_date() -> impl Strategy<Value = Date> {
    let lo = Date::parse("1990-01-01").unwrap().day_number();
    let hi = Date::parse("2100-12-31").unwrap().day_number();
    (lo..=hi).prop_map(Date::from_day_number)
}

/// `value` is `numerator / denominator` rounded half to even.
fn is_half_even(value: i64, numerator: i128, denominator: i128) -> bool {
    let diff = (i128::from(value) * denominator - numerator).abs();
    2 * diff < denominator || (2 * diff == denominator && value % 2 == 0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn totals_are_the_sum_of_the_lines(
        raw in prop::collection::vec(
            // Prices in ten-thousandths of a minor unit: whole and finer.
            (1i64..=100_000_000, 0i128..=10_000_000_000_000, tax_ppm()),
            1..=8,
        )
    ) {
        let lines: Vec<InvoiceLine> = raw
            .iter()
            .map(|&(q, p, t)| InvoiceLine::priced("x", q, UnitPrice::from_minor_e4(p), t).unwrap())
            .collect();
        let totals = invoice::totals(&lines);
        let (mut net, mut tax) = (0i64, 0i64);
        for l in &lines {
            let product = i128::from(l.quantity_e4) * l.unit_price.minor_e4();
            prop_assert!(is_half_even(l.net_minor(), product, 100_000_000), "net of {:?}", l);
            let taxed = i128::from(l.net_minor()) * i128::from(l.tax_rate_ppm);
            prop_assert!(is_half_even(l.tax_minor(), taxed, 1_000_000), "tax of {:?}", l);
            prop_assert_eq!(
                (l.net_minor(), l.tax_minor()),
                model_line_total(l.quantity_e4, l.unit_price.minor_e4(), l.tax_rate_ppm)
            );
            net += l.net_minor();
            tax += l.tax_minor();
        }
        prop_assert_eq!(totals.subtotal_minor, net);
        prop_assert_eq!(totals.tax_minor, tax);
        prop_assert_eq!(totals.total_minor, net + tax);
        prop_assert_eq!(
            totals.total_minor,
            lines.iter().map(|l| l.net_minor() + l.tax_minor()).sum::<i64>()
        );
    }

    #[test]
    fn schedules_add_up_and_never_fall_due_before_issue(
        terms in wide_terms(),
        issue in any_date(),
        total in prop_oneof![0i64..=1_000, 0i64..=AMOUNT_MINOR_MAX],
    ) {
        let schedule = terms.schedule(issue, total);
        prop_assert!(!schedule.is_empty());
        prop_assert_eq!(schedule.iter().map(|i| i.amount_minor).sum::<i64>(), total);
        prop_assert!(schedule.iter().all(|i| i.due_date >= issue && i.amount_minor >= 0));
        prop_assert!(schedule.windows(2).all(|w| w[0].due_date < w[1].due_date));
        // Equal parts: the leftover minor units go to the first ones.
        let max = schedule.iter().map(|i| i.amount_minor).max().unwrap();
        let min = schedule.iter().map(|i| i.amount_minor).min().unwrap();
        prop_assert!(max - min <= 1);
        prop_assert!(schedule.windows(2).all(|w| w[0].amount_minor >= w[1].amount_minor));
        match &terms {
            Terms::Installments { days } => {
                prop_assert_eq!(schedule.len(), days.len());
                for (part, d) in schedule.iter().zip(days) {
                    prop_assert_eq!(part.due_date.days_since(issue), *d as i32);
                }
            }
            Terms::DueOnReceipt => prop_assert_eq!(schedule[0].due_date, issue),
            Terms::Net { days } => prop_assert_eq!(schedule[0].due_date.days_since(issue), *days as i32),
            Terms::EndOfMonth { days } => {
                let due = schedule[0].due_date;
                prop_assert_eq!(due.days_since(issue.end_of_month()), *days as i32);
            }
        }
        // The terms print as they parse.
        prop_assert_eq!(Terms::parse(&terms.to_string()).unwrap(), terms);
    }

    #[test]
    fn a_draft_schedules_its_own_total(
        raw in prop::collection::vec(line(), 1..=4),
        terms in wide_terms(),
        issue in any_date(),
        split in prop::collection::vec(0i64..=300_000, 0..=3),
        gaps in prop::collection::vec(-3i32..=40, 4),
    ) {
        let lines: Vec<InvoiceLine> = raw
            .iter()
            .map(|&(q, p, t)| InvoiceLine::new("x", q, p, t).unwrap())
            .collect();
        let total = invoice::totals(&lines).total_minor;
        // An explicit schedule: the given parts plus whatever is left.
        let mut installments: Vec<Installment> = Vec::new();
        let (mut given, mut due) = (0i64, issue);
        for (amount, gap) in split.iter().zip(&gaps) {
            due = due.add_days(*gap);
            installments.push(Installment { due_date: due, amount_minor: *amount });
            given += amount;
        }
        if !installments.is_empty() {
            due = due.add_days(gaps[3]);
            installments.push(Installment { due_date: due, amount_minor: total - given });
        }
        let draft = InvoiceDraft {
            customer_id: 1,
            currency: currencies()[0],
            issue_date: issue,
            terms: terms.clone(),
            description: String::new(),
            lines,
            installments: installments.clone(),
        };
        let result = draft.schedule();
        if installments.is_empty() {
            prop_assert_eq!(result.unwrap(), terms.schedule(issue, total));
        } else {
            let dates_ok = installments[0].due_date >= issue
                && installments.windows(2).all(|w| w[0].due_date < w[1].due_date);
            // A part of a debt is never negative (zero parts are fine: terms
            // split a small total into some).
            let amounts_ok = installments.iter().all(|i| i.amount_minor >= 0);
            prop_assert_eq!(result.is_ok(), dates_ok && amounts_ok, "{:?} for {:?}", result, installments);
            if let Ok(s) = result {
                prop_assert_eq!(s.iter().map(|i| i.amount_minor).sum::<i64>(), total);
                prop_assert!(s.iter().all(|i| i.due_date >= issue));
            }
        }
    }
}
