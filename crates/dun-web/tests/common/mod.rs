//! The web UI's test harness: the real server (`dun_server::serve_with`
//! with the UI's router merged, as `dun serve` runs it) on a random
//! loopback port, on SQLite and on PostgreSQL, driven over real HTTP by a
//! browser-like client that keeps its cookie and follows no redirects.

#![allow(dead_code)]

#[path = "../../../dun-store/tests/common/mod.rs"]
pub mod store;

#[path = "../../../dun-server/tests/common/localstripe.rs"]
pub mod localstripe;

use std::sync::Mutex;
use std::thread::JoinHandle;

use dun_server::config::{Config, LogFormat};

#[macro_export]
macro_rules! web_test {
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

pub struct TestServer {
    pub base: String,
    pub database_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    pub fn start(database_url: &str) -> TestServer {
        TestServer::start_with(database_url, |_| {})
    }

    /// [`TestServer::start`] with the configuration changed by `configure`.
    pub fn start_with(database_url: &str, configure: impl FnOnce(&mut Config)) -> TestServer {
        TestServer::start_with_state(database_url, configure, |_| {})
    }

    /// [`TestServer::start_with`], and the built state changed by `adjust`
    /// (e.g. an SMTP server set, as `dun serve` sets it from the
    /// environment).
    pub fn start_with_state(
        database_url: &str,
        configure: impl FnOnce(&mut Config),
        adjust: impl FnOnce(&mut dun_server::app::AppState),
    ) -> TestServer {
        let mut config = Config {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.to_string(),
            pool_size: 4,
            log_format: LogFormat::Text,
            scheduler: false,
            shutdown_grace_ms: 5_000,
            // Never Stripe itself (a test with localstripe points it there).
            stripe_api_base: "http://127.0.0.1:9".into(),
            // Customers are sent links to this address (a test that checks what
            // happens without one sets it to None).
            public_url: Some("http://127.0.0.1:8080".into()),
            ..Config::default()
        };
        configure(&mut config);
        let mut state = dun_server::state(config).expect("the server's state");
        adjust(&mut state);
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
                .block_on(dun_server::serve_with(
                    listener,
                    state,
                    dun_web::router(),
                    async move {
                        let _ = stopped.await;
                    },
                ))
                .expect("the server ran");
        });
        TestServer {
            base: format!("http://{addr}"),
            database_url: database_url.to_string(),
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn browser(&self) -> Browser {
        Browser {
            base: self.base.clone(),
            // A connection per request: a kept-alive one the server closed
            // would fail the next POST (see dun-server's tests/common).
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_global(Some(std::time::Duration::from_secs(60)))
                .max_idle_connections(0)
                .max_idle_connections_per_host(0)
                .build()
                .into(),
            cookie: Mutex::new(None),
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

/// A browser with JavaScript off: it keeps the session cookie, sends forms
/// and reads pages; redirects are left for the test to see.
pub struct Browser {
    pub base: String,
    agent: ureq::Agent,
    cookie: Mutex<Option<String>>,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value of the first hidden `csrf_token` field.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self.body.find(marker).expect("a CSRF field") + marker.len();
        let end = self.body[start..].find('"').expect("the field's end");
        self.body[start..start + end].to_string()
    }

    pub fn assert_contains(&self, text: &str) {
        assert!(
            self.body.contains(text),
            "the page should contain {text:?}:\n{}",
            self.body
        );
    }
}

/// `application/x-www-form-urlencoded` of `fields`.
pub fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else if b == b' ' {
                "+".to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl Browser {
    pub fn get(&self, path: &str) -> Page {
        self.send("GET", path, None, &[])
    }

    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = form(fields);
        self.send(
            "POST",
            path,
            Some(body),
            &[("Content-Type", "application/x-www-form-urlencoded")],
        )
    }

    /// JSON to the API with the session's cookie and CSRF header.
    pub fn post_json(&self, path: &str, csrf: &str, body: serde_json::Value) -> Page {
        self.send(
            "POST",
            path,
            Some(body.to_string()),
            &[("Content-Type", "application/json"), ("x-csrf-token", csrf)],
        )
    }

    /// A GET with the session's cookie, the body as bytes (a PDF): the
    /// status, the headers and the bytes.
    pub fn get_bytes(&self, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let url = format!("{}{}", self.base, path);
        let mut request = ureq::http::Request::builder().method("GET").uri(&url);
        if let Some(cookie) = self.cookie.lock().unwrap().as_deref() {
            request = request.header("Cookie", cookie);
        }
        let mut response = self
            .agent
            .run(request.body(()).expect("a request"))
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let bytes = response.body_mut().read_to_vec().expect("the body");
        (response.status().as_u16(), headers, bytes)
    }

    /// Adds a member as an owner must (issue 18 item 5): this owner's
    /// session invites `email` with `role` over the API, and the invitee
    /// accepts the link as someone new. The accepted answer's JSON.
    pub fn add_member(
        &self,
        csrf: &str,
        email: &str,
        name: &str,
        password: &str,
        role: &str,
    ) -> serde_json::Value {
        let made = self.post_json(
            "/api/v1/invitations",
            csrf,
            serde_json::json!({"email": email, "role": role}),
        );
        assert_eq!(made.status, 201, "the invitation of {email}: {}", made.body);
        let made: serde_json::Value = serde_json::from_str(&made.body).expect("JSON");
        let link = made["link"].as_str().expect("a link");
        let token = link.rsplit('/').next().unwrap();
        let invitee = Browser {
            base: self.base.clone(),
            agent: self.agent.clone(),
            cookie: Mutex::new(None),
        };
        let accepted = invitee.send(
            "POST",
            "/api/v1/invitations/accept",
            Some(
                serde_json::json!({"token": token, "name": name, "password": password}).to_string(),
            ),
            &[("Content-Type", "application/json")],
        );
        assert_eq!(accepted.status, 201, "{email} accepts: {}", accepted.body);
        serde_json::from_str(&accepted.body).expect("JSON")
    }

    pub fn forget_cookie(&self) {
        *self.cookie.lock().unwrap() = None;
    }

    pub fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        headers: &[(&str, &str)],
    ) -> Page {
        self.send_bytes(method, path, body.map(String::into_bytes), headers)
    }

    /// Any request whose body is bytes (a multipart upload of an image).
    pub fn send_bytes(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Page {
        let url = format!("{}{}", self.base, path);
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(cookie) = self.cookie.lock().unwrap().as_deref() {
            request = request.header("Cookie", cookie);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let result = match body {
            Some(bytes) => self.agent.run(request.body(bytes).expect("a request")),
            None => self.agent.run(request.body(()).expect("a request")),
        };
        let mut response = result.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        if let Some(set) = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
        {
            let pair = set.split(';').next().unwrap_or("").trim().to_string();
            *self.cookie.lock().unwrap() = if pair.ends_with('=') {
                None
            } else {
                Some(pair)
            };
        }
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Page {
            status: response.status().as_u16(),
            location,
            headers,
            body: response.body_mut().read_to_string().unwrap_or_default(),
        }
    }
}
