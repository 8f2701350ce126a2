//! Online payment through Stripe, end to end over HTTP on both engines:
//! a PaymentIntent created by Dun's client at a real localstripe,
//! confirmed with a test card, its signed webhook delivered by localstripe
//! to the server's `POST /webhooks/stripe`, the payment posted once; the
//! same event again posts nothing; a bad signature is refused and writes
//! nothing; a declined card posts nothing; 20 events delivered 5
//! times each at once post exactly 20 payments; and a payment whose
//! webhook never came is posted by `stripe sync`, once.

// Amounts are written as money reads: `125_00` is 125.00.
#![allow(clippy::inconsistent_digit_grouping)]

mod common;

use common::localstripe::{wait_until, LocalStripe, SECRET_KEY, WEBHOOK_SECRET};
use common::{Api, TestServer};
use dun_core::online::{pay_request, PayChoice, Payable};
use dun_core::Currency;
use dun_server::stripe::client::{intent_form, Client};
use dun_server::stripe::signature::sign;
use dun_server::stripe::{idempotency_key, WEBHOOK_BODY_BYTES_MAX, WEBHOOK_PATH};
use dun_store::Store;
use serde_json::{json, Value};

/// How long a webhook may take to arrive (localstripe waits 1 s).
const DELIVERY_SECONDS: u64 = 20;

struct Book {
    api: Api,
    store: Store,
    org_id: i64,
    number: String,
}

/// An organisation with Stripe keys, customer C-1 and one invoice of 125.00 open.
fn book(server: &TestServer) -> Book {
    let api = server.owner("Acme");
    let (status, body) = api.post(
        "/api/v1/customers",
        json!({"reference": "C-1", "name": "Client One", "terms": "net30"}),
    );
    assert_eq!(status, 201, "{body}");
    let (status, invoice) = api.post(
        "/api/v1/invoices",
        json!({"customer": "C-1", "issue_date": "2026-01-05", "terms": "net30",
               "lines": [{"description": "Work", "quantity": "1", "unit_price": "125.00"}],
               "issue": true}),
    );
    assert_eq!(status, 201, "{invoice}");
    let mut store = Store::connect(&server.database_url).expect("the book");
    let org_id = store.org(Some("Acme")).expect("the organisation").id;
    store
        .set_stripe_keys(org_id, Some(SECRET_KEY), Some(WEBHOOK_SECRET))
        .expect("set the keys");
    Book {
        api,
        store,
        org_id,
        number: invoice["number"].as_str().expect("a number").to_string(),
    }
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Delivers `body` to the webhook as Stripe would, signed with `secret`.
fn deliver(server: &TestServer, body: &str, secret: &str, t: i64) -> (u16, Value) {
    let signature = format!("t={t},v1={}", sign(secret, t, body.as_bytes()));
    let reply = server.anonymous().send_raw(
        "POST",
        WEBHOOK_PATH,
        Some(body),
        "application/json",
        &[("Stripe-Signature", signature.as_str())],
    );
    (reply.status, reply.body)
}

fn payments(store: &mut Store, org_id: i64) -> usize {
    store.payments(org_id, 1000).expect("payments").len()
}

fn events_with(store: &mut Store, org_id: i64, status: &str) -> usize {
    store
        .stripe_events(org_id)
        .expect("events")
        .iter()
        .filter(|e| e.status == status)
        .count()
}

/// A payment_intent.succeeded event as Stripe sends it, for C-1.
fn succeeded_event(org_id: i64, event: &str, intent: &str, amount: i64, invoices: &str) -> String {
    json!({"id": event, "object": "event", "type": "payment_intent.succeeded", "created": now(),
           "data": {"object": {"id": intent, "object": "payment_intent", "amount": amount,
               "amount_received": amount, "currency": "usd", "status": "succeeded",
               "metadata": {"dun_org": org_id.to_string(), "dun_customer": "C-1", "dun_invoices": invoices}}}})
    .to_string()
}

/// The server for a test that talks to localstripe: its Stripe is there.
fn with_localstripe(url: &str, test: &str, scenario: fn(&TestServer, &LocalStripe)) {
    let Some(stripe) = LocalStripe::start(test) else {
        return;
    };
    let mut config = common::test_config(url);
    config.stripe_api_base = stripe.base.clone();
    let server = TestServer::start_with(config);
    scenario(&server, &stripe);
}

mod a_card_payment_posts_once_and_pays_the_invoice {
    const NAME: &str = "a_card_payment_posts_once_and_pays_the_invoice";

    fn run(url: &str) {
        super::with_localstripe(url, NAME, super::card_payment);
    }

    #[test]
    fn sqlite() {
        crate::common::store::on_sqlite(NAME, run);
    }

    #[test]
    fn postgres() {
        crate::common::store::on_postgres(NAME, run);
    }
}

mod a_missed_webhook_is_healed_by_sync_once {
    const NAME: &str = "a_missed_webhook_is_healed_by_sync_once";

    fn run(url: &str) {
        super::with_localstripe(url, NAME, super::missed_webhook);
    }

    #[test]
    fn sqlite() {
        crate::common::store::on_sqlite(NAME, run);
    }

    #[test]
    fn postgres() {
        crate::common::store::on_postgres(NAME, run);
    }
}

/// A card payment whose webhook never reached Dun (no endpoint was
/// registered at localstripe): what `stripe sync` reads of Stripe heals
/// it, once; syncing again and the webhook's own event arriving late post
/// nothing more. localstripe lists PaymentIntents (paging with
/// `starting_after`) but refuses Stripe's `created[gte]` filter, so the
/// list is read here without it; the filter's page is Stripe's recorded
/// answer in `sync`'s unit tests.
fn missed_webhook(server: &TestServer, stripe: &LocalStripe) {
    use dun_server::stripe::sync::{heal, read_page, SyncReport};
    let Book {
        api,
        mut store,
        org_id,
        number,
    } = book(server);
    let usd = Currency::parse("USD").unwrap();
    let open = [Payable {
        number: number.clone(),
        currency: usd,
        open_minor: 125_00,
    }];
    let request = pay_request(&open, &PayChoice::Invoice(number.clone())).unwrap();
    let client = Client::new(&stripe.base, SECRET_KEY);
    let intent = client
        .create_payment_intent(
            &intent_form(org_id, "C-1", &request),
            &idempotency_key(org_id, 1, &request),
        )
        .expect("an intent");
    // Two more intents nobody paid, so that the list has pages.
    for cents in [1_00, 2_00] {
        let small = dun_core::online::PayRequest {
            currency: usd,
            amount_minor: cents,
            invoices: vec![],
        };
        client
            .create_payment_intent(
                &intent_form(org_id, "C-1", &small),
                &idempotency_key(org_id, 1, &small),
            )
            .expect("an intent");
    }
    let (status, paid) = stripe.pay(&intent.id, "pm_card_visa");
    assert_eq!(
        (status, paid["status"].as_str()),
        (200, Some("succeeded")),
        "{paid}"
    );
    assert_eq!(payments(&mut store, org_id), 0, "no webhook came");

    // Stripe's list, a page of one intent at a time, as sync walks it.
    let mut succeeded = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &after {
            Some(id) => format!("/v1/payment_intents?limit=1&starting_after={id}"),
            None => "/v1/payment_intents?limit=1".to_string(),
        };
        let page = read_page(&stripe.get(&path)).expect("a list page");
        pages += 1;
        succeeded.extend(page.succeeded);
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(succeeded.len(), 1);

    let mut report = SyncReport::default();
    heal(&mut store, org_id, &succeeded, &mut report).expect("healed");
    assert_eq!(report.intents.len(), 1, "{report:?}");
    assert_eq!(report.intents[0].result, "posted", "{report:?}");
    assert_eq!(payments(&mut store, org_id), 1);
    let (_, shown) = api.get(&format!("/api/v1/invoices/{number}"));
    assert_eq!(shown["status"], json!("paid"), "{shown}");
    let events = store.stripe_events(org_id).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_id, format!("sync_{}", intent.id));

    // Synced again: nothing more.
    let mut again = SyncReport::default();
    heal(&mut store, org_id, &succeeded, &mut again).expect("healed");
    assert_eq!(again.intents[0].result, "already posted", "{again:?}");
    assert_eq!(payments(&mut store, org_id), 1);

    // The webhook's own event, arriving after the sync: nothing more.
    let event = stripe
        .events()
        .into_iter()
        .find(|e| e["type"] == "payment_intent.succeeded")
        .expect("the event at localstripe");
    let (status, answer) = deliver(server, &event.to_string(), WEBHOOK_SECRET, now());
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["result"]["outcome"], json!("ignored"), "{answer}");
    assert_eq!(payments(&mut store, org_id), 1);
    let (_, listed) = api.get("/api/v1/payments");
    assert_eq!(
        listed.to_string().matches(&intent.id).count(),
        1,
        "{listed}"
    );
}

fn card_payment(server: &TestServer, stripe: &LocalStripe) {
    {
        let Book {
            api,
            mut store,
            org_id,
            number,
        } = book(server);
        stripe.register_webhook(&format!("{}{WEBHOOK_PATH}", server.base), WEBHOOK_SECRET);

        // What the portal's Pay button does: the request, its key, the intent.
        let usd = Currency::parse("USD").unwrap();
        let open = [Payable {
            number: number.clone(),
            currency: usd,
            open_minor: 125_00,
        }];
        let request = pay_request(&open, &PayChoice::Invoice(number.clone())).unwrap();
        let key = idempotency_key(org_id, 1, &request);
        let client = Client::new(&stripe.base, SECRET_KEY);
        let intent = client
            .create_payment_intent(&intent_form(org_id, "C-1", &request), &key)
            .expect("an intent");
        assert_eq!(intent.status, "requires_payment_method");

        // The customer pays with a good card; localstripe sends the event.
        let (status, paid) = stripe.pay(&intent.id, "pm_card_visa");
        assert_eq!(
            (status, paid["status"].as_str()),
            (200, Some("succeeded")),
            "{paid}"
        );
        wait_until(DELIVERY_SECONDS, "the payment to be posted", || {
            events_with(&mut store, org_id, "posted") == 1
        });
        assert_eq!(payments(&mut store, org_id), 1);
        // Stripe's fee (localstripe's is 0) is kept beside the payment,
        // read from Stripe once the payment is posted.
        wait_until(DELIVERY_SECONDS, "the fee to be kept", || {
            store.stripe_events(org_id).unwrap()[0].fee_minor.is_some()
        });
        let posted = store.stripe_events(org_id).unwrap();
        assert_eq!(
            (posted[0].fee_minor, posted[0].fee_currency.as_deref()),
            (Some(0), Some("USD")),
            "{posted:?}"
        );
        let (_, shown) = api.get(&format!("/api/v1/invoices/{number}"));
        assert_eq!(shown["open"], json!("0.00"), "{shown}");
        assert_eq!(shown["status"], json!("paid"), "{shown}");
        let (_, listed) = api.get("/api/v1/payments");
        let text = listed.to_string();
        assert!(text.contains(&intent.id) && text.contains("card"), "{text}");

        // The same event again (Stripe retries; an attacker replays it
        // inside the tolerance): nothing more.
        let event = stripe
            .events()
            .into_iter()
            .find(|e| e["type"] == "payment_intent.succeeded")
            .expect("the event at localstripe");
        let (status, answer) = deliver(server, &event.to_string(), WEBHOOK_SECRET, now());
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["result"]["outcome"], json!("duplicate"), "{answer}");
        assert_eq!(payments(&mut store, org_id), 1);

        // A declined card posts nothing.
        let small = dun_core::online::PayRequest {
            currency: usd,
            amount_minor: 10_00,
            invoices: vec![],
        };
        let declined = client
            .create_payment_intent(&intent_form(org_id, "C-1", &small), "declined-1")
            .expect("an intent");
        let (status, _) = stripe.pay(&declined.id, "pm_card_chargeCustomerFail");
        assert_eq!(status, 402);
        wait_until(DELIVERY_SECONDS, "the failure to be kept", || {
            events_with(&mut store, org_id, "failed") == 1
        });
        assert_eq!(payments(&mut store, org_id), 1);
    }
}

server_test!(
    fn a_bad_signature_is_refused_and_writes_nothing(server: &TestServer) {
        let Book {
            mut store,
            org_id,
            number,
            ..
        } = book(server);
        let body = succeeded_event(org_id, "evt_forged", "pi_forged", 125_00, &number);
        for (secret, t, why) in [
            ("whsec_someone_else", now(), "another secret"),
            (WEBHOOK_SECRET, now() - 3600, "signed an hour ago"),
        ] {
            let (status, answer) = deliver(server, &body, secret, t);
            assert_eq!(status, 400, "{why}: {answer}");
            assert_eq!(answer["field"], json!("Stripe-Signature"), "{answer}");
        }
        // Signed, then changed.
        let t = now();
        let signature = format!("t={t},v1={}", sign(WEBHOOK_SECRET, t, body.as_bytes()));
        let changed = body.replace("12500", "1");
        for headers in [vec![("Stripe-Signature", signature.as_str())], vec![]] {
            let reply = server.anonymous().send_raw(
                "POST",
                WEBHOOK_PATH,
                Some(&changed),
                "application/json",
                &headers,
            );
            assert_eq!(reply.status, 400, "{}", reply.body);
        }
        // Too large: refused before anything is read.
        let big = "x".repeat(WEBHOOK_BODY_BYTES_MAX + 1);
        let (status, _) = deliver(server, &big, WEBHOOK_SECRET, now());
        assert_eq!(status, 413);
        assert_eq!(payments(&mut store, org_id), 0);
        assert!(store.stripe_events(org_id).unwrap().is_empty());
        // The genuine one goes through.
        let (status, answer) = deliver(server, &body, WEBHOOK_SECRET, now());
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["result"]["outcome"], json!("posted"), "{answer}");
    }
);

server_test!(
    fn twenty_events_delivered_five_times_at_once_post_twenty_payments(server: &TestServer) {
        const EVENTS: usize = 20;
        const DELIVERIES: usize = 5;
        let Book {
            mut store, org_id, ..
        } = book(server);
        for i in 0..EVENTS {
            let body = succeeded_event(org_id, &format!("evt_{i}"), &format!("pi_{i}"), 1_00, "");
            let start = std::sync::Barrier::new(DELIVERIES);
            std::thread::scope(|scope| {
                for _ in 0..DELIVERIES {
                    let (body, start) = (&body, &start);
                    scope.spawn(move || {
                        start.wait();
                        // As Stripe does, a busy answer is delivered again.
                        for _ in 0..50 {
                            let (status, answer) = deliver(server, body, WEBHOOK_SECRET, now());
                            if status == 200 {
                                return;
                            }
                            assert_eq!(status, 503, "{answer}");
                            std::thread::sleep(std::time::Duration::from_millis(50));
                        }
                        panic!("never delivered");
                    });
                }
            });
        }
        assert_eq!(payments(&mut store, org_id), EVENTS);
        assert_eq!(events_with(&mut store, org_id, "posted"), EVENTS);
        assert_eq!(store.stripe_events(org_id).unwrap().len(), EVENTS);
    }
);

server_test!(
    fn organisations_sharing_an_endpoint_each_get_their_own_payments(server: &TestServer) {
        let Book {
            mut store, org_id, ..
        } = book(server);
        // A second organisation on the same Stripe account: the same
        // endpoint, so the same signing secret, and a customer C-1 too.
        let other = store
            .create_org(&dun_store::orgs::NewOrg {
                name: "Other".into(),
                currency: Currency::parse("USD").unwrap(),
                timezone: "UTC".into(),
                invoice_prefix: "OTH-".into(),
            })
            .unwrap();
        store
            .add_customer(
                other.id,
                &dun_core::import::CustomerRow {
                    row: 1,
                    reference: "C-1".into(),
                    name: "Other's client".into(),
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
        store
            .set_stripe_keys(other.id, Some(SECRET_KEY), Some(WEBHOOK_SECRET))
            .unwrap();
        let body = succeeded_event(other.id, "evt_other", "pi_other", 7_00, "");
        let (status, answer) = deliver(server, &body, WEBHOOK_SECRET, now());
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["result"]["outcome"], json!("posted"), "{answer}");
        assert_eq!(payments(&mut store, other.id), 1);
        assert_eq!(payments(&mut store, org_id), 0);
        assert_eq!(events_with(&mut store, org_id, "ignored"), 1);
    }
);
