//! Whether a customer is a business or a consumer (`customers.debtor`,
//! migration 0017). A late-payment law's interest and compensation are for
//! businesses only; an unmarked customer is the policy's `default_debtor`.

use dun_core::collections::law::DebtorKind;
use dun_core::Date;

use crate::error::StoreError;
use crate::records::check_author;
use crate::timeline::{self, NewEntry};
use crate::{params, Store};

impl Store {
    /// Marks customer `reference` a business or consumer (`None`: back to
    /// the policy's default), with a timeline entry dated `on`.
    pub fn set_debtor(
        &mut self,
        org_id: i64,
        reference: &str,
        debtor: Option<DebtorKind>,
        on: Date,
        author: &str,
    ) -> Result<(), StoreError> {
        let author = check_author(author)?.to_string();
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let id = tx
            .query_opt(
                "UPDATE customers SET debtor = $3 WHERE org_id = $1 AND ref = $2 RETURNING id",
                params![org_id, reference, debtor.map(DebtorKind::as_str)],
                |r| r.i64(0),
            )?
            .ok_or_else(|| StoreError::not_found("customer", reference))?;
        let summary = match debtor {
            None => "marked as the policy's default debtor".to_string(),
            Some(DebtorKind::Business) => "marked a business".to_string(),
            Some(DebtorKind::Consumer) => {
                "marked a consumer: no statutory late-payment interest or compensation".to_string()
            }
        };
        timeline::log(
            &mut tx,
            org_id,
            &now,
            &NewEntry {
                customer_id: id,
                on_date: on,
                kind: "debtor_kind",
                author: &author,
                summary: &summary,
                detail: serde_json::json!({ "debtor": debtor.map(DebtorKind::as_str) }),
                invoice_ids: &[],
            },
        )?;
        tx.commit()?;
        Ok(())
    }
}
