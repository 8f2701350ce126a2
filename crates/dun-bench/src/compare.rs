//! The benchmark guard: `dun-bench --compare BASELINE` sets this run's
//! ratios beside a kept run's and fails when a job got much slower
//! *relative to work measured in the same run*.
//!
//! Only ratios are compared, never absolute times: both sides of a ratio
//! ran on the same machine, in the same run, under the same load, so a
//! slower or busier machine moves both alike. A job is gated by one of:
//!
//! * its **floor** (the same work by the shortest route), when the floor
//!   and Dun both take at least [`MIN_GATED_SECONDS`] per run in the
//!   baseline and in this run;
//! * otherwise a **reference** measured in the same run on the same engine
//!   ([`reference_of`]): the floor's aging (one `GROUP BY`) for work that
//!   reads the book, the floor's import (one transaction of the whole book)
//!   for the end-to-end run, which writes. A reference is not the same
//!   work: it is a yardstick of the machine's speed during this run, so
//!   that a job with no floor (or a floor too short to time) is still
//!   gated on a ratio rather than on a time;
//! * or neither: printed, not gated, with the reason — as for the jobs in
//!   [`NEVER_GATED`], whose ratio follows the disk rather than Dun.
//!
//! A gated job fails when its ratio is more than [`GUARD_FACTOR`] times
//! the baseline's. The factor is wide on purpose: between runs of the same
//! code on a busy 2-core machine the gated ratios moved by up to 1.6×, and
//! the regressions worth a red CI are the 10× kind (an import 15× slower
//! went unnoticed before this guard).
//! Peak RSS is printed beside the baseline's, not gated.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, Result};
use serde::Deserialize;

use crate::report::{rss_text, Figure, Row};
use crate::suite::ids;

/// A gated job fails when its ratio is more than this many times the
/// baseline's.
pub const GUARD_FACTOR: f64 = 3.0;

/// Below this many seconds per run, a time is too short to gate on: a
/// millisecond of scheduling or a cold cache is then a large part of it.
pub const MIN_GATED_SECONDS: f64 = 0.005;

/// Jobs printed but never gated (on every engine, or on the one named),
/// and why: ratios seen to move by more than 2× between runs of the same
/// code on one machine.
pub const NEVER_GATED: [(&str, Option<&str>, &str); 3] = [
    (
        ids::RECORD_PAYMENT,
        None,
        "a durable commit each: its ratio follows the disk's fsync latency, not Dun's code \
         (9.2× on a quiet machine, 2.1× on a busy one, same code)",
    ),
    (
        ids::RUN_FIRST,
        Some("PostgreSQL"),
        "its only yardstick, the floor's COPY, does not move with it \
         (3.6× to 7.0× between runs of the same code)",
    ),
    (
        ids::RUN_NEXT_DAY,
        Some("PostgreSQL"),
        "its only yardstick, the floor's COPY, does not move with it \
         (1.1× to 2.8× between runs of the same code)",
    ),
];

/// A kept run, as `--json` wrote it: what the guard reads of it.
#[derive(Debug, Deserialize)]
pub struct Baseline {
    pub book: BaselineBook,
    pub rows: Vec<Row>,
    #[serde(default)]
    pub machine: serde_json::Value,
}

#[derive(Debug, Deserialize)]
pub struct BaselineBook {
    pub invoices: usize,
}

impl Baseline {
    pub fn read(path: &Path) -> Result<Baseline> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("--compare: cannot read {}", path.display()))?;
        serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "--compare: {} is not the JSON of a `dun-bench --json` run",
                path.display()
            )
        })
    }

    /// `commit …, date …` of the baseline's run, as its JSON says.
    pub fn describe(&self) -> String {
        let field = |k: &str| {
            self.machine
                .get(k)
                .and_then(|v| v.as_str())
                .unwrap_or("unknown")
                .to_string()
        };
        format!("commit {}, {}", field("commit"), field("date"))
    }
}

/// The guard's failure: main exits with [`GuardFailed::EXIT_CODE`] on it,
/// so a script can tell it from the bench failing to run.
#[derive(Debug)]
pub struct GuardFailed(pub String);

impl GuardFailed {
    pub const EXIT_CODE: u8 = 3;
}

impl std::fmt::Display for GuardFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GuardFailed {}

/// A row's stable id: its `id`, or for JSON written before ids existed,
/// the id its job's name reads as.
pub fn job_id(row: &Row) -> String {
    if !row.id.is_empty() {
        return row.id.clone();
    }
    let job = row.job.as_str();
    let known = [
        ("invoices from CSV into", ids::IMPORT_INVOICES),
        ("`dun aging`, process", ids::AGING_PROCESS),
        ("`Store::aging`", ids::AGING_STORE),
        ("`Store::figures_trend`", ids::FIGURES_TREND),
        ("`Store::figures`", ids::FIGURES),
        ("record one payment", ids::RECORD_PAYMENT),
        ("decide only", ids::RUN_DECIDE),
        ("the first run over the whole book", ids::RUN_FIRST),
        ("the day after", ids::RUN_NEXT_DAY),
    ];
    known
        .iter()
        .find(|(text, _)| job.contains(text))
        .map_or_else(|| job.to_string(), |(_, id)| id.to_string())
}

/// The job measured in the same run whose floor is the yardstick of a job
/// gated on a reference, and the engine it ran on: the floor's aging for
/// jobs that read the book, the floor's import for the end-to-end run.
pub fn reference_of(id: &str, engine: &str) -> Option<(&'static str, String)> {
    // `run::decide` runs in memory on the book SQLite loaded.
    let engine = if engine == "any" { "SQLite" } else { engine }.to_string();
    match id {
        _ if id == ids::FIGURES || id == ids::FIGURES_TREND || id == ids::RUN_DECIDE => {
            Some((ids::AGING_STORE, engine))
        }
        _ if id == ids::RUN_FIRST || id == ids::RUN_NEXT_DAY => {
            Some((ids::IMPORT_INVOICES, engine))
        }
        _ => None,
    }
}

/// What a job's ratio is taken against.
#[derive(Clone, Debug, PartialEq)]
pub enum Basis {
    /// Its own floor.
    Floor,
    /// The floor of another job of the same run (its id).
    Reference(&'static str),
}

/// Whether and how a job is gated.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Pass,
    /// More than [`GUARD_FACTOR`] times the baseline's ratio.
    Fail,
    /// Printed only, for this reason.
    NotGated(String),
}

/// One job of this run beside the baseline.
#[derive(Clone, Debug)]
pub struct Line {
    pub engine: String,
    pub id: String,
    pub job: String,
    pub basis: Option<Basis>,
    /// This run's ratio and the baseline's, on `basis`.
    pub now: Option<f64>,
    pub baseline: Option<f64>,
    pub verdict: Verdict,
    pub rss_now: String,
    pub rss_baseline: String,
}

impl Line {
    /// This run's ratio ÷ the baseline's.
    pub fn change(&self) -> Option<f64> {
        Some(self.now? / self.baseline?)
    }
}

type Key = (String, String);

fn index(rows: &[Row]) -> BTreeMap<Key, &Row> {
    rows.iter()
        .map(|r| ((r.engine.clone(), job_id(r)), r))
        .collect()
}

fn ms(seconds: f64) -> String {
    format!("{:.3} ms", seconds * 1000.0)
}

/// Dun's time ÷ the floor's, per item, when both are long enough to time;
/// else why not.
fn floor_ratio(row: &Row) -> std::result::Result<f64, String> {
    let (Some(dun), Some(floor)) = (row.dun.figure(), row.other.figure()) else {
        return Err("no floor".to_string());
    };
    long_enough(dun, "Dun")?;
    long_enough(floor, "the floor")?;
    Ok(dun.seconds_per_item() / floor.seconds_per_item())
}

fn long_enough(figure: &Figure, whose: &str) -> std::result::Result<(), String> {
    if figure.seconds >= MIN_GATED_SECONDS {
        Ok(())
    } else {
        Err(format!(
            "{whose} takes {} per run, under the {} that can be timed reliably",
            ms(figure.seconds),
            ms(MIN_GATED_SECONDS)
        ))
    }
}

/// Dun's time ÷ the reference job's floor time, in the same run.
fn reference_ratio(
    row: &Row,
    rows: &BTreeMap<Key, &Row>,
    reference: &(&'static str, String),
) -> std::result::Result<f64, String> {
    let dun = row.dun.figure().ok_or("Dun not measured")?;
    let floor = rows
        .get(&(reference.1.clone(), reference.0.to_string()))
        .and_then(|r| r.other.figure())
        .ok_or_else(|| format!("no {} floor on {} to refer to", reference.0, reference.1))?;
    long_enough(dun, "Dun")?;
    long_enough(floor, &format!("the {} floor", reference.0))?;
    Ok(dun.seconds / floor.seconds)
}

/// Sets every job of this run (`now`) beside the baseline's, in this run's
/// order, then the baseline's jobs this run did not measure.
pub fn compare(baseline: &[Row], now: &[Row]) -> Vec<Line> {
    let base_index = index(baseline);
    let now_index = index(now);
    let mut lines = Vec::new();
    for row in now {
        let id = job_id(row);
        let key = (row.engine.clone(), id.clone());
        let rss_now = rss_text(&row.dun);
        let Some(base) = base_index.get(&key) else {
            lines.push(Line {
                engine: row.engine.clone(),
                id,
                job: row.job.clone(),
                basis: None,
                now: None,
                baseline: None,
                verdict: Verdict::NotGated("not in the baseline".to_string()),
                rss_now,
                rss_baseline: "—".to_string(),
            });
            continue;
        };
        let rss_baseline = rss_text(&base.dun);
        let never = NEVER_GATED
            .iter()
            .find(|(never, engine, _)| *never == id && engine.is_none_or(|e| e == row.engine));
        if let Some((_, _, why)) = never {
            lines.push(Line {
                engine: row.engine.clone(),
                id,
                job: row.job.clone(),
                basis: None,
                now: row.dun_time_ratio,
                baseline: base.dun_time_ratio,
                verdict: Verdict::NotGated(why.to_string()),
                rss_now,
                rss_baseline,
            });
            continue;
        }
        let on_floor = floor_ratio(row).and_then(|n| Ok((n, floor_ratio(base)?)));
        let reference = reference_of(&id, &row.engine);
        let (basis, ratios) = match (on_floor, &reference) {
            (Ok(r), _) => (Some(Basis::Floor), Ok(r)),
            (Err(floor_why), Some(reference)) => {
                let on_reference = reference_ratio(row, &now_index, reference)
                    .and_then(|n| Ok((n, reference_ratio(base, &base_index, reference)?)));
                match on_reference {
                    Ok(r) => (Some(Basis::Reference(reference.0)), Ok(r)),
                    Err(why) => (None, Err(format!("floor: {floor_why}; reference: {why}"))),
                }
            }
            (Err(why), None) => (None, Err(why)),
        };
        let (now_ratio, base_ratio, verdict) = match ratios {
            Ok((n, b)) if n / b > GUARD_FACTOR => (Some(n), Some(b), Verdict::Fail),
            Ok((n, b)) => (Some(n), Some(b), Verdict::Pass),
            Err(why) => (
                row.dun_time_ratio,
                base.dun_time_ratio,
                Verdict::NotGated(why),
            ),
        };
        lines.push(Line {
            engine: row.engine.clone(),
            id,
            job: row.job.clone(),
            basis,
            now: now_ratio,
            baseline: base_ratio,
            verdict,
            rss_now,
            rss_baseline,
        });
    }
    for (key, base) in &base_index {
        if !now_index.contains_key(key) {
            lines.push(Line {
                engine: key.0.clone(),
                id: key.1.clone(),
                job: base.job.clone(),
                basis: None,
                now: None,
                baseline: base.dun_time_ratio,
                verdict: Verdict::NotGated("not measured in this run".to_string()),
                rss_now: "—".to_string(),
                rss_baseline: rss_text(&base.dun),
            });
        }
    }
    lines
}

fn ratio(r: Option<f64>) -> String {
    r.map_or("—".to_string(), |r| format!("{r:.2}×"))
}

/// The guard's table, its key, and its verdict.
pub fn markdown(lines: &[Line], baseline_name: &str) -> String {
    let mut out = format!(
        "\n## Guard: this run beside {baseline_name}\n\n\
         | job | engine | basis | ratio now | baseline ratio | now ÷ baseline | guard | Dun peak RSS now | baseline |\n\
         |---|---|---|---:|---:|---:|---|---:|---:|\n"
    );
    for line in lines {
        let basis = match &line.basis {
            Some(Basis::Floor) => "floor".to_string(),
            Some(Basis::Reference(id)) => format!("ref: {id} floor"),
            None => "—".to_string(),
        };
        let verdict = match &line.verdict {
            Verdict::Pass => "pass".to_string(),
            Verdict::Fail => format!("**FAIL** (> {GUARD_FACTOR}×)"),
            Verdict::NotGated(why) => format!("not gated: {why}"),
        };
        out.push_str(&format!(
            "| {} | {} | {basis} | {} | {} | {} | {verdict} | {} | {} |\n",
            line.id,
            line.engine,
            ratio(line.now),
            ratio(line.baseline),
            ratio(line.change()),
            line.rss_now,
            line.rss_baseline,
        ));
    }
    out.push_str(&format!(
        "\nratio = Dun's time ÷ the floor's (basis floor), or ÷ the floor time of the job named \
         (basis ref: a yardstick of the machine measured in the same run, for a job with no floor \
         or one under {} per run). Never absolute times. A gated job fails when its ratio is more \
         than {GUARD_FACTOR}× the baseline's; peak RSS is printed, not gated.\n",
        ms(MIN_GATED_SECONDS)
    ));
    out
}

/// `Err(GuardFailed)` naming every failed job and its figures, or `Ok`
/// with a one-line summary.
pub fn verdict(lines: &[Line], baseline_name: &str) -> std::result::Result<String, GuardFailed> {
    let gated = lines
        .iter()
        .filter(|l| !matches!(l.verdict, Verdict::NotGated(_)))
        .count();
    let failed: Vec<String> = lines
        .iter()
        .filter(|l| l.verdict == Verdict::Fail)
        .map(|l| {
            format!(
                "  {} on {}: ratio {} now, {} in the baseline: {} (more than {GUARD_FACTOR}×) — {}",
                l.id,
                l.engine,
                ratio(l.now),
                ratio(l.baseline),
                ratio(l.change()),
                l.job
            )
        })
        .collect();
    if failed.is_empty() {
        Ok(format!(
            "Guard passed: {gated} jobs gated against {baseline_name}, none more than {GUARD_FACTOR}× its baseline ratio; {} printed only.\n",
            lines.len() - gated
        ))
    } else {
        Err(GuardFailed(format!(
            "the benchmark guard failed: {} of {gated} gated jobs got more than {GUARD_FACTOR}× slower relative to their floor than in {baseline_name}:\n{}\n\
             If this slowdown is deliberate, refresh the baseline (see the README, \"Performance\").",
            failed.len(),
            failed.join("\n")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::{RssScope, Run};
    use crate::report::{Cell, Unit};

    fn cell(unit: Unit, count: u64, seconds: f64) -> Cell {
        Cell::Measured(Figure::new(
            unit,
            count,
            &[Run {
                seconds,
                peak_rss_kib: Some(100 * 1024),
            }],
            RssScope::ChildProcess,
        ))
    }

    fn import(engine: &str, dun_s: f64, floor_s: f64) -> Row {
        Row::new(
            engine,
            ids::IMPORT_INVOICES,
            "import 100,000 invoices from CSV into SQLite (invoices/s)".into(),
            Unit::PerSecond,
            "invoices/s",
            cell(Unit::PerSecond, 100_000, dun_s),
            cell(Unit::PerSecond, 100_000, floor_s),
        )
    }

    fn millis(engine: &str, id: &str, dun_s: f64, floor_s: Option<f64>) -> Row {
        Row::new(
            engine,
            id,
            format!("{id} (ms)"),
            Unit::Millis,
            "ms",
            cell(Unit::Millis, 1, dun_s),
            floor_s.map_or(Cell::absent("—"), |s| cell(Unit::Millis, 1, s)),
        )
    }

    fn line<'a>(lines: &'a [Line], engine: &str, id: &str) -> &'a Line {
        lines
            .iter()
            .find(|l| l.engine == engine && l.id == id)
            .unwrap_or_else(|| panic!("no line {engine} {id} in {lines:#?}"))
    }

    /// The figures of the run at 100,000 invoices before the regression
    /// fixed in 1295d08 (SQLite import 1.55 s beside a 0.168 s floor).
    fn baseline() -> Vec<Row> {
        vec![
            import("SQLite", 1.549, 0.168),
            millis("SQLite", ids::AGING_STORE, 0.029, Some(0.023)),
            millis("SQLite", ids::FIGURES, 0.057, None),
            millis("any", ids::RUN_DECIDE, 0.0125, Some(0.000_048)),
            millis("SQLite", ids::RUN_FIRST, 0.428, None),
        ]
    }

    #[test]
    fn an_import_15_times_slower_fails_the_guard_and_names_its_figures() {
        let mut now = baseline();
        now[0] = import("SQLite", 1.549 * 15.0, 0.168);
        let lines = compare(&baseline(), &now);
        let l = line(&lines, "SQLite", ids::IMPORT_INVOICES);
        assert_eq!(l.basis, Some(Basis::Floor));
        assert_eq!(l.verdict, Verdict::Fail);
        assert!((l.change().unwrap() - 15.0).abs() < 1e-9);
        let failed = verdict(&lines, "baseline.json").unwrap_err().0;
        assert!(
            failed.contains(
                "import_invoices on SQLite: ratio 138.30× now, 9.22× in the baseline: 15.00×"
            ),
            "{failed}"
        );
        // Only the import failed.
        assert_eq!(
            lines.iter().filter(|l| l.verdict == Verdict::Fail).count(),
            1
        );
    }

    #[test]
    fn a_wobble_of_one_and_a_half_times_passes_even_on_a_slower_machine() {
        // Every time doubled (a slower or busier machine), and on top of
        // that the import's ratio 1.5× worse: no job fails.
        let now: Vec<Row> = vec![
            import("SQLite", 1.549 * 2.0 * 1.5, 0.168 * 2.0),
            millis("SQLite", ids::AGING_STORE, 0.058, Some(0.046)),
            millis("SQLite", ids::FIGURES, 0.114 * 1.5, None),
            millis("any", ids::RUN_DECIDE, 0.025, Some(0.000_096)),
            millis("SQLite", ids::RUN_FIRST, 0.856, None),
        ];
        let lines = compare(&baseline(), &now);
        assert!(lines.iter().all(|l| !matches!(l.verdict, Verdict::Fail)));
        let l = line(&lines, "SQLite", ids::IMPORT_INVOICES);
        assert!((l.change().unwrap() - 1.5).abs() < 1e-9);
        assert!(verdict(&lines, "baseline.json").is_ok());
    }

    #[test]
    fn a_floor_too_short_to_time_gates_on_the_reference_instead() {
        let lines = compare(&baseline(), &baseline());
        let decide = line(&lines, "any", ids::RUN_DECIDE);
        assert_eq!(decide.basis, Some(Basis::Reference(ids::AGING_STORE)));
        assert_eq!(decide.verdict, Verdict::Pass);
        // 12.5 ms ÷ the SQLite aging floor's 23 ms.
        assert!((decide.now.unwrap() - 0.0125 / 0.023).abs() < 1e-9);

        // decide 10× slower fails on the reference.
        let mut now = baseline();
        now[3] = millis("any", ids::RUN_DECIDE, 0.125, Some(0.000_048));
        let lines = compare(&baseline(), &now);
        assert_eq!(line(&lines, "any", ids::RUN_DECIDE).verdict, Verdict::Fail);
    }

    #[test]
    fn jobs_without_a_floor_gate_on_the_reference_of_their_engine() {
        let lines = compare(&baseline(), &baseline());
        let figures = line(&lines, "SQLite", ids::FIGURES);
        assert_eq!(figures.basis, Some(Basis::Reference(ids::AGING_STORE)));
        let run = line(&lines, "SQLite", ids::RUN_FIRST);
        assert_eq!(run.basis, Some(Basis::Reference(ids::IMPORT_INVOICES)));
        assert_eq!(run.verdict, Verdict::Pass);

        // The end-to-end run 4× slower while the import floor is unchanged.
        let mut now = baseline();
        now[4] = millis("SQLite", ids::RUN_FIRST, 0.428 * 4.0, None);
        let lines = compare(&baseline(), &now);
        assert_eq!(
            line(&lines, "SQLite", ids::RUN_FIRST).verdict,
            Verdict::Fail
        );
    }

    #[test]
    fn a_job_too_short_to_time_with_nothing_to_refer_to_is_printed_not_gated() {
        let tiny = vec![millis("SQLite", ids::AGING_PROCESS, 0.002, Some(0.001))];
        let mut slower = tiny.clone();
        slower[0] = millis("SQLite", ids::AGING_PROCESS, 0.02, Some(0.001));
        let lines = compare(&tiny, &slower);
        let l = line(&lines, "SQLite", ids::AGING_PROCESS);
        match &l.verdict {
            Verdict::NotGated(why) => assert!(why.contains("under the 5.000 ms"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(verdict(&lines, "b").is_ok());
    }

    #[test]
    fn jobs_are_matched_by_id_and_old_baselines_by_their_names() {
        let mut old = baseline();
        for row in &mut old {
            row.id.clear();
        }
        old[1].job = "aging as of 2026-06-30 over 100,000 open invoices, SQLite (ms): `Store::aging`, in-process".into();
        old[2].job = "collection figures (DSO, CEI, …) of the 90 days to 2026-06-30, SQLite: `Store::figures`, in-process (ms)".into();
        old[3].job = "the collections run, decide only: run::decide on the book as of 2026-06-30 in memory (ms)".into();
        old[4].job = "the collections run, end to end: `dun run --as-of 2026-06-30`, the first run over the whole book, SQLite (ms)".into();
        let lines = compare(&old, &baseline());
        assert!(
            lines.iter().all(|l| l.verdict == Verdict::Pass),
            "{lines:#?}"
        );
        // A PostgreSQL baseline row this run did not measure is listed.
        let mut with_pg = baseline();
        with_pg.push(import("PostgreSQL", 4.3, 0.29));
        let lines = compare(&with_pg, &baseline());
        assert_eq!(
            line(&lines, "PostgreSQL", ids::IMPORT_INVOICES).verdict,
            Verdict::NotGated("not measured in this run".into())
        );
    }

    #[test]
    fn the_kept_baseline_reads_and_gates_every_headline_job_on_both_engines() {
        let baseline: Baseline =
            serde_json::from_str(include_str!("../../../docs/benchmarks/baseline.json")).unwrap();
        assert_eq!(baseline.book.invoices, 100_000);
        let lines = compare(&baseline.rows, &baseline.rows);
        for engine in ["SQLite", "PostgreSQL"] {
            for id in [
                ids::IMPORT_INVOICES,
                ids::AGING_PROCESS,
                ids::AGING_STORE,
                ids::FIGURES,
            ] {
                assert_eq!(line(&lines, engine, id).verdict, Verdict::Pass);
            }
        }
        assert_eq!(
            line(&lines, "SQLite", ids::RUN_FIRST).verdict,
            Verdict::Pass
        );
        assert!(matches!(
            line(&lines, "PostgreSQL", ids::RUN_FIRST).verdict,
            Verdict::NotGated(_)
        ));
        assert_eq!(line(&lines, "any", ids::RUN_DECIDE).verdict, Verdict::Pass);
        assert!(matches!(
            line(&lines, "SQLite", ids::RECORD_PAYMENT).verdict,
            Verdict::NotGated(_)
        ));
    }

    #[test]
    fn durable_payments_are_printed_not_gated_their_ratio_follows_the_disk() {
        let fsync = |dun_s, floor_s| {
            vec![Row::new(
                "SQLite",
                ids::RECORD_PAYMENT,
                "record one payment, durable, SQLite (commits/s)".into(),
                Unit::PerSecond,
                "commits/s",
                cell(Unit::PerSecond, 2000, dun_s),
                cell(Unit::PerSecond, 2000, floor_s),
            )]
        };
        // The two runs seen on one machine: 9.2× quiet, 2.1× busy.
        let lines = compare(&fsync(1.0, 0.48), &fsync(2.2, 0.24));
        let l = line(&lines, "SQLite", ids::RECORD_PAYMENT);
        assert!(matches!(&l.verdict, Verdict::NotGated(why) if why.contains("fsync")));
        assert!(l.now.is_some() && l.baseline.is_some());
        assert!(verdict(&lines, "b").is_ok());
    }
}
