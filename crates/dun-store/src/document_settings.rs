//! How the organisation's documents look: the paper chosen (or none, and
//! the country decides), the document locale and the logo. The rules are
//! `dun_core::document`'s; this reads and writes them on the
//! organisation's row, each change one statement.

use dun_core::document::{DocumentLocale, DocumentSettings, Logo, Paper};
use dun_core::party::PartyError;

use crate::error::StoreError;
use crate::{params, Store};

/// The options a person sets in words: the paper chosen (`None`: never
/// chosen, the country decides) and the document locale.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DocumentOptions {
    pub paper: Option<Paper>,
    pub locale: DocumentLocale,
}

fn corrupt(e: PartyError) -> StoreError {
    StoreError::Corrupt(format!("the organisation's {e}"))
}

fn refused(e: PartyError) -> StoreError {
    StoreError::Invalid(e.to_string())
}

impl Store {
    /// The organisation's document settings, the paper resolved from its
    /// country when none was chosen.
    pub fn document_settings(&mut self, org_id: i64) -> Result<DocumentSettings, StoreError> {
        let mut tx = self.conn().read_transaction()?;
        let row = tx
            .query_opt(
                "SELECT paper_size, document_locale, country_code, logo_media_type, logo_hex
                 FROM organisations WHERE id = $1",
                params![org_id],
                |r| {
                    Ok((
                        r.opt_string(0)?,
                        r.string(1)?,
                        r.opt_string(2)?,
                        r.opt_string(3)?,
                        r.opt_string(4)?,
                    ))
                },
            )?
            .ok_or_else(|| StoreError::not_found("organisation", format!("#{org_id}")))?;
        let (paper, locale, country, media_type, logo_hex) = row;
        let paper_chosen = paper
            .as_deref()
            .map(Paper::parse)
            .transpose()
            .map_err(corrupt)?;
        let logo = match (media_type, logo_hex) {
            (Some(media_type), Some(hex)) => {
                let bytes = hex::decode(hex).map_err(|_| {
                    StoreError::Corrupt("the organisation's logo is not hex".into())
                })?;
                Some(Logo::stored(&media_type, bytes).map_err(corrupt)?)
            }
            _ => None,
        };
        Ok(DocumentSettings {
            paper_chosen,
            paper: Paper::effective(paper_chosen, country.as_deref()),
            locale: DocumentLocale::parse(&locale).map_err(corrupt)?,
            logo,
        })
    }

    /// Sets the paper chosen and the document locale.
    pub fn set_document_options(
        &mut self,
        org_id: i64,
        options: &DocumentOptions,
    ) -> Result<DocumentSettings, StoreError> {
        let mut tx = self.conn().transaction()?;
        crate::orgs::lock(&mut tx, org_id)?;
        tx.execute(
            "UPDATE organisations SET paper_size = $2, document_locale = $3 WHERE id = $1",
            params![
                org_id,
                options.paper.map(Paper::as_str),
                options.locale.as_str()
            ],
        )?;
        tx.commit()?;
        self.document_settings(org_id)
    }

    /// Stores `bytes` as the organisation's logo, replacing any; bytes that
    /// are not a PNG or JPEG within the limits are refused and nothing is
    /// written.
    pub fn set_logo(&mut self, org_id: i64, bytes: Vec<u8>) -> Result<Logo, StoreError> {
        let logo = Logo::parse(bytes).map_err(refused)?;
        let hex = hex::encode(&logo.bytes);
        let mut tx = self.conn().transaction()?;
        crate::orgs::lock(&mut tx, org_id)?;
        tx.execute(
            "UPDATE organisations SET logo_media_type = $2, logo_hex = $3 WHERE id = $1",
            params![org_id, logo.media_type(), hex.as_str()],
        )?;
        tx.commit()?;
        Ok(logo)
    }

    /// Removes the organisation's logo; says whether there was one.
    pub fn remove_logo(&mut self, org_id: i64) -> Result<bool, StoreError> {
        let mut tx = self.conn().transaction()?;
        crate::orgs::lock(&mut tx, org_id)?;
        let removed = tx.execute(
            "UPDATE organisations SET logo_media_type = NULL, logo_hex = NULL
             WHERE id = $1 AND logo_hex IS NOT NULL",
            params![org_id],
        )?;
        tx.commit()?;
        Ok(removed > 0)
    }
}
