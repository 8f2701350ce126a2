//! Documents: `dun invoice pdf`, `dun statement`, `dun letter pdf`.
//!
//! The glue from the store to the renderer (load, build the view with
//! `dun_pdf::views`, render) lives in `dun_mail::attachments`, so the
//! delivery worker and the server attach the same documents; here they are
//! written.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use clap::{Args, Subcommand};
use dun_core::statement::Statement;
use dun_core::Date;
use dun_mail::attachments::{self, file_stem};
use dun_pdf::views::{self, LetterFacts};
use dun_store::{Org, Store, StoreError};

use super::money;
use crate::cli::Format;
use crate::context::{parse_date, Context};
use crate::output::{emit, Table};

/// Days a final demand gives to pay, unless told otherwise.
pub const PAY_WITHIN_DAYS_DEFAULT: i32 = 14;

#[derive(Args, Debug)]
pub struct PortalArg {
    /// Print a link to the customer's portal, starting with this address
    /// (e.g. https://pay.example.com); without it, documents carry no link.
    #[arg(long, env = "DUN_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
}

#[derive(Args, Debug)]
pub struct InvoicePdfArgs {
    /// The invoice's number, e.g. INV-000042.
    pub invoice: String,
    /// Where to write the PDF (default: ./NUMBER.pdf; `-` writes to standard output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub portal: PortalArg,
}

#[derive(Args, Debug)]
pub struct StatementArgs {
    /// The customer's reference.
    pub customer: String,
    /// First day of the period (default: the first of the month of --to).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Last day of the period (default: today).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Also write the statement as PDF to FILE (one file per currency:
    /// FILE-EUR.pdf, FILE-USD.pdf… when the customer has several).
    #[arg(long, value_name = "FILE")]
    pub pdf: Option<PathBuf>,
    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub portal: PortalArg,
}

#[derive(Subcommand, Debug)]
pub enum LetterCommand {
    /// A final demand listing the customer's overdue invoices, as PDF.
    Pdf(LetterPdfArgs),
}

#[derive(Args, Debug)]
pub struct LetterPdfArgs {
    /// The customer's reference.
    pub customer: String,
    /// The letter's date (default: today); invoices overdue on it are listed.
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// Days the customer is given to pay.
    #[arg(long, default_value_t = PAY_WITHIN_DAYS_DEFAULT, value_name = "DAYS")]
    pub pay_within_days: i32,
    /// Only invoices in this currency (default: the organisation's).
    #[arg(long)]
    pub currency: Option<String>,
    /// Where to write the PDF (default: ./final-demand-CUSTOMER-DATE.pdf).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Who signs the letter (default: "Accounts receivable, ORGANISATION").
    #[arg(long)]
    pub signature: Option<String>,
    #[command(flatten)]
    pub portal: PortalArg,
}

fn portal_link(
    store: &mut Store,
    org: &Org,
    customer_id: i64,
    today: Date,
    public_url: Option<&str>,
) -> Result<Option<String>> {
    Ok(attachments::portal_link(
        store,
        org.id,
        customer_id,
        today,
        public_url,
    )?)
}

/// The invoice `number` as PDF bytes, its status judged as of `today`
/// (`dun_mail::attachments::invoice_pdf`, which the mailer and the server
/// share).
pub fn invoice_pdf(
    store: &mut Store,
    org: &Org,
    number: &str,
    today: Date,
    public_url: Option<&str>,
) -> Result<(String, Vec<u8>)> {
    match attachments::invoice_pdf(store, org.id, number, today, public_url) {
        // Not an invoice's number: a credit note's, perhaps.
        Err(attachments::DocumentError::Store(StoreError::NotFound { .. })) => Ok(
            attachments::credit_note_pdf(store, org.id, number, today, public_url)?,
        ),
        other => Ok(other?),
    }
}

/// The customer's statements for `[from, to]` as (statement, PDF bytes), one per currency.
pub fn statement_pdfs(
    store: &mut Store,
    org: &Org,
    customer_ref: &str,
    from: Date,
    to: Date,
    public_url: Option<&str>,
) -> Result<Vec<(Statement, Vec<u8>)>> {
    Ok(attachments::statement_pdfs(
        store,
        org.id,
        customer_ref,
        from,
        to,
        public_url,
    )?)
}

/// Writes `bytes` to `path` (`-`: standard output) and says where on stderr.
pub(crate) fn write_out(path: &Path, bytes: &[u8], what: &str) -> Result<()> {
    if path == Path::new("-") {
        std::io::stdout().lock().write_all(bytes)?;
        return Ok(());
    }
    std::fs::write(path, bytes)
        .with_context(|| format!("cannot write {what} to '{}'", path.display()))?;
    eprintln!("Wrote {what} to {} ({} bytes)", path.display(), bytes.len());
    Ok(())
}

/// `dun invoice pdf NUMBER [--out FILE]`
pub fn invoice(ctx: &mut Context, args: &InvoicePdfArgs) -> Result<()> {
    let today = ctx.today()?;
    let (number, pdf) = invoice_pdf(
        &mut ctx.store,
        &ctx.org,
        &args.invoice,
        today,
        args.portal.public_url.as_deref(),
    )?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.pdf", file_stem(&number))));
    write_out(&out, &pdf, &format!("invoice {number}"))
}

/// `dun statement CUSTOMER [--from D] [--to D] [--pdf FILE] [--format F]`
pub fn statement(ctx: &mut Context, args: &StatementArgs) -> Result<()> {
    let to = ctx.date_or_today(args.to.as_deref(), "to")?;
    let from = match &args.from {
        Some(text) => parse_date(text, "from")?,
        None => {
            let (y, m, _) = to.ymd();
            Date::from_ymd(y, m, 1)
                .ok_or_else(|| anyhow!("--to: {to} has no first of the month"))?
        }
    };
    let all = statement_pdfs(
        &mut ctx.store,
        &ctx.org,
        &args.customer,
        from,
        to,
        args.portal.public_url.as_deref(),
    )?;
    if all.is_empty() {
        eprintln!(
            "{} has nothing to state from {from} to {to}: no balance, no movement, nothing open",
            args.customer
        );
    }
    if let Some(path) = &args.pdf {
        let several = all.len() > 1;
        for (s, pdf) in &all {
            let target = if several {
                suffixed(path, s.currency.code())
            } else {
                path.clone()
            };
            write_out(
                &target,
                pdf,
                &format!("the {} statement of {}", s.currency, args.customer),
            )?;
        }
        if path == Path::new("-") {
            return Ok(());
        }
    }
    let statements: Vec<&Statement> = all.iter().map(|(s, _)| s).collect();
    if args.format != Format::Table {
        let mut table = Table::new(&[
            "currency",
            "date",
            "description",
            "charge",
            "credit",
            "balance",
        ])
        .numeric([3, 4, 5]);
        for s in &statements {
            push_lines(&mut table, s, true);
        }
        return emit(args.format, &table, &statements);
    }
    for (i, s) in statements.iter().enumerate() {
        if i > 0 {
            println!();
        }
        print_statement(&args.customer, s);
    }
    Ok(())
}

fn push_lines(table: &mut Table, s: &Statement, with_currency: bool) {
    let c = s.currency;
    let mut row = |date: String, what: String, charge: String, credit: String, balance: i64| {
        let mut cells = vec![date, what, charge, credit, money(balance, c)];
        if with_currency {
            cells.insert(0, c.to_string());
        }
        table.push(cells);
    };
    row(
        s.from.to_string(),
        "Opening balance".into(),
        String::new(),
        String::new(),
        s.opening_minor,
    );
    for l in &s.lines {
        row(
            l.date.to_string(),
            l.description(),
            l.charge_minor().map(|a| money(a, c)).unwrap_or_default(),
            l.credit_minor().map(|a| money(a, c)).unwrap_or_default(),
            l.balance_minor,
        );
    }
    row(
        s.to.to_string(),
        "Closing balance".into(),
        money(s.charges_minor, c),
        money(s.credits_minor, c),
        s.closing_minor,
    );
}

fn print_statement(customer: &str, s: &Statement) {
    let c = s.currency;
    println!(
        "Statement of account: {customer}, {} to {}, {c}",
        s.from, s.to
    );
    println!();
    let mut table =
        Table::new(&["date", "description", "charge", "credit", "balance"]).numeric([2, 3, 4]);
    push_lines(&mut table, s, false);
    print!("{}", table.render());
    println!();
    let mut labels: Vec<&str> = s.aging_labels.iter().map(String::as_str).collect();
    labels.push("total open");
    let mut aging = Table::new(&labels).numeric(0..labels.len());
    let mut cells: Vec<String> = s.aging_minor.iter().map(|a| money(*a, c)).collect();
    cells.push(money(s.aging_total_minor(), c));
    aging.push(cells);
    println!("Open on {}, by days past due:", s.to);
    print!("{}", aging.render());
    if s.unapplied_credit_minor != 0 {
        println!(
            "Received and not yet applied: {} {c} (the balance is net of it)",
            money(s.unapplied_credit_minor, c)
        );
    }
}

/// `path` with `-SUFFIX` before its extension.
fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{suffix}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{suffix}"),
    };
    path.with_file_name(name)
}

/// `dun letter pdf CUSTOMER`
pub fn letter(ctx: &mut Context, command: LetterCommand) -> Result<()> {
    let LetterCommand::Pdf(args) = command;
    let date = ctx.date_or_today(args.date.as_deref(), "date")?;
    if !(1..=365).contains(&args.pay_within_days) {
        bail!(
            "--pay-within-days: {} is not between 1 and 365 days",
            args.pay_within_days
        );
    }
    let currency = ctx.currency_or_home(args.currency.as_deref())?;
    let org = ctx.org.clone();
    let store = &mut ctx.store;
    // The statement of the letter's day lists what is open on it.
    let found = store.customer_statements(org.id, &args.customer, date, date)?;
    let overdue: Vec<_> = found
        .statements
        .iter()
        .filter(|s| s.currency == currency)
        .flat_map(|s| s.open_invoices.iter())
        .filter(|i| i.days_past_due > 0)
        .cloned()
        .collect();
    if overdue.is_empty() {
        bail!(
            "{} has no invoice in {currency} overdue on {date}; there is nothing to demand",
            args.customer
        );
    }
    let portal = portal_link(
        store,
        &org,
        found.customer.id,
        date,
        args.portal.public_url.as_deref(),
    )?;
    let late = attachments::late_payment(store, org.id, currency)?;
    let settings = store.document_settings(org.id)?;
    let words = dun_pdf::words::words(settings.locale);
    let signature = args.signature.clone().unwrap_or_else(|| {
        dun_pdf::words::fill(words.accounts_receivable, &[("name", &found.seller.name)])
    });
    let view = views::final_demand(&LetterFacts {
        title: words.final_demand,
        sender: &found.seller,
        recipient: &found.buyer,
        date,
        customer_reference: Some(&found.customer.reference),
        customer_id: found.customer.id,
        currency,
        invoices: &overdue,
        reminded: &[],
        pay_by: date.add_days(args.pay_within_days),
        late_payment: late,
        instructions: &found.payment,
        portal_link: portal,
        signature: &signature,
        locale: settings.locale,
    });
    let pdf = dun_pdf::render_letter(&view, &settings)?;
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "final-demand-{}-{date}.pdf",
            file_stem(&found.customer.reference)
        ))
    });
    write_out(
        &out,
        &pdf,
        &format!(
            "a final demand to {} for {} {currency}",
            args.customer, view.total
        ),
    )
}
