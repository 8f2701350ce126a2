//! Late-payment law through the real binary, on each database: the shipped
//! reference rates listed, a rate file imported (a bad one refused whole),
//! a customer marked a consumer, and an invoice's calculation sheet.

// Amounts are written as money reads: `51_86` is 51.86.
#![allow(clippy::inconsistent_digit_grouping)]
mod common;

use common::{backends, fails, ok, pdf_text, pdftotext_available};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

#[test]
fn reference_rates_are_listed_imported_and_a_consumer_is_marked() {
    for db in backends("reference_rates_are_listed_imported_and_a_consumer_is_marked") {
        let label = db.label;
        ok(
            &db,
            &[
                "init",
                "--org",
                "Acme GmbH",
                "--currency",
                "EUR",
                "--timezone",
                "Europe/Berlin",
            ],
        );
        let list = |db| json(&ok(db, &["rates", "reference", "list", "--format", "json"]));
        let shipped = list(&db).as_array().unwrap().len();
        assert!(shipped > 30, "[{label}]");
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.csv");
        std::fs::write(
            &bad,
            "series,in_force_from,rate_percent,source\nde_base,2026-07-01,x,somewhere\n",
        )
        .unwrap();
        let err = fails(
            &db,
            &[
                "rates",
                "reference",
                "import",
                bad.to_str().unwrap(),
                "--author",
                "ann",
            ],
        );
        assert!(err.contains("line 2: rate_percent"), "[{label}] {err}");
        assert_eq!(list(&db).as_array().unwrap().len(), shipped, "[{label}]");
        let good = dir.path().join("rates.csv");
        std::fs::write(
            &good,
            "series,in_force_from,rate_percent,source\nde_base,2026-07-01,1.27,\"Bundesbank, read by ann\"\n",
        )
        .unwrap();
        let out = ok(
            &db,
            &[
                "rates",
                "reference",
                "import",
                good.to_str().unwrap(),
                "--author",
                "ann",
            ],
        );
        assert!(out.contains("Imported 1 reference rate"), "[{label}] {out}");
        let all = list(&db);
        let last = all
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["series"] == "de_base" && r["in_force_from"] == "2026-07-01")
            .unwrap_or_else(|| panic!("[{label}] {all}"));
        assert_eq!(
            (last["rate"].as_str(), last["origin"].as_str()),
            (Some("1.27"), Some("imported")),
            "[{label}]"
        );
        ok(
            &db,
            &["customer", "add", "--ref", "HOME", "--name", "Jo Privat"],
        );
        let out = ok(
            &db,
            &["customer", "debtor", "HOME", "consumer", "--author", "ann"],
        );
        assert!(out.contains("HOME is now consumer"), "[{label}] {out}");
        let err = fails(
            &db,
            &["customer", "debtor", "HOME", "household", "--author", "ann"],
        );
        assert!(err.contains("KIND"), "[{label}] {err}");
    }
}

/// The default policy under § 288 BGB: `law` at the top, its own
/// `[interest]` and `[late_fee]` dropped, costs → interest → principal.
fn german_policy(default: &str) -> String {
    let mut out = String::from("law = \"de_bgb_288\"\n");
    let mut skipping = false;
    for line in default.lines() {
        let header = line.trim_start().starts_with('[');
        if header {
            skipping = matches!(line.trim(), "[interest]" | "[late_fee]");
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.replace(
        "effects = [\"late_fee\", \"credit_hold\"]",
        "effects = [\"credit_hold\"]",
    )
    .replace(
        "effects = [\"resend_invoice\", \"announce_interest\"]",
        "effects = [\"resend_invoice\"]",
    )
    .replace(
        "allocation = \"principal_first\"",
        "allocation = \"fees_interest_principal\"",
    )
}

#[test]
fn the_calculation_sheet_shows_each_period_and_matches_the_ledger() {
    for db in backends("the_calculation_sheet_shows_each_period_and_matches_the_ledger") {
        let label = db.label;
        ok(
            &db,
            &[
                "init",
                "--org",
                "Acme GmbH",
                "--currency",
                "EUR",
                "--timezone",
                "Europe/Berlin",
            ],
        );
        ok(
            &db,
            &["customer", "add", "--ref", "C1", "--name", "Kunde GmbH"],
        );
        ok(
            &db,
            &[
                "invoice",
                "create",
                "--customer",
                "C1",
                "--issue-date",
                "2024-05-16",
                "--line",
                "Work:1:10000.00",
                "--issue",
            ],
        );
        let tools =
            pdftotext_available("the_calculation_sheet_shows_each_period_and_matches_the_ledger");
        let err = fails(&db, &["invoice", "interest-sheet", "INV-000001"]);
        assert!(
            err.contains("law: the policy names no late-payment law"),
            "[{label}] {err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let policy = dir.path().join("policy.toml");
        std::fs::write(&policy, german_policy(&ok(&db, &["policy", "show"]))).unwrap();
        ok(&db, &["policy", "apply", policy.to_str().unwrap()]);
        for day in ["2024-06-16", "2024-07-01", "2024-08-01"] {
            let run = json(&ok(&db, &["run", "--as-of", day, "--format", "json"]));
            // What an action is worth is the domain's: the law's fixed
            // compensation shows its amount as a fee does.
            for a in run["actions"]
                .as_array()
                .unwrap_or_else(|| panic!("[{label}] {run}"))
            {
                if a["action"] == "compensation" {
                    assert_eq!(
                        a["amount"],
                        serde_json::json!([{"currency": "EUR", "amount": "40.00", "amount_minor": 4000}]),
                        "[{label}] {a}"
                    );
                }
            }
            if day == "2024-06-16" {
                assert!(
                    run["actions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|a| a["action"] == "compensation"),
                    "[{label}] no compensation on the first late day: {run}"
                );
            }
        }
        ok(
            &db,
            &[
                "payment",
                "record",
                "--customer",
                "C1",
                "--amount",
                "5040.00",
                "--date",
                "2024-08-01",
                "--reference",
                "SEPA 1",
                "--note",
                "statement came late",
            ],
        );
        ok(&db, &["run", "--as-of", "2024-09-01"]);
        // The worked example of 24_late_payment_law.scn, by hand:
        // 10,000 × 12.62 % × 15/365; × 12.37 % × 31/365; 5,156.92 × 12.37 % × 31/365.
        let sheet = json(&ok(
            &db,
            &[
                "invoice",
                "interest-sheet",
                "INV-000001",
                "--as-of",
                "2024-09-02",
                "--format",
                "json",
            ],
        ));
        let months: Vec<i64> = sheet["sheet"]["months"]
            .as_array()
            .unwrap_or_else(|| panic!("[{label}] {sheet}"))
            .iter()
            .map(|m| m["amount_minor"].as_i64().unwrap())
            .collect();
        assert_eq!(months, [51_86, 105_06, 54_18], "[{label}] {sheet}");
        assert_eq!(sheet["sheet"]["posted_interest_minor"], 211_10, "[{label}]");
        assert_eq!(sheet["sheet"]["compensation_minor"], 40_00, "[{label}]");
        let table = ok(
            &db,
            &[
                "invoice",
                "interest-sheet",
                "INV-000001",
                "--as-of",
                "2024-09-02",
            ],
        );
        for needle in [
            "2024-08-01  2024-08-31    31    5156.92  3.37 (de_base from 2024-07-01)    9.00  12.37   54.1787        54.18",
            "Interest 211.10 EUR (months ended before 2024-09-02); on the ledger 211.10 EUR — they match.",
        ] {
            assert!(table.contains(needle), "[{label}] no '{needle}' in\n{table}");
        }
        let csv = ok(
            &db,
            &[
                "invoice",
                "interest-sheet",
                "INV-000001",
                "--as-of",
                "2024-09-02",
                "--format",
                "csv",
            ],
        );
        assert!(
            csv.starts_with(
                "month,from,through,days,principal,reference,margin,rate,interest,month total"
            ),
            "[{label}] {csv}"
        );
        // The same sheet as PDF, for a debtor or a court.
        let pdf = dir.path().join("sheet.pdf");
        ok(
            &db,
            &[
                "invoice",
                "interest-sheet",
                "INV-000001",
                "--as-of",
                "2024-09-02",
                "--pdf",
                pdf.to_str().unwrap(),
            ],
        );
        if let Some(text) = pdf_text(&pdf, tools) {
            for needle in [
                "Invoice INV-000001",
                "§ 288",
                "2024-08-01 2024-08-31 31 5,156.92 3.37 % from",
                "9.00 pts 12.37 % 54.1787",
                "2024-08 total 31 54.18",
                "Interest, months ended before 2024-09-02 211.10 EUR",
                "Fixed compensation 40.00 EUR",
                "Interest and compensation 251.10 EUR",
                "what the ledger holds for this invoice (211.10 EUR)",
            ] {
                assert!(
                    text.contains(needle),
                    "[{label}] no '{needle}' in the PDF:\n{text}"
                );
            }
        }
    }
}

/// `dun policy check` names the law a policy follows and works an example
/// invoice with the book's rates (one it imported included); without a
/// book it uses the rates shipped with Dun.
#[test]
fn the_policy_check_shows_what_the_law_would_charge() {
    for db in backends("the_policy_check_shows_what_the_law_would_charge") {
        let label = db.label;
        ok(
            &db,
            &[
                "init",
                "--org",
                "Acme GmbH",
                "--currency",
                "EUR",
                "--timezone",
                "Europe/Berlin",
            ],
        );
        let dir = tempfile::tempdir().unwrap();
        let policy = dir.path().join("policy.toml");
        std::fs::write(&policy, german_policy(&ok(&db, &["policy", "show"]))).unwrap();
        let check = |db, as_of: &str| {
            ok(
                db,
                &[
                    "policy",
                    "check",
                    policy.to_str().unwrap(),
                    "--as-of",
                    as_of,
                ],
            )
        };
        // June 2026 at the base rate of 1 January 2026 (1.27 %) + 9 points:
        // 1,000.00 × 10.27 % × 30 / 365 = 8.44.
        let out = check(&db, "2026-07-10");
        for needle in [
            "law: de_bgb_288",
            "an invoice of 1000.00 EUR due 2026-05-31 and still unpaid bears 8.44 EUR of interest for 2026-06-01 to 2026-06-30",
            "30 days at 10.27 %",
            "40.00 EUR fixed compensation once",
        ] {
            assert!(out.contains(needle), "[{label}] no '{needle}' in\n{out}");
        }
        // December 2026: the rate of 1 July 2026 is not shipped, so the
        // example goes back to June and says which rate is missing…
        let out = check(&db, "2026-12-07");
        assert!(
            out.contains("for 2026-06-01 to 2026-06-30"),
            "[{label}] {out}"
        );
        assert!(
            out.contains("in force on 2026-07-01 is not in the rate table yet"),
            "[{label}] {out}"
        );
        // …until the owner imports it: then November is worked at it.
        let rates = dir.path().join("rates.csv");
        std::fs::write(
            &rates,
            "series,in_force_from,rate_percent,source\nde_base,2026-07-01,1.27,\"Bundesbank, read by ann\"\n",
        )
        .unwrap();
        ok(
            &db,
            &[
                "rates",
                "reference",
                "import",
                rates.to_str().unwrap(),
                "--author",
                "ann",
            ],
        );
        let out = check(&db, "2026-12-07");
        assert!(
            out.contains("bears 8.44 EUR of interest for 2026-11-01 to 2026-11-30"),
            "[{label}] {out}"
        );
        assert!(!out.contains("not in the rate table"), "[{label}] {out}");
    }
}
