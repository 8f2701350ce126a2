//! The collection figures (DSO, best possible DSO, average days delinquent,
//! CEI, bad-debt ratio) read from the database; the definitions and the
//! arithmetic are the domain's (`dun_core::figures`).
//!
//! Everything is read in one snapshot, in a few hundred rows whatever the
//! size of the ledger:
//! - **The daily totals** (`daily_totals.rs`, kept with the entries): the
//!   days up to the earliest date asked about summed in SQL, and each day
//!   after it through the latest. AR at any date, a period's credit sales
//!   and write-offs, and the current AR of invoices with one due date come
//!   from them (`dun_core::figures::Totals`). (No entry is ever dated
//!   before its invoice's issue date, so this equals the aging's total and
//!   current bucket as of every date; a test holds them equal.)
//! - **Invoices in installments** open now or moved after the earliest
//!   date, and **payment plans** with the invoices they cover: their
//!   current AR is rebuilt by the domain part by part, as the aging
//!   (`aging.rs`) does.

use std::collections::{BTreeMap, BTreeSet};

use dun_core::collections::plan::Plan;
use dun_core::figures::{self, Figures, Period, Totals};
use dun_core::state::InvoiceState;
use dun_core::{Currency, Date};
use serde::Serialize;

use crate::db::Tx;
use crate::error::StoreError;
use crate::{daily_totals, entries};
use crate::{params, Store};

/// One point of a trend: a period and its figures per currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrendPoint {
    pub period: Period,
    pub figures: Vec<Figures>,
}

/// What the figures of periods ending after `after` are computed from.
struct Gathered {
    totals: Totals,
    /// Invoices in installments open now or moved after `after`.
    split: Vec<InvoiceState>,
    /// Payment plans made by the latest date, and every invoice they cover:
    /// on a date a plan stood, its invoices are current by its installments.
    plans: Vec<Plan>,
    planned: BTreeMap<i64, InvoiceState>,
}

/// Reads the daily totals through `last` (the days up to `after` summed),
/// and what the current AR of invoices in installments and under plans
/// needs.
fn gather(tx: &mut Tx<'_>, org_id: i64, after: Date, last: Date) -> Result<Gathered, StoreError> {
    let mut totals = Totals::new(after);
    let after_day = i64::from(after.day_number());
    let columns = daily_totals::columns(str::to_string);
    tx.query_each(
        &format!(
            "SELECT currency, {} FROM daily_totals WHERE org_id = $1 AND day <= $2
             GROUP BY currency",
            daily_totals::columns(|c| format!("CAST(SUM({c}) AS BIGINT)"))
        ),
        params![org_id, after_day],
        |r| {
            totals.add(
                entries::currency(&r.string(0)?)?,
                after,
                &daily_totals::read(r, 1)?,
            );
            Ok(())
        },
    )?;
    tx.query_each(
        &format!(
            "SELECT currency, day, {columns} FROM daily_totals
             WHERE org_id = $1 AND day > $2 AND day <= $3"
        ),
        params![org_id, after_day, i64::from(last.day_number())],
        |r| {
            totals.add(
                entries::currency(&r.string(0)?)?,
                day(r.i64(1)?),
                &daily_totals::read(r, 2)?,
            );
            Ok(())
        },
    )?;
    // In installments: open now (`invoices_open_split`), or closed since
    // `after` (`invoices_split_by_last_entry`).
    let mut split =
        entries::invoice_states(tx, org_id, "open_minor <> 0 AND installment_count > 1", &[])?;
    split.extend(entries::invoice_states(
        tx,
        org_id,
        "installment_count > 1 AND last_entry_date > $2 AND status <> 'draft'",
        params![after_day],
    )?);
    let plans = crate::plans::domain_plans(tx, org_id, "1 = 1", &[])?;
    let ids: BTreeSet<i64> = plans
        .iter()
        .flat_map(|p| p.invoice_ids.iter().copied())
        .collect();
    let planned = if ids.is_empty() {
        BTreeMap::new()
    } else {
        // Ids the database gave, written as numbers.
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        entries::invoice_states(tx, org_id, &format!("id IN ({})", list.join(", ")), &[])?
    };
    Ok(Gathered {
        totals,
        split: split.into_values().collect(),
        plans,
        planned,
    })
}

/// What the plans standing on `date` move into (or out of) the current
/// AR: their invoices' parts by the installments' dates, less the same
/// parts by the invoices' own dates (which the other sums counted).
fn plan_correction(gathered: &Gathered, currency: Currency, date: Date) -> i64 {
    let mut delta = 0;
    for plan in gathered
        .plans
        .iter()
        .filter(|p| p.currency == currency && p.covers_on(date))
    {
        let states: Vec<&InvoiceState> = plan
            .invoice_ids
            .iter()
            .filter_map(|id| gathered.planned.get(id))
            .filter(|s| s.issue_date <= date)
            .collect();
        let own: i64 = states
            .iter()
            .flat_map(|s| s.open_parts_as_of(date))
            .filter(|part| part.due_date >= date)
            .map(|part| part.amount_minor)
            .sum();
        let open: Vec<(i64, i64)> = states.iter().map(|s| (s.id, s.open_as_of(date))).collect();
        let by_plan: i64 = plan
            .open_parts(&open)
            .iter()
            .filter(|part| part.due_date >= date)
            .map(|part| part.amount_minor)
            .sum();
        delta += by_plan - own;
    }
    delta
}

fn day(number: i64) -> Date {
    Date::from_day_number(number as i32)
}

/// AR not past due at the end of `date` (the aging's `current` bucket).
fn current_ar(gathered: &Gathered, currency: Currency, date: Date) -> i64 {
    let split: i64 = gathered
        .split
        .iter()
        .filter(|s| s.currency == currency && s.issue_date <= date)
        .flat_map(|s| s.open_parts_as_of(date))
        .filter(|part| part.due_date >= date)
        .map(|part| part.amount_minor)
        .sum();
    gathered.totals.current_as_of(currency, date)
        + split
        + plan_correction(gathered, currency, date)
}

fn figures_of(
    tx: &mut Tx<'_>,
    org_id: i64,
    periods: &[Period],
) -> Result<Vec<TrendPoint>, StoreError> {
    let Some(after) = periods.iter().map(Period::day_before).min() else {
        return Ok(Vec::new());
    };
    let last = periods.iter().map(|p| p.end).max().unwrap_or(after);
    let gathered = gather(tx, org_id, after, last)?;
    let currencies: BTreeSet<Currency> = gathered.totals.currencies();
    Ok(periods
        .iter()
        .map(|period| {
            let figures = currencies
                .iter()
                .map(|c| {
                    let current = current_ar(&gathered, *c, period.end);
                    gathered.totals.inputs(*c, *period, current)
                })
                .filter(figures::has_activity)
                .map(|inputs| figures::compute(&inputs))
                .collect();
            TrendPoint {
                period: *period,
                figures,
            }
        })
        .collect())
}

fn invalid(e: figures::PeriodError) -> StoreError {
    StoreError::Invalid(e.to_string())
}

impl Store {
    /// The figures of the `period_days` days ending on `period_end`
    /// (inclusive), one per currency with anything to report.
    pub fn figures(
        &mut self,
        org_id: i64,
        period_end: Date,
        period_days: u32,
    ) -> Result<Vec<Figures>, StoreError> {
        let period = Period::new(period_end, period_days).map_err(invalid)?;
        let mut tx = self.conn().read_transaction()?;
        let mut points = figures_of(&mut tx, org_id, &[period])?;
        Ok(points.pop().map(|p| p.figures).unwrap_or_default())
    }

    /// `points` periods of `period_days` days whose ends are `step_days`
    /// apart, the last ending on `end`, oldest first (e.g. 12 points 30
    /// days apart, each a rolling 90-day figure), read in one snapshot.
    pub fn figures_trend(
        &mut self,
        org_id: i64,
        end: Date,
        period_days: u32,
        points: u32,
        step_days: u32,
    ) -> Result<Vec<TrendPoint>, StoreError> {
        let periods = Period::trend(end, period_days, points, step_days).map_err(invalid)?;
        let mut tx = self.conn().read_transaction()?;
        figures_of(&mut tx, org_id, &periods)
    }
}
