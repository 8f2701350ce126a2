//! The command line, as clap reads it. Every command has `--help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(name = "dun", version, about = "Accounts receivable and collections for small businesses", long_about = None)]
pub struct Cli {
    /// Database: a SQLite file path, or a postgres:// URL.
    #[arg(
        long,
        global = true,
        env = "DUN_DATABASE_URL",
        default_value = "./dun.db"
    )]
    pub db: String,
    /// Organisation to work in, when the database holds more than one.
    #[arg(long, global = true, env = "DUN_ORG")]
    pub org: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create the database (if needed) and an organisation named by --org.
    Init(InitArgs),
    /// Serve the HTTP API and run each organisation's daily collections at its run time.
    Serve(crate::commands::serve::ServeArgs),
    /// Users who may sign in to `dun serve`: add, list.
    #[command(subcommand)]
    User(crate::commands::accounts::UserCommand),
    /// API tokens for `dun serve`: create, list, revoke.
    #[command(subcommand)]
    Token(crate::commands::accounts::TokenCommand),
    /// The organisation's address, identifiers and bank details, as invoices name them: show, set.
    #[command(subcommand)]
    Org(crate::commands::party::OrgCommand),
    /// Customers: add, list, show, pause, resume, status, timeline.
    #[command(subcommand)]
    Customer(CustomerCommand),
    /// Invoices: create, issue, void, list, show.
    #[command(subcommand)]
    Invoice(InvoiceCommand),
    /// Payments: record, allocate, refund, reverse, list.
    #[command(subcommand)]
    Payment(PaymentCommand),
    /// Issue a credit note against an invoice.
    CreditNote(ReduceArgs),
    /// Write off what is uncollectable on an invoice.
    WriteOff(ReduceArgs),
    /// The credit policy: show, history, apply, edit, check.
    #[command(subcommand)]
    Policy(crate::commands::policy::PolicyCommand),
    /// Log what happened with a customer: a call, note, reply, promise or dispute.
    #[command(subcommand)]
    Log(crate::commands::log::LogCommand),
    /// Disputes: list, resolve (by a credit note) or reject.
    #[command(subcommand)]
    Dispute(crate::commands::dispute::DisputeCommand),
    /// Payment plans: create, list.
    #[command(subcommand)]
    Plan(crate::commands::plan::PlanCommand),
    /// Collateral on customers' credit files: add, list.
    #[command(subcommand)]
    Collateral(crate::commands::collateral::CollateralCommand),
    /// Bank statements in: import (camt, CSV), the reconciliation queue,
    /// confirm, dismiss, undo.
    #[command(subcommand)]
    Bank(crate::commands::bank::BankCommand),
    /// Exchange rates counting other currencies toward credit limits: set, list.
    #[command(subcommand)]
    Rates(crate::commands::rates::RatesCommand),
    /// Online payment through Stripe: the events received (`events --status review`).
    #[command(subcommand)]
    Stripe(crate::commands::stripe::StripeCommand),
    /// The collector's open tasks, most pressing first.
    Worklist(crate::commands::worklist::WorklistArgs),
    /// Tasks: mark one done, decide an escalation review, or add your own.
    #[command(subcommand)]
    Task(crate::commands::worklist::TaskCommand),
    /// Customers handed to an agency or a lawyer: what they owed then,
    /// what they paid since (to report to the agency) and what is open.
    Escalations(crate::commands::escalation::EscalationsArgs),
    /// Import customers, invoices or payments from CSV, all or nothing.
    Import(ImportArgs),
    /// Export customers, invoices or payments as CSV; or, with --all DIR,
    /// everything the organisation owns.
    Export(ExportArgs),
    /// Rebuild an organisation from `dun export --all DIR` in a new database.
    ImportAll(crate::commands::book_export::ImportAllArgs),
    /// A customer's statement of account for a period, as a table, JSON or PDF.
    Statement(crate::commands::document::StatementArgs),
    /// Letters: a final demand as PDF.
    #[command(subcommand)]
    Letter(crate::commands::document::LetterCommand),
    /// The aging report as of a date.
    Aging(AgingArgs),
    /// Reports: collection figures (DSO, CEI, bad-debt ratio) and the aging.
    #[command(subcommand)]
    Report(crate::commands::report::ReportCommand),
    /// The daily collections run: send what is due, post fees, make tasks (preview with --dry-run).
    Run(crate::commands::run::RunArgs),
    /// Recurring invoices: add, list, pause, resume, end (`dun run` issues them).
    #[command(subcommand)]
    Recurring(crate::commands::recurring::RecurringCommand),
    /// Statements of account on a schedule: set, list, pause, resume, end.
    #[command(subcommand)]
    StatementSchedule(crate::commands::recurring::StatementScheduleCommand),
    /// The messages the run has queued for customers.
    #[command(subcommand)]
    Outbox(crate::commands::outbox::OutboxCommand),
    /// The wording of the e-mails: list, show, set (your own per template).
    #[command(subcommand)]
    Template(crate::commands::template::TemplateCommand),
    /// Fill the database with a realistic demo book.
    Demo(DemoArgs),
    /// Close the books through a day (nothing is posted on or before it), or reopen them.
    #[command(subcommand)]
    Period(crate::commands::period::PeriodCommand),
    /// Check that every stored balance equals the sum of its ledger entries.
    Verify,
    /// An online, consistent copy of the book while `dun serve` keeps
    /// writing (SQLite: VACUUM INTO; PostgreSQL: pg_dump), opened and
    /// checked before it says so.
    Backup(crate::commands::backup::BackupArgs),
    /// Print a shell completion script, e.g. `dun completions bash > /etc/bash_completion.d/dun`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Args, Debug)]
pub struct FormatArg {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct KeyArg {
    /// Idempotency key: repeating the command with the same key does nothing new.
    #[arg(long = "idempotency-key", value_name = "KEY")]
    pub key: Option<String>,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Home currency (ISO 4217), e.g. USD, EUR, JPY.
    #[arg(long)]
    pub currency: String,
    /// IANA time zone that decides what "today" is, e.g. America/New_York.
    #[arg(long)]
    pub timezone: String,
    /// Invoice number prefix; numbers run PREFIX000001, PREFIX000002, …
    #[arg(long, default_value = "INV-")]
    pub invoice_prefix: String,
}

#[derive(Subcommand, Debug)]
pub enum CustomerCommand {
    /// Add a customer.
    Add {
        /// Your reference for the customer (unique), e.g. C0042.
        #[arg(long = "ref")]
        reference: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        /// Credit limit in the organisation's currency, e.g. 5000.00.
        #[arg(long)]
        credit_limit: Option<String>,
        /// Payment terms: due_on_receipt, net30, eom15, installments:30/60/90.
        #[arg(long)]
        terms: Option<String>,
        #[command(flatten)]
        key: KeyArg,
    },
    /// Change a customer's name, e-mail, phone, credit limit, terms, notes
    /// or accepted payment methods; each change is on their timeline with
    /// who, before and after.
    Edit {
        #[arg(value_name = "REF")]
        reference: String,
        #[arg(long)]
        name: Option<String>,
        /// A new address; "" removes it.
        #[arg(long)]
        email: Option<String>,
        /// A new number; "" removes it.
        #[arg(long)]
        phone: Option<String>,
        /// In the organisation's currency, e.g. 5000.00; "none" removes it
        /// (the policy's limit applies).
        #[arg(long)]
        credit_limit: Option<String>,
        /// Payment terms for new invoices: due_on_receipt, net30, eom15, installments:30/60/90.
        #[arg(long)]
        terms: Option<String>,
        /// Free text about the customer; "" removes it.
        #[arg(long)]
        notes: Option<String>,
        /// The methods they may pay by, comma-separated: bank_transfer,
        /// direct_debit, ach, card, check, cash; "any" lifts the restriction.
        #[arg(long, value_name = "METHODS")]
        payment_methods: Option<String>,
        #[command(flatten)]
        on: crate::commands::log::OnArg,
        #[command(flatten)]
        key: KeyArg,
    },
    /// A customer's contacts (besides its main e-mail and phone), with
    /// roles: billing (To of every collection e-mail), accounts_payable
    /// (in copy), other (no e-mail).
    #[command(subcommand)]
    Contact(ContactCommand),
    /// List customers with what they owe.
    List(FormatArg),
    /// Show one customer, their balances and open invoices.
    Show {
        #[arg(value_name = "REF")]
        reference: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Pause reminders, notices, fees and interest for a customer.
    Pause(crate::commands::standing::PauseArgs),
    /// Lift a pause.
    Resume(crate::commands::standing::CustomerDayArgs),
    /// Set a customer's credit status by hand: active, cod_required, on_hold, do_not_serve,
    /// with_agency, legal (handed over: the ladder stops).
    Status(crate::commands::standing::StatusArgs),
    /// Everything on a customer's timeline, newest first.
    Timeline(crate::commands::standing::TimelineArgs),
    /// Set a customer's address and identifiers, as invoices and e-invoices name them.
    SetAddress(crate::commands::party::SetAddressArgs),
    /// Print a signed link to the customer's portal, to send them by hand.
    PortalLink {
        #[arg(value_name = "REF")]
        reference: String,
        /// The address `dun serve` is reached at, e.g. https://pay.example.com.
        #[arg(long, env = "DUN_PUBLIC_URL", value_name = "URL")]
        public_url: String,
    },
    /// The claim file for an agency or a court: one ZIP with a PDF of the
    /// open invoices and every reminder, letter, call, promise and dispute,
    /// the statements of account, and the same tables as CSV.
    ClaimFile(crate::commands::escalation::ClaimFileArgs),
    /// Withdraw every portal link made so far for a customer (one went to the
    /// wrong person); the next link made or sent works.
    PortalWithdraw(crate::commands::standing::CustomerDayArgs),
    /// Mark a customer a business or a consumer (`default`: the policy's
    /// default_debtor). A late-payment law charges businesses only.
    Debtor {
        #[arg(value_name = "REF")]
        reference: String,
        /// business, consumer or default.
        #[arg(value_name = "KIND")]
        kind: String,
        #[command(flatten)]
        author: crate::commands::log::AuthorArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum ContactCommand {
    /// Add a contact: an e-mail, a phone or both, with a role.
    Add {
        #[arg(value_name = "REF")]
        reference: String,
        /// billing, accounts_payable or other.
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[command(flatten)]
        on: crate::commands::log::OnArg,
        #[command(flatten)]
        key: KeyArg,
    },
    /// Remove a contact by its id (`dun customer contact list REF`).
    Remove {
        #[arg(value_name = "REF")]
        reference: String,
        #[arg(value_name = "ID")]
        id: i64,
        #[command(flatten)]
        on: crate::commands::log::OnArg,
        #[command(flatten)]
        key: KeyArg,
    },
    /// List a customer's contacts and who its e-mails go to.
    List {
        #[arg(value_name = "REF")]
        reference: String,
        #[command(flatten)]
        format: FormatArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum InvoiceCommand {
    /// Create a draft invoice (and issue it with --issue).
    Create(InvoiceCreateArgs),
    /// Change a draft before it is issued: the flags given replace what it
    /// says (`--line` replaces every line; an explicit schedule is given
    /// again with `--installment`).
    Edit(InvoiceEditArgs),
    /// Throw a draft away (it has no number and nothing on the ledger; the
    /// customer's timeline keeps what it was).
    Delete {
        /// The draft, as #ID.
        invoice: String,
        #[command(flatten)]
        key: KeyArg,
    },
    /// Issue a draft: it takes the next number and becomes immutable.
    Issue {
        /// Invoice number, or #ID for a draft.
        invoice: String,
        #[command(flatten)]
        credit: crate::commands::standing::OverrideArgs,
        #[command(flatten)]
        key: KeyArg,
    },
    /// E-mail an issued invoice (or a credit note) to its customer, PDF and
    /// e-invoice attached (queued in the outbox; `dun outbox send` or `dun
    /// serve` delivers it).
    Send {
        /// Invoice number, or a credit note's number.
        invoice: String,
        #[command(flatten)]
        key: KeyArg,
    },
    /// Void an issued invoice nothing has been applied to.
    Void {
        invoice: String,
        /// Date of the void (default: today).
        #[arg(long)]
        date: Option<String>,
        #[arg(long, default_value = "")]
        reason: String,
        #[command(flatten)]
        key: KeyArg,
    },
    /// Waive a late fee, interest or fixed compensation on an invoice: a
    /// reversing entry with a reason (not a credit note), on the timeline;
    /// what was paid beyond the new balance becomes credit again.
    Waive {
        invoice: String,
        /// fee, interest or compensation.
        charge: String,
        /// How much (default: all of that charge on the invoice).
        #[arg(long)]
        amount: Option<String>,
        /// Why, e.g. "goodwill: first late payment".
        #[arg(long)]
        reason: String,
        /// Date of the waiver (default: today).
        #[arg(long)]
        date: Option<String>,
        #[command(flatten)]
        key: KeyArg,
    },
    /// Reverse the write-offs on an invoice (written off by mistake, or the
    /// debt was recovered): the amount goes back on the invoice with a
    /// reason, the write-off is kept, and the invoice is open again.
    ReverseWriteOff {
        invoice: String,
        /// Why, e.g. "the customer paid after all".
        #[arg(long)]
        reason: String,
        /// Date of the reversal (default: today).
        #[arg(long)]
        date: Option<String>,
        #[command(flatten)]
        key: KeyArg,
    },
    /// The calculation sheet of an invoice under the policy's late-payment
    /// law: each month's statutory interest with its periods (days,
    /// principal, reference rate, margin, rate), the fixed compensation,
    /// and whether it matches the ledger.
    InterestSheet {
        invoice: String,
        /// Months ended before this day (default: today).
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Also write the sheet as PDF to FILE (`-`: standard output, instead of the table).
        #[arg(long, value_name = "FILE")]
        pdf: Option<std::path::PathBuf>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// List invoices, newest first.
    List {
        /// Only this customer's (by reference).
        #[arg(long)]
        customer: Option<String>,
        /// all, open (everything still owed), overdue, settled, or one status:
        /// draft, partially_paid, partially_credited, paid, credited,
        /// written_off, void.
        #[arg(long, default_value = "all")]
        status: String,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Write an issued invoice or a credit note as a UBL 2.1 e-invoice (EN 16931).
    Xml(crate::commands::ubl::XmlArgs),
    /// Write an issued invoice as PDF (default ./NUMBER.pdf).
    Pdf(crate::commands::document::InvoicePdfArgs),
    /// Show one invoice with its lines and ledger history.
    Show {
        invoice: String,
        /// Judge its status as of this date (default: today).
        #[arg(long)]
        as_of: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
}

#[derive(Args, Debug)]
pub struct InvoiceCreateArgs {
    /// Customer reference.
    #[arg(long)]
    pub customer: String,
    /// A line as DESCRIPTION:QUANTITY:UNIT_PRICE, e.g. "Design work:2.5:120.00". The unit price
    /// may carry up to 4 decimals more than the currency ("Bolts:3:13.333" in EUR); the line
    /// amount is rounded half-even to the currency's decimals. Repeatable.
    #[arg(long = "line", value_name = "DESC:QTY:PRICE")]
    pub lines: Vec<String>,
    /// Tax rate in percent applied to every line, e.g. 20 or 8.875.
    #[arg(long, default_value = "0")]
    pub tax_rate: String,
    /// Issue date (default: today).
    #[arg(long)]
    pub issue_date: Option<String>,
    /// Terms (default: the customer's).
    #[arg(long)]
    pub terms: Option<String>,
    /// Currency (default: the organisation's).
    #[arg(long)]
    pub currency: Option<String>,
    #[arg(long, default_value = "")]
    pub description: String,
    /// An explicit installment as DATE=AMOUNT; repeat for each. They must add up to the total.
    #[arg(long = "installment", value_name = "DATE=AMOUNT")]
    pub installments: Vec<String>,
    /// Issue it at once.
    #[arg(long)]
    pub issue: bool,
    #[command(flatten)]
    pub credit: crate::commands::standing::OverrideArgs,
    #[command(flatten)]
    pub key: KeyArg,
}

#[derive(Args, Debug)]
pub struct InvoiceEditArgs {
    /// The draft, as #ID (see `dun invoice list --status draft`).
    pub invoice: String,
    /// Another customer (their terms too, unless --terms is given).
    #[arg(long)]
    pub customer: Option<String>,
    /// A line as DESCRIPTION:QUANTITY:UNIT_PRICE; when given, these are all the lines. Repeatable.
    #[arg(long = "line", value_name = "DESC:QTY:PRICE")]
    pub lines: Vec<String>,
    /// Tax rate in percent for the lines given with --line.
    #[arg(long, default_value = "0")]
    pub tax_rate: String,
    #[arg(long)]
    pub issue_date: Option<String>,
    #[arg(long)]
    pub terms: Option<String>,
    /// Another currency (give the lines again with --line).
    #[arg(long)]
    pub currency: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
    /// An explicit installment as DATE=AMOUNT; repeat for each.
    #[arg(long = "installment", value_name = "DATE=AMOUNT")]
    pub installments: Vec<String>,
    #[command(flatten)]
    pub key: KeyArg,
}

#[derive(Subcommand, Debug)]
pub enum PaymentCommand {
    /// Record money received and allocate it.
    Record {
        #[arg(long)]
        customer: String,
        /// Amount, e.g. 250.00.
        #[arg(long)]
        amount: String,
        #[arg(long)]
        currency: Option<String>,
        /// Date received (default: today).
        #[arg(long)]
        date: Option<String>,
        #[arg(long, default_value = "bank_transfer")]
        method: String,
        #[arg(long, default_value = "")]
        reference: String,
        /// `oldest` (oldest due first), `none` (keep as credit), or INVOICE=AMOUNT[,INVOICE=AMOUNT…].
        #[arg(long, default_value = "oldest")]
        allocate: String,
        /// Why the payment is recorded late: required when it is dated
        /// before the last applied run (kept on the customer's timeline).
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        key: KeyArg,
    },
    /// Apply a payment's unallocated credit to invoices.
    Allocate {
        payment_id: i64,
        /// `oldest` or INVOICE=AMOUNT[,INVOICE=AMOUNT…].
        #[arg(long, default_value = "oldest")]
        to: String,
        #[arg(long)]
        date: Option<String>,
        #[command(flatten)]
        key: KeyArg,
    },
    /// Pay unallocated credit back to the customer.
    Refund {
        payment_id: i64,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        date: Option<String>,
        /// Why the money goes back (kept on the customer's timeline).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        key: KeyArg,
    },
    /// List payments, newest first.
    List {
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Reverse a payment that did not stand (bounced, charged back).
    Reverse {
        payment_id: i64,
        #[arg(long)]
        date: Option<String>,
        /// Why it did not stand, e.g. "cheque bounced" (kept on the timeline).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        key: KeyArg,
    },
}

#[derive(Args, Debug)]
pub struct ReduceArgs {
    /// Invoice number.
    pub invoice: String,
    /// Amount (default: all that is open).
    #[arg(long)]
    pub amount: Option<String>,
    /// Date (default: today).
    #[arg(long)]
    pub date: Option<String>,
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub key: KeyArg,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Table {
    Customers,
    Invoices,
    Payments,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    #[arg(value_enum)]
    pub what: Table,
    pub file: PathBuf,
    /// Check everything, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Idempotency key (default: derived from the file's content, so importing the same file twice does nothing).
    #[arg(long = "idempotency-key")]
    pub key: Option<String>,
    /// Invoices: where imported invoices enter the collections ladder.
    /// `import` (default): today — steps they reached before were the old
    /// system's, so no fee, interest or message for them; `due`: from
    /// their due dates, as if Dun had chased them all along.
    #[arg(long, value_enum, default_value = "import")]
    pub ladder_from: LadderFrom,
    /// Read the file's column THEIR as Dun's column OURS, e.g.
    /// `--map "invoice_no=number,client=customer_ref"`; `THEIR=-` leaves a
    /// column unread. Repeatable. Common names from other systems are
    /// recognised without it, each with a warning.
    #[arg(long = "map", value_name = "THEIR=OURS,...")]
    pub map: Vec<String>,
    /// The mapping as a file: TOML, `[columns]` then `"Invoice No" = "number"`.
    #[arg(long, value_name = "FILE")]
    pub map_file: Option<PathBuf>,
    /// Apply the good rows and write each rejected row as it was, with a
    /// `reasons` column, to this CSV file (refused if it exists; written
    /// on a dry run too). Without it an import is all or nothing.
    #[arg(long, value_name = "REJECTS.csv")]
    pub skip_bad_rows: Option<PathBuf>,
    /// Customers: a row whose ref exists updates that customer (each
    /// non-empty cell replaces what it says; every change on its timeline,
    /// before and after); a new ref adds one.
    #[arg(long)]
    pub update: bool,
    #[command(flatten)]
    pub author: crate::commands::log::AuthorArg,
    #[command(flatten)]
    pub format: FormatArg,
}

/// Where imported invoices enter the collections ladder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LadderFrom {
    Import,
    Due,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[arg(value_enum, required_unless_present = "all")]
    pub what: Option<Table>,
    /// Write to this file instead of standard output.
    #[arg(long, short, conflicts_with = "all")]
    pub output: Option<PathBuf>,
    /// Every table the organisation owns, as CSV and JSON lines, into this
    /// directory (created; refused if not empty), with manifest.json.
    #[arg(long, value_name = "DIR", conflicts_with = "what")]
    pub all: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct AgingArgs {
    /// The date to age as of (default: today in the organisation's time zone).
    #[arg(long)]
    pub as_of: Option<String>,
    /// List every open invoice (or installment) instead of one row per customer.
    #[arg(long)]
    pub detail: bool,
    /// Bucket edges in days past due (default: the organisation's, 30,60,90).
    #[arg(long)]
    pub edges: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// How many invoices to generate.
    #[arg(long, default_value_t = 2_000)]
    pub invoices: usize,
    /// How many customers (default: scaled to the invoices).
    #[arg(long)]
    pub customers: Option<usize>,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Last day of the book's history (default: today).
    #[arg(long)]
    pub end_date: Option<String>,
    /// Also write the book as CSV files (customers.csv, invoices.csv, payments.csv) here.
    #[arg(long)]
    pub csv_dir: Option<PathBuf>,
    /// Only write the CSV files; leave the database alone.
    #[arg(long, requires = "csv_dir")]
    pub csv_only: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
