use anyhow::{anyhow, bail, Result};
use dun_core::collections::action::charge_words;
use dun_core::collections::charges::{waivable_charge, WAIVABLE_CHARGES};
use dun_core::invoice::{
    format_quantity, format_tax_rate, parse_quantity_e4, parse_tax_rate_ppm, InvoiceDraft,
    InvoiceLine,
};
use dun_core::ledger::EntryKind;
use dun_core::money::UnitPrice;
use dun_core::terms::{Installment, Terms};
use dun_store::invoices::{InvoiceFilter, Posted, Reduction, StatusFilter};
use dun_store::waivers::Waiver;

use super::{amount, money};
use crate::cli::{Format, InvoiceCommand, InvoiceCreateArgs, InvoiceEditArgs, ReduceArgs};
use crate::context::{parse_date, Context};
use crate::output::{emit, Table};

pub fn run(ctx: &mut Context, command: InvoiceCommand) -> Result<()> {
    let org_id = ctx.org.id;
    match command {
        InvoiceCommand::Create(args) => create(ctx, &args),
        InvoiceCommand::Edit(args) => edit(ctx, &args),
        InvoiceCommand::Delete { invoice, key } => {
            let today = ctx.today()?;
            let deleted = ctx
                .store
                .delete_draft(org_id, &invoice, today, key.key.as_deref())?;
            println!(
                "Deleted draft #{} ({} {}); the customer's timeline keeps what it was",
                deleted.id,
                money(deleted.total_minor, deleted.currency),
                deleted.currency
            );
            Ok(())
        }
        InvoiceCommand::Issue {
            invoice,
            credit,
            key,
        } => {
            let author = credit.author.name();
            let posted = ctx.store.issue_invoice(
                org_id,
                &invoice,
                credit.get(&author),
                key.key.as_deref(),
            )?;
            print_posted("Issued", &posted);
            Ok(())
        }
        InvoiceCommand::Send { invoice, key } => {
            let today = ctx.today()?;
            let (number, email, message_id) =
                match ctx
                    .store
                    .send_invoice(org_id, &invoice, today, key.key.as_deref())
                {
                    Ok(sent) => (sent.number, sent.email, sent.message_id),
                    // Not an invoice's number: a credit note's, perhaps.
                    Err(dun_store::StoreError::NotFound { .. }) => {
                        let sent = ctx.store.send_credit_note(
                            org_id,
                            &invoice,
                            today,
                            key.key.as_deref(),
                        )?;
                        (
                            format!("credit note {} (on {})", sent.number, sent.invoice),
                            sent.email,
                            sent.message_id,
                        )
                    }
                    Err(e) => return Err(e.into()),
                };
            println!(
                "Queued {number} for e-mail to {email} (outbox message #{message_id}); `dun outbox send` delivers it"
            );
            Ok(())
        }
        InvoiceCommand::Void {
            invoice,
            date,
            reason,
            key,
        } => {
            let date = ctx.date_or_today(date.as_deref(), "date")?;
            let posted =
                ctx.store
                    .void_invoice(org_id, &invoice, date, &reason, key.key.as_deref())?;
            print_posted("Voided", &posted);
            Ok(())
        }
        InvoiceCommand::Waive {
            invoice,
            charge,
            amount,
            reason,
            date,
            key,
        } => {
            let date = ctx.date_or_today(date.as_deref(), "date")?;
            let kind = waivable_charge(&charge)
                .ok_or_else(|| anyhow!("charge: '{charge}' is not one; give {WAIVABLE_CHARGES}"))?;
            let currency = ctx.store.invoice(org_id, &invoice, date)?.currency;
            let amount_minor = match amount.as_deref() {
                Some(text) => Some(super::amount(text, currency, "amount")?),
                None => None,
            };
            let waived = ctx.store.waive_charge(
                org_id,
                &invoice,
                &Waiver {
                    charge: kind,
                    amount_minor,
                    date,
                    reason,
                },
                key.key.as_deref(),
            )?;
            println!(
                "Waived {} of {} {} on {}; {} {} open.",
                charge_words(kind),
                money(waived.amount_minor, waived.currency),
                waived.currency,
                waived.invoice,
                money(waived.open_minor, waived.currency),
                waived.currency
            );
            Ok(())
        }
        InvoiceCommand::ReverseWriteOff {
            invoice,
            reason,
            date,
            key,
        } => {
            let date = ctx.date_or_today(date.as_deref(), "date")?;
            let reversed =
                ctx.store
                    .reverse_write_off(org_id, &invoice, date, &reason, key.key.as_deref())?;
            println!(
                "Reversed the write-off of {} {} on {}; {} {} open again.",
                money(reversed.amount_minor, reversed.currency),
                reversed.currency,
                reversed.invoice,
                money(reversed.open_minor, reversed.currency),
                reversed.currency
            );
            Ok(())
        }
        InvoiceCommand::InterestSheet {
            invoice,
            as_of,
            pdf,
            format,
        } => {
            let as_of = ctx.date_or_today(as_of.as_deref(), "as-of")?;
            let found = ctx.store.calculation_sheet(org_id, &invoice, as_of)?;
            if let Some(path) = &pdf {
                let (_, bytes) =
                    dun_mail::interest_sheet::interest_sheet_pdf(&mut ctx.store, org_id, &found)?;
                crate::commands::document::write_out(path, &bytes, "the calculation sheet")?;
                if path.as_os_str() == "-" {
                    return Ok(());
                }
            }
            let c = found.currency;
            let mut table = Table::new(&[
                "month",
                "from",
                "through",
                "days",
                "principal",
                "reference",
                "margin",
                "rate",
                "interest",
                "month total",
            ])
            .numeric([3, 4, 5, 6, 7, 8, 9]);
            for month in &found.sheet.months {
                let key = month.from.to_string()[..7].to_string();
                for (i, p) in month.periods.iter().enumerate() {
                    let last = i + 1 == month.periods.len();
                    table.push(vec![
                        key.clone(),
                        p.from.to_string(),
                        p.through.to_string(),
                        p.days.to_string(),
                        money(p.principal_minor, c),
                        format!(
                            "{} ({} from {})",
                            p.reference,
                            p.reference_series.as_str(),
                            p.reference_in_force_from
                        ),
                        p.margin.to_string(),
                        p.rate.to_string(),
                        p.exact_interest(c),
                        if last {
                            money(month.amount_minor, c)
                        } else {
                            String::new()
                        },
                    ]);
                }
            }
            if format.format != Format::Table {
                return emit(format.format, &table, &found);
            }
            println!(
                "{} ({}, {c}) under {}: interest runs from {}.",
                found.invoice,
                found.customer_ref,
                found.sheet.law.title(),
                found.sheet.starts
            );
            emit(format.format, &table, &found)?;
            let s = &found.sheet;
            println!(
                "Interest {} {c} (months ended before {as_of}); on the ledger {} {c}{}. Fixed compensation on the ledger: {} {c}.",
                money(s.interest_minor, c),
                money(s.posted_interest_minor, c),
                if s.matches_ledger() { " — they match" } else { " — they differ: a month not yet posted by the run, or money learnt late the next run corrects" },
                money(s.compensation_minor, c)
            );
            Ok(())
        }
        InvoiceCommand::List {
            customer,
            status,
            limit,
            format,
        } => {
            let today = ctx.today()?;
            let filter = InvoiceFilter {
                customer_ref: customer,
                status: StatusFilter::parse(&status).map_err(|e| {
                    // The flag's own words.
                    anyhow!("--status: {}", e.to_string().trim_start_matches("status: "))
                })?,
                as_of: Some(today),
                issued_by: Some(today),
                limit,
                ..InvoiceFilter::default()
            };
            let invoices = ctx.store.invoices(org_id, &filter)?;
            let mut table = Table::new(&[
                "number", "customer", "issued", "due", "status", "currency", "total", "open",
            ])
            .numeric([6, 7]);
            for i in &invoices {
                table.push(vec![
                    i.number
                        .clone()
                        .unwrap_or_else(|| format!("draft #{}", i.id)),
                    i.customer_ref.clone(),
                    i.issue_date.to_string(),
                    i.due_date.to_string(),
                    i.status.clone(),
                    i.currency.to_string(),
                    money(i.total_minor, i.currency),
                    money(i.open_minor, i.currency),
                ]);
            }
            emit(format.format, &table, &invoices)
        }
        InvoiceCommand::Xml(args) => super::ubl::xml(ctx, &args),
        InvoiceCommand::Pdf(args) => super::document::invoice(ctx, &args),
        InvoiceCommand::Show {
            invoice,
            as_of,
            format,
        } => {
            let as_of = ctx.date_or_today(as_of.as_deref(), "as-of")?;
            let view = ctx.store.invoice(org_id, &invoice, as_of)?;
            let c = view.currency;
            let mut table = Table::new(&[
                "description",
                "quantity",
                "unit price",
                "tax %",
                "net",
                "tax",
            ])
            .numeric([1, 2, 3, 4, 5]);
            for l in &view.lines {
                table.push(vec![
                    l.description.clone(),
                    format_quantity(l.quantity_e4),
                    l.unit_price.format(c),
                    format_tax_rate(l.tax_rate_ppm),
                    money(l.net_minor(), c),
                    money(l.tax_minor(), c),
                ]);
            }
            if format.format == Format::Table {
                let number = view
                    .number
                    .clone()
                    .unwrap_or_else(|| format!("draft #{}", view.id));
                println!("Invoice {number}  ({})", view.status.as_str());
                println!("  customer {} — {}", view.customer_ref, view.customer_name);
                println!(
                    "  issued {}  due {}  terms {}",
                    view.issue_date, view.due_date, view.terms
                );
                if let Some(reference) = &view.payment_reference {
                    let grouped = dun_core::reference::CreditorReference::parse(reference)
                        .map_or_else(|_| reference.clone(), |r| r.grouped());
                    println!("  payment reference {grouped}");
                }
                if !view.description.is_empty() {
                    println!("  {}", view.description);
                }
                println!();
                print!("{}", table.render());
                println!();
                println!(
                    "  subtotal {:>14} {c}",
                    money(view.totals.subtotal_minor, c)
                );
                println!("  tax      {:>14} {c}", money(view.totals.tax_minor, c));
                println!("  total    {:>14} {c}", money(view.totals.total_minor, c));
                println!(
                    "  open     {:>14} {c}  as of {as_of}",
                    money(view.open_minor, c)
                );
                if view.schedule.len() > 1 {
                    println!("\n  installments:");
                    for i in &view.schedule {
                        println!("    {}  {:>14} {c}", i.due_date, money(i.amount_minor, c));
                    }
                }
                if !view.entries.is_empty() {
                    println!("\n  ledger:");
                    for e in &view.entries {
                        println!(
                            "    {}  {:<20} {:>14} {c}",
                            e.entry.effective_date,
                            e.entry.kind.as_str(),
                            money(e.entry.ar_minor, c)
                        );
                    }
                }
                return Ok(());
            }
            emit(format.format, &table, &view)
        }
    }
}

/// Parses `DESCRIPTION:QUANTITY:UNIT_PRICE` (the description may hold colons).
pub(crate) fn parse_line(
    text: &str,
    currency: dun_core::Currency,
    tax_rate_ppm: i64,
) -> Result<InvoiceLine> {
    let mut parts = text.rsplitn(3, ':');
    let (Some(price), Some(quantity), Some(description)) =
        (parts.next(), parts.next(), parts.next())
    else {
        bail!("--line '{text}': write DESCRIPTION:QUANTITY:UNIT_PRICE, e.g. \"Design work:2.5:120.00\"");
    };
    let quantity_e4 = parse_quantity_e4(quantity).map_err(|e| anyhow!("--line '{text}': {e}"))?;
    let price = UnitPrice::parse(price, currency)
        .map_err(|e| anyhow!("--line '{text}': unit price: {e}"))?;
    InvoiceLine::priced(description.trim(), quantity_e4, price, tax_rate_ppm)
        .map_err(|e| anyhow!("--line '{text}': {e}"))
}

fn create(ctx: &mut Context, args: &InvoiceCreateArgs) -> Result<()> {
    let org_id = ctx.org.id;
    let customer = ctx.store.customer(org_id, &args.customer)?;
    let currency = ctx.currency_or_home(args.currency.as_deref())?;
    let tax_rate_ppm =
        parse_tax_rate_ppm(&args.tax_rate).map_err(|e| anyhow!("--tax-rate: {e}"))?;
    if args.lines.is_empty() {
        bail!("--line: an invoice needs at least one line, e.g. --line \"Design work:2.5:120.00\"");
    }
    let lines = args
        .lines
        .iter()
        .map(|l| parse_line(l, currency, tax_rate_ppm))
        .collect::<Result<Vec<_>>>()?;
    let terms = match &args.terms {
        Some(t) => Terms::parse(t).map_err(|e| anyhow!("--terms: {e}"))?,
        None => customer.terms.clone(),
    };
    let installments = parse_installments(&args.installments, currency)?;
    let draft = InvoiceDraft {
        customer_id: customer.id,
        currency,
        issue_date: ctx.date_or_today(args.issue_date.as_deref(), "issue-date")?,
        terms,
        description: args.description.clone(),
        lines,
        installments,
    };
    let totals = draft.totals();
    let key = args.key.key.as_deref();
    if args.issue {
        // One transaction: a refused issue leaves no draft behind.
        let author = args.credit.author.name();
        let posted =
            ctx.store
                .create_and_issue_invoice(org_id, &draft, args.credit.get(&author), key)?;
        print_posted("Issued", &posted);
    } else {
        let id = ctx.store.create_invoice(org_id, &draft, key)?;
        println!("Created draft #{id} for {}: total {} {currency}; issue it with `dun invoice issue '#{id}'`", customer.reference, money(totals.total_minor, currency));
    }
    Ok(())
}

/// `--installment DATE=AMOUNT` flags, in `currency`.
fn parse_installments(texts: &[String], currency: dun_core::Currency) -> Result<Vec<Installment>> {
    texts
        .iter()
        .map(|text| {
            let (date, amount_text) = text.split_once('=').ok_or_else(|| {
                anyhow!("--installment '{text}': write DATE=AMOUNT, e.g. 2026-03-01=500.00")
            })?;
            Ok(Installment {
                due_date: parse_date(date, "installment")?,
                amount_minor: amount(amount_text, currency, "installment")?,
            })
        })
        .collect()
}

/// `dun invoice edit`: the draft as it is, with what the flags say instead.
fn edit(ctx: &mut Context, args: &InvoiceEditArgs) -> Result<()> {
    let org_id = ctx.org.id;
    let today = ctx.today()?;
    let was = ctx.store.invoice(org_id, &args.invoice, today)?;
    let customer = match &args.customer {
        Some(reference) => ctx.store.customer(org_id, reference)?,
        None => ctx.store.customer(org_id, &was.customer_ref)?,
    };
    let currency = match &args.currency {
        Some(_) => ctx.currency_or_home(args.currency.as_deref())?,
        None => was.currency,
    };
    if currency != was.currency && args.lines.is_empty() {
        bail!("--currency: give the lines again with --line, priced in {currency}");
    }
    let lines = if args.lines.is_empty() {
        was.lines.clone()
    } else {
        let tax_rate_ppm =
            parse_tax_rate_ppm(&args.tax_rate).map_err(|e| anyhow!("--tax-rate: {e}"))?;
        args.lines
            .iter()
            .map(|l| parse_line(l, currency, tax_rate_ppm))
            .collect::<Result<Vec<_>>>()?
    };
    let terms = match (&args.terms, &args.customer) {
        (Some(t), _) => Terms::parse(t).map_err(|e| anyhow!("--terms: {e}"))?,
        (None, Some(_)) => customer.terms.clone(),
        (None, None) => was.terms.clone(),
    };
    let draft = InvoiceDraft {
        customer_id: customer.id,
        currency,
        issue_date: match &args.issue_date {
            Some(text) => parse_date(text, "issue-date")?,
            None => was.issue_date,
        },
        terms,
        description: args
            .description
            .clone()
            .unwrap_or_else(|| was.description.clone()),
        lines,
        installments: parse_installments(&args.installments, currency)?,
    };
    let total = draft.totals().total_minor;
    let id = ctx
        .store
        .replace_draft(org_id, &args.invoice, &draft, args.key.key.as_deref())?;
    println!(
        "Draft #{id} for {}: total {} {currency}; issue it with `dun invoice issue '#{id}'`",
        customer.reference,
        money(total, currency)
    );
    Ok(())
}

fn print_posted(verb: &str, p: &Posted) {
    let c = p.currency;
    match &p.document_number {
        Some(doc) => println!(
            "{verb} {doc} on invoice {}: {} {c}; open now {} {c}",
            p.number,
            money(p.amount_minor, c),
            money(p.open_minor, c)
        ),
        None => println!(
            "{verb} invoice {}: {} {c}; open now {} {c}",
            p.number,
            money(p.amount_minor, c),
            money(p.open_minor, c)
        ),
    }
}

pub fn reduce(ctx: &mut Context, args: ReduceArgs, kind: EntryKind) -> Result<()> {
    let org_id = ctx.org.id;
    let date = ctx.date_or_today(args.date.as_deref(), "date")?;
    let invoice = ctx.store.invoice(org_id, &args.invoice, date)?;
    let amount_minor = args
        .amount
        .as_deref()
        .map(|a| amount(a, invoice.currency, "amount"))
        .transpose()?;
    if args.reason.trim().is_empty() {
        bail!("--reason: say why, in a few words; it is kept with the entry");
    }
    let reduction = Reduction {
        kind,
        amount_minor,
        date,
        reason: args.reason.clone(),
    };
    let posted =
        ctx.store
            .reduce_invoice(org_id, &args.invoice, &reduction, args.key.key.as_deref())?;
    let verb = if kind == EntryKind::CreditNote {
        "Issued credit note"
    } else {
        "Wrote off"
    };
    match (&posted.document_number, kind) {
        (Some(_), _) => print_posted("Issued credit note", &posted),
        _ => print_posted(verb, &posted),
    }
    Ok(())
}
