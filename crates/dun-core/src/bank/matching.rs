//! Which open invoices an incoming credit pays: pure and explainable.
//!
//! For each credit, in order (issue 14, README "Bank statements"):
//! 1. **A reference** — a creditor reference of Dun's, or an invoice number
//!    in the remittance text (any case, spaces or dashes, a common prefix
//!    such as "Invoice", "Inv", "Rechnung", "#", or the number's own
//!    prefix) — names one or more open invoices: the money goes to them,
//!    oldest due first. A customer reference (printed on statements) pays
//!    that customer's open invoices oldest due first.
//! 2. **A known payer** — an IBAN (or, without one, a name) a person has
//!    confirmed for a customer before — paying exactly one open invoice's
//!    amount, the customer's whole open balance, or the installment due
//!    on a plan.
//! 3. Otherwise **a suggestion**: candidates with a score and the reasons,
//!    for a person to confirm.
//!
//! Money in another currency than an invoice is never allocated to it
//! automatically. What is left of a credit after its invoices are paid is
//! the customer's credit. A credit is never allocated more than its amount,
//! nor an invoice more than it has open; the matcher lowers the open
//! amounts it has allocated, so two lines of one statement never pay the
//! same open amount twice.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::{name_key, BankLine};
use crate::reference::{self, CreditorReference, Subject};
use crate::{Currency, Date};

/// Most candidates a suggestion lists.
pub const CANDIDATES_MAX: usize = 5;
/// Most customers one word of a payer's name may point to before the word
/// is too common to say anything.
const NAME_WORD_CUSTOMERS_MAX: usize = 20;

/// An invoice with something open, as matching sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenItem {
    pub invoice_id: i64,
    pub number: String,
    pub customer_id: i64,
    pub currency: Currency,
    pub open_minor: i64,
    pub due_date: Date,
    /// On a payment plan: what is due by the statement's date and not yet
    /// paid (the plan's installments in order).
    pub plan_due_minor: Option<i64>,
}

/// A customer as suggestions compare payers with them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerName {
    pub customer_id: i64,
    pub name: String,
}

/// A payer a person confirmed for a customer: the account and the name
/// (as [`name_key`]) the money came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownPayer {
    pub customer_id: i64,
    pub iban: Option<String>,
    pub name_key: Option<String>,
}

/// Which rule decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Reference,
    InvoiceNumber,
    CustomerReference,
    KnownPayer,
    /// A person chose (recorded by the store, never by the matcher).
    Person,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Reference => "reference",
            Rule::InvoiceNumber => "invoice_number",
            Rule::CustomerReference => "customer_reference",
            Rule::KnownPayer => "known_payer",
            Rule::Person => "person",
        }
    }
}

/// One reason, in words a person checks against the bank line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// The line quotes the invoice's creditor reference.
    ReferenceNamesInvoice { number: String, reference: String },
    /// The line quotes a customer's statement reference.
    ReferenceNamesCustomer { reference: String },
    /// The remittance text names the invoice by number.
    NumberInText { number: String, written: String },
    /// The payer's account was confirmed for this customer before.
    PayerIbanKnown { iban: String },
    /// The payer's name was confirmed for this customer before.
    PayerNameKnown { name: String },
    /// The amount is exactly what the invoice has open.
    AmountEqualsInvoice { number: String },
    /// The amount is exactly the customer's open balance in the currency.
    AmountEqualsBalance,
    /// The amount is exactly what the customer's plan has due.
    AmountEqualsPlanDue,
    /// The payer's name resembles the customer's.
    NameResembles { payer: String, customer: String },
    /// Named, but in another currency: never allocated automatically.
    CurrencyDiffers { number: String, currency: String },
    /// Named, but nothing is open on it.
    NotOpen { number: String },
    /// More came than the invoices had open; the rest is the customer's
    /// credit.
    Overpaid { credit_minor: i64 },
    /// Less came than the invoices had open; the rest stays open.
    Underpaid { left_minor: i64 },
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::ReferenceNamesInvoice { number, reference } => {
                write!(f, "the payment quotes {number}'s reference {reference}")
            }
            Reason::ReferenceNamesCustomer { reference } => {
                write!(f, "the payment quotes the customer's reference {reference}")
            }
            Reason::NumberInText { number, written } => {
                write!(
                    f,
                    "the payment's text names {number} (written \"{written}\")"
                )
            }
            Reason::PayerIbanKnown { iban } => {
                write!(f, "account {iban} paid this customer before")
            }
            Reason::PayerNameKnown { name } => write!(f, "\"{name}\" paid this customer before"),
            Reason::AmountEqualsInvoice { number } => {
                write!(f, "the amount is what {number} has open")
            }
            Reason::AmountEqualsBalance => {
                f.write_str("the amount is the customer's whole open balance")
            }
            Reason::AmountEqualsPlanDue => {
                f.write_str("the amount is what the customer's plan has due")
            }
            Reason::NameResembles { payer, customer } => {
                write!(
                    f,
                    "the payer \"{payer}\" resembles the customer \"{customer}\""
                )
            }
            Reason::CurrencyDiffers { number, currency } => {
                write!(f, "{number} is in {currency}, not the payment's currency")
            }
            Reason::NotOpen { number } => write!(f, "{number} has nothing open"),
            Reason::Overpaid { credit_minor } => {
                write!(
                    f,
                    "{credit_minor} (minor units) more than was open is kept as credit"
                )
            }
            Reason::Underpaid { left_minor } => {
                write!(f, "{left_minor} (minor units) stays open")
            }
        }
    }
}

/// Money to one invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub invoice_id: i64,
    pub amount_minor: i64,
}

/// A possible home for a credit, for a person to confirm.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub customer_id: i64,
    /// The invoices it would pay, oldest due first (empty: the customer's
    /// oldest, or credit).
    pub invoice_ids: Vec<i64>,
    /// 0 to 100: how sure the evidence makes it.
    pub score: u8,
    pub reasons: Vec<Reason>,
}

/// What matching decides for a credit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Post it: a payment from the customer, these allocations, the rest
    /// kept as the customer's credit.
    Allocate {
        customer_id: i64,
        allocations: Vec<Allocation>,
        credit_minor: i64,
        rule: Rule,
        reasons: Vec<Reason>,
    },
    /// Leave it for a person; the candidates (best first) may be empty.
    Suggest { candidates: Vec<Candidate> },
}

/// An invoice named by a reference, open or not (the store looks up the
/// invoices the references in a statement name).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedInvoice {
    pub invoice_id: i64,
    pub number: String,
    pub customer_id: i64,
    pub currency: Currency,
}

/// The open book as matching needs it, with its indexes.
pub struct Matcher {
    items: Vec<OpenItem>,
    by_id: HashMap<i64, usize>,
    /// Number key ([`number_key`]) to item.
    by_number: HashMap<(String, u64), usize>,
    by_digits: HashMap<u64, Vec<usize>>,
    by_customer: HashMap<i64, Vec<usize>>,
    by_amount: HashMap<(Currency, i64), Vec<usize>>,
    named: HashMap<i64, NamedInvoice>,
    payer_by_iban: HashMap<String, i64>,
    payer_by_name: HashMap<String, i64>,
    customers: HashMap<i64, String>,
    customers_by_word: HashMap<String, Vec<i64>>,
}

/// An invoice number as text is compared with it: the letters before the
/// digits (upper case, punctuation dropped) and the digits' value, so
/// `INV-000123`, `inv 123` and `INV123` are the same number.
pub fn number_key(number: &str) -> Option<(String, u64)> {
    let upper = number.to_uppercase();
    let digits_at = upper
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    let digits = &upper[digits_at..];
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let prefix: String = upper[..digits_at]
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    Some((prefix, digits.parse().ok()?))
}

/// Words that, written before a number, say it is an invoice's.
const NUMBER_WORDS: &[&str] = &[
    "INVOICE",
    "INV",
    "INVNO",
    "RECHNUNG",
    "RECHNUNGSNR",
    "RE",
    "RG",
    "RGNR",
    "RENR",
    "FACTURE",
    "FACT",
    "FACTURA",
    "FATTURA",
    "FAKTURA",
    "FACTUUR",
    "NR",
    "NO",
    "NUMBER",
    "REF",
];

/// A number written in remittance text: the word before it, its digits as
/// written, and whether it was written with leading zeros.
struct WrittenNumber {
    word: String,
    digits: String,
    attached: bool,
}

/// Digit runs in `text` with the word written before each (`INV-0042`:
/// word `INV`, attached; `Rechnung 42`: word `RECHNUNG`; `#42`: word `#`).
fn written_numbers(text: &str) -> Vec<WrittenNumber> {
    let upper = text.to_uppercase();
    let chars: Vec<char> = upper.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || (i > 0 && chars[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        // A digit run inside an amount or a date (12.50, 2026-03-01) is not a
        // number: its neighbours are digits across one separator.
        let next_is_digit =
            i + 1 < chars.len() && matches!(chars[i], '.' | ',') && chars[i + 1].is_ascii_digit();
        if next_is_digit {
            continue;
        }
        let digits: String = chars[start..i].iter().collect();
        // The word before: skip separators (space, '-', ':', '.', '/', '#').
        let mut j = start;
        let mut hash = false;
        while j > 0 && matches!(chars[j - 1], ' ' | '-' | ':' | '.' | '/' | '#' | '_') {
            hash |= chars[j - 1] == '#';
            j -= 1;
        }
        let attached = j == start;
        let end = j;
        while j > 0 && chars[j - 1].is_alphanumeric() && !chars[j - 1].is_ascii_digit() {
            j -= 1;
        }
        let word: String = chars[j..end].iter().collect();
        let word = if word.is_empty() && hash {
            "#".to_string()
        } else {
            word
        };
        found.push(WrittenNumber {
            word,
            digits,
            attached,
        });
    }
    found
}

fn shares_a_word(a: &str, b: &str) -> bool {
    a.split(' ')
        .filter(|w| w.chars().count() >= 3)
        .any(|w| b.split(' ').any(|v| v == w))
}

impl Matcher {
    /// Indexes the open items, the invoices references name, the payers
    /// learned and the customers' names.
    pub fn new(
        items: Vec<OpenItem>,
        named: Vec<NamedInvoice>,
        payers: &[KnownPayer],
        customers: &[CustomerName],
    ) -> Matcher {
        let mut m = Matcher {
            by_id: HashMap::with_capacity(items.len()),
            by_number: HashMap::with_capacity(items.len()),
            by_digits: HashMap::new(),
            by_customer: HashMap::new(),
            by_amount: HashMap::new(),
            named: named.into_iter().map(|n| (n.invoice_id, n)).collect(),
            payer_by_iban: HashMap::new(),
            payer_by_name: HashMap::new(),
            customers: HashMap::with_capacity(customers.len()),
            customers_by_word: HashMap::new(),
            items,
        };
        for (i, item) in m.items.iter().enumerate() {
            m.by_id.insert(item.invoice_id, i);
            if let Some(key) = number_key(&item.number) {
                m.by_digits.entry(key.1).or_default().push(i);
                m.by_number.insert(key, i);
            }
            m.by_customer.entry(item.customer_id).or_default().push(i);
            m.by_amount
                .entry((item.currency, item.open_minor))
                .or_default()
                .push(i);
        }
        for list in m.by_customer.values_mut() {
            let items = &m.items;
            list.sort_by_key(|&i| (items[i].due_date, items[i].invoice_id));
        }
        for p in payers {
            if let Some(iban) = &p.iban {
                m.payer_by_iban.insert(iban.clone(), p.customer_id);
            }
            if let Some(name) = p.name_key.as_ref().filter(|n| !n.is_empty()) {
                m.payer_by_name.insert(name.clone(), p.customer_id);
            }
        }
        for c in customers {
            let key = name_key(&c.name);
            for word in key.split(' ').filter(|w| w.chars().count() >= 3) {
                m.customers_by_word
                    .entry(word.to_string())
                    .or_default()
                    .push(c.customer_id);
            }
            m.customers.insert(c.customer_id, c.name.clone());
        }
        m
    }

    /// What is open on an invoice now (after what this matcher allocated).
    pub fn open_minor(&self, invoice_id: i64) -> Option<i64> {
        self.by_id
            .get(&invoice_id)
            .map(|&i| self.items[i].open_minor)
    }

    /// Tells the matcher an invoice's open amount as the ledger has it now
    /// (credit applied by the policy after a payment moves it too).
    pub fn set_open(&mut self, invoice_id: i64, open_minor: i64) {
        let Some(&i) = self.by_id.get(&invoice_id) else {
            return;
        };
        let item = &mut self.items[i];
        if item.open_minor == open_minor {
            return;
        }
        if let Some(list) = self.by_amount.get_mut(&(item.currency, item.open_minor)) {
            list.retain(|&j| j != i);
        }
        item.open_minor = open_minor;
        if open_minor > 0 {
            self.by_amount
                .entry((item.currency, open_minor))
                .or_default()
                .push(i);
        }
    }

    /// Decides for one bank line. Debits and empty lines get an empty
    /// suggestion (returns are the store's: they reverse what was posted).
    pub fn decide(&mut self, line: &BankLine) -> Outcome {
        if !line.is_credit() {
            return Outcome::Suggest { candidates: vec![] };
        }
        self.by_reference(line)
            .or_else(|| self.by_known_payer(line))
            .unwrap_or_else(|| Outcome::Suggest {
                candidates: self.candidates(line),
            })
    }

    fn texts(line: &BankLine) -> String {
        match &line.structured_ref {
            Some(r) => format!("{r} {}", line.remittance),
            None => line.remittance.clone(),
        }
    }

    /// Rule 1: references and invoice numbers.
    fn by_reference(&mut self, line: &BankLine) -> Option<Outcome> {
        let text = Self::texts(line);
        let mut named: Vec<(i64, Reason, Rule)> = Vec::new();
        let mut customer_ref: Option<(i64, CreditorReference)> = None;
        let mut blocked: Vec<Reason> = Vec::new();
        for r in reference::find_in(&text) {
            match r.subject() {
                Some(Subject::Invoice(id)) => {
                    let Some(n) = self.named.get(&id).cloned().or_else(|| {
                        self.by_id.get(&id).map(|&i| {
                            let it = &self.items[i];
                            NamedInvoice {
                                invoice_id: id,
                                number: it.number.clone(),
                                customer_id: it.customer_id,
                                currency: it.currency,
                            }
                        })
                    }) else {
                        continue;
                    };
                    let reason = Reason::ReferenceNamesInvoice {
                        number: n.number.clone(),
                        reference: r.grouped(),
                    };
                    named.push((id, reason, Rule::Reference));
                }
                Some(Subject::Customer(id)) if self.customers.contains_key(&id) => {
                    customer_ref.get_or_insert((id, r));
                }
                _ => {}
            }
        }
        if named.is_empty() {
            for w in written_numbers(&text) {
                let Ok(value) = w.digits.parse::<u64>() else {
                    continue;
                };
                let hit = self
                    .by_number
                    .get(&(w.word.clone(), value))
                    .copied()
                    .or_else(|| {
                        let said = NUMBER_WORDS.contains(&w.word.as_str()) || w.word == "#";
                        let padded = w.digits.len() >= 4 && w.digits.starts_with('0');
                        let only = self.by_digits.get(&value).filter(|v| v.len() == 1)?;
                        (said || (padded && !w.attached) || (padded && w.word.is_empty()))
                            .then_some(only[0])
                    });
                if let Some(i) = hit {
                    let it = &self.items[i];
                    if named.iter().all(|(id, _, _)| *id != it.invoice_id) {
                        let written = if w.word.is_empty() || w.word == "#" {
                            format!("{}{}", w.word, w.digits)
                        } else {
                            format!("{} {}", w.word, w.digits)
                        };
                        let reason = Reason::NumberInText {
                            number: it.number.clone(),
                            written,
                        };
                        named.push((it.invoice_id, reason, Rule::InvoiceNumber));
                    }
                }
            }
        }
        if named.is_empty() {
            let (customer_id, r) = customer_ref?;
            let reasons = vec![Reason::ReferenceNamesCustomer {
                reference: r.grouped(),
            }];
            let ids = self.customer_items(customer_id, line.currency);
            return Some(self.allocate(line, customer_id, ids, Rule::CustomerReference, reasons));
        }
        // Named invoices: all one customer's, in the payment's currency.
        let customer_id = self.customer_of(named[0].0)?;
        if named
            .iter()
            .any(|(id, _, _)| self.customer_of(*id) != Some(customer_id))
        {
            return Some(self.suggest_named(named));
        }
        let mut reasons = Vec::new();
        let mut ids = Vec::new();
        let rule = named[0].2;
        for (id, reason, _) in named {
            let n = self.describe(id)?;
            if n.currency != line.currency {
                blocked.push(Reason::CurrencyDiffers {
                    number: n.number,
                    currency: n.currency.code().to_string(),
                });
                reasons.push(reason);
                continue;
            }
            match self.by_id.get(&id) {
                Some(&i) if self.items[i].open_minor > 0 => ids.push(i),
                _ => reasons.push(Reason::NotOpen { number: n.number }),
            }
            reasons.push(reason);
        }
        if !blocked.is_empty() {
            reasons.extend(blocked);
            return Some(Outcome::Suggest {
                candidates: vec![Candidate {
                    customer_id,
                    invoice_ids: ids.iter().map(|&i| self.items[i].invoice_id).collect(),
                    score: 70,
                    reasons,
                }],
            });
        }
        ids.sort_by_key(|&i| (self.items[i].due_date, self.items[i].invoice_id));
        Some(self.allocate(line, customer_id, ids, rule, reasons))
    }

    fn describe(&self, invoice_id: i64) -> Option<NamedInvoice> {
        if let Some(&i) = self.by_id.get(&invoice_id) {
            let it = &self.items[i];
            return Some(NamedInvoice {
                invoice_id,
                number: it.number.clone(),
                customer_id: it.customer_id,
                currency: it.currency,
            });
        }
        self.named.get(&invoice_id).cloned()
    }

    fn customer_of(&self, invoice_id: i64) -> Option<i64> {
        self.describe(invoice_id).map(|n| n.customer_id)
    }

    /// References that name several customers' invoices: a candidate for
    /// each, for a person to choose.
    fn suggest_named(&self, named: Vec<(i64, Reason, Rule)>) -> Outcome {
        let mut candidates: Vec<Candidate> = Vec::new();
        for (id, reason, _) in named {
            let Some(customer_id) = self.customer_of(id) else {
                continue;
            };
            match candidates.iter_mut().find(|c| c.customer_id == customer_id) {
                Some(c) => {
                    c.invoice_ids.push(id);
                    c.reasons.push(reason);
                }
                None => candidates.push(Candidate {
                    customer_id,
                    invoice_ids: vec![id],
                    score: 50,
                    reasons: vec![reason],
                }),
            }
        }
        candidates.truncate(CANDIDATES_MAX);
        Outcome::Suggest { candidates }
    }

    /// The customer's open items in `currency`, oldest due first.
    fn customer_items(&self, customer_id: i64, currency: Currency) -> Vec<usize> {
        self.by_customer
            .get(&customer_id)
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|&i| self.items[i].currency == currency && self.items[i].open_minor > 0)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Pays `ids` in order with the line's amount; the rest is credit.
    fn allocate(
        &mut self,
        line: &BankLine,
        customer_id: i64,
        ids: Vec<usize>,
        rule: Rule,
        mut reasons: Vec<Reason>,
    ) -> Outcome {
        let mut left = line.amount_minor;
        let mut allocations = Vec::new();
        let mut still_open = 0;
        for i in ids {
            let item = &mut self.items[i];
            let pay = left.min(item.open_minor);
            if pay > 0 {
                allocations.push(Allocation {
                    invoice_id: item.invoice_id,
                    amount_minor: pay,
                });
                self.by_amount
                    .entry((item.currency, item.open_minor))
                    .or_default()
                    .retain(|&j| j != i);
                item.open_minor -= pay;
                if item.open_minor > 0 {
                    self.by_amount
                        .entry((item.currency, item.open_minor))
                        .or_default()
                        .push(i);
                }
                if let Some(due) = item.plan_due_minor.as_mut() {
                    *due = (*due - pay).max(0);
                }
                left -= pay;
            }
            still_open += item.open_minor;
        }
        if left > 0 {
            reasons.push(Reason::Overpaid { credit_minor: left });
        } else if still_open > 0 {
            reasons.push(Reason::Underpaid {
                left_minor: still_open,
            });
        }
        Outcome::Allocate {
            customer_id,
            allocations,
            credit_minor: left,
            rule,
            reasons,
        }
    }

    /// Rule 2: a payer a person confirmed, paying an amount that says what.
    fn by_known_payer(&mut self, line: &BankLine) -> Option<Outcome> {
        let (customer_id, known) = match &line.counterparty_iban {
            Some(iban) if self.payer_by_iban.contains_key(iban) => (
                self.payer_by_iban[iban],
                Reason::PayerIbanKnown { iban: iban.clone() },
            ),
            _ => {
                let name = line.counterparty_name.as_deref()?;
                let id = *self.payer_by_name.get(&name_key(name))?;
                (
                    id,
                    Reason::PayerNameKnown {
                        name: name.to_string(),
                    },
                )
            }
        };
        let ids = self.customer_items(customer_id, line.currency);
        let amount = line.amount_minor;
        let exact: Vec<usize> = ids
            .iter()
            .copied()
            .filter(|&i| self.items[i].open_minor == amount)
            .collect();
        let balance: i64 = ids.iter().map(|&i| self.items[i].open_minor).sum();
        let plan_due: i64 = ids
            .iter()
            .filter_map(|&i| self.items[i].plan_due_minor)
            .sum();
        let (chosen, why) = if exact.len() == 1 {
            let number = self.items[exact[0]].number.clone();
            (exact, Reason::AmountEqualsInvoice { number })
        } else if balance == amount && balance > 0 {
            (ids, Reason::AmountEqualsBalance)
        } else if plan_due == amount && plan_due > 0 {
            let on_plan = ids
                .into_iter()
                .filter(|&i| self.items[i].plan_due_minor.is_some())
                .collect();
            (on_plan, Reason::AmountEqualsPlanDue)
        } else {
            let mut reasons = vec![known];
            reasons.extend(self.resemblance(line, customer_id));
            return Some(Outcome::Suggest {
                candidates: vec![Candidate {
                    customer_id,
                    invoice_ids: ids.iter().map(|&i| self.items[i].invoice_id).collect(),
                    score: 60,
                    reasons,
                }],
            });
        };
        Some(self.allocate(
            line,
            customer_id,
            chosen,
            Rule::KnownPayer,
            vec![known, why],
        ))
    }

    fn resemblance(&self, line: &BankLine, customer_id: i64) -> Option<Reason> {
        let payer = line.counterparty_name.as_deref()?;
        let customer = self.customers.get(&customer_id)?;
        shares_a_word(&name_key(payer), &name_key(customer)).then(|| Reason::NameResembles {
            payer: payer.to_string(),
            customer: customer.clone(),
        })
    }

    /// Rule 3: candidates for a person, best first.
    fn candidates(&self, line: &BankLine) -> Vec<Candidate> {
        let mut by_customer: BTreeMap<i64, Candidate> = BTreeMap::new();
        let mut add = |customer_id: i64, invoice_id: Option<i64>, score: u8, reason: Reason| {
            let c = by_customer.entry(customer_id).or_insert_with(|| Candidate {
                customer_id,
                invoice_ids: vec![],
                score: 0,
                reasons: vec![],
            });
            if let Some(id) = invoice_id {
                if !c.invoice_ids.contains(&id) {
                    c.invoice_ids.push(id);
                }
            }
            c.score = c.score.saturating_add(score).min(95);
            if !c.reasons.contains(&reason) {
                c.reasons.push(reason);
            }
        };
        if let Some(list) = self.by_amount.get(&(line.currency, line.amount_minor)) {
            for &i in list.iter().take(CANDIDATES_MAX * 4) {
                let it = &self.items[i];
                if it.open_minor == line.amount_minor {
                    let reason = Reason::AmountEqualsInvoice {
                        number: it.number.clone(),
                    };
                    add(it.customer_id, Some(it.invoice_id), 30, reason);
                }
            }
        }
        if let Some(payer) = line.counterparty_name.as_deref() {
            let key = name_key(payer);
            let mut seen: Vec<i64> = Vec::new();
            for word in key.split(' ').filter(|w| w.chars().count() >= 3) {
                let Some(ids) = self.customers_by_word.get(word) else {
                    continue;
                };
                if ids.len() > NAME_WORD_CUSTOMERS_MAX {
                    continue;
                }
                for &id in ids {
                    if seen.contains(&id) {
                        continue;
                    }
                    seen.push(id);
                    let reason = Reason::NameResembles {
                        payer: payer.to_string(),
                        customer: self.customers[&id].clone(),
                    };
                    add(id, None, 40, reason);
                    let items = self.customer_items(id, line.currency);
                    let balance: i64 = items.iter().map(|&i| self.items[i].open_minor).sum();
                    if balance == line.amount_minor && balance > 0 {
                        add(id, None, 20, Reason::AmountEqualsBalance);
                    }
                }
            }
        }
        let mut list: Vec<Candidate> = by_customer.into_values().collect();
        list.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then(a.customer_id.cmp(&b.customer_id))
        });
        list.truncate(CANDIDATES_MAX);
        list
    }
}

#[cfg(test)]
mod tests;
