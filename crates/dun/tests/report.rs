//! `dun report figures` and `dun report aging` through the real binary, on
//! SQLite and PostgreSQL.

mod common;

use common::{backends, fails, ok, Db};

/// C1 owes on two invoices; the figures of the first quarter of 2026, by
/// hand (90 days ending 2026-03-31; nothing before):
///
/// ```text
/// INV-000001  2026-01-05 net30 (due 02-04)  1000.00  600.00 paid 02-20, 100.00 written off 03-01: 300 open
/// INV-000002  2026-03-10 net30 (due 04-09)   500.00  current on 03-31
/// ```
///
/// Credit sales 1500.00, ending AR 800.00, current 500.00, written off
/// 100.00: DSO = 800 / 1500 × 90 = 48.0; best = 500 / 1500 × 90 = 30.0;
/// ADD = 18.0; CEI = (0 + 1500 − 800) / (0 + 1500 − 500) = 70.0%;
/// bad debt = 100 / 1500 = 6.666…% → 6.67.
fn book(db: &Db) {
    ok(
        db,
        &[
            "init",
            "--org",
            "Acme",
            "--currency",
            "USD",
            "--timezone",
            "Europe/London",
        ],
    );
    ok(
        db,
        &[
            "customer", "add", "--ref", "C1", "--name", "First", "--terms", "net30",
        ],
    );
    for (date, line) in [
        ("2026-01-05", "Work:1:1000.00"),
        ("2026-03-10", "Work:1:500.00"),
    ] {
        ok(
            db,
            &[
                "invoice",
                "create",
                "--customer",
                "C1",
                "--issue-date",
                date,
                "--line",
                line,
                "--issue",
            ],
        );
    }
    ok(
        db,
        &[
            "payment",
            "record",
            "--customer",
            "C1",
            "--amount",
            "600.00",
            "--date",
            "2026-02-20",
            "--reference",
            "wire 1",
        ],
    );
    ok(
        db,
        &[
            "write-off",
            "INV-000001",
            "--amount",
            "100.00",
            "--date",
            "2026-03-01",
            "--reason",
            "damaged goods, customer will not pay",
        ],
    );
}

#[test]
fn figures_of_a_quarter_in_every_format() {
    for db in backends("report_figures") {
        let label = db.label;
        book(&db);
        let as_of = ["report", "figures", "--as-of", "2026-03-31", "--days", "90"];

        let table = ok(&db, &as_of);
        let row = table
            .lines()
            .find(|l| l.contains("USD"))
            .unwrap_or_else(|| panic!("[{label}] no USD row:\n{table}"));
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(
            cells,
            [
                "2026-01-01",
                "2026-03-31",
                "USD",
                "48.0",
                "30.0",
                "18.0",
                "70.0",
                "6.67",
                "0.00",
                "1500.00",
                "800.00",
                "500.00",
                "100.00"
            ],
            "[{label}] {table}"
        );

        let json = ok(&db, &[&as_of[..], &["--format", "json"]].concat());
        let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        let f = &value["points"][0]["figures"][0];
        assert_eq!(f["currency"], "USD", "[{label}] {json}");
        assert_eq!(f["dso"]["value"], "48.0", "[{label}] {json}");
        assert_eq!(f["cei"]["scaled"], 700, "[{label}] {json}");
        assert_eq!(f["bad_debt_ratio"]["value"], "6.67", "[{label}] {json}");
        assert_eq!(f["ending_ar"], "800.00", "[{label}] {json}");
        assert_eq!(f["ending_ar_minor"], 80000, "[{label}] {json}");
        assert_eq!(f["sums"]["collected_minor"], 60000, "[{label}] {json}");

        let csv = ok(&db, &[&as_of[..], &["--format", "csv"]].concat());
        let mut lines = csv.lines();
        assert!(
            lines
                .next()
                .unwrap_or("")
                .starts_with("from,to,currency,DSO"),
            "[{label}] {csv}"
        );
        assert_eq!(
            lines.next(),
            Some("2026-01-01,2026-03-31,USD,48.0,30.0,18.0,70.0,6.67,0.00,1500.00,800.00,500.00,100.00"),
            "[{label}] {csv}"
        );

        // A trend: three 90-day periods 30 days apart, oldest first.
        let trend = ok(
            &db,
            &[&as_of[..], &["--points", "3", "--format", "csv"]].concat(),
        );
        let ends: Vec<&str> = trend
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap_or(""))
            .collect();
        assert_eq!(
            ends,
            ["2026-01-30", "2026-03-01", "2026-03-31"],
            "[{label}] {trend}"
        );

        // February: nothing sold, so the day figures are absent, with why.
        let feb = ok(
            &db,
            &["report", "figures", "--as-of", "2026-02-28", "--days", "28"],
        );
        assert!(
            feb.contains("USD: DSO, best DSO, ADD, bad debt — no credit sales in the period"),
            "[{label}] {feb}"
        );

        // Nothing at all before the book.
        let empty = ok(
            &db,
            &["report", "figures", "--as-of", "2025-06-30", "--days", "30"],
        );
        assert!(
            empty.contains("no invoices, payments or open amounts"),
            "[{label}] {empty}"
        );

        let err = fails(&db, &["report", "figures", "--days", "0"]);
        assert!(
            err.contains("days: 0 is not a period length") && err.contains("1 to 3660"),
            "[{label}] {err}"
        );
        let err = fails(&db, &["report", "figures", "--as-of", "31/03/2026"]);
        assert!(err.contains("--as-of"), "[{label}] {err}");

        // `dun report aging` is `dun aging`.
        assert_eq!(
            ok(&db, &["report", "aging", "--as-of", "2026-03-31"]),
            ok(&db, &["aging", "--as-of", "2026-03-31"]),
            "[{label}]"
        );
    }
}
