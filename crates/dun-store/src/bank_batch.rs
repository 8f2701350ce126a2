//! Matched credits posted together, for `bank.rs`.
//!
//! A credit a rule matched in full — its allocations take the whole
//! amount, so no credit is left for the policy to apply — becomes the same
//! payment, entries and timeline entry as through
//! [`payments::record_in`], but many at a time: the customers are locked
//! (in id order), the named invoices read once under those locks, every
//! payment planned in memory by the domain (`posting::receive`,
//! `posting::allocate`) against the invoices as the earlier credits left
//! them, then written in multi-row statements. A statement of a hundred
//! thousand lines is a few hundred statements, not a million.
//!
//! A credit the ledger refuses (the invoice moved since the matcher read
//! it) is not posted; the caller leaves it for a person, as it does when
//! `record_in` refuses.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use dun_core::bank::matching::{Allocation, Reason, Rule};
use dun_core::bank::BankLine;
use dun_core::ledger::Entry;
use dun_core::posting::{self, AllocationRequest};
use dun_core::state::{InvoiceState, PaymentState};

use crate::db::{placeholders, Param, Tx};
use crate::error::StoreError;
use crate::payments::{self, Allocated, NewPayment};
use crate::timeline::{self, NewEntry};
use crate::{bulk, customers, entries};

/// Most ids bound in one `IN (…)` list.
const IDS_PER_QUERY_MAX: usize = 500;

/// A credit a rule matched in full, waiting to be posted.
pub(crate) struct MatchedCredit<'a> {
    /// The bank transaction's id.
    pub line_id: i64,
    /// Where the line stands in the file (1-based, across its statements):
    /// kept as the payment's `import_row`.
    pub file_line: i64,
    pub line: &'a BankLine,
    pub customer_id: i64,
    pub allocations: Vec<Allocation>,
    pub rule: Rule,
    pub reasons: Vec<Reason>,
}

impl MatchedCredit<'_> {
    /// Whether posting it leaves no credit: what the batch takes.
    pub fn is_whole(line: &BankLine, allocations: &[Allocation], credit_minor: i64) -> bool {
        credit_minor == 0
            && !allocations.is_empty()
            && allocations.iter().map(|a| a.amount_minor).sum::<i64>() == line.amount_minor
    }

    fn payment(&self) -> NewPayment {
        let l = self.line;
        crate::bank::payment_of(
            l.bank_ref.as_deref(),
            &l.remittance,
            l.booked,
            l.currency,
            l.amount_minor,
        )
    }
}

/// What became of one credit of a batch.
pub(crate) enum Posted {
    /// Posted as this payment.
    Paid(i64),
    /// Refused by a rule of the ledger, in its words.
    Refused(String),
}

/// One planned payment: what the ledger will hold once it is written.
struct Planned {
    payment: NewPayment,
    entries: Vec<Entry>,
    allocated: Vec<Allocated>,
}

/// Credits waiting to be posted, and the customers this transaction has
/// locked already.
#[derive(Default)]
pub(crate) struct Batch<'a> {
    credits: Vec<MatchedCredit<'a>>,
    locked: BTreeSet<i64>,
}

impl<'a> Batch<'a> {
    pub fn push(&mut self, credit: MatchedCredit<'a>) {
        self.credits.push(credit);
    }

    pub fn len(&self) -> usize {
        self.credits.len()
    }

    /// Posts every credit pushed so far; what became of each, in order.
    pub fn post(
        &mut self,
        tx: &mut Tx<'_>,
        org_id: i64,
        now: &str,
        author: &str,
    ) -> Result<Vec<(MatchedCredit<'a>, Posted)>, StoreError> {
        let credits = std::mem::take(&mut self.credits);
        if credits.is_empty() {
            return Ok(Vec::new());
        }
        // Every posting takes its customer's lock before it reads; in id
        // order, so two imports never wait on each other in a circle.
        let customers: BTreeSet<i64> = credits.iter().map(|c| c.customer_id).collect();
        for &customer_id in customers.difference(&self.locked) {
            customers::lock(tx, org_id, customer_id)?;
        }
        self.locked.extend(customers);
        let mut states = invoice_states(tx, org_id, &credits)?;
        let mut plans: Vec<Result<Planned, String>> = Vec::with_capacity(credits.len());
        for (k, credit) in credits.iter().enumerate() {
            plans.push(plan(-(k as i64) - 1, credit, &mut states)?);
        }
        let ids = insert_payments(tx, org_id, &credits, &plans, now)?;
        let mut entries: Vec<Entry> = Vec::new();
        let mut timeline_rows: Vec<(usize, String, serde_json::Value, Vec<i64>)> = Vec::new();
        for (k, planned) in plans.iter().enumerate() {
            let (Ok(planned), Some(&id)) = (planned, ids.get(&credits[k].file_line)) else {
                continue;
            };
            entries.extend(planned.entries.iter().map(|e| Entry {
                payment_id: Some(id),
                ..e.clone()
            }));
            timeline_rows.push((
                k,
                payments::timeline_summary(&planned.payment, &planned.allocated),
                payments::timeline_detail(id, &planned.payment),
                planned.allocated.iter().map(|a| a.invoice_id).collect(),
            ));
        }
        crate::import::flush_allocations(tx, org_id, &entries, now)?;
        let rows: Vec<NewEntry<'_>> = timeline_rows
            .iter()
            .map(|(k, summary, detail, invoice_ids)| NewEntry {
                customer_id: credits[*k].customer_id,
                on_date: credits[*k].line.booked,
                kind: "payment",
                author,
                summary,
                detail: detail.clone(),
                invoice_ids,
            })
            .collect();
        timeline::log_many(tx, org_id, now, &rows)?;
        Ok(credits
            .into_iter()
            .zip(plans)
            .map(|(credit, planned)| {
                let posted = match planned {
                    Ok(_) => Posted::Paid(ids[&credit.file_line]),
                    Err(refusal) => Posted::Refused(refusal),
                };
                (credit, posted)
            })
            .collect())
    }
}

/// The invoices the credits name, with their movements, as the ledger
/// holds them now.
fn invoice_states(
    tx: &mut Tx<'_>,
    org_id: i64,
    credits: &[MatchedCredit<'_>],
) -> Result<BTreeMap<i64, InvoiceState>, StoreError> {
    let ids: BTreeSet<i64> = credits
        .iter()
        .flat_map(|c| c.allocations.iter().map(|a| a.invoice_id))
        .collect();
    let ids: Vec<i64> = ids.into_iter().collect();
    let mut states = BTreeMap::new();
    for chunk in ids.chunks(IDS_PER_QUERY_MAX) {
        let bound: Vec<Param<'_>> = chunk.iter().map(|&id| Param::from(id)).collect();
        states.extend(entries::invoice_states(
            tx,
            org_id,
            &format!("id IN ({})", placeholders(2, chunk.len())),
            &bound,
        )?);
    }
    Ok(states)
}

/// Plans one credit as `record_in` would post it (under a provisional
/// payment id), moving `states` by its allocations; a refusal of the
/// ledger's, in its words, leaves them as they were.
fn plan(
    provisional_id: i64,
    credit: &MatchedCredit<'_>,
    states: &mut BTreeMap<i64, InvoiceState>,
) -> Result<Result<Planned, String>, StoreError> {
    let payment = credit.payment();
    for (field, value) in [
        ("method", &payment.method),
        ("reference", &payment.reference),
        ("note", &payment.note),
    ] {
        payments::check_text(field, value)?;
    }
    let mut state = PaymentState {
        id: provisional_id,
        customer_id: credit.customer_id,
        currency: payment.currency,
        received_date: payment.received_date,
        amount_minor: payment.amount_minor,
        unallocated_minor: 0,
        reversed: false,
    };
    let received = match posting::receive(&state) {
        Ok(e) => e,
        Err(e) => return Ok(Err(e.to_string())),
    };
    state.apply(&received);
    let request = AllocationRequest::Explicit(
        credit
            .allocations
            .iter()
            .map(|a| (a.invoice_id, a.amount_minor))
            .collect(),
    );
    let planned = {
        let Some(refs) = credit
            .allocations
            .iter()
            .map(|a| states.get(&a.invoice_id))
            .collect::<Option<Vec<&InvoiceState>>>()
        else {
            return Ok(Err("an invoice it names is not in the book".into()));
        };
        match posting::allocate(&state, &refs, &request, payment.received_date) {
            Ok(planned) => planned,
            Err(e) => return Ok(Err(e.to_string())),
        }
    };
    let mut allocated = Vec::with_capacity(planned.len());
    for e in &planned {
        let Some(invoice) = e.invoice_id.and_then(|id| states.get_mut(&id)) else {
            continue;
        };
        invoice.apply(e);
        allocated.push(Allocated {
            invoice_id: invoice.id,
            number: invoice.number.clone(),
            amount_minor: -e.ar_minor,
        });
    }
    let mut entries = Vec::with_capacity(planned.len() + 1);
    entries.push(received);
    entries.extend(planned);
    Ok(Ok(Planned {
        payment,
        entries,
        allocated,
    }))
}

/// Inserts the planned payments (fully allocated: nothing unallocated);
/// their ids by `file_line`.
fn insert_payments(
    tx: &mut Tx<'_>,
    org_id: i64,
    credits: &[MatchedCredit<'_>],
    plans: &[Result<Planned, String>],
    now: &str,
) -> Result<HashMap<i64, i64>, StoreError> {
    let mut rows: Vec<Param<'_>> = Vec::with_capacity(plans.len() * 11);
    for (credit, planned) in credits.iter().zip(plans) {
        let Ok(planned) = planned else { continue };
        let p = &planned.payment;
        let unallocated: i64 = planned.entries.iter().map(|e| e.credit_minor).sum();
        rows.extend_from_slice(&[
            org_id.into(),
            credit.customer_id.into(),
            p.currency.code().into(),
            i64::from(p.received_date.day_number()).into(),
            p.amount_minor.into(),
            p.method.as_str().into(),
            p.reference.as_str().into(),
            unallocated.into(),
            "received".into(),
            credit.file_line.into(),
            now.into(),
        ]);
    }
    let mut ids = HashMap::with_capacity(plans.len());
    bulk::insert(
        tx,
        "payments",
        &payments::IMPORTED_COLUMNS,
        &rows,
        Some("id, import_row"),
        |r| {
            ids.insert(r.i64(1)?, r.i64(0)?);
            Ok(())
        },
    )?;
    Ok(ids)
}
