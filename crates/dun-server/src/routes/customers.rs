//! Customers: the list, one customer, adding and editing one.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use dun_core::import::CustomerRow;
use dun_core::terms::Terms;
use dun_store::customer_list::{CustomerFilter, CustomerListRow};
use dun_store::customers::Customer;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{AppState, Caller, Need};
use crate::extract::{
    decode_cursor, page_limit, page_of, ApiJson, ApiPath, ApiQuery, IdempotencyKey, Page,
};
use crate::problem::ApiError;
use crate::wire;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_customers, create_customer))
        .routes(routes!(get_customer, edit_customer))
}

/// A field that may be left out (unchanged), null (removed) or given.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// What to change on a customer: a field left out stays as it is; `null`
/// removes an e-mail, phone or credit limit.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerEditIn {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub phone: Option<Option<String>>,
    /// In the organisation's currency.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub credit_limit: Option<Option<String>>,
    /// Payment terms for new invoices, e.g. net30.
    pub terms: Option<String>,
}

/// Changes a customer's name, e-mail, phone, credit limit or terms; each
/// change is on the customer's timeline with who, before and after.
#[utoipa::path(
    patch,
    path = "/api/v1/customers/{reference}",
    tag = "customers",
    request_body = CustomerEditIn,
    params(
        ("reference" = String, Path, description = "The customer's reference"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = CustomerOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn edit_customer(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(reference): ApiPath<String>,
    ApiJson(input): ApiJson<CustomerEditIn>,
) -> Result<Json<CustomerOut>, ApiError> {
    let terms = input
        .terms
        .as_deref()
        .map(|t| Terms::parse(t).map_err(|e| ApiError::invalid("terms", format!("terms: {e}"))))
        .transpose()?;
    let out = state
        .as_caller(caller, Need::Write, move |store, p| {
            let org = p.org.clone();
            let credit_limit_minor = match input.credit_limit {
                None => None,
                Some(None) => Some(None),
                Some(Some(text)) => Some(Some(wire::parse_amount(
                    "credit_limit",
                    &text,
                    org.currency,
                )?)),
            };
            let edit = dun_store::customer_edit::CustomerEdit {
                name: input.name,
                email: input.email,
                phone: input.phone,
                credit_limit_minor,
                terms,
            };
            let on = wire::today_in(&org.timezone)?;
            let customer = store.edit_customer(p.org_id, &reference, &edit, on, key.as_deref())?;
            load_customer(store, &org, &customer.reference)
        })
        .await?;
    Ok(Json(out))
}

/// What a customer owes in one currency.
#[derive(Serialize, ToSchema)]
pub struct OwesOut {
    pub currency: String,
    /// Open on issued invoices (fees and interest included).
    pub open: String,
    /// The part of `open` past its due date.
    pub overdue: String,
    pub open_invoices: i64,
}

#[derive(Serialize, ToSchema)]
pub struct CustomerSummary {
    /// The customer's reference, unique in the organisation.
    pub reference: String,
    pub name: String,
    pub email: Option<String>,
    /// active, hold, cod, … (see the credit policy).
    pub status: String,
    /// Risk tier from payment history (`new` until three invoices settle).
    pub tier: String,
    pub owes: Vec<OwesOut>,
}

fn summary(row: CustomerListRow) -> CustomerSummary {
    CustomerSummary {
        reference: row.reference,
        name: row.name,
        email: row.email,
        status: row.status,
        tier: row.tier,
        owes: row
            .owes
            .into_iter()
            .map(|o| OwesOut {
                currency: o.currency.code().to_string(),
                open: wire::amount(o.open_minor, o.currency),
                overdue: wire::amount(o.overdue_minor, o.currency),
                open_invoices: o.open_invoices,
            })
            .collect(),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CustomerQuery {
    /// Only customers with this status (active, hold, cod, …).
    pub status: Option<String>,
    /// Only customers in this risk tier.
    pub tier: Option<String>,
    /// Only customers with an invoice past due today.
    pub overdue: Option<bool>,
    /// Part of the name or reference, any case.
    pub q: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Customers in reference order, with what each owes.
#[utoipa::path(
    get,
    path = "/api/v1/customers",
    tag = "customers",
    params(CustomerQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = Page<CustomerSummary>),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn list_customers(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<CustomerQuery>,
) -> Result<Json<Page<CustomerSummary>>, ApiError> {
    let limit = page_limit(query.limit)?;
    let after_ref = decode_cursor("customers", query.cursor.as_deref())?;
    let page = state
        .as_caller(caller, Need::Read, move |store, p| {
            let org = p.org.clone();
            let filter = CustomerFilter {
                after_ref,
                reference: None,
                status: query.status,
                tier: query.tier,
                overdue: query.overdue.unwrap_or(false),
                search: query.q,
                as_of: wire::today_in(&org.timezone)?,
                limit: limit + 1,
            };
            let rows = store.customer_page(p.org_id, &filter)?;
            Ok(page_of(rows, limit, "customers", |r| r.reference.clone()))
        })
        .await?;
    Ok(Json(Page {
        items: page.items.into_iter().map(summary).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomerIn {
    /// Unique in the organisation, at most 64 bytes.
    pub reference: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// In the organisation's home currency, as a decimal string.
    pub credit_limit: Option<String>,
    /// Payment terms: `net30`, `eom30`, `due_on_receipt`, … (default net30).
    pub terms: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CustomerOut {
    pub reference: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// In `credit_limit_currency`; absent when there is no limit.
    pub credit_limit: Option<String>,
    pub credit_limit_currency: String,
    pub terms: String,
    pub status: String,
    /// Risk tier and the reasons that produced it.
    pub tier: String,
    pub tier_reasons: Vec<String>,
    /// Ladder paused by a person through this date.
    pub paused_until: Option<String>,
    pub owes: Vec<OwesOut>,
}

fn customer_out(
    customer: Customer,
    standing: dun_store::credit_file::CreditStanding,
    owes: Vec<OwesOut>,
    home: dun_core::Currency,
) -> CustomerOut {
    CustomerOut {
        reference: customer.reference,
        name: customer.name,
        email: customer.email,
        phone: customer.phone,
        credit_limit: customer.credit_limit_minor.map(|m| wire::amount(m, home)),
        credit_limit_currency: home.code().to_string(),
        terms: customer.terms.to_string(),
        status: standing.status.as_str().to_string(),
        tier: standing.tier.as_str().to_string(),
        tier_reasons: standing.tier_reasons,
        paused_until: standing
            .paused_until
            .filter(|d| *d != dun_store::credit_file::paused_indefinitely())
            .map(|d| d.to_string()),
        owes,
    }
}

fn load_customer(
    store: &mut dun_store::Store,
    org: &dun_store::Org,
    reference: &str,
) -> Result<CustomerOut, ApiError> {
    let org_id = org.id;
    let customer = store.customer(org_id, reference)?;
    let standing = store.credit_standing(org_id, reference)?;
    let today = wire::today_in(&org.timezone)?;
    let owes = store
        .customer_page(
            org_id,
            &CustomerFilter {
                after_ref: None,
                reference: Some(reference.to_string()),
                status: None,
                tier: None,
                overdue: false,
                search: None,
                as_of: today,
                limit: 1,
            },
        )?
        .into_iter()
        .find(|r| r.reference == customer.reference)
        .map(|r| summary(r).owes)
        .unwrap_or_default();
    Ok(customer_out(customer, standing, owes, org.currency))
}

/// Adds a customer.
#[utoipa::path(
    post,
    path = "/api/v1/customers",
    tag = "customers",
    request_body = NewCustomerIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = CustomerOut),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn create_customer(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiJson(input): ApiJson<NewCustomerIn>,
) -> Result<(StatusCode, Json<CustomerOut>), ApiError> {
    let terms = input
        .terms
        .as_deref()
        .map(|t| Terms::parse(t).map_err(|e| ApiError::invalid("terms", format!("terms: {e}"))))
        .transpose()?;
    let out = state
        .as_caller(caller, Need::Write, move |store, p| {
            let org = p.org.clone();
            let credit_limit_minor = input
                .credit_limit
                .as_deref()
                .map(|t| wire::parse_amount("credit_limit", t, org.currency))
                .transpose()?;
            let row = CustomerRow {
                row: 1,
                reference: input.reference,
                name: input.name,
                email: input.email,
                phone: input.phone,
                credit_limit_minor,
                terms,
            };
            let customer = store.add_customer(p.org_id, &row, key.as_deref())?;
            load_customer(store, &p.org, &customer.reference)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// One customer: details, credit standing and what they owe.
#[utoipa::path(
    get,
    path = "/api/v1/customers/{reference}",
    tag = "customers",
    params(("reference" = String, Path, description = "The customer's reference")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = CustomerOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn get_customer(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(reference): ApiPath<String>,
) -> Result<Json<CustomerOut>, ApiError> {
    Ok(Json(
        state
            .as_caller(caller, Need::Read, move |store, p| {
                load_customer(store, &p.org, &reference)
            })
            .await?,
    ))
}
