//! The staff directory, roles and the `trained` flag.

use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Persona, spawn_app};

#[tokio::test]
async fn the_directory_pages_filters_and_searches() {
    let app = spawn_app().await;
    for (email, name) in [
        ("ann@example.fr", "Ann Martin"),
        ("bob@example.fr", "Bob Durand"),
        ("cleo@example.fr", "Cléo Martin"),
        ("dan@example.fr", "Dan 100%_Bio"),
    ] {
        app.sign_up(email, name).await;
    }
    let admin = app.admin_token().await;

    // Pages of two, following the cursors, see everyone exactly once.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = app
            .op("Users", json!({ "first": 2, "after": after }), Some(&admin))
            .await;
        let users = &page.data()["users"];
        assert_eq!(users["totalCount"], 5);
        for edge in users["edges"].as_array().unwrap() {
            seen.push(edge["node"]["email"].as_str().unwrap().to_owned());
        }
        if users["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = users["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[0], "admin@klub.test");

    let search = |text: &str| {
        let app = &app;
        let admin = admin.clone();
        let text = text.to_owned();
        async move {
            let page = app
                .op("Users", json!({ "search": text }), Some(&admin))
                .await;
            page.data()["users"]["totalCount"].as_u64().unwrap()
        }
    };
    assert_eq!(search("martin").await, 2);
    assert_eq!(search("MARTIN").await, 2);
    assert_eq!(search("hôtel du").await, 4, "organisation is searched too");
    assert_eq!(search("100%_").await, 1, "wildcards are literal");
    assert_eq!(search("%").await, 1);

    let partners = app
        .op(
            "Users",
            json!({ "role": "PARTNER", "trained": false }),
            Some(&admin),
        )
        .await;
    assert_eq!(partners.data()["users"]["totalCount"], 4);
}

#[tokio::test]
async fn page_size_is_capped_and_cursors_are_checked() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let page = app
        .op("Users", json!({ "first": 1000 }), Some(&admin))
        .await;
    assert_eq!(page.data()["users"]["totalCount"], 1);
    app.op("Users", json!({ "first": -1 }), Some(&admin))
        .await
        .expect_error("BAD_USER_INPUT");
    let bad = app
        .op("Users", json!({ "after": "not-a-cursor" }), Some(&admin))
        .await;
    bad.expect_error("BAD_USER_INPUT");
    assert_eq!(bad.error_field(), Some("after"));
}

#[tokio::test]
async fn staff_mark_partners_trained() {
    let app = spawn_app().await;
    let (partner, id) = app.sign_up("ann@example.fr", "Ann").await;
    let admin = app.admin_token().await;
    let answer = app
        .op(
            "SetTrained",
            json!({ "userId": id, "trained": true }),
            Some(&admin),
        )
        .await;
    assert_eq!(answer.data()["setTrained"]["trained"], true);
    let me = app.op("Me", json!({}), Some(&partner)).await;
    assert_eq!(me.data()["me"]["trained"], true);

    let trained = app
        .op("Users", json!({ "trained": true }), Some(&admin))
        .await;
    assert_eq!(trained.data()["users"]["totalCount"], 1);
}

#[tokio::test]
async fn the_last_admin_cannot_step_down() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let me = app.op("Me", json!({}), Some(&admin)).await;
    let admin_id = me.data()["me"]["id"].as_str().unwrap().to_owned();
    app.op(
        "SetUserRole",
        json!({ "userId": admin_id, "role": "PARTNER" }),
        Some(&admin),
    )
    .await
    .expect_error("CONFLICT");

    // With a second admin it can.
    let (_, other) = app.sign_up("eve@example.fr", "Eve").await;
    app.promote(&other, "ADMIN").await;
    let answer = app
        .op(
            "SetUserRole",
            json!({ "userId": admin_id, "role": "ANIMATOR" }),
            Some(&admin),
        )
        .await;
    assert_eq!(answer.data()["setUserRole"]["role"], "ANIMATOR");
}

#[tokio::test]
async fn unknown_and_malformed_ids() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.op(
        "SetTrained",
        json!({ "userId": "999999", "trained": true }),
        Some(&admin),
    )
    .await
    .expect_error("NOT_FOUND");
    let malformed = app
        .op(
            "SetTrained",
            json!({ "userId": "abc", "trained": true }),
            Some(&admin),
        )
        .await;
    malformed.expect_error("BAD_USER_INPUT");
    assert_eq!(malformed.error_field(), Some("userId"));
}

/// Medium 6. Two last admins stepping down (or leaving) at once leave one admin.
#[tokio::test]
async fn two_admins_stepping_down_at_once_leave_one() {
    let app = &spawn_app().await;
    for round in 0..3 {
        let admin = app.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let admin_id = app.user_id(&admin).await;
        let other = app
            .persona(Persona::Admin, &format!("round{round}"))
            .await
            .unwrap();
        let other_id = app.user_id(&other).await;
        let step_down = |token: &str, id: &str| {
            let (token, id) = (token.to_owned(), id.to_owned());
            async move {
                app.op(
                    "SetUserRole",
                    json!({ "userId": id, "role": "PARTNER" }),
                    Some(&token),
                )
                .await
            }
        };
        let (a, b) = tokio::join!(step_down(&admin, &admin_id), step_down(&other, &other_id));
        let codes = [a.error_code(), b.error_code()];
        assert!(codes.contains(&Some("CONFLICT")), "{codes:?}");
        assert!(codes.contains(&None), "{codes:?}");
        let survivor = if a.error_code().is_none() {
            &other
        } else {
            &admin
        };
        let users = app
            .op("Users", json!({ "role": "ADMIN" }), Some(survivor))
            .await;
        assert_eq!(users.data()["users"]["totalCount"], 1);
        // Put the first admin back for the next round and the deletion race below.
        if a.error_code().is_none() {
            app.op(
                "SetUserRole",
                json!({ "userId": admin_id, "role": "ADMIN" }),
                Some(&other),
            )
            .await
            .data();
            app.op(
                "SetUserRole",
                json!({ "userId": other_id, "role": "PARTNER" }),
                Some(&app.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await),
            )
            .await
            .data();
        } else {
            app.op(
                "SetUserRole",
                json!({ "userId": other_id, "role": "PARTNER" }),
                Some(&admin),
            )
            .await
            .data();
        }
    }
    // Deleting accounts: the same rule.
    let admin = app.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let other = app.persona(Persona::Admin, "leaver").await.unwrap();
    let leave = |token: String, password: &'static str| async move {
        app.op(
            "DeleteMyAccount",
            json!({ "password": password }),
            Some(&token),
        )
        .await
    };
    let (a, b) = tokio::join!(leave(admin, ADMIN_PASSWORD), leave(other, PASSWORD));
    let codes = [a.error_code(), b.error_code()];
    assert!(codes.contains(&Some("CONFLICT")), "{codes:?}");
    assert!(codes.contains(&None), "{codes:?}");
}

/// Medium 8. An audited change and its audit row commit together or not at all.
#[tokio::test]
async fn a_change_whose_audit_row_fails_does_not_happen() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let partner = app.persona(Persona::Partner, "ann").await.unwrap();
    let partner_id = app.user_id(&partner).await;
    let refuse_audit = if app.db.is_postgres() {
        vec![
            "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
        ]
    } else {
        vec![
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit refused'); END",
        ]
    };
    for statement in refuse_audit {
        app.state.db.execute_unprepared(statement).await.unwrap();
    }
    app.op(
        "SetUserRole",
        json!({ "userId": partner_id, "role": "ANIMATOR" }),
        Some(&admin),
    )
    .await
    .expect_error("INTERNAL_SERVER_ERROR");
    app.op(
        "CreateActivity",
        json!({ "input": { "kind": "WORKSHOP", "title": "Never", "capacity": 5, "sessions": [
            { "startsAt": "2030-01-01T09:00:00Z", "endsAt": "2030-01-01T12:00:00Z" } ] } }),
        Some(&admin),
    )
    .await
    .expect_error("INTERNAL_SERVER_ERROR");
    let me = app.op("Me", json!({}), Some(&partner)).await;
    assert_eq!(
        me.data()["me"]["role"],
        "PARTNER",
        "the change did not happen"
    );
    let activities = entity::activity::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(activities.is_empty(), "{activities:?}");
}
