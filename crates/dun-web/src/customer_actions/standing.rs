//! How the ladder and credit treat the customer: a pause and its end, a
//! credit status set by a person, and their own rules in the policy.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use dun_core::collections::credit::CustomerStatus;
use dun_core::collections::policy::{CustomerOverride, PolicyAmount};
use dun_core::terms::Terms;
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_server::wire;
use dun_store::credit_file::StatusDecision;
use dun_store::StoreError;

use crate::layout::{words, STATUSES};

use super::{act, act_as, required, store_err, ActionForm};

pub(super) async fn pause(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(reference): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    act(
        state,
        caller,
        reference,
        form,
        |store, p, ctx, f, reference| {
            let reason = required("pause_reason", &f.pause_reason, "A pause needs its reason.")?;
            let until = match f.pause_until.trim() {
                "" => None,
                text => Some(wire::parse_date("pause_until", text)?),
            };
            // The store's rule, called first to word the form's hint.
            dun_store::credit_file::check_pause_until(until, ctx.today).map_err(|e| {
                ApiError::invalid(
                    "pause_until",
                    format!("A pause runs from today ({}); choose a later day.", e.today),
                )
            })?;
            store
                .pause_customer(p.org_id, reference, until, reason, ctx.today, &p.author())
                .map_err(store_err)?;
            Ok(())
        },
    )
    .await
}

pub(super) async fn resume(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(reference): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    act(
        state,
        caller,
        reference,
        form,
        |store, p, ctx, _, reference| {
            store
                .resume_customer(p.org_id, reference, ctx.today, &p.author())
                .map_err(store_err)?;
            Ok(())
        },
    )
    .await
}

pub(super) async fn status(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(reference): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    act(
        state,
        caller,
        reference,
        form,
        |store, p, ctx, f, reference| {
            let status = CustomerStatus::parse(f.hold_status.trim()).ok_or_else(|| {
                ApiError::invalid(
                    "hold_status",
                    format!("Choose one of: {}.", STATUSES.map(words).join(", ")),
                )
            })?;
            let reason = required(
                "hold_reason",
                &f.hold_reason,
                "A change of status needs its reason.",
            )?;
            let until = match f.hold_until.trim() {
                "" => None,
                text => Some(wire::parse_date("hold_until", text)?),
            };
            let decision = StatusDecision {
                status,
                reason,
                until,
            };
            store
                .set_customer_status(p.org_id, reference, &decision, ctx.today, &p.author())
                .map_err(store_err)?;
            Ok(())
        },
    )
    .await
}

/// Gives the customer their own rules in the policy: a `[[customer]]`
/// table appended to the document in force (the owner's notes kept), as a
/// new version with the reason (owners only, as `PUT /api/v1/policy`),
/// and logged on the customer's timeline.
pub(super) async fn policy_override(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(reference): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    act_as(
        Need::Own,
        state,
        caller,
        reference,
        form,
        |store, p, ctx, f, reference| {
            let reason = required(
                "override_reason",
                &f.override_reason,
                "An override needs its reason.",
            )?;
            let terms = match f.override_terms.trim() {
                "" => None,
                t => Some(
                    Terms::parse(t)
                        .map_err(|e| ApiError::invalid("override_terms", format!("terms: {e}")))?,
                ),
            };
            let credit_limit = match f.override_credit_limit.trim() {
                "" => None,
                t => Some(PolicyAmount::parse(t).map_err(|e| {
                    ApiError::invalid("override_credit_limit", format!("credit limit: {e}"))
                })?),
            };
            let shift: i32 = match f.override_shift_days.trim() {
                "" => 0,
                t => t.parse().map_err(|_| {
                    ApiError::invalid(
                        "override_shift_days",
                        format!("'{t}' is not a number of days."),
                    )
                })?,
            };
            let pause = !f.override_pause.trim().is_empty();
            let added = CustomerOverride {
                reference: reference.to_string(),
                terms,
                credit_limit,
                pause,
                ladder_shift_days: shift,
                reason: reason.to_string(),
            };
            // The store appends the table to the policy in force, makes the new
            // version and logs it, in one transaction.
            match store.add_customer_override(p.org_id, &added, ctx.today, &p.author()) {
                Ok(_) => Ok(()),
                Err(StoreError::PolicyDocument(errors)) => {
                    let list: Vec<String> = errors.iter().map(|e| e.reason.clone()).collect();
                    Err(ApiError::invalid(
                        "override_terms",
                        format!("The policy refused it: {}", list.join("; ")),
                    ))
                }
                Err(e) => Err(store_err(e)),
            }
        },
    )
    .await
}
