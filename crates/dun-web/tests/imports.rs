//! The import page over real HTTP on SQLite and PostgreSQL: a CSV with a
//! bad row shows that row's problem (row, the column as the file names it,
//! the value as written, what is accepted) and writes nothing; a good file
//! is checked (nothing written), then imported by the confirm step, once;
//! a confirm carrying another file than the one checked is refused; a
//! viewer may not import; the exports download.

mod common;

use common::{Browser, Page, TestServer};

const PASSWORD: &str = "correct horse battery";
const BOUNDARY: &str = "dun-import-boundary";

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
    let csrf = browser.get("/imports").csrf();
    (browser, csrf)
}

/// A multipart body of `fields`; a field with a file name is a file.
fn multipart(fields: &[(&str, Option<&str>, &str)]) -> String {
    let mut body = String::new();
    for (name, file, value) in fields {
        body.push_str(&format!("--{BOUNDARY}\r\n"));
        match file {
            Some(file) => body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: text/csv\r\n\r\n"
            )),
            None => body.push_str(&format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n")),
        }
        body.push_str(value);
        body.push_str("\r\n");
    }
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    body
}

fn post(browser: &Browser, path: &str, fields: &[(&str, Option<&str>, &str)]) -> Page {
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    browser.send(
        "POST",
        path,
        Some(multipart(fields)),
        &[("Content-Type", &content_type)],
    )
}

fn check(browser: &Browser, csrf: &str, kind: &str, file: &str) -> Page {
    post(
        browser,
        "/imports/check",
        &[
            ("csrf_token", None, csrf),
            ("kind", None, kind),
            ("file", Some("book.csv"), file),
        ],
    )
}

/// The value of the hidden field `name` on a page.
fn hidden(page: &Page, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field:\n{}", page.body))
        + marker.len();
    let end = page.body[start..].find('"').expect("the field's end");
    page.body[start..start + end].to_string()
}

fn confirm(browser: &Browser, csrf: &str, digest: &str, file_hex: &str) -> Page {
    post(
        browser,
        "/imports/confirm",
        &[
            ("csrf_token", None, csrf),
            ("kind", None, "customers"),
            ("name", None, "book.csv"),
            ("digest", None, digest),
            ("file_hex", None, file_hex),
        ],
    )
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

const GOOD: &str = "Customer ID,name,credit_limit\nGOOD1,Good One,1000.00\nGOOD2,Good Two,\n";

web_test!(
    fn a_bad_row_is_shown_and_nothing_is_written(server: &TestServer) {
        let (browser, csrf) = owner(server);
        let page = browser.get("/imports");
        assert_eq!(page.status, 200, "{}", page.body);
        page.assert_contains(r#"action="/imports/check""#);
        page.assert_contains(r#"enctype="multipart/form-data""#);
        page.assert_contains(r#"href="/bank""#);

        let file = "Customer ID,name,credit_limit\nOK1,Fine Ltd,10.00\nBAD1,Broken Ltd,lots\n";
        let refused = check(&browser, &csrf, "customers", file);
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains(r#"role="alert""#);
        refused.assert_contains("nothing was written");
        refused.assert_contains(r#"id="problems""#);
        // Row 3, the column, the value as written, what is accepted.
        refused.assert_contains(
            r#"<td class="num">3</td><td>credit_limit</td><td class="code">lots</td>"#,
        );
        assert!(
            !refused.body.contains(r#"name="file_hex""#),
            "no confirm step for a refused file"
        );
        // A problem in a column the file names its own way is named as the file does.
        let refused = check(
            &browser,
            &csrf,
            "customers",
            "Customer ID,name\n,Nameless Ltd\n",
        );
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains("Customer ID (ref)");
        // The book's own checks too: an invoice for a customer the book does not have.
        let refused = check(
            &browser,
            &csrf,
            "invoices",
            "number,customer_ref,issue_date,due_date,currency,amount\nX-1,NOBODY,2026-01-05,2026-02-04,USD,10.00\n",
        );
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_contains("NOBODY");

        let mut store = dun_store::Store::open(&server.database_url).expect("the store");
        let org = store.orgs().unwrap().into_iter().next().unwrap();
        assert!(
            store.customer_rows(org.id).unwrap().is_empty(),
            "nothing was written"
        );
        assert!(
            store.invoice_rows(org.id).unwrap().is_empty(),
            "nothing was written"
        );

        // Over the limit an import from the browser takes: refused, saying the limit.
        let mut big = String::from("ref,name\n");
        while big.len() <= dun_web::IMPORT_UPLOAD_BYTES_MAX {
            big.push_str("BIG,Big Ltd\n");
        }
        let refused = check(&browser, &csrf, "customers", &big);
        assert_eq!(
            refused.status,
            422,
            "{}",
            &refused.body[..refused.body.len().min(2000)]
        );
        refused.assert_contains("at most 2 MB");
        assert!(
            store.customer_rows(org.id).unwrap().is_empty(),
            "nothing was written"
        );

        // Without the session's token: refused.
        let forged = check(&browser, "", "customers", GOOD);
        assert_eq!(forged.status, 403, "{}", forged.body);
    }
);

web_test!(
    fn a_good_file_is_checked_then_imported_exactly_as_checked(server: &TestServer) {
        let (browser, csrf) = owner(server);
        let checked = check(&browser, &csrf, "customers", GOOD);
        assert_eq!(checked.status, 200, "{}", checked.body);
        checked.assert_contains("2 customers checked, all good. Nothing has been written yet.");
        checked.assert_contains("Import these 2 customers");
        let digest = hidden(&checked, "digest");
        let file_hex = hidden(&checked, "file_hex");
        assert_eq!(file_hex, hex(GOOD));
        assert_eq!(
            browser.get("/customers/GOOD1").status,
            404,
            "a dry run writes nothing"
        );

        // Another file under the checked file's digest: refused, nothing written.
        let other = GOOD.replace("GOOD2", "EVIL2");
        let changed = confirm(&browser, &csrf, &digest, &hex(&other));
        assert_eq!(changed.status, 409, "{}", changed.body);
        changed.assert_contains("not the one that was checked");
        assert_eq!(browser.get("/customers/EVIL2").status, 404);
        assert_eq!(browser.get("/customers/GOOD1").status, 404);

        let done = confirm(&browser, &csrf, &digest, &file_hex);
        assert_eq!(done.status, 303, "{}", done.body);
        let to = done.location.expect("a redirect");
        assert_eq!(to, "/imports?done=customers&written=2&rows=2");
        browser
            .get(&to)
            .assert_contains("Imported 2 customers from 2 rows.");
        let customer = browser.get("/customers/GOOD1");
        assert_eq!(customer.status, 200, "{}", customer.body);
        customer.assert_contains("Good One");

        // The same file again: written once.
        let again = confirm(&browser, &csrf, &digest, &file_hex);
        assert_eq!(again.status, 303, "{}", again.body);
        let to = again.location.expect("a redirect");
        browser
            .get(&to)
            .assert_contains("was imported before; nothing new was written");
        let mut store = dun_store::Store::open(&server.database_url).expect("the store");
        let org = store.orgs().unwrap().into_iter().next().unwrap();
        assert_eq!(store.customer_rows(org.id).unwrap().len(), 2);

        // Invoices the old system chased enter the ladder on the import
        // day, as `dun import`'s default: nothing is sent for steps passed.
        let invoices = "number,customer_ref,issue_date,due_date,currency,amount\nOLD-1,GOOD1,2026-01-05,2026-02-04,USD,900.00\n";
        let checked = check(&browser, &csrf, "invoices", invoices);
        assert_eq!(checked.status, 200, "{}", checked.body);
        let done = post(
            &browser,
            "/imports/confirm",
            &[
                ("csrf_token", None, &csrf),
                ("kind", None, "invoices"),
                ("name", None, "old.csv"),
                ("digest", None, &hidden(&checked, "digest")),
                ("file_hex", None, &hidden(&checked, "file_hex")),
            ],
        );
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(
            done.location.as_deref(),
            Some("/imports?done=invoices&written=1&rows=1")
        );
        let today = store.clock().today_in("UTC").unwrap();
        let run = store.run_collections(org.id, today, false).unwrap();
        let kinds: Vec<(&str, &str)> = run
            .plan
            .actions
            .iter()
            .map(|a| (a.kind.name(), a.rule.as_ref()))
            .collect();
        assert!(kinds.contains(&("skip", "import.ladder_from")), "{kinds:?}");
        assert!(
            !kinds
                .iter()
                .any(|(kind, _)| ["message", "fee", "interest", "compensation"].contains(kind)),
            "{kinds:?}"
        );

        // The export reads back what was imported.
        let csv = browser.get("/imports/export/customers.csv");
        assert_eq!(csv.status, 200, "{}", csv.body);
        assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
        assert!(csv.body.starts_with("ref,name"), "{}", csv.body);
        assert!(csv.body.contains("GOOD1,Good One"), "{}", csv.body);
        assert_eq!(browser.get("/imports/export/secrets.csv").status, 404);

        // A viewer sees the page and the exports, and may not import.
        browser.add_member(&csrf, "vic@acme.example", "Vic Viewer", PASSWORD, "viewer");
        let viewer = server.browser();
        let signed = viewer.post_form(
            "/sign-in",
            &[("email", "vic@acme.example"), ("password", PASSWORD)],
        );
        assert_eq!(signed.status, 303, "{}", signed.body);
        let page = viewer.get("/imports");
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            !page.body.contains(r#"action="/imports/check""#),
            "{}",
            page.body
        );
        assert_eq!(viewer.get("/imports/export/customers.csv").status, 200);
        let viewer_csrf = page.csrf();
        let refused = check(
            &viewer,
            &viewer_csrf,
            "customers",
            "ref,name\nVIEW,Viewer's\n",
        );
        assert_eq!(refused.status, 403, "{}", refused.body);
    }
);
