//! `--skip-bad-rows`: the rows an import leaves out, each with every
//! reason, written back as they were in the file.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use dun_core::import::{FileRow, ImportErrors};

use crate::Parsed;

/// The name of the column a rejects file adds.
pub const REASONS_COLUMN: &str = "reasons";

/// Rows left out of an import and why, by the file's row (the header is
/// row 1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rejects {
    rows: BTreeMap<usize, Vec<String>>,
    /// Rows with problems of their own (not only their invoice's).
    own: BTreeSet<usize>,
}

impl Rejects {
    /// How many rows of the file are rejected.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn contains(&self, row: usize) -> bool {
        self.rows.contains_key(&row)
    }

    /// The rejected rows and their reasons, in the file's order.
    pub fn rows(&self) -> impl Iterator<Item = (usize, &[String])> {
        self.rows
            .iter()
            .map(|(r, reasons)| (*r, reasons.as_slice()))
    }

    /// Rejects each row `errors` name, with its reason (the column as the
    /// file names it); a row of an invoice of several rows rejects them all.
    pub fn add<T>(&mut self, parsed: &Parsed<T>, errors: &ImportErrors) {
        let errors = parsed.in_the_files_words(errors.clone());
        for e in &errors.errors {
            let reason = if e.value.is_empty() {
                format!("{}: {}", e.column, e.reason)
            } else {
                format!("{} ('{}'): {}", e.column, e.value, e.reason)
            };
            let reasons = self.rows.entry(e.row).or_default();
            if !reasons.contains(&reason) {
                reasons.push(reason);
            }
        }
        for e in &errors.errors {
            self.own.insert(e.row);
        }
        for e in &errors.errors {
            let Some(group) = parsed
                .groups
                .range(..=e.row)
                .next_back()
                .map(|(_, group)| group)
                .filter(|group| group.contains(&e.row))
            else {
                continue;
            };
            for other in group.iter().filter(|r| !self.own.contains(r)) {
                let reason = format!("another row of this invoice (row {}) is rejected", e.row);
                let reasons = self.rows.entry(*other).or_default();
                if !reasons.contains(&reason) {
                    reasons.push(reason);
                }
            }
        }
    }

    /// Writes the rejected rows of `file` as they were in it — header and
    /// cells byte for byte — each followed by a `reasons` cell (every
    /// problem of the row, `; `-joined).
    pub fn write(&self, file: &[u8], mut out: impl Write) -> io::Result<()> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(file);
        let mut record = csv::ByteRecord::new();
        let mut starts: Vec<(usize, usize)> = Vec::new();
        while reader.read_byte_record(&mut record).unwrap_or(false) {
            if let Some(p) = record.position() {
                starts.push((crate::read::row_of(file, p), p.byte() as usize));
            }
        }
        let end_of = |i: usize| starts.get(i + 1).map_or(file.len(), |(_, b)| *b);
        let line = |i: usize| {
            let raw = &file[starts[i].1..end_of(i)];
            let start = raw
                .iter()
                .position(|b| *b != b'\n' && *b != b'\r')
                .unwrap_or(raw.len());
            let end = raw
                .iter()
                .rposition(|b| *b != b'\n' && *b != b'\r')
                .map_or(start, |e| e + 1);
            &raw[start..end]
        };
        if starts.is_empty() {
            return out.flush();
        }
        let crlf = file
            .iter()
            .position(|b| *b == b'\n')
            .is_some_and(|i| i > 0 && file[i - 1] == b'\r');
        let newline: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        out.write_all(line(0))?;
        out.write_all(format!(",{REASONS_COLUMN}").as_bytes())?;
        out.write_all(newline)?;
        for (i, (row, _)) in starts.iter().enumerate().skip(1) {
            if let Some(reasons) = self.rows.get(row) {
                out.write_all(line(i))?;
                out.write_all(b",\"")?;
                out.write_all(reasons.join("; ").replace('"', "\"\"").as_bytes())?;
                out.write_all(b"\"")?;
                out.write_all(newline)?;
            }
        }
        out.flush()
    }
}

impl<T: FileRow> Parsed<T> {
    /// Splits a file for `--skip-bad-rows`: takes the rows that read
    /// cleanly and belong to no rejected invoice, and gives the rejects
    /// (every problem of each row). A file that cannot be taken row by row
    /// (its header, bad quoting, too many rows) is refused whole.
    pub fn split(&mut self) -> Result<(Vec<T>, Rejects), ImportErrors> {
        if self.whole_file_refused {
            return Err(self.in_the_files_words(self.errors.clone()));
        }
        let mut rejects = Rejects::default();
        rejects.add(self, &self.errors);
        let good = std::mem::take(&mut self.rows)
            .into_iter()
            .filter(|r| !rejects.contains(r.row()))
            .collect();
        Ok((good, rejects))
    }
}
