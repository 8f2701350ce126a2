//! Bank statement files in, [`dun_core::bank::Statement`]s out.
//!
//! [`parse_statements`] reads the bytes of one file, decides what it is and
//! returns every statement in it, or the first problem found: a file is
//! refused whole, never read in part. It does no I/O beyond the slice it is
//! given and reads no clock.
//!
//! **What it reads**
//!
//! * ISO 20022 camt (any file that starts with `<`, after an optional BOM):
//!   camt.053 statements, camt.052 reports and camt.054 notifications,
//!   versions `001.02` to `001.08`. The XML is streamed, so memory holds one
//!   entry (`Ntry`) at a time plus what was read. One [`Statement`] per
//!   `Stmt`/`Rpt`/`Ntfctn`; only booked entries (`BOOK`) become lines, one
//!   per transaction of a batch entry. Balances (`OPBD`, else `PRCD`, and
//!   `CLBD`) are filled, not checked: that is
//!   [`Statement::check_balances`]'s job.
//! * ZIP archives of camt files (any file that starts with `PK\x03\x04`), as
//!   German banks deliver them: each entry read as a camt file, its
//!   statements returned in the archive's order. An entry that is not XML
//!   is refused by name; at most [`ZIP_ENTRIES_MAX`] entries and
//!   [`ZIP_UNCOMPRESSED_BYTES_MAX`] bytes unpacked in all.
//! * CSV exports (anything else), through a [`CsvMapping`]: one the user
//!   wrote ([`CsvMapping::from_toml`]), a named preset ([`presets`]), or the
//!   preset whose columns the header row has. UTF-8 (with or without BOM),
//!   else Windows-1252; `;`, `,` or tab.
//!
//! **What it refuses**, each with the place ([`ParseError::place`]: an
//! element path such as `Document/BkToCstmrStmt/Stmt[2]/Ntry[14]/Amt`, or
//! `row 12, column "Betrag"`, prefixed `ZIP entry "name.xml", ` inside an
//! archive), the text as written and what is accepted:
//! XML that is malformed or cut short; a camt message or version not listed
//! above; an amount with more decimals than its currency has, or in another
//! currency than the account's; an unknown currency, date, credit/debit
//! indicator or entry status; a CSV cell that does not read as its column
//! says; a mapping with an unknown key; more than
//! [`STATEMENT_LINES_MAX`](dun_core::bank::STATEMENT_LINES_MAX) lines.
//! Texts longer than [`BANK_TEXT_BYTES_MAX`](dun_core::bank::BANK_TEXT_BYTES_MAX)
//! bytes are cut on a character boundary, not refused.

mod amount;
mod archive;
mod camt;
mod csv_export;
mod csv_header;
mod dates;
mod error;
mod mapping;
mod presets;
mod text;

pub use archive::{ZIP_ENTRIES_MAX, ZIP_UNCOMPRESSED_BYTES_MAX};
pub use error::ParseError;
pub use mapping::CsvMapping;

use dun_core::bank::Statement;

/// How to read a CSV file: with neither field set, through the preset its
/// header row fits. A camt file is read as camt whatever the options say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// The name of a built-in CSV preset (see [`presets`]).
    pub preset: Option<String>,
    /// A CSV mapping the user wrote; wins over `preset`.
    pub mapping: Option<CsvMapping>,
}

/// Reads every statement in `bytes`, or says why the file is refused.
pub fn parse_statements(
    bytes: &[u8],
    options: &ParseOptions,
) -> Result<Vec<Statement>, ParseError> {
    if archive::is_zip(bytes) {
        return archive::parse(bytes);
    }
    if text::looks_like_xml(bytes) {
        return camt::parse(bytes);
    }
    let statement = match (&options.mapping, &options.preset) {
        (Some(mapping), _) => csv_export::parse(bytes, mapping, "mapping")?,
        (None, Some(name)) => {
            let mapping = CsvMapping::preset(name).ok_or_else(|| ParseError {
                place: "options".into(),
                value: name.clone(),
                reason: format!(
                    "no such CSV preset; the presets are {}",
                    presets().join(", ")
                ),
            })?;
            csv_export::parse(bytes, &mapping, name)?
        }
        (None, None) => csv_export::parse_detecting(bytes)?,
    };
    Ok(vec![statement])
}

/// The names of the built-in CSV presets.
pub fn presets() -> &'static [&'static str] {
    presets::NAMES
}
