//! Organisations: the tenants. Every other row belongs to exactly one.

use dun_core::aging::AgingEdges;
use dun_core::Currency;
use serde::{Deserialize, Serialize};

use crate::db::Row;
use crate::error::StoreError;
use crate::{params, Store};

/// Longest organisation name, in characters.
pub const NAME_CHARS_MAX: usize = dun_core::text::NAME_CHARS_MAX;
/// Longest invoice number prefix, in characters (ASCII letters, digits,
/// `-`, `_` and `/`).
pub const INVOICE_PREFIX_CHARS_MAX: usize = 20;
/// The `pattern` of a daily run time, `HH:MM` (the OpenAPI document's).
pub const RUN_AT_PATTERN: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";
/// The `pattern` of an invoice number prefix (the OpenAPI document's).
pub const INVOICE_PREFIX_PATTERN: &str = "^[A-Za-z0-9/_-]*$";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Org {
    pub id: i64,
    pub name: String,
    pub currency: Currency,
    pub timezone: String,
    pub invoice_prefix: String,
    pub credit_note_prefix: String,
    pub aging_edges: String,
}

#[derive(Clone, Debug)]
pub struct NewOrg {
    pub name: String,
    pub currency: Currency,
    /// An IANA zone name, already checked by the caller (`Area/City`).
    pub timezone: String,
    pub invoice_prefix: String,
}

pub(crate) const COLUMNS: &str =
    "id, name, currency, timezone, invoice_prefix, credit_note_prefix, aging_edges";

fn org_from_row(r: &Row<'_>) -> Result<Org, StoreError> {
    org_from_row_at(r, 0)
}

/// Reads the columns of [`COLUMNS`] starting at column `at` of a row.
pub(crate) fn org_from_row_at(r: &Row<'_>, at: usize) -> Result<Org, StoreError> {
    let currency = r.string(at + 2)?;
    Ok(Org {
        id: r.i64(at)?,
        name: r.string(at + 1)?,
        currency: Currency::parse(&currency).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        timezone: r.string(at + 3)?,
        invoice_prefix: r.string(at + 4)?,
        credit_note_prefix: r.string(at + 5)?,
        aging_edges: r.string(at + 6)?,
    })
}

impl Org {
    pub fn edges(&self) -> AgingEdges {
        AgingEdges::parse(&self.aging_edges).unwrap_or_else(|_| AgingEdges::standard())
    }
}

impl Store {
    pub fn create_org(&mut self, new: &NewOrg) -> Result<Org, StoreError> {
        let name = new.name.trim();
        if let Some(why) = dun_core::text::identifier_problem(name, NAME_CHARS_MAX) {
            return Err(StoreError::Invalid(format!(
                "name: an organisation name: {why}"
            )));
        }
        let prefix_ok = |p: &str| {
            p.len() <= INVOICE_PREFIX_CHARS_MAX
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_/".contains(c))
        };
        if !prefix_ok(&new.invoice_prefix) {
            let shown: String = new
                .invoice_prefix
                .chars()
                .take(40)
                .filter(|c| !c.is_control())
                .collect();
            return Err(StoreError::Invalid(format!(
                "invoice_prefix: '{shown}' must be at most {INVOICE_PREFIX_CHARS_MAX} letters, digits, '-', '_' or '/'"
            )));
        }
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let inserted = tx.query_opt(
            "INSERT INTO organisations (name, currency, timezone, invoice_prefix, next_invoice_number,
                credit_note_prefix, next_credit_note_number, aging_edges, created_at)
             VALUES ($1, $2, $3, $4, 1, 'CN-', 1, '30,60,90', $5)
             ON CONFLICT (name) DO NOTHING
             RETURNING id, name, currency, timezone, invoice_prefix, credit_note_prefix, aging_edges",
            params![name, new.currency.code(), new.timezone.as_str(), new.invoice_prefix.as_str(), now.as_str()],
            org_from_row,
        )?;
        let org = inserted.ok_or_else(|| {
            StoreError::Conflict(format!("an organisation named '{name}' already exists"))
        })?;
        // Every organisation starts with a policy: version 1, the default.
        crate::policies::insert_default(&mut tx, org.id, &now)?;
        tx.commit()?;
        Ok(org)
    }

    pub fn orgs(&mut self) -> Result<Vec<Org>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query(
            &format!("SELECT {COLUMNS} FROM organisations ORDER BY id"),
            &[],
            org_from_row,
        )
    }

    /// The organisation with this id.
    pub fn org_by_id(&mut self, org_id: i64) -> Result<Org, StoreError> {
        self.conn()
            .statement()
            .query_opt(
                &format!("SELECT {COLUMNS} FROM organisations WHERE id = $1"),
                params![org_id],
                org_from_row,
            )?
            .ok_or_else(|| StoreError::not_found("organisation", org_id))
    }

    /// The organisation's daily run time, `HH:MM` local.
    pub fn run_at(&mut self, org_id: i64) -> Result<String, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        tx.query_opt(
            "SELECT run_at FROM organisations WHERE id = $1",
            params![org_id],
            |r| r.string(0),
        )?
        .ok_or_else(|| StoreError::not_found("organisation", org_id))
    }

    /// Sets the local time (`HH:MM`) at which a server runs the
    /// organisation's collections each day.
    pub fn set_run_at(&mut self, org_id: i64, run_at: &str) -> Result<(), StoreError> {
        let b = run_at.as_bytes();
        let digits = |i: usize| -> Option<u32> {
            (b[i].is_ascii_digit() && b[i + 1].is_ascii_digit())
                .then(|| u32::from(b[i] - b'0') * 10 + u32::from(b[i + 1] - b'0'))
        };
        // Exactly HH:MM (RUN_AT_PATTERN): no sign, no space.
        let valid = b.len() == 5
            && b[2] == b':'
            && digits(0).is_some_and(|h| h < 24)
            && digits(3).is_some_and(|m| m < 60);
        if !valid {
            return Err(StoreError::Invalid(format!(
                "run_at: '{}' is not a time of day as HH:MM (00:00 to 23:59)",
                run_at.chars().take(20).collect::<String>().escape_debug()
            )));
        }
        let mut tx = self.conn().transaction()?;
        tx.execute(
            "UPDATE organisations SET run_at = $1 WHERE id = $2",
            params![run_at, org_id],
        )?;
        tx.commit()
    }

    /// The organisation named `name`, or the only one when `name` is None.
    pub fn org(&mut self, name: Option<&str>) -> Result<Org, StoreError> {
        let orgs = self.orgs()?;
        match name {
            Some(name) => orgs
                .into_iter()
                .find(|o| o.name == name)
                .ok_or_else(|| StoreError::not_found("organisation", name)),
            None => match orgs.len() {
                0 => Err(StoreError::Invalid(
                    "this database has no organisation yet; run `dun init --org NAME --currency USD --timezone Area/City`".into(),
                )),
                1 => Ok(orgs.into_iter().next().expect("one org")),
                _ => Err(StoreError::Invalid(format!(
                    "this database holds {} organisations; choose one with --org ({})",
                    orgs.len(),
                    orgs.iter().map(|o| o.name.as_str()).collect::<Vec<_>>().join(", ")
                ))),
            },
        }
    }

    /// Sets the aging bucket edges the organisation's reports use by default.
    pub fn set_aging_edges(&mut self, org_id: i64, edges: &AgingEdges) -> Result<(), StoreError> {
        let mut tx = self.conn().transaction()?;
        tx.execute(
            "UPDATE organisations SET aging_edges = $1 WHERE id = $2",
            params![edges.to_string().as_str(), org_id],
        )?;
        tx.commit()
    }
}

/// Takes the organisation's row lock (a no-op update) until the transaction
/// ends. Whoever needs it takes it **before** any customer's lock — an
/// applied run, a policy change, issuing (the number sequence), a credit
/// note — so two writers never hold the two locks in opposite orders and
/// deadlock on PostgreSQL. (SQLite's writers queue on the file already.)
pub(crate) fn lock(tx: &mut crate::db::Tx<'_>, org_id: i64) -> Result<(), StoreError> {
    let locked = tx.execute(
        "UPDATE organisations SET name = name WHERE id = $1",
        crate::params![org_id],
    )?;
    if locked == 0 {
        return Err(StoreError::not_found("organisation", format!("#{org_id}")));
    }
    Ok(())
}
