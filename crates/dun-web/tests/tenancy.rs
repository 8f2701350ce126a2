//! No web page or form reaches another organisation's data, as
//! dun-server's tests/tenancy.rs holds for the API. Organisation A has one
//! of everything; signed in as the owner of organisation B, the test walks
//! every route of the web router — read from the `.route("…", …)` calls in
//! `src/` so a new route fails this test until it has a walk entry — aimed
//! at A's ids, references and numbers (B's own CSRF token on each form),
//! and checks that each answer aimed at A is a 404 (a form naming A's
//! customer or invoice is refused), that no answer shows
//! any of A's data, and that A's book is unchanged afterwards.

mod common;

use std::collections::BTreeSet;

use common::{Browser, Page};
use dun_store::accounts::Role;
use dun_store::orgs::NewOrg;
use dun_store::Store;
use serde_json::{json, Value};

/// A's marker, in the names, descriptions and notes of A's rows — never in
/// what B sends — so any answer to B containing it leaks A's data.
const SECRET: &str = "CONFIDENTIAL-ALPHA";
/// A's customer's reference (B sends it, and may see it echoed back).
const A_CUSTOMER: &str = "ALPHA-1";

/// Routes that hold no organisation's data: how a visitor gets (or gives
/// up) a session, and the stylesheet. Each with why it is not walked.
const NOT_WALKED: &[(&str, &str, &str)] = &[
    ("GET", "/sign-in", "the sign-in form"),
    (
        "POST",
        "/sign-in",
        "signing in is how a caller gets a session",
    ),
    ("POST", "/sign-out", "would end B's session mid-walk"),
    (
        "GET",
        "/setup",
        "set-up exists only while there are no users",
    ),
    (
        "POST",
        "/setup",
        "set-up exists only while there are no users",
    ),
    (
        "GET",
        "/assets/{name}",
        "the stylesheet, the same for everyone",
    ),
];

/// Every `(method, path)` the router answers, read from the source of the
/// web crate: each `.route("path", get(…).post(…))` call in `src/*.rs`.
fn router_routes() -> BTreeSet<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut routes = BTreeSet::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the web crate's src")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            let open = rest.find('"').expect("a route's path");
            let close = open + 1 + rest[open + 1..].find('"').expect("the path's end");
            let path = rest[open + 1..close].to_string();
            // The method router: up to the `.route(` call's closing parenthesis.
            let mut depth = 1;
            let mut end = 0;
            for (i, c) in rest.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let methods = &rest[close + 1..end];
            let mut found = false;
            for method in ["get", "post", "put", "patch", "delete"] {
                let call = format!("{method}(");
                let mut from = 0;
                while let Some(i) = methods[from..].find(&call) {
                    let i = from + i;
                    let before = methods[..i].chars().last();
                    if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
                        routes.insert((method.to_uppercase(), path.clone()));
                        found = true;
                    }
                    from = i + call.len();
                }
            }
            assert!(
                found,
                "no method read for the route {path} in {}",
                file.display()
            );
        }
    }
    routes
}

/// A's identifiers, put into B's paths and forms.
struct Ids {
    invoice: String,
    draft: String,
    credit_note: String,
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
    /// B's own portal link's token (the portal's credential is its token).
    b_portal: String,
}

impl Ids {
    /// Every value walked for the path parameter `name`: each action on a
    /// message and each step of a schedule, else the one of [`Ids::param`].
    fn params(&self, name: &str, path: &str) -> Vec<String> {
        let all = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
        match name {
            "action" => all(&["hold", "cancel", "retry"]),
            "step" => all(&["pause", "resume", "end"]),
            _ => vec![self.param(name, path)],
        }
    }

    fn param(&self, name: &str, path: &str) -> String {
        match name {
            "reference" | "customer" => A_CUSTOMER.into(),
            // Drafts are edited, deleted and issued; the rest aims at A's issued invoice.
            "key" if ["/edit", "/delete", "/issue"]
                .iter()
                .any(|end| path.ends_with(end)) =>
            {
                format!("draft-{}", self.draft)
            }
            "key" => self.invoice.clone(),
            "number" if path.starts_with("/portal/") => self.invoice.clone(),
            "number" => self.credit_note.clone(),
            "id" if path.starts_with("/bank/") => self.bank_line_id.clone(),
            "id" if path.starts_with("/outbox/") => self.message_id.clone(),
            "id" if path.starts_with("/payments/") => self.payment_id.clone(),
            "id" if path.starts_with("/recurring/") => self.recurring_id.clone(),
            "id" if path.contains("/people/") => self.person_id.clone(),
            "task_id" => self.task_id.clone(),
            "user_id" => self.user_id.clone(),
            "token_id" => self.token_id.clone(),
            // A has versions 2 to 4 of its policy; B only its version 1.
            "version" => "4".into(),
            // Template names and export files are per organisation: B's own.
            "name" => "first_notice".into(),
            "file" => "invoices.csv".into(),
            // A one-time link's secret is its own credential: a made-up one.
            "token" if !path.starts_with("/portal/") => "00".repeat(32),
            "token" => self.b_portal.clone(),
            "invitation_id" => self.invitation_id.clone(),
            "intent" => "pi_alpha".into(),
            other => panic!(
                "the web tenancy walk has no value for the path parameter {{{other}}} ({path}); add one"
            ),
        }
    }
}

/// What B sends on each route: a query (GET) or form fields (POST, beside
/// B's CSRF token) that would reach A's data if the organisation were not
/// checked. The test fails on a route missing here, so the table grows
/// with the router.
fn walk_for(method: &str, path: &str, a: &Ids) -> Option<Vec<(&'static str, String)>> {
    let s = |t: &str| t.to_string();
    let customer = s(A_CUSTOMER);
    let invoice = a.invoice.clone();
    Some(match (method, path) {
        ("GET", "/") | ("GET", "/dashboard") | ("GET", "/customers") | ("GET", "/outbox") => {
            vec![]
        }
        ("GET", "/customers/new") | ("GET", "/customers/{reference}") => vec![],
        ("GET", "/invoices") | ("GET", "/payments") | ("GET", "/recurring") => {
            vec![("customer", customer)]
        }
        ("GET", "/invoices/new") => vec![("customer", customer)],
        ("GET", "/invoices/{key}") | ("GET", "/invoices/{key}/edit") => vec![],
        ("GET", "/payments/{id}") | ("GET", "/outbox/{id}") | ("GET", "/recurring/{id}") => {
            vec![]
        }
        ("GET", "/outbox/{id}/body.html") | ("GET", "/outbox/{id}/attachments/{file}") => vec![],
        ("GET", "/recurring/new") | ("GET", "/worklist") | ("GET", "/escalations") => vec![],
        ("GET", "/bank") => vec![("show", s("all"))],
        ("GET", "/imports") | ("GET", "/imports/export/{file}") => vec![],
        ("GET", "/policy") | ("GET", "/policy/edit") | ("GET", "/policy/versions") => vec![],
        ("GET", "/policy/versions/{version}") => vec![],
        ("GET", "/policy/settings") => vec![],
        ("GET", "/reports") | ("GET", "/reports/aging.csv") | ("GET", "/today") => vec![],
        ("GET", "/settings") | ("GET", "/settings/email") | ("GET", "/settings/profile") => {
            vec![]
        }
        ("GET", "/settings/profile/logo") => vec![],
        ("GET", "/settings/templates") | ("GET", "/settings/templates/{name}") => vec![],
        ("GET", "/portal/{token}") | ("GET", "/portal/{token}/statement.pdf") => vec![],
        ("GET", "/portal/{token}/invoices/{number}")
        | ("GET", "/portal/{token}/invoices/{number}/pdf") => vec![],
        ("GET", "/portal/{token}/pay/{intent}") => vec![],

        ("POST", "/customers") => vec![("reference", s("B-OWN")), ("name", s("B's own"))],
        ("POST", "/customers/{reference}/calls") => {
            vec![
                ("outcome", s("reached")),
                ("summary", s("B called A's customer")),
            ]
        }
        ("POST", "/customers/{reference}/notes") => {
            vec![("form", s("note")), ("note_text", s("B was here"))]
        }
        ("POST", "/customers/{reference}/disputes") => vec![
            ("form", s("dispute")),
            ("dispute_invoice", invoice),
            ("dispute_reason", s("B disputes A's invoice")),
        ],
        ("POST", "/customers/{reference}/disputes/resolve") => vec![
            ("form", s("resolve")),
            ("resolve_dispute", a.dispute_id.clone()),
            ("resolution", s("rejected")),
            ("resolve_reason", s("B decided")),
        ],
        ("POST", "/customers/{reference}/pause") => {
            vec![("form", s("pause")), ("pause_reason", s("B pauses A"))]
        }
        ("POST", "/customers/{reference}/resume") => vec![("form", s("resume"))],
        ("POST", "/customers/{reference}/status") => vec![
            ("form", s("status")),
            ("hold_status", s("hold")),
            ("hold_reason", s("B holds A")),
        ],
        ("POST", "/customers/{reference}/edit") => {
            vec![
                ("name", s("B renamed A's customer")),
                ("email", s("b@beta.example")),
            ]
        }
        ("POST", "/customers/{reference}/address") => vec![
            ("address_lines", s("1 B Street")),
            ("city", s("Bristol")),
            ("country_code", s("GB")),
        ],
        ("POST", "/customers/{reference}/people") => {
            vec![
                ("role", s("billing")),
                ("email", s("intruder@beta.example")),
            ]
        }
        ("POST", "/customers/{reference}/people/{id}/remove") => vec![],
        ("POST", "/customers/{reference}/plans") => vec![
            ("form", s("plan")),
            ("plan_invoices", invoice),
            ("plan_count", s("2")),
        ],
        ("POST", "/customers/{reference}/portal-link")
        | ("POST", "/customers/{reference}/portal-withdraw") => vec![],
        ("POST", "/customers/{reference}/override") => vec![
            ("form", s("override")),
            ("override_pause", s("yes")),
            ("override_reason", s("B overrides A")),
        ],
        ("POST", "/invoices/new") => vec![
            ("customer", customer),
            ("description", s("x")),
            ("quantity", s("1")),
            ("unit_price", s("1.00")),
        ],
        // B's own customer: what refuses is that the draft is A's.
        ("POST", "/invoices/{key}/edit") => vec![
            ("customer", s("BETA-1")),
            ("description", s("x")),
            ("quantity", s("1")),
            ("unit_price", s("2.00")),
        ],
        ("POST", "/invoices/{key}/delete")
        | ("POST", "/invoices/{key}/issue")
        | ("POST", "/invoices/{key}/void")
        | ("POST", "/invoices/{key}/send")
        | ("POST", "/invoices/{key}/credit-notes/{number}/send") => vec![],
        ("POST", "/invoices/{key}/credit-notes") | ("POST", "/invoices/{key}/write-offs") => {
            vec![("amount", s("1.00")), ("reason", s("B at A"))]
        }
        ("POST", "/invoices/{key}/waivers") => {
            vec![("charge", s("fee")), ("reason", s("B waived it"))]
        }
        ("POST", "/invoices/{key}/write-off-reversals") => vec![("reason", s("B reverses"))],
        ("POST", "/invoices/{key}/payments") => vec![("amount", s("1.00"))],
        ("POST", "/payments") => vec![("customer", customer), ("amount", s("1.00"))],
        ("POST", "/payments/{id}/allocate") => vec![("allocation", format!("{invoice}=1.00"))],
        ("POST", "/payments/{id}/refund") => {
            vec![("amount", s("1.00")), ("reason", s("overpaid"))]
        }
        ("POST", "/payments/{id}/reverse") => vec![("reason", s("bounced"))],
        ("POST", "/bank/import") => vec![],
        ("POST", "/bank/{id}/confirm") => vec![("customer", customer), ("invoices", invoice)],
        ("POST", "/bank/{id}/dismiss") | ("POST", "/bank/{id}/undo") => {
            vec![("reason", s("B"))]
        }
        ("POST", "/outbox/{id}/{action}") => vec![("reason", s("B cancels A's mail"))],
        ("POST", "/recurring") => vec![
            ("customer", customer),
            ("cadence", s("monthly")),
            ("every", s("1")),
            ("description", s("x")),
            ("quantity", s("1")),
            ("unit_price", s("1.00")),
        ],
        ("POST", "/recurring/{id}/{step}") => vec![("confirm", s("yes"))],
        ("POST", "/recurring/statements") => vec![
            ("customer", customer),
            ("cadence", s("monthly")),
            ("every", s("1")),
        ],
        ("POST", "/recurring/statements/{customer}/{step}") => vec![("confirm", s("yes"))],
        ("POST", "/imports/check") | ("POST", "/imports/confirm") => vec![],
        ("POST", "/worklist/{task_id}/done") => vec![("outcome", s("B closed it"))],
        ("POST", "/worklist/{task_id}/decide") => {
            vec![("decision", s("reject")), ("reason", s("B decided it"))]
        }
        ("POST", "/worklist/{task_id}/reopen") => vec![("reason", s("B reopened it"))],
        ("POST", "/today/apply") => vec![("digest", s("0"))],
        ("POST", "/policy/edit") => vec![("document", s("not a policy"))],
        // B's own policy, refused: a step's days that are not a number.
        ("POST", "/policy/settings") => vec![("step-1-days", s("soon"))],
        ("POST", "/settings/invitations") => {
            vec![("email", s("intruder@beta.example")), ("role", s("viewer"))]
        }
        ("POST", "/settings/invitations/{invitation_id}/withdraw")
        | ("POST", "/settings/users/{user_id}/reset-link") => vec![],
        ("GET", "/invitations/{token}") | ("GET", "/reset-password/{token}") => vec![],
        ("POST", "/invitations/{token}") => {
            vec![
                ("name", s("Intruder")),
                ("password", s("intruder password")),
            ]
        }
        ("POST", "/reset-password/{token}") => vec![("new_password", s("intruder password"))],
        ("POST", "/settings/users/{user_id}/role") => vec![("role", s("viewer"))],
        ("POST", "/settings/users/{user_id}/remove") => vec![],
        ("POST", "/settings/tokens") => vec![("name", s("b")), ("role", s("viewer"))],
        ("POST", "/settings/tokens/{token_id}/revoke") => vec![],
        ("POST", "/settings/password") => vec![
            ("current_password", s("not B's password")),
            ("new_password", s("another long password")),
        ],
        ("POST", "/settings/period") => {
            vec![("through", s("2020-01-31")), ("reason", s("B closes"))]
        }
        ("POST", "/settings/stripe") => vec![("clear", s("yes"))],
        ("POST", "/settings/profile") => vec![("name", s("Beta"))],
        // Not multipart: refused before anything is read; B's logo is B's.
        ("POST", "/settings/profile/logo") => vec![],
        ("POST", "/settings/profile/logo/remove") => vec![],
        ("POST", "/settings/templates/{name}") => vec![
            ("subject", s("B's own wording")),
            ("text", s("Dear {{customer_name}}, please pay.")),
        ],
        ("POST", "/settings/templates/{name}/reset") => vec![],
        ("POST", "/portal/{token}/promise") => {
            vec![
                ("promise_date", s("2099-12-01")),
                ("promise_amount", s("1.00")),
            ]
        }
        ("POST", "/portal/{token}/dispute") => {
            vec![
                ("dispute_invoice", invoice),
                ("dispute_reason", s("B's customer")),
            ]
        }
        ("POST", "/portal/{token}/pay") => vec![("invoice", invoice)],
        _ => return None,
    })
}

/// A JSON request to the API with `browser`'s session; the answer's JSON.
fn api(browser: &Browser, csrf: &str, method: &str, path: &str, body: Value) -> Value {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let key = format!(
        "tenancy-{}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let mut headers = vec![("Content-Type", "application/json"), ("x-csrf-token", csrf)];
    // A credit note is entered once per key; a token is never keyed.
    if path.contains("credit-notes") {
        headers.push(("Idempotency-Key", &key));
    }
    let page = browser.send(method, path, Some(body.to_string()), &headers);
    assert!(
        (200..300).contains(&page.status),
        "{method} {path} in the set-up: {} {}",
        page.status,
        page.body
    );
    serde_json::from_str(&page.body).unwrap_or(Value::Null)
}

fn read(browser: &Browser, path: &str) -> Value {
    let page = browser.get(path);
    assert_eq!(page.status, 200, "GET {path}: {}", page.body);
    serde_json::from_str(&page.body).expect("JSON")
}

fn id(value: &Value, field: &str) -> String {
    value[field]
        .as_i64()
        .unwrap_or_else(|| panic!("no {field} in {value}"))
        .to_string()
}

/// A's customer, issued invoice (with a credit note) and draft, entered
/// through the API with A's session: (invoice, draft id, credit note).
fn populate_a(a: &Browser, csrf: &str) -> (String, String, String) {
    let post = |path: &str, body: Value| api(a, csrf, "POST", path, body);
    post(
        "/api/v1/customers",
        json!({"reference": A_CUSTOMER, "name": format!("{SECRET} Holdings"), "email": "ap@alpha.example"}),
    );
    let invoice = post(
        "/api/v1/invoices",
        json!({"customer": A_CUSTOMER, "issue_date": "2026-01-05",
        "description": format!("{SECRET} order"), "lines": [{"description": format!("{SECRET} widgets"), "quantity": "3", "unit_price": "100.00"}], "issue": true}),
    );
    let invoice = invoice["number"].as_str().unwrap().to_string();
    let draft = post(
        "/api/v1/invoices",
        json!({"customer": A_CUSTOMER, "lines": [{"description": format!("{SECRET} draft"), "quantity": "1", "unit_price": "5.00"}]}),
    );
    let credit = post(
        &format!("/api/v1/invoices/{invoice}/credit-notes"),
        json!({"amount": "10.00", "date": "2026-01-20", "reason": format!("{SECRET} discount")}),
    );
    let credit_note = credit["document_number"]
        .as_str()
        .expect("a credit note's number")
        .to_string();
    (invoice, id(&draft, "id"), credit_note)
}

/// Everything A can read, as A sees it.
fn snapshot(a: &Browser, ids: &Ids) -> Vec<(String, String)> {
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
        "/reports/aging.csv".into(),
        // Statement schedules are read on this page only.
        "/recurring".into(),
    ]
    .into_iter()
    .map(|path| {
        let page = a.get(&path);
        assert_eq!(page.status, 200, "A reads {path}: {}", page.body);
        (path, page.body)
    })
    .collect()
}

fn query(fields: &[(&str, String)]) -> String {
    if fields.is_empty() {
        return String::new();
    }
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    format!("?{}", common::form(&pairs))
}

web_test!(
    fn no_web_route_reaches_another_organisation(server: &TestServer) {
        // Every route the router answers is walked or said not to be.
        let routes = router_routes();
        assert!(routes.len() > 60, "only {} routes read", routes.len());

        let a = server.browser();
        let made = a.post_form(
            "/setup",
            &[
                ("organisation", "Alpha"),
                ("currency", "USD"),
                ("timezone", "UTC"),
                ("name", "Alice Alpha"),
                ("email", "alice@alpha.example"),
                ("password", "alpha owner password"),
            ],
        );
        assert_eq!(made.status, 303, "{}", made.body);
        let a_csrf = a.get("/dashboard").csrf();
        let (invoice, draft, credit_note) = populate_a(&a, &a_csrf);
        let post = |path: &str, body: Value| api(&a, &a_csrf, "POST", path, body);
        let put = |path: &str, body: Value| api(&a, &a_csrf, "PUT", path, body);
        let payment = post(
            "/api/v1/payments",
            json!({"customer": A_CUSTOMER, "amount": "50.00", "received_date": "2026-02-01", "reference": format!("{SECRET} BACS"), "allocation": "none"}),
        );
        let task = post(
            "/api/v1/tasks",
            json!({"customer": A_CUSTOMER, "title": format!("{SECRET} call")}),
        );
        let dispute = post(
            "/api/v1/disputes",
            json!({"invoice": invoice, "reason": format!("{SECRET} says short delivery")}),
        );
        post(
            &format!("/api/v1/customers/{A_CUSTOMER}/contacts"),
            json!({"kind": "note", "summary": format!("{SECRET} note")}),
        );
        let person = post(
            &format!("/api/v1/customers/{A_CUSTOMER}/people"),
            json!({"role": "billing", "name": format!("{SECRET} Jane"), "email": "jane@alpha.example"}),
        );
        post("/api/v1/runs", json!({}));
        let sent = post(&format!("/api/v1/invoices/{invoice}/send"), json!({}));
        let user = a.add_member(
            &a_csrf,
            "cole@alpha.example",
            "Cole",
            "collector password",
            "collector",
        );
        let invitation = post(
            "/api/v1/invitations",
            json!({"email": "pending@alpha.example", "role": "viewer"}),
        );
        post("/api/v1/tokens", json!({"name": "alpha"}));
        let tokens = read(&a, "/api/v1/tokens");
        let policy = read(&a, "/api/v1/policy");
        let policy = policy["document"].as_str().expect("the policy's text");
        for grace in ["grace_days = 50", "grace_days = 55", "grace_days = 60"] {
            put(
                "/api/v1/policy",
                json!({"document": policy.replace("grace_days = 45", grace)}),
            );
        }
        let recurring = post(
            "/api/v1/recurring",
            json!({"customer": A_CUSTOMER, "schedule": "monthly:1",
            "description": format!("{SECRET} subscription"), "starts": "2026-01-01",
            "lines": [{"description": format!("{SECRET} hosting"), "quantity": "1", "unit_price": "20.00"}]}),
        );
        put(
            "/api/v1/templates/first_notice",
            json!({"subject": format!("{SECRET} reminder"),
            "text": format!("Dear {{{{customer_name}}}}, {SECRET} asks you to pay.")}),
        );
        put(
            "/api/v1/organisation/profile",
            json!({"seller": {"name": format!("{SECRET} Ltd"),
            "address_lines": ["1 Alpha Road"], "city": "London", "postcode": "N1 1AA", "country_code": "GB"},
            "payment": {"note": format!("{SECRET} bank")}}),
        );
        let csv = format!("date,amount,currency,counterparty_name,remittance\n2026-02-03,12.34,USD,{SECRET} Payer,{SECRET} transfer\n");
        let imported = a.send(
            "POST",
            "/api/v1/bank/statements?file_name=a.csv",
            Some(csv),
            &[("Content-Type", "text/csv"), ("x-csrf-token", &a_csrf)],
        );
        assert_eq!(imported.status, 201, "A's bank import: {}", imported.body);
        let lines = read(&a, "/api/v1/bank/transactions");
        let scheduled = a.post_form(
            "/recurring/statements",
            &[
                ("csrf_token", a_csrf.as_str()),
                ("customer", A_CUSTOMER),
                ("cadence", "monthly"),
                ("every", "1"),
            ],
        );
        assert_eq!(
            scheduled.status, 303,
            "A's statement schedule: {}",
            scheduled.body
        );
        a.get("/recurring")
            .assert_contains(&format!(r#"id="statements-{A_CUSTOMER}""#));

        // B: another organisation in the same database, with its own
        // customer and portal link.
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
        let b = server.browser();
        let signed = b.post_form(
            "/sign-in",
            &[
                ("email", "owner@beta.example"),
                ("password", "beta owner password"),
            ],
        );
        assert_eq!(signed.status, 303, "{}", signed.body);
        let b_csrf = b.get("/dashboard").csrf();
        api(
            &b,
            &b_csrf,
            "POST",
            "/api/v1/customers",
            json!({"reference": "BETA-1", "name": "Beta's customer", "email": "ap@beta.example"}),
        );
        let link = b.post_form(
            "/customers/BETA-1/portal-link",
            &[("csrf_token", b_csrf.as_str())],
        );
        assert_eq!(link.status, 200, "{}", link.body);
        let at = link.body.find("/portal/").expect("B's portal address") + "/portal/".len();
        let end = link.body[at..].find('"').unwrap();
        let b_portal = link.body[at..at + end].to_string();

        let ids = Ids {
            invoice,
            draft,
            credit_note,
            payment_id: id(&payment, "payment_id"),
            task_id: id(&task, "id"),
            dispute_id: id(&dispute, "id"),
            user_id: id(&user["user"], "id"),
            invitation_id: id(&invitation["invitation"], "id"),
            token_id: id(&tokens[0], "id"),
            recurring_id: id(&recurring, "id"),
            person_id: id(&person, "id"),
            bank_line_id: id(&lines["items"][0], "id"),
            message_id: id(&sent, "message_id"),
            b_portal,
        };
        let before = snapshot(&a, &ids);

        let skipped: BTreeSet<(String, String)> = NOT_WALKED
            .iter()
            .map(|(m, p, _)| (m.to_string(), p.to_string()))
            .collect();
        let mut walked = 0;
        for (method, path) in &routes {
            if skipped.contains(&(method.clone(), path.clone())) {
                continue;
            }
            let fields = walk_for(method, path, &ids).unwrap_or_else(|| {
                panic!("the web tenancy walk has no entry for {method} {path}; add one to walk_for (or to NOT_WALKED, with why)")
            });
            let mut urls = vec![String::new()];
            let mut aims_at_a = false;
            let mut rest = path.as_str();
            while let Some(open) = rest.find('{') {
                let close = open + rest[open..].find('}').unwrap();
                let name = &rest[open + 1..close];
                let before = &rest[..open];
                urls = urls
                    .iter()
                    .flat_map(|url| {
                        ids.params(name, path)
                            .into_iter()
                            .map(move |value| format!("{url}{before}{value}"))
                    })
                    .collect();
                aims_at_a |= !["name", "file", "token", "action", "step"].contains(&name);
                rest = &rest[close + 1..];
            }
            for url in urls {
                let url = format!("{url}{rest}");
                let sends_a = fields.iter().any(|(k, v)| {
                    *k != "reference" && (v == A_CUSTOMER || v.contains(&ids.invoice))
                });
                let reply: Page = if method == "GET" {
                    b.get(&format!("{url}{}", query(&fields)))
                } else {
                    let mut form: Vec<(&str, &str)> = vec![("csrf_token", b_csrf.as_str())];
                    form.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
                    b.post_form(&url, &form)
                };
                walked += 1;
                let text: String = reply.body.chars().take(600).collect();
                assert!(
                    reply.status < 500 && reply.status != 405,
                    "{method} {url}: {} {text}",
                    reply.status
                );
                assert!(
                    !reply.body.contains(SECRET),
                    "{method} {url} showed B A's data: {text}"
                );
                assert!(
                    reply.location.as_deref() != Some("/sign-in"),
                    "{method} {url} signed B out"
                );
                if aims_at_a {
                    assert_eq!(
                        reply.status, 404,
                        "{method} {url} aimed at A's data answered B {}: {text}",
                        reply.status
                    );
                }
                // A list filtered by A's customer may answer: it shows none of A's rows.
                if sends_a && method == "POST" {
                    assert!(
                        (400..500).contains(&reply.status),
                        "{method} {url} aimed at A's data answered B {}: {text}",
                        reply.status
                    );
                }
            }
        }
        // Each walk entry and each route not walked names a route there is.
        for (method, path, _) in NOT_WALKED {
            assert!(
                routes.contains(&(method.to_string(), path.to_string())),
                "NOT_WALKED names {method} {path}, which the router no longer has"
            );
        }
        assert!(walked > 60, "only {walked} routes walked");

        let after = snapshot(&a, &ids);
        for ((path, was), (_, is)) in before.iter().zip(after.iter()) {
            assert_eq!(was, is, "A's {path} changed while B walked the web");
        }
    }
);
