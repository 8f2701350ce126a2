//! A real `localstripe` (PyPI: a stateful fake of Stripe's API that also
//! sends signed webhooks) on a free loopback port, for the tests of online
//! payment. Killed when dropped. Missing: the test is skipped loudly, or
//! fails under `DUN_TEST_REQUIRE_TOOLS=1` (CI sets it).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The webhook signing secret the tests give Dun and localstripe alike.
pub const WEBHOOK_SECRET: &str = "whsec_dun_test_secret";
/// The secret API key the tests give Dun (localstripe takes any `sk_…`).
pub const SECRET_KEY: &str = "sk_test_dun";
/// The program; `DUN_TEST_LOCALSTRIPE` names another.
const PROGRAM_VAR: &str = "DUN_TEST_LOCALSTRIPE";
const REQUIRE_TOOLS_VAR: &str = "DUN_TEST_REQUIRE_TOOLS";
/// How long localstripe gets to start answering.
const START_SECONDS: u64 = 30;

pub struct LocalStripe {
    pub base: String,
    child: Child,
    agent: ureq::Agent,
    _dir: tempfile::TempDir,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl LocalStripe {
    /// Starts localstripe, or says why not: `None` is a skip (said on
    /// stderr), a panic when tools are required.
    pub fn start(test: &str) -> Option<LocalStripe> {
        // The script pip installs, else the module (a fresh pip install
        // under pyenv has no shim for the script until a rehash).
        let program = std::env::var(PROGRAM_VAR).unwrap_or_else(|_| "localstripe".to_string());
        let dir = tempfile::tempdir().expect("a scratch directory");
        let mut last = String::new();
        for _ in 0..3 {
            let port = free_port();
            let args = [
                "--port".to_string(),
                port.to_string(),
                "--from-scratch".to_string(),
            ];
            let spawn = |command: &mut Command| {
                command
                    .args(&args)
                    .current_dir(dir.path())
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
            };
            let spawned = match spawn(&mut Command::new(&program)) {
                Err(e)
                    if e.kind() == std::io::ErrorKind::NotFound
                        && std::env::var(PROGRAM_VAR).is_err() =>
                {
                    spawn(Command::new("python3").args(["-m", "localstripe"]))
                }
                other => other,
            };
            let mut child = match spawned {
                Ok(c) => c,
                Err(e) => {
                    let message =
                        format!("{test}: localstripe ('{program}') cannot be started: {e}");
                    if std::env::var(REQUIRE_TOOLS_VAR).as_deref() == Ok("1") {
                        panic!("{message}, and {REQUIRE_TOOLS_VAR}=1 (pip install localstripe)");
                    }
                    // To stderr itself: libtest keeps a passing test's eprintln! from
                    // the person running `cargo test`, and a skip must be seen.
                    {
                        use std::io::Write as _;
                        let _ = writeln!(
                            std::io::stderr(),
                            "SKIPPED {message} (pip install localstripe)"
                        );
                    }
                    return None;
                }
            };
            let base = format!("http://127.0.0.1:{port}");
            let agent = agent();
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(START_SECONDS) {
                if let Ok(Some(status)) = child.try_wait() {
                    last = format!("localstripe exited with {status} (port {port} taken?)");
                    break;
                }
                // Any answer (401 without a key) means it listens.
                if agent.get(format!("{base}/v1/balance")).call().is_ok() {
                    return Some(LocalStripe {
                        base,
                        child,
                        agent,
                        _dir: dir,
                    });
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
            if last.is_empty() {
                last = format!("localstripe did not answer within {START_SECONDS} s");
            }
        }
        panic!("{test}: {last}");
    }

    /// Has localstripe send every event to `url`, signed with `secret`.
    pub fn register_webhook(&self, url: &str, secret: &str) {
        let (status, body) =
            self.post("/_config/webhooks/dun", &[("url", url), ("secret", secret)]);
        assert_eq!(status, 200, "register the webhook: {body}");
    }

    pub fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let mut response = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {SECRET_KEY}"))
            .send_form(form.iter().copied())
            .expect("localstripe answers");
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub fn get(&self, path: &str) -> Value {
        let mut response = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {SECRET_KEY}"))
            .call()
            .expect("localstripe answers");
        response
            .body_mut()
            .read_json()
            .expect("JSON from localstripe")
    }

    /// Gives the intent a test card and confirms it, as Stripe.js would
    /// in the customer's browser: `pm_card_visa` succeeds,
    /// `pm_card_chargeCustomerFail` is declined when charged.
    pub fn pay(&self, intent_id: &str, payment_method: &str) -> (u16, Value) {
        let (status, body) = self.post(
            &format!("/v1/payment_intents/{intent_id}"),
            &[("payment_method", payment_method)],
        );
        assert_eq!(status, 200, "give the intent a card: {body}");
        self.post(&format!("/v1/payment_intents/{intent_id}/confirm"), &[])
    }

    /// The events localstripe made, newest first.
    pub fn events(&self) -> Vec<Value> {
        self.get("/v1/events?limit=100")["data"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

impl Drop for LocalStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` until it holds, for at most `seconds`.
pub fn wait_until(seconds: u64, what: &str, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(seconds) {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("waited {seconds} s for {what}");
}
