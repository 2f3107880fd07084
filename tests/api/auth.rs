//! Accounts and sessions through the contract's auth operations.

use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Persona, Socket, latest_mailed_token, spawn_app,
    spawn_app_with, spawn_beside, spawn_on,
};

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

/// The result of a query or mutation sent on a socket: the `next` payload (or the `error`).
pub async fn over_socket(socket: &mut Socket, id: &str, name: &str, variables: Value) -> Value {
    socket.start(id, name, variables).await;
    loop {
        let answer = socket.next().await;
        if answer["id"] == id && answer["type"] != "complete" {
            return answer["payload"].clone();
        }
    }
}

pub fn code(payload: &Value) -> &str {
    payload["errors"][0]["extensions"]["code"]
        .as_str()
        .or_else(|| payload[0]["extensions"]["code"].as_str())
        .unwrap_or("none")
}

/// High 1. Every operation on a socket sees the account as it is now.
#[tokio::test]
async fn a_socket_acts_with_the_rights_the_account_has_now() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let other_admin = app.persona(Persona::Admin, "eve").await.unwrap();
    let other_id = app.user_id(&other_admin).await;
    let mut socket = Socket::connect(&app, &other_admin).await;
    let me = over_socket(&mut socket, "1", "Me", json!({})).await;
    assert_eq!(me["data"]["me"]["role"], "ADMIN", "{me}");

    // Demoted over HTTP, the socket's next operation is a partner's.
    app.promote(&other_id, "PARTNER").await;
    let again = over_socket(
        &mut socket,
        "2",
        "SetUserRole",
        json!({ "userId": other_id, "role": "ADMIN" }),
    )
    .await;
    assert_eq!(code(&again), "FORBIDDEN", "{again}");
    let users = app
        .op("Users", json!({ "role": "ADMIN" }), Some(&admin))
        .await;
    assert_eq!(users.data()["users"]["totalCount"], 1, "still one admin");

    // Sessions ended elsewhere end the socket's too: logOutEverywhere, a password change,
    // a deleted account.
    for (tag, end) in [("logout", 0), ("password", 1), ("delete", 2)] {
        let token = app.persona(Persona::Partner, tag).await.unwrap();
        let mut socket = Socket::connect(&app, &token).await;
        let before = over_socket(&mut socket, "1", "Me", json!({})).await;
        assert!(before["data"]["me"]["id"].is_string(), "{before}");
        let ended = match end {
            0 => app.op("LogOutEverywhere", json!({}), Some(&token)).await,
            1 => {
                app.op(
                    "ChangePassword",
                    json!({ "currentPassword": PASSWORD, "newPassword": "another long password" }),
                    Some(&token),
                )
                .await
            }
            _ => {
                app.op(
                    "DeleteMyAccount",
                    json!({ "password": PASSWORD }),
                    Some(&token),
                )
                .await
            }
        };
        ended.data();
        let after = over_socket(&mut socket, "2", "Me", json!({})).await;
        assert_eq!(code(&after), "UNAUTHENTICATED", "{tag}: {after}");
    }
}

/// Medium 4. Thirty guesses at once, through two instances on PostgreSQL: five are judged.
#[tokio::test]
async fn parallel_guesses_are_judged_five_at_most() {
    let first = spawn_app().await;
    let second = if first.db.is_postgres() {
        Some(spawn_beside(&first, Vec::new()).await)
    } else {
        None
    };
    first.sign_up("ann@example.fr", "Ann").await;
    let guesses = (0..30).map(|i| {
        let app = match (&second, i % 2) {
            (Some(second), 1) => second,
            _ => &first,
        };
        app.op(
            "LogIn",
            json!({ "email": "ann@example.fr", "password": format!("guess number {i}") }),
            None,
        )
    });
    let answers = futures_util::future::join_all(guesses).await;
    let judged = answers
        .iter()
        .filter(|a| a.error_code() == Some("UNAUTHENTICATED"))
        .count();
    let throttled = answers
        .iter()
        .filter(|a| a.error_code() == Some("TOO_MANY_REQUESTS"))
        .count();
    let codes: Vec<_> = answers.iter().map(|a| a.error_code()).collect();
    assert_eq!((judged, throttled), (5, 25), "{codes:?}");
    first
        .op(
            "LogIn",
            json!({ "email": "ann@example.fr", "password": PASSWORD }),
            None,
        )
        .await
        .expect_error("TOO_MANY_REQUESTS");
}

/// Medium 4. `logIn` over a socket is counted against the real client address.
#[tokio::test]
async fn log_in_over_a_socket_counts_the_real_client() {
    let app = spawn_app().await;
    let partner = app.persona(Persona::Partner, "ann").await.unwrap();
    let mut socket = Socket::connect(&app, &partner).await;
    for i in 0..20 {
        let answer = over_socket(
            &mut socket,
            &format!("{i}"),
            "LogIn",
            json!({ "email": format!("nobody{i}@example.fr"), "password": "wrong password" }),
        )
        .await;
        assert_eq!(code(&answer), "UNAUTHENTICATED", "{answer}");
    }
    // The same client, now over HTTP, has used its twenty attempts.
    app.op(
        "LogIn",
        json!({ "email": "ann-partner@klub.test", "password": PASSWORD }),
        None,
    )
    .await
    .expect_error("TOO_MANY_REQUESTS");
}

/// Low 9. Ending sessions ends reset links too, and moves the calendar feed to a new URL.
#[tokio::test]
async fn ending_sessions_kills_reset_links_and_the_old_feed_url() {
    let app = spawn_app().await;
    for end in ["LogOutEverywhere", "ChangePassword"] {
        let email = format!("{}@example.fr", end.to_lowercase());
        let (token, _) = app.sign_up(&email, "Ann").await;
        let feed = app.op("ResetCalendarFeed", json!({}), Some(&token)).await;
        let old_feed = feed.data()["resetCalendarFeed"]
            .as_str()
            .unwrap()
            .to_owned();
        app.op("RequestPasswordReset", json!({ "email": email }), None)
            .await
            .data();
        let link = latest_mailed_token(&app, "password_reset").await.unwrap();
        let variables = if end == "ChangePassword" {
            json!({ "currentPassword": PASSWORD, "newPassword": "another long password" })
        } else {
            json!({})
        };
        app.op(end, variables, Some(&token)).await.data();
        app.op(
            "ResetPassword",
            json!({ "token": link, "password": "thief's password!" }),
            None,
        )
        .await
        .expect_error("BAD_USER_INPUT");
        let path = &old_feed[old_feed.find("/calendar/").unwrap()..];
        let old = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(old.status(), 404, "{end}: the old feed URL still works");
    }
}
