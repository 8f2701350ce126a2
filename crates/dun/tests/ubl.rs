//! E-invoices through the real binary: the organisation's and customers'
//! addresses, `dun invoice xml` for invoices and credit notes, validated
//! against the UBL 2.1 schemas, on SQLite and PostgreSQL.

mod common;
#[path = "../../dun-ubl/tests/en16931/mod.rs"]
mod en16931;

use std::path::PathBuf;
use std::process::Command;

use common::{backends, fails, ok, Db};

fn schemas() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ubl-2.1-xsdrt")
}

/// Validates `file` against the UBL 2.1 schema for `kind`, or skips loudly
/// (failing instead when DUN_TEST_REQUIRE_TOOLS=1).
fn assert_valid(kind: &str, file: &std::path::Path) {
    let xsd = schemas().join(format!("maindoc/UBL-{kind}-2.1.xsd"));
    let xmllint = Command::new("xmllint").arg("--version").output().is_ok();
    if !xmllint || !xsd.is_file() {
        let message = format!(
            "SKIPPED: XSD validation of {} needs xmllint and {}",
            file.display(),
            xsd.display()
        );
        if std::env::var("DUN_TEST_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("{message}, and DUN_TEST_REQUIRE_TOOLS=1");
        }
        // To stderr itself: libtest keeps a passing test's eprintln! from
        // the person running `cargo test`, and a skip must be seen.
        {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "{message}");
        }
        return;
    }
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "xmllint refused {}:\n{}\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(file).unwrap()
    );
}

fn book(db: &Db) {
    ok(
        db,
        &[
            "init",
            "--org",
            "Acme",
            "--currency",
            "EUR",
            "--timezone",
            "Europe/Paris",
        ],
    );
    ok(
        db,
        &[
            "customer",
            "add",
            "--ref",
            "ZETA",
            "--name",
            "Zeta GmbH",
            "--email",
            "ap@zeta.example",
        ],
    );
    ok(
        db,
        &[
            "invoice",
            "create",
            "--customer",
            "ZETA",
            "--issue-date",
            "2026-11-02",
            "--terms",
            "net30",
            "--line",
            "Consulting:1.5:120.00",
            "--line",
            "Travel:1:99.99",
            "--tax-rate",
            "20",
            "--description",
            "November & co",
            "--issue",
        ],
    );
    ok(
        db,
        &[
            "invoice",
            "create",
            "--customer",
            "ZETA",
            "--issue-date",
            "2026-11-03",
            "--line",
            "Books:3:9.99",
            "--issue",
        ],
    );
}

#[test]
fn the_seller_and_buyer_are_set_and_invoices_and_credit_notes_are_written_as_ubl() {
    for db in backends("ubl_cli") {
        let label = db.label;
        book(&db);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("inv1.xml");
        let out_s = out.to_str().unwrap();

        // Without the seller's country, the e-invoice is refused and nothing is written.
        let err = fails(&db, &["invoice", "xml", "INV-000001", "--out", out_s]);
        assert!(err.contains("BR-09"), "[{label}] {err}");
        assert!(err.contains("BR-11"), "[{label}] {err}");
        assert!(err.contains("dun org set --country"), "[{label}] {err}");
        assert!(!out.exists(), "[{label}] a refused e-invoice was written");
        // A seller nobody can identify, billing taxed lines: refused too,
        // with the settings that would do; `org show` lists them.
        assert!(err.contains("BR-CO-26"), "[{label}] {err}");
        assert!(
            err.contains("BR-S-02") && err.contains("--tax-id"),
            "[{label}] {err}"
        );
        let v: serde_json::Value =
            serde_json::from_str(&ok(&db, &["org", "show", "--format", "json"])).unwrap();
        assert_eq!(
            v["missing_for_einvoice"],
            serde_json::json!(["country_code", "vat_id or company_id", "vat_id or tax_id"]),
            "[{label}]"
        );

        // Bad values are refused with the field, value and the accepted form.
        let err = fails(
            &db,
            &[
                "org",
                "set",
                "--country",
                "gb",
                "--iban",
                "GB82 WEST 1234 5698 7654 33",
            ],
        );
        assert!(
            err.contains("country_code 'gb'") && err.contains("two upper-case letters"),
            "[{label}] {err}"
        );
        assert!(err.contains("check digits"), "[{label}] {err}");

        let shown = ok(
            &db,
            &[
                "org",
                "set",
                "--legal-name",
                "Acme SAS",
                "--address",
                "1 rue de la Paix",
                "--city",
                "Paris",
                "--postcode",
                "75002",
                "--country",
                "FR",
                "--vat-id",
                "FR 40 303 265 045",
                "--company-id",
                "303265045",
                "--iban",
                "FR14 2004 1010 0505 0001 3M02 606",
                "--bic",
                "PSSTFRPPPAR",
                "--payment-note",
                "Quote the invoice number",
            ],
        );
        assert!(shown.contains("FR40303265045"), "[{label}] {shown}");
        assert!(
            shown.contains("FR1420041010050500013M02606"),
            "[{label}] {shown}"
        );
        let json = ok(&db, &["org", "show", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["seller"]["name"], "Acme SAS", "[{label}]");
        assert_eq!(v["seller"]["country_code"], "FR", "[{label}]");
        assert_eq!(v["zero_rate"]["category"], "Z", "[{label}]");
        assert_eq!(
            v["missing_for_einvoice"],
            serde_json::json!([]),
            "[{label}]"
        );
        // A later set keeps what it does not name.
        ok(&db, &["org", "set", "--phone", "+33 1 23 45 67 89"]);
        let v: serde_json::Value =
            serde_json::from_str(&ok(&db, &["org", "show", "--format", "json"])).unwrap();
        assert_eq!(v["seller"]["city"], "Paris", "[{label}]");
        assert_eq!(v["payment"]["bic"], "PSSTFRPPPAR", "[{label}]");

        let said = ok(
            &db,
            &[
                "customer",
                "set-address",
                "ZETA",
                "--address",
                "Hauptstraße 5",
                "--city",
                "Berlin",
                "--postcode",
                "10115",
                "--country",
                "DE",
                "--vat-id",
                "DE123456789",
            ],
        );
        assert!(
            said.contains("Hauptstraße 5, 10115 Berlin, DE"),
            "[{label}] {said}"
        );
        let err = fails(
            &db,
            &["customer", "set-address", "NOBODY", "--country", "DE"],
        );
        assert!(err.contains("NOBODY"), "[{label}] {err}");

        // The invoice, to a file and to standard output alike.
        ok(&db, &["invoice", "xml", "INV-000001", "--out", out_s]);
        let xml = std::fs::read_to_string(&out).unwrap();
        assert_eq!(xml, ok(&db, &["invoice", "xml", "INV-000001"]), "[{label}]");
        assert_valid("Invoice", &out);
        for expected in [
            "<cbc:ID>INV-000001</cbc:ID>",
            "<cbc:IssueDate>2026-11-02</cbc:IssueDate>",
            "<cbc:DueDate>2026-12-02</cbc:DueDate>",
            "<cbc:Note>November &amp; co</cbc:Note>",
            "<cbc:BuyerReference>ZETA</cbc:BuyerReference>",
            "<cbc:Name>Acme SAS</cbc:Name>",
            "<cbc:CompanyID>FR40303265045</cbc:CompanyID>",
            "<cbc:StreetName>Hauptstraße 5</cbc:StreetName>",
            "<cbc:ID>FR1420041010050500013M02606</cbc:ID>",
            "<cbc:Note>Net 30 days; late payment interest",
            // 180.00 + 99.99 = 279.99 net; VAT 36.00 + 20.00 = 56.00.
            "<cbc:LineExtensionAmount currencyID=\"EUR\">279.99</cbc:LineExtensionAmount>",
            "<cbc:TaxAmount currencyID=\"EUR\">56.00</cbc:TaxAmount>",
            "<cbc:PayableAmount currencyID=\"EUR\">335.99</cbc:PayableAmount>",
        ] {
            assert!(
                xml.contains(expected),
                "[{label}] missing {expected} in\n{xml}"
            );
        }

        // Peppol BIS 3: both electronic addresses, a bad scheme refused
        // naming the field; the document names both, in UBL's order (the
        // XSD holds it), under BIS Billing 3.0.
        let err = fails(&db, &["org", "set", "--endpoint", "0089:5790000435975"]);
        assert!(
            err.contains("endpoint '0089:5790000435975'") && err.contains("SCHEME:ID"),
            "[{label}] {err}"
        );
        ok(&db, &["org", "set", "--endpoint", "0088:5790000435975"]);
        ok(
            &db,
            &[
                "customer",
                "set-address",
                "ZETA",
                "--endpoint",
                "9930:DE123456789",
            ],
        );
        let peppol = dir.path().join("peppol.xml");
        ok(
            &db,
            &[
                "invoice",
                "xml",
                "INV-000001",
                "--out",
                peppol.to_str().unwrap(),
            ],
        );
        assert_valid("Invoice", &peppol);
        let peppol_xml = std::fs::read_to_string(&peppol).unwrap();
        for expected in [
            "<cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>",
            r#"<cbc:EndpointID schemeID="0088">5790000435975</cbc:EndpointID>"#,
            r#"<cbc:EndpointID schemeID="9930">DE123456789</cbc:EndpointID>"#,
        ] {
            assert!(
                peppol_xml.contains(expected),
                "[{label}] missing {expected} in\n{peppol_xml}"
            );
        }
        // Cleared again, the rest of this test's documents are EN 16931 core.
        ok(&db, &["org", "set", "--endpoint", ""]);

        // A zero-rated invoice under reverse charge.
        let err = fails(&db, &["org", "set", "--zero-rate-category", "AE"]);
        assert!(
            err.contains("needs a tax exemption reason"),
            "[{label}] {err}"
        );
        ok(
            &db,
            &[
                "org",
                "set",
                "--zero-rate-category",
                "AE",
                "--exemption-reason",
                "Reverse charge",
            ],
        );
        let out2 = dir.path().join("inv2.xml");
        ok(
            &db,
            &[
                "invoice",
                "xml",
                "INV-000002",
                "--out",
                out2.to_str().unwrap(),
            ],
        );
        // An issued invoice's e-invoice never changes: INV-000002 was
        // issued zero-rated (Z) and stays so.
        let xml2 = std::fs::read_to_string(&out2).unwrap();
        assert!(xml2.contains("<cbc:ID>Z</cbc:ID>"), "[{label}] {xml2}");
        assert!(!xml2.contains("<cbc:ID>AE</cbc:ID>"), "[{label}] {xml2}");
        assert_valid("Invoice", &out2);

        // A partial credit note, by its own number.
        let credited = ok(
            &db,
            &[
                "credit-note",
                "INV-000001",
                "--amount",
                "100.00",
                "--date",
                "2026-11-10",
                "--reason",
                "Goodwill",
            ],
        );
        assert!(credited.contains("CN-000001"), "[{label}] {credited}");
        let cn = dir.path().join("cn1.xml");
        ok(
            &db,
            &["invoice", "xml", "CN-000001", "--out", cn.to_str().unwrap()],
        );
        let cn_xml = std::fs::read_to_string(&cn).unwrap();
        assert!(cn_xml.contains("<CreditNote "), "[{label}]");
        assert!(cn_xml.contains("<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>"));
        assert!(
            cn_xml.contains("<cbc:ID>INV-000001</cbc:ID>"),
            "[{label}] the credited invoice"
        );
        assert!(cn_xml.contains("<cbc:PayableAmount currencyID=\"EUR\">100.00</cbc:PayableAmount>"));
        assert_valid("CreditNote", &cn);

        // Drafts and unknown numbers are refused plainly.
        ok(
            &db,
            &[
                "invoice",
                "create",
                "--customer",
                "ZETA",
                "--line",
                "Draft:1:1.00",
            ],
        );
        let err = fails(&db, &["invoice", "xml", "#3"]);
        assert!(
            err.contains("is a draft; issue it first"),
            "[{label}] {err}"
        );
        let err = fails(&db, &["invoice", "xml", "INV-999999"]);
        assert!(
            err.contains("no invoice or credit note numbered 'INV-999999'"),
            "[{label}] {err}"
        );

        // An invoice issued under reverse charge says so.
        ok(
            &db,
            &[
                "invoice",
                "create",
                "--customer",
                "ZETA",
                "--issue-date",
                "2026-11-12",
                "--line",
                "Books:2:9.99",
                "--issue",
            ],
        );
        let out3 = dir.path().join("inv3.xml");
        ok(
            &db,
            &[
                "invoice",
                "xml",
                "INV-000003",
                "--out",
                out3.to_str().unwrap(),
            ],
        );
        let xml3 = std::fs::read_to_string(&out3).unwrap();
        assert!(xml3.contains("<cbc:ID>AE</cbc:ID>"), "[{label}] {xml3}");
        assert!(xml3.contains("<cbc:TaxExemptionReason>Reverse charge</cbc:TaxExemptionReason>"));
        assert_valid("Invoice", &out3);
    }
}

#[test]
fn the_demo_book_s_invoices_are_valid_e_invoices() {
    for db in backends("ubl_demo") {
        let label = db.label;
        ok(
            &db,
            &["demo", "--invoices", "60", "--end-date", "2026-11-01"],
        );
        let json = ok(&db, &["org", "show", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["seller"]["country_code"], "US", "[{label}]");
        assert_eq!(
            v["missing_for_einvoice"],
            serde_json::json!([]),
            "[{label}]"
        );
        let dir = tempfile::tempdir().unwrap();
        let mut documents = Vec::new();
        for number in ["INV-000001", "INV-000060"] {
            let out = dir.path().join(format!("{number}.xml"));
            ok(
                &db,
                &["invoice", "xml", number, "--out", out.to_str().unwrap()],
            );
            let xml = std::fs::read_to_string(&out).unwrap();
            assert!(
                xml.contains("<cbc:CityName>New York</cbc:CityName>"),
                "[{label}] {xml}"
            );
            assert_eq!(
                xml.matches("<cbc:IdentificationCode>US</cbc:IdentificationCode>")
                    .count(),
                2,
                "[{label}]"
            );
            assert_valid("Invoice", &out);
            documents.push((number, xml));
        }
        // And CEN's own rules accept them: the demo seller is complete.
        if en16931::rules_present() {
            let names: Vec<(&str, String)> =
                documents.iter().map(|(n, x)| (*n, x.clone())).collect();
            assert_eq!(
                en16931::fatal_failures(&names),
                Vec::<(String, String)>::new(),
                "[{label}]"
            );
        }
    }
}

/// Issue 15 item 2: a unit price with more decimals than the currency
/// (EN 16931 BT-146), through the CLI on both engines: drafted, edited,
/// shown, exported as CSV and written as an e-invoice CEN's rules accept —
/// the price as given, each line's net rounded half-even to the cent.
#[test]
fn a_unit_price_finer_than_the_cent_is_kept_shown_and_written_as_given() {
    for db in backends("ubl_unit_price") {
        let label = db.label;
        ok(
            &db,
            &["demo", "--invoices", "5", "--end-date", "2026-11-01"],
        );
        ok(
            &db,
            &[
                "customer",
                "add",
                "--ref",
                "FINE",
                "--name",
                "Fine Parts Inc",
                "--email",
                "ap@fine.example",
            ],
        );
        ok(
            &db,
            &[
                "customer",
                "set-address",
                "FINE",
                "--address",
                "5 Main Street",
                "--city",
                "Boston",
                "--postcode",
                "02101",
                "--country",
                "US",
            ],
        );
        // Too many decimals: refused, naming the flag, the value as
        // written and the most a USD price takes.
        let err = fails(
            &db,
            &[
                "invoice",
                "create",
                "--customer",
                "FINE",
                "--line",
                "Bolts:1:13.1234567",
            ],
        );
        assert!(
            err.contains("--line 'Bolts:1:13.1234567': unit price: '13.1234567' has 7 digits after the point; a unit price in USD takes at most 6"),
            "[{label}] {err}"
        );
        let said = ok(
            &db,
            &[
                "invoice",
                "create",
                "--customer",
                "FINE",
                "--issue-date",
                "2026-11-02",
                "--line",
                "Bolts:1:1.00",
            ],
        );
        let id = said
            .split_once("draft #")
            .and_then(|(_, rest)| rest.split_once(' '))
            .map(|(id, _)| id.to_string())
            .unwrap_or_else(|| panic!("[{label}] {said}"));
        let draft = format!("#{id}");
        // 3 × 13.333 = 39.999 → 40.00, tax 8.00; 0.3333 × 13.333 =
        // 4.4438889 → 4.44, tax 0.888 → 0.89: 53.33 in all.
        let said = ok(
            &db,
            &[
                "invoice",
                "edit",
                &draft,
                "--line",
                "Bolts:3:13.333",
                "--line",
                "Part of a day:0.3333:13.333",
                "--tax-rate",
                "20",
            ],
        );
        assert!(said.contains("total 53.33 USD"), "[{label}] {said}");
        let issued = ok(&db, &["invoice", "issue", &draft]);
        let number = issued
            .split_whitespace()
            .find(|w| w.starts_with("INV-"))
            .map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-'))
            .unwrap_or_else(|| panic!("[{label}] {issued}"))
            .to_string();
        let shown = ok(&db, &["invoice", "show", &number]);
        assert!(
            shown.contains("13.333") && shown.contains("40.00") && shown.contains("4.44"),
            "[{label}] {shown}"
        );
        let json = ok(&db, &["invoice", "show", &number, "--format", "json"]);
        // JSON in the domain's integers, as every amount there: the price
        // in ten-thousandths of a cent, exactly.
        assert!(
            json.contains(r#""unit_price_minor_e4": 13333000"#),
            "[{label}] {json}"
        );
        let csv = ok(&db, &["export", "invoices"]);
        assert!(
            csv.contains(",Bolts,,3,13.333,20") && csv.contains(",Part of a day,,0.3333,13.333,20"),
            "[{label}] {csv}"
        );

        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("fine.xml");
        ok(
            &db,
            &["invoice", "xml", &number, "--out", out.to_str().unwrap()],
        );
        let xml = std::fs::read_to_string(&out).unwrap();
        for expected in [
            r#"<cbc:PriceAmount currencyID="USD">13.333</cbc:PriceAmount>"#,
            r#"<cbc:LineExtensionAmount currencyID="USD">40.00</cbc:LineExtensionAmount>"#,
            r#"<cbc:LineExtensionAmount currencyID="USD">4.44</cbc:LineExtensionAmount>"#,
            r#"<cbc:LineExtensionAmount currencyID="USD">44.44</cbc:LineExtensionAmount>"#,
            r#"<cbc:PayableAmount currencyID="USD">53.33</cbc:PayableAmount>"#,
        ] {
            assert!(
                xml.contains(expected),
                "[{label}] missing {expected} in\n{xml}"
            );
        }
        assert_valid("Invoice", &out);
        if en16931::rules_present() {
            assert_eq!(
                en16931::fatal_failures(&[("fine", xml)]),
                Vec::<(String, String)>::new(),
                "[{label}]"
            );
        }
    }
}
