//! The UBL 2.1 writer: elements in the order the schemas require, every
//! text and attribute escaped, amounts as decimals with the currency's
//! exponent.

use dun_core::invoice::{format_quantity, format_tax_rate};
use dun_core::money::format_minor;
use dun_core::party::Party;
use dun_core::{Currency, Date};

use crate::{
    DocumentKind, TaxCategory, UblDocument, CREDIT_NOTE_TYPE_CODE, CUSTOMIZATION_ID,
    INVOICE_TYPE_CODE, PAYMENT_MEANS_NOT_DEFINED, PAYMENT_MEANS_SEPA, PEPPOL_CUSTOMIZATION_ID,
    PROFILE_ID, UNIT_CODE_ONE,
};

const NS_INVOICE: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const NS_CREDIT_NOTE: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
const NS_CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const NS_CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

/// Escapes text for an element's content or a double-quoted attribute,
/// and drops the characters XML 1.0 cannot carry at all (most C0
/// controls), which no invoice text needs.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// An indented XML writer that keeps its stack of open elements.
struct Writer {
    out: String,
    open: Vec<&'static str>,
}

impl Writer {
    fn new() -> Writer {
        Writer {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            open: Vec::new(),
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.open.len() {
            self.out.push_str("  ");
        }
    }

    fn start_with(&mut self, name: &'static str, attributes: &[(&str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attributes {
            self.out.push_str(&format!(" {key}=\"{}\"", escape(value)));
        }
        self.out.push_str(">\n");
        self.open.push(name);
    }

    fn start(&mut self, name: &'static str) {
        self.start_with(name, &[]);
    }

    fn end(&mut self) {
        let name = self.open.pop().expect("an element is open");
        self.indent();
        self.out.push_str(&format!("</{name}>\n"));
    }

    fn text_with(&mut self, name: &'static str, attributes: &[(&str, &str)], text: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attributes {
            self.out.push_str(&format!(" {key}=\"{}\"", escape(value)));
        }
        self.out.push('>');
        self.out.push_str(&escape(text));
        self.out.push_str(&format!("</{name}>\n"));
    }

    fn text(&mut self, name: &'static str, text: &str) {
        self.text_with(name, &[], text);
    }

    fn opt_text(&mut self, name: &'static str, text: Option<&str>) {
        if let Some(text) = text {
            self.text(name, text);
        }
    }

    fn amount(&mut self, name: &'static str, minor: i64, currency: Currency) {
        self.text_with(
            name,
            &[("currencyID", currency.code())],
            &format_minor(minor, currency),
        );
    }

    fn date(&mut self, name: &'static str, date: Date) {
        self.text(name, &date.to_string());
    }

    fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.end();
        }
        self.out
    }
}

/// The document as a UBL 2.1 `<Invoice>` (type code 380).
pub fn invoice_xml(document: &UblDocument) -> String {
    write(document, DocumentKind::Invoice)
}

/// The document as a UBL 2.1 `<CreditNote>` (type code 381). Its amounts
/// are positive: the kind of document says they are credited.
pub fn credit_note_xml(document: &UblDocument) -> String {
    write(document, DocumentKind::CreditNote)
}

fn write(document: &UblDocument, kind: DocumentKind) -> String {
    let h = &document.header;
    let currency = h.currency;
    let mut w = Writer::new();
    let (root, namespace, type_code) = match kind {
        DocumentKind::Invoice => ("Invoice", NS_INVOICE, INVOICE_TYPE_CODE),
        DocumentKind::CreditNote => ("CreditNote", NS_CREDIT_NOTE, CREDIT_NOTE_TYPE_CODE),
    };
    w.start_with(
        root,
        &[
            ("xmlns", namespace),
            ("xmlns:cac", NS_CAC),
            ("xmlns:cbc", NS_CBC),
        ],
    );
    // Both parties reachable on Peppol: the document follows BIS Billing 3.0.
    let peppol = h.seller.endpoint.is_some() && h.buyer.endpoint.is_some();
    w.text(
        "cbc:CustomizationID",
        if peppol {
            PEPPOL_CUSTOMIZATION_ID
        } else {
            CUSTOMIZATION_ID
        },
    );
    w.text("cbc:ProfileID", PROFILE_ID);
    w.text("cbc:ID", &h.number);
    w.date("cbc:IssueDate", h.issue_date);
    match kind {
        DocumentKind::Invoice => {
            if let Some(due) = h.due_date {
                w.date("cbc:DueDate", due);
            }
            w.text("cbc:InvoiceTypeCode", type_code);
        }
        // UBL 2.1's credit note has no header due date.
        DocumentKind::CreditNote => w.text("cbc:CreditNoteTypeCode", type_code),
    }
    w.opt_text("cbc:Note", h.note.as_deref());
    w.text("cbc:DocumentCurrencyCode", currency.code());
    w.opt_text("cbc:BuyerReference", h.buyer_reference.as_deref());
    if let Some(reference) = &h.billing_reference {
        w.start("cac:BillingReference");
        w.start("cac:InvoiceDocumentReference");
        w.text("cbc:ID", &reference.number);
        w.date("cbc:IssueDate", reference.issue_date);
        w.end();
        w.end();
    }
    w.start("cac:AccountingSupplierParty");
    party(&mut w, &h.seller);
    w.end();
    w.start("cac:AccountingCustomerParty");
    party(&mut w, &h.buyer);
    w.end();

    let p = &h.payment;
    // A credit note is paid back by the seller; the seller's own account
    // and terms would only mislead, so it states neither.
    // An invoice with a payment reference states it even without bank
    // details, so the buyer's system has it to quote.
    if kind == DocumentKind::Invoice && (!p.is_empty() || h.payment_id.is_some()) {
        w.start("cac:PaymentMeans");
        let (code, name) = if p.iban.is_some() {
            (PAYMENT_MEANS_SEPA, "Credit transfer")
        } else {
            (PAYMENT_MEANS_NOT_DEFINED, "Instrument not defined")
        };
        w.text_with("cbc:PaymentMeansCode", &[("name", name)], code);
        // BT-83, the remittance information: the invoice's creditor
        // reference (else, for a document without one, its number).
        w.text(
            "cbc:PaymentID",
            h.payment_id.as_deref().unwrap_or(&h.number),
        );
        if let Some(iban) = &p.iban {
            w.start("cac:PayeeFinancialAccount");
            w.text("cbc:ID", iban);
            w.opt_text("cbc:Name", p.account_name.as_deref());
            if let Some(bic) = &p.bic {
                w.start("cac:FinancialInstitutionBranch");
                w.text("cbc:ID", bic);
                w.end();
            }
            w.end();
        }
        w.end();
    }
    let terms = match (&h.payment_terms, &p.note) {
        (Some(t), Some(n)) => Some(format!("{t}. {n}")),
        (Some(t), None) => Some(t.clone()),
        (None, Some(n)) => Some(n.clone()),
        (None, None) => None,
    };
    if let (DocumentKind::Invoice, Some(terms)) = (kind, terms) {
        w.start("cac:PaymentTerms");
        w.text("cbc:Note", &terms);
        w.end();
    }

    for ac in &document.allowances_charges {
        w.start("cac:AllowanceCharge");
        w.text(
            "cbc:ChargeIndicator",
            if ac.charge { "true" } else { "false" },
        );
        w.text("cbc:AllowanceChargeReason", &ac.reason);
        w.amount("cbc:Amount", ac.amount_minor, currency);
        tax_category(&mut w, "cac:TaxCategory", &ac.tax, false);
        w.end();
    }

    let t = &document.totals;
    w.start("cac:TaxTotal");
    w.amount("cbc:TaxAmount", t.tax_total_minor, currency);
    for s in &document.tax_subtotals {
        w.start("cac:TaxSubtotal");
        w.amount("cbc:TaxableAmount", s.taxable_minor, currency);
        w.amount("cbc:TaxAmount", s.tax_minor, currency);
        tax_category(&mut w, "cac:TaxCategory", &s.category, true);
        w.end();
    }
    w.end();

    w.start("cac:LegalMonetaryTotal");
    w.amount("cbc:LineExtensionAmount", t.line_extension_minor, currency);
    w.amount("cbc:TaxExclusiveAmount", t.tax_exclusive_minor, currency);
    w.amount("cbc:TaxInclusiveAmount", t.tax_inclusive_minor, currency);
    if t.allowance_total_minor != 0 || !document.allowances_charges.is_empty() {
        w.amount(
            "cbc:AllowanceTotalAmount",
            t.allowance_total_minor,
            currency,
        );
    }
    if t.charge_total_minor != 0 || !document.allowances_charges.is_empty() {
        w.amount("cbc:ChargeTotalAmount", t.charge_total_minor, currency);
    }
    if t.prepaid_minor != 0 {
        w.amount("cbc:PrepaidAmount", t.prepaid_minor, currency);
    }
    if t.rounding_minor != 0 {
        w.amount("cbc:PayableRoundingAmount", t.rounding_minor, currency);
    }
    w.amount("cbc:PayableAmount", t.payable_minor, currency);
    w.end();

    let (line_name, quantity_name) = match kind {
        DocumentKind::Invoice => ("cac:InvoiceLine", "cbc:InvoicedQuantity"),
        DocumentKind::CreditNote => ("cac:CreditNoteLine", "cbc:CreditedQuantity"),
    };
    for line in &document.lines {
        w.start(line_name);
        w.text("cbc:ID", &line.id);
        w.text_with(
            quantity_name,
            &[("unitCode", UNIT_CODE_ONE)],
            &format_quantity(line.quantity_e4),
        );
        w.amount("cbc:LineExtensionAmount", line.net_minor, currency);
        w.start("cac:Item");
        // BT-153 is required and one line; the whole text also goes to
        // the description when it is longer or spans lines.
        let name = line.name.lines().next().unwrap_or("").trim();
        let name = if name.is_empty() { "Item" } else { name };
        if name != line.name {
            w.text("cbc:Description", &line.name);
        }
        w.text("cbc:Name", name);
        tax_category(&mut w, "cac:ClassifiedTaxCategory", &line.tax, false);
        w.end();
        w.start("cac:Price");
        w.text_with(
            "cbc:PriceAmount",
            &[("currencyID", currency.code())],
            &line.unit_price.format(currency),
        );
        w.end();
        w.end();
    }
    w.finish()
}

fn tax_category(w: &mut Writer, name: &'static str, category: &TaxCategory, with_reason: bool) {
    w.start(name);
    w.text("cbc:ID", &category.code);
    if category.states_rate() {
        w.text("cbc:Percent", &format_tax_rate(category.rate_ppm));
    }
    if with_reason {
        w.opt_text(
            "cbc:TaxExemptionReason",
            category.exemption_reason.as_deref(),
        );
    }
    w.start("cac:TaxScheme");
    w.text("cbc:ID", "VAT");
    w.end();
    w.end();
}

fn party(w: &mut Writer, p: &Party) {
    w.start("cac:Party");
    if let Some((scheme, id)) = p.endpoint_parts() {
        w.text_with("cbc:EndpointID", &[("schemeID", scheme)], id);
    }
    w.start("cac:PartyName");
    w.text("cbc:Name", &p.name);
    w.end();
    w.start("cac:PostalAddress");
    let mut street = p.address_lines.iter();
    w.opt_text("cbc:StreetName", street.next().map(String::as_str));
    w.opt_text(
        "cbc:AdditionalStreetName",
        street.next().map(String::as_str),
    );
    w.opt_text("cbc:CityName", p.city.as_deref());
    w.opt_text("cbc:PostalZone", p.postcode.as_deref());
    w.opt_text("cbc:CountrySubentity", p.region.as_deref());
    if let Some(line) = street.next() {
        w.start("cac:AddressLine");
        w.text("cbc:Line", line);
        w.end();
    }
    if let Some(country) = &p.country_code {
        w.start("cac:Country");
        w.text("cbc:IdentificationCode", country);
        w.end();
    }
    w.end();
    if let Some(vat) = &p.vat_id {
        w.start("cac:PartyTaxScheme");
        w.text("cbc:CompanyID", vat);
        w.start("cac:TaxScheme");
        w.text("cbc:ID", "VAT");
        w.end();
        w.end();
    }
    // BT-32, a seller's tax registration other than VAT (a buyer has none).
    if let Some(tax_id) = &p.tax_id {
        w.start("cac:PartyTaxScheme");
        w.text("cbc:CompanyID", tax_id);
        w.start("cac:TaxScheme");
        w.text("cbc:ID", "TAX");
        w.end();
        w.end();
    }
    w.start("cac:PartyLegalEntity");
    w.text("cbc:RegistrationName", &p.name);
    w.opt_text("cbc:CompanyID", p.company_id.as_deref());
    w.end();
    if p.email.is_some() || p.phone.is_some() {
        w.start("cac:Contact");
        w.opt_text("cbc:Telephone", p.phone.as_deref());
        w.opt_text("cbc:ElectronicMail", p.email.as_deref());
        w.end();
    }
    w.end();
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escaping_covers_markup_quotes_and_controls() {
        assert_eq!(
            escape("Tom & Jerry's <\"best\"> \u{1}\tok"),
            "Tom &amp; Jerry&apos;s &lt;&quot;best&quot;&gt; \tok"
        );
    }
}
