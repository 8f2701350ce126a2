//! Recurring invoices and statement schedules through the real binary, on
//! each database: `dun recurring …`, `dun statement-schedule …`, and the
//! daily run (`dun run`) issuing and queuing what is due, once — also when
//! several runs start at once, and when runs are killed (SIGKILL) midway.

mod common;

use common::{backends, fails, ok, Db};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn setup(db: &Db) {
    ok(
        db,
        &[
            "init",
            "--org",
            "Acme Supplies",
            "--currency",
            "USD",
            "--timezone",
            "UTC",
        ],
    );
    ok(
        db,
        &[
            "customer",
            "add",
            "--ref",
            "C1",
            "--name",
            "Bolt & Nut",
            "--email",
            "ap@bolt.example.com",
            "--terms",
            "net30",
        ],
    );
}

/// `dun run --as-of DAY --format json`, its schedules' part.
fn run_day(db: &Db, day: &str) -> serde_json::Value {
    json(&ok(db, &["run", "--as-of", day, "--format", "json"]))["schedules"].clone()
}

/// Issued invoices as `number issue-date total`, in number order (`dun
/// invoice list` shows only those issued by today, and these are dated
/// ahead).
fn invoices(db: &Db) -> Vec<String> {
    let mut out = Vec::new();
    for n in 1.. {
        let number = format!("INV-{n:06}");
        let shown = common::dun(db, &["invoice", "show", &number, "--format", "json"]);
        if !shown.ok {
            assert!(shown.stderr.contains("was not found"), "{}", shown.stderr);
            break;
        }
        let view = json(&shown.stdout);
        out.push(format!(
            "{number} {} {}",
            view["issue_date"].as_str().unwrap(),
            view["totals"]["total_minor"]
        ));
    }
    out
}

fn outbox_kinds(db: &Db) -> Vec<String> {
    json(&ok(db, &["outbox", "list", "--format", "json"]))
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_monthly_template_billed_across_a_month_boundary() {
    for db in backends("a_monthly_template_billed_across_a_month_boundary") {
        let label = db.label;
        setup(&db);
        let added = ok(
            &db,
            &[
                "recurring",
                "add",
                "C1",
                "--schedule",
                "monthly:1",
                "--line",
                "Hosting:1:100.00",
                "--line",
                "Support: on call:2:25.00",
                "--tax-rate",
                "10",
                "--starts",
                "2026-11-15",
                "--description",
                "Monthly service",
                "--author",
                "ann",
            ],
        );
        assert!(
            added.contains("Recurring invoice #1 for C1: 165.00 USD, day 1 of every month, first on 2026-12-01"),
            "[{label}] {added}"
        );
        let list = json(&ok(&db, &["recurring", "list", "--format", "json"]));
        assert_eq!(list[0]["next_date"], "2026-12-01", "[{label}]");
        assert_eq!(list[0]["schedule"], "monthly:1", "[{label}]");

        assert_eq!(run_day(&db, "2026-11-30")["issued"], 0, "[{label}]");
        // The preview says what the 1st will do and does not do it.
        let table = ok(&db, &["run", "--as-of", "2026-12-01", "--dry-run"]);
        assert!(
            table.contains("1 recurring invoice(s) due"),
            "[{label}] {table}"
        );
        assert!(
            invoices(&db).is_empty(),
            "[{label}] a preview writes nothing"
        );

        let first = run_day(&db, "2026-12-01");
        assert_eq!(first["issued"], 1, "[{label}] {first:#}");
        assert_eq!(first["invoices"][0]["number"], "INV-000001");
        assert_eq!(first["invoices"][0]["emailed"], true);
        // A second run the same day issues nothing, and says so.
        assert_eq!(run_day(&db, "2026-12-01")["issued"], 0, "[{label}]");
        let again = ok(&db, &["run", "--as-of", "2026-12-01"]);
        assert!(!again.contains("recurring invoice"), "[{label}] {again}");
        assert_eq!(run_day(&db, "2026-12-31")["issued"], 0, "[{label}]");
        // Across the month (and year) boundary.
        assert_eq!(run_day(&db, "2027-01-01")["issued"], 1, "[{label}]");
        assert_eq!(
            invoices(&db),
            ["INV-000001 2026-12-01 16500", "INV-000002 2027-01-01 16500"],
            "[{label}]"
        );
        let shown = ok(&db, &["invoice", "show", "INV-000002"]);
        assert!(shown.contains("Support: on call"), "[{label}] {shown}");
        assert!(
            shown.contains("due 2027-01-31"),
            "[{label}] net30 from the customer: {shown}"
        );
        // The invoice e-mails (the run's own reminder of the first is beside them).
        let kinds = outbox_kinds(&db);
        let mails = kinds.iter().filter(|k| *k == "invoice").count();
        assert_eq!(mails, 2, "[{label}] {kinds:?}");
        let timeline = ok(&db, &["customer", "timeline", "C1"]);
        assert!(
            timeline.contains("Issued INV-000002 (165.00 USD) from recurring invoice #1"),
            "[{label}] {timeline}"
        );
    }
}

#[test]
fn a_missed_week_is_caught_up_once() {
    for db in backends("a_missed_week_is_caught_up_once") {
        let label = db.label;
        setup(&db);
        ok(
            &db,
            &[
                "recurring",
                "add",
                "C1",
                "--schedule",
                "weekly:1",
                "--starts",
                "2026-11-02",
                "--line",
                "Cleaning:1:80.00",
                "--no-email",
            ],
        );
        assert_eq!(run_day(&db, "2026-11-02")["issued"], 1, "[{label}]");
        // No run on the 9th: on the 16th only the 16th is billed.
        let late = run_day(&db, "2026-11-16");
        assert_eq!(late["issued"], 1, "[{label}] {late:#}");
        assert_eq!(late["invoices"][0]["occurrence"], "2026-11-16");
        assert_eq!(late["invoices"][0]["missed_count"], 1);
        assert_eq!(run_day(&db, "2026-11-16")["issued"], 0, "[{label}]");
        assert_eq!(
            invoices(&db),
            ["INV-000001 2026-11-02 8000", "INV-000002 2026-11-16 8000"],
            "[{label}]"
        );
        let worklist = ok(&db, &["worklist", "--format", "json"]);
        assert!(
            worklist.contains("not billed while no daily run happened (2026-11-09)"),
            "[{label}] {worklist}"
        );
        assert!(outbox_kinds(&db).is_empty(), "[{label}] --no-email");
    }
}

#[test]
fn pause_and_resume_a_recurring_invoice() {
    for db in backends("pause_and_resume_a_recurring_invoice") {
        let label = db.label;
        setup(&db);
        ok(
            &db,
            &[
                "recurring",
                "add",
                "C1",
                "--schedule",
                "monthly:last",
                "--starts",
                "2027-01-01",
                "--line",
                "Rent:1:900.00",
            ],
        );
        let paused = ok(&db, &["recurring", "pause", "1", "--on", "2027-01-10"]);
        assert!(
            paused.contains("Paused recurring invoice #1"),
            "[{label}] {paused}"
        );
        let twice = fails(&db, &["recurring", "pause", "1"]);
        assert!(twice.contains("already paused"), "[{label}] {twice}");
        assert_eq!(run_day(&db, "2027-01-31")["issued"], 0, "[{label}]");
        let resumed = ok(&db, &["recurring", "resume", "1", "--on", "2027-02-03"]);
        assert!(
            resumed.contains("next invoice on 2027-02-28"),
            "[{label}] the last day of February: {resumed}"
        );
        assert_eq!(run_day(&db, "2027-02-28")["issued"], 1, "[{label}]");
        assert_eq!(invoices(&db), ["INV-000001 2027-02-28 90000"], "[{label}]");
        ok(&db, &["recurring", "end", "1"]);
        assert_eq!(run_day(&db, "2027-03-31")["issued"], 0, "[{label}]");
        let list = ok(&db, &["recurring", "list", "--status", "ended"]);
        assert!(list.contains("monthly:31"), "[{label}] {list}");
        let unknown = fails(&db, &["recurring", "pause", "9"]);
        assert!(
            unknown.contains("recurring invoice '#9' was not found"),
            "[{label}] {unknown}"
        );
    }
}

#[test]
fn statements_on_a_schedule_and_bad_input() {
    for db in backends("statements_on_a_schedule_and_bad_input") {
        let label = db.label;
        setup(&db);
        ok(
            &db,
            &[
                "statement-schedule",
                "set",
                "C1",
                "--schedule",
                "monthly:1",
                "--starts",
                "2026-11-24",
            ],
        );
        let listed = json(&ok(
            &db,
            &["statement-schedule", "list", "--format", "json"],
        ));
        assert_eq!(listed[0]["next_date"], "2026-12-01", "[{label}]");
        let run = run_day(&db, "2026-12-01");
        assert_eq!(run["statements_queued"], 1, "[{label}] {run:#}");
        assert_eq!(run["statements"][0]["period_start"], "2026-11-01");
        assert_eq!(run["statements"][0]["period_end"], "2026-11-30");
        assert_eq!(
            run_day(&db, "2026-12-01")["statements_queued"],
            0,
            "[{label}]"
        );
        assert_eq!(outbox_kinds(&db), ["statement"], "[{label}]");
        ok(&db, &["statement-schedule", "pause", "C1"]);

        let bad = fails(
            &db,
            &[
                "recurring",
                "add",
                "C1",
                "--schedule",
                "fortnightly",
                "--line",
                "x:1:1.00",
            ],
        );
        assert!(
            bad.contains("--schedule: 'fortnightly' is not a schedule")
                && bad.contains("accepted: monthly:1"),
            "[{label}] {bad}"
        );
        let bad = fails(
            &db,
            &[
                "recurring",
                "add",
                "C1",
                "--schedule",
                "monthly:1",
                "--line",
                "x:1:1.0000001",
            ],
        );
        assert!(
            bad.contains("--line 'x:1:1.0000001': unit price: '1.0000001' has 7 digits after the point; a unit price in USD takes at most 6"),
            "[{label}] {bad}"
        );
        let bad = fails(
            &db,
            &[
                "recurring",
                "add",
                "C1",
                "--schedule",
                "monthly:1",
                "--line",
                "x:1:1.00",
                "--starts",
                "2026-12-02",
                "--ends",
                "2026-12-31",
            ],
        );
        assert!(
            bad.contains("the first would be 2027-01-01"),
            "[{label}] {bad}"
        );
        let none = json(&ok(&db, &["recurring", "list", "--format", "json"]));
        assert_eq!(
            none,
            serde_json::json!([]),
            "[{label}] refused adds wrote nothing"
        );
    }
}

/// `dun run` processes started at once for the same day.
const PROCESSES: usize = 4;
/// Customers, each with a monthly template and a statement schedule.
const CUSTOMERS: usize = 5;

#[test]
fn processes_running_the_same_day_issue_each_invoice_once() {
    for db in backends("processes_running_the_same_day_issue_each_invoice_once") {
        let label = db.label;
        setup(&db);
        for n in 0..CUSTOMERS {
            let reference = format!("K{n}");
            ok(
                &db,
                &[
                    "customer", "add", "--ref", &reference, "--name", &reference, "--terms",
                    "net30",
                ],
            );
            ok(
                &db,
                &[
                    "recurring",
                    "add",
                    &reference,
                    "--schedule",
                    "monthly:1",
                    "--starts",
                    "2026-12-01",
                    "--line",
                    "Hosting:1:100.00",
                ],
            );
            ok(
                &db,
                &[
                    "statement-schedule",
                    "set",
                    &reference,
                    "--schedule",
                    "monthly:1",
                    "--starts",
                    "2026-12-01",
                ],
            );
        }
        let children: Vec<std::process::Child> = (0..PROCESSES)
            .map(|_| {
                std::process::Command::new(env!("CARGO_BIN_EXE_dun"))
                    .args([
                        "--db",
                        &db.url,
                        "run",
                        "--as-of",
                        "2026-12-01",
                        "--format",
                        "json",
                    ])
                    .env_remove("DUN_ORG")
                    .env_remove("DUN_DATABASE_URL")
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("start dun run")
            })
            .collect();
        let mut issued = 0;
        let mut queued = 0;
        for child in children {
            let out = child.wait_with_output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "[{label}] {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let schedules = json(&stdout)["schedules"].clone();
            issued += schedules["issued"].as_u64().unwrap();
            queued += schedules["statements_queued"].as_u64().unwrap();
        }
        assert_eq!(issued as usize, CUSTOMERS, "[{label}] reported once each");
        assert_eq!(queued as usize, CUSTOMERS, "[{label}]");
        assert_eq!(invoices(&db).len(), CUSTOMERS, "[{label}]");
        let kinds = outbox_kinds(&db);
        let count = |kind: &str| kinds.iter().filter(|k| *k == kind).count();
        assert_eq!(
            (count("invoice"), count("statement")),
            (CUSTOMERS, CUSTOMERS),
            "[{label}] {kinds:?}"
        );
    }
}

/// Customers (each with a monthly template) in the kill test.
const KILL_CUSTOMERS: usize = 30;
/// `dun run` processes killed with SIGKILL at random moments.
const KILLS: usize = 50;
/// Longest wait before a kill, in milliseconds.
const KILL_AFTER_MS_MAX: u64 = 200;

#[test]
fn a_run_killed_at_random_moments_issues_each_invoice_once() {
    for db in backends("a_run_killed_at_random_moments_issues_each_invoice_once") {
        let label = db.label;
        setup(&db);
        for n in 0..KILL_CUSTOMERS {
            let reference = format!("K{n}");
            ok(
                &db,
                &[
                    "customer", "add", "--ref", &reference, "--name", &reference, "--terms",
                    "net30",
                ],
            );
            ok(
                &db,
                &[
                    "recurring",
                    "add",
                    &reference,
                    "--schedule",
                    "monthly:1",
                    "--starts",
                    "2026-12-01",
                    "--line",
                    "Hosting:1:100.00",
                ],
            );
        }
        // A fixed-seed LCG: the same moments each time the test runs.
        let mut seed: u64 = 0x005e_ed0f_d0d0;
        let mut killed_running = 0;
        for _ in 0..KILLS {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let after = std::time::Duration::from_millis((seed >> 33) % KILL_AFTER_MS_MAX);
            let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dun"))
                .args(["--db", &db.url, "run", "--as-of", "2026-12-01"])
                .env_remove("DUN_ORG")
                .env_remove("DUN_DATABASE_URL")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("start dun run");
            std::thread::sleep(after);
            if child.try_wait().unwrap().is_none() {
                killed_running += 1;
            }
            let _ = child.kill(); // SIGKILL on Unix
            let _ = child.wait();
        }
        assert!(
            killed_running > 0,
            "[{label}] no run was killed while running; raise KILL_AFTER_MS_MAX's spread"
        );
        // What the kills left behind, before the last run.
        let list = json(&ok(&db, &["recurring", "list", "--format", "json"]));
        let issued_before = list
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| !r["last_issued_date"].is_null())
            .count();
        eprintln!(
            "[{label}] {killed_running} of {KILLS} runs killed while running; {issued_before} of {KILL_CUSTOMERS} templates recorded issued before the last run"
        );
        // Whatever the kills left (pending occurrences), a last run finishes.
        ok(&db, &["run", "--as-of", "2026-12-01"]);
        assert_eq!(run_day(&db, "2026-12-01")["issued"], 0, "[{label}]");
        let issued = invoices(&db);
        assert_eq!(issued.len(), KILL_CUSTOMERS, "[{label}] {issued:#?}");
        let kinds = outbox_kinds(&db);
        let mails = kinds.iter().filter(|k| *k == "invoice").count();
        assert_eq!(
            mails, KILL_CUSTOMERS,
            "[{label}] one e-mail each: {kinds:?}"
        );
        let list = json(&ok(&db, &["recurring", "list", "--format", "json"]));
        for r in list.as_array().unwrap() {
            assert_eq!(r["last_issued_date"], "2026-12-01", "[{label}] {r:#}");
            assert_eq!(r["next_date"], "2027-01-01", "[{label}] {r:#}");
        }
    }
}
