//! Invoices and payments over HTTP.

mod common;

use common::problem;
use serde_json::{json, Value};

fn customer(api: &common::Api, reference: &str) {
    let (status, body) = api.post(
        "/api/v1/customers",
        json!({"reference": reference, "name": reference}),
    );
    assert_eq!(status, 201, "{body}");
}

fn issued(api: &common::Api, customer: &str, price: &str) -> Value {
    let (status, body) = api.post(
        "/api/v1/invoices",
        json!({"customer": customer, "issue_date": "2026-01-10", "terms": "net30",
               "lines": [{"description": "Work", "quantity": "1", "unit_price": price}], "issue": true}),
    );
    assert_eq!(status, 201, "{body}");
    body
}

server_test!(
    fn unit_prices_may_carry_four_decimals_more_than_the_currency(server: &TestServer) {
        let api = server.owner("Acme");
        customer(&api, "C1");
        // 3 × 13.333 = 39.999 → 40.00, tax 8.00; 0.3333 × 13.333 → 4.44.
        let (status, draft) = api.post(
            "/api/v1/invoices",
            json!({"customer": "C1", "issue_date": "2026-01-10",
                   "lines": [{"description": "Bolts", "quantity": "3", "unit_price": "13.333", "tax_rate": "20"},
                             {"description": "Part", "quantity": "0.3333", "unit_price": "13.333"}]}),
        );
        assert_eq!(status, 201, "{draft}");
        assert_eq!(
            (&draft["subtotal"], &draft["tax"], &draft["total"]),
            (&json!("44.44"), &json!("8.00"), &json!("52.44"))
        );
        let id = draft["id"].as_i64().unwrap();
        let (_, shown) = api.get(&format!("/api/v1/invoices/{id}"));
        assert_eq!(shown["lines"][0]["unit_price"], json!("13.333"));
        assert_eq!(shown["lines"][0]["net"], json!("40.00"));
        assert_eq!(shown["lines"][1]["net"], json!("4.44"));
        // Replaced: still exact; a price in cents reads as it always did.
        let (status, put) = api.put(
            &format!("/api/v1/invoices/{id}"),
            json!({"customer": "C1", "lines": [
                {"description": "Bolts", "quantity": "2", "unit_price": "0.000005"},
                {"description": "Nuts", "quantity": "1", "unit_price": "7.5"}]}),
        );
        assert_eq!(status, 200, "{put}");
        assert_eq!(put["total"], json!("7.50"));
        let (_, put) = api.get(&format!("/api/v1/invoices/{id}"));
        assert_eq!(put["lines"][0]["unit_price"], json!("0.000005"));
        assert_eq!(put["lines"][0]["net"], json!("0.00"));
        assert_eq!(put["lines"][1]["unit_price"], json!("7.50"));
        assert_eq!(put["total"], json!("7.50"));
        // One decimal too many: refused, naming the field, the value as
        // written and what is accepted.
        let refused = problem(
            422,
            api.post(
                "/api/v1/invoices",
                json!({"customer": "C1", "lines": [{"description": "x", "quantity": "1", "unit_price": "13.1234567"}]}),
            ),
        );
        assert_eq!(refused["field"], json!("lines[0].unit_price"));
        let detail = refused["detail"].as_str().unwrap();
        assert!(
            detail.starts_with(
                "lines[0].unit_price: '13.1234567' has 7 digits after the point; a unit price in "
            ) && detail.ends_with(" takes at most 6"),
            "{detail}"
        );
        // Two lines that each fit but together are more than the ledger
        // holds: the domain's one check of an invoice's size (the web's form
        // refuses the same lines).
        let big = json!({"description": "Big", "quantity": "1", "unit_price": "6000000000000.00"});
        let too_large = problem(
            422,
            api.post(
                "/api/v1/invoices",
                json!({"customer": "C1", "lines": [big.clone(), big]}),
            ),
        );
        assert_eq!(too_large["field"], json!("lines"), "{too_large}");
        assert!(
            too_large["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("lines: the invoice total is larger than")),
            "{too_large}"
        );
    }
);

server_test!(
    fn invoices_draft_issue_list_show_reduce_void(server: &TestServer) {
        let api = server.owner("Acme");
        customer(&api, "C1");

        // A draft with tax, then issued.
        let draft_body = json!({"customer": "C1", "issue_date": "2026-01-10", "terms": "net30",
        "description": "January",
        "lines": [{"description": "Design", "quantity": "2.5", "unit_price": "100.00", "tax_rate": "10"},
                  {"description": "Hosting", "quantity": "1", "unit_price": "20"}]});
        let (status, draft) = api.post_with_key("/api/v1/invoices", "draft-1", draft_body.clone());
        assert_eq!(status, 201, "{draft}");
        assert_eq!(draft["status"], json!("draft"));
        assert_eq!(draft["subtotal"], json!("270.00"));
        assert_eq!(draft["tax"], json!("25.00"));
        assert_eq!(draft["total"], json!("295.00"));
        assert!(draft["number"].is_null());
        // The same key and body: the same draft; another body: 422.
        let (status, again) = api.post_with_key("/api/v1/invoices", "draft-1", draft_body.clone());
        assert_eq!((status, &again), (201, &draft));
        let mut other = draft_body.clone();
        other["description"] = json!("February");
        let body = problem(422, api.post_with_key("/api/v1/invoices", "draft-1", other));
        assert_eq!(body["field"], json!("Idempotency-Key"));

        let id = draft["id"].as_i64().unwrap();
        let (status, shown) = api.get(&format!("/api/v1/invoices/{id}"));
        assert_eq!(status, 200, "{shown}");
        assert_eq!(shown["status"], json!("draft"));
        assert_eq!(shown["lines"][0]["quantity"], json!("2.5"));
        assert_eq!(shown["lines"][0]["tax"], json!("25.00"));

        let (status, posted) = api.post_with_key(
            &format!("/api/v1/invoices/{id}/issue"),
            "issue-1",
            json!({}),
        );
        assert_eq!(status, 200, "{posted}");
        let number = posted["number"].as_str().unwrap().to_string();
        assert_eq!(posted["amount"], json!("295.00"));
        assert_eq!(
            api.post_with_key(
                &format!("/api/v1/invoices/{id}/issue"),
                "issue-1",
                json!({})
            ),
            (200, posted.clone())
        );
        problem(
            409,
            api.post(&format!("/api/v1/invoices/{id}/issue"), json!({})),
        );

        let (status, shown) = api.get(&format!("/api/v1/invoices/{number}?as_of=2026-01-15"));
        assert_eq!(status, 200, "{shown}");
        assert_eq!(shown["status"], json!("open"));
        assert_eq!(shown["due_date"], json!("2026-02-09"));
        assert_eq!(shown["entries"][0]["kind"], json!("invoice_issued"));

        // Credit note of part, write-off of the rest.
        let (status, cn) = api.post_with_key(
            &format!("/api/v1/invoices/{number}/credit-notes"),
            "cn-1",
            json!({"amount": "45.00", "date": "2026-01-20", "reason": "discount"}),
        );
        assert_eq!(status, 201, "{cn}");
        assert_eq!(cn["open"], json!("250.00"));
        assert!(cn["document_number"].is_string());
        let (status, again) = api.post_with_key(
            &format!("/api/v1/invoices/{number}/credit-notes"),
            "cn-1",
            json!({"amount": "45.00", "date": "2026-01-20", "reason": "discount"}),
        );
        assert_eq!((status, &again), (201, &cn));
        problem(
            422,
            api.post_with_key(
                &format!("/api/v1/invoices/{number}/credit-notes"),
                "cn-1",
                json!({"amount": "46.00", "date": "2026-01-20", "reason": "discount"}),
            ),
        );
        let body = problem(
            422,
            api.post(
                &format!("/api/v1/invoices/{number}/write-offs"),
                json!({"reason": " "}),
            ),
        );
        assert_eq!(body["field"], json!("reason"));
        let (status, wo) = api.post(
            &format!("/api/v1/invoices/{number}/write-offs"),
            json!({"date": "2026-01-21", "reason": "gone"}),
        );
        assert_eq!(status, 201, "{wo}");
        assert_eq!(wo["amount"], json!("250.00"));
        assert_eq!(wo["open"], json!("0.00"));

        // Void one nothing was applied to.
        let second = issued(&api, "C1", "10.00");
        let second_number = second["number"].as_str().unwrap();
        let (status, void) = api.post(
            &format!("/api/v1/invoices/{second_number}/void"),
            json!({"reason": "mistake"}),
        );
        assert_eq!(status, 200, "{void}");
        assert_eq!(void["open"], json!("0.00"));

        // Lists, filters and cursors.
        let (status, all) = api.get("/api/v1/invoices?limit=1");
        assert_eq!(status, 200, "{all}");
        assert_eq!(all["items"].as_array().unwrap().len(), 1);
        assert_eq!(all["items"][0]["number"], json!(second_number));
        let cursor = all["next_cursor"].as_str().unwrap();
        let (status, next) = api.get(&format!("/api/v1/invoices?limit=1&cursor={cursor}"));
        assert_eq!(status, 200, "{next}");
        assert_eq!(next["items"][0]["number"], json!(number));
        assert!(next["next_cursor"].is_null());
        let (_, voided) = api.get("/api/v1/invoices?status=void&customer=C1");
        assert_eq!(voided["items"].as_array().unwrap().len(), 1);
        let (_, none) = api.get("/api/v1/invoices?customer=NOBODY");
        assert!(none["items"].as_array().unwrap().is_empty());

        // Bad input names the field; unknown invoices are 404.
        assert_eq!(
            problem(422, api.get("/api/v1/invoices?status=lost"))["field"],
            json!("status")
        );
        assert_eq!(
            problem(422, api.get("/api/v1/invoices?cursor=zzz"))["field"],
            json!("cursor")
        );
        assert_eq!(
            problem(422, api.get("/api/v1/invoices?limit=0"))["field"],
            json!("limit")
        );
        let bad = |lines: Value| {
            api.post(
                "/api/v1/invoices",
                json!({"customer": "C1", "lines": lines}),
            )
        };
        assert_eq!(problem(422, bad(json!([])))["field"], json!("lines"));
        assert_eq!(
            problem(
                422,
                bad(json!([{"description": "x", "quantity": "-1", "unit_price": "1"}]))
            )["field"],
            json!("lines[0].quantity")
        );
        assert_eq!(
            problem(
                422,
                bad(json!([{"description": "x", "quantity": "1", "unit_price": "1.0000001"}]))
            )["field"],
            json!("lines[0].unit_price")
        );
        assert_eq!(
            problem(
                422,
                bad(
                    json!([{"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": "101"}])
                )
            )["field"],
            json!("lines[0].tax_rate")
        );
        assert_eq!(
            problem(
                422,
                api.post(
                    "/api/v1/invoices",
                    json!({"customer": "NOBODY",
        "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}]})
                )
            )["field"],
            json!("customer")
        );
        assert_eq!(
            problem(
                422,
                api.post(
                    "/api/v1/invoices",
                    json!({"customer": "C1", "issue_date": "2026-13-01",
        "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}]})
                )
            )["field"],
            json!("issue_date")
        );
        assert_eq!(
            problem(
                422,
                api.post(
                    "/api/v1/invoices",
                    json!({"customer": "C1", "terms": "whenever",
        "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}]})
                )
            )["field"],
            json!("terms")
        );
        assert_eq!(
            problem(
                422,
                api.post(
                    "/api/v1/invoices",
                    json!({"customer": "C1",
        "lines": [{"description": "x", "quantity": "1", "unit_price": "10"}],
        "installments": [{"due_date": "2026-03-01", "amount": "5"}]})
                )
            )["field"],
            json!("installments")
        );
        let huge: Vec<Value> = (0..3)
            .map(|_| json!({"description": "x", "quantity": "1", "unit_price": "9000000000000"}))
            .collect();
        let p = problem(422, bad(json!(huge)));
        assert_eq!(p["field"], json!("lines"), "{p}");
        problem(404, api.get("/api/v1/invoices/INV-NOPE"));
        problem(404, api.post("/api/v1/invoices/INV-NOPE/void", json!({})));
        problem(
            404,
            api.post(
                "/api/v1/invoices/INV-NOPE/credit-notes",
                json!({"reason": "x"}),
            ),
        );
        problem(404, api.post("/api/v1/invoices/999999/issue", json!({})));

        // A viewer reads but does not write.
        common::add_member(
            &api,
            "vera@acme.example",
            "Vera",
            "viewer password",
            "viewer",
        );
        let viewer = server.token_for_role("vera@acme.example", "viewer password", "viewer");
        assert_eq!(viewer.get("/api/v1/invoices").0, 200);
        problem(403, viewer.post("/api/v1/invoices", draft_body));
    }
);

server_test!(
    fn payments_record_allocate_refund_reverse(server: &TestServer) {
        let api = server.owner("Acme");
        // Credit waits for a person here, so allocating by hand is seen.
        let keep = dun_core::collections::document::DEFAULT_POLICY.replace(
            "unapplied_credit = \"apply_oldest_first\"",
            "unapplied_credit = \"keep_unapplied\"",
        );
        assert_eq!(api.put("/api/v1/policy", json!({"document": keep})).0, 200);
        customer(&api, "C1");
        let first = issued(&api, "C1", "100.00");
        let second = issued(&api, "C1", "50.00");
        let (first, second) = (
            first["number"].as_str().unwrap(),
            second["number"].as_str().unwrap(),
        );

        // Oldest due first, with an idempotent repeat.
        let body = json!({"customer": "C1", "currency": "USD", "received_date": "2026-01-20",
        "amount": "120.00", "method": "wire", "reference": "R1"});
        let (status, paid) = api.post_with_key("/api/v1/payments", "pay-1", body.clone());
        assert_eq!(status, 201, "{paid}");
        assert_eq!(paid["allocations"][0]["invoice"], json!(first));
        assert_eq!(paid["allocations"][0]["amount"], json!("100.00"));
        assert_eq!(paid["allocations"][1]["amount"], json!("20.00"));
        assert_eq!(paid["unallocated"], json!("0.00"));
        assert_eq!(
            api.post_with_key("/api/v1/payments", "pay-1", body.clone()),
            (201, paid.clone())
        );
        let mut other = body.clone();
        other["amount"] = json!("121.00");
        assert_eq!(
            problem(422, api.post_with_key("/api/v1/payments", "pay-1", other))["field"],
            json!("Idempotency-Key")
        );
        let paid_id = paid["payment_id"].as_i64().unwrap();

        // Unallocated, then allocated by hand, then part refunded.
        let (status, credit) = api.post("/api/v1/payments",
        json!({"customer": "C1", "amount": "40", "received_date": "2026-01-21", "allocation": "none"}));
        assert_eq!(status, 201, "{credit}");
        assert_eq!(credit["unallocated"], json!("40.00"));
        assert!(credit["allocations"].as_array().unwrap().is_empty());
        let credit_id = credit["payment_id"].as_i64().unwrap();
        let (status, allocated) = api.post_with_key(
            &format!("/api/v1/payments/{credit_id}/allocations"),
            "alloc-1",
            json!({"allocation": [{"invoice": second, "amount": "25.00"}], "date": "2026-01-22"}),
        );
        assert_eq!(status, 201, "{allocated}");
        assert_eq!(allocated["allocations"][0]["invoice"], json!(second));
        assert_eq!(allocated["unallocated"], json!("15.00"));
        let (status, again) = api.post_with_key(
            &format!("/api/v1/payments/{credit_id}/allocations"),
            "alloc-1",
            json!({"allocation": [{"invoice": second, "amount": "25.00"}], "date": "2026-01-22"}),
        );
        assert_eq!((status, &again), (201, &allocated));
        let (status, refunded) = api.post(
            &format!("/api/v1/payments/{credit_id}/refund"),
            json!({"amount": "5.00", "date": "2026-01-23", "reason": "overpaid"}),
        );
        assert_eq!(status, 200, "{refunded}");
        assert_eq!(refunded["unallocated"], json!("10.00"));
        problem(
            409,
            api.post(
                &format!("/api/v1/payments/{credit_id}/refund"),
                json!({"amount": "50.00", "reason": "overpaid"}),
            ),
        );

        let (status, shown) = api.get(&format!("/api/v1/payments/{credit_id}"));
        assert_eq!(status, 200, "{shown}");
        assert_eq!(shown["unallocated"], json!("10.00"));
        assert_eq!(shown["customer"], json!("C1"));
        let kinds: Vec<&str> = shown["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, vec!["payment_received", "allocation", "refund"]);
        assert_eq!(shown["entries"][1]["invoice"], json!(second));

        // Reversal reopens the invoices.
        let (status, reversed) = api.post(
            &format!("/api/v1/payments/{paid_id}/reverse"),
            json!({"date": "2026-01-25", "reason": ""}),
        );
        // A reversal says why (issue 13 item 14).
        assert_eq!(status, 422, "{reversed}");
        let (status, reversed) = api.post(
            &format!("/api/v1/payments/{paid_id}/reverse"),
            json!({"date": "2026-01-25", "reason": "cheque bounced"}),
        );
        assert_eq!(status, 200, "{reversed}");
        assert_eq!(reversed["allocations"].as_array().unwrap().len(), 2);
        let (_, inv) = api.get(&format!("/api/v1/invoices/{first}?as_of=2026-01-26"));
        assert_eq!(inv["open"], json!("100.00"));
        let (_, shown) = api.get(&format!("/api/v1/payments/{paid_id}"));
        assert_eq!(shown["status"], json!("reversed"));

        // Lists and cursors.
        let (status, page) = api.get("/api/v1/payments?limit=1&customer=C1");
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["items"][0]["id"], json!(credit_id));
        let cursor = page["next_cursor"].as_str().unwrap();
        let (_, next) = api.get(&format!(
            "/api/v1/payments?limit=1&customer=C1&cursor={cursor}"
        ));
        assert_eq!(next["items"][0]["id"], json!(paid_id));
        assert!(next["next_cursor"].is_null());

        // Bad input names the field; unknown ones are 404.
        let pay = |body: Value| api.post("/api/v1/payments", body);
        assert_eq!(
            problem(422, pay(json!({"customer": "C1", "amount": "-5"})))["field"],
            json!("amount")
        );
        assert_eq!(
            problem(422, pay(json!({"customer": "C1", "amount": "abc"})))["field"],
            json!("amount")
        );
        assert_eq!(
            problem(
                422,
                pay(json!({"customer": "C1", "amount": "5", "currency": "XX"}))
            )["field"],
            json!("currency")
        );
        assert_eq!(
            problem(
                422,
                pay(json!({"customer": "C1", "amount": "5", "received_date": "yesterday"}))
            )["field"],
            json!("received_date")
        );
        assert_eq!(
            problem(
                422,
                pay(json!({"customer": "C1", "amount": "5", "allocation": "newest"}))
            )["field"],
            json!("allocation")
        );
        assert_eq!(
            problem(
                422,
                pay(json!({"customer": "C1", "amount": "5", "allocation": []}))
            )["field"],
            json!("allocation")
        );
        problem(404, pay(json!({"customer": "NOBODY", "amount": "5"})));
        problem(
            404,
            pay(
                json!({"customer": "C1", "amount": "5", "allocation": [{"invoice": "INV-NOPE", "amount": "5"}]}),
            ),
        );
        problem(404, api.get("/api/v1/payments/999999"));
        problem(422, api.get("/api/v1/payments/abc"));
        problem(
            404,
            api.post(
                "/api/v1/payments/999999/refund",
                json!({"amount": "1", "reason": "overpaid"}),
            ),
        );
        problem(
            404,
            api.post(
                "/api/v1/payments/999999/reverse",
                json!({"reason": "bounced"}),
            ),
        );
        problem(
            404,
            api.post(
                "/api/v1/payments/999999/allocations",
                json!({"allocation": "oldest_due_first"}),
            ),
        );
    }
);

server_test!(
    fn the_document_describes_the_ledger_routes(server: &TestServer) {
        let (status, doc) = server.anonymous().get("/openapi.json");
        assert_eq!(status, 200);
        for path in [
            "/api/v1/invoices",
            "/api/v1/invoices/{invoice}",
            "/api/v1/invoices/{invoice}/issue",
            "/api/v1/invoices/{invoice}/void",
            "/api/v1/invoices/{invoice}/send",
            "/api/v1/invoices/{invoice}/credit-notes",
            "/api/v1/invoices/{invoice}/write-offs",
            "/api/v1/payments",
            "/api/v1/payments/{payment_id}",
            "/api/v1/payments/{payment_id}/allocations",
            "/api/v1/payments/{payment_id}/refund",
            "/api/v1/payments/{payment_id}/reverse",
        ] {
            assert!(
                doc["paths"][path].is_object(),
                "{path} is not in the document"
            );
        }
        let allocation = &doc["components"]["schemas"]["AllocationIn"];
        assert!(allocation["oneOf"].is_array(), "{allocation}");
    }
);

server_test!(
    /// Issue 15 item 1: any issued invoice can be e-mailed, through the
    /// outbox; a customer without an address is a refusal naming it.
    fn an_issued_invoice_is_sent_through_the_outbox(server: &TestServer) {
        let api = server.owner("Acme");
        customer(&api, "C1");
        let (status, body) = api.post(
            "/api/v1/customers",
            json!({"reference": "C2", "name": "C2", "email": "ap@c2.example"}),
        );
        assert_eq!(status, 201, "{body}");
        let first = issued(&api, "C1", "10.00");
        let second = issued(&api, "C2", "20.00");
        let number = |v: &Value| v["number"].as_str().unwrap().to_string();
        let refused = problem(
            409,
            api.post(
                &format!("/api/v1/invoices/{}/send", number(&first)),
                json!(null),
            ),
        );
        assert!(
            refused.to_string().contains("no e-mail address"),
            "{refused}"
        );
        let (status, sent) = api.post(
            &format!("/api/v1/invoices/{}/send", number(&second)),
            json!(null),
        );
        assert_eq!(status, 202, "{sent}");
        assert_eq!(sent["email"], json!("ap@c2.example"));
        let (_, outbox) = api.get("/api/v1/outbox");
        assert!(
            outbox
                .to_string()
                .contains(&format!("\"id\":{}", sent["message_id"])),
            "{outbox}"
        );
        problem(404, api.post("/api/v1/invoices/NOPE-1/send", json!(null)));
    }
);

server_test!(
    /// Issue 18 item 7: a customer reference over its limit or holding a
    /// control character is a 422 naming the field, on both engines alike
    /// (PostgreSQL answered a raw database error before).
    fn a_customer_reference_has_a_limit_and_no_control_characters(server: &TestServer) {
        let api = server.owner("Acme");
        let long = "R".repeat(dun_core::text::CUSTOMER_REFERENCE_CHARS_MAX + 1);
        for (reference, why) in [
            (long.as_str(), "at most 64 characters"),
            ("C\u{1}2", "control character"),
            ("C\t2", "control character"),
        ] {
            let body = problem(
                422,
                api.post(
                    "/api/v1/customers",
                    json!({"reference": reference, "name": "Limits"}),
                ),
            );
            let detail = body["detail"].as_str().unwrap_or_default();
            assert!(detail.contains("ref") && detail.contains(why), "{body}");
        }
        let fits = "R".repeat(dun_core::text::CUSTOMER_REFERENCE_CHARS_MAX);
        let (status, body) = api.post(
            "/api/v1/customers",
            json!({"reference": fits, "name": "Limits"}),
        );
        assert_eq!(status, 201, "{body}");
    }
);
