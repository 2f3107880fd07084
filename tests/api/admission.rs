//! Admission: questions at registration, staff's approval, seats offered for a while, and the
//! consents an activity requires — each through the contract, the races on both databases.

use chrono::Duration;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::{
    followup::{app_with, new_mails, recipients, subject, text},
    helpers::{TestApp, run_scheduler, spawn_app, spawn_beside},
    smtp::SmtpServer,
};

async fn set_admission(app: &TestApp, admin: &str, activity: &str, input: Value) -> Value {
    let set = app
        .op(
            "SetAdmission",
            json!({ "activityId": activity, "input": input }),
            Some(admin),
        )
        .await;
    set.data()["setAdmission"].clone()
}

async fn register(
    app: &TestApp,
    activity: &str,
    token: &str,
    answers: Value,
) -> crate::helpers::Gql {
    app.op(
        "RegisterWithAnswers",
        json!({ "activityId": activity, "answers": answers }),
        Some(token),
    )
    .await
}

/// The seats as staff see them: (seats left, waiting list).
async fn seats(app: &TestApp, activity: &str, admin: &str) -> (i64, i64) {
    let activity = app.activity(activity, admin).await;
    (
        activity["seatsLeft"].as_i64().unwrap(),
        activity["waitlistCount"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn a_photowalk_asks_which_camera_and_staff_read_the_answers() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let walk = app
        .published_activity(&admin, 10, json!({ "title": "Photowalk du port" }))
        .await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    let admission = set_admission(
        &app,
        &admin,
        &walk,
        json!({ "questions": [
            { "kind": "CHOICE", "text": "Votre appareil ?", "choices": ["Téléphone", "Reflex", "Hybride"], "required": true },
            { "kind": "YES_NO", "text": "Venez-vous avec un trépied ?" },
            { "kind": "NUMBER", "text": "Combien de photos publiez-vous par mois ?" },
            { "kind": "TEXT", "text": "Un lieu que vous aimeriez photographier ?" },
        ] }),
    )
    .await;
    let questions = admission["registrationQuestions"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(questions.len(), 4);
    assert_eq!(
        (
            &questions[0]["kind"],
            &questions[0]["required"],
            &questions[1]["required"]
        ),
        (&json!("CHOICE"), &json!(true), &json!(false))
    );
    let id = |n: usize| questions[n]["id"].clone();

    // The required question unanswered, a choice it does not have, a value of the wrong kind.
    let missing = register(
        &app,
        &walk,
        &ann,
        json!([{ "questionId": id(1), "yes": true }]),
    )
    .await;
    missing.expect_error("BAD_USER_INPUT");
    assert_eq!(missing.body["errors"][0]["extensions"]["field"], "answers");
    assert!(
        missing.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Votre appareil ?")
    );
    let wrong = register(
        &app,
        &walk,
        &ann,
        json!([{ "questionId": id(0), "choice": "Argentique" }]),
    )
    .await;
    assert_eq!(
        wrong.body["errors"][0]["extensions"]["field"],
        "answers[0].choice"
    );
    let kind = register(&app, &walk, &ann, json!([{ "questionId": id(0), "choice": "Reflex" }, { "questionId": id(2), "text": "dix" }])).await;
    assert_eq!(
        kind.body["errors"][0]["extensions"]["field"],
        "answers[1].text"
    );
    // Old clients keep working where nothing is required: an activity without questions.
    let plain = app.published_activity(&admin, 10, json!({})).await;
    assert_eq!(app.register(&plain, &ann).await["status"], "CONFIRMED");

    let answers = json!([
        { "questionId": id(0), "choice": "Reflex" },
        { "questionId": id(1), "yes": true },
        { "questionId": id(2), "number": 12.5 },
        { "questionId": id(3), "text": "Le phare au lever du jour" },
    ]);
    let registered = register(&app, &walk, &ann, answers).await;
    assert_eq!(
        registered.data()["registerForActivity"]["status"],
        "CONFIRMED"
    );

    // Staff read them per registration (and the owner does); the questions no longer change.
    let read = app
        .graphql(
            "query($id: ID!) { activity(id: $id) { registrations(first: 10) { edges { node { answers { question { text } text choice yes number } } } } } }",
            json!({ "id": walk }),
            Some(&admin),
        )
        .await;
    let answers = &read.data()["activity"]["registrations"]["edges"][0]["node"]["answers"];
    assert_eq!(answers[0]["choice"], "Reflex");
    assert_eq!(answers[1]["yes"], true);
    assert_eq!(answers[2]["number"], 12.5);
    assert_eq!(answers[3]["text"], "Le phare au lever du jour");
    let again = app
        .op(
            "SetAdmission",
            json!({ "activityId": walk, "input": { "questions": [] } }),
            Some(&admin),
        )
        .await;
    again.expect_error("CONFLICT");
    // And in the registrations' sheet, a column per question.
    let url = format!("{}/activities/{walk}/registrations.csv", app.address);
    let csv = crate::training::download(&app, &url, Some(&admin))
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains("Votre appareil ?"), "{csv}");
    assert!(
        csv.contains("Reflex,oui,12.5,Le phare au lever du jour"),
        "{csv}"
    );
    // Other settings still change.
    let approval = set_admission(&app, &admin, &walk, json!({ "requiresApproval": true })).await;
    assert_eq!(
        approval["registrationQuestions"].as_array().unwrap().len(),
        4
    );
    app.op(
        "SetAdmission",
        json!({ "activityId": walk, "input": { "offerHours": -1 } }),
        Some(&admin),
    )
    .await
    .expect_error("BAD_USER_INPUT");
    app.op(
        "SetAdmission",
        json!({ "activityId": walk, "input": { "requiresApproval": true } }),
        Some(&ann),
    )
    .await
    .expect_error("FORBIDDEN");
}

#[tokio::test]
async fn staff_approve_or_decline_and_the_seats_follow() {
    let smtp = SmtpServer::start().await;
    let app = app_with(&smtp).await;
    let admin = app.admin_token().await;
    let training = app
        .published_activity(
            &admin,
            10,
            json!({ "title": "Hébergeurs : Booking", "capacity": 1 }),
        )
        .await;
    set_admission(&app, &admin, &training, json!({ "requiresApproval": true })).await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    let (bob, _) = app.sign_up("bob@example.fr", "Bob").await;
    let (cid, _) = app.sign_up("cid@example.fr", "Cid").await;
    let mut seen = new_mails(&app, &smtp, &mut 0).await.len();

    let mut pending = Vec::new();
    for token in [&ann, &bob, &cid] {
        let registered = register(&app, &training, token, json!(null)).await;
        let registration = registered.data()["registerForActivity"].clone();
        assert_eq!(
            (&registration["status"], &registration["position"]),
            (&json!("PENDING"), &json!(null))
        );
        pending.push(registration["id"].clone());
    }
    // No seat held while waiting; each is told its request arrived.
    assert_eq!(seats(&app, &training, &admin).await, (1, 0));
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(
        recipients(&mails),
        ["ann@example.fr", "bob@example.fr", "cid@example.fr"]
    );
    assert!(subject(&mails[0]).starts_with("Demande reçue"));
    // The partner sees its PENDING registration.
    let mine = app.op("MyRegistrations", json!({}), Some(&ann)).await;
    assert_eq!(
        mine.data()["myRegistrations"]["edges"][0]["node"]["status"],
        "PENDING"
    );

    let listed = app
        .op(
            "PendingRegistrations",
            json!({ "activityId": training }),
            Some(&admin),
        )
        .await;
    assert_eq!(listed.data()["activity"]["registrations"]["totalCount"], 3);
    let decide = |id: Value, approve: bool, reason: Option<&str>| {
        let app = &app;
        let admin = admin.clone();
        let variables = json!({ "id": id, "approve": approve, "reason": reason });
        async move { app.op("DecideRegistration", variables, Some(&admin)).await }
    };
    // Approved: Ann takes the seat, Bob the waiting list; Cid is declined with a reason.
    let approved = decide(pending[0].clone(), true, None).await;
    assert_eq!(approved.data()["decideRegistration"]["status"], "CONFIRMED");
    let waiting = decide(pending[1].clone(), true, None).await;
    assert_eq!(
        (
            &waiting.data()["decideRegistration"]["status"],
            &waiting.data()["decideRegistration"]["position"]
        ),
        (&json!("WAITLISTED"), &json!(1))
    );
    let declined = decide(pending[2].clone(), false, Some("Réservé aux hébergeurs.")).await;
    assert_eq!(declined.data()["decideRegistration"]["status"], "DECLINED");
    decide(pending[2].clone(), true, None)
        .await
        .expect_error("CONFLICT");
    app.op(
        "DecideRegistration",
        json!({ "id": pending[1], "approve": true }),
        Some(&ann),
    )
    .await
    .expect_error("FORBIDDEN");
    assert_eq!(seats(&app, &training, &admin).await, (0, 1));
    let mails = new_mails(&app, &smtp, &mut seen).await;
    let cids = mails.iter().find(|m| m.to[0] == "cid@example.fr").unwrap();
    assert!(subject(cids).starts_with("Inscription non retenue"));
    assert!(text(cids).contains("Réservé aux hébergeurs."));
    // Registering again returns the decision.
    let again = register(&app, &training, &cid, json!(null)).await;
    assert_eq!(again.data()["registerForActivity"]["status"], "DECLINED");
    // Staff placing someone skip approval.
    let (dan, dan_id) = app.sign_up("dan@example.fr", "Dan").await;
    let placed = app
        .op(
            "RegisterForActivity",
            json!({ "activityId": training, "userId": dan_id }),
            Some(&admin),
        )
        .await;
    assert_eq!(placed.data()["registerForActivity"]["status"], "WAITLISTED");
    drop(dan);
}

/// Approvals racing cancellations on one seat, through two instances: the counts always
/// match the rows and never exceed the capacity.
#[tokio::test]
async fn approvals_racing_cancellations_keep_the_seats_true() {
    let first = spawn_app().await;
    let second = spawn_beside(&first, Vec::new()).await;
    let admin = first.admin_token().await;
    let activity = first
        .published_activity(&admin, 10, json!({ "capacity": 2 }))
        .await;
    set_admission(
        &first,
        &admin,
        &activity,
        json!({ "requiresApproval": true }),
    )
    .await;
    let tokens = first.many_partners(12).await;
    let mut ids = Vec::new();
    for token in &tokens {
        let registered = register(&first, &activity, token, json!(null)).await;
        ids.push(registered.data()["registerForActivity"]["id"].clone());
    }
    // Every request is approved while half their owners cancel, at once, across instances.
    let approvals = ids.iter().enumerate().map(|(n, id)| {
        let app = if n % 2 == 0 { &first } else { &second };
        let admin = admin.clone();
        async move {
            app.op(
                "DecideRegistration",
                json!({ "id": id, "approve": true }),
                Some(&admin),
            )
            .await
        }
    });
    let cancels = ids.iter().zip(&tokens).step_by(2).map(|(id, token)| {
        let second = &second;
        async move {
            second
                .op("CancelRegistration", json!({ "id": id }), Some(token))
                .await
        }
    });
    let (approved, _) = tokio::join!(join_all(approvals), join_all(cancels));
    for answer in &approved {
        assert!(
            answer.error_code().is_none() || answer.error_code() == Some("CONFLICT"),
            "{:?}",
            answer.body
        );
    }
    let listed = first.activity(&activity, &admin).await;
    let rows: Vec<Value> = listed["registrations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    let count = |status: &str| {
        i64::try_from(rows.iter().filter(|r| r["status"] == status).count()).unwrap()
    };
    assert_eq!(
        count("CONFIRMED"),
        2 - listed["seatsLeft"].as_i64().unwrap()
    );
    assert!(count("CONFIRMED") <= 2);
    assert_eq!(
        count("WAITLISTED"),
        listed["waitlistCount"].as_i64().unwrap()
    );
    assert_eq!(count("PENDING"), 0);
    let mut positions: Vec<i64> = rows
        .iter()
        .filter(|r| r["status"] == "WAITLISTED")
        .map(|r| r["position"].as_i64().unwrap())
        .collect();
    positions.sort();
    assert_eq!(positions, (1..=count("WAITLISTED")).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_freed_seat_is_offered_for_a_while_then_passes_on() {
    let smtp = SmtpServer::start().await;
    let app = app_with(&smtp).await;
    let admin = app.admin_token().await;
    let workshop = app
        .published_activity(&admin, 10, json!({ "title": "Canva", "capacity": 1 }))
        .await;
    set_admission(&app, &admin, &workshop, json!({ "offerHours": 48 })).await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    let (bob, _) = app.sign_up("bob@example.fr", "Bob").await;
    let (cid, _) = app.sign_up("cid@example.fr", "Cid").await;
    let anns = app.register(&workshop, &ann).await["id"].clone();
    let bobs = app.register(&workshop, &bob).await["id"].clone();
    let cids = app.register(&workshop, &cid).await["id"].clone();
    let mut seen = new_mails(&app, &smtp, &mut 0).await.len();

    // Ann cancels: Bob, first in line, is offered the seat for 48 hours; it stays held.
    app.op("CancelRegistration", json!({ "id": anns }), Some(&ann))
        .await
        .data();
    let mine = app
        .op(
            "RegisterWithAnswers",
            json!({ "activityId": workshop }),
            Some(&bob),
        )
        .await;
    let offered = mine.data()["registerForActivity"].clone();
    assert_eq!(offered["status"], "OFFERED");
    let expires =
        chrono::DateTime::parse_from_rfc3339(offered["offerExpiresAt"].as_str().unwrap()).unwrap();
    let lasts = expires.with_timezone(&chrono::Utc) - app.state.now();
    assert!(
        lasts <= Duration::hours(48) && lasts > Duration::hours(47),
        "{lasts}"
    );
    assert_eq!(seats(&app, &workshop, &admin).await, (0, 1));
    let mails = new_mails(&app, &smtp, &mut seen).await;
    let offer = mails.iter().find(|m| m.to[0] == "bob@example.fr").unwrap();
    assert!(subject(offer).starts_with("Une place vous attend"));
    assert!(text(offer).contains(&format!("/registrations/{}", bobs.as_str().unwrap())));

    // Only Bob (or staff) answers; Bob lets it go: Cid is offered it.
    app.op(
        "AnswerOffer",
        json!({ "registrationId": bobs, "accept": true }),
        Some(&cid),
    )
    .await
    .expect_error("NOT_FOUND");
    let declined = app
        .op(
            "AnswerOffer",
            json!({ "registrationId": bobs, "accept": false }),
            Some(&bob),
        )
        .await;
    assert_eq!(declined.data()["answerOffer"]["status"], "CANCELLED");
    app.op(
        "AnswerOffer",
        json!({ "registrationId": bobs, "accept": true }),
        Some(&bob),
    )
    .await
    .expect_error("CONFLICT");
    let cid_now = app
        .op(
            "RegisterWithAnswers",
            json!({ "activityId": workshop }),
            Some(&cid),
        )
        .await;
    assert_eq!(cid_now.data()["registerForActivity"]["status"], "OFFERED");

    // Cid lets it lapse: the scheduler passes it on (nobody left) and tells Cid, once.
    app.state
        .clock
        .advance(Duration::hours(48) + Duration::minutes(1));
    app.op(
        "AnswerOffer",
        json!({ "registrationId": cids, "accept": true }),
        Some(&cid),
    )
    .await
    .expect_error("CONFLICT");
    run_scheduler(&app).await;
    run_scheduler(&app).await;
    assert_eq!(seats(&app, &workshop, &admin).await, (1, 0));
    let mails = new_mails(&app, &smtp, &mut seen).await;
    let lapsed: Vec<_> = mails
        .iter()
        .filter(|m| subject(m).starts_with("Place non retenue"))
        .collect();
    assert_eq!(lapsed.len(), 1);
    assert_eq!(lapsed[0].to[0], "cid@example.fr");

    // Accepting in time confirms; an offer never runs past the start.
    let (dan, _) = app.sign_up("dan@example.fr", "Dan").await;
    let (eve, _) = app.sign_up("eve@example.fr", "Eve").await;
    let dans = app.register(&workshop, &dan).await["id"].clone();
    let eves = app.register(&workshop, &eve).await["id"].clone();
    let start = chrono::DateTime::parse_from_rfc3339(
        app.activity(&workshop, &admin).await["sessions"][0]["startsAt"]
            .as_str()
            .unwrap(),
    )
    .unwrap()
    .with_timezone(&chrono::Utc);
    let now = app.state.now();
    app.state.clock.advance(start - now - Duration::hours(10));
    app.op("CancelRegistration", json!({ "id": dans }), Some(&dan))
        .await
        .data();
    let eve_now = app
        .op(
            "RegisterWithAnswers",
            json!({ "activityId": workshop }),
            Some(&eve),
        )
        .await;
    let offered = eve_now.data()["registerForActivity"].clone();
    let expires =
        chrono::DateTime::parse_from_rfc3339(offered["offerExpiresAt"].as_str().unwrap()).unwrap();
    assert_eq!(expires, start);
    let taken = app
        .op(
            "AnswerOffer",
            json!({ "registrationId": eves, "accept": true }),
            Some(&eve),
        )
        .await;
    assert_eq!(taken.data()["answerOffer"]["status"], "CONFIRMED");
    assert_eq!(seats(&app, &workshop, &admin).await, (0, 0));
}

/// An offer lapsing while it is accepted, through two instances and the scheduler: one
/// outcome, and the counts match the rows.
#[tokio::test]
async fn an_offer_lapsing_while_it_is_accepted_ends_one_way() {
    for round in 0..4 {
        let first = spawn_app().await;
        let second = spawn_beside(&first, Vec::new()).await;
        let admin = first.admin_token().await;
        let workshop = first
            .published_activity(&admin, 10, json!({ "capacity": 1 }))
            .await;
        set_admission(&first, &admin, &workshop, json!({ "offerHours": 1 })).await;
        let tokens = first.many_partners(3).await;
        let holder = first.register(&workshop, &tokens[0]).await["id"].clone();
        let offered = first.register(&workshop, &tokens[1]).await["id"].clone();
        first.register(&workshop, &tokens[2]).await;
        first
            .op(
                "CancelRegistration",
                json!({ "id": holder }),
                Some(&tokens[0]),
            )
            .await
            .data();
        // Both instances share the clock's reading: a moment before or after the expiry.
        let shift =
            Duration::hours(1) + Duration::milliseconds(if round % 2 == 0 { -5 } else { 5 });
        first.state.clock.advance(shift);
        second.state.clock.advance(shift);
        let accept = second.op(
            "AnswerOffer",
            json!({ "registrationId": offered, "accept": true }),
            Some(&tokens[1]),
        );
        let expire = run_scheduler(&first);
        let (accepted, ()) = tokio::join!(accept, expire);
        run_scheduler(&first).await;
        let listed = first.activity(&workshop, &admin).await;
        let rows: Vec<Value> = listed["registrations"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"].clone())
            .collect();
        let mine = rows.iter().find(|r| r["id"] == offered).unwrap();
        match accepted.error_code() {
            None => assert_eq!(mine["status"], "CONFIRMED", "round {round}"),
            Some("CONFLICT") => assert_eq!(mine["status"], "CANCELLED", "round {round}"),
            other => panic!("{other:?}: {:?}", accepted.body),
        }
        let holding = i64::try_from(
            rows.iter()
                .filter(|r| r["status"] == "CONFIRMED" || r["status"] == "OFFERED")
                .count(),
        )
        .unwrap();
        assert_eq!(
            holding,
            1 - listed["seatsLeft"].as_i64().unwrap(),
            "round {round}"
        );
        assert_eq!(holding, 1, "the seat went on to the third: round {round}");
    }
}

#[tokio::test]
async fn consents_are_given_withdrawn_and_asked_again_and_gate_registration() {
    let smtp = SmtpServer::start().await;
    let app = app_with(&smtp).await;
    let admin = app.admin_token().await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    let (bob, _) = app.sign_up("bob@example.fr", "Bob").await;
    let publish = |purpose: &str, text: &str, token: &str| {
        let app = &app;
        let variables = json!({ "purpose": purpose, "text": text });
        let token = token.to_owned();
        async move { app.op("PublishConsentText", variables, Some(&token)).await }
    };
    publish("IMAGE_RIGHTS", "J'accepte…", &ann)
        .await
        .expect_error("FORBIDDEN");
    let walk = app
        .published_activity(&admin, 10, json!({ "title": "Photowalk" }))
        .await;
    // A purpose without a text cannot be required.
    app.op(
        "SetAdmission",
        json!({ "activityId": walk, "input": { "requiredConsents": ["IMAGE_RIGHTS"] } }),
        Some(&admin),
    )
    .await
    .expect_error("BAD_USER_INPUT");
    let v1 = publish(
        "IMAGE_RIGHTS",
        "J'autorise l'office à publier les photos où j'apparais.",
        &admin,
    )
    .await;
    let v1 = v1.data()["publishConsentText"].clone();
    assert_eq!(
        (&v1["purpose"], &v1["version"]),
        (&json!("IMAGE_RIGHTS"), &json!(1))
    );
    publish("PRIVACY", "Vos données servent au programme.", &admin)
        .await
        .data();
    let texts = app.op("ConsentTexts", json!({}), None).await;
    assert_eq!(texts.data()["consentTexts"].as_array().unwrap().len(), 2);
    let set = set_admission(
        &app,
        &admin,
        &walk,
        json!({ "requiredConsents": ["IMAGE_RIGHTS"] }),
    )
    .await;
    assert_eq!(set["requiredConsents"], json!(["IMAGE_RIGHTS"]));

    // Without the consent: FORBIDDEN, naming what to ask for.
    let refused = register(&app, &walk, &ann, json!(null)).await;
    refused.expect_error("FORBIDDEN");
    assert_eq!(
        refused.body["errors"][0]["extensions"]["consents"],
        json!(["IMAGE_RIGHTS"])
    );
    for token in [&ann, &bob] {
        let given = app
            .op("GiveConsent", json!({ "textId": v1["id"] }), Some(token))
            .await;
        assert_eq!(given.data()["giveConsent"]["given"], true);
        assert_eq!(
            register(&app, &walk, token, json!(null)).await.data()["registerForActivity"]["status"],
            "CONFIRMED"
        );
    }
    let who = |answer: &crate::helpers::Gql, list: &str| -> Vec<String> {
        let mut names: Vec<String> = answer.data()["activity"]["consents"][0][list]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    let consents = app
        .op("ActivityConsents", json!({ "id": walk }), Some(&admin))
        .await;
    assert_eq!(who(&consents, "given"), ["Ann", "Bob"]);
    app.op("ActivityConsents", json!({ "id": walk }), Some(&ann))
        .await
        .expect_error("FORBIDDEN");

    // Bob withdraws, as easily: staff see he may no longer be photographed.
    let withdrawn = app
        .op(
            "WithdrawConsent",
            json!({ "purpose": "IMAGE_RIGHTS" }),
            Some(&bob),
        )
        .await;
    assert_eq!(withdrawn.data()["withdrawConsent"]["given"], false);
    assert!(withdrawn.data()["withdrawConsent"]["withdrawnAt"].is_string());
    let consents = app
        .op("ActivityConsents", json!({ "id": walk }), Some(&admin))
        .await;
    assert_eq!(who(&consents, "given"), ["Ann"]);
    assert_eq!(who(&consents, "missing"), ["Bob"]);

    // A new version: Ann, who consented to the old one, is asked again; her old consent stays
    // on record but no longer counts; the old version cannot be given any more.
    let mut seen = new_mails(&app, &smtp, &mut 0).await.len();
    let v2 = publish(
        "IMAGE_RIGHTS",
        "J'autorise l'office à publier, avec mon nom, les photos où j'apparais.",
        &admin,
    )
    .await;
    let v2 = v2.data()["publishConsentText"].clone();
    assert_eq!(v2["version"], 2);
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(recipients(&mails), ["ann@example.fr"]);
    let mine = app.op("MyConsents", json!({}), Some(&ann)).await;
    let image = mine.data()["myConsents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purpose"] == "IMAGE_RIGHTS")
        .unwrap()
        .clone();
    assert_eq!(
        (&image["given"], &image["text"]["version"]),
        (&json!(false), &json!(1))
    );
    app.op("GiveConsent", json!({ "textId": v1["id"] }), Some(&ann))
        .await
        .expect_error("CONFLICT");
    let consents = app
        .op("ActivityConsents", json!({ "id": walk }), Some(&admin))
        .await;
    assert_eq!(who(&consents, "missing"), ["Ann", "Bob"]);
    app.op("GiveConsent", json!({ "textId": v2["id"] }), Some(&ann))
        .await
        .data();

    // Every change is kept, in myData.
    let data = app.op("MyData", json!({}), Some(&ann)).await;
    let history = data.data()["myData"]["consents"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["given"], true);
}

#[tokio::test]
async fn demand_by_topic_fills_a_workshop() {
    let smtp = SmtpServer::start().await;
    let app = app_with(&smtp).await;
    let admin = app.admin_token().await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    let (bob, _) = app.sign_up("bob@example.fr", "Bob").await;
    let (cid, _) = app.sign_up("cid@example.fr", "Cid").await;
    let (dan, _) = app.sign_up("dan@example.fr", "Dan").await;
    let create = |name: &str, threshold: i64, token: &str| {
        let app = &app;
        let variables = json!({ "name": name, "threshold": threshold });
        let token = token.to_owned();
        async move { app.op("CreateTopic", variables, Some(&token)).await }
    };
    create("Instagram Reels", 2, &ann)
        .await
        .expect_error("FORBIDDEN");
    create("Instagram Reels", 0, &admin)
        .await
        .expect_error("BAD_USER_INPUT");
    let topic = create("Instagram Reels", 2, &admin).await;
    let topic = topic.data()["createTopic"].clone();
    assert_eq!(topic["interestedCount"], 0);
    let mut seen = new_mails(&app, &smtp, &mut 0).await.len();

    // Interest, once each; staff are told once, when the threshold is reached.
    let interest = |token: &str, interested: bool| {
        let app = &app;
        let variables = json!({ "topicId": topic["id"], "interested": interested });
        let token = token.to_owned();
        async move { app.op("SetInterest", variables, Some(&token)).await }
    };
    interest(&ann, true).await.data();
    let twice = interest(&ann, true).await;
    assert_eq!(
        (
            &twice.data()["setInterest"]["interestedCount"],
            &twice.data()["setInterest"]["meInterested"]
        ),
        (&json!(1), &json!(true))
    );
    assert!(new_mails(&app, &smtp, &mut seen).await.is_empty());
    interest(&bob, true).await.data();
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(mails.len(), 1, "one staff member, told once");
    assert!(subject(&mails[0]).starts_with("Assez de demande : Instagram Reels"));
    interest(&cid, true).await.data();
    interest(&dan, true).await.data();
    interest(&dan, false).await.data();
    assert!(new_mails(&app, &smtp, &mut seen).await.is_empty());
    let topics = app.op("Topics", json!({}), Some(&cid)).await;
    assert_eq!(
        (
            &topics.data()["topics"][0]["interestedCount"],
            &topics.data()["topics"][0]["meInterested"]
        ),
        (&json!(3), &json!(true))
    );

    // A workshop for the topic: announced to the interested at publication, theirs first.
    let start = app.state.now() + Duration::days(10);
    let input = json!({
        "kind": "WORKSHOP", "title": "Reels en pratique", "capacity": 10, "minParticipants": 4,
        "registrationDeadline": (start - Duration::days(2)).to_rfc3339(),
        "topicId": topic["id"], "priorityHours": 48,
        "sessions": [{ "startsAt": start.to_rfc3339(), "endsAt": (start + Duration::hours(3)).to_rfc3339() }],
    });
    let created = app
        .op(
            "CreateActivityForTopic",
            json!({ "input": input }),
            Some(&admin),
        )
        .await;
    let workshop = created.data()["createActivity"].clone();
    assert_eq!(workshop["topic"]["name"], "Instagram Reels");
    let id = workshop["id"].as_str().unwrap().to_owned();
    app.op("PublishActivity", json!({ "id": id }), Some(&admin))
        .await
        .data();
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(
        recipients(&mails),
        ["ann@example.fr", "bob@example.fr", "cid@example.fr"]
    );
    assert!(text(&mails[0]).contains("réservées"), "{}", text(&mails[0]));
    register(&app, &id, &dan, json!(null))
        .await
        .expect_error("CONFLICT");
    assert_eq!(
        register(&app, &id, &ann, json!(null)).await.data()["registerForActivity"]["status"],
        "CONFIRMED"
    );
    app.state.clock.advance(Duration::hours(49));
    assert_eq!(
        register(&app, &id, &dan, json!(null)).await.data()["registerForActivity"]["status"],
        "CONFIRMED"
    );
    new_mails(&app, &smtp, &mut seen).await;

    // Three days before the deadline, short of its minimum: the interested who have not
    // registered hear how many places are still needed, once.
    app.state.clock.advance(
        start - Duration::days(2) - Duration::days(3) - app.state.now() + Duration::hours(1),
    );
    run_scheduler(&app).await;
    run_scheduler(&app).await;
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(recipients(&mails), ["bob@example.fr", "cid@example.fr"]);
    assert!(subject(&mails[0]).starts_with("Encore 2 place(s) à pourvoir"));
}
