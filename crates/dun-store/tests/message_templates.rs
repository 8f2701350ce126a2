//! An organisation's own wording of its message templates: each save a
//! new version; a reset drops it (Dun's wording again, the next save is
//! version 1) and touches no other template or organisation.

#[macro_use]
mod common;

use common::*;
use dun_store::Store;

fn save(store: &mut Store, org_id: i64, name: &str, subject: &str) -> i64 {
    store
        .set_message_template(
            org_id,
            name,
            subject,
            "Dear {{customer_name}}",
            "<p>Dear {{customer_name}}</p>",
            "olive@acme.example",
            "2026-12-07T10:00:00Z",
        )
        .expect("save the template")
        .version
}

storage_test!(
    fn a_reset_drops_only_that_template_of_that_organisation(store: &mut Store) {
        let acme = org(store, "Acme");
        let other = org(store, "Other");
        assert_eq!(save(store, acme.id, "first_notice", "One"), 1);
        assert_eq!(save(store, acme.id, "first_notice", "Two"), 2);
        save(store, acme.id, "statement", "Statement");
        save(store, other.id, "first_notice", "Theirs");

        assert!(store
            .reset_message_template(acme.id, "first_notice")
            .unwrap());
        let names: Vec<String> = store
            .message_templates(acme.id)
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, ["statement"]);
        let theirs = store.message_templates(other.id).unwrap();
        assert_eq!(theirs.len(), 1);
        assert_eq!(theirs[0].subject, "Theirs");

        // Nothing of its own left: nothing to drop.
        assert!(!store
            .reset_message_template(acme.id, "first_notice")
            .unwrap());
        assert_eq!(save(store, acme.id, "first_notice", "Again"), 1);
    }
);
