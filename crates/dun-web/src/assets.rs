//! The stylesheet, compiled into the binary and served with a long cache
//! life; pages link it with a hash of its content, so a new build's
//! stylesheet is a new address.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub const CSS: &str = include_str!("../assets/dun.css");

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

/// The address pages link the stylesheet by.
pub fn css_href() -> String {
    format!("/assets/dun.css?v={CSS_HASH:016x}")
}

pub async fn serve(Path(name): Path<String>) -> Response {
    match name.as_str() {
        "dun.css" => {
            let mut response = CSS.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            );
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            );
            response
        }
        _ => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
