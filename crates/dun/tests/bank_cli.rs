//! `dun bank` through the real binary, on each database: a German bank's
//! CSV export (Windows-1252, `;`, decimal comma, `dd.mm.yy`) imported, the
//! invoice it names paid, the stranger's line confirmed from the queue, a
//! second import adding nothing, a mapping file for an export no preset
//! reads, and a malformed file refused whole naming its row and column.

mod common;

use common::{backends, dun, fails, ok};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// The export as the bank writes it: Windows-1252, so "Müller" is one byte.
fn windows_1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            'ü' => 0xFC,
            'ä' => 0xE4,
            c if c.is_ascii() => c as u8,
            other => panic!("add {other} to the test's encoder"),
        })
        .collect()
}

#[test]
fn a_german_bank_export_pays_what_it_names_and_the_queue_does_the_rest() {
    for db in backends("a_german_bank_export_pays_what_it_names") {
        let label = db.label;
        let dir = tempfile::tempdir().unwrap();
        ok(
            &db,
            &[
                "init",
                "--org",
                "Acme GmbH",
                "--currency",
                "EUR",
                "--timezone",
                "Europe/Berlin",
            ],
        );
        ok(
            &db,
            &[
                "customer",
                "add",
                "--ref",
                "C1",
                "--name",
                "Müller Bau GmbH",
            ],
        );
        ok(
            &db,
            &["customer", "add", "--ref", "C2", "--name", "Schmidt KG"],
        );
        ok(
            &db,
            &[
                "invoice",
                "create",
                "--customer",
                "C1",
                "--issue-date",
                "2026-02-01",
                "--line",
                "Pallets:1:1234.56",
                "--issue",
            ],
        );
        ok(
            &db,
            &[
                "invoice",
                "create",
                "--customer",
                "C2",
                "--issue-date",
                "2026-02-01",
                "--line",
                "Crates:1:99.90",
                "--issue",
            ],
        );
        let export = "Buchungstag;Valutadatum;Beguenstigter/Zahlungspflichtiger;Kontonummer/IBAN;Verwendungszweck;Betrag;Waehrung\r\n\
                      02.03.26;02.03.26;Müller Bau GmbH;DE89370400440532013000;\"RE INV-000001; danke\";1.234,56;EUR\r\n\
                      02.03.26;02.03.26;Fa. Schmidt;DE44500105175407324931;Maerz;99,90;EUR\r\n\
                      03.03.26;03.03.26;Stadtwerke;DE02120300000000202051;Strom;-45,00;EUR\r\n";
        let file = dir.path().join("umsaetze.csv");
        std::fs::write(&file, windows_1252(export)).unwrap();
        let path = file.to_str().unwrap();
        // The policy has the run wait for the day's statement: a person's
        // run before it is told what that risks.
        let policy = ok(&db, &["policy", "show"]).replace(
            "run_after_bank_import = false",
            "run_after_bank_import = true",
        );
        let policy_file = dir.path().join("policy.toml");
        std::fs::write(&policy_file, policy).unwrap();
        ok(&db, &["policy", "apply", policy_file.to_str().unwrap()]);
        let early = common::dun(&db, &["run", "--dry-run"]);
        assert!(
            early.ok && early.stderr.contains("none was imported today"),
            "[{label}] {}",
            early.stderr
        );
        let out = ok(&db, &["bank", "import", path]);
        assert!(
            out.contains("3 new") && out.contains("1 matched") && out.contains("1 other debits"),
            "[{label}] {out}"
        );
        let invoices = json(&ok(&db, &["invoice", "list", "--format", "json"]));
        let first = invoices
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["number"] == "INV-000001")
            .unwrap()
            .clone();
        assert_eq!(first["status"], "paid", "[{label}] {first}");

        let after = common::dun(&db, &["run", "--dry-run"]);
        assert!(
            !after.stderr.contains("none was imported today"),
            "[{label}] {}",
            after.stderr
        );

        // Again: nothing new.
        let out = ok(&db, &["bank", "import", path]);
        assert!(out.contains("0 new, 3 already imported"), "[{label}] {out}");

        // The queue: Schmidt's transfer, with the amount and the name as reasons.
        let queue = json(&ok(&db, &["bank", "queue", "--format", "json"]));
        let line = &queue.as_array().unwrap()[0];
        assert_eq!(
            line["candidates"][0]["customer_ref"], "C2",
            "[{label}] {queue}"
        );
        let id = line["id"].as_i64().unwrap().to_string();
        let out = ok(
            &db,
            &[
                "bank",
                "confirm",
                &id,
                "--customer",
                "C2",
                "--invoice",
                "INV-000002",
            ],
        );
        assert!(out.contains("posted as payment"), "[{label}] {out}");
        assert!(json(&ok(&db, &["bank", "queue", "--format", "json"]))
            .as_array()
            .unwrap()
            .is_empty());
        let err = fails(&db, &["bank", "confirm", &id, "--customer", "C2"]);
        assert!(err.contains("is matched"), "[{label}] {err}");

        // A mapping file for an export with debit and credit columns.
        let mapping = dir.path().join("mapping.toml");
        std::fs::write(&mapping, "date = \"Datum\"\ndate_format = \"dd.mm.yyyy\"\ncredit = \"Haben\"\ndebit = \"Soll\"\ndecimal = \",\"\nfixed_currency = \"EUR\"\ncounterparty_name = \"Name\"\nremittance = [\"Text\"]\n").unwrap();
        let other = dir.path().join("other.csv");
        std::fs::write(
            &other,
            "Datum;Name;Text;Soll;Haben\n04.03.2026;Schmidt KG;INV-000002 Rest;;0,10\n",
        )
        .unwrap();
        let out = ok(
            &db,
            &[
                "bank",
                "import",
                other.to_str().unwrap(),
                "--mapping",
                mapping.to_str().unwrap(),
            ],
        );
        assert!(out.contains("1 new"), "[{label}] {out}");

        // A malformed amount: refused whole, naming the row, column and value.
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, windows_1252(&export.replace("99,90", "99,9x"))).unwrap();
        let err = fails(&db, &["bank", "import", bad.to_str().unwrap()]);
        assert!(
            err.contains("row 3") && err.contains("Betrag") && err.contains("nothing was imported"),
            "[{label}] {err}"
        );
        let run = dun(&db, &["bank", "queue", "--show", "all", "--format", "json"]);
        assert_eq!(
            json(&run.stdout).as_array().unwrap().len(),
            4,
            "[{label}] nothing of the bad file was kept"
        );
    }
}

/// A camt.053 with one stranger's credit per bank reference.
fn camt053(id: &str, refs: &[&str]) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>\
         <GrpHdr><MsgId>{id}</MsgId><CreDtTm>2026-03-03T05:00:00</CreDtTm></GrpHdr>\
         <Stmt><Id>{id}</Id><CreDtTm>2026-03-03T05:00:00</CreDtTm>\
         <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>"
    );
    for r in refs {
        xml.push_str(&format!(
            "<Ntry><Amt Ccy=\"EUR\">7.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>\
             <BookgDt><Dt>2026-03-02</Dt></BookgDt><AcctSvcrRef>{r}</AcctSvcrRef><BkTxCd/>\
             <NtryDtls><TxDtls><RmtInf><Ustrd>gift {r}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        ));
    }
    xml + "</Stmt></BkToCstmrStmt></Document>"
}

#[test]
fn a_zip_of_statements_imports_and_the_queue_pages() {
    use std::io::Write;
    for db in backends("a_zip_of_statements_imports") {
        let label = db.label;
        let dir = tempfile::tempdir().unwrap();
        ok(
            &db,
            &[
                "init",
                "--org",
                "Acme GmbH",
                "--currency",
                "EUR",
                "--timezone",
                "Europe/Berlin",
            ],
        );
        // Named .dat: a ZIP is known by its first bytes, not its name.
        let path = dir.path().join("kontoauszuege.dat");
        let mut out = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let first: Vec<String> = (0..300).map(|i| format!("A-{i}")).collect();
        let second: Vec<String> = (0..202).map(|i| format!("B-{i}")).collect();
        for (name, refs) in [("a.xml", &first), ("b.xml", &second)] {
            let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
            out.start_file(name, options).unwrap();
            out.write_all(camt053(name, &refs).as_bytes()).unwrap();
        }
        out.finish().unwrap();
        let path = path.to_str().unwrap();
        let out = ok(&db, &["bank", "import", path]);
        assert!(
            out.contains("Read 502 lines in 2 statement(s): 502 new"),
            "[{label}] {out}"
        );
        let out = ok(&db, &["bank", "import", path]);
        assert!(
            out.contains("0 new, 502 already imported"),
            "[{label}] {out}"
        );

        let first = dun(&db, &["bank", "queue", "--format", "json"]);
        assert!(first.ok, "[{label}] {}", first.stderr);
        assert_eq!(json(&first.stdout).as_array().unwrap().len(), 500);
        let hint = first
            .stderr
            .lines()
            .find(|l| l.starts_with("More lines: dun bank queue"))
            .unwrap_or_else(|| panic!("[{label}] {}", first.stderr));
        let after = hint.rsplit(' ').next().unwrap();
        let rest = dun(
            &db,
            &["bank", "queue", "--after", after, "--format", "json"],
        );
        assert_eq!(json(&rest.stdout).as_array().unwrap().len(), 2, "[{label}]");
        assert!(
            rest.stderr.contains("--before"),
            "[{label}] {}",
            rest.stderr
        );
        assert!(
            !rest.stderr.contains("More lines"),
            "[{label}] {}",
            rest.stderr
        );
    }
}
