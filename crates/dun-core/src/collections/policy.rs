//! The credit policy: a document the owner reads and the run executes.
//!
//! The types below are the policy's whole vocabulary; `document.rs` reads
//! and writes them as TOML. Money in a policy ([`PolicyMoney`]) is either
//! one amount (`"40.00"`), in the organisation's currency, or a table of
//! amounts per currency (`{ USD = "40.00", JPY = "5000" }`). An amount is
//! never converted: an invoice in a currency the policy names no amount for
//! is not charged, and the run says so ([`PolicyMoney::minor_in`]).
//! Percentages and rates ([`Rate`]) have no currency.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::law::{DebtorKind, Law};
use crate::money::{format_scaled, parse_scaled, round_half_even};
use crate::terms::Terms;
use crate::Currency;

/// Most steps a ladder (reminders and overdue steps together) may have.
pub const STEPS_MAX: usize = 32;
/// Most per-customer overrides one policy may carry.
pub const OVERRIDES_MAX: usize = 10_000;
/// Furthest a step may lie from the due date, in days.
pub const STEP_DAYS_MAX: u32 = 3650;
/// Scale of [`PolicyAmount`] and [`Rate`]: six decimal places.
pub const SCALE: u8 = 6;
const UNIT: i128 = 1_000_000;

/// A non-negative decimal with up to six places, exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PolicyAmount(i128);

impl PolicyAmount {
    pub fn parse(text: &str) -> Result<PolicyAmount, String> {
        match parse_scaled(text, SCALE) {
            Ok(v) if v < 0 => Err(format!("'{text}' is negative; amounts are 0 or more")),
            Ok(v) if v > 1_000_000_000_000 * UNIT => Err(format!("'{text}' is too large")),
            Ok(v) => Ok(PolicyAmount(v)),
            Err(Some(d)) => Err(format!(
                "'{text}' has {d} decimal places; at most {SCALE} are accepted"
            )),
            Err(None) => Err(format!(
                "'{text}' is not a decimal number (write it as a string, e.g. \"40.00\")"
            )),
        }
    }

    pub fn scaled(self) -> i128 {
        self.0
    }

    pub fn from_scaled(value: i128) -> PolicyAmount {
        PolicyAmount(value)
    }

    /// The amount in minor units of `currency`, rounded half-even.
    pub fn in_minor(self, currency: Currency) -> i64 {
        let scale = 10i128.pow(u32::from(currency.exponent()));
        round_half_even(self.0 * scale, UNIT) as i64
    }
}

impl fmt::Display for PolicyAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format_scaled(self.0, SCALE);
        let trimmed = text.trim_end_matches('0');
        let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
        // Keep two places where there are any, as people write money.
        match trimmed.split_once('.') {
            Some((_, frac)) if frac.len() == 1 => write!(f, "{trimmed}0"),
            Some(_) => f.write_str(trimmed),
            None => f.write_str(trimmed),
        }
    }
}

impl TryFrom<String> for PolicyAmount {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        PolicyAmount::parse(&value)
    }
}

impl From<PolicyAmount> for String {
    fn from(value: PolicyAmount) -> Self {
        value.to_string()
    }
}

/// A percentage, exact to six decimal places (`"8"` is 8 %).
pub type Rate = PolicyAmount;

/// Money the policy names: one amount in the organisation's currency
/// (`flat = "25.00"`), or one per currency
/// (`flat = { USD = "25.00", JPY = "3500", BHD = "10.000" }`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyMoney {
    /// In the organisation's (home) currency; no other currency has one.
    Home(PolicyAmount),
    /// Per ISO 4217 currency.
    PerCurrency(BTreeMap<Currency, PolicyAmount>),
}

/// The policy names no amount in a currency: the run records this
/// refusal instead of charging (a typed reason: the policy's field and the
/// currency).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NoAmountIn {
    /// The place in the policy: `late_fee.flat`, `interest.minimum_charge`, …
    pub field: &'static str,
    pub currency: Currency,
}

impl fmt::Display for NoAmountIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.field {
            "late_fee.flat" => "late fee",
            "late_fee.cap" => "late fee cap",
            "interest.monthly_cap" => "monthly interest cap",
            "interest.minimum_charge" => "minimum interest charge",
            "law.compensation" => "statutory fixed compensation (the law names it in one currency)",
            other => other,
        };
        write!(
            f,
            "the policy has no {what} in {} ({} names none)",
            self.currency, self.field
        )
    }
}

impl PolicyMoney {
    /// The amount for `currency`, when the policy names one; `home` is the
    /// organisation's currency, which a single amount is in.
    pub fn amount_in(&self, currency: Currency, home: Currency) -> Option<PolicyAmount> {
        match self {
            PolicyMoney::Home(a) => (currency == home).then_some(*a),
            PolicyMoney::PerCurrency(map) => map.get(&currency).copied(),
        }
    }

    /// The amount in minor units of `currency` (rounded half-even), or
    /// which currency has none. Never converted from another currency.
    pub fn minor_in(
        &self,
        field: &'static str,
        currency: Currency,
        home: Currency,
    ) -> Result<i64, NoAmountIn> {
        self.amount_in(currency, home)
            .map(|a| a.in_minor(currency))
            .ok_or(NoAmountIn { field, currency })
    }

    /// The amount as the owner wrote it, for `dun policy show` and PDFs:
    /// `40.00 USD` or `25.00 USD / 3500 JPY`.
    pub fn describe(&self, home: Currency) -> String {
        let one = |a: PolicyAmount, c: Currency| {
            format!("{} {c}", crate::money::format_minor(a.in_minor(c), c))
        };
        match self {
            PolicyMoney::Home(a) => one(*a, home),
            PolicyMoney::PerCurrency(map) => map
                .iter()
                .map(|(c, a)| one(*a, *c))
                .collect::<Vec<_>>()
                .join(" / "),
        }
    }

    /// Amounts with more decimal places than their currency has (`JPY =
    /// "3500.5"`): `(currency, reason)` for each.
    fn problems(&self) -> Vec<(Currency, String)> {
        match self {
            PolicyMoney::Home(_) => Vec::new(),
            PolicyMoney::PerCurrency(map) => map
                .iter()
                .filter_map(|(c, a)| Some((*c, PolicyMoney::problems_of(*c, *a)?)))
                .collect(),
        }
    }

    /// Why `amount` is not an amount of `currency` (finer than its minor unit).
    fn problems_of(currency: Currency, amount: PolicyAmount) -> Option<String> {
        let unit = 10i128.pow(u32::from(SCALE - currency.exponent().min(SCALE)));
        (amount.scaled() % unit != 0).then(|| {
            format!(
                "'{amount}' has more decimal places than {currency} has ({})",
                currency.exponent()
            )
        })
    }
}

impl Serialize for PolicyMoney {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            PolicyMoney::Home(a) => s.serialize_str(&a.to_string()),
            PolicyMoney::PerCurrency(map) => {
                // Each as its currency writes money ("10.000" BHD, "3500" JPY).
                let text: BTreeMap<String, String> = map
                    .iter()
                    .map(|(c, a)| {
                        let exact = PolicyMoney::problems_of(*c, *a).is_none();
                        let text = if exact {
                            crate::money::format_minor(a.in_minor(*c), *c)
                        } else {
                            a.to_string()
                        };
                        (c.to_string(), text)
                    })
                    .collect();
                text.serialize(s)
            }
        }
    }
}

impl<'de> Deserialize<'de> for PolicyMoney {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = PolicyMoney;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "an amount in quotes (\"40.00\", in the organisation's currency) \
                     or a table per currency ({ USD = \"40.00\", JPY = \"5000\" })",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PolicyMoney, E> {
                PolicyAmount::parse(v)
                    .map(PolicyMoney::Home)
                    .map_err(E::custom)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut access: A,
            ) -> Result<PolicyMoney, A::Error> {
                let mut map = BTreeMap::new();
                while let Some(code) = access.next_key::<String>()? {
                    let currency = Currency::parse(&code).map_err(serde::de::Error::custom)?;
                    let amount: PolicyAmount = access.next_value()?;
                    if map.insert(currency, amount).is_some() {
                        return Err(serde::de::Error::custom(format!("{code} is given twice")));
                    }
                }
                if map.is_empty() {
                    return Err(serde::de::Error::custom(
                        "the table names no currency; give e.g. { USD = \"40.00\" }",
                    ));
                }
                Ok(PolicyMoney::PerCurrency(map))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// How a message or task reaches its recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// An e-mail to the customer's billing contact.
    Email,
    /// A letter (PDF) to the customer.
    Letter,
    /// A call for the collector to make: a task on the worklist.
    CallTask,
    /// Something for a person inside the business to do: a task.
    InternalTask,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Letter => "letter",
            Channel::CallTask => "call_task",
            Channel::InternalTask => "internal_task",
        }
    }

    /// Whether the customer receives it (a message), or a person here acts on it (a task).
    pub fn is_customer_facing(self) -> bool {
        matches!(self, Channel::Email | Channel::Letter)
    }
}

/// What a step does besides its message or task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Attach the invoice again to the message.
    ResendInvoice,
    /// Charge the late fee (`[late_fee]`).
    LateFee,
    /// State in the message the date interest starts (`[interest]`); with
    /// `start = "notice"` interest runs only from a date so stated.
    AnnounceInterest,
    /// The customer becomes `cod_required`.
    CreditHold,
    /// Propose handing the debt to a collection agency (a person approves).
    ProposeAgency,
    /// Propose legal action (a person approves).
    ProposeLegal,
    /// Propose writing the invoice off (a person approves).
    ProposeWriteOff,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::ResendInvoice => "resend_invoice",
            Effect::LateFee => "late_fee",
            Effect::AnnounceInterest => "announce_interest",
            Effect::CreditHold => "credit_hold",
            Effect::ProposeAgency => "propose_agency",
            Effect::ProposeLegal => "propose_legal",
            Effect::ProposeWriteOff => "propose_write_off",
        }
    }
}

/// A pre-due reminder (`[[reminder]]`, `days_before_due`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reminder {
    pub key: String,
    pub days_before_due: u32,
    #[serde(default = "email")]
    pub channels: Vec<Channel>,
    pub template: String,
}

/// A step of the collections ladder (`[[step]]`, `days_past_due`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LadderStep {
    pub key: String,
    pub days_past_due: u32,
    #[serde(default = "email")]
    pub channels: Vec<Channel>,
    pub template: String,
    #[serde(default)]
    pub effects: Vec<Effect>,
}

fn email() -> Vec<Channel> {
    vec![Channel::Email]
}

/// One step of the ladder as the run sees it: reminders and overdue steps
/// in one list, by their offset from the due date (negative before it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub key: String,
    pub offset_days: i32,
    pub channels: Vec<Channel>,
    pub template: String,
    pub effects: Vec<Effect>,
}

impl Step {
    pub fn has(&self, effect: Effect) -> bool {
        self.effects.contains(&effect)
    }

    pub fn is_customer_facing(&self) -> bool {
        self.channels.iter().any(|c| c.is_customer_facing())
    }

    pub fn is_reminder(&self) -> bool {
        self.offset_days <= 0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeBasis {
    /// Once per invoice and step.
    Invoice,
    /// Again every `period_days` while the invoice stays overdue.
    Period,
}

/// `[late_fee]`: flat, or a percentage of the invoice's overdue principal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LateFee {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flat: Option<PolicyMoney>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<Rate>,
    #[serde(default = "fee_basis")]
    pub per: FeeBasis,
    #[serde(default = "thirty")]
    pub period_days: u32,
    /// Most fees one invoice may carry in all, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<PolicyMoney>,
}

fn fee_basis() -> FeeBasis {
    FeeBasis::Invoice
}

fn thirty() -> u32 {
    30
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterestStart {
    /// From the due date plus `grace_days`.
    Grace,
    /// From the date a notice with `announce_interest` stated (due date +
    /// `grace_days`, and never sooner after the notice than the ladder
    /// intended); no notice, no interest.
    Notice,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DayCount {
    /// Actual days over a 365-day year.
    #[serde(rename = "act/365")]
    Act365,
    /// Actual days over a 360-day year.
    #[serde(rename = "act/360")]
    Act360,
}

impl DayCount {
    pub fn year_days(self) -> i128 {
        match self {
            DayCount::Act365 => 365,
            DayCount::Act360 => 360,
        }
    }
}

/// `[interest]`: simple interest accrued daily on overdue principal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterestRule {
    pub annual_rate_percent: Rate,
    #[serde(default = "interest_start")]
    pub start: InterestStart,
    #[serde(default)]
    pub grace_days: u32,
    /// Most interest one invoice may be charged for one calendar month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_cap: Option<PolicyMoney>,
    /// A month's interest below this is not charged (none if unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_charge: Option<PolicyMoney>,
    /// Accrue on fees and posted interest too (off: principal only).
    #[serde(default)]
    pub compound: bool,
    #[serde(default = "day_count")]
    pub day_count: DayCount,
}

fn interest_start() -> InterestStart {
    InterestStart::Grace
}

fn day_count() -> DayCount {
    DayCount::Act365
}

/// Within one invoice, what a payment settles first. (Across invoices a
/// payment goes to the oldest due first, or where it is explicitly put.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocationOrder {
    /// The invoice's principal, then its fees, then its interest.
    PrincipalFirst,
    /// Fees, then interest, then principal (interest keeps running longest).
    FeesInterestPrincipal,
}

/// `[credit]`: limits and when a customer must pay cash on delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditRules {
    /// Limit for customers without their own, in the organisation's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_limit: Option<PolicyAmount>,
    /// A customer with any invoice this many days past due becomes `cod_required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cod_when_days_past_due: Option<u32>,
    /// The hold placed by the policy lifts once nothing is overdue.
    #[serde(default = "yes")]
    pub lift_when_nothing_overdue: bool,
    /// A customer whose overdue balance in a currency is below this is
    /// still reminded, but not charged fees or interest, held, moved to a
    /// riskier tier or escalated for it. None: no minimum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_overdue_balance: Option<PolicyMoney>,
}

fn yes() -> bool {
    true
}

/// `[payments]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentRules {
    #[serde(default)]
    pub accepted_methods: Vec<String>,
    #[serde(default = "allocation_order")]
    pub allocation: AllocationOrder,
    /// What happens to a customer's unapplied credit (money received and
    /// not allocated).
    #[serde(default)]
    pub unapplied_credit: CreditApplication,
    /// The scheduled run waits for the day's bank statement, so customers
    /// who paid yesterday are not chased this morning.
    #[serde(default)]
    pub run_after_bank_import: bool,
    /// The latest local time (`HH:MM`) the run waits for it; then it runs
    /// anyway.
    #[serde(default = "bank_import_wait_until")]
    pub bank_import_wait_until: String,
}

fn allocation_order() -> AllocationOrder {
    AllocationOrder::PrincipalFirst
}

fn bank_import_wait_until() -> String {
    "12:00".into()
}

/// `HH:MM`, 00:00 to 23:59.
pub fn is_clock_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 5
        && b[2] == b':'
        && b[..2].iter().chain(&b[3..]).all(u8::is_ascii_digit)
        && text[..2] < *"24"
        && text[3..] < *"60"
}

impl PaymentRules {
    /// Whether the day's scheduled run may start at local time `now_hhmm`
    /// (at or after the organisation's run time): at once, unless the
    /// policy waits for the bank, in which case when a statement came in
    /// today or the latest time has come.
    pub fn run_may_start(&self, now_hhmm: &str, imported_today: bool) -> bool {
        !self.run_after_bank_import
            || imported_today
            || now_hhmm >= self.bank_import_wait_until.as_str()
    }
}

/// What happens to a customer's unapplied credit. Whatever it says, the
/// run never chases, charges or holds a customer whose credit in a
/// currency covers what is overdue in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditApplication {
    /// Applied at once to the oldest open items in its currency: the day an
    /// invoice is issued, money arrives, or the run charges something.
    #[default]
    ApplyOldestFirst,
    /// Kept unapplied until a person applies it.
    KeepUnapplied,
}

/// A risk tier, from least to most risky. `New` is a customer with too
/// little history to judge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    New,
    Low,
    Medium,
    High,
    Critical,
}

impl Tier {
    pub const ALL: [Tier; 5] = [
        Tier::New,
        Tier::Low,
        Tier::Medium,
        Tier::High,
        Tier::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::New => "new",
            Tier::Low => "low",
            Tier::Medium => "medium",
            Tier::High => "high",
            Tier::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// The policy rule that places a customer in this tier: `tiers.low`.
    pub fn rule_name(self) -> &'static str {
        match self {
            Tier::New => "tiers.new",
            Tier::Low => "tiers.low",
            Tier::Medium => "tiers.medium",
            Tier::High => "tiers.high",
            Tier::Critical => "tiers.critical",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a customer is placed in a tier (any condition set suffices), and
/// what the tier changes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avg_days_late_at_least: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_time_percent_below: Option<u32>,
    /// The key of a ladder step reached in the last 12 months.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_reached: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broken_promises_at_least: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disputes_at_least: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenure_days_below: Option<u32>,
    /// Days added to every overdue step's threshold (negative: sooner).
    #[serde(default)]
    pub ladder_shift_days: i32,
    /// Customers in this tier must pay cash on delivery.
    #[serde(default)]
    pub cod: bool,
    /// Weight on the worklist, in percent (100 = neutral).
    #[serde(default = "hundred")]
    pub worklist_weight_percent: u32,
}

fn hundred() -> u32 {
    100
}

/// `[tiers]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierRules {
    /// Fewer settled invoices than this: tier `new`.
    #[serde(default = "three")]
    pub settled_invoices_to_rate: u32,
    /// How far back history counts, in days.
    #[serde(default = "year")]
    pub history_days: u32,
    #[serde(default)]
    pub new: TierRule,
    #[serde(default)]
    pub low: TierRule,
    #[serde(default)]
    pub medium: TierRule,
    #[serde(default)]
    pub high: TierRule,
    #[serde(default)]
    pub critical: TierRule,
}

fn three() -> u32 {
    3
}

fn year() -> u32 {
    365
}

impl TierRules {
    pub fn rule(&self, tier: Tier) -> &TierRule {
        match tier {
            Tier::New => &self.new,
            Tier::Low => &self.low,
            Tier::Medium => &self.medium,
            Tier::High => &self.high,
            Tier::Critical => &self.critical,
        }
    }
}

/// `[plans]`: payment plans.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanRules {
    /// An installment this many days past due breaks the plan; the ladder
    /// resumes on the invoices it covered.
    #[serde(default = "fifteen")]
    pub default_after_days: u32,
    /// Reminder before each installment falls due, in days (none if unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remind_days_before: Option<u32>,
    /// Notice when an installment is this many days past due.
    #[serde(default = "three_days")]
    pub notice_days_past_due: u32,
}

fn fifteen() -> u32 {
    15
}

fn three_days() -> u32 {
    3
}

/// `[collateral]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollateralRules {
    /// A task is made this many days before a piece of collateral expires.
    #[serde(default = "thirty")]
    pub warn_days_before_expiry: u32,
}

/// `[invoicing]`
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoicingRules {
    /// E-mail every invoice to its customer as it is issued (by hand, over
    /// the API, from the web or from a recurring template), its PDF and
    /// e-invoice attached, as `dun invoice send` does.
    #[serde(default)]
    pub send_on_issue: bool,
}

impl InvoicingRules {
    pub fn is_default(&self) -> bool {
        self == &InvoicingRules::default()
    }
}

/// `[[customer]]`: what the policy says differently for one customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerOverride {
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<Terms>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_limit: Option<PolicyAmount>,
    /// No reminders, notices, fees or interest for this customer.
    #[serde(default)]
    pub pause: bool,
    #[serde(default)]
    pub ladder_shift_days: i32,
    /// Why: kept with the version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

impl CustomerOverride {
    /// What it changes, in a sentence ("terms net60; credit limit 10000 —
    /// why"), as the customer's page and timeline show it.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(t) = &self.terms {
            parts.push(format!("terms {t}"));
        }
        if let Some(l) = &self.credit_limit {
            parts.push(format!("credit limit {l}"));
        }
        if self.pause {
            parts.push("no reminders, notices, fees or interest".to_string());
        }
        if self.ladder_shift_days != 0 {
            parts.push(format!(
                "ladder steps {} days later",
                self.ladder_shift_days
            ));
        }
        if parts.is_empty() {
            parts.push("no change".to_string());
        }
        let mut text = parts.join("; ");
        if !self.reason.is_empty() {
            text.push_str(&format!(" — {}", self.reason));
        }
        text
    }
}

/// The whole policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Terms for new customers and invoices without their own.
    pub default_terms: Terms,
    /// The late-payment law followed (`law = "de_bgb_288"`): statutory
    /// interest and the fixed compensation, in place of `[interest]` and
    /// `[late_fee]`. `none` (the default): the policy's own.
    #[serde(default, skip_serializing_if = "Law::is_none")]
    pub law: Law,
    /// What a customer not marked either way is. The presets charge
    /// businesses only, so with a law this must be `business`.
    #[serde(default, skip_serializing_if = "DebtorKind::is_business")]
    pub default_debtor: DebtorKind,
    pub credit: CreditRules,
    pub payments: PaymentRules,
    #[serde(default, rename = "reminder")]
    pub reminders: Vec<Reminder>,
    #[serde(default, rename = "step")]
    pub ladder: Vec<LadderStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_fee: Option<LateFee>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interest: Option<InterestRule>,
    pub tiers: TierRules,
    pub plans: PlanRules,
    pub collateral: CollateralRules,
    /// What happens when an invoice is issued.
    #[serde(default, skip_serializing_if = "InvoicingRules::is_default")]
    pub invoicing: InvoicingRules,
    #[serde(default, rename = "customer")]
    pub overrides: Vec<CustomerOverride>,
}

impl Policy {
    /// Reminders and overdue steps in one list, earliest first.
    pub fn steps(&self) -> Vec<Step> {
        let mut steps: Vec<Step> = self
            .reminders
            .iter()
            .map(|r| Step {
                key: r.key.clone(),
                offset_days: -(r.days_before_due as i32),
                channels: r.channels.clone(),
                template: r.template.clone(),
                effects: Vec::new(),
            })
            .chain(self.ladder.iter().map(|s| Step {
                key: s.key.clone(),
                offset_days: s.days_past_due as i32,
                channels: s.channels.clone(),
                template: s.template.clone(),
                effects: s.effects.clone(),
            }))
            .collect();
        steps.sort_by_key(|s| s.offset_days);
        steps
    }

    /// Whether the late-payment law's charges apply to a customer marked
    /// `debtor` (unmarked: the policy's default): a law is set and the
    /// customer is a business.
    pub fn law_applies_to(&self, debtor: Option<DebtorKind>) -> bool {
        !self.law.is_none() && debtor.unwrap_or(self.default_debtor) == DebtorKind::Business
    }

    /// The overdue balance below which a customer is reminded but not
    /// charged, held, re-tiered or escalated, in minor units of `currency`
    /// (0 when the policy names none for it).
    pub fn minimum_overdue_minor(&self, currency: Currency, home: Currency) -> i64 {
        self.credit
            .minimum_overdue_balance
            .as_ref()
            .and_then(|m| m.amount_in(currency, home))
            .map_or(0, |a| a.in_minor(currency))
    }

    pub fn override_for(&self, reference: &str) -> Option<&CustomerOverride> {
        self.overrides.iter().find(|o| o.reference == reference)
    }

    /// Checks what the types cannot: unique keys, sane days, a fee that is
    /// flat or percent. Each problem names the place in the document.
    pub fn check(&self) -> Result<(), Vec<PolicyProblem>> {
        let mut problems = Vec::new();
        let mut problem = |place: String, reason: String| {
            problems.push(PolicyProblem { place, reason });
        };
        let steps = self.reminders.len() + self.ladder.len();
        if steps > STEPS_MAX {
            problem(
                "reminder/step".into(),
                format!("{steps} steps; at most {STEPS_MAX} are accepted"),
            );
        }
        if !is_clock_time(&self.payments.bank_import_wait_until) {
            problem(
                "payments.bank_import_wait_until".into(),
                format!(
                    "'{}' is not a time of day; write HH:MM, e.g. \"11:00\"",
                    self.payments.bank_import_wait_until
                ),
            );
        }
        let mut keys: Vec<&str> = Vec::new();
        let key_ok = |k: &str| {
            !k.is_empty()
                && k.len() <= 64
                && k.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        for (i, r) in self.reminders.iter().enumerate() {
            let place = format!("reminder {} ('{}')", i + 1, r.key);
            if !key_ok(&r.key) {
                problem(place.clone(), "key must be 1–64 of a–z, 0–9 and _".into());
            }
            if keys.contains(&r.key.as_str()) {
                problem(place.clone(), "key is used twice".into());
            }
            keys.push(&r.key);
            if r.days_before_due > STEP_DAYS_MAX {
                problem(
                    place.clone(),
                    format!("days_before_due is over {STEP_DAYS_MAX}"),
                );
            }
            if !r.channels.iter().all(|c| c.is_customer_facing()) || r.channels.is_empty() {
                problem(
                    place.clone(),
                    "a reminder goes to the customer: channels email and/or letter".into(),
                );
            }
            if r.template.trim().is_empty() {
                problem(place, "template is empty".into());
            }
        }
        let mut last_days = None;
        for (i, s) in self.ladder.iter().enumerate() {
            let place = format!("step {} ('{}')", i + 1, s.key);
            if !key_ok(&s.key) {
                problem(place.clone(), "key must be 1–64 of a–z, 0–9 and _".into());
            }
            if keys.contains(&s.key.as_str()) {
                problem(place.clone(), "key is used twice".into());
            }
            keys.push(&s.key);
            if s.days_past_due == 0 {
                problem(place.clone(), "days_past_due must be 1 or more; a reminder on the due date is a [[reminder]] with days_before_due = 0".into());
            }
            if s.days_past_due > STEP_DAYS_MAX {
                problem(
                    place.clone(),
                    format!("days_past_due is over {STEP_DAYS_MAX}"),
                );
            }
            if let Some(last) = last_days {
                if s.days_past_due <= last {
                    problem(place.clone(), format!("days_past_due {} is not after the step before ({last}); list steps in order", s.days_past_due));
                }
            }
            last_days = Some(s.days_past_due);
            if s.channels.is_empty() {
                problem(
                    place.clone(),
                    "give at least one channel: email, letter, call_task, internal_task".into(),
                );
            }
            if s.template.trim().is_empty() {
                problem(place.clone(), "template is empty".into());
            }
            if s.effects.contains(&Effect::LateFee) && self.late_fee.is_none() {
                problem(
                    place.clone(),
                    "effect late_fee needs a [late_fee] section".into(),
                );
            }
            if s.effects.contains(&Effect::AnnounceInterest)
                && self.interest.is_none()
                && self.law.is_none()
            {
                problem(
                    place,
                    "effect announce_interest needs an [interest] section".into(),
                );
            }
        }
        let mut money = |place: &str, value: &Option<PolicyMoney>| {
            for (currency, reason) in value.iter().flat_map(PolicyMoney::problems) {
                problems.push(PolicyProblem {
                    place: format!("{place}.{currency}"),
                    reason,
                });
            }
        };
        money(
            "credit.minimum_overdue_balance",
            &self.credit.minimum_overdue_balance,
        );
        if let Some(fee) = &self.late_fee {
            money("late_fee.flat", &fee.flat);
            money("late_fee.cap", &fee.cap);
        }
        if let Some(interest) = &self.interest {
            money("interest.monthly_cap", &interest.monthly_cap);
            money("interest.minimum_charge", &interest.minimum_charge);
        }
        let mut problem = |place: String, reason: String| {
            problems.push(PolicyProblem { place, reason });
        };
        if let Some(fee) = &self.late_fee {
            match (&fee.flat, &fee.percent) {
                (Some(_), Some(_)) | (None, None) => problem(
                    "late_fee".into(),
                    "give either flat (an amount) or percent (of the overdue amount), not both"
                        .into(),
                ),
                _ => {}
            }
            if fee.per == FeeBasis::Period && fee.period_days == 0 {
                problem("late_fee.period_days".into(), "must be 1 or more".into());
            }
            if fee.percent.is_some_and(|p| p.scaled() > 100 * UNIT) {
                problem("late_fee.percent".into(), "at most 100".into());
            }
        }
        if let Some(interest) = &self.interest {
            if interest.annual_rate_percent.scaled() > 100 * UNIT {
                problem("interest.annual_rate_percent".into(), "at most 100".into());
            }
            if interest.start == InterestStart::Notice
                && !self
                    .ladder
                    .iter()
                    .any(|s| s.effects.contains(&Effect::AnnounceInterest))
            {
                problem(
                    "interest.start".into(),
                    "\"notice\" needs a step with effect announce_interest".into(),
                );
            }
        }
        if !self.law.is_none() {
            let law = self.law;
            if self.interest.is_some() {
                problem(
                    "interest".into(),
                    format!("law \"{law}\" sets the interest ({}); remove [interest], or set law = \"none\" to charge your own", law.title()),
                );
            }
            if self.late_fee.is_some() {
                problem(
                    "late_fee".into(),
                    format!("law \"{law}\" charges its fixed compensation once per invoice; a late fee on top may charge more than the law allows: remove [late_fee] (and the late_fee effects), or set law = \"none\""),
                );
            }
            if let Some(order) = law.allocation() {
                if self.payments.allocation != order {
                    problem(
                        "payments.allocation".into(),
                        format!("law \"{law}\" settles a partial payment costs first, then interest, then principal: set allocation = \"fees_interest_principal\""),
                    );
                }
            }
            if self.default_debtor == DebtorKind::Consumer {
                problem(
                    "default_debtor".into(),
                    format!("law \"{law}\" is for debts between businesses; with a law, customers not marked are businesses: set default_debtor = \"business\" and mark consumers one by one"),
                );
            }
        }
        for tier in Tier::ALL {
            let rule = self.tiers.rule(tier);
            if let Some(step) = &rule.step_reached {
                if !self.ladder.iter().any(|s| &s.key == step) {
                    problem(
                        format!("tiers.{tier}.step_reached"),
                        format!("no step has key '{step}'"),
                    );
                }
            }
            if rule.on_time_percent_below.is_some_and(|p| p > 100) {
                problem(
                    format!("tiers.{tier}.on_time_percent_below"),
                    "at most 100".into(),
                );
            }
            if rule.ladder_shift_days.unsigned_abs() > STEP_DAYS_MAX {
                problem(
                    format!("tiers.{tier}.ladder_shift_days"),
                    format!("at most {STEP_DAYS_MAX} either way"),
                );
            }
        }
        if self.overrides.len() > OVERRIDES_MAX {
            problem(
                "customer".into(),
                format!("at most {OVERRIDES_MAX} overrides"),
            );
        }
        let mut refs: Vec<&str> = Vec::new();
        for (i, o) in self.overrides.iter().enumerate() {
            if refs.contains(&o.reference.as_str()) {
                problem(
                    format!("customer {} ('{}')", i + 1, o.reference),
                    "this customer has an override already".into(),
                );
            }
            refs.push(&o.reference);
            if o.ladder_shift_days.unsigned_abs() > STEP_DAYS_MAX {
                problem(
                    format!("customer {} ('{}')", i + 1, o.reference),
                    format!("ladder_shift_days: at most {STEP_DAYS_MAX} either way"),
                );
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// One thing wrong with a policy: where, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyProblem {
    pub place: String,
    pub reason: String,
}

impl fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::Tier;

    #[test]
    fn a_tiers_rule_is_named_after_the_tier() {
        for tier in Tier::ALL {
            assert_eq!(tier.rule_name(), format!("tiers.{tier}"));
        }
    }
}
