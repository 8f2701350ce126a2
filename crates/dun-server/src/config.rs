//! The server's settings: defaults, then a TOML file, then `DUN_*`
//! environment variables, each step overriding the one before. Every error
//! names the key (or variable), the value and what is accepted.

use std::net::SocketAddr;
use std::path::Path;

use serde::Deserialize;

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// JSON when standard error is not a terminal, text when it is.
    Auto,
    Json,
    Text,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// A SQLite file path or a `postgres://` URL.
    pub database_url: String,
    /// The address customers reach the server at, which every link they
    /// are sent starts with (portal, pay). Unset, no customer e-mail leaves
    /// the outbox and no portal link is made: a link to this machine's
    /// loopback address would reach nobody.
    pub public_url: Option<String>,
    /// Database connections the server keeps open.
    pub pool_size: usize,
    /// On SQLite, the page cache all the server's connections share, MiB:
    /// what bounds its memory however large the book grows.
    pub sqlite_cache_mib: u64,
    /// On SQLite, how much of the database file all the server's
    /// connections map into memory together, MiB (each maps its share of
    /// the file's start; 0 maps none). Mapped pages count in the server's
    /// resident memory once per connection that read them, so this bounds
    /// that part of it; the CLI's bulk commands map the whole file.
    pub sqlite_mmap_mib: u64,
    /// Largest request body accepted.
    pub body_limit_bytes: usize,
    /// Longest a request may take before it is answered 503.
    pub request_timeout_ms: u64,
    /// How long in-flight requests get to finish after SIGTERM.
    pub shutdown_grace_ms: u64,
    pub log_format: LogFormat,
    /// Whether this process runs the daily collections of each
    /// organisation at its local `run_at` time.
    pub scheduler: bool,
    /// How often the scheduler looks for a run that is due.
    pub scheduler_interval_ms: u64,
    /// A claimed run whose heartbeat is older than this is taken over.
    pub run_claim_stale_ms: u64,
    /// How long a browser session lasts.
    pub session_hours: u64,
    /// Failed sign-ins allowed per address in a window (a client may fail
    /// `limits::CLIENT_FACTOR` times as often, over any addresses).
    pub login_failures_max: u32,
    pub login_window_ms: u64,
    /// Proxies whose `X-Forwarded-For` names the client (none by default:
    /// the peer's address is the client).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// A bearer token that opens `/metrics` to other hosts; without one,
    /// only loopback clients read it.
    pub metrics_token: Option<String>,
    /// Where Stripe's API is (online payment): Stripe's own unless a test
    /// points it at a local fake.
    pub stripe_api_base: String,
    /// Where the portal's card form loads Stripe.js from
    /// (`DUN_STRIPE_JS_URL`): Stripe's own unless a test points it at a
    /// stand-in. Its origin is the only one the payment page's CSP adds.
    pub stripe_js_url: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "dun.sqlite".into(),
            public_url: None,
            pool_size: 8,
            sqlite_cache_mib: 256,
            sqlite_mmap_mib: SQLITE_MMAP_MIB_DEFAULT,
            body_limit_bytes: 1024 * 1024,
            request_timeout_ms: 30_000,
            shutdown_grace_ms: 30_000,
            log_format: LogFormat::Auto,
            scheduler: true,
            scheduler_interval_ms: 60_000,
            run_claim_stale_ms: 10 * 60_000,
            session_hours: 12,
            login_failures_max: 5,
            login_window_ms: 15 * 60_000,
            trusted_proxies: Vec::new(),
            stripe_api_base: crate::stripe::client::DEFAULT_API_BASE.to_string(),
            stripe_js_url: crate::stripe::card_form::DEFAULT_JS_URL.to_string(),
            metrics_token: None,
        }
    }
}

/// Limits on the settings themselves.
const POOL_SIZE_MAX: usize = 256;
const SQLITE_CACHE_MIB_MIN: u64 = 8;
const SQLITE_CACHE_MIB_MAX: u64 = 64 * 1024;
const SQLITE_MMAP_MIB_DEFAULT: u64 = 0;
const SQLITE_MMAP_MIB_MAX: u64 = 64 * 1024;
const BODY_LIMIT_BYTES_MAX: usize = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Reads `file` (if given) over the defaults, then the environment.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    ConfigError(format!(
                        "cannot read the config file {}: {e}",
                        path.display()
                    ))
                })?;
                Config::from_toml(&text)
                    .map_err(|e| ConfigError(format!("{}: {}", path.display(), e.0)))?
            }
            None => Config::default(),
        };
        for (key, value) in env {
            config.set_env(&key, &value)?;
        }
        config.check()?;
        Ok(config)
    }

    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError(e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    /// Applies one `DUN_*` variable; others are ignored. The CLI's
    /// `DUN_DATABASE_URL` is the same setting as `database_url`.
    fn set_env(&mut self, key: &str, value: &str) -> Result<(), ConfigError> {
        fn number<T: std::str::FromStr>(
            key: &str,
            value: &str,
            what: &str,
        ) -> Result<T, ConfigError> {
            value
                .trim()
                .parse()
                .map_err(|_| ConfigError(format!("{key}: '{value}' is not {what}")))
        }
        fn flag(key: &str, value: &str) -> Result<bool, ConfigError> {
            match value.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(ConfigError(format!(
                    "{key}: '{value}' is not true or false (also accepted: 1/0, yes/no, on/off)"
                ))),
            }
        }
        match key {
            "DUN_LISTEN" => {
                self.listen = number(key, value, "an address and port such as 127.0.0.1:8080")?
            }
            "DUN_DATABASE_URL" => self.database_url = value.to_string(),
            "DUN_PUBLIC_URL" => {
                self.public_url = Some(value.trim().to_string()).filter(|v| !v.is_empty())
            }
            "DUN_POOL_SIZE" => self.pool_size = number(key, value, "a whole number")?,
            "DUN_SQLITE_CACHE_MIB" => {
                self.sqlite_cache_mib = number(key, value, "a whole number of MiB")?
            }
            "DUN_SQLITE_MMAP_MIB" => {
                self.sqlite_mmap_mib = number(key, value, "a whole number of MiB")?
            }
            "DUN_BODY_LIMIT_BYTES" => {
                self.body_limit_bytes = number(key, value, "a whole number of bytes")?
            }
            "DUN_REQUEST_TIMEOUT_MS" => {
                self.request_timeout_ms = number(key, value, "a whole number of milliseconds")?
            }
            "DUN_SHUTDOWN_GRACE_MS" => {
                self.shutdown_grace_ms = number(key, value, "a whole number of milliseconds")?
            }
            "DUN_LOG_FORMAT" => {
                self.log_format = match value {
                    "auto" => LogFormat::Auto,
                    "json" => LogFormat::Json,
                    "text" => LogFormat::Text,
                    _ => {
                        return Err(ConfigError(format!(
                            "{key}: '{value}' is not one of auto, json, text"
                        )))
                    }
                }
            }
            "DUN_SCHEDULER" => self.scheduler = flag(key, value)?,
            "DUN_SCHEDULER_INTERVAL_MS" => {
                self.scheduler_interval_ms = number(key, value, "a whole number of milliseconds")?
            }
            "DUN_RUN_CLAIM_STALE_MS" => {
                self.run_claim_stale_ms = number(key, value, "a whole number of milliseconds")?
            }
            "DUN_SESSION_HOURS" => {
                self.session_hours = number(key, value, "a whole number of hours")?
            }
            "DUN_LOGIN_FAILURES_MAX" => {
                self.login_failures_max = number(key, value, "a whole number")?
            }
            "DUN_LOGIN_WINDOW_MS" => {
                self.login_window_ms = number(key, value, "a whole number of milliseconds")?
            }
            "DUN_STRIPE_API_BASE" => {
                self.stripe_api_base = value.trim().trim_end_matches('/').to_string()
            }
            "DUN_STRIPE_JS_URL" => self.stripe_js_url = value.trim().to_string(),
            "DUN_METRICS_TOKEN" => {
                self.metrics_token = Some(value.to_string()).filter(|t| !t.is_empty())
            }
            "DUN_TRUSTED_PROXIES" => {
                self.trusted_proxies = value
                    .split(',')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(|v| {
                        v.parse().map_err(|_| {
                            ConfigError(format!(
                                "{key}: '{v}' is not an IP address; give addresses separated by commas, e.g. 10.0.0.1,10.0.0.2"
                            ))
                        })
                    })
                    .collect::<Result<_, _>>()?
            }
            _ => {}
        }
        Ok(())
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.pool_size == 0 || self.pool_size > POOL_SIZE_MAX {
            return Err(ConfigError(format!(
                "pool_size: {} is outside 1 to {POOL_SIZE_MAX}",
                self.pool_size
            )));
        }
        if !(SQLITE_CACHE_MIB_MIN..=SQLITE_CACHE_MIB_MAX).contains(&self.sqlite_cache_mib) {
            return Err(ConfigError(format!(
                "sqlite_cache_mib: {} is outside {SQLITE_CACHE_MIB_MIN} to {SQLITE_CACHE_MIB_MAX}",
                self.sqlite_cache_mib
            )));
        }
        if self.sqlite_mmap_mib > SQLITE_MMAP_MIB_MAX {
            return Err(ConfigError(format!(
                "sqlite_mmap_mib: {} is outside 0 to {SQLITE_MMAP_MIB_MAX}",
                self.sqlite_mmap_mib
            )));
        }
        if self.body_limit_bytes < 1024 || self.body_limit_bytes > BODY_LIMIT_BYTES_MAX {
            return Err(ConfigError(format!(
                "body_limit_bytes: {} is outside 1024 to {BODY_LIMIT_BYTES_MAX}",
                self.body_limit_bytes
            )));
        }
        if self.request_timeout_ms == 0 {
            return Err(ConfigError(
                "request_timeout_ms: must be more than 0".into(),
            ));
        }
        if self.scheduler_interval_ms < 100 {
            return Err(ConfigError(
                "scheduler_interval_ms: must be at least 100".into(),
            ));
        }
        if self.session_hours == 0 || self.session_hours > 24 * 90 {
            return Err(ConfigError(format!(
                "session_hours: {} is outside 1 to 2160 (90 days)",
                self.session_hours
            )));
        }
        if let Some(url) = &self.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError(format!(
                    "public_url: '{url}' must start with http:// or https://"
                )));
            }
        }
        if !(self.stripe_api_base.starts_with("http://")
            || self.stripe_api_base.starts_with("https://"))
        {
            return Err(ConfigError(format!(
                "stripe_api_base: '{}' must start with http:// or https://",
                self.stripe_api_base
            )));
        }
        for (name, url) in [
            ("stripe_api_base", &self.stripe_api_base),
            ("stripe_js_url", &self.stripe_js_url),
        ] {
            if let Err(e) = crate::stripe::card_form::origin(url) {
                return Err(ConfigError(format!("{name}: '{url}' {e}")));
            }
        }
        if self.database_url.trim().is_empty() {
            return Err(ConfigError("database_url: must not be empty".into()));
        }
        Ok(())
    }

    /// Whether session cookies must only travel over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    /// Where links in customer messages start: the public URL, or `None`
    /// until it is set.
    pub fn customer_link_base(&self) -> Option<&str> {
        self.public_url.as_deref()
    }

    /// The address of this server's own pages: the public URL, or else the
    /// address it listens on (an unspecified one read as `localhost`). For
    /// the same-site check of forms and the owner's own previews, never for
    /// a link a customer is sent.
    pub fn site_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.clone(),
            None if self.listen.ip().is_unspecified() => {
                format!("http://localhost:{}", self.listen.port())
            }
            None => format!("http://{}", self.listen),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn environment_overrides_file_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dun.toml");
        std::fs::write(&path, "pool_size = 3\nlisten = \"0.0.0.0:9000\"\n").unwrap();
        let config =
            Config::load(Some(&path), env(&[("DUN_POOL_SIZE", "5"), ("HOME", "/x")])).unwrap();
        assert_eq!(config.pool_size, 5);
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.body_limit_bytes, Config::default().body_limit_bytes);
    }

    #[test]
    fn errors_name_the_key() {
        let e = Config::from_toml("pool_sise = 3\n").unwrap_err();
        assert!(e.0.contains("pool_sise"), "{e}");
        let e = Config::from_toml("pool_size = 0\n").unwrap_err();
        assert!(e.0.starts_with("pool_size:"), "{e}");
        let e = Config::from_toml("sqlite_cache_mib = 1\n").unwrap_err();
        assert!(e.0.starts_with("sqlite_cache_mib:"), "{e}");
        let e = Config::from_toml("sqlite_mmap_mib = 100000\n").unwrap_err();
        assert!(e.0.starts_with("sqlite_mmap_mib:"), "{e}");
        let e = Config::load(None, env(&[("DUN_POOL_SIZE", "many")])).unwrap_err();
        assert_eq!(e.0, "DUN_POOL_SIZE: 'many' is not a whole number");
        let e = Config::load(None, env(&[("DUN_SCHEDULER", "maybe")])).unwrap_err();
        assert!(e.0.starts_with("DUN_SCHEDULER: 'maybe'"), "{e}");
        let e = Config::load(None, env(&[("DUN_LISTEN", "localhost")])).unwrap_err();
        assert!(e.0.starts_with("DUN_LISTEN:"), "{e}");
        let e = Config::load(None, env(&[("DUN_PUBLIC_URL", "dun.example")])).unwrap_err();
        assert!(e.0.starts_with("public_url:"), "{e}");
    }

    #[test]
    fn without_a_public_url_customers_get_no_links_and_pages_are_where_the_server_listens() {
        let config = Config::load(None, env(&[("DUN_LISTEN", "0.0.0.0:9000")])).unwrap();
        assert_eq!(config.customer_link_base(), None);
        assert_eq!(config.site_url(), "http://localhost:9000");
        assert!(!config.secure_cookies());
        let config = Config::load(None, env(&[("DUN_LISTEN", "127.0.0.1:8181")])).unwrap();
        assert_eq!(config.site_url(), "http://127.0.0.1:8181");
        let config = Config::load(
            None,
            env(&[
                ("DUN_PUBLIC_URL", "https://ar.example.com"),
                ("DUN_LISTEN", "127.0.0.1:8181"),
            ]),
        )
        .unwrap();
        assert_eq!(config.customer_link_base(), Some("https://ar.example.com"));
        assert_eq!(config.site_url(), "https://ar.example.com");
        assert!(config.secure_cookies());
        let config = Config::load(None, env(&[("DUN_PUBLIC_URL", " ")])).unwrap();
        assert_eq!(config.customer_link_base(), None);
    }
}
