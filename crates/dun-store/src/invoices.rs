//! Invoices: drafts, issue with a gap-free number, void, credit notes and
//! write-offs.

use dun_core::invoice::{InvoiceDraft, InvoiceLine, Totals};
use dun_core::ledger::{Entry, EntryKind};
use dun_core::money::format_minor;
use dun_core::posting;
use dun_core::state::{InvoiceState, Movement, SettlementStatus};
use dun_core::terms::{Installment, Terms};
use dun_core::{Currency, Date};
use serde::{Deserialize, Serialize};

use crate::credit_file::{self, IssueOverride};
use crate::customers;
use crate::db::Tx;
use crate::entries::{self, StoredEntry};
use crate::error::StoreError;
use crate::outbox::{self, MessageKind, NewMessage};
use crate::timeline::{self, NewEntry};
use crate::{idempotency, orgs, params, Store};

/// Longest reason a person gives for a change to the book, in characters
/// (defined in the domain).
pub use dun_core::REASON_CHARS_MAX;
/// Most invoices one list returns.
pub const LIST_LIMIT_MAX: i64 = 10_000;

/// What a posting command returns (and what a repeated key returns again).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posted {
    pub invoice_id: i64,
    pub number: String,
    pub currency: Currency,
    /// The amount the command posted (total, credited, written off).
    pub amount_minor: i64,
    /// The invoice's open amount after the command.
    pub open_minor: i64,
    /// The credit note or write-off created, if any.
    pub document_number: Option<String>,
}

/// An invoice with everything a person reads on it and its ledger history.
#[derive(Clone, Debug, Serialize)]
pub struct InvoiceView {
    pub id: i64,
    pub number: Option<String>,
    pub customer_ref: String,
    pub customer_name: String,
    pub currency: Currency,
    pub issue_date: Date,
    pub due_date: Date,
    pub terms: Terms,
    pub description: String,
    pub lines: Vec<InvoiceLine>,
    pub schedule: Vec<Installment>,
    pub totals: Totals,
    pub open_minor: i64,
    pub status: SettlementStatus,
    pub days_past_due: i32,
    /// The ISO 11649 creditor reference a payment quotes (`RF…`, compact);
    /// a draft has none.
    pub payment_reference: Option<String>,
    pub entries: Vec<StoredEntry>,
}

pub use crate::invoice_list::{InvoiceFilter, StatusFilter};

/// One row of an invoice list.
#[derive(Clone, Debug, Serialize)]
pub struct InvoiceSummary {
    pub id: i64,
    pub number: Option<String>,
    pub customer_ref: String,
    pub customer_name: String,
    pub currency: Currency,
    pub issue_date: Date,
    pub due_date: Date,
    pub total_minor: i64,
    pub open_minor: i64,
    pub status: String,
}

/// What a credit note or write-off takes off an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reduction {
    /// `EntryKind::CreditNote` or `EntryKind::WriteOff`.
    pub kind: EntryKind,
    /// All that is open when None.
    pub amount_minor: Option<i64>,
    pub date: Date,
    pub reason: String,
}

/// A reason over [`REASON_CHARS_MAX`] characters, or holding a control
/// character other than a line break or a tab: the refusal, typed, for
/// each shell to word (the store's own wording names the field first).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {why}")]
pub struct ReasonRefused {
    pub field: &'static str,
    /// What is wrong and what is accepted.
    pub why: String,
}

impl From<ReasonRefused> for StoreError {
    fn from(e: ReasonRefused) -> StoreError {
        StoreError::Invalid(e.to_string())
    }
}

/// Refuses a reason longer than [`REASON_CHARS_MAX`] characters or holding
/// a control character ([`dun_core::text::note_problem`]), as the field
/// `field`. The one check of a reason, for every shell to call.
pub fn check_reason_chars(field: &'static str, reason: &str) -> Result<(), ReasonRefused> {
    match dun_core::text::note_problem(reason, REASON_CHARS_MAX) {
        Some(why) => Err(ReasonRefused { field, why }),
        None => Ok(()),
    }
}

pub(crate) fn check_reason(reason: &str) -> Result<(), StoreError> {
    Ok(check_reason_chars("reason", reason)?)
}

/// Finds an invoice by its number, or by `#id` / plain id for drafts.
/// An invoice's view and its history in one statement: the invoice's row
/// (part 0) — its header (the columns of `entries::INVOICE_HEADER`, in
/// order), document and customer — then its ledger entries (part 1) in the
/// order posted, each column of an entry placed under a column of the same
/// type. `{key}` picks the invoice by `$2`.
const VIEW: &str = "SELECT i.id, i.number, i.customer_id, i.currency, i.status, i.issue_date,
        i.due_date, i.total_minor, i.schedule,
        c.ref, c.name, i.terms, i.description, i.lines, i.subtotal_minor, i.tax_minor,
        CAST(0 AS BIGINT), NULL
     FROM invoices i JOIN customers c ON c.id = i.customer_id AND c.org_id = i.org_id
     WHERE i.org_id = $1 AND {key}
     UNION ALL
     SELECT e.id, e.kind, e.customer_id, e.currency, e.recorded_at, e.effective_date,
        e.ar_minor, e.credit_minor, NULL,
        NULL, NULL, NULL, NULL, NULL, e.invoice_id, e.payment_id,
        CAST(1 AS BIGINT), e.document_id
     FROM ledger_entries e JOIN invoices i ON i.id = e.invoice_id AND i.org_id = e.org_id
     WHERE e.org_id = $1 AND i.org_id = $1 AND {key}
     ORDER BY 17, 1";

type View = (InvoiceState, ViewDocument, Vec<StoredEntry>);

fn read_view(
    tx: &mut Tx<'_>,
    key: &str,
    params: &[crate::db::Param<'_>],
) -> Result<Option<View>, StoreError> {
    let mut head = None;
    let mut history = Vec::new();
    tx.query_each(&VIEW.replace("{key}", key), params, |r| {
        if r.i64(16)? == 0 {
            head = Some(view_row(r)?);
            return Ok(());
        }
        let kind = r.string(1)?;
        history.push(StoredEntry {
            id: r.i64(0)?,
            entry: Entry {
                customer_id: r.i64(2)?,
                currency: entries::currency(&r.string(3)?)?,
                kind: EntryKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("entry kind '{kind}'")))?,
                invoice_id: r.opt_i64(14)?,
                payment_id: r.opt_i64(15)?,
                document_id: r.opt_i64(17)?,
                effective_date: Date::from_day_number(r.i64(5)? as i32),
                ar_minor: r.i64(6)?,
                credit_minor: r.i64(7)?,
            },
            recorded_at: r.string(4)?,
        });
        Ok(())
    })?;
    Ok(head.map(|(state, document)| (state, document, history)))
}

/// What an invoice's view shows beyond its state.
struct ViewDocument {
    number: Option<String>,
    customer_ref: String,
    customer_name: String,
    terms: String,
    description: String,
    lines: String,
    subtotal_minor: i64,
    tax_minor: i64,
}

fn view_row(r: &crate::db::Row<'_>) -> Result<(InvoiceState, ViewDocument), StoreError> {
    Ok((
        entries::invoice_header(r)?,
        ViewDocument {
            number: r.opt_string(1)?,
            customer_ref: r.string(9)?,
            customer_name: r.string(10)?,
            terms: r.string(11)?,
            description: r.string(12)?,
            lines: r.string(13)?,
            subtotal_minor: r.i64(14)?,
            tax_minor: r.i64(15)?,
        },
    ))
}

pub(crate) fn find(tx: &mut Tx<'_>, org_id: i64, key: &str) -> Result<i64, StoreError> {
    if let Some(id) = tx.query_opt(
        "SELECT id FROM invoices WHERE org_id = $1 AND number = $2",
        params![org_id, key],
        |r| r.i64(0),
    )? {
        return Ok(id);
    }
    let id: Option<i64> = key.trim_start_matches('#').parse().ok();
    if let Some(id) = id {
        if let Some(id) = tx.query_opt(
            "SELECT id FROM invoices WHERE org_id = $1 AND id = $2",
            params![org_id, id],
            |r| r.i64(0),
        )? {
            return Ok(id);
        }
    }
    Err(StoreError::not_found("invoice", key))
}

fn customer_of(tx: &mut Tx<'_>, org_id: i64, invoice_id: i64) -> Result<i64, StoreError> {
    tx.query_opt(
        "SELECT customer_id FROM invoices WHERE org_id = $1 AND id = $2",
        params![org_id, invoice_id],
        |r| r.i64(0),
    )?
    .ok_or_else(|| StoreError::not_found("invoice", format!("#{invoice_id}")))
}

/// An invoice's number (empty for a draft).
pub(crate) fn number_of(
    tx: &mut Tx<'_>,
    org_id: i64,
    invoice_id: i64,
) -> Result<String, StoreError> {
    Ok(tx
        .query_opt(
            "SELECT number FROM invoices WHERE org_id = $1 AND id = $2",
            params![org_id, invoice_id],
            |r| r.opt_string(0),
        )?
        .flatten()
        .unwrap_or_default())
}

/// An invoice read under its customer's lock: the lock comes first, so the
/// state is what every other writer has committed.
pub(crate) fn locked_invoice(
    tx: &mut Tx<'_>,
    org_id: i64,
    invoice: &str,
) -> Result<InvoiceState, StoreError> {
    let id = find(tx, org_id, invoice)?;
    let customer_id = customer_of(tx, org_id, id)?;
    customers::lock(tx, org_id, customer_id)?;
    entries::invoice_state(tx, org_id, id)
}

/// Takes the next number of the organisation's gap-free sequence. The
/// organisation row stays locked until the transaction ends, so a number
/// is never handed out twice, and a rollback hands it back.
pub(crate) fn next_number(tx: &mut Tx<'_>, org_id: i64, which: &str) -> Result<String, StoreError> {
    let sql = match which {
        "invoice" => "UPDATE organisations SET next_invoice_number = next_invoice_number + 1 WHERE id = $1
                      RETURNING invoice_prefix, next_invoice_number - 1",
        _ => "UPDATE organisations SET next_credit_note_number = next_credit_note_number + 1 WHERE id = $1
              RETURNING credit_note_prefix, next_credit_note_number - 1",
    };
    let (prefix, n) = tx
        .query_opt(sql, params![org_id], |r| Ok((r.string(0)?, r.i64(1)?)))?
        .ok_or_else(|| StoreError::not_found("organisation", format!("#{org_id}")))?;
    Ok(format_number(&prefix, n))
}

pub fn format_number(prefix: &str, n: i64) -> String {
    format!("{prefix}{n:06}")
}

/// A credit note or write-off inside the caller's transaction (a dispute
/// resolved by a credit note uses it too). With `author`, it goes on the
/// customer's timeline (a dispute's resolution writes its own entry).
pub(crate) fn reduce(
    tx: &mut Tx<'_>,
    org_id: i64,
    invoice: &str,
    reduction: &Reduction,
    author: Option<&str>,
    now: &str,
) -> Result<Posted, StoreError> {
    let Reduction {
        kind,
        amount_minor,
        date,
        ref reason,
    } = *reduction;
    let reason = reason.as_str();
    check_reason(reason)?;
    if kind == EntryKind::CreditNote {
        // Dated behind an applied run, it changes what the run saw.
        crate::collections::require_reason_behind_run(
            tx,
            org_id,
            "reason",
            "the credit note",
            date,
            reason,
        )?;
    }
    if !matches!(kind, EntryKind::CreditNote | EntryKind::WriteOff) {
        return Err(StoreError::Invalid(format!(
            "{} does not reduce an invoice",
            kind.as_str()
        )));
    }
    if kind == EntryKind::CreditNote {
        // The credit note takes a number: the organisation's lock first.
        orgs::lock(tx, org_id)?;
    }
    let state = locked_invoice(tx, org_id, invoice)?;
    let (id, customer_id) = (state.id, state.customer_id);
    let amount = match amount_minor {
        Some(amount) => amount,
        None => match state.reducible_on(date) {
            0 => {
                return Err(StoreError::Conflict(format!(
                    "invoice {} has nothing open on {date} to {}",
                    state.number,
                    if kind == EntryKind::CreditNote {
                        "credit"
                    } else {
                        "write off"
                    }
                )))
            }
            open => open,
        },
    };
    let (document_id, document_number) = match kind {
        EntryKind::CreditNote => {
            let number = next_number(tx, org_id, "credit_note")?;
            let id = tx.query_opt(
                "INSERT INTO credit_notes (org_id, number, invoice_id, customer_id, currency, issue_date,
                    amount_minor, reason, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                params![org_id, number.as_str(), id, customer_id, state.currency.code(),
                    i64::from(date.day_number()), amount, reason, now],
                |r| r.i64(0),
            )?;
            (id, Some(number))
        }
        _ => {
            let id = tx.query_opt(
                "INSERT INTO write_offs (org_id, invoice_id, customer_id, currency, written_off_date,
                    amount_minor, reason, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                params![org_id, id, customer_id, state.currency.code(),
                    i64::from(date.day_number()), amount, reason, now],
                |r| r.i64(0),
            )?;
            (id, None)
        }
    };
    let document_id =
        document_id.ok_or_else(|| StoreError::Conflict("the document was not saved".into()))?;
    let entry = posting::reduce(&state, kind, document_id, amount, date)?;
    entries::post(tx, org_id, &[entry], now)?;
    if let Some(author) = author {
        let c = state.currency;
        let what = match &document_number {
            Some(number) => format!("Credit note {number}"),
            None => "Write-off".to_string(),
        };
        timeline::log(
            tx,
            org_id,
            now,
            &NewEntry {
                customer_id,
                on_date: date,
                kind: if kind == EntryKind::CreditNote {
                    "credit_note"
                } else {
                    "write_off"
                },
                author,
                summary: &format!(
                    "{what} of {} {c} on {}: {reason}",
                    format_minor(amount, c),
                    state.number
                ),
                detail: serde_json::json!({
                    "amount": format_minor(amount, c),
                    "currency": c.code(),
                    "document": document_number,
                    "reason": reason,
                }),
                invoice_ids: &[id],
            },
        )?;
    }
    Ok(Posted {
        invoice_id: id,
        number: state.number.clone(),
        currency: state.currency,
        amount_minor: amount,
        open_minor: state.open_minor() - amount,
        document_number,
    })
}

impl Store {
    /// Saves a draft invoice; it has no number until it is issued.
    pub fn create_invoice(
        &mut self,
        org_id: i64,
        draft: &InvoiceDraft,
        key: Option<&str>,
    ) -> Result<i64, StoreError> {
        let now = self.now_utc();
        let tx = self.conn().transaction()?;
        idempotency::run(tx, org_id, key, "invoice.create", draft, &now, |tx| {
            insert_draft(tx, org_id, draft, &now)
        })
    }

    /// Issues a draft: it takes the next number, its schedule is fixed from
    /// its terms, and its total is posted. From here on it never changes.
    ///
    /// The customer's credit is checked first (status, credit limit): a
    /// refusal writes nothing, unless a person overrides it with a reason,
    /// which is then logged on the customer's timeline with the refusal.
    pub fn issue_invoice(
        &mut self,
        org_id: i64,
        invoice: &str,
        override_by: Option<IssueOverride<'_>>,
        key: Option<&str>,
    ) -> Result<Posted, StoreError> {
        let now = self.now_utc();
        // Without an override the request is the invoice alone, as it was
        // before credit checks, so keys already stored still match.
        let request = match &override_by {
            None => serde_json::json!(invoice),
            Some(o) => serde_json::json!([invoice, o.reason, o.author]),
        };
        let author = self.acting();
        let tx = self.conn().transaction()?;
        idempotency::run(tx, org_id, key, "invoice.issue", &request, &now, |tx| {
            issue_in(tx, org_id, invoice, override_by.as_ref(), &author, &now)
        })
    }

    /// Creates an invoice and issues it in one transaction: when the credit
    /// check refuses, nothing is written — no draft is left behind (ask for
    /// a draft with [`Store::create_invoice`]).
    pub fn create_and_issue_invoice(
        &mut self,
        org_id: i64,
        draft: &InvoiceDraft,
        override_by: Option<IssueOverride<'_>>,
        key: Option<&str>,
    ) -> Result<Posted, StoreError> {
        let now = self.now_utc();
        let request = match &override_by {
            None => serde_json::json!([draft]),
            Some(o) => serde_json::json!([draft, o.reason, o.author]),
        };
        let author = self.acting();
        let tx = self.conn().transaction()?;
        idempotency::run(
            tx,
            org_id,
            key,
            "invoice.create_issue",
            &request,
            &now,
            |tx| {
                // The organisation's lock before the customer's (orgs::lock).
                orgs::lock(tx, org_id)?;
                let id = insert_draft(tx, org_id, draft, &now)?;
                issue_in(
                    tx,
                    org_id,
                    &format!("#{id}"),
                    override_by.as_ref(),
                    &author,
                    &now,
                )
            },
        )
    }

    /// Voids an issued invoice that nothing has been applied to.
    pub fn void_invoice(
        &mut self,
        org_id: i64,
        invoice: &str,
        date: Date,
        reason: &str,
        key: Option<&str>,
    ) -> Result<Posted, StoreError> {
        check_reason(reason)?;
        let now = self.now_utc();
        let author = self.acting();
        let tx = self.conn().transaction()?;
        idempotency::run(
            tx,
            org_id,
            key,
            "invoice.void",
            &(invoice, date, reason),
            &now,
            |tx| {
                let state = locked_invoice(tx, org_id, invoice)?;
                let id = state.id;
                let entry = posting::void(&state, date)?;
                let amount = -entry.ar_minor;
                entries::post(tx, org_id, &[entry], &now)?;
                let c = state.currency;
                timeline::log(
                    tx,
                    org_id,
                    &now,
                    &NewEntry {
                        customer_id: state.customer_id,
                        on_date: date,
                        kind: "invoice_voided",
                        author: &author,
                        summary: &format!(
                            "Invoice {} ({} {c}) voided: {reason}",
                            state.number,
                            format_minor(amount, c)
                        ),
                        detail: serde_json::json!({"reason": reason}),
                        invoice_ids: &[id],
                    },
                )?;
                Ok(Posted {
                    invoice_id: id,
                    number: state.number,
                    currency: state.currency,
                    amount_minor: amount,
                    open_minor: 0,
                    document_number: None,
                })
            },
        )
    }

    /// A credit note or write-off against one invoice.
    pub fn reduce_invoice(
        &mut self,
        org_id: i64,
        invoice: &str,
        reduction: &Reduction,
        key: Option<&str>,
    ) -> Result<Posted, StoreError> {
        check_reason(&reduction.reason)?;
        let command = match reduction.kind {
            EntryKind::CreditNote => "credit_note",
            EntryKind::WriteOff => "write_off",
            other => {
                return Err(StoreError::Invalid(format!(
                    "{} does not reduce an invoice",
                    other.as_str()
                )))
            }
        };
        let now = self.now_utc();
        let request = (
            invoice,
            reduction.amount_minor,
            reduction.date,
            reduction.reason.as_str(),
        );
        let author = self.acting();
        let tx = self.conn().transaction()?;
        idempotency::run(tx, org_id, key, command, &request, &now, |tx| {
            reduce(tx, org_id, invoice, reduction, Some(&author), &now)
        })
    }

    /// One invoice with its history, its status judged as of `as_of`.
    pub fn invoice(
        &mut self,
        org_id: i64,
        invoice: &str,
        as_of: Date,
    ) -> Result<InvoiceView, StoreError> {
        // One statement, so one snapshot without a transaction: by number,
        // or else by id (drafts).
        let mut tx = self.conn().statement();
        let mut found = read_view(&mut tx, "i.number = $2", params![org_id, invoice])?;
        if found.is_none() {
            if let Ok(id) = invoice.trim_start_matches('#').parse::<i64>() {
                found = read_view(&mut tx, "i.id = $2", params![org_id, id])?;
            }
        }
        let (mut state, document, history) =
            found.ok_or_else(|| StoreError::not_found("invoice", invoice))?;
        let id = state.id;
        let ViewDocument {
            number,
            customer_ref,
            customer_name,
            terms,
            description,
            lines,
            subtotal_minor,
            tax_minor,
        } = document;
        state.movements = history
            .iter()
            .map(|e| Movement {
                effective_date: e.entry.effective_date,
                kind: e.entry.kind,
                ar_minor: e.entry.ar_minor,
            })
            .collect();
        let due_date = state.due_date();
        let payment_reference = number.as_ref().map(|_| {
            dun_core::reference::CreditorReference::for_invoice(id)
                .as_str()
                .to_string()
        });
        Ok(InvoiceView {
            id,
            number,
            customer_ref,
            customer_name,
            currency: state.currency,
            issue_date: state.issue_date,
            due_date,
            terms: Terms::parse(&terms).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            description,
            lines: serde_json::from_str(&lines)?,
            schedule: state.schedule.clone(),
            totals: Totals {
                subtotal_minor,
                tax_minor,
                total_minor: state.total_minor,
            },
            open_minor: state.open_as_of(as_of),
            status: state.status_as_of(as_of),
            days_past_due: as_of.days_since(due_date),
            payment_reference,
            entries: history,
        })
    }
}

/// Saves a draft (its number comes when it is issued); returns its id.
/// What a draft's row stores beyond its fields as given: the explicit
/// schedule (none when the terms make it at issue), the due date, the
/// number of installments, the totals, the lines and terms as text. What
/// saving a draft and replacing one both write.
pub(crate) struct DraftColumns {
    pub explicit_schedule: Option<String>,
    pub due: Date,
    pub installment_count: i64,
    pub totals: Totals,
    pub lines: String,
    pub terms: String,
}

impl DraftColumns {
    /// Checks `draft` (its lines and schedule) and derives its columns.
    pub(crate) fn of(draft: &InvoiceDraft) -> Result<DraftColumns, StoreError> {
        let schedule = draft.schedule()?;
        Ok(DraftColumns {
            explicit_schedule: (!draft.installments.is_empty())
                .then(|| serde_json::to_string(&schedule))
                .transpose()?,
            due: schedule.last().map_or(draft.issue_date, |i| i.due_date),
            installment_count: schedule.len() as i64,
            totals: draft.totals(),
            lines: serde_json::to_string(&draft.lines)?,
            terms: draft.terms.to_string(),
        })
    }
}

fn insert_draft(
    tx: &mut Tx<'_>,
    org_id: i64,
    draft: &InvoiceDraft,
    now: &str,
) -> Result<i64, StoreError> {
    let columns = DraftColumns::of(draft)?;
    let totals = columns.totals;
    customers::lock(tx, org_id, draft.customer_id)?;
    let id = tx
        .query_opt(
            "INSERT INTO invoices (org_id, customer_id, number, currency, issue_date, due_date, terms,
                description, lines, schedule, installment_count, subtotal_minor, tax_minor, total_minor,
                status, open_minor, last_entry_date, created_at)
             VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'draft', 0, $14, $15)
             RETURNING id",
            params![
                org_id,
                draft.customer_id,
                draft.currency.code(),
                i64::from(draft.issue_date.day_number()),
                i64::from(columns.due.day_number()),
                columns.terms.as_str(),
                draft.description.as_str(),
                columns.lines.as_str(),
                columns.explicit_schedule.as_deref(),
                columns.installment_count,
                totals.subtotal_minor,
                totals.tax_minor,
                totals.total_minor,
                i64::from(draft.issue_date.day_number()),
                now,
            ],
            |r| r.i64(0),
        )?
        .ok_or_else(|| StoreError::Conflict("the invoice was not saved".into()))?;
    Ok(id)
}

/// Issues the draft `invoice` inside `tx` (see [`Store::issue_invoice`]).
fn issue_in(
    tx: &mut Tx<'_>,
    org_id: i64,
    invoice: &str,
    override_by: Option<&IssueOverride<'_>>,
    author: &str,
    now: &str,
) -> Result<Posted, StoreError> {
    // The number sequence's lock before the customer's (see orgs::lock).
    orgs::lock(tx, org_id)?;
    let mut state = locked_invoice(tx, org_id, invoice)?;
    let id = state.id;
    if state.status != dun_core::invoice::DocumentStatus::Draft {
        return Err(StoreError::Conflict(format!(
            "invoice {} is already issued",
            state.number
        )));
    }
    // The policy in force, read once for the credit check and for what
    // issuing sends.
    let (_, policy) = crate::policies::in_force(tx, org_id)?;
    let overridden = credit_file::check_credit(tx, org_id, &policy, &state, override_by)?;
    let terms: String = tx
        .query_opt(
            "SELECT terms FROM invoices WHERE org_id = $1 AND id = $2",
            params![org_id, id],
            |r| r.string(0),
        )?
        .unwrap_or_default();
    let has_explicit = tx
        .query_opt(
            "SELECT schedule FROM invoices WHERE org_id = $1 AND id = $2",
            params![org_id, id],
            |r| r.opt_string(0),
        )?
        .flatten()
        .is_some();
    if !has_explicit {
        let terms = Terms::parse(&terms).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        state.schedule = terms.schedule(state.issue_date, state.total_minor);
    }
    let number = next_number(tx, org_id, "invoice")?;
    let schedule_json = (state.schedule.len() > 1)
        .then(|| serde_json::to_string(&state.schedule))
        .transpose()?;
    let due = state.due_date();
    tx.execute(
        "UPDATE invoices SET number = $1, status = 'issued', due_date = $2, schedule = $3, installment_count = $4,
            policy_version = (SELECT MAX(version) FROM policy_versions WHERE org_id = $5),
            zero_rate_category = (SELECT zero_rate_category FROM organisations WHERE id = $5),
            tax_exemption_reason = (SELECT tax_exemption_reason FROM organisations WHERE id = $5)
         WHERE org_id = $5 AND id = $6",
        params![number.as_str(), i64::from(due.day_number()), schedule_json.as_deref(), state.schedule.len() as i64, org_id, id],
    )
    .map_err(|e| {
        if e.is_unique_violation() {
            StoreError::Conflict(format!(
                "invoice number {number} is already taken by an imported invoice; change the organisation's invoice prefix"
            ))
        } else {
            e
        }
    })?;
    state.number = number.clone();
    state.status = dun_core::invoice::DocumentStatus::Issued;
    let entry = posting::issue(&state);
    entries::post(tx, org_id, &[entry], now)?;
    let c = state.currency;
    timeline::log(
        tx,
        org_id,
        now,
        &NewEntry {
            customer_id: state.customer_id,
            on_date: state.issue_date,
            kind: "invoice_issued",
            author,
            summary: &format!(
                "Invoice {number} issued: {} {c}, due {due}",
                format_minor(state.total_minor, c)
            ),
            detail: serde_json::json!({
                "total": format_minor(state.total_minor, c),
                "currency": c.code(),
                "due_date": due.to_string(),
            }),
            invoice_ids: &[id],
        },
    )?;
    // The customer's credit pays it the day it is issued.
    let applied =
        crate::unapplied::apply(tx, org_id, state.customer_id, state.issue_date, now, None)?;
    let credited: i64 = applied
        .iter()
        .filter(|e| e.invoice_id == Some(id))
        .map(|e| -e.ar_minor)
        .sum();
    if let Some(overridden) = overridden {
        credit_file::log_override(tx, org_id, &state, &overridden, now)?;
    }
    if policy.invoicing.send_on_issue {
        send_on_issue(tx, org_id, &state, author, now)?;
    }
    Ok(Posted {
        invoice_id: id,
        number,
        currency: state.currency,
        amount_minor: state.total_minor,
        open_minor: state.total_minor - credited,
        document_number: None,
    })
}

/// Queues invoice `number` (id, customer) for e-mail to `email` through
/// the outbox, on the customer's timeline (`invoice_sent`). Returns the
/// message's id.
fn queue_invoice_email(
    tx: &mut Tx<'_>,
    org_id: i64,
    (invoice_id, customer_id, number): (i64, i64, &str),
    email: &str,
    today: Date,
    author: &str,
    now: &str,
) -> Result<i64, StoreError> {
    let message_id = outbox::enqueue(
        tx,
        org_id,
        &NewMessage {
            customer_id,
            kind: MessageKind::Invoice,
            invoice_id: Some(invoice_id),
            period: None,
            template: "invoice".to_string(),
            detail: serde_json::json!({ "number": number, "sent_by": author }),
            as_of: today,
        },
        now,
    )?;
    timeline::log(
        tx,
        org_id,
        now,
        &NewEntry {
            customer_id,
            on_date: today,
            kind: "invoice_sent",
            author,
            summary: &format!("Invoice {number} queued for e-mail to {email}"),
            detail: serde_json::json!({ "message_id": message_id }),
            invoice_ids: &[invoice_id],
        },
    )?;
    Ok(message_id)
}

/// What the policy's `[invoicing] send_on_issue` does: queues the invoice
/// just issued for e-mail; a customer without an address gets a timeline
/// entry saying it was not sent.
fn send_on_issue(
    tx: &mut Tx<'_>,
    org_id: i64,
    state: &InvoiceState,
    author: &str,
    now: &str,
) -> Result<(), StoreError> {
    let email = tx
        .query_opt(
            "SELECT email FROM customers WHERE org_id = $1 AND id = $2",
            params![org_id, state.customer_id],
            |r| r.opt_string(0),
        )?
        .flatten()
        .filter(|e| !e.trim().is_empty());
    let today = state.issue_date;
    match email {
        Some(email) => {
            queue_invoice_email(
                tx,
                org_id,
                (state.id, state.customer_id, &state.number),
                &email,
                today,
                author,
                now,
            )?;
        }
        None => {
            timeline::log(
                tx,
                org_id,
                now,
                &NewEntry {
                    customer_id: state.customer_id,
                    on_date: today,
                    kind: "invoice_not_sent",
                    author,
                    summary: &format!(
                        "Invoice {} not e-mailed on issue: the customer has no e-mail address",
                        state.number
                    ),
                    detail: serde_json::json!({ "rule": "invoicing.send_on_issue" }),
                    invoice_ids: &[state.id],
                },
            )?;
        }
    }
    Ok(())
}

/// An invoice queued for e-mail: the message's id and where it goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceSent {
    pub message_id: i64,
    pub number: String,
    pub email: String,
}

impl Store {
    /// Queues an issued invoice for e-mail to its customer through the
    /// outbox (the delivery worker attaches its PDF and, when the
    /// organisation's details make one, its UBL e-invoice), and notes it on
    /// the customer's timeline. Sending again queues another message.
    pub fn send_invoice(
        &mut self,
        org_id: i64,
        number: &str,
        today: Date,
        key: Option<&str>,
    ) -> Result<InvoiceSent, StoreError> {
        let now = self.now_utc();
        let author = self.acting();
        let tx = self.conn().transaction()?;
        idempotency::run(
            tx,
            org_id,
            key,
            "invoice.send",
            &(number, today),
            &now,
            |tx| {
                let found = tx.query_opt(
                    "SELECT i.id, i.customer_id, i.status, c.ref FROM invoices i
                     JOIN customers c ON c.id = i.customer_id AND c.org_id = i.org_id
                     WHERE i.org_id = $1 AND i.number = $2",
                    params![org_id, number],
                    |r| Ok((r.i64(0)?, r.i64(1)?, r.string(2)?, r.string(3)?)),
                )?;
                let Some((invoice_id, customer_id, status, reference)) = found else {
                    return Err(StoreError::not_found("invoice", number));
                };
                if status != "issued" {
                    return Err(StoreError::Conflict(format!(
                        "invoice {number} is {status}: only an issued invoice is sent"
                    )));
                }
                // The customer's main address, billing contacts and accounts
                // payable, as every collection e-mail (contacts.rs).
                let recipients = crate::contacts::recipients_in(tx, org_id, customer_id)?;
                if recipients.is_empty() {
                    return Err(StoreError::Conflict(format!(
                        "email: customer {reference} has no e-mail address to send {number} to (give the customer an e-mail address or a billing contact)"
                    )));
                }
                let email = recipients.to_text();
                let message_id = queue_invoice_email(
                    tx,
                    org_id,
                    (invoice_id, customer_id, number),
                    &email,
                    today,
                    &author,
                    &now,
                )?;
                Ok(InvoiceSent {
                    message_id,
                    number: number.to_string(),
                    email,
                })
            },
        )
    }
}

/// One e-mail of an invoice, as its page lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InvoiceEmail {
    pub message_id: i64,
    /// `pending`, `sending`, `sent`, `failed`, `unknown`, `cancelled`.
    pub status: String,
    pub queued_at: String,
    pub sent_at: Option<String>,
}

/// Most e-mails of one invoice its page lists.
pub const INVOICE_EMAILS_MAX: i64 = 20;

impl Store {
    /// The invoice's own e-mails (issued or sent again), newest first.
    pub fn invoice_emails(
        &mut self,
        org_id: i64,
        invoice_id: i64,
    ) -> Result<Vec<InvoiceEmail>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            "SELECT id, status, created_at, sent_at FROM outbox
             WHERE org_id = $1 AND invoice_id = $2 AND kind = 'invoice'
             ORDER BY id DESC LIMIT $3",
            params![org_id, invoice_id, INVOICE_EMAILS_MAX],
            |r| {
                Ok(InvoiceEmail {
                    message_id: r.i64(0)?,
                    status: r.string(1)?,
                    queued_at: r.string(2)?,
                    sent_at: r.opt_string(3)?,
                })
            },
        )
    }
}
