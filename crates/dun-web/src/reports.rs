//! Reports: aging (summary and detail, as of any date, CSV) and the
//! figures over time.
//!
//! The aging is `Store::aging`, as `GET /api/v1/aging` reads it; the
//! figures are `Store::figures_trend`, as `GET /api/v1/figures/trend`
//! reads it with `days=30&points=12&step=30` (each point the 30 days
//! ending on its date, a month apart). Detail lists are paged.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use dun_core::aging::{AgingEdges, AgingItem, AgingReport};
use dun_core::figures::Figure;
use dun_core::{money as core_money, Currency, Date};
use dun_server::app::{AppState, Caller, Need};
use dun_server::problem::ApiError;
use dun_server::wire;
use dun_store::aging::CustomerName;
use dun_store::figures::TrendPoint;
use dun_store::Store;
use maud::{html, Markup};
use serde::Deserialize;

use crate::layout::{encode, grouped, money, page, Ctx};
use crate::{charts, error_page, read_page};

/// Rows of a detail list one page shows.
const PAGE_ROWS: usize = 50;
/// The figures: each point's period, how many, how far apart (days).
pub const FIGURE_DAYS: u32 = 30;
pub const FIGURE_POINTS: u32 = 12;
pub const FIGURE_STEP: u32 = 30;

/// Pages that read the whole book (the aging, the figures, the worklist's
/// ranking) keep their last few results in memory, keyed by the database,
/// the organisation, the date, what was asked and the book's
/// [`BookRevision`](dun_store::revision::BookRevision): a new entry, task, run,
/// customer, timeline entry or policy version anywhere makes a new key.
/// Entries also expire after [`CACHE_TTL`] (an edit in place, such as a
/// customer renamed, moves no mark).
pub(crate) struct PageCache<K, V> {
    items: Mutex<Vec<(K, Instant, Arc<V>)>>,
}

/// How long a cached result is used.
const CACHE_TTL: Duration = Duration::from_secs(60);
/// Results each cache keeps (an aging per invoice of a big book is large).
const CACHE_ENTRIES: usize = 3;

impl<K: PartialEq + Clone, V> PageCache<K, V> {
    pub(crate) const fn new() -> PageCache<K, V> {
        PageCache {
            items: Mutex::new(Vec::new()),
        }
    }

    /// The cached value for `key`, or `make`'s (kept for next time).
    pub(crate) fn get_or_make<E>(
        &self,
        key: K,
        make: impl FnOnce() -> Result<V, E>,
    ) -> Result<Arc<V>, E> {
        let now = Instant::now();
        if let Ok(mut items) = self.items.lock() {
            items.retain(|(_, at, _)| now.duration_since(*at) < CACHE_TTL);
            if let Some((_, _, v)) = items.iter().find(|(k, _, _)| *k == key) {
                return Ok(Arc::clone(v));
            }
        }
        let value = Arc::new(make()?);
        if let Ok(mut items) = self.items.lock() {
            items.retain(|(k, _, _)| *k != key);
            if items.len() >= CACHE_ENTRIES {
                items.remove(0);
            }
            items.push((key, now, Arc::clone(&value)));
        }
        Ok(value)
    }
}

/// (database, organisation, as of, edges, per invoice, ledger and customer marks).
type AgingKey = (String, i64, i32, String, bool, i64, i64);
/// (database, organisation, as of, ledger mark).
type TrendKey = (String, i64, i32, i64);

/// The aging as of a day, with its detail rows sorted as the API lists them.
pub struct Aging {
    pub report: AgingReport,
    pub names: BTreeMap<i64, CustomerName>,
    pub customers: Vec<(String, String, Currency, Vec<i64>)>,
    pub invoices: Vec<(String, AgingItem)>,
}

/// Computes the aging as of `as_of` with its detail rows (per invoice
/// too, when asked).
pub(crate) fn aging_now(
    store: &mut Store,
    org_id: i64,
    as_of: Date,
    edges: &AgingEdges,
    per_invoice: bool,
) -> Result<Aging, ApiError> {
    let (mut report, names) = store.aging(org_id, as_of, edges, per_invoice)?;
    let customers = customer_rows(&report, &names);
    // The items move to the sorted list (kept once, not twice).
    let invoices = invoice_rows(std::mem::take(&mut report.items), &names);
    Ok(Aging {
        report,
        names,
        customers,
        invoices,
    })
}

static AGING: PageCache<AgingKey, Aging> = PageCache::new();
static TREND: PageCache<TrendKey, Vec<TrendPoint>> = PageCache::new();

fn aging_of(
    store: &mut Store,
    database: &str,
    org_id: i64,
    as_of: Date,
    edges: &AgingEdges,
    per_invoice: bool,
) -> Result<Arc<Aging>, ApiError> {
    let mark = store.book_revision(org_id)?;
    let key = (
        database.to_string(),
        org_id,
        as_of.day_number(),
        edges.to_string(),
        per_invoice,
        mark.ledger_entry,
        mark.customer,
    );
    AGING.get_or_make(key, || aging_now(store, org_id, as_of, edges, per_invoice))
}

fn trend_of(
    store: &mut Store,
    database: &str,
    org_id: i64,
    as_of: Date,
) -> Result<Arc<Vec<TrendPoint>>, ApiError> {
    let mark = store.book_revision(org_id)?;
    let key = (
        database.to_string(),
        org_id,
        as_of.day_number(),
        mark.ledger_entry,
    );
    TREND.get_or_make(key, || {
        store
            .figures_trend(org_id, as_of, FIGURE_DAYS, FIGURE_POINTS, FIGURE_STEP)
            .map_err(|e| match e {
                dun_store::StoreError::Invalid(m) => {
                    ApiError::invalid("as_of", format!("as_of: {m}"))
                }
                other => other.into(),
            })
    })
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports", get(show))
        .route("/reports/aging.csv", get(aging_csv))
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ReportQuery {
    as_of: Option<String>,
    detail: Option<String>,
    page: Option<String>,
}

/// What the detail lists: one row per customer (and currency), or per
/// open invoice (part); `summary` (CSV only): the totals per currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Detail {
    Summary,
    Customers,
    Invoices,
}

impl Detail {
    fn parse(text: Option<&str>) -> Result<Detail, ApiError> {
        match text.map(str::trim).unwrap_or("") {
            "" | "customers" => Ok(Detail::Customers),
            "invoices" => Ok(Detail::Invoices),
            "summary" => Ok(Detail::Summary),
            other => Err(ApiError::invalid(
                "detail",
                format!("detail: '{other}' is not a detail; give customers, invoices or summary"),
            )),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Detail::Summary => "summary",
            Detail::Customers => "customers",
            Detail::Invoices => "invoices",
        }
    }
}

fn as_of(query: &ReportQuery, ctx: &Ctx) -> Result<Date, ApiError> {
    match query
        .as_of
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(text) => wire::parse_date("as_of", text),
        None => Ok(ctx.today),
    }
}

fn page_no(query: &ReportQuery) -> Result<usize, ApiError> {
    match query
        .page
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => Ok(0),
        Some(t) => t
            .parse::<usize>()
            .map_err(|_| ApiError::invalid("page", format!("page: '{t}' is not a page number"))),
    }
}

fn reference(names: &BTreeMap<i64, CustomerName>, id: i64) -> String {
    names
        .get(&id)
        .map_or_else(|| format!("#{id}"), |c| c.reference.clone())
}

fn name(names: &BTreeMap<i64, CustomerName>, id: i64) -> String {
    names.get(&id).map(|c| c.name.clone()).unwrap_or_default()
}

/// Customer rows by reference, then currency (as the API lists them).
fn customer_rows(
    report: &AgingReport,
    names: &BTreeMap<i64, CustomerName>,
) -> Vec<(String, String, Currency, Vec<i64>)> {
    let mut rows: Vec<_> = report
        .rows
        .iter()
        .filter(|(_, row)| row.counts.iter().any(|c| *c > 0))
        .map(|((id, currency), row)| {
            (
                reference(names, *id),
                name(names, *id),
                *currency,
                row.amounts_minor.clone(),
            )
        })
        .collect();
    rows.sort_by(|a, b| (&a.0, a.2).cmp(&(&b.0, b.2)));
    rows
}

/// Invoice rows by customer reference, due date, invoice (as the API lists them).
fn invoice_rows(
    items: Vec<AgingItem>,
    names: &BTreeMap<i64, CustomerName>,
) -> Vec<(String, AgingItem)> {
    let mut items: Vec<_> = items
        .into_iter()
        .map(|i| (reference(names, i.customer_id), i))
        .collect();
    items.sort_by(|a, b| {
        (&a.0, a.1.due_date, a.1.invoice_id).cmp(&(&b.0, b.1.due_date, b.1.invoice_id))
    });
    items
}

fn figure_value(f: Figure) -> Option<f64> {
    match f {
        Figure::Value(v) => Some(v.scaled as f64 / 10f64.powi(i32::from(v.scale))),
        Figure::Absent(_) => None,
    }
}

fn figure_cell(f: Figure, unit: &str) -> Markup {
    match f {
        Figure::Value(v) => html! { (grouped(&v.to_string())) (unit) },
        Figure::Absent(a) => html! { span.muted title=(a.reason()) { "—" } },
    }
}

fn link(as_of: Date, detail: Detail, page: usize) -> String {
    let mut out = format!("/reports?as_of={as_of}&detail={}", detail.as_str());
    if page > 0 {
        out.push_str(&format!("&page={page}"));
    }
    out
}

pub async fn show(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Query(query): Query<ReportQuery>,
) -> Response {
    let database = state.config.database_url.clone();
    let keeper = crate::dashboard_cache::Keeper::new(&state);
    read_page(&state, caller, move |store, p, ctx| {
        let as_of = as_of(&query, ctx)?;
        let detail = match Detail::parse(query.detail.as_deref())? {
            Detail::Summary => Detail::Customers,
            d => d,
        };
        let page_no = page_no(&query)?;
        // As of today the aging by customer and the figures over time come
        // with the dashboard's kept computation (warmed at start, refreshed
        // in the background on a big book); another date, or the detail
        // per invoice, computes its own.
        let kept = if as_of == ctx.today {
            Some(keeper.heavy(store, p.org_id, ctx.today, &ctx.edges)?.0)
        } else {
            None
        };
        let aging = match &kept {
            Some(heavy) if detail == Detail::Customers => heavy.aging.clone(),
            _ => aging_of(store, &database, p.org_id, as_of, &ctx.edges, detail == Detail::Invoices)?,
        };
        let report = &aging.report;
        let labels = report.edges.labels();
        let totals = report.totals();
        let trend = match &kept {
            Some(heavy) => Arc::new(heavy.month_trend.clone()),
            None => trend_of(store, &database, p.org_id, as_of)?,
        };
        let offset = page_no.saturating_mul(PAGE_ROWS);
        let customers: &[_] = if detail == Detail::Customers { &aging.customers } else { &[] };
        let invoices: &[_] = if detail == Detail::Invoices { &aging.invoices } else { &[] };
        let total_rows = customers.len().max(invoices.len());
        let more = total_rows > offset + PAGE_ROWS;
        // Currencies with figures, home currency first.
        let mut currencies: Vec<Currency> = trend
            .iter()
            .flat_map(|t| t.figures.iter().map(|f| f.currency))
            .collect();
        currencies.sort_by_key(|c| (*c != ctx.currency, *c));
        currencies.dedup();
        let csv = |d: Detail| format!("/reports/aging.csv?as_of={as_of}&detail={}", d.as_str());
        let body = html! {
            h1 { "Reports" }
            form.filters method="get" action="/reports" {
                div {
                    label for="as_of" { "As of" }
                    input #as_of type="date" name="as_of" value=(as_of.to_string()) required;
                }
                div {
                    label for="detail" { "Detail" }
                    select #detail name="detail" {
                        option value="customers" selected[detail == Detail::Customers] { "Per customer" }
                        option value="invoices" selected[detail == Detail::Invoices] { "Per invoice" }
                    }
                }
                div { button type="submit" { "Show" } }
            }
            section aria-labelledby="aging" {
                h2 #aging { "Aging as of " (as_of) }
                p.muted { "Open amounts by days past due (buckets " (report.edges.to_string()) "), per currency. "
                    "Download: " a #csv-summary href=(csv(Detail::Summary)) download { "summary CSV" } ", "
                    a #csv-customers href=(csv(Detail::Customers)) download { "per customer CSV" } ", "
                    a #csv-invoices href=(csv(Detail::Invoices)) download { "per invoice CSV" } "." }
                @if totals.is_empty() {
                    p.empty { "Nothing was open on " (as_of) "." }
                } @else {
                    div.scroll tabindex="0" { table.data #aging-summary {
                        caption { "Summary" }
                        thead { tr {
                            th scope="col" { "Currency" }
                            @for l in &labels { th.num scope="col" { (l) } }
                            th.num scope="col" { "Total" }
                        } }
                        tbody {
                            @for (currency, row) in &totals {
                                tr data-currency=(currency.code()) {
                                    th scope="row" { (currency.code()) }
                                    @for (l, a) in labels.iter().zip(&row.amounts_minor) {
                                        td.num data-bucket=(l) { (money(*a, *currency)) }
                                    }
                                    td.num data-bucket="total" { (money(row.total_minor(), *currency)) }
                                }
                            }
                        }
                    } }
                    h3 { @if detail == Detail::Invoices { "Per invoice" } @else { "Per customer" } }
                    @if detail == Detail::Customers {
                        div.scroll tabindex="0" { table.data #aging-detail {
                            thead { tr {
                                th scope="col" { "Customer" } th scope="col" { "Currency" }
                                @for l in &labels { th.num scope="col" { (l) } }
                                th.num scope="col" { "Total" }
                            } }
                            tbody {
                                @for (reference, name, currency, amounts) in customers.iter().skip(offset).take(PAGE_ROWS) {
                                    tr data-customer=(reference) {
                                        td { a href=(format!("/customers/{}", encode(reference))) { (name) } " " span.code.muted { (reference) } }
                                        td { (currency.code()) }
                                        @for a in amounts { td.num { (money(*a, *currency)) } }
                                        td.num { (money(amounts.iter().sum(), *currency)) }
                                    }
                                }
                            }
                        } }
                    } @else {
                        div.scroll tabindex="0" { table.data #aging-detail {
                            thead { tr {
                                th scope="col" { "Customer" } th scope="col" { "Invoice" } th scope="col" { "Due" }
                                th.num scope="col" { "Days past due" } th scope="col" { "Bucket" } th.num scope="col" { "Open" }
                            } }
                            tbody {
                                @for (reference, item) in invoices.iter().skip(offset).take(PAGE_ROWS) {
                                    tr data-invoice=(item.number) {
                                        td { a href=(format!("/customers/{}", encode(reference))) { (reference) } }
                                        td.code { (item.number) }
                                        td { (item.due_date) }
                                        td.num { (item.days_past_due) }
                                        td { (labels.get(item.bucket).map(String::as_str).unwrap_or("")) }
                                        td.num { (money(item.open_minor, item.currency)) }
                                    }
                                }
                            }
                        } }
                    }
                    nav.pager aria-label="Pages" {
                        @if page_no > 0 { a href=(link(as_of, detail, page_no - 1)) rel="prev" { "Previous page" } }
                        span.muted { "Rows " (offset.min(total_rows) + usize::from(total_rows > 0)) "–" ((offset + PAGE_ROWS).min(total_rows)) " of " (total_rows) }
                        @if more { a href=(link(as_of, detail, page_no + 1)) rel="next" { "Next page" } }
                    }
                }
            }
            section aria-labelledby="figures" {
                h2 #figures { "Collection figures over time" }
                p.muted { "Each month-end point covers the " (FIGURE_DAYS) " days ending on its date (P = " (FIGURE_DAYS) "): "
                    "DSO = ending AR ÷ credit sales × P; best possible DSO = current AR ÷ credit sales × P; "
                    "CEI = (beginning AR + credit sales − ending AR) ÷ (beginning AR + credit sales − ending current AR) × 100." }
                @if currencies.is_empty() {
                    p.empty { "No credit sales or receivables in the last " (FIGURE_POINTS) " months." }
                }
                @for currency in &currencies {
                    @let rows: Vec<(String, Option<&dun_core::figures::Figures>)> = trend.iter().map(|t| {
                        (t.period.end.to_string(), t.figures.iter().find(|f| f.currency == *currency))
                    }).collect();
                    h3 { (currency.code()) }
                    @let point_labels: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
                    (charts::lines(
                        &format!("DSO, best possible DSO (days) and CEI (%) in {} for the {} periods ending {} to {}; the same numbers are in the table below",
                            currency.code(), FIGURE_POINTS,
                            point_labels.first().map(String::as_str).unwrap_or(""),
                            point_labels.last().map(String::as_str).unwrap_or("")),
                        &point_labels,
                        &[
                            ("DSO".to_string(), rows.iter().map(|r| r.1.and_then(|f| figure_value(f.dso))).collect()),
                            ("Best possible DSO".to_string(), rows.iter().map(|r| r.1.and_then(|f| figure_value(f.best_possible_dso))).collect()),
                            ("CEI %".to_string(), rows.iter().map(|r| r.1.and_then(|f| figure_value(f.cei))).collect()),
                        ],
                    ))
                    div.scroll tabindex="0" { table.data.figures data-currency=(currency.code()) {
                        caption.sr { "Figures in " (currency.code()) " per period" }
                        thead { tr {
                            th scope="col" { "Period" }
                            th.num scope="col" { abbr title="Days sales outstanding" { "DSO" } }
                            th.num scope="col" { "Best possible DSO" }
                            th.num scope="col" { abbr title="Collection effectiveness index" { "CEI" } }
                            th.num scope="col" { "Credit sales" }
                            th.num scope="col" { "Ending AR" }
                        } }
                        tbody {
                            @for (end, f) in &rows {
                                tr data-period=(end) {
                                    th scope="row" { (end) }
                                    @match f {
                                        Some(f) => {
                                            td.num data-figure="dso" { (figure_cell(f.dso, " days")) }
                                            td.num data-figure="best_possible_dso" { (figure_cell(f.best_possible_dso, " days")) }
                                            td.num data-figure="cei" { (figure_cell(f.cei, " %")) }
                                            td.num { (money(f.credit_sales_minor, f.currency)) }
                                            td.num { (money(f.ending_ar_minor, f.currency)) }
                                        },
                                        None => { td.num { "—" } td.num { "—" } td.num { "—" } td.num { "—" } td.num { "—" } },
                                    }
                                }
                            }
                        }
                    } }
                }
            }
        };
        Ok((StatusCode::OK, page(ctx, "Reports", "Reports", body)))
    })
    .await
}

/// A CSV field, quoted when it must be.
/// One row through the one CSV writer (no cell runs as a formula).
fn csv_line(out: &mut String, fields: &[String]) {
    let mut w = dun_csv::SafeWriter::crlf(Vec::new());
    // Writing to memory cannot fail.
    let _ = w.write_record(fields);
    let bytes = w.into_inner().unwrap_or_default();
    out.push_str(&String::from_utf8_lossy(&bytes));
}

fn plain(amount_minor: i64, currency: Currency) -> String {
    core_money::format_minor(amount_minor, currency)
}

/// The aging as CSV: a header row, then the summary (per currency), the
/// customers, or the invoices; amounts as plain decimals.
fn aging_csv_text(aging: &Aging, detail: Detail) -> String {
    let (report, names) = (&aging.report, &aging.names);
    let labels = report.edges.labels();
    let mut out = String::new();
    match detail {
        Detail::Summary => {
            let mut header = vec!["currency".to_string()];
            header.extend(labels.iter().cloned());
            header.push("total".into());
            csv_line(&mut out, &header);
            for (currency, row) in report.totals() {
                let mut line = vec![currency.code().to_string()];
                line.extend(row.amounts_minor.iter().map(|a| plain(*a, currency)));
                line.push(plain(row.total_minor(), currency));
                csv_line(&mut out, &line);
            }
        }
        Detail::Customers => {
            let mut header = vec![
                "customer_reference".to_string(),
                "customer_name".into(),
                "currency".into(),
            ];
            header.extend(labels.iter().cloned());
            header.push("total".into());
            csv_line(&mut out, &header);
            for (reference, name, currency, amounts) in aging.customers.iter().cloned() {
                let mut line = vec![reference, name, currency.code().to_string()];
                line.extend(amounts.iter().map(|a| plain(*a, currency)));
                line.push(plain(amounts.iter().sum(), currency));
                csv_line(&mut out, &line);
            }
        }
        Detail::Invoices => {
            csv_line(
                &mut out,
                &[
                    "customer_reference",
                    "customer_name",
                    "invoice",
                    "due_date",
                    "days_past_due",
                    "bucket",
                    "currency",
                    "open",
                ]
                .map(String::from),
            );
            for (reference, item) in &aging.invoices {
                csv_line(
                    &mut out,
                    &[
                        reference.clone(),
                        name(names, item.customer_id),
                        item.number.clone(),
                        item.due_date.to_string(),
                        item.days_past_due.to_string(),
                        labels.get(item.bucket).cloned().unwrap_or_default(),
                        item.currency.code().to_string(),
                        plain(item.open_minor, item.currency),
                    ],
                );
            }
        }
    }
    out
}

pub async fn aging_csv(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    Query(query): Query<ReportQuery>,
) -> Response {
    let Ok(caller) = caller else {
        return crate::see_other("/sign-in");
    };
    let database = state.config.database_url.clone();
    let made = state
        .as_caller(caller, Need::Read, move |store, p| {
            let ctx = Ctx::load(p)?;
            let as_of = as_of(&query, &ctx)?;
            let detail = Detail::parse(query.detail.as_deref())?;
            let aging = aging_of(
                store,
                &database,
                p.org_id,
                as_of,
                &ctx.edges,
                detail == Detail::Invoices,
            )?;
            Ok((as_of, aging_csv_text(&aging, detail)))
        })
        .await;
    match made {
        Ok((as_of, text)) => {
            let mut response = (StatusCode::OK, text).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=aging-{as_of}.csv"))
            {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => error_page(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(fields: &[&str]) -> String {
        let mut out = String::new();
        csv_line(
            &mut out,
            &fields.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
        );
        out
    }

    #[test]
    fn quotes_only_what_needs_it_and_runs_no_formula() {
        assert_eq!(line(&["Bolt & Nut", "A, B"]), "Bolt & Nut,\"A, B\"\r\n");
        assert_eq!(line(&["say \"hi\""]), "\"say \"\"hi\"\"\"\r\n");
        // Issue 18 item 2: a customer named like a formula is not one.
        assert_eq!(
            line(&["=cmd|' /C calc'!A0", "-5.00"]),
            "=cmd|' /C calc'!A0,-5.00\r\n".replacen('=', "'=", 1)
        );
    }
}
