//! A bad CSV is refused whole, with every bad row named, and the book is unchanged.

mod common;

use common::{backends, fails, ok, Db};

fn file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

fn book(db: &Db) {
    ok(
        db,
        &[
            "init",
            "--org",
            "Acme",
            "--currency",
            "USD",
            "--timezone",
            "Europe/London",
        ],
    );
    ok(db, &["customer", "add", "--ref", "C1", "--name", "First"]);
    ok(
        db,
        &[
            "invoice",
            "create",
            "--customer",
            "C1",
            "--issue-date",
            "2026-01-05",
            "--line",
            "Thing:1:10.00",
            "--issue",
        ],
    );
}

fn snapshot(db: &Db) -> String {
    ok(db, &["invoice", "list", "--format", "csv"])
        + &ok(db, &["customer", "list", "--format", "csv"])
}

#[test]
fn every_bad_row_is_named_and_nothing_is_written() {
    for db in backends("every_bad_row_is_named") {
        let label = db.label;
        book(&db);
        let before = snapshot(&db);
        let dir = tempfile::tempdir().unwrap();
        let csv = "number,customer_ref,issue_date,due_date,currency,description,amount,quantity,unit_price,tax_rate\n\
                   A-1,C1,2026-01-05,2026-02-04,USD,good,100.00,,,\n\
                   A-2,C1,05/01/2026,2026-02-04,USD,bad date,100.00,,,\n\
                   A-3,C1,2026-01-05,2026-02-04,XXX,bad currency,100.00,,,\n\
                   A-4,C1,2026-01-05,2026-02-04,USD,negative,,-2,10.00,\n\
                   A-5,C1,2026-01-05,2026-02-04,USD,first,100.00,,,\n\
                   A-6,C1,2026-01-05,2026-02-04,USD,,5.00,,,\n\
                   A-5,C1,2026-01-06,2026-02-04,USD,again,100.00,,,\n\
                   A-7,NOBODY,2026-01-05,2026-02-04,USD,who,100.00,,,\n\
                   INV-000001,C1,2026-01-05,2026-02-04,USD,taken,1.00,,,\n";
        let path = file(&dir, "invoices.csv", csv.as_bytes());
        let err = fails(&db, &["import", "invoices", &path]);
        for expected in [
            "row 3, column issue_date ('05/01/2026')",
            "row 4, column currency ('XXX')",
            "row 5, column quantity ('-2')",
            "row 8, column number ('A-5')",
            "row 9, column customer_ref ('NOBODY')",
            "row 10, column number ('INV-000001')",
        ] {
            assert!(
                err.contains(expected),
                "[{label}] missing '{expected}' in:\n{err}"
            );
        }
        // The duplicate is caught only once the rows parse; both passes name rows.
        assert!(err.contains("nothing was written"), "[{label}] {err}");
        assert_eq!(snapshot(&db), before, "[{label}] the book changed");

        // Fix the field errors; the book-level errors are then all reported.
        let csv = "number,customer_ref,issue_date,due_date,currency,amount\n\
                   A-5,C1,2026-01-05,2026-02-04,USD,100.00\n\
                   A-8,C1,2026-01-05,2026-02-04,USD,5.00\n\
                   A-5,C1,2026-01-05,2026-02-04,USD,100.00\n\
                   A-7,NOBODY,2026-01-05,2026-02-04,USD,100.00\n\
                   INV-000001,C1,2026-01-05,2026-02-04,USD,1.00\n";
        let path = file(&dir, "invoices2.csv", csv.as_bytes());
        let err = fails(&db, &["import", "invoices", &path]);
        assert!(
            err.contains("row 3, column number ('A-5')")
                || err.contains("row 4, column number ('A-5')"),
            "[{label}] {err}"
        );
        assert!(
            err.contains("row 5, column customer_ref ('NOBODY')"),
            "[{label}] {err}"
        );
        assert!(
            err.contains("row 6, column number ('INV-000001')")
                && err.contains("already in the book"),
            "[{label}] {err}"
        );
        assert_eq!(snapshot(&db), before, "[{label}] the book changed");

        let path = file(
            &dir,
            "missing.csv",
            b"number,customer_ref,issue_date,currency,amount\nB-1,C1,2026-01-05,USD,1.00\n",
        );
        let err = fails(&db, &["import", "invoices", &path]);
        assert!(
            err.contains("row 1, column due_date: required column is missing"),
            "[{label}] {err}"
        );

        let mut bytes = b"number,customer_ref,issue_date,due_date,currency,description,amount\nB-1,C1,2026-01-05,2026-02-04,USD,caf".to_vec();
        bytes.extend_from_slice(&[0xE9, 0x20]);
        bytes.extend_from_slice(b",1.00\n");
        let path = file(&dir, "latin1.csv", &bytes);
        let err = fails(&db, &["import", "invoices", &path]);
        assert!(
            err.contains("row 2, column description") && err.contains("UTF-8"),
            "[{label}] {err}"
        );
        assert_eq!(snapshot(&db), before, "[{label}] the book changed");

        let path = file(&dir, "ragged.csv", b"ref,name\nC9,Nine\nC10,Ten,extra\n");
        let err = fails(&db, &["import", "customers", &path]);
        assert!(
            err.contains("row 3") && err.contains("fields"),
            "[{label}] {err}"
        );
        assert_eq!(snapshot(&db), before, "[{label}] the book changed");
    }
}

#[test]
fn legitimate_oddities_are_accepted_with_warnings() {
    for db in backends("legitimate_oddities") {
        let label = db.label;
        book(&db);
        let dir = tempfile::tempdir().unwrap();
        let csv = "number,customer_ref,issue_date,due_date,currency,amount\n\
                   OLD-1,C1,2025-03-01,2025-02-20,USD,10.00\n\
                   OLD-2,C1,2025-03-01,2025-03-31,EUR,20.00\n";
        let path = file(&dir, "history.csv", csv.as_bytes());
        let dry = ok(&db, &["import", "invoices", &path, "--dry-run"]);
        assert!(
            dry.contains("Dry run") && dry.contains("nothing was written"),
            "[{label}] {dry}"
        );
        assert!(
            !ok(&db, &["invoice", "list", "--format", "csv"]).contains("OLD-1"),
            "[{label}] dry run wrote"
        );
        let out = ok(&db, &["import", "invoices", &path]);
        assert!(
            out.contains("warning: rows 2: due date before the issue date"),
            "[{label}] {out}"
        );
        assert!(
            out.contains("warning: rows 3: currency other than"),
            "[{label}] {out}"
        );
        // Importing the same file again is recognised and changes nothing.
        let again = ok(&db, &["import", "invoices", &path]);
        assert!(
            again.contains("Nothing new") && again.contains("2 invoices written then"),
            "[{label}] {again}"
        );
        let list = ok(&db, &["invoice", "list", "--format", "csv"]);
        assert_eq!(list.matches("OLD-1").count(), 1, "[{label}] {list}");
        // Issuing continues the organisation's own sequence.
        let out = ok(
            &db,
            &[
                "invoice",
                "create",
                "--customer",
                "C1",
                "--line",
                "More:1:1.00",
                "--issue",
            ],
        );
        assert!(out.contains("INV-000002"), "[{label}] {out}");
    }
}

#[test]
fn a_repeated_file_says_nothing_new_and_a_repeated_row_is_named() {
    // Issue 18 item 9: re-importing said "Imported 2 payments" while writing
    // nothing, and the same payment twice in one file went in without a word.
    for db in backends("a_repeated_file_says_nothing_new") {
        let label = db.label;
        book(&db);
        let dir = tempfile::tempdir().unwrap();
        let payments = file(
            &dir,
            "payments.csv",
            b"date,customer_ref,amount,currency,reference,invoice_number,method\n\
              2026-01-10,C1,3.00,USD,wire 7,,\n\
              2026-01-11,C1,2.00,USD,wire 8,,\n\
              2026-01-10,C1,3.00,USD,wire 7,,\n",
        );
        let first = ok(&db, &["import", "payments", &payments]);
        assert!(first.contains("Imported 3 payments"), "[{label}] {first}");
        assert!(
            first.contains("warning: rows 2, 4") && first.contains("wire 7"),
            "[{label}] {first}"
        );
        let before = snapshot(&db);
        let again = ok(&db, &["import", "payments", &payments]);
        assert!(
            again.contains("Nothing new: this file was imported before"),
            "[{label}] {again}"
        );
        assert_eq!(snapshot(&db), before, "[{label}] nothing written");
    }
}
