use anyhow::{anyhow, Result};
use dun_core::customer::{Contact, ContactRole, PaymentMethod};
use dun_core::import::CustomerRow;
use dun_core::money::parse_amount_minor;
use dun_core::terms::Terms;
use dun_store::customer_edit::CustomerEdit;
use dun_store::invoices::InvoiceFilter;
use serde_json::json;

use super::money;
use crate::cli::{ContactCommand, CustomerCommand};
use crate::context::Context;
use crate::output::{emit, Table};

pub fn run(ctx: &mut Context, command: CustomerCommand) -> Result<()> {
    let org_id = ctx.org.id;
    match command {
        CustomerCommand::Add {
            reference,
            name,
            email,
            phone,
            credit_limit,
            terms,
            key,
        } => {
            let credit_limit_minor = credit_limit
                .map(|t| {
                    parse_amount_minor(&t, ctx.org.currency)
                        .map_err(|e| anyhow!("--credit-limit: {e}"))
                })
                .transpose()?;
            let terms = terms
                .map(|t| Terms::parse(&t).map_err(|e| anyhow!("--terms: {e}")))
                .transpose()?;
            let row = CustomerRow {
                row: 1,
                reference,
                name,
                email,
                phone,
                credit_limit_minor,
                terms,
                notes: None,
                payment_methods: None,
            };
            let customer = ctx.store.add_customer(org_id, &row, key.key.as_deref())?;
            println!(
                "Added customer {} ({}), terms {}",
                customer.reference, customer.name, customer.terms
            );
        }
        CustomerCommand::Edit {
            reference,
            name,
            email,
            phone,
            credit_limit,
            terms,
            notes,
            payment_methods,
            on,
            key,
        } => {
            let on = ctx.date_or_today(on.on.as_deref(), "on")?;
            let credit_limit_minor = match credit_limit.as_deref().map(str::trim) {
                None => None,
                Some("none") | Some("") => Some(None),
                Some(text) => Some(Some(
                    parse_amount_minor(text, ctx.org.currency)
                        .map_err(|e| anyhow!("--credit-limit: {e}"))?,
                )),
            };
            let terms = terms
                .map(|t| Terms::parse(&t).map_err(|e| anyhow!("--terms: {e}")))
                .transpose()?;
            let edit = CustomerEdit {
                name,
                email: email.map(Some),
                phone: phone.map(Some),
                credit_limit_minor,
                terms,
                notes: notes.map(Some),
                payment_methods: payment_methods
                    .map(|m| {
                        PaymentMethod::parse_list(&m).map_err(|e| anyhow!("--payment-methods: {e}"))
                    })
                    .transpose()?,
            };
            let customer =
                ctx.store
                    .edit_customer(org_id, &reference, &edit, on, key.key.as_deref())?;
            println!(
                "Changed customer {} ({}): terms {}, credit limit {}",
                customer.reference,
                customer.name,
                customer.terms,
                customer
                    .credit_limit_minor
                    .map_or("none".to_string(), |l| money(l, ctx.org.currency))
            );
        }
        CustomerCommand::List(format) => {
            let customers = ctx.store.customers(org_id)?;
            let balances = ctx.store.balances(org_id)?;
            let mut table = Table::new(&[
                "ref",
                "name",
                "terms",
                "status",
                "currency",
                "open",
                "credit",
                "open invoices",
            ])
            .numeric([5, 6, 7]);
            let mut json = Vec::new();
            for c in &customers {
                let lines = balances.get(&c.id).cloned().unwrap_or_default();
                if lines.is_empty() {
                    table.push(vec![
                        c.reference.clone(),
                        c.name.clone(),
                        c.terms.to_string(),
                        c.status.clone(),
                        String::new(),
                        String::new(),
                        String::new(),
                        "0".into(),
                    ]);
                }
                for b in &lines {
                    table.push(vec![
                        c.reference.clone(),
                        c.name.clone(),
                        c.terms.to_string(),
                        c.status.clone(),
                        b.currency.to_string(),
                        money(b.open_minor, b.currency),
                        money(b.credit_minor, b.currency),
                        b.open_invoices.to_string(),
                    ]);
                }
                json.push(json!({ "customer": c, "balances": lines }));
            }
            emit(format.format, &table, &json)?;
        }
        CustomerCommand::Pause(args) => super::standing::pause(ctx, args)?,
        CustomerCommand::Resume(args) => super::standing::resume(ctx, args)?,
        CustomerCommand::Status(args) => super::standing::status(ctx, args)?,
        CustomerCommand::Timeline(args) => super::standing::timeline(ctx, args)?,
        CustomerCommand::SetAddress(args) => super::party::set_address(ctx, &args)?,
        CustomerCommand::ClaimFile(args) => super::escalation::claim_file(ctx, &args)?,
        CustomerCommand::PortalWithdraw(args) => super::standing::withdraw_portal_links(ctx, args)?,
        CustomerCommand::Debtor {
            reference,
            kind,
            author,
        } => {
            let debtor = match kind.as_str() {
                "default" => None,
                other => Some(
                    dun_core::collections::law::DebtorKind::parse(other).ok_or_else(|| {
                        anyhow::anyhow!("KIND: '{other}' is not business, consumer or default")
                    })?,
                ),
            };
            let today = ctx.today()?;
            ctx.store
                .set_debtor(org_id, &reference, debtor, today, &author.name())?;
            println!(
                "Customer {reference} is now {}.",
                debtor.map_or("the policy's default debtor", |d| d.as_str())
            );
        }
        CustomerCommand::PortalLink {
            reference,
            public_url,
        } => {
            let customer = ctx.store.customer(org_id, &reference)?;
            let today = ctx.today()?;
            let link = dun_mail::attachments::portal_link(
                &mut ctx.store,
                org_id,
                customer.id,
                today,
                Some(&public_url),
            )?
            .ok_or_else(|| anyhow::anyhow!("--public-url: give the address dun serve is reached at, e.g. https://pay.example.com"))?;
            println!("{link}");
        }
        CustomerCommand::Contact(command) => contact(ctx, command)?,
        CustomerCommand::Show { reference, format } => {
            let customer = ctx.store.customer(org_id, &reference)?;
            let contacts = ctx.store.contacts(org_id, &reference)?;
            let balances = ctx
                .store
                .balances(org_id)?
                .remove(&customer.id)
                .unwrap_or_default();
            let open = ctx.store.invoices(
                org_id,
                &InvoiceFilter {
                    customer_ref: Some(reference.clone()),
                    status: dun_store::invoices::StatusFilter::Open,
                    limit: 1000,
                    ..Default::default()
                },
            )?;
            let today = ctx.today()?;
            let mut table = Table::new(&[
                "invoice",
                "issued",
                "due",
                "days past due",
                "currency",
                "total",
                "open",
            ])
            .numeric([3, 5, 6]);
            for i in &open {
                table.push(vec![
                    i.number.clone().unwrap_or_default(),
                    i.issue_date.to_string(),
                    i.due_date.to_string(),
                    today.days_since(i.due_date).max(0).to_string(),
                    i.currency.to_string(),
                    money(i.total_minor, i.currency),
                    money(i.open_minor, i.currency),
                ]);
            }
            if format.format == crate::cli::Format::Table {
                println!("{} — {}", customer.reference, customer.name);
                println!(
                    "  email {}  phone {}",
                    customer.email.as_deref().unwrap_or("-"),
                    customer.phone.as_deref().unwrap_or("-")
                );
                let limit = customer.credit_limit_minor.map_or("none".to_string(), |l| {
                    format!("{} {}", money(l, ctx.org.currency), ctx.org.currency)
                });
                println!(
                    "  terms {}  credit limit {}  status {}",
                    customer.terms, limit, customer.status
                );
                println!(
                    "  pays by {}",
                    PaymentMethod::list_label(customer.payment_methods.as_deref())
                );
                for c in &contacts {
                    println!("  contact #{} {}", c.id, c.contact.describe());
                }
                if let Some(notes) = &customer.notes {
                    for line in notes.lines() {
                        println!("  notes: {line}");
                    }
                }
                for b in &balances {
                    println!(
                        "  owes {} {} on {} invoice(s); unapplied credit {} {}",
                        money(b.open_minor, b.currency),
                        b.currency,
                        b.open_invoices,
                        money(b.credit_minor, b.currency),
                        b.currency
                    );
                }
            }
            let records = super::standing::show(ctx, &customer, format.format)?;
            if format.format == crate::cli::Format::Table {
                println!();
            }
            emit(
                format.format,
                &table,
                &json!({ "customer": customer, "contacts": contacts, "balances": balances, "open_invoices": open, "records": records }),
            )?;
        }
    }
    Ok(())
}

fn contact(ctx: &mut Context, command: ContactCommand) -> Result<()> {
    let org_id = ctx.org.id;
    match command {
        ContactCommand::Add {
            reference,
            role,
            name,
            email,
            phone,
            on,
            key,
        } => {
            let on = ctx.date_or_today(on.on.as_deref(), "on")?;
            let role = ContactRole::parse(&role).map_err(|e| anyhow!("--{e}"))?;
            let contact = Contact {
                role,
                name,
                email,
                phone,
            };
            let added =
                ctx.store
                    .add_contact(org_id, &reference, &contact, on, key.key.as_deref())?;
            println!(
                "Added contact #{} to {reference}: {}",
                added.id,
                added.contact.describe()
            );
        }
        ContactCommand::Remove {
            reference,
            id,
            on,
            key,
        } => {
            let on = ctx.date_or_today(on.on.as_deref(), "on")?;
            let gone = ctx
                .store
                .remove_contact(org_id, &reference, id, on, key.key.as_deref())?;
            println!(
                "Removed contact #{} of {reference}: {}",
                gone.id,
                gone.contact.describe()
            );
        }
        ContactCommand::List { reference, format } => {
            let customer = ctx.store.customer(org_id, &reference)?;
            let contacts = ctx.store.contacts(org_id, &reference)?;
            let recipients = ctx.store.recipients(org_id, &reference)?;
            let mut table = Table::new(&["id", "role", "name", "email", "phone"]);
            table.push(vec![
                "-".into(),
                "main".into(),
                customer.name.clone(),
                customer.email.clone().unwrap_or_default(),
                customer.phone.clone().unwrap_or_default(),
            ]);
            for c in &contacts {
                table.push(vec![
                    c.id.to_string(),
                    c.contact.role.to_string(),
                    c.contact.name.clone().unwrap_or_default(),
                    c.contact.email.clone().unwrap_or_default(),
                    c.contact.phone.clone().unwrap_or_default(),
                ]);
            }
            emit(
                format.format,
                &table,
                &json!({ "contacts": contacts, "recipients": recipients }),
            )?;
            if format.format == crate::cli::Format::Table {
                println!(
                    "E-mails go to: {}{}",
                    if recipients.is_empty() {
                        "(nobody: no address)".to_string()
                    } else {
                        recipients.to_text()
                    },
                    recipients
                        .cc_text()
                        .map_or(String::new(), |cc| format!("; cc {cc}"))
                );
            }
        }
    }
    Ok(())
}
