//! The delivery worker: drains an organisation's outbox through a
//! [`Transport`], one message at a time — claim (committed), write, send,
//! record — so that a stop at any instant leaves at most the one message
//! in flight to be confirmed by a person (see `dun_store::delivery` for the
//! at-most-once guarantee). Used by `dun outbox send` and by `dun serve`.

use std::collections::BTreeMap;

use dun_core::money::format_minor;
use dun_core::reference::CreditorReference;
use dun_core::{Currency, Date};
use dun_store::delivery::{Claim, Next, Retry, STALE_CLAIM_SECS_DEFAULT};
use dun_store::portal::portal_url;
use dun_store::{Store, StoreError};
use serde::Serialize;

use crate::config::SmtpConfig;
use crate::send::{build, Attachment, Outgoing, SendOutcome, Transport};
use crate::template::{default_template, escape_html, Template, Vars};

/// Most messages one call sends, at most.
pub const DRAIN_LIMIT_MAX: usize = 100_000;

/// What a drain did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    /// Messages claimed and handed to the server.
    pub claimed: usize,
    pub sent: Vec<i64>,
    /// Temporary failures, pending again later.
    pub retried: Vec<i64>,
    pub failed: Vec<i64>,
    /// Ambiguous: a person confirms.
    pub unknown: Vec<i64>,
    /// Left `sending` by a stopped worker, now `unknown`.
    pub recovered: Vec<i64>,
    /// Reminders the send-time re-check found nothing still chased in:
    /// not sent (`dropped`).
    pub dropped: Vec<i64>,
    /// Messages left waiting because no public URL is set: every customer
    /// e-mail carries a link to the portal, and a link to this machine's
    /// own address would reach nobody.
    pub waiting_for_public_url: usize,
}

/// How a drain runs.
pub struct DrainOptions<'a> {
    /// This worker's name (unique per process: host, pid, a random part).
    pub worker: &'a str,
    pub limit: usize,
    /// Claims older than this, by other workers, are taken for stopped ones.
    pub stale_secs: i64,
    /// The address portal links start with (`https://ar.example.com`);
    /// `None` until it is set, and then nothing is sent.
    pub public_url: Option<&'a str>,
    /// The organisation's today (timeline dates, portal link expiry).
    pub today: Date,
    /// The current UTC time, `YYYY-MM-DDTHH:MM:SSZ`, read for each step.
    pub now: &'a dyn Fn() -> String,
}

impl DrainOptions<'_> {
    pub const STALE_SECS_DEFAULT: i64 = STALE_CLAIM_SECS_DEFAULT;
}

/// Files a message of a kind carries (the invoice's PDF and XML, the
/// statement's PDF). Given the store, the organisation and the claim.
pub type AttachmentsFn<'a> =
    dyn FnMut(&mut Store, i64, &Claim) -> Result<Vec<Attachment>, String> + 'a;

/// No attachments at all (tests, or a transport that must stay small); the
/// documents themselves come from [`crate::attachments::documents`].
pub fn no_attachments(_: &mut Store, _: i64, _: &Claim) -> Result<Vec<Attachment>, String> {
    Ok(Vec::new())
}

/// A worker name unique to this process.
pub fn worker_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    let mut nonce = [0u8; 4];
    // Without randomness the pid and the host still name the process.
    let _ = getrandom::fill(&mut nonce);
    format!(
        "{host}:{}:{}",
        std::process::id(),
        nonce.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// The rows of the invoices table: number, due date, amount, days
/// overdue, and the invoice's payment reference.
struct Row {
    number: String,
    due: String,
    amount: String,
    days: String,
    /// Grouped (`RF81 1000 042`); empty for a credit note.
    reference: String,
    /// The invoice the row is about, when it is one.
    invoice_id: Option<i64>,
}

/// An invoice's payment reference as the table prints it.
fn reference_of(invoice_id: Option<i64>) -> String {
    invoice_id.map_or_else(String::new, |id| {
        CreditorReference::for_invoice(id).grouped()
    })
}

fn table_text(rows: &[Row]) -> String {
    let head = Row {
        number: "Invoice".into(),
        due: "Due".into(),
        amount: "Amount open".into(),
        days: "Days overdue".into(),
        reference: "Payment reference".into(),
        invoice_id: None,
    };
    let all: Vec<&Row> = std::iter::once(&head).chain(rows).collect();
    let w = |f: &dyn Fn(&Row) -> usize| all.iter().map(|r| f(r)).max().unwrap_or(0);
    let (wn, wd, wa, wy) = (
        w(&|r| r.number.chars().count()),
        w(&|r| r.due.chars().count()),
        w(&|r| r.amount.chars().count()),
        w(&|r| r.days.chars().count()),
    );
    all.iter()
        .map(|r| {
            format!(
                "{:<wn$}  {:<wd$}  {:>wa$}  {:>wy$}  {}",
                r.number, r.due, r.amount, r.days, r.reference
            )
            .trim_end()
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn table_html(rows: &[Row]) -> String {
    let cell = "style=\"padding: 4px 12px; border-bottom: 1px solid #ddd\"";
    let num = "style=\"padding: 4px 12px; border-bottom: 1px solid #ddd; text-align: right\"";
    let mut html = format!(
        "<table style=\"border-collapse: collapse\">\n<tr><th {cell}>Invoice</th><th {cell}>Due</th><th {num}>Amount open</th><th {num}>Days overdue</th><th {cell}>Payment reference</th></tr>\n"
    );
    for r in rows {
        html.push_str(&format!(
            "<tr><td {cell}>{}</td><td {cell}>{}</td><td {num}>{}</td><td {num}>{}</td><td {cell}>{}</td></tr>\n",
            escape_html(&r.number),
            escape_html(&r.due),
            escape_html(&r.amount),
            escape_html(&r.days),
            escape_html(&r.reference)
        ));
    }
    html.push_str("</table>");
    html
}

fn money(minor: i64, currency: &str) -> String {
    match Currency::parse(currency) {
        Ok(c) => format!("{} {}", c.code(), format_minor(minor, c)),
        Err(_) => format!("{currency} {minor}"),
    }
}

/// Whether `item` is at its message's own step: what the message's wording
/// and its letter are about (a message written before steps were recorded:
/// every item).
pub(crate) fn at_message_step(detail: &serde_json::Value, item: &serde_json::Value) -> bool {
    let step = detail["step"].as_str();
    step.is_none() || item["step"].as_str() == step
}

/// An item's invoice number as the customer reads it, with the plan
/// installment or the part of installment terms it stands for.
pub(crate) fn item_number(item: &serde_json::Value) -> String {
    let mut number = item["number"].as_str().unwrap_or("").to_string();
    if let Some(n) = item["installment"]["number"].as_i64() {
        number.push_str(&format!(" (installment {n})"));
    } else if let (Some(n), Some(of)) =
        (item["part"]["number"].as_i64(), item["part"]["of"].as_i64())
    {
        number.push_str(&format!(" (part {n} of {of})"));
    }
    number
}

/// The reminders the run recorded as sent for `items` (`reminded`): (day,
/// step in words), oldest first, each once.
pub(crate) fn sent_before<'a>(
    items: impl IntoIterator<Item = &'a serde_json::Value>,
) -> Vec<(String, String)> {
    let mut sent: Vec<(String, String)> = Vec::new();
    for item in items {
        for r in item["reminded"].as_array().into_iter().flatten() {
            let (Some(on), Some(step)) = (r["on"].as_str(), r["step"].as_str()) else {
                continue;
            };
            let entry = (on.to_string(), step.replace('_', " "));
            if !sent.contains(&entry) {
                sent.push(entry);
            }
        }
    }
    sent.sort();
    sent
}

/// One item of a run's message as a row of the invoices table.
fn item_row(item: &serde_json::Value) -> Row {
    let currency = item["currency"].as_str().unwrap_or("");
    let open = item["open_minor"].as_i64().unwrap_or(0);
    let days = item["days_past_due"].as_i64().unwrap_or(0);
    let invoice_id = item["invoice_id"].as_i64();
    Row {
        reference: reference_of(invoice_id),
        invoice_id,
        number: item_number(item),
        due: item["due_date"].as_str().unwrap_or("").to_string(),
        amount: money(open, currency),
        days: if days > 0 {
            days.to_string()
        } else {
            "-".into()
        },
    }
}

/// The reminders sent for `items` as a sentence with their dates and a
/// trailing space, or empty when none was: a message never claims a
/// reminder that did not go.
fn reminders_sent(items: &[&serde_json::Value]) -> String {
    let sent = sent_before(items.iter().copied());
    let named: Vec<String> = sent
        .iter()
        .map(|(on, step)| format!("{on} ({step})"))
        .collect();
    let list = match named.split_last() {
        None => return String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    };
    let them = if items.len() == 1 { "this" } else { "these" };
    format!("We wrote to you about {them} on {list}. ")
}

/// The values of every placeholder for a claimed message. With `split`
/// (the template places `{{other_invoices}}`), the invoices table holds the
/// items at the message's own step only.
pub fn vars_for(claim: &Claim, public_url: &str, split: bool) -> Vars {
    let m = &claim.message;
    let mut vars = Vars::default();
    vars.set("org_name", claim.org_name.clone());
    vars.set("customer_name", m.customer_name.clone());
    vars.set("customer_ref", m.customer_ref.clone());
    vars.set("as_of", m.as_of.to_string());
    let link = portal_url(public_url, &claim.portal_token);
    vars.set_with_html(
        "portal_link",
        link.clone(),
        format!("<a href=\"{0}\">{0}</a>", escape_html(&link)),
    );
    let mut rows = Vec::new();
    let mut totals: BTreeMap<String, i64> = BTreeMap::new();
    // With `split`, the items at the message's own step are what it is
    // about; the others (at an earlier step, or not yet due) are listed
    // apart, never under its wording.
    let at_step = |item: &serde_json::Value| !split || at_message_step(&m.detail, item);
    let items = m.detail["items"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let mut others = Vec::new();
    for item in items {
        let currency = item["currency"].as_str().unwrap_or("").to_string();
        let open = item["open_minor"].as_i64().unwrap_or(0);
        if at_step(item) {
            rows.push(item_row(item));
            *totals.entry(currency).or_default() += open;
        } else {
            others.push(item_row(item));
        }
    }
    let at_step_items: Vec<&serde_json::Value> = items.iter().filter(|i| at_step(i)).collect();
    let reminded = reminders_sent(&at_step_items);
    vars.set("reminders_sent", reminded);
    if others.is_empty() {
        vars.set("other_invoices", "");
    } else {
        let heading = "Also open on your account, not yet at this stage:";
        vars.set_with_html(
            "other_invoices",
            format!("{heading}\n\n{}", table_text(&others)),
            format!("<p>{heading}</p>\n{}", table_html(&others)),
        );
    }
    // A statement's invoices and total are the statement's own (the one
    // drawn up at the claim, which the attached PDF prints).
    for s in &claim.statements {
        let code = s.currency.code().to_string();
        for inv in &s.open_invoices {
            rows.push(Row {
                reference: inv.payment_reference().grouped(),
                invoice_id: Some(inv.invoice_id),
                number: inv.number.clone(),
                due: inv.due_date.to_string(),
                amount: money(inv.open_minor, &code),
                days: if inv.days_past_due > 0 {
                    inv.days_past_due.to_string()
                } else {
                    "-".into()
                },
            });
        }
        *totals.entry(code).or_default() += s.aging_total_minor();
    }
    let (interest_from, interest_notice) = interest_dates(m.detail["items"].as_array());
    vars.set("interest_from", interest_from);
    vars.set("interest_notice", interest_notice);
    if let Some(doc) = &claim.document {
        let number = doc.number.clone().unwrap_or_default();
        vars.set("invoice_number", number.clone());
        vars.set("invoice_total", money(doc.total_minor, &doc.currency));
        vars.set("due_date", doc.due_date.to_string());
        if rows.is_empty() {
            let days = m.as_of.days_since(doc.due_date);
            // A credit note is not paid: it names no reference.
            let invoice_id = m.invoice_id.filter(|_| m.kind == "invoice");
            rows.push(Row {
                reference: reference_of(invoice_id),
                invoice_id,
                number,
                due: doc.due_date.to_string(),
                amount: money(doc.open_minor, &doc.currency),
                days: if days > 0 {
                    days.to_string()
                } else {
                    "-".into()
                },
            });
            *totals.entry(doc.currency.clone()).or_default() += doc.open_minor;
        }
    }
    if let (Some(start), Some(end)) = (m.period_start, m.period_end) {
        vars.set("period_start", start.to_string());
        vars.set("period_end", end.to_string());
    }
    vars.set("invoice_count", rows.len().to_string());
    // What to quote for the invoices the message asks to be paid: one
    // invoice's own, several (or a statement's balance) the customer's.
    let payment_reference = if m.kind == "credit_note" {
        String::new()
    } else if !claim.statements.is_empty() {
        claim.statements[0].payment_reference().grouped()
    } else {
        let ids: Vec<i64> = rows.iter().filter_map(|r| r.invoice_id).collect();
        CreditorReference::for_payment_of(m.customer_id, &ids).grouped()
    };
    vars.set("payment_reference", payment_reference);
    vars.set(
        "total",
        if totals.is_empty() {
            "-".to_string()
        } else {
            totals
                .iter()
                .map(|(c, v)| money(*v, c))
                .collect::<Vec<_>>()
                .join(" + ")
        },
    );
    // Where to pay by card: the one invoice's page, else the Pay form of
    // the portal (each has the Pay button); only when the organisation
    // takes card payments, never for a credit note.
    let pay_link = if claim.pays_online && m.kind != "credit_note" {
        match rows.as_slice() {
            [one] if !one.number.is_empty() => {
                format!("{link}/invoices/{}#pay-online", path_segment(&one.number))
            }
            _ => format!("{link}#pay-online"),
        }
    } else {
        String::new()
    };
    if pay_link.is_empty() {
        vars.set_with_html("pay_link", "", "");
        vars.set_with_html("pay_online", "", "");
    } else {
        let anchor = format!("<a href=\"{0}\">{0}</a>", escape_html(&pay_link));
        vars.set_with_html(
            "pay_online",
            format!("\nPay by card: {pay_link}"),
            format!("<br>\nPay by card: {anchor}"),
        );
        vars.set_with_html("pay_link", pay_link, anchor);
    }
    if rows.is_empty() {
        vars.set_with_html("invoices_table", "(none)", "<p>(none)</p>");
    } else {
        vars.set_with_html("invoices_table", table_text(&rows), table_html(&rows));
    }
    vars
}

/// Who a template's preview is written to: the organisation, a customer
/// (a real one, or a made-up one when the book has none) and the day.
pub struct Sample<'a> {
    pub org_name: &'a str,
    pub customer_name: &'a str,
    pub customer_ref: &'a str,
    pub customer_id: i64,
    /// The organisation's currency, e.g. `EUR`.
    pub currency: &'a str,
    pub today: Date,
    /// Where the sample's portal and pay links start.
    pub public_url: &'a str,
}

/// Every placeholder filled with sample values, for a template's preview
/// before it is saved: two made-up overdue invoices of the sample
/// customer, a reminder sent before, interest announced, a pay link. The
/// tables and links are written as a real message writes them.
pub fn sample_vars(sample: &Sample<'_>) -> Vars {
    let mut vars = Vars::default();
    vars.set("org_name", sample.org_name);
    vars.set("customer_name", sample.customer_name);
    vars.set("customer_ref", sample.customer_ref);
    vars.set("as_of", sample.today.to_string());
    let invoices: [(i64, &str, i32, i64); 2] = [
        (9_000_001, "SAMPLE-1", 40, 125_000),
        (9_000_002, "SAMPLE-2", 12, 48_000),
    ];
    let rows: Vec<Row> = invoices
        .iter()
        .map(|(id, number, days, open)| Row {
            reference: reference_of(Some(*id)),
            invoice_id: Some(*id),
            number: (*number).to_string(),
            due: sample.today.add_days(-days).to_string(),
            amount: money(*open, sample.currency),
            days: days.to_string(),
        })
        .collect();
    let total: i64 = invoices.iter().map(|i| i.3).sum();
    vars.set_with_html("invoices_table", table_text(&rows), table_html(&rows));
    vars.set("other_invoices", "");
    let reminded = sample.today.add_days(-30).to_string();
    vars.set(
        "reminders_sent",
        format!("We wrote to you about these on {reminded} (first notice). "),
    );
    vars.set("invoice_count", rows.len().to_string());
    vars.set("total", money(total, sample.currency));
    let link = format!("{}/portal/sample", sample.public_url.trim_end_matches('/'));
    vars.set_with_html(
        "portal_link",
        link.clone(),
        format!("<a href=\"{0}\">{0}</a>", escape_html(&link)),
    );
    let pay_link = format!("{link}#pay-online");
    let anchor = format!("<a href=\"{0}\">{0}</a>", escape_html(&pay_link));
    vars.set_with_html(
        "pay_online",
        format!("\nPay by card: {pay_link}"),
        format!("<br>\nPay by card: {anchor}"),
    );
    vars.set_with_html("pay_link", pay_link, anchor);
    let ids: Vec<i64> = invoices.iter().map(|i| i.0).collect();
    vars.set(
        "payment_reference",
        CreditorReference::for_payment_of(sample.customer_id, &ids).grouped(),
    );
    vars.set("invoice_number", rows[0].number.clone());
    vars.set("invoice_total", rows[0].amount.clone());
    vars.set("due_date", rows[0].due.clone());
    vars.set("period_start", sample.today.add_days(-90).to_string());
    vars.set("period_end", sample.today.to_string());
    let from = sample.today.add_days(7).to_string();
    vars.set(
        "interest_notice",
        format!("Interest on what remains unpaid runs from {from}."),
    );
    vars.set("interest_from", from);
    vars
}

/// `text` as one segment of a URL path: unreserved characters as they
/// are, every other byte percent-encoded.
fn path_segment(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The date interest starts, as the run decided it for the message's items
/// (`interest_from`), and the sentence that states it; both empty when no
/// item announces interest. Items with different dates are named.
fn interest_dates(items: Option<&Vec<serde_json::Value>>) -> (String, String) {
    let mut dates: Vec<(String, String)> = Vec::new();
    for item in items.into_iter().flatten() {
        if let Some(from) = item["interest_from"].as_str() {
            let number = item["number"].as_str().unwrap_or("").to_string();
            if !dates.iter().any(|(d, n)| *d == from && *n == number) {
                dates.push((from.to_string(), number));
            }
        }
    }
    if dates.is_empty() {
        return (String::new(), String::new());
    }
    if dates.iter().all(|(d, _)| *d == dates[0].0) {
        let date = dates[0].0.clone();
        let notice = format!("Interest on what remains unpaid runs from {date}.");
        return (date, notice);
    }
    let named: Vec<String> = dates.iter().map(|(d, n)| format!("{d} ({n})")).collect();
    let sentence: Vec<String> = dates
        .iter()
        .map(|(d, n)| format!("from {d} on {n}"))
        .collect();
    (
        named.join(", "),
        format!(
            "Interest on what remains unpaid runs {}.",
            sentence.join(", ")
        ),
    )
}

/// The organisation's wording of the claim's template, or the built-in one.
pub fn template_for(claim: &Claim) -> Template {
    match &claim.template {
        Some(t) => Template {
            subject: t.subject.clone(),
            text: t.text_body.clone(),
            html: t.html_body.clone(),
        },
        None => default_template(&claim.message.template),
    }
}

/// Writes the message a claim is for.
pub fn compose(
    claim: &Claim,
    public_url: &str,
    attachments: Vec<Attachment>,
) -> Result<Outgoing, String> {
    let name = &claim.message.template;
    let template = template_for(claim);
    let split = template.uses("other_invoices");
    let rendered = template
        .render(name, &vars_for(claim, public_url, split))
        .map_err(|e| e.to_string())?;
    Ok(Outgoing {
        to: claim.recipient.clone(),
        cc: claim.cc.clone(),
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        message_id: claim
            .message
            .message_id
            .clone()
            .unwrap_or_else(|| format!("dun.{}.outbox@dun", claim.message.id)),
        attachments,
    })
}

/// Sends what is due in the organisation's outbox, up to `limit` messages,
/// each with its documents ([`crate::attachments::for_claim`]: an invoice's
/// PDF and UBL e-invoice, a statement's PDF), judged as of `options.today`
/// with portal links under `options.public_url`. What `dun outbox send`
/// and `dun serve` call.
pub fn deliver_with_documents(
    store: &mut Store,
    org_id: i64,
    config: &SmtpConfig,
    transport: &mut dyn Transport,
    options: &DrainOptions<'_>,
) -> Result<DeliveryReport, StoreError> {
    // Letters first: printing them does not wait for e-mail. None is made
    // for a reminder no longer owed (re-checked as a claim would).
    let dropped = store.recheck_letters(org_id, &(options.now)(), options.today)?;
    crate::letters::make_letters(
        store,
        org_id,
        &(options.now)(),
        options.today,
        options.public_url,
    )?;
    let mut documents = crate::attachments::documents(options.today, options.public_url);
    let mut report = deliver_pending(store, org_id, config, transport, &mut documents, options)?;
    report
        .dropped
        .splice(0..0, dropped.into_iter().map(|(id, _)| id));
    Ok(report)
}

/// Sends what is due in the organisation's outbox, up to `limit` messages,
/// with the attachments `attachments` gives each.
pub fn deliver_pending(
    store: &mut Store,
    org_id: i64,
    config: &SmtpConfig,
    transport: &mut dyn Transport,
    attachments: &mut AttachmentsFn<'_>,
    options: &DrainOptions<'_>,
) -> Result<DeliveryReport, StoreError> {
    let now = options.now;
    let Some(public_url) = options.public_url.filter(|u| !u.trim().is_empty()) else {
        return Ok(DeliveryReport {
            waiting_for_public_url: store.outbox_pending(org_id)?,
            ..DeliveryReport::default()
        });
    };
    let mut report = DeliveryReport {
        recovered: store.recover_stale_claims(
            org_id,
            options.worker,
            &now(),
            options.stale_secs,
            options.today,
        )?,
        ..DeliveryReport::default()
    };
    let limit = options.limit.min(DRAIN_LIMIT_MAX);
    while report.claimed < limit {
        let claim = match store.claim_next(org_id, options.worker, &now(), options.today)? {
            Some(Next::Send(claim)) => claim,
            Some(Next::Dropped { id, .. }) => {
                report.dropped.push(id);
                continue;
            }
            None => break,
        };
        report.claimed += 1;
        let id = claim.message.id;
        // Anything that fails before the server is reached is certain.
        let prepared = attachments(store, org_id, &claim)
            .and_then(|files| compose(&claim, public_url, files))
            .and_then(|out| {
                let subject = out.subject.clone();
                build(config, &out).map(|built| (built, subject))
            });
        let ((envelope, bytes), subject) = match prepared {
            Ok(p) => p,
            Err(e) => {
                store.record_permanent_failure(
                    org_id,
                    id,
                    options.worker,
                    &now(),
                    options.today,
                    &e,
                )?;
                report.failed.push(id);
                continue;
            }
        };
        match transport.send(&envelope, &bytes) {
            SendOutcome::Sent(_) => {
                store.record_sent(org_id, id, options.worker, &now(), options.today, &subject)?;
                report.sent.push(id);
            }
            SendOutcome::Temporary(e) => {
                match store.record_temporary_failure(
                    org_id,
                    id,
                    options.worker,
                    &now(),
                    options.today,
                    &e,
                )? {
                    Retry::At(_) => report.retried.push(id),
                    Retry::GaveUp => report.failed.push(id),
                }
            }
            SendOutcome::Permanent(e) => {
                store.record_permanent_failure(
                    org_id,
                    id,
                    options.worker,
                    &now(),
                    options.today,
                    &e,
                )?;
                report.failed.push(id);
            }
            SendOutcome::Ambiguous(e) => {
                store.record_unknown(org_id, id, options.worker, &now(), options.today, &e)?;
                report.unknown.push(id);
            }
        }
    }
    Ok(report)
}
