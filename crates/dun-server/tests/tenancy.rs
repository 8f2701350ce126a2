//! No request reaches another organisation's data. The test walks every
//! operation of the OpenAPI document — so a new route is walked the day it
//! is added — as the owner of organisation B, aimed at organisation A's
//! resources (A's ids in the path, A's customer and invoice in the body),
//! and checks that every answer is a 4xx that reveals nothing of A, that
//! lists show none of A's rows, and that A's book is unchanged afterwards.

mod common;

use common::{Api, TestServer};
use dun_store::accounts::Role;
use dun_store::orgs::NewOrg;
use dun_store::Store;
use serde_json::{json, Value};

/// A's marker, in the names, descriptions and notes of A's rows — never in
/// what B sends — so any answer to B containing it leaks A's data.
const SECRET: &str = "CONFIDENTIAL-ALPHA";
/// A's customer's reference (B sends it, and may see it echoed back).
const A_CUSTOMER: &str = "ALPHA-1";

/// What B sends to each operation that takes a body: a request that would
/// succeed against A's data if the organisation were not checked. The test
/// fails on an operation missing here, so the table grows with the API.
fn body_for(method: &str, path: &str, a: &Ids) -> Option<Value> {
    let customer = &a.customer;
    let invoice = &a.invoice;
    Some(match (method, path) {
        ("POST", "/api/v1/customers") => json!({"reference": "B-OWN", "name": "B's own customer"}),
        ("POST", "/api/v1/customers/{reference}/collateral") => {
            json!({"kind": "deposit", "amount": "100.00"})
        }
        ("POST", "/api/v1/customers/{reference}/contacts") => {
            json!({"kind": "note", "summary": "B was here"})
        }
        ("POST", "/api/v1/customers/{reference}/people") => {
            json!({"role": "billing", "email": "intruder@beta.example"})
        }
        ("POST", "/api/v1/customers/{reference}/pause") => json!({"reason": "B pauses A"}),
        ("POST", "/api/v1/customers/{reference}/resume") => json!({}),
        ("POST", "/api/v1/customers/{reference}/portal-links") => json!({}),
        ("POST", "/api/v1/customers/{reference}/portal-links/withdraw") => json!({}),
        ("POST", "/api/v1/customers/{reference}/promises") => {
            json!({"date": "2026-12-01", "amount": "10.00"})
        }
        ("PUT", "/api/v1/customers/{reference}/status") => {
            json!({"status": "hold", "reason": "B holds A"})
        }
        ("POST", "/api/v1/disputes") => {
            json!({"invoice": invoice, "reason": "B disputes A's invoice"})
        }
        ("POST", "/api/v1/disputes/{dispute_id}/resolve") => json!({"resolution": "rejected"}),
        ("POST", "/api/v1/invoices") => {
            json!({"customer": customer, "lines": [{"description": "x", "quantity": "1", "unit_price": "1.00"}]})
        }
        ("PUT", "/api/v1/invoices/{invoice}") => {
            json!({"customer": customer, "lines": [{"description": "x", "quantity": "1", "unit_price": "2.00"}]})
        }
        ("POST", "/api/v1/invoices/{invoice}/credit-notes") => {
            json!({"reason": "B credits A", "amount": "1.00"})
        }
        ("POST", "/api/v1/invoices/{invoice}/issue") => json!({}),
        ("POST", "/api/v1/invoices/{invoice}/void") => json!({}),
        ("POST", "/api/v1/invoices/{invoice}/waivers") => {
            json!({"charge": "fee", "reason": "B waived it"})
        }
        ("POST", "/api/v1/invoices/{invoice}/write-off-reversals") => {
            json!({"reason": "B reverses A's write-off"})
        }
        ("POST", "/api/v1/invoices/{invoice}/write-offs") => {
            json!({"reason": "B writes off A", "amount": "1.00"})
        }
        ("PATCH", "/api/v1/organisation") => json!({"run_at": "07:00"}),
        ("PUT", "/api/v1/period") => json!({"closed_through": "2020-01-31"}),
        ("PATCH", "/api/v1/customers/{reference}") => json!({"name": "B renamed A's customer"}),
        ("POST", "/api/v1/payments") => json!({"customer": customer, "amount": "1.00"}),
        ("POST", "/api/v1/payments/{payment_id}/allocations") => {
            json!({"allocation": [{"invoice": invoice, "amount": "1.00"}]})
        }
        ("POST", "/api/v1/payments/{payment_id}/refund") => {
            json!({"amount": "1.00", "reason": "overpaid"})
        }
        ("POST", "/api/v1/payments/{payment_id}/reverse") => json!({"reason": "bounced"}),
        ("POST", "/api/v1/plans") => {
            json!({"customer": customer, "invoices": [invoice], "installments": 2})
        }
        ("PUT", "/api/v1/policy") => json!({"document": a.policy}),
        ("POST", "/api/v1/policy/check") => json!({"document": a.policy}),
        ("POST", "/api/v1/rates") => {
            json!({"from": "EUR", "to": "USD", "rate": "1.08", "effective_from": "2026-01-01"})
        }
        ("POST", "/api/v1/bank/statements") => json!({}),
        ("POST", "/api/v1/bank/transactions/{transaction_id}/confirm") => {
            json!({"customer": customer})
        }
        ("POST", "/api/v1/bank/transactions/{transaction_id}/dismiss") => json!({"reason": "B"}),
        ("POST", "/api/v1/bank/transactions/{transaction_id}/undo") => json!({"reason": "B"}),
        ("POST", "/api/v1/runs") => json!({}),
        ("POST", "/api/v1/runs/preview") => json!({}),
        ("POST", "/api/v1/tasks") => json!({"customer": customer, "title": "B's task on A"}),
        ("POST", "/api/v1/tasks/{task_id}/done") => json!({"outcome": "B closed it"}),
        ("POST", "/api/v1/tasks/{task_id}/reopen") => json!({"reason": "B reopened it"}),
        ("POST", "/api/v1/tasks/{task_id}/decision") => {
            json!({"decision": "reject", "reason": "B decided it"})
        }
        ("POST", "/api/v1/tokens") => json!({"name": "b"}),
        // B invites into B; accepting or resetting needs a link's secret,
        // which B has not got for A (a made-up one is refused).
        ("POST", "/api/v1/invitations") => {
            json!({"email": "intruder@beta.example", "role": "viewer"})
        }
        ("POST", "/api/v1/invitations/accept") => {
            json!({"token": "00".repeat(32), "password": "intruder password", "name": "I"})
        }
        ("POST", "/api/v1/password-reset") => {
            json!({"token": "00".repeat(32), "new_password": "intruder password"})
        }
        ("PATCH", "/api/v1/users/{user_id}") => json!({"role": "viewer"}),
        ("PUT", "/api/v1/templates/{name}") => {
            json!({"subject": "B's own wording", "text": "Dear {{customer_name}}, please pay."})
        }
        ("POST", "/api/v1/recurring") => {
            json!({"customer": customer, "schedule": "monthly:1", "lines": [{"description": "x", "quantity": "1", "unit_price": "1.00"}]})
        }
        ("POST", "/api/v1/recurring/{recurring_id}/pause") => json!({}),
        ("POST", "/api/v1/recurring/{recurring_id}/resume") => json!({}),
        ("POST", "/api/v1/recurring/{recurring_id}/end") => json!({}),
        ("PUT", "/api/v1/organisation/profile") => {
            json!({"seller": {"name": "Beta", "country_code": "GB"}})
        }
        ("PUT", "/api/v1/customers/{reference}/address") => {
            json!({"address_lines": ["1 B Street"], "city": "Bristol", "country_code": "GB"})
        }
        ("PUT", "/api/v1/organisation/stripe") => json!({}),
        // Not an image: refused (422), B's own logo untouched, A's too.
        ("PUT", "/api/v1/organisation/logo") => json!({}),
        ("POST", "/api/v1/outbox/{message_id}/hold") => json!({"reason": "B holds A's mail"}),
        ("POST", "/api/v1/outbox/{message_id}/cancel") => json!({"reason": "B cancels A's mail"}),
        _ => return None,
    })
}

/// A's identifiers, put into B's paths.
struct Ids {
    customer: String,
    invoice: String,
    draft: String,
    payment_id: String,
    task_id: String,
    dispute_id: String,
    user_id: String,
    invitation_id: String,
    token_id: String,
    recurring_id: String,
    person_id: String,
    bank_line_id: String,
    message_id: String,
    policy: String,
}

impl Ids {
    fn param(&self, name: &str, path: &str) -> String {
        match name {
            "reference" => self.customer.clone(),
            // Issuing and voiding aim at A's draft; the rest at A's issued invoice.
            "invoice" if path.ends_with("/issue") || path.ends_with("/void") => self.draft.clone(),
            "invoice" => self.invoice.clone(),
            // A's credit note's number (B has none of that number).
            "credit_note" => "CN-000001".into(),
            "payment_id" => self.payment_id.clone(),
            "task_id" => self.task_id.clone(),
            "dispute_id" => self.dispute_id.clone(),
            "user_id" => self.user_id.clone(),
            "invitation_id" => self.invitation_id.clone(),
            "token_id" => self.token_id.clone(),
            "recurring_id" => self.recurring_id.clone(),
            "person_id" => self.person_id.clone(),
            "transaction_id" => self.bank_line_id.clone(),
            "message_id" => self.message_id.clone(),
            // Template names are per organisation: B's "first_notice" is B's own.
            "name" => "first_notice".into(),
            "version" => "4".into(),
            other => panic!("the tenancy walk has no value for the path parameter {{{other}}} ({path}); add one"),
        }
    }
}

fn created(reply: (u16, Value)) -> Value {
    assert!(
        reply.0 == 200 || reply.0 == 201,
        "A's set-up failed: {} {}",
        reply.0,
        reply.1
    );
    reply.1
}

/// Organisation A with one of everything.
fn populate_a(server: &TestServer, a: &Api) -> Ids {
    created(a.post("/api/v1/customers", json!({"reference": A_CUSTOMER, "name": format!("{SECRET} Holdings"), "email": "ap@alpha.example"})));
    let invoice = created(a.post("/api/v1/invoices", json!({"customer": A_CUSTOMER, "issue_date": "2026-01-05",
        "description": format!("{SECRET} order"), "lines": [{"description": format!("{SECRET} widgets"), "quantity": "3", "unit_price": "100.00"}], "issue": true})));
    let invoice = invoice["number"].as_str().unwrap().to_string();
    let draft = created(a.post("/api/v1/invoices", json!({"customer": A_CUSTOMER, "lines": [{"description": "draft", "quantity": "1", "unit_price": "5.00"}]})));
    let draft = draft["id"].as_i64().unwrap().to_string();
    let payment = created(a.post("/api/v1/payments", json!({"customer": A_CUSTOMER, "amount": "50.00", "received_date": "2026-02-01", "reference": format!("{SECRET} BACS"), "allocation": "none"})));
    let payment_id = payment["payment_id"].as_i64().unwrap().to_string();
    let task = created(a.post(
        "/api/v1/tasks",
        json!({"customer": A_CUSTOMER, "title": format!("{SECRET} call")}),
    ));
    let task_id = task["id"].as_i64().expect("a task id").to_string();
    let dispute = created(a.post(
        "/api/v1/disputes",
        json!({"invoice": invoice, "reason": format!("{SECRET} says short delivery")}),
    ));
    let dispute_id = dispute["id"].as_i64().expect("a dispute id").to_string();
    created(a.post(
        &format!("/api/v1/customers/{A_CUSTOMER}/contacts"),
        json!({"kind": "note", "summary": format!("{SECRET} note")}),
    ));
    let person = created(a.post(
        &format!("/api/v1/customers/{A_CUSTOMER}/people"),
        json!({"role": "billing", "name": format!("{SECRET} Jane"), "email": "jane@alpha.example"}),
    ));
    let person_id = person["id"].as_i64().expect("a contact id").to_string();
    created(a.post("/api/v1/runs", json!({})));
    let sent = a.post(&format!("/api/v1/invoices/{invoice}/send"), json!({}));
    assert_eq!(sent.0, 202, "A's invoice e-mailed: {}", sent.1);
    let message_id = sent.1["message_id"]
        .as_i64()
        .expect("the invoice's message")
        .to_string();
    let user = common::add_member(
        a,
        "cole@alpha.example",
        "Cole",
        "collector password",
        "collector",
    );
    let user_id = user["id"].as_i64().unwrap().to_string();
    let invitation = created(a.post(
        "/api/v1/invitations",
        json!({"email": "pending@alpha.example", "role": "viewer"}),
    ));
    let invitation_id = invitation["invitation"]["id"]
        .as_i64()
        .expect("an invitation id")
        .to_string();
    let tokens = created(a.get("/api/v1/tokens"));
    let token_id = tokens[0]["id"].as_i64().unwrap().to_string();
    let policy = created(a.get("/api/v1/policy"));
    let policy = policy["document"]
        .as_str()
        .expect("the policy's text")
        .replace("grace_days = 45", "grace_days = 50");
    // A's versions 2 to 4; B starts with its version 1 and, walking
    // PUT /api/v1/policy, makes at most its version 2.
    for grace in ["grace_days = 50", "grace_days = 55"] {
        created(a.put(
            "/api/v1/policy",
            json!({"document": policy.replace("grace_days = 50", grace)}),
        ));
    }
    created(a.put("/api/v1/policy", json!({"document": policy})));
    let recurring = created(a.post("/api/v1/recurring", json!({"customer": A_CUSTOMER, "schedule": "monthly:1",
        "description": format!("{SECRET} subscription"), "starts": "2026-01-01",
        "lines": [{"description": format!("{SECRET} hosting"), "quantity": "1", "unit_price": "20.00"}]})));
    let recurring_id = recurring["id"]
        .as_i64()
        .expect("a recurring id")
        .to_string();
    created(a.put(
        "/api/v1/templates/first_notice",
        json!({"subject": format!("{SECRET} reminder"),
        "text": format!("Dear {{{{customer_name}}}}, {SECRET} asks you to pay.")}),
    ));
    created(a.put("/api/v1/organisation/profile", json!({"seller": {"name": format!("{SECRET} Ltd"),
        "address_lines": ["1 Alpha Road"], "city": "London", "postcode": "N1 1AA", "country_code": "GB"},
        "payment": {"note": format!("{SECRET} bank")}})));
    created(a.put(
        &format!("/api/v1/customers/{A_CUSTOMER}/address"),
        json!({"address_lines": [format!("{SECRET} House")],
        "city": "Leeds", "country_code": "GB"}),
    ));
    let csv = format!("date,amount,currency,counterparty_name,remittance\n2026-02-03,12.34,USD,{SECRET} Payer,{SECRET} transfer\n");
    let imported = a.send_raw(
        "POST",
        "/api/v1/bank/statements?file_name=a.csv",
        Some(&csv),
        "text/csv",
        &[],
    );
    assert_eq!(imported.status, 201, "A's bank import: {}", imported.body);
    let lines = created(a.get("/api/v1/bank/transactions"));
    let bank_line_id = lines["items"][0]["id"]
        .as_i64()
        .expect("a bank line id")
        .to_string();
    let _ = server;
    Ids {
        customer: A_CUSTOMER.into(),
        invoice,
        draft,
        payment_id,
        task_id,
        dispute_id,
        user_id,
        invitation_id,
        token_id,
        recurring_id,
        person_id,
        bank_line_id,
        message_id,
        policy,
    }
}

/// Everything A can read, as A sees it.
fn snapshot(a: &Api, ids: &Ids) -> Vec<(String, Value)> {
    [
        "/api/v1/customers".to_string(),
        format!("/api/v1/customers/{A_CUSTOMER}"),
        format!("/api/v1/customers/{A_CUSTOMER}/timeline"),
        format!("/api/v1/customers/{A_CUSTOMER}/people"),
        "/api/v1/invoices?status=all".into(),
        format!("/api/v1/invoices/{}", ids.invoice),
        format!("/api/v1/invoices/{}", ids.draft),
        "/api/v1/payments".into(),
        "/api/v1/tasks?status=all".into(),
        "/api/v1/disputes".into(),
        "/api/v1/plans".into(),
        "/api/v1/policy/versions".into(),
        "/api/v1/users".into(),
        "/api/v1/invitations".into(),
        "/api/v1/tokens".into(),
        "/api/v1/organisation".into(),
        "/api/v1/runs".into(),
        "/api/v1/outbox".into(),
        format!("/api/v1/outbox/{}", ids.message_id),
        "/api/v1/templates".into(),
        "/api/v1/recurring".into(),
        "/api/v1/bank/transactions?show=all".into(),
        "/api/v1/organisation/profile".into(),
        format!("/api/v1/customers/{A_CUSTOMER}/statement?from=2026-01-01&to=2026-03-31"),
    ]
    .into_iter()
    .map(|path| {
        let (status, body) = a.get(&path);
        assert_eq!(status, 200, "A reads {path}: {body}");
        (path, body)
    })
    .collect()
}

server_test!(
    fn no_route_reaches_another_organisation(server: &TestServer) {
        let a = server.owner("Alpha");
        {
            let mut store = Store::open(&server.database_url).unwrap();
            let beta = store
                .create_org(&NewOrg {
                    name: "Beta".into(),
                    currency: dun_core::Currency::parse("USD").unwrap(),
                    timezone: "UTC".into(),
                    invoice_prefix: "B-".into(),
                })
                .unwrap();
            store
                .add_user(
                    beta.id,
                    "owner@beta.example",
                    "Beta Owner",
                    Some("beta owner password"),
                    Role::Owner,
                )
                .unwrap();
        }
        let b = server.token_for("owner@beta.example", "beta owner password", None, "owner");
        let ids = populate_a(server, &a);
        let before = snapshot(&a, &ids);

        let (_, document) = b.get("/openapi.json");
        let paths = document["paths"].as_object().expect("the document's paths");
        let mut walked = 0;
        for (path, item) in paths {
            // Set-up, sign-in and one's own password hold no organisation's
            // data: they are how a caller gets (or keeps) a credential.
            if !path.starts_with("/api/")
                || path == "/api/v1/setup"
                || path.starts_with("/api/v1/session")
            {
                continue;
            }
            for (method, operation) in item.as_object().unwrap() {
                let method = method.to_uppercase();
                if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
                    continue;
                }
                let mut url = path.clone();
                let mut names_a_resource = false;
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    if parameter["in"] == json!("path") {
                        let name = parameter["name"].as_str().unwrap();
                        url = url.replace(&format!("{{{name}}}"), &ids.param(name, path));
                        // A template's name is not A's: B reads and writes its own.
                        names_a_resource |= name != "name";
                    }
                }
                let body =
                    if operation.get("requestBody").is_some() {
                        Some(body_for(&method, path, &ids).unwrap_or_else(|| {
                    panic!("the tenancy walk has no body for {method} {path}; add one to body_for")
                }))
                    } else {
                        None
                    };
                let names_a_in_body = body.as_ref().is_some_and(|b| {
                    let text = b.to_string();
                    text.contains(A_CUSTOMER) || text.contains(&format!("\"{}\"", ids.invoice))
                });
                let reply = b.send(&method, &url, body, &[]);
                walked += 1;
                let full = reply.body.to_string();
                let text: String = full.chars().take(400).collect();
                assert!(
                    reply.status < 500,
                    "{method} {url}: {} {text}",
                    reply.status
                );
                assert!(
                    !full.contains(SECRET),
                    "{method} {url} showed B A's data: {text}"
                );
                if names_a_resource || names_a_in_body {
                    assert!(
                        (400..500).contains(&reply.status),
                        "{method} {url} aimed at A's data answered B {}: {text}",
                        reply.status
                    );
                }
            }
        }
        assert!(walked > 50, "only {walked} operations walked");
        // B's invitations are B's: none of A's addresses.
        let (_, invitations) = b.get("/api/v1/invitations");
        assert!(
            !invitations.to_string().contains("alpha.example"),
            "{invitations}"
        );

        // B's own lists hold only B's rows; A's book is as it was.
        let after = snapshot(&a, &ids);
        for ((path, was), (_, is)) in before.iter().zip(after.iter()) {
            if path == "/api/v1/tokens" || path == "/api/v1/users" || path == "/api/v1/invitations"
            {
                // B may have made its own token and user; A's lists are A's.
                assert_eq!(was, is, "{path} changed for A");
                continue;
            }
            assert_eq!(was, is, "A's {path} changed while B walked the API");
        }
    }
);
