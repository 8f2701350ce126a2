//! Shared parts of the e-invoice tests: sample parties and documents, and
//! the XSD check through xmllint.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use dun_core::invoice::InvoiceLine;
use dun_core::party::{Party, PaymentInstructions};
use dun_core::{Currency, Date};
use dun_ubl::{BillingReference, Header};

/// When `1`, a missing tool or schema fails the test instead of skipping it.
pub const REQUIRE_TOOLS_VAR: &str = "DUN_TEST_REQUIRE_TOOLS";

pub fn seller() -> Party {
    Party {
        name: "Acme Supplies & Co. <Ltd>".into(),
        address_lines: vec!["1 High Street".into(), "Unit 4".into(), "Dock 7".into()],
        city: Some("London".into()),
        postcode: Some("EC1A 1BB".into()),
        region: Some("Greater London".into()),
        country_code: Some("GB".into()),
        vat_id: Some("GB123456789".into()),
        company_id: Some("01234567".into()),
        tax_id: None,
        email: Some("accounts@acme.example".into()),
        phone: Some("+44 20 7946 0000".into()),
        endpoint: None,
    }
}

pub fn buyer() -> Party {
    Party {
        name: "Zeta Trading GmbH".into(),
        address_lines: vec!["Hauptstraße 5".into()],
        city: Some("Berlin".into()),
        postcode: Some("10115".into()),
        region: None,
        country_code: Some("DE".into()),
        vat_id: Some("DE123456789".into()),
        company_id: None,
        tax_id: None,
        email: Some("ap@zeta.example".into()),
        phone: None,
        endpoint: None,
    }
}

pub fn bank() -> PaymentInstructions {
    PaymentInstructions {
        iban: Some("GB82WEST12345698765432".into()),
        bic: Some("WESTGB2L".into()),
        account_name: Some("Acme Supplies".into()),
        note: Some("Quote the invoice number".into()),
    }
}

/// The sample invoice's creditor reference (`CreditorReference::for_invoice(42)`).
pub const PAYMENT_ID: &str = "RF811000042";

pub fn d(text: &str) -> Date {
    Date::parse(text).unwrap()
}

pub fn currency(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

pub fn header(number: &str, code: &str) -> Header {
    Header {
        number: number.into(),
        issue_date: d("2026-11-02"),
        due_date: Some(d("2026-12-02")),
        currency: currency(code),
        note: Some("November's \"work\" & materials".into()),
        buyer_reference: Some("ZETA".into()),
        seller: seller(),
        buyer: buyer(),
        payment: bank(),
        payment_id: Some(PAYMENT_ID.into()),
        payment_terms: Some("Net 30 days; late payment interest 8 % a year".into()),
        billing_reference: None,
    }
}

pub fn credit_header(number: &str, code: &str, invoice: &str) -> Header {
    Header {
        due_date: None,
        billing_reference: Some(BillingReference {
            number: invoice.into(),
            issue_date: d("2026-11-02"),
        }),
        ..header(number, code)
    }
}

/// `line("Consulting", "1.5", 120_00, "20")`: quantity and rate as people write them.
pub fn line(description: &str, quantity: &str, unit_price_minor: i64, rate: &str) -> InvoiceLine {
    InvoiceLine::new(
        description,
        dun_core::invoice::parse_quantity_e4(quantity).unwrap(),
        unit_price_minor,
        dun_core::invoice::parse_tax_rate_ppm(rate).unwrap(),
    )
    .unwrap()
}

/// `priced_line("Bolts", "3", "13.333", "20", "EUR")`: a unit price as
/// written, with decimals beyond the currency's.
pub fn priced_line(
    description: &str,
    quantity: &str,
    price: &str,
    rate: &str,
    code: &str,
) -> InvoiceLine {
    InvoiceLine::priced(
        description,
        dun_core::invoice::parse_quantity_e4(quantity).unwrap(),
        dun_core::money::UnitPrice::parse(price, currency(code)).unwrap(),
        dun_core::invoice::parse_tax_rate_ppm(rate).unwrap(),
    )
    .unwrap()
}

/// The folder of the UBL 2.1 schemas: `../shared/data/ubl-2.1-xsdrt`
/// beside the repository.
pub fn schemas() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ubl-2.1-xsdrt")
}

/// Whether xmllint and the schemas are here; says loudly when not, and
/// fails instead when tools are required.
pub fn tools_present() -> bool {
    let xmllint = Command::new("xmllint").arg("--version").output().is_ok();
    let schemas_here = schemas().join("maindoc/UBL-Invoice-2.1.xsd").is_file();
    if xmllint && schemas_here {
        return true;
    }
    let missing = if xmllint {
        format!("the UBL 2.1 schemas at {}", schemas().display())
    } else {
        "xmllint (Debian: libxml2-utils)".to_string()
    };
    if std::env::var(REQUIRE_TOOLS_VAR).as_deref() == Ok("1") {
        panic!("{missing} is missing and {REQUIRE_TOOLS_VAR}=1");
    }
    // To stderr itself: libtest keeps a passing test's eprintln! from
    // the person running `cargo test`, and a skip must be seen.
    {
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "SKIPPED: XSD validation needs {missing}");
    }
    false
}

/// Validates each document against the UBL 2.1 schema of its root
/// (`Invoice` or `CreditNote`), all of one kind in one xmllint run.
/// Panics with xmllint's words on the first failure.
pub fn assert_schema_valid(documents: &[(String, String)]) {
    let dir = tempfile::tempdir().unwrap();
    for kind in ["Invoice", "CreditNote"] {
        let mut files = Vec::new();
        for (name, xml) in documents {
            let root = if xml.contains("<CreditNote ") {
                "CreditNote"
            } else {
                "Invoice"
            };
            if root != kind {
                continue;
            }
            let path = dir.path().join(format!("{name}.xml"));
            std::fs::write(&path, xml).unwrap();
            files.push(path);
        }
        if files.is_empty() {
            continue;
        }
        let xsd = schemas().join(format!("maindoc/UBL-{kind}-2.1.xsd"));
        let output = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(&xsd)
            .args(&files)
            .output()
            .expect("run xmllint");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "xmllint refused a {kind}:\n{stderr}\nfirst document:\n{}",
            documents[0].1
        );
        for file in &files {
            let name = file.display().to_string();
            assert!(
                stderr.contains(&format!("{name} validates")),
                "xmllint did not say {name} validates:\n{stderr}"
            );
        }
    }
}

/// The text of the first `<name ...>text</name>` after `after` in `xml`.
pub fn element<'a>(xml: &'a str, after: &str, name: &str) -> &'a str {
    let from = xml
        .find(after)
        .unwrap_or_else(|| panic!("{after} not in\n{xml}"));
    let rest = &xml[from..];
    let open = rest
        .find(&format!("<{name}"))
        .unwrap_or_else(|| panic!("<{name}> not after {after}"));
    let rest = &rest[open..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest.find(&format!("</{name}>")).unwrap();
    &rest[start..end]
}
