//! The built-in CSV presets: Dun's own columns, a German bank export,
//! Deutsche Bank's export and PayPal's activity download.

use crate::dates::DateFormat;
use crate::mapping::{AmountColumns, Column, CsvMapping, CurrencySource};

pub const NAMES: &[&str] = &["dun", "de-bank", "deutsche-bank", "paypal"];

pub fn preset(name: &str) -> Option<CsvMapping> {
    match name {
        "dun" => Some(dun()),
        "de-bank" => Some(de_bank()),
        "deutsche-bank" => Some(deutsche_bank()),
        "paypal" => Some(paypal()),
        _ => None,
    }
}

/// Dun's own export: ISO dates, dot decimals.
fn dun() -> CsvMapping {
    CsvMapping {
        delimiter: None,
        skip_rows: None,
        date: Column::named(&["date"]),
        date_formats: vec![DateFormat::Iso],
        value_date: Some(Column::named(&["value_date"])),
        amount: AmountColumns::Signed(Column::named(&["amount"])),
        decimal: '.',
        currency: CurrencySource::Column(Column::named(&["currency"])),
        counterparty_name: Some(Column::named(&["counterparty_name"])),
        counterparty_iban: Some(Column::named(&["counterparty_iban"])),
        remittance: vec![Column::named(&["remittance"])],
        bank_ref: Some(Column::named(&["bank_ref"])),
        end_to_end_id: Some(Column::named(&["end_to_end_id"])),
        structured_ref: Some(Column::named(&["structured_ref"])),
        status: None,
        skip_footer_rows: 0,
        footer_labels: Vec::new(),
        optional_columns_may_be_missing: true,
    }
}

/// A German bank's CSV export (Sparkasse "CSV-CAMT", Volksbank and the
/// like): `;` (detected, as always), `dd.mm.yy` or `dd.mm.yyyy`,
/// `-1.234,56`.
fn de_bank() -> CsvMapping {
    CsvMapping {
        delimiter: None,
        skip_rows: None,
        date: Column::named(&["Buchungstag"]),
        date_formats: vec![
            DateFormat::DayMonthShortYearDots,
            DateFormat::DayMonthYearDots,
        ],
        value_date: Some(Column::named(&["Valutadatum", "Valuta"])),
        amount: AmountColumns::Signed(Column::named(&["Betrag"])),
        decimal: ',',
        currency: CurrencySource::Column(Column::named(&["Waehrung", "Währung"])),
        counterparty_name: Some(Column::named(&[
            "Beguenstigter/Zahlungspflichtiger",
            "Begünstigter/Zahlungspflichtiger",
            "Name Zahlungsbeteiligter",
        ])),
        counterparty_iban: Some(Column::named(&[
            "Kontonummer/IBAN",
            "IBAN Zahlungsbeteiligter",
        ])),
        remittance: vec![Column::named(&["Verwendungszweck"])],
        bank_ref: None,
        end_to_end_id: Some(Column::named(&["Kundenreferenz (End-to-End)"])),
        structured_ref: None,
        status: None,
        skip_footer_rows: 0,
        footer_labels: Vec::new(),
        optional_columns_may_be_missing: true,
    }
}

/// Deutsche Bank's CSV export: account lines above the header, money out
/// in `Soll` (written with its minus) and money in in `Haben`, and a
/// closing `Kontostand` row under the transactions, which is not read.
fn deutsche_bank() -> CsvMapping {
    CsvMapping {
        delimiter: None,
        skip_rows: None,
        date: Column::named(&["Buchungstag"]),
        date_formats: vec![
            DateFormat::DayMonthYearDots,
            DateFormat::DayMonthShortYearDots,
        ],
        value_date: Some(Column::named(&["Wert"])),
        amount: AmountColumns::CreditDebit {
            credit: Column::named(&["Haben"]),
            debit: Column::named(&["Soll"]),
        },
        decimal: ',',
        currency: CurrencySource::Column(Column::named(&["Währung", "Waehrung"])),
        counterparty_name: Some(Column::named(&["Begünstigter / Auftraggeber"])),
        counterparty_iban: Some(Column::named(&["IBAN"])),
        remittance: vec![Column::named(&["Verwendungszweck"])],
        bank_ref: None,
        end_to_end_id: Some(Column::named(&["Kundenreferenz"])),
        structured_ref: None,
        status: None,
        skip_footer_rows: 0,
        footer_labels: vec!["Kontostand".into()],
        optional_columns_may_be_missing: true,
    }
}

/// PayPal's activity download: `mm/dd/yyyy`, `1,234.56`; only rows whose
/// status is `Completed`; the payer's name, else their e-mail address.
fn paypal() -> CsvMapping {
    CsvMapping {
        delimiter: None,
        skip_rows: None,
        date: Column::named(&["Date"]),
        date_formats: vec![DateFormat::MonthDayYearSlashes],
        value_date: None,
        amount: AmountColumns::Signed(Column::named(&["Gross", "Net"])),
        decimal: '.',
        currency: CurrencySource::Column(Column::named(&["Currency"])),
        counterparty_name: Some(Column::named(&["Name", "From Email Address"])),
        counterparty_iban: None,
        remittance: vec![
            Column::named(&["Subject"]),
            Column::named(&["Note"]),
            Column::named(&["Invoice Number"]),
        ],
        bank_ref: Some(Column::named(&["Transaction ID"])),
        end_to_end_id: None,
        structured_ref: None,
        status: Some((Column::named(&["Status"]), vec!["Completed".into()])),
        skip_footer_rows: 0,
        footer_labels: Vec::new(),
        optional_columns_may_be_missing: true,
    }
}
