//! `dun export --all DIR` and `dun import-all DIR`: an export imports into
//! an identical book, on either engine from either engine; a changed file
//! or a busy directory is refused with nothing written.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{backends, fails, ok, Db};
use sha2::{Digest, Sha256};

const OWNER_EMAIL: &str = "owner@demo.example";

/// The first invoice number (`INV-…`) in a command's output.
fn number(out: &str) -> String {
    let start = out
        .find("INV-")
        .unwrap_or_else(|| panic!("no number in {out}"));
    out[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

fn with_password(db: &Db, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_dun"))
        .arg("--db")
        .arg(&db.url)
        .args(args)
        .env_remove("DUN_DATABASE_URL")
        .env_remove("DUN_ORG")
        .env("DUN_PASSWORD", "correct horse battery staple 42")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "[{}] dun {args:?}: {}",
        db.label,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A book with a history: the demo's two years, two collections runs, and
/// one customer with a payment, a refund, a credit note, a write-off, a
/// waived fee, a promise, a dispute, a plan, a task, collateral, a
/// recurring invoice, a statement schedule, a rate, a closed period and
/// a user.
fn build_book(db: &Db) {
    ok(
        db,
        &[
            "demo",
            "--invoices",
            "300",
            "--end-date",
            "2026-06-30",
            "--seed",
            "11",
        ],
    );
    with_password(
        db,
        &[
            "user",
            "add",
            OWNER_EMAIL,
            "--name",
            "Owen",
            "--role",
            "owner",
        ],
    );
    ok(
        db,
        &[
            "customer",
            "add",
            "--ref",
            "ZZ1",
            "--name",
            "=Export & Sons",
            "--email",
            "ap@export.example",
            "--credit-limit",
            "9000.00",
        ],
    );
    ok(
        db,
        &[
            "customer",
            "contact",
            "add",
            "ZZ1",
            "--role",
            "accounts_payable",
            "--name",
            "Payables desk",
            "--email",
            "payables@export.example",
        ],
    );
    ok(
        db,
        &[
            "customer",
            "edit",
            "ZZ1",
            "--notes",
            "Pays on the 15th",
            "--payment-methods",
            "bank_transfer,card",
        ],
    );
    let invoice = |date: &str, line: &str| {
        number(&ok(
            db,
            &[
                "invoice",
                "create",
                "--customer",
                "ZZ1",
                "--issue-date",
                date,
                "--line",
                line,
                "--issue",
            ],
        ))
    };
    let fee_one = invoice("2026-03-01", "Pallets:1:800.00");
    let credited = invoice("2026-04-01", "Crates:3:100.00");
    let disputed = invoice("2026-04-10", "Boxes:2:100.00");
    let planned = invoice("2026-05-01", "Racks:1:600.00");
    let promised = invoice("2026-05-10", "Tape:10:10.00");
    // A unit price finer than the cent: 3 × 13.333 = 40.00.
    invoice("2026-05-12", "Screws:3:13.333");
    ok(
        db,
        &[
            "payment",
            "record",
            "--customer",
            "ZZ1",
            "--amount",
            "150.00",
            "--date",
            "2026-04-20",
            "--reference=-1+1 bank",
            "--allocate",
            &format!("{fee_one}=150.00"),
        ],
    );
    ok(
        db,
        &[
            "credit-note",
            &credited,
            "--amount",
            "50.00",
            "--reason",
            "one crate short",
            "--date",
            "2026-04-15",
        ],
    );
    ok(
        db,
        &[
            "write-off",
            &credited,
            "--reason",
            "not worth chasing",
            "--date",
            "2026-06-20",
        ],
    );
    ok(
        db,
        &[
            "log",
            "dispute",
            &disputed,
            "--reason",
            "one box arrived broken",
            "--line",
            "1",
            "--on",
            "2026-04-20",
        ],
    );
    ok(
        db,
        &[
            "plan",
            "create",
            "ZZ1",
            "--invoice",
            &planned,
            "--split",
            "3",
            "--first",
            "2026-06-15",
            "--every-days",
            "30",
            "--on",
            "2026-06-01",
        ],
    );
    ok(
        db,
        &[
            "log",
            "promise",
            "ZZ1",
            "--amount",
            "100.00",
            "--date",
            "2026-07-20",
            "--invoice",
            &promised,
            "--on",
            "2026-06-10",
        ],
    );
    ok(
        db,
        &[
            "collateral",
            "add",
            "ZZ1",
            "--kind",
            "letter_of_credit",
            "--amount",
            "500.00",
            "--expires",
            "2026-09-10",
            "--reference",
            "LC-9",
            "--on",
            "2026-06-01",
        ],
    );
    ok(
        db,
        &[
            "task",
            "add",
            "ZZ1",
            "Call about the broken box",
            "--due",
            "2026-06-18",
            "--on",
            "2026-06-17",
        ],
    );
    ok(
        db,
        &[
            "log",
            "note",
            "ZZ1",
            "Prefers \"email\"\nnot calls",
            "--on",
            "2026-06-17",
        ],
    );
    ok(
        db,
        &[
            "recurring",
            "add",
            "ZZ1",
            "--schedule",
            "monthly:1",
            "--line",
            "Hosting:1:100.00",
            "--starts",
            "2026-06-15",
        ],
    );
    ok(
        db,
        &[
            "statement-schedule",
            "set",
            "ZZ1",
            "--schedule",
            "monthly:2",
            "--starts",
            "2026-06-15",
        ],
    );
    ok(
        db,
        &["rates", "set", "EUR", "USD", "1.08", "--from", "2026-01-01"],
    );
    ok(db, &["run", "--as-of", "2026-06-30"]);
    ok(
        db,
        &[
            "invoice",
            "waive",
            &fee_one,
            "fee",
            "--reason",
            "goodwill: first late payment",
            "--date",
            "2026-07-01",
        ],
    );
    ok(
        db,
        &[
            "payment",
            "record",
            "--customer",
            "ZZ1",
            "--amount",
            "5000.00",
            "--date",
            "2026-07-02",
            "--reference",
            "on account",
            "--allocate",
            "none",
        ],
    );
    let payments = ok(db, &["payment", "list", "--format", "json"]);
    let payments: serde_json::Value = serde_json::from_str(&payments).unwrap();
    let last = payments
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_i64())
        .max()
        .unwrap()
        .to_string();
    ok(
        db,
        &[
            "payment", "refund", &last, "--amount", "10.00", "--reason", "overpaid",
        ],
    );
    // A policy version, a template, a reference rate, a bank statement
    // (one line pays the promised invoice), an escalation review decided.
    let dir = tempfile::tempdir().unwrap();
    let policy = ok(db, &["policy", "show"]).replace(
        "bank_import_wait_until = \"12:00\"",
        "bank_import_wait_until = \"13:00\"",
    );
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let policy = file("policy.toml", &policy);
    ok(db, &["policy", "apply", &policy, "--author", "ann"]);
    let body = file("body.txt", "Dear {{customer_name}},\nplease pay.\n");
    ok(
        db,
        &[
            "template",
            "set",
            "final_demand",
            "--subject",
            "Our own final demand for {{customer_name}}",
            "--text-file",
            &body,
            "--author",
            "ann",
        ],
    );
    let rates = file(
        "rates.csv",
        "series,in_force_from,rate_percent,source\nde_base,2026-07-01,1.27,\"Bundesbank, read by ann\"\n",
    );
    ok(
        db,
        &["rates", "reference", "import", &rates, "--author", "ann"],
    );
    let statement = file(
        "statement.csv",
        &format!(
            "date,amount,currency,counterparty_name,counterparty_iban,remittance,bank_ref\n\
             2026-07-03,100.00,USD,Export and Sons,GB33BUKB20201555555555,{promised},R-1\n\
             2026-07-03,12.34,USD,Someone,,=HYPERLINK(x),R-2\n\
             2026-07-03,-5.00,USD,,,fees,R-3\n"
        ),
    );
    ok(db, &["bank", "import", &statement]);
    // A person says whose the unmatched credit is: the payer is learnt.
    let queue: serde_json::Value =
        serde_json::from_str(&ok(db, &["bank", "queue", "--format", "json"])).unwrap();
    let line = queue
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["amount_minor"] == 1234)
        .unwrap_or_else(|| panic!("[{}] no unmatched 12.34 line: {queue}", db.label));
    let id = line["id"].as_i64().unwrap().to_string();
    ok(db, &["bank", "confirm", &id, "--customer", "ZZ1"]);
    let worklist: serde_json::Value = serde_json::from_str(&ok(
        db,
        &["worklist", "--as-of", "2026-07-03", "--format", "json"],
    ))
    .unwrap();
    let review = worklist
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["task_kind"] == "escalation")
        .unwrap_or_else(|| panic!("[{}] no escalation review: {worklist}", db.label));
    let id = review["task_id"].as_i64().unwrap().to_string();
    ok(
        db,
        &[
            "task",
            "decide",
            &id,
            "reject",
            "--reason",
            "they pay slowly but pay",
        ],
    );
    ok(db, &["run", "--as-of", "2026-07-05"]);
    // A final demand's letter, kept to be printed.
    let outbox: serde_json::Value = serde_json::from_str(&ok(
        db,
        &["outbox", "list", "--status", "pending", "--format", "json"],
    ))
    .unwrap();
    let letter = outbox
        .as_array()
        .unwrap()
        .iter()
        .find(|m| {
            m["channels"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == "letter")
        })
        .unwrap_or_else(|| panic!("[{}] no letter to make: {outbox}", db.label));
    let id = letter["id"].as_i64().unwrap().to_string();
    let letters = dir.path().join("letters");
    std::fs::create_dir(&letters).unwrap();
    ok(
        db,
        &["outbox", "letter", &id, "--dir", letters.to_str().unwrap()],
    );
    ok(
        db,
        &["period", "close", "2026-03-31", "--reason", "Q1 filed"],
    );
}

/// Every file of an export directory, by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn figures(db: &Db) -> [String; 3] {
    [
        ok(db, &["aging", "--as-of", "2026-07-05", "--format", "json"]),
        ok(
            db,
            &[
                "aging",
                "--as-of",
                "2026-07-05",
                "--detail",
                "--format",
                "json",
            ],
        ),
        ok(
            db,
            &[
                "report",
                "figures",
                "--as-of",
                "2026-07-05",
                "--days",
                "90",
                "--format",
                "json",
            ],
        ),
    ]
}

fn fresh(like: &Db, test: &str) -> Db {
    match like.label {
        "sqlite" => common::sqlite(),
        _ => common::postgres(test).expect("PostgreSQL"),
    }
}

#[test]
fn an_export_imports_into_an_identical_book_on_either_engine() {
    let sources = backends("export_all_source");
    for source in &sources {
        build_book(source);
        let out_dir = tempfile::tempdir().unwrap();
        let first = out_dir.path().join("first");
        let said = ok(source, &["export", "--all", first.to_str().unwrap()]);
        assert!(said.contains("Exported 'Demo Trading Co'"), "{said}");
        let exported = files(&first);
        let manifest: serde_json::Value =
            serde_json::from_slice(&exported["manifest.json"]).unwrap();
        let count = |table: &str| {
            manifest["files"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["file"] == format!("{table}.jsonl"))
                .unwrap_or_else(|| panic!("{table}.jsonl"))["rows"]
                .as_u64()
                .unwrap()
        };
        // The history the book was built with is all there.
        for table in [
            "customers",
            "users",
            "memberships",
            "invoices",
            "payments",
            "credit_notes",
            "write_offs",
            "ledger_entries",
            "policy_versions",
            "runs",
            "run_marks",
            "run_actions",
            "outbox",
            "tasks",
            "timeline",
            "promises",
            "disputes",
            "payment_plans",
            "collateral",
            "recurring_invoices",
            "recurring_occurrences",
            "statement_schedules",
            "exchange_rates",
            "period_closes",
            "idempotency_keys",
            "escalations",
            "message_templates",
            "reference_rates",
            "bank_statements",
            "bank_transactions",
            "payer_accounts",
            "letters",
            "customer_contacts",
        ] {
            assert!(count(table) > 0, "[{}] no {table} exported", source.label);
        }
        assert_eq!(count("organisations"), 1);
        assert_eq!(count("policy_versions"), 2);
        // Secrets stay behind; formulas are neutralised in CSV, exact in JSON.
        let users = String::from_utf8(exported["users.jsonl"].clone()).unwrap();
        assert!(
            users.contains(OWNER_EMAIL) && !users.contains("argon2") && !users.contains("password"),
            "{users}"
        );
        let customers_csv = String::from_utf8(exported["customers.csv"].clone()).unwrap();
        assert!(
            customers_csv.contains(",'=Export & Sons,"),
            "{customers_csv}"
        );
        let customers = String::from_utf8(exported["customers.jsonl"].clone()).unwrap();
        assert!(
            customers.contains("\"name\":\"=Export & Sons\""),
            "{customers}"
        );
        assert!(
            customers.contains("\"notes\":\"Pays on the 15th\"")
                && customers.contains("\"payment_methods\":\"bank_transfer,card\""),
            "{customers}"
        );
        let invoices = String::from_utf8(exported["invoices.jsonl"].clone()).unwrap();
        assert!(
            invoices.contains("\"issue_date\":\"2026-03-01\"")
                && invoices.contains("\"total_minor\":80000"),
            "dates as YYYY-MM-DD, money in minor units"
        );
        // The finer price travels exactly, and comes back (compared below).
        assert!(
            invoices.contains(r#"\"unit_price_minor_e4\":13333000"#)
                && invoices.contains("\"total_minor\":4000,"),
            "{invoices}"
        );

        for target_like in &sources {
            let target = fresh(target_like, "export_all_target");
            let said = ok(&target, &["import-all", first.to_str().unwrap()]);
            assert!(
                said.contains("every balance equals its ledger entries"),
                "[{} → {}] {said}",
                source.label,
                target.label
            );
            ok(&target, &["verify"]);
            assert_eq!(
                figures(source),
                figures(&target),
                "[{} → {}] the aging and figures",
                source.label,
                target.label
            );
            let again = out_dir.path().join(format!("again-{}", target.label));
            ok(&target, &["export", "--all", again.to_str().unwrap()]);
            let reexported = files(&again);
            assert_eq!(
                exported.keys().collect::<Vec<_>>(),
                reexported.keys().collect::<Vec<_>>(),
                "[{} → {}] the same files",
                source.label,
                target.label
            );
            for (name, bytes) in &exported {
                assert!(
                    bytes == &reexported[name],
                    "[{} → {}] {name} differs after the round trip",
                    source.label,
                    target.label
                );
            }
            // A second import into the same book is refused.
            let err = fails(&target, &["import-all", first.to_str().unwrap()]);
            assert!(
                err.contains("already holds an organisation named 'Demo Trading Co'"),
                "{err}"
            );
            // The copy keeps working: new ids come after the imported ones.
            ok(
                &target,
                &[
                    "customer",
                    "add",
                    "--ref",
                    "NEW1",
                    "--name",
                    "After the move",
                ],
            );
            ok(
                &target,
                &[
                    "invoice",
                    "create",
                    "--customer",
                    "NEW1",
                    "--issue-date",
                    "2026-07-06",
                    "--line",
                    "Work:1:10.00",
                    "--issue",
                ],
            );
            ok(&target, &["verify"]);
        }
    }
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes `text` as `file` of the export in `dir`, with its sum in the
/// manifest made to match, and lets `edit` change the manifest too.
fn rewrite(dir: &Path, file: &str, text: &str, edit: impl FnOnce(&mut serde_json::Value)) {
    std::fs::write(dir.join(file), text).unwrap();
    let manifest_path = dir.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    for f in manifest["files"].as_array_mut().unwrap() {
        if f["file"] == file {
            f["sha256"] = sha256(text.as_bytes()).into();
            f["bytes"] = (text.len() as u64).into();
        }
    }
    edit(&mut manifest);
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
}

/// A copy of every file of the export in `from`, in `to`.
fn copy_export(from: &Path, to: &Path) {
    std::fs::create_dir(to).unwrap();
    for (file, bytes) in files(from) {
        std::fs::write(to.join(file), bytes).unwrap();
    }
}

#[test]
fn an_older_export_imports_and_a_newer_one_is_refused() {
    for db in backends("export_all_versions") {
        let label = db.label;
        ok(
            &db,
            &["demo", "--invoices", "40", "--end-date", "2026-06-30"],
        );
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good");
        ok(&db, &["export", "--all", good.to_str().unwrap()]);
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(good.join("manifest.json")).unwrap()).unwrap();
        let version = manifest["schema_version"].as_i64().unwrap();

        // Made before customers had `debtor` and before stripe_events
        // existed: both take what the migrations give older rows.
        let older = dir.path().join("older");
        copy_export(&good, &older);
        let customers: String = std::fs::read_to_string(older.join("customers.jsonl"))
            .unwrap()
            .lines()
            .map(|line| {
                let mut row: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(line).unwrap();
                assert!(row.remove("debtor").is_some());
                format!("{}\n", serde_json::Value::Object(row))
            })
            .collect();
        rewrite(&older, "customers.jsonl", &customers, |m| {
            m["schema_version"] = (version - 1).into();
            m["files"]
                .as_array_mut()
                .unwrap()
                .retain(|f| f["table"] != "stripe_events");
        });
        let target = fresh(&db, "export_all_versions_target");
        ok(&target, &["import-all", older.to_str().unwrap()]);
        ok(&target, &["verify"]);
        let again = dir.path().join("again");
        ok(&target, &["export", "--all", again.to_str().unwrap()]);
        let reexported = std::fs::read_to_string(again.join("customers.jsonl")).unwrap();
        assert_eq!(
            reexported,
            std::fs::read_to_string(good.join("customers.jsonl")).unwrap(),
            "[{label}] the demo's customers have no debtor set, as the migration leaves it"
        );

        // From a newer Dun: refused, saying so, nothing written.
        let newer = dir.path().join("newer");
        copy_export(&good, &newer);
        let text = std::fs::read_to_string(newer.join("customers.jsonl")).unwrap();
        rewrite(&newer, "customers.jsonl", &text, |m| {
            m["schema_version"] = (version + 1).into();
        });
        let target = fresh(&db, "export_all_versions_newer");
        let err = fails(&target, &["import-all", newer.to_str().unwrap()]);
        assert!(err.contains("newer"), "[{label}] {err}");
        // A current export missing a table's file in its manifest is refused.
        let partial = dir.path().join("partial");
        copy_export(&good, &partial);
        rewrite(&partial, "customers.jsonl", &text, |m| {
            m["files"]
                .as_array_mut()
                .unwrap()
                .retain(|f| f["file"] != "tasks.jsonl");
        });
        let err = fails(&target, &["import-all", partial.to_str().unwrap()]);
        assert!(err.contains("does not list tasks.jsonl"), "[{label}] {err}");
        let err = fails(&target, &["aging"]);
        assert!(err.contains("no organisation"), "[{label}] {err}");
    }
}

#[test]
fn a_changed_file_or_a_busy_directory_is_refused_and_nothing_is_written() {
    for db in backends("export_all_refusals") {
        let label = db.label;
        ok(
            &db,
            &["demo", "--invoices", "60", "--end-date", "2026-06-30"],
        );
        ok(&db, &["run", "--as-of", "2026-06-30"]);
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good");
        ok(&db, &["export", "--all", good.to_str().unwrap()]);

        // A directory that holds anything is refused, by name.
        let err = fails(&db, &["export", "--all", good.to_str().unwrap()]);
        assert!(
            err.contains(good.to_str().unwrap()) && err.contains("not empty"),
            "[{label}] {err}"
        );
        let err = fails(&db, &["export", "customers", "--all", "x"]);
        assert!(err.contains("--all"), "[{label}] {err}");

        let copy = |name: &str| {
            let to = dir.path().join(name);
            copy_export(&good, &to);
            to
        };
        let target = fresh(&db, "export_all_refusals_target");

        // One byte changed: refused by its sum, naming the file.
        let tampered = copy("tampered");
        let path = tampered.join("invoices.csv");
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.len() / 2;
        bytes[at] = if bytes[at] == b'7' { b'8' } else { b'7' };
        std::fs::write(&path, bytes).unwrap();
        let err = fails(&target, &["import-all", tampered.to_str().unwrap()]);
        assert!(
            err.contains("invoices.csv") && err.contains("changed since it was exported"),
            "[{label}] {err}"
        );

        // A bad value late in the book, with its sum made to match: the
        // transaction is undone, naming the file, the line and the column.
        let bad = copy("bad");
        let path = bad.join("timeline.jsonl");
        let text = std::fs::read_to_string(&path).unwrap();
        let last = text.lines().last().unwrap();
        let start = last.find("\"on_date\":\"").unwrap() + "\"on_date\":\"".len();
        let broken = format!("{}2026-02-30{}", &last[..start], &last[start + 10..]);
        let text = text.replace(last, &broken);
        rewrite(&bad, "timeline.jsonl", &text, |_| {});
        let lines = text.lines().count();
        let err = fails(&target, &["import-all", bad.to_str().unwrap()]);
        assert!(
            err.contains(&format!("timeline.jsonl line {lines}"))
                && err.contains("on_date")
                && err.contains("2026-02-30"),
            "[{label}] {err}"
        );

        // Nothing was written by either: the untouched export imports whole.
        let err = fails(&target, &["aging"]);
        assert!(err.contains("organisation"), "[{label}] {err}");
        ok(&target, &["import-all", good.to_str().unwrap()]);
        ok(&target, &["verify"]);
    }
}
