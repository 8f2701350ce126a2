//! The web UI in a real browser: Debian's Chromium, headless, driven by
//! playwright-core (crates/dun-web/browser/journeys.mjs) against the real
//! `dun serve` — one on a small demo book, one on an empty database for the
//! first-run set-up. axe-core checks every main page; each is photographed.
//!
//! Needs node, `npm ci --prefix crates/dun-web/browser` and /usr/bin/chromium
//! (`apt-get install chromium`); without them the test says SKIPPED, and
//! with DUN_TEST_REQUIRE_TOOLS=1 (CI) it fails instead.
//! DUN_UPDATE_SCREENSHOTS=1 writes the screenshots into docs/screenshots/.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{ok, sqlite, Db};

const CHROMIUM: &str = "/usr/bin/chromium";
const OWNER_EMAIL: &str = "ann@demo.example";
const OWNER_PASSWORD: &str = "correct horse battery staple";
/// The journeys take seconds; a hung browser must not hang the test suite.
const JOURNEYS_TIMEOUT: Duration = Duration::from_secs(300);

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../dun-web/browser")
}

/// Why the browser journeys cannot run here, if they cannot.
fn missing_tool() -> Option<String> {
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !node.is_ok_and(|s| s.success()) {
        return Some("node is not on the PATH (apt-get install nodejs npm)".into());
    }
    let modules = browser_dir().join("node_modules");
    if !modules.join("playwright-core").is_dir() || !modules.join("axe-core").is_dir() {
        return Some(format!(
            "{} has no playwright-core or axe-core (npm ci --prefix crates/dun-web/browser)",
            modules.display()
        ));
    }
    if !Path::new(CHROMIUM).exists() {
        return Some(format!("{CHROMIUM} is missing (apt-get install chromium)"));
    }
    None
}

/// A `dun serve` that is stopped when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `dun serve` on a free port of `db`.
fn serve(db: &Db) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dun"))
        .args([
            "--db",
            &db.url,
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-scheduler",
        ])
        .env_remove("DUN_ORG")
        .env_remove("DUN_DATABASE_URL")
        // Portal links are made for this address (the journeys open them
        // on the server they started); plain http keeps cookies usable here.
        .env("DUN_PUBLIC_URL", "http://ar.acme.example")
        .env("DUN_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dun serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = loop {
        let line = lines
            .next()
            .expect("dun serve said nothing")
            .expect("a line");
        if let Some(rest) = line.strip_prefix("Dun is serving http://") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
        assert!(Instant::now() < deadline, "dun serve did not start");
    };
    // Keep draining its log so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        url: format!("http://{addr}"),
    }
}

#[test]
fn journeys_in_chromium() {
    if let Some(reason) = missing_tool() {
        let message = format!("SKIPPED (browser): {reason}");
        if std::env::var("DUN_TEST_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("{message}, and DUN_TEST_REQUIRE_TOOLS=1 requires it");
        }
        // To stderr itself: libtest keeps a passing test's eprintln! from
        // the person running `cargo test`, and a skip must be seen.
        {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "{message}");
        }
        return;
    }

    // A small demo book with an owner who signs in.
    let book = sqlite();
    ok(&book, &["demo", "--invoices", "300"]);
    let add = Command::new(env!("CARGO_BIN_EXE_dun"))
        .args([
            "--db",
            &book.url,
            "user",
            "add",
            OWNER_EMAIL,
            "--name",
            "Ann",
            "--role",
            "owner",
        ])
        .env_remove("DUN_ORG")
        .env_remove("DUN_DATABASE_URL")
        .env("DUN_PASSWORD", OWNER_PASSWORD)
        .output()
        .expect("dun user add");
    assert!(
        add.status.success(),
        "dun user add: {}",
        String::from_utf8_lossy(&add.stderr)
    );
    // An empty database: the first run's set-up happens in the browser.
    let empty = sqlite();
    let demo_server = serve(&book);
    let setup_server = serve(&empty);

    let scratch = tempfile::tempdir().expect("tempdir");
    // Kept after the run (under target/), to look at when a journey fails.
    let kept = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    let screenshots = if std::env::var("DUN_UPDATE_SCREENSHOTS").as_deref() == Ok("1") {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots")
    } else {
        kept.clone()
    };
    let log_path = scratch.path().join("journeys.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut node = Command::new("node")
        .arg("journeys.mjs")
        .current_dir(browser_dir())
        .env("BASE_URL", &demo_server.url)
        .env("SETUP_URL", &setup_server.url)
        .env("DUN_EMAIL", OWNER_EMAIL)
        .env("DUN_PASSWORD", OWNER_PASSWORD)
        .env("SCREENSHOT_DIR", &screenshots)
        .env("FAILURE_DIR", &kept)
        .env("CHROMIUM", CHROMIUM)
        // Every page is built: a journey waiting for one is a failure.
        .env("DUN_BROWSER_REQUIRE_ALL", "1")
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .spawn()
        .expect("start node journeys.mjs");
    let deadline = Instant::now() + JOURNEYS_TIMEOUT;
    let status = loop {
        if let Some(status) = node.try_wait().expect("wait for node") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = node.kill();
            let _ = node.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    // Shown with --nocapture, and on failure: which journeys ran, which wait for pages.
    println!("{output}");
    let status = status.unwrap_or_else(|| {
        panic!("the browser journeys did not finish in {JOURNEYS_TIMEOUT:?}:\n{output}")
    });
    assert!(
        status.success(),
        "the browser journeys failed ({status}); screenshots in {}:\n{output}",
        kept.display()
    );
    assert!(
        output.contains(" passed, 0 failed"),
        "journeys.mjs did not report its tally:\n{output}"
    );
}
