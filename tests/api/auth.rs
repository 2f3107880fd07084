//! Accounts and sessions through the contract's auth operations.

use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, spawn_app, spawn_app_with, spawn_on};

#[tokio::test]
async fn sign_up_then_log_in_then_me() {
    let app = spawn_app().await;
    let answer = app
        .op(
            "SignUp",
            json!({ "input": { "email": "  Ann.Martin@Example.FR ", "password": PASSWORD, "name": "Ann Martin", "organisation": "Gîte des Pins" } }),
            None,
        )
        .await;
    let user = &answer.data()["signUp"]["user"];
    assert_eq!(user["email"], "ann.martin@example.fr");
    assert_eq!(user["role"], "PARTNER");
    assert_eq!(user["trained"], false);
    assert_eq!(user["organisation"], "Gîte des Pins");

    let token = app.log_in("ANN.martin@example.fr", PASSWORD).await;
    let me = app.op("Me", json!({}), Some(&token)).await;
    let me = &me.data()["me"];
    assert_eq!(me["name"], "Ann Martin");
    assert_eq!(me["id"], user["id"]);
    assert!(me["createdAt"].as_str().unwrap().contains('T'));
}

#[tokio::test]
async fn an_address_is_taken_whatever_its_case() {
    let app = spawn_app().await;
    app.sign_up("ann@example.fr", "Ann").await;
    let again = app
        .op(
            "SignUp",
            json!({ "input": { "email": "ANN@example.fr", "password": PASSWORD, "name": "Ann again" } }),
            None,
        )
        .await;
    again.expect_error("CONFLICT");
}

#[tokio::test]
async fn sign_up_input_is_validated_field_by_field() {
    let app = spawn_app().await;
    for (input, field) in [
        (
            json!({ "email": "not-an-address", "password": PASSWORD, "name": "Ann" }),
            "email",
        ),
        (
            json!({ "email": "ann@example.fr", "password": "short", "name": "Ann" }),
            "password",
        ),
        (
            json!({ "email": "ann@example.fr", "password": "p".repeat(1025), "name": "Ann" }),
            "password",
        ),
        (
            json!({ "email": "ann@example.fr", "password": PASSWORD, "name": "  " }),
            "name",
        ),
        (
            json!({ "email": "ann@example.fr", "password": PASSWORD, "name": "n".repeat(201) }),
            "name",
        ),
        (
            json!({ "email": "ann@example.fr", "password": PASSWORD, "name": "Ann", "organisation": "o".repeat(201) }),
            "organisation",
        ),
    ] {
        let answer = app.op("SignUp", json!({ "input": input }), None).await;
        answer.expect_error("BAD_USER_INPUT");
        assert_eq!(answer.error_field(), Some(field), "{:#}", answer.body);
    }
    // Nothing was stored by the rejected requests.
    let admin = app.admin_token().await;
    let users = app.op("Users", json!({}), Some(&admin)).await;
    assert_eq!(users.data()["users"]["totalCount"], 1);
}

#[tokio::test]
async fn unknown_address_and_wrong_password_look_the_same() {
    let app = spawn_app().await;
    app.sign_up("ann@example.fr", "Ann").await;
    let wrong_password = app
        .op(
            "LogIn",
            json!({ "email": "ann@example.fr", "password": "wrong password!" }),
            None,
        )
        .await;
    let unknown = app
        .op(
            "LogIn",
            json!({ "email": "bob@example.fr", "password": PASSWORD }),
            None,
        )
        .await;
    wrong_password.expect_error("UNAUTHENTICATED");
    assert_eq!(
        wrong_password.body["errors"][0]["message"],
        unknown.body["errors"][0]["message"]
    );
    assert_eq!(wrong_password.error_code(), unknown.error_code());
}

#[tokio::test]
async fn sign_up_can_be_switched_off() {
    let app = spawn_app_with(vec![("KLUB_ALLOW_SIGNUP", "false".into())]).await;
    app.op(
        "SignUp",
        json!({ "input": { "email": "ann@example.fr", "password": PASSWORD, "name": "Ann" } }),
        None,
    )
    .await
    .expect_error("FORBIDDEN");
    // The configured admin can still log in.
    app.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
}

#[tokio::test]
async fn a_bad_token_is_unauthenticated_but_public_operations_still_work() {
    let app = spawn_app().await;
    for token in ["garbage", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", ""] {
        app.op("Me", json!({}), Some(token))
            .await
            .expect_error("UNAUTHENTICATED");
    }
    app.op("Me", json!({}), None)
        .await
        .expect_error("UNAUTHENTICATED");
    // logIn does not need a valid token.
    let answer = app
        .op(
            "LogIn",
            json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }),
            Some("garbage"),
        )
        .await;
    answer.data();
}

#[tokio::test]
async fn a_token_from_another_server_is_refused() {
    let app = spawn_app().await;
    let other = spawn_app_with(vec![("KLUB_JWT_SECRET", "x".repeat(40))]).await;
    let token = other.admin_token().await;
    app.op("Me", json!({}), Some(&token))
        .await
        .expect_error("UNAUTHENTICATED");
}

#[tokio::test]
async fn the_generated_secret_and_the_first_admin_survive_a_restart() {
    let app = spawn_app().await;
    let (token, _) = app.sign_up("ann@example.fr", "Ann").await;
    let db = app.db;
    // A second instance on the same database: same secret, no second admin.
    let restarted = spawn_on(db, Vec::new()).await;
    let me = restarted.op("Me", json!({}), Some(&token)).await;
    assert_eq!(me.data()["me"]["email"], "ann@example.fr");
    let admin = restarted.admin_token().await;
    let admins = restarted
        .op("Users", json!({ "role": "ADMIN" }), Some(&admin))
        .await;
    assert_eq!(admins.data()["users"]["totalCount"], 1);
}

#[tokio::test]
async fn a_role_change_applies_to_the_very_next_request() {
    let app = spawn_app().await;
    let (token, id) = app.sign_up("ann@example.fr", "Ann").await;
    app.op("Users", json!({}), Some(&token))
        .await
        .expect_error("FORBIDDEN");

    app.promote(&id, "ANIMATOR").await;
    let users = app.op("Users", json!({}), Some(&token)).await;
    assert_eq!(users.data()["users"]["totalCount"], 2);

    app.promote(&id, "PARTNER").await;
    app.op("Users", json!({}), Some(&token))
        .await
        .expect_error("FORBIDDEN");
}
