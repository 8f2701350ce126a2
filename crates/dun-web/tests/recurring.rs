//! Recurring invoices and statement schedules in the browser, over real
//! HTTP on SQLite and PostgreSQL: one set up through its form (a bad
//! schedule refused, keeping what was typed), issued by the daily run and
//! its occurrences shown, paused, resumed, ended only when confirmed; a
//! customer's statement schedule set, paused, resumed and ended; a viewer
//! who sees it all and may change nothing.

mod common;

use common::{Browser, TestServer};
use dun_core::Date;
use dun_store::Store;
use serde_json::json;

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
    let customer = browser.post_json(
        "/api/v1/customers",
        &csrf,
        json!({"reference": "BOLT", "name": "Bolt Supplies", "terms": "net14"}),
    );
    assert_eq!(customer.status, 201, "{}", customer.body);
    (browser, csrf)
}

/// Sets up BOLT's hosting, billed on the 1st from January 2026; its id.
fn set_up(browser: &Browser, csrf: &str) -> String {
    let made = browser.post_form(
        "/recurring",
        &[
            ("csrf_token", csrf),
            ("customer", "BOLT"),
            ("cadence", "monthly"),
            ("every", "1"),
            ("starts", "2026-01-01"),
            ("invoice_description", "Monthly hosting"),
            ("description", "Hosting"),
            ("quantity", "1"),
            ("unit_price", "100.00"),
            ("tax_rate", "10"),
            ("description", "Backups"),
            ("quantity", "2"),
            ("unit_price", "5.00"),
            ("tax_rate", ""),
            ("description", ""),
            ("quantity", ""),
            ("unit_price", ""),
            ("tax_rate", ""),
        ],
    );
    assert_eq!(made.status, 303, "{}", made.body);
    let to = made.location.expect("a redirect");
    assert!(to.ends_with("?done=created"), "{to}");
    to.trim_start_matches("/recurring/")
        .trim_end_matches("?done=created")
        .to_string()
}

web_test!(
    fn a_schedule_added_paused_resumed_ended_with_its_occurrences(server: &TestServer) {
        let (browser, csrf) = owner(server);
        let list = browser.get("/recurring");
        assert_eq!(list.status, 200, "{}", list.body);
        list.assert_contains("No recurring invoices.");
        list.assert_contains(r#"href="/recurring/new""#);
        list.assert_contains(r#"href="/recurring" aria-current="page""#);
        let form = browser.get("/recurring/new");
        assert_eq!(form.status, 200, "{}", form.body);
        for id in [
            "customer",
            "cadence",
            "every",
            "starts",
            "ends",
            "line-0-unit_price",
            "send_email",
        ] {
            form.assert_contains(&format!("id=\"{id}\""));
        }

        // A day the month does not have: refused by the domain's schedule,
        // what was typed kept, nothing written.
        let refused = browser.post_form(
            "/recurring",
            &[
                ("csrf_token", &csrf),
                ("customer", "BOLT"),
                ("cadence", "monthly"),
                ("every", "40"),
                ("description", "Hosting"),
                ("quantity", "1"),
                ("unit_price", "100.00"),
            ],
        );
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains(r#"role="alert""#);
        refused.assert_contains("the day of the month '40' must be 1 to 31");
        refused.assert_contains(r#"value="40""#);
        refused.assert_contains(r#"value="100.00""#);
        // No line with a price: the invoice form's own refusal.
        let refused = browser.post_form(
            "/recurring",
            &[
                ("csrf_token", &csrf),
                ("customer", "BOLT"),
                ("cadence", "monthly"),
                ("every", "1"),
            ],
        );
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains("at least one line");
        browser
            .get("/recurring")
            .assert_contains("No recurring invoices.");
        // Without the session's token: refused.
        let forged = browser.post_form(
            "/recurring",
            &[("customer", "BOLT"), ("cadence", "monthly"), ("every", "1")],
        );
        assert_eq!(forged.status, 403, "{}", forged.body);

        let id = set_up(&browser, &csrf);
        let shown = browser.get(&format!("/recurring/{id}?done=created"));
        assert_eq!(shown.status, 200, "{}", shown.body);
        shown.assert_contains(&format!(
            "Recurring invoice #{id} is set up; the next invoice is on 2026-01-01."
        ));
        shown.assert_contains("day 1 of every month");
        shown.assert_contains("USD 120.00");
        shown.assert_contains("None yet");
        shown.assert_contains("E-mailed when issued</dt><dd>no");

        // The daily run issues January's and February's.
        let mut store = Store::open(&server.database_url).expect("the store");
        let org = store.orgs().unwrap().into_iter().next().unwrap();
        for day in ["2026-01-01", "2026-02-01"] {
            let report = store
                .run_schedules(org.id, Date::parse(day).unwrap())
                .unwrap();
            assert_eq!(report.issued(), 1, "{day}: {report:?}");
        }
        let shown = browser.get(&format!("/recurring/{id}"));
        shown.assert_contains(r#"id="occurrences""#);
        shown.assert_contains("2026-02-01");
        shown.assert_contains(r#"href="/invoices/INV-000001""#);
        shown.assert_contains(r#"href="/invoices/INV-000002""#);
        let list = browser.get("/recurring");
        list.assert_contains("Bolt Supplies");
        list.assert_contains("USD 120.00");
        list.assert_contains("day 1 of every month");
        list.assert_contains("2026-03-01");
        list.assert_contains(r#"<td class="num">2</td>"#);

        // Pause: the page says so; pausing twice is a conflict.
        let paused = browser.post_form(&format!("/recurring/{id}/pause"), &[("csrf_token", &csrf)]);
        assert_eq!(paused.status, 303, "{}", paused.body);
        assert_eq!(
            paused.location.as_deref(),
            Some(format!("/recurring/{id}?done=paused").as_str())
        );
        let page = browser.get(paused.location.as_deref().unwrap());
        page.assert_contains("is paused: nothing is billed until it is resumed");
        page.assert_contains(r#"<span class="badge warn">paused</span>"#);
        page.assert_contains(r#"id="resume""#);
        let twice = browser.post_form(&format!("/recurring/{id}/pause"), &[("csrf_token", &csrf)]);
        // Paused twice (from two tabs): the schedule's page, saying so.
        assert_eq!(twice.status, 422, "{}", twice.body);
        twice.assert_contains(&format!("Recurring invoice #{id} is already paused."));
        twice.assert_contains(&format!("Recurring invoice #{id} · "));
        twice.assert_contains(r#"id="resume""#);

        let resumed =
            browser.post_form(&format!("/recurring/{id}/resume"), &[("csrf_token", &csrf)]);
        assert_eq!(resumed.status, 303, "{}", resumed.body);
        let page = browser.get(resumed.location.as_deref().unwrap());
        page.assert_contains(&format!(
            "Recurring invoice #{id} is resumed; the next invoice is on"
        ));
        page.assert_contains(r#"<span class="badge ok">active</span>"#);

        // Ending asks for the confirmation; without it nothing changes.
        let unconfirmed =
            browser.post_form(&format!("/recurring/{id}/end"), &[("csrf_token", &csrf)]);
        assert_eq!(unconfirmed.status, 422, "{}", unconfirmed.body);
        unconfirmed.assert_contains("Tick the box to end");
        browser
            .get(&format!("/recurring/{id}"))
            .assert_contains(r#"<span class="badge ok">active</span>"#);
        let ended = browser.post_form(
            &format!("/recurring/{id}/end"),
            &[("csrf_token", &csrf), ("confirm", "yes")],
        );
        assert_eq!(ended.status, 303, "{}", ended.body);
        let page = browser.get(ended.location.as_deref().unwrap());
        page.assert_contains("has ended for good");
        page.assert_contains(r#"<span class="badge neutral">ended</span>"#);
        assert!(!page.body.contains(r#"id="pause""#) && !page.body.contains(r#"id="resume""#));
        let ended_twice = browser.post_form(
            &format!("/recurring/{id}/end"),
            &[("csrf_token", &csrf), ("confirm", "yes")],
        );
        assert_eq!(ended_twice.status, 422, "{}", ended_twice.body);
        ended_twice.assert_contains(&format!(
            "Recurring invoice #{id} has ended; set up a new recurring invoice instead."
        ));
        assert_eq!(
            store
                .recurring_occurrences(org.id, id.parse().unwrap())
                .unwrap()
                .len(),
            2
        );

        // A statement schedule: set, paused, resumed, ended.
        let set = browser.post_form(
            "/recurring/statements",
            &[
                ("csrf_token", &csrf),
                ("customer", "BOLT"),
                ("cadence", "monthly"),
                ("every", "last"),
            ],
        );
        assert_eq!(set.status, 303, "{}", set.body);
        let page = browser.get(set.location.as_deref().unwrap());
        page.assert_contains("The statement schedule of BOLT is set.");
        page.assert_contains(r#"id="statements-BOLT""#);
        page.assert_contains("last day of every month");
        for (step, said, badge) in [("pause", "paused", "warn"), ("resume", "resumed", "ok")] {
            let done = browser.post_form(
                &format!("/recurring/statements/BOLT/{step}"),
                &[("csrf_token", &csrf)],
            );
            assert_eq!(done.status, 303, "{}", done.body);
            let page = browser.get(done.location.as_deref().unwrap());
            page.assert_contains(&format!("The statement schedule of BOLT is {said}."));
            page.assert_contains(&format!(r#"<span class="badge {badge}">"#));
        }
        let again = browser.post_form(
            "/recurring/statements/BOLT/resume",
            &[("csrf_token", &csrf)],
        );
        assert_eq!(again.status, 422, "{}", again.body);
        again.assert_contains("The statement schedule of BOLT is already active.");
        again.assert_contains(r#"id="statements-BOLT""#);
        let unconfirmed =
            browser.post_form("/recurring/statements/BOLT/end", &[("csrf_token", &csrf)]);
        assert_eq!(unconfirmed.status, 422, "{}", unconfirmed.body);
        let done = browser.post_form(
            "/recurring/statements/BOLT/end",
            &[("csrf_token", &csrf), ("confirm", "yes")],
        );
        assert_eq!(done.status, 303, "{}", done.body);
        browser
            .get(done.location.as_deref().unwrap())
            .assert_contains("The statement schedule of BOLT is ended.");
        let schedules = store.statement_schedules(org.id).unwrap();
        assert_eq!(schedules[0].status.as_str(), "ended");
        let unknown = browser.post_form(
            "/recurring/statements",
            &[
                ("csrf_token", &csrf),
                ("customer", "NOBODY"),
                ("cadence", "monthly"),
                ("every", "1"),
            ],
        );
        assert_eq!(unknown.status, 404, "{}", unknown.body);
    }
);

web_test!(
    fn a_viewer_sees_the_schedules_and_may_not_change_them(server: &TestServer) {
        let (browser, csrf) = owner(server);
        let id = set_up(&browser, &csrf);
        let set = browser.post_form(
            "/recurring/statements",
            &[
                ("csrf_token", &csrf),
                ("customer", "BOLT"),
                ("cadence", "monthly"),
                ("every", "1"),
            ],
        );
        assert_eq!(set.status, 303, "{}", set.body);
        browser.add_member(&csrf, "vic@acme.example", "Vic Viewer", PASSWORD, "viewer");
        let viewer = server.browser();
        let signed = viewer.post_form(
            "/sign-in",
            &[("email", "vic@acme.example"), ("password", PASSWORD)],
        );
        assert_eq!(signed.status, 303, "{}", signed.body);

        let list = viewer.get("/recurring");
        assert_eq!(list.status, 200, "{}", list.body);
        list.assert_contains("Bolt Supplies");
        list.assert_contains(r#"id="statements-BOLT""#);
        for form in [
            "/recurring/new\"",
            "/recurring/statements\"",
            "/recurring/statements/BOLT/pause\"",
        ] {
            assert!(
                !list.body.contains(form),
                "a viewer sees no {form}:\n{}",
                list.body
            );
        }
        let page = viewer.get(&format!("/recurring/{id}"));
        assert_eq!(page.status, 200, "{}", page.body);
        page.assert_contains("day 1 of every month");
        for form in ["/pause\"", "/resume\"", "/end\""] {
            assert!(
                !page.body.contains(form),
                "a viewer sees no {form} form:\n{}",
                page.body
            );
        }
        viewer
            .get("/recurring/new")
            .assert_contains("You may read the book but not write to it");

        let viewer_csrf = page.csrf();
        for path in [
            format!("/recurring/{id}/pause"),
            "/recurring/statements/BOLT/pause".to_string(),
        ] {
            let refused = viewer.post_form(&path, &[("csrf_token", &viewer_csrf)]);
            assert_eq!(refused.status, 403, "{path}: {}", refused.body);
        }
        let refused = viewer.post_form(
            "/recurring",
            &[
                ("csrf_token", &viewer_csrf),
                ("customer", "BOLT"),
                ("cadence", "monthly"),
                ("every", "1"),
                ("quantity", "1"),
                ("unit_price", "1.00"),
            ],
        );
        assert_eq!(refused.status, 403, "{}", refused.body);
        let page = browser.get(&format!("/recurring/{id}"));
        page.assert_contains(r#"<span class="badge ok">active</span>"#);
        let list = browser.get("/recurring");
        assert_eq!(
            list.body
                .matches(r#"<span class="badge ok">active</span>"#)
                .count(),
            2,
            "{}",
            list.body
        );
    }
);
