//! Security headers on every response, staff page and API alike: a
//! Content-Security-Policy that allows no inline script and no framing,
//! `nosniff`, a referrer policy, and HSTS when the public URL is https.
//! A handler that sets one of them (the portal's own policy, a download)
//! keeps its own.

use axum::http::{HeaderName, HeaderValue};
use tower::layer::util::{Identity, Stack};
use tower::ServiceBuilder;
use tower_http::set_header::SetResponseHeaderLayer;

/// Scripts, styles, images and forms from Dun itself only; never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";
/// A year, with subdomains: once a browser has seen https, only https.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

type Header = SetResponseHeaderLayer<HeaderValue>;

fn header(name: &'static str, value: &'static str) -> Header {
    SetResponseHeaderLayer::if_not_present(
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    )
}

/// Four headers always, then HSTS or nothing.
type Layers = Stack<
    tower::util::Either<Header, Identity>,
    Stack<Header, Stack<Header, Stack<Header, Stack<Header, Identity>>>>,
>;

/// The layers; `hsts` when the server is reached over https.
pub fn security_headers(hsts: bool) -> ServiceBuilder<Layers> {
    ServiceBuilder::new()
        .layer(header("content-security-policy", CONTENT_SECURITY_POLICY))
        .layer(header("x-content-type-options", "nosniff"))
        .layer(header("x-frame-options", "DENY"))
        .layer(header("referrer-policy", "same-origin"))
        .option_layer(hsts.then(|| header("strict-transport-security", STRICT_TRANSPORT_SECURITY)))
}
