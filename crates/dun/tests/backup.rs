//! `dun backup` through the real binary, on each database, while another
//! connection keeps recording payments: the copy opens, every balance in
//! it equals its ledger, and it holds a prefix of what was written (never
//! half a payment). SQLite through VACUUM INTO; PostgreSQL through
//! pg_dump, restored with pg_restore into a fresh database.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::{backends, existing, fails, ok, postgres};
use dun_core::Currency;
use dun_store::payments::{Allocate, NewPayment};
use dun_store::{params, Conn, Store};

/// Payments in the book at `url`.
fn payments(url: &str) -> i64 {
    let mut conn = Conn::open(url).expect("open");
    let mut tx = conn.read_transaction().expect("read");
    tx.query_opt("SELECT COUNT(*) FROM payments", params![], |r| r.i64(0))
        .expect("count")
        .unwrap_or(0)
}

#[test]
fn a_backup_taken_while_payments_are_written_is_consistent() {
    for db in backends("a_backup_taken_while_payments_are_written_is_consistent") {
        let label = db.label;
        ok(
            &db,
            &[
                "init",
                "--org",
                "Acme",
                "--currency",
                "USD",
                "--timezone",
                "UTC",
            ],
        );
        ok(
            &db,
            &["customer", "add", "--ref", "C1", "--name", "One Ltd"],
        );
        ok(
            &db,
            &[
                "invoice",
                "create",
                "--customer",
                "C1",
                "--issue-date",
                "2026-01-02",
                "--line",
                "Work:1:50.00",
                "--issue",
            ],
        );
        // A writer records 0.01 payments until told to stop.
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (url, stop) = (db.url.clone(), stop.clone());
            thread::spawn(move || {
                let mut store = Store::open(&url).expect("open the book");
                let org = store.org(None).expect("the organisation");
                let mut written = 0;
                while !stop.load(Ordering::SeqCst) || written < 20 {
                    let payment = NewPayment {
                        customer_ref: "C1".into(),
                        currency: Currency::parse("USD").unwrap(),
                        received_date: dun_core::Date::parse("2026-02-01").unwrap(),
                        amount_minor: 1,
                        method: "transfer".into(),
                        reference: format!("P{written}"),
                        note: String::new(),
                    };
                    store
                        .record_payment(org.id, &payment, &Allocate::OldestDueFirst, None)
                        .expect("a payment");
                    written += 1;
                }
                written
            })
        };
        thread::sleep(Duration::from_millis(150));
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join(if label == "sqlite" {
            "copy.db"
        } else {
            "copy.dump"
        });
        let copy_path = copy.to_str().unwrap();
        let said = ok(&db, &["backup", copy_path]);
        stop.store(true, Ordering::SeqCst);
        let written = writer.join().expect("the writer");
        assert!(said.contains("Wrote"), "[{label}] {said}");
        // Never over a file.
        let refused = fails(&db, &["backup", copy_path]);
        assert!(refused.contains("exists"), "[{label}] {refused}");

        let restored = if label == "sqlite" {
            assert!(said.contains("every balance"), "[{label}] {said}");
            existing(copy_path, "sqlite copy")
        } else {
            let target = postgres("backup_restore").expect("PostgreSQL");
            let out = std::process::Command::new("pg_restore")
                .args(["--no-owner", "--dbname", &target.url, copy_path])
                .output()
                .expect("run pg_restore");
            assert!(
                out.status.success(),
                "[{label}] pg_restore: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            target
        };
        ok(&restored, &["verify"]);
        let copied = payments(&restored.url);
        assert!(
            (0..=written as i64).contains(&copied),
            "[{label}] the copy has {copied} payments of {written}"
        );
        let shown = ok(&restored, &["customer", "show", "C1"]);
        assert!(shown.contains("One Ltd"), "[{label}] {shown}");
    }
}
