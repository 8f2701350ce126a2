//! The one place that knows two databases exist.
//!
//! Every query in this crate is a single SQL text written once, with `$1`,
//! `$2`, … placeholders, that both SQLite and PostgreSQL accept. This module
//! runs that text on whichever connection is open: it binds [`Param`]s and
//! reads [`Row`]s, and it begins transactions the way each engine needs for
//! writers to queue rather than fail (SQLite `BEGIN IMMEDIATE`; PostgreSQL
//! row locks taken by the queries themselves).

use std::collections::HashMap;
use std::error::Error as StdError;

use bytes::BytesMut;
use postgres_types::{IsNull, ToSql as PgToSql, Type};
use rusqlite::types::{ToSqlOutput, Value as SqliteValue};

use crate::error::StoreError;

/// How long a SQLite writer waits for the file lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u64 = 10_000;
/// Most memory one SQLite connection's page cache may use, in KiB.
const SQLITE_CACHE_KIB: u64 = 512 * 1024;
/// Most of a SQLite file mapped into memory for reading, in bytes (SQLite
/// caps it at its compile-time `SQLITE_MAX_MMAP_SIZE`, 2 GiB here). A
/// server lowers both this and the page cache per connection
/// ([`Store::limit_mmap_bytes`](crate::Store::limit_mmap_bytes)).
const SQLITE_MMAP_BYTES: i64 = 8 * 1024 * 1024 * 1024;
/// Rows ANALYZE samples per index on SQLite.
const SQLITE_ANALYSIS_ROWS: i64 = 1000;
/// Prepared statements kept per SQLite connection.
const SQLITE_STATEMENT_CACHE: usize = 256;

/// Puts a SQLite file in WAL mode. The mode is kept in the file, so only
/// the first opening of a new database changes it — and when several
/// processes open one new file at once, two can both hold a shared lock and
/// want the exclusive one; SQLite then answers "database is locked" at once
/// rather than through the busy handler (waiting could deadlock). That race
/// is retried here, for no longer than the busy timeout.
fn set_wal(conn: &rusqlite::Connection) -> Result<(), StoreError> {
    let started = std::time::Instant::now();
    loop {
        let mode: Result<String, rusqlite::Error> =
            conn.query_row("PRAGMA journal_mode", [], |r| r.get(0));
        let outcome = match mode {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
            Ok(_) => conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
                .map(|_| ()),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => return Ok(()),
            Err(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && started.elapsed().as_millis() < u128::from(SQLITE_BUSY_TIMEOUT_MS) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(SQLITE_WAL_RETRY_MS));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Pause between attempts to put a new SQLite file in WAL mode, in ms.
const SQLITE_WAL_RETRY_MS: u64 = 5;

/// What bounds one SQLite connection's memory, as SQLite reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SqliteMemory {
    /// Most its page cache holds, KiB.
    pub cache_kib: u64,
    /// Most of the file it maps, bytes: the mapped pages it reads count in
    /// the process's resident memory (once per connection that maps them).
    pub mmap_bytes: u64,
}

impl crate::Store {
    /// Bounds how much of the SQLite file this connection maps to `bytes`
    /// (0: none; reads then copy pages into the bounded page cache). A
    /// server shares one budget among its connections, as it does the page
    /// cache's. Nothing on PostgreSQL.
    pub fn limit_mmap_bytes(&mut self, bytes: u64) -> Result<(), StoreError> {
        if let Conn::Sqlite(conn) = &mut self.conn {
            let bytes = i64::try_from(bytes).unwrap_or(i64::MAX);
            conn.pragma_update(None, "mmap_size", bytes)?;
        }
        Ok(())
    }

    /// This connection's page cache and mapping limits as SQLite reports
    /// them; `None` on PostgreSQL, whose server keeps its own memory.
    pub fn sqlite_memory(&mut self) -> Result<Option<SqliteMemory>, StoreError> {
        let Conn::Sqlite(conn) = &mut self.conn else {
            return Ok(None);
        };
        let pages: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
        let cache_kib = if pages < 0 {
            pages.unsigned_abs()
        } else {
            let page_bytes: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
            (pages * page_bytes).unsigned_abs() / 1024
        };
        let mmap: i64 = conn.query_row("PRAGMA mmap_size", [], |r| r.get(0))?;
        Ok(Some(SqliteMemory {
            cache_kib,
            mmap_bytes: mmap.unsigned_abs(),
        }))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A value bound to a placeholder. Integers are 64-bit on both engines
/// (every integer column is BIGINT on PostgreSQL).
#[derive(Clone, Copy, Debug)]
pub enum Param<'a> {
    Int(Option<i64>),
    Text(Option<&'a str>),
}

impl From<i64> for Param<'_> {
    fn from(v: i64) -> Self {
        Param::Int(Some(v))
    }
}
impl From<Option<i64>> for Param<'_> {
    fn from(v: Option<i64>) -> Self {
        Param::Int(v)
    }
}
impl<'a> From<&'a str> for Param<'a> {
    fn from(v: &'a str) -> Self {
        Param::Text(Some(v))
    }
}
impl<'a> From<&'a String> for Param<'a> {
    fn from(v: &'a String) -> Self {
        Param::Text(Some(v.as_str()))
    }
}
impl<'a> From<Option<&'a str>> for Param<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Param::Text(v)
    }
}

/// Text never holds a NUL character, on either engine: PostgreSQL cannot
/// store one (it answered with a raw error), SQLite would. Refused alike,
/// as bad input, naming the value.
fn refuse_nul(params: &[Param<'_>]) -> Result<(), StoreError> {
    for p in params {
        if let Param::Text(Some(text)) = p {
            if text.contains('\0') {
                let shown: String = text.replace('\0', "\\0").chars().take(60).collect();
                return Err(StoreError::Invalid(format!(
                    "'{shown}' holds a NUL character (\\0); text may not contain one"
                )));
            }
        }
    }
    Ok(())
}

/// Builds a `&[Param]` from values: `params![org_id, "text", maybe]`.
#[macro_export]
macro_rules! params {
    ($($v:expr),* $(,)?) => { &[$($crate::db::Param::from($v)),*][..] };
}

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Param::Int(Some(v)) => ToSqlOutput::Owned(SqliteValue::Integer(*v)),
            Param::Text(Some(v)) => {
                ToSqlOutput::Borrowed(rusqlite::types::ValueRef::Text(v.as_bytes()))
            }
            Param::Int(None) | Param::Text(None) => ToSqlOutput::Owned(SqliteValue::Null),
        })
    }
}

impl PgToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self {
            Param::Int(Some(v)) if *ty == Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
            Param::Int(Some(v)) if *ty == Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
            Param::Int(Some(v)) => v.to_sql(ty, out),
            Param::Text(Some(v)) => v.to_sql(ty, out),
            Param::Int(None) | Param::Text(None) => Ok(IsNull::Yes),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT2 | Type::INT4 | Type::INT8 | Type::TEXT | Type::VARCHAR | Type::BPCHAR
        )
    }

    postgres_types::to_sql_checked!();
}

/// One result row, whichever engine produced it.
pub enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r postgres::Row),
}

impl Row<'_> {
    pub fn i64(&self, index: usize) -> Result<i64, StoreError> {
        Ok(match self {
            Row::Sqlite(r) => r.get(index)?,
            Row::Postgres(r) => r.try_get(index)?,
        })
    }

    pub fn opt_i64(&self, index: usize) -> Result<Option<i64>, StoreError> {
        Ok(match self {
            Row::Sqlite(r) => r.get(index)?,
            Row::Postgres(r) => r.try_get(index)?,
        })
    }

    pub fn string(&self, index: usize) -> Result<String, StoreError> {
        Ok(match self {
            Row::Sqlite(r) => r.get(index)?,
            Row::Postgres(r) => r.try_get(index)?,
        })
    }

    pub fn opt_string(&self, index: usize) -> Result<Option<String>, StoreError> {
        Ok(match self {
            Row::Sqlite(r) => r.get(index)?,
            Row::Postgres(r) => r.try_get(index)?,
        })
    }
}

/// An open connection to one of the two engines.
pub enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres {
        client: Box<postgres::Client>,
        statements: HashMap<String, postgres::Statement>,
    },
}

impl Conn {
    /// Opens `url`: `postgres://…` or `postgresql://…` for PostgreSQL;
    /// anything else is a SQLite file path (an optional `sqlite://` prefix
    /// is dropped).
    pub fn open(url: &str) -> Result<Conn, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let client = postgres::Client::connect(url, postgres::NoTls).map_err(|e| {
                StoreError::Connect(format!(
                    "cannot connect to PostgreSQL at {}: {e}",
                    redact(url)
                ))
            })?;
            return Ok(Conn::Postgres {
                client: Box::new(client),
                statements: HashMap::new(),
            });
        }
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        let conn = rusqlite::Connection::open(path).map_err(|e| {
            StoreError::Connect(format!("cannot open the SQLite file '{path}': {e}"))
        })?;
        conn.busy_timeout(std::time::Duration::from_millis(SQLITE_BUSY_TIMEOUT_MS))?;
        // WAL lets readers run beside the one writer; synchronous=FULL makes
        // every committed posting survive a power cut.
        set_wal(&conn)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // The default 2 MiB page cache thrashes once a book's indexes outgrow
        // it (a million-invoice import ran 4× slower per row than a small
        // one); pages are only allocated as they are used.
        conn.pragma_update(None, "cache_size", -(SQLITE_CACHE_KIB as i64))?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Reads map the file instead of copying pages through malloc'd buffers.
        conn.pragma_update(None, "mmap_size", SQLITE_MMAP_BYTES)?;
        // ANALYZE samples rather than reads every row, so it stays cheap.
        conn.pragma_update(None, "analysis_limit", SQLITE_ANALYSIS_ROWS)?;
        conn.set_prepared_statement_cache_capacity(SQLITE_STATEMENT_CACHE);
        Ok(Conn::Sqlite(conn))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres { .. } => Backend::Postgres,
        }
    }

    /// Begins a transaction in which a writer holds its locks to the end.
    pub fn transaction(&mut self) -> Result<Tx<'_>, StoreError> {
        Ok(match self {
            Conn::Sqlite(conn) => {
                if conn.is_autocommit() {
                    Tx::Sqlite(
                        conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?,
                    )
                } else {
                    Tx::SqliteNested(conn.savepoint()?)
                }
            }
            Conn::Postgres { client, statements } => Tx::Postgres {
                tx: client.transaction()?,
                statements,
            },
        })
    }

    /// Begins a read-only transaction: one consistent snapshot for a report.
    pub fn read_transaction(&mut self) -> Result<Tx<'_>, StoreError> {
        Ok(match self {
            Conn::Sqlite(conn) => {
                if conn.is_autocommit() {
                    Tx::Sqlite(
                        conn.transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)?,
                    )
                } else {
                    Tx::SqliteNested(conn.savepoint()?)
                }
            }
            Conn::Postgres { client, statements } => Tx::Postgres {
                tx: client
                    .build_transaction()
                    .isolation_level(postgres::IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()?,
                statements,
            },
        })
    }

    /// A handle that runs each statement on its own, committed as it
    /// finishes: for a read of one statement, whose own snapshot is all the
    /// consistency it needs. On PostgreSQL it saves the two round trips of
    /// `BEGIN` and `COMMIT`; inside a SQLite group it runs in the group.
    pub fn statement(&mut self) -> Tx<'_> {
        match self {
            Conn::Sqlite(conn) => Tx::SqliteStatement(conn),
            Conn::Postgres { client, statements } => Tx::PostgresStatement {
                client: client.as_mut(),
                statements,
            },
        }
    }

    /// Opens a group transaction on SQLite: every transaction begun until
    /// [`Conn::commit_group`] is a savepoint inside it, so many commands
    /// (each all-or-nothing on its own) share one commit and one fsync.
    /// PostgreSQL needs none (its writers commit side by side, and it
    /// groups their commits itself), so there it is refused.
    pub fn begin_group(&mut self) -> Result<(), StoreError> {
        match self {
            Conn::Sqlite(conn) => Ok(conn.execute_batch("BEGIN IMMEDIATE")?),
            Conn::Postgres { .. } => Err(StoreError::Invalid(
                "group transactions are for SQLite only".into(),
            )),
        }
    }

    /// Commits the group: everything its savepoints kept, durably, at once.
    pub fn commit_group(&mut self) -> Result<(), StoreError> {
        match self {
            Conn::Sqlite(conn) => Ok(conn.execute_batch("COMMIT")?),
            Conn::Postgres { .. } => Ok(()),
        }
    }

    /// Abandons the group and everything done inside it.
    pub fn rollback_group(&mut self) -> Result<(), StoreError> {
        match self {
            Conn::Sqlite(conn) if !conn.is_autocommit() => Ok(conn.execute_batch("ROLLBACK")?),
            _ => Ok(()),
        }
    }

    /// Refreshes the planner's statistics after a bulk write has changed
    /// the shape of the tables. On PostgreSQL it also vacuums them: until a
    /// freshly loaded table's visibility map is set, an index-only scan
    /// fetches every row from the heap (a million-invoice aging took 3 s
    /// instead of a fraction of one).
    pub fn analyze(&mut self) -> Result<(), StoreError> {
        match self {
            Conn::Sqlite(_) => self.batch("ANALYZE"),
            Conn::Postgres { .. } => {
                self.batch("VACUUM (ANALYZE) customers, invoices, payments, ledger_entries")
            }
        }
    }

    /// Every table of the database and its columns, in the catalogue's
    /// order: `(table, column)`. The engines' own tables are left out.
    pub fn schema_columns(&mut self) -> Result<Vec<(String, String)>, StoreError> {
        let sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid"
            }
            Backend::Postgres => {
                "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT)
                 FROM information_schema.columns WHERE table_schema = current_schema()
                 ORDER BY 1, ordinal_position"
            }
        };
        self.statement()
            .query(sql, &[], |r| Ok((r.string(0)?, r.string(1)?)))
    }

    /// Runs a batch of statements separated by `;` (migrations).
    pub fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        match self {
            Conn::Sqlite(conn) => conn.execute_batch(sql)?,
            Conn::Postgres { client, .. } => client.batch_execute(sql)?,
        }
        Ok(())
    }
}

/// Hides the password in a connection URL before it appears in a message.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// A transaction on either engine. Dropped without [`Tx::commit`], it rolls back.
pub enum Tx<'c> {
    Sqlite(rusqlite::Transaction<'c>),
    /// A transaction begun inside a group (see [`Conn::begin_group`]): a
    /// savepoint, released into the group's one commit.
    SqliteNested(rusqlite::Savepoint<'c>),
    /// Statements run one by one outside a transaction (see [`Conn::statement`]).
    SqliteStatement(&'c rusqlite::Connection),
    Postgres {
        tx: postgres::Transaction<'c>,
        statements: &'c mut HashMap<String, postgres::Statement>,
    },
    /// Statements run one by one outside a transaction (see [`Conn::statement`]).
    PostgresStatement {
        client: &'c mut postgres::Client,
        statements: &'c mut HashMap<String, postgres::Statement>,
    },
}

fn pg_params<'p>(params: &'p [Param<'p>]) -> Vec<&'p (dyn PgToSql + Sync)> {
    params.iter().map(|p| p as &(dyn PgToSql + Sync)).collect()
}

/// Prepared statements kept per PostgreSQL connection. Beyond this a
/// statement is prepared for one use and closed, so that a stream of
/// distinct texts (imports' batch sizes) cannot grow the connection and its
/// server process without bound.
const POSTGRES_STATEMENT_CACHE: usize = 512;

fn pg_statement(
    tx: &mut impl postgres::GenericClient,
    statements: &mut HashMap<String, postgres::Statement>,
    sql: &str,
) -> Result<postgres::Statement, StoreError> {
    if let Some(statement) = statements.get(sql) {
        return Ok(statement.clone());
    }
    let statement = tx.prepare(sql)?;
    if statements.len() < POSTGRES_STATEMENT_CACHE {
        statements.insert(sql.to_string(), statement.clone());
    }
    Ok(statement)
}

/// `$first, $first+1, …` — `n` placeholders for an `IN (…)` list, so that
/// its statement's text depends on the list's length only, never on its
/// values (texts with values in them would each be prepared anew).
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    let mut out = String::with_capacity(n * 5);
    for i in first..first + n {
        if i > first {
            out.push_str(", ");
        }
        out.push('$');
        out.push_str(&i.to_string());
    }
    out
}

/// SQLite reads `$1` as a *named* parameter numbered by first appearance;
/// `?1` is numbered by its digits, as `$1` is on PostgreSQL. So `$n` outside
/// string literals becomes `?n`.
fn sqlite_sql(sql: &str) -> std::borrow::Cow<'_, str> {
    if !sql.contains('$') {
        return std::borrow::Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut in_literal = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            in_literal = !in_literal;
        }
        if c == '$' && !in_literal && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Prepares `sql`, rewritten by [`sqlite_sql`], through the connection's
/// statement cache. Always `?n`, never `$n` as written: SQLite resolves a
/// `$n` name by a linear scan of the names before it, both when it prepares
/// and when a caller asks a parameter's name, so a multi-row insert with
/// thousands of `$n` costs time quadratic in its parameters (an import of
/// 1,000,000 invoices took 424 s instead of 20 s). The rewrite is linear in
/// the text's length and the cache is keyed by the rewritten text.
fn sqlite_prepare<'c>(
    conn: &'c rusqlite::Connection,
    sql: &str,
) -> Result<rusqlite::CachedStatement<'c>, StoreError> {
    Ok(conn.prepare_cached(&sqlite_sql(sql))?)
}

fn sqlite_bind(
    statement: &mut rusqlite::CachedStatement<'_>,
    params: &[Param<'_>],
) -> Result<(), StoreError> {
    debug_assert_eq!(
        statement.parameter_count(),
        params.len(),
        "placeholder count"
    );
    for (i, param) in params.iter().enumerate() {
        statement.raw_bind_parameter(i + 1, param)?;
    }
    Ok(())
}

impl Tx<'_> {
    /// The SQLite connection under a transaction or a savepoint.
    fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Tx::Sqlite(tx) => Some(tx),
            Tx::SqliteNested(savepoint) => Some(savepoint),
            Tx::SqliteStatement(conn) => Some(conn),
            Tx::Postgres { .. } | Tx::PostgresStatement { .. } => None,
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) | Tx::SqliteNested(_) | Tx::SqliteStatement(_) => Backend::Sqlite,
            Tx::Postgres { .. } | Tx::PostgresStatement { .. } => Backend::Postgres,
        }
    }

    /// Runs a statement; returns the number of rows it changed.
    pub fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        refuse_nul(params)?;
        if let Some(conn) = self.sqlite() {
            let mut statement = sqlite_prepare(conn, sql)?;
            sqlite_bind(&mut statement, params)?;
            return Ok(statement.raw_execute()? as u64);
        }
        match self {
            Tx::Postgres { tx, statements } => {
                let statement = pg_statement(tx, statements, sql)?;
                Ok(tx.execute(&statement, &pg_params(params))?)
            }
            Tx::PostgresStatement { client, statements } => {
                let statement = pg_statement(*client, statements, sql)?;
                Ok(client.execute(&statement, &pg_params(params))?)
            }
            _ => unreachable!("SQLite handled above"),
        }
    }

    /// Runs a query and hands each row to `each`.
    pub fn query_each(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        mut each: impl FnMut(&Row<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        refuse_nul(params)?;
        if let Some(conn) = self.sqlite() {
            let mut statement = sqlite_prepare(conn, sql)?;
            sqlite_bind(&mut statement, params)?;
            let mut rows = statement.raw_query();
            while let Some(row) = rows.next()? {
                each(&Row::Sqlite(row))?;
            }
            return Ok(());
        }
        use postgres::fallible_iterator::FallibleIterator;
        match self {
            Tx::Postgres { tx, statements } => {
                let statement = pg_statement(tx, statements, sql)?;
                let mut rows = tx.query_raw(&statement, pg_params(params))?;
                while let Some(row) = rows.next()? {
                    each(&Row::Postgres(&row))?;
                }
                Ok(())
            }
            Tx::PostgresStatement { client, statements } => {
                let statement = pg_statement(*client, statements, sql)?;
                let mut rows = client.query_raw(&statement, pg_params(params))?;
                while let Some(row) = rows.next()? {
                    each(&Row::Postgres(&row))?;
                }
                Ok(())
            }
            _ => unreachable!("SQLite handled above"),
        }
    }

    /// Runs a query and maps every row.
    pub fn query<T>(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        mut map: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        self.query_each(sql, params, |row| {
            out.push(map(row)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// Runs a query expected to return at most one row.
    pub fn query_opt<T>(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        map: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        Ok(self.query(sql, params, map)?.into_iter().next())
    }

    /// After rows were written with their own ids: the next id `table`
    /// hands out is past the highest one. PostgreSQL's identity sequence is
    /// moved; SQLite takes the highest rowid plus one by itself.
    pub fn advance_identity(&mut self, table: &str) -> Result<(), StoreError> {
        if self.backend() == Backend::Postgres {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            );
            self.query_opt(&sql, &[], |r| r.i64(0))?;
        }
        Ok(())
    }

    pub fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => tx.commit()?,
            Tx::SqliteNested(savepoint) => savepoint.commit()?,
            Tx::Postgres { tx, .. } => tx.commit()?,
            Tx::SqliteStatement(_) | Tx::PostgresStatement { .. } => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_from_the_first() {
        assert_eq!(placeholders(2, 3), "$2, $3, $4");
        assert_eq!(placeholders(1, 1), "$1");
        assert_eq!(placeholders(5, 0), "");
    }

    #[test]
    fn sqlite_binds_placeholders_by_their_number_in_any_order() {
        let mut conn = Conn::open(":memory:").unwrap();
        let mut tx = conn.statement();
        // In order: used as written. Out of order, and repeated: rewritten.
        for (sql, want) in [
            ("SELECT $1 || '-' || $2", "a-b"),
            ("SELECT $2 || '-' || $1", "b-a"),
            ("SELECT $2 || $1 || $2 || '$1'", "bab$1"),
        ] {
            let got = tx
                .query_opt(sql, params!["a", "b"], |r| r.string(0))
                .unwrap();
            assert_eq!(got.as_deref(), Some(want), "{sql}");
        }
    }
}
