//! The crate's layering, checked on its source: each test reads the files under `src/` and fails
//! naming every file and line that crosses a boundary.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

const CRATE: &str = env!("CARGO_MANIFEST_DIR");

/// Every file under `dir` (relative to the crate) whose name ends with `extension`, sorted.
fn files(dir: &str, extension: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, extension: &str, found: &mut Vec<PathBuf>) {
        let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry reads").path();
            if path.is_dir() {
                walk(&path, extension, found);
            } else if path.extension().is_some_and(|e| e == extension) {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&Path::new(CRATE).join(dir), extension, &mut found);
    found.sort();
    found
}

/// `path:line: what` for each line of the Rust files under `dir` where `breaks` names a problem.
fn offences(dir: &str, breaks: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let mut found = Vec::new();
    for path in files(dir, "rs") {
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let shown = path.strip_prefix(CRATE).unwrap_or(&path).display().to_string();
        for (number, line) in text.lines().enumerate() {
            if let Some(what) = breaks(line) {
                found.push(format!("{shown}:{}: {what}: {}", number + 1, line.trim()));
            }
        }
    }
    found
}

/// The sandbox's tables: every `CREATE TABLE sandbox_...` of the SQLite migrations.
fn sandbox_tables() -> BTreeSet<String> {
    let mut tables = BTreeSet::new();
    for path in files("migrations/sqlite", "sql") {
        let sql = fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let words: Vec<&str> = sql.split_whitespace().collect();
        for pair in words.windows(3) {
            if pair[0].eq_ignore_ascii_case("CREATE") && pair[1].eq_ignore_ascii_case("TABLE") {
                let name = pair[2].trim_end_matches('(').trim_matches('"');
                if name.starts_with("sandbox_") {
                    tables.insert(name.to_owned());
                }
            }
        }
    }
    tables
}

/// The sandbox is a black box: it reaches the app over HTTP only, never through `server`.
#[test]
fn the_sandbox_imports_nothing_from_the_server() {
    let found = offences("src/sandbox", |line| {
        ["crate::server", "super::super::server"]
            .into_iter()
            .find(|path| line.contains(path))
            .map(|path| format!("names `{path}`"))
    });
    assert!(
        found.is_empty(),
        "src/sandbox may use crate::kernel, crate::domain and crate::p100, not the server:\n{}",
        found.join("\n")
    );
}

/// The sandbox's state is its own: the server learns it over HTTP (or from a public function of
/// `Sandbox`), never by reading its tables.
#[test]
fn the_server_names_no_sandbox_table() {
    let tables = sandbox_tables();
    assert!(
        !tables.is_empty(),
        "no CREATE TABLE sandbox_... found in migrations/sqlite: this test would check nothing"
    );
    let found = offences("src/server", |line| {
        line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .find(|word| tables.contains(*word))
            .map(|table| format!("names the sandbox table `{table}`"))
    });
    assert!(
        found.is_empty(),
        "src/server must not read the sandbox's tables ({}):\n{}",
        tables.iter().cloned().collect::<Vec<_>>().join(", "),
        found.join("\n")
    );
}
