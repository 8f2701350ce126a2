//! `dun demo`: a living ledger for a newcomer, and the book benchmarks use.

use std::fs::File;
use std::io::BufWriter;
use std::time::Instant;

use anyhow::{bail, Context as _, Result};
use dun_core::Currency;
use dun_demo::{generate, DemoSpec};
use dun_store::import::ImportRequest;
use dun_store::orgs::NewOrg;
use dun_store::StoreError;

use super::transfer::progress_bar;
use crate::cli::{AgingArgs, DemoArgs, FormatArg};
use crate::context::{open_store, parse_date, today_in, Context};

/// The organisation `dun demo` creates when the database has none.
pub(crate) const DEMO_ORG: &str = "Demo Trading Co";
const DEMO_TIMEZONE: &str = "America/New_York";
/// Most invoices one demo book may hold.
const DEMO_INVOICES_MAX: usize = 10_000_000;

pub fn run(db: &str, org: Option<&str>, args: &DemoArgs) -> Result<()> {
    if args.invoices == 0 || args.invoices > DEMO_INVOICES_MAX {
        bail!("--invoices: give 1 to {DEMO_INVOICES_MAX}");
    }
    let mut store = if args.csv_only {
        None
    } else {
        Some(open_store(db)?)
    };
    let existing = match &mut store {
        Some(s) => match s.org(org) {
            Ok(o) => Some(o),
            Err(StoreError::Invalid(_)) if org.is_none() => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let timezone = existing
        .as_ref()
        .map_or(DEMO_TIMEZONE.to_string(), |o| o.timezone.clone());
    let currency = existing
        .as_ref()
        .map_or(Currency::parse("USD").expect("USD is in the table"), |o| {
            o.currency
        });
    let end_date = match &args.end_date {
        Some(text) => parse_date(text, "end-date")?,
        None => today_in(&timezone)?,
    };
    let mut spec = DemoSpec::for_invoices(args.invoices, end_date, currency);
    spec.seed = args.seed;
    if let Some(customers) = args.customers {
        spec.customers = customers;
    }
    let started = Instant::now();
    let book = generate(&spec);
    eprintln!(
        "generated {} customers, {} invoices, {} payments in {:.2?}",
        book.customers.len(),
        book.invoices.len(),
        book.payments.len(),
        started.elapsed()
    );
    if let Some(dir) = &args.csv_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let create = |name: &str| -> Result<BufWriter<File>> {
            let path = dir.join(name);
            Ok(BufWriter::new(File::create(&path).with_context(|| {
                format!("cannot create {}", path.display())
            })?))
        };
        dun_csv::write_customers(create("customers.csv")?, &book.customers, currency)?;
        dun_csv::write_invoices(create("invoices.csv")?, &book.invoices)?;
        dun_csv::write_payments(create("payments.csv")?, &book.payments)?;
        eprintln!(
            "wrote customers.csv, invoices.csv and payments.csv to {}",
            dir.display()
        );
    }
    let Some(mut store) = store else {
        return Ok(());
    };
    let org = match existing {
        Some(org) => org,
        None => store.create_org(&NewOrg {
            name: DEMO_ORG.into(),
            currency,
            timezone: timezone.clone(),
            invoice_prefix: "INV-".into(),
        })?,
    };
    if !store.invoices(org.id, &Default::default())?.is_empty() {
        eprintln!(
            "'{}' already has a book; showing it as it stands (use a new --db for a fresh demo)",
            org.name
        );
    } else {
        let request = |what: &'static str| ImportRequest {
            author: "demo",
            key: None,
            fingerprint: what,
            dry_run: false,
            ladder_from: None,
        };
        let bar = progress_bar(book.customers.len() as u64, "demo customers");
        store.import_customers(org.id, &book.customers, &request("customers"), &mut |n| {
            bar.inc(n as u64)
        })?;
        bar.finish_and_clear();
        super::party::set_demo_addresses(&mut store, &org, &book.customers)?;
        let bar = progress_bar(book.invoices.len() as u64, "demo invoices");
        store.import_invoices(org.id, &book.invoices, &request("invoices"), &mut |n| {
            bar.inc(n as u64)
        })?;
        bar.finish_and_clear();
        let bar = progress_bar(book.payments.len() as u64, "demo payments");
        store.import_payments(org.id, &book.payments, &request("payments"), &mut |n| {
            bar.inc(n as u64)
        })?;
        bar.finish_and_clear();
        eprintln!(
            "wrote the demo book to {} in {:.2?}",
            dun_store::db::redact(db),
            started.elapsed()
        );
    }
    let mut ctx = Context { store, org };
    let aging = AgingArgs {
        as_of: Some(end_date.to_string()),
        detail: false,
        edges: None,
        format: FormatArg {
            format: crate::cli::Format::Table,
        },
    };
    println!("Organisation: {} ({})\n", ctx.org.name, ctx.org.currency);
    super::aging::run(&mut ctx, &aging)?;
    let me = std::env::args().next().unwrap_or_else(|| "dun".into());
    println!(
        "\nNext: {me} customer list | {me} invoice list --status overdue | {me} aging --detail"
    );
    println!("      {me} run --dry-run (what today's collections run would do) | {me} run | {me} worklist | {me} --help");
    Ok(())
}
