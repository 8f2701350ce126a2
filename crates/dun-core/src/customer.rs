//! What a customer is reached and paid by: its contacts (each with a
//! role), the payment methods it may pay by, and notes about it. The rules
//! live here once; the store, the CLI, the API and the web call them.
//!
//! A customer's own e-mail and phone (the `customers` row) are its main
//! contact, a billing one. Further contacts have a [`ContactRole`]; who a
//! collection e-mail goes to is [`recipients`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::party::{is_email, is_phone, PartyError, EMAIL_CHARS_MAX, PHONE_BYTES_MAX};

/// Most contacts a customer has besides its main e-mail and phone.
pub const CONTACTS_MAX: usize = 20;
/// Longest contact name, in characters.
pub const CONTACT_NAME_CHARS_MAX: usize = crate::text::NAME_CHARS_MAX;
/// Longest notes about a customer, in characters.
pub const NOTES_CHARS_MAX: usize = crate::text::NOTE_CHARS_MAX;

/// What a contact is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactRole {
    /// Receives invoices, reminders and statements (To).
    Billing,
    /// The customer's accounts-payable desk: in copy (Cc) of every
    /// collection e-mail; To when there is no billing address.
    AccountsPayable,
    /// Kept for people to call or write to; no e-mail from Dun.
    Other,
}

impl ContactRole {
    pub const ALL: [ContactRole; 3] = [
        ContactRole::Billing,
        ContactRole::AccountsPayable,
        ContactRole::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContactRole::Billing => "billing",
            ContactRole::AccountsPayable => "accounts_payable",
            ContactRole::Other => "other",
        }
    }

    /// `billing`, `accounts_payable` (or `accounts-payable`, `ap`), `other`.
    pub fn parse(text: &str) -> Result<ContactRole, PartyError> {
        match words(text).as_str() {
            "billing" => Ok(ContactRole::Billing),
            "accounts_payable" | "ap" => Ok(ContactRole::AccountsPayable),
            "other" => Ok(ContactRole::Other),
            _ => Err(PartyError::new(
                "role",
                text,
                format!(
                    "a role is one of {}",
                    list(ContactRole::ALL.map(Self::as_str))
                ),
            )),
        }
    }
}

impl fmt::Display for ContactRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One contact of a customer: a name if known, and an e-mail, a phone or
/// both.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub role: ContactRole,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

fn trimmed(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

impl Contact {
    /// Trims every field and drops empty ones, then checks: the name at
    /// most [`CONTACT_NAME_CHARS_MAX`] characters, the e-mail and phone well
    /// formed, and at least one of them.
    pub fn normalized(&self) -> Result<Contact, Vec<PartyError>> {
        let c = Contact {
            role: self.role,
            name: trimmed(&self.name),
            email: trimmed(&self.email),
            phone: trimmed(&self.phone),
        };
        let mut errors = Vec::new();
        if let Some(name) = &c.name {
            if let Some(why) = crate::text::line_problem(name, CONTACT_NAME_CHARS_MAX) {
                errors.push(PartyError::new(
                    "name",
                    name,
                    format!("a contact name, on one line: {why}"),
                ));
            }
        }
        if let Some(email) = &c.email {
            if !is_email(email) {
                errors.push(PartyError::new(
                    "email",
                    email,
                    format!("not an email address like name@example.com (at most {EMAIL_CHARS_MAX} characters)"),
                ));
            }
        }
        if let Some(phone) = &c.phone {
            if !is_phone(phone) {
                errors.push(PartyError::new(
                    "phone",
                    phone,
                    format!("a phone number may hold digits, spaces and + - ( ) . only (at most {PHONE_BYTES_MAX} bytes)"),
                ));
            }
        }
        if c.email.is_none() && c.phone.is_none() {
            errors.push(PartyError::new(
                "email",
                "",
                "a contact needs an e-mail address, a phone number or both",
            ));
        }
        if errors.is_empty() {
            Ok(c)
        } else {
            Err(errors)
        }
    }

    /// `Jane Roe (billing) <jane@example.com>, +44 …` — for timelines and lists.
    pub fn describe(&self) -> String {
        let mut out = self.name.clone().unwrap_or_default();
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&format!("({})", self.role));
        if let Some(email) = &self.email {
            out.push_str(&format!(" <{email}>"));
        }
        if let Some(phone) = &self.phone {
            out.push_str(&format!(" {phone}"));
        }
        out
    }
}

/// Who a collection e-mail (an invoice, a reminder, a statement, a credit
/// note) goes to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Recipients {
    pub to: Vec<String>,
    pub cc: Vec<String>,
}

impl Recipients {
    pub fn is_empty(&self) -> bool {
        self.to.is_empty()
    }

    /// The To addresses as one header value, `a@x.com, b@y.com`.
    pub fn to_text(&self) -> String {
        self.to.join(", ")
    }

    /// The Cc addresses as one header value; `None` when there are none.
    pub fn cc_text(&self) -> Option<String> {
        (!self.cc.is_empty()).then(|| self.cc.join(", "))
    }
}

/// The rule, once: To the customer's main e-mail and every billing
/// contact's; Cc every accounts-payable contact's; when nobody is To, the
/// accounts-payable addresses are To instead (a message never goes to
/// nobody while the customer has an address). `other` contacts get no
/// e-mail. Each address once (compared without case), in the order given.
pub fn recipients(main_email: Option<&str>, contacts: &[Contact]) -> Recipients {
    let mut seen: Vec<String> = Vec::new();
    let mut take = |list: &mut Vec<String>, email: &str| {
        let email = email.trim();
        if email.is_empty() {
            return;
        }
        let key = email.to_lowercase();
        if !seen.contains(&key) {
            seen.push(key);
            list.push(email.to_string());
        }
    };
    let mut to = Vec::new();
    let mut cc = Vec::new();
    if let Some(main) = main_email {
        take(&mut to, main);
    }
    for c in contacts.iter().filter(|c| c.role == ContactRole::Billing) {
        if let Some(email) = &c.email {
            take(&mut to, email);
        }
    }
    for c in contacts
        .iter()
        .filter(|c| c.role == ContactRole::AccountsPayable)
    {
        if let Some(email) = &c.email {
            take(&mut cc, email);
        }
    }
    if to.is_empty() {
        std::mem::swap(&mut to, &mut cc);
    }
    Recipients { to, cc }
}

/// A way a customer pays. The names are the payment `method` values Dun
/// records (`dun payment add --method`, the bank import, Stripe's `card`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    BankTransfer,
    DirectDebit,
    Ach,
    Card,
    Check,
    Cash,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 6] = [
        PaymentMethod::BankTransfer,
        PaymentMethod::DirectDebit,
        PaymentMethod::Ach,
        PaymentMethod::Card,
        PaymentMethod::Check,
        PaymentMethod::Cash,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::BankTransfer => "bank_transfer",
            PaymentMethod::DirectDebit => "direct_debit",
            PaymentMethod::Ach => "ach",
            PaymentMethod::Card => "card",
            PaymentMethod::Check => "check",
            PaymentMethod::Cash => "cash",
        }
    }

    /// For people: "bank transfer", "direct debit", "ACH", "card", "cheque", "cash".
    pub fn label(self) -> &'static str {
        match self {
            PaymentMethod::BankTransfer => "bank transfer",
            PaymentMethod::DirectDebit => "direct debit",
            PaymentMethod::Ach => "ACH",
            PaymentMethod::Card => "card",
            PaymentMethod::Check => "cheque",
            PaymentMethod::Cash => "cash",
        }
    }

    /// One method by name (`cheque` is `check`; `-` and spaces read as `_`).
    pub fn parse(text: &str) -> Result<PaymentMethod, PartyError> {
        let w = words(text);
        let w = match w.as_str() {
            "cheque" => "check",
            "transfer" => "bank_transfer",
            other => other,
        };
        PaymentMethod::ALL
            .into_iter()
            .find(|m| m.as_str() == w)
            .ok_or_else(|| {
                PartyError::new(
                    "payment_methods",
                    text,
                    format!(
                        "a payment method is one of {}",
                        list(PaymentMethod::ALL.map(Self::as_str))
                    ),
                )
            })
    }

    /// A comma-separated list (`bank_transfer, card`), each once, in
    /// [`PaymentMethod::ALL`]'s order. Empty or `any`: `None`, the
    /// customer may pay by any method.
    pub fn parse_list(text: &str) -> Result<Option<Vec<PaymentMethod>>, PartyError> {
        let t = text.trim();
        if t.is_empty() || t.eq_ignore_ascii_case("any") {
            return Ok(None);
        }
        let mut methods = Vec::new();
        for part in t.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let m = PaymentMethod::parse(part).map_err(|e| PartyError {
                value: text.to_string(),
                ..e
            })?;
            if !methods.contains(&m) {
                methods.push(m);
            }
        }
        methods.sort();
        Ok(Some(methods))
    }

    /// `bank_transfer,card` — as stored; `None` for no restriction.
    pub fn list_text(methods: Option<&[PaymentMethod]>) -> Option<String> {
        methods.map(|ms| ms.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(","))
    }

    /// For people: "bank transfer, card" or "any".
    pub fn list_label(methods: Option<&[PaymentMethod]>) -> String {
        match methods {
            None => "any".to_string(),
            Some(ms) => ms.iter().map(|m| m.label()).collect::<Vec<_>>().join(", "),
        }
    }

    /// Whether a customer with these accepted methods may pay by `self`.
    pub fn accepted_by(self, methods: Option<&[PaymentMethod]>) -> bool {
        methods.is_none_or(|ms| ms.contains(&self))
    }
}

impl fmt::Display for PaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Notes about a customer, trimmed; `None` when empty. Refused over
/// [`NOTES_CHARS_MAX`] characters or holding control characters other than
/// line breaks and tabs ([`crate::text::note_problem`]).
pub fn normalize_notes(text: &str) -> Result<Option<String>, PartyError> {
    let t = text.trim();
    if let Some(why) = crate::text::note_problem(t, NOTES_CHARS_MAX) {
        return Err(PartyError::new("notes", t, format!("notes {why}")));
    }
    Ok((!t.is_empty()).then(|| t.to_string()))
}

fn words(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == '-' || c == ' ' { '_' } else { c })
        .collect()
}

fn list<const N: usize>(names: [&str; N]) -> String {
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(role: ContactRole, email: &str) -> Contact {
        Contact {
            role,
            name: None,
            email: Some(email.into()),
            phone: None,
        }
    }

    #[test]
    fn reminders_go_to_the_main_address_and_billing_with_accounts_payable_in_copy() {
        let contacts = [
            contact(ContactRole::AccountsPayable, "ap@buyer.example"),
            contact(ContactRole::Billing, "jane@buyer.example"),
            contact(ContactRole::Other, "ceo@buyer.example"),
            contact(ContactRole::Billing, "Main@Buyer.example"),
        ];
        let r = recipients(Some("main@buyer.example"), &contacts);
        assert_eq!(r.to, ["main@buyer.example", "jane@buyer.example"]);
        assert_eq!(r.cc, ["ap@buyer.example"]);
        assert_eq!(r.to_text(), "main@buyer.example, jane@buyer.example");
    }

    #[test]
    fn with_no_billing_address_accounts_payable_is_to_and_other_never_gets_mail() {
        let contacts = [
            contact(ContactRole::Other, "ceo@buyer.example"),
            contact(ContactRole::AccountsPayable, "ap@buyer.example"),
        ];
        let r = recipients(None, &contacts);
        assert_eq!(r.to, ["ap@buyer.example"]);
        assert!(r.cc.is_empty());
        assert!(recipients(None, &contacts[..1]).is_empty());
    }

    #[test]
    fn a_contact_needs_an_address_or_a_phone_and_each_is_checked() {
        let none = Contact {
            role: ContactRole::Billing,
            name: Some("  Jane ".into()),
            email: Some(" ".into()),
            phone: None,
        };
        let errors = none.normalized().unwrap_err();
        assert_eq!(errors[0].field, "email");
        let bad = Contact {
            role: ContactRole::Billing,
            name: None,
            email: Some("jane".into()),
            phone: Some("call me".into()),
        };
        let fields: Vec<_> = bad
            .normalized()
            .unwrap_err()
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["email", "phone"]);
        let ok = Contact {
            role: ContactRole::Billing,
            name: Some(" Jane Roe ".into()),
            email: None,
            phone: Some("+44 20 7946 0000".into()),
        };
        assert_eq!(ok.normalized().unwrap().name.as_deref(), Some("Jane Roe"));
    }

    #[test]
    fn roles_and_methods_parse_by_their_names_and_refuse_others_listing_them() {
        assert_eq!(
            ContactRole::parse("Accounts-Payable").unwrap(),
            ContactRole::AccountsPayable
        );
        let e = ContactRole::parse("boss").unwrap_err();
        assert_eq!(
            e.to_string(),
            "role 'boss': a role is one of billing, accounts_payable, other"
        );
        assert_eq!(
            PaymentMethod::parse_list("card, Cheque, bank transfer, card").unwrap(),
            Some(vec![
                PaymentMethod::BankTransfer,
                PaymentMethod::Card,
                PaymentMethod::Check
            ])
        );
        assert_eq!(PaymentMethod::parse_list(" any ").unwrap(), None);
        let e = PaymentMethod::parse_list("card, bitcoin").unwrap_err();
        assert_eq!(e.field, "payment_methods");
        assert_eq!(e.value, "card, bitcoin");
        assert!(e
            .reason
            .contains("bank_transfer, direct_debit, ach, card, check, cash"));
        assert!(PaymentMethod::Card.accepted_by(None));
        assert!(!PaymentMethod::Card.accepted_by(Some(&[PaymentMethod::BankTransfer])));
    }

    #[test]
    fn notes_are_trimmed_and_limited() {
        assert_eq!(normalize_notes("  \n ").unwrap(), None);
        assert_eq!(
            normalize_notes(" Pays on the 15th.\nAsk for Jane. ")
                .unwrap()
                .as_deref(),
            Some("Pays on the 15th.\nAsk for Jane.")
        );
        let long = "x".repeat(NOTES_CHARS_MAX + 1);
        let e = normalize_notes(&long).unwrap_err();
        assert!(e.reason.contains("at most 4000 characters"), "{e}");
        assert!(normalize_notes("a\u{7}b").is_err());
    }
}
