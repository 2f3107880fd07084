//! Mail through a real SMTP conversation: confirmations with calendar entries, the outbox
//! riding out an outage, permanent refusals, and two instances draining one outbox.

use chrono::Duration;
use mail_parser::MimeHeaders;
use sea_orm::EntityTrait;
use serde_json::json;
use std::collections::HashSet;

use crate::helpers::{
    TestApp, latest_mailed_token, outbox_settled, spawn_app, spawn_app_with, spawn_beside,
};
use crate::smtp::{Received, SmtpServer};

async fn app_with_smtp(smtp: &SmtpServer) -> TestApp {
    spawn_app_with(vec![("KLUB_SMTP_URL", smtp.url())]).await
}

fn calendar_of(mail: &Received) -> String {
    let parsed = mail.parsed();
    let part = parsed
        .attachments()
        .find(|part| {
            part.content_type()
                .is_some_and(|ct| ct.subtype() == Some("calendar"))
        })
        .expect("a calendar attachment");
    String::from_utf8_lossy(part.contents()).into_owned()
}

fn message_id(mail: &Received) -> String {
    mail.parsed().message_id().expect("a Message-ID").to_owned()
}

#[tokio::test]
async fn a_registration_is_confirmed_by_mail_with_a_calendar_entry() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(&smtp).await;
    let admin = app.admin_token().await;
    let id = app
        .published_activity(
            &admin,
            10,
            json!({ "title": "Canva pour les menus", "location": "Office de tourisme" }),
        )
        .await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    let registration = app.register(&id, &ann).await;

    let mails = smtp.wait_for(1).await;
    let confirmation = &mails[0];
    assert_eq!(confirmation.to, ["ann@example.fr"]);
    let parsed = confirmation.parsed();
    assert_eq!(
        parsed.subject(),
        Some("Inscription confirmée : Canva pour les menus")
    );
    assert!(parsed.body_text(0).unwrap().contains("Bonjour Ann"));
    assert!(parsed.body_html(0).unwrap().contains("<p>"));
    assert!(message_id(confirmation).starts_with("klub-mail-"));
    let ics = calendar_of(confirmation);
    assert!(ics.contains("METHOD:REQUEST"), "{ics}");
    assert_eq!(
        ics.matches("BEGIN:VEVENT").count(),
        2,
        "one event per session"
    );
    assert!(ics.contains("LOCATION:Office de tourisme"));
    let uids: Vec<&str> = ics.lines().filter(|l| l.starts_with("UID:")).collect();

    app.op(
        "CancelRegistration",
        json!({ "id": registration["id"] }),
        Some(&ann),
    )
    .await
    .data();
    let mails = smtp.wait_for(2).await;
    let cancellation = calendar_of(&mails[1]);
    assert!(cancellation.contains("METHOD:CANCEL"));
    let cancelled_uids: Vec<&str> = cancellation
        .lines()
        .filter(|l| l.starts_with("UID:"))
        .collect();
    assert_eq!(
        uids, cancelled_uids,
        "the cancellation names the same events"
    );

    let sent = app
        .op("Mails", json!({ "status": "SENT" }), Some(&admin))
        .await;
    let sent = &sent.data()["mails"];
    assert_eq!(sent["totalCount"], 3, "the address verification too");
    let confirmation = sent["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| &edge["node"])
        .find(|node| node["kind"] == "registration_confirmed")
        .expect("the confirmation is listed");
    assert_eq!(confirmation["to"], "ann@example.fr");
    assert_eq!(confirmation["attempts"], 1);
}

#[tokio::test]
async fn the_waiting_list_and_date_changes_are_announced() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(&smtp).await;
    let admin = app.admin_token().await;
    let id = app
        .published_activity(&admin, 10, json!({ "capacity": 1 }))
        .await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    let (bob, _) = app.sign_up("bob@example.fr", "Bob").await;
    let seat = app.register(&id, &ann).await;
    app.register(&id, &bob).await;
    app.op(
        "CancelRegistration",
        json!({ "id": seat["id"] }),
        Some(&ann),
    )
    .await
    .data();
    let mails = smtp.wait_for(4).await;
    let to_bob: Vec<String> = mails
        .iter()
        .filter(|m| m.to == ["bob@example.fr"])
        .map(|m| m.parsed().subject().unwrap_or_default().to_owned())
        .collect();
    assert!(to_bob[0].starts_with("Liste d'attente"), "{to_bob:?}");
    assert!(
        to_bob[1].starts_with("Une place s'est libérée"),
        "{to_bob:?}"
    );

    let sessions = app.activity(&id, &admin).await["sessions"].clone();
    let moved = app.state.now() + Duration::days(20);
    app.op(
        "UpdateActivity",
        json!({ "id": id, "input": { "sessions": [{ "id": sessions[0]["id"], "startsAt": moved.to_rfc3339(), "endsAt": (moved + Duration::hours(2)).to_rfc3339() }] } }),
        Some(&admin),
    )
    .await
    .data();
    let mails = smtp.wait_for(5).await;
    let change = &mails[4];
    assert_eq!(change.to, ["bob@example.fr"]);
    let ics = calendar_of(change);
    assert!(
        ics.contains("SEQUENCE:1"),
        "a higher SEQUENCE replaces the entry: {ics}"
    );
}

#[tokio::test]
async fn mail_waits_out_an_smtp_outage_and_none_is_sent_twice() {
    // The server is down (421 to every connection) but keeps its port, so no other test's
    // server can take it meanwhile.
    let smtp = SmtpServer::start_down().await;
    let app = app_with_smtp(&smtp).await;
    let admin = app.admin_token().await;
    let id = app
        .published_activity(&admin, 10, json!({ "capacity": 50 }))
        .await;
    let partners = app.many_partners(20).await;
    let answers = app.register_all(&id, &partners).await;
    for answer in &answers {
        assert_eq!(answer.data()["registerForActivity"]["status"], "CONFIRMED");
    }

    // Every mail is tried, fails, and waits for its retry.
    for _ in 0..100 {
        let failed_once = app
            .graphql(
                "{ mails(status: PENDING, first: 100) { edges { node { attempts lastError } } } }",
                json!({}),
                Some(&admin),
            )
            .await;
        let edges = failed_once.data()["mails"]["edges"]
            .as_array()
            .unwrap()
            .clone();
        if edges.len() == 20 && edges.iter().all(|e| e["node"]["attempts"] == 1) {
            assert!(edges[0]["node"]["lastError"].as_str().is_some());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    smtp.come_up();
    app.state.clock.advance(Duration::minutes(1));
    let mails = smtp.wait_for(20).await;
    outbox_settled(&app).await;
    assert_eq!(smtp.received().len(), 20, "nothing sent twice");
    let ids: HashSet<String> = mails.iter().map(message_id).collect();
    assert_eq!(ids.len(), 20);
    let sent = app
        .op("Mails", json!({ "status": "SENT" }), Some(&admin))
        .await;
    assert_eq!(sent.data()["mails"]["totalCount"], 20);
}

#[tokio::test]
async fn a_permanent_refusal_fails_at_once() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(&smtp).await;
    let admin = app.admin_token().await;
    let id = app.published_activity(&admin, 10, json!({})).await;
    let (refused, _) = app.sign_up("refused@example.fr", "Nobody").await;
    app.register(&id, &refused).await;
    for _ in 0..100 {
        let failed = app
            .op("Mails", json!({ "status": "FAILED" }), Some(&admin))
            .await;
        let mails = &failed.data()["mails"];
        // The address verification and the confirmation, both refused.
        if mails["totalCount"] == 2 {
            for edge in mails["edges"].as_array().unwrap() {
                let node = &edge["node"];
                assert_eq!(node["attempts"], 1);
                assert!(
                    node["lastError"].as_str().unwrap().contains("550"),
                    "{node}"
                );
            }
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the refused mail never failed");
}

#[tokio::test]
async fn two_instances_drain_one_outbox_exactly_once() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(&smtp).await;
    let admin = app.admin_token().await;
    let id = app
        .published_activity(&admin, 10, json!({ "capacity": 100 }))
        .await;
    let partners = app.many_partners(30).await;
    let second = spawn_beside(&app, vec![("KLUB_SMTP_URL", smtp.url())]).await;
    let (half, other_half) = partners.split_at(15);
    let (a, b) = tokio::join!(
        app.register_all(&id, half),
        second.register_all(&id, other_half)
    );
    for answer in a.iter().chain(&b) {
        answer.data();
    }
    smtp.wait_for(30).await;
    outbox_settled(&app).await;
    let received = smtp.received();
    assert_eq!(received.len(), 30);
    let ids: HashSet<String> = received.iter().map(message_id).collect();
    assert_eq!(ids.len(), 30, "every mail exactly once");
}

#[tokio::test]
async fn without_smtp_mails_are_written_as_eml_files() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app.published_activity(&admin, 10, json!({})).await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    app.register(&id, &ann).await;
    use sea_orm::EntityTrait;
    let rows = entity::mail::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        rows.len(),
        2,
        "the address verification and the confirmation"
    );
    for row in &rows {
        let text = crate::helpers::delivered(&app, row.id)
            .await
            .expect("written as an .eml file");
        assert!(text.contains("Ann"), "{text}");
    }
    let files: Vec<String> = std::fs::read_dir(app.mail_dir.path())
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(files.len(), 2);
    assert!(files.iter().all(|mail| mail.contains("ann@example.fr")));
    assert!(files.iter().any(|mail| mail.contains("BEGIN:VCALENDAR")));
}

#[tokio::test]
async fn mails_speak_the_language_their_reader_chose() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(&smtp).await;
    let admin = app.admin_token().await;
    let id = app
        .published_activity(&admin, 10, json!({ "title": "Canva" }))
        .await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    let chosen = app
        .graphql(
            "mutation { setMyLocale(locale: EN) { locale } }",
            json!({}),
            Some(&ann),
        )
        .await;
    assert_eq!(chosen.data()["setMyLocale"]["locale"], "EN");
    app.register(&id, &ann).await;
    let mail = &smtp.wait_for(1).await[0];
    assert_eq!(
        mail.parsed().subject(),
        Some("Registration confirmed: Canva")
    );
    assert!(mail.parsed().body_text(0).unwrap().contains("Hello Ann"));
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
    crate::invitations::invite(&app, &admin, "new@example.fr", "PARTNER")
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
