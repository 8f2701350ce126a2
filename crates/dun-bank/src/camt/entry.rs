//! One camt entry (`Ntry`) to the bank lines it stands for.

use dun_core::bank::BankLine;
use dun_core::Currency;

use super::fields::{date, flag, is_credit, required, signed};
use super::tree::Node;
use crate::text::{iban, join, non_empty};
use crate::ParseError;

/// Entry statuses: the first is read, the rest are skipped.
const STATUSES: [&str; 4] = ["BOOK", "PDNG", "INFO", "FUTR"];

/// The lines of `entry`: none unless it is booked; one per transaction of
/// a batch (several `TxDtls`); else one with the entry's amount.
pub fn lines(entry: &Node, account: Option<Currency>) -> Result<Vec<BankLine>, ParseError> {
    if !is_booked(entry)? {
        return Ok(Vec::new());
    }
    let booked = date(required(
        entry,
        "BookgDt",
        "a booked entry has a booking date",
    )?)?;
    let value_date = entry.at("ValDt").map(date).transpose()?;
    let entry_ref = entry.text_at("AcctSvcrRef");
    let reversal = flag(entry, "RvslInd")?;
    let details = entry.all("NtryDtls/TxDtls");
    let mut lines = Vec::with_capacity(details.len().max(1));
    // Read (and so checked) even when a batch's transactions give the lines.
    let amt = required(entry, "Amt", "an entry has an amount")?;
    let (amount_minor, currency) = signed(entry, amt, account)?;
    if details.len() < 2 {
        let tx = details.first().copied();
        let bank_ref = tx.and_then(|t| t.text_at("Refs/AcctSvcrRef")).or(entry_ref);
        let mut line = BankLine::new(booked, amount_minor, currency);
        line.bank_ref = bank_ref.and_then(non_empty);
        fill(
            &mut line,
            tx,
            is_credit(required(entry, "CdtDbtInd", "CRDT or DBIT")?)?,
            reversal,
        );
        line.value_date = value_date;
        lines.push(line);
        return Ok(lines);
    }
    for (k, tx) in details.iter().enumerate() {
        let amt = tx
            .at("Amt")
            .or_else(|| tx.at("AmtDtls/TxAmt/Amt"))
            .ok_or_else(|| {
                ParseError::new(
                    tx.place_of("Amt"),
                    "",
                    "missing; each transaction of a batch entry needs Amt or AmtDtls/TxAmt/Amt",
                )
            })?;
        let sign_from = if tx.at("CdtDbtInd").is_some() {
            *tx
        } else {
            entry
        };
        let (amount_minor, currency) = signed(sign_from, amt, account)?;
        let credit = is_credit(required(sign_from, "CdtDbtInd", "CRDT or DBIT")?)?;
        let bank_ref = match (tx.text_at("Refs/AcctSvcrRef"), entry_ref) {
            (Some(own), _) => Some(own.to_string()),
            (None, Some(shared)) => Some(format!("{shared}/{}", k + 1)),
            (None, None) => None,
        };
        let mut line = BankLine::new(booked, amount_minor, currency);
        line.bank_ref = bank_ref.as_deref().and_then(non_empty);
        line.value_date = value_date;
        fill(&mut line, Some(tx), credit, reversal);
        lines.push(line);
    }
    Ok(lines)
}

/// `BOOK` → read; `PDNG`, `INFO`, `FUTR` → skipped. v02–v07 write the
/// code as the text of `Sts`, v08 in `Sts/Cd`.
fn is_booked(entry: &Node) -> Result<bool, ParseError> {
    let sts = required(
        entry,
        "Sts",
        "the entry status (BOOK, PDNG, INFO) is required",
    )?;
    let (node, code) = match sts.at("Cd").or_else(|| sts.at("Prtry")) {
        Some(inner) => (inner, inner.trimmed()),
        None => (sts, sts.trimmed()),
    };
    match code {
        "BOOK" => Ok(true),
        c if STATUSES.contains(&c) => Ok(false),
        other => Err(ParseError::new(
            node.path.clone(),
            other,
            format!(
                "not an entry status; {} are accepted (only BOOK is read)",
                STATUSES.join(", ")
            ),
        )),
    }
}

/// The transaction's details: counterparty (the debtor of a credit, the
/// creditor of a debit), references, remittance and return reason.
fn fill(line: &mut BankLine, tx: Option<&Node>, credit: bool, reversal: bool) {
    if let Some(tx) = tx {
        let (name, name_v08, account) = if credit {
            (
                "RltdPties/Dbtr/Nm",
                "RltdPties/Dbtr/Pty/Nm",
                "RltdPties/DbtrAcct/Id/IBAN",
            )
        } else {
            (
                "RltdPties/Cdtr/Nm",
                "RltdPties/Cdtr/Pty/Nm",
                "RltdPties/CdtrAcct/Id/IBAN",
            )
        };
        let name = tx.text_at(name).or_else(|| tx.text_at(name_v08));
        line.counterparty_name = name.and_then(non_empty);
        line.counterparty_iban = tx.text_at(account).and_then(iban);
        line.end_to_end_id = tx
            .text_at("Refs/EndToEndId")
            .filter(|id| *id != "NOTPROVIDED")
            .and_then(non_empty);
        line.remittance = join(tx.all("RmtInf/Ustrd").into_iter().map(|u| u.text.as_str()));
        line.structured_ref = tx.text_at("RmtInf/Strd/CdtrRefInf/Ref").and_then(non_empty);
        line.return_reason = tx
            .text_at("RtrInf/Rsn/Cd")
            .or_else(|| tx.text_at("RtrInf/Rsn/Prtry"))
            .and_then(non_empty);
    }
    if line.return_reason.is_none() && reversal {
        line.return_reason = Some("reversal".into());
    }
}
