//! The organisation's profile: the seller its invoices, statements and
//! e-invoices name (legal name, postal address, VAT and other tax
//! identifiers, company number, electronic address) and how it is paid
//! (IBAN, BIC, account name, payment note). The owner edits it as a form;
//! everyone else reads it. Saved through the store's `set_seller`, the
//! call `PUT /api/v1/organisation/profile` makes: every malformed field is
//! refused at once, named, nothing is written, and the form comes back
//! with what was typed. The page says what an EN 16931 e-invoice still
//! needs of the seller (`Party::missing_as_seller`).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use dun_core::party::{Party, PaymentInstructions, ADDRESS_LINES_MAX};
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_store::accounts::{Principal, Role};
use dun_store::Store;
use maud::{html, Markup};
use serde::Deserialize;

use crate::layout::{page, Ctx};
use crate::{read_page, submit};

pub fn routes() -> Router<AppState> {
    Router::new().route("/settings/profile", get(show).post(save))
}

/// What the profile form holds, as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProfileForm {
    csrf_token: Option<String>,
    #[serde(default)]
    name: String,
    /// One street line a line.
    #[serde(default)]
    address: String,
    #[serde(default)]
    postcode: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    country_code: String,
    #[serde(default)]
    vat_id: String,
    #[serde(default)]
    tax_id: String,
    #[serde(default)]
    company_id: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    endpoint: String,
    #[serde(default)]
    iban: String,
    #[serde(default)]
    bic: String,
    #[serde(default)]
    account_name: String,
    #[serde(default)]
    payment_note: String,
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    saved: Option<String>,
}

fn typed(text: &str) -> Option<String> {
    Some(text.to_string()).filter(|t| !t.trim().is_empty())
}

impl ProfileForm {
    /// The form filled from the stored profile.
    fn of(seller: &Party, payment: &PaymentInstructions) -> ProfileForm {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        ProfileForm {
            csrf_token: None,
            name: seller.name.clone(),
            address: seller.address_lines.join("\n"),
            postcode: s(&seller.postcode),
            city: s(&seller.city),
            region: s(&seller.region),
            country_code: s(&seller.country_code),
            vat_id: s(&seller.vat_id),
            tax_id: s(&seller.tax_id),
            company_id: s(&seller.company_id),
            email: s(&seller.email),
            phone: s(&seller.phone),
            endpoint: s(&seller.endpoint),
            iban: s(&payment.iban),
            bic: s(&payment.bic),
            account_name: s(&payment.account_name),
            payment_note: s(&payment.note),
        }
    }

    /// The profile as the store takes it (it trims and checks).
    fn parts(&self) -> (Party, PaymentInstructions) {
        let party = Party {
            name: self.name.clone(),
            address_lines: self.address.lines().map(str::to_string).collect(),
            city: typed(&self.city),
            postcode: typed(&self.postcode),
            region: typed(&self.region),
            country_code: typed(&self.country_code),
            vat_id: typed(&self.vat_id),
            company_id: typed(&self.company_id),
            tax_id: typed(&self.tax_id),
            email: typed(&self.email),
            phone: typed(&self.phone),
            endpoint: typed(&self.endpoint),
        };
        let payment = PaymentInstructions {
            iban: typed(&self.iban),
            bic: typed(&self.bic),
            account_name: typed(&self.account_name),
            note: typed(&self.payment_note),
        };
        (party, payment)
    }
}

/// Each field: its name in the store's refusals, its label, its hint.
const FIELDS: [(&str, &str, &str); 16] = [
    ("name", "Legal name", "as it is registered"),
    ("address", "Street address", "one line each, at most 3"),
    ("postcode", "Postcode", ""),
    ("city", "City", ""),
    ("region", "State, county or province", ""),
    ("country_code", "Country", "two letters, e.g. GB, DE, US"),
    (
        "vat_id",
        "VAT identifier",
        "with its country prefix, e.g. GB123456789",
    ),
    (
        "tax_id",
        "Other tax registration",
        "e.g. a US sales-tax permit, when there is no VAT identifier",
    ),
    (
        "company_id",
        "Company number",
        "the legal registration number",
    ),
    ("email", "E-mail", "printed on documents"),
    ("phone", "Phone", ""),
    (
        "endpoint",
        "Electronic address (Peppol)",
        "SCHEME:ID, e.g. 0088:5790000435975 or 9930:DE123456789",
    ),
    (
        "iban",
        "IBAN",
        "spaces allowed, e.g. GB82 WEST 1234 5698 7654 32",
    ),
    ("bic", "BIC", "e.g. NWBKGB2L"),
    ("account_name", "Account name", ""),
    (
        "payment_note",
        "Payment note",
        "printed with the bank details, e.g. Quote the invoice number",
    ),
];

fn label_of(field: &str) -> &str {
    FIELDS
        .iter()
        .find(|(f, _, _)| *f == field)
        .map_or(field, |(_, label, _)| label)
}

/// The store's refusal, one problem a line (`iban 'X': why`), with each
/// line's field; the line begins with the field's label instead of its
/// code name.
fn problems(message: &str) -> Vec<(Option<&'static str>, String)> {
    message
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let field = FIELDS
                .iter()
                .map(|(f, _, _)| *f)
                .find(|f| line.starts_with(&format!("{f} ")) || line.starts_with(&format!("{f}:")));
            match field {
                Some(f) => (Some(f), format!("{}{}", label_of(f), &line[f.len()..])),
                None => (None, line.to_string()),
            }
        })
        .collect()
}

/// A labelled input; `refused` marks it invalid and points at the
/// refusal.
fn field(form: &ProfileForm, name: &str, refused: bool) -> Markup {
    let value = match name {
        "name" => &form.name,
        "postcode" => &form.postcode,
        "city" => &form.city,
        "region" => &form.region,
        "country_code" => &form.country_code,
        "vat_id" => &form.vat_id,
        "tax_id" => &form.tax_id,
        "company_id" => &form.company_id,
        "email" => &form.email,
        "phone" => &form.phone,
        "endpoint" => &form.endpoint,
        "iban" => &form.iban,
        "bic" => &form.bic,
        "account_name" => &form.account_name,
        "payment_note" => &form.payment_note,
        _ => &form.address,
    };
    let (_, label, hint) = FIELDS
        .iter()
        .find(|(f, _, _)| *f == name)
        .copied()
        .unwrap_or((name, name, ""));
    let id = format!("profile-{}", name.replace('_', "-"));
    let kind = if name == "email" { "email" } else { "text" };
    html! {
        label for=(id) {
            (label)
            @if !hint.is_empty() { " " span.hint { "(" (hint) ")" } }
        }
        @if name == "address" {
            textarea id=(id) name=(name) rows=(ADDRESS_LINES_MAX)
                aria-invalid=[refused.then_some("true")]
                aria-describedby=[refused.then_some("profile-refused")] { (value) }
        } @else {
            input id=(id) type=(kind) name=(name) value=(value)
                required[name == "name"]
                aria-invalid=[refused.then_some("true")]
                aria-describedby=[refused.then_some("profile-refused")];
        }
    }
}

fn fact(value: Option<&str>) -> Markup {
    html! {
        @match value.filter(|v| !v.is_empty()) {
            Some(v) => (v),
            None => "—",
        }
    }
}

/// What the e-invoice still needs, or that it conforms.
fn readiness(seller: &Party, payment: &PaymentInstructions) -> Markup {
    let missing = seller.missing_as_seller();
    html! {
        section aria-labelledby="einvoice" {
            h2 #einvoice { "E-invoices" }
            @if missing.is_empty() {
                p.notice.ok #einvoice-ready role="status" {
                    "The profile names everything an EN 16931 e-invoice needs of the seller."
                    @if seller.endpoint.is_none() {
                        " Add an electronic address to follow Peppol BIS Billing 3.0 when the customer has one too."
                    }
                }
            } @else {
                div.notice.bad #einvoice-missing role="status" {
                    p { "E-invoices do not conform yet (EN 16931). The seller still needs:" }
                    ul { @for m in &missing {
                        li { (m.split(" or ").map(label_of).collect::<Vec<_>>().join(" or ")) }
                    } }
                }
            }
            @if payment.iban.is_none() {
                p.muted { "No IBAN: documents print no bank details to pay to." }
            }
        }
    }
}

fn profile_page(
    store: &mut Store,
    p: &Principal,
    ctx: &Ctx,
    typed: Option<(&str, &ProfileForm)>,
    saved: bool,
) -> Result<Markup, ApiError> {
    let (seller, payment) = store.seller(p.org_id)?;
    let owner = p.role == Role::Owner;
    let stored = ProfileForm::of(&seller, &payment);
    let (refusal, form) = match typed {
        Some((message, form)) => (problems(message), form),
        None => (Vec::new(), &stored),
    };
    let refused = |f: &str| refusal.iter().any(|(field, _)| *field == Some(f));
    let address = seller.address_block().join(", ");
    let body = html! {
        p.crumbs { a href="/settings" { "Settings" } }
        h1 { "Organisation profile" }
        p.muted { "Who your invoices, statements, reminders and e-invoices come from, and how customers pay you." }
        @if saved {
            p.notice.ok #profile-saved role="status" { "The profile is saved; the next documents use it." }
        }
        (readiness(&seller, &payment))
        @if owner {
            @if !refusal.is_empty() {
                div.notice.bad #profile-refused role="alert" {
                    p { "Nothing was saved:" }
                    ul { @for (_, line) in &refusal { li { (line) } } }
                }
            }
            form.stack method="post" action="/settings/profile" {
                (ctx.csrf_field())
                fieldset {
                    legend { "The seller" }
                    @for name in ["name", "address", "postcode", "city", "region", "country_code"] {
                        (field(form, name, refused(name)))
                    }
                }
                fieldset {
                    legend { "Identifiers" }
                    @for name in ["vat_id", "tax_id", "company_id", "endpoint", "email", "phone"] {
                        (field(form, name, refused(name)))
                    }
                }
                fieldset {
                    legend { "Bank details" }
                    @for name in ["iban", "bic", "account_name", "payment_note"] {
                        (field(form, name, refused(name)))
                    }
                }
                button #save-profile.primary type="submit" { "Save the profile" }
            }
        } @else {
            p.muted { "Only an owner changes the profile." }
            dl.facts #profile {
                dt { "Legal name" } dd { (seller.name) }
                dt { "Address" } dd { (fact(Some(&address))) }
                dt { "VAT identifier" } dd { (fact(seller.vat_id.as_deref())) }
                dt { "Other tax registration" } dd { (fact(seller.tax_id.as_deref())) }
                dt { "Company number" } dd { (fact(seller.company_id.as_deref())) }
                dt { "Electronic address" } dd { (fact(seller.endpoint.as_deref())) }
                dt { "E-mail" } dd { (fact(seller.email.as_deref())) }
                dt { "Phone" } dd { (fact(seller.phone.as_deref())) }
                dt { "IBAN" } dd { (fact(payment.iban.as_deref())) }
                dt { "BIC" } dd { (fact(payment.bic.as_deref())) }
                dt { "Account name" } dd { (fact(payment.account_name.as_deref())) }
                dt { "Payment note" } dd { (fact(payment.note.as_deref())) }
            }
        }
    };
    Ok(page(ctx, "Settings", "Organisation profile", body))
}

pub async fn show(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Query(query): Query<ShowQuery>,
) -> Response {
    let saved = query.saved.is_some();
    read_page(&state, caller, move |store, p, ctx| {
        Ok((StatusCode::OK, profile_page(store, p, ctx, None, saved)?))
    })
    .await
}

/// The owner saves the profile: all of it, or nothing.
pub async fn save(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Form(form): Form<ProfileForm>,
) -> Response {
    let (submitted, again) = (form.clone(), form);
    submit(
        &state,
        caller,
        submitted.csrf_token.clone(),
        Need::Own,
        move |store, p, _| {
            let (party, payment) = submitted.parts();
            store.set_seller(p.org_id, &party, &payment)?;
            Ok("/settings/profile?saved=1".into())
        },
        move |store, p, ctx, message| profile_page(store, p, ctx, Some((message, &again)), false),
    )
    .await
}
