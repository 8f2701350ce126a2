//! Letters: a step with the `letter` channel has its message rendered as a
//! letter (`dun-pdf`'s letter, one per currency) from the invoices the run
//! listed, kept by the store with a timeline entry and a task "print and
//! post" ([`dun_store::Store::save_letters`]), and attached to the e-mail
//! when the step also has the `email` channel. Made by the delivery worker
//! before it sends (`dun outbox send`, `dun serve`), once per message.

use std::collections::BTreeMap;

use dun_core::statement::OpenInvoice;
use dun_core::{Currency, Date};
use dun_pdf::views::{self, LetterFacts};
use dun_store::letters::Letter;
use dun_store::outbox::OutboxMessage;
use dun_store::{Store, StoreError};

use crate::attachments::{file_stem, portal_link, DocumentError};
use crate::worker::{at_message_step, item_number, sent_before};

/// Days the customer is given to pay in a letter.
pub const LETTER_PAY_WITHIN_DAYS: i32 = 7;

/// The letters of message `m` as (file name, PDF): one per currency of its
/// items, listing those items as the run decided them.
pub fn letter_files(
    store: &mut Store,
    org_id: i64,
    m: &OutboxMessage,
    public_url: Option<&str>,
) -> Result<Vec<(String, Vec<u8>)>, DocumentError> {
    let mut by_currency: BTreeMap<String, Vec<OpenInvoice>> = BTreeMap::new();
    let mut items_by_currency: BTreeMap<String, Vec<&serde_json::Value>> = BTreeMap::new();
    // The letter is about the items at the message's own step: it demands
    // those only (the e-mail lists the others apart).
    for item in m.detail["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|item| at_message_step(&m.detail, item))
    {
        let (Some(number), Some(code)) = (item["number"].as_str(), item["currency"].as_str())
        else {
            continue;
        };
        let invoice = store.invoice(org_id, number, m.as_of)?;
        let date = |field: &str| {
            item[field]
                .as_str()
                .and_then(|t| Date::parse(t).ok())
                .unwrap_or(invoice.due_date)
        };
        items_by_currency
            .entry(code.to_string())
            .or_default()
            .push(item);
        by_currency
            .entry(code.to_string())
            .or_default()
            .push(OpenInvoice {
                invoice_id: invoice.id,
                number: item_number(item),
                issue_date: invoice.issue_date,
                due_date: date("due_date"),
                days_past_due: item["days_past_due"].as_i64().unwrap_or(0) as i32,
                total_minor: invoice.totals.total_minor,
                open_minor: item["open_minor"].as_i64().unwrap_or(0),
            });
    }
    if by_currency.is_empty() {
        return Ok(Vec::new());
    }
    let (seller, payment) = store.seller(org_id)?;
    let buyer = store.buyer(org_id, m.customer_id)?;
    let portal = portal_link(store, org_id, m.customer_id, m.as_of, public_url)?;
    let policy = store.policy(org_id)?;
    let settings = store.document_settings(org_id)?;
    let words = dun_pdf::words::words(settings.locale);
    let title = match m.template.as_str() {
        "final_demand" | "dunning_level_3" => words.final_demand,
        _ => words.payment_reminder,
    };
    let signature = dun_pdf::words::fill(words.accounts_receivable, &[("name", &seller.name)]);
    let several = by_currency.len() > 1;
    let home = store.org_by_id(org_id)?.currency;
    let stem = file_stem(&format!(
        "letter-{}-{}-{}",
        m.template, m.customer_ref, m.as_of
    ));
    let mut files = Vec::new();
    for (code, invoices) in by_currency {
        let currency = Currency::parse(&code).map_err(|e| DocumentError::Refused(e.to_string()))?;
        let reminded: Vec<(Date, String)> =
            sent_before(items_by_currency.get(&code).into_iter().flatten().copied())
                .into_iter()
                .filter_map(|(on, step)| Date::parse(&on).ok().map(|d| (d, step)))
                .collect();
        let view = views::final_demand(&LetterFacts {
            title,
            sender: &seller,
            recipient: &buyer,
            date: m.as_of,
            customer_reference: Some(&m.customer_ref),
            customer_id: m.customer_id,
            currency,
            invoices: &invoices,
            reminded: &reminded,
            pay_by: m.as_of.add_days(LETTER_PAY_WITHIN_DAYS),
            late_payment: views::late_payment_sentence_in(
                &policy.policy,
                currency,
                home,
                settings.locale,
            ),
            instructions: &payment,
            portal_link: portal.clone(),
            signature: &signature,
            locale: settings.locale,
        });
        let name = if several {
            format!("{stem}-{code}.pdf")
        } else {
            format!("{stem}.pdf")
        };
        files.push((name, dun_pdf::render_letter(&view, &settings)?));
    }
    Ok(files)
}

/// The letters of message `m`: those kept already, else rendered and kept
/// now (with their timeline entry and task).
pub fn letters_for(
    store: &mut Store,
    org_id: i64,
    m: &OutboxMessage,
    now: &str,
    today: Date,
    public_url: Option<&str>,
) -> Result<Vec<Letter>, DocumentError> {
    let kept = store.letters(org_id, m.id)?;
    if !kept.is_empty() {
        return Ok(kept);
    }
    let files = letter_files(store, org_id, m, public_url)?;
    Ok(store.save_letters(org_id, m.id, &files, now, today)?)
}

/// What [`make_letters`] did: the messages whose letters it made, and those
/// it could not render (id, why), left for the next call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LettersMade {
    pub made: Vec<i64>,
    pub failed: Vec<(i64, String)>,
}

/// Makes the letter of every message with the `letter` channel that has
/// none yet. A letter that cannot be rendered is left for the next call.
pub fn make_letters(
    store: &mut Store,
    org_id: i64,
    now: &str,
    today: Date,
    public_url: Option<&str>,
) -> Result<LettersMade, StoreError> {
    let mut out = LettersMade::default();
    for m in store.letters_to_make(org_id)? {
        match letters_for(store, org_id, &m, now, today, public_url) {
            Ok(_) => out.made.push(m.id),
            Err(DocumentError::Store(e)) => return Err(e),
            Err(e) => out.failed.push((m.id, e.to_string())),
        }
    }
    Ok(out)
}
