//! Invoices: itemized lines, totals and the due schedule.

use serde::{Deserialize, Serialize};

use crate::currency::Currency;
use crate::date::Date;
use crate::money::{format_scaled, parse_scaled, round_half_even, UnitPrice, AMOUNT_MINOR_MAX};
use crate::terms::{Installment, Terms};

/// Quantities carry four decimal places (1.5 hours is `15000`).
pub const QUANTITY_SCALE: u8 = 4;
/// Tax rates are parts per million of the net amount (8.875 % is `88_750`).
pub const TAX_RATE_PPM_MAX: i64 = 1_000_000;
const PPM: i128 = 1_000_000;
/// Most lines one invoice may hold.
pub const LINES_MAX: usize = 1000;
/// Longest line description, in characters (line breaks and tabs allowed,
/// no other control character: [`crate::text::note_problem`]).
pub const LINE_DESCRIPTION_CHARS_MAX: usize = 1000;
/// Longest description of a whole invoice, in characters (as a line's).
pub const DESCRIPTION_CHARS_MAX: usize = crate::text::NOTE_CHARS_MAX;

/// One line: quantity × unit price, taxed at a rate. Stored as JSON
/// (`LineJson`, below).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "LineJson<String>")]
pub struct InvoiceLine {
    pub description: String,
    /// Quantity × 10^4.
    pub quantity_e4: i64,
    /// May carry decimals beyond the currency's minor unit (13.333 EUR).
    pub unit_price: UnitPrice,
    /// Tax rate in parts per million.
    pub tax_rate_ppm: i64,
}

/// How a line is written as JSON (the `lines` of invoices and recurring
/// invoices, and exports of them): a price in whole minor units as
/// `unit_price_minor`, exactly as every line was written before prices
/// could carry more decimals; a finer price as `unit_price_minor_e4`
/// (ten-thousandths of a minor unit) instead, so that a reader which knows
/// only `unit_price_minor` fails on it rather than misreading it.
#[derive(Serialize, Deserialize)]
struct LineJson<T> {
    description: T,
    quantity_e4: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unit_price_minor: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unit_price_minor_e4: Option<u64>,
    tax_rate_ppm: i64,
}

impl Serialize for InvoiceLine {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let whole = self.unit_price.whole_minor();
        let fine = match whole {
            Some(_) => None,
            // Never out of range for a price `UnitPrice::parse` gave.
            None => Some(u64::try_from(self.unit_price.minor_e4()).map_err(|_| {
                serde::ser::Error::custom(format!(
                    "unit price {} ten-thousandths of a minor unit cannot be stored",
                    self.unit_price.minor_e4()
                ))
            })?),
        };
        LineJson {
            description: self.description.as_str(),
            quantity_e4: self.quantity_e4,
            unit_price_minor: whole,
            unit_price_minor_e4: fine,
            tax_rate_ppm: self.tax_rate_ppm,
        }
        .serialize(s)
    }
}

impl TryFrom<LineJson<String>> for InvoiceLine {
    type Error = String;

    fn try_from(j: LineJson<String>) -> Result<InvoiceLine, String> {
        let unit_price = match (j.unit_price_minor, j.unit_price_minor_e4) {
            (Some(minor), None) => UnitPrice::from_minor(minor),
            (None, Some(minor_e4)) => UnitPrice::from_minor_e4(i128::from(minor_e4)),
            _ => {
                return Err("a line has one of unit_price_minor and unit_price_minor_e4".to_string())
            }
        };
        Ok(InvoiceLine {
            description: j.description,
            quantity_e4: j.quantity_e4,
            unit_price,
            tax_rate_ppm: j.tax_rate_ppm,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("quantity '{0}' must be a positive number with at most 4 decimals")]
    Quantity(String),
    #[error("unit price must not be negative; corrections are credit notes")]
    NegativePrice(UnitPrice),
    #[error(
        "tax rate '{0}' must be a percentage from 0 to 100 with at most 4 decimals, e.g. 8.875"
    )]
    TaxRate(String),
    #[error("description: {0}")]
    Description(String),
    #[error("the line total is larger than {AMOUNT_MINOR_MAX} minor units")]
    TooLarge,
}

/// Parses a quantity such as `1.5` into ten-thousandths; refuses zero and negatives.
pub fn parse_quantity_e4(text: &str) -> Result<i64, LineError> {
    match parse_scaled(text, QUANTITY_SCALE) {
        Ok(v) if v > 0 && v <= i128::from(AMOUNT_MINOR_MAX) => Ok(v as i64),
        _ => Err(LineError::Quantity(text.to_string())),
    }
}

/// Parses a tax rate written in percent (`20`, `8.875`) into parts per million.
pub fn parse_tax_rate_ppm(text: &str) -> Result<i64, LineError> {
    match parse_scaled(text.trim_end_matches('%'), 4) {
        Ok(v) if (0..=i128::from(TAX_RATE_PPM_MAX)).contains(&v) => Ok(v as i64),
        _ => Err(LineError::TaxRate(text.to_string())),
    }
}

pub fn format_quantity(quantity_e4: i64) -> String {
    trim_zeros(format_scaled(i128::from(quantity_e4), QUANTITY_SCALE))
}

pub fn format_tax_rate(tax_rate_ppm: i64) -> String {
    trim_zeros(format_scaled(i128::from(tax_rate_ppm), 4))
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

impl InvoiceLine {
    /// A line priced in whole minor units.
    pub fn new(
        description: &str,
        quantity_e4: i64,
        unit_price_minor: i64,
        tax_rate_ppm: i64,
    ) -> Result<InvoiceLine, LineError> {
        Self::priced(
            description,
            quantity_e4,
            UnitPrice::from_minor(unit_price_minor),
            tax_rate_ppm,
        )
    }

    /// A line at a price that may carry up to
    /// [`crate::money::UNIT_PRICE_EXTRA_DECIMALS_MAX`] decimals beyond the minor unit.
    pub fn priced(
        description: &str,
        quantity_e4: i64,
        unit_price: UnitPrice,
        tax_rate_ppm: i64,
    ) -> Result<InvoiceLine, LineError> {
        if quantity_e4 <= 0 {
            return Err(LineError::Quantity(format_quantity(quantity_e4)));
        }
        if unit_price.is_negative() {
            return Err(LineError::NegativePrice(unit_price));
        }
        if !(0..=TAX_RATE_PPM_MAX).contains(&tax_rate_ppm) {
            return Err(LineError::TaxRate(format_tax_rate(tax_rate_ppm)));
        }
        if let Some(why) = crate::text::note_problem(description, LINE_DESCRIPTION_CHARS_MAX) {
            return Err(LineError::Description(why));
        }
        let line = InvoiceLine {
            description: description.to_string(),
            quantity_e4,
            unit_price,
            tax_rate_ppm,
        };
        if line.net_minor_wide() + line.tax_minor_wide() > i128::from(AMOUNT_MINOR_MAX) {
            return Err(LineError::TooLarge);
        }
        Ok(line)
    }

    fn net_minor_wide(&self) -> i128 {
        self.unit_price.times_quantity_e4(self.quantity_e4)
    }

    fn tax_minor_wide(&self) -> i128 {
        round_half_even(self.net_minor_wide() * i128::from(self.tax_rate_ppm), PPM)
    }

    /// Quantity × unit price, rounded half-even to the minor unit once:
    /// EN 16931's line net amount (BT-131), in the currency's decimals
    /// (BR-DEC-23) however many the price has. Totals add these rounded
    /// amounts (BR-CO-10), so a document's figures always add up.
    pub fn net_minor(&self) -> i64 {
        self.net_minor_wide() as i64
    }

    /// Tax on this line's net, rounded half-even per line.
    pub fn tax_minor(&self) -> i64 {
        self.tax_minor_wide() as i64
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub subtotal_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
}

/// Sums lines. Tax is rounded per line, then added.
pub fn totals(lines: &[InvoiceLine]) -> Totals {
    let subtotal_minor: i64 = lines.iter().map(InvoiceLine::net_minor).sum();
    let tax_minor: i64 = lines.iter().map(InvoiceLine::tax_minor).sum();
    Totals {
        subtotal_minor,
        tax_minor,
        total_minor: subtotal_minor + tax_minor,
    }
}

/// Sums lines as [`totals`] does, refusing a total larger than
/// [`AMOUNT_MINOR_MAX`] (summed wide, so no number of lines overflows): the
/// one check of an invoice's size, made at issue and by each shell's form.
pub fn checked_totals(lines: &[InvoiceLine]) -> Result<Totals, InvoiceError> {
    let total: i128 = lines
        .iter()
        .map(|l| l.net_minor_wide() + l.tax_minor_wide())
        .sum();
    if total > i128::from(AMOUNT_MINOR_MAX) {
        return Err(InvoiceError::TooLarge);
    }
    Ok(totals(lines))
}

/// One VAT rate's part of a credit note against an invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditPart {
    pub tax_rate_ppm: i64,
    /// What the part takes off, tax included.
    pub gross_minor: i64,
    pub net_minor: i64,
    pub tax_minor: i64,
}

/// How a credit note of `amount_minor` (tax included) against an invoice
/// with `credited` lines splits over the invoice's tax rates, highest rate
/// first: each rate's share of the invoice's gross total (rounded half-even;
/// the last rate takes what is left, so the parts add up exactly), and each
/// share's net (share ÷ (1 + rate), rounded half-even) and tax (share −
/// net). What the credit note's PDF prints and its e-invoice declares.
pub fn credit_parts(credited: &[InvoiceLine], amount_minor: i64) -> Vec<CreditPart> {
    const PPM: i128 = 1_000_000;
    let invoice_total: i64 = credited.iter().map(|l| l.net_minor() + l.tax_minor()).sum();
    let mut gross_by_rate: std::collections::BTreeMap<i64, i64> = Default::default();
    for l in credited {
        *gross_by_rate.entry(l.tax_rate_ppm).or_default() += l.net_minor() + l.tax_minor();
    }
    if gross_by_rate.is_empty() {
        gross_by_rate.insert(0, 0);
    }
    let rates: Vec<(i64, i64)> = gross_by_rate.into_iter().rev().collect();
    let mut left = amount_minor;
    let mut parts = Vec::with_capacity(rates.len());
    for (i, (rate_ppm, gross)) in rates.iter().enumerate() {
        let share = if i + 1 == rates.len() {
            left
        } else if invoice_total == 0 {
            0
        } else {
            round_half_even(
                i128::from(amount_minor) * i128::from(*gross),
                i128::from(invoice_total),
            ) as i64
        };
        left -= share;
        let net = round_half_even(i128::from(share) * PPM, PPM + i128::from(*rate_ppm)) as i64;
        parts.push(CreditPart {
            tax_rate_ppm: *rate_ppm,
            gross_minor: share,
            net_minor: net,
            tax_minor: share - net,
        });
    }
    parts
}

/// Where an invoice document stands. Whether it is paid, partly paid or
/// written off is derived from the ledger, never stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    Draft,
    Issued,
    Void,
}

impl DocumentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentStatus::Draft => "draft",
            DocumentStatus::Issued => "issued",
            DocumentStatus::Void => "void",
        }
    }

    pub fn parse(s: &str) -> Option<DocumentStatus> {
        match s {
            "draft" => Some(DocumentStatus::Draft),
            "issued" => Some(DocumentStatus::Issued),
            "void" => Some(DocumentStatus::Void),
            _ => None,
        }
    }
}

/// What the invoice says: everything a person reads on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceDraft {
    pub customer_id: i64,
    pub currency: Currency,
    pub issue_date: Date,
    pub terms: Terms,
    pub description: String,
    pub lines: Vec<InvoiceLine>,
    /// An explicit schedule; when empty the terms produce one at issue.
    pub installments: Vec<Installment>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    #[error("an invoice needs at least one line")]
    NoLines,
    #[error("an invoice holds at most {LINES_MAX} lines")]
    TooManyLines,
    #[error("the installments add up to {given} minor units but the invoice total is {total}")]
    InstallmentsDoNotAddUp { given: i64, total: i64 },
    #[error("installment due dates must increase and not precede the issue date")]
    InstallmentDates,
    #[error("installment {index} is {amount} minor units; an installment may not be negative")]
    NegativeInstallment { index: usize, amount: i64 },
    #[error("the invoice total is larger than {AMOUNT_MINOR_MAX} minor units")]
    TooLarge,
    #[error("description: {0}")]
    Description(String),
    #[error("lines[{index}].description: {why}")]
    LineDescription { index: usize, why: String },
}

impl InvoiceDraft {
    pub fn totals(&self) -> Totals {
        totals(&self.lines)
    }

    /// Checks the draft can be issued and returns its due schedule.
    pub fn schedule(&self) -> Result<Vec<Installment>, InvoiceError> {
        if self.lines.is_empty() {
            return Err(InvoiceError::NoLines);
        }
        if self.lines.len() > LINES_MAX {
            return Err(InvoiceError::TooManyLines);
        }
        if let Some(why) = crate::text::note_problem(&self.description, DESCRIPTION_CHARS_MAX) {
            return Err(InvoiceError::Description(why));
        }
        for (index, line) in self.lines.iter().enumerate() {
            if let Some(why) =
                crate::text::note_problem(&line.description, LINE_DESCRIPTION_CHARS_MAX)
            {
                return Err(InvoiceError::LineDescription { index, why });
            }
        }
        let total = checked_totals(&self.lines)?.total_minor;
        if self.installments.is_empty() {
            return Ok(self.terms.schedule(self.issue_date, total));
        }
        if let Some((index, i)) = self
            .installments
            .iter()
            .enumerate()
            .find(|(_, i)| i.amount_minor < 0)
        {
            return Err(InvoiceError::NegativeInstallment {
                index: index + 1,
                amount: i.amount_minor,
            });
        }
        let given: i64 = self.installments.iter().map(|i| i.amount_minor).sum();
        if given != total {
            return Err(InvoiceError::InstallmentsDoNotAddUp { given, total });
        }
        let dates_ok = self.installments[0].due_date >= self.issue_date
            && self
                .installments
                .windows(2)
                .all(|w| w[0].due_date < w[1].due_date);
        if !dates_ok {
            return Err(InvoiceError::InstallmentDates);
        }
        Ok(self.installments.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_totals_round_half_even_once() {
        // 0.5 × 3.33 = 1.665 → 1.66 (half to even); 10 % tax of 1.66 = 0.166 → 0.17
        let line = InvoiceLine::new("widget", 5_000, 333, 100_000).unwrap();
        assert_eq!((line.net_minor(), line.tax_minor()), (166, 17));
        // 0.5 × 3.35 = 1.675 → 1.68
        assert_eq!(
            InvoiceLine::new("w", 5_000, 335, 0).unwrap().net_minor(),
            168
        );
        let l = InvoiceLine::new("half", 5_000, 1, 0).unwrap(); // 0.5 × 0.01
        assert_eq!(l.net_minor(), 0);
        let l = InvoiceLine::new("half", 15_000, 1, 0).unwrap(); // 1.5 × 0.01
        assert_eq!(l.net_minor(), 2);
        let l = InvoiceLine::new("taxed", 10_000, 1999, 88_750).unwrap(); // 19.99 × 8.875 %
        assert_eq!(l.tax_minor(), 177); // 1.7741125 → 1.77
    }

    #[test]
    fn a_price_finer_than_the_currency_rounds_each_line_once() {
        let eur = crate::Currency::parse("EUR").unwrap();
        let price = |t: &str| UnitPrice::parse(t, eur).unwrap();
        // 3 × 13.333 = 39.999 → 40.00; 20 % tax 8.00.
        let three = InvoiceLine::priced("a", 30_000, price("13.333"), 200_000).unwrap();
        assert_eq!((three.net_minor(), three.tax_minor()), (40_00, 8_00));
        // 2.5 × 13.333 = 33.3325 → 33.33; 0.3333 × 13.333 = 4.4438889 → 4.44.
        let part = InvoiceLine::priced("b", 25_000, price("13.333"), 0).unwrap();
        let tiny = InvoiceLine::priced("c", 3_333, price("13.333"), 0).unwrap();
        assert_eq!((part.net_minor(), tiny.net_minor()), (33_33, 4_44));
        // The document adds the rounded line amounts (BR-CO-10): 40.00 +
        // 33.33 + 4.44, not 5.8333 × 13.333 rounded once (77.78).
        let t = totals(&[three, part, tiny]);
        assert_eq!(t.subtotal_minor, 77_77);
        assert_eq!((t.tax_minor, t.total_minor), (8_00, 85_77));
        assert!(matches!(
            InvoiceLine::priced("d", 10_000, price("-0.001"), 0),
            Err(LineError::NegativePrice(_))
        ));
    }

    #[test]
    fn lines_are_stored_as_they_always_were_and_finer_prices_beside() {
        let eur = crate::Currency::parse("EUR").unwrap();
        // What every line stored before finer prices says still reads, and
        // a whole price is written back byte for byte.
        let old = r#"{"description":"w","quantity_e4":15000,"unit_price_minor":333,"tax_rate_ppm":100000}"#;
        let line: InvoiceLine = serde_json::from_str(old).unwrap();
        assert_eq!(line, InvoiceLine::new("w", 15_000, 333, 100_000).unwrap());
        assert_eq!(serde_json::to_string(&line).unwrap(), old);
        let fine =
            InvoiceLine::priced("f", 30_000, UnitPrice::parse("13.333", eur).unwrap(), 0).unwrap();
        let text = serde_json::to_string(&fine).unwrap();
        assert_eq!(
            text,
            r#"{"description":"f","quantity_e4":30000,"unit_price_minor_e4":13333000,"tax_rate_ppm":0}"#
        );
        assert_eq!(serde_json::from_str::<InvoiceLine>(&text).unwrap(), fine);
        // The largest price a line may have fits.
        let big = InvoiceLine::priced(
            "b",
            1,
            UnitPrice::parse("9999999999999.999999", eur).unwrap(),
            0,
        )
        .unwrap();
        let back: InvoiceLine =
            serde_json::from_str(&serde_json::to_string(&big).unwrap()).unwrap();
        assert_eq!(back, big);
        for both_or_neither in [
            r#"{"description":"x","quantity_e4":1,"tax_rate_ppm":0}"#,
            r#"{"description":"x","quantity_e4":1,"unit_price_minor":1,"unit_price_minor_e4":1,"tax_rate_ppm":0}"#,
        ] {
            assert!(serde_json::from_str::<InvoiceLine>(both_or_neither).is_err());
        }
        // A price no parse gives, made by hand, is refused, never stored wrong.
        let mut huge = big.clone();
        huge.unit_price = UnitPrice::from_minor_e4(i128::from(u64::MAX) + 1);
        assert!(serde_json::to_string(&huge).is_err());
    }

    #[test]
    fn refuses_negative_quantity_and_price() {
        assert!(parse_quantity_e4("-1").is_err());
        assert!(parse_quantity_e4("0").is_err());
        assert_eq!(parse_quantity_e4("1.5"), Ok(15_000));
        assert!(InvoiceLine::new("x", 10_000, -1, 0).is_err());
        assert_eq!(parse_tax_rate_ppm("8.875"), Ok(88_750));
        assert!(parse_tax_rate_ppm("101").is_err());
    }

    #[test]
    fn an_invoice_larger_than_the_ledger_holds_is_refused_whole() {
        let half = AMOUNT_MINOR_MAX / 2;
        let line = |minor| InvoiceLine::new("big", 10_000, minor, 0).unwrap();
        let at_max = [line(half), line(AMOUNT_MINOR_MAX - half)];
        assert_eq!(
            checked_totals(&at_max).map(|t| t.total_minor),
            Ok(AMOUNT_MINOR_MAX)
        );
        let over = [line(half), line(half + 2)];
        assert_eq!(checked_totals(&over), Err(InvoiceError::TooLarge));
        // A thousand lines at the largest amount: summed wide, refused,
        // never overflowed.
        let many = vec![line(AMOUNT_MINOR_MAX); LINES_MAX];
        assert_eq!(checked_totals(&many), Err(InvoiceError::TooLarge));
    }
}
