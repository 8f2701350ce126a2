//! `dun import` and `dun export`.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use anyhow::{anyhow, bail, Context as _, Result};
use dun_core::import::{FileRow, ImportErrors};
use dun_csv::{ColumnMap, FileKind};
use dun_store::import::{file_digest, file_key, ImportFn, ImportRequest, ImportSummary};
use dun_store::StoreError;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{ExportArgs, Format, ImportArgs, LadderFrom, Table};
use crate::context::Context;

/// Largest file an import reads, in bytes.
pub const IMPORT_FILE_BYTES_MAX: u64 = 4 * 1024 * 1024 * 1024;

/// A bar on a terminal; nothing at all in a pipe or a file.
pub fn progress_bar(len: u64, message: &'static str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {human_pos}/{human_len} rows, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

fn refused(errors: &ImportErrors) -> anyhow::Error {
    anyhow!("the import was refused; nothing was written:\n{errors}")
}

/// What an import did, to be worded.
struct Outcome {
    summary: ImportSummary,
    /// `--skip-bad-rows`: how many rows of the file were rejected.
    rejected: Option<usize>,
}

/// Writes parsed rows through the store's one path for a file
/// (`Store::import_parsed`), with a progress bar.
fn write<T>(
    ctx: &mut Context,
    parsed: dun_csv::Parsed<T>,
    request: &ImportRequest<'_>,
    what: &'static str,
    import: &ImportFn<'_, T>,
) -> Result<ImportSummary, StoreError> {
    let bar = progress_bar(parsed.rows.len() as u64, what);
    bar.set_message(format!("importing {what}"));
    let result = ctx
        .store
        .import_parsed(parsed, request, import, &mut |n| bar.inc(n as u64));
    bar.finish_and_clear();
    result
}

/// `--skip-bad-rows`: imports the rows the file and the book accept and
/// writes the others, as they were, with their reasons, to `rejects`.
fn write_good_rows<T: FileRow>(
    ctx: &mut Context,
    mut parsed: dun_csv::Parsed<T>,
    request: &ImportRequest<'_>,
    what: &'static str,
    import: &ImportFn<'_, T>,
    (bytes, rejects_path): (&[u8], &Path),
) -> Result<Outcome> {
    let org_id = ctx.org.id;
    let (good, mut rejects) = match parsed.split() {
        Ok(split) => split,
        Err(errors) => return Err(refused(&errors)),
    };
    if let (Some(key), false) = (request.key, request.dry_run) {
        if let Some(summary) = ctx.store.import_answer(org_id, key)? {
            return Ok(Outcome {
                summary: ImportSummary {
                    repeated: true,
                    ..summary
                },
                rejected: None,
            });
        }
    }
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(rejects_path)
        .with_context(|| {
            format!(
                "cannot create {} for the rejected rows (it must not exist yet); nothing was imported",
                rejects_path.display()
            )
        })?;
    let bar = progress_bar(good.len() as u64, what);
    bar.set_message(format!("importing {what}"));
    let result = ctx
        .store
        .import_good_rows(org_id, good, request, import, &mut |n| bar.inc(n as u64));
    bar.finish_and_clear();
    let (mut summary, refused_by_book) = match result {
        Ok(done) => done,
        Err(e) => {
            drop(file);
            let _ = std::fs::remove_file(rejects_path);
            return Err(match e {
                StoreError::Import(errors) => refused(&parsed.in_the_files_words(errors)),
                e => e.into(),
            });
        }
    };
    rejects.add(&parsed, &refused_by_book);
    rejects
        .write(bytes, BufWriter::new(file))
        .with_context(|| format!("cannot write {}", rejects_path.display()))?;
    summary.warnings.splice(0..0, parsed.warnings);
    Ok(Outcome {
        summary,
        rejected: Some(rejects.len()),
    })
}

pub fn import(ctx: &mut Context, args: &ImportArgs) -> Result<()> {
    let file =
        File::open(&args.file).with_context(|| format!("cannot open {}", args.file.display()))?;
    let size = file.metadata()?.len();
    if size > IMPORT_FILE_BYTES_MAX {
        bail!("{} is {size} bytes; an import reads at most {IMPORT_FILE_BYTES_MAX} bytes; split the file", args.file.display());
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(IMPORT_FILE_BYTES_MAX).read_to_end(&mut bytes)?;
    let mut map = ColumnMap::default();
    if let Some(path) = &args.map_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        map.add_toml(&text)
            .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    }
    for pairs in &args.map {
        map.add_pairs(pairs)
            .map_err(|e| anyhow!("--map {pairs}: {e}"))?;
    }
    let digest = file_digest(&bytes, &map);
    let what = format!("{:?}", args.what).to_lowercase();
    if args.update && args.what != Table::Customers {
        bail!("--update: only customers are updated by an import; {what} are added");
    }
    let kind = match args.what {
        Table::Customers => FileKind::Customers,
        Table::Invoices => FileKind::Invoices,
        Table::Payments => FileKind::Payments,
    };
    // Updating is another import of the same file than adding.
    let default_key = file_key(kind, args.update, &digest);
    let today = ctx.today()?;
    let author = args.author.name();
    let request = ImportRequest {
        key: Some(args.key.as_deref().unwrap_or(&default_key)),
        fingerprint: &digest,
        dry_run: args.dry_run,
        ladder_from: match args.ladder_from {
            LadderFrom::Import => Some(today),
            LadderFrom::Due => None,
        },
        author: &author,
    };
    let org_id = ctx.org.id;
    let skip = args.skip_bad_rows.as_deref().map(|p| (bytes.as_slice(), p));
    fn go<T: FileRow>(
        ctx: &mut Context,
        parsed: dun_csv::Parsed<T>,
        request: &ImportRequest<'_>,
        what: &'static str,
        import: &ImportFn<'_, T>,
        skip: Option<(&[u8], &Path)>,
    ) -> Result<Outcome> {
        match skip {
            Some(skip) => write_good_rows(ctx, parsed, request, what, import, skip),
            None => match write(ctx, parsed, request, what, import) {
                Err(StoreError::Import(errors)) => Err(refused(&errors)),
                other => Ok(Outcome {
                    summary: other?,
                    rejected: None,
                }),
            },
        }
    }
    let outcome = match args.what {
        Table::Customers if args.update => go(
            ctx,
            dun_csv::read_customers_mapped(&bytes, ctx.org.currency, &map),
            &request,
            "customers",
            &|store, rows, request, progress| {
                store.update_customers(org_id, rows, request, today, progress)
            },
            skip,
        ),
        Table::Customers => go(
            ctx,
            dun_csv::read_customers_mapped(&bytes, ctx.org.currency, &map),
            &request,
            "customers",
            &|store, rows, request, progress| {
                store.import_customers(org_id, rows, request, progress)
            },
            skip,
        ),
        Table::Invoices => go(
            ctx,
            dun_csv::read_invoices_mapped(&bytes, &map),
            &request,
            "invoices",
            &|store, rows, request, progress| {
                store.import_invoices(org_id, rows, request, progress)
            },
            skip,
        ),
        Table::Payments => go(
            ctx,
            dun_csv::read_payments_mapped(&bytes, &map),
            &request,
            "payments",
            &|store, rows, request, progress| {
                store.import_payments(org_id, rows, request, progress)
            },
            skip,
        ),
    }?;
    let summary = outcome.summary;
    if args.format.format == Format::Json {
        let mut json = serde_json::to_value(&summary)?;
        if let (Some(rejected), Some(path)) = (outcome.rejected, &args.skip_bad_rows) {
            json["rejected_rows"] = rejected.into();
            json["rejects_file"] = path.display().to_string().into();
        }
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    if summary.repeated {
        println!(
            "Nothing new: this file was imported before ({} {what} written then); nothing was written now",
            summary.written
        );
        return Ok(());
    }
    let rejected = match (outcome.rejected, &args.skip_bad_rows) {
        (Some(0), Some(path)) => format!(
            "; no row was rejected ({} holds the header only)",
            path.display()
        ),
        (Some(n), Some(path)) => format!(
            "; {n} row{} rejected, written with the reasons to {}",
            if n == 1 { "" } else { "s" },
            path.display()
        ),
        _ => String::new(),
    };
    if summary.dry_run {
        if outcome.rejected.is_some() {
            println!(
                "Dry run: {} {what} checked, all good{rejected}; nothing was written to the book",
                summary.rows
            );
        } else {
            println!(
                "Dry run: {} {what} checked, all good; nothing was written",
                summary.rows
            );
        }
    } else {
        println!(
            "Imported {} {what} from {} rows{rejected}",
            summary.written, summary.rows
        );
    }
    for w in &summary.warnings {
        let rows: Vec<String> = w.rows.iter().take(20).map(ToString::to_string).collect();
        let more = if w.rows.len() > 20 {
            format!(" and {} more", w.rows.len() - 20)
        } else {
            String::new()
        };
        println!("warning: rows {}{more}: {}", rows.join(", "), w.message);
    }
    Ok(())
}

pub fn export(ctx: &mut Context, args: &ExportArgs) -> Result<()> {
    let what = match (&args.all, args.what) {
        (Some(dir), _) => return crate::commands::book_export::export_all(ctx, dir),
        (None, Some(what)) => what,
        (None, None) => bail!("name what to export (customers, invoices, payments) or --all DIR"),
    };
    let out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let org_id = ctx.org.id;
    match what {
        Table::Customers => {
            dun_csv::write_customers(out, &ctx.store.customer_rows(org_id)?, ctx.org.currency)?
        }
        Table::Invoices => dun_csv::write_invoices(out, &ctx.store.invoice_rows(org_id)?)?,
        Table::Payments => dun_csv::write_payments(out, &ctx.store.payment_rows(org_id)?)?,
    }
    Ok(())
}
