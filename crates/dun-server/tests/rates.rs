//! Exchange rates over HTTP: what a customer owes in another currency counts
//! toward a credit limit through the owner's rates, and a refused
//! create-and-issue leaves no draft.

mod common;

use common::problem;
use serde_json::json;

server_test!(
    fn rates_count_other_currencies_toward_a_limit(server: &TestServer) {
        let api = server.owner("Rates Ltd");
        let (status, body) = api.post(
            "/api/v1/customers",
            json!({"reference": "C1", "name": "Bolt", "credit_limit": "1000.00"}),
        );
        assert_eq!(status, 201, "{body}");
        let euros = |amount: &str| {
            json!({"customer": "C1", "currency": "EUR", "issue_date": "2026-01-10", "issue": true,
                   "lines": [{"description": "Pallets", "quantity": "1", "unit_price": amount}]})
        };
        // No rate: refused with the reason, and nothing written.
        let refused = problem(422, api.post("/api/v1/invoices", euros("50000.00")));
        let detail = refused["detail"].as_str().unwrap();
        assert!(
            detail.contains("no exchange rate from EUR to USD is set for 2026-01-10"),
            "{refused}"
        );
        let (_, drafts) = api.get("/api/v1/invoices?status=draft");
        assert!(drafts["items"].as_array().unwrap().is_empty(), "{drafts}");

        // An owner sets a rate from a date; it is listed with it.
        let (status, rate) = api.post(
            "/api/v1/rates",
            json!({"from": "EUR", "to": "USD", "rate": "1.08", "effective_from": "2026-01-01"}),
        );
        assert_eq!(status, 201, "{rate}");
        let (status, list) = api.get("/api/v1/rates");
        assert_eq!(status, 200, "{list}");
        assert_eq!(
            (
                &list[0]["from"],
                &list[0]["rate"],
                &list[0]["effective_from"]
            ),
            (&json!("EUR"), &json!("1.08"), &json!("2026-01-01")),
            "{list}"
        );
        let bad = problem(
            422,
            api.post(
                "/api/v1/rates",
                json!({"from": "USD", "to": "USD", "rate": "1", "effective_from": "2026-01-01"}),
            ),
        );
        assert_eq!(bad["field"], json!("to"), "{bad}");

        // 50,000.00 EUR counts as 54,000.00 USD; 900.00 EUR (972.00) fits.
        let refused = problem(422, api.post("/api/v1/invoices", euros("50000.00")));
        assert!(
            refused["detail"]
                .as_str()
                .unwrap()
                .contains("would owe 54000.00 USD against a credit limit of 1000.00 USD"),
            "{refused}"
        );
        let (status, issued) = api.post("/api/v1/invoices", euros("900.00"));
        assert_eq!(status, 201, "{issued}");
        assert_eq!(issued["status"], json!("open"), "{issued}");
        let (_, drafts) = api.get("/api/v1/invoices?status=draft");
        assert!(drafts["items"].as_array().unwrap().is_empty(), "{drafts}");
    }
);
