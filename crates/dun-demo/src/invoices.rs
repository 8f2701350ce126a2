//! Invoices: issue dates over the period, a customer for each, itemized lines.

use dun_core::date::Date;
use dun_core::import::{CustomerRow, InvoiceRow};
use dun_core::invoice::{totals, InvoiceLine};

use crate::customers::{CustomerPlan, CATALOGUE_WINDOW};
use crate::rng::Rng;
use crate::words::{Quantity, CATALOGUE, MONTHS};
use crate::{cents_to_minor, Period};

/// Random stream of the invoices.
const STREAM: u64 = 2;
/// How often an invoice has 1, 2, 3 or 4 lines.
const LINE_COUNT_WEIGHTS: [u32; 4] = [40, 30, 20, 10];
/// Percent of lines for something outside the customer's usual range.
const UNUSUAL_ITEM_PERCENT: u64 = 10;
/// Percent of invoices that quote the customer's purchase order.
const PURCHASE_ORDER_PERCENT: u64 = 40;
/// Quantity of 1, ×10^4.
const QUANTITY_ONE_E4: i64 = 10_000;

/// What the payment planner needs of an invoice, without its strings.
pub(crate) struct InvoiceFacts {
    /// Index into the customers.
    pub(crate) customer: usize,
    pub(crate) issue_date: Date,
    pub(crate) due_date: Date,
    pub(crate) total_minor: i64,
}

/// Makes `count` invoices numbered in issue-date order. Activity grows over
/// the period (the last day sees twice the invoices of the first), falls on
/// weekdays, and each customer's first invoice follows its start day.
pub(crate) fn generate(
    seed: u64,
    count: usize,
    period: &Period,
    plans: &[CustomerPlan],
    customers: &[CustomerRow],
) -> (Vec<InvoiceRow>, Vec<InvoiceFacts>) {
    let mut rng = Rng::new(seed, STREAM);
    let mut rows = Vec::with_capacity(count);
    let mut facts = Vec::with_capacity(count);
    if plans.is_empty() {
        return (rows, facts);
    }
    // Running sums of the weights, in start order: the customers trading
    // on a day are a prefix, and one is drawn by binary search.
    let cumulative_weights: Vec<u64> = plans
        .iter()
        .scan(0u64, |sum, p| {
            *sum += u64::from(p.weight);
            Some(*sum)
        })
        .collect();
    let mut active = 0;
    let mut first_not_invoiced = 0;
    for k in 0..count {
        let issue_date = draw_issue_date(&mut rng, k, count, period);
        while active < plans.len() && plans[active].start <= issue_date {
            active += 1;
        }
        // A customer who has just started gets the next invoice, so every
        // customer (the new ones especially) has history.
        let customer = if first_not_invoiced < active {
            first_not_invoiced += 1;
            first_not_invoiced - 1
        } else {
            let ticket = rng.below(cumulative_weights[active - 1]);
            cumulative_weights[..active].partition_point(|sum| *sum <= ticket)
        };
        let plan = &plans[customer];
        let lines = lines(&mut rng, plan);
        let total_minor = totals(&lines).total_minor;
        let due_date = plan.terms.schedule(issue_date, total_minor)[0].due_date;
        let description = if rng.percent(PURCHASE_ORDER_PERCENT) {
            format!("Purchase order PO-{:05}", rng.below(100_000))
        } else {
            let (year, month, _) = issue_date.ymd();
            format!(
                "{} {year}: {}",
                MONTHS[month as usize - 1],
                lines[0].description
            )
        };
        rows.push(InvoiceRow {
            row: k + 2,
            number: format!("INV-{:06}", k + 1),
            customer_ref: customers[customer].reference.clone(),
            issue_date,
            due_date,
            currency: plan.currency,
            description,
            lines,
        });
        facts.push(InvoiceFacts {
            customer,
            issue_date,
            due_date,
            total_minor,
        });
    }
    (rows, facts)
}

/// The issue date of invoice `k` of `count`. Stratified sampling (one draw
/// inside each of `count` equal slices) yields the dates already sorted,
/// and inverting the cumulative share of a density rising from 1 to 2
/// (`(t + t²/2) / 1.5`) spreads them with more recent activity.
fn draw_issue_date(rng: &mut Rng, k: usize, count: usize, period: &Period) -> Date {
    let share = (k as f64 + rng.unit()) / count as f64;
    let t = (1.0 + 3.0 * share).sqrt() - 1.0;
    let offset_days = ((t * f64::from(period.days)) as i32).clamp(0, period.days - 1);
    let date = period.start.add_days(offset_days);
    // Saturday moves back to Friday, Sunday on to Monday; both moves keep
    // the dates in order. Day 0 (1970-01-01) was a Thursday.
    let weekday = (date.day_number() + 3).rem_euclid(7);
    let date = match weekday {
        5 => date.add_days(-1),
        6 => date.add_days(1),
        _ => date,
    };
    date.clamp(period.start, period.end)
}

fn lines(rng: &mut Rng, plan: &CustomerPlan) -> Vec<InvoiceLine> {
    let count = 1 + rng.weighted(&LINE_COUNT_WEIGHTS);
    let exponent = plan.currency.exponent();
    (0..count)
        .map(|_| {
            let index = if rng.percent(UNUSUAL_ITEM_PERCENT) {
                rng.below(CATALOGUE.len() as u64) as usize
            } else {
                (plan.catalogue_offset + rng.below(CATALOGUE_WINDOW as u64) as usize)
                    % CATALOGUE.len()
            };
            let item = &CATALOGUE[index];
            let quantity_e4 = match item.quantity {
                Quantity::One => QUANTITY_ONE_E4,
                // Mostly short jobs, sometimes a long one.
                Quantity::Hours if rng.percent(75) => rng.range(1, 16) * 2_500,
                Quantity::Hours => rng.range(1, 160) * 2_500,
                Quantity::Units if rng.percent(75) => rng.range(1, 10) * QUANTITY_ONE_E4,
                Quantity::Units => rng.range(1, 50) * QUANTITY_ONE_E4,
                Quantity::Measured => rng.range(5, 1_200) * 1_000,
            };
            let price_cents =
                nice_price_cents(rng.range(item.price_cents_min, item.price_cents_max));
            let tax_rate_ppm = if item.zero_rated {
                0
            } else {
                plan.tax_rate_ppm
            };
            InvoiceLine::new(
                item.description,
                quantity_e4,
                cents_to_minor(price_cents, exponent),
                tax_rate_ppm,
            )
            .expect("catalogue prices and quantities are positive and far below the limits")
        })
        .collect()
}

/// Rounds a price the way price lists do: large ones to 5.00, middling ones
/// to 0.50, small ones to 0.05.
fn nice_price_cents(cents: i64) -> i64 {
    let step = match cents {
        10_000.. => 500,
        1_000.. => 50,
        _ => 5,
    };
    (cents / step * step).max(step)
}
