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

use crate::{
    InvoiceLineView, InvoiceView, LabelledAmount, LetterInvoiceView, LetterView, PartyView,
    StatementLineView, StatementView,
};

/// `1234567.5` → `"1,234,567.50"`: minor units with thousands grouped.
pub fn amount(amount_minor: i64, currency: Currency) -> String {
    grouped(&format_minor(amount_minor, currency))
}

/// `13.333` EUR → `"13.333"`: a unit price with the decimals it has, at
/// least the currency's, thousands grouped.
pub fn unit_price(price: UnitPrice, currency: Currency) -> String {
    grouped(&price.format(currency))
}

/// Thousands separators on a plain decimal.
fn grouped(plain: &str) -> String {
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain),
    };
    let (whole, frac) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A policy amount (a fee, a cap) in `currency`, formatted.
fn policy_amount(value: PolicyAmount, currency: Currency) -> String {
    format!("{} {currency}", amount(value.in_minor(currency), currency))
}

/// The policy's amount in `currency` (`home`: the organisation's), if it
/// names one: never converted from another currency.
fn money_in(value: &PolicyMoney, currency: Currency, home: Currency) -> Option<PolicyAmount> {
    value.amount_in(currency, home)
}

/// The lines under a party's name: address, VAT and company ids, e-mail.
pub fn party(party: &Party) -> PartyView {
    let mut lines = party.address_block();
    if let Some(vat) = party.vat_id.as_deref().filter(|v| !v.is_empty()) {
        lines.push(format!("VAT ID {vat}"));
    }
    if let Some(id) = party.company_id.as_deref().filter(|v| !v.is_empty()) {
        lines.push(format!("Company no. {id}"));
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
    lines
        .iter()
        .map(|l| InvoiceLineView {
            description: l.description.clone(),
            quantity: format_quantity(l.quantity_e4),
            unit_price: unit_price(l.unit_price, currency),
            tax_rate: format!("{}%", format_tax_rate(l.tax_rate_ppm)),
            amount: amount(l.net_minor(), currency),
        })
        .collect()
}

/// Tax per rate, highest rate first: `("Tax 20% on 1,000.00", "200.00")`.
/// Rates that bring no tax and no net are left out; a zero rate with net
/// amounts is shown, so the reader sees why no tax was charged.
pub fn taxes(lines: &[InvoiceLine], currency: Currency) -> Vec<LabelledAmount> {
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
            label: format!(
                "Tax {}% on {}",
                format_tax_rate(rate),
                amount(net, currency)
            ),
            amount: amount(tax, currency),
        })
        .collect()
}

/// Payment terms as a sentence.
pub fn terms_sentence(terms: &Terms, due_date: Date) -> String {
    match terms {
        Terms::DueOnReceipt => format!("Due on receipt ({due_date})."),
        Terms::Net { days } => format!(
            "Net {days}: payment is due within {days} days of the invoice date, by {due_date}."
        ),
        Terms::EndOfMonth { days } => format!(
            "Payment is due {days} days after the end of the month of the invoice, by {due_date}."
        ),
        Terms::Installments { days } => {
            let list: Vec<String> = days.iter().map(u32::to_string).collect();
            format!(
                "Payable in {} installments, {} days after the invoice date; the last falls due on {due_date}.",
                days.len(),
                list.join(", ")
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
            parts.push(fee_sentence(fee, days, currency, home));
        }
    }
    if let Some(rule) = interest {
        let start = match rule.start {
            InterestStart::Grace if rule.grace_days == 0 => "from the due date".to_string(),
            InterestStart::Grace => format!("from {} days after the due date", rule.grace_days),
            InterestStart::Notice => "from the date stated in our notice".to_string(),
        };
        let base = if rule.compound {
            "the overdue amount, fees and interest included"
        } else {
            "the overdue amount"
        };
        let mut s = format!(
            "Interest at {}% a year accrues daily on {base} {start}",
            rule.annual_rate_percent
        );
        if let Some(cap) = rule
            .monthly_cap
            .as_ref()
            .and_then(|c| money_in(c, currency, home))
        {
            s.push_str(&format!(
                ", at most {} a month per invoice",
                policy_amount(cap, currency)
            ));
        }
        s.push('.');
        parts.push(s);
    }
    if let Some(law) = law_sentence(policy.law, currency) {
        parts.push(law);
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// What a late-payment law preset charges, as the law asks an invoice to
/// say it (France, art. L441-10: the rate of the penalties and the fixed
/// €40 indemnity on every invoice).
fn law_sentence(law: Law, currency: Currency) -> Option<String> {
    let series = law.series()?;
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

fn fee_sentence(fee: &LateFee, days: u32, currency: Currency, home: Currency) -> String {
    let flat = fee.flat.as_ref().and_then(|f| money_in(f, currency, home));
    let what = match (flat, fee.percent) {
        (Some(flat), Some(pct)) => format!(
            "a late fee of {} plus {pct}% of the overdue amount",
            policy_amount(flat, currency)
        ),
        (Some(flat), None) => format!("a late fee of {}", policy_amount(flat, currency)),
        (None, Some(pct)) => format!("a late fee of {pct}% of the overdue amount"),
        (None, None) => "a late fee".to_string(),
    };
    let mut s = format!("An invoice unpaid {days} days after its due date incurs {what}");
    if fee.per == FeeBasis::Period {
        s.push_str(&format!(
            ", charged again every {} days while it stays unpaid",
            fee.period_days
        ));
    }
    if let Some(cap) = fee.cap.as_ref().and_then(|c| money_in(c, currency, home)) {
        s.push_str(&format!(
            " (at most {} in fees per invoice)",
            policy_amount(cap, currency)
        ));
    }
    s.push('.');
    s
}

/// The label printed before a payment reference, on every document.
pub const PAYMENT_REFERENCE_LABEL: &str = "Payment reference";

/// How to pay, line by line; `reference` is what the payer should quote
/// (a creditor reference, printed in groups of four).
pub fn payment_instructions(p: &PaymentInstructions, reference: &CreditorReference) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(name) = p.account_name.as_deref().filter(|v| !v.is_empty()) {
        lines.push(format!("Account holder: {name}"));
    }
    if let Some(iban) = p.iban.as_deref().filter(|v| !v.is_empty()) {
        lines.push(format!("IBAN: {}", group_iban(iban)));
    }
    if let Some(bic) = p.bic.as_deref().filter(|v| !v.is_empty()) {
        lines.push(format!("BIC: {bic}"));
    }
    lines.push(format!(
        "{PAYMENT_REFERENCE_LABEL}: {}",
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
}

pub fn invoice(f: &InvoiceFacts<'_>) -> InvoiceView {
    let c = f.currency;
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
        issue_date: f.issue_date.to_string(),
        due_date: f.due_date.to_string(),
        currency: c.to_string(),
        seller: party(f.seller),
        buyer: party(f.buyer),
        customer_reference: f.customer_reference.map(str::to_string),
        description: Some(f.description.to_string()).filter(|d| !d.is_empty()),
        lines: invoice_lines(f.lines, c),
        subtotal: amount(f.totals.subtotal_minor, c),
        taxes: taxes(f.lines, c),
        total: amount(f.totals.total_minor, c),
        fees_and_interest,
        paid,
        amount_due: amount(amount_due.max(0), c),
        installments: if f.schedule.len() > 1 {
            f.schedule
                .iter()
                .map(|i| LabelledAmount {
                    label: format!("Due {}", i.due_date),
                    amount: format!("{} {c}", amount(i.amount_minor, c)),
                })
                .collect()
        } else {
            Vec::new()
        },
        payment_terms: terms_sentence(f.terms, f.due_date),
        late_payment: f.late_payment.clone(),
        payment_reference: f.payment_reference.grouped(),
        payment_instructions: payment_instructions(f.instructions, f.payment_reference),
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
}

/// A credit note as its PDF shows it: one line per tax rate of the
/// credited invoice (the same split its e-invoice declares), the amount
/// credited where an invoice shows what is due, nothing to pay.
pub fn credit_note(f: &CreditNoteFacts<'_>) -> InvoiceView {
    let c = f.currency;
    let net: i64 = f.parts.iter().map(|p| p.net_minor).sum();
    let gross: i64 = f.parts.iter().map(|p| p.gross_minor).sum();
    InvoiceView {
        title: "Credit note".to_string(),
        number: f.number.to_string(),
        issue_date: f.issue_date.to_string(),
        due_date: f.issue_date.to_string(),
        currency: c.to_string(),
        seller: party(f.seller),
        buyer: party(f.buyer),
        customer_reference: f.customer_reference.map(str::to_string),
        description: Some(f.reason.to_string()).filter(|r| !r.trim().is_empty()),
        lines: f
            .parts
            .iter()
            .map(|p| InvoiceLineView {
                description: format!("Credit against invoice {}", f.invoice_number),
                quantity: "1".to_string(),
                unit_price: amount(p.net_minor, c),
                tax_rate: format!("{}%", format_tax_rate(p.tax_rate_ppm)),
                amount: amount(p.net_minor, c),
            })
            .collect(),
        subtotal: amount(net, c),
        taxes: f
            .parts
            .iter()
            .filter(|p| p.net_minor != 0 || p.tax_minor != 0)
            .map(|p| LabelledAmount {
                label: format!(
                    "Tax {}% on {}",
                    format_tax_rate(p.tax_rate_ppm),
                    amount(p.net_minor, c)
                ),
                amount: amount(p.tax_minor, c),
            })
            .collect(),
        total: amount(gross, c),
        fees_and_interest: None,
        paid: None,
        amount_due: amount(0, c),
        installments: Vec::new(),
        payment_terms: format!(
            "This credit note reduces what is owed on invoice {} by {} {c}. Nothing is to be paid on it.",
            f.invoice_number,
            amount(gross, c)
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
fn bucket_label(label: &str) -> String {
    match label {
        "current" => "Not yet due".to_string(),
        other => format!("{other} days"),
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
) -> StatementView {
    let c = s.currency;
    let reference = s.payment_reference();
    let mut aging: Vec<LabelledAmount> = s
        .aging_labels
        .iter()
        .zip(&s.aging_minor)
        .map(|(label, minor)| LabelledAmount {
            label: bucket_label(label),
            amount: amount(*minor, c),
        })
        .collect();
    aging.push(LabelledAmount {
        label: "Total open".to_string(),
        amount: amount(s.aging_total_minor(), c),
    });
    StatementView {
        seller: party(seller),
        customer: party(customer),
        customer_reference: customer_reference.map(str::to_string),
        date: s.to.to_string(),
        period: format!("{} to {}", s.from, s.to),
        currency: c.to_string(),
        opening_balance: amount(s.opening_minor, c),
        lines: s
            .lines
            .iter()
            .map(|l| StatementLineView {
                date: l.date.to_string(),
                description: l.description(),
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
        payment_instructions: payment_instructions(instructions, &reference),
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
}

/// A final demand in the firm, plain tone of the default ladder's letter step.
pub fn final_demand(f: &LetterFacts<'_>) -> LetterView {
    let c = f.currency;
    let ids: Vec<i64> = f.invoices.iter().map(|i| i.invoice_id).collect();
    let reference = CreditorReference::for_payment_of(f.customer_id, &ids);
    let total_minor: i64 = f.invoices.iter().map(|i| i.open_minor).sum();
    let total = amount(total_minor, c);
    let count = f.invoices.len();
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
        invoices: f
            .invoices
            .iter()
            .map(|i| LetterInvoiceView {
                number: i.number.clone(),
                issue_date: i.issue_date.to_string(),
                due_date: i.due_date.to_string(),
                days_overdue: i.days_past_due.max(0).to_string(),
                amount_open: amount(i.open_minor, c),
                payment_reference: i.payment_reference().grouped(),
            })
            .collect(),
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
