//! Dun's benchmark: every headline job beside a **floor** doing the same
//! work by the shortest route, and beside a **peer** (Tryton).
//!
//! `dun-bench --invoices N` generates a book with the demo generator, writes
//! it as CSV, and on SQLite (and PostgreSQL when a URL is given) measures:
//! the import of N invoices, the aging over N open invoices (through the
//! `dun` binary and through `Store::aging` in-process), and durable
//! payments; each beside its floor ([`floor`]). `dun-bench peer` imports
//! the Tryton peer benchmark's book and prints Dun's figures beside
//! Tryton's ([`peer`]).
//!
//! *Architecture invariant:* a figure is only ever printed from a
//! measurement made in this run (or, for the peer, read from its summary
//! file). A job with no code yet prints "not built yet", never a number.
//! Nothing here asserts a timing, except the guard (`--compare`,
//! [`compare`]), which compares ratios to work measured in the same run
//! with a kept run's, never times.

pub mod bank;
pub mod book;
pub mod cli;
pub mod compare;
pub mod dun;
pub mod floor;
pub mod fresh_postgres;
pub mod machine;
pub mod measure;
pub mod peer;
pub mod report;
pub mod suite;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use serde::Serialize;

use crate::book::BookInfo;
use crate::cli::{Cli, Command, OutputArgs, PeerArgs, SuiteArgs};
use crate::dun::Dun;
use crate::machine::Machine;
use crate::measure::Run;
use crate::report::{decimal, grouped, markdown, RatioReads, Row};

/// Runs what the command line asks for.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Some(Command::Generate { invoices, dir }) => {
            let info = book::write_book(invoices, &dir)?;
            println!("{}", serde_json::to_string(&info)?);
            Ok(())
        }
        Some(Command::Peer(args)) => run_peer(&args),
        Some(Command::Bank(args)) => bank::run(&args),
        None => run_suite(&cli.suite),
    }
}

/// The directory the run works in: `--keep DIR`, or a temporary one.
enum WorkDir {
    Kept(PathBuf),
    Temporary(tempfile::TempDir),
}

impl WorkDir {
    fn new(output: &OutputArgs) -> Result<WorkDir> {
        match &output.keep {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("--keep: cannot create {}", dir.display()))?;
                if dir.join("dun.db").exists() {
                    bail!(
                        "--keep: {} already holds a bench run (dun.db); give an empty directory",
                        dir.display()
                    );
                }
                Ok(WorkDir::Kept(dir.clone()))
            }
            None => Ok(WorkDir::Temporary(
                tempfile::Builder::new().prefix("dun-bench-").tempdir()?,
            )),
        }
    }

    fn path(&self) -> &Path {
        match self {
            WorkDir::Kept(p) => p,
            WorkDir::Temporary(t) => t.path(),
        }
    }
}

#[derive(Serialize)]
struct SuiteJson<'a> {
    tool: &'static str,
    command: Vec<String>,
    machine: &'a Machine,
    dun: String,
    book: &'a BookInfo,
    book_generation: Run,
    postgres: String,
    rows: &'a [Row],
    checks: &'a [String],
}

fn run_suite(args: &SuiteArgs) -> Result<()> {
    // The baseline is read first: a missing or mismatched one fails before
    // the run, not after it.
    let baseline = match &args.compare {
        Some(path) => {
            let baseline = compare::Baseline::read(path)?;
            if baseline.book.invoices != args.invoices {
                bail!(
                    "--compare: {} is a run at {} invoices, this one is at {}; ratios only compare at the same size",
                    path.display(),
                    grouped(baseline.book.invoices as u64),
                    grouped(args.invoices as u64)
                );
            }
            Some((path, baseline))
        }
        None => None,
    };
    let machine = Machine::read();
    let dun = Dun::locate(&args.dun)?;
    let work = WorkDir::new(&args.output)?;
    eprintln!(
        "dun-bench: generating a demo book of {} invoices in {}",
        grouped(args.invoices as u64),
        work.path().display()
    );
    let (book, generation) = book::generate_in_child(args.invoices, work.path())?;
    let customer_refs = floor::customer_refs(&book.customers_csv)?;
    let suite = suite::Suite {
        dun: &dun,
        book: &book,
        customer_refs: &customer_refs,
        payments: args.payments,
        repeat: args.output.repeat,
    };
    let mut rows = Vec::new();
    let mut checks = Vec::new();
    let (r, c) = suite.run(&suite::Engine::Sqlite { dir: work.path() })?;
    rows.extend(r);
    checks.extend(c);
    let postgres = match (&args.postgres, args.skip_postgres) {
        (Some(url), false) => {
            let fresh = fresh_postgres::FreshDatabase::create(url)?;
            let (r, c) = suite.run(&suite::Engine::Postgres { url: &fresh.url })?;
            rows.extend(r);
            checks.extend(c);
            format!(
                "measured in a fresh database on {}, dropped after",
                dun_store::db::redact(url)
            )
        }
        (Some(_), true) => "skipped (--skip-postgres)".to_string(),
        (None, _) => "skipped (no --postgres URL or DUN_BENCH_POSTGRES_URL)".to_string(),
    };

    let mut out = format!(
        "## Dun benchmark: {} invoices\n\n",
        grouped(book.invoices as u64)
    );
    out.push_str(&machine.markdown());
    out.push_str(&format!(
        "\nBook: the demo generator's {} invoices ({} CSV rows, one per line; {} MB), {} customers, ending {}; generated in {} s. Dun: {}. PostgreSQL: {postgres}.\n\n",
        grouped(book.invoices as u64),
        grouped(book.invoice_lines as u64),
        decimal(book.invoices_csv_bytes as f64 / 1e6),
        grouped(book.customers as u64),
        book.end_date,
        decimal(generation.seconds),
        dun.describe(),
    ));
    out.push_str(&markdown(&rows, "floor", "ratio", RatioReads::DunOverOther));
    out.push_str(&format!(
        "\nratio = Dun's time ÷ the floor's time for the same work (1.00× = at the floor; higher is slower).\n\
         How: import = `dun --db FILE import invoices invoices.csv`, spawn to exit (reads, checks every row, writes each invoice and its ledger entry, commits), \
         beside the csv crate + one transaction of prepared INSERTs (SQLite) or one `COPY … FROM STDIN` (PostgreSQL) of number, customer id, dates, currency and total \
         into a table with only a primary key. Aging = median of {repeat} runs of `dun aging --as-of {date} --format csv` (spawn to exit) and of `Store::aging` on an open store, \
         beside one `GROUP BY customer_id, currency` with a `SUM(CASE…)` per bucket on a covering index built beforehand. \
         Payments = {payments} payments of {each} {cur} each, oldest due first, each its own transaction through `Store::record_payment`, beside {payments} single-row autocommit INSERTs; \
         SQLite with journal_mode=WAL, synchronous=FULL on both sides, PostgreSQL with synchronous_commit=on. \
         The collections run, under Dun's default policy, on the book with its payments imported (`dun import payments`, after the jobs above): \
         decide only = median of {repeat} runs of `run::decide` on the book as of {date} already loaded in memory (`Store::run_book`), \
         beside a loop over an array of (due day, open amount) placing each open invoice on the highest ladder step its days past due reach; \
         end to end = `dun run --as-of {date} --format csv`, spawn to exit: the first run over the whole book (every step due on every invoice, \
         with the missed-day rule), applied in one transaction; then the next day's run. \
         Peak RSS: of the `dun` child (GNU time); \"(bench)\" = this bench process during the job, its baseline included.\n",
        repeat = args.output.repeat.max(1),
        date = book.end_date,
        payments = grouped(args.payments as u64),
        each = dun_core::money::format_minor(suite::PAYMENT_MINOR, dun_core::Currency::parse(&book.currency)?),
        cur = book.currency,
    ));
    for check in &checks {
        out.push_str(&format!("Check: {check}\n"));
    }
    print!("{out}");
    if let Some(path) = &args.output.json {
        let json = SuiteJson {
            tool: "dun-bench",
            command: std::env::args().collect(),
            machine: &machine,
            dun: dun.describe(),
            book: &book,
            book_generation: generation,
            postgres,
            rows: &rows,
            checks: &checks,
        };
        write_json(path, &json)?;
    }
    if let Some((path, baseline)) = baseline {
        let name = format!("{} ({})", path.display(), baseline.describe());
        let lines = compare::compare(&baseline.rows, &rows);
        print!("{}", compare::markdown(&lines, &name));
        print!("{}", compare::verdict(&lines, &name)?);
    }
    Ok(())
}

#[derive(Serialize)]
struct PeerJson<'a> {
    tool: &'static str,
    command: Vec<String>,
    machine: &'a Machine,
    dun: String,
    tryton_version: &'a str,
    tryton_summary: String,
    tryton_configuration: &'a str,
    as_of: &'a str,
    rows: &'a [Row],
    checks: &'a [String],
}

fn run_peer(args: &PeerArgs) -> Result<()> {
    let machine = Machine::read();
    let tryton = peer::TrytonBook::open(&args.tryton_dir, args.size)?;
    let dun = Dun::locate(&args.dun)?;
    let work = WorkDir::new(&args.output)?;
    let files = tryton.convert(work.path())?;
    let db = work.path().join("dun.db").to_string_lossy().into_owned();
    let (rows, checks) = peer::measure(&dun, &tryton, &files, &db, args.output.repeat)?;
    let peer_name = format!("Tryton {} ({})", tryton.version, tryton.configuration);
    let mut out = format!(
        "## Dun beside Tryton {}: {} invoices\n\n",
        tryton.version,
        grouped(tryton.invoices as u64)
    );
    out.push_str(&machine.markdown());
    out.push_str(&format!(
        "\nBook: Tryton's own ({}: {} customers, {} invoices, {} payments), converted to Dun's CSV columns and imported into a fresh SQLite book. \
         Tryton's figures are read from {} (its ORM calls, timed inside its process; Tryton run as {}: \
         its `summary_N_O.json` is preferred when present, as its README recommends `-O`); Dun's are `dun` commands timed from spawn to exit. Dun: {}.\n\n",
        tryton.dir.display(),
        grouped(tryton.customers as u64),
        grouped(tryton.invoices as u64),
        grouped(tryton.payments as u64),
        tryton.summary_path.display(),
        tryton.configuration,
        dun.describe(),
    ));
    out.push_str(&markdown(
        &rows,
        &peer_name,
        &format!("{peer_name} ÷ Dun"),
        RatioReads::OtherOverDun,
    ));
    out.push_str(&format!(
        "\n{peer_name} ÷ Dun = Tryton's time ÷ Dun's time: how many times faster Dun is. Dun's aging is the median of {} runs. \
         Dun's dunning is `dun run` under crates/dun-bench/tryton_policy.toml (Tryton's three levels at 15/30/60 days, a 10.00 fee at level 2, nothing else), \
         applied once: Dun reaches every level in one run (steps passed on a missed day are recorded as skipped, their fees still charged), \
         where Tryton advances one level per generate + process cycle.\n",
        args.output.repeat.max(1)
    ));
    for check in &checks {
        out.push_str(&format!("Check: {check}\n"));
    }
    print!("{out}");
    if let Some(path) = &args.output.json {
        let json = PeerJson {
            tool: "dun-bench peer",
            command: std::env::args().collect(),
            machine: &machine,
            dun: dun.describe(),
            tryton_version: &tryton.version,
            tryton_summary: tryton.summary_path.display().to_string(),
            tryton_configuration: &tryton.configuration,
            as_of: &tryton.as_of,
            rows: &rows,
            checks: &checks,
        };
        write_json(path, &json)?;
    }
    Ok(())
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, text + "\n")
        .with_context(|| format!("--json: cannot write {}", path.display()))?;
    eprintln!("dun-bench: figures written to {}", path.display());
    Ok(())
}
