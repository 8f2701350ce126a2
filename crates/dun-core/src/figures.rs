//! The collection figures of PRODUCT.md "Reports and figures": DSO, best
//! possible DSO, average days delinquent, CEI and the bad-debt ratio, for a
//! period P of N days ending on a date D (inclusive), per currency (amounts
//! of different currencies are never added).
//!
//! # Definitions, precisely
//! - **AR at a date X** is what the aging report as of X totals: the sum of
//!   every issued invoice's open amount from the entries effective up to X,
//!   fees and interest charged included, unapplied customer credit (money
//!   received and not yet allocated) not deducted.
//! - **Current AR at X** is the aging's `current` bucket as of X: open parts
//!   not yet past due (due date ≥ X).
//! - **Beginning AR** is AR at the end of the day before P starts (D − N);
//!   **ending AR** is AR at D.
//! - **Credit sales in P** is everything billed on credit with effect in P:
//!   invoice totals issued, less voids (a voided invoice was never a sale;
//!   the void counts on its own date), plus late fees and interest charged.
//!   Fees and interest count because AR includes them: with this choice
//!   `beginning AR + credit sales − ending AR` is exactly what left AR in P
//!   by collections, credit notes and write-offs ([`PeriodSums`]), which is
//!   what CEI's numerator means.
//! - **Write-offs in P**: amounts written off with effect in P.
//!
//! # Numbers
//! Each figure is an exact rational computed in `i128` and rounded **once**,
//! half-even ([`round_half_even`]), to a fixed point: days in tenths, CEI in
//! tenths of a percent, the bad-debt ratio in hundredths of a percent.
//! Average days delinquent is `(ending AR − current AR) × N / credit sales`
//! rounded once, so its printed value can differ by 0.1 from the printed
//! DSO minus the printed best possible DSO. A figure whose denominator is
//! not positive is [`Figure::Absent`] with the reason, never NaN or
//! infinite.

use std::collections::{BTreeMap, BTreeSet};

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::currency::Currency;
use crate::date::Date;
use crate::ledger::EntryKind;
use crate::money::{format_scaled, round_half_even};

/// Longest period a figure may cover, in days (ten years).
pub const PERIOD_DAYS_MAX: u32 = 3_660;
/// Most points a trend may have.
pub const TREND_POINTS_MAX: u32 = 120;
/// Largest distance between two points of a trend, in days.
pub const TREND_STEP_DAYS_MAX: u32 = 366;

/// Days are given in tenths.
pub const DAYS_SCALE: u8 = 1;
/// CEI is a percentage in tenths.
pub const CEI_SCALE: u8 = 1;
/// The bad-debt ratio is a percentage in hundredths.
pub const BAD_DEBT_SCALE: u8 = 2;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("days: {0} is not a period length; give 1 to {PERIOD_DAYS_MAX} days")]
    Days(u32),
    #[error("points: {0} is not a number of trend points; give 1 to {TREND_POINTS_MAX}")]
    Points(u32),
    #[error(
        "step: {0} is not a distance between trend points; give 1 to {TREND_STEP_DAYS_MAX} days"
    )]
    Step(u32),
    #[error("a period of {days} days ending {end} starts before the calendar Dun keeps")]
    OutOfRange { end: Date, days: u32 },
}

/// N days ending on `end`, inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Period {
    pub end: Date,
    pub days: u32,
}

impl Period {
    pub fn new(end: Date, days: u32) -> Result<Period, PeriodError> {
        if days == 0 || days > PERIOD_DAYS_MAX {
            return Err(PeriodError::Days(days));
        }
        let period = Period { end, days };
        if period.day_before().ymd().0 < crate::date::YEAR_MIN {
            return Err(PeriodError::OutOfRange { end, days });
        }
        Ok(period)
    }

    /// The first day of the period: `end − days + 1`.
    pub fn first_day(&self) -> Date {
        self.end.add_days(1 - self.days as i32)
    }

    /// The day whose closing AR is the period's beginning AR: `end − days`.
    pub fn day_before(&self) -> Date {
        self.end.add_days(-(self.days as i32))
    }

    pub fn contains(&self, date: Date) -> bool {
        date > self.day_before() && date <= self.end
    }

    /// `points` periods of `days` days whose ends are `step_days` apart, the
    /// last ending on `end`; oldest first.
    pub fn trend(
        end: Date,
        days: u32,
        points: u32,
        step_days: u32,
    ) -> Result<Vec<Period>, PeriodError> {
        if points == 0 || points > TREND_POINTS_MAX {
            return Err(PeriodError::Points(points));
        }
        if step_days == 0 || step_days > TREND_STEP_DAYS_MAX {
            return Err(PeriodError::Step(step_days));
        }
        (0..points)
            .rev()
            .map(|k| Period::new(end.add_days(-((k * step_days) as i32)), days))
            .collect()
    }
}

/// What moved AR within a period, by kind, each as a positive amount in
/// the direction its name says (a reversal counts against its kind).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PeriodSums {
    /// Invoice totals issued.
    pub invoiced_minor: i64,
    /// What voids took off (an invoice's open amount when it was voided).
    pub voided_minor: i64,
    /// Late fees and interest charged.
    pub charged_minor: i64,
    /// Payments allocated to invoices, less allocations reversed.
    pub collected_minor: i64,
    pub credited_minor: i64,
    pub written_off_minor: i64,
}

impl PeriodSums {
    /// Adds one ledger entry's (or one day's summed) effect on AR.
    pub fn add(&mut self, kind: EntryKind, ar_minor: i64) {
        match kind {
            EntryKind::InvoiceIssued => self.invoiced_minor += ar_minor,
            EntryKind::InvoiceVoided => self.voided_minor -= ar_minor,
            EntryKind::Fee | EntryKind::Interest | EntryKind::Compensation => {
                self.charged_minor += ar_minor
            }
            EntryKind::Allocation | EntryKind::AllocationReversed => {
                self.collected_minor -= ar_minor
            }
            EntryKind::CreditNote => self.credited_minor -= ar_minor,
            EntryKind::WriteOff => self.written_off_minor -= ar_minor,
            // These move customer credit only; their AR effect is zero.
            EntryKind::PaymentReceived | EntryKind::Refund | EntryKind::PaymentReversed => {}
        }
    }

    pub fn merge(&mut self, other: &PeriodSums) {
        self.invoiced_minor += other.invoiced_minor;
        self.voided_minor += other.voided_minor;
        self.charged_minor += other.charged_minor;
        self.collected_minor += other.collected_minor;
        self.credited_minor += other.credited_minor;
        self.written_off_minor += other.written_off_minor;
    }

    /// Credit sales: invoiced − voided + fees and interest charged.
    pub fn credit_sales_minor(&self) -> i64 {
        self.invoiced_minor - self.voided_minor + self.charged_minor
    }

    /// The net change of AR these sums make.
    pub fn net_minor(&self) -> i64 {
        self.credit_sales_minor()
            - self.collected_minor
            - self.credited_minor
            - self.written_off_minor
    }

    pub fn is_empty(&self) -> bool {
        *self == PeriodSums::default()
    }
}

/// A decimal with `scale` digits after the point: `scaled / 10^scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fixed {
    pub scaled: i64,
    pub scale: u8,
}

impl std::fmt::Display for Fixed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format_scaled(i128::from(self.scaled), self.scale))
    }
}

/// Why a figure has no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Absence {
    /// Credit sales in the period are zero or less.
    NoCreditSales,
    /// Beginning AR + credit sales − ending current AR is zero or less.
    NothingCollectible,
    /// The value does not fit the fixed point (absurd inputs).
    OutOfRange,
}

impl Absence {
    pub fn code(self) -> &'static str {
        match self {
            Absence::NoCreditSales => "no_credit_sales",
            Absence::NothingCollectible => "nothing_collectible",
            Absence::OutOfRange => "out_of_range",
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            Absence::NoCreditSales => "no credit sales in the period to divide by",
            Absence::NothingCollectible => {
                "nothing was collectible: beginning AR + credit sales − ending current AR is not positive"
            }
            Absence::OutOfRange => "the value is too large to show",
        }
    }
}

/// One figure: a value, or the reason there is none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    Value(Fixed),
    Absent(Absence),
}

impl Figure {
    /// `numerator / denominator`, scaled by `multiplier`, rounded half-even
    /// to `scale` digits; absent with `when_zero` unless `denominator > 0`.
    fn ratio(
        numerator: i128,
        denominator: i128,
        multiplier: i128,
        scale: u8,
        when_zero: Absence,
    ) -> Figure {
        if denominator <= 0 {
            return Figure::Absent(when_zero);
        }
        let scaled = numerator
            .checked_mul(multiplier)
            .and_then(|n| n.checked_mul(10i128.pow(u32::from(scale))))
            .map(|n| round_half_even(n, denominator))
            .and_then(|v| i64::try_from(v).ok());
        match scaled {
            Some(scaled) => Figure::Value(Fixed { scaled, scale }),
            None => Figure::Absent(Absence::OutOfRange),
        }
    }

    pub fn value(&self) -> Option<Fixed> {
        match self {
            Figure::Value(v) => Some(*v),
            Figure::Absent(_) => None,
        }
    }

    /// The value as written (`45.3`), or `—` when absent.
    pub fn display(&self) -> String {
        match self {
            Figure::Value(v) => v.to_string(),
            Figure::Absent(_) => "—".to_string(),
        }
    }
}

/// `{"value": "45.3", "scaled": 453, "scale": 1}` or
/// `{"value": null, "absent": "no_credit_sales", "reason": "…"}`.
impl Serialize for Figure {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Figure::Value(v) => {
                let mut s = serializer.serialize_struct("Figure", 3)?;
                s.serialize_field("value", &v.to_string())?;
                s.serialize_field("scaled", &v.scaled)?;
                s.serialize_field("scale", &v.scale)?;
                s.end()
            }
            Figure::Absent(a) => {
                let mut s = serializer.serialize_struct("Figure", 3)?;
                s.serialize_field("value", &Option::<String>::None)?;
                s.serialize_field("absent", a.code())?;
                s.serialize_field("reason", a.reason())?;
                s.end()
            }
        }
    }
}

/// The sums a period's figures are computed from, in one currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct FigureInputs {
    pub currency: Currency,
    pub period: Period,
    pub beginning_ar_minor: i64,
    pub ending_ar_minor: i64,
    pub ending_current_ar_minor: i64,
    pub sums: PeriodSums,
}

/// A period's figures in one currency, with the sums behind them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub currency: Currency,
    pub period_end: Date,
    pub period_days: u32,
    pub period_first_day: Date,
    pub beginning_ar_minor: i64,
    pub ending_ar_minor: i64,
    pub ending_current_ar_minor: i64,
    pub ending_past_due_ar_minor: i64,
    pub credit_sales_minor: i64,
    pub sums: PeriodSums,
    /// Days sales outstanding: ending AR / credit sales × N, in days.
    pub dso: Figure,
    /// Current AR / credit sales × N, in days.
    pub best_possible_dso: Figure,
    /// DSO − best possible DSO, in days.
    pub average_days_delinquent: Figure,
    /// Collection effectiveness index, in percent.
    pub cei: Figure,
    /// Write-offs / credit sales, in percent.
    pub bad_debt_ratio: Figure,
}

/// Computes a period's figures from its sums.
pub fn compute(inputs: &FigureInputs) -> Figures {
    let n = i128::from(inputs.period.days);
    let beginning = i128::from(inputs.beginning_ar_minor);
    let ending = i128::from(inputs.ending_ar_minor);
    let current = i128::from(inputs.ending_current_ar_minor);
    let sales = i128::from(inputs.sums.credit_sales_minor());
    let written_off = i128::from(inputs.sums.written_off_minor);
    let days = |ar: i128| Figure::ratio(ar, sales, n, DAYS_SCALE, Absence::NoCreditSales);
    Figures {
        currency: inputs.currency,
        period_end: inputs.period.end,
        period_days: inputs.period.days,
        period_first_day: inputs.period.first_day(),
        beginning_ar_minor: inputs.beginning_ar_minor,
        ending_ar_minor: inputs.ending_ar_minor,
        ending_current_ar_minor: inputs.ending_current_ar_minor,
        ending_past_due_ar_minor: inputs.ending_ar_minor - inputs.ending_current_ar_minor,
        credit_sales_minor: inputs.sums.credit_sales_minor(),
        sums: inputs.sums,
        dso: days(ending),
        best_possible_dso: days(current),
        average_days_delinquent: days(ending - current),
        cei: Figure::ratio(
            beginning + sales - ending,
            beginning + sales - current,
            100,
            CEI_SCALE,
            Absence::NothingCollectible,
        ),
        bad_debt_ratio: Figure::ratio(
            written_off,
            sales,
            100,
            BAD_DEBT_SCALE,
            Absence::NoCreditSales,
        ),
    }
}

/// What one day's entries add to the totals the figures are read from, in
/// one currency. The store keeps one per organisation, currency and day,
/// written with the entries, so a figure of any date reads a few hundred
/// of them instead of the ledger.
///
/// Current AR needs due dates; for invoices with one due date it is kept
/// exactly by two amounts per day. An entry effective on day E on an
/// invoice due on day U counts in the current AR of the days E through U
/// (none when E is after U): it is added to `current_from_minor` of day E
/// and to `current_until_minor` of day U, so the current AR at the end of
/// D is the sum of `current_from_minor` over days up to D less the sum of
/// `current_until_minor` over days before D. (An entry is never dated
/// before its invoice's issue date, so an invoice issued after D counts
/// nothing.) Invoices in installments, and plans, are aged by the reader.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DayTotals {
    /// What moved AR with effect on the day, by kind.
    pub sums: PeriodSums,
    /// Entries effective on the day on invoices with one due date on or
    /// after it: current from the day on.
    pub current_from_minor: i64,
    /// Entries on invoices with one due date on the day, effective on or
    /// before it: current through the day, past due after it.
    pub current_until_minor: i64,
}

impl DayTotals {
    pub fn merge(&mut self, other: &DayTotals) {
        self.sums.merge(&other.sums);
        self.current_from_minor += other.current_from_minor;
        self.current_until_minor += other.current_until_minor;
    }

    pub fn is_zero(&self) -> bool {
        *self == DayTotals::default()
    }
}

/// Daily totals by currency and day, gathered from entries: what a posting
/// adds to the kept totals, or what a whole ledger gives them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DailyTotals {
    days: BTreeMap<(Currency, Date), DayTotals>,
}

impl DailyTotals {
    pub fn new() -> DailyTotals {
        DailyTotals::default()
    }

    /// Adds entries of one kind effective on `effective` on an invoice
    /// whose one due date is `single_due` (`None` for an invoice in
    /// installments, which the reader ages part by part).
    pub fn add(
        &mut self,
        currency: Currency,
        kind: EntryKind,
        effective: Date,
        ar_minor: i64,
        single_due: Option<Date>,
    ) {
        let day = self.days.entry((currency, effective)).or_default();
        day.sums.add(kind, ar_minor);
        if let Some(due) = single_due.filter(|due| effective <= *due) {
            day.current_from_minor += ar_minor;
            self.days
                .entry((currency, due))
                .or_default()
                .current_until_minor += ar_minor;
        }
    }

    /// Every (currency, day) with its totals, in order.
    pub fn days(&self) -> impl Iterator<Item = (Currency, Date, &DayTotals)> {
        self.days.iter().map(|((c, d), t)| (*c, *d, t))
    }

    pub fn is_empty(&self) -> bool {
        self.days.is_empty()
    }
}

/// The daily totals of the days after a date, one by one, and of the days
/// up to it, summed: enough to know AR and the current AR of invoices with
/// one due date at the end of any later date, and what moved AR in any
/// period starting after it. The store fills it from the kept totals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Totals {
    after: Date,
    /// Every day up to and including `after`, summed.
    through_after: BTreeMap<Currency, DayTotals>,
    daily: BTreeMap<Currency, BTreeMap<Date, DayTotals>>,
}

impl Totals {
    /// Days after `after` will be kept one by one.
    pub fn new(after: Date) -> Totals {
        Totals {
            after,
            through_after: BTreeMap::new(),
            daily: BTreeMap::new(),
        }
    }

    /// The first date these totals can answer for (AR at its end).
    pub fn after(&self) -> Date {
        self.after
    }

    /// Adds a day's totals; a day on or before [`Totals::after`] is added
    /// to their sum (so the sum of those days may be added as one of them).
    pub fn add(&mut self, currency: Currency, day: Date, totals: &DayTotals) {
        let slot = if day <= self.after {
            self.through_after.entry(currency).or_default()
        } else {
            self.daily
                .entry(currency)
                .or_default()
                .entry(day)
                .or_default()
        };
        slot.merge(totals);
    }

    pub fn currencies(&self) -> BTreeSet<Currency> {
        self.through_after
            .keys()
            .chain(self.daily.keys())
            .copied()
            .collect()
    }

    /// The days kept one by one from the day after [`Totals::after`]
    /// through `last`.
    fn days_through(
        &self,
        currency: Currency,
        last: Date,
    ) -> impl Iterator<Item = (&Date, &DayTotals)> {
        let first = self.after.add_days(1);
        self.daily
            .get(&currency)
            .filter(|_| last >= first)
            .into_iter()
            .flat_map(move |days| days.range(first..=last))
    }

    fn before(&self, currency: Currency) -> DayTotals {
        self.through_after
            .get(&currency)
            .copied()
            .unwrap_or_default()
    }

    /// AR at the end of `date` (`date` ≥ [`Totals::after`]).
    pub fn ar_as_of(&self, currency: Currency, date: Date) -> i64 {
        debug_assert!(date >= self.after, "AR before the totals kept");
        self.before(currency).sums.net_minor()
            + self
                .days_through(currency, date)
                .map(|(_, t)| t.sums.net_minor())
                .sum::<i64>()
    }

    /// AR not past due at the end of `date` on invoices with one due date
    /// (`date` after [`Totals::after`]): what became current by `date`
    /// less what fell due before it.
    pub fn current_as_of(&self, currency: Currency, date: Date) -> i64 {
        debug_assert!(date > self.after, "current AR before the totals kept");
        let before = self.before(currency);
        let mut current = before.current_from_minor - before.current_until_minor;
        for (day, t) in self.days_through(currency, date) {
            current += t.current_from_minor;
            if *day < date {
                current -= t.current_until_minor;
            }
        }
        current
    }

    /// What moved AR within `period` (which must start after
    /// [`Totals::after`]).
    pub fn sums(&self, currency: Currency, period: Period) -> PeriodSums {
        debug_assert!(period.day_before() >= self.after);
        let mut sums = PeriodSums::default();
        if let Some(days) = self.daily.get(&currency) {
            for (_, day) in days.range(period.first_day()..=period.end) {
                sums.merge(&day.sums);
            }
        }
        sums
    }

    /// The inputs of `period`'s figures, given its ending current AR (of
    /// which [`Totals::current_as_of`] gives the part with one due date).
    pub fn inputs(
        &self,
        currency: Currency,
        period: Period,
        ending_current_ar_minor: i64,
    ) -> FigureInputs {
        FigureInputs {
            currency,
            period,
            beginning_ar_minor: self.ar_as_of(currency, period.day_before()),
            ending_ar_minor: self.ar_as_of(currency, period.end),
            ending_current_ar_minor,
            sums: self.sums(currency, period),
        }
    }
}

/// Whether a currency had anything to report in a period.
pub fn has_activity(inputs: &FigureInputs) -> bool {
    inputs.beginning_ar_minor != 0
        || inputs.ending_ar_minor != 0
        || inputs.ending_current_ar_minor != 0
        || !inputs.sums.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    fn d(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    const KINDS: [EntryKind; 9] = [
        EntryKind::InvoiceIssued,
        EntryKind::InvoiceVoided,
        EntryKind::Fee,
        EntryKind::Interest,
        EntryKind::Allocation,
        EntryKind::AllocationReversed,
        EntryKind::CreditNote,
        EntryKind::WriteOff,
        EntryKind::PaymentReceived,
    ];

    fn inputs(
        beginning: i64,
        ending: i64,
        current: i64,
        sales: i64,
        written_off: i64,
    ) -> FigureInputs {
        FigureInputs {
            currency: usd(),
            period: Period::new(d("2026-03-31"), 90).unwrap(),
            beginning_ar_minor: beginning,
            ending_ar_minor: ending,
            ending_current_ar_minor: current,
            sums: PeriodSums {
                invoiced_minor: sales,
                written_off_minor: written_off,
                ..PeriodSums::default()
            },
        }
    }

    fn value(figure: Figure) -> String {
        figure.value().expect("a value").to_string()
    }

    #[test]
    fn periods_count_both_ends() {
        let p = Period::new(d("2026-03-31"), 90).unwrap();
        assert_eq!(p.first_day(), d("2026-01-01"));
        assert_eq!(p.day_before(), d("2025-12-31"));
        assert!(p.contains(d("2026-01-01")) && p.contains(d("2026-03-31")));
        assert!(!p.contains(d("2025-12-31")) && !p.contains(d("2026-04-01")));
        assert_eq!(Period::new(d("2026-03-31"), 0), Err(PeriodError::Days(0)));
        assert_eq!(
            Period::new(d("2026-03-31"), PERIOD_DAYS_MAX + 1),
            Err(PeriodError::Days(PERIOD_DAYS_MAX + 1))
        );
        let trend = Period::trend(d("2026-03-31"), 90, 3, 30).unwrap();
        let ends: Vec<Date> = trend.iter().map(|p| p.end).collect();
        assert_eq!(
            ends,
            vec![d("2026-01-30"), d("2026-03-01"), d("2026-03-31")]
        );
        assert_eq!(
            Period::trend(d("2026-03-31"), 90, 0, 30),
            Err(PeriodError::Points(0))
        );
        assert_eq!(
            Period::trend(d("2026-03-31"), 90, 3, 0),
            Err(PeriodError::Step(0))
        );
    }

    /// Hand-computed: beginning 10,000.00, sales 30,000.00 over 90 days,
    /// ending 12,000.00 of which 7,000.00 current, 600.00 written off.
    /// DSO = 12000/30000 × 90 = 36.0; best = 7000/30000 × 90 = 21.0;
    /// ADD = 15.0; CEI = (10000+30000−12000)/(10000+30000−7000) = 28/33
    /// = 84.848…% → 84.8; bad debt = 600/30000 = 2.00%.
    #[test]
    fn hand_computed_example() {
        let f = compute(&inputs(1_000_000, 1_200_000, 700_000, 3_000_000, 60_000));
        assert_eq!(value(f.dso), "36.0");
        assert_eq!(value(f.best_possible_dso), "21.0");
        assert_eq!(value(f.average_days_delinquent), "15.0");
        assert_eq!(value(f.cei), "84.8");
        assert_eq!(value(f.bad_debt_ratio), "2.00");
        assert_eq!(f.ending_past_due_ar_minor, 500_000);
        assert_eq!(f.period_first_day, d("2026-01-01"));
    }

    /// DSO = 1000 × 90 / 3600 = 25 exactly; 1001 × 90 / 3600 = 25.025 → 25.0
    /// (half-even at the hundredth does not arise: 25.025 is below 25.05);
    /// 1002 × 90 / 3600 = 25.05 → 25.0 (tie, even); 1006 → 25.15 → 25.2.
    #[test]
    fn rounds_half_even_once() {
        let dso = |ending| value(compute(&inputs(0, ending, 0, 3600, 0)).dso);
        assert_eq!(dso(1000), "25.0");
        assert_eq!(dso(1001), "25.0");
        assert_eq!(dso(1002), "25.0");
        assert_eq!(dso(1006), "25.2");
        // ADD rounds its exact value, not the difference of two rounded ones:
        // DSO 1006 → 25.15 → 25.2, best 1002 → 25.05 → 25.0, ADD 4 → 0.1.
        let f = compute(&inputs(0, 1006, 1002, 3600, 0));
        assert_eq!(value(f.average_days_delinquent), "0.1");
    }

    #[test]
    fn no_sales_leaves_the_day_figures_absent() {
        let f = compute(&inputs(50_000, 40_000, 10_000, 0, 0));
        for figure in [
            f.dso,
            f.best_possible_dso,
            f.average_days_delinquent,
            f.bad_debt_ratio,
        ] {
            assert_eq!(figure, Figure::Absent(Absence::NoCreditSales));
        }
        // CEI still has a value: 10,000 of the 40,000 collectible came in.
        assert_eq!(value(f.cei), "25.0");
        let json = serde_json::to_value(f.dso).unwrap();
        assert_eq!(json["value"], serde_json::Value::Null);
        assert_eq!(json["absent"], "no_credit_sales");
    }

    #[test]
    fn zero_ar_and_nothing_collectible() {
        // Nothing owed, nothing sold: nothing at all to say.
        let f = compute(&inputs(0, 0, 0, 0, 0));
        assert_eq!(f.cei, Figure::Absent(Absence::NothingCollectible));
        assert_eq!(f.dso, Figure::Absent(Absence::NoCreditSales));
        // Sold and collected everything: DSO 0, CEI 100.
        let f = compute(&inputs(0, 0, 0, 5_000, 0));
        assert_eq!(value(f.dso), "0.0");
        assert_eq!(value(f.cei), "100.0");
        let json = serde_json::to_value(f.cei).unwrap();
        assert_eq!(json["value"], "100.0");
        assert_eq!(json["scaled"], 1000);
    }

    #[test]
    fn negative_ar_from_credits_is_computed_not_hidden() {
        // A credit note beyond what was open leaves AR below zero: the
        // figures follow the arithmetic (negative DSO), they do not guess.
        let f = compute(&inputs(0, -3_000, -3_000, 9_000, 0));
        assert_eq!(value(f.dso), "-30.0");
        assert_eq!(value(f.average_days_delinquent), "0.0");
        assert_eq!(value(f.cei), "100.0");
        // Voids beyond invoicing make credit sales negative: absent.
        let mut i = inputs(10_000, 0, 0, 0, 0);
        i.sums.voided_minor = 2_000;
        let f = compute(&i);
        assert_eq!(f.credit_sales_minor, -2_000);
        assert_eq!(f.dso, Figure::Absent(Absence::NoCreditSales));
    }

    #[test]
    fn huge_values_are_absent_not_wrapped() {
        let f = compute(&inputs(0, i64::MAX, 0, 1, 0));
        assert_eq!(f.dso, Figure::Absent(Absence::OutOfRange));
    }

    #[test]
    fn sums_by_kind_and_credit_sales() {
        let mut s = PeriodSums::default();
        s.add(EntryKind::InvoiceIssued, 10_000);
        s.add(EntryKind::InvoiceIssued, 5_000);
        s.add(EntryKind::InvoiceVoided, -5_000);
        s.add(EntryKind::Fee, 300);
        s.add(EntryKind::Interest, 45);
        s.add(EntryKind::Allocation, -4_000);
        s.add(EntryKind::AllocationReversed, 1_000);
        s.add(EntryKind::CreditNote, -500);
        s.add(EntryKind::WriteOff, -700);
        s.add(EntryKind::PaymentReceived, 0);
        assert_eq!(s.invoiced_minor, 15_000);
        assert_eq!(s.voided_minor, 5_000);
        assert_eq!(s.charged_minor, 345);
        assert_eq!(s.collected_minor, 3_000);
        assert_eq!(s.credited_minor, 500);
        assert_eq!(s.written_off_minor, 700);
        assert_eq!(s.credit_sales_minor(), 10_345);
        assert_eq!(s.net_minor(), 10_345 - 3_000 - 500 - 700);
    }

    fn totals_of(after: Date, daily: &DailyTotals) -> Totals {
        let mut t = Totals::new(after);
        for (currency, day, totals) in daily.days() {
            t.add(currency, day, totals);
        }
        t
    }

    #[test]
    fn totals_give_ar_as_of_and_period_sums() {
        // Issued 1000 on 01-10, 300 paid on 02-15, and 99 issued before
        // the days kept one by one (summed with them).
        let mut daily = DailyTotals::new();
        daily.add(
            usd(),
            EntryKind::InvoiceIssued,
            d("2026-01-10"),
            1_000,
            None,
        );
        daily.add(usd(), EntryKind::Allocation, d("2026-02-15"), -300, None);
        daily.add(usd(), EntryKind::InvoiceIssued, d("2025-12-01"), 99, None);
        let t = totals_of(d("2025-12-31"), &daily);
        assert_eq!(t.ar_as_of(usd(), d("2025-12-31")), 99);
        assert_eq!(t.ar_as_of(usd(), d("2026-01-10")), 1_099);
        assert_eq!(t.ar_as_of(usd(), d("2026-02-14")), 1_099);
        assert_eq!(t.ar_as_of(usd(), d("2026-02-15")), 799);
        let p = Period::new(d("2026-01-31"), 31).unwrap();
        let i = t.inputs(usd(), p, 1_000);
        assert_eq!((i.beginning_ar_minor, i.ending_ar_minor), (99, 1_099));
        assert_eq!(i.sums.invoiced_minor, 1_000);
        assert!(has_activity(&i));
        assert_eq!(t.currencies().len(), 1);
    }

    /// One invoice issued 01-10, due 02-09, 1000; 400 paid 01-20, 600 paid
    /// 02-20 (after its due date: it never was current AR); current on
    /// 01-15 (1000), 01-25 (600), 02-09 (600); past due on 02-10; not yet
    /// issued (nothing) on 01-09. An invoice in installments counts nothing.
    #[test]
    fn current_ar_from_the_day_an_entry_is_effective_through_its_due_date() {
        let due = Some(d("2026-02-09"));
        let mut daily = DailyTotals::new();
        daily.add(usd(), EntryKind::InvoiceIssued, d("2026-01-10"), 1000, due);
        daily.add(usd(), EntryKind::Allocation, d("2026-01-20"), -400, due);
        daily.add(usd(), EntryKind::Allocation, d("2026-02-20"), -600, due);
        daily.add(usd(), EntryKind::InvoiceIssued, d("2026-01-10"), 555, None);
        let t = totals_of(d("2026-01-05"), &daily);
        assert_eq!(t.current_as_of(usd(), d("2026-01-09")), 0);
        assert_eq!(t.current_as_of(usd(), d("2026-01-15")), 1000);
        assert_eq!(t.current_as_of(usd(), d("2026-01-25")), 600);
        assert_eq!(t.current_as_of(usd(), d("2026-02-09")), 600);
        assert_eq!(t.current_as_of(usd(), d("2026-02-10")), 0);
        assert_eq!(
            t.current_as_of(Currency::parse("EUR").unwrap(), d("2026-01-15")),
            0
        );
        // The same answers when the days up to 01-25 are summed.
        let t = totals_of(d("2026-01-25"), &daily);
        assert_eq!(t.current_as_of(usd(), d("2026-02-09")), 600);
        assert_eq!(t.current_as_of(usd(), d("2026-02-10")), 0);
    }

    fn any_inputs() -> impl Strategy<Value = FigureInputs> {
        (
            0i64..1_000_000_000,
            0i64..1_000_000_000,
            0i64..1_000_000_000,
            0i64..1_000_000_000,
            0i64..1_000_000_000,
            1u32..=PERIOD_DAYS_MAX,
        )
            .prop_map(|(b, e, c, s, w, days)| FigureInputs {
                currency: usd(),
                period: Period::new(d("2026-06-30"), days).unwrap(),
                beginning_ar_minor: b,
                ending_ar_minor: e.max(c),
                ending_current_ar_minor: c.min(e),
                sums: PeriodSums {
                    invoiced_minor: s,
                    written_off_minor: w,
                    ..PeriodSums::default()
                },
            })
    }

    proptest! {
        #[test]
        fn cei_is_at_most_100_and_dso_at_least_best(i in any_inputs()) {
            let f = compute(&i);
            match f.cei {
                Figure::Value(v) => prop_assert!(v.scaled <= 1000, "CEI {v}"),
                Figure::Absent(a) => prop_assert_eq!(a, Absence::NothingCollectible),
            }
            match (f.dso, f.best_possible_dso, f.average_days_delinquent) {
                (Figure::Value(dso), Figure::Value(best), Figure::Value(add)) => {
                    prop_assert!(dso >= best);
                    prop_assert!(add.scaled >= 0);
                    prop_assert!((add.scaled - (dso.scaled - best.scaled)).abs() <= 1);
                }
                (dso, best, add) => {
                    prop_assert_eq!(i.sums.credit_sales_minor(), 0);
                    for figure in [dso, best, add] {
                        prop_assert_eq!(figure, Figure::Absent(Absence::NoCreditSales));
                    }
                }
            }
        }

        /// Beginning + what moved in the period = ending, for any entries.
        #[test]
        fn totals_add_up(
            entries in proptest::collection::vec((0usize..9, 1i32..200, -10_000i64..10_000), 0..60),
            end in 20i32..200,
            days in 1u32..120,
        ) {
            let base = d("2026-01-01");
            let mut daily = DailyTotals::new();
            for (k, day, amount) in &entries {
                let amount = if KINDS[*k] == EntryKind::PaymentReceived { 0 } else { *amount };
                daily.add(usd(), KINDS[*k], base.add_days(*day), amount, None);
            }
            let p = Period::new(base.add_days(end), days).unwrap();
            let t = totals_of(p.day_before(), &daily);
            let i = t.inputs(usd(), p, 0);
            prop_assert_eq!(i.beginning_ar_minor + i.sums.net_minor(), i.ending_ar_minor);
            let f = compute(&i);
            prop_assert_eq!(f.credit_sales_minor, i.sums.credit_sales_minor());
        }

        /// AR and current AR read from daily totals, whichever day they
        /// are summed through, equal the entries' own sums: AR as of D is
        /// every entry effective by D; current AR is those on invoices with
        /// one due date on or after D.
        #[test]
        fn totals_equal_the_entries_on_every_date(
            entries in proptest::collection::vec(
                (0usize..9, -30i32..120, proptest::option::of(-30i32..150), -10_000i64..10_000),
                0..60,
            ),
            after in -40i32..100,
        ) {
            let base = d("2026-01-01");
            let mut daily = DailyTotals::new();
            for (k, day, due, amount) in &entries {
                let amount = if KINDS[*k] == EntryKind::PaymentReceived { 0 } else { *amount };
                daily.add(usd(), KINDS[*k], base.add_days(*day), amount,
                          due.map(|due| base.add_days(due)));
            }
            let t = totals_of(base.add_days(after), &daily);
            for date in (after + 1)..160 {
                let net = |k: usize, a: i64| if KINDS[k] == EntryKind::PaymentReceived { 0 } else { a };
                let ar: i64 = entries.iter().filter(|e| e.1 <= date).map(|e| net(e.0, e.3)).sum();
                let current: i64 = entries
                    .iter()
                    .filter(|e| e.1 <= date && e.2.is_some_and(|due| due >= date))
                    .map(|e| net(e.0, e.3))
                    .sum();
                let on = base.add_days(date);
                prop_assert_eq!(t.ar_as_of(usd(), on), ar, "AR on {}", on);
                prop_assert_eq!(t.current_as_of(usd(), on), current, "current on {}", on);
            }
        }
    }
}
