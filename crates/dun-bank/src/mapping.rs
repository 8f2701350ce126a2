//! What a CSV export's columns mean: a [`CsvMapping`], built in (see
//! [`crate::presets`]) or written by the user in TOML.

use std::ops::Range;

use dun_core::Currency;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::dates::DateFormat;
use crate::ParseError;

/// How to read one bank's CSV export: which column holds what, and how
/// dates and amounts are written.
///
/// A user writes one in TOML (see [`CsvMapping::from_toml`]); the presets
/// are values of it ([`CsvMapping::preset`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvMapping {
    pub(crate) delimiter: Option<u8>,
    /// Lines before the header; `None`: the header is the first of the
    /// first lines that has the mapped columns (presets).
    pub(crate) skip_rows: Option<usize>,
    pub(crate) date: Column,
    pub(crate) date_formats: Vec<DateFormat>,
    pub(crate) value_date: Option<Column>,
    pub(crate) amount: AmountColumns,
    pub(crate) decimal: char,
    pub(crate) currency: CurrencySource,
    pub(crate) counterparty_name: Option<Column>,
    pub(crate) counterparty_iban: Option<Column>,
    pub(crate) remittance: Vec<Column>,
    pub(crate) bank_ref: Option<Column>,
    pub(crate) end_to_end_id: Option<Column>,
    pub(crate) structured_ref: Option<Column>,
    /// Rows are read only when this column holds one of these values.
    pub(crate) status: Option<(Column, Vec<String>)>,
    /// The last rows of the file (blank rows not counted) that are not
    /// read: a bank's closing lines under the transactions.
    pub(crate) skip_footer_rows: usize,
    /// Rows whose date cell holds one of these texts (compared without
    /// case or surrounding spaces) are not read, wherever they are: a
    /// balance row such as Deutsche Bank's closing `Kontostand`.
    pub(crate) footer_labels: Vec<String>,
    /// A preset's optional columns may be missing from a file; a user's
    /// mapping names only columns the file must have.
    pub(crate) optional_columns_may_be_missing: bool,
}

/// A column, by the header names it may have; a cell is read from the
/// first of them that the file has and that is not empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Column(pub Vec<String>);

impl Column {
    pub fn named(names: &[&str]) -> Column {
        Column(names.iter().map(|n| n.to_string()).collect())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AmountColumns {
    /// One signed column.
    Signed(Column),
    /// Two unsigned columns: money in, money out.
    CreditDebit { credit: Column, debit: Column },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CurrencySource {
    Column(Column),
    Fixed(Currency),
}

/// The keys a mapping file may have.
pub const KEYS: [&str; 21] = [
    "delimiter",
    "skip_rows",
    "date",
    "date_format",
    "value_date",
    "amount",
    "credit",
    "debit",
    "decimal",
    "currency",
    "fixed_currency",
    "counterparty_name",
    "counterparty_iban",
    "remittance",
    "bank_ref",
    "end_to_end_id",
    "structured_ref",
    "status",
    "status_keep",
    "skip_footer_rows",
    "footer_labels",
];

impl CsvMapping {
    /// A built-in preset by name (see [`crate::presets`]).
    pub fn preset(name: &str) -> Option<CsvMapping> {
        crate::presets::preset(name)
    }

    /// Reads a mapping the user wrote, e.g.
    ///
    /// ```toml
    /// delimiter = ";"                 # optional: ";", "," or "\t"; else detected
    /// skip_rows = 4                   # lines before the header (default 0)
    /// skip_footer_rows = 1            # last rows not read (default 0)
    /// footer_labels = ["Kontostand"]  # rows whose date cell says this are not read
    /// date = "Buchungstag"
    /// date_format = "dd.mm.yy"        # or a list of them; default yyyy-mm-dd
    /// credit = "Haben"                # or amount = "Betrag" (one signed column)
    /// debit = "Soll"
    /// decimal = ","                   # default "."; the other mark groups thousands
    /// fixed_currency = "EUR"          # or currency = "Waehrung"
    /// counterparty_name = "Auftraggeber"
    /// remittance = ["Verwendungszweck", "Buchungstext"]
    /// ```
    ///
    /// Columns are named by their header text (compared without case or
    /// surrounding spaces). Required: `date`; `amount`, or `credit` and
    /// `debit`; `currency` or `fixed_currency`. Optional columns:
    /// `value_date`, `counterparty_name`, `counterparty_iban`, `remittance`
    /// (one or several, joined by a space), `bank_ref`, `end_to_end_id`,
    /// `structured_ref`, and `status` with `status_keep` (only rows whose
    /// status is one of these are read). Under the transactions, a file's
    /// closing rows are left unread by `skip_footer_rows` (how many of the
    /// last rows, blank rows not counted) or `footer_labels` (the texts
    /// such a row has in its date cell, e.g. Deutsche Bank's
    /// `Kontostand`); any other row with no date is refused. Date formats: yyyy-mm-dd,
    /// dd.mm.yyyy, dd.mm.yy, mm/dd/yyyy, dd/mm/yyyy. Every column named must
    /// be in the file; unknown keys are refused with the keys accepted.
    pub fn from_toml(text: &str) -> Result<CsvMapping, ParseError> {
        let table = DeTable::parse(text).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            ParseError::new(
                format!("mapping, line {}", line_of(text, at)),
                "",
                format!("not TOML: {}", e.message().trim()),
            )
        })?;
        let keys = Keys {
            text,
            table: table.get_ref(),
        };
        keys.refuse_unknown()?;
        keys.build()
    }
}

struct Keys<'t, 'i> {
    text: &'t str,
    table: &'t DeTable<'i>,
}

impl Keys<'_, '_> {
    fn refuse_unknown(&self) -> Result<(), ParseError> {
        for (key, _) in self.table.iter() {
            if !KEYS.contains(&key.get_ref().as_ref()) {
                return Err(ParseError::new(
                    self.place(key.get_ref(), key.span()),
                    key.get_ref().as_ref(),
                    format!("unknown key; the keys are {}", KEYS.join(", ")),
                ));
            }
        }
        Ok(())
    }

    fn build(&self) -> Result<CsvMapping, ParseError> {
        let date = self.column("date")?.ok_or_else(|| {
            self.missing("date", "date is required: the column of the booking date")
        })?;
        let date_formats = match self.strings("date_format")? {
            None => vec![DateFormat::Iso],
            Some(names) => names
                .iter()
                .map(|name| {
                    DateFormat::from_name(name).ok_or_else(|| {
                        self.bad(
                            "date_format",
                            name,
                            format!("not a date format; accepted are {}", all_date_formats()),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let amount = match (self.column("amount")?, self.column("credit")?, self.column("debit")?) {
            (Some(amount), None, None) => AmountColumns::Signed(amount),
            (None, Some(credit), Some(debit)) => AmountColumns::CreditDebit { credit, debit },
            _ => {
                return Err(self.missing(
                    "amount",
                    "give either amount (one signed column) or both credit and debit (two unsigned columns)",
                ))
            }
        };
        let decimal = match self.string("decimal")?.as_deref() {
            None | Some(".") => '.',
            Some(",") => ',',
            Some(other) => {
                return Err(self.bad("decimal", other, "\",\" or \".\" is accepted".into()))
            }
        };
        let currency = match (self.column("currency")?, self.string("fixed_currency")?) {
            (Some(column), None) => CurrencySource::Column(column),
            (None, Some(code)) => CurrencySource::Fixed(
                Currency::parse(code.trim())
                    .map_err(|e| self.bad("fixed_currency", &code, e.to_string()))?,
            ),
            _ => return Err(self.missing(
                "currency",
                "give either currency (a column) or fixed_currency (an ISO 4217 code such as EUR)",
            )),
        };
        let status =
            match (self.column("status")?, self.strings("status_keep")?) {
                (Some(column), Some(keep)) => Some((column, keep)),
                (None, None) => None,
                _ => return Err(self.missing(
                    "status",
                    "status (a column) and status_keep (the values of rows to read) go together",
                )),
            };
        Ok(CsvMapping {
            delimiter: self.delimiter()?,
            skip_rows: Some(self.count("skip_rows")?),
            date,
            date_formats,
            value_date: self.column("value_date")?,
            amount,
            decimal,
            currency,
            counterparty_name: self.column("counterparty_name")?,
            counterparty_iban: self.column("counterparty_iban")?,
            remittance: self
                .strings("remittance")?
                .unwrap_or_default()
                .into_iter()
                .map(|name| Column(vec![name]))
                .collect(),
            bank_ref: self.column("bank_ref")?,
            end_to_end_id: self.column("end_to_end_id")?,
            structured_ref: self.column("structured_ref")?,
            status,
            skip_footer_rows: self.count("skip_footer_rows")?,
            footer_labels: self.strings("footer_labels")?.unwrap_or_default(),
            optional_columns_may_be_missing: false,
        })
    }

    fn get(
        &self,
        key: &str,
    ) -> Option<(&Spanned<std::borrow::Cow<'_, str>>, &Spanned<DeValue<'_>>)> {
        self.table.iter().find(|(k, _)| k.get_ref().as_ref() == key)
    }

    fn string(&self, key: &str) -> Result<Option<String>, ParseError> {
        let Some((_, value)) = self.get(key) else {
            return Ok(None);
        };
        match value.get_ref() {
            DeValue::String(s) => Ok(Some(s.to_string())),
            _ => Err(self.wrong_type(key, value.span(), "a string in quotes")),
        }
    }

    /// A string or a list of strings, none empty.
    fn strings(&self, key: &str) -> Result<Option<Vec<String>>, ParseError> {
        let Some((_, value)) = self.get(key) else {
            return Ok(None);
        };
        let refuse = || {
            self.wrong_type(
                key,
                value.span(),
                "a string or a list of strings, none empty",
            )
        };
        let list: Vec<String> = match value.get_ref() {
            DeValue::String(s) => vec![s.to_string()],
            DeValue::Array(items) => items
                .iter()
                .map(|item| match item.get_ref() {
                    DeValue::String(s) => Ok(s.to_string()),
                    _ => Err(refuse()),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(refuse()),
        };
        if list.is_empty() || list.iter().any(|s| s.trim().is_empty()) {
            return Err(refuse());
        }
        Ok(Some(list))
    }

    /// A column named by its header text.
    fn column(&self, key: &str) -> Result<Option<Column>, ParseError> {
        match self.string(key)? {
            Some(name) if name.trim().is_empty() => Err(self.bad(
                key,
                &name,
                "a column's header text is required, not an empty string".into(),
            )),
            Some(name) => Ok(Some(Column(vec![name]))),
            None => Ok(None),
        }
    }

    fn delimiter(&self) -> Result<Option<u8>, ParseError> {
        match self.string("delimiter")?.as_deref() {
            None => Ok(None),
            Some(";") => Ok(Some(b';')),
            Some(",") => Ok(Some(b',')),
            Some("\t") | Some("tab") => Ok(Some(b'\t')),
            Some(other) => Err(self.bad(
                "delimiter",
                other,
                "\";\", \",\" or \"\\t\" (tab) is accepted".into(),
            )),
        }
    }

    /// A count of rows (`skip_rows`, `skip_footer_rows`); 0 when not given.
    fn count(&self, key: &str) -> Result<usize, ParseError> {
        let Some((_, value)) = self.get(key) else {
            return Ok(0);
        };
        let n = match value.get_ref() {
            DeValue::Integer(i) => u64::from_str_radix(i.as_str(), i.radix()).ok(),
            _ => None,
        };
        n.filter(|n| *n <= 1000)
            .map(|n| n as usize)
            .ok_or_else(|| self.wrong_type(key, value.span(), "a whole number from 0 to 1000"))
    }

    fn place(&self, key: &str, span: Range<usize>) -> String {
        format!(
            "mapping, line {}, key \"{key}\"",
            line_of(self.text, span.start)
        )
    }

    fn bad(&self, key: &str, value: &str, reason: String) -> ParseError {
        let span = self.get(key).map_or(0..0, |(k, _)| k.span());
        ParseError::new(self.place(key, span), value, reason)
    }

    fn wrong_type(&self, key: &str, span: Range<usize>, expected: &str) -> ParseError {
        let written = self.text.get(span.clone()).unwrap_or("");
        ParseError::new(
            self.place(key, span),
            written,
            format!("{expected} is accepted"),
        )
    }

    fn missing(&self, key: &str, reason: &str) -> ParseError {
        ParseError::new(format!("mapping, key \"{key}\""), "", reason)
    }
}

fn all_date_formats() -> String {
    DateFormat::ALL.map(DateFormat::name).join(", ")
}

fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}
