//! Limits on identifiers and text, defined once (issue 18 item 7): every
//! entry path — the API, the web forms, the CSV importers — checks a field
//! with these, so both engines see the same text and refuse the same way.
//! An identifier (an invoice number, a customer reference) is one line of
//! 1 to its most bytes with no control character; a multi-line note may
//! also hold line breaks and tabs.

/// Longest invoice (or credit note) number, in bytes.
pub const INVOICE_NUMBER_BYTES_MAX: usize = 64;
/// Longest customer reference, in bytes.
pub const CUSTOMER_REFERENCE_BYTES_MAX: usize = 64;

/// Why `text` is not an identifier of at most `max` bytes, or `None`.
pub fn identifier_problem(text: &str, max: usize) -> Option<String> {
    if text.trim().is_empty() {
        return Some(format!("required: 1 to {max} bytes"));
    }
    line_problem(text, max)
}

/// Why `text` is not one line of at most `max` bytes (no control
/// character at all), or `None`. Empty text is fine.
pub fn line_problem(text: &str, max: usize) -> Option<String> {
    if text.len() > max {
        return Some(format!("at most {max} bytes ({} given)", text.len()));
    }
    text.chars().find(|c| c.is_control()).map(|c| {
        format!(
            "may not hold a control character (U+{:04X}, such as a tab or a line break)",
            c as u32
        )
    })
}

/// Why `text` is not a note of at most `max` bytes (line breaks and tabs
/// allowed, no other control character), or `None`.
pub fn note_problem(text: &str, max: usize) -> Option<String> {
    if text.len() > max {
        return Some(format!("at most {max} bytes ({} given)", text.len()));
    }
    text.chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        .map(|c| format!("may not hold a control character (U+{:04X})", c as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_one_short_line() {
        assert_eq!(identifier_problem("INV-1", INVOICE_NUMBER_BYTES_MAX), None);
        assert!(identifier_problem(" ", 64).unwrap().contains("required"));
        assert!(identifier_problem(&"9".repeat(65), 64)
            .unwrap()
            .contains("at most 64 bytes (65 given)"));
        for bad in ["A\tB", "A\nB", "A\u{1}B", "A\u{7f}B", "\u{0}"] {
            assert!(
                identifier_problem(bad, 64)
                    .unwrap()
                    .contains("control character"),
                "{bad:?}"
            );
        }
        assert_eq!(note_problem("one\ntwo\tthree", 100), None);
        assert!(note_problem("bell\u{7}", 100).is_some());
    }
}
