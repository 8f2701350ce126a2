//! What is said with the customer: a note, a dispute on one of their
//! invoices and its resolution.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use dun_core::Date;
use dun_server::app::{AppState, Caller};
use dun_server::problem::ApiError;
use dun_server::wire;
use dun_store::disputes::{NewDispute, Resolution};
use dun_store::records::{ContactKind, NewContact};
use dun_store::{Store, StoreError};

use super::{act, required, store_err, ActionForm};

pub(super) async fn note(
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
            let text = required("note_text", &f.note_text, "A note needs its text.")?;
            store
                .log_contact(
                    p.org_id,
                    &NewContact {
                        customer_ref: reference.to_string(),
                        kind: ContactKind::Note,
                        summary: text.to_string(),
                        outcome: None,
                        on: ctx.today,
                        author: p.author(),
                        invoices: Vec::new(),
                        promise: None,
                    },
                )
                .map_err(store_err)?;
            Ok(())
        },
    )
    .await
}

/// Refuses an invoice that is not this customer's.
fn own_invoice(
    store: &mut Store,
    org_id: i64,
    reference: &str,
    number: &str,
    today: Date,
) -> Result<(), ApiError> {
    match store.invoice(org_id, number, today) {
        Ok(view) if view.customer_ref == reference => Ok(()),
        Ok(_) | Err(StoreError::NotFound { .. }) => Err(ApiError::invalid(
            "invoice",
            format!("{reference} has no invoice {number}."),
        )),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn dispute(
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
            let invoice = required(
                "dispute_invoice",
                &f.dispute_invoice,
                "Choose the disputed invoice.",
            )?;
            let reason = required(
                "dispute_reason",
                &f.dispute_reason,
                "A dispute needs what the customer disputes.",
            )?;
            own_invoice(store, p.org_id, reference, invoice, ctx.today)?;
            store
                .open_dispute(
                    p.org_id,
                    &NewDispute {
                        invoice: invoice.to_string(),
                        line: None,
                        reason: reason.to_string(),
                        on: ctx.today,
                        author: p.author(),
                    },
                    None,
                )
                .map_err(store_err)?;
            Ok(())
        },
    )
    .await
}

pub(super) async fn resolve(
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
            let id: i64 = f.resolve_dispute.trim().parse().map_err(|_| {
                ApiError::invalid("resolve_dispute", "Choose the dispute to resolve.")
            })?;
            let found = store.dispute(p.org_id, id).map_err(store_err)?;
            if found.customer_ref != reference {
                return Err(ApiError::invalid(
                    "resolve_dispute",
                    format!("{reference} has no dispute #{id}."),
                ));
            }
            let reason = f.resolve_reason.trim().to_string();
            let amount = f.resolve_amount.trim();
            let resolution = match (f.resolution.as_str(), amount.is_empty()) {
                ("credit_note", false) => {
                    let currency = store.invoice(p.org_id, &found.invoice, ctx.today)?.currency;
                    let amount_minor = wire::parse_amount("resolve_amount", amount, currency)?;
                    if amount_minor <= 0 {
                        return Err(ApiError::invalid(
                            "resolve_amount",
                            "The credit note's amount must be more than zero.",
                        ));
                    }
                    Resolution::CreditNote {
                        amount_minor,
                        reason,
                    }
                }
                ("credit_note", true) => {
                    return Err(ApiError::invalid(
                        "resolve_amount",
                        "A credit note needs its amount.",
                    ))
                }
                ("rejected" | "", true) => Resolution::Rejected { reason },
                ("rejected" | "", false) => {
                    return Err(ApiError::invalid(
                        "resolve_amount",
                        "A rejected dispute has no amount; choose a credit note to credit it.",
                    ))
                }
                _ => {
                    return Err(ApiError::invalid(
                        "resolution",
                        "Choose rejected or credit note.",
                    ))
                }
            };
            store
                .resolve_dispute(p.org_id, id, &resolution, ctx.today, &p.author())
                .map_err(store_err)?;
            Ok(())
        },
    )
    .await
}
