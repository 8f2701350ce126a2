//! `dun recurring`: invoices billed on a schedule; `dun statement-schedule`:
//! statements of account sent on a schedule. The daily run (`dun run`)
//! issues and queues what is due; [`print_report`] says what it did.

use anyhow::{anyhow, bail, Result};
use clap::{Args, Subcommand};
use dun_core::invoice::parse_tax_rate_ppm;
use dun_core::schedule::Schedule;
use dun_core::terms::Terms;
use dun_core::Date;
use dun_store::recurring::{NewRecurring, Recurring, ScheduleReport, ScheduleStatus};
use dun_store::statement_schedules::StatementSchedule;

use super::log::{AuthorArg, OnArg};
use super::money;
use crate::cli::{Format, FormatArg};
use crate::context::{parse_date, Context};
use crate::output::{emit, Table};

#[derive(Subcommand, Debug)]
pub enum RecurringCommand {
    /// Bill a customer the same lines on a schedule; the daily run (`dun run`)
    /// issues each invoice on its date and e-mails it.
    Add(RecurringAddArgs),
    /// Recurring invoices, oldest first.
    List {
        /// Only these: active, paused, ended.
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Stop billing until resumed; the dates in between are not billed later.
    Pause {
        /// The recurring invoice's id (see `dun recurring list`).
        id: i64,
        #[command(flatten)]
        on: OnArg,
        #[command(flatten)]
        author: AuthorArg,
    },
    /// Bill again from --on (default today): the next date is the schedule's first from then.
    Resume {
        id: i64,
        #[command(flatten)]
        on: OnArg,
        #[command(flatten)]
        author: AuthorArg,
    },
    /// Stop billing for good.
    End {
        id: i64,
        #[command(flatten)]
        on: OnArg,
        #[command(flatten)]
        author: AuthorArg,
    },
}

#[derive(Args, Debug)]
pub struct RecurringAddArgs {
    /// Customer reference.
    pub customer: String,
    /// When to bill: monthly:1 (day 1-31; 31 = the last day), weekly:2 (every
    /// 2 weeks from --starts), quarterly:1 (Jan, Apr, Jul, Oct), yearly:01-15.
    #[arg(long, value_name = "SCHEDULE")]
    pub schedule: String,
    /// A line as DESCRIPTION:QUANTITY:UNIT_PRICE, as `dun invoice create` takes it; repeat for each.
    #[arg(
        long = "line",
        value_name = "DESCRIPTION:QUANTITY:UNIT_PRICE",
        required = true
    )]
    pub lines: Vec<String>,
    /// Tax rate in percent for every line, e.g. 20 or 8.875.
    #[arg(long, default_value = "0")]
    pub tax_rate: String,
    /// Terms of each invoice (default: the customer's).
    #[arg(long)]
    pub terms: Option<String>,
    /// Currency (default: the organisation's).
    #[arg(long)]
    pub currency: Option<String>,
    /// Printed on each invoice.
    #[arg(long, default_value = "")]
    pub description: String,
    /// The first invoice is the schedule's first date on or after this (default: today).
    #[arg(long, value_name = "DATE")]
    pub starts: Option<String>,
    /// No invoice after this date.
    #[arg(long, value_name = "DATE")]
    pub ends: Option<String>,
    /// Issue the invoices without e-mailing them.
    #[arg(long)]
    pub no_email: bool,
    #[command(flatten)]
    pub author: AuthorArg,
}

#[derive(Subcommand, Debug)]
pub enum StatementScheduleCommand {
    /// Send a customer a statement of account on a schedule (replaces the
    /// one it had); the daily run (`dun run`) queues each on its date,
    /// covering the days since the last.
    Set {
        /// Customer reference.
        customer: String,
        /// When: monthly:1 (day 1-31; 31 = the last day), weekly:2,
        /// quarterly:1, yearly:01-15.
        #[arg(long, value_name = "SCHEDULE")]
        schedule: String,
        /// The first statement is the schedule's first date on or after this (default: today).
        #[arg(long, value_name = "DATE")]
        starts: Option<String>,
        #[command(flatten)]
        author: AuthorArg,
    },
    /// Every customer's statement schedule.
    List {
        #[command(flatten)]
        format: FormatArg,
    },
    /// Stop sending statements to a customer until resumed.
    Pause {
        customer: String,
        #[command(flatten)]
        on: OnArg,
        #[command(flatten)]
        author: AuthorArg,
    },
    /// Send again from --on (default today).
    Resume {
        customer: String,
        #[command(flatten)]
        on: OnArg,
        #[command(flatten)]
        author: AuthorArg,
    },
    /// Stop sending statements to a customer for good.
    End {
        customer: String,
        #[command(flatten)]
        on: OnArg,
        #[command(flatten)]
        author: AuthorArg,
    },
}

fn parse_schedule(text: &str, anchor: Date) -> Result<Schedule> {
    Schedule::parse_with_anchor(text, anchor).map_err(|e| anyhow!("--schedule: {e}"))
}

fn date_text(date: Option<Date>) -> String {
    date.map_or_else(|| "-".to_string(), |d| d.to_string())
}

pub fn recurring(ctx: &mut Context, command: RecurringCommand) -> Result<()> {
    let org_id = ctx.org.id;
    match command {
        RecurringCommand::Add(args) => add(ctx, &args),
        RecurringCommand::List { status, format } => {
            let status = status
                .as_deref()
                .map(ScheduleStatus::parse)
                .transpose()
                .map_err(|e| anyhow!("--status: {e}"))?;
            let list = ctx.store.recurring_invoices(org_id, status)?;
            let mut table = Table::new(&[
                "id", "customer", "schedule", "amount", "next", "last", "status", "e-mail",
            ])
            .numeric([0, 3]);
            for r in &list {
                table.push(vec![
                    r.id.to_string(),
                    r.customer_ref.clone(),
                    r.schedule.to_string(),
                    format!("{} {}", money(r.total_minor, r.currency), r.currency),
                    date_text(r.next_date),
                    date_text(r.last_issued_date),
                    r.status.as_str().to_string(),
                    if r.send_email { "yes" } else { "no" }.to_string(),
                ]);
            }
            if format.format == Format::Table && list.is_empty() {
                println!("No recurring invoices. Set one up with `dun recurring add CUSTOMER --schedule monthly:1 --line \"Hosting:1:100.00\"`.");
                return Ok(());
            }
            emit(format.format, &table, &list)
        }
        RecurringCommand::Pause { id, on, author } => {
            let on = ctx.date_or_today(on.on.as_deref(), "on")?;
            let r = ctx.store.pause_recurring(org_id, id, on, &author.name())?;
            println!(
                "Paused recurring invoice #{}; nothing is billed until `dun recurring resume {}`.",
                r.id, r.id
            );
            Ok(())
        }
        RecurringCommand::Resume { id, on, author } => {
            let on = ctx.date_or_today(on.on.as_deref(), "on")?;
            let r = ctx.store.resume_recurring(org_id, id, on, &author.name())?;
            match r.next_date {
                Some(next) => println!(
                    "Resumed recurring invoice #{}; next invoice on {next}.",
                    r.id
                ),
                None => println!(
                    "Recurring invoice #{} has no date left before its end; it has ended.",
                    r.id
                ),
            }
            Ok(())
        }
        RecurringCommand::End { id, on, author } => {
            let on = ctx.date_or_today(on.on.as_deref(), "on")?;
            let r = ctx.store.end_recurring(org_id, id, on, &author.name())?;
            println!("Ended recurring invoice #{}.", r.id);
            Ok(())
        }
    }
}

fn add(ctx: &mut Context, args: &RecurringAddArgs) -> Result<()> {
    let starts = ctx.date_or_today(args.starts.as_deref(), "starts")?;
    let ends = args
        .ends
        .as_deref()
        .map(|t| parse_date(t, "ends"))
        .transpose()?;
    let schedule = parse_schedule(&args.schedule, starts)?;
    let currency = ctx.currency_or_home(args.currency.as_deref())?;
    let tax_rate_ppm =
        parse_tax_rate_ppm(&args.tax_rate).map_err(|e| anyhow!("--tax-rate: {e}"))?;
    if args.lines.is_empty() {
        bail!(
            "--line: a recurring invoice needs at least one line, e.g. --line \"Hosting:1:100.00\""
        );
    }
    let lines = args
        .lines
        .iter()
        .map(|l| super::invoice::parse_line(l, currency, tax_rate_ppm))
        .collect::<Result<Vec<_>>>()?;
    let terms = args
        .terms
        .as_deref()
        .map(Terms::parse)
        .transpose()
        .map_err(|e| anyhow!("--terms: {e}"))?;
    let r = ctx.store.create_recurring(
        ctx.org.id,
        &NewRecurring {
            customer_ref: args.customer.clone(),
            currency,
            lines,
            terms,
            description: args.description.clone(),
            schedule,
            starts_on: starts,
            ends_on: ends,
            send_email: !args.no_email,
            created_by: args.author.name(),
        },
    )?;
    print_created(&r);
    Ok(())
}

fn print_created(r: &Recurring) {
    println!(
        "Recurring invoice #{} for {}: {} {}, {}, first on {}{}.",
        r.id,
        r.customer_ref,
        money(r.total_minor, r.currency),
        r.currency,
        r.schedule.describe(),
        date_text(r.next_date),
        r.ends_on
            .map_or_else(String::new, |d| format!(", none after {d}"))
    );
    println!(
        "`dun run` issues each one on its date{}.",
        if r.send_email {
            " and queues its e-mail"
        } else {
            ""
        }
    );
}

pub fn statement_schedule(ctx: &mut Context, command: StatementScheduleCommand) -> Result<()> {
    let org_id = ctx.org.id;
    let (customer, to, on, author) = match command {
        StatementScheduleCommand::Set {
            customer,
            schedule,
            starts,
            author,
        } => {
            let starts = ctx.date_or_today(starts.as_deref(), "starts")?;
            let schedule = parse_schedule(&schedule, starts)?;
            let s = ctx.store.set_statement_schedule(
                org_id,
                &customer,
                schedule,
                starts,
                &author.name(),
            )?;
            println!(
                "Statements for {}: {}, first on {}; `dun run` queues each on its date.",
                s.customer_ref,
                s.schedule.describe(),
                date_text(s.next_date)
            );
            return Ok(());
        }
        StatementScheduleCommand::List { format } => {
            let list: Vec<StatementSchedule> = ctx.store.statement_schedules(org_id)?;
            let mut table = Table::new(&["customer", "schedule", "next", "last sent", "status"]);
            for s in &list {
                table.push(vec![
                    s.customer_ref.clone(),
                    s.schedule.to_string(),
                    date_text(s.next_date),
                    date_text(s.last_sent_date),
                    s.status.as_str().to_string(),
                ]);
            }
            if format.format == Format::Table && list.is_empty() {
                println!("No statement schedules. Set one with `dun statement-schedule set CUSTOMER --schedule monthly:1`.");
                return Ok(());
            }
            return emit(format.format, &table, &list);
        }
        StatementScheduleCommand::Pause {
            customer,
            on,
            author,
        } => (customer, ScheduleStatus::Paused, on, author),
        StatementScheduleCommand::Resume {
            customer,
            on,
            author,
        } => (customer, ScheduleStatus::Active, on, author),
        StatementScheduleCommand::End {
            customer,
            on,
            author,
        } => (customer, ScheduleStatus::Ended, on, author),
    };
    let on = ctx.date_or_today(on.on.as_deref(), "on")?;
    let s = ctx
        .store
        .set_statement_schedule_status(org_id, &customer, to, on, &author.name())?;
    let verb = match to {
        ScheduleStatus::Active => "resumed",
        ScheduleStatus::Paused => "paused",
        ScheduleStatus::Ended => "ended",
    };
    println!(
        "Statements for {} {verb}{}.",
        s.customer_ref,
        s.next_date
            .filter(|_| to == ScheduleStatus::Active)
            .map_or_else(String::new, |n| format!("; next on {n}"))
    );
    Ok(())
}

/// What the schedules' part of `dun run` did (or, previewed, would do), in
/// a few lines after the collections run's table.
pub fn print_report(report: &ScheduleReport) {
    if report.is_empty() {
        return;
    }
    let verb = |done: &str, would: &str| {
        if report.dry_run {
            would.to_string()
        } else {
            done.to_string()
        }
    };
    println!();
    if !report.invoices.is_empty() {
        let mut table = Table::new(&[
            "recurring",
            "customer",
            "date",
            "invoice",
            "amount",
            "outcome",
        ])
        .numeric([0, 4]);
        for o in &report.invoices {
            let outcome = match o.outcome.as_str() {
                "refused" => format!(
                    "refused: {}",
                    o.reason.as_deref().unwrap_or("see the worklist")
                ),
                "issued" if o.emailed => "issued, e-mail queued".to_string(),
                other => other.to_string(),
            };
            let outcome = if o.missed_count > 0 {
                format!(
                    "{outcome} ({} earlier date(s) missed: a task)",
                    o.missed_count
                )
            } else {
                outcome
            };
            table.push(vec![
                format!("#{}", o.recurring_id),
                o.customer_ref.clone(),
                o.occurrence.to_string(),
                o.number.clone().unwrap_or_else(|| {
                    o.invoice_id
                        .map_or_else(|| "-".to_string(), |id| format!("draft #{id}"))
                }),
                format!("{} {}", money(o.total_minor, o.currency), o.currency),
                outcome,
            ]);
        }
        print!("{}", table.render());
    }
    let mut parts = vec![format!(
        "{} {}",
        if report.dry_run {
            report.invoices.len()
        } else {
            report.issued()
        },
        verb("recurring invoice(s) issued", "recurring invoice(s) due")
    )];
    if report.refused() > 0 {
        parts.push(format!(
            "{} refused by the credit check (a task each on the worklist)",
            report.refused()
        ));
    }
    parts.push(format!(
        "{} {}",
        report.statements.len(),
        verb("statement(s) queued", "statement(s) due")
    ));
    for s in &report.statements {
        println!(
            "  statement for {} ({} to {})",
            s.customer_ref, s.period_start, s.period_end
        );
    }
    if !report.ended_recurring.is_empty() {
        parts.push(format!(
            "{} recurring invoice(s) {}",
            report.ended_recurring.len(),
            verb("ended", "end")
        ));
    }
    println!("Schedules as of {}: {}.", report.as_of, parts.join(", "));
}

/// A summary of the schedules' part of the run for JSON output.
pub fn report_json(report: &ScheduleReport) -> serde_json::Value {
    serde_json::json!({
        "issued": report.issued(),
        "refused": report.refused(),
        "statements_queued": if report.dry_run { 0 } else { report.statements.len() },
        "invoices": report.invoices,
        "statements": report.statements,
        "ended_recurring": report.ended_recurring,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_errors_name_the_flag_and_the_forms() {
        let anchor = Date::parse("2026-11-24").unwrap();
        let e = parse_schedule("fortnightly", anchor)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("--schedule: 'fortnightly' is not a schedule"),
            "{e}"
        );
        assert!(e.contains("monthly:1"), "{e}");
        assert_eq!(
            parse_schedule("weekly:2", anchor).unwrap().to_string(),
            "weekly:2:2026-11-24"
        );
    }
}
