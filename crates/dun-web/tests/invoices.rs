//! The invoice pages over real HTTP, as a browser with JavaScript off uses
//! them: the draft form (rows, server totals, refusals that keep what was
//! typed), issuing (and a credit-policy refusal with its override), the
//! invoice's page and its actions (payment, credit note, write-off, void),
//! the list's filters, a viewer's read-only view and CSRF. The live totals
//! script is checked against the server's totals under node, when present.

mod common;

use common::{Browser, Page};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

fn set_up(browser: &Browser) -> String {
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
    let dashboard = browser.get("/dashboard");
    let csrf = dashboard.csrf();
    for body in [
        json!({"reference": "BOLT", "name": "Bolt & Nut Supplies", "email": "ap@bolt.example",
               "credit_limit": "1000.00", "terms": "net30"}),
        json!({"reference": "ZED", "name": "Zed Hardware", "terms": "net15"}),
    ] {
        let customer = browser.post_json("/api/v1/customers", &csrf, body);
        assert_eq!(customer.status, 201, "{}", customer.body);
    }
    csrf
}

/// The draft form's fields: customer, terms, then rows of
/// (description, quantity, unit price, tax rate), then the action.
fn draft_fields<'a>(
    csrf: &'a str,
    customer: &'a str,
    rows: &[(&'a str, &'a str, &'a str, &'a str)],
    action: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("csrf_token", csrf),
        ("customer", customer),
        ("issue_date", ""),
        ("terms", ""),
    ];
    for (d, q, p, t) in rows {
        fields.extend([
            ("description", *d),
            ("quantity", *q),
            ("unit_price", *p),
            ("tax_rate", *t),
        ]);
    }
    fields.push(("action", action));
    fields
}

const BOLTS: [(&str, &str, &str, &str); 3] = [
    ("Hex bolts M8 (box of 100)", "12", "42.50", "20"),
    ("Delivery", "1", "15.00", ""),
    ("", "", "", ""),
];

fn text_between<'a>(body: &'a str, before: &str, after: &str) -> &'a str {
    let start = body.find(before).expect("the start marker") + before.len();
    let end = body[start..].find(after).expect("the end marker");
    &body[start..start + end]
}

fn open_of(page: &Page) -> String {
    text_between(&page.body, r#"id="open"><strong>"#, "<").to_string()
}

fn issue_via_api(browser: &Browser, csrf: &str, customer: &str, date: &str, price: &str) -> String {
    let made = browser.post_json(
        "/api/v1/invoices",
        csrf,
        json!({"customer": customer, "issue_date": date,
               "lines": [{"description": "Parts", "quantity": "1", "unit_price": price}],
               "issue": true}),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let made: serde_json::Value = serde_json::from_str(&made.body).unwrap();
    made["number"].as_str().expect("a number").to_string()
}

web_test!(
    fn drafting_issuing_and_settling(server: &TestServer) {
        let browser = server.browser();
        let csrf = set_up(&browser);

        // The empty form: three rows, the customer's terms, the script.
        let form = browser.get("/invoices/new?customer=BOLT");
        assert_eq!(form.status, 200, "{}", form.body);
        for id in [
            "customer",
            "issue_date",
            "terms",
            "line-0-description",
            "line-0-quantity",
            "line-0-unit_price",
            "line-0-tax_rate",
            "line-2-tax_rate",
            "totals",
            "total",
            "issue",
        ] {
            form.assert_contains(&format!(r#"id="{id}""#));
            if id != "totals" && id != "total" && id != "issue" {
                form.assert_contains(&format!(r#"for="{id}""#));
            }
        }
        assert!(!form.body.contains("line-3-description"));
        form.assert_contains(r#"name="terms" value="net30""#);
        form.assert_contains(r#"<script src="/assets/invoice-form.js?v="#);
        // The script takes the unit price's decimals from dun-core.
        form.assert_contains(&format!(
            r#"data-price-extra-decimals="{}""#,
            dun_core::money::UNIT_PRICE_EXTRA_DECIMALS_MAX
        ));
        let script = text_between(&form.body, r#"<script src=""#, "\"").to_string();
        let js = browser.get(&script);
        assert_eq!(js.status, 200);
        js.assert_contains("roundHalfEven");

        // Another row, keeping what was typed.
        let more = browser.post_form(
            "/invoices/new",
            &draft_fields(&csrf, "BOLT", &BOLTS, "add_line"),
        );
        assert_eq!(more.status, 200, "{}", more.body);
        more.assert_contains(r#"id="line-3-description""#);
        more.assert_contains(r#"value="Hex bolts M8 (box of 100)""#);

        // Totals from the server: 12 × 42.50 = 510.00 + 20 % = 612.00; + 15.00.
        let totals = browser.post_form(
            "/invoices/new",
            &draft_fields(&csrf, "BOLT", &BOLTS, "totals"),
        );
        assert_eq!(totals.status, 200, "{}", totals.body);
        totals.assert_contains(r#"id="subtotal">USD 525.00<"#);
        totals.assert_contains(r#"id="tax">USD 102.00<"#);
        totals.assert_contains(r#"id="total"><strong>USD 627.00<"#);
        totals.assert_contains(r#"id="line-0-total">USD 612.00<"#);

        // Another currency: its own minor unit (JPY has none), half-even.
        let yen = [("Washers", "2.5", "101", "10")];
        let mut fields = draft_fields(&csrf, "BOLT", &yen, "totals");
        fields.push(("currency", "jpy"));
        let totals = browser.post_form("/invoices/new", &fields);
        assert_eq!(totals.status, 200, "{}", totals.body);
        totals.assert_contains(r#"id="subtotal">JPY 252<"#);
        totals.assert_contains(r#"id="total"><strong>JPY 277<"#);
        totals.assert_contains(r#"name="currency" value="jpy""#);
        // Unit prices finer than the cent; each line rounded half-even:
        // 3 × 13.333 = 39.999 → 40.00 (+ 8.00 tax); 2.5 × 1.234567 → 3.09.
        let fine = [
            ("Bolts", "3", "13.333", "20"),
            ("Cable", "2.5", "1.234567", ""),
        ];
        let totals = browser.post_form(
            "/invoices/new",
            &draft_fields(&csrf, "BOLT", &fine, "totals"),
        );
        assert_eq!(totals.status, 200, "{}", totals.body);
        totals.assert_contains(r#"id="subtotal">USD 43.09<"#);
        totals.assert_contains(r#"id="tax">USD 8.00<"#);
        totals.assert_contains(r#"id="line-0-total">USD 48.00<"#);
        totals.assert_contains(r#"value="13.333""#);
        let mut fields = draft_fields(&csrf, "BOLT", &yen, "draft");
        fields.push(("currency", "XYZ"));
        let refused = browser.post_form("/invoices/new", &fields);
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains("Currency: 'XYZ' is not an ISO 4217 currency code");
        // Two lines that each fit but together are more than the ledger
        // holds: the domain's one check (the API refuses the same lines).
        let big = [
            ("Big", "1", "6000000000000.00", ""),
            ("Big", "1", "6000000000000.00", ""),
        ];
        let refused =
            browser.post_form("/invoices/new", &draft_fields(&csrf, "BOLT", &big, "draft"));
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains("Lines: the invoice total is too large");

        // Refusals keep every value and say what to fix.
        let bad = [("Hex bolts", "abc", "42.50", "20")];
        let refused =
            browser.post_form("/invoices/new", &draft_fields(&csrf, "BOLT", &bad, "draft"));
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains(r#"<p class="notice bad" role="alert">Line 1: quantity 'abc'"#);
        refused.assert_contains(r#"value="abc""#);
        refused.assert_contains(r#"value="Hex bolts""#);
        refused.assert_contains(r#"name="customer" list="customer-list" value="BOLT""#);
        let empty = [("", "", "", "")];
        let refused = browser.post_form(
            "/invoices/new",
            &draft_fields(&csrf, "BOLT", &empty, "issue"),
        );
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains("an invoice needs at least one line");
        let refused = browser.post_form(
            "/invoices/new",
            &draft_fields(&csrf, "NOPE", &BOLTS, "issue"),
        );
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains("no customer has the reference 'NOPE'");
        refused.assert_contains(r#"value="NOPE""#);
        let refused = browser.post_form(
            "/invoices/new",
            &draft_fields(&csrf, "BOLT", &[("x", "1", "1.0000001", "")], "draft"),
        );
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains(
            "Line 1: unit price: '1.0000001' has 7 digits after the point; a unit price in USD takes at most 6.",
        );
        // Nothing was saved by the refusals.
        assert!(browser.get("/invoices").body.contains("No invoices match."));

        // Save and issue: to the invoice's page. The form sent twice (its
        // key the same) makes one invoice.
        let key = text_between(&form.body, r#"name="form_key" value=""#, "\"").to_string();
        let mut fields = draft_fields(&csrf, "BOLT", &BOLTS, "issue");
        fields.push(("form_key", &key));
        let issued = browser.post_form("/invoices/new", &fields);
        assert_eq!(issued.status, 303, "{}", issued.body);
        let again = browser.post_form("/invoices/new", &fields);
        assert_eq!(again.status, 303, "{}", again.body);
        assert_eq!(again.location, issued.location);
        let mut changed = draft_fields(&csrf, "BOLT", &[("Other", "1", "1.00", "")], "draft");
        changed.push(("form_key", &key));
        let refused = browser.post_form("/invoices/new", &changed);
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains("This form was saved already");
        refused.assert_contains(r#"value="Other""#);
        assert!(
            !refused.body.contains(&key),
            "a fresh key for the next sending"
        );
        let address = issued.location.clone().expect("the invoice's address");
        let number = address.trim_start_matches("/invoices/").to_string();
        let invoice = browser.get(&address);
        assert_eq!(invoice.status, 200, "{}", invoice.body);
        invoice.assert_contains(&format!("Invoice {number}"));
        invoice.assert_contains(r#"id="total"><strong>USD 627.00<"#);
        assert_eq!(open_of(&invoice), "USD 627.00");
        invoice.assert_contains(&format!(r#"href="/api/v1/invoices/{number}/pdf""#));
        invoice.assert_contains("Bolt &amp; Nut Supplies");
        invoice.assert_contains(
            r#"href="/invoices/new?customer=BOLT">New invoice for Bolt &amp; Nut Supplies<"#,
        );
        invoice.assert_contains("20 %");
        // The payment reference the customer quotes, named by the invoice.
        let api: serde_json::Value =
            serde_json::from_str(&browser.get(&format!("/api/v1/invoices/{number}")).body).unwrap();
        let reference =
            dun_core::reference::CreditorReference::for_invoice(api["id"].as_i64().unwrap());
        invoice.assert_contains(&format!(
            r#"id="payment-reference">{}<"#,
            reference.grouped()
        ));
        let pdf = browser.get(&format!("/api/v1/invoices/{number}/pdf"));
        assert_eq!(pdf.status, 200, "the session reads the PDF");

        // Over the credit limit (1,000.00 with 627.00 open): saved as a
        // draft, the refusal said, issued with an override reason.
        let big = [("Anchors", "1", "500.00", "")];
        let refused =
            browser.post_form("/invoices/new", &draft_fields(&csrf, "BOLT", &big, "issue"));
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains("Saved as a draft, not issued.");
        refused.assert_contains("credit limit of 1000.00 USD");
        refused.assert_contains("To issue it anyway, say why in the override reason.");
        assert!(!refused.body.contains("--override-reason"));
        refused.assert_contains(r#"id="override_reason""#);
        let draft_issue =
            text_between(&refused.body, r#"action="/invoices/draft-"#, "\"").to_string();
        let draft_issue = format!("/invoices/draft-{draft_issue}");
        assert!(draft_issue.ends_with("/issue"), "{draft_issue}");
        let page = browser.get(draft_issue.trim_end_matches("/issue"));
        assert_eq!(page.status, 200);
        page.assert_contains("Draft invoice");
        let overridden = browser.post_form(
            &draft_issue,
            &[
                ("csrf_token", &csrf),
                ("override_reason", "Paid by card on delivery"),
            ],
        );
        assert_eq!(overridden.status, 303, "{}", overridden.body);
        let second = overridden.location.clone().unwrap();
        assert_ne!(second, address);
        assert_eq!(open_of(&browser.get(&second)), "USD 500.00");

        // A payment on this invoice lowers what is open; the rest pays it.
        let paid = browser.post_form(
            &format!("{address}/payments"),
            &[
                ("csrf_token", &csrf),
                ("amount", "127.00"),
                ("date", ""),
                ("method", "bank_transfer"),
                ("reference", "TRF-1"),
                ("allocation", "this"),
            ],
        );
        assert_eq!(paid.status, 303, "{}", paid.body);
        let invoice = browser.get(&address);
        assert_eq!(open_of(&invoice), "USD 500.00");
        // A payment form sent twice records one payment.
        let key = text_between(&invoice.body, r#"name="form_key" value=""#, "\"").to_string();
        let twice = [
            ("csrf_token", csrf.as_str()),
            ("amount", "100.00"),
            ("allocation", "this"),
            ("form_key", &key),
        ];
        for _ in 0..2 {
            let paid = browser.post_form(&format!("{address}/payments"), &twice);
            assert_eq!(paid.status, 303, "{}", paid.body);
        }
        let invoice = browser.get(&address);
        assert_eq!(open_of(&invoice), "USD 400.00");
        invoice.assert_contains(">partially paid<");
        let refused = browser.post_form(
            &format!("{address}/payments"),
            &[
                ("csrf_token", &csrf),
                ("amount", "-5"),
                ("reference", "TRF-2"),
                ("allocation", "this"),
            ],
        );
        assert_eq!(refused.status, 422);
        refused.assert_contains("Amount: must be more than zero.");
        refused.assert_contains(r#"value="TRF-2""#);
        // 100.00 more than is open: the invoice is paid, and the rest, as
        // credit, pays their other open invoice at once (the default policy).
        let paid = browser.post_form(
            &format!("{address}/payments"),
            &[
                ("csrf_token", &csrf),
                ("amount", "500.00"),
                ("allocation", "this"),
            ],
        );
        assert_eq!(paid.status, 303, "{}", paid.body);
        let invoice = browser.get(&address);
        assert_eq!(open_of(&invoice), "USD 0.00");
        invoice.assert_contains(">paid<");
        let payments = browser.get("/api/v1/payments?customer=BOLT");
        let payments: serde_json::Value = serde_json::from_str(&payments.body).unwrap();
        assert_eq!(payments["items"].as_array().unwrap().len(), 3, "{payments}");
        assert_eq!(payments["items"][0]["unallocated"], "0.00");
        assert_eq!(open_of(&browser.get(&second)), "USD 400.00");
        assert_eq!(payments["items"][1]["reference"], "");
        assert_eq!(payments["items"][2]["reference"], "TRF-1");
        assert!(!invoice.body.contains("Record a payment"));

        // A credit note and a write-off on the second invoice.
        let credited = browser.post_form(
            &format!("{second}/credit-notes"),
            &[
                ("csrf_token", &csrf),
                ("amount", "12.50"),
                ("reason", "Two anchors damaged"),
            ],
        );
        assert_eq!(credited.status, 303, "{}", credited.body);
        let page = browser.get(&second);
        assert_eq!(open_of(&page), "USD 387.50");
        // Its own e-mail button (BOLT has an address): queued, on the outbox.
        page.assert_contains("E-mail credit note CN-000001 (USD 12.50)");
        let mailed = browser.post_form(
            &format!("{second}/credit-notes/CN-000001/send"),
            &[("csrf_token", &csrf)],
        );
        assert_eq!(mailed.status, 303, "{}", mailed.body);
        browser
            .get("/customers/BOLT")
            .assert_contains("Credit note CN-000001");
        let refused = browser.post_form(
            &format!("{second}/write-offs"),
            &[("csrf_token", &csrf), ("amount", "100.00"), ("reason", " ")],
        );
        assert_eq!(refused.status, 422);
        refused.assert_contains("Reason: say why");
        refused.assert_contains(r#"value="100.00""#);
        let written = browser.post_form(
            &format!("{second}/write-offs"),
            &[
                ("csrf_token", &csrf),
                ("amount", "100.00"),
                ("reason", "Settled the dispute"),
            ],
        );
        assert_eq!(written.status, 303, "{}", written.body);
        let page = browser.get(&second);
        assert_eq!(open_of(&page), "USD 287.50");
        page.assert_contains("credit note");
        page.assert_contains("write off");

        // Void: refused without CSRF, done with it.
        let third = issue_via_api(&browser, &csrf, "ZED", "2026-01-05", "80.00");
        let void = format!("/invoices/{third}/void");
        let forged = browser.post_form(&void, &[("reason", "Sent twice")]);
        assert_eq!(forged.status, 403, "{}", forged.body);
        assert_eq!(
            open_of(&browser.get(&format!("/invoices/{third}"))),
            "USD 80.00"
        );
        let voided = browser.post_form(&void, &[("csrf_token", &csrf), ("reason", "Sent twice")]);
        assert_eq!(voided.status, 303, "{}", voided.body);
        let page = browser.get(&format!("/invoices/{third}"));
        page.assert_contains(">void<");
        assert_eq!(open_of(&page), "USD 0.00");
    }
);

web_test!(
    fn a_late_fee_is_waived_from_the_invoice_page(server: &TestServer) {
        let browser = server.browser();
        let csrf = set_up(&browser);
        let number = issue_via_api(&browser, &csrf, "ZED", "2026-01-05", "200.00");
        let page = format!("/invoices/{number}");
        // No charge on it yet: nothing to waive.
        assert!(!browser.get(&page).body.contains("Waive a charge"));
        // The run at +60 charges the final demand's fee.
        let run = browser.post_json("/api/v1/runs", &csrf, json!({"as_of": "2026-03-23"}));
        assert_eq!(run.status, 201, "{}", run.body);
        let shown = browser.get(&page);
        shown.assert_contains("Waive a charge");
        shown.assert_contains(r#"<option value="fee">fee (USD 40.00)</option>"#);
        assert_eq!(open_of(&shown), "USD 240.00");
        let refused = browser.post_form(
            &format!("{page}/waivers"),
            &[("csrf_token", &csrf), ("charge", "fee"), ("reason", " ")],
        );
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains("Reason: say why");
        let waived = browser.post_form(
            &format!("{page}/waivers"),
            &[
                ("csrf_token", &csrf),
                ("charge", "fee"),
                ("reason", "Goodwill: first late payment"),
            ],
        );
        assert_eq!(waived.status, 303, "{}", waived.body);
        let after = browser.get(&page);
        assert_eq!(open_of(&after), "USD 200.00");
        assert!(
            !after.body.contains("Waive a charge"),
            "nothing left to waive"
        );
        browser
            .get("/customers/ZED")
            .assert_contains("Goodwill: first late payment");
    }
);

web_test!(
    fn a_write_off_is_reversed_from_the_invoice_page(server: &TestServer) {
        let browser = server.browser();
        let csrf = set_up(&browser);
        let number = issue_via_api(&browser, &csrf, "ZED", "2026-01-05", "200.00");
        let page = format!("/invoices/{number}");
        assert!(!browser.get(&page).body.contains("Reverse the write-off"));
        let written = browser.post_form(
            &format!("{page}/write-offs"),
            &[("csrf_token", &csrf), ("reason", "Gone out of business")],
        );
        assert_eq!(written.status, 303, "{}", written.body);
        let shown = browser.get(&page);
        assert_eq!(open_of(&shown), "USD 0.00");
        shown.assert_contains("Reverse the write-off");
        shown.assert_contains("USD 200.00 was written off");
        let refused = browser.post_form(
            &format!("{page}/write-off-reversals"),
            &[("csrf_token", &csrf), ("reason", " ")],
        );
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains("Reason: say why");
        let reversed = browser.post_form(
            &format!("{page}/write-off-reversals"),
            &[("csrf_token", &csrf), ("reason", "They paid after all")],
        );
        assert_eq!(reversed.status, 303, "{}", reversed.body);
        let after = browser.get(&page);
        assert_eq!(open_of(&after), "USD 200.00");
        assert!(
            !after.body.contains("Reverse the write-off"),
            "nothing left to reverse"
        );
        browser
            .get("/customers/ZED")
            .assert_contains("They paid after all");
        // Over the API too: nothing left to reverse is a 422 naming the invoice.
        let again = browser.post_json(
            &format!("/api/v1/invoices/{number}/write-off-reversals"),
            &csrf,
            json!({"reason": "again"}),
        );
        assert_eq!(again.status, 409, "{}", again.body);
        assert!(
            again.body.contains("has no write-off to reverse"),
            "{}",
            again.body
        );
    }
);

web_test!(
    fn a_draft_is_edited_and_deleted_from_its_page(server: &TestServer) {
        let browser = server.browser();
        let csrf = set_up(&browser);
        let made = browser.post_json(
            "/api/v1/invoices",
            &csrf,
            json!({"customer": "BOLT", "issue_date": "2026-03-01",
                   "lines": [{"description": "Bolts", "quantity": "2", "unit_price": "10.00"}]}),
        );
        assert_eq!(made.status, 201, "{}", made.body);
        let id = serde_json::from_str::<serde_json::Value>(&made.body).unwrap()["id"]
            .as_i64()
            .unwrap();
        let page = format!("/invoices/draft-{id}");
        let shown = browser.get(&page);
        shown.assert_contains("Edit this draft");
        shown.assert_contains("Delete draft");

        // The form holds the draft as it is; sent, it replaces it.
        let form = browser.get(&format!("{page}/edit"));
        assert_eq!(form.status, 200, "{}", form.body);
        form.assert_contains(&format!("Edit draft #{id}"));
        form.assert_contains(r#"value="Bolts""#);
        form.assert_contains(r#"value="10.00""#);
        let key = text_between(&form.body, r#"name="form_key" value=""#, "\"").to_string();
        let saved = browser.post_form(
            &format!("{page}/edit"),
            &[
                ("csrf_token", &csrf),
                ("form_key", &key),
                ("customer", "ZED"),
                ("issue_date", "2026-03-02"),
                ("currency", "USD"),
                ("terms", ""),
                ("description", "Nuts"),
                ("quantity", "3"),
                ("unit_price", "4.505"),
                ("tax_rate", ""),
                ("action", "draft"),
            ],
        );
        assert_eq!(saved.status, 303, "{}", saved.body);
        assert_eq!(saved.location.as_deref(), Some(page.as_str()));
        let after = browser.get(&page);
        after.assert_contains("Zed Hardware");
        after.assert_contains("Nuts");
        // The price as written; 3 × 4.505 = 13.515 → 13.52 (half-even).
        after.assert_contains("USD 4.505");
        after.assert_contains("USD 13.52");
        browser
            .get(&format!("{page}/edit"))
            .assert_contains(r#"value="4.505""#);
        let api = browser.get(&format!("/api/v1/invoices/{id}"));
        assert!(
            api.body.contains(r#""unit_price":"4.505""#) && api.body.contains(r#""net":"13.52""#),
            "{}",
            api.body
        );
        assert!(!after.body.contains("Bolts"), "the old line is gone");
        browser
            .get("/customers/ZED")
            .assert_contains(&format!("Draft #{id} edited"));

        // Over the API: replaced whole; issued, it is refused there and here.
        let json_headers = [
            ("Content-Type", "application/json"),
            ("x-csrf-token", csrf.as_str()),
        ];
        let put = browser.send(
            "PUT",
            &format!("/api/v1/invoices/{id}"),
            Some(
                json!({"customer": "ZED", "lines": [{"description": "Washers", "quantity": "1", "unit_price": "7.00"}]})
                    .to_string(),
            ),
            &json_headers,
        );
        assert_eq!(put.status, 200, "{}", put.body);
        assert!(put.body.contains(r#""total":"7.00""#), "{}", put.body);
        let issued = issue_via_api(&browser, &csrf, "ZED", "2026-03-05", "5.00");
        let refused = browser.send(
            "DELETE",
            &format!("/api/v1/invoices/{issued}"),
            None,
            &json_headers[1..],
        );
        assert_eq!(refused.status, 409, "{}", refused.body);
        assert!(refused.body.contains("only a draft"), "{}", refused.body);
        assert_eq!(browser.get(&format!("/invoices/{issued}/edit")).status, 409);

        // Thrown away: gone, and said on the customer's timeline.
        let deleted = browser.post_form(&format!("{page}/delete"), &[("csrf_token", &csrf)]);
        assert_eq!(deleted.status, 303, "{}", deleted.body);
        assert_eq!(browser.get(&page).status, 404);
        browser
            .get("/customers/ZED")
            .assert_contains(&format!("Draft #{id} of 7.00 USD deleted"));
    }
);

web_test!(
    fn the_list_filters_and_a_viewer_reads_only(server: &TestServer) {
        let browser = server.browser();
        let csrf = set_up(&browser);
        // ZED: one long overdue (90+), one open and current; BOLT: one paid, one draft.
        let late = issue_via_api(&browser, &csrf, "ZED", "2020-01-06", "10.00");
        let today = text_between(
            &browser.get("/invoices/new").body,
            r#"name="issue_date" value=""#,
            "\"",
        )
        .to_string();
        let current = issue_via_api(&browser, &csrf, "ZED", &today, "20.00");
        let paid = issue_via_api(&browser, &csrf, "BOLT", "2026-01-05", "30.00");
        let payment = browser.post_json(
            "/api/v1/payments",
            &csrf,
            json!({"customer": "BOLT", "amount": "30.00", "allocation": [{"invoice": paid, "amount": "30.00"}]}),
        );
        assert_eq!(payment.status, 201, "{}", payment.body);
        let draft = browser.post_form(
            "/invoices/new",
            &draft_fields(&csrf, "BOLT", &[("Quote", "1", "40.00", "")], "draft"),
        );
        assert_eq!(draft.status, 303, "{}", draft.body);
        let draft = draft.location.unwrap();
        assert!(draft.starts_with("/invoices/draft-"), "{draft}");

        let all = browser.get("/invoices");
        assert_eq!(all.status, 200, "{}", all.body);
        all.assert_contains(r#"href="/invoices/new""#);
        for n in [&late, &current, &paid] {
            all.assert_contains(&format!(">{n}<"));
        }
        all.assert_contains(&format!(r#"href="{draft}""#));
        all.assert_contains(r#"href="/customers/ZED""#);
        all.assert_contains("USD 10.00");
        // The customer by name, the reference beside it.
        all.assert_contains(
            r#"<a href="/customers/ZED">Zed Hardware</a> <span class="muted code">ZED</span>"#,
        );
        all.assert_contains("Bolt &amp; Nut Supplies");
        // The paid invoice's open cell is empty, not "USD 0.00".
        assert!(!all.body.contains("USD 0.00"), "{}", all.body);

        let rows = |query: &str| -> Vec<bool> {
            let page = browser.get(&format!("/invoices?{query}"));
            assert_eq!(page.status, 200, "{query}: {}", page.body);
            [&late, &current, &paid, &draft]
                .iter()
                .map(|n| {
                    page.body.contains(&format!(">{n}<"))
                        || page.body.contains(&format!(r#"href="{n}""#))
                })
                .collect()
        };
        assert_eq!(rows("status=paid"), [false, false, true, false]);
        assert_eq!(rows("status=draft"), [false, false, false, true]);
        assert_eq!(rows("status=open"), [true, true, false, false]);
        assert_eq!(rows("status=overdue"), [true, false, false, false]);
        assert_eq!(rows("bucket=90%2B"), [true, false, false, false]);
        assert_eq!(rows("bucket=current"), [false, true, false, false]);
        assert_eq!(rows("bucket=1-30"), [false, false, false, false]);
        assert_eq!(rows("customer=ZED"), [true, true, false, false]);
        assert_eq!(
            rows("customer=BOLT&status=draft"),
            [false, false, false, true]
        );
        let refused = browser.get("/invoices?bucket=soon");
        assert_eq!(refused.status, 422);
        refused.assert_contains(
            "Overdue bucket 'soon' is not one of current, 1-30, 31-60, 61-90, 90+.",
        );

        // A viewer reads the invoice and the list, and sees no forms.
        browser.add_member(&csrf, "vic@acme.example", "Vic Viewer", PASSWORD, "viewer");
        let viewer = server.browser();
        let signed = viewer.post_form(
            "/sign-in",
            &[("email", "vic@acme.example"), ("password", PASSWORD)],
        );
        assert_eq!(signed.status, 303, "{}", signed.body);
        let page = viewer.get(&format!("/invoices/{current}"));
        assert_eq!(page.status, 200, "{}", page.body);
        page.assert_contains("USD 20.00");
        assert!(!page.body.contains("Record a payment"));
        assert!(!page.body.contains(r#"method="post" action="/invoices"#));
        assert!(!viewer
            .get("/invoices")
            .body
            .contains(r#"href="/invoices/new""#));
        assert!(!page.body.contains("/invoices/new"));
        let form = viewer.get("/invoices/new");
        assert_eq!(form.status, 200);
        form.assert_contains("You may read the book but not write to it");
        assert!(!form.body.contains(r#"id="invoice-form""#));
        let forms_csrf = page.csrf();
        let refused = viewer.post_form(
            &format!("/invoices/{current}/write-offs"),
            &[("csrf_token", &forms_csrf), ("reason", "no")],
        );
        assert_eq!(refused.status, 403, "{}", refused.body);

        // A payment on the current invoice, allocated oldest due first:
        // the late one is paid first, the rest goes to the current one.
        let paid = browser.post_form(
            &format!("/invoices/{current}/payments"),
            &[
                ("csrf_token", csrf.as_str()),
                ("amount", "15.00"),
                ("allocation", "oldest_due_first"),
            ],
        );
        assert_eq!(paid.status, 303, "{}", paid.body);
        assert_eq!(
            open_of(&browser.get(&format!("/invoices/{late}"))),
            "USD 0.00"
        );
        assert_eq!(
            open_of(&browser.get(&format!("/invoices/{current}"))),
            "USD 15.00"
        );

        // Pages of 50, newest first, the filter kept on the next page.
        for i in 0..50 {
            let price = format!("{}.00", i + 1);
            let made = browser.post_json(
                "/api/v1/invoices",
                &csrf,
                json!({"customer": "ZED", "lines": [{"description": "Nails", "quantity": "1", "unit_price": price}]}),
            );
            assert_eq!(made.status, 201, "{}", made.body);
        }
        let first = browser.get("/invoices?customer=ZED");
        assert_eq!(first.body.matches(r#"<td class="code">"#).count(), 50);
        first.assert_contains("USD 50.00");
        assert!(!first.body.contains(&format!(">{late}<")));
        let next = text_between(&first.body, r#"<a href="/invoices?"#, "\"").replace("&amp;", "&");
        assert!(next.starts_with("customer=ZED&cursor="), "{next}");
        let second = browser.get(&format!("/invoices?{next}"));
        assert_eq!(second.status, 200, "{}", second.body);
        assert_eq!(second.body.matches(r#"<td class="code">"#).count(), 2);
        second.assert_contains(&format!(">{late}<"));
        second.assert_contains(&format!(">{current}<"));
        assert!(!second.body.contains(r#"rel="next""#));
    }
);

/// The live totals script and dun-core agree, line by line, on amounts
/// that round (half-even), on large ones and on unit prices with more
/// decimals than the currency; a price with too many is refused by both.
#[test]
fn the_script_computes_what_dun_core_computes() {
    use dun_core::invoice::{parse_quantity_e4, parse_tax_rate_ppm, InvoiceLine};
    use dun_core::money::UnitPrice;
    use dun_core::Currency;
    if std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("node is not installed; the script's arithmetic is not checked");
        return;
    }
    let cases: [(&str, &str, &str, &str); 15] = [
        ("USD", "0.5", "3.33", "10"),
        ("USD", "0.5", "0.01", ""),
        ("USD", "1.5", "0.01", "8.875"),
        ("USD", "12", "42.50", "20"),
        ("USD", "3.3333", "999999999.99", "19.6"),
        ("JPY", "2.5", "101", "10"),
        ("BHD", "1.2345", "10.125", "5"),
        ("USD", "7", "0.15", "12.5%"),
        // Finer than the currency: 3 × 13.333 = 39.999 → 40.00.
        ("EUR", "3", "13.333", "20"),
        ("EUR", "0.3333", "13.333", ""),
        ("EUR", "2.5", "1.234567", "20"),
        ("EUR", "1", "0.125", ""),
        ("JPY", "3", "101.5", "10"),
        ("BHD", "1.5", "1.2345678", "5"),
        // Refused by both: 7 decimals in EUR.
        ("EUR", "1", "13.1234567", ""),
    ];
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/invoice-form.js");
    let mut program = format!(
        "global.document = {{ getElementById: function () {{ return {{ getAttribute: function (n) {{ return n === 'data-exponent' ? process.argv[1] : n === 'data-price-extra-decimals' ? '{extra}' : process.argv[2]; }}, addEventListener: function () {{}}, querySelectorAll: function () {{ return []; }}, appendChild: function () {{}} }}; }}, createElement: function () {{ return {{}}; }} }};\n\
         const f = require({script:?});\n",
        extra = dun_core::money::UNIT_PRICE_EXTRA_DECIMALS_MAX
    );
    program.push_str("const l = f.line(process.argv[3], process.argv[4], process.argv[5]);\n");
    program.push_str(
        "console.log(l === null ? 'refused' : l.net.toString() + ' ' + l.tax.toString() + ' ' + f.money(l.net + l.tax));\n",
    );
    for (code, quantity, price, tax) in cases {
        let currency = Currency::parse(code).unwrap();
        let line = UnitPrice::parse(price, currency).ok().map(|price| {
            InvoiceLine::priced(
                "x",
                parse_quantity_e4(quantity).unwrap(),
                price,
                if tax.is_empty() {
                    0
                } else {
                    parse_tax_rate_ppm(tax).unwrap()
                },
            )
            .unwrap()
        });
        let out = std::process::Command::new("node")
            .args([
                "-e",
                &program,
                "--",
                &currency.exponent().to_string(),
                code,
                quantity,
                price,
                tax,
            ])
            .output()
            .expect("node runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let Some(line) = line else {
            assert_eq!(stdout.trim(), "refused", "{code} {quantity} × {price}");
            continue;
        };
        let grouped = {
            let text = dun_core::money::format_minor(line.net_minor() + line.tax_minor(), currency);
            let (whole, fraction) = text
                .split_once('.')
                .map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
            let mut g = String::new();
            for (i, c) in whole.chars().enumerate() {
                if i > 0 && (whole.len() - i) % 3 == 0 {
                    g.push(',');
                }
                g.push(c);
            }
            if let Some(f) = fraction {
                g.push('.');
                g.push_str(f);
            }
            format!("{code} {g}")
        };
        assert_eq!(
            stdout.trim(),
            format!("{} {} {}", line.net_minor(), line.tax_minor(), grouped),
            "{code} {quantity} × {price} at {tax} %"
        );
    }
}
