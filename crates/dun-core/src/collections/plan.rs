//! Payment plans: open invoices turned into dated installments.
//!
//! While a plan is current, its invoices are owed by the installments'
//! dates, not their own: the aging puts each unpaid installment in the
//! bucket of its own due date, and the run duns, holds and charges by
//! them. Payments on the plan's invoices pay its installments in order.

use serde::Serialize;

use crate::currency::Currency;
use crate::date::Date;
use crate::state::InvoiceState;
use crate::terms::Installment;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Active,
    Completed,
    Defaulted,
}

/// A payment plan: open invoices turned into dated installments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub id: i64,
    pub customer_id: i64,
    pub currency: Currency,
    pub invoice_ids: Vec<i64>,
    pub installments: Vec<Installment>,
    pub created_on: Date,
    /// What the covered invoices had open when the plan was made.
    pub opening_minor: i64,
    pub status: PlanStatus,
    pub defaulted_on: Option<Date>,
}

/// An installment not yet paid in full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnpaidInstallment {
    /// 1-based, as the customer reads it.
    pub number: u32,
    pub due_date: Date,
    pub amount_minor: i64,
    /// What is still to pay of it.
    pub left_minor: i64,
}

/// Part of one covered invoice's open amount, owed on an installment's date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanPart {
    pub invoice_id: i64,
    pub due_date: Date,
    pub amount_minor: i64,
}

/// Where a plan stands on a day, for its invoices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanStanding {
    /// Not active (completed or defaulted before), or not made yet.
    NotInForce,
    /// Everything it covered is paid (the run records it completed).
    Completed,
    /// This installment is too late: the plan breaks (the run records it
    /// defaulted) and the ladder resumes on its invoices.
    Defaulted { installment: u32 },
    /// It stands: its invoices are owed by these installments, and the
    /// ladder leaves them alone.
    Current { unpaid: Vec<UnpaidInstallment> },
}

impl Plan {
    /// What the plan's invoices among `invoices` have open on `as_of`.
    pub fn open_minor<'a>(
        &self,
        invoices: impl IntoIterator<Item = &'a InvoiceState>,
        as_of: Date,
    ) -> i64 {
        invoices
            .into_iter()
            .filter(|i| self.invoice_ids.contains(&i.id))
            .map(|i| i.open_as_of(as_of).max(0))
            .sum()
    }

    /// Where the plan stands on `as_of` when its invoices have
    /// `open_now_minor` open: an installment `default_after_days` late
    /// breaks it.
    pub fn standing(
        &self,
        open_now_minor: i64,
        as_of: Date,
        default_after_days: u32,
    ) -> PlanStanding {
        if self.status != PlanStatus::Active || self.created_on > as_of {
            return PlanStanding::NotInForce;
        }
        let paid = (self.opening_minor - open_now_minor).max(0);
        let total: i64 = self.installments.iter().map(|i| i.amount_minor).sum();
        if paid >= total || open_now_minor == 0 {
            return PlanStanding::Completed;
        }
        let unpaid = self.unpaid(open_now_minor);
        if let Some(first) = unpaid.first() {
            if as_of.days_since(first.due_date) >= default_after_days as i32 {
                return PlanStanding::Defaulted {
                    installment: first.number,
                };
            }
        }
        PlanStanding::Current { unpaid }
    }

    /// Whether the plan stood for its invoices on `date`: made by then and
    /// not defaulted by then. (A completed plan's invoices are paid; on any
    /// earlier day they were open, the plan stood.)
    pub fn covers_on(&self, date: Date) -> bool {
        self.created_on <= date
            && match self.status {
                PlanStatus::Active | PlanStatus::Completed => true,
                PlanStatus::Defaulted => self.defaulted_on.is_none_or(|d| d > date),
            }
    }

    /// The installments not yet paid, in order, when the covered invoices
    /// have `open_now_minor` open: what was paid since the plan was made
    /// pays the installments oldest first.
    pub fn unpaid(&self, open_now_minor: i64) -> Vec<UnpaidInstallment> {
        let paid = (self.opening_minor - open_now_minor).max(0);
        let mut cumulative = 0i64;
        let mut unpaid = Vec::new();
        for (n, inst) in self.installments.iter().enumerate() {
            cumulative += inst.amount_minor;
            if cumulative > paid {
                unpaid.push(UnpaidInstallment {
                    number: n as u32 + 1,
                    due_date: inst.due_date,
                    amount_minor: inst.amount_minor,
                    left_minor: (cumulative - paid).min(inst.amount_minor),
                });
            }
        }
        unpaid
    }

    /// What the plan has due on `date` and not yet paid, per covered
    /// invoice (`(invoice id, open)` in, in the plan's order; each with
    /// the part of its open amount owed by installments due on or before
    /// `date`, possibly 0). Empty when the plan is not in force on `date`
    /// (not active, or made later): its invoices are then owed as
    /// invoices. What a known payer paying "the installment" is matched
    /// against (`bank::matching`).
    pub fn due_by(&self, open_by_invoice: &[(i64, i64)], date: Date) -> Vec<(i64, i64)> {
        if self.status != PlanStatus::Active || self.created_on > date {
            return Vec::new();
        }
        let parts = self.open_parts(open_by_invoice);
        open_by_invoice
            .iter()
            .map(|&(invoice_id, _)| {
                let due = parts
                    .iter()
                    .filter(|p| p.invoice_id == invoice_id && p.due_date <= date)
                    .map(|p| p.amount_minor)
                    .sum();
                (invoice_id, due)
            })
            .collect()
    }

    /// The covered invoices' open amounts (`(invoice id, open)`, in the
    /// plan's order) split over the unpaid installments' dates: each
    /// invoice's parts add up to its open amount. Anything open beyond the
    /// installments (a charge posted after the plan) is owed with the last.
    pub fn open_parts(&self, open_by_invoice: &[(i64, i64)]) -> Vec<PlanPart> {
        let open_now: i64 = open_by_invoice.iter().map(|(_, o)| (*o).max(0)).sum();
        let unpaid = self.unpaid(open_now);
        let last_due = self
            .installments
            .last()
            .map(|i| i.due_date)
            .unwrap_or(self.created_on);
        let mut slots = unpaid.iter().map(|u| (u.due_date, u.left_minor));
        let mut slot = slots.next();
        let mut parts = Vec::new();
        for &(invoice_id, open) in open_by_invoice {
            let mut left = open.max(0);
            while left > 0 {
                let (due_date, take) = match &mut slot {
                    Some((due, room)) => {
                        let take = left.min(*room);
                        *room -= take;
                        (*due, take)
                    }
                    None => (last_due, left),
                };
                if take > 0 {
                    match parts.last_mut() {
                        Some(PlanPart {
                            invoice_id: id,
                            due_date: d,
                            amount_minor,
                        }) if *id == invoice_id && *d == due_date => *amount_minor += take,
                        _ => parts.push(PlanPart {
                            invoice_id,
                            due_date,
                            amount_minor: take,
                        }),
                    }
                }
                left -= take;
                if slot.is_some_and(|(_, room)| room == 0) {
                    slot = slots.next();
                }
            }
        }
        parts
    }
}

#[cfg(test)]
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    fn plan() -> Plan {
        Plan {
            id: 1,
            customer_id: 1,
            currency: Currency::parse("USD").unwrap(),
            invoice_ids: vec![10, 11],
            installments: vec![
                Installment {
                    due_date: d("2026-03-01"),
                    amount_minor: 300_00,
                },
                Installment {
                    due_date: d("2026-04-01"),
                    amount_minor: 300_00,
                },
                Installment {
                    due_date: d("2026-05-01"),
                    amount_minor: 300_00,
                },
            ],
            created_on: d("2026-02-10"),
            opening_minor: 900_00,
            status: PlanStatus::Active,
            defaulted_on: None,
        }
    }

    #[test]
    fn what_is_due_by_a_day_is_the_installments_due_less_paid() {
        let open = [(10, 600_00), (11, 300_00)];
        assert_eq!(plan().due_by(&open, d("2026-02-28")), [(10, 0), (11, 0)]);
        assert_eq!(
            plan().due_by(&open, d("2026-03-01")),
            [(10, 300_00), (11, 0)]
        );
        assert_eq!(
            plan().due_by(&open, d("2026-05-01")),
            [(10, 600_00), (11, 300_00)]
        );
        // 400.00 paid: on April 1 the second installment's 200.00 is left.
        let paid = [(10, 200_00), (11, 300_00)];
        assert_eq!(
            plan().due_by(&paid, d("2026-04-01")),
            [(10, 200_00), (11, 0)]
        );
        // Not in force: nothing due as a plan.
        let mut broken = plan();
        broken.status = PlanStatus::Defaulted;
        assert!(broken.due_by(&open, d("2026-04-01")).is_empty());
        assert!(plan().due_by(&open, d("2026-02-01")).is_empty());
    }

    #[test]
    fn payments_pay_the_installments_in_order() {
        let unpaid = plan().unpaid(500_00);
        assert_eq!(unpaid.len(), 2);
        assert_eq!((unpaid[0].number, unpaid[0].left_minor), (2, 200_00));
        assert_eq!((unpaid[1].number, unpaid[1].left_minor), (3, 300_00));
    }

    #[test]
    fn open_amounts_fall_due_on_the_installments_dates() {
        // 600.00 and 300.00 open: the first invoice fills installments 1
        // and 2, the second is owed on the third's date.
        let parts = plan().open_parts(&[(10, 600_00), (11, 300_00)]);
        let got: Vec<(i64, Date, i64)> = parts
            .iter()
            .map(|p| (p.invoice_id, p.due_date, p.amount_minor))
            .collect();
        assert_eq!(
            got,
            vec![
                (10, d("2026-03-01"), 300_00),
                (10, d("2026-04-01"), 300_00),
                (11, d("2026-05-01"), 300_00),
            ]
        );
        // After 400.00 paid on the first invoice: what is left of it
        // is owed with installment 2.
        let parts = plan().open_parts(&[(10, 200_00), (11, 300_00)]);
        assert_eq!(parts[0].due_date, d("2026-04-01"));
        assert_eq!(parts[0].amount_minor, 200_00);
        assert_eq!(parts.iter().map(|p| p.amount_minor).sum::<i64>(), 500_00);
    }

    #[test]
    fn a_plan_stands_from_its_day_until_it_defaults() {
        let mut p = plan();
        assert!(!p.covers_on(d("2026-02-09")));
        assert!(p.covers_on(d("2026-02-10")));
        p.status = PlanStatus::Defaulted;
        p.defaulted_on = Some(d("2026-03-16"));
        assert!(p.covers_on(d("2026-03-15")));
        assert!(!p.covers_on(d("2026-03-16")));
    }
}
