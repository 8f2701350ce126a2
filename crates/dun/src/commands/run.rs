//! `dun run`: the daily collections run, previewed (`--dry-run`) or applied.

use std::collections::BTreeMap;

use anyhow::Result;
use clap::Args;
use dun_core::collections::action::{Action, ActionKind};
use dun_core::Currency;
use dun_store::collections::RunOutcome;
use serde_json::json;

use super::money;
use crate::cli::{Format, FormatArg};
use crate::context::Context;
use crate::output::{emit, Table};
use dun_store::collections::plan_digest;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The day to run for (default: today in the organisation's time zone).
    #[arg(long)]
    pub as_of: Option<String>,
    /// Show what the run would do; write nothing. Prints the preview's
    /// digest for --as-previewed.
    #[arg(long, conflicts_with = "as_previewed")]
    pub dry_run: bool,
    /// Apply only if the run decides exactly what the preview with this
    /// digest showed (`dun run --dry-run` prints it); otherwise nothing is
    /// done and the run says how it changed.
    #[arg(long, value_name = "DIGEST")]
    pub as_previewed: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

/// Amounts per currency, printed `40.00 USD, 10.00 EUR`.
#[derive(Default)]
struct Totals(BTreeMap<Currency, i64>);

impl Totals {
    fn add(&mut self, currency: Currency, amount_minor: i64) {
        *self.0.entry(currency).or_insert(0) += amount_minor;
    }

    fn text(&self) -> String {
        self.0
            .iter()
            .map(|(c, a)| format!("{} {c}", money(*a, *c)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn json(&self) -> serde_json::Value {
        self.0
            .iter()
            .map(|(c, a)| json!({ "currency": c, "amount": money(*a, *c), "amount_minor": a }))
            .collect()
    }
}

/// What an action is worth (`ActionKind::worth`), as the table's amount.
fn amount(action: &Action) -> Totals {
    let mut totals = Totals::default();
    for (currency, amount_minor) in action.kind.worth() {
        totals.add(currency, amount_minor);
    }
    totals
}

/// Most invoice numbers one table cell names; the rest are counted (JSON
/// and CSV list them all).
const INVOICES_PER_CELL_MAX: usize = 3;

/// The first few invoice numbers and how many more, so one message about
/// forty invoices does not widen every row of the table.
fn shortened(numbers: &[String]) -> String {
    if numbers.len() <= INVOICES_PER_CELL_MAX {
        return numbers.join(", ");
    }
    format!(
        "{} +{} more",
        numbers[..INVOICES_PER_CELL_MAX].join(", "),
        numbers.len() - INVOICES_PER_CELL_MAX
    )
}

/// `3 messages, 2 tasks, fees 80.00 USD, …`: every kind the run decided.
fn summary(actions: &[&Action]) -> (String, serde_json::Value) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut fees, mut interest) = (Totals::default(), Totals::default());
    let mut skipped = 0;
    for a in actions {
        *counts.entry(a.kind.name()).or_insert(0) += 1;
        match &a.kind {
            ActionKind::Fee {
                currency,
                amount_minor,
                ..
            } => fees.add(*currency, *amount_minor),
            ActionKind::Interest {
                currency,
                amount_minor,
                ..
            } => interest.add(*currency, *amount_minor),
            ActionKind::Skip { steps, .. } => skipped += steps.len(),
            _ => {}
        }
    }
    let n = |k: &str| counts.get(k).copied().unwrap_or(0);
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = vec![
        plural(n("message"), "message", "messages"),
        plural(n("task"), "task", "tasks"),
    ];
    if n("fee") > 0 {
        parts.push(format!(
            "{} ({})",
            plural(n("fee"), "fee", "fees"),
            fees.text()
        ));
    }
    if n("interest") > 0 {
        parts.push(format!(
            "{} ({})",
            plural(n("interest"), "interest charge", "interest charges"),
            interest.text()
        ));
    }
    for (kind, one, many) in [
        ("status", "status change", "status changes"),
        ("tier", "tier change", "tier changes"),
        ("promise", "promise settled", "promises settled"),
        ("plan", "plan settled", "plans settled"),
    ] {
        if n(kind) > 0 {
            parts.push(plural(n(kind), one, many));
        }
    }
    if skipped > 0 {
        parts.push(plural(skipped, "step skipped", "steps skipped"));
    }
    let json = json!({
        "actions": actions.len(),
        "messages": n("message"),
        "tasks": n("task"),
        "fees": n("fee"),
        "fees_total": fees.json(),
        "interest_charges": n("interest"),
        "interest_total": interest.json(),
        "steps_skipped": skipped,
        "status_changes": n("status"),
        "tier_changes": n("tier"),
        "promises_settled": n("promise"),
        "plans_settled": n("plan"),
    });
    (parts.join(", "), json)
}

pub fn run(ctx: &mut Context, args: &RunArgs) -> Result<()> {
    let as_of = ctx.date_or_today(args.as_of.as_deref(), "as-of")?;
    warn_before_the_bank(ctx, as_of)?;
    let outcome = match &args.as_previewed {
        Some(digest) => ctx
            .store
            .run_collections_as_previewed(ctx.org.id, as_of, digest.trim())?,
        None => ctx
            .store
            .run_collections(ctx.org.id, as_of, !args.dry_run)?,
    };
    let t = outcome.timings;
    eprintln!(
        "load {:.0} ms · decide {:.0} ms · write {:.0} ms",
        t.load_ms, t.decide_ms, t.write_ms
    );
    // Recurring invoices and statements due, after the collections run.
    let schedules = if args.dry_run {
        ctx.store.preview_schedules(ctx.org.id, as_of)?
    } else {
        ctx.store.run_schedules(ctx.org.id, as_of)?
    };
    print(&outcome, args.dry_run, args.format.format, &schedules)
}

/// The policy has the day's run wait for the bank statement
/// (`[payments] run_after_bank_import`) and none came today: a person may
/// still run it, told that customers who paid yesterday may be chased.
fn warn_before_the_bank(ctx: &mut Context, as_of: dun_core::Date) -> Result<()> {
    if as_of != ctx.today()? {
        return Ok(());
    }
    let payments = ctx.store.policy(ctx.org.id)?.policy.payments;
    if !payments.run_after_bank_import {
        return Ok(());
    }
    let midnight = ctx.store.clock().start_of_today_utc(&ctx.org.timezone)?;
    if !ctx.store.bank_imported_since(ctx.org.id, &midnight)? {
        eprintln!(
            "note: the policy has the run wait for the day's bank statement (run_after_bank_import), and none was imported today; customers who paid since the last statement may be reminded — import it first (`dun bank import FILE`)"
        );
    }
    Ok(())
}

fn print(
    outcome: &RunOutcome,
    dry_run: bool,
    format: Format,
    schedules: &dun_store::recurring::ScheduleReport,
) -> Result<()> {
    let actions: Vec<&Action> = if dry_run {
        outcome.plan.actions.iter().collect()
    } else {
        outcome.applied_actions().collect()
    };
    let as_of = outcome.plan.as_of;
    let version = outcome.plan.policy_version;
    let customer = |id: i64| {
        outcome
            .customers
            .get(&id)
            .map_or_else(|| format!("#{id}"), |c| c.reference.clone())
    };
    let mut table =
        Table::new(&["customer", "action", "rule", "invoices", "amount", "what"]).numeric([4]);
    for a in &actions {
        table.push(vec![
            customer(a.customer_id),
            a.kind.name().to_string(),
            a.rule.to_string(),
            if matches!(format, Format::Csv) {
                a.kind.invoice_numbers(&outcome.invoice_numbers).join(", ")
            } else {
                shortened(&a.kind.invoice_numbers(&outcome.invoice_numbers))
            },
            amount(a).text(),
            a.kind.describe(),
        ]);
    }
    let (line, totals) = summary(&actions);
    match format {
        Format::Json => {
            let list: Vec<serde_json::Value> = actions
                .iter()
                .map(|a| {
                    let name = outcome.customers.get(&a.customer_id);
                    json!({
                        "customer_ref": name.map(|c| &c.reference),
                        "customer_name": name.map(|c| &c.name),
                        "action": a.kind.name(),
                        "rule": a.rule,
                        "author": format!("policy v{version} · {}", a.rule),
                        "invoices": a.kind.invoice_numbers(&outcome.invoice_numbers),
                        "amount": amount(a).json(),
                        "detail": a.kind,
                        "marks": a.marks,
                    })
                })
                .collect();
            let json = json!({
                "as_of": as_of,
                "policy_version": version,
                "dry_run": dry_run,
                "digest": plan_digest(&outcome.plan),
                "run_id": outcome.run_id,
                "actions": list,
                "summary": totals,
                "timings": outcome.timings,
                "schedules": super::recurring::report_json(schedules),
            });
            emit(Format::Json, &table, &json)
        }
        Format::Csv => emit(Format::Csv, &table, &()),
        Format::Table => {
            if actions.is_empty() {
                println!(
                    "Nothing to do as of {as_of} (policy v{version}): every step due has been done."
                );
                super::recurring::print_report(schedules);
                return Ok(());
            }
            let head = if dry_run {
                format!(
                    "Preview of the run as of {as_of} (policy v{version}); nothing was written."
                )
            } else {
                format!(
                    "Run #{} as of {as_of} (policy v{version}): applied.",
                    outcome.run_id.unwrap_or(0)
                )
            };
            println!("{head}\n");
            emit(Format::Table, &table, &())?;
            println!("\n{line}.");
            if dry_run {
                println!(
                    "Apply exactly this with `dun run --as-of {as_of} --as-previewed {}`.",
                    plan_digest(&outcome.plan)
                );
            }
            super::recurring::print_report(schedules);
            Ok(())
        }
    }
}
