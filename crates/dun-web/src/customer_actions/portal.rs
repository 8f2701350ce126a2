//! The customer's portal: a signed link made, and every link so far
//! withdrawn.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;

use crate::customers::customer_page;
use crate::layout::Ctx;
use crate::{error_page, html as html_response};

use super::{act, store_err, ActionForm};

/// Makes a signed portal link (valid as long as the one printed on
/// documents) and shows the page with it, ready to copy.
pub(super) async fn portal_link(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(reference): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    let Ok(caller) = caller else {
        return crate::see_other("/sign-in");
    };
    let caller = caller.with_form_csrf(form.csrf_token.clone());
    let public_url = state.config.customer_link_base().map(str::to_string);
    let done = state
        .as_caller(caller, Need::Write, move |store, p| {
            let ctx = Ctx::load(p)?;
            let customer = store.customer(p.org_id, &reference)?;
            let link = dun_mail::attachments::portal_link(
                store,
                p.org_id,
                customer.id,
                ctx.today,
                public_url.as_deref(),
            )?
            .ok_or_else(|| {
                ApiError::invalid(
                    "portal",
                    "The server has no public address (DUN_PUBLIC_URL) to put in a link.",
                )
            })?;
            customer_page(store, p, &ctx, &reference, None, Some(&link))
        })
        .await;
    match done {
        Ok(markup) => html_response(StatusCode::OK, markup),
        Err(e) => error_page(e),
    }
}

/// Withdraws every portal link made so far for the customer.
pub(super) async fn portal_withdraw(
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
        |store, p, ctx, _f, reference| {
            store
                .withdraw_portal_links(p.org_id, reference, ctx.today, &p.author())
                .map_err(store_err)?;
            Ok(())
        },
    )
    .await
}
