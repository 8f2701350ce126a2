//! The bank job's floors: the statement's lines stored by the shortest
//! route — plain multi-row `INSERT`s of the parsed lines into a scratch
//! table with only a primary key, in one transaction — on the same engine
//! as Dun's book. (Parsing alone is the other floor, timed in `mod.rs`.)

use std::path::Path;

use anyhow::Result;
use dun_core::bank::BankLine;

/// Rows per `INSERT` (× 9 columns: well under either engine's limit on
/// parameters).
pub const ROWS_PER_INSERT: usize = 100;
const COLUMNS: &str = "bank_ref, booked_date, amount_minor, currency, counterparty_name, \
                       counterparty_iban, remittance, structured_ref, end_to_end_id";
const COLUMN_COUNT: usize = 9;

const SQLITE_SCHEMA: &str = "CREATE TABLE floor_bank_lines (
    id INTEGER PRIMARY KEY,
    bank_ref TEXT,
    booked_date INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    counterparty_name TEXT,
    counterparty_iban TEXT,
    remittance TEXT NOT NULL,
    structured_ref TEXT,
    end_to_end_id TEXT
)";

const POSTGRES_SCHEMA: &str = "CREATE TABLE floor_bank_lines (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bank_ref TEXT,
    booked_date INTEGER NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    counterparty_name TEXT,
    counterparty_iban TEXT,
    remittance TEXT NOT NULL,
    structured_ref TEXT,
    end_to_end_id TEXT
)";

/// `INSERT INTO floor_bank_lines (…) VALUES (…), (…)…` for `rows` rows,
/// parameters numbered by `placeholder(n)` from 1.
fn insert_sql(rows: usize, placeholder: impl Fn(usize) -> String) -> String {
    let mut sql = format!("INSERT INTO floor_bank_lines ({COLUMNS}) VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..COLUMN_COUNT {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&placeholder(r * COLUMN_COUNT + c + 1));
        }
        sql.push(')');
    }
    sql
}

pub enum LineFloor {
    /// Its own file beside Dun's, with Dun's durability (WAL, `synchronous=FULL`).
    Sqlite(rusqlite::Connection),
    /// A table in the same (fresh) database as Dun's book.
    Postgres(Box<postgres::Client>),
}

impl LineFloor {
    pub fn sqlite(path: &Path) -> Result<LineFloor> {
        let conn = rusqlite::Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SQLITE_SCHEMA)?;
        Ok(LineFloor::Sqlite(conn))
    }

    pub fn postgres(url: &str) -> Result<LineFloor> {
        let mut client = postgres::Client::connect(url, postgres::NoTls)?;
        client.batch_execute(POSTGRES_SCHEMA)?;
        Ok(LineFloor::Postgres(Box::new(client)))
    }

    /// Empties the table between runs (not timed).
    pub fn clear(&mut self) -> Result<()> {
        match self {
            LineFloor::Sqlite(conn) => conn.execute_batch("DELETE FROM floor_bank_lines")?,
            LineFloor::Postgres(client) => client.batch_execute("TRUNCATE floor_bank_lines")?,
        }
        Ok(())
    }

    pub fn count(&mut self) -> Result<u64> {
        let sql = "SELECT COUNT(*) FROM floor_bank_lines";
        Ok(match self {
            LineFloor::Sqlite(conn) => conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64,
            LineFloor::Postgres(client) => client.query_one(sql, &[])?.get::<_, i64>(0) as u64,
        })
    }

    /// The floor itself: every line, `ROWS_PER_INSERT` to a statement, in
    /// one transaction, committed.
    pub fn insert(&mut self, lines: &[BankLine]) -> Result<()> {
        match self {
            LineFloor::Sqlite(conn) => {
                let tx = conn.transaction()?;
                for chunk in lines.chunks(ROWS_PER_INSERT) {
                    let mut insert =
                        tx.prepare_cached(&insert_sql(chunk.len(), |n| format!("?{n}")))?;
                    let days: Vec<i64> = chunk
                        .iter()
                        .map(|l| i64::from(l.booked.day_number()))
                        .collect();
                    let codes: Vec<&str> = chunk.iter().map(|l| l.currency.code()).collect();
                    let mut params: Vec<&dyn rusqlite::ToSql> =
                        Vec::with_capacity(chunk.len() * COLUMN_COUNT);
                    for ((l, day), code) in chunk.iter().zip(&days).zip(&codes) {
                        params.extend([
                            &l.bank_ref as &dyn rusqlite::ToSql,
                            day,
                            &l.amount_minor,
                            code,
                            &l.counterparty_name,
                            &l.counterparty_iban,
                            &l.remittance,
                            &l.structured_ref,
                            &l.end_to_end_id,
                        ]);
                    }
                    insert.execute(params.as_slice())?;
                }
                tx.commit()?;
            }
            LineFloor::Postgres(client) => {
                let mut tx = client.transaction()?;
                let full = tx.prepare(&insert_sql(ROWS_PER_INSERT, |n| format!("${n}")))?;
                for chunk in lines.chunks(ROWS_PER_INSERT) {
                    let days: Vec<i32> = chunk.iter().map(|l| l.booked.day_number()).collect();
                    let codes: Vec<&str> = chunk.iter().map(|l| l.currency.code()).collect();
                    let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                        Vec::with_capacity(chunk.len() * COLUMN_COUNT);
                    for ((l, day), code) in chunk.iter().zip(&days).zip(&codes) {
                        params.extend([
                            &l.bank_ref as &(dyn postgres::types::ToSql + Sync),
                            day,
                            &l.amount_minor,
                            code,
                            &l.counterparty_name,
                            &l.counterparty_iban,
                            &l.remittance,
                            &l.structured_ref,
                            &l.end_to_end_id,
                        ]);
                    }
                    if chunk.len() == ROWS_PER_INSERT {
                        tx.execute(&full, &params)?;
                    } else {
                        let rest = tx.prepare(&insert_sql(chunk.len(), |n| format!("${n}")))?;
                        tx.execute(&rest, &params)?;
                    }
                }
                tx.commit()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dun_core::{Currency, Date};

    #[test]
    fn the_floor_stores_every_line_and_starts_again_empty() {
        let dir = tempfile::tempdir().unwrap();
        let mut floor = LineFloor::sqlite(&dir.path().join("f.db")).unwrap();
        let day = Date::parse("2026-07-01").unwrap();
        let usd = Currency::parse("USD").unwrap();
        let lines: Vec<BankLine> = (1..=ROWS_PER_INSERT as i64 * 2 + 3)
            .map(|i| {
                let mut l = BankLine::new(day, i, usd);
                l.bank_ref = Some(format!("R{i}"));
                l
            })
            .collect();
        floor.insert(&lines).unwrap();
        assert_eq!(floor.count().unwrap(), lines.len() as u64);
        floor.clear().unwrap();
        assert_eq!(floor.count().unwrap(), 0);
    }

    #[test]
    fn the_insert_numbers_its_parameters_row_by_row() {
        let sql = insert_sql(2, |n| format!("${n}"));
        assert!(sql.ends_with("($1, $2, $3, $4, $5, $6, $7, $8, $9), ($10, $11, $12, $13, $14, $15, $16, $17, $18)"), "{sql}");
    }
}
