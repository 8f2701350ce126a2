//! The benchmark's book: the demo generator's rows written as CSV.
//!
//! The book is generated in a child process (`dun-bench generate`), so the
//! bench process never holds it: a million invoices take about 700 MB as
//! rows, and memory a process has freed is not always given back, which
//! would inflate every in-process peak RSS measured after it.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use dun_core::{Currency, Date};
use dun_demo::{generate, DemoSpec};
use serde::{Deserialize, Serialize};

use crate::measure::{self, Run};

/// The book's last day, and the date every aging is taken as of. Fixed, so
/// the same `--invoices` gives the same book on every run.
pub const BOOK_END_DATE: &str = "2026-06-30";
pub const BOOK_CURRENCY: &str = "USD";

/// What the generator wrote, for the parent to measure with.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BookInfo {
    pub invoices: usize,
    /// CSV rows of invoices: one per invoice line.
    pub invoice_lines: usize,
    pub customers: usize,
    /// Payment rows the generator made (not imported by the suite: the
    /// aging is taken over N open invoices).
    pub payments: usize,
    pub end_date: String,
    pub currency: String,
    /// A customer billed in the book's currency: the payments job pays them.
    pub payer_ref: String,
    pub customers_csv: PathBuf,
    pub invoices_csv: PathBuf,
    pub payments_csv: PathBuf,
    pub invoices_csv_bytes: u64,
}

/// `dun-bench generate`: writes the CSV files into `dir` and returns what
/// it wrote.
pub fn write_book(invoices: usize, dir: &Path) -> Result<BookInfo> {
    let end_date = Date::parse(BOOK_END_DATE)?;
    let currency = Currency::parse(BOOK_CURRENCY)?;
    let book = generate(&DemoSpec::for_invoices(invoices, end_date, currency));
    let payer_ref = book
        .invoices
        .iter()
        .find(|i| i.currency == currency)
        .map(|i| i.customer_ref.clone())
        .unwrap_or_default();
    let customers_csv = dir.join("customers.csv");
    let invoices_csv = dir.join("invoices.csv");
    let payments_csv = dir.join("payments.csv");
    let create = |path: &Path| -> Result<BufWriter<File>> {
        Ok(BufWriter::new(File::create(path).with_context(|| {
            format!("cannot create {}", path.display())
        })?))
    };
    dun_csv::write_customers(create(&customers_csv)?, &book.customers, currency)?;
    dun_csv::write_invoices(create(&invoices_csv)?, &book.invoices)?;
    dun_csv::write_payments(create(&payments_csv)?, &book.payments)?;
    Ok(BookInfo {
        invoices: book.invoices.len(),
        invoice_lines: book.invoices.iter().map(|i| i.lines.len()).sum(),
        customers: book.customers.len(),
        payments: book.payments.len(),
        end_date: end_date.to_string(),
        currency: currency.code().to_string(),
        payer_ref,
        invoices_csv_bytes: std::fs::metadata(&invoices_csv)?.len(),
        customers_csv,
        invoices_csv,
        payments_csv,
    })
}

/// Runs `dun-bench generate` as a child and reads what it wrote.
pub fn generate_in_child(invoices: usize, dir: &Path) -> Result<(BookInfo, Run)> {
    let exe = std::env::current_exe()?;
    let args = [
        "generate".into(),
        "--invoices".into(),
        invoices.to_string().into(),
        "--dir".into(),
        dir.as_os_str().to_owned(),
    ];
    let (run, output) = measure::child::<_, std::ffi::OsString>(&exe, args)?;
    let info = serde_json::from_slice(&output.stdout)
        .context("the book generator printed something other than its summary")?;
    Ok((info, run))
}
