//! Imports: whole files of customers, invoices or payments, all or nothing.
//!
//! Every row is checked against the book before anything is written; any
//! bad row refuses the whole file and every bad row is reported. Unusual
//! but legitimate history (a due date before the issue date, a currency
//! other than the organisation's, one customer listed twice) is written and
//! reported as a warning.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use dun_core::import::{CustomerRow, FileRow, ImportWarning, InvoiceRow, PaymentRow};
use dun_core::invoice::totals;
use dun_core::ledger::{Entry, EntryKind};
use dun_core::money::{format_minor, AMOUNT_MINOR_MAX};
use dun_core::posting::{self, AllocationRequest};
use dun_core::state::{InvoiceState, PaymentState};
use dun_core::terms::{Installment, Terms};
use dun_core::Date;
use serde::{Deserialize, Serialize};

pub use dun_core::import::ImportErrors;

use crate::db::{Param, Tx};
use crate::error::StoreError;
use crate::timeline::{self, NewEntry};
use crate::{bulk, customers, entries, idempotency, invoices, params, payments, Store};

/// Rows written per progress report.
const PROGRESS_EVERY_ROWS: usize = 10_000;

/// A file's identity for an import: its content, and the column mapping it
/// is read through (none: the digest of the bytes alone). A dry run shows
/// it; the import made after the dry run carries it, so what is written is
/// the file that was checked.
pub fn file_digest(bytes: &[u8], map: &dun_csv::ColumnMap) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(bytes);
    if !map.is_empty() {
        hasher.update(b"\0dun column map\0");
        hasher.update(map.canonical().as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// The key an import of a file is made under when none is given, so that
/// importing the same file again (from any shell) writes nothing new;
/// `update`: customers updated rather than added, another import of the
/// same file.
pub fn file_key(kind: dun_csv::FileKind, update: bool, digest: &str) -> String {
    if update {
        format!("import:{}-update:{digest}", kind.as_str())
    } else {
        format!("import:{}:{digest}", kind.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub rows: usize,
    /// Written by the import that wrote the file (when `repeated`, earlier).
    pub written: usize,
    pub dry_run: bool,
    pub warnings: Vec<ImportWarning>,
    /// The same file (same content, same key) was imported before: this
    /// time nothing was written.
    #[serde(default)]
    pub repeated: bool,
}

/// How an import identifies itself: a key (to make a repeat harmless)
/// and a fingerprint of its content (a digest of the file).
pub struct ImportRequest<'a> {
    pub key: Option<&'a str>,
    pub fingerprint: &'a str,
    pub dry_run: bool,
    /// Invoices only: the day imported invoices enter the collections
    /// ladder (the import's date): steps they reached before it were the
    /// other system's, so no message, fee or interest for them. `None`:
    /// the ladder runs from each invoice's due date.
    pub ladder_from: Option<Date>,
    /// Who imports: each customer's timeline says what the file brought
    /// them, by whom (one entry per customer and file).
    pub author: &'a str,
}

/// Most items one timeline entry of an import names; the rest are counted.
const IMPORT_ITEMS_NAMED_MAX: usize = 10;

/// One row an import wrote, as the customer's timeline tells it.
struct Imported {
    customer_id: i64,
    on: Date,
    currency: dun_core::Currency,
    amount_minor: i64,
    /// The invoice's number, or the payment's reference (or row).
    label: String,
}

/// One timeline entry per customer for what an import wrote: how many
/// `what`s, which, and how much per currency, dated the latest row's day.
fn log_imported(
    tx: &mut Tx<'_>,
    org_id: i64,
    now: &str,
    author: &str,
    what: &str,
    rows: &[Imported],
) -> Result<(), StoreError> {
    let author = crate::records::check_author(author)?;
    let mut by_customer: BTreeMap<i64, Vec<&Imported>> = BTreeMap::new();
    for r in rows {
        by_customer.entry(r.customer_id).or_default().push(r);
    }
    let texts: Vec<(i64, Date, String)> = by_customer
        .iter()
        .map(|(customer_id, items)| {
            let mut totals: BTreeMap<&str, (dun_core::Currency, i64)> = BTreeMap::new();
            for i in items {
                totals.entry(i.currency.code()).or_insert((i.currency, 0)).1 += i.amount_minor;
            }
            let amounts: Vec<String> = totals
                .values()
                .map(|(c, m)| format!("{} {c}", dun_core::money::format_minor(*m, *c)))
                .collect();
            let mut named: Vec<&str> = items
                .iter()
                .take(IMPORT_ITEMS_NAMED_MAX)
                .map(|i| i.label.as_str())
                .collect();
            let more = items.len().saturating_sub(IMPORT_ITEMS_NAMED_MAX);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            named.retain(|l| !l.is_empty());
            let on = items.iter().map(|i| i.on).max().expect("a row");
            let plural = if items.len() == 1 { "" } else { "s" };
            (
                *customer_id,
                on,
                format!(
                    "Imported {} {what}{plural} from a file ({}{more}): {}",
                    items.len(),
                    named.join(", "),
                    amounts.join(" + ")
                ),
            )
        })
        .collect();
    let entries: Vec<NewEntry<'_>> = texts
        .iter()
        .map(|(customer_id, on, summary)| NewEntry {
            customer_id: *customer_id,
            on_date: *on,
            kind: "import",
            author,
            summary,
            detail: serde_json::json!({ "what": what }),
            invoice_ids: &[],
        })
        .collect();
    timeline::log_many(tx, org_id, now, &entries)
}

fn refuse(errors: ImportErrors) -> Result<(), StoreError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Import(errors))
    }
}

fn warn(warnings: &mut Vec<ImportWarning>, rows: Vec<usize>, message: String) {
    if !rows.is_empty() {
        warnings.push(ImportWarning { rows, message });
    }
}

/// Runs an import's write under its key, or checks it only (dry run).
fn run_import(
    store: &mut Store,
    org_id: i64,
    command: &str,
    request: &ImportRequest<'_>,
    work: impl FnOnce(&mut Tx<'_>, &str) -> Result<ImportSummary, StoreError>,
) -> Result<ImportSummary, StoreError> {
    let now = store.now_utc();
    let mut tx = store.conn().transaction()?;
    if request.dry_run {
        let summary = work(&mut tx, &now)?;
        drop(tx); // rolls back
        return Ok(ImportSummary {
            written: 0,
            dry_run: true,
            ..summary
        });
    }
    // A key already holding an answer is a repeat: it writes nothing.
    let repeated = match request.key {
        Some(key) => tx
            .query_opt(
                "SELECT key FROM idempotency_keys WHERE org_id = $1 AND key = $2 AND response IS NOT NULL",
                params![org_id, key],
                |r| r.string(0),
            )?
            .is_some(),
        None => false,
    };
    let mut summary = idempotency::run(
        tx,
        org_id,
        request.key,
        command,
        &request.fingerprint,
        &now,
        |tx| work(tx, &now),
    )?;
    if repeated {
        summary.repeated = true;
        return Ok(summary);
    }
    // A large import changes which index is best. Without fresh statistics
    // SQLite's planner picks a narrow index over the covering one, and a
    // freshly loaded PostgreSQL table cannot be read index-only until it is
    // vacuumed.
    store.conn().analyze()?;
    Ok(summary)
}

impl Store {
    pub fn import_customers(
        &mut self,
        org_id: i64,
        rows: &[CustomerRow],
        request: &ImportRequest<'_>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<ImportSummary, StoreError> {
        run_import(self, org_id, "import.customers", request, |tx, now| {
            let existing = customers::ids_by_ref(tx, org_id)?;
            let currency = crate::credit_file::org_currency(tx, org_id)?;
            let mut errors = ImportErrors::default();
            let mut first_row: HashMap<&str, &CustomerRow> = HashMap::new();
            let mut repeated = Vec::new();
            let mut renamed = Vec::new();
            let mut fresh = Vec::new();
            for row in rows {
                customers::check_customer(row, currency, &mut errors);
                let reference = row.reference.trim();
                if existing.contains_key(reference) {
                    errors.push(
                        row.row,
                        "ref",
                        reference,
                        "a customer with this reference already exists",
                    );
                    continue;
                }
                match first_row.get(reference) {
                    Some(first) if first.name.trim() != row.name.trim() => renamed.push(row.row),
                    Some(_) => repeated.push(row.row),
                    None => {
                        first_row.insert(reference, row);
                        fresh.push(row.clone());
                    }
                }
            }
            refuse(errors)?;
            let mut warnings = Vec::new();
            warn(
                &mut warnings,
                repeated,
                "customer listed again; the first row was kept".into(),
            );
            warn(
                &mut warnings,
                renamed,
                "customer listed again under another name; the first row's name was kept".into(),
            );
            for chunk in fresh.chunks(PROGRESS_EVERY_ROWS) {
                customers::insert(tx, org_id, chunk, &Terms::Net { days: 30 }, now)?;
                progress(chunk.len());
            }
            Ok(ImportSummary {
                rows: rows.len(),
                written: fresh.len(),
                dry_run: false,
                warnings,
                repeated: false,
            })
        })
    }

    /// `dun import customers --update`: a row whose reference exists
    /// updates that customer — each non-empty cell replaces what it says,
    /// an empty cell leaves it — with the changes on its timeline by the
    /// import's author, dated `on`; a new reference adds a customer. All or
    /// nothing, as any import.
    pub fn update_customers(
        &mut self,
        org_id: i64,
        rows: &[CustomerRow],
        request: &ImportRequest<'_>,
        on: Date,
        progress: &mut dyn FnMut(usize),
    ) -> Result<ImportSummary, StoreError> {
        run_import(
            self,
            org_id,
            "import.customers_update",
            request,
            |tx, now| {
                let existing = customers::ids_by_ref(tx, org_id)?;
                let currency = crate::credit_file::org_currency(tx, org_id)?;
                let mut errors = ImportErrors::default();
                let mut seen: HashMap<&str, usize> = HashMap::new();
                let mut repeated = Vec::new();
                let (mut fresh, mut updates) = (Vec::new(), Vec::new());
                for row in rows {
                    customers::check_customer(row, currency, &mut errors);
                    let reference = row.reference.trim();
                    if seen.insert(reference, row.row).is_some() {
                        repeated.push(row.row);
                        continue;
                    }
                    if existing.contains_key(reference) {
                        updates.push(row);
                    } else {
                        fresh.push(row.clone());
                    }
                }
                refuse(errors)?;
                let mut warnings = Vec::new();
                warn(
                    &mut warnings,
                    repeated,
                    "customer listed again; the first row was used".into(),
                );
                let author = crate::records::check_author(request.author)?;
                let (mut changed, mut unchanged) = (0, Vec::new());
                for row in &updates {
                    let before = crate::records::locked_customer(tx, org_id, row.reference.trim())?;
                    let edit = crate::customer_edit::CustomerEdit {
                        name: Some(row.name.clone()),
                        email: row.email.clone().map(Some),
                        phone: row.phone.clone().map(Some),
                        credit_limit_minor: row.credit_limit_minor.map(Some),
                        terms: row.terms.clone(),
                        notes: row.notes.clone().map(Some),
                        payment_methods: row.payment_methods.clone().map(Some),
                    };
                    if crate::customer_edit::edit_in(tx, org_id, &before, &edit, on, author, now)? {
                        changed += 1;
                    } else {
                        unchanged.push(row.row);
                    }
                    progress(1);
                }
                for chunk in fresh.chunks(PROGRESS_EVERY_ROWS) {
                    customers::insert(tx, org_id, chunk, &Terms::Net { days: 30 }, now)?;
                    progress(chunk.len());
                }
                warn(
                    &mut warnings,
                    unchanged,
                    "customer already as the file says; nothing changed".into(),
                );
                Ok(ImportSummary {
                    rows: rows.len(),
                    written: fresh.len() + changed,
                    dry_run: false,
                    warnings,
                    repeated: false,
                })
            },
        )
    }

    pub fn import_invoices(
        &mut self,
        org_id: i64,
        rows: &[InvoiceRow],
        request: &ImportRequest<'_>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<ImportSummary, StoreError> {
        let org = self
            .orgs()?
            .into_iter()
            .find(|o| o.id == org_id)
            .ok_or_else(|| StoreError::not_found("organisation", org_id))?;
        run_import(self, org_id, "import.invoices", request, |tx, now| {
            let customer_ids = customers::ids_by_ref(tx, org_id)?;
            let mut taken: HashSet<String> = HashSet::new();
            tx.query_each(
                "SELECT number FROM invoices WHERE org_id = $1 AND number IS NOT NULL",
                params![org_id],
                |r| {
                    taken.insert(r.string(0)?);
                    Ok(())
                },
            )?;
            let mut errors = ImportErrors::default();
            let mut seen: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
            let (mut early_due, mut foreign) = (Vec::new(), Vec::new());
            for row in rows {
                if !customer_ids.contains_key(&row.customer_ref) {
                    errors.push(
                        row.row,
                        "customer_ref",
                        &row.customer_ref,
                        "no customer has this reference; import customers first",
                    );
                }
                if let Some(why) = dun_core::text::identifier_problem(
                    &row.number,
                    dun_core::text::INVOICE_NUMBER_CHARS_MAX,
                ) {
                    errors.push(
                        row.row,
                        "number",
                        &row.number,
                        format!("an invoice number: {why}"),
                    );
                } else if taken.contains(&row.number) {
                    errors.push(
                        row.row,
                        "number",
                        &row.number,
                        "an invoice with this number is already in the book",
                    );
                } else if let Some(first) = seen.insert(&row.number, row.row) {
                    errors.push(
                        row.row,
                        "number",
                        &row.number,
                        format!("the number is used twice in this file (also row {first})"),
                    );
                }
                if row.due_date < row.issue_date {
                    early_due.push(row.row);
                }
                if row.currency != org.currency {
                    foreign.push(row.row);
                }
            }
            refuse(errors)?;
            let mut warnings = Vec::new();
            warn(
                &mut warnings,
                early_due,
                "due date before the issue date; kept as given".into(),
            );
            warn(
                &mut warnings,
                foreign,
                format!(
                    "currency other than the organisation's {}; kept as given",
                    org.currency
                ),
            );

            let texts: Vec<(String, String)> = rows
                .iter()
                .map(|r| {
                    Ok((
                        serde_json::to_string(&r.lines)?,
                        Terms::Net {
                            days: r.due_date.days_since(r.issue_date).max(0) as u32,
                        }
                        .to_string(),
                    ))
                })
                .collect::<Result<_, StoreError>>()?;
            // Each invoice records the policy version it is issued under.
            let policy_version: Option<i64> = tx
                .query_opt(
                    "SELECT MAX(version) FROM policy_versions WHERE org_id = $1",
                    params![org_id],
                    |r| r.opt_i64(0),
                )?
                .flatten();
            // How 0 % lines are declared, fixed now as for an invoice issued
            // by hand.
            let (zero_rate_category, tax_exemption_reason) = tx
                .query_opt(
                    "SELECT zero_rate_category, tax_exemption_reason FROM organisations WHERE id = $1",
                    params![org_id],
                    |r| Ok((r.string(0)?, r.opt_string(1)?)),
                )?
                .ok_or_else(|| StoreError::not_found("organisation", org_id))?;
            let mut ids: HashMap<String, i64> = HashMap::with_capacity(rows.len());
            for (chunk, chunk_texts) in rows
                .chunks(PROGRESS_EVERY_ROWS)
                .zip(texts.chunks(PROGRESS_EVERY_ROWS))
            {
                let mut params: Vec<Param<'_>> = Vec::with_capacity(chunk.len() * 21);
                for (r, (lines, terms)) in chunk.iter().zip(chunk_texts) {
                    let t = totals(&r.lines);
                    params.extend_from_slice(&[
                        org_id.into(),
                        customer_ids[&r.customer_ref].into(),
                        r.number.as_str().into(),
                        r.currency.code().into(),
                        i64::from(r.issue_date.day_number()).into(),
                        i64::from(r.due_date.day_number()).into(),
                        terms.as_str().into(),
                        r.description.as_str().into(),
                        lines.as_str().into(),
                        1i64.into(),
                        t.subtotal_minor.into(),
                        t.tax_minor.into(),
                        t.total_minor.into(),
                        "issued".into(),
                        t.total_minor.into(),
                        i64::from(r.issue_date.day_number()).into(),
                        now.into(),
                        policy_version.into(),
                        request
                            .ladder_from
                            .map(|d| i64::from(d.day_number()))
                            .into(),
                        zero_rate_category.as_str().into(),
                        tax_exemption_reason.as_deref().into(),
                    ]);
                }
                bulk::insert(
                    tx,
                    "invoices",
                    &[
                        "org_id",
                        "customer_id",
                        "number",
                        "currency",
                        "issue_date",
                        "due_date",
                        "terms",
                        "description",
                        "lines",
                        "installment_count",
                        "subtotal_minor",
                        "tax_minor",
                        "total_minor",
                        "status",
                        "open_minor",
                        "last_entry_date",
                        "created_at",
                        "policy_version",
                        "ladder_from",
                        "zero_rate_category",
                        "tax_exemption_reason",
                    ],
                    &params,
                    Some("id, number"),
                    |r| {
                        ids.insert(r.string(1)?, r.i64(0)?);
                        Ok(())
                    },
                )?;
                let issued: Vec<Entry> = chunk
                    .iter()
                    .map(|r| {
                        let state = InvoiceState::issued(
                            ids[&r.number],
                            r.number.clone(),
                            customer_ids[&r.customer_ref],
                            r.currency,
                            r.issue_date,
                            totals(&r.lines).total_minor,
                            vec![Installment {
                                due_date: r.due_date,
                                amount_minor: 0,
                            }],
                        );
                        posting::issue(&state)
                    })
                    .collect();
                // Imported invoices have one due date each (installment_count 1).
                let dues: crate::daily_totals::Dues = chunk
                    .iter()
                    .map(|r| (ids[&r.number], Some(r.due_date)))
                    .collect();
                entries::insert_knowing(tx, org_id, &issued, now, &dues)?;
                progress(chunk.len());
            }
            advance_sequence(
                tx,
                org_id,
                &org.invoice_prefix,
                rows.iter().map(|r| r.number.as_str()),
            )?;
            let imported: Vec<Imported> = rows
                .iter()
                .map(|r| Imported {
                    customer_id: customer_ids[&r.customer_ref],
                    on: r.issue_date,
                    currency: r.currency,
                    amount_minor: totals(&r.lines).total_minor,
                    label: r.number.clone(),
                })
                .collect();
            log_imported(tx, org_id, now, request.author, "invoice", &imported)?;
            Ok(ImportSummary {
                rows: rows.len(),
                written: rows.len(),
                dry_run: false,
                warnings,
                repeated: false,
            })
        })
    }

    pub fn import_payments(
        &mut self,
        org_id: i64,
        rows: &[PaymentRow],
        request: &ImportRequest<'_>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<ImportSummary, StoreError> {
        run_import(self, org_id, "import.payments", request, |tx, now| {
            let customer_ids = customers::ids_by_ref(tx, org_id)?;
            // The customers' locks, as every other posting takes them, before
            // the open invoices are read: otherwise a payment recorded
            // meanwhile plans against what this import is changing, and the
            // two together take more off an invoice than was open. In id
            // order, so two imports never wait on each other in a circle.
            let named: BTreeSet<i64> = rows
                .iter()
                .filter_map(|r| customer_ids.get(&r.customer_ref).copied())
                .collect();
            for customer_id in named {
                customers::lock(tx, org_id, customer_id)?;
            }
            let mut errors = ImportErrors::default();
            let mut open: BTreeMap<i64, InvoiceState> =
                entries::invoice_states(tx, org_id, "open_minor <> 0 AND status = 'issued'", &[])?;
            let mut by_customer: HashMap<i64, Vec<i64>> = HashMap::new();
            for state in open.values() {
                by_customer
                    .entry(state.customer_id)
                    .or_default()
                    .push(state.id);
            }
            let mut numbers: HashMap<String, i64> = HashMap::new();
            if rows.iter().any(|r| r.invoice_number.is_some()) {
                tx.query_each(
                    "SELECT number, id FROM invoices WHERE org_id = $1 AND number IS NOT NULL",
                    params![org_id],
                    |r| {
                        numbers.insert(r.string(0)?, r.i64(1)?);
                        Ok(())
                    },
                )?;
            }
            // Plan every payment against the invoices as earlier rows left them.
            let mut planned: Vec<(usize, i64, Vec<Entry>)> = Vec::with_capacity(rows.len());
            for (index, row) in rows.iter().enumerate() {
                let mut texts_ok = true;
                for (column, text) in [("method", &row.method), ("reference", &row.reference)] {
                    if let Some(why) = crate::payments::payment_text_problem(column, text) {
                        errors.push(row.row, column, text, why);
                        texts_ok = false;
                    }
                }
                if !texts_ok {
                    continue;
                }
                let Some(&customer_id) = customer_ids.get(&row.customer_ref) else {
                    errors.push(
                        row.row,
                        "customer_ref",
                        &row.customer_ref,
                        "no customer has this reference; import customers first",
                    );
                    continue;
                };
                let mut payment = PaymentState {
                    id: -(index as i64) - 1,
                    customer_id,
                    currency: row.currency,
                    received_date: row.received_date,
                    amount_minor: row.amount_minor,
                    unallocated_minor: 0,
                    reversed: false,
                };
                let received = match posting::receive(&payment) {
                    Ok(e) => e,
                    Err(_) => {
                        // In the currency's decimals, never minor units.
                        errors.push(
                            row.row,
                            "amount",
                            &format_minor(row.amount_minor, row.currency),
                            format!(
                                "a payment amount must be more than zero and at most {}",
                                format_minor(AMOUNT_MINOR_MAX, row.currency)
                            ),
                        );
                        continue;
                    }
                };
                payment.apply(&received);
                let request = match &row.invoice_number {
                    None => AllocationRequest::OldestDueFirst,
                    Some(number) => match numbers.get(number) {
                        None => {
                            errors.push(
                                row.row,
                                "invoice_number",
                                number,
                                "no invoice has this number",
                            );
                            continue;
                        }
                        Some(id) => match open.get(id) {
                            // Paid in full already: the payment stays as credit.
                            None => AllocationRequest::None,
                            Some(state) => {
                                let amount = row.amount_minor.min(
                                    state.reducible_on(row.received_date.max(state.issue_date)),
                                );
                                if amount > 0 {
                                    AllocationRequest::Explicit(vec![(*id, amount)])
                                } else {
                                    AllocationRequest::None
                                }
                            }
                        },
                    },
                };
                let candidates: Vec<&InvoiceState> = match &request {
                    AllocationRequest::Explicit(list) => {
                        list.iter().filter_map(|(id, _)| open.get(id)).collect()
                    }
                    _ => by_customer
                        .get(&customer_id)
                        .into_iter()
                        .flatten()
                        .filter_map(|id| open.get(id))
                        .collect(),
                };
                match posting::allocate(&payment, &candidates, &request, row.received_date) {
                    Ok(allocations) => {
                        for a in &allocations {
                            if let Some(state) = a.invoice_id.and_then(|id| open.get_mut(&id)) {
                                state.apply(a);
                            }
                        }
                        let mut all = vec![received];
                        all.extend(allocations);
                        planned.push((index, customer_id, all));
                    }
                    Err(e) => errors.push(
                        row.row,
                        row.invoice_number
                            .as_ref()
                            .map_or("amount", |_| "invoice_number"),
                        row.invoice_number.as_deref().unwrap_or(""),
                        e.to_string(),
                    ),
                }
            }
            refuse(errors)?;
            let mut written = 0;
            for batch in planned.chunks(PROGRESS_EVERY_ROWS) {
                let mut params: Vec<Param<'_>> = Vec::with_capacity(batch.len() * 11);
                for (index, customer_id, planned_entries) in batch {
                    let row = &rows[*index];
                    let unallocated: i64 = planned_entries.iter().map(|e| e.credit_minor).sum();
                    params.extend_from_slice(&[
                        org_id.into(),
                        (*customer_id).into(),
                        row.currency.code().into(),
                        i64::from(row.received_date.day_number()).into(),
                        row.amount_minor.into(),
                        row.method.as_str().into(),
                        row.reference.as_str().into(),
                        unallocated.into(),
                        "received".into(),
                        (row.row as i64).into(),
                        now.into(),
                    ]);
                }
                let mut ids: HashMap<i64, i64> = HashMap::with_capacity(batch.len());
                bulk::insert(
                    tx,
                    "payments",
                    &payments::IMPORTED_COLUMNS,
                    &params,
                    Some("id, import_row"),
                    |r| {
                        ids.insert(r.i64(1)?, r.i64(0)?);
                        Ok(())
                    },
                )?;
                let mut pending: Vec<Entry> = Vec::new();
                for (index, _, planned_entries) in batch {
                    let id = ids[&(rows[*index].row as i64)];
                    pending.extend(planned_entries.iter().map(|e| Entry {
                        payment_id: Some(id),
                        ..e.clone()
                    }));
                }
                flush_allocations(tx, org_id, &pending, now)?;
                written += batch.len();
                progress(batch.len());
            }
            let imported: Vec<Imported> = planned
                .iter()
                .map(|(index, customer_id, _)| {
                    let row = &rows[*index];
                    Imported {
                        customer_id: *customer_id,
                        on: row.received_date,
                        currency: row.currency,
                        amount_minor: row.amount_minor,
                        label: if row.reference.is_empty() {
                            format!("row {}", row.row)
                        } else {
                            row.reference.clone()
                        },
                    }
                })
                .collect();
            log_imported(tx, org_id, now, request.author, "payment", &imported)?;
            Ok(ImportSummary {
                rows: rows.len(),
                written,
                dry_run: false,
                warnings: repeated_payments(rows),
                repeated: false,
            })
        })
    }
}

/// Rows that record the same payment (date, customer, amount, currency and
/// reference): each is recorded, so a file exported twice into one is
/// named, row by row.
fn repeated_payments(rows: &[PaymentRow]) -> Vec<ImportWarning> {
    let mut same: BTreeMap<(Date, &str, i64, &str, &str), Vec<usize>> = BTreeMap::new();
    for r in rows {
        same.entry((
            r.received_date,
            r.customer_ref.as_str(),
            r.amount_minor,
            r.currency.code(),
            r.reference.as_str(),
        ))
        .or_default()
        .push(r.row);
    }
    let mut warnings = Vec::new();
    for ((date, customer, _, _, reference), found) in same {
        if found.len() > 1 {
            let n = found.len();
            warn(
                &mut warnings,
                found,
                format!(
                    "the same payment ({date}, {customer}, same amount{}) is on {n} rows; each was recorded — reverse the copies if they are one payment",
                    if reference.is_empty() {
                        String::new()
                    } else {
                        format!(", reference '{reference}'")
                    }
                ),
            );
        }
    }
    warnings
}

/// Writes planned payment entries and moves the invoices' open amounts.
pub(crate) fn flush_allocations(
    tx: &mut Tx<'_>,
    org_id: i64,
    pending: &[Entry],
    now: &str,
) -> Result<(), StoreError> {
    // Payments were inserted with their final unallocated amount, so only
    // the invoice side of the derived figures moves here.
    entries::insert(tx, org_id, pending, now)?;
    let mut moved: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for e in pending.iter().filter(|e| e.kind == EntryKind::Allocation) {
        if let Some(id) = e.invoice_id {
            let slot = moved.entry(id).or_insert((0, i64::MIN));
            slot.0 += e.ar_minor;
            slot.1 = slot.1.max(i64::from(e.effective_date.day_number()));
        }
    }
    let moves: Vec<(i64, i64, i64)> = moved
        .into_iter()
        .map(|(id, (delta, last))| (id, delta, last))
        .collect();
    bulk::move_invoices(tx, org_id, &moves)
}

/// Imported numbers that look like the organisation's own (prefix + digits)
/// move its sequence past them, so issuing never collides with history.
fn advance_sequence<'a>(
    tx: &mut Tx<'_>,
    org_id: i64,
    prefix: &str,
    numbers: impl Iterator<Item = &'a str>,
) -> Result<(), StoreError> {
    let highest = numbers
        .filter_map(|n| n.strip_prefix(prefix))
        .filter(|digits| {
            !digits.is_empty() && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit())
        })
        .filter_map(|digits| digits.parse::<i64>().ok())
        .max();
    if let Some(highest) = highest {
        tx.execute(
            "UPDATE organisations SET next_invoice_number = CASE WHEN next_invoice_number <= $1 THEN $2 ELSE next_invoice_number END
             WHERE id = $3",
            params![highest, highest + 1, org_id],
        )?;
    }
    let _ = invoices::format_number;
    Ok(())
}

/// One of the store's imports (`Store::import_customers`, `…_invoices`,
/// `…_payments`), as `Store::import_good_rows` calls it.
pub type ImportFn<'f, T> = dyn Fn(
        &mut Store,
        &[T],
        &ImportRequest<'_>,
        &mut dyn FnMut(usize),
    ) -> Result<ImportSummary, StoreError>
    + 'f;

impl Store {
    /// Writes the rows a file gave (or, a dry run, checks them). When the
    /// file had bad fields nothing is written, but the good rows are still
    /// checked against the book so every problem is reported at once; the
    /// problems name the columns as the file does.
    pub fn import_parsed<T>(
        &mut self,
        parsed: dun_csv::Parsed<T>,
        request: &ImportRequest<'_>,
        import: &ImportFn<'_, T>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<ImportSummary, StoreError> {
        if !parsed.errors.is_empty() {
            let mut errors = parsed.errors.clone();
            let check = ImportRequest {
                key: None,
                fingerprint: request.fingerprint,
                dry_run: true,
                ladder_from: request.ladder_from,
                author: request.author,
            };
            if let Err(StoreError::Import(more)) = import(self, &parsed.rows, &check, &mut |_| {}) {
                errors.errors.extend(more.errors);
            }
            return Err(StoreError::Import(parsed.in_the_files_words(errors)));
        }
        match import(self, &parsed.rows, request, progress) {
            Err(StoreError::Import(errors)) => {
                Err(StoreError::Import(parsed.in_the_files_words(errors)))
            }
            Ok(mut summary) => {
                summary.warnings.splice(0..0, parsed.warnings);
                Ok(summary)
            }
            other => other,
        }
    }

    /// Reads `bytes` as a `kind` file in Dun's columns (or through `map`)
    /// and imports it as [`Store::import_parsed`] does: the one path of a
    /// file from `dun import` (without `--update` or `--skip-bad-rows`) and
    /// from the web's import page. `home`: the currency of a customer's
    /// credit limit.
    #[allow(clippy::too_many_arguments)]
    pub fn import_file(
        &mut self,
        org_id: i64,
        kind: dun_csv::FileKind,
        bytes: &[u8],
        map: &dun_csv::ColumnMap,
        home: dun_core::Currency,
        request: &ImportRequest<'_>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<ImportSummary, StoreError> {
        match kind {
            dun_csv::FileKind::Customers => self.import_parsed(
                dun_csv::read_customers_mapped(bytes, home, map),
                request,
                &|store, rows, request, progress| {
                    store.import_customers(org_id, rows, request, progress)
                },
                progress,
            ),
            dun_csv::FileKind::Invoices => self.import_parsed(
                dun_csv::read_invoices_mapped(bytes, map),
                request,
                &|store, rows, request, progress| {
                    store.import_invoices(org_id, rows, request, progress)
                },
                progress,
            ),
            dun_csv::FileKind::Payments => self.import_parsed(
                dun_csv::read_payments_mapped(bytes, map),
                request,
                &|store, rows, request, progress| {
                    store.import_payments(org_id, rows, request, progress)
                },
                progress,
            ),
        }
    }

    /// The answer an import under `key` gave, if one was made.
    pub fn import_answer(
        &mut self,
        org_id: i64,
        key: &str,
    ) -> Result<Option<ImportSummary>, StoreError> {
        let response = self.conn().statement().query_opt(
            "SELECT response FROM idempotency_keys WHERE org_id = $1 AND key = $2 AND response IS NOT NULL",
            params![org_id, key],
            |r| r.string(0),
        )?;
        Ok(match response {
            Some(text) => Some(serde_json::from_str(&text)?),
            None => None,
        })
    }

    /// Imports the rows the book accepts and leaves out the rows it refuses
    /// (`--skip-bad-rows`): the rows are checked (nothing written), each
    /// row refused is taken out with every problem of it, until the rest
    /// pass; the rest then go through `import` — the same all-or-nothing
    /// import, in one transaction. Returns its summary and the problems of
    /// the rows left out. An import already made under the key is a repeat:
    /// nothing is checked or written.
    pub fn import_good_rows<T: FileRow>(
        &mut self,
        org_id: i64,
        mut rows: Vec<T>,
        request: &ImportRequest<'_>,
        import: &ImportFn<'_, T>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<(ImportSummary, ImportErrors), StoreError> {
        if let (Some(key), false) = (request.key, request.dry_run) {
            if let Some(summary) = self.import_answer(org_id, key)? {
                return Ok((
                    ImportSummary {
                        repeated: true,
                        ..summary
                    },
                    ImportErrors::default(),
                ));
            }
        }
        let check = ImportRequest {
            key: None,
            fingerprint: request.fingerprint,
            dry_run: true,
            ladder_from: request.ladder_from,
            author: request.author,
        };
        let mut refused = ImportErrors::default();
        let checked = loop {
            match import(self, &rows, &check, &mut |_| {}) {
                Ok(summary) => break summary,
                Err(StoreError::Import(errors)) => {
                    let bad: HashSet<usize> = errors.errors.iter().map(|e| e.row).collect();
                    let before = rows.len();
                    rows.retain(|r| !bad.contains(&r.row()));
                    if rows.len() == before {
                        // Problems of no row: the import as a whole is refused.
                        return Err(StoreError::Import(errors));
                    }
                    refused.errors.extend(errors.errors);
                }
                Err(e) => return Err(e),
            }
        };
        if request.dry_run {
            return Ok((checked, refused));
        }
        Ok((import(self, &rows, request, progress)?, refused))
    }
}
