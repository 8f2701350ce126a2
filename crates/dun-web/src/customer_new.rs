//! A new customer: the form (`GET /customers/new`) and its submission
//! (`POST /customers`), through the same store call and checks as the
//! API's `POST /api/v1/customers`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use dun_core::import::CustomerRow;
use dun_core::terms::Terms;
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_server::wire;
use maud::{html, Markup};
use serde::Deserialize;

use crate::layout::{encode, page, Ctx};
use crate::{read_page, submit};

/// What the form held, to show again beside its error.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NewCustomerForm {
    csrf_token: Option<String>,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    terms: String,
    #[serde(default)]
    credit_limit: String,
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn form_page(ctx: &Ctx, form: &NewCustomerForm, error: Option<&str>) -> Markup {
    let terms = if form.terms.trim().is_empty() {
        "net30"
    } else {
        form.terms.as_str()
    };
    let body = html! {
        p.crumbs { a href="/customers" { "Customers" } " / new" }
        h1 { "New customer" }
        @if let Some(message) = error {
            p.notice.bad role="alert" { (message) }
        }
        @if ctx.role == dun_store::accounts::Role::Viewer {
            p.notice { "A viewer cannot add customers." }
        } @else {
            form.stack method="post" action="/customers" {
                (ctx.csrf_field())
                label for="reference" { "Reference " span.hint { "(unique, e.g. ACME)" } }
                input #reference type="text" name="reference" value=(form.reference) required maxlength="64" autocomplete="off";
                label for="name" { "Name" }
                input #name type="text" name="name" value=(form.name) required maxlength="200";
                label for="email" { "Billing e-mail " span.hint { "(optional)" } }
                input #email type="email" name="email" value=(form.email);
                label for="phone" { "Phone " span.hint { "(optional)" } }
                input #phone type="tel" name="phone" value=(form.phone);
                label for="terms" { "Payment terms " span.hint { "(net30, eom30, due_on_receipt, …)" } }
                input #terms type="text" name="terms" value=(terms);
                label for="credit_limit" { "Credit limit (" (ctx.currency.code()) ") " span.hint { "(optional)" } }
                input #credit_limit type="text" inputmode="decimal" name="credit_limit" value=(form.credit_limit);
                button.primary type="submit" { "Create customer" }
            }
        }
    };
    page(ctx, "Customers", "New customer", body)
}

pub async fn new_page(State(state): State<AppState>, caller: Result<Caller, ApiError>) -> Response {
    read_page(&state, caller, move |_, _, ctx| {
        Ok((
            StatusCode::OK,
            form_page(ctx, &NewCustomerForm::default(), None),
        ))
    })
    .await
}

pub async fn create(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Form(form): Form<NewCustomerForm>,
) -> Response {
    let (submitted, for_page) = (form.clone(), form);
    submit(
        &state,
        caller,
        submitted.csrf_token.clone(),
        Need::Write,
        move |store, p, ctx| {
            let reference = submitted.reference.trim().to_string();
            if reference.is_empty() {
                return Err(ApiError::invalid(
                    "reference",
                    "A customer needs a reference, e.g. ACME.",
                ));
            }
            if submitted.name.trim().is_empty() {
                return Err(ApiError::invalid("name", "A customer needs a name."));
            }
            let terms = optional(&submitted.terms)
                .map(|t| {
                    Terms::parse(&t).map_err(|e| ApiError::invalid("terms", format!("terms: {e}")))
                })
                .transpose()?;
            let credit_limit_minor = optional(&submitted.credit_limit)
                .map(|t| wire::parse_amount("credit_limit", &t, ctx.currency))
                .transpose()?;
            let row = CustomerRow {
                row: 1,
                reference,
                name: submitted.name.trim().to_string(),
                email: optional(&submitted.email),
                phone: optional(&submitted.phone),
                credit_limit_minor,
                terms,
                notes: None,
                payment_methods: None,
            };
            let customer = store
                .add_customer(p.org_id, &row, None)
                .map_err(|e| crate::customer_actions::fixable(e.into()))?;
            Ok(format!("/customers/{}", encode(&customer.reference)))
        },
        move |_, _, ctx, message| Ok(form_page(ctx, &for_page, Some(message))),
    )
    .await
}
