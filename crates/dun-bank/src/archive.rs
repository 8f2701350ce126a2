//! ZIP files of camt messages, as German banks deliver them: each XML entry
//! is read as a camt file of its own, in the order the archive lists them.
//!
//! The archive is read from memory, one entry at a time. An archive with
//! more than [`ZIP_ENTRIES_MAX`] entries, or whose entries unpack to more
//! than [`ZIP_UNCOMPRESSED_BYTES_MAX`] bytes in all (counted as they are
//! read, not as the archive claims), is refused: a small file must not
//! become gigabytes in memory.

use std::io::{Cursor, Read};

use dun_core::bank::Statement;

use crate::text::looks_like_xml;
use crate::ParseError;

/// Most entries (files and folders) in one ZIP archive.
pub const ZIP_ENTRIES_MAX: usize = 1000;
/// Most bytes all of a ZIP archive's entries may unpack to, together.
pub const ZIP_UNCOMPRESSED_BYTES_MAX: u64 = 512 * 1024 * 1024;

/// A ZIP archive's local file header starts with these bytes.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// The bytes are a ZIP archive (by its first bytes, whatever the file is
/// called).
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(ZIP_MAGIC)
}

/// Every statement of every camt entry, or the first refusal, naming the
/// entry.
pub fn parse(bytes: &[u8]) -> Result<Vec<Statement>, ParseError> {
    parse_with_limits(bytes, ZIP_ENTRIES_MAX, ZIP_UNCOMPRESSED_BYTES_MAX)
}

fn parse_with_limits(
    bytes: &[u8],
    entries_max: usize,
    unpacked_bytes_max: u64,
) -> Result<Vec<Statement>, ParseError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        ParseError::new(
            "ZIP archive",
            "",
            format!("not a readable ZIP archive ({e}); the file may be cut short"),
        )
    })?;
    if archive.len() > entries_max {
        return Err(ParseError::new(
            "ZIP archive",
            archive.len().to_string(),
            format!("at most {entries_max} entries are accepted in one archive"),
        ));
    }
    let mut statements = Vec::new();
    let mut unpacked = 0u64;
    let mut xml_entries = 0usize;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| {
            ParseError::new(
                format!("ZIP entry {}", i + 1),
                "",
                format!("cannot be read ({e})"),
            )
        })?;
        let name = entry
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| format!("entry {}", i + 1));
        // Folders, and the resource forks macOS adds when it zips, hold no
        // statement.
        if entry.is_dir() || name.starts_with("__MACOSX/") {
            continue;
        }
        let place = format!("ZIP entry \"{name}\"");
        let room = unpacked_bytes_max - unpacked;
        if entry.size() > room {
            return Err(too_big(&place, unpacked_bytes_max));
        }
        let mut content = Vec::with_capacity(entry.size() as usize);
        (&mut entry)
            .take(room + 1)
            .read_to_end(&mut content)
            .map_err(|e| {
                ParseError::new(
                    place.clone(),
                    "",
                    format!("cannot be unpacked ({e}); the archive may be damaged or cut short"),
                )
            })?;
        unpacked += content.len() as u64;
        if unpacked > unpacked_bytes_max {
            return Err(too_big(&place, unpacked_bytes_max));
        }
        if !looks_like_xml(&content) {
            return Err(ParseError::new(
                place,
                "",
                "not an XML file; a ZIP archive is read when every entry is a camt.052, camt.053 or camt.054 XML file",
            ));
        }
        xml_entries += 1;
        let read = crate::camt::parse(&content).map_err(|e| ParseError {
            place: format!("{place}, {}", e.place),
            ..e
        })?;
        statements.extend(read);
    }
    if xml_entries == 0 {
        return Err(ParseError::new("ZIP archive", "", "holds no camt XML file"));
    }
    Ok(statements)
}

fn too_big(place: &str, unpacked_bytes_max: u64) -> ParseError {
    ParseError::new(
        place,
        "",
        format!(
            "the archive's entries unpack to more than {unpacked_bytes_max} bytes together, the most accepted; import the files in several parts"
        ),
    )
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            out.start_file(*name, options).unwrap();
            out.write_all(bytes).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn an_archive_over_its_limits_is_refused_with_the_limit() {
        let zeros = vec![b' '; 10_000];
        let bytes = zip_of(&[("a.xml", &zeros), ("b.xml", &zeros)]);
        assert!(is_zip(&bytes));
        let e = parse_with_limits(&bytes, 1, u64::MAX).unwrap_err();
        assert_eq!(e.place, "ZIP archive");
        assert!(e.reason.contains("at most 1 entries"), "{e}");
        let e = parse_with_limits(&bytes, 10, 5_000).unwrap_err();
        assert_eq!(e.place, "ZIP entry \"a.xml\"");
        assert!(e.reason.contains("more than 5000 bytes"), "{e}");
    }

    #[test]
    fn an_entry_that_is_not_xml_is_refused_by_name() {
        let bytes = zip_of(&[("readme.txt", b"hello")]);
        let e = parse(&bytes).unwrap_err();
        assert_eq!(e.place, "ZIP entry \"readme.txt\"");
        assert!(e.reason.contains("not an XML file"), "{e}");
    }
}
