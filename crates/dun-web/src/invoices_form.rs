//! The draft invoice form: customer, issue date, currency, terms and
//! itemized lines (repeated `description`, `quantity`, `unit_price`,
//! `tax_rate` fields; rows `line-{i}-…`), a row more on request, totals
//! from the server without JavaScript and live with `invoice-form.js`
//! (dun-core's arithmetic ported exactly), saved as a draft or issued.
//!
//! The totals are `dun_core::invoice`'s: quantity × unit price rounded
//! half-even to the currency's minor unit, tax rounded half-even per line,
//! then summed; the script does the same in integers (BigInt).

use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use dun_core::invoice::{
    format_quantity, format_tax_rate, parse_quantity_e4, parse_tax_rate_ppm, totals, InvoiceDraft,
    InvoiceLine, Totals, LINES_MAX,
};
use dun_core::terms::Terms;
use dun_core::{money as core_money, Currency, Date};
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_store::accounts::{Principal, Role};
use dun_store::credit_file::IssueOverride;
use dun_store::customer_list::CustomerFilter;
use dun_store::{Store, StoreError};
use maud::{html, Markup};
use serde::Deserialize;

use crate::assets;
use crate::invoices::{
    check_override, form_key, href, invoice_page, non_empty, readable, sent_key, store_key,
    ActionForm,
};
use crate::layout::{money, page, Ctx};
use crate::{read_page, submit};

/// Rows a new draft form starts with.
const START_ROWS: usize = 3;
/// Customers the form's datalist offers (the rest are typed).
const CUSTOMER_OPTIONS: i64 = 50;

/// One row of the draft form (or the recurring invoice form), as typed.
#[derive(Clone, Debug, Default)]
pub struct LineForm {
    pub(crate) description: String,
    pub(crate) quantity: String,
    pub(crate) unit_price: String,
    pub(crate) tax_rate: String,
}

impl LineForm {
    fn is_blank(&self) -> bool {
        [
            &self.description,
            &self.quantity,
            &self.unit_price,
            &self.tax_rate,
        ]
        .iter()
        .all(|t| t.trim().is_empty())
    }
}

/// The draft form, as typed (repeated `description`, `quantity`,
/// `unit_price`, `tax_rate` make the rows, in order).
#[derive(Clone, Debug, Default)]
pub struct DraftForm {
    csrf_token: Option<String>,
    customer: String,
    issue_date: String,
    terms: String,
    override_reason: String,
    action: String,
    form_key: String,
    currency: String,
    lines: Vec<LineForm>,
    /// The draft this form changes (its id); none for a new invoice.
    editing: Option<i64>,
}

impl DraftForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> DraftForm {
        let mut form = DraftForm::default();
        let mut columns: [Vec<String>; 4] = Default::default();
        for (name, value) in pairs {
            match name.as_str() {
                "csrf_token" => form.csrf_token = Some(value),
                "customer" => form.customer = value,
                "issue_date" => form.issue_date = value,
                "terms" => form.terms = value,
                "override_reason" => form.override_reason = value,
                "action" => form.action = value,
                "form_key" => form.form_key = value,
                "currency" => form.currency = value,
                "description" => columns[0].push(value),
                "quantity" => columns[1].push(value),
                "unit_price" => columns[2].push(value),
                "tax_rate" => columns[3].push(value),
                _ => {}
            }
        }
        form.lines = LineForm::rows(&columns);
        form
    }
}

impl LineForm {
    /// The rows of a form whose repeated `description`, `quantity`,
    /// `unit_price`, `tax_rate` fields (in that order here) make its lines.
    pub(crate) fn rows(columns: &[Vec<String>; 4]) -> Vec<LineForm> {
        let rows = columns
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(0)
            .min(LINES_MAX);
        let cell = |c: usize, i: usize| columns[c].get(i).cloned().unwrap_or_default();
        (0..rows)
            .map(|i| LineForm {
                description: cell(0, i),
                quantity: cell(1, i),
                unit_price: cell(2, i),
                tax_rate: cell(3, i),
            })
            .collect()
    }
}

/// One typed row as a line, or the sentence saying what to fix.
fn parse_line(n: usize, l: &LineForm, currency: Currency) -> Result<InvoiceLine, ApiError> {
    let field = |part: &str| format!("lines[{}].{part}", n - 1);
    let quantity = l.quantity.trim();
    if quantity.is_empty() {
        return Err(ApiError::invalid(
            field("quantity"),
            format!("Line {n}: give a quantity, e.g. 1 or 2.5."),
        ));
    }
    let quantity = parse_quantity_e4(quantity)
        .map_err(|e| ApiError::invalid(field("quantity"), format!("Line {n}: {e}.")))?;
    let price = l.unit_price.trim();
    if price.is_empty() {
        return Err(ApiError::invalid(
            field("unit_price"),
            format!("Line {n}: give a unit price, e.g. 42.50."),
        ));
    }
    let price = core_money::UnitPrice::parse(price, currency).map_err(|e| {
        ApiError::invalid(field("unit_price"), format!("Line {n}: unit price: {e}."))
    })?;
    let tax = match l.tax_rate.trim() {
        "" => 0,
        t => parse_tax_rate_ppm(t)
            .map_err(|e| ApiError::invalid(field("tax_rate"), format!("Line {n}: {e}.")))?,
    };
    InvoiceLine::priced(l.description.trim(), quantity, price, tax)
        .map_err(|e| ApiError::invalid(format!("lines[{}]", n - 1), format!("Line {n}: {e}.")))
}

/// The form's currency: the organisation's unless another code is typed.
fn form_currency(form: &DraftForm, ctx: &Ctx) -> Result<Currency, ApiError> {
    match form.currency.trim() {
        "" => Ok(ctx.currency),
        code => Currency::parse(&code.to_ascii_uppercase())
            .map_err(|e| ApiError::invalid("currency", format!("Currency: {e}."))),
    }
}

/// The currencies whose minor unit is not the cent, as "JPY:0 BHD:3 …",
/// for the live totals of an invoice in another currency.
fn exponents() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        let out: Vec<String> = Currency::all()
            .filter(|c| c.exponent() != 2)
            .map(|c| format!("{}:{}", c.code(), c.exponent()))
            .collect();
        out.join(" ")
    })
}

/// The rows that are not blank, as lines; the first problem otherwise.
pub(crate) fn parse_lines(
    rows: &[LineForm],
    currency: Currency,
) -> Result<Vec<InvoiceLine>, ApiError> {
    let mut lines = Vec::new();
    for (i, l) in rows.iter().enumerate() {
        if !l.is_blank() {
            lines.push(parse_line(i + 1, l, currency)?);
        }
    }
    if lines.is_empty() {
        return Err(ApiError::invalid(
            "lines",
            "Lines: an invoice needs at least one line with a quantity and a unit price.",
        ));
    }
    dun_core::invoice::checked_totals(&lines).map_err(|_| {
        ApiError::invalid(
            "lines",
            "Lines: the invoice total is too large; split it into several invoices.",
        )
    })?;
    Ok(lines)
}

/// The totals of the rows that parse (the live view the server can give).
fn form_totals(form: &DraftForm, currency: Currency) -> (Vec<Option<i64>>, Totals) {
    let parsed: Vec<Option<InvoiceLine>> = form
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            (!l.is_blank())
                .then(|| parse_line(i + 1, l, currency).ok())
                .flatten()
        })
        .collect();
    let valid: Vec<InvoiceLine> = parsed.iter().flatten().cloned().collect();
    let per_line = parsed
        .iter()
        .map(|l| l.as_ref().map(|l| l.net_minor() + l.tax_minor()))
        .collect();
    (per_line, totals(&valid))
}

fn customer_options(
    store: &mut Store,
    p: &Principal,
    ctx: &Ctx,
) -> Result<Vec<(String, String)>, ApiError> {
    Ok(store
        .customer_page(
            p.org_id,
            &CustomerFilter {
                after_ref: None,
                reference: None,
                status: None,
                tier: None,
                overdue: false,
                search: None,
                as_of: ctx.today,
                limit: CUSTOMER_OPTIONS,
            },
        )?
        .into_iter()
        .map(|c| (c.reference, c.name))
        .collect())
}

fn draft_page(
    store: &mut Store,
    p: &Principal,
    ctx: &Ctx,
    form: &DraftForm,
    message: Option<&str>,
) -> Result<Markup, ApiError> {
    if ctx.role < Role::Collector {
        let body = html! {
            p.crumbs { a href="/invoices" { "Invoices" } " / new" }
            h1 { "New invoice" }
            p.notice { "You may read the book but not write to it: a collector or an owner makes invoices." }
        };
        return Ok(page(ctx, "Invoices", "New invoice", body));
    }
    let customers = customer_options(store, p, ctx)?;
    // Shown in the organisation's currency while the typed one is unknown.
    let currency = form_currency(form, ctx).unwrap_or(ctx.currency);
    let (per_line, sums) = form_totals(form, currency);
    let (title, action) = match form.editing {
        Some(id) => (
            format!("Edit draft #{id}"),
            format!("{}/edit", href(None, id)),
        ),
        None => ("New invoice".to_string(), "/invoices/new".to_string()),
    };
    let body = html! {
        p.crumbs { a href="/invoices" { "Invoices" } " / "
            @match form.editing { Some(id) => a href=(href(None, id)) { "draft #" (id) }, None => "new" } }
        h1 { (title) }
        @if let Some(message) = message {
            p.notice.bad role="alert" { (message) }
        }
        form #invoice-form.stack method="post" action=(action)
            data-currency=(currency.code()) data-exponent=(currency.exponent()) data-exponents=(exponents())
            data-price-extra-decimals=(core_money::UNIT_PRICE_EXTRA_DECIMALS_MAX) {
            (ctx.csrf_field())
            input type="hidden" name="form_key" value=(form.form_key);
            label for="customer" { "Customer (reference)" }
            input #customer type="text" name="customer" list="customer-list" value=(form.customer) required autocomplete="off";
            datalist #customer-list {
                @for (reference, name) in &customers {
                    option value=(reference) { (name) }
                }
            }
            label for="issue_date" { "Issue date" }
            input #issue_date type="date" name="issue_date" value=(form.issue_date);
            label for="currency" { "Currency" }
            input #currency type="text" name="currency" value=(if form.currency.is_empty() { currency.code() } else { form.currency.as_str() }) size="4" maxlength="3" autocapitalize="characters";
            label for="terms" { "Terms " span.hint { "(e.g. net30, eom15, due_on_receipt; empty: the customer's)" } }
            input #terms type="text" name="terms" value=(form.terms);
            fieldset {
                legend { "Lines" }
                div.scroll tabindex="0" {
                    table.data.lines {
                        thead { tr {
                            th scope="col" { "Description" }
                            th.num scope="col" { "Quantity" }
                            th.num scope="col" { "Unit price" }
                            th.num scope="col" { "Tax %" }
                            th.num scope="col" { "Line total" }
                        } }
                        tbody {
                            @for (i, line) in form.lines.iter().enumerate() {
                                tr data-line=(i) {
                                    td {
                                        label.visually-hidden for=(format!("line-{i}-description")) { "Line " (i + 1) " description" }
                                        input id=(format!("line-{i}-description")) type="text" name="description" value=(line.description);
                                    }
                                    td.num {
                                        label.visually-hidden for=(format!("line-{i}-quantity")) { "Line " (i + 1) " quantity" }
                                        input id=(format!("line-{i}-quantity")) type="text" inputmode="decimal" size="6" name="quantity" value=(line.quantity);
                                    }
                                    td.num {
                                        label.visually-hidden for=(format!("line-{i}-unit_price")) { "Line " (i + 1) " unit price" }
                                        input id=(format!("line-{i}-unit_price")) type="text" inputmode="decimal" size="9" name="unit_price" value=(line.unit_price);
                                    }
                                    td.num {
                                        label.visually-hidden for=(format!("line-{i}-tax_rate")) { "Line " (i + 1) " tax rate (percent)" }
                                        input id=(format!("line-{i}-tax_rate")) type="text" inputmode="decimal" size="5" name="tax_rate" value=(line.tax_rate);
                                    }
                                    td.num {
                                        output id=(format!("line-{i}-total")) {
                                            @match per_line.get(i).copied().flatten() {
                                                Some(t) => (money(t, currency)),
                                                None => "—",
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                div.buttons {
                    button type="submit" name="action" value="add_line" formnovalidate { "Add a line" }
                    " "
                    button type="submit" name="action" value="totals" formnovalidate { "Show totals" }
                }
            }
            div #totals.totals aria-live="polite" {
                dl.facts {
                    dt { "Subtotal" } dd.num #subtotal { (money(sums.subtotal_minor, currency)) }
                    dt { "Tax" } dd.num #tax { (money(sums.tax_minor, currency)) }
                    dt { "Total" } dd.num #total { strong { (money(sums.total_minor, currency)) } }
                }
            }
            label for="override_reason" { "Override reason " span.hint { "(only to issue over a credit-policy refusal; logged with your name)" } }
            input #override_reason type="text" name="override_reason" value=(form.override_reason);
            div.buttons {
                button #draft type="submit" name="action" value="draft" { "Save draft" }
                " "
                button #issue.primary type="submit" name="action" value="issue" { "Save and issue" }
            }
        }
        script src=(assets::invoice_js_href()) defer {}
    };
    Ok(page(ctx, "Invoices", &title, body))
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct NewQuery {
    customer: Option<String>,
}

pub async fn new_form(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Query(query): Query<NewQuery>,
) -> Response {
    read_page(&state, caller, move |store, p, ctx| {
        let mut form = DraftForm {
            issue_date: ctx.today.to_string(),
            form_key: form_key(),
            lines: vec![LineForm::default(); START_ROWS],
            ..DraftForm::default()
        };
        if let Some(reference) = non_empty(&query.customer) {
            if let Ok(customer) = store.customer(p.org_id, &reference) {
                form.terms = customer.terms.to_string();
                form.customer = customer.reference;
            } else {
                form.customer = reference;
            }
        }
        Ok((StatusCode::OK, draft_page(store, p, ctx, &form, None)?))
    })
    .await
}

/// Saves the form: a new draft, or the draft it edits. Returns the id.
fn save_draft(
    store: &mut Store,
    p: &Principal,
    ctx: &Ctx,
    form: &DraftForm,
) -> Result<i64, ApiError> {
    let reference = form.customer.trim();
    if reference.is_empty() {
        return Err(ApiError::invalid(
            "customer",
            "Customer: type the customer's reference.",
        ));
    }
    let customer = store.customer(p.org_id, reference).map_err(|e| match e {
        StoreError::NotFound { .. } => ApiError::invalid(
            "customer",
            format!("Customer: no customer has the reference '{reference}'."),
        ),
        other => other.into(),
    })?;
    let issue_date = match form.issue_date.trim() {
        "" => ctx.today,
        d => Date::parse(d)
            .map_err(|e| ApiError::invalid("issue_date", format!("Issue date: {e}.")))?,
    };
    let terms = match form.terms.trim() {
        "" => customer.terms.clone(),
        t => Terms::parse(t).map_err(|e| ApiError::invalid("terms", format!("Terms: {e}.")))?,
    };
    let currency = form_currency(form, ctx)?;
    let lines = parse_lines(&form.lines, currency)?;
    let draft = InvoiceDraft {
        customer_id: customer.id,
        currency,
        issue_date,
        terms,
        description: String::new(),
        lines,
        installments: Vec::new(),
    };
    draft
        .schedule()
        .map_err(|e| ApiError::invalid("lines", format!("{e}")))?;
    let key = sent_key(&form.form_key);
    let saved = match form.editing {
        Some(id) => store.replace_draft(p.org_id, &format!("#{id}"), &draft, key.as_deref()),
        None => store.create_invoice(p.org_id, &draft, key.as_deref()),
    };
    saved.map_err(|e| match e {
            // The same form sent again with other values (after going back).
            StoreError::KeyReused(_) => ApiError::invalid(
                "form_key",
                "This form was saved already (see Invoices); send it again to save these values as another invoice.",
            ),
            other => other.into(),
        })
}

pub async fn new_submit(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    submit_form(state, caller, DraftForm::from_pairs(pairs)).await
}

/// The draft `key` (`draft-ID`) in the form, as it is now.
pub async fn edit_form(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(key): Path<String>,
) -> Response {
    read_page(&state, caller, move |store, p, ctx| {
        let v = store.invoice(p.org_id, &store_key(&key), ctx.today)?;
        if v.number.is_some() {
            return Err(ApiError::conflict(
                "An issued invoice never changes: a credit note or a void undoes it.",
            ));
        }
        let c = v.currency;
        let mut lines: Vec<LineForm> = v
            .lines
            .iter()
            .map(|l| LineForm {
                description: l.description.clone(),
                quantity: format_quantity(l.quantity_e4),
                unit_price: l.unit_price.format(c),
                tax_rate: format_tax_rate(l.tax_rate_ppm),
            })
            .collect();
        if lines.len() < LINES_MAX {
            lines.push(LineForm::default());
        }
        let form = DraftForm {
            customer: v.customer_ref.clone(),
            issue_date: v.issue_date.to_string(),
            terms: v.terms.to_string(),
            form_key: form_key(),
            currency: c.code().to_string(),
            lines,
            editing: Some(v.id),
            ..DraftForm::default()
        };
        Ok((StatusCode::OK, draft_page(store, p, ctx, &form, None)?))
    })
    .await
}

pub async fn edit_submit(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(key): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let mut form = DraftForm::from_pairs(pairs);
    let Some(id) = key
        .strip_prefix("draft-")
        .and_then(|id| id.parse::<i64>().ok())
    else {
        return crate::error_page(ApiError::conflict(
            "An issued invoice never changes: a credit note or a void undoes it.",
        ));
    };
    form.editing = Some(id);
    submit_form(state, caller, form).await
}

/// A new draft's form or an edited one, sent: another row, the totals,
/// saved as a draft, or saved and issued.
async fn submit_form(
    state: AppState,
    caller: Result<Caller, ApiError>,
    mut form: DraftForm,
) -> Response {
    match form.action.as_str() {
        "add_line" | "totals" => {
            let adding = form.action == "add_line";
            if adding && form.lines.len() < LINES_MAX {
                form.lines.push(LineForm::default());
            }
            // A POST, so the CSRF token is checked even though nothing is written.
            let caller = caller.map(|c| c.with_form_csrf(form.csrf_token.clone()));
            read_page(&state, caller, move |store, p, ctx| {
                let problem = if adding {
                    None
                } else {
                    form_currency(&form, ctx)
                        .and_then(|c| parse_lines(&form.lines, c))
                        .err()
                        .map(|e| e.detail)
                };
                let status = if problem.is_some() {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else {
                    StatusCode::OK
                };
                Ok((
                    status,
                    draft_page(store, p, ctx, &form, problem.as_deref())?,
                ))
            })
            .await
        }
        _ => {
            let issue = form.action == "issue";
            let created: Arc<Mutex<Option<i64>>> = Arc::new(Mutex::new(None));
            let (submitted, for_page, saved) = (form.clone(), form, created.clone());
            submit(
                &state,
                caller,
                submitted.csrf_token.clone(),
                Need::Write,
                move |store, p, ctx| {
                    let override_reason = if issue {
                        check_override(&submitted.override_reason)?
                    } else {
                        None
                    };
                    let id = save_draft(store, p, ctx, &submitted)?;
                    if !issue {
                        return Ok(href(None, id));
                    }
                    *saved.lock().unwrap_or_else(|e| e.into_inner()) = Some(id);
                    let author = p.author();
                    let override_by = override_reason.as_deref().map(|reason| IssueOverride {
                        reason,
                        author: &author,
                    });
                    let key = sent_key(&submitted.form_key).map(|k| format!("{k}/issue"));
                    let posted = store.issue_invoice(
                        p.org_id,
                        &format!("#{id}"),
                        override_by,
                        key.as_deref(),
                    )?;
                    Ok(href(Some(&posted.number), id))
                },
                move |store, p, ctx, message| {
                    let draft = *created.lock().unwrap_or_else(|e| e.into_inner());
                    match draft {
                        // Saved, but the issue was refused: the draft's page
                        // with its issue form, the refusal and the override.
                        Some(id) => {
                            let values = ActionForm {
                                override_reason: for_page.override_reason.clone(),
                                ..ActionForm::default()
                            };
                            let text =
                                format!("Saved as a draft, not issued. {}", readable(message));
                            invoice_page(
                                store,
                                p,
                                ctx,
                                &format!("#{id}"),
                                Some(("issue", &text, &values)),
                            )
                        }
                        // Nothing was saved under a fresh key: the form
                        // again, with a new one for its next sending.
                        None => {
                            let form = DraftForm {
                                form_key: form_key(),
                                ..for_page
                            };
                            draft_page(store, p, ctx, &form, Some(message))
                        }
                    }
                },
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_knows_every_currency_whose_minor_unit_is_not_the_cent() {
        let text = exponents();
        for (code, exponent) in [("JPY", 0), ("BHD", 3), ("KRW", 0)] {
            assert!(
                text.split(' ').any(|e| e == format!("{code}:{exponent}")),
                "{text}"
            );
        }
        assert!(!text.contains("USD") && !text.contains("EUR"), "{text}");
    }

    #[test]
    fn repeated_names_make_rows_in_order() {
        let pairs = [
            ("customer", "BOLT"),
            ("description", "a"),
            ("quantity", "2"),
            ("unit_price", "1.50"),
            ("tax_rate", "20"),
            ("description", ""),
            ("quantity", ""),
            ("unit_price", ""),
            ("tax_rate", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let form = DraftForm::from_pairs(pairs);
        assert_eq!(form.lines.len(), 2);
        let usd = Currency::parse("USD").unwrap();
        let lines = parse_lines(&form.lines, usd).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(totals(&lines).total_minor, 360);
    }
}
