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
        let (status, _) = owner.post(
            "/api/v1/users",
            json!({"email": "vera@acme.example", "name": "Vera",
        "password": "viewer password", "role": "viewer"}),
        );
        assert_eq!(status, 201);
        let (status, _) = owner.post(
            "/api/v1/users",
            json!({"email": "cole@acme.example", "name": "Cole",
        "password": "collector password", "role": "collector"}),
        );
        assert_eq!(status, 201);
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
        let (status, body) = owner.post(
            "/api/v1/users",
            json!({"email": "vera@acme.example", "name": "Vera",
                   "password": "viewer password", "role": "viewer"}),
        );
        assert_eq!(status, 201, "{body}");
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
    }
);
