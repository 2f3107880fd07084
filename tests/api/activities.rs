//! The programme: creating, validating, publishing, editing, cancelling and completing
//! activities, and who sees what.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn staff_create_and_publish_a_workshop() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let start = app.state.now() + Duration::days(10);
    let answer = app
        .op(
            "CreateActivity",
            json!({ "input": {
                "kind": "WORKSHOP",
                "title": "  Instagram for restaurants ",
                "capacity": 12,
                "minParticipants": 4,
                "priceCents": 4500,
                "registrationDeadline": (start - Duration::days(3)).to_rfc3339(),
                // Any offset is accepted and stored as the same instant in UTC.
                "sessions": [{ "startsAt": start.with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap()).to_rfc3339(),
                               "endsAt": (start + Duration::hours(3)).to_rfc3339() }],
            } }),
            Some(&admin),
        )
        .await;
    let created = &answer.data()["createActivity"];
    assert_eq!(created["status"], "DRAFT");
    assert_eq!(created["title"], "Instagram for restaurants");
    assert_eq!(created["audience"], "ALL_PARTNERS");
    assert_eq!(created["seatsLeft"], 12);
    let starts_at: DateTime<Utc> = created["startsAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(starts_at.timestamp(), start.timestamp());
    assert_eq!(created["sessions"].as_array().unwrap().len(), 1);

    let id = created["id"].as_str().unwrap();
    let published = app
        .op("PublishActivity", json!({ "id": id }), Some(&admin))
        .await;
    assert_eq!(published.data()["publishActivity"]["status"], "PUBLISHED");
    // Publishing twice is harmless; publishing a cancelled activity is not.
    app.op("PublishActivity", json!({ "id": id }), Some(&admin))
        .await
        .data();
    app.op(
        "CancelActivity",
        json!({ "id": id, "reason": "Trainer ill" }),
        Some(&admin),
    )
    .await
    .data();
    app.op("PublishActivity", json!({ "id": id }), Some(&admin))
        .await
        .expect_error("CONFLICT");
}

#[tokio::test]
async fn kinds_have_their_defaults() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let club = app
        .create_activity(&admin, 5, json!({ "kind": "CLUB_MEETING" }))
        .await;
    let training = app
        .create_activity(&admin, 5, json!({ "kind": "TRAINING" }))
        .await;
    assert_eq!(
        app.activity(&club, &admin).await["audience"],
        "TRAINED_PARTNERS"
    );
    let answer = app
        .graphql(
            "query($id: ID!) { activity(id: $id) { minAttendancePercent } }",
            json!({ "id": training }),
            Some(&admin),
        )
        .await;
    assert_eq!(answer.data()["activity"]["minAttendancePercent"], 75);
}

#[tokio::test]
async fn invalid_activities_are_refused_field_by_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let start = app.state.now() + Duration::days(10);
    let session = |from: DateTime<Utc>, hours: i64| json!({ "startsAt": from.to_rfc3339(), "endsAt": (from + Duration::hours(hours)).to_rfc3339() });
    let cases = [
        (json!({ "capacity": 0 }), "capacity"),
        (
            json!({ "capacity": 5, "minParticipants": 6 }),
            "minParticipants",
        ),
        (json!({ "priceCents": -1 }), "priceCents"),
        (
            json!({ "registrationDeadline": (start + Duration::hours(1)).to_rfc3339(), "sessions": [session(start, 2)] }),
            "registrationDeadline",
        ),
        (
            json!({ "sessions": [session(start, 2), session(start - Duration::hours(1), -1)] }),
            "sessions[1].endsAt",
        ),
        (
            json!({ "sessions": [session(start, 3), session(start + Duration::hours(2), 3)] }),
            "sessions",
        ),
        (json!({ "sessions": [] }), "sessions"),
        (json!({ "title": "" }), "title"),
    ];
    for (overrides, field) in cases {
        let mut input = json!({
            "kind": "WORKSHOP", "title": "Canva", "capacity": 10,
            "sessions": [session(start, 3)],
        });
        for (key, value) in overrides.as_object().unwrap() {
            input[key] = value.clone();
        }
        let answer = app
            .op("CreateActivity", json!({ "input": input }), Some(&admin))
            .await;
        answer.expect_error("BAD_USER_INPUT");
        assert_eq!(answer.error_field(), Some(field), "{:#}", answer.body);
    }
    let listed = app.op("Activities", json!({}), Some(&admin)).await;
    assert_eq!(listed.data()["activities"]["totalCount"], 0);
}

#[tokio::test]
async fn drafts_are_for_staff_only_and_registrations_too() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (partner, _) = app.sign_up("ann@example.fr", "Ann").await;
    let draft = app
        .create_activity(&admin, 5, json!({ "title": "Draft" }))
        .await;
    let published = app
        .published_activity(&admin, 6, json!({ "title": "Open" }))
        .await;
    app.register(&published, &partner).await;

    app.op("Activity", json!({ "id": draft }), Some(&partner))
        .await
        .expect_error("NOT_FOUND");
    let partner_list = app.op("Activities", json!({}), Some(&partner)).await;
    assert_eq!(partner_list.data()["activities"]["totalCount"], 1);
    let staff_list = app.op("Activities", json!({}), Some(&admin)).await;
    assert_eq!(staff_list.data()["activities"]["totalCount"], 2);

    // A partner sees the activity, but not who registered.
    let seen = app
        .op("Activity", json!({ "id": published }), Some(&partner))
        .await;
    seen.expect_error("FORBIDDEN");
    assert_eq!(
        seen.body["errors"][0]["path"],
        json!(["activity", "registrations"])
    );
    assert_eq!(seen.body["data"]["activity"]["title"], "Open");
    assert!(seen.body["data"]["activity"]["registrations"].is_null());

    let staff_view = app.activity(&published, &admin).await;
    let registrations = &staff_view["registrations"];
    assert_eq!(registrations["totalCount"], 1);
    assert_eq!(
        registrations["edges"][0]["node"]["user"]["email"],
        "ann@example.fr"
    );
}

#[tokio::test]
async fn the_programme_pages_in_date_order_and_filters() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mut expected = Vec::new();
    // Created out of date order; two share a start to exercise the id tie-break.
    for days in [9, 3, 5, 3, 7] {
        expected.push((days, app.published_activity(&admin, days, json!({})).await));
    }
    app.create_activity(&admin, 4, json!({ "kind": "TRAINING" }))
        .await;
    expected.sort_by_key(|(days, id)| (*days, id.parse::<i64>().unwrap()));

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = app
            .op(
                "Activities",
                json!({ "first": 2, "after": after, "filter": { "status": "PUBLISHED" } }),
                Some(&admin),
            )
            .await;
        let activities = &page.data()["activities"];
        assert_eq!(activities["totalCount"], 5);
        for edge in activities["edges"].as_array().unwrap() {
            seen.push(edge["node"]["id"].as_str().unwrap().to_owned());
        }
        if activities["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = activities["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
    }
    let expected_ids: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();
    assert_eq!(seen, expected_ids);

    let count = |filter: serde_json::Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let page = app
                .op("Activities", json!({ "filter": filter }), Some(&admin))
                .await;
            page.data()["activities"]["totalCount"].as_u64().unwrap()
        }
    };
    let now = app.state.now();
    assert_eq!(count(json!({ "kind": "TRAINING" })).await, 1);
    // Days 3, 3 and the day-4 draft training (staff see drafts).
    assert_eq!(
        count(json!({ "to": (now + Duration::days(4)).to_rfc3339() })).await,
        3
    );
    assert_eq!(
        count(json!({ "from": (now + Duration::days(8)).to_rfc3339() })).await,
        2,
        "the day-7 workshop runs into day 8"
    );
    assert_eq!(count(json!({ "hasSeatsLeft": true })).await, 6);
    assert_eq!(count(json!({ "hasSeatsLeft": false })).await, 0);
}

#[tokio::test]
async fn editing_keeps_session_ids_and_validates() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app.published_activity(&admin, 10, json!({})).await;
    let before = app.activity(&id, &admin).await;
    let kept = before["sessions"][0]["id"].as_str().unwrap().to_owned();
    let removed = before["sessions"][1]["id"].as_str().unwrap().to_owned();
    let moved_to = app.state.now() + Duration::days(12);

    let answer = app
        .op(
            "UpdateActivity",
            json!({ "id": id, "input": {
                "title": "Renamed",
                "sessions": [
                    { "id": kept, "startsAt": moved_to.to_rfc3339(), "endsAt": (moved_to + Duration::hours(2)).to_rfc3339() },
                    { "startsAt": (moved_to + Duration::days(2)).to_rfc3339(), "endsAt": (moved_to + Duration::days(2) + Duration::hours(2)).to_rfc3339() },
                ],
            } }),
            Some(&admin),
        )
        .await;
    let updated = &answer.data()["updateActivity"];
    assert_eq!(updated["title"], "Renamed");
    let sessions = updated["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0]["id"], kept.as_str());
    assert_ne!(sessions[1]["id"], removed.as_str());
    let starts_at: DateTime<Utc> = updated["startsAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(starts_at.timestamp(), moved_to.timestamp());

    // A session of another activity cannot be edited through this one.
    let other = app.create_activity(&admin, 3, json!({})).await;
    let foreign = app.activity(&other, &admin).await["sessions"][0]["id"].clone();
    app.op(
        "UpdateActivity",
        json!({ "id": id, "input": { "sessions": [{ "id": foreign, "startsAt": moved_to.to_rfc3339(), "endsAt": (moved_to + Duration::hours(1)).to_rfc3339() }] } }),
        Some(&admin),
    )
    .await
    .expect_error("BAD_USER_INPUT");
    // Clearing an optional field with null; an invalid edit changes nothing.
    app.op(
        "UpdateActivity",
        json!({ "id": id, "input": { "capacity": 0 } }),
        Some(&admin),
    )
    .await
    .expect_error("BAD_USER_INPUT");
    let after = app.activity(&id, &admin).await;
    assert_eq!(after["capacity"], 10);
    assert_eq!(after["title"], "Renamed");
}

#[tokio::test]
async fn cancelling_an_activity_cancels_its_registrations() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app
        .published_activity(&admin, 10, json!({ "capacity": 1 }))
        .await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    let (bob, _) = app.sign_up("bob@example.fr", "Bob").await;
    app.register(&id, &ann).await;
    app.register(&id, &bob).await;

    let answer = app
        .op(
            "CancelActivity",
            json!({ "id": id, "reason": "Storm warning" }),
            Some(&admin),
        )
        .await;
    let cancelled = &answer.data()["cancelActivity"];
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(cancelled["cancellationReason"], "Storm warning");
    let mine = app.op("MyRegistrations", json!({}), Some(&bob)).await;
    assert_eq!(
        mine.data()["myRegistrations"]["edges"][0]["node"]["status"],
        "CANCELLED"
    );
    let seen = app.activity(&id, &admin).await;
    assert_eq!(seen["seatsLeft"], 1);
    assert_eq!(seen["waitlistCount"], 0);
    app.op(
        "CancelActivity",
        json!({ "id": id, "reason": "again" }),
        Some(&admin),
    )
    .await
    .expect_error("CONFLICT");
}

#[tokio::test]
async fn completing_a_training_makes_its_attendees_trained() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // Four sessions, 75 % needed: three attended is enough, two is not.
    let start = app.state.now() + Duration::days(3);
    let sessions: Vec<_> = (0..4)
        .map(|day| {
            let from = start + Duration::days(day);
            json!({ "startsAt": from.to_rfc3339(), "endsAt": (from + Duration::hours(3)).to_rfc3339() })
        })
        .collect();
    let id = app
        .published_activity(
            &admin,
            3,
            json!({ "kind": "TRAINING", "trainerName": "Léa", "sessions": sessions }),
        )
        .await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    let (bob, _) = app.sign_up("bob@example.fr", "Bob").await;
    let ann_registration = app.register(&id, &ann).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob_registration = app.register(&id, &bob).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let session_ids: Vec<String> = app.activity(&id, &admin).await["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();

    let all = app
        .op(
            "RecordAttendance",
            json!({ "registrationId": ann_registration, "attended": true }),
            Some(&admin),
        )
        .await;
    assert_eq!(all.data()["recordAttendance"]["attendedSessions"], 4);
    assert_eq!(all.data()["recordAttendance"]["attended"], true);
    let one_off = app
        .op("RecordAttendance", json!({ "registrationId": ann_registration, "attended": false, "sessionId": session_ids[3] }), Some(&admin))
        .await;
    assert_eq!(one_off.data()["recordAttendance"]["attendedSessions"], 3);
    for session in &session_ids[..2] {
        app.op(
            "RecordAttendance",
            json!({ "registrationId": bob_registration, "attended": true, "sessionId": session }),
            Some(&admin),
        )
        .await
        .data();
    }
    let foreign = app.create_activity(&admin, 3, json!({})).await;
    let foreign_session = app.activity(&foreign, &admin).await["sessions"][0]["id"].clone();
    app.op("RecordAttendance", json!({ "registrationId": bob_registration, "attended": true, "sessionId": foreign_session }), Some(&admin))
        .await
        .expect_error("BAD_USER_INPUT");

    let done = app
        .op("CompleteActivity", json!({ "id": id }), Some(&admin))
        .await;
    assert_eq!(done.data()["completeActivity"]["status"], "COMPLETED");
    let me = |token: String| {
        let app = &app;
        async move { app.op("Me", json!({}), Some(&token)).await.data()["me"]["trained"].clone() }
    };
    assert_eq!(me(ann).await, true);
    assert_eq!(me(bob).await, false);
}

#[tokio::test]
async fn the_sign_in_sheet_downloads_as_csv_for_staff_only() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app
        .published_activity(&admin, 10, json!({ "capacity": 1 }))
        .await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann, the \"host\"").await;
    let (bob, _) = app.sign_up("bob@example.fr", "Bob").await;
    let ann_registration = app.register(&id, &ann).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.register(&id, &bob).await;
    app.op(
        "RecordAttendance",
        json!({ "registrationId": ann_registration, "attended": true }),
        Some(&admin),
    )
    .await
    .data();

    let url = format!("{}/activities/{id}/registrations.csv", app.address);
    let response = app
        .client
        .get(&url)
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let body = response.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 3, "{body}");
    assert!(lines[0].starts_with("name,organisation,email,status,position,session "));
    assert_eq!(
        lines[1],
        "\"Ann, the \"\"host\"\"\",Hôtel du Port,ann@example.fr,CONFIRMED,,yes,yes"
    );
    assert_eq!(lines[2], "Bob,Hôtel du Port,bob@example.fr,WAITLISTED,1,,");

    assert_eq!(
        app.client
            .get(&url)
            .bearer_auth(&bob)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(app.client.get(&url).send().await.unwrap().status(), 401);
    let missing = format!("{}/activities/999999/registrations.csv", app.address);
    assert_eq!(
        app.client
            .get(&missing)
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn the_scheduler_cancels_underbooked_workshops_after_their_deadline() {
    let app =
        crate::helpers::spawn_app_with(vec![("KLUB_SCHEDULER_TICK_SECONDS", "1".into())]).await;
    let admin = app.admin_token().await;
    let deadline = app.state.now() + Duration::days(2);
    let short = app
        .published_activity(
            &admin,
            5,
            json!({ "minParticipants": 3, "registrationDeadline": deadline.to_rfc3339() }),
        )
        .await;
    let full_enough = app
        .published_activity(
            &admin,
            5,
            json!({ "minParticipants": 1, "registrationDeadline": deadline.to_rfc3339() }),
        )
        .await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    app.register(&short, &ann).await;
    app.register(&full_enough, &ann).await;

    // Before the deadline nothing happens, after it the short one is cancelled.
    crate::helpers::run_scheduler(&app).await;
    assert_eq!(app.activity(&short, &admin).await["status"], "PUBLISHED");
    app.state
        .clock
        .advance(Duration::days(2) + Duration::minutes(1));
    let cancelled =
        crate::helpers::eventually(&app, &short, &admin, |a| a["status"] == "CANCELLED").await;
    assert_eq!(cancelled["cancellationReason"], "Not enough participants");
    assert_eq!(
        app.activity(&full_enough, &admin).await["status"],
        "PUBLISHED"
    );
    let mine = app.op("MyRegistrations", json!({}), Some(&ann)).await;
    let statuses: Vec<_> = mine.data()["myRegistrations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses, ["CANCELLED", "CONFIRMED"]);
}

/// The programme's page reads its activities by the position of their columns
/// (`activity::Model::from_leading_columns`): every column, NULL or not, comes out as the entity's
/// own decoding by name reads it, for an activity with every optional field set and one with
/// none. Same-typed columns hold different values, so a swap between two would show.
#[tokio::test]
async fn the_page_reads_every_column_of_an_activity_as_the_entity_does() {
    use entity::{activity, topic};
    use sea_orm::{
        ActiveModelTrait, ActiveValue::Set, DbErr, EntityTrait, FromQueryResult, QueryOrder,
        QueryResult,
    };

    struct ByPosition(activity::Model);
    impl FromQueryResult for ByPosition {
        fn from_query_result(row: &QueryResult, _prefix: &str) -> Result<Self, DbErr> {
            activity::Model::from_leading_columns(row).map(Self)
        }
    }

    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let bare = app.create_activity(&admin, 5, json!({})).await;
    let full = app
        .create_activity(
            &admin,
            9,
            json!({
                "description": "Photos, opening hours and answers to reviews.",
                "location": "Salle des fêtes",
                "minParticipants": 3,
                "registrationDeadline": (app.state.now() + Duration::days(7)).to_rfc3339(),
                "trainerName": "Camille Martin",
                "coOrganiser": "CCI",
                "minAttendancePercent": 80,
            }),
        )
        .await;
    let db = &app.state.db;
    let now = app.state.now();
    let topic = topic::ActiveModel {
        name: Set("Reviews".into()),
        threshold: Set(5),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    let stored = activity::Entity::find_by_id(full.parse::<i64>().unwrap())
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let mut row: activity::ActiveModel = stored.into();
    row.cancellation_reason = Set(Some("The room is flooded".into()));
    row.cancellation_cause = Set(Some(activity::CancellationCause::Staff));
    row.confirmed_count = Set(6);
    row.waitlist_count = Set(7);
    row.sequence = Set(11);
    row.requires_approval = Set(true);
    row.offer_hours = Set(13);
    row.required_consents = Set("photos".into());
    row.topic_id = Set(Some(topic.id));
    row.priority_hours = Set(17);
    row.announced_at = Set(Some(now - Duration::hours(1)));
    row.shortfall_noticed_at = Set(Some(now - Duration::hours(2)));
    row.update(db).await.unwrap();

    let by_name = activity::Entity::find()
        .order_by_asc(activity::Column::Id)
        .all(db)
        .await
        .unwrap();
    let by_position: Vec<activity::Model> = activity::Entity::find()
        .order_by_asc(activity::Column::Id)
        .into_model::<ByPosition>()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|ByPosition(activity)| activity)
        .collect();
    assert_eq!(by_name.len(), 2, "{bare} and {full}");
    assert!(by_name[1].cancellation_cause.is_some() && by_name[0].description.is_none());
    assert_eq!(by_position, by_name);
}
