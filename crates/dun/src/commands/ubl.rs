//! `dun invoice xml NUMBER`: an issued invoice, or a credit note by its
//! number, as a UBL 2.1 e-invoice conforming to EN 16931. The document is
//! checked against the business rules on totals and tax first; one that
//! breaks any is not written.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;
use dun_core::Date;
use dun_mail::attachments;
use dun_store::{Org, Store};

use crate::context::Context;

#[derive(Args, Debug)]
pub struct XmlArgs {
    /// Invoice number (e.g. INV-000042) or credit note number (e.g. CN-000003).
    pub number: String,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

pub fn xml(ctx: &mut Context, args: &XmlArgs) -> Result<()> {
    let today = ctx.today()?;
    let (name, xml) = invoice_ubl(&mut ctx.store, &ctx.org, &args.number, today)?;
    match &args.out {
        Some(path) => {
            std::fs::write(path, &xml)
                .with_context(|| format!("cannot write '{}'", path.display()))?;
            eprintln!("Wrote {name} ({} bytes) to {}", xml.len(), path.display());
        }
        None => std::io::Write::write_all(&mut std::io::stdout(), &xml)
            .context("cannot write to standard output")?,
    }
    Ok(())
}

/// The invoice or credit note `number` as a UBL file: its name
/// (`NUMBER.xml`) and bytes (`dun_mail::attachments::invoice_ubl`, which
/// the mailer and the server share). An error names every EN 16931 rule
/// the document would break.
pub fn invoice_ubl(
    store: &mut Store,
    org: &Org,
    number: &str,
    today: Date,
) -> Result<(String, Vec<u8>)> {
    Ok(attachments::invoice_ubl(store, org.id, number, today)?)
}
