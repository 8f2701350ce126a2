//! The invoice (and credit note) document.

use dun_core::document::DocumentSettings;

use crate::canvas::{Font, Fonts, ACCENT, ACCENT_LIGHT, BLACK, GREY};
use crate::layout::{Align, Column, Doc, BODY_PT, SMALL_PT};
use crate::words::fill;
use crate::{InvoiceView, RenderError};

fn line_columns(cw: f32) -> [Column; 5] {
    let fixed = 50.0 + 82.0 + 48.0 + 88.0;
    [
        Column {
            width: cw - fixed,
            align: Align::Left,
        },
        Column {
            width: 50.0,
            align: Align::Right,
        },
        Column {
            width: 82.0,
            align: Align::Right,
        },
        Column {
            width: 48.0,
            align: Align::Right,
        },
        Column {
            width: 88.0,
            align: Align::Right,
        },
    ]
}

/// The box the logo is scaled into, keeping its aspect ratio, in points
/// (about 63 × 21 mm).
pub(crate) const LOGO_BOX_WIDTH_PT: f32 = 180.0;
pub(crate) const LOGO_BOX_HEIGHT_PT: f32 = 60.0;

/// Draws the document's head on the first page: the seller on the left,
/// the title and its figures on the right. Returns where it ends.
pub(crate) fn head(
    doc: &mut Doc<'_>,
    title: &str,
    seller: &crate::PartyView,
    meta: &[(&str, String)],
) {
    let (x, right) = (doc.x(), doc.right());
    let top = doc.y + 14.0;
    // The logo, top left, scaled to its box; the seller under it.
    let mut y = top + 4.0;
    if let Some(logo) = doc.settings.logo.as_ref() {
        let (w, h) = logo.fit(LOGO_BOX_WIDTH_PT, LOGO_BOX_HEIGHT_PT);
        doc.page().logo(x, top - 10.0, w, h);
        y = top - 10.0 + h + 18.0;
    }
    for line in doc.fonts.wrap(Font::Bold, 15.0, &seller.name, 260.0) {
        doc.page().text(x, y, Font::Bold, 15.0, BLACK, &line);
        y += 18.0;
    }
    for line in &seller.lines {
        doc.page().text(x, y, Font::Regular, SMALL_PT, GREY, line);
        y += 11.0;
    }
    // Title, top right.
    doc.text_right(right, top + 10.0, Font::Bold, 24.0, ACCENT, title);
    let mut my = top + 32.0;
    for (label, value) in meta {
        let w = doc.width(Font::Bold, BODY_PT, value);
        doc.page()
            .text(right - 190.0, my, Font::Regular, SMALL_PT, GREY, label);
        doc.page()
            .text(right - w, my, Font::Bold, BODY_PT, BLACK, value);
        my += 14.0;
    }
    doc.y = y.max(my) + 10.0;
    let y = doc.y;
    doc.page().line(x, y, right, y, 1.2, ACCENT);
    doc.y += 16.0;
}

/// A shaded box on the right with a label, a large figure, a note and,
/// when there is one, the payment reference to quote.
pub(crate) fn amount_box(
    doc: &mut Doc<'_>,
    y: f32,
    label: &str,
    amount: &str,
    note: &str,
    reference: &str,
) -> f32 {
    let w = 190.0;
    let h = if reference.is_empty() { 66.0 } else { 96.0 };
    let x = doc.right() - w;
    doc.page().rect(x, y, w, h, ACCENT_LIGHT);
    doc.page().rect(x, y, 3.0, h, ACCENT);
    doc.page().text(
        x + 14.0,
        y + 17.0,
        Font::Bold,
        SMALL_PT,
        ACCENT,
        &label.to_uppercase(),
    );
    doc.page()
        .text(x + 14.0, y + 40.0, Font::Bold, 17.0, BLACK, amount);
    doc.page()
        .text(x + 14.0, y + 56.0, Font::Regular, SMALL_PT, GREY, note);
    if !reference.is_empty() {
        let label = doc.words().payment_reference.to_uppercase();
        doc.page()
            .text(x + 14.0, y + 72.0, Font::Bold, SMALL_PT, ACCENT, &label);
        doc.page()
            .text(x + 14.0, y + 86.0, Font::Bold, 10.5, BLACK, reference);
    }
    y + h
}

pub fn render(view: &InvoiceView, settings: &DocumentSettings) -> Result<Vec<u8>, RenderError> {
    let fonts = Fonts::load()?;
    let w = crate::words::words(settings.locale);
    let title = if view.title.is_empty() {
        w.invoice
    } else {
        view.title.as_str()
    };
    let mut doc = Doc::new(
        &fonts,
        format!("{title} {} {}", view.number, w.continued),
        settings,
    );
    let cw = doc.content_width();
    let mut meta: Vec<(&str, String)> = vec![
        (w.number, view.number.clone()),
        (w.issue_date, view.issue_date.clone()),
    ];
    match &view.credits_invoice {
        Some(invoice) => meta.push((w.credits_invoice, invoice.clone())),
        None => meta.push((w.due_date, view.due_date.clone())),
    }
    if let Some(r) = &view.customer_reference {
        meta.push((w.customer, r.clone()));
    }
    head(&mut doc, title, &view.seller, &meta);

    // Bill to, and the amount due (a credit note: the amount credited).
    let top = doc.y;
    let bill_end = doc.party(doc.x(), top, 250.0, w.bill_to, &view.buyer);
    let box_end = match &view.credits_invoice {
        Some(invoice) => amount_box(
            &mut doc,
            top - 10.0,
            &fill(w.credited, &[("currency", &view.currency)]),
            &view.total,
            &fill(w.against_invoice, &[("invoice", invoice)]),
            "",
        ),
        None => amount_box(
            &mut doc,
            top - 10.0,
            &fill(w.amount_due, &[("currency", &view.currency)]),
            &view.amount_due,
            &fill(w.due_on, &[("date", &view.due_date)]),
            &view.payment_reference,
        ),
    };
    doc.y = bill_end.max(box_end) + 12.0;
    if let Some(d) = view.description.as_deref().filter(|d| !d.is_empty()) {
        let x = doc.x();
        doc.paragraph(x, cw, Font::Regular, BODY_PT, BLACK, d);
        doc.y += 8.0;
    }

    // Lines.
    let columns = line_columns(cw);
    doc.ensure(60.0);
    doc.table_header(&columns, &w.line_labels);
    for (i, line) in view.lines.iter().enumerate() {
        doc.table_row(
            &columns,
            &w.line_labels,
            &[
                line.description.clone(),
                line.quantity.clone(),
                line.unit_price.clone(),
                line.tax_rate.clone(),
                line.amount.clone(),
            ],
            Font::Regular,
            i % 2 == 1,
        );
    }

    // Totals, right.
    let mut rows: Vec<(String, String, bool)> =
        vec![(w.subtotal.into(), view.subtotal.clone(), false)];
    for t in &view.taxes {
        rows.push((t.label.clone(), t.amount.clone(), false));
    }
    rows.push((
        fill(w.total, &[("currency", &view.currency)]),
        view.total.clone(),
        true,
    ));
    if let Some(fees) = &view.fees_and_interest {
        rows.push((w.fees_and_interest.into(), fees.clone(), false));
    }
    if let Some(paid) = &view.paid {
        rows.push((w.paid_and_credited.into(), format!("-{paid}"), false));
    }
    if view.paid.is_some() || view.fees_and_interest.is_some() {
        rows.push((
            fill(w.amount_due, &[("currency", &view.currency)]),
            view.amount_due.clone(),
            true,
        ));
    }
    doc.ensure(rows.len() as f32 * 18.0 + 20.0);
    doc.y += 8.0;
    let right = doc.right();
    let label_x = right - 230.0;
    for (label, amount, strong) in &rows {
        if *strong {
            let y = doc.y + 6.0;
            doc.page().line(label_x, y, right, y, 0.8, BLACK);
            doc.y += 7.0;
        }
        doc.y += 16.0;
        let (font, size) = if *strong {
            (Font::Bold, 10.5)
        } else {
            (Font::Regular, BODY_PT)
        };
        let y = doc.y;
        doc.page().text(label_x, y, font, size, BLACK, label);
        doc.text_right(right - 6.0, y, font, size, BLACK, amount);
    }
    doc.y += 10.0;

    if !view.installments.is_empty() {
        doc.section(w.installments);
        for i in &view.installments {
            doc.ensure(14.0);
            doc.y += 14.0;
            let (x, y) = (doc.x(), doc.y);
            doc.page()
                .text(x, y, Font::Regular, BODY_PT, BLACK, &i.label);
            doc.text_right(x + 250.0, y, Font::Regular, BODY_PT, BLACK, &i.amount);
        }
        doc.y += 4.0;
    }

    let x = doc.x();
    if !view.payment_terms.is_empty() {
        doc.section(if view.credits_invoice.is_some() {
            w.about_credit_note
        } else {
            w.payment_terms
        });
        doc.paragraph(x, cw, Font::Regular, BODY_PT, BLACK, &view.payment_terms);
    }
    if let Some(late) = view.late_payment.as_deref().filter(|l| !l.is_empty()) {
        doc.section(w.late_payment);
        doc.paragraph(x, cw, Font::Regular, BODY_PT, BLACK, late);
    }
    payment_block(
        &mut doc,
        &view.payment_instructions,
        view.portal_link.as_deref(),
        view.payment_qr.as_deref(),
    );

    let footer = footer_text(&view.seller, &format!("{title} {}", view.number));
    let pages = doc.finish(&footer);
    crate::canvas::write_pdf(
        &fonts,
        &pages,
        &crate::canvas::Info {
            title: &format!("{title} {}", view.number),
            paper: settings.paper,
            logo: settings.logo.as_ref(),
            author: &view.seller.name,
        },
    )
}

/// The side of the EPC QR code, quiet zone included, in points (31 mm:
/// a module of the version-6 code an invoice's payload makes is 0.6 mm,
/// well above what a phone's camera reads).
const QR_SIDE_PT: f32 = 88.0;

/// "How to pay", the EPC QR code beside it when `qr` (its payload) is
/// given, and the portal link: shared by every document.
pub(crate) fn payment_block(
    doc: &mut Doc<'_>,
    instructions: &[String],
    portal: Option<&str>,
    qr: Option<&str>,
) {
    if instructions.is_empty() && portal.is_none() && qr.is_none() {
        return;
    }
    let matrix = qr.and_then(crate::qr::Matrix::encode);
    // The block stays on one page: a link apart from its sentence helps
    // no one, nor a code apart from what it pays.
    let lines = instructions.len() + if portal.is_some() { 2 } else { 0 };
    let text_height = lines as f32 * 14.0;
    let qr_height = if matrix.is_some() {
        QR_SIDE_PT + 14.0
    } else {
        0.0
    };
    doc.ensure(30.0 + text_height.max(qr_height));
    let w = doc.words();
    doc.section(w.how_to_pay);
    let cw = doc.content_width();
    let top = doc.y;
    let x = doc.x();
    let width = if matrix.is_some() {
        cw - QR_SIDE_PT - 16.0
    } else {
        cw
    };
    for line in instructions {
        doc.paragraph(x, width, Font::Regular, BODY_PT, BLACK, line);
    }
    if let Some(link) = portal {
        doc.y += 4.0;
        doc.paragraph(x, width, Font::Regular, BODY_PT, BLACK, w.pay_online);
        doc.paragraph(x, width, Font::Bold, BODY_PT, ACCENT, link);
    }
    if let Some(m) = matrix {
        let left = doc.right() - QR_SIDE_PT;
        let code_top = top + 4.0;
        draw_qr(doc, &m, left, code_top, QR_SIDE_PT);
        // Under the code, ending where it ends (it is wider than the code).
        let caption_y = code_top + QR_SIDE_PT + 9.0;
        let right = doc.right();
        doc.text_right(
            right,
            caption_y,
            Font::Regular,
            SMALL_PT,
            GREY,
            w.qr_caption,
        );
        doc.y = doc.y.max(caption_y + 4.0);
    }
}

/// The QR code as filled squares in a `side`-point square at (`x`, `y`),
/// its quiet zone inside the square and left white.
fn draw_qr(doc: &mut Doc<'_>, m: &crate::qr::Matrix, x: f32, y: f32, side: f32) {
    let modules = m.width + 2 * crate::qr::QUIET_ZONE_MODULES;
    let unit = side / modules as f32;
    let origin = crate::qr::QUIET_ZONE_MODULES as f32 * unit;
    doc.page().rect(x, y, side, side, crate::canvas::WHITE);
    for (row, col, len) in m.runs() {
        doc.page().rect(
            x + origin + col as f32 * unit,
            y + origin + row as f32 * unit,
            len as f32 * unit,
            unit,
            crate::canvas::QR_DARK,
        );
    }
}

pub(crate) fn footer_text(seller: &crate::PartyView, document: &str) -> String {
    format!("{} · {document}", seller.name)
}
