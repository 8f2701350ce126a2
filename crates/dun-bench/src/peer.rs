//! The peer: the book the Tryton benchmark (`../shared/peers/tryton`)
//! generated, imported into Dun, with Dun's figures printed beside the ones
//! Tryton recorded in `summary_SIZE_O.json` (its run under `python -O`, the
//! fast mode its README recommends) or, when there is none,
//! `summary_SIZE.json` (its run without `-O`).
//!
//! Tryton's files: `customers_N.csv` (id, name, credit_limit),
//! `invoices_N.csv` (number, customer_id, issue_date, due_date, amount,
//! currency, paid_amount), `payments_N.csv` (invoice_number, payment_date,
//! amount) and `expected_N.csv` (per invoice, among others open_amount).
//! They become Dun's documented CSV columns: the customer's Tryton id is its
//! `ref`, an invoice is one line of `amount`, a payment names its invoice.

use std::collections::{BTreeMap, HashMap};
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
    /// Which of Tryton's configurations the figures are from: `python -O`
    /// or not, as its summary says.
    pub configuration: String,
    timings: serde_json::Map<String, Value>,
    pub customers: usize,
    pub invoices: usize,
    pub payments: usize,
    pub currency: Currency,
    /// Sum of `open_amount` in expected_N.csv, in minor units.
    pub expected_open_minor: Option<i64>,
    /// Dunnings per level once Tryton's runs reached their fixed point.
    pub final_levels: BTreeMap<u32, u64>,
    /// Fee moves Tryton posted over all its runs.
    pub fees: Option<u64>,
}

/// Dun's policy doing what Tryton's dunning procedure does.
pub const TRYTON_POLICY: &str = include_str!("../tryton_policy.toml");

/// The step keys of [`TRYTON_POLICY`] and the Tryton level each is.
pub const TRYTON_LEVELS: [(&str, u32); 3] = [("level_1", 1), ("level_2", 2), ("level_3", 3)];

/// What Dun's run did to the book, in Tryton's terms.
#[derive(Debug, Default)]
pub struct DunLevels {
    /// Per invoice number, the highest level reached (a step sent, or
    /// recorded as skipped because a later one was due the same day).
    pub by_invoice: BTreeMap<String, u32>,
    /// Fees posted on the ledger, in minor units.
    pub fee_total_minor: i64,
    pub fees: u64,
}

impl DunLevels {
    /// Invoices per level (levels reached by none are left out).
    pub fn counts(&self) -> BTreeMap<u32, u64> {
        let mut counts = BTreeMap::new();
        for level in self.by_invoice.values() {
            *counts.entry(*level).or_insert(0) += 1;
        }
        counts
    }
}

/// Reads from the Dun book at `db` the levels its runs reached (from the
/// run's marks) and the fees they posted.
pub fn dun_levels(db: &str) -> Result<DunLevels> {
    let mut store = dun::open(db)?;
    let org = store.org(Some(ORG_NAME))?;
    let numbers: HashMap<i64, String> = store
        .invoice_states(org.id)?
        .into_values()
        .map(|i| (i.id, i.number))
        .collect();
    let mut out = DunLevels::default();
    for e in store.entries(org.id)? {
        if e.entry.kind == dun_core::ledger::EntryKind::Fee {
            out.fee_total_minor += e.entry.ar_minor;
            out.fees += 1;
        }
    }
    let mut conn = dun_store::Conn::open(db)?;
    let mut tx = conn.read_transaction()?;
    let marks = tx.query(
        "SELECT subject, key FROM run_marks WHERE org_id = $1",
        dun_store::params![org.id],
        |r| Ok((r.string(0)?, r.string(1)?)),
    )?;
    for (subject, key) in marks {
        let Some(level) = TRYTON_LEVELS.iter().find(|(k, _)| *k == key).map(|l| l.1) else {
            continue;
        };
        let id: Option<i64> = subject
            .strip_prefix("invoice:")
            .and_then(|i| i.parse().ok());
        if let Some(number) = id.and_then(|id| numbers.get(&id)) {
            let slot = out.by_invoice.entry(number.clone()).or_insert(0);
            *slot = (*slot).max(level);
        }
    }
    Ok(out)
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

/// Tryton's summary for `size` in its `out/` directory: the one its run
/// under `python -O` wrote (`summary_SIZE_O.json`) when there is one, else
/// `summary_SIZE.json`.
pub fn summary_path(out_dir: &Path, size: usize) -> PathBuf {
    let optimized = out_dir.join(format!("summary_{size}_O.json"));
    if optimized.is_file() {
        optimized
    } else {
        out_dir.join(format!("summary_{size}.json"))
    }
}

/// `python -O` or `python without -O`: from the summary's `python_optimize`,
/// else from its file name.
fn configuration(summary: &Value, path: &Path) -> String {
    let optimized = match summary.get("python_optimize").and_then(Value::as_u64) {
        Some(level) => level > 0,
        None => path
            .file_stem()
            .is_some_and(|s| s.to_string_lossy().ends_with("_O")),
    };
    if optimized {
        "python -O".to_string()
    } else {
        "python without -O".to_string()
    }
}

impl TrytonBook {
    pub fn open(tryton_dir: &Path, size: usize) -> Result<TrytonBook> {
        let dir = tryton_dir.join("out");
        let summary_path = summary_path(&dir, size);
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
        let mut final_levels = BTreeMap::new();
        for (key, count) in summary
            .get("final_counts")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let level = key.split('/').next().and_then(|l| l.parse::<u32>().ok());
            if let (Some(level), Some(count)) = (level, count.as_u64()) {
                *final_levels.entry(level).or_insert(0) += count;
            }
        }
        let configuration = configuration(&summary, &summary_path);
        let fees = summary.get("runs").and_then(Value::as_array).map(|runs| {
            runs.iter()
                .filter_map(|r| r.get("fees").and_then(Value::as_u64))
                .sum()
        });
        Ok(TrytonBook {
            final_levels,
            fees,
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
            configuration,
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
            w.write_record([&rec[id], &rec[name], "", "", &rec[limit], "", "", ""])?;
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

    // The run posts fees: the open total is checked before it.
    drop(store);
    say("dun policy apply (Tryton's procedure), dun run");
    let policy = Path::new(db).with_file_name("tryton_policy.toml");
    std::fs::write(&policy, TRYTON_POLICY)
        .with_context(|| format!("cannot write {}", policy.display()))?;
    dun.apply_policy(db, &policy)?;
    let run = dun.collections_run(db, &tryton.as_of)?;
    let levels = dun_levels(db)?;

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
            "peer_create_customers",
            format!("create {} customers (customers/s): `dun import customers` / Tryton create", grouped(tryton.customers as u64)),
            Unit::PerSecond,
            "customers/s",
            measured(Unit::PerSecond, tryton.customers, &[customers]),
            tryton.cell(tryton.customers, Unit::PerSecond, tryton.seconds(&["create customers"])),
        ),
        Row::new(
            "SQLite",
            "peer_import_invoices",
            format!("create + post {} invoices (invoices posted/s): `dun import invoices` / Tryton create+post", grouped(tryton.invoices as u64)),
            Unit::PerSecond,
            "invoices/s",
            measured(Unit::PerSecond, tryton.invoices, &[invoices]),
            tryton.cell(tryton.invoices, Unit::PerSecond, tryton.seconds(&["create+post invoices"])),
        ),
        Row::new(
            "SQLite",
            "peer_register_payments",
            format!("register {} payments against their invoices (payments/s): `dun import payments` / Tryton register", grouped(tryton.payments as u64)),
            Unit::PerSecond,
            "payments/s",
            measured(Unit::PerSecond, tryton.payments, &[payments]),
            tryton.cell(tryton.payments, Unit::PerSecond, tryton.seconds(&["register payments"])),
        ),
        Row::new(
            "SQLite",
            "peer_aging",
            format!("aging as of {} (ms): `dun aging` / Tryton: not measured by the peer", tryton.as_of),
            Unit::Millis,
            "ms",
            aging_cell,
            Cell::absent("—"),
        ),
        Row::new(
            "SQLite",
            "peer_dunning_all",
            format!(
                "dunning as of {} to the end state, every level, fees posted (ms): `dun run` (one run: the missed-day rule reaches every level at once) / Tryton generate_dunnings + process, all runs",
                tryton.as_of
            ),
            Unit::Millis,
            "ms",
            measured(Unit::Millis, 1, &[run]),
            tryton.cell(1, Unit::Millis, sum(tryton.seconds(&["generate_dunnings, all"]), tryton.seconds(&["process, all"]))),
        ),
        Row::new(
            "SQLite",
            "peer_dunning_first",
            format!(
                "dunning run as of {}, first run (ms): `dun run` (every level) / Tryton generate_dunnings + process, run 1 (level 1 only)",
                tryton.as_of
            ),
            Unit::Millis,
            "ms",
            measured(Unit::Millis, 1, &[run]),
            tryton.cell(1, Unit::Millis, sum(tryton.seconds(&["generate_dunnings, run 1"]), tryton.seconds(&["process (fees+state), run 1"]))),
        ),
    ];
    let dun_counts = levels.counts();
    let fee_text = |count: u64, minor: i64| {
        format!(
            "{} fees, {} {}",
            grouped(count),
            money(minor),
            tryton.currency
        )
    };
    let level_check = if dun_counts == tryton.final_levels {
        format!(
            "Dun's run and Tryton's reach the same levels: invoices per level {dun_counts:?}; Dun posted {}{}",
            fee_text(levels.fees, levels.fee_total_minor),
            tryton.fees.map_or(String::new(), |n| format!(", Tryton {} fee moves", grouped(n)))
        )
    } else {
        format!(
            "MISMATCH: invoices per level, Dun {dun_counts:?}, Tryton {:?} (Dun posted {})",
            tryton.final_levels,
            fee_text(levels.fees, levels.fee_total_minor)
        )
    };
    Ok((rows, vec![check, level_check]))
}
