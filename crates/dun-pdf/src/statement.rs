//! The statement of account.

use dun_core::document::DocumentSettings;

use crate::canvas::{Font, Fonts, BLACK, GREY, RULE, SHADE};
use crate::invoice::{amount_box, footer_text, head, payment_block};
use crate::layout::{Align, Column, Doc, BODY_PT, SMALL_PT};
use crate::words::fill;
use crate::{RenderError, StatementView};

fn columns(cw: f32) -> [Column; 5] {
    let fixed = 76.0 + 74.0 + 74.0 + 78.0;
    [
        Column {
            width: 76.0,
            align: Align::Left,
        },
        Column {
            width: cw - fixed,
            align: Align::Left,
        },
        Column {
            width: 74.0,
            align: Align::Right,
        },
        Column {
            width: 74.0,
            align: Align::Right,
        },
        Column {
            width: 78.0,
            align: Align::Right,
        },
    ]
}

pub fn render(view: &StatementView, settings: &DocumentSettings) -> Result<Vec<u8>, RenderError> {
    let fonts = Fonts::load()?;
    let w = crate::words::words(settings.locale);
    let title = w.statement_of_account;
    let mut doc = Doc::new(
        &fonts,
        format!(
            "{title} · {} · {} {}",
            view.customer.name, view.period, w.continued
        ),
        settings,
    );
    let cw = doc.content_width();
    let mut meta: Vec<(&str, String)> = vec![
        (w.date, view.date.clone()),
        (w.period, view.period.clone()),
        (w.currency, view.currency.clone()),
    ];
    if let Some(r) = &view.customer_reference {
        meta.push((w.customer, r.clone()));
    }
    head(&mut doc, w.statement, &view.seller, &meta);

    let top = doc.y;
    let party_end = doc.party(doc.x(), top, 250.0, w.statement_for, &view.customer);
    let box_end = amount_box(
        &mut doc,
        top - 10.0,
        &fill(w.balance, &[("currency", &view.currency)]),
        &view.closing_balance,
        &fill(w.as_of, &[("date", &view.date)]),
        &view.payment_reference,
    );
    doc.y = party_end.max(box_end) + 16.0;

    // Summary strip: opening, charges, credits, closing.
    let cells = [
        (w.opening_balance, &view.opening_balance),
        (w.charges, &view.total_charges),
        (w.payments_and_credits, &view.total_credits),
        (w.closing_balance, &view.closing_balance),
    ];
    let cell_w = cw / cells.len() as f32;
    let (x0, y) = (doc.x(), doc.y);
    doc.page().rect(x0, y, cw, 40.0, SHADE);
    for (i, (label, amount)) in cells.iter().enumerate() {
        let x = x0 + cell_w * i as f32;
        if i > 0 {
            doc.page().line(x, y + 6.0, x, y + 34.0, 0.5, RULE);
        }
        doc.page()
            .text(x + 10.0, y + 14.0, Font::Regular, SMALL_PT, GREY, label);
        doc.page()
            .text(x + 10.0, y + 31.0, Font::Bold, 11.0, BLACK, amount);
    }
    doc.y += 54.0;

    let columns = columns(cw);
    doc.table_header(&columns, &w.statement_labels);
    let period_start = view.period_start.clone();
    doc.table_row(
        &columns,
        &w.statement_labels,
        &[
            period_start,
            w.opening_balance.into(),
            String::new(),
            String::new(),
            view.opening_balance.clone(),
        ],
        Font::Bold,
        false,
    );
    for (i, line) in view.lines.iter().enumerate() {
        doc.table_row(
            &columns,
            &w.statement_labels,
            &[
                line.date.clone(),
                line.description.clone(),
                line.charge.clone(),
                line.credit.clone(),
                line.balance.clone(),
            ],
            Font::Regular,
            i % 2 == 0,
        );
    }
    doc.table_row(
        &columns,
        &w.statement_labels,
        &[
            view.date.clone(),
            w.closing_balance.into(),
            view.total_charges.clone(),
            view.total_credits.clone(),
            view.closing_balance.clone(),
        ],
        Font::Bold,
        false,
    );

    if !view.aging.is_empty() {
        doc.y += 8.0;
        doc.section(&fill(w.open_by_age, &[("currency", &view.currency)]));
        doc.ensure(50.0);
        doc.y += 4.0;
        let n = view.aging.len() as f32;
        let col_w = cw / n;
        let labels: Vec<&str> = view.aging.iter().map(|a| a.label.as_str()).collect();
        let cols: Vec<Column> = (0..view.aging.len())
            .map(|_| Column {
                width: col_w,
                align: Align::Right,
            })
            .collect();
        doc.table_header(&cols, &labels);
        let amounts: Vec<String> = view.aging.iter().map(|a| a.amount.clone()).collect();
        doc.table_row(&cols, &labels, &amounts, Font::Bold, false);
    }
    if let Some(credit) = &view.unapplied_credit {
        doc.y += 6.0;
        let x = doc.x();
        doc.paragraph(
            x,
            cw,
            Font::Regular,
            BODY_PT,
            BLACK,
            &fill(
                w.unapplied,
                &[("amount", &format!("{credit} {}", view.currency))],
            ),
        );
    }
    payment_block(
        &mut doc,
        &view.payment_instructions,
        view.portal_link.as_deref(),
        view.payment_qr.as_deref(),
    );

    let footer = footer_text(
        &view.seller,
        &format!(
            "{} {} · {}",
            w.statement_for, view.customer.name, view.period
        ),
    );
    let pages = doc.finish(&footer);
    crate::canvas::write_pdf(
        &fonts,
        &pages,
        &crate::canvas::Info {
            title: &format!("{title}: {}, {}", view.customer.name, view.period),
            paper: settings.paper,
            logo: settings.logo.as_ref(),
            author: &view.seller.name,
        },
    )
}
