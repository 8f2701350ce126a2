//! Where mail goes: the SMTP server and the sender's addresses.

use std::fmt;

use lettre::message::Mailbox;
use serde::Deserialize;

/// Longest wait for the server at any step, by default, in milliseconds.
pub const TIMEOUT_MS_DEFAULT: u64 = 30_000;
/// The longest timeout accepted, in milliseconds.
pub const TIMEOUT_MS_MAX: u64 = 600_000;

/// How the connection to the server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain text (a server on this machine or a trusted network only).
    None,
    /// Plain connection upgraded with STARTTLS, required (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl TlsMode {
    pub fn default_port(self) -> u16 {
        match self {
            TlsMode::None => 25,
            TlsMode::Starttls => 587,
            TlsMode::Tls => 465,
        }
    }

    pub fn parse(text: &str) -> Option<TlsMode> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" | "off" | "plain" => Some(TlsMode::None),
            "starttls" => Some(TlsMode::Starttls),
            "tls" | "smtps" | "implicit" => Some(TlsMode::Tls),
            _ => None,
        }
    }
}

/// The SMTP server and the addresses messages come from.
#[derive(Clone, Deserialize, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<String>,
    /// `Name <address>` or an address: the From of every message.
    pub from: String,
    /// Where customers' replies go, when not to `from`.
    pub reply_to: Option<String>,
    pub timeout_ms: u64,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .field("reply_to", &self.reply_to)
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// A setting that cannot be used, named with what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {reason}")]
pub struct ConfigError {
    pub variable: String,
    pub reason: String,
}

fn problem(variable: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        variable: variable.to_string(),
        reason: reason.into(),
    }
}

pub const HOST_VAR: &str = "DUN_SMTP_HOST";
pub const PORT_VAR: &str = "DUN_SMTP_PORT";
pub const TLS_VAR: &str = "DUN_SMTP_TLS";
pub const USERNAME_VAR: &str = "DUN_SMTP_USERNAME";
pub const PASSWORD_VAR: &str = "DUN_SMTP_PASSWORD";
pub const FROM_VAR: &str = "DUN_SMTP_FROM";
pub const REPLY_TO_VAR: &str = "DUN_SMTP_REPLY_TO";
pub const TIMEOUT_VAR: &str = "DUN_SMTP_TIMEOUT_MS";

impl SmtpConfig {
    /// Reads the `DUN_SMTP_*` variables. `Ok(None)` when `DUN_SMTP_HOST` is
    /// unset or empty: no server is configured and mail stays in the outbox.
    pub fn from_env() -> Result<Option<SmtpConfig>, ConfigError> {
        SmtpConfig::from_vars(|name| std::env::var(name).ok())
    }

    /// As [`SmtpConfig::from_env`], reading variables through `var`.
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<SmtpConfig>, ConfigError> {
        let get = |name: &str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let Some(host) = get(HOST_VAR) else {
            return Ok(None);
        };
        let tls = match get(TLS_VAR) {
            None => TlsMode::Starttls,
            Some(t) => TlsMode::parse(&t).ok_or_else(|| {
                problem(TLS_VAR, format!("'{t}' is not one of none, starttls, tls"))
            })?,
        };
        let port = match get(PORT_VAR) {
            None => tls.default_port(),
            Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                problem(PORT_VAR, format!("'{p}' is not a port number (1 to 65535)"))
            })?,
        };
        let timeout_ms = match get(TIMEOUT_VAR) {
            None => TIMEOUT_MS_DEFAULT,
            Some(t) => t
                .parse::<u64>()
                .ok()
                .filter(|t| (1..=TIMEOUT_MS_MAX).contains(t))
                .ok_or_else(|| {
                    problem(
                        TIMEOUT_VAR,
                        format!("'{t}' is not a number of milliseconds from 1 to {TIMEOUT_MS_MAX}"),
                    )
                })?,
        };
        let from = get(FROM_VAR).ok_or_else(|| {
            problem(
                FROM_VAR,
                "is not set; give the sender, e.g. 'Acme Accounts <billing@acme.example>'",
            )
        })?;
        let config = SmtpConfig {
            host,
            port,
            tls,
            username: get(USERNAME_VAR),
            password: get(PASSWORD_VAR),
            from,
            reply_to: get(REPLY_TO_VAR),
            timeout_ms,
        };
        config.check()?;
        Ok(Some(config))
    }

    /// Checks the addresses and that credentials come in pairs.
    pub fn check(&self) -> Result<(), ConfigError> {
        self.from_mailbox()?;
        self.reply_to_mailbox()?;
        if self.username.is_some() != self.password.is_some() {
            return Err(problem(
                if self.username.is_some() {
                    PASSWORD_VAR
                } else {
                    USERNAME_VAR
                },
                "a user name and a password go together; set both or neither",
            ));
        }
        if self.host.contains(char::is_whitespace) || self.host.contains('/') {
            return Err(problem(
                HOST_VAR,
                format!("'{}' is not a host name or address", self.host),
            ));
        }
        Ok(())
    }

    pub fn from_mailbox(&self) -> Result<Mailbox, ConfigError> {
        self.from.parse().map_err(|e| {
            problem(
                FROM_VAR,
                format!(
                    "'{}' is not an address ({e}); write 'Name <user@example.com>' or 'user@example.com'",
                    self.from
                ),
            )
        })
    }

    pub fn reply_to_mailbox(&self) -> Result<Option<Mailbox>, ConfigError> {
        self.reply_to
            .as_deref()
            .map(|r| {
                r.parse().map_err(|e| {
                    problem(
                        REPLY_TO_VAR,
                        format!("'{r}' is not an address ({e}); write 'Name <user@example.com>' or 'user@example.com'"),
                    )
                })
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<Option<SmtpConfig>, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SmtpConfig::from_vars(|k| map.get(k).cloned())
    }

    #[test]
    fn no_host_means_no_server() {
        assert_eq!(read(&[]).unwrap(), None);
        assert_eq!(read(&[(HOST_VAR, "  ")]).unwrap(), None);
    }

    #[test]
    fn defaults_follow_the_tls_mode() {
        let c = read(&[(HOST_VAR, "smtp.example.com"), (FROM_VAR, "a@example.com")])
            .unwrap()
            .unwrap();
        assert_eq!(
            (c.tls, c.port, c.timeout_ms),
            (TlsMode::Starttls, 587, TIMEOUT_MS_DEFAULT)
        );
        let c = read(&[
            (HOST_VAR, "smtp.example.com"),
            (FROM_VAR, "Acme <a@example.com>"),
            (TLS_VAR, "tls"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(c.port, 465);
    }

    #[test]
    fn errors_name_the_variable_and_what_is_accepted() {
        let base = [(HOST_VAR, "smtp.example.com"), (FROM_VAR, "a@example.com")];
        for (extra, var, says) in [
            ((PORT_VAR, "70000"), PORT_VAR, "1 to 65535"),
            ((TLS_VAR, "ssl3"), TLS_VAR, "none, starttls, tls"),
            ((TIMEOUT_VAR, "0"), TIMEOUT_VAR, "milliseconds"),
            (
                (REPLY_TO_VAR, "not an address"),
                REPLY_TO_VAR,
                "is not an address",
            ),
            ((USERNAME_VAR, "me"), PASSWORD_VAR, "set both or neither"),
        ] {
            let mut vars = base.to_vec();
            vars.push(extra);
            let e = read(&vars).unwrap_err();
            assert_eq!(e.variable, var);
            assert!(e.reason.contains(says), "{e}");
        }
        let e = read(&[(HOST_VAR, "smtp.example.com")]).unwrap_err();
        assert_eq!(e.variable, FROM_VAR);
    }

    #[test]
    fn debug_hides_the_password() {
        let c = read(&[
            (HOST_VAR, "h"),
            (FROM_VAR, "a@example.com"),
            (USERNAME_VAR, "me"),
            (PASSWORD_VAR, "hunter2"),
        ])
        .unwrap()
        .unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
