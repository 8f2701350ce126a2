//! The README's "Using it" block, run as written: every line, in order, by
//! bash, from a directory laid out as the repository's root (with its
//! `docs/examples`), with `dun` the binary under test in place of the
//! block's `alias dun='cargo run --release --'`, and a fresh `$HOME`. A line
//! that fails fails the test, so the README cannot promise what does not run.

use std::path::Path;
use std::process::Command;

/// The ```sh block under "## Using it".
fn using_it(readme: &str) -> &str {
    let section = readme
        .find("## Using it")
        .expect("the README has a \"Using it\" section");
    let open = readme[section..]
        .find("```sh\n")
        .map(|i| section + i + "```sh\n".len())
        .expect("\"Using it\" has a ```sh block");
    let close = readme[open..]
        .find("```")
        .map(|i| open + i)
        .expect("the block ends");
    &readme[open..close]
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn the_readme_s_using_it_runs_as_written_on_a_fresh_machine() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let block = using_it(&readme);
    let alias = "alias dun='cargo run --release --'";
    assert!(
        block.lines().next().is_some_and(|l| l.starts_with(alias)),
        "the block starts with `{alias}`, which the test stands in for:\n{block}"
    );
    let mut script = String::from("set -euxo pipefail\ndun() { \"$DUN_BIN\" \"$@\"; }\n");
    for line in block.lines().skip(1) {
        script.push_str(line);
        script.push('\n');
    }

    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    copy_dir(
        &root.join("docs/examples"),
        &dir.path().join("docs/examples"),
    );
    let run = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env("HOME", &home)
        .env("DUN_BIN", env!("CARGO_BIN_EXE_dun"))
        .env_remove("DUN_DATABASE_URL")
        .env_remove("DUN_ORG")
        .env_remove("DUN_PUBLIC_URL")
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "a line of \"Using it\" failed (the trace's last `+` line):\n{stdout}\n{stderr}"
    );

    // What the lines say they make is there.
    for made in ["acme.db", "acme-backup.db", "invoices.csv"] {
        assert!(dir.path().join(made).is_file(), "{made} was not written");
    }
    assert!(
        !dir.path().join("dun.db").exists(),
        "the book has its own file; ./dun.db is the demo's"
    );
    let completions = home.join(".local/share/bash-completion/completions/dun");
    assert!(
        std::fs::metadata(&completions).is_ok_and(|m| m.len() > 0),
        "the completions were not written"
    );
    // The samples were imported: their numbers are in the export.
    let exported = std::fs::read_to_string(dir.path().join("invoices.csv")).unwrap();
    for number in ["INV-000001", "OLD-1041", "OLD-1052", "OLD-1060"] {
        assert!(
            exported.contains(number),
            "{number} not exported:\n{exported}"
        );
    }
    assert!(
        stdout.contains("Imported 3 invoices from 3 rows"),
        "{stdout}"
    );
}
