//! What an invoice's open amount is made of, and the late fees and interest
//! the policy charges on it.
//!
//! The ledger records fees and interest as their own entries, and money
//! taken off an invoice as one figure. Which part of the invoice that money
//! settled is a rule of the policy ([`AllocationOrder`]), applied here when a
//! fee or interest is computed, so the rule can change without rewriting
//! history.

use serde::Serialize;

use super::policy::{AllocationOrder, FeeBasis, InterestRule, LateFee, NoAmountIn};
use crate::currency::Currency;
use crate::date::Date;
use crate::ledger::EntryKind;
use crate::money::round_half_even;
use crate::state::InvoiceState;

/// An invoice's open amount by part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OpenSplit {
    pub principal_minor: i64,
    pub fees_minor: i64,
    pub interest_minor: i64,
}

impl OpenSplit {
    pub fn total_minor(&self) -> i64 {
        self.principal_minor + self.fees_minor + self.interest_minor
    }
}

/// The open amount of `invoice` at the end of `date`, by part, with what was
/// taken off settling the parts in `order`.
pub fn open_split_as_of(invoice: &InvoiceState, date: Date, order: AllocationOrder) -> OpenSplit {
    let (mut principal, mut fees, mut interest, mut reduced) = (0i64, 0i64, 0i64, 0i64);
    for m in invoice
        .movements
        .iter()
        .filter(|m| m.effective_date <= date)
    {
        match m.kind {
            EntryKind::InvoiceIssued | EntryKind::InvoiceVoided => principal += m.ar_minor,
            // The law's fixed compensation is a cost: settled with the fees.
            EntryKind::Fee | EntryKind::Compensation => fees += m.ar_minor,
            EntryKind::Interest => interest += m.ar_minor,
            _ => reduced -= m.ar_minor,
        }
    }
    let mut take = |part: &mut i64| {
        let t = reduced.min(*part).max(0);
        *part -= t;
        reduced -= t;
    };
    match order {
        AllocationOrder::PrincipalFirst => {
            take(&mut principal);
            take(&mut fees);
            take(&mut interest);
        }
        AllocationOrder::FeesInterestPrincipal => {
            take(&mut fees);
            take(&mut interest);
            take(&mut principal);
        }
    }
    OpenSplit {
        principal_minor: principal,
        fees_minor: fees,
        interest_minor: interest,
    }
}

/// Fees charged on an invoice so far (posted entries).
pub fn fees_charged_minor(invoice: &InvoiceState) -> i64 {
    invoice
        .movements
        .iter()
        .filter(|m| m.kind == EntryKind::Fee)
        .map(|m| m.ar_minor)
        .sum()
}

/// The late fee for one charge: flat, or `percent` of the overdue
/// principal, rounded half-even once; then held under the cap given what
/// the invoice has been charged already. Zero means nothing to post; an
/// error, that the policy names no amount in the invoice's currency (`home`
/// is the organisation's, which a single amount is in).
pub fn late_fee_minor(
    rule: &LateFee,
    invoice: &InvoiceState,
    as_of: Date,
    order: AllocationOrder,
    home: Currency,
) -> Result<i64, NoAmountIn> {
    let currency = invoice.currency;
    // A late fee is for late principal: none once only fees or interest
    // are left open.
    if open_split_as_of(invoice, as_of, order).principal_minor <= 0 {
        return Ok(0);
    }
    let amount = match (&rule.flat, rule.percent) {
        (Some(flat), _) => flat.minor_in("late_fee.flat", currency, home)?,
        (None, Some(percent)) => {
            let base = open_split_as_of(invoice, as_of, order)
                .principal_minor
                .max(0);
            // base × percent / 100, percent scaled by 10^6.
            round_half_even(i128::from(base) * percent.scaled(), 100 * 1_000_000) as i64
        }
        (None, None) => 0,
    };
    let room = match &rule.cap {
        Some(cap) => {
            (cap.minor_in("late_fee.cap", currency, home)? - fees_charged_minor(invoice)).max(0)
        }
        None => i64::MAX,
    };
    Ok(amount.min(room).max(0))
}

/// Whether money was taken off `invoice` (a payment allocated, a credit
/// note) by an entry posted after one of its charges but dated on or
/// before that charge's day: the book learnt late that the charge was made
/// on a balance already (partly) paid. Only then are charges re-examined.
pub fn reduced_behind_a_charge(invoice: &InvoiceState) -> bool {
    // Asked of every invoice on every run: no allocation on the way.
    let mut latest_charge: Option<Date> = None;
    invoice.movements.iter().any(|m| {
        if m.kind.is_charge() && m.kind != EntryKind::InvoiceIssued && m.ar_minor > 0 {
            latest_charge = latest_charge.max(Some(m.effective_date));
            false
        } else {
            matches!(m.kind, EntryKind::Allocation | EntryKind::CreditNote)
                && latest_charge.is_some_and(|c| m.effective_date <= c)
        }
    })
}

/// The invoice as it was known when the charge at `charge` (a position in
/// its movements) was posted — without the reductions posted after it but
/// dated on or before its day — and the earliest of those reductions'
/// dates; `None` when there are none.
pub fn as_known_at_charge(invoice: &InvoiceState, charge: usize) -> Option<(InvoiceState, Date)> {
    let day = invoice.movements[charge].effective_date;
    let late = |j: usize, m: &crate::state::Movement| {
        j > charge
            && matches!(m.kind, EntryKind::Allocation | EntryKind::CreditNote)
            && m.effective_date <= day
    };
    let first = invoice
        .movements
        .iter()
        .enumerate()
        .filter(|(j, m)| late(*j, m))
        .map(|(_, m)| m.effective_date)
        .min()?;
    let then = InvoiceState {
        movements: invoice
            .movements
            .iter()
            .enumerate()
            .filter(|(j, m)| !late(*j, m))
            .map(|(_, m)| *m)
            .collect(),
        ..invoice.clone()
    };
    Some((then, first))
}

/// The principal open when the charge at `index` was made, as the book
/// now stands: every reduction dated on or before its day counts, charges
/// count when dated before it or posted before it on its day.
fn principal_open_at_charge(invoice: &InvoiceState, index: usize, order: AllocationOrder) -> i64 {
    let day = invoice.movements[index].effective_date;
    let known = InvoiceState {
        movements: invoice
            .movements
            .iter()
            .enumerate()
            .filter(|(j, m)| {
                m.effective_date < day
                    || (m.effective_date == day && (!m.kind.is_charge() || *j < index))
            })
            .map(|(_, m)| *m)
            .collect(),
        ..invoice.clone()
    };
    open_split_as_of(&known, day, order).principal_minor
}

/// Of the charges of `kind` (a late fee or the law's compensation), what
/// is still posted although the principal was already settled on the day
/// it was charged: the amount to reverse (0: nothing). A fee is for late
/// principal; a charge on a day nothing of it was owed is undue in full.
pub fn undue_fixed_charges_minor(
    invoice: &InvoiceState,
    kind: EntryKind,
    order: AllocationOrder,
) -> i64 {
    debug_assert!(matches!(kind, EntryKind::Fee | EntryKind::Compensation));
    let (mut net, mut due) = (0i64, 0i64);
    for (i, m) in invoice.movements.iter().enumerate() {
        if m.kind != kind {
            continue;
        }
        net += m.ar_minor;
        if m.ar_minor > 0 && principal_open_at_charge(invoice, i, order) > 0 {
            due += m.ar_minor;
        }
    }
    (net - due).max(0)
}

/// What is posted of `kind` on `invoice` (charges less their reversals).
pub fn charged_minor(invoice: &InvoiceState, kind: EntryKind) -> i64 {
    invoice
        .movements
        .iter()
        .filter(|m| m.kind == kind)
        .map(|m| m.ar_minor)
        .sum()
}

/// The charges a person may waive, as [`waivable_charge`] reads them.
pub const WAIVABLE_CHARGES: &str = "fee, interest or compensation";

/// A charge a person may waive (a reversing entry with a reason, never a
/// credit note), as people name it: `fee` (or `late_fee`), `interest`,
/// `compensation`.
pub fn waivable_charge(text: &str) -> Option<EntryKind> {
    match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
        "fee" | "late_fee" | "fees" => Some(EntryKind::Fee),
        "interest" => Some(EntryKind::Interest),
        "compensation" | "fixed_compensation" => Some(EntryKind::Compensation),
        _ => None,
    }
}

/// What of `kind` has been reversed on `invoice` so far.
pub fn reversed_minor(invoice: &InvoiceState, kind: EntryKind) -> i64 {
    -invoice
        .movements
        .iter()
        .filter(|m| m.kind == kind && m.ar_minor < 0)
        .map(|m| m.ar_minor)
        .sum::<i64>()
}

/// The periods of a fee charged per period that have begun by
/// `days_past_due`, for a step reached at `step_days`: 0, 1, 2, …
pub fn fee_periods(rule: &LateFee, step_days: i32, days_past_due: i32) -> u32 {
    match rule.per {
        FeeBasis::Invoice => 1,
        FeeBasis::Period => {
            let since = (days_past_due - step_days).max(0) as u32;
            since / rule.period_days.max(1) + 1
        }
    }
}

/// One part of an invoice as interest sees it: its amount, and the day
/// interest starts to run on it (`None`: not yet — the notice announcing
/// it has not gone). An invoice with one due date is one part; on
/// installment terms each installment is its own, from its own due date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AccrualPart {
    pub starts: Option<Date>,
    pub amount_minor: i64,
}

/// Of `principal_minor` open at the start of `day`, what bears interest:
/// less the parts whose interest has not started. Money taken off an
/// invoice settles its oldest parts first, so the parts not yet started
/// are still owed in full (what is open covers them first). No parts: all
/// of it.
pub fn bearing_principal(principal_minor: i64, parts: &[AccrualPart], day: Date) -> i64 {
    let waiting: i64 = parts
        .iter()
        .filter(|p| p.starts.is_none_or(|s| s > day))
        .map(|p| p.amount_minor)
        .sum();
    (principal_minor - waiting).max(0)
}

/// The days in `from+1..=through` on which what bears interest on
/// `invoice` may change: a movement, or a part's interest starting.
pub fn change_days(
    invoice: &InvoiceState,
    parts: &[AccrualPart],
    from: Date,
    through: Date,
) -> Vec<Date> {
    let mut days: Vec<Date> = invoice
        .movements
        .iter()
        .map(|m| m.effective_date)
        .chain(parts.iter().filter_map(|p| p.starts))
        .filter(|d| *d > from && *d <= through)
        .collect();
    days.sort_unstable();
    days.dedup();
    days
}

/// The parts of `invoice` on installment terms, each starting on the day
/// `starts` gives for its 1-based number and due date; none for an
/// invoice with one due date (it bears interest whole from its start).
pub fn accrual_parts(
    invoice: &InvoiceState,
    mut starts: impl FnMut(u32, Date) -> Option<Date>,
) -> Vec<AccrualPart> {
    if invoice.schedule.len() <= 1 {
        return Vec::new();
    }
    invoice
        .schedule
        .iter()
        .enumerate()
        .map(|(i, part)| AccrualPart {
            starts: starts(i as u32 + 1, part.due_date),
            amount_minor: part.amount_minor,
        })
        .collect()
}

/// One calendar month of interest on one invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct InterestCharge {
    /// First and last day accrued (inclusive).
    pub from: Date,
    pub through: Date,
    pub amount_minor: i64,
    /// What the accrual came to before the monthly cap, if the cap cut it.
    pub uncapped_minor: Option<i64>,
}

/// Simple interest on `invoice` for the days `from..=through`: each day
/// accrues `base × rate / 100 / year days`, where the base is the overdue
/// principal at the end of that day (the whole open amount when
/// `compound`); the sum is kept exact and rounded half-even once, then held
/// under the monthly cap (an error when the cap names no amount in the
/// invoice's currency).
#[allow(clippy::too_many_arguments)]
pub fn interest_for(
    rule: &InterestRule,
    invoice: &InvoiceState,
    from: Date,
    through: Date,
    order: AllocationOrder,
    home: Currency,
    parts: &[AccrualPart],
) -> Result<InterestCharge, NoAmountIn> {
    let mut numerator: i128 = 0;
    if from <= through {
        // The base changes only on days with a movement or a part's start;
        // walk the segments.
        let mut start = from;
        for next in change_days(invoice, parts, from, through)
            .into_iter()
            .chain(std::iter::once(through.add_days(1)))
        {
            let split = open_split_as_of(invoice, start, order);
            let bearing = bearing_principal(split.principal_minor, parts, start);
            // Nothing accrues once the principal is settled, compounding
            // or not; on a part not yet started, nothing either.
            let base = if bearing <= 0 {
                0
            } else if rule.compound {
                bearing + split.total_minor() - split.principal_minor
            } else {
                bearing
            }
            .max(0);
            let days = next.days_since(start);
            numerator += i128::from(base) * i128::from(days) * rule.annual_rate_percent.scaled();
            start = next;
        }
    }
    let denominator = 100 * 1_000_000 * rule.day_count.year_days();
    let accrued = round_half_even(numerator, denominator) as i64;
    let cap = match &rule.monthly_cap {
        Some(c) => Some(c.minor_in("interest.monthly_cap", invoice.currency, home)?),
        None => None,
    };
    let amount = cap.map_or(accrued, |c| accrued.min(c));
    Ok(InterestCharge {
        from,
        through,
        amount_minor: amount,
        uncapped_minor: (amount != accrued).then_some(accrued),
    })
}

/// The calendar months wholly ended before `as_of` in which interest
/// started on `start` runs: `(first day, last day)` of each, clipped to the
/// start. Interest is posted per month once the month is over.
pub fn interest_months(start: Date, as_of: Date) -> Vec<(Date, Date)> {
    let mut months = Vec::new();
    let (y, m, _) = start.ymd();
    let mut first = Date::from_ymd(y, m, 1).expect("first of a month exists");
    loop {
        let last = first.end_of_month();
        if last >= as_of {
            break;
        }
        months.push((first.max(start), last));
        first = last.add_days(1);
    }
    months
}

/// `YYYY-MM` of a date: the key of a month's interest.
pub fn month_key(date: Date) -> String {
    let (y, m, _) = date.ymd();
    format!("{y:04}-{m:02}")
}

#[cfg(test)]
// Minor units written as major_minor (100_00 is 100.00) read as money.
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;
    use crate::book::Book;
    use crate::collections::policy::{DayCount, InterestStart, PolicyAmount, PolicyMoney};
    use crate::invoice::{InvoiceDraft, InvoiceLine};
    use crate::posting::AllocationRequest;
    use crate::terms::Terms;
    use crate::Currency;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn book_with_invoice(total_minor: i64) -> (Book, i64) {
        let mut book = Book::new();
        let draft = InvoiceDraft {
            customer_id: 1,
            currency: Currency::parse("USD").unwrap(),
            issue_date: day("2026-01-01"),
            terms: Terms::Net { days: 30 },
            description: String::new(),
            lines: vec![InvoiceLine::new("work", 10_000, total_minor, 0).unwrap()],
            installments: Vec::new(),
        };
        let id = book.issue(&draft).unwrap();
        (book, id)
    }

    fn interest_rule(rate: &str) -> InterestRule {
        InterestRule {
            annual_rate_percent: PolicyAmount::parse(rate).unwrap(),
            start: InterestStart::Grace,
            grace_days: 0,
            monthly_cap: None,
            minimum_charge: None,
            compound: false,
            day_count: DayCount::Act365,
        }
    }

    #[test]
    fn a_partial_payment_settles_principal_or_fees_first_as_the_policy_says() {
        let (mut book, id) = book_with_invoice(100_00);
        book.charge(id, EntryKind::Fee, 40_00, day("2026-03-01"))
            .unwrap();
        book.receive(
            1,
            Currency::parse("USD").unwrap(),
            day("2026-03-05"),
            50_00,
            &AllocationRequest::OldestDueFirst,
        )
        .unwrap();
        let inv = &book.invoices[&id];
        let p = open_split_as_of(inv, day("2026-03-05"), AllocationOrder::PrincipalFirst);
        assert_eq!((p.principal_minor, p.fees_minor), (50_00, 40_00));
        let f = open_split_as_of(
            inv,
            day("2026-03-05"),
            AllocationOrder::FeesInterestPrincipal,
        );
        assert_eq!((f.principal_minor, f.fees_minor), (90_00, 0));
        assert_eq!(p.total_minor(), f.total_minor());
    }

    #[test]
    fn interest_accrues_daily_on_principal_and_rounds_once() {
        let (mut book, id) = book_with_invoice(1_000_00);
        // 10 % a year on 1,000.00 for 31 days = 8.4931… → 8.49.
        let rule = interest_rule("10");
        let c = interest_for(
            &rule,
            &book.invoices[&id],
            day("2026-03-01"),
            day("2026-03-31"),
            AllocationOrder::PrincipalFirst,
            usd(),
            &[],
        )
        .unwrap();
        assert_eq!(c.amount_minor, 8_49);
        // Half paid on the 16th: 15 days on 1,000 + 16 days on 500 = 4.109… + 2.191… = 6.30.
        book.receive(
            1,
            Currency::parse("USD").unwrap(),
            day("2026-03-16"),
            500_00,
            &AllocationRequest::OldestDueFirst,
        )
        .unwrap();
        let c = interest_for(
            &rule,
            &book.invoices[&id],
            day("2026-03-01"),
            day("2026-03-31"),
            AllocationOrder::PrincipalFirst,
            usd(),
            &[],
        )
        .unwrap();
        assert_eq!(c.amount_minor, 6_30);
        // A fee is not principal: no interest on it unless compounding.
        book.charge(id, EntryKind::Fee, 100_00, day("2026-03-01"))
            .unwrap();
        let c2 = interest_for(
            &rule,
            &book.invoices[&id],
            day("2026-03-01"),
            day("2026-03-31"),
            AllocationOrder::PrincipalFirst,
            usd(),
            &[],
        )
        .unwrap();
        assert_eq!(c2.amount_minor, 6_30);
        let mut compound = rule.clone();
        compound.compound = true;
        let c3 = interest_for(
            &compound,
            &book.invoices[&id],
            day("2026-03-01"),
            day("2026-03-31"),
            AllocationOrder::PrincipalFirst,
            usd(),
            &[],
        )
        .unwrap();
        assert!(c3.amount_minor > c2.amount_minor);
        let mut capped = rule;
        capped.monthly_cap = Some(PolicyMoney::Home(PolicyAmount::parse("5").unwrap()));
        let c4 = interest_for(
            &capped,
            &book.invoices[&id],
            day("2026-03-01"),
            day("2026-03-31"),
            AllocationOrder::PrincipalFirst,
            usd(),
            &[],
        )
        .unwrap();
        assert_eq!((c4.amount_minor, c4.uncapped_minor), (5_00, Some(6_30)));
    }

    #[test]
    fn nothing_accrues_once_the_principal_is_settled_even_compounding() {
        let (mut book, id) = book_with_invoice(1_000_00);
        book.charge(id, EntryKind::Fee, 40_00, day("2026-03-01"))
            .unwrap();
        book.receive(
            1,
            Currency::parse("USD").unwrap(),
            day("2026-03-01"),
            1_000_00,
            &AllocationRequest::OldestDueFirst,
        )
        .unwrap();
        let mut compound = interest_rule("10");
        compound.compound = true;
        let c = interest_for(
            &compound,
            &book.invoices[&id],
            day("2026-03-02"),
            day("2026-03-31"),
            AllocationOrder::PrincipalFirst,
            usd(),
            &[],
        )
        .unwrap();
        assert_eq!(c.amount_minor, 0, "only the fee is open");
    }

    #[test]
    fn months_are_whole_and_clipped_to_the_start() {
        let m = interest_months(day("2026-01-20"), day("2026-04-01"));
        assert_eq!(
            m,
            vec![
                (day("2026-01-20"), day("2026-01-31")),
                (day("2026-02-01"), day("2026-02-28")),
                (day("2026-03-01"), day("2026-03-31")),
            ]
        );
        assert!(interest_months(day("2026-01-20"), day("2026-01-31")).is_empty());
        assert_eq!(month_key(day("2026-02-28")), "2026-02");
    }

    #[test]
    fn a_fee_stops_at_its_cap_and_a_percent_fee_rounds_half_even() {
        let (mut book, id) = book_with_invoice(1_234_50);
        let rule = LateFee {
            flat: None,
            percent: Some(PolicyAmount::parse("2").unwrap()),
            per: FeeBasis::Invoice,
            period_days: 30,
            cap: Some(PolicyMoney::Home(PolicyAmount::parse("30").unwrap())),
        };
        // 2 % of 1,234.50 = 24.69.
        assert_eq!(
            late_fee_minor(
                &rule,
                &book.invoices[&id],
                day("2026-03-01"),
                AllocationOrder::PrincipalFirst,
                usd()
            )
            .unwrap(),
            24_69
        );
        book.charge(id, EntryKind::Fee, 24_69, day("2026-03-01"))
            .unwrap();
        assert_eq!(
            late_fee_minor(
                &rule,
                &book.invoices[&id],
                day("2026-04-01"),
                AllocationOrder::PrincipalFirst,
                usd()
            )
            .unwrap(),
            5_31
        );
    }
}
