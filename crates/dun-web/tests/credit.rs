//! A customer's unapplied credit is shown beside what they owe, as its own
//! figure, on the dashboard and on the customer's page (never netted).

mod common;

use serde_json::json;

web_test!(
    fn credit_is_shown_beside_what_is_owed(server: &TestServer) {
        let browser = server.browser();
        let made = browser.post_form(
            "/setup",
            &[
                ("organisation", "Acme Tools"),
                ("currency", "USD"),
                ("timezone", "UTC"),
                ("name", "Olive Owner"),
                ("email", "olive@acme.example"),
                ("password", "correct horse battery"),
            ],
        );
        assert_eq!(made.status, 303, "{}", made.body);
        let csrf = browser.get("/dashboard").csrf();
        for (reference, name) in [("CRED", "Credit Holder"), ("OWES", "Owes Co")] {
            let made = browser.post_json(
                "/api/v1/customers",
                &csrf,
                json!({"reference": reference, "name": name}),
            );
            assert_eq!(made.status, 201, "{}", made.body);
        }
        let invoice = browser.post_json(
            "/api/v1/invoices",
            &csrf,
            json!({"customer": "OWES", "issue_date": "2026-01-05", "terms": "net30",
                   "lines": [{"description": "Bolts", "quantity": "1", "unit_price": "80.00"}],
                   "issue": true}),
        );
        assert_eq!(invoice.status, 201, "{}", invoice.body);
        let paid = browser.post_json(
            "/api/v1/payments",
            &csrf,
            json!({"customer": "CRED", "amount": "50.00", "received_date": "2026-02-01",
                   "reference": "BACS 1", "allocation": "none"}),
        );
        assert_eq!(paid.status, 201, "{}", paid.body);

        let dashboard = browser.get("/dashboard");
        assert_eq!(dashboard.status, 200, "{}", dashboard.body);
        dashboard.assert_contains(r#"data-total="USD">USD 80.00<"#);
        dashboard.assert_contains(r#"data-credit="USD">USD 50.00<"#);

        let page = browser.get("/customers/CRED");
        assert_eq!(page.status, 200, "{}", page.body);
        page.assert_contains(r#"data-credit="USD">USD 50.00<"#);
        page.assert_contains("not yet applied");
        let owes = browser.get("/customers/OWES");
        owes.assert_contains(r#"data-balance="USD">USD 80.00<"#);
        assert!(!owes.body.contains("data-credit"), "{}", owes.body);
    }
);
