//! A bookkeeper's first day, through the real binary, on each database.

mod common;

use common::{backends, dun, fails, ok};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

#[test]
fn a_first_day_with_the_book() {
    for db in backends("a_first_day_with_the_book") {
        let label = db.label;
        let err = fails(
            &db,
            &[
                "init",
                "--org",
                "Acme Supplies",
                "--currency",
                "USD",
                "--timezone",
                "Mars/Olympus",
            ],
        );
        assert!(
            err.contains("--timezone") && err.contains("Mars/Olympus"),
            "[{label}] {err}"
        );
        let err = fails(
            &db,
            &[
                "init",
                "--org",
                "Acme Supplies",
                "--currency",
                "USX",
                "--timezone",
                "Europe/London",
            ],
        );
        assert!(
            err.contains("--currency") && err.contains("ISO 4217"),
            "[{label}] {err}"
        );
        ok(
            &db,
            &[
                "init",
                "--org",
                "Acme Supplies",
                "--currency",
                "USD",
                "--timezone",
                "America/Chicago",
            ],
        );

        let err = fails(
            &db,
            &[
                "customer",
                "add",
                "--ref",
                "C1",
                "--name",
                "Bolt & Nut",
                "--email",
                "not-an-email",
            ],
        );
        assert!(err.contains("email"), "[{label}] {err}");
        ok(
            &db,
            &[
                "customer",
                "add",
                "--ref",
                "C1",
                "--name",
                "Bolt & Nut",
                "--email",
                "ap@bolt.example",
                "--terms",
                "net30",
            ],
        );
        ok(
            &db,
            &[
                "customer",
                "add",
                "--ref",
                "C2",
                "--name",
                "Widget Works",
                "--terms",
                "eom15",
            ],
        );
        let err = fails(&db, &["customer", "add", "--ref", "C2", "--name", "Again"]);
        assert!(err.contains("already exists"), "[{label}] {err}");

        // 2 × 120.00 + 1 × 0.99, 10 % tax: net 240.99, tax 24.10, total 265.09
        let out = ok(
            &db,
            &[
                "invoice",
                "create",
                "--customer",
                "C1",
                "--issue-date",
                "2026-01-10",
                "--line",
                "Design work:2:120.00",
                "--line",
                "Postage: small:1:0.99",
                "--tax-rate",
                "10",
                "--issue",
            ],
        );
        assert!(
            out.contains("INV-000001") && out.contains("265.09"),
            "[{label}] {out}"
        );
        let out = ok(
            &db,
            &[
                "invoice",
                "create",
                "--customer",
                "C1",
                "--issue-date",
                "2026-02-01",
                "--line",
                "Support:1:100.00",
                "--issue",
            ],
        );
        assert!(out.contains("INV-000002"), "[{label}] {out}");
        // A draft has no number until it is issued.
        let out = ok(
            &db,
            &[
                "invoice",
                "create",
                "--customer",
                "C2",
                "--issue-date",
                "2026-01-20",
                "--line",
                "Widgets:10:5.00",
            ],
        );
        assert!(out.contains("draft #3"), "[{label}] {out}");
        let out = ok(&db, &["invoice", "issue", "#3"]);
        assert!(out.contains("INV-000003"), "[{label}] {out}");
        let err = fails(&db, &["invoice", "issue", "INV-000003"]);
        assert!(err.contains("already issued"), "[{label}] {err}");

        // 300.00 pays INV-000001 (oldest due) in full and 34.91 of INV-000002.
        let out = ok(
            &db,
            &[
                "payment",
                "record",
                "--customer",
                "C1",
                "--amount",
                "300.00",
                "--date",
                "2026-02-20",
                "--reference",
                "wire 1",
                "--idempotency-key",
                "bank-line-77",
            ],
        );
        assert!(
            out.contains("INV-000001") && out.contains("265.09") && out.contains("34.91"),
            "[{label}] {out}"
        );
        // The same bank line again posts nothing new.
        ok(
            &db,
            &[
                "payment",
                "record",
                "--customer",
                "C1",
                "--amount",
                "300.00",
                "--date",
                "2026-02-20",
                "--reference",
                "wire 1",
                "--idempotency-key",
                "bank-line-77",
            ],
        );
        let shown = json(&ok(
            &db,
            &[
                "invoice",
                "show",
                "INV-000002",
                "--as-of",
                "2026-03-01",
                "--format",
                "json",
            ],
        ));
        assert_eq!(shown["open_minor"], 6509, "[{label}] {shown}");
        assert_eq!(shown["status"], "partially_paid", "[{label}]");
        let shown = json(&ok(
            &db,
            &[
                "invoice",
                "show",
                "INV-000001",
                "--as-of",
                "2026-02-19",
                "--format",
                "json",
            ],
        ));
        assert_eq!(
            shown["status"], "open",
            "[{label}] as of the day before the payment it was still open"
        );

        let err = fails(&db, &["invoice", "void", "INV-000001"]);
        assert!(err.contains("reverse those first"), "[{label}] {err}");
        let err = fails(
            &db,
            &[
                "credit-note",
                "INV-000002",
                "--amount",
                "70.00",
                "--reason",
                "too much",
                "--date",
                "2026-03-01",
            ],
        );
        assert!(
            err.contains("65.09") && err.contains("cannot be taken off"),
            "[{label}] {err}"
        );
        let out = ok(
            &db,
            &[
                "credit-note",
                "INV-000002",
                "--amount",
                "15.09",
                "--reason",
                "damaged box",
                "--date",
                "2026-03-01",
            ],
        );
        assert!(out.contains("CN-000001"), "[{label}] {out}");
        ok(
            &db,
            &[
                "write-off",
                "INV-000002",
                "--reason",
                "not worth chasing",
                "--date",
                "2026-03-02",
            ],
        );

        // Widget Works: 50.00 due 2026-02-15 (eom15), 74 days past due on 2026-04-30.
        let aging = json(&ok(
            &db,
            &["aging", "--as-of", "2026-04-30", "--format", "json"],
        ));
        let total = &aging["totals"][0];
        assert_eq!(total["currency"], "USD");
        assert_eq!(total["total_minor"], 5000, "[{label}] {aging}");
        assert_eq!(total["buckets"][3]["bucket"], "61-90");
        assert_eq!(total["buckets"][3]["amount_minor"], 5000);
        // As of an earlier day the C1 invoices were still open.
        let aging = json(&ok(
            &db,
            &["aging", "--as-of", "2026-02-10", "--format", "json"],
        ));
        assert_eq!(
            aging["totals"][0]["total_minor"],
            26509 + 10000 + 5000,
            "[{label}] {aging}"
        );
        let csv = ok(
            &db,
            &[
                "aging",
                "--as-of",
                "2026-04-30",
                "--detail",
                "--format",
                "csv",
            ],
        );
        assert!(
            csv.starts_with("customer,invoice,due,days past due,bucket,currency,open"),
            "[{label}] {csv}"
        );
        assert!(
            csv.contains("C2,INV-000003,2026-02-15,74,61-90,USD,50.00"),
            "[{label}] {csv}"
        );

        let out = ok(&db, &["verify"]);
        assert!(out.starts_with("ok"), "[{label}] {out}");
        let run = dun(&db, &["aging", "--as-of", "2026-13-01"]);
        assert!(
            !run.ok && run.stderr.contains("--as-of"),
            "[{label}] {}",
            run.stderr
        );
    }
}

#[test]
fn export_imports_back_into_an_empty_book() {
    for db in backends("export_imports_back") {
        let label = db.label;
        ok(
            &db,
            &[
                "demo",
                "--invoices",
                "300",
                "--end-date",
                "2026-06-30",
                "--seed",
                "7",
            ],
        );
        // Issue 18 item 2: values a spreadsheet would run as formulas.
        let formula = "=cmd|' /C calc'!A0";
        ok(
            &db,
            &["customer", "add", "--ref", "X1", "--name", "+SUM(A1:A9)"],
        );
        ok(
            &db,
            &[
                "payment",
                "record",
                "--customer",
                "X1",
                "--amount",
                "1.00",
                "--date",
                "2026-06-01",
                "--reference",
                formula,
            ],
        );
        let dir = tempfile::tempdir().unwrap();
        for what in ["customers", "invoices", "payments"] {
            let path = dir.path().join(format!("{what}.csv"));
            ok(&db, &["export", what, "--output", path.to_str().unwrap()]);
            let text = std::fs::read_to_string(&path).unwrap();
            let mut cells = csv::Reader::from_reader(text.as_bytes());
            for record in cells.records() {
                for cell in record.unwrap().iter() {
                    let formula_like = cell.starts_with(['=', '+', '@', '\t', '\r'])
                        || (cell.starts_with('-') && cell.parse::<f64>().is_err());
                    assert!(
                        !formula_like,
                        "[{label}] {what}.csv has a formula cell: {cell}"
                    );
                }
            }
        }
        let listed = ok(&db, &["payment", "list", "--format", "csv"]);
        assert!(listed.contains("'=cmd"), "[{label}] {listed}");
        let before = ok(&db, &["aging", "--as-of", "2026-06-30", "--format", "csv"]);
        let copy = common::sqlite();
        ok(
            &copy,
            &[
                "init",
                "--org",
                "Demo Trading Co",
                "--currency",
                "USD",
                "--timezone",
                "America/New_York",
            ],
        );
        for what in ["customers", "invoices", "payments"] {
            let path = dir.path().join(format!("{what}.csv"));
            ok(&copy, &["import", what, path.to_str().unwrap()]);
        }
        let after = ok(
            &copy,
            &["aging", "--as-of", "2026-06-30", "--format", "csv"],
        );
        assert_eq!(
            before, after,
            "[{label}] the exported book ages the same once imported"
        );
        // Neutralised on the way out, exactly restored on the way in.
        let payments = json(&ok(&copy, &["payment", "list", "--format", "json"]));
        assert!(
            payments
                .to_string()
                .contains(&serde_json::to_string(formula).unwrap()),
            "[{label}] the reference reads back as written: {payments}"
        );
        let customer = ok(&copy, &["customer", "show", "X1"]);
        assert!(customer.contains("+SUM(A1:A9)"), "[{label}] {customer}");
        assert!(
            before.lines().count() > 3,
            "[{label}] the demo book has open items:\n{before}"
        );
    }
}

#[test]
fn refunds_are_in_the_payments_own_currency() {
    for db in backends("refunds_in_own_currency") {
        let label = db.label;
        ok(
            &db,
            &[
                "init",
                "--org",
                "Acme",
                "--currency",
                "USD",
                "--timezone",
                "Asia/Tokyo",
            ],
        );
        ok(
            &db,
            &["customer", "add", "--ref", "JP1", "--name", "Kyoto Trading"],
        );
        let out = ok(
            &db,
            &[
                "payment",
                "record",
                "--customer",
                "JP1",
                "--amount",
                "1000",
                "--currency",
                "JPY",
                "--allocate",
                "none",
            ],
        );
        assert!(out.contains("payment #1 of 1000 JPY"), "[{label}] {out}");
        let err = fails(
            &db,
            &[
                "payment", "refund", "1", "--amount", "0.5", "--reason", "overpaid",
            ],
        );
        assert!(err.contains("JPY allows 0"), "[{label}] {err}");
        let out = ok(
            &db,
            &[
                "payment", "refund", "1", "--amount", "400", "--reason", "overpaid",
            ],
        );
        assert!(
            out.contains("unallocated credit 600 JPY"),
            "[{label}] {out}"
        );
        let err = fails(
            &db,
            &[
                "payment", "refund", "1", "--amount", "601", "--reason", "overpaid",
            ],
        );
        assert!(
            err.contains("600") && err.contains("unallocated"),
            "[{label}] {err}"
        );
    }
}

#[test]
fn an_operator_sets_a_users_password_from_the_command_line() {
    // Issue 18 item 4: `DUN_PASSWORD=new dun user add existing@…` said
    // "Added" and kept the old password; `dun user password` sets it.
    for db in backends("an_operator_sets_a_users_password") {
        let label = db.label;
        ok(
            &db,
            &[
                "init",
                "--org",
                "Acme",
                "--currency",
                "USD",
                "--timezone",
                "UTC",
            ],
        );
        let with_password = |args: &[&str], password: &str| {
            std::process::Command::new(env!("CARGO_BIN_EXE_dun"))
                .arg("--db")
                .arg(&db.url)
                .args(args)
                .env_remove("DUN_DATABASE_URL")
                .env_remove("DUN_ORG")
                .env("DUN_PASSWORD", password)
                .output()
                .unwrap()
        };
        let added = with_password(
            &[
                "user",
                "add",
                "ann@acme.example",
                "--name",
                "Ann",
                "--role",
                "owner",
            ],
            "correct horse battery",
        );
        assert!(added.status.success(), "[{label}] {added:?}");
        let short = with_password(&["user", "password", "ann@acme.example"], "short");
        assert!(
            !short.status.success(),
            "[{label}] a short password is refused"
        );
        let changed = with_password(
            &["user", "password", "ann@acme.example"],
            "a much longer phrase",
        );
        let said = String::from_utf8_lossy(&changed.stdout);
        assert!(
            changed.status.success() && said.contains("Changed the password of ann@acme.example"),
            "[{label}] {changed:?}"
        );
        let mut store = dun_store::Store::open(&db.url).unwrap();
        assert!(store
            .check_password("ann@acme.example", "a much longer phrase")
            .unwrap()
            .is_some());
        assert!(store
            .check_password("ann@acme.example", "correct horse battery")
            .unwrap()
            .is_none());
    }
}
