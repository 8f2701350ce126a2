//! A customer's contacts with roles, accepted payment methods and notes
//! through the real binary, on each database: `dun customer contact
//! add|list|remove`, `dun customer edit --notes --payment-methods`, and
//! `dun import customers --update` with `notes` and `payment_methods`
//! columns — every change on the timeline.

mod common;

use common::{backends, fails, ok};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

#[test]
fn contacts_methods_and_notes_are_edited_from_the_cli() {
    for db in backends("customer_contacts_cli") {
        let label = db.label;
        ok(
            &db,
            &[
                "init",
                "--org",
                "Acme",
                "--currency",
                "USD",
                "--timezone",
                "UTC",
            ],
        );
        ok(
            &db,
            &[
                "customer",
                "add",
                "--ref",
                "C1",
                "--name",
                "Bolt & Nut",
                "--email",
                "office@bolt.example",
            ],
        );
        let out = ok(
            &db,
            &[
                "customer",
                "contact",
                "add",
                "C1",
                "--role",
                "billing",
                "--name",
                "Jane Roe",
                "--email",
                "jane@bolt.example",
            ],
        );
        assert!(
            out.contains("Added contact #")
                && out.contains("Jane Roe (billing) <jane@bolt.example>"),
            "[{label}] {out}"
        );
        ok(
            &db,
            &[
                "customer",
                "contact",
                "add",
                "C1",
                "--role",
                "accounts-payable",
                "--email",
                "ap@bolt.example",
                "--phone",
                "+1 555 0101",
            ],
        );
        let err = fails(
            &db,
            &[
                "customer",
                "contact",
                "add",
                "C1",
                "--role",
                "boss",
                "--email",
                "x@bolt.example",
            ],
        );
        assert!(
            err.contains("--role 'boss': a role is one of billing, accounts_payable, other"),
            "[{label}] {err}"
        );
        let listed = json(&ok(
            &db,
            &["customer", "contact", "list", "C1", "--format", "json"],
        ));
        assert_eq!(
            listed["recipients"]["to"],
            serde_json::json!(["office@bolt.example", "jane@bolt.example"]),
            "[{label}] {listed}"
        );
        assert_eq!(
            listed["recipients"]["cc"],
            serde_json::json!(["ap@bolt.example"]),
            "[{label}] {listed}"
        );
        let table = ok(&db, &["customer", "contact", "list", "C1"]);
        assert!(
            table.contains(
                "E-mails go to: office@bolt.example, jane@bolt.example; cc ap@bolt.example"
            ),
            "[{label}] {table}"
        );
        let ap_id = listed["contacts"][1]["id"].as_i64().expect("an id");

        let err = fails(
            &db,
            &[
                "customer",
                "edit",
                "C1",
                "--payment-methods",
                "card,bitcoin",
            ],
        );
        assert!(
            err.contains("--payment-methods: payment_methods 'card,bitcoin': a payment method is one of bank_transfer, direct_debit, ach, card, check, cash"),
            "[{label}] {err}"
        );
        ok(
            &db,
            &[
                "customer",
                "edit",
                "C1",
                "--payment-methods",
                "cheque, bank_transfer",
                "--notes",
                "Pays on the 15th",
            ],
        );
        let shown = json(&ok(&db, &["customer", "show", "C1", "--format", "json"]));
        assert_eq!(shown["customer"]["notes"], "Pays on the 15th", "[{label}]");
        assert_eq!(
            shown["customer"]["payment_methods"],
            serde_json::json!(["bank_transfer", "check"]),
            "[{label}]"
        );
        assert_eq!(shown["contacts"].as_array().unwrap().len(), 2, "[{label}]");
        let text = ok(&db, &["customer", "show", "C1"]);
        assert!(
            text.contains("pays by bank transfer, cheque")
                && text.contains("notes: Pays on the 15th"),
            "[{label}] {text}"
        );

        let out = ok(
            &db,
            &["customer", "contact", "remove", "C1", &ap_id.to_string()],
        );
        assert!(out.contains("Removed contact"), "[{label}] {out}");

        // import customers --update reads notes and payment methods.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("customers.csv");
        std::fs::write(
            &path,
            "ref,name,notes,payment_methods\nC1,Bolt & Nut,Ask for Jane,card\n",
        )
        .unwrap();
        let path = path.to_string_lossy().into_owned();
        ok(
            &db,
            &["import", "customers", &path, "--update", "--author", "ann"],
        );
        let shown = json(&ok(&db, &["customer", "show", "C1", "--format", "json"]));
        assert_eq!(shown["customer"]["notes"], "Ask for Jane", "[{label}]");
        assert_eq!(
            shown["customer"]["payment_methods"],
            serde_json::json!(["card"]),
            "[{label}]"
        );

        // `any` lifts the restriction; an empty cell leaves what is there.
        std::fs::write(
            &path,
            "ref,name,notes,payment_methods\nC1,Bolt & Nut,,any\n",
        )
        .unwrap();
        ok(&db, &["import", "customers", &path, "--update"]);
        let shown = json(&ok(&db, &["customer", "show", "C1", "--format", "json"]));
        assert_eq!(shown["customer"]["notes"], "Ask for Jane", "[{label}]");
        assert_eq!(
            shown["customer"]["payment_methods"],
            serde_json::json!(null),
            "[{label}]"
        );

        let timeline = ok(&db, &["customer", "timeline", "C1"]);
        for expected in [
            "contact: (none) → Jane Roe (billing) <jane@bolt.example>",
            "contact: (accounts_payable) <ap@bolt.example> +1 555 0101 → (none)",
            "notes: (none) → Pays on the 15th; payment methods: any → bank transfer, cheque",
            "notes: Pays on the 15th → Ask for Jane; payment methods: bank transfer, cheque → card",
        ] {
            assert!(
                timeline.contains(expected),
                "[{label}] {expected}\n{timeline}"
            );
        }
    }
}
