//! Builders of the view structs from the domain's types: amounts formatted
//! with grouping, terms and the credit policy's fees and interest put into
//! sentences, a statement's lines and aging. Pure: the caller loads the data.

use std::collections::BTreeMap;

use dun_core::collections::law::Law;
use dun_core::collections::policy::{
    Effect, FeeBasis, InterestStart, LateFee, Policy, PolicyAmount, PolicyMoney,
};
use dun_core::epc_qr;
use dun_core::invoice::{format_quantity, format_tax_rate, CreditPart, InvoiceLine, Totals};
use dun_core::money::{format_minor, UnitPrice};
use dun_core::party::{Party, PaymentInstructions};
use dun_core::reference::CreditorReference;
use dun_core::statement::{OpenInvoice, Statement};
use dun_core::terms::{Installment, Terms};
use dun_core::{Currency, Date};

use dun_core::document::DocumentLocale;

use crate::words::{fill, law_title, series_title, words, Words, EN};
use crate::{
    InvoiceLineView, InvoiceView, LabelledAmount, LetterInvoiceView, LetterView, PartyView,
    StatementLineView, StatementView,
};

/// `1234567.5` → `"1,234,567.50"`: minor units with thousands grouped,
/// as English writes them ([`Words::amount`] for another locale).
pub fn amount(amount_minor: i64, currency: Currency) -> String {
    grouped(&format_minor(amount_minor, currency))
}

/// `13.333` EUR → `"13.333"`: a unit price with the decimals it has, at
/// least the currency's, thousands grouped.
pub fn unit_price(price: UnitPrice, currency: Currency) -> String {
    grouped(&price.format(currency))
}

/// Thousands separators on a plain decimal, the English way.
fn grouped(plain: &str) -> String {
    EN.number(plain)
}

/// A policy amount (a fee, a cap) in `currency`, formatted.
fn policy_amount(w: &Words, value: PolicyAmount, currency: Currency) -> String {
    w.money(value.in_minor(currency), currency)
}

/// The policy's amount in `currency` (`home`: the organisation's), if it
/// names one: never converted from another currency.
fn money_in(value: &PolicyMoney, currency: Currency, home: Currency) -> Option<PolicyAmount> {
    value.amount_in(currency, home)
}

/// The lines under a party's name: address, VAT and company ids, e-mail.
pub fn party(party: &Party) -> PartyView {
    party_in(&EN, party)
}

fn party_in(w: &Words, party: &Party) -> PartyView {
    let mut lines = party.address_block();
    if let Some(vat) = party.vat_id.as_deref().filter(|v| !v.is_empty()) {
        lines.push(format!("{} {vat}", w.vat_id));
    }
    if let Some(id) = party.company_id.as_deref().filter(|v| !v.is_empty()) {
        lines.push(format!("{} {id}", w.company_no));
    }
    if let Some(email) = party.email.as_deref().filter(|v| !v.is_empty()) {
        lines.push(email.to_string());
    }
    if let Some(phone) = party.phone.as_deref().filter(|v| !v.is_empty()) {
        lines.push(phone.to_string());
    }
    PartyView {
        name: party.name.clone(),
        lines,
    }
}

pub fn invoice_lines(lines: &[InvoiceLine], currency: Currency) -> Vec<InvoiceLineView> {
    invoice_lines_in(&EN, lines, currency)
}

fn invoice_lines_in(w: &Words, lines: &[InvoiceLine], currency: Currency) -> Vec<InvoiceLineView> {
    lines
        .iter()
        .map(|l| InvoiceLineView {
            description: l.description.clone(),
            quantity: w.decimal(&format_quantity(l.quantity_e4)),
            unit_price: w.unit_price(l.unit_price, currency),
            tax_rate: w.percent(&format_tax_rate(l.tax_rate_ppm)),
            amount: w.amount(l.net_minor(), currency),
        })
        .collect()
}

/// Tax per rate, highest rate first: `("Tax 20% on 1,000.00", "200.00")`.
/// Rates that bring no tax and no net are left out; a zero rate with net
/// amounts is shown, so the reader sees why no tax was charged.
pub fn taxes(lines: &[InvoiceLine], currency: Currency) -> Vec<LabelledAmount> {
    taxes_in(&EN, lines, currency)
}

fn taxes_in(w: &Words, lines: &[InvoiceLine], currency: Currency) -> Vec<LabelledAmount> {
    let mut by_rate: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for l in lines {
        let slot = by_rate.entry(l.tax_rate_ppm).or_default();
        slot.0 += l.net_minor();
        slot.1 += l.tax_minor();
    }
    by_rate
        .into_iter()
        .rev()
        .filter(|(_, (net, tax))| *net != 0 || *tax != 0)
        .map(|(rate, (net, tax))| LabelledAmount {
            label: fill(
                w.tax_on,
                &[
                    ("rate", &w.percent(&format_tax_rate(rate))),
                    ("net", &w.amount(net, currency)),
                ],
            ),
            amount: w.amount(tax, currency),
        })
        .collect()
}

/// Payment terms as a sentence.
pub fn terms_sentence(terms: &Terms, due_date: Date) -> String {
    terms_sentence_in(&EN, terms, due_date)
}

fn terms_sentence_in(w: &Words, terms: &Terms, due_date: Date) -> String {
    let date = w.date(due_date);
    match terms {
        Terms::DueOnReceipt => fill(w.due_on_receipt, &[("date", &date)]),
        Terms::Net { days } => fill(w.net_terms, &[("days", &days.to_string()), ("date", &date)]),
        Terms::EndOfMonth { days } => fill(
            w.end_of_month_terms,
            &[("days", &days.to_string()), ("date", &date)],
        ),
        Terms::Installments { days } => {
            let list: Vec<String> = days.iter().map(u32::to_string).collect();
            fill(
                w.installment_terms,
                &[
                    ("count", &days.len().to_string()),
                    ("list", &list.join(", ")),
                    ("date", &date),
                ],
            )
        }
    }
}

/// The late-payment penalties and interest of the credit policy, in
/// sentences for the invoice; None when the policy charges neither. A fee
/// or interest the policy names no amount for in the invoice's `currency`
/// (`home` is the organisation's) is not charged, so not stated.
pub fn late_payment_sentence(
    policy: &Policy,
    currency: Currency,
    home: Currency,
) -> Option<String> {
    late_payment_sentence_in(policy, currency, home, DocumentLocale::En)
}

/// [`late_payment_sentence`] in the words of `locale`; the law's own
/// wording where the locale is its country's (§ 288 BGB in German, art.
/// L441-10 in French).
pub fn late_payment_sentence_in(
    policy: &Policy,
    currency: Currency,
    home: Currency,
    locale: DocumentLocale,
) -> Option<String> {
    let w = words(locale);
    let mut parts = Vec::new();
    let priced = |m: &Option<PolicyMoney>| {
        m.as_ref()
            .is_none_or(|m| money_in(m, currency, home).is_some())
    };
    let fee = policy
        .late_fee
        .as_ref()
        .filter(|f| priced(&f.flat) && priced(&f.cap));
    let interest = policy
        .interest
        .as_ref()
        .filter(|i| priced(&i.monthly_cap) && priced(&i.minimum_charge));
    if let Some(fee) = fee {
        let first_step = policy
            .ladder
            .iter()
            .filter(|s| s.effects.contains(&Effect::LateFee))
            .map(|s| s.days_past_due)
            .min();
        if let Some(days) = first_step {
            parts.push(fee_sentence(w, fee, days, currency, home));
        }
    }
    if let Some(rule) = interest {
        let grace = rule.grace_days.to_string();
        let (start, base, template, cap_template) = match locale {
            DocumentLocale::En => (
                match rule.start {
                    InterestStart::Grace if rule.grace_days == 0 => "from the due date".to_string(),
                    InterestStart::Grace => format!("from {grace} days after the due date"),
                    InterestStart::Notice => "from the date stated in our notice".to_string(),
                },
                if rule.compound {
                    "the overdue amount, fees and interest included"
                } else {
                    "the overdue amount"
                },
                "Interest at {rate} a year accrues daily on {base} {start}",
                ", at most {cap} a month per invoice",
            ),
            DocumentLocale::De => (
                match rule.start {
                    InterestStart::Grace if rule.grace_days == 0 => "ab Fälligkeit".to_string(),
                    InterestStart::Grace => format!("ab {grace} Tagen nach Fälligkeit"),
                    InterestStart::Notice => {
                        "ab dem in unserer Mitteilung genannten Datum".to_string()
                    }
                },
                if rule.compound {
                    "den überfälligen Betrag einschließlich Gebühren und Zinsen"
                } else {
                    "den überfälligen Betrag"
                },
                "Auf {base} werden {start} taggenau Zinsen von {rate} jährlich berechnet",
                ", höchstens {cap} pro Monat und Rechnung",
            ),
            DocumentLocale::Fr => (
                match rule.start {
                    InterestStart::Grace if rule.grace_days == 0 => {
                        "à compter de la date d'échéance".to_string()
                    }
                    InterestStart::Grace => format!("à compter de {grace} jours après l'échéance"),
                    InterestStart::Notice => {
                        "à compter de la date indiquée dans notre avis".to_string()
                    }
                },
                if rule.compound {
                    "le montant échu, frais et intérêts compris"
                } else {
                    "le montant échu"
                },
                "Des intérêts au taux annuel de {rate} courent chaque jour sur {base} {start}",
                ", au plus {cap} par mois et par facture",
            ),
        };
        let rate = w.percent(&rule.annual_rate_percent.to_string());
        let mut s = fill(
            template,
            &[("rate", &rate), ("base", base), ("start", &start)],
        );
        if let Some(cap) = rule
            .monthly_cap
            .as_ref()
            .and_then(|c| money_in(c, currency, home))
        {
            s.push_str(&fill(
                cap_template,
                &[("cap", &policy_amount(w, cap, currency))],
            ));
        }
        s.push('.');
        parts.push(s);
    }
    if let Some(law) = law_sentence(policy.law, currency, locale) {
        parts.push(law);
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// What a late-payment law preset charges, as the law asks an invoice to
/// say it (France, art. L441-10: the rate of the penalties and the fixed
/// €40 indemnity on every invoice).
fn law_sentence(law: Law, currency: Currency, locale: DocumentLocale) -> Option<String> {
    let series = law.series()?;
    let eur = currency.code() == "EUR";
    match locale {
        DocumentLocale::En => {}
        // The German law's own wording (§ 288 Abs. 2 and 5 BGB).
        DocumentLocale::De if law == Law::DeBgb288 => {
            return Some(format!(
                "Gemäß § 288 Abs. 2 BGB schuldet ein Unternehmer bei Zahlungsverzug Verzugszinsen in Höhe von neun Prozentpunkten über dem Basiszinssatz (§ 247 BGB) ab dem Tag nach dem Fälligkeitsdatum{}.",
                if eur { " sowie eine Pauschale von 40 Euro (§ 288 Abs. 5 BGB)" } else { "" }
            ));
        }
        // The French law's own wording (art. L441-10 and D441-5 du Code de commerce).
        DocumentLocale::Fr if law == Law::FrL441_10 => {
            return Some(format!(
                "Conformément à l'article L441-10 du Code de commerce, tout retard de paiement entraîne de plein droit, à compter du jour suivant la date d'échéance, des pénalités de retard au taux d'intérêt appliqué par la Banque centrale européenne (BCE) à son opération de refinancement la plus récente, majoré de 10 points de pourcentage{}.",
                if eur { ", ainsi qu'une indemnité forfaitaire pour frais de recouvrement de 40 euros (art. D441-5 du Code de commerce)" } else { "" }
            ));
        }
        DocumentLocale::De => {
            let margin = words(locale).decimal(&law.margin().to_string());
            return Some(format!(
                "Nach {} schuldet ein Unternehmen bei Zahlungsverzug gesetzliche Zinsen in Höhe von {margin} Prozentpunkten über dem {} ab dem Tag nach dem Fälligkeitsdatum{}.",
                law_title(law, locale),
                series_title(series, locale),
                if eur && law != Law::UkLatePayment1998 { " sowie eine Pauschale für Beitreibungskosten von 40 Euro je Rechnung" } else { "" }
            ));
        }
        DocumentLocale::Fr => {
            let margin = words(locale).decimal(&law.margin().to_string());
            return Some(format!(
                "En application de {}, tout retard de paiement entre professionnels entraîne des intérêts légaux au {} majoré de {margin} points de pourcentage à compter du jour suivant la date d'échéance{}.",
                law_title(law, locale),
                series_title(series, locale),
                if eur && law != Law::UkLatePayment1998 { ", ainsi qu'une indemnité forfaitaire pour frais de recouvrement de 40 euros par facture" } else { "" }
            ));
        }
    }
    let compensation = match law {
        Law::UkLatePayment1998 if currency.code() == "GBP" => {
            " and fixed compensation for recovery costs of £40, £70 or £100 per invoice by the size of the debt".to_string()
        }
        Law::UkLatePayment1998 => String::new(),
        _ if currency.code() == "EUR" => {
            " and a fixed indemnity for recovery costs of €40 per invoice".to_string()
        }
        _ => String::new(),
    };
    Some(format!(
        "Under {}, a business paying late owes statutory interest at the {} plus {} percentage points from the day after the due date{compensation}.",
        law.title(),
        series.title(),
        law.margin()
    ))
}

fn fee_sentence(w: &Words, fee: &LateFee, days: u32, currency: Currency, home: Currency) -> String {
    let flat = fee
        .flat
        .as_ref()
        .and_then(|f| money_in(f, currency, home))
        .map(|f| policy_amount(w, f, currency));
    let pct = fee.percent.map(|p| w.percent(&p.to_string()));
    // (a flat fee, its percent, both, neither, the sentence, every n days, the cap)
    let t: [&str; 7] = match w.locale {
        DocumentLocale::En => [
            "a late fee of {flat}",
            "a late fee of {pct} of the overdue amount",
            "a late fee of {flat} plus {pct} of the overdue amount",
            "a late fee",
            "An invoice unpaid {days} days after its due date incurs {what}",
            ", charged again every {n} days while it stays unpaid",
            " (at most {cap} in fees per invoice)",
        ],
        DocumentLocale::De => [
            "eine Mahngebühr von {flat}",
            "eine Mahngebühr von {pct} des überfälligen Betrags",
            "eine Mahngebühr von {flat} zuzüglich {pct} des überfälligen Betrags",
            "eine Mahngebühr",
            "Für eine Rechnung, die {days} Tage nach Fälligkeit unbezahlt ist, fällt {what} an",
            ", die alle {n} Tage erneut berechnet wird, solange sie unbezahlt bleibt",
            " (höchstens {cap} an Gebühren je Rechnung)",
        ],
        DocumentLocale::Fr => [
            "des frais de retard de {flat}",
            "des frais de retard de {pct} du montant échu",
            "des frais de retard de {flat} majorés de {pct} du montant échu",
            "des frais de retard",
            "Une facture impayée {days} jours après son échéance entraîne {what}",
            ", facturés à nouveau tous les {n} jours tant qu'elle reste impayée",
            " (au plus {cap} de frais par facture)",
        ],
    };
    let what = match (&flat, &pct) {
        (Some(flat), Some(pct)) => fill(t[2], &[("flat", flat), ("pct", pct)]),
        (Some(flat), None) => fill(t[0], &[("flat", flat)]),
        (None, Some(pct)) => fill(t[1], &[("pct", pct)]),
        (None, None) => t[3].to_string(),
    };
    let mut s = fill(t[4], &[("days", &days.to_string()), ("what", &what)]);
    if fee.per == FeeBasis::Period {
        s.push_str(&fill(t[5], &[("n", &fee.period_days.to_string())]));
    }
    if let Some(cap) = fee.cap.as_ref().and_then(|c| money_in(c, currency, home)) {
        s.push_str(&fill(t[6], &[("cap", &policy_amount(w, cap, currency))]));
    }
    s.push('.');
    s
}

/// The label printed before a payment reference, on every document.
pub const PAYMENT_REFERENCE_LABEL: &str = "Payment reference";

/// How to pay, line by line; `reference` is what the payer should quote
/// (a creditor reference, printed in groups of four).
pub fn payment_instructions(p: &PaymentInstructions, reference: &CreditorReference) -> Vec<String> {
    payment_instructions_in(&EN, p, reference)
}

fn payment_instructions_in(
    w: &Words,
    p: &PaymentInstructions,
    reference: &CreditorReference,
) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(name) = p.account_name.as_deref().filter(|v| !v.is_empty()) {
        lines.push(format!("{}{}{name}", w.account_holder, w.colon));
    }
    if let Some(iban) = p.iban.as_deref().filter(|v| !v.is_empty()) {
        lines.push(format!("IBAN{}{}", w.colon, group_iban(iban)));
    }
    if let Some(bic) = p.bic.as_deref().filter(|v| !v.is_empty()) {
        lines.push(format!("BIC{}{bic}", w.colon));
    }
    lines.push(format!(
        "{}{}{}",
        w.payment_reference,
        w.colon,
        reference.grouped()
    ));
    if let Some(note) = p.note.as_deref().filter(|v| !v.is_empty()) {
        lines.push(note.to_string());
    }
    lines
}

/// IBANs are read in groups of four.
fn group_iban(iban: &str) -> String {
    let chars: Vec<char> = iban.chars().filter(|c| !c.is_whitespace()).collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What an invoice document needs, in the domain's types.
pub struct InvoiceFacts<'a> {
    /// `"Invoice"`, or `"Credit note"`.
    pub title: &'a str,
    pub number: &'a str,
    pub currency: Currency,
    pub issue_date: Date,
    pub due_date: Date,
    pub terms: &'a Terms,
    pub description: &'a str,
    pub lines: &'a [InvoiceLine],
    pub schedule: &'a [Installment],
    pub totals: Totals,
    /// Late fees and interest charged on the invoice since it was issued.
    pub fees_and_interest_minor: i64,
    /// What is open on the invoice now (fees and interest included).
    pub open_minor: i64,
    pub seller: &'a Party,
    pub buyer: &'a Party,
    pub customer_reference: Option<&'a str>,
    /// The invoice's creditor reference (`CreditorReference::for_invoice`).
    pub payment_reference: &'a CreditorReference,
    pub instructions: &'a PaymentInstructions,
    pub late_payment: Option<String>,
    pub portal_link: Option<String>,
    /// The organisation's document locale: its words, dates and amounts.
    pub locale: DocumentLocale,
}

pub fn invoice(f: &InvoiceFacts<'_>) -> InvoiceView {
    let c = f.currency;
    let w = words(f.locale);
    let amount = |minor: i64, c: Currency| w.amount(minor, c);
    // Paid, credited or written off: everything billed less what is open.
    let billed_minor = f.totals.total_minor + f.fees_and_interest_minor;
    let paid_minor = billed_minor - f.open_minor;
    let paid = (paid_minor > 0).then(|| amount(paid_minor, c));
    let fees_and_interest =
        (f.fees_and_interest_minor != 0).then(|| amount(f.fees_and_interest_minor, c));
    let amount_due = f.open_minor;
    InvoiceView {
        title: f.title.to_string(),
        number: f.number.to_string(),
        issue_date: w.date(f.issue_date),
        due_date: w.date(f.due_date),
        currency: c.to_string(),
        seller: party_in(w, f.seller),
        buyer: party_in(w, f.buyer),
        customer_reference: f.customer_reference.map(str::to_string),
        description: Some(f.description.to_string()).filter(|d| !d.is_empty()),
        lines: invoice_lines_in(w, f.lines, c),
        subtotal: amount(f.totals.subtotal_minor, c),
        taxes: taxes_in(w, f.lines, c),
        total: amount(f.totals.total_minor, c),
        fees_and_interest,
        paid,
        amount_due: amount(amount_due.max(0), c),
        installments: if f.schedule.len() > 1 {
            f.schedule
                .iter()
                .map(|i| LabelledAmount {
                    label: fill(w.due_on, &[("date", &w.date(i.due_date))]),
                    amount: w.money(i.amount_minor, c),
                })
                .collect()
        } else {
            Vec::new()
        },
        payment_terms: terms_sentence_in(w, f.terms, f.due_date),
        late_payment: f.late_payment.clone(),
        payment_reference: f.payment_reference.grouped(),
        payment_instructions: payment_instructions_in(w, f.instructions, f.payment_reference),
        // What is open now (the total, when nothing has moved yet).
        payment_qr: epc_qr::for_document(
            f.instructions,
            &f.seller.name,
            c,
            amount_due,
            f.payment_reference,
        ),
        portal_link: f.portal_link.clone(),
        credits_invoice: None,
    }
}

/// What a credit note document needs, in the domain's types.
pub struct CreditNoteFacts<'a> {
    pub number: &'a str,
    pub currency: Currency,
    pub issue_date: Date,
    /// The invoice it credits.
    pub invoice_number: &'a str,
    pub reason: &'a str,
    /// How it splits over the invoice's tax rates
    /// (`dun_core::invoice::credit_parts`, as its e-invoice declares it).
    pub parts: &'a [CreditPart],
    pub seller: &'a Party,
    pub buyer: &'a Party,
    pub customer_reference: Option<&'a str>,
    pub portal_link: Option<String>,
    pub locale: DocumentLocale,
}

/// A credit note as its PDF shows it: one line per tax rate of the
/// credited invoice (the same split its e-invoice declares), the amount
/// credited where an invoice shows what is due, nothing to pay.
pub fn credit_note(f: &CreditNoteFacts<'_>) -> InvoiceView {
    let c = f.currency;
    let w = words(f.locale);
    let amount = |minor: i64, c: Currency| w.amount(minor, c);
    let net: i64 = f.parts.iter().map(|p| p.net_minor).sum();
    let gross: i64 = f.parts.iter().map(|p| p.gross_minor).sum();
    InvoiceView {
        title: w.credit_note.to_string(),
        number: f.number.to_string(),
        issue_date: w.date(f.issue_date),
        due_date: w.date(f.issue_date),
        currency: c.to_string(),
        seller: party_in(w, f.seller),
        buyer: party_in(w, f.buyer),
        customer_reference: f.customer_reference.map(str::to_string),
        description: Some(f.reason.to_string()).filter(|r| !r.trim().is_empty()),
        lines: f
            .parts
            .iter()
            .map(|p| InvoiceLineView {
                description: fill(w.credit_against, &[("invoice", f.invoice_number)]),
                quantity: "1".to_string(),
                unit_price: amount(p.net_minor, c),
                tax_rate: w.percent(&format_tax_rate(p.tax_rate_ppm)),
                amount: amount(p.net_minor, c),
            })
            .collect(),
        subtotal: amount(net, c),
        taxes: f
            .parts
            .iter()
            .filter(|p| p.net_minor != 0 || p.tax_minor != 0)
            .map(|p| LabelledAmount {
                label: fill(
                    w.tax_on,
                    &[
                        ("rate", &w.percent(&format_tax_rate(p.tax_rate_ppm))),
                        ("net", &amount(p.net_minor, c)),
                    ],
                ),
                amount: amount(p.tax_minor, c),
            })
            .collect(),
        total: amount(gross, c),
        fees_and_interest: None,
        paid: None,
        amount_due: amount(0, c),
        installments: Vec::new(),
        payment_terms: fill(
            w.credit_note_terms,
            &[
                ("invoice", f.invoice_number),
                ("amount", &w.money(gross, c)),
            ],
        ),
        late_payment: None,
        payment_reference: String::new(),
        payment_instructions: Vec::new(),
        payment_qr: None,
        portal_link: f.portal_link.clone(),
        credits_invoice: Some(f.invoice_number.to_string()),
    }
}

/// Aging bucket labels as a reader reads them: `1-30` → `1-30 days`.
fn bucket_label(w: &Words, label: &str) -> String {
    match label {
        "current" => w.not_yet_due.to_string(),
        other => fill(w.days_bucket, &[("range", other)]),
    }
}

/// A statement line's description in the locale's words (English: the
/// domain's own, `StatementLine::description`).
fn line_description(w: &Words, l: &dun_core::statement::StatementLine) -> String {
    use dun_core::ledger::EntryKind as K;
    if w.locale == DocumentLocale::En {
        return l.description();
    }
    let inv = l.invoice_number.as_deref().unwrap_or("?");
    let reference = match l.payment_reference.as_deref() {
        Some(r) if !r.is_empty() => format!(" (ref {r})"),
        _ => String::new(),
    };
    let doc = l
        .document_number
        .as_deref()
        .map(|d| format!(" {d}"))
        .unwrap_or_default();
    let de = w.locale == DocumentLocale::De;
    match l.kind {
        K::InvoiceIssued => format!("{} {inv}", w.invoice),
        K::InvoiceVoided => format!("{} ({inv})", w.invoice_void),
        K::Fee if de => format!("Mahngebühr zu {inv}"),
        K::Fee => format!("Frais de retard sur {inv}"),
        K::Interest if de => format!("Zinsen zu {inv}"),
        K::Interest => format!("Intérêts sur {inv}"),
        K::Compensation if de => format!("Pauschale zu {inv}"),
        K::Compensation => format!("Indemnité forfaitaire sur {inv}"),
        K::PaymentReceived if de => format!("Zahlungseingang{reference}"),
        K::PaymentReceived => format!("Paiement reçu{reference}"),
        K::CreditNote if de => format!("Gutschrift{doc} zu {inv}"),
        K::CreditNote => format!("Avoir{doc} sur {inv}"),
        K::WriteOff if de => format!("Ausgebucht zu {inv}"),
        K::WriteOff => format!("Passé en perte sur {inv}"),
        K::Refund if de => format!("Erstattung{reference}"),
        K::Refund => format!("Remboursement{reference}"),
        K::PaymentReversed if de => format!("Zahlung storniert{reference}"),
        K::PaymentReversed => format!("Paiement annulé{reference}"),
        K::Allocation if de => format!("Zahlung zugeordnet zu {inv}"),
        K::Allocation => format!("Paiement affecté à {inv}"),
        K::AllocationReversed if de => format!("Zuordnung aufgehoben zu {inv}"),
        K::AllocationReversed => format!("Affectation annulée sur {inv}"),
    }
}

/// A statement of account as its PDF shows it.
pub fn statement(
    s: &Statement,
    seller: &Party,
    customer: &Party,
    customer_reference: Option<&str>,
    instructions: &PaymentInstructions,
    portal_link: Option<String>,
    locale: DocumentLocale,
) -> StatementView {
    let c = s.currency;
    let w = words(locale);
    let amount = |minor: i64, c: Currency| w.amount(minor, c);
    let reference = s.payment_reference();
    let mut aging: Vec<LabelledAmount> = s
        .aging_labels
        .iter()
        .zip(&s.aging_minor)
        .map(|(label, minor)| LabelledAmount {
            label: bucket_label(w, label),
            amount: amount(*minor, c),
        })
        .collect();
    aging.push(LabelledAmount {
        label: w.total_open.to_string(),
        amount: amount(s.aging_total_minor(), c),
    });
    StatementView {
        seller: party_in(w, seller),
        customer: party_in(w, customer),
        customer_reference: customer_reference.map(str::to_string),
        date: w.date(s.to),
        period: fill(
            w.period_from_to,
            &[("from", &w.date(s.from)), ("to", &w.date(s.to))],
        ),
        period_start: w.date(s.from),
        currency: c.to_string(),
        opening_balance: amount(s.opening_minor, c),
        lines: s
            .lines
            .iter()
            .map(|l| StatementLineView {
                date: w.date(l.date),
                description: line_description(w, l),
                charge: l.charge_minor().map(|a| amount(a, c)).unwrap_or_default(),
                credit: l.credit_minor().map(|a| amount(a, c)).unwrap_or_default(),
                balance: amount(l.balance_minor, c),
            })
            .collect(),
        total_charges: amount(s.charges_minor, c),
        total_credits: amount(s.credits_minor, c),
        closing_balance: amount(s.closing_minor, c),
        aging,
        unapplied_credit: (s.unapplied_credit_minor != 0)
            .then(|| amount(s.unapplied_credit_minor, c)),
        payment_reference: reference.grouped(),
        payment_instructions: payment_instructions_in(w, instructions, &reference),
        // The balance due, paid with the customer's reference.
        payment_qr: epc_qr::for_document(
            instructions,
            &seller.name,
            c,
            s.amount_due_minor(),
            &reference,
        ),
        portal_link,
    }
}

/// What a final demand needs, in the domain's types.
pub struct LetterFacts<'a> {
    pub title: &'a str,
    pub sender: &'a Party,
    pub recipient: &'a Party,
    pub date: Date,
    pub customer_reference: Option<&'a str>,
    /// Whose invoices they are (the reference for paying several at once).
    pub customer_id: i64,
    pub currency: Currency,
    /// The invoices the letter demands, e.g. a statement's overdue ones.
    pub invoices: &'a [OpenInvoice],
    /// The reminders sent before about them, `(day, step in words)`,
    /// oldest first: the letter names these and claims no other.
    pub reminded: &'a [(Date, String)],
    /// The date by which payment must arrive.
    pub pay_by: Date,
    pub late_payment: Option<String>,
    pub instructions: &'a PaymentInstructions,
    pub portal_link: Option<String>,
    /// Who signs, e.g. "Accounts receivable, Northwind Supplies Ltd".
    pub signature: &'a str,
    pub locale: DocumentLocale,
}

/// A final demand in the firm, plain tone of the default ladder's letter step.
pub fn final_demand(f: &LetterFacts<'_>) -> LetterView {
    let c = f.currency;
    let w = words(f.locale);
    let ids: Vec<i64> = f.invoices.iter().map(|i| i.invoice_id).collect();
    let reference = CreditorReference::for_payment_of(f.customer_id, &ids);
    let total_minor: i64 = f.invoices.iter().map(|i| i.open_minor).sum();
    let total = w.amount(total_minor, c);
    let count = f.invoices.len();
    let invoices = f
        .invoices
        .iter()
        .map(|i| LetterInvoiceView {
            number: i.number.clone(),
            issue_date: w.date(i.issue_date),
            due_date: w.date(i.due_date),
            days_overdue: i.days_past_due.max(0).to_string(),
            amount_open: w.amount(i.open_minor, c),
            payment_reference: i.payment_reference().grouped(),
        })
        .collect();
    if f.locale != DocumentLocale::En {
        return final_demand_translated(f, w, total, reference, invoices);
    }
    let plural = if count == 1 { "invoice" } else { "invoices" };
    let is_are = if count == 1 { "is" } else { "are" };
    let opening = if f.reminded.is_empty() {
        format!("The {plural} below {is_are} unpaid. The amount now due is {total} {c}.")
    } else {
        let named: Vec<String> = f
            .reminded
            .iter()
            .map(|(on, step)| format!("{on} ({step})"))
            .collect();
        let list = match named.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => named.join(""),
        };
        format!(
            "We wrote to you about the {plural} below on {list}. {} still unpaid. The amount now due is {total} {c}.",
            if count == 1 { "It is" } else { "They are" }
        )
    };
    let mut paragraphs = vec![opening];
    if let Some(late) = &f.late_payment {
        let mut chars = late.chars();
        let late = match chars.next() {
            Some(first) => first.to_lowercase().chain(chars).collect::<String>(),
            None => String::new(),
        };
        paragraphs.push(format!("Under our terms of payment, {late}"));
    }
    let closing = vec![
        format!(
            "Please pay {total} {c} in full by {}. If you have already paid, please let us know the date and reference so we can match it; if something on these invoices is in dispute, tell us now.",
            f.pay_by
        ),
        format!(
            "If we receive neither payment nor a reply by {}, we will place your account on hold and may pass the debt to a collection agency or take legal action without further notice.",
            f.pay_by
        ),
    ];
    LetterView {
        title: f.title.to_string(),
        sender: party(f.sender),
        recipient: party(f.recipient),
        date: f.date.to_string(),
        reference: f.customer_reference.map(str::to_string),
        subject: format!("{}: {count} overdue {plural}, {total} {c}", f.title),
        salutation: format!("Dear {},", f.recipient.name),
        paragraphs,
        invoices,
        currency: c.to_string(),
        total,
        closing_paragraphs: closing,
        sign_off: "Yours faithfully,".to_string(),
        signature: f.signature.to_string(),
        payment_reference: reference.grouped(),
        payment_instructions: payment_instructions(f.instructions, &reference),
        portal_link: f.portal_link.clone(),
    }
}

/// A final demand in German or French: the same facts, the same firm
/// tone, the locale's dates and amounts.
fn final_demand_translated(
    f: &LetterFacts<'_>,
    w: &Words,
    total: String,
    reference: CreditorReference,
    invoices: Vec<LetterInvoiceView>,
) -> LetterView {
    let c = f.currency;
    let count = f.invoices.len();
    let one = count == 1;
    let de = f.locale == DocumentLocale::De;
    let pay_by = w.date(f.pay_by);
    let named: Vec<String> = f
        .reminded
        .iter()
        .map(|(on, step)| format!("{} ({step})", w.date(*on)))
        .collect();
    let list = w.list(&named);
    let opening = match (de, f.reminded.is_empty()) {
        (true, true) => format!(
            "{} ist unbezahlt. Der jetzt fällige Betrag beträgt {total} {c}.",
            if one { "Die unten aufgeführte Rechnung" } else { "Die unten aufgeführten Rechnungen sind" }
        ).replace("sind ist", "sind"),
        (true, false) => format!(
            "Wir haben Ihnen am {list} wegen {} geschrieben. {} noch immer unbezahlt. Der jetzt fällige Betrag beträgt {total} {c}.",
            if one { "der unten aufgeführten Rechnung" } else { "der unten aufgeführten Rechnungen" },
            if one { "Sie ist" } else { "Sie sind" }
        ),
        (false, true) => format!(
            "{} impayée{}. Le montant désormais exigible est de {total} {c}.",
            if one { "La facture ci-dessous est" } else { "Les factures ci-dessous sont" },
            if one { "" } else { "s" }
        ),
        (false, false) => format!(
            "Nous vous avons écrit le {list} au sujet {}. {} toujours impayée{}. Le montant désormais exigible est de {total} {c}.",
            if one { "de la facture ci-dessous" } else { "des factures ci-dessous" },
            if one { "Elle est" } else { "Elles sont" },
            if one { "" } else { "s" }
        ),
    };
    let mut paragraphs = vec![opening];
    if let Some(late) = &f.late_payment {
        paragraphs.push(if de {
            format!("Nach unseren Zahlungsbedingungen gilt: {late}")
        } else {
            format!("Conformément à nos conditions de paiement : {late}")
        });
    }
    let closing = if de {
        vec![
            format!("Bitte zahlen Sie {total} {c} vollständig bis zum {pay_by}. Falls Sie bereits gezahlt haben, teilen Sie uns bitte Datum und Verwendungszweck mit, damit wir die Zahlung zuordnen können; ist etwas an diesen Rechnungen strittig, sagen Sie es uns jetzt."),
            format!("Erhalten wir bis zum {pay_by} weder Zahlung noch Antwort, sperren wir Ihr Kundenkonto und können die Forderung ohne weitere Ankündigung einem Inkassounternehmen übergeben oder gerichtlich geltend machen."),
        ]
    } else {
        vec![
            format!("Nous vous prions de régler la somme de {total} {c} au plus tard le {pay_by}. Si vous avez déjà payé, indiquez-nous la date et la référence afin que nous puissions rapprocher votre paiement ; si un point de ces factures est contesté, faites-le-nous savoir dès maintenant."),
            format!("À défaut de paiement ou de réponse au {pay_by}, nous suspendrons votre compte et pourrons confier la créance à une société de recouvrement ou engager une action en justice sans autre préavis."),
        ]
    };
    let subject = if de {
        format!(
            "{}: {count} überfällige {}, {total} {c}",
            f.title,
            if one { "Rechnung" } else { "Rechnungen" }
        )
    } else {
        format!(
            "{} : {count} facture{} échue{}, {total} {c}",
            f.title,
            if one { "" } else { "s" },
            if one { "" } else { "s" }
        )
    };
    LetterView {
        title: f.title.to_string(),
        sender: party_in(w, f.sender),
        recipient: party_in(w, f.recipient),
        date: w.date(f.date),
        reference: f.customer_reference.map(str::to_string),
        subject,
        salutation: fill(w.dear, &[("name", &f.recipient.name)]),
        paragraphs,
        invoices,
        currency: c.to_string(),
        total,
        closing_paragraphs: closing,
        sign_off: w.yours_faithfully.to_string(),
        signature: f.signature.to_string(),
        payment_reference: reference.grouped(),
        payment_instructions: payment_instructions_in(w, f.instructions, &reference),
        portal_link: f.portal_link.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_by_thousands() {
        let usd = Currency::parse("USD").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(amount(123_456_789, usd), "1,234,567.89");
        assert_eq!(amount(-100_000, usd), "-1,000.00");
        assert_eq!(amount(5, usd), "0.05");
        assert_eq!(amount(1_000, jpy), "1,000");
        assert_eq!(amount(999, jpy), "999");
    }

    #[test]
    fn taxes_are_grouped_per_rate() {
        let usd = Currency::parse("USD").unwrap();
        let lines = vec![
            InvoiceLine::new("a", 10_000, 10_000, 200_000).unwrap(),
            InvoiceLine::new("b", 20_000, 5_000, 200_000).unwrap(),
            InvoiceLine::new("c", 10_000, 3_000, 0).unwrap(),
        ];
        let t = taxes(&lines, usd);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].label, "Tax 20% on 200.00");
        assert_eq!(t[0].amount, "40.00");
        assert_eq!(t[1].label, "Tax 0% on 30.00");
    }

    #[test]
    fn a_law_preset_is_stated_as_the_law_asks() {
        let eur = Currency::parse("EUR").unwrap();
        let mut policy =
            dun_core::collections::document::parse(dun_core::collections::document::DEFAULT_POLICY)
                .unwrap();
        policy.law = Law::FrL441_10;
        policy.late_fee = None;
        policy.interest = None;
        let s = late_payment_sentence(&policy, eur, eur).unwrap();
        assert_eq!(
            s,
            "Under France, Code de commerce art. L441-10, a business paying late owes statutory interest at the ECB main refinancing operations rate plus 10.00 percentage points from the day after the due date and a fixed indemnity for recovery costs of €40 per invoice."
        );
    }

    #[test]
    fn the_default_policy_becomes_a_late_payment_sentence() {
        let usd = Currency::parse("USD").unwrap();
        let policy =
            dun_core::collections::document::parse(dun_core::collections::document::DEFAULT_POLICY)
                .unwrap();
        let s = late_payment_sentence(&policy, usd, usd).unwrap();
        assert!(s.contains("late fee of 40.00 USD"), "{s}");
        assert!(s.contains("Interest at"), "{s}");
        // A plain amount is in the organisation's currency only: never
        // converted, so a JPY invoice of a USD organisation states no fee
        // and no interest (the policy names no minimum charge in JPY).
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(late_payment_sentence(&policy, jpy, usd), None);
    }

    #[test]
    fn iban_in_groups_of_four() {
        let p = PaymentInstructions {
            iban: Some("GB82WEST12345698765432".into()),
            ..Default::default()
        };
        let r = CreditorReference::for_invoice(1);
        assert_eq!(
            payment_instructions(&p, &r),
            vec![
                "IBAN: GB82 WEST 1234 5698 7654 32".to_string(),
                format!("Payment reference: {}", r.grouped())
            ]
        );
        // No bank details: the reference and the note, still.
        let note = PaymentInstructions {
            note: Some("Pay by cheque".into()),
            ..Default::default()
        };
        assert_eq!(
            payment_instructions(&note, &r),
            vec![
                format!("Payment reference: {}", r.grouped()),
                "Pay by cheque".to_string()
            ]
        );
    }
}

#[cfg(test)]
mod invoice_tests {
    use super::*;

    #[test]
    fn fees_raise_what_is_due_and_do_not_hide_what_was_paid() {
        let usd = Currency::parse("USD").unwrap();
        let lines = vec![InvoiceLine::new("work", 10_000, 100_000, 0).unwrap()];
        let terms = Terms::Net { days: 30 };
        let (p, i) = (Party::named("Seller"), PaymentInstructions::default());
        let r = CreditorReference::for_invoice(1);
        let facts = |fees: i64, open: i64| InvoiceFacts {
            title: "Invoice",
            number: "INV-1",
            currency: usd,
            issue_date: Date::parse("2026-01-01").unwrap(),
            due_date: Date::parse("2026-01-31").unwrap(),
            terms: &terms,
            description: "",
            lines: &lines,
            schedule: &[],
            totals: dun_core::invoice::totals(&lines),
            fees_and_interest_minor: fees,
            open_minor: open,
            seller: &p,
            buyer: &p,
            customer_reference: None,
            payment_reference: &r,
            instructions: &i,
            late_payment: None,
            portal_link: None,
            locale: DocumentLocale::En,
        };
        let v = invoice(&facts(4_000, 54_000));
        assert_eq!(v.fees_and_interest.as_deref(), Some("40.00"));
        assert_eq!(v.paid.as_deref(), Some("500.00"));
        assert_eq!(v.amount_due, "540.00");
        let fresh = invoice(&facts(0, 100_000));
        assert_eq!((fresh.paid, fresh.fees_and_interest), (None, None));
        assert_eq!(fresh.amount_due, "1,000.00");
    }
}

/// What a claim file is drawn from.
pub struct ClaimFacts<'a> {
    pub creditor: &'a Party,
    pub debtor: &'a Party,
    pub debtor_reference: &'a str,
    pub as_of: Date,
    /// Where the debt stands, in a sentence.
    pub standing: String,
    /// The debtor's statements, one per currency, up to `as_of`.
    pub statements: &'a [Statement],
    /// The debtor's history, oldest first.
    pub history: Vec<crate::ClaimEventView>,
    /// The other files of the bundle.
    pub enclosures: Vec<String>,
}

/// The claim file's view: what is open per currency (the statements'
/// closing balances) and each open invoice, oldest due first.
pub fn claim_file(f: ClaimFacts<'_>) -> crate::ClaimFileView {
    let mut invoices = Vec::new();
    let mut claimed = Vec::new();
    for s in f.statements {
        let c = s.currency;
        claimed.push(LabelledAmount {
            label: format!("Open ({c})"),
            amount: amount(s.closing_minor, c),
        });
        for i in &s.open_invoices {
            invoices.push(crate::ClaimInvoiceView {
                number: i.number.clone(),
                issue_date: i.issue_date.to_string(),
                due_date: i.due_date.to_string(),
                days_past_due: i.days_past_due.max(0).to_string(),
                currency: c.code().to_string(),
                total: amount(i.total_minor, c),
                open: amount(i.open_minor, c),
            });
        }
    }
    crate::ClaimFileView {
        creditor: party(f.creditor),
        debtor: party(f.debtor),
        debtor_reference: f.debtor_reference.to_string(),
        date: f.as_of.to_string(),
        standing: f.standing,
        claimed,
        invoices,
        history: f.history,
        enclosures: f.enclosures,
    }
}
