//! Dun's storage: the book of record, on SQLite or PostgreSQL through one
//! code path.
//!
//! *Architecture invariant:* every query is written once and runs on both
//! engines ([`db`] is the only module that knows which one is open). Every
//! row carries `org_id`, and every query filters on it. Every posting runs
//! in one transaction that appends ledger entries and updates the derived
//! figures kept beside them (`invoices.open_minor`, `payments.unallocated_minor`),
//! so a reader never sees one without the other.

pub mod accounts;
pub mod aging;
pub mod api_ledger;
pub mod backup;
pub mod bank;
mod bank_batch;
pub mod bank_queue;
pub mod book_export;
mod bulk;
pub mod calculation_sheet;
pub mod clock;
pub mod collateral;
pub mod collections;
pub mod contacts;
pub mod credit_file;
pub mod credit_note_mail;
pub mod customer_edit;
pub mod customer_list;
pub mod customers;
mod daily_totals;
pub mod db;
mod debtors;
pub mod delivery;
pub mod disputes;
pub mod document_settings;
pub mod drafts;
pub mod entries;
pub mod error;
pub mod escalations;
mod export;
pub mod figures;
pub mod http_requests;
pub mod idempotency;
pub mod import;
pub mod invitations;
pub mod invoice_list;
pub mod invoices;
pub mod letters;
mod migrate;
pub mod operations;
pub mod orgs;
pub mod outbox;
pub mod outbox_actions;
pub mod parties;
pub mod passwords;
pub mod payments;
pub mod period;
pub mod plans;
pub mod policies;
pub mod portal;
pub mod rates;
pub mod recheck;
pub mod records;
pub mod recurring;
pub mod reference_rates;
pub mod revision;
pub mod statement_schedules;
pub mod statements;
pub mod stripe;
pub mod timeline;
mod unapplied;
pub mod waivers;
pub mod web_portal;
pub mod worklist;
pub mod write_off_reversal;

pub use db::{Backend, Conn, Param, Row, Tx};
pub use error::StoreError;
pub use orgs::Org;

/// The book of record.
pub struct Store {
    conn: Conn,
    /// Who the commands on this handle are done for (a shell sets it per
    /// request or command): the author of the timeline entries of money
    /// moved by hand.
    acting: Option<String>,
    /// Where the commands on this handle read "now" (see [`clock`]).
    clock: clock::Clock,
}

impl Store {
    /// Opens the database at `url` (a SQLite path, or `postgres://…`) and
    /// brings its schema up to date. Its clock is the system's
    /// ([`clock::Clock::System`]) until [`Store::set_clock`] installs another.
    pub fn open(url: &str) -> Result<Store, StoreError> {
        let mut conn = Conn::open(url)?;
        let clock = clock::Clock::System;
        migrate::migrate(&mut conn, &clock.now_utc())?;
        Ok(Store {
            conn,
            acting: None,
            clock,
        })
    }

    /// Installs the clock the next commands read "now" from: a test stops
    /// it at an instant ([`clock::Clock::Fixed`]) to see what a command
    /// records, or decides, then.
    pub fn set_clock(&mut self, clock: clock::Clock) {
        self.clock = clock;
    }

    /// The clock this handle reads "now" from; a shell asks it for the
    /// `now` and the `today` it passes to commands that take them.
    pub fn clock(&self) -> clock::Clock {
        self.clock
    }

    /// Now, as this handle's clock tells it (`YYYY-MM-DDTHH:MM:SSZ`).
    pub fn now_utc(&self) -> String {
        self.clock.now_utc()
    }

    /// Sets who the next commands are done for (`None`: nobody named, the
    /// timeline says "unknown").
    pub fn set_acting(&mut self, author: Option<&str>) {
        self.acting = author.map(str::to_string);
    }

    /// Who the commands are done for, as the timeline names them.
    pub(crate) fn acting(&self) -> String {
        self.acting.clone().unwrap_or_else(|| "unknown".to_string())
    }

    /// Opens the database at `url` without touching its schema: for a
    /// server's pool of connections, after one [`Store::open`] migrated it.
    pub fn connect(url: &str) -> Result<Store, StoreError> {
        Ok(Store {
            conn: Conn::open(url)?,
            acting: None,
            clock: clock::Clock::System,
        })
    }

    pub fn backend(&self) -> Backend {
        self.conn.backend()
    }

    /// Opens a group transaction (SQLite): the commands run until
    /// [`Store::commit_group`] each stay all-or-nothing, as savepoints, and
    /// share one durable commit. See [`Conn::begin_group`].
    pub fn begin_group(&mut self) -> Result<(), StoreError> {
        self.conn.begin_group()
    }

    pub fn commit_group(&mut self) -> Result<(), StoreError> {
        self.conn.commit_group()
    }

    pub fn rollback_group(&mut self) -> Result<(), StoreError> {
        self.conn.rollback_group()
    }

    /// How many statements this connection keeps prepared on PostgreSQL
    /// (bounded; see `db.rs`). 0 on SQLite, whose cache rusqlite bounds.
    pub fn prepared_statements(&self) -> usize {
        match &self.conn {
            Conn::Sqlite(_) => 0,
            Conn::Postgres { statements, .. } => statements.len(),
        }
    }

    /// Bounds this connection's SQLite page cache to `kib` KiB (a server
    /// shares one budget among its connections); nothing on PostgreSQL,
    /// whose server keeps its own cache.
    pub fn limit_cache_kib(&mut self, kib: u64) -> Result<(), StoreError> {
        if let Conn::Sqlite(conn) = &mut self.conn {
            conn.pragma_update(None, "cache_size", -(kib.max(1) as i64))?;
        }
        Ok(())
    }

    /// Whether the connection is gone (a PostgreSQL server restarted): a
    /// pool drops such a store rather than lend it again.
    pub fn is_broken(&self) -> bool {
        match &self.conn {
            Conn::Sqlite(_) => false,
            Conn::Postgres { client, .. } => client.is_closed(),
        }
    }

    pub(crate) fn conn(&mut self) -> &mut Conn {
        &mut self.conn
    }
}
