//! The calculation sheet of an invoice under a late-payment law, as PDF:
//! each month's statutory interest with its periods (days, principal,
//! reference rate, margin, rate, interest before the month's one
//! rounding), the fixed compensation and the totals — what a debtor or a
//! court checks by hand. The figures come from dun-core
//! `law::calculation_sheet`; this file only lays them out.

use dun_core::collections::law::CalculationSheet;
use dun_core::document::{DocumentLocale, DocumentSettings};
use dun_core::party::Party;
use dun_core::{Currency, Date};
use serde::Serialize;

use crate::canvas::{Font, Fonts, BLACK};
use crate::invoice::{footer_text, head};
use crate::layout::{Align, Column, Doc, BODY_PT};
use crate::views::{amount, party};
use crate::{LabelledAmount, PartyView, RenderError};

const LABELS: [&str; 8] = [
    "From",
    "Through",
    "Days",
    "Principal",
    "Reference rate",
    "Margin",
    "Rate",
    "Interest",
];

/// One row of the sheet: a period of a month, or a month's total (its
/// `from` the month, `through` the word "total").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InterestSheetRow {
    pub from: String,
    pub through: String,
    pub days: String,
    pub principal: String,
    pub reference: String,
    pub margin: String,
    pub rate: String,
    pub interest: String,
    /// A month's total row (printed bold).
    pub total: bool,
}

/// The sheet with its text formatted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InterestSheetView {
    pub creditor: PartyView,
    pub debtor: PartyView,
    pub debtor_reference: String,
    pub invoice: String,
    pub date: String,
    /// "Code de commerce art. L441-10 (France): statutory interest runs from 2026-02-01."
    pub basis: String,
    pub rows: Vec<InterestSheetRow>,
    pub totals: Vec<LabelledAmount>,
    /// Whether the sheet's interest is what the ledger holds, in words.
    pub ledger: String,
}

/// What names the sheet's parties and invoice.
pub struct SheetFacts<'a> {
    pub creditor: &'a Party,
    pub debtor: &'a Party,
    pub debtor_reference: &'a str,
    pub invoice: &'a str,
    pub currency: Currency,
    pub as_of: Date,
    pub sheet: &'a CalculationSheet,
}

/// The sheet's text: amounts in the invoice's currency, each period's
/// interest with two more places than the currency (as summed before the
/// month's one rounding).
pub fn interest_sheet_view(f: SheetFacts<'_>) -> InterestSheetView {
    let c = f.currency;
    let money = |minor: i64| format!("{} {c}", amount(minor, c));
    let mut rows = Vec::new();
    for month in &f.sheet.months {
        let key = month.from.to_string()[..7].to_string();
        for p in &month.periods {
            rows.push(InterestSheetRow {
                from: p.from.to_string(),
                through: p.through.to_string(),
                days: p.days.to_string(),
                principal: amount(p.principal_minor, c),
                reference: format!("{} % from {}", p.reference, p.reference_in_force_from),
                margin: format!("{} pts", p.margin),
                rate: format!("{} %", p.rate),
                interest: p.exact_interest(c),
                total: false,
            });
        }
        rows.push(InterestSheetRow {
            from: key,
            through: "total".into(),
            days: month
                .periods
                .iter()
                .map(|p| p.days)
                .sum::<i32>()
                .to_string(),
            principal: String::new(),
            reference: String::new(),
            margin: String::new(),
            rate: String::new(),
            interest: amount(month.amount_minor, c),
            total: true,
        });
    }
    let s = f.sheet;
    let series = s
        .months
        .iter()
        .flat_map(|m| m.periods.first())
        .next()
        .map(|p| format!(" The reference rate is the {}, read from the row of Dun's rate table in force from the day shown.", p.reference_series.title()))
        .unwrap_or_default();
    InterestSheetView {
        creditor: party(f.creditor),
        debtor: party(f.debtor),
        debtor_reference: f.debtor_reference.to_string(),
        invoice: f.invoice.to_string(),
        date: f.as_of.to_string(),
        basis: format!(
            "Statutory interest on invoice {} under {} runs from {}: simple interest on the overdue principal only, day by day over a 365-day year, summed per calendar month and rounded half-even once.{series}",
            f.invoice,
            s.law.title(),
            s.starts
        ),
        rows,
        totals: vec![
            LabelledAmount {
                label: format!("Interest, months ended before {}", f.as_of),
                amount: money(s.interest_minor),
            },
            LabelledAmount {
                label: "Fixed compensation".into(),
                amount: money(s.compensation_minor),
            },
            LabelledAmount {
                label: "Interest and compensation".into(),
                amount: money(s.interest_minor + s.compensation_minor),
            },
        ],
        ledger: if s.matches_ledger() {
            format!(
                "The interest above is what the ledger holds for this invoice ({}).",
                money(s.posted_interest_minor)
            )
        } else {
            format!(
                "The ledger holds {} of interest for this invoice: a month the daily run has not posted yet, or money learnt late that its next run corrects.",
                money(s.posted_interest_minor)
            )
        },
    }
}

fn columns(content_width: f32) -> [Column; 8] {
    let fixed = 68.0 + 68.0 + 34.0 + 70.0 + 52.0 + 52.0 + 66.0;
    let col = |width, align| Column { width, align };
    [
        col(68.0, Align::Left),
        col(68.0, Align::Left),
        col(34.0, Align::Right),
        col(70.0, Align::Right),
        col(content_width - fixed, Align::Left),
        col(52.0, Align::Right),
        col(52.0, Align::Right),
        col(66.0, Align::Right),
    ]
}

/// The calculation sheet as PDF bytes: in English whatever the document
/// locale (its figures are written as the CLI's and the API's sheet), on
/// the organisation's paper, with its logo.
pub fn render(
    view: &InterestSheetView,
    settings: &DocumentSettings,
) -> Result<Vec<u8>, RenderError> {
    let fonts = Fonts::load()?;
    let settings = &DocumentSettings {
        locale: DocumentLocale::En,
        ..settings.clone()
    };
    let mut doc = Doc::new(
        &fonts,
        format!("Calculation of interest · {} (continued)", view.invoice),
        settings,
    );
    let cw = doc.content_width();
    let meta: Vec<(&str, String)> = vec![
        ("Invoice", view.invoice.clone()),
        ("Date", view.date.clone()),
        ("Debtor", view.debtor_reference.clone()),
    ];
    head(&mut doc, "Interest", &view.creditor, &meta);
    let (x, top) = (doc.x(), doc.y);
    doc.y = doc.party(x, top, 250.0, "Debtor", &view.debtor) + 12.0;
    doc.paragraph(x, cw, Font::Regular, BODY_PT, BLACK, &view.basis);

    doc.section("Statutory interest by month");
    let columns = columns(cw);
    doc.table_header(&columns, &LABELS);
    for (i, row) in view.rows.iter().enumerate() {
        doc.table_row(
            &columns,
            &LABELS,
            &[
                row.from.clone(),
                row.through.clone(),
                row.days.clone(),
                row.principal.clone(),
                row.reference.clone(),
                row.margin.clone(),
                row.rate.clone(),
                row.interest.clone(),
            ],
            if row.total { Font::Bold } else { Font::Regular },
            i % 2 == 0,
        );
    }
    if view.rows.is_empty() {
        doc.paragraph(
            x,
            cw,
            Font::Regular,
            BODY_PT,
            BLACK,
            "No whole month of interest has ended yet.",
        );
    }

    doc.section("Totals");
    for total in &view.totals {
        doc.ensure(16.0);
        doc.y += 14.0;
        let (right, y) = (doc.right(), doc.y);
        doc.page()
            .text(x, y, Font::Regular, BODY_PT, BLACK, &total.label);
        doc.text_right(right, y, Font::Bold, BODY_PT, BLACK, &total.amount);
    }
    doc.y += 8.0;
    doc.paragraph(x, cw, Font::Regular, BODY_PT, BLACK, &view.ledger);

    let footer = footer_text(
        &view.creditor,
        &format!("Calculation of interest: {}", view.invoice),
    );
    let pages = doc.finish(&footer);
    crate::canvas::write_pdf(
        &fonts,
        &pages,
        &crate::canvas::Info {
            title: &format!("Calculation of interest: {}, {}", view.invoice, view.date),
            paper: settings.paper,
            logo: settings.logo.as_ref(),
            author: &view.creditor.name,
        },
    )
}
