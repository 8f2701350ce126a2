//! The facts a figure needs beside it to be compared: the machine, the
//! commit, the day.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use dun_core::Date;
use serde::Serialize;

const SECONDS_PER_DAY: u64 = 86_400;

#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    /// `model name` from /proc/cpuinfo.
    pub cpu: String,
    /// Logical CPUs this process may use.
    pub cores: usize,
    /// `git rev-parse --short HEAD`, with `+dirty` when the tree has
    /// uncommitted changes (the figures are then not exactly the commit's).
    pub commit: String,
    /// Today in UTC.
    pub date: String,
    /// The 1-minute load average when the run began: other work on the
    /// machine makes every figure noisier.
    pub load_average_1m: Option<f64>,
}

impl Machine {
    pub fn read() -> Machine {
        Machine {
            cpu: cpu_model(),
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            commit: git_commit(&workspace_root()),
            date: today_utc().to_string(),
            load_average_1m: std::fs::read_to_string("/proc/loadavg")
                .ok()
                .and_then(|text| text.split_whitespace().next()?.parse().ok()),
        }
    }

    pub fn markdown(&self) -> String {
        let load = self
            .load_average_1m
            .map_or_else(|| "n/a".to_string(), |l| format!("{l:.2}"));
        format!(
            "CPU: {} ({} logical CPUs) · commit: {} · date: {} · load average at start: {load}\n",
            self.cpu, self.cores, self.commit, self.date
        )
    }
}

/// The workspace this bench was built from: `git` and `cargo` run there.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

fn git(root: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn git_commit(root: &Path) -> String {
    match git(root, &["rev-parse", "--short", "HEAD"]) {
        Some(commit) if !commit.is_empty() => {
            let dirty = git(root, &["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{commit}+dirty")
            } else {
                commit
            }
        }
        _ => "unknown".to_string(),
    }
}

fn today_utc() -> Date {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Date::from_day_number((seconds / SECONDS_PER_DAY) as i32)
}
