//! Collections over HTTP: the policy, the run, the worklist and tasks, the
//! communication log, a customer's standing, the outbox and the reports.

mod common;

use common::problem;
use common::store as book;
use dun_store::Store;
use serde_json::{json, Value};

/// Issues a USD invoice of `amount_minor` to `reference` straight in the
/// book (the invoice routes are another part of the API) and returns its number.
fn issue(server: &common::TestServer, reference: &str, issued: &str, amount_minor: i64) -> String {
    let mut store = Store::open(&server.database_url).expect("open the book");
    let org = store.org(Some("Acme")).expect("the organisation");
    let customer = store.customer(org.id, reference).expect("the customer");
    book::invoice(&mut store, &org, &customer, issued, "net30", amount_minor).number
}

/// `days` from today (UTC), as an ISO date.
fn in_days(days: i64) -> String {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    today
        .checked_add(jiff::Span::new().days(days))
        .expect("a date")
        .to_string()
}

fn items(body: &Value) -> &Vec<Value> {
    body.as_array().unwrap_or_else(|| panic!("a list: {body}"))
}

server_test!(
    fn policy_versions_check_and_apply(server: &TestServer) {
        let api = server.owner("Acme");
        let (status, current) = api.get("/api/v1/policy");
        assert_eq!(status, 200, "{current}");
        assert_eq!(current["version"], json!(1));
        let text = current["document"].as_str().unwrap().to_string();
        assert!(
            current["summary"]["ladder_steps"].as_u64().unwrap() > 0,
            "{current}"
        );

        // A document with a problem is named with its line, and nothing is written.
        let bad = text.replacen("flat = \"40.00\"", "flat = \"forty\"", 1);
        assert_ne!(bad, text);
        let (status, check) = api.post("/api/v1/policy/check", json!({"document": bad}));
        assert_eq!(status, 200, "{check}");
        assert_eq!(check["valid"], json!(false));
        assert!(check["problems"][0]["line"].is_u64(), "{check}");
        let refused = problem(422, api.put("/api/v1/policy", json!({"document": bad})));
        assert_eq!(refused["field"], json!("document"));
        assert!(
            refused["detail"].as_str().unwrap().contains("line "),
            "{refused}"
        );
        // The same document changes nothing.
        problem(422, api.put("/api/v1/policy", json!({"document": text})));
        problem(
            422,
            api.post(
                "/api/v1/policy/check",
                json!({"document": text, "extra": 1}),
            ),
        );

        let good = text.replacen("flat = \"40.00\"", "flat = \"25.00\"", 1);
        let (status, check) = api.post("/api/v1/policy/check", json!({"document": good}));
        assert_eq!(status, 200);
        assert_eq!(check["valid"], json!(true));
        assert_eq!(check["changes"], json!(["late_fee: flat 40.00 → 25.00"]));

        // Only an owner changes the policy.
        common::add_member(
            &api,
            "cole@acme.example",
            "Cole",
            "collector password",
            "collector",
        );
        let collector =
            server.token_for_role("cole@acme.example", "collector password", "collector");
        problem(
            403,
            collector.put("/api/v1/policy", json!({"document": good})),
        );

        let r1 = api.send(
            "PUT",
            "/api/v1/policy",
            Some(json!({"document": good})),
            &[("Idempotency-Key", "pol-1")],
        );
        assert_eq!(r1.status, 200, "{}", r1.body);
        assert_eq!(r1.body["version"], json!(2));
        assert!(
            r1.body["author"]
                .as_str()
                .unwrap()
                .contains("owner@acme.example"),
            "{}",
            r1.body
        );
        let r2 = api.send(
            "PUT",
            "/api/v1/policy",
            Some(json!({"document": good})),
            &[("Idempotency-Key", "pol-1")],
        );
        assert_eq!((r2.status, &r2.body), (200, &r1.body));
        let other = api.send(
            "PUT",
            "/api/v1/policy",
            Some(json!({"document": text})),
            &[("Idempotency-Key", "pol-1")],
        );
        assert_eq!(other.status, 422, "{}", other.body);

        let (status, versions) = api.get("/api/v1/policy/versions");
        assert_eq!(status, 200);
        assert_eq!(items(&versions).len(), 2);
        assert_eq!(
            api.get("/api/v1/policy/versions/1").1["document"],
            json!(text)
        );
        problem(404, api.get("/api/v1/policy/versions/9"));
        problem(422, api.get("/api/v1/policy/versions/x"));
    }
);

server_test!(
    fn the_run_previews_then_applies_and_goes_forward(server: &TestServer) {
        let api = server.owner("Acme");
        assert_eq!(
            api.post(
                "/api/v1/customers",
                json!({"reference": "C1", "name": "One", "email": "ap@one.example"})
            )
            .0,
            201
        );
        let number = issue(server, "C1", "2026-01-02", 12_000);

        // Aging and figures see the invoice.
        let (status, aging) = api.get("/api/v1/aging?as_of=2026-03-15&detail=true");
        assert_eq!(status, 200, "{aging}");
        assert_eq!(aging["totals"][0]["total"], json!("120.00"));
        assert_eq!(aging["customers"][0]["customer_reference"], json!("C1"));
        assert_eq!(aging["items"][0]["invoice"], json!(number));
        assert_eq!(aging["items"][0]["days_past_due"], json!(42));
        assert_eq!(
            items(&api.get("/api/v1/aging?as_of=2026-03-15&currency=EUR").1["totals"]).len(),
            0
        );
        assert_eq!(
            problem(422, api.get("/api/v1/aging?as_of=2026-13-01"))["field"],
            json!("as_of")
        );
        assert_eq!(
            problem(422, api.get("/api/v1/aging?currency=XYZW"))["field"],
            json!("currency")
        );
        let (status, figures) = api.get("/api/v1/figures?as_of=2026-03-31&days=90");
        assert_eq!(status, 200, "{figures}");
        assert_eq!(figures[0]["currency"], json!("USD"));
        assert_eq!(figures[0]["ending_ar"], json!("120.00"));
        assert!(figures[0]["dso"]["value"].is_string(), "{figures}");
        assert_eq!(
            problem(422, api.get("/api/v1/figures?days=0"))["field"],
            json!("days")
        );
        let (status, trend) = api.get("/api/v1/figures/trend?as_of=2026-03-31&points=3&step=30");
        assert_eq!(status, 200, "{trend}");
        assert_eq!(items(&trend).len(), 3);

        // The preview writes nothing; applying does what it showed.
        let (status, preview) = api.post("/api/v1/runs/preview", json!({"as_of": "2026-03-15"}));
        assert_eq!(status, 200, "{preview}");
        assert_eq!(preview["applied"], json!(false));
        let actions = items(&preview["actions"]).clone();
        assert!(!actions.is_empty(), "{preview}");
        assert!(actions
            .iter()
            .all(|a| a["customer_reference"] == json!("C1")));
        assert!(
            actions.iter().any(|a| a["invoices"] == json!([number])),
            "{preview}"
        );
        assert_eq!(items(&api.get("/api/v1/runs").1).len(), 0);
        problem(
            422,
            api.post("/api/v1/runs/preview", json!({"as_of": "yesterday"})),
        );

        let (status, run) = api.post("/api/v1/runs", json!({"as_of": "2026-03-15"}));
        assert_eq!(status, 201, "{run}");
        assert_eq!(run["applied"], json!(true));
        assert_eq!(run["actions"].as_array().unwrap().len(), actions.len());
        let (_, runs) = api.get("/api/v1/runs");
        assert_eq!(runs[0]["as_of"], json!("2026-03-15"));
        // Again for the same day: nothing left to do. An earlier day: refused.
        let (status, again) = api.post("/api/v1/runs", json!({"as_of": "2026-03-15"}));
        assert_eq!(status, 201);
        assert_eq!(again["actions"], json!([]));
        problem(
            409,
            api.post("/api/v1/runs", json!({"as_of": "2026-03-01"})),
        );

        // What the run queued for sending.
        let (status, outbox) = api.get("/api/v1/outbox");
        assert_eq!(status, 200, "{outbox}");
        assert!(items(&outbox)
            .iter()
            .all(|m| m["customer_reference"] == json!("C1")));
        problem(422, api.get("/api/v1/outbox?status=nonsense"));
        problem(422, api.get("/api/v1/outbox?limit=0"));

        // A person holds a reminder, sends it now, and cancels it.
        let message = &items(&outbox)[0];
        let id = message["id"].as_i64().unwrap();
        assert_eq!(message["status"], json!("pending"));
        assert_eq!(message["actions"], json!(["hold", "cancel"]));
        let (status, held) = api.post(
            &format!("/api/v1/outbox/{id}/hold"),
            json!({"reason": "the customer rang"}),
        );
        assert_eq!(status, 200, "{held}");
        assert_eq!(held["status"], json!("held"));
        assert_eq!(held["actions"], json!(["send-now", "cancel"]));
        assert_eq!(
            problem(
                409,
                api.post(&format!("/api/v1/outbox/{id}/retry"), json!({}))
            )["detail"],
            json!(format!(
                "message #{id} is held; only a failed or unknown message can be retried"
            ))
        );
        let (status, due) = api.post(&format!("/api/v1/outbox/{id}/send-now"), json!({}));
        assert_eq!((status, &due["status"]), (200, &json!("pending")), "{due}");
        assert_eq!(
            problem(
                422,
                api.post(
                    &format!("/api/v1/outbox/{id}/cancel"),
                    json!({"reason": ""})
                )
            )["field"],
            json!("reason")
        );
        let (status, cancelled) = api.post(
            &format!("/api/v1/outbox/{id}/cancel"),
            json!({"reason": "paid at the counter"}),
        );
        assert_eq!(status, 200, "{cancelled}");
        assert_eq!(cancelled["status"], json!("cancelled"));
        assert_eq!(cancelled["actions"], json!([]));
        let (_, one) = api.get(&format!("/api/v1/outbox/{id}"));
        let why = one["last_error"].as_str().unwrap();
        assert!(
            why == "cancelled by owner@acme.example (token 1): paid at the counter",
            "{why}"
        );
        assert_eq!(one["cc"], json!(null), "never claimed: {one}");
        problem(404, api.get("/api/v1/outbox/999999"));
        problem(404, api.post("/api/v1/outbox/999999/hold", json!({})));

        // Once a worker claims a message, it says who had it in copy.
        let (status, ap) = api.post(
            "/api/v1/customers/C1/people",
            json!({"role": "accounts_payable", "email": "payables@one.example"}),
        );
        assert_eq!(status, 201, "{ap}");
        let (status, sent) = api.post(&format!("/api/v1/invoices/{number}/send"), json!({}));
        assert_eq!(status, 202, "{sent}");
        let mut store = Store::open(&server.database_url).expect("open the book");
        let org = store.org(Some("Acme")).expect("the organisation");
        let claim = store
            .claim_next_message(
                org.id,
                "test-worker",
                &store.now_utc(),
                dun_core::Date::parse("2026-03-15").unwrap(),
            )
            .unwrap()
            .expect("a message the run queued");
        let (_, claimed) = api.get(&format!("/api/v1/outbox/{}", claim.message.id));
        assert_eq!(claimed["recipient"], json!("ap@one.example"), "{claimed}");
        assert_eq!(claimed["cc"], json!("payables@one.example"), "{claimed}");
        let (_, listed) = api.get("/api/v1/outbox?status=sending");
        assert_eq!(listed[0]["cc"], json!("payables@one.example"), "{listed}");
        let (_, timeline) = api.get("/api/v1/customers/C1/timeline");
        let kinds: Vec<&Value> = items(&timeline["items"])
            .iter()
            .map(|e| &e["kind"])
            .collect();
        for kind in ["email_held", "email_send_now", "email_cancelled"] {
            assert!(kinds.contains(&&json!(kind)), "{kind}: {timeline}");
        }
        assert_eq!(api.get("/api/v1/worklist?as_of=2026-12-31").0, 200);
    }
);

server_test!(
    fn tasks_are_added_ranked_and_closed(server: &TestServer) {
        let api = server.owner("Acme");
        assert_eq!(
            api.post(
                "/api/v1/customers",
                json!({"reference": "C1", "name": "One"})
            )
            .0,
            201
        );
        let (status, task) = api.post(
            "/api/v1/tasks",
            json!({"customer": "C1", "title": "Ask for the delivery note", "due": "2026-01-05"}),
        );
        assert_eq!(status, 201, "{task}");
        assert_eq!(task["status"], json!("open"));
        assert!(
            task["created_by"]
                .as_str()
                .unwrap()
                .contains("owner@acme.example"),
            "{task}"
        );
        let id = task["id"].as_i64().unwrap();
        problem(
            404,
            api.post("/api/v1/tasks", json!({"customer": "NOPE", "title": "x"})),
        );
        assert_eq!(
            problem(
                422,
                api.post("/api/v1/tasks", json!({"customer": "C1", "title": " "}))
            )["field"],
            json!("title")
        );
        assert_eq!(
            problem(
                422,
                api.post(
                    "/api/v1/tasks",
                    json!({"customer": "C1", "title": "x", "due": "soon"})
                )
            )["field"],
            json!("due")
        );

        let (status, list) = api.get("/api/v1/worklist?as_of=2026-01-31");
        assert_eq!(status, 200, "{list}");
        assert_eq!(list[0]["task_id"], json!(id));
        assert_eq!(list[0]["next_step"], json!("Ask for the delivery note"));
        assert_eq!(items(&api.get("/api/v1/tasks").1).len(), 1);

        let (status, done) = api.post(
            &format!("/api/v1/tasks/{id}/done"),
            json!({"outcome": "received"}),
        );
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["status"], json!("done"));
        problem(
            409,
            api.post(
                &format!("/api/v1/tasks/{id}/done"),
                json!({"outcome": "again"}),
            ),
        );
        problem(
            404,
            api.post("/api/v1/tasks/99999/done", json!({"outcome": "x"})),
        );
        assert_eq!(items(&api.get("/api/v1/tasks").1).len(), 0);
        assert_eq!(items(&api.get("/api/v1/tasks?status=done").1).len(), 1);
        assert_eq!(
            items(&api.get("/api/v1/tasks?status=all&customer=C1").1).len(),
            1
        );
        problem(422, api.get("/api/v1/tasks?status=maybe"));
        problem(404, api.get("/api/v1/tasks?customer=NOPE"));
    }
);

server_test!(
    fn contacts_promises_disputes_and_standing(server: &TestServer) {
        let api = server.owner("Acme");
        assert_eq!(
            api.post(
                "/api/v1/customers",
                json!({"reference": "C1", "name": "One"})
            )
            .0,
            201
        );
        let number = issue(server, "C1", "2026-01-02", 50_000);

        let (status, note) = api.post(
            "/api/v1/customers/C1/contacts",
            json!({"kind": "note", "summary": "Left a message"}),
        );
        assert_eq!(status, 201, "{note}");
        assert_eq!(note["promise"], Value::Null);
        let (status, call) = api.post("/api/v1/customers/C1/contacts", json!({"kind": "call", "summary": "Spoke to AP",
        "outcome": "reached", "invoices": [number], "promise": {"date": in_days(7), "amount": "200.00"}}));
        assert_eq!(status, 201, "{call}");
        assert_eq!(call["promise"]["amount"], json!("200.00"));
        assert_eq!(call["promise"]["currency"], json!("USD"));
        assert_eq!(
            problem(
                422,
                api.post(
                    "/api/v1/customers/C1/contacts",
                    json!({"kind": "fax", "summary": "x"})
                )
            )["field"],
            json!("kind")
        );
        assert_eq!(
            problem(
                422,
                api.post(
                    "/api/v1/customers/C1/contacts",
                    json!({"kind": "call", "summary": "x"})
                )
            )["field"],
            json!("outcome")
        );
        problem(
            404,
            api.post(
                "/api/v1/customers/NOPE/contacts",
                json!({"kind": "note", "summary": "x"}),
            ),
        );

        // A promise, made once however often it is sent.
        let due = in_days(14);
        let promise = json!({"date": due, "amount": "100.00", "invoices": [number]});
        let (status, first) =
            api.post_with_key("/api/v1/customers/C1/promises", "prom-1", promise.clone());
        assert_eq!(status, 201, "{first}");
        assert_eq!(first["invoices"], json!([number]));
        assert_eq!(
            api.post_with_key("/api/v1/customers/C1/promises", "prom-1", promise.clone()),
            (201, first.clone())
        );
        let reused = problem(
            422,
            api.post_with_key(
                "/api/v1/customers/C1/promises",
                "prom-1",
                json!({"date": due, "amount": "101.00", "invoices": [number]}),
            ),
        );
        assert_eq!(reused["field"], json!("Idempotency-Key"));
        assert_eq!(
            problem(
                422,
                api.post(
                    "/api/v1/customers/C1/promises",
                    json!({"date": due, "amount": "1.234"})
                )
            )["field"],
            json!("amount")
        );
        assert_eq!(
            problem(
                422,
                api.post(
                    "/api/v1/customers/C1/promises",
                    json!({"date": due, "amount": "-5"})
                )
            )["field"],
            json!("amount")
        );
        assert_eq!(
            problem(
                422,
                api.post(
                    "/api/v1/customers/C1/promises",
                    json!({"date": "15/04", "amount": "5"})
                )
            )["field"],
            json!("date")
        );
        problem(
            404,
            api.post(
                "/api/v1/customers/NOPE/promises",
                json!({"date": due, "amount": "5"}),
            ),
        );

        // Disputes: opened once per key, listed, resolved.
        let dispute = json!({"invoice": number, "reason": "Goods arrived damaged"});
        let (status, opened) = api.post_with_key("/api/v1/disputes", "disp-1", dispute.clone());
        assert_eq!(status, 201, "{opened}");
        assert_eq!(opened["status"], json!("open"));
        assert_eq!(
            api.post_with_key("/api/v1/disputes", "disp-1", dispute),
            (201, opened.clone())
        );
        problem(
            422,
            api.post_with_key(
                "/api/v1/disputes",
                "disp-1",
                json!({"invoice": number, "reason": "Other"}),
            ),
        );
        problem(
            404,
            api.post(
                "/api/v1/disputes",
                json!({"invoice": "NOPE-1", "reason": "x"}),
            ),
        );
        assert_eq!(
            problem(
                422,
                api.post(
                    "/api/v1/disputes",
                    json!({"invoice": number, "reason": "x", "line": 0})
                )
            )["field"],
            json!("line")
        );
        let (status, open) = api.get("/api/v1/disputes?customer=C1");
        assert_eq!(status, 200);
        assert_eq!(items(&open).len(), 1);
        let id = opened["id"].as_i64().unwrap();
        assert_eq!(
            problem(
                422,
                api.post(
                    &format!("/api/v1/disputes/{id}/resolve"),
                    json!({"resolution": "credit_note"})
                )
            )["field"],
            json!("amount")
        );
        let (status, resolved) = api.post(
            &format!("/api/v1/disputes/{id}/resolve"),
            json!({"resolution": "credit_note", "amount": "50.00", "reason": "damaged"}),
        );
        assert_eq!(status, 200, "{resolved}");
        assert_eq!(resolved["status"], json!("resolved"));
        problem(
            409,
            api.post(
                &format!("/api/v1/disputes/{id}/resolve"),
                json!({"resolution": "rejected"}),
            ),
        );
        problem(
            404,
            api.post(
                "/api/v1/disputes/99999/resolve",
                json!({"resolution": "rejected"}),
            ),
        );
        assert_eq!(items(&api.get("/api/v1/disputes").1).len(), 0);
        assert_eq!(items(&api.get("/api/v1/disputes?status=all").1).len(), 1);

        // Standing: pause, resume, status.
        let (status, paused) =
            api.post("/api/v1/customers/C1/pause", json!({"reason": "in talks"}));
        assert_eq!(status, 200, "{paused}");
        assert_eq!(paused["paused"], json!(true));
        assert_eq!(paused["paused_until"], Value::Null);
        let (status, resumed) = api.post("/api/v1/customers/C1/resume", json!({}));
        assert_eq!(status, 200, "{resumed}");
        assert_eq!(resumed["paused"], json!(false));
        let (status, held) = api.put(
            "/api/v1/customers/C1/status",
            json!({"status": "hold", "reason": "disputed"}),
        );
        assert_eq!(status, 200, "{held}");
        assert_eq!(held["status"], json!("on_hold"));
        assert_eq!(held["status_held"], json!(true));
        assert_eq!(held["status_held_until"], Value::Null);
        let (status, vouched) = api.put(
            "/api/v1/customers/C1/status",
            json!({"status": "active", "reason": "owner vouches", "until": "2199-01-31"}),
        );
        assert_eq!(status, 200, "{vouched}");
        assert_eq!(vouched["status_held_until"], json!("2199-01-31"));
        assert_eq!(
            problem(
                422,
                api.put(
                    "/api/v1/customers/C1/status",
                    json!({"status": "active", "reason": "x", "until": "31/01/2199"})
                )
            )["field"],
            json!("until")
        );
        assert_eq!(
            problem(
                422,
                api.put(
                    "/api/v1/customers/C1/status",
                    json!({"status": "gone", "reason": "x"})
                )
            )["field"],
            json!("status")
        );
        problem(
            404,
            api.put(
                "/api/v1/customers/NOPE/status",
                json!({"status": "active", "reason": "x"}),
            ),
        );
        assert_eq!(
            problem(
                422,
                api.post(
                    "/api/v1/customers/C1/pause",
                    json!({"reason": "x", "until": "never"})
                )
            )["field"],
            json!("until")
        );
        // A pause that would end before today: the store's one rule, its
        // field (the web's form calls the same rule).
        let past = problem(
            422,
            api.post(
                "/api/v1/customers/C1/pause",
                json!({"reason": "x", "until": "2001-01-01"}),
            ),
        );
        assert_eq!(past["field"], json!("until"), "{past}");
        assert!(
            past["detail"]
                .as_str()
                .is_some_and(|d| d.contains("2001-01-01 is before")),
            "{past}"
        );

        // Everything above is on the timeline, newest first, a page at a time.
        let (status, page) = api.get("/api/v1/customers/C1/timeline?limit=2");
        assert_eq!(status, 200, "{page}");
        assert_eq!(items(&page["items"]).len(), 2);
        let cursor = page["next_cursor"]
            .as_str()
            .expect("more pages")
            .to_string();
        let (status, next) = api.get(&format!(
            "/api/v1/customers/C1/timeline?limit=2&cursor={cursor}"
        ));
        assert_eq!(status, 200);
        assert!(next["items"][0]["id"].as_i64() < page["items"][1]["id"].as_i64());
        problem(422, api.get("/api/v1/customers/C1/timeline?cursor=bogus"));
        problem(404, api.get("/api/v1/customers/NOPE/timeline"));

        // A viewer reads but does not write.
        common::add_member(
            &api,
            "vera@acme.example",
            "Vera",
            "viewer password",
            "viewer",
        );
        let viewer = server.token_for_role("vera@acme.example", "viewer password", "viewer");
        assert_eq!(viewer.get("/api/v1/customers/C1/timeline").0, 200);
        problem(
            403,
            viewer.post(
                "/api/v1/customers/C1/contacts",
                json!({"kind": "note", "summary": "x"}),
            ),
        );
    }
);

server_test!(
    fn collateral_and_payment_plans(server: &TestServer) {
        let api = server.owner("Acme");
        assert_eq!(
            api.post(
                "/api/v1/customers",
                json!({"reference": "C1", "name": "One"})
            )
            .0,
            201
        );
        let number = issue(server, "C1", "2026-01-02", 50_000);

        let (status, added) = api.post(
            "/api/v1/customers/C1/collateral",
            json!({"kind": "deposit",
        "amount": "1000.00", "reference": "DEP-7", "expires": in_days(90)}),
        );
        assert_eq!(status, 201, "{added}");
        assert_eq!(added["amount"], json!("1000.00"));
        assert_eq!(added["currency"], json!("USD"));
        assert_eq!(
            problem(
                422,
                api.post(
                    "/api/v1/customers/C1/collateral",
                    json!({"kind": "goat", "amount": "1"})
                )
            )["field"],
            json!("kind")
        );
        assert_eq!(
            problem(
                422,
                api.post(
                    "/api/v1/customers/C1/collateral",
                    json!({"kind": "lien", "amount": "0"})
                )
            )["field"],
            json!("amount")
        );
        problem(
            404,
            api.post(
                "/api/v1/customers/NOPE/collateral",
                json!({"kind": "lien", "amount": "1"}),
            ),
        );
        let (status, list) = api.get("/api/v1/customers/C1/collateral");
        assert_eq!(status, 200);
        assert_eq!(items(&list).len(), 1);
        problem(404, api.get("/api/v1/customers/NOPE/collateral"));

        let plan = json!({"customer": "C1", "invoices": [number], "installments": [
        {"date": in_days(10), "amount": "250.00"}, {"date": in_days(40), "amount": "250.00"}]});
        let (status, made) = api.post_with_key("/api/v1/plans", "plan-1", plan.clone());
        assert_eq!(status, 201, "{made}");
        assert_eq!(made["status"], json!("active"));
        assert_eq!(made["opening"], json!("500.00"));
        assert_eq!(
            api.post_with_key("/api/v1/plans", "plan-1", plan),
            (201, made.clone())
        );
        problem(
            422,
            api.post_with_key(
                "/api/v1/plans",
                "plan-1",
                json!({"customer": "C1", "invoices": [number],
        "split": {"count": 4, "first": in_days(10)}}),
            ),
        );
        assert_eq!(
            problem(
                404,
                api.post(
                    "/api/v1/plans",
                    json!({"customer": "C1", "invoices": ["NOPE-1"],
        "split": {"count": 2, "first": in_days(10)}})
                )
            )["field"],
            json!("invoices")
        );
        assert_eq!(
            problem(
                422,
                api.post(
                    "/api/v1/plans",
                    json!({"customer": "C1", "invoices": [number]})
                )
            )["field"],
            json!("installments")
        );
        assert_eq!(
            problem(
                422,
                api.post(
                    "/api/v1/plans",
                    json!({"customer": "C1", "invoices": [number],
        "installments": [{"date": "tomorrow", "amount": "1"}]})
                )
            )["field"],
            json!("installments[0].date")
        );
        // Split N ways: the store reads what is open under the plan's lock
        // and splits it, every 30 days unless told (the web's form, given
        // the same, makes the same plan).
        let other = issue(server, "C1", "2026-01-03", 10_001);
        let (status, split) = api.post(
            "/api/v1/plans",
            json!({"customer": "C1", "invoices": [other],
                   "split": {"count": 3, "first": "2099-01-01"}}),
        );
        assert_eq!(status, 201, "{split}");
        assert_eq!(split["opening"], json!("100.01"));
        let parts: Vec<(&str, &str)> = split["installments"]
            .as_array()
            .expect("installments")
            .iter()
            .map(|i| {
                (
                    i["due_date"].as_str().unwrap_or_default(),
                    i["amount"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            parts,
            [
                ("2099-01-01", "33.34"),
                ("2099-01-31", "33.34"),
                ("2099-03-02", "33.33")
            ],
            "{split}"
        );
        let (status, plans) = api.get("/api/v1/plans?customer=C1");
        assert_eq!(status, 200);
        assert_eq!(items(&plans).len(), 2);
        problem(404, api.get("/api/v1/plans?customer=NOPE"));
    }
);

server_test!(
    fn the_document_describes_these_routes(server: &TestServer) {
        let (status, doc) = server.anonymous().get("/openapi.json");
        assert_eq!(status, 200);
        for (path, method) in [
            ("/api/v1/policy", "put"),
            ("/api/v1/policy/check", "post"),
            ("/api/v1/runs/preview", "post"),
            ("/api/v1/runs", "post"),
            ("/api/v1/worklist", "get"),
            ("/api/v1/tasks/{task_id}/done", "post"),
            ("/api/v1/tasks/{task_id}/decision", "post"),
            ("/api/v1/escalations", "get"),
            ("/api/v1/invoices/{invoice}/interest-sheet", "get"),
            ("/api/v1/invoices/{invoice}/interest-sheet.pdf", "get"),
            ("/api/v1/invoices/{invoice}/waivers", "post"),
            ("/api/v1/period", "put"),
            ("/api/v1/customers/{reference}", "patch"),
            ("/api/v1/customers/{reference}/claim-file.zip", "get"),
            ("/api/v1/customers/{reference}/timeline", "get"),
            ("/api/v1/customers/{reference}/promises", "post"),
            ("/api/v1/disputes/{dispute_id}/resolve", "post"),
            ("/api/v1/customers/{reference}/status", "put"),
            ("/api/v1/plans", "post"),
            ("/api/v1/outbox", "get"),
            ("/api/v1/outbox/{message_id}", "get"),
            ("/api/v1/outbox/{message_id}/hold", "post"),
            ("/api/v1/outbox/{message_id}/send-now", "post"),
            ("/api/v1/outbox/{message_id}/cancel", "post"),
            ("/api/v1/outbox/{message_id}/retry", "post"),
            ("/api/v1/aging", "get"),
            ("/api/v1/figures/trend", "get"),
        ] {
            assert!(
                doc["paths"][path][method].is_object(),
                "{method} {path} is not in the document"
            );
        }
    }
);

server_test!(
    fn an_escalation_review_is_decided_once_and_the_claim_file_downloads(server: &TestServer) {
        let api = server.owner("Acme");
        for reference in ["C1", "C2"] {
            assert_eq!(
                api.post(
                    "/api/v1/customers",
                    json!({"reference": reference, "name": format!("{reference} Ltd")})
                )
                .0,
                201
            );
            issue(server, reference, "2026-01-02", 50_000);
        }
        // Due 2026-02-01; the default ladder's review comes at +90.
        for day in ["2026-02-08", "2026-03-03", "2026-04-02", "2026-05-02"] {
            let (status, run) = api.post("/api/v1/runs", json!({ "as_of": day }));
            assert_eq!(status, 201, "{run}");
        }
        let (_, tasks) = api.get("/api/v1/tasks");
        let review = |reference: &str| {
            items(&tasks)
                .iter()
                .find(|t| {
                    t["kind"] == json!("escalation") && t["customer_reference"] == json!(reference)
                })
                .unwrap_or_else(|| panic!("no review for {reference}: {tasks}"))["id"]
                .as_i64()
                .unwrap()
        };
        let (c1, c2) = (review("C1"), review("C2"));

        common::add_member(
            &api,
            "cole@acme.example",
            "Cole",
            "collector password",
            "collector",
        );
        let collector =
            server.token_for_role("cole@acme.example", "collector password", "collector");
        // Writing off is the owner's; a word that is no decision names the field.
        problem(
            403,
            collector.post(
                &format!("/api/v1/tasks/{c1}/decision"),
                json!({"decision": "write_off", "reason": "gone"}),
            ),
        );
        let refused = problem(
            422,
            collector.post(
                &format!("/api/v1/tasks/{c1}/decision"),
                json!({"decision": "sue", "reason": "x"}),
            ),
        );
        assert_eq!(refused["field"], json!("decision"));
        let refused = problem(
            422,
            collector.post(
                &format!("/api/v1/tasks/{c1}/decision"),
                json!({"decision": "agency", "reason": " "}),
            ),
        );
        assert_eq!(refused["field"], json!("reason"));

        let (status, decided) = collector.post(
            &format!("/api/v1/tasks/{c1}/decision"),
            json!({"decision": "agency", "reason": "no reply", "on": "2026-05-03"}),
        );
        assert_eq!(status, 200, "{decided}");
        assert_eq!(decided["decision"], json!("agency"));
        assert_eq!(decided["task"]["status"], json!("done"));
        assert_eq!(decided["handed_over"][0]["currency"], json!("USD"));
        problem(
            409,
            collector.post(
                &format!("/api/v1/tasks/{c1}/decision"),
                json!({"decision": "reject", "reason": "again"}),
            ),
        );
        let (status, written) = api.post(
            &format!("/api/v1/tasks/{c2}/decision"),
            json!({"decision": "write_off", "reason": "dissolved", "on": "2026-05-03"}),
        );
        assert_eq!(status, 200, "{written}");
        assert_eq!(
            written["written_off"][0]["amount"]
                .as_str()
                .map(|a| a.starts_with("5")),
            Some(true),
            "{written}"
        );

        let (status, list) = api.get("/api/v1/escalations");
        assert_eq!(status, 200, "{list}");
        assert_eq!(items(&list).len(), 1, "{list}");
        assert_eq!(list[0]["customer_reference"], json!("C1"));
        assert_eq!(list[0]["status"], json!("with_agency"));
        assert_eq!(list[0]["since"], json!("2026-05-03"));

        let zip = api.send(
            "GET",
            "/api/v1/customers/C1/claim-file.zip?as_of=2026-05-03",
            None,
            &[],
        );
        assert_eq!(zip.status, 200);
        assert_eq!(zip.content_type, "application/zip");
        assert!(
            zip.header("content-disposition")
                .is_some_and(|d| d.contains("attachment; filename=\"claim-C1-2026-05-03.zip\"")),
            "{:?}",
            zip.headers
        );
        problem(404, api.get("/api/v1/customers/NOPE/claim-file.zip"));
    }
);

server_test!(
    fn a_late_fee_is_waived_with_a_reason(server: &TestServer) {
        let api = server.owner("Acme");
        assert_eq!(
            api.post(
                "/api/v1/customers",
                json!({"reference": "C1", "name": "One"})
            )
            .0,
            201
        );
        let number = issue(server, "C1", "2026-01-02", 50_000);
        // The first run at +60 charges the final demand's fee.
        let (status, run) = api.post("/api/v1/runs", json!({"as_of": "2026-04-02"}));
        assert_eq!(status, 201, "{run}");
        let path = format!("/api/v1/invoices/{number}/waivers");
        let refused = problem(
            422,
            api.post(&path, json!({"charge": "tip", "reason": "x"})),
        );
        assert_eq!(refused["field"], json!("charge"));
        let refused = problem(
            409,
            api.post(
                &path,
                json!({"charge": "interest", "reason": "x", "date": "2026-04-03"}),
            ),
        );
        assert_eq!(refused["field"], json!("charge"), "{refused}");
        let (status, waived) = api.post(
            &path,
            json!({"charge": "fee", "reason": "goodwill", "date": "2026-04-03"}),
        );
        assert_eq!(status, 201, "{waived}");
        assert_eq!(waived["charge"], json!("fee"));
        assert_eq!(waived["amount"], json!("40.00"));
        assert_eq!(waived["open"], json!("500.00"));
        let (_, timeline) = api.get("/api/v1/customers/C1/timeline");
        assert!(
            items(&timeline["items"])
                .iter()
                .any(|e| e["kind"] == json!("charge_waived")),
            "{timeline}"
        );
    }
);

server_test!(
    fn the_owner_closes_the_books_and_nothing_is_posted_in_them(server: &TestServer) {
        let api = server.owner("Acme");
        assert_eq!(
            api.post(
                "/api/v1/customers",
                json!({"reference": "C1", "name": "One"})
            )
            .0,
            201
        );
        issue(server, "C1", "2026-01-02", 50_000);
        common::add_member(
            &api,
            "cole@acme.example",
            "Cole",
            "collector password",
            "collector",
        );
        let collector =
            server.token_for_role("cole@acme.example", "collector password", "collector");
        problem(
            403,
            collector.put("/api/v1/period", json!({"closed_through": "2026-01-31"})),
        );
        let (status, period) = api.put(
            "/api/v1/period",
            json!({"closed_through": "2026-01-31", "reason": "January filed"}),
        );
        assert_eq!(status, 200, "{period}");
        assert_eq!(period["closed_through"], json!("2026-01-31"));
        assert_eq!(collector.get("/api/v1/period").1, period);
        let refused = problem(
            409,
            collector.post(
                "/api/v1/payments",
                json!({"customer": "C1", "currency": "USD", "received_date": "2026-01-20", "amount": "10.00"}),
            ),
        );
        assert_eq!(refused["field"], json!("date"), "{refused}");
        let reopen = problem(
            422,
            api.put("/api/v1/period", json!({"closed_through": null})),
        );
        assert_eq!(reopen["field"], json!("reason"), "{reopen}");
        let (status, open) = api.put(
            "/api/v1/period",
            json!({"closed_through": null, "reason": "a receipt was missed"}),
        );
        assert_eq!(status, 200, "{open}");
        assert!(open["closed_through"].is_null());
    }
);
