//! Customers: who they are (the import row) and how they behave (the plan).

use dun_core::date::Date;
use dun_core::import::CustomerRow;
use dun_core::terms::Terms;
use dun_core::Currency;

use crate::invoices::InvoiceFacts;
use crate::rng::Rng;
use crate::words::{
    CATALOGUE, MAILBOXES, METHOD_WEIGHTS, NAME_COMBINATIONS, NAME_FIRST, NAME_FORM, NAME_TRADE,
    TOWNS,
};
use crate::{cents_to_minor, Habit, Period, NEW_CUSTOMER_WINDOW_DAYS};

/// Random stream of the customers, apart from the invoices' and payments'.
const STREAM: u64 = 1;

/// How often each habit occurs, in [`Habit::ALL`] order.
const HABIT_WEIGHTS: [u32; 5] = [42, 28, 12, 8, 10];
/// Percent of established customers already trading when the book begins.
const FOUNDING_PERCENT: u64 = 40;
/// Established customers start at least this long before the end, so only
/// [`Habit::New`] customers look new.
const ESTABLISHED_BEFORE_END_DAYS: i32 = 90;
/// Percent of customers billed in the book's second currency.
const SECOND_CURRENCY_PERCENT: u64 = 3;
/// Largest activity weight: the biggest customer buys about this many
/// times as often as the smallest.
const WEIGHT_MAX: f64 = 60.0;
/// Percent of customers without a credit limit on file.
const NO_LIMIT_PERCENT: u64 = 10;
/// A credit limit covers this many months of the customer's billing, and
/// how often each is chosen. Slow payers outgrow one month's cover, chronic
/// late payers any of them: a demo should show customers over their limit.
const LIMIT_COVER_MONTHS: [i64; 3] = [1, 2, 3];
const LIMIT_COVER_WEIGHTS: [u32; 3] = [20, 50, 30];
/// Smallest credit limit given, in whole currency units.
const LIMIT_UNITS_MIN: i64 = 1_000;
/// Average days in a month, ×100, for turning days of trading into months.
const MONTH_DAYS_E2: i64 = 3_044;
/// Percent without a phone number or e-mail address on file.
const NO_PHONE_PERCENT: u64 = 8;
const NO_EMAIL_PERCENT: u64 = 3;
/// Standard tax rates a customer may be charged, in parts per million, and
/// how often each occurs (0 % for exempt customers and exports).
const TAX_RATES_PPM: [i64; 4] = [200_000, 100_000, 50_000, 0];
const TAX_RATE_WEIGHTS: [u32; 4] = [45, 25, 15, 15];
/// How many neighbouring catalogue items a customer usually buys.
pub(crate) const CATALOGUE_WINDOW: usize = 12;

/// How one customer behaves, which the rows do not say.
pub(crate) struct CustomerPlan {
    pub(crate) habit: Habit,
    pub(crate) terms: Terms,
    pub(crate) currency: Currency,
    /// Rate on lines that are not zero-rated.
    pub(crate) tax_rate_ppm: i64,
    /// Index into [`crate::words::METHODS`] of the usual payment method.
    pub(crate) method: usize,
    /// Relative share of the invoices while active.
    pub(crate) weight: u32,
    /// First catalogue item of the range the customer buys from.
    pub(crate) catalogue_offset: usize,
    /// The day the customer starts trading.
    pub(crate) start: Date,
    /// Months of billing the credit limit covers; `None` when no limit is on file.
    pub(crate) limit_cover_months: Option<i64>,
}

/// Makes `count` customers, ordered by the day they start trading, so the
/// oldest customers have the lowest references.
pub(crate) fn generate(
    seed: u64,
    count: usize,
    period: &Period,
    book_currency: Currency,
) -> (Vec<CustomerRow>, Vec<CustomerPlan>) {
    let mut rng = Rng::new(seed, STREAM);
    let second_currency = Currency::parse(if book_currency.code() == "EUR" {
        "USD"
    } else {
        "EUR"
    })
    .expect("EUR and USD are ISO 4217 codes");
    let mut plans: Vec<CustomerPlan> = (0..count)
        .map(|i| {
            // The first five cover every habit, so any book of five or more
            // customers shows them all.
            let habit = match Habit::ALL.get(i) {
                Some(habit) => *habit,
                None => Habit::ALL[rng.weighted(&HABIT_WEIGHTS)],
            };
            plan(&mut rng, i, habit, period, book_currency, second_currency)
        })
        .collect();
    plans.sort_by_key(|p| p.start);

    // An odd stride walks all 2^15 name combinations before repeating one.
    const _: () = assert!(NAME_COMBINATIONS.is_power_of_two());
    let stride = rng.below(NAME_COMBINATIONS as u64 / 2) as usize * 2 + 1;
    let offset = rng.below(NAME_COMBINATIONS as u64) as usize;
    let rows = plans
        .iter()
        .enumerate()
        .map(|(i, plan)| {
            let combination = ((i % NAME_COMBINATIONS) * stride + offset) % NAME_COMBINATIONS;
            let (first, trade, form) = (
                NAME_FIRST[combination % NAME_FIRST.len()],
                NAME_TRADE[(combination / NAME_FIRST.len()) % NAME_TRADE.len()],
                NAME_FORM[combination / (NAME_FIRST.len() * NAME_TRADE.len())],
            );
            let cycle = i / NAME_COMBINATIONS;
            let name = match cycle {
                0 => format!("{first} {trade} {form}"),
                c if c <= TOWNS.len() => format!("{first} {trade} {form} ({})", TOWNS[c - 1]),
                c => format!(
                    "{first} {trade} {form} ({} {c})",
                    TOWNS[(c - 1) % TOWNS.len()]
                ),
            };
            let email = (!rng.percent(NO_EMAIL_PERCENT)).then(|| email(&mut rng, first, trade));
            let phone = (!rng.percent(NO_PHONE_PERCENT))
                .then(|| format!("+1 {} 555 01{:02}", rng.range(201, 989), rng.below(100)));
            CustomerRow {
                row: i + 2,
                reference: format!("C{:05}", i + 1),
                name,
                email,
                phone,
                // Set from the invoices by `set_credit_limits`.
                credit_limit_minor: None,
                terms: Some(plan.terms.clone()),
                notes: None,
                payment_methods: None,
            }
        })
        .collect();
    (rows, plans)
}

fn plan(
    rng: &mut Rng,
    index: usize,
    habit: Habit,
    period: &Period,
    book_currency: Currency,
    second_currency: Currency,
) -> CustomerPlan {
    let start = if habit == Habit::New {
        let window_days = NEW_CUSTOMER_WINDOW_DAYS.min(period.days);
        period.end.add_days(-(rng.below(window_days as u64) as i32))
    } else if index == 0 || rng.percent(FOUNDING_PERCENT) {
        // Customer 0 is always trading from the first day, so the first
        // invoice has someone to go to.
        period.start
    } else {
        let span_days = (period.days - ESTABLISHED_BEFORE_END_DAYS).max(1);
        period.start.add_days(rng.below(span_days as u64) as i32)
    };
    let terms = match rng.weighted(&[40, 15, 15, 15, 8, 7]) {
        0 => Terms::Net { days: 30 },
        1 => Terms::Net { days: 15 },
        2 => Terms::Net { days: 45 },
        3 => Terms::EndOfMonth { days: 15 },
        4 => Terms::Net { days: 60 },
        _ => Terms::DueOnReceipt,
    };
    let foreign = rng.percent(SECOND_CURRENCY_PERCENT);
    let u = rng.unit();
    CustomerPlan {
        habit,
        terms,
        currency: if foreign {
            second_currency
        } else {
            book_currency
        },
        // Customers abroad are billed without tax (reverse charge).
        tax_rate_ppm: if foreign {
            0
        } else {
            TAX_RATES_PPM[rng.weighted(&TAX_RATE_WEIGHTS)]
        },
        method: rng.weighted(&METHOD_WEIGHTS),
        // Cubing a uniform fraction gives many small customers and a few large ones.
        weight: 1 + (u * u * u * WEIGHT_MAX) as u32,
        catalogue_offset: rng.below(CATALOGUE.len() as u64) as usize,
        start,
        limit_cover_months: (!rng.percent(NO_LIMIT_PERCENT))
            .then(|| LIMIT_COVER_MONTHS[rng.weighted(&LIMIT_COVER_WEIGHTS)]),
    }
}

/// Gives each customer a credit limit sized to what it is billed: a few
/// months of its average monthly billing, rounded up to a figure a person
/// would set (1, 2, 2.5 or 5 × a power of ten).
pub(crate) fn set_credit_limits(
    rows: &mut [CustomerRow],
    plans: &[CustomerPlan],
    facts: &[InvoiceFacts],
    end: Date,
) {
    let mut billed_minor = vec![0i64; rows.len()];
    let mut first_invoiced: Vec<Option<Date>> = vec![None; rows.len()];
    for f in facts {
        billed_minor[f.customer] += f.total_minor;
        first_invoiced[f.customer].get_or_insert(f.issue_date);
    }
    for (c, row) in rows.iter_mut().enumerate() {
        let plan = &plans[c];
        row.credit_limit_minor = plan.limit_cover_months.map(|cover_months| {
            let trading_days =
                first_invoiced[c].map_or(0, |first| i64::from(end.days_since(first)) + 1);
            let months_e2 = (trading_days * 100 * 100 / MONTH_DAYS_E2).max(100);
            let monthly_minor = billed_minor[c] * 100 / months_e2;
            let unit_minor = cents_to_minor(100, plan.currency.exponent());
            round_up_limit_units(monthly_minor * cover_months / unit_minor) * unit_minor
        });
    }
}

/// The smallest of 1, 2, 2.5 or 5 × 10^k units that is at least `units`
/// (and at least [`LIMIT_UNITS_MIN`]).
fn round_up_limit_units(units: i64) -> i64 {
    let mut power = LIMIT_UNITS_MIN;
    loop {
        for candidate in [power, power * 2, power * 5 / 2, power * 5] {
            if candidate >= units {
                return candidate;
            }
        }
        power *= 10;
    }
}

/// `accounts@harbor-bakery.example`: a reserved domain, never a real one.
fn email(rng: &mut Rng, first: &str, trade: &str) -> String {
    let mailbox = rng.pick(&MAILBOXES);
    let mut email = String::with_capacity(mailbox.len() + first.len() + trade.len() + 10);
    email.push_str(mailbox);
    email.push('@');
    for (i, word) in [first, trade].iter().enumerate() {
        if i > 0 {
            email.push('-');
        }
        for c in word.chars() {
            match c {
                c if c.is_ascii_alphanumeric() => email.push(c.to_ascii_lowercase()),
                ' ' => email.push('-'),
                _ => {}
            }
        }
    }
    email.push_str(".example");
    email
}
