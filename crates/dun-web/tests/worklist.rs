//! The worklist over real HTTP: a run applied through the API makes tasks;
//! the page lists them in the store's priority order; one click logs an
//! outcome that closes the task and shows on the customer's timeline; a
//! viewer sees no forms; a form without the CSRF token is refused.

mod common;

use common::{Browser, TestServer};
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

fn member(server: &TestServer, owner: &Browser, csrf: &str, email: &str, role: &str) -> Browser {
    owner.add_member(csrf, email, role, PASSWORD, role);
    let browser = server.browser();
    let signed = browser.post_form("/sign-in", &[("email", email), ("password", PASSWORD)]);
    assert_eq!(signed.status, 303, "{}", signed.body);
    browser
}

/// The task ids in the order the page lists them.
fn listed(body: &str) -> Vec<i64> {
    body.match_indices("data-task=\"")
        .map(|(i, m)| {
            let rest = &body[i + m.len()..];
            rest[..rest.find('"').unwrap()].parse().unwrap()
        })
        .collect()
}

web_test!(
    fn tasks_in_priority_order_and_one_click_outcomes(server: &TestServer) {
        let (browser, csrf) = owner(server);
        let empty = browser.get("/worklist");
        assert_eq!(empty.status, 200, "{}", empty.body);
        empty.assert_contains("No open tasks are due");

        // Three customers owing different amounts, long overdue.
        for (reference, name, price) in [
            ("SMALL", "Small Shop", "50.00"),
            ("BIG", "Big Builders", "9000.00"),
            ("MID", "Mid & Sons", "700.00"),
        ] {
            let c = browser.post_json(
                "/api/v1/customers",
                &csrf,
                json!({"reference": reference, "name": name, "terms": "net30"}),
            );
            assert_eq!(c.status, 201, "{}", c.body);
            let i = browser.post_json(
                "/api/v1/invoices",
                &csrf,
                json!({"customer": reference, "issue_date": "2026-01-05", "terms": "net30",
                       "lines": [{"description": "Goods", "quantity": "1", "unit_price": price}],
                       "issue": true}),
            );
            assert_eq!(i.status, 201, "{}", i.body);
        }
        // At +39 days: the follow-up call of the default ladder, before
        // its +60 final demand and +90 escalation review.
        let run = browser.post_json("/api/v1/runs", &csrf, json!({"as_of": "2026-03-15"}));
        assert_eq!(run.status, 201, "{}", run.body);

        let api = browser.get("/api/v1/worklist?limit=1000");
        assert_eq!(api.status, 200, "{}", api.body);
        let rows: Vec<Value> = serde_json::from_str(&api.body).unwrap();
        assert!(rows.len() >= 3, "the run made tasks: {}", api.body);
        let order: Vec<i64> = rows
            .iter()
            .map(|r| r["task_id"].as_i64().unwrap())
            .collect();

        let page = browser.get("/worklist");
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(!page.body.to_lowercase().contains("<script"));
        assert_eq!(listed(&page.body), order, "the store's priority order");
        // The biggest amount at risk comes first.
        assert_eq!(rows[0]["customer_reference"], "BIG", "{}", api.body);
        let first = page.body.find("data-task=").unwrap();
        assert!(page.body[first..].find("Big Builders") < page.body[first..].find("Small Shop"));
        page.assert_contains(r#"href="/customers/BIG""#);
        page.assert_contains("USD 9,000.00");
        page.assert_contains("Mid &amp; Sons");
        let top = order[0];
        page.assert_contains(&format!(r#"action="/worklist/{top}/done""#));
        page.assert_contains(&format!(r#"<label for="outcome-{top}">"#));
        page.assert_contains(&format!(r#"id="done-{top}-voicemail""#));

        // Filtered by kind: only that kind.
        let kind = rows[0]["task_kind"].as_str().unwrap().to_string();
        let same: Vec<i64> = rows
            .iter()
            .filter(|r| r["task_kind"] == kind.as_str())
            .map(|r| r["task_id"].as_i64().unwrap())
            .collect();
        assert_eq!(
            listed(&browser.get(&format!("/worklist?kind={kind}")).body),
            same
        );

        // Without the CSRF token: refused, nothing closed.
        let forged = browser.post_form(
            &format!("/worklist/{top}/done"),
            &[("preset", "Left voicemail")],
        );
        assert_eq!(forged.status, 403, "{}", forged.body);
        assert_eq!(listed(&browser.get("/worklist").body), order);

        // No outcome at all: the page again, with the message.
        let blank = browser.post_form(
            &format!("/worklist/{top}/done"),
            &[("csrf_token", &csrf), ("outcome", " ")],
        );
        assert_eq!(blank.status, 422, "{}", blank.body);
        blank.assert_contains("Say what came of the task");
        blank.assert_contains(r#"role="alert""#);

        // One click: closed, on the timeline, gone from the list.
        let done = browser.post_form(
            &format!("/worklist/{top}/done"),
            &[
                ("csrf_token", &csrf),
                ("preset", "Left voicemail"),
                ("outcome", ""),
            ],
        );
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(done.location, Some(format!("/worklist?done={top}")));
        let after = browser.get(done.location.as_deref().unwrap());
        after.assert_contains(&format!("Task #{top} is done"));
        assert_eq!(listed(&after.body), order[1..].to_vec());
        let customer = browser.get("/customers/BIG");
        customer.assert_contains("Left voicemail");
        customer.assert_contains("k-task_done");
        let tasks = browser.get("/api/v1/tasks?status=done");
        tasks.assert_contains("Left voicemail");

        // Done by mistake: "Undo" beside the notice opens it again, back in
        // its place, with the reopening on the timeline.
        after.assert_contains(&format!(r#"action="/worklist/{top}/reopen""#));
        let reopened = browser.post_form(
            &format!("/worklist/{top}/reopen"),
            &[("csrf_token", &csrf), ("reason", "closed by mistake")],
        );
        assert_eq!(reopened.status, 303, "{}", reopened.body);
        let back = browser.get(reopened.location.as_deref().unwrap());
        back.assert_contains(&format!("Task #{top} is open again"));
        assert_eq!(listed(&back.body), order);
        browser
            .get("/customers/BIG")
            .assert_contains("k-task_reopened");
        // Reopening an open task: refused, said on the page.
        let twice = browser.post_form(
            &format!("/worklist/{top}/reopen"),
            &[("csrf_token", &csrf), ("reason", "again")],
        );
        assert_eq!(twice.status, 409, "{}", twice.body);
        twice.assert_contains("not done");
        // Over the API, a collector's reopening is the same.
        let done_again = browser.post_json(
            &format!("/api/v1/tasks/{top}/done"),
            &csrf,
            serde_json::json!({"outcome": "Left voicemail"}),
        );
        assert_eq!(done_again.status, 200, "{}", done_again.body);
        let api = browser.post_json(
            &format!("/api/v1/tasks/{top}/reopen"),
            &csrf,
            serde_json::json!({"reason": "wrong customer"}),
        );
        assert_eq!(api.status, 200, "{}", api.body);
        assert!(api.body.contains(r#""status":"open""#), "{}", api.body);
        let done = browser.post_form(
            &format!("/worklist/{top}/done"),
            &[
                ("csrf_token", &csrf),
                ("preset", "Left voicemail"),
                ("outcome", ""),
            ],
        );
        assert_eq!(done.status, 303, "{}", done.body);

        // "Promised" asks what and by when: without them it is refused,
        // naming the field, and nothing is written.
        let second = order[1];
        let vague = browser.post_form(
            &format!("/worklist/{second}/done"),
            &[
                ("csrf_token", &csrf),
                ("preset", "Called — promised to pay"),
                ("outcome", "by Friday"),
            ],
        );
        assert_eq!(vague.status, 422, "{}", vague.body);
        vague.assert_contains("Say how much they promised to pay");
        // A preset with words typed: both are kept, and the promise is
        // recorded with the task closed, so the ladder waits for it.
        let done = browser.post_form(
            &format!("/worklist/{second}/done"),
            &[
                ("csrf_token", &csrf),
                ("preset", "Called — promised to pay"),
                ("outcome", "by Friday"),
                ("promise_amount", "5.00"),
                ("promise_currency", "USD"),
                ("promise_date", "2099-01-09"),
            ],
        );
        assert_eq!(done.status, 303, "{}", done.body);
        browser
            .get("/api/v1/tasks?status=done")
            .assert_contains("Called — promised to pay — by Friday");
        let promised_by = rows
            .iter()
            .find(|r| r["task_id"].as_i64() == Some(second))
            .and_then(|r| r["customer_reference"].as_str())
            .unwrap()
            .to_string();
        browser
            .get(&format!("/customers/{promised_by}"))
            .assert_contains("2099-01-09");
        // Closing it again: a conflict, as the API answers.
        let again = browser.post_form(
            &format!("/worklist/{second}/done"),
            &[("csrf_token", &csrf), ("preset", "Done")],
        );
        assert_eq!(again.status, 409, "{}", again.body);

        // A viewer reads the list but gets no forms, and cannot post.
        let viewer = member(server, &browser, &csrf, "vic@acme.example", "viewer");
        let seen = viewer.get("/worklist");
        assert_eq!(seen.status, 200, "{}", seen.body);
        seen.assert_contains("Small Shop");
        assert!(
            !seen.body.contains("/done\""),
            "no outcome forms: {}",
            seen.body
        );
        let viewer_csrf = seen.csrf();
        let refused = viewer.post_form(
            &format!("/worklist/{}/done", order[2]),
            &[("csrf_token", &viewer_csrf), ("preset", "Done")],
        );
        assert_eq!(refused.status, 403, "{}", refused.body);

        // A collector may.
        let collector = member(server, &browser, &csrf, "cole@acme.example", "collector");
        let page = collector.get("/worklist");
        let token = page.csrf();
        let done = collector.post_form(
            &format!("/worklist/{}/done", order[2]),
            &[("csrf_token", &token), ("preset", "No answer")],
        );
        assert_eq!(done.status, 303, "{}", done.body);
    }
);

web_test!(
    fn an_escalation_review_is_decided_from_the_worklist(server: &TestServer) {
        let (browser, csrf) = owner(server);
        for (reference, name) in [("BIG", "Big Builders"), ("GONE", "Gone Ltd")] {
            let c = browser.post_json(
                "/api/v1/customers",
                &csrf,
                json!({"reference": reference, "name": name, "terms": "net30"}),
            );
            assert_eq!(c.status, 201, "{}", c.body);
            let i = browser.post_json(
                "/api/v1/invoices",
                &csrf,
                json!({"customer": reference, "issue_date": "2026-01-05", "terms": "net30",
                       "lines": [{"description": "Goods", "quantity": "1", "unit_price": "900.00"}],
                       "issue": true}),
            );
            assert_eq!(i.status, 201, "{}", i.body);
        }
        // Long overdue: the run proposes an escalation review for each.
        let run = browser.post_json("/api/v1/runs", &csrf, json!({}));
        assert_eq!(run.status, 201, "{}", run.body);
        let page = browser.get("/worklist?kind=escalation");
        let reviews = listed(&page.body);
        assert_eq!(reviews.len(), 2, "{}", page.body);
        let (big, gone) = (reviews[0], reviews[1]);
        page.assert_contains(&format!(r#"action="/worklist/{big}/decide""#));
        page.assert_contains(&format!(r#"<label for="reason-{big}">"#));
        page.assert_contains(&format!(r#"id="decide-{big}-write_off""#));

        // A collector decides, but is offered no write-off and may not post one.
        let cole = member(server, &browser, &csrf, "cole@acme.example", "collector");
        let cole_csrf = cole.get("/dashboard").csrf();
        let theirs = cole.get("/worklist?kind=escalation");
        theirs.assert_contains(&format!(r#"id="decide-{big}-agency""#));
        assert!(!theirs
            .body
            .contains(&format!(r#"id="decide-{big}-write_off""#)));
        let refused = cole.post_form(
            &format!("/worklist/{gone}/decide"),
            &[
                ("csrf_token", &cole_csrf),
                ("decision", "write_off"),
                ("reason", "gone"),
            ],
        );
        assert_eq!(refused.status, 403, "{}", refused.body);

        // Without a reason: the page again, saying so; nothing decided.
        let blank = cole.post_form(
            &format!("/worklist/{big}/decide"),
            &[
                ("csrf_token", &cole_csrf),
                ("decision", "agency"),
                ("reason", " "),
            ],
        );
        assert_eq!(blank.status, 422, "{}", blank.body);
        blank.assert_contains("reason: give one");
        let handed = cole.post_form(
            &format!("/worklist/{big}/decide"),
            &[
                ("csrf_token", &cole_csrf),
                ("decision", "agency"),
                ("reason", "no reply to the final demand"),
            ],
        );
        assert_eq!(handed.status, 303, "{}", handed.body);
        // The owner writes the other off.
        let written = browser.post_form(
            &format!("/worklist/{gone}/decide"),
            &[
                ("csrf_token", &csrf),
                ("decision", "write_off"),
                ("reason", "dissolved"),
            ],
        );
        assert_eq!(written.status, 303, "{}", written.body);
        assert!(listed(&browser.get("/worklist?kind=escalation").body).is_empty());

        let list = browser.get("/escalations");
        assert_eq!(list.status, 200, "{}", list.body);
        list.assert_contains("Big Builders");
        list.assert_contains("with agency");
        list.assert_contains(r#"href="/api/v1/customers/BIG/claim-file.zip""#);
        assert!(!list.body.contains("Gone Ltd"), "{}", list.body);
        let customer = browser.get("/customers/BIG");
        customer.assert_contains("with agency");
        customer.assert_contains("Claim file (ZIP)");
        customer.assert_contains("Escalation review approved");
        let zip = browser.get("/api/v1/customers/BIG/claim-file.zip");
        assert_eq!(zip.status, 200);
    }
);

web_test!(
    fn a_task_shows_the_phone_as_a_link_and_folds_a_long_invoice_list(server: &TestServer) {
        let (browser, csrf) = owner(server);
        for (reference, name, phone) in [
            ("MANY", "Many Invoices Ltd", Some("+1 (555) 010-0199")),
            ("FEW", "Few Invoices Ltd", None),
        ] {
            let c = browser.post_json(
                "/api/v1/customers",
                &csrf,
                json!({"reference": reference, "name": name, "terms": "net30", "phone": phone}),
            );
            assert_eq!(c.status, 201, "{}", c.body);
        }
        // Sixteen invoices for MANY, two for FEW, all equally late.
        let mut numbers: Vec<String> = Vec::new();
        for (reference, count) in [("MANY", 16), ("FEW", 2)] {
            for _ in 0..count {
                let i = browser.post_json(
                    "/api/v1/invoices",
                    &csrf,
                    json!({"customer": reference, "issue_date": "2026-01-05", "terms": "net30",
                           "lines": [{"description": "Goods", "quantity": "1", "unit_price": "100.00"}],
                           "issue": true}),
                );
                assert_eq!(i.status, 201, "{}", i.body);
                let made: Value = serde_json::from_str(&i.body).unwrap();
                if reference == "MANY" {
                    numbers.push(made["number"].as_str().unwrap().to_string());
                }
            }
        }
        let run = browser.post_json("/api/v1/runs", &csrf, json!({"as_of": "2026-03-15"}));
        assert_eq!(run.status, 201, "{}", run.body);

        let page = browser.get("/worklist");
        assert_eq!(page.status, 200, "{}", page.body);
        // The phone, dialled by a tap; none where the customer has none.
        page.assert_contains(r#"<a class="phone" href="tel:+15550100199">+1 (555) 010-0199</a>"#);
        assert_eq!(page.body.matches("href=\"tel:").count(), 1, "{}", page.body);
        // Sixteen numbers fold to two and "14 more"; all a click away.
        page.assert_contains(&format!(
            "<summary>{}, {} and 14 more</summary>{}</details>",
            numbers[0],
            numbers[1],
            numbers.join(", ")
        ));
        // Two numbers are shown as they are.
        assert_eq!(page.body.matches("<details class=\"numbers\">").count(), 1);
        // Each figure cell is labelled for the card it becomes at phone width.
        page.assert_contains(r#"data-label="Owed""#);
        page.assert_contains("USD 1,600.00");
    }
);
