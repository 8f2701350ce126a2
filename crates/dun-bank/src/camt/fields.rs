//! Reading one camt field: amounts with their currency and sign, dates,
//! codes. Every refusal names the element.

use dun_core::{Currency, Date};

use super::tree::Node;
use crate::{amount, ParseError};

/// The child at `path`, or a refusal saying it is missing.
pub fn required<'n>(parent: &'n Node, path: &str, what: &str) -> Result<&'n Node, ParseError> {
    parent
        .at(path)
        .ok_or_else(|| ParseError::new(parent.place_of(path), "", format!("missing; {what}")))
}

/// `CRDT` → `true`, `DBIT` → `false`.
pub fn is_credit(indicator: &Node) -> Result<bool, ParseError> {
    match indicator.trimmed() {
        "CRDT" => Ok(true),
        "DBIT" => Ok(false),
        other => Err(ParseError::new(
            indicator.path.clone(),
            other,
            "not a credit/debit indicator; CRDT or DBIT is accepted",
        )),
    }
}

/// An `Amt` element in minor units of its `Ccy`, which must be the
/// account's when the statement names one. Unsigned.
pub fn amount(amt: &Node, account: Option<Currency>) -> Result<(i64, Currency), ParseError> {
    let Some(code) = amt.attribute("Ccy") else {
        return Err(ParseError::new(
            amt.path.clone(),
            amt.trimmed(),
            "the amount has no Ccy attribute; an ISO 4217 code is required, e.g. Ccy=\"EUR\"",
        ));
    };
    let currency = Currency::parse(code.trim())
        .map_err(|e| ParseError::new(format!("{}/@Ccy", amt.path), code, e.to_string()))?;
    if let Some(account) = account.filter(|a| *a != currency) {
        return Err(ParseError::new(
            format!("{}/@Ccy", amt.path),
            code,
            format!("wrong currency: the account's currency (Acct/Ccy) is {account}; amounts in {account} are accepted"),
        ));
    }
    let minor = amount::camt_minor(&amt.text, currency)
        .map_err(|reason| ParseError::new(amt.path.clone(), amt.trimmed(), reason))?;
    Ok((minor, currency))
}

/// An amount signed by the indicator beside it.
pub fn signed(
    parent: &Node,
    amt: &Node,
    account: Option<Currency>,
) -> Result<(i64, Currency), ParseError> {
    let indicator = required(parent, "CdtDbtInd", "CRDT or DBIT is required")?;
    let credit = is_credit(indicator)?;
    let (minor, currency) = amount(amt, account)?;
    Ok((if credit { minor } else { -minor }, currency))
}

/// A `DateAndDateTimeChoice` (`BookgDt`, `ValDt`): `Dt`, or the date part of
/// `DtTm` as written.
pub fn date(choice: &Node) -> Result<Date, ParseError> {
    let (node, text) = if let Some(dt) = choice.at("Dt") {
        (dt, dt.trimmed())
    } else if let Some(dttm) = choice.at("DtTm") {
        (dttm, dttm.trimmed())
    } else {
        return Err(ParseError::new(
            choice.path.clone(),
            choice.trimmed(),
            "no date; Dt (yyyy-mm-dd) or DtTm (yyyy-mm-ddThh:mm:ss) is accepted",
        ));
    };
    // xs:date may carry a zone (2026-03-02+01:00); the day is the first ten.
    let day = text.get(..10).unwrap_or(text);
    let rest = &text[day.len()..];
    let rest_ok = rest.is_empty()
        || (node.name == "DtTm" && rest.starts_with('T'))
        || (node.name == "Dt" && (rest == "Z" || rest.starts_with('+') || rest.starts_with('-')));
    match Date::parse(day) {
        Ok(date) if rest_ok => Ok(date),
        Ok(_) => Err(ParseError::new(
            node.path.clone(),
            text,
            "not a date; yyyy-mm-dd is accepted",
        )),
        Err(e) => Err(ParseError::new(node.path.clone(), text, e.to_string())),
    }
}

/// `true`, `1` → true; absent, `false`, `0` → false.
pub fn flag(parent: &Node, path: &str) -> Result<bool, ParseError> {
    let Some(node) = parent.at(path) else {
        return Ok(false);
    };
    match node.trimmed() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(ParseError::new(
            node.path.clone(),
            other,
            "not a boolean; true or false is accepted",
        )),
    }
}
