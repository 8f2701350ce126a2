//! The floor on SQLite: plain prepared statements through rusqlite, with
//! the durability Dun asks for (`journal_mode=WAL`, `synchronous=FULL`).

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use rusqlite::{params, Connection};

use super::{each_invoice, AgingLine, AGING_INDEX_SQL, AGING_SQL};

const SCHEMA: &str = "
CREATE TABLE floor_customers (id INTEGER PRIMARY KEY, ref TEXT NOT NULL);
CREATE TABLE floor_invoices (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL,
    customer_id INTEGER NOT NULL,
    issue_date INTEGER NOT NULL,
    due_date INTEGER NOT NULL,
    currency TEXT NOT NULL,
    total_minor INTEGER NOT NULL
);
CREATE TABLE floor_payments (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    received_date INTEGER NOT NULL,
    currency TEXT NOT NULL,
    amount_minor INTEGER NOT NULL
);";

pub struct SqliteFloor {
    conn: Connection,
}

impl SqliteFloor {
    /// A fresh floor database at `path`, its customers loaded (not timed).
    pub fn create(path: &Path, customer_refs: &[String]) -> Result<SqliteFloor> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        let mut floor = SqliteFloor { conn };
        let tx = floor.conn.transaction()?;
        {
            let mut insert = tx.prepare("INSERT INTO floor_customers (id, ref) VALUES (?1, ?2)")?;
            for (i, reference) in customer_refs.iter().enumerate() {
                insert.execute(params![i as i64 + 1, reference])?;
            }
        }
        tx.commit()?;
        Ok(floor)
    }

    pub fn customer_ids(&self) -> Result<HashMap<String, i64>> {
        let mut select = self.conn.prepare("SELECT ref, id FROM floor_customers")?;
        let mut ids = HashMap::new();
        let mut rows = select.query([])?;
        while let Some(row) = rows.next()? {
            ids.entry(row.get(0)?).or_insert(row.get(1)?);
        }
        Ok(ids)
    }

    /// The import floor: the customers' ids, then every invoice of the CSV
    /// through one prepared `INSERT`, in one transaction.
    pub fn import(&mut self, invoices_csv: &Path) -> Result<u64> {
        let ids = self.customer_ids()?;
        let tx = self.conn.transaction()?;
        let count = {
            let mut insert = tx.prepare(
                "INSERT INTO floor_invoices (number, customer_id, issue_date, due_date, currency, total_minor)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            each_invoice(invoices_csv, &ids, |i| {
                insert.execute(params![
                    i.number,
                    i.customer_id,
                    i.issue_day,
                    i.due_day,
                    i.currency,
                    i.total_minor
                ])?;
                Ok(())
            })?
        };
        tx.commit()?;
        Ok(count)
    }

    /// Builds the aging's covering index (not timed).
    pub fn index(&self) -> Result<()> {
        self.conn.execute_batch(AGING_INDEX_SQL)?;
        Ok(())
    }

    pub fn aging(&self, as_of_day: i32) -> Result<Vec<AgingLine>> {
        let sql = AGING_SQL.replace("$1", "?1");
        let mut select = self.conn.prepare_cached(&sql)?;
        let lines = select
            .query_map([as_of_day], |r| {
                Ok(AgingLine {
                    customer_id: r.get(0)?,
                    currency: r.get(1)?,
                    buckets_minor: [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?],
                    count: r.get(7)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(lines)
    }

    pub fn customer_id(&self, reference: &str) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT id FROM floor_customers WHERE ref = ?1",
            [reference],
            |r| r.get(0),
        )?)
    }

    /// The payment floor: one single-row `INSERT`, committed on its own.
    pub fn record_payment(
        &self,
        customer_id: i64,
        day: i32,
        currency: &str,
        amount_minor: i64,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO floor_payments (customer_id, received_date, currency, amount_minor)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![customer_id, day, currency, amount_minor])?;
        Ok(())
    }
}
