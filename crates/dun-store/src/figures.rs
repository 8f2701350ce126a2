//! The collection figures (DSO, best possible DSO, average days delinquent,
//! CEI, bad-debt ratio) read from the database; the definitions and the
//! arithmetic are the domain's (`dun_core::figures`).
//!
//! Everything is read in one snapshot by three kinds of query:
//! - **AR now** per currency: the sum of open amounts, from the covering
//!   partial index `invoices_open`.
//! - **What moved after the earliest date asked about**, summed per
//!   currency, kind and day: only invoices moved after that date can have
//!   such entries (`invoices_by_last_entry`), and their entries are found
//!   through `entries_by_invoice`. AR at any later date is AR now less what
//!   moved after it; a period's credit sales and write-offs are the sums of
//!   its days. (No entry is ever dated before its invoice's issue date, so
//!   this equals the aging's total as of every date; a test holds them
//!   equal.)
//! - **Current AR at each period's end**, which needs due dates: the same
//!   partition as the aging report (`aging.rs`), summed in SQL where one
//!   due date decides, rebuilt by the domain for invoices in installments.

use std::collections::{BTreeMap, BTreeSet};

use dun_core::collections::plan::Plan;
use dun_core::figures::{self, Figures, Movements, NotDue, Period};
use dun_core::state::InvoiceState;
use dun_core::{Currency, Date};
use serde::Serialize;

use crate::db::Tx;
use crate::entries;
use crate::error::StoreError;
use crate::{params, Store};

/// One point of a trend: a period and its figures per currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrendPoint {
    pub period: Period,
    pub figures: Vec<Figures>,
}

/// Reads `(currency, amount)` rows into per-currency sums.
fn sum_by_currency(
    tx: &mut Tx<'_>,
    sql: &str,
    params: &[crate::Param<'_>],
    into: &mut BTreeMap<Currency, i64>,
) -> Result<(), StoreError> {
    tx.query_each(sql, params, |r| {
        let currency = entries::currency(&r.string(0)?)?;
        *into.entry(currency).or_default() += r.i64(1)?;
        Ok(())
    })
}

/// What the figures of periods ending after `after` are computed from.
struct Gathered {
    movements: Movements,
    not_due: NotDue,
    /// Invoices in installments open now or moved after `after`.
    split: Vec<InvoiceState>,
    /// Payment plans made by the latest date, and every invoice they cover:
    /// on a date a plan stood, its invoices are current by its installments.
    plans: Vec<Plan>,
    planned: BTreeMap<i64, InvoiceState>,
}

/// Reads, in one pass over what moved after `after`, AR now, every AR
/// movement since, and what the current AR of any later date needs.
fn gather(tx: &mut Tx<'_>, org_id: i64, after: Date) -> Result<Gathered, StoreError> {
    let mut movements = Movements::new(after);
    let mut not_due = NotDue::new(after);
    let after_day = i64::from(after.day_number());
    let mut open = BTreeMap::new();
    sum_by_currency(
        tx,
        "SELECT currency, CAST(SUM(open_minor) AS BIGINT) FROM invoices
         WHERE org_id = $1 AND open_minor <> 0 GROUP BY currency",
        params![org_id],
        &mut open,
    )?;
    for (currency, amount) in open {
        movements.add_open(currency, amount);
    }
    // Open now with one due date, by due date (from the covering
    // `invoices_open`); one falling due by `after` is past due on every
    // date asked about.
    tx.query_each(
        "SELECT currency, due_date, CAST(SUM(open_minor) AS BIGINT) FROM invoices
         WHERE org_id = $1 AND open_minor <> 0 AND installment_count = 1 AND due_date > $2
         GROUP BY currency, due_date",
        params![org_id, after_day],
        |r| {
            not_due.add_open(entries::currency(&r.string(0)?)?, day(r.i64(1)?), r.i64(2)?);
            Ok(())
        },
    )?;
    // Every entry effective after `after` is on an invoice whose last entry
    // is after it: the invoices come from `invoices_by_last_entry`, their
    // entries from `entries_by_invoice`. `CROSS JOIN` makes SQLite keep
    // that order (it would otherwise walk every entry of the organisation);
    // PostgreSQL plans it as any inner join.
    let mut split_moved = false;
    tx.query_each(
        "SELECT e.currency, e.kind, e.effective_date, i.due_date, i.installment_count,
                CAST(SUM(e.ar_minor) AS BIGINT)
         FROM invoices i CROSS JOIN ledger_entries e
         WHERE i.org_id = $1 AND i.last_entry_date > $2
           AND e.org_id = i.org_id AND e.invoice_id = i.id AND e.effective_date > $2
         GROUP BY e.currency, e.kind, e.effective_date, i.due_date, i.installment_count",
        params![org_id, after_day],
        |r| {
            let currency = entries::currency(&r.string(0)?)?;
            let effective = day(r.i64(2)?);
            let amount = r.i64(5)?;
            movements.add(currency, entries::kind(&r.string(1)?)?, effective, amount);
            if r.i64(4)? == 1 {
                let due = day(r.i64(3)?);
                if due > after {
                    not_due.add_later(currency, effective, due, amount);
                }
            } else {
                split_moved = true;
            }
            Ok(())
        },
    )?;
    let mut split =
        entries::invoice_states(tx, org_id, "open_minor <> 0 AND installment_count > 1", &[])?;
    if split_moved {
        split.extend(entries::invoice_states(
            tx,
            org_id,
            "last_entry_date > $2 AND installment_count > 1 AND status <> 'draft'",
            params![after_day],
        )?);
    }
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
        movements,
        not_due,
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
    gathered.not_due.at(currency, date) + split + plan_correction(gathered, currency, date)
}

fn figures_of(
    tx: &mut Tx<'_>,
    org_id: i64,
    periods: &[Period],
) -> Result<Vec<TrendPoint>, StoreError> {
    let Some(after) = periods.iter().map(Period::day_before).min() else {
        return Ok(Vec::new());
    };
    let gathered = gather(tx, org_id, after)?;
    let currencies: BTreeSet<Currency> = gathered.movements.currencies();
    Ok(periods
        .iter()
        .map(|period| {
            let figures = currencies
                .iter()
                .map(|c| {
                    let current = current_ar(&gathered, *c, period.end);
                    gathered.movements.inputs(*c, *period, current)
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
