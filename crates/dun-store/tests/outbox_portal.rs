//! The outbox's enqueue (kinds, checks, a stable Message-ID per row) and
//! signed portal links (valid, altered, expired, another organisation's),
//! on both engines.

#[macro_use]
mod common;

use common::*;
use dun_store::outbox::{MessageKind, NewMessage};
use dun_store::portal::{portal_url, PortalError};
use dun_store::{Store, StoreError};

fn message(customer_id: i64, kind: MessageKind) -> NewMessage {
    NewMessage {
        customer_id,
        kind,
        invoice_id: None,
        period: None,
        template: kind.as_str().to_string(),
        detail: serde_json::json!({}),
        as_of: d("2026-03-01"),
    }
}

storage_test!(
    fn enqueue_checks_each_kind_and_gives_each_row_a_message_id(store: &mut Store) {
        let acme = org(store, "Acme");
        let other = org(store, "Other");
        let c1 = customer(store, &acme, "C1");
        let c2 = customer(store, &acme, "C2");
        let stranger = customer(store, &other, "S1");
        let posted = invoice(store, &acme, &c1, "2026-02-01", "net30", 100_000);
        let invoice_id = posted.invoice_id;

        // An invoice message needs its document, of the same customer.
        let err = store
            .enqueue_message(acme.id, &message(c1.id, MessageKind::Invoice))
            .unwrap_err();
        assert!(
            err.to_string().contains("needs the document's invoice_id"),
            "{err}"
        );
        let mut wrong_customer = message(c2.id, MessageKind::Invoice);
        wrong_customer.invoice_id = Some(invoice_id);
        let err = store.enqueue_message(acme.id, &wrong_customer).unwrap_err();
        assert!(err.to_string().contains("belongs to customer"), "{err}");
        // Another organisation's customer does not exist here.
        let err = store
            .enqueue_message(acme.id, &message(stranger.id, MessageKind::Dunning))
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
        // A statement needs a period that runs forward.
        let err = store
            .enqueue_message(acme.id, &message(c1.id, MessageKind::Statement))
            .unwrap_err();
        assert!(err.to_string().contains("needs its period"), "{err}");
        let mut backwards = message(c1.id, MessageKind::Statement);
        backwards.period = Some((d("2026-02-28"), d("2026-02-01")));
        assert!(store.enqueue_message(acme.id, &backwards).is_err());
        let mut bad_name = message(c1.id, MessageKind::Dunning);
        bad_name.template = "no spaces".into();
        let err = store.enqueue_message(acme.id, &bad_name).unwrap_err();
        assert!(
            err.to_string().contains("template name 'no spaces'"),
            "{err}"
        );
        assert!(store.outbox(acme.id, None, 100).unwrap().is_empty());

        let mut inv = message(c1.id, MessageKind::Invoice);
        inv.invoice_id = Some(invoice_id);
        let inv_id = store.enqueue_message(acme.id, &inv).unwrap();
        let mut statement = message(c2.id, MessageKind::Statement);
        statement.period = Some((d("2026-02-01"), d("2026-02-28")));
        statement.detail = serde_json::json!({"schedule": "monthly"});
        let st_id = store.enqueue_message(acme.id, &statement).unwrap();

        let listed = store.outbox(acme.id, Some("pending"), 100).unwrap();
        assert_eq!(listed.len(), 2);
        let a = &listed[0];
        assert_eq!(
            (a.id, a.kind.as_str(), a.invoice_id),
            (inv_id, "invoice", Some(invoice_id))
        );
        assert_eq!(a.channels, ["email"]);
        assert_eq!(a.attempts, 0);
        let b = &listed[1];
        assert_eq!(b.id, st_id);
        assert_eq!(b.kind, "statement");
        assert_eq!(b.period_start, Some(d("2026-02-01")));
        assert_eq!(b.period_end, Some(d("2026-02-28")));
        assert_eq!(b.detail["schedule"], "monthly");
        let ids: Vec<&str> = listed
            .iter()
            .map(|m| m.message_id.as_deref().unwrap())
            .collect();
        assert!(
            ids[0].starts_with(&format!("dun.{inv_id}.{}.", acme.id)),
            "{}",
            ids[0]
        );
        assert!(ids[0].ends_with("@dun"));
        assert_ne!(ids[0], ids[1]);
        // Reading it again gives the same Message-ID: it is stored, not made up.
        assert_eq!(
            store
                .outbox_message(acme.id, inv_id)
                .unwrap()
                .message_id
                .as_deref(),
            Some(ids[0])
        );
        assert!(store.outbox(other.id, None, 100).unwrap().is_empty());
        let err = store.outbox(acme.id, Some("lost"), 100).unwrap_err();
        assert!(err.to_string().contains("not one of pending"), "{err}");
        assert_eq!(
            store.outbox_counts(acme.id).unwrap(),
            vec![("pending".to_string(), 2)]
        );
    }
);

storage_test!(
    fn portal_links_are_signed_and_expire(store: &mut Store) {
        let acme = org(store, "Acme");
        let other = org(store, "Other");
        let c1 = customer(store, &acme, "C1");
        let s1 = customer(store, &other, "S1");
        let expires = d("2026-04-30");
        let token = store.portal_token(acme.id, c1.id, expires).unwrap();
        // The same inputs sign the same token (the secret is written once).
        assert_eq!(token, store.portal_token(acme.id, c1.id, expires).unwrap());

        let access = store.verify_portal_token(&token, d("2026-04-30")).unwrap();
        assert_eq!(
            (access.org_id, access.customer_id, access.expires_on),
            (acme.id, c1.id, expires)
        );

        match store.verify_portal_token(&token, d("2026-05-01")) {
            Err(PortalError::Expired { expires_on }) => assert_eq!(expires_on, expires),
            other => panic!("expected expired, got {other:?}"),
        }

        // Every single changed character of the signature is caught.
        let sig_start = token.rfind('.').unwrap() + 1;
        for i in sig_start..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'0' { b'1' } else { b'0' };
            let altered = String::from_utf8(bytes).unwrap();
            assert!(
                matches!(
                    store.verify_portal_token(&altered, d("2026-04-01")),
                    Err(PortalError::Altered)
                ),
                "byte {i} of {altered}"
            );
        }
        // A later expiry, or another customer, with the old signature.
        let sig = &token[sig_start..];
        let later = format!("{}.{}.{}.{sig}", acme.id, c1.id, expires.day_number() + 365);
        assert!(matches!(
            store.verify_portal_token(&later, d("2027-06-01")),
            Err(PortalError::Altered)
        ));
        let moved = format!("{}.{}.{}.{sig}", acme.id, c1.id + 1, expires.day_number());
        assert!(matches!(
            store.verify_portal_token(&moved, d("2026-04-01")),
            Err(PortalError::Altered)
        ));
        // Signed with another organisation's secret: not valid for this one.
        let theirs = store.portal_token(other.id, s1.id, expires).unwrap();
        let their_sig = &theirs[theirs.rfind('.').unwrap() + 1..];
        let forged = format!("{}.{}.{}.{their_sig}", acme.id, s1.id, expires.day_number());
        assert!(matches!(
            store.verify_portal_token(&forged, d("2026-04-01")),
            Err(PortalError::Altered)
        ));
        assert_ne!(sig, their_sig);
        assert!(matches!(
            store.verify_portal_token("not-a-token", d("2026-04-01")),
            Err(PortalError::Malformed(_))
        ));
        // A customer of another organisation gets no token from this one.
        assert!(store.portal_token(acme.id, s1.id, expires).is_err());
        assert_eq!(
            portal_url("https://pay.acme.test", &token),
            format!("https://pay.acme.test/portal/{token}")
        );
    }
);

storage_test!(
    fn withdrawn_portal_links_stop_working_and_new_ones_work(store: &mut Store) {
        let acme = org(store, "Acme");
        let c1 = customer(store, &acme, "C1");
        let c2 = customer(store, &acme, "C2");
        let expires = d("2026-04-30");
        let today = d("2026-03-01");
        let first = store.portal_token(acme.id, c1.id, expires).unwrap();
        let theirs = store.portal_token(acme.id, c2.id, expires).unwrap();
        assert!(store.verify_portal_token(&first, today).is_ok());

        assert_eq!(
            store
                .withdraw_portal_links(acme.id, "C1", today, "olive")
                .unwrap(),
            1
        );
        match store.verify_portal_token(&first, today) {
            Err(PortalError::Withdrawn { org_id }) => assert_eq!(org_id, acme.id),
            other => panic!("expected withdrawn, got {other:?}"),
        }
        // Only that customer's links; a new one works, and differs.
        assert!(store.verify_portal_token(&theirs, today).is_ok());
        let second = store.portal_token(acme.id, c1.id, expires).unwrap();
        assert_ne!(first, second);
        assert_eq!(
            store
                .verify_portal_token(&second, today)
                .unwrap()
                .customer_id,
            c1.id
        );
        // Withdrawn again: both earlier links say so; an altered one is
        // still altered, not withdrawn.
        assert_eq!(
            store
                .withdraw_portal_links(acme.id, "C1", today, "olive")
                .unwrap(),
            2
        );
        for token in [&first, &second] {
            assert!(matches!(
                store.verify_portal_token(token, today),
                Err(PortalError::Withdrawn { .. })
            ));
        }
        let mut altered = second.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
        assert!(matches!(
            store.verify_portal_token(&String::from_utf8(altered).unwrap(), today),
            Err(PortalError::Altered)
        ));
        // On the timeline, by whom; an unknown customer is refused.
        let timeline = store.timeline(acme.id, c1.id, None, 10).unwrap();
        assert_eq!(
            timeline
                .iter()
                .filter(|e| e.kind == "portal_withdrawn" && e.author == "olive")
                .count(),
            2
        );
        assert!(matches!(
            store.withdraw_portal_links(acme.id, "NOBODY", today, "olive"),
            Err(StoreError::NotFound { .. })
        ));
        // Nobody named: refused, and nothing withdrawn.
        match store.withdraw_portal_links(acme.id, "C2", today, "  ") {
            Err(StoreError::Invalid(m)) => assert!(m.contains("author"), "{m}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(store.verify_portal_token(&theirs, today).is_ok());
    }
);
