//! Documents through the real binary, on each database: `dun invoice pdf`,
//! `dun statement` (table, JSON, PDF) and `dun letter pdf`, read back with
//! poppler's pdftotext.

mod common;

use common::{backends, dun_in, fails, ok, pdf_text, pdftotext_available, Db};

fn assert_contains(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "'{needle}' is not in:\n{text}");
    }
}

fn book(db: &Db) {
    ok(
        db,
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
        db,
        &["customer", "add", "--ref", "C1", "--name", "Globex GmbH"],
    );
    ok(
        db,
        &["customer", "add", "--ref", "C2", "--name", "Initech SA"],
    );
    ok(
        db,
        &[
            "invoice",
            "create",
            "--customer",
            "C1",
            "--issue-date",
            "2026-09-01",
            "--tax-rate",
            "19",
            "--line",
            "Consulting:10:120.00",
            "--line",
            "Travel:1:80.00",
            "--issue",
        ],
    );
    ok(
        db,
        &[
            "invoice",
            "create",
            "--customer",
            "C1",
            "--issue-date",
            "2026-10-15",
            "--line",
            "Support:2:50.00",
            "--issue",
        ],
    );
    ok(
        db,
        &[
            "invoice",
            "create",
            "--customer",
            "C1",
            "--issue-date",
            "2026-10-16",
            "--line",
            "Not yet issued:1:10.00",
        ],
    );
    ok(
        db,
        &[
            "payment",
            "record",
            "--customer",
            "C1",
            "--amount",
            "1000.00",
            "--date",
            "2026-10-20",
            "--reference",
            "SEPA 4411",
        ],
    );
}

#[test]
fn an_invoice_a_statement_and_a_final_demand_from_the_command_line() {
    let tools =
        pdftotext_available("an_invoice_a_statement_and_a_final_demand_from_the_command_line");
    for db in backends("an_invoice_a_statement_and_a_final_demand_from_the_command_line") {
        let label = db.label;
        let dir = tempfile::tempdir().unwrap();
        book(&db);

        // The invoice, to a named file, with a portal link.
        let invoice = dir.path().join("invoice.pdf");
        let run = dun_in(
            &db,
            None,
            &[
                "invoice",
                "pdf",
                "INV-000001",
                "--out",
                invoice.to_str().unwrap(),
                "--public-url",
                "https://pay.acme.example",
            ],
        );
        assert!(run.ok, "[{label}] {}", run.stderr);
        assert!(
            run.stderr.contains("Wrote invoice INV-000001"),
            "{}",
            run.stderr
        );
        if let Some(text) = pdf_text(&invoice, tools) {
            assert_contains(
                &text,
                &[
                    "Acme Ltd",
                    "Invoice",
                    "Number INV-000001",
                    "Issue date 2026-09-01",
                    "Due date 2026-10-01",
                    "Globex GmbH",
                    "Consulting 10 120.00 19% 1,200.00",
                    "Subtotal 1,280.00",
                    "Tax 19% on 1,280.00 243.20",
                    "Total (EUR) 1,523.20",
                    "Paid and credited -1,000.00",
                    "Amount due (EUR) 523.20",
                    "Net 30",
                    "late fee of 40.00 EUR",
                    "https://pay.acme.example/portal/",
                    "PAYMENT REFERENCE",
                    "Payment reference: RF",
                ],
            );
        }

        // Without --out: NUMBER.pdf in the working directory.
        let run = dun_in(&db, Some(dir.path()), &["invoice", "pdf", "INV-000002"]);
        assert!(run.ok, "[{label}] {}", run.stderr);
        if let Some(text) = pdf_text(&dir.path().join("INV-000002.pdf"), tools) {
            assert_contains(&text, &["INV-000002", "Total (EUR) 100.00"]);
            assert!(
                !text.contains("/portal/"),
                "no --public-url, no link: {text}"
            );
        }

        // The statement as a table…
        let table = ok(
            &db,
            &[
                "statement",
                "C1",
                "--from",
                "2026-10-01",
                "--to",
                "2026-11-24",
            ],
        );
        assert_contains(
            &table,
            &[
                "Statement of account: C1, 2026-10-01 to 2026-11-24, EUR",
                "Opening balance",
                "Invoice INV-000002",
                "Payment received (ref SEPA 4411)",
            ],
        );
        let closing = table
            .lines()
            .find(|l| l.contains("Closing balance"))
            .unwrap();
        assert!(closing.trim_end().ends_with("623.20"), "{closing}");
        // …as JSON…
        let json: serde_json::Value = serde_json::from_str(&ok(
            &db,
            &[
                "statement",
                "C1",
                "--from",
                "2026-10-01",
                "--to",
                "2026-11-24",
                "--format",
                "json",
            ],
        ))
        .unwrap();
        let s = &json[0];
        assert_eq!(s["currency"], "EUR", "[{label}] {json}");
        assert_eq!(s["opening_minor"], 152_320);
        assert_eq!(s["closing_minor"], 62_320);
        assert_eq!(
            s["aging_minor"],
            serde_json::json!([0, 10_000, 52_320, 0, 0])
        );
        assert_eq!(s["lines"].as_array().unwrap().len(), 2);
        // …and as PDF.
        let statement = dir.path().join("statement.pdf");
        ok(
            &db,
            &[
                "statement",
                "C1",
                "--from",
                "2026-10-01",
                "--to",
                "2026-11-24",
                "--pdf",
                statement.to_str().unwrap(),
            ],
        );
        if let Some(text) = pdf_text(&statement, tools) {
            assert_contains(
                &text,
                &[
                    "Statement",
                    "Period 2026-10-01 to 2026-11-24",
                    "2026-10-01 Opening balance 1,523.20",
                    "2026-10-20 Payment received (ref SEPA 4411) 1,000.00 623.20",
                    "Closing balance 100.00 1,000.00 623.20",
                ],
            );
        }

        // The final demand lists what is overdue on its date.
        let letter = dir.path().join("letter.pdf");
        ok(
            &db,
            &[
                "letter",
                "pdf",
                "C1",
                "--date",
                "2026-12-01",
                "--out",
                letter.to_str().unwrap(),
            ],
        );
        if let Some(text) = pdf_text(&letter, tools) {
            assert_contains(
                &text,
                &[
                    "Final demand",
                    "Dear Globex GmbH,",
                    "INV-000001 2026-09-01 2026-10-01 61 523.20",
                    "INV-000002 2026-10-15 2026-11-14 17 100.00",
                    "Total now due (EUR) 623.20",
                    "by 2026-12-15",
                    "Accounts receivable, Acme Ltd",
                ],
            );
        }
        // A credit note as PDF: the amount split by the invoice's rate, as
        // its e-invoice declares it; nothing to pay.
        ok(
            &db,
            &[
                "credit-note",
                "INV-000001",
                "--amount",
                "119.00",
                "--reason",
                "One day not worked",
                "--date",
                "2026-11-24",
            ],
        );
        let note = dir.path().join("credit.pdf");
        let run = dun_in(
            &db,
            None,
            &[
                "invoice",
                "pdf",
                "CN-000001",
                "--out",
                note.to_str().unwrap(),
            ],
        );
        assert!(run.ok, "[{label}] {}", run.stderr);
        if let Some(text) = pdf_text(&note, tools) {
            assert_contains(
                &text,
                &[
                    "Credit note",
                    "Number CN-000001",
                    "Credits invoice INV-000001",
                    "CREDITED (EUR)",
                    "One day not worked",
                    "Credit against invoice INV-000001 1 100.00 19% 100.00",
                    "Tax 19% on 100.00 19.00",
                    "Total (EUR) 119.00",
                    "Nothing is to be paid on it",
                ],
            );
            assert!(!text.contains("PAYMENT REFERENCE"), "{text}");
        }
    }
}

#[test]
fn refusals_say_what_to_do() {
    for db in backends("refusals_say_what_to_do") {
        let label = db.label;
        book(&db);
        let draft = fails(&db, &["invoice", "pdf", "#3"]);
        assert!(
            draft.contains("draft") && draft.contains("dun invoice issue"),
            "[{label}] {draft}"
        );
        let unknown = fails(&db, &["invoice", "pdf", "INV-999999"]);
        assert!(unknown.contains("INV-999999"), "[{label}] {unknown}");
        let customer = fails(&db, &["statement", "C9"]);
        assert!(customer.contains("C9"), "[{label}] {customer}");
        let reversed = fails(
            &db,
            &[
                "statement",
                "C1",
                "--from",
                "2026-11-01",
                "--to",
                "2026-10-01",
            ],
        );
        assert!(
            reversed.contains("from: the period starts on 2026-11-01"),
            "[{label}] {reversed}"
        );
        let bad_date = fails(&db, &["statement", "C1", "--to", "2026-13-01"]);
        assert!(bad_date.contains("--to"), "[{label}] {bad_date}");
        let nothing = fails(&db, &["letter", "pdf", "C2", "--date", "2026-12-01"]);
        assert!(nothing.contains("nothing to demand"), "[{label}] {nothing}");
        // A customer with nothing at all: said plainly, not an error.
        let quiet = common::dun(&db, &["statement", "C2", "--to", "2026-12-01"]);
        assert!(
            quiet.ok && quiet.stderr.contains("nothing to state"),
            "[{label}] {}",
            quiet.stderr
        );
    }
}

#[test]
fn the_demo_books_euro_invoices_carry_the_epc_qr_code_and_every_invoice_its_reference() {
    let tools = pdftotext_available(
        "the_demo_books_euro_invoices_carry_the_epc_qr_code_and_every_invoice_its_reference",
    );
    for db in backends("demo_epc_qr") {
        let label = db.label;
        ok(
            &db,
            &["demo", "--invoices", "300", "--end-date", "2026-11-01"],
        );
        let json: serde_json::Value = serde_json::from_str(&ok(
            &db,
            &[
                "invoice", "list", "--status", "open", "--limit", "1000", "--format", "json",
            ],
        ))
        .unwrap();
        let open = json.as_array().expect("a list of invoices");
        let first_in = |code: &str| {
            open.iter()
                .find(|i| i["currency"] == code)
                .unwrap_or_else(|| panic!("[{label}] the demo has an open {code} invoice"))
                .clone()
        };
        let dir = tempfile::tempdir().unwrap();
        for (invoice, code_shown) in [(first_in("EUR"), true), (first_in("USD"), false)] {
            let number = invoice["number"].as_str().unwrap();
            let reference = dun_core::reference::CreditorReference::for_invoice(
                invoice["id"].as_i64().unwrap(),
            );
            let pdf = dir.path().join(format!("{number}.pdf"));
            ok(
                &db,
                &["invoice", "pdf", number, "--out", pdf.to_str().unwrap()],
            );
            if let Some(text) = pdf_text(&pdf, tools) {
                assert_contains(
                    &text,
                    &[
                        "IBAN: DE89 3704 0044 0532 0130 00",
                        &format!("Payment reference: {reference}"),
                    ],
                );
                assert_eq!(
                    text.contains("Scan with your banking app"),
                    code_shown,
                    "[{label}] {number}: {text}"
                );
            }
            // The e-invoice carries it as BT-83, compact.
            let xml = dir.path().join(format!("{number}.xml"));
            ok(
                &db,
                &["invoice", "xml", number, "--out", xml.to_str().unwrap()],
            );
            let text = std::fs::read_to_string(&xml).unwrap();
            assert!(
                text.contains(&format!(
                    "<cbc:PaymentID>{}</cbc:PaymentID>",
                    reference.as_str()
                )),
                "[{label}] {text}"
            );
        }
    }
}
