//! The OpenAPI document against what the server really does: schemathesis
//! (PyPI) generates requests from `/openapi.json` — valid, edge and invalid
//! ones, and stateful sequences — against a live `dun serve` on a demo book,
//! and fails on any 5xx, any status the document does not list, any body
//! or content type that contradicts it, any request the document calls
//! invalid that the server accepts (negative data), and any request it
//! calls valid that the server refuses as invalid (positive data; issue 18
//! item 9). The document declares the limits and formats the server
//! enforces (`dun_server::openapi_limits`); a refusal because of what the
//! book holds is a 409, which a valid request may meet. The few rules no
//! schema can state (a fresh idempotency key per request, a date not
//! before today, a period that runs forward…) are kept by the requests a
//! client sends: `schemathesis_hooks.py` makes the generated valid ones
//! keep them, each named there with the test that holds it.
//! `schemathesis.toml` names the checks, and the few operations whose
//! valid input no generator can make (an image, a policy document, a
//! link's secret), where only the positive-data check is off.
//!
//! Skipped loudly without `schemathesis` on the PATH; under
//! `DUN_TEST_REQUIRE_TOOLS=1` (CI) that is a failure instead.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{backends, ok, Db};

/// Most operations schemathesis may find mostly refusing the data the
/// document calls valid, per run: 65 or 66 before the document declared
/// its limits (issue 18), 48 or 49 after.
const MOSTLY_REJECTED_MAX: usize = 52;
/// Valid requests (by the document) the server may refuse as invalid in
/// one run: 61 operations before issue 18's positive-data work, 0 to 2
/// after it in runs on this machine, the rest cross-field rules the hooks
/// do not model yet (a line total within the amount limit…). Any other
/// failure fails the test.
const POSITIVE_REJECTED_MAX: usize = 2;
/// The account operations that can revoke the very token schemathesis
/// uses; they get a run of their own at the end.
const ACCOUNT_PATHS: &str = "^/api/v1/(tokens|users)/";

fn schemathesis_available() -> bool {
    let found = Command::new("schemathesis")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        let message = "SKIPPED (schemathesis): not on the PATH; install it with `python3 -m pip install schemathesis`";
        if std::env::var("DUN_TEST_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("{message}, and DUN_TEST_REQUIRE_TOOLS=1 requires it");
        }
        // To stderr itself: libtest keeps a passing test's eprintln! from
        // the person running `cargo test`, and a skip must be seen.
        {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "{message}");
        }
    }
    found
}

fn serve(db: &Db) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dun"))
        .args([
            "--db",
            &db.url,
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-scheduler",
        ])
        .env_remove("DUN_DATABASE_URL")
        .env("DUN_LOG_FORMAT", "json")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dun serve");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = loop {
        let line = lines.next().expect("dun serve said nothing").unwrap();
        if let Some(rest) = line.strip_prefix("Dun is serving http://") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
        assert!(Instant::now() < deadline, "dun serve did not start");
    };
    // Server errors are logged; echo them so a failure shows its cause.
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if line.contains("\"ERROR\"") {
                eprintln!("dun serve: {line}");
            }
        }
    });
    (child, addr)
}

fn schemathesis(addr: &str, token: &str, selection: &[&str], label: &str) {
    let here = concat!(env!("CARGO_MANIFEST_DIR"), "/tests");
    let work = tempfile::tempdir().expect("a directory for schemathesis' cache");
    let output = Command::new("schemathesis")
        .current_dir(work.path())
        .args(["--config-file", &format!("{here}/schemathesis.toml")])
        .args(["run", &format!("http://{addr}/openapi.json")])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--max-examples", "25", "--seed", "20261124"])
        .args(selection)
        .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
        .env("PYTHONPATH", here)
        .output()
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let tail: String = stdout
        .lines()
        .rev()
        .take(12)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("\n");
    eprintln!("schemathesis ({label}):\n{tail}");
    let failures = failures(&stdout);
    let only_rejections = failures.iter().all(|(code, _)| code == "ST202");
    let rejected: usize = failures.iter().map(|(_, n)| n).sum();
    assert!(
        output.status.success()
            || (!failures.is_empty() && only_rejections && rejected <= POSITIVE_REJECTED_MAX),
        "schemathesis found problems ({label}; {failures:?}):\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    if rejected > 0 {
        eprintln!("schemathesis ({label}): {rejected} valid requests refused (at most {POSITIVE_REJECTED_MAX}):\n{stdout}");
    }
    let mostly_rejected = mostly_rejected(&stdout);
    eprintln!(
        "schemathesis ({label}): {mostly_rejected} operations mostly rejected the generated data"
    );
    assert!(
        mostly_rejected <= MOSTLY_REJECTED_MAX,
        "{mostly_rejected} operations mostly rejected what the document calls valid ({label}; at most {MOSTLY_REJECTED_MAX}): declare the limits the server enforces in openapi_limits.rs\n{stdout}"
    );
}

/// Each kind of failure schemathesis reports (`❌ ST202 …: 2`) with its
/// count.
fn failures(stdout: &str) -> Vec<(String, usize)> {
    stdout
        .lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("❌ ")?;
            let (code, _) = rest.split_once(' ')?;
            let (_, n) = rest.rsplit_once(": ")?;
            Some((code.to_string(), n.trim().parse().ok()?))
        })
        .collect()
}

/// The count in schemathesis' warning "Schema validation mismatch: N
/// operations mostly rejected generated data", or 0 without one.
fn mostly_rejected(stdout: &str) -> usize {
    stdout
        .lines()
        .find_map(|line| {
            let (_, rest) = line.split_once("Schema validation mismatch: ")?;
            let (n, _) = rest.split_once(" operation")?;
            n.trim().parse().ok()
        })
        .unwrap_or(0)
}

#[test]
fn the_api_keeps_to_its_openapi_document() {
    if !schemathesis_available() {
        return;
    }
    for db in backends("the_api_keeps_to_its_openapi_document") {
        ok(&db, &["demo", "--invoices", "300"]);
        let mut add = Command::new(env!("CARGO_BIN_EXE_dun"))
            .args([
                "--db",
                &db.url,
                "user",
                "add",
                "st@demo.example",
                "--name",
                "Schemathesis",
                "--role",
                "owner",
            ])
            .env_remove("DUN_DATABASE_URL")
            .env("DUN_PASSWORD", "correct horse battery")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        assert!(add.wait().unwrap().success());
        let token = ok(
            &db,
            &[
                "token",
                "create",
                "--user",
                "st@demo.example",
                "--name",
                "st",
                "--role",
                "owner",
            ],
        )
        .trim()
        .to_string();
        let (mut child, addr) = serve(&db);
        schemathesis(
            &addr,
            &token,
            &["--exclude-path-regex", ACCOUNT_PATHS],
            db.label,
        );
        schemathesis(
            &addr,
            &token,
            &["--include-path-regex", ACCOUNT_PATHS],
            db.label,
        );
        let _ = child.kill();
        let _ = child.wait();
    }
}
