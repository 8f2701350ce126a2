//! The server test harness: a real `dun serve` (the library's `serve`, on
//! its own runtime and thread) on a random loopback port, against a fresh
//! SQLite file or a fresh PostgreSQL database, driven over real HTTP.
//!
//! [`server_test!`] turns one body into two tests, `sqlite` and `postgres`;
//! the PostgreSQL half skips loudly without `DUN_TEST_POSTGRES_URL` and
//! fails instead under `DUN_TEST_REQUIRE_POSTGRES=1` (the store harness's
//! rules, reused from crates/dun-store/tests/common).

#![allow(dead_code)]

#[path = "../../../dun-store/tests/common/mod.rs"]
pub mod store;

pub mod localstripe;

use std::net::SocketAddr;
use std::thread::JoinHandle;

use dun_server::config::{Config, LogFormat};
use serde_json::{json, Value};

#[macro_export]
macro_rules! server_test {
    ($(#[$meta:meta])* fn $name:ident($server:ident: &TestServer) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn scenario($server: &$crate::common::TestServer) $body

            fn run(url: &str) {
                let server = $crate::common::TestServer::start(url);
                scenario(&server);
            }

            #[test]
            fn sqlite() {
                $crate::common::store::on_sqlite(stringify!($name), run);
            }

            #[test]
            fn postgres() {
                $crate::common::store::on_postgres(stringify!($name), run);
            }
        }
    };
}

/// A server running until dropped.
pub struct TestServer {
    pub base: String,
    pub addr: SocketAddr,
    pub database_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

pub fn test_config(database_url: &str) -> Config {
    Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: database_url.to_string(),
        pool_size: 4,
        log_format: LogFormat::Text,
        scheduler: false,
        shutdown_grace_ms: 5_000,
        // Never Stripe itself: a test that talks to Stripe points this at
        // its localstripe; the others' calls fail here, on loopback.
        stripe_api_base: NO_STRIPE.into(),
        // Customers are sent links to this address (a test that checks what
        // happens without one sets it to None).
        public_url: Some("http://127.0.0.1:8080".into()),
        ..Config::default()
    }
}

/// A loopback address nothing listens on (the discard port).
pub const NO_STRIPE: &str = "http://127.0.0.1:9";

impl TestServer {
    pub fn start(database_url: &str) -> TestServer {
        TestServer::start_with(test_config(database_url))
    }

    pub fn start_with(config: Config) -> TestServer {
        let database_url = config.database_url.clone();
        let state = dun_server::state(config).expect("the server's state");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("the bound address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime
                .block_on(dun_server::serve(listener, state, async move {
                    let _ = stopped.await;
                }))
                .expect("the server ran");
        });
        TestServer {
            base: format!("http://{addr}"),
            addr,
            database_url,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// A client with no credentials.
    pub fn anonymous(&self) -> Api {
        Api::new(&self.base, None)
    }

    /// Runs first-run set-up for `org` and returns an owner's token client.
    pub fn owner(&self, org: &str) -> Api {
        let anon = self.anonymous();
        let email = format!("owner@{}.example", org.to_lowercase().replace(' ', "-"));
        let (status, body) = anon.post(
            "/api/v1/setup",
            json!({"organisation": org, "currency": "USD", "timezone": "UTC",
                   "email": email, "name": "Owner", "password": "correct horse battery"}),
        );
        assert_eq!(status, 201, "set-up: {body}");
        self.token_for(&email, "correct horse battery", None, "owner")
    }

    /// Signs `email` in and makes a token with `role` through the session.
    pub fn token_for(&self, email: &str, password: &str, org: Option<&str>, role: &str) -> Api {
        let session = self.session(email, password, org);
        let (status, body) = session.post("/api/v1/tokens", json!({"name": "test", "role": role}));
        assert_eq!(status, 201, "make a token: {body}");
        Api::new(
            &self.base,
            Some(body["secret"].as_str().expect("a secret").to_string()),
        )
    }

    pub fn token_for_role(&self, email: &str, password: &str, role: &str) -> Api {
        self.token_for(email, password, None, role)
    }

    /// A signed-in browser-like client (cookie and CSRF token).
    pub fn session(&self, email: &str, password: &str, org: Option<&str>) -> Api {
        let agent = agent();
        let mut body = json!({"email": email, "password": password});
        if let Some(org) = org {
            body["organisation"] = json!(org);
        }
        let mut response = agent
            .post(&format!("{}/api/v1/session", self.base))
            .send_json(&body)
            .expect("sign in");
        assert_eq!(response.status().as_u16(), 200, "sign in");
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("a session cookie")
            .to_string();
        let who: Value = response.body_mut().read_json().expect("JSON");
        Api {
            base: self.base.clone(),
            agent,
            token: None,
            cookie: Some(cookie),
            csrf: who["csrf_token"].as_str().map(str::to_string),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A client that opens a connection per request. A server may close a
/// kept-alive connection at any moment (hyper does after a response whose
/// request body was left unread); a client that then reuses it for a POST
/// reads "Peer disconnected" — a race of the test's client, seen once in a
/// CI walk of every route, not a refusal by the server.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(60)))
        .max_idle_connections(0)
        .max_idle_connections_per_host(0)
        .build()
        .into()
}

/// Adds a member as an owner must (issue 18 item 5): `owner` invites
/// `email` with `role`, and the invitee accepts the link as someone new
/// with `name` and `password`. The member as the API shows them.
pub fn add_member(owner: &Api, email: &str, name: &str, password: &str, role: &str) -> Value {
    let (status, made) = owner.post(
        "/api/v1/invitations",
        serde_json::json!({"email": email, "role": role}),
    );
    assert_eq!(status, 201, "the invitation of {email}: {made}");
    let token = link_token(&made);
    let (status, accepted) = Api::new(&owner.base, None).post(
        "/api/v1/invitations/accept",
        serde_json::json!({"token": token, "name": name, "password": password}),
    );
    assert_eq!(status, 201, "{email} accepts: {accepted}");
    accepted["user"].clone()
}

/// The secret at the end of a one-time link in an answer's `link`.
pub fn link_token(answer: &Value) -> String {
    let link = answer["link"]
        .as_str()
        .unwrap_or_else(|| panic!("no link in {answer}"));
    link.rsplit('/').next().unwrap().to_string()
}

/// A client of the API.
pub struct Api {
    pub base: String,
    agent: ureq::Agent,
    pub token: Option<String>,
    cookie: Option<String>,
    csrf: Option<String>,
}

/// What came back: status, headers worth checking, and the body as JSON
/// (`Value::Null` for an empty body; a string for a non-JSON one).
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Api {
    pub fn new(base: &str, token: Option<String>) -> Api {
        Api {
            base: base.to_string(),
            agent: agent(),
            token,
            cookie: None,
            csrf: None,
        }
    }

    /// The same session without its CSRF token (a cross-site request).
    pub fn without_csrf(&self) -> Api {
        Api {
            base: self.base.clone(),
            agent: agent(),
            token: self.token.clone(),
            cookie: self.cookie.clone(),
            csrf: None,
        }
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        let r = self.send("GET", path, None, &[]);
        (r.status, r.body)
    }

    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self.send("POST", path, Some(body), &[]);
        (r.status, r.body)
    }

    pub fn post_with_key(&self, path: &str, key: &str, body: Value) -> (u16, Value) {
        let r = self.send("POST", path, Some(body), &[("Idempotency-Key", key)]);
        (r.status, r.body)
    }

    pub fn put(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self.send("PUT", path, Some(body), &[]);
        (r.status, r.body)
    }

    pub fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self.send("PATCH", path, Some(body), &[]);
        (r.status, r.body)
    }

    pub fn delete(&self, path: &str) -> (u16, Value) {
        let r = self.send("DELETE", path, None, &[]);
        (r.status, r.body)
    }

    /// Any request, with extra headers; a JSON body if given.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let text = body.map(|b| b.to_string());
        self.send_raw(method, path, text.as_deref(), "application/json", headers)
    }

    /// A request whose body is `bytes` of `content_type`; the answer's
    /// status, media type and bytes.
    pub fn exchange_bytes(
        &self,
        method: &str,
        path: &str,
        bytes: Option<&[u8]>,
        content_type: &str,
    ) -> (u16, String, Vec<u8>) {
        let url = format!("{}{}", self.base, path);
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(token) = &self.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let result = match bytes {
            Some(b) => self.agent.run(
                request
                    .header("Content-Type", content_type)
                    .body(b.to_vec())
                    .expect("a request"),
            ),
            None => self.agent.run(request.body(()).expect("a request")),
        };
        let mut response = result.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status().as_u16();
        let media = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .unwrap_or_default();
        (status, media, body)
    }

    pub fn send_raw(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        content_type: &str,
        headers: &[(&str, &str)],
    ) -> Reply {
        self.send_bytes(method, path, body.map(str::as_bytes), content_type, headers)
    }

    /// A request whose body is any bytes (a ZIP archive, say).
    pub fn send_bytes(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        content_type: &str,
        headers: &[(&str, &str)],
    ) -> Reply {
        let url = format!("{}{}", self.base, path);
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(token) = &self.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        if let Some(cookie) = &self.cookie {
            request = request.header("Cookie", cookie);
        }
        if let Some(csrf) = &self.csrf {
            request = request.header("x-csrf-token", csrf);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let result = match body {
            Some(bytes) => {
                let request = request
                    .header("Content-Type", content_type)
                    .body(bytes.to_vec())
                    .expect("a request");
                self.agent.run(request)
            }
            None => self.agent.run(request.body(()).expect("a request")),
        };
        let mut response = result.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let content_type = headers
            .iter()
            .find(|(n, _)| n == "content-type")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let text = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .unwrap_or_default();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply {
            status,
            content_type,
            body,
            headers,
        }
    }
}

/// Asserts `reply` is a problem with `status`, and returns its body.
pub fn problem(status: u16, reply: (u16, Value)) -> Value {
    let (got, body) = reply;
    assert_eq!(got, status, "expected {status}, got {got}: {body}");
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "not a problem: {body}"
    );
    assert_eq!(body["status"], json!(status), "{body}");
    body
}
