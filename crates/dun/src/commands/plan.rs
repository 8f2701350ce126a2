//! `dun plan`: payment plans — open invoices turned into dated installments.

use anyhow::{anyhow, bail, Result};
use clap::Subcommand;
use dun_core::terms::Installment;
use dun_store::plans::{NewPlan, PlanInstallments, PlanRecord, Split, SPLIT_EVERY_DAYS_DEFAULT};

use super::log::{AuthorArg, OnArg};
use super::{amount, money};
use crate::cli::{FormatArg, KeyArg};
use crate::context::{parse_date, Context};
use crate::output::{emit, Table};

#[derive(Subcommand, Debug)]
pub enum PlanCommand {
    /// Put open invoices on a plan: installments that add up exactly to what
    /// they have open. Give each installment, or --split N --first DATE.
    Create {
        /// Customer reference.
        customer: String,
        /// An invoice the plan covers; repeat for each.
        #[arg(long = "invoice", value_name = "NUMBER", required = true)]
        invoices: Vec<String>,
        /// An installment as DATE=AMOUNT, e.g. 2026-03-01=500.00; repeat for each, in date order.
        #[arg(
            long = "installment",
            value_name = "DATE=AMOUNT",
            required_unless_present = "split"
        )]
        installments: Vec<String>,
        /// Instead: divide what is open into N equal installments (the odd cents on the first ones).
        #[arg(
            long,
            value_name = "N",
            conflicts_with = "installments",
            requires = "first"
        )]
        split: Option<u32>,
        /// With --split: days between installments.
        #[arg(long, value_name = "DAYS", requires = "split", default_value_t = SPLIT_EVERY_DAYS_DEFAULT)]
        every_days: u32,
        /// With --split: the first installment's date.
        #[arg(long, value_name = "DATE", requires = "split")]
        first: Option<String>,
        #[command(flatten)]
        on: OnArg,
        #[command(flatten)]
        author: AuthorArg,
        #[command(flatten)]
        key: KeyArg,
    },
    /// List payment plans, newest first.
    List {
        /// Only this customer's (by reference).
        #[arg(long)]
        customer: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
}

pub fn run(ctx: &mut Context, command: PlanCommand) -> Result<()> {
    let org_id = ctx.org.id;
    match command {
        PlanCommand::Create {
            customer,
            invoices,
            installments,
            split,
            every_days,
            first,
            on,
            author,
            key,
        } => {
            let created_on = ctx.date_or_today(on.on.as_deref(), "on")?;
            let installments = match split {
                // The store reads what is open and splits it, under the
                // plan's lock.
                Some(count) => PlanInstallments::Split(Split {
                    count,
                    first: parse_date(first.as_deref().unwrap_or_default(), "first")?,
                    every_days: Some(every_days),
                }),
                None => {
                    if installments.is_empty() {
                        bail!("--installment: give at least one, or --split N --first DATE");
                    }
                    // The invoices' currency, for the amounts; the store
                    // checks it again under its lock.
                    let currency = ctx.store.default_currency(org_id, &invoices)?;
                    PlanInstallments::Given(
                        installments
                            .iter()
                            .map(|text| {
                                let (date, amount_text) =
                                    text.split_once('=').ok_or_else(|| {
                                        anyhow!(
                                    "--installment '{text}': write DATE=AMOUNT, e.g. 2026-03-01=500.00"
                                )
                                    })?;
                                Ok(Installment {
                                    due_date: parse_date(date, "installment")?,
                                    amount_minor: amount(amount_text, currency, "installment")?,
                                })
                            })
                            .collect::<Result<Vec<_>>>()?,
                    )
                }
            };
            let plan = ctx.store.create_plan(
                org_id,
                &NewPlan {
                    customer_ref: customer,
                    invoices: invoices.into(),
                    installments,
                    created_on,
                    author: author.name(),
                },
                key.key.as_deref(),
            )?;
            print_plan(&plan);
            Ok(())
        }
        PlanCommand::List { customer, format } => {
            let plans = ctx.store.plans(org_id, customer.as_deref())?;
            let mut table = Table::new(&[
                "id",
                "customer",
                "created",
                "status",
                "currency",
                "amount",
                "installments",
                "first due",
                "last due",
                "invoices",
            ])
            .numeric([0, 5, 6]);
            for p in &plans {
                table.push(vec![
                    p.id.to_string(),
                    p.customer_ref.clone(),
                    p.created_on.to_string(),
                    p.status.clone(),
                    p.currency.to_string(),
                    money(p.opening_minor, p.currency),
                    p.installments.len().to_string(),
                    p.installments
                        .first()
                        .map(|i| i.due_date.to_string())
                        .unwrap_or_default(),
                    p.installments
                        .last()
                        .map(|i| i.due_date.to_string())
                        .unwrap_or_default(),
                    p.invoices.join(" "),
                ]);
            }
            emit(format.format, &table, &plans)
        }
    }
}

fn print_plan(p: &PlanRecord) {
    let c = p.currency;
    println!(
        "Created payment plan #{} for {}: {} {c} on {} in {} installment(s):",
        p.id,
        p.customer_ref,
        money(p.opening_minor, c),
        p.invoices.join(", "),
        p.installments.len()
    );
    for i in &p.installments {
        println!("  {}  {:>14} {c}", i.due_date, money(i.amount_minor, c));
    }
}
