//! The calculation sheet of an invoice's statutory interest as a PDF, for
//! the CLI, the API and the web alike.

use dun_pdf::sheet::{interest_sheet_view, SheetFacts};
use dun_store::calculation_sheet::InvoiceSheet;
use dun_store::Store;

use crate::attachments::{file_stem, DocumentError};

/// The sheet's PDF bytes and a file name for them
/// (`interest-INV-000001-2026-07-01.pdf`).
pub fn interest_sheet_pdf(
    store: &mut Store,
    org_id: i64,
    found: &InvoiceSheet,
) -> Result<(String, Vec<u8>), DocumentError> {
    let settings = store.document_settings(org_id)?;
    let view = interest_sheet_view(SheetFacts {
        creditor: &found.creditor,
        debtor: &found.debtor,
        debtor_reference: &found.customer_ref,
        invoice: &found.invoice,
        currency: found.currency,
        as_of: found.as_of,
        sheet: &found.sheet,
    });
    let name = format!("interest-{}-{}.pdf", file_stem(&found.invoice), found.as_of);
    Ok((name, dun_pdf::render_interest_sheet(&view, &settings)?))
}
