//! Reports: aging (summary and detail, as of any date, CSV) and the
//! figures over time.

use axum::Router;
use dun_server::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
