//! Closing the books, on both engines: once the owner closes a period,
//! every posting dated in it — a payment, a credit note — is refused with
//! the day and who closed it, and nothing is written; after it, postings
//! go on; reopening needs a reason and lets them through again.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use common::*;
use dun_core::ledger::EntryKind;
use dun_store::invoices::Reduction;
use dun_store::payments::Allocate;
use dun_store::{Store, StoreError};

storage_test!(
    fn nothing_is_posted_into_a_closed_period(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        let number = invoice(store, &acme, &alpha, "2026-01-10", "net30", 300_00).number;
        assert_eq!(store.closed_period(acme.id).unwrap(), None);
        let closed = store
            .set_closed_period(acme.id, Some(d("2026-01-31")), "January filed", "ann")
            .unwrap()
            .expect("closed");
        assert_eq!(
            (closed.through, closed.by.as_str()),
            (d("2026-01-31"), "ann")
        );
        let again = store
            .set_closed_period(acme.id, Some(d("2026-01-31")), "", "ann")
            .unwrap_err();
        assert!(matches!(again, StoreError::Conflict(_)), "{again}");

        let before = snapshot(store, acme.id);
        let err = store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-01-20", 100_00),
                &Allocate::OldestDueFirst,
                None,
            )
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Conflict(m)
                if m.starts_with("date: 2026-01-20 is in a closed period — the books are closed through 2026-01-31 (by ann")),
            "{err}"
        );
        let err = store
            .reduce_invoice(
                acme.id,
                &number,
                &Reduction {
                    kind: EntryKind::CreditNote,
                    amount_minor: Some(10_00),
                    date: d("2026-01-31"),
                    reason: "damaged".into(),
                },
                None,
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
        assert_eq!(snapshot(store, acme.id), before, "nothing was written");

        // After the closed period: posted as ever.
        store
            .record_payment(
                acme.id,
                &payment(&alpha, "2026-02-01", 100_00),
                &Allocate::OldestDueFirst,
                None,
            )
            .unwrap();
        assert_eq!(open_of(store, &acme, &number), 200_00);

        // Reopening needs a reason; then the January payment goes in.
        let err = store
            .set_closed_period(acme.id, Some(d("2026-01-15")), " ", "olive")
            .unwrap_err();
        assert!(err.to_string().starts_with("reason:"), "{err}");
        // A reason is counted in characters, as every reason is: 1001 is
        // refused, 1000 two-byte ones (2000 bytes) are not.
        let over = "x".repeat(dun_core::REASON_CHARS_MAX + 1);
        let err = store
            .set_closed_period(acme.id, Some(d("2026-01-15")), &over, "olive")
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("reason: at most 1000 characters"),
            "{err}"
        );
        let at_limit = "é".repeat(dun_core::REASON_CHARS_MAX);
        store
            .set_closed_period(acme.id, Some(d("2026-01-20")), &at_limit, "olive")
            .unwrap();
        store
            .set_closed_period(
                acme.id,
                Some(d("2026-01-15")),
                "a January receipt was missed",
                "olive",
            )
            .unwrap();
        let mut late = payment(&alpha, "2026-01-20", 100_00);
        late.note = "found in the January statement".into();
        store
            .record_payment(acme.id, &late, &Allocate::OldestDueFirst, None)
            .unwrap();
        assert_eq!(open_of(store, &acme, &number), 100_00);
        store
            .set_closed_period(acme.id, None, "books reopened for the audit", "olive")
            .unwrap();
        assert_eq!(store.closed_period(acme.id).unwrap(), None);
        check_book(store);
    }
);
