//! `dun template`: list the wording, show one, set your own from files —
//! an unknown placeholder refused with where it is, nothing saved — and
//! reset one to Dun's wording.

mod common;

use common::{backends, fails, ok};

#[test]
fn the_owner_rewords_a_reminder() {
    for db in backends("the_owner_rewords_a_reminder") {
        let label = db.label;
        let dir = tempfile::tempdir().expect("tempdir");
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
        let list = ok(&db, &["template", "list"]);
        assert!(
            list.contains("first_notice") && list.contains("built in"),
            "[{label}] {list}"
        );

        let bad = dir.path().join("bad.txt");
        std::fs::write(&bad, "Dear {{customer_nmae}},\n\nPlease pay.").unwrap();
        let refused = fails(
            &db,
            &[
                "template",
                "set",
                "first_notice",
                "--subject",
                "Overdue",
                "--text-file",
                bad.to_str().unwrap(),
            ],
        );
        assert!(
            refused.contains("template 'first_notice', text body")
                && refused.contains("customer_nmae"),
            "[{label}] {refused}"
        );

        let good = dir.path().join("good.txt");
        std::fs::write(&good, "Dear {{customer_name}},\n\nPlease pay {{total}}.").unwrap();
        let saved = ok(
            &db,
            &[
                "template",
                "set",
                "first_notice",
                "--subject",
                "Overdue: {{total}}",
                "--text-file",
                good.to_str().unwrap(),
                "--author",
                "ann",
            ],
        );
        assert!(saved.contains("version 1"), "[{label}] {saved}");
        let shown = ok(&db, &["template", "show", "first_notice"]);
        assert!(shown.contains("version 1 by ann"), "[{label}] {shown}");
        assert!(
            shown.contains("<p>Please pay {{total}}.</p>"),
            "[{label}] {shown}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&ok(&db, &["template", "list", "--format", "json"])).unwrap();
        let first = json
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "first_notice")
            .unwrap();
        assert_eq!(first["edited"], true, "[{label}]");
        let missing = fails(&db, &["template", "show", "never_written"]);
        assert!(missing.contains("dun template list"), "[{label}] {missing}");

        // Back to Dun's wording; twice says so; an unknown name is refused.
        let reset = ok(&db, &["template", "reset", "first_notice"]);
        assert!(reset.contains("Dun's wording again"), "[{label}] {reset}");
        let shown = ok(&db, &["template", "show", "first_notice"]);
        assert!(shown.contains("(built in)"), "[{label}] {shown}");
        assert!(!shown.contains("Overdue: {{total}}"), "[{label}] {shown}");
        let again = ok(&db, &["template", "reset", "first_notice"]);
        assert!(again.contains("already"), "[{label}] {again}");
        let unknown = fails(&db, &["template", "reset", "never_written"]);
        assert!(unknown.contains("dun template list"), "[{label}] {unknown}");
    }
}
