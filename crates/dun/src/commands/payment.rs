use anyhow::{anyhow, Result};
use dun_core::Currency;
use dun_store::payments::{Allocate, NewPayment, PaymentPosted};

use super::{amount, money};
use crate::cli::PaymentCommand;
use crate::context::Context;
use crate::output::{emit, Table};

/// Reads `oldest`, `none`, or `INVOICE=AMOUNT[,INVOICE=AMOUNT…]`.
fn parse_allocate(text: &str, currency: Currency) -> Result<Allocate> {
    match text.trim() {
        "oldest" => Ok(Allocate::OldestDueFirst),
        "none" => Ok(Allocate::None),
        list => list
            .split(',')
            .map(|part| {
                let (number, amount_text) = part
                    .split_once('=')
                    .ok_or_else(|| anyhow!("--allocate '{part}': write oldest, none, or INVOICE=AMOUNT[,INVOICE=AMOUNT…]"))?;
                Ok((number.trim().to_string(), amount(amount_text.trim(), currency, "allocate")?))
            })
            .collect::<Result<Vec<_>>>()
            .map(Allocate::Explicit),
    }
}

fn print(verb: &str, p: &PaymentPosted) {
    let c = p.currency;
    println!(
        "{verb} payment #{} of {} {c}",
        p.payment_id,
        money(p.amount_minor, c)
    );
    for a in &p.allocations {
        let label = if a.number.is_empty() {
            format!("#{}", a.invoice_id)
        } else {
            a.number.clone()
        };
        println!("  {label:<16} {:>14} {c}", money(a.amount_minor, c));
    }
    println!("  unallocated credit {} {c}", money(p.unallocated_minor, c));
}

pub fn run(ctx: &mut Context, command: PaymentCommand) -> Result<()> {
    let org_id = ctx.org.id;
    match command {
        PaymentCommand::Record {
            customer,
            amount: amount_text,
            currency,
            date,
            method,
            reference,
            allocate,
            note,
            key,
        } => {
            let currency = ctx.currency_or_home(currency.as_deref())?;
            let payment = NewPayment {
                customer_ref: customer,
                currency,
                received_date: ctx.date_or_today(date.as_deref(), "date")?,
                amount_minor: amount(&amount_text, currency, "amount")?,
                method,
                reference,
                note,
            };
            let allocate = parse_allocate(&allocate, currency)?;
            let posted =
                ctx.store
                    .record_payment(org_id, &payment, &allocate, key.key.as_deref())?;
            print("Recorded", &posted);
        }
        PaymentCommand::Allocate {
            payment_id,
            to,
            date,
            key,
        } => {
            let date = ctx.date_or_today(date.as_deref(), "date")?;
            let currency = ctx.store.payment(org_id, payment_id)?.currency;
            let allocate = parse_allocate(&to, currency)?;
            let posted = ctx.store.allocate_payment(
                org_id,
                payment_id,
                &allocate,
                date,
                key.key.as_deref(),
            )?;
            print("Allocated", &posted);
        }
        PaymentCommand::Refund {
            payment_id,
            amount: amount_text,
            date,
            reason,
            key,
        } => {
            let date = ctx.date_or_today(date.as_deref(), "date")?;
            let currency = ctx.store.payment(org_id, payment_id)?.currency;
            let amount_minor = amount(&amount_text, currency, "amount")?;
            let posted = ctx.store.refund_payment(
                org_id,
                payment_id,
                amount_minor,
                date,
                &reason,
                key.key.as_deref(),
            )?;
            print("Refunded from", &posted);
        }
        PaymentCommand::List { limit, format } => {
            let payments = ctx.store.payments(org_id, limit)?;
            let mut table = Table::new(&[
                "id",
                "date",
                "customer",
                "method",
                "reference",
                "currency",
                "amount",
                "unallocated",
            ])
            .numeric([0, 6, 7]);
            let mut json = Vec::new();
            for (id, p, unallocated_minor) in &payments {
                table.push(vec![
                    id.to_string(),
                    p.received_date.to_string(),
                    p.customer_ref.clone(),
                    p.method.clone(),
                    p.reference.clone(),
                    p.currency.to_string(),
                    money(p.amount_minor, p.currency),
                    money(*unallocated_minor, p.currency),
                ]);
                json.push(serde_json::json!({ "id": id, "payment": p, "unallocated_minor": unallocated_minor }));
            }
            emit(format.format, &table, &json)?;
        }
        PaymentCommand::Reverse {
            payment_id,
            date,
            reason,
            key,
        } => {
            let date = ctx.date_or_today(date.as_deref(), "date")?;
            let posted =
                ctx.store
                    .reverse_payment(org_id, payment_id, date, &reason, key.key.as_deref())?;
            println!(
                "Reversed payment #{}; {} invoice(s) reopened",
                posted.payment_id,
                posted.allocations.len()
            );
        }
    }
    Ok(())
}
