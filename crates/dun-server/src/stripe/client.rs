//! The seam to Stripe's API: creating a PaymentIntent (and, for tests and
//! tools, reading one). Blocking (ureq): it runs on a blocking thread,
//! never on the SQLite writer. The server's `stripe_api_base`
//! (`DUN_STRIPE_API_BASE`) points it elsewhere (a local fake in tests); the secret key is sent, never logged.

use std::time::Duration;

use dun_core::online::PayRequest;
use dun_core::Currency;
use serde_json::Value;

use super::event::{META_CUSTOMER, META_INVOICES, META_ORG};

/// Stripe's API.
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";
/// Longest a call to Stripe may take, in seconds.
pub const TIMEOUT_SECONDS: u64 = 20;
/// Most objects one list page asks for (Stripe's maximum).
pub const LIST_LIMIT: usize = 100;
/// Longest answer read from Stripe, in bytes.
pub const ANSWER_BYTES_MAX: u64 = 8 * 1024 * 1024;

/// A PaymentIntent as Dun needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intent {
    pub id: String,
    pub status: String,
    /// What a payment page would give Stripe.js; never logged.
    pub client_secret: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("Stripe could not be reached: {0}")]
    Unreachable(String),
    #[error("Stripe refused ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("Stripe's answer was not understood: {0}")]
    Unreadable(String),
}

/// Calls Stripe with one organisation's secret key.
pub struct Client {
    base: String,
    secret_key: String,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// Currencies ISO 4217 counts in whole units that Stripe's API still
/// takes in hundredths, the hundredths always `00` ("ISK transitioned to a
/// zero-decimal currency, but backwards compatibility requires you to
/// represent it as a two-decimal value", the same for UGX:
/// docs.stripe.com/currencies#special-cases). HUF and TWD are charged in
/// two decimals there as ISO has them (only payouts differ): nothing to
/// convert.
pub const STRIPE_HUNDREDTHS: [&str; 2] = ["ISK", "UGX"];

fn in_hundredths(currency: Currency) -> bool {
    STRIPE_HUNDREDTHS.contains(&currency.code()) && currency.exponent() == 0
}

/// Dun's minor units of `currency` as Stripe's API counts them (ISK 5 is
/// `500`); every other currency as it is. Saturates rather than wraps:
/// Stripe refuses an amount of more than eight digits anyway.
pub fn to_stripe_amount(currency: Currency, minor: i64) -> i64 {
    if in_hundredths(currency) {
        minor.saturating_mul(100)
    } else {
        minor
    }
}

/// An amount Stripe's API gives in `currency`, in Dun's minor units; for
/// ISK and UGX it must be whole units (a multiple of 100).
pub fn from_stripe_amount(currency: Currency, amount: i64) -> Result<i64, String> {
    if !in_hundredths(currency) {
        return Ok(amount);
    }
    if amount % 100 != 0 {
        return Err(format!(
            "{amount} is not a whole number of {} in Stripe's units (hundredths, always 00)",
            currency.code()
        ));
    }
    Ok(amount / 100)
}

/// The form fields of a PaymentIntent for `request` (Stripe's API takes
/// form encoding; metadata as `metadata[key]`).
pub fn intent_form(org_id: i64, customer_ref: &str, request: &PayRequest) -> Vec<(String, String)> {
    vec![
        (
            "amount".into(),
            to_stripe_amount(request.currency, request.amount_minor).to_string(),
        ),
        (
            "currency".into(),
            request.currency.code().to_ascii_lowercase(),
        ),
        (format!("metadata[{META_ORG}]"), org_id.to_string()),
        (
            format!("metadata[{META_CUSTOMER}]"),
            customer_ref.to_string(),
        ),
        (
            format!("metadata[{META_INVOICES}]"),
            request.invoices.join(","),
        ),
    ]
}

impl Client {
    pub fn new(base: &str, secret_key: &str) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(TIMEOUT_SECONDS)))
            .build()
            .into();
        Client {
            base: base.trim_end_matches('/').to_string(),
            secret_key: secret_key.to_string(),
            agent,
        }
    }

    /// Creates a PaymentIntent. The same `idempotency_key` twice (a double
    /// click) gets the first intent back from Stripe, not a second one.
    pub fn create_payment_intent(
        &self,
        form: &[(String, String)],
        idempotency_key: &str,
    ) -> Result<Intent, ClientError> {
        self.post("/v1/payment_intents", form, Some(idempotency_key))
    }

    /// POSTs `form` to `path` and reads the object answered.
    pub fn post(
        &self,
        path: &str,
        form: &[(String, String)],
        idempotency_key: Option<&str>,
    ) -> Result<Intent, ClientError> {
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {}", self.secret_key));
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request
            .send_form(form.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        read(response)
    }

    /// Stripe's fee for a PaymentIntent's charge, in the balance's
    /// currency: `None` while Stripe has not settled it.
    pub fn fee(&self, intent_id: &str) -> Result<Option<(i64, Currency)>, ClientError> {
        let response = self
            .agent
            .get(format!(
                "{}/v1/payment_intents/{intent_id}?expand[]=latest_charge.balance_transaction",
                self.base
            ))
            .header("Authorization", format!("Bearer {}", self.secret_key))
            .call()
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        let body = read_json(response)?;
        Ok(fee_of(&body))
    }

    /// One page (at most [`LIST_LIMIT`]) of the PaymentIntents created at
    /// or after `created_gte` (unix seconds), newest first, after the
    /// intent `starting_after` (Stripe's paging): the list object as
    /// Stripe answers it (see `sync::read_page`).
    pub fn payment_intents_since(
        &self,
        created_gte: i64,
        starting_after: Option<&str>,
    ) -> Result<Value, ClientError> {
        let mut url = format!(
            "{}/v1/payment_intents?limit={LIST_LIMIT}&created[gte]={created_gte}",
            self.base
        );
        if let Some(after) = starting_after {
            url.push_str(&format!("&starting_after={after}"));
        }
        let response = self
            .agent
            .get(url)
            .header("Authorization", format!("Bearer {}", self.secret_key))
            .call()
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        read_json(response)
    }

    /// A PaymentIntent as Stripe answers it (all its fields).
    pub fn payment_intent_json(&self, id: &str) -> Result<Value, ClientError> {
        let response = self
            .agent
            .get(format!("{}/v1/payment_intents/{id}", self.base))
            .header("Authorization", format!("Bearer {}", self.secret_key))
            .call()
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        read_json(response)
    }

    /// Reads a PaymentIntent.
    pub fn payment_intent(&self, id: &str) -> Result<Intent, ClientError> {
        let response = self
            .agent
            .get(format!("{}/v1/payment_intents/{id}", self.base))
            .header("Authorization", format!("Bearer {}", self.secret_key))
            .call()
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        read(response)
    }
}

/// The fee in an intent read with its charge's balance transaction expanded.
pub fn fee_of(intent: &Value) -> Option<(i64, Currency)> {
    let txn = &intent["latest_charge"]["balance_transaction"];
    let currency = Currency::parse(&txn["currency"].as_str()?.to_ascii_uppercase()).ok()?;
    let fee = from_stripe_amount(currency, txn["fee"].as_i64()?).ok()?;
    Some((fee, currency))
}

fn read(response: ureq::http::Response<ureq::Body>) -> Result<Intent, ClientError> {
    let body = read_json(response)?;
    let id = body["id"]
        .as_str()
        .ok_or_else(|| ClientError::Unreadable("no id".into()))?;
    Ok(Intent {
        id: id.to_string(),
        status: body["status"].as_str().unwrap_or("").to_string(),
        client_secret: body["client_secret"].as_str().map(str::to_string),
    })
}

fn read_json(mut response: ureq::http::Response<ureq::Body>) -> Result<Value, ClientError> {
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(ANSWER_BYTES_MAX)
        .read_to_string()
        .map_err(|e| ClientError::Unreadable(e.to_string()))?;
    let body: Value =
        serde_json::from_str(&text).map_err(|e| ClientError::Unreadable(e.to_string()))?;
    if !(200..300).contains(&status) {
        let message = body["error"]["message"]
            .as_str()
            .unwrap_or("no message")
            .chars()
            .take(300)
            .collect();
        return Err(ClientError::Refused { status, message });
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fee_is_read_from_the_expanded_balance_transaction() {
        let intent = serde_json::json!({"id": "pi_1", "latest_charge": {"id": "ch_1",
            "balance_transaction": {"id": "txn_1", "fee": 66, "currency": "eur"}}});
        assert_eq!(fee_of(&intent), Some((66, Currency::parse("EUR").unwrap())));
        let unsettled =
            serde_json::json!({"id": "pi_1", "latest_charge": {"balance_transaction": "txn_1"}});
        assert_eq!(fee_of(&unsettled), None);
    }

    #[test]
    fn isk_and_ugx_go_to_stripe_in_hundredths_huf_and_twd_as_they_are() {
        let c = |code: &str| Currency::parse(code).unwrap();
        // Stripe's examples: "to charge 5 ISK, provide an amount value of 500".
        assert_eq!(to_stripe_amount(c("ISK"), 5), 500);
        assert_eq!(to_stripe_amount(c("UGX"), 5), 500);
        assert_eq!(from_stripe_amount(c("ISK"), 500), Ok(5));
        assert!(
            from_stripe_amount(c("UGX"), 550).is_err(),
            "no fractions of UGX"
        );
        // Two-decimal for charges, as ISO has them.
        assert_eq!(to_stripe_amount(c("HUF"), 1045), 1045);
        assert_eq!(to_stripe_amount(c("TWD"), 80045), 80045);
        assert_eq!(from_stripe_amount(c("HUF"), 1045), Ok(1045));
        // Zero-decimal at Stripe and in ISO alike.
        assert_eq!(to_stripe_amount(c("JPY"), 500), 500);
        assert_eq!(to_stripe_amount(c("EUR"), 1250), 1250);
        let form = intent_form(
            1,
            "C-1",
            &PayRequest {
                currency: c("ISK"),
                amount_minor: 12_500,
                invoices: vec!["INV-1".into()],
            },
        );
        assert!(form.contains(&("amount".to_string(), "1250000".to_string())));
        let intent = serde_json::json!({"latest_charge": {"balance_transaction":
            {"fee": 3_900, "currency": "isk"}}});
        assert_eq!(fee_of(&intent), Some((39, c("ISK"))));
    }

    #[test]
    fn the_form_carries_minor_units_a_lowercase_currency_and_dun_metadata() {
        let form = intent_form(
            7,
            "C-1",
            &PayRequest {
                currency: Currency::parse("EUR").unwrap(),
                amount_minor: 1250,
                invoices: vec!["INV-1".into(), "INV-2".into()],
            },
        );
        let get = |k: &str| {
            form.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("amount"), Some("1250"));
        assert_eq!(get("currency"), Some("eur"));
        assert_eq!(get("metadata[dun_org]"), Some("7"));
        assert_eq!(get("metadata[dun_customer]"), Some("C-1"));
        assert_eq!(get("metadata[dun_invoices]"), Some("INV-1,INV-2"));
    }
}
