//! Building a MIME message and handing it to an SMTP server, with each
//! failure sorted by what it means for the outbox: certain (temporary or
//! permanent) or ambiguous.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::message::header::ContentType;
use lettre::message::{Attachment as MimeAttachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;
use lettre::Message;

use crate::config::{SmtpConfig, TlsMode};

/// A file attached to a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    /// e.g. `application/pdf`, `application/xml`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// One message, ready to build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// One address or several, comma-separated (`a@x.com, b@y.com`).
    pub to: String,
    /// In copy, the same way; `None`: nobody.
    pub cc: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Without angle brackets; the same on every attempt.
    pub message_id: String,
    pub attachments: Vec<Attachment>,
}

/// What the server made of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted (the server's reply).
    Sent(String),
    /// Refused for now (4xx), or the server could not be reached: certainly
    /// not delivered; try again later.
    Temporary(String),
    /// Refused for good (5xx), or not a deliverable message: certainly not
    /// delivered; a person must act.
    Permanent(String),
    /// The connection broke while the server held the message's body: it
    /// may or may not have been accepted.
    Ambiguous(String),
}

/// Builds the MIME message: text and HTML as alternatives, then the
/// attachments, with the outbox's Message-ID.
pub fn build(config: &SmtpConfig, out: &Outgoing) -> Result<(Envelope, Vec<u8>), String> {
    let from = config.from_mailbox().map_err(|e| e.to_string())?;
    let mut builder = Message::builder().from(from);
    for to in mailboxes(&out.to)? {
        builder = builder.to(to);
    }
    if let Some(cc) = &out.cc {
        for cc in mailboxes(cc)? {
            builder = builder.cc(cc);
        }
    }
    let mut builder = builder
        .subject(out.subject.clone())
        .message_id(Some(format!("<{}>", out.message_id)));
    if let Some(reply_to) = config.reply_to_mailbox().map_err(|e| e.to_string())? {
        builder = builder.reply_to(reply_to);
    }
    let alternative = MultiPart::alternative()
        .singlepart(SinglePart::plain(out.text.clone()))
        .singlepart(SinglePart::html(out.html.clone()));
    let message = if out.attachments.is_empty() {
        builder.multipart(alternative)
    } else {
        let mut mixed = MultiPart::mixed().multipart(alternative);
        for a in &out.attachments {
            let content_type = ContentType::parse(&a.content_type).map_err(|e| {
                format!(
                    "attachment '{}' has content type '{}', which is not a MIME type ({e})",
                    a.filename, a.content_type
                )
            })?;
            mixed = mixed.singlepart(
                MimeAttachment::new(a.filename.clone()).body(a.bytes.clone(), content_type),
            );
        }
        builder.multipart(mixed)
    }
    .map_err(|e| format!("the message cannot be built: {e}"))?;
    Ok((message.envelope().clone(), message.formatted()))
}

/// The addresses of a comma-separated list; at least one.
fn mailboxes(list: &str) -> Result<Vec<Mailbox>, String> {
    let found = list
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            a.parse::<Mailbox>()
                .map_err(|e| format!("the recipient '{a}' is not an address ({e})"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if found.is_empty() {
        return Err(format!("the recipient '{list}' is not an address"));
    }
    Ok(found)
}

/// Something that hands messages to a server.
pub trait Transport {
    fn send(&mut self, envelope: &Envelope, message: &[u8]) -> SendOutcome;
}

/// Sends over SMTP, one connection per message (so no message can be
/// caught in another's broken session).
pub struct SmtpSender {
    config: SmtpConfig,
}

impl SmtpSender {
    pub fn new(config: SmtpConfig) -> SmtpSender {
        SmtpSender { config }
    }

    pub fn config(&self) -> &SmtpConfig {
        &self.config
    }

    fn tls(&self) -> Result<TlsParameters, String> {
        TlsParameters::new(self.config.host.clone())
            .map_err(|e| format!("TLS for {} cannot be set up: {e}", self.config.host))
    }

    /// Connects, says hello, secures and authenticates. Every failure here
    /// is before any message was handed over.
    fn open(&self) -> Result<SmtpConnection, SendOutcome> {
        let c = &self.config;
        let timeout = Some(Duration::from_millis(c.timeout_ms));
        let hello = ClientId::default();
        let implicit = match c.tls {
            TlsMode::Tls => Some(self.tls().map_err(SendOutcome::Permanent)?),
            _ => None,
        };
        let mut conn = SmtpConnection::connect(
            (c.host.as_str(), c.port),
            timeout,
            &hello,
            implicit.as_ref(),
            None,
        )
        .map_err(|e| {
            classify_before_data(&format!("cannot connect to {}:{}", c.host, c.port), &e)
        })?;
        if c.tls == TlsMode::Starttls {
            if !conn.can_starttls() {
                conn.abort();
                return Err(SendOutcome::Permanent(format!(
                    "{}:{} does not offer STARTTLS; set DUN_SMTP_TLS=tls for port 465, or none only for a trusted local server",
                    c.host, c.port
                )));
            }
            let tls = self.tls().map_err(SendOutcome::Permanent)?;
            conn.starttls(&tls, &hello)
                .map_err(|e| classify_before_data("STARTTLS failed", &e))?;
        }
        if let (Some(user), Some(password)) = (&c.username, &c.password) {
            conn.auth(
                &[Mechanism::Plain, Mechanism::Login],
                &Credentials::new(user.clone(), password.clone()),
            )
            .map_err(|e| classify_before_data("the server refused the credentials", &e))?;
        }
        Ok(conn)
    }
}

/// A failure before the message's body was sent: certain.
fn classify_before_data(context: &str, e: &lettre::transport::smtp::Error) -> SendOutcome {
    let text = format!("{context}: {e}");
    if e.is_permanent() || e.is_tls() || e.is_client() {
        SendOutcome::Permanent(text)
    } else {
        // 4xx, a refused or lost connection, a timeout: nothing was handed over.
        SendOutcome::Temporary(text)
    }
}

impl Transport for SmtpSender {
    fn send(&mut self, envelope: &Envelope, message: &[u8]) -> SendOutcome {
        let mut conn = match self.open() {
            Ok(conn) => conn,
            Err(outcome) => return outcome,
        };
        // MAIL, RCPT, DATA: a refusal or a broken connection here is before
        // the server has the message, so it is certain.
        let before_body = (|| {
            conn.command(Mail::new(envelope.from().cloned(), vec![]))?;
            for to in envelope.to() {
                conn.command(Rcpt::new(to.clone(), vec![]))?;
            }
            conn.command(Data)
        })();
        if let Err(e) = before_body {
            conn.abort();
            return classify_before_data("the server did not take the message", &e);
        }
        // The body and the final reply: a reply is certain either way; a
        // broken connection or a timeout is not.
        let outcome = match conn.message(message) {
            Ok(response) => SendOutcome::Sent(
                response
                    .message()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .trim()
                    .to_string(),
            ),
            Err(e) if e.is_permanent() => {
                SendOutcome::Permanent(format!("the server refused the message: {e}"))
            }
            Err(e) if e.is_transient() => {
                SendOutcome::Temporary(format!("the server deferred the message: {e}"))
            }
            Err(e) => SendOutcome::Ambiguous(format!(
                "the connection broke while the server held the message: {e}"
            )),
        };
        if matches!(outcome, SendOutcome::Sent(_)) {
            let _ = conn.quit();
        } else {
            conn.abort();
        }
        outcome
    }
}
