//! Invoices: the list with filters, an invoice's page, the draft form with
//! itemized lines and live totals, and the actions on an invoice (issue,
//! void, credit note, payment with allocation, write-off).

use axum::Router;
use dun_server::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
