//! The dashboard's kept computation: reused while the book has not moved,
//! recomputed before answering when it has (a fast book), or served stale
//! with one background refresh asked for (a slow book) — on both engines.

mod common;

#[allow(unused_imports)]
use common::store::*;
use dun_store::payments::Allocate;
use dun_web::dashboard_cache::{get, open_ranked};

/// What the kept aging says is owed, in minor units.
fn owed(heavy: &dun_web::dashboard_cache::Heavy) -> i64 {
    heavy
        .aging
        .report
        .totals()
        .values()
        .map(|row| row.total_minor())
        .sum()
}

#[test]
fn kept_while_the_book_stands_still_refreshed_when_it_moves_sqlite() {
    on_sqlite("dashboard_cache", kept_while_the_book_stands_still);
}

#[test]
fn kept_while_the_book_stands_still_refreshed_when_it_moves_postgres() {
    on_postgres("dashboard_cache", kept_while_the_book_stands_still);
}

fn kept_while_the_book_stands_still(url: &str) {
    let mut opened = dun_store::Store::open(url).expect("open the store");
    let store = &mut opened;
    let org = org(store, "Acme");
    let bolt = customer(store, &org, "BOLT");
    invoice(store, &org, &bolt, "2026-01-05", "net30", 10_000);
    let today = d("2026-03-01");
    let edges = org.edges();
    let never = || panic!("a fresh book needs no background refresh");

    // Fast book: computed, then the same computation reused.
    let (first, stale) = get(store, url, org.id, today, &edges, u64::MAX, never).unwrap();
    assert!(!stale);
    assert_eq!(owed(&first), 10_000);
    let (again, stale) = get(store, url, org.id, today, &edges, u64::MAX, never).unwrap();
    assert!(!stale);
    assert!(
        std::sync::Arc::ptr_eq(&first, &again),
        "nothing moved: reused"
    );

    // The book moves; a fast book is recomputed before answering.
    store
        .record_payment(
            org.id,
            &payment(&bolt, "2026-02-01", 3_000),
            &Allocate::OldestDueFirst,
            None,
        )
        .unwrap();
    let (fresh, stale) = get(store, url, org.id, today, &edges, u64::MAX, never).unwrap();
    assert!(!stale);
    assert_eq!(owed(&fresh), 7_000);

    // It moves again; a slow book answers with what it had and asks
    // for one refresh, however many views come before it lands.
    store
        .record_payment(
            org.id,
            &payment(&bolt, "2026-02-02", 2_000),
            &Allocate::OldestDueFirst,
            None,
        )
        .unwrap();
    let asked = std::cell::Cell::new(0);
    let (old, stale) = get(store, url, org.id, today, &edges, 0, || {
        asked.set(asked.get() + 1)
    })
    .unwrap();
    assert!(stale);
    assert_eq!(owed(&old), 7_000, "the kept figures, not the new ones");
    let (old, stale) = get(store, url, org.id, today, &edges, 0, || {
        asked.set(asked.get() + 1)
    })
    .unwrap();
    assert!(stale);
    assert_eq!(owed(&old), 7_000);
    assert_eq!(asked.get(), 1, "one refresh asked for");

    // A new day is computed before answering, slow book or not.
    let (tomorrow, stale) = get(store, url, org.id, d("2026-03-02"), &edges, 0, never).unwrap();
    assert!(!stale);
    assert_eq!(owed(&tomorrow), 5_000);
}

#[test]
fn a_task_done_leaves_a_stale_worklist_at_once_sqlite() {
    on_sqlite("dashboard_cache_tasks", a_task_done_leaves_a_stale_worklist);
}

#[test]
fn a_task_done_leaves_a_stale_worklist_at_once_postgres() {
    on_postgres("dashboard_cache_tasks", a_task_done_leaves_a_stale_worklist);
}

/// A slow book serves its kept ranking until the refresh lands; a task
/// done meanwhile is gone from it at once, one made meanwhile waits.
fn a_task_done_leaves_a_stale_worklist(url: &str) {
    let mut opened = dun_store::Store::open(url).expect("open the store");
    let store = &mut opened;
    let org = org(store, "Acme");
    let bolt = customer(store, &org, "BOLT");
    invoice(store, &org, &bolt, "2026-01-05", "net30", 10_000);
    let today = d("2026-03-01");
    let edges = org.edges();
    let call = store
        .add_task(org.id, "BOLT", "Call about January", today, today, "ann")
        .unwrap();
    let visit = store
        .add_task(org.id, "BOLT", "Visit the yard", today, today, "ann")
        .unwrap();
    let (heavy, stale) = get(store, url, org.id, today, &edges, u64::MAX, || {}).unwrap();
    assert!(!stale);
    let ids = |rows: Vec<dun_store::worklist::WorklistRow>| -> Vec<i64> {
        let mut ids: Vec<i64> = rows.iter().map(|r| r.task_id).collect();
        ids.sort();
        ids
    };
    let fresh = open_ranked(store, org.id, &heavy, stale).unwrap();
    assert_eq!(ids(fresh), vec![call.id, visit.id]);

    store
        .complete_task(org.id, call.id, "Promised to pay", today, "ann")
        .unwrap();
    let later = store
        .add_task(org.id, "BOLT", "Send the statement", today, today, "ann")
        .unwrap();
    let (kept, stale) = get(store, url, org.id, today, &edges, 0, || {}).unwrap();
    assert!(stale, "a slow book answers with what it kept");
    assert_eq!(
        ids(open_ranked(store, org.id, &kept, stale).unwrap()),
        vec![visit.id],
        "the task done is gone; the new one ({}) comes with the refresh",
        later.id
    );
}
