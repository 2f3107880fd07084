//! The README and the guides: every relative link leads somewhere, the README stays a landing
//! page, and its first session works as written on a fresh folder.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The README and every Markdown file under `docs/`.
fn documents() -> Vec<PathBuf> {
    fn markdown_under(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && !path.ends_with("book") {
                markdown_under(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "md") {
                found.push(path);
            }
        }
    }
    let mut found = vec![root().join("README.md")];
    markdown_under(&root().join("docs"), &mut found);
    found
}

/// The targets of `[text](target)` links in `markdown`, outside code.
fn links(markdown: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else { break };
            targets.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    targets
}

/// GitHub's and mdBook's anchor of a heading: lower case, punctuation dropped, spaces to `-`.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors_of(markdown: &str) -> Vec<String> {
    let mut in_code = false;
    markdown
        .lines()
        .filter(|line| {
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
            }
            !in_code && line.starts_with('#')
        })
        .map(|line| anchor(line.trim_start_matches('#')))
        .collect()
}

#[test]
fn every_relative_link_of_the_readme_and_the_guides_leads_somewhere() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for document in documents() {
        let text = std::fs::read_to_string(&document).unwrap();
        for target in links(&text) {
            if target.starts_with("http://") || target.starts_with("https://") {
                continue;
            }
            checked += 1;
            let (path, fragment) = target.split_once('#').unwrap_or((&target, ""));
            let file = if path.is_empty() {
                document.clone()
            } else {
                document.parent().unwrap().join(path)
            };
            if !file.exists() {
                broken.push(format!("{}: {target} (no such file)", document.display()));
                continue;
            }
            if !fragment.is_empty() && file.extension().is_some_and(|ext| ext == "md") {
                let anchors = anchors_of(&std::fs::read_to_string(&file).unwrap());
                if !anchors.iter().any(|a| a == fragment) {
                    broken.push(format!(
                        "{}: {target} (no such heading)",
                        document.display()
                    ));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked > 40, "only {checked} links found");
}

/// Every guide is a chapter of the book: none is left out of `docs/SUMMARY.md`.
#[test]
fn every_guide_is_in_the_books_summary() {
    let summary = std::fs::read_to_string(root().join("docs/SUMMARY.md")).unwrap();
    let listed = links(&summary);
    for document in documents().iter().skip(1) {
        let relative = document.strip_prefix(root().join("docs")).unwrap();
        let relative = relative.to_str().unwrap();
        if relative == "SUMMARY.md" {
            continue;
        }
        assert!(
            listed.iter().any(|link| link == relative),
            "{relative} is not in docs/SUMMARY.md"
        );
    }
}

#[test]
fn the_readme_is_a_landing_page() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(lines <= 250, "README.md has {lines} lines");
    for history in ["step 1", "step 7", "step 12", "pass of", "../shared"] {
        assert!(!readme.contains(history), "README.md speaks of `{history}`");
    }
}

/// The shell blocks of the README from its first session on, in order, as a newcomer runs
/// them: `cargo run` (with or without settings before it) (re)starts the server, in a fresh
/// folder as on a fresh clone; every other block runs in `sh` against it.
#[tokio::test]
async fn the_readmes_first_session_works_as_written() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find("## A first session with curl").unwrap();
    let end = readme.find("## The command line").unwrap();
    let blocks: Vec<&str> = readme[start..end]
        .split("```sh\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap())
        .collect();
    assert_eq!(
        blocks.len(),
        3,
        "the session's blocks changed: update this test"
    );

    let folder = tempfile::tempdir().unwrap();
    let klub = env!("CARGO_BIN_EXE_klub-under-test");
    let start_server = |line: &str| {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(line.trim().replace("cargo run", &format!("exec {klub}")))
            .current_dir(folder.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        klub_tests::ServerProcess::start(command)
    };
    let mut server = start_server("cargo run").await;
    let mut said = String::new();
    for block in blocks {
        if block.trim().ends_with("cargo run") && block.trim().lines().count() == 1 {
            server.kill();
            server = start_server(block).await;
            continue;
        }
        let address = server.address.trim_start_matches("http://");
        let output = Command::new("sh")
            .arg("-c")
            .arg(block.replace("localhost:8080", address))
            .current_dir(folder.path())
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        said.push_str(&String::from_utf8_lossy(&output.stdout));
    }
    for expected in [
        r#""email":"ann@example.fr","role":"PARTNER""#,
        r#""name":"Ann Martin","role":"PARTNER","trained":false"#,
        r#""code":"FORBIDDEN""#,
        r#""totalCount":2"#,
        r#""email":"admin@office.fr","role":"ADMIN""#,
    ] {
        assert!(said.contains(expected), "{expected} not in:\n{said}");
    }
}
