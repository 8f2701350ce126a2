//! A bank's CSV export, read through a [`CsvMapping`], to one statement.

use std::borrow::Cow;
use std::collections::VecDeque;

use dun_core::bank::{BankLine, Statement, StatementFormat, STATEMENT_LINES_MAX};
use dun_core::Currency;

use crate::csv_header::{
    find_header, required_columns, Cells, Header, Resolved, ResolvedAmount, ResolvedCurrency,
};
use crate::mapping::{CsvMapping, CurrencySource};
use crate::text::{iban, join, non_empty, strip_bom};
use crate::{amount, dates, presets, ParseError};

/// Reads `bytes` through `mapping`; the statement's format is `csv:{name}`.
pub fn parse(bytes: &[u8], mapping: &CsvMapping, name: &str) -> Result<Statement, ParseError> {
    let text = decode(bytes);
    let (header, resolved) = find_header(&text, mapping)?;
    read_rows(
        &text,
        mapping,
        &header,
        &resolved,
        name,
        STATEMENT_LINES_MAX,
    )
}

/// Reads `bytes` through the preset whose columns its header has (the one
/// with the most, when several fit).
pub fn parse_detecting(bytes: &[u8]) -> Result<Statement, ParseError> {
    let text = decode(bytes);
    let mut best: Option<(usize, &str, CsvMapping, Header, Resolved)> = None;
    for name in presets::NAMES {
        let mapping = presets::preset(name).expect("every listed preset exists");
        if let Ok((header, resolved)) = find_header(&text, &mapping) {
            let score = resolved.columns_found;
            if best.as_ref().is_none_or(|b| score > b.0) {
                best = Some((score, name, mapping, header, resolved));
            }
        }
    }
    let Some((_, name, mapping, header, resolved)) = best else {
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(ParseError::new(
            "row 1",
            crate::text::cap(first),
            format!(
                "the header row fits no preset (presets: {}); name a preset or give a mapping",
                presets::NAMES
                    .iter()
                    .map(|n| format!(
                        "{n} needs {}",
                        required_columns(&presets::preset(n).expect("every listed preset exists"))
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ));
    };
    read_rows(
        &text,
        &mapping,
        &header,
        &resolved,
        name,
        STATEMENT_LINES_MAX,
    )
}

/// UTF-8 (a BOM is dropped), else Windows-1252.
fn decode(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = strip_bom(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
        }
    }
}

fn read_rows(
    text: &str,
    mapping: &CsvMapping,
    header: &Header,
    resolved: &Resolved,
    name: &str,
    lines_max: usize,
) -> Result<Statement, ParseError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(header.delimiter)
        .from_reader(&text.as_bytes()[header.offset..]);
    let mut lines = Vec::new();
    let mut rows = Rows {
        bytes: &text.as_bytes()[header.offset..],
        byte: 0,
        row: header.row,
    };
    // Rows wait here until `skip_footer_rows` rows came after them: the
    // last ones are never read.
    let mut waiting: VecDeque<(usize, csv::StringRecord)> =
        VecDeque::with_capacity(mapping.skip_footer_rows + 1);
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let row = rows.at(e.position().map_or(0, |p| p.byte()));
            ParseError::new(
                format!("row {row}"),
                "",
                format!("not readable as CSV: {e}"),
            )
        })?;
        if i == 0 {
            continue; // the header
        }
        let row = rows.at(record.position().map_or(0, |p| p.byte()));
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        waiting.push_back((row, record));
        if waiting.len() <= mapping.skip_footer_rows {
            continue;
        }
        let (row, record) = waiting.pop_front().expect("a row waits");
        let cells = Row {
            row,
            header,
            record: &record,
        };
        if let Some(line) = cells.line(mapping, resolved)? {
            if lines.len() == lines_max {
                return Err(ParseError::new(
                    format!("row {row}"),
                    "",
                    format!("more than {lines_max} lines in one file; split the file"),
                ));
            }
            lines.push(line);
        }
    }
    Ok(Statement {
        format: StatementFormat::Csv(name.to_string()),
        statement_id: None,
        account_iban: None,
        currency: match mapping.currency {
            CurrencySource::Fixed(c) => Some(c),
            CurrencySource::Column(_) => None,
        },
        opening_minor: None,
        closing_minor: None,
        lines,
    })
}

/// The file's line of a record from its byte offset: counted here, as
/// the `csv` reader does not count line breaks inside quoted fields (and
/// after a `\r\n` puts a record's start at the `\n`).
struct Rows<'a> {
    bytes: &'a [u8],
    byte: usize,
    row: usize,
}

impl Rows<'_> {
    /// The line at `byte`, which never goes back.
    fn at(&mut self, byte: u64) -> usize {
        let mut byte = (byte as usize).clamp(self.byte, self.bytes.len());
        while matches!(self.bytes.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        self.row += self.bytes[self.byte..byte]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.byte = byte;
        self.row
    }
}

/// One data row and where it is.
struct Row<'a> {
    row: usize,
    header: &'a Header,
    record: &'a csv::StringRecord,
}

impl Row<'_> {
    /// The row's line; `None` for a blank row, a footer row (its date cell
    /// one of the mapping's `footer_labels`) or one whose status is not
    /// read.
    fn line(
        &self,
        mapping: &CsvMapping,
        resolved: &Resolved,
    ) -> Result<Option<BankLine>, ParseError> {
        if self.record.iter().all(|f| f.trim().is_empty()) {
            return Ok(None);
        }
        let date_cell = self.cell(&resolved.date).map_or("", |(_, v)| v.trim());
        if mapping
            .footer_labels
            .iter()
            .any(|label| label.trim().to_lowercase() == date_cell.to_lowercase())
        {
            return Ok(None);
        }
        if let Some((cells, keep)) = &resolved.status {
            let status = self.cell(cells).map_or("", |(_, v)| v.trim());
            if !keep.iter().any(|k| k.eq_ignore_ascii_case(status)) {
                return Ok(None);
            }
        }
        let formats = &mapping.date_formats;
        let (at, text) = self.required(&resolved.date, "a booking date")?;
        let booked = dates::parse_any(formats, text).ok_or_else(|| {
            self.refuse(
                at,
                text,
                format!("not a date; {} is accepted", dates::names(formats)),
            )
        })?;
        let value_date = match resolved.value_date.as_ref().and_then(|c| self.cell(c)) {
            None => None,
            Some((at, text)) => Some(dates::parse_any(formats, text).ok_or_else(|| {
                self.refuse(
                    at,
                    text,
                    format!("not a date; {} is accepted", dates::names(formats)),
                )
            })?),
        };
        let currency = match &resolved.currency {
            ResolvedCurrency::Fixed(fixed) => *fixed,
            ResolvedCurrency::Column(cells) => {
                let (at, text) = self.required(cells, "a currency code such as EUR")?;
                Currency::parse(&text.trim().to_ascii_uppercase())
                    .map_err(|e| self.refuse(at, text, e.to_string()))?
            }
        };
        let amount_minor = self.amount(&resolved.amount, mapping.decimal, currency)?;
        let text_of =
            |cells: &Option<Cells>| cells.as_ref().and_then(|c| self.cell(c)).map(|(_, v)| v);
        let mut line = BankLine::new(booked, amount_minor, currency);
        line.value_date = value_date;
        line.counterparty_name = text_of(&resolved.counterparty_name).and_then(non_empty);
        line.counterparty_iban = text_of(&resolved.counterparty_iban).and_then(iban);
        // A cell may span lines; its words are joined by single spaces.
        let words = resolved
            .remittance
            .iter()
            .filter_map(|c| self.cell(c))
            .flat_map(|(_, v)| v.split_whitespace());
        line.remittance = join(words);
        line.bank_ref = text_of(&resolved.bank_ref).and_then(non_empty);
        line.end_to_end_id = text_of(&resolved.end_to_end_id)
            .filter(|id| id.trim() != "NOTPROVIDED")
            .and_then(non_empty);
        line.structured_ref = text_of(&resolved.structured_ref).and_then(non_empty);
        Ok(Some(line))
    }

    fn amount(
        &self,
        amount: &ResolvedAmount,
        decimal: char,
        currency: Currency,
    ) -> Result<i64, ParseError> {
        let read = |(at, text): (usize, &str)| {
            amount::csv_minor(text, decimal, currency)
                .map_err(|reason| self.refuse(at, text, reason))
        };
        let (credit, debit) = match amount {
            ResolvedAmount::Signed(cells) => return read(self.required(cells, "an amount")?),
            ResolvedAmount::CreditDebit { credit, debit } => (credit, debit),
        };
        let (in_cell, out_cell) = (self.cell(credit), self.cell(debit));
        let money_in = in_cell.map(read).transpose()?;
        let money_out = out_cell.map(read).transpose()?;
        let in_name = &self.header.names[credit.0[0]];
        let out_name = &self.header.names[debit.0[0]];
        match (in_cell, money_in) {
            (Some((at, text)), Some(minor)) if minor < 0 => {
                return Err(self.refuse(
                    at,
                    text,
                    format!("\"{in_name}\" is money in, an unsigned amount; money out goes in \"{out_name}\""),
                ))
            }
            _ => {}
        }
        match (money_in.filter(|m| *m != 0), money_out.filter(|m| *m != 0)) {
            (Some(m), None) => Ok(m),
            (None, Some(m)) => Ok(-m.abs()),
            (None, None) if money_in.is_some() || money_out.is_some() => Ok(0),
            (None, None) => Err(self.refuse(
                credit.0[0],
                "",
                format!("empty; an amount in \"{in_name}\" (money in) or \"{out_name}\" (money out) is required"),
            )),
            (Some(_), Some(_)) => {
                let (at, text) = in_cell.unwrap_or((credit.0[0], ""));
                Err(self.refuse(
                    at,
                    text,
                    format!("both money in and money out (\"{out_name}\") have an amount; one of them is accepted"),
                ))
            }
        }
    }

    /// The first of `cells` that is not empty, with its column.
    fn cell(&self, cells: &Cells) -> Option<(usize, &str)> {
        cells
            .0
            .iter()
            .filter_map(|at| self.record.get(*at).map(|v| (*at, v)))
            .find(|(_, v)| !v.trim().is_empty())
    }

    fn required(&self, cells: &Cells, what: &str) -> Result<(usize, &str), ParseError> {
        self.cell(cells)
            .ok_or_else(|| self.refuse(cells.0[0], "", format!("empty; {what} is required")))
    }

    fn refuse(&self, column: usize, value: &str, reason: String) -> ParseError {
        ParseError::new(
            format!("row {}, column \"{}\"", self.row, self.header.names[column]),
            value,
            reason,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_lines_than_the_limit_are_refused() {
        let file = |n: usize| {
            let mut text = String::from("date,amount,currency\n");
            for _ in 0..n {
                text.push_str("2026-03-02,1,EUR\n");
            }
            text
        };
        let mapping = presets::preset("dun").unwrap();
        let read = |text: &str| {
            let (header, resolved) = find_header(text, &mapping)?;
            read_rows(text, &mapping, &header, &resolved, "dun", 3)
        };
        assert_eq!(read(&file(3)).unwrap().lines.len(), 3);
        let err = read(&file(4)).unwrap_err();
        assert_eq!(err.place, "row 5");
        assert!(err.reason.contains("more than 3 lines"));
    }
}
