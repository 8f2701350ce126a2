//! Everything an organisation owns, out to files and back into a book:
//! `dun export --all DIR` and `dun import-all DIR`.
//!
//! [`TABLES`] names every table an organisation owns and every column of
//! each, with what kind of value it holds; it is also the order a book is
//! rebuilt in (a row is written after the rows it refers to). An export
//! writes each table twice, as `TABLE.csv` (through the formula-neutralising
//! [`dun_csv::SafeWriter`], for people and spreadsheets) and `TABLE.jsonl`
//! (one JSON object a row, exact: integers are integers — money in minor
//! units — dates are `YYYY-MM-DD`, text is text), rows in a stable order
//! (by id, else by the table's key, compared byte by byte, so both engines
//! write the same files), and `manifest.json` with the format and schema
//! versions, the organisation, and every file's rows, bytes and SHA-256.
//!
//! The import reads the JSON lines only, after every file's sum and count
//! is checked, and writes the whole organisation in one transaction (an
//! export of an older schema may lack tables and columns migrations added
//! since: they take what the migrations give existing rows, as migrations
//! only create and add, with defaults; a newer schema is refused). It
//! keeps the exported ids: an invoice's and a customer's ISO 11649 payment
//! reference is made of its id, and ids appear inside the book's own text
//! (tasks', plans' and the timeline's invoice lists, the run's marks), so
//! renumbering would change references customers pay by. Hence it imports
//! into a database where those ids are free — in practice a new database —
//! and refuses, naming the table and id, otherwise. On PostgreSQL each
//! identity is moved past the highest id imported.
//!
//! Secrets never leave: users' password hashes, the organisation's portal
//! link key and its Stripe keys are written as absent (listed in the
//! manifest's `absent`); API tokens and sessions are not exported, nor is
//! the HTTP replay cache ([`NOT_EXPORTED`]); the daily totals, derived from
//! the ledger, are rebuilt from the imported entries. A rebuilt book's users have no
//! password until one is set (`dun user password`), portal links sent
//! before no longer open, and Stripe keys are set again.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use dun_core::date::{YEAR_MAX, YEAR_MIN};
use dun_core::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::{placeholders, Param, Row, Tx};
use crate::error::StoreError;
use crate::{params, Store};

/// The name of the export's description, beside the table files.
pub const MANIFEST_FILE: &str = "manifest.json";
/// What `manifest.json` says it is.
pub const FORMAT_NAME: &str = "dun-export";
/// The version of the files' layout; an import reads this version only.
pub const FORMAT_VERSION: i64 = 1;
/// Largest manifest an import reads, in bytes.
pub const MANIFEST_BYTES_MAX: u64 = 1024 * 1024;
/// Largest table file an import reads, in bytes.
pub const TABLE_FILE_BYTES_MAX: u64 = 16 * 1024 * 1024 * 1024;
/// Longest line of a `.jsonl` file an import reads, in bytes (a kept letter's PDF is the longest).
pub const JSONL_LINE_BYTES_MAX: usize = 64 * 1024 * 1024;
/// Most rows one INSERT of an import writes.
const INSERT_ROWS_MAX: usize = 500;
/// Most placeholders one INSERT of an import binds (SQLite allows 32,766).
const INSERT_PARAMS_MAX: usize = 30_000;

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An integer: an id, a count, money in minor units, a flag.
    Int,
    /// A calendar day (stored as a day number), written `YYYY-MM-DD`.
    Day,
    /// Text (JSON documents kept as text stay text, exactly as stored).
    Text,
}

#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
}

/// Which rows of a table belong to the organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `organisations`: the row whose id is the organisation's.
    Organisation,
    /// `users`: those who are members of the organisation (users are shared
    /// by organisations; a user has no `org_id`).
    Members,
    /// Every other table: the rows with the organisation's `org_id`
    /// (written without it; the import puts the organisation's id back).
    Org,
}

/// A secret column: never exported; what the import writes instead.
#[derive(Clone, Copy, Debug)]
pub struct Absent {
    pub name: &'static str,
    /// `None`: NULL; `Some("")` for a NOT NULL column (an empty password
    /// hash, which no password verifies against).
    pub imported_as: Option<&'static str>,
}

#[derive(Clone, Copy, Debug)]
pub struct Table {
    pub name: &'static str,
    pub scope: Scope,
    pub columns: &'static [Column],
    /// The columns a file is ordered by (`["id"]`, or the table's key).
    pub order: &'static [&'static str],
    pub absent: &'static [Absent],
}

impl Table {
    fn has_id(&self) -> bool {
        self.columns.first().is_some_and(|c| c.name == "id")
    }
}

/// Tables no export carries, and why (the export's test holds the schema
/// to [`TABLES`] plus these, so a new table must be placed in one).
pub const NOT_EXPORTED: &[(&str, &str)] = &[
    (
        "api_tokens",
        "secrets (hashes of API tokens); make new tokens",
    ),
    ("sessions", "secrets (browser sessions)"),
    (
        "invitations",
        "secrets (hashes of one-time invitation links); invite again",
    ),
    (
        "password_resets",
        "secrets (hashes of one-time reset links); issue a new one",
    ),
    (
        "http_requests",
        "a day's cache of HTTP answers, not the organisation's",
    ),
    (
        "schema_migrations",
        "the database's own; the manifest names its version",
    ),
    (
        "daily_totals",
        "derived from the ledger's entries; the import rebuilds them",
    ),
];

const fn int(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Int,
    }
}
const fn day(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Day,
    }
}
const fn text(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Text,
    }
}
const fn org(
    name: &'static str,
    columns: &'static [Column],
    order: &'static [&'static str],
) -> Table {
    Table {
        name,
        scope: Scope::Org,
        columns,
        order,
        absent: &[],
    }
}
const BY_ID: &[&str] = &["id"];

/// Every table an organisation owns, in the order a book is rebuilt.
pub const TABLES: &[Table] = &[
    Table {
        name: "organisations",
        scope: Scope::Organisation,
        columns: &[
            int("id"),
            text("name"),
            text("currency"),
            text("timezone"),
            text("invoice_prefix"),
            int("next_invoice_number"),
            text("credit_note_prefix"),
            int("next_credit_note_number"),
            text("aging_edges"),
            text("created_at"),
            text("run_at"),
            text("legal_name"),
            text("address"),
            text("city"),
            text("postcode"),
            text("region"),
            text("country_code"),
            text("vat_id"),
            text("company_id"),
            text("email"),
            text("phone"),
            text("iban"),
            text("bic"),
            text("account_name"),
            text("payment_note"),
            text("zero_rate_category"),
            text("tax_exemption_reason"),
            text("tax_id"),
            day("closed_through"),
            text("closed_by"),
            text("closed_at"),
            text("endpoint"),
            text("stripe_publishable_key"),
            text("paper_size"),
            text("document_locale"),
            text("logo_media_type"),
            text("logo_hex"),
        ],
        order: BY_ID,
        absent: &[
            Absent {
                name: "portal_secret",
                imported_as: None,
            },
            Absent {
                name: "stripe_secret_key",
                imported_as: None,
            },
            Absent {
                name: "stripe_webhook_secret",
                imported_as: None,
            },
        ],
    },
    Table {
        name: "users",
        scope: Scope::Members,
        columns: &[int("id"), text("email"), text("name"), text("created_at")],
        order: BY_ID,
        absent: &[Absent {
            name: "password_hash",
            imported_as: Some(""),
        }],
    },
    org(
        "memberships",
        &[int("user_id"), text("role"), text("created_at")],
        &["user_id"],
    ),
    org(
        "customers",
        &[
            int("id"),
            text("ref"),
            text("name"),
            text("email"),
            text("phone"),
            int("credit_limit_minor"),
            text("terms"),
            text("status"),
            int("lock_version"),
            text("created_at"),
            int("status_by_policy"),
            day("paused_until"),
            text("tier"),
            text("tier_reasons"),
            text("address"),
            text("city"),
            text("postcode"),
            text("region"),
            text("country_code"),
            text("vat_id"),
            text("company_id"),
            int("portal_generation"),
            day("status_held_until"),
            text("debtor"),
            text("endpoint"),
            text("notes"),
            text("payment_methods"),
        ],
        BY_ID,
    ),
    org(
        "customer_contacts",
        &[
            int("id"),
            int("customer_id"),
            text("role"),
            text("name"),
            text("email"),
            text("phone"),
            text("created_at"),
        ],
        BY_ID,
    ),
    org(
        "policy_versions",
        &[
            int("version"),
            text("document"),
            text("changes"),
            text("author"),
            text("created_at"),
        ],
        &["version"],
    ),
    org(
        "invoices",
        &[
            int("id"),
            int("customer_id"),
            text("number"),
            text("currency"),
            day("issue_date"),
            day("due_date"),
            text("terms"),
            text("description"),
            text("lines"),
            text("schedule"),
            int("installment_count"),
            int("subtotal_minor"),
            int("tax_minor"),
            int("total_minor"),
            text("status"),
            int("open_minor"),
            day("last_entry_date"),
            text("created_at"),
            int("policy_version"),
            day("ladder_from"),
            text("zero_rate_category"),
            text("tax_exemption_reason"),
        ],
        BY_ID,
    ),
    org(
        "payments",
        &[
            int("id"),
            int("customer_id"),
            text("currency"),
            day("received_date"),
            int("amount_minor"),
            text("method"),
            text("reference"),
            int("unallocated_minor"),
            text("status"),
            int("import_row"),
            text("created_at"),
        ],
        BY_ID,
    ),
    org(
        "credit_notes",
        &[
            int("id"),
            text("number"),
            int("invoice_id"),
            int("customer_id"),
            text("currency"),
            day("issue_date"),
            int("amount_minor"),
            text("reason"),
            text("created_at"),
        ],
        BY_ID,
    ),
    org(
        "write_offs",
        &[
            int("id"),
            int("invoice_id"),
            int("customer_id"),
            text("currency"),
            day("written_off_date"),
            int("amount_minor"),
            text("reason"),
            text("created_at"),
            day("reversed_on"),
            text("reversed_reason"),
            text("reversed_by"),
        ],
        BY_ID,
    ),
    org(
        "ledger_entries",
        &[
            int("id"),
            int("customer_id"),
            text("currency"),
            text("kind"),
            int("invoice_id"),
            int("payment_id"),
            int("document_id"),
            day("effective_date"),
            int("ar_minor"),
            int("credit_minor"),
            text("recorded_at"),
        ],
        BY_ID,
    ),
    org(
        "idempotency_keys",
        &[
            text("key"),
            text("command"),
            text("request_hash"),
            text("response"),
            text("created_at"),
        ],
        &["key"],
    ),
    org(
        "runs",
        &[
            int("id"),
            day("as_of"),
            int("policy_version"),
            int("actions"),
            text("started_at"),
            text("finished_at"),
        ],
        BY_ID,
    ),
    org(
        "run_marks",
        &[
            text("subject"),
            text("key"),
            day("done_on"),
            int("skipped"),
            int("run_id"),
        ],
        &["subject", "key"],
    ),
    org(
        "run_actions",
        &[
            int("id"),
            int("run_id"),
            int("customer_id"),
            int("policy_version"),
            text("rule"),
            text("kind"),
            text("detail"),
            text("created_at"),
        ],
        BY_ID,
    ),
    org(
        "run_claims",
        &[
            day("run_date"),
            text("claimed_by"),
            text("claimed_at"),
            text("heartbeat_at"),
            text("finished_at"),
            text("outcome"),
        ],
        &["run_date"],
    ),
    org(
        "outbox",
        &[
            int("id"),
            int("customer_id"),
            int("action_id"),
            day("as_of"),
            text("channels"),
            text("template"),
            text("detail"),
            text("status"),
            int("attempts"),
            text("created_at"),
            text("sent_at"),
            text("kind"),
            int("invoice_id"),
            day("period_start"),
            day("period_end"),
            text("message_id"),
            text("recipient"),
            text("claimed_by"),
            text("claimed_at"),
            text("next_attempt_at"),
            text("last_error"),
            text("cc"),
        ],
        BY_ID,
    ),
    org(
        "letters",
        &[
            int("outbox_id"),
            text("filename"),
            int("customer_id"),
            text("pdf_hex"),
            text("created_at"),
        ],
        &["outbox_id", "filename"],
    ),
    org(
        "tasks",
        &[
            int("id"),
            int("customer_id"),
            text("kind"),
            text("title"),
            day("due_date"),
            text("status"),
            text("invoice_ids"),
            text("proposals"),
            text("created_by"),
            text("outcome"),
            text("created_at"),
            text("closed_at"),
        ],
        BY_ID,
    ),
    org(
        "escalations",
        &[
            int("task_id"),
            int("customer_id"),
            text("decision"),
            text("reason"),
            day("decided_on"),
            text("handed_over"),
            text("author"),
            text("created_at"),
        ],
        &["task_id"],
    ),
    org(
        "timeline",
        &[
            int("id"),
            int("customer_id"),
            text("occurred_at"),
            day("on_date"),
            text("kind"),
            text("author"),
            text("summary"),
            text("detail"),
            text("invoice_ids"),
        ],
        BY_ID,
    ),
    org(
        "promises",
        &[
            int("id"),
            int("customer_id"),
            text("currency"),
            int("amount_minor"),
            day("made_on"),
            day("promised_date"),
            text("invoice_ids"),
            text("status"),
            day("settled_on"),
            text("created_at"),
        ],
        BY_ID,
    ),
    org(
        "disputes",
        &[
            int("id"),
            int("customer_id"),
            int("invoice_id"),
            int("line"),
            text("reason"),
            text("status"),
            day("opened_on"),
            day("closed_on"),
            text("resolution"),
            text("created_at"),
        ],
        BY_ID,
    ),
    org(
        "payment_plans",
        &[
            int("id"),
            int("customer_id"),
            text("currency"),
            text("invoice_ids"),
            text("installments"),
            day("created_on"),
            int("opening_minor"),
            text("status"),
            day("defaulted_on"),
            text("created_at"),
        ],
        BY_ID,
    ),
    org(
        "collateral",
        &[
            int("id"),
            int("customer_id"),
            text("kind"),
            int("amount_minor"),
            text("currency"),
            day("filed_on"),
            day("expires_on"),
            text("reference"),
            text("note"),
            text("created_at"),
        ],
        BY_ID,
    ),
    org(
        "message_templates",
        &[
            text("name"),
            text("subject"),
            text("text_body"),
            text("html_body"),
            int("version"),
            text("updated_by"),
            text("updated_at"),
        ],
        &["name"],
    ),
    org(
        "recurring_invoices",
        &[
            int("id"),
            int("customer_id"),
            text("currency"),
            text("lines"),
            text("terms"),
            text("description"),
            text("schedule"),
            day("starts_on"),
            day("ends_on"),
            day("next_date"),
            day("last_issued_date"),
            text("status"),
            int("send_email"),
            text("created_by"),
            text("created_at"),
        ],
        BY_ID,
    ),
    org(
        "recurring_occurrences",
        &[
            int("recurring_id"),
            day("occurrence"),
            int("invoice_id"),
            text("outcome"),
            int("missed"),
            text("created_at"),
        ],
        &["recurring_id", "occurrence"],
    ),
    org(
        "statement_schedules",
        &[
            int("id"),
            int("customer_id"),
            text("schedule"),
            day("next_date"),
            day("last_sent_date"),
            text("status"),
            text("created_by"),
            text("created_at"),
        ],
        BY_ID,
    ),
    org(
        "exchange_rates",
        &[
            text("from_currency"),
            text("to_currency"),
            day("effective_from"),
            int("rate_micros"),
            text("author"),
            text("created_at"),
        ],
        &["from_currency", "to_currency", "effective_from"],
    ),
    org(
        "reference_rates",
        &[
            text("series"),
            day("in_force_from"),
            int("rate_micros"),
            text("source"),
            text("author"),
            text("created_at"),
        ],
        &["series", "in_force_from"],
    ),
    org(
        "bank_statements",
        &[
            int("id"),
            text("format"),
            text("statement_ref"),
            text("account_iban"),
            text("file_name"),
            int("lines_read"),
            int("lines_new"),
            int("opening_minor"),
            int("closing_minor"),
            text("author"),
            text("created_at"),
        ],
        BY_ID,
    ),
    org(
        "bank_transactions",
        &[
            int("id"),
            int("statement_id"),
            text("account"),
            text("line_key"),
            text("bank_ref"),
            day("booked_date"),
            int("amount_minor"),
            text("currency"),
            text("counterparty_name"),
            text("counterparty_iban"),
            text("remittance"),
            text("structured_ref"),
            text("end_to_end_id"),
            text("return_reason"),
            text("status"),
            text("rule"),
            int("customer_id"),
            int("payment_id"),
            text("detail"),
            text("decided_by"),
            text("created_at"),
        ],
        BY_ID,
    ),
    org(
        "payer_accounts",
        &[
            text("payer_key"),
            int("customer_id"),
            text("author"),
            text("created_at"),
        ],
        &["payer_key"],
    ),
    org(
        "period_closes",
        &[
            day("closed_through"),
            text("reason"),
            text("author"),
            text("created_at"),
        ],
        &["created_at", "closed_through", "reason", "author"],
    ),
    Table {
        name: "stripe_intents",
        scope: Scope::Org,
        columns: &[
            text("intent_id"),
            text("idempotency_key"),
            int("customer_id"),
            text("currency"),
            int("amount_minor"),
            text("invoices"),
            text("created_at"),
        ],
        order: &["intent_id"],
        // What confirms the intent in a browser stays with this book.
        absent: &[Absent {
            name: "client_secret",
            imported_as: None,
        }],
    },
    org(
        "stripe_events",
        &[
            text("event_id"),
            text("event_type"),
            text("intent_id"),
            text("status"),
            int("payment_id"),
            int("amount_minor"),
            text("detail"),
            int("fee_minor"),
            text("fee_currency"),
            text("created_at"),
        ],
        &["event_id"],
    ),
];

/// One file of an export, as the manifest describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub file: String,
    pub table: String,
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
}

/// Columns an export leaves out, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbsentColumns {
    pub table: String,
    pub columns: Vec<String>,
}

/// `manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: i64,
    pub dun_version: String,
    pub organisation: String,
    pub organisation_id: i64,
    pub schema_version: i64,
    pub files: Vec<ManifestFile>,
    /// Secret columns written as absent.
    pub absent: Vec<AbsentColumns>,
    /// Tables not exported, each with why.
    pub not_exported: Vec<String>,
}

/// What an export or an import did.
#[derive(Clone, Debug, Serialize)]
pub struct BookSummary {
    pub organisation: String,
    pub organisation_id: i64,
    pub tables: usize,
    pub rows: u64,
    pub files: Vec<ManifestFile>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Value {
    Null,
    Int(i64),
    Text(String),
}

fn io_error(path: &Path, action: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("cannot {action} {}: {e}", path.display()))
}

/// A day number as `YYYY-MM-DD`, when it is a day of the years a date is
/// accepted in; else `None` (the number itself is written).
fn day_text(number: i64) -> Option<String> {
    let first = Date::from_ymd(YEAR_MIN, 1, 1)?.day_number();
    let last = Date::from_ymd(YEAR_MAX, 12, 31)?.day_number();
    let days = i32::try_from(number).ok()?;
    (first..=last)
        .contains(&days)
        .then(|| Date::from_day_number(days).to_string())
}

/// A writer that counts and hashes what passes through it.
struct Hashing<W: Write> {
    inner: W,
    sha: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn hashing(path: &Path) -> Result<Hashing<BufWriter<File>>, StoreError> {
    let file = File::create_new(path).map_err(|e| io_error(path, "create", e))?;
    Ok(Hashing {
        inner: BufWriter::new(file),
        sha: Sha256::new(),
        bytes: 0,
    })
}

/// The two files of one table being written.
struct TableFiles<'t> {
    table: &'t Table,
    dir: PathBuf,
    csv: dun_csv::SafeWriter<Hashing<BufWriter<File>>>,
    jsonl: Hashing<BufWriter<File>>,
    rows: u64,
}

impl<'t> TableFiles<'t> {
    fn create(dir: &Path, table: &'t Table) -> Result<TableFiles<'t>, StoreError> {
        let mut csv = dun_csv::SafeWriter::new(hashing(&dir.join(format!("{}.csv", table.name)))?);
        csv.write_record(table.columns.iter().map(|c| c.name))
            .map_err(|e| io_error(dir, "write in", e))?;
        Ok(TableFiles {
            table,
            dir: dir.to_path_buf(),
            csv,
            jsonl: hashing(&dir.join(format!("{}.jsonl", table.name)))?,
            rows: 0,
        })
    }

    fn write(&mut self, values: &[Value]) -> Result<(), StoreError> {
        let mut cells = Vec::with_capacity(values.len());
        let mut line = String::from("{");
        for (i, (column, value)) in self.table.columns.iter().zip(values).enumerate() {
            if i > 0 {
                line.push(',');
            }
            line.push_str(&serde_json::to_string(column.name)?);
            line.push(':');
            match value {
                Value::Null => {
                    cells.push(String::new());
                    line.push_str("null");
                }
                Value::Int(n) => match (column.kind, day_text(*n)) {
                    (Kind::Day, Some(date)) => {
                        line.push_str(&serde_json::to_string(&date)?);
                        cells.push(date);
                    }
                    _ => {
                        line.push_str(&n.to_string());
                        cells.push(n.to_string());
                    }
                },
                Value::Text(s) => {
                    line.push_str(&serde_json::to_string(s)?);
                    cells.push(s.clone());
                }
            }
        }
        line.push_str("}\n");
        self.csv
            .write_record(&cells)
            .map_err(|e| io_error(&self.dir, "write in", e))?;
        self.jsonl
            .write_all(line.as_bytes())
            .map_err(|e| io_error(&self.dir, "write in", e))?;
        self.rows += 1;
        Ok(())
    }

    fn finish(self) -> Result<[ManifestFile; 2], StoreError> {
        let name = self.table.name;
        let mut csv = self
            .csv
            .into_inner()
            .map_err(|e| io_error(&self.dir, "write in", e))?;
        let mut jsonl = self.jsonl;
        let done = |file: String, w: &mut Hashing<BufWriter<File>>| {
            w.flush().map_err(|e| io_error(&self.dir, "write in", e))?;
            w.inner
                .get_ref()
                .sync_all()
                .map_err(|e| io_error(&self.dir, "write in", e))?;
            Ok::<_, StoreError>(ManifestFile {
                file,
                table: name.to_string(),
                rows: self.rows,
                bytes: w.bytes,
                sha256: hex::encode(std::mem::take(&mut w.sha).finalize()),
            })
        };
        Ok([
            done(format!("{name}.csv"), &mut csv)?,
            done(format!("{name}.jsonl"), &mut jsonl)?,
        ])
    }
}

fn read_values(table: &Table, r: &Row<'_>) -> Result<Vec<Value>, StoreError> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Ok(match c.kind {
                Kind::Int | Kind::Day => r.opt_i64(i)?.map_or(Value::Null, Value::Int),
                Kind::Text => r.opt_string(i)?.map_or(Value::Null, Value::Text),
            })
        })
        .collect()
}

fn column_list(table: &Table) -> String {
    table
        .columns
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn select_sql(table: &Table) -> String {
    let columns = column_list(table);
    let name = table.name;
    let filter = match table.scope {
        Scope::Organisation => "id = $1",
        Scope::Members => "id IN (SELECT user_id FROM memberships WHERE org_id = $1)",
        Scope::Org => "org_id = $1",
    };
    if table.has_id() {
        format!("SELECT {columns} FROM {name} WHERE {filter} ORDER BY id")
    } else {
        format!("SELECT {columns} FROM {name} WHERE {filter}")
    }
}

/// Writes one table: straight through in id order, or read whole and
/// sorted by its key byte by byte (the engines' text orders differ).
fn export_table(
    tx: &mut Tx<'_>,
    org_id: i64,
    files: &mut TableFiles<'_>,
) -> Result<(), StoreError> {
    let table = files.table;
    let sql = select_sql(table);
    if table.has_id() {
        return tx.query_each(&sql, params![org_id], |r| {
            files.write(&read_values(table, r)?)
        });
    }
    let key: Vec<usize> = table
        .order
        .iter()
        .map(|k| {
            table
                .columns
                .iter()
                .position(|c| c.name == *k)
                .expect("a table is ordered by its own columns")
        })
        .collect();
    let mut rows = tx.query(&sql, params![org_id], |r| read_values(table, r))?;
    rows.sort_by(|a, b| {
        let ka = key.iter().map(|&i| &a[i]);
        let kb = key.iter().map(|&i| &b[i]);
        ka.cmp(kb).then_with(|| a.cmp(b))
    });
    rows.iter().try_for_each(|row| files.write(row))
}

/// The newest schema version applied to the database.
fn schema_version(tx: &mut Tx<'_>) -> Result<i64, StoreError> {
    Ok(tx
        .query_opt("SELECT MAX(version) FROM schema_migrations", &[], |r| {
            r.opt_i64(0)
        })?
        .flatten()
        .unwrap_or(0))
}

fn absent_columns() -> Vec<AbsentColumns> {
    TABLES
        .iter()
        .filter(|t| !t.absent.is_empty())
        .map(|t| AbsentColumns {
            table: t.name.to_string(),
            columns: t.absent.iter().map(|a| a.name.to_string()).collect(),
        })
        .collect()
}

fn not_exported() -> Vec<String> {
    NOT_EXPORTED
        .iter()
        .map(|(table, why)| format!("{table}: {why}"))
        .collect()
}

/// `dir` made ready for an export: created if missing; refused if it is
/// not a directory or holds anything.
fn empty_dir(dir: &Path) -> Result<(), StoreError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(StoreError::Invalid(format!(
                    "{} is not empty; an export writes into a new or empty directory",
                    dir.display()
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| io_error(dir, "create", e))
        }
        Err(e) => Err(io_error(dir, "read the directory", e)),
    }
}

impl Store {
    /// Writes everything organisation `org_id` owns into `dir` (created if
    /// missing, refused if not empty), read in one snapshot; `progress` is
    /// told each table as it begins.
    pub fn export_book(
        &mut self,
        org_id: i64,
        dir: &Path,
        progress: &mut dyn FnMut(&str),
    ) -> Result<BookSummary, StoreError> {
        empty_dir(dir)?;
        let result = self.export_into(org_id, dir, progress);
        if result.is_err() {
            // Nothing half-written is left to be taken for an export.
            for table in TABLES {
                for ext in ["csv", "jsonl"] {
                    let _ = std::fs::remove_file(dir.join(format!("{}.{ext}", table.name)));
                }
            }
            let _ = std::fs::remove_file(dir.join(MANIFEST_FILE));
        }
        result
    }

    fn export_into(
        &mut self,
        org_id: i64,
        dir: &Path,
        progress: &mut dyn FnMut(&str),
    ) -> Result<BookSummary, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let organisation = tx
            .query_opt(
                "SELECT name FROM organisations WHERE id = $1",
                params![org_id],
                |r| r.string(0),
            )?
            .ok_or_else(|| StoreError::NotFound {
                what: "organisation",
                key: org_id.to_string(),
            })?;
        let schema_version = schema_version(&mut tx)?;
        let mut files = Vec::with_capacity(TABLES.len() * 2);
        let mut rows = 0;
        for table in TABLES {
            progress(table.name);
            let mut out = TableFiles::create(dir, table)?;
            export_table(&mut tx, org_id, &mut out)?;
            rows += out.rows;
            files.extend(out.finish()?);
        }
        tx.commit()?;
        let manifest = Manifest {
            format: FORMAT_NAME.to_string(),
            format_version: FORMAT_VERSION,
            dun_version: env!("CARGO_PKG_VERSION").to_string(),
            organisation: organisation.clone(),
            organisation_id: org_id,
            schema_version,
            files: files.clone(),
            absent: absent_columns(),
            not_exported: not_exported(),
        };
        let path = dir.join(MANIFEST_FILE);
        let mut text = serde_json::to_string_pretty(&manifest)?;
        text.push('\n');
        let mut file = File::create_new(&path).map_err(|e| io_error(&path, "create", e))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| io_error(&path, "write", e))?;
        Ok(BookSummary {
            organisation,
            organisation_id: org_id,
            tables: TABLES.len(),
            rows,
            files,
        })
    }

    /// Rebuilds the organisation exported into `dir`, in one transaction:
    /// every file's size, row count and SHA-256 is checked against the
    /// manifest first, and a refusal writes nothing; `progress` is told each
    /// table as it begins.
    pub fn import_book(
        &mut self,
        dir: &Path,
        progress: &mut dyn FnMut(&str),
    ) -> Result<BookSummary, StoreError> {
        let manifest = read_manifest(dir)?;
        for listed in &manifest.files {
            check_file(dir, listed)?;
        }
        let mut tx = self.conn().transaction()?;
        let here = schema_version(&mut tx)?;
        if manifest.schema_version > here {
            return Err(StoreError::Invalid(format!(
                "{}: the export is of schema version {}, newer than this database's {here}; import it with Dun {} or later",
                dir.join(MANIFEST_FILE).display(),
                manifest.schema_version,
                manifest.dun_version
            )));
        }
        // An older export lacks the tables and columns later migrations
        // added; those take the values the migrations give rows that were
        // there before (migrations only create and add, with defaults).
        let older = manifest.schema_version < here;
        if !older {
            check_complete(dir, &manifest)?;
        }
        let taken = tx.query_opt(
            "SELECT id FROM organisations WHERE name = $1",
            params![manifest.organisation.as_str()],
            |r| r.i64(0),
        )?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "this database already holds an organisation named '{}'; import into a database without it",
                manifest.organisation
            )));
        }
        let mut rows = 0;
        for table in TABLES {
            let file = format!("{}.jsonl", table.name);
            if !manifest.files.iter().any(|f| f.file == file) {
                continue;
            }
            progress(table.name);
            rows += import_table(&mut tx, &manifest, table, &dir.join(file), older)?;
            if table.has_id() {
                tx.advance_identity(table.name)?;
            }
        }
        crate::daily_totals::rebuild(&mut tx, manifest.organisation_id)?;
        tx.commit()?;
        // Fresh statistics for the planner, as after any large import.
        self.conn().analyze()?;
        Ok(BookSummary {
            organisation: manifest.organisation.clone(),
            organisation_id: manifest.organisation_id,
            tables: TABLES.len(),
            rows,
            files: manifest.files,
        })
    }

    /// Every table of the database and its columns, as the engine's
    /// catalogue lists them (the export's test holds [`TABLES`] to it).
    pub fn schema_columns(&mut self) -> Result<Vec<(String, String)>, StoreError> {
        self.conn().schema_columns()
    }
}

/// Reads `manifest.json` and checks its format (not yet the files it lists:
/// [`Store::import_book`] checks every one before it writes).
pub fn read_manifest(dir: &Path) -> Result<Manifest, StoreError> {
    let path = dir.join(MANIFEST_FILE);
    let file = File::open(&path).map_err(|e| io_error(&path, "open", e))?;
    let mut text = String::new();
    file.take(MANIFEST_BYTES_MAX + 1)
        .read_to_string(&mut text)
        .map_err(|e| io_error(&path, "read", e))?;
    if text.len() as u64 > MANIFEST_BYTES_MAX {
        return Err(StoreError::Invalid(format!(
            "{} is larger than {MANIFEST_BYTES_MAX} bytes; it is not an export's manifest",
            path.display()
        )));
    }
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
        StoreError::Invalid(format!(
            "{} is not an export's manifest: {e}",
            path.display()
        ))
    })?;
    if manifest.format != FORMAT_NAME || manifest.format_version != FORMAT_VERSION {
        return Err(StoreError::Invalid(format!(
            "{}: format '{}' version {}; this Dun reads '{FORMAT_NAME}' version {FORMAT_VERSION}",
            path.display(),
            manifest.format,
            manifest.format_version
        )));
    }
    Ok(manifest)
}

/// Every table's two files are in an export of this schema version.
fn check_complete(dir: &Path, manifest: &Manifest) -> Result<(), StoreError> {
    for table in TABLES {
        for ext in ["csv", "jsonl"] {
            let name = format!("{}.{ext}", table.name);
            if !manifest.files.iter().any(|f| f.file == name) {
                return Err(StoreError::Invalid(format!(
                    "{} does not list {name}; every table's .csv and .jsonl are part of an export",
                    dir.join(MANIFEST_FILE).display()
                )));
            }
        }
    }
    Ok(())
}

fn check_file(dir: &Path, listed: &ManifestFile) -> Result<(), StoreError> {
    let known = TABLES.iter().any(|t| {
        t.name == listed.table
            && (listed.file == format!("{}.csv", t.name)
                || listed.file == format!("{}.jsonl", t.name))
    });
    if !known {
        return Err(StoreError::Invalid(format!(
            "{} lists '{}' (table '{}'), which is not a file of this Dun's export",
            dir.join(MANIFEST_FILE).display(),
            listed.file,
            listed.table
        )));
    }
    let path = dir.join(&listed.file);
    let file = File::open(&path).map_err(|e| io_error(&path, "open", e))?;
    let size = file
        .metadata()
        .map_err(|e| io_error(&path, "read", e))?
        .len();
    if size > TABLE_FILE_BYTES_MAX {
        return Err(StoreError::Invalid(format!(
            "{} is {size} bytes; an import reads files of at most {TABLE_FILE_BYTES_MAX} bytes",
            path.display()
        )));
    }
    let mut reader = BufReader::new(file);
    let mut sha = Sha256::new();
    let mut bytes = 0u64;
    let mut lines = 0u64;
    loop {
        let buf = reader.fill_buf().map_err(|e| io_error(&path, "read", e))?;
        if buf.is_empty() {
            break;
        }
        sha.update(buf);
        lines += buf.iter().filter(|&&b| b == b'\n').count() as u64;
        let n = buf.len();
        bytes += n as u64;
        reader.consume(n);
    }
    let sum = hex::encode(sha.finalize());
    if bytes != listed.bytes || sum != listed.sha256 {
        return Err(StoreError::Invalid(format!(
            "{} has changed since it was exported: {bytes} bytes with SHA-256 {sum}, the manifest says {} bytes with {}; nothing was imported",
            path.display(),
            listed.bytes,
            listed.sha256
        )));
    }
    if listed.file.ends_with(".jsonl") && lines != listed.rows {
        return Err(StoreError::Invalid(format!(
            "{} holds {lines} rows, the manifest says {}; nothing was imported",
            path.display(),
            listed.rows
        )));
    }
    Ok(())
}

/// One cell of a JSON line as the column's value, or why not.
fn json_value(kind: Kind, value: &serde_json::Value) -> Result<Value, String> {
    use serde_json::Value as J;
    match (kind, value) {
        (_, J::Null) => Ok(Value::Null),
        (Kind::Int | Kind::Day, J::Number(n)) => n
            .as_i64()
            .map(Value::Int)
            .ok_or_else(|| format!("{n} is not a whole number")),
        (Kind::Day, J::String(s)) => Date::parse(s)
            .map(|d| Value::Int(i64::from(d.day_number())))
            .map_err(|e| e.to_string()),
        (Kind::Text, J::String(s)) => Ok(Value::Text(s.clone())),
        (Kind::Int, other) => Err(format!(
            "{other} is not accepted; a whole number (money in minor units) or null is"
        )),
        (Kind::Day, other) => Err(format!(
            "{other} is not accepted; a date YYYY-MM-DD (or a day number) or null is"
        )),
        (Kind::Text, other) => Err(format!("{other} is not accepted; text or null is")),
    }
}

/// One line of `path` as the table's values, in its columns' order, and
/// which columns it has (all, unless `older` allows some to be missing).
fn parse_line(
    table: &Table,
    path: &Path,
    line_no: u64,
    line: &str,
    older: bool,
) -> Result<(Vec<Value>, Vec<bool>), StoreError> {
    let at =
        |what: String| StoreError::Invalid(format!("{} line {line_no}: {what}", path.display()));
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(line).map_err(|e| at(format!("not a JSON object: {e}")))?;
    if let Some(extra) = object
        .keys()
        .find(|k| !table.columns.iter().any(|c| c.name == k.as_str()))
    {
        return Err(at(format!(
            "'{extra}' is not a column of {}; its columns are {}",
            table.name,
            column_list(table)
        )));
    }
    let mut values = Vec::with_capacity(table.columns.len());
    let mut present = Vec::with_capacity(table.columns.len());
    for (i, c) in table.columns.iter().enumerate() {
        match object.get(c.name) {
            Some(value) => {
                values.push(
                    json_value(c.kind, value)
                        .map_err(|why| at(format!("column '{}': {why}", c.name)))?,
                );
                present.push(true);
            }
            None if older && !(i == 0 && table.has_id()) => {
                values.push(Value::Null);
                present.push(false);
            }
            None => return Err(at(format!("column '{}' is missing", c.name))),
        }
    }
    Ok((values, present))
}

/// Writes one table's rows from its JSON lines; returns how many.
fn import_table(
    tx: &mut Tx<'_>,
    manifest: &Manifest,
    table: &Table,
    path: &Path,
    older: bool,
) -> Result<u64, StoreError> {
    let file = File::open(path).map_err(|e| io_error(path, "open", e))?;
    let mut columns: Option<Vec<bool>> = None;
    // What is written is what was checked: the bytes read are summed again.
    let mut sha = Sha256::new();
    let mut reader = BufReader::new(file);
    let mut batch: Vec<Vec<Value>> = Vec::new();
    let width = table.columns.len() + table.absent.len() + usize::from(table.scope == Scope::Org);
    let batch_rows = (INSERT_PARAMS_MAX / width).clamp(1, INSERT_ROWS_MAX);
    let mut line = String::new();
    let mut line_no = 0u64;
    let mut first_line = 1;
    loop {
        line.clear();
        let n = (&mut reader)
            .take(JSONL_LINE_BYTES_MAX as u64 + 1)
            .read_line(&mut line)
            .map_err(|e| io_error(path, "read", e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        sha.update(line.as_bytes());
        if n > JSONL_LINE_BYTES_MAX {
            return Err(StoreError::Invalid(format!(
                "{} line {line_no} is longer than {JSONL_LINE_BYTES_MAX} bytes",
                path.display()
            )));
        }
        let (values, present) =
            parse_line(table, path, line_no, line.trim_end_matches('\n'), older)?;
        let columns = columns.get_or_insert_with(|| present.clone());
        if *columns != present {
            return Err(StoreError::Invalid(format!(
                "{} line {line_no} has other columns than line 1; every line of a file has the same",
                path.display()
            )));
        }
        check_owner(table, manifest, path, line_no, &values)?;
        batch.push(values);
        if batch.len() == batch_rows {
            insert_rows(tx, manifest, table, path, first_line, columns, &batch)?;
            first_line = line_no + 1;
            batch.clear();
        }
    }
    if let (false, Some(columns)) = (batch.is_empty(), &columns) {
        insert_rows(tx, manifest, table, path, first_line, columns, &batch)?;
    }
    let sum = hex::encode(sha.finalize());
    let file_name = format!("{}.jsonl", table.name);
    if !manifest
        .files
        .iter()
        .any(|f| f.file == file_name && f.sha256 == sum)
    {
        return Err(StoreError::Invalid(format!(
            "{} changed while it was being imported; nothing was imported",
            path.display()
        )));
    }
    Ok(line_no)
}

/// The organisation's own row is the manifest's organisation.
fn check_owner(
    table: &Table,
    manifest: &Manifest,
    path: &Path,
    line_no: u64,
    values: &[Value],
) -> Result<(), StoreError> {
    if table.scope != Scope::Organisation {
        return Ok(());
    }
    let id = values.first();
    let name = values.get(1);
    if id != Some(&Value::Int(manifest.organisation_id))
        || name != Some(&Value::Text(manifest.organisation.clone()))
    {
        return Err(StoreError::Invalid(format!(
            "{} line {line_no} is not the organisation the manifest names ('{}', id {})",
            path.display(),
            manifest.organisation,
            manifest.organisation_id
        )));
    }
    Ok(())
}

fn insert_rows(
    tx: &mut Tx<'_>,
    manifest: &Manifest,
    table: &Table,
    path: &Path,
    first_line: u64,
    present: &[bool],
    rows: &[Vec<Value>],
) -> Result<(), StoreError> {
    if table.has_id() {
        refuse_taken_ids(tx, table, rows)?;
    }
    if table.scope == Scope::Members {
        refuse_taken_emails(tx, rows)?;
    }
    let with_org = table.scope == Scope::Org;
    let mut names: Vec<&str> = Vec::new();
    if with_org {
        names.push("org_id");
    }
    names.extend(
        table
            .columns
            .iter()
            .zip(present)
            .filter(|(_, &p)| p)
            .map(|(c, _)| c.name),
    );
    names.extend(table.absent.iter().map(|a| a.name));
    let width = names.len();
    let mut params: Vec<Param<'_>> = Vec::with_capacity(width * rows.len());
    let mut groups = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        groups.push(format!("({})", placeholders(i * width + 1, width)));
        if with_org {
            params.push(Param::Int(Some(manifest.organisation_id)));
        }
        for value in row.iter().zip(present).filter(|(_, &p)| p).map(|(v, _)| v) {
            params.push(match value {
                Value::Null => Param::Int(None),
                Value::Int(n) => Param::Int(Some(*n)),
                Value::Text(s) => Param::Text(Some(s.as_str())),
            });
        }
        for absent in table.absent {
            params.push(Param::Text(absent.imported_as));
        }
    }
    let sql = format!(
        "INSERT INTO {} ({}) VALUES {}",
        table.name,
        names.join(", "),
        groups.join(", ")
    );
    tx.execute(&sql, &params).map_err(|e| {
        StoreError::Invalid(format!(
            "{} lines {first_line}–{}: the database refused them: {e}; nothing was imported",
            path.display(),
            first_line + rows.len() as u64 - 1
        ))
    })?;
    Ok(())
}

fn refuse_taken_ids(tx: &mut Tx<'_>, table: &Table, rows: &[Vec<Value>]) -> Result<(), StoreError> {
    let ids: Vec<Param<'_>> = rows
        .iter()
        .map(|r| match r.first() {
            Some(Value::Int(id)) => Param::Int(Some(*id)),
            _ => Param::Int(None),
        })
        .collect();
    let sql = format!(
        "SELECT MIN(id) FROM {} WHERE id IN ({})",
        table.name,
        placeholders(1, ids.len())
    );
    if let Some(id) = tx.query_opt(&sql, &ids, |r| r.opt_i64(0))?.flatten() {
        return Err(StoreError::Conflict(format!(
            "this database already holds {} id {id}: an import keeps the export's ids (payment references are made of them), so it goes into a database without other organisations — a new SQLite file or PostgreSQL database; nothing was imported",
            table.name
        )));
    }
    Ok(())
}

fn refuse_taken_emails(tx: &mut Tx<'_>, rows: &[Vec<Value>]) -> Result<(), StoreError> {
    let emails: Vec<Param<'_>> = rows
        .iter()
        .map(|r| match r.get(1) {
            Some(Value::Text(email)) => Param::Text(Some(email.as_str())),
            _ => Param::Text(None),
        })
        .collect();
    let sql = format!(
        "SELECT MIN(email) FROM users WHERE email IN ({})",
        placeholders(1, emails.len())
    );
    if let Some(email) = tx.query_opt(&sql, &emails, |r| r.opt_string(0))?.flatten() {
        return Err(StoreError::Conflict(format!(
            "this database already has a user {email}; import into a database without other organisations; nothing was imported"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRICKY: Table = Table {
        name: "tricky",
        scope: Scope::Org,
        columns: &[int("id"), day("on"), day("far"), text("note"), int("n")],
        order: BY_ID,
        absent: &[],
    };

    /// Every value a column can hold comes back from its JSON line as it
    /// was: text with quotes, new lines, formulas and non-ASCII; the
    /// extreme integers; days inside and outside the years a date is
    /// written for; NULL.
    #[test]
    fn a_json_line_reads_back_exactly_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let rows = [
            vec![
                Value::Int(1),
                Value::Int(20_000),
                Value::Int(i64::from(i32::MAX)),
                Value::Text("=cmd|' /C calc'!A0 \"quoted\"\nnext line\t€ ü 日本 \\".into()),
                Value::Int(i64::MIN),
            ],
            vec![
                Value::Int(2),
                Value::Int(-25_567),
                Value::Int(i64::MAX),
                Value::Text(String::new()),
                Value::Int(i64::MAX),
            ],
            vec![
                Value::Int(3),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
            ],
        ];
        let mut files = TableFiles::create(dir.path(), &TRICKY).unwrap();
        for row in &rows {
            files.write(row).unwrap();
        }
        let [csv, jsonl] = files.finish().unwrap();
        assert_eq!((csv.rows, jsonl.rows), (3, 3));
        let path = dir.path().join("tricky.jsonl");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("{\"id\":1,\"on\":\"2024-10-04\",\"far\":2147483647,"));
        for (i, (line, row)) in text.lines().zip(&rows).enumerate() {
            let (values, present) = parse_line(&TRICKY, &path, i as u64 + 1, line, false).unwrap();
            assert_eq!(&values, row, "line {}", i + 1);
            assert!(present.iter().all(|&p| p));
        }
        let csv = std::fs::read_to_string(dir.path().join("tricky.csv")).unwrap();
        assert!(
            csv.contains("\"'=cmd|' /C calc'!A0 \"\"quoted\"\"\nnext line"),
            "{csv}"
        );
        assert!(
            csv.contains("2,1900-01-01,9223372036854775807,,9223372036854775807"),
            "{csv}"
        );

        let refused = |line: &str| {
            parse_line(&TRICKY, &path, 7, line, false)
                .unwrap_err()
                .to_string()
        };
        let err = refused(r#"{"id":1,"on":"2024-02-30","far":null,"note":null,"n":null}"#);
        assert!(
            err.contains("tricky.jsonl line 7: column 'on'") && err.contains("2024-02-30"),
            "{err}"
        );
        let err = refused(r#"{"id":1,"on":null,"far":null,"note":null,"n":1.5}"#);
        assert!(
            err.contains("column 'n': 1.5 is not a whole number"),
            "{err}"
        );
        let err = refused(r#"{"id":1,"on":null,"far":null,"note":5,"n":null}"#);
        assert!(
            err.contains("column 'note': 5 is not accepted; text or null is"),
            "{err}"
        );
        let err = refused(r#"{"id":1,"on":null,"far":null,"note":null}"#);
        assert!(err.contains("column 'n' is missing"), "{err}");
        let err = refused(r#"{"id":1,"on":null,"far":null,"note":null,"n":null,"x":1}"#);
        assert!(err.contains("'x' is not a column of tricky"), "{err}");
    }
}
