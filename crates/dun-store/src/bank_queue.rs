//! The reconciliation queue: bank lines a rule did not post, with their
//! candidates and reasons; what a person does with them (confirm to a
//! customer and invoices, mark as not a customer payment, undo a match),
//! and returns that reverse what a match posted.
//!
//! Deciding a line first moves its status in one `UPDATE … WHERE status IN
//! (…)`: a second person (or process) deciding the same line finds nothing
//! to move and is told so, so a line is never posted twice.

use dun_core::bank::matching::{Candidate, Reason, Rule};
use dun_core::bank::{return_reason_words, BankLine};
use dun_core::posting::AllocationRequest;
use dun_core::{Currency, Date};
use serde::{Deserialize, Serialize};

use crate::bank::{learn_payer, mark, payment_of};
use crate::db::{Row, Tx};
use crate::error::StoreError;
use crate::{customers, invoices, params, payments, Store};

/// Most lines one queue page lists.
pub const QUEUE_ROWS_MAX: usize = 500;

/// Where a page of bank lines starts. Lines are listed newest first
/// (booked date, then number); a page is found from a line of the page
/// beside it, so lines decided meanwhile move no other line to another
/// page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BankCursor {
    /// The newest lines.
    #[default]
    First,
    /// The lines listed after this line (older).
    After(i64),
    /// The lines listed before this line (newer).
    Before(i64),
}

/// One page of bank lines, with the cursors of the pages beside it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankPage {
    pub lines: Vec<BankTransaction>,
    /// The next (older) page: `BankCursor::After(next_after)`.
    pub next_after: Option<i64>,
    /// The previous (newer) page: `BankCursor::Before(previous_before)`.
    pub previous_before: Option<i64>,
}

/// Which lines to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BankFilter {
    /// Waiting for a person: unmatched and suggested.
    Queue,
    /// Posted by a rule or a person.
    Matched,
    /// Everything, newest first.
    All,
}

impl BankFilter {
    pub fn parse(text: &str) -> Option<BankFilter> {
        match text {
            "queue" => Some(BankFilter::Queue),
            "matched" => Some(BankFilter::Matched),
            "all" => Some(BankFilter::All),
            _ => None,
        }
    }

    fn condition(self) -> &'static str {
        match self {
            BankFilter::Queue => "t.status IN ('unmatched', 'suggested')",
            BankFilter::Matched => "t.status = 'matched'",
            BankFilter::All => "1 = 1",
        }
    }
}

/// A candidate as a person reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandidateView {
    pub customer_ref: String,
    pub customer_name: String,
    /// Invoice numbers it would pay.
    pub invoices: Vec<String>,
    pub score: u8,
    pub reasons: Vec<String>,
}

/// One bank line and what was decided for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankTransaction {
    pub id: i64,
    pub booked_date: Date,
    pub amount_minor: i64,
    pub currency: Currency,
    pub counterparty_name: Option<String>,
    pub counterparty_iban: Option<String>,
    pub remittance: String,
    pub structured_ref: Option<String>,
    pub bank_ref: Option<String>,
    pub return_reason: Option<String>,
    /// unmatched, suggested, matched, returned, not_customer, debit
    pub status: String,
    /// reference, invoice_number, customer_reference, known_payer, person
    pub rule: Option<String>,
    pub customer_ref: Option<String>,
    pub customer_name: Option<String>,
    pub payment_id: Option<i64>,
    /// Why it was matched (or the note of who decided and why).
    pub reasons: Vec<String>,
    pub candidates: Vec<CandidateView>,
    pub decided_by: Option<String>,
}

/// A person's decision: this customer, these invoices (numbers, with
/// amounts or the rest of the line in order), or none given — the
/// customer's oldest due first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirm {
    pub customer_ref: String,
    #[serde(default)]
    pub invoices: Vec<(String, Option<i64>)>,
}

const COLUMNS: &str = "t.id, t.booked_date, t.amount_minor, t.currency, t.counterparty_name, t.counterparty_iban,
    t.remittance, t.structured_ref, t.bank_ref, t.return_reason, t.status, t.rule, c.ref, c.name, t.payment_id,
    t.detail, t.decided_by";

#[derive(Deserialize, Default)]
struct Detail {
    #[serde(default)]
    reasons: Vec<Reason>,
    #[serde(default)]
    candidates: Vec<Candidate>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    refused: Option<String>,
}

fn row(r: &Row<'_>) -> Result<(BankTransaction, Detail), StoreError> {
    let detail: Detail = serde_json::from_str(&r.string(15)?).unwrap_or_default();
    let mut reasons: Vec<String> = detail.reasons.iter().map(ToString::to_string).collect();
    reasons.extend(detail.note.clone());
    reasons.extend(
        detail
            .refused
            .as_ref()
            .map(|e| format!("could not be posted: {e}")),
    );
    Ok((
        BankTransaction {
            id: r.i64(0)?,
            booked_date: Date::from_day_number(r.i64(1)? as i32),
            amount_minor: r.i64(2)?,
            currency: Currency::parse(&r.string(3)?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            counterparty_name: r.opt_string(4)?,
            counterparty_iban: r.opt_string(5)?,
            remittance: r.string(6)?,
            structured_ref: r.opt_string(7)?,
            bank_ref: r.opt_string(8)?,
            return_reason: r.opt_string(9)?,
            status: r.string(10)?,
            rule: r.opt_string(11)?,
            customer_ref: r.opt_string(12)?,
            customer_name: r.opt_string(13)?,
            payment_id: r.opt_i64(14)?,
            reasons,
            candidates: Vec::new(),
            decided_by: r.opt_string(16)?,
        },
        detail,
    ))
}

/// Candidates with the customers' refs and names and invoice numbers.
fn candidate_views(
    tx: &mut Tx<'_>,
    org_id: i64,
    candidates: &[Candidate],
) -> Result<Vec<CandidateView>, StoreError> {
    let mut views = Vec::with_capacity(candidates.len());
    for c in candidates {
        let Some((customer_ref, customer_name)) = tx.query_opt(
            "SELECT ref, name FROM customers WHERE org_id = $1 AND id = $2",
            params![org_id, c.customer_id],
            |r| Ok((r.string(0)?, r.string(1)?)),
        )?
        else {
            continue;
        };
        let mut numbers = Vec::with_capacity(c.invoice_ids.len());
        for &id in &c.invoice_ids {
            numbers.push(invoices::number_of(tx, org_id, id)?);
        }
        views.push(CandidateView {
            customer_ref,
            customer_name,
            invoices: numbers,
            score: c.score,
            reasons: c.reasons.iter().map(ToString::to_string).collect(),
        });
    }
    Ok(views)
}

/// Moves a line from one of `from` to `to`; `Conflict` when someone else
/// decided it first.
fn claim(tx: &mut Tx<'_>, org_id: i64, id: i64, from: &str, to: &str) -> Result<(), StoreError> {
    let moved = tx.execute(
        &format!("UPDATE bank_transactions SET status = $3 WHERE org_id = $1 AND id = $2 AND status IN ({from})"),
        params![org_id, id, to],
    )?;
    if moved == 0 {
        let status = tx
            .query_opt(
                "SELECT status FROM bank_transactions WHERE org_id = $1 AND id = $2",
                params![org_id, id],
                |r| r.string(0),
            )?
            .ok_or_else(|| StoreError::not_found("bank transaction", format!("#{id}")))?;
        return Err(StoreError::Conflict(format!(
            "bank transaction #{id} is {status}; only a line waiting in the queue can be decided, and only a matched one undone"
        )));
    }
    Ok(())
}

fn read_line(tx: &mut Tx<'_>, org_id: i64, id: i64) -> Result<BankTransaction, StoreError> {
    tx.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM bank_transactions t LEFT JOIN customers c ON c.org_id = t.org_id AND c.id = t.customer_id
             WHERE t.org_id = $1 AND t.id = $2"
        ),
        params![org_id, id],
        row,
    )?
    .map(|(t, _)| t)
    .ok_or_else(|| StoreError::not_found("bank transaction", format!("#{id}")))
}

/// A returned direct debit or reversed transfer: finds the credit it
/// returns (by end-to-end id, else the same payer's account and amount)
/// and reverses the payment that credit became. `false` when there is
/// none to reverse.
pub(crate) fn reverse_return(
    tx: &mut Tx<'_>,
    org_id: i64,
    debit_id: i64,
    line: &BankLine,
    now: &str,
    author: &str,
) -> Result<bool, StoreError> {
    let original = tx.query_opt(
        "SELECT id, payment_id FROM bank_transactions
         WHERE org_id = $1 AND status = 'matched' AND amount_minor = $2 AND currency = $3 AND id <> $6
           AND ((end_to_end_id IS NOT NULL AND end_to_end_id = $4)
                OR ($4 IS NULL AND counterparty_iban IS NOT NULL AND counterparty_iban = $5))
         ORDER BY booked_date DESC, id DESC LIMIT 1",
        params![org_id, -line.amount_minor, line.currency.code(), line.end_to_end_id.as_deref(),
            line.counterparty_iban.as_deref(), debit_id],
        |r| Ok((r.i64(0)?, r.opt_i64(1)?)),
    )?;
    let Some((original_id, Some(payment_id))) = original else {
        return Ok(false);
    };
    let why = return_reason_words(line.return_reason.as_deref().unwrap_or("reversal"));
    payments::reverse_in(
        tx,
        org_id,
        payment_id,
        line.booked,
        &format!("returned by the bank: {why}"),
        now,
        author,
    )?;
    for (id, note) in [
        (
            original_id,
            format!("returned by the bank on {}: {why}", line.booked),
        ),
        (
            debit_id,
            format!("returns bank transaction #{original_id}: {why}"),
        ),
    ] {
        tx.execute(
            "UPDATE bank_transactions SET status = 'returned', detail = $3 WHERE org_id = $1 AND id = $2",
            params![org_id, id, serde_json::json!({ "note": note }).to_string().as_str()],
        )?;
    }
    Ok(true)
}

impl Store {
    /// Bank lines, newest first, with candidates for those in the queue:
    /// the first page of [`Store::bank_transactions_page`].
    pub fn bank_transactions(
        &mut self,
        org_id: i64,
        filter: BankFilter,
    ) -> Result<Vec<BankTransaction>, StoreError> {
        Ok(self
            .bank_transactions_page(org_id, filter, BankCursor::First, QUEUE_ROWS_MAX)?
            .lines)
    }

    /// A page of at most `rows_max` (at most [`QUEUE_ROWS_MAX`]) bank
    /// lines, newest first, from `cursor`, with the cursors of the pages
    /// before and after it.
    pub fn bank_transactions_page(
        &mut self,
        org_id: i64,
        filter: BankFilter,
        cursor: BankCursor,
        rows_max: usize,
    ) -> Result<BankPage, StoreError> {
        let rows_max = rows_max.clamp(1, QUEUE_ROWS_MAX);
        let mut tx = self.conn().read_transaction()?;
        let from = match cursor {
            BankCursor::First => None,
            BankCursor::After(id) | BankCursor::Before(id) => Some(
                tx.query_opt(
                    "SELECT booked_date, id FROM bank_transactions WHERE org_id = $1 AND id = $2",
                    params![org_id, id],
                    |r| Ok((r.i64(0)?, r.i64(1)?)),
                )?
                .ok_or_else(|| StoreError::not_found("bank transaction", format!("#{id}")))?,
            ),
        };
        let backwards = matches!(cursor, BankCursor::Before(_));
        let (beyond, order) = match cursor {
            BankCursor::First => ("", "DESC"),
            BankCursor::After(_) => (
                " AND (t.booked_date < $2 OR (t.booked_date = $2 AND t.id < $3))",
                "DESC",
            ),
            BankCursor::Before(_) => (
                " AND (t.booked_date > $2 OR (t.booked_date = $2 AND t.id > $3))",
                "ASC",
            ),
        };
        let (day, id) = from.unwrap_or((0, 0));
        let sql = format!(
            "SELECT {COLUMNS} FROM bank_transactions t LEFT JOIN customers c ON c.org_id = t.org_id AND c.id = t.customer_id
             WHERE t.org_id = $1 AND {}{beyond} ORDER BY t.booked_date {order}, t.id {order} LIMIT {}",
            filter.condition(),
            rows_max + 1
        );
        let mut rows = if from.is_some() {
            tx.query(&sql, params![org_id, day, id], row)?
        } else {
            tx.query(&sql, params![org_id], row)?
        };
        let more = rows.len() > rows_max;
        rows.truncate(rows_max);
        if backwards {
            rows.reverse();
        }
        let mut lines = Vec::with_capacity(rows.len());
        for (mut t, detail) in rows {
            t.candidates = candidate_views(&mut tx, org_id, &detail.candidates)?;
            lines.push(t);
        }
        let (first, last) = (lines.first().map(|t| t.id), lines.last().map(|t| t.id));
        let (next_after, previous_before) = match cursor {
            BankCursor::First => (last.filter(|_| more), None),
            BankCursor::After(_) => (last.filter(|_| more), first),
            BankCursor::Before(_) => (last, first.filter(|_| more)),
        };
        Ok(BankPage {
            lines,
            next_after,
            previous_before,
        })
    }

    /// Whether a bank statement was imported at or after `since_utc`
    /// (`YYYY-MM-DDTHH:MM:SSZ`): the scheduled run may wait for the day's.
    pub fn bank_imported_since(
        &mut self,
        org_id: i64,
        since_utc: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.conn().statement();
        Ok(tx
            .query_opt(
                "SELECT id FROM bank_statements WHERE org_id = $1 AND created_at >= $2 LIMIT 1",
                params![org_id, since_utc],
                |r| r.i64(0),
            )?
            .is_some())
    }

    /// One bank line.
    pub fn bank_transaction(
        &mut self,
        org_id: i64,
        id: i64,
    ) -> Result<BankTransaction, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let (mut t, detail) = tx
            .query_opt(
                &format!(
                    "SELECT {COLUMNS} FROM bank_transactions t LEFT JOIN customers c ON c.org_id = t.org_id AND c.id = t.customer_id
                     WHERE t.org_id = $1 AND t.id = $2"
                ),
                params![org_id, id],
                row,
            )?
            .ok_or_else(|| StoreError::not_found("bank transaction", format!("#{id}")))?;
        t.candidates = candidate_views(&mut tx, org_id, &detail.candidates)?;
        Ok(t)
    }

    /// A person confirms a line as a customer's payment: posted as the
    /// person said, and the payer (IBAN, else name) is learned for the
    /// customer, so the next payment from them matches by itself.
    pub fn confirm_bank_transaction(
        &mut self,
        org_id: i64,
        id: i64,
        confirm: &Confirm,
    ) -> Result<BankTransaction, StoreError> {
        let now = self.now_utc();
        let author = self.acting();
        let mut tx = self.conn().transaction()?;
        claim(&mut tx, org_id, id, "'unmatched', 'suggested'", "matched")?;
        let line = read_line(&mut tx, org_id, id)?;
        if line.amount_minor <= 0 {
            return Err(StoreError::Invalid(format!(
                "bank transaction #{id} is money out; only money in can be a customer's payment"
            )));
        }
        let customer = customers::lock_by_ref(&mut tx, org_id, &confirm.customer_ref)?;
        let request = if confirm.invoices.is_empty() {
            AllocationRequest::OldestDueFirst
        } else {
            let mut left = line.amount_minor;
            let mut list = Vec::with_capacity(confirm.invoices.len());
            for (number, amount) in &confirm.invoices {
                let invoice_id = invoices::find(&mut tx, org_id, number)?;
                let open = tx
                    .query_opt(
                        "SELECT open_minor FROM invoices WHERE org_id = $1 AND id = $2",
                        params![org_id, invoice_id],
                        |r| r.i64(0),
                    )?
                    .unwrap_or(0);
                let pay = amount.unwrap_or_else(|| left.min(open).max(0));
                left -= pay;
                list.push((invoice_id, pay));
            }
            AllocationRequest::Explicit(list)
        };
        let payment = payment_of(
            line.bank_ref.as_deref(),
            &line.remittance,
            line.booked_date,
            line.currency,
            line.amount_minor,
        );
        let posted = payments::record_in(
            &mut tx,
            org_id,
            customer.id,
            &payment,
            &request,
            &now,
            &author,
        )?;
        mark(
            &mut tx,
            org_id,
            id,
            "matched",
            Some(Rule::Person),
            Some(customer.id),
            Some(posted.payment_id),
            &[],
            Some(&author),
        )?;
        learn_payer(
            &mut tx,
            org_id,
            customer.id,
            line.counterparty_iban.as_deref(),
            line.counterparty_name.as_deref(),
            &author,
            &now,
        )?;
        let t = read_line(&mut tx, org_id, id)?;
        tx.commit()?;
        Ok(t)
    }

    /// A person says a line is not a customer's payment (a loan, a
    /// supplier's refund): it leaves the queue, with the reason.
    pub fn dismiss_bank_transaction(
        &mut self,
        org_id: i64,
        id: i64,
        reason: &str,
    ) -> Result<BankTransaction, StoreError> {
        check_reason(reason)?;
        let author = self.acting();
        let mut tx = self.conn().transaction()?;
        claim(
            &mut tx,
            org_id,
            id,
            "'unmatched', 'suggested'",
            "not_customer",
        )?;
        tx.execute(
            "UPDATE bank_transactions SET detail = $3, decided_by = $4 WHERE org_id = $1 AND id = $2",
            params![org_id, id, serde_json::json!({ "note": format!("not a customer payment: {reason}") }).to_string().as_str(), author.as_str()],
        )?;
        let t = read_line(&mut tx, org_id, id)?;
        tx.commit()?;
        Ok(t)
    }

    /// Undoes a match in one step: the payment and its allocations are
    /// reversed (dated the day the bank booked the line, so the book is as
    /// if it had never been posted), the line is back in the queue, and a
    /// payer a person taught with it is forgotten.
    pub fn undo_bank_match(
        &mut self,
        org_id: i64,
        id: i64,
        reason: &str,
    ) -> Result<BankTransaction, StoreError> {
        check_reason(reason)?;
        let now = self.now_utc();
        let author = self.acting();
        let mut tx = self.conn().transaction()?;
        claim(&mut tx, org_id, id, "'matched'", "unmatched")?;
        let line = tx
            .query_opt(
                "SELECT payment_id, rule, customer_id, counterparty_iban, counterparty_name, booked_date
                 FROM bank_transactions WHERE org_id = $1 AND id = $2",
                params![org_id, id],
                |r| Ok((r.opt_i64(0)?, r.opt_string(1)?, r.opt_i64(2)?, r.opt_string(3)?, r.opt_string(4)?, r.i64(5)?)),
            )?
            .ok_or_else(|| StoreError::not_found("bank transaction", format!("#{id}")))?;
        let (payment_id, rule, customer_id, iban, name, booked) = line;
        if let Some(payment_id) = payment_id {
            let booked = Date::from_day_number(booked as i32);
            payments::reverse_in(
                &mut tx,
                org_id,
                payment_id,
                booked,
                &format!("bank match undone: {reason}"),
                &now,
                &author,
            )?;
        }
        if rule.as_deref() == Some(Rule::Person.as_str()) {
            let key = match (iban, name) {
                (Some(iban), _) => format!("iban:{iban}"),
                (None, Some(name)) => format!("name:{}", dun_core::bank::name_key(&name)),
                _ => String::new(),
            };
            tx.execute(
                "DELETE FROM payer_accounts WHERE org_id = $1 AND payer_key = $2 AND customer_id = $3",
                params![org_id, key.as_str(), customer_id],
            )?;
        }
        tx.execute(
            "UPDATE bank_transactions SET rule = NULL, customer_id = NULL, payment_id = NULL, detail = $3, decided_by = $4
             WHERE org_id = $1 AND id = $2",
            params![org_id, id, serde_json::json!({ "note": format!("match undone by {author}: {reason}") }).to_string().as_str(), author.as_str()],
        )?;
        let t = read_line(&mut tx, org_id, id)?;
        tx.commit()?;
        Ok(t)
    }
}

fn check_reason(reason: &str) -> Result<(), StoreError> {
    if reason.trim().is_empty() {
        return Err(StoreError::Invalid(
            "reason: say why (it is kept with the bank line)".into(),
        ));
    }
    Ok(invoices::check_reason_chars("reason", reason)?)
}
