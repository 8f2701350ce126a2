//! The organisation's own reference rates (`reference_rates`, migration
//! 0017): rows a person imported (`dun rates reference import FILE.csv`)
//! beside the table shipped in dun-core, which they extend or correct (a
//! row of the same series and day replaces the shipped one). Statutory
//! interest under a late-payment law reads both (dun-core
//! `collections/law.rs`).

use dun_core::collections::law::{
    parse_rates_csv, Law, Percent, RateRowProblem, RateSeries, ReferenceRate, ReferenceRates,
};
use dun_core::collections::law_example::{self, LawExample};
use dun_core::Date;

use crate::db::{Row, Tx};
use crate::error::StoreError;
use crate::records::check_author;
use crate::{params, Store};

/// Largest rate file accepted, in bytes.
pub const RATE_FILE_BYTES_MAX: usize = 1024 * 1024;

/// A rate as listed: the row, and whether it is Dun's (shipped) or the
/// organisation's own (with who imported it and when).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ListedRate {
    #[serde(flatten)]
    pub rate: ReferenceRate,
    /// `shipped` or `imported`.
    pub origin: &'static str,
    pub author: Option<String>,
    pub created_at: Option<String>,
}

const COLUMNS: &str = "series, in_force_from, rate_micros, source, author, created_at";

fn from_row(r: &Row<'_>) -> Result<ListedRate, StoreError> {
    let series = r.string(0)?;
    Ok(ListedRate {
        rate: ReferenceRate {
            series: RateSeries::parse(&series)
                .ok_or_else(|| StoreError::Corrupt(format!("rate series '{series}'")))?,
            in_force_from: Date::from_day_number(r.i64(1)? as i32),
            rate: Percent::from_micros(r.i64(2)?),
            source: r.string(3)?,
        },
        origin: "imported",
        author: Some(r.string(4)?),
        created_at: Some(r.string(5)?),
    })
}

fn imported(tx: &mut Tx<'_>, org_id: i64) -> Result<Vec<ListedRate>, StoreError> {
    tx.query(
        &format!(
            "SELECT {COLUMNS} FROM reference_rates WHERE org_id = $1
             ORDER BY series, in_force_from"
        ),
        params![org_id],
        from_row,
    )
}

/// The shipped table with the organisation's rows over it.
pub(crate) fn reference_rates(tx: &mut Tx<'_>, org_id: i64) -> Result<ReferenceRates, StoreError> {
    let mut rates = ReferenceRates::shipped();
    rates.extend(imported(tx, org_id)?.into_iter().map(|l| l.rate));
    Ok(rates)
}

/// A rate file refused: every problem, each with its line and column.
fn refusal(problems: &[RateRowProblem]) -> StoreError {
    StoreError::Invalid(
        problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("; "),
    )
}

impl Store {
    /// Imports a rate file (`series,in_force_from,rate_percent,source`):
    /// every row is checked before any is written; a row of a series and
    /// day already imported is replaced. Returns how many rows were written.
    pub fn import_reference_rates(
        &mut self,
        org_id: i64,
        text: &str,
        author: &str,
    ) -> Result<usize, StoreError> {
        let author = check_author(author)?;
        if text.len() > RATE_FILE_BYTES_MAX {
            return Err(StoreError::Invalid(format!(
                "the file is {} bytes; at most {RATE_FILE_BYTES_MAX} are accepted",
                text.len()
            )));
        }
        let rows = parse_rates_csv(text).map_err(|p| refusal(&p))?;
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        for row in &rows {
            tx.execute(
                "INSERT INTO reference_rates (org_id, series, in_force_from, rate_micros, source, author, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (org_id, series, in_force_from)
                 DO UPDATE SET rate_micros = excluded.rate_micros, source = excluded.source,
                    author = excluded.author, created_at = excluded.created_at",
                params![
                    org_id,
                    row.series.as_str(),
                    i64::from(row.in_force_from.day_number()),
                    row.rate.micros(),
                    row.source.as_str(),
                    author,
                    now.as_str(),
                ],
            )?;
        }
        tx.commit()?;
        Ok(rows.len())
    }

    /// Every reference rate in force for the organisation, by series and
    /// day: shipped rows, and imported ones (which replace a shipped row of
    /// the same series and day).
    pub fn reference_rates(&mut self, org_id: i64) -> Result<Vec<ListedRate>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let own = imported(&mut tx, org_id)?;
        let shipped = ReferenceRates::shipped();
        let mut all: Vec<ListedRate> = RateSeries::ALL
            .iter()
            .flat_map(|s| shipped.rows(*s).cloned().collect::<Vec<_>>())
            .filter(|r| {
                !own.iter()
                    .any(|o| o.rate.series == r.series && o.rate.in_force_from == r.in_force_from)
            })
            .map(|rate| ListedRate {
                rate,
                origin: "shipped",
                author: None,
                created_at: None,
            })
            .collect();
        all.extend(own);
        all.sort_by_key(|l| (l.rate.series, l.rate.in_force_from));
        Ok(all)
    }
}

impl Store {
    /// What `law` would charge on an example invoice as of `as_of`, with
    /// the organisation's reference rates (shipped and imported).
    pub fn law_example(
        &mut self,
        org_id: i64,
        law: Law,
        as_of: Date,
    ) -> Result<Option<LawExample>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let rates = reference_rates(&mut tx, org_id)?;
        Ok(law_example::example(law, &rates, as_of))
    }
}
