//! The dunning letter (final demand) for a ladder's letter steps.

use dun_core::document::DocumentSettings;

use crate::canvas::{Font, Fonts, BLACK};
use crate::invoice::{footer_text, head, payment_block};
use crate::layout::{Align, Column, Doc, BODY_PT};
use crate::words::fill;
use crate::{LetterView, RenderError};

fn columns(cw: f32) -> [Column; 5] {
    let fixed = 80.0 + 80.0 + 80.0 + 100.0;
    [
        Column {
            width: cw - fixed,
            align: Align::Left,
        },
        Column {
            width: 80.0,
            align: Align::Left,
        },
        Column {
            width: 80.0,
            align: Align::Left,
        },
        Column {
            width: 80.0,
            align: Align::Right,
        },
        Column {
            width: 100.0,
            align: Align::Right,
        },
    ]
}

pub fn render(view: &LetterView, settings: &DocumentSettings) -> Result<Vec<u8>, RenderError> {
    let fonts = Fonts::load()?;
    let w = crate::words::words(settings.locale);
    let title = if view.title.is_empty() {
        w.final_demand
    } else {
        view.title.as_str()
    };
    let mut doc = Doc::new(
        &fonts,
        format!(
            "{title} · {} · {} {}",
            view.recipient.name, view.date, w.continued
        ),
        settings,
    );
    let cw = doc.content_width();
    let mut meta: Vec<(&str, String)> = vec![(w.date, view.date.clone())];
    if let Some(r) = &view.reference {
        meta.push((w.our_reference, r.clone()));
    }
    if !view.payment_reference.is_empty() {
        meta.push((w.payment_reference, view.payment_reference.clone()));
    }
    head(&mut doc, title, &view.sender, &meta);

    let top = doc.y;
    doc.y = doc.party(doc.x(), top, 260.0, w.to, &view.recipient) + 8.0;
    let x = doc.x();
    doc.paragraph(x, cw, Font::Bold, 11.0, BLACK, &view.subject);
    doc.y += 10.0;
    if !view.salutation.is_empty() {
        doc.paragraph(x, cw, Font::Regular, BODY_PT, BLACK, &view.salutation);
        doc.y += 6.0;
    }
    for p in &view.paragraphs {
        doc.paragraph(x, cw, Font::Regular, BODY_PT, BLACK, p);
        doc.y += 6.0;
    }

    let columns = columns(cw);
    doc.y += 4.0;
    doc.ensure(60.0);
    doc.table_header(&columns, &w.letter_labels);
    for (i, inv) in view.invoices.iter().enumerate() {
        doc.table_row(
            &columns,
            &w.letter_labels,
            &[
                format!("{}\n{}", inv.number, inv.payment_reference),
                inv.issue_date.clone(),
                inv.due_date.clone(),
                inv.days_overdue.clone(),
                inv.amount_open.clone(),
            ],
            Font::Regular,
            i % 2 == 1,
        );
    }
    doc.table_row(
        &columns,
        &w.letter_labels,
        &[
            fill(w.total_now_due, &[("currency", &view.currency)]),
            String::new(),
            String::new(),
            String::new(),
            view.total.clone(),
        ],
        Font::Bold,
        false,
    );
    doc.y += 10.0;
    for p in &view.closing_paragraphs {
        doc.paragraph(x, cw, Font::Regular, BODY_PT, BLACK, p);
        doc.y += 6.0;
    }
    payment_block(
        &mut doc,
        &view.payment_instructions,
        view.portal_link.as_deref(),
        None,
    );
    // The sign-off and the signature stay together.
    doc.ensure(52.0);
    doc.y += 10.0;
    if !view.sign_off.is_empty() {
        doc.paragraph(x, cw, Font::Regular, BODY_PT, BLACK, &view.sign_off);
    }
    if !view.signature.is_empty() {
        doc.y += 14.0;
        doc.paragraph(x, cw, Font::Bold, BODY_PT, BLACK, &view.signature);
    }

    let footer = footer_text(&view.sender, &format!("{title} · {}", view.date));
    let pages = doc.finish(&footer);
    crate::canvas::write_pdf(
        &fonts,
        &pages,
        &crate::canvas::Info {
            title: &format!("{title}: {}", view.recipient.name),
            paper: settings.paper,
            logo: settings.logo.as_ref(),
            author: &view.sender.name,
        },
    )
}
