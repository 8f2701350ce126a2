//! The actions on a customer's page beyond the call: a note, a dispute
//! (and its resolution), a pause of the ladder and its end, a credit
//! status set by a person (a hold, or an override of the policy's hold),
//! a payment plan, and a signed link to the customer's portal.
//!
//! Each form posts with the session's CSRF token through [`crate::submit`]
//! and calls the same store function, with the same checks, as the API's
//! route for it (`dun-server/src/routes/collections.rs`); success answers
//! 303 to the page's timeline, where the action shows. A refusal the
//! person can fix (422, and a conflict such as "already on hold") shows
//! the page again with the message beside the form and what was typed.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use axum::{Form, Router};
use dun_core::collections::credit::CustomerStatus;
use dun_core::collections::policy::{CustomerOverride, PolicyAmount};
use dun_core::customer::{Contact, ContactRole, PaymentMethod, NOTES_CHARS_MAX};
use dun_core::terms::Terms;
use dun_core::Date;
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_server::wire;
use dun_store::accounts::Role;
use dun_store::credit_file::{CreditStanding, StatusDecision};
use dun_store::customer_edit::CustomerEdit;
use dun_store::disputes::{DisputeRecord, NewDispute, Resolution};
use dun_store::invoices::InvoiceSummary;
use dun_store::plans::{NewPlan, PlanInstallments, PlanInvoices, Split, SPLIT_EVERY_DAYS_DEFAULT};
use dun_store::records::{ContactKind, NewContact};
use dun_store::{Store, StoreError};
use maud::{html, Markup};
use serde::Deserialize;

use crate::customers::{customer_page, Again};
use crate::layout::{encode, words, Ctx, STATUSES};
use crate::{error_page, html as html_response, submit};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/customers/{reference}/notes", post(note))
        .route("/customers/{reference}/disputes", post(dispute))
        .route("/customers/{reference}/disputes/resolve", post(resolve))
        .route("/customers/{reference}/pause", post(pause))
        .route("/customers/{reference}/resume", post(resume))
        .route("/customers/{reference}/status", post(status))
        .route("/customers/{reference}/edit", post(edit))
        .route("/customers/{reference}/address", post(address))
        .route("/customers/{reference}/people", post(add_contact))
        .route(
            "/customers/{reference}/people/{id}/remove",
            post(remove_contact),
        )
        .route("/customers/{reference}/plans", post(plan))
        .route("/customers/{reference}/portal-link", post(portal_link))
        .route(
            "/customers/{reference}/portal-withdraw",
            post(portal_withdraw),
        )
        .route("/customers/{reference}/override", post(policy_override))
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

/// What the page needs to draw the action forms.
pub(crate) struct ActionFacts<'a> {
    pub reference: &'a str,
    pub invoices: &'a [InvoiceSummary],
    pub disputes: &'a [DisputeRecord],
    pub standing: &'a CreditStanding,
    pub paused: bool,
    pub portal_link: Option<&'a str>,
    /// What the policy in force says differently for this customer.
    pub policy_override: Option<&'a CustomerOverride>,
    /// The customer's details as they stand (the edit form starts from them).
    pub customer: &'a dun_store::customers::Customer,
    /// Their address and identifiers, as invoices and e-invoices name them.
    pub buyer: &'a dun_core::party::Party,
    /// Their contacts besides the main e-mail and phone.
    pub contacts: &'a [dun_store::contacts::StoredContact],
    /// The organisation's currency (credit limits are in it).
    pub currency: dun_core::Currency,
}

/// The action forms of a customer's page (none for a viewer); `again` is
/// the refused form with its message.
pub(crate) fn action_forms(
    ctx: &Ctx,
    facts: &ActionFacts<'_>,
    again: Option<(&str, &ActionForm)>,
) -> Markup {
    if ctx.role == Role::Viewer {
        return html! {};
    }
    let blank = ActionForm::default();
    let (message, form) = match again {
        Some((m, f)) => (Some(m), f),
        None => (None, &blank),
    };
    let alert = |name: &str| -> Markup {
        html! {
            @if form.form == name {
                @if let Some(m) = message { p.notice.bad role="alert" { (m) } }
            }
        }
    };
    let action = |path: &str| format!("/customers/{}/{path}", encode(facts.reference));
    let numbered: Vec<(&str, &InvoiceSummary)> = facts
        .invoices
        .iter()
        .filter_map(|i| i.number.as_deref().map(|n| (n, i)))
        .collect();
    let mut currencies: Vec<dun_core::Currency> =
        numbered.iter().map(|(_, i)| i.currency).collect();
    currencies.sort();
    currencies.dedup();
    html! {
        section.actions aria-labelledby="actions" {
            h2 #actions { "Actions" }

            details.action open[form.form == "portal" || facts.portal_link.is_some()] {
                summary { "Portal link" }
                p.hint { "A signed link to this customer's portal: open invoices, statement, PDFs, promise and dispute. It works for 90 days." }
                @if let Some(link) = facts.portal_link {
                    label for="portal-link" { "Copy this link and send it to the customer" }
                    input #portal-link type="text" readonly value=(link);
                }
                form.stack method="post" action=(action("portal-link")) {
                    (ctx.csrf_field())
                    button type="submit" { "Make a portal link" }
                }
                p.hint { "Sent a link to the wrong person? Withdraw every link made so far; the next one you make or send works." }
                form.stack method="post" action=(action("portal-withdraw")) {
                    (ctx.csrf_field())
                    button type="submit" { "Withdraw the links sent so far" }
                }
            }

            details.action open[form.form == "note"] {
                summary { "Add a note" }
                (alert("note"))
                form.stack method="post" action=(action("notes")) {
                    (ctx.csrf_field())
                    input type="hidden" name="form" value="note";
                    label for="note_text" { "Note" }
                    textarea #note_text name="note_text" rows="3" required { (form.note_text) }
                    button type="submit" { "Add the note" }
                }
            }

            details.action open[form.form == "dispute"] {
                summary { "Record a dispute" }
                (alert("dispute"))
                @if numbered.is_empty() {
                    p.empty { "No open invoice to dispute." }
                } @else {
                    form.stack method="post" action=(action("disputes")) {
                        (ctx.csrf_field())
                        input type="hidden" name="form" value="dispute";
                        label for="dispute_invoice" { "Invoice" }
                        select #dispute_invoice name="dispute_invoice" required {
                            @for (n, _) in &numbered {
                                option value=(n) selected[form.dispute_invoice == *n] { (n) }
                            }
                        }
                        label for="dispute_reason" { "What the customer disputes" }
                        textarea #dispute_reason name="dispute_reason" rows="2" required { (form.dispute_reason) }
                        button type="submit" { "Open the dispute" }
                    }
                }
            }

            @if !facts.disputes.is_empty() {
                details.action open[form.form == "resolve"] {
                    summary { "Resolve a dispute" }
                    (alert("resolve"))
                    form.stack method="post" action=(action("disputes/resolve")) {
                        (ctx.csrf_field())
                        input type="hidden" name="form" value="resolve";
                        label for="resolve_dispute" { "Dispute" }
                        select #resolve_dispute name="resolve_dispute" required {
                            @for d in facts.disputes {
                                @let id = d.id.to_string();
                                option value=(id) selected[form.resolve_dispute == id] { (d.invoice) ": " (d.reason) }
                            }
                        }
                        label for="resolution" { "Outcome" }
                        select #resolution name="resolution" {
                            option value="rejected" selected[form.resolution != "credit_note"] { "Rejected: the invoice stands, collections resume" }
                            option value="credit_note" selected[form.resolution == "credit_note"] { "Credit note: the customer is right (in part)" }
                        }
                        label for="resolve_amount" { "Credit note amount " span.hint { "(only with a credit note)" } }
                        input #resolve_amount type="text" inputmode="decimal" name="resolve_amount" value=(form.resolve_amount);
                        label for="resolve_reason" { "Why " span.hint { "(optional)" } }
                        input #resolve_reason type="text" name="resolve_reason" value=(form.resolve_reason);
                        button type="submit" { "Resolve the dispute" }
                    }
                }
            }

            details.action open[form.form == "pause" || form.form == "resume"] {
                summary { @if facts.paused { "Resume the ladder" } @else { "Pause the ladder" } }
                (alert("pause"))
                (alert("resume"))
                @if facts.paused {
                    form.stack method="post" action=(action("resume")) {
                        (ctx.csrf_field())
                        input type="hidden" name="form" value="resume";
                        button type="submit" { "Resume the ladder" }
                    }
                } @else {
                    form.stack method="post" action=(action("pause")) {
                        (ctx.csrf_field())
                        input type="hidden" name="form" value="pause";
                        label for="pause_until" { "Paused through " span.hint { "(empty: until resumed)" } }
                        input #pause_until type="date" name="pause_until" value=(form.pause_until);
                        label for="pause_reason" { "Why" }
                        input #pause_reason type="text" name="pause_reason" value=(form.pause_reason) required;
                        button type="submit" { "Pause the ladder" }
                    }
                }
            }

            details.action open[form.form == "edit"] {
                summary { "Edit details" }
                p.hint { "Name, main e-mail and phone, credit limit, terms for new invoices, accepted payment methods and notes. Every change is on the timeline with who, before and after. An empty e-mail, phone, limit or notes removes it." }
                (alert("edit"))
                @let c = facts.customer;
                @let again = form.form == "edit";
                @let limit = c.credit_limit_minor.map(|l| dun_core::money::format_minor(l, facts.currency)).unwrap_or_default();
                form.stack method="post" action=(action("edit")) {
                    (ctx.csrf_field())
                    input type="hidden" name="form" value="edit";
                    label for="edit_name" { "Name" }
                    input #edit_name type="text" name="edit_name" required value=(if again { form.edit_name.clone() } else { c.name.clone() });
                    label for="edit_email" { "E-mail" }
                    input #edit_email type="email" name="edit_email" value=(if again { form.edit_email.clone() } else { c.email.clone().unwrap_or_default() });
                    label for="edit_phone" { "Phone" }
                    input #edit_phone type="tel" name="edit_phone" value=(if again { form.edit_phone.clone() } else { c.phone.clone().unwrap_or_default() });
                    label for="edit_credit_limit" { "Credit limit (" (facts.currency.code()) ") " span.hint { "(empty: the policy's)" } }
                    input #edit_credit_limit type="text" inputmode="decimal" name="edit_credit_limit" value=(if again { form.edit_credit_limit.clone() } else { limit });
                    label for="edit_terms" { "Terms " span.hint { "(net30, eom15, due_on_receipt, installments:30/60/90)" } }
                    input #edit_terms type="text" name="edit_terms" required value=(if again { form.edit_terms.clone() } else { c.terms.to_string() });
                    fieldset #edit_methods {
                        legend { "Accepted payment methods " span.hint { "(none ticked: any; without card, the portal offers no card payment)" } }
                        @for m in PaymentMethod::ALL {
                            @let id = format!("pm_{}", m.as_str());
                            @let ticked = if again { !form.method_box(m).is_empty() } else { c.payment_methods.as_ref().is_some_and(|ms| ms.contains(&m)) };
                            div.check {
                                input id=(id) type="checkbox" name=(id) value="1" checked[ticked];
                                label for=(id) { (m.label()) }
                            }
                        }
                    }
                    label for="edit_notes" { "Notes " span.hint { "(at most " (NOTES_CHARS_MAX) " characters)" } }
                    textarea #edit_notes name="edit_notes" rows="3" { (if again { form.edit_notes.clone() } else { c.notes.clone().unwrap_or_default() }) }
                    button type="submit" { "Save details" }
                }
            }

            details.action open[form.form == "contact"] {
                summary { "Contacts" }
                p.hint { "Besides the main e-mail and phone. Invoices, reminders and statements go to the main e-mail and every billing contact, with accounts payable in copy; other contacts get no e-mail. Every change is on the timeline." }
                (alert("contact"))
                @if !facts.contacts.is_empty() {
                    ul.stack #contact-list {
                        @for c in facts.contacts {
                            li {
                                form method="post" action=(action(&format!("people/{}/remove", c.id))) {
                                    (ctx.csrf_field())
                                    input type="hidden" name="form" value="contact";
                                    (c.contact.describe()) " "
                                    button type="submit" { "Remove" span.visually-hidden { " " (c.contact.describe()) } }
                                }
                            }
                        }
                    }
                }
                form.stack method="post" action=(action("people")) {
                    (ctx.csrf_field())
                    input type="hidden" name="form" value="contact";
                    label for="contact_role" { "Role" }
                    select #contact_role name="contact_role" {
                        @for r in ContactRole::ALL {
                            option value=(r.as_str()) selected[form.contact_role == r.as_str()] { (words(r.as_str())) }
                        }
                    }
                    label for="contact_name" { "Name " span.hint { "(optional)" } }
                    input #contact_name type="text" name="contact_name" value=(form.contact_name);
                    label for="contact_email" { "E-mail" }
                    input #contact_email type="email" name="contact_email" value=(form.contact_email);
                    label for="contact_phone" { "Phone" }
                    input #contact_phone type="tel" name="contact_phone" value=(form.contact_phone);
                    button type="submit" { "Add the contact" }
                }
            }

            details.action open[form.form == "address"] {
                summary { "Address and identifiers" }
                p.hint { "As invoices and e-invoices name the customer. Every change is on the timeline with who, before and after; an empty field removes it." }
                (alert("address"))
                @let b = facts.buyer;
                @let again = form.form == "address";
                @let line = |i: usize| b.address_lines.get(i).cloned().unwrap_or_default();
                @let value = |typed: &str, stored: &Option<String>| if again { typed.to_string() } else { stored.clone().unwrap_or_default() };
                form.stack method="post" action=(action("address")) {
                    (ctx.csrf_field())
                    input type="hidden" name="form" value="address";
                    label for="address_1" { "Street address" }
                    input #address_1 type="text" name="address_1" value=(if again { form.address.address_1.clone() } else { line(0) });
                    label.visually-hidden for="address_2" { "Street address, line 2" }
                    input #address_2 type="text" name="address_2" value=(if again { form.address.address_2.clone() } else { line(1) });
                    label.visually-hidden for="address_3" { "Street address, line 3" }
                    input #address_3 type="text" name="address_3" value=(if again { form.address.address_3.clone() } else { line(2) });
                    label for="city" { "City" }
                    input #city type="text" name="city" value=(value(&form.address.city, &b.city));
                    label for="postcode" { "Postcode" }
                    input #postcode type="text" name="postcode" value=(value(&form.address.postcode, &b.postcode));
                    label for="region" { "State, county or province" }
                    input #region type="text" name="region" value=(value(&form.address.region, &b.region));
                    label for="country_code" { "Country " span.hint { "(two letters: GB, DE, US)" } }
                    input #country_code type="text" name="country_code" maxlength="2" autocapitalize="characters" value=(value(&form.address.country_code, &b.country_code));
                    label for="vat_id" { "VAT id " span.hint { "(with its country prefix: DE123456789)" } }
                    input #vat_id type="text" name="vat_id" value=(value(&form.address.vat_id, &b.vat_id));
                    label for="company_id" { "Company registration number" }
                    input #company_id type="text" name="company_id" value=(value(&form.address.company_id, &b.company_id));
                    label for="endpoint" { "Electronic address " span.hint { "(Peppol, SCHEME:ID: 0088:5790000435975, 9930:DE123456789)" } }
                    input #endpoint type="text" name="endpoint" value=(value(&form.address.endpoint, &b.endpoint));
                    button type="submit" { "Save address" }
                }
            }

            details.action open[form.form == "status"] {
                summary { "Hold or credit status" }
                p.hint {
                    "Now " (words(facts.standing.status.as_str()))
                    @if facts.standing.status_by_policy { ", placed by the policy" }
                    @if let Some(until) = facts.standing.status_held_until.filter(|d| *d < dun_store::credit_file::paused_indefinitely()) { ", set by a person through " (until) }
                    ". A status set here overrides the policy: the daily run leaves it alone (it proposes on the worklist instead) through the day given, or until a person changes it."
                }
                (alert("status"))
                form.stack method="post" action=(action("status")) {
                    (ctx.csrf_field())
                    input type="hidden" name="form" value="status";
                    label for="hold_status" { "Status" }
                    select #hold_status name="hold_status" {
                        @for s in STATUSES {
                            option value=(s) selected[if form.hold_status.is_empty() { s == facts.standing.status.as_str() } else { form.hold_status == s }] { (words(s)) }
                        }
                    }
                    label for="hold_reason" { "Why" }
                    input #hold_reason type="text" name="hold_reason" value=(form.hold_reason) required;
                    label for="hold_until" { "Holds through " span.hint { "(empty: until a person changes it)" } }
                    input #hold_until type="date" name="hold_until" value=(form.hold_until);
                    button type="submit" { "Set the status" }
                }
            }

            details.action open[form.form == "override"] {
                summary { "Policy override" }
                @if let Some(o) = facts.policy_override {
                    p { "The policy gives this customer their own rules: " (o.describe()) ". Change or remove them in the policy editor." }
                } @else if ctx.role != Role::Owner {
                    p.hint { "Only an owner can give a customer their own terms, credit limit or ladder in the policy." }
                } @else {
                    p.hint { "Their own terms, credit limit or ladder, written into the policy as a new version with the reason." }
                    (alert("override"))
                    form.stack method="post" action=(action("override")) {
                        (ctx.csrf_field())
                        input type="hidden" name="form" value="override";
                        label for="override_terms" { "Payment terms " span.hint { "(e.g. net60; empty: unchanged)" } }
                        input #override_terms type="text" name="override_terms" value=(form.override_terms);
                        label for="override_credit_limit" { "Credit limit (" (ctx.currency.code()) ") " span.hint { "(empty: unchanged)" } }
                        input #override_credit_limit type="text" inputmode="decimal" name="override_credit_limit" value=(form.override_credit_limit);
                        label for="override_shift_days" { "Ladder steps later by (days) " span.hint { "(empty: unchanged)" } }
                        input #override_shift_days type="number" name="override_shift_days" value=(form.override_shift_days);
                        div.check {
                            input #override_pause type="checkbox" name="override_pause" value="1" checked[!form.override_pause.is_empty()];
                            label for="override_pause" { "No reminders, notices, fees or interest" }
                        }
                        label for="override_reason" { "Why" }
                        input #override_reason type="text" name="override_reason" value=(form.override_reason) required;
                        button type="submit" { "Record the override" }
                    }
                }
            }

            details.action open[form.form == "plan"] {
                summary { "Payment plan" }
                (alert("plan"))
                @if numbered.is_empty() {
                    p.empty { "No open invoice to put on a plan." }
                } @else {
                    form.stack method="post" action=(action("plans")) {
                        (ctx.csrf_field())
                        input type="hidden" name="form" value="plan";
                        label for="plan_invoices" { "Invoices" }
                        select #plan_invoices name="plan_invoices" {
                            @for c in &currencies {
                                @let all = format!("*{}", c.code());
                                option value=(all) selected[form.plan_invoices == all] { "Every open invoice in " (c.code()) }
                            }
                            @for (n, _) in &numbered {
                                option value=(n) selected[form.plan_invoices == *n] { (n) " only" }
                            }
                        }
                        label for="plan_count" { "Installments" }
                        input #plan_count type="number" min="1" name="plan_count" value=(form.plan_count) required;
                        label for="plan_first" { "First installment due" }
                        input #plan_first type="date" name="plan_first" value=(form.plan_first) required;
                        label for="plan_every" { "Days between installments" }
                        input #plan_every type="number" min="1" name="plan_every" value=(if form.plan_every.is_empty() { SPLIT_EVERY_DAYS_DEFAULT.to_string() } else { form.plan_every.clone() });
                        button type="submit" { "Create the plan" }
                    }
                }
            }
        }
    }
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

async fn note(
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
            let text = required("note_text", &f.note_text, "A note needs its text.")?;
            store
                .log_contact(
                    p.org_id,
                    &NewContact {
                        customer_ref: reference.to_string(),
                        kind: ContactKind::Note,
                        summary: text.to_string(),
                        outcome: None,
                        on: ctx.today,
                        author: p.author(),
                        invoices: Vec::new(),
                        promise: None,
                    },
                )
                .map_err(store_err)?;
            Ok(())
        },
    )
    .await
}

/// Refuses an invoice that is not this customer's.
fn own_invoice(
    store: &mut Store,
    org_id: i64,
    reference: &str,
    number: &str,
    today: Date,
) -> Result<(), ApiError> {
    match store.invoice(org_id, number, today) {
        Ok(view) if view.customer_ref == reference => Ok(()),
        Ok(_) | Err(StoreError::NotFound { .. }) => Err(ApiError::invalid(
            "invoice",
            format!("{reference} has no invoice {number}."),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn dispute(
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
            let invoice = required(
                "dispute_invoice",
                &f.dispute_invoice,
                "Choose the disputed invoice.",
            )?;
            let reason = required(
                "dispute_reason",
                &f.dispute_reason,
                "A dispute needs what the customer disputes.",
            )?;
            own_invoice(store, p.org_id, reference, invoice, ctx.today)?;
            store
                .open_dispute(
                    p.org_id,
                    &NewDispute {
                        invoice: invoice.to_string(),
                        line: None,
                        reason: reason.to_string(),
                        on: ctx.today,
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

async fn resolve(
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
            let id: i64 = f.resolve_dispute.trim().parse().map_err(|_| {
                ApiError::invalid("resolve_dispute", "Choose the dispute to resolve.")
            })?;
            let found = store.dispute(p.org_id, id).map_err(store_err)?;
            if found.customer_ref != reference {
                return Err(ApiError::invalid(
                    "resolve_dispute",
                    format!("{reference} has no dispute #{id}."),
                ));
            }
            let reason = f.resolve_reason.trim().to_string();
            let amount = f.resolve_amount.trim();
            let resolution = match (f.resolution.as_str(), amount.is_empty()) {
                ("credit_note", false) => {
                    let currency = store.invoice(p.org_id, &found.invoice, ctx.today)?.currency;
                    let amount_minor = wire::parse_amount("resolve_amount", amount, currency)?;
                    if amount_minor <= 0 {
                        return Err(ApiError::invalid(
                            "resolve_amount",
                            "The credit note's amount must be more than zero.",
                        ));
                    }
                    Resolution::CreditNote {
                        amount_minor,
                        reason,
                    }
                }
                ("credit_note", true) => {
                    return Err(ApiError::invalid(
                        "resolve_amount",
                        "A credit note needs its amount.",
                    ))
                }
                ("rejected" | "", true) => Resolution::Rejected { reason },
                ("rejected" | "", false) => {
                    return Err(ApiError::invalid(
                        "resolve_amount",
                        "A rejected dispute has no amount; choose a credit note to credit it.",
                    ))
                }
                _ => {
                    return Err(ApiError::invalid(
                        "resolution",
                        "Choose rejected or credit note.",
                    ))
                }
            };
            store
                .resolve_dispute(p.org_id, id, &resolution, ctx.today, &p.author())
                .map_err(store_err)?;
            Ok(())
        },
    )
    .await
}

async fn pause(
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
            let reason = required("pause_reason", &f.pause_reason, "A pause needs its reason.")?;
            let until = match f.pause_until.trim() {
                "" => None,
                text => Some(wire::parse_date("pause_until", text)?),
            };
            // The store's rule, called first to word the form's hint.
            dun_store::credit_file::check_pause_until(until, ctx.today).map_err(|e| {
                ApiError::invalid(
                    "pause_until",
                    format!("A pause runs from today ({}); choose a later day.", e.today),
                )
            })?;
            store
                .pause_customer(p.org_id, reference, until, reason, ctx.today, &p.author())
                .map_err(store_err)?;
            Ok(())
        },
    )
    .await
}

/// Withdraws every portal link made so far for the customer.
async fn portal_withdraw(
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

async fn resume(
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
        |store, p, ctx, _, reference| {
            store
                .resume_customer(p.org_id, reference, ctx.today, &p.author())
                .map_err(store_err)?;
            Ok(())
        },
    )
    .await
}

async fn edit(
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

async fn add_contact(
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

async fn remove_contact(
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
async fn address(
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

async fn status(
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
            let status = CustomerStatus::parse(f.hold_status.trim()).ok_or_else(|| {
                ApiError::invalid(
                    "hold_status",
                    format!("Choose one of: {}.", STATUSES.map(words).join(", ")),
                )
            })?;
            let reason = required(
                "hold_reason",
                &f.hold_reason,
                "A change of status needs its reason.",
            )?;
            let until = match f.hold_until.trim() {
                "" => None,
                text => Some(wire::parse_date("hold_until", text)?),
            };
            let decision = StatusDecision {
                status,
                reason,
                until,
            };
            store
                .set_customer_status(p.org_id, reference, &decision, ctx.today, &p.author())
                .map_err(store_err)?;
            Ok(())
        },
    )
    .await
}

async fn plan(
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

/// Makes a signed portal link (valid as long as the one printed on
/// documents) and shows the page with it, ready to copy.
async fn portal_link(
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

/// Gives the customer their own rules in the policy: a `[[customer]]`
/// table appended to the document in force (the owner's notes kept), as a
/// new version with the reason (owners only, as `PUT /api/v1/policy`),
/// and logged on the customer's timeline.
async fn policy_override(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(reference): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    act_as(
        Need::Own,
        state,
        caller,
        reference,
        form,
        |store, p, ctx, f, reference| {
            let reason = required(
                "override_reason",
                &f.override_reason,
                "An override needs its reason.",
            )?;
            let terms = match f.override_terms.trim() {
                "" => None,
                t => Some(
                    Terms::parse(t)
                        .map_err(|e| ApiError::invalid("override_terms", format!("terms: {e}")))?,
                ),
            };
            let credit_limit = match f.override_credit_limit.trim() {
                "" => None,
                t => Some(PolicyAmount::parse(t).map_err(|e| {
                    ApiError::invalid("override_credit_limit", format!("credit limit: {e}"))
                })?),
            };
            let shift: i32 = match f.override_shift_days.trim() {
                "" => 0,
                t => t.parse().map_err(|_| {
                    ApiError::invalid(
                        "override_shift_days",
                        format!("'{t}' is not a number of days."),
                    )
                })?,
            };
            let pause = !f.override_pause.trim().is_empty();
            let added = CustomerOverride {
                reference: reference.to_string(),
                terms,
                credit_limit,
                pause,
                ladder_shift_days: shift,
                reason: reason.to_string(),
            };
            // The store appends the table to the policy in force, makes the new
            // version and logs it, in one transaction.
            match store.add_customer_override(p.org_id, &added, ctx.today, &p.author()) {
                Ok(_) => Ok(()),
                Err(StoreError::PolicyDocument(errors)) => {
                    let list: Vec<String> = errors.iter().map(|e| e.reason.clone()).collect();
                    Err(ApiError::invalid(
                        "override_terms",
                        format!("The policy refused it: {}", list.join("; ")),
                    ))
                }
                Err(e) => Err(store_err(e)),
            }
        },
    )
    .await
}
