//! How the organisation's documents look, through the real binary on each
//! database: `dun org set --paper-size`, `--logo` and `dun org show`, the
//! paper a country decides until one is chosen, a bad logo refused with
//! nothing written, and the settings travelling through `dun export --all`
//! and `dun import-all`; the document locale's words and dates on the
//! invoice. Read back with poppler (`pdfinfo`, `pdfimages`, `pdftotext`).

mod common;

use std::path::Path;
use std::process::Command;

use common::{backends, fails, ok, pdftotext_available, Db};

fn documents(db: &Db) -> serde_json::Value {
    let json: serde_json::Value =
        serde_json::from_str(&ok(db, &["org", "show", "--format", "json"])).unwrap();
    json["documents"].clone()
}

/// The first page's size, as `pdfinfo` says it ("612 x 792").
fn page_size(pdf: &Path) -> String {
    let out = Command::new("pdfinfo").arg(pdf).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().find(|l| l.starts_with("Page size:")).unwrap();
    let words: Vec<&str> = line.split_whitespace().collect();
    format!("{} x {}", words[2], words[4])
}

/// `pdfimages -list`'s lines after its header.
fn images(pdf: &Path) -> Vec<String> {
    let out = Command::new("pdfimages")
        .arg("-list")
        .arg(pdf)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip(2)
        .map(str::to_string)
        .collect()
}

fn invoice_pdf(db: &Db, dir: &Path, name: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    ok(
        db,
        &[
            "invoice",
            "pdf",
            "INV-000001",
            "--out",
            path.to_str().unwrap(),
        ],
    );
    path
}

#[test]
fn paper_and_logo_are_set_shown_refused_and_exported() {
    let tools = pdftotext_available("paper_and_logo_are_set_shown_refused_and_exported");
    for db in backends("documents_look") {
        let label = db.label;
        let dir = tempfile::tempdir().unwrap();
        ok(
            &db,
            &[
                "init",
                "--org",
                "Acme Inc",
                "--currency",
                "USD",
                "--timezone",
                "America/New_York",
            ],
        );
        ok(&db, &["customer", "add", "--ref", "C1", "--name", "Globex"]);
        ok(
            &db,
            &[
                "invoice",
                "create",
                "--customer",
                "C1",
                "--issue-date",
                "2026-09-01",
                "--line",
                "Work:1:100.00",
                "--issue",
            ],
        );

        // No country, nothing chosen: A4.
        let d = documents(&db);
        assert_eq!(
            (d["paper_size"].as_str(), d["paper_size_chosen"].as_bool()),
            (Some("a4"), Some(false)),
            "[{label}] {d}"
        );
        // The country set later decides, while nothing was chosen.
        ok(&db, &["org", "set", "--country", "US"]);
        let shown = ok(&db, &["org", "show"]);
        assert!(
            shown.contains("us_letter (by country; not chosen)"),
            "[{label}] {shown}"
        );
        let letter = invoice_pdf(&db, dir.path(), "letter.pdf");
        if tools {
            assert_eq!(page_size(&letter), "612 x 792", "[{label}]");
            assert!(images(&letter).is_empty(), "[{label}] no logo yet");
        }
        // Chosen: kept whatever the country.
        ok(&db, &["org", "set", "--paper-size", "a4"]);
        ok(&db, &["org", "set", "--country", "CA"]);
        let d = documents(&db);
        assert_eq!(
            (d["paper_size"].as_str(), d["paper_size_chosen"].as_bool()),
            (Some("a4"), Some(true)),
            "[{label}] {d}"
        );
        if tools {
            assert_eq!(
                page_size(&invoice_pdf(&db, dir.path(), "a4.pdf")),
                "595.28 x 841.89",
                "[{label}]"
            );
        }

        // A logo: a JPEG poppler makes of the invoice's page.
        let logo = dir.path().join("logo");
        if tools {
            let made = Command::new("pdftoppm")
                .args([
                    "-jpeg",
                    "-singlefile",
                    "-scale-to-x",
                    "240",
                    "-scale-to-y",
                    "80",
                ])
                .arg(&letter)
                .arg(&logo)
                .status()
                .unwrap();
            assert!(made.success());
        } else {
            // The smallest JPEG header the check reads: 240 × 80, 3 components.
            let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8, 0, 80, 0, 240, 3];
            jpeg.extend_from_slice(&[0; 9]);
            std::fs::write(dir.path().join("logo.jpg"), jpeg).unwrap();
        }
        let logo = dir.path().join("logo.jpg");

        // Refused whole: not an image, too large, a bad paper size — and
        // nothing else of the command written.
        let gif = dir.path().join("logo.gif");
        std::fs::write(&gif, b"GIF89a\x01\x00\x01\x00").unwrap();
        let err = fails(
            &db,
            &[
                "org",
                "set",
                "--paper-size",
                "us_letter",
                "--logo",
                gif.to_str().unwrap(),
            ],
        );
        assert!(err.contains("not a PNG or JPEG image"), "[{label}] {err}");
        let big = dir.path().join("big.png");
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.resize(600 * 1024, 0);
        std::fs::write(&big, bytes).unwrap();
        let err = fails(&db, &["org", "set", "--logo", big.to_str().unwrap()]);
        assert!(
            err.contains("at most 524288 bytes (512 KiB)"),
            "[{label}] {err}"
        );
        let err = fails(
            &db,
            &[
                "org",
                "set",
                "--paper-size",
                "legal",
                "--logo",
                logo.to_str().unwrap(),
            ],
        );
        assert!(err.contains("a4 or us_letter"), "[{label}] {err}");
        let d = documents(&db);
        assert_eq!(
            (d["paper_size"].as_str(), &d["logo"]),
            (Some("a4"), &serde_json::Value::Null),
            "[{label}] nothing was written: {d}"
        );

        ok(
            &db,
            &[
                "org",
                "set",
                "--logo",
                logo.to_str().unwrap(),
                "--paper-size",
                "us_letter",
            ],
        );
        let d = documents(&db);
        assert_eq!(d["logo"]["format"], "jpeg", "[{label}] {d}");
        assert_eq!(
            (
                d["logo"]["width_px"].as_u64(),
                d["logo"]["height_px"].as_u64()
            ),
            (Some(240), Some(80))
        );
        assert_eq!(d["paper_size"], "us_letter");
        if tools {
            let pdf = invoice_pdf(&db, dir.path(), "logo.pdf");
            let list = images(&pdf);
            assert_eq!(list.len(), 1, "[{label}] {list:?}");
            let cols: Vec<&str> = list[0].split_whitespace().collect();
            assert_eq!(
                (cols[3], cols[4], cols[8]),
                ("240", "80", "jpeg"),
                "[{label}] {list:?}"
            );
        }

        // The settings travel with the book.
        ok(&db, &["org", "set", "--document-locale", "de"]);
        if tools {
            let pdf = invoice_pdf(&db, dir.path(), "de.pdf");
            let text = common::pdf_text(&pdf, true).unwrap();
            for needle in [
                "Rechnungsdatum 01.09.2026",
                "Gesamtbetrag (USD) 100,00",
                "Seite 1 von",
            ] {
                assert!(
                    text.contains(needle),
                    "[{label}] '{needle}' is not in {text}"
                );
            }
        }
        let export = dir.path().join("export");
        ok(&db, &["export", "--all", export.to_str().unwrap()]);
        let target = match label {
            "sqlite" => common::sqlite(),
            _ => common::postgres("documents_look_target").expect("PostgreSQL"),
        };
        ok(&target, &["import-all", export.to_str().unwrap()]);
        assert_eq!(
            documents(&target),
            documents(&db),
            "[{label}] after import-all"
        );

        // Removed: no image.
        ok(&db, &["org", "set", "--logo", ""]);
        assert_eq!(documents(&db)["logo"], serde_json::Value::Null);
        if tools {
            assert!(images(&invoice_pdf(&db, dir.path(), "none.pdf")).is_empty());
        }
    }
}
