//! Editing a customer: name, e-mail, phone, credit limit, terms, notes and
//! accepted payment methods (contacts: `contacts.rs`). Every
//! change is checked as a new customer's would be (`check_customer`) and
//! is on the customer's timeline with who changed what, before and after.

use dun_core::customer::{normalize_notes, PaymentMethod};
use dun_core::import::{CustomerRow, ImportErrors};
use dun_core::money::format_minor;
use dun_core::terms::Terms;
use dun_core::Date;
use serde::Serialize;

use crate::credit_file::org_currency;
use crate::customers::{by_ref, check_customer, Customer};
use crate::records::locked_customer;
use crate::timeline::{self, NewEntry};
use crate::{idempotency, params, Store, StoreError};

/// What a person changes on a customer: `None` leaves a field as it is;
/// `Some(None)` clears an optional one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CustomerEdit {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    /// In the organisation's currency.
    pub credit_limit_minor: Option<Option<i64>>,
    pub terms: Option<Terms>,
    /// Free text; `Some(None)` (or empty text) clears it.
    pub notes: Option<Option<String>>,
    /// `Some(None)` (or an empty list): any method.
    pub payment_methods: Option<Option<Vec<PaymentMethod>>>,
}

fn shown(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "(none)".to_string())
}

/// Most characters of a value a timeline summary shows (notes may be
/// long; the entry's detail keeps them whole).
const SUMMARY_VALUE_CHARS_MAX: usize = 80;

fn clipped(value: &str) -> String {
    let one_line = value.replace(['\n', '\r'], " ");
    if one_line.chars().count() <= SUMMARY_VALUE_CHARS_MAX {
        one_line
    } else {
        let mut s: String = one_line.chars().take(SUMMARY_VALUE_CHARS_MAX).collect();
        s.push('…');
        s
    }
}

impl Store {
    /// Changes customer `reference` as `edit` says, on day `on`.
    pub fn edit_customer(
        &mut self,
        org_id: i64,
        reference: &str,
        edit: &CustomerEdit,
        on: Date,
        key: Option<&str>,
    ) -> Result<Customer, StoreError> {
        let now = self.now_utc();
        let author = self.acting();
        let tx = self.conn().transaction()?;
        idempotency::run(
            tx,
            org_id,
            key,
            "customer.edit",
            &(reference, edit),
            &now,
            |tx| {
                let before = locked_customer(tx, org_id, reference)?;
                if !edit_in(tx, org_id, &before, edit, on, &author, &now)? {
                    return Err(StoreError::Invalid(format!(
                        "edit: nothing to change on {}; give a new name, email, phone, credit limit, terms, notes or payment methods",
                        before.reference
                    )));
                }
                by_ref(tx, org_id, &before.reference)
            },
        )
    }
}

/// Changes customer `before` (read under its lock) as `edit` says, inside
/// `tx`: checked as a new customer is, the changes on its timeline by
/// `author`, dated `on`. `false` when nothing would change (nothing is
/// written). What `edit_customer` and `import customers --update` do.
pub(crate) fn edit_in(
    tx: &mut crate::db::Tx<'_>,
    org_id: i64,
    before: &Customer,
    edit: &CustomerEdit,
    on: Date,
    author: &str,
    now: &str,
) -> Result<bool, StoreError> {
    let trimmed = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    let after = CustomerRow {
        row: 1,
        reference: before.reference.clone(),
        name: edit
            .name
            .as_deref()
            .map_or(before.name.clone(), |n| n.trim().to_string()),
        email: edit.email.as_ref().map_or(before.email.clone(), trimmed),
        phone: edit.phone.as_ref().map_or(before.phone.clone(), trimmed),
        credit_limit_minor: edit.credit_limit_minor.unwrap_or(before.credit_limit_minor),
        terms: Some(edit.terms.clone().unwrap_or_else(|| before.terms.clone())),
        notes: None,
        payment_methods: None,
    };
    let mut errors = ImportErrors::default();
    let currency = crate::credit_file::org_currency(tx, org_id)?;
    check_customer(&after, currency, &mut errors);
    if let Some(e) = errors.errors.first() {
        return Err(StoreError::Invalid(format!(
            "{}: '{}' — {}",
            e.column, e.value, e.reason
        )));
    }
    let notes = match &edit.notes {
        None => before.notes.clone(),
        Some(n) => normalize_notes(n.as_deref().unwrap_or(""))
            .map_err(|e| crate::contacts::refused(&[e]))?,
    };
    let methods = match &edit.payment_methods {
        None => before.payment_methods.clone(),
        // An empty list is no restriction, as stored.
        Some(m) => m
            .clone()
            .map(|mut ms| {
                ms.sort();
                ms.dedup();
                ms
            })
            .filter(|ms| !ms.is_empty()),
    };
    let currency = org_currency(tx, org_id)?;
    let limit = |l: Option<i64>| {
        l.map_or("(none)".to_string(), |m| {
            format!("{} {currency}", format_minor(m, currency))
        })
    };
    let terms = after.terms.clone().expect("set above");
    let mut changes: Vec<(&str, String, String)> = Vec::new();
    if after.name != before.name {
        changes.push(("name", before.name.clone(), after.name.clone()));
    }
    if after.email != before.email {
        changes.push(("email", shown(&before.email), shown(&after.email)));
    }
    if after.phone != before.phone {
        changes.push(("phone", shown(&before.phone), shown(&after.phone)));
    }
    if after.credit_limit_minor != before.credit_limit_minor {
        changes.push((
            "credit_limit",
            limit(before.credit_limit_minor),
            limit(after.credit_limit_minor),
        ));
    }
    if terms != before.terms {
        changes.push(("terms", before.terms.to_string(), terms.to_string()));
    }
    if notes != before.notes {
        changes.push(("notes", shown(&before.notes), shown(&notes)));
    }
    if methods != before.payment_methods {
        changes.push((
            "payment_methods",
            PaymentMethod::list_label(before.payment_methods.as_deref()),
            PaymentMethod::list_label(methods.as_deref()),
        ));
    }
    if changes.is_empty() {
        return Ok(false);
    }
    let terms_text = terms.to_string();
    let methods_text = PaymentMethod::list_text(methods.as_deref());
    tx.execute(
        "UPDATE customers SET name = $1, email = $2, phone = $3, credit_limit_minor = $4,
                    terms = $5, notes = $6, payment_methods = $7, lock_version = lock_version + 1
                 WHERE org_id = $8 AND id = $9",
        params![
            after.name.as_str(),
            after.email.as_deref(),
            after.phone.as_deref(),
            after.credit_limit_minor,
            terms_text.as_str(),
            notes.as_deref(),
            methods_text.as_deref(),
            org_id,
            before.id
        ],
    )?;
    let summary = format!(
        "Changed {}",
        changes
            .iter()
            .map(|(f, b, a)| format!("{}: {} → {}", f.replace('_', " "), clipped(b), clipped(a)))
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
    timeline::log(
        tx,
        org_id,
        now,
        &NewEntry {
            customer_id: before.id,
            on_date: on,
            kind: "customer_edited",
            author,
            summary: &summary,
            detail,
            invoice_ids: &[],
        },
    )?;
    Ok(true)
}
