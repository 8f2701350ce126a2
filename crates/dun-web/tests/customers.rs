//! Customers over real HTTP: the new-customer form takes what an invoice
//! needs (address, identifiers, a first contact) in one transaction — a
//! bad field refuses the whole form and nothing is written; the list
//! sorts by what is owed, days past due and name (in the store's SQL) and
//! shows names beside references; phone numbers are `tel:` links.

mod common;

use common::{Browser, TestServer};
use dun_store::Store;
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

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

fn text_between<'a>(body: &'a str, before: &str, after: &str) -> &'a str {
    let start = body.find(before).expect("the start marker") + before.len();
    let end = body[start..].find(after).expect("the end marker");
    &body[start..start + end]
}

/// The new-customer form's fields, all good, with `changed` put over them.
fn fields<'a>(csrf: &'a str, changed: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut out = vec![
        ("csrf_token", csrf),
        ("reference", "HARB"),
        ("name", "Harbour Chandlery Ltd"),
        ("email", "accounts@harbour.example"),
        ("phone", "+44 (0)1632 960 123"),
        ("terms", "net30"),
        ("credit_limit", ""),
        ("address_1", "Unit 4, Quay Street"),
        ("address_2", "Harbour Estate"),
        ("address_3", ""),
        ("city", "Falmouth"),
        ("postcode", "TR11 3HF"),
        ("region", "Cornwall"),
        ("country_code", "GB"),
        ("vat_id", "GB123456789"),
        ("company_id", "01234567"),
        ("endpoint", "0088:5790000435975"),
        ("contact_role", "accounts_payable"),
        ("contact_name", "Pat Payables"),
        ("contact_email", "pat@harbour.example"),
        ("contact_phone", "01632 960 999"),
    ];
    for (name, value) in changed {
        let slot = out.iter_mut().find(|(n, _)| n == name).expect("a field");
        slot.1 = value;
    }
    out
}

web_test!(
    fn the_new_customer_form_stores_what_an_invoice_needs_or_nothing(server: &TestServer) {
        let (browser, csrf) = owner(server);
        let form = browser.get("/customers/new");
        assert_eq!(form.status, 200, "{}", form.body);
        for id in [
            "address_1",
            "city",
            "postcode",
            "region",
            "country_code",
            "vat_id",
            "company_id",
            "endpoint",
            "contact_role",
            "contact_name",
            "contact_email",
            "contact_phone",
        ] {
            form.assert_contains(&format!(r#"<label for="{id}""#));
        }

        let mut store = Store::connect(&server.database_url).expect("the book");
        let org_id = store.org(Some("Acme Tools")).unwrap().id;

        // A bad country and a bad contact e-mail: both named, the form
        // again as typed, nothing written — not the customer, not its
        // address, not the contact.
        let refused = browser.post_form(
            "/customers",
            &fields(
                &csrf,
                &[
                    ("country_code", "Britain"),
                    ("contact_email", "pat at harbour"),
                ],
            ),
        );
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains("Nothing was saved");
        refused.assert_contains("country_code: 'Britain'");
        refused.assert_contains("contact_email: 'pat at harbour'");
        refused.assert_contains(r#"value="Unit 4, Quay Street""#);
        refused.assert_contains(r#"value="Britain" aria-invalid="true""#);
        refused.assert_contains(r#"value="pat at harbour" aria-invalid="true""#);
        refused.assert_contains(r#"<option value="accounts_payable" selected>"#);
        assert!(store.customer(org_id, "HARB").is_err(), "nothing written");
        assert_eq!(browser.get("/customers/HARB").status, 404);

        // A bad VAT id alone: refused the same way.
        let refused = browser.post_form("/customers", &fields(&csrf, &[("vat_id", "123")]));
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains("vat_id: '123'");
        assert!(store.customer(org_id, "HARB").is_err(), "nothing written");

        // All good: one customer with its address, identifiers and contact.
        let made = browser.post_form("/customers", &fields(&csrf, &[]));
        assert_eq!(made.status, 303, "{}", made.body);
        assert_eq!(made.location.as_deref(), Some("/customers/HARB"));
        let customer = store.customer(org_id, "HARB").expect("the customer");
        assert_eq!(customer.name, "Harbour Chandlery Ltd");
        assert_eq!(customer.phone.as_deref(), Some("+44 (0)1632 960 123"));
        let buyer = store.buyer_by_ref(org_id, "HARB").unwrap();
        assert_eq!(
            buyer.address_lines,
            ["Unit 4, Quay Street", "Harbour Estate"]
        );
        assert_eq!(buyer.city.as_deref(), Some("Falmouth"));
        assert_eq!(buyer.postcode.as_deref(), Some("TR11 3HF"));
        assert_eq!(buyer.region.as_deref(), Some("Cornwall"));
        assert_eq!(buyer.country_code.as_deref(), Some("GB"));
        assert_eq!(buyer.vat_id.as_deref(), Some("GB123456789"));
        assert_eq!(buyer.company_id.as_deref(), Some("01234567"));
        assert_eq!(buyer.endpoint.as_deref(), Some("0088:5790000435975"));
        assert_eq!(buyer.email.as_deref(), Some("accounts@harbour.example"));
        let contacts = store.contacts(org_id, "HARB").unwrap();
        assert_eq!(contacts.len(), 1, "{contacts:?}");
        let contact = &contacts[0].contact;
        assert_eq!(contact.role.as_str(), "accounts_payable");
        assert_eq!(contact.name.as_deref(), Some("Pat Payables"));
        assert_eq!(contact.email.as_deref(), Some("pat@harbour.example"));
        assert_eq!(contact.phone.as_deref(), Some("01632 960 999"));

        // The customer's page: the phones are tel: links.
        let page = browser.get("/customers/HARB");
        assert_eq!(page.status, 200, "{}", page.body);
        page.assert_contains(r#"<a href="tel:+4401632960123">+44 (0)1632 960 123</a>"#);
        page.assert_contains(r#"<a href="tel:01632960999">01632 960 999</a>"#);

        // The same reference again: refused, the first one unchanged.
        let again = browser.post_form(
            "/customers",
            &fields(&csrf, &[("name", "Someone Else"), ("contact_email", "")]),
        );
        assert_eq!(again.status, 422, "{}", again.body);
        again.assert_contains("already exists");
        assert_eq!(
            store.customer(org_id, "HARB").unwrap().name,
            "Harbour Chandlery Ltd"
        );
        assert_eq!(store.contacts(org_id, "HARB").unwrap().len(), 1);

        // Only the required fields: a customer without address or contact.
        let bare = browser.post_form(
            "/customers",
            &[
                ("csrf_token", csrf.as_str()),
                ("reference", "BARE"),
                ("name", "Bare Minimum"),
                ("contact_role", "billing"),
            ],
        );
        assert_eq!(bare.status, 303, "{}", bare.body);
        assert_eq!(
            store.buyer_by_ref(org_id, "BARE").unwrap().country_code,
            None
        );
        assert!(store.contacts(org_id, "BARE").unwrap().is_empty());
    }
);

/// A customer of the test's book: reference, name, and its invoices as
/// (days ago issued, amount).
type Book = (&'static str, &'static str, &'static [(i32, &'static str)]);

/// The customer references in the order the list shows them.
fn listed(body: &str) -> Vec<String> {
    body.match_indices("data-customer=\"")
        .map(|(i, m)| {
            let rest = &body[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

web_test!(
    fn the_list_sorts_by_owed_days_late_and_name(server: &TestServer) {
        let (browser, csrf) = owner(server);
        let today = text_between(
            &browser.get("/invoices/new").body,
            r#"name="issue_date" value=""#,
            "\"",
        )
        .to_string();
        let today = dun_core::Date::parse(&today).unwrap();
        // (reference, name, invoices as (days ago issued, amount)) on net30.
        let book: [Book; 4] = [
            ("ALPHA", "Zulu Zinc", &[(40, "100.00")]),
            ("BRAVO", "Yankee Yards", &[(5, "5000.00")]),
            ("CHARLIE", "X-ray Ltd", &[(90, "300.00"), (35, "20.00")]),
            ("DELTA", "Whiskey Works", &[]),
        ];
        for (reference, name, invoices) in book {
            let c = browser.post_json(
                "/api/v1/customers",
                &csrf,
                json!({"reference": reference, "name": name, "terms": "net30", "phone": "555-0100"}),
            );
            assert_eq!(c.status, 201, "{}", c.body);
            for (ago, price) in invoices {
                let i = browser.post_json(
                    "/api/v1/invoices",
                    &csrf,
                    json!({"customer": reference, "issue_date": today.add_days(-ago).to_string(),
                           "terms": "net30",
                           "lines": [{"description": "Goods", "quantity": "1", "unit_price": price}],
                           "issue": true}),
                );
                assert_eq!(i.status, 201, "{}", i.body);
            }
        }
        let order = |query: &str| {
            let page = browser.get(&format!("/customers{query}"));
            assert_eq!(page.status, 200, "{query}: {}", page.body);
            listed(&page.body)
        };
        // By default: most owed first (a collector's order); nothing owed last.
        assert_eq!(order(""), ["BRAVO", "CHARLIE", "ALPHA", "DELTA"]);
        assert_eq!(order("?sort=owed"), order(""));
        // Longest past due first: CHARLIE 60 days, ALPHA 10; the rest none.
        assert_eq!(
            order("?sort=days_late"),
            ["CHARLIE", "ALPHA", "BRAVO", "DELTA"]
        );
        assert_eq!(order("?sort=name"), ["DELTA", "CHARLIE", "BRAVO", "ALPHA"]);
        // The order holds under a filter.
        assert_eq!(order("?sort=days_late&overdue=1"), ["CHARLIE", "ALPHA"]);

        let page = browser.get("/customers?sort=days_late");
        // Names beside references; days late; the headers link the orders.
        page.assert_contains(
            r#"<a href="/customers/CHARLIE">X-ray Ltd</a></td><td class="code" data-label="Reference">CHARLIE</td>"#,
        );
        page.assert_contains(r#"<span class="bad">60</span>"#);
        page.assert_contains(r#"href="/customers?sort=owed" id="sort-owed""#);
        page.assert_contains(r#"href="/customers?sort=name" id="sort-name""#);
        page.assert_contains(r#"aria-sort="descending""#);
        // Nothing owed reads "—", never "USD 0.00".
        assert!(!page.body.contains("USD 0.00"), "{}", page.body);
        let delta = &page.body[page.body.find(r#"data-customer="DELTA""#).unwrap()..];
        let delta = &delta[..delta.find("</tr>").unwrap()];
        assert_eq!(delta.matches("—").count(), 3, "{delta}");

        // An order the list does not offer: refused, naming the ones it does.
        let refused = browser.get("/customers?sort=colour");
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains("owed, days_late, name");
    }
);

web_test!(
    fn the_sorted_list_pages_on(server: &TestServer) {
        let (browser, csrf) = owner(server);
        // 55 customers, more than a page of 50; by name, the last five on page two.
        for n in 0..55 {
            let c = browser.post_json(
                "/api/v1/customers",
                &csrf,
                json!({"reference": format!("C{n:02}"), "name": format!("Customer {n:02}")}),
            );
            assert_eq!(c.status, 201, "{}", c.body);
        }
        let first = browser.get("/customers?sort=name");
        let names = listed(&first.body);
        assert_eq!(names.len(), 50);
        assert_eq!(names[0], "C00");
        let end = first.body.find(r#"" rel="next""#).expect("a next page");
        let start = first.body[..end].rfind(r#"href=""#).unwrap() + r#"href=""#.len();
        let next = first.body[start..end].replace("&amp;", "&");
        let second = browser.get(&next);
        assert_eq!(second.status, 200, "{}", second.body);
        assert_eq!(listed(&second.body), ["C50", "C51", "C52", "C53", "C54"]);
    }
);
