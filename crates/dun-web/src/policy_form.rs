//! The policy's common settings as a form (`/policy/settings`): the
//! collections ladder's steps (key, days past due, channels, template),
//! the late fee, interest, credit holds and the risk tiers' thresholds.
//!
//! The form changes only those fields of the policy in force; everything
//! else (reminders, effects, payments, plans, overrides, …) is kept. The
//! new policy is written into the document in force by
//! [`document::rewrite`] (notes kept, only changed values rewritten), read
//! back and checked by [`document::parse`] as the TOML editor's text is,
//! and stored by `Store::apply_policy` as a new version. A refusal names
//! the field as the form labels it; nothing is written and the form comes
//! back with what was typed.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use dun_core::collections::document::{self, DocumentError};
use dun_core::collections::policy::{
    Channel, DayCount, FeeBasis, InterestRule, InterestStart, LadderStep, LateFee, Policy,
    PolicyAmount, PolicyMoney, Tier, TierRule, SCALE,
};
use dun_core::money::format_minor;
use dun_core::Currency;
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_store::StoreError;
use maud::{html, Markup};

use crate::layout::{page, Ctx};
use crate::policy::{owner_only, with_reason, without_reason};
use crate::{error_page, html as html_page, read_page, see_other};

/// Blank step rows the form offers below the ladder's steps.
const BLANK_STEP_ROWS: usize = 1;
/// Blank currency rows below a late fee amount's currencies.
const BLANK_MONEY_ROWS: usize = 1;
/// Most rows (steps, or currencies of one amount) a submitted form may name.
const FORM_ROWS_MAX: usize = 64;

const CHANNELS: [(Channel, &str); 4] = [
    (Channel::Email, "E-mail"),
    (Channel::Letter, "Letter"),
    (Channel::CallTask, "Call (a task)"),
    (Channel::InternalTask, "Task for us"),
];

/// The tier thresholds the form offers: (field, label).
const TIER_FIELDS: [(&str, &str); 4] = [
    ("avg", "Average days late at least"),
    ("ontime", "On-time payments below (%)"),
    ("promises", "Broken promises at least"),
    ("disputes", "Disputes at least"),
];

pub fn routes() -> Router<AppState> {
    Router::new().route("/policy/settings", get(show).post(submit))
}

/// The form's values as typed: each field's name and its values (a
/// checkbox group has several).
#[derive(Clone, Debug, Default)]
struct Typed(BTreeMap<String, Vec<String>>, BTreeSet<String>);

impl Typed {
    fn from_pairs(pairs: Vec<(String, String)>) -> Typed {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            map.entry(k).or_default().push(v);
        }
        Typed(map, BTreeSet::new())
    }

    fn get(&self, name: &str) -> &str {
        self.0
            .get(name)
            .and_then(|v| v.first())
            .map_or("", |s| s.as_str())
    }

    /// Whether a refusal names this field (its input is marked invalid).
    fn invalid(&self, name: &str) -> bool {
        self.1.contains(name)
    }

    fn has(&self, name: &str, value: &str) -> bool {
        self.0
            .get(name)
            .is_some_and(|v| v.iter().any(|x| x == value))
    }

    fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.entry(name.into()).or_default().push(value.into());
    }

    /// How many numbered rows `prefix-N-…` the form fills (the highest N
    /// with a value that is not empty).
    fn rows(&self, prefix: &str) -> usize {
        self.0
            .iter()
            .filter(|(_, v)| v.iter().any(|v| !v.trim().is_empty()))
            .filter_map(|(k, _)| k.strip_prefix(prefix)?.split('-').next()?.parse().ok())
            .max()
            .unwrap_or(0)
            .min(FORM_ROWS_MAX)
    }
}

/// An amount as its currency writes money (`40.00`, `3500`), or with its
/// six places when it is finer than that.
fn amount_text(a: PolicyAmount, c: Currency) -> String {
    let unit = 10i128.pow(u32::from(SCALE - c.exponent().min(SCALE)));
    if a.scaled() % unit == 0 {
        format_minor(a.in_minor(c), c)
    } else {
        a.to_string()
    }
}

fn opt(n: Option<u32>) -> String {
    n.map_or(String::new(), |n| n.to_string())
}

/// The policy's common settings as the form's values.
fn typed_from(policy: &Policy, home: Currency) -> Typed {
    let mut t = Typed::default();
    for (i, s) in policy.ladder.iter().enumerate() {
        let n = i + 1;
        t.set(format!("step-{n}-was"), s.key.clone());
        t.set(format!("step-{n}-key"), s.key.clone());
        t.set(format!("step-{n}-days"), s.days_past_due.to_string());
        for c in &s.channels {
            t.set(format!("step-{n}-channel"), c.as_str());
        }
        t.set(format!("step-{n}-template"), s.template.clone());
    }
    let money = |t: &mut Typed, field: &str, m: &Option<PolicyMoney>| {
        let rows: Vec<(Currency, PolicyAmount)> = match m {
            None => Vec::new(),
            Some(PolicyMoney::Home(a)) => vec![(home, *a)],
            Some(PolicyMoney::PerCurrency(map)) => map.iter().map(|(c, a)| (*c, *a)).collect(),
        };
        for (i, (c, a)) in rows.into_iter().enumerate() {
            t.set(format!("{field}-{}-currency", i + 1), c.to_string());
            t.set(format!("{field}-{}-amount", i + 1), amount_text(a, c));
        }
    };
    if let Some(fee) = &policy.late_fee {
        money(&mut t, "fee-flat", &fee.flat);
        money(&mut t, "fee-cap", &fee.cap);
        if let Some(p) = fee.percent {
            t.set("fee-percent", p.to_string());
        }
    }
    if let Some(i) = &policy.interest {
        t.set("interest-rate", i.annual_rate_percent.to_string());
        t.set("interest-grace", i.grace_days.to_string());
    }
    t.set("cod-days", opt(policy.credit.cod_when_days_past_due));
    if policy.credit.lift_when_nothing_overdue {
        t.set("cod-lift", "yes");
    }
    if let Some(limit) = policy.credit.default_limit {
        t.set("credit-limit", amount_text(limit, home));
    }
    for tier in Tier::ALL {
        let rule = policy.tiers.rule(tier);
        t.set(format!("tier-{tier}-avg"), opt(rule.avg_days_late_at_least));
        t.set(
            format!("tier-{tier}-ontime"),
            opt(rule.on_time_percent_below),
        );
        t.set(
            format!("tier-{tier}-promises"),
            opt(rule.broken_promises_at_least),
        );
        t.set(format!("tier-{tier}-disputes"), opt(rule.disputes_at_least));
        if rule.cod {
            t.set(format!("tier-{tier}-cod"), "yes");
        }
    }
    t
}

/// One refusal: the field as the form labels it, the anchor of its part
/// of the form, and why.
struct Refusal {
    field: String,
    anchor: String,
    reason: String,
}

fn refusal(
    field: impl Into<String>,
    anchor: impl Into<String>,
    reason: impl Into<String>,
) -> Refusal {
    Refusal {
        field: field.into(),
        anchor: anchor.into(),
        reason: reason.into(),
    }
}

fn whole(text: &str) -> Result<Option<u32>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u32>()
        .map(Some)
        .map_err(|_| format!("'{text}' is not a whole number (0 or more)"))
}

/// An amount in `currency`: a decimal with no more places than it has.
fn money_amount(text: &str, currency: Currency) -> Result<PolicyAmount, String> {
    let a = PolicyAmount::parse(text.trim())?;
    let unit = 10i128.pow(u32::from(SCALE - currency.exponent().min(SCALE)));
    if a.scaled() % unit != 0 {
        return Err(format!(
            "'{}' has more decimal places than {currency} has ({})",
            text.trim(),
            currency.exponent()
        ));
    }
    Ok(a)
}

/// What the form builds: the policy, and for each of its ladder steps
/// the form's row number (for naming problems as the form shows them).
struct Built {
    policy: Policy,
    step_rows: Vec<usize>,
}

/// The policy in force with the form's fields put in; every field that
/// cannot be read, named.
fn build(current: &Policy, t: &Typed, home: Currency) -> Result<Built, Vec<Refusal>> {
    let mut policy = current.clone();
    let mut out = Vec::new();
    // The ladder.
    let mut ladder = Vec::new();
    let mut step_rows = Vec::new();
    for n in 1..=t.rows("step-") {
        let f = |name: &str| t.get(&format!("step-{n}-{name}")).trim().to_string();
        let (key, days, template) = (f("key"), f("days"), f("template"));
        let ticked = |c: &Channel| t.has(&format!("step-{n}-channel"), c.as_str());
        let was = f("was");
        let old = current
            .ladder
            .iter()
            .find(|s| !was.is_empty() && s.key == was);
        // The step's own channels in its own order, then any new ones.
        let mut channels: Vec<Channel> = old
            .map(|s| s.channels.iter().copied().filter(ticked).collect())
            .unwrap_or_default();
        for (c, _) in CHANNELS {
            if ticked(&c) && !channels.contains(&c) {
                channels.push(c);
            }
        }
        if t.has(&format!("step-{n}-remove"), "yes")
            || (key.is_empty() && days.is_empty() && template.is_empty())
        {
            continue;
        }
        let field = |what: &str| format!("Step {n}, {what}");
        let anchor = format!("step-{n}-days");
        let days_past_due = match whole(&days) {
            Ok(Some(d)) => d,
            Ok(None) => {
                out.push(refusal(
                    field("days past due"),
                    &anchor,
                    "give the days past due",
                ));
                continue;
            }
            Err(reason) => {
                out.push(refusal(field("days past due"), &anchor, reason));
                continue;
            }
        };
        // Effects are not on the form: a step keeps its own.
        let effects = old.map(|s| s.effects.clone()).unwrap_or_default();
        ladder.push(LadderStep {
            key,
            days_past_due,
            channels,
            template,
            effects,
        });
        step_rows.push(n);
    }
    policy.ladder = ladder;

    // Amounts per currency.
    let money = |field: &str, label: &str, old: Option<&PolicyMoney>, out: &mut Vec<Refusal>| {
        let mut map = BTreeMap::new();
        for n in 1..=t.rows(&format!("{field}-")) {
            let code = t
                .get(&format!("{field}-{n}-currency"))
                .trim()
                .to_uppercase();
            let amount = t.get(&format!("{field}-{n}-amount")).trim().to_string();
            if code.is_empty() && amount.is_empty() {
                continue;
            }
            let name = format!("{label}, row {n}");
            let currency = match Currency::parse(&code) {
                Ok(c) => c,
                Err(_) if code.is_empty() => {
                    out.push(refusal(
                        format!("{name}, currency"),
                        format!("{field}-{n}-currency"),
                        "give the currency (e.g. USD)",
                    ));
                    continue;
                }
                Err(e) => {
                    out.push(refusal(
                        format!("{name}, currency"),
                        format!("{field}-{n}-currency"),
                        e.to_string(),
                    ));
                    continue;
                }
            };
            if amount.is_empty() {
                out.push(refusal(
                    format!("{name}, amount"),
                    format!("{field}-{n}-amount"),
                    "give the amount",
                ));
                continue;
            }
            match money_amount(&amount, currency) {
                Ok(a) => {
                    if map.insert(currency, a).is_some() {
                        out.push(refusal(
                            format!("{name}, currency"),
                            format!("{field}-{n}-currency"),
                            format!("{currency} is given twice"),
                        ));
                    }
                }
                Err(reason) => out.push(refusal(
                    format!("{name}, amount"),
                    format!("{field}-{n}-amount"),
                    reason,
                )),
            }
        }
        if map.is_empty() {
            return None;
        }
        // An amount in the organisation's currency alone stays one amount.
        match (old, map.len(), map.get(&home)) {
            (Some(PolicyMoney::Home(_)) | None, 1, Some(a)) => Some(PolicyMoney::Home(*a)),
            _ => Some(PolicyMoney::PerCurrency(map)),
        }
    };

    // The late fee.
    let old_fee = current.late_fee.as_ref();
    let flat = money(
        "fee-flat",
        "Late fee",
        old_fee.and_then(|f| f.flat.as_ref()),
        &mut out,
    );
    let cap = money(
        "fee-cap",
        "Late fee cap",
        old_fee.and_then(|f| f.cap.as_ref()),
        &mut out,
    );
    let percent_text = t.get("fee-percent").trim();
    let percent = if percent_text.is_empty() {
        None
    } else {
        match PolicyAmount::parse(percent_text) {
            Ok(p) => Some(p),
            Err(reason) => {
                out.push(refusal(
                    "Late fee, percent of the overdue amount",
                    "fee-percent",
                    reason,
                ));
                None
            }
        }
    };
    policy.late_fee = if flat.is_none() && cap.is_none() && percent_text.is_empty() {
        None
    } else {
        Some(LateFee {
            flat,
            percent,
            cap,
            per: old_fee.map_or(FeeBasis::Invoice, |f| f.per),
            period_days: old_fee.map_or(30, |f| f.period_days),
        })
    };

    // Interest.
    let rate_text = t.get("interest-rate").trim();
    let grace = whole(t.get("interest-grace")).unwrap_or_else(|reason| {
        out.push(refusal("Interest, grace days", "interest-grace", reason));
        None
    });
    policy.interest = if rate_text.is_empty() {
        if grace.is_some() {
            out.push(refusal(
                "Interest, annual rate",
                "interest-rate",
                "give the rate, or clear the grace days to charge no interest",
            ));
        }
        None
    } else {
        match PolicyAmount::parse(rate_text) {
            Ok(rate) => {
                let mut rule = current.interest.clone().unwrap_or(InterestRule {
                    annual_rate_percent: rate,
                    start: InterestStart::Grace,
                    grace_days: 0,
                    monthly_cap: None,
                    minimum_charge: None,
                    compound: false,
                    day_count: DayCount::Act365,
                });
                rule.annual_rate_percent = rate;
                rule.grace_days = grace.unwrap_or(0);
                Some(rule)
            }
            Err(reason) => {
                out.push(refusal("Interest, annual rate", "interest-rate", reason));
                current.interest.clone()
            }
        }
    };

    // Credit holds.
    match whole(t.get("cod-days")) {
        Ok(days) => policy.credit.cod_when_days_past_due = days,
        Err(reason) => out.push(refusal("Credit hold, days past due", "cod-days", reason)),
    }
    policy.credit.lift_when_nothing_overdue = t.has("cod-lift", "yes");
    let limit = t.get("credit-limit").trim();
    policy.credit.default_limit = if limit.is_empty() {
        None
    } else {
        match money_amount(limit, home) {
            Ok(a) => Some(a),
            Err(reason) => {
                out.push(refusal(
                    format!("Default credit limit ({home})"),
                    "credit-limit",
                    reason,
                ));
                None
            }
        }
    };

    // Risk tiers.
    for tier in Tier::ALL {
        let rule: &mut TierRule = match tier {
            Tier::New => &mut policy.tiers.new,
            Tier::Low => &mut policy.tiers.low,
            Tier::Medium => &mut policy.tiers.medium,
            Tier::High => &mut policy.tiers.high,
            Tier::Critical => &mut policy.tiers.critical,
        };
        for (field, label) in TIER_FIELDS {
            let value = match whole(t.get(&format!("tier-{tier}-{field}"))) {
                Ok(v) => v,
                Err(reason) => {
                    out.push(refusal(
                        format!("Tier {tier}, {}", label.to_lowercase()),
                        format!("tier-{tier}-{field}"),
                        reason,
                    ));
                    continue;
                }
            };
            match field {
                "avg" => rule.avg_days_late_at_least = value,
                "ontime" => rule.on_time_percent_below = value,
                "promises" => rule.broken_promises_at_least = value,
                _ => rule.disputes_at_least = value,
            }
        }
        rule.cod = t.has(&format!("tier-{tier}-cod"), "yes");
    }
    if out.is_empty() {
        Ok(Built { policy, step_rows })
    } else {
        Err(out)
    }
}

/// The policy's field names as the form labels them.
const LABELS: [(&str, &str); 16] = [
    ("days_past_due", "days past due"),
    ("call_task", "call"),
    ("internal_task", "task for us"),
    ("late_fee.flat", "Late fee"),
    ("late_fee.cap", "Late fee cap"),
    ("late_fee.percent", "Late fee, percent"),
    ("late_fee", "Late fee"),
    ("interest.annual_rate_percent", "Interest, annual rate"),
    ("interest.start", "Interest, start"),
    ("interest", "Interest"),
    ("avg_days_late_at_least", "average days late at least"),
    ("on_time_percent_below", "on-time payments below"),
    ("broken_promises_at_least", "broken promises at least"),
    ("disputes_at_least", "disputes at least"),
    ("step_reached", "step reached"),
    ("[interest] section", "interest rate"),
];

fn labelled(text: &str) -> String {
    let mut out = text.to_string();
    for (from, to) in LABELS {
        out = out.replace(from, to);
    }
    out
}

/// A problem of the domain's check, named as the form shows the field.
fn named(problem: &DocumentError, step_rows: &[usize]) -> Refusal {
    let place = problem.place.as_str();
    if let Some(rest) = place.strip_prefix("step ") {
        let index: usize = rest
            .split(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let row = step_rows
            .get(index.wrapping_sub(1))
            .copied()
            .unwrap_or(index);
        // The step's field the reason speaks of, named as the form does.
        let fields = [
            ("days_past_due", "days", "days past due"),
            ("key", "key", "key"),
            ("channel", "channel-email", "channels"),
            ("template", "template", "template"),
        ];
        let reason = problem.reason.as_str();
        let Some((word, id, label)) = fields.into_iter().find(|(w, _, _)| reason.contains(w))
        else {
            return refusal(
                format!("Step {row}"),
                format!("step-{row}"),
                labelled(reason),
            );
        };
        let reason = reason
            .strip_prefix(word)
            .map_or(reason, |r| r.trim_start_matches(['s', ':']).trim_start());
        return refusal(
            format!("Step {row}, {label}"),
            format!("step-{row}-{id}"),
            labelled(reason),
        );
    }
    if let Some(rest) = place.strip_prefix("tiers.") {
        let tier = rest.split('.').next().unwrap_or(rest);
        let field = rest.split_once('.').map_or("", |(_, f)| f);
        return refusal(
            format!("Tier {tier}, {}", labelled(field)),
            format!("tier-{tier}"),
            labelled(&problem.reason),
        );
    }
    let anchor = if place.starts_with("late_fee") {
        "fee"
    } else if place.starts_with("interest") {
        "interest"
    } else if place.starts_with("credit") {
        "credit"
    } else {
        "settings"
    };
    refusal(labelled(place), anchor, labelled(&problem.reason))
}

fn text_field(t: &Typed, name: &str, label: &str, hint: Option<&str>, mode: &str) -> Markup {
    html! {
        label for=(name) { (label) @if let Some(h) = hint { " " span.hint { (h) } } }
        input #(name) type="text" name=(name) value=(t.get(name)) inputmode=(mode) autocomplete="off" aria-invalid=[t.invalid(name).then_some("true")];
    }
}

fn check_field(t: &Typed, name: &str, label: &str) -> Markup {
    html! {
        div.check {
            input #(name) type="checkbox" name=(name) value="yes" checked[t.has(name, "yes")];
            label for=(name) { (label) }
        }
    }
}

/// Rows of currency and amount for one amount of the policy.
fn money_rows(t: &Typed, field: &str, legend: &str) -> Markup {
    let rows = t.rows(&format!("{field}-")) + BLANK_MONEY_ROWS;
    html! {
        fieldset #(field) {
            legend { (legend) }
            p.hint { "One amount per currency; an invoice in a currency with none is not charged. Leave all empty for none." }
            @for n in 1..=rows {
                div.money-row {
                    @let c = format!("{field}-{n}-currency");
                    @let a = format!("{field}-{n}-amount");
                    label for=(c) { "Currency " span.visually-hidden { "(row " (n) ")" } }
                    input #(c) type="text" name=(c) value=(t.get(&c)) maxlength="3" size="4" autocomplete="off" aria-invalid=[t.invalid(&c).then_some("true")];
                    label for=(a) { "Amount " span.visually-hidden { "(row " (n) ")" } }
                    input #(a) type="text" name=(a) value=(t.get(&a)) inputmode="decimal" autocomplete="off" aria-invalid=[t.invalid(&a).then_some("true")];
                }
            }
        }
    }
}

fn form_page(
    ctx: &Ctx,
    version: i64,
    policy: &Policy,
    t: &Typed,
    reason: &str,
    refusals: &[Refusal],
    extra_rows: usize,
) -> Markup {
    let mut marked = t.clone();
    marked.1 = refusals.iter().map(|r| r.anchor.clone()).collect();
    let t = &marked;
    let steps = t.rows("step-") + BLANK_STEP_ROWS + extra_rows;
    let body = html! {
        p.crumbs { a href="/policy" { "Policy" } " / settings" }
        h1 { "Common policy settings" }
        p.muted { "Version " (version) " is in force. Saving makes a new version with only these settings changed; everything else in the policy is kept. "
            a href="/policy/edit" { "Edit the whole policy as TOML" } "." }
        @if !refusals.is_empty() {
            div.notice.bad role="alert" #settings-problems {
                p { "The settings were refused (" (refusals.len()) " problem" @if refusals.len() != 1 { "s" } "); nothing was written." }
                ul.problems {
                    @for r in refusals {
                        li { a href=(format!("#{}", r.anchor)) { strong { (r.field) } } ": " (r.reason) }
                    }
                }
            }
        }
        @if !policy.law.is_none() {
            p.notice { "This policy follows the law " strong { (policy.law.title()) } ": it sets interest and the fixed compensation, so the late fee and interest here stay empty." }
        }
        form.stack.policy-settings #settings method="post" action="/policy/settings" {
            (ctx.csrf_field())
            h2 #steps-heading { "Collections ladder" }
            p.hint { "Steps after the due date, earliest first. Reminders before it, and what each step does besides its message (fees, holds, proposals), are kept as they are; change them in the TOML editor." }
            @for n in 1..=steps {
                @let p = |name: &str| format!("step-{n}-{name}");
                fieldset.step #(format!("step-{n}")) {
                    legend { "Step " (n) @if !t.get(&p("was")).is_empty() { " (" (t.get(&p("was"))) ")" } @else if n > t.rows("step-") { " (new)" } }
                    @if !t.get(&p("was")).is_empty() { input type="hidden" name=(p("was")) value=(t.get(&p("was"))); }
                    (text_field(t, &p("key"), "Key", Some("(a–z, 0–9, _)"), "text"))
                    (text_field(t, &p("days"), "Days past due", None, "numeric"))
                    fieldset.channels {
                        legend { "Channels" }
                        @for (c, label) in CHANNELS {
                            @let id = format!("step-{n}-channel-{}", c.as_str());
                            div.check {
                                input #(id) type="checkbox" name=(p("channel")) value=(c.as_str()) checked[t.has(&p("channel"), c.as_str())];
                                label for=(id) { (label) }
                            }
                        }
                    }
                    (text_field(t, &p("template"), "Template", None, "text"))
                    @if n <= t.rows("step-") {
                        (check_field(t, &p("remove"), "Remove this step"))
                    }
                }
            }
            div.buttons { button #add-step type="submit" name="action" value="add" { "Add a step row" } }

            h2 #fee-heading { "Late fee" }
            div #fee {
                (money_rows(t, "fee-flat", "Flat fee"))
                (text_field(t, "fee-percent", "Or a percent of the overdue amount", Some("(not both)"), "decimal"))
                (money_rows(t, "fee-cap", "Most fees one invoice may carry"))
            }

            h2 #interest { "Interest" }
            (text_field(t, "interest-rate", "Annual rate (%)", Some("(empty: no interest)"), "decimal"))
            (text_field(t, "interest-grace", "Grace days after the due date", None, "numeric"))

            h2 #credit { "Credit holds" }
            (text_field(t, "cod-days", "Cash on delivery once an invoice is this many days past due", Some("(empty: never for lateness alone)"), "numeric"))
            (check_field(t, "cod-lift", "Lift the hold by itself once nothing is overdue"))
            (text_field(t, "credit-limit", &format!("Default credit limit ({})", ctx.currency), Some("(empty: none)"), "decimal"))

            h2 #tiers { "Risk tiers" }
            p.hint { "A customer is placed in a tier when any of its conditions holds; empty conditions are not used." }
            @for tier in Tier::ALL {
                fieldset #(format!("tier-{tier}")) {
                    legend { "Tier " (tier) }
                    @for (field, label) in TIER_FIELDS {
                        (text_field(t, &format!("tier-{tier}-{field}"), label, None, "numeric"))
                    }
                    (check_field(t, &format!("tier-{tier}-cod"), "Customers in this tier pay cash on delivery"))
                }
            }

            label for="settings-reason" { "Reason for the change " span.hint { "(kept with the version)" } }
            input #settings-reason type="text" name="reason" value=(reason) maxlength="300";
            div.buttons {
                button.primary #save type="submit" name="action" value="save" { "Save as a new version" }
            }
        }
    };
    page(ctx, "Policy", "Common policy settings", body)
}

pub async fn show(State(state): State<AppState>, caller: Result<Caller, ApiError>) -> Response {
    read_page(&state, caller, move |store, p, ctx| {
        owner_only(p)?;
        let v = store.policy(p.org_id)?;
        let typed = typed_from(&v.policy, ctx.currency);
        Ok((
            StatusCode::OK,
            form_page(ctx, v.version, &v.policy, &typed, "", &[], 0),
        ))
    })
    .await
}

enum Answer {
    To(String),
    Page(StatusCode, Markup),
}

pub async fn submit(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let Ok(caller) = caller else {
        return see_other("/sign-in");
    };
    let typed = Typed::from_pairs(pairs);
    let csrf = typed.0.get("csrf_token").and_then(|v| v.first()).cloned();
    let caller = caller.with_form_csrf(csrf);
    let answer = state
        .as_caller(caller, Need::Own, move |store, p| {
            owner_only(p)?;
            let ctx = Ctx::load(p)?;
            let current = store.policy(p.org_id)?;
            let reason = typed.get("reason").to_string();
            let again = |status, refusals: &[Refusal], extra| {
                Answer::Page(
                    status,
                    form_page(
                        &ctx,
                        current.version,
                        &current.policy,
                        &typed,
                        &reason,
                        refusals,
                        extra,
                    ),
                )
            };
            if typed.get("action") == "add" {
                return Ok(again(StatusCode::OK, &[], 1));
            }
            let built = match build(&current.policy, &typed, ctx.currency) {
                Ok(built) => built,
                Err(refusals) => return Ok(again(StatusCode::UNPROCESSABLE_ENTITY, &refusals, 0)),
            };
            let text = document::rewrite(&without_reason(&current.document), &built.policy);
            if let Err(problems) = document::parse(&text) {
                let refusals: Vec<Refusal> = problems
                    .iter()
                    .map(|e| named(e, &built.step_rows))
                    .collect();
                return Ok(again(StatusCode::UNPROCESSABLE_ENTITY, &refusals, 0));
            }
            if built.policy == current.policy {
                return Ok(again(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &[refusal(
                        "Settings",
                        "settings",
                        "nothing was changed, so no new version was made",
                    )],
                    0,
                ));
            }
            match store.apply_policy(p.org_id, &with_reason(&text, &reason), &p.author(), None) {
                Ok(v) => Ok(Answer::To(format!("/policy?applied={}", v.version))),
                Err(StoreError::PolicyDocument(problems)) => {
                    let refusals: Vec<Refusal> = problems
                        .iter()
                        .map(|e| named(e, &built.step_rows))
                        .collect();
                    Ok(again(StatusCode::UNPROCESSABLE_ENTITY, &refusals, 0))
                }
                Err(StoreError::Invalid(message)) => Ok(again(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &[refusal("Policy", "settings", message)],
                    0,
                )),
                Err(e) => Err(e.into()),
            }
        })
        .await;
    match answer {
        Ok(Answer::To(to)) => see_other(&to),
        Ok(Answer::Page(status, markup)) => html_page(status, markup),
        Err(e) => error_page(e),
    }
}
