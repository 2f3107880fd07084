//! Accounts: sign-up and its throttle, proof of address in every order of events, myData and
//! deletion — each rule attacked from outside as a stranger would.

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, latest_mailed_token, latest_mailed_token_to, spawn_app};
use crate::invitations::invite;
use crate::organisations::{add, create};

async fn role_and_proof(app: &TestApp, token: &str) -> (String, bool) {
    let me = app.op("Me", json!({}), Some(token)).await;
    let role = me.data()["me"]["role"].as_str().unwrap().to_owned();
    let address = app.op("MyAddress", json!({}), Some(token)).await;
    (role, address.data()["me"]["emailVerified"] == true)
}

/// High 1. A squatter signs up with an address it does not own, before or after the address is
/// invited as ADMIN. Whoever opens the "confirm your address" mail — the owner of the address,
/// logged out or logged in to an account of her own, or a mail scanner — hands the squatter
/// nothing; the owner takes the account over with a password reset, and only then is the
/// invitation hers.
#[tokio::test]
async fn a_proof_of_address_never_goes_to_an_account_somebody_else_holds() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (own_account, _) = app.sign_up("owner.elsewhere@office.fr", "Owner").await;

    for (order, address) in [
        ("invite then sign-up", "ines@office.fr"),
        ("sign-up then invite", "hugo@office.fr"),
    ] {
        if order == "invite then sign-up" {
            invite(&app, &admin, address, "ADMIN").await.data();
        }
        let (squatter, _) = app.sign_up(address, "Not the owner").await;
        if order == "sign-up then invite" {
            invite(&app, &admin, address, "ADMIN").await.data();
        }
        let link = latest_mailed_token_to(&app, "email_verification", address)
            .await
            .unwrap();

        // A mail scanner, or the owner who never signed up, opens the link: nothing happens.
        app.op("VerifyEmail", json!({ "token": link }), None)
            .await
            .expect_error("UNAUTHENTICATED");
        // The owner opens it while logged in to another account: still nothing.
        app.op("VerifyEmail", json!({ "token": link }), Some(&own_account))
            .await
            .expect_error("BAD_USER_INPUT");
        assert_eq!(
            role_and_proof(&app, &squatter).await,
            ("PARTNER".into(), false),
            "{order}"
        );
        let data = app.op("MyData", json!({}), Some(&squatter)).await;
        assert_eq!(data.data()["myData"]["invitations"], json!([]), "{order}");

        // The owner takes the account back: a new password, the squatter's session over, and
        // then, only then, the invitation and its role.
        app.op("RequestPasswordReset", json!({ "email": address }), None)
            .await
            .data();
        let reset = latest_mailed_token_to(&app, "password_reset", address)
            .await
            .unwrap();
        let reset = app
            .op(
                "ResetPassword",
                json!({ "token": reset, "password": "the owner's own password" }),
                None,
            )
            .await;
        let owner = reset.data()["resetPassword"]["token"]
            .as_str()
            .unwrap()
            .to_owned();
        app.op("Me", json!({}), Some(&squatter))
            .await
            .expect_error("UNAUTHENTICATED");
        app.op(
            "LogIn",
            json!({ "email": address, "password": PASSWORD }),
            None,
        )
        .await
        .expect_error("UNAUTHENTICATED");
        assert_eq!(
            role_and_proof(&app, &owner).await,
            ("ADMIN".into(), true),
            "{order}"
        );
    }

    // The person who signed up and reads the mail proves both at once: invitations are hers.
    invite(&app, &admin, "zelie@office.fr", "ANIMATOR")
        .await
        .data();
    let (zelie, _) = app.sign_up("zelie@office.fr", "Zélie").await;
    let link = latest_mailed_token_to(&app, "email_verification", "zelie@office.fr")
        .await
        .unwrap();
    app.op("VerifyEmail", json!({ "token": link }), Some(&zelie))
        .await
        .data();
    assert_eq!(
        role_and_proof(&app, &zelie).await,
        ("ANIMATOR".into(), true)
    );
}

/// High 3. Sign-ups are counted per client like log-ins: past 20 in 15 minutes from one
/// address, TOO_MANY_REQUESTS, before any password is hashed.
#[tokio::test]
async fn sign_ups_from_one_client_are_throttled() {
    let app = crate::helpers::spawn_app_with(vec![("KLUB_SIGN_UPS_PER_CLIENT", "20".into())]).await;
    for i in 0..20 {
        app.sign_up(&format!("script{i}@example.fr"), "Script")
            .await;
    }
    let refused = app
        .op(
            "SignUp",
            json!({ "input": { "email": "script20@example.fr", "password": PASSWORD, "name": "Script" } }),
            None,
        )
        .await;
    refused.expect_error("TOO_MANY_REQUESTS");
    // Nothing was created for it.
    let admin = app.admin_token().await;
    let users = app
        .op("Users", json!({ "search": "script20" }), Some(&admin))
        .await;
    assert_eq!(users.data()["users"]["totalCount"], 0, "{:?}", users.body);
    // The window passes, and sign-ups work again.
    app.state.clock.advance(chrono::Duration::minutes(16));
    app.sign_up("script20@example.fr", "Script").await;
}

/// Every table of the schema with the names of its columns.
async fn tables(app: &TestApp) -> Vec<(String, Vec<String>)> {
    use sea_orm::ConnectionTrait;
    let sql = if app.db.is_postgres() {
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name <> 'seaql_migrations' \
         ORDER BY table_name, ordinal_position"
    } else {
        "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT IN ('seaql_migrations', 'sqlite_sequence') \
         ORDER BY m.name, p.cid"
    };
    let rows = app
        .state
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.state.db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap();
    let mut tables: Vec<(String, Vec<String>)> = Vec::new();
    for row in rows {
        let table: String = row.try_get_by_index(0).unwrap();
        let column: String = row.try_get_by_index(1).unwrap();
        match tables.last_mut() {
            Some((last, columns)) if *last == table => columns.push(column),
            _ => tables.push((table, vec![column])),
        }
    }
    tables
}

/// How many values of `table.column`, read as text, contain `needle` (any case).
async fn occurrences(app: &TestApp, table: &str, column: &str, needle: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let backend = app.state.db.get_database_backend();
    let text = if app.db.is_postgres() {
        format!("\"{column}\"::text")
    } else {
        format!("CAST(\"{column}\" AS TEXT)")
    };
    let row = app
        .state
        .db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT COUNT(*) FROM \"{table}\" WHERE LOWER({text}) LIKE {}",
                if app.db.is_postgres() { "$1" } else { "?" }
            ),
            [format!("%{}%", needle.to_lowercase()).into()],
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}

/// Medium 6 and Low 9. A partner with a life in every area of Klub: `myData` shows every
/// table that holds something about it (a new such table fails here until it is exported),
/// and once it deletes its account not one value of any table still names it or its address,
/// mails sent before it proved the address and organisation memberships included.
#[tokio::test]
async fn my_data_holds_everything_and_deletion_leaves_nothing() {
    use crate::progress::{answers, publish, submit};
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let email = "zoe.unique@example.fr";
    let name = "Zoé Quasimodo";

    // Before proving its address: a registration notice goes to the address only.
    let (zoe, zoe_id) = app.sign_up(email, name).await;
    let before_proof = app
        .published_activity(&admin, 30, json!({ "title": "Before proof" }))
        .await;
    app.register(&before_proof, &zoe).await;
    let link = latest_mailed_token_to(&app, "email_verification", email)
        .await
        .unwrap();
    app.op("VerifyEmail", json!({ "token": link }), Some(&zoe))
        .await
        .data();
    app.op(
        "SetTrained",
        json!({ "userId": zoe_id, "trained": true }),
        Some(&admin),
    )
    .await
    .data();

    // An organisation, and an invitation to another one.
    let (manager, _) = app.sign_up("manager@example.fr", "Manager").await;
    let other = create(&app, &manager, "Other Ltd", "ACCOMMODATION").await;
    add(&app, &manager, &other, &zoe_id, "MEMBER").await.data();
    let own = create(&app, &admin, "Zoé's Inn", "ACCOMMODATION").await;
    add(&app, &admin, &own, &zoe_id, "MEMBER").await.data();
    // A paid training attended, paid, certified; a non-anonymous survey answered.
    let training = app
        .published_activity(
            &admin,
            2,
            json!({ "kind": "TRAINING", "priceCents": 12000 }),
        )
        .await;
    let registration = app.register(&training, &zoe).await;
    // A complaint that names her, kept as the office's record once she is gone.
    app.op(
        "FileComplaint",
        json!({ "subject": "Zoé Quasimodo n'a pas reçu sa convocation", "body": "Zoé Quasimodo attend toujours." }),
        Some(&zoe),
    )
    .await
    .data();
    // A paper signature, corrected by staff with a reason that names her.
    let slot = crate::attendance::sheet(&app, &training, &admin).await[0]["id"].clone();
    app.op(
        "CorrectAttendance",
        json!({ "slotId": slot, "registrationId": registration["id"],
                "presence": "PRESENT_BY_CORRECTION", "reason": "Quasimodo a signé sur papier" }),
        Some(&admin),
    )
    .await
    .data();
    app.op(
        "RecordPayment",
        json!({ "registrationId": registration["id"], "status": "FUNDED", "funder": "OPCO" }),
        Some(&admin),
    )
    .await
    .data();
    app.attend(&admin, &registration).await;
    let set = app
        .op(
            "SetSurvey",
            json!({ "activityId": training, "questions": [{ "kind": "TEXT", "text": "Remarks?" }] }),
            Some(&admin),
        )
        .await;
    let question = set.data()["setSurvey"]["questions"][0]["id"].clone();
    app.complete(&admin, &training).await;
    app.op(
        "AnswerSurvey",
        json!({ "surveyId": set.data()["setSurvey"]["id"], "answers": [{ "questionId": question, "text": "Very useful" }] }),
        Some(&zoe),
    )
    .await
    .data();
    // The self-diagnostic, the groups, the club, a password reset asked for.
    let diagnostic = publish(&app, &admin, "SNUT").await;
    submit(&app, &zoe, &diagnostic, answers(&diagnostic, 1))
        .await
        .data();
    let club = app.group_id(&zoe, "Partners' club").await;
    let custom = app
        .op(
            "CreateGroup",
            json!({ "name": "Quiet corner", "audience": "CUSTOM" }),
            Some(&admin),
        )
        .await;
    let custom = custom.data()["createGroup"]["id"].clone();
    // Bob, in the same group, is mailed every post: his mails name Zoé.
    let (bob, bob_id) = app.sign_up("bob@example.fr", "Bob").await;
    for member in [&zoe_id, &bob_id] {
        app.op(
            "AddGroupMember",
            json!({ "groupId": custom, "userId": member }),
            Some(&admin),
        )
        .await
        .data();
    }
    app.op(
        "SetGroupNotifications",
        json!({ "groupId": custom, "level": "EVERY_POST" }),
        Some(&bob),
    )
    .await
    .data();
    app.op(
        "StartThread",
        json!({ "groupId": custom, "title": "A question", "body": "Who has a booking engine?" }),
        Some(&zoe),
    )
    .await
    .data();
    crate::helpers::run_scheduler(&app).await;
    app.op(
        "SetGroupNotifications",
        json!({ "groupId": club, "level": "EVERY_POST" }),
        Some(&zoe),
    )
    .await
    .data();
    app.op(
        "StartThread",
        json!({ "groupId": club, "title": "Hello", "body": "Hello all" }),
        Some(&zoe),
    )
    .await
    .data();
    let meeting = app
        .published_activity(&admin, 6, json!({ "kind": "CLUB_MEETING" }))
        .await;
    app.op(
        "AskClubQuestion",
        json!({ "meetingId": meeting, "text": "How?" }),
        Some(&zoe),
    )
    .await
    .data();
    app.op("RequestPasswordReset", json!({ "email": email }), None)
        .await
        .data();
    // A failed log-in leaves a count under the address.
    app.op(
        "LogIn",
        json!({ "email": email, "password": "not the password" }),
        None,
    )
    .await
    .expect_error("UNAUTHENTICATED");
    crate::helpers::outbox_settled(&app).await;
    assert!(
        occurrences(&app, "mails", "text_body", name).await > 0,
        "Bob was told who posted"
    );

    // Every table that can hold something about a person is in the export.
    let tables = tables(&app).await;
    let exported: std::collections::HashMap<&str, &str> = EXPORTED.iter().copied().collect();
    let missing: Vec<&str> = tables
        .iter()
        .filter(|(table, columns)| {
            (table == "users" || columns.iter().any(|c| PERSON_COLUMNS.contains(&c.as_str())))
                && !exported.contains_key(table.as_str())
        })
        .map(|(table, _)| table.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "tables about people that myData leaves out: {missing:?}"
    );
    let data = app.op("MyData", json!({}), Some(&zoe)).await;
    let data = data.data()["myData"].clone();
    for (table, key) in EXPORTED {
        let value = &data[*key];
        let empty = value.is_null() || value.as_array().is_some_and(Vec::is_empty);
        let expected_empty = matches!(
            *key,
            // A partner delivers no training.
            "remindersSent" | "staffActions" | "clubVotes" | "invitations" | "trainings"
            // Judged once a training's last session has started; asked to position oneself
            // before a training (`learning.rs`).
            | "evaluations" | "surveysAsked"
            // Asked only where an activity has questions or requires consents (`admission.rs`).
            | "registrationAnswers" | "consents"
            // Demand by topic (`admission.rs`); a partner opens no topic.
            | "topicInterests" | "topicsOpened"
            // Shared and tagged at a photowalk (`photos.rs`).
            | "photos" | "photosShowingMe"
        );
        assert!(
            !empty || expected_empty,
            "{table}: nothing under {key} in {data:#}"
        );
    }

    // Deleted: nothing names it, in any column of any table.
    app.op(
        "DeleteMyAccount",
        json!({ "password": PASSWORD }),
        Some(&zoe),
    )
    .await
    .data();
    crate::helpers::outbox_settled(&app).await;
    let mut found = Vec::new();
    for (table, columns) in &tables {
        for column in columns {
            if table == "mails" && column == "attachment" {
                continue;
            }
            for needle in ["zoe.unique", "Quasimodo"] {
                let n = occurrences(&app, table, column, needle).await;
                if n > 0 {
                    found.push(format!("{table}.{column}: {n} × {needle}"));
                }
            }
        }
    }
    assert!(found.is_empty(), "left behind: {found:?}");
    let seen = app
        .op("Organisation", json!({ "id": own }), Some(&admin))
        .await;
    assert_eq!(seen.data()["organisation"]["members"], json!([]));
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

/// Columns that point at a person, and the table of accounts itself.
const PERSON_COLUMNS: &[&str] = &[
    "user_id",
    "author_id",
    "respondent_id",
    "actor_id",
    "invited_by",
    "recorded_by",
    "created_by",
    "about_user_id",
    "registration_id",
];

/// Where `myData` shows each table that holds something about a person.
const EXPORTED: &[(&str, &str)] = &[
    ("users", "account"),
    ("registrations", "registrations"),
    ("attendances", "attendance"),
    ("payments", "payments"),
    ("certificates", "certificates"),
    ("club_questions", "clubQuestions"),
    ("club_votes", "clubVotes"),
    ("group_members", "groups"),
    ("group_notification_settings", "notificationLevels"),
    ("threads", "threads"),
    ("posts", "posts"),
    ("invitations", "invitations"),
    ("mails", "mails"),
    ("organisation_members", "organisation"),
    ("organisation_invitations", "organisationInvitations"),
    ("assessments", "assessments"),
    ("activity_trainers", "trainings"),
    ("slot_presences", "attendanceSheets"),
    ("evaluations", "evaluations"),
    ("complaints", "complaints"),
    ("survey_participations", "surveysAnswered"),
    ("survey_requests", "surveysAsked"),
    ("registration_answers", "registrationAnswers"),
    ("consent_events", "consents"),
    ("topic_interests", "topicInterests"),
    ("topics", "topicsOpened"),
    ("survey_answers", "surveyAnswers"),
    ("reminder_deliveries", "remindersSent"),
    ("email_verifications", "addressProofs"),
    ("password_resets", "passwordResets"),
    ("audit_events", "staffActions"),
    ("activities", "staffActions"),
    ("photos", "photos"),
    ("photo_people", "photosShowingMe"),
];
