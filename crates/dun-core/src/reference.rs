//! Payment references: ISO 11649 creditor references.
//!
//! A creditor reference is `RF`, two check digits and a body of 1 to 21
//! letters or digits; the check digits make the whole, read as ISO 7064
//! MOD 97-10 (the IBAN's checksum), equal 1. Banks carry it untouched from
//! payer to payee, so a payment that quotes it names what it pays.
//!
//! Dun's own references have a body of digits only: a kind digit (`1` an
//! invoice, `2` a customer's statement) and the record's number, padded to
//! [`ID_DIGITS_MIN`] digits. Digits only, because then the check digits
//! reject every single-character change and every swap of two adjacent
//! characters (a letter typed for a digit makes a body that is not Dun's);
//! `tests` proves it over every position and character.

use serde::{Deserialize, Serialize};

/// Longest body of a creditor reference, in characters (ISO 11649).
pub const BODY_CHARS_MAX: usize = 21;
/// Fewest digits of the record number in Dun's own references.
pub const ID_DIGITS_MIN: usize = 6;

/// A creditor reference, upper case without spaces (`RF18000000012345`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CreditorReference(String);

/// What one of Dun's references names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    Invoice(i64),
    /// A customer's whole open balance (printed on statements).
    Customer(i64),
}

/// Why a text is not a creditor reference.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("reference '{value}': {reason}")]
pub struct ReferenceError {
    pub value: String,
    pub reason: &'static str,
}

/// The ISO 7064 MOD 97-10 remainder of `chars` read as a number, letters
/// as 10 to 35. `None` when a character is not a letter or digit.
fn mod97(chars: impl Iterator<Item = u8>) -> Option<u32> {
    let mut remainder: u32 = 0;
    for b in chars {
        let value = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return None,
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    Some(remainder)
}

impl CreditorReference {
    /// The reference with `body` (letters and digits, at most
    /// [`BODY_CHARS_MAX`]) and the check digits that make it whole.
    pub fn with_body(body: &str) -> Result<CreditorReference, ReferenceError> {
        let body = body.to_ascii_uppercase();
        let refuse = |reason| {
            Err(ReferenceError {
                value: body.clone(),
                reason,
            })
        };
        if body.is_empty() || body.len() > BODY_CHARS_MAX {
            return refuse("a creditor reference's body has 1 to 21 letters or digits");
        }
        let Some(r) = mod97(body.bytes().chain(*b"RF00")) else {
            return refuse("a creditor reference's body has only letters A-Z and digits");
        };
        Ok(CreditorReference(format!("RF{:02}{body}", 98 - r)))
    }

    /// The reference that names an invoice.
    pub fn for_invoice(invoice_id: i64) -> CreditorReference {
        Self::dun(1, invoice_id)
    }

    /// The reference that names a customer's whole open balance.
    pub fn for_customer(customer_id: i64) -> CreditorReference {
        Self::dun(2, customer_id)
    }

    /// The reference to quote when paying `invoice_ids` of customer
    /// `customer_id` in one transfer: the invoice's own when they are one
    /// invoice, else the customer's (each invoice's own is listed beside it).
    pub fn for_payment_of(customer_id: i64, invoice_ids: &[i64]) -> CreditorReference {
        match invoice_ids.split_first() {
            Some((first, rest)) if rest.iter().all(|id| id == first) => Self::for_invoice(*first),
            _ => Self::for_customer(customer_id),
        }
    }

    fn dun(kind: u8, id: i64) -> CreditorReference {
        let body = format!("{kind}{:0width$}", id.max(0), width = ID_DIGITS_MIN);
        Self::with_body(&body).expect("a kind digit and at most 19 digits")
    }

    /// Reads a reference as a person or a bank wrote it: spaces anywhere,
    /// any case. Refused unless it is `RF`, two digits and a body whose
    /// check digits hold.
    pub fn parse(text: &str) -> Result<CreditorReference, ReferenceError> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let refuse = |reason| {
            Err(ReferenceError {
                value: text.to_string(),
                reason,
            })
        };
        let b = compact.as_bytes();
        if b.len() < 5 || b.len() > 4 + BODY_CHARS_MAX {
            return refuse(
                "a creditor reference is RF, two check digits and 1 to 21 letters or digits",
            );
        }
        if &b[..2] != b"RF" || !b[2..4].iter().all(u8::is_ascii_digit) {
            return refuse("a creditor reference starts with RF and two check digits");
        }
        match mod97(b[4..].iter().chain(&b[..4]).copied()) {
            None => refuse("a creditor reference has only letters and digits"),
            Some(1) => Ok(CreditorReference(compact)),
            Some(_) => refuse("the check digits do not match (a typing mistake?)"),
        }
    }

    /// Upper case, no spaces: how it goes into an e-invoice or a QR code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// In groups of four, as printed for a person to type
    /// (`RF18 0000 0001 2345`).
    pub fn grouped(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        chars
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// What the reference names, when it is one of Dun's (a body of
    /// digits: kind, then the record's number).
    pub fn subject(&self) -> Option<Subject> {
        let body = &self.0[4..];
        if body.len() < 1 + ID_DIGITS_MIN || !body.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let id: i64 = body[1..].parse().ok()?;
        match &body[..1] {
            "1" => Some(Subject::Invoice(id)),
            "2" => Some(Subject::Customer(id)),
            _ => None,
        }
    }
}

impl std::fmt::Display for CreditorReference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.grouped())
    }
}

/// Every valid creditor reference written in `text` (a remittance line),
/// in order, each once. Payers type a reference in groups of four or in one
/// piece, so a reference may run over several space-separated words: the
/// reading that follows the printed grouping (words of four, the last of
/// one to four) is taken when its check digits hold, else the shortest
/// run of words whose check digits hold.
pub fn find_in(text: &str) -> Vec<CreditorReference> {
    let upper = text.to_ascii_uppercase();
    let words: Vec<&str> = upper
        .split(|c: char| !c.is_ascii_alphanumeric() && c != ' ')
        .flat_map(|part| std::iter::once("").chain(part.split(' ')))
        .collect();
    // Runs of words between punctuation; an empty word marks a break.
    let mut found: Vec<CreditorReference> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if !(w.starts_with("RF") && w.len() >= 2) {
            i += 1;
            continue;
        }
        let run: Vec<&str> = words[i..]
            .iter()
            .take_while(|w| !w.is_empty())
            .take(2 + BODY_CHARS_MAX)
            .copied()
            .collect();
        let reading = |n: usize| CreditorReference::parse(&run[..n].concat()).ok();
        let grouped = {
            let mut n = 1;
            while n < run.len() && run[n - 1].len() == 4 && (1..=4).contains(&run[n].len()) {
                n += 1;
            }
            n
        };
        let chosen = reading(grouped)
            .map(|r| (r, grouped))
            .or_else(|| (1..=run.len()).find_map(|n| reading(n).map(|r| (r, n))));
        match chosen {
            Some((reference, n)) => {
                if !found.contains(&reference) {
                    found.push(reference);
                }
                i += n;
            }
            None => i += 1,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    #[test]
    fn the_standards_example_holds() {
        // ISO 11649's example: RF18 5390 0754 7034.
        let r = CreditorReference::with_body("539007547034").unwrap();
        assert_eq!(r.as_str(), "RF18539007547034");
        assert_eq!(r.grouped(), "RF18 5390 0754 7034");
        assert_eq!(CreditorReference::parse("rf18 5390 0754 7034").unwrap(), r);
        assert!(CreditorReference::parse("RF19 5390 0754 7034").is_err());
        assert_eq!(r.subject(), None);
    }

    #[test]
    fn duns_references_name_their_record() {
        let inv = CreditorReference::for_invoice(12345);
        assert_eq!(inv.subject(), Some(Subject::Invoice(12345)));
        assert!(inv.as_str().ends_with("1012345"));
        let customer = CreditorReference::for_customer(7);
        assert_eq!(customer.subject(), Some(Subject::Customer(7)));
        assert_ne!(inv, CreditorReference::for_customer(12345));
    }

    #[test]
    fn one_invoice_is_paid_with_its_own_reference_several_with_the_customers() {
        assert_eq!(
            CreditorReference::for_payment_of(3, &[42]),
            CreditorReference::for_invoice(42)
        );
        // Two parts of one invoice are still one invoice.
        assert_eq!(
            CreditorReference::for_payment_of(3, &[42, 42]),
            CreditorReference::for_invoice(42)
        );
        assert_eq!(
            CreditorReference::for_payment_of(3, &[42, 43]),
            CreditorReference::for_customer(3)
        );
        assert_eq!(
            CreditorReference::for_payment_of(3, &[]),
            CreditorReference::for_customer(3)
        );
    }

    #[test]
    fn references_are_found_in_remittance_text() {
        let inv = CreditorReference::for_invoice(42);
        let text = format!(
            "Payment {} thanks, see also rf18 5390 0754 7034.",
            inv.grouped()
        );
        let found = find_in(&text);
        assert_eq!(
            found,
            vec![
                inv.clone(),
                CreditorReference::parse("RF18539007547034").unwrap()
            ]
        );
        assert_eq!(
            find_in(&format!("INV {}", inv.as_str().to_lowercase())),
            vec![inv]
        );
        assert!(find_in("REFUND RF 12").is_empty());
        assert!(find_in("SURF18539007547034").is_empty(), "RF inside a word");
    }

    proptest! {
        #[test]
        fn a_reference_round_trips(id in 0i64..1_000_000_000_000, customer in any::<bool>()) {
            let r = if customer { CreditorReference::for_customer(id) } else { CreditorReference::for_invoice(id) };
            prop_assert_eq!(CreditorReference::parse(&r.grouped()).unwrap(), r.clone());
            prop_assert_eq!(CreditorReference::parse(&r.as_str().to_lowercase()).unwrap(), r.clone());
            let expected = if customer { Subject::Customer(id) } else { Subject::Invoice(id) };
            prop_assert_eq!(r.subject(), Some(expected));
            prop_assert_eq!(find_in(&format!("paid {} thank you", r.grouped())), vec![r]);
        }

        #[test]
        fn every_single_change_and_adjacent_swap_is_rejected(id in 0i64..1_000_000_000_000, customer in any::<bool>()) {
            let r = if customer { CreditorReference::for_customer(id) } else { CreditorReference::for_invoice(id) };
            let original = r.as_str().as_bytes().to_vec();
            // What the matcher takes as naming a record: parses and is Dun's.
            let names = |bytes: &[u8]| {
                let text = String::from_utf8(bytes.to_vec()).unwrap();
                CreditorReference::parse(&text).ok().and_then(|r| r.subject())
            };
            for position in 0..original.len() {
                for &c in ALPHABET {
                    if c == original[position] { continue; }
                    let mut changed = original.clone();
                    changed[position] = c;
                    prop_assert_eq!(names(&changed), None, "{} at {} -> {}", r.as_str(), position, c as char);
                }
            }
            for position in 0..original.len() - 1 {
                if original[position] == original[position + 1] { continue; }
                let mut swapped = original.clone();
                swapped.swap(position, position + 1);
                prop_assert_eq!(names(&swapped), None, "{} swap at {}", r.as_str(), position);
            }
        }
    }
}
