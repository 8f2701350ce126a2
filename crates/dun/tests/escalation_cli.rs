//! An escalation review through the real binary, on each database: the
//! default ladder reaches its +90 review, `dun task decide` hands the debt
//! to an agency, the ladder stops, a later payment posts and shows on
//! `dun escalations`, and `dun customer claim-file` writes the bundle an
//! agency asks for (its PDF read back with pdftotext, its CSVs parsed).

mod common;

use std::io::Read;

use common::{backends, fails, ok, pdf_text, pdftotext_available};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

#[test]
fn an_approved_review_stops_the_ladder_and_makes_a_claim_file() {
    let tools = pdftotext_available("an_approved_review_stops_the_ladder_and_makes_a_claim_file");
    for db in backends("an_approved_review_stops_the_ladder_and_makes_a_claim_file") {
        let label = db.label;
        ok(
            &db,
            &[
                "init",
                "--org",
                "Acme Ltd",
                "--currency",
                "EUR",
                "--timezone",
                "Europe/Berlin",
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
                "Globex GmbH",
                "--email",
                "ap@globex.example",
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
                "2026-01-02",
                "--line",
                "Consulting:1:1000.00",
                "--issue",
            ],
        );
        // Due 2026-02-01: the notices, the final demand, then the review.
        for day in ["2026-02-08", "2026-03-03", "2026-04-02", "2026-05-02"] {
            ok(&db, &["run", "--as-of", day]);
        }
        let worklist = json(&ok(
            &db,
            &["worklist", "--as-of", "2026-05-02", "--format", "json"],
        ));
        let review = worklist
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["task_kind"] == "escalation")
            .unwrap_or_else(|| panic!("[{label}] no escalation review: {worklist}"));
        let id = review["task_id"].as_i64().unwrap().to_string();

        let err = fails(&db, &["task", "decide", &id, "sue", "--reason", "no reply"]);
        assert!(
            err.contains("decision: 'sue' is not one; give agency, legal, write_off or reject"),
            "[{label}] {err}"
        );
        let out = ok(
            &db,
            &[
                "task",
                "decide",
                &id,
                "agency",
                "--reason",
                "no reply to the final demand",
                "--on",
                "2026-05-02",
            ],
        );
        assert!(
            out.contains("approved: hand to a collection agency")
                && out.contains("handed over 1049.65 EUR"),
            "[{label}] {out}"
        );
        let again = fails(
            &db,
            &[
                "task",
                "decide",
                &id,
                "reject",
                "--reason",
                "changed my mind",
            ],
        );
        assert!(again.contains("already"), "[{label}] {again}");

        // The ladder stops; a payment still posts and is reported.
        ok(
            &db,
            &[
                "payment",
                "record",
                "--customer",
                "C1",
                "--amount",
                "100.00",
                "--date",
                "2026-05-10",
                "--reference",
                "SEPA 7",
            ],
        );
        let preview = json(&ok(
            &db,
            &[
                "run",
                "--as-of",
                "2026-06-15",
                "--dry-run",
                "--format",
                "json",
            ],
        ));
        let kinds: Vec<&str> = preview["actions"]
            .as_array()
            .unwrap_or_else(|| panic!("[{label}] {preview}"))
            .iter()
            .filter_map(|a| a["kind"].as_str())
            .collect();
        assert!(
            !kinds
                .iter()
                .any(|k| ["message", "fee", "interest", "task", "status"].contains(k)),
            "[{label}] the ladder still acts: {kinds:?}"
        );
        let list = json(&ok(&db, &["escalations", "--format", "json"]));
        let row = &list[0];
        assert_eq!(row["customer_ref"], "C1", "[{label}] {list}");
        assert_eq!(row["status"], "with_agency", "[{label}] {list}");
        assert_eq!(row["since"], "2026-05-02", "[{label}] {list}");
        assert_eq!(
            row["received_since"][0]["amount_minor"], 10_000,
            "[{label}] {list}"
        );

        // The claim file.
        let dir = tempfile::tempdir().unwrap();
        let zip_path = dir.path().join("claim.zip");
        let out = ok(
            &db,
            &[
                "customer",
                "claim-file",
                "C1",
                "--as-of",
                "2026-05-10",
                "--out",
                zip_path.to_str().unwrap(),
            ],
        );
        assert!(
            out.contains("claim-file.pdf, statement-EUR.pdf, invoices.csv, history.csv"),
            "[{label}] {out}"
        );
        let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
        let mut read = |name: &str| {
            let mut bytes = Vec::new();
            archive
                .by_name(name)
                .unwrap_or_else(|e| panic!("[{label}] {name}: {e}"))
                .read_to_end(&mut bytes)
                .unwrap();
            bytes
        };
        let invoices = String::from_utf8(read("invoices.csv")).unwrap();
        assert!(
            invoices.starts_with("number,issue_date,due_date,days_past_due,currency,total,open")
                && invoices.contains(",2026-01-02,2026-02-01,98,EUR,1000.00,"),
            "[{label}] {invoices}"
        );
        let history = String::from_utf8(read("history.csv")).unwrap();
        for needle in [
            "invoice issued",
            "reminder queued",
            "escalation",
            "payment",
            "no reply to the final demand",
        ] {
            assert!(
                history.contains(needle),
                "[{label}] no '{needle}' in {history}"
            );
        }
        let pdf = dir.path().join("claim-file.pdf");
        std::fs::write(&pdf, read("claim-file.pdf")).unwrap();
        if let Some(text) = pdf_text(&pdf, tools) {
            for needle in [
                "Claim file",
                "Globex GmbH",
                "Handed to a collection agency on 2026-05-02: no reply to the final demand.",
                "OPEN INVOICES",
                "INV-000001 2026-01-02 2026-02-01 98 EUR 1,000.00 949.65",
                "statement-EUR.pdf",
            ] {
                assert!(text.contains(needle), "[{label}] no '{needle}' in {text}");
            }
        }
        assert!(read("statement-EUR.pdf").starts_with(b"%PDF-"));
    }
}
