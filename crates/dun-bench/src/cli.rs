//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Invoices in the generated book unless `--invoices` says otherwise.
pub const INVOICES_DEFAULT: usize = 100_000;
/// Durable payments recorded per side for the commits/s figure.
pub const PAYMENTS_DEFAULT: usize = 2_000;
/// Runs of each aging; the median is reported, every run is in the JSON.
pub const REPEAT_DEFAULT: usize = 5;

#[derive(Parser, Debug)]
#[command(
    name = "dun-bench",
    version,
    about = "Every headline job of Dun beside a floor doing the same work by the shortest route",
    long_about = "Generates a book with the demo generator, writes it as CSV, and measures each \
headline job beside a floor (the same work by the shortest route), printing a Markdown table of \
figures, ratios and peak memory. `dun-bench peer` runs the same jobs on the book of the Tryton \
peer benchmark and prints Dun's figures beside Tryton's.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub suite: SuiteArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Import the Tryton peer's book into Dun and print Dun's figures beside Tryton's.
    Peer(PeerArgs),
    /// Import and match a camt.053 statement of --lines credits against a
    /// demo book of --invoices invoices: `dun bank import` end to end (and
    /// again, the dedup path) beside parsing alone and plain INSERTs of the
    /// lines.
    Bank(BankArgs),
    /// (internal) Generate the demo book as CSV in DIR and print a JSON summary.
    #[command(hide = true)]
    Generate {
        #[arg(long)]
        invoices: usize,
        #[arg(long)]
        dir: PathBuf,
    },
}

/// How the bench finds the `dun` binary it measures.
#[derive(Args, Debug, Clone)]
pub struct DunArgs {
    /// The `dun` binary to measure (default: `dun` next to this executable,
    /// built first with cargo when run through `cargo run`).
    #[arg(long, value_name = "PATH")]
    pub dun: Option<PathBuf>,
    /// Do not run `cargo build -p dun` before measuring.
    #[arg(long)]
    pub no_build: bool,
    /// Measure Dun in-process through `dun_store` instead of the `dun` binary.
    #[arg(long)]
    pub in_process: bool,
}

/// Where the figures and the working files go.
#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Also write every figure as JSON to FILE, to compare commits.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Keep the CSV files and databases in DIR (default: a temporary directory, removed).
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// Runs of each aging, or of each floor of `bank` (the median is reported).
    #[arg(long, default_value_t = REPEAT_DEFAULT)]
    pub repeat: usize,
}

#[derive(Args, Debug, Clone)]
pub struct SuiteArgs {
    /// Invoices in the generated book.
    #[arg(long, default_value_t = INVOICES_DEFAULT)]
    pub invoices: usize,
    /// Durable payments recorded on each side.
    #[arg(long, default_value_t = PAYMENTS_DEFAULT)]
    pub payments: usize,
    /// Run the jobs on PostgreSQL too, in a fresh database created (and dropped) through URL.
    #[arg(long, value_name = "URL", env = "DUN_BENCH_POSTGRES_URL")]
    pub postgres: Option<String>,
    /// Skip PostgreSQL even when a URL is given.
    #[arg(long)]
    pub skip_postgres: bool,
    /// After the run, set each job's ratio (Dun ÷ its floor, never an
    /// absolute time) beside the ones in FILE (a `--json` of an earlier run
    /// at the same --invoices) and exit with status 3 when any gated job's
    /// ratio is more than 3× the baseline's.
    #[arg(long, value_name = "FILE")]
    pub compare: Option<PathBuf>,
    #[command(flatten)]
    pub dun: DunArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Invoices in the bank job's book unless `--invoices` says otherwise.
pub const BANK_INVOICES_DEFAULT: usize = 100_000;
/// Lines of the bank job's statement unless `--lines` says otherwise.
pub const BANK_LINES_DEFAULT: usize = 10_000;

#[derive(Args, Debug, Clone)]
pub struct BankArgs {
    /// Invoices in the generated book.
    #[arg(long, default_value_t = BANK_INVOICES_DEFAULT)]
    pub invoices: usize,
    /// Credit lines in the statement (three of every four name a distinct
    /// open invoice, by reference or number; the rest go to the queue).
    #[arg(long, default_value_t = BANK_LINES_DEFAULT)]
    pub lines: usize,
    /// Import only the book's invoices, not the generator's payments, so
    /// every invoice is open (by default the book is imported as paid:
    /// about one invoice in ten stays open).
    #[arg(long)]
    pub all_open: bool,
    /// Run it on PostgreSQL too, in a fresh database created (and dropped) through URL.
    #[arg(long, value_name = "URL", env = "DUN_BENCH_POSTGRES_URL")]
    pub postgres: Option<String>,
    /// Skip PostgreSQL even when a URL is given.
    #[arg(long)]
    pub skip_postgres: bool,
    /// Skip SQLite (run on PostgreSQL only).
    #[arg(long)]
    pub skip_sqlite: bool,
    #[command(flatten)]
    pub dun: DunArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args, Debug, Clone)]
pub struct PeerArgs {
    /// The Tryton peer benchmark's directory (its generated book is in `out/`).
    #[arg(long, value_name = "DIR", default_value = "../shared/peers/tryton")]
    pub tryton_dir: PathBuf,
    /// Which of its books: `out/*_SIZE.csv` and `out/summary_SIZE.json`.
    #[arg(long, default_value_t = 1000)]
    pub size: usize,
    #[command(flatten)]
    pub dun: DunArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}
