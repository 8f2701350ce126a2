//! Customers: the list (filters, search, pages by cursor) and a
//! customer's page (balances, open invoices, credit standing, collateral,
//! timeline) with a form to log a call and the actions beyond it
//! (`customer_actions.rs`); a new customer's form is in `customer_new.rs`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use dun_core::customer::PaymentMethod;
use dun_core::Date;
use dun_server::app::{AppState, Caller, Need};
use dun_server::extract::{decode_cursor, encode_cursor};
use dun_server::problem::ApiError;
use dun_server::wire;
use dun_store::accounts::Principal;
use dun_store::customer_list::{CustomerFilter, CustomerSort};
use dun_store::invoices::InvoiceFilter;
use dun_store::records::{ContactKind, NewContact, PromisedPayment};
use dun_store::Store;
use maud::{html, Markup};
use serde::Deserialize;

use crate::customer_actions::{action_forms, ActionFacts, ActionForm};
use crate::layout::{encode, money, page, status_class, words, Ctx, STATUSES, TIERS};
use crate::{read_page, submit};

/// Customers one page of the list shows.
const PAGE_ROWS: i64 = 50;
/// Timeline entries a customer's page shows.
const TIMELINE_ROWS: i64 = 50;
/// Open invoices a customer's page shows.
const INVOICE_ROWS: i64 = 200;
const CURSOR_LIST: &str = "web-customers";

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    tier: Option<String>,
    overdue: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
    sort: Option<String>,
}

/// The list's order when none is asked: most owed first, what a collector
/// works down.
const DEFAULT_SORT: CustomerSort = CustomerSort::Owed;
/// The orders the column headers offer (`?sort=owed|days_late|name`).
const SORTS: [CustomerSort; 3] = [
    CustomerSort::Owed,
    CustomerSort::DaysLate,
    CustomerSort::Name,
];

fn non_empty(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// The list's address with its filters, in `sort`'s order, from `cursor`.
fn query_string(query: &ListQuery, sort: CustomerSort, cursor: Option<&str>) -> String {
    let mut parts = Vec::new();
    for (name, value) in [
        ("status", non_empty(&query.status)),
        ("tier", non_empty(&query.tier)),
        ("overdue", non_empty(&query.overdue)),
        ("q", non_empty(&query.q)),
    ] {
        if let Some(v) = value {
            parts.push(format!("{name}={}", encode(&v)));
        }
    }
    parts.push(format!("sort={}", sort.as_str()));
    if let Some(cursor) = cursor {
        parts.push(format!("cursor={}", encode(cursor)));
    }
    parts.join("&")
}

/// A column header that orders the list by `sort` (the current order
/// marked for assistive technology).
fn sort_header(
    query: &ListQuery,
    current: CustomerSort,
    sort: CustomerSort,
    label: &str,
    num: bool,
) -> Markup {
    let aria_sort = match (current == sort, sort) {
        (false, _) => None,
        (true, CustomerSort::Name | CustomerSort::Reference) => Some("ascending"),
        (true, _) => Some("descending"),
    };
    html! {
        th.num[num] scope="col" aria-sort=[aria_sort] {
            @if current == sort {
                (label) " " span aria-hidden="true" { "▾" }
            } @else {
                a href=(format!("/customers?{}", query_string(query, sort, None))) id=(format!("sort-{}", sort.as_str())) {
                    (label) span.visually-hidden { " (sort by this)" }
                }
            }
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Query(query): Query<ListQuery>,
) -> Response {
    read_page(&state, caller, move |store, p, ctx| {
        let status = non_empty(&query.status);
        let tier = non_empty(&query.tier);
        let search = non_empty(&query.q);
        let overdue = non_empty(&query.overdue).is_some();
        let sort = match non_empty(&query.sort) {
            None => DEFAULT_SORT,
            Some(text) => CustomerSort::parse(&text)
                .filter(|s| SORTS.contains(s))
                .ok_or_else(|| {
                    ApiError::invalid(
                        "sort",
                        format!(
                            "sort: '{text}' is not one of {}",
                            SORTS.map(CustomerSort::as_str).join(", ")
                        ),
                    )
                })?,
        };
        // Orders other than by reference page by how many rows came before.
        let offset: i64 = match decode_cursor(CURSOR_LIST, non_empty(&query.cursor).as_deref())? {
            None => 0,
            Some(text) => text.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                ApiError::invalid("cursor", "This page's address is damaged; start from the first page.")
            })?,
        };
        let mut rows = store.customer_page_sorted(
            p.org_id,
            &CustomerFilter {
                after_ref: None,
                reference: None,
                status: status.clone(),
                tier: tier.clone(),
                overdue,
                search: search.clone(),
                as_of: ctx.today,
                limit: PAGE_ROWS + 1,
            },
            sort,
            offset,
        )?;
        let more = rows.len() as i64 > PAGE_ROWS;
        rows.truncate(PAGE_ROWS as usize);
        let next = more.then(|| {
            query_string(
                &query,
                sort,
                Some(&encode_cursor(CURSOR_LIST, &(offset + PAGE_ROWS).to_string())),
            )
        });
        let writer = ctx.role != dun_store::accounts::Role::Viewer;
        let body = html! {
            h1 { "Customers" }
            @if writer {
                p.toolbar { a.button href="/customers/new" { "New customer" } }
            }
            form.filters method="get" action="/customers" role="search" {
                input type="hidden" name="sort" value=(sort.as_str());
                div {
                    label for="q" { "Search" }
                    input #q type="search" name="q" value=(search.as_deref().unwrap_or("")) placeholder="Name or reference";
                }
                div {
                    label for="status" { "Status" }
                    select #status name="status" {
                        option value="" { "Any" }
                        @for s in STATUSES {
                            option value=(s) selected[status.as_deref() == Some(s)] { (words(s)) }
                        }
                    }
                }
                div {
                    label for="tier" { "Risk tier" }
                    select #tier name="tier" {
                        option value="" { "Any" }
                        @for t in TIERS {
                            option value=(t) selected[tier.as_deref() == Some(t)] { (words(t)) }
                        }
                    }
                }
                div.check {
                    input #overdue type="checkbox" name="overdue" value="1" checked[overdue];
                    label for="overdue" { "Overdue only" }
                }
                div { button type="submit" { "Filter" } }
            }
            @if rows.is_empty() {
                p.empty { "No customers match." }
            } @else {
                div.scroll tabindex="0" {
                    table.data.stacked #customers {
                        thead { tr {
                            (sort_header(&query, sort, CustomerSort::Name, "Customer", false))
                            th scope="col" { "Reference" }
                            (sort_header(&query, sort, CustomerSort::Owed, "Balance", true))
                            th.num scope="col" { "Overdue" }
                            (sort_header(&query, sort, CustomerSort::DaysLate, "Days late", true))
                            th scope="col" { "Tier" }
                            th scope="col" { "Status" }
                        } }
                        tbody {
                            @for row in &rows {
                                tr data-customer=(row.reference) {
                                    td.lead { a href=(format!("/customers/{}", encode(&row.reference))) { (row.name) } }
                                    td.code data-label="Reference" { (row.reference) }
                                    td.num data-label="Balance" {
                                        @if row.owes.is_empty() { span.muted { "—" } }
                                        @for (i, o) in row.owes.iter().enumerate() {
                                            @if i > 0 { br; }
                                            (money(o.open_minor, o.currency))
                                        }
                                    }
                                    td.num data-label="Overdue" {
                                        @if row.owes.iter().all(|o| o.overdue_minor == 0) { span.muted { "—" } }
                                        @else {
                                            @for (i, o) in row.owes.iter().filter(|o| o.overdue_minor != 0).enumerate() {
                                                @if i > 0 { br; }
                                                span.bad[o.overdue_minor > 0] { (money(o.overdue_minor, o.currency)) }
                                            }
                                        }
                                    }
                                    td.num data-label="Days late" { @if row.days_late > 0 { span.bad { (row.days_late) } } @else { span.muted { "—" } } }
                                    td data-label="Tier" { span class=(format!("badge {}", status_class(&row.tier))) { (words(&row.tier)) } }
                                    td data-label="Status" { span class=(format!("badge {}", status_class(&row.status))) { (words(&row.status)) } }
                                }
                            }
                        }
                    }
                }
            }
            nav.pager aria-label="Pages" {
                @if query.cursor.is_some() {
                    a href=(format!("/customers?{}", query_string(&query, sort, None))) { "First page" }
                }
                @if let Some(next) = next {
                    a href=(format!("/customers?{next}")) rel="next" { "Next page" }
                }
            }
        };
        Ok((StatusCode::OK, page(ctx, "Customers", "Customers", body)))
    })
    .await
}

/// A phone number as a `tel:` link's address: its digits and a leading
/// `+`, the rest (spaces, brackets, dots, dashes) left out.
pub(crate) fn tel_href(phone: &str) -> String {
    let mut out = String::from("tel:");
    for (i, c) in phone.trim().chars().enumerate() {
        if c.is_ascii_digit() || (c == '+' && i == 0) {
            out.push(c);
        }
    }
    out
}

/// What the call form held, to show again beside its error.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CallForm {
    csrf_token: Option<String>,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    promise_date: String,
    #[serde(default)]
    promise_amount: String,
}

/// The form refused, to show again beside its message.
pub(crate) enum Again<'a> {
    Call(&'a CallForm),
    Action(&'a ActionForm),
}

/// Open disputes a customer's page lists for resolving.
const DISPUTE_ROWS: usize = 50;

pub(crate) fn customer_page(
    store: &mut Store,
    p: &Principal,
    ctx: &Ctx,
    reference: &str,
    error: Option<(&str, Again<'_>)>,
    portal_link: Option<&str>,
) -> Result<Markup, ApiError> {
    let customer = store.customer(p.org_id, reference)?;
    let standing = store.credit_standing(p.org_id, reference)?;
    let owes = store
        .customer_page(
            p.org_id,
            &CustomerFilter {
                after_ref: None,
                reference: Some(reference.to_string()),
                status: None,
                tier: None,
                overdue: false,
                search: None,
                as_of: ctx.today,
                limit: 1,
            },
        )?
        .into_iter()
        .find(|r| r.reference == customer.reference)
        .map(|r| r.owes)
        .unwrap_or_default();
    // Their unapplied credit, beside what they owe (never netted).
    let credit = store.unapplied_credit(p.org_id, Some(customer.id))?;
    let invoices = store.invoices(
        p.org_id,
        &InvoiceFilter {
            customer_ref: Some(reference.to_string()),
            status: dun_store::invoices::StatusFilter::Open,
            as_of: Some(ctx.today),
            issued_by: Some(ctx.today),
            limit: INVOICE_ROWS,
            ..Default::default()
        },
    )?;
    let charges = store.open_invoice_charges(p.org_id, customer.id)?;
    let collateral = store.collateral(p.org_id, Some(reference))?;
    let buyer = store.buyer(p.org_id, customer.id)?;
    let contacts = store.contacts(p.org_id, &customer.reference)?;
    let recipients = store.recipients(p.org_id, &customer.reference)?;
    let timeline = store.timeline(p.org_id, customer.id, None, TIMELINE_ROWS)?;
    let paused = standing.paused_until.filter(|d| *d >= ctx.today);
    let policy = store.policy(p.org_id)?;
    let policy_override = policy.policy.override_for(&customer.reference);
    let mut disputes = store.disputes(p.org_id, Some(&customer.reference), true)?;
    disputes.truncate(DISPUTE_ROWS);
    let blank = CallForm::default();
    let (call_error, action_error) = match &error {
        Some((m, Again::Call(f))) => (Some((*m, *f)), None),
        Some((m, Again::Action(f))) => (None, Some((*m, *f))),
        None => (None, None),
    };
    let form = call_error.map_or(&blank, |(_, f)| f);
    let writer = ctx.role != dun_store::accounts::Role::Viewer;
    let actions = action_forms(
        ctx,
        &ActionFacts {
            reference: &customer.reference,
            invoices: &invoices,
            disputes: &disputes,
            standing: &standing,
            paused: paused.is_some(),
            portal_link,
            policy_override,
            customer: &customer,
            buyer: &buyer,
            contacts: &contacts,
            currency: ctx.currency,
        },
        action_error,
    );
    let call_href = format!("/customers/{}/calls", encode(&customer.reference));
    let body = html! {
        p.crumbs { a href="/customers" { "Customers" } " / " (customer.reference) }
        h1 {
            (customer.name) " "
            span class=(format!("badge {}", status_class(standing.status.as_str()))) { (words(standing.status.as_str())) }
            " "
            span class=(format!("badge {}", status_class(standing.tier.as_str()))) { "tier " (words(standing.tier.as_str())) }
        }
        p.muted {
            @if let Some(email) = &customer.email { (email) " · " }
            @if let Some(phone) = &customer.phone { a href=(tel_href(phone)) { (phone) } " · " }
            "terms " (customer.terms.to_string())
            @if let Some(limit) = customer.credit_limit_minor { " · credit limit " (money(limit, ctx.currency)) }
            " · "
            a href=(format!("/api/v1/customers/{}/claim-file.zip", encode(&customer.reference))) download { "Claim file (ZIP)" }
        }
        p.muted #payment-methods {
            "Pays by " (PaymentMethod::list_label(customer.payment_methods.as_deref()))
            " · e-mails go to "
            @if recipients.is_empty() { span.bad { "nobody (no address)" } } @else { (recipients.to_text()) }
            @if let Some(cc) = recipients.cc_text() { ", copy to " (cc) }
        }
        @if !contacts.is_empty() {
            ul #contacts {
                @for c in &contacts {
                    li data-contact=(c.id) {
                        (dun_core::customer::Contact { phone: None, ..c.contact.clone() }.describe())
                        @if let Some(phone) = &c.contact.phone { " " a href=(tel_href(phone)) { (phone) } }
                    }
                }
            }
        }
        @if let Some(notes) = &customer.notes {
            div.notice #customer-notes {
                p.label { "Notes" }
                p { @for (i, line) in notes.lines().enumerate() { @if i > 0 { br; } (line) } }
            }
        }
        div.cards {
            @if owes.is_empty() && credit.is_empty() {
                div.card { p.label { "Balance" } p.big.num { (money(0, ctx.currency)) } }
            }
            @for o in &owes {
                div.card {
                    p.label { "Balance, " (o.currency.code()) " (" (o.open_invoices) " open)" }
                    p.big.num data-balance=(o.currency.code()) { (money(o.open_minor, o.currency)) }
                    p.label { "Overdue" }
                    p.big.num.bad[o.overdue_minor > 0] { (money(o.overdue_minor, o.currency)) }
                    @if let Some(c) = credit.get(&o.currency) {
                        p.label { "Their credit (not yet applied)" }
                        p.big.num data-credit=(o.currency.code()) { (money(*c, o.currency)) }
                    }
                }
            }
            @for (currency, c) in credit.iter().filter(|(c, _)| !owes.iter().any(|o| o.currency == **c)) {
                div.card {
                    p.label { "Their credit, " (currency.code()) " (not yet applied)" }
                    p.big.num data-credit=(currency.code()) { (money(*c, *currency)) }
                }
            }
        }
        div.columns {
            section aria-labelledby="invoices" {
                h2 #invoices { "Open invoices" }
                p {
                    a href=(format!("/invoices?customer={}", encode(&customer.reference))) { "All their invoices" }
                    @if writer {
                        " · "
                        a href=(format!("/invoices/new?customer={}", encode(&customer.reference))) { "New invoice" }
                    }
                }
                @if invoices.is_empty() {
                    p.empty { "No open invoices." }
                } @else {
                    div.scroll tabindex="0" { table.data.stacked #customer-invoices {
                        thead { tr {
                            th scope="col" { "Invoice" } th scope="col" { "Issued" } th scope="col" { "Due" }
                            th.num scope="col" { "Total" } th.num scope="col" { "Open" } th.num scope="col" { "Days late" }
                        } }
                        tbody {
                            @for i in &invoices {
                                @let late = ctx.today.day_number() - i.due_date.day_number();
                                tr {
                                    td.code.lead { @match &i.number {
                                        Some(n) => a href=(format!("/invoices/{}", encode(n))) { (n) },
                                        None => a href=(format!("/invoices/draft-{}", i.id)) { "draft #" (i.id) },
                                    } }
                                    td data-label="Issued" { (i.issue_date) }
                                    td data-label="Due" { (i.due_date) }
                                    td.num data-label="Total" { (money(i.total_minor, i.currency)) }
                                    td.num data-label="Open" { (money(i.open_minor, i.currency)) }
                                    td.num data-label="Days late" { @if late > 0 { span.bad { (late) } } @else { span.muted { "—" } } }
                                }
                            }
                        }
                    } }
                    // Why Open can be more than Total: the charges added,
                    // itemized per invoice.
                    @let charged: Vec<_> = invoices
                        .iter()
                        .filter_map(|i| charges.get(&i.id).map(|c| (i, c)))
                        .collect();
                    @if !charged.is_empty() {
                        div #open-charges {
                            p.hint { "Open includes the charges added to these invoices:" }
                            ul {
                                @for (i, list) in &charged {
                                    li {
                                        span.code { (i.number.as_deref().unwrap_or("draft")) } ": "
                                        @for (n, (kind, amount_minor)) in list.iter().enumerate() {
                                            @if n > 0 { ", " }
                                            (charge_word(*kind)) " " (money(*amount_minor, i.currency))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                h2 { "Credit standing" }
                dl.facts {
                    dt { "Status" } dd { (words(standing.status.as_str())) @if standing.status_by_policy { " (placed by the policy)" } }
                    dt { "Ladder" } dd { @if let Some(d) = paused {
                        @if d == dun_store::credit_file::paused_indefinitely() { "paused until resumed" } @else { "paused through " (d) }
                    } @else { "running" } }
                    dt { "Risk tier" } dd { (words(standing.tier.as_str())) }
                    @if let Some(o) = policy_override {
                        dt { "Policy override" } dd { (o.describe()) " (policy version " (policy.version) ")" }
                    }
                    dt { "Open disputes" } dd {
                        @if disputes.is_empty() { "none" }
                        @for (i, d) in disputes.iter().enumerate() {
                            @if i > 0 { br; }
                            span.dispute { (d.invoice) ": " (d.reason) " (since " (d.opened_on) ")" }
                        }
                    }
                }
                @if !standing.tier_reasons.is_empty() {
                    h3 { "Why this tier" }
                    ul { @for reason in &standing.tier_reasons { li { (reason) } } }
                }
                h2 { "Collateral" }
                @if collateral.is_empty() {
                    p.empty { "None on file." }
                } @else {
                    div.scroll tabindex="0" { table.data {
                        thead { tr { th scope="col" { "Kind" } th scope="col" { "Reference" } th.num scope="col" { "Amount" } th scope="col" { "Expires" } } }
                        tbody { @for k in &collateral {
                            tr {
                                td { (words(k.kind.as_str())) }
                                td { (k.reference) }
                                td.num { @match (k.amount_minor, k.currency) {
                                    (Some(a), Some(c)) => (money(a, c)),
                                    _ => span.muted { "—" },
                                } }
                                td { @match k.expires_on {
                                    Some(d) if d < ctx.today => span.bad { (d) " (expired)" },
                                    Some(d) => (d),
                                    None => span.muted { "—" },
                                } }
                            }
                        } }
                    } }
                }
            }
            section aria-labelledby="call" {
                @if writer {
                h2 #call { "Log a call" }
                @if let Some((message, _)) = call_error {
                    p.notice.bad role="alert" { (message) }
                }
                form.stack method="post" action=(call_href) {
                    (ctx.csrf_field())
                    label for="outcome" { "Outcome" }
                    input #outcome type="text" name="outcome" value=(form.outcome) required placeholder="reached, left voicemail, …";
                    label for="summary" { "What was said " span.hint { "(optional)" } }
                    textarea #summary name="summary" rows="3" { (form.summary) }
                    fieldset {
                        legend { "Promise to pay " span.hint { "(optional)" } }
                        label for="promise_date" { "Pay by" }
                        input #promise_date type="date" name="promise_date" value=(form.promise_date);
                        label for="promise_amount" { "Amount (" (ctx.currency.code()) ")" }
                        input #promise_amount type="text" inputmode="decimal" name="promise_amount" value=(form.promise_amount);
                    }
                    button.primary type="submit" { "Log the call" }
                }
                }
                (actions)
                h2 #timeline { "Timeline" }
                @if timeline.is_empty() {
                    p.empty { "Nothing yet." }
                } @else {
                    ol.timeline {
                        @for entry in &timeline {
                            li {
                                span class=(format!("kind k-{}", entry.kind)) { (words(&entry.kind)) }
                                time datetime=(entry.on_date.to_string()) { (entry.on_date) }
                                p { (entry.summary) }
                                p.muted { (entry.author) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(ctx, "Customers", &customer.name, body))
}

pub async fn show(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(reference): Path<String>,
) -> Response {
    read_page(&state, caller, move |store, p, ctx| {
        Ok((
            StatusCode::OK,
            customer_page(store, p, ctx, &reference, None, None)?,
        ))
    })
    .await
}

fn promise(form: &CallForm, ctx: &Ctx) -> Result<Option<PromisedPayment>, ApiError> {
    let date = form.promise_date.trim();
    let amount = form.promise_amount.trim();
    match (date.is_empty(), amount.is_empty()) {
        (true, true) => Ok(None),
        (false, false) => {
            let promised_date: Date = wire::parse_date("promise_date", date)?;
            let amount_minor = wire::parse_amount("promise_amount", amount, ctx.currency)?;
            if amount_minor <= 0 {
                return Err(ApiError::invalid(
                    "promise_amount",
                    "The promised amount must be more than zero.",
                ));
            }
            Ok(Some(PromisedPayment {
                amount_minor,
                currency: ctx.currency,
                promised_date,
            }))
        }
        _ => Err(ApiError::invalid(
            "promise_date",
            "A promise needs both the date and the amount.",
        )),
    }
}

pub async fn log_call(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Path(reference): Path<String>,
    Form(form): Form<CallForm>,
) -> Response {
    let (submitted, for_page) = (form.clone(), form);
    let target = reference.clone();
    submit(
        &state,
        caller,
        submitted.csrf_token.clone(),
        Need::Write,
        move |store, p, ctx| {
            let outcome = submitted.outcome.trim();
            if outcome.is_empty() {
                return Err(ApiError::invalid(
                    "outcome",
                    "A call needs its outcome, e.g. \"left voicemail\".",
                ));
            }
            let promise = promise(&submitted, ctx)?;
            store.log_contact(
                p.org_id,
                &NewContact {
                    customer_ref: target.clone(),
                    kind: ContactKind::Call,
                    summary: submitted.summary.trim().to_string(),
                    outcome: Some(outcome.to_string()),
                    on: ctx.today,
                    author: p.author(),
                    invoices: Vec::new(),
                    promise,
                },
            )?;
            Ok(format!("/customers/{}#timeline", encode(&target)))
        },
        move |store, p, ctx, message| {
            customer_page(
                store,
                p,
                ctx,
                &reference,
                Some((message, Again::Call(&for_page))),
                None,
            )
        },
    )
    .await
}

/// The customer actions beyond the call (note, dispute, pause, hold,
/// override, payment plan): their forms post here.
pub fn action_routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/customers/new",
            axum::routing::get(crate::customer_new::new_page),
        )
        .route(
            "/customers",
            axum::routing::post(crate::customer_new::create),
        )
        .merge(crate::customer_actions::routes())
}

/// A charge as the customer page names it.
fn charge_word(kind: dun_core::ledger::EntryKind) -> &'static str {
    match kind {
        dun_core::ledger::EntryKind::Fee => "late fees",
        dun_core::ledger::EntryKind::Interest => "interest",
        dun_core::ledger::EntryKind::Compensation => "fixed compensation",
        _ => "other charges",
    }
}
