//! The Dun side of a job: the real `dun` binary as a child process, or —
//! when it cannot be found — the same store calls made in this process.
//!
//! Which binary: `--dun PATH`, else `dun` next to this executable (cargo
//! puts every binary of a profile in one directory: `target/release/`).
//! When this bench was started by `cargo run` (cargo sets `CARGO`), it first
//! runs `cargo build -p dun` in the same profile, so the binary measured is
//! always this checkout's and never a stale one. `--no-build` skips that;
//! `--in-process` measures through `dun_store` instead of the binary.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, bail, Context as _, Result};
use dun_core::Currency;
use dun_store::import::ImportRequest;
use dun_store::orgs::NewOrg;
use dun_store::Store;

use crate::cli::DunArgs;
use crate::machine::workspace_root;
use crate::measure::{self, RssScope, Run};

/// The organisation every bench book is kept for.
pub const ORG_NAME: &str = "Bench";
pub const ORG_TIMEZONE: &str = "UTC";

/// What an import reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Customers,
    Invoices,
    Payments,
}

impl Table {
    pub fn as_str(self) -> &'static str {
        match self {
            Table::Customers => "customers",
            Table::Invoices => "invoices",
            Table::Payments => "payments",
        }
    }
}

pub enum Dun {
    Binary(PathBuf),
    InProcess { why: String },
}

impl Dun {
    pub fn locate(args: &DunArgs) -> Result<Dun> {
        if args.in_process {
            return Ok(Dun::InProcess {
                why: "--in-process was given".into(),
            });
        }
        if let Some(path) = &args.dun {
            if !path.is_file() {
                bail!("--dun: {} is not a file", path.display());
            }
            return Ok(Dun::Binary(path.clone()));
        }
        let exe = std::env::current_exe().context("cannot find this executable's path")?;
        let dir = exe
            .parent()
            .ok_or_else(|| anyhow!("{} has no directory", exe.display()))?;
        if !args.no_build {
            if let Some(cargo) = std::env::var_os("CARGO") {
                build_dun(&cargo, dir)?;
            }
        }
        let candidate = dir.join("dun");
        if candidate.is_file() {
            Ok(Dun::Binary(candidate))
        } else {
            Ok(Dun::InProcess {
                why: format!(
                    "dun binary not found at {}; measured in-process through dun_store \
                     (build it with `cargo build --release -p dun`, or pass --dun PATH)",
                    candidate.display()
                ),
            })
        }
    }

    /// A sentence for the report: what "Dun" means in this run.
    pub fn describe(&self) -> String {
        match self {
            Dun::Binary(path) => format!("the `dun` binary at {}", path.display()),
            Dun::InProcess { why } => why.clone(),
        }
    }

    pub fn rss_scope(&self) -> RssScope {
        match self {
            Dun::Binary(_) => measure::child_rss_scope(),
            Dun::InProcess { .. } => measure::in_process_rss_scope(),
        }
    }

    pub fn is_binary(&self) -> bool {
        matches!(self, Dun::Binary(_))
    }

    /// `dun --db DB init --org Bench --currency C --timezone UTC`.
    pub fn init(&self, db: &str, currency: Currency) -> Result<()> {
        match self {
            Dun::Binary(dun) => {
                let args = [
                    "--db",
                    db,
                    "init",
                    "--org",
                    ORG_NAME,
                    "--currency",
                    currency.code(),
                    "--timezone",
                    ORG_TIMEZONE,
                ];
                measure::child(dun, args)?;
            }
            Dun::InProcess { .. } => {
                open(db)?.create_org(&NewOrg {
                    name: ORG_NAME.into(),
                    currency,
                    timezone: ORG_TIMEZONE.into(),
                    invoice_prefix: "INV-".into(),
                })?;
            }
        }
        Ok(())
    }

    /// `dun --db DB import TABLE FILE`, timed from spawn to exit (or, in
    /// process, from opening the store to the commit).
    pub fn import(&self, db: &str, table: Table, file: &Path) -> Result<Run> {
        match self {
            Dun::Binary(dun) => {
                // The book's invoices are chased from their due dates: the
                // first run does every step due on every invoice.
                let args: [OsString; 7] = [
                    "--db".into(),
                    db.into(),
                    "import".into(),
                    table.as_str().into(),
                    file.into(),
                    "--ladder-from".into(),
                    "due".into(),
                ];
                Ok(measure::child(dun, args)?.0)
            }
            Dun::InProcess { .. } => {
                Ok(measure::in_process(|| import_in_process(db, table, file))?.1)
            }
        }
    }

    /// `dun --db DB aging --as-of D --format csv`, or None in process.
    pub fn aging(&self, db: &str, as_of: &str) -> Result<Option<Run>> {
        match self {
            Dun::Binary(dun) => {
                let args = ["--db", db, "aging", "--as-of", as_of, "--format", "csv"];
                Ok(Some(measure::child(dun, args)?.0))
            }
            Dun::InProcess { .. } => Ok(None),
        }
    }
}

impl Dun {
    /// `dun --db DB policy apply FILE`: makes the policy in FILE the one in force.
    pub fn apply_policy(&self, db: &str, file: &Path) -> Result<()> {
        match self {
            Dun::Binary(dun) => {
                let args: [OsString; 7] = [
                    "--db".into(),
                    db.into(),
                    "policy".into(),
                    "apply".into(),
                    file.into(),
                    "--author".into(),
                    "dun-bench".into(),
                ];
                measure::child(dun, args)?;
            }
            Dun::InProcess { .. } => {
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let mut store = open(db)?;
                let org = store.org(Some(ORG_NAME))?;
                store.apply_policy(org.id, &text, "dun-bench", None)?;
            }
        }
        Ok(())
    }

    /// `dun --db DB run --as-of D --format csv`: the collections run,
    /// applied, timed from spawn to exit (or, in process, the store's run).
    pub fn collections_run(&self, db: &str, as_of: &str) -> Result<Run> {
        match self {
            Dun::Binary(dun) => {
                let args = ["--db", db, "run", "--as-of", as_of, "--format", "csv"];
                Ok(measure::child(dun, args)?.0)
            }
            Dun::InProcess { .. } => {
                let date = dun_core::Date::parse(as_of)?;
                let mut store = open(db)?;
                let org = store.org(Some(ORG_NAME))?;
                Ok(measure::in_process(|| {
                    store.run_collections(org.id, date, true)?;
                    Ok(())
                })?
                .1)
            }
        }
    }
}

/// What `dun bank import` said it did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BankImportCounts {
    pub lines_read: u64,
    pub lines_new: u64,
    pub matched: u64,
    pub suggested: u64,
    pub unmatched: u64,
}

impl BankImportCounts {
    /// Reads `dun bank import`'s summary: "Read R lines in S statement(s):
    /// N new, A already imported." and "M matched and posted, G suggested,
    /// U unmatched, …".
    pub fn from_output(text: &str) -> Result<BankImportCounts> {
        // The number written just before `phrase`.
        let before = |phrase: &str| -> Result<u64> {
            let at = text
                .find(phrase)
                .ok_or_else(|| anyhow!("`dun bank import` did not say \"{phrase}\":\n{text}"))?;
            let head = text[..at].trim_end();
            let digits = &head[head
                .rfind(|c: char| !c.is_ascii_digit())
                .map_or(0, |i| i + 1)..];
            digits
                .parse()
                .with_context(|| format!("no number before \"{phrase}\" in:\n{text}"))
        };
        Ok(BankImportCounts {
            lines_read: before(" lines in ")?,
            lines_new: before(" new, ")?,
            matched: before(" matched and posted")?,
            suggested: before(" suggested")?,
            unmatched: before(" unmatched")?,
        })
    }
}

impl From<&dun_store::bank::BankImportSummary> for BankImportCounts {
    fn from(s: &dun_store::bank::BankImportSummary) -> BankImportCounts {
        BankImportCounts {
            lines_read: s.lines_read as u64,
            lines_new: s.lines_new as u64,
            matched: s.matched as u64,
            suggested: s.suggested as u64,
            unmatched: s.unmatched as u64,
        }
    }
}

impl Dun {
    /// `dun --db DB bank import FILE`, timed from spawn to exit (or, in
    /// process, from opening the store and reading the file to the commit).
    pub fn bank_import(&self, db: &str, file: &Path) -> Result<(Run, BankImportCounts)> {
        match self {
            Dun::Binary(dun) => {
                let args: [OsString; 5] = [
                    "--db".into(),
                    db.into(),
                    "bank".into(),
                    "import".into(),
                    file.into(),
                ];
                let (run, output) = measure::child(dun, args)?;
                let counts =
                    BankImportCounts::from_output(&String::from_utf8_lossy(&output.stdout))?;
                Ok((run, counts))
            }
            Dun::InProcess { .. } => {
                let (summary, run) = measure::in_process(|| {
                    let mut store = open(db)?;
                    let org = store.org(Some(ORG_NAME))?;
                    let bytes = std::fs::read(file)
                        .with_context(|| format!("cannot read {}", file.display()))?;
                    let statements = dun_bank::parse_statements(&bytes, &Default::default())
                        .map_err(|e| anyhow!("{}: {e}", file.display()))?;
                    let name = file
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    Ok(store.import_bank_statements(org.id, &name, &statements, false)?)
                })?;
                Ok((run, BankImportCounts::from(&summary)))
            }
        }
    }
}

pub fn open(db: &str) -> Result<Store> {
    Store::open(db).with_context(|| format!("cannot open {}", dun_store::db::redact(db)))
}

/// What `dun import` does, without the process: read, parse, check, write.
fn import_in_process(db: &str, table: Table, file: &Path) -> Result<()> {
    let mut store = open(db)?;
    let org = store.org(Some(ORG_NAME))?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let request = ImportRequest {
        author: "dun-bench",
        key: None,
        fingerprint: "dun-bench",
        dry_run: false,
        ladder_from: None,
    };
    let refused = |e| {
        anyhow!(
            "{} in {} were refused:\n{e}",
            table.as_str(),
            file.display()
        )
    };
    match table {
        Table::Customers => {
            let rows = dun_csv::read_customers(bytes.as_slice(), org.currency)
                .into_result()
                .map_err(refused)?;
            store.import_customers(org.id, &rows, &request, &mut |_| {})?;
        }
        Table::Invoices => {
            let rows = dun_csv::read_invoices(bytes.as_slice())
                .into_result()
                .map_err(refused)?;
            store.import_invoices(org.id, &rows, &request, &mut |_| {})?;
        }
        Table::Payments => {
            let rows = dun_csv::read_payments(bytes.as_slice())
                .into_result()
                .map_err(refused)?;
            store.import_payments(org.id, &rows, &request, &mut |_| {})?;
        }
    }
    Ok(())
}

/// Runs `cargo build -p dun` in the profile whose directory `dir` is.
fn build_dun(cargo: &OsString, dir: &Path) -> Result<()> {
    let profile = match dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev",
        Some(name) => name,
        None => bail!("cannot tell the cargo profile from {}", dir.display()),
    };
    let manifest = workspace_root().join("Cargo.toml");
    eprintln!("dun-bench: building dun ({profile} profile) so the binary measured is this checkout's; --no-build skips this");
    let status = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "--profile",
            profile,
            "-p",
            "dun",
            "--manifest-path",
        ])
        .arg(&manifest)
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("`cargo build --profile {profile} -p dun` failed ({status}); fix the build, or pass --no-build");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::BankImportCounts;

    #[test]
    fn the_bank_import_summary_is_read_back() {
        let text = "Read 100000 lines in 1 statement(s): 99990 new, 10 already imported.\n  \
                    74990 matched and posted, 20000 suggested, 5000 unmatched, 0 returns reversed, 0 other debits.\n  \
                    Waiting for you: dun bank queue\n";
        assert_eq!(
            BankImportCounts::from_output(text).unwrap(),
            BankImportCounts {
                lines_read: 100_000,
                lines_new: 99_990,
                matched: 74_990,
                suggested: 20_000,
                unmatched: 5_000,
            }
        );
        assert!(BankImportCounts::from_output("Imported.").is_err());
    }
}
