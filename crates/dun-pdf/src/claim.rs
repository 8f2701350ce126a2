//! The claim file: one debtor's open invoices and the history of how they
//! were chased, for a collection agency or a small-claims court.

use dun_core::document::DocumentSettings;

use crate::canvas::{Font, Fonts, BLACK};
use crate::invoice::{footer_text, head};
use crate::layout::{Align, Column, Doc, BODY_PT};
use crate::{ClaimFileView, RenderError};

const INVOICE_LABELS: [&str; 7] = [
    "Invoice",
    "Issued",
    "Due",
    "Days late",
    "Currency",
    "Total",
    "Open",
];
const HISTORY_LABELS: [&str; 4] = ["Date", "What", "Details", "By"];

fn column(width: f32, align: Align) -> Column {
    Column { width, align }
}

fn invoice_columns(cw: f32) -> [Column; 7] {
    let fixed = 74.0 + 74.0 + 52.0 + 52.0 + 74.0 + 74.0;
    [
        column(cw - fixed, Align::Left),
        column(74.0, Align::Left),
        column(74.0, Align::Left),
        column(52.0, Align::Right),
        column(52.0, Align::Left),
        column(74.0, Align::Right),
        column(74.0, Align::Right),
    ]
}

fn history_columns(cw: f32) -> [Column; 4] {
    let fixed = 74.0 + 90.0 + 120.0;
    [
        column(74.0, Align::Left),
        column(90.0, Align::Left),
        column(cw - fixed, Align::Left),
        column(120.0, Align::Left),
    ]
}

pub fn render(view: &ClaimFileView, settings: &DocumentSettings) -> Result<Vec<u8>, RenderError> {
    let fonts = Fonts::load()?;
    // For an agency or a court: in English whatever the document locale
    // (its CSVs beside it are), on the organisation's paper, with its logo.
    let settings = &DocumentSettings {
        locale: dun_core::document::DocumentLocale::En,
        ..settings.clone()
    };
    let mut doc = Doc::new(
        &fonts,
        format!("Claim file · {} (continued)", view.debtor.name),
        settings,
    );
    let cw = doc.content_width();
    let meta: Vec<(&str, String)> = vec![
        ("Date", view.date.clone()),
        ("Debtor", view.debtor_reference.clone()),
    ];
    head(&mut doc, "Claim file", &view.creditor, &meta);
    let top = doc.y;
    let x = doc.x();
    let debtor_end = doc.party(x, top, 250.0, "Debtor", &view.debtor);
    let mut y = top;
    for claimed in &view.claimed {
        y += 14.0;
        doc.text_right(
            doc.right(),
            y,
            Font::Bold,
            11.0,
            BLACK,
            &format!("{}: {}", claimed.label, claimed.amount),
        );
    }
    doc.y = debtor_end.max(y) + 12.0;
    doc.paragraph(x, cw, Font::Regular, BODY_PT, BLACK, &view.standing);

    doc.section("Open invoices");
    let columns = invoice_columns(cw);
    doc.table_header(&columns, &INVOICE_LABELS);
    for (i, inv) in view.invoices.iter().enumerate() {
        doc.table_row(
            &columns,
            &INVOICE_LABELS,
            &[
                inv.number.clone(),
                inv.issue_date.clone(),
                inv.due_date.clone(),
                inv.days_past_due.clone(),
                inv.currency.clone(),
                inv.total.clone(),
                inv.open.clone(),
            ],
            Font::Regular,
            i % 2 == 0,
        );
    }

    doc.section("Reminders, letters, calls, promises and disputes, oldest first");
    let columns = history_columns(cw);
    doc.table_header(&columns, &HISTORY_LABELS);
    for (i, event) in view.history.iter().enumerate() {
        doc.table_row(
            &columns,
            &HISTORY_LABELS,
            &[
                event.date.clone(),
                event.kind.clone(),
                event.summary.clone(),
                event.author.clone(),
            ],
            Font::Regular,
            i % 2 == 0,
        );
    }

    if !view.enclosures.is_empty() {
        doc.section("Enclosed");
        let x = doc.x();
        for name in &view.enclosures {
            doc.paragraph(x, cw, Font::Regular, BODY_PT, BLACK, name);
        }
    }

    let footer = footer_text(&view.creditor, &format!("Claim file: {}", view.debtor.name));
    let pages = doc.finish(&footer);
    crate::canvas::write_pdf(
        &fonts,
        &pages,
        &crate::canvas::Info {
            title: &format!("Claim file: {}, {}", view.debtor.name, view.date),
            paper: settings.paper,
            logo: settings.logo.as_ref(),
            author: &view.creditor.name,
        },
    )
}
