//! The dashboard's kept computation: reused while the book has not moved,
//! recomputed before answering when it has (a fast book), or served stale
//! with one background refresh asked for (a slow book) — on both engines.

mod common;

#[allow(unused_imports)]
use common::store::*;
use dun_store::payments::Allocate;
use dun_web::dashboard_cache::get;

/// What the kept aging says is owed, in minor units.
fn owed(heavy: &dun_web::dashboard_cache::Heavy) -> i64 {
    heavy
        .aging
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
