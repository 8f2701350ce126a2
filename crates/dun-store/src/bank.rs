//! Bank statements in: each booked line kept once, every new credit matched
//! by the domain's rules (`dun_core::bank::matching`) and posted as a
//! payment through the same code as a typed one, returns reversed, the
//! rest left in the reconciliation queue (`bank_queue.rs`).
//!
//! A file is imported whole or not at all, in one transaction. A line is
//! known by its account and key — the bank's reference, or a digest of the
//! line and how many identical lines came before it in the file — so a
//! file imported twice, or two overlapping statements, add each line once
//! (`UNIQUE (org_id, account, line_key)`: on PostgreSQL a second process
//! importing the same lines waits for the first and then adds nothing, so
//! nothing is matched twice).

use std::collections::HashMap;

use dun_core::bank::matching::{
    Allocation, CustomerName, KnownPayer, Matcher, NamedInvoice, OpenItem, Outcome, Reason, Rule,
};
use dun_core::bank::{name_key, BankLine, Statement, BANK_TEXT_BYTES_MAX};
use dun_core::posting::AllocationRequest;
use dun_core::reference::{self, Subject};
use dun_core::{Currency, Date};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::bank_batch::{Batch, MatchedCredit, Posted};
use crate::bulk::{self, SetColumn};
use crate::db::{placeholders, Param, Tx};
use crate::error::StoreError;
use crate::payments::{self, NewPayment};
use crate::{params, Store};

/// Longest file name kept with a statement, in bytes.
pub const FILE_NAME_BYTES_MAX: usize = 255;
/// Most ids bound in one `IN (…)` list.
const IDS_PER_QUERY_MAX: usize = 500;
/// Matched credits planned in memory before they are written together.
const BATCH_CREDITS_MAX: usize = 10_000;

/// A bank transaction's columns as an import writes them.
const LINE_COLUMNS: [&str; 17] = [
    "org_id",
    "statement_id",
    "account",
    "line_key",
    "bank_ref",
    "booked_date",
    "amount_minor",
    "currency",
    "counterparty_name",
    "counterparty_iban",
    "remittance",
    "structured_ref",
    "end_to_end_id",
    "return_reason",
    "status",
    "detail",
    "created_at",
];

/// What a bank import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankImportSummary {
    pub statements: usize,
    /// Booked lines in the file.
    pub lines_read: usize,
    /// Lines not seen before (the rest were already imported).
    pub lines_new: usize,
    /// New credits posted as payments by a rule.
    pub matched: usize,
    /// New credits left for a person, with candidates.
    pub suggested: usize,
    /// New credits left for a person with no candidate.
    pub unmatched: usize,
    /// Returns and reversals that undid an earlier match.
    pub returned: usize,
    /// Money out that is not a return (not receivables).
    pub debits: usize,
    /// The payments posted, in file order.
    pub payment_ids: Vec<i64>,
}

/// The statement's balances do not add up, or the lines break a limit.
fn check(statements: &[Statement], accept_unbalanced: bool) -> Result<(), StoreError> {
    for (i, s) in statements.iter().enumerate() {
        if let Err(mismatch) = s.check_balances() {
            if !accept_unbalanced {
                let name = s.statement_id.as_deref().unwrap_or("(no id)");
                return Err(StoreError::Invalid(format!(
                    "statement {} ({name}): {mismatch}; nothing was imported. Check that the file is complete, or import it anyway accepting that its balances do not add up",
                    i + 1
                )));
            }
        }
        for line in &s.lines {
            if line.amount_minor == 0 {
                continue;
            }
            for (field, text) in [
                ("remittance", Some(line.remittance.as_str())),
                ("counterparty_name", line.counterparty_name.as_deref()),
                ("bank_ref", line.bank_ref.as_deref()),
            ] {
                if text.is_some_and(|t| t.len() > BANK_TEXT_BYTES_MAX) {
                    return Err(StoreError::Invalid(format!(
                        "{field}: at most {BANK_TEXT_BYTES_MAX} bytes (statement {}, line booked {})",
                        i + 1,
                        line.booked
                    )));
                }
            }
        }
    }
    Ok(())
}

/// A line's key: the bank's reference, else a digest of what it says and
/// how many identical lines came before it in the same file.
fn line_key(line: &BankLine, seen: &mut HashMap<String, usize>) -> String {
    if let Some(r) = line.bank_ref.as_deref().filter(|r| !r.is_empty()) {
        return format!("ref:{r}");
    }
    let identity = line.identity();
    let n = seen.entry(identity.clone()).or_default();
    *n += 1;
    let digest = Sha256::digest(format!("{identity}#{n}").as_bytes());
    format!("sha256:{}", hex::encode(digest))
}

/// The matcher over the organisation's open book, with the invoices the
/// new lines' references name and the payers people confirmed.
fn matcher_for(tx: &mut Tx<'_>, org_id: i64, lines: &[&BankLine]) -> Result<Matcher, StoreError> {
    let mut items = tx.query(
        "SELECT id, number, customer_id, currency, open_minor, due_date FROM invoices
         WHERE org_id = $1 AND open_minor <> 0 AND open_minor > 0 AND status = 'issued'",
        params![org_id],
        |r| {
            Ok(OpenItem {
                invoice_id: r.i64(0)?,
                number: r.opt_string(1)?.unwrap_or_default(),
                customer_id: r.i64(2)?,
                currency: Currency::parse(&r.string(3)?)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                open_minor: r.i64(4)?,
                due_date: Date::from_day_number(r.i64(5)? as i32),
                plan_due_minor: None,
            })
        },
    )?;
    // Plans stand as of the newest credit's booking day.
    if let Some(as_of) = lines
        .iter()
        .filter(|l| l.is_credit())
        .map(|l| l.booked)
        .max()
    {
        fill_plan_due(tx, org_id, &mut items, as_of)?;
    }
    let mut named_ids: Vec<i64> = lines
        .iter()
        .filter(|l| l.is_credit())
        .flat_map(|l| {
            let text = format!(
                "{} {}",
                l.structured_ref.as_deref().unwrap_or(""),
                l.remittance
            );
            reference::find_in(&text)
        })
        .filter_map(|r| match r.subject() {
            Some(Subject::Invoice(id)) => Some(id),
            _ => None,
        })
        .collect();
    named_ids.sort_unstable();
    named_ids.dedup();
    let mut named = Vec::with_capacity(named_ids.len());
    for chunk in named_ids.chunks(IDS_PER_QUERY_MAX) {
        let mut bound: Vec<Param<'_>> = vec![org_id.into()];
        bound.extend(chunk.iter().map(|&id| Param::from(id)));
        named.extend(tx.query(
            &format!(
                "SELECT id, number, customer_id, currency FROM invoices
                 WHERE org_id = $1 AND status <> 'draft' AND id IN ({})",
                placeholders(2, chunk.len())
            ),
            &bound,
            |r| {
                Ok(NamedInvoice {
                    invoice_id: r.i64(0)?,
                    number: r.opt_string(1)?.unwrap_or_default(),
                    customer_id: r.i64(2)?,
                    currency: Currency::parse(&r.string(3)?)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                })
            },
        )?);
    }
    let payers = known_payers(tx, org_id)?;
    let customers = tx.query(
        "SELECT id, name FROM customers WHERE org_id = $1",
        params![org_id],
        |r| {
            Ok(CustomerName {
                customer_id: r.i64(0)?,
                name: r.string(1)?,
            })
        },
    )?;
    Ok(Matcher::new(items, named, &payers, &customers))
}

/// Each open invoice on a plan in force learns what the plan has due on
/// `as_of` and not yet paid ([`dun_core::collections::plan::Plan::due_by`]),
/// so a known payer paying exactly the installment due is matched to the
/// plan's invoices.
fn fill_plan_due(
    tx: &mut Tx<'_>,
    org_id: i64,
    items: &mut [OpenItem],
    as_of: Date,
) -> Result<(), StoreError> {
    let plans = crate::plans::domain_plans(tx, org_id, "status = 'active'", &[])?;
    if plans.is_empty() {
        return Ok(());
    }
    let index: HashMap<i64, usize> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (item.invoice_id, i))
        .collect();
    for plan in plans {
        let open: Vec<(i64, i64)> = plan
            .invoice_ids
            .iter()
            .map(|id| (*id, index.get(id).map_or(0, |&i| items[i].open_minor)))
            .collect();
        for (invoice_id, due) in plan.due_by(&open, as_of) {
            if let Some(&i) = index.get(&invoice_id) {
                items[i].plan_due_minor = Some(due);
            }
        }
    }
    Ok(())
}

/// Payers people confirmed: `iban:…` and `name:…` keys.
fn known_payers(tx: &mut Tx<'_>, org_id: i64) -> Result<Vec<KnownPayer>, StoreError> {
    tx.query(
        "SELECT payer_key, customer_id FROM payer_accounts WHERE org_id = $1",
        params![org_id],
        |r| {
            let key = r.string(0)?;
            let customer_id = r.i64(1)?;
            Ok(match key.split_once(':') {
                Some(("iban", iban)) => KnownPayer {
                    customer_id,
                    iban: Some(iban.to_string()),
                    name_key: None,
                },
                Some((_, name)) => KnownPayer {
                    customer_id,
                    iban: None,
                    name_key: Some(name.to_string()),
                },
                None => KnownPayer {
                    customer_id,
                    iban: None,
                    name_key: None,
                },
            })
        },
    )
}

/// Teaches the payer of a line (its IBAN, else its name) for a customer.
pub(crate) fn learn_payer(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_id: i64,
    iban: Option<&str>,
    name: Option<&str>,
    author: &str,
    now: &str,
) -> Result<(), StoreError> {
    let key = match (iban.filter(|i| !i.is_empty()), name) {
        (Some(iban), _) => format!("iban:{iban}"),
        (None, Some(name)) if !name_key(name).is_empty() => format!("name:{}", name_key(name)),
        _ => return Ok(()),
    };
    tx.execute(
        "INSERT INTO payer_accounts (org_id, payer_key, customer_id, author, created_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (org_id, payer_key) DO UPDATE SET customer_id = $3, author = $4, created_at = $5",
        params![org_id, key.as_str(), customer_id, author, now],
    )?;
    Ok(())
}

/// The payment a matched line becomes: from the customer, on the day the
/// bank booked it, quoting the bank's reference or the payer's text.
pub(crate) fn payment_of(
    line_ref: Option<&str>,
    remittance: &str,
    booked: Date,
    currency: Currency,
    amount_minor: i64,
) -> NewPayment {
    let reference: String = line_ref
        .filter(|r| !r.is_empty())
        .unwrap_or(remittance)
        .chars()
        .filter(|c| !c.is_control())
        .take(payments::REFERENCE_CHARS_MAX)
        .collect();
    NewPayment {
        customer_ref: String::new(),
        currency,
        received_date: booked,
        amount_minor,
        method: "bank transfer".into(),
        reference,
        note: format!("from the bank statement, booked {booked}"),
    }
}

/// Posts `allocations` (and the rest as credit) as a payment inside `tx`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn post_match(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_id: i64,
    payment: &NewPayment,
    allocations: &[Allocation],
    now: &str,
    author: &str,
) -> Result<i64, StoreError> {
    let request = if allocations.is_empty() {
        AllocationRequest::None
    } else {
        AllocationRequest::Explicit(
            allocations
                .iter()
                .map(|a| (a.invoice_id, a.amount_minor))
                .collect(),
        )
    };
    Ok(payments::record_in(tx, org_id, customer_id, payment, &request, now, author)?.payment_id)
}

/// What the open amounts of a customer's invoices are now, for the
/// matcher (credit applied by the policy moves them too).
fn refresh(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_id: i64,
    matcher: &mut Matcher,
) -> Result<(), StoreError> {
    let open = tx.query(
        "SELECT id, open_minor FROM invoices WHERE org_id = $1 AND customer_id = $2 AND status = 'issued'",
        params![org_id, customer_id],
        |r| Ok((r.i64(0)?, r.i64(1)?)),
    )?;
    for (id, open_minor) in open {
        matcher.set_open(id, open_minor.max(0));
    }
    Ok(())
}

/// A new line as stored.
struct NewLine<'a> {
    id: i64,
    /// Where it stands in the file, 1-based across its statements.
    file_line: i64,
    line: &'a BankLine,
}

impl Store {
    /// Imports parsed statements: new lines kept, credits matched and
    /// posted, returns reversed; all or nothing.
    pub fn import_bank_statements(
        &mut self,
        org_id: i64,
        file_name: &str,
        statements: &[Statement],
        accept_unbalanced: bool,
    ) -> Result<BankImportSummary, StoreError> {
        check(statements, accept_unbalanced)?;
        if file_name.len() > FILE_NAME_BYTES_MAX {
            return Err(StoreError::Invalid(format!(
                "file name: at most {FILE_NAME_BYTES_MAX} bytes"
            )));
        }
        let now = self.now_utc();
        let author = self.acting();
        let mut tx = self.conn().transaction()?;
        let mut summary = BankImportSummary {
            statements: statements.len(),
            ..BankImportSummary::default()
        };
        let mut new_lines: Vec<NewLine<'_>> = Vec::new();
        let mut file_line = 0i64;
        for s in statements {
            let lines: Vec<&BankLine> = s.lines.iter().filter(|l| l.amount_minor != 0).collect();
            summary.lines_read += lines.len();
            let statement_id = tx
                .query_opt(
                    "INSERT INTO bank_statements (org_id, format, statement_ref, account_iban, file_name,
                        lines_read, lines_new, opening_minor, closing_minor, author, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9, $10) RETURNING id",
                    params![org_id, s.format.to_string().as_str(), s.statement_id.as_deref(), s.account_iban.as_deref(),
                        file_name, lines.len() as i64, s.opening_minor, s.closing_minor, author.as_str(), now.as_str()],
                    |r| r.i64(0),
                )?
                .ok_or_else(|| StoreError::Conflict("the statement was not saved".into()))?;
            let account = s.account_iban.clone().unwrap_or_default();
            let mut seen = HashMap::new();
            let keys: Vec<String> = lines.iter().map(|l| line_key(l, &mut seen)).collect();
            let booked: Vec<i64> = lines
                .iter()
                .map(|l| i64::from(l.booked.day_number()))
                .collect();
            let mut rows: Vec<Param<'_>> = Vec::with_capacity(lines.len() * LINE_COLUMNS.len());
            for ((line, key), booked) in lines.iter().zip(&keys).zip(&booked) {
                rows.extend_from_slice(&[
                    org_id.into(),
                    statement_id.into(),
                    account.as_str().into(),
                    key.as_str().into(),
                    line.bank_ref.as_deref().into(),
                    (*booked).into(),
                    line.amount_minor.into(),
                    line.currency.code().into(),
                    line.counterparty_name.as_deref().into(),
                    line.counterparty_iban.as_deref().into(),
                    line.remittance.as_str().into(),
                    line.structured_ref.as_deref().into(),
                    line.end_to_end_id.as_deref().into(),
                    line.return_reason.as_deref().into(),
                    "new".into(),
                    "{}".into(),
                    now.as_str().into(),
                ]);
            }
            // Only the lines not seen before come back; the first of two
            // identical keys in one file is the one kept.
            let mut inserted: HashMap<String, i64> = HashMap::new();
            bulk::insert_new(
                &mut tx,
                "bank_transactions",
                &LINE_COLUMNS,
                "org_id, account, line_key",
                &rows,
                Some("id, line_key"),
                |r| {
                    inserted.insert(r.string(1)?, r.i64(0)?);
                    Ok(())
                },
            )?;
            let added = inserted.len() as i64;
            for (line, key) in lines.iter().zip(&keys) {
                file_line += 1;
                if let Some(id) = inserted.remove(key) {
                    new_lines.push(NewLine {
                        id,
                        file_line,
                        line,
                    });
                }
            }
            tx.execute(
                "UPDATE bank_statements SET lines_new = $3 WHERE org_id = $1 AND id = $2",
                params![org_id, statement_id, added],
            )?;
        }
        summary.lines_new = new_lines.len();
        // Credits first, then returns: a credit and its return in one file
        // cancel out.
        let lines: Vec<&BankLine> = new_lines.iter().map(|n| n.line).collect();
        // The open book is read only when there is a new credit to match
        // (a file imported again reads none of it).
        let any_credit = lines.iter().any(|l| l.is_credit());
        let mut matcher = if any_credit {
            matcher_for(&mut tx, org_id, &lines)?
        } else {
            Matcher::new(Vec::new(), Vec::new(), &[], &[])
        };
        // A customer who holds credit has it applied when a payment is
        // posted (`payments::record_in`): their credits are posted one by
        // one, the rest matched in full together.
        let mut with_credit = if any_credit {
            customers_with_credit(&mut tx, org_id)?
        } else {
            Default::default()
        };
        let mut batch = Batch::default();
        let mut posting = Posting {
            org_id,
            now: &now,
            author: &author,
            summary: &mut summary,
            marks: Vec::new(),
        };
        for n in new_lines.iter().filter(|n| n.line.is_credit()) {
            let outcome = matcher.decide(n.line);
            let (status, detail) = match outcome {
                Outcome::Allocate {
                    customer_id,
                    allocations,
                    credit_minor,
                    rule,
                    reasons,
                } if !with_credit.contains(&customer_id)
                    && MatchedCredit::is_whole(n.line, &allocations, credit_minor) =>
                {
                    batch.push(MatchedCredit {
                        line_id: n.id,
                        file_line: n.file_line,
                        line: n.line,
                        customer_id,
                        allocations,
                        rule,
                        reasons,
                    });
                    if batch.len() >= BATCH_CREDITS_MAX {
                        posting.settle(&mut tx, &mut batch, &mut matcher)?;
                    }
                    continue;
                }
                Outcome::Allocate {
                    customer_id,
                    allocations,
                    credit_minor: _,
                    rule,
                    reasons,
                } => {
                    // The ledger as the credits before it leave it.
                    posting.settle(&mut tx, &mut batch, &mut matcher)?;
                    with_credit.insert(customer_id);
                    let l = n.line;
                    let payment = payment_of(
                        l.bank_ref.as_deref(),
                        &l.remittance,
                        l.booked,
                        l.currency,
                        l.amount_minor,
                    );
                    match post_match(
                        &mut tx,
                        org_id,
                        customer_id,
                        &payment,
                        &allocations,
                        &now,
                        &author,
                    ) {
                        Ok(payment_id) => {
                            refresh(&mut tx, org_id, customer_id, &mut matcher)?;
                            posting.matched(n.id, rule, customer_id, payment_id, &reasons)?;
                            continue;
                        }
                        // A rule of the ledger refused (the invoice moved
                        // since): a person decides.
                        Err(StoreError::Posting(e)) => (
                            "suggested",
                            refused_detail(customer_id, &allocations, &reasons, &e.to_string()),
                        ),
                        Err(e) => return Err(e),
                    }
                }
                Outcome::Suggest { candidates } => (
                    if candidates.is_empty() {
                        "unmatched"
                    } else {
                        "suggested"
                    },
                    serde_json::json!({ "candidates": candidates }),
                ),
            };
            posting.left(n.id, status, &detail);
        }
        posting.settle(&mut tx, &mut batch, &mut matcher)?;
        // Before the returns, which look for the credits they return.
        posting.write_marks(&mut tx)?;
        for n in new_lines.iter().filter(|n| !n.line.is_credit()) {
            if n.line.return_reason.is_some()
                && crate::bank_queue::reverse_return(&mut tx, org_id, n.id, n.line, &now, &author)?
            {
                summary.returned += 1;
            } else {
                summary.debits += 1;
                tx.execute(
                    "UPDATE bank_transactions SET status = 'debit' WHERE org_id = $1 AND id = $2",
                    params![org_id, n.id],
                )?;
            }
        }
        tx.commit()?;
        Ok(summary)
    }
}

/// Where the import posts, and what it has done so far.
struct Posting<'s> {
    org_id: i64,
    now: &'s str,
    author: &'s str,
    summary: &'s mut BankImportSummary,
    /// What was decided for each line, written together at the end.
    marks: Vec<LineMark>,
}

/// What was decided for a new line: its columns as [`mark`] writes them.
struct LineMark {
    line_id: i64,
    status: &'static str,
    rule: Option<Rule>,
    customer_id: Option<i64>,
    payment_id: Option<i64>,
    detail: String,
}

impl Posting<'_> {
    /// Posts the batch's credits; the ones the ledger refused are left
    /// for a person, and the matcher learns their invoices as they are.
    fn settle(
        &mut self,
        tx: &mut Tx<'_>,
        batch: &mut Batch<'_>,
        matcher: &mut Matcher,
    ) -> Result<(), StoreError> {
        for (credit, posted) in batch.post(tx, self.org_id, self.now, self.author)? {
            match posted {
                Posted::Paid(payment_id) => self.matched(
                    credit.line_id,
                    credit.rule,
                    credit.customer_id,
                    payment_id,
                    &credit.reasons,
                )?,
                Posted::Refused(refusal) => {
                    refresh(tx, self.org_id, credit.customer_id, matcher)?;
                    let detail = refused_detail(
                        credit.customer_id,
                        &credit.allocations,
                        &credit.reasons,
                        &refusal,
                    );
                    self.left(credit.line_id, "suggested", &detail);
                }
            }
        }
        Ok(())
    }

    /// A line a rule matched, posted as `payment_id`.
    fn matched(
        &mut self,
        line_id: i64,
        rule: Rule,
        customer_id: i64,
        payment_id: i64,
        reasons: &[Reason],
    ) -> Result<(), StoreError> {
        self.summary.matched += 1;
        self.summary.payment_ids.push(payment_id);
        self.marks.push(LineMark {
            line_id,
            status: "matched",
            rule: Some(rule),
            customer_id: Some(customer_id),
            payment_id: Some(payment_id),
            detail: matched_detail(reasons),
        });
        Ok(())
    }

    /// A line left for a person: `suggested` (with candidates) or
    /// `unmatched`.
    fn left(&mut self, line_id: i64, status: &'static str, detail: &serde_json::Value) {
        if status == "unmatched" {
            self.summary.unmatched += 1;
        } else {
            self.summary.suggested += 1;
        }
        self.marks.push(LineMark {
            line_id,
            status,
            rule: None,
            customer_id: None,
            payment_id: None,
            detail: detail.to_string(),
        });
    }

    /// Writes what was decided for each line, many lines a statement.
    fn write_marks(&mut self, tx: &mut Tx<'_>) -> Result<(), StoreError> {
        let marks = std::mem::take(&mut self.marks);
        let mut rows: Vec<Param<'_>> = Vec::with_capacity(marks.len() * 6);
        for m in &marks {
            rows.extend_from_slice(&[
                m.line_id.into(),
                m.status.into(),
                m.rule.map(Rule::as_str).into(),
                m.customer_id.into(),
                m.payment_id.into(),
                m.detail.as_str().into(),
            ]);
        }
        let column = SetColumn::value;
        bulk::update_by_id(
            tx,
            "bank_transactions",
            self.org_id,
            &[
                column("status", "TEXT"),
                column("rule", "TEXT"),
                column("customer_id", "BIGINT"),
                column("payment_id", "BIGINT"),
                column("detail", "TEXT"),
            ],
            &rows,
        )
    }
}

/// A match the ledger refused, left as a suggestion with the refusal.
fn refused_detail(
    customer_id: i64,
    allocations: &[Allocation],
    reasons: &[Reason],
    refusal: &str,
) -> serde_json::Value {
    serde_json::json!({"candidates": [{"customer_id": customer_id,
        "invoice_ids": allocations.iter().map(|a| a.invoice_id).collect::<Vec<_>>(),
        "score": 50, "reasons": reasons}], "refused": refusal})
}

/// The customers who hold credit (unallocated money on a payment).
fn customers_with_credit(
    tx: &mut Tx<'_>,
    org_id: i64,
) -> Result<std::collections::HashSet<i64>, StoreError> {
    Ok(tx
        .query(
            "SELECT DISTINCT customer_id FROM payments
             WHERE org_id = $1 AND unallocated_minor > 0 AND status <> 'reversed'",
            params![org_id],
            |r| r.i64(0),
        )?
        .into_iter()
        .collect())
}

/// A matched line's detail: the rule's reasons.
fn matched_detail(reasons: &[Reason]) -> String {
    serde_json::json!({ "reasons": reasons }).to_string()
}

/// Records what was decided for a line.
#[allow(clippy::too_many_arguments)]
pub(crate) fn mark(
    tx: &mut Tx<'_>,
    org_id: i64,
    id: i64,
    status: &str,
    rule: Option<Rule>,
    customer_id: Option<i64>,
    payment_id: Option<i64>,
    reasons: &[Reason],
    decided_by: Option<&str>,
) -> Result<(), StoreError> {
    let detail = matched_detail(reasons);
    tx.execute(
        "UPDATE bank_transactions SET status = $3, rule = $4, customer_id = $5, payment_id = $6, detail = $7, decided_by = $8
         WHERE org_id = $1 AND id = $2",
        params![org_id, id, status, rule.map(Rule::as_str), customer_id, payment_id, detail.as_str(), decided_by],
    )?;
    Ok(())
}
