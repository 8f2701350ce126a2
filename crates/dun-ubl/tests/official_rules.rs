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

use std::path::PathBuf;
use std::process::Command;

use common::*;
use dun_core::party::PaymentInstructions;
use dun_ubl::{UblDocument, ZeroRateCategory};

fn stylesheet() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/en16931-ubl/EN16931-UBL-validation.xslt")
}

/// Runs the rules over the files given after the stylesheet and prints,
/// per file, `FILE<TAB>ID ID…` of every fatal failed assertion.
const RUN_RULES: &str = r#"
import re, sys
from saxonche import PySaxonProcessor
with PySaxonProcessor(license=False) as proc:
    rules = proc.new_xslt30_processor().compile_stylesheet(stylesheet_file=sys.argv[1])
    for path in sys.argv[2:]:
        svrl = rules.transform_to_string(source_file=path)
        fatal = []
        for tag in re.findall(r'<svrl:failed-assert\b[^>]*>', svrl):
            flag = re.search(r'\bflag="([^"]*)"', tag)
            if flag and flag.group(1) == "fatal":
                fatal.append(re.search(r'\bid="([^"]*)"', tag).group(1))
        print(path + "\t" + " ".join(fatal))
"#;

/// Whether Saxon and the rules are here; says loudly when not, and fails
/// instead when tools are required.
fn rules_present() -> bool {
    let saxon = Command::new("python3")
        .args(["-c", "import saxonche"])
        .output()
        .is_ok_and(|o| o.status.success());
    if saxon && stylesheet().is_file() {
        return true;
    }
    let missing = if saxon {
        format!("the EN 16931 rules at {}", stylesheet().display())
    } else {
        "Saxon for Python (pip install saxonche)".to_string()
    };
    if std::env::var(REQUIRE_TOOLS_VAR).as_deref() == Ok("1") {
        panic!("{missing} is missing and {REQUIRE_TOOLS_VAR}=1");
    }
    eprintln!("SKIPPED: the official EN 16931 rules need {missing}");
    false
}

/// Each document's fatal failed assertions, by name.
fn fatal_failures(documents: &[(&str, String)]) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, xml) in documents {
        let path = dir.path().join(format!("{name}.xml"));
        std::fs::write(&path, xml).unwrap();
        files.push(path);
    }
    let out = Command::new("python3")
        .args(["-c", RUN_RULES])
        .arg(stylesheet())
        .args(&files)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "Saxon failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), documents.len(), "{report}");
    documents
        .iter()
        .zip(lines)
        .map(|((name, _), line)| {
            let (_, ids) = line.split_once('\t').expect("path, tab, ids");
            (name.to_string(), ids.to_string())
        })
        .filter(|(_, ids)| !ids.is_empty())
        .collect()
}

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
