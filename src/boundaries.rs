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

/// The texts of the statuses the app's tables hold: every `=> "text"` of the `named_enum!`
/// declarations named `MovementStatus`, `ExchangeStatus`, `ApprovalStatus`, `EventStatus` and
/// `CollectionStatus`.
fn status_texts() -> BTreeSet<String> {
    const ENUMS: [&str; 5] = [
        "MovementStatus {",
        "ExchangeStatus {",
        "ApprovalStatus {",
        "EventStatus {",
        "CollectionStatus {",
    ];
    let mut texts = BTreeSet::new();
    for path in files("src/domain", "rs") {
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let mut inside = false;
        for line in text.lines().map(str::trim) {
            if ENUMS.contains(&line) {
                inside = true;
            } else if inside && line.starts_with('}') {
                inside = false;
            } else if let Some((_, quoted)) = line.split_once("=> \"").filter(|_| inside) {
                texts.insert(quoted.trim_end_matches(',').trim_end_matches('"').to_owned());
            }
        }
    }
    texts
}

/// A status is written once, in its enum: code outside `src/domain` names the variant, never its
/// text, so renaming one or adding one is a change the compiler follows everywhere.
#[test]
fn no_status_is_written_as_text_outside_its_enum() {
    let texts = status_texts();
    assert!(
        texts.len() >= 15,
        "too few status texts found ({texts:?}): this test would check little"
    );
    let mut found = Vec::new();
    // `src/p100` is left out: P100's statuses are its own vocabulary, typed there.
    for dir in ["src/server", "src/api", "src/app", "src/sandbox"] {
        found.extend(offences(dir, |line| {
            texts
                .iter()
                .find(|text| line.contains(&format!("\"{text}\"")))
                .map(|text| format!("writes the status \"{text}\" as text"))
        }));
    }
    assert!(
        found.is_empty(),
        "use the status enums (MovementStatus, ExchangeStatus, ApprovalStatus, EventStatus, CollectionStatus) instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_route_is_mounted_from_the_declared_table() {
    // `server::http::routes` says who may use each route and the permission matrix walks it: a
    // route mounted with a path written anywhere else would go unchecked.
    let mut found = Vec::new();
    for path in files("src/server/http", "rs") {
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        for mount in [".route(", ".nest_service(", ".route_service("] {
            for (at, _) in text.match_indices(mount) {
                let argument = text[at + mount.len()..].trim_start();
                if !argument.starts_with("routes::") {
                    let line = text[..at].lines().count();
                    let shown = path.strip_prefix(CRATE).unwrap_or(&path).display().to_string();
                    found.push(format!("{shown}:{line}: {mount} without a routes:: path"));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "routes mounted outside the table:\n{}",
        found.join("\n")
    );
}
