//! The reconciliation queue in pages, on both engines: 1,101 waiting lines
//! (one statement, imported in one go) listed 500 at a time, newest first,
//! each line on exactly one page going forward and back; a line decided
//! meanwhile moves no other line to another page.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use common::*;
use dun_core::bank::{BankLine, Statement, StatementFormat};
use dun_store::bank_queue::{BankCursor, BankFilter, QUEUE_ROWS_MAX};
use dun_store::Store;

const LINES: usize = 1_101;

storage_test!(
    fn the_queue_pages_forward_and_back_over_every_line_once(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        // Strangers' transfers over a few days, several on each day.
        let lines: Vec<BankLine> = (0..LINES)
            .map(|i| {
                let day = d("2026-03-01").add_days((i % 7) as i32);
                let mut l = BankLine::new(day, 1_00 + i as i64, usd());
                l.remittance = format!("transfer {i}");
                l.bank_ref = Some(format!("B-{i}"));
                l
            })
            .collect();
        let statement = Statement {
            format: StatementFormat::Csv("dun".into()),
            statement_id: None,
            account_iban: None,
            currency: Some(usd()),
            opening_minor: None,
            closing_minor: None,
            lines,
        };
        let summary = store
            .import_bank_statements(acme.id, "many.csv", &[statement], false)
            .unwrap();
        assert_eq!(summary.unmatched, LINES);

        let page = |store: &mut Store, cursor| {
            store
                .bank_transactions_page(acme.id, BankFilter::Queue, cursor, QUEUE_ROWS_MAX)
                .unwrap()
        };
        let key = |t: &dun_store::bank_queue::BankTransaction| (t.booked_date, t.id);
        let first = page(store, BankCursor::First);
        assert_eq!(first.lines.len(), QUEUE_ROWS_MAX);
        assert_eq!(first.previous_before, None);
        assert_eq!(
            store.bank_transactions(acme.id, BankFilter::Queue).unwrap(),
            first.lines,
            "the list without a cursor is the first page"
        );
        let second = page(store, BankCursor::After(first.next_after.unwrap()));
        let third = page(store, BankCursor::After(second.next_after.unwrap()));
        assert_eq!(
            (second.lines.len(), third.lines.len()),
            (QUEUE_ROWS_MAX, LINES - 2 * QUEUE_ROWS_MAX)
        );
        assert_eq!(third.next_after, None, "the last page has no next");
        let all: Vec<_> = [&first, &second, &third]
            .iter()
            .flat_map(|p| p.lines.iter().map(key))
            .collect();
        let mut sorted = all.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        sorted.dedup();
        assert_eq!(all, sorted, "newest first, every line once");
        assert_eq!(all.len(), LINES);
        // What was decided is written for every line, many a statement.
        assert!(
            [&first, &second, &third]
                .iter()
                .flat_map(|p| &p.lines)
                .all(|t| t.status == "unmatched"),
            "every line's decision written"
        );

        // Back from the third page: the second again, then the first.
        let back = page(store, BankCursor::Before(third.previous_before.unwrap()));
        assert_eq!(back.lines, second.lines);
        let back = page(store, BankCursor::Before(back.previous_before.unwrap()));
        assert_eq!(back.lines, first.lines);
        assert_eq!(back.previous_before, None, "the first page has no previous");
        assert_eq!(back.next_after, first.next_after);

        // A person dismisses a line of the first page: the second page
        // still starts after the same line.
        let decided = first.lines[10].id;
        store
            .dismiss_bank_transaction(acme.id, decided, "owner's loan")
            .unwrap();
        let again = page(store, BankCursor::After(first.next_after.unwrap()));
        assert_eq!(again.lines, second.lines);
        assert_eq!(
            page(store, BankCursor::First).lines.len(),
            QUEUE_ROWS_MAX,
            "a line of the second page moves up into the first"
        );
        // A cursor that names no line of this organisation.
        let other = org(store, "Other Ltd");
        let err = store
            .bank_transactions_page(other.id, BankFilter::Queue, BankCursor::After(decided), 10)
            .unwrap_err();
        assert!(err.to_string().contains(&format!("#{decided}")), "{err}");
    }
);
