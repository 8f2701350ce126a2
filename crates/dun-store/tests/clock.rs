//! Time is passed in (ARCHITECTURE.md, "Invariants"): a store reads "now"
//! from the clock its opener installed, so a test stops it at an instant
//! and sees exactly what a command records, and decides, then — on both
//! engines, without sleeping. And nothing in `dun-store` reads the
//! machine's clock but `clock.rs`'s one function, which the test below
//! holds by reading the store's source.

#[macro_use]
mod common;

use std::path::Path;

use common::*;
use dun_store::accounts::Role;
use dun_store::clock::{seconds_of, utc_of, Clock};
use dun_store::invitations::{INVITATIONS_PENDING_MAX, INVITATION_DAYS};
use dun_store::Store;

/// Half past eleven at night in UTC: already tomorrow in Paris, the test
/// organisations' zone.
const LATE_EVENING: &str = "2026-03-01T23:30:00Z";

/// `at` moved on by `seconds`.
fn plus(at: &str, seconds: i64) -> String {
    utc_of(seconds_of(at).expect("a time") + seconds)
}

fn stop_at(store: &mut Store, at: &str) {
    store.set_clock(Clock::at(at).expect("a time"));
}

storage_test!(
    fn a_timeline_entry_is_stamped_at_the_stores_instant(store: &mut Store) {
        let acme = org(store, "Acme");
        let zeta = customer(store, &acme, "ZETA");
        stop_at(store, LATE_EVENING);
        let mut buyer = store.buyer(acme.id, zeta.id).unwrap();
        buyer.name = "Zeta Trading".into();
        store.set_buyer(acme.id, "ZETA", &buyer).unwrap();
        let entry = store
            .timeline(acme.id, zeta.id, None, 10)
            .unwrap()
            .into_iter()
            .find(|e| e.kind == "customer_edited")
            .expect("the edit on the timeline");
        assert_eq!(entry.occurred_at, LATE_EVENING);
        // 23:30 UTC is 00:30 the next day in Paris.
        assert_eq!(entry.on_date, d("2026-03-02"));

        // A clock moved on stamps the next command with its new instant.
        let later = plus(LATE_EVENING, 90);
        stop_at(store, &later);
        buyer.name = "Zeta Trading SA".into();
        store.set_buyer(acme.id, "ZETA", &buyer).unwrap();
        let newest = store.timeline(acme.id, zeta.id, None, 1).unwrap();
        assert_eq!(newest[0].occurred_at, "2026-03-01T23:31:30Z");
    }
);

storage_test!(
    fn a_run_and_its_messages_are_recorded_at_the_stores_instant(store: &mut Store) {
        let acme = org(store, "Acme");
        let zeta = customer(store, &acme, "ZETA");
        invoice(store, &acme, &zeta, "2026-01-05", "net30", 10_000);
        stop_at(store, LATE_EVENING);
        store
            .run_collections(acme.id, d("2026-03-02"), true)
            .unwrap();
        let runs = store.runs(acme.id, 1).unwrap();
        assert_eq!(
            (runs[0].started_at.as_str(), runs[0].finished_at.as_str()),
            (LATE_EVENING, LATE_EVENING)
        );
        // The reminder it queued for the overdue invoice too.
        let queued = store.outbox(acme.id, None, 10).unwrap();
        assert!(!queued.is_empty(), "the run queues a reminder");
        assert!(
            queued.iter().all(|m| m.created_at == LATE_EVENING),
            "{queued:?}"
        );
    }
);

storage_test!(
    fn an_invitation_expires_at_its_instant_to_the_second(store: &mut Store) {
        let acme = org(store, "Acme");
        let ann = store
            .add_user(
                acme.id,
                "ann@acme.example",
                "Ann",
                Some("a long enough phrase"),
                Role::Owner,
            )
            .unwrap()
            .user
            .id;
        stop_at(store, LATE_EVENING);
        let first = store
            .invite(acme.id, ann, "first@new.example", Role::Viewer)
            .unwrap();
        let expires_at = plus(LATE_EVENING, INVITATION_DAYS * 86_400);
        assert_eq!(first.invitation.created_at, LATE_EVENING);
        assert_eq!(first.invitation.expires_at, expires_at);

        // The organisation's pending invitations are full …
        for n in 1..INVITATIONS_PENDING_MAX {
            store
                .invite(acme.id, ann, &format!("n{n}@new.example"), Role::Viewer)
                .unwrap();
        }
        // … still a second before the first ones expire: the store's
        // clock decides which are pending …
        stop_at(store, &plus(&expires_at, -1));
        let refused = store
            .invite(acme.id, ann, "one-more@new.example", Role::Viewer)
            .unwrap_err();
        assert!(refused.to_string().contains("pending"), "{refused}");
        // … and at the instant they expire, there is room again.
        stop_at(store, &expires_at);
        let again = store
            .invite(acme.id, ann, "one-more@new.example", Role::Viewer)
            .unwrap();
        assert_eq!(again.invitation.created_at, expires_at);
    }
);

/// How `dun-store` could read the machine's clock, other than through
/// [`Clock`]: none of these may appear in its source outside `clock.rs`.
const CLOCK_READS: [&str; 5] = [
    "SystemTime",
    "UNIX_EPOCH",
    "Timestamp::now",
    "Zoned::now",
    "chrono::",
];

#[test]
fn the_machines_clock_is_read_in_clock_rs_alone() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    let mut system_choices = Vec::new();
    let mut system_reads = 0;
    for path in rust_files(&src) {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.strip_prefix(&src).unwrap().display().to_string();
        for (n, line) in text.lines().enumerate() {
            if name == "clock.rs" {
                system_reads += line.matches("SystemTime::now").count();
            } else if let Some(read) = CLOCK_READS.iter().find(|r| line.contains(*r)) {
                found.push(format!("{name}:{}: {read}: {}", n + 1, line.trim()));
            }
            // Only the opening of a store chooses the system's clock; a
            // command reads the store's clock, whichever was installed.
            if line.contains("Clock::System") && !matches!(name.as_str(), "clock.rs" | "lib.rs") {
                system_choices.push(format!("{name}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the store reads the machine's clock outside clock.rs; use the store's clock \
         (`self.now_utc()`, `self.clock()`) or take `now` from the caller:\n{}",
        found.join("\n")
    );
    assert!(
        system_choices.is_empty(),
        "a store command chooses the system's clock itself; read the store's clock:\n{}",
        system_choices.join("\n")
    );
    assert_eq!(
        system_reads, 1,
        "clock.rs reads SystemTime::now in one function, `system_seconds`"
    );
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}
