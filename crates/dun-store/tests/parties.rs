//! Parties: the organisation as seller, customers as buyers.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use common::*;
use dun_core::party::{Party, PaymentInstructions};
use dun_store::parties::ZeroRate;
use dun_store::{Store, StoreError};

fn acme_address() -> Party {
    Party {
        name: "Acme Ltd".into(),
        address_lines: vec![" 1 High Street ".into(), "Unit 4".into()],
        city: Some("London".into()),
        postcode: Some("EC1A 1BB".into()),
        region: None,
        country_code: Some("GB".into()),
        vat_id: Some("gb 123 456 789".into()),
        company_id: Some("01234567".into()),
        tax_id: None,
        email: Some("accounts@acme.example".into()),
        phone: Some("+44 20 7946 0000".into()),
        endpoint: Some("0088:5790000435975".into()),
    }
}

fn acme_bank() -> PaymentInstructions {
    PaymentInstructions {
        iban: Some("gb82 west 1234 5698 7654 32".into()),
        bic: Some("WESTGB2L".into()),
        account_name: Some("Acme Ltd".into()),
        note: Some("Quote the invoice number".into()),
    }
}

fn invalid(result: Result<impl std::fmt::Debug, StoreError>) -> String {
    match result {
        Err(StoreError::Invalid(message)) => message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

storage_test!(
    fn a_new_organisation_is_a_seller_with_only_a_name(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let (party, payment) = store.seller(acme.id).unwrap();
        assert_eq!(party, Party::named("Acme Ltd"));
        assert!(payment.is_empty());
        assert_eq!(party.missing_for_einvoice(), ["country_code"]);
        assert_eq!(store.zero_rate(acme.id).unwrap(), ZeroRate::default());
    }
);

storage_test!(
    fn the_seller_is_stored_normalized_and_read_back(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let other = org(store, "Other Co");
        let stored = store
            .set_seller(acme.id, &acme_address(), &acme_bank())
            .unwrap();
        let (party, payment) = store.seller(acme.id).unwrap();
        assert_eq!(stored, (party.clone(), payment.clone()));
        assert_eq!(party.address_lines, ["1 High Street", "Unit 4"]);
        assert_eq!(party.vat_id.as_deref(), Some("GB123456789"));
        assert_eq!(payment.iban.as_deref(), Some("GB82WEST12345698765432"));
        assert_eq!(party.name, "Acme Ltd");
        assert_eq!(
            store.org(Some("Acme Ltd")).unwrap().id,
            acme.id,
            "the organisation keeps its name"
        );
        // Another organisation is untouched.
        assert_eq!(store.seller(other.id).unwrap().0, Party::named("Other Co"));

        // A legal name apart from the organisation's name; clearing fields.
        let legal = Party {
            name: "Acme Trading Limited".into(),
            country_code: Some("GB".into()),
            ..Party::default()
        };
        store
            .set_seller(acme.id, &legal, &PaymentInstructions::default())
            .unwrap();
        let (party, payment) = store.seller(acme.id).unwrap();
        assert_eq!(party, legal);
        assert!(payment.is_empty());
        assert_eq!(store.org(Some("Acme Ltd")).unwrap().id, acme.id);
        // Back to the organisation's own name: no legal name is kept.
        store
            .set_seller(
                acme.id,
                &Party::named("Acme Ltd"),
                &PaymentInstructions::default(),
            )
            .unwrap();
        assert_eq!(store.seller(acme.id).unwrap().0.name, "Acme Ltd");
    }
);

storage_test!(
    fn a_bad_seller_is_refused_whole_with_every_problem(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        store
            .set_seller(acme.id, &acme_address(), &acme_bank())
            .unwrap();
        let mut party = acme_address();
        party.country_code = Some("uk".into());
        let mut bank = acme_bank();
        bank.iban = Some("GB82 WEST 1234 5698 7654 33".into());
        let message = invalid(store.set_seller(acme.id, &party, &bank));
        assert!(message.contains("country_code 'uk'"), "{message}");
        assert!(message.contains("two upper-case letters"), "{message}");
        assert!(
            message.contains("iban 'GB82 WEST 1234 5698 7654 33'"),
            "{message}"
        );
        assert!(message.contains("check digits"), "{message}");
        // Nothing was written.
        let (stored, payment) = store.seller(acme.id).unwrap();
        assert_eq!(stored.country_code.as_deref(), Some("GB"));
        assert_eq!(payment.iban.as_deref(), Some("GB82WEST12345698765432"));

        assert!(matches!(
            store.set_seller(9_999_999, &acme_address(), &acme_bank()),
            Err(StoreError::NotFound { .. })
        ));
    }
);

storage_test!(
    fn a_buyer_is_the_customer_with_an_address(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let zeta = customer(store, &acme, "ZETA");
        let before = store.buyer(acme.id, zeta.id).unwrap();
        assert_eq!(before.name, zeta.name);
        assert_eq!(before.email, zeta.email);
        assert!(before.address_lines.is_empty());
        assert_eq!(before.country_code, None);

        let buyer = Party {
            name: "Zeta Trading GmbH".into(),
            address_lines: vec!["Hauptstraße 5".into()],
            city: Some("Berlin".into()),
            postcode: Some("10115".into()),
            region: Some("Berlin".into()),
            country_code: Some("DE".into()),
            vat_id: Some("DE123456789".into()),
            company_id: Some("HRB 12345".into()),
            tax_id: None,
            email: Some("ap@zeta.example".into()),
            phone: None,
            endpoint: Some("9930:DE123456789".into()),
        };
        let stored = store.set_buyer(acme.id, " ZETA ", &buyer).unwrap();
        assert_eq!(stored, buyer);
        // Each change on the timeline, before → after; the same again is none.
        let changed = |store: &mut Store| {
            store
                .timeline(acme.id, zeta.id, None, 10)
                .unwrap()
                .into_iter()
                .filter(|e| e.kind == "customer_edited")
                .map(|e| e.summary)
                .collect::<Vec<_>>()
        };
        let entries = changed(store);
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert!(
            entries[0].contains("country: (none) → DE")
                && entries[0].contains("electronic address: (none) → 9930:DE123456789"),
            "{entries:?}"
        );
        store.set_buyer(acme.id, "ZETA", &buyer).unwrap();
        assert_eq!(changed(store).len(), 1);
        assert_eq!(store.buyer(acme.id, zeta.id).unwrap(), buyer);
        let customer = store.customer(acme.id, "ZETA").unwrap();
        assert_eq!(customer.name, "Zeta Trading GmbH");
        assert_eq!(customer.email.as_deref(), Some("ap@zeta.example"));
        assert_eq!(customer.phone, None);

        let mut bad = buyer.clone();
        bad.vat_id = Some("123".into());
        let message = invalid(store.set_buyer(acme.id, "ZETA", &bad));
        assert!(message.contains("vat_id '123'"), "{message}");
        assert_eq!(store.buyer(acme.id, zeta.id).unwrap(), buyer);

        assert!(matches!(
            store.set_buyer(acme.id, "NOBODY", &buyer),
            Err(StoreError::NotFound { .. })
        ));
        // Another organisation cannot read this customer as its buyer.
        let other = org(store, "Other Co");
        assert!(matches!(
            store.buyer(other.id, zeta.id),
            Err(StoreError::NotFound { .. })
        ));
    }
);

storage_test!(
    fn the_zero_rate_category_needs_a_reason_unless_zero_rated(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let reverse = ZeroRate {
            category: "AE".into(),
            exemption_reason: None,
        };
        let message = invalid(store.set_zero_rate(acme.id, &reverse).map(|_| ()));
        assert!(
            message.contains("needs a tax exemption reason"),
            "{message}"
        );
        let message = invalid(
            store
                .set_zero_rate(
                    acme.id,
                    &ZeroRate {
                        category: "X".into(),
                        exemption_reason: None,
                    },
                )
                .map(|_| ()),
        );
        assert!(message.contains("Z, E, AE, K, G, O"), "{message}");
        let reverse = ZeroRate {
            category: "AE".into(),
            exemption_reason: Some("Reverse charge".into()),
        };
        store.set_zero_rate(acme.id, &reverse).unwrap();
        assert_eq!(store.zero_rate(acme.id).unwrap(), reverse);
        // The reason is counted in characters: 500 two-byte ones (1000
        // bytes) are kept, 501 refused.
        let long = |n: usize| ZeroRate {
            category: "E".into(),
            exemption_reason: Some("ü".repeat(n)),
        };
        let max = dun_store::parties::EXEMPTION_REASON_CHARS_MAX;
        store.set_zero_rate(acme.id, &long(max)).unwrap();
        let message = invalid(store.set_zero_rate(acme.id, &long(max + 1)).map(|_| ()));
        assert!(message.contains("1 to 500 characters"), "{message}");
    }
);

storage_test!(
    fn a_credit_note_is_read_with_its_invoice_lines(store: &mut Store) {
        use dun_core::invoice::InvoiceLine;
        use dun_core::ledger::EntryKind;
        use dun_store::invoices::Reduction;

        let acme = org(store, "Acme Ltd");
        let zeta = customer(store, &acme, "ZETA");
        let mut draft = draft(zeta.id, d("2026-03-02"), "net30", 100_00);
        draft.lines = vec![
            InvoiceLine::new("Consulting", 20_000, 100_00, 200_000).unwrap(),
            InvoiceLine::new("Books", 10_000, 30_00, 0).unwrap(),
        ];
        let posted = issue_draft(store, &acme, &draft);
        let credited = store
            .reduce_invoice(
                acme.id,
                &posted.number,
                &Reduction {
                    kind: EntryKind::CreditNote,
                    amount_minor: Some(50_00),
                    date: d("2026-03-10"),
                    reason: "Goodwill".into(),
                },
                None,
            )
            .unwrap();
        let number = credited.document_number.unwrap();
        let note = store.credit_note(acme.id, &number).unwrap();
        assert_eq!(note.number, number);
        assert_eq!(note.issue_date, d("2026-03-10"));
        assert_eq!(note.amount_minor, 50_00);
        assert_eq!(note.reason, "Goodwill");
        assert_eq!(
            (note.customer_id, note.customer_ref.as_str()),
            (zeta.id, "ZETA")
        );
        assert_eq!(note.invoice_number, posted.number);
        assert_eq!(note.invoice_issue_date, d("2026-03-02"));
        assert_eq!(note.invoice_lines, draft.lines);
        assert_eq!(note.currency, usd());

        assert_eq!(
            store.buyer_by_ref(acme.id, "ZETA").unwrap(),
            store.buyer(acme.id, zeta.id).unwrap()
        );
        let other = org(store, "Other Co");
        assert!(matches!(
            store.credit_note(other.id, &number),
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store.credit_note(acme.id, "CN-999999"),
            Err(StoreError::NotFound { .. })
        ));
    }
);

storage_test!(
    fn many_addresses_are_set_at_once_or_not_at_all(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let a = customer(store, &acme, "A");
        let b = customer(store, &acme, "B");
        let at = |city: &str, country: &str| Party {
            name: String::new(),
            city: Some(city.into()),
            country_code: Some(country.into()),
            ..Party::default()
        };
        // One bad country refuses the whole batch.
        let message = invalid(store.set_buyer_addresses(
            acme.id,
            &[
                ("A".into(), at("Boston", "US")),
                ("B".into(), at("Lyon", "fr")),
            ],
        ));
        assert!(
            message.contains("customer 'B'") && message.contains("country_code 'fr'"),
            "{message}"
        );
        assert_eq!(store.buyer(acme.id, a.id).unwrap().city, None);
        // An unknown customer too, and nothing is written.
        assert!(matches!(
            store.set_buyer_addresses(
                acme.id,
                &[
                    ("A".into(), at("Boston", "US")),
                    ("NOBODY".into(), at("Lyon", "FR"))
                ]
            ),
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(store.buyer(acme.id, a.id).unwrap().city, None);

        let n = store
            .set_buyer_addresses(
                acme.id,
                &[
                    ("A".into(), at("Boston", "US")),
                    ("B".into(), at("Lyon", "FR")),
                ],
            )
            .unwrap();
        assert_eq!(n, 2);
        let buyer_a = store.buyer(acme.id, a.id).unwrap();
        assert_eq!(
            (buyer_a.city.as_deref(), buyer_a.country_code.as_deref()),
            (Some("Boston"), Some("US"))
        );
        assert_eq!(buyer_a.name, a.name, "the name is the customer's own");
        assert_eq!(buyer_a.email, a.email);
        assert_eq!(
            store.buyer(acme.id, b.id).unwrap().city.as_deref(),
            Some("Lyon")
        );
    }
);
