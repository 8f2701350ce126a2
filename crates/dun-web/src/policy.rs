//! The policy editor: the policy in force as a document, the form that
//! edits it with validation, the version history, and a preview of what
//! the change would do to today's run.

use axum::Router;
use dun_server::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
