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
    let documents = [
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
