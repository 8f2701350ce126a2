//! Several connections writing one book at once, as several `dun serve`
//! processes sharing one PostgreSQL do (and, on SQLite, several processes
//! sharing one file: writers queue on `BEGIN IMMEDIATE` and the busy
//! timeout). Whatever the interleaving: numbers stay gap-free, nothing is
//! over-allocated, and a key posts once.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use std::sync::Barrier;
use std::thread;

use common::*;
use dun_core::import::PaymentRow;
use dun_core::ledger::EntryKind;
use dun_core::posting::PostingError;
use dun_store::import::ImportRequest;
use dun_store::payments::{Allocate, PaymentPosted};
use dun_store::{Store, StoreError};

/// Connections writing at once.
const THREADS: usize = 6;
/// Invoices each connection drafts and issues.
const INVOICES_PER_THREAD: usize = 25;
/// Every so many invoices a connection also issues a credit note.
const CREDIT_NOTE_EVERY: usize = 5;
/// How long an import holds its transaction open while a payment races it.
const IMPORT_PAUSE_MS: u64 = 300;
/// Payments each connection records against the one invoice.
const PAYMENTS_PER_THREAD: usize = 10;

/// Runs `work(thread index, its own store)` on [`THREADS`] connections,
/// started together, and returns what each returned.
fn on_connections<T: Send>(
    url: &str,
    threads: usize,
    work: impl Fn(usize, &mut Store) -> T + Sync,
) -> Vec<T> {
    let start = Barrier::new(threads);
    thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (start, work) = (&start, &work);
                scope.spawn(move || {
                    // Every thread reaches the barrier, even one whose
                    // connection failed, so a failure cannot hang the others.
                    let opened = Store::open(url);
                    start.wait();
                    let mut store = opened
                        .unwrap_or_else(|e| panic!("connection {t} could not open the store: {e}"));
                    work(t, &mut store)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a writer panicked"))
            .collect()
    })
}

fn sequence(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i:06}")).collect()
}

storage_test!(
    fn invoices_issued_at_once_are_numbered_without_gap_or_duplicate(store: &mut Store, url: &str) {
        let acme = org(store, "Acme Ltd");
        let customers: Vec<_> = ["ALPHA", "BETA", "GAMMA", "DELTA"]
            .iter()
            .map(|r| customer(store, &acme, r))
            .collect();
        let issued = on_connections(url, THREADS, |t, store| {
            let mut numbers = Vec::new();
            let mut notes = Vec::new();
            for i in 0..INVOICES_PER_THREAD {
                let customer = &customers[(t + i) % customers.len()];
                let amount = 100_00 + (t * 100 + i) as i64;
                let id = store
                    .create_invoice(
                        acme.id,
                        &draft(customer.id, d("2026-01-05"), "net30", amount),
                        None,
                    )
                    .unwrap();
                let posted = store
                    .issue_invoice(acme.id, &id.to_string(), None, None)
                    .unwrap();
                if i % CREDIT_NOTE_EVERY == 0 {
                    let note = store
                        .reduce_invoice(
                            acme.id,
                            &posted.number,
                            &credit_note(Some(1_00), "2026-01-06"),
                            None,
                        )
                        .unwrap();
                    notes.push(note.document_number.unwrap());
                }
                numbers.push(posted.number);
            }
            (numbers, notes)
        });
        let (mut numbers, mut notes): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        for (n, c) in issued {
            numbers.extend(n);
            notes.extend(c);
        }
        numbers.sort();
        notes.sort();
        assert_eq!(numbers, sequence("INV-", THREADS * INVOICES_PER_THREAD));
        assert_eq!(
            notes,
            sequence(
                "CN-",
                THREADS * INVOICES_PER_THREAD.div_ceil(CREDIT_NOTE_EVERY)
            )
        );
        let mut stored: Vec<String> = all_invoices(store, acme.id)
            .into_iter()
            .filter_map(|i| i.number)
            .collect();
        stored.sort();
        assert_eq!(
            stored, numbers,
            "the book holds exactly the numbers handed out"
        );
        assert_eq!(
            count_kind(store, acme.id, EntryKind::InvoiceIssued),
            THREADS * INVOICES_PER_THREAD
        );
    }
);

storage_test!(
    fn payments_at_once_never_over_allocate_an_invoice(store: &mut Store, url: &str) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        const TOTAL: i64 = 1000_00;
        const EACH: i64 = 30_00;
        let inv = invoice(store, &acme, &alpha, "2026-01-05", "net30", TOTAL);
        let results = on_connections(url, THREADS, |t, store| {
            (0..PAYMENTS_PER_THREAD)
                .map(|i| {
                    let pay = payment(&alpha, "2026-02-01", EACH);
                    // Half the writers name the invoice, half leave it to the
                    // oldest-due-first rule; both race for the same open amount.
                    let allocate = if (t + i) % 2 == 0 {
                        Allocate::Explicit(vec![(inv.number.clone(), EACH)])
                    } else {
                        Allocate::OldestDueFirst
                    };
                    store.record_payment(acme.id, &pay, &allocate, None)
                })
                .collect::<Vec<_>>()
        });
        let mut allocated = 0;
        let mut received = 0;
        for result in results.into_iter().flatten() {
            match result {
                Ok(PaymentPosted {
                    allocations,
                    amount_minor,
                    ..
                }) => {
                    allocated += allocations.iter().map(|a| a.amount_minor).sum::<i64>();
                    received += amount_minor;
                }
                // Refused whole when the invoice no longer had 30.00 open.
                Err(StoreError::Posting(PostingError::ExceedsOpen { .. })) => {}
                Err(other) => {
                    panic!("a payment failed for another reason than the open amount: {other}")
                }
            }
        }
        let open = open_of(store, &acme, &inv.number);
        assert!(open >= 0, "over-allocated: {open} open");
        assert_eq!(
            open,
            TOTAL - allocated,
            "the open amount is the total less what was allocated"
        );
        assert!(
            allocated >= TOTAL - EACH,
            "oldest-due-first payments left {open} open"
        );
        let from_entries: i64 = store
            .entries(acme.id)
            .unwrap()
            .iter()
            .filter(|e| e.entry.kind == EntryKind::Allocation)
            .map(|e| -e.entry.ar_minor)
            .sum();
        assert_eq!(from_entries, allocated);
        let credit: i64 = store.balances(acme.id).unwrap()[&alpha.id]
            .iter()
            .map(|b| b.credit_minor)
            .sum();
        assert_eq!(
            credit,
            received - allocated,
            "what was not allocated is credit"
        );
    }
);

storage_test!(
    fn a_payment_recorded_while_an_import_writes_waits_for_it(store: &mut Store, url: &str) {
        // Regression: import_payments allocated without the customer locks that
        // record_payment takes, so on PostgreSQL a payment planned while an
        // import was writing saw the invoice as it was before the import, and
        // the two together took more off it than was open.
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let inv = invoice(store, &acme, &alpha, "2026-01-05", "net30", 100_00);
        let rows = vec![PaymentRow {
            row: 2,
            received_date: d("2026-02-01"),
            customer_ref: alpha.reference.clone(),
            amount_minor: 60_00,
            currency: usd(),
            method: "transfer".into(),
            reference: "FILE-1".into(),
            invoice_number: Some(inv.number.clone()),
        }];
        let (writing, payer_waits) = std::sync::mpsc::channel::<()>();
        let live = thread::scope(|scope| {
            let (acme, alpha) = (&acme, &alpha);
            let payer = scope.spawn(move || {
                let mut payer = Store::open(url).unwrap();
                payer_waits.recv().unwrap();
                payer.record_payment(
                    acme.id,
                    &payment(alpha, "2026-02-02", 60_00),
                    &Allocate::OldestDueFirst,
                    None,
                )
            });
            let mut importer = Store::open(url).unwrap();
            let request = ImportRequest {
                author: "test",
                key: None,
                fingerprint: "file",
                dry_run: false,
                ladder_from: None,
            };
            // Progress is reported from inside the import's transaction: the
            // live payment starts while the import's allocation is uncommitted.
            let mut once = Some(writing);
            importer
                .import_payments(acme.id, &rows, &request, &mut |_| {
                    if let Some(writing) = once.take() {
                        writing.send(()).unwrap();
                        thread::sleep(std::time::Duration::from_millis(IMPORT_PAUSE_MS));
                    }
                })
                .unwrap();
            payer.join().unwrap()
        });
        let live = live.unwrap();
        assert_eq!(
            live.allocations.iter().map(|a| a.amount_minor).sum::<i64>(),
            40_00,
            "only what the import left open"
        );
        assert_eq!(live.unallocated_minor, 20_00);
        assert_eq!(open_of(store, &acme, &inv.number), 0);
    }
);

storage_test!(
    fn one_key_sent_from_many_connections_posts_once(store: &mut Store, url: &str) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        invoice(store, &acme, &alpha, "2026-01-05", "net30", 100_00);
        let draft_id = store
            .create_invoice(
                acme.id,
                &draft(alpha.id, d("2026-01-06"), "net30", 50_00),
                None,
            )
            .unwrap();

        let paid = on_connections(url, THREADS, |_, store| {
            store
                .record_payment(
                    acme.id,
                    &payment(&alpha, "2026-02-01", 120_00),
                    &Allocate::OldestDueFirst,
                    Some("pay-once"),
                )
                .unwrap()
        });
        assert!(
            paid.iter().all(|p| *p == paid[0]),
            "every sender gets the first result: {paid:#?}"
        );
        assert_eq!(count_kind(store, acme.id, EntryKind::PaymentReceived), 1);

        let issued = on_connections(url, THREADS, |_, store| {
            store
                .issue_invoice(acme.id, &draft_id.to_string(), None, Some("issue-once"))
                .unwrap()
        });
        assert!(issued.iter().all(|p| *p == issued[0]), "{issued:#?}");
        assert_eq!(issued[0].number, "INV-000002");
        assert_eq!(count_kind(store, acme.id, EntryKind::InvoiceIssued), 2);

        // Two different commands under one key: exactly one of them is done,
        // every other sender gets its result or is told the key is taken.
        let raced = on_connections(url, THREADS, |t, store| {
            let amount = if t % 2 == 0 { 1_00 } else { 2_00 };
            store.record_payment(
                acme.id,
                &payment(&alpha, "2026-02-02", amount),
                &Allocate::None,
                Some("contested"),
            )
        });
        let winners: Vec<&PaymentPosted> = raced.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert!(!winners.is_empty(), "{raced:?}");
        assert!(winners.iter().all(|w| *w == winners[0]), "{winners:#?}");
        for result in &raced {
            assert!(
                matches!(result, Ok(_) | Err(StoreError::KeyReused(_))),
                "{result:?}"
            );
        }
        assert_eq!(count_kind(store, acme.id, EntryKind::PaymentReceived), 2);
    }
);

storage_test!(
    fn many_processes_opening_a_new_database_at_once_migrate_it_once(url: &str) {
        let opened = on_connections(url, THREADS, |t, store| {
            store
                .create_org(&new_org(&format!("Org {t}")))
                .map(|o| o.id)
        });
        for result in &opened {
            assert!(result.is_ok(), "{result:?}");
        }
        let mut store = Store::open(url).unwrap();
        assert_eq!(store.orgs().unwrap().len(), THREADS);
    }
);
