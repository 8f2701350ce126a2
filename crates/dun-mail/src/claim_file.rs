//! The claim file of one debtor, as one bundle (a ZIP) for an agency or a
//! small-claims court: `claim-file.pdf` (who owes what on which invoices,
//! and every reminder, letter, call, promise and dispute with its date),
//! the statements of account per currency as PDF, and the same invoices
//! and history as CSV. Made from one read of the store; the CLI, the API
//! and the web UI all take it from here.

use std::io::{Cursor, Write};

use dun_core::collections::credit::CustomerStatus;
use dun_core::Date;
use dun_csv::SafeWriter;
use dun_pdf::views::{self, ClaimFacts};
use dun_pdf::ClaimEventView;
use dun_store::escalations::ClaimFile;
use dun_store::timeline::TimelineEntry;
use dun_store::Store;

use crate::attachments::{file_stem, DocumentError};

/// The media type of the bundle.
pub const ZIP: &str = "application/zip";

/// Timeline kinds a claim file leaves out: the run's own bookkeeping and
/// delivery retries, which say nothing about the debt.
const NOT_HISTORY: [&str; 9] = [
    "skip",
    "not_charged",
    "tier",
    "tier_change",
    "email_held",
    "email_send_now",
    "email_retry",
    "email_failed",
    "email_unknown",
];

/// One file of the bundle.
#[derive(Clone, Debug)]
pub struct BundleFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The claim file's bundle: its file name and its files.
#[derive(Clone, Debug)]
pub struct ClaimBundle {
    /// `claim-REF-DATE.zip`.
    pub name: String,
    pub files: Vec<BundleFile>,
}

/// A timeline kind in words.
fn kind_words(kind: &str) -> String {
    match kind {
        "message" => "reminder queued".into(),
        "email_sent" => "e-mail sent".into(),
        "message_dropped" => "reminder not sent".into(),
        "email_cancelled" => "e-mail cancelled".into(),
        "letter" => "letter".into(),
        "fee" => "late fee".into(),
        "task_done" => "task done".into(),
        "status_change" | "status" => "status".into(),
        other => other.replace('_', " "),
    }
}

fn standing(claim: &ClaimFile) -> String {
    let status = claim.status;
    match (status, &claim.handed_over) {
        (CustomerStatus::WithAgency, Some((on, reason))) => {
            format!("Handed to a collection agency on {on}: {reason}.")
        }
        (CustomerStatus::Legal, Some((on, reason))) => {
            format!("Handed over for legal action on {on}: {reason}.")
        }
        (CustomerStatus::WithAgency, None) => "With a collection agency.".into(),
        (CustomerStatus::Legal, None) => "Handed over for legal action.".into(),
        (other, _) => format!(
            "Status: {}. The debt has not been handed over.",
            other.as_str().replace('_', " ")
        ),
    }
}

fn history(entries: &[TimelineEntry]) -> Vec<ClaimEventView> {
    entries
        .iter()
        .filter(|e| !NOT_HISTORY.contains(&e.kind.as_str()))
        .map(|e| ClaimEventView {
            date: e.on_date.to_string(),
            kind: kind_words(&e.kind),
            summary: e.summary.clone(),
            author: e.author.clone(),
        })
        .collect()
}

fn csv_bytes(header: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, DocumentError> {
    let broken = |e: String| DocumentError::Refused(format!("the CSV cannot be written: {e}"));
    let mut w = SafeWriter::new(Vec::new());
    w.write_record(header).map_err(|e| broken(e.to_string()))?;
    for row in rows {
        w.write_record(row).map_err(|e| broken(e.to_string()))?;
    }
    w.into_inner().map_err(broken)
}

/// The claim file of `customer_ref` as of `as_of`.
pub fn claim_file(
    store: &mut Store,
    org_id: i64,
    customer_ref: &str,
    as_of: Date,
) -> Result<ClaimBundle, DocumentError> {
    let claim = store.claim_file(org_id, customer_ref, as_of)?;
    let found = &claim.statements;
    let reference = found.customer.reference.clone();
    let settings = store.document_settings(org_id)?;
    let mut files = Vec::new();
    let mut enclosures = Vec::new();
    for s in &found.statements {
        let view = views::statement(
            s,
            &found.seller,
            &found.buyer,
            Some(&reference),
            &found.payment,
            None,
            settings.locale,
        );
        let name = format!("statement-{}.pdf", s.currency.code());
        enclosures.push(format!(
            "{name}: the statement of account in {} from {} to {}",
            s.currency, s.from, s.to
        ));
        files.push(BundleFile {
            name,
            bytes: dun_pdf::render_statement(&view, &settings)?,
        });
    }
    enclosures.push("invoices.csv and history.csv: the tables above, as CSV".into());
    let events = history(&claim.history);
    let view = views::claim_file(ClaimFacts {
        creditor: &found.seller,
        debtor: &found.buyer,
        debtor_reference: &reference,
        as_of,
        standing: standing(&claim),
        statements: &found.statements,
        history: events.clone(),
        enclosures,
    });
    let invoices: Vec<Vec<String>> = view
        .invoices
        .iter()
        .map(|i| {
            vec![
                i.number.clone(),
                i.issue_date.clone(),
                i.due_date.clone(),
                i.days_past_due.clone(),
                i.currency.clone(),
                i.total.replace(',', ""),
                i.open.replace(',', ""),
            ]
        })
        .collect();
    let history_rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            vec![
                e.date.clone(),
                e.kind.clone(),
                e.summary.clone(),
                e.author.clone(),
            ]
        })
        .collect();
    let mut all = vec![BundleFile {
        name: "claim-file.pdf".into(),
        bytes: dun_pdf::render_claim_file(&view, &settings)?,
    }];
    all.append(&mut files);
    all.push(BundleFile {
        name: "invoices.csv".into(),
        bytes: csv_bytes(
            &[
                "number",
                "issue_date",
                "due_date",
                "days_past_due",
                "currency",
                "total",
                "open",
            ],
            &invoices,
        )?,
    });
    all.push(BundleFile {
        name: "history.csv".into(),
        bytes: csv_bytes(&["date", "what", "details", "by"], &history_rows)?,
    });
    Ok(ClaimBundle {
        name: file_stem(&format!("claim-{reference}-{as_of}.zip")),
        files: all,
    })
}

/// The bundle as one ZIP file (stored: the PDFs are compressed already).
pub fn zip(bundle: &ClaimBundle) -> Result<Vec<u8>, DocumentError> {
    let broken = |e: String| DocumentError::Refused(format!("the bundle cannot be written: {e}"));
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for file in &bundle.files {
        out.start_file(file.name.as_str(), options)
            .map_err(|e| broken(e.to_string()))?;
        out.write_all(&file.bytes)
            .map_err(|e| broken(e.to_string()))?;
    }
    let cursor = out.finish().map_err(|e| broken(e.to_string()))?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_zips_its_files_in_order() {
        let bundle = ClaimBundle {
            name: "claim-X.zip".into(),
            files: vec![
                BundleFile {
                    name: "a.csv".into(),
                    bytes: b"x,y\n".to_vec(),
                },
                BundleFile {
                    name: "b.pdf".into(),
                    bytes: b"%PDF".to_vec(),
                },
            ],
        };
        let bytes = zip(&bundle).expect("zip");
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("read back");
        assert_eq!(archive.len(), 2);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut archive.by_index(0).unwrap(), &mut text).unwrap();
        assert_eq!(text, "x,y\n");
        assert_eq!(archive.by_index(1).unwrap().name().unwrap(), "b.pdf");
    }
}
