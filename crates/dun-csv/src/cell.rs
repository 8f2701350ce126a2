//! The one CSV writer every export uses: cells a spreadsheet would run as
//! a formula are neutralised (OWASP "CSV injection"), reversibly, so Dun's
//! own import reads back exactly what was written.
//!
//! A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return —
//! after any number of `'` — and is not a plain number gets one more `'` in
//! front; the reader ([`restore`]) takes exactly one off such a cell. So
//! `=cmd|' /C calc'!A0` is written `'=cmd|' /C calc'!A0`, `-5.00` stays a
//! number, and `'=x` (a value that really starts with a quote) round-trips
//! as `''=x`.

use std::borrow::Cow;
use std::io::Write;

/// The characters a spreadsheet reads as the start of a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn is_plain_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let fraction = parts.next();
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether `text`, quotes aside, starts like a formula.
fn starts_like_formula(text: &str) -> bool {
    text.trim_start_matches('\'').starts_with(FORMULA_STARTS) && !is_plain_number(text)
}

/// The cell as written: neutralised when a spreadsheet would run it.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if starts_like_formula(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The value of a cell as [`neutralise`] wrote it.
pub fn restore(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if starts_like_formula(rest) => rest,
        _ => text,
    }
}

/// A CSV writer whose every cell goes through [`neutralise`].
pub struct SafeWriter<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> SafeWriter<W> {
    pub fn new(out: W) -> SafeWriter<W> {
        SafeWriter {
            inner: csv::Writer::from_writer(out),
        }
    }

    /// Lines end in CR LF (RFC 4180), as files downloaded from the web do.
    pub fn crlf(out: W) -> SafeWriter<W> {
        SafeWriter {
            inner: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(out),
        }
    }

    pub fn write_record<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let cells: Vec<String> = record
            .into_iter()
            .map(|c| neutralise(c.as_ref()).into_owned())
            .collect();
        self.inner.write_record(&cells)
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }

    /// The bytes written, for a writer over a `Vec<u8>`.
    pub fn into_inner(self) -> Result<W, String> {
        self.inner.into_inner().map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_are_not() {
        assert_eq!(neutralise("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(neutralise("+1+1"), "'+1+1");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\t=1+1"), "'\t=1+1");
        assert_eq!(neutralise("-2+3"), "'-2+3");
        assert_eq!(neutralise("-5.00"), "-5.00");
        assert_eq!(neutralise("+12"), "+12");
        assert_eq!(neutralise("INV-000001"), "INV-000001");
        assert_eq!(neutralise("'=x"), "''=x");
        assert_eq!(neutralise("'quoted"), "'quoted");
    }

    proptest! {
        #[test]
        fn restore_undoes_neutralise(text in "['=+@\\-\t\r]{0,3}[ -~]{0,8}") {
            let written = neutralise(&text);
            prop_assert_eq!(restore(&written), text.as_str());
            prop_assert!(!starts_like_formula(&written) || written.starts_with('\''));
        }
    }
}
