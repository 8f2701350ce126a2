//! Writing rows as CSV, in the same columns the reader takes, so an export
//! imports back as it was — through [`crate::SafeWriter`], so no cell runs
//! as a spreadsheet formula.

use std::io::Write;

use dun_core::import::{CustomerRow, InvoiceRow, PaymentRow};
use dun_core::invoice::{format_quantity, format_tax_rate};
use dun_core::money::format_minor;
use dun_core::Currency;

pub fn write_customers<W: Write>(
    out: W,
    rows: &[CustomerRow],
    currency: Currency,
) -> csv::Result<()> {
    let mut w = crate::SafeWriter::new(out);
    w.write_record(crate::CUSTOMER_COLUMNS)?;
    for c in rows {
        let limit = c
            .credit_limit_minor
            .map(|l| format_minor(l, currency))
            .unwrap_or_default();
        let terms = c
            .terms
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        let methods = dun_core::customer::PaymentMethod::list_text(c.payment_methods.as_deref())
            .unwrap_or_default();
        w.write_record([
            c.reference.as_str(),
            c.name.as_str(),
            c.email.as_deref().unwrap_or(""),
            c.phone.as_deref().unwrap_or(""),
            limit.as_str(),
            terms.as_str(),
            c.notes.as_deref().unwrap_or(""),
            methods.as_str(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// One row per invoice line.
pub fn write_invoices<W: Write>(out: W, rows: &[InvoiceRow]) -> csv::Result<()> {
    let mut w = crate::SafeWriter::new(out);
    w.write_record(crate::INVOICE_COLUMNS)?;
    for i in rows {
        let (issue, due) = (i.issue_date.to_string(), i.due_date.to_string());
        for line in &i.lines {
            let quantity = format_quantity(line.quantity_e4);
            let price = line.unit_price.format(i.currency);
            let tax = format_tax_rate(line.tax_rate_ppm);
            w.write_record([
                i.number.as_str(),
                i.customer_ref.as_str(),
                issue.as_str(),
                due.as_str(),
                i.currency.code(),
                line.description.as_str(),
                "",
                quantity.as_str(),
                price.as_str(),
                tax.as_str(),
            ])?;
        }
    }
    w.flush()?;
    Ok(())
}

pub fn write_payments<W: Write>(out: W, rows: &[PaymentRow]) -> csv::Result<()> {
    let mut w = crate::SafeWriter::new(out);
    w.write_record(crate::PAYMENT_COLUMNS)?;
    for p in rows {
        let date = p.received_date.to_string();
        let amount = format_minor(p.amount_minor, p.currency);
        w.write_record([
            date.as_str(),
            p.customer_ref.as_str(),
            amount.as_str(),
            p.currency.code(),
            p.reference.as_str(),
            p.invoice_number.as_deref().unwrap_or(""),
            p.method.as_str(),
        ])?;
    }
    w.flush()?;
    Ok(())
}
