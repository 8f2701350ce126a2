//! The EPC QR code's payload: the text a payer's banking app reads to fill
//! in a SEPA credit transfer (European Payments Council, *Quick Response
//! Code: Guidelines to Enable the Data Capture for the Initiation of a SEPA
//! Credit Transfer*, EPC069-12).
//!
//! The payload is lines of text separated by `\n`, in this order: the
//! service tag `BCD`, the version `002`, the character set `1` (UTF-8), the
//! identification `SCT`, the beneficiary's BIC (optional in version 002),
//! the beneficiary's name (1 to 70 characters), the IBAN, the amount
//! (`EUR` and the amount with a dot and two decimals, from 0.01 to
//! 999999999.99; empty when not stated), the purpose (empty), the
//! structured remittance information (an ISO 11649 creditor reference,
//! compact), the unstructured remittance information (empty when a
//! reference is given: never both). Nothing follows the last element that
//! holds something, and the whole is at most [`PAYLOAD_BYTES_MAX`] bytes;
//! the code is drawn with error correction level M ([`ERROR_CORRECTION`]).
//!
//! This module only writes text: the QR matrix is drawn by the shells (the
//! PDF and the web page), from exactly this payload.

use crate::party::{normalize_iban, PaymentInstructions};
use crate::reference::CreditorReference;
use crate::Currency;

/// The most bytes a payload may have (QR version 13 at level M).
pub const PAYLOAD_BYTES_MAX: usize = 331;
/// The longest beneficiary name, in characters (AT-21).
pub const NAME_CHARS_MAX: usize = 70;
/// The longest unstructured remittance text, in characters (AT-05).
pub const TEXT_CHARS_MAX: usize = 140;
/// The longest structured remittance information, in characters.
pub const REFERENCE_CHARS_MAX: usize = 35;
/// The smallest amount a code may state, in euro cents (EUR 0.01).
pub const AMOUNT_MINOR_MIN: i64 = 1;
/// The largest amount a code may state, in euro cents (EUR 999999999.99).
pub const AMOUNT_MINOR_MAX: i64 = 99_999_999_999;
/// The error correction level the guideline asks for: `M` (15 %).
pub const ERROR_CORRECTION: char = 'M';
/// The only currency an EPC QR code pays in.
pub const CURRENCY: &str = "EUR";

/// A SEPA credit transfer to pre-fill.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditTransfer<'a> {
    /// The beneficiary's bank; may be left out within the EEA (version 002).
    pub bic: Option<&'a str>,
    /// Who is paid, as the account is held (1 to 70 characters).
    pub beneficiary: &'a str,
    /// The beneficiary's IBAN, spaces allowed.
    pub iban: &'a str,
    /// The transfer's currency: only the euro is accepted.
    pub currency: Currency,
    /// The amount in cents; `None` leaves it for the payer to type.
    pub amount_minor: Option<i64>,
    /// The structured remittance information.
    pub reference: Option<&'a CreditorReference>,
    /// The unstructured remittance information, when there is no reference.
    pub text: Option<&'a str>,
}

/// Why a transfer cannot be written as an EPC QR payload.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EpcError {
    #[error("an EPC QR code pays in euro only, not {0}")]
    NotEuro(String),
    #[error("the beneficiary's name '{0}' must have 1 to 70 characters on one line")]
    Name(String),
    #[error("the IBAN '{0}' is not valid")]
    Iban(String),
    #[error("the BIC '{0}' must have 8 or 11 letters and digits")]
    Bic(String),
    #[error("the amount of {0} cents is outside EUR 0.01 to 999999999.99")]
    Amount(i64),
    #[error("the remittance information '{0}' is too long or not on one line")]
    Remittance(String),
    #[error("an EPC QR code carries a structured reference or a text, not both")]
    BothRemittances,
    #[error("the payload has {0} bytes; an EPC QR code holds at most 331")]
    TooLong(usize),
}

/// `12345` → `EUR123.45`.
fn amount_field(minor: i64) -> String {
    format!("{CURRENCY}{}.{:02}", minor / 100, minor % 100)
}

fn one_line(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

/// The EPC QR payload of `t` (version 002, UTF-8), or why there is none.
pub fn payload(t: &CreditTransfer<'_>) -> Result<String, EpcError> {
    if t.currency.code() != CURRENCY {
        return Err(EpcError::NotEuro(t.currency.code().to_string()));
    }
    let name = t.beneficiary.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > NAME_CHARS_MAX || !one_line(name) {
        return Err(EpcError::Name(t.beneficiary.to_string()));
    }
    let iban = normalize_iban(t.iban).map_err(|_| EpcError::Iban(t.iban.to_string()))?;
    let bic = match t.bic.map(str::trim).filter(|b| !b.is_empty()) {
        None => String::new(),
        Some(b) => {
            let b = b.to_ascii_uppercase();
            if !(b.len() == 8 || b.len() == 11) || !b.bytes().all(|c| c.is_ascii_alphanumeric()) {
                return Err(EpcError::Bic(b));
            }
            b
        }
    };
    let amount = match t.amount_minor {
        None => String::new(),
        Some(m) if (AMOUNT_MINOR_MIN..=AMOUNT_MINOR_MAX).contains(&m) => amount_field(m),
        Some(m) => return Err(EpcError::Amount(m)),
    };
    let text = t.text.map(str::trim).filter(|x| !x.is_empty());
    let (structured, unstructured) = match (t.reference, text) {
        (Some(_), Some(_)) => return Err(EpcError::BothRemittances),
        (Some(r), None) => {
            if r.as_str().len() > REFERENCE_CHARS_MAX {
                return Err(EpcError::Remittance(r.as_str().to_string()));
            }
            (r.as_str().to_string(), String::new())
        }
        (None, Some(x)) => {
            if x.chars().count() > TEXT_CHARS_MAX || !one_line(x) {
                return Err(EpcError::Remittance(x.to_string()));
            }
            (String::new(), x.to_string())
        }
        (None, None) => (String::new(), String::new()),
    };
    let mut lines = vec![
        "BCD".to_string(),
        "002".to_string(),
        "1".to_string(),
        "SCT".to_string(),
        bic,
        name.to_string(),
        iban,
        amount,
        String::new(), // purpose
        structured,
        unstructured,
    ];
    // Nothing after the last element that holds something.
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    let text = lines.join("\n");
    if text.len() > PAYLOAD_BYTES_MAX {
        return Err(EpcError::TooLong(text.len()));
    }
    Ok(text)
}

/// The payload a document prints as its QR code, or `None` when it shows
/// none: the organisation has no IBAN, the document is not in euro, or
/// nothing is left to pay (or the details make no valid code, e.g. a name
/// over 70 characters). The beneficiary is the account holder, else the
/// organisation (`seller_name`); an amount beyond what a code may state is
/// left for the payer to type.
pub fn for_document(
    instructions: &PaymentInstructions,
    seller_name: &str,
    currency: Currency,
    amount_minor: i64,
    reference: &CreditorReference,
) -> Option<String> {
    let iban = instructions
        .iban
        .as_deref()
        .filter(|i| !i.trim().is_empty())?;
    if currency.code() != CURRENCY || amount_minor < AMOUNT_MINOR_MIN {
        return None;
    }
    let beneficiary = instructions
        .account_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(seller_name);
    payload(&CreditTransfer {
        bic: instructions.bic.as_deref(),
        beneficiary,
        iban,
        currency,
        amount_minor: (amount_minor <= AMOUNT_MINOR_MAX).then_some(amount_minor),
        reference: Some(reference),
        text: None,
    })
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    fn transfer(reference: &CreditorReference) -> CreditTransfer<'_> {
        CreditTransfer {
            bic: Some("BHBLDEHHXXX"),
            beneficiary: "Franz Mustermänn",
            iban: "DE71 1102 2033 0123 4567 89",
            currency: eur(),
            amount_minor: Some(1_230),
            reference: Some(reference),
            text: None,
        }
    }

    #[test]
    fn the_fields_come_in_the_guidelines_order_and_stop_at_the_last_one_given() {
        let r = CreditorReference::parse("RF18 5390 0754 7034").unwrap();
        assert_eq!(
            payload(&transfer(&r)).unwrap(),
            "BCD\n002\n1\nSCT\nBHBLDEHHXXX\nFranz Mustermänn\nDE71110220330123456789\nEUR12.30\n\nRF18539007547034"
        );
        // Version 002: no BIC, no amount; the lines keep their places.
        let bare = CreditTransfer {
            bic: None,
            amount_minor: None,
            ..transfer(&r)
        };
        let text = payload(&bare).unwrap();
        let lines: Vec<&str> = text.split('\n').collect();
        assert_eq!(lines.len(), 10);
        assert_eq!((lines[4], lines[7], lines[8]), ("", "", ""));
        assert_eq!(lines[9], "RF18539007547034");
        // A text instead of a reference takes the eleventh line.
        let texted = CreditTransfer {
            reference: None,
            text: Some("Invoice INV-000042"),
            ..transfer(&r)
        };
        assert!(payload(&texted)
            .unwrap()
            .ends_with("EUR12.30\n\n\nInvoice INV-000042"));
        // Neither: the amount is the last line.
        let neither = CreditTransfer {
            reference: None,
            ..transfer(&r)
        };
        assert!(payload(&neither).unwrap().ends_with("\nEUR12.30"));
        assert!(!payload(&neither).unwrap().ends_with('\n'));
    }

    #[test]
    fn amounts_have_a_dot_and_two_decimals_within_the_limits() {
        let r = CreditorReference::for_invoice(7);
        let with = |minor| {
            payload(&CreditTransfer {
                amount_minor: Some(minor),
                ..transfer(&r)
            })
        };
        let field = |minor| with(minor).unwrap().split('\n').nth(7).unwrap().to_string();
        assert_eq!(field(12_345), "EUR123.45");
        assert_eq!(field(1), "EUR0.01");
        assert_eq!(field(100_000), "EUR1000.00");
        assert_eq!(field(AMOUNT_MINOR_MAX), "EUR999999999.99");
        assert_eq!(with(0), Err(EpcError::Amount(0)));
        assert_eq!(with(-5), Err(EpcError::Amount(-5)));
        assert_eq!(
            with(AMOUNT_MINOR_MAX + 1),
            Err(EpcError::Amount(AMOUNT_MINOR_MAX + 1))
        );
    }

    #[test]
    fn only_the_euro_is_paid() {
        let r = CreditorReference::for_invoice(7);
        for code in ["USD", "GBP", "CHF", "JPY"] {
            let t = CreditTransfer {
                currency: Currency::parse(code).unwrap(),
                ..transfer(&r)
            };
            assert_eq!(payload(&t), Err(EpcError::NotEuro(code.into())));
        }
    }

    #[test]
    fn names_ibans_bics_and_remittances_are_held_to_their_limits() {
        let r = CreditorReference::for_invoice(7);
        let seventy = "N".repeat(NAME_CHARS_MAX);
        let ok = CreditTransfer {
            beneficiary: &seventy,
            ..transfer(&r)
        };
        assert!(payload(&ok).is_ok());
        let long = "N".repeat(NAME_CHARS_MAX + 1);
        for name in [long.as_str(), "", "  ", "Two\nlines"] {
            let t = CreditTransfer {
                beneficiary: name,
                ..transfer(&r)
            };
            assert_eq!(payload(&t), Err(EpcError::Name(name.into())), "{name:?}");
        }
        // Seventy characters, not bytes: accents count once.
        let accented = "é".repeat(NAME_CHARS_MAX);
        let t = CreditTransfer {
            beneficiary: &accented,
            ..transfer(&r)
        };
        assert!(payload(&t).is_ok());
        let bad_iban = CreditTransfer {
            iban: "DE71 1102 2033 0123 4567 88",
            ..transfer(&r)
        };
        assert!(matches!(payload(&bad_iban), Err(EpcError::Iban(_))));
        for bic in ["BHBLDEH", "BHBLDEHHXX", "BHBL DEHH"] {
            let t = CreditTransfer {
                bic: Some(bic),
                ..transfer(&r)
            };
            assert!(matches!(payload(&t), Err(EpcError::Bic(_))), "{bic}");
        }
        let lower = CreditTransfer {
            bic: Some("bhbldehh"),
            ..transfer(&r)
        };
        assert!(payload(&lower).unwrap().contains("\nBHBLDEHH\n"));
        let both = CreditTransfer {
            text: Some("INV-1"),
            ..transfer(&r)
        };
        assert_eq!(payload(&both), Err(EpcError::BothRemittances));
        let long_text = "x".repeat(TEXT_CHARS_MAX + 1);
        let t = CreditTransfer {
            reference: None,
            text: Some(&long_text),
            ..transfer(&r)
        };
        assert!(matches!(payload(&t), Err(EpcError::Remittance(_))));
    }

    #[test]
    fn a_reference_payload_at_every_limit_fits_and_a_longer_text_is_refused() {
        // What Dun writes (a reference, never a text) at its longest: an
        // 11-character BIC, 70 two-byte characters of name, an IBAN of 34,
        // the largest amount and the longest reference.
        let name = "é".repeat(NAME_CHARS_MAX);
        let longest = CreditorReference::for_invoice(i64::MAX);
        let t = CreditTransfer {
            beneficiary: &name,
            iban: "LC55HEMM000100010012001200023015",
            amount_minor: Some(AMOUNT_MINOR_MAX),
            ..transfer(&longest)
        };
        let p = payload(&t).unwrap();
        assert!(p.len() <= PAYLOAD_BYTES_MAX, "{}", p.len());
        // Each field within its own limit, and still too many bytes.
        let wide = "é".repeat(TEXT_CHARS_MAX);
        let t = CreditTransfer {
            reference: None,
            text: Some(&wide),
            ..t
        };
        assert!(matches!(payload(&t), Err(EpcError::TooLong(n)) if n > PAYLOAD_BYTES_MAX));
    }

    #[test]
    fn a_document_shows_a_code_only_for_euro_an_iban_and_something_to_pay() {
        let r = CreditorReference::for_invoice(42);
        let bank = PaymentInstructions {
            iban: Some("DE89370400440532013000".into()),
            bic: None,
            account_name: Some("Northwind Supplies GmbH".into()),
            note: Some("Thank you".into()),
        };
        let eur = eur();
        assert_eq!(
            for_document(&bank, "Northwind", eur, 385_500, &r).unwrap(),
            format!(
                "BCD\n002\n1\nSCT\n\nNorthwind Supplies GmbH\nDE89370400440532013000\nEUR3855.00\n\n{}",
                r.as_str()
            )
        );
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(for_document(&bank, "Northwind", usd, 385_500, &r), None);
        assert_eq!(for_document(&bank, "Northwind", eur, 0, &r), None);
        let no_iban = PaymentInstructions {
            iban: None,
            ..bank.clone()
        };
        assert_eq!(for_document(&no_iban, "Northwind", eur, 100, &r), None);
        // No account name: the organisation is the beneficiary.
        let unnamed = PaymentInstructions {
            account_name: None,
            ..bank.clone()
        };
        assert!(for_document(&unnamed, "Northwind", eur, 100, &r)
            .unwrap()
            .contains("\nNorthwind\n"));
        // Over what a code may state: the payer types the amount.
        let huge = for_document(&bank, "Northwind", eur, AMOUNT_MINOR_MAX + 1, &r).unwrap();
        assert_eq!(huge.split('\n').nth(7), Some(""));
    }
}
