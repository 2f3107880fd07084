//! Pages Klub serves, loaded in a real browser: headless Chromium (Debian's `chromium`) with
//! Klub's own headers, on a machine that reaches nothing outside, reads what rendered.

use std::{path::PathBuf, process::Command};

use crate::helpers::spawn_app;

/// Debian's Chromium (or `KLUB_TEST_CHROMIUM`). On a fresh Debian machine run as root it is
/// installed on first use, like the crates `cargo test` fetches; elsewhere the message says how.
fn chromium() -> PathBuf {
    let path = std::env::var_os("KLUB_TEST_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !path.exists() {
        let installed = Command::new("apt-get")
            .args(["install", "-y", "-q", "chromium"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|status| status.success());
        assert!(
            installed && path.exists(),
            "the browser tests need Chromium: `apt-get install chromium`, or set KLUB_TEST_CHROMIUM"
        );
    }
    path
}

/// The page's DOM once its scripts ran (Chromium's `--dump-dom`).
fn rendered(url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .output()
        .expect("Chromium runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// GraphiQL renders from Klub's own assets under its strict policy (no CDN, no inline
/// script), and its first request, the schema's introspection, reaches `/graphql`.
#[tokio::test]
async fn graphiql_renders_offline_under_its_own_policy() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(format!("{}/graphql", app.address))
        .send()
        .await
        .unwrap();
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("script-src 'self';"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("https://"),
        "nothing loads from elsewhere: {html}"
    );

    let url = format!("{}/graphql", app.address);
    let dom = tokio::task::spawn_blocking(move || rendered(&url))
        .await
        .unwrap();
    assert!(
        dom.contains("graphiql-container") && !dom.contains("Loading GraphiQL"),
        "GraphiQL did not render: {dom}"
    );
    let metrics = app
        .client
        .get(format!("{}/metrics", app.metrics_address.as_ref().unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"operation="IntrospectionQuery""#),
        "GraphiQL's introspection never reached the API:\n{metrics}"
    );
}
