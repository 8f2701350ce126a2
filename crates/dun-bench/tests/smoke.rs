//! The bench is never part of the test command; these only check that each
//! of its commands runs to the end on a tiny book and prints its table.
//! No timing is asserted.
//!
//! The `dun` binary is used when cargo has built it next to this bench (as
//! `cargo test --workspace` does); otherwise the bench measures Dun
//! in-process and says so in its output. Either way these tests pass.

use std::path::Path;
use std::process::Command;

fn bench_output(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dun-bench"))
        .args(args)
        .env_remove("DUN_BENCH_POSTGRES_URL")
        .output()
        .expect("dun-bench starts")
}

fn bench(args: &[&str]) -> String {
    let out = bench_output(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "dun-bench {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn the_suite_runs_on_a_tiny_book_and_prints_its_table() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("figures.json");
    let stdout = bench(&[
        "--invoices",
        "200",
        "--payments",
        "5",
        "--repeat",
        "1",
        "--skip-postgres",
        "--no-build",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(stdout.contains("| job | Dun | floor | ratio |"), "{stdout}");
    assert!(
        stdout.contains("the collections run, decide only")
            && stdout.contains("the collections run, end to end"),
        "{stdout}"
    );
    let figures: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert!(figures["rows"]
        .as_array()
        .is_some_and(|rows| !rows.is_empty()));
    assert!(figures["rows"][0]["id"] == "import_invoices", "{figures}");

    // The guard, against the run just made: every job printed beside it.
    // On a book this small most times are under what can be timed
    // reliably, and the few gated ones (a handful of fsyncs) may wobble, so
    // only that the guard ran to its verdict is checked here; its logic is
    // tested in `compare::tests`.
    let out = bench_output(&[
        "--invoices",
        "200",
        "--payments",
        "5",
        "--repeat",
        "1",
        "--skip-postgres",
        "--no-build",
        "--compare",
        json.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("## Guard: this run beside"), "{stdout}");
    assert!(
        stdout.contains("| import_invoices | SQLite |") && stdout.contains("not gated: "),
        "{stdout}"
    );
    assert!(
        (out.status.success() && stdout.contains("Guard passed: "))
            || (out.status.code() == Some(3) && stderr.contains("the benchmark guard failed")),
        "{}\n{stdout}\n{stderr}",
        out.status
    );

    // A baseline of another size is refused before the run.
    let out = bench_output(&[
        "--invoices",
        "100",
        "--skip-postgres",
        "--no-build",
        "--compare",
        json.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("is a run at 200 invoices, this one is at 100"),
        "{stderr}"
    );
}

#[test]
fn the_bank_job_imports_a_statement_twice_on_a_tiny_book_and_prints_its_table() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bank.json");
    let stdout = bench(&[
        "bank",
        "--invoices",
        "300",
        "--lines",
        "20",
        "--repeat",
        "1",
        "--skip-postgres",
        "--no-build",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(stdout.contains("| job | Dun | floor | ratio |"), "{stdout}");
    assert!(
        stdout.contains("`dun bank import`, end to end, beside parsing the file alone")
            && stdout.contains("the same file imported again"),
        "{stdout}"
    );
    // Three of every four lines name an invoice and are posted; the second
    // import adds nothing.
    assert!(
        stdout.contains("15 matched and posted (as expected"),
        "{stdout}"
    );
    assert!(
        stdout.contains("0 new, 0 matched (as expected: nothing added twice)"),
        "{stdout}"
    );
    assert!(!stdout.contains("MISMATCH"), "{stdout}");
    let figures: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(
        figures["rows"][0]["id"], "bank_import_vs_parse",
        "{figures}"
    );
    assert_eq!(
        figures["engines"][0]["first_import"]["counts"]["matched"],
        15
    );
    assert_eq!(
        figures["engines"][0]["second_import"]["counts"]["lines_new"],
        0
    );
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

/// A Tryton-shaped book of three invoices, in the peer benchmark's columns.
#[test]
fn the_peer_command_reads_a_tryton_book_and_prints_its_table() {
    let tryton = tempfile::tempdir().unwrap();
    let out = tryton.path().join("out");
    std::fs::create_dir(&out).unwrap();
    write(
        &out.join("customers_3.csv"),
        "id,name,credit_limit\n1,Customer 000001,1000.00\n2,Customer 000002,500.00\n",
    );
    write(
        &out.join("invoices_3.csv"),
        "number,customer_id,issue_date,due_date,amount,currency,paid_amount\n\
         INV-1,1,2025-03-01,2025-03-31,100.00,USD,0.00\n\
         INV-2,2,2025-04-01,2025-05-01,250.00,USD,250.00\n\
         INV-3,1,2025-05-01,2025-05-31,80.00,USD,30.00\n",
    );
    write(
        &out.join("payments_3.csv"),
        "invoice_number,payment_date,amount\nINV-2,2025-05-02,250.00\nINV-3,2025-06-01,30.00\n",
    );
    write(
        &out.join("expected_3.csv"),
        "number,customer_id,days_overdue,open_amount\nINV-1,1,91,100.00\nINV-2,2,60,0.00\nINV-3,1,30,50.00\n",
    );
    write(
        &out.join("summary_3.json"),
        r#"{"tryton": "8.2.1", "as_of": "2025-06-30", "timings_s": {
            "create customers": 0.5, "(a) create+post invoices (batches of 500)": 0.2,
            "register payments (1 full, 1 partial)": 0.2, "(b) generate_dunnings, run 1": 0.1,
            "(c) process (fees+state), run 1": 0.1, "(b) generate_dunnings, all 5 runs": 0.3,
            "(c) process, all 5 runs": 0.3}}"#,
    );
    let peer = || {
        bench(&[
            "peer",
            "--tryton-dir",
            tryton.path().to_str().unwrap(),
            "--size",
            "3",
            "--repeat",
            "1",
            "--no-build",
        ])
    };
    let stdout = peer();
    assert!(
        stdout.contains("| job | Dun | Tryton 8.2.1 (python without -O) |"),
        "{stdout}"
    );
    assert!(stdout.contains("150.00 USD, the same as"), "{stdout}");

    // Tryton run with `python -O` (its fast mode) writes summary_N_O.json:
    // that one is compared when present, and the table says so.
    write(
        &out.join("summary_3_O.json"),
        r#"{"tryton": "8.2.1", "as_of": "2025-06-30", "python_optimize": 1, "timings_s": {
            "create customers": 0.4, "(a) create+post invoices (batches of 500)": 0.1,
            "register payments (1 full, 1 partial)": 0.1, "(b) generate_dunnings, run 1": 0.05,
            "(c) process (fees+state), run 1": 0.05, "(b) generate_dunnings, all 5 runs": 0.2,
            "(c) process, all 5 runs": 0.2}}"#,
    );
    let stdout = peer();
    assert!(
        stdout.contains("| job | Dun | Tryton 8.2.1 (python -O) |"),
        "{stdout}"
    );
    assert!(stdout.contains("summary_3_O.json"), "{stdout}");
}
