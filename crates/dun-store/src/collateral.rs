//! Collateral on a customer's credit file: personal guarantees, UCC-1
//! filings, liens and pre-liens, letters of credit, deposits — each with
//! its amount, dates and expiry. The run makes a task before a piece
//! expires; here a person records and reads them.

use dun_core::money::format_minor;
use dun_core::{Currency, Date};
use serde::{Deserialize, Serialize};

use crate::db::Tx;
use crate::error::StoreError;
use crate::records::{check_author, locked_customer, NOTE_CHARS_MAX};
use crate::timeline::{self, NewEntry};
use crate::{customers, entries, params, Store};

/// Longest collateral reference (a filing number, a bank's reference), in characters.
pub const COLLATERAL_REFERENCE_CHARS_MAX: usize = 200;

/// The kinds of collateral a credit file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollateralKind {
    PersonalGuarantee,
    /// A UCC-1 financing statement filed on the customer's assets.
    Ucc1,
    Lien,
    /// A notice of intent to lien (construction), before the lien itself.
    PreLien,
    LetterOfCredit,
    Deposit,
}

impl CollateralKind {
    pub const ALL: [CollateralKind; 6] = [
        CollateralKind::PersonalGuarantee,
        CollateralKind::Ucc1,
        CollateralKind::Lien,
        CollateralKind::PreLien,
        CollateralKind::LetterOfCredit,
        CollateralKind::Deposit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CollateralKind::PersonalGuarantee => "personal_guarantee",
            CollateralKind::Ucc1 => "ucc1",
            CollateralKind::Lien => "lien",
            CollateralKind::PreLien => "pre_lien",
            CollateralKind::LetterOfCredit => "letter_of_credit",
            CollateralKind::Deposit => "deposit",
        }
    }

    pub fn parse(text: &str) -> Result<CollateralKind, StoreError> {
        CollateralKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
            .ok_or_else(|| {
                let all: Vec<&str> = CollateralKind::ALL.iter().map(|k| k.as_str()).collect();
                StoreError::Invalid(format!(
                    "collateral kind '{text}' is not one of {}",
                    all.join(", ")
                ))
            })
    }
}

/// Collateral to add to a customer's credit file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCollateral {
    pub customer_ref: String,
    pub kind: CollateralKind,
    pub amount_minor: i64,
    pub currency: Currency,
    pub filed_on: Option<Date>,
    pub expires_on: Option<Date>,
    pub reference: String,
    pub note: String,
    /// The day it was recorded (the timeline's date).
    pub on: Date,
    pub author: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollateralRecord {
    pub id: i64,
    pub customer_id: i64,
    pub customer_ref: String,
    pub kind: CollateralKind,
    pub amount_minor: Option<i64>,
    pub currency: Option<Currency>,
    pub filed_on: Option<Date>,
    pub expires_on: Option<Date>,
    pub reference: String,
    pub note: String,
}

impl Store {
    /// Adds collateral to a customer's credit file. Logged as `collateral`.
    pub fn add_collateral(
        &mut self,
        org_id: i64,
        new: &NewCollateral,
    ) -> Result<CollateralRecord, StoreError> {
        let author = check_author(&new.author)?;
        if new.amount_minor <= 0 || new.amount_minor > dun_core::money::AMOUNT_MINOR_MAX {
            return Err(StoreError::Invalid(format!(
                "collateral amount must be positive and at most {} minor units",
                dun_core::money::AMOUNT_MINOR_MAX
            )));
        }
        if let (Some(filed), Some(expires)) = (new.filed_on, new.expires_on) {
            if expires < filed {
                return Err(StoreError::Invalid(format!(
                    "expires {expires} is before filed {filed}"
                )));
            }
        }
        let reference = new.reference.trim();
        if let Some(why) = dun_core::text::line_problem(reference, COLLATERAL_REFERENCE_CHARS_MAX) {
            return Err(StoreError::Invalid(format!("reference: {why}")));
        }
        let note = new.note.trim();
        if let Some(why) = dun_core::text::note_problem(note, NOTE_CHARS_MAX) {
            return Err(StoreError::Invalid(format!("note: {why}")));
        }
        let day = |d: Option<Date>| d.map(|d| i64::from(d.day_number()));
        let now = self.now_utc();
        let mut tx = self.conn().transaction()?;
        let customer = locked_customer(&mut tx, org_id, &new.customer_ref)?;
        let id = tx
            .query_opt(
                "INSERT INTO collateral (org_id, customer_id, kind, amount_minor, currency, filed_on,
                    expires_on, reference, note, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                params![
                    org_id,
                    customer.id,
                    new.kind.as_str(),
                    new.amount_minor,
                    new.currency.code(),
                    day(new.filed_on),
                    day(new.expires_on),
                    reference,
                    note,
                    now.as_str()
                ],
                |r| r.i64(0),
            )?
            .ok_or_else(|| StoreError::Conflict("the collateral was not saved".into()))?;
        let c = new.currency;
        let mut summary = format!(
            "Collateral: {} of {} {c}",
            new.kind.as_str(),
            format_minor(new.amount_minor, c)
        );
        if let Some(expires) = new.expires_on {
            summary.push_str(&format!(", expires {expires}"));
        }
        if !reference.is_empty() {
            summary.push_str(&format!(" ({reference})"));
        }
        timeline::log(
            &mut tx,
            org_id,
            &now,
            &NewEntry {
                customer_id: customer.id,
                on_date: new.on,
                kind: "collateral",
                author,
                summary: &summary,
                detail: serde_json::json!({
                    "collateral_id": id,
                    "kind": new.kind,
                    "amount_minor": new.amount_minor,
                    "currency": c,
                    "filed_on": new.filed_on,
                    "expires_on": new.expires_on,
                    "reference": reference,
                    "note": note,
                }),
                invoice_ids: &[],
            },
        )?;
        let record = collateral_where(&mut tx, org_id, "k.id = $2", params![id])?
            .pop()
            .ok_or_else(|| StoreError::not_found("collateral", format!("#{id}")))?;
        tx.commit()?;
        Ok(record)
    }

    /// Collateral on file, of one customer or of all, soonest expiry first.
    pub fn collateral(
        &mut self,
        org_id: i64,
        customer_ref: Option<&str>,
    ) -> Result<Vec<CollateralRecord>, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        match customer_ref {
            Some(reference) => {
                let customer = customers::by_ref(&mut tx, org_id, reference)?;
                collateral_where(&mut tx, org_id, "k.customer_id = $2", params![customer.id])
            }
            None => collateral_where(&mut tx, org_id, "1 = 1", &[]),
        }
    }
}

fn collateral_where(
    tx: &mut Tx<'_>,
    org_id: i64,
    condition: &str,
    more: &[crate::Param<'_>],
) -> Result<Vec<CollateralRecord>, StoreError> {
    let mut all: Vec<crate::Param<'_>> = vec![org_id.into()];
    all.extend_from_slice(more);
    let sql = format!(
        "SELECT k.id, k.customer_id, c.ref, k.kind, k.amount_minor, k.currency, k.filed_on,
            k.expires_on, k.reference, k.note
         FROM collateral k JOIN customers c ON c.id = k.customer_id AND c.org_id = k.org_id
         WHERE k.org_id = $1 AND {condition}
         ORDER BY CASE WHEN k.expires_on IS NULL THEN 1 ELSE 0 END, k.expires_on, k.id"
    );
    tx.query(&sql, &all, |r| {
        let kind = r.string(3)?;
        let day = |v: Option<i64>| v.map(|d| Date::from_day_number(d as i32));
        Ok(CollateralRecord {
            id: r.i64(0)?,
            customer_id: r.i64(1)?,
            customer_ref: r.string(2)?,
            kind: CollateralKind::parse(&kind)
                .map_err(|_| StoreError::Corrupt(format!("collateral kind '{kind}'")))?,
            amount_minor: r.opt_i64(4)?,
            currency: r
                .opt_string(5)?
                .map(|c| entries::currency(&c))
                .transpose()?,
            filed_on: day(r.opt_i64(6)?),
            expires_on: day(r.opt_i64(7)?),
            reference: r.string(8)?,
            note: r.string(9)?,
        })
    })
}
