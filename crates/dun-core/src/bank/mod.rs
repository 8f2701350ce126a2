//! The bank's side of cash application: statements as the bank booked
//! them ([`Statement`], [`BankLine`]), and ([`matching`]) which open
//! invoices each incoming credit pays.
//!
//! Parsing files (ISO 20022 camt, CSV exports) is an adapter's job
//! (`dun-bank`); this module only holds what a statement says, and the
//! rules that follow from it.

pub mod matching;

use serde::{Deserialize, Serialize};

use crate::{Currency, Date};

/// Longest counterparty name, remittance text or reference kept, in bytes
/// (camt allows 140 per unstructured line; several lines are joined).
pub const BANK_TEXT_BYTES_MAX: usize = 1000;
/// Most lines in one imported statement file.
pub const STATEMENT_LINES_MAX: usize = 1_000_000;

/// One booked entry of a bank account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankLine {
    /// The bank's own reference for the entry (camt `AcctSvcrRef`, a CSV
    /// export's transaction id); `None` when the export has none.
    pub bank_ref: Option<String>,
    pub booked: Date,
    pub value_date: Option<Date>,
    /// Money in is positive (a credit to the account), money out negative.
    pub amount_minor: i64,
    pub currency: Currency,
    /// The payer of a credit, the payee of a debit.
    pub counterparty_name: Option<String>,
    /// Upper case without spaces.
    pub counterparty_iban: Option<String>,
    /// Unstructured remittance text, its lines joined by a space.
    pub remittance: String,
    /// A structured creditor reference the payer gave (camt
    /// `Strd/CdtrRefInf/Ref`).
    pub structured_ref: Option<String>,
    /// The payer's end-to-end identification (`EndToEndId`), which a
    /// return quotes.
    pub end_to_end_id: Option<String>,
    /// A returned or reversed entry: the ISO 20022 return reason code
    /// (`AC04`, `MD06`…) or `reversal` when the bank marked it so.
    pub return_reason: Option<String>,
}

impl BankLine {
    /// A line with only its date, amount and currency; the rest empty.
    pub fn new(booked: Date, amount_minor: i64, currency: Currency) -> BankLine {
        BankLine {
            bank_ref: None,
            booked,
            value_date: None,
            amount_minor,
            currency,
            counterparty_name: None,
            counterparty_iban: None,
            remittance: String::new(),
            structured_ref: None,
            end_to_end_id: None,
            return_reason: None,
        }
    }

    /// Money in.
    pub fn is_credit(&self) -> bool {
        self.amount_minor > 0
    }

    /// What identifies the entry when the bank gave no reference of its
    /// own: its date, amount, currency, counterparty and texts. The store
    /// keeps a digest of it with the number of identical lines before it in
    /// the same file, so a file imported twice, or two overlapping
    /// statements, add each entry once.
    pub fn identity(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}|{}|{}",
            self.booked,
            self.amount_minor,
            self.currency.code(),
            self.counterparty_name.as_deref().unwrap_or(""),
            self.counterparty_iban.as_deref().unwrap_or(""),
            self.remittance,
            self.structured_ref.as_deref().unwrap_or(""),
            self.end_to_end_id.as_deref().unwrap_or(""),
        )
    }
}

/// Which kind of file a statement came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatementFormat {
    /// ISO 20022 camt with its message and version, e.g. `camt.053.001.08`.
    Camt(String),
    /// A CSV export read through the named preset or mapping.
    Csv(String),
}

impl std::fmt::Display for StatementFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatementFormat::Camt(v) => f.write_str(v),
            StatementFormat::Csv(preset) => write!(f, "csv:{preset}"),
        }
    }
}

/// One account's statement (or report, or notification).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub format: StatementFormat,
    /// The bank's statement id (camt `Stmt/Id`).
    pub statement_id: Option<String>,
    pub account_iban: Option<String>,
    /// The account's currency, where the file states it.
    pub currency: Option<Currency>,
    /// Balances the file states (camt `OPBD`/`PRCD` and `CLBD`), signed.
    pub opening_minor: Option<i64>,
    pub closing_minor: Option<i64>,
    pub lines: Vec<BankLine>,
}

/// A statement whose balances do not add up.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the statement's balances do not add up: opening {opening_minor} + credits {credits_minor} - debits {debits_minor} = {expected_minor}, but the closing balance is {closing_minor} (minor units)")]
pub struct BalanceMismatch {
    pub opening_minor: i64,
    pub credits_minor: i64,
    pub debits_minor: i64,
    pub expected_minor: i64,
    pub closing_minor: i64,
}

impl Statement {
    /// Opening + credits − debits = closing, where the file states both
    /// balances; `Ok` when it states fewer.
    pub fn check_balances(&self) -> Result<(), BalanceMismatch> {
        let (Some(opening_minor), Some(closing_minor)) = (self.opening_minor, self.closing_minor)
        else {
            return Ok(());
        };
        let credits_minor: i64 = self.lines.iter().map(|l| l.amount_minor.max(0)).sum();
        let debits_minor: i64 = self.lines.iter().map(|l| (-l.amount_minor).max(0)).sum();
        let expected_minor = opening_minor + credits_minor - debits_minor;
        if expected_minor == closing_minor {
            Ok(())
        } else {
            Err(BalanceMismatch {
                opening_minor,
                credits_minor,
                debits_minor,
                expected_minor,
                closing_minor,
            })
        }
    }
}

/// What an ISO 20022 return reason code means, in words for the timeline
/// (the common ones; others are shown as the code).
pub fn return_reason_words(code: &str) -> String {
    let words = match code {
        "AC01" => "incorrect account number",
        "AC04" => "account closed",
        "AC06" => "account blocked",
        "AG01" => "transaction forbidden on this account",
        "AM04" => "insufficient funds",
        "AM05" => "duplicate payment",
        "BE05" => "unknown creditor",
        "FF01" => "invalid file format",
        "MD01" => "no mandate",
        "MD06" => "refund requested by the payer",
        "MD07" => "the payer has died",
        "MS02" => "refused by the payer",
        "MS03" => "reason not given by the bank",
        "RR04" => "regulatory reason",
        "SL01" => "specific service offered by the payer's bank",
        "reversal" => "reversed by the bank",
        _ => return format!("return code {code}"),
    };
    format!("{words} ({code})")
}

/// A payer's name as matching compares it: letters and digits only, lower
/// case, words in order, with common company suffixes dropped
/// (`"ACME Ltd."` and `"acme"` are the same payer).
pub fn name_key(name: &str) -> String {
    const SUFFIXES: &[&str] = &[
        "ltd", "limited", "llc", "inc", "gmbh", "ag", "sa", "sas", "sarl", "bv", "nv", "srl",
        "spa", "plc", "co", "corp", "kg", "ug", "oy", "ab", "as", "aps",
    ];
    let words: Vec<String> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut kept: Vec<&str> = words.iter().map(String::as_str).collect();
    while kept.len() > 1 && SUFFIXES.contains(kept.last().unwrap_or(&"")) {
        kept.pop();
    }
    kept.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balances_add_up_or_say_why_not() {
        let eur = Currency::parse("EUR").unwrap();
        let day = Date::from_ymd(2026, 3, 2).unwrap();
        let line = |amount_minor| BankLine::new(day, amount_minor, eur);
        let mut s = Statement {
            format: StatementFormat::Camt("camt.053.001.08".into()),
            statement_id: None,
            account_iban: None,
            currency: Some(eur),
            opening_minor: Some(1000),
            closing_minor: Some(1400),
            lines: vec![line(500), line(-100)],
        };
        assert!(s.check_balances().is_ok());
        s.closing_minor = Some(1500);
        let err = s.check_balances().unwrap_err();
        assert_eq!(err.expected_minor, 1400);
        s.opening_minor = None;
        assert!(s.check_balances().is_ok());
    }

    #[test]
    fn payer_names_compare_without_case_punctuation_or_suffix() {
        assert_eq!(name_key("ACME Ltd."), "acme");
        assert_eq!(name_key("Müller & Söhne GmbH"), "müller söhne");
        assert_eq!(name_key("Co"), "co");
    }
}

#[cfg(test)]
mod waiting_for_the_bank {
    use crate::collections::document::{parse, DEFAULT_POLICY};

    #[test]
    fn the_run_waits_for_the_statement_until_the_latest_time() {
        let text = DEFAULT_POLICY
            .replace(
                "run_after_bank_import = false",
                "run_after_bank_import = true",
            )
            .replace(
                "bank_import_wait_until = \"12:00\"",
                "bank_import_wait_until = \"10:30\"",
            );
        let rules = parse(&text).unwrap().payments;
        assert!(!rules.run_may_start("06:00", false));
        assert!(rules.run_may_start("06:00", true));
        assert!(rules.run_may_start("10:30", false));
        let default = parse(DEFAULT_POLICY).unwrap().payments;
        assert!(
            default.run_may_start("06:00", false),
            "by default the run does not wait"
        );
        let bad = DEFAULT_POLICY.replace(
            "bank_import_wait_until = \"12:00\"",
            "bank_import_wait_until = \"25:00\"",
        );
        let errors = parse(&bad).unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.to_string().contains("not a time of day")),
            "{errors:?}"
        );
    }
}
