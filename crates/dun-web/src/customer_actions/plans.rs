//! A payment plan: open invoices split into installments.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use dun_server::app::{AppState, Caller};
use dun_server::problem::ApiError;
use dun_server::wire;
use dun_store::plans::{NewPlan, PlanInstallments, PlanInvoices, Split};

use super::{act, required, store_err, ActionForm};

pub(super) async fn plan(
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
            let count: u32 = f.plan_count.trim().parse().map_err(|_| {
                ApiError::invalid("plan_count", "Give how many installments, e.g. 3.")
            })?;
            let first = wire::parse_date(
                "plan_first",
                required(
                    "plan_first",
                    &f.plan_first,
                    "Give the first installment's date.",
                )?,
            )?;
            let every: Option<u32> = match f.plan_every.trim() {
                "" => None,
                text => Some(text.parse().map_err(|_| {
                    ApiError::invalid("plan_every", "Give the days between installments, e.g. 30.")
                })?),
            };
            let chosen = required(
                "plan_invoices",
                &f.plan_invoices,
                "Choose the invoices the plan covers.",
            )?;
            // "*EUR": every open invoice in euros, which the store reads
            // under the plan's lock, as it reads what is open.
            let invoices = match chosen.strip_prefix('*') {
                Some(code) => PlanInvoices::AllOpenIn(
                    dun_core::Currency::parse(code)
                        .map_err(|e| ApiError::invalid("plan_invoices", format!("{e}.")))?,
                ),
                None => PlanInvoices::Named(vec![chosen.to_string()]),
            };
            // The store reads what is open and splits it, under the plan's
            // lock.
            let installments = PlanInstallments::Split(Split {
                count,
                first,
                every_days: every,
            });
            store
                .create_plan(
                    p.org_id,
                    &NewPlan {
                        customer_ref: reference.to_string(),
                        invoices,
                        installments,
                        created_on: ctx.today,
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
