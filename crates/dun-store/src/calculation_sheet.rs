//! The calculation sheet of an invoice under the policy's late-payment law
//! (dun-core `law::calculation_sheet`), read in one snapshot: the invoice
//! and its entries, the policy in force, the reference rates (shipped and
//! imported) and whether the customer is a business.

use dun_core::collections::law::{calculation_sheet, CalculationSheet, DebtorKind};
use dun_core::party::Party;
use dun_core::{Currency, Date};
use serde::Serialize;

use crate::{entries, invoices, params, parties, policies, reference_rates, Store, StoreError};

/// An invoice's calculation sheet with what names it.
#[derive(Clone, Debug, Serialize)]
pub struct InvoiceSheet {
    pub invoice: String,
    pub customer_ref: String,
    pub currency: Currency,
    pub as_of: Date,
    pub sheet: CalculationSheet,
    /// The creditor and the debtor, as the sheet's PDF names them.
    #[serde(skip)]
    pub creditor: Party,
    #[serde(skip)]
    pub debtor: Party,
}

impl Store {
    /// The calculation sheet of invoice `number` as of `as_of`.
    pub fn calculation_sheet(
        &mut self,
        org_id: i64,
        number: &str,
        as_of: Date,
    ) -> Result<InvoiceSheet, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let id = invoices::find(&mut tx, org_id, number)?;
        let invoice = entries::invoice_state(&mut tx, org_id, id)?;
        let (_, policy) = policies::in_force(&mut tx, org_id)?;
        if policy.law.is_none() {
            return Err(StoreError::Conflict(
                "law: the policy names no late-payment law (law = \"none\"), so no statutory interest runs; name one with a `law = \"…\"` line at the top of the policy".into(),
            ));
        }
        let (customer_ref, debtor) = tx
            .query_opt(
                "SELECT ref, debtor FROM customers WHERE org_id = $1 AND id = $2",
                params![org_id, invoice.customer_id],
                |r| Ok((r.string(0)?, r.opt_string(1)?)),
            )?
            .ok_or_else(|| {
                StoreError::not_found("customer", format!("#{}", invoice.customer_id))
            })?;
        let debtor = debtor.as_deref().and_then(DebtorKind::parse);
        if !policy.law_applies_to(debtor) {
            return Err(StoreError::Invalid(format!(
                "invoice: {customer_ref} is a consumer; the law charges businesses only, so {} bears no statutory interest",
                invoice.number
            )));
        }
        let rates = reference_rates::reference_rates(&mut tx, org_id)?;
        let (creditor, _) = parties::seller_in(&mut tx, org_id)?;
        let debtor = parties::buyer_in(&mut tx, org_id, invoice.customer_id)?;
        tx.commit()?;
        let sheet = calculation_sheet(
            policy.law,
            &rates,
            &invoice,
            policy.payments.allocation,
            as_of,
            invoice.ladder_from,
        )
        .map_err(|unknown| StoreError::Invalid(format!("rates: {unknown}")))?;
        Ok(InvoiceSheet {
            invoice: invoice.number.clone(),
            customer_ref,
            currency: invoice.currency,
            as_of,
            sheet,
            creditor,
            debtor,
        })
    }
}
