//! The dashboard: what is owed and how late, the collection figures of
//! the last 90 days with their trend, what today's run would do, and the
//! top of the worklist.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use dun_core::figures::Figure;
use dun_server::app::{AppState, Caller};
use dun_server::problem::ApiError;
use maud::{html, Markup};

use crate::dashboard_cache::{self, PERIOD_DAYS, TREND_POINTS};
use crate::layout::{encode, grouped, money, page, status_class, words};
use crate::{charts, read_page};

/// Lines of the run preview shown.
const RUN_LINES: usize = 8;
/// Worklist rows shown.
const WORKLIST_ROWS: usize = 5;

pub async fn show(State(state): State<AppState>, caller: Result<Caller, ApiError>) -> Response {
    let keeper = dashboard_cache::Keeper::new(&state);
    read_page(&state, caller, move |store, p, ctx| {
        let today = ctx.today;
        let (heavy, stale) = keeper.heavy(store, p.org_id, today, &ctx.edges)?;
        let (aging, figures, trend, run) =
            (&heavy.aging.report, &heavy.figures, &heavy.trend, &heavy.run);
        let labels = aging.edges.labels();
        let totals = aging.totals();
        let ranked = dashboard_cache::open_ranked(store, p.org_id, &heavy, stale)?;
        // Customers' unapplied credit, beside what is owed (never netted).
        let credit = store.unapplied_credit(p.org_id, None)?;
        let worklist: Vec<_> = ranked.iter().take(WORKLIST_ROWS).collect();

        let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
        for action in &run.plan.actions {
            *kinds.entry(action.kind.name()).or_default() += 1;
        }
        let dso_trend: Vec<(String, Option<f64>)> = trend
            .iter()
            .map(|point| {
                let dso = point
                    .figures
                    .iter()
                    .find(|f| f.currency == ctx.currency)
                    .and_then(|f| value(f.dso));
                (point.period.end.to_string(), dso)
            })
            .collect();

        let body = html! {
            h1 { "Dashboard" }
            p.muted {
                "As of " (today) " (" (ctx.timezone) ")"
                @if stale {
                    " · figures computed at " (heavy.computed_at) "; newer ones are being computed — reload in a moment"
                }
            }
            section aria-labelledby="owed" {
                h2 #owed { "Receivable" }
                @if totals.is_empty() {
                    p.empty { "Nothing is owed: no open invoices." }
                }
                div.cards {
                    @for (currency, row) in &totals {
                        @let total = row.total_minor();
                        @let overdue = total - row.amounts_minor.first().copied().unwrap_or(0);
                        div.card {
                            p.label { "Total receivable" }
                            p.big.num data-total=(currency.code()) { (money(total, *currency)) }
                            p.label { "Overdue" }
                            p.big.num.bad[overdue > 0] data-overdue=(currency.code()) { (money(overdue, *currency)) }
                            @if let Some(c) = credit.get(currency) {
                                p.label { "Customers' credit (not yet applied)" }
                                p.big.num data-credit=(currency.code()) { (money(*c, *currency)) }
                            }
                        }
                    }
                    @for (currency, c) in credit.iter().filter(|(c, _)| !totals.contains_key(*c)) {
                        div.card {
                            p.label { "Customers' credit (not yet applied)" }
                            p.big.num data-credit=(currency.code()) { (money(*c, *currency)) }
                        }
                    }
                }
                @for (currency, row) in &totals {
                    h3 { "Aging, " (currency.code()) }
                    div.split {
                        (charts::bars(
                            &format!("Aging of {} receivables by days past due", currency.code()),
                            &labels.iter().zip(&row.amounts_minor).map(|(l, a)| {
                                (l.clone(), *a as f64, money(*a, *currency))
                            }).collect::<Vec<_>>(),
                        ))
                        div.scroll tabindex="0" { table.data {
                            caption.sr { "Aging of " (currency.code()) " receivables" }
                            thead { tr { th scope="col" { "Days past due" } th.num scope="col" { "Invoices" } th.num scope="col" { "Amount" } } }
                            tbody {
                                @for ((label, amount), count) in labels.iter().zip(&row.amounts_minor).zip(&row.counts) {
                                    tr { th scope="row" { (label) } td.num { (count) } td.num { @if *amount == 0 { span.muted { "—" } } @else { (money(*amount, *currency)) } } }
                                }
                            }
                        } }
                    }
                }
            }
            section aria-labelledby="figures" {
                h2 #figures { "Collection figures, last " (PERIOD_DAYS) " days" }
                @if figures.is_empty() {
                    p.empty { "No credit sales or receivables in the period yet." }
                } @else {
                    div.scroll tabindex="0" { table.data {
                        thead { tr {
                            th scope="col" { "Currency" }
                            th.num scope="col" { abbr title="Days sales outstanding" { "DSO" } }
                            th.num scope="col" { "Best possible DSO" }
                            th.num scope="col" { abbr title="Collection effectiveness index" { "CEI" } }
                            th.num scope="col" { "Credit sales" }
                        } }
                        tbody {
                            @for f in figures {
                                tr {
                                    th scope="row" { (f.currency.code()) }
                                    td.num { (figure(f.dso, " days")) }
                                    td.num { (figure(f.best_possible_dso, " days")) }
                                    td.num { (figure(f.cei, " %")) }
                                    td.num { (money(f.credit_sales_minor, f.currency)) }
                                }
                            }
                        }
                    } }
                }
                h3 { "DSO trend, " (ctx.currency.code()) }
                (charts::line(
                    &format!("DSO in {} over the last {} months, each point the {PERIOD_DAYS} days before it", ctx.currency.code(), TREND_POINTS),
                    &dso_trend,
                ))
            }
            section aria-labelledby="run" {
                h2 #run { "Today's run (preview)" }
                @if run.plan.actions.is_empty() {
                    p.empty { "Today's run would do nothing." }
                } @else {
                    p {
                        "Policy version " (run.plan.policy_version) " would take "
                        (run.plan.actions.len()) " actions: "
                        @for (i, (kind, n)) in kinds.iter().enumerate() {
                            @if i > 0 { ", " }
                            span.pill { (n) " " (kind) }
                        }
                        "."
                    }
                    div.scroll tabindex="0" { table.data {
                        thead { tr { th scope="col" { "Customer" } th scope="col" { "Action" } th scope="col" { "Rule" } } }
                        tbody {
                            @for action in run.plan.actions.iter().take(RUN_LINES) {
                                @let who = run.customers.get(&action.customer_id);
                                tr {
                                    td { @if let Some(c) = who {
                                        a href=(format!("/customers/{}", encode(&c.reference))) { (c.name) }
                                    } @else { "#" (action.customer_id) } }
                                    td { (action.kind.name()) }
                                    td.code { (action.rule) }
                                }
                            }
                        }
                    } }
                    @if run.plan.actions.len() > RUN_LINES {
                        p.muted { "and " (run.plan.actions.len() - RUN_LINES) " more." }
                    }
                }
            }
            section aria-labelledby="work" {
                h2 #work { "Top of the worklist" }
                @if worklist.is_empty() {
                    p.empty { "No open tasks are due." }
                } @else {
                    div.scroll tabindex="0" { table.data {
                        thead { tr {
                            th scope="col" { "Customer" } th scope="col" { "Next step" }
                            th.num scope="col" { "Owed" } th.num scope="col" { "Days late" } th scope="col" { "Tier" }
                        } }
                        tbody {
                            @for row in &worklist {
                                @let currency = row.currency.unwrap_or(ctx.currency);
                                tr {
                                    td { a href=(format!("/customers/{}", encode(&row.customer_ref))) { (row.customer_name) } }
                                    td { (row.next_step) }
                                    td.num { (money(row.owed_minor, currency)) }
                                    td.num { (row.days_late) }
                                    td { span class=(format!("badge {}", status_class(row.tier.as_str()))) { (words(row.tier.as_str())) } }
                                }
                            }
                        }
                    } }
                }
            }
        };
        Ok((StatusCode::OK, page(ctx, "Dashboard", "Dashboard", body)))
    })
    .await
}

fn value(f: Figure) -> Option<f64> {
    match f {
        Figure::Value(v) => Some(v.scaled as f64 / 10f64.powi(i32::from(v.scale))),
        Figure::Absent(_) => None,
    }
}

fn figure(f: Figure, unit: &str) -> Markup {
    match f {
        Figure::Value(v) => html! { (grouped(&v.to_string())) (unit) },
        Figure::Absent(a) => html! { span.muted title=(a.reason()) { "—" } },
    }
}
