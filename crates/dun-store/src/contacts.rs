//! A customer's contacts beyond its main e-mail and phone, each with a
//! role (`dun_core::customer`), and who its collection e-mails go to.
//! Adding or removing one is on the customer's timeline
//! (`customer_edited`, contact: before → after).

use dun_core::customer::{self, Contact, ContactRole, Recipients, CONTACTS_MAX};
use dun_core::party::PartyError;
use dun_core::Date;
use serde::{Deserialize, Serialize};

use crate::db::{Row, Tx};
use crate::records::locked_customer;
use crate::timeline::{self, NewEntry};
use crate::{idempotency, params, Store, StoreError};

/// A stored contact: its id (to remove it by) and what it says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredContact {
    pub id: i64,
    #[serde(flatten)]
    pub contact: Contact,
}

/// Refused fields as the customer edit words them (`field: 'value' —
/// reason`, each; the first field leads, for the API's problem).
pub(crate) fn refused(errors: &[PartyError]) -> StoreError {
    StoreError::Invalid(
        errors
            .iter()
            .map(|e| format!("{}: '{}' — {}", e.field, e.value, e.reason))
            .collect::<Vec<_>>()
            .join("; "),
    )
}

fn from_row(r: &Row<'_>) -> Result<StoredContact, StoreError> {
    let role = r.string(1)?;
    Ok(StoredContact {
        id: r.i64(0)?,
        contact: Contact {
            role: ContactRole::parse(&role)
                .map_err(|e| StoreError::Corrupt(format!("contact role: {e}")))?,
            name: r.opt_string(2)?,
            email: r.opt_string(3)?,
            phone: r.opt_string(4)?,
        },
    })
}

/// The customer's contacts, oldest first.
pub(crate) fn of_customer(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_id: i64,
) -> Result<Vec<StoredContact>, StoreError> {
    tx.query(
        "SELECT id, role, name, email, phone FROM customer_contacts
         WHERE org_id = $1 AND customer_id = $2 ORDER BY id",
        params![org_id, customer_id],
        from_row,
    )
}

/// Who the customer's collection e-mails go to now: its main e-mail and
/// its contacts, by `dun_core::customer::recipients`. The one place the
/// outbox, invoice sending and previews ask.
pub(crate) fn recipients_in(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_id: i64,
) -> Result<Recipients, StoreError> {
    let main = tx
        .query_opt(
            "SELECT email FROM customers WHERE org_id = $1 AND id = $2",
            params![org_id, customer_id],
            |r| r.opt_string(0),
        )?
        .ok_or_else(|| StoreError::not_found("customer", format!("#{customer_id}")))?;
    let contacts: Vec<Contact> = of_customer(tx, org_id, customer_id)?
        .into_iter()
        .map(|c| c.contact)
        .collect();
    Ok(customer::recipients(main.as_deref(), &contacts))
}

/// Writes a checked contact of customer `customer_id`; its id.
pub(crate) fn insert(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_id: i64,
    contact: &Contact,
    now: &str,
) -> Result<i64, StoreError> {
    tx.query_opt(
        "INSERT INTO customer_contacts (org_id, customer_id, role, name, email, phone, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        params![
            org_id,
            customer_id,
            contact.role.as_str(),
            contact.name.as_deref(),
            contact.email.as_deref(),
            contact.phone.as_deref(),
            now
        ],
        |r| r.i64(0),
    )?
    .ok_or_else(|| StoreError::Corrupt("no id for the new contact".into()))
}

fn log_contact_change(
    tx: &mut Tx<'_>,
    org_id: i64,
    customer_id: i64,
    (before, after): (&str, &str),
    on: Date,
    author: &str,
    now: &str,
) -> Result<(), StoreError> {
    timeline::log(
        tx,
        org_id,
        now,
        &NewEntry {
            customer_id,
            on_date: on,
            kind: "customer_edited",
            author,
            summary: &format!("Changed contact: {before} → {after}"),
            detail: serde_json::json!({"contact": {"before": before, "after": after}}),
            invoice_ids: &[],
        },
    )?;
    Ok(())
}

impl Store {
    /// Customer `reference`'s contacts, oldest first.
    pub fn contacts(
        &mut self,
        org_id: i64,
        reference: &str,
    ) -> Result<Vec<StoredContact>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let c = crate::customers::by_ref(&mut tx, org_id, reference.trim())?;
        of_customer(&mut tx, org_id, c.id)
    }

    /// Who customer `reference`'s collection e-mails go to now.
    pub fn recipients(&mut self, org_id: i64, reference: &str) -> Result<Recipients, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let c = crate::customers::by_ref(&mut tx, org_id, reference.trim())?;
        recipients_in(&mut tx, org_id, c.id)
    }

    /// Adds a contact to customer `reference` (checked, at most
    /// [`CONTACTS_MAX`]), on its timeline dated `on`.
    pub fn add_contact(
        &mut self,
        org_id: i64,
        reference: &str,
        contact: &Contact,
        on: Date,
        key: Option<&str>,
    ) -> Result<StoredContact, StoreError> {
        let contact = contact.normalized().map_err(|e| refused(&e))?;
        let now = self.now_utc();
        let author = self.acting();
        let tx = self.conn().transaction()?;
        idempotency::run(
            tx,
            org_id,
            key,
            "customer.contact_add",
            &(reference, &contact),
            &now,
            |tx| {
                let c = locked_customer(tx, org_id, reference)?;
                let existing = of_customer(tx, org_id, c.id)?;
                if existing.len() >= CONTACTS_MAX {
                    return Err(StoreError::Invalid(format!(
                        "contacts: customer {} has {} contacts, the most it may have ({CONTACTS_MAX}); remove one first",
                        c.reference,
                        existing.len()
                    )));
                }
                if existing.iter().any(|s| s.contact == contact) {
                    return Err(StoreError::Conflict(format!(
                        "contact: customer {} has {} already",
                        c.reference,
                        contact.describe()
                    )));
                }
                let id = insert(tx, org_id, c.id, &contact, &now)?;
                log_contact_change(
                    tx,
                    org_id,
                    c.id,
                    ("(none)", &contact.describe()),
                    on,
                    &author,
                    &now,
                )?;
                Ok(StoredContact {
                    id,
                    contact: contact.clone(),
                })
            },
        )
    }

    /// Removes contact `id` of customer `reference`, on its timeline dated `on`.
    pub fn remove_contact(
        &mut self,
        org_id: i64,
        reference: &str,
        id: i64,
        on: Date,
        key: Option<&str>,
    ) -> Result<StoredContact, StoreError> {
        let now = self.now_utc();
        let author = self.acting();
        let tx = self.conn().transaction()?;
        idempotency::run(
            tx,
            org_id,
            key,
            "customer.contact_remove",
            &(reference, id),
            &now,
            |tx| {
                let c = locked_customer(tx, org_id, reference)?;
                let Some(gone) = of_customer(tx, org_id, c.id)?
                    .into_iter()
                    .find(|s| s.id == id)
                else {
                    return Err(StoreError::not_found(
                        "contact",
                        format!("#{id} of customer {}", c.reference),
                    ));
                };
                tx.execute(
                    "DELETE FROM customer_contacts WHERE org_id = $1 AND customer_id = $2 AND id = $3",
                    params![org_id, c.id, id],
                )?;
                log_contact_change(
                    tx,
                    org_id,
                    c.id,
                    (&gone.contact.describe(), "(none)"),
                    on,
                    &author,
                    &now,
                )?;
                Ok(gone)
            },
        )
    }
}
