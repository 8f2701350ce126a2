//! Collections: the policy and its versions, the daily run (previewed or
//! applied), the worklist and tasks, the communication log (contacts,
//! promises, disputes) and a customer's standing (pause, status) — what
//! `dun policy`, `dun run`, `dun worklist`, `dun task`, `dun log`,
//! `dun dispute` and `dun pause|resume|status` do — and the credit file
//! (collateral, payment plans). One module per part, each with its own
//! router; the helpers they share are here. The outbox is `outbox.rs`.

use dun_core::{Currency, Date};
use dun_store::StoreError;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;
use crate::problem::ApiError;
use crate::wire;

mod credit_file;
mod log;
mod policy;
mod runs;
mod standing;
mod tasks;

pub use tasks::{task_out, TaskOut};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(policy::router())
        .merge(runs::router())
        .merge(tasks::router())
        .merge(log::router())
        .merge(standing::router())
        .merge(credit_file::router())
}

/// Today in the caller's organisation.
fn today(p: &dun_store::accounts::Principal) -> Result<Date, ApiError> {
    wire::today_in(&p.org.timezone)
}

pub(super) fn limit_in(
    field: &str,
    limit: Option<i64>,
    default: i64,
    max: i64,
) -> Result<i64, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::invalid(
            field,
            format!("{field}: {n} is outside 1 to {max}"),
        )),
    }
}

fn text_in(field: &str, text: &str) -> Result<(), ApiError> {
    if text.trim().is_empty() {
        return Err(ApiError::invalid(
            field,
            format!("{field}: must not be empty"),
        ));
    }
    Ok(())
}

fn positive(field: &str, text: &str, currency: Currency) -> Result<i64, ApiError> {
    let minor = wire::parse_amount(field, text, currency)?;
    if minor <= 0 {
        return Err(ApiError::invalid(
            field,
            format!("{field}: must be more than zero"),
        ));
    }
    Ok(minor)
}

/// An invoice named in the request that is not there: 404, as an
/// invoice named anywhere else, naming the field `invoices`.
fn no_such_invoice(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound {
            what: "invoice",
            key,
        } => ApiError::not_found(format!("invoices: there is no invoice {key}")).field("invoices"),
        e => e.into(),
    }
}
