//! The actions on a customer's page beyond the call: a note, a dispute
//! (and its resolution), a pause of the ladder and its end, a credit
//! status set by a person (a hold, or an override of the policy's hold),
//! a payment plan, and a signed link to the customer's portal.
//!
//! Each form posts with the session's CSRF token through [`crate::submit`]
//! and calls the same store function, with the same checks, as the API's
//! route for it (`dun-server/src/routes/collections/`); success answers
//! 303 to the page's timeline, where the action shows. A refusal the
//! person can fix (422, and a conflict such as "already on hold") shows
//! the page again with the message beside the form and what was typed.
//!
//! One module per family of actions — [`log`] (note, dispute, resolution),
//! [`standing`] (pause, resume, status, policy override), [`plans`],
//! [`details`] (details, contacts, address) and [`portal`] (link, withdrawal)
//! — and [`forms`], which draws them; the form, its fields and the way an
//! action is submitted are here.

use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use dun_core::customer::PaymentMethod;
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_store::{Store, StoreError};
use serde::Deserialize;

use crate::customers::{customer_page, Again};
use crate::layout::{encode, Ctx};
use crate::submit;

mod details;
mod forms;
mod log;
mod plans;
mod portal;
mod standing;

pub(crate) use forms::{action_forms, ActionFacts};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/customers/{reference}/notes", post(log::note))
        .route("/customers/{reference}/disputes", post(log::dispute))
        .route(
            "/customers/{reference}/disputes/resolve",
            post(log::resolve),
        )
        .route("/customers/{reference}/pause", post(standing::pause))
        .route("/customers/{reference}/resume", post(standing::resume))
        .route("/customers/{reference}/status", post(standing::status))
        .route("/customers/{reference}/edit", post(details::edit))
        .route("/customers/{reference}/address", post(details::address))
        .route("/customers/{reference}/people", post(details::add_contact))
        .route(
            "/customers/{reference}/people/{id}/remove",
            post(details::remove_contact),
        )
        .route("/customers/{reference}/plans", post(plans::plan))
        .route(
            "/customers/{reference}/portal-link",
            post(portal::portal_link),
        )
        .route(
            "/customers/{reference}/portal-withdraw",
            post(portal::portal_withdraw),
        )
        .route(
            "/customers/{reference}/override",
            post(standing::policy_override),
        )
}

/// A conflict the person can act on ("already on hold", "not paused") is
/// shown beside the form like a 422.
pub(crate) fn fixable(e: ApiError) -> ApiError {
    if e.status == StatusCode::CONFLICT {
        ApiError::invalid(e.field.clone().unwrap_or_default(), e.detail)
    } else {
        e
    }
}

fn store_err(e: StoreError) -> ApiError {
    fixable(e.into())
}

/// Every action form's fields (each form sends its own); `form` names
/// which one was sent, so its message and values show beside it again.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ActionForm {
    csrf_token: Option<String>,
    #[serde(default)]
    pub form: String,
    #[serde(default)]
    note_text: String,
    #[serde(default)]
    dispute_invoice: String,
    #[serde(default)]
    dispute_reason: String,
    #[serde(default)]
    resolve_dispute: String,
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    resolve_amount: String,
    #[serde(default)]
    resolve_reason: String,
    #[serde(default)]
    pause_until: String,
    #[serde(default)]
    pause_reason: String,
    #[serde(default)]
    hold_status: String,
    #[serde(default)]
    hold_reason: String,
    #[serde(default)]
    hold_until: String,
    #[serde(default)]
    plan_invoices: String,
    #[serde(default)]
    plan_count: String,
    #[serde(default)]
    plan_first: String,
    #[serde(default)]
    plan_every: String,
    #[serde(default)]
    override_terms: String,
    #[serde(default)]
    override_credit_limit: String,
    #[serde(default)]
    override_pause: String,
    #[serde(default)]
    override_shift_days: String,
    #[serde(default)]
    override_reason: String,
    #[serde(default)]
    edit_name: String,
    #[serde(default)]
    edit_email: String,
    #[serde(default)]
    edit_phone: String,
    #[serde(default)]
    edit_credit_limit: String,
    #[serde(default)]
    edit_terms: String,
    #[serde(default)]
    edit_notes: String,
    /// Accepted payment methods: one checkbox each (`pm_card=1`); none
    /// ticked: any method.
    #[serde(default)]
    pm_bank_transfer: String,
    #[serde(default)]
    pm_direct_debit: String,
    #[serde(default)]
    pm_ach: String,
    #[serde(default)]
    pm_card: String,
    #[serde(default)]
    pm_check: String,
    #[serde(default)]
    pm_cash: String,
    /// The contact form.
    #[serde(default)]
    contact_role: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    contact_phone: String,
    /// The address form.
    #[serde(flatten)]
    address: AddressFields,
}

/// The address and identifiers a customer form takes — the new-customer
/// form and the customer page's address form: up to three street lines,
/// then the rest. Each field is named as the store's `Party` names it.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct AddressFields {
    #[serde(default)]
    pub(crate) address_1: String,
    #[serde(default)]
    pub(crate) address_2: String,
    #[serde(default)]
    pub(crate) address_3: String,
    #[serde(default)]
    pub(crate) city: String,
    #[serde(default)]
    pub(crate) postcode: String,
    #[serde(default)]
    pub(crate) region: String,
    #[serde(default)]
    pub(crate) country_code: String,
    #[serde(default)]
    pub(crate) vat_id: String,
    #[serde(default)]
    pub(crate) company_id: String,
    #[serde(default)]
    pub(crate) endpoint: String,
}

impl AddressFields {
    /// `base` with the address as typed: a field left blank clears its part.
    pub(crate) fn onto(&self, base: dun_core::party::Party) -> dun_core::party::Party {
        let text = |t: &str| Some(t.trim().to_string()).filter(|t| !t.is_empty());
        dun_core::party::Party {
            address_lines: [&self.address_1, &self.address_2, &self.address_3]
                .into_iter()
                .filter_map(|l| text(l))
                .collect(),
            city: text(&self.city),
            postcode: text(&self.postcode),
            region: text(&self.region),
            country_code: text(&self.country_code),
            vat_id: text(&self.vat_id),
            company_id: text(&self.company_id),
            endpoint: text(&self.endpoint),
            ..base
        }
    }
}

impl ActionForm {
    /// The ticked payment-method box of `m`.
    fn method_box(&self, m: PaymentMethod) -> &str {
        match m {
            PaymentMethod::BankTransfer => &self.pm_bank_transfer,
            PaymentMethod::DirectDebit => &self.pm_direct_debit,
            PaymentMethod::Ach => &self.pm_ach,
            PaymentMethod::Card => &self.pm_card,
            PaymentMethod::Check => &self.pm_check,
            PaymentMethod::Cash => &self.pm_cash,
        }
    }

    /// The methods ticked; `None` when none is (any method).
    fn methods(&self) -> Option<Vec<PaymentMethod>> {
        let ticked: Vec<PaymentMethod> = PaymentMethod::ALL
            .into_iter()
            .filter(|m| !self.method_box(*m).is_empty())
            .collect();
        (!ticked.is_empty()).then_some(ticked)
    }
}

fn required<'a>(field: &str, text: &'a str, what: &str) -> Result<&'a str, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ApiError::invalid(field, what.to_string()));
    }
    Ok(text)
}

fn back(reference: &str) -> String {
    format!("/customers/{}#timeline", encode(reference))
}

/// Runs one action through [`submit`]: 303 to the timeline, or the page
/// again with the message beside the form.
async fn act<F>(
    state: AppState,
    caller: Result<Caller, ApiError>,
    reference: String,
    form: ActionForm,
    work: F,
) -> Response
where
    F: FnOnce(
            &mut Store,
            &dun_store::accounts::Principal,
            &Ctx,
            &ActionForm,
            &str,
        ) -> Result<(), ApiError>
        + Send
        + 'static,
{
    act_as(Need::Write, state, caller, reference, form, work).await
}

async fn act_as<F>(
    need: Need,
    state: AppState,
    caller: Result<Caller, ApiError>,
    reference: String,
    form: ActionForm,
    work: F,
) -> Response
where
    F: FnOnce(
            &mut Store,
            &dun_store::accounts::Principal,
            &Ctx,
            &ActionForm,
            &str,
        ) -> Result<(), ApiError>
        + Send
        + 'static,
{
    let (submitted, for_page) = (form.clone(), form);
    let target = reference.clone();
    submit(
        &state,
        caller,
        submitted.csrf_token.clone(),
        need,
        move |store, p, ctx| {
            work(store, p, ctx, &submitted, &target)?;
            Ok(back(&target))
        },
        move |store, p, ctx, message| {
            customer_page(
                store,
                p,
                ctx,
                &reference,
                Some((message, Again::Action(&for_page))),
                None,
            )
        },
    )
    .await
}
