//! The customer portal: a signed, expiring link per customer opens their
//! open invoices and statement, the PDFs, payment instructions, and forms
//! to promise a payment or raise a dispute. No sign-in; the link is the
//! credential, and it reaches only that customer.

use axum::Router;
use dun_server::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
