//! The policy editor: the policy in force as a document, the form that
//! edits it with validation, the version history, and a preview of what
//! the change would do to today's run.
//!
//! The reason an owner gives for a version is kept in the version's own
//! document, as a last note line (`# Reason for this version: …`): notes
//! are kept as written and change nothing the policy says, and a line at
//! the end moves no other line's number. The editor strips it again.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use dun_core::collections::action::{Action, ActionKind};
use dun_core::collections::document::{self, DocumentError};
use dun_core::collections::law::Law;
use dun_core::collections::law_example::{LawExample, EXAMPLE_MONTHS_BACK_MAX};
use dun_core::collections::policy::{
    Channel, FeeBasis, InterestStart, Policy, PolicyAmount, PolicyMoney, Tier, TierRule,
};
use dun_core::collections::run;
use dun_core::Currency;
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_store::accounts::{Principal, Role};
use dun_store::StoreError;
use maud::{html, Markup};
use serde::Deserialize;

use crate::layout::{encode, money, page, words, Ctx};
use crate::{error_page, html as html_page, read_page, see_other};

/// The note line that carries a version's reason.
const REASON_PREFIX: &str = "# Reason for this version: ";
/// Lines of the run preview's differences shown, each way.
const DIFF_ROWS: usize = 25;
/// Versions the history shows (newest first).
const HISTORY_ROWS: usize = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/policy", get(show))
        .route("/policy/edit", get(edit).post(edit_submit))
        .route("/policy/versions", get(versions))
        .route("/policy/versions/{version}", get(version))
}

/// The reason kept in a version's document, if any.
fn reason_of(document: &str) -> Option<String> {
    document
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(REASON_PREFIX))
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
}

/// The document without its trailing reason notes, for the editor.
pub(crate) fn without_reason(document: &str) -> String {
    let mut lines: Vec<&str> = document.lines().collect();
    while lines
        .last()
        .is_some_and(|l| l.starts_with(REASON_PREFIX) || l.trim().is_empty())
    {
        lines.pop();
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// The document to store: the text with the reason as its last note.
pub(crate) fn with_reason(text: &str, reason: &str) -> String {
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if reason.is_empty() {
        return text.to_string();
    }
    let mut out = text.trim_end().to_string();
    out.push_str("\n\n");
    out.push_str(REASON_PREFIX);
    out.push_str(&reason);
    out.push('\n');
    out
}

fn channels(list: &[Channel]) -> String {
    let names: Vec<&str> = list
        .iter()
        .map(|c| match c {
            Channel::Email => "an email",
            Channel::Letter => "a letter",
            Channel::CallTask => "a call task",
            Channel::InternalTask => "an internal task",
        })
        .collect();
    join_and(&names)
}

fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn days(n: u32) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

fn amount(a: &PolicyAmount) -> String {
    a.to_string()
}

fn tier_conditions(rule: &TierRule) -> String {
    let mut parts = Vec::new();
    if let Some(n) = rule.avg_days_late_at_least {
        parts.push(format!("on average {} late or more", days(n)));
    }
    if let Some(n) = rule.on_time_percent_below {
        parts.push(format!("fewer than {n} % of invoices paid on time"));
    }
    if let Some(n) = rule.broken_promises_at_least {
        parts.push(format!("{n} or more broken promises"));
    }
    if let Some(n) = rule.disputes_at_least {
        parts.push(format!("{n} or more disputes"));
    }
    if let Some(step) = &rule.step_reached {
        parts.push(format!("an invoice reached the step {}", words(step)));
    }
    if let Some(n) = rule.tenure_days_below {
        parts.push(format!("a customer for less than {}", days(n)));
    }
    if parts.is_empty() {
        "—".into()
    } else {
        parts.join("; or ")
    }
}

/// The policy as a document people read: headings and sentences.
fn policy_document(policy: &Policy, currency: Currency) -> Markup {
    let cash = |a: &PolicyAmount| money(a.in_minor(currency), currency);
    // Per-currency amounts, each in its currency; a plain one in ours.
    let cash_in = |m: &PolicyMoney| match m {
        PolicyMoney::Home(a) => cash(a),
        PolicyMoney::PerCurrency(map) => map
            .iter()
            .map(|(c, a)| money(a.in_minor(*c), *c))
            .collect::<Vec<_>>()
            .join(" / "),
    };
    let tiers = [
        Tier::New,
        Tier::Low,
        Tier::Medium,
        Tier::High,
        Tier::Critical,
    ];
    html! {
        section.policy aria-labelledby="p-terms" {
            h2 #p-terms { "Terms and payments" }
            p { "New customers, and invoices that say nothing else, get the terms " strong.terms { (policy.default_terms.to_string()) } "." }
            @if policy.payments.accepted_methods.is_empty() {
                p { "No accepted payment methods are named." }
            } @else {
                p { "Accepted payment methods: "
                    (join_and(&policy.payments.accepted_methods.iter().map(|m| words(m)).collect::<Vec<_>>().iter().map(String::as_str).collect::<Vec<_>>())) "." }
            }
            p { "Within one invoice a payment settles "
                (match policy.payments.allocation {
                    dun_core::collections::policy::AllocationOrder::PrincipalFirst => "the invoice first, then fees, then interest",
                    dun_core::collections::policy::AllocationOrder::FeesInterestPrincipal => "fees first, then interest, then the invoice",
                }) "." }

            h2 #p-credit { "Credit limits and holds" }
            @if let Some(min) = &policy.credit.minimum_overdue_balance {
                p { "An overdue balance under " (cash_in(min)) " is reminded but not charged, held or escalated." }
            }
            @match &policy.credit.default_limit {
                Some(limit) => p { "Customers without a limit of their own have a credit limit of " strong { (cash(limit)) } "." },
                None => p { "There is no default credit limit: only customers' own limits apply." },
            }
            p { "An invoice that would take a customer over their credit limit is refused unless a person overrides it with a reason." }
            @match policy.credit.cod_when_days_past_due {
                Some(n) => p { "A customer with any invoice " strong { (days(n)) } " or more past due becomes " strong { "COD required" } " (pays up front for new work)"
                    @if policy.credit.lift_when_nothing_overdue { "; the hold lifts by itself once nothing of theirs is overdue." } @else { "; a person lifts it." } },
                None => p { "No customer is put on COD for lateness alone." },
            }

            h2 #p-reminders { "Reminders before the due date" }
            @if policy.reminders.is_empty() {
                p { "No reminders are sent before invoices fall due." }
            } @else {
                ul {
                    @for r in &policy.reminders {
                        li data-reminder=(r.key) {
                            @if r.days_before_due == 0 { "On the due date" } @else { (days(r.days_before_due)) " before the due date" }
                            ": " strong { (words(&r.key)) } ", by " (channels(&r.channels)) " (template " code { (r.template) } ")."
                        }
                    }
                }
            }

            h2 #p-ladder { "The collections ladder" }
            @if policy.ladder.is_empty() {
                p { "There are no steps after the due date." }
            } @else {
                p { "Each step happens once per invoice, counted in days past the due date." }
                div.scroll tabindex="0" { table.data {
                    thead { tr {
                        th.num scope="col" { "Days past due" } th scope="col" { "Step" }
                        th scope="col" { "How" } th scope="col" { "Template" } th scope="col" { "Also" }
                    } }
                    tbody {
                        @for s in &policy.ladder {
                            tr data-step=(s.key) {
                                td.num { (s.days_past_due) }
                                th scope="row" { (words(&s.key)) }
                                td { (channels(&s.channels)) }
                                td.code { (s.template) }
                                td { @if s.effects.is_empty() { span.muted { "—" } } @else {
                                    (s.effects.iter().map(|e| words(e.as_str())).collect::<Vec<_>>().join(", "))
                                } }
                            }
                        }
                    }
                } }
                p.muted { "Proposals (agency, legal, write-off) are never carried out without a person's approval." }
            }

            h2 #p-fee { "Late fee" }
            @match &policy.late_fee {
                None => p { "No late fee is charged." },
                Some(fee) => p {
                    "A step with the late fee charges "
                    @if let Some(flat) = &fee.flat { strong { (cash_in(flat)) } }
                    @if let Some(pct) = &fee.percent { strong { (amount(pct)) " %" } " of the overdue amount" }
                    @match fee.per {
                        FeeBasis::Invoice => " once per invoice",
                        FeeBasis::Period => { " every " (days(fee.period_days)) " while the invoice stays overdue" },
                    }
                    @if let Some(cap) = &fee.cap { ", at most " (cash_in(cap)) " per invoice in all" }
                    "."
                },
            }

            h2 #p-interest { "Interest" }
            @match &policy.interest {
                None => p { "No interest is charged." },
                Some(i) => {
                    p {
                        "Simple interest of " strong { (amount(&i.annual_rate_percent)) " % a year" } ", counted daily ("
                        (match i.day_count { dun_core::collections::policy::DayCount::Act365 => "act/365", dun_core::collections::policy::DayCount::Act360 => "act/360" })
                        ") on the unpaid invoice amount" @if i.compound { ", fees and interest included" } @else { " (never on fees)" } ", "
                        @match i.start {
                            InterestStart::Grace => { "from " (days(i.grace_days)) " after the due date." },
                            InterestStart::Notice => { "from the date a notice states, " (days(i.grace_days)) " after the due date; no notice, no interest." },
                        }
                    }
                    @if let Some(cap) = &i.monthly_cap { p { "At most " (cash_in(cap)) " of interest per invoice per month." } }
                    @if let Some(min) = &i.minimum_charge { p { "A month's interest under " (cash_in(min)) " is not charged." } }
                },
            }

            h2 #p-tiers { "Risk tiers" }
            p { "A customer with fewer than " (policy.tiers.settled_invoices_to_rate) " settled invoices is new; others are placed in the riskiest tier whose conditions they meet, from the last " (days(policy.tiers.history_days)) "." }
            div.scroll tabindex="0" { table.data {
                thead { tr {
                    th scope="col" { "Tier" } th scope="col" { "When" } th.num scope="col" { "Ladder shift (days)" }
                    th scope="col" { "COD" } th.num scope="col" { "Worklist weight" }
                } }
                tbody {
                    @for t in tiers {
                        @let rule = policy.tiers.rule(t);
                        tr {
                            th scope="row" { (t.as_str()) }
                            td { (tier_conditions(rule)) }
                            td.num { (rule.ladder_shift_days) }
                            td { @if rule.cod { "COD required" } @else { "—" } }
                            td.num { (rule.worklist_weight_percent) " %" }
                        }
                    }
                }
            } }

            h2 #p-plans { "Payment plans and collateral" }
            p { "An installment " (days(policy.plans.default_after_days)) " late breaks the plan and the ladder resumes; a notice goes out when an installment is " (days(policy.plans.notice_days_past_due)) " late"
                @if let Some(n) = policy.plans.remind_days_before { ", and a reminder " (days(n)) " before each installment" } "." }
            p { "A task is made " (days(policy.collateral.warn_days_before_expiry)) " before collateral expires." }

            @if !policy.overrides.is_empty() {
                h2 #p-overrides { "Exceptions for customers" }
                ul {
                    @for o in &policy.overrides {
                        li {
                            a href=(format!("/customers/{}", encode(&o.reference))) { (o.reference) } ": "
                            @if let Some(t) = &o.terms { "terms " (t.to_string()) "; " }
                            @if let Some(l) = &o.credit_limit { "credit limit " (cash(l)) "; " }
                            @if o.pause { "ladder paused; " }
                            @if o.ladder_shift_days != 0 { "steps " (o.ladder_shift_days) " days later; " }
                            @if !o.reason.is_empty() { "because " (o.reason) }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ShowQuery {
    applied: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Query(query): Query<ShowQuery>,
) -> Response {
    read_page(&state, caller, move |store, p, ctx| {
        let v = store.policy(p.org_id)?;
        let example = store.law_example(p.org_id, v.policy.law, ctx.today)?;
        let applied = query.applied.as_deref().and_then(|a| a.parse::<i64>().ok());
        let body = html! {
            h1 { "Credit policy" }
            @if let Some(n) = applied {
                p.notice.ok role="status" { "Version " (n) " is now the policy in force." }
            }
            p.version {
                "Version " strong #policy-version { (v.version) } ", set by " (v.author) " on " (v.created_at) "."
                @if let Some(reason) = reason_of(&v.document) { " Reason: " (reason) }
            }
            p.actions {
                @if ctx.role >= Role::Owner { a.button href="/policy/settings" { "Change common settings" } " " a.button href="/policy/edit" { "Edit the policy" } " " }
                a href="/policy/versions" { "Version history" }
            }
            (law_section(v.policy.law, example.as_ref()))
            (policy_document(&v.policy, ctx.currency))
        };
        Ok((StatusCode::OK, page(ctx, "Policy", "Credit policy", body)))
    })
    .await
}

/// Which late-payment law the policy follows and what it would charge on
/// an example invoice (nothing when it follows none).
fn law_section(law: Law, example: Option<&LawExample>) -> Markup {
    if law.is_none() {
        return html! {};
    }
    html! {
        section.policy #law-example aria-labelledby="p-law" {
            h2 #p-law { "Late-payment law" }
            p { "Statutory interest and fixed compensation follow " strong { (law.title()) } " (" code { (law.as_str()) } ")." }
            @match example {
                Some(example) => p { "For example: " (example.to_string()) },
                None => p.notice.bad { "No month in the last " (EXAMPLE_MONTHS_BACK_MAX) " has a reference rate in the table, so no interest is charged; import the rates on the rates page or with the CLI." },
            }
        }
    }
}

/// The form's fields.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct EditForm {
    csrf_token: Option<String>,
    #[serde(default)]
    text: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    action: String,
}

/// What the editor shows beside the form.
enum Verdict {
    None,
    Refused {
        message: String,
        problems: Vec<DocumentError>,
    },
    Checked(Box<Preview>),
}

/// A good document, compared with the policy in force.
struct Preview {
    current_version: i64,
    changes: Vec<String>,
    /// Per action kind: (now, under the new policy).
    counts: BTreeMap<&'static str, (usize, usize)>,
    added: Vec<String>,
    dropped: Vec<String>,
    /// The checked document's late-payment law and its example.
    law: Law,
    law_example: Option<LawExample>,
}

fn editor(ctx: &Ctx, version: i64, form: &EditForm, verdict: &Verdict) -> Markup {
    let body = html! {
        p.crumbs { a href="/policy" { "Policy" } " / edit" }
        h1 { "Edit the credit policy" }
        p.muted { "Version " (version) " is in force. Check shows what would change and what today's run would do; Apply makes a new version. "
            a href="/policy/settings" { "Change the common settings in a form" } "." }
        @match verdict {
            Verdict::None => {},
            Verdict::Refused { message, problems } => {
                p.notice.bad role="alert" #policy-problems { (message) }
                @if !problems.is_empty() {
                    ul.problems aria-label="Problems in the policy" {
                        @for e in problems {
                            li { @if let Some(line) = e.line { a href="#policy-text" data-line=(line) { strong { "Line " (line) } } ": " } code { (e.place) } " — " (e.reason) }
                        }
                    }
                }
            },
            Verdict::Checked(preview) => { (preview_markup(preview)) },
        }
        form.stack.policy-editor method="post" action="/policy/edit" {
            (ctx.csrf_field())
            label for="policy-text" { "Policy document (TOML)" }
            textarea #policy-text name="text" rows="30" spellcheck="false" wrap="off" { (form.text) }
            label for="policy-reason" { "Reason for the change " span.hint { "(kept with the version)" } }
            input #policy-reason type="text" name="reason" value=(form.reason) maxlength="300";
            div.buttons {
                button #check type="submit" name="action" value="check" { "Check" }
                " "
                button.primary #apply type="submit" name="action" value="apply" { "Apply" }
            }
        }
        script src=(crate::assets::policy_editor_js_href()) defer {}
    };
    page(ctx, "Policy", "Edit the credit policy", body)
}

fn preview_markup(preview: &Preview) -> Markup {
    html! {
        section.preview aria-labelledby="preview" {
            p.notice.ok role="status" #preview { "The policy is valid. Nothing has been written yet." }
            h2 { "What changes from version " (preview.current_version) }
            @if preview.changes.is_empty() {
                p.empty #policy-changes { "Nothing the policy says changes (notes aside)." }
            } @else {
                ul #policy-changes { @for c in &preview.changes { li { (c) } } }
            }
            (law_section(preview.law, preview.law_example.as_ref()))
            h2 { "Today's run: now and under the new policy" }
            @if preview.counts.is_empty() {
                p.empty { "Today's run would do nothing, now or under the new policy." }
            } @else {
                div.scroll tabindex="0" { table.data #run-preview {
                    thead { tr { th scope="col" { "Action" } th.num scope="col" { "Now" } th.num scope="col" { "New policy" } } }
                    tbody {
                        @for (kind, (now, new)) in &preview.counts {
                            tr { th scope="row" { (kind) } td.num { (now) } td.num { (new) } }
                        }
                    }
                } }
            }
            @if !preview.added.is_empty() {
                h3 { "Only under the new policy" }
                ul #run-added { @for a in preview.added.iter().take(DIFF_ROWS) { li { (a) } } }
                @if preview.added.len() > DIFF_ROWS { p.muted { "and " (preview.added.len() - DIFF_ROWS) " more." } }
            }
            @if !preview.dropped.is_empty() {
                h3 { "Only under the policy in force" }
                ul #run-dropped { @for a in preview.dropped.iter().take(DIFF_ROWS) { li { (a) } } }
                @if preview.dropped.len() > DIFF_ROWS { p.muted { "and " (preview.dropped.len() - DIFF_ROWS) " more." } }
            }
        }
    }
}

pub(crate) fn owner_only(p: &Principal) -> Result<(), ApiError> {
    if p.role < Role::Owner {
        return Err(ApiError::forbidden(format!(
            "changing the policy needs the owner role; you are {}",
            p.role.as_str()
        )));
    }
    Ok(())
}

pub async fn edit(State(state): State<AppState>, caller: Result<Caller, ApiError>) -> Response {
    read_page(&state, caller, move |store, p, ctx| {
        owner_only(p)?;
        let v = store.policy(p.org_id)?;
        let form = EditForm {
            text: without_reason(&v.document),
            ..EditForm::default()
        };
        Ok((
            StatusCode::OK,
            editor(ctx, v.version, &form, &Verdict::None),
        ))
    })
    .await
}

/// One line saying what an action does, for the run comparison.
fn describe(
    action: &Action,
    names: &BTreeMap<i64, (String, String)>,
    numbers: &BTreeMap<i64, String>,
) -> String {
    let who = names.get(&action.customer_id).map_or_else(
        || format!("#{}", action.customer_id),
        |(r, n)| format!("{n} ({r})"),
    );
    let number = |id: &i64| numbers.get(id).cloned().unwrap_or_else(|| format!("#{id}"));
    let what = match &action.kind {
        ActionKind::Message(m) => format!(
            "{} by {} about {}",
            words(&m.template),
            m.channels
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join("+"),
            m.items
                .iter()
                .map(|i| i.number.clone())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ActionKind::Task(t) => format!("{} task: {}", words(t.kind.as_str()), t.title),
        ActionKind::Fee {
            number,
            amount_minor,
            currency,
            ..
        } => format!(
            "late fee {} on {number}",
            crate::layout::money(*amount_minor, *currency)
        ),
        ActionKind::Interest {
            number,
            amount_minor,
            currency,
            ..
        } => format!(
            "interest {} on {number}",
            crate::layout::money(*amount_minor, *currency)
        ),
        ActionKind::Compensation {
            number,
            amount_minor,
            currency,
            law,
            ..
        } => format!(
            "fixed compensation {} on {number} ({law})",
            crate::layout::money(*amount_minor, *currency)
        ),
        ActionKind::ChargeReversed {
            number,
            amount_minor,
            currency,
            charge,
            ..
        } => format!(
            "{} {} on {number} reversed",
            dun_core::collections::action::charge_words(*charge),
            crate::layout::money(*amount_minor, *currency)
        ),
        ActionKind::Skip {
            invoice_id, steps, ..
        } => format!("not sent on {}: {}", number(invoice_id), steps.join(", ")),
        ActionKind::NotCharged { number, reason, .. } => {
            format!("not charged on {number}: {reason}")
        }
        ActionKind::SetStatus { from, to, .. } => format!("status {from} → {to}"),
        ActionKind::SetTier { from, to, .. } => format!("tier {from} → {to}"),
        ActionKind::PromiseSettled { kept, .. } => if *kept {
            "promise kept"
        } else {
            "promise broken"
        }
        .to_string(),
        ActionKind::PlanSettled { plan_id, .. } => format!("plan {plan_id} settled"),
        ActionKind::CloseTask { title, reason, .. } => format!("task closed: {title} ({reason})"),
    };
    format!("{who}: {what} [{}]", action.rule)
}

/// Today's run under the policy in force and under `policy`, compared.
fn compare_runs(
    store: &mut dun_store::Store,
    org_id: i64,
    today: dun_core::Date,
    current_version: i64,
    changes: Vec<String>,
    policy: Policy,
) -> Result<Preview, ApiError> {
    let law = policy.law;
    let law_example = store.law_example(org_id, law, today)?;
    let mut book = store.run_book(org_id, today)?;
    let now = run::decide(&book.input());
    book.policy = policy;
    book.policy_version = current_version + 1;
    let new = run::decide(&book.input());
    let names: BTreeMap<i64, (String, String)> = book
        .customers
        .iter()
        .map(|c| (c.id, (c.reference.clone(), c.name.clone())))
        .collect();
    let numbers: BTreeMap<i64, String> = book
        .invoices
        .iter()
        .map(|i| (i.id, i.number.clone()))
        .collect();
    let mut counts: BTreeMap<&'static str, (usize, usize)> = BTreeMap::new();
    let mut before: BTreeMap<String, i64> = BTreeMap::new();
    for a in &now.actions {
        counts.entry(a.kind.name()).or_default().0 += 1;
        *before.entry(describe(a, &names, &numbers)).or_default() += 1;
    }
    let mut added = Vec::new();
    for a in &new.actions {
        counts.entry(a.kind.name()).or_default().1 += 1;
        let line = describe(a, &names, &numbers);
        match before.get_mut(&line) {
            Some(n) if *n > 0 => *n -= 1,
            _ => added.push(line),
        }
    }
    let dropped = before
        .into_iter()
        .flat_map(|(line, n)| std::iter::repeat_n(line, n.max(0) as usize))
        .collect();
    Ok(Preview {
        current_version,
        changes,
        counts,
        added,
        dropped,
        law,
        law_example,
    })
}

fn refused(problems: Vec<DocumentError>) -> Verdict {
    Verdict::Refused {
        message: format!(
            "The policy was refused ({} problem{}); nothing was written: {}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ),
        problems,
    }
}

enum Answer {
    To(String),
    Page(StatusCode, Markup),
}

pub async fn edit_submit(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Form(form): Form<EditForm>,
) -> Response {
    let Ok(caller) = caller else {
        return see_other("/sign-in");
    };
    let caller = caller.with_form_csrf(form.csrf_token.clone());
    let answer = state
        .as_caller(caller, Need::Own, move |store, p| {
            let ctx = Ctx::load(p)?;
            let current = store.policy(p.org_id)?;
            let apply = form.action == "apply";
            let policy = match document::parse(&form.text) {
                Ok(policy) => policy,
                Err(problems) => {
                    return Ok(Answer::Page(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        editor(&ctx, current.version, &form, &refused(problems)),
                    ))
                }
            };
            if !apply {
                let changes = document::summarize_changes(&current.policy, &policy);
                let preview =
                    compare_runs(store, p.org_id, ctx.today, current.version, changes, policy)?;
                return Ok(Answer::Page(
                    StatusCode::OK,
                    editor(
                        &ctx,
                        current.version,
                        &form,
                        &Verdict::Checked(Box::new(preview)),
                    ),
                ));
            }
            let text = with_reason(&form.text, &form.reason);
            match store.apply_policy(p.org_id, &text, &p.author(), None) {
                Ok(v) => Ok(Answer::To(format!("/policy?applied={}", v.version))),
                Err(StoreError::PolicyDocument(problems)) => Ok(Answer::Page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    editor(&ctx, current.version, &form, &refused(problems)),
                )),
                Err(StoreError::Invalid(message)) => Ok(Answer::Page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    editor(
                        &ctx,
                        current.version,
                        &form,
                        &Verdict::Refused {
                            message: format!("The policy was not applied: {message}"),
                            problems: Vec::new(),
                        },
                    ),
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

pub async fn versions(State(state): State<AppState>, caller: Result<Caller, ApiError>) -> Response {
    read_page(&state, caller, move |store, p, ctx| {
        let mut list = store.policy_versions(p.org_id)?;
        list.reverse();
        list.truncate(HISTORY_ROWS);
        let mut rows = Vec::with_capacity(list.len());
        for v in list {
            let reason = reason_of(&store.policy_version(p.org_id, v.version)?.document);
            rows.push((v, reason));
        }
        let body = html! {
            p.crumbs { a href="/policy" { "Policy" } " / versions" }
            h1 { "Policy versions" }
            div.scroll tabindex="0" { table.data #policy-versions {
                thead { tr {
                    th.num scope="col" { "Version" } th scope="col" { "When" } th scope="col" { "Who" }
                    th scope="col" { "Reason" } th scope="col" { "What changed" }
                } }
                tbody {
                    @for (v, reason) in &rows {
                        tr data-version=(v.version) {
                            td.num { a href=(format!("/policy/versions/{}", v.version)) { "Version " (v.version) } }
                            td { (v.created_at) }
                            td { (v.author) }
                            td { @match reason { Some(r) => (r), None => span.muted { "—" } } }
                            td { ul.changes { @for c in &v.changes { li { (c) } } } }
                        }
                    }
                }
            } }
        };
        Ok((StatusCode::OK, page(ctx, "Policy", "Policy versions", body)))
    })
    .await
}

pub async fn version(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(version): Path<String>,
) -> Response {
    read_page(&state, caller, move |store, p, ctx| {
        let n: i64 = version.parse().map_err(|_| {
            ApiError::invalid(
                "version",
                format!("version: '{version}' is not a version number"),
            )
        })?;
        let v = store.policy_version(p.org_id, n)?;
        let current = store.policy(p.org_id)?.version;
        let body = html! {
            p.crumbs { a href="/policy" { "Policy" } " / " a href="/policy/versions" { "versions" } " / " (v.version) }
            h1 { "Policy version " (v.version) @if v.version == current { " (in force)" } }
            p.version { "Set by " (v.author) " on " (v.created_at) "."
                @if let Some(reason) = reason_of(&v.document) { " Reason: " (reason) } }
            h2 { "What it changed" }
            ul { @for c in &v.changes { li { (c) } } }
            (policy_document(&v.policy, ctx.currency))
            details {
                summary { "The document as written" }
                pre.document { (v.document) }
            }
        };
        Ok((StatusCode::OK, page(ctx, "Policy", &format!("Policy version {}", v.version), body)))
    })
    .await
}
