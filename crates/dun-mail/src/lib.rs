//! Dun's e-mail: where it goes ([`config`]), what it says ([`template`]),
//! how it is built and handed to an SMTP server ([`send`]), and the worker
//! that drains the outbox ([`worker`]).
//!
//! The crate depends on `dun-store` for the outbox's claims and records
//! (`dun_store::delivery`), and on `dun-pdf` and `dun-ubl` for the
//! documents a message carries ([`attachments`]: the invoice's PDF and UBL
//! e-invoice, the statement's PDF). The worker takes the attachment
//! function as an argument ([`worker::AttachmentsFn`]);
//! [`worker::deliver_with_documents`] passes [`attachments::documents`].

pub mod attachments;
pub mod claim_file;
pub mod config;
pub mod interest_sheet;
pub mod letters;
pub mod send;
pub mod template;
pub mod worker;

pub use config::{ConfigError, SmtpConfig, TlsMode};
pub use send::{Attachment, Outgoing, SendOutcome, SmtpSender, Transport};
pub use worker::{deliver_pending, deliver_with_documents, DeliveryReport, DrainOptions};
