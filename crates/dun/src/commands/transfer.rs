//! `dun import` and `dun export`.

use std::fs::File;
use std::io::{BufWriter, Read, Write};

use anyhow::{anyhow, bail, Context as _, Result};
use dun_core::import::ImportErrors;
use dun_store::import::{ImportRequest, ImportSummary};
use dun_store::StoreError;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha2::{Digest, Sha256};

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

/// Writes parsed rows; when the file had bad fields, still checks the good
/// rows against the book (writing nothing) so every problem is reported at once.
fn write<T>(
    ctx: &mut Context,
    parsed: dun_csv::Parsed<T>,
    request: &ImportRequest<'_>,
    what: &'static str,
    import: impl Fn(
        &mut dun_store::Store,
        &[T],
        &ImportRequest<'_>,
        &mut dyn FnMut(usize),
    ) -> Result<ImportSummary, StoreError>,
) -> Result<ImportSummary, StoreError> {
    if !parsed.errors.is_empty() {
        let mut errors = parsed.errors;
        let check = ImportRequest {
            key: None,
            fingerprint: request.fingerprint,
            dry_run: true,
            ladder_from: request.ladder_from,
            author: request.author,
        };
        if let Err(StoreError::Import(more)) =
            import(&mut ctx.store, &parsed.rows, &check, &mut |_| {})
        {
            errors.errors.extend(more.errors);
        }
        return Err(StoreError::Import(errors));
    }
    let bar = progress_bar(parsed.rows.len() as u64, what);
    bar.set_message(format!("importing {what}"));
    let result = import(&mut ctx.store, &parsed.rows, request, &mut |n| {
        bar.inc(n as u64)
    });
    bar.finish_and_clear();
    result
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
    let digest = hex::encode(Sha256::digest(&bytes));
    let what = format!("{:?}", args.what).to_lowercase();
    let default_key = format!("import:{what}:{digest}");
    let author = args.author.name();
    let request = ImportRequest {
        key: Some(args.key.as_deref().unwrap_or(&default_key)),
        fingerprint: &digest,
        dry_run: args.dry_run,
        ladder_from: match args.ladder_from {
            LadderFrom::Import => Some(ctx.today()?),
            LadderFrom::Due => None,
        },
        author: &author,
    };
    let org_id = ctx.org.id;
    let result = match args.what {
        Table::Customers => {
            let parsed = dun_csv::read_customers(bytes.as_slice(), ctx.org.currency);
            write(
                ctx,
                parsed,
                &request,
                "customers",
                |store, rows, request, progress| {
                    store.import_customers(org_id, rows, request, progress)
                },
            )
        }
        Table::Invoices => {
            let parsed = dun_csv::read_invoices(bytes.as_slice());
            write(
                ctx,
                parsed,
                &request,
                "invoices",
                |store, rows, request, progress| {
                    store.import_invoices(org_id, rows, request, progress)
                },
            )
        }
        Table::Payments => {
            let parsed = dun_csv::read_payments(bytes.as_slice());
            write(
                ctx,
                parsed,
                &request,
                "payments",
                |store, rows, request, progress| {
                    store.import_payments(org_id, rows, request, progress)
                },
            )
        }
    };
    let summary: ImportSummary = match result {
        Err(StoreError::Import(errors)) => return Err(refused(&errors)),
        other => other?,
    };
    if args.format.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    if summary.repeated {
        println!(
            "Nothing new: this file was imported before ({} {what} written then); nothing was written now",
            summary.written
        );
        return Ok(());
    }
    if summary.dry_run {
        println!(
            "Dry run: {} {what} checked, all good; nothing was written",
            summary.rows
        );
    } else {
        println!(
            "Imported {} {what} from {} rows",
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
