//! What a server needs to operate: claims on each organisation's daily
//! run, so several processes sharing one database run it once, and the
//! outbox's depth for the metrics.
//!
//! A claim is a row per (organisation, run date). The first process to
//! insert it runs the day; it refreshes `heartbeat_at` while it works and
//! sets `finished_at` when done. A claim whose heartbeat is older than the
//! staleness limit and that never finished (its process died) is taken over
//! by the next process that looks. The run itself is one transaction whose
//! marks make a repeat do nothing, so a takeover after a crash — or after a
//! process that was merely slow — never acts twice.

use dun_core::Date;

use crate::error::StoreError;
use crate::{params, Store};

/// Whether a process may run an organisation's day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// This process holds the claim now (fresh, or taken over).
    Won,
    /// Another process holds a live claim.
    Held { by: String },
    /// The day's run has finished.
    Finished,
}

impl Store {
    /// Claims the run of `org_id` for `run_date` for `claimer` at `now`;
    /// a claim last heard of before `stale_before` is taken over.
    /// (`now` and `stale_before` are `YYYY-MM-DDTHH:MM:SSZ` UTC times, which
    /// order as text.)
    pub fn claim_run(
        &mut self,
        org_id: i64,
        run_date: Date,
        claimer: &str,
        now: &str,
        stale_before: &str,
    ) -> Result<Claim, StoreError> {
        let day = i64::from(run_date.day_number());
        let mut tx = self.conn().transaction()?;
        let inserted = tx.execute(
            "INSERT INTO run_claims (org_id, run_date, claimed_by, claimed_at, heartbeat_at)
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (org_id, run_date) DO NOTHING",
            params![org_id, day, claimer, now],
        )?;
        if inserted == 1 {
            tx.commit()?;
            return Ok(Claim::Won);
        }
        let taken = tx.execute(
            "UPDATE run_claims SET claimed_by = $3, claimed_at = $4, heartbeat_at = $4
             WHERE org_id = $1 AND run_date = $2 AND finished_at IS NULL
               AND (heartbeat_at < $5 OR claimed_by = $3)",
            params![org_id, day, claimer, now, stale_before],
        )?;
        let claim = if taken == 1 {
            Claim::Won
        } else {
            let (by, finished) = tx
                .query_opt(
                    "SELECT claimed_by, finished_at FROM run_claims WHERE org_id = $1 AND run_date = $2",
                    params![org_id, day],
                    |r| Ok((r.string(0)?, r.opt_string(1)?)),
                )?
                .ok_or_else(|| StoreError::Conflict("the run claim vanished".into()))?;
            if finished.is_some() {
                Claim::Finished
            } else {
                Claim::Held { by }
            }
        };
        tx.commit()?;
        Ok(claim)
    }

    /// Says the claimer is still working; false if it lost the claim.
    pub fn heartbeat_run(
        &mut self,
        org_id: i64,
        run_date: Date,
        claimer: &str,
        now: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.conn().transaction()?;
        let n = tx.execute(
            "UPDATE run_claims SET heartbeat_at = $4
             WHERE org_id = $1 AND run_date = $2 AND claimed_by = $3 AND finished_at IS NULL",
            params![org_id, i64::from(run_date.day_number()), claimer, now],
        )?;
        tx.commit()?;
        Ok(n == 1)
    }

    /// Records the end of the day's run (`outcome` is a short summary or
    /// the error a person should look at).
    pub fn finish_run(
        &mut self,
        org_id: i64,
        run_date: Date,
        claimer: &str,
        outcome: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.conn().transaction()?;
        tx.execute(
            "UPDATE run_claims SET finished_at = $4, outcome = $5, heartbeat_at = $4
             WHERE org_id = $1 AND run_date = $2 AND claimed_by = $3 AND finished_at IS NULL",
            params![
                org_id,
                i64::from(run_date.day_number()),
                claimer,
                now,
                outcome
            ],
        )?;
        tx.commit()
    }

    /// Gives up a claim without finishing (the run failed and should be
    /// tried again by whoever looks next).
    pub fn release_run(
        &mut self,
        org_id: i64,
        run_date: Date,
        claimer: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.conn().transaction()?;
        tx.execute(
            "DELETE FROM run_claims
             WHERE org_id = $1 AND run_date = $2 AND claimed_by = $3 AND finished_at IS NULL",
            params![org_id, i64::from(run_date.day_number()), claimer],
        )?;
        tx.commit()
    }

    /// Who ran an organisation's days, newest first.
    pub fn run_claims(&mut self, org_id: i64, limit: i64) -> Result<Vec<RunClaim>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            "SELECT run_date, claimed_by, claimed_at, heartbeat_at, finished_at, outcome
             FROM run_claims WHERE org_id = $1 ORDER BY run_date DESC LIMIT $2",
            params![org_id, limit.clamp(1, 1000)],
            |r| {
                Ok(RunClaim {
                    run_date: Date::from_day_number(r.i64(0)? as i32),
                    claimed_by: r.string(1)?,
                    claimed_at: r.string(2)?,
                    heartbeat_at: r.string(3)?,
                    finished_at: r.opt_string(4)?,
                    outcome: r.opt_string(5)?,
                })
            },
        )
    }

    /// Messages in every organisation's outbox, by status.
    pub fn outbox_depth(&mut self) -> Result<Vec<(String, i64)>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            "SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status",
            params![],
            |r| Ok((r.string(0)?, r.i64(1)?)),
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunClaim {
    pub run_date: Date,
    pub claimed_by: String,
    pub claimed_at: String,
    pub heartbeat_at: String,
    pub finished_at: Option<String>,
    pub outcome: Option<String>,
}
