//! A customer's contacts, accepted payment methods and notes from their
//! page, over real HTTP on SQLite and PostgreSQL: added and removed
//! through the forms, on the timeline, shown on the page; the portal shows
//! the accepted methods and offers no card payment to a customer who does
//! not pay by card.

mod common;

use common::Browser;
use dun_store::Store;
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

fn owner(server: &common::TestServer) -> (Browser, String) {
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
    let start = rest.find("/portal/").expect("a portal address") + "/portal/".len();
    let end = rest[start..].find('"').expect("the value's end");
    rest[start..start + end].to_string()
}

web_test!(
    fn contacts_methods_and_notes_are_edited_from_the_customer_page(server: &TestServer) {
        let (browser, csrf) = owner(server);
        for reference in ["BOLT", "ZED"] {
            let made = browser.post_json(
                "/api/v1/customers",
                &csrf,
                json!({"reference": reference, "name": format!("{reference} Ltd"), "email": format!("office@{}.example", reference.to_lowercase()), "terms": "net30"}),
            );
            assert_eq!(made.status, 201, "{}", made.body);
        }
        let page = browser.get("/customers/BOLT");
        page.assert_contains(r#"action="/customers/BOLT/people""#);
        page.assert_contains("Pays by any");

        // A contact without an address or phone: the form again, with what was typed.
        let add = |role: &str, name: &str, email: &str| {
            browser.post_form(
                "/customers/BOLT/people",
                &[
                    ("csrf_token", csrf.as_str()),
                    ("form", "contact"),
                    ("contact_role", role),
                    ("contact_name", name),
                    ("contact_email", email),
                    ("contact_phone", ""),
                ],
            )
        };
        let refused = add("billing", "Jane Roe", "");
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains("an e-mail address, a phone number or both");
        refused.assert_contains(r#"value="Jane Roe""#);
        let saved = add("billing", "Jane Roe", "jane@bolt.example");
        assert_eq!(saved.status, 303, "{}", saved.body);
        let saved = add("accounts_payable", "", "ap@bolt.example");
        assert_eq!(saved.status, 303, "{}", saved.body);
        let after = browser.get("/customers/BOLT");
        after.assert_contains(
            "e-mails go to office@bolt.example, jane@bolt.example, copy to ap@bolt.example",
        );
        after.assert_contains(
            "Changed contact: (none) → Jane Roe (billing) &lt;jane@bolt.example&gt;",
        );

        // Remove the accounts-payable contact by its button.
        let mut store = Store::connect(&server.database_url).expect("the book");
        let org_id = store.org(Some("Acme Tools")).unwrap().id;
        let ap = store
            .contacts(org_id, "BOLT")
            .unwrap()
            .into_iter()
            .find(|c| c.contact.email.as_deref() == Some("ap@bolt.example"))
            .expect("the contact");
        after.assert_contains(&format!(
            r#"action="/customers/BOLT/people/{}/remove""#,
            ap.id
        ));
        let removed = browser.post_form(
            &format!("/customers/BOLT/people/{}/remove", ap.id),
            &[("csrf_token", csrf.as_str()), ("form", "contact")],
        );
        assert_eq!(removed.status, 303, "{}", removed.body);
        assert_eq!(store.contacts(org_id, "BOLT").unwrap().len(), 1);

        // Notes and accepted methods through Edit details.
        let saved = browser.post_form(
            "/customers/BOLT/edit",
            &[
                ("csrf_token", csrf.as_str()),
                ("form", "edit"),
                ("edit_name", "BOLT Ltd"),
                ("edit_email", "office@bolt.example"),
                ("edit_phone", ""),
                ("edit_credit_limit", ""),
                ("edit_terms", "net30"),
                ("pm_bank_transfer", "1"),
                ("pm_check", "1"),
                ("edit_notes", "Pays on the 15th.\nAsk for Jane."),
            ],
        );
        assert_eq!(saved.status, 303, "{}", saved.body);
        let after = browser.get("/customers/BOLT");
        after.assert_contains("Pays by bank transfer, cheque");
        after.assert_contains(r#"id="pm_check" type="checkbox" name="pm_check" value="1" checked"#);
        after.assert_contains("Pays on the 15th.<br>Ask for Jane.");
        after.assert_contains("payment methods: any → bank transfer, cheque");

        // The portal: the methods shown; no card payment for BOLT, card for ZED.
        store
            .set_stripe_keys(org_id, Some("sk_test_not_called"), Some("whsec_not_called"))
            .unwrap();
        let mut numbers = Vec::new();
        for reference in ["BOLT", "ZED"] {
            let invoice = browser.post_json(
                "/api/v1/invoices",
                &csrf,
                json!({"customer": reference, "issue_date": "2026-01-05", "terms": "net30",
                       "lines": [{"description": "Work", "quantity": "1", "unit_price": "10.00"}],
                       "issue": true}),
            );
            assert_eq!(invoice.status, 201, "{}", invoice.body);
            let v: serde_json::Value = serde_json::from_str(&invoice.body).unwrap();
            numbers.push(v["number"].as_str().unwrap().to_string());
        }
        let customer = server.browser();
        let bolt = portal_token(&browser, &csrf, "BOLT");
        let page = customer.get(&format!("/portal/{bolt}"));
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains("You may pay by bank transfer, cheque."),
            "{}",
            page.body
        );
        assert!(!page.body.contains("pay-online"), "{}", page.body);
        let refused = customer.post_form(&format!("/portal/{bolt}/pay"), &[("invoice", "all")]);
        assert_eq!(refused.status, 404, "{}", refused.body);
        assert!(
            refused.body.contains("Card payment is not available"),
            "{}",
            refused.body
        );
        let zed = portal_token(&browser, &csrf, "ZED");
        let page = customer.get(&format!("/portal/{zed}"));
        assert!(page.body.contains(r#"id="pay-online""#), "{}", page.body);
        assert!(!page.body.contains("You may pay by"), "{}", page.body);

        // An invoice e-mailed from here goes to the billing addresses, and
        // its page in the outbox says who has it in copy.
        let saved = add("accounts_payable", "", "payables@bolt.example");
        assert_eq!(saved.status, 303, "{}", saved.body);
        let sent = browser.post_json(
            &format!("/api/v1/invoices/{}/send", numbers[0]),
            &csrf,
            json!({}),
        );
        assert!(sent.status == 200 || sent.status == 202, "{}", sent.body);
        assert!(
            sent.body.contains("office@bolt.example, jane@bolt.example"),
            "{}",
            sent.body
        );
        let message = store
            .outbox(org_id, None, 10)
            .unwrap()
            .into_iter()
            .find(|m| m.customer_ref == "BOLT")
            .expect("the invoice's message");
        let page = browser.get(&format!("/outbox/{}", message.id));
        assert_eq!(page.status, 200, "{}", page.body);
        page.assert_contains("office@bolt.example, jane@bolt.example");
        page.assert_contains(r#"<dd id="cc">payables@bolt.example</dd>"#);
    }
);
