//! Output that ends early is a normal end: `dun … | head -1`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::ok;

#[test]
fn a_reader_that_goes_early_ends_the_command_quietly() {
    let db = common::sqlite();
    ok(
        &db,
        &[
            "init",
            "--org",
            "Pipe Ltd",
            "--currency",
            "USD",
            "--timezone",
            "UTC",
        ],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("customers.csv");
    let mut rows = String::from("ref,name\n");
    for n in 0..2000 {
        rows.push_str(&format!(
            "C{n},Customer number {n} with a name long enough\n"
        ));
    }
    std::fs::write(&csv, rows).expect("write the CSV");
    ok(&db, &["import", "customers", csv.to_str().expect("a path")]);
    // The reader takes one line and goes, like `head -1`; the rest of the
    // list (more than a pipe holds) meets a closed pipe.
    let mut child = Command::new(env!("CARGO_BIN_EXE_dun"))
        .args(["--db", &db.url, "customer", "list"])
        .env_remove("DUN_ORG")
        .env_remove("DUN_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dun");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("a first line");
    assert!(!first.is_empty());
    let output = child.wait_with_output().expect("dun ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {stderr}",
        output.status.code()
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    // `dun customer show C1 | head -1` whose reader has gone before the
    // first line: the pipe is closed as the command starts, so its first
    // write meets it (issue 17 named this one; it ended with exit 101).
    let mut child = Command::new(env!("CARGO_BIN_EXE_dun"))
        .args(["--db", &db.url, "customer", "show", "C1"])
        .env_remove("DUN_ORG")
        .env_remove("DUN_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dun");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("dun ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {stderr}",
        output.status.code()
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
