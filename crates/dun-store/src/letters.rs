//! Letters: what a step with the `letter` channel produces. The PDF is
//! rendered by `dun-mail` (`dun_mail::letters`) from the outbox message the
//! run queued; the store keeps it, puts it on the customer's timeline and
//! puts a task "print and post" on the worklist, all in one transaction and
//! once per message. A message whose only channel is `letter` is then done
//! (`sent`); one that also goes by e-mail carries the letter as attachment.

use dun_core::Date;
use serde::Serialize;

use crate::db::Tx;
use crate::error::StoreError;
use crate::outbox::{message_from_row, OutboxMessage, MESSAGE_COLUMNS};
use crate::timeline::{self, NewEntry};
use crate::{params, Store};

/// Most messages one call returns letters to make for.
pub const LETTERS_TO_MAKE_MAX: i64 = 1_000;

/// A letter kept for printing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Letter {
    pub outbox_id: i64,
    pub filename: String,
    #[serde(skip)]
    pub pdf: Vec<u8>,
    pub created_at: String,
}

fn to_hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

fn from_hex(text: &str) -> Result<Vec<u8>, StoreError> {
    if !text.len().is_multiple_of(2) {
        return Err(StoreError::Corrupt("a letter's bytes are cut short".into()));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&text[i..i + 2], 16)
                .map_err(|_| StoreError::Corrupt("a letter's bytes are not hex".into()))
        })
        .collect()
}

fn letters_of(tx: &mut Tx<'_>, org_id: i64, outbox_id: i64) -> Result<Vec<Letter>, StoreError> {
    tx.query(
        "SELECT outbox_id, filename, pdf_hex, created_at FROM letters
         WHERE org_id = $1 AND outbox_id = $2 ORDER BY filename",
        params![org_id, outbox_id],
        |r| {
            Ok(Letter {
                outbox_id: r.i64(0)?,
                filename: r.string(1)?,
                pdf: from_hex(&r.string(2)?)?,
                created_at: r.string(3)?,
            })
        },
    )
}

impl Store {
    /// Pending messages with the `letter` channel whose letter is not made
    /// yet, oldest first. Only pending ones: a message sent before letters
    /// were made (a book from an earlier version) does not turn into a
    /// letter to print months later; `dun outbox letter ID` still makes one.
    pub fn letters_to_make(&mut self, org_id: i64) -> Result<Vec<OutboxMessage>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            &format!(
                "SELECT {MESSAGE_COLUMNS}
                 FROM outbox o JOIN customers c ON c.org_id = o.org_id AND c.id = o.customer_id
                 WHERE o.org_id = $1 AND o.status = 'pending' AND o.channels LIKE '%\"letter\"%'
                   AND NOT EXISTS (SELECT 1 FROM letters l WHERE l.org_id = o.org_id AND l.outbox_id = o.id)
                 ORDER BY o.id LIMIT $2"
            ),
            params![org_id, LETTERS_TO_MAKE_MAX],
            message_from_row,
        )
    }

    /// The letters made for message `outbox_id` (none yet: empty).
    pub fn letters(&mut self, org_id: i64, outbox_id: i64) -> Result<Vec<Letter>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        letters_of(&mut tx, org_id, outbox_id)
    }

    /// Keeps the letters (file name, PDF) rendered for message
    /// `outbox_id`, with a timeline entry and a task to print and post them;
    /// a letter-only message is then `sent`. Done once: if the message has
    /// its letters already, nothing is written and those are returned.
    pub fn save_letters(
        &mut self,
        org_id: i64,
        outbox_id: i64,
        files: &[(String, Vec<u8>)],
        now: &str,
        today: Date,
    ) -> Result<Vec<Letter>, StoreError> {
        let mut tx = self.conn().transaction()?;
        let m: OutboxMessage = crate::delivery::locked_message(&mut tx, org_id, outbox_id)?;
        crate::customers::lock(&mut tx, org_id, m.customer_id)?;
        let existing = letters_of(&mut tx, org_id, outbox_id)?;
        if !existing.is_empty() || files.is_empty() {
            tx.commit()?;
            return Ok(existing);
        }
        if m.status == "dropped" {
            return Err(StoreError::Invalid(format!(
                "message #{outbox_id} was dropped, so it has no letter: {}",
                m.last_error
                    .as_deref()
                    .unwrap_or("nothing in it is owed any more")
            )));
        }
        // Send-time truth: a reminder still waiting is re-checked before its
        // letter is kept. Dropped, or re-worded since these files were
        // written from it: none is kept (the next pass writes the letter
        // from the message as it stands).
        let rechecked = crate::recheck::recheck_message(&mut tx, org_id, m.clone(), today)?;
        if rechecked.changed {
            crate::recheck::settle(&mut tx, org_id, &rechecked, now, today)?;
            tx.commit()?;
            return Ok(Vec::new());
        }
        for (filename, pdf) in files {
            tx.execute(
                "INSERT INTO letters (org_id, outbox_id, filename, customer_id, pdf_hex, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                params![
                    org_id,
                    outbox_id,
                    filename.as_str(),
                    m.customer_id,
                    to_hex(pdf).as_str(),
                    now
                ],
            )?;
        }
        let mut ids: Vec<i64> = m.detail["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["invoice_id"].as_i64())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let names: Vec<&str> = files.iter().map(|(f, _)| f.as_str()).collect();
        let title = format!(
            "Print and post the {} letter to {} ({}): {} (message #{outbox_id} in the outbox)",
            m.template,
            m.customer_name,
            m.customer_ref,
            names.join(", ")
        );
        let mut end = title.len().min(crate::worklist::TASK_TITLE_CHARS_MAX);
        while !title.is_char_boundary(end) {
            end -= 1;
        }
        let title = &title[..end];
        tx.execute(
            "INSERT INTO tasks (org_id, customer_id, kind, title, due_date, status, invoice_ids,
                proposals, created_by, outcome, created_at, closed_at)
             VALUES ($1, $2, 'letter', $3, $4, 'open', $5, '[]', 'letters', NULL, $6, NULL)",
            params![
                org_id,
                m.customer_id,
                title,
                i64::from(today.day_number()),
                serde_json::to_string(&ids)?.as_str(),
                now
            ],
        )?;
        timeline::log(
            &mut tx,
            org_id,
            now,
            &NewEntry {
                customer_id: m.customer_id,
                on_date: today,
                kind: "letter",
                author: "letters",
                summary: &format!(
                    "Letter ({}) written for printing and posting: {}",
                    m.template,
                    names.join(", ")
                ),
                detail: serde_json::json!({
                    "outbox_id": outbox_id,
                    "template": m.template,
                    "files": names,
                }),
                invoice_ids: &ids,
            },
        )?;
        if !m.channels.iter().any(|c| c == "email") {
            tx.execute(
                "UPDATE outbox SET status = 'sent', sent_at = $3
                 WHERE org_id = $1 AND id = $2 AND status = 'pending'",
                params![org_id, outbox_id, now],
            )?;
        }
        let saved = letters_of(&mut tx, org_id, outbox_id)?;
        tx.commit()?;
        Ok(saved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_through_hex() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(from_hex(&to_hex(&bytes)).unwrap(), bytes);
        assert!(from_hex("abc").is_err());
        assert!(from_hex("zz").is_err());
    }
}
