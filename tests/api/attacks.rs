//! The third probe from outside (step 13): each test attacks one class of hole as a stranger
//! would, through the real server, and fails on the code from before its fix.

use serde_json::json;

use crate::{
    helpers::{PASSWORD, TestApp, latest_mailed_token_to, spawn_app},
    organisations::{add, create},
    trust::invite,
};

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

/// The server binary as a process of its own on a fresh SQLite file, so that its memory can be
/// read from outside.
async fn server_process(
    folder: &std::path::Path,
    env: &[(&str, &str)],
) -> klub_tests::ServerProcess {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_klub-under-test"));
    command
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", folder.join("klub.db").display()),
        )
        .env("KLUB_MAIL_DIR", folder.join("mail"))
        .env("KLUB_HTTP_WORKERS", "2")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    klub_tests::ServerProcess::start(command).await
}

/// High 3. Anonymous requests that each cost much memory — sign-ups (a 19 MiB password hash
/// each, ten to a batch) and documents never seen before, invalid or not — raise the server's
/// memory by what a few at a time cost, not by what all of them would, and it comes back down.
#[tokio::test]
async fn anonymous_bursts_cannot_make_the_server_allocate_gigabytes() {
    let folder = tempfile::tempdir().unwrap();
    let server = server_process(folder.path(), &[("KLUB_SIGN_UPS_PER_CLIENT", "100000")]).await;
    let client = reqwest::Client::new();
    let url = format!("{}/graphql", server.address);
    let sign_up = "mutation($email: String!) { signUp(input: { email: $email, password: \"correct horse battery\", name: \"Burst\" }) { token } }";
    let warm_up = client
        .post(&url)
        .json(&json!({ "query": sign_up, "variables": { "email": "warm@up.fr" } }))
        .send()
        .await
        .unwrap();
    assert!(warm_up.status().is_success());
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let before = server.resident_mib().unwrap();

    // Eight batches of ten sign-ups at once: 80 password hashes asked for together.
    let batches = (0..8).map(|batch| {
        let body: Vec<_> = (0..10)
            .map(|i| json!({ "query": sign_up, "variables": { "email": format!("burst{batch}-{i}@example.fr") } }))
            .collect();
        client.post(&url).json(&body).send()
    });
    for answer in futures_util::future::join_all(batches).await {
        let answers: Vec<serde_json::Value> = answer.unwrap().json().await.unwrap();
        for answer in answers {
            assert!(answer["data"]["signUp"]["token"].is_string(), "{answer}");
        }
    }
    // 256 documents never seen before, invalid and valid, of 16 KiB each.
    for i in 0..256 {
        let fields = "__typename ".repeat(1_450);
        let query = if i % 2 == 0 {
            format!("{{ {fields} doesNotExist{i} }}")
        } else {
            format!("{{ {fields} }} # {i}")
        };
        let answer = client
            .post(&url)
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success());
    }
    let peak = server.peak_mib().unwrap();
    eprintln!("memory: {before:.0} MiB before, {peak:.0} MiB at the peak");
    assert!(
        peak - before < 200.0,
        "the burst raised memory from {before:.0} MiB to {peak:.0} MiB"
    );
    // And it comes back down.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let after = server.resident_mib().unwrap();
    eprintln!("memory: {after:.0} MiB two seconds after");
    assert!(
        after - before < 100.0,
        "memory stayed at {after:.0} MiB after the burst (it was {before:.0} MiB)"
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

/// High 2. A stranger who creates an organisation cannot pull anyone into it: a manager only
/// invites, staff cannot be invited, nobody is booked before accepting; once a member, the
/// manager sees nothing from before the joining, books nothing the manager could not join
/// itself, and puts its name on no earlier certificate; the member leaves when it wants.
#[tokio::test]
async fn nobody_is_pulled_into_an_organisation() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (stranger, _) = app.sign_up("stranger@example.fr", "Stranger").await;
    let (victim, victim_id) = app.sign_up("victim@example.fr", "Victim").await;
    let (_, animator_id) = app.sign_up("animator@office.fr", "Animator").await;
    app.promote(&animator_id, "ANIMATOR").await;

    // Before anything: the victim attended a training and holds a certificate.
    let training = app
        .published_activity(
            &admin,
            3,
            json!({ "title": "Earlier training", "kind": "TRAINING" }),
        )
        .await;
    let earlier = app.register(&training, &victim).await;
    app.attend(&admin, &earlier).await;
    app.complete(&admin, &training).await;

    let trap = create(&app, &stranger, "Trap Ltd", "ACCOMMODATION").await;
    // Staff accounts are never members of a partner organisation.
    let staff = add(&app, &stranger, &trap, &animator_id, "MEMBER").await;
    staff.expect_error("BAD_USER_INPUT");
    assert_eq!(staff.error_field(), Some("userId"));
    // The victim is only invited: not a member, not bookable, its data out of reach.
    let added = add(&app, &stranger, &trap, &victim_id, "MEMBER").await;
    assert_eq!(
        added.data()["addOrganisationMember"]["members"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let paid = app
        .published_activity(
            &admin,
            8,
            json!({ "title": "Paid workshop", "priceCents": 9000 }),
        )
        .await;
    app.op(
        "RegisterColleague",
        json!({ "activityId": paid, "userId": victim_id }),
        Some(&stranger),
    )
    .await
    .expect_error("FORBIDDEN");
    let mine = app.op("MyOrganisation", json!({}), Some(&victim)).await;
    assert!(mine.data()["myOrganisation"].is_null());
    // The invitee sees who invites it, not the people inside.
    let invitations = app
        .op("MyOrganisationInvitations", json!({}), Some(&victim))
        .await;
    let invitation = invitations.data()["myOrganisationInvitations"][0].clone();
    assert_eq!(invitation["organisation"]["name"], "Trap Ltd");
    app.graphql(
        "query { myOrganisationInvitations { organisation { members { user { name } } } } }",
        json!({}),
        Some(&victim),
    )
    .await
    .expect_error("FORBIDDEN");
    // Nobody answers another's invitation.
    app.op(
        "AnswerOrganisationInvitation",
        json!({ "id": invitation["id"], "accept": true }),
        Some(&stranger),
    )
    .await
    .expect_error("NOT_FOUND");

    // The victim accepts, as a user might by mistake.
    app.op(
        "AnswerOrganisationInvitation",
        json!({ "id": invitation["id"], "accept": true }),
        Some(&victim),
    )
    .await
    .data();
    // The manager sees no registration from before the joining.
    let seen = app
        .op("Organisation", json!({ "id": trap }), Some(&stranger))
        .await;
    let registrations = &seen.data()["organisation"]["registrations"];
    assert_eq!(registrations["totalCount"], 0, "{registrations}");
    // Nor books what it could not join itself: a staff-only or trained-only activity.
    app.op(
        "SetTrained",
        json!({ "userId": victim_id, "trained": true }),
        Some(&admin),
    )
    .await
    .data();
    for audience in ["STAFF", "TRAINED_PARTNERS"] {
        let closed = app
            .published_activity(
                &admin,
                9,
                json!({ "title": audience, "audience": audience }),
            )
            .await;
        let refused = app
            .op(
                "RegisterColleague",
                json!({ "activityId": closed, "userId": victim_id }),
                Some(&stranger),
            )
            .await;
        assert!(
            refused.error_code().is_some(),
            "{audience}: {:?}",
            refused.body
        );
    }
    // The certificate from before names no organisation, in the PDF or the data.
    let data = app.op("MyData", json!({}), Some(&victim)).await;
    let certificates = data.data()["myData"]["certificates"].clone();
    assert_eq!(certificates.as_array().unwrap().len(), 1, "{certificates}");
    // The name it was known by when the certificate was issued, not the trap's.
    assert_ne!(
        certificates[0]["organisation"], "Trap Ltd",
        "{certificates}"
    );
    assert!(
        certificates[0]["organisation"].is_string(),
        "{certificates}"
    );
    let number = certificates[0]["number"].as_str().unwrap();
    let pdf = app
        .client
        .get(format!("{}/certificates/{number}.pdf", app.address))
        .bearer_auth(&victim)
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    let text = crate::organisations::pdf_text(pdf.bytes().await.unwrap().to_vec()).await;
    assert!(!text.contains("Trap Ltd"), "{text}");

    // A member leaves when it wants; the last manager of a live organisation cannot.
    app.op("LeaveOrganisation", json!({}), Some(&stranger))
        .await
        .expect_error("CONFLICT");
    app.op("LeaveOrganisation", json!({}), Some(&victim))
        .await
        .data();
    let mine = app.op("MyOrganisation", json!({}), Some(&victim)).await;
    assert!(mine.data()["myOrganisation"].is_null());
    app.op(
        "RegisterColleague",
        json!({ "activityId": paid, "userId": victim_id }),
        Some(&stranger),
    )
    .await
    .expect_error("FORBIDDEN");
    app.op("LeaveOrganisation", json!({}), Some(&stranger))
        .await
        .data();

    // A name typed at sign-up proves nothing: staff's adoption only invites.
    let real = create(&app, &admin, "Hôtel du Port", "ACCOMMODATION").await;
    let (impostor, _) = app
        .op(
            "SignUp",
            json!({ "input": { "email": "impostor@example.fr", "password": PASSWORD, "name": "Impostor", "organisation": "hôtel du port" } }),
            None,
        )
        .await
        .data()["signUp"]["token"]
        .as_str()
        .map(|token| (token.to_owned(), ()))
        .unwrap();
    let adopted = app
        .op(
            "AdoptOrganisationMembers",
            json!({ "organisationId": real }),
            Some(&admin),
        )
        .await;
    assert_eq!(
        adopted.data()["adoptOrganisationMembers"]["members"],
        json!([])
    );
    app.op("Organisation", json!({ "id": real }), Some(&impostor))
        .await
        .expect_error("NOT_FOUND");
}

/// Medium 4. Throw-away accounts count for nothing in the network's average, and the average
/// moves only when five organisations changed: a newcomer's score cannot be read by
/// subtraction between two readings.
#[tokio::test]
async fn the_network_average_gives_no_single_score_away() {
    use crate::progress::{answers, publish, submit};
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let diagnostic = publish(&app, &admin, "SNUT").await;
    let network = |token: String| {
        let app = &app;
        async move {
            app.op("MyProgress", json!({}), Some(&token)).await.data()["myProgress"]["network"][0]
                .clone()
        }
    };
    // Four throw-away accounts and the victim: five "organisations", none vouched for.
    let mut throwaways = Vec::new();
    for i in 0..4 {
        let (token, _) = app.sign_up(&format!("fake{i}@example.fr"), "Fake").await;
        create(&app, &token, &format!("Fake {i}"), "ACCOMMODATION").await;
        submit(&app, &token, &diagnostic, answers(&diagnostic, 2))
            .await
            .data();
        throwaways.push(token);
    }
    let (victim, _) = app.sign_up("victim@example.fr", "Victim").await;
    submit(&app, &victim, &diagnostic, answers(&diagnostic, 0))
        .await
        .data();
    let read = network(throwaways[0].clone()).await;
    assert!(read["averageScore"].is_null(), "{read}");
    assert_eq!(read["organisations"], 0, "{read}");

    // Five real businesses, each with a trained member: published.
    let mut real = Vec::new();
    for i in 0..5 {
        let (token, id) = app.sign_up(&format!("real{i}@example.fr"), "Real").await;
        app.op(
            "SetTrained",
            json!({ "userId": id, "trained": true }),
            Some(&admin),
        )
        .await
        .data();
        submit(&app, &token, &diagnostic, answers(&diagnostic, 2))
            .await
            .data();
        real.push(token);
    }
    let before = network(real[0].clone()).await;
    assert_eq!(before["organisations"], 5, "{before}");
    assert_eq!(before["averageScore"], 100.0, "{before}");
    // A sixth real business assesses: the next reading does not single it out.
    let (newcomer, id) = app.sign_up("newcomer@example.fr", "Newcomer").await;
    app.op(
        "SetTrained",
        json!({ "userId": id, "trained": true }),
        Some(&admin),
    )
    .await
    .data();
    submit(&app, &newcomer, &diagnostic, answers(&diagnostic, 0))
        .await
        .data();
    let after = network(real[0].clone()).await;
    assert_eq!(after, before, "one newcomer moved the average");
    // One that re-assesses neither.
    submit(&app, &real[1], &diagnostic, answers(&diagnostic, 0))
        .await
        .data();
    assert_eq!(network(real[0].clone()).await, before);
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
    ("survey_participations", "surveysAnswered"),
    ("survey_answers", "surveyAnswers"),
    ("reminder_deliveries", "remindersSent"),
    ("email_verifications", "addressProofs"),
    ("password_resets", "passwordResets"),
    ("audit_events", "staffActions"),
    ("activities", "staffActions"),
];

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
            "remindersSent" | "staffActions" | "clubVotes" | "invitations"
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

/// Low 8. NUL, line breaks and characters that reorder text: NUL is refused in any string of
/// any request before the database sees it (anonymous `logIn` included, on PostgreSQL too); a
/// line — a name, a title — takes no control character and no bidirectional override; a
/// paragraph keeps its line breaks, as `\n`.
#[tokio::test]
async fn control_and_reordering_characters_are_refused_by_kind_of_text() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // NUL anywhere: in a variable, nested in an input, or written in the document.
    let nul = app
        .op(
            "LogIn",
            json!({ "email": "ann\u{0}@example.fr", "password": "whatever it is" }),
            None,
        )
        .await;
    nul.expect_error("BAD_USER_INPUT");
    assert_eq!(nul.error_field(), Some("email"));
    let nested = app
        .op(
            "SignUp",
            json!({ "input": { "email": "ann@example.fr", "password": PASSWORD, "name": "Ann\u{0}" } }),
            None,
        )
        .await;
    assert_eq!(nested.error_field(), Some("input.name"));
    let literal = app
        .graphql(
            r#"query { verifyCertificate(number: "KLUB-\u0000") { valid } }"#,
            json!({}),
            None,
        )
        .await;
    literal.expect_error("BAD_USER_INPUT");
    assert_eq!(literal.error_field(), Some("number"));
    let search = app
        .op("Users", json!({ "search": "\u{0}" }), Some(&admin))
        .await;
    search.expect_error("BAD_USER_INPUT");

    // Lines: names, organisations, titles, subjects.
    for (name, organisation) in [
        ("Ann\r\nBcc: everyone@example.fr", "Hôtel"),
        ("Ann", "Hôtel\u{202E}fdp.exe"),
        ("Ann\u{2066}", "Hôtel"),
        ("Ann\tB", "Hôtel"),
    ] {
        let refused = app
            .op(
                "SignUp",
                json!({ "input": { "email": "ann@example.fr", "password": PASSWORD, "name": name, "organisation": organisation } }),
                None,
            )
            .await;
        refused.expect_error("BAD_USER_INPUT");
        let field = if name == "Ann" {
            "organisation"
        } else {
            "name"
        };
        assert_eq!(
            refused.error_field(),
            Some(field),
            "{name:?} / {organisation:?}"
        );
    }
    let refused = app
        .op(
            "SignUp",
            json!({ "input": { "email": "ann\u{202E}@example.fr", "password": PASSWORD, "name": "Ann" } }),
            None,
        )
        .await;
    assert_eq!(refused.error_field(), Some("email"));
    let refused = app
        .op(
            "CreateOrganisation",
            json!({ "input": { "name": "Evil\u{202E}gpj.exe", "sector": "OTHER" } }),
            Some(&admin),
        )
        .await;
    assert_eq!(refused.error_field(), Some("name"));
    let doomed = app.published_activity(&admin, 7, json!({})).await;
    let refused = app
        .op(
            "CancelActivity",
            json!({ "id": doomed, "reason": "Storm\u{1b}[2J" }),
            Some(&admin),
        )
        .await;
    assert_eq!(refused.error_field(), Some("reason"));
    let activity = app.published_activity(&admin, 5, json!({})).await;
    let refused = app
        .op(
            "MessageRegistrants",
            json!({ "activityId": activity, "to": ["CONFIRMED"], "subject": "Hi\r\nBcc: x@y.fr", "body": "Body" }),
            Some(&admin),
        )
        .await;
    assert_eq!(refused.error_field(), Some("subject"));
    // Paragraphs keep their lines, whatever the client's line ends; other controls are out.
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    app.op(
        "SetTrained",
        json!({ "userId": app.user_id(&ann).await, "trained": true }),
        Some(&admin),
    )
    .await
    .data();
    let club = app.group_id(&ann, "Partners' club").await;
    let started = app
        .op(
            "StartThread",
            json!({ "groupId": club, "title": "Two lines", "body": "First\r\nSecond\rThird" }),
            Some(&ann),
        )
        .await;
    let thread = started.data()["startThread"]["id"].clone();
    let read = app.op("Thread", json!({ "id": thread }), Some(&ann)).await;
    assert_eq!(
        read.data()["thread"]["posts"]["edges"][0]["node"]["body"],
        "First\nSecond\nThird"
    );
    let refused = app
        .op(
            "StartThread",
            json!({ "groupId": club, "title": "Colours", "body": "\u{1b}[31mred\u{202E}" }),
            Some(&ann),
        )
        .await;
    assert_eq!(refused.error_field(), Some("body"));
}

/// Low 10. Writes that no kept answer reads — a failed anonymous log-in, a mail marked sent, a
/// password reset asked for — leave every answer in memory: nobody can keep the server cold.
#[tokio::test]
async fn writes_no_answer_reads_keep_memory_warm() {
    use std::sync::atomic::Ordering;
    let app = crate::helpers::spawn_app_with(vec![
        ("KLUB_OUTBOX_POLL_MS", "3600000".into()),
        ("KLUB_SCHEDULER_TICK_SECONDS", "3600".into()),
    ])
    .await;
    let admin = app.admin_token().await;
    app.published_activity(&admin, 10, json!({})).await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    let page =
        || async { app.op("Activities", json!({}), Some(&ann)).await.data()["activities"].clone() };
    let first = page().await;
    page().await;

    for attempt in 0..3 {
        app.op(
            "LogIn",
            json!({ "email": format!("nobody{attempt}@example.fr"), "password": "a wrong guess" }),
            None,
        )
        .await
        .expect_error("UNAUTHENTICATED");
    }
    app.op(
        "RequestPasswordReset",
        json!({ "email": "ann@example.fr" }),
        None,
    )
    .await
    .data();
    api::mail::outbox::deliver_due(&app.state).await.unwrap();
    // Time for any announcement to reach the instance (PostgreSQL).
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let before = app.state.statements.load(Ordering::SeqCst);
    assert_eq!(page().await, first);
    assert_eq!(
        app.state.statements.load(Ordering::SeqCst),
        before,
        "the page was computed again"
    );
}

/// A TCP relay to PostgreSQL that can stop forwarding while keeping every socket open: a
/// half-open connection, as a dead network path or a frozen peer leaves it.
struct FreezableRelay {
    port: u16,
    frozen: std::sync::Arc<tokio::sync::watch::Sender<bool>>,
}

impl FreezableRelay {
    async fn open() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let frozen = std::sync::Arc::new(tokio::sync::watch::Sender::new(false));
        let freezing = frozen.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut freeze = freezing.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect("127.0.0.1:5432").await
                    else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = async { drop(freeze.wait_for(|frozen| *frozen).await) } => {
                            // Nothing crosses any more, and nobody is told.
                            std::future::pending::<()>().await;
                        }
                    }
                });
            }
        });
        Self { port, frozen }
    }

    fn freeze(&self) {
        self.frozen.send_replace(true);
    }
}

/// Medium 7. An instance whose change listener goes deaf without a word (its connection
/// half-open) stops trusting its memory within the heartbeat lease: an admin demoted through
/// another instance meanwhile is not served the staff-only answer that instance kept.
#[tokio::test]
async fn an_instance_that_cannot_prove_it_listens_stops_trusting_its_memory() {
    use std::sync::atomic::Ordering;
    let database = crate::helpers::TestDatabase::create().await;
    if !database.is_postgres() {
        // SQLite hears its own writes in-process: there is no listener to lose.
        return;
    }
    let relay = FreezableRelay::open().await;
    let through_relay = database
        .url
        .replace("127.0.0.1:5432", &format!("127.0.0.1:{}", relay.port));
    let direct = crate::helpers::spawn_on(database.same(), Vec::new()).await;
    let deaf =
        crate::helpers::spawn_on(database.same(), vec![("DATABASE_URL", through_relay)]).await;
    let admin = direct.admin_token().await;
    let (bob, bob_id) = direct.sign_up("bob@office.fr", "Bob").await;
    direct.promote(&bob_id, "ADMIN").await;
    // Bob's directory through the instance about to go deaf, until it comes from memory.
    let mut kept = false;
    for _ in 0..50 {
        deaf.op("Users", json!({}), Some(&bob)).await.data();
        let before = deaf.state.statements.load(Ordering::SeqCst);
        deaf.op("Users", json!({}), Some(&bob)).await.data();
        if deaf.state.statements.load(Ordering::SeqCst) == before {
            kept = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(kept, "the directory was never answered from memory");

    relay.freeze();
    direct
        .op(
            "SetUserRole",
            json!({ "userId": bob_id, "role": "PARTNER" }),
            Some(&admin),
        )
        .await
        .data();
    tokio::time::sleep(api::memory::LEASE + std::time::Duration::from_millis(500)).await;
    let asked = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        deaf.op("Users", json!({}), Some(&bob)),
    )
    .await;
    if let Ok(answer) = asked {
        assert!(
            answer.error_code().is_some(),
            "a demoted admin read the directory from a deaf instance's memory: {:?}",
            answer.body
        );
    }
}
