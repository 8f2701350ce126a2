//! The web UI over real HTTP, as a browser with JavaScript off uses it:
//! first-run set-up, sign-in, the dashboard's totals, the customer list
//! and page, logging a call that shows on the timeline, and CSRF.

mod common;

use common::Page;
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

fn no_script(page: &Page) {
    assert!(
        !page.body.to_lowercase().contains("<script"),
        "pages need no script to show their data:\n{}",
        page.body
    );
}

web_test!(
    fn a_journey_through_the_pages(server: &TestServer) {
        let browser = server.browser();

        // An empty database: everything leads to set-up.
        let home = browser.get("/");
        assert_eq!(home.status, 303);
        assert_eq!(home.location.as_deref(), Some("/setup"));
        assert_eq!(browser.get("/sign-in").location.as_deref(), Some("/setup"));
        let setup = browser.get("/setup");
        assert_eq!(setup.status, 200);
        no_script(&setup);

        // A bad time zone is shown in the page, not as an error dump.
        let refused = browser.post_form(
            "/setup",
            &[
                ("organisation", "Acme Tools"),
                ("currency", "USD"),
                ("timezone", "Mars/Olympus"),
                ("name", "Olive Owner"),
                ("email", "olive@acme.example"),
                ("password", PASSWORD),
            ],
        );
        assert_eq!(refused.status, 422);
        refused.assert_contains("Mars/Olympus");
        refused.assert_contains("Acme Tools");

        let made = browser.post_form(
            "/setup",
            &[
                ("organisation", "Acme Tools"),
                ("currency", "usd"),
                ("timezone", "UTC"),
                ("name", "Olive Owner"),
                ("email", "olive@acme.example"),
                ("password", PASSWORD),
            ],
        );
        assert_eq!(made.status, 303, "{}", made.body);
        assert_eq!(made.location.as_deref(), Some("/dashboard"));
        assert!(made
            .header("set-cookie")
            .is_some_and(|c| c.contains("HttpOnly")));
        assert_eq!(
            browser.get("/setup").location.as_deref(),
            Some("/sign-in"),
            "set-up is done"
        );
        assert_eq!(browser.get("/").location.as_deref(), Some("/dashboard"));

        let dashboard = browser.get("/dashboard");
        assert_eq!(dashboard.status, 200, "{}", dashboard.body);
        dashboard.assert_contains("Acme Tools");
        dashboard.assert_contains("olive@acme.example");
        dashboard.assert_contains("Nothing is owed");
        dashboard.assert_contains("Today's run would do nothing");
        no_script(&dashboard);
        let csrf = dashboard.csrf();

        // The book, through the API with the same session.
        let customer = browser.post_json(
            "/api/v1/customers",
            &csrf,
            json!({"reference": "BOLT", "name": "Bolt & Nut Supplies", "email": "ap@bolt.example",
                   "credit_limit": "5000.00", "terms": "net30"}),
        );
        assert_eq!(customer.status, 201, "{}", customer.body);
        for (reference, name) in [("ZED", "Zed Hardware"), ("CALM", "Calm Co")] {
            let other = browser.post_json(
                "/api/v1/customers",
                &csrf,
                json!({"reference": reference, "name": name}),
            );
            assert_eq!(other.status, 201, "{}", other.body);
        }
        let invoice = browser.post_json(
            "/api/v1/invoices",
            &csrf,
            json!({"customer": "BOLT", "issue_date": "2026-01-05", "terms": "net30",
                   "lines": [
                       {"description": "Hex bolts M8 (box of 100)", "quantity": "12", "unit_price": "42.50", "tax_rate": "20"},
                       {"description": "Delivery", "quantity": "1", "unit_price": "15.00"}],
                   "issue": true}),
        );
        assert_eq!(invoice.status, 201, "{}", invoice.body);
        let invoice: serde_json::Value = serde_json::from_str(&invoice.body).unwrap();
        let number = invoice["number"].as_str().expect("a number").to_string();

        // The dashboard: totals, the aging chart, the run's preview.
        let dashboard = browser.get("/dashboard");
        assert_eq!(dashboard.status, 200, "{}", dashboard.body);
        dashboard.assert_contains(r#"data-total="USD">USD 627.00<"#);
        dashboard.assert_contains(r#"data-overdue="USD">USD 627.00<"#);
        dashboard.assert_contains("<svg");
        dashboard.assert_contains("Bolt &amp; Nut Supplies");
        dashboard.assert_contains("Policy version");
        no_script(&dashboard);

        // The list, its search and filters.
        let list = browser.get("/customers");
        assert_eq!(list.status, 200, "{}", list.body);
        list.assert_contains("Bolt &amp; Nut Supplies");
        list.assert_contains("Zed Hardware");
        list.assert_contains("USD 627.00");
        no_script(&list);
        let found = browser.get("/customers?q=bolt&status=&tier=");
        found.assert_contains("Bolt &amp; Nut Supplies");
        assert!(!found.body.contains("Zed Hardware"), "{}", found.body);
        let overdue = browser.get("/customers?overdue=1");
        overdue.assert_contains("BOLT");
        assert!(!overdue.body.contains("Calm Co"), "{}", overdue.body);
        browser
            .get("/customers?q=nobody")
            .assert_contains("No customers match");
        let bad_cursor = browser.get("/customers?cursor=nonsense");
        assert_eq!(bad_cursor.status, 422);
        bad_cursor.assert_contains("cursor");

        // The customer's page.
        let page = browser.get("/customers/BOLT");
        assert_eq!(page.status, 200, "{}", page.body);
        page.assert_contains("Bolt &amp; Nut Supplies");
        page.assert_contains(&number);
        page.assert_contains(r#"data-balance="USD">USD 627.00<"#);
        page.assert_contains("Log a call");
        no_script(&page);
        assert_eq!(browser.get("/customers/NOPE").status, 404);

        // A call without the session's CSRF token is refused and not logged.
        let forged = browser.post_form("/customers/BOLT/calls", &[("outcome", "forged call")]);
        assert_eq!(forged.status, 403, "{}", forged.body);
        let wrong = browser.post_form(
            "/customers/BOLT/calls",
            &[("csrf_token", "0000"), ("outcome", "forged call")],
        );
        assert_eq!(wrong.status, 403, "{}", wrong.body);
        assert!(!browser.get("/customers/BOLT").body.contains("forged call"));

        // A call without its outcome: the page again, with the message.
        let incomplete = browser.post_form(
            "/customers/BOLT/calls",
            &[
                ("csrf_token", &csrf),
                ("outcome", " "),
                ("summary", "kept this text"),
            ],
        );
        assert_eq!(incomplete.status, 422, "{}", incomplete.body);
        incomplete.assert_contains("needs its outcome");
        incomplete.assert_contains("kept this text");

        // A call with a promise: logged, and on the timeline.
        let logged = browser.post_form(
            "/customers/BOLT/calls",
            &[
                ("csrf_token", &csrf),
                ("outcome", "will pay Friday"),
                ("summary", "spoke to accounts"),
                ("promise_date", "2030-01-10"),
                ("promise_amount", "300.00"),
            ],
        );
        assert_eq!(logged.status, 303, "{}", logged.body);
        assert_eq!(logged.location.as_deref(), Some("/customers/BOLT#timeline"));
        let page = browser.get("/customers/BOLT");
        page.assert_contains("Call: will pay Friday — spoke to accounts");
        page.assert_contains("k-promise");
        page.assert_contains("Promised 300.00 USD by 2030-01-10");
        page.assert_contains("olive@acme.example");

        // The stylesheet, from the binary, cached for long.
        let css = browser.get("/assets/dun.css");
        assert_eq!(css.status, 200);
        assert!(css
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/css")));
        assert!(css
            .header("cache-control")
            .is_some_and(|c| c.contains("immutable")));
        assert_eq!(browser.get("/assets/nothing.js").status, 404);

        // A browser never gets a JSON document for an address with no page:
        // an unknown address, or a form's address opened again (a reload).
        let html = [("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")];
        let unknown = browser.send("GET", "/no-such-page", None, &html);
        assert_eq!(unknown.status, 404);
        assert!(unknown
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/html")));
        unknown.assert_contains("<h1>Page not found</h1>");
        unknown.assert_contains(r#"href="/dashboard""#);
        let reloaded = browser.send("GET", "/sign-out", None, &html);
        assert_eq!(reloaded.status, 405);
        assert!(reloaded
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/html")));
        reloaded.assert_contains("This address takes a form");
        // The API's refusals stay problem documents, whatever is accepted.
        let api = browser.send("GET", "/api/v1/no-such-route", None, &html);
        assert_eq!(api.status, 404);
        assert!(api
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/problem+json")));
        let plain = browser.get("/no-such-page");
        assert!(plain
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/problem+json")));

        // Sign-out needs the token too; then the pages send you to sign in.
        assert_eq!(browser.post_form("/sign-out", &[]).status, 403);
        let out = browser.post_form("/sign-out", &[("csrf_token", &csrf)]);
        assert_eq!(out.status, 303);
        assert_eq!(
            browser.get("/dashboard").location.as_deref(),
            Some("/sign-in")
        );
        assert_eq!(
            browser.get("/customers/BOLT").location.as_deref(),
            Some("/sign-in")
        );

        // Sign-in: a wrong password is said in the page; the right one opens the dashboard.
        let sign_in = browser.get("/sign-in");
        assert_eq!(sign_in.status, 200);
        no_script(&sign_in);
        let wrong = browser.post_form(
            "/sign-in",
            &[
                ("email", "olive@acme.example"),
                ("password", "not the password"),
            ],
        );
        assert_eq!(wrong.status, 401);
        wrong.assert_contains("The e-mail address or the password is wrong");
        // Login CSRF: the right password, posted from another site, is refused.
        let body = "email=olive%40acme.example&password=".to_string() + &PASSWORD.replace(' ', "+");
        let cross = browser.send(
            "POST",
            "/sign-in",
            Some(body.clone()),
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", "https://evil.example"),
            ],
        );
        assert_eq!(cross.status, 403, "{}", cross.body);
        assert!(
            cross.header("set-cookie").is_none(),
            "no session for a cross-site post"
        );
        let fetched = browser.send(
            "POST",
            "/sign-in",
            Some(body),
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Sec-Fetch-Site", "cross-site"),
            ],
        );
        assert_eq!(fetched.status, 403, "{}", fetched.body);
        let right = browser.post_form(
            "/sign-in",
            &[("email", "olive@acme.example"), ("password", PASSWORD)],
        );
        assert_eq!(right.status, 303, "{}", right.body);
        assert_eq!(right.location.as_deref(), Some("/dashboard"));
        browser
            .get("/dashboard")
            .assert_contains(r#"data-total="USD">USD 627.00<"#);
    }
);

web_test!(
    fn sign_in_is_rate_limited(server: &TestServer) {
        let browser = server.browser();
        let made = browser.post_form(
            "/setup",
            &[
                ("organisation", "Limit Ltd"),
                ("currency", "EUR"),
                ("timezone", "Europe/Berlin"),
                ("name", "Lee"),
                ("email", "lee@limit.example"),
                ("password", PASSWORD),
            ],
        );
        assert_eq!(made.status, 303, "{}", made.body);
        browser.forget_cookie();
        let mut last = 0;
        for _ in 0..12 {
            last = browser
                .post_form(
                    "/sign-in",
                    &[("email", "lee@limit.example"), ("password", "wrong")],
                )
                .status;
            if last == 429 {
                break;
            }
        }
        assert_eq!(last, 429, "repeated failures are refused for a while");
        let page = browser.post_form(
            "/sign-in",
            &[("email", "lee@limit.example"), ("password", PASSWORD)],
        );
        assert_eq!(page.status, 429);
        page.assert_contains("Too many failed sign-ins");
    }
);
