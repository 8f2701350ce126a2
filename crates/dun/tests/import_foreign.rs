//! Importing what people have (issue 15 item 9): another system's headers
//! (recognised names and a mapping), `--skip-bad-rows` with its rejects
//! file, and 500 open invoices brought over, previewed and run — on each
//! database.

mod common;

use std::collections::BTreeSet;

use common::{backends, fails, ok, Db};

fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn init(db: &Db) {
    ok(
        db,
        &[
            "init",
            "--org",
            "Acme",
            "--currency",
            "USD",
            "--timezone",
            "UTC",
        ],
    );
}

fn snapshot(db: &Db) -> String {
    ok(db, &["invoice", "list", "--format", "csv"])
        + &ok(db, &["customer", "list", "--format", "csv"])
        + &ok(db, &["payment", "list", "--format", "csv"])
}

/// Today in UTC, as the binary's clock reads it (the organisation's time
/// zone is UTC here).
fn today() -> dun_core::Date {
    let now = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::UTC);
    dun_core::Date::parse(&now.date().to_string()).unwrap()
}

#[test]
fn another_systems_headers_are_read_through_synonyms_and_a_mapping() {
    for db in backends("another_systems_headers") {
        let label = db.label;
        init(&db);
        let dir = tempfile::tempdir().unwrap();
        let customers = file(
            &dir,
            "customers.csv",
            "Customer ID,Company,E-Mail\nC1,Bolt & Nut,ap@bolt.example.com\nC2,Cog Works,\n",
        );
        let out = ok(&db, &["import", "customers", &customers]);
        assert!(out.contains("Imported 2 customers"), "[{label}] {out}");
        assert!(
            out.contains("warning: rows 1: column 'Customer ID' read as ref")
                && out.contains("column 'Company' read as name")
                && out.contains("column 'E-Mail' read as email"),
            "[{label}] {out}"
        );

        let invoices = file(
            &dir,
            "invoices.csv",
            "Inv #,Client,Invoice Date,Payment Due,CCY,Total,Salesperson\n\
             OLD-1,C1,2026-01-05,2026-02-04,USD,100.00,Ann\n\
             OLD-2,C2,2026-01-06,2026-02-05,USD,250.50,Bob\n",
        );
        // Salesperson is no Dun column: refused, with the way out named.
        let err = fails(&db, &["import", "invoices", &invoices]);
        assert!(
            err.contains("row 1, column Salesperson: unknown column")
                && err.contains("--map 'Salesperson=-'"),
            "[{label}] {err}"
        );
        // A mapping to a column Dun does not have names it and the columns.
        let err = fails(
            &db,
            &[
                "import",
                "invoices",
                &invoices,
                "--map",
                "Salesperson=seller",
            ],
        );
        assert!(
            err.contains("reads this column as 'seller', which is not a Dun column; the columns are: number, customer_ref"),
            "[{label}] {err}"
        );
        let err = fails(
            &db,
            &[
                "import",
                "invoices",
                &invoices,
                "--map",
                "Salesperson=-,Region=-",
            ],
        );
        assert!(
            err.contains("row 1, column Region: the mapping names a column the file does not have"),
            "[{label}] {err}"
        );
        let out = ok(
            &db,
            &["import", "invoices", &invoices, "--map", "Salesperson=-"],
        );
        assert!(out.contains("Imported 2 invoices"), "[{label}] {out}");
        assert!(
            out.contains("column 'Inv #' read as number")
                && out.contains("column 'Total' read as amount"),
            "[{label}] {out}"
        );
        let list = ok(&db, &["invoice", "list", "--format", "csv"]);
        assert!(
            list.contains("OLD-1") && list.contains("250.50"),
            "[{label}] {list}"
        );
        // The same mapping written as a file is the same import: nothing new.
        let map_file = file(&dir, "map.toml", "[columns]\nsalesperson = \"-\"\n");
        let again = ok(
            &db,
            &["import", "invoices", &invoices, "--map-file", &map_file],
        );
        assert!(again.contains("Nothing new"), "[{label}] {again}");
        // Another mapping is another import (here refused by the book).
        let err = fails(
            &db,
            &[
                "import",
                "invoices",
                &invoices,
                "--map",
                "Salesperson=description",
            ],
        );
        assert!(err.contains("already in the book"), "[{label}] {err}");

        // Payments under a mapping file only.
        let payments = file(
            &dir,
            "payments.csv",
            "Datum,Kunde,Betrag,Währung,Beleg\n2026-02-10,C1,40.00,USD,OLD-1\n",
        );
        let map_file = file(
            &dir,
            "payments.toml",
            "[columns]\nDatum = \"date\"\nKunde = \"customer_ref\"\nBetrag = \"amount\"\n\"Währung\" = \"currency\"\nBeleg = \"invoice_number\"\n",
        );
        let out = ok(
            &db,
            &["import", "payments", &payments, "--map-file", &map_file],
        );
        assert!(
            out.contains("Imported 1 payments") && !out.contains("warning"),
            "[{label}] {out}"
        );
        let shown = ok(&db, &["invoice", "show", "OLD-1"]);
        assert!(shown.contains("60.00"), "[{label}] {shown}");

        // Two columns read as one are refused, naming both.
        let twice = file(
            &dir,
            "twice.csv",
            "Invoice No,Document Number,Client,Date,Due,CCY,Total\nX,Y,C1,2026-01-05,2026-02-04,USD,1.00\n",
        );
        let err = fails(&db, &["import", "invoices", &twice]);
        assert!(
            err.contains("columns 'Invoice No' and 'Document Number' would all be read as number"),
            "[{label}] {err}"
        );
    }
}

#[test]
fn skip_bad_rows_applies_the_good_rows_and_writes_the_rest_with_every_reason() {
    for db in backends("skip_bad_rows") {
        let label = db.label;
        init(&db);
        ok(&db, &["customer", "add", "--ref", "C1", "--name", "First"]);
        let dir = tempfile::tempdir().unwrap();
        let csv = "Invoice No,Customer,Date,Due Date,Currency,Description,Amount\n\
                   A-1,C1,2026-01-05,2026-02-04,USD,good,100.00\n\
                   A-2,C1,2026-01-05,2026-02-04,USD,\"first line, good\",10.00\n\
                   A-2,C1,2026-01-05,2026-02-04,USD,second line bad,-5.00\n\
                   A-3,,05/01/2026,2026-02-04,USD,two problems,1.00\n\
                   A-4,NOBODY,2026-01-05,2026-02-04,USD,unknown customer,2.00\n\
                   A-5,C1,2026-01-06,2026-02-05,USD,good too,3.00\n";
        let invoices = file(&dir, "invoices.csv", csv);
        let rejects = dir.path().join("rejects.csv");
        let rejects_arg = rejects.to_str().unwrap();
        let expected = "Invoice No,Customer,Date,Due Date,Currency,Description,Amount,reasons\n\
             A-2,C1,2026-01-05,2026-02-04,USD,\"first line, good\",10.00,\"another row of this invoice (row 4) is rejected\"\n\
             A-2,C1,2026-01-05,2026-02-04,USD,second line bad,-5.00,\"Amount (amount) ('-5.00'): an invoice amount must be positive; corrections are credit notes\"\n\
             A-3,,05/01/2026,2026-02-04,USD,two problems,1.00,\"Customer (customer_ref): a value is required; Date (issue_date) ('05/01/2026'): '05/01/2026' is not a date; use YYYY-MM-DD, e.g. 2026-01-31\"\n\
             A-4,NOBODY,2026-01-05,2026-02-04,USD,unknown customer,2.00,\"Customer (customer_ref) ('NOBODY'): no customer has this reference; import customers first\"\n";

        // Without the flag: all or nothing, every problem named.
        let before = snapshot(&db);
        let err = fails(&db, &["import", "invoices", &invoices]);
        assert!(
            err.contains("nothing was written")
                && err.contains("('-5.00')")
                && err.contains("('NOBODY')"),
            "[{label}] {err}"
        );
        assert_eq!(snapshot(&db), before, "[{label}]");

        // A dry run writes the rejects, not the book.
        let dry_rejects = dir.path().join("dry.csv");
        let out = ok(
            &db,
            &[
                "import",
                "invoices",
                &invoices,
                "--dry-run",
                "--skip-bad-rows",
                dry_rejects.to_str().unwrap(),
            ],
        );
        assert!(
            out.contains("Dry run: 2 invoices checked")
                && out.contains("4 rows rejected")
                && out.contains("nothing was written to the book"),
            "[{label}] {out}"
        );
        assert_eq!(
            std::fs::read_to_string(&dry_rejects).unwrap(),
            expected,
            "[{label}]"
        );
        assert_eq!(snapshot(&db), before, "[{label}] the dry run wrote");

        let out = ok(
            &db,
            &[
                "import",
                "invoices",
                &invoices,
                "--skip-bad-rows",
                rejects_arg,
            ],
        );
        assert!(
            out.contains("Imported 2 invoices")
                && out.contains("4 rows rejected, written with the reasons to"),
            "[{label}] {out}"
        );
        assert_eq!(
            std::fs::read_to_string(&rejects).unwrap(),
            expected,
            "[{label}]"
        );
        let list = ok(&db, &["invoice", "list", "--format", "csv"]);
        for (number, there) in [
            ("A-1", true),
            ("A-2", false),
            ("A-3", false),
            ("A-4", false),
            ("A-5", true),
        ] {
            assert_eq!(list.contains(number), there, "[{label}] {number}: {list}");
        }

        // The same command again changes nothing, rejects file included.
        let after = snapshot(&db);
        let again = ok(
            &db,
            &[
                "import",
                "invoices",
                &invoices,
                "--skip-bad-rows",
                rejects_arg,
            ],
        );
        assert!(again.contains("Nothing new"), "[{label}] {again}");
        assert_eq!(snapshot(&db), after, "[{label}]");
        assert_eq!(
            std::fs::read_to_string(&rejects).unwrap(),
            expected,
            "[{label}]"
        );

        // A rejects file that exists is never overwritten.
        let more = file(
            &dir,
            "more.csv",
            "number,customer_ref,issue_date,due_date,currency,amount\nB-1,C1,2026-01-05,2026-02-04,USD,1.00\n",
        );
        let err = fails(
            &db,
            &["import", "invoices", &more, "--skip-bad-rows", rejects_arg],
        );
        assert!(err.contains("must not exist"), "[{label}] {err}");
        assert_eq!(snapshot(&db), after, "[{label}]");

        // Payments: values shown as written, never in minor units.
        let payments = file(
            &dir,
            "payments.csv",
            "Payment Date,Account,Amount Paid,CCY\n2026-02-01,C1,-5.00,USD\n2026-02-01,C1,7.5,USD\n",
        );
        let payment_rejects = dir.path().join("payment_rejects.csv");
        let out = ok(
            &db,
            &[
                "import",
                "payments",
                &payments,
                "--skip-bad-rows",
                payment_rejects.to_str().unwrap(),
            ],
        );
        assert!(
            out.contains("Imported 1 payments") && out.contains("1 row rejected"),
            "[{label}] {out}"
        );
        let written = std::fs::read_to_string(&payment_rejects).unwrap();
        assert_eq!(
            written,
            "Payment Date,Account,Amount Paid,CCY,reasons\n2026-02-01,C1,-5.00,USD,\"Amount Paid (amount) ('-5.00'): a payment amount must be positive; record refunds and reversals separately\"\n",
            "[{label}]"
        );
    }
}

#[test]
fn five_hundred_open_invoices_from_another_system_are_previewed_confirmed_and_run() {
    for db in backends("five_hundred_open_invoices") {
        let label = db.label;
        init(&db);
        let dir = tempfile::tempdir().unwrap();
        let mut customers = String::from("Account,Customer Name,Email Address\n");
        for c in 0..50 {
            customers.push_str(&format!("K{c:03},Customer {c},ap{c}@example.com\n"));
        }
        let customers = file(&dir, "customers.csv", &customers);
        ok(&db, &["import", "customers", &customers]);

        // Aged 0 to 400 days past due, in another system's words.
        let age = |i: usize| (i * 400 / 499) as i32;
        let mut invoices =
            String::from("Document Number,Account,Date,Due Date,Ccy,Open Amount,Region\n");
        for i in 0..500 {
            let due = today().add_days(-age(i));
            invoices.push_str(&format!(
                "OLD-{i:04},K{:03},{},{due},USD,{}.{:02},north\n",
                i % 50,
                due.add_days(-30),
                100 + i,
                i % 100
            ));
        }
        let invoices = file(&dir, "invoices.csv", &invoices);
        let args = ["import", "invoices", &invoices, "--map", "Region=-"];

        // Preview the import, then confirm it.
        let preview = ok(&db, &[&args[..], &["--dry-run"]].concat());
        assert!(
            preview.contains("Dry run: 500 invoices checked, all good"),
            "[{label}] {preview}"
        );
        assert!(
            preview.contains("column 'Document Number' read as number"),
            "[{label}] {preview}"
        );
        let out = ok(&db, &args);
        assert!(out.contains("Imported 500 invoices"), "[{label}] {out}");

        // Preview the first run: nothing for the steps passed before the import.
        let run = json(&ok(&db, &["run", "--dry-run", "--format", "json"]));
        let actions = run["actions"].as_array().unwrap();
        let of = |actions: &[serde_json::Value], kind: &str| -> Vec<serde_json::Value> {
            actions
                .iter()
                .filter(|a| a["action"] == kind)
                .cloned()
                .collect()
        };
        let fee_invoices = |fees: &[serde_json::Value]| -> BTreeSet<String> {
            fees.iter()
                .flat_map(|f| f["invoices"].as_array().unwrap().iter())
                .map(|n| n.as_str().unwrap().to_string())
                .collect()
        };
        // Only a final demand reached today (60 days past due) charges its fee.
        let due_today: BTreeSet<String> = (0..500)
            .filter(|i| age(*i) == 60)
            .map(|i| format!("OLD-{i:04}"))
            .collect();
        let fees = of(actions, "fee");
        assert!(
            fee_invoices(&fees).is_subset(&due_today),
            "[{label}] {fees:#?}"
        );
        assert!(of(actions, "interest").is_empty(), "[{label}]");
        let skips = of(actions, "skip");
        assert!(!skips.is_empty(), "[{label}]");
        assert!(
            skips.iter().all(|s| s["rule"] == "import.ladder_from"),
            "[{label}] {skips:#?}"
        );

        // Confirmed: the run applies what the preview showed, and no more.
        let applied = json(&ok(&db, &["run", "--format", "json"]));
        assert_eq!(applied["dry_run"], false, "[{label}]");
        assert_eq!(applied["summary"], run["summary"], "[{label}]");
        let fees = of(applied["actions"].as_array().unwrap(), "fee");
        assert!(
            fee_invoices(&fees).is_subset(&due_today),
            "[{label}] {fees:#?}"
        );
        let again = ok(&db, &["run"]);
        assert!(again.contains("Nothing to do"), "[{label}] {again}");
    }
}

#[test]
fn import_customers_update_changes_existing_customers_by_ref_on_their_timeline() {
    for db in backends("import_customers_update") {
        let label = db.label;
        init(&db);
        let dir = tempfile::tempdir().unwrap();
        let first = file(
            &dir,
            "customers.csv",
            "ref,name,email,phone,credit_limit,terms\nC1,Bolt & Nut,ap@bolt.example,,1000.00,net30\nC2,Cog Works,,,,\n",
        );
        ok(&db, &["import", "customers", &first]);
        // Without --update, an existing ref is refused, naming it.
        let changed = file(
            &dir,
            "changed.csv",
            "ref,name,email,phone,credit_limit,terms\nC1,Bolt & Nut Ltd,billing@bolt.example,,2500.00,\nC2,Cog Works,,,,\nC3,Pin Co,pins@pin.example,,,net15\n",
        );
        let refused = fails(&db, &["import", "customers", &changed]);
        assert!(
            refused.contains("a customer with this reference already exists"),
            "[{label}] {refused}"
        );
        // --update: C1 changed (empty terms cell left as it was), C2 as it
        // was (a warning), C3 added; every change on C1's timeline.
        let before = snapshot(&db);
        let dry = ok(
            &db,
            &["import", "customers", &changed, "--update", "--dry-run"],
        );
        assert!(dry.contains("Dry run"), "[{label}] {dry}");
        assert_eq!(snapshot(&db), before, "[{label}] a dry run writes nothing");
        let out = ok(
            &db,
            &[
                "import",
                "customers",
                &changed,
                "--update",
                "--author",
                "ann",
            ],
        );
        assert!(
            out.contains("Imported 2 customers from 3 rows"),
            "[{label}] {out}"
        );
        assert!(
            out.contains("customer already as the file says"),
            "[{label}] {out}"
        );
        let c1 = json(&ok(&db, &["customer", "show", "C1", "--format", "json"]));
        let text = c1.to_string();
        assert!(text.contains("Bolt & Nut Ltd"), "[{label}] {text}");
        assert!(text.contains("billing@bolt.example"), "[{label}] {text}");
        assert!(
            text.contains("net30"),
            "[{label}] the empty terms cell left them: {text}"
        );
        let timeline = ok(&db, &["customer", "timeline", "C1"]);
        assert!(
            timeline.contains("name: Bolt & Nut → Bolt & Nut Ltd")
                && timeline.contains("email: ap@bolt.example → billing@bolt.example")
                && timeline.contains("ann"),
            "[{label}] {timeline}"
        );
        ok(&db, &["customer", "show", "C3"]);
        // The same file again: nothing new.
        let again = ok(&db, &["import", "customers", &changed, "--update"]);
        assert!(again.contains("Nothing new"), "[{label}] {again}");
        // Only customers are updated.
        let payments = file(&dir, "p.csv", "date,customer_ref,amount,currency\n");
        let wrong = fails(&db, &["import", "payments", &payments, "--update"]);
        assert!(wrong.contains("--update"), "[{label}] {wrong}");
    }
}
