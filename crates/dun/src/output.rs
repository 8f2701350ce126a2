//! Writing results as an aligned table, JSON or CSV.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use crate::cli::Format;

/// A table: a header and rows of text; columns listed in `numeric` align right.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub numeric: Vec<usize>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
            numeric: Vec::new(),
        }
    }

    pub fn numeric(mut self, columns: impl IntoIterator<Item = usize>) -> Table {
        self.numeric = columns.into_iter().collect();
        self
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| -> String {
            let parts: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if self.numeric.contains(&i) {
                        format!("{c:>w$}", w = widths[i])
                    } else {
                        format!("{c:<w$}", w = widths[i])
                    }
                })
                .collect();
            parts.join("  ").trim_end().to_string()
        };
        let mut out = line(&self.header);
        out.push('\n');
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        out.push_str(&rule.join("  "));
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
            out.push('\n');
        }
        out
    }

    pub fn write_csv(&self, out: impl Write) -> Result<()> {
        // The one CSV writer: no cell runs as a spreadsheet formula.
        let mut w = dun_csv::SafeWriter::new(out);
        w.write_record(&self.header)?;
        for row in &self.rows {
            w.write_record(row)?;
        }
        w.flush()?;
        Ok(())
    }
}

/// Prints `table` as a table or CSV, or `json` as JSON.
pub fn emit(format: Format, table: &Table, json: &impl Serialize) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Table => out.write_all(table.render().as_bytes())?,
        Format::Csv => table.write_csv(&mut out)?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, json)?;
            writeln!(out)?;
        }
    }
    Ok(())
}
