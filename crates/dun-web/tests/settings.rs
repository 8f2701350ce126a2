//! The owner's settings over real HTTP: users added, re-roled and
//! removed through the forms; a token made (its secret shown once and
//! working on the API), then revoked; a collector sees only their own
//! tokens and cannot reach the users.

mod common;

use common::{Browser, Page, TestServer};

const PASSWORD: &str = "correct horse battery";

fn set_up(browser: &Browser) -> String {
    let made = browser.post_form(
        "/setup",
        &[
            ("organisation", "Acme Tools"),
            ("currency", "USD"),
            ("timezone", "UTC"),
            ("name", "Olive Owner"),
            ("email", "olive@acme.example"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(made.status, 303, "{}", made.body);
    browser.get("/settings").csrf()
}

/// The id in `/settings/users/{id}/…` of the row holding `email`.
fn user_id(page: &Page, email: &str) -> String {
    let row = page
        .body
        .split("<tr>")
        .skip(1)
        .find(|row| row.contains(email))
        .unwrap_or_else(|| panic!("a row for {email}:\n{}", page.body));
    let start = row.find("/settings/users/").expect("a user form") + "/settings/users/".len();
    let end = row[start..].find('/').unwrap();
    row[start..start + end].to_string()
}

/// The one-time link an owner's form just made (shown once).
fn new_link(page: &Page) -> String {
    let marker = r#"<code id="new-link">"#;
    let start = page.body.find(marker).expect("a link shown once") + marker.len();
    page.body[start..start + page.body[start..].find('<').unwrap()].to_string()
}

fn api_status(server: &TestServer, secret: &str) -> u16 {
    let browser = server.browser();
    browser
        .send(
            "GET",
            "/api/v1/session",
            None,
            &[("Authorization", &format!("Bearer {secret}"))],
        )
        .status
}

web_test!(
    fn an_owner_manages_users_and_tokens(server: &TestServer) {
        let owner = server.browser();
        let csrf = set_up(&owner);
        let settings = owner.get("/settings");
        assert_eq!(settings.status, 200, "{}", settings.body);
        settings.assert_contains("olive@acme.example");
        settings.assert_contains("Invite someone");

        // Not an address: refused, with what was typed kept.
        let refused = owner.post_form(
            "/settings/invitations",
            &[
                ("csrf_token", &csrf),
                ("email", "carl at acme"),
                ("role", "collector"),
            ],
        );
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains("email");
        refused.assert_contains(r#"value="carl at acme""#);

        // Without the CSRF field nothing is written.
        let forged = owner.post_form(
            "/settings/invitations",
            &[("email", "eve@acme.example"), ("role", "owner")],
        );
        assert_eq!(forged.status, 403, "{}", forged.body);

        // Issue 18 item 5: an invitation, its link shown once; Carl is not
        // a member until he accepts.
        let invited = owner.post_form(
            "/settings/invitations",
            &[
                ("csrf_token", &csrf),
                ("email", "carl@acme.example"),
                ("role", "viewer"),
            ],
        );
        assert_eq!(invited.status, 201, "{}", invited.body);
        assert_eq!(invited.header("cache-control"), Some("no-store"));
        let link = new_link(&invited);
        let path = &link[link.find("/invitations/").expect("an invitation link")..];
        let settings = owner.get("/settings");
        assert!(!settings.body.contains(path), "the link is shown once");
        let pending = settings
            .body
            .split(r#"id="invitations""#)
            .nth(1)
            .expect("the pending invitations");
        assert!(pending.contains("carl@acme.example"), "{pending}");
        assert!(!settings.body.contains("Carl Collector"));
        assert!(!settings.body.contains("eve@acme.example"));

        let carl_browser = server.browser();
        let offer = carl_browser.get(path);
        assert_eq!(offer.status, 200, "{}", offer.body);
        offer.assert_contains("Acme Tools");
        offer.assert_contains("viewer");
        let weak =
            carl_browser.post_form(path, &[("name", "Carl Collector"), ("password", "short")]);
        assert_eq!(weak.status, 422, "{}", weak.body);
        weak.assert_contains("password");
        let accepted =
            carl_browser.post_form(path, &[("name", "Carl Collector"), ("password", PASSWORD)]);
        assert_eq!(accepted.status, 303, "{}", accepted.body);
        assert_eq!(accepted.location.as_deref(), Some("/dashboard"));
        assert_eq!(carl_browser.get("/settings").status, 200, "signed in");
        // Used: the link's page says it is not valid.
        let again = server.browser().get(path);
        assert_eq!(again.status, 404, "{}", again.body);
        let settings = owner.get("/settings");
        settings.assert_contains("Carl Collector");
        settings.assert_contains("No invitations pending.");
        let carl = user_id(&settings, "carl@acme.example");
        let olive = user_id(&settings, "olive@acme.example");

        let promoted = owner.post_form(
            &format!("/settings/users/{carl}/role"),
            &[("csrf_token", &csrf), ("role", "collector")],
        );
        assert_eq!(promoted.status, 303, "{}", promoted.body);

        // The last owner cannot step down.
        let alone = owner.post_form(
            &format!("/settings/users/{olive}/role"),
            &[("csrf_token", &csrf), ("role", "viewer")],
        );
        assert_ne!(alone.status, 303, "{}", alone.body);
        assert!(alone.body.contains("owner"), "{}", alone.body);

        // A token: its secret is on the answer once and works on the API.
        let made = owner.post_form(
            "/settings/tokens",
            &[
                ("csrf_token", &csrf),
                ("name", "ledger export"),
                ("role", "viewer"),
            ],
        );
        assert_eq!(made.status, 201, "{}", made.body);
        assert_eq!(made.header("cache-control"), Some("no-store"));
        let marker = r#"<code id="token-secret">"#;
        let start = made.body.find(marker).expect("the secret") + marker.len();
        let secret = made.body[start..start + made.body[start..].find('<').unwrap()].to_string();
        assert!(secret.len() > 20, "{secret}");
        assert_eq!(api_status(server, &secret), 200);
        let listed = owner.get("/settings");
        listed.assert_contains("ledger export");
        assert!(!listed.body.contains(&secret), "the secret is shown once");

        // Carl sees his own tokens only, and no users.
        let his = carl_browser.get("/settings");
        assert_eq!(his.status, 200, "{}", his.body);
        assert!(!his.body.contains("Invite someone"));
        assert!(!his.body.contains("ledger export"));
        let carl_csrf = his.csrf();
        let barred = carl_browser.post_form(
            "/settings/invitations",
            &[
                ("csrf_token", &carl_csrf),
                ("email", "mallory@acme.example"),
                ("role", "owner"),
            ],
        );
        assert_eq!(barred.status, 403, "{}", barred.body);
        // A collector may not make a token above his role.
        let above = carl_browser.post_form(
            "/settings/tokens",
            &[
                ("csrf_token", &carl_csrf),
                ("name", "mine"),
                ("role", "owner"),
            ],
        );
        assert_eq!(above.status, 422, "{}", above.body);
        above.assert_contains("role");

        // The owner revokes the token; the API refuses it at once.
        let token_id = {
            let row = listed
                .body
                .split("<tr>")
                .find(|r| r.contains("ledger export"))
                .unwrap();
            let start = row.find("/settings/tokens/").unwrap() + "/settings/tokens/".len();
            row[start..start + row[start..].find('/').unwrap()].to_string()
        };
        let revoked = owner.post_form(
            &format!("/settings/tokens/{token_id}/revoke"),
            &[("csrf_token", &csrf)],
        );
        assert_eq!(revoked.status, 303, "{}", revoked.body);
        assert_eq!(api_status(server, &secret), 401);
        owner.get("/settings").assert_contains("revoked");

        // Removing Carl ends his session.
        let removed = owner.post_form(
            &format!("/settings/users/{carl}/remove"),
            &[("csrf_token", &csrf)],
        );
        assert_eq!(removed.status, 303, "{}", removed.body);
        assert_eq!(
            carl_browser.get("/settings").location.as_deref(),
            Some("/sign-in")
        );
    }
);

web_test!(
    /// Issue 18 item 4: each user changes their own password on the
    /// settings page; the wrong current one is refused, and once changed
    /// the other sessions are signed out.
    fn a_user_changes_their_password_on_the_settings_page(server: &TestServer) {
        let owner = server.browser();
        let csrf = set_up(&owner);
        let elsewhere = server.browser();
        let signed_in = elsewhere.post_form(
            "/sign-in",
            &[("email", "olive@acme.example"), ("password", PASSWORD)],
        );
        assert_eq!(signed_in.status, 303, "{}", signed_in.body);
        owner.get("/settings").assert_contains("Your password");
        let wrong = owner.post_form(
            "/settings/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", "not my password"),
                ("new_password", "a much longer phrase"),
            ],
        );
        assert_eq!(wrong.status, 422, "{}", wrong.body);
        wrong.assert_contains("not your current password");
        let changed = owner.post_form(
            "/settings/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", PASSWORD),
                ("new_password", "a much longer phrase"),
            ],
        );
        assert_eq!(changed.status, 200, "{}", changed.body);
        changed.assert_contains("Your password is changed");
        assert_eq!(owner.get("/settings").status, 200, "this session stays");
        assert_eq!(
            elsewhere.get("/settings").location.as_deref(),
            Some("/sign-in"),
            "the other session ended"
        );
        let again = server.browser().post_form(
            "/sign-in",
            &[
                ("email", "olive@acme.example"),
                ("password", "a much longer phrase"),
            ],
        );
        assert_eq!(again.status, 303, "{}", again.body);
    }
);

web_test!(
    /// Issue 18 item 4: an owner makes a one-time reset link for a member
    /// from the users list; the member sets a new password through it,
    /// their sessions end, and the link then says it is not valid.
    fn an_owner_makes_a_reset_link_for_a_member(server: &TestServer) {
        let owner = server.browser();
        let csrf = set_up(&owner);
        owner.add_member(&csrf, "vera@acme.example", "Vera", PASSWORD, "viewer");
        let vera = server.browser();
        let signed_in = vera.post_form(
            "/sign-in",
            &[("email", "vera@acme.example"), ("password", PASSWORD)],
        );
        assert_eq!(signed_in.status, 303, "{}", signed_in.body);
        let id = user_id(&owner.get("/settings"), "vera@acme.example");
        let made = owner.post_form(
            &format!("/settings/users/{id}/reset-link"),
            &[("csrf_token", &csrf)],
        );
        assert_eq!(made.status, 201, "{}", made.body);
        made.assert_contains("vera@acme.example");
        let link = new_link(&made);
        let path = &link[link.find("/reset-password/").expect("a reset link")..];

        let opened = server.browser();
        let page = opened.get(path);
        assert_eq!(page.status, 200, "{}", page.body);
        page.assert_contains("vera@acme.example");
        let weak = opened.post_form(path, &[("new_password", "short")]);
        assert_eq!(weak.status, 422, "{}", weak.body);
        let set = opened.post_form(path, &[("new_password", "a fresh long phrase")]);
        assert_eq!(set.status, 200, "{}", set.body);
        set.assert_contains("Your password is set");
        assert_eq!(
            vera.get("/settings").location.as_deref(),
            Some("/sign-in"),
            "her sessions ended"
        );
        let again = server.browser().post_form(
            "/sign-in",
            &[
                ("email", "vera@acme.example"),
                ("password", "a fresh long phrase"),
            ],
        );
        assert_eq!(again.status, 303, "{}", again.body);
        assert_eq!(opened.get(path).status, 404, "used once");
    }
);

web_test!(
    /// The owner closes the books from the settings page; a payment dated
    /// in the closed period is refused naming the day and who closed it;
    /// reopening asks why.
    fn an_owner_closes_and_reopens_a_period(server: &TestServer) {
        let owner = server.browser();
        let csrf = set_up(&owner);
        owner
            .get("/settings")
            .assert_contains("No period is closed");
        let bad = owner.post_form(
            "/settings/period",
            &[("csrf_token", &csrf), ("through", "30/11/2026")],
        );
        assert_eq!(bad.status, 422, "{}", bad.body);
        bad.assert_contains("Close the books through:");
        bad.assert_contains(r#"value="30/11/2026""#);
        let closed = owner.post_form(
            "/settings/period",
            &[("csrf_token", &csrf), ("through", "2026-11-30")],
        );
        assert_eq!(closed.status, 303, "{}", closed.body);
        let page = owner.get("/settings");
        page.assert_contains(
            "The books are closed through <strong>2026-11-30</strong> (by olive@acme.example",
        );
        let made = owner.post_json(
            "/api/v1/customers",
            &csrf,
            serde_json::json!({"reference": "BOLT", "name": "Bolt & Nut"}),
        );
        assert_eq!(made.status, 201, "{}", made.body);
        let payment = owner.post_json(
            "/api/v1/payments",
            &csrf,
            serde_json::json!({"customer": "BOLT", "amount": "10.00", "received_date": "2026-11-15"}),
        );
        assert_eq!(payment.status, 409, "{}", payment.body);
        assert!(
            payment
                .body
                .contains("closed through 2026-11-30 (by olive@acme.example"),
            "{}",
            payment.body
        );
        // Reopening without a reason: refused, said beside the form.
        let why = owner.post_form(
            "/settings/period",
            &[("csrf_token", &csrf), ("through", ""), ("reason", " ")],
        );
        assert_eq!(why.status, 422, "{}", why.body);
        why.assert_contains("reopening a closed period needs its reason");
        let reopened = owner.post_form(
            "/settings/period",
            &[
                ("csrf_token", &csrf),
                ("through", ""),
                ("reason", "a late receipt"),
            ],
        );
        assert_eq!(reopened.status, 303, "{}", reopened.body);
        owner
            .get("/settings")
            .assert_contains("No period is closed");
    }
);

web_test!(
    /// The owner sets the Stripe keys from the settings page and over the
    /// API: never shown back (only "set"), the publishable key shown, a
    /// malformed key refused naming its field without repeating it,
    /// nothing written; the keys removed again. Customers are offered to
    /// pay online only while a secret key is set.
    fn an_owner_sets_and_removes_the_stripe_keys(server: &TestServer) {
        let owner = server.browser();
        let csrf = set_up(&owner);
        let page = owner.get("/settings");
        page.assert_contains("Online payment is off");
        let bad = owner.post_form(
            "/settings/stripe",
            &[
                ("csrf_token", &csrf),
                ("secret_key", "pk_live_not_a_secret"),
            ],
        );
        assert_eq!(bad.status, 422, "{}", bad.body);
        bad.assert_contains("stripe_secret_key");
        assert!(
            !bad.body.contains("pk_live_not_a_secret"),
            "the key is not echoed"
        );
        let saved = owner.post_form(
            "/settings/stripe",
            &[
                ("csrf_token", &csrf),
                ("secret_key", "sk_test_4eC39HqLyjWDarjtT1zdp7dc"),
                ("webhook_secret", "whsec_abc123"),
                ("publishable_key", "pk_test_TYooMQauvdEDq54NiTphI7jx"),
            ],
        );
        assert_eq!(saved.status, 303, "{}", saved.body);
        let page = owner.get("/settings");
        page.assert_contains("Customers may pay by card");
        page.assert_contains("Secret key: <strong>set</strong>");
        page.assert_contains("pk_test_TYooMQauvdEDq54NiTphI7jx");
        assert!(
            !page.body.contains("sk_test_4eC39"),
            "the secret is never shown"
        );
        assert!(
            !page.body.contains("whsec_abc123"),
            "the secret is never shown"
        );

        // Over the API: read as set, one key changed, the others kept.
        let read = owner.get("/api/v1/organisation/stripe");
        assert_eq!(read.status, 200, "{}", read.body);
        let json: serde_json::Value = serde_json::from_str(&read.body).unwrap();
        assert_eq!(json["secret_key_set"], true);
        assert_eq!(json["webhook_secret_set"], true);
        assert_eq!(json["pay_online"], true);
        assert!(!read.body.contains("sk_test"), "{}", read.body);
        let put = |body: serde_json::Value| {
            owner.send(
                "PUT",
                "/api/v1/organisation/stripe",
                Some(body.to_string()),
                &[
                    ("Content-Type", "application/json"),
                    ("x-csrf-token", &csrf),
                ],
            )
        };
        let changed = put(serde_json::json!({"publishable_key": "pk_test_other"}));
        assert_eq!(changed.status, 200, "{}", changed.body);
        let json: serde_json::Value = serde_json::from_str(&changed.body).unwrap();
        assert_eq!(json["publishable_key"], "pk_test_other");
        assert_eq!(json["secret_key_set"], true, "kept");
        let refused =
            put(serde_json::json!({"webhook_secret": "nope", "publishable_key": "pk_test_third"}));
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(
            refused.body.contains("stripe_webhook_secret"),
            "{}",
            refused.body
        );
        let json: serde_json::Value =
            serde_json::from_str(&owner.get("/api/v1/organisation/stripe").body).unwrap();
        assert_eq!(json["publishable_key"], "pk_test_other", "nothing written");

        // Removed from the page: online payment is off again.
        let cleared = owner.post_form(
            "/settings/stripe",
            &[("csrf_token", &csrf), ("clear", "all")],
        );
        assert_eq!(cleared.status, 303, "{}", cleared.body);
        owner
            .get("/settings")
            .assert_contains("Online payment is off");
        let json: serde_json::Value =
            serde_json::from_str(&owner.get("/api/v1/organisation/stripe").body).unwrap();
        assert_eq!(json["secret_key_set"], false);
        assert_eq!(json["publishable_key"], serde_json::Value::Null);
    }
);
