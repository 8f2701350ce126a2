//! The daily collections run through the store, on both engines: what a
//! preview shows, what applying writes (outbox, tasks, fees on the ledger,
//! statuses, the timeline, marks), that a second run of the same day does
//! nothing, that a failed run writes nothing, and that two processes
//! running the same day at once apply it once.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use std::collections::BTreeMap;
use std::sync::Barrier;
use std::thread;

use common::*;
use dun_core::collections::action::ActionKind;
use dun_core::ledger::EntryKind;
use dun_store::collections::RunOutcome;
use dun_store::{params, Conn, Org, Store, StoreError};

/// A ladder without reminders or interest, so each test names every step:
/// first notice at 7 days, second at 30, a call at 35, a final demand at 60
/// with a 40.00 fee and a credit hold. Too few settled invoices to rate
/// anyone, so every customer stays in tier `new`.
const POLICY: &str = r#"
default_terms = "net30"

[credit]
lift_when_nothing_overdue = true

[payments]
allocation = "principal_first"

[[step]]
key = "first_notice"
days_past_due = 7
channels = ["email"]
template = "first_notice"

[[step]]
key = "second_notice"
days_past_due = 30
channels = ["email"]
template = "second_notice"

[[step]]
key = "follow_up_call"
days_past_due = 35
channels = ["call_task"]
template = "follow_up_call"

[[step]]
key = "final_demand"
days_past_due = 60
channels = ["letter", "email"]
template = "final_demand"
effects = ["late_fee", "credit_hold"]

[late_fee]
flat = "40.00"
per = "invoice"

[tiers]
settled_invoices_to_rate = 1000

[plans]

[collateral]
"#;

/// The organisation, with [`POLICY`] in force (version 2).
fn book(store: &mut Store) -> Org {
    let acme = org(store, "Acme Ltd");
    let version = store
        .apply_policy(acme.id, POLICY, "Test Owner", None)
        .expect("apply the policy");
    assert_eq!(version.version, 2);
    acme
}

/// A USD invoice of `amount_minor`, net 30, due `days` before `as_of`.
fn overdue(
    store: &mut Store,
    org: &Org,
    customer: &dun_store::customers::Customer,
    as_of: &str,
    days: i32,
    amount_minor: i64,
) -> String {
    let issued = d(as_of).add_days(-days - 30).to_string();
    invoice(store, org, customer, &issued, "net30", amount_minor).number
}

fn run_on(store: &mut Store, org: &Org, as_of: &str, apply: bool) -> RunOutcome {
    store
        .run_collections(org.id, d(as_of), apply)
        .unwrap_or_else(|e| panic!("the run as of {as_of} failed: {e}"))
}

/// One line per action: `REF kind rule detail`, in the run's order.
fn lines(outcome: &RunOutcome) -> Vec<String> {
    outcome
        .plan
        .actions
        .iter()
        .map(|a| {
            let who = outcome.customers[&a.customer_id].reference.clone();
            let what = match &a.kind {
                ActionKind::Message(m) => format!(
                    "{} [{}] {}",
                    m.template,
                    m.channels
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    m.items
                        .iter()
                        .map(|i| format!("{}:{}", i.number, i.step))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                ActionKind::Task(t) => t.title.clone(),
                ActionKind::Fee {
                    number,
                    amount_minor,
                    ..
                } => format!("{number} {amount_minor}"),
                ActionKind::Skip { steps, .. } => steps.join(","),
                ActionKind::SetStatus { from, to, .. } => format!("{from}->{to}"),
                other => format!("{other:?}"),
            };
            format!("{who} {} {} {what}", a.kind.name(), a.rule)
        })
        .collect()
}

/// Counts rows of `table` for the organisation, through a connection of its own.
fn count(url: &str, table: &str, org_id: i64, condition: &str) -> i64 {
    let mut conn = Conn::open(url).expect("open a second connection");
    let mut tx = conn.read_transaction().expect("read");
    tx.query_opt(
        &format!("SELECT COUNT(*) FROM {table} WHERE org_id = $1 AND {condition}"),
        params![org_id],
        |r| r.i64(0),
    )
    .expect("count")
    .unwrap_or(0)
}

/// `(subject, key, skipped)` of every mark, sorted.
fn marks(url: &str, org_id: i64) -> Vec<(String, String, i64)> {
    let mut conn = Conn::open(url).expect("open a second connection");
    let mut tx = conn.read_transaction().expect("read");
    let mut all = tx
        .query(
            "SELECT subject, key, skipped FROM run_marks WHERE org_id = $1",
            params![org_id],
            |r| Ok((r.string(0)?, r.string(1)?, r.i64(2)?)),
        )
        .expect("marks");
    all.sort();
    all
}

fn timeline_kinds(store: &mut Store, org: &Org, customer_id: i64) -> BTreeMap<String, usize> {
    let mut kinds = BTreeMap::new();
    for entry in store
        .timeline(org.id, customer_id, None, 1000)
        .expect("timeline")
    {
        *kinds.entry(entry.kind).or_insert(0) += 1;
    }
    kinds
}

storage_test!(
    fn a_run_previews_then_applies_each_step_once(store: &mut Store, url: &str) {
        let acme = book(store);
        let alpha = customer(store, &acme, "ALPHA");
        let beta = customer(store, &acme, "BETA");
        let gamma = customer(store, &acme, "GAMMA");
        let day = "2026-06-30";
        let a10 = overdue(store, &acme, &alpha, day, 10, 100_00);
        let a40 = overdue(store, &acme, &alpha, day, 40, 200_00);
        let a65 = overdue(store, &acme, &alpha, day, 65, 300_00);
        let b3 = overdue(store, &acme, &beta, day, 3, 50_00);
        let b8 = overdue(store, &acme, &beta, day, 8, 60_00);
        let g65 = overdue(store, &acme, &gamma, day, 65, 70_00);
        store
            .record_payment(
                acme.id,
                &payment(&gamma, "2026-05-01", 70_00),
                &dun_store::payments::Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
        let before = snapshot(store, acme.id);

        let preview = run_on(store, &acme, day, false);
        let expected = vec![
            format!("ALPHA skip missed_days first_notice"),
            format!("ALPHA skip missed_days first_notice,second_notice"),
            format!("ALPHA fee late_fee {a65} 4000"),
            format!(
                "ALPHA message step.final_demand final_demand [email,letter] {a65}:final_demand {a40}:second_notice {a10}:first_notice"
            ),
            format!("ALPHA task step.follow_up_call Call ALPHA Corp about {a65}, {a40}"),
            format!("ALPHA status step.final_demand active->cod_required"),
            format!("BETA message step.first_notice first_notice [email] {b8}:first_notice"),
        ];
        let mut got = lines(&preview);
        got.sort();
        let mut want = expected.clone();
        want.sort();
        assert_eq!(got, want, "the preview:\n{}", lines(&preview).join("\n"));
        assert!(preview.applied.is_empty() && preview.run_id.is_none());
        assert_eq!(snapshot(store, acme.id), before, "a preview writes nothing");
        assert!(store.runs(acme.id, 10).unwrap().is_empty());
        assert!(store.outbox(acme.id, None, 100).unwrap().is_empty());
        assert!(marks(url, acme.id).is_empty());

        let applied = run_on(store, &acme, day, true);
        assert_eq!(
            lines(&applied),
            lines(&preview),
            "applying does what the preview showed"
        );
        assert_eq!(applied.applied.len(), expected.len());
        assert!(applied.applied.iter().all(|a| a.action_id > 0));
        let run_id = applied.run_id.expect("a run id");
        let runs = store.runs(acme.id, 10).unwrap();
        assert_eq!((runs.len(), runs[0].id, runs[0].actions), (1, run_id, 7));
        assert_eq!(runs[0].policy_version, 2);

        // One message per customer, listing every invoice concerned.
        let outbox = store.outbox(acme.id, Some("pending"), 100).unwrap();
        let by_ref: BTreeMap<&str, &dun_store::collections::OutboxMessage> = outbox
            .iter()
            .map(|m| (m.customer_ref.as_str(), m))
            .collect();
        assert_eq!(by_ref.len(), 2);
        assert_eq!(outbox.len(), 2);
        let alpha_msg = by_ref["ALPHA"];
        assert_eq!(alpha_msg.template, "final_demand");
        assert_eq!(alpha_msg.channels, vec!["email", "letter"]);
        let numbers: Vec<&str> = alpha_msg.detail["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["number"].as_str().unwrap())
            .collect();
        assert_eq!(numbers, vec![a65.as_str(), a40.as_str(), a10.as_str()]);
        assert!(alpha_msg.action_id.is_some());
        assert_eq!(by_ref["BETA"].template, "first_notice");

        // The task, the fee on the ledger, the hold, the timeline.
        assert_eq!(
            count(url, "tasks", acme.id, "kind = 'call' AND status = 'open'"),
            1
        );
        assert_eq!(
            count(
                url,
                "tasks",
                acme.id,
                "created_by = 'policy v2 · step.follow_up_call'"
            ),
            1
        );
        assert_eq!(count_kind(store, acme.id, EntryKind::Fee), 1);
        assert_eq!(open_of(store, &acme, &a65), 300_00 + 40_00);
        assert_eq!(open_of(store, &acme, &g65), 0);
        assert_eq!(
            store.customer(acme.id, "ALPHA").unwrap().status,
            "cod_required"
        );
        assert_eq!(store.customer(acme.id, "BETA").unwrap().status, "active");
        let kinds = timeline_kinds(store, &acme, alpha.id);
        let want: BTreeMap<String, usize> = [
            ("fee", 1),
            ("invoice_issued", 3),
            ("message", 1),
            ("skip", 2),
            ("status_change", 1),
            ("task", 1),
        ]
        .into_iter()
        .map(|(k, n)| (k.to_string(), n))
        .collect();
        assert_eq!(kinds, want);
        let entries = store.timeline(acme.id, alpha.id, None, 100).unwrap();
        let fee = entries.iter().find(|e| e.kind == "fee").unwrap();
        assert_eq!(fee.author, "policy v2 · late_fee");
        assert_eq!(fee.on_date, d(day));
        assert!(fee.summary.contains("40.00 USD"), "{}", fee.summary);
        let message = entries.iter().find(|e| e.kind == "message").unwrap();
        assert_eq!(message.author, "policy v2 · step.final_demand");
        assert_eq!(message.invoice_ids.len(), 3);
        // Gamma (paid) has only its invoice and payment on the timeline:
        // the run did nothing there.
        assert!(timeline_kinds(store, &acme, gamma.id)
            .keys()
            .all(|k| k == "invoice_issued" || k == "payment"));
        // Marks: a65's first and second notices skipped, the rest done.
        let skipped = marks(url, acme.id).into_iter().filter(|m| m.2 == 1).count();
        assert_eq!(skipped, 3);
        assert_eq!(marks(url, acme.id).len(), 3 + 1 + 3 + 2 + 1);

        // The same day again: nothing new.
        let again = run_on(store, &acme, day, true);
        assert!(again.plan.actions.is_empty(), "{:?}", lines(&again));
        assert!(again.applied.is_empty());
        assert_eq!(store.outbox(acme.id, None, 100).unwrap().len(), 2);
        assert_eq!(count_kind(store, acme.id, EntryKind::Fee), 1);

        // Three weeks later: only the steps reached since.
        let later = run_on(store, &acme, "2026-07-21", true);
        let mut got = lines(&later);
        got.sort();
        let mut want = vec![
            format!("ALPHA fee late_fee {a40} 4000"),
            format!(
                "ALPHA message step.final_demand final_demand [email,letter] {a40}:final_demand {a10}:second_notice"
            ),
            format!("BETA message step.first_notice first_notice [email] {b3}:first_notice"),
        ];
        want.sort();
        assert_eq!(got, want);
        assert_eq!(store.outbox(acme.id, None, 100).unwrap().len(), 4);
        assert_eq!(count_kind(store, acme.id, EntryKind::Fee), 2);
        assert_eq!(store.runs(acme.id, 10).unwrap().len(), 3);

        // Runs go forward: an earlier day is refused, and writes nothing.
        let err = store
            .run_collections(acme.id, d("2026-07-01"), true)
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("runs go forward; the run for 2026-07-21 was applied"),
            "{err}"
        );
        assert_eq!(store.runs(acme.id, 10).unwrap().len(), 3);
        // A preview of it is fine.
        run_on(store, &acme, "2026-07-01", false);
    }
);

storage_test!(
    fn a_missed_week_sends_the_last_step_and_the_fee(store: &mut Store, url: &str) {
        let acme = book(store);
        let alpha = customer(store, &acme, "ALPHA");
        let day = "2026-06-30";
        let number = overdue(store, &acme, &alpha, day, 70, 500_00);
        let outcome = run_on(store, &acme, day, true);
        let mut got = lines(&outcome);
        got.sort();
        let mut want = vec![
            format!("ALPHA fee late_fee {number} 4000"),
            format!(
                "ALPHA message step.final_demand final_demand [email,letter] {number}:final_demand"
            ),
            format!("ALPHA skip missed_days first_notice,second_notice"),
            format!("ALPHA status step.final_demand active->cod_required"),
            format!("ALPHA task step.follow_up_call Call ALPHA Corp about {number}"),
        ];
        want.sort();
        assert_eq!(got, want);
        let subject = format!(
            "invoice:{}",
            store.invoice(acme.id, &number, d(day)).unwrap().id
        );
        let expected: Vec<(String, String, i64)> = [
            ("fee:final_demand", 0),
            ("final_demand", 0),
            ("first_notice", 1),
            ("follow_up_call", 0),
            ("second_notice", 1),
        ]
        .into_iter()
        .map(|(k, s)| (subject.clone(), k.to_string(), s))
        .collect();
        assert_eq!(marks(url, acme.id), expected);
        assert_eq!(open_of(store, &acme, &number), 540_00);
        let skip = store
            .timeline(acme.id, alpha.id, None, 100)
            .unwrap()
            .into_iter()
            .find(|e| e.kind == "skip")
            .unwrap();
        assert_eq!(skip.author, "policy v2 · missed_days");
        // Paid the next day: nothing more is sent, and the hold lifts.
        store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-07-01", 540_00),
                &dun_store::payments::Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
        let next = run_on(store, &acme, "2026-07-02", true);
        let call = store.tasks(acme.id, Some("ALPHA"), true).unwrap();
        assert_eq!(call.len(), 0, "the call task is closed: {call:?}");
        let closed = store.tasks(acme.id, Some("ALPHA"), false).unwrap();
        assert_eq!(closed.len(), 1);
        let mut want = vec![
            "ALPHA status credit.lift_when_nothing_overdue cod_required->active".to_string(),
            format!(
                "ALPHA task_closed tasks.close_when_settled CloseTask {{ task_id: {}, title: \"Call ALPHA Corp about {number}\", reason: \"nothing is owed on it any more\" }}",
                closed[0].id
            ),
        ];
        want.sort();
        let mut got = lines(&next);
        got.sort();
        assert_eq!(got, want);
        assert_eq!(store.customer(acme.id, "ALPHA").unwrap().status, "active");
        let done = store
            .timeline(acme.id, alpha.id, None, 100)
            .unwrap()
            .into_iter()
            .find(|e| e.kind == "task_done")
            .expect("the closing is on the timeline");
        assert_eq!(done.author, "policy v2 · tasks.close_when_settled");
        // The next day nothing more: the task stays closed.
        assert!(lines(&run_on(store, &acme, "2026-07-03", true)).is_empty());
    }
);

storage_test!(
    fn a_refused_posting_fails_the_whole_run(store: &mut Store, url: &str) {
        // The run as of the 30th sees an invoice still open that day but
        // voided on 5 July: it decides a fee, which the posting rules refuse
        // on a void invoice. By then the run has written its record, marks,
        // outbox rows, tasks and timeline, and a status — all rolled back.
        let acme = book(store);
        let alpha = customer(store, &acme, "ALPHA");
        let beta = customer(store, &acme, "BETA");
        let day = "2026-06-30";
        overdue(store, &acme, &alpha, day, 40, 100_00);
        let voided = overdue(store, &acme, &beta, day, 65, 200_00);
        store
            .void_invoice(acme.id, &voided, d("2026-07-05"), "sent in error", None)
            .unwrap();
        let before = snapshot(store, acme.id);
        let err = store
            .run_collections(acme.id, d(day), true)
            .expect_err("the fee on a void invoice is refused");
        assert!(
            matches!(err, StoreError::Posting(_)) && err.to_string().contains("is void"),
            "{err}"
        );
        assert_eq!(snapshot(store, acme.id), before);
        assert!(store.runs(acme.id, 10).unwrap().is_empty());
        assert!(store.outbox(acme.id, None, 100).unwrap().is_empty());
        assert!(marks(url, acme.id).is_empty());
        for table in ["tasks", "run_actions"] {
            assert_eq!(count(url, table, acme.id, "1 = 1"), 0, "{table}");
        }
        // Only what people did before the run is on the timeline.
        assert_eq!(
            count(url, "timeline", acme.id, "author LIKE 'policy%'"),
            0,
            "timeline"
        );
        assert_eq!(store.customer(acme.id, "BETA").unwrap().status, "active");
        // The preview still shows what the run would do.
        let preview = run_on(store, &acme, day, false);
        assert!(!preview.plan.actions.is_empty());
    }
);

storage_test!(
    fn promises_and_disputes_hold_the_ladder(store: &mut Store, url: &str) {
        let acme = book(store);
        let alpha = customer(store, &acme, "ALPHA");
        let beta = customer(store, &acme, "BETA");
        let gamma = customer(store, &acme, "GAMMA");
        let day = "2026-06-30";
        overdue(store, &acme, &alpha, day, 20, 100_00);
        overdue(store, &acme, &beta, day, 20, 100_00);
        let disputed = overdue(store, &acme, &gamma, day, 20, 100_00);
        let disputed_id = store.invoice(acme.id, &disputed, d(day)).unwrap().id;
        // ALPHA promised 100.00 by 10 July (holds the ladder); BETA promised
        // 50.00 by 25 June and paid 50.00 on the 20th (kept).
        store
            .record_payment(
                acme.id,
                &payment(&beta, "2026-06-20", 50_00),
                &dun_store::payments::Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
        {
            let mut conn = Conn::open(url).unwrap();
            let mut tx = conn.transaction().unwrap();
            for (customer_id, amount, made, by) in [
                (alpha.id, 100_00, "2026-06-25", "2026-07-10"),
                (beta.id, 50_00, "2026-06-15", "2026-06-25"),
            ] {
                tx.execute(
                    "INSERT INTO promises (org_id, customer_id, currency, amount_minor, made_on,
                        promised_date, invoice_ids, status, created_at)
                     VALUES ($1, $2, 'USD', $3, $4, $5, '[]', 'active', 'now')",
                    params![
                        acme.id,
                        customer_id,
                        amount,
                        i64::from(d(made).day_number()),
                        i64::from(d(by).day_number())
                    ],
                )
                .unwrap();
            }
            tx.execute(
                "INSERT INTO disputes (org_id, customer_id, invoice_id, reason, status, opened_on, created_at)
                 VALUES ($1, $2, $3, 'wrong quantity', 'open', $4, 'now')",
                params![
                    acme.id,
                    gamma.id,
                    disputed_id,
                    i64::from(d("2026-06-10").day_number())
                ],
            )
            .unwrap();
            tx.commit().unwrap();
        }
        let outcome = run_on(store, &acme, day, true);
        let got = lines(&outcome);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(
            got[0].starts_with("BETA promise promises PromiseSettled"),
            "{got:#?}"
        );
        assert!(got[0].contains("kept: true"), "{got:#?}");
        assert!(
            got[1].starts_with("BETA message step.first_notice"),
            "{got:#?}"
        );
        assert_eq!(count(url, "promises", acme.id, "status = 'kept'"), 1);
        assert_eq!(count(url, "promises", acme.id, "status = 'active'"), 1);
        assert_eq!(timeline_kinds(store, &acme, beta.id)["promise_kept"], 1);

        // Past ALPHA's date with nothing paid: broken, a call, and the ladder resumes.
        let later = run_on(store, &acme, "2026-07-11", true);
        let got = lines(&later);
        assert!(
            got.iter()
                .any(|l| l.starts_with("ALPHA promise promises") && l.contains("kept: false")),
            "{got:#?}"
        );
        assert!(
            got.iter()
                .any(|l| l
                    .starts_with("ALPHA task promises Promise to pay by 2026-07-10 was broken")),
            "{got:#?}"
        );
        assert!(
            got.iter()
                .any(|l| l.starts_with("ALPHA message step.second_notice")),
            "{got:#?}"
        );
        assert!(!got.iter().any(|l| l.starts_with("GAMMA")), "{got:#?}");
        assert_eq!(count(url, "promises", acme.id, "status = 'broken'"), 1);
        assert_eq!(timeline_kinds(store, &acme, alpha.id)["promise_broken"], 1);
    }
);

/// Interest from the due date at 12 % a year, and tiers judged on one
/// settled invoice: 30 days late on average is `medium`.
const INTEREST_POLICY: &str = r#"
default_terms = "net30"

[credit]

[payments]

[[step]]
key = "first_notice"
days_past_due = 7
channels = ["email"]
template = "first_notice"

[interest]
annual_rate_percent = "12"
start = "grace"
grace_days = 0

[tiers]
settled_invoices_to_rate = 1

[tiers.medium]
avg_days_late_at_least = 30

[plans]

[collateral]
"#;

storage_test!(
    fn interest_on_a_paid_invoice_leaves_its_history_alone(store: &mut Store, url: &str) {
        // Paid 70 days late in June: the run of 2 July charges interest
        // for April to June, which opens the invoice again; it is still
        // settled for the risk tiers, so a second run of the day decides
        // nothing (no tier flips back).
        let acme = org(store, "Acme Ltd");
        store
            .apply_policy(acme.id, INTEREST_POLICY, "Test Owner", None)
            .unwrap();
        let alpha = customer(store, &acme, "ALPHA");
        let number = invoice(store, &acme, &alpha, "2026-03-02", "net30", 1000_00).number;
        store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-06-10", 1000_00),
                &dun_store::payments::Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
        let first = run_on(store, &acme, "2026-07-02", true);
        let got = lines(&first);
        assert!(
            got.iter().any(|l| l.starts_with("ALPHA tier tiers.medium")),
            "{got:#?}"
        );
        let interest: Vec<&String> = got.iter().filter(|l| l.contains(" interest ")).collect();
        assert_eq!(interest.len(), 3, "April, May and June: {got:#?}");
        assert!(open_of(store, &acme, &number) > 0, "interest reopened it");
        let again = run_on(store, &acme, "2026-07-02", true);
        assert!(again.plan.actions.is_empty(), "{:#?}", lines(&again));
        assert_eq!(count(url, "run_marks", acme.id, "key LIKE 'interest:%'"), 3);
    }
);

storage_test!(
    fn two_runs_of_the_same_day_at_once_apply_it_once(store: &mut Store, url: &str) {
        const THREADS: usize = 4;
        let acme = book(store);
        let day = "2026-06-30";
        let mut expected_fees = 0;
        for (i, reference) in ["ALPHA", "BETA", "GAMMA", "DELTA", "EPSILON"]
            .iter()
            .enumerate()
        {
            let c = customer(store, &acme, reference);
            for (j, days) in [8, 33, 61, 75].iter().enumerate() {
                overdue(store, &acme, &c, day, days + i as i32, 100_00 + j as i64);
                if days + i as i32 >= 60 {
                    expected_fees += 1;
                }
            }
        }
        let start = Barrier::new(THREADS);
        let outcomes: Vec<RunOutcome> = thread::scope(|scope| {
            let handles: Vec<_> = (0..THREADS)
                .map(|_| {
                    let start = &start;
                    scope.spawn(move || {
                        let opened = Store::open(url);
                        start.wait();
                        opened
                            .expect("open the store")
                            .run_collections(acme.id, d(day), true)
                            .expect("a run")
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a run panicked"))
                .collect()
        });
        let busy: Vec<&RunOutcome> = outcomes.iter().filter(|o| !o.applied.is_empty()).collect();
        assert_eq!(busy.len(), 1, "exactly one run applies the day");
        let winner = busy[0];
        for o in &outcomes {
            if !std::ptr::eq(o, winner) {
                assert!(
                    o.plan.actions.is_empty(),
                    "a later run decided {:?}",
                    lines(o)
                );
            }
        }
        let runs = store.runs(acme.id, 10).unwrap();
        assert_eq!(runs.len(), THREADS);
        assert_eq!(runs.iter().filter(|r| r.actions > 0).count(), 1);
        assert_eq!(store.outbox(acme.id, None, 100).unwrap().len(), 5);
        assert_eq!(count_kind(store, acme.id, EntryKind::Fee), expected_fees);
        let want_marks: usize = winner
            .applied
            .iter()
            .map(|a| winner.plan.actions[a.index].marks.len())
            .sum();
        assert_eq!(marks(url, acme.id).len(), want_marks);
        assert_eq!(
            count(url, "run_actions", acme.id, "1 = 1") as usize,
            winner.applied.len()
        );
        assert_eq!(count(url, "tasks", acme.id, "1 = 1"), 5);
    }
);

storage_test!(
    fn a_persons_status_holds_and_the_run_proposes_instead(store: &mut Store, _url: &str) {
        use dun_core::collections::credit::CustomerStatus;
        use dun_store::credit_file::StatusDecision;
        // The owner vouches for ALPHA until a person changes it, and for
        // BETA through 5 July only.
        let acme = book(store);
        let alpha = customer(store, &acme, "ALPHA");
        let beta = customer(store, &acme, "BETA");
        let day = "2026-06-30";
        overdue(store, &acme, &alpha, day, 60, 100_00);
        overdue(store, &acme, &beta, day, 60, 100_00);
        let vouch = |until: Option<&str>| StatusDecision {
            status: CustomerStatus::Active,
            reason: "owner vouches",
            until: until.map(d),
        };
        store
            .set_customer_status(acme.id, "ALPHA", &vouch(None), d("2026-06-01"), "owner")
            .unwrap();
        store
            .set_customer_status(
                acme.id,
                "BETA",
                &vouch(Some("2026-07-05")),
                d("2026-06-01"),
                "owner",
            )
            .unwrap();
        // A day already gone is refused, naming the field.
        let gone = store.set_customer_status(
            acme.id,
            "BETA",
            &vouch(Some("2026-05-31")),
            d("2026-06-01"),
            "owner",
        );
        assert!(
            matches!(&gone, Err(StoreError::Invalid(m)) if m.starts_with("until:")),
            "{gone:?}"
        );

        let first = run_on(store, &acme, day, true);
        let statuses: Vec<String> = lines(&first)
            .into_iter()
            .filter(|l| l.contains(" status ") || l.contains("status_review"))
            .collect();
        assert!(
            statuses.iter().all(|l| !l.contains("->cod_required")),
            "no hold over a person's word: {statuses:?}"
        );
        for reference in ["ALPHA", "BETA"] {
            assert_eq!(store.customer(acme.id, reference).unwrap().status, "active");
            let reviews: Vec<_> = store
                .tasks(acme.id, Some(reference), true)
                .unwrap()
                .into_iter()
                .filter(|t| t.kind == "status_review")
                .collect();
            assert_eq!(reviews.len(), 1, "{reference}: one proposal");
        }
        // Proposed once: the next days add nothing for ALPHA.
        assert!(lines(&run_on(store, &acme, "2026-07-01", true)).is_empty());
        // After BETA's last day the policy has its say again; ALPHA's holds.
        let later = run_on(store, &acme, "2026-07-06", true);
        assert_eq!(store.customer(acme.id, "ALPHA").unwrap().status, "active");
        assert_eq!(
            store.customer(acme.id, "BETA").unwrap().status,
            "cod_required"
        );
        assert!(lines(&later)
            .iter()
            .any(|l| l.starts_with("BETA task_closed")));
        let beta_standing = store.credit_standing(acme.id, "BETA").unwrap();
        assert!(beta_standing.status_by_policy);
        assert_eq!(beta_standing.status_held_until, None);
    }
);

storage_test!(
    fn money_learnt_late_reverses_the_charges_it_makes_undue(store: &mut Store, _url: &str) {
        // The run of 2026-06-30 charged ALPHA and BETA the final demand's
        // 40.00 fee and put both on COD. Then the bank says ALPHA paid the
        // principal on 2026-06-20 and BETA paid principal and fee on 06-29.
        let acme = book(store);
        let alpha = customer(store, &acme, "ALPHA");
        let beta = customer(store, &acme, "BETA");
        let a = overdue(store, &acme, &alpha, "2026-06-30", 60, 100_00);
        let b = overdue(store, &acme, &beta, "2026-06-30", 60, 200_00);
        let first = run_on(store, &acme, "2026-06-30", true);
        assert_eq!(
            lines(&first)
                .iter()
                .filter(|l| l.contains(" fee late_fee "))
                .count(),
            2,
            "{:?}",
            lines(&first)
        );
        assert_eq!(open_of(store, &acme, &a), 140_00);

        // Dated before the applied run: refused without a reason, whole.
        let late = payment(&alpha, "2026-06-20", 100_00);
        let err = store
            .record_payment(
                acme.id,
                &late,
                &dun_store::payments::Allocate::OldestDueFirst,
                None,
            )
            .unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("note: "), "{text}");
        assert!(
            text.contains("2026-06-20") && text.contains("2026-06-30"),
            "{text}"
        );
        assert_eq!(open_of(store, &acme, &a), 140_00);
        // So is a credit note dated before it.
        let err = store
            .reduce_invoice(
                acme.id,
                &a,
                &dun_store::invoices::Reduction {
                    kind: EntryKind::CreditNote,
                    amount_minor: Some(10_00),
                    date: d("2026-06-20"),
                    reason: String::new(),
                },
                None,
            )
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("reason: the credit note is dated 2026-06-20"),
            "{err}"
        );
        assert_eq!(open_of(store, &acme, &a), 140_00);
        let with_note = dun_store::payments::NewPayment {
            note: "cheque found in the post".into(),
            ..late
        };
        store
            .record_payment(
                acme.id,
                &with_note,
                &dun_store::payments::Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
        let beta_paid = dun_store::payments::NewPayment {
            note: "bank statement of 29 June".into(),
            ..payment(&beta, "2026-06-29", 240_00)
        };
        store
            .record_payment(
                acme.id,
                &beta_paid,
                &dun_store::payments::Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
        // Both fees are still open, and would be chased; BETA's payment
        // went to what was open on its date, the rest is credit.
        assert_eq!(open_of(store, &acme, &a), 40_00);
        assert_eq!(open_of(store, &acme, &b), 40_00);

        let next = run_on(store, &acme, "2026-07-01", true);
        let mut got: Vec<String> = next
            .plan
            .actions
            .iter()
            .map(|x| {
                let who = &next.customers[&x.customer_id].reference;
                match &x.kind {
                    ActionKind::ChargeReversed {
                        number,
                        charge,
                        amount_minor,
                        ..
                    } => format!("{who} reversed {} {number} {amount_minor}", charge.as_str()),
                    ActionKind::SetStatus { from, to, .. } => format!("{who} {from}->{to}"),
                    other => format!("{who} {}", other.name()),
                }
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                "ALPHA cod_required->active".to_string(),
                format!("ALPHA reversed fee {a} 4000"),
                // The call task the run made: nothing is owed any more.
                "ALPHA task_closed".to_string(),
                "BETA cod_required->active".to_string(),
                format!("BETA reversed fee {b} 4000"),
                "BETA task_closed".to_string(),
            ]
        );
        // ALPHA owes nothing; BETA's 40.00 paid for the fee is its credit.
        assert_eq!(open_of(store, &acme, &a), 0);
        assert_eq!(open_of(store, &acme, &b), 0);
        let credit = store.unapplied_credit(acme.id, Some(beta.id)).unwrap();
        assert_eq!(credit.values().copied().collect::<Vec<_>>(), vec![40_00]);
        assert!(store
            .unapplied_credit(acme.id, Some(alpha.id))
            .unwrap()
            .is_empty());
        assert_eq!(store.verify(acme.id).unwrap(), Vec::<String>::new());
        // On the timeline: the payment with its note, the reversal with why.
        let timeline = store.timeline(acme.id, alpha.id, None, 100).unwrap();
        let paid = timeline.iter().find(|e| e.kind == "payment").unwrap();
        assert!(
            paid.summary.contains("cheque found in the post"),
            "{}",
            paid.summary
        );
        let reversed = timeline
            .iter()
            .find(|e| e.kind == "charge_reversed")
            .unwrap();
        assert!(
            reversed.summary.starts_with("late fee of 40.00 USD on")
                && reversed.summary.contains("settled on or before"),
            "{}",
            reversed.summary
        );
        // Nothing more to do, that day or the next.
        assert!(run_on(store, &acme, "2026-07-01", true)
            .plan
            .actions
            .is_empty());
        let after = run_on(store, &acme, "2026-07-02", true);
        assert!(after.plan.actions.is_empty(), "{:?}", lines(&after));
    }
);

storage_test!(
    /// Holds, fees, tasks, and the next day's lifted holds and closed tasks
    /// for more customers than one statement writes: each row once, every
    /// batch applied.
    fn a_run_over_many_customers_writes_every_batch(store: &mut Store, url: &str) {
        let acme = book(store);
        let day = "2026-06-30";
        let many = 130;
        let mut customers = Vec::new();
        for n in 0..many {
            let c = customer(store, &acme, &format!("C{n:03}"));
            let number = overdue(store, &acme, &c, day, 70, 100_00 + n);
            customers.push((c, number));
        }
        let first = run_on(store, &acme, day, true);
        assert_eq!(first.applied.len(), first.plan.actions.len());
        let kinds = |outcome: &RunOutcome, name: &str| {
            outcome
                .applied_actions()
                .filter(|a| a.kind.name() == name)
                .count() as i64
        };
        assert_eq!(kinds(&first, "status"), many);
        assert_eq!(kinds(&first, "fee"), many);
        assert_eq!(
            count(url, "customers", acme.id, "status = 'cod_required'"),
            many
        );
        assert_eq!(
            count(url, "customers", acme.id, "status_by_policy = 1"),
            many
        );
        assert_eq!(count(url, "tasks", acme.id, "status = 'open'"), many);
        assert_eq!(count(url, "ledger_entries", acme.id, "kind = 'fee'"), many);
        // Every other customer pays: their holds lift and their calls close,
        // the others' stay.
        for (c, number) in customers.iter().step_by(2) {
            let open = open_of(store, &acme, number);
            store
                .record_payment(
                    acme.id,
                    &payment(c, "2026-07-01", open),
                    &dun_store::payments::Allocate::OldestDueFirst,
                    None,
                )
                .unwrap();
        }
        let paid = (many + 1) / 2;
        let next = run_on(store, &acme, "2026-07-02", true);
        assert_eq!(kinds(&next, "status"), paid);
        assert_eq!(kinds(&next, "task_closed"), paid);
        assert_eq!(
            count(url, "customers", acme.id, "status = 'cod_required'"),
            many - paid
        );
        assert_eq!(count(url, "tasks", acme.id, "status = 'open'"), many - paid);
        assert!(run_on(store, &acme, "2026-07-02", true)
            .plan
            .actions
            .is_empty());
    }
);
