//! `dun org set --stripe-secret-key … --stripe-webhook-secret …`: the keys
//! are stored for the organisation, shown only as set or not set (table
//! and JSON), checked before anything is written, and cleared with "".

mod common;

use common::{backends, fails, ok};

const SECRET_KEY: &str = "sk_test_never_shown_123";
const WEBHOOK_SECRET: &str = "whsec_never_shown_456";

#[test]
fn stripe_keys_are_stored_and_never_shown() {
    for db in backends("stripe_keys_are_stored_and_never_shown") {
        let label = db.label;
        ok(
            &db,
            &[
                "init",
                "--org",
                "Acme",
                "--currency",
                "USD",
                "--timezone",
                "UTC",
            ],
        );
        let shown = ok(&db, &["org", "show"]);
        assert!(shown.contains("stripe secret key"), "[{label}] {shown}");
        assert!(shown.contains("not set"), "[{label}] {shown}");

        let said = ok(
            &db,
            &[
                "org",
                "set",
                "--stripe-secret-key",
                SECRET_KEY,
                "--stripe-webhook-secret",
                WEBHOOK_SECRET,
            ],
        );
        let json = ok(&db, &["org", "show", "--format", "json"]);
        for text in [&said, &json] {
            assert!(
                !text.contains(SECRET_KEY) && !text.contains(WEBHOOK_SECRET),
                "[{label}] a key was shown: {text}"
            );
        }
        let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        assert_eq!(v["stripe"]["secret_key"], "set", "[{label}] {json}");
        assert_eq!(v["stripe"]["webhook_secret"], "set", "[{label}] {json}");
        let mut store = dun_store::Store::open(&db.url).expect("the store");
        let org = store.org(None).expect("the organisation");
        let keys = store.stripe_keys(org.id).expect("the keys");
        assert_eq!(keys.secret_key.as_deref(), Some(SECRET_KEY), "[{label}]");
        assert_eq!(
            keys.webhook_secret.as_deref(),
            Some(WEBHOOK_SECRET),
            "[{label}]"
        );

        // A publishable key is not a secret key: refused, naming the
        // field, not repeating the value, writing nothing (not even the
        // address given beside it).
        let refused = fails(
            &db,
            &[
                "org",
                "set",
                "--city",
                "Paris",
                "--stripe-secret-key",
                "pk_live_oops",
            ],
        );
        assert!(refused.contains("stripe_secret_key"), "[{label}] {refused}");
        assert!(!refused.contains("pk_live_oops"), "[{label}] {refused}");
        let shown = ok(&db, &["org", "show", "--format", "json"]);
        assert!(!shown.contains("Paris"), "[{label}] {shown}");

        // The events received, and those for review.
        let events = ok(&db, &["stripe", "events", "--format", "json"]);
        assert_eq!(events.trim(), "[]", "[{label}] {events}");
        let event = dun_store::stripe::StripeEvent {
            id: "evt_1".into(),
            event_type: "payment_intent.succeeded".into(),
            kind: dun_store::stripe::StripeEventKind::PaymentSucceeded {
                intent_id: "pi_1".into(),
                currency: dun_core::Currency::parse("USD").unwrap(),
                amount_minor: 1000,
                customer_ref: "GHOST".into(),
                invoices: vec![],
                method: "card".into(),
                received_date: dun_core::Date::parse("2026-02-01").unwrap(),
            },
        };
        store
            .apply_stripe_event(org.id, &event)
            .expect("kept for review");
        let review = ok(&db, &["stripe", "events", "--status", "review"]);
        assert!(
            review.contains("evt_1") && review.contains("GHOST"),
            "[{label}] {review}"
        );
        let posted = ok(&db, &["stripe", "events", "--status", "posted"]);
        assert!(!posted.contains("evt_1"), "[{label}] {posted}");

        // "" clears one; the other is kept.
        ok(&db, &["org", "set", "--stripe-webhook-secret", ""]);
        let keys = store.stripe_keys(org.id).expect("the keys");
        assert_eq!(keys.secret_key.as_deref(), Some(SECRET_KEY), "[{label}]");
        assert_eq!(keys.webhook_secret, None, "[{label}]");

        // The publishable key is public: stored and shown back; a secret
        // key given for it is refused without being repeated.
        let refused = fails(&db, &["org", "set", "--stripe-publishable-key", SECRET_KEY]);
        assert!(
            refused.contains("stripe_publishable_key") && !refused.contains(SECRET_KEY),
            "[{label}] {refused}"
        );
        let said = ok(
            &db,
            &["org", "set", "--stripe-publishable-key", "pk_test_dun"],
        );
        assert!(said.contains("pk_test_dun"), "[{label}] {said}");
        let json = ok(&db, &["org", "show", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        assert_eq!(
            v["stripe"]["publishable_key"], "pk_test_dun",
            "[{label}] {json}"
        );
        let keys = store.stripe_keys(org.id).expect("the keys");
        assert_eq!(
            keys.publishable_key.as_deref(),
            Some("pk_test_dun"),
            "[{label}]"
        );
        assert_eq!(keys.secret_key.as_deref(), Some(SECRET_KEY), "[{label}]");
        ok(&db, &["org", "set", "--stripe-publishable-key", ""]);
        let keys = store.stripe_keys(org.id).expect("the keys");
        assert_eq!(keys.publishable_key, None, "[{label}]");
    }
}

/// `dun stripe sync` refuses what it cannot do, naming why, before it
/// calls Stripe: no secret key; a date that is not one.
#[test]
fn stripe_sync_says_what_it_needs() {
    for db in backends("stripe_sync_says_what_it_needs") {
        let label = db.label;
        ok(
            &db,
            &[
                "init",
                "--org",
                "Acme",
                "--currency",
                "USD",
                "--timezone",
                "UTC",
            ],
        );
        let refused = fails(&db, &["stripe", "sync", "--since", "2026-12-01"]);
        assert!(refused.contains("stripe_secret_key"), "[{label}] {refused}");
        ok(&db, &["org", "set", "--stripe-secret-key", SECRET_KEY]);
        let refused = fails(&db, &["stripe", "sync", "--since", "1 Dec"]);
        assert!(
            refused.contains("since")
                && refused.contains("'1 Dec'")
                && refused.contains("YYYY-MM-DD"),
            "[{label}] {refused}"
        );
    }
}
