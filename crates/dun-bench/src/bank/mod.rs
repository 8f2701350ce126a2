//! `dun-bench bank`: a bank statement imported and matched against a big
//! book (issue 14), beside two floors.
//!
//! On each engine: the demo book is generated and imported through `dun
//! import` (customers, invoices and — unless `--all-open` — the
//! generator's payments, so most invoices are paid as in a real book); its
//! open invoices are read with plain SQL and a camt.053 of `--lines`
//! credits paying them is written ([`statement`]); `dun bank import` is
//! timed end to end as a child, then again on the same file (every line
//! already imported: the dedup path). Beside it, in this process: parsing
//! the file alone (`dun_bank::parse_statements`) and storing the parsed
//! lines by the shortest route ([`floor`]), each the median of `--repeat`
//! runs. Every ratio is Dun's time ÷ a floor's, taken in the same run.

pub mod floor;
pub mod statement;

use anyhow::{anyhow, bail, Result};
use dun_core::bank::{BankLine, Statement};
use dun_core::{Currency, Date};
use serde::Serialize;

use crate::book::{self, BookInfo};
use crate::cli::BankArgs;
use crate::dun::{BankImportCounts, Dun, Table, ORG_NAME};
use crate::machine::Machine;
use crate::measure::{self, Run};
use crate::report::{decimal, grouped, markdown, Cell, Figure, RatioReads, Row, Unit};
use crate::suite::Engine;
use crate::{fresh_postgres, write_json, WorkDir};

use self::floor::LineFloor;
use self::statement::{OpenInvoice, StatementInfo, OPEN_INVOICES_SQL};

/// The rows' stable ids in `--json`.
pub mod ids {
    pub const IMPORT_VS_PARSE: &str = "bank_import_vs_parse";
    pub const IMPORT_VS_STORE: &str = "bank_import_vs_store";
    pub const IMPORT_VS_BOTH: &str = "bank_import_vs_parse_and_store";
    pub const REIMPORT: &str = "bank_reimport";
}

/// One `dun bank import`: its time and peak, and what it said it did.
#[derive(Clone, Debug, Serialize)]
pub struct ImportRun {
    pub run: Run,
    pub counts: BankImportCounts,
}

/// What one engine's pass measured, for the JSON.
#[derive(Clone, Debug, Serialize)]
pub struct EngineRun {
    pub engine: &'static str,
    /// `dun import` of the book (not part of any figure): what and how long.
    pub book_imports: Vec<(String, Run)>,
    pub statement: StatementInfo,
    pub first_import: ImportRun,
    pub second_import: ImportRun,
    pub parse_floor: Vec<Run>,
    pub store_floor: Vec<Run>,
}

#[derive(Serialize)]
struct BankJson<'a> {
    tool: &'static str,
    command: Vec<String>,
    machine: &'a Machine,
    dun: String,
    book: &'a BookInfo,
    book_generation: Run,
    book_paid: bool,
    lines: usize,
    postgres: String,
    engines: &'a [EngineRun],
    rows: &'a [Row],
    checks: &'a [String],
}

fn progress(engine: &str, what: &str) {
    eprintln!("dun-bench: bank: {engine}: {what}");
}

/// `dun-bench bank`.
pub fn run(args: &BankArgs) -> Result<()> {
    if args.lines == 0 {
        bail!("--lines: give at least 1");
    }
    let machine = Machine::read();
    let dun = Dun::locate(&args.dun)?;
    let work = WorkDir::new(&args.output)?;
    eprintln!(
        "dun-bench: bank: generating a demo book of {} invoices in {}",
        grouped(args.invoices as u64),
        work.path().display()
    );
    let (book, generation) = book::generate_in_child(args.invoices, work.path())?;
    let job = BankJob {
        dun: &dun,
        book: &book,
        lines: args.lines,
        paid: !args.all_open,
        repeat: args.output.repeat.max(1),
        keep_statement: args.output.keep.is_some(),
    };
    let (mut rows, mut checks, mut engines) = (Vec::new(), Vec::new(), Vec::new());
    if !args.skip_sqlite {
        let (r, c, e) = job.run(&Engine::Sqlite { dir: work.path() }, work.path())?;
        rows.extend(r);
        checks.extend(c);
        engines.push(e);
    }
    let postgres = match (&args.postgres, args.skip_postgres) {
        (Some(url), false) => {
            let fresh = fresh_postgres::FreshDatabase::create(url)?;
            let (r, c, e) = job.run(&Engine::Postgres { url: &fresh.url }, work.path())?;
            rows.extend(r);
            checks.extend(c);
            engines.push(e);
            format!(
                "measured in a fresh database on {}, dropped after",
                dun_store::db::redact(url)
            )
        }
        (Some(_), true) => "skipped (--skip-postgres)".to_string(),
        (None, _) => "skipped (no --postgres URL or DUN_BENCH_POSTGRES_URL)".to_string(),
    };
    if engines.is_empty() {
        bail!("nothing was measured: --skip-sqlite without a PostgreSQL URL");
    }

    let statement = &engines[0].statement;
    let mut out = format!(
        "## Dun benchmark: a bank statement of {} lines against {} invoices\n\n",
        grouped(args.lines as u64),
        grouped(book.invoices as u64)
    );
    out.push_str(&machine.markdown());
    let open_counts = engines
        .iter()
        .map(|e| format!("{} {}", grouped(e.statement.open_invoices as u64), e.engine))
        .collect::<Vec<_>>()
        .join(", ");
    out.push_str(&format!(
        "\nBook: the demo generator's {} invoices, {} customers, ending {}{}; generated in {} s; open invoices when the statement was written: {open_counts}. \
         Statement: one camt.053.001.08 of {} credits booked {} ({} MB): {} quote their invoice's creditor reference (`Strd/CdtrRefInf/Ref`), \
         {} its number in the text (\"inv 000123\"), {} nothing a rule matches ({} of them an open invoice's exact amount, so they get candidates); \
         each line pays a different invoice its exact open amount. Dun: {}. PostgreSQL: {postgres}.\n\n",
        grouped(book.invoices as u64),
        grouped(book.customers as u64),
        book.end_date,
        if job.paid {
            format!(
                ", imported with the generator's {} payments (`dun import payments`)",
                grouped(book.payments as u64)
            )
        } else {
            ", its invoices only (--all-open: no payments)".to_string()
        },
        decimal(generation.seconds),
        grouped(statement.lines as u64),
        statement.booked,
        decimal(statement.bytes as f64 / 1e6),
        grouped(statement.with_reference as u64),
        grouped(statement.with_number as u64),
        grouped(statement.without_reference as u64),
        grouped(statement.queue_with_amount_of_an_invoice as u64),
        dun.describe(),
    ));
    out.push_str(&markdown(&rows, "floor", "ratio", RatioReads::DunOverOther));
    out.push_str(&format!(
        "\nratio = Dun's time ÷ the floor's time for the same lines (1.00× = at the floor; higher is slower).\n\
         How: Dun = `dun --db DB bank import statement.xml`, spawn to exit, once on the book as imported (reads and parses the file, checks it, stores each line once, \
         matches every new credit against the book's open invoices, posts each match as a payment, leaves the rest in the queue with their candidates, one commit), \
         then the same file again (every line already imported: parsed and skipped). \
         Floors, the median of {repeat} runs in this process: parse = `dun_bank::parse_statements` over the file's bytes (read beforehand); \
         store = the parsed lines' nine columns (bank reference, dates, amount, currency, payer, IBAN, text, references) as multi-row INSERTs of {rows} rows \
         into a table with only a primary key, in one transaction (SQLite: its own file with journal_mode=WAL, synchronous=FULL, as Dun's; \
         PostgreSQL: the same database, synchronous_commit=on); parse + store = the two added. \
         Peak RSS: of the `dun` child (GNU time); \"(bench)\" = this bench process during the floor, the file's bytes it holds included.\n",
        repeat = job.repeat,
        rows = floor::ROWS_PER_INSERT,
    ));
    for check in &checks {
        out.push_str(&format!("Check: {check}\n"));
    }
    print!("{out}");
    if let Some(path) = &args.output.json {
        let json = BankJson {
            tool: "dun-bench bank",
            command: std::env::args().collect(),
            machine: &machine,
            dun: dun.describe(),
            book: &book,
            book_generation: generation,
            book_paid: job.paid,
            lines: args.lines,
            postgres,
            engines: &engines,
            rows: &rows,
            checks: &checks,
        };
        write_json(path, &json)?;
    }
    Ok(())
}

struct BankJob<'a> {
    dun: &'a Dun,
    book: &'a BookInfo,
    lines: usize,
    /// The generator's payments imported too.
    paid: bool,
    repeat: usize,
    /// `--keep`: leave the statement file in the directory.
    keep_statement: bool,
}

impl BankJob<'_> {
    /// The job on one engine: the book, the statement, Dun twice, the
    /// floors. `dir` holds the statement (and SQLite's files).
    fn run(
        &self,
        engine: &Engine<'_>,
        dir: &std::path::Path,
    ) -> Result<(Vec<Row>, Vec<String>, EngineRun)> {
        let name = engine.name();
        let book = self.book;
        let currency = Currency::parse(&book.currency)?;
        let dun_db = match engine {
            Engine::Sqlite { dir } => dir.join("dun.db").to_string_lossy().into_owned(),
            Engine::Postgres { url } => url.to_string(),
        };

        // The book, through `dun import` (not timed for any figure).
        progress(name, "dun init, dun import customers, invoices, payments");
        self.dun.init(&dun_db, currency)?;
        let mut book_imports = Vec::new();
        let mut tables = vec![Table::Customers, Table::Invoices];
        if self.paid {
            tables.push(Table::Payments);
        }
        for table in tables {
            let file = match table {
                Table::Customers => &book.customers_csv,
                Table::Invoices => &book.invoices_csv,
                Table::Payments => &book.payments_csv,
            };
            let run = self.dun.import(&dun_db, table, file)?;
            book_imports.push((format!("dun import {}", table.as_str()), run));
        }

        // The statement, from the book's open invoices read with plain SQL.
        progress(
            name,
            &format!(
                "reading the open invoices, writing a camt.053 of {} lines",
                self.lines
            ),
        );
        let open = read_open_invoices(engine, &dun_db)?;
        let booked = Date::parse(&book.end_date)?.add_days(1).to_string();
        let path = dir.join(format!("statement-{}.xml", name.to_lowercase()));
        let info = statement::write(&path, &open, self.lines, &booked, currency)?;
        drop(open);

        // Dun, end to end, twice.
        progress(name, "dun bank import (the first time)");
        let (first, first_counts) = self.dun.bank_import(&dun_db, &path)?;
        progress(name, "dun bank import (the same file again)");
        let (second, second_counts) = self.dun.bank_import(&dun_db, &path)?;

        // The floors.
        progress(
            name,
            &format!("floors: parse, store, {} runs each", self.repeat),
        );
        let bytes = std::fs::read(&path)?;
        let mut parse_runs = Vec::new();
        let mut parsed: Option<Vec<Statement>> = None;
        for _ in 0..self.repeat {
            drop(parsed.take());
            let (statements, run) = measure::in_process(|| {
                dun_bank::parse_statements(
                    std::hint::black_box(&bytes),
                    &dun_bank::ParseOptions::default(),
                )
                .map_err(|e| anyhow!("{}: {e}", path.display()))
            })?;
            parse_runs.push(run);
            parsed = Some(statements);
        }
        let lines: Vec<BankLine> = parsed
            .unwrap_or_default()
            .into_iter()
            .flat_map(|s| s.lines)
            .collect();
        drop(bytes);
        if lines.len() != self.lines {
            bail!(
                "the parse floor read {} lines from {}, the statement has {}",
                lines.len(),
                path.display(),
                self.lines
            );
        }
        let mut store = match engine {
            Engine::Sqlite { dir } => LineFloor::sqlite(&dir.join("floor.db"))?,
            Engine::Postgres { url } => LineFloor::postgres(url)?,
        };
        let mut store_runs = Vec::new();
        for _ in 0..self.repeat {
            store.clear()?;
            let ((), run) = measure::in_process(|| store.insert(&lines))?;
            store_runs.push(run);
        }
        let stored = store.count()?;
        drop(store);
        drop(lines);
        if !self.keep_statement {
            std::fs::remove_file(&path)?;
        }

        // Rows and checks.
        let count = self.lines as u64;
        let dun_scope = self.dun.rss_scope();
        let in_scope = measure::in_process_rss_scope();
        let parse = measure::summarize(&parse_runs);
        let stored_run = measure::summarize(&store_runs);
        let both = Run {
            seconds: parse.seconds + stored_run.seconds,
            peak_rss_kib: parse.peak_rss_kib.max(stored_run.peak_rss_kib),
        };
        let dun_cell =
            |run: Run| Cell::Measured(Figure::new(Unit::PerSecond, count, &[run], dun_scope));
        let floor_cell =
            |runs: &[Run]| Cell::Measured(Figure::new(Unit::PerSecond, count, runs, in_scope));
        let m = grouped(count);
        let n = grouped(book.invoices as u64);
        let job = format!("import and match {m} lines against {n} invoices, {name}: `dun bank import`, end to end");
        let rows = vec![
            Row::new(
                name,
                ids::IMPORT_VS_PARSE,
                format!("{job}, beside parsing the file alone (lines/s)"),
                Unit::PerSecond,
                "lines/s",
                dun_cell(first),
                floor_cell(&parse_runs),
            ),
            Row::new(
                name,
                ids::IMPORT_VS_STORE,
                format!("{job}, beside storing the parsed lines: multi-row INSERTs (lines/s)"),
                Unit::PerSecond,
                "lines/s",
                dun_cell(first),
                floor_cell(&store_runs),
            ),
            Row::new(
                name,
                ids::IMPORT_VS_BOTH,
                format!("{job}, beside parse + store (lines/s)"),
                Unit::PerSecond,
                "lines/s",
                dun_cell(first),
                Cell::Measured(Figure::new(Unit::PerSecond, count, &[both], in_scope)),
            ),
            Row::new(
                name,
                ids::REIMPORT,
                format!("the same file imported again, {name}: every line already there (lines/s), beside parsing it alone"),
                Unit::PerSecond,
                "lines/s",
                dun_cell(second),
                floor_cell(&parse_runs),
            ),
        ];
        let checks = checks(name, &info, &first_counts, &second_counts, stored, count);
        let engine_run = EngineRun {
            engine: name,
            book_imports,
            statement: info,
            first_import: ImportRun {
                run: first,
                counts: first_counts,
            },
            second_import: ImportRun {
                run: second,
                counts: second_counts,
            },
            parse_floor: parse_runs,
            store_floor: store_runs,
        };
        Ok((rows, checks, engine_run))
    }
}

/// Whether Dun and the floors did the work the statement asks for.
fn checks(
    name: &str,
    info: &StatementInfo,
    first: &BankImportCounts,
    second: &BankImportCounts,
    stored: u64,
    lines: u64,
) -> Vec<String> {
    let expected = info.expected_matches() as u64;
    let verdict = |ok: bool| if ok { "as expected" } else { "MISMATCH" };
    vec![
        format!(
            "{name}: the first import read {} lines, {} new: {} matched and posted ({}: every line naming an invoice, {}), {} suggested, {} unmatched",
            grouped(first.lines_read),
            grouped(first.lines_new),
            grouped(first.matched),
            verdict(first.lines_new == lines && first.matched == expected),
            grouped(expected),
            grouped(first.suggested),
            grouped(first.unmatched),
        ),
        format!(
            "{name}: the second import of the same file read {} lines, {} new, {} matched ({}: nothing added twice)",
            grouped(second.lines_read),
            grouped(second.lines_new),
            grouped(second.matched),
            verdict(second.lines_read == lines && second.lines_new == 0 && second.matched == 0),
        ),
        format!(
            "{name}: the store floor's table holds {} lines ({})",
            grouped(stored),
            verdict(stored == lines)
        ),
    ]
}

/// The book's open invoices, by plain SQL on the engine's own client.
fn read_open_invoices(engine: &Engine<'_>, dun_db: &str) -> Result<Vec<OpenInvoice>> {
    match engine {
        Engine::Sqlite { .. } => {
            let conn = rusqlite::Connection::open_with_flags(
                dun_db,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )?;
            let mut select = conn.prepare(&OPEN_INVOICES_SQL.replace("$1", "?1"))?;
            let open = select
                .query_map([ORG_NAME], |r| {
                    Ok(OpenInvoice {
                        id: r.get(0)?,
                        number: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                        currency: r.get(2)?,
                        open_minor: r.get(3)?,
                        customer_id: r.get(4)?,
                        customer_name: r.get(5)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(open)
        }
        Engine::Postgres { url } => {
            let mut client = postgres::Client::connect(url, postgres::NoTls)?;
            Ok(client
                .query(OPEN_INVOICES_SQL, &[&ORG_NAME])?
                .iter()
                .map(|r| OpenInvoice {
                    id: r.get(0),
                    number: r.get::<_, Option<String>>(1).unwrap_or_default(),
                    currency: r.get(2),
                    open_minor: r.get(3),
                    customer_id: r.get(4),
                    customer_name: r.get(5),
                })
                .collect())
        }
    }
}
