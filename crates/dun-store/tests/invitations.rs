//! Issue 18 items 4 and 5, on both engines: an owner invites an address
//! (the same answer whether or not it has an account anywhere) and the
//! membership is made only when the invitee accepts; an owner's reset
//! link lets a member set a new password once, ending their sessions.
//! Expired, used and withdrawn links are refused.

#[macro_use]
mod common;

use common::*;
use dun_store::accounts::Role;
use dun_store::clock::{seconds_of, utc_of, Clock};
use dun_store::invitations::{Acceptance, INVITATION_DAYS, RESET_LINK_HOURS};
use dun_store::Store;

const PASSWORD: &str = "a long enough phrase";

fn owner_of(store: &mut Store, org_id: i64, email: &str) -> i64 {
    store
        .add_user(org_id, email, "Owner", Some(PASSWORD), Role::Owner)
        .unwrap()
        .user
        .id
}

/// The instant the scenarios happen at: each stops its store's clock here.
const NOW: &str = "2026-05-04T09:00:00Z";

fn days_from_now(days: i64) -> String {
    utc_of(seconds_of(NOW).unwrap() + days * 86_400)
}

fn emails(store: &mut Store, org_id: i64) -> Vec<String> {
    let mut all: Vec<String> = store
        .members(org_id)
        .unwrap()
        .into_iter()
        .map(|m| m.user.email)
        .collect();
    all.sort();
    all
}

storage_test!(
    fn an_invitation_makes_a_member_only_when_accepted(store: &mut Store) {
        store.set_clock(Clock::at(NOW).unwrap());
        let a = org(store, "Alpha");
        let b = org(store, "Beta");
        let ann = owner_of(store, a.id, "ann@alpha.example");
        owner_of(store, b.id, "bob@beta.example");
        let ben = store
            .add_user(
                b.id,
                "ben@beta.example",
                "Ben Secret-Surname",
                Some(PASSWORD),
                Role::Collector,
            )
            .unwrap();

        // An address with an account elsewhere and one with none: the
        // same answer's shape, and no membership yet.
        let known = store
            .invite(a.id, ann, " BEN@beta.example ", Role::Viewer)
            .unwrap();
        let unknown = store
            .invite(a.id, ann, "nia@new.example", Role::Collector)
            .unwrap();
        assert_eq!(known.invitation.email, "ben@beta.example");
        assert_eq!(known.secret.len(), unknown.secret.len());
        assert_ne!(known.secret, unknown.secret);
        assert_eq!(emails(store, a.id), ["ann@alpha.example"]);
        let pending = store.invitations(a.id, NOW).unwrap();
        assert_eq!(pending.len(), 2);
        assert!(pending.iter().all(|i| i.expires_at.as_str() > NOW));
        // Another organisation sees none of A's invitations.
        assert!(store.invitations(b.id, NOW).unwrap().is_empty());
        let offer = store.invitation_offer(&known.secret, NOW).unwrap().unwrap();
        assert_eq!(
            (offer.org_name.as_str(), offer.role),
            ("Alpha", Role::Viewer)
        );

        // Expired: refused, and nothing made.
        let later = days_from_now(INVITATION_DAYS + 1);
        assert!(store
            .invitation_offer(&known.secret, &later)
            .unwrap()
            .is_none());
        let refused = store
            .accept_invitation(
                &known.secret,
                Acceptance::Existing { password: PASSWORD },
                &later,
            )
            .unwrap_err();
        assert!(refused.to_string().contains("expired"), "{refused}");
        assert_eq!(emails(store, a.id), ["ann@alpha.example"]);

        // Ben accepts with his own password: a member of both, his
        // account's password unchanged, and A's list shows his date of
        // joining A, not his account's.
        let wrong = store
            .accept_invitation(
                &known.secret,
                Acceptance::Existing {
                    password: "not his password",
                },
                NOW,
            )
            .unwrap_err();
        assert!(wrong.to_string().contains("password"), "{wrong}");
        let accepted = store
            .accept_invitation(
                &known.secret,
                Acceptance::Existing { password: PASSWORD },
                NOW,
            )
            .unwrap();
        assert_eq!(accepted.org.id, a.id);
        assert_eq!(accepted.user.id, ben.user.id);
        let roles: Vec<(String, Role)> = store
            .memberships(ben.user.id)
            .unwrap()
            .into_iter()
            .map(|(o, r)| (o.name, r))
            .collect();
        assert_eq!(
            roles,
            [
                ("Alpha".to_string(), Role::Viewer),
                ("Beta".to_string(), Role::Collector)
            ]
        );
        let in_a = store
            .members(a.id)
            .unwrap()
            .into_iter()
            .find(|m| m.user.id == ben.user.id)
            .unwrap();
        assert_eq!(in_a.user.created_at, accepted.user.created_at);
        assert!(store
            .check_password("ben@beta.example", PASSWORD)
            .unwrap()
            .is_some());

        // Used: refused the second time.
        let again = store
            .accept_invitation(
                &known.secret,
                Acceptance::Existing { password: PASSWORD },
                NOW,
            )
            .unwrap_err();
        assert!(again.to_string().contains("used"), "{again}");

        // Withdrawn: refused; withdrawing B's or a used one is not found.
        store
            .withdraw_invitation(a.id, unknown.invitation.id)
            .unwrap();
        assert!(store
            .withdraw_invitation(a.id, unknown.invitation.id)
            .is_err());
        assert!(store
            .withdraw_invitation(b.id, known.invitation.id)
            .is_err());
        let withdrawn = store
            .accept_invitation(
                &unknown.secret,
                Acceptance::New {
                    name: "Nia",
                    password: PASSWORD,
                },
                NOW,
            )
            .unwrap_err();
        assert!(withdrawn.to_string().contains("withdrawn"), "{withdrawn}");
        assert!(store
            .check_password("nia@new.example", PASSWORD)
            .unwrap()
            .is_none());

        // A new person accepts a fresh invitation with a name and password;
        // a weak password is refused and nothing is made.
        let fresh = store
            .invite(a.id, ann, "nia@new.example", Role::Collector)
            .unwrap();
        assert!(store
            .accept_invitation(
                &fresh.secret,
                Acceptance::New {
                    name: "Nia",
                    password: "short",
                },
                NOW,
            )
            .is_err());
        assert!(store
            .check_password("nia@new.example", "short")
            .unwrap()
            .is_none());
        store
            .accept_invitation(
                &fresh.secret,
                Acceptance::New {
                    name: "Nia",
                    password: PASSWORD,
                },
                NOW,
            )
            .unwrap();
        assert_eq!(
            emails(store, a.id),
            ["ann@alpha.example", "ben@beta.example", "nia@new.example"]
        );
        assert!(store.invitations(a.id, NOW).unwrap().is_empty());
        // Inviting a member of A again says so (A's own list shows them).
        assert!(store
            .invite(a.id, ann, "nia@new.example", Role::Viewer)
            .unwrap_err()
            .to_string()
            .contains("member of this organisation already"));
        // A forged or malformed link is refused like any other.
        assert!(store
            .invitation_offer(&"00".repeat(32), NOW)
            .unwrap()
            .is_none());
        assert!(store.invitation_offer("../../etc", NOW).unwrap().is_none());
    }
);

storage_test!(
    fn a_reset_link_sets_a_password_once_and_ends_the_sessions(store: &mut Store) {
        store.set_clock(Clock::at(NOW).unwrap());
        let a = org(store, "Alpha");
        let b = org(store, "Beta");
        let ann = owner_of(store, a.id, "ann@alpha.example");
        let bob = owner_of(store, b.id, "bob@beta.example");
        let cole = store
            .add_user(
                a.id,
                "cole@alpha.example",
                "Cole",
                Some(PASSWORD),
                Role::Collector,
            )
            .unwrap()
            .user
            .id;
        let session = store.create_session(cole, a.id, &days_from_now(1)).unwrap();
        // Only a member of the owner's own organisation.
        assert!(store.issue_reset_link(b.id, bob, cole).is_err());

        let link = store.issue_reset_link(a.id, ann, cole).unwrap();
        assert_eq!(link.email, "cole@alpha.example");
        let later = utc_of(seconds_of(NOW).unwrap() + RESET_LINK_HOURS * 3600 + 60);
        assert!(store
            .reset_link_email(&link.secret, &later)
            .unwrap()
            .is_none());
        assert!(store
            .reset_password(&link.secret, "a brand new phrase", &later)
            .unwrap_err()
            .to_string()
            .contains("expired"));
        assert!(store.reset_password(&link.secret, "short", NOW).is_err());
        assert_eq!(
            store
                .reset_link_email(&link.secret, NOW)
                .unwrap()
                .as_deref(),
            Some("cole@alpha.example")
        );
        store
            .reset_password(&link.secret, "a brand new phrase", NOW)
            .unwrap();
        assert!(store
            .check_password("cole@alpha.example", "a brand new phrase")
            .unwrap()
            .is_some());
        assert!(store
            .authenticate_session(&session.secret, NOW)
            .unwrap()
            .is_none());
        assert!(store
            .reset_password(&link.secret, "yet another phrase", NOW)
            .unwrap_err()
            .to_string()
            .contains("used"));
        // A newer link replaces an older one.
        let first = store.issue_reset_link(a.id, ann, cole).unwrap();
        let second = store.issue_reset_link(a.id, ann, cole).unwrap();
        assert!(store
            .reset_link_email(&first.secret, NOW)
            .unwrap()
            .is_none());
        assert!(store
            .reset_link_email(&second.secret, NOW)
            .unwrap()
            .is_some());
    }
);
