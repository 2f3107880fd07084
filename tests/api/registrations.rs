//! Registrations: seats, the waiting list, cancellation — and never overbooked under load.

use chrono::Duration;
use futures_util::future::join_all;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use std::sync::atomic::Ordering;

use crate::helpers::{TestApp, spawn_app, spawn_beside, spawn_on};

/// The worked example of the guides (`docs/api/worked-example.md`): a workshop with one seat,
/// two partners, one cancels.
#[tokio::test]
async fn the_waiting_list_moves_by_itself() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let workshop = app
        .published_activity(&admin, 10, json!({ "capacity": 1 }))
        .await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    let (bob, _) = app.sign_up("bob@example.fr", "Bob").await;

    let first = app.register(&workshop, &ann).await;
    assert_eq!(first["status"], "CONFIRMED");
    assert_eq!(first["position"], Value::Null);
    let second = app.register(&workshop, &bob).await;
    assert_eq!(second["status"], "WAITLISTED");
    assert_eq!(second["position"], 1);
    assert_eq!(second["activity"]["seatsLeft"], 0);
    assert_eq!(second["activity"]["waitlistCount"], 1);

    let cancelled = app
        .op(
            "CancelRegistration",
            json!({ "id": first["id"] }),
            Some(&ann),
        )
        .await;
    assert_eq!(
        cancelled.data()["cancelRegistration"]["status"],
        "CANCELLED"
    );

    let listed = app.op("Activities", json!({}), Some(&bob)).await;
    let node = &listed.data()["activities"]["edges"][0]["node"];
    assert_eq!(node["myRegistration"]["status"], "CONFIRMED");
    assert_eq!(node["myRegistration"]["position"], Value::Null);
    assert_eq!(node["seatsLeft"], 0);
    assert_eq!(node["waitlistCount"], 0);
}

/// The page reads each activity with the caller's newest registration in one statement: after a
/// cancellation and a new registration it is the new one; someone else's is never shown.
#[tokio::test]
async fn my_registration_on_a_page_is_my_newest_and_only_mine() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let workshop = app.published_activity(&admin, 10, json!({})).await;
    let untouched = app.published_activity(&admin, 12, json!({})).await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    let (bob, _) = app.sign_up("bob@example.fr", "Bob").await;
    let first = app.register(&workshop, &ann).await;
    app.op(
        "CancelRegistration",
        json!({ "id": first["id"] }),
        Some(&ann),
    )
    .await
    .data();
    let again = app.register(&workshop, &ann).await;
    assert_ne!(first["id"], again["id"]);
    app.register(&untouched, &bob).await;

    let mine = |page: &Value, id: &str| -> Value {
        page["activities"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|edge| edge["node"]["id"] == id)
            .map(|edge| edge["node"]["myRegistration"].clone())
            .unwrap()
    };
    let anns = app.op("Activities", json!({}), Some(&ann)).await;
    assert_eq!(mine(anns.data(), &workshop)["id"], again["id"]);
    assert_eq!(mine(anns.data(), &workshop)["status"], "CONFIRMED");
    assert_eq!(mine(anns.data(), &untouched), Value::Null);
    assert_eq!(anns.data()["activities"]["totalCount"], 2);
    let bobs = app.op("Activities", json!({}), Some(&bob)).await;
    assert_eq!(mine(bobs.data(), &workshop), Value::Null);
    assert_eq!(mine(bobs.data(), &untouched)["status"], "CONFIRMED");
    // Past the last page: no rows, the count still right.
    let end = anns.data()["activities"]["pageInfo"]["endCursor"].clone();
    let after = app
        .op("Activities", json!({ "after": end }), Some(&ann))
        .await;
    assert_eq!(after.data()["activities"]["edges"], json!([]));
    assert_eq!(after.data()["activities"]["totalCount"], 2);
}

#[tokio::test]
async fn registering_twice_returns_the_same_registration() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app.published_activity(&admin, 10, json!({})).await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    let first = app.register(&id, &ann).await;
    let again = app.register(&id, &ann).await;
    assert_eq!(first["id"], again["id"]);
    assert_eq!(again["activity"]["seatsLeft"], 9);

    // After a cancellation, registering again makes a new registration.
    app.op(
        "CancelRegistration",
        json!({ "id": first["id"] }),
        Some(&ann),
    )
    .await
    .data();
    let third = app.register(&id, &ann).await;
    assert_ne!(third["id"], first["id"]);
    assert_eq!(third["status"], "CONFIRMED");
}

#[tokio::test]
async fn the_audience_decides_who_may_register() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let club = app
        .published_activity(&admin, 10, json!({ "kind": "CLUB_MEETING" }))
        .await;
    let staff_only = app
        .published_activity(&admin, 10, json!({ "audience": "STAFF" }))
        .await;
    let (partner, partner_id) = app.sign_up("ann@example.fr", "Ann").await;
    let trained = app
        .persona(crate::helpers::Persona::TrainedPartner, "t")
        .await
        .unwrap();
    let animator = app
        .persona(crate::helpers::Persona::Animator, "a")
        .await
        .unwrap();

    let refused = app
        .op(
            "RegisterForActivity",
            json!({ "activityId": club }),
            Some(&partner),
        )
        .await;
    refused.expect_error("FORBIDDEN");
    assert_eq!(app.register(&club, &trained).await["status"], "CONFIRMED");
    app.op(
        "RegisterForActivity",
        json!({ "activityId": staff_only }),
        Some(&trained),
    )
    .await
    .expect_error("FORBIDDEN");
    assert_eq!(
        app.register(&staff_only, &animator).await["status"],
        "CONFIRMED"
    );

    // Staff may place a partner outside the audience; a partner may not place someone else.
    let placed = app
        .op(
            "RegisterForActivity",
            json!({ "activityId": club, "userId": partner_id }),
            Some(&animator),
        )
        .await;
    assert_eq!(placed.data()["registerForActivity"]["status"], "CONFIRMED");
    app.op(
        "RegisterForActivity",
        json!({ "activityId": club, "userId": partner_id }),
        Some(&trained),
    )
    .await
    .expect_error("FORBIDDEN");
}

#[tokio::test]
async fn registration_closes_at_the_deadline_and_drafts_do_not_exist() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let deadline = app.state.now() + Duration::days(2);
    let id = app
        .published_activity(
            &admin,
            5,
            json!({ "registrationDeadline": deadline.to_rfc3339() }),
        )
        .await;
    let draft = app.create_activity(&admin, 5, json!({})).await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    app.op(
        "RegisterForActivity",
        json!({ "activityId": draft }),
        Some(&ann),
    )
    .await
    .expect_error("NOT_FOUND");
    app.op(
        "RegisterForActivity",
        json!({ "activityId": draft }),
        Some(&admin),
    )
    .await
    .expect_error("CONFLICT");

    app.state
        .clock
        .advance(Duration::days(2) + Duration::seconds(1));
    app.op(
        "RegisterForActivity",
        json!({ "activityId": id }),
        Some(&ann),
    )
    .await
    .expect_error("CONFLICT");
}

#[tokio::test]
async fn others_cannot_cancel_my_registration() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app.published_activity(&admin, 10, json!({})).await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    let (bob, _) = app.sign_up("bob@example.fr", "Bob").await;
    let registration = app.register(&id, &ann).await;
    app.op(
        "CancelRegistration",
        json!({ "id": registration["id"] }),
        Some(&bob),
    )
    .await
    .expect_error("NOT_FOUND");
    let by_staff = app
        .op(
            "CancelRegistration",
            json!({ "id": registration["id"] }),
            Some(&admin),
        )
        .await;
    assert_eq!(by_staff.data()["cancelRegistration"]["status"], "CANCELLED");
}

async fn positions(app: &TestApp, activity: &str, staff: &str) -> (Vec<String>, Vec<i64>) {
    let seen = app.activity(activity, staff).await;
    let mut confirmed = Vec::new();
    let mut waiting = Vec::new();
    for edge in seen["registrations"]["edges"].as_array().unwrap() {
        let node = &edge["node"];
        match node["status"].as_str().unwrap() {
            "CONFIRMED" => confirmed.push(node["user"]["name"].as_str().unwrap().to_owned()),
            "WAITLISTED" => waiting.push(node["position"].as_i64().unwrap()),
            _ => {}
        }
    }
    waiting.sort_unstable();
    (confirmed, waiting)
}

#[tokio::test]
async fn positions_stay_gapless_and_a_larger_capacity_promotes() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app
        .published_activity(&admin, 10, json!({ "capacity": 1 }))
        .await;
    let mut registrations = Vec::new();
    for name in ["Ann", "Bob", "Cleo", "Dan", "Eve"] {
        let (token, _) = app.sign_up(&format!("{name}@example.fr"), name).await;
        registrations.push((token.clone(), app.register(&id, &token).await));
    }
    assert_eq!(registrations[4].1["position"], 4);

    // Cleo (position 2) leaves: Dan and Eve move up.
    let (cleo_token, cleo) = &registrations[2];
    app.op(
        "CancelRegistration",
        json!({ "id": cleo["id"] }),
        Some(cleo_token),
    )
    .await
    .data();
    assert_eq!(positions(&app, &id, &admin).await.1, vec![1, 2, 3]);

    // Two more seats: Bob and Dan get them, Eve is first in line.
    let answer = app
        .op(
            "UpdateActivity",
            json!({ "id": id, "input": { "capacity": 3 } }),
            Some(&admin),
        )
        .await;
    let updated = &answer.data()["updateActivity"];
    assert_eq!(updated["seatsLeft"], 0);
    assert_eq!(updated["waitlistCount"], 1);
    let (confirmed, waiting) = positions(&app, &id, &admin).await;
    assert_eq!(confirmed, ["Ann", "Bob", "Dan"]);
    assert_eq!(waiting, vec![1]);

    // Capacity cannot drop below the confirmed seats.
    let refused = app
        .op(
            "UpdateActivity",
            json!({ "id": id, "input": { "capacity": 2 } }),
            Some(&admin),
        )
        .await;
    refused.expect_error("BAD_USER_INPUT");
    assert_eq!(refused.error_field(), Some("capacity"));
}

#[tokio::test]
async fn nobody_is_promoted_once_the_activity_has_started() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app
        .published_activity(&admin, 1, json!({ "capacity": 1 }))
        .await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    let (bob, _) = app.sign_up("bob@example.fr", "Bob").await;
    let seat = app.register(&id, &ann).await;
    app.register(&id, &bob).await;
    app.state
        .clock
        .advance(Duration::days(1) + Duration::hours(1));

    // A partner can no longer cancel; staff can, and the seat stays free.
    app.op(
        "CancelRegistration",
        json!({ "id": seat["id"] }),
        Some(&ann),
    )
    .await
    .expect_error("CONFLICT");
    app.op(
        "CancelRegistration",
        json!({ "id": seat["id"] }),
        Some(&admin),
    )
    .await
    .data();
    let seen = app.activity(&id, &admin).await;
    assert_eq!(seen["seatsLeft"], 1);
    assert_eq!(seen["waitlistCount"], 1);
}

/// Asserts the seat invariant from the registrations themselves, not from the counters.
async fn assert_consistent(
    app: &TestApp,
    activity: &str,
    staff: &str,
    capacity: usize,
) -> (usize, usize) {
    let seen = app.activity(activity, staff).await;
    let (confirmed, waiting) = positions(app, activity, staff).await;
    assert!(
        confirmed.len() <= capacity,
        "overbooked: {} seats for {capacity}",
        confirmed.len()
    );
    assert_eq!(
        waiting,
        (1..=i64::try_from(waiting.len()).unwrap()).collect::<Vec<_>>(),
        "positions have gaps"
    );
    assert_eq!(seen["seatsLeft"], capacity - confirmed.len());
    assert_eq!(seen["waitlistCount"], waiting.len());
    if !waiting.is_empty() {
        assert_eq!(confirmed.len(), capacity, "a free seat while people wait");
    }
    (confirmed.len(), waiting.len())
}

#[tokio::test]
async fn two_hundred_partners_at_once_for_twenty_seats() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app
        .published_activity(&admin, 10, json!({ "capacity": 20 }))
        .await;
    let partners = app.many_partners(200).await;

    let answers = app.register_all(&id, &partners).await;
    for answer in &answers {
        answer.data();
    }
    let confirmed = answers
        .iter()
        .filter(|a| a.data()["registerForActivity"]["status"] == "CONFIRMED")
        .count();
    assert_eq!(confirmed, 20);
    let mut positions: Vec<i64> = answers
        .iter()
        .filter_map(|a| a.data()["registerForActivity"]["position"].as_i64())
        .collect();
    positions.sort_unstable();
    assert_eq!(positions, (1..=180).collect::<Vec<_>>());
    let registrations = app
        .graphql(
            "query($id: ID!) { activity(id: $id) { seatsLeft waitlistCount registrations { totalCount } } }",
            json!({ "id": id }),
            Some(&admin),
        )
        .await;
    let activity = &registrations.data()["activity"];
    assert_eq!(activity["seatsLeft"], 0);
    assert_eq!(activity["waitlistCount"], 180);
    assert_eq!(activity["registrations"]["totalCount"], 200);
}

#[tokio::test]
async fn ten_registrations_at_once_from_one_partner_make_one() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app.published_activity(&admin, 10, json!({})).await;
    let partner = app.many_partners(1).await;
    let tokens: Vec<String> = std::iter::repeat_n(partner[0].clone(), 10).collect();
    let answers = app.register_all(&id, &tokens).await;
    let first_id = answers[0].data()["registerForActivity"]["id"].clone();
    for answer in &answers {
        assert_eq!(answer.data()["registerForActivity"]["id"], first_id);
    }
    let seen = app.activity(&id, &admin).await;
    assert_eq!(seen["registrations"]["totalCount"], 1);
    assert_eq!(seen["seatsLeft"], 9);
}

#[tokio::test]
async fn concurrent_cancellations_and_registrations_keep_the_invariant() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app
        .published_activity(&admin, 10, json!({ "capacity": 10 }))
        .await;
    let partners = app.many_partners(60).await;
    let (early, late) = partners.split_at(30);
    let registrations: Vec<Value> = app
        .register_all(&id, early)
        .await
        .iter()
        .map(|a| a.data()["registerForActivity"].clone())
        .collect();

    // Half of the early ones cancel while thirty newcomers register.
    let cancels = join_all(registrations.iter().zip(early).step_by(2).map(
        |(registration, token)| {
            app.op(
                "CancelRegistration",
                json!({ "id": registration["id"] }),
                Some(token),
            )
        },
    ));
    let (cancelled, registered) = tokio::join!(cancels, app.register_all(&id, late));
    for answer in cancelled.iter().chain(&registered) {
        answer.data();
    }
    let (confirmed, waiting) = assert_consistent(&app, &id, &admin, 10).await;
    assert_eq!(confirmed + waiting, 45);
}

#[tokio::test]
async fn two_instances_on_one_database_never_overbook() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app
        .published_activity(&admin, 10, json!({ "capacity": 15 }))
        .await;
    let partners = app.many_partners(100).await;
    let TestApp { db, .. } = app;
    let first = spawn_on(db, Vec::new()).await;
    let second = spawn_beside(&first, Vec::new()).await;

    let (one, two) = partners.split_at(50);
    let (a, b) = tokio::join!(first.register_all(&id, one), second.register_all(&id, two));
    for answer in a.iter().chain(&b) {
        answer.data();
    }
    let admin = first.admin_token().await;
    let (confirmed, waiting) = assert_consistent(&first, &id, &admin, 15).await;
    assert_eq!((confirmed, waiting), (15, 85));
}

#[tokio::test]
async fn one_programme_page_costs_the_same_statements_for_10_or_100_activities() {
    // The counter sees every statement of the server: keep the background workers quiet.
    let app = crate::helpers::spawn_app_with(vec![
        ("KLUB_OUTBOX_POLL_MS", "3600000".into()),
        ("KLUB_SCHEDULER_TICK_SECONDS", "3600".into()),
    ])
    .await;
    let admin = app.admin_token().await;
    let (partner, _) = app.sign_up("ann@example.fr", "Ann").await;
    let mut ids = Vec::new();
    for day in 0..100 {
        ids.push(
            app.published_activity(&admin, 2 + day, json!({ "capacity": 3 }))
                .await,
        );
    }
    for id in ids.iter().step_by(3) {
        app.register(id, &partner).await;
    }
    let mut costs = Vec::new();
    for first in [10, 100] {
        let before = app.state.statements.load(Ordering::SeqCst);
        let page = app
            .op("Activities", json!({ "first": first }), Some(&partner))
            .await;
        let after = app.state.statements.load(Ordering::SeqCst);
        let edges = page.data()["activities"]["edges"].as_array().unwrap().len();
        assert_eq!(edges, first);
        costs.push(after - before);
    }
    assert_eq!(
        costs[0], costs[1],
        "statements for 10 vs 100 activities: {costs:?}"
    );
    // The caller comes from memory; the page carries its count and the caller's registrations.
    assert_eq!(costs[0], 1, "{costs:?}");
}

#[tokio::test]
async fn a_private_calendar_feed_lists_my_confirmed_sessions() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mine = app
        .published_activity(
            &admin,
            10,
            json!({ "title": "Mine", "location": "Salle 2" }),
        )
        .await;
    let full = app
        .published_activity(&admin, 11, json!({ "title": "Full", "capacity": 1 }))
        .await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    let (bob, _) = app.sign_up("bob@example.fr", "Bob").await;
    app.register(&full, &bob).await;
    app.register(&mine, &ann).await;
    app.register(&full, &ann).await; // waitlisted: not in the feed

    let url = app
        .graphql("mutation { resetCalendarFeed }", json!({}), Some(&ann))
        .await
        .data()["resetCalendarFeed"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = app
        .graphql("{ me { calendarFeedUrl } }", json!({}), Some(&ann))
        .await;
    assert_eq!(me.data()["me"]["calendarFeedUrl"], url.as_str());
    let path = url.split_once("/calendar/").unwrap().1;
    let feed_url = format!("{}/calendar/{path}", app.address);
    let response = app.client.get(&feed_url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let ics = response.text().await.unwrap();
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2, "{ics}");
    assert!(ics.contains("SUMMARY:Mine"));
    assert!(!ics.contains("SUMMARY:Full"));

    // A new URL revokes the old one; revoking turns the feed off.
    app.graphql("mutation { resetCalendarFeed }", json!({}), Some(&ann))
        .await
        .data();
    assert_eq!(
        app.client.get(&feed_url).send().await.unwrap().status(),
        404
    );
    app.graphql("mutation { revokeCalendarFeed }", json!({}), Some(&ann))
        .await
        .data();
    let me = app
        .graphql("{ me { calendarFeedUrl } }", json!({}), Some(&ann))
        .await;
    assert!(me.data()["me"]["calendarFeedUrl"].is_null());
}

/// A registration judges the activity before its transaction, then takes the lock with the
/// statement that moves a count: an activity cancelled while the registration waits for that
/// lock (here by an operator's transaction that holds it) refuses it, and keeps no seat.
#[tokio::test]
async fn a_registration_waiting_for_the_lock_is_judged_again_under_it() {
    use sea_orm::{ConnectionTrait, TransactionTrait};

    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app
        .published_activity(&admin, 10, json!({ "capacity": 5 }))
        .await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    // Ann is known to the server before the operator writes (on SQLite an unknown caller is
    // read under the write lock, which would wait before anything is judged).
    app.op("Me", json!({}), Some(&ann)).await.data();
    let operator = sea_orm::Database::connect(&app.db.url).await.unwrap();
    let closing = operator.begin().await.unwrap();
    closing
        .execute_unprepared(&format!(
            "UPDATE activities SET status = 'CANCELLED' WHERE id = {id}"
        ))
        .await
        .unwrap();

    let commit_once_waiting = async {
        if app.db.is_postgres() {
            let waiting = "SELECT 1 FROM pg_stat_activity \
                 WHERE wait_event_type = 'Lock' AND datname = current_database()";
            while operator
                .query_one_raw(sea_orm::Statement::from_string(
                    operator.get_database_backend(),
                    waiting,
                ))
                .await
                .unwrap()
                .is_none()
            {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        } else {
            // SQLite shows no waiters: the registration's read sees the activity still open
            // (WAL), then its `BEGIN IMMEDIATE` waits on the busy timeout for this writer.
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
        closing.commit().await.unwrap();
    };
    let (answer, ()) = tokio::join!(
        app.op(
            "RegisterForActivity",
            json!({ "activityId": id }),
            Some(&ann)
        ),
        commit_once_waiting
    );
    assert_eq!(answer.error_code(), Some("CONFLICT"), "{:?}", answer.body);

    let activity = app.activity(&id, &admin).await;
    assert_eq!(activity["status"], "CANCELLED");
    assert_eq!(activity["registrations"]["totalCount"], 0);
    assert_eq!(activity["seatsLeft"], 5);
}

/// Low 14. A title with line breaks stays inside its calendar property.
#[tokio::test]
async fn calendar_text_is_escaped() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // A title or a place is one line: a line break there is refused outright (step 13).
    for (field, value) in [
        ("title", "Canva\r\nMETHOD:CANCEL"),
        ("location", "Salle 1\rX-EVIL:1"),
    ] {
        let refused = app
            .op(
                "CreateActivity",
                json!({ "input": {
                    "kind": "WORKSHOP", "title": "Canva", "capacity": 8, (field): value,
                    "sessions": [{ "startsAt": (app.state.now() + chrono::Duration::days(9)).to_rfc3339(),
                                   "endsAt": (app.state.now() + chrono::Duration::days(9) + chrono::Duration::hours(2)).to_rfc3339() }],
                } }),
                Some(&admin),
            )
            .await;
        refused.expect_error("BAD_USER_INPUT");
        assert_eq!(refused.error_field(), Some(field));
    }
    // A description may break lines: they are escaped in the calendar entry.
    let title = "Canva; x, y";
    let description = "Bring a laptop\r\nMETHOD:CANCEL\nATTENDEE:mailto:evil@example.com";
    let workshop = app
        .published_activity(
            &admin,
            10,
            json!({ "title": title, "description": description }),
        )
        .await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    app.register(&workshop, &ann).await;
    let row = {
        use sea_orm::{ColumnTrait, QueryFilter};
        entity::mail::Entity::find()
            .filter(entity::mail::Column::Kind.eq("registration_confirmed"))
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
    };
    // Long lines are folded (a CRLF and a space): read them unfolded.
    let ics = row.calendar.unwrap().replace("\r\n ", "");
    for line in ics.split("\r\n") {
        assert!(
            !line.starts_with("ATTENDEE") && !line.starts_with("X-EVIL"),
            "an injected line: {line:?} in {ics}"
        );
    }
    assert_eq!(
        ics.split("\r\n")
            .filter(|line| line.starts_with("METHOD:"))
            .count(),
        1,
        "{ics}"
    );
    assert!(ics.contains(r"Canva\; x\, y"), "{ics}");
    assert!(
        ics.contains(r"Bring a laptop\nMETHOD:CANCEL\nATTENDEE:mailto:evil@example.com"),
        "{ics}"
    );
}
