//! E-mailing a credit note to its customer: queued in the outbox as a
//! `credit_note` message (the delivery worker attaches its PDF and, when
//! the organisation's details make one, its UBL credit note), on the
//! customer's timeline. Sending again queues another message.

use dun_core::Date;
use serde::{Deserialize, Serialize};

use crate::outbox::{self, MessageKind, NewMessage};
use crate::timeline::{self, NewEntry};
use crate::{idempotency, params, Store, StoreError};

/// A credit note on an invoice, as the invoice's page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditNoteBrief {
    pub number: String,
    pub issue_date: Date,
    pub amount_minor: i64,
    pub reason: String,
}

/// Most credit notes of one invoice its page lists.
pub const CREDIT_NOTES_LISTED_MAX: i64 = 50;

/// A credit note queued for e-mail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditNoteSent {
    pub message_id: i64,
    pub number: String,
    /// The invoice it credits.
    pub invoice: String,
    pub email: String,
}

impl Store {
    /// The credit notes on invoice `invoice_id`, in the order issued.
    pub fn credit_notes_on(
        &mut self,
        org_id: i64,
        invoice_id: i64,
    ) -> Result<Vec<CreditNoteBrief>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            "SELECT number, issue_date, amount_minor, reason FROM credit_notes
             WHERE org_id = $1 AND invoice_id = $2 ORDER BY id LIMIT $3",
            params![org_id, invoice_id, CREDIT_NOTES_LISTED_MAX],
            |r| {
                Ok(CreditNoteBrief {
                    number: r.string(0)?,
                    issue_date: Date::from_day_number(r.i64(1)? as i32),
                    amount_minor: r.i64(2)?,
                    reason: r.string(3)?,
                })
            },
        )
    }

    /// Queues credit note `number` for e-mail to its customer.
    pub fn send_credit_note(
        &mut self,
        org_id: i64,
        number: &str,
        today: Date,
        key: Option<&str>,
    ) -> Result<CreditNoteSent, StoreError> {
        let now = self.now_utc();
        let author = self.acting();
        let tx = self.conn().transaction()?;
        idempotency::run(
            tx,
            org_id,
            key,
            "credit_note.send",
            &(number, today),
            &now,
            |tx| {
                let found = tx.query_opt(
                    "SELECT n.invoice_id, n.customer_id, i.number, c.ref FROM credit_notes n
                     JOIN invoices i ON i.org_id = n.org_id AND i.id = n.invoice_id
                     JOIN customers c ON c.org_id = n.org_id AND c.id = n.customer_id
                     WHERE n.org_id = $1 AND n.number = $2",
                    params![org_id, number.trim()],
                    |r| {
                        Ok((
                            r.i64(0)?,
                            r.i64(1)?,
                            r.opt_string(2)?.unwrap_or_default(),
                            r.string(3)?,
                        ))
                    },
                )?;
                let Some((invoice_id, customer_id, invoice, reference)) = found else {
                    return Err(StoreError::not_found("credit note", number));
                };
                // The customer's main address, billing contacts and accounts
                // payable, as every collection e-mail (contacts.rs).
                let recipients = crate::contacts::recipients_in(tx, org_id, customer_id)?;
                if recipients.is_empty() {
                    return Err(StoreError::Conflict(format!(
                        "email: customer {reference} has no e-mail address to send {number} to (give the customer an e-mail address or a billing contact)"
                    )));
                }
                let email = recipients.to_text();
                let number = number.trim().to_string();
                let message_id = outbox::enqueue(
                    tx,
                    org_id,
                    &NewMessage {
                        customer_id,
                        kind: MessageKind::CreditNote,
                        invoice_id: Some(invoice_id),
                        period: None,
                        template: "credit_note".to_string(),
                        detail: serde_json::json!({
                            "number": number,
                            "invoice": invoice,
                            "sent_by": author,
                        }),
                        as_of: today,
                    },
                    &now,
                )?;
                timeline::log(
                    tx,
                    org_id,
                    &now,
                    &NewEntry {
                        customer_id,
                        on_date: today,
                        kind: "credit_note_sent",
                        author: &author,
                        summary: &format!(
                            "Credit note {number} (on {invoice}) queued for e-mail to {email}"
                        ),
                        detail: serde_json::json!({ "message_id": message_id }),
                        invoice_ids: &[invoice_id],
                    },
                )?;
                Ok(CreditNoteSent {
                    message_id,
                    number,
                    invoice,
                    email,
                })
            },
        )
    }
}
