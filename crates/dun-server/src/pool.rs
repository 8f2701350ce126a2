//! Store connections for blocking work.
//!
//! The store is synchronous (rusqlite, postgres); each request's work runs
//! on a blocking thread, so the async workers never wait on the database.
//!
//! - **Reads** (and every request on PostgreSQL) borrow a connection from a
//!   pool bounded by a semaphore; one that breaks (a PostgreSQL restart) is
//!   dropped rather than lent again.
//! - **Writes on SQLite** go to one writer thread with a connection of its
//!   own, which commits them in groups: it takes every write waiting (up
//!   to [`GROUP_WRITES_MAX`]), opens one transaction, runs each write in a
//!   savepoint of its own — a write that fails rolls back alone — and
//!   commits once, so one fsync makes them all durable. Nobody is answered
//!   before that commit; if it fails, every write of the group is answered
//!   with the error and none of them happened. SQLite has one writer at a
//!   time anyway: queueing here, in order, replaces its busy handler's
//!   sleeps, and grouping replaces an fsync per payment with one per group.
//! - **Quick reads on SQLite** — a credential, one invoice, one customer —
//!   run on the async worker itself, with a connection kept per worker
//!   thread ([`Pool::quick`]): a read of a few indexed rows from the mapped
//!   file takes microseconds, less than handing it to a blocking thread and
//!   back (two thread switches, most of such a request's cost). Anything
//!   that may read much goes through [`Pool::run`]. On PostgreSQL every
//!   read waits on the network, so it always goes to a blocking thread.

use std::any::Any;
use std::cell::RefCell;
use std::sync::{Arc, Mutex, Weak};

use dun_store::Store;
use tokio::sync::{oneshot, Semaphore};

use crate::problem::ApiError;

/// Most writes one group commit holds.
pub const GROUP_WRITES_MAX: usize = 256;
/// Writes waiting for the writer before new ones are refused with 503.
pub const WRITES_QUEUED_MAX: usize = 10_000;

type Outcome = Box<dyn Any + Send>;
type Job = Box<dyn FnOnce(&mut Store) -> Outcome + Send>;
type Reply = oneshot::Sender<Result<Outcome, ApiError>>;

#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    url: String,
    /// Each SQLite connection's share of the memory budgets.
    share: Share,
    idle: Mutex<Vec<Store>>,
    permits: Arc<Semaphore>,
    /// The SQLite writer thread's queue; none on PostgreSQL.
    writer: Option<std::sync::mpsc::SyncSender<(Job, Reply)>>,
}

impl Drop for Inner {
    /// A PostgreSQL connection closes by blocking on its own runtime, which
    /// must not happen on an async worker: idle connections are closed on
    /// a thread of their own.
    fn drop(&mut self) {
        let idle = std::mem::take(self.idle.get_mut().unwrap_or_else(|e| e.into_inner()));
        if idle.is_empty() {
            return;
        }
        let closing = std::thread::spawn(move || drop(idle));
        let _ = closing.join();
    }
}

thread_local! {
    /// Each worker thread's SQLite connections for [`Pool::quick`], one per
    /// pool (tests run several servers in one process).
    static QUICK: RefCell<Vec<(Weak<Inner>, Store)>> = const { RefCell::new(Vec::new()) };
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

impl Pool {
    /// A pool of at most `size` connections to `url`, whose schema the
    /// caller has already brought up to date. On SQLite the connections
    /// (the pooled ones, one per worker thread for quick reads, and the
    /// writer's) share two budgets: `cache_mib` MiB of page cache and
    /// `mmap_mib` MiB of the file mapped into memory, so the server's
    /// memory stays bounded however large the book grows.
    pub fn new(url: &str, size: usize, cache_mib: u64, mmap_mib: u64) -> Pool {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let share = Share::of(size + threads + 1, cache_mib, mmap_mib);
        let writer = (!is_postgres(url)).then(|| {
            let (sender, receiver) =
                std::sync::mpsc::sync_channel::<(Job, Reply)>(WRITES_QUEUED_MAX);
            let url = url.to_string();
            std::thread::Builder::new()
                .name("dun-sqlite-writer".into())
                .spawn(move || write_groups(&url, share, receiver))
                .expect("start the SQLite writer thread");
            sender
        });
        Pool {
            inner: Arc::new(Inner {
                url: url.to_string(),
                share,
                idle: Mutex::new(Vec::with_capacity(size)),
                permits: Arc::new(Semaphore::new(size)),
                writer,
            }),
        }
    }

    /// Whether the database is SQLite (quick reads and one writer thread).
    pub fn is_sqlite(&self) -> bool {
        self.inner.writer.is_some()
    }

    /// Runs `work`, a read of a few rows by key, where it costs least: on
    /// SQLite right here on the calling thread, with that thread's own
    /// connection; on PostgreSQL as [`Pool::run`] does.
    pub async fn quick<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, ApiError> + Send + 'static,
    {
        if self.is_sqlite() {
            self.here(work)
        } else {
            self.run(work).await
        }
    }

    /// Runs `work` on this thread with its connection to this pool's
    /// SQLite file (opened on first use). A panic is a 500, as elsewhere.
    fn here<T>(&self, work: impl FnOnce(&mut Store) -> Result<T, ApiError>) -> Result<T, ApiError> {
        QUICK.with(|quick| {
            let mut quick = quick.borrow_mut();
            quick.retain(|(pool, _)| pool.strong_count() > 0);
            let mine = Arc::as_ptr(&self.inner);
            let at = match quick
                .iter()
                .position(|(pool, _)| Weak::as_ptr(pool) == mine)
            {
                Some(at) => at,
                None => {
                    let store = connect(&self.inner.url, self.inner.share)?;
                    quick.push((Arc::downgrade(&self.inner), store));
                    quick.len() - 1
                }
            };
            let store = &mut quick[at].1;
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(store)))
                .unwrap_or_else(|_| Err(ApiError::internal("a quick read panicked")))
        })
    }

    /// Runs `work`, which only reads, with a pooled connection.
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, ApiError> + Send + 'static,
    {
        let permit = self
            .inner
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ApiError::unavailable("the server is shutting down"))?;
        let inner = self.inner.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let idle = inner.idle.lock().map(|mut v| v.pop()).unwrap_or(None);
            let mut store = match idle {
                Some(store) => store,
                None => connect(&inner.url, inner.share)?,
            };
            let result = work(&mut store);
            if !store.is_broken() {
                if let Ok(mut idle) = inner.idle.lock() {
                    idle.push(store);
                }
            }
            result
        })
        .await;
        match joined {
            Ok(result) => result,
            Err(e) => Err(ApiError::internal(format!(
                "a request's database work failed: {e}"
            ))),
        }
    }

    /// Runs `work`, which writes: on SQLite in the writer's next group
    /// commit, answered once that commit is durable; on PostgreSQL with a
    /// pooled connection, in a transaction of its own.
    pub async fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, ApiError> + Send + 'static,
    {
        let Some(writer) = &self.inner.writer else {
            return self.run(work).await;
        };
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |store: &mut Store| -> Outcome { Box::new(work(store)) });
        writer.try_send((job, reply)).map_err(|e| match e {
            std::sync::mpsc::TrySendError::Full(_) => {
                ApiError::unavailable("too many writes are waiting; retry in a moment")
            }
            std::sync::mpsc::TrySendError::Disconnected(_) => {
                ApiError::internal("the SQLite writer thread has stopped")
            }
        })?;
        let outcome = answer
            .await
            .map_err(|_| ApiError::internal("the SQLite writer dropped a write"))??;
        match outcome.downcast::<Result<T, ApiError>>() {
            Ok(result) => *result,
            Err(_) => Err(ApiError::internal("a write's result had the wrong type")),
        }
    }
}

/// One SQLite connection's share of the server's memory budgets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share {
    /// Its page cache, KiB.
    pub cache_kib: u64,
    /// How much of the file it maps, bytes.
    pub mmap_bytes: u64,
}

impl Share {
    /// Each of `connections` connections' share of `cache_mib` MiB of page
    /// cache and `mmap_mib` MiB of mapped file.
    pub fn of(connections: usize, cache_mib: u64, mmap_mib: u64) -> Share {
        let connections = connections.max(1) as u64;
        Share {
            cache_kib: cache_mib * 1024 / connections,
            mmap_bytes: mmap_mib * 1024 * 1024 / connections,
        }
    }
}

/// A connection to `url` within its `share` of the memory budgets.
fn connect(url: &str, share: Share) -> Result<Store, ApiError> {
    let mut store = Store::connect(url).map_err(ApiError::from)?;
    store
        .limit_cache_kib(share.cache_kib)
        .map_err(ApiError::from)?;
    store
        .limit_mmap_bytes(share.mmap_bytes)
        .map_err(ApiError::from)?;
    Ok(store)
}

/// The SQLite writer: group after group until the pool is dropped.
fn write_groups(url: &str, share: Share, queue: std::sync::mpsc::Receiver<(Job, Reply)>) {
    let mut store: Option<Store> = None;
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < GROUP_WRITES_MAX {
            match queue.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        if store.is_none() {
            match connect(url, share) {
                Ok(s) => store = Some(s),
                Err(e) => {
                    let message = e.detail.clone();
                    for (_, reply) in group {
                        let _ = reply.send(Err(ApiError::internal(format!(
                            "the SQLite writer cannot open the database: {message}"
                        ))));
                    }
                    continue;
                }
            }
        }
        let Some(store) = store.as_mut() else {
            continue;
        };
        run_group(store, group);
    }
}

fn run_group(store: &mut Store, group: Vec<(Job, Reply)>) {
    if let Err(e) = store.begin_group() {
        let err = ApiError::from(e);
        for (_, reply) in group {
            let _ = reply.send(Err(copy(&err)));
        }
        return;
    }
    let mut outcomes = Vec::with_capacity(group.len());
    for (job, reply) in group {
        // A write that panics has its savepoint rolled back as it unwinds;
        // the rest of the group goes on.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(store)))
            .map_err(|_| ApiError::internal("a write panicked"));
        outcomes.push((outcome, reply));
    }
    match store.commit_group() {
        Ok(()) => {
            for (outcome, reply) in outcomes {
                let _ = reply.send(outcome);
            }
        }
        Err(e) => {
            let _ = store.rollback_group();
            let err = ApiError::from(e);
            tracing::error!(detail = %err.detail, cause = ?err.internal, "a group commit failed; its writes were undone");
            for (_, reply) in outcomes {
                let _ = reply.send(Err(copy(&err)));
            }
        }
    }
}

/// The same problem for each write of a failed group.
fn copy(e: &ApiError) -> ApiError {
    ApiError {
        status: e.status,
        slug: e.slug,
        title: e.title,
        detail: e.detail.clone(),
        field: e.field.clone(),
        retry_after_seconds: e.retry_after_seconds,
        internal: e.internal.clone(),
    }
}
