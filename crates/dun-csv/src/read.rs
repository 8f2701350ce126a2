//! Reading CSV into import rows.

use std::collections::{BTreeMap, HashMap};

use dun_core::import::{
    CustomerRow, ImportErrors, ImportWarning, InvoiceRow, PaymentRow, ROWS_MAX,
};
use dun_core::invoice::{parse_quantity_e4, parse_tax_rate_ppm, InvoiceLine, LINES_MAX};
use dun_core::money::{parse_amount_minor, UnitPrice};
use dun_core::terms::Terms;
use dun_core::{Currency, Date};

use crate::columns::{self, ColumnMap, Columns, FileKind};

/// What a file gave: the rows that read cleanly, and every problem found.
/// The rows are returned even when there are problems, so that the book's
/// own checks can run on them too and a person sees everything at once.
#[derive(Debug)]
pub struct Parsed<T> {
    pub rows: Vec<T>,
    pub errors: ImportErrors,
    /// Columns read under another name than Dun's (a synonym), each named
    /// with what it was read as.
    pub warnings: Vec<ImportWarning>,
    /// The file cannot be taken row by row: its header is refused, it is
    /// not CSV past some row, or it is too long.
    pub whole_file_refused: bool,
    /// Invoices: the rows of each invoice of more than one row, by its first.
    pub(crate) groups: BTreeMap<usize, Vec<usize>>,
    /// Dun column → the file's name for it, where they differ.
    pub(crate) written: HashMap<&'static str, String>,
}

impl<T> Parsed<T> {
    /// The rows if the whole file was good.
    pub fn into_result(self) -> Result<Vec<T>, ImportErrors> {
        if self.errors.is_empty() {
            Ok(self.rows)
        } else {
            Err(self.errors)
        }
    }

    /// Names each error's column as the file does, where it differs from
    /// Dun's name: `Open Amount (amount)`.
    pub fn in_the_files_words(&self, mut errors: ImportErrors) -> ImportErrors {
        for e in &mut errors.errors {
            if e.row > 1 {
                if let Some(theirs) = self.written.get(e.column.as_str()) {
                    e.column = format!("{theirs} ({})", e.column);
                }
            }
        }
        errors
    }

    fn new(rows: Vec<T>, read: Read) -> Parsed<T> {
        Parsed {
            rows,
            errors: read.errors,
            warnings: read.warnings,
            whole_file_refused: read.whole_file_refused,
            groups: BTreeMap::new(),
            written: read.written,
        }
    }
}

/// What reading the records found besides the rows.
struct Read {
    errors: ImportErrors,
    warnings: Vec<ImportWarning>,
    whole_file_refused: bool,
    written: HashMap<&'static str, String>,
}

/// One data record with its row number, read field by field.
struct Record<'a> {
    row: usize,
    record: &'a csv::ByteRecord,
    columns: &'a Columns,
}

impl Record<'_> {
    /// The text of `column` without surrounding spaces, or "" when the
    /// column is absent or empty.
    fn text(&self, column: &str, errors: &mut ImportErrors) -> Option<&str> {
        let Some(&i) = self.columns.index.get(column) else {
            return Some("");
        };
        let bytes = self.record.get(i).unwrap_or_default();
        match std::str::from_utf8(bytes) {
            // Spaces around a value are trimmed, never a tab (a leading
            // tab would turn "\t=1+1" into a formula); a cell neutralised
            // on export reads back as it was.
            Ok(s) => Some(crate::restore(s.trim_matches(' '))),
            Err(e) => {
                errors.push(
                    self.row,
                    column,
                    &String::from_utf8_lossy(bytes),
                    format!(
                        "not UTF-8 text (invalid byte at position {}); save the file as UTF-8",
                        e.valid_up_to() + 1
                    ),
                );
                None
            }
        }
    }

    fn required(&self, column: &str, errors: &mut ImportErrors) -> Option<&str> {
        let text = self.text(column, errors)?;
        if text.is_empty() {
            errors.push(self.row, column, "", "a value is required");
            return None;
        }
        Some(text)
    }

    fn optional(&self, column: &str, errors: &mut ImportErrors) -> Option<String> {
        self.text(column, errors)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    fn date(&self, column: &str, errors: &mut ImportErrors) -> Option<Date> {
        let text = self.required(column, errors)?;
        Date::parse(text)
            .map_err(|e| errors.push(self.row, column, text, e.to_string()))
            .ok()
    }

    fn currency(&self, column: &str, errors: &mut ImportErrors) -> Option<Currency> {
        let text = self.required(column, errors)?;
        Currency::parse(text)
            .map_err(|e| errors.push(self.row, column, text, e.to_string()))
            .ok()
    }

    /// A unit price in `currency`, which may carry decimals beyond the
    /// currency's; with the currency itself unreadable, the text is still
    /// checked as a number (so every problem of the row is named) but no
    /// value comes back.
    fn unit_price(
        &self,
        column: &str,
        currency: Option<Currency>,
        errors: &mut ImportErrors,
    ) -> Option<UnitPrice> {
        let text = self.required(column, errors)?;
        let value = UnitPrice::parse(text, currency.unwrap_or_else(most_decimals))
            .map_err(|e| errors.push(self.row, column, text, e.to_string()))
            .ok()?;
        currency.map(|_| value)
    }

    /// An amount that must be more than zero; refused as written.
    fn positive_amount(
        &self,
        column: &str,
        currency: Option<Currency>,
        reason: &str,
        errors: &mut ImportErrors,
    ) -> Option<i64> {
        let text = self.required(column, errors)?;
        match parse_amount_minor(text, currency.unwrap_or_else(most_decimals)) {
            Err(e) => {
                errors.push(self.row, column, text, e.to_string());
                None
            }
            Ok(v) if v <= 0 => {
                errors.push(self.row, column, text, reason);
                None
            }
            Ok(v) => currency.map(|_| v),
        }
    }
}

/// A currency with three decimals: an amount it refuses is no amount in
/// any currency.
fn most_decimals() -> Currency {
    Currency::parse("BHD").expect("BHD is ISO 4217")
}

/// The file's line a record starts on (the header is line 1). The csv
/// reader starts a record that follows a CRLF at its LF, still counted on
/// the line before: without this, every row of a Windows file was named
/// one line too early.
pub(crate) fn row_of(file: &[u8], position: &csv::Position) -> usize {
    let line = position.line() as usize;
    match file.get(position.byte() as usize) {
        Some(b'\n') => line + 1,
        _ => line,
    }
}

/// Reads every record, handing each to `each`; a record that cannot be
/// read at all (bad quoting) is reported and skipped.
fn records(
    input: &[u8],
    kind: FileKind,
    map: &ColumnMap,
    mut each: impl FnMut(&Record<'_>, &mut ImportErrors),
) -> Read {
    let mut read = Read {
        errors: ImportErrors::default(),
        warnings: Vec::new(),
        whole_file_refused: true,
        written: HashMap::new(),
    };
    let errors = &mut read.errors;
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let header = match reader.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            errors.push(
                1,
                "(header)",
                "",
                format!("the header line cannot be read: {e}"),
            );
            return read;
        }
    };
    let names: Vec<Option<String>> = header
        .iter()
        .enumerate()
        .map(|(i, name)| match std::str::from_utf8(name) {
            Ok(name) => Some(name.trim().trim_start_matches('\u{feff}').to_string()),
            Err(_) => {
                errors.push(
                    1,
                    &format!("#{}", i + 1),
                    "",
                    "the column name is not UTF-8 text",
                );
                None
            }
        })
        .collect();
    let Some(columns) = columns::resolve(kind, &names, map, errors) else {
        return read;
    };
    read.whole_file_refused = false;
    let mut record = csv::ByteRecord::new();
    let mut count = 0usize;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                count += 1;
                let row = record.position().map_or(count + 1, |p| row_of(input, p));
                if count > ROWS_MAX {
                    errors.push(
                        row,
                        "(file)",
                        "",
                        format!("an import holds at most {ROWS_MAX} rows; split the file"),
                    );
                    read.whole_file_refused = true;
                    break;
                }
                each(
                    &Record {
                        row,
                        record: &record,
                        columns: &columns,
                    },
                    errors,
                );
            }
            Err(e) => {
                let row = e.position().map_or(count + 2, |p| row_of(input, p));
                let reason = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => {
                        format!("the row has {len} fields but the header has {expected_len}")
                    }
                    _ => format!("the row cannot be read as CSV: {e}"),
                };
                errors.push(row, "(row)", "", reason);
                if !matches!(e.kind(), csv::ErrorKind::UnequalLengths { .. }) {
                    read.whole_file_refused = true;
                    break;
                }
                count += 1;
            }
        }
    }
    read.warnings = columns.warnings;
    read.written = columns.written;
    read
}

pub fn read_customers(input: &[u8], currency: Currency) -> Parsed<CustomerRow> {
    read_customers_mapped(input, currency, &ColumnMap::default())
}

/// Customers, the file's columns read through `map` (and the synonyms).
pub fn read_customers_mapped(
    input: &[u8],
    currency: Currency,
    map: &ColumnMap,
) -> Parsed<CustomerRow> {
    let mut rows = Vec::new();
    let read = records(input, FileKind::Customers, map, |r, errors| {
        let reference = r.required("ref", errors);
        let name = r.required("name", errors);
        let credit_limit = match r.optional("credit_limit", errors) {
            None => Some(None),
            Some(text) => match parse_amount_minor(&text, currency) {
                Ok(v) if v >= 0 => Some(Some(v)),
                Ok(_) => {
                    errors.push(
                        r.row,
                        "credit_limit",
                        &text,
                        "a credit limit cannot be negative",
                    );
                    None
                }
                Err(e) => {
                    errors.push(r.row, "credit_limit", &text, e.to_string());
                    None
                }
            },
        };
        let terms = match r.optional("terms", errors) {
            None => Some(None),
            Some(text) => match Terms::parse(&text) {
                Ok(t) => Some(Some(t)),
                Err(e) => {
                    errors.push(r.row, "terms", &text, e.to_string());
                    None
                }
            },
        };
        let email = r.optional("email", errors);
        let phone = r.optional("phone", errors);
        let notes = match r.optional("notes", errors) {
            None => Some(None),
            Some(text) => match dun_core::customer::normalize_notes(&text) {
                Ok(n) => Some(n),
                Err(e) => {
                    errors.push(r.row, "notes", &text, e.reason);
                    None
                }
            },
        };
        // An empty cell says nothing (an update leaves what is there);
        // `any` lifts a restriction (an empty list: any method).
        let payment_methods = match r.optional("payment_methods", errors) {
            None => Some(None),
            Some(text) => match dun_core::customer::PaymentMethod::parse_list(&text) {
                Ok(None) => Some(Some(Vec::new())),
                Ok(m) => Some(m),
                Err(e) => {
                    errors.push(r.row, "payment_methods", &text, e.reason);
                    None
                }
            },
        };
        let (
            Some(reference),
            Some(name),
            Some(credit_limit_minor),
            Some(terms),
            Some(notes),
            Some(payment_methods),
        ) = (reference, name, credit_limit, terms, notes, payment_methods)
        else {
            return;
        };
        rows.push(CustomerRow {
            row: r.row,
            reference: reference.to_string(),
            name: name.to_string(),
            email,
            phone,
            credit_limit_minor,
            terms,
            notes,
            payment_methods,
        });
    });
    Parsed::new(rows, read)
}

/// One line of an invoice; every problem of it is named, not only the
/// first (with `currency` unknown, amounts are checked as numbers only).
fn invoice_line(
    r: &Record<'_>,
    currency: Option<Currency>,
    description: &str,
    errors: &mut ImportErrors,
) -> Option<InvoiceLine> {
    let amount = r.text("amount", errors)?;
    let quantity = r.text("quantity", errors)?;
    let price = match (amount.is_empty(), quantity.is_empty()) {
        (false, true) => r
            .positive_amount(
                "amount",
                currency,
                "an invoice amount must be positive; corrections are credit notes",
                errors,
            )
            .map(|amount| (10_000, UnitPrice::from_minor(amount))),
        (true, false) => {
            let quantity_e4 = parse_quantity_e4(quantity)
                .map_err(|e| errors.push(r.row, "quantity", quantity, e.to_string()))
                .ok();
            let price = r.unit_price("unit_price", currency, errors);
            let price = match price {
                Some(p) if p.is_negative() => {
                    let text = r.text("unit_price", errors).unwrap_or("");
                    errors.push(
                        r.row,
                        "unit_price",
                        text,
                        "a unit price must not be negative; corrections are credit notes",
                    );
                    None
                }
                other => other,
            };
            quantity_e4.zip(price)
        }
        (false, false) => {
            errors.push(
                r.row,
                "amount",
                amount,
                "give either amount, or quantity and unit_price, not both",
            );
            None
        }
        (true, true) => {
            errors.push(
                r.row,
                "amount",
                "",
                "give either amount, or quantity and unit_price",
            );
            None
        }
    };
    let tax = r.text("tax_rate", errors)?;
    let tax_rate_ppm = if tax.is_empty() {
        Some(0)
    } else {
        parse_tax_rate_ppm(tax)
            .map_err(|e| errors.push(r.row, "tax_rate", tax, e.to_string()))
            .ok()
    };
    let ((quantity_e4, unit_price), tax_rate_ppm) = (price?, tax_rate_ppm?);
    InvoiceLine::priced(description, quantity_e4, unit_price, tax_rate_ppm)
        .map_err(|e| {
            let column = match e {
                dun_core::invoice::LineError::Quantity(_) => "quantity",
                dun_core::invoice::LineError::NegativePrice(_) => "unit_price",
                dun_core::invoice::LineError::TaxRate(_) => "tax_rate",
                dun_core::invoice::LineError::Description(_) => "description",
                dun_core::invoice::LineError::TooLarge => "amount",
            };
            let text = r.text(column, errors).unwrap_or("");
            errors.push(r.row, column, text, e.to_string())
        })
        .ok()
}

pub fn read_invoices(input: &[u8]) -> Parsed<InvoiceRow> {
    read_invoices_mapped(input, &ColumnMap::default())
}

/// Reads invoices, the file's columns read through `map` (and the
/// synonyms). Consecutive rows with the same number are the lines of one
/// invoice; their number, customer, dates and currency must agree.
pub fn read_invoices_mapped(input: &[u8], map: &ColumnMap) -> Parsed<InvoiceRow> {
    let mut rows: Vec<InvoiceRow> = Vec::new();
    // The number as the previous row wrote it, and the first row of its run.
    let mut previous: Option<(String, usize)> = None;
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let read = records(input, FileKind::Invoices, map, |r, errors| {
        let number = r.required("number", errors);
        let customer_ref = r.required("customer_ref", errors);
        let issue_date = r.date("issue_date", errors);
        let due_date = r.date("due_date", errors);
        let currency = r.currency("currency", errors);
        let description = r.text("description", errors).unwrap_or("");
        let line = invoice_line(r, currency, description, errors);
        // Rows of one invoice are consecutive rows with its number.
        let further = match (&previous, number) {
            (Some((before, first)), Some(number)) if before == number => Some(*first),
            _ => None,
        };
        match further {
            Some(first) => groups
                .entry(first)
                .or_insert_with(|| vec![first])
                .push(r.row),
            None => previous = number.map(|n| (n.to_string(), r.row)),
        }
        let (
            Some(number),
            Some(customer_ref),
            Some(issue_date),
            Some(due_date),
            Some(currency),
            Some(line),
        ) = (number, customer_ref, issue_date, due_date, currency, line)
        else {
            return;
        };
        if let Some(last) = rows
            .last_mut()
            .filter(|last| further.is_some() && last.number == number)
        {
            let agrees = last.customer_ref == customer_ref
                && last.issue_date == issue_date
                && last.due_date == due_date
                && last.currency == currency;
            if !agrees {
                errors.push(r.row, "number", number, format!("a further line of invoice {number} (row {}) with a different customer, date or currency", last.row));
            } else if last.lines.len() >= LINES_MAX {
                errors.push(
                    r.row,
                    "number",
                    number,
                    format!("an invoice holds at most {LINES_MAX} lines"),
                );
            } else {
                last.lines.push(line);
            }
            return;
        }
        rows.push(InvoiceRow {
            row: r.row,
            number: number.to_string(),
            customer_ref: customer_ref.to_string(),
            issue_date,
            due_date,
            currency,
            description: description.to_string(),
            lines: vec![line],
        });
    });
    let mut parsed = Parsed::new(rows, read);
    parsed.groups = groups;
    parsed
}

pub fn read_payments(input: &[u8]) -> Parsed<PaymentRow> {
    read_payments_mapped(input, &ColumnMap::default())
}

/// Payments, the file's columns read through `map` (and the synonyms).
pub fn read_payments_mapped(input: &[u8], map: &ColumnMap) -> Parsed<PaymentRow> {
    let mut rows = Vec::new();
    let read = records(input, FileKind::Payments, map, |r, errors| {
        let received_date = r.date("date", errors);
        let customer_ref = r.required("customer_ref", errors);
        let currency = r.currency("currency", errors);
        let amount_minor = r.positive_amount(
            "amount",
            currency,
            "a payment amount must be positive; record refunds and reversals separately",
            errors,
        );
        let method = r.optional("method", errors);
        let reference = r.optional("reference", errors);
        let invoice_number = r.optional("invoice_number", errors);
        let (Some(received_date), Some(customer_ref), Some(currency), Some(amount_minor)) =
            (received_date, customer_ref, currency, amount_minor)
        else {
            return;
        };
        rows.push(PaymentRow {
            row: r.row,
            received_date,
            customer_ref: customer_ref.to_string(),
            amount_minor,
            currency,
            method: method.unwrap_or_else(|| "bank_transfer".into()),
            reference: reference.unwrap_or_default(),
            invoice_number,
        });
    });
    Parsed::new(rows, read)
}
