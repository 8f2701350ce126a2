//! The scheduler: each organisation's day is run once, by one of several
//! processes sharing the database; a claim left by a dead process is taken
//! over; a live one is respected.

mod common;

use std::time::{Duration, Instant};

use common::store::{customer, d, invoice, org};
use common::{test_config, TestServer};
use dun_core::Date;
use dun_store::operations::Claim;
use dun_store::Store;

/// A book with an invoice long overdue, whose run is due at once; a
/// person ran the book's first run (before the invoice), so the scheduler
/// may apply the day's.
fn overdue_book(url: &str) -> (i64, Date) {
    let (org_id, today) = first_book(url);
    let mut store = Store::connect(url).expect("connect");
    store
        .run_collections(org_id, d("2026-01-01"), true)
        .expect("a person's first run");
    (org_id, today)
}

/// A book with an invoice long overdue that has never been run.
fn first_book(url: &str) -> (i64, Date) {
    let mut store = Store::open(url).expect("open");
    let acme = org(&mut store, "Acme");
    store.set_run_at(acme.id, "00:00").expect("run at midnight");
    let c = customer(&mut store, &acme, "C1");
    invoice(&mut store, &acme, &c, "2026-01-05", "net30", 120_000);
    let zone = jiff::tz::TimeZone::get(&acme.timezone).unwrap();
    let today = jiff::Timestamp::now().to_zoned(zone).date();
    let today = Date::from_ymd(
        i32::from(today.year()),
        today.month() as u32,
        today.day() as u32,
    )
    .unwrap();
    (acme.id, today)
}

fn scheduling(url: &str) -> dun_server::config::Config {
    dun_server::config::Config {
        scheduler: true,
        scheduler_interval_ms: 100,
        run_claim_stale_ms: 1_500,
        ..test_config(url)
    }
}

/// Waits until the day's claim is finished; returns who finished it.
fn wait_finished(url: &str, org_id: i64, date: Date) -> String {
    let mut store = Store::connect(url).expect("connect");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let claims = store.run_claims(org_id, 10).expect("claims");
        if let Some(c) = claims
            .iter()
            .find(|c| c.run_date == date && c.finished_at.is_some())
        {
            return c.claimed_by.clone();
        }
        assert!(
            Instant::now() < deadline,
            "the run did not finish: {claims:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn applied_runs(url: &str, org_id: i64, date: Date) -> usize {
    let mut store = Store::connect(url).expect("connect");
    store
        .runs(org_id, 100)
        .expect("runs")
        .iter()
        .filter(|r| r.as_of == date)
        .count()
}

fn run_once_with_two_processes(url: &str) {
    let (org_id, today) = overdue_book(url);
    let a = TestServer::start_with(scheduling(url));
    let b = TestServer::start_with(scheduling(url));
    wait_finished(url, org_id, today);
    // Several more ticks of both: nothing runs again.
    std::thread::sleep(Duration::from_millis(600));
    drop((a, b));
    assert_eq!(applied_runs(url, org_id, today), 1, "the day ran once");
    let mut store = Store::connect(url).unwrap();
    let outbox = store.outbox(org_id, None, 100).unwrap();
    assert_eq!(
        outbox.len(),
        1,
        "one message for the one customer: {outbox:?}"
    );
}

fn dead_claim_is_taken_over(url: &str) {
    let (org_id, today) = overdue_book(url);
    let mut store = Store::connect(url).unwrap();
    // A process claimed the day an hour ago and died.
    let claim = store
        .claim_run(
            org_id,
            today,
            "dead-host:1",
            "2000-01-01T00:00:00Z",
            "1999-12-31T00:00:00Z",
        )
        .unwrap();
    assert_eq!(claim, Claim::Won);
    let server = TestServer::start_with(scheduling(url));
    let finisher = wait_finished(url, org_id, today);
    drop(server);
    assert_ne!(finisher, "dead-host:1");
    assert_eq!(applied_runs(url, org_id, today), 1);
}

fn live_claim_is_respected(url: &str) {
    let (org_id, today) = overdue_book(url);
    let mut store = Store::connect(url).unwrap();
    let now = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let claim = store
        .claim_run(org_id, today, "busy-host:1", &now, "2000-01-01T00:00:00Z")
        .unwrap();
    assert_eq!(claim, Claim::Won);
    let config = dun_server::config::Config {
        run_claim_stale_ms: 60_000,
        ..scheduling(url)
    };
    let server = TestServer::start_with(config);
    std::thread::sleep(Duration::from_millis(800));
    drop(server);
    assert_eq!(
        applied_runs(url, org_id, today),
        0,
        "another process holds the day"
    );
    let held = store
        .claim_run(org_id, today, "third:1", &now, "2000-01-01T00:00:00Z")
        .unwrap();
    assert_eq!(
        held,
        Claim::Held {
            by: "busy-host:1".into()
        }
    );
}

fn the_run_waits_for_the_days_statement(url: &str) {
    let (org_id, today) = overdue_book(url);
    let mut store = Store::connect(url).unwrap();
    let document = store
        .policy(org_id)
        .unwrap()
        .document
        .replace(
            "run_after_bank_import = false",
            "run_after_bank_import = true",
        )
        .replace(
            "bank_import_wait_until = \"12:00\"",
            "bank_import_wait_until = \"23:59\"",
        );
    store.apply_policy(org_id, &document, "test", None).unwrap();
    assert!(
        store
            .policy(org_id)
            .unwrap()
            .policy
            .payments
            .run_after_bank_import
    );
    let zone = store
        .orgs()
        .unwrap()
        .into_iter()
        .find(|o| o.id == org_id)
        .unwrap()
        .timezone;
    let local = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get(&zone).unwrap());
    if local.strftime("%H:%M").to_string().as_str() >= "23:58" {
        // The latest time is (nearly) here: the run would not wait.
        return;
    }
    let server = TestServer::start_with(scheduling(url));
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(
        applied_runs(url, org_id, today),
        0,
        "no statement yet: the run waits"
    );
    let usd = dun_core::Currency::parse("USD").unwrap();
    let statement = dun_core::bank::Statement {
        format: dun_core::bank::StatementFormat::Csv("dun".into()),
        statement_id: None,
        account_iban: None,
        currency: None,
        opening_minor: None,
        closing_minor: None,
        lines: vec![dun_core::bank::BankLine::new(today, 1_00, usd)],
    };
    store
        .import_bank_statements(org_id, "today.csv", &[statement], false)
        .unwrap();
    wait_finished(url, org_id, today);
    drop(server);
    assert_eq!(
        applied_runs(url, org_id, today),
        1,
        "the statement came: the day ran"
    );
}

/// The scheduler never applies a book's first run that would charge
/// anything (or send many messages) on its own: the claim finishes with
/// what the run would do, nothing is written, and a person's run goes.
fn a_first_run_waits_for_a_person(url: &str) {
    let (org_id, today) = first_book(url);
    let server = TestServer::start_with(scheduling(url));
    wait_finished(url, org_id, today);
    std::thread::sleep(Duration::from_millis(400));
    drop(server);
    assert_eq!(applied_runs(url, org_id, today), 0, "nobody confirmed it");
    let mut store = Store::connect(url).unwrap();
    assert!(store.outbox(org_id, None, 100).unwrap().is_empty());
    let claims = store.run_claims(org_id, 10).unwrap();
    let outcome = claims[0].outcome.clone().unwrap_or_default();
    assert!(
        outcome.starts_with("refused: the book's first run")
            && outcome.contains("send 1 message and charge 1 late fee")
            && outcome.contains("preview it and apply it by hand")
            // Store text a web user reads names no CLI command.
            && !outcome.contains("`dun "),
        "{outcome}"
    );
    // A person runs it: applied, and later days need nobody.
    let run = store.run_collections(org_id, today, true).unwrap();
    assert!(run.run_id.is_some());
    assert_eq!(store.outbox(org_id, None, 100).unwrap().len(), 1);
}

mod a_first_run_waits_for_a_person {
    #[test]
    fn sqlite() {
        super::common::store::on_sqlite("first_run", super::a_first_run_waits_for_a_person);
    }
    #[test]
    fn postgres() {
        super::common::store::on_postgres("first_run", super::a_first_run_waits_for_a_person);
    }
}

mod the_run_waits_for_the_bank {
    #[test]
    fn sqlite() {
        super::common::store::on_sqlite(
            "waits_for_bank",
            super::the_run_waits_for_the_days_statement,
        );
    }
    #[test]
    fn postgres() {
        super::common::store::on_postgres(
            "waits_for_bank",
            super::the_run_waits_for_the_days_statement,
        );
    }
}

mod two_processes_run_the_day_once {
    #[test]
    fn sqlite() {
        super::common::store::on_sqlite("two_processes", super::run_once_with_two_processes);
    }
    #[test]
    fn postgres() {
        super::common::store::on_postgres("two_processes", super::run_once_with_two_processes);
    }
}

mod a_dead_claim_is_taken_over {
    #[test]
    fn sqlite() {
        super::common::store::on_sqlite("dead_claim", super::dead_claim_is_taken_over);
    }
    #[test]
    fn postgres() {
        super::common::store::on_postgres("dead_claim", super::dead_claim_is_taken_over);
    }
}

mod a_live_claim_is_respected {
    #[test]
    fn sqlite() {
        super::common::store::on_sqlite("live_claim", super::live_claim_is_respected);
    }
    #[test]
    fn postgres() {
        super::common::store::on_postgres("live_claim", super::live_claim_is_respected);
    }
}

#[test]
fn claims_are_judged_by_their_heartbeat() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("c.sqlite");
    let url = url.to_str().unwrap();
    let (org_id, today) = overdue_book(url);
    let mut store = Store::connect(url).unwrap();
    let t0 = "2026-11-24T10:00:00Z";
    assert_eq!(
        store
            .claim_run(org_id, today, "a", t0, "2026-11-24T09:00:00Z")
            .unwrap(),
        Claim::Won
    );
    // Fresh: held.
    assert_eq!(
        store
            .claim_run(
                org_id,
                today,
                "b",
                "2026-11-24T10:05:00Z",
                "2026-11-24T09:55:00Z"
            )
            .unwrap(),
        Claim::Held { by: "a".into() }
    );
    // A heartbeat keeps it: still held ten minutes later.
    assert!(store
        .heartbeat_run(org_id, today, "a", "2026-11-24T10:09:00Z")
        .unwrap());
    assert_eq!(
        store
            .claim_run(
                org_id,
                today,
                "b",
                "2026-11-24T10:10:00Z",
                "2026-11-24T10:05:00Z"
            )
            .unwrap(),
        Claim::Held { by: "a".into() }
    );
    // Silent past the limit: taken over; the old holder's heartbeat fails.
    assert_eq!(
        store
            .claim_run(
                org_id,
                today,
                "b",
                "2026-11-24T10:30:00Z",
                "2026-11-24T10:20:00Z"
            )
            .unwrap(),
        Claim::Won
    );
    assert!(!store
        .heartbeat_run(org_id, today, "a", "2026-11-24T10:31:00Z")
        .unwrap());
    store
        .finish_run(org_id, today, "b", "done", "2026-11-24T10:32:00Z")
        .unwrap();
    assert_eq!(
        store
            .claim_run(
                org_id,
                today,
                "c",
                "2026-11-25T10:00:00Z",
                "2026-11-25T09:00:00Z"
            )
            .unwrap(),
        Claim::Finished
    );
    let _ = d("2026-01-01");
}
