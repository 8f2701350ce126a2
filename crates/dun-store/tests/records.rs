//! The human side of collections: promises, disputes, payment plans,
//! collateral, pauses and holds, calls and notes, the credit check on
//! issue, tasks and the worklist — each with its refusals, which write
//! nothing, and each on the customer's timeline.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use common::*;
use dun_core::aging::AgingEdges;
use dun_core::collections::credit::CustomerStatus;
use dun_core::collections::policy::{Rate, Tier};
use dun_core::ledger::EntryKind;
use dun_core::terms::Installment;
use dun_core::Date;
use dun_store::collateral::{CollateralKind, NewCollateral};
use dun_store::credit_file::{paused_indefinitely, IssueOverride, StatusDecision};
use dun_store::customers::Customer;
use dun_store::disputes::{NewDispute, Resolution};
use dun_store::invoices::REASON_CHARS_MAX;
use dun_store::payments::Allocate;
use dun_store::plans::NewPlan;
use dun_store::records::{ContactKind, NewContact, NewPromise, PromisedPayment};
use dun_store::{Conn, Org, Store, StoreError};

const CLERK: &str = "Dana (collector)";

/// Everything a refused record must leave as it was: the ledger, and
/// every record and timeline entry of the organisation.
#[derive(Debug, PartialEq, Eq)]
struct Records {
    ledger: Snapshot,
    timeline: Vec<String>,
    promises: usize,
    disputes: Vec<String>,
    plans: usize,
    collateral: usize,
    tasks: Vec<String>,
    standing: Vec<String>,
}

fn records(store: &mut Store, org: &Org) -> Records {
    let customers = store.customers(org.id).unwrap();
    let mut timeline = Vec::new();
    let mut standing = Vec::new();
    for c in &customers {
        for e in store.timeline(org.id, c.id, None, 1000).unwrap() {
            timeline.push(format!("{} {} {}", c.reference, e.kind, e.summary));
        }
        standing.push(format!(
            "{:?}",
            store.credit_standing(org.id, &c.reference).unwrap()
        ));
    }
    Records {
        ledger: snapshot(store, org.id),
        timeline,
        promises: store.promises(org.id, None).unwrap().len(),
        disputes: store
            .disputes(org.id, None, false)
            .unwrap()
            .iter()
            .map(|d| format!("{} {}", d.id, d.status))
            .collect(),
        plans: store.plans(org.id, None).unwrap().len(),
        collateral: store.collateral(org.id, None).unwrap().len(),
        tasks: store
            .tasks(org.id, None, false)
            .unwrap()
            .iter()
            .map(|t| format!("{} {}", t.id, t.status))
            .collect(),
        standing,
    }
}

/// Runs `refused`, insists it fails with an error whose text holds every
/// one of `words`, and that it wrote nothing.
fn refused<T: std::fmt::Debug>(
    store: &mut Store,
    org: &Org,
    words: &[&str],
    refused: impl FnOnce(&mut Store) -> Result<T, StoreError>,
) -> StoreError {
    let before = records(store, org);
    let error = refused(store).expect_err("the command should be refused");
    let text = error.to_string();
    for word in words {
        assert!(text.contains(word), "'{word}' not in: {text}");
    }
    // The store's words suit every shell: no CLI command or flag in them.
    assert!(
        !text.contains("`dun ") && !text.contains("--"),
        "a CLI hint in the store's refusal: {text}"
    );
    assert_eq!(records(store, org), before, "a refusal wrote something");
    error
}

fn kinds(store: &mut Store, org: &Org, customer: &Customer) -> Vec<String> {
    store
        .timeline(org.id, customer.id, None, 1000)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

fn promise(customer: &Customer, amount_minor: i64, by: &str, invoices: &[&str]) -> NewPromise {
    NewPromise {
        customer_ref: customer.reference.clone(),
        currency: usd(),
        amount_minor,
        promised_date: d(by),
        invoices: invoices.iter().map(|s| s.to_string()).collect(),
        made_on: d("2026-02-10"),
        author: CLERK.into(),
    }
}

fn dispute(invoice: &str, line: Option<u32>) -> NewDispute {
    NewDispute {
        invoice: invoice.into(),
        line,
        reason: "the second crate arrived broken".into(),
        on: d("2026-02-12"),
        author: CLERK.into(),
    }
}

fn plan(customer: &Customer, invoices: &[&str], parts: &[(&str, i64)]) -> NewPlan {
    NewPlan {
        customer_ref: customer.reference.clone(),
        invoices: invoices.iter().map(|s| s.to_string()).collect(),
        installments: parts
            .iter()
            .map(|(date, amount_minor)| Installment {
                due_date: d(date),
                amount_minor: *amount_minor,
            })
            .collect(),
        created_on: d("2026-02-15"),
        author: CLERK.into(),
    }
}

/// Sets a customer's tier as the run would (the run is not part of these tests).
fn set_tier(url: &str, customer: &Customer, tier: Tier) {
    let mut conn = Conn::open(url).unwrap();
    let mut tx = conn.transaction().unwrap();
    tx.execute(
        "UPDATE customers SET tier = $1 WHERE id = $2",
        dun_store::params![tier.as_str(), customer.id],
    )
    .unwrap();
    tx.commit().unwrap();
}

storage_test!(
    fn a_promise_covers_named_or_all_open_invoices_and_is_refused_by_name(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let beta = customer(store, &acme, "BETA");
        let first = invoice(store, &acme, &alpha, "2026-01-05", "net30", 300_00);
        let second = invoice(store, &acme, &alpha, "2026-01-06", "net30", 200_00);
        let betas = invoice(store, &acme, &beta, "2026-01-05", "net30", 100_00);
        let euros = issue_draft(
            store,
            &acme,
            &draft_in(alpha.id, eur(), d("2026-01-05"), "net30", 50_00),
        );
        let paid = invoice(store, &acme, &alpha, "2026-01-07", "net30", 10_00);
        store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-01-08", 10_00),
                &Allocate::Explicit(vec![(paid.number.clone(), 10_00)]),
                None,
            )
            .unwrap();

        // A promise's currency when none is given: the first named
        // invoice's, else the organisation's (the one rule the CLI and the
        // API read).
        assert_eq!(
            store
                .default_currency(acme.id, std::slice::from_ref(&euros.number))
                .unwrap(),
            eur()
        );
        assert_eq!(
            store
                .default_currency(acme.id, &[first.number.clone(), euros.number.clone()])
                .unwrap(),
            usd()
        );
        assert_eq!(store.default_currency(acme.id, &[]).unwrap(), usd());
        assert!(matches!(
            store.default_currency(acme.id, &["INV-999999".to_string()]),
            Err(StoreError::NotFound { .. })
        ));
        let other = org(store, "Other Co");
        assert!(
            matches!(
                store.default_currency(other.id, std::slice::from_ref(&euros.number)),
                Err(StoreError::NotFound { .. })
            ),
            "another organisation's invoice is not found"
        );
        let named = store
            .add_promise(
                acme.id,
                &promise(&alpha, 250_00, "2026-02-20", &[&first.number]),
                None,
            )
            .unwrap();
        assert_eq!(named.status, "active");
        assert_eq!(named.invoices, vec![first.number.clone()]);
        assert_eq!(named.invoice_ids, vec![first.invoice_id]);
        let all = store
            .add_promise(
                acme.id,
                &promise(&alpha, 500_00, "2026-02-28", &[]),
                Some("p-2"),
            )
            .unwrap();
        assert!(all.invoice_ids.is_empty(), "empty: every open USD invoice");
        // The same key again is the same promise, not a second one.
        let again = store
            .add_promise(
                acme.id,
                &promise(&alpha, 500_00, "2026-02-28", &[]),
                Some("p-2"),
            )
            .unwrap();
        assert_eq!(again, all);
        let listed = store.promises(acme.id, Some("ALPHA")).unwrap();
        assert_eq!(
            listed.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![all.id, named.id]
        );
        assert!(store.promises(acme.id, Some("BETA")).unwrap().is_empty());
        let timeline = store.timeline(acme.id, alpha.id, None, 10).unwrap();
        assert_eq!(timeline[0].kind, "promise");
        assert_eq!(timeline[0].author, CLERK);
        assert!(
            timeline[1].summary.contains("250.00 USD by 2026-02-20")
                && timeline[1].summary.contains(&first.number),
            "{}",
            timeline[1].summary
        );

        refused(store, &acme, &["before", "2026-02-10"], |s| {
            s.add_promise(acme.id, &promise(&alpha, 1_00, "2026-02-09", &[]), None)
        });
        for amount in [0, -5_00] {
            refused(store, &acme, &["positive"], |s| {
                s.add_promise(acme.id, &promise(&alpha, amount, "2026-02-20", &[]), None)
            });
        }
        let unknown = refused(store, &acme, &["INV-999999"], |s| {
            s.add_promise(
                acme.id,
                &promise(&alpha, 1_00, "2026-02-20", &["INV-999999"]),
                None,
            )
        });
        assert!(
            matches!(unknown, StoreError::NotFound { .. }),
            "{unknown:?}"
        );
        refused(store, &acme, &[&betas.number, "ALPHA"], |s| {
            s.add_promise(
                acme.id,
                &promise(&alpha, 1_00, "2026-02-20", &[&betas.number]),
                None,
            )
        });
        refused(store, &acme, &[&euros.number, "EUR"], |s| {
            s.add_promise(
                acme.id,
                &promise(&alpha, 1_00, "2026-02-20", &[&euros.number]),
                None,
            )
        });
        refused(store, &acme, &[&paid.number, "paid"], |s| {
            s.add_promise(
                acme.id,
                &promise(&alpha, 1_00, "2026-02-20", &[&paid.number]),
                None,
            )
        });
        refused(store, &acme, &["named twice"], |s| {
            s.add_promise(
                acme.id,
                &promise(
                    &alpha,
                    1_00,
                    "2026-02-20",
                    &[&second.number, &second.number],
                ),
                None,
            )
        });
        let mut nobody = promise(&alpha, 1_00, "2026-02-20", &[]);
        nobody.author = "  ".into();
        refused(store, &acme, &["author"], |s| {
            s.add_promise(acme.id, &nobody, None)
        });
        let mut in_jpy = promise(&alpha, 1_00, "2026-02-20", &[]);
        in_jpy.currency = dun_core::Currency::parse("JPY").unwrap();
        refused(store, &acme, &["owes nothing in JPY"], |s| {
            s.add_promise(acme.id, &in_jpy, None)
        });
    }
);

storage_test!(
    fn a_call_may_carry_a_promise_and_notes_need_words(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let beta = customer(store, &acme, "BETA");
        let owed = invoice(store, &acme, &alpha, "2026-01-05", "net30", 300_00);
        let betas = invoice(store, &acme, &beta, "2026-01-05", "net30", 100_00);
        let call = |promise: Option<PromisedPayment>, invoices: Vec<String>| NewContact {
            customer_ref: "ALPHA".into(),
            kind: ContactKind::Call,
            summary: "Spoke to Sam in accounts".into(),
            outcome: Some("will pay on the 20th".into()),
            on: d("2026-02-10"),
            author: CLERK.into(),
            invoices,
            promise,
        };
        let logged = store
            .log_contact(
                acme.id,
                &call(
                    Some(PromisedPayment {
                        amount_minor: 300_00,
                        currency: usd(),
                        promised_date: d("2026-02-20"),
                    }),
                    vec![owed.number.clone()],
                ),
            )
            .unwrap();
        let promise = logged.promise.expect("the call's promise");
        assert_eq!(
            (promise.amount_minor, promise.invoice_ids.clone()),
            (300_00, vec![owed.invoice_id])
        );
        let timeline = store.timeline(acme.id, alpha.id, None, 10).unwrap();
        assert_eq!(
            timeline.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
            ["promise", "call", "invoice_issued"]
        );
        assert_eq!(timeline[1].id, logged.timeline_id);
        assert_eq!(
            timeline[1].summary,
            "Call: will pay on the 20th — Spoke to Sam in accounts"
        );
        assert_eq!(timeline[1].invoice_ids, vec![owed.invoice_id]);
        let note = |kind: ContactKind, text: &str| NewContact {
            customer_ref: "ALPHA".into(),
            kind,
            summary: text.into(),
            outcome: None,
            on: d("2026-02-11"),
            author: CLERK.into(),
            invoices: Vec::new(),
            promise: None,
        };
        store
            .log_contact(acme.id, &note(ContactKind::Note, "Prefers email"))
            .unwrap();
        store
            .log_contact(acme.id, &note(ContactKind::Reply, "Cheque is in the post"))
            .unwrap();
        assert_eq!(kinds(store, &acme, &alpha)[..2], ["reply", "note"]);

        let mut silent = call(None, Vec::new());
        silent.outcome = None;
        refused(store, &acme, &["outcome"], |s| {
            s.log_contact(acme.id, &silent)
        });
        refused(store, &acme, &["1 to"], |s| {
            s.log_contact(acme.id, &note(ContactKind::Note, "   "))
        });
        let mut promised_note = note(ContactKind::Note, "they promised");
        promised_note.promise = Some(PromisedPayment {
            amount_minor: 1_00,
            currency: usd(),
            promised_date: d("2026-02-20"),
        });
        refused(store, &acme, &["call"], |s| {
            s.log_contact(acme.id, &promised_note)
        });
        refused(store, &acme, &[&betas.number], |s| {
            s.log_contact(acme.id, &call(None, vec![betas.number.clone()]))
        });
        // A bad promise refuses the call with it: one transaction.
        let late = Some(PromisedPayment {
            amount_minor: 1_00,
            currency: usd(),
            promised_date: d("2026-02-01"),
        });
        refused(store, &acme, &["before"], |s| {
            s.log_contact(acme.id, &call(late, Vec::new()))
        });
        refused(store, &acme, &["customer", "NOBODY"], |s| {
            let mut c = note(ContactKind::Note, "hello");
            c.customer_ref = "NOBODY".into();
            s.log_contact(acme.id, &c)
        });
    }
);

storage_test!(
    fn a_reason_is_counted_in_characters(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let inv = invoice(store, &acme, &alpha, "2026-01-05", "net30", 300_00);
        // Greek takes two bytes a letter: 1000 letters are 2000 bytes, and
        // within the limit, as a browser's maxlength counts them.
        let mut over = dispute(&inv.number, None);
        over.reason = "λ".repeat(REASON_CHARS_MAX + 1);
        let error = refused(
            store,
            &acme,
            &["reason: at most 1000 characters", "(1001 given)"],
            |s| s.open_dispute(acme.id, &over, None),
        );
        assert!(!error.to_string().contains("bytes"), "{error}");
        let mut at_limit = dispute(&inv.number, None);
        at_limit.reason = "λ".repeat(REASON_CHARS_MAX);
        let opened = store.open_dispute(acme.id, &at_limit, None).unwrap();
        refused(store, &acme, &["reason: at most 1000 characters"], |s| {
            s.resolve_dispute(
                acme.id,
                opened.id,
                &Resolution::Rejected {
                    reason: "ω".repeat(REASON_CHARS_MAX + 1),
                },
                d("2026-02-20"),
                CLERK,
            )
        });
        let rejected = store
            .resolve_dispute(
                acme.id,
                opened.id,
                &Resolution::Rejected {
                    reason: "ω".repeat(REASON_CHARS_MAX),
                },
                d("2026-02-20"),
                CLERK,
            )
            .unwrap();
        assert_eq!(rejected.status, "rejected");
    }
);

storage_test!(
    fn a_dispute_resolved_by_credit_note_reduces_the_invoice(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let inv = invoice(store, &acme, &alpha, "2026-01-05", "net30", 300_00);
        let other = invoice(store, &acme, &alpha, "2026-01-06", "net30", 80_00);

        let opened = store
            .open_dispute(acme.id, &dispute(&inv.number, Some(1)), Some("d-1"))
            .unwrap();
        assert_eq!(
            (opened.status.as_str(), opened.line, opened.invoice.as_str()),
            ("open", Some(1), inv.number.as_str())
        );
        assert_eq!(
            store
                .open_dispute(acme.id, &dispute(&inv.number, Some(1)), Some("d-1"))
                .unwrap(),
            opened
        );
        refused(store, &acme, &["already has open dispute"], |s| {
            s.open_dispute(acme.id, &dispute(&inv.number, None), None)
        });
        refused(store, &acme, &["lines 1 to 1", "no line 2"], |s| {
            s.open_dispute(acme.id, &dispute(&other.number, Some(2)), None)
        });
        refused(store, &acme, &["no line 0"], |s| {
            s.open_dispute(acme.id, &dispute(&other.number, Some(0)), None)
        });
        refused(store, &acme, &["INV-424242"], |s| {
            s.open_dispute(acme.id, &dispute("INV-424242", None), None)
        });
        let mut wordless = dispute(&other.number, None);
        wordless.reason = String::new();
        refused(store, &acme, &["reason"], |s| {
            s.open_dispute(acme.id, &wordless, None)
        });

        // More than is open is refused by the posting rules; the dispute stays open.
        refused(store, &acme, &[], |s| {
            s.resolve_dispute(
                acme.id,
                opened.id,
                &Resolution::CreditNote {
                    amount_minor: 300_01,
                    reason: "too much".into(),
                },
                d("2026-02-20"),
                CLERK,
            )
        });
        refused(store, &acme, &["before the dispute was opened"], |s| {
            s.resolve_dispute(
                acme.id,
                opened.id,
                &Resolution::Rejected {
                    reason: String::new(),
                },
                d("2026-02-01"),
                CLERK,
            )
        });
        let resolved = store
            .resolve_dispute(
                acme.id,
                opened.id,
                &Resolution::CreditNote {
                    amount_minor: 120_00,
                    reason: "broken crate".into(),
                },
                d("2026-02-20"),
                CLERK,
            )
            .unwrap();
        assert_eq!(resolved.status, "resolved");
        assert_eq!(resolved.closed_on, Some(d("2026-02-20")));
        let resolution = resolved.resolution.clone().unwrap();
        assert_eq!(resolution["credit_note"], "CN-000001");
        assert_eq!(resolution["amount_minor"], 120_00);
        assert_eq!(open_of(store, &acme, &inv.number), 180_00);
        assert_eq!(count_kind(store, acme.id, EntryKind::CreditNote), 1);
        refused(store, &acme, &["already resolved"], |s| {
            s.resolve_dispute(
                acme.id,
                opened.id,
                &Resolution::Rejected {
                    reason: String::new(),
                },
                d("2026-02-21"),
                CLERK,
            )
        });

        // Rejected: nothing posted, the ladder resumes.
        let second = store
            .open_dispute(acme.id, &dispute(&other.number, None), None)
            .unwrap();
        let rejected = store
            .resolve_dispute(
                acme.id,
                second.id,
                &Resolution::Rejected {
                    reason: "delivery note signed".into(),
                },
                d("2026-02-21"),
                CLERK,
            )
            .unwrap();
        assert_eq!(rejected.status, "rejected");
        assert_eq!(open_of(store, &acme, &other.number), 80_00);
        assert!(store.disputes(acme.id, None, true).unwrap().is_empty());
        assert_eq!(
            store.disputes(acme.id, Some("ALPHA"), false).unwrap().len(),
            2
        );
        assert_eq!(
            kinds(store, &acme, &alpha),
            // In the order things happened: the second dispute was
            // opened (dated) before the first was resolved.
            [
                "dispute_rejected",
                "dispute_resolved",
                "dispute",
                "dispute",
                "invoice_issued",
                "invoice_issued"
            ]
        );

        // Paid and void invoices cannot be disputed.
        store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-02-22", 80_00),
                &Allocate::Explicit(vec![(other.number.clone(), 80_00)]),
                None,
            )
            .unwrap();
        refused(store, &acme, &["paid"], |s| {
            s.open_dispute(acme.id, &dispute(&other.number, None), None)
        });
        let voided = invoice(store, &acme, &alpha, "2026-01-07", "net30", 5_00);
        store
            .void_invoice(acme.id, &voided.number, d("2026-01-08"), "typo", None)
            .unwrap();
        refused(store, &acme, &["void"], |s| {
            s.open_dispute(acme.id, &dispute(&voided.number, None), None)
        });
        refused(store, &acme, &["dispute", "999"], |s| {
            s.resolve_dispute(
                acme.id,
                999,
                &Resolution::Rejected {
                    reason: String::new(),
                },
                d("2026-02-21"),
                CLERK,
            )
        });
    }
);

storage_test!(
    fn a_plan_adds_up_to_what_is_open_in_increasing_dates(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let beta = customer(store, &acme, "BETA");
        let a = invoice(store, &acme, &alpha, "2026-01-05", "net30", 600_00);
        let b = invoice(store, &acme, &alpha, "2026-01-06", "net30", 400_00);
        let euros = issue_draft(
            store,
            &acme,
            &draft_in(alpha.id, eur(), d("2026-01-05"), "net30", 50_00),
        );
        let betas = invoice(store, &acme, &beta, "2026-01-05", "net30", 100_00);
        store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-01-20", 100_00),
                &Allocate::Explicit(vec![(a.number.clone(), 100_00)]),
                None,
            )
            .unwrap();

        let both = [a.number.as_str(), b.number.as_str()];
        refused(
            store,
            &acme,
            &["add up to 800.00 USD", "have 900.00 USD open"],
            |s| {
                s.create_plan(
                    acme.id,
                    &plan(
                        &alpha,
                        &both,
                        &[("2026-03-01", 400_00), ("2026-04-01", 400_00)],
                    ),
                    None,
                )
            },
        );
        refused(store, &acme, &["not after installment 1"], |s| {
            s.create_plan(
                acme.id,
                &plan(
                    &alpha,
                    &both,
                    &[("2026-04-01", 450_00), ("2026-03-01", 450_00)],
                ),
                None,
            )
        });
        refused(store, &acme, &["before the plan is made"], |s| {
            s.create_plan(
                acme.id,
                &plan(&alpha, &both, &[("2026-02-14", 900_00)]),
                None,
            )
        });
        refused(store, &acme, &["a plan is in one currency"], |s| {
            s.create_plan(
                acme.id,
                &plan(
                    &alpha,
                    &[&a.number, &euros.number],
                    &[("2026-03-01", 550_00)],
                ),
                None,
            )
        });
        refused(store, &acme, &[&betas.number], |s| {
            s.create_plan(
                acme.id,
                &plan(&alpha, &[&betas.number], &[("2026-03-01", 100_00)]),
                None,
            )
        });
        refused(store, &acme, &["installment 2", "positive"], |s| {
            s.create_plan(
                acme.id,
                &plan(&alpha, &both, &[("2026-03-01", 900_00), ("2026-04-01", 0)]),
                None,
            )
        });
        refused(store, &acme, &["1 to 120 installments"], |s| {
            s.create_plan(acme.id, &plan(&alpha, &both, &[]), None)
        });

        let made = store
            .create_plan(
                acme.id,
                &plan(
                    &alpha,
                    &both,
                    &[
                        ("2026-03-01", 300_00),
                        ("2026-04-01", 300_00),
                        ("2026-05-01", 300_00),
                    ],
                ),
                Some("plan-1"),
            )
            .unwrap();
        assert_eq!(
            (made.status.as_str(), made.opening_minor, made.currency),
            ("active", 900_00, usd())
        );
        assert_eq!(made.invoices, vec![a.number.clone(), b.number.clone()]);
        assert_eq!(
            store.plans(acme.id, Some("ALPHA")).unwrap(),
            vec![made.clone()]
        );
        assert!(store.plans(acme.id, Some("BETA")).unwrap().is_empty());
        refused(store, &acme, &["already on plan"], |s| {
            s.create_plan(
                acme.id,
                &plan(&alpha, &[&b.number], &[("2026-03-01", 400_00)]),
                None,
            )
        });
        // Under the plan the invoices are owed by its dates (issue 13
        // item 4): on 04-05 installment 1 is 35 days late, 2 is 4 days,
        // 3 not yet due, where the invoices' own dates made all 900.00 31-60.
        let aging = |store: &mut Store, on: &str, detail: bool| {
            store
                .aging(acme.id, d(on), &AgingEdges::standard(), detail)
                .unwrap()
                .0
        };
        let report = aging(store, "2026-04-05", false);
        assert_eq!(
            report.rows[&(alpha.id, usd())].amounts_minor,
            vec![300_00, 300_00, 300_00, 0, 0]
        );
        let listed = aging(store, "2026-04-05", true);
        assert_eq!(listed.rows, report.rows, "listed and summed agree");
        let parts: Vec<(String, Date, i64)> = listed
            .items
            .iter()
            .filter(|i| i.customer_id == alpha.id && i.currency == usd())
            .map(|i| (i.number.clone(), i.due_date, i.open_minor))
            .collect();
        assert_eq!(
            parts,
            vec![
                (a.number.clone(), d("2026-03-01"), 300_00),
                (a.number.clone(), d("2026-04-01"), 200_00),
                (b.number.clone(), d("2026-04-01"), 100_00),
                (b.number.clone(), d("2026-05-01"), 300_00),
            ]
        );
        // Before the plan was made, the invoices' own dates.
        assert_eq!(
            aging(store, "2026-02-14", false).rows[&(alpha.id, usd())].amounts_minor,
            vec![0, 900_00, 0, 0, 0]
        );
        let timeline = store.timeline(acme.id, alpha.id, None, 1).unwrap();
        assert_eq!(timeline[0].kind, "plan");
        assert!(timeline[0]
            .summary
            .contains("900.00 USD in 3 installment(s)"));
    }
);

storage_test!(
    fn a_split_plan_divides_what_is_open_when_the_plan_is_made(store: &mut Store) {
        use dun_store::plans::{PlanInstallments, PlanInvoices, Split, SPLIT_EVERY_DAYS_DEFAULT};
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let a = invoice(store, &acme, &alpha, "2026-01-05", "net30", 600_00);
        let b = invoice(store, &acme, &alpha, "2026-01-06", "net30", 400_01);
        store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-01-20", 100_00),
                &Allocate::Explicit(vec![(a.number.clone(), 100_00)]),
                None,
            )
            .unwrap();
        let both = [a.number.as_str(), b.number.as_str()];
        let split = |count: u32, first: &str, every_days: Option<u32>| {
            let mut p = plan(&alpha, &both, &[]);
            p.installments = PlanInstallments::Split(Split {
                count,
                first: d(first),
                every_days,
            });
            p
        };
        // Refused by the field `split`, nothing written.
        refused(store, &acme, &["split:", "1 to 120 installments"], |s| {
            s.create_plan(acme.id, &split(0, "2026-03-01", None), None)
        });
        refused(store, &acme, &["before the plan is made"], |s| {
            s.create_plan(acme.id, &split(3, "2026-02-14", None), None)
        });
        refused(store, &acme, &["split:", "at least one day apart"], |s| {
            s.create_plan(acme.id, &split(3, "2026-03-01", Some(0)), None)
        });
        // 900.01 open after the payment, in three: the odd cent first,
        // every 30 days (the one default) from the first.
        let made = store
            .create_plan(acme.id, &split(3, "2026-03-01", None), Some("split-1"))
            .unwrap();
        assert_eq!(made.opening_minor, 900_01);
        let every = i32::try_from(SPLIT_EVERY_DAYS_DEFAULT).unwrap();
        assert_eq!(
            made.installments,
            vec![
                Installment {
                    due_date: d("2026-03-01"),
                    amount_minor: 300_01
                },
                Installment {
                    due_date: d("2026-03-01").add_days(every),
                    amount_minor: 300_00
                },
                Installment {
                    due_date: d("2026-03-01").add_days(2 * every),
                    amount_minor: 300_00
                },
            ]
        );
        // The same key again: the same plan, not a second.
        let again = store
            .create_plan(acme.id, &split(3, "2026-03-01", None), Some("split-1"))
            .unwrap();
        assert_eq!(again, made);
        assert_eq!(store.plans(acme.id, Some("ALPHA")).unwrap(), vec![made]);

        // "Every open invoice in USD" (the web's choice), read under the
        // plan's lock too: a paid one and one in euros are left out.
        let beta = customer(store, &acme, "BETA");
        let first = invoice(store, &acme, &beta, "2026-01-05", "net30", 100_00);
        let paid = invoice(store, &acme, &beta, "2026-01-06", "net30", 50_00);
        let second = invoice(store, &acme, &beta, "2026-01-07", "net30", 200_00);
        issue_draft(
            store,
            &acme,
            &draft_in(beta.id, eur(), d("2026-01-05"), "net30", 70_00),
        );
        store
            .record_payment(
                acme.id,
                &payment(&beta, "2026-01-20", 50_00),
                &Allocate::Explicit(vec![(paid.number.clone(), 50_00)]),
                None,
            )
            .unwrap();
        let mut all_usd = split(2, "2026-03-01", Some(14));
        all_usd.customer_ref = "BETA".into();
        all_usd.invoices = PlanInvoices::AllOpenIn(usd());
        let mut in_yen = all_usd.clone();
        in_yen.invoices = PlanInvoices::AllOpenIn(dun_core::Currency::parse("JPY").unwrap());
        refused(
            store,
            &acme,
            &["invoices:", "no open invoice in JPY"],
            |s| s.create_plan(acme.id, &in_yen, None),
        );
        let made = store.create_plan(acme.id, &all_usd, None).unwrap();
        assert_eq!(made.invoices, vec![first.number, second.number]);
        assert_eq!(made.opening_minor, 300_00);
        assert_eq!(
            made.installments
                .iter()
                .map(|i| (i.due_date, i.amount_minor))
                .collect::<Vec<_>>(),
            vec![(d("2026-03-01"), 150_00), (d("2026-03-15"), 150_00)]
        );
    }
);

storage_test!(
    fn collateral_pauses_and_holds_are_on_the_credit_file(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let deposit = NewCollateral {
            customer_ref: "ALPHA".into(),
            kind: CollateralKind::Deposit,
            amount_minor: 2_500_00,
            currency: usd(),
            filed_on: Some(d("2026-01-02")),
            expires_on: Some(d("2026-03-31")),
            reference: "BANK-77".into(),
            note: "held in escrow".into(),
            on: d("2026-01-02"),
            author: CLERK.into(),
        };
        let held = store.add_collateral(acme.id, &deposit).unwrap();
        let guarantee = NewCollateral {
            kind: CollateralKind::PersonalGuarantee,
            expires_on: None,
            ..deposit.clone()
        };
        store.add_collateral(acme.id, &guarantee).unwrap();
        let listed = store.collateral(acme.id, Some("ALPHA")).unwrap();
        assert_eq!(listed[0], held, "the soonest to expire first");
        assert_eq!(listed[1].kind, CollateralKind::PersonalGuarantee);
        assert_eq!(CollateralKind::parse("ucc1").unwrap(), CollateralKind::Ucc1);
        assert!(CollateralKind::parse("ucc2").is_err());
        refused(
            store,
            &acme,
            &["expires 2026-01-01 is before filed 2026-01-02"],
            |s| {
                s.add_collateral(
                    acme.id,
                    &NewCollateral {
                        expires_on: Some(d("2026-01-01")),
                        ..deposit.clone()
                    },
                )
            },
        );
        refused(store, &acme, &["positive"], |s| {
            s.add_collateral(
                acme.id,
                &NewCollateral {
                    amount_minor: 0,
                    ..deposit.clone()
                },
            )
        });

        // Pauses.
        refused(store, &acme, &["before"], |s| {
            s.pause_customer(
                acme.id,
                "ALPHA",
                Some(d("2026-01-31")),
                "holiday",
                d("2026-02-01"),
                CLERK,
            )
        });
        refused(store, &acme, &["not paused"], |s| {
            s.resume_customer(acme.id, "ALPHA", d("2026-02-01"), CLERK)
        });
        let paused = store
            .pause_customer(
                acme.id,
                "ALPHA",
                Some(d("2026-02-28")),
                "owner on holiday",
                d("2026-02-01"),
                CLERK,
            )
            .unwrap();
        assert_eq!(paused.paused_until, Some(d("2026-02-28")));
        let forever = store
            .pause_customer(acme.id, "ALPHA", None, "in talks", d("2026-02-02"), CLERK)
            .unwrap();
        assert_eq!(forever.paused_until, Some(paused_indefinitely()));
        refused(store, &acme, &["reason"], |s| {
            s.pause_customer(acme.id, "ALPHA", None, " ", d("2026-02-02"), CLERK)
        });
        let resumed = store
            .resume_customer(acme.id, "ALPHA", d("2026-02-03"), CLERK)
            .unwrap();
        assert_eq!(resumed.paused_until, None);

        // A person's status: the run may not lift it.
        let held_status = store
            .set_customer_status(
                acme.id,
                "ALPHA",
                &StatusDecision {
                    status: CustomerStatus::OnHold,
                    reason: "cheque bounced twice",
                    until: None,
                },
                d("2026-02-04"),
                CLERK,
            )
            .unwrap();
        assert_eq!(
            (held_status.status, held_status.status_by_policy),
            (CustomerStatus::OnHold, false)
        );
        assert_eq!(store.customer(acme.id, "ALPHA").unwrap().status, "on_hold");
        refused(store, &acme, &["already on_hold"], |s| {
            s.set_customer_status(
                acme.id,
                "ALPHA",
                &StatusDecision {
                    status: CustomerStatus::OnHold,
                    reason: "again",
                    until: None,
                },
                d("2026-02-04"),
                CLERK,
            )
        });
        assert_eq!(
            kinds(store, &acme, &alpha),
            [
                "status_change",
                "resume",
                "pause",
                "pause",
                "collateral",
                "collateral"
            ]
        );
        let timeline = store.timeline(acme.id, alpha.id, None, 1).unwrap();
        assert_eq!(
            timeline[0].summary,
            "Status active → on_hold: cheque bounced twice"
        );
    }
);

storage_test!(
    fn issuing_over_the_limit_or_on_hold_needs_an_override_with_a_reason(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let mut row = customer_row("ALPHA", "Alpha Corp");
        row.credit_limit_minor = Some(1_000_00);
        let alpha = store.add_customer(acme.id, &row, None).unwrap();
        invoice(store, &acme, &alpha, "2026-01-05", "net30", 800_00);
        let over = store
            .create_invoice(
                acme.id,
                &draft(alpha.id, d("2026-01-06"), "net30", 300_00),
                None,
            )
            .unwrap();
        let key = over.to_string();
        let error = refused(
            store,
            &acme,
            &[
                "owe 1100.00 USD",
                "credit limit of 1000.00 USD",
                "issuing needs an override with a reason",
            ],
            |s| s.issue_invoice(acme.id, &key, None, None),
        );
        assert!(matches!(error, StoreError::Refused(_)), "{error:?}");
        refused(store, &acme, &["reason"], |s| {
            s.issue_invoice(
                acme.id,
                &key,
                Some(IssueOverride {
                    reason: " ",
                    author: CLERK,
                }),
                None,
            )
        });
        // Up to the limit is fine; a currency other than the limit's
        // counts at the owner's rate: 185.00 EUR × 1.08 = 199.80 USD.
        store
            .set_rate(
                acme.id,
                eur(),
                usd(),
                Rate::parse("1.08").unwrap(),
                d("2026-01-01"),
                CLERK,
            )
            .unwrap();
        let euros = issue_draft(
            store,
            &acme,
            &draft_in(alpha.id, eur(), d("2026-01-06"), "net30", 185_00),
        );
        assert_eq!(euros.number, "INV-000002", "the refusals took no number");
        let posted = store
            .issue_invoice(
                acme.id,
                &key,
                Some(IssueOverride {
                    reason: "paid a deposit of 300.00",
                    author: CLERK,
                }),
                None,
            )
            .unwrap();
        assert_eq!(posted.number, "INV-000003");
        let logged = &store.timeline(acme.id, alpha.id, None, 1).unwrap()[0];
        assert_eq!(
            (logged.kind.as_str(), logged.author.as_str()),
            ("override", CLERK)
        );
        assert!(
            logged.summary.contains("INV-000003")
                && logged.summary.contains("credit limit of 1000.00 USD")
                && logged.summary.contains("paid a deposit of 300.00"),
            "{}",
            logged.summary
        );
        assert_eq!(logged.invoice_ids, vec![posted.invoice_id]);
        // Within the limit, an override reason changes nothing and logs nothing.
        let beta = customer(store, &acme, "BETA");
        let small = store
            .create_invoice(
                acme.id,
                &draft(beta.id, d("2026-01-06"), "net30", 10_00),
                None,
            )
            .unwrap();
        store
            .issue_invoice(
                acme.id,
                &small.to_string(),
                Some(IssueOverride {
                    reason: "not needed",
                    author: CLERK,
                }),
                None,
            )
            .unwrap();
        // Issued within the limit: nothing overridden, only the issue logged.
        assert_eq!(kinds(store, &acme, &beta), ["invoice_issued"]);

        // A hold refuses any amount.
        store
            .set_customer_status(
                acme.id,
                "BETA",
                &StatusDecision {
                    status: CustomerStatus::CodRequired,
                    reason: "60 days late elsewhere",
                    until: None,
                },
                d("2026-01-07"),
                CLERK,
            )
            .unwrap();
        let tiny = store
            .create_invoice(acme.id, &draft(beta.id, d("2026-01-08"), "net30", 1), None)
            .unwrap();
        refused(store, &acme, &["cod_required"], |s| {
            s.issue_invoice(acme.id, &tiny.to_string(), None, None)
        });
        store
            .issue_invoice(
                acme.id,
                &tiny.to_string(),
                Some(IssueOverride {
                    reason: "cash received on delivery",
                    author: CLERK,
                }),
                None,
            )
            .unwrap();
        assert_eq!(
            kinds(store, &acme, &beta),
            [
                "override",
                "invoice_issued",
                "status_change",
                "invoice_issued"
            ]
        );
    }
);

storage_test!(
    fn the_worklist_ranks_late_small_debts_and_risky_tiers_first(store: &mut Store, url: &str) {
        let acme = org(store, "Acme Ltd");
        let small_late = customer(store, &acme, "SMALL");
        let big_fresh = customer(store, &acme, "BIG");
        let critical = customer(store, &acme, "CRIT");
        let low = customer(store, &acme, "LOW");
        let quiet = customer(store, &acme, "QUIET");
        let as_of = d("2026-03-12");
        // 50.00 due 2026-02-01: 39 days late on the 12th of March.
        invoice(store, &acme, &small_late, "2026-01-02", "net30", 50_00);
        // 5,000.00 due 2026-03-13: not late yet.
        invoice(store, &acme, &big_fresh, "2026-02-11", "net30", 5_000_00);
        // Same debts, different tiers.
        invoice(store, &acme, &critical, "2026-02-01", "net30", 500_00);
        invoice(store, &acme, &low, "2026-02-01", "net30", 500_00);
        set_tier(url, &critical, Tier::Critical);
        set_tier(url, &low, Tier::Low);
        let mut ids = Vec::new();
        for c in [&big_fresh, &small_late, &low, &critical, &quiet] {
            let task = store
                .add_task(
                    acme.id,
                    &c.reference,
                    "Call about the balance",
                    d("2026-03-10"),
                    d("2026-03-10"),
                    CLERK,
                )
                .unwrap();
            assert_eq!(
                (task.kind.as_str(), task.status.as_str()),
                ("internal", "open")
            );
            ids.push(task.id);
        }
        // Not due yet on the day: not on the list.
        store
            .add_task(
                acme.id,
                "LOW",
                "Send the statement",
                d("2026-03-20"),
                d("2026-03-10"),
                CLERK,
            )
            .unwrap();
        store
            .log_contact(
                acme.id,
                &NewContact {
                    customer_ref: "SMALL".into(),
                    kind: ContactKind::Call,
                    summary: String::new(),
                    outcome: Some("left voicemail".into()),
                    on: d("2026-03-11"),
                    author: CLERK.into(),
                    invoices: Vec::new(),
                    promise: None,
                },
            )
            .unwrap();

        let rows = store.worklist(acme.id, as_of, 100).unwrap();
        let order: Vec<&str> = rows.iter().map(|r| r.customer_ref.as_str()).collect();
        let at = |name: &str| order.iter().position(|r| *r == name).unwrap();
        assert!(at("SMALL") < at("BIG"), "{order:?}");
        assert!(at("CRIT") < at("LOW"), "{order:?}");
        assert_eq!(
            order.last(),
            Some(&"QUIET"),
            "owing nothing, last: {order:?}"
        );
        assert_eq!(rows.len(), 5);
        let small = &rows[at("SMALL")];
        assert_eq!(
            (small.owed_minor, small.currency, small.days_late),
            (50_00, Some(usd()), 39)
        );
        let contact = small.last_contact.as_ref().expect("the call");
        assert_eq!(
            (contact.kind.as_str(), contact.on),
            ("call", d("2026-03-11"))
        );
        assert_eq!(small.next_step, "Call about the balance");
        let crit = &rows[at("CRIT")];
        assert_eq!((crit.tier, crit.tier_weight_percent), (Tier::Critical, 300));
        assert_eq!(rows[at("LOW")].tier_weight_percent, 100);
        assert_eq!(rows[at("BIG")].days_late, 0);
        assert_eq!(store.worklist(acme.id, as_of, 2).unwrap().len(), 2);

        // Done: off the list, on the timeline.
        let done = store
            .complete_task(
                acme.id,
                small.task_id,
                "promised to pay Friday",
                as_of,
                CLERK,
            )
            .unwrap();
        assert_eq!(
            (done.status.as_str(), done.outcome.as_deref()),
            ("done", Some("promised to pay Friday"))
        );
        assert!(done.closed_at.is_some());
        assert!(store
            .worklist(acme.id, as_of, 100)
            .unwrap()
            .iter()
            .all(|r| r.task_id != small.task_id));
        assert_eq!(kinds(store, &acme, &small_late)[0], "task_done");
        refused(store, &acme, &["already done"], |s| {
            s.complete_task(acme.id, small.task_id, "again", as_of, CLERK)
        });
        refused(store, &acme, &["outcome"], |s| {
            s.complete_task(acme.id, ids[0], "", as_of, CLERK)
        });
        refused(store, &acme, &["task", "4242"], |s| {
            s.complete_task(acme.id, 4242, "done", as_of, CLERK)
        });
        refused(store, &acme, &["title"], |s| {
            s.add_task(acme.id, "LOW", "", as_of, as_of, CLERK)
        });

        // Reopened with a reason: back on the list, the old outcome kept on
        // the timeline; an open task is not reopened, nor without a reason.
        refused(store, &acme, &["reason"], |s| {
            s.reopen_task(acme.id, small.task_id, " ", as_of, CLERK)
        });
        let again = store
            .reopen_task(
                acme.id,
                small.task_id,
                "the promised payment did not come",
                as_of,
                CLERK,
            )
            .unwrap();
        assert_eq!(
            (
                again.status.as_str(),
                again.outcome.as_deref(),
                again.closed_at.as_deref()
            ),
            ("open", None, None)
        );
        assert!(store
            .worklist(acme.id, as_of, 100)
            .unwrap()
            .iter()
            .any(|r| r.task_id == small.task_id));
        assert_eq!(
            kinds(store, &acme, &small_late)[..2],
            ["task_reopened", "task_done"]
        );
        let entry = &store.timeline(acme.id, small_late.id, None, 1).unwrap()[0];
        assert!(
            entry.summary.contains("the promised payment did not come"),
            "{}",
            entry.summary
        );
        assert_eq!(entry.detail["outcome_before"], "promised to pay Friday");
        refused(store, &acme, &["not done"], |s| {
            s.reopen_task(acme.id, small.task_id, "again", as_of, CLERK)
        });
        refused(store, &acme, &["task", "4242"], |s| {
            s.reopen_task(acme.id, 4242, "why", as_of, CLERK)
        });
    }
);

storage_test!(
    fn the_timeline_shows_everything_newest_first(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let a = invoice(store, &acme, &alpha, "2026-01-05", "net30", 300_00);
        let b = invoice(store, &acme, &alpha, "2026-01-06", "net30", 200_00);
        store
            .log_contact(
                acme.id,
                &NewContact {
                    customer_ref: "ALPHA".into(),
                    kind: ContactKind::Note,
                    summary: "First contact".into(),
                    outcome: None,
                    on: d("2026-02-01"),
                    author: CLERK.into(),
                    invoices: Vec::new(),
                    promise: None,
                },
            )
            .unwrap();
        store
            .add_promise(
                acme.id,
                &promise(&alpha, 100_00, "2026-02-20", &[&a.number]),
                None,
            )
            .unwrap();
        let opened = store
            .open_dispute(acme.id, &dispute(&b.number, None), None)
            .unwrap();
        store
            .create_plan(
                acme.id,
                &plan(&alpha, &[&a.number], &[("2026-03-01", 300_00)]),
                None,
            )
            .unwrap();
        store
            .resolve_dispute(
                acme.id,
                opened.id,
                &Resolution::CreditNote {
                    amount_minor: 200_00,
                    reason: "returned".into(),
                },
                d("2026-02-16"),
                CLERK,
            )
            .unwrap();
        store
            .pause_customer(
                acme.id,
                "ALPHA",
                Some(d("2026-03-01")),
                "plan agreed",
                d("2026-02-16"),
                CLERK,
            )
            .unwrap();
        let task = store
            .add_task(
                acme.id,
                "ALPHA",
                "Check the first installment",
                d("2026-03-02"),
                d("2026-02-16"),
                CLERK,
            )
            .unwrap();
        store
            .complete_task(acme.id, task.id, "paid", d("2026-03-02"), CLERK)
            .unwrap();
        assert_eq!(
            kinds(store, &acme, &alpha),
            [
                "task_done",
                "task",
                "pause",
                "dispute_resolved",
                "plan",
                "dispute",
                "promise",
                "note",
                "invoice_issued",
                "invoice_issued"
            ]
        );
        assert_eq!(open_of(store, &acme, &b.number), 0);
        // Paging: before an entry's id, the older ones.
        let all = store.timeline(acme.id, alpha.id, None, 100).unwrap();
        let older = store
            .timeline(
                acme.id,
                alpha.id,
                Some(dun_store::timeline::TimelineCursor::after(&all[2])),
                100,
            )
            .unwrap();
        assert_eq!(older, all[3..].to_vec());
    }
);

storage_test!(
    fn a_credit_limit_counts_other_currencies_through_rates(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let mut row = customer_row("ALPHA", "Alpha Corp");
        row.credit_limit_minor = Some(1_000_00);
        let alpha = store.add_customer(acme.id, &row, None).unwrap();
        let jpy = dun_core::Currency::parse("JPY").unwrap();
        let big_eur = draft_in(alpha.id, eur(), d("2026-01-06"), "net30", 50_000_00);
        // No rate from EUR to USD: refused, naming it; and a refused
        // create-and-issue leaves no draft behind.
        refused(
            store,
            &acme,
            &[
                "cannot issue invoice",
                "no exchange rate from EUR to USD is set for 2026-01-06",
                "set a rate from EUR to USD in force on that day",
            ],
            |s| s.create_and_issue_invoice(acme.id, &big_eur, None, None),
        );
        assert!(all_invoices(store, acme.id).is_empty(), "an orphan draft");
        // A rate from a later date is not in force yet.
        let rate = |text: &str| Rate::parse(text).unwrap();
        store
            .set_rate(acme.id, eur(), usd(), rate("1.10"), d("2026-03-01"), CLERK)
            .unwrap();
        refused(store, &acme, &["no exchange rate from EUR"], |s| {
            s.create_and_issue_invoice(acme.id, &big_eur, None, None)
        });
        store
            .set_rate(acme.id, eur(), usd(), rate("1.08"), d("2026-01-01"), CLERK)
            .unwrap();
        // 50,000.00 EUR counts as 54,000.00 USD against 1,000.00 USD.
        refused(
            store,
            &acme,
            &["would owe 54000.00 USD against a credit limit of 1000.00 USD"],
            |s| s.create_and_issue_invoice(acme.id, &big_eur, None, None),
        );
        // 900.00 EUR = 972.00 USD fits; then it counts toward a USD invoice.
        let posted = store
            .create_and_issue_invoice(
                acme.id,
                &draft_in(alpha.id, eur(), d("2026-01-06"), "net30", 900_00),
                None,
                None,
            )
            .unwrap();
        assert_eq!(
            (posted.number.as_str(), posted.open_minor),
            ("INV-000001", 900_00)
        );
        refused(store, &acme, &["would owe 1002.00 USD"], |s| {
            s.create_and_issue_invoice(
                acme.id,
                &draft(alpha.id, d("2026-01-07"), "net30", 30_00),
                None,
                None,
            )
        });
        invoice(store, &acme, &alpha, "2026-01-07", "net30", 28_00);
        // From March the EUR open counts at 1.10: 990.00 + 28.00 + 1.00 > 1000.00.
        refused(store, &acme, &["would owe 1019.00 USD"], |s| {
            s.create_and_issue_invoice(
                acme.id,
                &draft(alpha.id, d("2026-03-02"), "net30", 1_00),
                None,
                None,
            )
        });
        // A currency with no rate at all; a person may still override.
        let yen = draft_in(alpha.id, jpy, d("2026-01-08"), "net30", 1000);
        refused(store, &acme, &["no exchange rate from JPY to USD"], |s| {
            s.create_and_issue_invoice(acme.id, &yen, None, None)
        });
        let posted = store
            .create_and_issue_invoice(
                acme.id,
                &yen,
                Some(IssueOverride {
                    reason: "paid in cash on delivery",
                    author: CLERK,
                }),
                None,
            )
            .unwrap();
        let logged = &store.timeline(acme.id, alpha.id, None, 1).unwrap()[0];
        assert_eq!(logged.kind, "override");
        assert!(
            logged.summary.contains(&posted.number)
                && logged.summary.contains("no exchange rate from JPY to USD"),
            "{}",
            logged.summary
        );
        // Rates are kept with their dates; the same pair and day is replaced.
        store
            .set_rate(acme.id, eur(), usd(), rate("1.09"), d("2026-01-01"), "ann")
            .unwrap();
        let list: Vec<String> = store
            .rates(acme.id)
            .unwrap()
            .iter()
            .map(|r| {
                format!(
                    "{} {} {} {} {}",
                    r.rate.from, r.rate.to, r.rate.rate, r.rate.effective_from, r.author
                )
            })
            .collect();
        assert_eq!(
            list,
            [
                "EUR USD 1.09 2026-01-01 ann",
                format!("EUR USD 1.10 2026-03-01 {CLERK}").as_str()
            ]
        );
        // The domain's checks, named by field.
        let same = store
            .set_rate(acme.id, usd(), usd(), rate("1"), d("2026-01-01"), CLERK)
            .unwrap_err();
        assert!(same.to_string().starts_with("to: "), "{same}");
        let zero = store
            .set_rate(acme.id, eur(), usd(), rate("0"), d("2026-01-01"), CLERK)
            .unwrap_err();
        assert!(zero.to_string().starts_with("rate: "), "{zero}");
        // Customers without a limit are not checked in any currency.
        let beta = customer(store, &acme, "BETA");
        store
            .create_and_issue_invoice(
                acme.id,
                &draft_in(beta.id, jpy, d("2026-01-08"), "net30", 5_000_000),
                None,
                None,
            )
            .unwrap();
    }
);

storage_test!(
    fn the_timeline_is_in_the_order_things_happened(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        invoice(store, &acme, &alpha, "2026-01-01", "net30", 100_00);
        let note = |on: &str, text: &str| NewContact {
            customer_ref: "ALPHA".into(),
            kind: ContactKind::Note,
            summary: text.into(),
            outcome: None,
            on: d(on),
            author: CLERK.into(),
            invoices: Vec::new(),
            promise: None,
        };
        store
            .log_contact(acme.id, &note("2026-03-01", "March"))
            .unwrap();
        // Learnt today, paid in February: it sits in February.
        let mut paid = payment(&alpha, "2026-02-01", 100_00);
        paid.note = "the bank statement came late".into();
        store
            .record_payment(acme.id, &paid, &Allocate::OldestDueFirst, None)
            .unwrap();
        store
            .log_contact(acme.id, &note("2026-03-01", "March, later"))
            .unwrap();
        let all = store.timeline(acme.id, alpha.id, None, 100).unwrap();
        let order: Vec<(String, String)> = all
            .iter()
            .map(|e| (e.on_date.to_string(), e.kind.clone()))
            .collect();
        assert_eq!(
            order,
            [
                ("2026-03-01".to_string(), "note".to_string()),
                ("2026-03-01".to_string(), "note".to_string()),
                ("2026-02-01".to_string(), "payment".to_string()),
                ("2026-01-01".to_string(), "invoice_issued".to_string()),
            ]
        );
        assert!(all[0].summary.contains("later"), "{}", all[0].summary);
        // Paging follows the same order.
        let cursor = dun_store::timeline::TimelineCursor::after(&all[1]);
        let rest = store
            .timeline(acme.id, alpha.id, Some(cursor), 100)
            .unwrap();
        assert_eq!(rest, all[2..].to_vec());
        let parsed = dun_store::timeline::TimelineCursor::parse(&cursor.key());
        assert_eq!(parsed, Some(cursor));
    }
);
