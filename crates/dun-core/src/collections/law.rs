//! Late-payment law as presets: statutory interest from the official
//! reference rates, the fixed compensation per invoice, and which rate
//! applies to which days.
//!
//! The reference rates are data: a table of (series, in force from, rate,
//! source) shipped in `reference_rates.csv` (compiled in) and extended or
//! corrected by the owner's own rows (`dun rates reference import`). The
//! rules here are pure: the dates and the tables come in as arguments.
//!
//! Which rate applies to a day:
//! - **EU Directive 2011/7/EU art. 2(6)**, **§ 288 / § 247 BGB** and
//!   **Code de commerce L441-10**: the rate in force on 1 January applies
//!   to the first half of the year, the rate in force on 1 July to the
//!   second; the statutory rate of a day follows the half-year the day is
//!   in ([`RateFixing::EachHalfYear`]).
//! - **Late Payment of Commercial Debts (Interest) Act 1998**, as set by
//!   the Late Payment of Commercial Debts (Rate of Interest) (No. 3) Order
//!   2002 (SI 2002/1675): 8 % over the Bank of England rate in force on
//!   30 June (interest that starts to run between 1 July and 31 December)
//!   or 31 December (interest that starts to run between 1 January and
//!   30 June) *immediately before the day statutory interest starts to
//!   run* — fixed for the debt from then on ([`RateFixing::WhenInterestStarts`]).
//!
//! Interest is simple, accrued daily on the overdue principal (never on
//! fees, compensation or interest) from the day after the due date, over
//! a 365-day year (also in leap years: the UK guidance divides by 365, as
//! the Irish and French guidance do; German practice varies, some courts
//! count 366 in a leap year). Each posting (one calendar month) is summed
//! exactly and rounded half-even once.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::charges::{
    accrual_parts, bearing_principal, change_days, charged_minor, interest_months,
    open_split_as_of, AccrualPart,
};
use super::policy::{AllocationOrder, NoAmountIn};
use crate::currency::Currency;
use crate::date::Date;
use crate::ledger::EntryKind;
use crate::money::{format_scaled, parse_scaled, round_half_even};
use crate::state::InvoiceState;

/// The reference rates shipped with Dun (see the file for each row's source).
pub const SHIPPED_RATES_CSV: &str = include_str!("reference_rates.csv");

/// Most rows a reference-rate file may have.
pub const RATE_ROWS_MAX: usize = 10_000;
/// Longest `source` text of a row, in bytes.
pub const RATE_SOURCE_BYTES_MAX: usize = 1_000;
/// Rates are kept in millionths of a percent.
pub const RATE_SCALE: u8 = 6;
const RATE_UNIT: i128 = 1_000_000;
/// Days in the year of a daily rate (all presets; see the module notes).
pub const YEAR_DAYS: i128 = 365;
/// Largest reference rate accepted, in percent either way.
pub const RATE_PERCENT_MAX: i64 = 100;

/// A published series of reference rates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateSeries {
    /// The ECB's rate on its main refinancing operations (fixed-rate tenders).
    EcbMro,
    /// The Deutsche Bundesbank's base rate of § 247 BGB (Basiszinssatz).
    DeBase,
    /// The Bank of England's Bank Rate ("base rate", official dealing rate).
    BoeBase,
}

impl RateSeries {
    pub const ALL: [RateSeries; 3] = [RateSeries::EcbMro, RateSeries::DeBase, RateSeries::BoeBase];

    pub fn as_str(self) -> &'static str {
        match self {
            RateSeries::EcbMro => "ecb_mro",
            RateSeries::DeBase => "de_base",
            RateSeries::BoeBase => "boe_base",
        }
    }

    pub fn parse(text: &str) -> Option<RateSeries> {
        RateSeries::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// A person's name for it.
    pub fn title(self) -> &'static str {
        match self {
            RateSeries::EcbMro => "ECB main refinancing operations rate",
            RateSeries::DeBase => "Bundesbank base rate (§ 247 BGB)",
            RateSeries::BoeBase => "Bank of England base rate",
        }
    }
}

impl fmt::Display for RateSeries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rate in percent a year, exact to millionths, signed (the Bundesbank
/// base rate was negative from 2013 to 2022).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub struct Percent(i64);

impl Percent {
    pub fn from_micros(micros: i64) -> Percent {
        Percent(micros)
    }

    pub fn micros(self) -> i64 {
        self.0
    }

    /// `"2.15"`, `"-0.88"`: up to six places, within ±[`RATE_PERCENT_MAX`].
    pub fn parse(text: &str) -> Result<Percent, String> {
        match parse_scaled(text, RATE_SCALE) {
            Ok(v) if v.abs() > i128::from(RATE_PERCENT_MAX) * RATE_UNIT => {
                Err(format!("'{text}' is beyond ±{RATE_PERCENT_MAX} percent"))
            }
            Ok(v) => Ok(Percent(v as i64)),
            Err(Some(d)) => Err(format!(
                "'{text}' has {d} decimal places; at most {RATE_SCALE} are accepted"
            )),
            Err(None) => Err(format!("'{text}' is not a decimal number such as 2.15")),
        }
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format_scaled(i128::from(self.0), RATE_SCALE);
        let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
        let frac = frac.trim_end_matches('0');
        // At least two places, as rates are published.
        write!(f, "{whole}.{frac:0<2}")
    }
}

impl From<Percent> for String {
    fn from(value: Percent) -> Self {
        value.to_string()
    }
}

/// One row of a reference-rate table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReferenceRate {
    pub series: RateSeries,
    pub in_force_from: Date,
    pub rate: Percent,
    /// Where the figure was read (a URL or publication), or how it was derived.
    pub source: String,
}

/// A row of a rate file that cannot be read: its line (1-based, the
/// header is a line too), the column and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RateRowProblem {
    pub line: usize,
    pub column: &'static str,
    pub reason: String,
}

impl fmt::Display for RateRowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.column, self.reason)
    }
}

/// The columns of a rate file, in order.
pub const RATE_COLUMNS: [&str; 4] = ["series", "in_force_from", "rate_percent", "source"];

/// Splits one CSV line into fields (commas; double quotes around a field,
/// `""` for a quote inside one).
fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
            }
            (false, ',') => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    fields.push(field);
    Ok(fields)
}

/// Reads a rate file: a header `series,in_force_from,rate_percent,source`,
/// then one rate a line; blank lines and lines starting with `#` are
/// notes. Every problem is reported, each with its line; a row needs a
/// source, and a series and day may appear once.
pub fn parse_rates_csv(text: &str) -> Result<Vec<ReferenceRate>, Vec<RateRowProblem>> {
    let mut problems = Vec::new();
    let mut rows: Vec<ReferenceRate> = Vec::new();
    let mut header_seen = false;
    let mut seen: BTreeMap<(RateSeries, Date), usize> = BTreeMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty() || raw.trim_start().starts_with('#') {
            continue;
        }
        let fields = match csv_fields(raw) {
            Ok(f) => f,
            Err(reason) => {
                problems.push(RateRowProblem {
                    line,
                    column: "row",
                    reason,
                });
                continue;
            }
        };
        if !header_seen {
            header_seen = true;
            let names: Vec<&str> = fields.iter().map(|f| f.trim()).collect();
            if names != RATE_COLUMNS {
                problems.push(RateRowProblem {
                    line,
                    column: "header",
                    reason: format!("expected {}", RATE_COLUMNS.join(",")),
                });
                return Err(problems);
            }
            continue;
        }
        if fields.len() != RATE_COLUMNS.len() {
            problems.push(RateRowProblem {
                line,
                column: "row",
                reason: format!(
                    "{} fields; expected {} ({})",
                    fields.len(),
                    RATE_COLUMNS.len(),
                    RATE_COLUMNS.join(",")
                ),
            });
            continue;
        }
        if rows.len() >= RATE_ROWS_MAX {
            problems.push(RateRowProblem {
                line,
                column: "row",
                reason: format!("more than {RATE_ROWS_MAX} rows"),
            });
            break;
        }
        let mut bad = |column: &'static str, reason: String| {
            problems.push(RateRowProblem {
                line,
                column,
                reason,
            })
        };
        let series = RateSeries::parse(fields[0].trim());
        if series.is_none() {
            bad(
                "series",
                format!(
                    "'{}' is not a series; one of {}",
                    fields[0].trim(),
                    RateSeries::ALL.map(RateSeries::as_str).join(", ")
                ),
            );
        }
        let date = Date::parse(fields[1].trim()).ok();
        if date.is_none() {
            bad(
                "in_force_from",
                format!("'{}' is not a date (YYYY-MM-DD)", fields[1].trim()),
            );
        }
        let rate = Percent::parse(fields[2].trim())
            .map_err(|reason| bad("rate_percent", reason))
            .ok();
        let source = fields[3].trim().to_string();
        if source.is_empty() {
            bad(
                "source",
                "say where the rate was read (a URL or publication)".into(),
            );
        } else if source.len() > RATE_SOURCE_BYTES_MAX || source.contains('\0') {
            bad(
                "source",
                format!("at most {RATE_SOURCE_BYTES_MAX} bytes of text"),
            );
        }
        if let (Some(series), Some(date), Some(rate)) = (series, date, rate) {
            if let Some(first) = seen.insert((series, date), line) {
                bad(
                    "in_force_from",
                    format!("{series} {date} is given already on line {first}"),
                );
                continue;
            }
            if !source.is_empty() && source.len() <= RATE_SOURCE_BYTES_MAX {
                rows.push(ReferenceRate {
                    series,
                    in_force_from: date,
                    rate,
                    source,
                });
            }
        }
    }
    if !header_seen {
        problems.push(RateRowProblem {
            line: 1,
            column: "header",
            reason: format!("expected {}", RATE_COLUMNS.join(",")),
        });
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

/// The reference rates Dun knows: per series, rows by the day they are in
/// force from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReferenceRates {
    series: BTreeMap<RateSeries, BTreeMap<Date, ReferenceRate>>,
}

impl ReferenceRates {
    pub fn from_rows(rows: impl IntoIterator<Item = ReferenceRate>) -> ReferenceRates {
        let mut rates = ReferenceRates::default();
        rates.extend(rows);
        rates
    }

    /// The table shipped with Dun.
    pub fn shipped() -> ReferenceRates {
        ReferenceRates::from_rows(
            parse_rates_csv(SHIPPED_RATES_CSV).expect("the shipped rate table reads (tested)"),
        )
    }

    /// Adds rows; a row replaces one of the same series and day.
    pub fn extend(&mut self, rows: impl IntoIterator<Item = ReferenceRate>) {
        for row in rows {
            self.series
                .entry(row.series)
                .or_default()
                .insert(row.in_force_from, row);
        }
    }

    /// Every row of `series`, oldest first.
    pub fn rows(&self, series: RateSeries) -> impl Iterator<Item = &ReferenceRate> {
        self.series
            .get(&series)
            .into_iter()
            .flat_map(|m| m.values())
    }

    /// The rate of `series` in force on `day`, if the table reaches that
    /// day: a row dated `day` or later must exist (else the table may have
    /// missed a change), and one dated `day` or earlier.
    pub fn in_force_on(
        &self,
        series: RateSeries,
        day: Date,
    ) -> Result<&ReferenceRate, RateUnknown> {
        let unknown = RateUnknown { series, on: day };
        let rows = self.series.get(&series).ok_or(unknown)?;
        let (last, _) = rows.last_key_value().ok_or(unknown)?;
        if *last < day {
            return Err(unknown);
        }
        rows.range(..=day)
            .next_back()
            .map(|(_, r)| r)
            .ok_or(unknown)
    }
}

/// The table does not say which rate of a series was in force on a day:
/// the run charges nothing for the days it fixes and says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RateUnknown {
    pub series: RateSeries,
    pub on: Date,
}

impl fmt::Display for RateUnknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} in force on {} is not in Dun's rate table yet; import the published rate into the reference rates",
            self.series.title(),
            self.on
        )
    }
}

/// How a preset picks the reference rate for a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RateFixing {
    /// The rate in force on 1 January applies to January–June, the rate in
    /// force on 1 July to July–December; the rate moves with the half-years.
    EachHalfYear,
    /// The rate in force on 31 December (for interest starting to run in
    /// January–June) or 30 June (July–December) immediately before the day
    /// interest starts to run, fixed for the debt.
    WhenInterestStarts,
}

/// Whether a customer is a business or a consumer. The presets are for
/// debts between businesses only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DebtorKind {
    #[default]
    Business,
    Consumer,
}

impl DebtorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DebtorKind::Business => "business",
            DebtorKind::Consumer => "consumer",
        }
    }

    pub fn parse(text: &str) -> Option<DebtorKind> {
        [DebtorKind::Business, DebtorKind::Consumer]
            .into_iter()
            .find(|k| k.as_str() == text)
    }

    pub fn is_business(&self) -> bool {
        *self == DebtorKind::Business
    }
}

/// The late-payment law a policy follows (`law = "…"`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Law {
    /// No statutory preset: the policy's own `[interest]` and `[late_fee]`.
    #[default]
    None,
    /// Directive 2011/7/EU: ECB MRO + 8 points, €40 per invoice.
    #[serde(rename = "eu_2011_7")]
    Eu2011_7,
    /// Germany, § 288 Abs. 2 and 5 BGB: § 247 base rate + 9 points, €40.
    #[serde(rename = "de_bgb_288")]
    DeBgb288,
    /// France, Code de commerce L441-10 and D441-5: ECB MRO + 10 points, €40.
    #[serde(rename = "fr_l441_10")]
    FrL441_10,
    /// UK, Late Payment of Commercial Debts (Interest) Act 1998: base
    /// rate + 8 %, £40 / £70 / £100.
    #[serde(rename = "uk_late_payment_1998")]
    UkLatePayment1998,
}

/// The fixed compensation of the EU presets, in euro cents.
#[allow(clippy::inconsistent_digit_grouping)] // cents written as euro_cents
pub const EU_COMPENSATION_EUR_MINOR: i64 = 40_00;
/// The UK's fixed sums (s. 5A of the 1998 Act) by the size of the debt, in
/// pence: (debt from, sum). Under £1,000: £40; £1,000 to £9,999.99: £70;
/// £10,000 or more: £100.
#[allow(clippy::inconsistent_digit_grouping)] // pence written as pounds_pence
pub const UK_COMPENSATION_GBP_MINOR: [(i64, i64); 3] =
    [(0, 40_00), (1_000_00, 70_00), (10_000_00, 100_00)];

impl Law {
    pub const ALL: [Law; 5] = [
        Law::None,
        Law::Eu2011_7,
        Law::DeBgb288,
        Law::FrL441_10,
        Law::UkLatePayment1998,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Law::None => "none",
            Law::Eu2011_7 => "eu_2011_7",
            Law::DeBgb288 => "de_bgb_288",
            Law::FrL441_10 => "fr_l441_10",
            Law::UkLatePayment1998 => "uk_late_payment_1998",
        }
    }

    pub fn is_none(&self) -> bool {
        *self == Law::None
    }

    /// The law's name as a person reads it.
    pub fn title(self) -> &'static str {
        match self {
            Law::None => "no statutory preset",
            Law::Eu2011_7 => "EU Late Payment Directive 2011/7/EU",
            Law::DeBgb288 => "Germany, § 288 BGB",
            Law::FrL441_10 => "France, Code de commerce art. L441-10",
            Law::UkLatePayment1998 => "UK Late Payment of Commercial Debts (Interest) Act 1998",
        }
    }

    pub fn series(self) -> Option<RateSeries> {
        match self {
            Law::None => None,
            Law::Eu2011_7 | Law::FrL441_10 => Some(RateSeries::EcbMro),
            Law::DeBgb288 => Some(RateSeries::DeBase),
            Law::UkLatePayment1998 => Some(RateSeries::BoeBase),
        }
    }

    /// Points over the reference rate, in millionths of a percent.
    pub fn margin(self) -> Percent {
        Percent::from_micros(match self {
            Law::None => 0,
            Law::Eu2011_7 | Law::UkLatePayment1998 => 8_000_000,
            Law::DeBgb288 => 9_000_000,
            Law::FrL441_10 => 10_000_000,
        })
    }

    pub fn fixing(self) -> RateFixing {
        match self {
            Law::UkLatePayment1998 => RateFixing::WhenInterestStarts,
            _ => RateFixing::EachHalfYear,
        }
    }

    /// The order a partial payment settles an invoice's parts in, where the
    /// law sets one: § 367 BGB (costs, then interest, then principal) and
    /// art. 1343-1 Code civil (interest before principal). The Directive
    /// and the UK Act set none.
    pub fn allocation(self) -> Option<AllocationOrder> {
        match self {
            Law::DeBgb288 | Law::FrL441_10 => Some(AllocationOrder::FeesInterestPrincipal),
            _ => None,
        }
    }

    /// The fixed compensation for a debt of `debt_minor` in `currency`,
    /// charged once per invoice; the law names it in one currency only
    /// (euro, or pounds sterling) and it is never converted.
    pub fn compensation_minor(
        self,
        currency: Currency,
        debt_minor: i64,
    ) -> Result<i64, NoAmountIn> {
        let missing = NoAmountIn {
            field: "law.compensation",
            currency,
        };
        match self {
            Law::None => Ok(0),
            Law::Eu2011_7 | Law::DeBgb288 | Law::FrL441_10 => {
                if currency.code() == "EUR" {
                    Ok(EU_COMPENSATION_EUR_MINOR)
                } else {
                    Err(missing)
                }
            }
            Law::UkLatePayment1998 => {
                if currency.code() != "GBP" {
                    return Err(missing);
                }
                Ok(UK_COMPENSATION_GBP_MINOR
                    .iter()
                    .rev()
                    .find(|(from, _)| debt_minor >= *from)
                    .map_or(0, |(_, sum)| *sum))
            }
        }
    }

    /// The reference rate that applies to `day` of a debt whose statutory
    /// interest starts to run on `starts`.
    pub fn reference_for(
        self,
        rates: &ReferenceRates,
        starts: Date,
        day: Date,
    ) -> Result<Option<&ReferenceRate>, RateUnknown> {
        let Some(series) = self.series() else {
            return Ok(None);
        };
        let fixing_day = match self.fixing() {
            RateFixing::EachHalfYear => half_year_start(day),
            RateFixing::WhenInterestStarts => half_year_start(starts).add_days(-1),
        };
        rates.in_force_on(series, fixing_day).map(Some)
    }
}

impl fmt::Display for Law {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// 1 January or 1 July of the half-year `day` is in.
pub fn half_year_start(day: Date) -> Date {
    let (y, m, _) = day.ymd();
    Date::from_ymd(y, if m <= 6 { 1 } else { 7 }, 1).expect("1 January and 1 July exist")
}

/// Days of a statutory interest charge over which nothing changed: the
/// principal, and the rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatutoryPeriod {
    pub from: Date,
    pub through: Date,
    pub days: i32,
    pub principal_minor: i64,
    pub reference: Percent,
    pub reference_series: RateSeries,
    /// The row of the table the reference rate was read from.
    pub reference_in_force_from: Date,
    pub margin: Percent,
    /// Reference + margin, never below 0.
    pub rate: Percent,
    /// `principal × days × rate` in millionths of a percent-day: the
    /// period's exact interest is this / (100 × 10⁶ × 365) minor units.
    pub numerator: i128,
}

/// Statutory interest for the days `from..=through` of an invoice: its
/// periods and the sum, rounded half-even once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatutoryCharge {
    pub from: Date,
    pub through: Date,
    pub periods: Vec<StatutoryPeriod>,
    pub amount_minor: i64,
}

/// The denominator of a period's numerator: percent, millionths, year days.
pub const STATUTORY_DENOMINATOR: i128 = 100 * RATE_UNIT * YEAR_DAYS;

/// The day statutory interest starts to run on `invoice`: the day after
/// its due date (on installment terms, after its first installment's:
/// each installment bears interest from the day after its own, see
/// [`statutory_parts`]).
pub fn interest_starts(invoice: &InvoiceState) -> Date {
    invoice
        .schedule
        .first()
        .map_or(invoice.issue_date, |i| i.due_date)
        .add_days(1)
}

/// The parts of an invoice on installment terms, each bearing statutory
/// interest from the day after its own due date.
pub fn statutory_parts(invoice: &InvoiceState) -> Vec<AccrualPart> {
    accrual_parts(invoice, |_, due| Some(due.add_days(1)))
}

/// Statutory interest under `law` on `invoice` for `from..=through`
/// (clipped to start the day after the due date): each day accrues
/// `principal × (reference + margin) / 100 / 365`, where the principal is
/// the overdue principal at the end of that day with what was paid
/// settling the parts in `order`. Fees, compensation and interest never
/// bear interest. The sum is rounded half-even once.
pub fn statutory_interest(
    law: Law,
    rates: &ReferenceRates,
    invoice: &InvoiceState,
    from: Date,
    through: Date,
    order: AllocationOrder,
) -> Result<StatutoryCharge, RateUnknown> {
    let starts = interest_starts(invoice);
    let parts = statutory_parts(invoice);
    let from = from.max(starts);
    let mut periods: Vec<StatutoryPeriod> = Vec::new();
    if law.is_none() || from > through {
        return Ok(StatutoryCharge {
            from,
            through,
            periods,
            amount_minor: 0,
        });
    }
    // The principal changes only on days with a movement or an
    // installment's start, the rate only on the first day of a half-year.
    let mut boundaries: Vec<Date> = change_days(invoice, &parts, from, through);
    let mut h = half_year_start(from);
    loop {
        let (y, m, _) = h.ymd();
        h = if m == 1 {
            Date::from_ymd(y, 7, 1)
        } else {
            Date::from_ymd(y + 1, 1, 1)
        }
        .expect("half-years exist");
        if h > through {
            break;
        }
        boundaries.push(h);
    }
    boundaries.sort_unstable();
    boundaries.dedup();
    let mut start = from;
    for next in boundaries
        .into_iter()
        .chain(std::iter::once(through.add_days(1)))
    {
        let principal = bearing_principal(
            open_split_as_of(invoice, start, order).principal_minor,
            &parts,
            start,
        );
        let days = next.days_since(start);
        if principal > 0 && days > 0 {
            let reference = law
                .reference_for(rates, starts, start)?
                .expect("a law other than none has a series");
            let margin = law.margin();
            let rate = Percent::from_micros((reference.rate.micros() + margin.micros()).max(0));
            let numerator = i128::from(principal) * i128::from(days) * i128::from(rate.micros());
            let through_day = next.add_days(-1);
            // Join a period to the one before when nothing changed.
            match periods.last_mut() {
                Some(p)
                    if p.principal_minor == principal
                        && p.rate == rate
                        && p.reference_in_force_from == reference.in_force_from
                        && p.through.add_days(1) == start =>
                {
                    p.through = through_day;
                    p.days += days;
                    p.numerator += numerator;
                }
                _ => periods.push(StatutoryPeriod {
                    from: start,
                    through: through_day,
                    days,
                    principal_minor: principal,
                    reference: reference.rate,
                    reference_series: reference.series,
                    reference_in_force_from: reference.in_force_from,
                    margin,
                    rate,
                    numerator,
                }),
            }
        }
        start = next;
    }
    let total: i128 = periods.iter().map(|p| p.numerator).sum();
    Ok(StatutoryCharge {
        from,
        through,
        periods,
        amount_minor: round_half_even(total, STATUTORY_DENOMINATOR) as i64,
    })
}

/// A calculation sheet: the statutory interest on one invoice month by
/// month, as the daily run posts it (each month with its periods: days,
/// principal, reference rate, margin, rate), the fixed compensation, and
/// what the ledger holds beside it — what a debtor or a court checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CalculationSheet {
    pub law: Law,
    /// The day interest starts to run (the day after the due date).
    pub starts: Date,
    /// Each whole month ended before the sheet's date, with interest in it.
    pub months: Vec<StatutoryCharge>,
    /// The months' sum.
    pub interest_minor: i64,
    /// Interest on the ledger for this invoice, net of reversals.
    pub posted_interest_minor: i64,
    /// Fixed compensation on the ledger, net of reversals.
    pub compensation_minor: i64,
}

impl StatutoryPeriod {
    /// The period's interest before the month's one rounding, in units of
    /// `currency` with two more places than it has (`51.8641`), so a
    /// person adds up what the sheet shows.
    pub fn exact_interest(&self, currency: Currency) -> String {
        format_scaled(
            round_half_even(self.numerator * 100, STATUTORY_DENOMINATOR),
            currency.exponent() + 2,
        )
    }
}

impl CalculationSheet {
    /// The sheet's interest is what the ledger holds, to the cent.
    pub fn matches_ledger(&self) -> bool {
        self.interest_minor == self.posted_interest_minor
    }
}

/// The calculation sheet of `invoice` under `law` as of `as_of`: every
/// whole month ended before it, from the day interest starts (not before
/// `not_before`, the day an imported invoice entered the ladder).
pub fn calculation_sheet(
    law: Law,
    rates: &ReferenceRates,
    invoice: &InvoiceState,
    order: AllocationOrder,
    as_of: Date,
    not_before: Option<Date>,
) -> Result<CalculationSheet, RateUnknown> {
    let starts = not_before.map_or(interest_starts(invoice), |d| {
        interest_starts(invoice).max(d)
    });
    let mut months = Vec::new();
    if !law.is_none() && starts < as_of {
        for (from, through) in interest_months(starts, as_of) {
            let charge = statutory_interest(law, rates, invoice, from, through, order)?;
            if charge.amount_minor > 0 {
                months.push(charge);
            }
        }
    }
    Ok(CalculationSheet {
        law,
        starts,
        interest_minor: months.iter().map(|m| m.amount_minor).sum(),
        months,
        posted_interest_minor: charged_minor(invoice, EntryKind::Interest),
        compensation_minor: charged_minor(invoice, EntryKind::Compensation),
    })
}

#[cfg(test)]
// Minor units written as major_minor (100_00 is 100.00) read as money.
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;
    use crate::book::Book;
    use crate::invoice::{InvoiceDraft, InvoiceLine};
    use crate::ledger::EntryKind;
    use crate::posting::AllocationRequest;
    use crate::terms::Terms;
    use proptest::prelude::*;

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn cur(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    /// A book with one invoice of `total_minor` in `currency` due on `due`.
    fn invoice(currency: &str, total_minor: i64, due: &str) -> (Book, i64) {
        let due = day(due);
        let issued = due.add_days(-30);
        let mut book = Book::new();
        let id = book
            .issue(&InvoiceDraft {
                customer_id: 1,
                currency: cur(currency),
                issue_date: issued,
                terms: Terms::Net { days: 30 },
                description: String::new(),
                lines: vec![InvoiceLine::new("work", 10_000, total_minor, 0).unwrap()],
                installments: Vec::new(),
            })
            .unwrap();
        (book, id)
    }

    fn charge(law: Law, book: &Book, id: i64, from: &str, through: &str) -> StatutoryCharge {
        statutory_interest(
            law,
            &ReferenceRates::shipped(),
            &book.invoices[&id],
            day(from),
            day(through),
            AllocationOrder::PrincipalFirst,
        )
        .unwrap()
    }

    /// (from, through, days, principal, reference, rate) of each period.
    fn periods(c: &StatutoryCharge) -> Vec<(String, String, i32, i64, String, String)> {
        c.periods
            .iter()
            .map(|p| {
                (
                    p.from.to_string(),
                    p.through.to_string(),
                    p.days,
                    p.principal_minor,
                    p.reference.to_string(),
                    p.rate.to_string(),
                )
            })
            .collect()
    }

    fn row(
        f: &str,
        t: &str,
        d: i32,
        p: i64,
        r: &str,
        rate: &str,
    ) -> (String, String, i32, i64, String, String) {
        (f.into(), t.into(), d, p, r.into(), rate.into())
    }

    #[test]
    fn the_shipped_table_reads_and_every_row_names_its_source() {
        let rows = parse_rates_csv(SHIPPED_RATES_CSV).unwrap();
        assert!(rows.len() > 30);
        assert!(rows.iter().all(|r| !r.source.trim().is_empty()));
        for series in RateSeries::ALL {
            assert!(rows.iter().any(|r| r.series == series), "{series}");
        }
    }

    /// The rates the presets read, checked against the official tables:
    /// Irish Dept. of Enterprise "Late payment interest rate" (ECB rate on
    /// 1 January / 1 July), payontime.co.uk reference-rate table (BoE on
    /// 31 December / 30 June), Bundesbank base rates.
    #[test]
    fn the_rate_for_each_half_year_is_the_one_published() {
        let rates = ReferenceRates::shipped();
        let ecb = |d: &str| {
            rates
                .in_force_on(RateSeries::EcbMro, day(d))
                .unwrap()
                .rate
                .to_string()
        };
        // enterprise.gov.ie: 1 Jan 2023 2.50, 1 Jul 2023 4.00, 1 Jan 2024 4.50, 1 Jul 2024 4.25.
        assert_eq!(ecb("2023-01-01"), "2.50");
        assert_eq!(ecb("2023-07-01"), "4.00");
        assert_eq!(ecb("2024-01-01"), "4.50");
        assert_eq!(ecb("2024-07-01"), "4.25");
        assert_eq!(ecb("2025-01-01"), "3.15");
        assert_eq!(ecb("2025-07-01"), "2.15");
        assert_eq!(ecb("2026-01-01"), "2.15");
        let de = |d: &str| {
            rates
                .in_force_on(RateSeries::DeBase, day(d))
                .unwrap()
                .rate
                .to_string()
        };
        assert_eq!(de("2022-12-31"), "-0.88");
        assert_eq!(de("2023-01-01"), "1.62");
        assert_eq!(de("2024-07-01"), "3.37");
        assert_eq!(de("2026-01-01"), "1.27");
        let boe = |d: &str| {
            rates
                .in_force_on(RateSeries::BoeBase, day(d))
                .unwrap()
                .rate
                .to_string()
        };
        // payontime.co.uk: 31 Dec 2022 3.50, 30 Jun 2023 5.00, 31 Dec 2023 5.25.
        assert_eq!(boe("2022-12-31"), "3.50");
        assert_eq!(boe("2023-06-30"), "5.00");
        assert_eq!(boe("2023-12-31"), "5.25");
        assert_eq!(boe("2024-06-30"), "5.25");
        assert_eq!(boe("2024-12-31"), "4.75");
        assert_eq!(boe("2025-06-30"), "4.25");
        assert_eq!(boe("2025-12-31"), "3.75");
    }

    #[test]
    fn a_day_past_the_table_has_no_rate_until_one_is_imported() {
        let mut rates = ReferenceRates::shipped();
        assert_eq!(
            rates.in_force_on(RateSeries::EcbMro, day("2026-07-01")),
            Err(RateUnknown {
                series: RateSeries::EcbMro,
                on: day("2026-07-01")
            })
        );
        rates.extend(
            parse_rates_csv(
                "series,in_force_from,rate_percent,source\necb_mro,2026-07-01,2.15,my check\n",
            )
            .unwrap(),
        );
        assert_eq!(
            rates
                .in_force_on(RateSeries::EcbMro, day("2026-07-01"))
                .unwrap()
                .source,
            "my check"
        );
    }

    #[test]
    fn a_bad_rate_file_names_every_line_and_column() {
        let text = "series,in_force_from,rate_percent,source\n\
                    ecb_mro,2024-13-01,2.15,x\n\
                    fed,2024-01-01,abc,\n\
                    # a note\n\
                    ecb_mro,2024-01-01,4.50,\"ECB, key rates\"\n\
                    ecb_mro,2024-01-01,4.50,again\n";
        let problems = parse_rates_csv(text).unwrap_err();
        let got: Vec<(usize, &str)> = problems.iter().map(|p| (p.line, p.column)).collect();
        assert_eq!(
            got,
            vec![
                (2, "in_force_from"),
                (3, "series"),
                (3, "rate_percent"),
                (3, "source"),
                (6, "in_force_from"),
            ]
        );
        assert!(parse_rates_csv("a,b\n").is_err());
    }

    /// § 288 Abs. 2 BGB, € 10,000.00 due 15 June 2024: from 16 June, base
    /// rate 3.62 % (1 Jan 2024) plus 9 = 12.62 % for June, 3.37 % (1 Jul
    /// 2024) plus 9 = 12.37 % from July.
    /// June: 10,000 × 12.62 % × 15 / 365 = 51.863… → 51.86.
    /// July: 10,000 × 12.37 % × 31 / 365 = 105.060… → 105.06.
    #[test]
    fn each_installment_bears_interest_from_the_day_after_its_own_due_date() {
        // 2,000.00 in two parts due 2024-01-31 and 2024-03-01: February
        // bears the first part alone; the second joins on 2 March.
        let mut book = Book::new();
        let id = book
            .issue(&InvoiceDraft {
                customer_id: 1,
                currency: cur("EUR"),
                issue_date: day("2024-01-01"),
                terms: Terms::Installments { days: vec![30, 60] },
                description: String::new(),
                lines: vec![InvoiceLine::new("work", 10_000, 2_000_00, 0).unwrap()],
                installments: Vec::new(),
            })
            .unwrap();
        let inv = &book.invoices[&id];
        assert_eq!(interest_starts(inv), day("2024-02-01"));
        let spans = |c: &StatutoryCharge| -> Vec<(String, String, i32, i64)> {
            periods(c)
                .into_iter()
                .map(|(f, t, d, p, _, _)| (f, t, d, p))
                .collect()
        };
        let feb = charge(Law::Eu2011_7, &book, id, "2024-02-01", "2024-02-29");
        assert_eq!(
            spans(&feb),
            vec![("2024-02-01".into(), "2024-02-29".into(), 29, 1_000_00)]
        );
        let march = charge(Law::Eu2011_7, &book, id, "2024-03-01", "2024-03-31");
        assert_eq!(
            spans(&march),
            vec![
                ("2024-03-01".into(), "2024-03-01".into(), 1, 1_000_00),
                ("2024-03-02".into(), "2024-03-31".into(), 30, 2_000_00),
            ]
        );
    }

    #[test]
    fn de_crosses_the_half_year_at_the_new_base_rate() {
        let (book, id) = invoice("EUR", 10_000_00, "2024-06-15");
        let june = charge(Law::DeBgb288, &book, id, "2024-06-01", "2024-06-30");
        assert_eq!(june.amount_minor, 51_86);
        assert_eq!(
            periods(&june),
            vec![row(
                "2024-06-16",
                "2024-06-30",
                15,
                10_000_00,
                "3.62",
                "12.62"
            )]
        );
        let july = charge(Law::DeBgb288, &book, id, "2024-07-01", "2024-07-31");
        assert_eq!(july.amount_minor, 105_06);
        assert_eq!(
            periods(&july),
            vec![row(
                "2024-07-01",
                "2024-07-31",
                31,
                10_000_00,
                "3.37",
                "12.37"
            )]
        );
        // One charge over both: two periods, rounded once: 156.923… → 156.92.
        let both = charge(Law::DeBgb288, &book, id, "2024-06-01", "2024-07-31");
        assert_eq!(both.periods.len(), 2);
        assert_eq!(both.amount_minor, 156_92);
    }

    /// Directive 2011/7, € 5,000.00 due 10 February 2024 (a leap year):
    /// ECB rate on 1 Jan 2024 4.50 % + 8 = 12.50 %; € 2,000.00 paid on
    /// 20 February. 11–19 Feb: 5,000 × 12.5 % × 9 / 365; 20–29 Feb (29
    /// February counts, the year stays 365 days): 3,000 × 12.5 % × 10 / 365.
    /// (5,625 + 3,750) / 365 = 25.684… → 25.68.
    #[test]
    fn eu_counts_the_leap_day_and_a_partial_payment_lowers_the_base() {
        let (mut book, id) = invoice("EUR", 5_000_00, "2024-02-10");
        book.receive(
            1,
            cur("EUR"),
            day("2024-02-20"),
            2_000_00,
            &AllocationRequest::OldestDueFirst,
        )
        .unwrap();
        let feb = charge(Law::Eu2011_7, &book, id, "2024-02-01", "2024-02-29");
        assert_eq!(
            periods(&feb),
            vec![
                row("2024-02-11", "2024-02-19", 9, 5_000_00, "4.50", "12.50"),
                row("2024-02-20", "2024-02-29", 10, 3_000_00, "4.50", "12.50"),
            ]
        );
        assert_eq!(feb.amount_minor, 25_68);
    }

    /// L441-10 Code de commerce, € 2,000.00 due 20 June 2023: the ECB
    /// raised its rate to 4.00 % on 21 June 2023, but June keeps the rate
    /// in force on 1 January (2.50 % + 10 = 12.50 %); July takes the rate
    /// in force on 1 July (4.00 % + 10 = 14.00 %).
    /// June 21–30: 2,000 × 12.5 % × 10 / 365 = 6.849… → 6.85.
    /// July: 2,000 × 14 % × 31 / 365 = 23.780… → 23.78.
    #[test]
    fn fr_keeps_the_rate_of_the_half_years_first_day() {
        let (book, id) = invoice("EUR", 2_000_00, "2023-06-20");
        let june = charge(Law::FrL441_10, &book, id, "2023-06-01", "2023-06-30");
        assert_eq!(
            periods(&june),
            vec![row(
                "2023-06-21",
                "2023-06-30",
                10,
                2_000_00,
                "2.50",
                "12.50"
            )]
        );
        assert_eq!(june.amount_minor, 6_85);
        let july = charge(Law::FrL441_10, &book, id, "2023-07-01", "2023-07-31");
        assert_eq!(july.periods[0].rate.to_string(), "14.00");
        assert_eq!(july.amount_minor, 23_78);
    }

    /// UK 1998 Act (SI 2002/1675): the rate is fixed by the base rate in
    /// force on the 31 December / 30 June before interest starts to run,
    /// and stays for the debt. £800.00 due 20 December 2024: starts 21 Dec
    /// 2024, base rate on 30 June 2024 5.25 % + 8 = 13.25 %, also in 2025
    /// (a debt late in January 2025 would take 4.75 % + 8).
    /// Dec 21–31: 800 × 13.25 % × 11 / 365 = 3.194… → 3.19.
    /// Jan 2025: 800 × 13.25 % × 31 / 365 = 9.002… → 9.00.
    #[test]
    fn uk_fixes_the_rate_when_interest_starts() {
        let (book, id) = invoice("GBP", 800_00, "2024-12-20");
        let dec = charge(
            Law::UkLatePayment1998,
            &book,
            id,
            "2024-12-01",
            "2024-12-31",
        );
        assert_eq!(
            periods(&dec),
            vec![row("2024-12-21", "2024-12-31", 11, 800_00, "5.25", "13.25")]
        );
        assert_eq!(dec.amount_minor, 3_19);
        let jan = charge(
            Law::UkLatePayment1998,
            &book,
            id,
            "2025-01-01",
            "2025-01-31",
        );
        assert_eq!(
            periods(&jan),
            vec![row("2025-01-01", "2025-01-31", 31, 800_00, "5.25", "13.25")]
        );
        assert_eq!(jan.amount_minor, 9_00);
        // £1,000.00 due 10 January 2025: base rate on 31 Dec 2024 4.75 % + 8
        // = 12.75 %; 11–31 Jan: 1,000 × 12.75 % × 21 / 365 = 7.335… → 7.34.
        let (book, id) = invoice("GBP", 1_000_00, "2025-01-10");
        let jan = charge(
            Law::UkLatePayment1998,
            &book,
            id,
            "2025-01-01",
            "2025-01-31",
        );
        assert_eq!(jan.periods[0].rate.to_string(), "12.75");
        assert_eq!(jan.amount_minor, 7_34);
        // £10,000.00 due 15 July 2025: base on 30 June 2025 4.25 % + 8 =
        // 12.25 %; 16–31 Jul: 10,000 × 12.25 % × 16 / 365 = 53.698… → 53.70.
        let (book, id) = invoice("GBP", 10_000_00, "2025-07-15");
        let jul = charge(
            Law::UkLatePayment1998,
            &book,
            id,
            "2025-07-01",
            "2025-07-31",
        );
        assert_eq!(jul.periods[0].rate.to_string(), "12.25");
        assert_eq!(jul.amount_minor, 53_70);
    }

    /// s. 5A of the 1998 Act: £40 under £1,000; £70 from £1,000 to
    /// £9,999.99; £100 from £10,000. EU presets: € 40 (art. 6 of the
    /// Directive, § 288 Abs. 5 BGB, D441-5 Code de commerce). Never
    /// converted: other currencies get none, with the reason.
    #[test]
    fn the_fixed_compensation_by_law_and_debt() {
        let gbp = cur("GBP");
        let uk = Law::UkLatePayment1998;
        let bands: Vec<i64> = [1, 999_99, 1_000_00, 9_999_99, 10_000_00, 250_000_00]
            .iter()
            .map(|d| uk.compensation_minor(gbp, *d).unwrap())
            .collect();
        assert_eq!(bands, vec![40_00, 40_00, 70_00, 70_00, 100_00, 100_00]);
        for law in [Law::Eu2011_7, Law::DeBgb288, Law::FrL441_10] {
            assert_eq!(law.compensation_minor(cur("EUR"), 5_00).unwrap(), 40_00);
            assert_eq!(
                law.compensation_minor(cur("USD"), 5_00).unwrap_err().field,
                "law.compensation"
            );
        }
        assert!(uk.compensation_minor(cur("EUR"), 5_00).is_err());
    }

    /// Rounded half-even once per charge: at 12.50 % (EU, H1 2024) one day
    /// on € 14.60 is exactly 0.5 cent → 0; on € 43.80, 1.5 cents → 2.
    #[test]
    fn a_charge_rounds_half_even_once() {
        let (book, id) = invoice("EUR", 14_60, "2024-03-10");
        assert_eq!(
            charge(Law::Eu2011_7, &book, id, "2024-03-11", "2024-03-11").amount_minor,
            0
        );
        let (book, id) = invoice("EUR", 43_80, "2024-03-10");
        assert_eq!(
            charge(Law::Eu2011_7, &book, id, "2024-03-11", "2024-03-11").amount_minor,
            2
        );
    }

    #[test]
    fn a_half_year_without_a_known_rate_is_refused_typed() {
        let (book, id) = invoice("EUR", 1_000_00, "2026-06-20");
        let err = statutory_interest(
            Law::Eu2011_7,
            &ReferenceRates::shipped(),
            &book.invoices[&id],
            day("2026-07-01"),
            day("2026-07-31"),
            AllocationOrder::PrincipalFirst,
        )
        .unwrap_err();
        assert_eq!(
            err,
            RateUnknown {
                series: RateSeries::EcbMro,
                on: day("2026-07-01")
            }
        );
        // The UK debt late in H2 2026 needs the base rate of 30 June 2026.
        let (book, id) = invoice("GBP", 1_000_00, "2026-07-20");
        let err = statutory_interest(
            Law::UkLatePayment1998,
            &ReferenceRates::shipped(),
            &book.invoices[&id],
            day("2026-07-01"),
            day("2026-07-31"),
            AllocationOrder::PrincipalFirst,
        )
        .unwrap_err();
        assert_eq!(
            err,
            RateUnknown {
                series: RateSeries::BoeBase,
                on: day("2026-06-30")
            }
        );
    }

    proptest! {
        /// Interest is never charged on fees or compensation, never for a
        /// day up to the due date, never once the principal is settled.
        #[test]
        fn interest_only_on_overdue_unsettled_principal(
            total in 1i64..5_000_000,
            due_offset in 0i32..700,
            fees in proptest::collection::vec((0i32..400, 1i64..100_000, any::<bool>()), 0..4),
            paid in proptest::option::of((0i32..400, 1i64..5_000_000)),
            law in prop_oneof![
                Just(Law::Eu2011_7), Just(Law::DeBgb288), Just(Law::FrL441_10),
                Just(Law::UkLatePayment1998),
            ],
            window in (0i32..500, 0i32..120),
        ) {
            let due = day("2023-01-01").add_days(due_offset);
            let (mut book, id) = invoice(if law == Law::UkLatePayment1998 { "GBP" } else { "EUR" }, total, &due.to_string());
            let currency = book.invoices[&id].currency;
            let plain = book.clone();
            for (offset, amount, compensation) in &fees {
                let kind = if *compensation { EntryKind::Compensation } else { EntryKind::Fee };
                book.charge(id, kind, *amount, due.add_days(*offset)).unwrap();
            }
            let mut settled_on = None;
            if let Some((offset, amount)) = paid {
                let on = due.add_days(offset);
                let amount = amount.min(total);
                book.receive(1, currency, on, amount, &AllocationRequest::Explicit(vec![(id, amount)])).unwrap();
                if amount == total { settled_on = Some(on); }
            }
            let mut plain_paid = plain;
            if let Some((offset, amount)) = paid {
                let amount = amount.min(total);
                plain_paid.receive(1, currency, due.add_days(offset), amount, &AllocationRequest::Explicit(vec![(id, amount)])).unwrap();
            }
            let rates = ReferenceRates::shipped();
            let from = due.add_days(window.0 - 60);
            let through = from.add_days(window.1);
            // Stay inside the table's reach.
            prop_assume!(through < day("2026-01-01"));
            let with_fees = statutory_interest(law, &rates, &book.invoices[&id], from, through, AllocationOrder::PrincipalFirst).unwrap();
            let without = statutory_interest(law, &rates, &plain_paid.invoices[&id], from, through, AllocationOrder::PrincipalFirst).unwrap();
            prop_assert_eq!(&with_fees, &without, "fees or compensation changed the interest");
            for p in &with_fees.periods {
                prop_assert!(p.from > due, "interest on {} before the due date {}", p.from, due);
                if let Some(s) = settled_on {
                    prop_assert!(p.from < s, "interest on {} after settlement on {}", p.from, s);
                }
                prop_assert!(p.principal_minor <= total);
            }
            if through <= due {
                prop_assert_eq!(with_fees.amount_minor, 0);
            }
        }
    }
}

#[cfg(test)]
mod policy_tests {
    use crate::collections::document::{parse, DEFAULT_POLICY};

    fn with(lines: &str) -> String {
        DEFAULT_POLICY.replacen(
            "default_terms = \"net30\"",
            &format!("default_terms = \"net30\"\n{lines}"),
            1,
        )
    }

    #[test]
    fn the_policy_check_refuses_charging_more_than_the_law_or_consumers() {
        let errors =
            parse(&with("law = \"de_bgb_288\"\ndefault_debtor = \"consumer\"")).unwrap_err();
        let places: Vec<&str> = errors.iter().map(|e| e.place.as_str()).collect();
        assert_eq!(
            places,
            vec![
                "interest",
                "late_fee",
                "payments.allocation",
                "default_debtor"
            ]
        );
        assert!(errors.iter().all(|e| e.line.is_some()), "{errors:?}");
        // Without a law a consumer default is the owner's business.
        assert!(parse(&with("default_debtor = \"consumer\"")).is_ok());
        assert!(parse(&with("law = \"no_such_law\"")).is_err());
    }
}
