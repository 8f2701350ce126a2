//! A customer's page as a person works it, over real HTTP on SQLite and
//! PostgreSQL: a new customer through its form, then every action on the
//! page (note, dispute and its resolution, pause and resume, a hold, a
//! payment plan, a portal link) through its form and seen on the timeline;
//! refusals that keep what was typed; a viewer who sees no forms and may
//! not post; a form without the session's CSRF token refused.

mod common;

use common::{Browser, Page};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

/// Sets up the organisation; the owner's browser and CSRF token.
fn owner(server: &common::TestServer) -> (Browser, String) {
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

fn issue(browser: &Browser, csrf: &str, customer: &str, price: &str) -> String {
    let invoice = browser.post_json(
        "/api/v1/invoices",
        csrf,
        json!({"customer": customer, "issue_date": "2026-01-05", "terms": "net30",
               "lines": [{"description": "Hex bolts", "quantity": "1", "unit_price": price}],
               "issue": true}),
    );
    assert_eq!(invoice.status, 201, "{}", invoice.body);
    let invoice: serde_json::Value = serde_json::from_str(&invoice.body).unwrap();
    invoice["number"].as_str().expect("a number").to_string()
}

fn done(page: &Page, reference: &str) {
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        page.location.as_deref(),
        Some(format!("/customers/{reference}#timeline").as_str())
    );
}

web_test!(
    fn a_new_customer_through_its_form(server: &TestServer) {
        let (browser, csrf) = owner(server);
        let list = browser.get("/customers");
        list.assert_contains(r#"href="/customers/new""#);
        list.assert_contains("New customer");
        let form = browser.get("/customers/new");
        assert_eq!(form.status, 200, "{}", form.body);
        for id in [
            "reference",
            "name",
            "email",
            "phone",
            "terms",
            "credit_limit",
        ] {
            form.assert_contains(&format!("id=\"{id}\""));
        }
        form.assert_contains("Create customer");

        let fields = |reference: &'static str, terms: &'static str, limit: &'static str| {
            vec![
                ("csrf_token", csrf.clone()),
                ("reference", reference.to_string()),
                ("name", "Bolt & Nut Supplies".to_string()),
                ("email", "ap@bolt.example".to_string()),
                ("phone", "+1 555 0100".to_string()),
                ("terms", terms.to_string()),
                ("credit_limit", limit.to_string()),
            ]
        };
        let post = |fields: Vec<(&'static str, String)>| {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            browser.post_form("/customers", &pairs)
        };

        // Bad terms: the form again with the message and every value kept.
        let refused = post(fields("BOLT", "net-forever", "5000.00"));
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains(r#"class="notice bad" role="alert""#);
        refused.assert_contains("terms");
        refused.assert_contains(r#"value="net-forever""#);
        refused.assert_contains(r#"value="Bolt &amp; Nut Supplies""#);
        refused.assert_contains(r#"value="ap@bolt.example""#);
        refused.assert_contains(r#"value="5000.00""#);
        let refused = post(fields("BOLT", "net30", "lots"));
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains("credit_limit");
        assert_eq!(
            browser.get("/customers/BOLT").status,
            404,
            "nothing was written"
        );

        let made = post(fields("BOLT", "net45", "5000.00"));
        assert_eq!(made.status, 303, "{}", made.body);
        assert_eq!(made.location.as_deref(), Some("/customers/BOLT"));
        let page = browser.get("/customers/BOLT");
        assert_eq!(page.status, 200, "{}", page.body);
        page.assert_contains("Bolt &amp; Nut Supplies");
        page.assert_contains("ap@bolt.example");
        page.assert_contains("net45");
        page.assert_contains("credit limit USD 5,000.00");

        // The same reference again is refused in the form, not as an error page.
        let twice = post(fields("BOLT", "net30", ""));
        assert_eq!(twice.status, 422, "{}", twice.body);
        twice.assert_contains("BOLT");
        twice.assert_contains(r#"role="alert""#);

        // Without the session's token: refused, nothing written.
        let forged =
            browser.post_form("/customers", &[("reference", "FORGED"), ("name", "Forged")]);
        assert_eq!(forged.status, 403, "{}", forged.body);
        assert_eq!(browser.get("/customers/FORGED").status, 404);
    }
);

web_test!(
    fn every_action_through_its_form(server: &TestServer) {
        let (browser, csrf) = owner(server);
        for (reference, name) in [("BOLT", "Bolt Supplies"), ("ZED", "Zed Hardware")] {
            let made = browser.post_form(
                "/customers",
                &[
                    ("csrf_token", &csrf),
                    ("reference", reference),
                    ("name", name),
                    ("terms", "net30"),
                ],
            );
            assert_eq!(made.status, 303, "{}", made.body);
        }
        let first = issue(&browser, &csrf, "BOLT", "627.00");
        let second = issue(&browser, &csrf, "BOLT", "300.00");
        let zeds = issue(&browser, &csrf, "ZED", "99.00");

        let page = browser.get("/customers/BOLT");
        for id in [
            "note_text",
            "dispute_invoice",
            "dispute_reason",
            "pause_until",
            "pause_reason",
            "hold_status",
            "hold_reason",
            "plan_invoices",
            "plan_count",
            "plan_first",
            "plan_every",
        ] {
            page.assert_contains(&format!("id=\"{id}\""));
        }
        assert!(
            !page.body.contains(&zeds),
            "only BOLT's invoices are offered"
        );

        // A note.
        let empty = browser.post_form(
            "/customers/BOLT/notes",
            &[("csrf_token", &csrf), ("form", "note"), ("note_text", "  ")],
        );
        assert_eq!(empty.status, 422, "{}", empty.body);
        empty.assert_contains("A note needs its text");
        done(
            &browser.post_form(
                "/customers/BOLT/notes",
                &[
                    ("csrf_token", &csrf),
                    ("form", "note"),
                    ("note_text", "Asked for remittance advice"),
                ],
            ),
            "BOLT",
        );
        let page = browser.get("/customers/BOLT");
        page.assert_contains("k-note");
        page.assert_contains("Asked for remittance advice");

        // A dispute: another customer's invoice is refused, the reason kept.
        let wrong = browser.post_form(
            "/customers/BOLT/disputes",
            &[
                ("csrf_token", &csrf),
                ("form", "dispute"),
                ("dispute_invoice", &zeds),
                ("dispute_reason", "Short delivery of ZED"),
            ],
        );
        assert_eq!(wrong.status, 422, "{}", wrong.body);
        wrong.assert_contains("Short delivery of ZED");
        wrong.assert_contains(&format!("BOLT has no invoice {zeds}"));
        done(
            &browser.post_form(
                "/customers/BOLT/disputes",
                &[
                    ("csrf_token", &csrf),
                    ("form", "dispute"),
                    ("dispute_invoice", &first),
                    ("dispute_reason", "Two boxes arrived damaged"),
                ],
            ),
            "BOLT",
        );
        let page = browser.get("/customers/BOLT");
        page.assert_contains("k-dispute");
        page.assert_contains(&format!("Disputed {first}: Two boxes arrived damaged"));
        page.assert_contains("id=\"resolve_dispute\"");
        assert!(!browser.get("/customers/ZED").body.contains("Two boxes"));
        // The same invoice again: a conflict, said beside the form.
        let again = browser.post_form(
            "/customers/BOLT/disputes",
            &[
                ("csrf_token", &csrf),
                ("form", "dispute"),
                ("dispute_invoice", &first),
                ("dispute_reason", "again"),
            ],
        );
        assert_eq!(again.status, 422, "{}", again.body);
        again.assert_contains(r#"role="alert""#);

        // Resolved: rejected, collections resume.
        let dispute_id = {
            let marker = r#"<option value=""#;
            let at = page.body.find("id=\"resolve_dispute\"").unwrap();
            let rest = &page.body[at..];
            let start = rest.find(marker).unwrap() + marker.len();
            rest[start..start + rest[start..].find('"').unwrap()].to_string()
        };
        let needs_amount = browser.post_form(
            "/customers/BOLT/disputes/resolve",
            &[
                ("csrf_token", &csrf),
                ("form", "resolve"),
                ("resolve_dispute", &dispute_id),
                ("resolution", "credit_note"),
                ("resolve_reason", "kept reason"),
            ],
        );
        assert_eq!(needs_amount.status, 422, "{}", needs_amount.body);
        needs_amount.assert_contains("A credit note needs its amount");
        needs_amount.assert_contains("kept reason");
        done(
            &browser.post_form(
                "/customers/BOLT/disputes/resolve",
                &[
                    ("csrf_token", &csrf),
                    ("form", "resolve"),
                    ("resolve_dispute", &dispute_id),
                    ("resolution", "rejected"),
                    ("resolve_reason", "photos show intact boxes"),
                ],
            ),
            "BOLT",
        );
        let page = browser.get("/customers/BOLT");
        page.assert_contains(&format!("Dispute on {first} rejected"));
        assert!(
            !page.body.contains("id=\"resolve_dispute\""),
            "no open dispute left"
        );

        // Pause (a past day is refused), then resume.
        let past = browser.post_form(
            "/customers/BOLT/pause",
            &[
                ("csrf_token", &csrf),
                ("form", "pause"),
                ("pause_until", "2001-01-01"),
                ("pause_reason", "kept pause reason"),
            ],
        );
        assert_eq!(past.status, 422, "{}", past.body);
        past.assert_contains("kept pause reason");
        done(
            &browser.post_form(
                "/customers/BOLT/pause",
                &[
                    ("csrf_token", &csrf),
                    ("form", "pause"),
                    ("pause_until", "2099-03-01"),
                    ("pause_reason", "owner in hospital"),
                ],
            ),
            "BOLT",
        );
        let page = browser.get("/customers/BOLT");
        page.assert_contains("Paused collections through 2099-03-01: owner in hospital");
        page.assert_contains("paused through 2099-03-01");
        page.assert_contains("Resume the ladder");
        done(
            &browser.post_form(
                "/customers/BOLT/resume",
                &[("csrf_token", &csrf), ("form", "resume")],
            ),
            "BOLT",
        );
        let page = browser.get("/customers/BOLT");
        page.assert_contains("Resumed collections");
        page.assert_contains("Pause the ladder");
        // Resuming what is not paused: said beside the form.
        let not_paused = browser.post_form(
            "/customers/BOLT/resume",
            &[("csrf_token", &csrf), ("form", "resume")],
        );
        assert_eq!(not_paused.status, 422, "{}", not_paused.body);
        not_paused.assert_contains("is not paused");
        done(
            &browser.post_form(
                "/customers/BOLT/pause",
                &[
                    ("csrf_token", &csrf),
                    ("form", "pause"),
                    ("pause_until", ""),
                    ("pause_reason", "until the audit ends"),
                ],
            ),
            "BOLT",
        );
        browser
            .get("/customers/BOLT")
            .assert_contains("paused until resumed");
        done(
            &browser.post_form(
                "/customers/BOLT/resume",
                &[("csrf_token", &csrf), ("form", "resume")],
            ),
            "BOLT",
        );

        // A hold, then lifted.
        let no_reason = browser.post_form(
            "/customers/BOLT/status",
            &[
                ("csrf_token", &csrf),
                ("form", "status"),
                ("hold_status", "on_hold"),
                ("hold_reason", ""),
            ],
        );
        assert_eq!(no_reason.status, 422, "{}", no_reason.body);
        done(
            &browser.post_form(
                "/customers/BOLT/status",
                &[
                    ("csrf_token", &csrf),
                    ("form", "status"),
                    ("hold_status", "on_hold"),
                    ("hold_reason", "cheque bounced"),
                ],
            ),
            "BOLT",
        );
        let page = browser.get("/customers/BOLT");
        page.assert_contains("k-status_change");
        page.assert_contains("cheque bounced");
        page.assert_contains(r#"<span class="badge bad">on hold</span>"#);
        done(
            &browser.post_form(
                "/customers/BOLT/status",
                &[
                    ("csrf_token", &csrf),
                    ("form", "status"),
                    ("hold_status", "active"),
                    ("hold_reason", "cheque cleared"),
                ],
            ),
            "BOLT",
        );
        let page = browser.get("/customers/BOLT");
        page.assert_contains("cheque cleared");
        page.assert_contains(r#"<span class="badge ok">active</span>"#);

        // A payment plan on the second invoice: three installments.
        let bad_count = browser.post_form(
            "/customers/BOLT/plans",
            &[
                ("csrf_token", &csrf),
                ("form", "plan"),
                ("plan_invoices", &second),
                ("plan_count", "none"),
                ("plan_first", "2030-01-01"),
                ("plan_every", "30"),
            ],
        );
        assert_eq!(bad_count.status, 422, "{}", bad_count.body);
        bad_count.assert_contains(r#"value="2030-01-01""#);
        done(
            &browser.post_form(
                "/customers/BOLT/plans",
                &[
                    ("csrf_token", &csrf),
                    ("form", "plan"),
                    ("plan_invoices", &second),
                    ("plan_count", "3"),
                    ("plan_first", "2030-01-01"),
                    // Empty: the store's default, 30 days (as the API's).
                    ("plan_every", ""),
                ],
            ),
            "BOLT",
        );
        let page = browser.get("/customers/BOLT");
        page.assert_contains("k-plan");
        page.assert_contains("300.00 USD in 3 installment(s), 2030-01-01 to 2030-03-02");

        // A policy override: the customer's own terms and limit, with the reason.
        let page = browser.get("/customers/BOLT");
        for id in [
            "override_terms",
            "override_credit_limit",
            "override_shift_days",
            "override_pause",
            "override_reason",
        ] {
            page.assert_contains(&format!("id=\"{id}\""));
        }
        let bad_terms = browser.post_form(
            "/customers/BOLT/override",
            &[
                ("csrf_token", &csrf),
                ("form", "override"),
                ("override_terms", "whenever"),
                ("override_reason", "kept override reason"),
            ],
        );
        assert_eq!(bad_terms.status, 422, "{}", bad_terms.body);
        bad_terms.assert_contains("kept override reason");
        bad_terms.assert_contains(r#"value="whenever""#);
        let override_fields = [
            ("csrf_token", csrf.as_str()),
            ("form", "override"),
            ("override_terms", "net60"),
            ("override_credit_limit", "10000.00"),
            ("override_shift_days", ""),
            ("override_reason", "Pays \"quarterly\" by cheque"),
        ];
        done(
            &browser.post_form("/customers/BOLT/override", &override_fields),
            "BOLT",
        );
        let page = browser.get("/customers/BOLT");
        page.assert_contains("k-override");
        page.assert_contains("Policy override (version 2): terms net60; credit limit 10000 — Pays &quot;quarterly&quot; by cheque");
        let policy = browser.get("/api/v1/policy");
        assert!(policy.body.contains("[[customer]]"), "{}", policy.body);
        let twice = browser.post_form("/customers/BOLT/override", &override_fields);
        assert_eq!(twice.status, 422, "{}", twice.body);

        // A portal link, shown to copy.
        let linked = browser.post_form("/customers/BOLT/portal-link", &[("csrf_token", &csrf)]);
        assert_eq!(linked.status, 200, "{}", linked.body);
        linked.assert_contains(r#"id="portal-link""#);
        linked.assert_contains("/portal/");

        // Without the CSRF token every action is refused and nothing is logged.
        for (path, fields) in [
            ("/customers/BOLT/notes", vec![("note_text", "forged note")]),
            (
                "/customers/BOLT/status",
                vec![
                    ("hold_status", "do_not_serve"),
                    ("hold_reason", "forged hold"),
                ],
            ),
            (
                "/customers/BOLT/pause",
                vec![("pause_reason", "forged pause")],
            ),
            ("/customers/BOLT/portal-link", vec![]),
        ] {
            let forged = browser.post_form(path, &fields);
            assert_eq!(forged.status, 403, "{path}: {}", forged.body);
        }
        let page = browser.get("/customers/BOLT");
        assert!(!page.body.contains("forged"), "{}", page.body);
    }
);

web_test!(
    fn a_viewer_sees_no_forms_and_may_not_post(server: &TestServer) {
        let (browser, csrf) = owner(server);
        let made = browser.post_form(
            "/customers",
            &[
                ("csrf_token", &csrf),
                ("reference", "BOLT"),
                ("name", "Bolt Supplies"),
            ],
        );
        assert_eq!(made.status, 303, "{}", made.body);
        issue(&browser, &csrf, "BOLT", "10.00");
        browser.add_member(&csrf, "vic@acme.example", "Vic Viewer", PASSWORD, "viewer");

        let viewer = server.browser();
        let signed = viewer.post_form(
            "/sign-in",
            &[("email", "vic@acme.example"), ("password", PASSWORD)],
        );
        assert_eq!(signed.status, 303, "{}", signed.body);
        let page = viewer.get("/customers/BOLT");
        assert_eq!(page.status, 200, "{}", page.body);
        page.assert_contains("Bolt Supplies");
        for form in [
            "/calls\"",
            "/notes\"",
            "/disputes\"",
            "/pause\"",
            "/status\"",
            "/plans\"",
            "/portal-link\"",
        ] {
            assert!(
                !page.body.contains(form),
                "a viewer sees no {form} form:\n{}",
                page.body
            );
        }
        assert!(!viewer.get("/customers").body.contains("New customer"));
        let viewer_csrf = page.csrf();
        let refused = viewer.post_form(
            "/customers/BOLT/notes",
            &[
                ("csrf_token", &viewer_csrf),
                ("form", "note"),
                ("note_text", "viewer note"),
            ],
        );
        assert_eq!(refused.status, 403, "{}", refused.body);
        let refused = viewer.post_form(
            "/customers",
            &[
                ("csrf_token", &viewer_csrf),
                ("reference", "VIEW"),
                ("name", "Viewer's"),
            ],
        );
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(!browser.get("/customers/BOLT").body.contains("viewer note"));

        // A collector works the customer but may not change the policy.
        browser.add_member(
            &csrf,
            "cole@acme.example",
            "Cole Collector",
            PASSWORD,
            "collector",
        );
        let collector = server.browser();
        let signed = collector.post_form(
            "/sign-in",
            &[("email", "cole@acme.example"), ("password", PASSWORD)],
        );
        assert_eq!(signed.status, 303, "{}", signed.body);
        let page = collector.get("/customers/BOLT");
        page.assert_contains(r#"action="/customers/BOLT/notes""#);
        assert!(!page.body.contains(r#"action="/customers/BOLT/override""#));
        page.assert_contains("Only an owner can");
        let refused = collector.post_form(
            "/customers/BOLT/override",
            &[
                ("csrf_token", &page.csrf()),
                ("form", "override"),
                ("override_terms", "net90"),
                ("override_reason", "collector tries"),
            ],
        );
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(!browser
            .get("/customers/BOLT")
            .body
            .contains("collector tries"));
    }
);

web_test!(
    fn a_customers_details_are_edited_from_their_page(server: &TestServer) {
        let (browser, csrf) = owner(server);
        let made = browser.post_json(
            "/api/v1/customers",
            &csrf,
            json!({"reference": "BOLT", "name": "Bolt & Nut", "email": "ap@bolt.example", "terms": "net30"}),
        );
        assert_eq!(made.status, 201, "{}", made.body);
        let page = browser.get("/customers/BOLT");
        page.assert_contains(r#"action="/customers/BOLT/edit""#);
        page.assert_contains(r#"value="ap@bolt.example""#);
        // A bad address: the form again, with what was typed.
        let refused = browser.post_form(
            "/customers/BOLT/edit",
            &[
                ("csrf_token", &csrf),
                ("form", "edit"),
                ("edit_name", "Bolt & Nut"),
                ("edit_email", "billing at bolt"),
                ("edit_phone", ""),
                ("edit_credit_limit", ""),
                ("edit_terms", "net30"),
            ],
        );
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains("not an e-mail address");
        refused.assert_contains(r#"value="billing at bolt""#);
        let saved = browser.post_form(
            "/customers/BOLT/edit",
            &[
                ("csrf_token", &csrf),
                ("form", "edit"),
                ("edit_name", "Bolt & Nut Supplies"),
                ("edit_email", "billing@bolt.example"),
                ("edit_phone", "+44 20 7946 0000"),
                ("edit_credit_limit", "1500.00"),
                ("edit_terms", "net45"),
            ],
        );
        done(&saved, "BOLT");
        let after = browser.get("/customers/BOLT");
        after.assert_contains("billing@bolt.example");
        after.assert_contains("terms net45");
        after.assert_contains("email: ap@bolt.example → billing@bolt.example");
        // The API changes one field and leaves the rest.
        let patched = browser.send(
            "PATCH",
            "/api/v1/customers/BOLT",
            Some(json!({"phone": null}).to_string()),
            &[
                ("Content-Type", "application/json"),
                ("x-csrf-token", &csrf),
            ],
        );
        assert_eq!(patched.status, 200, "{}", patched.body);
        let customer: serde_json::Value = serde_json::from_str(&patched.body).unwrap();
        assert_eq!(
            customer["email"],
            json!("billing@bolt.example"),
            "{customer}"
        );
        assert!(customer["phone"].is_null(), "{customer}");

        // The address and identifiers: a bad electronic address is refused
        // with what was typed; saved, each change is on the timeline.
        let address = |endpoint: &str| {
            browser.post_form(
                "/customers/BOLT/address",
                &[
                    ("csrf_token", csrf.as_str()),
                    ("form", "address"),
                    ("address_1", "Hauptstraße 5"),
                    ("address_2", ""),
                    ("address_3", ""),
                    ("city", "Berlin"),
                    ("postcode", "10115"),
                    ("region", ""),
                    ("country_code", "DE"),
                    ("vat_id", "DE123456789"),
                    ("company_id", ""),
                    ("endpoint", endpoint),
                ],
            )
        };
        let refused = address("0089:123");
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains("SCHEME:ID");
        refused.assert_contains(r#"value="0089:123""#);
        done(&address("9930:DE123456789"), "BOLT");
        let after = browser.get("/customers/BOLT");
        after.assert_contains(r#"value="9930:DE123456789""#);
        after.assert_contains("address: (none) → Hauptstraße 5");
        after.assert_contains("electronic address: (none) → 9930:DE123456789");
        after.assert_contains(r#"value="Berlin""#);
        // The name, e-mail and phone stay as they were.
        after.assert_contains("billing@bolt.example");
    }
);
