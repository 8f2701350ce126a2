//! A statement's own elements: id, account and balances.

use dun_core::bank::{BankLine, Statement, StatementFormat};
use dun_core::Currency;

use super::fields::{required, signed};
use super::tree::Node;
use crate::text::{iban, non_empty};
use crate::ParseError;

/// The account's currency (`Acct/Ccy`), when the statement names one.
pub fn account_currency(statement: &Node) -> Result<Option<Currency>, ParseError> {
    statement
        .at("Acct/Ccy")
        .map(|ccy| {
            Currency::parse(ccy.trimmed())
                .map_err(|e| ParseError::new(ccy.path.clone(), ccy.trimmed(), e.to_string()))
        })
        .transpose()
}

/// The whole statement, once its entries have been read into `lines`.
pub fn finish(
    statement: &Node,
    message: &str,
    lines: Vec<BankLine>,
) -> Result<Statement, ParseError> {
    let currency = account_currency(statement)?;
    let balance = |code: &str| -> Result<Option<i64>, ParseError> {
        let found = statement
            .all("Bal")
            .into_iter()
            .find(|bal| bal.text_at("Tp/CdOrPrtry/Cd") == Some(code));
        let Some(bal) = found else { return Ok(None) };
        let amt = required(bal, "Amt", "a balance has an amount")?;
        signed(bal, amt, currency).map(|(minor, _)| Some(minor))
    };
    let opening_minor = match balance("OPBD")? {
        Some(opening) => Some(opening),
        None => balance("PRCD")?,
    };
    Ok(Statement {
        format: StatementFormat::Camt(message.to_string()),
        statement_id: statement.text_at("Id").and_then(non_empty),
        account_iban: statement.text_at("Acct/Id/IBAN").and_then(iban),
        currency,
        opening_minor,
        closing_minor: balance("CLBD")?,
        lines,
    })
}
