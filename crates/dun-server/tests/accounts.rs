//! Set-up, sign-in, roles and tokens over HTTP.

mod common;

use common::problem;
use serde_json::json;

server_test!(
    fn setup_once_then_sign_in_and_tokens(server: &TestServer) {
        let anon = server.anonymous();
        assert_eq!(anon.get("/api/v1/setup").1["needed"], json!(true));
        let owner = server.owner("Acme");
        assert_eq!(anon.get("/api/v1/setup").1["needed"], json!(false));
        // Set-up is closed now.
        problem(409, anon.post("/api/v1/setup", json!({"organisation": "Other", "currency": "USD",
        "timezone": "UTC", "email": "x@y.example", "name": "X", "password": "correct horse battery"})));
        // … and the refusal wrote nothing: no organisation "Other".
        let orgs = dun_store::Store::open(&server.database_url)
            .unwrap()
            .orgs()
            .unwrap();
        assert_eq!(
            orgs.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(),
            ["Acme"]
        );
        let (status, who) = owner.get("/api/v1/session");
        assert_eq!(status, 200, "{who}");
        assert_eq!(who["role"], json!("owner"));
        assert_eq!(who["organisation"]["name"], json!("Acme"));
        assert_eq!(who["via"], json!("token"));

        // No credential, a wrong one, a revoked one.
        problem(401, anon.get("/api/v1/customers"));
        let forged = common::Api::new(&server.base, Some("dun_0000".into()));
        problem(401, forged.get("/api/v1/customers"));
        let (status, tokens) = owner.get("/api/v1/tokens");
        assert_eq!(status, 200);
        assert!(tokens
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t.get("secret").is_none()));

        // A viewer cannot write; a collector cannot manage users.
        common::add_member(
            &owner,
            "vera@acme.example",
            "Vera",
            "viewer password",
            "viewer",
        );
        common::add_member(
            &owner,
            "cole@acme.example",
            "Cole",
            "collector password",
            "collector",
        );
        let viewer = server.token_for_role("vera@acme.example", "viewer password", "viewer");
        let collector =
            server.token_for_role("cole@acme.example", "collector password", "collector");
        assert_eq!(viewer.get("/api/v1/customers").0, 200);
        problem(
            403,
            viewer.post(
                "/api/v1/customers",
                json!({"reference": "C1", "name": "One"}),
            ),
        );
        assert_eq!(
            collector
                .post(
                    "/api/v1/customers",
                    json!({"reference": "C1", "name": "One"})
                )
                .0,
            201
        );
        problem(403, collector.get("/api/v1/users"));
        // A token never has more rights than its user.
        problem(
            422,
            collector.post("/api/v1/tokens", json!({"name": "mine", "role": "owner"})),
        );
        let (status, own) = collector.get("/api/v1/tokens");
        assert_eq!(status, 200);
        assert!(
            own.as_array()
                .unwrap()
                .iter()
                .all(|t| t["user_email"] == json!("cole@acme.example")),
            "{own}"
        );

        // Revoking works at once.
        let (_, tokens) = owner.get("/api/v1/tokens");
        let collector_token = tokens
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["user_email"] == json!("cole@acme.example"))
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        assert_eq!(
            owner.delete(&format!("/api/v1/tokens/{collector_token}")).0,
            204
        );
        problem(401, collector.get("/api/v1/customers"));

        // The last owner stays an owner.
        let (_, users) = owner.get("/api/v1/users");
        let owner_id = users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["role"] == json!("owner"))
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        problem(
            409,
            owner.patch(
                &format!("/api/v1/users/{owner_id}"),
                json!({"role": "viewer"}),
            ),
        );
    }
);

server_test!(
    fn sessions_need_csrf_on_writes_and_sign_in_is_rate_limited(server: &TestServer) {
        let _owner = server.owner("Acme");
        let session = server.session("owner@acme.example", "correct horse battery", None);
        assert_eq!(session.get("/api/v1/customers").0, 200);
        assert_eq!(
            session
                .post(
                    "/api/v1/customers",
                    json!({"reference": "C1", "name": "One"})
                )
                .0,
            201
        );
        // The same cookie without the CSRF header is refused.
        let body = problem(
            403,
            session.without_csrf().post(
                "/api/v1/customers",
                json!({"reference": "C2", "name": "Two"}),
            ),
        );
        assert_eq!(body["field"], json!("x-csrf-token"));

        let anon = server.anonymous();
        for _ in 0..5 {
            problem(
                401,
                anon.post(
                    "/api/v1/session",
                    json!({"email": "owner@acme.example", "password": "wrong password"}),
                ),
            );
        }
        let reply = anon.send(
            "POST",
            "/api/v1/session",
            Some(json!({"email": "owner@acme.example", "password": "correct horse battery"})),
            &[],
        );
        assert_eq!(reply.status, 429, "{}", reply.body);
        assert!(reply.header("retry-after").is_some());
        // Issue 18 item 3: a padded or re-cased address is the same
        // identity, and X-Forwarded-For from a peer that is not a trusted
        // proxy names no other client.
        let padded = anon.send(
            "POST",
            "/api/v1/session",
            Some(json!({"email": "   OWNER@acme.example", "password": "a guess"})),
            &[("x-forwarded-for", "203.0.113.77")],
        );
        assert_eq!(padded.status, 429, "{}", padded.body);
    }
);

server_test!(
    fn every_response_carries_the_security_headers(server: &TestServer) {
        // Issue 18 item 6: an API answer, a refusal and a staff page alike.
        let owner = server.owner("Acme");
        let anon = server.anonymous();
        for reply in [
            owner.send("GET", "/api/v1/session", None, &[]),
            anon.send("GET", "/api/v1/invoices", None, &[]),
            anon.send("GET", "/no-such-route", None, &[]),
        ] {
            let csp = reply.header("content-security-policy").unwrap_or_default();
            assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
            assert!(
                csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
                "{csp}"
            );
            assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
            assert!(reply.header("referrer-policy").is_some());
            // The test server's public URL is http: no HSTS.
            assert!(reply.header("strict-transport-security").is_none());
        }
    }
);

server_test!(
    /// Issue 18 item 4: there was no way to change a password. A user
    /// (any role) changes their own: the current one must be right, and
    /// every other session of theirs ends.
    fn a_user_changes_their_own_password_and_other_sessions_end(server: &TestServer) {
        let owner = server.owner("Acme");
        common::add_member(
            &owner,
            "vera@acme.example",
            "Vera",
            "viewer password",
            "viewer",
        );
        let asking = server.session("vera@acme.example", "viewer password", None);
        let other = server.session("vera@acme.example", "viewer password", None);
        let wrong = problem(
            422,
            asking.post(
                "/api/v1/session/password",
                json!({"current_password": "not it at all", "new_password": "a much longer phrase"}),
            ),
        );
        assert!(wrong.to_string().contains("current_password"), "{wrong}");
        problem(
            422,
            asking.post(
                "/api/v1/session/password",
                json!({"current_password": "viewer password", "new_password": "short"}),
            ),
        );
        // Long enough, but one of the most common passwords: refused, saying why.
        let common = problem(
            422,
            asking.post(
                "/api/v1/session/password",
                json!({"current_password": "viewer password", "new_password": "P@ssw0rd2026!"}),
            ),
        );
        assert!(
            common["detail"]
                .as_str()
                .unwrap()
                .contains("most common passwords"),
            "{common}"
        );
        let (status, body) = asking.post(
            "/api/v1/session/password",
            json!({"current_password": "viewer password", "new_password": "a much longer phrase"}),
        );
        assert_eq!(status, 204, "{body}");
        assert_eq!(
            asking.get("/api/v1/session").0,
            200,
            "the asking session stays"
        );
        assert_eq!(
            other.get("/api/v1/session").0,
            401,
            "every other session ended"
        );
        let anon = server.anonymous();
        problem(
            401,
            anon.post(
                "/api/v1/session",
                json!({"email": "vera@acme.example", "password": "viewer password"}),
            ),
        );
        server.session("vera@acme.example", "a much longer phrase", None);
    }
);

server_test!(
    /// Issue 18 item 9: `PATCH /api/v1/organisation` accepted `[null]`
    /// (serde reads a list as a struct's fields). A body is a JSON object.
    fn a_body_is_a_json_object(server: &TestServer) {
        let owner = server.owner("Acme");
        for (method, path) in [
            ("PATCH", "/api/v1/organisation"),
            ("POST", "/api/v1/customers"),
        ] {
            for body in [json!([null]), json!(["C9", "Nine"]), json!(null), json!(7)] {
                let reply = owner.send(method, path, Some(body.clone()), &[]);
                assert_eq!(reply.status, 422, "{method} {path} {body}: {}", reply.body);
                assert!(
                    reply.body.to_string().contains("JSON object"),
                    "{method} {path} {body}: {}",
                    reply.body
                );
            }
        }
        let (status, _) = owner.get("/api/v1/organisation");
        assert_eq!(status, 200);
        // One level down too: schemathesis' negative data found a profile
        // whose `documents` was `[null, null]` accepted.
        let (status, before) = owner.get("/api/v1/organisation/profile");
        assert_eq!(status, 200, "{before}");
        for documents in [json!([null, null]), json!(["a4", "de"]), json!(7)] {
            let body = json!({"seller": {"name": "Acme"}, "documents": documents});
            let reply = owner.send(
                "PUT",
                "/api/v1/organisation/profile",
                Some(body.clone()),
                &[],
            );
            assert_eq!(reply.status, 422, "{body}: {}", reply.body);
            assert_eq!(reply.body["field"], json!("documents"), "{}", reply.body);
        }
        let reply = owner.send(
            "PUT",
            "/api/v1/organisation/profile",
            Some(json!({"seller": [null]})),
            &[],
        );
        assert_eq!(reply.status, 422, "{}", reply.body);
        assert_eq!(
            owner.get("/api/v1/organisation/profile").1,
            before,
            "nothing changed"
        );
    }
);

/// The keys of a JSON object and, one level down, of its objects: the
/// answer's shape, whatever its values.
fn shape(value: &serde_json::Value) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(map) = value.as_object() {
        for (k, v) in map {
            keys.push(k.clone());
            if let Some(inner) = v.as_object() {
                keys.extend(inner.keys().map(|i| format!("{k}.{i}")));
            }
        }
    }
    keys.sort();
    keys
}

server_test!(
    /// Issue 18 item 5: an owner of A added a user of B with no consent,
    /// saw their name and creation date, and 201/422 told anyone which
    /// addresses had accounts. Now an owner invites; the answer is the same
    /// for a known and an unknown address; the membership is made only when
    /// the invitee accepts through the one-time link.
    fn adding_someone_is_an_invitation_they_accept(server: &TestServer) {
        let a = server.owner("Alpha");
        {
            let mut store = dun_store::Store::open(&server.database_url).unwrap();
            let beta = store
                .create_org(&dun_store::orgs::NewOrg {
                    name: "Beta".into(),
                    currency: dun_core::Currency::parse("USD").unwrap(),
                    timezone: "UTC".into(),
                    invoice_prefix: "B-".into(),
                })
                .unwrap();
            store
                .add_user(
                    beta.id,
                    "bea@beta.example",
                    "Bea Beta-Only-Name",
                    Some("bea's own password"),
                    dun_store::accounts::Role::Collector,
                )
                .unwrap();
        }
        let (known_status, known) = a.post(
            "/api/v1/invitations",
            json!({"email": "bea@beta.example", "role": "viewer"}),
        );
        let (unknown_status, unknown) = a.post(
            "/api/v1/invitations",
            json!({"email": "nobody@new.example", "role": "viewer"}),
        );
        assert_eq!(
            (known_status, unknown_status),
            (201, 201),
            "{known} {unknown}"
        );
        assert_eq!(shape(&known), shape(&unknown));
        assert!(!known.to_string().contains("Beta-Only-Name"), "{known}");
        assert!(known["link"].as_str().unwrap().contains("/invitations/"));
        // No membership yet; the pending list shows address, role, expiry.
        let (_, users) = a.get("/api/v1/users");
        assert_eq!(users.as_array().unwrap().len(), 1, "{users}");
        let (_, pending) = a.get("/api/v1/invitations");
        assert_eq!(pending.as_array().unwrap().len(), 2, "{pending}");
        assert!(pending[0]["expires_at"].is_string());
        assert!(!pending.to_string().contains("Beta-Only-Name"));
        // No one signed out lists them.
        problem(401, server.anonymous().get("/api/v1/invitations"));

        // Bea accepts with her own password: a member of both, and A's list
        // shows her date of joining A, not her account's.
        let anon = server.anonymous();
        let token = common::link_token(&known);
        problem(
            422,
            anon.post(
                "/api/v1/invitations/accept",
                json!({"token": token, "password": "not her password"}),
            ),
        );
        let (status, accepted) = anon.post(
            "/api/v1/invitations/accept",
            json!({"token": token, "password": "bea's own password"}),
        );
        assert_eq!(status, 201, "{accepted}");
        assert_eq!(accepted["organisation"], json!("Alpha"));
        // Used: refused.
        let used = problem(
            422,
            anon.post(
                "/api/v1/invitations/accept",
                json!({"token": token, "password": "bea's own password"}),
            ),
        );
        assert!(used.to_string().contains("used"), "{used}");
        let in_a = server.session("bea@beta.example", "bea's own password", Some("Alpha"));
        assert_eq!(in_a.get("/api/v1/session").1["role"], json!("viewer"));
        let in_b = server.session("bea@beta.example", "bea's own password", Some("Beta"));
        assert_eq!(in_b.get("/api/v1/session").1["role"], json!("collector"));
        let (_, users) = a.get("/api/v1/users");
        let bea = users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == json!("bea@beta.example"))
            .expect("Bea in A's users");
        assert_eq!(bea["created_at"], accepted["user"]["created_at"]);
        assert!(!users.to_string().contains("Beta\""), "{users}");

        // Withdrawn: refused, and no account is made.
        let id = unknown["invitation"]["id"].as_i64().unwrap();
        assert_eq!(a.delete(&format!("/api/v1/invitations/{id}")).0, 204);
        problem(404, a.delete(&format!("/api/v1/invitations/{id}")));
        problem(
            422,
            anon.post(
                "/api/v1/invitations/accept",
                json!({"token": common::link_token(&unknown), "name": "Nobody", "password": "a long enough phrase"}),
            ),
        );
        problem(
            401,
            anon.post(
                "/api/v1/session",
                json!({"email": "nobody@new.example", "password": "a long enough phrase"}),
            ),
        );
        let (_, pending) = a.get("/api/v1/invitations");
        assert_eq!(pending, json!([]));
        // Someone new accepts with a name and a password, and signs in.
        common::add_member(
            &a,
            "nia@new.example",
            "Nia",
            "a long enough phrase",
            "collector",
        );
        server.session("nia@new.example", "a long enough phrase", None);
    }
);

server_test!(
    /// Issue 18 item 4: an owner issues a one-time reset link for a member;
    /// the member sets a new password through it and every session of
    /// theirs ends; the link then refuses.
    fn an_owner_issues_a_reset_link(server: &TestServer) {
        let owner = server.owner("Acme");
        let vera = common::add_member(
            &owner,
            "vera@acme.example",
            "Vera",
            "viewer password",
            "viewer",
        );
        let id = vera["id"].as_i64().unwrap();
        let session = server.session("vera@acme.example", "viewer password", None);
        let viewer = server.token_for_role("vera@acme.example", "viewer password", "viewer");
        // Only an owner issues one, and only for a member.
        problem(
            403,
            viewer.post(&format!("/api/v1/users/{id}/reset-link"), json!({})),
        );
        problem(
            404,
            owner.post("/api/v1/users/999999/reset-link", json!({})),
        );
        let (status, made) = owner.post(&format!("/api/v1/users/{id}/reset-link"), json!({}));
        assert_eq!(status, 201, "{made}");
        assert_eq!(made["email"], json!("vera@acme.example"));
        let token = common::link_token(&made);
        let anon = server.anonymous();
        problem(
            422,
            anon.post(
                "/api/v1/password-reset",
                json!({"token": token, "new_password": "short"}),
            ),
        );
        let (status, body) = anon.post(
            "/api/v1/password-reset",
            json!({"token": token, "new_password": "a fresh long phrase"}),
        );
        assert_eq!(status, 204, "{body}");
        assert_eq!(session.get("/api/v1/session").0, 401, "her sessions ended");
        server.session("vera@acme.example", "a fresh long phrase", None);
        let used = problem(
            422,
            anon.post(
                "/api/v1/password-reset",
                json!({"token": token, "new_password": "another long phrase"}),
            ),
        );
        assert!(used.to_string().contains("used"), "{used}");
    }
);
