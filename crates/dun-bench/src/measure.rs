//! Wall-clock time and peak memory, of a child process or of work done in
//! this process.
//!
//! A child's peak RSS comes from GNU time (`/usr/bin/time -f %M`), which
//! reads it from `wait4` when the child exits: reading `/proc/PID/status`
//! ourselves would race with the exit, and calling `wait4` directly would
//! need `libc` and `unsafe`. Without GNU time the figure is "n/a".
//!
//! For work in this process, the kernel's high-water mark is reset first
//! (writing `5` to `/proc/self/clear_refs`) and read after
//! (`VmHWM` in `/proc/self/status`), so the figure is the bench process's
//! peak during that job: its own baseline (a few MiB) included.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use anyhow::{bail, Context as _, Result};
use serde::{Deserialize, Serialize};

const GNU_TIME: &str = "/usr/bin/time";

/// One measured run.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Run {
    pub seconds: f64,
    pub peak_rss_kib: Option<u64>,
}

/// Whose memory a peak RSS figure is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RssScope {
    /// The `dun` child process alone.
    ChildProcess,
    /// This bench process during the job (its baseline included).
    BenchProcess,
    /// Not measured.
    None,
}

/// Runs `program args…` to completion and times it from spawn to exit.
/// A non-zero exit is an error carrying the child's stderr.
pub fn child<I, S>(program: &Path, args: I) -> Result<(Run, Output)>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let rss_file = tempfile::NamedTempFile::new()?;
    let with_time = Path::new(GNU_TIME).is_file();
    let mut command = if with_time {
        let mut c = Command::new(GNU_TIME);
        c.arg("-f").arg("%M").arg("-o").arg(rss_file.path());
        c.arg(program);
        c
    } else {
        Command::new(program)
    };
    command.args(args);
    let started = Instant::now();
    let output = command
        .output()
        .with_context(|| format!("cannot start {}", program.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    if !output.status.success() {
        bail!(
            "{} failed ({}):\n{}",
            program.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let peak_rss_kib = if with_time {
        std::fs::read_to_string(rss_file.path())
            .ok()
            .and_then(|text| text.trim().lines().last()?.trim().parse().ok())
    } else {
        None
    };
    Ok((
        Run {
            seconds,
            peak_rss_kib,
        },
        output,
    ))
}

/// Whether a child's peak RSS can be measured on this machine.
pub fn child_rss_scope() -> RssScope {
    if Path::new(GNU_TIME).is_file() {
        RssScope::ChildProcess
    } else {
        RssScope::None
    }
}

/// Runs `work` in this process, timing it and taking the peak RSS during it.
pub fn in_process<T>(work: impl FnOnce() -> Result<T>) -> Result<(T, Run)> {
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let started = Instant::now();
    let value = work()?;
    let seconds = started.elapsed().as_secs_f64();
    let peak_rss_kib = if reset { status_kib("VmHWM") } else { None };
    Ok((
        value,
        Run {
            seconds,
            peak_rss_kib,
        },
    ))
}

/// Whether in-process peaks can be measured (the high-water mark can be reset).
pub fn in_process_rss_scope() -> RssScope {
    if std::fs::write("/proc/self/clear_refs", "5").is_ok() && status_kib("VmHWM").is_some() {
        RssScope::BenchProcess
    } else {
        RssScope::None
    }
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The median of the runs' times (the lower middle one for an even count),
/// and the highest peak among them.
pub fn summarize(runs: &[Run]) -> Run {
    let mut seconds: Vec<f64> = runs.iter().map(|r| r.seconds).collect();
    seconds.sort_by(f64::total_cmp);
    Run {
        seconds: seconds
            .get(seconds.len().saturating_sub(1) / 2)
            .copied()
            .unwrap_or(0.0),
        peak_rss_kib: runs.iter().filter_map(|r| r.peak_rss_kib).max(),
    }
}

/// Runs taken as one: their times added, the highest peak.
pub fn total(runs: &[Run]) -> Run {
    Run {
        seconds: runs.iter().map(|r| r.seconds).sum(),
        peak_rss_kib: runs.iter().filter_map(|r| r.peak_rss_kib).max(),
    }
}
