//! The headline jobs on one engine: Dun beside its floor.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Result};
use dun_core::collections::run;
use dun_core::{Currency, Date};
use dun_store::payments::{Allocate, NewPayment};

use crate::book::BookInfo;
use crate::dun::{self, Dun, Table, ORG_NAME};
use crate::floor::postgres::PostgresFloor;
use crate::floor::sqlite::SqliteFloor;
use crate::floor::{self, AgingLine};
use crate::measure::{self, Run};
use crate::report::{grouped, Cell, Figure, Row, Unit};

/// Each payment the payments job records, in minor units: small, so each
/// one settles part of the payer's oldest invoice.
pub const PAYMENT_MINOR: i64 = 100;
/// Payments per block; Dun's and the floor's blocks alternate.
const PAYMENT_BLOCK: usize = 100;

/// The jobs' stable ids (the `id` of their rows in `--json`): what
/// `--compare` matches a run's rows and a baseline's by.
pub mod ids {
    pub const IMPORT_INVOICES: &str = "import_invoices";
    pub const AGING_PROCESS: &str = "aging_dun_process";
    pub const AGING_STORE: &str = "aging_store";
    pub const FIGURES: &str = "figures";
    pub const FIGURES_TREND: &str = "figures_trend";
    pub const RECORD_PAYMENT: &str = "record_payment";
    pub const RUN_DECIDE: &str = "run_decide";
    pub const RUN_FIRST: &str = "run_first";
    pub const RUN_NEXT_DAY: &str = "run_next_day";
}

/// Where one engine's books live.
pub enum Engine<'a> {
    /// Dun's book and the floor's, as two files in this directory.
    Sqlite { dir: &'a Path },
    /// Both in this (fresh) database: the floor's tables are `floor_*`.
    Postgres { url: &'a str },
}

impl Engine<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Engine::Sqlite { .. } => "SQLite",
            Engine::Postgres { .. } => "PostgreSQL",
        }
    }
}

enum Floor {
    Sqlite(SqliteFloor),
    Postgres(Box<PostgresFloor>),
}

impl Floor {
    fn import(&mut self, csv: &Path) -> Result<u64> {
        match self {
            Floor::Sqlite(f) => f.import(csv),
            Floor::Postgres(f) => f.import(csv),
        }
    }
    fn index(&mut self) -> Result<()> {
        match self {
            Floor::Sqlite(f) => f.index(),
            Floor::Postgres(f) => f.index(),
        }
    }
    fn aging(&mut self, as_of_day: i32) -> Result<Vec<AgingLine>> {
        match self {
            Floor::Sqlite(f) => f.aging(as_of_day),
            Floor::Postgres(f) => f.aging(as_of_day),
        }
    }
    fn customer_id(&mut self, reference: &str) -> Result<i64> {
        match self {
            Floor::Sqlite(f) => f.customer_id(reference),
            Floor::Postgres(f) => f.customer_id(reference),
        }
    }
    fn record_payment(
        &mut self,
        customer_id: i64,
        day: i32,
        currency: &str,
        amount_minor: i64,
    ) -> Result<()> {
        match self {
            Floor::Sqlite(f) => f.record_payment(customer_id, day, currency, amount_minor),
            Floor::Postgres(f) => f.record_payment(customer_id, day, currency, amount_minor),
        }
    }
}

/// What every engine's run shares.
pub struct Suite<'a> {
    pub dun: &'a Dun,
    pub book: &'a BookInfo,
    pub customer_refs: &'a [String],
    pub payments: usize,
    pub repeat: usize,
}

fn progress(engine: &str, what: &str) {
    eprintln!("dun-bench: {engine}: {what}");
}

/// Open amount per currency and bucket.
type BucketTotals = BTreeMap<String, Vec<i64>>;

impl Suite<'_> {
    /// Runs the jobs on `engine`. Returns the rows and the checks that the
    /// two sides did the same work.
    pub fn run(&self, engine: &Engine<'_>) -> Result<(Vec<Row>, Vec<String>)> {
        let name = engine.name();
        let book = self.book;
        let as_of = Date::parse(&book.end_date)?;
        let currency = Currency::parse(&book.currency)?;
        let n = grouped(book.invoices as u64);
        let in_scope = measure::in_process_rss_scope();
        let runs = self.repeat.max(1);

        // The imports: Dun's, then the floor's.
        let dun_db = match engine {
            Engine::Sqlite { dir } => dir.join("dun.db").to_string_lossy().into_owned(),
            Engine::Postgres { url } => url.to_string(),
        };
        progress(name, "dun init, dun import customers");
        self.dun.init(&dun_db, currency)?;
        self.dun
            .import(&dun_db, Table::Customers, &book.customers_csv)?;
        progress(name, &format!("dun import invoices ({n} invoices)"));
        let import = self
            .dun
            .import(&dun_db, Table::Invoices, &book.invoices_csv)?;
        progress(name, "floor: import");
        let mut floor = match engine {
            Engine::Sqlite { dir } => Floor::Sqlite(SqliteFloor::create(
                &dir.join("floor.db"),
                self.customer_refs,
            )?),
            Engine::Postgres { url } => {
                Floor::Postgres(Box::new(PostgresFloor::create(url, self.customer_refs)?))
            }
        };
        let (count, import_floor) = measure::in_process(|| floor.import(&book.invoices_csv))?;
        if count != book.invoices as u64 {
            bail!(
                "the floor read {count} invoices from {}, the book has {}",
                book.invoices_csv.display(),
                book.invoices
            );
        }
        floor.index()?;

        // The agings, taken in turn, so that a change in the machine's load
        // during the run falls on every side alike. Dun's store is opened
        // (outside the timing) for each run and closed after it: SQLite maps
        // the file, and pages still mapped would count in the floor's peak.
        progress(name, "aging: dun aging, Store::aging, floor, in turn");
        let org = dun::open(&dun_db)?.org(Some(ORG_NAME))?;
        let edges = org.edges();
        let (mut aging_process, mut aging_store, mut aging_floor) =
            (Vec::new(), Vec::new(), Vec::new());
        let mut dun_totals = BucketTotals::new();
        let mut floor_lines = Vec::new();
        for _ in 0..runs {
            if let Some(run) = self.dun.aging(&dun_db, &book.end_date)? {
                aging_process.push(run);
            }
            let mut store = dun::open(&dun_db)?;
            let (report, run) =
                measure::in_process(|| Ok(store.aging(org.id, as_of, &edges, false)?))?;
            drop(store);
            aging_store.push(run);
            dun_totals = report
                .0
                .totals()
                .into_iter()
                .map(|(c, row)| (c.code().to_string(), row.amounts_minor))
                .collect();
            let (lines, run) = measure::in_process(|| floor.aging(as_of.day_number()))?;
            aging_floor.push(run);
            floor_lines = lines;
        }

        // The collection figures of the 90 days to the book's end, and the
        // dashboard's trend of them: 12 points 30 days apart.
        progress(name, "Store::figures and Store::figures_trend, in turn");
        let (mut figures_runs, mut trend_runs) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let mut store = dun::open(&dun_db)?;
            let (_, run) = measure::in_process(|| Ok(store.figures(org.id, as_of, 90)?))?;
            figures_runs.push(run);
            let (_, run) =
                measure::in_process(|| Ok(store.figures_trend(org.id, as_of, 90, 12, 30)?))?;
            trend_runs.push(run);
        }

        // The payments, in blocks taken in turn for the same reason.
        progress(
            name,
            &format!(
                "Store::record_payment and the floor's inserts, {} each",
                self.payments
            ),
        );
        let payer = floor.customer_id(&book.payer_ref)?;
        let (mut pay_dun, mut pay_floor) = (Vec::new(), Vec::new());
        for block in 0..self.payments.div_ceil(PAYMENT_BLOCK) {
            let first = block * PAYMENT_BLOCK;
            let block = first..(first + PAYMENT_BLOCK).min(self.payments);
            let mut store = dun::open(&dun_db)?;
            let ((), run) = measure::in_process(|| {
                for i in block.clone() {
                    let payment = NewPayment {
                        customer_ref: book.payer_ref.clone(),
                        currency,
                        received_date: as_of,
                        amount_minor: PAYMENT_MINOR,
                        method: "bank_transfer".into(),
                        reference: format!("bench {i}"),
                        note: String::new(),
                    };
                    store.record_payment(org.id, &payment, &Allocate::OldestDueFirst, None)?;
                }
                Ok(())
            })?;
            drop(store);
            pay_dun.push(run);
            let ((), run) = measure::in_process(|| {
                for _ in block.clone() {
                    floor.record_payment(
                        payer,
                        as_of.day_number(),
                        currency.code(),
                        PAYMENT_MINOR,
                    )?;
                }
                Ok(())
            })?;
            pay_floor.push(run);
        }
        let (pay_dun, pay_floor) = (measure::total(&pay_dun), measure::total(&pay_floor));

        let mut checks = vec![agreement(name, &dun_totals, &floor_lines)];
        let (run_rows, run_checks) = self.collections(engine, &dun_db, org.id, as_of)?;
        checks.extend(run_checks);
        let invoices = book.invoices as u64;
        let dun_scope = self.dun.rss_scope();
        let measured = |unit, count, runs: &[Run], scope| {
            Cell::Measured(Figure::new(unit, count, runs, scope))
        };
        let floor_aging = measured(Unit::Millis, 1, &aging_floor, in_scope);
        let aging_job = format!(
            "aging as of {} over {n} open invoices, {name} (ms)",
            book.end_date
        );
        let process_cell = if aging_process.is_empty() {
            Cell::absent("n/a: no dun binary (Dun measured in-process)")
        } else {
            measured(Unit::Millis, 1, &aging_process, dun_scope)
        };
        let rows = vec![
            Row::new(
                name,
                ids::IMPORT_INVOICES,
                format!("import {n} invoices from CSV into {name} (invoices/s)"),
                Unit::PerSecond,
                "invoices/s",
                measured(Unit::PerSecond, invoices, &[import], dun_scope),
                measured(Unit::PerSecond, invoices, &[import_floor], in_scope),
            ),
            Row::new(
                name,
                ids::AGING_PROCESS,
                format!("{aging_job}: `dun aging`, process"),
                Unit::Millis,
                "ms",
                process_cell,
                floor_aging.clone(),
            ),
            Row::new(
                name,
                ids::AGING_STORE,
                format!("{aging_job}: `Store::aging`, in-process"),
                Unit::Millis,
                "ms",
                measured(Unit::Millis, 1, &aging_store, in_scope),
                floor_aging,
            ),
            Row::new(
                name,
                ids::FIGURES,
                format!(
                    "collection figures (DSO, CEI, …) of the 90 days to {}, {name}: `Store::figures`, in-process (ms)",
                    book.end_date
                ),
                Unit::Millis,
                "ms",
                measured(Unit::Millis, 1, &figures_runs, in_scope),
                Cell::absent("—"),
            ),
            Row::new(
                name,
                ids::FIGURES_TREND,
                format!("collection figures, a trend of 12 such periods 30 days apart, {name}: `Store::figures_trend`, in-process (ms)"),
                Unit::Millis,
                "ms",
                measured(Unit::Millis, 1, &trend_runs, in_scope),
                Cell::absent("—"),
            ),
            Row::new(
                name,
                ids::RECORD_PAYMENT,
                format!("record one payment, durable, {name} (commits/s)"),
                Unit::PerSecond,
                "commits/s",
                measured(Unit::PerSecond, self.payments as u64, &[pay_dun], in_scope),
                measured(
                    Unit::PerSecond,
                    self.payments as u64,
                    &[pay_floor],
                    in_scope,
                ),
            ),
        ];
        let mut rows = rows;
        rows.extend(run_rows);
        Ok((rows, checks))
    }

    /// The collections run on the book with its payments: the decision
    /// alone on a book already in memory (beside the floor's ladder loop),
    /// then `dun run` end to end, first on the book's last day (the first
    /// run: every step due on the whole book), then on the day after.
    fn collections(
        &self,
        engine: &Engine<'_>,
        dun_db: &str,
        org_id: i64,
        as_of: Date,
    ) -> Result<(Vec<Row>, Vec<String>)> {
        let name = engine.name();
        let book = self.book;
        let runs = self.repeat.max(1);
        let in_scope = measure::in_process_rss_scope();
        progress(
            name,
            "dun import payments (the run works on the book as paid)",
        );
        self.dun
            .import(dun_db, Table::Payments, &book.payments_csv)?;
        let mut rows = Vec::new();
        let mut checks = Vec::new();
        if matches!(engine, Engine::Sqlite { .. }) {
            progress(
                name,
                "the collections run: run::decide on the book in memory, and the floor, in turn",
            );
            let loaded = dun::open(dun_db)?.run_book(org_id, as_of)?;
            let input = loaded.input();
            let mut thresholds: Vec<i32> = loaded
                .policy
                .ladder
                .iter()
                .map(|s| s.days_past_due as i32)
                .collect();
            thresholds.sort_unstable();
            let open: Vec<(i32, i64)> = loaded
                .invoices
                .iter()
                .map(|i| (i.due_date().day_number(), i.open_minor()))
                .filter(|(_, open)| *open != 0)
                .collect();
            let (mut decide, mut ladder) = (Vec::new(), Vec::new());
            let mut plan = None;
            let mut levels = vec![0u64; thresholds.len() + 1];
            for _ in 0..runs {
                let (p, run) =
                    measure::in_process(|| Ok(run::decide(std::hint::black_box(&input))))?;
                decide.push(run);
                plan = Some(p);
                let (l, run) = measure::in_process(|| {
                    Ok(floor_ladder(
                        std::hint::black_box(&open),
                        &thresholds,
                        as_of.day_number(),
                    ))
                })?;
                ladder.push(run);
                levels = l;
            }
            let plan = plan.expect("decided at least once");
            let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
            for a in &plan.actions {
                *kinds.entry(a.kind.name()).or_default() += 1;
            }
            checks.push(format!(
                "the run as of {as_of} over {} customers and {} invoices loaded ({} open) decided {} actions ({}); the floor placed the open invoices on ladder steps 0..{}: {levels:?}",
                grouped(loaded.customers.len() as u64),
                grouped(loaded.invoices.len() as u64),
                grouped(open.len() as u64),
                grouped(plan.actions.len() as u64),
                kinds
                    .iter()
                    .map(|(k, n)| format!("{k} {}", grouped(*n as u64)))
                    .collect::<Vec<_>>()
                    .join(", "),
                thresholds.len(),
            ));
            drop(plan);
            drop(loaded);
            rows.push(Row::new(
                "any",
                ids::RUN_DECIDE,
                format!(
                    "the collections run, decide only: run::decide on the book as of {as_of} in memory (ms)"
                ),
                Unit::Millis,
                "ms",
                Cell::Measured(Figure::new(Unit::Millis, 1, &decide, in_scope)),
                Cell::Measured(Figure::new(Unit::Millis, 1, &ladder, in_scope)),
            ));
        }
        progress(
            name,
            &format!("dun run --as-of {as_of} (the first run), then the day after"),
        );
        let first = self.dun.collections_run(dun_db, &book.end_date)?;
        let next_day = as_of.add_days(1).to_string();
        let next = self.dun.collections_run(dun_db, &next_day)?;
        let scope = self.dun.rss_scope();
        let floor = || Cell::absent("—");
        rows.push(Row::new(
            name,
            ids::RUN_FIRST,
            format!("the collections run, end to end: `dun run --as-of {as_of}`, the first run over the whole book, {name} (ms)"),
            Unit::Millis,
            "ms",
            Cell::Measured(Figure::new(Unit::Millis, 1, &[first], scope)),
            floor(),
        ));
        rows.push(Row::new(
            name,
            ids::RUN_NEXT_DAY,
            format!("the collections run, end to end: `dun run --as-of {next_day}`, the day after, {name} (ms)"),
            Unit::Millis,
            "ms",
            Cell::Measured(Figure::new(Unit::Millis, 1, &[next], scope)),
            floor(),
        ));
        Ok((rows, checks))
    }
}

/// The floor of the decision: for each open invoice in an array of
/// `(due day, open amount)`, the highest ladder step its days past due
/// reach. Returns how many invoices stand on each step (0: none reached).
fn floor_ladder(open: &[(i32, i64)], thresholds: &[i32], as_of_day: i32) -> Vec<u64> {
    let mut levels = vec![0u64; thresholds.len() + 1];
    for &(due, amount) in open {
        if amount > 0 {
            let days = as_of_day - due;
            let level = thresholds.iter().take_while(|t| days >= **t).count();
            levels[level] += 1;
        }
    }
    levels
}

/// Whether Dun's aging and the floor's summed the same open amounts.
fn agreement(engine: &str, dun: &BucketTotals, floor_lines: &[AgingLine]) -> String {
    let mut floor = BucketTotals::new();
    for line in floor_lines {
        let total = floor
            .entry(line.currency.clone())
            .or_insert_with(|| vec![0; 5]);
        for (t, b) in total.iter_mut().zip(line.buckets_minor) {
            *t += b;
        }
    }
    let fmt = |t: &BucketTotals| {
        t.iter()
            .map(|(c, b)| format!("{c} {b:?}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    if *dun == floor {
        format!(
            "{engine}: Dun's aging and the floor's agree bucket by bucket ({})",
            fmt(dun)
        )
    } else {
        format!(
            "{engine}: MISMATCH — Dun's aging per bucket {} ≠ the floor's {} (the floor totals: {:?})",
            fmt(dun),
            fmt(&floor),
            floor::totals(floor_lines)
        )
    }
}
