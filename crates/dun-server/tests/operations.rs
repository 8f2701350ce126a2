//! Operations and the edges of every request: health, readiness, metrics,
//! request ids, the body limit, malformed and unknown requests — each
//! answered as a problem, never a bare error page.

mod common;

use common::{problem, TestServer};
use serde_json::json;

server_test!(
    fn health_metrics_and_request_ids(server: &TestServer) {
        let anon = server.anonymous();
        assert_eq!(anon.get("/healthz"), (200, json!({"status": "ok"})));
        assert_eq!(anon.get("/readyz"), (200, json!({"status": "ready"})));
        let api = server.owner("Ops");
        assert_eq!(api.get("/api/v1/customers").0, 200);

        let first = anon.send("GET", "/healthz", None, &[]);
        let second = anon.send("GET", "/healthz", None, &[]);
        let id = |r: &common::Reply| r.header("x-request-id").expect("a request id").to_string();
        assert_ne!(id(&first), id(&second), "each request has its own id");

        let metrics = anon.send("GET", "/metrics", None, &[]);
        assert_eq!(metrics.status, 200);
        assert!(
            metrics.content_type.starts_with("text/plain"),
            "{}",
            metrics.content_type
        );
        let text = metrics.body.as_str().expect("text").to_string();
        assert!(
            text.contains(
                r#"dun_http_requests_total{method="GET",route="/api/v1/customers",status="200"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains("dun_http_request_duration_seconds_bucket"),
            "{text}"
        );
        assert!(
            text.contains("dun_collections_runs_total") || text.contains("dun_collections_runs"),
            "{text}"
        );
        assert!(text.contains("dun_outbox_messages"), "{text}");

        let (status, document) = anon.get("/openapi.json");
        assert_eq!(status, 200);
        assert_eq!(document["openapi"], json!("3.1.0"));
    }
);

server_test!(
    fn malformed_requests_are_problems(server: &TestServer) {
        let api = server.owner("Ops");
        // Not JSON, not the right shape, not JSON at all, too large.
        let reply = api.send_raw(
            "POST",
            "/api/v1/customers",
            Some("{not json"),
            "application/json",
            &[],
        );
        assert_eq!(reply.status, 400, "{}", reply.body);
        assert_eq!(reply.content_type, "application/problem+json");
        let body = problem(
            422,
            api.post("/api/v1/customers", json!({"reference": 7, "name": "x"})),
        );
        assert_eq!(body["field"], json!("reference"), "{body}");
        problem(
            422,
            api.post(
                "/api/v1/customers",
                json!({"reference": "C1", "name": "x", "colour": "red"}),
            ),
        );
        let reply = api.send_raw(
            "POST",
            "/api/v1/customers",
            Some("reference=C1"),
            "application/x-www-form-urlencoded",
            &[],
        );
        assert_eq!(reply.status, 415, "{}", reply.body);
        // Past the body limit (a small one here, so the whole request fits in
        // the socket's buffers and the client reads the answer).
        let small = TestServer::start_with(dun_server::config::Config {
            body_limit_bytes: 4096,
            ..common::test_config(&server.database_url)
        });
        let limited = common::Api::new(&small.base, api.token.clone());
        let huge = format!(
            r#"{{"reference": "C1", "name": "{}"}}"#,
            "x".repeat(8 * 1024)
        );
        let reply = limited.send_raw(
            "POST",
            "/api/v1/customers",
            Some(&huge),
            "application/json",
            &[],
        );
        assert_eq!(reply.status, 413, "{}", reply.body);
        assert_eq!(reply.content_type, "application/problem+json");
        // Unknown routes and methods.
        problem(404, api.get("/api/v1/nowhere"));
        let reply = api.send("DELETE", "/api/v1/customers", None, &[]);
        assert_eq!(reply.status, 405, "{}", reply.body);
        assert_eq!(reply.content_type, "application/problem+json");
        // Bad query values name the parameter.
        let body = problem(422, api.get("/api/v1/customers?limit=100000"));
        assert_eq!(body["field"], json!("limit"));
        let body = problem(422, api.get("/api/v1/customers?cursor=forged"));
        assert_eq!(body["field"], json!("cursor"));
        // An idempotency key too long.
        let long = "k".repeat(300);
        let reply = api.send(
            "POST",
            "/api/v1/customers",
            Some(json!({"reference": "C9", "name": "Nine"})),
            &[("Idempotency-Key", &long)],
        );
        assert_eq!(reply.status, 422, "{}", reply.body);
    }
);
