//! Small text rules shared by both formats.

use dun_core::bank::BANK_TEXT_BYTES_MAX;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The bytes without a leading UTF-8 byte order mark.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

/// XML starts with `<` after an optional BOM and whitespace.
pub fn looks_like_xml(bytes: &[u8]) -> bool {
    strip_bom(bytes)
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'<')
}

/// At most [`BANK_TEXT_BYTES_MAX`] bytes, cut on a character boundary.
pub fn cap(text: &str) -> String {
    if text.len() <= BANK_TEXT_BYTES_MAX {
        return text.to_string();
    }
    let mut end = BANK_TEXT_BYTES_MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// Trimmed and capped, or `None` when empty.
pub fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| cap(text))
}

/// An IBAN as the book keeps it: upper case, no spaces; `None` when empty.
pub fn iban(text: &str) -> Option<String> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect();
    non_empty(&compact)
}

/// Trimmed parts that are not empty, joined by a space and capped.
pub fn join<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let kept: Vec<&str> = parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    cap(&kept.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_on_a_char_boundary() {
        let long = "ä".repeat(BANK_TEXT_BYTES_MAX); // two bytes each
        let capped = cap(&long);
        assert_eq!(capped.len(), BANK_TEXT_BYTES_MAX);
        let odd = format!("a{long}");
        let capped = cap(&odd);
        assert_eq!(capped.len(), BANK_TEXT_BYTES_MAX - 1);
        assert!(capped.ends_with('ä'));
    }

    #[test]
    fn ibans_are_compact_upper_case() {
        assert_eq!(
            iban(" de89 3704 0044 0532 0130 00 ").as_deref(),
            Some("DE89370400440532013000")
        );
        assert_eq!(iban("  "), None);
    }

    #[test]
    fn xml_is_told_by_its_first_mark() {
        assert!(looks_like_xml(b"\xEF\xBB\xBF \n<?xml version=\"1.0\"?>"));
        assert!(!looks_like_xml(b"date,amount\n"));
        assert!(!looks_like_xml(b""));
    }

    #[test]
    fn joins_skip_empty_parts() {
        assert_eq!(join([" a ", "", "b  c"]), "a b  c");
    }
}
