//! Credit standing: a customer's status, and whether an invoice may be
//! issued to it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::money::format_minor;
use crate::Currency;

/// Most bytes of a reason a person gives for an override.
pub const OVERRIDE_REASON_BYTES_MAX: usize = 1000;

/// Whether a customer may be sold to on credit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerStatus {
    Active,
    /// Sell only for cash on delivery (placed by the policy or a person).
    CodRequired,
    /// No new invoices until a person lifts it.
    OnHold,
    DoNotServe,
}

impl CustomerStatus {
    pub const ALL: [CustomerStatus; 4] = [
        CustomerStatus::Active,
        CustomerStatus::CodRequired,
        CustomerStatus::OnHold,
        CustomerStatus::DoNotServe,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CustomerStatus::Active => "active",
            CustomerStatus::CodRequired => "cod_required",
            CustomerStatus::OnHold => "on_hold",
            CustomerStatus::DoNotServe => "do_not_serve",
        }
    }

    pub fn parse(text: &str) -> Option<CustomerStatus> {
        CustomerStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for CustomerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an invoice may not be issued without a person's override.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum CreditRefusal {
    #[error(
        "the customer is {status}; issuing needs an override with a reason (--override-reason)"
    )]
    Status { status: CustomerStatus },
    #[error("the customer would owe {exposure} {currency} against a credit limit of {limit} {currency}; issuing needs an override with a reason (--override-reason)")]
    OverLimit {
        currency: Currency,
        limit: String,
        exposure: String,
    },
    #[error("an override needs a reason of 1 to {OVERRIDE_REASON_BYTES_MAX} bytes")]
    Reason,
}

/// What a person overrode, to be logged with their reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreditOverride {
    pub refusal: String,
    pub reason: String,
}

/// Decides whether an invoice of `total_minor` may be issued to a customer
/// with `status`, a credit `limit_minor` in `currency` (if any) and
/// `open_minor` already owed in that currency. A refusal can be overridden
/// by a person with a reason; the override is returned to be logged.
pub fn check_issue(
    status: CustomerStatus,
    limit_minor: Option<i64>,
    open_minor: i64,
    total_minor: i64,
    currency: Currency,
    override_reason: Option<&str>,
) -> Result<Option<CreditOverride>, CreditRefusal> {
    let refusal = if status != CustomerStatus::Active {
        Some(CreditRefusal::Status { status })
    } else {
        limit_minor
            .filter(|limit| open_minor.saturating_add(total_minor) > *limit)
            .map(|limit| CreditRefusal::OverLimit {
                currency,
                limit: format_minor(limit, currency),
                exposure: format_minor(open_minor.saturating_add(total_minor), currency),
            })
    };
    match (refusal, override_reason) {
        (None, _) => Ok(None),
        (Some(r), Some(reason)) => {
            let reason = reason.trim();
            if reason.is_empty() || reason.len() > OVERRIDE_REASON_BYTES_MAX {
                return Err(CreditRefusal::Reason);
            }
            Ok(Some(CreditOverride {
                refusal: r.to_string(),
                reason: reason.to_string(),
            }))
        }
        (Some(r), None) => Err(r),
    }
}

#[cfg(test)]
// Minor units written as major_minor (100_00 is 100.00) read as money.
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_holds_refuse_unless_overridden() {
        let usd = Currency::parse("USD").unwrap();
        let active = CustomerStatus::Active;
        assert_eq!(
            check_issue(active, Some(1000), 600, 400, usd, None),
            Ok(None)
        );
        let over = check_issue(active, Some(1000), 600, 401, usd, None).unwrap_err();
        assert!(
            over.to_string()
                .contains("owe 10.01 USD against a credit limit of 10.00 USD"),
            "{over}"
        );
        let ok = check_issue(
            active,
            Some(1000),
            600,
            401,
            usd,
            Some("paid by card on delivery"),
        )
        .unwrap();
        assert_eq!(ok.unwrap().reason, "paid by card on delivery");
        assert!(matches!(
            check_issue(CustomerStatus::CodRequired, None, 0, 1, usd, None),
            Err(CreditRefusal::Status { .. })
        ));
        assert_eq!(
            check_issue(CustomerStatus::DoNotServe, None, 0, 1, usd, Some("  ")),
            Err(CreditRefusal::Reason)
        );
    }
}
