//! A query asked again by the same caller is answered from memory until any row changes: no
//! statement, no execution. Yet nothing it shows is ever older than the database: a change
//! made through any instance, or straight in the database, is in the very next answer, and
//! an answer is never shared between callers nor kept when it depends on the moment.

use std::sync::atomic::Ordering;

use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with, spawn_beside};

async fn page(app: &TestApp, token: &str) -> Value {
    app.op("Activities", json!({}), Some(token)).await.data()["activities"].clone()
}

fn first_node(page: &Value) -> &Value {
    &page["edges"][0]["node"]
}

#[tokio::test]
async fn a_repeated_query_costs_no_statement_and_gives_the_same_answer() {
    let app = spawn_app_with(vec![
        ("KLUB_OUTBOX_POLL_MS", "3600000".into()),
        ("KLUB_SCHEDULER_TICK_SECONDS", "3600".into()),
    ])
    .await;
    let admin = app.admin_token().await;
    app.published_activity(&admin, 10, json!({})).await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    let first = page(&app, &ann).await;
    assert_eq!(first["totalCount"], 1);

    let before = app.state.statements.load(Ordering::SeqCst);
    for _ in 0..5 {
        assert_eq!(page(&app, &ann).await, first);
    }
    assert_eq!(app.state.statements.load(Ordering::SeqCst), before);

    // A batch of one is answered from memory too, as a list.
    let batch = app
        .post_json(
            &json!([{
                "query": crate::helpers::contract_document("Activities"),
                "operationName": "Activities",
                "variables": {},
            }]),
            Some(&ann),
        )
        .await;
    assert_eq!(batch.body[0]["data"]["activities"], first);
    assert_eq!(app.state.statements.load(Ordering::SeqCst), before);

    // Other variables are another query.
    let none = app
        .op(
            "Activities",
            json!({ "filter": { "kind": "CONFERENCE" } }),
            Some(&ann),
        )
        .await;
    assert_eq!(none.data()["activities"]["totalCount"], 0);
    assert!(app.state.statements.load(Ordering::SeqCst) > before);
}

#[tokio::test]
async fn every_instance_answers_from_the_database_as_it_is_now() {
    let first = spawn_app().await;
    let second = spawn_beside(&first, Vec::new()).await;
    let instances = [&first, &second];
    let admin = first.admin_token().await;
    let workshop = first
        .published_activity(&admin, 10, json!({ "capacity": 10 }))
        .await;
    let (ann, _) = first.sign_up("ann@example.fr", "Ann").await;
    let (bob, _) = first.sign_up("bob@example.fr", "Bob").await;
    for app in instances {
        assert_eq!(first_node(&page(app, &ann).await)["seatsLeft"], 10);
    }

    // Registrations and cancellations through either instance, each seen at once on both.
    for round in 0..6 {
        let writer = instances[round % 2];
        let registration = writer.register(&workshop, &bob).await;
        for app in [instances[(round + 1) % 2], writer] {
            let node = first_node(&page(app, &ann).await).clone();
            assert_eq!(node["seatsLeft"], 9, "round {round}");
            assert!(node["myRegistration"].is_null(), "round {round}");
            let node = first_node(&page(app, &bob).await).clone();
            assert_eq!(node["myRegistration"]["id"], registration["id"]);
            assert_eq!(node["myRegistration"]["status"], "CONFIRMED");
        }
        writer
            .op(
                "CancelRegistration",
                json!({ "id": registration["id"] }),
                Some(&bob),
            )
            .await
            .data();
        for app in [writer, instances[(round + 1) % 2]] {
            let node = first_node(&page(app, &bob).await).clone();
            assert_eq!(node["seatsLeft"], 10, "round {round}");
            assert_eq!(node["myRegistration"]["status"], "CANCELLED");
        }
    }

    // A staff edit on one instance is on the other's next page.
    second
        .op(
            "UpdateActivity",
            json!({ "id": workshop, "input": { "title": "Instagram, second edition" } }),
            Some(&admin),
        )
        .await
        .data();
    assert_eq!(
        first_node(&page(&first, &ann).await)["title"],
        "Instagram, second edition"
    );
}

/// An operator's `UPDATE` at a `psql` prompt reaches every instance through the triggers, as
/// soon as PostgreSQL delivers the notification. On SQLite the process that holds the file is
/// the only writer, and hears its own writes.
#[tokio::test]
async fn a_change_made_in_the_database_is_seen_at_once() {
    let first = spawn_app().await;
    if first.db.skips_unless_postgres(
        "answers::a_change_made_in_the_database_is_seen_at_once",
        "on SQLite the process that holds the file is its only writer",
    ) {
        return;
    }
    let second = spawn_beside(&first, Vec::new()).await;
    let admin = first.admin_token().await;
    let workshop = first.published_activity(&admin, 10, json!({})).await;
    let (ann, _) = first.sign_up("ann@example.fr", "Ann").await;
    let operator = sea_orm::Database::connect(&first.db.url).await.unwrap();
    for round in 0..4 {
        for app in [&first, &second] {
            page(app, &ann).await;
        }
        let title = format!("Edited at the prompt, round {round}");
        sea_orm::ConnectionTrait::execute_unprepared(
            &operator,
            &format!("UPDATE activities SET title = '{title}' WHERE id = {workshop}"),
        )
        .await
        .unwrap();
        for app in [&second, &first] {
            let started = std::time::Instant::now();
            while first_node(&page(app, &ann).await)["title"] != title.as_str() {
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(1),
                    "round {round}: the change never arrived"
                );
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
    }
}

#[tokio::test]
async fn an_answer_is_never_given_to_another_caller() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let workshop = app.published_activity(&admin, 10, json!({})).await;
    app.create_activity(&admin, 20, json!({ "title": "Still a draft" }))
        .await;
    let (ann, _) = app.sign_up("ann@example.fr", "Ann").await;
    let (bob, _) = app.sign_up("bob@example.fr", "Bob").await;
    let registration = app.register(&workshop, &ann).await;

    for _ in 0..2 {
        let anns = page(&app, &ann).await;
        assert_eq!(anns["totalCount"], 1);
        assert_eq!(
            first_node(&anns)["myRegistration"]["id"],
            registration["id"]
        );
        let bobs = page(&app, &bob).await;
        assert!(first_node(&bobs)["myRegistration"].is_null());
        // Staff see the draft in the same query.
        assert_eq!(page(&app, &admin).await["totalCount"], 2);
        app.op("Activities", json!({}), None)
            .await
            .expect_error("UNAUTHENTICATED");
    }
}

/// An invitation's status depends on the moment it is read: its answer is never kept, though
/// no row changes when the invitation expires.
#[tokio::test]
async fn an_answer_that_depends_on_the_moment_is_not_kept() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.op(
        "Invite",
        json!({ "input": { "emails": ["late@example.fr"] } }),
        Some(&admin),
    )
    .await
    .data();
    let status = |answer: crate::helpers::Gql| {
        answer.data()["invitations"]["edges"][0]["node"]["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for _ in 0..2 {
        let listed = app.op("Invitations", json!({}), Some(&admin)).await;
        assert_eq!(status(listed), "PENDING");
    }
    app.state.clock.advance(Duration::days(15));
    let listed = app.op("Invitations", json!({}), Some(&admin)).await;
    assert_eq!(status(listed), "EXPIRED");
}

/// Every table announces its changes on PostgreSQL (SQLite's update hook hears every table
/// without being told): a table added without the triggers would let answers outlive it.
#[tokio::test]
async fn every_table_announces_its_changes() {
    let app = spawn_app().await;
    if app.db.skips_unless_postgres(
        "answers::every_table_announces_its_changes",
        "SQLite's update hook hears every table without triggers",
    ) {
        return;
    }
    let db = sea_orm::Database::connect(&app.db.url).await.unwrap();
    let tables = sea_orm::ConnectionTrait::query_all_raw(
        &db,
        sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT tablename::text, EXISTS (
                     SELECT 1 FROM pg_trigger g
                     WHERE g.tgrelid = format('%I.%I', t.schemaname, t.tablename)::regclass
                       AND g.tgname = 'klub_data_changed')
             FROM pg_tables t
             WHERE schemaname = current_schema() AND tablename <> 'seaql_migrations'",
        ),
    )
    .await
    .unwrap();
    let tables: Vec<(String, bool)> = tables
        .iter()
        .map(|row| {
            (
                row.try_get_by_index(0).unwrap(),
                row.try_get_by_index(1).unwrap(),
            )
        })
        .collect();
    assert!(tables.len() > 20, "the schema's tables: {tables:?}");
    // Only the tables no kept answer reads are silent (a failed log-in or a mail sent must
    // not empty every instance's memory); any other is announced.
    let unanswered = migration::m20261125_000020_notify_data_changes::UNANSWERED_TABLES;
    let mut silent: Vec<&str> = tables
        .iter()
        .filter(|(_, announced)| !announced)
        .map(|(table, _)| table.as_str())
        .collect();
    silent.sort_unstable();
    let mut expected = unanswered.to_vec();
    expected.sort_unstable();
    assert_eq!(
        silent, expected,
        "tables without the klub_data_changed trigger (add it with `notify_data_changes::watch` in their migration, or list them in UNANSWERED_TABLES)"
    );
}

/// Readers filling memory while registrations come and go through two instances: whatever
/// interleaving of writes and reads happened, the pages asked after the last write show the
/// database as it is, on both instances.
#[tokio::test]
async fn answers_raced_by_writes_end_as_the_database_is() {
    let first = spawn_app().await;
    let second = spawn_beside(&first, Vec::new()).await;
    let instances = [&first, &second];
    let admin = first.admin_token().await;
    let workshop = first
        .published_activity(&admin, 10, json!({ "capacity": 50 }))
        .await;
    let (ann, _) = first.sign_up("ann@example.fr", "Ann").await;
    let partners = first.many_partners(12).await;
    let writing = std::sync::atomic::AtomicBool::new(true);

    let writer = async {
        for round in 0..12 {
            let partner = &partners[round];
            let app = instances[round % 2];
            let registration = app.register(&workshop, partner).await;
            if round % 3 != 0 {
                instances[(round + 1) % 2]
                    .op(
                        "CancelRegistration",
                        json!({ "id": registration["id"] }),
                        Some(partner),
                    )
                    .await
                    .data();
            }
        }
        writing.store(false, Ordering::SeqCst);
    };
    let ((), read_first, read_second) = tokio::join!(
        writer,
        read_while(&first, &ann, &writing),
        read_while(&second, &ann, &writing)
    );
    assert!(read_first + read_second > 10, "the readers ran alongside");

    // 12 registrations, of which every third stays: 4 confirmed.
    for app in instances {
        let node = first_node(&page(app, &ann).await).clone();
        assert_eq!(node["seatsLeft"], 46);
        assert!(node["myRegistration"].is_null());
    }
}

/// Medium 7. Staff-only answers asked without pause on two instances while the staff member
/// is demoted through one of them: a request that read the caller before the change committed
/// and finished after it must not leave its answer in memory under the new rights. Once the
/// demotion has answered, neither instance ever gives the directory to that account again.
///
/// On PostgreSQL a transaction's notices are heard one by one: one run in four once kept an
/// answer computed between its `data` and its account's id (the caller read as it was, the
/// rows as they are), until hearing an account forgot the answers after it.
#[tokio::test]
async fn an_answer_computed_with_old_rights_is_never_served_after_they_change() {
    let first = spawn_app().await;
    let second = spawn_beside(&first, Vec::new()).await;
    let instances = [&first, &second];
    let admin = first.admin_token().await;
    let (bob, bob_id) = first.sign_up("bob@office.fr", "Bob").await;
    for round in 0..40 {
        first.promote(&bob_id, "ADMIN").await;
        let reading = std::sync::atomic::AtomicBool::new(true);
        let readers = futures_util::future::join_all((0..16).map(|reader| {
            let app = instances[reader % 2];
            let reading = &reading;
            let bob = &bob;
            async move {
                let mut served = 0;
                while reading.load(Ordering::SeqCst) {
                    if app
                        .op("Users", json!({}), Some(bob))
                        .await
                        .error_code()
                        .is_none()
                    {
                        served += 1;
                    }
                }
                served
            }
        }));
        let demotion = async {
            tokio::time::sleep(std::time::Duration::from_millis(40)).await;
            instances[round % 2]
                .op(
                    "SetUserRole",
                    json!({ "userId": bob_id, "role": "PARTNER" }),
                    Some(&admin),
                )
                .await
                .data();
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            reading.store(false, Ordering::SeqCst);
        };
        let (served, ()) = tokio::join!(readers, demotion);
        assert!(
            served.iter().sum::<usize>() > 0,
            "round {round}: the admin was never served the directory"
        );
        for app in instances {
            for _ in 0..3 {
                let directory = app.op("Users", json!({}), Some(&bob)).await;
                assert_eq!(
                    directory.error_code(),
                    Some("FORBIDDEN"),
                    "round {round}: a demoted admin read the directory: {:?}",
                    directory.body
                );
            }
        }
    }
}

/// Asks for `token`'s page on `app` until `writing` goes false; how many times.
async fn read_while(app: &TestApp, token: &str, writing: &std::sync::atomic::AtomicBool) -> usize {
    let mut pages = 0;
    while writing.load(Ordering::SeqCst) {
        page(app, token).await;
        pages += 1;
    }
    pages
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

/// Medium 7. An instance whose change listener goes deaf without a word (its connection
/// half-open) stops trusting its memory within the heartbeat lease: an admin demoted through
/// another instance meanwhile is not served the staff-only answer that instance kept.
#[tokio::test]
async fn an_instance_that_cannot_prove_it_listens_stops_trusting_its_memory() {
    use std::sync::atomic::Ordering;
    let database = crate::helpers::TestDatabase::create().await;
    if database.skips_unless_postgres(
        "answers::an_instance_that_cannot_prove_it_listens_stops_trusting_its_memory",
        "SQLite hears its own writes in-process: there is no listener to lose",
    ) {
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
