//! Idempotency keys: the same command sent twice is done once.
//!
//! A write command may carry a key. The first time, the key is claimed in
//! the same transaction as the command's postings and the command's result
//! is stored with it. A repeat with the same key and the same request gets
//! that stored result and posts nothing; with a different request it is
//! refused. On PostgreSQL a second process sending the same key at the same
//! moment waits on the key's row until the first commits, then reads its
//! result.

use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::Tx;
use crate::error::StoreError;
use crate::params;

/// Longest idempotency key accepted, in bytes.
pub const KEY_BYTES_MAX: usize = 200;

pub(crate) fn request_hash(command: &str, request: &impl Serialize) -> Result<String, StoreError> {
    let mut hasher = Sha256::new();
    hasher.update(command.as_bytes());
    hasher.update([0]);
    hasher.update(serde_json::to_vec(request)?);
    Ok(hex::encode(hasher.finalize()))
}

/// Runs `work` in `tx` under `key` (if any) and commits.
pub(crate) fn run<T: Serialize + DeserializeOwned>(
    mut tx: Tx<'_>,
    org_id: i64,
    key: Option<&str>,
    command: &str,
    request: &impl Serialize,
    now: &str,
    work: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let Some(key) = key else {
        let result = work(&mut tx)?;
        tx.commit()?;
        return Ok(result);
    };
    if key.is_empty() || key.len() > KEY_BYTES_MAX {
        return Err(StoreError::Invalid(format!(
            "idempotency key must be 1 to {KEY_BYTES_MAX} bytes"
        )));
    }
    let hash = request_hash(command, request)?;
    let claimed = tx.execute(
        "INSERT INTO idempotency_keys (org_id, key, command, request_hash, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_id, key) DO NOTHING",
        params![org_id, key, command, hash.as_str(), now],
    )?;
    if claimed == 0 {
        let (stored_hash, response) = tx
            .query_opt(
                "SELECT request_hash, response FROM idempotency_keys WHERE org_id = $1 AND key = $2",
                params![org_id, key],
                |r| Ok((r.string(0)?, r.opt_string(1)?)),
            )?
            .ok_or_else(|| StoreError::Conflict(format!("idempotency key '{key}' vanished")))?;
        if stored_hash != hash {
            return Err(StoreError::KeyReused(key.to_string()));
        }
        let response = response
            .ok_or_else(|| StoreError::Corrupt(format!("idempotency key '{key}' has no result")))?;
        return Ok(serde_json::from_str(&response)?);
    }
    let result = work(&mut tx)?;
    tx.execute(
        "UPDATE idempotency_keys SET response = $1 WHERE org_id = $2 AND key = $3",
        params![serde_json::to_string(&result)?.as_str(), org_id, key],
    )?;
    tx.commit()?;
    Ok(result)
}
