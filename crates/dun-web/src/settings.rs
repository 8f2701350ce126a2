//! The owner's settings: users (add, change role, remove) and API tokens
//! (create, shown once; revoke).

use axum::Router;
use dun_server::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
