//! Appending to the ledger, and reading invoice and payment state back.

use std::collections::BTreeMap;

use dun_core::invoice::DocumentStatus;
use dun_core::ledger::{Entry, EntryKind};
use dun_core::state::{InvoiceState, Movement, PaymentState};
use dun_core::terms::Installment;
use dun_core::{Currency, Date};
use serde::Serialize;

use crate::daily_totals::Dues;
use crate::db::{Param, Row, Tx};
use crate::error::StoreError;
use crate::params;

const ENTRY_COLUMNS: [&str; 12] = [
    "org_id",
    "customer_id",
    "currency",
    "kind",
    "invoice_id",
    "payment_id",
    "document_id",
    "effective_date",
    "ar_minor",
    "credit_minor",
    "recorded_at",
    "id",
];

pub(crate) fn currency(code: &str) -> Result<Currency, StoreError> {
    Currency::parse(code).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn kind(text: &str) -> Result<EntryKind, StoreError> {
    EntryKind::parse(text).ok_or_else(|| StoreError::Corrupt(format!("entry kind '{text}'")))
}

/// Inserts entries as they are, and adds them to the daily totals the
/// figures read (`daily_totals.rs`). The caller keeps the invoices' and
/// payments' derived figures right.
pub(crate) fn insert(
    tx: &mut Tx<'_>,
    org_id: i64,
    entries: &[Entry],
    now: &str,
) -> Result<(), StoreError> {
    insert_knowing(tx, org_id, entries, now, &Dues::new())
}

/// As [`insert`], given the due dates of (some of) the entries' invoices,
/// which are then not read back.
pub(crate) fn insert_knowing(
    tx: &mut Tx<'_>,
    org_id: i64,
    entries: &[Entry],
    now: &str,
    dues: &Dues,
) -> Result<(), StoreError> {
    // Nothing is posted into a period the owner closed.
    if let Some(earliest) = entries.iter().map(|e| e.effective_date).min() {
        crate::period::require_open(tx, org_id, earliest)?;
    }
    let mut rows: Vec<Param<'_>> = Vec::with_capacity(entries.len() * 11);
    for e in entries {
        rows.extend_from_slice(&[
            org_id.into(),
            e.customer_id.into(),
            e.currency.code().into(),
            e.kind.as_str().into(),
            e.invoice_id.into(),
            e.payment_id.into(),
            e.document_id.into(),
            i64::from(e.effective_date.day_number()).into(),
            e.ar_minor.into(),
            e.credit_minor.into(),
            now.into(),
        ]);
    }
    crate::bulk::insert(
        tx,
        "ledger_entries",
        &ENTRY_COLUMNS[..11],
        &rows,
        None,
        |_| Ok(()),
    )?;
    crate::daily_totals::add(tx, org_id, entries, dues)
}

/// Appends entries and updates, in the same transaction, the figures
/// derived from them: each invoice's open amount, last entry date and
/// void status, and each payment's unallocated amount and reversal.
pub(crate) fn post(
    tx: &mut Tx<'_>,
    org_id: i64,
    entries: &[Entry],
    now: &str,
) -> Result<(), StoreError> {
    post_moving(tx, org_id, entries, now, None)
}

/// As [`post`], for the first entries of a payment whose row this
/// transaction has just inserted with its figures already what these
/// entries make them: that row is not written a second time.
pub(crate) fn post_for_new_payment(
    tx: &mut Tx<'_>,
    org_id: i64,
    entries: &[Entry],
    now: &str,
    payment_id: i64,
) -> Result<(), StoreError> {
    post_moving(tx, org_id, entries, now, Some(payment_id))
}

fn post_moving(
    tx: &mut Tx<'_>,
    org_id: i64,
    entries: &[Entry],
    now: &str,
    written: Option<i64>,
) -> Result<(), StoreError> {
    insert(tx, org_id, entries, now)?;
    let mut invoices: BTreeMap<i64, (i64, i32, bool)> = BTreeMap::new();
    let mut payments: BTreeMap<i64, (i64, bool)> = BTreeMap::new();
    for e in entries {
        if let Some(id) = e.invoice_id {
            let slot = invoices.entry(id).or_insert((0, i32::MIN, false));
            slot.0 += e.ar_minor;
            slot.1 = slot.1.max(e.effective_date.day_number());
            slot.2 |= e.kind == EntryKind::InvoiceVoided;
        }
        if let Some(id) = e.payment_id {
            let slot = payments.entry(id).or_insert((0, false));
            slot.0 += e.credit_minor;
            slot.1 |= e.kind == EntryKind::PaymentReversed;
        }
    }
    let moves: Vec<(i64, i64, i64)> = invoices
        .iter()
        .map(|(id, (delta, last, _))| (*id, *delta, i64::from(*last)))
        .collect();
    crate::bulk::move_invoices(tx, org_id, &moves)?;
    for (id, _) in invoices.iter().filter(|(_, (_, _, voided))| *voided) {
        tx.execute(
            "UPDATE invoices SET status = 'void' WHERE org_id = $1 AND id = $2",
            params![org_id, *id],
        )?;
    }
    for (id, (delta, reversed)) in payments {
        if Some(id) == written {
            continue;
        }
        tx.execute(
            "UPDATE payments SET unallocated_minor = unallocated_minor + $1,
                status = CASE WHEN $2 = 1 THEN 'reversed' ELSE status END
             WHERE org_id = $3 AND id = $4",
            params![delta, i64::from(reversed), org_id, id],
        )?;
    }
    Ok(())
}

pub(crate) const INVOICE_HEADER: &str =
    "id, number, customer_id, currency, status, issue_date, due_date, total_minor, schedule";

/// Reads an invoice header (the columns of [`INVOICE_HEADER`]) with no movements yet.
pub(crate) fn invoice_header(r: &Row<'_>) -> Result<InvoiceState, StoreError> {
    let id = r.i64(0)?;
    let status = r.string(4)?;
    let due_date = Date::from_day_number(r.i64(6)? as i32);
    let total_minor = r.i64(7)?;
    let schedule = match r.opt_string(8)? {
        Some(json) => serde_json::from_str(&json)?,
        None => vec![Installment {
            due_date,
            amount_minor: total_minor,
        }],
    };
    Ok(InvoiceState {
        id,
        number: r.opt_string(1)?.unwrap_or_else(|| format!("draft #{id}")),
        customer_id: r.i64(2)?,
        currency: currency(&r.string(3)?)?,
        status: DocumentStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("invoice status '{status}'")))?,
        issue_date: Date::from_day_number(r.i64(5)? as i32),
        total_minor,
        schedule,
        movements: Vec::new(),
        // Read by the run's loader, the one reader that needs it.
        ladder_from: None,
    })
}

/// Loads the invoices matching `condition` (SQL over table `invoices`,
/// using `$2`… for `params`; `$1` is the organisation) with all their
/// movements.
pub(crate) fn invoice_states(
    tx: &mut Tx<'_>,
    org_id: i64,
    condition: &str,
    params: &[Param<'_>],
) -> Result<BTreeMap<i64, InvoiceState>, StoreError> {
    let mut all: Vec<Param<'_>> = vec![org_id.into()];
    all.extend_from_slice(params);
    let mut states: BTreeMap<i64, InvoiceState> = tx
        .query(
            &format!("SELECT {INVOICE_HEADER} FROM invoices WHERE org_id = $1 AND {condition}"),
            &all,
            invoice_header,
        )?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    if states.is_empty() {
        return Ok(states);
    }
    load_movements(
        tx,
        &mut states,
        &format!("invoice_id IN (SELECT id FROM invoices WHERE org_id = $1 AND {condition})"),
        &all,
    )?;
    Ok(states)
}

/// Adds to `states` the movements of the entries matching `condition`
/// (SQL over `ledger_entries`; `$1` is the organisation, the first of
/// `params`), in the order they were posted.
pub(crate) fn load_movements(
    tx: &mut Tx<'_>,
    states: &mut BTreeMap<i64, InvoiceState>,
    condition: &str,
    params: &[Param<'_>],
) -> Result<(), StoreError> {
    tx.query_each(
        &format!(
            "SELECT invoice_id, effective_date, kind, ar_minor FROM ledger_entries
             WHERE org_id = $1 AND {condition}
             ORDER BY id"
        ),
        params,
        |r| {
            let kind = r.string(2)?;
            if let Some(state) = states.get_mut(&r.i64(0)?) {
                state.movements.push(Movement {
                    effective_date: Date::from_day_number(r.i64(1)? as i32),
                    kind: EntryKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("entry kind '{kind}'")))?,
                    ar_minor: r.i64(3)?,
                });
            }
            Ok(())
        },
    )
}

pub(crate) fn invoice_state(
    tx: &mut Tx<'_>,
    org_id: i64,
    invoice_id: i64,
) -> Result<InvoiceState, StoreError> {
    invoice_states(tx, org_id, "id = $2", params![invoice_id])?
        .remove(&invoice_id)
        .ok_or_else(|| StoreError::not_found("invoice", format!("#{invoice_id}")))
}

pub(crate) fn payment_state(
    tx: &mut Tx<'_>,
    org_id: i64,
    payment_id: i64,
) -> Result<PaymentState, StoreError> {
    tx.query_opt(
        "SELECT id, customer_id, currency, received_date, amount_minor, unallocated_minor, status
         FROM payments WHERE org_id = $1 AND id = $2",
        params![org_id, payment_id],
        |r| {
            Ok(PaymentState {
                id: r.i64(0)?,
                customer_id: r.i64(1)?,
                currency: currency(&r.string(2)?)?,
                received_date: Date::from_day_number(r.i64(3)? as i32),
                amount_minor: r.i64(4)?,
                unallocated_minor: r.i64(5)?,
                reversed: r.string(6)? == "reversed",
            })
        },
    )?
    .ok_or_else(|| StoreError::not_found("payment", format!("#{payment_id}")))
}

/// An entry as stored, for statements, exports and checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredEntry {
    pub id: i64,
    #[serde(flatten)]
    pub entry: Entry,
    pub recorded_at: String,
}

pub(crate) fn entries(
    tx: &mut Tx<'_>,
    org_id: i64,
    condition: &str,
    params: &[Param<'_>],
) -> Result<Vec<StoredEntry>, StoreError> {
    let mut all: Vec<Param<'_>> = vec![org_id.into()];
    all.extend_from_slice(params);
    tx.query(
        &format!(
            "SELECT id, customer_id, currency, kind, invoice_id, payment_id, document_id,
                effective_date, ar_minor, credit_minor, recorded_at
             FROM ledger_entries WHERE org_id = $1 AND {condition} ORDER BY id"
        ),
        &all,
        |r| {
            let kind = r.string(3)?;
            Ok(StoredEntry {
                id: r.i64(0)?,
                entry: Entry {
                    customer_id: r.i64(1)?,
                    currency: currency(&r.string(2)?)?,
                    kind: EntryKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("entry kind '{kind}'")))?,
                    invoice_id: r.opt_i64(4)?,
                    payment_id: r.opt_i64(5)?,
                    document_id: r.opt_i64(6)?,
                    effective_date: Date::from_day_number(r.i64(7)? as i32),
                    ar_minor: r.i64(8)?,
                    credit_minor: r.i64(9)?,
                },
                recorded_at: r.string(10)?,
            })
        },
    )
}

impl crate::Store {
    /// Every ledger entry of the organisation, oldest first.
    pub fn entries(&mut self, org_id: i64) -> Result<Vec<StoredEntry>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        entries(&mut tx, org_id, "1 = 1", &[])
    }

    /// Every issued or voided invoice of the organisation, as the domain
    /// sees it (header, due schedule and movements), by id. Drafts are left
    /// out: nothing is posted on them. With [`Store::entries`] this is what
    /// [`dun_core::book::aging_from_entries`] needs to rebuild any aging.
    pub fn invoice_states(
        &mut self,
        org_id: i64,
    ) -> Result<BTreeMap<i64, InvoiceState>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        invoice_states(&mut tx, org_id, "status <> 'draft'", &[])
    }

    /// The charges posted on each of a customer's open invoices — late
    /// fees, interest and the law's compensation, each less its reversals —
    /// by invoice id, so a page can say why an invoice's open amount is
    /// more than its total. Invoices with no charge are left out.
    pub fn open_invoice_charges(
        &mut self,
        org_id: i64,
        customer_id: i64,
    ) -> Result<BTreeMap<i64, Vec<(EntryKind, i64)>>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let mut charges: BTreeMap<i64, Vec<(EntryKind, i64)>> = BTreeMap::new();
        tx.query_each(
            "SELECT e.invoice_id, e.kind, CAST(SUM(e.ar_minor) AS BIGINT)
             FROM invoices i CROSS JOIN ledger_entries e
             WHERE i.org_id = $1 AND i.customer_id = $2 AND i.open_minor <> 0
               AND e.org_id = i.org_id AND e.invoice_id = i.id
               AND e.kind IN ('fee', 'interest', 'compensation')
             GROUP BY e.invoice_id, e.kind
             ORDER BY e.invoice_id, e.kind",
            params![org_id, customer_id],
            |r| {
                let amount_minor = r.i64(2)?;
                if amount_minor != 0 {
                    charges
                        .entry(r.i64(0)?)
                        .or_default()
                        .push((kind(&r.string(1)?)?, amount_minor));
                }
                Ok(())
            },
        )?;
        Ok(charges)
    }

    /// Checks that the figures kept beside the ledger (invoices' open
    /// amounts, payments' unallocated amounts, the daily totals) equal the
    /// sums of its entries. Returns a description of every disagreement
    /// (none is good).
    pub fn verify(&mut self, org_id: i64) -> Result<Vec<String>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let mut problems = crate::daily_totals::check(&mut tx, org_id)?;
        tx.query_each(
            "SELECT i.id, i.open_minor, COALESCE(CAST(SUM(e.ar_minor) AS BIGINT), 0) FROM invoices i
             LEFT JOIN ledger_entries e ON e.org_id = i.org_id AND e.invoice_id = i.id
             WHERE i.org_id = $1 GROUP BY i.id, i.open_minor
             HAVING i.open_minor <> COALESCE(CAST(SUM(e.ar_minor) AS BIGINT), 0)",
            params![org_id],
            |r| {
                problems.push(format!("invoice #{} keeps {} open but its entries sum to {}", r.i64(0)?, r.i64(1)?, r.i64(2)?));
                Ok(())
            },
        )?;
        tx.query_each(
            "SELECT p.id, p.unallocated_minor, COALESCE(CAST(SUM(e.credit_minor) AS BIGINT), 0) FROM payments p
             LEFT JOIN ledger_entries e ON e.org_id = p.org_id AND e.payment_id = p.id
             WHERE p.org_id = $1 GROUP BY p.id, p.unallocated_minor
             HAVING p.unallocated_minor <> COALESCE(CAST(SUM(e.credit_minor) AS BIGINT), 0)",
            params![org_id],
            |r| {
                problems.push(format!("payment #{} keeps {} unallocated but its entries sum to {}", r.i64(0)?, r.i64(1)?, r.i64(2)?));
                Ok(())
            },
        )?;
        Ok(problems)
    }
}
