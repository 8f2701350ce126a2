//! Recurring invoices issued by the daily run: once per template and
//! occurrence, through the ordinary issue path (numbers, credit check,
//! postings), with the invoice e-mail queued; missed occurrences caught up
//! once; a refusal a task, not a failure; a crash finished by the next run;
//! two processes issuing once.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use std::sync::Barrier;
use std::thread;

use common::*;
use dun_core::invoice::{InvoiceDraft, InvoiceLine};
use dun_core::schedule::Schedule;
use dun_store::customers::Customer;
use dun_store::recurring::{NewRecurring, ScheduleReport, ScheduleStatus};
use dun_store::{Conn, Org, Store, StoreError};

const CLERK: &str = "Ann (billing)";

fn line(description: &str, amount_minor: i64) -> InvoiceLine {
    InvoiceLine::new(description, 10_000, amount_minor, 100_000).expect("a line")
}

fn template(customer: &Customer, schedule: &str, starts: &str) -> NewRecurring {
    NewRecurring {
        customer_ref: customer.reference.clone(),
        currency: usd(),
        lines: vec![line("Hosting", 100_00), line("Support", 50_00)],
        terms: Some(terms("net14")),
        description: "Monthly service".to_string(),
        schedule: Schedule::parse_with_anchor(schedule, d(starts)).expect("a schedule"),
        starts_on: d(starts),
        ends_on: None,
        send_email: true,
        created_by: CLERK.to_string(),
    }
}

fn run_day(store: &mut Store, org: &Org, as_of: &str) -> ScheduleReport {
    store
        .run_schedules(org.id, d(as_of))
        .expect("run the schedules")
}

/// Issued invoices as `number issue-date total`.
fn issued(store: &mut Store, org: &Org) -> Vec<String> {
    let mut list: Vec<String> = all_invoices(store, org.id)
        .into_iter()
        .filter(|i| i.number.is_some())
        .map(|i| format!("{} {} {}", i.number.unwrap(), i.issue_date, i.total_minor))
        .collect();
    list.sort();
    list
}

/// Invoice e-mails in the outbox as `invoice_id`.
fn invoice_mails(store: &mut Store, org: &Org) -> Vec<i64> {
    store
        .outbox(org.id, None, 10_000)
        .expect("the outbox")
        .into_iter()
        .filter(|m| m.kind == "invoice")
        .map(|m| m.invoice_id.expect("an invoice e-mail names its invoice"))
        .collect()
}

storage_test!(
    /// A template priced finer than the cent bills exactly that price.
    fn a_template_keeps_a_unit_price_finer_than_the_cent(store: &mut Store) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let price = dun_core::money::UnitPrice::parse("13.333", usd()).unwrap();
        let fine = InvoiceLine::priced("Bolts", 30_000, price, 100_000).unwrap();
        let mut new = template(&c1, "monthly:1", "2026-11-15");
        new.lines = vec![fine.clone()];
        let r = store.create_recurring(org.id, &new).unwrap();
        assert_eq!(r.total_minor, 44_00, "3 × 13.333 = 40.00 and 10 % tax");
        assert_eq!(
            store.recurring_invoice(org.id, r.id).unwrap().lines,
            vec![fine.clone()]
        );
        assert_eq!(run_day(store, &org, "2026-12-01").issued(), 1);
        let view = store
            .invoice(org.id, "INV-000001", d("2026-12-01"))
            .unwrap();
        assert_eq!((view.lines, view.open_minor), (vec![fine], 44_00));
    }
);

storage_test!(
    fn a_monthly_template_bills_each_month_once(store: &mut Store) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let r = store
            .create_recurring(org.id, &template(&c1, "monthly:1", "2026-11-15"))
            .unwrap();
        assert_eq!(r.next_date, Some(d("2026-12-01")));
        assert_eq!(r.total_minor, 165_00, "150.00 and 10 % tax");

        assert!(
            run_day(store, &org, "2026-11-30").is_empty(),
            "nothing before the 1st"
        );
        let report = run_day(store, &org, "2026-12-01");
        assert_eq!(report.issued(), 1);
        let outcome = &report.invoices[0];
        assert_eq!(outcome.number.as_deref(), Some("INV-000001"));
        assert_eq!(
            (outcome.occurrence, outcome.emailed),
            (d("2026-12-01"), true)
        );
        assert_eq!(issued(store, &org), ["INV-000001 2026-12-01 16500"]);
        let view = store
            .invoice(org.id, "INV-000001", d("2026-12-01"))
            .unwrap();
        assert_eq!(
            view.due_date,
            d("2026-12-15"),
            "the template's terms, net14"
        );
        assert_eq!(view.lines.len(), 2);
        assert_eq!(invoice_mails(store, &org), [outcome.invoice_id.unwrap()]);

        // The same day again, and any day before the next occurrence: nothing.
        for day in ["2026-12-01", "2026-12-02", "2026-12-31"] {
            assert!(run_day(store, &org, day).is_empty(), "{day}");
        }
        // Across the year boundary.
        let report = run_day(store, &org, "2027-01-01");
        assert_eq!(report.issued(), 1);
        assert_eq!(
            issued(store, &org),
            ["INV-000001 2026-12-01 16500", "INV-000002 2027-01-01 16500"]
        );
        assert_eq!(invoice_mails(store, &org).len(), 2);
        let r = store.recurring_invoice(org.id, r.id).unwrap();
        assert_eq!(r.last_issued_date, Some(d("2027-01-01")));
        assert_eq!(r.next_date, Some(d("2027-02-01")));
        let history = store.recurring_occurrences(org.id, r.id).unwrap();
        assert_eq!(history.len(), 2);
        assert!(history.iter().all(|o| o.outcome == "issued"));
        let numbers: Vec<Option<&str>> = history.iter().map(|o| o.number.as_deref()).collect();
        assert_eq!(
            numbers,
            [Some("INV-000002"), Some("INV-000001")],
            "newest first, with the invoices' numbers"
        );
        assert_eq!(r.issued_count, 2, "issued so far");
        let listed = store.recurring_invoices(org.id, None).unwrap();
        assert_eq!(listed[0].issued_count, 2);
        let timeline = store.timeline(org.id, c1.id, None, 100).unwrap();
        let recurring: Vec<&str> = timeline
            .iter()
            .filter(|e| e.kind == "recurring")
            .map(|e| e.summary.as_str())
            .collect();
        assert_eq!(recurring.len(), 3, "{recurring:#?}");
        assert!(recurring[0].starts_with("Issued INV-000002 (165.00 USD) from recurring invoice #"));
        assert!(
            recurring[2].starts_with("Recurring invoice #"),
            "{}",
            recurring[2]
        );
    }
);

storage_test!(
    fn day_31_bills_the_last_day_of_short_months(store: &mut Store) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        store
            .create_recurring(org.id, &template(&c1, "monthly:31", "2027-01-01"))
            .unwrap();
        for day in ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"] {
            assert_eq!(run_day(store, &org, day).issued(), 1, "{day}");
        }
        let dates: Vec<String> = issued(store, &org)
            .iter()
            .map(|s| s.split(' ').nth(1).unwrap().to_string())
            .collect();
        assert_eq!(
            dates,
            ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"]
        );
    }
);

storage_test!(
    fn missed_weeks_are_caught_up_once_and_become_a_task(store: &mut Store) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let r = store
            .create_recurring(org.id, &template(&c1, "weekly:1", "2026-11-02"))
            .unwrap();
        assert_eq!(run_day(store, &org, "2026-11-02").issued(), 1);
        // No run for three weeks: only the latest occurrence is billed.
        let report = run_day(store, &org, "2026-11-24");
        assert_eq!(report.issued(), 1);
        assert_eq!(report.invoices[0].occurrence, d("2026-11-23"));
        assert_eq!(report.invoices[0].missed_count, 2);
        assert_eq!(
            issued(store, &org),
            ["INV-000001 2026-11-02 16500", "INV-000002 2026-11-23 16500"]
        );
        let tasks = store.tasks(org.id, Some("C1"), true).unwrap();
        assert_eq!(tasks.len(), 1);
        assert!(
            tasks[0].title.contains("2026-11-09, 2026-11-16") && tasks[0].title.contains("by hand"),
            "{}",
            tasks[0].title
        );
        assert!(run_day(store, &org, "2026-11-24").is_empty());
        assert_eq!(
            store.recurring_invoice(org.id, r.id).unwrap().next_date,
            Some(d("2026-11-30"))
        );
    }
);

storage_test!(
    fn a_refused_issue_is_a_task_and_the_run_goes_on(store: &mut Store) {
        let org = org(store, "Acme");
        let mut row = customer_row("C1", "C1 Corp");
        row.credit_limit_minor = Some(10_000_00);
        let c1 = store.add_customer(org.id, &row, None).unwrap();
        let c2 = customer(store, &org, "C2");
        // C1's credit limit is 10,000.00; this template is 11,000.00.
        let mut big = template(&c1, "monthly:1", "2026-12-01");
        big.lines = vec![line("Fleet lease", 10_000_00)];
        let big = store.create_recurring(org.id, &big).unwrap();
        store
            .create_recurring(org.id, &template(&c2, "monthly:1", "2026-12-01"))
            .unwrap();
        let report = run_day(store, &org, "2026-12-01");
        assert_eq!((report.issued(), report.refused()), (1, 1));
        let refused = report
            .invoices
            .iter()
            .find(|o| o.outcome == "refused")
            .unwrap();
        assert_eq!(refused.recurring_id, big.id);
        let reason = refused.reason.as_deref().unwrap();
        assert!(reason.contains("credit limit"), "{reason}");
        let draft = refused.invoice_id.expect("the draft stays");
        let tasks = store.tasks(org.id, Some("C1"), true).unwrap();
        assert_eq!(tasks.len(), 1);
        assert!(
            tasks[0].title.contains(&format!(
                "draft #{draft} waits: issue it with an override and a reason"
            )),
            "{}",
            tasks[0].title
        );
        // A task's title is read on the web too: no CLI command in it.
        assert!(!tasks[0].title.contains("`dun "), "{}", tasks[0].title);
        assert_eq!(tasks[0].invoice_ids, [draft]);
        assert_eq!(
            issued(store, &org),
            ["INV-000001 2026-12-01 16500"],
            "C2's only"
        );
        assert_eq!(invoice_mails(store, &org).len(), 1, "no e-mail for a draft");
        assert!(
            run_day(store, &org, "2026-12-01").is_empty(),
            "the refusal is not retried"
        );
        // A person overrides: the draft is issued like any other.
        let posted = store
            .issue_invoice(
                org.id,
                &format!("#{draft}"),
                Some(dun_store::credit_file::IssueOverride {
                    reason: "deposit received",
                    author: CLERK,
                }),
                None,
            )
            .unwrap();
        assert_eq!(posted.number, "INV-000002");
    }
);

storage_test!(
    fn paused_templates_skip_the_pause_and_ended_ones_stop(store: &mut Store) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let r = store
            .create_recurring(org.id, &template(&c1, "monthly:1", "2026-12-01"))
            .unwrap();
        let paused = store
            .pause_recurring(org.id, r.id, d("2026-11-24"), CLERK)
            .unwrap();
        assert_eq!(paused.status, ScheduleStatus::Paused);
        let again = store.pause_recurring(org.id, r.id, d("2026-11-24"), CLERK);
        assert!(matches!(again, Err(StoreError::Conflict(m)) if m.contains("already paused")));
        assert!(run_day(store, &org, "2026-12-01").is_empty());
        assert!(run_day(store, &org, "2027-01-01").is_empty());
        let resumed = store
            .resume_recurring(org.id, r.id, d("2027-01-10"), CLERK)
            .unwrap();
        assert_eq!(
            resumed.next_date,
            Some(d("2027-02-01")),
            "the pause is not billed later"
        );
        assert!(run_day(store, &org, "2027-01-31").is_empty());
        assert_eq!(run_day(store, &org, "2027-02-01").issued(), 1);
        let ended = store
            .end_recurring(org.id, r.id, d("2027-02-02"), CLERK)
            .unwrap();
        assert_eq!(
            (ended.status, ended.next_date),
            (ScheduleStatus::Ended, None)
        );
        assert!(run_day(store, &org, "2027-03-01").is_empty());
        let resume = store.resume_recurring(org.id, r.id, d("2027-03-02"), CLERK);
        assert!(matches!(resume, Err(StoreError::Conflict(m)) if m.contains("has ended")));
        assert_eq!(issued(store, &org).len(), 1);
    }
);

storage_test!(
    fn a_template_with_an_end_date_ends_by_itself(store: &mut Store) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let mut quarterly = template(&c1, "quarterly:1", "2026-11-24");
        quarterly.ends_on = Some(d("2027-05-15"));
        quarterly.send_email = false;
        let r = store.create_recurring(org.id, &quarterly).unwrap();
        assert_eq!(r.next_date, Some(d("2027-01-01")));
        assert_eq!(run_day(store, &org, "2027-01-01").issued(), 1);
        let report = run_day(store, &org, "2027-04-01");
        assert_eq!(report.issued(), 1);
        assert_eq!(
            report.ended_recurring,
            [r.id],
            "no occurrence after 2027-05-15"
        );
        let r = store.recurring_invoice(org.id, r.id).unwrap();
        assert_eq!((r.status, r.next_date), (ScheduleStatus::Ended, None));
        assert!(run_day(store, &org, "2027-07-01").is_empty());
        assert!(invoice_mails(store, &org).is_empty(), "send_email was off");
        assert_eq!(issued(store, &org).len(), 2);
    }
);

storage_test!(
    fn bad_templates_are_refused_with_the_reason(store: &mut Store) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let mut no_lines = template(&c1, "monthly:1", "2026-12-01");
        no_lines.lines.clear();
        let e = store.create_recurring(org.id, &no_lines).unwrap_err();
        assert!(e.to_string().contains("at least one line"), "{e}");
        let mut backwards = template(&c1, "monthly:1", "2026-12-01");
        backwards.ends_on = Some(d("2026-11-01"));
        let e = store.create_recurring(org.id, &backwards).unwrap_err();
        assert!(e.to_string().contains("before the start date"), "{e}");
        let mut empty = template(&c1, "monthly:1", "2026-12-02");
        empty.ends_on = Some(d("2026-12-31"));
        let e = store.create_recurring(org.id, &empty).unwrap_err();
        assert!(
            e.to_string().contains("the first would be 2027-01-01"),
            "{e}"
        );
        let mut stranger = template(&c1, "monthly:1", "2026-12-01");
        stranger.customer_ref = "NOPE".to_string();
        let e = store.create_recurring(org.id, &stranger).unwrap_err();
        assert!(e.to_string().contains("'NOPE' was not found"), "{e}");
        assert!(store.recurring_invoices(org.id, None).unwrap().is_empty());
    }
);

storage_test!(
    fn a_crash_between_the_steps_is_finished_by_the_next_run(store: &mut Store, url: &str) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let r = store
            .create_recurring(org.id, &template(&c1, "monthly:1", "2026-12-01"))
            .unwrap();
        // What step 1 commits (the occurrence claimed, next_date moved on) and
        // step 2's draft, made with its key, as a run killed right after them
        // leaves the book.
        let occurrence = d("2026-12-01");
        {
            let mut conn = Conn::open(url).unwrap();
            let mut tx = conn.transaction().unwrap();
            tx.execute(
            "INSERT INTO recurring_occurrences (org_id, recurring_id, occurrence, invoice_id, outcome, missed, created_at)
             VALUES ($1, $2, $3, NULL, 'pending', 0, '2026-12-01T06:00:00Z')",
            dun_store::params![org.id, r.id, i64::from(occurrence.day_number())],
        )
        .unwrap();
            tx.execute(
                "UPDATE recurring_invoices SET next_date = $1 WHERE id = $2",
                dun_store::params![i64::from(d("2027-01-01").day_number()), r.id],
            )
            .unwrap();
            tx.commit().unwrap();
        }
        let draft = InvoiceDraft {
            customer_id: c1.id,
            currency: usd(),
            issue_date: occurrence,
            terms: terms("net14"),
            description: "Monthly service".to_string(),
            lines: vec![line("Hosting", 100_00), line("Support", 50_00)],
            installments: Vec::new(),
        };
        let key = format!("dun.recurring.{}.2026-12-01.draft", r.id);
        let draft_id = store.create_invoice(org.id, &draft, Some(&key)).unwrap();
        // The next run, days later, finishes it with the same draft.
        let report = run_day(store, &org, "2026-12-03");
        assert_eq!(report.issued(), 1);
        assert_eq!(report.invoices[0].invoice_id, Some(draft_id));
        assert_eq!(issued(store, &org), ["INV-000001 2026-12-01 16500"]);
        assert_eq!(all_invoices(store, org.id).len(), 1, "no second draft");
        assert_eq!(invoice_mails(store, &org), [draft_id]);
        assert!(run_day(store, &org, "2026-12-03").is_empty());
    }
);

/// Processes running the day's schedules at once.
const PROCESSES: usize = 4;
/// Templates, each for its own customer.
const TEMPLATES: usize = 6;

storage_test!(
    fn processes_running_the_same_day_issue_once(store: &mut Store, url: &str) {
        let org = org(store, "Acme");
        for n in 0..TEMPLATES {
            let c = customer(store, &org, &format!("C{n}"));
            store
                .create_recurring(org.id, &template(&c, "monthly:1", "2026-12-01"))
                .unwrap();
            store
                .set_statement_schedule(
                    org.id,
                    &c.reference,
                    Schedule::parse("monthly:1").unwrap(),
                    d("2026-11-01"),
                    CLERK,
                )
                .unwrap();
        }
        let start = Barrier::new(PROCESSES);
        let reports: Vec<ScheduleReport> = thread::scope(|scope| {
            let handles: Vec<_> = (0..PROCESSES)
                .map(|_| {
                    let start = &start;
                    scope.spawn(move || {
                        let opened = Store::open(url);
                        start.wait();
                        opened
                            .unwrap()
                            .run_schedules(org.id, d("2026-12-01"))
                            .unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let issued_by_all: usize = reports.iter().map(ScheduleReport::issued).sum();
        assert_eq!(issued_by_all, TEMPLATES, "each occurrence reported once");
        let statements: usize = reports.iter().map(|r| r.statements.len()).sum();
        assert_eq!(statements, TEMPLATES);
        let numbers = issued(store, &org);
        assert_eq!(numbers.len(), TEMPLATES, "{numbers:#?}");
        assert_eq!(
            all_invoices(store, org.id).len(),
            TEMPLATES,
            "no stray drafts"
        );
        let mut mails = invoice_mails(store, &org);
        mails.sort();
        mails.dedup();
        assert_eq!(mails.len(), TEMPLATES);
        assert_eq!(
            invoice_mails(store, &org).len(),
            TEMPLATES,
            "one e-mail each"
        );
        let statement_mails = store
            .outbox(org.id, None, 10_000)
            .unwrap()
            .iter()
            .filter(|m| m.kind == "statement")
            .count();
        assert_eq!(statement_mails, TEMPLATES);
    }
);
