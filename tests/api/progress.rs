//! Progress end to end: the self-diagnostic (versions, scores, the anonymity floor,
//! recommendations), the programme's statistics on a small dataset whose every figure is
//! computed by hand below, and the monthly report mailed once by two instances.

use chrono::{Datelike, Duration, TimeZone};
use mail_parser::MimeHeaders;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, outbox_settled, run_scheduler, spawn_app, spawn_app_with, spawn_beside,
};
use crate::organisations::create;
use crate::smtp::SmtpServer;

/// Three axes: "Site web" (two questions), "Avis en ligne" and "Réseaux sociaux" (one each);
/// every question offers 0, 2 or 4 points.
pub fn diagnostic_input(title: &str) -> Value {
    let question = |text: &str| {
        json!({ "text": text, "options": [
            { "label": "Non", "points": 0 }, { "label": "En partie", "points": 2 }, { "label": "Oui", "points": 4 },
        ] })
    };
    json!({ "title": title, "axes": [
        { "name": "Site web", "questions": [question("Un site à jour ?"), question("Réservable en ligne ?")] },
        { "name": "Avis en ligne", "questions": [question("Répondez-vous aux avis ?")] },
        { "name": "Réseaux sociaux", "questions": [question("Publiez-vous chaque semaine ?")] },
    ] })
}

/// Option `pick` (0, 1 or 2) of every question.
pub fn answers(diagnostic: &Value, pick: usize) -> Value {
    picked(diagnostic, &[pick; 4])
}

/// Option `picks[i]` of the i-th question, in the order of the axes.
fn picked(diagnostic: &Value, picks: &[usize]) -> Value {
    let questions: Vec<&Value> = diagnostic["axes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|axis| axis["questions"].as_array().unwrap())
        .collect();
    Value::Array(
        questions
            .iter()
            .zip(picks)
            .map(
                |(q, pick)| json!({ "questionId": q["id"], "optionId": q["options"][*pick]["id"] }),
            )
            .collect(),
    )
}

pub async fn publish(app: &TestApp, admin: &str, title: &str) -> Value {
    app.op(
        "PublishDiagnostic",
        json!({ "input": diagnostic_input(title) }),
        Some(admin),
    )
    .await
    .data()["publishDiagnostic"]
        .clone()
}

pub async fn submit(
    app: &TestApp,
    token: &str,
    diagnostic: &Value,
    answers: Value,
) -> crate::helpers::Gql {
    app.op(
        "SubmitAssessment",
        json!({ "diagnosticId": diagnostic["id"], "answers": answers }),
        Some(token),
    )
    .await
}

fn scores(assessment: &Value) -> Vec<(String, f64)> {
    assessment["axisScores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["axis"]["name"].as_str().unwrap().to_owned(),
                s["score"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn assessments_are_versioned_scored_and_recommend_what_helps() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (lea, _) = app.sign_up("lea@hotel.fr", "Léa").await;
    assert!(
        app.op("CurrentDiagnostic", json!({}), Some(&lea))
            .await
            .data()["currentDiagnostic"]
            .is_null()
    );
    let organisation = app
        .op(
            "CreateOrganisation",
            json!({ "input": { "name": "Le Grand Hôtel", "sector": "ACCOMMODATION" } }),
            Some(&lea),
        )
        .await
        .data()["createOrganisation"]["id"]
        .clone();
    let first = publish(&app, &admin, "SNUT 2026").await;
    assert_eq!(first["version"], 1);
    let axes = first["axes"].as_array().unwrap().clone();

    // Activities working on each axis: the two weakest pick them, soonest first, among those
    // Léa may join.
    let tag = |id: String, axis: usize| {
        let axes = axes.clone();
        let app = &app;
        let admin = admin.clone();
        async move {
            app.op(
                "TagActivity",
                json!({ "activityId": id, "axisIds": [axes[axis]["id"]] }),
                Some(&admin),
            )
            .await
            .data()["tagActivity"]
                .clone()
        }
    };
    let reviews_soon = app
        .published_activity(&admin, 3, json!({ "title": "Avis Google" }))
        .await;
    let social_later = app
        .published_activity(&admin, 9, json!({ "title": "Instagram" }))
        .await;
    let website = app
        .published_activity(&admin, 2, json!({ "title": "WordPress" }))
        .await;
    let draft = app
        .create_activity(&admin, 4, json!({ "title": "Brouillon" }))
        .await;
    let trained_only = app
        .published_activity(
            &admin,
            5,
            json!({ "title": "Club", "audience": "TRAINED_PARTNERS" }),
        )
        .await;
    let tagged = tag(reviews_soon.clone(), 1).await;
    assert_eq!(tagged["axes"][0]["name"], "Avis en ligne");
    tag(social_later.clone(), 2).await;
    tag(website, 0).await;
    tag(draft, 1).await;
    tag(trained_only, 1).await;

    // Site web: 4 + 2 of 8 = 75; Avis: 0 of 4 = 0; Réseaux: 2 of 4 = 50; overall 125/3.
    let taken = submit(&app, &lea, &first, picked(&first, &[2, 1, 0, 1])).await;
    let assessment = taken.data()["submitAssessment"].clone();
    assert_eq!(
        scores(&assessment),
        [
            ("Site web".to_owned(), 75.0),
            ("Avis en ligne".into(), 0.0),
            ("Réseaux sociaux".into(), 50.0)
        ]
    );
    assert!((assessment["score"].as_f64().unwrap() - 125.0 / 3.0).abs() < 1e-9);
    let recommended: Vec<&Value> = assessment["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["id"])
        .collect();
    assert_eq!(recommended, [&json!(reviews_soon), &json!(social_later)]);

    // Missing, foreign and repeated answers name the question.
    let mut missing = picked(&first, &[0, 0, 0, 0]);
    missing.as_array_mut().unwrap().pop();
    let last_question = axes[2]["questions"][0]["id"].as_str().unwrap().to_owned();
    let bad = submit(&app, &lea, &first, missing).await;
    bad.expect_error("BAD_USER_INPUT");
    assert_eq!(bad.error_field(), Some("answers"));
    assert!(
        bad.body
            .to_string()
            .contains(&format!("question {last_question}")),
        "{}",
        bad.body
    );
    let mut foreign = picked(&first, &[0, 0, 0, 0]);
    foreign[0]["optionId"] = axes[1]["questions"][0]["options"][0]["id"].clone();
    let bad = submit(&app, &lea, &first, foreign).await;
    assert_eq!(bad.error_field(), Some("answers[0].optionId"));
    let mut twice = picked(&first, &[0, 0, 0, 0]);
    let copy = twice[0].clone();
    twice.as_array_mut().unwrap().push(copy);
    assert_eq!(
        submit(&app, &lea, &first, twice).await.error_field(),
        Some("answers[4].questionId")
    );
    submit(&app, &admin, &first, answers(&first, 0))
        .await
        .expect_error("FORBIDDEN");

    // A new version: the old assessment keeps its meaning; the old version is closed.
    let second = publish(&app, &admin, "SNUT 2027").await;
    assert_eq!(second["version"], 2);
    assert_eq!(
        app.op("CurrentDiagnostic", json!({}), Some(&lea))
            .await
            .data()["currentDiagnostic"]["id"],
        second["id"]
    );
    submit(&app, &lea, &first, answers(&first, 2))
        .await
        .expect_error("CONFLICT");
    submit(&app, &lea, &second, answers(&second, 2))
        .await
        .data();
    // A colleague sees the organisation's history, oldest first.
    let (max, max_id) = app.sign_up("max@hotel.fr", "Max").await;
    app.op(
        "AddOrganisationMember",
        json!({ "organisationId": organisation, "userId": max_id, "role": "MEMBER" }),
        Some(&lea),
    )
    .await
    .data();
    let invited = app
        .op("MyOrganisationInvitations", json!({}), Some(&max))
        .await;
    app.op(
        "AnswerOrganisationInvitation",
        json!({ "id": invited.data()["myOrganisationInvitations"][0]["id"], "accept": true }),
        Some(&max),
    )
    .await
    .data();
    let progress = app.op("MyProgress", json!({}), Some(&max)).await;
    let history = progress.data()["myProgress"]["assessments"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["id"], assessment["id"]);
    assert_eq!(scores(&history[0])[0], ("Site web".to_owned(), 75.0));
    assert_eq!(history[1]["score"], 100.0);
}

#[tokio::test]
async fn the_network_average_shows_from_five_organisations() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let diagnostic = publish(&app, &admin, "SNUT").await;
    let mut tokens = Vec::new();
    for i in 0..5 {
        let (token, id) = app
            .sign_up(&format!("p{i}@example.fr"), &format!("P{i}"))
            .await;
        // Only a business someone of which was trained counts (step 13).
        app.op(
            "SetTrained",
            json!({ "userId": id, "trained": true }),
            Some(&admin),
        )
        .await
        .data();
        tokens.push(token);
    }
    // Four subjects, one of them twice (its latest counts): nothing published yet.
    submit(&app, &tokens[0], &diagnostic, answers(&diagnostic, 0))
        .await
        .data();
    for token in &tokens[..4] {
        submit(&app, token, &diagnostic, answers(&diagnostic, 2))
            .await
            .data();
    }
    let network = |token: &str| {
        let token = token.to_owned();
        let app = &app;
        async move {
            app.op("MyProgress", json!({}), Some(&token)).await.data()["myProgress"]["network"]
                .clone()
        }
    };
    let hidden = network(&tokens[0]).await;
    assert_eq!(hidden[0]["organisations"], 0);
    assert!(hidden[0]["averageScore"].is_null());
    // The fifth: four at 100, one at 0 → 80 on every axis.
    submit(&app, &tokens[4], &diagnostic, answers(&diagnostic, 0))
        .await
        .data();
    let shown = network(&tokens[1]).await;
    for axis in shown.as_array().unwrap() {
        assert_eq!(axis["organisations"], 5);
        assert_eq!(axis["averageScore"], 80.0);
    }
}

/// Every figure of the report on a dataset small enough to count by hand (see each comment).
#[tokio::test]
async fn the_programme_report_counts_what_happened() {
    let app = spawn_app_with(vec![
        ("KLUB_OPENING_HOURS", "00:00-23:59".into()),
        ("KLUB_SCHEDULER_TICK_SECONDS", "3600".into()),
    ])
    .await;
    let admin = app.admin_token().await;
    let from = app.state.now() - Duration::hours(1);
    let to = app.state.now() + Duration::days(20);
    let diagnostic = publish(&app, &admin, "SNUT").await;
    let mut people = Vec::new();
    for name in ["A", "B", "C", "D", "E"] {
        people.push(
            app.sign_up(&format!("{}@example.fr", name.to_lowercase()), name)
                .await
                .0,
        );
    }
    let (a, b, c, d, e) = (&people[0], &people[1], &people[2], &people[3], &people[4]);

    // Cancelled for too few: its deadline passes with one registration of two needed.
    let too_few = app
        .published_activity(
            &admin,
            4,
            json!({ "minParticipants": 2, "registrationDeadline": (app.state.now() + Duration::minutes(30)).to_rfc3339() }),
        )
        .await;
    app.register(&too_few, e).await;
    app.state.clock.advance(Duration::hours(1));
    run_scheduler(&app).await;
    // Cancelled by staff, in the scheduler's words: still staff's cancellation.
    let stormy = app.published_activity(&admin, 6, json!({})).await;
    app.op(
        "CancelActivity",
        json!({ "id": stormy, "reason": "Not enough participants" }),
        Some(&admin),
    )
    .await
    .data();

    let attend = |registration: Value, sessions: usize, activity: String| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let all = app.activity(&activity, &admin).await["sessions"].clone();
            for session in all.as_array().unwrap().iter().take(sessions) {
                app.op(
                    "RecordAttendance",
                    json!({ "registrationId": registration["id"], "attended": true, "sessionId": session["id"] }),
                    Some(&admin),
                )
                .await
                .data();
            }
        }
    };
    // W1, a workshop of 4 seats at 40 €: A attends one session (PAID), B both (FUNDED), C none.
    let w1 = app
        .published_activity(&admin, 2, json!({ "capacity": 4, "priceCents": 4000 }))
        .await;
    let ra = app.register(&w1, a).await;
    let rb = app.register(&w1, b).await;
    app.register(&w1, c).await;
    attend(ra.clone(), 1, w1.clone()).await;
    attend(rb.clone(), 2, w1.clone()).await;
    for (registration, status, funder) in
        [(&ra, "PAID", Value::Null), (&rb, "FUNDED", json!("OPCO"))]
    {
        app.op(
            "RecordPayment",
            json!({ "registrationId": registration["id"], "status": status, "funder": funder }),
            Some(&admin),
        )
        .await
        .data();
    }
    // T1, a free training of 2 seats: D attends both (and becomes trained), A none.
    let t1 = app
        .published_activity(
            &admin,
            3,
            json!({ "kind": "TRAINING", "capacity": 2, "priceCents": 0 }),
        )
        .await;
    app.register(&t1, a).await;
    let rd = app.register(&t1, d).await;
    attend(rd, 2, t1.clone()).await;
    // K1, a conference of 10 seats: E attends.
    let k1 = app
        .published_activity(
            &admin,
            5,
            json!({ "kind": "CONFERENCE", "capacity": 10, "priceCents": 0 }),
        )
        .await;
    let re = app.register(&k1, e).await;
    attend(re, 1, k1.clone()).await;
    // Outside the period (its first session after `to`): held, but not counted.
    let later = app.published_activity(&admin, 30, json!({})).await;
    let rl = app.register(&later, c).await;
    attend(rl, 1, later.clone()).await;
    for id in [&w1, &t1, &k1, &later] {
        app.complete(&admin, id).await;
    }

    // D, trained now, asks two club questions (one answered) and opens three group
    // questions: answered after 10 minutes, after 50 minutes, and never.
    let meeting = app
        .published_activity(&admin, 6, json!({ "kind": "CLUB_MEETING" }))
        .await;
    let mut asked = Vec::new();
    for text in ["Q1", "Q2"] {
        let question = app
            .op(
                "AskClubQuestion",
                json!({ "meetingId": meeting, "text": text }),
                Some(d),
            )
            .await;
        asked.push(question.data()["askClubQuestion"]["id"].clone());
    }
    app.op(
        "AnswerClubQuestion",
        json!({ "questionId": asked[0], "answer": "R" }),
        Some(&admin),
    )
    .await
    .data();
    let club = app.group_id(d, "Partners' club").await;
    let mut threads = Vec::new();
    for title in ["G1", "G2", "G3"] {
        let started = app
            .op(
                "StartThread",
                json!({ "groupId": club, "title": title, "body": "?", "isQuestion": true }),
                Some(d),
            )
            .await;
        threads.push(started.data()["startThread"]["id"].clone());
    }
    for (thread, wait) in [(&threads[0], 10), (&threads[1], 40)] {
        app.state.clock.advance(Duration::minutes(wait));
        app.op(
            "Reply",
            json!({ "threadId": thread, "body": "!" }),
            Some(&admin),
        )
        .await
        .data();
    }

    // The hotel of A assessed twice (all 0, then all 4): +100 on every axis; B once: not counted.
    submit(&app, a, &diagnostic, answers(&diagnostic, 0))
        .await
        .data();
    submit(&app, b, &diagnostic, answers(&diagnostic, 1))
        .await
        .data();
    app.state.clock.advance(Duration::days(1));
    submit(&app, a, &diagnostic, answers(&diagnostic, 2))
        .await
        .data();

    let report = app
        .op(
            "ProgrammeReport",
            json!({ "from": from.to_rfc3339(), "to": to.to_rfc3339() }),
            Some(&admin),
        )
        .await;
    let r = report.data()["programmeReport"].clone();
    let expected = json!({
        "activitiesHeld": 3,                       // W1, T1, K1
        "activitiesCancelled": 2,                  // too few, by staff
        "cancelledForTooFewParticipants": 1,
        "registrations": 6,                        // W1: A B C, T1: A D, K1: E
        "fillRate": 0.375,                         // 6 of 4 + 2 + 10 seats
        "noShows": 2,                              // C in W1, A in T1
        "newlyTrained": 1,                         // D
        "activePartners": 4,                       // A, B, D, E attended; D also posted
        "clubQuestionsAsked": 2,
        "clubQuestionsAnswered": 1,
        "groupQuestions": 3,
        "medianFirstResponseMinutes": 30.0,        // 10 and 50
        "revenueCents": 4000,                      // A paid
        "fundedCents": 4000,                       // B funded
    });
    for (field, value) in expected.as_object().unwrap() {
        assert_eq!(&r[field], value, "{field}: {r:#}");
    }
    let close = |value: &Value, expected: f64| (value.as_f64().unwrap() - expected).abs() < 1e-9;
    assert!(close(&r["attendanceRate"], 4.0 / 6.0), "{r:#}"); // A, B, D, E of 6
    assert!(
        close(&r["groupQuestionsAnsweredInTarget"], 1.0 / 3.0),
        "{r:#}"
    ); // G1 of 3
    assert_eq!(
        r["byKind"],
        json!([
            { "kind": "CONFERENCE", "held": 1, "registrations": 1, "attendanceRate": 1.0 },
            { "kind": "TRAINING", "held": 1, "registrations": 2, "attendanceRate": 0.5 },
            { "kind": "WORKSHOP", "held": 1, "registrations": 3, "attendanceRate": 2.0 / 3.0 },
        ])
    );
    for axis in r["maturity"].as_array().unwrap() {
        assert_eq!(axis["averageChange"], 100.0, "{r:#}");
        assert_eq!(axis["organisations"], 1);
    }
    let bad = app
        .op(
            "ProgrammeReport",
            json!({ "from": to.to_rfc3339(), "to": from.to_rfc3339() }),
            Some(&admin),
        )
        .await;
    bad.expect_error("BAD_USER_INPUT");
}

/// The first day of the month after `now`, 08:00 in Paris, as a distance from `now`.
fn to_next_month(app: &TestApp) -> (Duration, String) {
    let now = app.state.now().with_timezone(&chrono_tz::Europe::Paris);
    let (year, month) = if now.month() == 12 {
        (now.year() + 1, 1)
    } else {
        (now.year(), now.month() + 1)
    };
    let target = chrono_tz::Europe::Paris
        .with_ymd_and_hms(year, month, 1, 8, 0, 0)
        .unwrap();
    let previous = format!("{:04}-{:02}", now.year(), now.month());
    (
        target.with_timezone(&chrono::Utc) - app.state.now(),
        previous,
    )
}

#[tokio::test]
async fn the_monthly_report_reaches_the_admins_once_from_two_instances() {
    let smtp = SmtpServer::start().await;
    let env = || {
        vec![
            ("KLUB_SMTP_URL", smtp.url()),
            ("KLUB_SCHEDULER_TICK_SECONDS", "3600".into()),
            ("KLUB_OFFICE_NAME", "Office du Golfe".into()),
        ]
    };
    let first = spawn_app_with(env()).await;
    let second = spawn_beside(&first, env()).await;
    let admin = first.admin_token().await;
    let (partner, partner_id) = first.sign_up("ann@example.fr", "Ann").await;
    first.promote(&partner_id, "ADMIN").await;
    let id = first
        .published_activity(&admin, 1, json!({ "capacity": 4 }))
        .await;
    let registration = first.register(&id, &partner).await;
    first.attend(&admin, &registration).await;
    first.complete(&admin, &id).await;
    outbox_settled(&first).await;
    let before = smtp.received().len();

    let (distance, month) = to_next_month(&first);
    for app in [&first, &second] {
        app.state.clock.advance(distance);
    }
    for _ in 0..2 {
        tokio::join!(run_scheduler(&first), run_scheduler(&second));
    }
    outbox_settled(&first).await;
    outbox_settled(&second).await;
    let mails: Vec<_> = smtp.received()[before..]
        .iter()
        .filter(|m| m.parsed().subject().is_some_and(|s| s.contains(&month)))
        .cloned()
        .collect();
    let mut to: Vec<&str> = mails.iter().map(|m| m.to[0].as_str()).collect();
    to.sort();
    assert_eq!(
        to,
        ["admin@klub.test", "ann@example.fr"],
        "one each, from two instances"
    );
    let parsed = mails[0].parsed();
    let html = parsed.body_html(0).unwrap().into_owned();
    assert!(
        html.contains("<svg") && html.contains("Office du Golfe"),
        "{html}"
    );
    let csv = parsed.attachments().next().expect("the CSV");
    assert_eq!(
        csv.attachment_name(),
        Some(format!("klub-report-{month}.csv").as_str())
    );
    let csv = String::from_utf8_lossy(csv.contents()).into_owned();
    assert!(csv.starts_with("figure,value\n"), "{csv}");

    // The same report, served to staff.
    let page = first
        .client
        .get(format!("{}/reports/{month}.html", first.address))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<svg"));
    let file = first
        .client
        .get(format!("{}/reports/{month}.csv", first.address))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    let (plain, _) = first.sign_up("bob@example.fr", "Bob").await;
    for (url, token, status) in [
        (format!("/reports/{month}.html"), Some(&plain), 403),
        (format!("/reports/{month}.html"), None, 401),
        ("/reports/2026-13.html".to_owned(), Some(&admin), 404),
        (format!("/reports/{month}.pdf"), Some(&admin), 404),
    ] {
        let mut request = first.client.get(format!("{}{url}", first.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        assert_eq!(request.send().await.unwrap().status(), status, "{url}");
    }
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
