//! The learning loop: positioning before a training, complaints answered in time, each
//! trainee evaluated against the programme's objectives (printed on its certificate), the
//! satisfaction surveys at the end and weeks later, and the training body's year counted by the
//! database and checked against a hand count.

use chrono::{Datelike, Duration};
use serde_json::{Value, json};

use crate::{
    attendance::{SIGNATURE, nine_local, open_sign_in, sheet, training_with_trainer},
    certificates::pdf_text,
    followup::{app_with, new_mails, recipients, subject, text},
    helpers::{Persona, TestApp, outbox_settled, run_scheduler, spawn_app, spawn_app_with},
    smtp::SmtpServer,
    training::{accept_as_trainer, download, invite_trainer, invited_trainer},
};

async fn file(app: &TestApp, token: &str, subject: &str, activity: Option<&str>) -> Value {
    let filed = app
        .op(
            "FileComplaint",
            json!({ "subject": subject, "body": "Le vidéoprojecteur ne marchait pas.\nNous avons perdu une heure.", "activityId": activity }),
            Some(token),
        )
        .await;
    filed.data()["fileComplaint"].clone()
}

#[tokio::test]
async fn a_complaint_is_acknowledged_answered_in_time_and_overdue_comes_first() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(vec![
        ("KLUB_SMTP_URL", smtp.url()),
        ("KLUB_COMPLAINT_DAYS", "7".into()),
    ])
    .await;
    let admin = app.admin_token().await;
    app.persona(Persona::Animator, "lea").await;
    let workshop = app
        .published_activity(&admin, 5, json!({ "title": "Canva" }))
        .await;
    let (ann, _) = app.sign_up("ann@hotel.fr", "Ann Hôtelière").await;
    let (bob, _) = app.sign_up("bob@gite.fr", "Bob Gîte").await;

    let first = file(&app, &ann, "Salle trop petite", Some(&workshop)).await;
    assert_eq!(first["status"], "OPEN");
    // Acknowledged to its author, told to each staff member at once.
    let mails = smtp.wait_for(3).await;
    let to_ann = mails.iter().find(|m| m.to[0] == "ann@hotel.fr").unwrap();
    assert!(
        to_ann
            .parsed()
            .subject()
            .unwrap()
            .contains("Salle trop petite"),
        "{}",
        to_ann.data
    );
    let staff_told: Vec<&str> = mails
        .iter()
        .filter(|m| m.to[0] != "ann@hotel.fr")
        .map(|m| m.to[0].as_str())
        .collect();
    assert_eq!(
        staff_told.len(),
        2,
        "the admin and the animator: {staff_told:?}"
    );
    let told = mails.iter().find(|m| m.to[0] != "ann@hotel.fr").unwrap();
    let text = told.parsed().body_text(0).unwrap().into_owned();
    assert!(
        text.contains("Ann Hôtelière") && text.contains("Canva"),
        "{text}"
    );

    // Bad input is named; an activity the author does not see is no activity.
    let refused = app
        .op(
            "FileComplaint",
            json!({ "subject": "  ", "body": "x" }),
            Some(&bob),
        )
        .await;
    refused.expect_error("BAD_USER_INPUT");
    assert_eq!(refused.body["errors"][0]["extensions"]["field"], "subject");
    let draft = app.create_activity(&admin, 5, json!({})).await;
    let refused = app
        .op(
            "FileComplaint",
            json!({ "subject": "Brouillon", "body": "x", "activityId": draft }),
            Some(&bob),
        )
        .await;
    assert_eq!(
        refused.body["errors"][0]["extensions"]["field"],
        "activityId"
    );

    // Eight days later a second one arrives: the first is overdue and comes first.
    app.state.clock.advance(Duration::days(8));
    let second = file(&app, &bob, "Facture erronée", None).await;
    let list = app.op("Complaints", json!({}), Some(&admin)).await;
    let list = list.data()["complaints"].clone();
    assert_eq!(list["totalCount"], 2);
    let nodes: Vec<&Value> = list["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    assert_eq!(nodes[0]["id"], first["id"]);
    assert_eq!(nodes[0]["overdue"], true);
    assert_eq!(nodes[0]["activity"]["title"], "Canva");
    assert_eq!(nodes[0]["author"]["name"], "Ann Hôtelière");
    assert_eq!(nodes[1]["overdue"], false);

    // Authors see their own; partners see no list.
    let mine = app.op("MyComplaints", json!({}), Some(&bob)).await;
    let mine = mine.data()["myComplaints"].as_array().unwrap().clone();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["id"], second["id"]);
    app.op("Complaints", json!({}), Some(&ann))
        .await
        .expect_error("FORBIDDEN");
    app.op(
        "AnswerComplaint",
        json!({ "id": first["id"], "answer": "Non." }),
        Some(&ann),
    )
    .await
    .expect_error("FORBIDDEN");

    // The answer is mailed; the answered complaint goes after those still waiting.
    let answered = app
        .op(
            "AnswerComplaint",
            json!({ "id": first["id"], "answer": "Nous avons réservé la grande salle.",
                    "actions": "Grande salle pour les ateliers de plus de 8 personnes." }),
            Some(&admin),
        )
        .await;
    assert_eq!(answered.data()["answerComplaint"]["status"], "ANSWERED");
    outbox_settled(&app).await;
    let answer_mailed = smtp.received().iter().any(|mail| {
        mail.to[0] == "ann@hotel.fr"
            && mail
                .parsed()
                .body_text(0)
                .is_some_and(|text| text.contains("Nous avons réservé la grande salle."))
    });
    assert!(answer_mailed, "the answer reaches its author");
    let list = app.op("Complaints", json!({}), Some(&admin)).await;
    let nodes = list.data()["complaints"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(nodes[0]["node"]["id"], second["id"]);
    assert_eq!(nodes[1]["node"]["id"], first["id"]);
    assert_eq!(nodes[1]["node"]["overdue"], false);
    let open = app
        .op("Complaints", json!({ "status": "OPEN" }), Some(&admin))
        .await;
    assert_eq!(open.data()["complaints"]["totalCount"], 1);
    let ann_sees = app.op("MyComplaints", json!({}), Some(&ann)).await;
    assert_eq!(
        ann_sees.data()["myComplaints"][0]["answer"],
        "Nous avons réservé la grande salle."
    );
    outbox_settled(&app).await;
}

#[tokio::test]
async fn trainees_are_evaluated_against_the_objectives_and_the_certificate_says_so() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (trainer, trainer_id) =
        invited_trainer(&app, &admin, "ines@formation.fr", "Inès Formatrice").await;
    let training = training_with_trainer(&app, &admin, &trainer_id, json!({})).await;
    let lea = app.persona(Persona::Partner, "lea").await.unwrap();
    let registration = app.register(&training, &lea).await["id"].clone();
    let evaluate = |token: String, results: Value| {
        let app = &app;
        let registration = registration.clone();
        async move {
            app.op(
                "RecordEvaluation",
                json!({ "registrationId": registration, "results": results }),
                Some(&token),
            )
            .await
        }
    };
    let both = json!([
        { "objective": 0, "mastery": "ACQUIRED" },
        { "objective": 1, "mastery": "IN_PROGRESS" },
    ]);
    // Not before the last session starts.
    evaluate(trainer.clone(), both.clone())
        .await
        .expect_error("CONFLICT");
    let last_start = nine_local(&app, 8);
    let now = app.state.now();
    app.state.clock.advance(last_start - now);
    // Not a trainee, not another activity's trainer.
    evaluate(lea.clone(), both.clone())
        .await
        .expect_error("FORBIDDEN");
    let refused = evaluate(
        trainer.clone(),
        json!([{ "objective": 2, "mastery": "ACQUIRED" }]),
    )
    .await;
    refused.expect_error("BAD_USER_INPUT");
    assert_eq!(
        refused.body["errors"][0]["extensions"]["field"],
        "results[0].objective"
    );
    let recorded = evaluate(trainer.clone(), both).await;
    assert_eq!(
        recorded.data()["recordEvaluation"]["evaluation"],
        json!([
            { "objective": 0, "mastery": "ACQUIRED" },
            { "objective": 1, "mastery": "IN_PROGRESS" },
        ])
    );
    // Judged again: the new judgement stands.
    let again = evaluate(
        admin.clone(),
        json!([{ "objective": 1, "mastery": "ACQUIRED" }]),
    )
    .await;
    assert_eq!(
        again.data()["recordEvaluation"]["evaluation"][1]["mastery"],
        "ACQUIRED"
    );

    // The certificate of realisation prints each objective and its result.
    app.attend(&admin, &json!({ "id": registration })).await;
    app.complete(&admin, &training).await;
    let mine = app.op("MyCertificates", json!({}), Some(&lea)).await;
    let url = mine.data()["myCertificates"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!(
        "{}{}",
        app.address,
        &url[url.find("/certificates/").unwrap()..]
    );
    let text = pdf_text(
        download(&app, &url, Some(&lea))
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec(),
    )
    .await
    .replace('\n', " ");
    for expected in [
        "Résultats de l'évaluation des acquis",
        "Répondre aux avis des clients : acquis",
        "tenir à jour sa fiche d'établissement : acquis",
    ] {
        assert!(text.contains(expected), "{expected} not in:\n{text}");
    }

    // The training file holds the evaluations and the complaints about the training.
    file(&app, &lea, "Support de cours illisible", Some(&training)).await;
    let mut archive = training_file(&app, &training, &admin).await;
    let mut read = |name: &str| entry(&mut archive, name);
    let evaluations = read("evaluation-des-acquis.csv");
    assert!(
        evaluations.contains("Répondre aux avis des clients,ACQUIRED"),
        "{evaluations}"
    );
    let complaints = read("reclamations.csv");
    assert!(
        complaints.contains("Support de cours illisible,OPEN"),
        "{complaints}"
    );
    assert!(!complaints.contains("lea"), "no author: {complaints}");
}

/// The year's figures, counted by the database, against a count by hand: two trainings in
/// the year (one signed by half-days, one recorded by staff), one the year after, a workshop
/// that is no training; funded, paid and free places.
#[tokio::test]
async fn the_training_year_adds_up_as_counted_by_hand() {
    let app = spawn_app().await;
    // Early June next year: the sessions a week or two ahead all fall in one calendar year.
    let june = chrono::NaiveDate::from_ymd_opt(app.state.now().year() + 1, 6, 1)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc();
    let now = app.state.now();
    app.state.clock.advance(june - now);
    let year = june.year();
    let admin = app.admin_token().await;
    let (trainer, trainer_id) =
        invited_trainer(&app, &admin, "ines@formation.fr", "Inès Formatrice").await;
    // Training A, signed by half-days: a full day (8 h in two halves) and a morning (3 h).
    let a = training_with_trainer(&app, &admin, &trainer_id, json!({ "priceCents": 30000 })).await;
    // Training B, two 3-hour sessions recorded by staff; free.
    let b = app
        .published_activity(&admin, 10, json!({ "kind": "TRAINING", "priceCents": 0 }))
        .await;
    // A workshop: not a training, not counted.
    let w = app.published_activity(&admin, 10, json!({})).await;
    let mut people = Vec::new();
    for n in 0..4 {
        people.push(
            app.persona(Persona::Partner, &format!("p{n}"))
                .await
                .unwrap(),
        );
    }
    let mut on_a = Vec::new();
    for token in &people[..3] {
        on_a.push(app.register(&a, token).await["id"].clone());
    }
    let on_b = app.register(&b, &people[3]).await["id"].clone();
    let on_b_too = app.register(&b, &people[0]).await["id"].clone();
    let on_w = app.register(&w, &people[1]).await["id"].clone();
    for (registration, status, funder) in [
        (&on_a[0], "FUNDED", Some("OPCO Atlas")),
        (&on_a[1], "FUNDED", Some("OPCO Atlas")),
        (&on_a[2], "PAID", None),
    ] {
        app.op(
            "RecordPayment",
            json!({ "registrationId": registration, "status": status, "funder": funder }),
            Some(&admin),
        )
        .await
        .data();
    }
    // B and the workshop: attended in full, recorded by staff.
    for registration in [&on_b, &on_b_too, &on_w] {
        app.attend(&admin, &json!({ "id": registration })).await;
    }
    // A: p0 signs all three half-days (11 h), p1 the first morning only (4 h), p2 nothing.
    let slots = sheet(&app, &a, &trainer).await;
    for (index, slot) in slots.iter().enumerate() {
        let opens: chrono::DateTime<chrono::Utc> =
            slot["startsAt"].as_str().unwrap().parse().unwrap();
        let now = app.state.now();
        app.state.clock.advance(opens - Duration::minutes(5) - now);
        let code = open_sign_in(&app, &slot["id"], &trainer).await;
        let mut signers = vec![&people[0]];
        if index == 0 {
            signers.push(&people[1]);
        }
        for token in signers {
            app.op(
                "SignAttendance",
                json!({ "code": code, "signature": SIGNATURE }),
                Some(token),
            )
            .await
            .data();
        }
    }

    // By hand: A in the year with p0 (11 h) and p1 (4 h); B with p3 and p0 (6 h each).
    // Trainings 2; trainees 4 (p0 twice: once per training); hours 11 + 4 + 6 + 6 = 27.
    // By funder: OPCO Atlas: p0, p1 on A (15 h, 2 × 300 €); SELF: nobody attended (p2 signed
    // nothing); NONE: B's two (12 h, nothing paid).
    let figures = app
        .op("TrainingYear", json!({ "year": year }), Some(&admin))
        .await;
    let figures = figures.data()["trainingYear"].clone();
    assert_eq!(figures["activities"], 2, "{figures:#}");
    assert_eq!(figures["trainees"], 4, "{figures:#}");
    assert_eq!(figures["hoursTrainees"], 27.0, "{figures:#}");
    assert_eq!(
        figures["byFunder"],
        json!([
            { "funder": "NONE", "trainees": 2, "hoursTrainees": 12.0, "amountCents": 0 },
            { "funder": "OPCO Atlas", "trainees": 2, "hoursTrainees": 15.0, "amountCents": 60000 },
        ]),
        "{figures:#}"
    );
    let empty = app
        .op("TrainingYear", json!({ "year": year + 1 }), Some(&admin))
        .await;
    assert_eq!(empty.data()["trainingYear"]["trainees"], 0);
    app.op("TrainingYear", json!({ "year": 1 }), Some(&admin))
        .await
        .expect_error("BAD_USER_INPUT");
    app.op("TrainingYear", json!({ "year": year }), Some(&people[0]))
        .await
        .expect_error("FORBIDDEN");

    // The same as CSV for the accountant, staff only.
    let url = format!("{}/training-years/{year}.csv", app.address);
    let csv = download(&app, &url, Some(&admin)).await;
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap();
    assert!(csv.contains(&format!("{year},ALL,2,4,27,")), "{csv}");
    assert!(
        csv.contains(&format!("{year},OPCO Atlas,,2,15,600.00")),
        "{csv}"
    );
    assert_eq!(download(&app, &url, Some(&people[0])).await.status(), 403);
}

/// A training held before Klub, recorded by staff so that the year's figures and the
/// certificates are whole: partners cannot register for the past, staff can, audited, and no
/// mail tells anyone of a seat at an activity that is over.
#[tokio::test]
async fn staff_record_a_training_that_took_place_before_klub() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(vec![("KLUB_SMTP_URL", smtp.url())]).await;
    let admin = app.admin_token().await;
    let start = app.state.now() - Duration::days(30);
    let sessions = json!([
        { "startsAt": start.to_rfc3339(), "endsAt": (start + Duration::hours(3)).to_rfc3339() },
        { "startsAt": (start + Duration::days(1)).to_rfc3339(),
          "endsAt": (start + Duration::days(1) + Duration::hours(3)).to_rfc3339() },
    ]);
    let training = app
        .published_activity(
            &admin,
            0,
            json!({ "kind": "TRAINING", "title": "Canva, session d'avant", "priceCents": 0, "sessions": sessions }),
        )
        .await;
    let (lea, lea_id) = app.sign_up("lea@hotel.fr", "Léa Hôtelière").await;
    app.op(
        "RegisterForActivity",
        json!({ "activityId": training }),
        Some(&lea),
    )
    .await
    .expect_error("CONFLICT");
    outbox_settled(&app).await;
    let mails_before = smtp.received().len();
    let placed = app
        .op(
            "RegisterForActivity",
            json!({ "activityId": training, "userId": lea_id }),
            Some(&admin),
        )
        .await;
    let registration = placed.data()["registerForActivity"].clone();
    assert_eq!(registration["status"], "CONFIRMED");
    let log = app
        .op(
            "AuditLog",
            json!({ "action": "LATE_REGISTRATION" }),
            Some(&admin),
        )
        .await;
    assert_eq!(log.data()["auditLog"]["totalCount"], 1, "{:#}", log.body);
    app.attend(&admin, &registration).await;
    app.complete(&admin, &training).await;
    let mine = app.op("MyCertificates", json!({}), Some(&lea)).await;
    assert_eq!(mine.data()["myCertificates"][0]["hoursAttended"], 6.0);
    let figures = app
        .op(
            "TrainingYear",
            json!({ "year": start.year() }),
            Some(&admin),
        )
        .await;
    assert!(
        figures.data()["trainingYear"]["hoursTrainees"]
            .as_f64()
            .unwrap()
            >= 6.0,
        "{:#}",
        figures.body
    );
    outbox_settled(&app).await;
    let kinds: Vec<String> = smtp.received()[mails_before..]
        .iter()
        .map(|mail| mail.parsed().subject().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(kinds.len(), 1, "only the certificate: {kinds:?}");
}

/// The mails among `mails` whose subject starts with `prefix`, by recipient.
fn to_of(mails: &[crate::smtp::Received], prefix: &str) -> Vec<String> {
    let chosen: Vec<_> = mails
        .iter()
        .filter(|m| subject(m).starts_with(prefix))
        .cloned()
        .collect();
    recipients(&chosen)
}

/// A training's whole loop through the contract: positioning before (asked at registration,
/// reminded 3 days before to whoever has not answered, read by name by its trainer), the
/// evaluation and the survey at the end, the cold survey weeks later (reminded a week after),
/// and the training file holding all of it. The three questionnaires are one engine's.
#[tokio::test]
async fn a_training_loop_runs_from_positioning_to_the_cold_survey() {
    let smtp = SmtpServer::start().await;
    let app = app_with(&smtp).await;
    let admin = app.admin_token().await;
    invite_trainer(&app, &admin, "ines@formation.fr").await;
    let invitation = new_mails(&app, &smtp, &mut 0).await;
    let invitation = text(invitation.last().unwrap());
    let token: String = invitation[invitation.find("token=").unwrap() + "token=".len()..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let (trainer, trainer_id) = accept_as_trainer(&app, &token, "Inès Formatrice").await;
    let training = training_with_trainer(&app, &admin, &trainer_id, json!({})).await;
    let (first_start, last_end) = (
        nine_local(&app, 7),
        nine_local(&app, 8) + Duration::hours(3),
    );
    let (ann, _) = app.sign_up("ann@example.fr", "Ann Hôtelière").await;
    let (bob, _) = app.sign_up("bob@example.fr", "Bob Gîte").await;
    let (cid, _) = app.sign_up("cid@example.fr", "Cid Camping").await;
    let mut seen = new_mails(&app, &smtp, &mut 0).await.len();

    // The trainer sets the positioning; a partner cannot.
    let questions = json!([
        { "kind": "RATING", "text": "Votre aisance avec Instagram ?" },
        { "kind": "CHOICE", "text": "Vous publiez…", "choices": ["jamais", "chaque mois", "chaque semaine"] },
        { "kind": "TEXT", "text": "Qu'attendez-vous de la formation ?" },
    ]);
    let set_positioning = |token: String| {
        let app = &app;
        let variables = json!({ "activityId": training, "questions": questions });
        async move { app.op("SetPositioning", variables, Some(&token)).await }
    };
    set_positioning(ann.clone()).await.expect_error("FORBIDDEN");
    let set = set_positioning(trainer.clone()).await;
    let positioning = set.data()["setPositioning"].clone();
    let asked: Vec<Value> = positioning["questions"].as_array().unwrap().clone();
    assert_eq!(asked.len(), 3);
    assert_eq!(asked[1]["choices"][2], "chaque semaine");

    // Registering is being asked, once, by the next pass of the scheduler.
    app.register(&training, &ann).await;
    app.register(&training, &bob).await;
    run_scheduler(&app).await;
    run_scheduler(&app).await;
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(
        to_of(&mails, "Avant « Réseaux sociaux pour hébergeurs »"),
        ["ann@example.fr", "bob@example.fr"]
    );
    let invitation = mails
        .iter()
        .find(|m| subject(m).starts_with("Avant") && m.to[0] == "ann@example.fr")
        .unwrap();
    let link = format!("/positionings/{}", positioning["id"].as_str().unwrap());
    assert!(text(invitation).contains(&link), "{}", text(invitation));

    let mine = app.op("MyPositionings", json!({}), Some(&ann)).await;
    let listed = &mine.data()["myPositionings"];
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(
        (&listed[0]["id"], &listed[0]["answered"]),
        (&positioning["id"], &json!(false))
    );
    assert_eq!(
        app.op("MyPositionings", json!({}), Some(&cid)).await.data()["myPositionings"],
        json!([])
    );

    let answer = |token: String, answers: Value| {
        let app = &app;
        let variables = json!({ "positioningId": positioning["id"], "answers": answers });
        async move { app.op("AnswerPositioning", variables, Some(&token)).await }
    };
    let anns = json!([
        { "questionId": asked[0]["id"], "rating": 2 },
        { "questionId": asked[1]["id"], "choice": "chaque mois" },
        { "questionId": asked[2]["id"], "text": "Savoir quoi publier l'hiver." },
    ]);
    // Not a registrant; a wrong choice; then Ann, once.
    answer(cid.clone(), anns.clone())
        .await
        .expect_error("FORBIDDEN");
    let wrong = answer(
        ann.clone(),
        json!([{ "questionId": asked[1]["id"], "choice": "tous les jours" }]),
    )
    .await;
    wrong.expect_error("BAD_USER_INPUT");
    assert_eq!(
        wrong.body["errors"][0]["extensions"]["field"],
        "answers[0].choice"
    );
    assert_eq!(
        answer(ann.clone(), anns.clone()).await.data()["answerPositioning"],
        true
    );
    answer(ann.clone(), anns.clone())
        .await
        .expect_error("CONFLICT");
    // Answered: the questions no longer change.
    set_positioning(trainer.clone())
        .await
        .expect_error("CONFLICT");
    // A survey's operation does not reach a positioning.
    app.op(
        "AnswerSurvey",
        json!({ "surveyId": positioning["id"], "answers": [{ "questionId": asked[0]["id"], "rating": 2 }] }),
        Some(&bob),
    )
    .await
    .expect_error("NOT_FOUND");

    // Three days before the first session: Bob, who has not answered, is reminded, once.
    let now = app.state.now();
    app.state
        .clock
        .advance(first_start - Duration::days(3) - now + Duration::minutes(5));
    run_scheduler(&app).await;
    run_scheduler(&app).await;
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(recipients(&mails), ["bob@example.fr"]);
    assert!(subject(&mails[0]).starts_with("Rappel : « Réseaux sociaux pour hébergeurs »"));

    // The trainer reads each trainee's answers by name; a trainee cannot.
    let read = app
        .op(
            "Positioning",
            json!({ "activityId": training }),
            Some(&trainer),
        )
        .await;
    let responses = read.data()["activity"]["positioning"]["responses"].clone();
    assert_eq!(responses.as_array().unwrap().len(), 1);
    assert_eq!(
        responses[0]["registration"]["user"]["name"],
        "Ann Hôtelière"
    );
    assert_eq!(
        responses[0]["answers"],
        json!([
            { "question": { "id": asked[0]["id"], "text": "Votre aisance avec Instagram ?" },
              "rating": 2, "text": null, "choice": null },
            { "question": { "id": asked[1]["id"], "text": "Vous publiez…" },
              "rating": null, "text": null, "choice": "chaque mois" },
            { "question": { "id": asked[2]["id"], "text": "Qu'attendez-vous de la formation ?" },
              "rating": null, "text": "Savoir quoi publier l'hiver.", "choice": null },
        ])
    );
    app.op("Positioning", json!({ "activityId": training }), Some(&ann))
        .await
        .expect_error("FORBIDDEN");

    // Once the first session has ended, positioning is closed.
    let now = app.state.now();
    app.state
        .clock
        .advance(first_start + Duration::hours(8) - now + Duration::minutes(1));
    answer(
        bob.clone(),
        json!([{ "questionId": asked[0]["id"], "rating": 4 }]),
    )
    .await
    .expect_error("CONFLICT");
    assert_eq!(
        app.op("MyPositionings", json!({}), Some(&bob)).await.data()["myPositionings"],
        json!([])
    );

    // At the end: the satisfaction survey and the evaluation; weeks later: the cold survey.
    let end_survey = app
        .op(
            "SetSurvey",
            json!({ "activityId": training, "questions": [{ "kind": "RATING", "text": "Satisfait ?" }] }),
            Some(&admin),
        )
        .await;
    let end_survey = end_survey.data()["setSurvey"].clone();
    let cold = |weeks: i64| {
        json!({ "activityId": training, "weeksAfter": weeks, "anonymous": false,
                "questions": [{ "kind": "TEXT", "text": "Qu'avez-vous changé depuis ?" }] })
    };
    app.op("SetColdSurvey", cold(0), Some(&admin))
        .await
        .expect_error("BAD_USER_INPUT");
    app.op("SetColdSurvey", cold(6), Some(&ann))
        .await
        .expect_error("FORBIDDEN");
    let cold_survey = app.op("SetColdSurvey", cold(6), Some(&admin)).await;
    let cold_survey = cold_survey.data()["setColdSurvey"].clone();
    let sends_at = chrono::DateTime::parse_from_rfc3339(cold_survey["sendsAt"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    assert_eq!(sends_at, last_end + Duration::weeks(6));
    assert_eq!(cold_survey["anonymous"], false);

    let now = app.state.now();
    app.state.clock.advance(last_end - now);
    let registrations = app.activity(&training, &admin).await["registrations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect::<Vec<_>>();
    for registration in &registrations {
        app.attend(&admin, registration).await;
    }
    let anns_registration = registrations
        .iter()
        .find(|r| r["user"]["name"] == "Ann Hôtelière")
        .unwrap()["id"]
        .clone();
    app.op(
        "RecordEvaluation",
        json!({ "registrationId": anns_registration,
                "results": [{ "objective": 0, "mastery": "ACQUIRED" }] }),
        Some(&trainer),
    )
    .await
    .data();
    app.complete(&admin, &training).await;
    let end_question = end_survey["questions"][0]["id"].clone();
    app.op(
        "AnswerSurvey",
        json!({ "surveyId": end_survey["id"], "answers": [{ "questionId": end_question, "rating": 5 }] }),
        Some(&ann),
    )
    .await
    .data();
    // Not sent yet: nobody can answer the cold survey, nor sees it.
    let cold_question = app
        .op("ColdSurvey", json!({ "id": training }), Some(&admin))
        .await
        .data()["activity"]["coldSurvey"]["questions"][0]["id"]
        .clone();
    let answer_cold = |token: String| {
        let app = &app;
        let variables = json!({ "surveyId": cold_survey["id"],
            "answers": [{ "questionId": cold_question, "text": "Je publie chaque semaine." }] });
        async move { app.op("AnswerSurvey", variables, Some(&token)).await }
    };
    answer_cold(ann.clone()).await.expect_error("FORBIDDEN");
    let surveys = app.op("MySurveys", json!({}), Some(&ann)).await;
    assert_eq!(surveys.data()["mySurveys"].as_array().unwrap().len(), 1);
    new_mails(&app, &smtp, &mut seen).await;

    // Its time comes: both attendees are asked, once; Ann answers; a week later Bob is
    // reminded, once.
    let now = app.state.now();
    app.state
        .clock
        .advance(sends_at - now + Duration::minutes(1));
    run_scheduler(&app).await;
    run_scheduler(&app).await;
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(
        to_of(
            &mails,
            "Quelques semaines après « Réseaux sociaux pour hébergeurs »"
        ),
        ["ann@example.fr", "bob@example.fr"]
    );
    assert_eq!(mails.len(), 2);
    let surveys = app.op("MySurveys", json!({}), Some(&ann)).await;
    assert_eq!(surveys.data()["mySurveys"][0]["id"], cold_survey["id"]);
    assert_eq!(answer_cold(ann.clone()).await.data()["answerSurvey"], true);
    answer_cold(cid.clone()).await.expect_error("FORBIDDEN");
    app.op("SetColdSurvey", cold(8), Some(&admin))
        .await
        .expect_error("CONFLICT");
    app.state.clock.advance(Duration::weeks(1));
    run_scheduler(&app).await;
    run_scheduler(&app).await;
    let mails = new_mails(&app, &smtp, &mut seen).await;
    assert_eq!(recipients(&mails), ["bob@example.fr"]);
    assert!(subject(&mails[0]).starts_with("Rappel : votre avis"));
    let results = app
        .op("ColdSurvey", json!({ "id": training }), Some(&admin))
        .await;
    let found = &results.data()["activity"]["coldSurvey"];
    assert_eq!(found["purpose"], "COLD");
    assert_eq!(found["responseCount"], 1);
    assert_eq!(
        found["results"][0]["texts"],
        json!(["Je publie chaque semaine."])
    );

    // The training file holds the positioning by name, the evaluation, and both surveys.
    let mut archive = training_file(&app, &training, &admin).await;
    let mut read = |name: &str| entry(&mut archive, name);
    let positioning = read("positionnement.csv");
    assert!(
        positioning.contains("Vous publiez…,chaque mois,Ann Hôtelière"),
        "{positioning}"
    );
    assert!(read("evaluation-des-acquis.csv").contains("Ann Hôtelière"));
    assert!(read("enquete-satisfaction.csv").contains("Satisfait ?,5"));
    assert!(
        read("enquete-a-froid.csv")
            .contains("Qu'avez-vous changé depuis ?,Je publie chaque semaine.,Ann Hôtelière")
    );
    let index = read("LISEZMOI.txt");
    for listed in [
        "positionnement.csv",
        "enquete-satisfaction.csv",
        "enquete-a-froid.csv",
    ] {
        assert!(index.contains(listed), "{listed} in:\n{index}");
    }
}

/// The training's file as staff download it, opened.
async fn training_file(
    app: &TestApp,
    training: &str,
    token: &str,
) -> zip::ZipArchive<std::io::Cursor<Vec<u8>>> {
    let url = format!("{}/activities/{training}/training-file.zip", app.address);
    let bytes = download(app, &url, Some(token))
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap()
}

/// One entry of a training file, as text.
fn entry(archive: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> String {
    use std::io::Read;
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap_or_else(|_| panic!("{name} in the file"))
        .read_to_string(&mut text)
        .unwrap();
    text
}
