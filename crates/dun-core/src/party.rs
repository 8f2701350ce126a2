//! Parties: who sells (the organisation) and who buys (a customer), as
//! documents and e-invoices name them, and how the seller is paid.
//!
//! Every field but the name may be absent: books kept before addresses
//! existed still open. [`Party::check`] refuses malformed values (each
//! problem names its field, the value and what is accepted);
//! [`Party::missing_for_einvoice`] says what an EN 16931 e-invoice still
//! needs (a country, at least).

use serde::{Deserialize, Serialize};

/// Longest party name, in characters.
pub const NAME_CHARS_MAX: usize = crate::text::NAME_CHARS_MAX;
/// Most street address lines (UBL: street name, additional street name,
/// address line).
pub const ADDRESS_LINES_MAX: usize = 3;
/// Longest address line, city or region, in characters.
pub const ADDRESS_FIELD_CHARS_MAX: usize = 200;
/// Longest postcode, in bytes.
pub const POSTCODE_BYTES_MAX: usize = 20;
/// Longest VAT, company or tax identifier, in characters.
pub const IDENTIFIER_CHARS_MAX: usize = 40;
/// Longest e-mail address, in characters.
pub const EMAIL_CHARS_MAX: usize = crate::text::EMAIL_CHARS_MAX;
/// Longest phone number, in bytes.
pub const PHONE_BYTES_MAX: usize = 40;
/// Longest account name or payment note, in characters.
pub const PAYMENT_TEXT_CHARS_MAX: usize = 500;
/// Shortest and longest IBAN, in characters (Norway 15, Saint Lucia 32, the
/// standard allows 34).
pub const IBAN_CHARS_MIN: usize = 15;
pub const IBAN_CHARS_MAX: usize = 34;

/// Longest electronic address identifier (the part after the scheme), in
/// characters.
pub const ENDPOINT_ID_CHARS_MAX: usize = 100;

/// The electronic address schemes an e-invoice may name (EN 16931 BT-34 and
/// BT-49: the CEF EAS code list, as CEN's EN 16931 rules check it in
/// BR-CL-25; `dun-ubl`'s tests hold this list to the rules file). 0088 is a
/// GLN, 0192 a Norwegian organisation number, 9930 a German VAT number,
/// 0208 a Belgian enterprise number, EM an e-mail address.
pub const EAS_SCHEMES: &[&str] = &[
    "0002", "0007", "0009", "0037", "0060", "0088", "0096", "0097", "0106", "0130", "0135", "0142",
    "0147", "0151", "0154", "0158", "0170", "0177", "0183", "0184", "0188", "0190", "0191", "0192",
    "0193", "0194", "0195", "0196", "0198", "0199", "0200", "0201", "0202", "0203", "0204", "0205",
    "0208", "0209", "0210", "0211", "0212", "0213", "0215", "0216", "0217", "0218", "0219", "0220",
    "0221", "0225", "0230", "0235", "0240", "0242", "0244", "0245", "0246", "0248", "9910", "9913",
    "9914", "9915", "9918", "9919", "9920", "9922", "9923", "9924", "9925", "9926", "9927", "9928",
    "9929", "9930", "9931", "9932", "9933", "9934", "9935", "9936", "9937", "9938", "9939", "9940",
    "9941", "9942", "9943", "9944", "9945", "9946", "9947", "9948", "9949", "9950", "9951", "9952",
    "9953", "9957", "9959", "AN", "AQ", "AS", "AU", "EM",
];

/// A seller or buyer as a document names them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub name: String,
    /// Street address, one entry per line, at most [`ADDRESS_LINES_MAX`].
    #[serde(default)]
    pub address_lines: Vec<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub postcode: Option<String>,
    /// State, county or province.
    #[serde(default)]
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2, e.g. `GB`, `DE`, `US`.
    #[serde(default)]
    pub country_code: Option<String>,
    /// VAT identifier with its country prefix, e.g. `GB123456789`,
    /// `DE123456789` (Greece: `EL…`).
    #[serde(default)]
    pub vat_id: Option<String>,
    /// Legal registration number (company number, SIREN, KvK…).
    #[serde(default)]
    pub company_id: Option<String>,
    /// A tax registration other than VAT (EN 16931 BT-32; a seller's
    /// only), e.g. a US state sales-tax permit or a national tax number:
    /// what an e-invoice with taxed lines names when the seller has no VAT
    /// identifier.
    #[serde(default)]
    pub tax_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// The electronic address e-invoices are delivered to (Peppol), as
    /// `SCHEME:ID`: `0088:5790000435975` (a GLN), `9930:DE123456789`. The
    /// scheme is one of [`EAS_SCHEMES`]. With both parties' addresses an
    /// e-invoice follows Peppol BIS Billing 3.0.
    #[serde(default)]
    pub endpoint: Option<String>,
}

/// How the seller wants to be paid.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentInstructions {
    /// Upper case without spaces; the checksum holds (see [`normalize_iban`]).
    #[serde(default)]
    pub iban: Option<String>,
    #[serde(default)]
    pub bic: Option<String>,
    #[serde(default)]
    pub account_name: Option<String>,
    /// Free text printed with the instructions ("Quote the invoice number").
    #[serde(default)]
    pub note: Option<String>,
}

/// One refused field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} '{value}': {reason}")]
pub struct PartyError {
    pub field: &'static str,
    pub value: String,
    pub reason: String,
}

/// Most characters of a refused value a refusal repeats.
pub const SHOWN_CHARS_MAX: usize = 80;

impl PartyError {
    /// The value is shown as written, but a control character by its
    /// escape (`\u{0}`) and no more than [`SHOWN_CHARS_MAX`] characters of it.
    pub fn new(field: &'static str, value: &str, reason: impl Into<String>) -> PartyError {
        let mut shown = String::new();
        for c in value.chars().take(SHOWN_CHARS_MAX) {
            if c.is_control() {
                shown.extend(c.escape_unicode());
            } else {
                shown.push(c);
            }
        }
        if value.chars().nth(SHOWN_CHARS_MAX).is_some() {
            shown.push('…');
        }
        PartyError {
            field,
            value: shown,
            reason: reason.into(),
        }
    }
}

/// An e-mail address as Dun accepts one (the rule is
/// [`crate::text::email_problem`]).
pub fn is_email(text: &str) -> bool {
    crate::text::email_problem(text).is_none()
}

/// A phone number as Dun accepts one: digits, spaces and `+ - ( ) .`, at
/// most [`PHONE_BYTES_MAX`] bytes.
pub fn is_phone(text: &str) -> bool {
    text.len() <= PHONE_BYTES_MAX
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
}

/// Every problem of a party, one a line.
pub fn describe(errors: &[PartyError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn trimmed(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

impl Party {
    /// A party with only a name.
    pub fn named(name: impl Into<String>) -> Party {
        Party {
            name: name.into(),
            ..Party::default()
        }
    }

    /// Trims every field, drops empty ones and empty address lines, and
    /// writes the VAT identifier upper case without spaces. Then
    /// [`Party::check`]s the result.
    pub fn normalized(&self) -> Result<Party, Vec<PartyError>> {
        let upper = |v: &Option<String>| {
            trimmed(v).map(|s| s.chars().filter(|c| !c.is_whitespace()).collect::<String>())
        };
        let party = Party {
            name: self.name.trim().to_string(),
            address_lines: self
                .address_lines
                .iter()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect(),
            city: trimmed(&self.city),
            postcode: trimmed(&self.postcode),
            region: trimmed(&self.region),
            country_code: trimmed(&self.country_code),
            vat_id: upper(&self.vat_id).map(|s| s.to_uppercase()),
            company_id: trimmed(&self.company_id),
            tax_id: trimmed(&self.tax_id),
            email: trimmed(&self.email),
            phone: trimmed(&self.phone),
            endpoint: trimmed(&self.endpoint).map(|e| match e.split_once(':') {
                Some((scheme, id)) => format!("{}:{}", scheme.trim().to_uppercase(), id.trim()),
                None => e,
            }),
        };
        let mut errors = party.check().err().unwrap_or_default();
        // Lines given empty count too: at most ADDRESS_LINES_MAX are sent.
        if self.address_lines.len() > ADDRESS_LINES_MAX
            && party.address_lines.len() <= ADDRESS_LINES_MAX
        {
            errors.push(PartyError::new(
                "address",
                &self.address_lines.join(" / "),
                format!(
                    "{} lines given; at most {ADDRESS_LINES_MAX} street address lines are kept (city, postcode and country have fields of their own)",
                    self.address_lines.len()
                ),
            ));
        }
        if errors.is_empty() {
            Ok(party)
        } else {
            Err(errors)
        }
    }

    /// The electronic address as (scheme, identifier), when it is set.
    pub fn endpoint_parts(&self) -> Option<(&str, &str)> {
        self.endpoint.as_deref().and_then(|e| e.split_once(':'))
    }

    /// Every malformed field. The country code is never upper-cased for
    /// the caller: `gb` is refused with the accepted form.
    pub fn check(&self) -> Result<(), Vec<PartyError>> {
        let mut errors = Vec::new();
        if let Some(why) = crate::text::identifier_problem(&self.name, NAME_CHARS_MAX) {
            errors.push(PartyError::new(
                "name",
                &self.name,
                format!("a name: {why}"),
            ));
        }
        if self.address_lines.len() > ADDRESS_LINES_MAX {
            errors.push(PartyError::new(
                "address",
                &self.address_lines.join(" / "),
                format!(
                    "{} lines given; at most {ADDRESS_LINES_MAX} street address lines are kept (city, postcode and country have fields of their own)",
                    self.address_lines.len()
                ),
            ));
        }
        for line in &self.address_lines {
            if let Some(why) = crate::text::line_problem(line, ADDRESS_FIELD_CHARS_MAX) {
                errors.push(PartyError::new(
                    "address",
                    line,
                    format!("an address line: {why}"),
                ));
            }
        }
        for (field, value) in [("city", &self.city), ("region", &self.region)] {
            if let Some(v) = value {
                if let Some(why) = crate::text::line_problem(v, ADDRESS_FIELD_CHARS_MAX) {
                    errors.push(PartyError::new(field, v, why));
                }
            }
        }
        if let Some(postcode) = &self.postcode {
            let ok = postcode.len() <= POSTCODE_BYTES_MAX
                && postcode
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
            if !ok {
                errors.push(PartyError::new(
                    "postcode",
                    postcode,
                    format!(
                        "a postcode is at most {POSTCODE_BYTES_MAX} letters, digits, spaces or '-'"
                    ),
                ));
            }
        }
        if let Some(country) = &self.country_code {
            if let Err(e) = check_country_code(country) {
                errors.push(e);
            }
        }
        if let Some(vat) = &self.vat_id {
            let ok = vat.len() >= 4
                && vat.len() <= IDENTIFIER_CHARS_MAX
                && vat.chars().take(2).all(|c| c.is_ascii_uppercase())
                && vat.chars().skip(2).all(|c| c.is_ascii_alphanumeric());
            if !ok {
                errors.push(PartyError::new(
                    "vat_id",
                    vat,
                    "a VAT identifier starts with its two-letter country prefix followed by letters and digits only, e.g. GB123456789 or DE123456789",
                ));
            }
        }
        for (field, value, what) in [
            ("company_id", &self.company_id, "a company identifier"),
            ("tax_id", &self.tax_id, "a tax registration identifier"),
        ] {
            if let Some(id) = value {
                if id.is_empty()
                    || id.chars().count() > IDENTIFIER_CHARS_MAX
                    || id.chars().any(char::is_control)
                {
                    errors.push(PartyError::new(
                        field,
                        id,
                        format!("{what} of 1 to {IDENTIFIER_CHARS_MAX} characters"),
                    ));
                }
            }
        }
        if let Some(email) = &self.email {
            if !is_email(email) {
                errors.push(PartyError::new(
                    "email",
                    email,
                    "not an email address like name@example.com",
                ));
            }
        }
        if let Some(phone) = &self.phone {
            if !is_phone(phone) {
                errors.push(PartyError::new(
                    "phone",
                    phone,
                    "a phone number may hold digits, spaces and + - ( ) . only",
                ));
            }
        }
        if let Some(endpoint) = &self.endpoint {
            let ok = endpoint.split_once(':').is_some_and(|(scheme, id)| {
                EAS_SCHEMES.contains(&scheme)
                    && !id.is_empty()
                    && id.chars().count() <= ENDPOINT_ID_CHARS_MAX
                    && !id.chars().any(|c| c.is_whitespace() || c.is_control())
            });
            if !ok {
                errors.push(PartyError::new(
                    "endpoint",
                    endpoint,
                    format!(
                        "an electronic address is SCHEME:ID, e.g. 0088:5790000435975 (a GLN) or 9930:DE123456789, with a scheme from the EAS code list (0002 … 9959, AN, AQ, AS, AU, EM) and an identifier of 1 to {ENDPOINT_ID_CHARS_MAX} characters without spaces"
                    ),
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// What an EN 16931 e-invoice needs that this party lacks, as field
    /// names (`country_code` is required for seller and buyer, BR-09 and
    /// BR-11). Empty when the party can be named on an e-invoice.
    pub fn missing_for_einvoice(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.name.trim().is_empty() {
            missing.push("name");
        }
        if self.country_code.is_none() {
            missing.push("country_code");
        }
        missing
    }

    /// What an EN 16931 e-invoice needs of the seller beyond
    /// [`Party::missing_for_einvoice`], each as the fields that would
    /// supply it: an identifier (`vat_id` or `company_id`, BR-CO-26) and,
    /// for taxed lines, a tax registration (`vat_id` or `tax_id`, BR-S-02).
    pub fn missing_as_seller(&self) -> Vec<&'static str> {
        let mut missing = self.missing_for_einvoice();
        if self.vat_id.is_none() && self.company_id.is_none() {
            missing.push("vat_id or company_id");
        }
        if self.vat_id.is_none() && self.tax_id.is_none() {
            missing.push("vat_id or tax_id");
        }
        missing
    }

    /// The address as printed lines: street lines, then "postcode city",
    /// then region and country code when present.
    pub fn address_block(&self) -> Vec<String> {
        let mut lines = self.address_lines.clone();
        let place = [self.postcode.as_deref(), self.city.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if !place.is_empty() {
            lines.push(place);
        }
        if let Some(region) = &self.region {
            lines.push(region.clone());
        }
        if let Some(country) = &self.country_code {
            lines.push(country.clone());
        }
        lines
    }
}

/// Checks an ISO 3166-1 alpha-2 code's form: two upper-case letters.
pub fn check_country_code(code: &str) -> Result<(), PartyError> {
    if code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(PartyError::new(
            "country_code",
            code,
            "a country is its ISO 3166-1 alpha-2 code: two upper-case letters, e.g. GB, DE, US",
        ))
    }
}

impl PaymentInstructions {
    /// Trims, drops empty fields, normalizes IBAN and BIC (no spaces,
    /// upper case), then checks them.
    pub fn normalized(&self) -> Result<PaymentInstructions, Vec<PartyError>> {
        let mut errors = Vec::new();
        let iban = match trimmed(&self.iban) {
            Some(text) => match normalize_iban(&text) {
                Ok(iban) => Some(iban),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            None => None,
        };
        let bic = trimmed(&self.bic).map(|b| b.replace(' ', "").to_uppercase());
        let instructions = PaymentInstructions {
            iban,
            bic,
            account_name: trimmed(&self.account_name),
            note: trimmed(&self.note),
        };
        if let Err(more) = instructions.check() {
            for e in more {
                if !errors.iter().any(|x: &PartyError| x.field == e.field) {
                    errors.push(e);
                }
            }
        }
        if errors.is_empty() {
            Ok(instructions)
        } else {
            Err(errors)
        }
    }

    /// Every malformed field: the IBAN's form and checksum (as stored:
    /// upper case, no spaces), the BIC's form, the lengths of the texts.
    pub fn check(&self) -> Result<(), Vec<PartyError>> {
        let mut errors = Vec::new();
        if let Some(iban) = &self.iban {
            match normalize_iban(iban) {
                Ok(n) if &n == iban => {}
                Ok(n) => errors.push(PartyError::new(
                    "iban",
                    iban,
                    format!("store the IBAN as {n}: upper case, no spaces"),
                )),
                Err(e) => errors.push(e),
            }
        }
        if let Some(bic) = &self.bic {
            if let Err(e) = check_bic(bic) {
                errors.push(e);
            }
        }
        for (field, value) in [
            ("account_name", &self.account_name),
            ("payment_note", &self.note),
        ] {
            if let Some(v) = value {
                if let Some(why) = crate::text::note_problem(v, PAYMENT_TEXT_CHARS_MAX) {
                    errors.push(PartyError::new(field, v, why));
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Whether there is anything to tell a payer.
    pub fn is_empty(&self) -> bool {
        self.iban.is_none()
            && self.bic.is_none()
            && self.account_name.is_none()
            && self.note.is_none()
    }
}

/// The IBAN in its electronic form (upper case, no spaces) when its
/// country prefix, check digits and ISO 7064 mod-97 checksum hold.
pub fn normalize_iban(text: &str) -> Result<String, PartyError> {
    let iban: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    let refuse = |reason: &str| Err(PartyError::new("iban", text, reason));
    if iban.len() < IBAN_CHARS_MIN || iban.len() > IBAN_CHARS_MAX {
        return refuse(&format!(
            "an IBAN has {IBAN_CHARS_MIN} to {IBAN_CHARS_MAX} letters and digits (spaces allowed), e.g. GB82 WEST 1234 5698 7654 32; this has {}",
            iban.len()
        ));
    }
    let bytes = iban.as_bytes();
    if !bytes[..2].iter().all(u8::is_ascii_uppercase)
        || !bytes[2..4].iter().all(u8::is_ascii_digit)
        || !bytes.iter().all(u8::is_ascii_alphanumeric)
    {
        return refuse("an IBAN is a two-letter country code, two check digits, then letters and digits, e.g. GB82 WEST 1234 5698 7654 32");
    }
    // Move the first four characters to the end, letters become 10..35,
    // and the whole number mod 97 must be 1.
    let mut remainder: u32 = 0;
    for &b in bytes[4..].iter().chain(&bytes[..4]) {
        let value = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    if remainder != 1 {
        return refuse("the IBAN's check digits do not match (a typing mistake?); copy it again from the bank's statement");
    }
    Ok(iban)
}

/// Checks a BIC (ISO 9362): 4 letters of bank, 2 of country, 2 letters or
/// digits of location, and optionally 3 of branch.
pub fn check_bic(bic: &str) -> Result<(), PartyError> {
    let b = bic.as_bytes();
    let ok = (b.len() == 8 || b.len() == 11)
        && b[..6].iter().all(u8::is_ascii_uppercase)
        && b[6..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(PartyError::new(
            "bic",
            bic,
            "a BIC is 8 or 11 upper-case letters and digits: bank (4 letters), country (2 letters), location (2), optional branch (3), e.g. DEUTDEFF or DEUTDEFF500",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme() -> Party {
        Party {
            name: "Acme Ltd".into(),
            address_lines: vec!["1 High Street".into()],
            city: Some("London".into()),
            postcode: Some("EC1A 1BB".into()),
            region: None,
            country_code: Some("GB".into()),
            vat_id: Some("GB123456789".into()),
            company_id: Some("01234567".into()),
            tax_id: None,
            email: Some("accounts@acme.example".into()),
            phone: Some("+44 20 7946 0000".into()),
            endpoint: Some("0088:5790000435975".into()),
        }
    }

    #[test]
    fn an_electronic_address_is_a_known_scheme_and_an_identifier() {
        let p = Party {
            endpoint: Some(" em : ar@acme.example ".into()),
            ..acme()
        }
        .normalized()
        .unwrap();
        assert_eq!(p.endpoint.as_deref(), Some("EM:ar@acme.example"));
        assert_eq!(p.endpoint_parts(), Some(("EM", "ar@acme.example")));
        for bad in ["5790000435975", "0089:123", "0088:", "0088:12 34", "9930:"] {
            let p = Party {
                endpoint: Some(bad.into()),
                ..acme()
            };
            let errors = p.check().unwrap_err();
            assert_eq!(errors[0].field, "endpoint", "{bad}: {errors:?}");
            assert!(errors[0].reason.contains("SCHEME:ID"), "{errors:?}");
        }
    }

    #[test]
    fn a_complete_party_passes() {
        assert_eq!(acme().check(), Ok(()));
        assert!(acme().missing_for_einvoice().is_empty());
        assert_eq!(
            acme().address_block(),
            ["1 High Street", "EC1A 1BB London", "GB"]
        );
    }

    #[test]
    fn a_lower_case_or_long_country_is_refused_with_the_accepted_form() {
        for bad in ["gb", "GBR", "G1", ""] {
            let mut p = acme();
            p.country_code = Some(bad.into());
            let errors = p.check().unwrap_err();
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].field, "country_code");
            assert!(errors[0].to_string().contains("two upper-case letters"));
        }
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let p = Party {
            name: " ".into(),
            address_lines: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            postcode: Some("12#45".into()),
            vat_id: Some("123456".into()),
            email: Some("nobody".into()),
            phone: Some("call me".into()),
            ..Party::default()
        };
        let fields: Vec<_> = p.check().unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["name", "address", "postcode", "vat_id", "email", "phone"]
        );
        assert_eq!(p.missing_for_einvoice(), ["name", "country_code"]);
    }

    #[test]
    fn normalizing_trims_and_drops_empty_fields() {
        let p = Party {
            name: "  Acme  ".into(),
            address_lines: vec![" 1 High St ".into(), "  ".into()],
            city: Some("   ".into()),
            vat_id: Some("gb 123 456 789".into()),
            ..Party::default()
        };
        let n = p.normalized().unwrap();
        assert_eq!(n.name, "Acme");
        assert_eq!(n.address_lines, ["1 High St"]);
        assert_eq!(n.city, None);
        assert_eq!(n.vat_id.as_deref(), Some("GB123456789"));
    }

    #[test]
    fn ibans_are_checked_by_their_checksum() {
        // Published examples.
        for good in [
            "GB82 WEST 1234 5698 7654 32",
            "DE89370400440532013000",
            "fr14 2004 1010 0505 0001 3m02 606",
            "NO9386011117947",
        ] {
            let n = normalize_iban(good).unwrap_or_else(|e| panic!("{good}: {e}"));
            assert!(!n.contains(' '));
            assert_eq!(n, n.to_uppercase());
        }
        let swapped = normalize_iban("GB82 WEST 1234 5698 7654 23").unwrap_err();
        assert_eq!(swapped.field, "iban");
        assert!(swapped.reason.contains("check digits"), "{swapped}");
        assert!(normalize_iban("GB82")
            .unwrap_err()
            .reason
            .contains("15 to 34"));
        assert!(normalize_iban("1282WEST12345698765432").is_err());
    }

    #[test]
    fn payment_instructions_normalize_and_check() {
        let given = PaymentInstructions {
            iban: Some("gb82 west 1234 5698 7654 32".into()),
            bic: Some("westgb2l".into()),
            account_name: Some(" Acme Ltd ".into()),
            note: Some("".into()),
        };
        let n = given.normalized().unwrap();
        assert_eq!(n.iban.as_deref(), Some("GB82WEST12345698765432"));
        assert_eq!(n.bic.as_deref(), Some("WESTGB2L"));
        assert_eq!(n.account_name.as_deref(), Some("Acme Ltd"));
        assert_eq!(n.note, None);
        assert_eq!(n.check(), Ok(()));

        let bad = PaymentInstructions {
            iban: Some("GB00WEST12345698765432".into()),
            bic: Some("WEST".into()),
            ..PaymentInstructions::default()
        };
        let fields: Vec<_> = bad
            .normalized()
            .unwrap_err()
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["iban", "bic"]);
        assert!(PaymentInstructions::default().is_empty());
    }
}
