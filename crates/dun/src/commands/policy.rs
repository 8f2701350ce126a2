//! `dun policy`: read, change and check the credit policy, a TOML document
//! kept in numbered versions.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use anyhow::{anyhow, bail, Context as _, Result};
use clap::{Args, Subcommand, ValueEnum};
use dun_core::collections::document::{self, DocumentError, DOCUMENT_BYTES_MAX};
use dun_core::collections::law::{Law, ReferenceRates};
use dun_core::collections::law_example::{self, EXAMPLE_MONTHS_BACK_MAX};
use dun_store::policies::PolicyVersion;
use dun_store::StoreError;

use crate::cli::FormatArg;
use crate::context::{parse_date, today_in, Context};
use crate::output::{emit, Table};

/// The editor when neither `$VISUAL` nor `$EDITOR` names one.
const DEFAULT_EDITOR: &str = "vi";

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Print the policy in force (or an earlier version) as its author wrote it.
    Show {
        /// The version to print (default: the one in force).
        #[arg(long = "version", value_name = "N")]
        version: Option<i64>,
        /// `toml`: the document as written, notes and all; `json`: the policy as Dun reads it.
        #[arg(long, value_enum, default_value_t = ShowFormat::Toml)]
        format: ShowFormat,
    },
    /// Every version: when, by whom, and what it changed.
    History(FormatArg),
    /// Make FILE the policy in force, as a new version.
    Apply {
        /// The policy document (TOML), e.g. one written by `dun policy show > policy.toml`.
        file: PathBuf,
        #[command(flatten)]
        author: AuthorArg,
        /// Idempotency key: repeating the command with the same key does nothing new.
        #[arg(long = "idempotency-key", visible_alias = "key", value_name = "KEY")]
        key: Option<String>,
        /// Check FILE and say what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Edit the policy in your editor ($VISUAL, $EDITOR, or vi); saving applies it as a new version.
    Edit {
        #[command(flatten)]
        author: AuthorArg,
    },
    /// Check FILE without applying it; every problem is shown with its line.
    Check {
        /// The policy document (TOML).
        file: PathBuf,
        /// The day its late-payment law's example is worked for (default: today).
        #[arg(long = "as-of", value_name = "DATE")]
        as_of: Option<String>,
    },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    Toml,
    Json,
}

#[derive(Args, Debug)]
pub struct AuthorArg {
    /// Who makes the change, kept with the version (default: $USER).
    #[arg(long, value_name = "NAME")]
    author: Option<String>,
}

impl AuthorArg {
    fn name(&self) -> String {
        self.author
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(|| "unknown".to_string())
    }
}

pub fn run(db: &str, org: Option<&str>, command: PolicyCommand) -> Result<()> {
    // Checking a file needs no database.
    if let PolicyCommand::Check { file, as_of } = &command {
        let text = read_document(file)?;
        let policy = parse_file(file, &text)?;
        println!(
            "ok: {} is a valid policy ({} reminder(s), {} step(s), {} customer override(s))",
            file.display(),
            policy.reminders.len(),
            policy.ladder.len(),
            policy.overrides.len()
        );
        if !policy.law.is_none() {
            print_law_example(db, org, policy.law, as_of.as_deref())?;
        }
        return Ok(());
    }
    let ctx = &mut Context::open(db, org)?;
    let org_id = ctx.org.id;
    match command {
        PolicyCommand::Show { version, format } => {
            let shown = match version {
                Some(n) => ctx.store.policy_version(org_id, n)?,
                None => ctx.store.policy(org_id)?,
            };
            match format {
                ShowFormat::Toml => print!("{}", with_final_newline(&shown.document)),
                ShowFormat::Json => {
                    println!("{}", serde_json::to_string_pretty(&shown.policy)?)
                }
            }
        }
        PolicyCommand::History(format) => history(ctx, format)?,
        PolicyCommand::Apply {
            file,
            author,
            key,
            dry_run,
        } => {
            let text = read_document(&file)?;
            if dry_run {
                let policy = parse_file(&file, &text)?;
                let current = ctx.store.policy(org_id)?;
                let changes = document::summarize_changes(&current.policy, &policy);
                if changes.is_empty() {
                    println!(
                        "{} changes nothing from version {} in force; nothing would be written.",
                        file.display(),
                        current.version
                    );
                } else {
                    println!(
                        "Applying {} would make version {}, changing:",
                        file.display(),
                        current.version + 1
                    );
                    print_changes(&changes);
                    println!("(dry run: nothing was written)");
                }
                return Ok(());
            }
            let applied = ctx
                .store
                .apply_policy(org_id, &text, &author.name(), key.as_deref())
                .map_err(|e| in_file(&file, e))?;
            report_applied(&applied);
        }
        PolicyCommand::Edit { author } => edit(ctx, &author.name())?,
        PolicyCommand::Check { .. } => unreachable!("checked above"),
    }
    Ok(())
}

/// Which late-payment law the policy follows and what it would charge on
/// an example invoice: with the book's reference rates when there is a
/// book, else with the rates shipped with Dun.
fn print_law_example(db: &str, org: Option<&str>, law: Law, as_of: Option<&str>) -> Result<()> {
    let is_postgres = db.starts_with("postgres://") || db.starts_with("postgresql://");
    let sqlite_file = Path::new(db.strip_prefix("sqlite://").unwrap_or(db));
    // Never make a book to check a file: only one that exists is read.
    let book = if is_postgres || sqlite_file.is_file() {
        Context::open(db, org).ok()
    } else {
        None
    };
    let as_of = match (as_of, &book) {
        (Some(text), _) => parse_date(text, "as-of")?,
        (None, Some(ctx)) => ctx.today()?,
        (None, None) => today_in("UTC")?,
    };
    let example = match book {
        Some(mut ctx) => {
            let org_id = ctx.org.id;
            ctx.store.law_example(org_id, law, as_of)?
        }
        None => law_example::example(law, &ReferenceRates::shipped(), as_of),
    };
    println!("law: {law} ({})", law.title());
    match example {
        Some(example) => println!("for example: {example}"),
        None => println!(
            "for example: no month in the last {EXAMPLE_MONTHS_BACK_MAX} has a reference rate in the table; import the rates with `dun rates reference import`"
        ),
    }
    Ok(())
}

fn history(ctx: &mut Context, format: FormatArg) -> Result<()> {
    let versions = ctx.store.policy_versions(ctx.org.id)?;
    let header = ["version", "when", "author", "what changed"];
    let table = match format.format {
        // One line per change; the version's columns only on its first.
        crate::cli::Format::Table => {
            let mut table = Table::new(&header).numeric([0]);
            for v in &versions {
                for (i, change) in v.changes.iter().enumerate() {
                    let first = i == 0;
                    table.push(vec![
                        if first {
                            v.version.to_string()
                        } else {
                            String::new()
                        },
                        if first {
                            v.created_at.clone()
                        } else {
                            String::new()
                        },
                        if first {
                            v.author.clone()
                        } else {
                            String::new()
                        },
                        change.clone(),
                    ]);
                }
            }
            table
        }
        // One row per change, every column filled, for a spreadsheet.
        _ => {
            let mut table = Table::new(&header);
            for v in &versions {
                for change in &v.changes {
                    table.push(vec![
                        v.version.to_string(),
                        v.created_at.clone(),
                        v.author.clone(),
                        change.clone(),
                    ]);
                }
            }
            table
        }
    };
    emit(format.format, &table, &versions)
}

/// Opens the policy in the editor until it is applied, left unchanged, or
/// given up on.
fn edit(ctx: &mut Context, author: &str) -> Result<()> {
    let current = ctx.store.policy(ctx.org.id)?;
    let path = temp_path();
    std::fs::write(&path, with_final_newline(&current.document))
        .with_context(|| format!("cannot write {}", path.display()))?;
    let result = edit_loop(ctx, &current, &path, author);
    match &result {
        // Kept when the edit could not be applied, so no work is lost.
        Err(_) if path.exists() => eprintln!("Your edit is kept in {}", path.display()),
        _ => {
            let _ = std::fs::remove_file(&path);
        }
    }
    result
}

fn edit_loop(ctx: &mut Context, current: &PolicyVersion, path: &Path, author: &str) -> Result<()> {
    loop {
        open_editor(path)?;
        let text = read_document(path)?;
        if text.trim_end() == current.document.trim_end() {
            println!(
                "No change; the policy in force is still version {}.",
                current.version
            );
            return Ok(());
        }
        let errors = match document::parse(&text) {
            Ok(policy) if policy == current.policy => {
                println!(
                    "Only notes changed; the policy in force is still version {} (notes are kept with a version that changes the policy).",
                    current.version
                );
                return Ok(());
            }
            Ok(_) => match ctx.store.apply_policy(ctx.org.id, &text, author, None) {
                Ok(applied) => {
                    report_applied(&applied);
                    return Ok(());
                }
                Err(StoreError::PolicyDocument(errors)) => errors,
                Err(other) => return Err(other.into()),
            },
            Err(errors) => errors,
        };
        eprintln!("The policy was not saved:");
        for e in &errors {
            eprintln!("  {e}");
        }
        if !ask_again()? {
            bail!(
                "the policy was refused ({} problem(s)); nothing was written",
                errors.len()
            );
        }
    }
}

/// Asks whether to edit again; only a terminal can answer.
fn ask_again() -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    eprint!("Edit again? [Y/n] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    let answer = answer.trim().to_ascii_lowercase();
    Ok(answer.is_empty() || answer == "y" || answer == "yes")
}

/// Runs `$VISUAL`, `$EDITOR` or vi on `path` through the shell, so an
/// editor given with its flags (`code --wait`) works.
fn open_editor(path: &Path) -> Result<()> {
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|e| !e.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_EDITOR.to_string());
    let status = Process::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(path)
        .status()
        .with_context(|| format!("cannot start the editor '{editor}'"))?;
    if !status.success() {
        bail!("the editor '{editor}' exited with {status}; nothing was written");
    }
    Ok(())
}

fn temp_path() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    std::env::temp_dir().join(format!("dun-policy-{}-{nanos}.toml", std::process::id()))
}

/// Reads a policy file, refusing one too large before reading it all.
fn read_document(path: &Path) -> Result<String> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(DOCUMENT_BYTES_MAX as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() > DOCUMENT_BYTES_MAX {
        bail!(
            "{}: a policy document may be at most {DOCUMENT_BYTES_MAX} bytes",
            path.display()
        );
    }
    String::from_utf8(bytes).map_err(|_| anyhow!("{}: the file is not UTF-8 text", path.display()))
}

fn parse_file(path: &Path, text: &str) -> Result<dun_core::collections::policy::Policy> {
    document::parse(text).map_err(|errors| refused(path, &errors))
}

fn refused(path: &Path, errors: &[DocumentError]) -> anyhow::Error {
    let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
    anyhow!(
        "the policy in {} was refused ({} problem(s)); nothing was written:\n{}",
        path.display(),
        errors.len(),
        lines.join("\n")
    )
}

fn in_file(path: &Path, error: StoreError) -> anyhow::Error {
    match error {
        StoreError::PolicyDocument(errors) => refused(path, &errors),
        other => other.into(),
    }
}

fn report_applied(applied: &PolicyVersion) {
    println!(
        "Policy version {} is in force (by {}, {}). What changed:",
        applied.version, applied.author, applied.created_at
    );
    print_changes(&applied.changes);
}

fn print_changes(changes: &[String]) {
    for change in changes {
        println!("  - {change}");
    }
}

fn with_final_newline(text: &str) -> String {
    if text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    }
}
