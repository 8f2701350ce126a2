//! `dun export --all DIR` and `dun import-all DIR`: everything an
//! organisation owns, as files, and back into a book
//! (`dun_store::book_export` does the work; this says what happened).

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Args;
use dun_store::book_export::BookSummary;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{Format, FormatArg};
use crate::context::{open_store, Context};

#[derive(Args, Debug)]
pub struct ImportAllArgs {
    /// The directory `dun export --all` wrote (manifest.json and the tables' files).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub format: FormatArg,
}

/// A spinner on a terminal naming the table at work; nothing in a pipe.
fn spinner() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(SPINNER_TICK_MS));
    bar
}

/// How often the spinner turns, in ms.
const SPINNER_TICK_MS: u64 = 120;

fn print_json(summary: &BookSummary) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(summary)?);
    Ok(())
}

/// `dun export --all DIR`.
pub fn export_all(ctx: &mut Context, dir: &Path) -> Result<()> {
    let bar = spinner();
    let summary = ctx.store.export_book(ctx.org.id, dir, &mut |table| {
        bar.set_message(format!("exporting {table}"));
    });
    bar.finish_and_clear();
    let summary = summary?;
    println!(
        "Exported '{}' to {}: {} tables, {} rows, each table as TABLE.csv and TABLE.jsonl; manifest.json holds every file's rows and SHA-256.",
        summary.organisation,
        dir.display(),
        summary.tables,
        summary.rows
    );
    println!(
        "Not in it: password hashes, API tokens, sessions, the portal link key and Stripe keys. `dun import-all {}` rebuilds the book in a new database.",
        dir.display()
    );
    Ok(())
}

/// `dun import-all DIR`: the organisation rebuilt, then checked.
pub fn import_all(db: &str, org: Option<&str>, args: &ImportAllArgs) -> Result<()> {
    let manifest = dun_store::book_export::read_manifest(&args.dir)?;
    if let Some(org) = org {
        if org != manifest.organisation {
            bail!(
                "--org '{org}': {} holds the organisation '{}'; an import keeps its name (leave --org out)",
                args.dir.display(),
                manifest.organisation
            );
        }
    }
    let mut store = open_store(db)?;
    let bar = spinner();
    let summary = store.import_book(&args.dir, &mut |table| {
        bar.set_message(format!("importing {table}"));
    });
    bar.finish_and_clear();
    let summary = summary?;
    let problems = store.verify(summary.organisation_id)?;
    if !problems.is_empty() {
        bail!(
            "'{}' was imported but disagrees with its ledger: {}",
            summary.organisation,
            problems.join("; ")
        );
    }
    if args.format.format == Format::Json {
        return print_json(&summary);
    }
    println!(
        "Imported '{}' from {}: {} rows in {} tables, ids as exported; every balance equals its ledger entries.",
        summary.organisation,
        args.dir.display(),
        summary.rows,
        summary.tables
    );
    let users = summary
        .files
        .iter()
        .find(|f| f.file == "users.jsonl")
        .map_or(0, |f| f.rows);
    if users > 0 {
        println!(
            "Its {users} user(s) have no password yet: set each with `dun user password EMAIL`."
        );
    }
    println!(
        "Make new API tokens, set the Stripe keys again (if any), and send customers new portal links: secrets are never exported."
    );
    Ok(())
}
