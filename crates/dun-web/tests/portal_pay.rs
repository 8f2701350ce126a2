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
    let js_url = format!("{}/js.stripe.com/v3/", stripe.base);
    let server = TestServer::start_with(url, |c| {
        c.stripe_api_base = stripe.base.clone();
        c.stripe_js_url = js_url.clone();
    });
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
    // No publishable key: no card form, and Dun's own CSP.
    assert!(!waiting.body.contains("card-form"), "{}", waiting.body);
    let strict = waiting.header("content-security-policy").expect("a CSP");
    assert!(!strict.contains(&stripe.base), "{strict}");
    store
        .set_stripe_publishable_key(org_id, "pk_test_dun")
        .unwrap();
    // With it: the card form, given this intent's client secret, Stripe.js
    // from the configured URL and the form's script; the CSP widened on
    // this page only, to localstripe's origin only.
    let client_secret = stripe.get(&format!("/v1/payment_intents/{intent_id}"))["client_secret"]
        .as_str()
        .expect("the intent's client secret")
        .to_string();
    let form = customer.get(&location);
    assert!(form.body.contains(r#"id="card-form""#), "{}", form.body);
    assert!(
        form.body.contains(r#"data-publishable-key="pk_test_dun""#),
        "{}",
        form.body
    );
    assert!(
        form.body
            .contains(&format!(r#"data-client-secret="{client_secret}""#)),
        "{}",
        form.body
    );
    assert!(
        form.body.contains(&format!(r#"<script src="{js_url}">"#)),
        "{}",
        form.body
    );
    assert!(
        form.body
            .contains(r#"<script src="/assets/stripe-pay.js?v="#),
        "{}",
        form.body
    );
    let csp = form.header("content-security-policy").expect("a CSP");
    let origin = &stripe.base;
    assert!(
        csp.contains(&format!("script-src 'self' {origin};")),
        "{csp}"
    );
    assert!(csp.contains(&format!("frame-src {origin};")), "{csp}");
    assert!(
        csp.contains(&format!("connect-src 'self' {origin};")),
        "{csp}"
    );
    assert!(
        !csp.contains("unsafe") && !csp.contains("stripe.com"),
        "{csp}"
    );
    let home = customer.get(&format!("/portal/{token}"));
    let home_csp = home.header("content-security-policy").expect("a CSP");
    assert!(!home_csp.contains(origin.as_str()), "{home_csp}");
    let script = customer.get("/assets/stripe-pay.js");
    assert_eq!(script.status, 200);
    assert!(
        script.body.contains("confirmCardPayment"),
        "{}",
        script.body
    );
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
    // Paid: no card form any more, and Dun's own CSP again.
    let paid_page = customer.get(&location);
    assert!(!paid_page.body.contains("card-form"), "{}", paid_page.body);
    let csp = paid_page.header("content-security-policy").expect("a CSP");
    assert!(!csp.contains(origin.as_str()), "{csp}");
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

    // The card payment's page shows what Stripe kept (localstripe keeps 0)
    // once the webhook has read it.
    wait_until(DELIVERY_SECONDS, "Stripe's fee to be kept", || {
        store
            .stripe_events(org_id)
            .unwrap()
            .iter()
            .any(|e| e.fee_minor.is_some())
    });
    let paid_id = store.payments(org_id, 100).unwrap()[0].0;
    let shown = browser.get(&format!("/payments/{paid_id}"));
    assert!(
        shown
            .body
            .contains(r#"<dd id="payment-stripe-fee">USD 0.00</dd>"#),
        "{}",
        shown.body
    );

    // The payments page lists the Stripe events kept for a person: none
    // so far; then one Dun could not apply (a customer it does not know).
    let payments = browser.get("/payments");
    assert!(
        !payments.body.contains("stripe-review"),
        "{}",
        payments.body
    );
    let ghost = dun_store::stripe::StripeEvent {
        id: "evt_ghost".into(),
        event_type: "payment_intent.succeeded".into(),
        kind: dun_store::stripe::StripeEventKind::PaymentSucceeded {
            intent_id: "pi_ghost".into(),
            currency: dun_core::Currency::parse("USD").unwrap(),
            amount_minor: 10_00,
            customer_ref: "GHOST".into(),
            invoices: vec![],
            method: "card".into(),
            received_date: dun_core::Date::parse("2026-02-01").unwrap(),
        },
    };
    store
        .apply_stripe_event(org_id, &ghost)
        .expect("kept for review");
    let payments = browser.get("/payments");
    assert_eq!(payments.status, 200, "{}", payments.body);
    let at = payments
        .body
        .find(r#"id="stripe-review""#)
        .unwrap_or_else(|| panic!("no review list: {}", payments.body));
    let section = &payments.body[at..];
    let section = &section[..section.find("</section>").expect("the section's end")];
    assert!(
        section.contains("evt_ghost") && section.contains("pi_ghost") && section.contains("GHOST"),
        "{section}"
    );
    assert!(
        !section.contains(&intent_id),
        "only the event for review: {section}"
    );
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

/// Why the card form cannot be driven in Chromium here, if it cannot.
fn missing_browser() -> Option<String> {
    let node = std::process::Command::new("node")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    if !node.is_ok_and(|s| s.success()) {
        return Some("node is not on the PATH (apt-get install nodejs npm)".into());
    }
    if !browser_dir().join("node_modules/playwright-core").is_dir() {
        return Some("no playwright-core (npm ci --prefix crates/dun-web/browser)".into());
    }
    if !std::path::Path::new(CHROMIUM).exists() {
        return Some(format!("{CHROMIUM} is missing (apt-get install chromium)"));
    }
    None
}

const CHROMIUM: &str = "/usr/bin/chromium";

fn browser_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("browser")
}

/// Drives the payment page at `url` in Chromium (browser/pay.mjs): types
/// `card`, presses Pay, answers localstripe's authentication question;
/// the page must end by saying `expect` (paid / refused). Its output.
fn pay_in_chromium(
    url: &str,
    card: &str,
    expect: &str,
    screenshot: Option<&std::path::Path>,
) -> String {
    let mut node = std::process::Command::new("node");
    node.arg("pay.mjs")
        .current_dir(browser_dir())
        .env("PAY_URL", url)
        .env("CARD", card)
        .env("EXPECT", expect)
        .env("CHROMIUM", CHROMIUM);
    if let Some(path) = screenshot {
        node.env("SCREENSHOT", path);
    }
    let out = node.output().expect("run node pay.mjs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "pay.mjs ({expect}) failed:\n{text}");
    text
}

/// The card form in Chromium against localstripe: Stripe.js (localstripe's
/// stand-in) loads from the configured origin under the page's CSP with
/// no violation, mounts the card fields, and the Pay button confirms the
/// PaymentIntent with its client secret at localstripe; the webhook posts
/// the payment and the page says received. localstripe's stand-in does
/// not send the card typed (its `confirmCardPayment` only completes a
/// 3-D Secure step of an intent that has a card), so the paid intent is
/// first given a card needing 3-D Secure, as Stripe's side; an intent
/// without one is refused by localstripe — the page says the card was not
/// charged, and nothing is posted.
fn chromium(url: &str) {
    const NAME: &str = "the_card_form_pays_in_chromium";
    if let Some(reason) = missing_browser() {
        let message = format!("SKIPPED {NAME} (browser): {reason}");
        if std::env::var("DUN_TEST_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("{message}, and DUN_TEST_REQUIRE_TOOLS=1 requires it");
        }
        // To stderr itself: libtest keeps a passing test's eprintln! from
        // the person running `cargo test`, and a skip must be seen.
        {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "{message}");
        }
        return;
    }
    let Some(stripe) = LocalStripe::start(NAME) else {
        return;
    };
    let server = TestServer::start_with(url, |c| {
        c.stripe_api_base = stripe.base.clone();
        c.stripe_js_url = format!("{}/js.stripe.com/v3/", stripe.base);
    });
    stripe.register_webhook(&format!("{}/webhooks/stripe", server.base), WEBHOOK_SECRET);
    let (browser, csrf) = owner(&server);
    let page = browser.post_json(
        "/api/v1/customers",
        &csrf,
        json!({"reference": "BOLT", "name": "Bolt & Nut Supplies"}),
    );
    assert_eq!(page.status, 201, "{}", page.body);
    let first = invoice(&browser, &csrf, "BOLT", "125.00");
    let second = invoice(&browser, &csrf, "BOLT", "50.00");
    let token = portal_token(&browser, &csrf, "BOLT");
    let mut store = Store::connect(&server.database_url).expect("the book");
    let org_id = store.org(Some("Acme Tools")).unwrap().id;
    store
        .set_stripe_keys(org_id, Some(SECRET_KEY), Some(WEBHOOK_SECRET))
        .unwrap();
    store
        .set_stripe_publishable_key(org_id, "pk_test_dun")
        .unwrap();
    let customer = server.browser();
    let press = |number: &str| {
        let pressed = customer.post_form(&format!("/portal/{token}/pay"), &[("invoice", number)]);
        assert_eq!(pressed.status, 303, "{}", pressed.body);
        format!(
            "{}{}",
            server.base,
            pressed.location.expect("the payment's page")
        )
    };

    // A declined card: refused on the page, nothing posted.
    let declined = press(&second);
    let said = pay_in_chromium(&declined, "4000000000000002", "refused", None);
    assert!(said.contains("Your card was not charged"), "{said}");
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(store.payments(org_id, 100).unwrap().len(), 0);

    // Paid: the intent has a card that needs 3-D Secure; the customer
    // completes it on the page.
    let paid = press(&first);
    let intent_id = paid.rsplit('/').next().unwrap().to_string();
    let (status, method) = stripe.post(
        "/v1/payment_methods",
        &[
            ("type", "card"),
            ("card[number]", "4000002500003155"),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2034"),
            ("card[cvc]", "123"),
        ],
    );
    assert_eq!(status, 200, "{method}");
    let (status, waiting) = stripe.pay(&intent_id, method["id"].as_str().unwrap());
    assert_eq!(status, 200, "{waiting}");
    assert_eq!(waiting["status"], json!("requires_action"), "{waiting}");
    let screenshot = std::env::var("DUN_UPDATE_SCREENSHOTS")
        .is_ok_and(|v| v == "1")
        .then(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../docs/screenshots/portal-pay-card.png")
        });
    let said = pay_in_chromium(&paid, "4242424242424242", "paid", screenshot.as_deref());
    assert!(said.contains("has been received"), "{said}");
    assert_eq!(store.payments(org_id, 100).unwrap().len(), 1);
    assert_eq!(open_rows(&customer, &token), vec![second]);
}

mod the_card_form_pays_in_chromium {
    #[test]
    fn sqlite() {
        crate::common::store::on_sqlite("the_card_form_pays_in_chromium", super::chromium);
    }

    #[test]
    fn postgres() {
        crate::common::store::on_postgres("the_card_form_pays_in_chromium", super::chromium);
    }
}
