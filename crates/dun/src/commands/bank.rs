//! `dun bank`: statements in from the bank (camt.052/053/054, CSV exports),
//! what matched by itself, and the queue a person decides.

use std::path::PathBuf;

use anyhow::{anyhow, Context as _, Result};
use clap::Subcommand;
use dun_store::bank::BankImportSummary;
use dun_store::bank_queue::{BankCursor, BankFilter, BankTransaction, Confirm, QUEUE_ROWS_MAX};

use super::{amount, money};
use crate::cli::FormatArg;
use crate::context::Context;
use crate::output::{emit, Table};

/// Largest statement file read, in bytes.
pub const STATEMENT_FILE_BYTES_MAX: u64 = 512 * 1024 * 1024;

#[derive(Subcommand, Debug)]
pub enum BankCommand {
    /// Import a bank statement: ISO 20022 camt.053 (statement), camt.052
    /// (intraday report), camt.054 (notification), versions .001.02 to
    /// .001.08, or a CSV export. Every new credit that names an invoice
    /// (its RF reference or its number), or comes from a payer confirmed
    /// before with a telling amount, is posted as a payment; the rest
    /// waits in `dun bank queue`. A line already imported is skipped.
    Import {
        /// The statement file.
        file: PathBuf,
        /// The CSV export's layout: dun, de-bank, deutsche-bank, paypal (default: found
        /// from the header row).
        #[arg(long, value_name = "NAME")]
        preset: Option<String>,
        /// A mapping file (TOML) naming the CSV's columns, for an export
        /// no preset reads.
        #[arg(long, value_name = "FILE")]
        mapping: Option<PathBuf>,
        /// Import even when the statement's opening balance plus its lines
        /// does not give its closing balance.
        #[arg(long)]
        accept_unbalanced: bool,
    },
    /// Bank lines waiting for a person, with candidates and reasons, newest
    /// first, 500 at a time (the next page: --after the last line's id).
    Queue {
        /// queue (default), matched, or all.
        #[arg(long, default_value = "queue")]
        show: String,
        /// The page after (older than) this line.
        #[arg(long, value_name = "ID", conflicts_with = "before")]
        after: Option<i64>,
        /// The page before (newer than) this line.
        #[arg(long, value_name = "ID")]
        before: Option<i64>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Post a waiting line as a customer's payment, and remember the payer
    /// (its account, else its name) for that customer.
    Confirm {
        /// The bank line's number (from `dun bank queue`).
        id: i64,
        /// The customer's reference.
        #[arg(long)]
        customer: String,
        /// Invoices it pays: NUMBER or NUMBER=AMOUNT, repeatable
        /// (default: the customer's oldest due first).
        #[arg(long = "invoice", value_name = "NUMBER[=AMOUNT]")]
        invoices: Vec<String>,
    },
    /// Take a line out of the queue: it is not a customer's payment.
    Dismiss {
        id: i64,
        /// Why (a loan, a supplier's refund…).
        #[arg(long)]
        reason: String,
    },
    /// Undo a match: the payment is reversed and the line waits again.
    Undo {
        id: i64,
        #[arg(long)]
        reason: String,
    },
}

fn print_summary(s: &BankImportSummary) {
    println!(
        "Read {} lines in {} statement(s): {} new, {} already imported.",
        s.lines_read,
        s.statements,
        s.lines_new,
        s.lines_read - s.lines_new
    );
    println!(
        "  {} matched and posted, {} suggested, {} unmatched, {} returns reversed, {} other debits.",
        s.matched, s.suggested, s.unmatched, s.returned, s.debits
    );
    if s.suggested + s.unmatched > 0 {
        println!("  Waiting for you: dun bank queue");
    }
}

fn table(list: &[BankTransaction]) -> Table {
    let mut t = Table::new(&[
        "id", "booked", "amount", "currency", "payer", "text", "status", "customer", "why",
    ])
    .numeric([0, 2]);
    for l in list {
        let why = if l.candidates.is_empty() {
            l.reasons.join("; ")
        } else {
            l.candidates
                .iter()
                .map(|c| {
                    format!(
                        "{} {} ({}%: {})",
                        c.customer_ref,
                        c.invoices.join(","),
                        c.score,
                        c.reasons.join("; ")
                    )
                })
                .collect::<Vec<_>>()
                .join(" | ")
        };
        t.push(vec![
            l.id.to_string(),
            l.booked_date.to_string(),
            money(l.amount_minor, l.currency),
            l.currency.to_string(),
            l.counterparty_name.clone().unwrap_or_default(),
            l.remittance.clone(),
            l.status.clone(),
            l.customer_ref.clone().unwrap_or_default(),
            why,
        ]);
    }
    t
}

pub fn run(ctx: &mut Context, command: BankCommand) -> Result<()> {
    let org_id = ctx.org.id;
    match command {
        BankCommand::Import {
            file,
            preset,
            mapping,
            accept_unbalanced,
        } => {
            let size = std::fs::metadata(&file)
                .with_context(|| format!("cannot read {}", file.display()))?
                .len();
            if size > STATEMENT_FILE_BYTES_MAX {
                return Err(anyhow!(
                    "{}: {size} bytes; a statement file may have at most {STATEMENT_FILE_BYTES_MAX}",
                    file.display()
                ));
            }
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let mapping = match mapping {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    Some(
                        dun_bank::CsvMapping::from_toml(&text)
                            .map_err(|e| anyhow!("{}: {e}", path.display()))?,
                    )
                }
                None => None,
            };
            let options = dun_bank::ParseOptions { preset, mapping };
            let statements = dun_bank::parse_statements(&bytes, &options)
                .map_err(|e| anyhow!("{}: {e}; nothing was imported", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let summary =
                ctx.store
                    .import_bank_statements(org_id, &name, &statements, accept_unbalanced)?;
            print_summary(&summary);
        }
        BankCommand::Queue {
            show,
            after,
            before,
            format,
        } => {
            let filter = BankFilter::parse(&show)
                .ok_or_else(|| anyhow!("--show '{show}': write queue, matched or all"))?;
            let cursor = match (after, before) {
                (Some(id), _) => BankCursor::After(id),
                (None, Some(id)) => BankCursor::Before(id),
                (None, None) => BankCursor::First,
            };
            let page = ctx
                .store
                .bank_transactions_page(org_id, filter, cursor, QUEUE_ROWS_MAX)?;
            emit(format.format, &table(&page.lines), &page.lines)?;
            if let Some(id) = page.previous_before {
                eprintln!("Newer lines: dun bank queue --show {show} --before {id}");
            }
            if let Some(id) = page.next_after {
                eprintln!("More lines: dun bank queue --show {show} --after {id}");
            }
        }
        BankCommand::Confirm {
            id,
            customer,
            invoices,
        } => {
            let line = ctx.store.bank_transaction(org_id, id)?;
            let invoices = invoices
                .iter()
                .map(|text| match text.split_once('=') {
                    Some((number, a)) => Ok((
                        number.trim().to_string(),
                        Some(amount(a.trim(), line.currency, "invoice")?),
                    )),
                    None => Ok((text.trim().to_string(), None)),
                })
                .collect::<Result<Vec<_>>>()?;
            let done = ctx.store.confirm_bank_transaction(
                org_id,
                id,
                &Confirm {
                    customer_ref: customer,
                    invoices,
                },
            )?;
            println!(
                "Bank line #{id} of {} {} posted as payment #{} from {}; their next payments from this payer match by themselves.",
                money(done.amount_minor, done.currency),
                done.currency,
                done.payment_id.unwrap_or_default(),
                done.customer_ref.unwrap_or_default()
            );
        }
        BankCommand::Dismiss { id, reason } => {
            ctx.store.dismiss_bank_transaction(org_id, id, &reason)?;
            println!("Bank line #{id} is not a customer payment: {reason}");
        }
        BankCommand::Undo { id, reason } => {
            ctx.store.undo_bank_match(org_id, id, &reason)?;
            println!("Bank line #{id}: the match is undone, its payment reversed; it waits in dun bank queue.");
        }
    }
    Ok(())
}
