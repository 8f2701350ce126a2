//! The customer's details: name, e-mail, phone, limit, terms, payment
//! methods and notes; their contacts; their address and identifiers.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use dun_core::customer::{Contact, ContactRole};
use dun_server::app::{AppState, Caller};
use dun_server::problem::ApiError;
use dun_server::wire;
use dun_store::customer_edit::CustomerEdit;

use super::{act, store_err, ActionForm};

pub(super) async fn edit(
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
            let currency = p.org.currency;
            let credit_limit_minor = match f.edit_credit_limit.trim() {
                "" => None,
                text => Some(wire::parse_amount("edit_credit_limit", text, currency)?),
            };
            let terms = dun_core::terms::Terms::parse(f.edit_terms.trim())
                .map_err(|e| ApiError::invalid("edit_terms", format!("Terms: {e}")))?;
            let edit = CustomerEdit {
                name: Some(f.edit_name.clone()),
                email: Some(Some(f.edit_email.clone())),
                phone: Some(Some(f.edit_phone.clone())),
                credit_limit_minor: Some(credit_limit_minor),
                terms: Some(terms),
                notes: Some(Some(f.edit_notes.clone())),
                payment_methods: Some(f.methods()),
            };
            store
                .edit_customer(p.org_id, reference, &edit, ctx.today, None)
                .map_err(store_err)?;
            Ok(())
        },
    )
    .await
}

pub(super) async fn add_contact(
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
            let role = ContactRole::parse(&f.contact_role)
                .map_err(|e| ApiError::invalid("contact_role", e.to_string()))?;
            let contact = Contact {
                role,
                name: Some(f.contact_name.clone()),
                email: Some(f.contact_email.clone()),
                phone: Some(f.contact_phone.clone()),
            };
            store
                .add_contact(p.org_id, reference, &contact, ctx.today, None)
                .map_err(store_err)?;
            Ok(())
        },
    )
    .await
}

pub(super) async fn remove_contact(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path((reference, id)): Path<(String, i64)>,
    Form(form): Form<ActionForm>,
) -> Response {
    act(
        state,
        caller,
        reference,
        form,
        move |store, p, ctx, _f, reference| {
            store
                .remove_contact(p.org_id, reference, id, ctx.today, None)
                .map_err(store_err)?;
            Ok(())
        },
    )
    .await
}

/// The customer's address and identifiers, replaced as the form says
/// (name, e-mail and phone stay; the store puts each change on the timeline).
pub(super) async fn address(
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
        |store, p, _ctx, f, reference| {
            let current = store.buyer_by_ref(p.org_id, reference).map_err(store_err)?;
            let party = f.address.onto(current);
            store
                .set_buyer(p.org_id, reference, &party)
                .map_err(store_err)?;
            Ok(())
        },
    )
    .await
}
