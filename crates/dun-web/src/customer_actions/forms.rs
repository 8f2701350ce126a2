//! The action forms of a customer's page, drawn from what the page read.

use dun_core::collections::policy::CustomerOverride;
use dun_core::customer::{ContactRole, PaymentMethod, NOTES_CHARS_MAX};
use dun_store::accounts::Role;
use dun_store::credit_file::CreditStanding;
use dun_store::disputes::DisputeRecord;
use dun_store::invoices::InvoiceSummary;
use dun_store::plans::SPLIT_EVERY_DAYS_DEFAULT;
use maud::{html, Markup};

use crate::layout::{encode, words, Ctx, STATUSES};

use super::ActionForm;

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
