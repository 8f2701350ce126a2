//! Online payment's pure rules (issue 19): what a pay request from the
//! portal covers, and how a payment that arrives for named invoices is
//! split among them. The provider (Stripe), its signatures and its events
//! are the shell's; these rules know only invoices and amounts.

use crate::Currency;

/// Invoice numbers one online payment may name (they travel in the
/// provider's metadata, whose values are at most 500 characters).
pub const PAY_INVOICES_MAX: usize = 20;

/// An open invoice as a pay request sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payable {
    pub number: String,
    pub currency: Currency,
    pub open_minor: i64,
}

/// What the customer asked to pay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayChoice {
    /// One invoice, by number.
    Invoice(String),
    /// Everything open (in one currency).
    Balance,
}

/// What one online payment covers: its amount and the invoices it pays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayRequest {
    pub currency: Currency,
    pub amount_minor: i64,
    pub invoices: Vec<String>,
}

/// Why a pay request covers nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PayRefusal {
    #[error("invoice: '{0}' is not one of your open invoices")]
    NotOpen(String),
    #[error("nothing is open to pay")]
    NothingOpen,
    #[error(
        "invoice: your open invoices are in {0}; pay them one at a time (one payment is in one currency)"
    )]
    SeveralCurrencies(String),
    #[error("invoice: at most {PAY_INVOICES_MAX} invoices are paid at once online; you have {0} open — pay them one at a time")]
    TooMany(usize),
}

/// The amount and invoices a pay request covers: one invoice's open
/// amount, or everything open when it is all in one currency. Invoices
/// with nothing open are never named.
pub fn pay_request(open: &[Payable], choice: &PayChoice) -> Result<PayRequest, PayRefusal> {
    let open: Vec<&Payable> = open.iter().filter(|p| p.open_minor > 0).collect();
    match choice {
        PayChoice::Invoice(number) => {
            let p = open
                .iter()
                .find(|p| p.number == *number)
                .ok_or_else(|| PayRefusal::NotOpen(number.clone()))?;
            Ok(PayRequest {
                currency: p.currency,
                amount_minor: p.open_minor,
                invoices: vec![p.number.clone()],
            })
        }
        PayChoice::Balance => {
            let first = open.first().ok_or(PayRefusal::NothingOpen)?;
            let mut currencies: Vec<&str> = open.iter().map(|p| p.currency.code()).collect();
            currencies.sort_unstable();
            currencies.dedup();
            if currencies.len() > 1 {
                return Err(PayRefusal::SeveralCurrencies(currencies.join(", ")));
            }
            if open.len() > PAY_INVOICES_MAX {
                return Err(PayRefusal::TooMany(open.len()));
            }
            Ok(PayRequest {
                currency: first.currency,
                amount_minor: open.iter().map(|p| p.open_minor).sum(),
                invoices: open.iter().map(|p| p.number.clone()).collect(),
            })
        }
    }
}

/// How a payment of `amount_minor` that names invoices is split among
/// them: each, in the order named, takes what is still open on it (an
/// invoice settled meanwhile takes nothing); what is left is the
/// customer's credit. `named` holds each invoice's id and open amount now.
pub fn split_among(amount_minor: i64, named: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut left = amount_minor.max(0);
    let mut out = Vec::new();
    for &(id, open) in named {
        if left == 0 {
            break;
        }
        let take = open.max(0).min(left);
        if take > 0 && !out.iter().any(|(seen, _)| *seen == id) {
            out.push((id, take));
            left -= take;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payable(number: &str, code: &str, open: i64) -> Payable {
        Payable {
            number: number.into(),
            currency: Currency::parse(code).unwrap(),
            open_minor: open,
        }
    }

    #[test]
    fn one_invoice_is_its_open_amount() {
        let open = [payable("INV-1", "EUR", 1000), payable("INV-2", "EUR", 250)];
        let r = pay_request(&open, &PayChoice::Invoice("INV-2".into())).unwrap();
        assert_eq!(r.amount_minor, 250);
        assert_eq!(r.invoices, vec!["INV-2"]);
        assert_eq!(r.currency.code(), "EUR");
    }

    #[test]
    fn an_invoice_not_open_is_refused() {
        let open = [payable("INV-1", "EUR", 0)];
        assert_eq!(
            pay_request(&open, &PayChoice::Invoice("INV-1".into())),
            Err(PayRefusal::NotOpen("INV-1".into()))
        );
        assert_eq!(
            pay_request(&open, &PayChoice::Balance),
            Err(PayRefusal::NothingOpen)
        );
    }

    #[test]
    fn the_balance_is_everything_open_in_one_currency() {
        let open = [
            payable("INV-1", "USD", 1000),
            payable("INV-2", "USD", 0),
            payable("INV-3", "USD", 5),
        ];
        let r = pay_request(&open, &PayChoice::Balance).unwrap();
        assert_eq!(r.amount_minor, 1005);
        assert_eq!(r.invoices, vec!["INV-1", "INV-3"]);
    }

    #[test]
    fn the_balance_in_several_currencies_is_refused() {
        let open = [payable("INV-1", "USD", 1000), payable("INV-2", "EUR", 10)];
        assert_eq!(
            pay_request(&open, &PayChoice::Balance),
            Err(PayRefusal::SeveralCurrencies("EUR, USD".into()))
        );
    }

    #[test]
    fn too_many_invoices_are_refused() {
        let open: Vec<Payable> = (0..=PAY_INVOICES_MAX)
            .map(|i| payable(&format!("INV-{i}"), "USD", 1))
            .collect();
        assert_eq!(
            pay_request(&open, &PayChoice::Balance),
            Err(PayRefusal::TooMany(PAY_INVOICES_MAX + 1))
        );
    }

    #[test]
    fn a_payment_is_split_in_the_order_named_and_the_rest_is_credit() {
        assert_eq!(
            split_among(1500, &[(1, 1000), (2, 0), (3, 800)]),
            vec![(1, 1000), (3, 500)]
        );
        assert_eq!(split_among(100, &[(1, 0), (2, 0)]), vec![]);
        assert_eq!(split_among(100, &[(1, 40), (1, 40)]), vec![(1, 40)]);
        assert_eq!(split_among(0, &[(1, 40)]), vec![]);
    }
}
