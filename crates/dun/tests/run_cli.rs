//! The daily run through the real binary, on each database: a preview,
//! the run applied, the outbox it fills, and a second run with nothing to do.

mod common;

use common::{backends, dun, fails, ok};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

#[test]
fn a_run_previewed_applied_and_run_again() {
    for db in backends("a_run_previewed_applied_and_run_again") {
        let label = db.label;
        let dir = tempfile::tempdir().unwrap();
        ok(
            &db,
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
        let customers = dir.path().join("customers.csv");
        std::fs::write(
            &customers,
            "ref,name,email,phone,credit_limit,terms\n\
             C1,Bolt & Nut,ap@bolt.example.com,,,net30\n\
             C2,Cog Works,ap@cog.example.com,,,net30\n",
        )
        .unwrap();
        let invoices = dir.path().join("invoices.csv");
        std::fs::write(
            &invoices,
            "number,customer_ref,issue_date,due_date,currency,description,amount,quantity,unit_price,tax_rate\n\
             A-1,C1,2026-05-21,2026-06-20,USD,Bolts,100.00,,,\n\
             A-2,C1,2026-03-21,2026-04-20,USD,Nuts,250.00,,,\n\
             A-3,C2,2026-05-26,2026-06-25,USD,Cogs,80.00,,,\n",
        )
        .unwrap();
        ok(&db, &["import", "customers", customers.to_str().unwrap()]);
        ok(
            &db,
            &[
                "import",
                "invoices",
                invoices.to_str().unwrap(),
                "--ladder-from",
                "due",
            ],
        );

        // The preview: what the default policy does on 30 June, nothing written.
        let preview = json(&ok(
            &db,
            &[
                "run",
                "--as-of",
                "2026-06-30",
                "--dry-run",
                "--format",
                "json",
            ],
        ));
        assert_eq!(preview["dry_run"], true, "[{label}]");
        assert!(preview["run_id"].is_null(), "[{label}]");
        let actions = preview["actions"].as_array().unwrap();
        let of = |kind: &str| -> Vec<&serde_json::Value> {
            actions.iter().filter(|a| a["action"] == kind).collect()
        };
        let messages = of("message");
        assert_eq!(messages.len(), 1, "[{label}] {actions:#?}");
        assert_eq!(messages[0]["customer_ref"], "C1");
        assert_eq!(messages[0]["rule"], "step.final_demand");
        assert_eq!(messages[0]["invoices"], serde_json::json!(["A-2", "A-1"]));
        let fees = of("fee");
        assert_eq!(fees.len(), 1, "[{label}] {actions:#?}");
        assert_eq!(fees[0]["invoices"], serde_json::json!(["A-2"]));
        assert_eq!(fees[0]["amount"][0]["amount"], "40.00");
        assert_eq!(fees[0]["author"], "policy v1 · late_fee");
        assert!(!of("skip").is_empty(), "[{label}]");
        assert_eq!(preview["summary"]["messages"], 1);
        let outbox = json(&ok(&db, &["outbox", "list", "--format", "json"]));
        assert_eq!(
            outbox.as_array().unwrap().len(),
            0,
            "[{label}] preview wrote"
        );

        // Applied.
        let run = dun(&db, &["run", "--as-of", "2026-06-30"]);
        assert!(run.ok, "[{label}] {}{}", run.stdout, run.stderr);
        assert!(
            run.stdout
                .contains("Run #1 as of 2026-06-30 (policy v1): applied."),
            "[{label}] {}",
            run.stdout
        );
        assert!(
            run.stdout.contains("1 message, 1 task, 1 fee (40.00 USD)"),
            "[{label}] {}",
            run.stdout
        );
        assert!(
            run.stderr.contains("load") && run.stderr.contains("decide"),
            "[{label}] {}",
            run.stderr
        );
        let outbox = json(&ok(
            &db,
            &["outbox", "list", "--status", "pending", "--format", "json"],
        ));
        let outbox = outbox.as_array().unwrap();
        assert_eq!(outbox.len(), 1, "[{label}]");
        assert_eq!(outbox[0]["customer_ref"], "C1");
        assert_eq!(outbox[0]["template"], "final_demand");
        let table = ok(&db, &["outbox", "list"]);
        assert!(table.contains("A-2, A-1"), "[{label}] {table}");
        let shown = ok(&db, &["invoice", "show", "A-2", "--as-of", "2026-06-30"]);
        assert!(
            shown.contains("290.00"),
            "[{label}] the fee is on the invoice:\n{shown}"
        );

        // The same day again: nothing to do.
        let again = ok(&db, &["run", "--as-of", "2026-06-30"]);
        assert!(
            again.contains("Nothing to do as of 2026-06-30"),
            "[{label}] {again}"
        );
        // Runs go forward.
        let err = fails(&db, &["run", "--as-of", "2026-06-29"]);
        assert!(err.contains("runs go forward"), "[{label}] {err}");
    }
}

/// Today in UTC, as the binary's clock reads it (the organisation's
/// time zone is UTC here).
fn today() -> dun_core::Date {
    let now = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::UTC);
    dun_core::Date::parse(&now.date().to_string()).unwrap()
}

#[test]
fn imported_history_does_not_set_off_a_storm() {
    for db in backends("imported_history_does_not_set_off_a_storm") {
        let label = db.label;
        let dir = tempfile::tempdir().unwrap();
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
        let customers = dir.path().join("customers.csv");
        std::fs::write(
            &customers,
            "ref,name,email,phone,credit_limit,terms\n\
             C1,Bolt & Nut,ap@bolt.example.com,,,net30\n\
             C2,Cog Works,ap@cog.example.com,,,net30\n",
        )
        .unwrap();
        ok(&db, &["import", "customers", customers.to_str().unwrap()]);
        // From another system: 200 days late, 5 days late, due in 10 days.
        let day = |n: i32| today().add_days(n).to_string();
        let invoices = dir.path().join("invoices.csv");
        std::fs::write(
            &invoices,
            format!(
                "number,customer_ref,issue_date,due_date,currency,description,amount,quantity,unit_price,tax_rate\n\
                 OLD-1,C1,{},{},USD,Bolts,900.00,,,\n\
                 OLD-2,C1,{},{},USD,Nuts,100.00,,,\n\
                 OLD-3,C2,{},{},USD,Cogs,80.00,,,\n",
                day(-230),
                day(-200),
                day(-35),
                day(-5),
                day(-20),
                day(10),
            ),
        )
        .unwrap();
        ok(&db, &["import", "invoices", invoices.to_str().unwrap()]);
        let preview = json(&ok(&db, &["run", "--dry-run", "--format", "json"]));
        let actions = preview["actions"].as_array().unwrap();
        let of = |kind: &str| -> Vec<&serde_json::Value> {
            actions.iter().filter(|a| a["action"] == kind).collect()
        };
        // No fee, no interest, no final demand for what the old system
        // had to chase; the steps passed are recorded as not sent.
        assert!(of("fee").is_empty(), "[{label}] {actions:#?}");
        assert!(of("interest").is_empty(), "[{label}] {actions:#?}");
        assert!(of("message").is_empty(), "[{label}] {actions:#?}");
        let skips = of("skip");
        assert_eq!(skips.len(), 2, "[{label}] {actions:#?}");
        assert!(
            skips.iter().all(|s| s["rule"] == "import.ladder_from"),
            "[{label}] {skips:#?}"
        );

        // The same history imported to be chased from the due dates.
        let more = dir.path().join("more.csv");
        std::fs::write(
            &more,
            format!(
                "number,customer_ref,issue_date,due_date,currency,description,amount,quantity,unit_price,tax_rate\n\
                 DUE-1,C2,{},{},USD,Cogs,500.00,,,\n",
                day(-230),
                day(-200),
            ),
        )
        .unwrap();
        ok(
            &db,
            &[
                "import",
                "invoices",
                more.to_str().unwrap(),
                "--ladder-from",
                "due",
            ],
        );
        let preview = json(&ok(&db, &["run", "--dry-run", "--format", "json"]));
        let fees: Vec<&serde_json::Value> = preview["actions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"] == "fee")
            .collect();
        assert_eq!(fees.len(), 1, "[{label}] {preview:#?}");
        assert_eq!(fees[0]["invoices"], serde_json::json!(["DUE-1"]));

        // Applied exactly as previewed: a payment in between makes the run
        // refuse what it showed, writing nothing; read again, it goes.
        let seen = preview["digest"].as_str().unwrap().to_string();
        assert_eq!(seen.len(), 64, "[{label}] {seen}");
        let text = ok(&db, &["run", "--dry-run"]);
        assert!(
            text.contains(&format!("--as-previewed {seen}")),
            "[{label}] {text}"
        );
        ok(
            &db,
            &[
                "payment",
                "record",
                "--customer",
                "C2",
                "--amount",
                "500.00",
            ],
        );
        let refused = fails(&db, &["run", "--as-previewed", &seen]);
        assert!(
            refused.contains("the book changed since the preview you read"),
            "[{label}] {refused}"
        );
        let outbox = json(&ok(&db, &["outbox", "list", "--format", "json"]));
        assert_eq!(outbox, serde_json::json!([]), "[{label}] nothing applied");
        let again = json(&ok(&db, &["run", "--dry-run", "--format", "json"]));
        let digest = again["digest"].as_str().unwrap();
        assert_ne!(digest, seen);
        let applied = json(&ok(
            &db,
            &["run", "--as-previewed", digest, "--format", "json"],
        ));
        assert_eq!(applied["dry_run"], false);
        assert_eq!(applied["actions"], again["actions"], "[{label}]");
    }
}
