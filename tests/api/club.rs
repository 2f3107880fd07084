//! The monthly club: a season scheduled in one call, questions brought, voted and answered.

use chrono::{TimeZone, Timelike};
use chrono_tz::Europe::Paris;
use serde_json::{Value, json};

use crate::helpers::{Persona, spawn_app};

#[tokio::test]
async fn a_season_is_scheduled_at_the_same_local_time_every_month() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // The second Tuesday of October 2030 at 18:00 in Paris; four meetings, no club in December.
    let first = Paris.with_ymd_and_hms(2030, 10, 8, 18, 0, 0).unwrap();
    let answer = app
        .op(
            "ScheduleClubSeason",
            json!({ "input": {
                "title": "Club numérique", "firstMeetingAt": first.to_rfc3339(),
                "durationMinutes": 120, "meetings": 4, "capacity": 25, "skipMonths": [12],
            } }),
            Some(&admin),
        )
        .await;
    let meetings = answer.data()["scheduleClubSeason"]
        .as_array()
        .unwrap()
        .clone();
    let local: Vec<(String, u32)> = meetings
        .iter()
        .map(|m| {
            assert_eq!(m["status"], "PUBLISHED");
            assert_eq!(m["audience"], "TRAINED_PARTNERS");
            let at: chrono::DateTime<chrono::Utc> =
                m["startsAt"].as_str().unwrap().parse().unwrap();
            let at = at.with_timezone(&Paris);
            (at.format("%Y-%m-%d").to_string(), at.hour())
        })
        .collect();
    assert_eq!(
        local,
        [
            ("2030-10-08".to_owned(), 18),
            ("2030-11-12".to_owned(), 18),
            ("2031-01-14".to_owned(), 18),
            ("2031-02-11".to_owned(), 18),
        ]
    );

    // One meeting can be moved alone.
    let id = meetings[1]["id"].as_str().unwrap();
    let sessions = app.activity(id, &admin).await["sessions"].clone();
    let moved = Paris.with_ymd_and_hms(2030, 11, 19, 18, 0, 0).unwrap();
    app.op(
        "UpdateActivity",
        json!({ "id": id, "input": { "sessions": [{ "id": sessions[0]["id"], "startsAt": moved.to_rfc3339(), "endsAt": (moved + chrono::Duration::hours(2)).to_rfc3339() }] } }),
        Some(&admin),
    )
    .await
    .data();
    let other = app
        .activity(meetings[2]["id"].as_str().unwrap(), &admin)
        .await;
    assert_eq!(other["sessions"].as_array().unwrap().len(), 1);

    let bad = app
        .op(
            "ScheduleClubSeason",
            json!({ "input": { "title": "Club", "firstMeetingAt": first.to_rfc3339(), "durationMinutes": 120, "meetings": 13, "capacity": 25 } }),
            Some(&admin),
        )
        .await;
    bad.expect_error("BAD_USER_INPUT");
    assert_eq!(bad.error_field(), Some("meetings"));
}

#[tokio::test]
async fn questions_are_asked_voted_once_and_answered() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let meeting = app
        .published_activity(&admin, 10, json!({ "kind": "CLUB_MEETING" }))
        .await;
    let ann = app.persona(Persona::TrainedPartner, "ann").await.unwrap();
    let bob = app.persona(Persona::TrainedPartner, "bob").await.unwrap();
    let untrained = app.persona(Persona::Partner, "carl").await.unwrap();

    let ask = |token: &str, text: &str| {
        let app = &app;
        let (token, text, meeting) = (token.to_owned(), text.to_owned(), meeting.clone());
        async move {
            app.op(
                "AskClubQuestion",
                json!({ "meetingId": meeting, "text": text }),
                Some(&token),
            )
            .await
        }
    };
    let first = ask(&ann, "How do I answer Google reviews?").await;
    let first_id = first.data()["askClubQuestion"]["id"].clone();
    assert_eq!(first.data()["askClubQuestion"]["author"]["name"], "ann");
    let second = ask(&bob, "Which booking engine?").await;
    let second_id = second.data()["askClubQuestion"]["id"].clone();
    ask(&untrained, "May I?").await.expect_error("FORBIDDEN");

    // Votes: once each, whatever the number of clicks.
    for token in [&ann, &bob, &bob, &admin] {
        app.op(
            "VoteClubQuestion",
            json!({ "questionId": second_id }),
            Some(token),
        )
        .await
        .data();
    }
    let voted = app
        .op(
            "VoteClubQuestion",
            json!({ "questionId": first_id }),
            Some(&bob),
        )
        .await;
    assert_eq!(voted.data()["voteClubQuestion"]["votes"], 1);
    app.op(
        "VoteClubQuestion",
        json!({ "questionId": first_id }),
        Some(&untrained),
    )
    .await
    .expect_error("FORBIDDEN");

    app.op(
        "AnswerClubQuestion",
        json!({ "questionId": second_id, "answer": "See the slides." }),
        Some(&bob),
    )
    .await
    .expect_error("FORBIDDEN");
    let answered = app
        .op(
            "AnswerClubQuestion",
            json!({ "questionId": second_id, "answer": "See the slides." }),
            Some(&admin),
        )
        .await;
    assert_eq!(answered.data()["answerClubQuestion"]["answered"], true);

    let listed = app
        .op("ClubMeeting", json!({ "id": meeting }), Some(&ann))
        .await;
    let questions: Vec<Value> = listed.data()["activity"]["clubQuestions"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(questions[0]["text"], "Which booking engine?");
    assert_eq!(questions[0]["votes"], 3);
    assert_eq!(questions[0]["answer"], "See the slides.");
    assert_eq!(questions[1]["votes"], 1);
    app.op("ClubMeeting", json!({ "id": meeting }), Some(&untrained))
        .await
        .expect_error("FORBIDDEN");
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
