//! The dashboard's heavy parts — the aging, the figures of the last 90
//! days, their year of trend, today's run preview and the worklist's
//! ranking — and the reports' figures over time as of today, kept per
//! organisation between page views.
//!
//! On a 1,000,000-invoice book those take seconds (the trend reads a year
//! of entries; the preview decides the whole run), while the page must
//! answer in milliseconds. They are kept with the [`BookRevision`] they were
//! computed at and reused while it has not moved, for at most
//! [`FRESH_FOR`]. When the book has moved:
//! - if computing them took under [`SLOW_MS`] (every small book), they are
//!   computed again before the page answers: the page always shows the
//!   book as it is;
//! - if it took longer, the page answers at once with what was computed,
//!   saying when, while one refresh runs in the background
//!   (stale-while-revalidate); the next view shows the new figures.
//!
//! A new day always recomputes before answering (yesterday's preview is not
//! today's). The cache is per process (each process of a shared
//! PostgreSQL keeps its own) and keyed by database and organisation, so two
//! servers in one process (as in the tests) never see each other's.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use dun_core::aging::AgingEdges;
use dun_core::Date;
use dun_server::app::AppState;
use dun_server::problem::ApiError;
use dun_store::collections::RunOutcome;
use dun_store::figures::TrendPoint;
use dun_store::revision::BookRevision;
use dun_store::worklist::{WorklistRow, WORKLIST_LIMIT_MAX};
use dun_store::Store;

/// Days the figures cover.
pub const PERIOD_DAYS: u32 = 90;
/// Points of the trend, a month apart.
pub const TREND_POINTS: u32 = 12;
pub const TREND_STEP_DAYS: u32 = 30;
/// Longest a kept computation is used without recomputing, even when the
/// book's revision has not moved (edits in place do not move it).
pub const FRESH_FOR: Duration = Duration::from_secs(10 * 60);
/// A computation taking this long or longer is refreshed in the background rather
/// than while the owner waits, in ms.
pub const SLOW_MS: u64 = 250;
/// Organisations kept at most (the oldest computation goes first).
const ORGS_MAX: usize = 256;

/// What the dashboard computes from the whole book.
pub struct Heavy {
    /// The aging by customer (the reports' detail rows too).
    pub aging: Arc<crate::reports::Aging>,
    pub figures: Vec<dun_core::figures::Figures>,
    pub trend: Vec<TrendPoint>,
    /// The reports' figures over time as of today: 30-day periods, a
    /// month apart, for a year (kept here so the reports page shares the
    /// warming and the background refresh).
    pub month_trend: Vec<TrendPoint>,
    pub run: RunOutcome,
    /// The open tasks in the worklist's priority order (the first
    /// `WORKLIST_LIMIT_MAX`): the worklist page and the dashboard's top.
    pub ranked: Vec<WorklistRow>,
    /// When it was computed (UTC, `HH:MM`), to say so on a stale page.
    pub computed_at: String,
    pub compute_ms: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    today: Date,
    revision: BookRevision,
}

struct Slot {
    key: Key,
    heavy: Arc<Heavy>,
    made: Instant,
    refreshing: bool,
}

/// Where a book lives: the database's address and the organisation.
type Book = (String, i64);

static SLOTS: LazyLock<Mutex<HashMap<Book, Slot>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

fn slots() -> std::sync::MutexGuard<'static, HashMap<Book, Slot>> {
    // A panic while holding the lock leaves plain data behind; use it.
    SLOTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Computes the heavy parts as of `today`.
pub fn compute(
    store: &mut Store,
    org_id: i64,
    today: Date,
    edges: &AgingEdges,
) -> Result<Heavy, ApiError> {
    let started = Instant::now();
    let aging = Arc::new(crate::reports::aging_now(
        store, org_id, today, edges, false,
    )?);
    let figures = store.figures(org_id, today, PERIOD_DAYS)?;
    let trend = store.figures_trend(org_id, today, PERIOD_DAYS, TREND_POINTS, TREND_STEP_DAYS)?;
    let month_trend = store.figures_trend(
        org_id,
        today,
        crate::reports::FIGURE_DAYS,
        crate::reports::FIGURE_POINTS,
        crate::reports::FIGURE_STEP,
    )?;
    let run = store.run_collections(org_id, today, false)?;
    let ranked = store.worklist(org_id, today, WORKLIST_LIMIT_MAX)?;
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC);
    Ok(Heavy {
        aging,
        figures,
        trend,
        month_trend,
        run,
        ranked,
        computed_at: format!("{:02}:{:02} UTC", now.hour(), now.minute()),
        compute_ms: started.elapsed().as_millis() as u64,
    })
}

fn keep(book: Book, key: Key, heavy: Arc<Heavy>) {
    let mut slots = slots();
    if slots.len() >= ORGS_MAX && !slots.contains_key(&book) {
        if let Some(oldest) = slots
            .iter()
            .min_by_key(|(_, s)| s.made)
            .map(|(b, _)| b.clone())
        {
            slots.remove(&oldest);
        }
    }
    slots.insert(
        book,
        Slot {
            key,
            heavy,
            made: Instant::now(),
            refreshing: false,
        },
    );
}

/// The heavy parts for `org_id` of the database at `database` today, and
/// whether they are from before the book's latest change (a refresh is
/// then under way). `refresh` is called at most once per stale period, to
/// start the background refresh.
pub fn get(
    store: &mut Store,
    database: &str,
    org_id: i64,
    today: Date,
    edges: &AgingEdges,
    slow_ms: u64,
    refresh: impl FnOnce(),
) -> Result<(Arc<Heavy>, bool), ApiError> {
    let key = Key {
        today,
        revision: store.book_revision(org_id)?,
    };
    let book = (database.to_string(), org_id);
    {
        let mut slots = slots();
        if let Some(slot) = slots.get_mut(&book) {
            let expired = slot.made.elapsed() > FRESH_FOR;
            if slot.key == key && !expired {
                return Ok((slot.heavy.clone(), false));
            }
            if slot.key.today == today && slot.heavy.compute_ms >= slow_ms {
                if !slot.refreshing {
                    slot.refreshing = true;
                    refresh();
                }
                return Ok((slot.heavy.clone(), true));
            }
        }
    }
    let heavy = Arc::new(compute(store, org_id, today, edges)?);
    keep(book, key, heavy.clone());
    Ok((heavy, false))
}

/// Recomputes `org_id`'s heavy parts on a pooled connection, off the
/// request; on failure the old ones stay and the next view tries again.
pub fn refresh_in_background(
    runtime: tokio::runtime::Handle,
    state: AppState,
    org_id: i64,
    today: Date,
    edges: AgingEdges,
) {
    let book = (state.config.database_url.clone(), org_id);
    let failed = book.clone();
    runtime.spawn(async move {
        let done = state
            .pool
            .run(move |store| {
                let key = Key {
                    today,
                    revision: store.book_revision(org_id)?,
                };
                let heavy = Arc::new(compute(store, org_id, today, &edges)?);
                keep(book, key, heavy);
                Ok(())
            })
            .await;
        if let Err(e) = done {
            eprintln!(
                "dun-web: refreshing the dashboard of organisation {org_id}: {}",
                e.detail
            );
            if let Some(slot) = slots().get_mut(&failed) {
                slot.refreshing = false;
            }
        }
    });
}

/// The organisation's open tasks in the store's priority order (the first
/// `WORKLIST_LIMIT_MAX`), from the kept computation.
/// When that is from before the book's latest change (a big book, a
/// refresh under way), the tasks closed since are left out — one read of
/// the open tasks' ids — so a task just done never shows again; tasks made
/// since appear with the refresh.
pub fn open_ranked(
    store: &mut Store,
    org_id: i64,
    heavy: &Heavy,
    stale: bool,
) -> Result<Vec<WorklistRow>, ApiError> {
    if !stale {
        return Ok(heavy.ranked.clone());
    }
    let open = store.open_task_ids(org_id)?;
    Ok(heavy
        .ranked
        .iter()
        .filter(|r| open.contains(&r.task_id))
        .cloned()
        .collect())
}

/// What a page needs to use the kept computation: the server's state (the
/// book's database, the pool) and the runtime to refresh it on. Made in
/// the request's handler, moved into its store work.
#[derive(Clone)]
pub struct Keeper {
    state: AppState,
    runtime: tokio::runtime::Handle,
}

impl Keeper {
    /// Call inside the runtime (in a handler).
    pub fn new(state: &AppState) -> Keeper {
        Keeper {
            state: state.clone(),
            runtime: tokio::runtime::Handle::current(),
        }
    }

    /// The database's address, which keys what pages keep.
    pub fn database(&self) -> &str {
        &self.state.config.database_url
    }

    /// [`get`] with [`SLOW_MS`] and a background refresh.
    pub fn heavy(
        &self,
        store: &mut Store,
        org_id: i64,
        today: Date,
        edges: &AgingEdges,
    ) -> Result<(Arc<Heavy>, bool), ApiError> {
        get(
            store,
            self.database(),
            org_id,
            today,
            edges,
            SLOW_MS,
            || {
                refresh_in_background(
                    self.runtime.clone(),
                    self.state.clone(),
                    org_id,
                    today,
                    edges.clone(),
                )
            },
        )
    }
}

/// Organisations whose dashboards [`warm`] computes, at most.
const WARM_ORGS_MAX: usize = 64;

/// Computes each organisation's dashboard in the background, one after
/// another, as `dun serve` starts: on a big book the first view is then
/// as fast as the next. Failures are logged and left to the first view.
pub fn warm(state: AppState) {
    tokio::runtime::Handle::current().spawn(async move {
        let orgs = match state.pool.run(|store| Ok(store.orgs()?)).await {
            Ok(orgs) => orgs,
            Err(e) => {
                eprintln!("dun-web: warming the dashboards: {}", e.detail);
                return;
            }
        };
        for org in orgs.into_iter().take(WARM_ORGS_MAX) {
            let book = (state.config.database_url.clone(), org.id);
            let done = state
                .pool
                .run(move |store| {
                    let today = dun_server::wire::today_in(&org.timezone)?;
                    let key = Key {
                        today,
                        revision: store.book_revision(org.id)?,
                    };
                    let heavy = Arc::new(compute(store, org.id, today, &org.edges())?);
                    keep(book, key, heavy);
                    Ok(())
                })
                .await;
            if let Err(e) = done {
                eprintln!("dun-web: warming a dashboard: {}", e.detail);
            }
        }
    });
}
