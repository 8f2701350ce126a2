//! The owner's settings of the organisation over real HTTP, on both
//! engines: the profile saved through its form and shown (a bad IBAN or
//! electronic address refused naming the field, what was typed kept,
//! nothing written; a viewer reads it and cannot change it); an e-mail
//! template previewed with the book's first customer, an unknown
//! placeholder refused naming it, saved, reset to Dun's wording; the
//! sending status with and without an SMTP server; the paper size and
//! document locale saved with the profile, a logo uploaded (a file that is
//! not an image refused, nothing written), shown and removed, and neither
//! done by a viewer.

mod common;

use common::{Browser, TestServer};

const PASSWORD: &str = "correct horse battery";

fn set_up(browser: &Browser) -> String {
    let made = browser.post_form(
        "/setup",
        &[
            ("organisation", "Acme Tools"),
            ("currency", "EUR"),
            ("timezone", "UTC"),
            ("name", "Olive Owner"),
            ("email", "olive@acme.example"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(made.status, 303, "{}", made.body);
    browser.get("/settings").csrf()
}

/// A second user with `role`, signed in on a browser of their own.
fn member(server: &TestServer, owner: &Browser, csrf: &str, email: &str, role: &str) -> Browser {
    owner.add_member(csrf, email, "Vera Member", PASSWORD, role);
    let browser = server.browser();
    let signed_in = browser.post_form("/sign-in", &[("email", email), ("password", PASSWORD)]);
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    browser
}

fn api(browser: &Browser, path: &str) -> serde_json::Value {
    let page = browser.get(path);
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    serde_json::from_str(&page.body).expect("JSON")
}

const GOOD_PROFILE: [(&str, &str); 14] = [
    ("name", "Acme Tools GmbH"),
    ("address", "Hauptstrasse 1\nHinterhaus"),
    ("postcode", "10115"),
    ("city", "Berlin"),
    ("region", ""),
    ("country_code", "DE"),
    ("vat_id", "de 123456789"),
    ("tax_id", ""),
    ("company_id", "HRB 12345"),
    ("endpoint", "9930:DE123456789"),
    ("iban", "DE89 3704 0044 0532 0130 00"),
    ("bic", "cobadeffxxx"),
    ("account_name", "Acme Tools GmbH"),
    ("payment_note", "Quote the invoice number"),
];

fn with(csrf: &str, changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, String)> {
    let mut fields: Vec<(&'static str, String)> = GOOD_PROFILE
        .iter()
        .map(|(k, v)| {
            let changed = changes.iter().find(|(c, _)| c == k).map(|(_, v)| *v);
            (*k, changed.unwrap_or(v).to_string())
        })
        .collect();
    fields.push(("csrf_token", csrf.to_string()));
    fields
}

fn post(browser: &Browser, path: &str, fields: &[(&'static str, String)]) -> common::Page {
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    browser.post_form(path, &borrowed)
}

web_test!(
    fn the_owner_saves_the_profile_and_a_viewer_only_reads_it(server: &TestServer) {
        let owner = server.browser();
        let csrf = set_up(&owner);
        owner
            .get("/settings")
            .assert_contains(r#"href="/settings/profile""#);
        let before = owner.get("/settings/profile");
        assert_eq!(before.status, 200, "{}", before.body);
        before.assert_contains("einvoice-missing");
        before.assert_contains("Country");

        let saved = post(&owner, "/settings/profile", &with(&csrf, &[]));
        assert_eq!(saved.status, 303, "{}", saved.body);
        assert_eq!(saved.location.as_deref(), Some("/settings/profile?saved=1"));
        let shown = owner.get("/settings/profile?saved=1");
        shown.assert_contains("profile-saved");
        shown.assert_contains("einvoice-ready");
        shown.assert_contains(r#"value="DE123456789""#);
        shown.assert_contains(r#"value="DE89370400440532013000""#);
        shown.assert_contains(r#"value="COBADEFFXXX""#);
        shown.assert_contains(r#"value="9930:DE123456789""#);
        shown.assert_contains("Hauptstrasse 1\nHinterhaus");
        let profile = api(&owner, "/api/v1/organisation/profile");
        assert_eq!(profile["seller"]["name"], "Acme Tools GmbH");
        assert_eq!(profile["seller"]["country_code"], "DE");
        assert_eq!(profile["payment"]["iban"], "DE89370400440532013000");

        // A bad IBAN: refused naming the field, what was typed kept,
        // nothing written (the city changed in the same form is not saved).
        let bad = post(
            &owner,
            "/settings/profile",
            &with(
                &csrf,
                &[("iban", "DE00 1234 5678 9012 3456 78"), ("city", "Hamburg")],
            ),
        );
        assert_eq!(bad.status, 422, "{}", bad.body);
        bad.assert_contains("Nothing was saved");
        assert!(
            bad.body.contains("<li>IBAN "),
            "the refusal names the IBAN:\n{}",
            bad.body
        );
        bad.assert_contains(r#"value="DE00 1234 5678 9012 3456 78""#);
        bad.assert_contains(r#"value="Hamburg""#);
        bad.assert_contains(r#"aria-invalid="true""#);
        let profile = api(&owner, "/api/v1/organisation/profile");
        assert_eq!(profile["payment"]["iban"], "DE89370400440532013000");
        assert_eq!(profile["seller"]["city"], "Berlin");

        // An electronic address with a scheme not on the list.
        let bad = post(
            &owner,
            "/settings/profile",
            &with(&csrf, &[("endpoint", "1234:DE123456789")]),
        );
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert!(
            bad.body.contains("<li>Electronic address (Peppol) "),
            "the refusal names the electronic address:\n{}",
            bad.body
        );
        let profile = api(&owner, "/api/v1/organisation/profile");
        assert_eq!(profile["seller"]["endpoint"], "9930:DE123456789");

        // A viewer reads the profile and cannot change it.
        let viewer = member(server, &owner, &csrf, "vera@acme.example", "viewer");
        let read = viewer.get("/settings/profile");
        assert_eq!(read.status, 200, "{}", read.body);
        read.assert_contains("DE89370400440532013000");
        read.assert_contains("Only an owner changes the profile.");
        assert!(!read.body.contains(r#"action="/settings/profile""#));
        let viewer_csrf = viewer.get("/settings").csrf();
        let barred = post(
            &viewer,
            "/settings/profile",
            &with(&viewer_csrf, &[("city", "Munich")]),
        );
        assert_eq!(barred.status, 403, "{}", barred.body);
        let profile = api(&owner, "/api/v1/organisation/profile");
        assert_eq!(profile["seller"]["city"], "Berlin");
    }
);

web_test!(
    fn the_owner_previews_saves_and_resets_a_template(server: &TestServer) {
        let owner = server.browser();
        let csrf = set_up(&owner);
        // The book's first customer is the preview's.
        let made = owner.post_json(
            "/api/v1/customers",
            &csrf,
            serde_json::json!({ "reference": "BOLT", "name": "Bolt and Nut Ltd" }),
        );
        assert_eq!(made.status, 201, "{}", made.body);
        owner
            .get("/settings")
            .assert_contains(r#"href="/settings/templates""#);
        let list = owner.get("/settings/templates");
        assert_eq!(list.status, 200, "{}", list.body);
        list.assert_contains(r#"href="/settings/templates/first_notice""#);
        let editor = owner.get("/settings/templates/first_notice");
        assert_eq!(editor.status, 200, "{}", editor.body);
        editor.assert_contains("{{invoices_table}}");
        editor.assert_contains("{{interest_notice}}");
        editor.assert_contains("Wording: Dun");

        let subject = "Overdue: {{customer_name}}";
        let text =
            "Hello {{customer_name}},\n\n{{invoices_table}}\n\nTotal: {{total}}\n\n{{org_name}}";
        let preview = owner.post_form(
            "/settings/templates/first_notice",
            &[
                ("csrf_token", &csrf),
                ("subject", subject),
                ("text", text),
                ("action", "preview"),
            ],
        );
        assert_eq!(preview.status, 200, "{}", preview.body);
        preview.assert_contains("Nothing is saved yet");
        preview.assert_contains("Overdue: Bolt and Nut Ltd");
        preview.assert_contains("Hello Bolt and Nut Ltd,");
        preview.assert_contains("SAMPLE-1");
        preview.assert_contains("EUR 1730.00");
        preview.assert_contains("\nAcme Tools</pre>");
        preview.assert_contains("Written to Bolt and Nut Ltd (BOLT), the book's first customer");
        let stored = api(&owner, "/api/v1/templates/first_notice");
        assert_eq!(stored["edited"], false, "a preview writes nothing");

        // An unknown placeholder: refused naming it, typed text kept, in
        // the preview and on saving.
        let wrong = "Hello {{customer_name}},\n\nYou owe {{totl}}.";
        for action in ["preview", "save"] {
            let refused = owner.post_form(
                "/settings/templates/first_notice",
                &[
                    ("csrf_token", &csrf),
                    ("subject", subject),
                    ("text", wrong),
                    ("action", action),
                ],
            );
            assert_eq!(refused.status, 422, "{action}: {}", refused.body);
            refused.assert_contains("unknown placeholder {{totl}}");
            refused.assert_contains("line 3");
            refused.assert_contains("You owe {{totl}}.");
            let stored = api(&owner, "/api/v1/templates/first_notice");
            assert_eq!(stored["edited"], false, "{action} wrote nothing");
        }

        // As a browser sends a textarea: lines end CR LF; kept with LF.
        let typed = text.replace('\n', "\r\n");
        let saved = owner.post_form(
            "/settings/templates/first_notice",
            &[
                ("csrf_token", &csrf),
                ("subject", subject),
                ("text", &typed),
                ("action", "save"),
            ],
        );
        assert_eq!(saved.status, 303, "{}", saved.body);
        let shown = owner.get(saved.location.as_deref().expect("a redirect"));
        shown.assert_contains("The template is saved");
        shown.assert_contains("yours, version 1");
        let stored = api(&owner, "/api/v1/templates/first_notice");
        assert_eq!(stored["edited"], true);
        assert_eq!(stored["subject"], subject);
        assert_eq!(stored["text"], text);
        assert!(
            stored["html"]
                .as_str()
                .unwrap()
                .contains("<p>Total: {{total}}</p>"),
            "the HTML version has the text's paragraphs: {stored}"
        );
        owner
            .get("/settings/templates")
            .assert_contains("yours, version 1");

        // A viewer reads it but cannot save or reset it.
        let viewer = member(server, &owner, &csrf, "vera@acme.example", "viewer");
        let read = viewer.get("/settings/templates/first_notice");
        assert_eq!(read.status, 200, "{}", read.body);
        read.assert_contains("Only an owner changes the templates.");
        let viewer_csrf = viewer.get("/settings").csrf();
        let barred = viewer.post_form(
            "/settings/templates/first_notice/reset",
            &[("csrf_token", &viewer_csrf)],
        );
        assert_eq!(barred.status, 403, "{}", barred.body);

        let reset = owner.post_form(
            "/settings/templates/first_notice/reset",
            &[("csrf_token", &csrf)],
        );
        assert_eq!(reset.status, 303, "{}", reset.body);
        let shown = owner.get(reset.location.as_deref().expect("a redirect"));
        shown.assert_contains("Dun's wording again");
        let stored = api(&owner, "/api/v1/templates/first_notice");
        assert_eq!(stored["edited"], false);
        assert_eq!(stored["subject"], "Overdue invoices: {{org_name}}");
    }
);

web_test!(
    fn the_sending_page_says_no_smtp_server_is_configured(server: &TestServer) {
        let owner = server.browser();
        set_up(&owner);
        owner
            .get("/settings")
            .assert_contains(r#"href="/settings/email""#);
        let page = owner.get("/settings/email");
        assert_eq!(page.status, 200, "{}", page.body);
        page.assert_contains("No SMTP server is configured");
        page.assert_contains("DUN_SMTP_HOST");
        page.assert_contains("Customers' links start with");
        page.assert_contains("No message has been queued yet.");
        page.assert_contains(r#"href="/outbox""#);
    }
);

/// With an SMTP server (as `dun serve` reads it from the environment) and
/// no public address: the server, sender and user are shown, the password
/// only as set.
mod the_sending_page_shows_the_smtp_server_without_its_password {
    use super::*;

    fn run(url: &str) {
        let server = TestServer::start_with_state(
            url,
            |config| config.public_url = None,
            |state| {
                state.smtp = Some(std::sync::Arc::new(dun_mail::SmtpConfig {
                    host: "smtp.acme.example".into(),
                    port: 587,
                    tls: dun_mail::TlsMode::Starttls,
                    username: Some("mailer@acme.example".into()),
                    password: Some("s3cret-smtp-pass".into()),
                    from: "Acme Tools <billing@acme.example>".into(),
                    reply_to: None,
                    timeout_ms: 1_000,
                }));
            },
        );
        let owner = server.browser();
        set_up(&owner);
        let page = owner.get("/settings/email");
        assert_eq!(page.status, 200, "{}", page.body);
        page.assert_contains("An SMTP server is configured");
        page.assert_contains("smtp.acme.example:587");
        page.assert_contains("STARTTLS");
        page.assert_contains("billing@acme.example");
        page.assert_contains("mailer@acme.example");
        page.assert_contains(r#"<dd id="smtp-password">set</dd>"#);
        assert!(!page.body.contains("s3cret-smtp-pass"), "{}", page.body);
        page.assert_contains("No public address is set");
        page.assert_contains("DUN_PUBLIC_URL");
    }

    #[test]
    fn sqlite() {
        common::store::on_sqlite("settings_smtp_configured", run);
    }

    #[test]
    fn postgres() {
        common::store::on_postgres("settings_smtp_configured", run);
    }
}

const BOUNDARY: &str = "dun-logo-boundary";

/// A multipart upload of `file` as the field `logo`, with the CSRF token.
fn logo_upload(csrf: &str, file: &[u8], media_type: &str) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"logo\"\r\nContent-Type: {media_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn png_logo(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    let data: Vec<u8> = (0..w * h).flat_map(|_| [10, 90, 170]).collect();
    writer.write_image_data(&data).unwrap();
    writer.finish().unwrap();
    out
}

web_test!(
    fn the_owner_chooses_the_paper_and_uploads_a_logo(server: &TestServer) {
        let owner = server.browser();
        let csrf = set_up(&owner);
        let page = owner.get("/settings/profile");
        page.assert_contains("By the country (now A4)");
        page.assert_contains("profile-no-logo");

        let mut fields = with(&csrf, &[]);
        fields.push(("paper_size", "us_letter".into()));
        fields.push(("document_locale", "de".into()));
        let saved = post(&owner, "/settings/profile", &fields);
        assert_eq!(saved.status, 303, "{}", saved.body);
        let documents = &api(&owner, "/api/v1/organisation/profile")["documents"];
        assert_eq!(documents["paper_size"], "us_letter");
        assert_eq!(documents["document_locale"], "de");
        let page = owner.get("/settings/profile");
        page.assert_contains(r#"<option value="us_letter" selected>"#);
        page.assert_contains(r#"<option value="de" selected>"#);

        let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
        let headers = [("Content-Type", content_type.as_str())];
        // Not an image: refused on the page, nothing written.
        let bad = owner.send_bytes(
            "POST",
            "/settings/profile/logo",
            Some(logo_upload(&csrf, b"GIF89a not a logo", "image/gif")),
            &headers,
        );
        assert_eq!(bad.status, 422, "{}", bad.body);
        bad.assert_contains("Nothing was saved");
        bad.assert_contains("not a PNG or JPEG image");
        assert!(api(&owner, "/api/v1/organisation/profile")["documents"]["logo"].is_null());

        let logo = png_logo(120, 40);
        let uploaded = owner.send_bytes(
            "POST",
            "/settings/profile/logo",
            Some(logo_upload(&csrf, &logo, "image/png")),
            &headers,
        );
        assert_eq!(uploaded.status, 303, "{}", uploaded.body);
        let page = owner.get("/settings/profile");
        page.assert_contains(r#"id="profile-logo""#);
        page.assert_contains("image/png, 120×40 px");
        let served = owner.get("/settings/profile/logo");
        assert_eq!(served.status, 200);
        assert_eq!(served.header("content-type"), Some("image/png"));

        // A viewer sees it and can neither replace nor remove it.
        let viewer = member(server, &owner, &csrf, "vera@acme.example", "viewer");
        let read = viewer.get("/settings/profile");
        read.assert_contains(r#"id="profile-logo""#);
        read.assert_contains("US Letter");
        let viewer_csrf = viewer.get("/settings").csrf();
        let barred = viewer.send_bytes(
            "POST",
            "/settings/profile/logo",
            Some(logo_upload(&viewer_csrf, &logo, "image/png")),
            &headers,
        );
        assert_eq!(barred.status, 403, "{}", barred.body);
        let barred = viewer.post_form(
            "/settings/profile/logo/remove",
            &[("csrf_token", &viewer_csrf)],
        );
        assert_eq!(barred.status, 403, "{}", barred.body);

        let removed = owner.post_form("/settings/profile/logo/remove", &[("csrf_token", &csrf)]);
        assert_eq!(removed.status, 303, "{}", removed.body);
        owner
            .get("/settings/profile")
            .assert_contains("profile-no-logo");
        assert!(api(&owner, "/api/v1/organisation/profile")["documents"]["logo"].is_null());
    }
);
