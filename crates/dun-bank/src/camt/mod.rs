//! ISO 20022 cash-management messages: camt.053 (statement), camt.052
//! (account report) and camt.054 (debit/credit notification), versions
//! 001.02 to 001.08.

mod entry;
mod fields;
mod statement;
mod stream;
mod tree;

use std::borrow::Cow;

use dun_core::bank::{Statement, STATEMENT_LINES_MAX};
use dun_core::Currency;

use crate::text::strip_bom;
use crate::ParseError;
use stream::Found;

const NAMESPACE_PREFIX: &str = "urn:iso:std:iso:20022:tech:xsd:";
const VERSIONS: std::ops::RangeInclusive<u32> = 2..=8;

/// A camt message: its number, the element under `Document`, and the
/// element of each statement in it.
#[derive(Debug)]
struct Message {
    number: &'static str,
    root: &'static str,
    statement: &'static str,
}

const MESSAGES: [Message; 3] = [
    Message {
        number: "camt.052",
        root: "BkToCstmrAcctRpt",
        statement: "Rpt",
    },
    Message {
        number: "camt.053",
        root: "BkToCstmrStmt",
        statement: "Stmt",
    },
    Message {
        number: "camt.054",
        root: "BkToCstmrDbtCdtNtfctn",
        statement: "Ntfctn",
    },
];

/// Every statement in a camt file.
pub fn parse(bytes: &[u8]) -> Result<Vec<Statement>, ParseError> {
    parse_with_limit(bytes, STATEMENT_LINES_MAX)
}

fn parse_with_limit(bytes: &[u8], lines_max: usize) -> Result<Vec<Statement>, ParseError> {
    let text = decode(strip_bom(bytes))?;
    let mut message: Option<(&Message, String)> = None;
    let mut statements = Vec::new();
    let mut lines = Vec::new();
    let mut lines_total = 0usize;
    // The account currency of the statement being read, once looked up.
    let mut account: Option<Option<Currency>> = None;
    stream::read(&text, |found| match found {
        Found::Root { name, namespace } => {
            if name != "Document" {
                // The place is named even when the name read is empty
                // (a damaged file): a refusal always says where.
                return Err(ParseError::new(
                    "root element",
                    name,
                    "not a camt document: a camt file's root element is Document",
                ));
            }
            message = Some(identify(namespace.unwrap_or(""))?);
            Ok(None)
        }
        Found::Message { name, path } => {
            let (kind, version) = message.as_ref().expect("the root comes first");
            if name != kind.root {
                return Err(ParseError::new(
                    path,
                    name,
                    format!(
                        "the namespace says {version}, whose message element is {}",
                        kind.root
                    ),
                ));
            }
            Ok(Some(kind.statement))
        }
        Found::Entry { statement, entry } => {
            let currency = match account {
                Some(c) => c,
                None => *account.insert(statement::account_currency(statement)?),
            };
            let new = entry::lines(&entry, currency)?;
            lines_total += new.len();
            if lines_total > lines_max {
                return Err(ParseError::new(
                    entry.path.clone(),
                    "",
                    format!("more than {lines_max} lines in one file; split the file"),
                ));
            }
            lines.extend(new);
            Ok(None)
        }
        Found::Statement { statement } => {
            let (_, version) = message.as_ref().expect("the root comes first");
            let read = std::mem::take(&mut lines);
            statements.push(statement::finish(&statement, version, read)?);
            account = None;
            Ok(None)
        }
    })?;
    Ok(statements)
}

/// The message and version a namespace names, e.g. `camt.053.001.08`.
fn identify(namespace: &str) -> Result<(&'static Message, String), ParseError> {
    let refuse = || {
        ParseError::new(
            "Document/@xmlns",
            namespace,
            format!(
                "not a camt message this reads; accepted are camt.052, camt.053 and camt.054, versions 001.02 to 001.08 (namespace {NAMESPACE_PREFIX}camt.053.001.08 and the like)"
            ),
        )
    };
    let name = namespace
        .strip_prefix(NAMESPACE_PREFIX)
        .ok_or_else(refuse)?;
    let (number, version) = name.split_at_checked(8).ok_or_else(refuse)?;
    let message = MESSAGES
        .iter()
        .find(|m| m.number == number)
        .ok_or_else(refuse)?;
    let minor = version
        .strip_prefix(".001.")
        .filter(|v| v.len() == 2 && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|v| VERSIONS.contains(v))
        .ok_or_else(refuse)?;
    Ok((message, format!("{number}.001.{minor:02}")))
}

/// The text of the file: UTF-8, or the encoding its declaration names.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, ParseError> {
    let declared = declared_encoding(bytes)
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()))
        .filter(|e| *e != encoding_rs::UTF_8);
    if let Some(encoding) = declared {
        let (text, _, had_errors) = encoding.decode(bytes);
        if !had_errors {
            return Ok(text);
        }
    }
    std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| {
        let at = e.valid_up_to();
        let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
        let shown = &bytes[at..at + e.error_len().unwrap_or(bytes.len() - at)];
        ParseError::new(
            format!("line {line}, byte {at}"),
            shown
                .iter()
                .map(|b| format!("\\x{b:02X}"))
                .collect::<String>(),
            "not UTF-8; a camt file is UTF-8, or names its encoding in <?xml … encoding=\"…\"?>",
        )
    })
}

/// `encoding="…"` of the XML declaration, if the file has one.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(200)];
    let head = String::from_utf8_lossy(head);
    let decl = head.trim_start().strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let after = &decl[decl.find("encoding")? + "encoding".len()..];
    let after = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &after[1..];
    Some(value[..value.find(quote)?].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_name_message_and_version() {
        let (m, v) = identify("urn:iso:std:iso:20022:tech:xsd:camt.053.001.02").unwrap();
        assert_eq!((m.root, v.as_str()), ("BkToCstmrStmt", "camt.053.001.02"));
        let (m, v) = identify("urn:iso:std:iso:20022:tech:xsd:camt.054.001.08").unwrap();
        assert_eq!((m.statement, v.as_str()), ("Ntfctn", "camt.054.001.08"));
        for bad in [
            "urn:iso:std:iso:20022:tech:xsd:camt.053.001.01",
            "urn:iso:std:iso:20022:tech:xsd:camt.053.001.09",
            "urn:iso:std:iso:20022:tech:xsd:camt.053.001.13",
            "urn:iso:std:iso:20022:tech:xsd:camt.999.001.08",
            "urn:iso:std:iso:20022:tech:xsd:camt.053.002.08",
            "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03",
            "urn:iso:std:iso:20022:tech:xsd:camt.053.001.8",
            "",
        ] {
            let err = identify(bad).unwrap_err();
            assert_eq!(err.value, bad);
            assert!(
                err.reason.contains("camt.052, camt.053 and camt.054"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_declared_single_byte_encoding_is_decoded() {
        let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>M\xFCller</a>";
        assert_eq!(declared_encoding(latin1).as_deref(), Some("ISO-8859-1"));
        assert!(decode(latin1).unwrap().contains("Müller"));
        let undeclared = b"<a>M\xFCller</a>";
        let err = decode(undeclared).unwrap_err();
        assert_eq!(err.place, "line 1, byte 4");
        assert_eq!(err.value, "\\xFC");
    }

    #[test]
    fn more_lines_than_the_limit_are_refused() {
        let ntry = |i: u32| {
            format!(
                "<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-03-02</Dt></BookgDt><AcctSvcrRef>R{i}</AcctSvcrRef></Ntry>"
            )
        };
        let file = |n: u32| {
            let entries: String = (1..=n).map(ntry).collect();
            format!(
                "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt><Stmt><Id>S</Id>{entries}</Stmt></BkToCstmrStmt></Document>"
            )
        };
        let ok = parse_with_limit(file(3).as_bytes(), 3).unwrap();
        assert_eq!(ok[0].lines.len(), 3);
        let err = parse_with_limit(file(4).as_bytes(), 3).unwrap_err();
        assert_eq!(err.place, "Document/BkToCstmrStmt/Stmt[1]/Ntry[4]");
        assert!(err.reason.contains("more than 3 lines"));
    }
}
