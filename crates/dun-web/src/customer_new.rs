//! A new customer: the form (`GET /customers/new`) and its submission
//! (`POST /customers`). It takes what an invoice needs — the postal
//! address, VAT id, company number and electronic address, as the
//! customer page's "Address and identifiers" form — and a first contact,
//! all written by one store call in one transaction
//! (`Store::add_customer_with_party`): a bad field refuses the whole form,
//! nothing is written, and the form shows again as typed with the field
//! named.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use dun_core::customer::{Contact, ContactRole};
use dun_core::import::CustomerRow;
use dun_core::party::Party;
use dun_core::terms::Terms;
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_server::wire;
use maud::{html, Markup};
use serde::Deserialize;

use crate::customer_actions::AddressFields;
use crate::layout::{encode, page, words, Ctx};
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
    /// The address and identifiers an invoice needs.
    #[serde(flatten)]
    address: AddressFields,
    /// The first contact, kept only when it has a name, e-mail or phone.
    #[serde(default)]
    contact_role: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    contact_phone: String,
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// Whether the refusal `message` names the form's field `name` (the store
/// leads each problem with its field: `country_code: 'XX' — …`; the
/// address as a whole is the first street line's).
fn names(message: Option<&str>, name: &str) -> bool {
    let Some(message) = message else {
        return false;
    };
    let field = if name == "address_1" { "address" } else { name };
    message
        .split("; ")
        .any(|part| part.starts_with(&format!("{field}:")) || part.starts_with(&format!("{name}:")))
}

fn form_page(ctx: &Ctx, form: &NewCustomerForm, error: Option<&str>) -> Markup {
    let terms = if form.terms.trim().is_empty() {
        "net30"
    } else {
        form.terms.as_str()
    };
    let bad = |name: &str| names(error, name).then_some("true");
    let body = html! {
        p.crumbs { a href="/customers" { "Customers" } " / new" }
        h1 { "New customer" }
        @if let Some(message) = error {
            div.notice.bad role="alert" {
                p { "Nothing was saved. Correct what is named and send the form again:" }
                ul { @for part in message.split("; ") { li { (part) } } }
            }
        }
        @if ctx.role == dun_store::accounts::Role::Viewer {
            p.notice { "A viewer cannot add customers." }
        } @else {
            form.stack method="post" action="/customers" {
                (ctx.csrf_field())
                label for="reference" { "Reference " span.hint { "(unique, e.g. ACME)" } }
                input #reference type="text" name="reference" value=(form.reference) required maxlength="64" autocomplete="off" aria-invalid=[bad("reference")];
                label for="name" { "Name" }
                input #name type="text" name="name" value=(form.name) required maxlength="200" aria-invalid=[bad("name")];
                label for="email" { "Billing e-mail " span.hint { "(optional)" } }
                input #email type="email" name="email" value=(form.email) aria-invalid=[bad("email")];
                label for="phone" { "Phone " span.hint { "(optional)" } }
                input #phone type="tel" name="phone" value=(form.phone) aria-invalid=[bad("phone")];
                label for="terms" { "Payment terms " span.hint { "(net30, eom30, due_on_receipt, …)" } }
                input #terms type="text" name="terms" value=(terms) aria-invalid=[bad("terms")];
                label for="credit_limit" { "Credit limit (" (ctx.currency.code()) ") " span.hint { "(optional)" } }
                input #credit_limit type="text" inputmode="decimal" name="credit_limit" value=(form.credit_limit) aria-invalid=[bad("credit_limit")];
                fieldset #address {
                    legend { "Address and identifiers " span.hint { "(as invoices and e-invoices name them; optional)" } }
                    label for="address_1" { "Street address" }
                    input #address_1 type="text" name="address_1" value=(form.address.address_1) autocomplete="address-line1" aria-invalid=[bad("address_1")];
                    label.visually-hidden for="address_2" { "Street address, line 2" }
                    input #address_2 type="text" name="address_2" value=(form.address.address_2) autocomplete="address-line2";
                    label.visually-hidden for="address_3" { "Street address, line 3" }
                    input #address_3 type="text" name="address_3" value=(form.address.address_3) autocomplete="address-line3";
                    label for="city" { "City" }
                    input #city type="text" name="city" value=(form.address.city) aria-invalid=[bad("city")];
                    label for="postcode" { "Postcode" }
                    input #postcode type="text" name="postcode" value=(form.address.postcode) aria-invalid=[bad("postcode")];
                    label for="region" { "State, county or province" }
                    input #region type="text" name="region" value=(form.address.region) aria-invalid=[bad("region")];
                    label for="country_code" { "Country " span.hint { "(two letters: GB, DE, US)" } }
                    input #country_code type="text" name="country_code" maxlength="2" autocapitalize="characters" value=(form.address.country_code) aria-invalid=[bad("country_code")];
                    label for="vat_id" { "VAT id " span.hint { "(with its country prefix: DE123456789)" } }
                    input #vat_id type="text" name="vat_id" value=(form.address.vat_id) aria-invalid=[bad("vat_id")];
                    label for="company_id" { "Company registration number" }
                    input #company_id type="text" name="company_id" value=(form.address.company_id) aria-invalid=[bad("company_id")];
                    label for="endpoint" { "Electronic address " span.hint { "(Peppol, SCHEME:ID: 0088:5790000435975, 9930:DE123456789)" } }
                    input #endpoint type="text" name="endpoint" value=(form.address.endpoint) aria-invalid=[bad("endpoint")];
                }
                fieldset #first-contact {
                    legend { "First contact " span.hint { "(optional)" } }
                    label for="contact_role" { "Role" }
                    select #contact_role name="contact_role" {
                        @for r in ContactRole::ALL {
                            option value=(r.as_str()) selected[form.contact_role == r.as_str()] { (words(r.as_str())) }
                        }
                    }
                    label for="contact_name" { "Name" }
                    input #contact_name type="text" name="contact_name" value=(form.contact_name) aria-invalid=[bad("contact_name")];
                    label for="contact_email" { "E-mail" }
                    input #contact_email type="email" name="contact_email" value=(form.contact_email) aria-invalid=[bad("contact_email")];
                    label for="contact_phone" { "Phone" }
                    input #contact_phone type="tel" name="contact_phone" value=(form.contact_phone) aria-invalid=[bad("contact_phone")];
                }
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

/// The first contact the form names, if any of its fields is filled.
fn first_contact(form: &NewCustomerForm) -> Result<Option<Contact>, ApiError> {
    let (name, email, phone) = (
        optional(&form.contact_name),
        optional(&form.contact_email),
        optional(&form.contact_phone),
    );
    if name.is_none() && email.is_none() && phone.is_none() {
        return Ok(None);
    }
    let role = match optional(&form.contact_role) {
        None => ContactRole::Billing,
        Some(text) => ContactRole::parse(&text)
            .map_err(|e| ApiError::invalid("contact_role", format!("contact_role: {e}")))?,
    };
    Ok(Some(Contact {
        role,
        name,
        email,
        phone,
    }))
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
            let f = &submitted;
            let terms = optional(&f.terms)
                .map(|t| {
                    Terms::parse(&t).map_err(|e| ApiError::invalid("terms", format!("terms: {e}")))
                })
                .transpose()?;
            let credit_limit_minor = optional(&f.credit_limit)
                .map(|t| wire::parse_amount("credit_limit", &t, ctx.currency))
                .transpose()?;
            let row = CustomerRow {
                row: 1,
                reference: f.reference.trim().to_string(),
                name: f.name.trim().to_string(),
                email: optional(&f.email),
                phone: optional(&f.phone),
                credit_limit_minor,
                terms,
                notes: None,
                payment_methods: None,
            };
            let party = f.address.onto(Party::default());
            let contact = first_contact(f)?;
            let customer = store
                .add_customer_with_party(p.org_id, &row, &party, contact.as_ref())
                .map_err(|e| crate::customer_actions::fixable(e.into()))?;
            Ok(format!("/customers/{}", encode(&customer.reference)))
        },
        move |_, _, ctx, message| Ok(form_page(ctx, &for_page, Some(message))),
    )
    .await
}
