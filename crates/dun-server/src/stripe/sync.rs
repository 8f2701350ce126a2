//! Healing missed webhooks (`dun stripe sync --since DATE`): the
//! PaymentIntents that succeeded at Stripe and that Dun made, but whose
//! `payment_intent.succeeded` never reached the webhook, are posted now —
//! through the very path the webhook takes (`event::map` then
//! `Store::apply_stripe_event`), so the rule of exactly once holds
//! across both:
//!
//! - each healed intent is kept as the event `sync_<intent id>`: a second
//!   sync finds that event and writes nothing;
//! - posting is once per intent whatever the event (the book's
//!   `posted_for`), so the webhook's own event arriving later, or a sync
//!   racing a webhook, posts nothing more.
//!
//! Reading Stripe's list page is pure ([`read_page`]); [`heal`] writes;
//! [`sync`] pages through Stripe (blocking: a CLI command or a blocking
//! thread).

use dun_core::Date;
use dun_store::stripe::EventOutcome;
use dun_store::{Store, StoreError};
use serde::Serialize;
use serde_json::{json, Value};

use super::client::{Client, ClientError};
use super::event::{map, EventError, META_ORG};

/// The prefix of the event a sync keeps for an intent it healed.
pub const SYNC_EVENT_PREFIX: &str = "sync_";
/// Most pages one sync reads (100 intents each): a bound, not a limit a
/// real account meets in a day's window.
pub const PAGES_MAX: usize = 1000;

/// One page of `GET /v1/payment_intents`.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    /// How many intents the page held.
    pub listed: usize,
    /// Those that succeeded.
    pub succeeded: Vec<Value>,
    /// The intent the next page starts after, when Stripe has more.
    pub next_after: Option<String>,
}

/// Reads a list page as Stripe answers it.
pub fn read_page(list: &Value) -> Result<Page, EventError> {
    let field = |name: &str, problem: &str| EventError::Field {
        field: name.to_string(),
        problem: problem.to_string(),
    };
    if list["object"].as_str() != Some("list") {
        return Err(field("object", "not a list"));
    }
    let data = list["data"]
        .as_array()
        .ok_or_else(|| field("data", "missing or not a list"))?;
    let has_more = list["has_more"]
        .as_bool()
        .ok_or_else(|| field("has_more", "missing or not true/false"))?;
    let next_after = if has_more {
        let last = data
            .last()
            .and_then(|i| i["id"].as_str())
            .ok_or_else(|| field("data", "more pages, but this one names no last intent"))?;
        Some(last.to_string())
    } else {
        None
    };
    Ok(Page {
        listed: data.len(),
        succeeded: data
            .iter()
            .filter(|i| i["status"].as_str() == Some("succeeded"))
            .cloned()
            .collect(),
        next_after,
    })
}

/// The event a succeeded intent stands for when its webhook never came:
/// what `payment_intent.succeeded` would have carried, under the id
/// `sync_<intent id>`, dated when the intent's charge was made (else when
/// the intent was).
pub fn event_for(intent: &Value) -> Value {
    let id = intent["id"].as_str().unwrap_or("");
    let created = intent["latest_charge"]["created"]
        .as_i64()
        .or_else(|| intent["created"].as_i64())
        .unwrap_or(0);
    json!({
        "id": format!("{SYNC_EVENT_PREFIX}{id}"),
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": created,
        "data": {"object": intent},
    })
}

/// What a sync did with one intent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Healed {
    pub intent_id: String,
    /// `posted`, `already posted`, `duplicate`, `review: …`, …
    pub result: String,
    pub payment_id: Option<i64>,
}

/// What a sync found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Intents Stripe listed.
    pub listed: usize,
    /// Succeeded intents of other systems or organisations, left alone.
    pub not_ours: usize,
    /// Succeeded intents Dun made, each with what was done.
    pub intents: Vec<Healed>,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0}")]
    Stripe(#[from] ClientError),
    #[error("Stripe's answer: {0}")]
    Answer(#[from] EventError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("stripe_secret_key: not set (dun org set --stripe-secret-key sk_…)")]
    NoKey,
    #[error("since: {0}")]
    Since(String),
    #[error("more than {PAGES_MAX} pages of PaymentIntents since that day: sync a shorter span")]
    TooMany,
}

/// Posts the succeeded intents Dun made for `org_id` that the book has
/// not posted, through the webhook's own path. Returns what each did.
pub fn heal(
    store: &mut Store,
    org_id: i64,
    intents: &[Value],
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let timezone = store.org_by_id(org_id)?.timezone;
    for intent in intents {
        if intent["metadata"][META_ORG].as_str() != Some(&org_id.to_string()) {
            report.not_ours += 1;
            continue;
        }
        let intent_id = intent["id"].as_str().unwrap_or("").to_string();
        if let Some(payment_id) = store.stripe_intent_progress(org_id, &intent_id)?.payment_id {
            report.intents.push(Healed {
                intent_id,
                result: "already posted".into(),
                payment_id: Some(payment_id),
            });
            continue;
        }
        let event = event_for(intent);
        let created = event["created"].as_i64().unwrap_or(0);
        let date = super::date_in(created, &timezone).map_err(SyncError::Since)?;
        let mapped = map(&event, org_id, date)?;
        let outcome = store.apply_stripe_event(org_id, &mapped)?;
        let (result, payment_id) = match &outcome {
            EventOutcome::Posted { payment_id } => ("posted".to_string(), Some(*payment_id)),
            EventOutcome::Duplicate => ("duplicate".to_string(), None),
            EventOutcome::Ignored => ("already posted".to_string(), None),
            EventOutcome::Review { reason } => (format!("review: {reason}"), None),
            other => (format!("{other:?}"), None),
        };
        report.intents.push(Healed {
            intent_id,
            result,
            payment_id,
        });
    }
    Ok(())
}

/// The first second of `since` in `timezone`, as unix seconds.
pub fn start_of(since: Date, timezone: &str) -> Result<i64, SyncError> {
    let day: jiff::civil::Date = since
        .to_string()
        .parse()
        .map_err(|e: jiff::Error| SyncError::Since(e.to_string()))?;
    let zoned = day
        .in_tz(timezone)
        .map_err(|e| SyncError::Since(e.to_string()))?;
    Ok(zoned.timestamp().as_second())
}

/// Lists the intents created since `since` (in the organisation's zone)
/// at Stripe, page by page, and heals those whose webhook never came.
pub fn sync(
    store: &mut Store,
    api_base: &str,
    org_id: i64,
    since: Date,
) -> Result<SyncReport, SyncError> {
    let secret_key = store
        .stripe_keys(org_id)?
        .secret_key
        .ok_or(SyncError::NoKey)?;
    let timezone = store.org_by_id(org_id)?.timezone;
    let created_gte = start_of(since, &timezone)?;
    let client = Client::new(api_base, &secret_key);
    let mut report = SyncReport::default();
    let mut after: Option<String> = None;
    for _ in 0..PAGES_MAX {
        let page = read_page(&client.payment_intents_since(created_gte, after.as_deref())?)?;
        report.listed += page.listed;
        let before = report.intents.len();
        heal(store, org_id, &page.succeeded, &mut report)?;
        // Stripe's fee beside each payment posted now, as the webhook
        // keeps it; best effort (a fee not settled yet is not known).
        for healed in &report.intents[before..] {
            if healed.result == "posted" {
                if let Ok(Some((fee, currency))) = client.fee(&healed.intent_id) {
                    let event_id = format!("{SYNC_EVENT_PREFIX}{}", healed.intent_id);
                    store.set_stripe_fee(org_id, &event_id, fee, currency)?;
                }
            }
        }
        match page.next_after {
            Some(next) => after = Some(next),
            None => return Ok(report),
        }
    }
    Err(SyncError::TooMany)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stripe's own answer to `GET /v1/payment_intents`, as its API
    /// reference records it (docs.stripe.com/api/payment_intents/list,
    /// API version 2026-01-28.clover): one intent, not paid.
    const RECORDED_LIST: &str =
        include_str!("../../tests/fixtures/stripe/list_payment_intents.json");

    #[test]
    fn stripe_s_recorded_list_page_is_read() {
        let page = read_page(&serde_json::from_str(RECORDED_LIST).unwrap()).unwrap();
        assert_eq!(page.listed, 1);
        // Its one intent waits for a card: nothing to heal.
        assert!(page.succeeded.is_empty());
        assert_eq!(page.next_after, None);
    }

    #[test]
    fn more_pages_start_after_the_last_intent() {
        let mut list: Value = serde_json::from_str(RECORDED_LIST).unwrap();
        list["has_more"] = json!(true);
        list["data"][0]["status"] = json!("succeeded");
        let page = read_page(&list).unwrap();
        assert_eq!(
            page.next_after.as_deref(),
            Some("pi_3MtwBwLkdIwHu7ix28a3tqPa")
        );
        assert_eq!(page.succeeded.len(), 1);
        list["data"] = json!([]);
        assert!(read_page(&list).is_err(), "more pages but no last intent");
        assert!(read_page(&json!({"object": "payment_intent"})).is_err());
    }

    #[test]
    fn a_healed_intent_is_the_event_stripe_would_have_sent() {
        let mut list: Value = serde_json::from_str(RECORDED_LIST).unwrap();
        let intent = &mut list["data"][0];
        intent["status"] = json!("succeeded");
        intent["amount_received"] = json!(2000);
        intent["metadata"] =
            json!({"dun_org": "7", "dun_customer": "C-1", "dun_invoices": "INV-1"});
        let event = event_for(intent);
        assert_eq!(event["id"], json!("sync_pi_3MtwBwLkdIwHu7ix28a3tqPa"));
        assert_eq!(event["created"], json!(1680800504));
        let day = Date::parse("2023-04-06").unwrap();
        let mapped = map(&event, 7, day).unwrap();
        match mapped.kind {
            dun_store::stripe::StripeEventKind::PaymentSucceeded {
                intent_id,
                amount_minor,
                customer_ref,
                invoices,
                ..
            } => {
                assert_eq!(intent_id, "pi_3MtwBwLkdIwHu7ix28a3tqPa");
                assert_eq!(amount_minor, 2000);
                assert_eq!(customer_ref, "C-1");
                assert_eq!(invoices, vec!["INV-1".to_string()]);
            }
            other => panic!("{other:?}"),
        }
        // Another organisation's intent is not this one's to post.
        assert_eq!(
            map(&event, 8, day).unwrap().kind,
            dun_store::stripe::StripeEventKind::Other
        );
    }

    #[test]
    fn since_is_the_first_second_of_the_day_in_the_zone() {
        let day = Date::parse("2026-12-07").unwrap();
        assert_eq!(start_of(day, "UTC").unwrap(), 1_796_601_600);
        assert_eq!(
            start_of(day, "Europe/Berlin").unwrap(),
            1_796_601_600 - 3600
        );
    }
}
