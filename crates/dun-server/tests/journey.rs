//! A user's journey, all over HTTP: first-run set-up, a token, a customer,
//! an invoice issued, a partial payment, the run previewed and applied, the
//! customer's timeline read back.

mod common;

use serde_json::json;

server_test!(
    fn from_setup_to_the_timeline(server: &TestServer) {
        // Set-up and a token (through a signed-in session).
        let api = server.owner("Journey Ltd");

        // A customer.
        let (status, customer) = api.post(
            "/api/v1/customers",
            json!({
        "reference": "BOLT", "name": "Bolt & Nut Supplies", "email": "ap@bolt.example",
        "credit_limit": "5000.00", "terms": "net30"}),
        );
        assert_eq!(status, 201, "{customer}");

        // An invoice, issued long enough ago to be overdue today.
        let (status, invoice) = api.post("/api/v1/invoices", json!({
        "customer": "BOLT", "issue_date": "2026-01-05", "terms": "net30",
        "lines": [
            {"description": "Hex bolts M8 (box of 100)", "quantity": "12", "unit_price": "42.50", "tax_rate": "20"},
            {"description": "Delivery", "quantity": "1", "unit_price": "15.00"}
        ],
        "issue": true}));
        assert_eq!(status, 201, "{invoice}");
        assert_eq!(invoice["status"], json!("open"));
        assert_eq!(
            invoice["total"],
            json!("627.00"),
            "12 × 42.50 + 20% tax + 15.00"
        );
        let number = invoice["number"].as_str().expect("a number").to_string();

        // A partial payment, allocated oldest-due first.
        let (status, payment) = api.post_with_key("/api/v1/payments", "pay-1", json!({
        "customer": "BOLT", "amount": "200.00", "received_date": "2026-02-20", "reference": "BACS 881"}));
        assert_eq!(status, 201, "{payment}");
        let (_, shown) = api.get(&format!("/api/v1/invoices/{number}"));
        assert_eq!(shown["open"], json!("427.00"), "{shown}");

        // The run: preview writes nothing; applying does what the preview said.
        let (status, preview) = api.post("/api/v1/runs/preview", json!({}));
        assert_eq!(status, 200, "{preview}");
        let previewed = preview["actions"].as_array().expect("actions").len();
        assert!(
            previewed > 0,
            "an overdue invoice gets an action: {preview}"
        );
        assert_eq!(preview["applied"], json!(false));
        let (_, again) = api.post("/api/v1/runs/preview", json!({}));
        assert_eq!(
            again["actions"], preview["actions"],
            "a preview changes nothing"
        );
        let (status, run) = api.post("/api/v1/runs", json!({}));
        assert_eq!(status, 201, "{run}");
        assert_eq!(run["applied"], json!(true));
        assert_eq!(run["actions"].as_array().unwrap().len(), previewed);
        let (_, after) = api.post("/api/v1/runs/preview", json!({}));
        assert_eq!(
            after["actions"].as_array().unwrap().len(),
            0,
            "the day is done: {after}"
        );

        // A call logged, then the timeline holds the invoice, payment, the run's
        // message and the call.
        let (status, call) = api.post(
            "/api/v1/customers/BOLT/contacts",
            json!({
        "kind": "call", "summary": "Spoke to accounts; cheque next week", "outcome": "promised"}),
        );
        assert!(status == 201 || status == 200, "{status} {call}");
        let (status, timeline) = api.get("/api/v1/customers/BOLT/timeline");
        assert_eq!(status, 200, "{timeline}");
        let kinds: Vec<&str> = timeline["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|e| e["kind"].as_str())
            .collect();
        assert!(kinds.iter().any(|k| k.contains("call")), "{kinds:?}");
        assert!(
            kinds.len() >= 2,
            "the run's message and the call: {kinds:?}"
        );
        let (status, outbox) = api.get("/api/v1/outbox");
        assert_eq!(status, 200);
        assert!(
            !outbox
                .as_array()
                .map(|a| a.is_empty())
                .unwrap_or_else(|| outbox["items"].as_array().unwrap().is_empty()),
            "the run queued a message: {outbox}"
        );
    }
);
