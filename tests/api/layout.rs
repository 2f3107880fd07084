//! The house's shape, checked. Three layers, read from the `use crate::…` lines and
//! `crate::…` paths of every file of `api/src` (test modules aside):
//!
//! - the **domains** (`activities/`, `registrations/`, …): plain Rust, their rules, queries and
//!   policies. They depend one way, down a ladder, so a newcomer reads them bottom-up and a
//!   change low in the ladder never waits on one above it; none of them knows GraphQL or HTTP;
//! - the **surface** on top: `graphql/` (types, resolvers, loaders, limits, the answers kept in
//!   memory, error codes) and `http/` (every actix-web handler). They may use every domain;
//!   no domain uses them;
//! - the **composition root** (`lib`, `main`, `cli`, `startup`, `state`, `scheduler`,
//!   `changes`) wires them; and shared **infrastructure** (`db`, `clock`, `config`, …) that
//!   uses no domain and no surface.

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
    &["consents", "diagnostics", "payments"],
    &["certificates", "demand", "followup", "photos"],
    &["activities"],
    &["registrations"],
    &["club", "groups", "organisations", "training"],
    &["invitations", "learning"],
    &["accounts", "onboarding", "progress"],
];

/// GraphQL and HTTP: they may use everything below, nothing uses them but the root; HTTP
/// uses GraphQL, never the reverse.
const SURFACE: &[&str] = &["graphql", "http"];

/// What wires the server together; it may use everything.
const ROOT: &[&str] = &[
    "changes",
    "cli",
    "lib",
    "main",
    "scheduler",
    "startup",
    "state",
];

/// Shared tools every domain may use; they use no domain and no surface.
const INFRASTRUCTURE: &[&str] = &[
    "clock",
    "config",
    "db",
    "error",
    "heavy",
    "hours",
    "ids",
    "memory",
    "metrics",
    "numbers",
    "pdf",
    "safe_csv",
    "storage",
    "telemetry",
    "validation",
];

/// The crates of the surface: a domain or a tool that names one is not plain Rust.
const SURFACE_CRATES: &[&str] = &[
    "async_graphql",
    "actix_web",
    "actix_http",
    "tracing_actix_web",
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

enum Layer {
    /// A domain, on this rung of the ladder.
    Domain(usize),
    Infrastructure,
    Surface,
    Root,
    /// A module nobody placed yet: the test asks for it to be placed.
    Unknown,
}

fn layer(module: &str) -> Layer {
    if let Some(rung) = LADDER.iter().position(|rung| rung.contains(&module)) {
        Layer::Domain(rung)
    } else if INFRASTRUCTURE.contains(&module) {
        Layer::Infrastructure
    } else if SURFACE.contains(&module) {
        Layer::Surface
    } else if ROOT.contains(&module) {
        Layer::Root
    } else {
        Layer::Unknown
    }
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
            // `crate::Config`: what `lib` re-exports.
            let used = if used.starts_with(char::is_uppercase) {
                "lib".to_owned()
            } else {
                used
            };
            if used == module {
                continue;
            }
            edges
                .entry(module.clone())
                .or_default()
                .insert(used.clone());
            let allowed = match layer(&module) {
                Layer::Domain(from) => match layer(&used) {
                    Layer::Domain(to) => to < from,
                    Layer::Infrastructure => true,
                    // The services every domain is handed (database, mailer, clock, config).
                    Layer::Root => used == "state",
                    Layer::Surface | Layer::Unknown => false,
                },
                Layer::Infrastructure => {
                    matches!(layer(&used), Layer::Infrastructure) || used == "state"
                }
                // HTTP carries GraphQL, never the reverse.
                Layer::Surface if module == "graphql" => {
                    !matches!(layer(&used), Layer::Unknown) && used != "http"
                }
                Layer::Surface | Layer::Root => !matches!(layer(&used), Layer::Unknown),
                Layer::Unknown => false,
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
    assert!(edges["graphql"].contains("activities"));
    assert!(edges["http"].contains("certificates"));
    assert!(edges["registrations"].contains("activities"));
    assert!(edges["accounts"].contains("invitations"));
    assert!(edges["activities"].contains("people"));
}

/// Domains and tools are plain Rust: GraphQL and HTTP live in `graphql/` and `http/` only, so
/// a rule reads the same whoever calls it (a resolver, a download, the scheduler, a test).
#[test]
fn only_the_surface_knows_graphql_and_http() {
    let mut wrong = Vec::new();
    let mut surface_files = 0;
    for file in rust_files(&api_src()) {
        let module = module_of(&file);
        let code = std::fs::read_to_string(&file).expect("a readable file");
        let code = code.split("#[cfg(test)]").next().unwrap_or(&code);
        let names_a_surface_crate = SURFACE_CRATES.iter().any(|name| {
            code.match_indices(name).any(|(at, _)| {
                // `async_graphql` but not `my_async_graphql_thing`.
                let before = code[..at].chars().next_back();
                let after = code[at + name.len()..].chars().next();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_') && after == Some(':')
            })
        });
        match layer(&module) {
            Layer::Surface if names_a_surface_crate => surface_files += 1,
            Layer::Domain(_) | Layer::Infrastructure if names_a_surface_crate => {
                wrong.push(file.display().to_string());
            }
            _ => {}
        }
    }
    assert!(
        wrong.is_empty(),
        "GraphQL or HTTP outside graphql/ and http/:\n{}",
        wrong.join("\n")
    );
    // The check reads real code: the surface does name them.
    assert!(surface_files > 20, "{surface_files}");
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
