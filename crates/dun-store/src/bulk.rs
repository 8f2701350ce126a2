//! Multi-row INSERTs: many rows per statement, for imports.
//!
//! Both engines accept `INSERT … VALUES (…), (…) RETURNING …`, so a batch
//! of rows is one round trip on PostgreSQL and one statement step on SQLite.

use crate::db::{Param, Row, Tx};
use crate::error::StoreError;

/// Placeholders one statement may carry (SQLite allows 32 766, PostgreSQL 65 535).
const PARAMS_PER_STATEMENT_MAX: usize = 30_000;
/// Rows per statement, whatever the width.
const ROWS_PER_STATEMENT_MAX: usize = 1_000;

/// `INSERT INTO table (columns) VALUES ($1, …), (…) [ON CONFLICT (unique)
/// DO NOTHING] [RETURNING returning]`
fn statement(
    table: &str,
    columns: &[&str],
    rows: usize,
    skip_on: Option<&str>,
    returning: Option<&str>,
) -> String {
    let width = columns.len();
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(r * width + c + 1).to_string());
        }
        sql.push(')');
    }
    if let Some(unique) = skip_on {
        sql.push_str(" ON CONFLICT (");
        sql.push_str(unique);
        sql.push_str(") DO NOTHING");
    }
    if let Some(returning) = returning {
        sql.push_str(" RETURNING ");
        sql.push_str(returning);
    }
    sql
}

/// Inserts rows given as one flat list of params, `columns.len()` per row,
/// and hands every RETURNING row to `returned`, in batches.
pub fn insert(
    tx: &mut Tx<'_>,
    table: &str,
    columns: &[&str],
    rows: &[Param<'_>],
    returning: Option<&str>,
    returned: impl FnMut(&Row<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    insert_skipping(tx, table, columns, None, rows, returning, returned)
}

/// As [`insert`], skipping each row that would break the unique key
/// `unique` (`ON CONFLICT (unique) DO NOTHING`): only the rows inserted
/// are returned. On PostgreSQL a row another transaction is inserting
/// waits for it, then is skipped if that one commits.
pub fn insert_new(
    tx: &mut Tx<'_>,
    table: &str,
    columns: &[&str],
    unique: &str,
    rows: &[Param<'_>],
    returning: Option<&str>,
    returned: impl FnMut(&Row<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    insert_skipping(tx, table, columns, Some(unique), rows, returning, returned)
}

fn insert_skipping(
    tx: &mut Tx<'_>,
    table: &str,
    columns: &[&str],
    skip_on: Option<&str>,
    rows: &[Param<'_>],
    returning: Option<&str>,
    mut returned: impl FnMut(&Row<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let width = columns.len();
    let per_statement = (PARAMS_PER_STATEMENT_MAX / width).clamp(1, ROWS_PER_STATEMENT_MAX);
    assert_eq!(rows.len() % width, 0, "{table}: params are not whole rows");
    // The full-batch statement only when there is a full batch: writing a
    // thousand rows' placeholders for a one-row insert was most of the CPU
    // a single payment cost.
    let full = (rows.len() >= per_statement * width)
        .then(|| statement(table, columns, per_statement, skip_on, returning));
    for params in rows.chunks(per_statement * width) {
        let sql = if let Some(full) = full
            .as_deref()
            .filter(|_| params.len() == per_statement * width)
        {
            std::borrow::Cow::Borrowed(full)
        } else {
            std::borrow::Cow::Owned(statement(
                table,
                columns,
                params.len() / width,
                skip_on,
                returning,
            ))
        };
        if returning.is_some() {
            tx.query_each(&sql, params, &mut returned)?;
        } else {
            tx.execute(&sql, params)?;
        }
    }
    Ok(())
}

/// Moves the derived figures of invoices: `(invoice id, change to
/// open_minor, day of the latest entry)`, each invoice once. A single
/// invoice is one prepared UPDATE; many are [`update_by_id`]'s batches, a
/// round trip per hundred on PostgreSQL.
///
/// (One `UPDATE … FROM (VALUES …)` per batch ran at ~70 µs a row on
/// SQLite against ~3 µs for single prepared UPDATEs.)
pub fn move_invoices(
    tx: &mut Tx<'_>,
    org_id: i64,
    moves: &[(i64, i64, i64)],
) -> Result<(), StoreError> {
    if let [(id, delta, last)] = moves {
        tx.execute(
            "UPDATE invoices SET open_minor = open_minor + $1,
                last_entry_date = CASE WHEN last_entry_date < $2 THEN $2 ELSE last_entry_date END
             WHERE org_id = $3 AND id = $4",
            crate::params![*delta, *last, org_id, *id],
        )?;
        return Ok(());
    }
    let mut rows: Vec<Param<'_>> = Vec::with_capacity(moves.len() * 3);
    for (id, delta, last) in moves {
        rows.extend_from_slice(&[(*id).into(), (*delta).into(), (*last).into()]);
    }
    update_by_id(
        tx,
        "invoices",
        org_id,
        &[
            SetColumn {
                name: "open_minor",
                sql_type: "BIGINT",
                to: Some("open_minor + {}"),
            },
            SetColumn {
                name: "last_entry_date",
                sql_type: "BIGINT",
                to: Some("CASE WHEN last_entry_date < {} THEN {} ELSE last_entry_date END"),
            },
        ],
        &rows,
    )
}

/// Rows per `UPDATE` of [`update_by_id`]: each row is a branch of a `CASE`
/// per column, which SQLite tests in order, so a statement is kept short.
const ROWS_PER_UPDATE_MAX: usize = 100;

/// A column [`update_by_id`] sets, and the SQL type its values are cast to
/// (PostgreSQL types a `CASE` of bare parameters as text).
pub struct SetColumn<'a> {
    pub name: &'a str,
    pub sql_type: &'a str,
    /// What the column becomes, `{}` standing for the row's value (as
    /// `open_minor + {}`); `None`: the value itself.
    pub to: Option<&'a str>,
}

impl<'a> SetColumn<'a> {
    /// The column set to the row's value.
    pub fn value(name: &'a str, sql_type: &'a str) -> SetColumn<'a> {
        SetColumn {
            name,
            sql_type,
            to: None,
        }
    }
}

/// Sets `columns` of many rows of `table` in `org_id`, each row found by
/// its id (each id once): `rows` is one flat list, per row its id and then
/// one value per column. One statement per [`ROWS_PER_UPDATE_MAX`] rows — `UPDATE table
/// SET c = CASE id WHEN $i THEN CAST($v AS type) … END, … WHERE org_id =
/// $1 AND id IN (…)` — so a batch is one round trip on PostgreSQL, not one
/// per row.
pub fn update_by_id(
    tx: &mut Tx<'_>,
    table: &str,
    org_id: i64,
    columns: &[SetColumn<'_>],
    rows: &[Param<'_>],
) -> Result<(), StoreError> {
    let width = columns.len() + 1;
    assert_eq!(rows.len() % width, 0, "{table}: params are not whole rows");
    for chunk in rows.chunks(ROWS_PER_UPDATE_MAX * width) {
        let n = chunk.len() / width;
        // $1 is the organisation; row r's id is $(2 + r * width), its
        // values follow it.
        let id_of = |r: usize| 2 + r * width;
        let mut sets = String::new();
        for (c, column) in columns.iter().enumerate() {
            if c > 0 {
                sets.push_str(", ");
            }
            let mut value = String::from("CASE id");
            for r in 0..n {
                let id = id_of(r);
                value.push_str(&format!(
                    " WHEN ${id} THEN CAST(${} AS {})",
                    id + 1 + c,
                    column.sql_type
                ));
            }
            value.push_str(" END");
            sets.push_str(column.name);
            sets.push_str(" = ");
            match column.to {
                Some(template) => sets.push_str(&template.replace("{}", &value)),
                None => sets.push_str(&value),
            }
        }
        let ids: Vec<String> = (0..n).map(|r| format!("${}", id_of(r))).collect();
        // `+org_id`: the rows are found by their ids. Without it SQLite may
        // walk an index on org_id — every row of the organisation for each
        // statement (a statement's lines before ANALYZE has seen them: 11 s
        // of a 100,000-line import).
        let sql = format!(
            "UPDATE {table} SET {sets} WHERE +org_id = $1 AND id IN ({})",
            ids.join(", ")
        );
        let mut params: Vec<Param<'_>> = Vec::with_capacity(chunk.len() + 1);
        params.push(org_id.into());
        params.extend_from_slice(chunk);
        tx.execute(&sql, &params)?;
    }
    Ok(())
}
