//! The collector's worklist: prioritized tasks, each with one form to
//! log its outcome.

use axum::Router;
use dun_server::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
