//! Paying online from the customer portal, over real HTTP on both
//! engines, against a real localstripe: the Pay button creates one
//! PaymentIntent however often it is pressed, the customer's card pays it
//! (confirmed at localstripe as Stripe.js would), localstripe's signed
//! webhook posts the payment, and the portal shows the invoice paid; a
//! declined card leaves the invoice open; another customer's link opens
//! nothing of it; without keys there is no button.

mod common;

use common::localstripe::{wait_until, LocalStripe, SECRET_KEY, WEBHOOK_SECRET};
use common::{Browser, TestServer};
use dun_store::Store;
use serde_json::json;

const PASSWORD: &str = "correct horse battery";
/// How long a webhook may take to arrive (localstripe waits 1 s).
const DELIVERY_SECONDS: u64 = 20;

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

fn invoice(browser: &Browser, csrf: &str, customer: &str, price: &str) -> String {
    let page = browser.post_json(
        "/api/v1/invoices",
        csrf,
        json!({"customer": customer, "issue_date": "2026-01-05", "terms": "net30",
               "lines": [{"description": "Work", "quantity": "1", "unit_price": price}],
               "issue": true}),
    );
    assert_eq!(page.status, 201, "{}", page.body);
    let v: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    v["number"].as_str().unwrap().to_string()
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
    let start = rest.find("/portal/").expect("a portal address") + "/portal/".len();
    let end = rest[start..].find('"').expect("the value's end");
    rest[start..start + end].to_string()
}

/// The open-invoice rows of the portal page, by invoice number.
fn open_rows(browser: &Browser, token: &str) -> Vec<String> {
    let page = browser.get(&format!("/portal/{token}"));
    assert_eq!(page.status, 200, "{}", page.body);
    page.body
        .match_indices(r#"data-invoice=""#)
        .map(|(i, m)| {
            let rest = &page.body[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

fn run(url: &str) {
    let Some(stripe) = LocalStripe::start("the_pay_button_takes_a_card_payment_to_the_ledger")
    else {
        return;
    };
    let server = TestServer::start_with(url, |c| c.stripe_api_base = stripe.base.clone());
    stripe.register_webhook(&format!("{}/webhooks/stripe", server.base), WEBHOOK_SECRET);
    let (browser, csrf) = owner(&server);
    for (reference, name) in [("BOLT", "Bolt & Nut Supplies"), ("ZED", "Zed Hardware")] {
        let page = browser.post_json(
            "/api/v1/customers",
            &csrf,
            json!({"reference": reference, "name": name}),
        );
        assert_eq!(page.status, 201, "{}", page.body);
    }
    let first = invoice(&browser, &csrf, "BOLT", "125.00");
    let second = invoice(&browser, &csrf, "BOLT", "50.00");
    let token = portal_token(&browser, &csrf, "BOLT");
    let zed_token = portal_token(&browser, &csrf, "ZED");
    let customer = server.browser();

    // No keys: no button, and the route says so.
    let page = customer.get(&format!("/portal/{token}"));
    assert!(!page.body.contains("pay-online"), "{}", page.body);
    let refused = customer.post_form(&format!("/portal/{token}/pay"), &[("invoice", &first)]);
    assert_eq!(refused.status, 404, "{}", refused.body);

    let mut store = Store::connect(&server.database_url).expect("the book");
    let org_id = store.org(Some("Acme Tools")).unwrap().id;
    store
        .set_stripe_keys(org_id, Some(SECRET_KEY), Some(WEBHOOK_SECRET))
        .unwrap();

    // The button: everything open, or each invoice.
    let page = customer.get(&format!("/portal/{token}"));
    assert!(page.body.contains(r#"id="pay-online""#), "{}", page.body);
    assert!(
        page.body.contains("Everything open — USD 175.00"),
        "the balance is offered"
    );
    let invoice_page = customer.get(&format!("/portal/{token}/invoices/{first}"));
    assert!(
        invoice_page.body.contains(r#"id="pay-online""#),
        "{}",
        invoice_page.body
    );

    // Pressed twice: one intent, the same page.
    let pressed = customer.post_form(&format!("/portal/{token}/pay"), &[("invoice", &first)]);
    assert_eq!(pressed.status, 303, "{}", pressed.body);
    let again = customer.post_form(&format!("/portal/{token}/pay"), &[("invoice", &first)]);
    assert_eq!(again.location, pressed.location);
    let location = pressed
        .location
        .clone()
        .expect("where the payment is shown");
    let intent_id = location.rsplit('/').next().unwrap().to_string();
    assert!(intent_id.starts_with("pi_"), "{location}");
    let intents = stripe.get("/v1/payment_intents?limit=100");
    assert_eq!(intents["data"].as_array().unwrap().len(), 1, "{intents}");
    assert_eq!(intents["data"][0]["amount"], json!(12500));
    assert_eq!(intents["data"][0]["currency"], json!("usd"));
    assert_eq!(
        intents["data"][0]["metadata"]["dun_customer"],
        json!("BOLT")
    );
    assert_eq!(intents["data"][0]["metadata"]["dun_invoices"], json!(first));
    let waiting = customer.get(&location);
    assert_eq!(waiting.status, 200, "{}", waiting.body);
    assert!(waiting.body.contains(r#"id="waiting""#), "{}", waiting.body);
    // Another customer's link opens nothing of it.
    let other = customer.get(&format!("/portal/{zed_token}/pay/{intent_id}"));
    assert_eq!(other.status, 404, "{}", other.body);

    // The customer's card pays; the webhook posts; the portal shows it.
    let (status, paid) = stripe.pay(&intent_id, "pm_card_visa");
    assert_eq!(status, 200, "{paid}");
    wait_until(DELIVERY_SECONDS, "the portal to show the payment", || {
        customer.get(&location).body.contains(r#"id="paid""#)
    });
    assert_eq!(open_rows(&customer, &token), vec![second.clone()]);
    let invoice_page = customer.get(&format!("/portal/{token}/invoices/{first}"));
    assert!(
        invoice_page
            .body
            .contains("Nothing is open on this invoice"),
        "{}",
        invoice_page.body
    );
    assert_eq!(store.payments(org_id, 100).unwrap().len(), 1);

    // Everything open (now the second invoice), by a card that is declined.
    // Pressed twice at the same moment: both are sent to one intent.
    let pay_all = format!("/portal/{token}/pay");
    let start = std::sync::Barrier::new(2);
    let (pressed, twin) = std::thread::scope(|scope| {
        let press = || {
            start.wait();
            customer.post_form(&pay_all, &[("invoice", "all")])
        };
        let one = scope.spawn(press);
        let two = scope.spawn(press);
        (one.join().unwrap(), two.join().unwrap())
    });
    assert_eq!(pressed.status, 303, "{}", pressed.body);
    assert_eq!(twin.location, pressed.location);
    let location = pressed.location.expect("where the payment is shown");
    let declined_id = location.rsplit('/').next().unwrap().to_string();
    assert_ne!(declined_id, intent_id);
    let (status, _) = stripe.pay(&declined_id, "pm_card_chargeCustomerFail");
    assert_eq!(status, 402);
    wait_until(DELIVERY_SECONDS, "the portal to show the failure", || {
        customer.get(&location).body.contains("did not go through")
    });
    assert_eq!(open_rows(&customer, &token), vec![second]);
    assert_eq!(store.payments(org_id, 100).unwrap().len(), 1);
}

mod the_pay_button_takes_a_card_payment_to_the_ledger {
    #[test]
    fn sqlite() {
        crate::common::store::on_sqlite(
            "the_pay_button_takes_a_card_payment_to_the_ledger",
            super::run,
        );
    }

    #[test]
    fn postgres() {
        crate::common::store::on_postgres(
            "the_pay_button_takes_a_card_payment_to_the_ledger",
            super::run,
        );
    }
}

/// Stripe unreachable: the customer is told nothing was charged, and the
/// book keeps no intent.
fn unreachable(url: &str) {
    // Port 9 (discard) on loopback: nothing listens there.
    let server = TestServer::start_with(url, |c| c.stripe_api_base = "http://127.0.0.1:9".into());
    let (browser, csrf) = owner(&server);
    let page = browser.post_json(
        "/api/v1/customers",
        &csrf,
        json!({"reference": "BOLT", "name": "Bolt & Nut Supplies"}),
    );
    assert_eq!(page.status, 201, "{}", page.body);
    let first = invoice(&browser, &csrf, "BOLT", "125.00");
    let token = portal_token(&browser, &csrf, "BOLT");
    let mut store = Store::connect(&server.database_url).expect("the book");
    let org_id = store.org(Some("Acme Tools")).unwrap().id;
    store
        .set_stripe_keys(org_id, Some(SECRET_KEY), Some(WEBHOOK_SECRET))
        .unwrap();
    let customer = server.browser();
    let refused = customer.post_form(&format!("/portal/{token}/pay"), &[("invoice", &first)]);
    assert_eq!(refused.status, 502, "{}", refused.body);
    assert!(
        refused.body.contains("Nothing was charged"),
        "{}",
        refused.body
    );
    assert!(!refused.body.contains(SECRET_KEY));
    assert_eq!(open_rows(&customer, &token), vec![first]);
}

mod stripe_unreachable_starts_nothing {
    #[test]
    fn sqlite() {
        crate::common::store::on_sqlite("stripe_unreachable_starts_nothing", super::unreachable);
    }

    #[test]
    fn postgres() {
        crate::common::store::on_postgres("stripe_unreachable_starts_nothing", super::unreachable);
    }
}
