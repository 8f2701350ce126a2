//! The policy's common settings as a form, over real HTTP: a step's days
//! changed through the form make a new version whose document differs
//! only on that line (notes kept); a bad value is refused naming the field
//! as the form labels it, what was typed kept and nothing written; a
//! viewer can neither open the form nor save it.

mod common;

use common::{Browser, Page, TestServer};
use serde_json::Value;

const PASSWORD: &str = "correct horse battery";

fn owner(server: &TestServer) -> (Browser, String) {
    let browser = server.browser();
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
    let csrf = browser.get("/dashboard").csrf();
    (browser, csrf)
}

/// The policy in force: (version, document), over the API.
fn in_force(browser: &Browser) -> (i64, String) {
    let got = browser.get("/api/v1/policy");
    assert_eq!(got.status, 200, "{}", got.body);
    let v: Value = serde_json::from_str(&got.body).unwrap();
    (
        v["version"].as_i64().unwrap(),
        v["document"].as_str().unwrap().to_string(),
    )
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let at = tag.find(&needle)? + needle.len();
    let end = tag[at..].find('"')? + at;
    Some(
        tag[at..end]
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// What the page's form would send as it stands: every text and hidden
/// input's value and every ticked checkbox's.
fn fields_of(page: &Page) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for piece in page.body.split("<input ").skip(1) {
        let tag = &piece[..piece.find('>').unwrap()];
        let Some(name) = attribute(tag, "name") else {
            continue;
        };
        let kind = attribute(tag, "type").unwrap_or_default();
        if kind == "checkbox" && !tag.contains(" checked") {
            continue;
        }
        out.push((name, attribute(tag, "value").unwrap_or_default()));
    }
    out
}

fn set(fields: &mut [(String, String)], name: &str, value: &str) {
    let field = fields
        .iter_mut()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("the form has no field {name}"));
    field.1 = value.to_string();
}

fn post(browser: &Browser, fields: &[(String, String)]) -> Page {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    browser.post_form("/policy/settings", &pairs)
}

web_test!(
    fn a_steps_days_changed_in_the_form_make_a_version_differing_only_there(server: &TestServer) {
        let (browser, _) = owner(server);
        let (version, before) = in_force(&browser);
        assert!(browser
            .get("/policy")
            .body
            .contains(r#"href="/policy/settings""#));

        let form = browser.get("/policy/settings");
        assert_eq!(form.status, 200, "{}", form.body);
        form.assert_contains("Common policy settings");
        form.assert_contains(r#"name="step-2-days" value="30""#);
        form.assert_contains(r#"name="fee-flat-1-amount" value="40.00""#);
        form.assert_contains(r#"name="interest-rate" value="8""#);
        form.assert_contains(r#"name="cod-days" value="60""#);
        form.assert_contains(r#"name="tier-high-avg" value="30""#);

        // Saved unchanged: refused, nothing written.
        let mut fields = fields_of(&form);
        let same = post(&browser, &fields);
        assert_eq!(same.status, 422, "{}", same.body);
        same.assert_contains("nothing was changed");
        assert_eq!(in_force(&browser).0, version);

        set(&mut fields, "step-2-days", "21");
        let saved = post(&browser, &fields);
        assert_eq!(saved.status, 303, "{}", saved.body);
        let (after_version, after) = in_force(&browser);
        assert_eq!(after_version, version + 1);
        // The document differs on one line: the step's days; notes are kept.
        assert_eq!(before.lines().count(), after.lines().count(), "{after}");
        let differing: Vec<(&str, &str)> = before
            .lines()
            .zip(after.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(
            differing,
            [("days_past_due = 30", "days_past_due = 21")],
            "{after}"
        );
        let shown = browser.get(&format!("/policy/versions/{after_version}"));
        shown.assert_contains("step second_notice: days_past_due 30 → 21");

        // A new step in the blank row and a per-currency fee: a new version
        // that reads back with them.
        let form = browser.get("/policy/settings");
        let mut fields = fields_of(&form);
        set(&mut fields, "step-6-key", "last_call");
        set(&mut fields, "step-6-days", "120");
        fields.push(("step-6-channel".into(), "call_task".into()));
        set(&mut fields, "step-6-template", "last_call");
        set(&mut fields, "fee-flat-2-currency", "jpy");
        set(&mut fields, "fee-flat-2-amount", "3500");
        set(&mut fields, "reason", "a last call and yen");
        let saved = post(&browser, &fields);
        assert_eq!(saved.status, 303, "{}", saved.body);
        let (_, text) = in_force(&browser);
        assert!(text.contains("key = \"last_call\""), "{text}");
        assert!(text.contains("JPY = \"3500\""), "{text}");
        assert!(text.contains("USD = \"40.00\""), "{text}");
        assert!(text.contains("# Reason for this version: a last call and yen"));
        // The effects the form does not show are kept.
        assert!(
            text.contains("effects = [\"late_fee\", \"credit_hold\"]"),
            "{text}"
        );

        // "Add a step row" writes nothing and offers one more blank row.
        let form = browser.get("/policy/settings");
        let mut fields = fields_of(&form);
        fields.push(("action".into(), "add".into()));
        let more = post(&browser, &fields);
        assert_eq!(more.status, 200, "{}", more.body);
        more.assert_contains(r#"name="step-8-key" value="""#);
        assert_eq!(in_force(&browser).1, text);

        // A step removed: its table goes, every other line and note stays.
        let mut fields = fields_of(&form);
        fields.push(("step-3-remove".into(), "yes".into()));
        let saved = post(&browser, &fields);
        assert_eq!(saved.status, 303, "{}", saved.body);
        let (_, after) = in_force(&browser);
        assert!(!after.contains("follow_up_call"), "{after}");
        assert!(!after.contains("# Pick up the phone."), "{after}");
        assert!(after.contains("# A polite first notice"), "{after}");
        assert!(after.contains("key = \"last_call\""), "{after}");
    }
);

web_test!(
    fn a_bad_value_is_refused_naming_the_field_and_nothing_is_written(server: &TestServer) {
        let (browser, _) = owner(server);
        let (version, document) = in_force(&browser);
        let form = browser.get("/policy/settings");
        let fields = fields_of(&form);

        // Not a number: named by the form.
        let mut bad = fields.clone();
        set(&mut bad, "step-1-days", "soon");
        set(&mut bad, "fee-flat-1-amount", "40.001");
        let refused = post(&browser, &bad);
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains(r#"id="settings-problems""#);
        refused.assert_contains("nothing was written");
        refused.assert_contains("Step 1, days past due</strong></a>: 'soon' is not a whole number");
        refused.assert_contains(
            "Late fee, row 1, amount</strong></a>: '40.001' has more decimal places than USD has (2)",
        );
        // What was typed is shown again.
        refused.assert_contains(r#"name="step-1-days" value="soon" inputmode="numeric" autocomplete="off" aria-invalid="true""#);
        refused
            .assert_contains(r##"<a href="#fee-flat-1-amount"><strong>Late fee, row 1, amount"##);

        // Out of order: the domain's check, named as the form shows it.
        let mut bad = fields.clone();
        set(&mut bad, "step-3-days", "20");
        let refused = post(&browser, &bad);
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains(
            "<a href=\"#step-3-days\"><strong>Step 3, days past due</strong></a>: 20 is not after the step before (30)",
        );
        refused.assert_contains(r#"name="step-3-days" value="20""#);

        // A step a tier names, removed: the tier's field is named.
        let mut bad = fields.clone();
        bad.push(("step-4-remove".into(), "yes".into()));
        let refused = post(&browser, &bad);
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains(
            "Tier high, step reached</strong></a>: no step has key 'final_demand'",
        );

        assert_eq!(in_force(&browser), (version, document));
    }
);

web_test!(
    fn a_viewer_can_neither_open_nor_save_the_form(server: &TestServer) {
        let (browser, csrf) = owner(server);
        let (version, _) = in_force(&browser);
        let fields = fields_of(&browser.get("/policy/settings"));
        browser.add_member(&csrf, "vera@acme.example", "Vera", PASSWORD, "viewer");
        let viewer = server.browser();
        let signed = viewer.post_form(
            "/sign-in",
            &[("email", "vera@acme.example"), ("password", PASSWORD)],
        );
        assert_eq!(signed.status, 303);
        let read = viewer.get("/policy");
        assert_eq!(read.status, 200);
        assert!(!read.body.contains(r#"href="/policy/settings""#));
        let refused = viewer.get("/policy/settings");
        assert_eq!(refused.status, 403, "{}", refused.body);
        let token = read.csrf();
        let mut fields = fields;
        set(&mut fields, "csrf_token", &token);
        set(&mut fields, "step-2-days", "21");
        let posted = post(&viewer, &fields);
        assert_eq!(posted.status, 403, "{}", posted.body);
        assert_eq!(in_force(&browser).0, version);
    }
);
