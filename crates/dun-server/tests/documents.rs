//! Documents over HTTP: an invoice's PDF and UBL e-invoice, statements
//! (JSON and PDF), message templates, recurring invoices, the seller
//! profile (with the paper, locale and logo of its documents) and
//! customers' addresses — each answered, refused (422) and not found (404).

mod common;

use common::{problem, Api};
use serde_json::json;

fn customer_with_invoice(api: &Api) -> String {
    let (status, body) = api.post(
        "/api/v1/customers",
        json!({"reference": "ACME", "name": "Acme Ltd", "email": "ap@acme.example"}),
    );
    assert_eq!(status, 201, "{body}");
    let (status, body) = api.post(
        "/api/v1/invoices",
        json!({"customer": "ACME", "issue_date": "2026-02-01", "issue": true,
               "lines": [{"description": "Widgets", "quantity": "2", "unit_price": "50.00"}]}),
    );
    assert_eq!(status, 201, "{body}");
    body["number"].as_str().unwrap().to_string()
}

server_test!(
    fn invoices_as_pdf_and_ubl(server: &TestServer) {
        let api = server.owner("Docs");
        let number = customer_with_invoice(&api);

        let pdf = api.send("GET", &format!("/api/v1/invoices/{number}/pdf"), None, &[]);
        assert_eq!(pdf.status, 200);
        assert_eq!(pdf.content_type, "application/pdf");

        // Without the seller's and buyer's countries the e-invoice breaks rules.
        let refused = problem(409, api.get(&format!("/api/v1/invoices/{number}/xml")));
        let detail = refused["detail"].as_str().unwrap();
        assert!(detail.contains("EN 16931"), "{detail}");
        assert!(detail.contains("BR-"), "the rules are listed: {detail}");

        let (status, body) = api.put(
            "/api/v1/organisation/profile",
            json!({"seller": {"name": "Docs", "address_lines": ["1 High Street"], "city": "London",
                   "postcode": "N1 1AA", "country_code": "GB", "vat_id": "GB123456789"},
                   "payment": {"iban": "GB82WEST12345698765432", "account_name": "Docs"}}),
        );
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["seller"]["country_code"], "GB");
        assert_eq!(body["payment"]["iban"], "GB82WEST12345698765432");
        assert_eq!(api.get("/api/v1/organisation/profile"), (200, body));
        let (status, body) = api.put(
            "/api/v1/customers/ACME/address",
            json!({"address_lines": ["2 Low Road"], "city": "Leeds", "postcode": "LS1 1AA", "country_code": "GB"}),
        );
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["name"], "Acme Ltd");
        assert_eq!(body["email"], "ap@acme.example", "the e-mail stays");
        assert_eq!(body["city"], "Leeds");

        let xml = api.send("GET", &format!("/api/v1/invoices/{number}/xml"), None, &[]);
        assert_eq!(xml.status, 200, "{}", xml.body);
        assert_eq!(xml.content_type, "application/xml");
        let text = xml.body.as_str().expect("the XML as text");
        assert!(text.contains(&number), "{text}");

        problem(404, api.get("/api/v1/invoices/NOPE-1/pdf"));
        problem(404, api.get("/api/v1/invoices/NOPE-1/xml"));
        let (_, draft) = api.post(
            "/api/v1/invoices",
            json!({"customer": "ACME", "lines": [{"description": "d", "quantity": "1", "unit_price": "1.00"}]}),
        );
        let draft = draft["id"].as_i64().unwrap();
        problem(409, api.get(&format!("/api/v1/invoices/{draft}/pdf")));

        // Malformed profile values are refused, nothing written.
        problem(
            422,
            api.put(
                "/api/v1/organisation/profile",
                json!({"seller": {"name": "Docs", "country_code": "GB"}, "payment": {"iban": "GB00NOTANIBAN"}}),
            ),
        );
        assert_eq!(
            api.get("/api/v1/organisation/profile").1["payment"]["iban"],
            "GB82WEST12345698765432"
        );
        problem(
            404,
            api.put(
                "/api/v1/customers/NOBODY/address",
                json!({"city": "Nowhere"}),
            ),
        );
    }
);

server_test!(
    fn statements_as_json_and_pdf(server: &TestServer) {
        let api = server.owner("Statements");
        let number = customer_with_invoice(&api);
        let (status, body) =
            api.get("/api/v1/customers/ACME/statement?from=2026-01-01&to=2026-03-31");
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["customer"], "ACME");
        let s = &body["statements"][0];
        assert_eq!(s["currency"], "USD");
        assert_eq!(s["opening"], "0.00");
        assert_eq!(s["closing"], "100.00");
        assert_eq!(s["open_invoices"][0]["number"], number.as_str());

        let pdf = api.send(
            "GET",
            "/api/v1/customers/ACME/statement.pdf?from=2026-01-01&to=2026-03-31",
            None,
            &[],
        );
        assert_eq!(pdf.status, 200);
        assert_eq!(pdf.content_type, "application/pdf");
        let pdf = api.send(
            "GET",
            "/api/v1/customers/ACME/statement.pdf?from=2026-01-01&to=2026-03-31&currency=USD",
            None,
            &[],
        );
        assert_eq!(pdf.status, 200);
        problem(
            404,
            api.get(
                "/api/v1/customers/ACME/statement.pdf?from=2026-01-01&to=2026-03-31&currency=EUR",
            ),
        );
        problem(404, api.get("/api/v1/customers/NOBODY/statement"));
        problem(404, api.get("/api/v1/customers/NOBODY/statement.pdf"));
        problem(
            422,
            api.get("/api/v1/customers/ACME/statement?from=2026-04-01&to=2026-03-31"),
        );
        problem(
            422,
            api.get("/api/v1/customers/ACME/statement?from=yesterday"),
        );
        problem(
            422,
            api.get("/api/v1/customers/ACME/statement.pdf?currency=XX"),
        );
    }
);

server_test!(
    fn templates_are_read_and_edited(server: &TestServer) {
        let api = server.owner("Wording");
        let (status, all) = api.get("/api/v1/templates");
        assert_eq!(status, 200);
        let first = all
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "first_notice")
            .expect("first_notice is built in");
        assert_eq!(first["built_in"], true);
        assert_eq!(first["edited"], false);

        let refused = problem(
            422,
            api.put(
                "/api/v1/templates/first_notice",
                json!({"subject": "Pay {{nonsense}}", "text": "Dear {{customer_name}}"}),
            ),
        );
        assert_eq!(refused["field"], "subject");
        let detail = refused["detail"].as_str().unwrap();
        assert!(
            detail.starts_with("template 'first_notice', subject") && detail.contains("nonsense"),
            "{detail}"
        );
        problem(
            422,
            api.put(
                "/api/v1/templates/Bad%20Name",
                json!({"subject": "s", "text": "t"}),
            ),
        );

        let (status, saved) = api.put(
            "/api/v1/templates/first_notice",
            json!({"subject": "Overdue: {{total}}", "text": "Dear {{customer_name}},\n\nPlease pay.\n\n{{invoices_table}}"}),
        );
        assert_eq!(status, 200, "{saved}");
        assert_eq!(saved["edited"], true);
        assert_eq!(saved["version"], 1);
        assert!(saved["html"]
            .as_str()
            .unwrap()
            .contains("<p>Please pay.</p>"));
        assert_eq!(api.get("/api/v1/templates/first_notice"), (200, saved));
        let (_, saved) = api.put(
            "/api/v1/templates/thank_you",
            json!({"subject": "Thanks", "text": "Thank you, {{customer_name}}.", "html": "<p>Thank you.</p>"}),
        );
        assert_eq!(saved["built_in"], false);
        assert_eq!(
            api.get("/api/v1/templates/thank_you").1["html"],
            "<p>Thank you.</p>"
        );
        problem(404, api.get("/api/v1/templates/never_written"));

        let viewer = server.token_for(
            "owner@wording.example",
            "correct horse battery",
            None,
            "viewer",
        );
        problem(
            403,
            viewer.put(
                "/api/v1/templates/first_notice",
                json!({"subject": "s", "text": "t"}),
            ),
        );

        // Back to Dun's wording: the owner only; the built-in reads again.
        problem(403, viewer.delete("/api/v1/templates/first_notice"));
        assert_eq!(api.get("/api/v1/templates/first_notice").1["edited"], true);
        assert_eq!(api.delete("/api/v1/templates/first_notice").0, 204);
        let (_, now) = api.get("/api/v1/templates/first_notice");
        assert_eq!(
            (now["edited"].clone(), now["built_in"].clone()),
            (json!(false), json!(true))
        );
        assert!(!now["subject"]
            .as_str()
            .unwrap()
            .contains("Overdue: {{total}}"));
        // Twice is the same; a template of one's own is gone; an unknown is 404.
        assert_eq!(api.delete("/api/v1/templates/first_notice").0, 204);
        assert_eq!(api.delete("/api/v1/templates/thank_you").0, 204);
        problem(404, api.get("/api/v1/templates/thank_you"));
        problem(404, api.delete("/api/v1/templates/thank_you"));
        problem(422, api.delete("/api/v1/templates/Bad%20Name"));
    }
);

server_test!(
    fn recurring_invoices_over_http(server: &TestServer) {
        let api = server.owner("Subscriptions");
        customer_with_invoice(&api);
        let (status, r) = api.post(
            "/api/v1/recurring",
            json!({"customer": "ACME", "schedule": "monthly:1", "starts": "2026-03-15", "ends": "2026-12-31",
                   "terms": "net14", "lines": [{"description": "Hosting", "quantity": "1", "unit_price": "20.00"}]}),
        );
        assert_eq!(status, 201, "{r}");
        assert_eq!(r["status"], "active");
        assert_eq!(r["schedule"], "monthly:1");
        assert_eq!(r["next_date"], "2026-04-01");
        assert_eq!(r["total"], "20.00");
        assert_eq!(r["terms"], "net14");
        let id = r["id"].as_i64().unwrap();
        let (_, list) = api.get("/api/v1/recurring");
        assert_eq!(list.as_array().unwrap().len(), 1);

        let (status, r) = api.post(
            &format!("/api/v1/recurring/{id}/pause"),
            json!({"on": "2026-03-20"}),
        );
        assert_eq!((status, r["status"].as_str()), (200, Some("paused")), "{r}");
        assert_eq!(
            api.get("/api/v1/recurring?status=paused")
                .1
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let (status, r) = api.post(
            &format!("/api/v1/recurring/{id}/resume"),
            json!({"on": "2026-05-02"}),
        );
        assert_eq!((status, r["status"].as_str()), (200, Some("active")), "{r}");
        assert_eq!(r["next_date"], "2026-06-01");
        let (status, r) = api.post(&format!("/api/v1/recurring/{id}/end"), json!({}));
        assert_eq!((status, r["status"].as_str()), (200, Some("ended")), "{r}");

        problem(404, api.post("/api/v1/recurring/999999/pause", json!({})));
        problem(
            404,
            api.post(
                "/api/v1/recurring",
                json!({"customer": "NOBODY", "schedule": "monthly:1",
                "lines": [{"description": "x", "quantity": "1", "unit_price": "1.00"}]}),
            ),
        );
        let bad = problem(
            422,
            api.post(
                "/api/v1/recurring",
                json!({"customer": "ACME", "schedule": "fortnightly",
                "lines": [{"description": "x", "quantity": "1", "unit_price": "1.00"}]}),
            ),
        );
        assert_eq!(bad["field"], "schedule");
        problem(
            422,
            api.post(
                "/api/v1/recurring",
                json!({"customer": "ACME", "schedule": "monthly:1", "lines": []}),
            ),
        );
        problem(422, api.get("/api/v1/recurring?status=sleeping"));
    }
);

/// An RGBA PNG, `w` × `h`, half of it transparent.
fn png_logo(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    let data: Vec<u8> = (0..w * h)
        .flat_map(|i| [20, 60, 160, if i % 2 == 0 { 255 } else { 0 }])
        .collect();
    writer.write_image_data(&data).unwrap();
    writer.finish().unwrap();
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

server_test!(
    fn paper_locale_and_logo_over_http(server: &TestServer) {
        let api = server.owner("Looks");
        let number = customer_with_invoice(&api);
        let pdf_path = format!("/api/v1/invoices/{number}/pdf");

        let (status, profile) = api.get("/api/v1/organisation/profile");
        assert_eq!(status, 200);
        assert_eq!(
            profile["documents"],
            json!({"paper_size": null, "paper_size_in_use": "a4", "document_locale": "en", "logo": null})
        );
        // A US seller, no paper chosen: US Letter.
        let (status, body) = api.put(
            "/api/v1/organisation/profile",
            json!({"seller": {"name": "Looks", "country_code": "US"}}),
        );
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["documents"]["paper_size_in_use"], "us_letter");
        let (_, _, pdf) = api.exchange_bytes("GET", &pdf_path, None, "");
        assert!(contains(&pdf, "/MediaBox [0 0 612 792]"));

        // Chosen: A4 and French, whatever the country; a GET round-trips.
        let (status, body) = api.put(
            "/api/v1/organisation/profile",
            json!({"seller": {"name": "Looks", "country_code": "US"},
                   "documents": {"paper_size": "a4", "document_locale": "fr"}}),
        );
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["documents"]["paper_size"], "a4");
        assert_eq!(body["documents"]["document_locale"], "fr");
        let (_, again) = api.get("/api/v1/organisation/profile");
        assert_eq!(
            api.put("/api/v1/organisation/profile", again.clone()),
            (200, again)
        );
        let (_, _, pdf) = api.exchange_bytes("GET", &pdf_path, None, "");
        assert!(contains(&pdf, "/MediaBox [0 0 595.28 841.89]"));

        // Refused whole, nothing written.
        let refused = problem(
            422,
            api.put(
                "/api/v1/organisation/profile",
                json!({"seller": {"name": "Renamed", "country_code": "US"},
                       "documents": {"paper_size": "legal", "document_locale": "en"}}),
            ),
        );
        assert_eq!(refused["field"], "documents.paper_size");
        assert!(
            refused["detail"]
                .as_str()
                .unwrap()
                .contains("a4 or us_letter"),
            "{refused}"
        );
        let (_, now) = api.get("/api/v1/organisation/profile");
        assert_eq!(
            (
                now["seller"]["name"].as_str(),
                now["documents"]["paper_size"].as_str()
            ),
            (Some("Looks"), Some("a4"))
        );

        // The logo: not an image, too large, not the owner — refused.
        let (status, _, body) = api.exchange_bytes(
            "PUT",
            "/api/v1/organisation/logo",
            Some(b"GIF89a not a logo"),
            "image/gif",
        );
        assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
        assert!(String::from_utf8_lossy(&body).contains("not a PNG or JPEG image"));
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(600 * 1024, 0);
        let (status, _, body) =
            api.exchange_bytes("PUT", "/api/v1/organisation/logo", Some(&big), "image/png");
        assert_eq!(status, 422);
        assert!(
            String::from_utf8_lossy(&body).contains("512 KiB"),
            "{}",
            String::from_utf8_lossy(&body)
        );
        let logo = png_logo(300, 100);
        for role in ["viewer", "collector"] {
            let other =
                server.token_for("owner@looks.example", "correct horse battery", None, role);
            let (status, _, _) =
                other.exchange_bytes("PUT", "/api/v1/organisation/logo", Some(&logo), "image/png");
            assert_eq!(status, 403, "{role}");
            let (status, _, _) =
                other.exchange_bytes("DELETE", "/api/v1/organisation/logo", None, "");
            assert_eq!(status, 403, "{role}");
        }
        problem(404, api.get("/api/v1/organisation/logo"));

        // Set: described, served back as it was, drawn with its mask.
        let (status, _, body) =
            api.exchange_bytes("PUT", "/api/v1/organisation/logo", Some(&logo), "image/png");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let described: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            described,
            json!({"media_type": "image/png", "width_px": 300, "height_px": 100, "bytes": logo.len()})
        );
        assert_eq!(
            api.get("/api/v1/organisation/profile").1["documents"]["logo"],
            described
        );
        let (status, media, bytes) =
            api.exchange_bytes("GET", "/api/v1/organisation/logo", None, "");
        assert_eq!((status, media.as_str()), (200, "image/png"));
        assert_eq!(bytes, logo);
        let (_, _, pdf) = api.exchange_bytes("GET", &pdf_path, None, "");
        assert!(
            contains(&pdf, "/Subtype /Image") && contains(&pdf, "/SMask"),
            "the logo and its mask"
        );

        let (status, _, _) = api.exchange_bytes("DELETE", "/api/v1/organisation/logo", None, "");
        assert_eq!(status, 204);
        problem(404, api.get("/api/v1/organisation/logo"));
        let (_, _, pdf) = api.exchange_bytes("GET", &pdf_path, None, "");
        assert!(!contains(&pdf, "/Subtype /Image"));
    }
);
