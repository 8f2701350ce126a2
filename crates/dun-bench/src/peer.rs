//! The peer: the book the Tryton benchmark (`../shared/peers/tryton`)
//! generated, imported into Dun, with Dun's figures printed beside the ones
//! Tryton recorded in `summary_SIZE.json`.
//!
//! Tryton's files: `customers_N.csv` (id, name, credit_limit),
//! `invoices_N.csv` (number, customer_id, issue_date, due_date, amount,
//! currency, paid_amount), `payments_N.csv` (invoice_number, payment_date,
//! amount) and `expected_N.csv` (per invoice, among others open_amount).
//! They become Dun's documented CSV columns: the customer's Tryton id is its
//! `ref`, an invoice is one line of `amount`, a payment names its invoice.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context as _, Result};
use dun_core::money::parse_amount_minor;
use dun_core::{Currency, Date};
use serde_json::Value;

use crate::dun::{self, Dun, Table, ORG_NAME};
use crate::measure::{RssScope, Run};
use crate::report::{grouped, Cell, Figure, Row, Unit};

/// Tryton's book and what it measured on it.
pub struct TrytonBook {
    pub dir: PathBuf,
    pub size: usize,
    pub version: String,
    pub as_of: String,
    pub summary_path: PathBuf,
    timings: serde_json::Map<String, Value>,
    pub customers: usize,
    pub invoices: usize,
    pub payments: usize,
    pub currency: Currency,
    /// Sum of `open_amount` in expected_N.csv, in minor units.
    pub expected_open_minor: Option<i64>,
}

/// Dun's CSV files made from Tryton's.
pub struct Converted {
    pub customers_csv: PathBuf,
    pub invoices_csv: PathBuf,
    pub payments_csv: PathBuf,
}

fn reader(path: &Path) -> Result<csv::Reader<std::fs::File>> {
    csv::Reader::from_path(path).with_context(|| {
        format!("cannot read {}; is this the Tryton peer's directory, and was its benchmark run for this --size?", path.display())
    })
}

/// Column positions by name, so the files' column order does not matter.
fn columns<const N: usize>(
    reader: &mut csv::Reader<std::fs::File>,
    path: &Path,
    names: [&str; N],
) -> Result<[usize; N]> {
    let header = reader.headers()?.clone();
    let mut out = [0; N];
    for (slot, name) in out.iter_mut().zip(names) {
        *slot = header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| anyhow!("{} has no column {name}", path.display()))?;
    }
    Ok(out)
}

impl TrytonBook {
    pub fn open(tryton_dir: &Path, size: usize) -> Result<TrytonBook> {
        let dir = tryton_dir.join("out");
        let summary_path = dir.join(format!("summary_{size}.json"));
        let summary: Value = serde_json::from_slice(
            &std::fs::read(&summary_path)
                .with_context(|| format!("cannot read {}", summary_path.display()))?,
        )
        .with_context(|| format!("{} is not JSON", summary_path.display()))?;
        let text = |key: &str| {
            summary
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or("unknown")
                .to_string()
        };
        let timings = summary
            .get("timings_s")
            .and_then(Value::as_object)
            .cloned()
            .ok_or_else(|| anyhow!("{} has no timings_s", summary_path.display()))?;
        let count_rows = |name: &str| -> Result<usize> {
            let path = dir.join(format!("{name}_{size}.csv"));
            Ok(reader(&path)?.records().count())
        };
        let invoices_path = dir.join(format!("invoices_{size}.csv"));
        let mut invoices = reader(&invoices_path)?;
        let [currency_col] = columns(&mut invoices, &invoices_path, ["currency"])?;
        let code = invoices
            .records()
            .next()
            .transpose()?
            .map(|r| r[currency_col].to_string())
            .ok_or_else(|| anyhow!("{} has no invoices", invoices_path.display()))?;
        let currency = Currency::parse(&code)?;
        Ok(TrytonBook {
            version: text("tryton"),
            as_of: text("as_of"),
            customers: count_rows("customers")?,
            invoices: count_rows("invoices")?,
            payments: count_rows("payments")?,
            expected_open_minor: expected_open(&dir.join(format!("expected_{size}.csv")), currency)
                .ok(),
            currency,
            timings,
            summary_path,
            dir,
            size,
        })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}_{}.csv", self.size))
    }

    /// Seconds of the first timing whose name contains every one of `parts`.
    fn seconds(&self, parts: &[&str]) -> Option<f64> {
        self.timings
            .iter()
            .find(|(k, _)| parts.iter().all(|p| k.contains(p)))
            .and_then(|(_, v)| v.as_f64())
    }

    fn cell(&self, count: usize, unit: Unit, seconds: Option<f64>) -> Cell {
        match seconds {
            Some(s) => Cell::Measured(Figure::new(
                unit,
                count as u64,
                &[Run {
                    seconds: s,
                    peak_rss_kib: None,
                }],
                RssScope::None,
            )),
            None => Cell::absent(format!("not in {}", self.summary_path.display())),
        }
    }

    /// Writes Tryton's book in Dun's columns into `out`.
    pub fn convert(&self, out: &Path) -> Result<Converted> {
        let converted = Converted {
            customers_csv: out.join("customers.csv"),
            invoices_csv: out.join("invoices.csv"),
            payments_csv: out.join("payments.csv"),
        };
        let code = self.currency.code();

        let path = self.path("customers");
        let mut r = reader(&path)?;
        let [id, name, limit] = columns(&mut r, &path, ["id", "name", "credit_limit"])?;
        let mut w = csv::Writer::from_path(&converted.customers_csv)?;
        w.write_record(dun_csv::CUSTOMER_COLUMNS)?;
        for rec in r.records() {
            let rec = rec?;
            w.write_record([&rec[id], &rec[name], "", "", &rec[limit], ""])?;
        }
        w.flush()?;

        let path = self.path("invoices");
        let mut r = reader(&path)?;
        let [number, customer, issue, due, amount, currency] = columns(
            &mut r,
            &path,
            [
                "number",
                "customer_id",
                "issue_date",
                "due_date",
                "amount",
                "currency",
            ],
        )?;
        let mut w = csv::Writer::from_path(&converted.invoices_csv)?;
        w.write_record(dun_csv::INVOICE_COLUMNS)?;
        let mut owner: HashMap<String, (String, String)> = HashMap::new();
        for rec in r.records() {
            let rec = rec?;
            owner.insert(
                rec[number].to_string(),
                (rec[customer].to_string(), rec[currency].to_string()),
            );
            w.write_record([
                &rec[number],
                &rec[customer],
                &rec[issue],
                &rec[due],
                &rec[currency],
                "",
                &rec[amount],
                "",
                "",
                "",
            ])?;
        }
        w.flush()?;

        let path = self.path("payments");
        let mut r = reader(&path)?;
        let [invoice, date, amount] =
            columns(&mut r, &path, ["invoice_number", "payment_date", "amount"])?;
        let mut w = csv::Writer::from_path(&converted.payments_csv)?;
        w.write_record(dun_csv::PAYMENT_COLUMNS)?;
        for rec in r.records() {
            let rec = rec?;
            let (customer, currency) = owner
                .get(&rec[invoice])
                .map_or((String::new(), code.to_string()), |(c, k)| {
                    (c.clone(), k.clone())
                });
            w.write_record([
                &rec[date],
                &customer,
                &rec[amount],
                &currency,
                "tryton",
                &rec[invoice],
                "bank_transfer",
            ])?;
        }
        w.flush()?;
        Ok(converted)
    }
}

fn expected_open(path: &Path, currency: Currency) -> Result<i64> {
    let mut r = reader(path)?;
    let [open] = columns(&mut r, path, ["open_amount"])?;
    let mut total = 0;
    for rec in r.records() {
        total += parse_amount_minor(&rec?[open], currency)?;
    }
    Ok(total)
}

/// Imports the converted book into a fresh SQLite Dun book at `db` and
/// returns the rows beside Tryton's figures, and the checks.
pub fn measure(
    dun: &Dun,
    tryton: &TrytonBook,
    files: &Converted,
    db: &str,
    repeat: usize,
) -> Result<(Vec<Row>, Vec<String>)> {
    let scope = dun.rss_scope();
    let say = |what: &str| eprintln!("dun-bench: peer: {what}");
    say("dun init");
    dun.init(db, tryton.currency)?;
    say("dun import customers");
    let customers = dun.import(db, Table::Customers, &files.customers_csv)?;
    say("dun import invoices");
    let invoices = dun.import(db, Table::Invoices, &files.invoices_csv)?;
    say("dun import payments");
    let payments = dun.import(db, Table::Payments, &files.payments_csv)?;
    say("dun aging");
    let mut aging = Vec::new();
    for _ in 0..repeat.max(1) {
        if let Some(run) = dun.aging(db, &tryton.as_of)? {
            aging.push(run);
        }
    }

    let as_of = Date::parse(&tryton.as_of)?;
    let mut store = dun::open(db)?;
    let org = store.org(Some(ORG_NAME))?;
    let (report, _) = store.aging(org.id, as_of, &org.edges(), false)?;
    let dun_open: i64 = report.totals().values().map(|row| row.total_minor()).sum();
    let money = |m: i64| dun_core::money::format_minor(m, tryton.currency);
    let check = match tryton.expected_open_minor {
        Some(expected) if expected == dun_open => format!(
            "Dun's open total as of {} is {} {}, the same as the sum of open_amount in Tryton's expected_{}.csv",
            tryton.as_of, money(dun_open), tryton.currency, tryton.size
        ),
        Some(expected) => format!(
            "MISMATCH: Dun's open total as of {} is {} {}, Tryton's expected_{}.csv sums to {}",
            tryton.as_of, money(dun_open), tryton.currency, tryton.size, money(expected)
        ),
        None => format!("Dun's open total as of {} is {} {} (no expected_{}.csv to compare)", tryton.as_of, money(dun_open), tryton.currency, tryton.size),
    };

    let measured = |unit, count: usize, runs: &[Run]| {
        Cell::Measured(Figure::new(unit, count as u64, runs, scope))
    };
    let aging_cell = if aging.is_empty() {
        Cell::absent("n/a: no dun binary (Dun measured in-process)")
    } else {
        measured(Unit::Millis, 1, &aging)
    };
    let sum = |a: Option<f64>, b: Option<f64>| Some(a? + b?);
    let rows = vec![
        Row::new(
            "SQLite",
            format!("create {} customers (customers/s): `dun import customers` / Tryton create", grouped(tryton.customers as u64)),
            Unit::PerSecond,
            "customers/s",
            measured(Unit::PerSecond, tryton.customers, &[customers]),
            tryton.cell(tryton.customers, Unit::PerSecond, tryton.seconds(&["create customers"])),
        ),
        Row::new(
            "SQLite",
            format!("create + post {} invoices (invoices posted/s): `dun import invoices` / Tryton create+post", grouped(tryton.invoices as u64)),
            Unit::PerSecond,
            "invoices/s",
            measured(Unit::PerSecond, tryton.invoices, &[invoices]),
            tryton.cell(tryton.invoices, Unit::PerSecond, tryton.seconds(&["create+post invoices"])),
        ),
        Row::new(
            "SQLite",
            format!("register {} payments against their invoices (payments/s): `dun import payments` / Tryton register", grouped(tryton.payments as u64)),
            Unit::PerSecond,
            "payments/s",
            measured(Unit::PerSecond, tryton.payments, &[payments]),
            tryton.cell(tryton.payments, Unit::PerSecond, tryton.seconds(&["register payments"])),
        ),
        Row::new(
            "SQLite",
            format!(
                "dunning run as of {}, first run (ms): Dun shows `dun aging` as a stand-in — its collections run is not built yet (issue 3), so this is NOT the same work / Tryton generate_dunnings + process, run 1",
                tryton.as_of
            ),
            Unit::Millis,
            "ms",
            aging_cell,
            tryton.cell(1, Unit::Millis, sum(tryton.seconds(&["generate_dunnings, run 1"]), tryton.seconds(&["process (fees+state), run 1"]))),
        ),
        Row::new(
            "SQLite",
            "dunning to a fixed point, every level (ms): Dun not built yet / Tryton generate_dunnings + process, all runs".into(),
            Unit::Millis,
            "ms",
            Cell::absent("not built yet (issue 3)"),
            tryton.cell(1, Unit::Millis, sum(tryton.seconds(&["generate_dunnings, all"]), tryton.seconds(&["process, all"]))),
        ),
    ];
    Ok((rows, vec![check]))
}
