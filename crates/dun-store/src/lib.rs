//! Dun's storage: the book of record, on SQLite or PostgreSQL through one
//! code path.
//!
//! *Architecture invariant:* every query is written once and runs on both
//! engines ([`db`] is the only module that knows which one is open). Every
//! row carries `org_id`, and every query filters on it. Every posting runs
//! in one transaction that appends ledger entries and updates the derived
//! figures kept beside them (`invoices.open_minor`, `payments.unallocated_minor`),
//! so a reader never sees one without the other.

pub mod aging;
mod bulk;
pub mod clock;
pub mod collateral;
pub mod collections;
pub mod credit_file;
pub mod customers;
pub mod db;
pub mod disputes;
pub mod entries;
pub mod error;
mod export;
pub mod idempotency;
pub mod import;
pub mod invoices;
mod migrate;
pub mod orgs;
pub mod payments;
pub mod plans;
pub mod policies;
pub mod records;
pub mod timeline;
pub mod worklist;

pub use db::{Backend, Conn, Param, Row, Tx};
pub use error::StoreError;
pub use orgs::Org;

/// The book of record.
pub struct Store {
    conn: Conn,
}

impl Store {
    /// Opens the database at `url` (a SQLite path, or `postgres://…`) and
    /// brings its schema up to date.
    pub fn open(url: &str) -> Result<Store, StoreError> {
        let mut conn = Conn::open(url)?;
        migrate::migrate(&mut conn, &clock::now_utc())?;
        Ok(Store { conn })
    }

    pub fn backend(&self) -> Backend {
        self.conn.backend()
    }

    pub(crate) fn conn(&mut self) -> &mut Conn {
        &mut self.conn
    }
}
