//! Records brought in from another system, and what is wrong with them.
//!
//! A reader (CSV today) turns a file into these rows, checking each field;
//! storage then checks them against the book (unknown customers, numbers
//! already used). Either step reports every bad row, and an import with any
//! bad row writes nothing.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::currency::Currency;
use crate::date::Date;
use crate::invoice::InvoiceLine;
use crate::terms::Terms;

/// Most rows one import may carry.
pub const ROWS_MAX: usize = 5_000_000;
/// Most problems listed for one import; past this the count is given.
pub const ERRORS_LISTED_MAX: usize = 200;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRow {
    /// The line of the file this came from (the header is line 1).
    pub row: usize,
    pub reference: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub credit_limit_minor: Option<i64>,
    pub terms: Option<Terms>,
    /// Free text (`dun_core::customer::normalize_notes`); `None`: none
    /// given (an update leaves what is there).
    #[serde(default)]
    pub notes: Option<String>,
    /// `None`: none given (any method for a new customer; an update
    /// leaves what is there); an empty list: any method.
    #[serde(default)]
    pub payment_methods: Option<Vec<crate::customer::PaymentMethod>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceRow {
    pub row: usize,
    pub number: String,
    pub customer_ref: String,
    pub issue_date: Date,
    pub due_date: Date,
    pub currency: Currency,
    pub description: String,
    pub lines: Vec<InvoiceLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRow {
    pub row: usize,
    pub received_date: Date,
    pub customer_ref: String,
    pub amount_minor: i64,
    pub currency: Currency,
    pub method: String,
    pub reference: String,
    /// Allocate to this invoice; when absent, to the oldest due first.
    pub invoice_number: Option<String>,
}

/// One problem with one field of one row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub value: String,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}, column {}", self.row, self.column)?;
        if !self.value.is_empty() {
            write!(f, " ('{}')", self.value)?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Every problem found in one import.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportErrors {
    pub errors: Vec<RowError>,
}

impl ImportErrors {
    pub fn push(&mut self, row: usize, column: &str, value: &str, reason: impl Into<String>) {
        self.errors.push(RowError {
            row,
            column: column.to_string(),
            value: value.chars().take(80).collect(),
            reason: reason.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

impl fmt::Display for ImportErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sorted: Vec<&RowError> = self.errors.iter().collect();
        sorted.sort_by_key(|e| e.row);
        for e in sorted.iter().take(ERRORS_LISTED_MAX) {
            writeln!(f, "  {e}")?;
        }
        if sorted.len() > ERRORS_LISTED_MAX {
            writeln!(
                f,
                "  … and {} more problems",
                sorted.len() - ERRORS_LISTED_MAX
            )?;
        }
        write!(f, "{} problem(s) in all", sorted.len())
    }
}

/// Unusual but legitimate history, accepted and reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportWarning {
    pub rows: Vec<usize>,
    pub message: String,
}

/// A row brought in from a file, by the file's line it came from (an
/// invoice of several lines, by its first).
pub trait FileRow {
    fn row(&self) -> usize;
}

impl FileRow for CustomerRow {
    fn row(&self) -> usize {
        self.row
    }
}

impl FileRow for InvoiceRow {
    fn row(&self) -> usize {
        self.row
    }
}

impl FileRow for PaymentRow {
    fn row(&self) -> usize {
        self.row
    }
}
