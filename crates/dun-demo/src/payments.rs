//! Payments: each customer's habit turned into dated payment rows.
//!
//! Planning and paying are two passes. First every invoice gets the
//! payments its customer's habit would make (dates only, amounts as "what
//! is open" or a share). Then the plans are played in date order against a
//! running open amount per invoice, which is what keeps a row from paying
//! more than is open, and lets rows without an invoice number be allocated
//! oldest due first exactly as the importer will.

use dun_core::date::Date;
use dun_core::import::{CustomerRow, InvoiceRow, PaymentRow};

use crate::customers::CustomerPlan;
use crate::invoices::InvoiceFacts;
use crate::rng::Rng;
use crate::words::METHODS;
use crate::{Habit, Period};

/// Random stream of the payments.
const STREAM: u64 = 3;
/// Percent of payments made with a method other than the customer's usual one.
const OTHER_METHOD_PERCENT: u64 = 10;
/// Longest a prompt payer pays ahead of the due date.
const PROMPT_EARLY_DAYS_MAX: i32 = 10;
/// Only invoices due within this many days of the end are left unpaid for
/// good. Older disputes and unpaid remainders were settled in the book's
/// history, as a business settles or writes them off within the year, so
/// the 90+ bucket shows this year's problems rather than two years' pile.
const UNSETTLED_WITHIN_DAYS: i32 = 270;

/// One payment a customer means to make.
struct Planned {
    date: Date,
    /// The invoice whose plan this is.
    invoice: u32,
    /// Tells apart the payments planned for one invoice.
    part: u8,
    kind: Kind,
}

enum Kind {
    /// Names the invoice and pays `amount_minor` of it, or all that is open when 0.
    Named { amount_minor: i64 },
    /// Pays, without naming invoices, everything open up to this invoice
    /// and whatever else has fallen due by the payment date.
    Statement,
    /// Pays a round sum "on account", without naming invoices.
    OnAccount { amount_minor: i64 },
}

/// Every payment the book's customers make up to its end date.
pub(crate) fn generate(
    seed: u64,
    period: &Period,
    plans: &[CustomerPlan],
    customers: &[CustomerRow],
    invoices: &[InvoiceRow],
    facts: &[InvoiceFacts],
) -> Vec<PaymentRow> {
    let mut rng = Rng::new(seed, STREAM);
    let mut planned = Vec::with_capacity(facts.len() + facts.len() / 4);
    for (index, invoice) in facts.iter().enumerate() {
        let plan = &plans[invoice.customer];
        let unit_minor = 10_i64.pow(u32::from(plan.currency.exponent()));
        let settles_in_the_end = invoice.due_date < period.end.add_days(-UNSETTLED_WITHIN_DAYS);
        plan_invoice(
            &mut rng,
            plan.habit,
            index as u32,
            invoice,
            unit_minor,
            settles_in_the_end,
            &mut planned,
        );
    }
    // Paid after the end of the book means not paid yet: the invoice stays
    // open and gives the aging its current and recent buckets.
    planned.retain(|p| p.date <= period.end);
    planned.sort_unstable_by_key(|p| (p.date, p.invoice, p.part));

    let mut ledger = OpenLedger::new(plans.len(), facts);
    let mut rows = Vec::with_capacity(planned.len());
    for p in &planned {
        let invoice = p.invoice as usize;
        let customer = facts[invoice].customer;
        let (amount_minor, named) = match p.kind {
            Kind::Named { amount_minor } => {
                let open_minor = ledger.open_minor[invoice];
                let pay_minor = if amount_minor == 0 {
                    open_minor
                } else {
                    amount_minor.min(open_minor)
                };
                ledger.open_minor[invoice] -= pay_minor;
                (pay_minor, Some(invoice))
            }
            Kind::Statement => (
                ledger.oldest_first(facts, customer, i64::MAX, invoice, p.date),
                None,
            ),
            Kind::OnAccount { amount_minor } => (
                ledger.oldest_first(facts, customer, amount_minor, invoice, p.date),
                None,
            ),
        };
        if amount_minor <= 0 {
            // Already settled by an earlier payment.
            continue;
        }
        let plan = &plans[customer];
        let method = if rng.percent(OTHER_METHOD_PERCENT) {
            *rng.pick(&METHODS)
        } else {
            METHODS[plan.method]
        };
        rows.push(PaymentRow {
            row: rows.len() + 2,
            received_date: p.date,
            customer_ref: customers[customer].reference.clone(),
            amount_minor,
            currency: plan.currency,
            method: method.to_string(),
            reference: format!("PMT-{:07}", rows.len() + 1),
            invoice_number: named.map(|i| invoices[i].number.clone()),
        });
    }
    rows
}

/// Adds the payments `habit` makes on one invoice to `planned`. When
/// `settles_in_the_end`, what would stay unpaid for good is paid months late.
fn plan_invoice(
    rng: &mut Rng,
    habit: Habit,
    index: u32,
    invoice: &InvoiceFacts,
    unit_minor: i64,
    settles_in_the_end: bool,
    planned: &mut Vec<Planned>,
) {
    let due = invoice.due_date;
    // Nobody pays before receiving the invoice.
    let on = |delay_days: i64| due.add_days(delay_days as i32).max(invoice.issue_date);
    let mut add = |date: Date, part: u8, kind: Kind| {
        planned.push(Planned {
            date,
            invoice: index,
            part,
            kind,
        })
    };
    let full = Kind::Named { amount_minor: 0 };
    let share = |rng: &mut Rng, low_percent: i64, high_percent: i64| {
        round_share_minor(
            invoice.total_minor,
            rng.range(low_percent, high_percent),
            unit_minor,
        )
    };
    let roll = rng.below(100);
    match habit {
        Habit::Prompt => {
            let slack_days = due
                .days_since(invoice.issue_date)
                .clamp(0, PROMPT_EARLY_DAYS_MAX);
            let early_days = -rng.range(0, i64::from(slack_days));
            match roll {
                0..8 => add(on(early_days), 0, Kind::Statement),
                8..12 => {
                    let amount_minor = share(rng, 40, 60);
                    add(on(early_days), 0, Kind::Named { amount_minor });
                    add(on(0), 1, full);
                }
                _ => add(on(early_days), 0, full),
            }
        }
        Habit::Slow => {
            let delay_days = rng.range(5, 25);
            match roll {
                0..8 => add(on(delay_days), 0, Kind::Statement),
                8..13 => {
                    let amount_minor = share(rng, 50, 80);
                    add(on(delay_days), 0, Kind::Named { amount_minor });
                    add(on(delay_days + rng.range(10, 30)), 1, full);
                }
                _ => add(on(delay_days), 0, full),
            }
        }
        Habit::ChronicLate => match roll {
            0..45 => {
                let first_days = rng.range(30, 90);
                let amount_minor = share(rng, 25, 75);
                add(on(first_days), 0, Kind::Named { amount_minor });
                // One in five never pays the rest, or only months later.
                if rng.percent(80) {
                    add(on(first_days + rng.range(15, 60)), 1, full);
                } else if settles_in_the_end {
                    add(on(first_days + rng.range(120, 240)), 1, full);
                }
            }
            45..55 => {
                let amount_minor = share(rng, 30, 100);
                add(on(rng.range(30, 120)), 0, Kind::OnAccount { amount_minor });
            }
            _ => add(on(rng.range(30, 120)), 0, full),
        },
        Habit::Disputer => match roll {
            // Disputed: half are never paid, half months late.
            0..12 if !settles_in_the_end => {}
            0..25 => add(on(rng.range(90, 240)), 0, full),
            _ => add(on(rng.range(0, 20)), 0, full),
        },
        Habit::New => {
            let delay_days = rng.range(-5, 10);
            match roll {
                0..5 => add(on(delay_days), 0, Kind::Statement),
                _ => add(on(delay_days), 0, full),
            }
        }
    }
}

/// `percent` of `total_minor`, rounded down to whole currency units as
/// people pay part of a bill; 0 (pay it all) when that leaves nothing to
/// pay or nothing over.
fn round_share_minor(total_minor: i64, percent: i64, unit_minor: i64) -> i64 {
    let exact_minor = total_minor * percent / 100;
    let rounded_minor = if exact_minor >= unit_minor {
        exact_minor / unit_minor * unit_minor
    } else {
        exact_minor
    };
    if rounded_minor <= 0 || rounded_minor >= total_minor {
        0
    } else {
        rounded_minor
    }
}

/// What is open on each invoice as the payments are played, with each
/// customer's invoices in issue order.
struct OpenLedger {
    open_minor: Vec<i64>,
    /// `by_customer[starts[c]..starts[c + 1]]` are customer `c`'s invoices.
    starts: Vec<usize>,
    by_customer: Vec<u32>,
    /// Per customer, the position in its list before which all is paid.
    first_open: Vec<usize>,
}

impl OpenLedger {
    fn new(customer_count: usize, facts: &[InvoiceFacts]) -> OpenLedger {
        let mut starts = vec![0; customer_count + 1];
        for f in facts {
            starts[f.customer + 1] += 1;
        }
        for c in 0..customer_count {
            starts[c + 1] += starts[c];
        }
        let mut filled = starts.clone();
        let mut by_customer = vec![0; facts.len()];
        for (i, f) in facts.iter().enumerate() {
            by_customer[filled[f.customer]] = i as u32;
            filled[f.customer] += 1;
        }
        OpenLedger {
            open_minor: facts.iter().map(|f| f.total_minor).collect(),
            first_open: starts[..customer_count].to_vec(),
            starts,
            by_customer,
        }
    }

    /// Pays up to `budget_minor` of `customer`'s invoices oldest due first,
    /// the importer's rule for a payment that names no invoice, and returns
    /// what was paid. It covers the invoices up to `through` and those
    /// issued and due by `date`, no further.
    ///
    /// A customer keeps one set of terms, so issue order is due order (ties
    /// broken by issue date, then number) — the importer's order. Stopping
    /// short of the budget is safe because the payment is then for exactly
    /// what was paid, so the importer runs out at the same invoice.
    fn oldest_first(
        &mut self,
        facts: &[InvoiceFacts],
        customer: usize,
        budget_minor: i64,
        through: usize,
        date: Date,
    ) -> i64 {
        let end = self.starts[customer + 1];
        let mut position = self.first_open[customer];
        while position < end && self.open_minor[self.by_customer[position] as usize] == 0 {
            position += 1;
        }
        self.first_open[customer] = position;
        let mut paid_minor = 0;
        while position < end && paid_minor < budget_minor {
            let invoice = self.by_customer[position] as usize;
            let f = &facts[invoice];
            if invoice > through && (f.issue_date > date || f.due_date > date) {
                break;
            }
            let pay_minor = self.open_minor[invoice].min(budget_minor - paid_minor);
            self.open_minor[invoice] -= pay_minor;
            paid_minor += pay_minor;
            position += 1;
        }
        paid_minor
    }
}
