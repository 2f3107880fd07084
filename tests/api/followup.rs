//! The follow-up, end to end with a real SMTP conversation and the test clock: group mail at
//! each member's level with one-click unsubscribe, staff messages, reminder rules, surveys
//! and the club's minutes; digests and reminders on two instances at once.

use chrono::Duration;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, outbox_settled, run_scheduler, spawn_app, spawn_app_with, spawn_beside,
};
use crate::smtp::{Received, SmtpServer};

/// A server that sends through `smtp` and runs its scheduler only when the test says.
pub async fn app_with(smtp: &SmtpServer) -> TestApp {
    spawn_app_with(vec![
        ("KLUB_SMTP_URL", smtp.url()),
        ("KLUB_SCHEDULER_TICK_SECONDS", "3600".into()),
    ])
    .await
}

/// A partner `name` at `<name>@example.fr`, trained when asked.
async fn partner(app: &TestApp, admin: &str, name: &str, trained: bool) -> String {
    let (token, id) = app
        .sign_up(&format!("{}@example.fr", name.to_lowercase()), name)
        .await;
    if trained {
        app.op(
            "SetTrained",
            json!({ "userId": id, "trained": true }),
            Some(admin),
        )
        .await
        .data();
    }
    token
}

fn to(mail: &Received) -> &str {
    mail.to[0].as_str()
}

pub fn subject(mail: &Received) -> String {
    mail.parsed().subject().unwrap_or_default().to_owned()
}

pub fn text(mail: &Received) -> String {
    mail.parsed().body_text(0).unwrap_or_default().into_owned()
}

/// The mails that arrived after the first `seen`, once the outbox has settled.
pub async fn new_mails(app: &TestApp, smtp: &SmtpServer, seen: &mut usize) -> Vec<Received> {
    outbox_settled(app).await;
    let all = smtp.received();
    let fresh = all[*seen..].to_vec();
    *seen = all.len();
    fresh
}

pub fn recipients(mails: &[Received]) -> Vec<String> {
    let mut to: Vec<String> = mails.iter().map(|m| m.to[0].clone()).collect();
    to.sort();
    to
}

/// The header `name` of a received mail, as sent.
fn header(mail: &Received, name: &str) -> Option<String> {
    mail.data
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name}: ")))
        .map(str::to_owned)
}

/// The URL in a mail's `List-Unsubscribe` header.
fn unsubscribe_url(mail: &Received) -> String {
    header(mail, "List-Unsubscribe")
        .expect("a List-Unsubscribe header")
        .trim_matches(['<', '>'])
        .to_owned()
}

/// The server's own URL for a link in a mail (the tests' public URL names no real port).
fn on(app: &TestApp, link: &str) -> String {
    let path = link.find("/unsubscribe/").expect("an unsubscribe link");
    format!("{}{}", app.address, &link[path..])
}

async fn level(app: &TestApp, token: &str, group: &str) -> Value {
    let groups = app
        .graphql(
            "{ groups { id myNotificationLevel } }",
            json!({}),
            Some(token),
        )
        .await;
    groups.data()["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == group)
        .unwrap()["myNotificationLevel"]
        .clone()
}

#[tokio::test]
async fn group_activity_reaches_each_member_at_its_level() {
    let smtp = SmtpServer::start().await;
    let app = app_with(&smtp).await;
    let admin = app.admin_token().await;
    let every = partner(&app, &admin, "Every", true).await;
    let threads = partner(&app, &admin, "Threads", true).await;
    let digest = partner(&app, &admin, "Digest", true).await;
    let muted = partner(&app, &admin, "Muted", true).await;
    let leaver = partner(&app, &admin, "Leaver", true).await;
    partner(&app, &admin, "Outsider", false).await;
    let club = app.group_id(&admin, "Partners' club").await;
    for (token, chosen) in [
        (&every, "EVERY_POST"),
        (&threads, "NEW_THREADS"),
        (&muted, "MUTED"),
        (&leaver, "EVERY_POST"),
    ] {
        let set = app
            .op(
                "SetGroupNotifications",
                json!({ "groupId": club, "level": chosen }),
                Some(token),
            )
            .await;
        assert_eq!(
            set.data()["setGroupNotifications"]["myNotificationLevel"],
            chosen
        );
    }
    assert_eq!(level(&app, &digest, &club).await, "DAILY_DIGEST");
    // The leaver is untrained since: out of the group, out of its mail.
    let leaver_id = app.user_id(&leaver).await;
    app.op(
        "SetTrained",
        json!({ "userId": leaver_id, "trained": false }),
        Some(&admin),
    )
    .await
    .data();
    let mut seen = new_mails(&app, &smtp, &mut 0).await.len();

    // A new question: EVERY_POST and NEW_THREADS hear of it, once, whatever the passes.
    let started = app
        .op(
            "StartThread",
            json!({ "groupId": club, "title": "Avis Google", "body": "Comment répondre ?", "isQuestion": true }),
            Some(&digest),
        )
        .await;
    let thread = started.data()["startThread"]["id"].clone();
    run_scheduler(&app).await;
    run_scheduler(&app).await;
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(
        recipients(&mails),
        ["every@example.fr", "threads@example.fr"]
    );
    assert!(subject(&mails[0]).contains("Avis Google"));
    assert!(text(&mails[0]).contains("Comment répondre ?"));

    // A reply: EVERY_POST hears of it, and the question's author at once though it chose
    // the digest; the replier does not hear of its own post.
    let replied = app
        .op(
            "Reply",
            json!({ "threadId": thread, "body": "Toujours poliment." }),
            Some(&every),
        )
        .await;
    let reply = replied.data()["reply"]["id"].clone();
    run_scheduler(&app).await;
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(recipients(&mails), ["digest@example.fr"]);
    assert_eq!(subject(&mails[0]), "Re : Avis Google");

    // Every such mail offers one-click unsubscribe (RFC 8058).
    assert_eq!(
        header(&mails[0], "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let digest_link = unsubscribe_url(&mails[0]);
    assert!(
        text(&mails[0]).contains(&digest_link),
        "the body offers the link too"
    );
    let digest_link = on(&app, &digest_link);

    // Staff accept the answer: the author hears of it at once.
    app.op("AcceptAnswer", json!({ "postId": reply }), Some(&admin))
        .await
        .data();
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(recipients(&mails), ["digest@example.fr"]);
    assert!(subject(&mails[0]).contains("Avis Google"));

    // The next local day: one digest per member who chose it, none to the author for its
    // own question and the reply it already had; a second pass sends nothing.
    app.state.clock.advance(Duration::days(1));
    run_scheduler(&app).await;
    run_scheduler(&app).await;
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(
        recipients(&mails),
        ["admin@klub.test"],
        "the admin (default level) gets the digest; EVERY_POST, NEW_THREADS, MUTED, the author and the outsiders do not"
    );
    assert!(text(&mails[0]).contains("Avis Google"));
    assert!(text(&mails[0]).contains("1 nouvelle réponse"));
    // A quiet day: no digest at all.
    app.state.clock.advance(Duration::days(1));
    run_scheduler(&app).await;
    assert!(new_mails(&app, &smtp, &mut seen).await.is_empty());

    // Opening the link changes nothing (link scanners open links); posting to it mutes.
    let page = app.client.get(&digest_link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Partners&#x27; club"));
    assert_eq!(level(&app, &digest, &club).await, "DAILY_DIGEST");
    let one_click = app
        .client
        .post(&digest_link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(one_click.status(), 200);
    assert_eq!(level(&app, &digest, &club).await, "MUTED");
    // No login needed, and nobody else's setting moved.
    assert_eq!(level(&app, &every, &club).await, "EVERY_POST");

    // A muted author hears nothing, not even replies to its own thread.
    app.op(
        "Reply",
        json!({ "threadId": thread, "body": "Et en anglais ?" }),
        Some(&threads),
    )
    .await
    .data();
    run_scheduler(&app).await;
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(recipients(&mails), ["every@example.fr"]);
    let _ = muted;
}

/// A busy day: a digest lists the first 20 threads in order of their first news and counts
/// the rest; it leaves out the member's own replies, and its author's own threads entirely.
#[tokio::test]
async fn a_busy_days_digest_lists_twenty_threads_and_counts_the_rest() {
    let smtp = SmtpServer::start().await;
    let app = app_with(&smtp).await;
    let admin = app.admin_token().await;
    let opener = partner(&app, &admin, "Opener", true).await;
    let reader = partner(&app, &admin, "Reader", true).await;
    let replier = partner(&app, &admin, "Replier", true).await;
    let club = app.group_id(&admin, "Partners' club").await;
    for token in [&replier, &admin] {
        app.op(
            "SetGroupNotifications",
            json!({ "groupId": club, "level": "MUTED" }),
            Some(token),
        )
        .await
        .data();
    }
    let mut threads = Vec::new();
    for n in 1..=22 {
        let started = app
            .op(
                "StartThread",
                json!({ "groupId": club, "title": format!("Sujet {n:02}"), "body": "Qui a un avis ?", "isQuestion": false }),
                Some(&opener),
            )
            .await;
        threads.push(started.data()["startThread"]["id"].clone());
    }
    // The reader answers in the second thread, the replier twice there and once in the third.
    for (thread, token) in [
        (&threads[1], &reader),
        (&threads[1], &replier),
        (&threads[1], &replier),
        (&threads[2], &replier),
    ] {
        app.op(
            "Reply",
            json!({ "threadId": thread, "body": "Voici le mien." }),
            Some(token),
        )
        .await
        .data();
    }
    // The replies came at once to the opener, whose threads they are.
    run_scheduler(&app).await;
    let mut seen = 0;
    let at_once = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(recipients(&at_once), ["opener@example.fr"; 4]);

    app.state.clock.advance(Duration::days(1));
    run_scheduler(&app).await;
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(
        recipients(&mails),
        ["reader@example.fr"],
        "the opener's threads are its own; the others muted the group"
    );
    let digest = text(&mails[0]);
    let listed: Vec<&str> = digest
        .lines()
        .filter_map(|line| line.strip_prefix("- Sujet "))
        .collect();
    assert_eq!(listed.len(), 20, "{digest}");
    assert_eq!(listed[0], "01 (nouveau)");
    assert_eq!(
        listed[1], "02 (nouveau) : 2 nouvelles réponses",
        "the reader's own reply is not news to it"
    );
    assert_eq!(listed[2], "03 (nouveau) : 1 nouvelle réponse");
    assert_eq!(listed[19], "20 (nouveau)");
    assert!(
        digest.contains("- et 2 autres discussions dans le groupe"),
        "{digest}"
    );
}

#[tokio::test]
async fn an_unsubscribe_link_is_useless_to_anyone_else() {
    let smtp = SmtpServer::start().await;
    let app = app_with(&smtp).await;
    let admin = app.admin_token().await;
    let ann = partner(&app, &admin, "Ann", true).await;
    let bob = partner(&app, &admin, "Bob", true).await;
    let club = app.group_id(&admin, "Partners' club").await;
    let staff_group = app.group_id(&admin, "Staff").await;
    app.op(
        "SetGroupNotifications",
        json!({ "groupId": club, "level": "EVERY_POST" }),
        Some(&ann),
    )
    .await
    .data();
    let mut seen = new_mails(&app, &smtp, &mut 0).await.len();
    app.op(
        "StartThread",
        json!({ "groupId": club, "title": "Photos", "body": "Quel appareil ?" }),
        Some(&bob),
    )
    .await
    .data();
    run_scheduler(&app).await;
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(recipients(&mails), ["ann@example.fr"]);
    let link = unsubscribe_url(&mails[0]);
    let token = link.rsplit('/').next().unwrap().to_owned();
    let (ann_id, rest) = token.split_once('-').unwrap();
    let (group_id, signature) = rest.split_once('-').unwrap();
    let bob_id = app.user_id(&bob).await;

    // Another person, another group, a changed or missing signature: 404, nothing changes.
    let mut flipped = signature.to_owned();
    let last = if flipped.ends_with('0') { "1" } else { "0" };
    flipped.replace_range(flipped.len() - 1.., last);
    for forged in [
        format!("{bob_id}-{group_id}-{signature}"),
        format!("{ann_id}-{staff_group}-{signature}"),
        format!("{ann_id}-{group_id}-{flipped}"),
        format!("{ann_id}-{group_id}-"),
        format!("{ann_id}-{group_id}"),
        "not-a-token".to_owned(),
        format!("{ann_id}-{group_id}-{}", &signature[..10]),
    ] {
        let answer = app
            .client
            .post(format!("{}/unsubscribe/{forged}", app.address))
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 404, "{forged}");
    }
    assert_eq!(level(&app, &ann, &club).await, "EVERY_POST");
    assert_eq!(level(&app, &bob, &club).await, "DAILY_DIGEST");

    // The stored mail holds no working link: only the sent one does.
    let stored = app
        .state
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT text_body, list_unsubscribe FROM mails",
        ))
        .await
        .unwrap();
    for row in stored {
        let body: String = row.try_get("", "text_body").unwrap();
        let header: Option<String> = row.try_get("", "list_unsubscribe").unwrap();
        assert!(!body.contains(signature));
        assert!(!header.unwrap_or_default().contains(signature));
    }

    // Outsiders get nothing from setGroupNotifications on a group they do not belong to.
    let outsider = partner(&app, &admin, "Outsider", false).await;
    app.op(
        "SetGroupNotifications",
        json!({ "groupId": club, "level": "MUTED" }),
        Some(&outsider),
    )
    .await
    .expect_error("NOT_FOUND");
}

/// Two registrants confirmed (one of whom attends), one waiting: the people each filter
/// reaches, and the audit log.
#[tokio::test]
async fn staff_write_to_the_people_of_an_activity() {
    let smtp = SmtpServer::start().await;
    let app = app_with(&smtp).await;
    let admin = app.admin_token().await;
    let id = app
        .published_activity(&admin, 5, json!({ "title": "Canva", "capacity": 2 }))
        .await;
    let came = partner(&app, &admin, "Came", false).await;
    let missed = partner(&app, &admin, "Missed", false).await;
    let waits = partner(&app, &admin, "Waits", false).await;
    app.graphql(
        "mutation { setMyLocale(locale: EN) { locale } }",
        json!({}),
        Some(&missed),
    )
    .await
    .data();
    let registration = app.register(&id, &came).await;
    app.register(&id, &missed).await;
    app.register(&id, &waits).await;
    app.attend(&admin, &registration).await;
    let mut seen = new_mails(&app, &smtp, &mut 0).await.len();

    let message = |filters: Value| json!({ "activityId": id, "to": filters, "subject": "Apportez votre portable", "body": "Et vos mots de passe." });
    let sent = app
        .op(
            "MessageRegistrants",
            message(json!(["ATTENDED", "NO_SHOW", "CONFIRMED"])),
            Some(&admin),
        )
        .await;
    assert_eq!(sent.data()["messageRegistrants"]["recipients"], 2);
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(
        recipients(&mails),
        ["came@example.fr", "missed@example.fr"],
        "each person once"
    );
    let english = mails.iter().find(|m| to(m) == "missed@example.fr").unwrap();
    assert_eq!(subject(english), "Apportez votre portable");
    assert!(text(english).starts_with("Hello Missed"));
    assert!(text(english).contains("Et vos mots de passe."));
    let html = english.parsed().body_html(0).unwrap().into_owned();
    assert!(html.contains("<html lang=\"en\">"));

    for (filters, expected) in [
        (json!(["WAITLISTED"]), vec!["waits@example.fr"]),
        (json!(["NO_SHOW"]), vec!["missed@example.fr"]),
        (json!(["ATTENDED"]), vec!["came@example.fr"]),
    ] {
        app.op("MessageRegistrants", message(filters), Some(&admin))
            .await
            .data();
        assert_eq!(
            recipients(&new_mails(&app, &smtp, &mut seen).await),
            expected
        );
    }
    let bad = app
        .op("MessageRegistrants", message(json!([])), Some(&admin))
        .await;
    bad.expect_error("BAD_USER_INPUT");
    assert_eq!(bad.error_field(), Some("to"));
    let log = app
        .op(
            "AuditLog",
            json!({ "action": "REGISTRANTS_MESSAGED" }),
            Some(&admin),
        )
        .await;
    assert_eq!(log.data()["auditLog"]["totalCount"], 4);
    let detail = log.data()["auditLog"]["edges"][0]["node"]["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("Apportez votre portable"), "{detail}");
}

fn reminders(activity: &Value) -> Vec<Value> {
    activity["reminders"].as_array().unwrap().clone()
}

async fn follow_up(app: &TestApp, id: &str, token: &str) -> Value {
    app.op("ActivityFollowUp", json!({ "id": id }), Some(token))
        .await
        .data()["activity"]
        .clone()
}

async fn move_start(app: &TestApp, id: &str, admin: &str, start: chrono::DateTime<chrono::Utc>) {
    let sessions = app.activity(id, admin).await["sessions"].clone();
    app.op(
        "UpdateActivity",
        json!({ "id": id, "input": { "sessions": [
            { "id": sessions[0]["id"], "startsAt": start.to_rfc3339(), "endsAt": (start + Duration::hours(3)).to_rfc3339() },
            { "id": sessions[1]["id"], "startsAt": (start + Duration::days(1)).to_rfc3339(), "endsAt": (start + Duration::days(1) + Duration::hours(3)).to_rfc3339() },
        ] } }),
        Some(admin),
    )
    .await
    .data();
}

#[tokio::test]
async fn reminder_rules_follow_the_dates_and_reach_each_person_once() {
    let smtp = SmtpServer::start().await;
    let app = app_with(&smtp).await;
    let admin = app.admin_token().await;
    let id = app
        .published_activity(&admin, 10, json!({ "title": "Canva" }))
        .await;
    let laptop = app
        .op(
            "AddReminder",
            json!({ "activityId": id, "anchor": "BEFORE_START", "offsetHours": 72, "to": ["CONFIRMED"], "message": "Apportez votre portable." }),
            Some(&admin),
        )
        .await;
    let laptop = laptop.data()["addReminder"].clone();
    assert_eq!(laptop["anchor"], "BEFORE_START");
    app.op(
        "AddReminder",
        json!({ "activityId": id, "anchor": "AFTER_END", "offsetHours": 24, "to": ["NO_SHOW"], "message": "Vous nous avez manqué." }),
        Some(&admin),
    )
    .await
    .data();
    // KLUB_REMINDER_HOURS (24) is the first rule of every new activity.
    let rules = reminders(&follow_up(&app, &id, &admin).await);
    assert_eq!(rules.len(), 3);
    assert_eq!(
        (
            &rules[0]["anchor"],
            &rules[0]["offsetHours"],
            &rules[0]["to"]
        ),
        (&json!("BEFORE_START"), &json!(24), &json!(["CONFIRMED"]))
    );
    let at = |value: &Value| {
        chrono::DateTime::parse_from_rfc3339(value.as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let start = at(&app.activity(&id, &admin).await["sessions"][0]["startsAt"]);
    assert_eq!(at(&rules[1]["sendsAt"]), start - Duration::hours(72));

    let ann = partner(&app, &admin, "Ann", false).await;
    let bob = partner(&app, &admin, "Bob", false).await;
    app.register(&id, &ann).await;
    let bobs = app.register(&id, &bob).await;
    app.op(
        "CancelRegistration",
        json!({ "id": bobs["id"] }),
        Some(&bob),
    )
    .await
    .data();
    let mut seen = new_mails(&app, &smtp, &mut 0).await.len();

    // Moved two days later before it was sent: the rule moves with the dates.
    move_start(&app, &id, &admin, start + Duration::days(2)).await;
    let start = start + Duration::days(2);
    let rules = reminders(&follow_up(&app, &id, &admin).await);
    assert_eq!(at(&rules[1]["sendsAt"]), start - Duration::hours(72));
    new_mails(&app, &smtp, &mut seen).await; // the change notice

    // Its old time passes: nothing. Its new time: Ann, once; Bob cancelled.
    app.state
        .clock
        .advance(Duration::days(7) + Duration::hours(1));
    run_scheduler(&app).await;
    assert!(new_mails(&app, &smtp, &mut seen).await.is_empty());
    app.state.clock.advance(Duration::days(2));
    run_scheduler(&app).await;
    run_scheduler(&app).await;
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(recipients(&mails), ["ann@example.fr"]);
    assert!(text(&mails[0]).contains("Apportez votre portable."));

    // Sent, then the dates move a day later: not sent again. The 24-hour rule still comes.
    move_start(&app, &id, &admin, start + Duration::days(1)).await;
    let start = start + Duration::days(1);
    let notice = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(recipients(&notice), ["ann@example.fr"], "the change notice");
    app.state
        .clock
        .advance(start - app.state.now() - Duration::hours(23));
    run_scheduler(&app).await;
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(recipients(&mails), ["ann@example.fr"]);
    assert!(!text(&mails[0]).contains("Apportez votre portable."));

    // Ann does not come: a day after the end, the NO_SHOW rule reaches her.
    app.state
        .clock
        .advance(Duration::days(3) + Duration::hours(3));
    run_scheduler(&app).await;
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(recipients(&mails), ["ann@example.fr"]);
    assert!(text(&mails[0]).contains("Vous nous avez manqué."));
    run_scheduler(&app).await;
    assert!(new_mails(&app, &smtp, &mut seen).await.is_empty());

    // Removing a rule; bad offsets; partners see no rules.
    let removed = app
        .op(
            "RemoveReminder",
            json!({ "id": laptop["id"] }),
            Some(&admin),
        )
        .await;
    assert_eq!(removed.data()["removeReminder"], true);
    assert_eq!(reminders(&follow_up(&app, &id, &admin).await).len(), 2);
    app.op(
        "RemoveReminder",
        json!({ "id": laptop["id"] }),
        Some(&admin),
    )
    .await
    .expect_error("NOT_FOUND");
    let bad = app
        .op(
            "AddReminder",
            json!({ "activityId": id, "anchor": "BEFORE_START", "offsetHours": -1, "to": ["CONFIRMED"] }),
            Some(&admin),
        )
        .await;
    bad.expect_error("BAD_USER_INPUT");
    assert_eq!(bad.error_field(), Some("offsetHours"));
    let seen_by_partner = app
        .op("ActivityFollowUp", json!({ "id": id }), Some(&ann))
        .await;
    seen_by_partner.expect_error("FORBIDDEN");
    assert!(seen_by_partner.body["data"]["activity"]["reminders"].is_null());
}

#[tokio::test]
async fn a_cancelled_activity_reminds_nobody() {
    let smtp = SmtpServer::start().await;
    let app = app_with(&smtp).await;
    let admin = app.admin_token().await;
    let id = app.published_activity(&admin, 3, json!({})).await;
    let ann = partner(&app, &admin, "Ann", false).await;
    app.register(&id, &ann).await;
    app.op(
        "CancelActivity",
        json!({ "id": id, "reason": "Orage" }),
        Some(&admin),
    )
    .await
    .data();
    let mut seen = new_mails(&app, &smtp, &mut 0).await.len();
    app.state
        .clock
        .advance(Duration::days(3) - Duration::hours(2));
    run_scheduler(&app).await;
    assert!(new_mails(&app, &smtp, &mut seen).await.is_empty());
    app.op(
        "AddReminder",
        json!({ "activityId": id, "anchor": "AFTER_END", "offsetHours": 1, "to": ["CONFIRMED"] }),
        Some(&admin),
    )
    .await
    .expect_error("CONFLICT");
}

const QUESTIONS: &str = r#"[
    { "kind": "RATING", "text": "Note globale ?" },
    { "kind": "TEXT", "text": "Une remarque ?" },
    { "kind": "CHOICE", "text": "Format ?", "choices": ["Matin", "Soir"] }
]"#;

/// A completed activity `attendee` attended, with a one-question survey: (survey, question).
pub async fn attended_survey(app: &TestApp, admin: &str, attendee: &str) -> (Value, Value) {
    let id = app.published_activity(admin, 5, json!({})).await;
    let registration = app.register(&id, attendee).await;
    app.attend(admin, &registration).await;
    let set = app
        .op(
            "SetSurvey",
            json!({ "activityId": id, "questions": [{ "kind": "RATING", "text": "Note ?" }] }),
            Some(admin),
        )
        .await;
    let survey = set.data()["setSurvey"].clone();
    app.complete(admin, &id).await;
    (survey["id"].clone(), survey["questions"][0]["id"].clone())
}

#[tokio::test]
async fn attendees_answer_the_survey_once_and_staff_read_the_results() {
    let smtp = SmtpServer::start().await;
    let app = app_with(&smtp).await;
    let admin = app.admin_token().await;
    // A conference: no certificate mail beside the invitations.
    let id = app
        .published_activity(&admin, 5, json!({ "title": "Canva", "kind": "CONFERENCE" }))
        .await;
    let set = app
        .op(
            "SetSurvey",
            json!({ "activityId": id, "questions": serde_json::from_str::<Value>(QUESTIONS).unwrap(), "anonymous": true }),
            Some(&admin),
        )
        .await;
    let survey = set.data()["setSurvey"].clone();
    assert_eq!(survey["anonymous"], true);
    assert_eq!(survey["questions"][2]["choices"], json!(["Matin", "Soir"]));
    assert!(survey["questions"][0]["choices"].is_null());
    let survey_id = survey["id"].clone();
    let q = |i: usize| survey["questions"][i]["id"].clone();

    let mut tokens = Vec::new();
    for name in ["Ann", "Bob", "Cid", "Dan", "Eve", "Fay"] {
        let token = partner(&app, &admin, name, false).await;
        let registration = app.register(&id, &token).await;
        if name != "Cid" {
            app.attend(&admin, &registration).await;
        }
        tokens.push(token);
    }
    let (ann, bob, cid) = (&tokens[0], &tokens[1], &tokens[2]);
    // Not completed yet: nobody may answer.
    let answers = json!([{ "questionId": q(0), "rating": 4 }]);
    app.op(
        "AnswerSurvey",
        json!({ "surveyId": survey_id, "answers": answers }),
        Some(ann),
    )
    .await
    .expect_error("FORBIDDEN");
    let mut seen = new_mails(&app, &smtp, &mut 0).await.len();

    // Completing invites the attendees, once.
    app.complete(&admin, &id).await;
    app.complete(&admin, &id).await;
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(
        recipients(&mails),
        [
            "ann@example.fr",
            "bob@example.fr",
            "dan@example.fr",
            "eve@example.fr",
            "fay@example.fr"
        ]
    );
    assert!(text(&mails[0]).contains("anonymes"));

    let mine = app.op("MySurveys", json!({}), Some(ann)).await;
    assert_eq!(mine.data()["mySurveys"][0]["id"], survey_id);
    assert_eq!(mine.data()["mySurveys"][0]["answered"], false);
    assert_eq!(mine.data()["mySurveys"][0]["activity"]["title"], "Canva");
    let none = app.op("MySurveys", json!({}), Some(cid)).await;
    assert_eq!(none.data()["mySurveys"], json!([]));

    // Bad answers name what is wrong.
    for (answers, field) in [
        (
            json!([{ "questionId": q(0), "rating": 6 }]),
            "answers[0].rating",
        ),
        (
            json!([{ "questionId": q(2), "choice": "Nuit" }]),
            "answers[0].choice",
        ),
        (
            json!([{ "questionId": q(1), "rating": 3 }]),
            "answers[0].rating",
        ),
        (
            json!([{ "questionId": "999999", "rating": 3 }]),
            "answers[0].questionId",
        ),
        (
            json!([{ "questionId": q(0), "rating": 3 }, { "questionId": q(0), "rating": 4 }]),
            "answers[1].questionId",
        ),
        (json!([]), "answers"),
    ] {
        let bad = app
            .op(
                "AnswerSurvey",
                json!({ "surveyId": survey_id, "answers": answers }),
                Some(ann),
            )
            .await;
        bad.expect_error("BAD_USER_INPUT");
        assert_eq!(bad.error_field(), Some(field));
    }

    let full = |rating: i32, remark: &str, choice: &str| {
        json!([
            { "questionId": q(0), "rating": rating },
            { "questionId": q(1), "text": remark },
            { "questionId": q(2), "choice": choice },
        ])
    };
    let answered = app
        .op(
            "AnswerSurvey",
            json!({ "surveyId": survey_id, "answers": full(5, "Très clair", "Matin") }),
            Some(ann),
        )
        .await;
    assert_eq!(answered.data()["answerSurvey"], true);
    app.op(
        "AnswerSurvey",
        json!({ "surveyId": survey_id, "answers": full(1, "Encore", "Soir") }),
        Some(ann),
    )
    .await
    .expect_error("CONFLICT");
    app.op(
        "AnswerSurvey",
        json!({ "surveyId": survey_id, "answers": full(2, "Trop rapide", "Matin") }),
        Some(bob),
    )
    .await
    .data();
    app.op(
        "AnswerSurvey",
        json!({ "surveyId": survey_id, "answers": full(3, "Absent", "Soir") }),
        Some(cid),
    )
    .await
    .expect_error("FORBIDDEN");
    let mine = app.op("MySurveys", json!({}), Some(ann)).await;
    assert_eq!(mine.data()["mySurveys"][0]["answered"], true);

    // Answered: the form is frozen.
    app.op(
        "SetSurvey",
        json!({ "activityId": id, "questions": [{ "kind": "TEXT", "text": "Autre ?" }] }),
        Some(&admin),
    )
    .await
    .expect_error("CONFLICT");

    // Anonymous: nothing adds up before five respondents, so no answer can be told apart.
    let results = follow_up(&app, &id, &admin).await["survey"].clone();
    assert_eq!(results["responseCount"], 2);
    assert!(
        results["results"][0]["averageRating"].is_null(),
        "{results}"
    );
    assert_eq!(
        results["results"][0]["ratingCounts"],
        json!([0, 0, 0, 0, 0])
    );
    assert_eq!(results["results"][1]["texts"], json!([]));
    for late in &tokens[3..] {
        app.op(
            "AnswerSurvey",
            json!({ "surveyId": survey_id, "answers": full(4, "Bien", "Soir") }),
            Some(late),
        )
        .await
        .data();
    }
    let results = follow_up(&app, &id, &admin).await["survey"].clone();
    assert_eq!(results["responseCount"], 5);
    let rating = &results["results"][0];
    assert_eq!(rating["question"]["kind"], "RATING");
    assert_eq!(rating["averageRating"], 3.8);
    assert_eq!(rating["ratingCounts"], json!([0, 1, 0, 3, 1]));
    let mut texts: Vec<String> =
        serde_json::from_value(results["results"][1]["texts"].clone()).unwrap();
    texts.sort();
    assert_eq!(texts, ["Bien", "Bien", "Bien", "Trop rapide", "Très clair"]);
    assert_eq!(
        results["results"][2]["choiceCounts"],
        json!([{ "choice": "Matin", "count": 2 }, { "choice": "Soir", "count": 3 }])
    );
    // Partners: FORBIDDEN on the survey.
    app.op("ActivityFollowUp", json!({ "id": id }), Some(ann))
        .await
        .expect_error("FORBIDDEN");

    // Anonymous: no link between an answer and its author, not even in the database.
    let linked = app
        .state
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM survey_answers WHERE respondent_id IS NOT NULL",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(linked.try_get::<i64>("", "n").unwrap(), 0);

    // The CSV, for staff only: answers without names.
    let csv = app
        .client
        .get(format!("{}/activities/{id}/survey.csv", app.address))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let body = csv.text().await.unwrap();
    assert!(body.starts_with("question,answer\n"), "{body}");
    assert!(body.contains("Très clair") && !body.contains("Ann"));
    let refused = app
        .client
        .get(format!("{}/activities/{id}/survey.csv", app.address))
        .bearer_auth(ann)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn a_named_survey_set_after_completion_invites_at_once() {
    let smtp = SmtpServer::start().await;
    let app = app_with(&smtp).await;
    let admin = app.admin_token().await;
    let id = app.published_activity(&admin, 5, json!({})).await;
    let ann = partner(&app, &admin, "Ann", false).await;
    let registration = app.register(&id, &ann).await;
    app.attend(&admin, &registration).await;
    app.complete(&admin, &id).await;
    let mut seen = new_mails(&app, &smtp, &mut 0).await.len();
    let bad = app
        .op(
            "SetSurvey",
            json!({ "activityId": id, "questions": [{ "kind": "CHOICE", "text": "Format ?", "choices": ["Seul"] }] }),
            Some(&admin),
        )
        .await;
    bad.expect_error("BAD_USER_INPUT");
    assert_eq!(bad.error_field(), Some("questions[0].choices"));
    let set = app
        .op(
            "SetSurvey",
            json!({ "activityId": id, "questions": [{ "kind": "TEXT", "text": "Une remarque ?" }] }),
            Some(&admin),
        )
        .await;
    let survey = set.data()["setSurvey"].clone();
    assert_eq!(survey["anonymous"], false);
    assert_eq!(
        recipients(&new_mails(&app, &smtp, &mut seen).await),
        ["ann@example.fr"]
    );
    app.op(
        "AnswerSurvey",
        json!({ "surveyId": survey["id"], "answers": [{ "questionId": survey["questions"][0]["id"], "text": "=HYPERLINK(\"x\")" }] }),
        Some(&ann),
    )
    .await
    .data();
    let body = app
        .client
        .get(format!("{}/activities/{id}/survey.csv", app.address))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.starts_with("question,answer,respondent\n"), "{body}");
    assert!(
        body.contains("Ann") && body.contains("'=HYPERLINK"),
        "{body}"
    );
}

#[tokio::test]
async fn a_club_meetings_minutes_reach_every_trained_partner_once() {
    let smtp = SmtpServer::start().await;
    let app = app_with(&smtp).await;
    let admin = app.admin_token().await;
    let came = partner(&app, &admin, "Came", true).await;
    partner(&app, &admin, "Away", true).await;
    partner(&app, &admin, "Untrained", false).await;
    let meeting = app
        .published_activity(
            &admin,
            5,
            json!({ "kind": "CLUB_MEETING", "title": "Club de mars" }),
        )
        .await;
    app.register(&meeting, &came).await;
    let mut asked = Vec::new();
    for text in ["Comment gérer les avis ?", "Quel outil pour les photos ?"] {
        let question = app
            .op(
                "AskClubQuestion",
                json!({ "meetingId": meeting, "text": text }),
                Some(&came),
            )
            .await;
        asked.push(question.data()["askClubQuestion"]["id"].clone());
    }
    app.op(
        "AnswerClubQuestion",
        json!({ "questionId": asked[0], "answer": "Répondre à chaque avis, sous 48 h." }),
        Some(&admin),
    )
    .await
    .data();
    let mut seen = new_mails(&app, &smtp, &mut 0).await.len();
    app.complete(&admin, &meeting).await;
    app.complete(&admin, &meeting).await;
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(recipients(&mails), ["away@example.fr", "came@example.fr"]);
    let minutes = text(&mails[0]);
    assert!(minutes.contains("Comment gérer les avis ?"));
    assert!(minutes.contains("Répondre à chaque avis, sous 48 h."));
    assert!(
        !minutes.contains("Quel outil pour les photos ?"),
        "only the questions handled"
    );
}

/// Two instances on one database run their jobs at the same moment: each digest and each
/// reminder leaves exactly once.
#[tokio::test]
async fn digests_and_reminders_leave_once_from_two_instances() {
    let smtp = SmtpServer::start().await;
    let first = app_with(&smtp).await;
    let second = spawn_beside(
        &first,
        vec![
            ("KLUB_SMTP_URL", smtp.url()),
            ("KLUB_SCHEDULER_TICK_SECONDS", "3600".into()),
        ],
    )
    .await;
    let admin = first.admin_token().await;
    let club = first.group_id(&admin, "Partners' club").await;
    let mut partners = Vec::new();
    for i in 0..6 {
        partners.push(partner(&first, &admin, &format!("P{i}"), true).await);
    }
    let id = first.published_activity(&admin, 2, json!({})).await;
    for token in &partners {
        first.register(&id, token).await;
    }
    first
        .op(
            "StartThread",
            json!({ "groupId": club, "title": "Réseaux", "body": "Instagram ou Facebook ?" }),
            Some(&partners[0]),
        )
        .await
        .data();
    outbox_settled(&first).await;
    let before = smtp.received().len();

    for app in [&first, &second] {
        // The next local day, and the 24-hour reminder's time.
        app.state.clock.advance(Duration::days(1));
    }
    for _ in 0..3 {
        tokio::join!(run_scheduler(&first), run_scheduler(&second));
    }
    outbox_settled(&first).await;
    outbox_settled(&second).await;
    let mails = smtp.received()[before..].to_vec();
    let digests: Vec<&Received> = mails
        .iter()
        .filter(|m| subject(m).contains("les nouvelles du"))
        .collect();
    let reminders: Vec<&Received> = mails
        .iter()
        .filter(|m| subject(m).starts_with("Rappel"))
        .collect();
    // The admin and five partners (the author does not read of its own thread).
    assert_eq!(digests.len(), 6, "{:?}", recipients(&mails));
    assert_eq!(reminders.len(), 6);
    assert_eq!(mails.len(), 12);
    let rows = first
        .state
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            first.state.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM reminder_deliveries",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rows.try_get::<i64>("", "n").unwrap(), 6);
    let _ = entity::mail::Entity::find();
}

/// Medium 5. An anonymous survey stays anonymous: the promise cannot be withdrawn, even
/// before the first answer, and results add up whole groups of five respondents only, so the
/// sixth answer cannot be read as the difference of two readings.
#[tokio::test]
async fn a_promise_of_anonymity_holds() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let activity = app.published_activity(&admin, 2, json!({})).await;
    let mut people = Vec::new();
    for i in 0..6 {
        let (token, _) = app.sign_up(&format!("resp{i}@example.fr"), "Resp").await;
        let registration = app.register(&activity, &token).await;
        app.attend(&admin, &registration).await;
        people.push(token);
    }
    let questions = json!([{ "kind": "RATING", "text": "How was it?" }]);
    let set = app
        .op(
            "SetSurvey",
            json!({ "activityId": activity, "questions": questions, "anonymous": true }),
            Some(&admin),
        )
        .await;
    let survey = set.data()["setSurvey"].clone();
    app.complete(&admin, &activity).await;
    // The partner sees the promise before answering.
    let mine = app
        .graphql(
            "query { mySurveys { anonymous } }",
            json!({}),
            Some(&people[0]),
        )
        .await;
    assert_eq!(mine.data()["mySurveys"][0]["anonymous"], true);
    // Staff cannot take it back, before any answer or after.
    app.op(
        "SetSurvey",
        json!({ "activityId": activity, "questions": questions, "anonymous": false }),
        Some(&admin),
    )
    .await
    .expect_error("CONFLICT");
    let question = survey["questions"][0]["id"].clone();
    let results = || async {
        app.op(
            "SurveyResultsShown",
            json!({ "id": activity }),
            Some(&admin),
        )
        .await
        .data()["activity"]["survey"]["respondentsShown"]
            .clone()
    };
    for (i, person) in people.iter().enumerate() {
        app.op(
            "AnswerSurvey",
            json!({ "surveyId": survey["id"], "answers": [{ "questionId": question, "rating": if i == 5 { 1 } else { 5 } }] }),
            Some(person),
        )
        .await
        .data();
        let shown = results().await;
        assert_eq!(shown, if i < 4 { 0 } else { 5 }, "after {} answers", i + 1);
    }
    // The CSV shows the same five, never the sixth's 1.
    let csv = app
        .client
        .get(format!("{}/activities/{activity}/survey.csv", app.address))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.matches(",5").count(), 5, "{csv}");
    assert!(!csv.contains(",1"), "{csv}");
}
