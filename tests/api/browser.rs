//! Pages Klub serves, loaded in a real browser: headless Chromium (Debian's `chromium`) with
//! Klub's own headers, on a machine that reaches nothing outside, reads what rendered.

use std::{path::PathBuf, process::Command};

use crate::helpers::spawn_app;

/// Debian's Chromium (or `KLUB_TEST_CHROMIUM`), installed on first use (see
/// [`crate::helpers::debian_tool`]).
fn chromium() -> PathBuf {
    let path = std::env::var_os("KLUB_TEST_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    crate::helpers::debian_tool(&path, "chromium");
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
/// script), and what a person sees is the schema loaded: the documentation explorer lists the
/// root types, and no error stands where the schema should be.
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
    assert!(
        dom.contains("Root Types") && dom.contains(">Mutation<"),
        "GraphiQL has no schema to document: {dom}"
    );
    assert!(
        !dom.contains("Error fetching schema") && !dom.contains("too deep"),
        "GraphiQL shows an error instead of the schema: {dom}"
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

/// The one-click unsubscribe page of a group mail renders under its policy: the group named,
/// one button, and nothing muted by merely opening it.
#[tokio::test]
async fn the_unsubscribe_page_renders_and_opening_it_mutes_nothing() {
    use entity::mail;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use serde_json::json;

    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let club = app.group_id(&admin, "Partners' club").await;
    app.op(
        "SetGroupNotifications",
        json!({ "groupId": club, "level": "EVERY_POST" }),
        Some(&admin),
    )
    .await
    .data();
    let author = app
        .persona(crate::helpers::Persona::TrainedPartner, "author")
        .await
        .unwrap();
    app.op(
        "StartThread",
        json!({ "groupId": club, "title": "Vidéo", "body": "Quel micro ?" }),
        Some(&author),
    )
    .await
    .data();
    crate::helpers::run_scheduler(&app).await;
    let row = mail::Entity::find()
        .filter(mail::Column::Kind.eq("group_post"))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("the admin's mail about the new thread");
    let text = crate::helpers::delivered(&app, row.id).await.unwrap();
    let start = text.find("/unsubscribe/").expect("an unsubscribe link");
    let path: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let url = format!("{}{path}", app.address);

    let page = app.client.get(&url).send().await.unwrap();
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("form-action 'self'"), "{policy}");
    let dom = tokio::task::spawn_blocking(move || rendered(&url))
        .await
        .unwrap();
    assert!(
        dom.contains("Partners' club") && dom.contains(r#"id="confirm""#),
        "the page did not render: {dom}"
    );
    let level = app
        .graphql(
            "{ groups { name myNotificationLevel } }",
            json!({}),
            Some(&admin),
        )
        .await;
    let club_level = level.data()["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Partners' club")
        .unwrap()["myNotificationLevel"]
        .clone();
    assert_eq!(club_level, "EVERY_POST");
}

/// A local address that answers Chromium with `target`, fetched with `token` as a bearer
/// (a browser cannot send one by itself), Klub's own headers passed through unchanged.
async fn with_bearer(client: reqwest::Client, target: String, token: String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = vec![0u8; 8192];
            let read = stream.read(&mut request).await.unwrap_or(0);
            let first_line = String::from_utf8_lossy(&request[..read])
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned();
            let response = if first_line.starts_with("GET / ") {
                let upstream = client
                    .get(&target)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                let mut head = format!("HTTP/1.1 {}\r\n", upstream.status());
                for (name, value) in upstream.headers() {
                    if !["content-length", "transfer-encoding", "connection"]
                        .contains(&name.as_str())
                    {
                        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
                    }
                }
                let body = upstream.bytes().await.unwrap();
                head.push_str(&format!(
                    "content-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                ));
                [head.into_bytes(), body.to_vec()].concat()
            } else {
                b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec()
            };
            let _ = stream.write_all(&response).await;
        }
    });
    address
}

/// The monthly report renders in a browser under its own policy: figures, and its three
/// charts drawn as SVG.
#[tokio::test]
async fn the_monthly_report_renders_its_charts() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let month = app.state.now().format("%Y-%m").to_string();
    let target = format!("{}/reports/{month}.html", app.address);
    let page = app
        .client
        .get(&target)
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    let url = with_bearer(app.client.clone(), target, admin).await;
    let dom = tokio::task::spawn_blocking(move || rendered(&url))
        .await
        .unwrap();
    assert!(
        dom.contains(r#"id="figures""#),
        "the page did not render: {dom}"
    );
    assert_eq!(dom.matches("<svg").count(), 3, "three charts: {dom}");
    assert!(dom.contains("Fill rate by kind"), "{dom}");
}
