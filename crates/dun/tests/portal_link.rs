//! `dun customer portal-link`: a signed link the store accepts for that
//! customer only; without a public address, a message naming the option.

mod common;

use common::{backends, fails, ok};

#[test]
fn an_owner_prints_a_customers_portal_link() {
    for db in backends("an_owner_prints_a_customers_portal_link") {
        let label = db.label;
        ok(
            &db,
            &[
                "init",
                "--org",
                "Acme Supplies",
                "--currency",
                "USD",
                "--timezone",
                "UTC",
            ],
        );
        for (reference, name) in [("BOLT", "Bolt & Nut"), ("ZED", "Zed Hardware")] {
            ok(
                &db,
                &["customer", "add", "--ref", reference, "--name", name],
            );
        }
        let printed = ok(
            &db,
            &[
                "customer",
                "portal-link",
                "BOLT",
                "--public-url",
                "https://pay.acme.example/",
            ],
        );
        let link = printed.trim();
        let token = link
            .strip_prefix("https://pay.acme.example/portal/")
            .unwrap_or_else(|| panic!("[{label}] {link}"));
        let mut store = dun_store::Store::open(&db.url).expect("the store");
        let org = store.org(None).expect("the organisation");
        let bolt = store.customer(org.id, "BOLT").expect("BOLT");
        let today = dun_core::Date::parse("2026-01-01").unwrap();
        let verified = store
            .verify_portal_token(token, today)
            .unwrap_or_else(|e| panic!("[{label}] {e:?}"));
        assert_eq!(verified.customer_id, bolt.id, "[{label}]");
        assert_eq!(verified.org_id, org.id, "[{label}]");
        let altered = format!("{}x", &token[..token.len() - 1]);
        assert!(
            store.verify_portal_token(&altered, today).is_err(),
            "[{label}] an altered link must not verify"
        );

        // Withdrawn from the command line: the printed link stops working.
        let said = ok(
            &db,
            &["customer", "portal-withdraw", "BOLT", "--author", "olive"],
        );
        assert!(
            said.contains("Withdrew the portal links"),
            "[{label}] {said}"
        );
        assert!(
            matches!(
                store.verify_portal_token(token, today),
                Err(dun_store::portal::PortalError::Withdrawn { .. })
            ),
            "[{label}] a withdrawn link must be refused as withdrawn"
        );

        let refused = fails(
            &db,
            &[
                "customer",
                "portal-link",
                "NOPE",
                "--public-url",
                "https://pay.acme.example",
            ],
        );
        assert!(refused.contains("NOPE"), "[{label}] {refused}");
    }
}
