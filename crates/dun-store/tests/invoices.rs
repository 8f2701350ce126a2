//! Invoices: drafts, gap-free numbers at issue, voids, credit notes and
//! write-offs.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use common::*;
use dun_core::invoice::{InvoiceError, InvoiceLine};
use dun_core::ledger::EntryKind;
use dun_core::money::UnitPrice;
use dun_core::posting::PostingError;
use dun_core::state::SettlementStatus;
use dun_store::invoices::Reduction;
use dun_store::payments::Allocate;
use dun_store::{Store, StoreError};

storage_test!(
    fn issuing_numbers_invoices_in_issue_order_without_gaps(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let beta = customer(store, &acme, "BETA");
        let drafts: Vec<i64> = [(alpha.id, 100_00), (beta.id, 250_00), (alpha.id, 75_50)]
            .into_iter()
            .map(|(customer, amount)| {
                store
                    .create_invoice(
                        acme.id,
                        &draft(customer, d("2026-01-05"), "net30", amount),
                        None,
                    )
                    .unwrap()
            })
            .collect();
        // A draft has no number and posts nothing.
        let listed = all_invoices(store, acme.id);
        assert!(
            listed
                .iter()
                .all(|i| i.number.is_none() && i.status == "draft"),
            "{listed:?}"
        );
        assert!(store.entries(acme.id).unwrap().is_empty());

        // Numbers follow the order of issue, not of drafting.
        let third = store
            .issue_invoice(acme.id, &drafts[2].to_string(), None, None)
            .unwrap();
        let first = store
            .issue_invoice(acme.id, &format!("#{}", drafts[0]), None, None)
            .unwrap();
        assert_eq!(
            (third.number.as_str(), first.number.as_str()),
            ("INV-000001", "INV-000002")
        );
        assert_eq!((third.amount_minor, third.open_minor), (75_50, 75_50));

        // A refused issue hands no number out.
        assert!(store
            .issue_invoice(acme.id, "INV-000001", None, None)
            .is_err());
        assert!(store
            .issue_invoice(acme.id, "INV-999999", None, None)
            .is_err());
        let empty = draft(alpha.id, d("2026-01-05"), "net30", 1);
        let empty = dun_core::invoice::InvoiceDraft {
            lines: Vec::new(),
            ..empty
        };
        assert!(matches!(
            store.create_invoice(acme.id, &empty, None),
            Err(StoreError::Invoice(InvoiceError::NoLines))
        ));
        let second = store
            .issue_invoice(acme.id, &drafts[1].to_string(), None, None)
            .unwrap();
        assert_eq!(second.number, "INV-000003");

        let mut numbers: Vec<String> = all_invoices(store, acme.id)
            .into_iter()
            .filter_map(|i| i.number)
            .collect();
        numbers.sort();
        assert_eq!(numbers, ["INV-000001", "INV-000002", "INV-000003"]);
        let issued: Vec<(Option<i64>, i64)> = store
            .entries(acme.id)
            .unwrap()
            .iter()
            .filter(|e| e.entry.kind == EntryKind::InvoiceIssued)
            .map(|e| (e.entry.invoice_id, e.entry.ar_minor))
            .collect();
        assert_eq!(
            issued,
            [
                (Some(drafts[2]), 75_50),
                (Some(drafts[0]), 100_00),
                (Some(drafts[1]), 250_00)
            ]
        );

        // Each organisation has its own sequence.
        let globex = org(store, "Globex");
        let gamma = customer(store, &globex, "GAMMA");
        assert_eq!(
            invoice(store, &globex, &gamma, "2026-01-06", "net30", 10_00).number,
            "INV-000001"
        );
        assert_eq!(
            invoice(store, &acme, &beta, "2026-01-06", "net30", 10_00).number,
            "INV-000004"
        );
    }
);

storage_test!(
    /// Issue 15 item 2: a unit price finer than the cent is stored, read,
    /// replaced and issued exactly; each line's net is rounded half-even to
    /// the cent once, and the totals add the rounded lines.
    fn a_unit_price_finer_than_the_cent_is_kept_exactly(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let price = |t: &str| UnitPrice::parse(t, usd()).unwrap();
        let mut bill = draft(alpha.id, d("2026-01-05"), "net30", 1);
        bill.lines = vec![
            // 3 × 13.333 = 39.999 → 40.00, 20 % tax 8.00.
            InvoiceLine::priced("Bolts", 30_000, price("13.333"), 200_000).unwrap(),
            // 0.3333 × 13.333 = 4.4438889 → 4.44.
            InvoiceLine::priced("Part", 3_333, price("13.333"), 0).unwrap(),
            // In cents, as every price was.
            InvoiceLine::new("Whole", 10_000, 5_00, 0).unwrap(),
        ];
        let id = store.create_invoice(acme.id, &bill, None).unwrap();
        let key = id.to_string();
        let view = store.invoice(acme.id, &key, d("2026-01-05")).unwrap();
        assert_eq!(view.lines, bill.lines);
        assert_eq!(
            (
                view.totals.subtotal_minor,
                view.totals.tax_minor,
                view.totals.total_minor
            ),
            (49_44, 8_00, 57_44)
        );
        // Replaced by another finer price: 2 × 0.000005 = 0.00001 → 0.00.
        bill.lines[1] = InvoiceLine::priced("Dust", 20_000, price("0.000005"), 0).unwrap();
        store.replace_draft(acme.id, &key, &bill, None).unwrap();
        let view = store.invoice(acme.id, &key, d("2026-01-05")).unwrap();
        assert_eq!(view.lines, bill.lines);
        assert_eq!(view.lines[1].unit_price.format(usd()), "0.000005");
        assert_eq!(view.totals.total_minor, 53_00);
        let posted = store.issue_invoice(acme.id, &key, None, None).unwrap();
        let view = store
            .invoice(acme.id, &posted.number, d("2026-01-05"))
            .unwrap();
        assert_eq!(
            (view.lines.clone(), view.open_minor),
            (bill.lines.clone(), 53_00)
        );
    }
);

storage_test!(
    fn issuing_twice_is_refused(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let id = store
            .create_invoice(
                acme.id,
                &draft(alpha.id, d("2026-01-05"), "net30", 100_00),
                None,
            )
            .unwrap();
        let posted = store
            .issue_invoice(acme.id, &id.to_string(), None, None)
            .unwrap();
        assert_eq!(posted.invoice_id, id);
        for again in [id.to_string(), posted.number.clone()] {
            match store.issue_invoice(acme.id, &again, None, None) {
                Err(StoreError::Conflict(message)) => assert!(
                    message.contains("INV-000001 is already issued"),
                    "{message}"
                ),
                other => panic!("a second issue of {again} was not refused: {other:?}"),
            }
        }
        assert_eq!(count_kind(store, acme.id, EntryKind::InvoiceIssued), 1);
        let view = store
            .invoice(acme.id, "INV-000001", d("2026-01-05"))
            .unwrap();
        assert_eq!(
            (view.due_date, view.open_minor, view.status),
            (d("2026-02-04"), 100_00, SettlementStatus::Open)
        );
    }
);

storage_test!(
    fn issuing_fixes_the_schedule_from_the_terms(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let split = invoice(
            store,
            &acme,
            &alpha,
            "2026-01-31",
            "installments:30/60/90",
            100_01,
        );
        let view = store
            .invoice(acme.id, &split.number, d("2026-01-31"))
            .unwrap();
        assert_eq!(
            view.schedule,
            terms("installments:30/60/90").schedule(d("2026-01-31"), 100_01)
        );
        assert_eq!(
            view.schedule
                .iter()
                .map(|i| i.amount_minor)
                .collect::<Vec<_>>(),
            [33_34, 33_34, 33_33]
        );
        assert_eq!(
            view.due_date,
            d("2026-05-01"),
            "due with the last installment"
        );
        let eom = invoice(store, &acme, &alpha, "2026-01-20", "eom15", 10_00);
        assert_eq!(
            store
                .invoice(acme.id, &eom.number, d("2026-01-20"))
                .unwrap()
                .due_date,
            d("2026-02-15")
        );
    }
);

storage_test!(
    fn an_invoice_is_voided_only_without_settlements(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let clean = invoice(store, &acme, &alpha, "2026-01-05", "net30", 100_00);
        let paid = invoice(store, &acme, &alpha, "2026-01-05", "net30", 200_00);
        let credited = invoice(store, &acme, &alpha, "2026-01-05", "net30", 300_00);
        store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-01-10", 50_00),
                &Allocate::Explicit(vec![(paid.number.clone(), 50_00)]),
                None,
            )
            .unwrap();
        store
            .reduce_invoice(
                acme.id,
                &credited.number,
                &credit_note(Some(10_00), "2026-01-10"),
                None,
            )
            .unwrap();

        let before = snapshot(store, acme.id);
        for number in [&paid.number, &credited.number] {
            let refused = store.void_invoice(acme.id, number, d("2026-01-20"), "mistake", None);
            assert!(
                matches!(refused, Err(StoreError::Posting(PostingError::HasSettlements(ref n))) if n == number),
                "{refused:?}"
            );
        }
        let too_early =
            store.void_invoice(acme.id, &clean.number, d("2026-01-04"), "mistake", None);
        assert!(
            matches!(
                too_early,
                Err(StoreError::Posting(PostingError::TooEarly { .. }))
            ),
            "{too_early:?}"
        );
        let draft_id = store
            .create_invoice(
                acme.id,
                &draft(alpha.id, d("2026-01-05"), "net30", 5_00),
                None,
            )
            .unwrap();
        let draft_void = store.void_invoice(
            acme.id,
            &draft_id.to_string(),
            d("2026-01-20"),
            "mistake",
            None,
        );
        assert!(
            matches!(
                draft_void,
                Err(StoreError::Posting(PostingError::NotIssued(_)))
            ),
            "{draft_void:?}"
        );
        let mut after = snapshot(store, acme.id);
        after.invoices -= 1; // the draft
        assert_eq!(after, before, "a refused void changed the book");

        let voided = store
            .void_invoice(
                acme.id,
                &clean.number,
                d("2026-01-20"),
                "entered twice",
                None,
            )
            .unwrap();
        assert_eq!((voided.amount_minor, voided.open_minor), (100_00, 0));
        let view = store
            .invoice(acme.id, &clean.number, d("2026-01-20"))
            .unwrap();
        assert_eq!((view.status, view.open_minor), (SettlementStatus::Void, 0));
        // Before the void it was open, and stays so in any report dated then.
        assert_eq!(
            store
                .invoice(acme.id, &clean.number, d("2026-01-19"))
                .unwrap()
                .status,
            SettlementStatus::Open
        );
        let again = store.void_invoice(acme.id, &clean.number, d("2026-01-21"), "again", None);
        assert!(
            matches!(again, Err(StoreError::Posting(PostingError::Void(_)))),
            "{again:?}"
        );
        let paying_void = store.record_payment(
            acme.id,
            &payment(&alpha, "2026-01-22", 10_00),
            &Allocate::Explicit(vec![(clean.number.clone(), 10_00)]),
            None,
        );
        assert!(
            matches!(paying_void, Err(StoreError::Posting(PostingError::Void(_)))),
            "{paying_void:?}"
        );
        assert_eq!(count_kind(store, acme.id, EntryKind::InvoiceVoided), 1);
    }
);

storage_test!(
    fn credit_notes_are_numbered_and_never_exceed_what_is_open(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let first = invoice(store, &acme, &alpha, "2026-01-05", "net30", 100_00);
        let second = invoice(store, &acme, &alpha, "2026-01-06", "net30", 40_00);

        let cn1 = store
            .reduce_invoice(
                acme.id,
                &first.number,
                &credit_note(Some(30_00), "2026-01-10"),
                None,
            )
            .unwrap();
        assert_eq!(cn1.document_number.as_deref(), Some("CN-000001"));
        assert_eq!((cn1.amount_minor, cn1.open_minor), (30_00, 70_00));

        let before = snapshot(store, acme.id);
        let too_much = store.reduce_invoice(
            acme.id,
            &first.number,
            &credit_note(Some(70_01), "2026-01-11"),
            None,
        );
        assert!(
            matches!(
                too_much,
                Err(StoreError::Posting(PostingError::ExceedsOpen { .. }))
            ),
            "{too_much:?}"
        );
        let before_issue = store.reduce_invoice(
            acme.id,
            &first.number,
            &credit_note(Some(1_00), "2026-01-04"),
            None,
        );
        assert!(
            matches!(
                before_issue,
                Err(StoreError::Posting(PostingError::TooEarly { .. }))
            ),
            "{before_issue:?}"
        );
        let zero = store.reduce_invoice(
            acme.id,
            &first.number,
            &credit_note(Some(0), "2026-01-11"),
            None,
        );
        assert!(
            matches!(zero, Err(StoreError::Posting(PostingError::Amount(0)))),
            "{zero:?}"
        );
        let not_a_reduction = store.reduce_invoice(
            acme.id,
            &first.number,
            &Reduction {
                kind: EntryKind::Fee,
                ..credit_note(Some(1_00), "2026-01-11")
            },
            None,
        );
        assert!(
            matches!(not_a_reduction, Err(StoreError::Invalid(_))),
            "{not_a_reduction:?}"
        );
        assert_eq!(
            snapshot(store, acme.id),
            before,
            "a refused credit note changed the book"
        );

        // A refused credit note hands no number out; None credits all that is open.
        let cn2 = store
            .reduce_invoice(
                acme.id,
                &first.number,
                &credit_note(None, "2026-01-12"),
                None,
            )
            .unwrap();
        assert_eq!(
            (
                cn2.document_number.as_deref(),
                cn2.amount_minor,
                cn2.open_minor
            ),
            (Some("CN-000002"), 70_00, 0)
        );
        let cn3 = store
            .reduce_invoice(
                acme.id,
                &second.number,
                &credit_note(Some(5_00), "2026-01-12"),
                None,
            )
            .unwrap();
        assert_eq!(cn3.document_number.as_deref(), Some("CN-000003"));
        let nothing_left = store.reduce_invoice(
            acme.id,
            &first.number,
            &credit_note(Some(1), "2026-01-13"),
            None,
        );
        assert!(
            matches!(
                nothing_left,
                Err(StoreError::Posting(PostingError::ExceedsOpen { .. }))
            ),
            "{nothing_left:?}"
        );

        // Settled by credit notes alone: it says so (issue 13 item 13c).
        assert_eq!(
            store
                .invoice(acme.id, &first.number, d("2026-01-12"))
                .unwrap()
                .status,
            SettlementStatus::Credited
        );
        assert_eq!(
            store
                .invoice(acme.id, &first.number, d("2026-01-11"))
                .unwrap()
                .open_minor,
            70_00,
            "as of before the second note"
        );
        let credits: Vec<i64> = store
            .entries(acme.id)
            .unwrap()
            .iter()
            .filter(|e| e.entry.kind == EntryKind::CreditNote)
            .map(|e| e.entry.ar_minor)
            .collect();
        assert_eq!(credits, [-30_00, -70_00, -5_00]);
    }
);

storage_test!(
    fn a_credit_note_cannot_take_back_what_a_later_payment_settled(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let inv = invoice(store, &acme, &alpha, "2026-01-05", "net30", 100_00);
        store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-02-01", 80_00),
                &Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
        // Back-dated before the payment, 100.00 was open then, but only 20.00
        // may go: more would leave the invoice below zero from 2026-02-01 on.
        let backdated = store.reduce_invoice(
            acme.id,
            &inv.number,
            &credit_note(Some(30_00), "2026-01-20"),
            None,
        );
        assert!(
            matches!(
                backdated,
                Err(StoreError::Posting(PostingError::ExceedsOpen { .. }))
            ),
            "{backdated:?}"
        );
        let ok = store
            .reduce_invoice(
                acme.id,
                &inv.number,
                &credit_note(Some(20_00), "2026-01-20"),
                None,
            )
            .unwrap();
        assert_eq!(ok.open_minor, 0);
        assert_eq!(
            store
                .invoice(acme.id, &inv.number, d("2026-01-25"))
                .unwrap()
                .open_minor,
            80_00
        );
    }
);

storage_test!(
    fn a_write_off_takes_off_what_is_left(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let inv = invoice(store, &acme, &alpha, "2026-01-05", "net30", 100_00);
        store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-02-10", 40_00),
                &Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
        let too_much = store.reduce_invoice(
            acme.id,
            &inv.number,
            &write_off(Some(60_01), "2026-06-30"),
            None,
        );
        assert!(
            matches!(
                too_much,
                Err(StoreError::Posting(PostingError::ExceedsOpen { .. }))
            ),
            "{too_much:?}"
        );
        let written = store
            .reduce_invoice(acme.id, &inv.number, &write_off(None, "2026-06-30"), None)
            .unwrap();
        assert_eq!(
            (
                written.amount_minor,
                written.open_minor,
                written.document_number
            ),
            (60_00, 0, None)
        );
        let view = store
            .invoice(acme.id, &inv.number, d("2026-06-30"))
            .unwrap();
        assert_eq!(
            (view.status, view.open_minor),
            (SettlementStatus::WrittenOff, 0)
        );
        assert_eq!(
            store
                .invoice(acme.id, &inv.number, d("2026-06-29"))
                .unwrap()
                .status,
            SettlementStatus::PartiallyPaid
        );
        // A write-off is no credit note: the credit-note sequence is untouched.
        let other = invoice(store, &acme, &alpha, "2026-07-01", "net30", 10_00);
        let cn = store
            .reduce_invoice(
                acme.id,
                &other.number,
                &credit_note(Some(1_00), "2026-07-02"),
                None,
            )
            .unwrap();
        assert_eq!(cn.document_number.as_deref(), Some("CN-000001"));
        assert_eq!(count_kind(store, acme.id, EntryKind::WriteOff), 1);
    }
);

storage_test!(
    /// Issue 13 item 13c and issue 17: an invoice's status says what
    /// happened to it, in the domain's words, the same in the list (every
    /// shell's) and on its page; each word filters the list to exactly the
    /// invoices it names. (At cf3f2f1 a credited invoice was
    /// "partially_paid", and paid and written-off ones were both
    /// "settled" in the CLI and API lists and "paid" on the web.)
    fn every_list_says_what_happened_in_the_domains_words(store: &mut Store) {
        use dun_store::invoices::{InvoiceFilter, StatusFilter};
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let number = |store: &mut Store, amount| {
            invoice(store, &acme, &alpha, "2026-01-05", "net30", amount).number
        };
        let paid = number(store, 100_00);
        let credited = number(store, 100_00);
        let partly_credited = number(store, 100_00);
        let written_off = number(store, 100_00);
        let partly_paid = number(store, 100_00);
        let open = number(store, 100_00);
        let void = number(store, 100_00);
        let pay = |store: &mut Store, number: &str, amount| {
            store
                .record_payment(
                    acme.id,
                    &payment(&alpha, "2026-01-20", amount),
                    &Allocate::Explicit(vec![(number.to_string(), amount)]),
                    None,
                )
                .unwrap();
        };
        pay(store, &paid, 100_00);
        pay(store, &partly_paid, 40_00);
        let reduce = |store: &mut Store, number: &str, reduction: Reduction| {
            store
                .reduce_invoice(acme.id, number, &reduction, None)
                .unwrap();
        };
        reduce(store, &credited, credit_note(None, "2026-01-21"));
        reduce(
            store,
            &partly_credited,
            credit_note(Some(30_00), "2026-01-21"),
        );
        reduce(store, &written_off, write_off(None, "2026-03-31"));
        store
            .void_invoice(acme.id, &void, d("2026-01-06"), "sent twice", None)
            .unwrap();
        let draft_id = store
            .create_invoice(
                acme.id,
                &draft(alpha.id, d("2026-01-05"), "net30", 5_00),
                None,
            )
            .unwrap();

        let expected = [
            (paid.as_str(), SettlementStatus::Paid),
            (&credited, SettlementStatus::Credited),
            (&partly_credited, SettlementStatus::PartiallyCredited),
            (&written_off, SettlementStatus::WrittenOff),
            (&partly_paid, SettlementStatus::PartiallyPaid),
            (&open, SettlementStatus::Open),
            (&void, SettlementStatus::Void),
        ];
        let list = |store: &mut Store, word: &str| {
            let mut found: Vec<(Option<String>, String)> = store
                .invoices(
                    acme.id,
                    &InvoiceFilter {
                        status: StatusFilter::parse(word).unwrap(),
                        as_of: Some(d("2026-06-01")),
                        limit: 100,
                        ..InvoiceFilter::default()
                    },
                )
                .unwrap()
                .into_iter()
                .map(|r| (r.number, r.status))
                .collect();
            found.sort();
            found
        };
        let all = list(store, "all");
        assert_eq!(all.len(), 8, "{all:?}");
        for (number, status) in expected {
            assert!(
                all.contains(&(Some(number.to_string()), status.as_str().to_string())),
                "{number} should be {status:?} in {all:?}"
            );
            let page = store.invoice(acme.id, number, d("2026-06-01")).unwrap();
            assert_eq!(page.status, status, "{number} on its page");
            // Each status word lists exactly the invoices with it (as a
            // filter, `open` is the group of all still owed: below).
            if status == SettlementStatus::Open {
                continue;
            }
            assert_eq!(
                list(store, status.as_str()),
                vec![(Some(number.to_string()), status.as_str().to_string())],
                "the {status:?} filter"
            );
        }
        assert!(all.contains(&(None, "draft".to_string())), "{draft_id}");
        let words = |rows: Vec<(Option<String>, String)>| -> Vec<String> {
            rows.into_iter().map(|(_, s)| s).collect()
        };
        // The groups: open is everything still owed, settled everything not.
        let mut open_words = words(list(store, "open"));
        open_words.sort();
        assert_eq!(open_words, ["open", "partially_credited", "partially_paid"]);
        let mut settled_words = words(list(store, "settled"));
        settled_words.sort();
        assert_eq!(settled_words, ["credited", "paid", "written_off"]);
        assert_eq!(list(store, "overdue").len(), 3);
        let refused = StatusFilter::parse("settledd").unwrap_err().to_string();
        assert!(refused.contains("partially_credited"), "{refused}");
    }
);

storage_test!(
    fn a_draft_is_edited_or_deleted_until_it_is_issued(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let beta = customer(store, &acme, "BETA");
        store.set_acting(Some("ann"));
        let id = store
            .create_invoice(
                acme.id,
                &draft(alpha.id, d("2026-03-01"), "net30", 100_00),
                None,
            )
            .unwrap();
        let key = format!("#{id}");
        // Edited: another customer, amount and terms; still a draft, no number.
        let edited = draft(beta.id, d("2026-03-02"), "net15", 250_00);
        assert_eq!(
            store.replace_draft(acme.id, &key, &edited, None).unwrap(),
            id
        );
        let v = store.invoice(acme.id, &key, d("2026-03-02")).unwrap();
        assert_eq!(
            (
                v.number.as_deref(),
                v.customer_ref.as_str(),
                v.totals.total_minor
            ),
            (None, "BETA", 250_00)
        );
        assert_eq!(v.due_date, d("2026-03-17"));
        assert_eq!(v.terms.to_string(), "net15");
        let timeline = store.timeline(acme.id, beta.id, None, 10).unwrap();
        assert_eq!(timeline[0].kind, "draft_edited");
        assert_eq!(timeline[0].author, "ann");
        assert!(
            timeline[0].summary.contains("100.00 USD → 250.00 USD"),
            "{}",
            timeline[0].summary
        );
        // A bad draft is refused whole.
        let mut empty = edited.clone();
        empty.lines.clear();
        assert!(store.replace_draft(acme.id, &key, &empty, None).is_err());
        assert_eq!(
            store
                .invoice(acme.id, &key, d("2026-03-02"))
                .unwrap()
                .totals
                .total_minor,
            250_00
        );

        // Issued, it never changes again.
        let posted = store.issue_invoice(acme.id, &key, None, None).unwrap();
        let refused = store
            .replace_draft(acme.id, &posted.number, &edited, None)
            .unwrap_err();
        assert!(matches!(refused, StoreError::Conflict(_)), "{refused}");
        assert!(refused.to_string().contains("only a draft"), "{refused}");
        let refused = store
            .delete_draft(acme.id, &posted.number, d("2026-03-03"), None)
            .unwrap_err();
        assert!(matches!(refused, StoreError::Conflict(_)), "{refused}");

        // Another draft, thrown away: gone, on the timeline; the ledger untouched.
        let other = store
            .create_invoice(
                acme.id,
                &draft(alpha.id, d("2026-03-04"), "net30", 75_00),
                None,
            )
            .unwrap();
        let ledger = snapshot(store, acme.id);
        let deleted = store
            .delete_draft(acme.id, &format!("#{other}"), d("2026-03-04"), None)
            .unwrap();
        assert_eq!((deleted.id, deleted.total_minor), (other, 75_00));
        assert!(matches!(
            store.invoice(acme.id, &format!("#{other}"), d("2026-03-04")),
            Err(StoreError::NotFound { .. })
        ));
        let after = snapshot(store, acme.id);
        assert_eq!(
            (after.invoices, after.entries, &after.balances),
            (ledger.invoices - 1, ledger.entries, &ledger.balances),
            "the draft's row alone is gone"
        );
        let timeline = store.timeline(acme.id, alpha.id, None, 10).unwrap();
        assert_eq!(timeline[0].kind, "draft_deleted");
        assert!(
            timeline[0].summary.contains("75.00 USD"),
            "{}",
            timeline[0].summary
        );
        assert!(matches!(
            store.delete_draft(acme.id, &format!("#{other}"), d("2026-03-04"), None),
            Err(StoreError::NotFound { .. })
        ));
        check_book(store);
    }
);

storage_test!(
    fn the_policy_may_send_every_invoice_as_it_is_issued(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let mut silent = customer_row("QUIET", "Quiet Ltd");
        silent.email = None;
        let quiet = store.add_customer(acme.id, &silent, None).unwrap();
        // Off by default: issuing queues nothing.
        invoice(store, &acme, &alpha, "2026-03-01", "net30", 10_00);
        assert!(store.outbox(acme.id, None, 100).unwrap().is_empty());

        let default = dun_core::collections::document::DEFAULT_POLICY;
        let text = format!("{default}\n[invoicing]\nsend_on_issue = true\n");
        store
            .apply_policy(acme.id, &text, "Test Owner", None)
            .expect("send on issue");
        store.set_acting(Some("ann"));
        let sent = invoice(store, &acme, &alpha, "2026-03-02", "net30", 20_00);
        let outbox = store.outbox(acme.id, None, 100).unwrap();
        assert_eq!(outbox.len(), 1, "{outbox:#?}");
        assert_eq!(
            (outbox[0].kind.as_str(), outbox[0].template.as_str()),
            ("invoice", "invoice")
        );
        assert_eq!(outbox[0].detail["number"], sent.number.as_str());
        let timeline = store.timeline(acme.id, alpha.id, None, 10).unwrap();
        assert!(
            timeline
                .iter()
                .any(|e| e.kind == "invoice_sent" && e.summary.contains(&sent.number)),
            "{timeline:#?}"
        );
        // No address: not sent, and the timeline says why.
        let unsent = invoice(store, &acme, &quiet, "2026-03-02", "net30", 30_00);
        assert_eq!(store.outbox(acme.id, None, 100).unwrap().len(), 1);
        let timeline = store.timeline(acme.id, quiet.id, None, 10).unwrap();
        assert!(
            timeline.iter().any(|e| e.kind == "invoice_not_sent"
                && e.summary.contains(&unsent.number)
                && e.summary.contains("no e-mail address")),
            "{timeline:#?}"
        );
        check_book(store);
    }
);
