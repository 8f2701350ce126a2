//! The one error: where, what was written there, and what is accepted.

/// Why a file (or a mapping) is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{place}: {reason}")]
pub struct ParseError {
    /// Where: an element path (`Document/BkToCstmrStmt/Stmt[2]/Ntry[14]/Amt`),
    /// a CSV cell (`row 12, column "Betrag"`) or a mapping key.
    pub place: String,
    /// The text as the file wrote it; may be empty.
    pub value: String,
    /// What is wrong, and what is accepted.
    pub reason: String,
}

impl ParseError {
    pub(crate) fn new(
        place: impl Into<String>,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> ParseError {
        ParseError {
            place: place.into(),
            value: value.into(),
            reason: reason.into(),
        }
    }
}
