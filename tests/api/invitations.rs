//! Invitations: from the mail's link to a logged-in, registered partner; single use, expiry,
//! revocation, re-sending, roles and audiences.

use chrono::Duration;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Persona, TestApp, latest_mailed_token, spawn_app, spawn_app_with};
use crate::smtp::{Received, SmtpServer};

async fn app_with_smtp() -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(vec![
        ("KLUB_SMTP_URL", smtp.url()),
        ("KLUB_PUBLIC_URL", "https://klub.example.org".into()),
    ])
    .await;
    (app, smtp)
}

/// The token in the invitation link of a received mail.
fn token_in(mail: &Received) -> String {
    let text = mail
        .parsed()
        .body_text(0)
        .expect("a text part")
        .into_owned();
    let start = text.find("token=").expect("a link with a token") + "token=".len();
    text[start..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

async fn accept(app: &TestApp, token: &str, name: &str) -> crate::helpers::Gql {
    app.op(
        "AcceptInvitation",
        json!({ "token": token, "name": name, "password": PASSWORD }),
        None,
    )
    .await
}

#[tokio::test]
async fn a_new_address_goes_from_the_mail_to_a_registered_partner() {
    let (app, smtp) = app_with_smtp().await;
    let admin = app.admin_token().await;
    let activity = app
        .published_activity(&admin, 10, json!({ "title": "Avis Google" }))
        .await;
    let answer = app
        .op(
            "Invite",
            json!({ "input": { "emails": ["Newcomer@Example.fr"], "activityId": activity, "message": "À bientôt !" } }),
            Some(&admin),
        )
        .await;
    let invitation = &answer.data()["invite"][0];
    assert_eq!(invitation["email"], "newcomer@example.fr");
    assert_eq!(invitation["status"], "PENDING");
    assert_eq!(invitation["activity"]["title"], "Avis Google");

    let mail = &smtp.wait_for(1).await[0];
    assert_eq!(mail.to, ["newcomer@example.fr"]);
    let text = mail.parsed().body_text(0).unwrap().into_owned();
    assert!(
        text.contains("https://klub.example.org/invitations/accept?token="),
        "{text}"
    );
    assert!(text.contains("À bientôt !"));
    let token = token_in(mail);
    assert_eq!(token.len(), 64, "32 random bytes");

    let accepted = accept(&app, &token, "New Comer").await;
    let payload = &accepted.data()["acceptInvitation"];
    assert_eq!(payload["user"]["email"], "newcomer@example.fr");
    assert_eq!(payload["user"]["role"], "PARTNER");
    let session = payload["token"].as_str().unwrap();
    let mine = app.op("MyRegistrations", json!({}), Some(session)).await;
    let registration = &mine.data()["myRegistrations"]["edges"][0]["node"];
    assert_eq!(registration["status"], "CONFIRMED");
    assert_eq!(registration["activity"]["title"], "Avis Google");

    // Single use.
    let again = accept(&app, &token, "Someone else").await;
    again.expect_error("BAD_USER_INPUT");
    assert_eq!(again.error_field(), Some("token"));
    let listed = app
        .op("Invitations", json!({ "status": "ACCEPTED" }), Some(&admin))
        .await;
    assert_eq!(listed.data()["invitations"]["totalCount"], 1);
    assert_eq!(
        listed.data()["invitations"]["edges"][0]["node"]["invitedBy"]["name"],
        "Administrator"
    );
}

#[tokio::test]
async fn two_simultaneous_acceptances_make_one_account() {
    let (app, smtp) = app_with_smtp().await;
    let admin = app.admin_token().await;
    app.op(
        "Invite",
        json!({ "input": { "emails": ["twice@example.fr"] } }),
        Some(&admin),
    )
    .await
    .data();
    let token = token_in(&smtp.wait_for(1).await[0]);
    let answers = join_all((0..5).map(|i| {
        let app = &app;
        let token = token.clone();
        async move { accept(app, &token, &format!("Try {i}")).await }
    }))
    .await;
    let succeeded = answers
        .iter()
        .filter(|a| a.body.get("errors").is_none())
        .count();
    assert_eq!(succeeded, 1, "{answers:#?}");
    let users = app
        .op("Users", json!({ "search": "twice@" }), Some(&admin))
        .await;
    assert_eq!(users.data()["users"]["totalCount"], 1);
}

#[tokio::test]
async fn expired_and_revoked_invitations_change_nothing() {
    let (app, smtp) = app_with_smtp().await;
    let admin = app.admin_token().await;
    let first = app
        .op(
            "Invite",
            json!({ "input": { "emails": ["late@example.fr", "revoked@example.org"] } }),
            Some(&admin),
        )
        .await;
    let revoked_id = first.data()["invite"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["email"] == "revoked@example.org")
        .unwrap()["id"]
        .clone();
    let mails = smtp.wait_for(2).await;
    let token_for = |address: &str| token_in(mails.iter().find(|m| m.to == [address]).unwrap());

    let revoked = app
        .op(
            "RevokeInvitation",
            json!({ "id": revoked_id }),
            Some(&admin),
        )
        .await;
    assert_eq!(revoked.data()["revokeInvitation"]["status"], "REVOKED");
    let refused = accept(&app, &token_for("revoked@example.org"), "Rev").await;
    assert!(
        refused.expect_error("BAD_USER_INPUT")["message"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );

    app.state.clock.advance(Duration::days(15));
    let refused = accept(&app, &token_for("late@example.fr"), "Late").await;
    assert!(
        refused.expect_error("BAD_USER_INPUT")["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    let expired = app
        .op("Invitations", json!({ "status": "EXPIRED" }), Some(&admin))
        .await;
    assert_eq!(expired.data()["invitations"]["totalCount"], 1);
    accept(&app, "0".repeat(64).as_str(), "Nobody")
        .await
        .expect_error("BAD_USER_INPUT");
    let users = app
        .op("Users", json!({}), Some(&app.admin_token().await))
        .await;
    assert_eq!(
        users.data()["users"]["totalCount"],
        1,
        "no account was created"
    );
}

#[tokio::test]
async fn inviting_again_resends_instead_of_duplicating() {
    let (app, smtp) = app_with_smtp().await;
    let admin = app.admin_token().await;
    let invite = || {
        app.op(
            "Invite",
            json!({ "input": { "emails": ["ann@example.fr"] } }),
            Some(&admin),
        )
    };
    let first: Value = invite().await.data()["invite"][0].clone();
    let second: Value = invite().await.data()["invite"][0].clone();
    assert_eq!(first["id"], second["id"]);
    let mails = smtp.wait_for(2).await;
    let (old, new) = (token_in(&mails[0]), token_in(&mails[1]));
    assert_ne!(old, new);
    accept(&app, &old, "Ann")
        .await
        .expect_error("BAD_USER_INPUT");
    accept(&app, &new, "Ann").await.data();
}

#[tokio::test]
async fn only_admins_invite_staff_and_audiences_reach_everyone() {
    let (app, smtp) = app_with_smtp().await;
    let admin = app.admin_token().await;
    let animator = app
        .persona(crate::helpers::Persona::Animator, "anim")
        .await
        .unwrap();
    app.op(
        "Invite",
        json!({ "input": { "emails": ["colleague@example.fr"], "role": "ANIMATOR" } }),
        Some(&animator),
    )
    .await
    .expect_error("FORBIDDEN");
    app.op(
        "Invite",
        json!({ "input": { "emails": ["colleague@example.fr"], "role": "ANIMATOR" } }),
        Some(&admin),
    )
    .await
    .data();
    let token = token_in(&smtp.wait_for(1).await[0]);
    let colleague = accept(&app, &token, "Colleague").await;
    assert_eq!(
        colleague.data()["acceptInvitation"]["user"]["role"],
        "ANIMATOR"
    );

    // A conference: all staff invited at once, each with the calendar entry.
    let conference = app
        .published_activity(
            &admin,
            30,
            json!({ "kind": "CONFERENCE", "title": "IA et tourisme" }),
        )
        .await;
    let answer = app
        .op(
            "Invite",
            json!({ "input": { "audience": "ALL_STAFF", "activityId": conference } }),
            Some(&admin),
        )
        .await;
    assert_eq!(
        answer.data()["invite"].as_array().unwrap().len(),
        3,
        "admin, animator, colleague"
    );
    let mails = smtp.wait_for(4).await;
    for mail in &mails[1..] {
        assert_eq!(mail.parsed().subject(), Some("Invitation : IA et tourisme"));
        assert!(String::from_utf8_lossy(mail.data.as_bytes()).contains("BEGIN:VCALENDAR"));
    }
    app.op(
        "Invite",
        json!({ "input": { "audience": "ALL_STAFF" } }),
        Some(&admin),
    )
    .await
    .expect_error("BAD_USER_INPUT");
    app.op("Invite", json!({ "input": {} }), Some(&admin))
        .await
        .expect_error("BAD_USER_INPUT");
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
