//! The stylesheet and the invoice form's script, compiled into the binary
//! and served with a long cache life; pages link them with a hash of their
//! content, so a new build's asset is a new address.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub const CSS: &str = include_str!("../assets/dun.css");
/// The draft invoice form's live totals (the form works without it).
pub const INVOICE_JS: &str = include_str!("../assets/invoice-form.js");
/// The policy editor's line numbers (the editor works without it).
pub const POLICY_EDITOR_JS: &str = include_str!("../assets/policy-editor.js");
/// The portal's card form (Stripe.js confirms the PaymentIntent).
pub const STRIPE_PAY_JS: &str = include_str!("../assets/stripe-pay.js");

/// FNV-1a of the stylesheet, computed when compiling.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

pub const CSS_HASH: u64 = fnv1a(CSS.as_bytes());
pub const INVOICE_JS_HASH: u64 = fnv1a(INVOICE_JS.as_bytes());
pub const POLICY_EDITOR_JS_HASH: u64 = fnv1a(POLICY_EDITOR_JS.as_bytes());
pub const STRIPE_PAY_JS_HASH: u64 = fnv1a(STRIPE_PAY_JS.as_bytes());

/// The address pages link the stylesheet by.
pub fn css_href() -> String {
    format!("/assets/dun.css?v={CSS_HASH:016x}")
}

/// The address the draft invoice form loads its script from.
pub fn invoice_js_href() -> String {
    format!("/assets/invoice-form.js?v={INVOICE_JS_HASH:016x}")
}

/// The address the policy editor loads its line numbers from.
pub fn policy_editor_js_href() -> String {
    format!("/assets/policy-editor.js?v={POLICY_EDITOR_JS_HASH:016x}")
}

/// The address the portal's card form loads its script from.
pub fn stripe_pay_js_href() -> String {
    format!("/assets/stripe-pay.js?v={STRIPE_PAY_JS_HASH:016x}")
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    response
}

pub async fn serve(Path(name): Path<String>) -> Response {
    match name.as_str() {
        "dun.css" => asset(CSS, "text/css; charset=utf-8"),
        "invoice-form.js" => asset(INVOICE_JS, "text/javascript; charset=utf-8"),
        "policy-editor.js" => asset(POLICY_EDITOR_JS, "text/javascript; charset=utf-8"),
        "stripe-pay.js" => asset(STRIPE_PAY_JS, "text/javascript; charset=utf-8"),
        _ => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
