//! A collector's week with one customer, through the real binary, on each
//! database: a credit limit that refuses an invoice until a person
//! overrides it, a call with a promise, a dispute, a payment plan,
//! collateral, the worklist, and the timeline that shows all of it.

mod common;

use common::{backends, dun, fails, ok, Db};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn timeline_kinds(db: &Db) -> Vec<String> {
    let out = ok(db, &["customer", "timeline", "C1", "--format", "json"]);
    json(&out)
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_new_command_has_help() {
    let db = common::sqlite();
    for command in [
        &["log", "call"][..],
        &["log", "note"],
        &["log", "reply"],
        &["log", "promise"],
        &["log", "dispute"],
        &["dispute", "list"],
        &["dispute", "resolve"],
        &["plan", "create"],
        &["plan", "list"],
        &["collateral", "add"],
        &["collateral", "list"],
        &["worklist"],
        &["task", "done"],
        &["task", "add"],
        &["customer", "pause"],
        &["customer", "resume"],
        &["customer", "status"],
        &["customer", "timeline"],
        &["customer", "edit"],
        &["customer", "claim-file"],
        &["task", "decide"],
        &["escalations"],
        &["invoice", "waive"],
        &["backup"],
        &["invoice", "issue"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let run = dun(&db, &args);
        assert!(run.ok, "dun {args:?}: {}", run.stderr);
        assert!(
            run.stdout.contains("Usage:"),
            "dun {args:?}: {}",
            run.stdout
        );
    }
    let run = dun(&db, &["invoice", "issue", "--help"]);
    assert!(run.stdout.contains("--override-reason"), "{}", run.stdout);
}

#[test]
fn a_collectors_week_is_on_the_timeline() {
    for db in backends("a_collectors_week_is_on_the_timeline") {
        let label = db.label;
        ok(
            &db,
            &[
                "init",
                "--org",
                "Acme Supplies",
                "--currency",
                "USD",
                "--timezone",
                "Europe/London",
            ],
        );
        ok(
            &db,
            &[
                "customer",
                "add",
                "--ref",
                "C1",
                "--name",
                "Bolt & Nut",
                "--credit-limit",
                "1000.00",
            ],
        );
        ok(
            &db,
            &[
                "invoice",
                "create",
                "--customer",
                "C1",
                "--issue-date",
                "2026-01-10",
                "--line",
                "Pallets:1:800.00",
                "--issue",
            ],
        );
        ok(
            &db,
            &[
                "invoice",
                "create",
                "--customer",
                "C1",
                "--issue-date",
                "2026-01-12",
                "--line",
                "Crates:2:150.00",
            ],
        );

        // Over the limit: refused, saying by how much, and nothing issued.
        let err = fails(&db, &["invoice", "issue", "#2"]);
        assert!(
            err.contains("credit limit of 1000.00 USD")
                && err.contains("owe 1100.00 USD")
                && err.contains("--override-reason"),
            "[{label}] {err}"
        );
        let out = ok(&db, &["invoice", "list", "--format", "json"]);
        assert_eq!(json(&out).as_array().unwrap().len(), 2, "[{label}]");
        let out = ok(
            &db,
            &[
                "invoice",
                "issue",
                "#2",
                "--override-reason",
                "deposit of 300.00 received",
                "--author",
                "alice",
            ],
        );
        assert!(out.contains("INV-000002"), "[{label}] {out}");

        // A call with a promise, a dispute, a plan, collateral, a task.
        let out = ok(
            &db,
            &[
                "log",
                "call",
                "C1",
                "--outcome",
                "will pay the pallets",
                "--note",
                "spoke to Sam",
                "--promise-amount",
                "400.00",
                "--promise-date",
                "2026-03-01",
                "--invoice",
                "INV-000001",
                "--on",
                "2026-02-15",
                "--author",
                "dana",
            ],
        );
        assert!(
            out.contains("promise #1") && out.contains("400.00 USD by 2026-03-01"),
            "[{label}] {out}"
        );
        let err = fails(
            &db,
            &[
                "log",
                "promise",
                "C1",
                "--amount",
                "10.00",
                "--date",
                "2026-02-01",
                "--on",
                "2026-02-15",
            ],
        );
        assert!(err.contains("before"), "[{label}] {err}");
        ok(
            &db,
            &["log", "note", "C1", "Prefers email", "--on", "2026-02-15"],
        );
        let err = fails(
            &db,
            &[
                "log",
                "dispute",
                "INV-000002",
                "--reason",
                "x",
                "--line",
                "9",
            ],
        );
        assert!(err.contains("no line 9"), "[{label}] {err}");
        // The reason's limit is in characters, as the portal and the API say it.
        let greek = "λ".repeat(1001);
        let err = fails(&db, &["log", "dispute", "INV-000002", "--reason", &greek]);
        assert!(
            err.contains("reason: at most 1000 characters (1001 given)"),
            "[{label}] {err}"
        );
        let out = ok(
            &db,
            &[
                "log",
                "dispute",
                "INV-000002",
                "--reason",
                "one crate arrived broken",
                "--line",
                "1",
                "--on",
                "2026-02-16",
            ],
        );
        assert!(out.contains("dispute #1"), "[{label}] {out}");
        let out = ok(&db, &["dispute", "list", "--format", "csv"]);
        assert!(
            out.lines().count() == 2 && out.contains("INV-000002"),
            "[{label}] {out}"
        );
        let err = fails(
            &db,
            &[
                "plan",
                "create",
                "C1",
                "--invoice",
                "INV-000001",
                "--installment",
                "2026-03-01=300.00",
                "--on",
                "2026-02-17",
            ],
        );
        assert!(
            err.contains("300.00 USD") && err.contains("800.00 USD"),
            "[{label}] {err}"
        );
        let out = ok(
            &db,
            &[
                "plan",
                "create",
                "C1",
                "--invoice",
                "INV-000001",
                "--split",
                "3",
                "--first",
                "2026-03-01",
                "--every-days",
                "30",
                "--on",
                "2026-02-17",
            ],
        );
        assert!(
            out.contains("266.67") && out.contains("266.66") && out.contains("2026-03-31"),
            "[{label}] {out}"
        );
        let out = ok(&db, &["plan", "list", "--format", "json"]);
        assert_eq!(json(&out)[0]["opening_minor"], 80000, "[{label}] {out}");
        ok(
            &db,
            &[
                "collateral",
                "add",
                "C1",
                "--kind",
                "letter_of_credit",
                "--amount",
                "500.00",
                "--expires",
                "2026-03-10",
                "--reference",
                "LC-9",
                "--on",
                "2026-02-17",
            ],
        );
        let err = fails(
            &db,
            &["collateral", "add", "C1", "--kind", "ious", "--amount", "1"],
        );
        assert!(err.contains("letter_of_credit"), "[{label}] {err}");
        let out = ok(&db, &["collateral", "list"]);
        assert!(
            out.contains("letter_of_credit") && out.contains("2026-03-10"),
            "[{label}] {out}"
        );
        let out = ok(
            &db,
            &[
                "task",
                "add",
                "C1",
                "Call about the broken crate",
                "--due",
                "2026-02-18",
                "--on",
                "2026-02-17",
            ],
        );
        assert!(out.contains("task #"), "[{label}] {out}");

        // The worklist: the task with what is owed, how late, the last contact.
        let out = ok(&db, &["worklist", "--as-of", "2026-02-20"]);
        for column in [
            "priority",
            "customer",
            "owed",
            "days late",
            "tier",
            "last contact",
            "next step",
            "task",
        ] {
            assert!(out.contains(column), "[{label}] {column}: {out}");
        }
        assert!(
            out.contains("C1")
                && out.contains("1100.00 USD")
                && out.contains("Call about the broken crate"),
            "[{label}] {out}"
        );
        let rows = json(&ok(
            &db,
            &["worklist", "--as-of", "2026-02-20", "--format", "json"],
        ));
        let row = &rows[0];
        // INV-000001 was due 2026-02-09 (net 30): 11 days late on the 20th.
        assert_eq!(row["days_late"], 11, "[{label}] {row}");
        assert_eq!(row["last_contact"]["kind"], "plan", "[{label}] {row}");
        let task_id = row["task_id"].as_i64().unwrap().to_string();
        let out = ok(&db, &["worklist", "--as-of", "2026-02-17"]);
        assert!(
            out.contains("No open tasks"),
            "[{label}] not due yet: {out}"
        );

        // Show: status, tier, collateral, promises, disputes, plans.
        let out = ok(&db, &["customer", "show", "C1"]);
        for part in [
            "credit status active",
            "tier new",
            "letter_of_credit",
            "promise #1",
            "dispute #1",
            "payment plan #1",
        ] {
            assert!(out.contains(part), "[{label}] {part}: {out}");
        }

        // Closing things.
        ok(
            &db,
            &[
                "task",
                "done",
                &task_id,
                "--outcome",
                "agreed a credit note",
                "--on",
                "2026-02-20",
            ],
        );
        let out = ok(
            &db,
            &[
                "dispute",
                "resolve",
                "1",
                "--credit-note",
                "150.00",
                "--reason",
                "broken crate",
                "--on",
                "2026-02-20",
            ],
        );
        assert!(out.contains("CN-000001"), "[{label}] {out}");
        let out = ok(&db, &["invoice", "show", "INV-000002", "--format", "json"]);
        assert_eq!(json(&out)["open_minor"], 15000, "[{label}] {out}");
        // The reference a payer quotes, as the invoice's PDF prints it.
        let reference = json(&out)["payment_reference"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            dun_core::reference::CreditorReference::parse(&reference)
                .is_ok_and(|r| r.subject().is_some()),
            "[{label}] {out}"
        );
        let shown = ok(&db, &["invoice", "show", "INV-000002"]);
        assert!(shown.contains("payment reference RF"), "[{label}] {shown}");
        ok(
            &db,
            &[
                "customer",
                "pause",
                "C1",
                "--until",
                "2026-03-05",
                "--reason",
                "owner in hospital",
                "--on",
                "2026-02-21",
            ],
        );
        ok(&db, &["customer", "resume", "C1", "--on", "2026-02-22"]);
        ok(
            &db,
            &[
                "customer",
                "status",
                "C1",
                "cod_required",
                "--reason",
                "two broken promises",
                "--on",
                "2026-02-22",
            ],
        );
        let err = fails(
            &db,
            &[
                "invoice",
                "create",
                "--customer",
                "C1",
                "--line",
                "Nails:1:1.00",
                "--issue",
            ],
        );
        assert!(err.contains("cod_required"), "[{label}] {err}");

        // The timeline shows all of it, newest first.
        assert_eq!(
            timeline_kinds(&db),
            [
                "status_change",
                "resume",
                "pause",
                "dispute_resolved",
                "task_done",
                "task",
                "collateral",
                "plan",
                "dispute",
                "note",
                "promise",
                "call",
                "override",
                "invoice_issued",
                "invoice_issued",
            ],
            "[{label}]"
        );
        let out = ok(&db, &["customer", "timeline", "C1", "--limit", "20"]);
        assert!(
            out.contains("alice")
                && out.contains("deposit of 300.00 received")
                && out.contains("dana"),
            "[{label}] {out}"
        );
        let out = ok(
            &db,
            &[
                "customer", "timeline", "C1", "--limit", "2", "--format", "csv",
            ],
        );
        assert_eq!(out.lines().count(), 3, "[{label}] {out}");
        ok(&db, &["verify"]);
    }
}

#[test]
fn other_currencies_count_toward_a_limit_through_rates_and_a_refusal_leaves_no_draft() {
    for db in backends("other_currencies_count_toward_a_limit_through_rates") {
        let label = db.label;
        ok(
            &db,
            &[
                "init",
                "--org",
                "Acme Supplies",
                "--currency",
                "USD",
                "--timezone",
                "Europe/London",
            ],
        );
        ok(
            &db,
            &[
                "customer",
                "add",
                "--ref",
                "C1",
                "--name",
                "Bolt & Nut",
                "--credit-limit",
                "1000.00",
            ],
        );
        let euros = [
            "invoice",
            "create",
            "--customer",
            "C1",
            "--currency",
            "EUR",
            "--issue-date",
            "2026-01-10",
            "--line",
            "Pallets:1:50000.00",
            "--issue",
        ];
        // No rate: refused, naming it, and no draft is left behind.
        let err = fails(&db, &euros);
        assert!(
            err.contains("no exchange rate from EUR to USD is set for 2026-01-10")
                && err.contains("dun rates set EUR USD"),
            "[{label}] {err}"
        );
        let out = ok(&db, &["invoice", "list", "--format", "json"]);
        assert_eq!(json(&out).as_array().unwrap().len(), 0, "[{label}] {out}");
        let out = ok(
            &db,
            &[
                "rates",
                "set",
                "EUR",
                "USD",
                "1.08",
                "--from",
                "2026-01-01",
                "--author",
                "ann",
            ],
        );
        assert!(
            out.contains("From 2026-01-01, 1 EUR counts as 1.08 USD"),
            "[{label}] {out}"
        );
        let err = fails(&db, &euros);
        assert!(
            err.contains("would owe 54000.00 USD against a credit limit of 1000.00 USD"),
            "[{label}] {err}"
        );
        let out = ok(&db, &["invoice", "list", "--format", "json"]);
        assert_eq!(json(&out).as_array().unwrap().len(), 0, "[{label}] {out}");
        let out = ok(&db, &["rates", "list", "--format", "json"]);
        let list = json(&out);
        assert_eq!(
            (
                list[0]["rate"]["from"].as_str(),
                list[0]["rate"]["rate"].as_str(),
                list[0]["rate"]["effective_from"].as_str(),
                list[0]["author"].as_str()
            ),
            (Some("EUR"), Some("1.08"), Some("2026-01-01"), Some("ann")),
            "[{label}] {out}"
        );
    }
}
