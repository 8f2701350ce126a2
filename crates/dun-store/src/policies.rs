//! The credit policy's versions: each organisation's policy is a document,
//! and every change to it is a new numbered version with who, when and what
//! changed. Versions are only ever inserted.
//!
//! Version 1 is Dun's default policy, written when the organisation is
//! created (or, for an organisation older than policies, the first time its
//! policy is read). `apply_policy` takes the organisation's row lock before
//! it reads the current version, so two writers at once get N+1 and N+2.

use dun_core::collections::document::{self, DEFAULT_POLICY};
use dun_core::collections::policy::{CustomerOverride, Policy};
use dun_core::Date;
use serde::{Deserialize, Serialize};

use crate::db::{Row, Tx};
use crate::error::StoreError;
use crate::invoices::check_reason_chars;
use crate::records::check_author;
use crate::{idempotency, params, Store};

/// Longest author name kept with a version, in bytes.
pub use crate::records::AUTHOR_CHARS_MAX;
/// Who wrote version 1, the default policy.
pub const DEFAULT_AUTHOR: &str = "dun init";
/// What version 1 changed.
const DEFAULT_CHANGES: &str = "Dun's default policy";

/// One version of the policy, as stored and as parsed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyVersion {
    pub version: i64,
    /// The document as its author wrote it, notes and all.
    pub document: String,
    pub policy: Policy,
    /// What this version changed from the one before, in sentences.
    pub changes: Vec<String>,
    pub author: String,
    /// When it was made, UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub created_at: String,
}

/// A version without its document: a line of the history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersionSummary {
    pub version: i64,
    pub changes: Vec<String>,
    pub author: String,
    pub created_at: String,
}

/// What a repeated idempotency key is compared on.
#[derive(Serialize)]
struct ApplyRequest<'a> {
    document: &'a str,
    author: &'a str,
}

const COLUMNS: &str = "version, document, changes, author, created_at";

fn version_from_row(r: &Row<'_>) -> Result<PolicyVersion, StoreError> {
    let version = r.i64(0)?;
    let document = r.string(1)?;
    let policy = document::parse(&document).map_err(|errors| {
        StoreError::Corrupt(format!(
            "policy version {version} no longer reads: {}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })?;
    Ok(PolicyVersion {
        version,
        document,
        policy,
        changes: serde_json::from_str(&r.string(2)?)?,
        author: r.string(3)?,
        created_at: r.string(4)?,
    })
}

fn summary_from_row(r: &Row<'_>) -> Result<PolicyVersionSummary, StoreError> {
    Ok(PolicyVersionSummary {
        version: r.i64(0)?,
        changes: serde_json::from_str(&r.string(1)?)?,
        author: r.string(2)?,
        created_at: r.string(3)?,
    })
}

/// Writes version 1, the default policy, unless the organisation has a
/// version already. Call it holding the organisation's row lock (or inside
/// the transaction that creates the organisation).
pub(crate) fn insert_default(tx: &mut Tx<'_>, org_id: i64, now: &str) -> Result<(), StoreError> {
    let changes = serde_json::to_string(&[DEFAULT_CHANGES])?;
    tx.execute(
        "INSERT INTO policy_versions (org_id, version, document, changes, author, created_at)
         VALUES ($1, 1, $2, $3, $4, $5) ON CONFLICT (org_id, version) DO NOTHING",
        params![
            org_id,
            DEFAULT_POLICY,
            changes.as_str(),
            DEFAULT_AUTHOR,
            now
        ],
    )?;
    Ok(())
}

fn latest(tx: &mut Tx<'_>, org_id: i64) -> Result<Option<PolicyVersion>, StoreError> {
    tx.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM policy_versions WHERE org_id = $1 ORDER BY version DESC LIMIT 1"
        ),
        params![org_id],
        version_from_row,
    )
}

/// The latest version under the organisation's lock (version 1, Dun's
/// default, written first if the organisation has none).
fn locked_latest(tx: &mut Tx<'_>, org_id: i64, now: &str) -> Result<PolicyVersion, StoreError> {
    crate::orgs::lock(tx, org_id)?;
    insert_default(tx, org_id, now)?;
    latest(tx, org_id)?
        .ok_or_else(|| StoreError::Corrupt("the default policy was not written".into()))
}

/// Writes `text` (read as `policy`) as the version after `current`;
/// refused when it says the same as `current`. Returns the new version.
fn insert_version(
    tx: &mut Tx<'_>,
    org_id: i64,
    current: &PolicyVersion,
    text: &str,
    policy: &Policy,
    author: &str,
    now: &str,
) -> Result<i64, StoreError> {
    if current.policy == *policy {
        return Err(StoreError::Invalid(format!(
            "the document changes nothing: version {} in force says the same (notes aside); nothing was written",
            current.version
        )));
    }
    let mut changes = document::summarize_changes(&current.policy, policy);
    if changes.is_empty() {
        changes.push("the policy changed".into());
    }
    let version = current.version + 1;
    tx.execute(
        "INSERT INTO policy_versions (org_id, version, document, changes, author, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        params![
            org_id,
            version,
            text,
            serde_json::to_string(&changes)?.as_str(),
            author,
            now
        ],
    )?;
    Ok(version)
}

/// The policy in force inside a transaction that may not write: the
/// latest version, or Dun's default as version 1 (what `create_org` writes)
/// for an organisation that has none saved yet.
pub(crate) fn in_force(tx: &mut Tx<'_>, org_id: i64) -> Result<(i64, Policy), StoreError> {
    let latest = tx.query_opt(
        "SELECT version, document FROM policy_versions WHERE org_id = $1 ORDER BY version DESC LIMIT 1",
        params![org_id],
        |r| Ok((r.i64(0)?, r.string(1)?)),
    )?;
    let (version, text) = latest.unwrap_or((1, DEFAULT_POLICY.to_string()));
    let policy = document::parse(&text).map_err(|errors| {
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        StoreError::Corrupt(format!(
            "policy version {version} no longer reads: {}",
            errors.join("; ")
        ))
    })?;
    Ok((version, policy))
}

impl Store {
    /// The policy in force: the organisation's latest version.
    pub fn policy(&mut self, org_id: i64) -> Result<PolicyVersion, StoreError> {
        self.ensure_policy(org_id)?;
        let mut tx = self.conn().read_transaction()?;
        latest(&mut tx, org_id)?
            .ok_or_else(|| StoreError::not_found("policy of organisation", format!("#{org_id}")))
    }

    /// One version of the organisation's policy.
    pub fn policy_version(
        &mut self,
        org_id: i64,
        version: i64,
    ) -> Result<PolicyVersion, StoreError> {
        self.ensure_policy(org_id)?;
        let mut tx = self.conn().read_transaction()?;
        tx.query_opt(
            &format!("SELECT {COLUMNS} FROM policy_versions WHERE org_id = $1 AND version = $2"),
            params![org_id, version],
            version_from_row,
        )?
        .ok_or_else(|| StoreError::not_found("policy version", version))
    }

    /// The policy version invoice `invoice` (its number, or `#id`) was
    /// issued under, whose late-payment terms its document prints: the one
    /// recorded at issue; for an invoice issued before versions were
    /// recorded, the latest made on or before its issue date; else (and for
    /// a draft, which records the version in force when issued) the current.
    pub fn invoice_policy(
        &mut self,
        org_id: i64,
        invoice: &str,
    ) -> Result<PolicyVersion, StoreError> {
        let version = {
            let mut tx = self.conn().read_transaction()?;
            let id = crate::invoices::find(&mut tx, org_id, invoice)?;
            let (recorded, issued, status) = tx
                .query_opt(
                    "SELECT policy_version, issue_date, status FROM invoices WHERE org_id = $1 AND id = $2",
                    params![org_id, id],
                    |r| Ok((r.opt_i64(0)?, r.i64(1)?, r.string(2)?)),
                )?
                .ok_or_else(|| StoreError::not_found("invoice", invoice))?;
            match recorded {
                Some(v) => Some(v),
                None if status != "draft" => {
                    let issued = dun_core::Date::from_day_number(issued as i32);
                    tx.query_opt(
                        "SELECT MAX(version) FROM policy_versions WHERE org_id = $1 AND created_at <= $2",
                        params![org_id, format!("{issued}T23:59:59Z").as_str()],
                        |r| r.opt_i64(0),
                    )?
                    .flatten()
                }
                None => None,
            }
        };
        match version {
            Some(v) => self.policy_version(org_id, v),
            None => self.policy(org_id),
        }
    }

    /// Every version of the organisation's policy, oldest first.
    pub fn policy_versions(
        &mut self,
        org_id: i64,
    ) -> Result<Vec<PolicyVersionSummary>, StoreError> {
        self.ensure_policy(org_id)?;
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            "SELECT version, changes, author, created_at FROM policy_versions
             WHERE org_id = $1 ORDER BY version",
            params![org_id],
            summary_from_row,
        )
    }

    /// Makes `text` the policy in force as a new version by `author`.
    ///
    /// Refused, with nothing written: a document with problems (every one,
    /// with its line: [`StoreError::PolicyDocument`]), and a document that
    /// changes nothing. A repeated `key` returns the version it made.
    pub fn apply_policy(
        &mut self,
        org_id: i64,
        text: &str,
        author: &str,
        key: Option<&str>,
    ) -> Result<PolicyVersion, StoreError> {
        let policy = document::parse(text).map_err(StoreError::PolicyDocument)?;
        let author = check_author(author)?;
        let now = self.now_utc();
        let request = ApplyRequest {
            document: text,
            author,
        };
        let tx = self.conn().transaction()?;
        let version = idempotency::run(tx, org_id, key, "policy.apply", &request, &now, |tx| {
            let current = locked_latest(tx, org_id, &now)?;
            insert_version(tx, org_id, &current, text, &policy, author, &now)
        })?;
        self.policy_version(org_id, version)
    }

    /// Gives customer `added.reference` their own rules: the policy in
    /// force with a `[[customer]]` table appended (the owner's notes kept),
    /// as a new version by `author`, and logged on the customer's timeline
    /// as `override` — in one transaction, under the organisation's lock.
    ///
    /// Refused, with nothing written: an unknown customer, a reason that is
    /// empty or longer than [`dun_core::REASON_CHARS_MAX`] characters, an
    /// override that changes nothing, a customer that has an override in
    /// the version in force (a conflict), and one the policy refuses
    /// ([`StoreError::PolicyDocument`]).
    pub fn add_customer_override(
        &mut self,
        org_id: i64,
        added: &CustomerOverride,
        on: Date,
        author: &str,
    ) -> Result<PolicyVersion, StoreError> {
        let author = check_author(author)?;
        if added.reason.trim().is_empty() {
            return Err(StoreError::Invalid(
                "reason: say why this customer has their own rules".into(),
            ));
        }
        check_reason_chars("reason", &added.reason)?;
        if added.terms.is_none()
            && added.credit_limit.is_none()
            && !added.pause
            && added.ladder_shift_days == 0
        {
            return Err(StoreError::Invalid(
                "override: give at least one change: terms, a credit limit, later ladder steps or no reminders".into(),
            ));
        }
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let current = locked_latest(&mut tx, org_id, &now)?;
        let customer = crate::customers::by_ref(&mut tx, org_id, &added.reference)?;
        let added = CustomerOverride {
            reference: customer.reference.clone(),
            ..added.clone()
        };
        if current.policy.override_for(&customer.reference).is_some() {
            return Err(StoreError::Conflict(format!(
                "override: {} already has an override in policy version {}; change it in the policy document",
                customer.reference, current.version
            )));
        }
        let text = document::append_override(
            &current.document,
            &added,
            &format!("Added for {} by {author} on {on}.", customer.reference),
        );
        let policy = document::parse(&text).map_err(StoreError::PolicyDocument)?;
        let version = insert_version(&mut tx, org_id, &current, &text, &policy, author, &now)?;
        crate::timeline::log(
            &mut tx,
            org_id,
            &now,
            &crate::timeline::NewEntry {
                customer_id: customer.id,
                on_date: on,
                kind: "override",
                author,
                summary: &format!("Policy override (version {version}): {}", added.describe()),
                detail: serde_json::json!({ "policy_version": version, "override": added }),
                invoice_ids: &[],
            },
        )?;
        tx.commit()?;
        self.policy_version(org_id, version)
    }

    /// Writes version 1 for an organisation that has no policy yet (one
    /// created before policies were kept).
    fn ensure_policy(&mut self, org_id: i64) -> Result<(), StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let any = tx.query_opt(
            "SELECT version FROM policy_versions WHERE org_id = $1 LIMIT 1",
            params![org_id],
            |r| r.i64(0),
        )?;
        drop(tx);
        if any.is_some() {
            return Ok(());
        }
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        crate::orgs::lock(&mut tx, org_id)?;
        insert_default(&mut tx, org_id, &now)?;
        tx.commit()
    }
}
