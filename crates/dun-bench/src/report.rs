//! Figures, the Markdown table they are printed as, and the machine facts
//! printed beside them.

use serde::{Deserialize, Serialize};

use crate::measure::{summarize, RssScope, Run};

/// How a job's figure reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Items per second (`count` items per run).
    PerSecond,
    /// Milliseconds per run.
    Millis,
}

/// One side's measurement of one job.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Figure {
    /// Seconds per run: the median when the job ran more than once.
    pub seconds: f64,
    /// Every run's seconds.
    pub samples_s: Vec<f64>,
    /// Items one run handles (invoices, payments); 1 for a report.
    pub count: u64,
    /// The value in the row's unit (items/s or ms).
    pub value: f64,
    pub peak_rss_kib: Option<u64>,
    pub rss_scope: RssScope,
}

impl Figure {
    pub fn new(unit: Unit, count: u64, runs: &[Run], rss_scope: RssScope) -> Figure {
        let summary = summarize(runs);
        let value = match unit {
            Unit::PerSecond => count as f64 / summary.seconds.max(f64::MIN_POSITIVE),
            Unit::Millis => summary.seconds * 1000.0,
        };
        Figure {
            seconds: summary.seconds,
            samples_s: runs.iter().map(|r| r.seconds).collect(),
            count,
            value,
            peak_rss_kib: summary.peak_rss_kib,
            rss_scope,
        }
    }

    /// Seconds per item: what ratios compare, whatever the unit.
    pub fn seconds_per_item(&self) -> f64 {
        self.seconds / self.count.max(1) as f64
    }
}

/// One side of a row: a figure, or a sentence saying why there is none.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cell {
    Measured(Figure),
    Absent { reason: String },
}

impl Cell {
    pub fn absent(reason: impl Into<String>) -> Cell {
        Cell::Absent {
            reason: reason.into(),
        }
    }

    pub fn figure(&self) -> Option<&Figure> {
        match self {
            Cell::Measured(f) => Some(f),
            Cell::Absent { .. } => None,
        }
    }
}

/// One job: Dun beside its floor (or its peer).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Row {
    pub engine: String,
    /// A short name of the job that stays the same whatever the book's
    /// size (`import_invoices`): what `--compare` matches rows by. Empty in
    /// JSON written before it existed (see `compare::job_id`).
    #[serde(default)]
    pub id: String,
    pub job: String,
    pub unit: Unit,
    /// `invoices/s`, `ms`, `commits/s`…
    pub unit_label: String,
    pub dun: Cell,
    /// The floor, or the peer's figure.
    pub other: Cell,
    /// Seconds per item of Dun ÷ of the other side (1.0 = as fast).
    pub dun_time_ratio: Option<f64>,
}

impl Row {
    pub fn new(
        engine: &str,
        id: &str,
        job: String,
        unit: Unit,
        unit_label: &str,
        dun: Cell,
        other: Cell,
    ) -> Row {
        let dun_time_ratio = match (dun.figure(), other.figure()) {
            (Some(d), Some(o)) if o.seconds_per_item() > 0.0 => {
                Some(d.seconds_per_item() / o.seconds_per_item())
            }
            _ => None,
        };
        Row {
            engine: engine.to_string(),
            id: id.to_string(),
            job,
            unit,
            unit_label: unit_label.to_string(),
            dun,
            other,
            dun_time_ratio,
        }
    }
}

/// Which way a table's ratio column reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RatioReads {
    /// Dun's time ÷ the floor's: how many times the floor's cost Dun pays.
    DunOverOther,
    /// The peer's time ÷ Dun's: how many times faster Dun is.
    OtherOverDun,
}

/// The Markdown table, with a peak RSS column per side.
pub fn markdown(rows: &[Row], other_name: &str, ratio_title: &str, reads: RatioReads) -> String {
    let mut out = format!(
        "| job | Dun | {other_name} | {ratio_title} | Dun peak RSS | {other_name} peak RSS |\n|---|---:|---:|---:|---:|---:|\n"
    );
    for row in rows {
        let ratio = match (row.dun_time_ratio, reads) {
            (Some(r), RatioReads::DunOverOther) => format!("{}×", ratio_text(r)),
            (Some(r), RatioReads::OtherOverDun) => format!("{}×", ratio_text(1.0 / r)),
            (None, _) => "—".to_string(),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            row.job,
            cell_text(&row.dun, &row.unit_label),
            cell_text(&row.other, &row.unit_label),
            ratio,
            rss_text(&row.dun),
            rss_text(&row.other),
        ));
    }
    out
}

fn cell_text(cell: &Cell, unit_label: &str) -> String {
    match cell {
        Cell::Absent { reason } => reason.clone(),
        Cell::Measured(f) if unit_label == "ms" => format!("{} ms", decimal(f.value)),
        Cell::Measured(f) => format!(
            "{} {unit_label} ({} s)",
            grouped(f.value.round() as u64),
            decimal(f.seconds)
        ),
    }
}

pub fn rss_text(cell: &Cell) -> String {
    match cell {
        Cell::Measured(Figure {
            peak_rss_kib: Some(kib),
            rss_scope,
            ..
        }) => {
            let mib = grouped(kib.div_ceil(1024));
            match rss_scope {
                RssScope::BenchProcess => format!("{mib} MiB (bench)"),
                _ => format!("{mib} MiB"),
            }
        }
        Cell::Measured(_) => "n/a".to_string(),
        Cell::Absent { .. } => "—".to_string(),
    }
}

fn ratio_text(r: f64) -> String {
    if r >= 100.0 {
        grouped(r.round() as u64)
    } else if r >= 10.0 {
        format!("{r:.0}")
    } else if r >= 0.1 {
        format!("{r:.2}")
    } else {
        format!("{r:.3}")
    }
}

/// Three significant figures or so, without noise digits.
pub fn decimal(v: f64) -> String {
    if v >= 1000.0 {
        grouped(v.round() as u64)
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// `1234567` → `1,234,567`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let head = match digits.len() % 3 {
        0 => 3.min(digits.len()),
        r => r,
    };
    let mut out = digits[..head].to_string();
    for group in digits.as_bytes()[head..].chunks(3) {
        out.push(',');
        out.push_str(std::str::from_utf8(group).unwrap_or_default());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_puts_commas_between_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }

    #[test]
    fn a_rate_ratio_compares_time_per_item() {
        let run = |s| Run {
            seconds: s,
            peak_rss_kib: None,
        };
        let dun = Figure::new(Unit::PerSecond, 100, &[run(2.0)], RssScope::None);
        let floor = Figure::new(Unit::PerSecond, 100, &[run(0.5)], RssScope::None);
        let row = Row::new(
            "SQLite",
            "x",
            "x".into(),
            Unit::PerSecond,
            "invoices/s",
            Cell::Measured(dun),
            Cell::Measured(floor),
        );
        assert_eq!(row.dun_time_ratio, Some(4.0));
    }
}
