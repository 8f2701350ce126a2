//! Reports: the aging and the collection figures (DSO, best possible DSO,
//! average days delinquent, CEI, bad-debt ratio), as `dun aging` and
//! `dun report figures` give them.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use dun_core::aging::{AgingEdges, AgingReport};
use dun_core::figures::{Figure, Figures};
use dun_core::Currency;
use dun_store::aging::CustomerName;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{AppState, Caller, Need};
use crate::extract::ApiQuery;
use crate::problem::ApiError;
use crate::wire;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(aging))
        .routes(routes!(figures))
        .routes(routes!(figures_trend))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AgingQuery {
    /// The day to age as of (default: today in the organisation's zone).
    pub as_of: Option<String>,
    /// List every open invoice (part) with its bucket.
    pub detail: Option<bool>,
    /// Only this currency.
    pub currency: Option<String>,
    /// Bucket edges in days past due, e.g. `0,30,60,90` (default: the organisation's).
    pub edges: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BucketOut {
    /// `current`, `1-30`, …, `90+`.
    pub bucket: String,
    pub amount: String,
    pub count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct AgingCustomerOut {
    pub customer_reference: String,
    pub customer_name: String,
    pub currency: String,
    pub buckets: Vec<BucketOut>,
    pub total: String,
}

#[derive(Serialize, ToSchema)]
pub struct AgingTotalOut {
    pub currency: String,
    pub buckets: Vec<BucketOut>,
    pub total: String,
}

#[derive(Serialize, ToSchema)]
pub struct AgingItemOut {
    pub customer_reference: String,
    pub invoice: String,
    pub due_date: String,
    pub days_past_due: i32,
    pub bucket: String,
    pub currency: String,
    pub open: String,
}

#[derive(Serialize, ToSchema)]
pub struct AgingOut {
    pub as_of: String,
    /// The bucket edges, in days past due.
    pub edges_days: Vec<u32>,
    pub customers: Vec<AgingCustomerOut>,
    pub totals: Vec<AgingTotalOut>,
    /// Every open invoice (part); only with `detail=true`.
    pub items: Vec<AgingItemOut>,
}

fn buckets(
    labels: &[String],
    amounts: &[i64],
    counts: &[u64],
    currency: Currency,
) -> Vec<BucketOut> {
    labels
        .iter()
        .zip(amounts.iter().zip(counts))
        .map(|(l, (a, c))| BucketOut {
            bucket: l.clone(),
            amount: wire::amount(*a, currency),
            count: *c,
        })
        .collect()
}

fn aging_out(
    report: &AgingReport,
    names: &BTreeMap<i64, CustomerName>,
    only: Option<Currency>,
) -> AgingOut {
    let labels = report.edges.labels();
    let wanted = |c: &Currency| only.is_none_or(|o| o == *c);
    let reference = |id: &i64| {
        names
            .get(id)
            .map_or_else(|| format!("#{id}"), |c| c.reference.clone())
    };
    let mut customers: Vec<AgingCustomerOut> = report
        .rows
        .iter()
        .filter(|((_, c), _)| wanted(c))
        .map(|((id, currency), row)| AgingCustomerOut {
            customer_reference: reference(id),
            customer_name: names.get(id).map(|c| c.name.clone()).unwrap_or_default(),
            currency: currency.code().to_string(),
            buckets: buckets(&labels, &row.amounts_minor, &row.counts, *currency),
            total: wire::amount(row.total_minor(), *currency),
        })
        .collect();
    customers.sort_by(|a, b| {
        (&a.customer_reference, &a.currency).cmp(&(&b.customer_reference, &b.currency))
    });
    let totals = report
        .totals()
        .iter()
        .filter(|(c, _)| wanted(c))
        .map(|(currency, row)| AgingTotalOut {
            currency: currency.code().to_string(),
            buckets: buckets(&labels, &row.amounts_minor, &row.counts, *currency),
            total: wire::amount(row.total_minor(), *currency),
        })
        .collect();
    let mut items: Vec<_> = report
        .items
        .iter()
        .filter(|i| wanted(&i.currency))
        .collect();
    items.sort_by_key(|i| (reference(&i.customer_id), i.due_date, i.invoice_id));
    let items = items
        .into_iter()
        .map(|i| AgingItemOut {
            customer_reference: reference(&i.customer_id),
            invoice: i.number.clone(),
            due_date: i.due_date.to_string(),
            days_past_due: i.days_past_due,
            bucket: labels.get(i.bucket).cloned().unwrap_or_default(),
            currency: i.currency.code().to_string(),
            open: wire::amount(i.open_minor, i.currency),
        })
        .collect();
    AgingOut {
        as_of: report.as_of.to_string(),
        edges_days: report.edges.days().to_vec(),
        customers,
        totals,
        items,
    }
}

/// The aging as of a day: what each customer owes per bucket of days past
/// due, per currency, with totals; `detail=true` lists every open invoice.
#[utoipa::path(
    get,
    path = "/api/v1/aging",
    tag = "reports",
    params(AgingQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = AgingOut),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn aging(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AgingQuery>,
) -> Result<Json<AgingOut>, ApiError> {
    let only = query
        .currency
        .as_deref()
        .map(|c| wire::parse_currency("currency", c))
        .transpose()?;
    let edges = query
        .edges
        .as_deref()
        .map(|t| {
            AgingEdges::parse(t).map_err(|e| ApiError::invalid("edges", format!("edges: {e}")))
        })
        .transpose()?;
    let out = state
        .as_caller(caller, Need::Read, move |store, p| {
            let org = p.org.clone();
            let as_of = wire::as_of_or_today("as_of", query.as_of.as_deref(), &org.timezone)?;
            let edges = edges.unwrap_or_else(|| org.edges());
            let (report, names) =
                store.aging(p.org_id, as_of, &edges, query.detail.unwrap_or(false))?;
            Ok(aging_out(&report, &names, only))
        })
        .await?;
    Ok(Json(out))
}

/// One figure: a value, or why there is none.
#[derive(Serialize, ToSchema)]
pub struct FigureOut {
    /// The value as a decimal string (days, or percent); null when absent.
    pub value: Option<String>,
    /// Why there is no value: `no_credit_sales`, `nothing_collectible`, `out_of_range`.
    pub absent: Option<String>,
    pub reason: Option<String>,
}

fn figure(f: Figure) -> FigureOut {
    match f {
        Figure::Value(v) => FigureOut {
            value: Some(v.to_string()),
            absent: None,
            reason: None,
        },
        Figure::Absent(a) => FigureOut {
            value: None,
            absent: Some(a.code().to_string()),
            reason: Some(a.reason().to_string()),
        },
    }
}

/// The figures of one period in one currency.
#[derive(Serialize, ToSchema)]
pub struct FiguresOut {
    pub currency: String,
    pub period_first_day: String,
    pub period_end: String,
    pub period_days: u32,
    pub beginning_ar: String,
    pub ending_ar: String,
    pub ending_current_ar: String,
    pub ending_past_due_ar: String,
    pub credit_sales: String,
    pub written_off: String,
    /// Days sales outstanding, in days.
    pub dso: FigureOut,
    /// Current AR / credit sales × days, in days.
    pub best_possible_dso: FigureOut,
    /// DSO − best possible DSO, in days.
    pub average_days_delinquent: FigureOut,
    /// Collection effectiveness index, in percent.
    pub cei: FigureOut,
    /// Write-offs / credit sales, in percent.
    pub bad_debt_ratio: FigureOut,
}

fn figures_out(f: &Figures) -> FiguresOut {
    let c = f.currency;
    FiguresOut {
        currency: c.code().to_string(),
        period_first_day: f.period_first_day.to_string(),
        period_end: f.period_end.to_string(),
        period_days: f.period_days,
        beginning_ar: wire::amount(f.beginning_ar_minor, c),
        ending_ar: wire::amount(f.ending_ar_minor, c),
        ending_current_ar: wire::amount(f.ending_current_ar_minor, c),
        ending_past_due_ar: wire::amount(f.ending_past_due_ar_minor, c),
        credit_sales: wire::amount(f.credit_sales_minor, c),
        written_off: wire::amount(f.sums.written_off_minor, c),
        dso: figure(f.dso),
        best_possible_dso: figure(f.best_possible_dso),
        average_days_delinquent: figure(f.average_days_delinquent),
        cei: figure(f.cei),
        bad_debt_ratio: figure(f.bad_debt_ratio),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FiguresQuery {
    /// The last day of the period (default: today in the organisation's zone).
    pub as_of: Option<String>,
    /// The period's length in days, 1 to 3660 (default 90).
    pub days: Option<u32>,
}

fn period_days(days: Option<u32>) -> Result<u32, ApiError> {
    let days = days.unwrap_or(90);
    if days == 0 || days > dun_core::figures::PERIOD_DAYS_MAX {
        return Err(ApiError::invalid(
            "days",
            format!(
                "days: {days} is not a period length; give 1 to {}",
                dun_core::figures::PERIOD_DAYS_MAX
            ),
        ));
    }
    Ok(days)
}

/// A store refusal of a period (it starts before the calendar Dun keeps).
fn period_error(e: dun_store::StoreError) -> ApiError {
    match e {
        dun_store::StoreError::Invalid(m) => ApiError::invalid("as_of", format!("as_of: {m}")),
        other => other.into(),
    }
}

/// The collection figures of the `days` days ending `as_of`, one entry per
/// currency with anything to report.
#[utoipa::path(
    get,
    path = "/api/v1/figures",
    tag = "reports",
    params(FiguresQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = Vec<FiguresOut>),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn figures(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<FiguresQuery>,
) -> Result<Json<Vec<FiguresOut>>, ApiError> {
    let days = period_days(query.days)?;
    let out = state
        .as_caller(caller, Need::Read, move |store, p| {
            let org = p.org.clone();
            let as_of = wire::as_of_or_today("as_of", query.as_of.as_deref(), &org.timezone)?;
            let figures = store.figures(p.org_id, as_of, days).map_err(period_error)?;
            Ok(figures.iter().map(figures_out).collect())
        })
        .await?;
    Ok(Json(out))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TrendQuery {
    /// The last point's period end (default: today in the organisation's zone).
    pub as_of: Option<String>,
    /// Each period's length in days, 1 to 3660 (default 90).
    pub days: Option<u32>,
    /// How many points, 1 to 120 (default 12).
    pub points: Option<u32>,
    /// Days between the points' ends, 1 to 366 (default 30).
    pub step: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct TrendPointOut {
    pub period_first_day: String,
    pub period_end: String,
    pub figures: Vec<FiguresOut>,
}

/// The figures over time: `points` periods whose ends are `step` days
/// apart, the last ending `as_of`, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/figures/trend",
    tag = "reports",
    params(TrendQuery),
    security(("token" = []), ("session" = [])),
    responses(
        (status = 200, body = Vec<TrendPointOut>),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json")
    )
)]
async fn figures_trend(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<TrendQuery>,
) -> Result<Json<Vec<TrendPointOut>>, ApiError> {
    let days = period_days(query.days)?;
    let points = query.points.unwrap_or(12);
    if points == 0 || points > dun_core::figures::TREND_POINTS_MAX {
        return Err(ApiError::invalid(
            "points",
            format!("points: give 1 to {}", dun_core::figures::TREND_POINTS_MAX),
        ));
    }
    let step = query.step.unwrap_or(30);
    if step == 0 || step > dun_core::figures::TREND_STEP_DAYS_MAX {
        return Err(ApiError::invalid(
            "step",
            format!(
                "step: give 1 to {} days",
                dun_core::figures::TREND_STEP_DAYS_MAX
            ),
        ));
    }
    let out = state
        .as_caller(caller, Need::Read, move |store, p| {
            let org = p.org.clone();
            let as_of = wire::as_of_or_today("as_of", query.as_of.as_deref(), &org.timezone)?;
            let trend = store
                .figures_trend(p.org_id, as_of, days, points, step)
                .map_err(period_error)?;
            Ok(trend
                .iter()
                .map(|t| TrendPointOut {
                    period_first_day: t.period.first_day().to_string(),
                    period_end: t.period.end.to_string(),
                    figures: t.figures.iter().map(figures_out).collect(),
                })
                .collect())
        })
        .await?;
    Ok(Json(out))
}
