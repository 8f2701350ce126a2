//! A customer's contacts, accepted payment methods and notes over HTTP
//! (issue 15 item 3), on both engines: `/api/v1/customers/{ref}/people`
//! and `PATCH /api/v1/customers/{ref}`, every change on the timeline.

mod common;

use common::problem;
use serde_json::json;

server_test!(
    fn contacts_methods_and_notes_are_edited_over_the_api(server: &TestServer) {
        let api = server.owner("Acme");
        let (status, body) = api.post(
            "/api/v1/customers",
            json!({"reference": "C1", "name": "One", "email": "office@one.example"}),
        );
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["payment_methods"], json!(null), "{body}");
        assert_eq!(
            body["recipients"]["to"],
            json!(["office@one.example"]),
            "{body}"
        );

        let (status, jane) = api.post(
            "/api/v1/customers/C1/people",
            json!({"role": "billing", "name": "Jane Roe", "email": "jane@one.example"}),
        );
        assert_eq!(status, 201, "{jane}");
        assert_eq!(jane["role"], "billing");
        let (status, ap) = api.post(
            "/api/v1/customers/C1/people",
            json!({"role": "accounts_payable", "email": "ap@one.example"}),
        );
        assert_eq!(status, 201, "{ap}");
        let refused = problem(
            422,
            api.post(
                "/api/v1/customers/C1/people",
                json!({"role": "billing", "email": "not-an-address"}),
            ),
        );
        assert_eq!(refused["field"], "email", "{refused}");
        let refused = problem(
            422,
            api.post(
                "/api/v1/customers/C1/people",
                json!({"role": "boss", "email": "b@one.example"}),
            ),
        );
        assert_eq!(refused["field"], "role", "{refused}");
        problem(
            404,
            api.post(
                "/api/v1/customers/NOPE/people",
                json!({"role": "billing", "email": "b@one.example"}),
            ),
        );

        let (status, listed) = api.get("/api/v1/customers/C1/people");
        assert_eq!(status, 200, "{listed}");
        assert_eq!(listed["contacts"].as_array().unwrap().len(), 2, "{listed}");
        assert_eq!(
            listed["recipients"],
            json!({"to": ["office@one.example", "jane@one.example"], "cc": ["ap@one.example"]})
        );

        let refused = problem(
            422,
            api.patch(
                "/api/v1/customers/C1",
                json!({"payment_methods": ["card", "bitcoin"]}),
            ),
        );
        assert_eq!(refused["field"], "payment_methods", "{refused}");
        let (status, edited) = api.patch(
            "/api/v1/customers/C1",
            json!({"payment_methods": ["card", "bank_transfer"], "notes": "Ask for Jane"}),
        );
        assert_eq!(status, 200, "{edited}");
        assert_eq!(edited["payment_methods"], json!(["bank_transfer", "card"]));
        assert_eq!(edited["notes"], "Ask for Jane");
        assert_eq!(edited["contacts"].as_array().unwrap().len(), 2);

        let id = ap["id"].as_i64().unwrap();
        let (status, _) = api.delete(&format!("/api/v1/customers/C1/people/{id}"));
        assert_eq!(status, 204);
        problem(
            404,
            api.delete(&format!("/api/v1/customers/C1/people/{id}")),
        );
        let (status, edited) = api.patch(
            "/api/v1/customers/C1",
            json!({"payment_methods": null, "notes": null}),
        );
        assert_eq!(status, 200, "{edited}");
        assert_eq!(edited["payment_methods"], json!(null));
        assert_eq!(edited["notes"], json!(null));
        assert_eq!(edited["recipients"]["cc"], json!([]));

        let (status, timeline) = api.get("/api/v1/customers/C1/timeline");
        assert_eq!(status, 200, "{timeline}");
        let text = timeline.to_string();
        for expected in [
            "Changed contact: (none) → Jane Roe (billing) <jane@one.example>",
            "Changed contact: (accounts_payable) <ap@one.example> → (none)",
            "Changed notes: (none) → Ask for Jane; payment methods: any → bank transfer, card",
        ] {
            assert!(text.contains(expected), "{expected}\n{text}");
        }
    }
);
