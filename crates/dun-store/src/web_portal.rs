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
