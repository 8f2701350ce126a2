//! Exchange rates the owner sets, each kept with the date it applies from
//! (`exchange_rates`). They count what a customer owes in another currency
//! toward a credit limit (dun-core `credit::exposure_minor`); no amount owed
//! is ever converted by them.

use dun_core::collections::credit::ExchangeRate;
use dun_core::collections::policy::Rate;
use dun_core::{Currency, Date};

use crate::db::{Row, Tx};
use crate::error::StoreError;
use crate::records::check_author;
use crate::{entries, params, Store};

/// A rate as stored: the rate, who set it and when.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StoredRate {
    pub rate: ExchangeRate,
    pub author: String,
    pub created_at: String,
}

const COLUMNS: &str = "from_currency, to_currency, effective_from, rate_micros, author, created_at";

fn from_row(r: &Row<'_>) -> Result<StoredRate, StoreError> {
    Ok(StoredRate {
        rate: ExchangeRate {
            from: entries::currency(&r.string(0)?)?,
            to: entries::currency(&r.string(1)?)?,
            effective_from: Date::from_day_number(r.i64(2)? as i32),
            rate: Rate::from_scaled(i128::from(r.i64(3)?)),
        },
        author: r.string(4)?,
        created_at: r.string(5)?,
    })
}

/// Every rate into `to` (the currency of a credit limit), for the credit check.
pub(crate) fn rates_into(
    tx: &mut Tx<'_>,
    org_id: i64,
    to: Currency,
) -> Result<Vec<ExchangeRate>, StoreError> {
    Ok(tx
        .query(
            &format!("SELECT {COLUMNS} FROM exchange_rates WHERE org_id = $1 AND to_currency = $2"),
            params![org_id, to.code()],
            from_row,
        )?
        .into_iter()
        .map(|s| s.rate)
        .collect())
}

impl Store {
    /// Sets the rate from `from` to `to` from `effective_from` on (a rate
    /// already set for that pair and day is replaced). Refused when the
    /// domain refuses the rate, naming the field.
    pub fn set_rate(
        &mut self,
        org_id: i64,
        from: Currency,
        to: Currency,
        rate: Rate,
        effective_from: Date,
        author: &str,
    ) -> Result<StoredRate, StoreError> {
        let author = check_author(author)?;
        let rate = ExchangeRate::new(from, to, rate, effective_from)
            .map_err(|(field, reason)| StoreError::Invalid(format!("{field}: {reason}")))?;
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        tx.execute(
            "INSERT INTO exchange_rates (org_id, from_currency, to_currency, effective_from, rate_micros, author, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (org_id, from_currency, to_currency, effective_from)
             DO UPDATE SET rate_micros = excluded.rate_micros, author = excluded.author,
                created_at = excluded.created_at",
            params![
                org_id,
                from.code(),
                to.code(),
                i64::from(effective_from.day_number()),
                rate.rate.scaled() as i64,
                author,
                now.as_str(),
            ],
        )?;
        tx.commit()?;
        Ok(StoredRate {
            rate,
            author: author.to_string(),
            created_at: now,
        })
    }

    /// Every rate of the organisation, by pair, then date.
    pub fn rates(&mut self, org_id: i64) -> Result<Vec<StoredRate>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            &format!(
                "SELECT {COLUMNS} FROM exchange_rates WHERE org_id = $1
                 ORDER BY from_currency, to_currency, effective_from"
            ),
            params![org_id],
            from_row,
        )
    }
}
