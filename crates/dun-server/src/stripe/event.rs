//! Reading a verified Stripe event (JSON) into what the book applies.
//! Pure: the organisation's id and the date the event happened on (in the
//! organisation's zone) are the caller's.

use dun_core::{Currency, Date};
use dun_store::stripe::{StripeEvent, StripeEventKind};
use serde_json::Value;

/// The metadata keys Dun writes on a PaymentIntent it creates.
pub const META_ORG: &str = "dun_org";
pub const META_CUSTOMER: &str = "dun_customer";
pub const META_INVOICES: &str = "dun_invoices";

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("body: not a Stripe event (JSON with id, type, created and data.object)")]
    NotAnEvent,
    #[error("{field}: {problem}")]
    Field { field: String, problem: String },
}

fn field(field: &str, problem: impl Into<String>) -> EventError {
    EventError::Field {
        field: field.to_string(),
        problem: problem.into(),
    }
}

/// The event's id, type and creation time (unix seconds).
pub fn header(body: &Value) -> Result<(String, String, i64), EventError> {
    let id = body["id"].as_str().ok_or(EventError::NotAnEvent)?;
    let kind = body["type"].as_str().ok_or(EventError::NotAnEvent)?;
    let created = body["created"].as_i64().ok_or(EventError::NotAnEvent)?;
    if !body["data"]["object"].is_object() {
        return Err(EventError::NotAnEvent);
    }
    Ok((id.to_string(), kind.to_string(), created))
}

fn text<'a>(object: &'a Value, name: &str) -> Result<&'a str, EventError> {
    object[name]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| field(&format!("data.object.{name}"), "missing or not text"))
}

fn minor(object: &Value, name: &str) -> Result<i64, EventError> {
    object[name].as_i64().ok_or_else(|| {
        field(
            &format!("data.object.{name}"),
            "missing or not a whole number of minor units",
        )
    })
}

/// `name` of `object`, an amount in Stripe's units of `currency`, in
/// Dun's minor units (`client::from_stripe_amount`).
fn amount(object: &Value, name: &str, currency: Currency) -> Result<i64, EventError> {
    super::client::from_stripe_amount(currency, minor(object, name)?)
        .map_err(|problem| field(&format!("data.object.{name}"), problem))
}

fn currency(object: &Value) -> Result<Currency, EventError> {
    let code = text(object, "currency")?;
    Currency::parse(&code.to_ascii_uppercase())
        .map_err(|e| field("data.object.currency", e.to_string()))
}

/// Maps a verified event for organisation `org_id`, which happened on
/// `date`. An event that is not about a payment Dun asked for (another
/// system's, on the same Stripe account; another organisation's) is
/// `Other`: kept, nothing done.
pub fn map(body: &Value, org_id: i64, date: Date) -> Result<StripeEvent, EventError> {
    let (id, event_type, _) = header(body)?;
    let object = &body["data"]["object"];
    let ours = |object: &Value| object["metadata"][META_ORG].as_str() == Some(&org_id.to_string());
    let kind = match event_type.as_str() {
        "payment_intent.succeeded" if ours(object) => {
            let meta = &object["metadata"];
            let customer_ref = meta[META_CUSTOMER]
                .as_str()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| field("data.object.metadata.dun_customer", "missing"))?;
            let invoices = meta[META_INVOICES]
                .as_str()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect();
            // What was received; a PaymentIntent's `amount` when an older
            // API version (or a fake) leaves `amount_received` out.
            let currency = currency(object)?;
            let received = if object["amount_received"].as_i64().is_some_and(|a| a > 0) {
                "amount_received"
            } else {
                "amount"
            };
            let amount_minor = amount(object, received, currency)?;
            let method = object["payment_method_types"][0]
                .as_str()
                .unwrap_or("card")
                .to_string();
            StripeEventKind::PaymentSucceeded {
                intent_id: text(object, "id")?.to_string(),
                currency,
                amount_minor,
                customer_ref: customer_ref.to_string(),
                invoices,
                method,
                received_date: date,
            }
        }
        "payment_intent.payment_failed" if ours(object) => StripeEventKind::PaymentFailed {
            intent_id: text(object, "id")?.to_string(),
            reason: object["last_payment_error"]["message"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        },
        "charge.refunded" => match object["payment_intent"].as_str() {
            // Whether it is Dun's is decided by the intent: the book knows
            // the intents it posted.
            Some(intent) if !intent.is_empty() => StripeEventKind::Refunded {
                intent_id: intent.to_string(),
                charge_id: text(object, "id")?.to_string(),
                currency: currency(object)?,
                refunded_minor: amount(object, "amount_refunded", currency(object)?)?,
                date,
            },
            _ => StripeEventKind::Other,
        },
        // A dispute names its PaymentIntent (API versions since 2019); one
        // that does not is left to a person in Stripe's dashboard.
        "charge.dispute.created" | "charge.dispute.closed" => {
            match object["payment_intent"].as_str() {
                Some(intent) if !intent.is_empty() => StripeEventKind::Disputed {
                    intent_id: intent.to_string(),
                    dispute_id: text(object, "id")?.to_string(),
                    currency: currency(object)?,
                    amount_minor: amount(object, "amount", currency(object)?)?,
                    reason: object["reason"]
                        .as_str()
                        .unwrap_or("no reason given")
                        .to_string(),
                    lost: (event_type == "charge.dispute.closed")
                        .then(|| object["status"].as_str() == Some("lost")),
                    date,
                },
                _ => StripeEventKind::Other,
            }
        }
        _ => StripeEventKind::Other,
    };
    Ok(StripeEvent {
        id,
        event_type,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day() -> Date {
        Date::parse("2026-12-07").unwrap()
    }

    fn succeeded(org: &str) -> Value {
        json!({"id": "evt_1", "type": "payment_intent.succeeded", "created": 1_700_000_000,
               "data": {"object": {"id": "pi_1", "object": "payment_intent", "amount": 1250,
                  "currency": "eur", "payment_method_types": ["card"],
                  "metadata": {"dun_org": org, "dun_customer": "C-1", "dun_invoices": "INV-1, INV-2"}}}})
    }

    #[test]
    fn a_succeeded_intent_is_a_payment_for_its_invoices() {
        let e = map(&succeeded("7"), 7, day()).unwrap();
        assert_eq!(e.id, "evt_1");
        assert_eq!(
            e.kind,
            StripeEventKind::PaymentSucceeded {
                intent_id: "pi_1".into(),
                currency: Currency::parse("EUR").unwrap(),
                amount_minor: 1250,
                customer_ref: "C-1".into(),
                invoices: vec!["INV-1".into(), "INV-2".into()],
                method: "card".into(),
                received_date: day(),
            }
        );
    }

    #[test]
    fn isk_amounts_come_from_stripe_in_hundredths() {
        let mut event = succeeded("7");
        event["data"]["object"]["currency"] = json!("isk");
        event["data"]["object"]["amount"] = json!(1_250_000);
        event["data"]["object"]["amount_received"] = json!(1_250_000);
        match map(&event, 7, day()).unwrap().kind {
            StripeEventKind::PaymentSucceeded { amount_minor, .. } => {
                assert_eq!(amount_minor, 12_500)
            }
            other => panic!("{other:?}"),
        }
        event["data"]["object"]["amount_received"] = json!(1_250_050);
        let refused = map(&event, 7, day()).unwrap_err().to_string();
        assert!(
            refused.contains("data.object.amount_received") && refused.contains("ISK"),
            "{refused}"
        );
    }

    #[test]
    fn another_organisations_or_systems_intent_is_other() {
        assert_eq!(
            map(&succeeded("8"), 7, day()).unwrap().kind,
            StripeEventKind::Other
        );
        let mut foreign = succeeded("7");
        foreign["data"]["object"]["metadata"] = json!({});
        assert_eq!(
            map(&foreign, 7, day()).unwrap().kind,
            StripeEventKind::Other
        );
    }

    #[test]
    fn a_refund_names_its_intent_and_what_is_refunded_so_far() {
        let body = json!({"id": "evt_2", "type": "charge.refunded", "created": 1,
            "data": {"object": {"id": "ch_1", "payment_intent": "pi_1", "amount": 1250,
                "amount_refunded": 250, "currency": "usd"}}});
        assert_eq!(
            map(&body, 7, day()).unwrap().kind,
            StripeEventKind::Refunded {
                intent_id: "pi_1".into(),
                charge_id: "ch_1".into(),
                currency: Currency::parse("USD").unwrap(),
                refunded_minor: 250,
                date: day(),
            }
        );
    }

    #[test]
    fn a_dispute_is_opened_then_lost_or_won() {
        let dispute = |kind: &str, status: &str| {
            json!({"id": "evt_3", "type": kind, "created": 1,
                "data": {"object": {"id": "dp_1", "object": "dispute", "charge": "ch_1",
                    "payment_intent": "pi_1", "amount": 1250, "currency": "eur",
                    "reason": "fraudulent", "status": status}}})
        };
        let lost_of = |body: Value| match map(&body, 7, day()).unwrap().kind {
            StripeEventKind::Disputed {
                lost, amount_minor, ..
            } => {
                assert_eq!(amount_minor, 1250);
                lost
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            lost_of(dispute("charge.dispute.created", "needs_response")),
            None
        );
        assert_eq!(
            lost_of(dispute("charge.dispute.closed", "lost")),
            Some(true)
        );
        assert_eq!(
            lost_of(dispute("charge.dispute.closed", "won")),
            Some(false)
        );
        let mut no_intent = dispute("charge.dispute.created", "needs_response");
        no_intent["data"]["object"]["payment_intent"] = Value::Null;
        assert_eq!(
            map(&no_intent, 7, day()).unwrap().kind,
            StripeEventKind::Other
        );
    }

    #[test]
    fn what_is_not_an_event_is_refused_and_bad_fields_are_named() {
        assert_eq!(
            map(&json!({"id": "x"}), 7, day()),
            Err(EventError::NotAnEvent)
        );
        let mut bad = succeeded("7");
        bad["data"]["object"]["currency"] = json!("zzz");
        assert!(
            matches!(map(&bad, 7, day()), Err(EventError::Field { field, .. }) if field == "data.object.currency")
        );
        let mut no_customer = succeeded("7");
        no_customer["data"]["object"]["metadata"]["dun_customer"] = json!("");
        assert!(map(&no_customer, 7, day()).is_err());
    }
}
