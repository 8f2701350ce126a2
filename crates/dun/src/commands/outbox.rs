//! `dun outbox`: the customer-facing messages waiting to be e-mailed, and
//! the delivery worker that sends them (`dun outbox send`).

use std::io::Write;
use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use clap::{Args, Subcommand};
use dun_mail::config::{SmtpConfig, FROM_VAR, HOST_VAR, PORT_VAR, REPLY_TO_VAR, TLS_VAR};
use dun_mail::worker::{deliver_with_documents, worker_name, DrainOptions};
use dun_mail::SmtpSender;
use dun_store::outbox_actions::OutboxAction;

use super::log::AuthorArg;
use crate::cli::FormatArg;
use crate::context::Context;
use crate::output::{emit, Table};

#[derive(Subcommand, Debug)]
pub enum OutboxCommand {
    /// Messages in the outbox, oldest first.
    List {
        /// Only messages with this status: pending, held, sending, sent,
        /// failed, unknown, dropped (a reminder found stale at send time:
        /// not sent, `last error` says why), cancelled.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Send a failed message again, or one whose delivery is unknown once
    /// you have confirmed it did not arrive.
    Retry {
        /// The message's id (see `dun outbox list`).
        id: i64,
        #[command(flatten)]
        author: AuthorArg,
    },
    /// Keep a pending message from being sent until `dun outbox send-now`.
    Hold {
        /// The message's id (see `dun outbox list`).
        id: i64,
        /// Why, for the customer's timeline.
        #[arg(long, default_value = "")]
        reason: String,
        #[command(flatten)]
        author: AuthorArg,
    },
    /// Send a held message, or one waiting to retry, with the next
    /// delivery pass.
    SendNow {
        /// The message's id (see `dun outbox list`).
        id: i64,
        #[command(flatten)]
        author: AuthorArg,
    },
    /// Never send a message that has not gone (pending, held, failed or
    /// unknown); the reason goes on the customer's timeline.
    Cancel {
        /// The message's id (see `dun outbox list`).
        id: i64,
        /// Why it is not sent.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        author: AuthorArg,
    },
    /// E-mail what is due in the outbox through the SMTP server
    /// (DUN_SMTP_HOST, DUN_SMTP_PORT, DUN_SMTP_TLS, DUN_SMTP_USERNAME,
    /// DUN_SMTP_PASSWORD, DUN_SMTP_FROM, DUN_SMTP_REPLY_TO).
    Send(SendArgs),
    /// Write the letter(s) of a message whose step has the `letter` channel
    /// to print and post (made now if the worker has not yet).
    Letter {
        /// The message's id (see `dun outbox list`).
        id: i64,
        /// The folder to write them to.
        #[arg(long, default_value = ".")]
        dir: std::path::PathBuf,
    },
}

#[derive(Args, Debug)]
pub struct SendArgs {
    /// Send at most this many messages (per pass with --loop).
    #[arg(long, default_value_t = 1000)]
    limit: usize,
    /// Keep going: send, wait, send again, until stopped.
    #[arg(long = "loop")]
    repeat: bool,
    /// Seconds between passes with --loop.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    interval_secs: u64,
    /// A message another worker claimed this many seconds ago and never
    /// recorded is taken for lost in a crash and marked unknown.
    #[arg(long, default_value_t = DrainOptions::STALE_SECS_DEFAULT, value_name = "SECONDS")]
    stale_after_secs: i64,
    /// The address customers reach `dun serve` at, which every portal link
    /// they are sent starts with (https://ar.example.com). Without it no
    /// e-mail is sent: a link to this machine would reach nobody.
    #[arg(long, env = "DUN_PUBLIC_URL", value_name = "URL")]
    public_url: Option<String>,
    /// SMTP server (overrides DUN_SMTP_HOST).
    #[arg(long)]
    smtp_host: Option<String>,
    /// SMTP port (overrides DUN_SMTP_PORT).
    #[arg(long)]
    smtp_port: Option<String>,
    /// none, starttls or tls (overrides DUN_SMTP_TLS).
    #[arg(long)]
    smtp_tls: Option<String>,
    /// The From address (overrides DUN_SMTP_FROM).
    #[arg(long)]
    smtp_from: Option<String>,
    /// The Reply-To address (overrides DUN_SMTP_REPLY_TO).
    #[arg(long)]
    smtp_reply_to: Option<String>,
}

impl SendArgs {
    fn config(&self) -> Result<Option<SmtpConfig>> {
        let flag = |name: &str| -> Option<String> {
            match name {
                HOST_VAR => self.smtp_host.clone(),
                PORT_VAR => self.smtp_port.clone(),
                TLS_VAR => self.smtp_tls.clone(),
                FROM_VAR => self.smtp_from.clone(),
                REPLY_TO_VAR => self.smtp_reply_to.clone(),
                _ => None,
            }
        };
        SmtpConfig::from_vars(|name| flag(name).or_else(|| std::env::var(name).ok()))
            .map_err(|e| anyhow!("the SMTP settings cannot be used: {e}"))
    }
}

fn no_server_note(pending: i64) -> String {
    format!(
        "No SMTP server is configured, so {pending} message(s) stay in the outbox. \
         Set {HOST_VAR} and {FROM_VAR} (and {PORT_VAR}, {TLS_VAR} as needed), then run `dun outbox send`."
    )
}

pub fn run(ctx: &mut Context, command: OutboxCommand) -> Result<()> {
    match command {
        OutboxCommand::List {
            status,
            limit,
            format,
        } => {
            let messages = ctx.store.outbox(ctx.org.id, status.as_deref(), limit)?;
            let mut table = Table::new(&[
                "id",
                "as of",
                "kind",
                "customer",
                "recipient",
                "cc",
                "template",
                "invoices",
                "status",
                "attempts",
                "last error",
            ])
            .numeric([0, 9]);
            for m in &messages {
                let invoices: Vec<&str> = m.detail["items"]
                    .as_array()
                    .map(|items| items.iter().filter_map(|i| i["number"].as_str()).collect())
                    .unwrap_or_default();
                let status = match (&m.status[..], &m.next_attempt_at) {
                    ("pending", Some(at)) => format!("pending (next {at})"),
                    (s, _) => s.to_string(),
                };
                table.push(vec![
                    m.id.to_string(),
                    m.as_of.to_string(),
                    m.kind.clone(),
                    m.customer_ref.clone(),
                    m.recipient.clone().unwrap_or_default(),
                    m.cc.clone().unwrap_or_default(),
                    m.template.clone(),
                    invoices.join(", "),
                    status,
                    m.attempts.to_string(),
                    m.last_error.clone().unwrap_or_default(),
                ]);
            }
            emit(format.format, &table, &messages)?;
            let pending = messages.iter().filter(|m| m.status == "pending").count() as i64;
            if pending > 0 && matches!(SmtpConfig::from_env(), Ok(None)) {
                eprintln!("{}", no_server_note(pending));
            }
            Ok(())
        }
        OutboxCommand::Retry { id, author } => act(ctx, id, OutboxAction::Retry, "", &author),
        OutboxCommand::Hold { id, reason, author } => {
            act(ctx, id, OutboxAction::Hold, &reason, &author)
        }
        OutboxCommand::SendNow { id, author } => act(ctx, id, OutboxAction::SendNow, "", &author),
        OutboxCommand::Cancel { id, reason, author } => {
            act(ctx, id, OutboxAction::Cancel, &reason, &author)
        }
        OutboxCommand::Send(args) => send(ctx, &args),
        OutboxCommand::Letter { id, dir } => letter(ctx, id, &dir),
    }
}

/// A person's action on one message, and what became of it in words.
fn act(
    ctx: &mut Context,
    id: i64,
    action: OutboxAction,
    reason: &str,
    author: &AuthorArg,
) -> Result<()> {
    let today = ctx.today()?;
    let now = ctx.store.now_utc();
    let m =
        ctx.store
            .act_on_message(ctx.org.id, id, action, reason, &author.name(), &now, today)?;
    let to = m.recipient.as_deref().unwrap_or(&m.customer_ref);
    let said = match action {
        OutboxAction::Hold => {
            "is held; `dun outbox send-now` sends it, `dun outbox cancel` drops it"
        }
        OutboxAction::Cancel => "is cancelled and will not be sent",
        OutboxAction::SendNow | OutboxAction::Retry => "is due now; `dun outbox send` sends it",
    };
    println!("Message #{} ({} to {to}) {said}.", m.id, m.template);
    Ok(())
}

fn letter(ctx: &mut Context, id: i64, dir: &std::path::Path) -> Result<()> {
    let today = ctx.today()?;
    let org = ctx.org.id;
    let mut letters = ctx.store.letters(org, id)?;
    if letters.is_empty() {
        let m = ctx.store.outbox_message(org, id)?;
        if !m.channels.iter().any(|c| c == "letter") {
            bail!("message #{id} has no letter: its step has no `letter` channel (see `dun outbox list`)");
        }
        let now = ctx.store.now_utc();
        letters = dun_mail::letters::letters_for(&mut ctx.store, org, &m, &now, today, None)?;
    }
    for l in letters {
        let path = dir.join(&l.filename);
        std::fs::write(&path, &l.pdf)
            .map_err(|e| anyhow!("cannot write '{}': {e}", path.display()))?;
        eprintln!("Wrote {} ({} bytes)", path.display(), l.pdf.len());
    }
    Ok(())
}

/// Why nothing was sent without a public URL, and what to set.
fn public_url_missing(waiting: usize) -> String {
    let messages = if waiting == 1 {
        "message waits"
    } else {
        "messages wait"
    };
    format!(
        "nothing was sent: {waiting} {messages} in the outbox, and every customer e-mail carries a \
         link to the customer's portal, which needs the address customers reach `dun serve` at; \
         set DUN_PUBLIC_URL (or --public-url), e.g. https://ar.example.com"
    )
}

fn send(ctx: &mut Context, args: &SendArgs) -> Result<()> {
    if args.limit == 0 {
        bail!("--limit must be at least 1");
    }
    let Some(config) = args.config()? else {
        // Letters do not wait for an e-mail server.
        let today = ctx.today()?;
        let now = ctx.store.now_utc();
        dun_mail::letters::make_letters(
            &mut ctx.store,
            ctx.org.id,
            &now,
            today,
            args.public_url.as_deref(),
        )?;
        let pending = ctx
            .store
            .outbox_counts(ctx.org.id)?
            .into_iter()
            .find(|(s, _)| s == "pending")
            .map_or(0, |(_, n)| n);
        println!("{}", no_server_note(pending));
        return Ok(());
    };
    let worker = worker_name();
    let mut sender = SmtpSender::new(config.clone());
    let clock = ctx.store.clock();
    let now = move || clock.now_utc();
    loop {
        let today = ctx.today()?;
        // Each message carries its documents: an invoice's PDF and UBL
        // e-invoice, a statement's PDF.
        let report = deliver_with_documents(
            &mut ctx.store,
            ctx.org.id,
            &config,
            &mut sender,
            &DrainOptions {
                worker: &worker,
                limit: args.limit,
                stale_secs: args.stale_after_secs,
                public_url: args.public_url.as_deref(),
                today,
                now: &now,
            },
        )?;
        if report.waiting_for_public_url > 0 {
            bail!("{}", public_url_missing(report.waiting_for_public_url));
        }
        let pending = ctx
            .store
            .outbox_counts(ctx.org.id)?
            .into_iter()
            .find(|(s, _)| s == "pending")
            .map_or(0, |(_, n)| n);
        let mut line = format!(
            "Sent {}, to retry later {}, failed {}, unknown {}, dropped {}",
            report.sent.len(),
            report.retried.len(),
            report.failed.len(),
            report.unknown.len(),
            report.dropped.len()
        );
        if !report.recovered.is_empty() {
            line.push_str(&format!(
                "; {} left in flight by a stopped worker marked unknown",
                report.recovered.len()
            ));
        }
        line.push_str(&format!("; {pending} pending."));
        if !(report.failed.is_empty() && report.unknown.is_empty() && report.recovered.is_empty()) {
            line.push_str(
                " Failed and unknown messages are tasks on the worklist (`dun worklist`).",
            );
        }
        if !report.dropped.is_empty() {
            line.push_str(
                " Dropped reminders were about invoices no longer chased (paid, disputed…): \
                 `dun outbox list --status dropped` says why.",
            );
        }
        println!("{line}");
        std::io::stdout().flush()?;
        if !args.repeat {
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(args.interval_secs.max(1)));
    }
}
