//! Request extractors whose rejections are problem details, and the shared
//! shapes of lists (cursor pages) and idempotency keys.

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use serde::Serialize;
use utoipa::ToSchema;

use crate::problem::ApiError;

/// A JSON body, always a JSON object; a bad one is a 400/415/422 problem
/// naming the field. (`[null]` is not a body: serde would read a list as a
/// struct's fields in order.)
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .is_some_and(|m| {
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !json {
            return Err(ApiError::from(
                axum::extract::rejection::JsonRejection::MissingJsonContentType(Default::default()),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                ApiError::from(axum::extract::rejection::JsonRejection::BytesRejection(e))
            })?;
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{') {
            return Err(ApiError::invalid(
                "body",
                "the body must be a JSON object, e.g. {\"name\": \"…\"}",
            ));
        }
        let axum::Json(value) = axum::Json::<T>::from_bytes(&bytes)?;
        Ok(ApiJson(value))
    }
}

/// A query string; a bad one is a 422 problem naming the parameter.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// Path parameters; a bad one is a 422 problem.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// The header a client sends on a POST so that a retry is done once.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// Longest idempotency key accepted, in bytes.
pub const IDEMPOTENCY_KEY_BYTES_MAX: usize = dun_store::idempotency::KEY_BYTES_MAX;

/// The `Idempotency-Key` header, if sent: a repeat with the same key and
/// body returns the first response; with a different body, 422.
#[derive(Clone, Debug, Default)]
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<IdempotencyKey, ApiError> {
        let Some(value) = parts.headers.get(IDEMPOTENCY_HEADER) else {
            return Ok(IdempotencyKey(None));
        };
        let key = value
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|k| !k.is_empty() && k.len() <= IDEMPOTENCY_KEY_BYTES_MAX && k.chars().all(|c| c.is_ascii_graphic()))
            .ok_or_else(|| {
                ApiError::invalid(
                    "Idempotency-Key",
                    format!("Idempotency-Key: must be 1 to {IDEMPOTENCY_KEY_BYTES_MAX} printable ASCII characters"),
                )
            })?;
        Ok(IdempotencyKey(Some(key.to_string())))
    }
}

impl IdempotencyKey {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// Most items one page of a list returns.
pub const PAGE_LIMIT_MAX: i64 = 500;
/// Items a page returns when the client does not say.
pub const PAGE_LIMIT_DEFAULT: i64 = 50;

/// One page of a list, and the cursor of the next page (absent on the last).
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent when this is the last.
    pub next_cursor: Option<String>,
}

/// Checks a `limit` parameter.
pub fn page_limit(limit: Option<i64>) -> Result<i64, ApiError> {
    match limit {
        None => Ok(PAGE_LIMIT_DEFAULT),
        Some(n) if (1..=PAGE_LIMIT_MAX).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::invalid(
            "limit",
            format!("limit: {n} is outside 1 to {PAGE_LIMIT_MAX}"),
        )),
    }
}

/// Cursors are opaque to clients; inside they are a key of the last item
/// seen, prefixed so a cursor from one list is refused by another.
pub fn encode_cursor(list: &str, key: &str) -> String {
    let mut out = String::with_capacity(list.len() + key.len() * 2 + 1);
    out.push_str(list);
    out.push('.');
    for b in key.as_bytes() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

pub fn decode_cursor(list: &str, cursor: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    let bad = || {
        ApiError::invalid(
            "cursor",
            "cursor: not a cursor this list gave out; start again without one",
        )
    };
    let hex = cursor
        .strip_prefix(list)
        .and_then(|rest| rest.strip_prefix('.'))
        .ok_or_else(bad)?;
    if hex.len() % 2 != 0 || hex.len() > 512 {
        return Err(bad());
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| bad())?;
    String::from_utf8(bytes).map(Some).map_err(|_| bad())
}

/// A cursor holding the id of the last item seen (lists newest first).
pub fn decode_id_cursor(list: &str, cursor: Option<&str>) -> Result<Option<i64>, ApiError> {
    decode_cursor(list, cursor)?
        .map(|c| c.parse::<i64>())
        .transpose()
        .map_err(|_| {
            ApiError::invalid(
                "cursor",
                "cursor: not a cursor this list gave out; start again without one",
            )
        })
}

/// A page from `limit + 1` fetched rows: the extra row says there is more.
pub fn page_of<T>(mut rows: Vec<T>, limit: i64, list: &str, key: impl Fn(&T) -> String) -> Page<T> {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|last| encode_cursor(list, &key(last)))
    } else {
        None
    };
    Page {
        items: rows,
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_belong_to_their_list() {
        let c = encode_cursor("customers", "ACME/ü");
        assert_eq!(
            decode_cursor("customers", Some(&c)).unwrap().as_deref(),
            Some("ACME/ü")
        );
        assert!(decode_cursor("invoices", Some(&c)).is_err());
        assert!(decode_cursor("customers", Some("customers.zz")).is_err());
        assert_eq!(decode_cursor("customers", None).unwrap(), None);
    }

    #[test]
    fn pages_know_when_there_is_more() {
        let p = page_of(vec![1, 2, 3], 2, "n", |n| n.to_string());
        assert_eq!(p.items, vec![1, 2]);
        assert_eq!(
            decode_cursor("n", p.next_cursor.as_deref())
                .unwrap()
                .as_deref(),
            Some("2")
        );
        let p = page_of(vec![1, 2], 2, "n", |n| n.to_string());
        assert!(p.next_cursor.is_none());
    }
}
