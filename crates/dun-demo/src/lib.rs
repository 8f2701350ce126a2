//! A realistic demo book for Dun, generated from a seed.
//!
//! A newcomer should meet a living ledger — customers who pay on time,
//! late, partly or not at all, and an aging with something in every
//! bucket — and the benchmarks need the same book at any size. This crate
//! makes that book as plain import rows ([`CustomerRow`], [`InvoiceRow`],
//! [`PaymentRow`]), so it enters the product through the same door as a
//! customer's own history and exercises the importer on the way.
//!
//! *Architecture invariant:* the same [`DemoSpec`] gives the same
//! [`DemoBook`], on every machine, forever: the random numbers come from a
//! generator written in this crate, and nothing reads a clock. A change to
//! the output is a deliberate change to the `seed_42_book_is_pinned` test.
//!
//! *Architecture invariant:* the payment rows import cleanly: they are in
//! date order, never dated after `end_date` or before the invoice they pay,
//! and a row naming an invoice never pays more than is open on it. Rows
//! without an invoice number are planned with the importer's own rule
//! (oldest due first), so they land exactly on the invoices they mean.

use serde::{Deserialize, Serialize};

use dun_core::date::Date;
use dun_core::import::{CustomerRow, InvoiceRow, PaymentRow};
use dun_core::Currency;

mod customers;
mod invoices;
mod payments;
mod rng;
mod words;

#[cfg(test)]
mod tests;

/// Years of history a demo book covers unless asked otherwise: enough for
/// year-on-year figures and for every aging bucket to fill.
pub const DEFAULT_YEARS: u32 = 2;
/// Most years of history a demo may ask for; dates must stay in range.
pub const YEARS_MAX: u32 = 50;
/// Invoices per customer over the period when only a size is given.
pub const INVOICES_PER_CUSTOMER: usize = 40;
/// Fewest customers [`DemoSpec::for_invoices`] chooses: one per habit.
pub const CUSTOMERS_MIN: usize = 5;
/// Most customers [`DemoSpec::for_invoices`] chooses.
pub const CUSTOMERS_MAX: usize = 50_000;
/// A [`Habit::New`] customer's first invoice falls within this many days of the end.
pub const NEW_CUSTOMER_WINDOW_DAYS: i32 = 60;

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoSpec {
    /// With invoices to issue, at least one customer is made.
    pub customers: usize,
    pub invoices: usize,
    pub seed: u64,
    /// The last day of the book: the "today" its aging is meant to be read on.
    pub end_date: Date,
    /// The organisation's currency; about 3 % of customers are billed in a
    /// second one (EUR, or USD for a EUR book).
    pub currency: Currency,
    /// Years of history ending at `end_date`; taken as 1 to [`YEARS_MAX`].
    pub years: u32,
}

impl DemoSpec {
    /// A book of `invoices` invoices with a believable number of customers
    /// (one per [`INVOICES_PER_CUSTOMER`] invoices, within
    /// [`CUSTOMERS_MIN`]..=[`CUSTOMERS_MAX`]), seed 0 and [`DEFAULT_YEARS`].
    pub fn for_invoices(invoices: usize, end_date: Date, currency: Currency) -> DemoSpec {
        DemoSpec {
            customers: (invoices / INVOICES_PER_CUSTOMER).clamp(CUSTOMERS_MIN, CUSTOMERS_MAX),
            invoices,
            seed: 0,
            end_date,
            currency,
            years: DEFAULT_YEARS,
        }
    }
}

/// How a customer pays. The import rows have no place for it, so it is
/// returned beside them ([`DemoBook::customer_habits`]) with a note
/// ([`Habit::note`]) a caller may attach to the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Habit {
    /// Pays on or before the due date.
    Prompt,
    /// Pays 5 to 25 days late.
    Slow,
    /// Pays 30 to 120 days late, often in parts, sometimes never the rest.
    ChronicLate,
    /// Disputes some invoices: those stay open or are paid months late.
    Disputer,
    /// A customer whose first invoice is in the last
    /// [`NEW_CUSTOMER_WINDOW_DAYS`] days; pays around the due date.
    New,
}

impl Habit {
    pub const ALL: [Habit; 5] = [
        Habit::Prompt,
        Habit::Slow,
        Habit::ChronicLate,
        Habit::Disputer,
        Habit::New,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Habit::Prompt => "prompt",
            Habit::Slow => "slow",
            Habit::ChronicLate => "chronic_late",
            Habit::Disputer => "disputer",
            Habit::New => "new",
        }
    }

    /// A sentence for the customer's notes, so a demo user sees why the
    /// customer behaves as it does.
    pub fn note(self) -> &'static str {
        match self {
            Habit::Prompt => "Demo customer: pays on or before the due date.",
            Habit::Slow => "Demo customer: usually pays 5 to 25 days late.",
            Habit::ChronicLate => "Demo customer: pays 30 to 120 days late, often in parts.",
            Habit::Disputer => {
                "Demo customer: disputes some invoices; those stay open or are paid months late."
            }
            Habit::New => "Demo customer: new this quarter.",
        }
    }
}

/// The generated book, as rows ready for the importer: customers first,
/// then invoices, then payments. Each kind's `row` counts from 2, as if it
/// were its own file under a header line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoBook {
    pub customers: Vec<CustomerRow>,
    pub invoices: Vec<InvoiceRow>,
    pub payments: Vec<PaymentRow>,
    /// The habit of `customers[i]`.
    pub customer_habits: Vec<Habit>,
}

/// The days a book covers, both ends included.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Period {
    pub(crate) start: Date,
    pub(crate) end: Date,
    pub(crate) days: i32,
}

impl Period {
    fn ending(end: Date, years: u32) -> Period {
        let years = years.clamp(1, YEARS_MAX) as i32;
        let start = end.add_months(-12 * years).add_days(1);
        Period {
            start,
            end,
            days: end.days_since(start) + 1,
        }
    }
}

/// Makes the book `spec` describes. A million invoices take about two
/// seconds (release build) and 700 MB, nearly all of it the rows' own
/// strings and lines.
pub fn generate(spec: &DemoSpec) -> DemoBook {
    let period = Period::ending(spec.end_date, spec.years);
    let customer_count = if spec.invoices > 0 {
        spec.customers.max(1)
    } else {
        spec.customers
    };
    let (mut customers, plans) =
        customers::generate(spec.seed, customer_count, &period, spec.currency);
    let (invoices, facts) =
        invoices::generate(spec.seed, spec.invoices, &period, &plans, &customers);
    customers::set_credit_limits(&mut customers, &plans, &facts, period.end);
    let payments = payments::generate(spec.seed, &period, &plans, &customers, &invoices, &facts);
    DemoBook {
        customer_habits: plans.iter().map(|p| p.habit).collect(),
        customers,
        invoices,
        payments,
    }
}

/// Converts hundredths of a "dollar-like" unit into minor units of a
/// currency with `exponent` decimals. Zero-decimal currencies (JPY, KRW)
/// get one unit per hundredth, so ¥ amounts look like yen prices rather
/// than a hundredth of them.
pub(crate) fn cents_to_minor(cents: i64, exponent: u8) -> i64 {
    match exponent {
        0 => cents,
        1 => cents / 10,
        e => cents * 10_i64.pow(u32::from(e) - 2),
    }
}
