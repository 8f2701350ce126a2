//! Late-payment law through the real binary, on each database: the shipped
//! reference rates listed, a rate file imported (a bad one refused whole),
//! and a customer marked a consumer.

mod common;

use common::{backends, fails, ok};

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
