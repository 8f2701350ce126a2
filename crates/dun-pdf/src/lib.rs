//! Dun's documents as PDF: the invoice (and credit note), the statement of
//! account, the dunning letter, the claim file and the calculation sheet of
//! statutory interest.
//!
//! The renderer takes plain view structs ([`InvoiceView`], [`StatementView`],
//! [`LetterView`]) whose text is already formatted, lays them out itself
//! (on the organisation's paper, A4 or US Letter, its own simple flow with page breaks and page numbers) and writes the
//! PDF with `pdf-writer`, embedding the vendored DejaVu Sans faces subset to
//! the glyphs used. Nothing is fetched at build or run time; no I/O, no clock.
//! [`views`] builds the view structs from `dun-core` types.

mod canvas;
mod claim;
mod invoice;
mod layout;
mod letter;
mod model;
pub mod qr;
pub mod sheet;
mod statement;
pub mod views;
pub mod words;

pub use dun_core::document::{DocumentLocale, DocumentSettings, Logo, Paper};
pub use model::*;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("{0}")]
    Font(String),
    #[error("{0}")]
    Logo(String),
}

/// The invoice (or, titled so, the credit note) as PDF bytes.
pub fn render_invoice(
    view: &InvoiceView,
    settings: &DocumentSettings,
) -> Result<Vec<u8>, RenderError> {
    invoice::render(view, settings)
}

/// The statement of account as PDF bytes.
pub fn render_statement(
    view: &StatementView,
    settings: &DocumentSettings,
) -> Result<Vec<u8>, RenderError> {
    statement::render(view, settings)
}

/// The claim file for an agency or a court as PDF bytes.
pub fn render_claim_file(
    view: &ClaimFileView,
    settings: &DocumentSettings,
) -> Result<Vec<u8>, RenderError> {
    claim::render(view, settings)
}

/// The dunning letter as PDF bytes.
pub fn render_letter(
    view: &LetterView,
    settings: &DocumentSettings,
) -> Result<Vec<u8>, RenderError> {
    letter::render(view, settings)
}

/// The calculation sheet of an invoice's statutory interest as PDF bytes.
pub fn render_interest_sheet(
    view: &sheet::InterestSheetView,
    settings: &dun_core::document::DocumentSettings,
) -> Result<Vec<u8>, RenderError> {
    sheet::render(view, settings)
}
