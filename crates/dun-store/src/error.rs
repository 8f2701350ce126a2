//! Errors from storage, each a sentence a person can act on.

use dun_core::book::BookError;
use dun_core::collections::document::DocumentError;
use dun_core::invoice::InvoiceError;
use dun_core::posting::PostingError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Connect(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database error: {}", postgres_message(.0))]
    Postgres(#[from] postgres::Error),
    #[error("{what} '{key}' was not found")]
    NotFound { what: &'static str, key: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    /// A rule of the credit policy refused the command (a credit limit, a
    /// hold); a person may override it with a reason.
    #[error("{0}")]
    Refused(Box<crate::credit_file::CreditRefused>),
    #[error(transparent)]
    Posting(#[from] PostingError),
    #[error(transparent)]
    Invoice(#[from] InvoiceError),
    #[error("idempotency key '{0}' was already used for a different command; use a new key")]
    KeyReused(String),
    #[error("the database holds data this build cannot read: {0}")]
    Corrupt(String),
    #[error("the import was refused; nothing was written:\n{0}")]
    Import(crate::import::ImportErrors),
    /// Every problem of a policy document, each with its line.
    #[error("the policy was refused; nothing was written:\n{}", policy_errors(.0))]
    PolicyDocument(Vec<DocumentError>),
}

/// One problem a line, indented under the sentence that introduces them.
fn policy_errors(errors: &[DocumentError]) -> String {
    errors
        .iter()
        .map(|e| format!("  {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The server's own words: `postgres::Error` displays only "db error" and
/// keeps the message, its SQLSTATE and detail in its source.
fn postgres_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut message = format!("{} (SQLSTATE {})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                message.push_str(": ");
                message.push_str(detail);
            }
            message
        }
        None => match std::error::Error::source(e) {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        },
    }
}

impl From<BookError> for StoreError {
    fn from(e: BookError) -> Self {
        match e {
            BookError::Posting(p) => StoreError::Posting(p),
            BookError::Invoice(i) => StoreError::Invoice(i),
            other => StoreError::Invalid(other.to_string()),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

impl StoreError {
    /// A failure that goes away on retry: SQLite busy past its timeout, or
    /// a PostgreSQL deadlock or serialization failure.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Sqlite(e) => matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ),
            StoreError::Postgres(e) => e.code().is_some_and(|c| {
                *c == postgres::error::SqlState::T_R_DEADLOCK_DETECTED
                    || *c == postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
            }),
            _ => false,
        }
    }

    /// Text the database cannot store: PostgreSQL refuses the NUL
    /// character (and bytes that are not UTF-8) in any text column.
    pub fn is_unstorable_text(&self) -> bool {
        match self {
            StoreError::Postgres(e) => e.code().is_some_and(|c| {
                *c == postgres::error::SqlState::CHARACTER_NOT_IN_REPERTOIRE
                    || *c == postgres::error::SqlState::UNTRANSLATABLE_CHARACTER
            }),
            _ => false,
        }
    }

    pub(crate) fn not_found(what: &'static str, key: impl ToString) -> StoreError {
        StoreError::NotFound {
            what,
            key: key.to_string(),
        }
    }

    /// Whether a unique constraint refused the write (two writers raced, or a duplicate).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            StoreError::Postgres(e) => {
                e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION)
            }
            _ => false,
        }
    }
}
