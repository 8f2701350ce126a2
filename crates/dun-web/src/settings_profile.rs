//! The organisation's profile: the seller its invoices, statements and
//! e-invoices name (legal name, postal address, VAT and other tax
//! identifiers, company number, electronic address) and how it is paid
//! (IBAN, BIC, account name, payment note). The owner edits it as a form;
//! everyone else reads it. Saved through the store's `set_seller`, the
//! call `PUT /api/v1/organisation/profile` makes: every malformed field is
//! refused at once, named, nothing is written, and the form comes back
//! with what was typed. The page says what an EN 16931 e-invoice still
//! needs of the seller (`Party::missing_as_seller`).
//!
//! The same form sets how documents look: the paper size (A4, US Letter,
//! or by the country) and the document locale; the logo is uploaded and
//! removed with forms of its own (multipart), stored through the store's
//! `set_logo`, which `PUT /api/v1/organisation/logo` calls too.

use axum::extract::{Multipart, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use dun_core::document::{DocumentLocale, DocumentSettings, Paper, LOGO_BYTES_MAX};
use dun_core::party::{Party, PaymentInstructions, ADDRESS_LINES_MAX};
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_store::accounts::{Principal, Role};
use dun_store::document_settings::DocumentOptions;
use dun_store::Store;
use maud::{html, Markup};
use serde::Deserialize;

use crate::layout::{page, Ctx};
use crate::{error_page, read_page, see_other, submit};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/profile", get(show).post(save))
        .route("/settings/profile/logo", get(logo).post(upload_logo))
        .route("/settings/profile/logo/remove", post(remove_logo))
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
    /// `a4`, `us_letter`, or empty: by the country.
    #[serde(default)]
    paper_size: String,
    #[serde(default)]
    document_locale: String,
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
    fn of(
        seller: &Party,
        payment: &PaymentInstructions,
        documents: &DocumentSettings,
    ) -> ProfileForm {
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
            paper_size: documents
                .paper_chosen
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
            document_locale: documents.locale.as_str().to_string(),
        }
    }

    /// The paper and locale as typed, checked (the store's refusal words).
    fn options(&self) -> Result<DocumentOptions, ApiError> {
        let refused = |e: dun_core::party::PartyError| ApiError::invalid(e.field, e.to_string());
        let paper = typed(&self.paper_size)
            .map(|p| Paper::parse(&p))
            .transpose()
            .map_err(refused)?;
        let locale = match typed(&self.document_locale) {
            Some(l) => DocumentLocale::parse(&l).map_err(refused)?,
            None => DocumentLocale::default(),
        };
        Ok(DocumentOptions { paper, locale })
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
const FIELDS: [(&str, &str, &str); 19] = [
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
    ("paper_size", "Paper size", ""),
    (
        "document_locale",
        "Document language",
        "the words, dates and amounts on documents",
    ),
    ("logo", "Logo", ""),
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

/// The paper and language documents use, as selects.
fn documents_fieldset(
    form: &ProfileForm,
    documents: &DocumentSettings,
    seller: &Party,
    refused: bool,
) -> Markup {
    let by_country = Paper::for_country(seller.country_code.as_deref());
    html! {
        fieldset {
            legend { "Documents" }
            label for="profile-paper-size" { "Paper size" }
            select #profile-paper-size name="paper_size"
                aria-invalid=[refused.then_some("true")]
                aria-describedby=[refused.then_some("profile-refused")] {
                option value="" selected[form.paper_size.is_empty()] {
                    "By the country (now " (by_country.title()) ")"
                }
                @for paper in Paper::ALL {
                    option value=(paper.as_str()) selected[form.paper_size == paper.as_str()] { (paper.title()) }
                }
            }
            label for="profile-document-locale" {
                "Document language " span.hint { "(the words, dates and amounts on documents)" }
            }
            select #profile-document-locale name="document_locale"
                aria-invalid=[refused.then_some("true")]
                aria-describedby=[refused.then_some("profile-refused")] {
                @for locale in DocumentLocale::ALL {
                    option value=(locale.as_str()) selected[form.document_locale == locale.as_str()] { (locale.title()) }
                }
            }
            p.muted { "Documents are laid out on " (documents.paper.title()) " now." }
        }
    }
}

/// The logo: shown, replaced by an upload, removed.
fn logo_section(ctx: &Ctx, documents: &DocumentSettings) -> Markup {
    html! {
        section aria-labelledby="logo" {
            h2 #logo { "Logo" }
            p.muted {
                "Drawn at the top of invoices, credit notes, statements and letters. A PNG or JPEG image of at most "
                (LOGO_BYTES_MAX / 1024) " KiB."
            }
            @if let Some(logo) = &documents.logo {
                p {
                    img #profile-logo src="/settings/profile/logo" alt="The organisation's logo" height="64";
                }
                p.muted #profile-logo-facts { (logo.media_type()) ", " (logo.width_px) "×" (logo.height_px) " px" }
                form method="post" action="/settings/profile/logo/remove" {
                    (ctx.csrf_field())
                    button #remove-logo type="submit" { "Remove the logo" }
                }
            } @else {
                p.muted #profile-no-logo { "No logo: documents begin with the organisation's name." }
            }
            form.stack method="post" action="/settings/profile/logo" enctype="multipart/form-data" {
                (ctx.csrf_field())
                label for="profile-logo-file" { "Logo file" }
                input #profile-logo-file type="file" name="logo" accept="image/png,image/jpeg" required;
                button #upload-logo type="submit" { "Upload the logo" }
            }
        }
    }
}

fn profile_page(
    store: &mut Store,
    p: &Principal,
    ctx: &Ctx,
    refusal: Option<&str>,
    typed: Option<&ProfileForm>,
    saved: bool,
) -> Result<Markup, ApiError> {
    let (seller, payment) = store.seller(p.org_id)?;
    let documents = store.document_settings(p.org_id)?;
    let owner = p.role == Role::Owner;
    let stored = ProfileForm::of(&seller, &payment, &documents);
    let refusal = refusal.map(problems).unwrap_or_default();
    let form = typed.unwrap_or(&stored);
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
                (documents_fieldset(form, &documents, &seller, refused("paper_size") || refused("document_locale")))
                button #save-profile.primary type="submit" { "Save the profile" }
            }
            (logo_section(ctx, &documents))
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
                dt { "Paper size" } dd #profile-paper { (documents.paper.title()) }
                dt { "Document language" } dd { (documents.locale.title()) }
                dt { "Logo" } dd {
                    @if documents.logo.is_some() {
                        img #profile-logo src="/settings/profile/logo" alt="The organisation's logo" height="48";
                    } @else { "—" }
                }
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
        Ok((
            StatusCode::OK,
            profile_page(store, p, ctx, None, None, saved)?,
        ))
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
            let options = submitted.options()?;
            store.set_seller(p.org_id, &party, &payment)?;
            store.set_document_options(p.org_id, &options)?;
            Ok("/settings/profile?saved=1".into())
        },
        move |store, p, ctx, message| {
            profile_page(store, p, ctx, Some(message), Some(&again), false)
        },
    )
    .await
}

/// The stored logo's bytes, for the page's `img` (404 when there is none).
pub async fn logo(State(state): State<AppState>, caller: Result<Caller, ApiError>) -> Response {
    let Ok(caller) = caller else {
        return see_other("/sign-in");
    };
    let found = state
        .as_caller(caller, Need::Read, move |store, p| {
            Ok(store.document_settings(p.org_id)?.logo)
        })
        .await;
    match found {
        Ok(Some(logo)) => {
            let mut response = logo.bytes.into_response();
            let headers = response.headers_mut();
            if let Ok(v) = HeaderValue::from_str(logo.format.media_type()) {
                headers.insert(header::CONTENT_TYPE, v);
            }
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Ok(None) => error_page(ApiError::not_found("The organisation has no logo.")),
        Err(e) => error_page(e),
    }
}

/// The owner uploads a logo (multipart, with the CSRF token as a field);
/// a file that is not a PNG or JPEG within the limit is refused on the
/// page and nothing is written.
pub async fn upload_logo(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    mut multipart: Multipart,
) -> Response {
    let (mut csrf, mut file) = (None, Vec::new());
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return error_page(ApiError::invalid(
                    "logo",
                    format!("The upload could not be read: {e}"),
                ))
            }
        };
        let name = field.name().unwrap_or("").to_string();
        let Ok(bytes) = field.bytes().await else {
            return error_page(ApiError::invalid(
                "logo",
                "The upload was cut short; try again.",
            ));
        };
        match name.as_str() {
            "csrf_token" => csrf = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "logo" => file = bytes.to_vec(),
            _ => {}
        }
    }
    submit(
        &state,
        caller,
        csrf,
        Need::Own,
        move |store, p, _| {
            store.set_logo(p.org_id, file)?;
            Ok("/settings/profile?saved=1".into())
        },
        move |store, p, ctx, message| profile_page(store, p, ctx, Some(message), None, false),
    )
    .await
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf_token: Option<String>,
}

/// The owner removes the logo.
pub async fn remove_logo(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Form(form): Form<CsrfForm>,
) -> Response {
    submit(
        &state,
        caller,
        form.csrf_token,
        Need::Own,
        move |store, p, _| {
            store.remove_logo(p.org_id)?;
            Ok("/settings/profile?saved=1".into())
        },
        move |store, p, ctx, message| profile_page(store, p, ctx, Some(message), None, false),
    )
    .await
}
