//! The caller is kept in memory by every instance (no statement per request), yet it is the
//! account as it is now: a change made through one instance, or straight in the database, is
//! seen by the very next request on every instance.

use std::sync::atomic::Ordering;

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_beside};

async fn role(app: &TestApp, token: &str) -> String {
    let me = app.op("Me", json!({}), Some(token)).await;
    me.data()["me"]["role"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_instance_sees_an_account_change_on_the_very_next_request() {
    let first = spawn_app().await;
    let second = spawn_beside(&first, Vec::new()).await;
    let instances = [&first, &second];
    let admin = first.admin_token().await;
    let (ann, ann_id) = first.sign_up("ann@example.fr", "Ann").await;
    for app in instances {
        assert_eq!(role(app, &ann).await, "PARTNER");
    }

    // Promoted and demoted through one instance, judged on both at once, many times over.
    for round in 0..12 {
        let writer = instances[round % 2];
        let role_now = if round % 2 == 0 {
            "ANIMATOR"
        } else {
            "PARTNER"
        };
        writer
            .op(
                "SetUserRole",
                json!({ "userId": ann_id, "role": role_now }),
                Some(&admin),
            )
            .await
            .data();
        for app in [instances[(round + 1) % 2], writer] {
            assert_eq!(role(app, &ann).await, role_now, "round {round}");
            let directory = app.op("Users", json!({}), Some(&ann)).await;
            if role_now == "PARTNER" {
                directory.expect_error("FORBIDDEN");
            } else {
                directory.data();
            }
        }
    }

    // A registration made through one instance is on the other's very next page.
    let workshop = first.published_activity(&admin, 10, json!({})).await;
    let registration = second.register(&workshop, &ann).await;
    let page = first.op("Activities", json!({}), Some(&ann)).await;
    assert_eq!(
        page.data()["activities"]["edges"][0]["node"]["myRegistration"]["id"],
        registration["id"]
    );
    assert_eq!(
        page.data()["activities"]["edges"][0]["node"]["seatsLeft"],
        9
    );

    // Sessions revoked on one instance are dead on the other at once; a new one works there.
    first
        .op("LogOutEverywhere", json!({}), Some(&ann))
        .await
        .data();
    second
        .op("Me", json!({}), Some(&ann))
        .await
        .expect_error("UNAUTHENTICATED");
    let ann = second.log_in("ann@example.fr", PASSWORD).await;
    assert_eq!(role(&first, &ann).await, "PARTNER");

    // A deleted account is gone everywhere.
    second
        .op(
            "DeleteMyAccount",
            json!({ "password": PASSWORD }),
            Some(&ann),
        )
        .await
        .data();
    for app in instances {
        app.op("Me", json!({}), Some(&ann))
            .await
            .expect_error("UNAUTHENTICATED");
    }
}

/// An operator's `UPDATE` at a `psql` prompt reaches every instance through the trigger on
/// `users`, as soon as PostgreSQL delivers its notification (a Klub mutation also waits for
/// that delivery before it answers; an operator's prompt does not). On SQLite the cache hears
/// the writes of the process that holds the file, which is the only one serving it.
#[tokio::test]
async fn a_change_made_in_the_database_is_seen_at_once() {
    let first = spawn_app().await;
    if first.db.skips_unless_postgres(
        "viewers::a_change_made_in_the_database_is_seen_at_once",
        "on SQLite the process that holds the file is its only writer",
    ) {
        return;
    }
    let second = spawn_beside(&first, Vec::new()).await;
    let (ann, ann_id) = first.sign_up("ann@example.fr", "Ann").await;
    let operator = sea_orm::Database::connect(&first.db.url).await.unwrap();
    for (round, role_now) in ["ANIMATOR", "PARTNER", "ADMIN", "PARTNER"]
        .iter()
        .enumerate()
    {
        for app in [&first, &second] {
            role(app, &ann).await;
        }
        sea_orm::ConnectionTrait::execute_unprepared(
            &operator,
            &format!("UPDATE users SET role = '{role_now}' WHERE id = {ann_id}"),
        )
        .await
        .unwrap();
        for app in [&second, &first] {
            let started = std::time::Instant::now();
            while role(app, &ann).await != *role_now {
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(1),
                    "round {round}: the change never arrived"
                );
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
    }
}

#[tokio::test]
async fn a_known_caller_costs_no_statement() {
    let app = crate::helpers::spawn_app_with(vec![
        ("KLUB_OUTBOX_POLL_MS", "3600000".into()),
        ("KLUB_SCHEDULER_TICK_SECONDS", "3600".into()),
    ])
    .await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    app.graphql("{ __typename }", json!({}), Some(&ann))
        .await
        .data();
    let before = app.state.statements.load(Ordering::SeqCst);
    for _ in 0..5 {
        app.graphql("{ __typename }", json!({}), Some(&ann))
            .await
            .data();
    }
    assert_eq!(app.state.statements.load(Ordering::SeqCst), before);
}
