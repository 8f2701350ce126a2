//! The policy pages over real HTTP: the policy in force as a document; the
//! editor only for owners; a bad policy refused with its line, the text
//! kept and nothing written; a good one checked (changes and today's run,
//! now and under it) and applied as version 2, in the history.

mod common;

use common::{Browser, TestServer};
use dun_core::Date;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

fn owner(server: &TestServer) -> (Browser, String) {
    let browser = server.browser();
    let made = browser.post_form(
        "/setup",
        &[
            ("organisation", "Acme Tools"),
            ("currency", "USD"),
            ("timezone", "UTC"),
            ("name", "Olive Owner"),
            ("email", "olive@acme.example"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(made.status, 303, "{}", made.body);
    let csrf = browser.get("/dashboard").csrf();
    (browser, csrf)
}

/// Text as maud writes it into a page.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn versions(browser: &Browser) -> usize {
    let list = browser.get("/api/v1/policy/versions");
    assert_eq!(list.status, 200, "{}", list.body);
    serde_json::from_str::<Vec<Value>>(&list.body)
        .unwrap()
        .len()
}

/// The 1-based line of the first line of `text` starting with `start`.
fn line_of(text: &str, start: &str) -> usize {
    text.lines().position(|l| l.starts_with(start)).unwrap() + 1
}

web_test!(
    fn the_policy_read_checked_refused_and_applied(server: &TestServer) {
        let (browser, csrf) = owner(server);

        // The policy in force, as a document.
        let shown = browser.get("/policy");
        assert_eq!(shown.status, 200, "{}", shown.body);
        assert!(!shown.body.to_lowercase().contains("<script"));
        shown.assert_contains(r#"id="policy-version">1<"#);
        shown.assert_contains("set by dun init");
        shown.assert_contains(r#"<strong class="terms">net30</strong>"#);
        shown.assert_contains(r#"data-step="first_notice"><td class="num">7</td>"#);
        shown.assert_contains(r#"data-step="final_demand"><td class="num">60</td>"#);
        shown.assert_contains("USD 40.00");
        shown.assert_contains("8 % a year");
        shown.assert_contains("COD required");
        shown.assert_contains(r#"href="/policy/edit""#);

        // A customer whose invoice is 8 days late today: the first notice is due.
        let today = {
            let dashboard = browser.get("/dashboard");
            let at = dashboard.body.find("As of ").unwrap() + "As of ".len();
            Date::parse(&dashboard.body[at..at + 10]).unwrap()
        };
        let c = browser.post_json(
            "/api/v1/customers",
            &csrf,
            json!({"reference": "LATE", "name": "Late Larry", "email": "ap@late.example", "terms": "net30"}),
        );
        assert_eq!(c.status, 201, "{}", c.body);
        let i = browser.post_json(
            "/api/v1/invoices",
            &csrf,
            json!({"customer": "LATE", "issue_date": today.add_days(-38).to_string(), "terms": "net30",
                   "lines": [{"description": "Goods", "quantity": "1", "unit_price": "120.00"}], "issue": true}),
        );
        assert_eq!(i.status, 201, "{}", i.body);
        let number = serde_json::from_str::<Value>(&i.body).unwrap()["number"]
            .as_str()
            .unwrap()
            .to_string();

        // A collector may read the policy but not open the editor.
        browser.add_member(&csrf, "cole@acme.example", "Cole", PASSWORD, "collector");
        let collector = server.browser();
        let signed = collector.post_form(
            "/sign-in",
            &[("email", "cole@acme.example"), ("password", PASSWORD)],
        );
        assert_eq!(signed.status, 303);
        let read = collector.get("/policy");
        assert_eq!(read.status, 200);
        assert!(!read.body.contains(r#"href="/policy/edit""#));
        let refused = collector.get("/policy/edit");
        assert_eq!(refused.status, 403, "{}", refused.body);
        refused.assert_contains("owner");
        let token = read.csrf();
        let document = serde_json::from_str::<Value>(&browser.get("/api/v1/policy").body).unwrap()
            ["document"]
            .as_str()
            .unwrap()
            .to_string();
        let posted = collector.post_form(
            "/policy/edit",
            &[
                ("csrf_token", &token),
                ("text", &document),
                ("action", "check"),
            ],
        );
        assert_eq!(posted.status, 403, "{}", posted.body);

        // The editor holds the document in force.
        let editor = browser.get("/policy/edit");
        assert_eq!(editor.status, 200, "{}", editor.body);
        editor.assert_contains(r#"<textarea id="policy-text" name="text""#);
        editor.assert_contains(r#"<label for="policy-text">"#);
        editor.assert_contains(r#"<label for="policy-reason">"#);
        editor.assert_contains(r#"id="check" type="submit" name="action" value="check">Check<"#);
        editor.assert_contains(r#"id="apply" type="submit" name="action" value="apply">Apply<"#);
        editor.assert_contains(&escaped("key = \"first_notice\""));
        // Line numbers beside the text come from a script; without it the
        // textarea is all there is.
        let at = editor.body.find("/assets/policy-editor.js?v=").unwrap();
        let end = at + editor.body[at..].find('"').unwrap();
        let script = browser.get(&editor.body[at..end]);
        assert_eq!(script.status, 200);
        script.assert_contains("gutter");

        // A ladder step with negative days: refused with its line, text kept.
        let step_line = line_of(&document, "days_past_due = 7");
        let negative = document.replacen("days_past_due = 7", "days_past_due = -7", 1);
        for action in ["check", "apply"] {
            let bad = browser.post_form(
                "/policy/edit",
                &[
                    ("csrf_token", &csrf),
                    ("text", &negative),
                    ("reason", "try"),
                    ("action", action),
                ],
            );
            assert_eq!(bad.status, 422, "{action}: {}", bad.body);
            bad.assert_contains(r#"<p class="notice bad" id="policy-problems" role="alert">"#);
            bad.assert_contains(&format!("line {step_line}: "));
            bad.assert_contains(&format!(
                r##"<a href="#policy-text" data-line="{step_line}"><strong>Line {step_line}</strong></a>"##
            ));
            bad.assert_contains("days_past_due = -7");
            bad.assert_contains(r#"value="try""#);
        }
        assert_eq!(versions(&browser), 1, "nothing was written");

        // Not TOML at all: refused with line 2.
        let junk = "default_terms = \"net30\"\nthis is [not toml\n";
        let bad = browser.post_form(
            "/policy/edit",
            &[("csrf_token", &csrf), ("text", junk), ("action", "apply")],
        );
        assert_eq!(bad.status, 422, "{}", bad.body);
        bad.assert_contains("line 2");
        bad.assert_contains("this is [not toml");
        assert_eq!(versions(&browser), 1);

        // Without the CSRF token: refused.
        let forged = browser.post_form("/policy/edit", &[("text", &document), ("action", "apply")]);
        assert_eq!(forged.status, 403, "{}", forged.body);

        // A good change: the first notice at 10 days instead of 7.
        let later = document.replacen("days_past_due = 7", "days_past_due = 10", 1);
        let expected = browser.post_json("/api/v1/policy/check", &csrf, json!({"document": later}));
        assert_eq!(expected.status, 200, "{}", expected.body);
        let expected: Value = serde_json::from_str(&expected.body).unwrap();
        let changes: Vec<String> = expected["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        assert!(!changes.is_empty());
        let checked = browser.post_form(
            "/policy/edit",
            &[
                ("csrf_token", &csrf),
                ("text", &later),
                ("reason", "Give customers a few more days"),
                ("action", "check"),
            ],
        );
        assert_eq!(checked.status, 200, "{}", checked.body);
        checked.assert_contains("The policy is valid");
        for change in &changes {
            checked.assert_contains(&escaped(change));
        }
        checked.assert_contains(r#"id="run-preview""#);
        // Today the first notice goes to Late Larry; under the new policy it does not.
        checked.assert_contains(r#"id="run-dropped""#);
        checked.assert_contains(&format!(
            "Late Larry (LATE): first notice by email about {number}"
        ));
        checked.assert_contains("days_past_due = 10");
        assert_eq!(versions(&browser), 1, "a check writes nothing");

        // Applied: version 2, with its reason, in the history.
        let applied = browser.post_form(
            "/policy/edit",
            &[
                ("csrf_token", &csrf),
                ("text", &later),
                ("reason", "Give customers a few more days"),
                ("action", "apply"),
            ],
        );
        assert_eq!(applied.status, 303, "{}", applied.body);
        assert_eq!(applied.location.as_deref(), Some("/policy?applied=2"));
        let shown = browser.get("/policy?applied=2");
        shown.assert_contains("Version 2 is now the policy in force");
        shown.assert_contains(r#"id="policy-version">2<"#);
        shown.assert_contains("set by olive@acme.example");
        shown.assert_contains("Reason: Give customers a few more days");
        shown.assert_contains(r#"data-step="first_notice"><td class="num">10</td>"#);
        assert_eq!(versions(&browser), 2);
        // The editor shows the text without the reason note.
        let editor = browser.get("/policy/edit");
        assert!(
            !editor.body.contains("Reason for this version"),
            "{}",
            editor.body
        );
        // Applying the same again changes nothing: refused.
        let same = browser.post_form(
            "/policy/edit",
            &[("csrf_token", &csrf), ("text", &later), ("action", "apply")],
        );
        assert_eq!(same.status, 422, "{}", same.body);
        same.assert_contains("changes nothing");
        assert_eq!(versions(&browser), 2);

        let history = browser.get("/policy/versions");
        assert_eq!(history.status, 200, "{}", history.body);
        history.assert_contains(r#"href="/policy/versions/2">Version 2<"#);
        history.assert_contains(r#"href="/policy/versions/1">Version 1<"#);
        history.assert_contains("Give customers a few more days");
        history.assert_contains("olive@acme.example");
        for change in &changes {
            history.assert_contains(&escaped(change));
        }
        let first = browser.get("/policy/versions/1");
        assert_eq!(first.status, 200, "{}", first.body);
        first.assert_contains(r#"data-step="first_notice"><td class="num">7</td>"#);
        let second = collector.get("/policy/versions/2");
        assert_eq!(second.status, 200, "{}", second.body);
        second.assert_contains("(in force)");
        assert_eq!(browser.get("/policy/versions/9").status, 404);
    }
);

/// The default policy under § 288 BGB: `law` at the top, its own
/// `[interest]` and `[late_fee]` dropped, costs → interest → principal.
fn german(default: &str) -> String {
    let mut out = String::from("law = \"de_bgb_288\"\n");
    let mut skipping = false;
    for line in default.lines() {
        if line.trim_start().starts_with('[') {
            skipping = matches!(line.trim(), "[interest]" | "[late_fee]");
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.replace("\"late_fee\", ", "")
        .replace(", \"announce_interest\"", "")
        .replace(
            "allocation = \"principal_first\"",
            "allocation = \"fees_interest_principal\"",
        )
}

web_test!(
    fn a_law_shows_what_it_would_charge_and_each_invoice_its_sheet(server: &TestServer) {
        let (browser, csrf) = owner(server);
        let current = browser.get("/api/v1/policy");
        let document: Value = serde_json::from_str(&current.body).unwrap();
        let text = german(document["document"].as_str().unwrap());

        // Checked over the API: the law and its example invoice.
        let check = browser.post_json("/api/v1/policy/check", &csrf, json!({"document": text}));
        assert_eq!(check.status, 200, "{}", check.body);
        let check: Value = serde_json::from_str(&check.body).unwrap();
        assert_eq!(check["valid"], json!(true), "{check}");
        let example = &check["law_example"];
        assert_eq!(example["law"], json!("de_bgb_288"), "{check}");
        assert_eq!(example["currency"], json!("EUR"));
        assert_eq!(example["principal"], json!("1000.00"));
        assert_eq!(example["compensation"], json!("40.00"));
        assert!(
            example["said"]
                .as_str()
                .unwrap()
                .contains("fixed compensation once"),
            "{check}"
        );
        // A policy without a law has no example.
        let plain = browser.post_json(
            "/api/v1/policy/check",
            &csrf,
            json!({"document": document["document"]}),
        );
        assert!(
            plain.body.contains("\"law_example\":null"),
            "{}",
            plain.body
        );

        // Checked in the editor: the same example beside the changes.
        let edit = browser.get("/policy/edit");
        let checked = browser.post_form(
            "/policy/edit",
            &[
                ("csrf_token", &edit.csrf()),
                ("text", &text),
                ("reason", ""),
                ("action", "check"),
            ],
        );
        assert_eq!(checked.status, 200, "{}", checked.body);
        checked.assert_contains(r#"id="law-example""#);
        checked.assert_contains("For example: Under Germany, § 288 BGB, an invoice of 1000.00 EUR");

        // Applied, the policy page says it too.
        let applied = browser.post_form(
            "/policy/edit",
            &[
                ("csrf_token", &edit.csrf()),
                ("text", &text),
                ("reason", "statutory interest"),
                ("action", "apply"),
            ],
        );
        assert_eq!(applied.status, 303, "{}", applied.body);
        let shown = browser.get("/policy");
        shown.assert_contains("Late-payment law");
        shown.assert_contains("<code>de_bgb_288</code>");
        shown.assert_contains("40.00 EUR fixed compensation once.");

        // An invoice links its calculation sheet, a PDF.
        let made = browser.post_json(
            "/api/v1/customers",
            &csrf,
            json!({"reference": "KG", "name": "Kunde GmbH"}),
        );
        assert_eq!(made.status, 201, "{}", made.body);
        let invoice = browser.post_json(
            "/api/v1/invoices",
            &csrf,
            json!({"customer": "KG", "issue_date": "2024-05-16", "issue": true,
                   "lines": [{"description": "Work", "quantity": "1", "unit_price": "10000.00"}]}),
        );
        assert_eq!(invoice.status, 201, "{}", invoice.body);
        let page = browser.get("/invoices/INV-000001");
        page.assert_contains(r#"href="/api/v1/invoices/INV-000001/interest-sheet.pdf""#);
        let pdf = browser.get("/api/v1/invoices/INV-000001/interest-sheet.pdf?as_of=2024-09-02");
        assert_eq!(pdf.status, 200, "{}", pdf.body);
        assert_eq!(pdf.header("content-type"), Some("application/pdf"));
        // (The test browser reads text; a PDF's bytes are not, so only its size is read.)
        let bytes: usize = pdf.header("content-length").unwrap_or("0").parse().unwrap();
        assert!(bytes > 10_000, "{:?}", pdf.headers);
        assert!(
            pdf.header("content-disposition")
                .unwrap_or_default()
                .contains("interest-INV-000001-2024-09-02.pdf"),
            "{:?}",
            pdf.headers
        );
        // A day that is no date is refused naming the field.
        let bad = browser.get("/api/v1/invoices/INV-000001/interest-sheet.pdf?as_of=soon");
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert!(bad.body.contains("as_of"), "{}", bad.body);
    }
);
