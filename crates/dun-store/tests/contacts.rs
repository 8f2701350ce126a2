//! A customer's contacts with roles, accepted payment methods and notes
//! (issue 15 item 3), on both engines: each change on the timeline with
//! who, before and after; collection e-mails to the main address and the
//! billing contacts with accounts payable in copy, never to nobody.

// Amounts are written as money reads: `100_00` is 100.00.
#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod common;

use common::*;
use dun_core::customer::{Contact, ContactRole, PaymentMethod, CONTACTS_MAX, NOTES_CHARS_MAX};
use dun_core::party::Party;
use dun_store::customer_edit::CustomerEdit;
use dun_store::{Store, StoreError};

const NOW: &str = "2026-02-08T09:00:00Z";

fn contact(role: ContactRole, name: Option<&str>, email: Option<&str>) -> Contact {
    Contact {
        role,
        name: name.map(str::to_string),
        email: email.map(str::to_string),
        phone: None,
    }
}

fn edits(store: &mut Store, org_id: i64, customer_id: i64) -> Vec<String> {
    let mut summaries: Vec<String> = store
        .timeline(org_id, customer_id, None, 100)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "customer_edited")
        .map(|e| format!("{}: {}", e.author, e.summary))
        .collect();
    summaries.reverse();
    summaries
}

storage_test!(
    fn contacts_are_added_and_removed_on_the_timeline_within_their_limits(store: &mut Store) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        store.set_acting(Some("ann"));
        let on = d("2026-03-01");
        let jane = store
            .add_contact(
                org.id,
                "C1",
                &contact(
                    ContactRole::Billing,
                    Some(" Jane Roe "),
                    Some("jane@c1.example"),
                ),
                on,
                None,
            )
            .unwrap();
        assert_eq!(jane.contact.name.as_deref(), Some("Jane Roe"));
        let ap = store
            .add_contact(
                org.id,
                "C1",
                &Contact {
                    phone: Some("+44 20 7946 0000".into()),
                    ..contact(
                        ContactRole::AccountsPayable,
                        None,
                        Some("ap-desk@c1.example"),
                    )
                },
                on,
                None,
            )
            .unwrap();
        // Refused, naming the field and the value: nothing written.
        let err = store
            .add_contact(
                org.id,
                "C1",
                &contact(ContactRole::Other, None, Some("nobody")),
                on,
                None,
            )
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid(m) if m.starts_with("email: 'nobody' — not an email address")),
            "{err:?}"
        );
        let err = store
            .add_contact(
                org.id,
                "C1",
                &contact(ContactRole::Other, Some("Bob"), None),
                on,
                None,
            )
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("an e-mail address, a phone number or both"),
            "{err}"
        );
        let err = store
            .add_contact(
                org.id,
                "C1",
                &contact(
                    ContactRole::Billing,
                    Some("Jane Roe"),
                    Some("jane@c1.example"),
                ),
                on,
                None,
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        let listed = store.contacts(org.id, "C1").unwrap();
        assert_eq!(
            listed.iter().map(|c| c.id).collect::<Vec<_>>(),
            [jane.id, ap.id]
        );

        let gone = store.remove_contact(org.id, "C1", ap.id, on, None).unwrap();
        assert_eq!(gone.contact.role, ContactRole::AccountsPayable);
        let err = store
            .remove_contact(org.id, "C1", ap.id, on, None)
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
        assert_eq!(
            edits(store, org.id, c1.id),
            [
                "ann: Changed contact: (none) → Jane Roe (billing) <jane@c1.example>",
                "ann: Changed contact: (none) → (accounts_payable) <ap-desk@c1.example> +44 20 7946 0000",
                "ann: Changed contact: (accounts_payable) <ap-desk@c1.example> +44 20 7946 0000 → (none)",
            ]
        );

        // At most CONTACTS_MAX.
        for i in 1..CONTACTS_MAX {
            let email = format!("p{i}@c1.example");
            store
                .add_contact(
                    org.id,
                    "C1",
                    &contact(ContactRole::Other, None, Some(&email)),
                    on,
                    None,
                )
                .unwrap();
        }
        let err = store
            .add_contact(
                org.id,
                "C1",
                &contact(ContactRole::Other, None, Some("one-more@c1.example")),
                on,
                None,
            )
            .unwrap_err();
        assert!(
            err.to_string().starts_with(&format!(
                "contacts: customer C1 has {CONTACTS_MAX} contacts"
            )),
            "{err}"
        );
    }
);

storage_test!(
    fn a_reminder_goes_to_the_billing_contacts_with_accounts_payable_in_copy(store: &mut Store) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1"); // main e-mail ap@c1.example.com
        let c2 = customer(store, &org, "C2");
        let c3 = customer(store, &org, "C3");
        let on = d("2026-01-15");
        for (reference, role, email) in [
            ("C1", ContactRole::Billing, "jane@c1.example"),
            ("C1", ContactRole::AccountsPayable, "payables@c1.example"),
            ("C1", ContactRole::Other, "ceo@c1.example"),
            // C2: no main address; accounts payable is To.
            ("C2", ContactRole::AccountsPayable, "payables@c2.example"),
            // C3: no main address, only a contact that gets no e-mail.
            ("C3", ContactRole::Other, "ceo@c3.example"),
        ] {
            store
                .add_contact(
                    org.id,
                    reference,
                    &contact(role, None, Some(email)),
                    on,
                    None,
                )
                .unwrap();
        }
        for reference in ["C2", "C3"] {
            store
                .edit_customer(
                    org.id,
                    reference,
                    &CustomerEdit {
                        email: Some(None),
                        ..CustomerEdit::default()
                    },
                    on,
                    None,
                )
                .unwrap();
        }
        for c in [&c1, &c2, &c3] {
            invoice(store, &org, c, "2026-01-01", "net30", 100_00); // due 01-31
        }
        store
            .run_collections(org.id, d("2026-02-07"), true)
            .unwrap();

        let mut claimed = Vec::new();
        while let Some(claim) = store
            .claim_next_message(org.id, "worker-1", NOW, d("2026-02-08"))
            .unwrap()
        {
            claimed.push((claim.message.customer_id, claim.recipient, claim.cc));
        }
        claimed.sort();
        assert_eq!(
            claimed,
            [
                (
                    c1.id,
                    "ap@c1.example.com, jane@c1.example".to_string(),
                    Some("payables@c1.example".to_string())
                ),
                (c2.id, "payables@c2.example".to_string(), None),
            ]
        );
        // The outbox row says who it went to.
        let sent_to: Vec<_> = store
            .outbox(org.id, Some("sending"), 10)
            .unwrap()
            .into_iter()
            .map(|m| (m.customer_id, m.recipient))
            .collect();
        assert!(sent_to.contains(&(c1.id, Some("ap@c1.example.com, jane@c1.example".into()))));
        // C3's reminder is never sent to nobody: failed, with a task.
        let failed = store.outbox(org.id, Some("failed"), 10).unwrap();
        assert_eq!(failed.len(), 1, "{failed:#?}");
        assert_eq!(failed[0].customer_id, c3.id);
        assert_eq!(
            failed[0].last_error.as_deref(),
            Some("the customer has no e-mail address")
        );
        // Sending an invoice by hand uses the same rule.
        let r = store.recipients(org.id, "C1").unwrap();
        assert_eq!(r.to, ["ap@c1.example.com", "jane@c1.example"]);
        let err = store.recipients(org.id, "NOPE").unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    }
);

storage_test!(
    fn notes_and_payment_methods_are_edited_on_the_timeline(store: &mut Store) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        assert_eq!(c1.payment_methods, None);
        store.set_acting(Some("ann"));
        let on = d("2026-03-01");
        let edited = store
            .edit_customer(
                org.id,
                "C1",
                &CustomerEdit {
                    notes: Some(Some("  Pays on the 15th.\nAsk for Jane.  ".into())),
                    payment_methods: Some(Some(vec![
                        PaymentMethod::Card,
                        PaymentMethod::BankTransfer,
                    ])),
                    ..CustomerEdit::default()
                },
                on,
                None,
            )
            .unwrap();
        assert_eq!(
            edited.notes.as_deref(),
            Some("Pays on the 15th.\nAsk for Jane.")
        );
        assert_eq!(
            edited.payment_methods,
            Some(vec![PaymentMethod::BankTransfer, PaymentMethod::Card])
        );
        assert_eq!(store.customer(org.id, "C1").unwrap(), edited);
        let err = store
            .edit_customer(
                org.id,
                "C1",
                &CustomerEdit {
                    notes: Some(Some("x".repeat(NOTES_CHARS_MAX + 1))),
                    ..CustomerEdit::default()
                },
                on,
                None,
            )
            .unwrap_err();
        assert!(err.to_string().starts_with("notes: 'xxx"), "{err}");
        assert!(err.to_string().contains("at most 4000 characters"), "{err}");
        store
            .edit_customer(
                org.id,
                "C1",
                &CustomerEdit {
                    notes: Some(None),
                    payment_methods: Some(None),
                    ..CustomerEdit::default()
                },
                on,
                None,
            )
            .unwrap();
        let entries = store.timeline(org.id, c1.id, None, 10).unwrap();
        let edits: Vec<_> = entries
            .iter()
            .filter(|e| e.kind == "customer_edited")
            .collect();
        assert_eq!(edits.len(), 2);
        assert_eq!(
            edits[1].summary,
            "Changed notes: (none) → Pays on the 15th. Ask for Jane.; payment methods: any → bank transfer, card"
        );
        assert_eq!(
            edits[1].detail["notes"]["after"],
            "Pays on the 15th.\nAsk for Jane."
        );
        assert_eq!(
            edits[0].summary,
            "Changed notes: Pays on the 15th. Ask for Jane. → (none); payment methods: bank transfer, card → any"
        );
        assert_eq!(store.customer(org.id, "C1").unwrap().notes, None);
    }
);

storage_test!(
    fn the_bulk_address_setter_logs_each_change_on_the_timeline(store: &mut Store) {
        let org = org(store, "Acme");
        let c1 = customer(store, &org, "C1");
        let c2 = customer(store, &org, "C2");
        store.set_acting(Some("demo"));
        let address = |city: &str| Party {
            address_lines: vec!["1 High Street".into()],
            city: Some(city.into()),
            country_code: Some("GB".into()),
            ..Party::default()
        };
        let n = store
            .set_buyer_addresses(
                org.id,
                &[
                    ("C1".into(), address("Leeds")),
                    ("C2".into(), address("York")),
                ],
            )
            .unwrap();
        assert_eq!(n, 2);
        let e1 = edits(store, org.id, c1.id);
        assert_eq!(
            e1,
            ["demo: Changed address: (none) → 1 High Street; city: (none) → Leeds; country: (none) → GB"]
        );
        assert_eq!(edits(store, org.id, c2.id).len(), 1);
        // The same again changes nothing and logs nothing.
        store
            .set_buyer_addresses(org.id, &[("C1".into(), address("Leeds"))])
            .unwrap();
        assert_eq!(edits(store, org.id, c1.id).len(), 1);
    }
);

storage_test!(
    fn a_customer_is_added_with_its_address_and_first_contact_or_not_at_all(store: &mut Store) {
        let org = org(store, "Acme");
        let party = Party {
            address_lines: vec!["1 Quay Street".into()],
            city: Some("Falmouth".into()),
            postcode: Some("TR11 3HF".into()),
            country_code: Some("gb".into()),
            vat_id: Some("GB123456789".into()),
            endpoint: Some("0088:5790000435975".into()),
            ..Party::default()
        };
        let pat = Contact {
            role: ContactRole::AccountsPayable,
            name: Some("Pat".into()),
            email: Some("pat at harbour".into()),
            phone: Some("01632 960 999".into()),
        };
        // A bad country and a bad contact e-mail: both named, nothing written.
        let refused = store
            .add_customer_with_party(org.id, &customer_row("HARB", "Harbour"), &party, Some(&pat))
            .unwrap_err();
        let StoreError::Invalid(message) = &refused else {
            panic!("{refused:?}")
        };
        assert!(message.starts_with("country_code: 'gb'"), "{message}");
        assert!(
            message.contains("; contact_email: 'pat at harbour'"),
            "{message}"
        );
        assert!(store.customer(org.id, "HARB").is_err());

        let party = Party {
            country_code: Some("GB".into()),
            ..party
        };
        let pat = Contact {
            email: Some("pat@harbour.example".into()),
            ..pat
        };
        let made = store
            .add_customer_with_party(org.id, &customer_row("HARB", "Harbour"), &party, Some(&pat))
            .unwrap();
        assert_eq!(made.name, "Harbour");
        let buyer = store.buyer(org.id, made.id).unwrap();
        assert_eq!(buyer.address_lines, ["1 Quay Street"]);
        assert_eq!(buyer.country_code.as_deref(), Some("GB"));
        assert_eq!(buyer.endpoint.as_deref(), Some("0088:5790000435975"));
        assert_eq!(buyer.phone.as_deref(), Some("+1 555 0100"));
        let contacts = store.contacts(org.id, "HARB").unwrap();
        assert_eq!(contacts.len(), 1);
        assert_eq!(contacts[0].contact, pat);
        // Under a reference taken: refused, the first unchanged.
        let again = store
            .add_customer_with_party(
                org.id,
                &customer_row("HARB", "Other"),
                &Party::default(),
                None,
            )
            .unwrap_err();
        assert!(matches!(again, StoreError::Conflict(_)), "{again:?}");
        assert_eq!(store.customer(org.id, "HARB").unwrap().name, "Harbour");
        assert_eq!(store.contacts(org.id, "HARB").unwrap().len(), 1);
    }
);
