//! CEN's official EN 16931 rules for UBL (`../shared/data/en16931-ubl`,
//! the schematron compiled to XSLT 2.0 that receivers check invoices with),
//! run by Saxon (`saxonche` from PyPI, through `python3`). Shared by the
//! tests of `dun-ubl` and of the `dun` binary (`#[path]`).

use std::path::PathBuf;
use std::process::Command;

/// Set to `1` where a missing tool must fail the test instead of skipping.
const REQUIRE_TOOLS: &str = "DUN_TEST_REQUIRE_TOOLS";

fn stylesheet() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/en16931-ubl/EN16931-UBL-validation.xslt")
}

/// Runs the rules over the files given after the stylesheet and prints,
/// per file, `FILE<TAB>ID ID…` of every fatal failed assertion.
const RUN_RULES: &str = r#"
import re, sys
from saxonche import PySaxonProcessor
with PySaxonProcessor(license=False) as proc:
    rules = proc.new_xslt30_processor().compile_stylesheet(stylesheet_file=sys.argv[1])
    for path in sys.argv[2:]:
        svrl = rules.transform_to_string(source_file=path)
        fatal = []
        for tag in re.findall(r'<svrl:failed-assert\b[^>]*>', svrl):
            flag = re.search(r'\bflag="([^"]*)"', tag)
            if flag and flag.group(1) == "fatal":
                fatal.append(re.search(r'\bid="([^"]*)"', tag).group(1))
        print(path + "\t" + " ".join(fatal))
"#;

/// Whether Saxon and the rules are here; says loudly when not, and fails
/// instead when tools are required.
pub fn rules_present() -> bool {
    let saxon = Command::new("python3")
        .args(["-c", "import saxonche"])
        .output()
        .is_ok_and(|o| o.status.success());
    if saxon && stylesheet().is_file() {
        return true;
    }
    let missing = if saxon {
        format!("the EN 16931 rules at {}", stylesheet().display())
    } else {
        "Saxon for Python (pip install saxonche)".to_string()
    };
    if std::env::var(REQUIRE_TOOLS).as_deref() == Ok("1") {
        panic!("{missing} is missing and {REQUIRE_TOOLS}=1");
    }
    // To stderr itself: libtest keeps a passing test's eprintln! from
    // the person running `cargo test`, and a skip must be seen.
    {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: the official EN 16931 rules need {missing}"
        );
    }
    false
}

/// The rules file's text, when it is here (a test reading what the rules
/// accept); says loudly when not, and fails instead when tools are required.
#[allow(dead_code)] // not every test binary that includes this module reads it
pub fn rules_text() -> Option<String> {
    match std::fs::read_to_string(stylesheet()) {
        Ok(text) => Some(text),
        Err(e) if std::env::var(REQUIRE_TOOLS).as_deref() == Ok("1") => {
            panic!("the EN 16931 rules at {}: {e}", stylesheet().display())
        }
        Err(e) => {
            eprintln!(
                "SKIPPED: the EN 16931 rules at {}: {e}",
                stylesheet().display()
            );
            None
        }
    }
}

/// Each document's fatal failed assertions, by name.
pub fn fatal_failures(documents: &[(&str, String)]) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, xml) in documents {
        let path = dir.path().join(format!("{name}.xml"));
        std::fs::write(&path, xml).unwrap();
        files.push(path);
    }
    let out = Command::new("python3")
        .args(["-c", RUN_RULES])
        .arg(stylesheet())
        .args(&files)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "Saxon failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), documents.len(), "{report}");
    documents
        .iter()
        .zip(lines)
        .map(|((name, _), line)| {
            let (_, ids) = line.split_once('\t').expect("path, tab, ids");
            (name.to_string(), ids.to_string())
        })
        .filter(|(_, ids)| !ids.is_empty())
        .collect()
}
