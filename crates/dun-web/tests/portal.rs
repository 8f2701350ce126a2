//! The customer portal over real HTTP, on SQLite and PostgreSQL: a link
//! made on the customer's page opens that customer's invoices and
//! statement with exact amounts, the PDFs, the payment instructions; a
//! promise and a dispute land on the staff timeline; an expired link, an
//! altered one and one of another organisation get a plain page with the
//! right status; nothing of any other customer shows or downloads.

mod common;

use common::{Browser, Page, TestServer};
use dun_core::import::CustomerRow;
use dun_core::reference::CreditorReference;
use dun_core::{Currency, Date};
use dun_store::orgs::NewOrg;
use dun_store::Store;
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

/// One scenario on both engines, with the database's URL (to sign links
/// the way no page does: expired, or of another organisation).
macro_rules! portal_test {
    (fn $name:ident($server:ident, $url:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn run($url: &str) {
                let server = TestServer::start($url);
                let $server = &server;
                $body
            }

            #[test]
            fn sqlite() {
                crate::common::store::on_sqlite(stringify!($name), run);
            }

            #[test]
            fn postgres() {
                crate::common::store::on_postgres(stringify!($name), run);
            }
        }
    };
}

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

fn ok(page: Page, what: &str) -> serde_json::Value {
    assert!(
        page.status == 200 || page.status == 201,
        "{what}: {} {}",
        page.status,
        page.body
    );
    serde_json::from_str(&page.body).unwrap_or(serde_json::Value::Null)
}

/// The token of the link the customer page's "Portal link" button shows.
fn portal_token(browser: &Browser, csrf: &str, reference: &str) -> String {
    let page = browser.post_form(
        &format!("/customers/{reference}/portal-link"),
        &[("csrf_token", csrf)],
    );
    assert_eq!(page.status, 200, "{}", page.body);
    let at = page
        .body
        .find(r#"id="portal-link""#)
        .expect("the link's field");
    let rest = &page.body[at..];
    let marker = "/portal/";
    let start = rest.find(marker).expect("a portal address") + marker.len();
    let end = rest[start..].find('"').expect("the value's end");
    rest[start..start + end].to_string()
}

/// A GET's status, content type and bytes (the page helper reads text).
fn get_bytes(server: &TestServer, path: &str) -> (u16, String, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut response = agent
        .get(format!("{}{path}", server.base))
        .call()
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = response.body_mut().read_to_vec().expect("the body");
    (response.status().as_u16(), kind, bytes)
}

fn private(page: &Page) {
    assert_eq!(
        page.header("cache-control"),
        Some("no-store"),
        "{:?}",
        page.headers
    );
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert!(page
        .header("x-robots-tag")
        .is_some_and(|v| v.contains("noindex")));
}

/// The book: BOLT owes 627.00 less a payment of 100.00; ZED owes 99.00.
/// Answers (BOLT's invoice, ZED's invoice).
fn book(browser: &Browser, csrf: &str) -> (String, String) {
    ok(
        browser.send(
            "PUT",
            "/api/v1/organisation/profile",
            Some(
                json!({"seller": {"name": "Acme Tools", "email": "ar@acme.example", "phone": "+1 555 0199",
                                  "address_lines": ["1 Forge Lane"], "city": "Springfield", "country_code": "US"},
                       "payment": {"iban": "GB82WEST12345698765432", "bic": "NWBKGB2L",
                                   "account_name": "Acme Tools Ltd", "note": "Quote the invoice number"}})
                .to_string(),
            ),
            &[("Content-Type", "application/json"), ("x-csrf-token", csrf)],
        ),
        "the profile",
    );
    for (reference, name) in [("BOLT", "Bolt & Nut Supplies"), ("ZED", "Zed Hardware")] {
        ok(
            browser.post_json(
                "/api/v1/customers",
                csrf,
                json!({"reference": reference, "name": name}),
            ),
            "a customer",
        );
    }
    let bolt = ok(
        browser.post_json(
            "/api/v1/invoices",
            csrf,
            json!({"customer": "BOLT", "issue_date": "2026-01-05", "terms": "net30",
                   "lines": [
                       {"description": "Hex bolts M8 (box of 100)", "quantity": "12", "unit_price": "42.50", "tax_rate": "20"},
                       {"description": "Delivery", "quantity": "1", "unit_price": "15.00"}],
                   "issue": true}),
        ),
        "BOLT's invoice",
    )["number"]
        .as_str()
        .unwrap()
        .to_string();
    let zed = ok(
        browser.post_json(
            "/api/v1/invoices",
            csrf,
            json!({"customer": "ZED", "issue_date": "2026-02-10", "terms": "net30",
                   "lines": [{"description": "Secret widget", "quantity": "1", "unit_price": "99.00"}],
                   "issue": true}),
        ),
        "ZED's invoice",
    )["number"]
        .as_str()
        .unwrap()
        .to_string();
    ok(
        browser.post_json(
            "/api/v1/payments",
            csrf,
            json!({"customer": "BOLT", "received_date": "2026-02-01", "amount": "100.00", "reference": "BOLT-PAY-1"}),
        ),
        "BOLT's payment",
    );
    (bolt, zed)
}

portal_test!(
    fn a_link_opens_only_its_customers_account(server, url) {
        let (browser, csrf) = owner(server);
        let (bolt, zed) = book(&browser, &csrf);
        let token = portal_token(&browser, &csrf, "BOLT");
        let zed_token = portal_token(&browser, &csrf, "ZED");

        // The customer has no session: the link alone opens the portal.
        let customer = server.browser();
        let portal = customer.get(&format!("/portal/{token}"));
        assert_eq!(portal.status, 200, "{}", portal.body);
        private(&portal);
        portal.assert_contains("Bolt &amp; Nut Supplies");
        portal.assert_contains("Acme Tools");
        portal.assert_contains("ar@acme.example");
        portal.assert_contains("1 Forge Lane, Springfield, US");
        portal.assert_contains(&format!(r#"data-invoice="{bolt}""#));
        portal.assert_contains("2026-01-05");
        portal.assert_contains("2026-02-04");
        portal.assert_contains("USD 627.00");
        portal.assert_contains("USD 527.00");
        // The statement: dated lines with the running balance.
        portal.assert_contains("Opening balance");
        portal.assert_contains("BOLT-PAY-1");
        portal.assert_contains("USD -100.00");
        portal.assert_contains(r#"data-closing="USD">USD 527.00<"#);
        // The headline: what is owed, the statement's closing balance.
        portal.assert_contains(r#"data-owed="USD">You owe <strong>USD 527.00</strong>"#);
        // How to pay, and what to quote.
        portal.assert_contains("GB82WEST12345698765432");
        portal.assert_contains("NWBKGB2L");
        portal.assert_contains("Acme Tools Ltd");
        // One invoice open: its own payment reference is the one to quote.
        let bolt_ref = {
            let mut store = Store::open(url).expect("the store");
            let org = store.orgs().unwrap().into_iter().next().unwrap();
            let today = dun_server::wire::today_in("UTC").unwrap();
            CreditorReference::for_invoice(store.invoice(org.id, &bolt, today).unwrap().id)
        };
        portal.assert_contains(&format!(r#"id="payment-reference">{}<"#, bolt_ref.grouped()));
        // The forms, as the journeys find them.
        for id in ["promise_date", "promise_amount", "dispute_invoice", "dispute_reason"] {
            portal.assert_contains(&format!("id=\"{id}\""));
        }
        portal.assert_contains("Promise this payment");
        portal.assert_contains("Raise a dispute");
        // Nothing of anyone else, and no staff navigation.
        for other in [zed.as_str(), "Zed Hardware", "Secret widget", "USD 99.00", "olive@acme.example", "/dashboard"] {
            assert!(!portal.body.contains(other), "the portal shows {other:?}:\n{}", portal.body);
        }
        let zed_portal = customer.get(&format!("/portal/{zed_token}"));
        assert_eq!(zed_portal.status, 200);
        zed_portal.assert_contains("Zed Hardware");
        zed_portal.assert_contains("USD 99.00");
        assert!(!zed_portal.body.contains(&bolt));
        assert!(!zed_portal.body.contains("Bolt"));

        // The PDFs download; another customer's invoice does not.
        let (status, kind, bytes) = get_bytes(server, &format!("/portal/{token}/invoices/{bolt}/pdf"));
        assert_eq!(status, 200);
        assert_eq!(kind, "application/pdf");
        assert!(bytes.starts_with(b"%PDF"), "an invoice PDF");
        let (status, kind, bytes) = get_bytes(server, &format!("/portal/{token}/statement.pdf"));
        assert_eq!(status, 200);
        assert_eq!(kind, "application/pdf");
        assert!(bytes.starts_with(b"%PDF"), "a statement PDF");
        let stolen = customer.get(&format!("/portal/{token}/invoices/{zed}/pdf"));
        assert_eq!(stolen.status, 404, "{}", stolen.body);
        assert!(!stolen.body.contains("Zed"), "{}", stolen.body);
        private(&stolen);
        assert_eq!(customer.get(&format!("/portal/{token}/invoices/%231/pdf")).status, 404, "no drafts by id");
        assert_eq!(customer.get(&format!("/portal/{token}/invoices/NOPE-1/pdf")).status, 404);

        // Links that open nothing: altered, cut, of another organisation, expired.
        let mut store = Store::open(url).expect("the store");
        let org = store.orgs().unwrap().into_iter().next().expect("the organisation");
        let bolt_id = store.customer(org.id, "BOLT").unwrap().id;
        let zed_id = store.customer(org.id, "ZED").unwrap().id;
        let last = token.chars().last().unwrap();
        let flipped = format!("{}{}", &token[..token.len() - 1], if last == '0' { '1' } else { '0' });
        let other_customer = token.replacen(&format!(".{bolt_id}."), &format!(".{zed_id}."), 1);
        assert_ne!(other_customer, token);
        let other = store
            .create_org(&NewOrg {
                name: "Other Co".into(),
                currency: Currency::parse("USD").unwrap(),
                timezone: "UTC".into(),
                invoice_prefix: "OT-".into(),
            })
            .unwrap();
        let theirs = store
            .add_customer(
                other.id,
                &CustomerRow {
                    row: 1,
                    reference: "THEIRS".into(),
                    name: "Their Customer".into(),
                    email: None,
                    phone: None,
                    credit_limit_minor: None,
                    terms: None,
                    notes: None,
                    payment_methods: None,
                },
                None,
            )
            .unwrap();
        let their_token = store.portal_token(other.id, theirs.id, Date::parse("2099-01-01").unwrap()).unwrap();
        let (_, rest) = token.split_once('.').unwrap();
        let moved = format!("{}.{rest}", other.id);
        let their_sig = their_token.rsplit_once('.').unwrap().1;
        let (payload, _) = token.rsplit_once('.').unwrap();
        let resigned = format!("{payload}.{their_sig}");
        for bad in [flipped.as_str(), other_customer.as_str(), moved.as_str(), resigned.as_str(), "not-a-token", &token[..token.len() - 4]] {
            let page = customer.get(&format!("/portal/{bad}"));
            assert_eq!(page.status, 403, "{bad}: {}", page.body);
            page.assert_contains("This link is not valid");
            private(&page);
            for secret in ["Bolt", "Zed", "Their", &bolt, "627.00", "Other Co"] {
                assert!(!page.body.contains(secret), "{bad} reveals {secret}:\n{}", page.body);
            }
            assert_eq!(get_bytes(server, &format!("/portal/{bad}/statement.pdf")).0, 403);
        }
        // Their own genuine link opens their customer, not ours.
        let theirs_page = customer.get(&format!("/portal/{their_token}"));
        assert_eq!(theirs_page.status, 200, "{}", theirs_page.body);
        theirs_page.assert_contains("Their Customer");
        assert!(!theirs_page.body.contains("Bolt"));
        assert!(!theirs_page.body.contains("Acme"));

        let today = dun_server::wire::today_in("UTC").unwrap();
        let expired = store.portal_token(org.id, bolt_id, today.add_days(-1)).unwrap();
        let page = customer.get(&format!("/portal/{expired}"));
        assert_eq!(page.status, 410, "{}", page.body);
        page.assert_contains("This link has expired — ask Acme Tools for a new one");
        assert!(!page.body.contains("627.00"));
        assert!(!page.body.contains(&bolt));
        assert_eq!(get_bytes(server, &format!("/portal/{expired}/invoices/{bolt}/pdf")).0, 410);
        let posted = customer.post_form(&format!("/portal/{expired}/promise"), &[("promise_date", "2099-01-01"), ("promise_amount", "1.00")]);
        assert_eq!(posted.status, 410);
    }
);

portal_test!(
    fn a_reason_is_counted_in_characters(server, url) {
        let _ = url;
        let (browser, csrf) = owner(server);
        let (bolt, zed) = book(&browser, &csrf);
        let token = portal_token(&browser, &csrf, "BOLT");
        let customer = server.browser();
        let base = format!("/portal/{token}");
        // The form says the limit, and the browser counts it as the book does.
        let page = customer.get(&base);
        page.assert_contains(r#"maxlength="1000""#);
        page.assert_contains("At most 1000 characters.");

        // Greek: two bytes a letter. 1001 letters are refused in the
        // debtor's words, nothing written; 1000 (2000 bytes) are accepted.
        let over = "λ".repeat(1001);
        let refused = customer.post_form(&format!("{base}/dispute"), &[("dispute_invoice", &bolt), ("dispute_reason", &over)]);
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains("Your reason: at most 1000 characters (1001 given).");
        refused.assert_contains(&over);
        assert!(!refused.body.contains("bytes"), "{}", refused.body);
        let at_limit = "λ".repeat(1000);
        let disputed = customer.post_form(&format!("{base}/dispute"), &[("dispute_invoice", &bolt), ("dispute_reason", &at_limit)]);
        assert_eq!(disputed.status, 303, "{}", disputed.body);

        // The API: the same limit, refused as the field `reason`.
        let over_api = browser.post_json("/api/v1/disputes", &csrf, json!({"invoice": zed, "reason": over}));
        assert_eq!(over_api.status, 422, "{}", over_api.body);
        let problem: serde_json::Value = serde_json::from_str(&over_api.body).unwrap();
        assert_eq!(problem["field"], json!("reason"), "{problem}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("at most 1000 characters (1001 given)"), "{detail}");
        let credit_over = browser.post_json(&format!("/api/v1/invoices/{zed}/credit-notes"), &csrf, json!({"amount": "1.00", "reason": "ω".repeat(1001)}));
        assert_eq!(credit_over.status, 422, "{}", credit_over.body);
        let problem: serde_json::Value = serde_json::from_str(&credit_over.body).unwrap();
        assert_eq!(problem["field"], json!("reason"), "{problem}");
        ok(browser.post_json(&format!("/api/v1/invoices/{zed}/credit-notes"), &csrf, json!({"amount": "1.00", "reason": "ω".repeat(1000)})), "a credit note with a 1000-character reason");
        ok(browser.post_json("/api/v1/disputes", &csrf, json!({"invoice": zed, "reason": at_limit})), "a dispute with a 1000-character reason");
        let disputes = ok(browser.get("/api/v1/disputes"), "the disputes");
        let reasons: Vec<&str> = disputes.as_array().unwrap().iter().filter_map(|d| d["reason"].as_str()).collect();
        assert_eq!(reasons.len(), 2, "{disputes}");
        assert!(reasons.iter().all(|r| *r == at_limit), "{disputes}");
    }
);

portal_test!(
    fn a_promise_and_a_dispute_reach_the_staff(server, url) {
        let _ = url;
        let (browser, csrf) = owner(server);
        let (bolt, zed) = book(&browser, &csrf);
        let token = portal_token(&browser, &csrf, "BOLT");
        let customer = server.browser();
        let base = format!("/portal/{token}");

        // A refused promise keeps what was typed.
        let refused = customer.post_form(&format!("{base}/promise"), &[("promise_date", "2099-01-10"), ("promise_amount", "lots")]);
        assert_eq!(refused.status, 422, "{}", refused.body);
        private(&refused);
        refused.assert_contains(r#"role="alert""#);
        refused.assert_contains(r#"value="lots""#);
        refused.assert_contains(r#"value="2099-01-10""#);
        let past = customer.post_form(&format!("{base}/promise"), &[("promise_date", "2001-01-10"), ("promise_amount", "10.00")]);
        assert_eq!(past.status, 422, "{}", past.body);

        let promised = customer.post_form(&format!("{base}/promise"), &[("promise_date", "2099-01-10"), ("promise_amount", "250.00")]);
        assert_eq!(promised.status, 303, "{}", promised.body);
        assert_eq!(promised.location.as_deref(), Some(format!("{base}?done=promise#promise").as_str()));
        customer.get(&format!("{base}?done=promise")).assert_contains("Thank you");

        // A reason longer than the book keeps is refused in the debtor's
        // words, with what they typed kept, before anything is written.
        let long = "x".repeat(1_500);
        let too_long = customer.post_form(&format!("{base}/dispute"), &[("dispute_invoice", &bolt), ("dispute_reason", &long)]);
        assert_eq!(too_long.status, 422, "{}", too_long.body);
        too_long.assert_contains("Your reason: at most 1000 characters (1500 given).");
        assert!(!too_long.body.contains("bytes"), "{}", too_long.body);
        // A dispute on another customer's invoice is refused; on one's own, recorded.
        let theirs = customer.post_form(&format!("{base}/dispute"), &[("dispute_invoice", &zed), ("dispute_reason", "not ours")]);
        assert_eq!(theirs.status, 422, "{}", theirs.body);
        theirs.assert_contains("not one of your open invoices");
        theirs.assert_contains("not ours");
        let disputed = customer.post_form(&format!("{base}/dispute"), &[("dispute_invoice", &bolt), ("dispute_reason", "Two boxes arrived damaged")]);
        assert_eq!(disputed.status, 303, "{}", disputed.body);
        assert_eq!(disputed.location.as_deref(), Some(format!("{base}?done=dispute#dispute").as_str()));
        customer.get(&format!("{base}?done=dispute")).assert_contains("your dispute is recorded");
        let twice = customer.post_form(&format!("{base}/dispute"), &[("dispute_invoice", &bolt), ("dispute_reason", "again")]);
        assert_eq!(twice.status, 422, "{}", twice.body);
        twice.assert_contains("already in dispute");

        // Posts from another site are refused and write nothing.
        for header in [("Sec-Fetch-Site", "cross-site"), ("Origin", "https://evil.example")] {
            let forged = customer.send(
                "POST",
                &format!("{base}/promise"),
                Some("promise_date=2099-02-02&promise_amount=1.00".into()),
                &[("Content-Type", "application/x-www-form-urlencoded"), header],
            );
            assert_eq!(forged.status, 403, "{header:?}: {}", forged.body);
        }
        let same = customer.send(
            "POST",
            &format!("{base}/promise"),
            Some("promise_date=2099-03-03&promise_amount=5.00".into()),
            &[("Content-Type", "application/x-www-form-urlencoded"), ("Sec-Fetch-Site", "same-origin"), ("Origin", &server.base)],
        );
        assert_eq!(same.status, 303, "{}", same.body);
        // Chromium sends Origin: null beside Sec-Fetch-Site on a page with
        // Referrer-Policy: no-referrer (the portal's); that is the same site.
        let from_chromium = customer.send(
            "POST",
            &format!("{base}/promise"),
            Some("promise_date=2099-04-04&promise_amount=6.00".into()),
            &[("Content-Type", "application/x-www-form-urlencoded"), ("Sec-Fetch-Site", "same-origin"), ("Origin", "null")],
        );
        assert_eq!(from_chromium.status, 303, "{}", from_chromium.body);
        // Without Sec-Fetch-Site, an Origin of "null" says nothing: refused.
        let unknown = customer.send(
            "POST",
            &format!("{base}/promise"),
            Some("promise_date=2099-05-05&promise_amount=7.00".into()),
            &[("Content-Type", "application/x-www-form-urlencoded"), ("Origin", "null")],
        );
        assert_eq!(unknown.status, 403, "{}", unknown.body);

        // The staff see both on the timeline, by the portal, and the open dispute.
        let page = browser.get("/customers/BOLT");
        page.assert_contains("Promised 250.00 USD by 2099-01-10");
        page.assert_contains("customer via portal");
        page.assert_contains(&format!("Disputed {bolt}: Two boxes arrived damaged"));
        page.assert_contains(&format!("{bolt}: Two boxes arrived damaged (since"));
        assert!(!page.body.contains("2099-02-02"), "the cross-site promise was not written");
        assert!(page.body.contains("2099-04-04"), "Chromium's same-site promise was written");
        assert!(!page.body.contains("2099-05-05"), "the promise of unknown origin was not written");
        let zed_page = browser.get("/customers/ZED");
        assert!(!zed_page.body.contains("not ours"));
        assert!(!zed_page.body.contains("customer via portal"));
    }
);

portal_test!(
    fn a_withdrawn_link_is_refused_and_the_next_one_works(server, url) {
        let (browser, csrf) = owner(server);
        book(&browser, &csrf);
        // Made over the API, as an integration sending its own e-mail would.
        let made = ok(
            browser.post_json("/api/v1/customers/BOLT/portal-links", &csrf, json!({})),
            "a link over the API",
        );
        let link = made["url"].as_str().expect("the url").to_string();
        let path = &link[link.find("/portal/").expect("a portal address")..];
        let from_page = portal_token(&browser, &csrf, "BOLT");
        let zed = portal_token(&browser, &csrf, "ZED");
        let customer = server.browser();
        assert_eq!(customer.get(path).status, 200);

        // Withdrawn from the customer page: both links now say so.
        let done = browser.post_form("/customers/BOLT/portal-withdraw", &[("csrf_token", &csrf)]);
        assert!(done.status == 303 || done.status == 200, "{}", done.body);
        for gone in [path.to_string(), format!("/portal/{from_page}")] {
            let page = customer.get(&gone);
            assert_eq!(page.status, 410, "{gone}: {}", page.body);
            page.assert_contains("This link was withdrawn");
            page.assert_contains("Acme Tools");
            assert!(!page.body.contains("Bolt"), "{}", page.body);
        }
        // Another customer's link is untouched; a new link works.
        assert_eq!(customer.get(&format!("/portal/{zed}")).status, 200);
        let fresh = portal_token(&browser, &csrf, "BOLT");
        assert_eq!(customer.get(&format!("/portal/{fresh}")).status, 200);

        // Over the API too; the timeline shows both withdrawals.
        let again = ok(
            browser.post_json("/api/v1/customers/BOLT/portal-links/withdraw", &csrf, json!({})),
            "withdraw over the API",
        );
        assert_eq!(again["withdrawals"], 2);
        assert_eq!(customer.get(&format!("/portal/{fresh}")).status, 410);
        let page = browser.get("/customers/BOLT");
        assert_eq!(
            page.body.matches("portal links; the next link sent works").count(),
            2,
            "{}",
            page.body
        );
        // An unknown customer is a problem, not a withdrawal.
        let missing = browser.post_json(
            "/api/v1/customers/NOBODY/portal-links/withdraw",
            &csrf,
            json!({}),
        );
        assert_eq!(missing.status, 404, "{}", missing.body);
        let _ = url;
    }
);

/// Without a public address no link is made for a customer (it would point
/// at this machine) and the outbox page says why nothing is e-mailed.
mod without_a_public_url_no_customer_link_is_made {
    use super::*;

    fn run(url: &str) {
        let server = TestServer::start_with(url, |config| config.public_url = None);
        let (browser, csrf) = owner(&server);
        book(&browser, &csrf);
        let refused = browser.post_json("/api/v1/customers/BOLT/portal-links", &csrf, json!({}));
        assert_eq!(refused.status, 409, "{}", refused.body);
        assert!(refused.body.contains("DUN_PUBLIC_URL"), "{}", refused.body);
        let page = browser.post_form("/customers/BOLT/portal-link", &[("csrf_token", &csrf)]);
        assert!(page.body.contains("DUN_PUBLIC_URL"), "{}", page.body);
        assert!(!page.body.contains("/portal/"), "{}", page.body);
        let outbox = browser.get("/outbox");
        assert_eq!(outbox.status, 200);
        outbox.assert_contains("No public address is set, so messages stay here");
        // Forms still work: the same-site check knows where the server is.
        assert_eq!(browser.get("/customers/BOLT").status, 200);
    }

    #[test]
    fn sqlite() {
        crate::common::store::on_sqlite("without_a_public_url_no_customer_link_is_made", run);
    }

    #[test]
    fn postgres() {
        crate::common::store::on_postgres("without_a_public_url_no_customer_link_is_made", run);
    }
}

/// An owner of a new organisation keeping its books in `currency`.
fn owner_in(server: &TestServer, currency: &str) -> (Browser, String) {
    let browser = server.browser();
    let made = browser.post_form(
        "/setup",
        &[
            ("organisation", "Acme Werkzeuge"),
            ("currency", currency),
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

/// The value of attribute `name` on the first element that has it.
fn attribute<'a>(body: &'a str, name: &str) -> &'a str {
    let marker = format!("{name}=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in:\n{body}"))
        + marker.len();
    let end = body[start..].find('"').expect("the attribute's end");
    &body[start..start + end]
}

/// Reads the inline SVG's QR code back: its path of module runs
/// (`M{x} {y}h{n}v1h-{n}z`) drawn eight pixels a module, then decoded by
/// `rqrr`, as a phone would.
fn decode_svg_qr(body: &str) -> String {
    let svg = &body[body.find("<svg").expect("an inline SVG")..];
    let side: usize = attribute(svg, "viewBox")
        .split(' ')
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    let d = attribute(&svg[svg.find("<path").unwrap()..], " d");
    let mut dark = vec![false; side * side];
    for run in d.split('z').filter(|r| !r.is_empty()) {
        let rest = run.strip_prefix('M').expect("a move");
        let (x, rest) = rest.split_once(' ').unwrap();
        let (y, rest) = rest.split_once('h').unwrap();
        let (n, _) = rest.split_once('v').unwrap();
        let (x, y, n): (usize, usize, usize) =
            (x.parse().unwrap(), y.parse().unwrap(), n.parse().unwrap());
        for i in x..x + n {
            dark[y * side + i] = true;
        }
    }
    const SCALE: usize = 8;
    let px = side * SCALE;
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(px, px, |x, y| {
        if dark[(y / SCALE) * side + x / SCALE] {
            0
        } else {
            255
        }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the SVG");
    grids[0].decode().expect("the code decodes").1
}

portal_test!(
    fn an_invoice_page_shows_its_payment_reference_and_the_epc_code_in_euro(server, url) {
        let (browser, csrf) = owner_in(server, "EUR");
        ok(
            browser.send(
                "PUT",
                "/api/v1/organisation/profile",
                Some(
                    json!({"seller": {"name": "Acme Werkzeuge", "country_code": "DE"},
                           "payment": {"iban": "DE89 3704 0044 0532 0130 00",
                                       "account_name": "Acme Werkzeuge GmbH", "note": "Danke!"}})
                    .to_string(),
                ),
                &[("Content-Type", "application/json"), ("x-csrf-token", &csrf)],
            ),
            "the profile",
        );
        for (reference, name) in [("BOLT", "Bolt & Nut Supplies"), ("ZED", "Zed Hardware")] {
            ok(
                browser.post_json("/api/v1/customers", &csrf, json!({"reference": reference, "name": name})),
                "a customer",
            );
        }
        let issue = |customer: &str, currency: &str, price: &str| {
            ok(
                browser.post_json(
                    "/api/v1/invoices",
                    &csrf,
                    json!({"customer": customer, "issue_date": "2026-01-05", "terms": "net30", "currency": currency,
                           "lines": [{"description": "Hex bolts", "quantity": "1", "unit_price": price}],
                           "issue": true}),
                ),
                "an invoice",
            )["number"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let euro = issue("BOLT", "EUR", "627.00");
        let dollars = issue("BOLT", "USD", "50.00");
        let zed = issue("ZED", "EUR", "99.00");
        ok(
            browser.post_json(
                "/api/v1/payments",
                &csrf,
                json!({"customer": "BOLT", "received_date": "2026-02-01", "amount": "100.00", "currency": "EUR",
                       "reference": "BOLT-PAY-1"}),
            ),
            "BOLT's payment",
        );
        let mut store = Store::open(url).expect("the store");
        let org = store.orgs().unwrap().into_iter().next().expect("the organisation");
        let today = dun_server::wire::today_in("UTC").unwrap();
        let id = |store: &mut Store, number: &str| store.invoice(org.id, number, today).unwrap().id;
        let euro_ref = CreditorReference::for_invoice(id(&mut store, &euro));
        let dollar_ref = CreditorReference::for_invoice(id(&mut store, &dollars));
        let token = portal_token(&browser, &csrf, "BOLT");
        let customer = server.browser();

        // The account page: each invoice's reference beside it, and
        // the customer's for everything open.
        let portal = customer.get(&format!("/portal/{token}"));
        assert_eq!(portal.status, 200, "{}", portal.body);
        portal.assert_contains(&euro_ref.grouped());
        portal.assert_contains(&dollar_ref.grouped());
        let bolt_id = store.customer(org.id, "BOLT").unwrap().id;
        portal.assert_contains(&CreditorReference::for_customer(bolt_id).grouped());
        portal.assert_contains(&format!("/portal/{token}/invoices/{euro}\""));

        // The euro invoice's page: its reference, and the EPC QR code for
        // what is open, drawn inline and same-origin.
        let page = customer.get(&format!("/portal/{token}/invoices/{euro}"));
        assert_eq!(page.status, 200, "{}", page.body);
        private(&page);
        page.assert_contains("Payment reference");
        page.assert_contains(&euro_ref.grouped());
        page.assert_contains("EUR 527.00");
        let expected = format!(
            "BCD\n002\n1\nSCT\n\nAcme Werkzeuge GmbH\nDE89370400440532013000\nEUR527.00\n\n{}",
            euro_ref.as_str()
        );
        assert_eq!(attribute(&page.body, "data-epc-payload"), expected);
        assert_eq!(decode_svg_qr(&page.body), expected);
        // Nothing the page's policy would block: no style attribute, no
        // script, nothing fetched from elsewhere.
        let csp = page.header("content-security-policy").expect("a CSP");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let svg = &page.body[page.body.find("<svg").unwrap()..page.body.find("</svg>").unwrap()];
        for banned in ["style=", "<script", "href=", "<image"] {
            assert!(!svg.contains(banned), "{banned} in {svg}");
        }

        // A dollar invoice: its reference, no code.
        let page = customer.get(&format!("/portal/{token}/invoices/{dollars}"));
        assert_eq!(page.status, 200, "{}", page.body);
        page.assert_contains(&dollar_ref.grouped());
        assert!(!page.body.contains("<svg"), "{}", page.body);

        // Another customer's invoice, or a draft by id: not found.
        let stolen = customer.get(&format!("/portal/{token}/invoices/{zed}"));
        assert_eq!(stolen.status, 404, "{}", stolen.body);
        assert!(!stolen.body.contains("Zed"), "{}", stolen.body);
        assert_eq!(customer.get(&format!("/portal/{token}/invoices/%231")).status, 404);
    }
);

portal_test!(
    fn no_epc_code_without_an_iban(server, url) {
        let (browser, csrf) = owner_in(server, "EUR");
        ok(
            browser.send(
                "PUT",
                "/api/v1/organisation/profile",
                Some(json!({"seller": {"name": "Acme Werkzeuge"}, "payment": {"note": "Pay by cheque"}}).to_string()),
                &[("Content-Type", "application/json"), ("x-csrf-token", &csrf)],
            ),
            "the profile",
        );
        ok(browser.post_json("/api/v1/customers", &csrf, json!({"reference": "BOLT", "name": "Bolt"})), "a customer");
        let number = ok(
            browser.post_json(
                "/api/v1/invoices",
                &csrf,
                json!({"customer": "BOLT", "issue_date": "2026-01-05", "terms": "net30",
                       "lines": [{"description": "Bolts", "quantity": "1", "unit_price": "10.00"}], "issue": true}),
            ),
            "an invoice",
        )["number"]
            .as_str()
            .unwrap()
            .to_string();
        let mut store = Store::open(url).expect("the store");
        let org = store.orgs().unwrap().into_iter().next().unwrap();
        let today = dun_server::wire::today_in("UTC").unwrap();
        let reference = CreditorReference::for_invoice(store.invoice(org.id, &number, today).unwrap().id);
        let token = portal_token(&browser, &csrf, "BOLT");
        let page = server.browser().get(&format!("/portal/{token}/invoices/{number}"));
        assert_eq!(page.status, 200, "{}", page.body);
        page.assert_contains(&reference.grouped());
        page.assert_contains("Pay by cheque");
        assert!(!page.body.contains("<svg"), "{}", page.body);
    }
);
