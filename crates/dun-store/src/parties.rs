//! Parties: the organisation as seller (address, identifiers, how it is
//! paid) and each customer as buyer, as documents and e-invoices name them.
//!
//! The seller's name is its legal name when one is set, else the
//! organisation's name; the buyer's name, e-mail and phone are the
//! customer's own columns, so there is one of each.

use dun_core::invoice::InvoiceLine;
use dun_core::party::{describe, Party, PartyError, PaymentInstructions};
use dun_core::{Currency, Date};
use serde::{Deserialize, Serialize};

use crate::db::{Row, Tx};
use crate::error::StoreError;
use crate::{params, Store};

/// The EN 16931 VAT categories a line taxed at 0 % may carry (UNCL5305):
/// zero rated, exempt, reverse charge, intra-community supply, export,
/// not subject to VAT.
pub const ZERO_RATE_CATEGORIES: &[&str] = &["Z", "E", "AE", "K", "G", "O"];
/// Longest tax exemption reason (the e-invoice's BT-120, printed on the
/// invoice), in characters.
pub const EXEMPTION_REASON_CHARS_MAX: usize = 500;

/// How the seller's lines taxed at 0 % are declared on e-invoices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZeroRate {
    /// One of [`ZERO_RATE_CATEGORIES`]; `Z` unless set.
    pub category: String,
    /// Why no VAT is charged ("Reverse charge", "Exempt under Article 135");
    /// EN 16931 requires one for every category but `Z` (and `S`).
    pub exemption_reason: Option<String>,
}

impl Default for ZeroRate {
    fn default() -> Self {
        ZeroRate {
            category: "Z".into(),
            exemption_reason: None,
        }
    }
}

impl ZeroRate {
    /// Refuses an unknown category, a reason that is too long, and a
    /// category other than `Z` without a reason.
    pub fn check(&self) -> Result<(), StoreError> {
        if !ZERO_RATE_CATEGORIES.contains(&self.category.as_str()) {
            return Err(StoreError::Invalid(format!(
                "zero-rate category '{}' is not one of {} (Z zero rated, E exempt, AE reverse charge, K intra-community, G export, O not subject to VAT)",
                self.category,
                ZERO_RATE_CATEGORIES.join(", ")
            )));
        }
        match &self.exemption_reason {
            Some(r)
                if r.trim().is_empty() || r.chars().count() > EXEMPTION_REASON_CHARS_MAX =>
            {
                Err(StoreError::Invalid(format!(
                    "tax exemption reason '{r}' must be 1 to {EXEMPTION_REASON_CHARS_MAX} characters"
                )))
            }
            None if self.category != "Z" => Err(StoreError::Invalid(format!(
                "zero-rate category '{}' needs a tax exemption reason (EN 16931 BR-{}-10), e.g. \"Reverse charge\"",
                self.category, self.category
            ))),
            _ => Ok(()),
        }
    }
}

fn refused(errors: Vec<PartyError>) -> StoreError {
    StoreError::Invalid(describe(&errors))
}

fn join_lines(lines: &[String]) -> Option<String> {
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn split_lines(text: Option<String>) -> Vec<String> {
    text.map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

const SELLER_COLUMNS: &str = "COALESCE(legal_name, name), address, city, postcode, region,
    country_code, vat_id, company_id, email, phone, iban, bic, account_name, payment_note, tax_id,
    endpoint";

fn seller_from_row(r: &Row<'_>) -> Result<(Party, PaymentInstructions), StoreError> {
    Ok((
        Party {
            name: r.string(0)?,
            address_lines: split_lines(r.opt_string(1)?),
            city: r.opt_string(2)?,
            postcode: r.opt_string(3)?,
            region: r.opt_string(4)?,
            country_code: r.opt_string(5)?,
            vat_id: r.opt_string(6)?,
            company_id: r.opt_string(7)?,
            tax_id: r.opt_string(14)?,
            email: r.opt_string(8)?,
            phone: r.opt_string(9)?,
            endpoint: r.opt_string(15)?,
        },
        PaymentInstructions {
            iban: r.opt_string(10)?,
            bic: r.opt_string(11)?,
            account_name: r.opt_string(12)?,
            note: r.opt_string(13)?,
        },
    ))
}

const BUYER_COLUMNS: &str =
    "name, address, city, postcode, region, country_code, vat_id, company_id, email, phone, endpoint";

fn buyer_from_row(r: &Row<'_>) -> Result<Party, StoreError> {
    Ok(Party {
        name: r.string(0)?,
        address_lines: split_lines(r.opt_string(1)?),
        city: r.opt_string(2)?,
        postcode: r.opt_string(3)?,
        region: r.opt_string(4)?,
        country_code: r.opt_string(5)?,
        vat_id: r.opt_string(6)?,
        company_id: r.opt_string(7)?,
        // A seller's only (BT-32).
        tax_id: None,
        email: r.opt_string(8)?,
        phone: r.opt_string(9)?,
        endpoint: r.opt_string(10)?,
    })
}

/// A customer's address and identifiers changed, on their timeline with
/// who changed what, before and after (`customer_edited`); nothing when
/// nothing changed.
fn log_party_changes(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_id: i64,
    before: &Party,
    after: &Party,
    author: &str,
    now: &str,
) -> Result<(), StoreError> {
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_string());
    let lines = |p: &Party| {
        if p.address_lines.is_empty() {
            "(none)".to_string()
        } else {
            p.address_lines.join(", ")
        }
    };
    let mut changes: Vec<(&str, String, String)> = Vec::new();
    for (field, b, a) in [
        ("name", Some(before.name.clone()), Some(after.name.clone())),
        ("email", before.email.clone(), after.email.clone()),
        ("phone", before.phone.clone(), after.phone.clone()),
        ("address", Some(lines(before)), Some(lines(after))),
        ("city", before.city.clone(), after.city.clone()),
        ("postcode", before.postcode.clone(), after.postcode.clone()),
        ("region", before.region.clone(), after.region.clone()),
        (
            "country",
            before.country_code.clone(),
            after.country_code.clone(),
        ),
        ("vat_id", before.vat_id.clone(), after.vat_id.clone()),
        (
            "company_id",
            before.company_id.clone(),
            after.company_id.clone(),
        ),
        (
            "electronic_address",
            before.endpoint.clone(),
            after.endpoint.clone(),
        ),
    ] {
        if b != a {
            changes.push((field, shown(&b), shown(&a)));
        }
    }
    if changes.is_empty() {
        return Ok(());
    }
    let summary = format!(
        "Changed {}",
        changes
            .iter()
            .map(|(f, b, a)| format!("{}: {b} → {a}", f.replace('_', " ")))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let detail: serde_json::Value = changes
        .iter()
        .map(|(f, b, a)| {
            (
                (*f).to_string(),
                serde_json::json!({"before": b, "after": a}),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into();
    let timezone = tx
        .query_opt(
            "SELECT timezone FROM organisations WHERE id = $1",
            params![org_id],
            |r| r.string(0),
        )?
        .unwrap_or_default();
    let secs = crate::clock::seconds_of(now)
        .ok_or_else(|| StoreError::Corrupt(format!("'{now}' is not a time")))?;
    let today = crate::clock::today_at(secs, &timezone)
        .map_err(|e| StoreError::Corrupt(format!("organisation #{org_id}: {e}")))?;
    crate::timeline::log(
        tx,
        org_id,
        now,
        &crate::timeline::NewEntry {
            customer_id,
            on_date: today,
            kind: "customer_edited",
            author,
            summary: &summary,
            detail,
            invoice_ids: &[],
        },
    )?;
    Ok(())
}

/// Writes a checked party's address and identifiers (not its name, e-mail
/// or phone) as customer `customer_id`'s; how many rows changed.
pub(crate) fn write_address(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_id: i64,
    party: &Party,
) -> Result<u64, StoreError> {
    let address = join_lines(&party.address_lines);
    let updated = tx.execute(
        "UPDATE customers SET address = $3, city = $4, postcode = $5, region = $6,
            country_code = $7, vat_id = $8, company_id = $9, endpoint = $10
         WHERE org_id = $1 AND id = $2",
        params![
            org_id,
            customer_id,
            address.as_deref(),
            party.city.as_deref(),
            party.postcode.as_deref(),
            party.region.as_deref(),
            party.country_code.as_deref(),
            party.vat_id.as_deref(),
            party.company_id.as_deref(),
            party.endpoint.as_deref(),
        ],
    )?;
    Ok(updated)
}

/// The seller, read inside a caller's transaction.
pub(crate) fn seller_in(
    tx: &mut Tx<'_>,
    org_id: i64,
) -> Result<(Party, PaymentInstructions), StoreError> {
    tx.query_opt(
        &format!("SELECT {SELLER_COLUMNS} FROM organisations WHERE id = $1"),
        params![org_id],
        seller_from_row,
    )?
    .ok_or_else(|| StoreError::not_found("organisation", format!("#{org_id}")))
}

/// The buyer, read inside a caller's transaction.
pub(crate) fn buyer_in(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_id: i64,
) -> Result<Party, StoreError> {
    tx.query_opt(
        &format!("SELECT {BUYER_COLUMNS} FROM customers WHERE org_id = $1 AND id = $2"),
        params![org_id, customer_id],
        buyer_from_row,
    )?
    .ok_or_else(|| StoreError::not_found("customer", format!("#{customer_id}")))
}

/// A credit note as its document names it: what it credits, and the lines
/// of the invoice it credits (to share its amount across their tax rates).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreditNoteView {
    pub number: String,
    pub issue_date: Date,
    pub currency: Currency,
    pub amount_minor: i64,
    pub reason: String,
    pub customer_id: i64,
    pub customer_ref: String,
    pub invoice_number: String,
    pub invoice_issue_date: Date,
    pub invoice_lines: Vec<InvoiceLine>,
}

impl Store {
    /// The organisation as seller, and how it is paid.
    pub fn seller(&mut self, org_id: i64) -> Result<(Party, PaymentInstructions), StoreError> {
        let mut tx = self.conn().read_transaction()?;
        seller_in(&mut tx, org_id)
    }

    /// Replaces the seller's address, identifiers and payment instructions
    /// (fields left `None` are cleared). The values are trimmed and checked
    /// first; every problem is refused at once and nothing is written. A
    /// name other than the organisation's is kept as its legal name.
    pub fn set_seller(
        &mut self,
        org_id: i64,
        party: &Party,
        payment: &PaymentInstructions,
    ) -> Result<(Party, PaymentInstructions), StoreError> {
        let mut errors = Vec::new();
        let party = party.normalized().map_err(|e| errors.extend(e)).ok();
        let payment = payment.normalized().map_err(|e| errors.extend(e)).ok();
        let (Some(party), Some(payment)) = (party, payment) else {
            return Err(refused(errors));
        };
        let mut tx = self.conn().transaction()?;
        crate::orgs::lock(&mut tx, org_id)?;
        let address = join_lines(&party.address_lines);
        tx.execute(
            "UPDATE organisations SET
                legal_name = CASE WHEN name = $2 THEN NULL ELSE $2 END,
                address = $3, city = $4, postcode = $5, region = $6, country_code = $7,
                vat_id = $8, company_id = $9, email = $10, phone = $11,
                iban = $12, bic = $13, account_name = $14, payment_note = $15, tax_id = $16,
                endpoint = $17
             WHERE id = $1",
            params![
                org_id,
                party.name.as_str(),
                address.as_deref(),
                party.city.as_deref(),
                party.postcode.as_deref(),
                party.region.as_deref(),
                party.country_code.as_deref(),
                party.vat_id.as_deref(),
                party.company_id.as_deref(),
                party.email.as_deref(),
                party.phone.as_deref(),
                payment.iban.as_deref(),
                payment.bic.as_deref(),
                payment.account_name.as_deref(),
                payment.note.as_deref(),
                party.tax_id.as_deref(),
                party.endpoint.as_deref(),
            ],
        )?;
        let stored = seller_in(&mut tx, org_id)?;
        tx.commit()?;
        Ok(stored)
    }

    /// A customer as buyer.
    pub fn buyer(&mut self, org_id: i64, customer_id: i64) -> Result<Party, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        buyer_in(&mut tx, org_id, customer_id)
    }

    /// Replaces a customer's name, e-mail, phone, address and identifiers
    /// (fields left `None` are cleared), after trimming and checking them.
    pub fn set_buyer(
        &mut self,
        org_id: i64,
        customer_ref: &str,
        party: &Party,
    ) -> Result<Party, StoreError> {
        let party = party.normalized().map_err(refused)?;
        let author = self.acting();
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let customer = crate::customers::by_ref(&mut tx, org_id, customer_ref.trim())?;
        crate::customers::lock(&mut tx, org_id, customer.id)?;
        let before = buyer_in(&mut tx, org_id, customer.id)?;
        let address = join_lines(&party.address_lines);
        tx.execute(
            "UPDATE customers SET name = $3, address = $4, city = $5, postcode = $6, region = $7,
                country_code = $8, vat_id = $9, company_id = $10, email = $11, phone = $12,
                endpoint = $13
             WHERE org_id = $1 AND id = $2",
            params![
                org_id,
                customer.id,
                party.name.as_str(),
                address.as_deref(),
                party.city.as_deref(),
                party.postcode.as_deref(),
                party.region.as_deref(),
                party.country_code.as_deref(),
                party.vat_id.as_deref(),
                party.company_id.as_deref(),
                party.email.as_deref(),
                party.phone.as_deref(),
                party.endpoint.as_deref(),
            ],
        )?;
        let stored = buyer_in(&mut tx, org_id, customer.id)?;
        log_party_changes(
            &mut tx,
            org_id,
            customer.id,
            &before,
            &stored,
            &author,
            &now,
        )?;
        tx.commit()?;
        Ok(stored)
    }

    /// Sets many customers' addresses and identifiers at once (their names,
    /// e-mails and phones stay as they are), in one transaction: all or
    /// nothing, each change on the customer's timeline as [`Self::set_buyer`]
    /// logs it. Returns how many customers were updated.
    pub fn set_buyer_addresses(
        &mut self,
        org_id: i64,
        addresses: &[(String, Party)],
    ) -> Result<usize, StoreError> {
        let mut checked = Vec::with_capacity(addresses.len());
        for (reference, party) in addresses {
            // The name is not written; the checks want one.
            let named = Party {
                name: reference.clone(),
                ..party.clone()
            };
            let party = named.normalized().map_err(|e| {
                StoreError::Invalid(format!("customer '{reference}': {}", describe(&e)))
            })?;
            checked.push((reference.trim(), party));
        }
        let author = self.acting();
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        for (reference, party) in &checked {
            let customer = crate::customers::by_ref(&mut tx, org_id, reference)?;
            let before = buyer_in(&mut tx, org_id, customer.id)?;
            if write_address(&mut tx, org_id, customer.id, party)? == 0 {
                return Err(StoreError::not_found("customer", reference));
            }
            let after = buyer_in(&mut tx, org_id, customer.id)?;
            log_party_changes(&mut tx, org_id, customer.id, &before, &after, &author, &now)?;
        }
        tx.commit()?;
        Ok(checked.len())
    }

    /// A customer as buyer, by the customer's reference.
    pub fn buyer_by_ref(&mut self, org_id: i64, customer_ref: &str) -> Result<Party, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let customer = crate::customers::by_ref(&mut tx, org_id, customer_ref.trim())?;
        buyer_in(&mut tx, org_id, customer.id)
    }

    /// The credit note numbered `number`, with its invoice's lines.
    pub fn credit_note(&mut self, org_id: i64, number: &str) -> Result<CreditNoteView, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query_opt(
            "SELECT n.number, n.issue_date, n.currency, n.amount_minor, n.reason, n.customer_id,
                    c.ref, i.number, i.issue_date, i.lines
             FROM credit_notes n
             JOIN invoices i ON i.org_id = n.org_id AND i.id = n.invoice_id
             JOIN customers c ON c.org_id = n.org_id AND c.id = n.customer_id
             WHERE n.org_id = $1 AND n.number = $2",
            params![org_id, number.trim()],
            |r| {
                let day = |i: usize| -> Result<Date, StoreError> {
                    let n = r.i64(i)?;
                    i32::try_from(n)
                        .map(Date::from_day_number)
                        .map_err(|_| StoreError::Corrupt(format!("day number {n}")))
                };
                let currency = r.string(2)?;
                Ok(CreditNoteView {
                    number: r.string(0)?,
                    issue_date: day(1)?,
                    currency: Currency::parse(&currency)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    amount_minor: r.i64(3)?,
                    reason: r.string(4)?,
                    customer_id: r.i64(5)?,
                    customer_ref: r.string(6)?,
                    invoice_number: r.opt_string(7)?.unwrap_or_default(),
                    invoice_issue_date: day(8)?,
                    invoice_lines: serde_json::from_str(&r.string(9)?)?,
                })
            },
        )?
        .ok_or_else(|| StoreError::not_found("credit note", number))
    }

    /// How the organisation declares lines taxed at 0 %.
    /// How the document numbered `number` (an invoice, or the invoice a
    /// credit note credits) declares its 0 % lines: as fixed when the
    /// invoice was issued, or — issued before Dun kept it — the
    /// organisation's setting now. `None`: no such invoice.
    pub fn document_zero_rate(
        &mut self,
        org_id: i64,
        number: &str,
    ) -> Result<Option<ZeroRate>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query_opt(
            "SELECT COALESCE(i.zero_rate_category, o.zero_rate_category),
                CASE WHEN i.zero_rate_category IS NULL THEN o.tax_exemption_reason
                     ELSE i.tax_exemption_reason END
             FROM invoices i JOIN organisations o ON o.id = i.org_id
             WHERE i.org_id = $1 AND i.number = $2
             UNION ALL
             SELECT COALESCE(i.zero_rate_category, o.zero_rate_category),
                CASE WHEN i.zero_rate_category IS NULL THEN o.tax_exemption_reason
                     ELSE i.tax_exemption_reason END
             FROM credit_notes n JOIN invoices i ON i.id = n.invoice_id AND i.org_id = n.org_id
                JOIN organisations o ON o.id = i.org_id
             WHERE n.org_id = $1 AND n.number = $2",
            params![org_id, number],
            |r| {
                Ok(ZeroRate {
                    category: r.string(0)?,
                    exemption_reason: r.opt_string(1)?,
                })
            },
        )
    }

    pub fn zero_rate(&mut self, org_id: i64) -> Result<ZeroRate, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query_opt(
            "SELECT zero_rate_category, tax_exemption_reason FROM organisations WHERE id = $1",
            params![org_id],
            |r| {
                Ok(ZeroRate {
                    category: r.string(0)?,
                    exemption_reason: r.opt_string(1)?,
                })
            },
        )?
        .ok_or_else(|| StoreError::not_found("organisation", format!("#{org_id}")))
    }

    pub fn set_zero_rate(&mut self, org_id: i64, zero_rate: &ZeroRate) -> Result<(), StoreError> {
        zero_rate.check()?;
        let mut tx = self.conn().transaction()?;
        crate::orgs::lock(&mut tx, org_id)?;
        tx.execute(
            "UPDATE organisations SET zero_rate_category = $2, tax_exemption_reason = $3 WHERE id = $1",
            params![
                org_id,
                zero_rate.category.as_str(),
                zero_rate.exemption_reason.as_deref().map(str::trim)
            ],
        )?;
        tx.commit()
    }
}
