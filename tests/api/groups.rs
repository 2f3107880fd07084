//! Closed groups: who sees what, questions and their answers, response times, overdue
//! questions, and live posts over graphql-transport-ws.

use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::{Persona, Socket, spawn_app, spawn_app_with};

fn names(answer: &crate::helpers::Gql) -> Vec<String> {
    answer.data()["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn outsiders_cannot_learn_that_a_group_exists() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (partner, partner_id) = app.sign_up("ann@example.fr", "Ann").await;
    let trained = app.persona(Persona::TrainedPartner, "t").await.unwrap();
    let animator = app.persona(Persona::Animator, "a").await.unwrap();

    assert!(names(&app.op("Groups", json!({}), Some(&partner)).await).is_empty());
    assert_eq!(
        names(&app.op("Groups", json!({}), Some(&trained)).await),
        ["Partners' club"]
    );
    assert_eq!(
        names(&app.op("Groups", json!({}), Some(&animator)).await),
        ["Staff", "Partners' club"]
    );

    let staff_group = app.group_id(&admin, "Staff").await;
    let club = app.group_id(&admin, "Partners' club").await;
    for token in [&partner, &trained] {
        app.op(
            "GroupThreads",
            json!({ "groupId": staff_group }),
            Some(token),
        )
        .await
        .expect_error("NOT_FOUND");
    }
    app.op("GroupThreads", json!({ "groupId": club }), Some(&partner))
        .await
        .expect_error("NOT_FOUND");
    let thread = app
        .op(
            "StartThread",
            json!({ "groupId": staff_group, "title": "Budget", "body": "Staff only" }),
            Some(&animator),
        )
        .await;
    let thread_id = thread.data()["startThread"]["id"].clone();
    app.op("Thread", json!({ "id": thread_id }), Some(&trained))
        .await
        .expect_error("NOT_FOUND");
    app.op(
        "Reply",
        json!({ "threadId": thread_id, "body": "Me too" }),
        Some(&trained),
    )
    .await
    .expect_error("NOT_FOUND");

    // A custom group: members only.
    let custom = app
        .op(
            "CreateGroup",
            json!({ "name": "Gîtes", "audience": "CUSTOM" }),
            Some(&admin),
        )
        .await;
    let custom_id = custom.data()["createGroup"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.op(
        "GroupThreads",
        json!({ "groupId": custom_id }),
        Some(&trained),
    )
    .await
    .expect_error("NOT_FOUND");
    let added = app
        .op(
            "AddGroupMember",
            json!({ "groupId": custom_id, "userId": partner_id }),
            Some(&admin),
        )
        .await;
    assert_eq!(
        added.data()["addGroupMember"]["memberCount"],
        2,
        "the creator and Ann"
    );
    assert_eq!(
        names(&app.op("Groups", json!({}), Some(&partner)).await),
        ["Gîtes"]
    );

    // Membership follows `trained` at every request.
    let me = app.op("Me", json!({}), Some(&partner)).await;
    let id = me.data()["me"]["id"].clone();
    app.op(
        "SetTrained",
        json!({ "userId": id, "trained": true }),
        Some(&admin),
    )
    .await
    .data();
    assert_eq!(
        names(&app.op("Groups", json!({}), Some(&partner)).await),
        ["Partners' club", "Gîtes"]
    );
    app.op(
        "SetTrained",
        json!({ "userId": id, "trained": false }),
        Some(&admin),
    )
    .await
    .data();
    assert_eq!(
        names(&app.op("Groups", json!({}), Some(&partner)).await),
        ["Gîtes"]
    );
}

#[tokio::test]
async fn a_question_gets_a_reply_a_response_time_and_an_accepted_answer() {
    let app = spawn_app().await;
    let trained = app.persona(Persona::TrainedPartner, "ann").await.unwrap();
    let animator = app.persona(Persona::Animator, "lea").await.unwrap();
    let club = app.group_id(&trained, "Partners' club").await;
    let started = app
        .op(
            "StartThread",
            json!({ "groupId": club, "title": "Instagram reels?", "body": "How long should they be?", "isQuestion": true }),
            Some(&trained),
        )
        .await;
    let thread_id = started.data()["startThread"]["id"].clone();
    let groups = app.op("Groups", json!({}), Some(&trained)).await;
    assert_eq!(groups.data()["groups"][0]["unansweredCount"], 1);

    // The author's own follow-up is not a response.
    app.op(
        "Reply",
        json!({ "threadId": thread_id, "body": "Any idea?" }),
        Some(&trained),
    )
    .await
    .data();
    app.state.clock.advance(Duration::minutes(7));
    let reply = app
        .op(
            "Reply",
            json!({ "threadId": thread_id, "body": "Under 30 seconds." }),
            Some(&animator),
        )
        .await;
    let reply_id = reply.data()["reply"]["id"].clone();

    let listed = app
        .op(
            "GroupThreads",
            json!({ "groupId": club, "unansweredOnly": false }),
            Some(&trained),
        )
        .await;
    let node = &listed.data()["group"]["threads"]["edges"][0]["node"];
    assert_eq!(node["replyCount"], 2);
    let seconds = node["firstResponseSeconds"].as_i64().unwrap();
    assert!((420..430).contains(&seconds), "{seconds}");
    let unanswered = app
        .op(
            "GroupThreads",
            json!({ "groupId": club, "unansweredOnly": true }),
            Some(&trained),
        )
        .await;
    assert_eq!(unanswered.data()["group"]["threads"]["totalCount"], 0);

    let other = app.persona(Persona::TrainedPartner, "bob").await.unwrap();
    app.op("AcceptAnswer", json!({ "postId": reply_id }), Some(&other))
        .await
        .expect_error("FORBIDDEN");
    let accepted = app
        .op(
            "AcceptAnswer",
            json!({ "postId": reply_id }),
            Some(&trained),
        )
        .await;
    assert_eq!(
        accepted.data()["acceptAnswer"]["acceptedAnswer"]["id"],
        reply_id
    );

    let thread = app
        .op("Thread", json!({ "id": thread_id }), Some(&other))
        .await;
    let thread = &thread.data()["thread"];
    let bodies: Vec<&str> = thread["posts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        ["How long should they be?", "Any idea?", "Under 30 seconds."]
    );
    assert_eq!(thread["acceptedAnswer"]["body"], "Under 30 seconds.");
    assert_eq!(
        thread["posts"]["edges"][2]["node"]["author"]["role"],
        "ANIMATOR"
    );
}

#[tokio::test]
async fn questions_past_the_answer_target_are_overdue() {
    // Opening hours all day long, so the test does not depend on the time it runs.
    let app = spawn_app_with(vec![("KLUB_OPENING_HOURS", "00:00-23:59".into())]).await;
    let admin = app.admin_token().await;
    let trained = app.persona(Persona::TrainedPartner, "ann").await.unwrap();
    let club = app.group_id(&trained, "Partners' club").await;
    let started = app
        .op(
            "StartThread",
            json!({ "groupId": club, "title": "Help", "body": "Anyone?", "isQuestion": true }),
            Some(&trained),
        )
        .await;
    let thread_id = started.data()["startThread"]["id"].clone();
    let overdue = || app.op("OverdueQuestions", json!({}), Some(&admin));
    assert_eq!(overdue().await.data()["overdueQuestions"], json!([]));
    app.state.clock.advance(Duration::minutes(16));
    let late = overdue().await;
    assert_eq!(late.data()["overdueQuestions"][0]["title"], "Help");
    assert_eq!(
        late.data()["overdueQuestions"][0]["group"]["name"],
        "Partners' club"
    );
    app.op(
        "Reply",
        json!({ "threadId": thread_id, "body": "Here!" }),
        Some(&admin),
    )
    .await
    .data();
    assert_eq!(overdue().await.data()["overdueQuestions"], json!([]));
}

#[tokio::test]
async fn a_member_receives_posts_live_and_an_outsider_cannot_subscribe() {
    let app = spawn_app().await;
    let trained = app.persona(Persona::TrainedPartner, "ann").await.unwrap();
    let partner = app.persona(Persona::Partner, "carl").await.unwrap();
    let club = app.group_id(&trained, "Partners' club").await;

    let mut outsider = Socket::posts(&app, &partner, &club).await;
    let refused = outsider.next().await;
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{refused}"
    );
    assert!(refused["payload"]["data"].is_null());

    let mut member = Socket::posts(&app, &trained, &club).await;
    // Give the server a moment to register the subscription before posting.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    app.op(
        "StartThread",
        json!({ "groupId": club, "title": "Live", "body": "Hello club" }),
        Some(&trained),
    )
    .await
    .data();
    let event = member.next().await;
    assert_eq!(event["type"], "next", "{event}");
    let post = &event["payload"]["data"]["postAdded"];
    assert_eq!(post["body"], "Hello club");
    assert_eq!(post["thread"]["title"], "Live");
    assert_eq!(post["author"]["name"], "ann");
}

/// With several instances on one PostgreSQL, a post made through one reaches subscribers of
/// another (LISTEN/NOTIFY). SQLite serves a single instance, so there is nothing to cross.
#[tokio::test]
async fn a_post_made_through_one_instance_reaches_subscribers_of_another() {
    let first = spawn_app().await;
    if first.db.skips_unless_postgres(
        "groups::a_post_made_through_one_instance_reaches_subscribers_of_another",
        "SQLite serves a single instance",
    ) {
        return;
    }
    let trained = first.persona(Persona::TrainedPartner, "ann").await.unwrap();
    let club = first.group_id(&trained, "Partners' club").await;
    let second = crate::helpers::spawn_beside(&first, Vec::new()).await;

    let mut socket = Socket::posts(&second, &trained, &club).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    first
        .op(
            "StartThread",
            json!({ "groupId": club, "title": "Across", "body": "From instance one" }),
            Some(&trained),
        )
        .await
        .data();
    let event = socket.next().await;
    assert_eq!(
        event["payload"]["data"]["postAdded"]["body"], "From instance one",
        "{event}"
    );
}

#[tokio::test]
async fn staff_moderate_posts_and_threads() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let trained = app.persona(Persona::TrainedPartner, "ann").await.unwrap();
    let club = app.group_id(&trained, "Partners' club").await;
    let started = app
        .op(
            "StartThread",
            json!({ "groupId": club, "title": "Deals", "body": "Buy my stuff" }),
            Some(&trained),
        )
        .await;
    let thread_id = started.data()["startThread"]["id"].clone();
    let reply = app
        .op(
            "Reply",
            json!({ "threadId": thread_id, "body": "Spam!" }),
            Some(&trained),
        )
        .await;
    let reply_id = reply.data()["reply"]["id"].clone();

    let moderate = |query: &'static str, vars: Value, token: String| {
        let app = &app;
        async move { app.graphql(query, vars, Some(&token)).await }
    };
    moderate(
        "mutation($id: ID!) { removePost(postId: $id) { id } }",
        json!({ "id": reply_id }),
        trained.clone(),
    )
    .await
    .expect_error("FORBIDDEN");
    let removed = moderate(
        "mutation($id: ID!) { removePost(postId: $id) { body removed } }",
        json!({ "id": reply_id }),
        admin.clone(),
    )
    .await;
    assert_eq!(removed.data()["removePost"]["body"], "(removed)");
    moderate(
        "mutation($id: ID!) { lockThread(threadId: $id) { locked } }",
        json!({ "id": thread_id }),
        admin.clone(),
    )
    .await
    .data();
    app.op(
        "Reply",
        json!({ "threadId": thread_id, "body": "More" }),
        Some(&trained),
    )
    .await
    .expect_error("CONFLICT");
    let thread = app
        .op("Thread", json!({ "id": thread_id }), Some(&trained))
        .await;
    let bodies: Vec<&str> = thread.data()["thread"]["posts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        ["Buy my stuff", "(removed)"],
        "a removed post stays in place"
    );
}

#[tokio::test]
async fn an_overdue_question_alerts_each_animator_once() {
    let smtp = crate::smtp::SmtpServer::start().await;
    let app = spawn_app_with(vec![
        ("KLUB_OPENING_HOURS", "00:00-23:59".into()),
        ("KLUB_SMTP_URL", smtp.url()),
        ("KLUB_SCHEDULER_TICK_SECONDS", "3600".into()),
    ])
    .await;
    // Mid-morning, office time: the 16 minutes below must not cross midnight, where the
    // scheduler also sends the day's digests.
    let local = app.state.now().with_timezone(&chrono_tz::Europe::Paris);
    let ten = chrono::TimeZone::from_local_datetime(
        &chrono_tz::Europe::Paris,
        &(local.date_naive() + Duration::days(1))
            .and_hms_opt(10, 0, 0)
            .unwrap(),
    )
    .unwrap();
    app.state
        .clock
        .advance(ten.with_timezone(&chrono::Utc) - app.state.now());
    let trained = app.persona(Persona::TrainedPartner, "ann").await.unwrap();
    app.persona(Persona::Animator, "lea").await;
    app.persona(Persona::Animator, "max").await;
    let club = app.group_id(&trained, "Partners' club").await;
    app.op(
        "StartThread",
        json!({ "groupId": club, "title": "Wifi", "body": "Help?", "isQuestion": true }),
        Some(&trained),
    )
    .await
    .data();
    crate::helpers::run_scheduler(&app).await;
    app.state.clock.advance(Duration::minutes(16));
    crate::helpers::run_scheduler(&app).await;
    crate::helpers::run_scheduler(&app).await;
    let mails = smtp.wait_for(2).await;
    crate::helpers::outbox_settled(&app).await;
    assert_eq!(smtp.received().len(), 2, "one alert per animator, once");
    let mut to: Vec<String> = mails.iter().map(|m| m.to[0].clone()).collect();
    to.sort();
    assert_eq!(to, ["lea-animator@klub.test", "max-animator@klub.test"]);
    assert_eq!(
        mails[0].parsed().subject(),
        Some("Question en attente : Wifi")
    );
}

/// High 1. A subscription goes silent once its viewer has left the group.
#[tokio::test]
async fn a_subscription_stops_when_its_viewer_leaves_the_group() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let trained = app.persona(Persona::TrainedPartner, "ann").await.unwrap();
    let trained_id = app.user_id(&trained).await;
    let club = app.group_id(&admin, "Partners' club").await;
    let mut socket = Socket::posts(&app, &trained, &club).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let post = |body: &'static str| {
        app.op(
            "StartThread",
            json!({ "groupId": club, "title": "News", "body": body }),
            Some(&admin),
        )
    };
    post("first").await.data();
    let first = socket.next().await;
    assert_eq!(
        first["payload"]["data"]["postAdded"]["body"], "first",
        "{first}"
    );

    app.op(
        "SetTrained",
        json!({ "userId": trained_id, "trained": false }),
        Some(&admin),
    )
    .await
    .data();
    post("second, for members only").await.data();
    if let Some(message) = socket.next_within(std::time::Duration::from_secs(2)).await {
        assert_ne!(
            message["type"], "next",
            "a post reached a former member: {message}"
        );
    }
}
