//! Runs the real `dun` binary against a real database of each kind.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// A database the CLI is pointed at; dropped, it is removed.
pub struct Db {
    pub url: String,
    pub label: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            if let Ok(mut client) = postgres::Client::connect(admin, postgres::NoTls) {
                let _ =
                    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

pub fn sqlite() -> Db {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = dir.path().join("book.db").to_string_lossy().into_owned();
    Db {
        url,
        label: "sqlite",
        _dir: Some(dir),
        pg: None,
    }
}

/// A fresh PostgreSQL database, or None (loudly) when none is configured.
pub fn postgres(test: &str) -> Option<Db> {
    let Ok(admin) = std::env::var("DUN_TEST_POSTGRES_URL") else {
        let message = format!("SKIPPED (PostgreSQL) {test}: DUN_TEST_POSTGRES_URL is not set");
        if std::env::var("DUN_TEST_REQUIRE_POSTGRES").as_deref() == Ok("1") {
            panic!("{message}, and DUN_TEST_REQUIRE_POSTGRES=1");
        }
        // To stderr itself: libtest keeps a passing test's eprintln! from
        // the person running `cargo test`, and a skip must be seen.
        {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "{message}");
        }
        return None;
    };
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "dun_cli_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        test.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    );
    let mut client = postgres::Client::connect(&admin, postgres::NoTls)
        .expect("connect to DUN_TEST_POSTGRES_URL");
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create test database");
    let url = match admin.rfind('/') {
        Some(i)
            if admin[..i].contains("://") && admin[i..].len() > 1 && !admin[..i].ends_with('/') =>
        {
            format!("{}/{name}", &admin[..i])
        }
        _ => format!("{}/{name}", admin.trim_end_matches('/')),
    };
    Some(Db {
        url,
        label: "postgres",
        _dir: None,
        pg: Some((admin, name)),
    })
}

/// Every backend available here.
pub fn backends(test: &str) -> Vec<Db> {
    let mut all = vec![sqlite()];
    all.extend(postgres(test));
    all
}

pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

pub fn dun(db: &Db, args: &[&str]) -> Run {
    dun_in(db, None, args)
}

pub fn dun_in(db: &Db, dir: Option<&Path>, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dun"));
    command
        .arg("--db")
        .arg(&db.url)
        .args(args)
        .env_remove("DUN_ORG")
        .env_remove("DUN_DATABASE_URL");
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("run dun");
    Run {
        ok: status.success(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Runs `dun` and insists it succeeds.
pub fn ok(db: &Db, args: &[&str]) -> String {
    let run = dun(db, args);
    assert!(
        run.ok,
        "[{}] dun {args:?} failed:\n{}{}",
        db.label, run.stdout, run.stderr
    );
    run.stdout
}

/// Runs `dun` and insists it fails; returns what it said on stderr.
pub fn fails(db: &Db, args: &[&str]) -> String {
    let run = dun(db, args);
    assert!(
        !run.ok,
        "[{}] dun {args:?} should have failed:\n{}",
        db.label, run.stdout
    );
    run.stderr
}

/// Whether pdftotext is here; if not, says so loudly (and fails when the
/// CI requires the tools).
pub fn pdftotext_available(test: &str) -> bool {
    let ok = Command::new("pdftotext").arg("-v").output().is_ok();
    if !ok {
        let message = format!(
            "SKIPPED: {test} reads no PDF text because pdftotext (poppler-utils) is not installed"
        );
        if std::env::var("DUN_TEST_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("{message}, and DUN_TEST_REQUIRE_TOOLS=1");
        }
        // To stderr itself: libtest keeps a passing test's eprintln! from
        // the person running `cargo test`, and a skip must be seen.
        {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "{message}");
        }
    }
    ok
}

/// The PDF's text with runs of white space made one space; None without poppler.
pub fn pdf_text(path: &Path, tools: bool) -> Option<String> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.starts_with(b"%PDF-"),
        "{} is not a PDF",
        path.display()
    );
    if !tools {
        return None;
    }
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A database this test did not make (a backup's copy): nothing is
/// removed when it is dropped.
pub fn existing(url: &str, label: &'static str) -> Db {
    Db {
        url: url.to_string(),
        label,
        _dir: None,
        pg: None,
    }
}
