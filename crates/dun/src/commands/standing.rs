//! A customer's credit standing from the command line: pause and resume
//! the ladder, set a status by hand, read the timeline, override a credit
//! refusal on issue, and the credit-file part of `dun customer show`.

use anyhow::Result;
use clap::builder::PossibleValuesParser;
use clap::Args;
use dun_core::collections::credit::CustomerStatus;
use dun_store::credit_file::{paused_indefinitely, CreditStanding, IssueOverride, StatusDecision};
use dun_store::customers::Customer;
use serde_json::json;

use super::log::{AuthorArg, OnArg};
use super::money;
use crate::cli::{Format, FormatArg};
use crate::context::{parse_date, Context};
use crate::output::{emit, Table};

/// Timeline entries `dun customer timeline` shows unless told otherwise.
const TIMELINE_ROWS_DEFAULT: i64 = 100;

#[derive(Args, Debug)]
pub struct PauseArgs {
    /// Customer reference.
    pub customer: String,
    /// Last day of the pause (default: until `dun customer resume`).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Why, kept on the timeline.
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub on: OnArg,
    #[command(flatten)]
    pub author: AuthorArg,
}

/// A customer, the day and who acts: resuming, withdrawing portal links.
#[derive(Args, Debug)]
pub struct CustomerDayArgs {
    /// Customer reference.
    pub customer: String,
    #[command(flatten)]
    pub on: OnArg,
    #[command(flatten)]
    pub author: AuthorArg,
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Customer reference.
    pub customer: String,
    /// The new status; set by a person, the daily run will not change it
    /// (it proposes a change on the worklist instead).
    #[arg(value_parser = PossibleValuesParser::new(CustomerStatus::ALL.map(|s| s.as_str())))]
    pub status: String,
    /// Why, kept on the timeline.
    #[arg(long)]
    pub reason: String,
    /// The last day the decision holds (YYYY-MM-DD); without it, until a
    /// person changes it.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    #[command(flatten)]
    pub on: OnArg,
    #[command(flatten)]
    pub author: AuthorArg,
}

#[derive(Args, Debug)]
pub struct TimelineArgs {
    /// Customer reference.
    pub customer: String,
    /// Most entries to show, newest first.
    #[arg(long, default_value_t = TIMELINE_ROWS_DEFAULT)]
    pub limit: i64,
    #[command(flatten)]
    pub format: FormatArg,
}

/// `dun invoice issue`'s way past a credit refusal.
#[derive(Args, Debug)]
pub struct OverrideArgs {
    /// Issue even though the customer's status or credit limit refuses it;
    /// the reason is kept on the customer's timeline.
    #[arg(long, value_name = "TEXT")]
    pub override_reason: Option<String>,
    #[command(flatten)]
    pub author: AuthorArg,
}

impl OverrideArgs {
    /// The override to pass to the store; `author` holds the name it borrows.
    pub fn get<'a>(&'a self, author: &'a str) -> Option<IssueOverride<'a>> {
        self.override_reason
            .as_deref()
            .map(|reason| IssueOverride { reason, author })
    }
}

fn paused_text(s: &CreditStanding) -> Option<String> {
    s.paused_until.map(|d| {
        if d >= paused_indefinitely() {
            "until resumed".to_string()
        } else {
            format!("through {d}")
        }
    })
}

pub fn pause(ctx: &mut Context, args: PauseArgs) -> Result<()> {
    let on = ctx.date_or_today(args.on.on.as_deref(), "on")?;
    let until = args
        .until
        .as_deref()
        .map(|d| parse_date(d, "until"))
        .transpose()?;
    let s = ctx.store.pause_customer(
        ctx.org.id,
        &args.customer,
        until,
        &args.reason,
        on,
        &args.author.name(),
    )?;
    println!(
        "Paused reminders, notices, fees and interest for {} {}.",
        s.reference,
        paused_text(&s).unwrap_or_default()
    );
    Ok(())
}

pub fn resume(ctx: &mut Context, args: CustomerDayArgs) -> Result<()> {
    let on = ctx.date_or_today(args.on.on.as_deref(), "on")?;
    let s = ctx
        .store
        .resume_customer(ctx.org.id, &args.customer, on, &args.author.name())?;
    println!("Resumed collections for {}.", s.reference);
    Ok(())
}

/// `dun customer portal-withdraw`.
pub fn withdraw_portal_links(ctx: &mut Context, args: CustomerDayArgs) -> Result<()> {
    let on = ctx.date_or_today(args.on.on.as_deref(), "on")?;
    let n = ctx
        .store
        .withdraw_portal_links(ctx.org.id, &args.customer, on, &args.author.name())?;
    println!(
        "Withdrew the portal links made so far for {} (withdrawal {n}); the next link made or sent works.",
        args.customer
    );
    Ok(())
}

pub fn status(ctx: &mut Context, args: StatusArgs) -> Result<()> {
    let on = ctx.date_or_today(args.on.on.as_deref(), "on")?;
    let status = CustomerStatus::parse(&args.status).expect("clap checked the value");
    let until = args
        .until
        .as_deref()
        .map(|d| parse_date(d, "until"))
        .transpose()?;
    let decision = StatusDecision {
        status,
        reason: &args.reason,
        until,
    };
    let s = ctx.store.set_customer_status(
        ctx.org.id,
        &args.customer,
        &decision,
        on,
        &args.author.name(),
    )?;
    let through = match until {
        Some(d) => format!("through {d}"),
        None => "until a person changes it".to_string(),
    };
    println!(
        "{} is now {} (set by a person; the daily run will not change it {through}, and proposes on the worklist instead).",
        s.reference, s.status
    );
    Ok(())
}

pub fn timeline(ctx: &mut Context, args: TimelineArgs) -> Result<()> {
    let customer = ctx.store.customer(ctx.org.id, &args.customer)?;
    let entries = ctx
        .store
        .timeline(ctx.org.id, customer.id, None, args.limit)?;
    let mut table = Table::new(&["date", "kind", "author", "what"]);
    for e in &entries {
        table.push(vec![
            e.on_date.to_string(),
            e.kind.clone(),
            e.author.clone(),
            e.summary.clone(),
        ]);
    }
    if entries.is_empty() && args.format.format == Format::Table {
        println!("{} has nothing on the timeline yet.", customer.reference);
        return Ok(());
    }
    emit(args.format.format, &table, &entries)
}

/// The credit file and records of `dun customer show`: printed as lines
/// for a table, and returned for JSON.
pub fn show(ctx: &mut Context, customer: &Customer, format: Format) -> Result<serde_json::Value> {
    let org_id = ctx.org.id;
    let reference = customer.reference.as_str();
    let standing = ctx.store.credit_standing(org_id, reference)?;
    let collateral = ctx.store.collateral(org_id, Some(reference))?;
    let promises: Vec<_> = ctx
        .store
        .promises(org_id, Some(reference))?
        .into_iter()
        .filter(|p| p.status == "active")
        .collect();
    let disputes = ctx.store.disputes(org_id, Some(reference), true)?;
    let plans: Vec<_> = ctx
        .store
        .plans(org_id, Some(reference))?
        .into_iter()
        .filter(|p| p.status == "active")
        .collect();
    let tasks = ctx.store.tasks(org_id, Some(reference), true)?;
    if format == Format::Table {
        let by = if standing.status_by_policy {
            "placed by the policy"
        } else {
            "set by a person"
        };
        let status = if standing.status == CustomerStatus::Active {
            "active".to_string()
        } else {
            format!("{} ({by})", standing.status)
        };
        let reasons = if standing.tier_reasons.is_empty() {
            String::new()
        } else {
            format!(" ({})", standing.tier_reasons.join("; "))
        };
        println!("  credit status {status}  tier {}{reasons}", standing.tier);
        if let Some(paused) = paused_text(&standing) {
            println!("  collections paused {paused}");
        }
        for k in &collateral {
            let amount = match (k.amount_minor, k.currency) {
                (Some(a), Some(c)) => format!(" {} {c}", money(a, c)),
                _ => String::new(),
            };
            let expires = k
                .expires_on
                .map_or(String::new(), |d| format!(", expires {d}"));
            println!(
                "  collateral #{} {}{amount}{expires}",
                k.id,
                k.kind.as_str()
            );
        }
        for p in &promises {
            let c = p.currency;
            let covers = if p.invoices.is_empty() {
                String::new()
            } else {
                format!(" ({})", p.invoices.join(", "))
            };
            println!(
                "  promise #{}: {} {c} by {}{covers}",
                p.id,
                money(p.amount_minor, c),
                p.promised_date
            );
        }
        for d in &disputes {
            let line = d.line.map_or(String::new(), |l| format!(" line {l}"));
            println!(
                "  dispute #{} on {}{line} since {}: {}",
                d.id, d.invoice, d.opened_on, d.reason
            );
        }
        for p in &plans {
            let c = p.currency;
            let next = p
                .installments
                .first()
                .map_or(String::new(), |i| format!(", first due {}", i.due_date));
            println!(
                "  payment plan #{}: {} {c} in {} installment(s){next}",
                p.id,
                money(p.opening_minor, c),
                p.installments.len()
            );
        }
        for t in &tasks {
            println!("  task #{} due {}: {}", t.id, t.due_date, t.title);
        }
    }
    Ok(json!({
        "standing": standing,
        "collateral": collateral,
        "promises": promises,
        "disputes": disputes,
        "plans": plans,
        "open_tasks": tasks,
    }))
}
