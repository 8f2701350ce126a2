//! Issue 18 item 7, on both engines: an invoice number and a customer
//! reference over their limit, or holding a control character, are
//! refused by the CSV import as a row error naming the column — SQLite
//! stored a 1 MB invoice number, PostgreSQL answered a raw error — and the
//! book is left as it was.

#[macro_use]
mod common;

use common::*;
use dun_core::text::{CUSTOMER_REFERENCE_CHARS_MAX, INVOICE_NUMBER_CHARS_MAX};
use dun_store::import::ImportRequest;
use dun_store::{Store, StoreError};

const REQUEST: ImportRequest<'static> = ImportRequest {
    author: "test",
    key: None,
    fingerprint: "sha256:limits",
    dry_run: false,
    ladder_from: None,
};

/// The refused columns of an import, as `row:column`.
fn refused(result: Result<dun_store::import::ImportSummary, StoreError>) -> Vec<String> {
    match result {
        Err(StoreError::Import(errors)) => errors
            .errors
            .iter()
            .map(|e| format!("{}:{}", e.row, e.column))
            .collect(),
        other => panic!("not refused as rows: {other:?}"),
    }
}

storage_test!(
    fn over_long_or_control_character_identifiers_are_refused_by_row(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        customer(store, &acme, "C1");
        let before = snapshot(store, acme.id);

        let long_ref = "R".repeat(CUSTOMER_REFERENCE_CHARS_MAX + 1);
        let csv = format!(
            "ref,name\n{long_ref},Long\n\"C\u{1}2\",Bell\nC3,Fine\n{},Just fits\n",
            "R".repeat(CUSTOMER_REFERENCE_CHARS_MAX)
        );
        let rows = dun_csv::read_customers(csv.as_bytes(), usd())
            .into_result()
            .expect("the reader passes them to the book's check");
        let columns = refused(store.import_customers(acme.id, &rows, &REQUEST, &mut |_| {}));
        assert_eq!(columns, ["2:ref", "3:ref"]);

        let long_number = "9".repeat(1_000_000);
        let csv = format!(
            "number,customer_ref,issue_date,due_date,currency,description,amount\n\
             {long_number},C1,2026-01-05,2026-02-04,USD,Pallets,120.00\n\
             \"INV\u{7}2\",C1,2026-01-05,2026-02-04,USD,Crates,80.50\n\
             {},C1,2026-01-05,2026-02-04,USD,Boxes,10.00\n",
            "N".repeat(INVOICE_NUMBER_CHARS_MAX)
        );
        let rows = dun_csv::read_invoices(csv.as_bytes())
            .into_result()
            .expect("the reader passes them to the book's check");
        let result = store.import_invoices(acme.id, &rows, &REQUEST, &mut |_| {});
        if let Err(StoreError::Import(errors)) = &result {
            let shown = errors.to_string();
            assert!(
                shown.contains("at most 64 characters (1000000 bytes given)"),
                "{shown}"
            );
            assert!(shown.contains("control character"), "{shown}");
            assert!(shown.len() < 2_000, "the value is not echoed whole");
        }
        assert_eq!(refused(result), ["2:number", "3:number"]);
        assert_eq!(snapshot(store, acme.id), before, "nothing half-written");
    }
);

/// What every free-text field must refuse: a NUL byte (PostgreSQL cannot
/// store one, SQLite would), another control character, and a value one
/// character over its limit.
fn bad_values(max: usize) -> [String; 3] {
    [
        "A\u{0}B".to_string(),
        "A\u{1b}[2JB".to_string(),
        "x".repeat(max + 1),
    ]
}

/// Refused as bad input whose message leads with `field` (what the API
/// turns into a 422 naming it).
#[track_caller]
fn assert_refused<T: std::fmt::Debug>(result: Result<T, StoreError>, field: &str, value: &str) {
    let err = result.expect_err(&format!("{field} = {:?} must be refused", shorten(value)));
    assert!(
        matches!(err, StoreError::Invalid(_) | StoreError::Invoice(_)),
        "{field}: a typed refusal, not {err:?}"
    );
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("{field}: ")) || shown.starts_with(&format!("{field} '")),
        "{field} = {:?}: the refusal names the field first: {shown}",
        shorten(value)
    );
    assert!(!shown.contains('\u{0}'), "the NUL is not echoed: {shown:?}");
    assert!(shown.len() < 2_000, "the value is not echoed whole");
}

fn shorten(value: &str) -> String {
    value.chars().take(12).collect()
}

storage_test!(
    fn free_text_refuses_nul_control_characters_and_over_long_values(store: &mut Store) {
        use dun_core::customer::{Contact, ContactRole, CONTACT_NAME_CHARS_MAX};
        use dun_core::invoice::{DESCRIPTION_CHARS_MAX, LINE_DESCRIPTION_CHARS_MAX};
        use dun_core::party::ADDRESS_FIELD_CHARS_MAX;
        use dun_core::text::{EMAIL_CHARS_MAX, NAME_CHARS_MAX, PAYMENT_REFERENCE_CHARS_MAX};
        use dun_store::accounts::Role;
        use dun_store::disputes::NewDispute;
        use dun_store::payments::Allocate;
        use dun_store::records::{ContactKind, NewContact, NOTE_CHARS_MAX};

        let acme = org(store, "Acme Ltd");
        let c1 = customer(store, &acme, "C1");
        let posted = invoice(store, &acme, &c1, "2026-01-05", "net 30", 12_000);
        let owner = store
            .add_user(
                acme.id,
                "owner@acme.example",
                "Olive",
                Some("correct horse battery"),
                Role::Owner,
            )
            .expect("the owner");
        let before = snapshot(store, acme.id);
        let buyer = store.buyer(acme.id, c1.id).unwrap();
        let timeline = store.timeline(acme.id, c1.id, None, 1000).unwrap().len();

        // Invoices: the description of the whole and of a line.
        for bad in bad_values(DESCRIPTION_CHARS_MAX) {
            let mut draft = draft(c1.id, d("2026-01-06"), "net 30", 1_000);
            draft.description = bad.clone();
            assert_refused(
                store.create_invoice(acme.id, &draft, None),
                "description",
                &bad,
            );
        }
        for bad in bad_values(LINE_DESCRIPTION_CHARS_MAX) {
            let mut draft = draft(c1.id, d("2026-01-06"), "net 30", 1_000);
            draft.lines[0].description = bad.clone();
            assert_refused(
                store.create_invoice(acme.id, &draft, None),
                "lines[0].description",
                &bad,
            );
        }

        // Customers: a new one's e-mail, the name and address, a contact.
        for bad in bad_values(EMAIL_CHARS_MAX) {
            let email = format!("{bad}@example.com");
            let mut row = customer_row("C2", "Two");
            row.email = Some(email.clone());
            assert_refused(store.add_customer(acme.id, &row, None), "email", &email);
        }
        for bad in bad_values(NAME_CHARS_MAX) {
            let mut party = buyer.clone();
            party.name = bad.clone();
            assert_refused(store.set_buyer(acme.id, "C1", &party), "name", &bad);
        }
        for bad in bad_values(ADDRESS_FIELD_CHARS_MAX) {
            let mut party = buyer.clone();
            party.address_lines = vec![bad.clone()];
            assert_refused(store.set_buyer(acme.id, "C1", &party), "address", &bad);
            let mut party = buyer.clone();
            party.city = Some(bad.clone());
            assert_refused(store.set_buyer(acme.id, "C1", &party), "city", &bad);
        }
        for bad in bad_values(CONTACT_NAME_CHARS_MAX) {
            let contact = Contact {
                role: ContactRole::Billing,
                name: Some(bad.clone()),
                email: Some("ap@c1.example.com".into()),
                phone: None,
            };
            assert_refused(
                store.add_contact(acme.id, "C1", &contact, d("2026-01-06"), None),
                "name",
                &bad,
            );
        }
        for bad in bad_values(EMAIL_CHARS_MAX) {
            let email = format!("ap{bad}@c1.example.com");
            let contact = Contact {
                role: ContactRole::Billing,
                name: None,
                email: Some(email.clone()),
                phone: None,
            };
            assert_refused(
                store.add_contact(acme.id, "C1", &contact, d("2026-01-06"), None),
                "email",
                &email,
            );
        }
        assert_eq!(store.buyer(acme.id, c1.id).unwrap(), buyer);
        assert!(store.contacts(acme.id, "C1").unwrap().is_empty());

        // Payments: method, reference and note.
        for bad in bad_values(PAYMENT_REFERENCE_CHARS_MAX) {
            for field in ["method", "reference", "note"] {
                let mut p = payment(&c1, "2026-01-20", 5_000);
                match field {
                    "method" => p.method = bad.clone(),
                    "reference" => p.reference = bad.clone(),
                    _ => p.note = bad.clone(),
                }
                assert_refused(
                    store.record_payment(acme.id, &p, &Allocate::OldestDueFirst, None),
                    field,
                    &bad,
                );
            }
        }

        // Notes: a call's outcome and text, a dispute's reason.
        for bad in bad_values(NOTE_CHARS_MAX) {
            let call = NewContact {
                customer_ref: "C1".into(),
                kind: ContactKind::Call,
                summary: String::new(),
                outcome: Some(bad.clone()),
                on: d("2026-01-20"),
                author: "Olive".into(),
                invoices: Vec::new(),
                promise: None,
            };
            assert_refused(store.log_contact(acme.id, &call), "outcome", &bad);
            let note = NewContact {
                kind: ContactKind::Note,
                summary: bad.clone(),
                outcome: None,
                ..call
            };
            assert_refused(store.log_contact(acme.id, &note), "summary", &bad);
        }
        // A limit counts the text as sent, spaces around it too (the API's
        // document says so; schemathesis sent " " + 500 characters).
        let mut reasons = bad_values(dun_store::invoices::REASON_CHARS_MAX).to_vec();
        reasons.push(format!(
            " {}",
            "x".repeat(dun_store::invoices::REASON_CHARS_MAX)
        ));
        for bad in reasons {
            let dispute = NewDispute {
                invoice: posted.number.clone(),
                line: None,
                reason: bad.clone(),
                on: d("2026-01-20"),
                author: "Olive".into(),
            };
            assert_refused(store.open_dispute(acme.id, &dispute, None), "reason", &bad);
        }

        // People: a user's address and name, an invitation, an organisation.
        for bad in bad_values(EMAIL_CHARS_MAX) {
            let email = format!("ann{bad}@acme.example");
            assert_refused(
                store.add_user(acme.id, &email, "Ann", None, Role::Viewer),
                "email",
                &email,
            );
            assert_refused(
                store.invite(acme.id, owner.user.id, &email, Role::Viewer),
                "email",
                &email,
            );
        }
        for bad in bad_values(NAME_CHARS_MAX) {
            assert_refused(
                store.add_user(
                    acme.id,
                    "ann@acme.example",
                    &bad,
                    Some("correct horse battery"),
                    Role::Viewer,
                ),
                "name",
                &bad,
            );
            assert_refused(store.create_org(&new_org(&bad)), "name", &bad);
        }

        // A daily run time is exactly HH:MM (the API's document declares
        // the pattern): "+1:30" read as 01:30 before.
        for bad in [
            "+1:30",
            " 1:30",
            "1:30",
            "01:3x",
            "24:00",
            "01:60",
            "01:30\u{0}",
        ] {
            assert_refused(store.set_run_at(acme.id, bad), "run_at", bad);
        }
        store.set_run_at(acme.id, "23:59").unwrap();

        assert_eq!(snapshot(store, acme.id), before, "nothing written");
        assert_eq!(
            store.timeline(acme.id, c1.id, None, 1000).unwrap().len(),
            timeline
        );
        assert_eq!(store.members(acme.id).unwrap().len(), 1);
        assert!(store
            .invitations(acme.id, "2026-01-01T00:00:00Z")
            .unwrap()
            .is_empty());
        assert_eq!(store.orgs().unwrap().len(), 1);
    }
);

storage_test!(
    /// A payments CSV: a method or reference holding a control character,
    /// or over its limit, is a row error naming the column (it was written
    /// as sent on SQLite).
    fn payment_texts_are_refused_by_row(store: &mut Store) {
        use dun_core::text::PAYMENT_REFERENCE_CHARS_MAX;
        let acme = org(store, "Acme Ltd");
        let c1 = customer(store, &acme, "C1");
        invoice(store, &acme, &c1, "2026-01-05", "net 30", 12_000);
        let before = snapshot(store, acme.id);
        let csv = format!(
            "date,customer_ref,currency,amount,method,reference\n\
             2026-01-20,C1,USD,10.00,\"wire\u{1b}\",R1\n\
             2026-01-20,C1,USD,10.00,wire,{}\n\
             2026-01-20,C1,USD,10.00,wire,\"R\u{0}3\"\n\
             2026-01-20,C1,USD,10.00,wire,{}\n",
            "R".repeat(PAYMENT_REFERENCE_CHARS_MAX + 1),
            "R".repeat(PAYMENT_REFERENCE_CHARS_MAX),
        );
        let rows = dun_csv::read_payments(csv.as_bytes())
            .into_result()
            .expect("the reader passes them to the book's check");
        let columns = refused(store.import_payments(acme.id, &rows, &REQUEST, &mut |_| {}));
        assert_eq!(columns, ["2:method", "3:reference", "4:reference"]);
        assert_eq!(snapshot(store, acme.id), before, "nothing half-written");
    }
);
