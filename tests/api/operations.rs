//! What staff and operators can see: the audit log, a person's own data and its deletion,
//! and the Prometheus metrics.

use serde_json::json;

use crate::helpers::{PASSWORD, Persona, spawn_app};

const AUDIT_LOG: &str = "query($action: AuditAction) {
    auditLog(first: 50, action: $action) {
        totalCount
        edges { node { at action targetType targetId detail actor { name role } } }
    }
}";

#[tokio::test]
async fn staff_actions_are_in_the_audit_log_for_admins_only() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let animator = app.persona(Persona::Animator, "lea").await.unwrap();
    let partner = app.persona(Persona::Partner, "ann").await.unwrap();

    let activity = app.published_activity(&animator, 5, json!({})).await;
    app.op(
        "CancelActivity",
        json!({ "id": activity, "reason": "Storm warning" }),
        Some(&animator),
    )
    .await
    .data();

    let log = app.graphql(AUDIT_LOG, json!({}), Some(&admin)).await;
    let edges = log.data()["auditLog"]["edges"].as_array().unwrap().clone();
    let actions: Vec<&str> = edges
        .iter()
        .map(|edge| edge["node"]["action"].as_str().unwrap())
        .collect();
    // Newest first: the cancellation, the publication, the creation, then the role changes
    // that made the personas (by the admin).
    assert_eq!(
        &actions[..3],
        [
            "ACTIVITY_CANCELLED",
            "ACTIVITY_PUBLISHED",
            "ACTIVITY_CREATED"
        ]
    );
    assert!(actions.contains(&"ROLE_CHANGED"));
    let cancelled = &edges[0]["node"];
    assert_eq!(cancelled["targetType"], "ACTIVITY");
    assert_eq!(cancelled["targetId"], activity);
    assert_eq!(cancelled["detail"], "Storm warning");
    assert_eq!(cancelled["actor"]["name"], "lea");
    assert_eq!(cancelled["actor"]["role"], "ANIMATOR");

    let only_roles = app
        .graphql(AUDIT_LOG, json!({ "action": "ROLE_CHANGED" }), Some(&admin))
        .await;
    let roles = &only_roles.data()["auditLog"];
    assert_eq!(roles["totalCount"], 1);
    assert_eq!(roles["edges"][0]["node"]["detail"], "ANIMATOR");

    for token in [&animator, &partner] {
        app.graphql(AUDIT_LOG, json!({}), Some(token))
            .await
            .expect_error("FORBIDDEN");
    }
}

#[tokio::test]
async fn a_partner_downloads_its_data_then_deletes_its_account() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (ann, ann_id) = app.sign_up("ann@example.fr", "Ann").await;
    app.op(
        "SetTrained",
        json!({ "userId": ann_id, "trained": true }),
        Some(&admin),
    )
    .await
    .data();
    let workshop = app
        .published_activity(&admin, 5, json!({ "capacity": 1 }))
        .await;
    app.register(&workshop, &ann).await;
    let (bob, _) = app.sign_up("bob@example.fr", "Bob").await;
    assert_eq!(app.register(&workshop, &bob).await["status"], "WAITLISTED");

    let groups = app.op("Groups", json!({}), Some(&ann)).await;
    let club = groups.data()["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Partners' club")
        .unwrap()["id"]
        .clone();
    let thread = app
        .op(
            "StartThread",
            json!({ "groupId": club, "title": "Google reviews", "body": "How do I answer a bad review?" }),
            Some(&ann),
        )
        .await;
    let thread_id = thread.data()["startThread"]["id"].clone();

    let data = app.graphql("{ myData }", json!({}), Some(&ann)).await;
    let mine = &data.data()["myData"];
    assert_eq!(mine["account"]["email"], "ann@example.fr");
    assert_eq!(mine["account"]["trained"], true);
    assert_eq!(mine["registrations"][0]["activityId"].to_string(), workshop);
    assert_eq!(mine["threads"][0]["title"], "Google reviews");
    assert_eq!(mine["posts"][0]["body"], "How do I answer a bad review?");
    assert!(!mine["mails"].as_array().unwrap().is_empty());
    let text = mine.to_string();
    assert!(!text.contains("argon2"), "no password hash in {text}");

    let delete = "mutation($password: String!) { deleteMyAccount(password: $password) }";
    app.graphql(delete, json!({ "password": "not my password" }), Some(&ann))
        .await
        .expect_error("BAD_USER_INPUT");
    let deleted = app
        .graphql(delete, json!({ "password": PASSWORD }), Some(&ann))
        .await;
    assert_eq!(deleted.data()["deleteMyAccount"], true);

    // The session is over, the login too; Bob got the freed seat.
    app.graphql("{ me { id } }", json!({}), Some(&ann))
        .await
        .expect_error("UNAUTHENTICATED");
    app.graphql(
        "mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }",
        json!({ "e": "ann@example.fr", "p": PASSWORD }),
        None,
    )
    .await
    .expect_error("UNAUTHENTICATED");
    let bobs = app.op("MyRegistrations", json!({}), Some(&bob)).await;
    assert_eq!(
        bobs.data()["myRegistrations"]["edges"][0]["node"]["status"],
        "CONFIRMED"
    );
    // The thread stays, signed by a former member; the address can sign up again.
    let read = app
        .op("Thread", json!({ "id": thread_id }), Some(&admin))
        .await;
    let author = &read.data()["thread"]["posts"]["edges"][0]["node"]["author"];
    assert_eq!(author["name"], "Former member");
    app.sign_up("ann@example.fr", "Ann again").await;
}

#[tokio::test]
async fn the_last_admin_cannot_delete_its_account() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.graphql(
        "mutation($p: String!) { deleteMyAccount(password: $p) }",
        json!({ "p": crate::helpers::ADMIN_PASSWORD }),
        Some(&admin),
    )
    .await
    .expect_error("CONFLICT");
}

#[tokio::test]
async fn metrics_count_operations_by_name_and_outcome() {
    let app = spawn_app().await;
    let partner = app.persona(Persona::Partner, "ann").await.unwrap();
    app.op("Me", json!({}), Some(&partner)).await.data();
    app.op("Users", json!({}), Some(&partner))
        .await
        .expect_error("FORBIDDEN");
    let scrape = app
        .client
        .get(format!("{}/metrics", app.metrics_address.as_ref().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(scrape.status(), 200);
    // Not on the API's own port, where anyone could read it.
    let public = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 404);
    let text = scrape.text().await.unwrap();
    for expected in [
        r#"klub_graphql_requests_total{operation="Me",outcome="ok"}"#,
        r#"klub_graphql_requests_total{operation="Users",outcome="FORBIDDEN"}"#,
        "klub_graphql_request_duration_seconds_bucket{operation=\"Me\",le=\"0.005\"}",
        r#"klub_db_pool_connections{state="open"}"#,
        r#"klub_outbox_mails{status="pending"}"#,
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
}
