//! Closing the books: the owner closes a period (`dun period close
//! 2026-06-30`); from then on every posting dated on or before that day
//! is refused with the day and who closed it (`require_open`, called by
//! `entries::insert`, the one way entries are written). Reopening moves
//! the day back or clears it, with a reason. Every close and reopen is
//! kept in `period_closes`.

use dun_core::Date;
use serde::Serialize;

use crate::db::Tx;
use crate::error::StoreError;
use crate::records::check_author;
use crate::{params, Store};

/// The books closed through a day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClosedPeriod {
    pub through: Date,
    pub by: String,
    /// When, UTC.
    pub at: String,
}

fn closed(tx: &mut Tx<'_>, org_id: i64) -> Result<Option<ClosedPeriod>, StoreError> {
    Ok(tx
        .query_opt(
            "SELECT closed_through, closed_by, closed_at FROM organisations WHERE id = $1",
            params![org_id],
            |r| {
                Ok(r.opt_i64(0)?.map(|d| ClosedPeriod {
                    through: Date::from_day_number(d as i32),
                    by: r.opt_string(1).ok().flatten().unwrap_or_default(),
                    at: r.opt_string(2).ok().flatten().unwrap_or_default(),
                }))
            },
        )?
        .flatten())
}

/// Refuses a posting dated `earliest` (the earliest of its entries) in a
/// closed period.
pub(crate) fn require_open(tx: &mut Tx<'_>, org_id: i64, earliest: Date) -> Result<(), StoreError> {
    if let Some(c) = closed(tx, org_id)? {
        if earliest <= c.through {
            return Err(StoreError::Conflict(format!(
                "date: {earliest} is in a closed period — the books are closed through {} (by {}, {}); date it after {}, or the owner reopens the period",
                c.through, c.by, c.at, c.through
            )));
        }
    }
    Ok(())
}

impl Store {
    /// The period the books are closed through, if any.
    pub fn closed_period(&mut self, org_id: i64) -> Result<Option<ClosedPeriod>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let c = closed(&mut tx, org_id)?;
        tx.commit()?;
        Ok(c)
    }

    /// Closes the books through `through`, or (`None`) reopens them all.
    /// Moving the day back or clearing it needs a reason.
    pub fn set_closed_period(
        &mut self,
        org_id: i64,
        through: Option<Date>,
        reason: &str,
        author: &str,
    ) -> Result<Option<ClosedPeriod>, StoreError> {
        let author = check_author(author)?;
        crate::invoices::check_reason_chars("reason", reason)?;
        let reason = reason.trim();
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        crate::orgs::lock(&mut tx, org_id)?;
        let before = closed(&mut tx, org_id)?;
        let reopens = match (&before, through) {
            (Some(b), Some(t)) => t < b.through,
            (Some(_), None) => true,
            (None, None) => {
                return Err(StoreError::Conflict(
                    "period: the books are not closed; nothing to reopen".into(),
                ))
            }
            (None, Some(_)) => false,
        };
        if before.as_ref().map(|b| b.through) == through {
            return Err(StoreError::Conflict(format!(
                "period: the books are already closed through {}",
                through.map_or_else(String::new, |d| d.to_string())
            )));
        }
        if reopens && reason.is_empty() {
            return Err(StoreError::Invalid(
                "reason: reopening a closed period needs its reason".into(),
            ));
        }
        let day = through.map(|d| i64::from(d.day_number()));
        tx.execute(
            "UPDATE organisations SET closed_through = $1, closed_by = $2, closed_at = $3 WHERE id = $4",
            params![day, author, now.as_str(), org_id],
        )?;
        tx.execute(
            "INSERT INTO period_closes (org_id, closed_through, reason, author, created_at)
             VALUES ($1, $2, $3, $4, $5)",
            params![org_id, day, reason, author, now.as_str()],
        )?;
        let after = closed(&mut tx, org_id)?;
        tx.commit()?;
        Ok(after)
    }
}
