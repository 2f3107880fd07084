//! The house's shape, checked: the domains' rules depend one way, down a ladder, so a newcomer
//! reads them bottom-up and a change low in the ladder never waits on one above it.
//!
//! Read from the `use crate::…` lines and `crate::…` paths of every file of `api/src` (its
//! GraphQL types included), test modules aside. A GraphQL type lives with the lowest domain
//! that returns it: `Registration` and `ClubQuestion` with `activities`, whose `Activity`
//! lists them. The composition root (`state`, `schema`, `startup`, `endpoint`, `headers`,
//! `socket`, `scheduler`, `changes`, `cli`, `lib`) may use every domain.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// The domains, lowest first. A domain's rules may use the domains on lower rungs only.
const LADDER: &[&[&str]] = &[
    &["audit"],
    &["people"],
    &["mail"],
    &["auth"],
    &["diagnostics"],
    &["activities"],
    &["registrations"],
    &["club", "groups", "invitations", "organisations"],
    &["accounts", "progress"],
];

/// Shared tools every domain may use; they use no domain.
const INFRASTRUCTURE: &[&str] = &[
    "clock",
    "config",
    "csv_export",
    "dates",
    "db",
    "error",
    "heavy",
    "hours",
    "ids",
    "limits",
    "loaders",
    "pagination",
    "responses",
    "telemetry",
    "validation",
];

fn api_src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../api/src")
}

/// The top-level module a file belongs to (`activities/seats.rs` → `activities`).
fn module_of(path: &Path) -> String {
    let relative = path.strip_prefix(api_src()).expect("a file of api/src");
    let first = relative.components().next().expect("a path");
    first
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_owned()
}

/// The top-level modules a piece of code names through `crate::`.
fn used_modules(code: &str) -> BTreeSet<String> {
    let code = code.split("#[cfg(test)]").next().unwrap_or(code);
    let mut used = BTreeSet::new();
    // `crate::name` anywhere, including `use crate::name::…`.
    for (index, _) in code.match_indices("crate::") {
        let rest = &code[index + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a, b::{c, d}, e};`: the names at depth 0 of the group.
            let mut depth = 0;
            let mut name = String::new();
            let mut at_start = true;
            for ch in group.chars() {
                if depth == 0 && (ch.is_alphanumeric() || ch == '_') {
                    if at_start {
                        name.push(ch);
                    }
                    continue;
                }
                if !name.is_empty() {
                    used.insert(std::mem::take(&mut name));
                }
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => at_start = true,
                    c if depth == 0 && !c.is_whitespace() => at_start = false,
                    _ => {}
                }
            }
            if !name.is_empty() {
                used.insert(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                used.insert(name);
            }
        }
    }
    used
}

fn rung(module: &str) -> Option<usize> {
    LADDER.iter().position(|rung| rung.contains(&module))
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a readable folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn domains_depend_one_way_down_the_ladder() {
    let mut wrong = Vec::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&api_src()) {
        let module = module_of(&file);
        let code = std::fs::read_to_string(&file).expect("a readable file");
        for used in used_modules(&code) {
            if used == module {
                continue;
            }
            edges
                .entry(module.clone())
                .or_default()
                .insert(used.clone());
            let allowed = match (rung(&module), rung(&used)) {
                (Some(from), Some(to)) => to < from,
                (Some(_), None) => true,
                (None, Some(_)) => !INFRASTRUCTURE.contains(&module.as_str()),
                (None, None) => true,
            };
            if !allowed {
                wrong.push(format!("{} uses {used}", file.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "dependencies against the ladder:\n{}\n(all edges: {edges:#?})",
        wrong.join("\n")
    );
    // The check reads real code: the ladder's known edges are there.
    assert!(edges["registrations"].contains("activities"));
    assert!(edges["accounts"].contains("invitations"));
    assert!(edges["activities"].contains("people"));
}

#[test]
fn the_reader_understands_use_groups() {
    let code = "use crate::{\n    activities::{self, seats},\n    error::{ApiError, ApiResult},\n    people, registrations,\n};\nfn f() { crate::mail::send(); }";
    let used: Vec<String> = used_modules(code).into_iter().collect();
    assert_eq!(
        used,
        ["activities", "error", "mail", "people", "registrations"]
    );
}

/// Time is read through the one clock (`clock.rs`): tests move it forward, and an answer whose
/// resolvers read it is never kept in memory (`responses.rs`). Reading the system's time
/// anywhere else, or the database's, would escape both.
#[test]
fn time_is_read_through_the_clock() {
    let mut wrong = Vec::new();
    for file in rust_files(&api_src()) {
        if module_of(&file) == "clock" {
            continue;
        }
        let code = std::fs::read_to_string(&file).expect("a readable file");
        let code = code.split("#[cfg(test)]").next().unwrap_or(&code);
        for reading in [
            "Utc::now(",
            "Local::now(",
            "SystemTime::now(",
            "CURRENT_TIMESTAMP",
            "CURRENT_DATE",
            "NOW()",
            "LOCALTIMESTAMP",
        ] {
            if code.contains(reading) {
                wrong.push(format!("{}: {reading}", file.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "time read around the clock (use `state.now()`):\n{}",
        wrong.join("\n")
    );
}
