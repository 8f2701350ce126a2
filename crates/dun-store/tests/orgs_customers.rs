//! Organisations and customers: the tenants, and who owes them.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use common::*;
use dun_store::{Store, StoreError};

/// A customer of a test's book: reference, name, invoices (issued, amount).
type Book = (&'static str, &'static str, &'static [(&'static str, i64)]);

/// Spoils one field of a good customer row.
type Spoil = fn(&mut dun_core::import::CustomerRow);

storage_test!(
    fn an_organisation_name_is_taken_once(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        assert_eq!(acme.currency, usd());
        assert_eq!(acme.invoice_prefix, "INV-");

        for again in ["Acme Ltd", "  Acme Ltd  "] {
            match store.create_org(&new_org(again)) {
                Err(StoreError::Conflict(message)) => {
                    assert!(message.contains("'Acme Ltd' already exists"), "{message}")
                }
                other => panic!("a second 'Acme Ltd' was not refused: {other:?}"),
            }
        }
        let other = org(store, "Acme Holdings");
        assert_ne!(other.id, acme.id);
        let names: Vec<String> = store.orgs().unwrap().into_iter().map(|o| o.name).collect();
        assert_eq!(names, ["Acme Ltd", "Acme Holdings"]);
        assert_eq!(store.org(Some("Acme Ltd")).unwrap().id, acme.id);
        assert!(
            matches!(store.org(None), Err(StoreError::Invalid(_))),
            "two orgs: one must be chosen"
        );
    }
);

storage_test!(
    fn an_organisation_needs_a_name_and_a_plain_prefix(store: &mut Store) {
        assert!(matches!(
            store.create_org(&new_org("   ")),
            Err(StoreError::Invalid(_))
        ));
        let mut bad_prefix = new_org("Acme Ltd");
        bad_prefix.invoice_prefix = "INV 2026".into();
        match store.create_org(&bad_prefix) {
            Err(StoreError::Invalid(message)) => {
                assert!(
                    message.starts_with("invoice_prefix: 'INV 2026'"),
                    "{message}"
                )
            }
            other => panic!("a prefix with a space was accepted: {other:?}"),
        }
        assert!(
            store.orgs().unwrap().is_empty(),
            "a refused organisation was written"
        );
    }
);

storage_test!(
    fn customers_are_added_and_listed(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let mut zeta = customer_row("ZETA", "Zeta Trading");
        zeta.terms = Some(terms("eom15"));
        zeta.credit_limit_minor = None;
        zeta.phone = None;
        let added = store.add_customer(acme.id, &zeta, None).unwrap();
        assert_eq!(added.reference, "ZETA");
        assert_eq!(added.terms, terms("eom15"));
        assert_eq!(added.status, "active");
        let mut alpha = customer_row(" ALPHA ", " Alpha Inc ");
        alpha.credit_limit_minor = Some(1_000_000);
        alpha.email = Some("ap@alpha.example.com".into());
        let alpha = store.add_customer(acme.id, &alpha, None).unwrap();
        assert_eq!(
            (alpha.reference.as_str(), alpha.name.as_str()),
            ("ALPHA", "Alpha Inc"),
            "stored trimmed"
        );
        assert_eq!(alpha.terms, terms("net30"), "the default terms");
        assert_eq!(alpha.email.as_deref(), Some("ap@alpha.example.com"));
        assert_eq!(alpha.credit_limit_minor, Some(1_000_000));

        let listed = store.customers(acme.id).unwrap();
        assert_eq!(
            listed
                .iter()
                .map(|c| c.reference.as_str())
                .collect::<Vec<_>>(),
            ["ALPHA", "ZETA"]
        );
        assert_eq!(listed[1], added);
        assert_eq!(store.customer(acme.id, "ZETA").unwrap(), added);
        assert!(matches!(
            store.customer(acme.id, "NOBODY"),
            Err(StoreError::NotFound {
                what: "customer",
                ..
            })
        ));

        match store.add_customer(acme.id, &customer_row("ZETA", "Zeta again"), None) {
            Err(StoreError::Conflict(message)) => assert!(
                message.contains("reference 'ZETA' already exists"),
                "{message}"
            ),
            other => panic!("a duplicate reference was accepted: {other:?}"),
        }
        assert_eq!(store.customers(acme.id).unwrap().len(), 2);
    }
);

storage_test!(
    fn a_bad_customer_is_refused_naming_the_field(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let cases: Vec<(&str, Spoil)> = vec![
            ("ref", |r| r.reference = "  ".into()),
            ("ref", |r| r.reference = "R".repeat(65)),
            ("name", |r| r.name = String::new()),
            ("email", |r| r.email = Some("accounts.example.com".into())),
            ("email", |r| r.email = Some("ap@localhost".into())),
            ("phone", |r| r.phone = Some("call me".into())),
            ("credit_limit", |r| r.credit_limit_minor = Some(-1)),
        ];
        for (field, spoil) in cases {
            let mut row = customer_row("ACME1", "Acme One");
            spoil(&mut row);
            match store.add_customer(acme.id, &row, None) {
                Err(StoreError::Invalid(message)) => {
                    assert!(
                        message.starts_with(&format!("{field}:")),
                        "expected the field {field} named: {message}"
                    )
                }
                other => panic!("{row:?} was not refused: {other:?}"),
            }
        }
        assert!(
            store.customers(acme.id).unwrap().is_empty(),
            "a refused customer was written"
        );
    }
);

storage_test!(
    fn organisations_never_see_each_others_customers(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let globex = org(store, "Globex");
        customer(store, &acme, "SHARED");
        // The same reference is another customer in another organisation.
        let theirs = customer(store, &globex, "SHARED");
        customer(store, &globex, "ONLY-GLOBEX");
        assert_eq!(store.customers(acme.id).unwrap().len(), 1);
        assert_eq!(store.customers(globex.id).unwrap().len(), 2);
        assert!(store.customer(acme.id, "ONLY-GLOBEX").is_err());
        assert_eq!(store.customer(globex.id, "SHARED").unwrap().id, theirs.id);

        // An invoice cannot be drafted in one organisation for another's customer.
        let refused = store.create_invoice(
            acme.id,
            &draft(theirs.id, d("2026-01-05"), "net30", 100),
            None,
        );
        assert!(
            matches!(
                refused,
                Err(StoreError::NotFound {
                    what: "customer",
                    ..
                })
            ),
            "{refused:?}"
        );
    }
);

#[test]
fn the_harness_swaps_the_database_in_a_url() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgresql://u:p@h/test?sslmode=disable", "x"),
        "postgresql://u:p@h/x?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://h:5432", "x"),
        "postgres://h:5432/x"
    );
}

storage_test!(
    /// Issue 18 item 7: on PostgreSQL a NUL character in a customer
    /// reference was a raw database error (a 500 over HTTP); SQLite stored
    /// it. Both refuse it now as bad input, and nothing is written.
    fn a_nul_character_is_refused_alike_on_both_engines(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let before = snapshot(store, acme.id);
        for (reference, name) in [("A\0B", "Nul Corp"), ("NUL1", "Nul\0Corp")] {
            let err = store
                .add_customer(acme.id, &customer_row(reference, name), None)
                .unwrap_err();
            assert!(
                // The domain's field check (a control character) or, for
                // text no field check covers, the store's own NUL guard.
                matches!(&err, StoreError::Invalid(m) if m.contains("NUL character") || m.contains("U+0000")),
                "{err:?}"
            );
        }
        assert_eq!(snapshot(store, acme.id), before);
        assert!(store.customer(acme.id, "NUL1").is_err());
    }
);

storage_test!(
    fn a_customer_is_edited_and_each_change_is_on_the_timeline(store: &mut Store) {
        use dun_store::customer_edit::CustomerEdit;
        let acme = org(store, "Acme Ltd");
        let alpha = customer(store, &acme, "ALPHA");
        store.set_acting(Some("ann"));
        let on = d("2026-03-01");
        // Checked as a new customer is: nothing is written.
        let err = store
            .edit_customer(
                acme.id,
                "ALPHA",
                &CustomerEdit {
                    email: Some(Some("not-an-address".into())),
                    ..CustomerEdit::default()
                },
                on,
                None,
            )
            .unwrap_err();
        assert!(
            err.to_string().starts_with("email: 'not-an-address'"),
            "{err}"
        );
        let err = store
            .edit_customer(acme.id, "ALPHA", &CustomerEdit::default(), on, None)
            .unwrap_err();
        assert!(
            err.to_string().starts_with("edit: nothing to change"),
            "{err}"
        );
        let edited = store
            .edit_customer(
                acme.id,
                "ALPHA",
                &CustomerEdit {
                    name: Some("Alpha Holdings".into()),
                    email: Some(Some("billing@alpha.example".into())),
                    phone: Some(None),
                    credit_limit_minor: Some(Some(2_500_00)),
                    terms: Some(terms("net45")),
                    ..CustomerEdit::default()
                },
                on,
                None,
            )
            .unwrap();
        assert_eq!(edited.name, "Alpha Holdings");
        assert_eq!(edited.email.as_deref(), Some("billing@alpha.example"));
        assert_eq!(edited.phone, None);
        assert_eq!(edited.credit_limit_minor, Some(2_500_00));
        assert_eq!(edited.terms.to_string(), "net45");
        let entry = store
            .timeline(acme.id, alpha.id, None, 10)
            .unwrap()
            .into_iter()
            .find(|e| e.kind == "customer_edited")
            .expect("on the timeline");
        assert_eq!(entry.author, "ann");
        assert_eq!(
            entry.summary,
            "Changed name: ALPHA Corp → Alpha Holdings; email: ap@alpha.example.com → billing@alpha.example; \
             phone: +1 555 0100 → (none); credit limit: (none) → 2500.00 USD; terms: net30 → net45"
        );
        assert_eq!(entry.detail["terms"]["before"], "net30");
        // New invoices take the new terms.
        let issued = invoice(store, &acme, &edited, "2026-03-02", "net45", 100_00);
        assert_eq!(issued.number, "INV-000001");
    }
);

storage_test!(
    fn the_customer_list_sorts_by_owed_days_late_and_name_and_pages_on(store: &mut Store) {
        use dun_store::customer_list::{CustomerFilter, CustomerSort};
        let acme = org(store, "Acme");
        // (reference, name, invoices as (issued, amount)) on net30, judged on 2026-03-31.
        let book: [Book; 4] = [
            ("A", "Zulu", &[("2026-02-19", 100_00)]),
            ("B", "Yankee", &[("2026-03-26", 5000_00)]),
            (
                "C",
                "Xray",
                &[("2026-01-01", 300_00), ("2026-02-24", 20_00)],
            ),
            ("D", "Whiskey", &[]),
        ];
        for (reference, name, invoices) in book {
            let c = store
                .add_customer(acme.id, &customer_row(reference, name), None)
                .unwrap();
            for (issued, amount) in invoices {
                invoice(store, &acme, &c, issued, "net30", *amount);
            }
        }
        let filter = CustomerFilter {
            after_ref: None,
            reference: None,
            status: None,
            tier: None,
            overdue: false,
            search: None,
            as_of: d("2026-03-31"),
            limit: 10,
        };
        let mut order = |sort: CustomerSort, offset: i64, limit: i64| -> Vec<(String, i32)> {
            store
                .customer_page_sorted(
                    acme.id,
                    &CustomerFilter {
                        limit,
                        ..filter.clone()
                    },
                    sort,
                    offset,
                )
                .unwrap()
                .into_iter()
                .map(|r| (r.reference, r.days_late))
                .collect()
        };
        let refs = |rows: Vec<(String, i32)>| rows.into_iter().map(|r| r.0).collect::<Vec<_>>();
        assert_eq!(refs(order(CustomerSort::Owed, 0, 10)), ["B", "C", "A", "D"]);
        // C's oldest is 59 days past due (due 2026-01-31), A's 10.
        assert_eq!(
            order(CustomerSort::DaysLate, 0, 10),
            [
                ("C".into(), 59),
                ("A".into(), 10),
                ("B".into(), 0),
                ("D".into(), 0)
            ]
        );
        assert_eq!(refs(order(CustomerSort::Name, 0, 10)), ["D", "C", "B", "A"]);
        assert_eq!(
            refs(order(CustomerSort::Reference, 0, 10)),
            ["A", "B", "C", "D"]
        );
        // A page on: the rows after the first two.
        assert_eq!(refs(order(CustomerSort::Owed, 2, 2)), ["A", "D"]);
        // The list as before (reference order, by cursor) for the API.
        let page = store
            .customer_page(
                acme.id,
                &CustomerFilter {
                    after_ref: Some("B".into()),
                    ..filter.clone()
                },
            )
            .unwrap();
        assert_eq!(
            page.iter()
                .map(|r| r.reference.as_str())
                .collect::<Vec<_>>(),
            ["C", "D"]
        );
    }
);
