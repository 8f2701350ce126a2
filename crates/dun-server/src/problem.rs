//! Errors as RFC 9457 problem details (`application/problem+json`).
//!
//! Anything the client got wrong is a 4xx naming the field and the reason;
//! a fault of the server is a 500 whose body is one plain sentence with the
//! request id, while the log line holds the whole story.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use dun_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem, e.g. `/problems/validation`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request, in a sentence a person can act on.
    pub detail: String,
    /// The request field (JSON path or parameter name) at fault, if one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub slug: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub field: Option<String>,
    /// Seconds a client should wait before retrying (429, 503).
    pub retry_after_seconds: Option<u64>,
    /// The server-side cause of a 500, for the log only.
    pub internal: Option<String>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        slug: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            slug,
            title,
            detail: detail.into(),
            field: None,
            retry_after_seconds: None,
            internal: None,
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    /// A value the client sent that is not acceptable: 422.
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Invalid request",
            detail,
        )
        .field(field)
    }

    /// A request that is malformed (not JSON, wrong type): 400.
    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Malformed request",
            detail,
        )
    }

    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Not signed in",
            detail,
        )
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", detail)
    }

    pub fn conflict(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", "Conflict", detail)
    }

    pub fn too_many(detail: impl Into<String>, retry_after_seconds: u64) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            detail,
        );
        e.retry_after_seconds = Some(retry_after_seconds);
        e
    }

    pub fn unavailable(detail: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            detail,
        );
        e.retry_after_seconds = Some(1);
        e
    }

    /// A fault of the server: logged with `cause`, answered with a sentence.
    pub fn internal(cause: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "The server could not complete the request. It has been logged; quote the x-request-id header when reporting it.",
        );
        e.internal = Some(cause.into());
        e
    }

    pub fn problem(&self) -> Problem {
        Problem {
            kind: format!("/problems/{}", self.slug),
            title: self.title.to_string(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            field: self.field.clone(),
        }
    }
}

/// The field a store message starts with (`email: ...`), if it does.
fn leading_field(message: &str) -> Option<String> {
    let (head, _) = message.split_once(": ")?;
    let plain = !head.is_empty()
        && head.len() <= 40
        && head.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '[' | ']')
        });
    plain.then(|| head.to_string())
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        let message = e.to_string();
        let with_field = |mut err: ApiError| {
            err.field = leading_field(&err.detail);
            err
        };
        match e {
            StoreError::NotFound { .. } => ApiError::not_found(message),
            StoreError::Conflict(_) => with_field(ApiError::conflict(message)),
            StoreError::Posting(p) if p.concerns_book_state() => {
                with_field(ApiError::conflict(message))
            }
            StoreError::Refused(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "credit-refused",
                "Refused by the credit policy",
                format!("{message} (an owner or collector may override it with override_reason)"),
            ),
            StoreError::KeyReused(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency key reused",
                message,
            )
            .field("Idempotency-Key"),
            StoreError::Invalid(_)
            | StoreError::Posting(_)
            | StoreError::Invoice(_)
            | StoreError::Import(_)
            | StoreError::PolicyDocument(_) => with_field(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "Invalid request",
                message,
            )),
            _ if e.is_unstorable_text() => ApiError::invalid(
                "body",
                "text may not contain the NUL character (\\u0000) or bytes that are not UTF-8",
            ),
            _ if e.is_transient() => {
                ApiError::unavailable("the database is busy; retry in a moment")
            }
            StoreError::Connect(_) => {
                let mut err =
                    ApiError::unavailable("the database cannot be reached; retry in a moment");
                err.internal = Some(message);
                err
            }
            StoreError::Sqlite(_) | StoreError::Postgres(_) | StoreError::Corrupt(_) => {
                ApiError::internal(message)
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        match rejection {
            JsonRejection::JsonDataError(e) => {
                // serde's message names the path: "name: invalid type ..."
                let text = e.body_text();
                let field = text
                    .strip_prefix("Failed to deserialize the JSON body into the target type: ")
                    .unwrap_or(&text)
                    .to_string();
                let detail = field.clone();
                let field = field.split_once(": ").map(|(f, _)| f.to_string());
                let mut err = ApiError::invalid("body", detail);
                err.field = field.filter(|f| !f.contains(' ')).or(Some("body".into()));
                err
            }
            JsonRejection::JsonSyntaxError(e) => ApiError::bad_request(format!(
                "the body is not valid JSON: {}",
                e.body_text()
                    .trim_start_matches("Failed to parse the request body as JSON: ")
            )),
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "media-type",
                "Unsupported media type",
                "send the body as JSON with the header Content-Type: application/json",
            ),
            JsonRejection::BytesRejection(e) => {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too-large",
                        "Request too large",
                        "the body is larger than the server accepts (body_limit_bytes)",
                    )
                } else {
                    ApiError::bad_request(format!("the body could not be read: {}", e.body_text()))
                }
            }
            other => ApiError::bad_request(other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        let text = rejection.body_text();
        let detail = text
            .strip_prefix("Failed to deserialize query string: ")
            .unwrap_or(&text)
            .to_string();
        let field = detail.split_once(": ").map(|(f, _)| f.to_string());
        let mut err = ApiError::invalid("query", format!("query string: {detail}"));
        err.field = field.filter(|f| !f.contains(' ')).or(Some("query".into()));
        err
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> ApiError {
        ApiError::invalid("path", format!("path: {}", rejection.body_text()))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.internal {
            tracing::error!(status = self.status.as_u16(), cause = %cause, "request failed");
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(seconds) = self.retry_after_seconds {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_fields_are_plain_names() {
        assert_eq!(leading_field("email: taken").as_deref(), Some("email"));
        assert_eq!(
            leading_field("lines[0].quantity: bad").as_deref(),
            Some("lines[0].quantity")
        );
        assert_eq!(leading_field("the invoice 'X': gone"), None);
        assert_eq!(leading_field("no colon"), None);
    }

    #[test]
    fn store_errors_map_to_client_errors() {
        let e: ApiError = StoreError::Invalid("amount: must be positive".into()).into();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.field.as_deref(), Some("amount"));
        let e: ApiError = StoreError::NotFound {
            what: "invoice",
            key: "X".into(),
        }
        .into();
        assert_eq!(e.status, StatusCode::NOT_FOUND);
        let e: ApiError = StoreError::KeyReused("k".into()).into();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        let e: ApiError = StoreError::Corrupt("bad row".into()).into();
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.detail.contains("bad row"));
    }
}
