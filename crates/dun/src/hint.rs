//! What the command line adds to a refusal: the flag or command that acts
//! on it. The store and the domain refuse in words any shell can show
//! (a typed refusal, or a message led by its field); the CLI's own hint is
//! worded here, once.

use dun_core::collections::credit::CreditRefusal;
use dun_mail::attachments::DocumentError;
use dun_store::StoreError;

/// The CLI's hint for `error`, if it has one.
pub fn for_error(error: &anyhow::Error) -> Option<String> {
    if let Some(DocumentError::Draft { id }) = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<DocumentError>())
    {
        return Some(format!("issue it with `dun invoice issue '#{id}'`"));
    }
    let store = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<StoreError>())?;
    match store {
        StoreError::Refused(refused) => Some(match &refused.refusal {
            CreditRefusal::NoRate {
                currency,
                limit_currency,
                on,
            } => format!(
                "set the rate with `dun rates set {currency} {limit_currency} RATE --from {on}`, or issue anyway with --override-reason \"why\""
            ),
            _ => "issue it anyway with --override-reason \"why\" (kept on the customer's timeline with your name)".into(),
        }),
        StoreError::Invalid(message) if message.starts_with("override_reason:") => {
            Some("give the reason with --override-reason \"why\"".into())
        }
        _ => None,
    }
}
