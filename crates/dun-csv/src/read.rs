//! Reading CSV into import rows.

use std::collections::HashMap;
use std::io::Read;

use dun_core::import::{CustomerRow, ImportErrors, InvoiceRow, PaymentRow, ROWS_MAX};
use dun_core::invoice::{parse_quantity_e4, parse_tax_rate_ppm, InvoiceLine, LINES_MAX};
use dun_core::money::parse_amount_minor;
use dun_core::terms::Terms;
use dun_core::{Currency, Date};

/// What a file gave: the rows that read cleanly, and every problem found.
/// The rows are returned even when there are problems, so that the book's
/// own checks can run on them too and a person sees everything at once.
#[derive(Debug)]
pub struct Parsed<T> {
    pub rows: Vec<T>,
    pub errors: ImportErrors,
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
}

/// The currency assumed for a customer's credit limit (the organisation's).
struct Header {
    index: HashMap<String, usize>,
}

impl Header {
    fn read<R: Read>(
        reader: &mut csv::Reader<R>,
        required: &[&str],
        known: &[&str],
        errors: &mut ImportErrors,
    ) -> Option<Header> {
        let header = match reader.byte_headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                errors.push(
                    1,
                    "(header)",
                    "",
                    format!("the header line cannot be read: {e}"),
                );
                return None;
            }
        };
        let mut index = HashMap::new();
        for (i, name) in header.iter().enumerate() {
            let Ok(name) = std::str::from_utf8(name) else {
                errors.push(
                    1,
                    &format!("#{}", i + 1),
                    "",
                    "the column name is not UTF-8 text",
                );
                continue;
            };
            let name = name
                .trim()
                .trim_start_matches('\u{feff}')
                .to_ascii_lowercase();
            if !known.contains(&name.as_str()) {
                errors.push(
                    1,
                    &name,
                    "",
                    format!("unknown column; the columns are: {}", known.join(", ")),
                );
            }
            index.insert(name, i);
        }
        for column in required {
            if !index.contains_key(*column) {
                errors.push(
                    1,
                    column,
                    "",
                    format!(
                        "required column is missing; the header must include: {}",
                        required.join(", ")
                    ),
                );
            }
        }
        errors.is_empty().then_some(Header { index })
    }
}

/// One data record with its row number, read field by field.
struct Record<'a> {
    row: usize,
    record: &'a csv::ByteRecord,
    header: &'a Header,
}

impl Record<'_> {
    /// The text of `column` without surrounding spaces, or "" when the
    /// column is absent or empty.
    fn text(&self, column: &str, errors: &mut ImportErrors) -> Option<&str> {
        let Some(&i) = self.header.index.get(column) else {
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

    fn amount(&self, column: &str, currency: Currency, errors: &mut ImportErrors) -> Option<i64> {
        let text = self.required(column, errors)?;
        parse_amount_minor(text, currency)
            .map_err(|e| errors.push(self.row, column, text, e.to_string()))
            .ok()
    }
}

/// Reads every record, handing each to `each`; a record that cannot be
/// read at all (bad quoting) is reported and skipped.
fn records<R: Read>(
    input: R,
    required: &[&str],
    known: &[&str],
    mut each: impl FnMut(&Record<'_>, &mut ImportErrors),
) -> ImportErrors {
    let mut errors = ImportErrors::default();
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let Some(header) = Header::read(&mut reader, required, known, &mut errors) else {
        return errors;
    };
    let mut record = csv::ByteRecord::new();
    let mut count = 0usize;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                count += 1;
                let row = record.position().map_or(count + 1, |p| p.line() as usize);
                if count > ROWS_MAX {
                    errors.push(
                        row,
                        "(file)",
                        "",
                        format!("an import holds at most {ROWS_MAX} rows; split the file"),
                    );
                    break;
                }
                each(
                    &Record {
                        row,
                        record: &record,
                        header: &header,
                    },
                    &mut errors,
                );
            }
            Err(e) => {
                let row = e.position().map_or(count + 2, |p| p.line() as usize);
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
                    break;
                }
                count += 1;
            }
        }
    }
    errors
}

pub fn read_customers<R: Read>(input: R, currency: Currency) -> Parsed<CustomerRow> {
    let mut rows = Vec::new();
    let errors = records(
        input,
        &["ref", "name"],
        &crate::CUSTOMER_COLUMNS,
        |r, errors| {
            let (Some(reference), Some(name)) =
                (r.required("ref", errors), r.required("name", errors))
            else {
                return;
            };
            let (reference, name) = (reference.to_string(), name.to_string());
            let credit_limit_minor = match r.optional("credit_limit", errors) {
                None => None,
                Some(text) => match parse_amount_minor(&text, currency) {
                    Ok(v) if v >= 0 => Some(v),
                    Ok(_) => {
                        errors.push(
                            r.row,
                            "credit_limit",
                            &text,
                            "a credit limit cannot be negative",
                        );
                        return;
                    }
                    Err(e) => {
                        errors.push(r.row, "credit_limit", &text, e.to_string());
                        return;
                    }
                },
            };
            let terms = match r.optional("terms", errors) {
                None => None,
                Some(text) => match Terms::parse(&text) {
                    Ok(t) => Some(t),
                    Err(e) => {
                        errors.push(r.row, "terms", &text, e.to_string());
                        return;
                    }
                },
            };
            rows.push(CustomerRow {
                row: r.row,
                reference,
                name,
                email: r.optional("email", errors),
                phone: r.optional("phone", errors),
                credit_limit_minor,
                terms,
            });
        },
    );
    Parsed { rows, errors }
}

fn invoice_line(
    r: &Record<'_>,
    currency: Currency,
    description: &str,
    errors: &mut ImportErrors,
) -> Option<InvoiceLine> {
    let amount = r.text("amount", errors)?;
    let quantity = r.text("quantity", errors)?;
    let (quantity_e4, unit_price_minor) = match (amount.is_empty(), quantity.is_empty()) {
        (false, true) => {
            let amount = r.amount("amount", currency, errors)?;
            if amount <= 0 {
                errors.push(
                    r.row,
                    "amount",
                    &amount.to_string(),
                    "an invoice amount must be positive; corrections are credit notes",
                );
                return None;
            }
            (10_000, amount)
        }
        (true, false) => {
            let quantity_e4 = parse_quantity_e4(quantity)
                .map_err(|e| errors.push(r.row, "quantity", quantity, e.to_string()))
                .ok();
            let price = r.amount("unit_price", currency, errors);
            (quantity_e4?, price?)
        }
        (false, false) => {
            errors.push(
                r.row,
                "amount",
                amount,
                "give either amount, or quantity and unit_price, not both",
            );
            return None;
        }
        (true, true) => {
            errors.push(
                r.row,
                "amount",
                "",
                "give either amount, or quantity and unit_price",
            );
            return None;
        }
    };
    let tax = r.text("tax_rate", errors)?;
    let tax_rate_ppm = if tax.is_empty() {
        0
    } else {
        parse_tax_rate_ppm(tax)
            .map_err(|e| errors.push(r.row, "tax_rate", tax, e.to_string()))
            .ok()?
    };
    InvoiceLine::new(description, quantity_e4, unit_price_minor, tax_rate_ppm)
        .map_err(|e| {
            let column = match e {
                dun_core::invoice::LineError::Quantity(_) => "quantity",
                dun_core::invoice::LineError::NegativePrice(_) => "unit_price",
                dun_core::invoice::LineError::TaxRate(_) => "tax_rate",
                dun_core::invoice::LineError::Description => "description",
                dun_core::invoice::LineError::TooLarge => "amount",
            };
            errors.push(r.row, column, "", e.to_string())
        })
        .ok()
}

/// Reads invoices. Consecutive rows with the same number are the lines of
/// one invoice; their number, customer, dates and currency must agree.
pub fn read_invoices<R: Read>(input: R) -> Parsed<InvoiceRow> {
    let mut rows: Vec<InvoiceRow> = Vec::new();
    let errors = records(
        input,
        &[
            "number",
            "customer_ref",
            "issue_date",
            "due_date",
            "currency",
        ],
        &crate::INVOICE_COLUMNS,
        |r, errors| {
            let number = r.required("number", errors);
            let customer_ref = r.required("customer_ref", errors);
            let issue_date = r.date("issue_date", errors);
            let due_date = r.date("due_date", errors);
            let currency = r.currency("currency", errors);
            let description = r.text("description", errors).unwrap_or("");
            let (
                Some(number),
                Some(customer_ref),
                Some(issue_date),
                Some(due_date),
                Some(currency),
            ) = (number, customer_ref, issue_date, due_date, currency)
            else {
                return;
            };
            let Some(line) = invoice_line(r, currency, description, errors) else {
                return;
            };
            if let Some(last) = rows.last_mut().filter(|last| last.number == number) {
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
        },
    );
    Parsed { rows, errors }
}

pub fn read_payments<R: Read>(input: R) -> Parsed<PaymentRow> {
    let mut rows = Vec::new();
    let errors = records(
        input,
        &["date", "customer_ref", "amount", "currency"],
        &crate::PAYMENT_COLUMNS,
        |r, errors| {
            let received_date = r.date("date", errors);
            let customer_ref = r.required("customer_ref", errors);
            let currency = r.currency("currency", errors);
            let (Some(received_date), Some(customer_ref), Some(currency)) =
                (received_date, customer_ref, currency)
            else {
                return;
            };
            let Some(amount_minor) = r.amount("amount", currency, errors) else {
                return;
            };
            if amount_minor <= 0 {
                errors.push(
                    r.row,
                    "amount",
                    &amount_minor.to_string(),
                    "a payment amount must be positive; record refunds and reversals separately",
                );
                return;
            }
            rows.push(PaymentRow {
                row: r.row,
                received_date,
                customer_ref: customer_ref.to_string(),
                amount_minor,
                currency,
                method: r
                    .optional("method", errors)
                    .unwrap_or_else(|| "bank_transfer".into()),
                reference: r.optional("reference", errors).unwrap_or_default(),
                invoice_number: r.optional("invoice_number", errors),
            });
        },
    );
    Parsed { rows, errors }
}
