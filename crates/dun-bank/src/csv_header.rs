//! Finding a CSV export's header row and the mapped columns in it.

use dun_core::Currency;

use crate::mapping::{AmountColumns, Column, CsvMapping, CurrencySource};
use crate::ParseError;

/// How many lines a preset looks through for its header (banks put the
/// account's details above it).
const HEADER_SEARCH_LINES: usize = 20;

/// The header row: its line (1-based), where it starts, the delimiter and
/// the column names as written (trimmed).
pub struct Header {
    pub row: usize,
    pub offset: usize,
    pub delimiter: u8,
    pub names: Vec<String>,
}

/// The indices of the columns a mapped field may be read from, in the
/// mapping's order of preference; never empty.
pub struct Cells(pub Vec<usize>);

pub enum ResolvedAmount {
    Signed(Cells),
    CreditDebit { credit: Cells, debit: Cells },
}

pub enum ResolvedCurrency {
    Fixed(Currency),
    Column(Cells),
}

/// A mapping applied to one header.
pub struct Resolved {
    pub date: Cells,
    pub value_date: Option<Cells>,
    pub amount: ResolvedAmount,
    pub currency: ResolvedCurrency,
    pub counterparty_name: Option<Cells>,
    pub counterparty_iban: Option<Cells>,
    pub remittance: Vec<Cells>,
    pub bank_ref: Option<Cells>,
    pub end_to_end_id: Option<Cells>,
    pub structured_ref: Option<Cells>,
    pub status: Option<(Cells, Vec<String>)>,
    /// How many mapped columns the header has (to choose among presets).
    pub columns_found: usize,
}

/// The header and the mapped columns in it: after `skip_rows` lines, or
/// (for a preset) the first of the first lines that has its columns.
pub fn find_header(text: &str, mapping: &CsvMapping) -> Result<(Header, Resolved), ParseError> {
    let empty = || {
        ParseError::new(
            "row 1",
            "",
            "the file is empty; a header row and data rows are expected",
        )
    };
    if let Some(skip) = mapping.skip_rows {
        let header = header_at(text, skip, mapping.delimiter).ok_or_else(|| {
            ParseError::new(
                format!("row {}", skip + 1),
                "",
                format!(
                    "no header row: the file has fewer than {} lines (skip_rows is {skip})",
                    skip + 1
                ),
            )
        })?;
        let resolved = resolve(&header, mapping)?;
        return Ok((header, resolved));
    }
    let mut first_refusal = None;
    for skip in 0..HEADER_SEARCH_LINES {
        let Some(header) = header_at(text, skip, mapping.delimiter) else {
            break;
        };
        match resolve(&header, mapping) {
            Ok(resolved) => return Ok((header, resolved)),
            Err(refusal) => {
                first_refusal.get_or_insert(refusal);
            }
        }
    }
    Err(first_refusal.unwrap_or_else(empty))
}

/// The columns a mapping cannot do without, for a refusal.
pub fn required_columns(mapping: &CsvMapping) -> String {
    let named = |c: &Column| c.0.join(" or ");
    let mut parts = vec![named(&mapping.date)];
    match &mapping.amount {
        AmountColumns::Signed(c) => parts.push(named(c)),
        AmountColumns::CreditDebit { credit, debit } => {
            parts.push(named(credit));
            parts.push(named(debit));
        }
    }
    if let CurrencySource::Column(c) = &mapping.currency {
        parts.push(named(c));
    }
    parts.join(", ")
}

/// The header `skip` lines into `text`; `None` when the file is shorter.
fn header_at(text: &str, skip: usize, delimiter: Option<u8>) -> Option<Header> {
    let mut offset = 0;
    for _ in 0..skip {
        offset += text[offset..].find('\n')? + 1;
    }
    if offset >= text.len() {
        return None;
    }
    let line = text[offset..].lines().next().unwrap_or("");
    let delimiter = delimiter.unwrap_or_else(|| detect_delimiter(line));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(&text.as_bytes()[offset..]);
    // A blank line is no header (the reader would skip to the next line).
    let names = match reader.records().next() {
        Some(Ok(record)) if !line.trim().is_empty() => {
            record.iter().map(|n| n.trim().to_string()).collect()
        }
        _ => Vec::new(),
    };
    Some(Header {
        row: skip + 1,
        offset,
        delimiter,
        names,
    })
}

/// `;`, `,` or tab: whichever the line has most of outside quotes.
fn detect_delimiter(line: &str) -> u8 {
    let mut counts = [(b';', 0usize), (b',', 0), (b'\t', 0)];
    let mut quoted = false;
    for b in line.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(c) = counts.iter_mut().find(|(d, _)| *d == b) {
                c.1 += 1;
            }
        }
    }
    counts
        .iter()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map_or(b',', |(d, _)| *d)
}

fn resolve(header: &Header, mapping: &CsvMapping) -> Result<Resolved, ParseError> {
    let mut found = 0;
    let mut required = |column: &Column| -> Result<Cells, ParseError> {
        let cells = find(header, column).ok_or_else(|| missing(header, column))?;
        found += 1;
        Ok(cells)
    };
    let date = required(&mapping.date)?;
    let amount = match &mapping.amount {
        AmountColumns::Signed(c) => ResolvedAmount::Signed(required(c)?),
        AmountColumns::CreditDebit { credit, debit } => ResolvedAmount::CreditDebit {
            credit: required(credit)?,
            debit: required(debit)?,
        },
    };
    let currency = match &mapping.currency {
        CurrencySource::Fixed(c) => ResolvedCurrency::Fixed(*c),
        CurrencySource::Column(c) => ResolvedCurrency::Column(required(c)?),
    };
    let mut optional = |column: &Option<Column>| -> Result<Option<Cells>, ParseError> {
        let Some(column) = column else {
            return Ok(None);
        };
        match find(header, column) {
            Some(cells) => {
                found += 1;
                Ok(Some(cells))
            }
            None if mapping.optional_columns_may_be_missing => Ok(None),
            None => Err(missing(header, column)),
        }
    };
    let value_date = optional(&mapping.value_date)?;
    let counterparty_name = optional(&mapping.counterparty_name)?;
    let counterparty_iban = optional(&mapping.counterparty_iban)?;
    let bank_ref = optional(&mapping.bank_ref)?;
    let end_to_end_id = optional(&mapping.end_to_end_id)?;
    let structured_ref = optional(&mapping.structured_ref)?;
    let mut remittance = Vec::new();
    for column in &mapping.remittance {
        remittance.extend(optional(&Some(column.clone()))?);
    }
    let status = match &mapping.status {
        Some((column, keep)) => optional(&Some(column.clone()))?.map(|cells| (cells, keep.clone())),
        None => None,
    };
    Ok(Resolved {
        date,
        value_date,
        amount,
        currency,
        counterparty_name,
        counterparty_iban,
        remittance,
        bank_ref,
        end_to_end_id,
        structured_ref,
        status,
        columns_found: found,
    })
}

/// The header's columns with any of the column's names, compared without
/// case or surrounding spaces, in the column's order of names.
fn find(header: &Header, column: &Column) -> Option<Cells> {
    let key = |s: &str| s.trim().to_lowercase();
    let indices: Vec<usize> = column
        .0
        .iter()
        .filter_map(|name| header.names.iter().position(|h| key(h) == key(name)))
        .collect();
    (!indices.is_empty()).then_some(Cells(indices))
}

fn missing(header: &Header, column: &Column) -> ParseError {
    if header.names.is_empty() {
        return ParseError::new(
            format!("row {}", header.row),
            column.0.join(" or "),
            "the header row is blank; a header with the mapped columns is expected (see skip_rows)",
        );
    }
    let has: Vec<String> = header
        .names
        .iter()
        .take(40)
        .map(|n| format!("\"{n}\""))
        .collect();
    ParseError::new(
        format!("row {}", header.row),
        column.0.join(" or "),
        format!(
            "no such column in the header row; it has {}",
            has.join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delimiter_is_what_the_header_has_most_of_outside_quotes() {
        assert_eq!(detect_delimiter("a;b;c"), b';');
        assert_eq!(detect_delimiter("\"a,b\";\"c,d\";e"), b';');
        assert_eq!(detect_delimiter("a,b,c"), b',');
        assert_eq!(detect_delimiter("a\tb\tc,d"), b'\t');
        assert_eq!(detect_delimiter("single"), b',');
    }
}
