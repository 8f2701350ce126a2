//! The floor on PostgreSQL: `COPY … FROM STDIN` for the import, plain
//! statements for the rest, with the server's default durability
//! (`synchronous_commit = on`), which is also what Dun runs with.

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Result;
use postgres::{Client, NoTls, Statement};

use super::{each_invoice, AgingLine, AGING_INDEX_SQL, AGING_SQL};

const SCHEMA: &str = "
CREATE TABLE floor_customers (id BIGINT PRIMARY KEY, ref TEXT NOT NULL);
CREATE TABLE floor_invoices (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number TEXT NOT NULL,
    customer_id BIGINT NOT NULL,
    issue_date INTEGER NOT NULL,
    due_date INTEGER NOT NULL,
    currency TEXT NOT NULL,
    total_minor BIGINT NOT NULL
);
CREATE TABLE floor_payments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id BIGINT NOT NULL,
    received_date INTEGER NOT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL
);";

/// Bytes gathered before each `COPY` data message.
const COPY_BUFFER_BYTES: usize = 256 * 1024;

pub struct PostgresFloor {
    client: Client,
    insert_payment: Statement,
}

/// Escapes a value for `COPY`'s text format.
fn copy_text(out: &mut Vec<u8>, value: &str) {
    for b in value.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b => out.push(b),
        }
    }
}

impl PostgresFloor {
    /// The floor's tables in the database at `url`, its customers loaded
    /// (not timed).
    pub fn create(url: &str, customer_refs: &[String]) -> Result<PostgresFloor> {
        let mut client = Client::connect(url, NoTls)?;
        client.batch_execute(SCHEMA)?;
        let mut tx = client.transaction()?;
        let insert = tx.prepare("INSERT INTO floor_customers (id, ref) VALUES ($1, $2)")?;
        for (i, reference) in customer_refs.iter().enumerate() {
            tx.execute(&insert, &[&(i as i64 + 1), reference])?;
        }
        tx.commit()?;
        let insert_payment = client.prepare(
            "INSERT INTO floor_payments (customer_id, received_date, currency, amount_minor)
             VALUES ($1, $2, $3, $4)",
        )?;
        Ok(PostgresFloor {
            client,
            insert_payment,
        })
    }

    fn customer_ids(&mut self) -> Result<HashMap<String, i64>> {
        let mut ids = HashMap::new();
        for row in self
            .client
            .query("SELECT ref, id FROM floor_customers", &[])?
        {
            ids.entry(row.get(0)).or_insert(row.get(1));
        }
        Ok(ids)
    }

    /// The import floor: every invoice of the CSV through one `COPY`.
    pub fn import(&mut self, invoices_csv: &Path) -> Result<u64> {
        let ids = self.customer_ids()?;
        let mut tx = self.client.transaction()?;
        let writer = tx.copy_in(
            "COPY floor_invoices (number, customer_id, issue_date, due_date, currency, total_minor) FROM STDIN",
        )?;
        let mut writer = BufWriter::with_capacity(COPY_BUFFER_BYTES, writer);
        let mut line = Vec::with_capacity(128);
        let count = each_invoice(invoices_csv, &ids, |i| {
            line.clear();
            copy_text(&mut line, &i.number);
            write!(
                line,
                "\t{}\t{}\t{}\t",
                i.customer_id, i.issue_day, i.due_day
            )?;
            copy_text(&mut line, &i.currency);
            writeln!(line, "\t{}", i.total_minor)?;
            writer.write_all(&line)?;
            Ok(())
        })?;
        writer.into_inner().map_err(|e| e.into_error())?.finish()?;
        tx.commit()?;
        Ok(count)
    }

    /// Builds the covering index and the visibility map an index-only scan
    /// needs (not timed).
    pub fn index(&mut self) -> Result<()> {
        self.client.batch_execute(AGING_INDEX_SQL)?;
        self.client.batch_execute("VACUUM ANALYZE floor_invoices")?;
        Ok(())
    }

    pub fn aging(&mut self, as_of_day: i32) -> Result<Vec<AgingLine>> {
        Ok(self
            .client
            .query(AGING_SQL, &[&as_of_day])?
            .iter()
            .map(|r| AgingLine {
                customer_id: r.get(0),
                currency: r.get(1),
                buckets_minor: [r.get(2), r.get(3), r.get(4), r.get(5), r.get(6)],
                count: r.get(7),
            })
            .collect())
    }

    pub fn customer_id(&mut self, reference: &str) -> Result<i64> {
        Ok(self
            .client
            .query_one(
                "SELECT id FROM floor_customers WHERE ref = $1",
                &[&reference],
            )?
            .get(0))
    }

    /// The payment floor: one single-row `INSERT`, committed on its own.
    pub fn record_payment(
        &mut self,
        customer_id: i64,
        day: i32,
        currency: &str,
        amount_minor: i64,
    ) -> Result<()> {
        self.client.execute(
            &self.insert_payment,
            &[&customer_id, &day, &currency, &amount_minor],
        )?;
        Ok(())
    }
}
