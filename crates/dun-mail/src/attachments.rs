//! The documents a message carries, from the store: the invoice as PDF
//! (`dun-pdf`) and as a checked UBL e-invoice (`dun-ubl`), the statement of
//! account as PDF. The same glue serves `dun invoice pdf`, `dun invoice
//! xml`, `dun statement`, the delivery worker and `dun serve`.

use dun_core::ledger::EntryKind;
use dun_core::money::format_minor;
use dun_core::party::{Party, PaymentInstructions};
use dun_core::reference::CreditorReference;
use dun_core::statement::Statement;
use dun_core::terms::{Installment, Terms};
use dun_core::{Currency, Date};
use dun_pdf::views::{self, InvoiceFacts};
use dun_store::delivery::Claim;
use dun_store::timeline::NewEntry;
use dun_store::{Store, StoreError};
use dun_ubl::{check_en16931, BillingReference, Header, UblDocument, ZeroRateCategory};

use crate::send::Attachment;

/// How long a portal link printed on a document works, in days.
pub const PORTAL_LINK_DAYS: i32 = 90;

pub const PDF: &str = "application/pdf";
pub const XML: &str = "application/xml";

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the PDF cannot be rendered: {0}")]
    Render(#[from] dun_pdf::RenderError),
    /// The document cannot exist as asked.
    #[error("{0}")]
    Refused(String),
    /// The e-invoice would break EN 16931 rules, each listed: the book
    /// (the organisation's or the customer's details) must change first.
    #[error("{0}")]
    NotConforming(String),
    /// A draft has no number, so no document: it is issued first.
    #[error("invoice #{id} is a draft and has no number yet; issue it first")]
    Draft { id: i64 },
}

/// A link to the customer's portal, valid [`PORTAL_LINK_DAYS`] from `today`,
/// when a public address is configured.
pub fn portal_link(
    store: &mut Store,
    org_id: i64,
    customer_id: i64,
    today: Date,
    public_url: Option<&str>,
) -> Result<Option<String>, StoreError> {
    let Some(url) = public_url.filter(|u| !u.trim().is_empty()) else {
        return Ok(None);
    };
    let token = store.portal_token(org_id, customer_id, today.add_days(PORTAL_LINK_DAYS))?;
    Ok(Some(dun_store::portal::portal_url(url, &token)))
}

/// The policy's late fee and interest as a sentence, if it has any.
pub fn late_payment(
    store: &mut Store,
    org_id: i64,
    currency: Currency,
) -> Result<Option<String>, StoreError> {
    let policy = store.policy(org_id)?;
    let home = store.org_by_id(org_id)?.currency;
    let locale = store.document_settings(org_id)?.locale;
    Ok(views::late_payment_sentence_in(
        &policy.policy,
        currency,
        home,
        locale,
    ))
}

/// The invoice `number` as PDF: its number and bytes, its status judged as
/// of `today`.
pub fn invoice_pdf(
    store: &mut Store,
    org_id: i64,
    number: &str,
    today: Date,
    public_url: Option<&str>,
) -> Result<(String, Vec<u8>), DocumentError> {
    let (number, view) = invoice_view(store, org_id, number, today, public_url)?;
    let settings = store.document_settings(org_id)?;
    Ok((number, dun_pdf::render_invoice(&view, &settings)?))
}

/// Credit note `number` as PDF: its number and bytes — one line per tax
/// rate of the invoice it credits, split as its e-invoice declares it
/// (`invoice::credit_parts`).
pub fn credit_note_pdf(
    store: &mut Store,
    org_id: i64,
    number: &str,
    today: Date,
    public_url: Option<&str>,
) -> Result<(String, Vec<u8>), DocumentError> {
    let note = store.credit_note(org_id, number).map_err(|e| match e {
        StoreError::NotFound { .. } => {
            DocumentError::Refused(format!("no credit note numbered '{number}'"))
        }
        other => other.into(),
    })?;
    let (seller, _) = store.seller(org_id)?;
    let buyer = store.buyer(org_id, note.customer_id)?;
    let portal = portal_link(store, org_id, note.customer_id, today, public_url)?;
    let settings = store.document_settings(org_id)?;
    let parts = dun_core::invoice::credit_parts(&note.invoice_lines, note.amount_minor);
    let view = views::credit_note(&views::CreditNoteFacts {
        number: &note.number,
        currency: note.currency,
        issue_date: note.issue_date,
        invoice_number: &note.invoice_number,
        reason: &note.reason,
        parts: &parts,
        seller: &seller,
        buyer: &buyer,
        customer_reference: Some(&note.customer_ref),
        portal_link: portal,
        locale: settings.locale,
    });
    Ok((
        note.number.clone(),
        dun_pdf::render_invoice(&view, &settings)?,
    ))
}

/// What the invoice's PDF prints (the model it is rendered from), with its
/// number; the late-payment terms are those of the policy version the
/// invoice was issued under.
pub fn invoice_view(
    store: &mut Store,
    org_id: i64,
    number: &str,
    today: Date,
    public_url: Option<&str>,
) -> Result<(String, dun_pdf::InvoiceView), DocumentError> {
    let doc = store.invoice_document(org_id, number, today)?;
    let inv = &doc.invoice;
    let Some(number) = inv.number.clone() else {
        return Err(DocumentError::Draft { id: inv.id });
    };
    let customer = store.customer(org_id, &inv.customer_ref)?;
    let portal = portal_link(store, org_id, customer.id, today, public_url)?;
    // The terms of the policy the invoice was issued under, not today's.
    let policy = store.invoice_policy(org_id, &number)?;
    let home = store.org_by_id(org_id)?.currency;
    let locale = store.document_settings(org_id)?.locale;
    let late = views::late_payment_sentence_in(&policy.policy, inv.currency, home, locale);
    let words = dun_pdf::words::words(locale);
    let title = if inv.status == dun_core::state::SettlementStatus::Void {
        words.invoice_void
    } else {
        words.invoice
    };
    let reference = CreditorReference::for_invoice(inv.id);
    let view = views::invoice(&InvoiceFacts {
        title,
        number: &number,
        currency: inv.currency,
        issue_date: inv.issue_date,
        due_date: inv.due_date,
        terms: &inv.terms,
        description: &inv.description,
        lines: &inv.lines,
        schedule: &inv.schedule,
        totals: inv.totals,
        fees_and_interest_minor: inv
            .entries
            .iter()
            .filter(|e| {
                matches!(
                    e.entry.kind,
                    EntryKind::Fee | EntryKind::Interest | EntryKind::Compensation
                )
            })
            .filter(|e| e.entry.effective_date <= today)
            .map(|e| e.entry.ar_minor)
            .sum(),
        open_minor: inv.open_minor,
        seller: &doc.seller,
        buyer: &doc.buyer,
        customer_reference: Some(&inv.customer_ref),
        payment_reference: &reference,
        instructions: &doc.payment,
        late_payment: late,
        portal_link: portal,
        locale,
    });
    Ok((number, view))
}

/// The customer's statements for `[from, to]` as (statement, PDF bytes),
/// one per currency.
pub fn statement_pdfs(
    store: &mut Store,
    org_id: i64,
    customer_ref: &str,
    from: Date,
    to: Date,
    public_url: Option<&str>,
) -> Result<Vec<(Statement, Vec<u8>)>, DocumentError> {
    let found = store.customer_statements(org_id, customer_ref, from, to)?;
    let portal = portal_link(store, org_id, found.customer.id, to, public_url)?;
    let who = StatementParties {
        seller: &found.seller,
        buyer: &found.buyer,
        customer_reference: &found.customer.reference,
        payment: &found.payment,
        portal,
        settings: store.document_settings(org_id)?,
    };
    found
        .statements
        .into_iter()
        .map(|s| {
            let pdf = statement_pdf(&s, &who)?;
            Ok((s, pdf))
        })
        .collect()
}

/// Who a statement names, and where the customer pays.
struct StatementParties<'a> {
    seller: &'a Party,
    buyer: &'a Party,
    customer_reference: &'a str,
    payment: &'a PaymentInstructions,
    portal: Option<String>,
    settings: dun_pdf::DocumentSettings,
}

/// One statement, already drawn up, as PDF.
fn statement_pdf(s: &Statement, who: &StatementParties<'_>) -> Result<Vec<u8>, DocumentError> {
    let view = views::statement(
        s,
        who.seller,
        who.buyer,
        Some(who.customer_reference),
        who.payment,
        who.portal.clone(),
        who.settings.locale,
    );
    Ok(dun_pdf::render_statement(&view, &who.settings)?)
}

/// The invoice or credit note `number` as a UBL file: its name
/// (`NUMBER.xml`) and bytes. An error names every EN 16931 rule the
/// document would break.
pub fn invoice_ubl(
    store: &mut Store,
    org_id: i64,
    number: &str,
    today: Date,
) -> Result<(String, Vec<u8>), DocumentError> {
    let document = checked_ubl_document(store, org_id, number, today)?;
    Ok((
        format!("{}.xml", document.header.number),
        document.to_xml().into_bytes(),
    ))
}

/// The e-invoice, refused with every rule it breaks.
pub fn checked_ubl_document(
    store: &mut Store,
    org_id: i64,
    number: &str,
    today: Date,
) -> Result<UblDocument, DocumentError> {
    let document = ubl_document(store, org_id, number, today)?;
    let violations = check_en16931(&document);
    if !violations.is_empty() {
        let list: Vec<String> = violations.iter().map(|v| format!("  {v}")).collect();
        return Err(DocumentError::NotConforming(format!(
            "{} would not be a valid EN 16931 e-invoice; nothing was written:\n{}",
            document.header.number,
            list.join("\n")
        )));
    }
    Ok(document)
}

/// The e-invoice or credit note numbered `number` (unchecked).
pub fn ubl_document(
    store: &mut Store,
    org_id: i64,
    number: &str,
    today: Date,
) -> Result<UblDocument, DocumentError> {
    let (seller, payment) = store.seller(org_id)?;
    // As fixed when the invoice was issued: an e-invoice never changes.
    let zero = match store.document_zero_rate(org_id, number)? {
        Some(zero) => zero,
        None => store.zero_rate(org_id)?,
    };
    let zero_rate = ZeroRateCategory {
        code: zero.category,
        exemption_reason: zero.exemption_reason,
    };
    match store.invoice(org_id, number, today) {
        Ok(invoice) => {
            let Some(invoice_number) = invoice.number.clone() else {
                return Err(DocumentError::Refused(format!(
                    "invoice {number} is a draft; issue it first (`dun invoice issue {number}`): a draft has no number to put on an e-invoice"
                )));
            };
            let buyer = store.buyer_by_ref(org_id, &invoice.customer_ref)?;
            let interest = store
                .invoice_policy(org_id, &invoice_number)
                .ok()
                .and_then(|p| p.policy.interest)
                .map(|i| format!("late payment interest {} % a year", i.annual_rate_percent));
            let terms = terms_sentence(&invoice.terms, &invoice.schedule, invoice.currency);
            let payment_terms = Some(match interest {
                Some(i) => format!("{terms}; {i}"),
                None => terms,
            });
            let header = Header {
                number: invoice_number,
                issue_date: invoice.issue_date,
                due_date: Some(invoice.due_date),
                currency: invoice.currency,
                note: Some(invoice.description.clone()).filter(|d| !d.trim().is_empty()),
                buyer_reference: Some(invoice.customer_ref.clone()),
                seller,
                buyer,
                payment,
                payment_id: Some(
                    CreditorReference::for_invoice(invoice.id)
                        .as_str()
                        .to_string(),
                ),
                payment_terms,
                billing_reference: None,
            };
            Ok(UblDocument::invoice(header, &invoice.lines, &zero_rate))
        }
        Err(StoreError::NotFound { .. }) => {
            let note = store.credit_note(org_id, number).map_err(|e| match e {
                StoreError::NotFound { .. } => DocumentError::Refused(format!(
                    "no invoice or credit note numbered '{number}'; see `dun invoice list`"
                )),
                other => other.into(),
            })?;
            let buyer = store.buyer(org_id, note.customer_id)?;
            let header = Header {
                number: note.number.clone(),
                issue_date: note.issue_date,
                due_date: None,
                currency: note.currency,
                note: Some(note.reason.clone()).filter(|r| !r.trim().is_empty()),
                buyer_reference: Some(note.customer_ref.clone()),
                seller,
                buyer,
                payment,
                payment_id: None,
                payment_terms: None,
                billing_reference: Some(BillingReference {
                    number: note.invoice_number.clone(),
                    issue_date: note.invoice_issue_date,
                }),
            };
            let reason = if note.reason.trim().is_empty() {
                format!("Credit against {}", note.invoice_number)
            } else {
                note.reason.clone()
            };
            Ok(UblDocument::credit_note(
                header,
                &note.invoice_lines,
                note.amount_minor,
                &reason,
                &zero_rate,
            ))
        }
        Err(other) => Err(other.into()),
    }
}

/// The terms as a sentence for the payment terms note (BT-20).
fn terms_sentence(terms: &Terms, schedule: &[Installment], currency: Currency) -> String {
    if schedule.len() > 1 {
        let parts: Vec<String> = schedule
            .iter()
            .map(|i| {
                format!(
                    "{} {} on {}",
                    format_minor(i.amount_minor, currency),
                    currency,
                    i.due_date
                )
            })
            .collect();
        return format!("In {} installments: {}", schedule.len(), parts.join(", "));
    }
    match terms {
        Terms::DueOnReceipt => "Due on receipt".to_string(),
        Terms::Net { days } => format!("Net {days} days"),
        Terms::EndOfMonth { days } => {
            format!("Due {days} days after the end of the month of issue")
        }
        Terms::Installments { .. } => "Due in installments".to_string(),
    }
}

/// A file name from a document number: letters, digits, `-`, `_`, `.` kept.
pub fn file_stem(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// An e-invoice left off a message because it would not conform: what
/// the document is (`Invoice`, `Credit note`), its number and every rule
/// it breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withheld {
    pub what: &'static str,
    pub number: String,
    pub why: String,
}

/// The files a message carries, and the e-invoices left off it.
#[derive(Clone, Debug, Default)]
pub struct Prepared {
    pub files: Vec<Attachment>,
    pub withheld: Vec<Withheld>,
}

/// Whether letters not kept yet are kept as they are rendered (the
/// worker, which sends them) or only rendered (a person reading the
/// message first: nothing is written).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Letters {
    Keep,
    Look,
}

/// The UBL e-invoice of document `number` (an invoice or a credit note) as
/// an attachment; when it would not conform, none — never a bad e-invoice
/// — and why, for the customer's timeline (what `dun org show` asks to
/// set).
fn e_invoice_or_why_not(
    store: &mut Store,
    org_id: i64,
    what: &'static str,
    number: &str,
    today: Date,
    prepared: &mut Prepared,
) -> Result<(), DocumentError> {
    match invoice_ubl(store, org_id, number, today) {
        Ok((xml_name, xml)) => prepared.files.push(Attachment {
            filename: file_stem(&xml_name),
            content_type: XML.into(),
            bytes: xml,
        }),
        Err(DocumentError::Refused(why) | DocumentError::NotConforming(why)) => {
            prepared.withheld.push(Withheld {
                what,
                number: number.to_string(),
                why,
            })
        }
        Err(other) => return Err(other),
    }
    Ok(())
}

/// The files a claimed message carries: an `invoice` message its PDF and
/// its UBL e-invoice (`NUMBER.pdf`, `NUMBER.xml`), a `statement` message
/// one PDF per currency (`statement-CUSTOMER-END[-CUR].pdf`), a
/// `credit_note` message the credit note's PDF and e-invoice; a reminder
/// the invoices its step sends again ([`resent_invoices`]) and, with the
/// letter channel, its letter. An invoice whose e-invoice would break an
/// EN 16931 rule goes with its PDF alone, and the timeline says why; any
/// other document that cannot be made is an error, so the message fails
/// before the server is reached and a person sees why. What the delivery
/// worker attaches ([`documents`]).
pub fn for_claim(
    store: &mut Store,
    org_id: i64,
    claim: &Claim,
    today: Date,
    public_url: Option<&str>,
) -> Result<Vec<Attachment>, DocumentError> {
    let prepared = prepare(store, org_id, claim, today, public_url, Letters::Keep)?;
    let m = &claim.message;
    let invoice_ids: Vec<i64> = m.invoice_id.into_iter().collect();
    for w in &prepared.withheld {
        store.log_timeline(
            org_id,
            &NewEntry {
                customer_id: m.customer_id,
                on_date: today,
                kind: "einvoice_withheld",
                author: "delivery",
                summary: &format!(
                    "{} {} e-mailed without its e-invoice, which would not conform: {}",
                    w.what, w.number, w.why
                ),
                detail: serde_json::json!({ "message_id": m.id }),
                invoice_ids: &invoice_ids,
            },
        )?;
    }
    Ok(prepared.files)
}

/// What [`for_claim`] would attach to `claim` now, and the e-invoices it
/// would leave off, written nowhere: no timeline entry, no letter kept (a
/// letter kept already is shown as kept). For a person reading a message
/// before it goes (the outbox's message page).
pub fn preview(
    store: &mut Store,
    org_id: i64,
    claim: &Claim,
    today: Date,
    public_url: Option<&str>,
) -> Result<Prepared, DocumentError> {
    prepare(store, org_id, claim, today, public_url, Letters::Look)
}

fn prepare(
    store: &mut Store,
    org_id: i64,
    claim: &Claim,
    today: Date,
    public_url: Option<&str>,
    letters: Letters,
) -> Result<Prepared, DocumentError> {
    let m = &claim.message;
    let mut prepared = Prepared::default();
    match m.kind.as_str() {
        "invoice" => {
            let Some(number) = claim.document.as_ref().and_then(|d| d.number.clone()) else {
                return Err(DocumentError::Refused(format!(
                    "message #{} is for an invoice with no number (a draft)",
                    m.id
                )));
            };
            let (number, pdf) = invoice_pdf(store, org_id, &number, today, public_url)?;
            prepared.files.push(Attachment {
                filename: format!("{}.pdf", file_stem(&number)),
                content_type: PDF.into(),
                bytes: pdf,
            });
            e_invoice_or_why_not(store, org_id, "Invoice", &number, today, &mut prepared)?;
        }
        "credit_note" => {
            let Some(number) = m.detail["number"].as_str() else {
                return Err(DocumentError::Refused(format!(
                    "credit note message #{} names no credit note",
                    m.id
                )));
            };
            // The credit note as PDF and as e-invoice.
            let (number_read, pdf) = credit_note_pdf(store, org_id, number, today, public_url)?;
            prepared.files.push(Attachment {
                filename: format!("{}.pdf", file_stem(&number_read)),
                content_type: PDF.into(),
                bytes: pdf,
            });
            e_invoice_or_why_not(store, org_id, "Credit note", number, today, &mut prepared)?;
        }
        "statement" => {
            let (Some(_), Some(to)) = (m.period_start, m.period_end) else {
                return Err(DocumentError::Refused(format!(
                    "statement message #{} has no period",
                    m.id
                )));
            };
            // The statements drawn up at the claim, which the body lists.
            let (seller, payment) = store.seller(org_id)?;
            let buyer = store.buyer(org_id, m.customer_id)?;
            let who = StatementParties {
                seller: &seller,
                buyer: &buyer,
                customer_reference: &m.customer_ref,
                payment: &payment,
                portal: portal_link(store, org_id, m.customer_id, to, public_url)?,
                settings: store.document_settings(org_id)?,
            };
            let several = claim.statements.len() > 1;
            let stem = file_stem(&format!("statement-{}-{to}", m.customer_ref));
            for s in &claim.statements {
                prepared.files.push(Attachment {
                    filename: if several {
                        format!("{stem}-{}.pdf", s.currency.code())
                    } else {
                        format!("{stem}.pdf")
                    },
                    content_type: PDF.into(),
                    bytes: statement_pdf(s, &who)?,
                });
            }
        }
        _ => {
            prepared.files = resent_invoices(store, org_id, claim, today, public_url)?;
            // A step with both channels: the e-mail carries the letter.
            if m.channels.iter().any(|c| c == "letter") {
                let files: Vec<(String, Vec<u8>)> = match letters {
                    Letters::Keep => {
                        let now = store.now_utc();
                        crate::letters::letters_for(store, org_id, m, &now, today, public_url)?
                            .into_iter()
                            .map(|l| (l.filename, l.pdf))
                            .collect()
                    }
                    Letters::Look => {
                        let kept = store.letters(org_id, m.id)?;
                        if kept.is_empty() {
                            crate::letters::letter_files(store, org_id, m, public_url)?
                        } else {
                            kept.into_iter().map(|l| (l.filename, l.pdf)).collect()
                        }
                    }
                };
                prepared
                    .files
                    .extend(files.into_iter().map(|(filename, bytes)| Attachment {
                        filename,
                        content_type: PDF.into(),
                        bytes,
                    }));
            }
        }
    }
    Ok(prepared)
}

/// The invoices a reminder sends again (items whose step has the
/// `resend_invoice` effect): each one's PDF, and its UBL e-invoice when the
/// organisation's details make a conforming one (a reminder is not held
/// back for an e-invoice the customer already had the chance to get).
fn resent_invoices(
    store: &mut Store,
    org_id: i64,
    claim: &Claim,
    today: Date,
    public_url: Option<&str>,
) -> Result<Vec<Attachment>, DocumentError> {
    let mut numbers: Vec<&str> = Vec::new();
    for item in claim.message.detail["items"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if item["resend_invoice"].as_bool() == Some(true) {
            if let Some(number) = item["number"].as_str() {
                if !numbers.contains(&number) {
                    numbers.push(number);
                }
            }
        }
    }
    let mut files = Vec::new();
    for number in numbers {
        let (number, pdf) = invoice_pdf(store, org_id, number, today, public_url)?;
        files.push(Attachment {
            filename: format!("{}.pdf", file_stem(&number)),
            content_type: PDF.into(),
            bytes: pdf,
        });
        match invoice_ubl(store, org_id, &number, today) {
            Ok((name, xml)) => files.push(Attachment {
                filename: file_stem(&name),
                content_type: XML.into(),
                bytes: xml,
            }),
            Err(DocumentError::Refused(_) | DocumentError::NotConforming(_)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(files)
}

/// [`for_claim`] as the worker's attachment function
/// ([`crate::worker::AttachmentsFn`]), documents judged as of `today`.
pub fn documents(
    today: Date,
    public_url: Option<&str>,
) -> impl FnMut(&mut Store, i64, &Claim) -> Result<Vec<Attachment>, String> + '_ {
    move |store, org_id, claim| {
        for_claim(store, org_id, claim, today, public_url).map_err(|e| {
            format!(
                "the documents of message #{} cannot be attached: {e}",
                claim.message.id
            )
        })
    }
}
