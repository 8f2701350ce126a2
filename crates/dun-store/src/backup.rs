//! An online, consistent copy of a SQLite book: `VACUUM INTO` reads one
//! snapshot (a read transaction: `dun serve` keeps writing meanwhile) and
//! writes it to a new file, compacted. PostgreSQL books are copied with
//! PostgreSQL's own `pg_dump` (the `dun backup` command runs it); see the
//! README.

use std::path::Path;

use crate::db::Conn;
use crate::error::StoreError;
use crate::Store;

impl Store {
    /// Copies a SQLite book to `target`, a file that must not exist yet.
    /// Refused on PostgreSQL (use `pg_dump`).
    pub fn backup_sqlite(&mut self, target: &Path) -> Result<(), StoreError> {
        if target.exists() {
            return Err(StoreError::Invalid(format!(
                "file: '{}' exists; a backup never overwrites a file — give a new name",
                target.display()
            )));
        }
        let Some(text) = target.to_str() else {
            return Err(StoreError::Invalid(format!(
                "file: '{}' is not valid UTF-8; give a plain path",
                target.display()
            )));
        };
        match self.conn() {
            Conn::Sqlite(conn) => {
                conn.execute("VACUUM INTO ?1", [text])?;
                Ok(())
            }
            Conn::Postgres { .. } => Err(StoreError::Invalid(
                "database: a PostgreSQL book is copied with pg_dump, not VACUUM INTO".into(),
            )),
        }
    }
}
