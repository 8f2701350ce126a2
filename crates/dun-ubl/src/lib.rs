//! UBL 2.1 e-invoices and credit notes conforming to EN 16931.
//!
//! A [`UblDocument`] holds every figure the XML states — line net amounts,
//! the tax breakdown per category and rate, the document totals — as
//! `i64` minor units of the document's currency. The builders
//! ([`UblDocument::invoice`], [`UblDocument::credit_note`]) derive those
//! figures from Dun's invoice lines with Dun's own rounding (tax rounded
//! half-even per line, then added), so the e-invoice's payable amount is the
//! amount the ledger says is owed. [`check_en16931`] holds the stated
//! figures to the EN 16931 business rules on totals and tax; the writers
//! ([`invoice_xml`], [`credit_note_xml`]) write them as they are.
//!
//! *Architecture invariant:* this crate is pure: no I/O, no clock. The same
//! document always gives the same bytes.

use std::collections::BTreeMap;

use dun_core::invoice::InvoiceLine;
use dun_core::money::UnitPrice;
use dun_core::party::{Party, PaymentInstructions};
use dun_core::{Currency, Date};
use serde::{Deserialize, Serialize};

mod rules;
mod xml;

pub use rules::{check_en16931, RuleViolation};
pub use xml::{credit_note_xml, invoice_xml};

/// EN 16931 core (BT-24).
pub const CUSTOMIZATION_ID: &str = "urn:cen.eu:en16931:2017";
/// Peppol BIS Billing 3.0 (BT-24), when both parties have an electronic
/// address (BT-34, BT-49).
pub const PEPPOL_CUSTOMIZATION_ID: &str =
    "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0";
/// The business process (BT-23): billing.
pub const PROFILE_ID: &str = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0";
/// UNTDID 1001: commercial invoice.
pub const INVOICE_TYPE_CODE: &str = "380";
/// UNTDID 1001: credit note.
pub const CREDIT_NOTE_TYPE_CODE: &str = "381";
/// UN/ECE Recommendation 20: "one" (a unit without a dimension).
pub const UNIT_CODE_ONE: &str = "C62";
/// UNCL 4461: SEPA credit transfer, when the seller gives an IBAN.
pub const PAYMENT_MEANS_SEPA: &str = "58";
/// UNCL 4461: instrument not defined, when it gives no IBAN (a credit
/// transfer, code 30, must name the account: BR-61).
pub const PAYMENT_MEANS_NOT_DEFINED: &str = "1";

/// Whether the document is an invoice or a credit note.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocumentKind {
    Invoice,
    CreditNote,
}

/// A VAT category (UNCL 5305) with its rate.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TaxCategory {
    /// `S` standard, `Z` zero rated, `E` exempt, `AE` reverse charge, `K`
    /// intra-community, `G` export, `O` not subject to VAT.
    pub code: String,
    /// Parts per million (20 % is `200_000`). Category `O` states no rate.
    pub rate_ppm: i64,
    /// Why no VAT is charged; required for E, AE, K, G and O.
    pub exemption_reason: Option<String>,
}

impl TaxCategory {
    pub fn standard(rate_ppm: i64) -> TaxCategory {
        TaxCategory {
            code: "S".into(),
            rate_ppm,
            exemption_reason: None,
        }
    }

    /// Whether the XML states a rate (`O` has none, BR-O-05).
    pub fn states_rate(&self) -> bool {
        self.code != "O"
    }
}

/// How the seller declares lines taxed at 0 %: a category other than `S`
/// and, for all but `Z`, the reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZeroRateCategory {
    pub code: String,
    pub exemption_reason: Option<String>,
}

impl Default for ZeroRateCategory {
    fn default() -> Self {
        ZeroRateCategory {
            code: "Z".into(),
            exemption_reason: None,
        }
    }
}

impl ZeroRateCategory {
    /// The category of a line taxed at `rate_ppm`.
    pub fn category_for(&self, rate_ppm: i64) -> TaxCategory {
        if rate_ppm > 0 {
            TaxCategory::standard(rate_ppm)
        } else {
            TaxCategory {
                code: self.code.clone(),
                rate_ppm: 0,
                exemption_reason: self.exemption_reason.clone(),
            }
        }
    }
}

/// One invoice or credit note line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UblLine {
    /// BT-126, unique within the document (`1`, `2`, …).
    pub id: String,
    /// BT-153, the item's name.
    pub name: String,
    /// Quantity × 10^4 (Dun's quantity scale).
    pub quantity_e4: i64,
    /// BT-146, net price per unit; it may carry decimals beyond the
    /// currency's (written as they are), while BT-131 never does.
    pub unit_price: UnitPrice,
    /// BT-131, the line's net amount.
    pub net_minor: i64,
    pub tax: TaxCategory,
}

/// A document-level allowance (a discount) or charge (a fee).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowanceCharge {
    /// A charge when true, an allowance when false.
    pub charge: bool,
    pub amount_minor: i64,
    pub reason: String,
    pub tax: TaxCategory,
}

/// One row of the tax breakdown (BG-23): per category and rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxSubtotal {
    pub category: TaxCategory,
    /// BT-116.
    pub taxable_minor: i64,
    /// BT-117.
    pub tax_minor: i64,
}

/// The document totals (BG-22).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonetaryTotals {
    /// BT-106: sum of line net amounts.
    pub line_extension_minor: i64,
    /// BT-107: sum of document-level allowances.
    pub allowance_total_minor: i64,
    /// BT-108: sum of document-level charges.
    pub charge_total_minor: i64,
    /// BT-109: total without VAT.
    pub tax_exclusive_minor: i64,
    /// BT-110: total VAT.
    pub tax_total_minor: i64,
    /// BT-112: total with VAT.
    pub tax_inclusive_minor: i64,
    /// BT-113: paid in advance.
    pub prepaid_minor: i64,
    /// BT-114: rounding added to reach the payable amount.
    pub rounding_minor: i64,
    /// BT-115: amount due for payment.
    pub payable_minor: i64,
}

/// The invoice a credit note corrects (BG-3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingReference {
    pub number: String,
    pub issue_date: Date,
}

/// What every document says apart from its lines and figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// BT-1.
    pub number: String,
    /// BT-2.
    pub issue_date: Date,
    /// BT-9, the payment due date (an invoice only: a UBL 2.1 credit note has none).
    pub due_date: Option<Date>,
    /// BT-5.
    pub currency: Currency,
    /// BT-22, e.g. the invoice's description or a credit note's reason.
    pub note: Option<String>,
    /// BT-10, the customer's reference in Dun.
    pub buyer_reference: Option<String>,
    pub seller: Party,
    pub buyer: Party,
    pub payment: PaymentInstructions,
    /// BT-83, the remittance information a payment quotes: the invoice's
    /// creditor reference, compact (`RF…`). `None` states the number.
    pub payment_id: Option<String>,
    /// BT-20, e.g. "Net 30 days; late payment interest 8 % a year".
    pub payment_terms: Option<String>,
    pub billing_reference: Option<BillingReference>,
}

/// An e-invoice or credit note with every figure it states.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UblDocument {
    pub kind: DocumentKind,
    pub header: Header,
    pub lines: Vec<UblLine>,
    pub allowances_charges: Vec<AllowanceCharge>,
    pub tax_subtotals: Vec<TaxSubtotal>,
    pub totals: MonetaryTotals,
}

/// An e-invoice (the brief's name for a [`UblDocument`] of kind invoice).
pub type UblInvoice = UblDocument;
/// A credit note (a [`UblDocument`] of kind credit note).
pub type UblCreditNote = UblDocument;

impl UblDocument {
    /// The e-invoice of a Dun invoice: one UBL line per invoice line,
    /// lines taxed above 0 % in category `S`, those at 0 % in the seller's
    /// zero-rate category, tax per category the sum of the lines' tax
    /// (each rounded half-even, as Dun's totals are).
    pub fn invoice(header: Header, lines: &[InvoiceLine], zero_rate: &ZeroRateCategory) -> Self {
        let lines = lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                (
                    UblLine {
                        id: (i + 1).to_string(),
                        name: l.description.clone(),
                        quantity_e4: l.quantity_e4,
                        unit_price: l.unit_price,
                        net_minor: l.net_minor(),
                        tax: zero_rate.category_for(l.tax_rate_ppm),
                    },
                    l.tax_minor(),
                )
            })
            .collect();
        UblDocument::from_lines(DocumentKind::Invoice, header, lines)
    }

    /// The credit note for `amount_minor` (with tax) off an invoice whose
    /// lines were `credited`. The amount is shared across the invoice's tax
    /// rates in proportion to each rate's total with tax (the last rate
    /// takes what rounding leaves), and each share is split into net and
    /// tax at its rate; one line per rate. Crediting the whole total
    /// repeats the invoice's lines exactly.
    pub fn credit_note(
        header: Header,
        credited: &[InvoiceLine],
        amount_minor: i64,
        reason: &str,
        zero_rate: &ZeroRateCategory,
    ) -> Self {
        let invoice_total: i64 = credited.iter().map(|l| l.net_minor() + l.tax_minor()).sum();
        if amount_minor == invoice_total {
            let mut document = UblDocument::invoice(header, credited, zero_rate);
            document.kind = DocumentKind::CreditNote;
            return document;
        }
        let lines = dun_core::invoice::credit_parts(credited, amount_minor)
            .iter()
            .enumerate()
            .map(|(i, part)| {
                let rate = dun_core::invoice::format_tax_rate(part.tax_rate_ppm);
                (
                    UblLine {
                        id: (i + 1).to_string(),
                        name: format!("{reason} (VAT {rate} %)"),
                        quantity_e4: 10_000,
                        unit_price: UnitPrice::from_minor(part.net_minor),
                        net_minor: part.net_minor,
                        tax: zero_rate.category_for(part.tax_rate_ppm),
                    },
                    part.tax_minor,
                )
            })
            .collect();
        UblDocument::from_lines(DocumentKind::CreditNote, header, lines)
    }

    /// A document from lines and each line's tax: the breakdown groups them
    /// by category and rate; nothing prepaid, no rounding, no document-level
    /// allowances or charges.
    pub fn from_lines(kind: DocumentKind, header: Header, lines: Vec<(UblLine, i64)>) -> Self {
        let mut groups: BTreeMap<(String, i64), TaxSubtotal> = BTreeMap::new();
        for (line, tax_minor) in &lines {
            let group = groups
                .entry((line.tax.code.clone(), line.tax.rate_ppm))
                .or_insert_with(|| TaxSubtotal {
                    category: line.tax.clone(),
                    taxable_minor: 0,
                    tax_minor: 0,
                });
            group.taxable_minor += line.net_minor;
            group.tax_minor += tax_minor;
        }
        // Standard rates first, highest first; then the others.
        let mut tax_subtotals: Vec<TaxSubtotal> = groups.into_values().collect();
        tax_subtotals.sort_by_key(|s| (s.category.code != "S", -s.category.rate_ppm));
        let line_extension_minor: i64 = lines.iter().map(|(l, _)| l.net_minor).sum();
        let tax_total_minor: i64 = tax_subtotals.iter().map(|s| s.tax_minor).sum();
        let tax_inclusive_minor = line_extension_minor + tax_total_minor;
        UblDocument {
            kind,
            header,
            lines: lines.into_iter().map(|(l, _)| l).collect(),
            allowances_charges: Vec::new(),
            tax_subtotals,
            totals: MonetaryTotals {
                line_extension_minor,
                allowance_total_minor: 0,
                charge_total_minor: 0,
                tax_exclusive_minor: line_extension_minor,
                tax_total_minor,
                tax_inclusive_minor,
                prepaid_minor: 0,
                rounding_minor: 0,
                payable_minor: tax_inclusive_minor,
            },
        }
    }

    /// Writes the document: an `<Invoice>` or a `<CreditNote>`.
    pub fn to_xml(&self) -> String {
        match self.kind {
            DocumentKind::Invoice => invoice_xml(self),
            DocumentKind::CreditNote => credit_note_xml(self),
        }
    }
}
