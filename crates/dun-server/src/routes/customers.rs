//! Customers: the list, one customer, adding and editing one.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use dun_core::customer::{Contact, ContactRole, PaymentMethod};
use dun_core::import::CustomerRow;
use dun_core::terms::Terms;
use dun_store::contacts::StoredContact;
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
        .routes(routes!(list_contacts, add_contact))
        .routes(routes!(remove_contact))
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
    /// Free text about the customer; `null` or "" removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub notes: Option<Option<String>>,
    /// The methods the customer may pay by (bank_transfer, direct_debit,
    /// ach, card, check, cash); `null` or `[]`: any.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>, nullable)]
    pub payment_methods: Option<Option<Vec<String>>>,
}

/// Payment method names, each checked (`dun_core::customer::PaymentMethod`).
fn methods_in(names: &[String]) -> Result<Vec<PaymentMethod>, ApiError> {
    names
        .iter()
        .map(|n| {
            PaymentMethod::parse(n).map_err(|e| ApiError::invalid("payment_methods", e.to_string()))
        })
        .collect()
}

/// Changes a customer's name, e-mail, phone, credit limit, terms, notes or
/// accepted payment methods; each change is on the customer's timeline
/// with who, before and after.
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
    let payment_methods = match &input.payment_methods {
        None => None,
        Some(None) => Some(None),
        Some(Some(names)) => Some(Some(methods_in(names)?)),
    };
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
                notes: input.notes,
                payment_methods,
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
    pub notes: Option<String>,
    /// The methods the customer may pay by; `null`: any.
    pub payment_methods: Option<Vec<String>>,
    /// Contacts besides `email` and `phone` (the main, billing contact).
    pub contacts: Vec<ContactOut>,
    /// Who collection e-mails go to now.
    pub recipients: RecipientsOut,
}

/// One contact of a customer.
#[derive(Serialize, ToSchema)]
pub struct ContactOut {
    pub id: i64,
    /// billing (To of collection e-mails), accounts_payable (in copy),
    /// other (no e-mail).
    pub role: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Who a collection e-mail (invoice, reminder, statement) goes to: the
/// main address and billing contacts, accounts payable in copy.
#[derive(Serialize, ToSchema)]
pub struct RecipientsOut {
    pub to: Vec<String>,
    pub cc: Vec<String>,
}

fn contact_out(c: StoredContact) -> ContactOut {
    ContactOut {
        id: c.id,
        role: c.contact.role.as_str().to_string(),
        name: c.contact.name,
        email: c.contact.email,
        phone: c.contact.phone,
    }
}

/// A customer's contacts and who its e-mails go to.
#[derive(Serialize, ToSchema)]
pub struct ContactsOut {
    pub contacts: Vec<ContactOut>,
    pub recipients: RecipientsOut,
}

fn contacts_of(
    store: &mut dun_store::Store,
    org_id: i64,
    reference: &str,
) -> Result<ContactsOut, ApiError> {
    let contacts = store.contacts(org_id, reference)?;
    let r = store.recipients(org_id, reference)?;
    Ok(ContactsOut {
        contacts: contacts.into_iter().map(contact_out).collect(),
        recipients: RecipientsOut { to: r.to, cc: r.cc },
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContactIn {
    /// billing, accounts_payable or other.
    pub role: String,
    pub name: Option<String>,
    /// An e-mail, a phone or both.
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A customer's contacts — the people and mailboxes it is reached at,
/// besides its main e-mail and phone — and who its collection e-mails go
/// to. (`/contacts` is the log of calls, notes and replies.)
#[utoipa::path(
    get,
    path = "/api/v1/customers/{reference}/people",
    tag = "customers",
    params(("reference" = String, Path, description = "The customer's reference")),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = ContactsOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn list_contacts(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(reference): ApiPath<String>,
) -> Result<Json<ContactsOut>, ApiError> {
    Ok(Json(
        state
            .as_caller(caller, Need::Read, move |store, p| {
                contacts_of(store, p.org_id, &reference)
            })
            .await?,
    ))
}

/// Adds a contact to a customer, on its timeline.
#[utoipa::path(
    post,
    path = "/api/v1/customers/{reference}/people",
    tag = "customers",
    request_body = NewContactIn,
    params(
        ("reference" = String, Path, description = "The customer's reference"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 201, body = ContactOut),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn add_contact(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    ApiPath(reference): ApiPath<String>,
    ApiJson(input): ApiJson<NewContactIn>,
) -> Result<(StatusCode, Json<ContactOut>), ApiError> {
    let role =
        ContactRole::parse(&input.role).map_err(|e| ApiError::invalid("role", e.to_string()))?;
    let contact = Contact {
        role,
        name: input.name,
        email: input.email,
        phone: input.phone,
    };
    let added = state
        .as_caller(caller, Need::Write, move |store, p| {
            let on = wire::today_in(&p.org.timezone)?;
            Ok(store.add_contact(p.org_id, &reference, &contact, on, key.as_deref())?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(contact_out(added))))
}

/// Removes a customer's contact, on its timeline.
#[utoipa::path(
    delete,
    path = "/api/v1/customers/{reference}/people/{person_id}",
    tag = "customers",
    params(
        ("reference" = String, Path, description = "The customer's reference"),
        ("person_id" = i64, Path, description = "The contact's id")
    ),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn remove_contact(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((reference, person_id)): ApiPath<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    state
        .as_caller(caller, Need::Write, move |store, p| {
            let on = wire::today_in(&p.org.timezone)?;
            store.remove_contact(p.org_id, &reference, person_id, on, None)?;
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn customer_out(
    customer: Customer,
    standing: dun_store::credit_file::CreditStanding,
    owes: Vec<OwesOut>,
    home: dun_core::Currency,
    contacts: ContactsOut,
) -> CustomerOut {
    CustomerOut {
        notes: customer.notes,
        payment_methods: customer
            .payment_methods
            .map(|ms| ms.iter().map(|m| m.as_str().to_string()).collect()),
        contacts: contacts.contacts,
        recipients: contacts.recipients,
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
    let contacts = contacts_of(store, org_id, &customer.reference)?;
    Ok(customer_out(
        customer,
        standing,
        owes,
        org.currency,
        contacts,
    ))
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
                notes: None,
                payment_methods: None,
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
