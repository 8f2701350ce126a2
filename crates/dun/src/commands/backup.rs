//! `dun backup FILE`: an online, consistent copy of the book while `dun
//! serve` keeps writing, opened and checked before the command says so.
//! SQLite: `VACUUM INTO` (`Store::backup_sqlite`), then the copy is opened
//! and `verify` runs on every organisation in it. PostgreSQL: `pg_dump`
//! in its custom format (one snapshot), then `pg_restore --list` reads it
//! back.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, bail, Context as _, Result};
use clap::Args;
use dun_store::Store;

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// The copy to write; it must not exist yet.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

pub fn backup(db: &str, args: &BackupArgs) -> Result<()> {
    if args.file.exists() {
        bail!(
            "'{}' exists; a backup never overwrites a file — give a new name",
            args.file.display()
        );
    }
    if is_postgres(db) {
        return pg_backup(db, &args.file);
    }
    // Only read, never migrated here: a migration's check takes a write
    // lock, which a busy server holds (SQLite then says "locked").
    let mut store = Store::connect(db)?;
    store.backup_sqlite(&args.file)?;
    let mut copy = Store::open(&args.file.to_string_lossy())
        .with_context(|| format!("the copy '{}' does not open", args.file.display()))?;
    let orgs = copy.orgs()?;
    for org in &orgs {
        let problems = copy.verify(org.id)?;
        if !problems.is_empty() {
            bail!(
                "the copy '{}' disagrees with its ledger in {}: {}",
                args.file.display(),
                org.name,
                problems.join("; ")
            );
        }
    }
    let bytes = std::fs::metadata(&args.file)?.len();
    println!(
        "Wrote {} ({bytes} bytes): a consistent copy of {db}; it opens and every balance of its {} organisation(s) equals its ledger. Restore: stop `dun serve` and use the copy as the database (--db {}).",
        args.file.display(),
        orgs.len(),
        args.file.display()
    );
    Ok(())
}

/// `pg_dump` of the whole database into `file` (custom format), then read
/// back with `pg_restore --list`.
fn pg_backup(db: &str, file: &Path) -> Result<()> {
    let dumped = Command::new("pg_dump")
        .args(["--format=custom", "--no-owner", "--file"])
        .arg(file)
        .arg(db)
        .output()
        .map_err(|e| {
            anyhow!("cannot run pg_dump ({e}); install PostgreSQL's client tools (Debian: postgresql-client)")
        })?;
    if !dumped.status.success() {
        bail!(
            "pg_dump failed: {}",
            String::from_utf8_lossy(&dumped.stderr).trim()
        );
    }
    let listed = Command::new("pg_restore")
        .arg("--list")
        .arg(file)
        .output()
        .map_err(|e| anyhow!("cannot run pg_restore to read the copy back ({e})"))?;
    if !listed.status.success() {
        bail!(
            "the copy '{}' does not read back: {}",
            file.display(),
            String::from_utf8_lossy(&listed.stderr).trim()
        );
    }
    let tables = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter(|l| l.contains(" TABLE DATA "))
        .count();
    let bytes = std::fs::metadata(file)?.len();
    println!(
        "Wrote {} ({bytes} bytes, {tables} tables): pg_dump's consistent snapshot of {}. Restore into an empty database with `pg_restore --no-owner --dbname NEW_DATABASE_URL {}`, then `dun --db NEW_DATABASE_URL verify`.",
        file.display(),
        dun_store::db::redact(db),
        file.display()
    );
    Ok(())
}
