//! Step 7's attacks, each made from outside as an attacker would make it, on both databases
//! (the suite runs on SQLite and again on PostgreSQL). One test per hole, named after what
//! must hold.

use std::time::Duration;

use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Persona, Socket, TestApp, latest_mailed_token,
    spawn_app, spawn_on,
};

/// The result of a query or mutation sent on a socket: the `next` payload (or the `error`).
async fn over_socket(socket: &mut Socket, id: &str, name: &str, variables: Value) -> Value {
    socket.start(id, name, variables).await;
    loop {
        let answer = socket.next().await;
        if answer["id"] == id && answer["type"] != "complete" {
            return answer["payload"].clone();
        }
    }
}

fn code(payload: &Value) -> &str {
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

/// High 1. A subscription goes silent once its viewer has left the group.
#[tokio::test]
async fn a_subscription_stops_when_its_viewer_leaves_the_group() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let trained = app.persona(Persona::TrainedPartner, "ann").await.unwrap();
    let trained_id = app.user_id(&trained).await;
    let club = app.group_id(&admin, "Partners' club").await;
    let mut socket = Socket::posts(&app, &trained, &club).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let post = |body: &'static str| {
        app.op(
            "StartThread",
            json!({ "groupId": club, "title": "News", "body": body }),
            Some(&admin),
        )
    };
    post("first").await.data();
    let first = socket.next().await;
    assert_eq!(
        first["payload"]["data"]["postAdded"]["body"], "first",
        "{first}"
    );

    app.op(
        "SetTrained",
        json!({ "userId": trained_id, "trained": false }),
        Some(&admin),
    )
    .await
    .data();
    post("second, for members only").await.data();
    if let Some(message) = socket.next_within(Duration::from_secs(2)).await {
        assert_ne!(
            message["type"], "next",
            "a post reached a former member: {message}"
        );
    }
}

/// The 2^n fragment bomb: each level spreads the next one twice.
fn fragment_bomb(levels: usize) -> String {
    let mut document = String::from("query Bomb { ...F0 }\n");
    for level in 0..levels {
        document.push_str(&format!(
            "fragment F{level} on Query {{ ...F{next} ...F{next} }}\n",
            next = level + 1
        ));
    }
    document.push_str(&format!("fragment F{levels} on Query {{ __typename }}\n"));
    document
}

/// High 2. A bomb of a few hundred bytes is refused before anything expands it, and the
/// server keeps answering meanwhile.
#[tokio::test]
async fn a_fragment_bomb_is_refused_before_it_is_expanded() {
    let app = spawn_app().await;
    let cycle = "query Q { ...A } fragment A on Query { ...B ...B } fragment B on Query { ...A ...A __typename }";
    let unused = format!("query Small {{ __typename }}\n{}", &fragment_bomb(40)[20..]);
    for document in [
        fragment_bomb(30),
        fragment_bomb(60),
        cycle.to_owned(),
        unused,
    ] {
        assert!(document.len() < 4_000);
        let answer = tokio::time::timeout(
            Duration::from_secs(10),
            app.post_json(&json!({ "query": document }), None),
        )
        .await
        .expect("refused at once, not after expanding 2^n selections");
        assert_eq!(answer.status, 200);
        assert!(
            answer.body["errors"][0]["message"].is_string(),
            "{:#}",
            answer.body
        );
        assert!(answer.body["data"].is_null(), "{:#}", answer.body);
    }
    let health = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    // The same holds on the socket, for anyone.
    let partner = app.persona(Persona::Partner, "ann").await.unwrap();
    let mut socket = Socket::connect(&app, &partner).await;
    socket
        .send(json!({ "id": "1", "type": "subscribe", "payload": { "query": fragment_bomb(40) } }))
        .await;
    let refused = tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .expect("refused at once over the socket too");
    assert!(
        refused["payload"]["errors"].is_array() || refused["type"] == "error",
        "{refused}"
    );
    assert!(refused["payload"]["data"].is_null(), "{refused}");
}

pub async fn invite(app: &TestApp, by: &str, email: &str, role: &str) -> crate::helpers::Gql {
    app.op(
        "Invite",
        json!({ "input": { "emails": [email], "role": role } }),
        Some(by),
    )
    .await
}

/// High 3. Signing up with an invited address gives neither the invitation, nor its link,
/// nor its role; the owner of the address, opening the mailed link, gets all three.
#[tokio::test]
async fn an_invited_address_belongs_to_whoever_proves_it() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    invite(&app, &admin, "lea@office.fr", "ANIMATOR")
        .await
        .data();
    let real_link = latest_mailed_token(&app, "invitation_account")
        .await
        .unwrap();

    // The squatter signs up with the address and reads everything it may read.
    let (squatter, _) = app.sign_up("lea@office.fr", "Not Lea").await;
    let me = app.op("MyAddress", json!({}), Some(&squatter)).await;
    assert_eq!(me.data()["me"]["emailVerified"], false);
    let data = app.op("MyData", json!({}), Some(&squatter)).await;
    let data = data.data()["myData"].clone();
    assert_eq!(data["invitations"], json!([]), "{data:#}");
    assert!(
        !data.to_string().contains(&real_link),
        "the link leaked: {data:#}"
    );
    for mail in data["mails"].as_array().unwrap() {
        assert_eq!(mail["kind"], "email_verification", "{mail}");
        assert!(!mail["text"].as_str().unwrap().contains("token=0"));
    }
    // Registering and the rest of a partner's life work meanwhile.
    let workshop = app.published_activity(&admin, 10, json!({})).await;
    app.register(&workshop, &squatter).await;
    // What staff send to the address now is not the unproven account's either.
    app.op(
        "Invite",
        json!({ "input": { "emails": ["lea@office.fr"], "activityId": workshop, "message": "Our plans for 2027" } }),
        Some(&admin),
    )
    .await
    .data();
    let data = app.op("MyData", json!({}), Some(&squatter)).await;
    let data = data.data()["myData"].to_string();
    assert!(!data.contains("plans for 2027"), "{data}");
    // The "check your mail" screen can ask for the link again.
    app.op("ResendVerificationEmail", json!({}), Some(&squatter))
        .await
        .data();

    // The owner of the address accepts: the account is hers now, with the invited role,
    // and the squatter's session is over.
    let accepted = app
        .op(
            "AcceptInvitation",
            json!({ "token": real_link, "name": "Léa", "password": "lea's own password" }),
            None,
        )
        .await;
    let payload = &accepted.data()["acceptInvitation"];
    assert_eq!(payload["user"]["role"], "ANIMATOR");
    app.op("Me", json!({}), Some(&squatter))
        .await
        .expect_error("UNAUTHENTICATED");
    let lea = payload["token"].as_str().unwrap();
    let me = app.op("MyAddress", json!({}), Some(lea)).await;
    assert_eq!(me.data()["me"]["emailVerified"], true);
    let data = app.op("MyData", json!({}), Some(lea)).await;
    let data = data.data()["myData"].to_string();
    assert!(data.contains("plans for 2027"), "hers now: {data}");

    // A squatter who deletes its account before the owner comes loses nothing of hers.
    invite(&app, &admin, "max@office.fr", "ADMIN").await.data();
    let (squatter, _) = app.sign_up("max@office.fr", "Not Max").await;
    let data = app.op("MyData", json!({}), Some(&squatter)).await;
    assert_eq!(data.data()["myData"]["invitations"], json!([]));
    app.op(
        "DeleteMyAccount",
        json!({ "password": PASSWORD }),
        Some(&squatter),
    )
    .await
    .data();
    let link = latest_mailed_token(&app, "invitation_account")
        .await
        .unwrap();
    let accepted = app
        .op(
            "AcceptInvitation",
            json!({ "token": link, "name": "Max", "password": "max's own password" }),
            None,
        )
        .await;
    assert_eq!(accepted.data()["acceptInvitation"]["user"]["role"], "ADMIN");
}

/// High 3. The link mailed at sign-up, opened in the account's session, proves the address:
/// pending invitations to it become the account's, with their roles.
#[tokio::test]
async fn the_verification_link_hands_over_what_waits_at_the_address() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    invite(&app, &admin, "zoe@office.fr", "ANIMATOR")
        .await
        .data();
    let (zoe, _) = app.sign_up("zoe@office.fr", "Zoé").await;
    let me = app.op("Me", json!({}), Some(&zoe)).await;
    assert_eq!(me.data()["me"]["role"], "PARTNER", "not before the proof");

    let token = latest_mailed_token(&app, "email_verification")
        .await
        .unwrap();
    app.op(
        "VerifyEmail",
        json!({ "token": "0".repeat(64) }),
        Some(&zoe),
    )
    .await
    .expect_error("BAD_USER_INPUT");
    app.op("VerifyEmail", json!({ "token": token }), Some(&zoe))
        .await
        .data();
    app.op("VerifyEmail", json!({ "token": token }), Some(&zoe))
        .await
        .expect_error("BAD_USER_INPUT");
    let me = app.op("MyAddress", json!({}), Some(&zoe)).await;
    assert_eq!(me.data()["me"]["emailVerified"], true);
    let me = app.op("Me", json!({}), Some(&zoe)).await;
    assert_eq!(me.data()["me"]["role"], "ANIMATOR");
    let data = app.op("MyData", json!({}), Some(&zoe)).await;
    let invitations = &data.data()["myData"]["invitations"];
    assert_eq!(invitations[0]["status"], "ACCEPTED", "{invitations}");
    app.op("ResendVerificationEmail", json!({}), Some(&zoe))
        .await
        .expect_error("CONFLICT");
    // The first admin's address was given by the operator: proven from the start.
    let first_admin = app.op("MyAddress", json!({}), Some(&admin)).await;
    assert_eq!(first_admin.data()["me"]["emailVerified"], true);
}

/// Medium 4. Thirty guesses at once, through two instances on PostgreSQL: five are judged.
#[tokio::test]
async fn parallel_guesses_are_judged_five_at_most() {
    let first = spawn_app().await;
    let second = if first.db.is_postgres() {
        Some(spawn_on(first.db.same(), Vec::new()).await)
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

/// Medium 5. Names and organisations that start a formula reach the spreadsheet as text.
#[tokio::test]
async fn csv_cells_never_start_a_formula() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let workshop = app.published_activity(&admin, 10, json!({})).await;
    for (i, name) in [
        "=HYPERLINK(\"http://evil\",\"x\")",
        "+33 6 12",
        "-2+3",
        "@SUM(A1)",
        " =1+1",
    ]
    .iter()
    .enumerate()
    {
        let answer = app
            .op(
                "SignUp",
                json!({ "input": { "email": format!("p{i}@example.fr"), "password": PASSWORD, "name": name, "organisation": "=cmd|' /C calc'!A0" } }),
                None,
            )
            .await;
        let token = answer.data()["signUp"]["token"]
            .as_str()
            .unwrap()
            .to_owned();
        app.register(&workshop, &token).await;
    }
    let sheet = app
        .client
        .get(format!(
            "{}/activities/{workshop}/registrations.csv",
            app.address
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(sheet.as_bytes());
    let mut rows = 0;
    for record in reader.records() {
        let record = record.unwrap();
        rows += 1;
        for cell in record.iter() {
            let first = cell.trim_start().chars().next();
            assert!(
                !matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r')),
                "a formula cell: {cell:?} in {sheet}"
            );
        }
        assert!(record[0].starts_with('\''), "{record:?}");
        assert!(record[1].starts_with("'="), "{record:?}");
    }
    assert_eq!(rows, 5);
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

/// Medium 7. A mail that has left keeps no usable link in the database.
#[tokio::test]
async fn sent_mails_keep_no_live_token() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.sign_up("ann@example.fr", "Ann").await;
    app.op(
        "RequestPasswordReset",
        json!({ "email": "ann@example.fr" }),
        None,
    )
    .await
    .data();
    invite(&app, &admin, "new@example.fr", "PARTNER")
        .await
        .data();
    let reset = latest_mailed_token(&app, "password_reset").await.unwrap();
    let invitation = latest_mailed_token(&app, "invitation_account")
        .await
        .unwrap();
    let verification = latest_mailed_token(&app, "email_verification")
        .await
        .unwrap();
    let rows = entity::mail::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(rows.len() >= 3);
    for row in rows {
        assert_eq!(row.status, entity::mail::Status::Sent);
        let stored = format!(
            "{} {} {} {:?}",
            row.subject, row.text_body, row.html_body, row.secret
        );
        for token in [&reset, &invitation, &verification] {
            assert!(!stored.contains(token.as_str()), "a live token in {stored}");
        }
    }
    // The links work for whoever received the mail.
    app.op(
        "ResetPassword",
        json!({ "token": reset, "password": "a brand new password" }),
        None,
    )
    .await
    .data();
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

/// Low 10. Only someone allowed to send an invitation may re-send or revoke it.
#[tokio::test]
async fn an_animator_cannot_rewrite_or_revoke_a_staff_invitation() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let animator = app.persona(Persona::Animator, "tom").await.unwrap();
    let sent = invite(&app, &admin, "boss@office.fr", "ADMIN").await;
    let id = sent.data()["invite"][0]["id"].as_str().unwrap().to_owned();
    invite(&app, &animator, "boss@office.fr", "PARTNER")
        .await
        .expect_error("FORBIDDEN");
    app.op("RevokeInvitation", json!({ "id": id }), Some(&animator))
        .await
        .expect_error("FORBIDDEN");
    let invitations = app.op("Invitations", json!({}), Some(&admin)).await;
    let all = invitations.data().to_string();
    assert!(all.contains("\"role\":\"ADMIN\""), "{all}");
    assert!(all.contains("PENDING"), "{all}");
    // Partner invitations stay the animators' to manage.
    let sent = invite(&app, &animator, "shop@example.fr", "PARTNER").await;
    let id = sent.data()["invite"][0]["id"].as_str().unwrap().to_owned();
    app.op("RevokeInvitation", json!({ "id": id }), Some(&animator))
        .await
        .data();
}

/// Low 11. A trained partner takes no part in a STAFF-only meeting.
#[tokio::test]
async fn club_questions_follow_the_meetings_audience() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let trained = app.persona(Persona::TrainedPartner, "ann").await.unwrap();
    let meeting = app
        .published_activity(
            &admin,
            10,
            json!({ "kind": "CLUB_MEETING", "audience": "STAFF", "priceCents": 0 }),
        )
        .await;
    let asked = app
        .op(
            "AskClubQuestion",
            json!({ "meetingId": meeting, "text": "Staff question" }),
            Some(&admin),
        )
        .await;
    let question = asked.data()["askClubQuestion"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.op(
        "AskClubQuestion",
        json!({ "meetingId": meeting, "text": "Me too" }),
        Some(&trained),
    )
    .await
    .expect_error("FORBIDDEN");
    app.op(
        "VoteClubQuestion",
        json!({ "questionId": question }),
        Some(&trained),
    )
    .await
    .expect_error("FORBIDDEN");
    let read = app
        .op("ClubMeeting", json!({ "id": meeting }), Some(&trained))
        .await;
    assert_eq!(read.error_code(), Some("FORBIDDEN"), "{:#}", read.body);
    assert!(!read.body.to_string().contains("Staff question"));
}

/// Low 12. Bounds: subscriptions per socket, questions per page, a batch's total cost.
#[tokio::test]
async fn every_fan_out_is_bounded() {
    let app = spawn_app().await;
    let trained = app.persona(Persona::TrainedPartner, "ann").await.unwrap();
    let club = app.group_id(&trained, "Partners' club").await;
    let mut socket = Socket::connect(&app, &trained).await;
    for id in 0..12 {
        socket
            .start(&id.to_string(), "GroupPosts", json!({ "groupId": club }))
            .await;
    }
    let mut refused = 0;
    while let Some(message) = socket.next_within(Duration::from_secs(2)).await {
        if message["type"] == "next" {
            assert_eq!(code(&message["payload"]), "TOO_MANY_REQUESTS", "{message}");
            refused += 1;
        }
    }
    assert!(
        refused >= 2,
        "at most 10 of 12 subscriptions stand; {refused} refused"
    );

    let question = "query Q($id: ID!) { activity(id: $id) { clubQuestions(first: 101) { id } } }";
    let answer = app
        .graphql(question, json!({ "id": "1" }), Some(&trained))
        .await;
    assert!(answer.body["errors"].is_array(), "{:#}", answer.body);

    // Ten operations of ten aliases each: each alone is fine, the batch is not.
    let aliases: String = (0..10).map(|i| format!("a{i}: __typename ")).collect();
    let single = app
        .graphql(&format!("{{ {aliases} }}"), json!({}), None)
        .await;
    single.data();
    let batch: Vec<Value> = (0..10)
        .map(|_| json!({ "query": format!("{{ {aliases} }}") }))
        .collect();
    let answer = app.post_json(&Value::Array(batch), None).await;
    let refused = answer
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|response| response["errors"].is_array())
        .count();
    assert!(refused >= 8, "{:#}", answer.body);
}

/// Low 13. Dates outside what a calendar holds are refused.
#[tokio::test]
async fn dates_outside_the_calendar_are_refused() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for (starts, ends) in [
        ("0000-06-01T09:00:00Z", "0000-06-01T12:00:00Z"),
        ("9999-12-31T20:00:00-05:00", "9999-12-31T22:00:00-05:00"),
    ] {
        app.op(
            "CreateActivity",
            json!({ "input": { "kind": "WORKSHOP", "title": "Time travel", "capacity": 5,
                "sessions": [ { "startsAt": starts, "endsAt": ends } ] } }),
            Some(&admin),
        )
        .await
        .expect_error("BAD_USER_INPUT");
    }
    app.op(
        "Activities",
        json!({ "filter": { "from": "10000-01-01T00:00:00Z" } }),
        Some(&admin),
    )
    .await
    .expect_error("BAD_USER_INPUT");
}

/// Low 14. A title with line breaks stays inside its calendar property.
#[tokio::test]
async fn calendar_text_is_escaped() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // A title or a place is one line: a line break there is refused outright (step 13).
    for (field, value) in [
        ("title", "Canva\r\nMETHOD:CANCEL"),
        ("location", "Salle 1\rX-EVIL:1"),
    ] {
        let refused = app
            .op(
                "CreateActivity",
                json!({ "input": {
                    "kind": "WORKSHOP", "title": "Canva", "capacity": 8, (field): value,
                    "sessions": [{ "startsAt": (app.state.now() + chrono::Duration::days(9)).to_rfc3339(),
                                   "endsAt": (app.state.now() + chrono::Duration::days(9) + chrono::Duration::hours(2)).to_rfc3339() }],
                } }),
                Some(&admin),
            )
            .await;
        refused.expect_error("BAD_USER_INPUT");
        assert_eq!(refused.error_field(), Some(field));
    }
    // A description may break lines: they are escaped in the calendar entry.
    let title = "Canva; x, y";
    let description = "Bring a laptop\r\nMETHOD:CANCEL\nATTENDEE:mailto:evil@example.com";
    let workshop = app
        .published_activity(
            &admin,
            10,
            json!({ "title": title, "description": description }),
        )
        .await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    app.register(&workshop, &ann).await;
    let row = {
        use sea_orm::{ColumnTrait, QueryFilter};
        entity::mail::Entity::find()
            .filter(entity::mail::Column::Kind.eq("registration_confirmed"))
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
    };
    // Long lines are folded (a CRLF and a space): read them unfolded.
    let ics = row.calendar.unwrap().replace("\r\n ", "");
    for line in ics.split("\r\n") {
        assert!(
            !line.starts_with("ATTENDEE") && !line.starts_with("X-EVIL"),
            "an injected line: {line:?} in {ics}"
        );
    }
    assert_eq!(
        ics.split("\r\n")
            .filter(|line| line.starts_with("METHOD:"))
            .count(),
        1,
        "{ics}"
    );
    assert!(ics.contains(r"Canva\; x\, y"), "{ics}");
    assert!(
        ics.contains(r"Bring a laptop\nMETHOD:CANCEL\nATTENDEE:mailto:evil@example.com"),
        "{ics}"
    );
}
