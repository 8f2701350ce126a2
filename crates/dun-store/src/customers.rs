//! Customers and their balances.

use std::collections::BTreeMap;

use dun_core::customer::{Contact, PaymentMethod};
use dun_core::import::{CustomerRow, ImportErrors};
use dun_core::party::Party;
use dun_core::terms::Terms;
use dun_core::Currency;
use serde::{Deserialize, Serialize};

use crate::db::{Row, Tx};
use crate::error::StoreError;
use crate::{idempotency, params, Store};

/// Longest customer reference, in characters.
pub const REF_CHARS_MAX: usize = dun_core::text::CUSTOMER_REFERENCE_CHARS_MAX;
/// Longest customer name, in characters.
pub const NAME_CHARS_MAX: usize = dun_core::text::NAME_CHARS_MAX;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: i64,
    pub reference: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// In the organisation's currency.
    pub credit_limit_minor: Option<i64>,
    pub terms: Terms,
    pub status: String,
    /// Free text for the people who chase it.
    #[serde(default)]
    pub notes: Option<String>,
    /// The methods it may pay by; `None`: any.
    #[serde(default)]
    pub payment_methods: Option<Vec<PaymentMethod>>,
}

/// What one customer owes and holds, in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    pub currency: Currency,
    pub open_minor: i64,
    pub credit_minor: i64,
    pub open_invoices: i64,
}

pub(crate) const COLUMNS: &str =
    "id, ref, name, email, phone, credit_limit_minor, terms, status, notes, payment_methods";

/// Stored accepted payment methods (`bank_transfer,card`), read back.
pub(crate) fn methods_from_text(
    text: Option<String>,
) -> Result<Option<Vec<PaymentMethod>>, StoreError> {
    match text {
        None => Ok(None),
        Some(t) => PaymentMethod::parse_list(&t)
            .map_err(|e| StoreError::Corrupt(format!("customer payment methods: {e}"))),
    }
}

pub(crate) fn customer_from_row(r: &Row<'_>) -> Result<Customer, StoreError> {
    let terms = r.string(6)?;
    Ok(Customer {
        id: r.i64(0)?,
        reference: r.string(1)?,
        name: r.string(2)?,
        email: r.opt_string(3)?,
        phone: r.opt_string(4)?,
        credit_limit_minor: r.opt_i64(5)?,
        terms: Terms::parse(&terms).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        status: r.string(7)?,
        notes: r.opt_string(8)?,
        payment_methods: methods_from_text(r.opt_string(9)?)?,
    })
}

/// Checks one customer's fields; problems go to `errors` under `row`
/// (a credit limit shown in `currency`, the organisation's).
pub fn check_customer(row: &CustomerRow, currency: Currency, errors: &mut ImportErrors) {
    let r = row.row;
    if let Some(why) = dun_core::text::identifier_problem(&row.reference, REF_CHARS_MAX) {
        errors.push(
            r,
            "ref",
            &row.reference,
            format!("a customer reference: {why}"),
        );
    }
    if let Some(why) = dun_core::text::identifier_problem(&row.name, NAME_CHARS_MAX) {
        errors.push(r, "name", &row.name, format!("a name: {why}"));
    }
    if let Some(email) = &row.email {
        if let Some(why) = dun_core::text::email_problem(email) {
            errors.push(r, "email", email, why);
        }
    }
    if let Some(phone) = &row.phone {
        let ok = phone.len() <= 40
            && phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        if !ok {
            errors.push(
                r,
                "phone",
                phone,
                "a phone number may hold digits, spaces and + - ( ) . only",
            );
        }
    }
    if let Some(notes) = &row.notes {
        if let Err(e) = dun_core::customer::normalize_notes(notes) {
            errors.push(r, "notes", notes, e.reason);
        }
    }
    if let Some(limit) = row.credit_limit_minor {
        if limit < 0 {
            errors.push(
                r,
                "credit_limit",
                &dun_core::money::format_minor(limit, currency),
                "a credit limit cannot be negative",
            );
        }
    }
}

/// Takes the customer's row lock for the rest of the transaction: every
/// posting for one customer runs one at a time, on either engine.
pub(crate) fn lock(tx: &mut Tx<'_>, org_id: i64, customer_id: i64) -> Result<(), StoreError> {
    let locked = tx.execute(
        "UPDATE customers SET lock_version = lock_version + 1 WHERE org_id = $1 AND id = $2",
        params![org_id, customer_id],
    )?;
    if locked == 0 {
        return Err(StoreError::not_found("customer", format!("#{customer_id}")));
    }
    Ok(())
}

/// Locks the customer with this reference, as [`lock`] does, and reads
/// it: one statement.
pub(crate) fn lock_by_ref(
    tx: &mut Tx<'_>,
    org_id: i64,
    reference: &str,
) -> Result<Customer, StoreError> {
    tx.query_opt(
        &format!(
            "UPDATE customers SET lock_version = lock_version + 1
             WHERE org_id = $1 AND ref = $2 RETURNING {COLUMNS}"
        ),
        params![org_id, reference],
        customer_from_row,
    )?
    .ok_or_else(|| StoreError::not_found("customer", reference))
}

pub(crate) fn by_ref(
    tx: &mut Tx<'_>,
    org_id: i64,
    reference: &str,
) -> Result<Customer, StoreError> {
    tx.query_opt(
        &format!("SELECT {COLUMNS} FROM customers WHERE org_id = $1 AND ref = $2"),
        params![org_id, reference],
        customer_from_row,
    )?
    .ok_or_else(|| StoreError::not_found("customer", reference))
}

/// Every customer reference of the organisation and its id.
pub(crate) fn ids_by_ref(
    tx: &mut Tx<'_>,
    org_id: i64,
) -> Result<BTreeMap<String, i64>, StoreError> {
    let mut map = BTreeMap::new();
    tx.query_each(
        "SELECT ref, id FROM customers WHERE org_id = $1",
        params![org_id],
        |r| {
            map.insert(r.string(0)?, r.i64(1)?);
            Ok(())
        },
    )?;
    Ok(map)
}

pub(crate) fn insert(
    tx: &mut Tx<'_>,
    org_id: i64,
    rows: &[CustomerRow],
    default_terms: &Terms,
    now: &str,
) -> Result<Vec<i64>, StoreError> {
    let terms: Vec<String> = rows
        .iter()
        .map(|c| c.terms.as_ref().unwrap_or(default_terms).to_string())
        .collect();
    let methods: Vec<Option<String>> = rows
        .iter()
        .map(|c| PaymentMethod::list_text(c.payment_methods.as_deref().filter(|m| !m.is_empty())))
        .collect();
    // Checked by check_customer: trimmed, empty is none.
    let notes: Vec<Option<String>> = rows
        .iter()
        .map(|c| {
            c.notes
                .as_deref()
                .and_then(|n| dun_core::customer::normalize_notes(n).ok().flatten())
        })
        .collect();
    let mut params: Vec<crate::Param<'_>> = Vec::with_capacity(rows.len() * 12);
    for (((c, t), m), n) in rows.iter().zip(&terms).zip(&methods).zip(&notes) {
        params.extend_from_slice(&[
            org_id.into(),
            c.reference.trim().into(),
            c.name.trim().into(),
            c.email.as_deref().into(),
            c.phone.as_deref().into(),
            c.credit_limit_minor.into(),
            t.as_str().into(),
            "active".into(),
            0i64.into(),
            now.into(),
            n.as_deref().into(),
            m.as_deref().into(),
        ]);
    }
    let mut ids = Vec::with_capacity(rows.len());
    crate::bulk::insert(
        tx,
        "customers",
        &[
            "org_id",
            "ref",
            "name",
            "email",
            "phone",
            "credit_limit_minor",
            "terms",
            "status",
            "lock_version",
            "created_at",
            "notes",
            "payment_methods",
        ],
        &params,
        Some("id"),
        |r| {
            ids.push(r.i64(0)?);
            Ok(())
        },
    )?;
    Ok(ids)
}

impl Store {
    /// Adds one customer.
    pub fn add_customer(
        &mut self,
        org_id: i64,
        row: &CustomerRow,
        key: Option<&str>,
    ) -> Result<Customer, StoreError> {
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let currency = crate::credit_file::org_currency(&mut tx, org_id)?;
        let mut errors = ImportErrors::default();
        check_customer(row, currency, &mut errors);
        if let Some(e) = errors.errors.first() {
            return Err(StoreError::Invalid(format!("{}: {}", e.column, e.reason)));
        }
        idempotency::run(tx, org_id, key, "customer.add", row, &now, |tx| {
            if by_ref(tx, org_id, row.reference.trim()).is_ok() {
                return Err(StoreError::Conflict(format!(
                    "a customer with reference '{}' already exists",
                    row.reference.trim()
                )));
            }
            insert(
                tx,
                org_id,
                std::slice::from_ref(row),
                &Terms::Net { days: 30 },
                &now,
            )?;
            by_ref(tx, org_id, row.reference.trim())
        })
    }

    /// Adds a customer with what its invoices name — address and
    /// identifiers (`party`; its name, e-mail and phone are the row's) —
    /// and a first contact, in one transaction. Every field is checked
    /// first and every problem refused at once (`field: 'value' — reason`,
    /// a contact's fields named `contact_…`); nothing is written then.
    pub fn add_customer_with_party(
        &mut self,
        org_id: i64,
        row: &CustomerRow,
        party: &Party,
        contact: Option<&Contact>,
    ) -> Result<Customer, StoreError> {
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let currency = crate::credit_file::org_currency(&mut tx, org_id)?;
        let mut problems: Vec<String> = Vec::new();
        let mut checked = ImportErrors::default();
        check_customer(row, currency, &mut checked);
        for e in &checked.errors {
            let field = if e.column == "ref" {
                "reference"
            } else {
                e.column.as_str()
            };
            problems.push(format!("{field}: '{}' — {}", e.value, e.reason));
        }
        let named = Party {
            name: row.name.clone(),
            email: row.email.clone(),
            phone: row.phone.clone(),
            ..party.clone()
        };
        let party = match named.normalized() {
            Ok(p) => Some(p),
            Err(errors) => {
                // The row's own checks word its name, e-mail and phone.
                let reported: Vec<&str> =
                    checked.errors.iter().map(|e| e.column.as_str()).collect();
                problems.extend(
                    errors
                        .iter()
                        .filter(|e| !reported.contains(&e.field))
                        .map(|e| format!("{}: '{}' — {}", e.field, e.value, e.reason)),
                );
                None
            }
        };
        let contact = match contact.map(Contact::normalized).transpose() {
            Ok(c) => c,
            Err(errors) => {
                problems.extend(
                    errors
                        .iter()
                        .map(|e| format!("contact_{}: '{}' — {}", e.field, e.value, e.reason)),
                );
                None
            }
        };
        let Some(party) = party.filter(|_| problems.is_empty()) else {
            return Err(StoreError::Invalid(problems.join("; ")));
        };
        if by_ref(&mut tx, org_id, row.reference.trim()).is_ok() {
            return Err(StoreError::Conflict(format!(
                "reference: a customer with reference '{}' already exists",
                row.reference.trim()
            )));
        }
        let ids = insert(
            &mut tx,
            org_id,
            std::slice::from_ref(row),
            &Terms::Net { days: 30 },
            &now,
        )?;
        let id = *ids
            .first()
            .ok_or_else(|| StoreError::Corrupt("no id for the new customer".into()))?;
        crate::parties::write_address(&mut tx, org_id, id, &party)?;
        if let Some(contact) = &contact {
            crate::contacts::insert(&mut tx, org_id, id, contact, &now)?;
        }
        let customer = by_ref(&mut tx, org_id, row.reference.trim())?;
        tx.commit()?;
        Ok(customer)
    }

    pub fn customer(&mut self, org_id: i64, reference: &str) -> Result<Customer, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        by_ref(&mut tx, org_id, reference)
    }

    pub fn customers(&mut self, org_id: i64) -> Result<Vec<Customer>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            &format!("SELECT {COLUMNS} FROM customers WHERE org_id = $1 ORDER BY ref"),
            params![org_id],
            customer_from_row,
        )
    }

    /// Open amounts and unapplied credit per customer and currency, now.
    pub fn balances(&mut self, org_id: i64) -> Result<BTreeMap<i64, Vec<Balance>>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let mut out: BTreeMap<i64, BTreeMap<Currency, Balance>> = BTreeMap::new();
        let currency =
            |s: String| Currency::parse(&s).map_err(|e| StoreError::Corrupt(e.to_string()));
        tx.query_each(
            "SELECT customer_id, currency, CAST(SUM(open_minor) AS BIGINT), COUNT(*) FROM invoices
             WHERE org_id = $1 AND open_minor <> 0 GROUP BY customer_id, currency",
            params![org_id],
            |r| {
                let c = currency(r.string(1)?)?;
                let b = out
                    .entry(r.i64(0)?)
                    .or_default()
                    .entry(c)
                    .or_insert(Balance {
                        currency: c,
                        open_minor: 0,
                        credit_minor: 0,
                        open_invoices: 0,
                    });
                b.open_minor = r.i64(2)?;
                b.open_invoices = r.i64(3)?;
                Ok(())
            },
        )?;
        tx.query_each(
            "SELECT customer_id, currency, CAST(SUM(unallocated_minor) AS BIGINT) FROM payments
             WHERE org_id = $1 AND unallocated_minor <> 0 GROUP BY customer_id, currency",
            params![org_id],
            |r| {
                let c = currency(r.string(1)?)?;
                let b = out
                    .entry(r.i64(0)?)
                    .or_default()
                    .entry(c)
                    .or_insert(Balance {
                        currency: c,
                        open_minor: 0,
                        credit_minor: 0,
                        open_invoices: 0,
                    });
                b.credit_minor = r.i64(2)?;
                Ok(())
            },
        )?;
        Ok(out
            .into_iter()
            .map(|(id, m)| (id, m.into_values().collect()))
            .collect())
    }
}
