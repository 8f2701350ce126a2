//! What the customer portal reads that no other caller needs: the
//! customer a verified portal token names, by its id.
//!
//! *Invariant:* every query is scoped by the organisation *and* the
//! customer the token names, so a portal page can reach nothing else.

use crate::customers::{customer_from_row, Customer, COLUMNS};
use crate::error::StoreError;
use crate::{params, Store};

impl Store {
    /// The customer `customer_id` of the organisation `org_id` (a portal
    /// token names both).
    pub fn customer_by_id(
        &mut self,
        org_id: i64,
        customer_id: i64,
    ) -> Result<Customer, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query_opt(
            &format!("SELECT {COLUMNS} FROM customers WHERE org_id = $1 AND id = $2"),
            params![org_id, customer_id],
            customer_from_row,
        )?
        .ok_or_else(|| StoreError::not_found("customer", format!("#{customer_id}")))
    }
}

impl Store {
    /// Logs on a customer's timeline (kind `override`) that a person gave
    /// them their own terms in the policy: `version` is the policy version
    /// that carries it.
    #[allow(clippy::too_many_arguments)]
    pub fn log_policy_override(
        &mut self,
        org_id: i64,
        reference: &str,
        version: i64,
        summary: &str,
        detail: serde_json::Value,
        on: dun_core::Date,
        author: &str,
    ) -> Result<i64, StoreError> {
        let author = crate::records::check_author(author)?;
        let now = crate::clock::now_utc();
        let mut tx = self.conn().transaction()?;
        let customer = crate::records::locked_customer(&mut tx, org_id, reference)?;
        let id = crate::timeline::log(
            &mut tx,
            org_id,
            &now,
            &crate::timeline::NewEntry {
                customer_id: customer.id,
                on_date: on,
                kind: "override",
                author,
                summary,
                detail: serde_json::json!({ "policy_version": version, "override": detail }),
                invoice_ids: &[],
            },
        )?;
        tx.commit()?;
        Ok(id)
    }
}
