//! CSV in and out, in the documented columns.
//!
//! Reading checks every field and collects every problem with its row
//! (the file's line number; the header is row 1), column and reason, so a
//! person can fix a whole file in one pass. Nothing here touches the book:
//! checks that need it (unknown customers, numbers already used) are made by
//! storage.
//!
//! | file | columns (required **bold**) |
//! |---|---|
//! | customers | **ref**, **name**, email, phone, credit_limit, terms |
//! | invoices | **number**, **customer_ref**, **issue_date**, **due_date**, **currency**, description, and either **amount** or **quantity** + **unit_price** (+ tax_rate, in percent); rows that repeat a number are further lines of that invoice |
//! | payments | **date**, **customer_ref**, **amount**, **currency**, reference, invoice_number, method |

//!
//! A file from another system may name its columns otherwise: a mapping
//! (`ColumnMap`: `their=ours` pairs or a TOML `[columns]` table) and the
//! common names other systems use (`columns.rs`, one table, each read with
//! a warning) say which Dun column each is. `--skip-bad-rows` splits a
//! file into the rows to import and `Rejects`, written back with reasons.

mod cell;
mod columns;
mod read;
mod rejects;
mod write;

pub use cell::{neutralise, restore, SafeWriter};
pub use columns::{header_key, ColumnMap, FileKind, IGNORED};
pub use read::{
    read_customers, read_customers_mapped, read_invoices, read_invoices_mapped, read_payments,
    read_payments_mapped, Parsed,
};
pub use rejects::{Rejects, REASONS_COLUMN};
pub use write::{write_customers, write_invoices, write_payments};

/// `payment_methods` is comma-separated inside its cell (`bank_transfer,card`).
pub const CUSTOMER_COLUMNS: [&str; 8] = [
    "ref",
    "name",
    "email",
    "phone",
    "credit_limit",
    "terms",
    "notes",
    "payment_methods",
];
pub const INVOICE_COLUMNS: [&str; 10] = [
    "number",
    "customer_ref",
    "issue_date",
    "due_date",
    "currency",
    "description",
    "amount",
    "quantity",
    "unit_price",
    "tax_rate",
];
pub const PAYMENT_COLUMNS: [&str; 7] = [
    "date",
    "customer_ref",
    "amount",
    "currency",
    "reference",
    "invoice_number",
    "method",
];
