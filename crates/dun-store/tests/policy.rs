//! The credit policy's versions: a new organisation has the default, each
//! change is a new version with what changed, and a refused document writes
//! nothing. On each engine; concurrent writers never share a version.

#[macro_use]
mod common;

use std::sync::Barrier;
use std::thread;

use common::*;
use dun_core::collections::document::{self, DEFAULT_POLICY};
use dun_store::policies::DEFAULT_AUTHOR;
use dun_store::{Store, StoreError};

/// Connections applying a policy at once.
const WRITERS: usize = 4;

/// The default policy with the final demand sent at `days` past due.
fn final_demand_at(days: u32) -> String {
    let from = "key = \"final_demand\"\ndays_past_due = 60";
    assert!(DEFAULT_POLICY.contains(from));
    DEFAULT_POLICY.replacen(
        from,
        &format!("key = \"final_demand\"\ndays_past_due = {days}"),
        1,
    )
}

storage_test!(
    fn a_new_organisation_has_the_default_policy_as_version_1(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let current = store.policy(acme.id).unwrap();
        assert_eq!(current.version, 1);
        assert_eq!(current.document, DEFAULT_POLICY);
        assert_eq!(current.policy, document::parse(DEFAULT_POLICY).unwrap());
        assert_eq!(current.author, DEFAULT_AUTHOR);
        assert_eq!(store.policy_version(acme.id, 1).unwrap(), current);
        let history = store.policy_versions(acme.id).unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].version, 1);
    }
);

storage_test!(
    fn applying_a_changed_document_makes_version_2_with_what_changed(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let other = org(store, "Other Ltd");
        let text = final_demand_at(45).replacen("flat = \"40.00\"", "flat = \"25.00\"", 1);
        let applied = store.apply_policy(acme.id, &text, "ann", None).unwrap();
        assert_eq!(applied.version, 2);
        assert_eq!(applied.document, text);
        assert_eq!(applied.author, "ann");
        assert_eq!(
            applied.changes,
            [
                "step final_demand: days_past_due 60 → 45",
                "late_fee: flat 40.00 → 25.00"
            ]
        );
        assert_eq!(store.policy(acme.id).unwrap(), applied);
        let history = store.policy_versions(acme.id).unwrap();
        let versions: Vec<(i64, &str)> = history
            .iter()
            .map(|v| (v.version, v.author.as_str()))
            .collect();
        assert_eq!(versions, [(1, DEFAULT_AUTHOR), (2, "ann")]);
        assert_eq!(history[1].changes, applied.changes);
        // The version before stays as it was; the other organisation is untouched.
        assert_eq!(
            store.policy_version(acme.id, 1).unwrap().document,
            DEFAULT_POLICY
        );
        assert_eq!(store.policy(other.id).unwrap().version, 1);
        assert!(matches!(
            store.policy_version(acme.id, 3),
            Err(StoreError::NotFound { .. })
        ));
    }
);

storage_test!(
    fn a_bad_document_is_refused_with_its_lines_and_nothing_is_written(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let text = final_demand_at(20);
        let line = text
            .lines()
            .position(|l| l == "days_past_due = 20")
            .unwrap()
            + 1;
        let error = store.apply_policy(acme.id, &text, "ann", None).unwrap_err();
        let StoreError::PolicyDocument(errors) = &error else {
            panic!("expected the document's errors, got {error}");
        };
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert_eq!(errors[0].line, Some(line));
        assert_eq!(errors[0].place, "step 4 ('final_demand')");
        assert!(
            error.to_string().contains(&format!(
                "line {line}: step 4 ('final_demand'): days_past_due 20"
            )),
            "{error}"
        );
        let error = store
            .apply_policy(
                acme.id,
                "default_terms = \"net30\"\n[credit\n",
                "ann",
                Some("bad-1"),
            )
            .unwrap_err();
        assert!(error.to_string().contains("line 2"), "{error}");
        assert_eq!(store.policy_versions(acme.id).unwrap().len(), 1);
        assert_eq!(store.policy(acme.id).unwrap().version, 1);
    }
);

storage_test!(
    fn a_document_that_changes_nothing_is_refused(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        // Notes differ, the policy does not.
        let text = format!("# Reviewed with the accountant.\n{DEFAULT_POLICY}");
        let error = store.apply_policy(acme.id, &text, "ann", None).unwrap_err();
        assert!(
            error.to_string().contains("changes nothing")
                && error.to_string().contains("version 1"),
            "{error}"
        );
        assert_eq!(store.policy_versions(acme.id).unwrap().len(), 1);
        let error = store
            .apply_policy(acme.id, &final_demand_at(45), " ", None)
            .unwrap_err();
        assert!(error.to_string().contains("author"), "{error}");
        assert!(matches!(
            store.policy(acme.id + 1000),
            Err(StoreError::NotFound { .. })
        ));
    }
);

storage_test!(
    fn a_repeated_key_returns_the_version_it_made(store: &mut Store) {
        let acme = org(store, "Acme Ltd");
        let text = final_demand_at(45);
        let first = store
            .apply_policy(acme.id, &text, "ann", Some("policy-1"))
            .unwrap();
        let again = store
            .apply_policy(acme.id, &text, "ann", Some("policy-1"))
            .unwrap();
        assert_eq!(again, first);
        assert_eq!(store.policy_versions(acme.id).unwrap().len(), 2);
        let other = store
            .apply_policy(acme.id, &final_demand_at(50), "ann", Some("policy-1"))
            .unwrap_err();
        assert!(matches!(other, StoreError::KeyReused(_)), "{other}");
        // Without the key, the same document is a no-op now.
        assert!(store.apply_policy(acme.id, &text, "ann", None).is_err());
    }
);

storage_test!(
    fn an_old_organisation_gets_the_default_when_read(store: &mut Store, url: &str) {
        let acme = org(store, "Acme Ltd");
        // As an organisation made before policies were kept.
        let mut raw = dun_store::Conn::open(url).unwrap();
        raw.batch("DELETE FROM policy_versions").unwrap();
        drop(raw);
        assert!(store.policy_versions(acme.id).unwrap().len() == 1);
        assert_eq!(store.policy(acme.id).unwrap().version, 1);
        let applied = store
            .apply_policy(acme.id, &final_demand_at(45), "ann", None)
            .unwrap();
        assert_eq!(applied.version, 2);
    }
);

storage_test!(
    fn writers_at_once_get_consecutive_versions(store: &mut Store, url: &str) {
        let acme = org(store, "Acme Ltd");
        let start = Barrier::new(WRITERS);
        let versions: Vec<i64> = thread::scope(|scope| {
            let handles: Vec<_> = (0..WRITERS)
                .map(|t| {
                    let start = &start;
                    scope.spawn(move || {
                        let opened = Store::open(url);
                        start.wait();
                        let mut store = opened.expect("open the store");
                        // Each writer's own change, so none is a no-op.
                        let text = final_demand_at(40 + t as u32);
                        store
                            .apply_policy(acme.id, &text, &format!("writer {t}"), None)
                            .expect("apply")
                            .version
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a writer panicked"))
                .collect()
        });
        let mut sorted = versions.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            (2..2 + WRITERS as i64).collect::<Vec<_>>(),
            "{versions:?}"
        );
        let history = store.policy_versions(acme.id).unwrap();
        assert_eq!(history.len(), WRITERS + 1);
        // Each version's changes are told against the version just before it.
        for pair in history.windows(2) {
            let before = store.policy_version(acme.id, pair[0].version).unwrap();
            let after = store.policy_version(acme.id, pair[1].version).unwrap();
            assert_eq!(
                after.changes,
                document::summarize_changes(&before.policy, &after.policy)
            );
        }
    }
);

storage_test!(
    fn a_customer_override_is_one_new_version_and_its_timeline_entry(store: &mut Store) {
        use dun_core::collections::policy::{CustomerOverride, PolicyAmount};
        use dun_core::terms::Terms;

        let acme = org(store, "Acme Ltd");
        let bolt = customer(store, &acme, "BOLT");
        let owner_text = final_demand_at(45).replacen("\n", "\n# The owner's note, kept.\n", 1);
        store
            .apply_policy(acme.id, &owner_text, "olive", None)
            .unwrap();
        // Quotes, a backslash, a new line and TOML's own words in the
        // reason: written by TOML's rules, read back as given.
        let reason = "Pays \"quarterly\" by cheque \\ \n[[customer]] ref = \"X\"";
        let added = CustomerOverride {
            reference: "BOLT".into(),
            terms: Some(Terms::parse("net60").unwrap()),
            credit_limit: Some(PolicyAmount::parse("10000").unwrap()),
            pause: false,
            ladder_shift_days: 0,
            reason: reason.into(),
        };
        let made = store
            .add_customer_override(acme.id, &added, d("2026-03-01"), "olive")
            .unwrap();
        assert_eq!(made.version, 3);
        assert_eq!(made.policy.override_for("BOLT"), Some(&added));
        assert!(made.document.starts_with(&owner_text), "{}", made.document);
        assert_eq!(made.author, "olive");
        let timeline = store.timeline(acme.id, bolt.id, None, 1).unwrap();
        assert_eq!(timeline[0].kind, "override");
        assert_eq!(
            timeline[0].summary,
            format!("Policy override (version 3): terms net60; credit limit 10000 — {reason}")
        );

        // Refused, nothing written: a second override, an unknown
        // customer, no reason, a reason over the limit, no change.
        let versions = store.policy_versions(acme.id).unwrap().len();
        let entries = store.timeline(acme.id, bolt.id, None, 100).unwrap().len();
        let again = store
            .add_customer_override(acme.id, &added, d("2026-03-02"), "olive")
            .unwrap_err();
        assert!(
            matches!(&again, StoreError::Conflict(m) if m.contains("already has an override in policy version 3")),
            "{again}"
        );
        let mut nobody = added.clone();
        nobody.reference = "NOPE".into();
        assert!(matches!(
            store.add_customer_override(acme.id, &nobody, d("2026-03-02"), "olive"),
            Err(StoreError::NotFound { .. })
        ));
        let zed = customer(store, &acme, "ZED");
        let zeds = store.timeline(acme.id, zed.id, None, 100).unwrap().len();
        let with = |reason: String, pause: bool| CustomerOverride {
            reference: "ZED".into(),
            terms: None,
            credit_limit: None,
            pause,
            ladder_shift_days: 0,
            reason,
        };
        for (refused, words) in [
            (with(" ".into(), true), "reason:"),
            (
                with("x".repeat(dun_core::REASON_CHARS_MAX + 1), true),
                "reason: at most 1000 characters",
            ),
            (with("why".into(), false), "at least one change"),
        ] {
            let e = store
                .add_customer_override(acme.id, &refused, d("2026-03-02"), "olive")
                .unwrap_err();
            assert!(e.to_string().contains(words), "{e}");
        }
        assert_eq!(store.policy_versions(acme.id).unwrap().len(), versions);
        assert_eq!(
            store.timeline(acme.id, bolt.id, None, 100).unwrap().len(),
            entries
        );
        assert_eq!(
            store.timeline(acme.id, zed.id, None, 100).unwrap().len(),
            zeds
        );
        // 1000 two-byte characters are a reason within the limit.
        let made = store
            .add_customer_override(
                acme.id,
                &with("é".repeat(dun_core::REASON_CHARS_MAX), true),
                d("2026-03-02"),
                "olive",
            )
            .unwrap();
        assert_eq!(made.version, 4);
        assert!(made.policy.override_for("ZED").is_some_and(|o| o.pause));
    }
);
