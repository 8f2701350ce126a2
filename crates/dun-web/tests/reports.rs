//! The reports page over real HTTP: the aging as of two dates (summary and
//! detail, exact amounts), its CSV (headers and rows exact), and the
//! figures over time equal to the API's `/api/v1/figures/trend`.

mod common;

use common::{Browser, TestServer};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

/// An owner signed in, with two customers and two invoices:
/// BOLT 627.00 due 2026-02-04, ZED 100.00 due 2026-03-03. Returns
/// (browser, csrf, BOLT's invoice number, ZED's).
fn book(server: &TestServer) -> (Browser, String, String, String) {
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
    for (reference, name) in [("BOLT", "Bolt, Nut & Co"), ("ZED", "Zed Hardware")] {
        let c = browser.post_json(
            "/api/v1/customers",
            &csrf,
            json!({"reference": reference, "name": name, "terms": "net30"}),
        );
        assert_eq!(c.status, 201, "{}", c.body);
    }
    let mut numbers = Vec::new();
    for (customer, issued, lines) in [
        (
            "BOLT",
            "2026-01-05",
            json!([
                {"description": "Hex bolts", "quantity": "12", "unit_price": "42.50", "tax_rate": "20"},
                {"description": "Delivery", "quantity": "1", "unit_price": "15.00"}]),
        ),
        (
            "ZED",
            "2026-02-01",
            json!([{"description": "Washers", "quantity": "1", "unit_price": "100.00"}]),
        ),
    ] {
        let invoice = browser.post_json(
            "/api/v1/invoices",
            &csrf,
            json!({"customer": customer, "issue_date": issued, "terms": "net30", "lines": lines, "issue": true}),
        );
        assert_eq!(invoice.status, 201, "{}", invoice.body);
        let invoice: Value = serde_json::from_str(&invoice.body).unwrap();
        numbers.push(invoice["number"].as_str().unwrap().to_string());
    }
    (browser, csrf, numbers[0].clone(), numbers[1].clone())
}

/// The summary row of a currency: the cell of each bucket.
fn cell(bucket: &str, amount: &str) -> String {
    format!(r#"data-bucket="{bucket}">{amount}<"#)
}

web_test!(
    fn aging_as_of_two_dates_and_its_csv(server: &TestServer) {
        let (browser, csrf, bolt, zed) = book(server);

        let early = browser.get("/reports?as_of=2026-02-04");
        assert_eq!(early.status, 200, "{}", early.body);
        early.assert_contains(r#"id="as_of""#);
        early.assert_contains(r#"value="2026-02-04""#);
        early.assert_contains("Aging as of 2026-02-04");
        early.assert_contains(&cell("current", "USD 727.00"));
        early.assert_contains(&cell("1-30", "USD 0.00"));
        early.assert_contains(&cell("31-60", "USD 0.00"));
        early.assert_contains(&cell("total", "USD 727.00"));
        early.assert_contains("Bolt, Nut &amp; Co");
        assert!(!early.body.to_lowercase().contains("<script"));

        let later = browser.get("/reports?as_of=2026-03-10&detail=customers");
        assert_eq!(later.status, 200, "{}", later.body);
        later.assert_contains(&cell("current", "USD 0.00"));
        later.assert_contains(&cell("1-30", "USD 100.00"));
        later.assert_contains(&cell("31-60", "USD 627.00"));
        later.assert_contains(&cell("61-90", "USD 0.00"));
        later.assert_contains(&cell("total", "USD 727.00"));

        // Before anything was issued: nothing open.
        browser
            .get("/reports?as_of=2025-12-31")
            .assert_contains("Nothing was open on 2025-12-31");

        // Per invoice.
        let items = browser.get("/reports?as_of=2026-03-10&detail=invoices");
        assert_eq!(items.status, 200, "{}", items.body);
        items.assert_contains(&format!(r#"data-invoice="{bolt}""#));
        items.assert_contains(&format!(r#"data-invoice="{zed}""#));
        items.assert_contains("<td class=\"num\">34</td>");

        // A bad date or detail is refused with the field named.
        let bad = browser.get("/reports?as_of=2026-02-30");
        assert_eq!(bad.status, 422, "{}", bad.body);
        bad.assert_contains("as_of");
        assert_eq!(browser.get("/reports?detail=everything").status, 422);

        // The CSVs, exactly.
        let csv = browser.get("/reports/aging.csv?as_of=2026-03-10&detail=customers");
        assert_eq!(csv.status, 200, "{}", csv.body);
        assert!(csv
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/csv")));
        assert_eq!(
            csv.header("content-disposition"),
            Some("attachment; filename=aging-2026-03-10.csv")
        );
        assert_eq!(
            csv.body,
            "customer_reference,customer_name,currency,current,1-30,31-60,61-90,90+,total\r\n\
             BOLT,\"Bolt, Nut & Co\",USD,0.00,0.00,627.00,0.00,0.00,627.00\r\n\
             ZED,Zed Hardware,USD,0.00,100.00,0.00,0.00,0.00,100.00\r\n"
        );
        let csv = browser.get("/reports/aging.csv?as_of=2026-03-10&detail=invoices");
        assert_eq!(csv.status, 200, "{}", csv.body);
        assert_eq!(
            csv.body,
            format!(
                "customer_reference,customer_name,invoice,due_date,days_past_due,bucket,currency,open\r\n\
                 BOLT,\"Bolt, Nut & Co\",{bolt},2026-02-04,34,31-60,USD,627.00\r\n\
                 ZED,Zed Hardware,{zed},2026-03-03,7,1-30,USD,100.00\r\n"
            )
        );
        let csv = browser.get("/reports/aging.csv?as_of=2026-02-04&detail=summary");
        assert_eq!(
            csv.body,
            "currency,current,1-30,31-60,61-90,90+,total\r\nUSD,727.00,0.00,0.00,0.00,0.00,727.00\r\n"
        );
        assert_eq!(
            csv.header("content-disposition"),
            Some("attachment; filename=aging-2026-02-04.csv")
        );

        // A payment moves the figures at once (nothing stale is shown).
        let paid = browser.post_json(
            "/api/v1/payments",
            &csrf,
            json!({"customer": "ZED", "received_date": "2026-03-05", "amount": "100.00", "method": "card"}),
        );
        assert_eq!(paid.status, 201, "{}", paid.body);
        let after = browser.get("/reports?as_of=2026-03-10&detail=customers");
        after.assert_contains(&cell("1-30", "USD 0.00"));
        after.assert_contains(&cell("total", "USD 627.00"));
        let csv = browser.get("/reports/aging.csv?as_of=2026-03-10&detail=summary");
        assert_eq!(
            csv.body,
            "currency,current,1-30,31-60,61-90,90+,total\r\nUSD,0.00,0.00,627.00,0.00,0.00,627.00\r\n"
        );

        // Signed out: no CSV.
        browser.forget_cookie();
        assert_eq!(
            browser.get("/reports/aging.csv?as_of=2026-03-10").status,
            303
        );
    }
);

web_test!(
    fn figures_over_time_match_the_api(server: &TestServer) {
        let (browser, csrf, _, _) = book(server);
        // A payment, so that CEI has something collected.
        let paid = browser.post_json(
            "/api/v1/payments",
            &csrf,
            json!({"customer": "ZED", "received_date": "2026-03-05", "amount": "40.00", "method": "bank_transfer"}),
        );
        assert!(paid.status == 201 || paid.status == 200, "{}", paid.body);

        let page = browser.get("/reports?as_of=2026-03-10");
        assert_eq!(page.status, 200, "{}", page.body);
        page.assert_contains("<svg");
        page.assert_contains("Collection figures over time");
        let api = browser.get("/api/v1/figures/trend?as_of=2026-03-10&days=30&points=12&step=30");
        assert_eq!(api.status, 200, "{}", api.body);
        let trend: Value = serde_json::from_str(&api.body).unwrap();
        let points = trend.as_array().unwrap();
        assert_eq!(points.len(), 12);
        let mut values = 0;
        for point in points {
            let end = point["period_end"].as_str().unwrap();
            page.assert_contains(&format!(r#"data-period="{end}""#));
            for f in point["figures"].as_array().unwrap() {
                assert_eq!(f["currency"], "USD");
                for (key, unit) in [
                    ("dso", " days"),
                    ("best_possible_dso", " days"),
                    ("cei", " %"),
                ] {
                    if let Some(v) = f[key]["value"].as_str() {
                        values += 1;
                        let row_start = page.body.find(&format!(r#"data-period="{end}""#)).unwrap();
                        let row = &page.body[row_start..];
                        let row = &row[..row.find("</tr>").unwrap()];
                        assert!(
                            row.contains(&format!(r#"data-figure="{key}">{v}{unit}<"#)),
                            "{key} of {end} should be {v}: {row}"
                        );
                    }
                }
            }
        }
        assert!(values >= 3, "the book gives some figures: {}", api.body);
    }
);
