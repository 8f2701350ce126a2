//! Paying online from the customer portal (issue 19): the Pay button on
//! the portal page (one invoice or everything open) and on an invoice's
//! page. Dun creates a Stripe PaymentIntent for what is open, under a key
//! that makes a double click, a reload or a second tab the same intent,
//! and shows the payment's own page, which says when the money has come.
//! The payment is posted by Stripe's webhook alone (`dun_server::stripe`),
//! never by this page: what the browser says proves nothing.
//!
//! *Invariants:* everything is scoped by the verified link, as the rest of
//! the portal; an intent's page opens only for the customer it was made
//! for; the secret key never reaches a page. Stripe is called from a
//! blocking thread, never inside a database transaction or the SQLite
//! writer.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use dun_core::customer::PaymentMethod;
use dun_core::online::{pay_request, PayChoice, PayRequest, Payable};
use dun_server::app::AppState;
use dun_server::stripe::card_form::content_security_policy;
use dun_server::stripe::client::{intent_form, Client};
use dun_server::stripe::idempotency_key;
use dun_store::invoices::InvoiceSummary;
use dun_store::stripe::StoredIntent;
use maud::{html, Markup};
use serde::Deserialize;

use crate::layout::{encode, money};
use crate::portal::{
    cross_site, cross_site_refused, frame, not_found, open_invoices, page, private, refusal,
    trouble, visitor, Refused,
};

/// The form value that asks to pay everything open.
const ALL: &str = "all";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/{token}/pay", post(pay))
        .route("/portal/{token}/pay/{intent}", get(show))
}

/// Whether the portal offers card payment to this visitor: the
/// organisation takes payment online (its Stripe key is set) and the
/// customer's accepted payment methods include card (or are not limited).
pub(crate) fn online_for(
    store: &mut dun_store::Store,
    v: &crate::portal::Visitor,
) -> Result<bool, dun_store::StoreError> {
    Ok(store.stripe_keys(v.org.id)?.secret_key.is_some()
        && PaymentMethod::Card.accepted_by(v.customer.payment_methods.as_deref()))
}

/// The Pay form on the portal page: everything open (when it is in one
/// currency) or one invoice. Nothing when the organisation takes no
/// online payment or nothing is open.
pub(crate) fn pay_form(base: &str, invoices: &[InvoiceSummary]) -> Markup {
    let payables = payables(invoices);
    let balance = pay_request(&payables, &PayChoice::Balance).ok();
    html! {
        @if !payables.is_empty() {
            form.stack #pay-online method="post" action=(format!("{base}/pay")) {
                label for="pay_invoice" { "Pay online by card" }
                select #pay_invoice name="invoice" {
                    @if let Some(all) = &balance {
                        option value=(ALL) { "Everything open — " (money(all.amount_minor, all.currency)) }
                    }
                    @for p in &payables {
                        option value=(p.number) { (p.number) " — " (money(p.open_minor, p.currency)) }
                    }
                }
                button.primary type="submit" { "Pay by card" }
            }
        }
    }
}

/// The Pay button on an invoice's page.
pub(crate) fn pay_invoice_button(base: &str, number: &str, open: &str) -> Markup {
    html! {
        form #pay-online method="post" action=(format!("{base}/pay")) {
            input type="hidden" name="invoice" value=(number);
            button.primary type="submit" { "Pay " (open) " by card" }
        }
    }
}

/// The card form: Stripe.js (from the configured URL) mounts the card
/// fields in `#card-element` and confirms the intent with its client
/// secret (assets/stripe-pay.js); hidden until the script shows it, so a
/// page whose Stripe.js did not load offers nothing that cannot work.
fn card_form(
    publishable_key: &str,
    client_secret: &str,
    status_url: &str,
    amount: &str,
    js_url: &str,
) -> Markup {
    html! {
        form.stack #card-form hidden data-publishable-key=(publishable_key)
            data-client-secret=(client_secret) data-status-url=(status_url) {
            label for="card-element" { "Card" }
            div #card-element {}
            p.notice.bad #card-errors role="alert" hidden {}
            button.primary #card-pay type="submit" { "Pay " (amount) }
        }
        script src=(js_url) {}
        script src=(crate::assets::stripe_pay_js_href()) {}
    }
}

fn payables(invoices: &[InvoiceSummary]) -> Vec<Payable> {
    invoices
        .iter()
        .filter_map(|i| {
            Some(Payable {
                number: i.number.clone()?,
                currency: i.currency,
                open_minor: i.open_minor,
            })
        })
        .filter(|p| p.open_minor > 0)
        .collect()
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct PayForm {
    #[serde(default)]
    invoice: String,
}

/// What the read before calling Stripe found.
enum Prepared {
    /// This request was made before: its intent.
    Made(String),
    /// A new intent to create.
    New {
        org_id: i64,
        customer_id: i64,
        customer_ref: String,
        secret_key: String,
        request: PayRequest,
        key: String,
    },
    /// Refused, with the page that says why.
    Refused(Response),
}

async fn pay(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<PayForm>,
) -> Response {
    if cross_site(&headers, &state.config.site_url()) {
        return cross_site_refused();
    }
    let path_token = token.clone();
    let prepared = state
        .pool
        .run(move |store| {
            let v = match visitor(store, &token) {
                Ok(v) => v,
                Err(r) => return Ok(Prepared::Refused(r.response())),
            };
            let Some(secret_key) = store.stripe_keys(v.org.id)?.secret_key else {
                return Ok(Prepared::Refused(refusal(
                    StatusCode::NOT_FOUND,
                    Some(&v.org.name),
                    "Online payment is not available",
                    &format!("{} does not take payment online yet. Please see How to pay on your account page.", v.org.name),
                )));
            };
            if !PaymentMethod::Card.accepted_by(v.customer.payment_methods.as_deref()) {
                return Ok(Prepared::Refused(refusal(
                    StatusCode::NOT_FOUND,
                    Some(&v.org.name),
                    "Card payment is not available",
                    &format!("{} has agreed other ways of payment with you: {}. Please see How to pay on your account page.", v.org.name, PaymentMethod::list_label(v.customer.payment_methods.as_deref())),
                )));
            }
            let invoices = open_invoices(store, &v)?;
            let choice = match form.invoice.trim() {
                "" | ALL => PayChoice::Balance,
                number => PayChoice::Invoice(number.to_string()),
            };
            let request = match pay_request(&payables(&invoices), &choice) {
                Ok(r) => r,
                Err(e) => {
                    return Ok(Prepared::Refused(refusal(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        Some(&v.org.name),
                        "This payment could not be started",
                        &format!("{e}."),
                    )))
                }
            };
            let key = idempotency_key(v.org.id, v.customer.id, &request);
            if let Some(made) = store.stripe_intent_by_key(v.org.id, &key)? {
                return Ok(Prepared::Made(made.intent_id));
            }
            Ok(Prepared::New {
                org_id: v.org.id,
                customer_id: v.customer.id,
                customer_ref: v.customer.reference.clone(),
                secret_key,
                request,
                key,
            })
        })
        .await;
    let intent_id = match prepared {
        Ok(Prepared::Made(id)) => id,
        Ok(Prepared::Refused(response)) => return response,
        Err(e) => return trouble(e),
        Ok(Prepared::New {
            org_id,
            customer_id,
            customer_ref,
            secret_key,
            request,
            key,
        }) => {
            let base = state.config.stripe_api_base.clone();
            let form = intent_form(org_id, &customer_ref, &request);
            let call_key = key.clone();
            let created = tokio::task::spawn_blocking(move || {
                Client::new(&base, &secret_key).create_payment_intent(&form, &call_key)
            })
            .await;
            let intent = match created {
                Ok(Ok(intent)) => intent,
                Ok(Err(e)) => return not_started(org_id, &e.to_string()),
                Err(e) => return not_started(org_id, &format!("the call did not finish: {e}")),
            };
            let stored = StoredIntent {
                intent_id: intent.id,
                idempotency_key: key,
                customer_id,
                currency: request.currency,
                amount_minor: request.amount_minor,
                invoices: request.invoices,
            };
            // Two presses at once both get here; with the same key Stripe
            // answers both with one intent, and the book keeps the first
            // it is told of: both are sent to that one.
            let client_secret = intent.client_secret;
            let kept = state
                .pool
                .write(move |store| {
                    store.save_stripe_intent(org_id, &stored)?;
                    if let Some(secret) = &client_secret {
                        store.set_stripe_client_secret(org_id, &stored.intent_id, secret)?;
                    }
                    Ok(store
                        .stripe_intent_by_key(org_id, &stored.idempotency_key)?
                        .map_or(stored.intent_id, |kept| kept.intent_id))
                })
                .await;
            match kept {
                Ok(id) => id,
                Err(e) => return trouble(e),
            }
        }
    };
    private(crate::see_other(&format!(
        "/portal/{}/pay/{}",
        encode(&path_token),
        encode(&intent_id)
    )))
}

/// Stripe did not make the intent: the customer is told nothing was
/// charged; the log says why (Stripe's words, never the key).
fn not_started(org_id: i64, problem: &str) -> Response {
    tracing::warn!(
        org_id,
        problem,
        "a Stripe PaymentIntent could not be created"
    );
    refusal(
        StatusCode::BAD_GATEWAY,
        None,
        "The payment could not be started",
        "The card payment service did not answer as expected. Nothing was charged. Please try again in a moment, or pay by bank transfer (see How to pay on your account page).",
    )
}

async fn show(
    State(state): State<AppState>,
    Path((token, intent_id)): Path<(String, String)>,
) -> Response {
    let js_url = state.config.stripe_js_url.clone();
    let done = state
        .pool
        .run(move |store| {
            let v = match visitor(store, &token) {
                Ok(v) => v,
                Err(r) => return Ok(Err(r)),
            };
            let intent = match store.stripe_intent(v.org.id, &intent_id)? {
                Some(i) if i.customer_id == v.customer.id => i,
                _ => return Ok(Ok((None, v.org.name))),
            };
            let progress = store.stripe_intent_progress(v.org.id, &intent_id)?;
            let publishable_key = store.stripe_keys(v.org.id)?.publishable_key;
            let client_secret = store.stripe_client_secret(v.org.id, &intent_id)?;
            let base = format!("/portal/{}", encode(&token));
            let c = intent.currency;
            let amount = money(intent.amount_minor, c);
            let paid = progress.payment_id.is_some() && !progress.refunded;
            let body = html! {
                p.crumbs { a href=(base) { "Your account" } " / Pay online" }
                h1 { "Pay " (amount) " online" }
                @if paid {
                    p.notice.ok role="status" #paid { "Thank you — your payment of " (amount) " has been received." }
                } @else if progress.refunded {
                    p.notice role="status" { "This payment was refunded to your card." }
                } @else if progress.failures > 0 {
                    p.notice.bad role="alert" { "Your card payment did not go through, and nothing was charged. You can try again with another card." }
                } @else {
                    p.notice role="status" #waiting { "Waiting for your card payment. This page shows it as soon as " (v.org.name) " has received it." }
                }
                dl.facts #intent {
                    dt { "Amount" } dd.num { (amount) }
                    dt { "For" } dd { @if intent.invoices.is_empty() { "your account" } @else { (intent.invoices.join(", ")) } }
                    dt { "Payment reference" } dd.code { (intent.intent_id) }
                }
                @if let (false, false, Some(key), Some(secret)) = (paid, progress.refunded, &publishable_key, &client_secret) {
                    (card_form(key, secret, &format!("{base}/pay/{}", encode(&intent.intent_id)), &amount, &js_url))
                }
                @if !paid {
                    p { a href=(format!("{base}/pay/{}", encode(&intent.intent_id))) { "Check again" } }
                }
                p { a href=(base) { "Back to your account" } }
            };
            let card = !paid && !progress.refunded && publishable_key.is_some() && client_secret.is_some();
            Ok(Ok((Some((frame(&v.org.name, "Pay online", body), card)), v.org.name.clone())))
        })
        .await;
    match done {
        Ok(Ok((Some((markup, false)), _))) => page(StatusCode::OK, markup),
        Ok(Ok((Some((markup, true)), _))) => {
            // Only this page, and only for Stripe.js's origins.
            let csp =
                content_security_policy(&state.config.stripe_js_url, &state.config.stripe_api_base);
            let mut response = page(StatusCode::OK, markup);
            if let Ok(value) = HeaderValue::from_str(&csp) {
                response
                    .headers_mut()
                    .insert(header::CONTENT_SECURITY_POLICY, value);
            }
            response
        }
        Ok(Ok((None, org))) => not_found(&org),
        Ok(Err(refused)) => Refused::response(refused),
        Err(e) => trouble(e),
    }
}
