//! The daily totals kept beside the ledger: per organisation, currency and
//! day, what the entries add to the collection figures
//! ([`dun_core::figures::DayTotals`]: AR moved by kind, and current AR
//! kept by the day an entry becomes current and the due day it stops
//! being). [`entries::insert`](crate::entries), the one way entries are
//! written, adds to them in the same transaction; the figures read them
//! (`figures.rs`); [`check`] holds them to the entries for `verify`; a
//! book's import and migration 31 build them from the entries.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use dun_core::figures::{DailyTotals, DayTotals, PeriodSums};
use dun_core::ledger::Entry;
use dun_core::{Currency, Date};

use crate::db::{placeholders, Param, Row, Tx};
use crate::entries;
use crate::error::StoreError;
use crate::params;

/// The one due date of each invoice, by id (`None` for an invoice in
/// installments): what places an entry's current AR.
pub(crate) type Dues = HashMap<i64, Option<Date>>;

/// Invoices whose due dates one statement reads.
const DUE_IDS_PER_STATEMENT_MAX: usize = 500;
/// Rows one upsert writes.
const ROWS_PER_STATEMENT_MAX: usize = 1_000;

/// The kept columns after org_id, currency and day, in [`DayTotals`] order.
const COLUMNS: [&str; 8] = [
    "invoiced_minor",
    "voided_minor",
    "charged_minor",
    "collected_minor",
    "credited_minor",
    "written_off_minor",
    "current_from_minor",
    "current_until_minor",
];

fn values(t: &DayTotals) -> [i64; 8] {
    let s = &t.sums;
    [
        s.invoiced_minor,
        s.voided_minor,
        s.charged_minor,
        s.collected_minor,
        s.credited_minor,
        s.written_off_minor,
        t.current_from_minor,
        t.current_until_minor,
    ]
}

/// Reads the eight kept columns starting at column `first`.
pub(crate) fn read(r: &Row<'_>, first: usize) -> Result<DayTotals, StoreError> {
    Ok(DayTotals {
        sums: PeriodSums {
            invoiced_minor: r.i64(first)?,
            voided_minor: r.i64(first + 1)?,
            charged_minor: r.i64(first + 2)?,
            collected_minor: r.i64(first + 3)?,
            credited_minor: r.i64(first + 4)?,
            written_off_minor: r.i64(first + 5)?,
        },
        current_from_minor: r.i64(first + 6)?,
        current_until_minor: r.i64(first + 7)?,
    })
}

/// `col, col, …` as the kept columns, each wrapped by `wrap`.
pub(crate) fn columns(wrap: impl Fn(&str) -> String) -> String {
    COLUMNS
        .iter()
        .map(|c| wrap(c))
        .collect::<Vec<_>>()
        .join(", ")
}

fn single_due(due_day: i64, installment_count: i64) -> Option<Date> {
    (installment_count == 1).then(|| Date::from_day_number(due_day as i32))
}

/// The due dates of invoices `ids`.
fn read_dues(tx: &mut Tx<'_>, org_id: i64, ids: &BTreeSet<i64>) -> Result<Dues, StoreError> {
    let ids: Vec<i64> = ids.iter().copied().collect();
    let mut dues = Dues::with_capacity(ids.len());
    for chunk in ids.chunks(DUE_IDS_PER_STATEMENT_MAX) {
        let mut all: Vec<Param<'_>> = vec![org_id.into()];
        all.extend(chunk.iter().map(|id| Param::from(*id)));
        tx.query_each(
            &format!(
                "SELECT id, due_date, installment_count FROM invoices
                 WHERE org_id = $1 AND id IN ({})",
                placeholders(2, chunk.len())
            ),
            &all,
            |r| {
                dues.insert(r.i64(0)?, single_due(r.i64(1)?, r.i64(2)?));
                Ok(())
            },
        )?;
    }
    Ok(dues)
}

/// Adds to the kept totals what `entries` (being written in this
/// transaction) add. `known` holds the due dates of invoices the caller
/// has at hand; the others are read.
pub(crate) fn add(
    tx: &mut Tx<'_>,
    org_id: i64,
    entries: &[Entry],
    known: &Dues,
) -> Result<(), StoreError> {
    // An entry on no invoice moves customer credit only, not AR.
    let on_invoices = || {
        entries
            .iter()
            .filter(|e| e.ar_minor != 0)
            .filter_map(|e| e.invoice_id.map(|id| (e, id)))
    };
    let missing: BTreeSet<i64> = on_invoices()
        .map(|(_, id)| id)
        .filter(|id| !known.contains_key(id))
        .collect();
    let read = if missing.is_empty() {
        Dues::new()
    } else {
        read_dues(tx, org_id, &missing)?
    };
    let mut daily = DailyTotals::new();
    for (e, id) in on_invoices() {
        let due = known
            .get(&id)
            .or_else(|| read.get(&id))
            .ok_or_else(|| StoreError::not_found("invoice", format!("#{id}")))?;
        daily.add(e.currency, e.kind, e.effective_date, e.ar_minor, *due);
    }
    write(tx, org_id, &daily)
}

/// Adds `daily` to the kept rows, creating those missing.
fn write(tx: &mut Tx<'_>, org_id: i64, daily: &DailyTotals) -> Result<(), StoreError> {
    let rows: Vec<(Currency, Date, [i64; 8])> = daily
        .days()
        .filter(|(_, _, t)| !t.is_zero())
        .map(|(c, d, t)| (c, d, values(t)))
        .collect();
    let width = 3 + COLUMNS.len();
    for chunk in rows.chunks(ROWS_PER_STATEMENT_MAX) {
        let mut params: Vec<Param<'_>> = Vec::with_capacity(chunk.len() * width);
        let mut tuples = Vec::with_capacity(chunk.len());
        for (i, (currency, day, amounts)) in chunk.iter().enumerate() {
            params.push(org_id.into());
            params.push(currency.code().into());
            params.push(i64::from(day.day_number()).into());
            params.extend(amounts.iter().map(|a| Param::from(*a)));
            tuples.push(format!("({})", placeholders(i * width + 1, width)));
        }
        tx.execute(
            &format!(
                "INSERT INTO daily_totals (org_id, currency, day, {}) VALUES {}
                 ON CONFLICT (org_id, currency, day) DO UPDATE SET {}",
                columns(str::to_string),
                tuples.join(", "),
                columns(|c| format!("{c} = daily_totals.{c} + excluded.{c}"))
            ),
            &params,
        )?;
    }
    Ok(())
}

/// What the organisation's entries give the daily totals.
fn from_entries(tx: &mut Tx<'_>, org_id: i64) -> Result<DailyTotals, StoreError> {
    let mut daily = DailyTotals::new();
    tx.query_each(
        "SELECT e.currency, e.kind, e.effective_date, i.due_date, i.installment_count,
                CAST(SUM(e.ar_minor) AS BIGINT)
         FROM ledger_entries e JOIN invoices i ON i.org_id = e.org_id AND i.id = e.invoice_id
         WHERE e.org_id = $1
         GROUP BY e.currency, e.kind, e.effective_date, i.due_date, i.installment_count",
        params![org_id],
        |r| {
            daily.add(
                entries::currency(&r.string(0)?)?,
                entries::kind(&r.string(1)?)?,
                Date::from_day_number(r.i64(2)? as i32),
                r.i64(5)?,
                single_due(r.i64(3)?, r.i64(4)?),
            );
            Ok(())
        },
    )?;
    Ok(daily)
}

/// Rebuilds the organisation's daily totals from its entries (after its
/// book was imported row by row).
pub(crate) fn rebuild(tx: &mut Tx<'_>, org_id: i64) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM daily_totals WHERE org_id = $1",
        params![org_id],
    )?;
    let daily = from_entries(tx, org_id)?;
    write(tx, org_id, &daily)
}

/// Fills every organisation's daily totals from its entries: migration 31.
pub(crate) fn backfill(tx: &mut Tx<'_>) -> Result<(), StoreError> {
    let orgs = tx.query("SELECT id FROM organisations ORDER BY id", &[], |r| {
        r.i64(0)
    })?;
    for org_id in orgs {
        rebuild(tx, org_id)?;
    }
    Ok(())
}

/// Every day whose kept totals differ from what the entries give, in
/// words (a day missing counts as all zero).
pub(crate) fn check(tx: &mut Tx<'_>, org_id: i64) -> Result<Vec<String>, StoreError> {
    let mut kept: BTreeMap<(Currency, Date), DayTotals> = BTreeMap::new();
    tx.query_each(
        &format!(
            "SELECT currency, day, {} FROM daily_totals WHERE org_id = $1",
            columns(str::to_string)
        ),
        params![org_id],
        |r| {
            let key = (
                entries::currency(&r.string(0)?)?,
                Date::from_day_number(r.i64(1)? as i32),
            );
            kept.insert(key, read(r, 2)?);
            Ok(())
        },
    )?;
    let mut expected: BTreeMap<(Currency, Date), DayTotals> = from_entries(tx, org_id)?
        .days()
        .map(|(c, d, t)| ((c, d), *t))
        .collect();
    let keys: BTreeSet<(Currency, Date)> = kept.keys().chain(expected.keys()).copied().collect();
    let mut problems = Vec::new();
    for key in keys {
        let has = kept.remove(&key).unwrap_or_default();
        let should = expected.remove(&key).unwrap_or_default();
        if has != should {
            let differ: Vec<String> = COLUMNS
                .iter()
                .zip(values(&has).iter().zip(values(&should)))
                .filter(|(_, (h, s))| **h != *s)
                .map(|(c, (h, s))| format!("{c} {h} where the entries give {s}"))
                .collect();
            problems.push(format!(
                "the daily totals of {} on {} keep {}",
                key.0,
                key.1,
                differ.join(", ")
            ));
        }
    }
    Ok(problems)
}
