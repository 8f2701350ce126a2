//! The owner changes the credit policy, through the real binary, on each
//! database: show it, apply a changed file, read the history, have a broken
//! file refused with its line, and edit it in an "editor" (a script).

mod common;

use std::path::Path;
use std::process::Command;

use common::{backends, fails, ok, Db, Run};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// Runs `dun` with `EDITOR` set to `editor` (and `VISUAL` unset), its
/// temporary files in `tmp`.
fn dun_editing(db: &Db, tmp: &Path, editor: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_dun"))
        .arg("--db")
        .arg(&db.url)
        .args(args)
        .env_remove("DUN_ORG")
        .env_remove("DUN_DATABASE_URL")
        .env_remove("VISUAL")
        .env("EDITOR", editor)
        .env("USER", "ann")
        .env("TMPDIR", tmp)
        .output()
        .expect("run dun");
    Run {
        ok: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A shell script that edits the file it is given with `sed_program`.
fn editor_script(dir: &Path, name: &str, sed_program: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\nsed -i '{sed_program}' \"$1\"\n"))
        .expect("write the editor script");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .expect("make the editor script executable");
    }
    path
}

#[test]
fn the_owner_changes_the_credit_policy() {
    for db in backends("the_owner_changes_the_credit_policy") {
        let label = db.label;
        let dir = tempfile::tempdir().expect("tempdir");
        ok(
            &db,
            &[
                "init",
                "--org",
                "Acme Supplies",
                "--currency",
                "USD",
                "--timezone",
                "America/Chicago",
            ],
        );

        // The default policy, as written, and as Dun reads it.
        let shown = ok(&db, &["policy", "show"]);
        assert!(
            shown.contains("key = \"final_demand\"\ndays_past_due = 60"),
            "[{label}] {shown}"
        );
        let read = json(&ok(&db, &["policy", "show", "--format", "json"]));
        assert_eq!(read["step"][3]["key"], "final_demand", "[{label}]");
        assert_eq!(read["interest"]["grace_days"], 45, "[{label}]");

        // A changed file: checked, previewed, applied.
        let file = dir.path().join("policy.toml");
        let changed = shown.replacen("\ndays_past_due = 60", "\ndays_past_due = 45", 1);
        std::fs::write(&file, &changed).unwrap();
        let path = file.to_str().unwrap();
        let out = ok(&db, &["policy", "check", path]);
        assert!(out.starts_with("ok:"), "[{label}] {out}");
        let out = ok(&db, &["policy", "apply", path, "--dry-run"]);
        assert!(
            out.contains("version 2") && out.contains("step final_demand: days_past_due 60 → 45"),
            "[{label}] {out}"
        );
        assert!(
            ok(&db, &["policy", "history", "--format", "csv"])
                .lines()
                .count()
                == 2,
            "[{label}] the dry run wrote a version"
        );
        let out = ok(
            &db,
            &["policy", "apply", path, "--author", "ann", "--key", "p-1"],
        );
        assert!(out.contains("version 2"), "[{label}] {out}");
        let again = ok(
            &db,
            &["policy", "apply", path, "--author", "ann", "--key", "p-1"],
        );
        assert_eq!(again, out, "[{label}] a repeated key");
        let err = fails(&db, &["policy", "apply", path, "--author", "ann"]);
        assert!(err.contains("changes nothing"), "[{label}] {err}");

        // The history: two versions, who, and what changed.
        let history = json(&ok(&db, &["policy", "history", "--format", "json"]));
        let versions = history.as_array().expect("a list");
        assert_eq!(versions.len(), 2, "[{label}] {history}");
        assert_eq!(versions[1]["version"], 2);
        assert_eq!(versions[1]["author"], "ann");
        assert_eq!(
            versions[1]["changes"][0],
            "step final_demand: days_past_due 60 → 45"
        );
        let table = ok(&db, &["policy", "history"]);
        assert!(
            table.contains("dun init") && table.contains("ann"),
            "[{label}] {table}"
        );
        let old = ok(&db, &["policy", "show", "--version", "1"]);
        assert_eq!(old, shown, "[{label}] version 1 stays as it was");

        // A broken file is refused, naming its line; nothing is written.
        let broken = changed.replacen("days_past_due = 35", "days_past_due = 20", 1);
        let line = broken
            .lines()
            .position(|l| l == "days_past_due = 20")
            .unwrap()
            + 1;
        std::fs::write(&file, &broken).unwrap();
        for command in [&["policy", "apply", path][..], &["policy", "check", path]] {
            let err = fails(&db, command);
            assert!(
                err.contains(&format!(
                    "line {line}: step 3 ('follow_up_call'): days_past_due 20"
                )),
                "[{label}] {command:?}: {err}"
            );
        }
        assert_eq!(
            json(&ok(&db, &["policy", "history", "--format", "json"]))
                .as_array()
                .unwrap()
                .len(),
            2,
            "[{label}]"
        );

        // Edited in an editor: saving applies it as version 3, by $USER.
        let editor = editor_script(
            dir.path(),
            "later-review.sh",
            "s/^days_past_due = 90/days_past_due = 120/",
        );
        let run = dun_editing(&db, dir.path(), &editor, &["policy", "edit"]);
        assert!(run.ok, "[{label}] {}{}", run.stdout, run.stderr);
        assert!(
            run.stdout.contains("version 3")
                && run
                    .stdout
                    .contains("step escalation_review: days_past_due 90 → 120"),
            "[{label}] {}",
            run.stdout
        );
        let current = ok(&db, &["policy", "show"]);
        assert!(current.contains("days_past_due = 120"), "[{label}]");
        let history = json(&ok(&db, &["policy", "history", "--format", "json"]));
        assert_eq!(history[2]["author"], "ann", "[{label}]");

        // An editor that leaves it as it was changes nothing.
        let untouched = editor_script(dir.path(), "untouched.sh", "s/^NOTHING//");
        let run = dun_editing(&db, dir.path(), &untouched, &["policy", "edit"]);
        assert!(
            run.ok && run.stdout.contains("No change"),
            "[{label}] {}",
            run.stdout
        );

        // An edit that breaks it: refused with its line, not saved; without
        // a terminal there is no second try.
        let breaking = editor_script(
            dir.path(),
            "breaking.sh",
            "s/^cap = \"40.00\"/cap = \"12.3456789\"/",
        );
        let run = dun_editing(&db, dir.path(), &breaking, &["policy", "edit"]);
        assert!(!run.ok, "[{label}] {}", run.stdout);
        let cap_line = current
            .lines()
            .position(|l| l == "cap = \"40.00\"")
            .unwrap()
            + 1;
        assert!(
            run.stderr.contains(&format!(
                "line {cap_line}: late_fee.cap: '12.3456789' has 7 decimal places"
            )),
            "[{label}] {}",
            run.stderr
        );
        assert_eq!(ok(&db, &["policy", "show"]), current, "[{label}]");
    }
}
