//! Payment plans: a customer's open invoices turned into dated
//! installments. While a plan is current the run duns each installment on
//! its own due date instead of the invoices; a missed installment breaks it
//! (the run decides that) and the ladder resumes.

use dun_core::collections::plan::{Plan, PlanStatus};
use dun_core::money::format_minor;
use dun_core::terms::Installment;
use dun_core::{Currency, Date};
use serde::{Deserialize, Serialize};

use crate::db::{Param, Tx};
use crate::error::StoreError;
use crate::records::{
    check_amount, check_author, customer_invoices, ids_json, locked_customer, numbers_of,
    InvoiceRule, RECORDS_LIST_MAX, RECORD_INVOICES_MAX,
};
use crate::timeline::{self, NewEntry};
use crate::{customers, entries, idempotency, params, Store};

/// Most installments one plan may have (ten years of monthly payments).
pub const PLAN_INSTALLMENTS_MAX: usize = 120;

/// Days between the installments of an even split when none are given.
pub const SPLIT_EVERY_DAYS_DEFAULT: u32 = 30;

/// A plan as a person proposes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPlan {
    pub customer_ref: String,
    /// The invoices it covers: all open, one currency, the customer's.
    pub invoices: PlanInvoices,
    pub installments: PlanInstallments,
    pub created_on: Date,
    pub author: String,
}

/// Which invoices a plan covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanInvoices {
    /// These, by number.
    Named(Vec<String>),
    /// Every invoice of the customer in this currency with something open
    /// when the plan is made, read under the plan's lock.
    AllOpenIn(Currency),
}

impl From<Vec<String>> for PlanInvoices {
    fn from(numbers: Vec<String>) -> Self {
        PlanInvoices::Named(numbers)
    }
}

impl FromIterator<String> for PlanInvoices {
    fn from_iter<I: IntoIterator<Item = String>>(numbers: I) -> Self {
        PlanInvoices::Named(numbers.into_iter().collect())
    }
}

/// How a plan's installments are given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanInstallments {
    /// Dated amounts, in increasing date order, adding up exactly to what
    /// the invoices have open.
    Given(Vec<Installment>),
    /// What the invoices have open — read under the plan's lock, in the
    /// plan's transaction — in equal installments ([`split_evenly`]).
    Split(Split),
}

impl From<Vec<Installment>> for PlanInstallments {
    fn from(list: Vec<Installment>) -> Self {
        PlanInstallments::Given(list)
    }
}

impl FromIterator<Installment> for PlanInstallments {
    fn from_iter<I: IntoIterator<Item = Installment>>(list: I) -> Self {
        PlanInstallments::Given(list.into_iter().collect())
    }
}

/// "Split what is open N ways": `count` installments, the first on
/// `first`, then every `every_days` days ([`SPLIT_EVERY_DAYS_DEFAULT`]
/// when not given).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    pub count: u32,
    pub first: Date,
    pub every_days: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRecord {
    pub id: i64,
    pub customer_id: i64,
    pub customer_ref: String,
    pub currency: Currency,
    pub invoice_ids: Vec<i64>,
    pub invoices: Vec<String>,
    pub installments: Vec<Installment>,
    pub created_on: Date,
    /// What the invoices had open when the plan was made.
    pub opening_minor: i64,
    /// `active`, `completed` or `defaulted`.
    pub status: String,
    pub defaulted_on: Option<Date>,
}

impl Split {
    /// `total_minor` split as asked; a refusal names the field `split`.
    pub fn of(&self, total_minor: i64) -> Result<Vec<Installment>, StoreError> {
        split_evenly(
            total_minor,
            self.count,
            self.first,
            self.every_days.unwrap_or(SPLIT_EVERY_DAYS_DEFAULT),
        )
        .map_err(|e| match e {
            StoreError::Invalid(m) => StoreError::Invalid(format!("split: {m}")),
            e => e,
        })
    }
}

/// `total_minor` in `count` installments every `every_days` days from
/// `first`, as equal as minor units allow: the remainder goes one unit each
/// to the first installments (100.00 in 3 is 33.34, 33.33, 33.33).
pub fn split_evenly(
    total_minor: i64,
    count: u32,
    first: Date,
    every_days: u32,
) -> Result<Vec<Installment>, StoreError> {
    if count == 0 || count as usize > PLAN_INSTALLMENTS_MAX {
        return Err(StoreError::Invalid(format!(
            "a plan has 1 to {PLAN_INSTALLMENTS_MAX} installments (got {count})"
        )));
    }
    if every_days == 0 && count > 1 {
        return Err(StoreError::Invalid(
            "installments must be at least one day apart".into(),
        ));
    }
    let n = i64::from(count);
    if total_minor < n {
        return Err(StoreError::Invalid(format!(
            "{total_minor} minor units cannot be split into {count} installments"
        )));
    }
    let (base, remainder) = (total_minor / n, total_minor % n);
    Ok((0..n)
        .map(|i| Installment {
            due_date: first.add_days((i * i64::from(every_days)) as i32),
            amount_minor: base + i64::from(i < remainder),
        })
        .collect())
}

/// Plans as the domain reads them (`condition` on `payment_plans`, with
/// `$1` the organisation and `$2`… from `more`), oldest first.
pub(crate) fn domain_plans(
    tx: &mut Tx<'_>,
    org_id: i64,
    condition: &str,
    more: &[Param<'_>],
) -> Result<Vec<Plan>, StoreError> {
    let mut all: Vec<Param<'_>> = vec![org_id.into()];
    all.extend_from_slice(more);
    tx.query(
        &format!(
            "SELECT id, customer_id, currency, invoice_ids, installments, created_on, opening_minor,
                status, defaulted_on
             FROM payment_plans WHERE org_id = $1 AND {condition} ORDER BY id"
        ),
        &all,
        |r| {
            let status = r.string(7)?;
            Ok(Plan {
                id: r.i64(0)?,
                customer_id: r.i64(1)?,
                currency: entries::currency(&r.string(2)?)?,
                invoice_ids: serde_json::from_str(&r.string(3)?)?,
                installments: serde_json::from_str(&r.string(4)?)?,
                created_on: Date::from_day_number(r.i64(5)? as i32),
                opening_minor: r.i64(6)?,
                status: match status.as_str() {
                    "active" => PlanStatus::Active,
                    "defaulted" => PlanStatus::Defaulted,
                    "completed" => PlanStatus::Completed,
                    other => return Err(StoreError::Corrupt(format!("plan status '{other}'"))),
                },
                defaulted_on: r.opt_i64(8)?.map(|d| Date::from_day_number(d as i32)),
            })
        },
    )
}

fn plans_where(
    tx: &mut Tx<'_>,
    org_id: i64,
    condition: &str,
    more: &[Param<'_>],
) -> Result<Vec<PlanRecord>, StoreError> {
    let mut all: Vec<Param<'_>> = vec![org_id.into(), RECORDS_LIST_MAX.into()];
    all.extend_from_slice(more);
    let mut rows = tx.query(
        &format!(
            "SELECT p.id, p.customer_id, c.ref, p.currency, p.invoice_ids, p.installments, p.created_on,
                p.opening_minor, p.status, p.defaulted_on
             FROM payment_plans p JOIN customers c ON c.id = p.customer_id AND c.org_id = p.org_id
             WHERE p.org_id = $1 AND {condition} ORDER BY p.id DESC LIMIT $2"
        ),
        &all,
        |r| {
            Ok(PlanRecord {
                id: r.i64(0)?,
                customer_id: r.i64(1)?,
                customer_ref: r.string(2)?,
                currency: entries::currency(&r.string(3)?)?,
                invoice_ids: serde_json::from_str(&r.string(4)?)?,
                invoices: Vec::new(),
                installments: serde_json::from_str(&r.string(5)?)?,
                created_on: Date::from_day_number(r.i64(6)? as i32),
                opening_minor: r.i64(7)?,
                status: r.string(8)?,
                defaulted_on: r.opt_i64(9)?.map(|d| Date::from_day_number(d as i32)),
            })
        },
    )?;
    for p in &mut rows {
        p.invoices = numbers_of(tx, org_id, &p.invoice_ids)?;
    }
    Ok(rows)
}

/// Checks what can be checked before the plan's transaction: the
/// invoices named, and the installments given or the split asked for.
fn check_plan(plan: &NewPlan) -> Result<(), StoreError> {
    if matches!(&plan.invoices, PlanInvoices::Named(numbers) if numbers.is_empty()) {
        return Err(StoreError::Invalid(
            "invoices: name the invoices the plan covers".into(),
        ));
    }
    match &plan.installments {
        PlanInstallments::Given(list) => check_installments(list, plan.created_on),
        PlanInstallments::Split(split) => {
            // The amounts come under the lock; the count and the dates are
            // checked now, on a split of the least that can be split.
            check_installments(&split.of(i64::from(split.count.max(1)))?, plan.created_on)
        }
    }
}

fn check_installments(list: &[Installment], created_on: Date) -> Result<(), StoreError> {
    if list.is_empty() || list.len() > PLAN_INSTALLMENTS_MAX {
        return Err(StoreError::Invalid(format!(
            "a plan has 1 to {PLAN_INSTALLMENTS_MAX} installments (got {})",
            list.len()
        )));
    }
    for (i, part) in list.iter().enumerate() {
        check_amount(&format!("installment {}", i + 1), part.amount_minor)?;
        if part.due_date < created_on {
            return Err(StoreError::Invalid(format!(
                "installment {} is due {}, before the plan is made ({})",
                i + 1,
                part.due_date,
                created_on
            )));
        }
        if i > 0 && part.due_date <= list[i - 1].due_date {
            return Err(StoreError::Invalid(format!(
                "installment {} is due {}, not after installment {} ({}); list them in date order",
                i + 1,
                part.due_date,
                i,
                list[i - 1].due_date
            )));
        }
    }
    Ok(())
}

impl Store {
    /// Puts open invoices on a payment plan. The installments must add up
    /// exactly to what the invoices have open. Logged as `plan`.
    pub fn create_plan(
        &mut self,
        org_id: i64,
        plan: &NewPlan,
        key: Option<&str>,
    ) -> Result<PlanRecord, StoreError> {
        let author = check_author(&plan.author)?.to_string();
        check_plan(plan)?;
        let now = self.now_utc();
        let tx = self.conn().transaction()?;
        idempotency::run(tx, org_id, key, "plan.create", plan, &now, |tx| {
            let customer = locked_customer(tx, org_id, &plan.customer_ref)?;
            let numbers = match &plan.invoices {
                PlanInvoices::Named(numbers) => numbers.clone(),
                PlanInvoices::AllOpenIn(currency) => {
                    let numbers = tx.query(
                        "SELECT number FROM invoices
                         WHERE org_id = $1 AND customer_id = $2 AND currency = $3
                           AND status = 'issued' AND open_minor > 0 AND number IS NOT NULL
                         ORDER BY issue_date, id LIMIT $4",
                        params![
                            org_id,
                            customer.id,
                            currency.code(),
                            RECORD_INVOICES_MAX as i64
                        ],
                        |r| r.string(0),
                    )?;
                    if numbers.is_empty() {
                        return Err(StoreError::Invalid(format!(
                            "invoices: {} has no open invoice in {currency} to put on a plan",
                            customer.reference
                        )));
                    }
                    numbers
                }
            };
            let states = customer_invoices(
                tx,
                org_id,
                &customer,
                &numbers,
                &InvoiceRule {
                    open: true,
                    currency: None,
                },
            )?;
            let currency = states[0].currency;
            if let Some(other) = states.iter().find(|s| s.currency != currency) {
                return Err(StoreError::Invalid(format!(
                    "invoice {} is in {}, invoice {} in {currency}; a plan is in one currency",
                    other.number, other.currency, states[0].number
                )));
            }
            let active = tx.query(
                "SELECT id, invoice_ids FROM payment_plans
                 WHERE org_id = $1 AND customer_id = $2 AND status = 'active'",
                params![org_id, customer.id],
                |r| Ok((r.i64(0)?, r.string(1)?)),
            )?;
            for (id, ids) in active {
                let ids: Vec<i64> = serde_json::from_str(&ids)?;
                if let Some(s) = states.iter().find(|s| ids.contains(&s.id)) {
                    return Err(StoreError::Conflict(format!(
                        "invoice {} is already on plan #{id}",
                        s.number
                    )));
                }
            }
            let opening: i64 = states.iter().map(|s| s.open_minor()).sum();
            let installments = match &plan.installments {
                PlanInstallments::Given(list) => list.clone(),
                PlanInstallments::Split(split) => split.of(opening)?,
            };
            let planned: i64 = installments.iter().map(|i| i.amount_minor).sum();
            if planned != opening {
                return Err(StoreError::Invalid(format!(
                    "the installments add up to {} {currency} but the invoices have {} {currency} open; they must be equal",
                    format_minor(planned, currency),
                    format_minor(opening, currency)
                )));
            }
            let ids: Vec<i64> = states.iter().map(|s| s.id).collect();
            let numbers: Vec<String> = states.iter().map(|s| s.number.clone()).collect();
            let id = tx
                .query_opt(
                    "INSERT INTO payment_plans (org_id, customer_id, currency, invoice_ids, installments,
                        created_on, opening_minor, status, defaulted_on, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', NULL, $8) RETURNING id",
                    params![
                        org_id,
                        customer.id,
                        currency.code(),
                        ids_json(&ids).as_str(),
                        serde_json::to_string(&installments)?.as_str(),
                        i64::from(plan.created_on.day_number()),
                        opening,
                        now.as_str()
                    ],
                    |r| r.i64(0),
                )?
                .ok_or_else(|| StoreError::Conflict("the plan was not saved".into()))?;
            let first = installments[0];
            let last = installments[installments.len() - 1];
            let summary = format!(
                "Payment plan #{id}: {} {currency} in {} installment(s), {} to {} ({})",
                format_minor(opening, currency),
                installments.len(),
                first.due_date,
                last.due_date,
                numbers.join(", ")
            );
            timeline::log(
                tx,
                org_id,
                &now,
                &NewEntry {
                    customer_id: customer.id,
                    on_date: plan.created_on,
                    kind: "plan",
                    author: &author,
                    summary: &summary,
                    detail: serde_json::json!({
                        "plan_id": id,
                        "currency": currency,
                        "opening_minor": opening,
                        "installments": installments,
                    }),
                    invoice_ids: &ids,
                },
            )?;
            Ok(PlanRecord {
                id,
                customer_id: customer.id,
                customer_ref: customer.reference.clone(),
                currency,
                invoice_ids: ids,
                invoices: numbers,
                installments,
                created_on: plan.created_on,
                opening_minor: opening,
                status: "active".into(),
                defaulted_on: None,
            })
        })
    }

    /// Every plan of the organisation as the domain reads it (the run and
    /// the aging), oldest first.
    pub fn run_plans(&mut self, org_id: i64) -> Result<Vec<Plan>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        domain_plans(&mut tx, org_id, "1 = 1", &[])
    }

    /// Payment plans of one customer or of all, newest first.
    pub fn plans(
        &mut self,
        org_id: i64,
        customer_ref: Option<&str>,
    ) -> Result<Vec<PlanRecord>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        match customer_ref {
            Some(reference) => {
                let customer = customers::by_ref(&mut tx, org_id, reference)?;
                plans_where(&mut tx, org_id, "p.customer_id = $3", params![customer.id])
            }
            None => plans_where(&mut tx, org_id, "1 = 1", &[]),
        }
    }
}

#[cfg(test)]
// Minor units written as major_minor (100_00 is 100.00) read as money.
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;

    #[test]
    fn an_even_split_puts_the_remainder_first() {
        let first = Date::parse("2026-03-01").unwrap();
        let parts = split_evenly(100_00, 3, first, 30).unwrap();
        let amounts: Vec<i64> = parts.iter().map(|p| p.amount_minor).collect();
        assert_eq!(amounts, vec![33_34, 33_33, 33_33]);
        assert_eq!(parts[2].due_date, Date::parse("2026-04-30").unwrap());
        assert!(split_evenly(2, 3, first, 30).is_err());
        assert!(split_evenly(100, 0, first, 30).is_err());
    }
}
