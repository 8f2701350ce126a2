//! The first answer to each HTTP request sent with an `Idempotency-Key`,
//! for the server to replay to repeats (see dun-server's `idempotency`).

use crate::error::StoreError;
use crate::{params, Store};

/// What a claim on a key found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyClaim {
    /// The key is new: this request goes ahead.
    Fresh,
    /// The same request was answered already: replay this.
    Answered {
        status: u16,
        content_type: String,
        body: String,
    },
    /// The same request is still being answered.
    InProgress,
    /// The key was used for a different request.
    Reused,
}

impl Store {
    /// Claims `key` in `scope` for the request hashed `request_sha256`; a
    /// claim left unanswered since before `abandoned_before` (its process
    /// died) is taken over.
    pub fn claim_http_key(
        &mut self,
        scope: &str,
        key: &str,
        request_sha256: &str,
        now: &str,
        abandoned_before: &str,
    ) -> Result<KeyClaim, StoreError> {
        let mut tx = self.conn().transaction()?;
        let inserted = tx.execute(
            "INSERT INTO http_requests (scope, key, request_sha256, created_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (scope, key) DO NOTHING",
            params![scope, key, request_sha256, now],
        )?;
        if inserted == 1 {
            tx.commit()?;
            return Ok(KeyClaim::Fresh);
        }
        let found = tx.query_opt(
            "SELECT request_sha256, status, content_type, body, created_at FROM http_requests
             WHERE scope = $1 AND key = $2",
            params![scope, key],
            |r| {
                Ok((
                    r.string(0)?,
                    r.opt_i64(1)?,
                    r.opt_string(2)?,
                    r.opt_string(3)?,
                    r.string(4)?,
                ))
            },
        )?;
        let claim = match found {
            None => KeyClaim::InProgress,
            Some((hash, _, _, _, _)) if hash != request_sha256 => KeyClaim::Reused,
            Some((_, Some(status), content_type, body, _)) => KeyClaim::Answered {
                status: u16::try_from(status).unwrap_or(500),
                content_type: content_type.unwrap_or_default(),
                body: body.unwrap_or_default(),
            },
            Some((_, None, _, _, created)) if created.as_str() < abandoned_before => {
                tx.execute(
                    "UPDATE http_requests SET created_at = $3 WHERE scope = $1 AND key = $2",
                    params![scope, key, now],
                )?;
                KeyClaim::Fresh
            }
            Some(_) => KeyClaim::InProgress,
        };
        tx.commit()?;
        Ok(claim)
    }

    /// Keeps the answer to a claimed key.
    pub fn answer_http_key(
        &mut self,
        scope: &str,
        key: &str,
        status: u16,
        content_type: &str,
        body: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.conn().transaction()?;
        tx.execute(
            "UPDATE http_requests SET status = $3, content_type = $4, body = $5
             WHERE scope = $1 AND key = $2",
            params![scope, key, i64::from(status), content_type, body],
        )?;
        tx.commit()
    }

    /// Gives a claimed key up (the request failed on the server's side; a
    /// retry may go ahead).
    pub fn release_http_key(&mut self, scope: &str, key: &str) -> Result<(), StoreError> {
        let mut tx = self.conn().transaction()?;
        tx.execute(
            "DELETE FROM http_requests WHERE scope = $1 AND key = $2 AND status IS NULL",
            params![scope, key],
        )?;
        tx.commit()
    }

    /// Forgets answers older than `before`.
    pub fn sweep_http_keys(&mut self, before: &str) -> Result<u64, StoreError> {
        let mut tx = self.conn().transaction()?;
        let n = tx.execute(
            "DELETE FROM http_requests WHERE created_at < $1",
            params![before],
        )?;
        tx.commit()?;
        Ok(n)
    }
}
