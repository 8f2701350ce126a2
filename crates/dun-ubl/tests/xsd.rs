//! Generated e-invoices and credit notes validate against the UBL 2.1
//! schemas (xmllint), and state the figures Dun's totals say.

// Amounts are written as money reads: `120_00` is 120.00.
#![allow(clippy::inconsistent_digit_grouping)]

mod common;

use common::*;
use dun_core::invoice::totals;
use dun_ubl::{check_en16931, UblDocument, ZeroRateCategory};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

#[test]
fn an_invoice_with_several_rates_and_zero_rated_lines_validates() {
    let lines = vec![
        line("Consulting, senior", "1.5", 120_00, "20"),
        line("Books", "3", 9_99, "0"),
        line("Children's clothes", "2", 15_50, "0"),
        line("Energy", "1", 100_01, "5"),
        line("Travel\nLondon – Berlin, 2 nights", "1", 345_67, "8.875"),
    ];
    let doc = UblDocument::invoice(
        header("INV-000042", "EUR"),
        &lines,
        &ZeroRateCategory::default(),
    );
    assert_eq!(check_en16931(&doc), []);
    let xml = doc.to_xml();
    assert_schema_valid_if_present(&[("several_rates".into(), xml.clone())]);

    let t = totals(&lines);
    assert_eq!(doc.totals.payable_minor, t.total_minor);
    assert_eq!(doc.totals.tax_total_minor, t.tax_minor);
    assert_eq!(
        element(&xml, "<cac:LegalMonetaryTotal>", "cbc:PayableAmount"),
        dun_core::money::format_minor(t.total_minor, currency("EUR"))
    );
    assert!(xml.contains("<cbc:PayableAmount currencyID=\"EUR\">"));
    assert!(xml.contains("<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>"));
    assert!(xml.contains("<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>"));
    assert!(xml.contains("<cbc:DueDate>2026-12-02</cbc:DueDate>"));
    // Four rows of breakdown: S 20, S 8.875, S 5, Z 0 (both 0 % lines).
    assert_eq!(xml.matches("<cac:TaxSubtotal>").count(), 4);
    assert_eq!(doc.tax_subtotals[3].category.code, "Z");
    assert_eq!(doc.tax_subtotals[3].taxable_minor, 3 * 9_99 + 2 * 15_50);
    assert_eq!(
        element(&xml, "<cbc:ID>Z</cbc:ID>", "cbc:Percent"),
        "0",
        "the zero-rated category states its 0 %"
    );
    // The seller's bank and remittance.
    assert!(
        xml.contains("<cbc:PaymentMeansCode name=\"Credit transfer\">58</cbc:PaymentMeansCode>")
    );
    assert_eq!(
        element(&xml, "<cac:PayeeFinancialAccount>", "cbc:ID"),
        "GB82WEST12345698765432"
    );
    assert_eq!(
        element(&xml, "<cac:FinancialInstitutionBranch>", "cbc:ID"),
        "WESTGB2L"
    );
    // BT-83: the invoice's creditor reference, compact.
    assert_eq!(
        element(&xml, "<cac:PaymentMeans>", "cbc:PaymentID"),
        dun_core::reference::CreditorReference::for_invoice(42).as_str()
    );

    // Escaped text, and the multi-line description kept whole.
    assert!(xml.contains("Acme Supplies &amp; Co. &lt;Ltd&gt;"));
    assert!(xml.contains("November&apos;s &quot;work&quot; &amp; materials"));
    assert!(xml.contains("<cbc:Name>Travel</cbc:Name>"));
    assert!(xml.contains("<cbc:Description>Travel\nLondon – Berlin, 2 nights</cbc:Description>"));
    // Parties.
    assert_eq!(
        element(
            &xml,
            "<cac:AccountingSupplierParty>",
            "cbc:IdentificationCode"
        ),
        "GB"
    );
    assert_eq!(
        element(
            &xml,
            "<cac:AccountingCustomerParty>",
            "cbc:IdentificationCode"
        ),
        "DE"
    );
    assert_eq!(
        element(&xml, "<cac:AccountingCustomerParty>", "cbc:CompanyID"),
        "DE123456789"
    );
    assert_eq!(
        element(&xml, "<cac:AccountingSupplierParty>", "cbc:StreetName"),
        "1 High Street"
    );
}

#[test]
fn currencies_with_0_2_and_3_decimals_state_amounts_with_their_exponent() {
    let mut documents = Vec::new();
    for (code, price, payable) in [
        ("JPY", 12_345, "14814"),
        ("USD", 12_345, "148.14"),
        ("BHD", 12_345, "14.814"),
    ] {
        let lines = vec![line("Widget", "1", price, "20")];
        let doc = UblDocument::invoice(
            header(&format!("INV-{code}"), code),
            &lines,
            &ZeroRateCategory::default(),
        );
        assert_eq!(check_en16931(&doc), []);
        let xml = doc.to_xml();
        assert_eq!(
            element(&xml, "<cac:LegalMonetaryTotal>", "cbc:PayableAmount"),
            payable,
            "{code}"
        );
        assert!(xml.contains(&format!(
            "<cbc:DocumentCurrencyCode>{code}</cbc:DocumentCurrencyCode>"
        )));
        documents.push((code.to_string(), xml));
    }
    assert_schema_valid_if_present(&documents);
}

#[test]
fn credit_notes_validate_in_full_and_in_part() {
    let lines = vec![
        line("Consulting", "2", 100_00, "20"),
        line("Books", "1", 50_00, "0"),
        line("Energy", "1", 10_00, "5"),
    ];
    let invoice_total = totals(&lines).total_minor; // 240 + 50 + 10.50
    let zero = ZeroRateCategory::default();

    let full = UblDocument::credit_note(
        credit_header("CN-000001", "GBP", "INV-000042"),
        &lines,
        invoice_total,
        "Returned",
        &zero,
    );
    assert_eq!(check_en16931(&full), []);
    assert_eq!(full.totals.payable_minor, invoice_total);
    assert_eq!(full.lines.len(), 3, "a full credit repeats the lines");

    let part = UblDocument::credit_note(
        credit_header("CN-000002", "GBP", "INV-000042"),
        &lines,
        100_00,
        "Goodwill",
        &zero,
    );
    assert_eq!(check_en16931(&part), []);
    assert_eq!(part.totals.payable_minor, 100_00);
    assert_eq!(part.lines.len(), 3, "one line per rate");
    // Shares in proportion to each rate's total with tax: 240/300.50 of 100.
    assert_eq!(
        part.lines[0].net_minor + part.tax_subtotals[0].tax_minor,
        79_87
    );

    let xml = part.to_xml();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreditNote "));
    assert!(xml.contains("<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>"));
    assert!(xml.contains("<cac:CreditNoteLine>"));
    assert!(xml.contains("<cbc:CreditedQuantity unitCode=\"C62\">1</cbc:CreditedQuantity>"));
    assert_eq!(
        element(&xml, "<cac:InvoiceDocumentReference>", "cbc:ID"),
        "INV-000042"
    );
    assert!(
        !xml.contains("PayeeFinancialAccount"),
        "a credit note names no account to pay into"
    );
    assert!(
        !xml.contains("<cbc:DueDate>"),
        "UBL 2.1 credit notes have no due date"
    );
    assert_schema_valid_if_present(&[("full".into(), full.to_xml()), ("part".into(), xml)]);
}

#[test]
fn exempt_reverse_charge_and_not_subject_categories_validate() {
    let mut documents = Vec::new();
    for code in ["E", "AE", "K", "G", "O"] {
        let zero = ZeroRateCategory {
            code: code.into(),
            exemption_reason: Some(format!("Exemption for {code}")),
        };
        let mut lines = vec![line("Service", "1", 500_00, "0")];
        let mut h = header(&format!("INV-{code}"), "EUR");
        if code == "O" {
            // Not subject to VAT: no VAT identifier on either side
            // (BR-O-02), and nothing else taxed beside it (BR-O-11).
            let with_vat = UblDocument::invoice(h.clone(), &lines, &zero);
            assert_eq!(
                check_en16931(&with_vat)
                    .iter()
                    .map(|v| v.rule.as_str())
                    .collect::<Vec<_>>(),
                ["BR-O-02"]
            );
            h.seller.vat_id = None;
            h.buyer.vat_id = None;
        } else {
            lines.push(line("Goods", "2", 10_00, "20"));
        }
        let doc = UblDocument::invoice(h, &lines, &zero);
        assert_eq!(check_en16931(&doc), [], "{code}");
        let xml = doc.to_xml();
        assert!(xml.contains(&format!(
            "<cbc:TaxExemptionReason>Exemption for {code}</cbc:TaxExemptionReason>"
        )));
        if code == "O" {
            assert!(
                !element(&xml, "<cbc:ID>O</cbc:ID>", "cac:TaxScheme").is_empty()
                    && !xml.contains("<cbc:ID>O</cbc:ID>\n              <cbc:Percent>"),
                "category O states no rate"
            );
        }
        documents.push((code.to_string(), xml));
    }
    assert_schema_valid_if_present(&documents);
}

#[test]
fn a_minimal_seller_without_bank_or_address_lines_validates() {
    let mut h = header("INV-1", "USD");
    h.seller = dun_core::party::Party {
        country_code: Some("US".into()),
        ..dun_core::party::Party::named("Bare Co")
    };
    h.payment = Default::default();
    h.payment_id = None;
    h.payment_terms = None;
    h.note = None;
    h.buyer_reference = None;
    h.due_date = None;
    let doc = UblDocument::invoice(
        h.clone(),
        &[line("Thing", "1", 0, "0")],
        &ZeroRateCategory::default(),
    );
    // A seller nobody can identify, with a zero-rated line: refused.
    let rules: Vec<String> = check_en16931(&doc).into_iter().map(|v| v.rule).collect();
    assert_eq!(rules, ["BR-CO-26", "BR-Z-02"]);
    // A registration number and a tax registration other than VAT will do.
    h.seller.company_id = Some("C1234567".into());
    h.seller.tax_id = Some("ST-998877".into());
    let doc = UblDocument::invoice(
        h.clone(),
        &[line("Thing", "1", 0, "0")],
        &ZeroRateCategory::default(),
    );
    assert_eq!(check_en16931(&doc), []);
    assert!(doc.to_xml().contains(
        "<cbc:CompanyID>ST-998877</cbc:CompanyID>\n        <cac:TaxScheme>\n          <cbc:ID>TAX</cbc:ID>"
    ));
    let xml = doc.to_xml();
    assert!(!xml.contains("PaymentMeans"));
    assert!(!xml.contains("PaymentTerms"));
    // No bank details, but a payment reference: stated, with a means the
    // rules accept without an account (not a credit transfer: BR-61).
    h.payment_id = Some(PAYMENT_ID.into());
    let referenced = UblDocument::invoice(
        h,
        &[line("Thing", "1", 0, "0")],
        &ZeroRateCategory::default(),
    )
    .to_xml();
    assert_eq!(
        element(&referenced, "<cac:PaymentMeans>", "cbc:PaymentMeansCode"),
        "1"
    );
    assert_eq!(
        element(&referenced, "<cac:PaymentMeans>", "cbc:PaymentID"),
        PAYMENT_ID
    );
    assert!(!referenced.contains("PayeeFinancialAccount"));
    assert_schema_valid_if_present(&[("bare".into(), xml), ("referenced".into(), referenced)]);
}

fn arbitrary_line() -> impl Strategy<Value = dun_core::invoice::InvoiceLine> {
    (
        "[A-Za-z&<>\"' ]{1,30}",
        1i64..=5_000_000,
        0i64..=10_000_000,
        prop::sample::select(vec![
            0i64, 50_000, 70_000, 88_750, 190_000, 200_000, 255_000,
        ]),
    )
        .prop_map(|(description, quantity_e4, price, rate)| {
            dun_core::invoice::InvoiceLine::new(&description, quantity_e4, price, rate).unwrap()
        })
}

#[test]
fn random_invoices_and_credit_notes_validate_against_the_schemas() {
    let mut runner = TestRunner::new(Config {
        cases: 40,
        ..Config::default()
    });
    let strategy = (
        prop::collection::vec(arbitrary_line(), 1..12),
        prop::sample::select(vec!["JPY", "EUR", "BHD"]),
        0u32..=1000,
    );
    let mut documents = Vec::new();
    for i in 0..40 {
        let (lines, code, per_mille) = strategy.new_tree(&mut runner).unwrap().current();
        let doc = UblDocument::invoice(
            header(&format!("INV-{i}"), code),
            &lines,
            &ZeroRateCategory::default(),
        );
        assert_eq!(tolerated(check_en16931(&doc), code), []);
        documents.push((format!("invoice-{i}"), doc.to_xml()));
        let amount = totals(&lines).total_minor * i64::from(per_mille) / 1000;
        let cn = UblDocument::credit_note(
            credit_header(&format!("CN-{i}"), code, &format!("INV-{i}")),
            &lines,
            amount,
            "Partial credit",
            &ZeroRateCategory::default(),
        );
        assert_eq!(tolerated(check_en16931(&cn), code), []);
        documents.push((format!("credit-{i}"), cn.to_xml()));
    }
    assert_schema_valid_if_present(&documents);
}

fn assert_schema_valid_if_present(documents: &[(String, String)]) {
    if tools_present() {
        assert_schema_valid(documents);
    }
}

#[test]
fn the_schema_check_refuses_a_document_out_of_order() {
    if !tools_present() {
        return;
    }
    let doc = UblDocument::invoice(
        header("INV-9", "EUR"),
        &[line("Thing", "1", 1_00, "20")],
        &ZeroRateCategory::default(),
    );
    // The due date after the type code: the schema's order is broken.
    let xml = doc.to_xml().replace(
        "  <cbc:DueDate>2026-12-02</cbc:DueDate>\n  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>\n",
        "  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>\n  <cbc:DueDate>2026-12-02</cbc:DueDate>\n",
    );
    assert!(xml.contains("</cbc:InvoiceTypeCode>\n  <cbc:DueDate>"));
    let refused = std::panic::catch_unwind(|| assert_schema_valid(&[("swapped".into(), xml)]));
    assert!(refused.is_err(), "xmllint accepted a misordered invoice");
}

/// The violations but BR-CO-17 in yen, where VAT rounded per line may drift
/// a whole unit from taxable × rate (rules.rs shows it caught).
fn tolerated(violations: Vec<dun_ubl::RuleViolation>, code: &str) -> Vec<dun_ubl::RuleViolation> {
    violations
        .into_iter()
        .filter(|v| !(code == "JPY" && v.rule == "BR-CO-17"))
        .collect()
}
