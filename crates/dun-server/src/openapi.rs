//! The OpenAPI 3.1 document, built from the handlers' own annotations by
//! the same router that serves them, so the two cannot drift apart.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;
use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Dun",
        description = "Accounts receivable and collections for small businesses.\n\nAmounts are decimal strings in the currency's exponent (\"12.50\" USD, \"1250\" JPY); dates are ISO 8601 (YYYY-MM-DD). Lists are paged with `limit` and an opaque `cursor`. Every POST accepts an `Idempotency-Key` header: a repeat with the same key and body returns the first response, with another body 422. Errors are RFC 9457 problem details (application/problem+json).",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later")
    ),
    modifiers(&Security),
    components(schemas(crate::problem::Problem)),
    tags(
        (name = "accounts", description = "Set-up, sign-in, users and API tokens"),
        (name = "customers", description = "Customers and their credit files"),
        (name = "invoices", description = "Invoices, credit notes and write-offs"),
        (name = "payments", description = "Payments and their allocation"),
        (name = "collections", description = "The policy, the daily run, the worklist and the communication log"),
        (name = "outbox", description = "Customer messages waiting, sent or not sent, and a person's hold, send-now, cancel and retry"),
        (name = "reports", description = "Aging and figures"),
        (name = "operations", description = "Health, readiness and metrics")
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token made by an owner (POST /api/v1/tokens)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::app::SESSION_COOKIE,
                "A browser session from POST /api/v1/session; writes also need the x-csrf-token header",
            ))),
        );
    }
}

/// The problems any API operation may answer, whatever its own
/// annotation lists: a malformed or unparsable request (400), no or a bad
/// credential (401), a role too low or a missing CSRF token (403), a
/// resource not found (404), a body too large (413) or not JSON (415),
/// invalid values (422), too many sign-ins (429), and a database busy
/// past the timeout (503).
struct CommonProblems;

const COMMON_PROBLEMS: &[(&str, &str)] = &[
    (
        "400",
        "The request is malformed (not JSON, or of the wrong shape)",
    ),
    (
        "401",
        "No credential, or one that is unknown, revoked or expired",
    ),
    (
        "403",
        "The caller's role does not allow this, or a session write lacks its CSRF token",
    ),
    ("404", "Not found in the caller's organisation"),
    (
        "409",
        "The book's state forbids it, or a request with the same Idempotency-Key is still being answered",
    ),
    ("413", "The body is larger than body_limit_bytes"),
    ("415", "The body is not sent as application/json"),
    ("422", "A value is not acceptable; `field` names it"),
    ("429", "Too many failed sign-ins; see Retry-After"),
    (
        "503",
        "The database is busy or the request took too long; retry (see Retry-After)",
    ),
];

impl Modify for CommonProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/api/") {
                continue;
            }
            let operations = [
                item.get.as_mut(),
                item.post.as_mut(),
                item.put.as_mut(),
                item.patch.as_mut(),
                item.delete.as_mut(),
            ];
            for operation in operations.into_iter().flatten() {
                for (status, description) in COMMON_PROBLEMS {
                    operation
                        .responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| {
                            RefOr::T(
                                ResponseBuilder::new()
                                    .description(*description)
                                    .content(
                                        crate::problem::PROBLEM_JSON,
                                        ContentBuilder::new()
                                            .schema(Some(Ref::from_schema_name("Problem")))
                                            .build(),
                                    )
                                    .build(),
                            )
                        });
                }
            }
        }
    }
}

/// Every API route with its documentation.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::accounts::router())
        .merge(routes::customers::router())
        .merge(routes::invoices::router())
        .merge(routes::documents::router())
        .merge(routes::payments::router())
        .merge(routes::portal_links::router())
        .merge(routes::rates::router())
        .merge(routes::bank::router())
        .merge(routes::collections::router())
        .merge(routes::outbox::router())
        .merge(routes::online_payment::router())
        .merge(routes::escalations::router())
        .merge(routes::period::router())
        .merge(routes::reports::router())
        .merge(routes::ops::router())
}

/// The document served at `/openapi.json`.
pub fn document() -> &'static serde_json::Value {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut doc = api_router().split_for_parts().1;
        // After the routes are gathered: the derive's modifiers run before.
        CommonProblems.modify(&mut doc);
        let mut doc = serde_json::to_value(&doc).unwrap_or_default();
        crate::openapi_limits::declare(&mut doc);
        doc
    })
}
