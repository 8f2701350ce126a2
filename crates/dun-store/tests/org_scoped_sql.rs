//! Every organisation's book is its own (ARCHITECTURE.md, "Invariants"):
//! each SQL statement the store writes names `org_id`, unless it touches
//! only tables that belong to no organisation — listed here, each with why
//! — or is one of the few statements allowed below by name, each with
//! why. The test reads the store's source: a new query that forgets the
//! organisation fails it until it names `org_id` or is argued for here.

use std::collections::BTreeMap;
use std::path::Path;

/// Tables that hold no organisation's rows, or are the organisations.
const UNSCOPED_TABLES: [(&str, &str); 7] = [
    (
        "users",
        "a person may belong to several organisations (memberships hold org_id)",
    ),
    ("sessions", "a signed-in person's session, by secret"),
    (
        "http_requests",
        "the HTTP reply cache, keyed by a scope that holds the credential",
    ),
    ("schema_migrations", "the schema's own version"),
    ("organisations", "the tenants themselves, each by its id"),
    ("sqlite_master", "the catalogue"),
    ("information_schema", "the catalogue"),
];

/// Statements allowed without `org_id`, by file and a fragment of their
/// text, each with why.
const ALLOWED: [(&str, &str, &str); 9] = [
    (
        "operations.rs",
        "SELECT status, COUNT(*) FROM outbox GROUP BY status",
        "the /metrics gauge counts every organisation's outbox, no rows shown",
    ),
    (
        "book_export.rs",
        "SELECT {columns} FROM {name} WHERE {filter}",
        "the export's filter is the organisation's, built per table",
    ),
    (
        "book_export.rs",
        "INSERT INTO {} ({}) VALUES {}",
        "the import writes rows whose org_id column is set",
    ),
    (
        "book_export.rs",
        "SELECT MIN(id) FROM {} WHERE id IN",
        "checks ids the import is about to write are free",
    ),
    (
        "bulk.rs",
        "INSERT INTO {table} ({}) VALUES",
        "the bulk insert builder: its callers' columns hold org_id",
    ),
    (
        "collections.rs",
        "INSERT INTO {table} ({}) VALUES",
        "the run's bulk inserts: their columns hold org_id",
    ),
    (
        "collections.rs",
        "FROM invoices WHERE {org} AND {condition}",
        "{org} is `org_id = $1`",
    ),
    (
        "db.rs",
        "SELECT setval(pg_get_serial_sequence",
        "moves a sequence after an import",
    ),
    (
        "migrate.rs",
        "SELECT pg_advisory_xact_lock",
        "the migrator's lock",
    ),
];

/// The string literals of a Rust source, with the line each starts on.
fn literals(source: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let bytes: Vec<char> = source.chars().collect();
    let (mut i, mut line) = (0, 1);
    while i < bytes.len() {
        match bytes[i] {
            '\n' => line += 1,
            '/' if bytes.get(i + 1) == Some(&'/') => {
                while i < bytes.len() && bytes[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '\'' if bytes.get(i + 2) == Some(&'\'') => i += 2,
            '\'' if bytes.get(i + 1) == Some(&'\\') => {
                while i + 1 < bytes.len() && bytes[i + 1] != '\'' {
                    i += 1;
                }
                i += 1;
            }
            '"' => {
                let start = line;
                let mut text = String::new();
                i += 1;
                while i < bytes.len() && bytes[i] != '"' {
                    if bytes[i] == '\\' && i + 1 < bytes.len() {
                        if bytes[i + 1] == '\n' {
                            line += 1;
                        }
                        text.push(bytes[i + 1]);
                        i += 2;
                        continue;
                    }
                    if bytes[i] == '\n' {
                        line += 1;
                    }
                    text.push(bytes[i]);
                    i += 1;
                }
                out.push((start, text));
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// `const NAME: &str = "…";` of a source, to resolve `{NAME}` in a format.
fn consts(source: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (n, line) in source.lines().enumerate() {
        let line = line.trim_start();
        let line = line.strip_prefix("pub ").unwrap_or(line);
        let line = line.strip_prefix("pub(crate) ").unwrap_or(line);
        let Some(rest) = line.strip_prefix("const ") else {
            continue;
        };
        let Some((name, _)) = rest.split_once(": &str =") else {
            continue;
        };
        // The value may start on the next line.
        let tail: String = source.lines().skip(n).collect::<Vec<_>>().join("\n");
        if let Some((_, text)) = literals(&tail).into_iter().next() {
            out.insert(name.to_string(), text);
        }
    }
    out
}

fn is_sql(text: &str) -> bool {
    let t = text.trim_start();
    ["SELECT ", "INSERT ", "UPDATE ", "DELETE ", "WITH "]
        .iter()
        .any(|k| t.starts_with(k))
}

/// The tables a statement reads or writes.
fn tables(sql: &str) -> Vec<String> {
    let words: Vec<&str> = sql
        .split(|c: char| c.is_whitespace() || c == '(' || c == ',')
        .collect();
    words
        .windows(2)
        .filter(|w| ["FROM", "INTO", "UPDATE", "JOIN"].contains(&w[0]))
        .map(|w| w[1].trim_end_matches(';').to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Why `sql` (in `file`) may go without `org_id`, or `None`.
fn unscoped(file: &str, sql: &str) -> Option<String> {
    if sql.contains("org_id") {
        return None;
    }
    if ALLOWED
        .iter()
        .any(|(f, fragment, _)| *f == file && sql.contains(fragment))
    {
        return None;
    }
    let touched = tables(sql);
    let scoped_free = !touched.is_empty()
        && touched.iter().all(|t| {
            let table = t.split('.').next().unwrap_or(t);
            UNSCOPED_TABLES.iter().any(|(name, _)| *name == table)
        });
    if scoped_free {
        return None;
    }
    Some(format!("tables {touched:?}"))
}

#[test]
fn every_statement_of_the_store_names_its_organisation() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut checked = 0;
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let file = path.file_name().unwrap().to_str().unwrap().to_string();
        let source = std::fs::read_to_string(&path).unwrap();
        // Unit tests of the store's own helpers are not queries of a book.
        let source = match source.find("#[cfg(test)]") {
            Some(at) => source[..at].to_string(),
            None => source,
        };
        let named = consts(&source);
        for (line, text) in literals(&source) {
            if !is_sql(&text) {
                continue;
            }
            let mut sql = text.clone();
            for (name, value) in &named {
                sql = sql.replace(&format!("{{{name}}}"), value);
            }
            let sql = sql.split_whitespace().collect::<Vec<_>>().join(" ");
            checked += 1;
            if let Some(why) = unscoped(&file, &sql) {
                let first: String = sql.chars().take(90).collect();
                problems.push(format!("{file}:{line}: no org_id ({why}): {first}"));
            }
        }
    }
    assert!(
        checked > 300,
        "only {checked} statements found: is the scan reading the store?"
    );
    assert!(
        problems.is_empty(),
        "{} statements without org_id:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_scan_finds_a_query_that_forgets_the_organisation() {
    let source = r#"
        const OPEN: &str = "org_id = $1 AND open_minor > 0";
        fn f() {
            tx.query("SELECT id FROM invoices WHERE number = $1", params![n]);
            tx.query(&format!("SELECT id FROM invoices WHERE {OPEN}"), params![o]);
            tx.query("SELECT id FROM users WHERE email = $1", params![e]);
        }
    "#;
    let named = consts(source);
    let found: Vec<Option<String>> = literals(source)
        .into_iter()
        .filter(|(_, t)| is_sql(t))
        .map(|(_, t)| {
            let mut sql = t;
            for (name, value) in &named {
                sql = sql.replace(&format!("{{{name}}}"), value);
            }
            unscoped("x.rs", &sql)
        })
        .collect();
    assert_eq!(found.len(), 3);
    assert!(
        found[0].is_some(),
        "a query of invoices without org_id is found"
    );
    assert!(found[1].is_none(), "a const naming org_id is resolved");
    assert!(found[2].is_none(), "users belong to no organisation");
}
