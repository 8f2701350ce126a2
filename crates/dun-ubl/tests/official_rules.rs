//! Generated e-invoices held to CEN's own EN 16931 rules for UBL — the
//! schematron compiled to XSLT 2.0 that receivers check invoices with
//! (`../shared/data/en16931-ubl`, validation-1.3.16) — run by Saxon
//! (`saxonche` from PyPI, through `python3`): no document may fail a
//! fatal assertion. Dun's own `check_en16931` covers the totals; this
//! covers everything else the standard asks, the payment means and the
//! payment reference (BT-83) among it.

// Amounts are written as money reads: `120_00` is 120.00.
#![allow(clippy::inconsistent_digit_grouping)]

mod common;
mod en16931;

use common::*;
use dun_core::party::PaymentInstructions;
use dun_ubl::{UblDocument, ZeroRateCategory};
use en16931::{fatal_failures, rules_present};

fn lines() -> Vec<dun_core::invoice::InvoiceLine> {
    vec![
        line("Consulting", "10", 120_00, "20"),
        line("Travel", "1", 80_00, "0"),
        line("Books", "3", 9_99, "5"),
    ]
}

#[test]
fn invoices_and_credit_notes_pass_the_official_rules_with_their_payment_reference() {
    if !rules_present() {
        return;
    }
    let zero = ZeroRateCategory::default();
    let sample = UblDocument::invoice(header("INV-000042", "EUR"), &lines(), &zero);
    let xml = sample.to_xml();
    assert_eq!(
        element(&xml, "<cac:PaymentMeans>", "cbc:PaymentID"),
        PAYMENT_ID
    );
    // No IBAN, only a note: the reference still travels, and no credit
    // transfer is claimed without an account (BR-61).
    let mut note_only = header("INV-000043", "USD");
    note_only.payment = PaymentInstructions {
        note: Some("Pay by cheque".into()),
        ..Default::default()
    };
    // Nothing about payment at all, but the reference.
    let mut bare = header("INV-000044", "GBP");
    bare.payment = PaymentInstructions::default();
    let credit = UblDocument::credit_note(
        credit_header("CN-000007", "EUR", "INV-000042"),
        &lines(),
        100_00,
        "Returned books",
        &zero,
    );
    // Both parties on Peppol: EndpointID with its scheme, BIS 3 customization.
    let mut peppol = header("INV-000045", "EUR");
    peppol.seller.endpoint = Some("0088:5790000435975".into());
    peppol.buyer.endpoint = Some("9930:DE123456789".into());
    let peppol = UblDocument::invoice(peppol, &lines(), &zero).to_xml();
    assert!(
        peppol.contains(r#"<cbc:EndpointID schemeID="0088">5790000435975</cbc:EndpointID>"#)
            && peppol.contains(r#"<cbc:EndpointID schemeID="9930">DE123456789</cbc:EndpointID>"#)
            && peppol.contains(dun_ubl::PEPPOL_CUSTOMIZATION_ID),
        "{peppol}"
    );
    // One party only: EN 16931 core, the address still declared.
    let mut one = header("INV-000046", "EUR");
    one.buyer.endpoint = Some("EM:ap@zeta.example".into());
    let one = UblDocument::invoice(one, &lines(), &zero).to_xml();
    assert!(
        !one.contains("peppol.eu:2017:poacc:billing:3.0") && one.contains(r#"schemeID="EM""#),
        "{one}"
    );
    let documents = [
        ("peppol", peppol),
        ("one-endpoint", one),
        ("sample", xml),
        (
            "note-only",
            UblDocument::invoice(note_only, &lines(), &zero).to_xml(),
        ),
        ("bare", UblDocument::invoice(bare, &lines(), &zero).to_xml()),
        ("credit-note", credit.to_xml()),
    ];
    assert_eq!(fatal_failures(&documents), Vec::<(String, String)>::new());
}

/// Unit prices with more decimals than the currency (EN 16931 sets BT-146
/// no limit): the price is written as it is, each line's net (BT-131)
/// rounded half-even to the currency's decimals, and the totals add those
/// (BR-CO-10) — and CEN's rules accept it, with a fractional quantity too.
#[test]
fn unit_prices_finer_than_the_currency_pass_the_official_rules() {
    let zero = ZeroRateCategory::default();
    let lines = vec![
        // 3 × 13.333 = 39.999 → 40.00
        priced_line("Bolts", "3", "13.333", "20", "EUR"),
        // 2.5 × 1.234567 = 3.0864175 → 3.09
        priced_line("Cable (m)", "2.5", "1.234567", "20", "EUR"),
        // 0.3333 × 13.333 = 4.4438889 → 4.44
        priced_line("Part of a day", "0.3333", "13.333", "0", "EUR"),
    ];
    let invoice = UblDocument::invoice(header("INV-000047", "EUR"), &lines, &zero);
    let xml = invoice.to_xml();
    for needle in [
        r#"<cbc:PriceAmount currencyID="EUR">13.333</cbc:PriceAmount>"#,
        r#"<cbc:PriceAmount currencyID="EUR">1.234567</cbc:PriceAmount>"#,
        r#"<cbc:LineExtensionAmount currencyID="EUR">40.00</cbc:LineExtensionAmount>"#,
        r#"<cbc:LineExtensionAmount currencyID="EUR">3.09</cbc:LineExtensionAmount>"#,
        r#"<cbc:LineExtensionAmount currencyID="EUR">4.44</cbc:LineExtensionAmount>"#,
        // 40.00 + 3.09 + 4.44; tax 20 % of 43.09 = 8.618 → 8.62.
        r#"<cbc:LineExtensionAmount currencyID="EUR">47.53</cbc:LineExtensionAmount>"#,
        r#"<cbc:PayableAmount currencyID="EUR">56.15</cbc:PayableAmount>"#,
    ] {
        assert!(xml.contains(needle), "{needle} is not in\n{xml}");
    }
    assert_eq!(dun_ubl::check_en16931(&invoice), vec![]);
    // In yen a price carries up to 4 decimals: 3 × 101.5 = 304.5 → 304.
    let yen = UblDocument::invoice(
        header("INV-000048", "JPY"),
        &[priced_line("Washers", "3", "101.5", "10", "JPY")],
        &zero,
    )
    .to_xml();
    assert!(
        yen.contains(r#"<cbc:PriceAmount currencyID="JPY">101.5</cbc:PriceAmount>"#)
            && yen.contains(
                r#"<cbc:LineExtensionAmount currencyID="JPY">304</cbc:LineExtensionAmount>"#
            ),
        "{yen}"
    );
    let credit = UblDocument::credit_note(
        credit_header("CN-000008", "EUR", "INV-000047"),
        &lines,
        56_15,
        "Returned everything",
        &zero,
    );
    let documents = [
        ("finer-prices", xml),
        ("finer-prices-yen", yen),
        ("finer-prices-credit", credit.to_xml()),
    ];
    if !rules_present() {
        return;
    }
    assert_eq!(fatal_failures(&documents), Vec::<(String, String)>::new());
}

/// Dun's list of electronic address schemes is the one CEN's rules accept
/// (BR-CL-25): a scheme the rules would refuse is never let in.
#[test]
fn the_electronic_address_schemes_are_the_rules_own() {
    let Some(rules) = en16931::rules_text() else {
        return;
    };
    let at = rules
        .find(" 0002 0007 0009 0037 ")
        .expect("the rules hold the EAS code list (BR-CL-25)");
    let end = at + 1 + rules[at + 1..].find('\'').expect("the list ends");
    let listed: Vec<&str> = rules[at..end].split_whitespace().collect();
    let mut ours = dun_core::party::EAS_SCHEMES.to_vec();
    let mut theirs = listed.clone();
    ours.sort_unstable();
    theirs.sort_unstable();
    assert_eq!(ours, theirs);
}
