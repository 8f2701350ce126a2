//! Limits on identifiers and text, defined once (issue 18 items 7 and 9):
//! every entry path — the API, the web forms, the CLI, the CSV importers —
//! checks a field with these, so both engines see the same text and refuse
//! it the same way, and the API's OpenAPI document declares the same
//! limits (its `maxLength` and `pattern` come from these constants).
//!
//! Lengths count characters (Unicode scalar values), as JSON Schema's
//! `maxLength` does, so the document and the rule agree on every string.
//! An identifier (an invoice number, a customer reference) is one line of
//! 1 to its most characters with no control character and not only
//! spaces; a line of text (a name, an address line, a payment reference)
//! holds no control character; a note may also hold line breaks and tabs.

/// Longest invoice (or credit note) number, in characters.
pub const INVOICE_NUMBER_CHARS_MAX: usize = 64;
/// Longest customer reference, in characters.
pub const CUSTOMER_REFERENCE_CHARS_MAX: usize = 64;
/// Longest name of a customer, a person, an organisation or a contact.
pub const NAME_CHARS_MAX: usize = 200;
/// Longest e-mail address (RFC 5321's path limit), in characters.
pub const EMAIL_CHARS_MAX: usize = 254;
/// Longest payment method, reference or note, in characters.
pub const PAYMENT_REFERENCE_CHARS_MAX: usize = 200;
/// Longest note on a customer's timeline (a call, a promise, a reason).
pub const NOTE_CHARS_MAX: usize = 4000;

/// A JSON Schema `pattern` (ECMA 262) for a line: no control character
/// (Unicode's Cc: U+0000–U+001F and U+007F–U+009F, what
/// [`char::is_control`] finds).
pub const LINE_PATTERN: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$";
/// The `pattern` for an identifier: a line with a character that is not a
/// space.
pub const IDENTIFIER_PATTERN: &str =
    "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$";
/// The `pattern` for a note: line breaks and tabs, no other control
/// character.
pub const NOTE_PATTERN: &str = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$";
/// The `pattern` for a required note (a reason): a note with a character
/// that is not a space.
pub const REQUIRED_NOTE_PATTERN: &str = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$";

/// Why `text` is not an identifier of at most `max` characters, or `None`.
pub fn identifier_problem(text: &str, max: usize) -> Option<String> {
    if text.trim().is_empty() {
        return Some(format!("required: 1 to {max} characters"));
    }
    line_problem(text, max)
}

/// Why `text` is not one line of at most `max` characters (no control
/// character at all), or `None`. Empty text is fine.
pub fn line_problem(text: &str, max: usize) -> Option<String> {
    too_long(text, max).or_else(|| {
        text.chars().find(|c| c.is_control()).map(|c| {
            format!(
                "may not hold a control character (U+{:04X}, such as a tab or a line break)",
                c as u32
            )
        })
    })
}

/// Why `text` is not a note of at most `max` characters (line breaks and
/// tabs allowed, no other control character), or `None`.
pub fn note_problem(text: &str, max: usize) -> Option<String> {
    too_long(text, max).or_else(|| {
        text.chars()
            .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            .map(|c| format!("may not hold a control character (U+{:04X})", c as u32))
    })
}

/// Why `text` is not an e-mail address as Dun accepts one —
/// `local@domain.tld`, no space or control character, at most
/// [`EMAIL_CHARS_MAX`] characters — or `None`.
pub fn email_problem(text: &str) -> Option<String> {
    let shaped = !text.contains(|c: char| c.is_whitespace() || c.is_control())
        && text.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if let Some(long) = too_long(text, EMAIL_CHARS_MAX) {
        return Some(format!("an e-mail address of {long}"));
    }
    (!shaped).then(|| "not an e-mail address like name@example.com".to_string())
}

fn too_long(text: &str, max: usize) -> Option<String> {
    // A byte count bounds the characters from above: most text is shorter
    // than its limit in bytes already, and a 1 MB value is not walked.
    if text.len() <= max {
        return None;
    }
    let chars = if text.len() > 4 * max + 4 {
        None
    } else {
        Some(text.chars().count())
    };
    match chars {
        Some(n) if n <= max => None,
        Some(n) => Some(format!("at most {max} characters ({n} given)")),
        None => Some(format!(
            "at most {max} characters ({} bytes given)",
            text.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_one_short_line() {
        assert_eq!(identifier_problem("INV-1", INVOICE_NUMBER_CHARS_MAX), None);
        assert!(identifier_problem(" ", 64).unwrap().contains("required"));
        assert!(identifier_problem(&"9".repeat(65), 64)
            .unwrap()
            .contains("at most 64 characters (65 given)"));
        assert_eq!(
            identifier_problem(&"é".repeat(64), 64),
            None,
            "characters, not bytes"
        );
        for bad in ["A\tB", "A\nB", "A\u{1}B", "A\u{7f}B", "\u{0}", "A\u{85}"] {
            assert!(
                identifier_problem(bad, 64)
                    .unwrap()
                    .contains("control character"),
                "{bad:?}"
            );
        }
        assert_eq!(note_problem("one\ntwo\tthree", 100), None);
        assert!(note_problem("bell\u{7}", 100).is_some());
        assert!(note_problem("nul\u{0}", 100).is_some());
    }

    #[test]
    fn e_mail_addresses() {
        assert_eq!(email_problem("ann@example.com"), None);
        for bad in [
            "ann",
            "ann@example",
            "@example.com",
            "ann@.example.com",
            "ann@example.com.",
            "a nn@example.com",
            "ann@exa\u{0}mple.com",
            "ann@exa\u{7f}mple.com",
        ] {
            assert!(email_problem(bad).is_some(), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(EMAIL_CHARS_MAX));
        assert!(email_problem(&long).unwrap().contains("at most 254"));
    }
}
