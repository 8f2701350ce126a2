//! The server's memory is bounded by its settings however large the book
//! grows (issue 18 item 8): on SQLite every connection it opens — pooled,
//! the worker threads' quick-read ones and the writer's — takes its share
//! of `sqlite_cache_mib` (page cache) and of `sqlite_mmap_mib` (the file
//! mapped into memory), as SQLite itself reports them; on PostgreSQL,
//! whose server keeps its own memory, there is nothing to limit.
//! `bench/soak.sh` measures the server under a long load; this holds the
//! settings to what each connection reports.

// The pool's jobs answer with the server's `ApiError`, as its handlers do.
#![allow(clippy::result_large_err)]

mod common;

use dun_server::pool::Share;
use dun_store::db::SqliteMemory;

/// What each kind of connection of `state` reports.
fn reported(state: &dun_server::app::AppState) -> Vec<(&'static str, Option<SqliteMemory>)> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let pool = &state.pool;
        let pooled = pool.run(|s| Ok(s.sqlite_memory()?)).await.expect("pooled");
        let quick = pool.quick(|s| Ok(s.sqlite_memory()?)).await.expect("quick");
        let writer = pool
            .write(|s| Ok(s.sqlite_memory()?))
            .await
            .expect("writer");
        vec![("pooled", pooled), ("quick", quick), ("writer", writer)]
    })
}

fn connections(pool_size: usize) -> usize {
    // The pool, one per worker thread (quick reads), the writer.
    pool_size + std::thread::available_parallelism().map_or(1, |n| n.get()) + 1
}

fn check(url: &str) {
    let sqlite = !url.starts_with("postgres");
    // Chosen settings.
    let mut config = common::test_config(url);
    config.pool_size = 3;
    config.sqlite_cache_mib = 48;
    config.sqlite_mmap_mib = 24;
    let state = dun_server::state(config).expect("state");
    let share = Share::of(connections(3), 48, 24);
    assert!(share.cache_kib * connections(3) as u64 <= 48 * 1024);
    assert!(share.mmap_bytes * connections(3) as u64 <= 24 << 20);
    assert!(share.mmap_bytes > 0 && share.cache_kib > 0);
    for (which, memory) in reported(&state) {
        let expected = sqlite.then_some(SqliteMemory {
            cache_kib: share.cache_kib,
            mmap_bytes: share.mmap_bytes,
        });
        assert_eq!(memory, expected, "{which} connection");
    }
    drop(state);

    // The defaults: the page caches share 256 MiB, and nothing is mapped
    // (mapped pages of a growing file would count in the server's resident
    // memory once per connection that read them).
    let config = common::test_config(url);
    let pool_size = config.pool_size;
    assert_eq!((config.sqlite_cache_mib, config.sqlite_mmap_mib), (256, 0));
    let state = dun_server::state(config).expect("state");
    let share = Share::of(connections(pool_size), 256, 0);
    for (which, memory) in reported(&state) {
        let expected = sqlite.then_some(SqliteMemory {
            cache_kib: share.cache_kib,
            mmap_bytes: 0,
        });
        assert_eq!(memory, expected, "{which} connection, default settings");
    }
}

#[test]
fn sqlite_connections_take_their_share_of_the_memory_settings() {
    common::store::on_sqlite("memory_settings", check);
}

#[test]
fn postgres_connections_have_no_sqlite_limits() {
    common::store::on_postgres("memory_settings", check);
}
