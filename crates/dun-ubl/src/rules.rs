//! EN 16931 business rules on the figures a document states: its totals
//! (BR-CO-10 … BR-CO-16), its tax breakdown (BR-CO-14, BR-CO-17 within
//! CEN's tolerance of one currency unit, BR-CO-18, and for
//! every category the taxable amount, BR-S-08 and its kin BR-Z-08,
//! BR-E-08, BR-AE-08, …), the exemption reasons they need, and the parties
//! and lines every document must have (BR-02, BR-06, BR-07, BR-09, BR-11,
//! BR-16).

use std::collections::BTreeMap;
use std::fmt;

use dun_core::invoice::format_tax_rate;
use dun_core::money::{format_minor, round_half_even};

use crate::UblDocument;

/// A broken rule: its EN 16931 identifier and what is wrong, in figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleViolation {
    pub rule: String,
    pub message: String,
}

impl fmt::Display for RuleViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.message)
    }
}

/// Categories that charge no VAT and so must say why (BR-E-10, BR-AE-10,
/// BR-IC-10 for K, BR-G-10, BR-O-10).
const NEEDS_EXEMPTION_REASON: &[&str] = &["E", "AE", "K", "G", "O"];

/// Every rule the document breaks; empty when it passes.
pub fn check_en16931(document: &UblDocument) -> Vec<RuleViolation> {
    let mut v = Vec::new();
    let mut broken = |rule: &str, message: String| {
        v.push(RuleViolation {
            rule: rule.to_string(),
            message,
        })
    };
    let h = &document.header;
    let c = h.currency;
    let money = |minor: i64| format!("{} {}", format_minor(minor, c), c);
    let t = &document.totals;

    if h.number.trim().is_empty() {
        broken("BR-02", "the document has no number".into());
    }
    if h.seller.name.trim().is_empty() {
        broken("BR-06", "the seller has no name".into());
    }
    if h.buyer.name.trim().is_empty() {
        broken("BR-07", "the buyer has no name".into());
    }
    if h.seller.country_code.is_none() {
        broken(
            "BR-09",
            "the seller's address has no country code; set it with `dun org set --country GB`"
                .into(),
        );
    }
    if h.buyer.country_code.is_none() {
        broken(
            "BR-11",
            format!(
                "the buyer '{}' has no country code; set it with `dun customer set-address REF --country GB`",
                h.buyer.name
            ),
        );
    }
    if document.lines.is_empty() {
        broken("BR-16", "the document has no lines".into());
    }
    seller_identifiers(document, &mut broken);

    let line_sum: i64 = document.lines.iter().map(|l| l.net_minor).sum();
    if t.line_extension_minor != line_sum {
        broken(
            "BR-CO-10",
            format!(
                "the sum of line net amounts ({}) is not the stated line total ({})",
                money(line_sum),
                money(t.line_extension_minor)
            ),
        );
    }
    let allowances: i64 = document
        .allowances_charges
        .iter()
        .filter(|a| !a.charge)
        .map(|a| a.amount_minor)
        .sum();
    if t.allowance_total_minor != allowances {
        broken(
            "BR-CO-11",
            format!(
                "the document-level allowances add up to {} but the stated allowance total is {}",
                money(allowances),
                money(t.allowance_total_minor)
            ),
        );
    }
    let charges: i64 = document
        .allowances_charges
        .iter()
        .filter(|a| a.charge)
        .map(|a| a.amount_minor)
        .sum();
    if t.charge_total_minor != charges {
        broken(
            "BR-CO-12",
            format!(
                "the document-level charges add up to {} but the stated charge total is {}",
                money(charges),
                money(t.charge_total_minor)
            ),
        );
    }
    let exclusive = t.line_extension_minor - t.allowance_total_minor + t.charge_total_minor;
    if t.tax_exclusive_minor != exclusive {
        broken(
            "BR-CO-13",
            format!(
                "the total without VAT ({}) is not the line total minus allowances plus charges ({})",
                money(t.tax_exclusive_minor),
                money(exclusive)
            ),
        );
    }
    let category_tax: i64 = document.tax_subtotals.iter().map(|s| s.tax_minor).sum();
    if t.tax_total_minor != category_tax {
        broken(
            "BR-CO-14",
            format!(
                "the total VAT ({}) is not the sum of the VAT per category ({})",
                money(t.tax_total_minor),
                money(category_tax)
            ),
        );
    }
    let inclusive = t.tax_exclusive_minor + t.tax_total_minor;
    if t.tax_inclusive_minor != inclusive {
        broken(
            "BR-CO-15",
            format!(
                "the total with VAT ({}) is not the total without VAT plus VAT ({})",
                money(t.tax_inclusive_minor),
                money(inclusive)
            ),
        );
    }
    let payable = t.tax_inclusive_minor - t.prepaid_minor + t.rounding_minor;
    if t.payable_minor != payable {
        broken(
            "BR-CO-16",
            format!(
                "the amount due ({}) is not the total with VAT minus prepaid plus rounding ({})",
                money(t.payable_minor),
                money(payable)
            ),
        );
    }
    if document.tax_subtotals.is_empty() {
        broken("BR-CO-18", "the document has no VAT breakdown".into());
    }

    // BR-S-08 and its kin: per category and rate, the taxable amount is the
    // lines' net plus charges minus allowances at that category and rate.
    let mut expected: BTreeMap<(String, i64), i64> = BTreeMap::new();
    for line in &document.lines {
        *expected
            .entry((line.tax.code.clone(), line.tax.rate_ppm))
            .or_default() += line.net_minor;
    }
    for ac in &document.allowances_charges {
        let sign = if ac.charge { 1 } else { -1 };
        *expected
            .entry((ac.tax.code.clone(), ac.tax.rate_ppm))
            .or_default() += sign * ac.amount_minor;
    }
    let mut stated: BTreeMap<(String, i64), i64> = BTreeMap::new();
    for s in &document.tax_subtotals {
        let key = (s.category.code.clone(), s.category.rate_ppm);
        if stated.insert(key, s.taxable_minor).is_some() {
            broken(
                &format!("BR-{}-08", rule_family(&s.category.code)),
                format!(
                    "the VAT breakdown has category {} at {} % twice",
                    s.category.code,
                    format_tax_rate(s.category.rate_ppm)
                ),
            );
        }
        if NEEDS_EXEMPTION_REASON.contains(&s.category.code.as_str())
            && s.category
                .exemption_reason
                .as_deref()
                .is_none_or(|r| r.trim().is_empty())
        {
            broken(
                &format!("BR-{}-10", rule_family(&s.category.code)),
                format!(
                    "VAT category {} needs an exemption reason; set one with `dun org set --zero-rate-category {} --exemption-reason TEXT`",
                    s.category.code, s.category.code
                ),
            );
        }
    }
    // BR-CO-17 (and BR-S-09): a category's VAT is its taxable amount times
    // its rate. Dun rounds VAT per line, so the sum may drift from the
    // product by a few minor units; CEN's validation artefacts accept a
    // difference under one whole currency unit, and so does this check.
    // Categories that charge no VAT state none (BR-Z-09, BR-E-09, …).
    let whole_unit = 10i64.pow(u32::from(c.exponent()));
    for s in &document.tax_subtotals {
        let code = s.category.code.as_str();
        if s.category.rate_ppm > 0 && s.category.states_rate() {
            let product = round_half_even(
                i128::from(s.taxable_minor) * i128::from(s.category.rate_ppm),
                1_000_000,
            ) as i64;
            if (s.tax_minor - product).abs() >= whole_unit {
                broken(
                    "BR-CO-17",
                    format!(
                        "the VAT at category {code} {} % is {} but {} × {} % is {}, more than one {c} apart",
                        format_tax_rate(s.category.rate_ppm),
                        money(s.tax_minor),
                        money(s.taxable_minor),
                        format_tax_rate(s.category.rate_ppm),
                        money(product)
                    ),
                );
            }
        } else if s.tax_minor != 0 {
            broken(
                &format!("BR-{}-09", rule_family(code)),
                format!(
                    "category {code} charges no VAT, but its VAT is stated as {}",
                    money(s.tax_minor)
                ),
            );
        }
    }

    let keys: std::collections::BTreeSet<&(String, i64)> =
        expected.keys().chain(stated.keys()).collect();
    for key in keys {
        let want = expected.get(key).copied().unwrap_or(0);
        let got = stated.get(key).copied();
        let (code, rate) = key;
        let rule = format!("BR-{}-08", rule_family(code));
        match got {
            None => broken(
                &rule,
                format!(
                    "lines at VAT category {code} {} % ({}) have no row in the VAT breakdown",
                    format_tax_rate(*rate),
                    money(want)
                ),
            ),
            Some(got) if got != want => broken(
                &rule,
                format!(
                    "the taxable amount at VAT category {code} {} % is stated as {} but its lines, charges and allowances add up to {}",
                    format_tax_rate(*rate),
                    money(got),
                    money(want)
                ),
            ),
            Some(_) => {}
        }
    }
    v
}

/// The rule family's letters for a category (`K` is "IC", intra-community).
fn rule_family(code: &str) -> &str {
    match code {
        "K" => "IC",
        other => other,
    }
}

/// What the parties must carry for the VAT categories the document uses:
/// the seller identified (BR-CO-26), a seller's VAT identifier or tax
/// registration wherever VAT applies (BR-S-02, BR-Z-02, BR-E-02, BR-AE-02,
/// BR-IC-02, BR-G-02), the buyer identified too for reverse charge
/// (BR-AE-02: VAT or legal registration) and intra-community supplies
/// (BR-IC-02: VAT identifiers on both sides), and no VAT identifier where
/// the supply is not subject to VAT (BR-O-02).
fn seller_identifiers(document: &UblDocument, broken: &mut impl FnMut(&str, String)) {
    let seller = &document.header.seller;
    let buyer = &document.header.buyer;
    let set_seller = "set it with `dun org set --vat-id …` (or `--tax-id …` for a tax registration other than VAT)";
    if seller.vat_id.is_none() && seller.company_id.is_none() {
        broken(
            "BR-CO-26",
            "the seller has neither a VAT identifier nor a legal registration number; set one with `dun org set --vat-id …` or `--company-id …`".into(),
        );
    }
    let categories: std::collections::BTreeSet<&str> = document
        .lines
        .iter()
        .map(|l| l.tax.code.as_str())
        .chain(
            document
                .allowances_charges
                .iter()
                .map(|a| a.tax.code.as_str()),
        )
        .collect();
    let seller_taxed = seller.vat_id.is_some() || seller.tax_id.is_some();
    for (code, rule, words) in [
        ("S", "BR-S-02", "standard-rated"),
        ("Z", "BR-Z-02", "zero-rated"),
        ("E", "BR-E-02", "VAT-exempt"),
        ("AE", "BR-AE-02", "reverse-charge"),
        ("K", "BR-IC-02", "intra-community"),
        ("G", "BR-G-02", "export"),
    ] {
        if categories.contains(code) && !seller_taxed {
            broken(
                rule,
                format!("the document has {words} lines (category {code}) but the seller has no VAT identifier or tax registration; {set_seller}"),
            );
        }
    }
    if categories.contains("K") && seller.vat_id.is_none() && seller.tax_id.is_some() {
        broken(
            "BR-IC-02",
            "an intra-community supply (category K) needs the seller's VAT identifier; set it with `dun org set --vat-id …`".into(),
        );
    }
    for (code, rule) in [("AE", "BR-AE-02"), ("K", "BR-IC-02")] {
        let identified = buyer.vat_id.is_some() || (code == "AE" && buyer.company_id.is_some());
        if categories.contains(code) && !identified {
            broken(
                rule,
                format!(
                    "the document has lines in category {code} but the buyer '{}' has no VAT identifier; set it with `dun customer set-address REF --vat-id …`",
                    buyer.name
                ),
            );
        }
    }
    if categories.contains("O") && (seller.vat_id.is_some() || buyer.vat_id.is_some()) {
        broken(
            "BR-O-02",
            "a supply not subject to VAT (category O) may not state the seller's or the buyer's VAT identifier".into(),
        );
    }
}
