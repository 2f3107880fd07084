//! Faults, proven: random and malformed requests, a server killed mid-storm, a database that
//! goes away and comes back.

use std::{
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use entity::{activity, registration, user};
use proptest::{prelude::*, test_runner::TestRunner};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Database, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use serde_json::{Value, json};

use klub_tests::ServerProcess;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestDatabase, contract_document, spawn_app};

/// A few rows of every table a request could touch, to compare before and after.
async fn fingerprint(db: &DatabaseConnection) -> Vec<u64> {
    vec![
        user::Entity::find().count(db).await.unwrap(),
        activity::Entity::find().count(db).await.unwrap(),
        registration::Entity::find().count(db).await.unwrap(),
        entity::post::Entity::find().count(db).await.unwrap(),
        entity::thread::Entity::find().count(db).await.unwrap(),
        entity::invitation::Entity::find().count(db).await.unwrap(),
        entity::mail::Entity::find().count(db).await.unwrap(),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::hash_map("[a-zA-Z]{1,12}", inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Operations an anonymous caller cannot use to store anything (SignUp could, legitimately).
const OPERATIONS: &[&str] = &[
    "LogIn",
    "Me",
    "Users",
    "Activities",
    "Activity",
    "RegisterForActivity",
    "CreateActivity",
    "Invite",
    "AcceptInvitation",
    "Groups",
    "Thread",
    "Reply",
];

/// Bodies no client should send.
fn hostile_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Bytes and text that are not JSON, or barely.
        prop::collection::vec(any::<u8>(), 0..512),
        ".{0,300}".prop_map(String::into_bytes),
        // JSON of the wrong shape.
        json_value().prop_map(|value| value.to_string().into_bytes()),
        // A random query string.
        ".{0,300}".prop_map(|query| json!({ "query": query }).to_string().into_bytes()),
        // Real operations with random variables and operation names.
        (prop::sample::select(OPERATIONS), json_value(), ".{0,20}").prop_map(
            |(operation, variables, name)| {
                json!({
                    "query": contract_document(operation),
                    "variables": variables,
                    "operationName": if name.is_empty() { operation.to_owned() } else { name },
                })
                .to_string()
                .into_bytes()
            }
        ),
        // Deep and wide queries, and huge strings.
        (1usize..3_000).prop_map(|depth| {
            json!({ "query": format!("{}{}", "{ a ".repeat(depth), "}".repeat(depth)) })
                .to_string()
                .into_bytes()
        }),
        (1usize..20_000).prop_map(|width| {
            json!({ "query": format!("{{ {} }}", "__typename ".repeat(width)) })
                .to_string()
                .into_bytes()
        }),
        (1usize..400_000).prop_map(|length| {
            json!({
                "query": contract_document("LogIn"),
                "variables": { "email": "x".repeat(length), "password": "y" },
            })
            .to_string()
            .into_bytes()
        }),
    ]
}

#[test]
fn random_and_malformed_requests_never_break_the_server() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // proptest drives the cases synchronously; each one blocks on this runtime.
    let _entered = runtime.enter();
    let app = runtime.block_on(spawn_app());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let before = runtime.block_on(fingerprint(&app.state.db));

    let mut runner = TestRunner::new(ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&hostile_body(), |body| {
            let status = runtime
                .block_on(
                    client
                        .post(format!("{}/graphql", app.address))
                        .header("content-type", "application/json")
                        .body(body)
                        .send(),
                )
                .map_err(|error| TestCaseError::fail(format!("no answer: {error}")))?
                .status();
            prop_assert!(status.as_u16() < 500, "answered {status}");
            Ok(())
        })
        .unwrap();

    runtime.block_on(async {
        assert_eq!(fingerprint(&app.state.db).await, before);
        let health = client
            .get(format!("{}/healthz", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200);
    });
}

/// The server as a process of its own.
/// The server binary with a database, a mail folder and its JSON log.
struct Process(ServerProcess);

const JWT_SECRET: &str = "a-test-secret-of-at-least-thirty-two-characters";

impl std::ops::Deref for Process {
    type Target = ServerProcess;
    fn deref(&self) -> &ServerProcess {
        &self.0
    }
}

impl Process {
    /// Starts the binary; its JSON log goes to `log` (or nowhere).
    async fn start(
        database_url: &str,
        mail_dir: &std::path::Path,
        log: Option<&std::path::Path>,
    ) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_klub-under-test"));
        command
            .env("DATABASE_URL", database_url)
            .env("KLUB_JWT_SECRET", JWT_SECRET)
            .env("KLUB_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("KLUB_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("KLUB_MAIL_DIR", mail_dir)
            .env("KLUB_HTTP_WORKERS", "2")
            .env("RUST_LOG", "info")
            .env("KLUB_LOG_FORMAT", "json")
            .stdout(match log {
                Some(path) => Stdio::from(std::fs::File::create(path).unwrap()),
                None => Stdio::null(),
            })
            .stderr(Stdio::null());
        Self(ServerProcess::start(command).await)
    }

    fn token(&self, user_id: i64) -> String {
        api::auth::TokenKeys::new(
            JWT_SECRET.as_bytes(),
            self.address.clone(),
            Duration::from_secs(3600),
        )
        .issue(user_id, 0, chrono::Utc::now())
        .unwrap()
    }

    async fn graphql(&self, query: &str, variables: Value, token: &str) -> Value {
        reqwest::Client::new()
            .post(format!("{}/graphql", self.address))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_killed_server_keeps_every_registration_it_confirmed() {
    let database = TestDatabase::create().await;
    let mail_dir = tempfile::tempdir().unwrap();
    let log = mail_dir.path().join("klub.log");
    let mut server = Process::start(&database.url, mail_dir.path(), Some(&log)).await;
    let db = Database::connect(&database.url).await.unwrap();

    let admin = user::Entity::find()
        .filter(user::Column::Email.eq(ADMIN_EMAIL))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let start = chrono::Utc::now() + chrono::Duration::days(5);
    let created = server
        .graphql(
            "mutation($input: CreateActivityInput!) { createActivity(input: $input) { id } }",
            json!({ "input": {
                "kind": "WORKSHOP", "title": "Storm", "capacity": 20,
                "sessions": [{ "startsAt": start.to_rfc3339(), "endsAt": (start + chrono::Duration::hours(2)).to_rfc3339() }],
            } }),
            &server.token(admin.id),
        )
        .await;
    let activity_id = created["data"]["createActivity"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server
        .graphql(
            "mutation($id: ID!) { publishActivity(id: $id) { id } }",
            json!({ "id": activity_id }),
            &server.token(admin.id),
        )
        .await;

    user::Entity::insert_many((0..300).map(|i| user::ActiveModel {
        email: Set(format!("storm{i}@example.fr")),
        name: Set(format!("Storm {i}")),
        role: Set(user::Role::Partner),
        trained: Set(false),
        password_hash: Set("-".into()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }))
    .exec_without_returning(&db)
    .await
    .unwrap();
    let partners: Vec<i64> = user::Entity::find()
        .filter(user::Column::Email.starts_with("storm"))
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();

    // The storm: every partner registers at once; the process dies once 60 answers are in.
    let (answers, mut received) = tokio::sync::mpsc::unbounded_channel();
    for &partner in &partners {
        let (address, token, answers) = (
            server.address.clone(),
            server.token(partner),
            answers.clone(),
        );
        let activity_id = activity_id.clone();
        tokio::spawn(async move {
            let answer = reqwest::Client::new()
                .post(format!("{address}/graphql"))
                .bearer_auth(token)
                .json(&json!({
                    "query": "mutation($id: ID!) { registerForActivity(activityId: $id) { id status position } }",
                    "variables": { "id": activity_id },
                }))
                .send()
                .await;
            let body = match answer {
                Ok(response) => response.json::<Value>().await.ok(),
                Err(_) => None,
            };
            let _ = answers.send(body);
        });
    }
    drop(answers);
    let mut confirmed_answers = Vec::new();
    let mut answered = 0;
    while let Some(body) = received.recv().await {
        answered += 1;
        if let Some(registration) = body
            .as_ref()
            .and_then(|b| b["data"]["registerForActivity"].as_object())
        {
            confirmed_answers.push((
                registration["id"].as_str().unwrap().parse::<i64>().unwrap(),
                registration["status"].as_str().unwrap().to_owned(),
            ));
        }
        if answered == 60 {
            server.0.kill();
        }
    }
    assert!(
        confirmed_answers.len() >= 20,
        "the storm got going before the kill"
    );

    // Restart on the same database: everything answered is there, and the seats add up.
    let restarted = Process::start(&database.url, mail_dir.path(), None).await;
    for (id, status) in &confirmed_answers {
        let stored = registration::Entity::find_by_id(*id)
            .one(&db)
            .await
            .unwrap();
        let stored = stored.unwrap_or_else(|| panic!("registration {id} was answered but lost"));
        assert_eq!(&format!("{:?}", stored.status).to_uppercase(), status);
    }
    let activity_id: i64 = activity_id.parse().unwrap();
    let rows = registration::Entity::find()
        .filter(registration::Column::ActivityId.eq(activity_id))
        .order_by_asc(registration::Column::Position)
        .all(&db)
        .await
        .unwrap();
    let confirmed = rows
        .iter()
        .filter(|r| r.status == registration::Status::Confirmed)
        .count();
    let stored_activity = activity::Entity::find_by_id(activity_id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert!(confirmed <= 20);
    assert_eq!(
        i64::from(stored_activity.confirmed_count),
        i64::try_from(confirmed).unwrap()
    );
    let positions: Vec<i32> = rows.iter().filter_map(|r| r.position).collect();
    assert_eq!(
        positions,
        (1..=i32::try_from(positions.len()).unwrap()).collect::<Vec<_>>(),
        "a gapless waiting list"
    );
    if confirmed < 20 {
        assert!(positions.is_empty(), "nobody waits while seats are free");
    }
    let mut owners: Vec<i64> = rows.iter().map(|r| r.user_id).collect();
    owners.dedup();
    assert_eq!(owners.len(), rows.len(), "one registration per partner");

    // The restarted server goes on where the dead one stopped.
    let late = partners.last().copied().unwrap();
    let answer = restarted
        .graphql(
            "mutation($id: ID!) { registerForActivity(activityId: $id) { status } }",
            json!({ "id": activity_id.to_string() }),
            &restarted.token(late),
        )
        .await;
    // Every JWT starts with `eyJ` (`{"` in base64).
    check_log(&log, &[JWT_SECRET, ADMIN_PASSWORD, "eyJ"]);
    assert!(
        answer["data"]["registerForActivity"]["status"].is_string()
            || answer["errors"][0]["extensions"]["code"] == "CONFLICT",
        "{answer:#}"
    );
}

/// The log is JSON lines; each request's lines carry its id; no secret appears in it.
fn check_log(path: &std::path::Path, secrets: &[&str]) {
    let log = std::fs::read_to_string(path).unwrap();
    let mut requests = 0;
    for line in log.lines() {
        let entry: Value = serde_json::from_str(line)
            .unwrap_or_else(|error| panic!("not a JSON log line ({error}): {line}"));
        for secret in secrets {
            assert!(!line.contains(secret), "a secret reached the log: {line}");
        }
        if entry["fields"]["message"] == "request finished" {
            requests += 1;
            let span = &entry["span"];
            assert_eq!(
                span["request_id"].as_str().map(str::len),
                Some(36),
                "{line}"
            );
            assert!(span["route"].is_string(), "{line}");
        }
    }
    assert!(requests > 10, "request lines were logged:\n{log}");
}

/// A TCP relay to PostgreSQL that the test can cut and restore, as a network failure would.
struct Relay {
    port: u16,
    accept: tokio::task::AbortHandle,
    connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Relay {
    async fn open(port: u16) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(Mutex::new(Vec::new()));
        let accepted = connections.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let relay = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect("127.0.0.1:5432").await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                accepted.lock().unwrap().push(relay.abort_handle());
            }
        });
        Self {
            port,
            accept: accept.abort_handle(),
            connections,
        }
    }

    /// Refuses new connections and breaks the open ones.
    fn cut(&self) {
        self.accept.abort();
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }
}

#[tokio::test]
async fn the_server_survives_a_database_outage_and_recovers_by_itself() {
    let database = TestDatabase::create().await;
    if database.skips_unless_postgres(
        "robustness::the_server_survives_a_database_outage_and_recovers_by_itself",
        "SQLite is a file inside the server's own process: it cannot become unreachable",
    ) {
        return;
    }
    let relay = Relay::open(0).await;
    let through_relay = database
        .url
        .replace("127.0.0.1:5432", &format!("127.0.0.1:{}", relay.port));
    let app = crate::helpers::spawn_on(
        database.same(),
        vec![
            ("DATABASE_URL", through_relay),
            ("KLUB_DB_MAX_CONNECTIONS", "3".into()),
        ],
    )
    .await;
    let health = || async {
        app.client
            .get(format!("{}/healthz", app.address))
            .send()
            .await
            .unwrap()
            .status()
    };
    let programme = "{ activities { totalCount } }";
    let admin = app.admin_token().await;
    assert_eq!(health().await, 200);

    relay.cut();
    assert_eq!(health().await, 503);
    let anonymous = app
        .graphql(
            "mutation { logIn(email: \"ann@example.fr\", password: \"whatever it is\") { token } }",
            json!({}),
            None,
        )
        .await;
    anonymous.expect_error("SERVICE_UNAVAILABLE");
    let logged_in = app.graphql(programme, json!({}), Some(&admin)).await;
    assert_eq!(logged_in.status, 503);
    logged_in.expect_error("SERVICE_UNAVAILABLE");

    let _restored = Relay::open(relay.port).await;
    let mut recovered = false;
    for _ in 0..100 {
        if health().await == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "healthy again once the database is back");
    let answer = app.graphql(programme, json!({}), Some(&admin)).await;
    assert_eq!(answer.data()["activities"]["totalCount"], 0);
}

/// `.cargo/config.toml` builds SQLite with flags the speed figures rely on; a build that lost
/// them (say, a toolchain that ignores `[env]`) would still pass every other test.
#[tokio::test]
async fn sqlite_is_built_with_the_flags_its_speed_relies_on() {
    let app = spawn_app().await;
    if app.db.is_postgres() {
        return;
    }
    let rows = sea_orm::ConnectionTrait::query_all_raw(
        &app.state.db,
        sea_orm::Statement::from_string(sea_orm::DbBackend::Sqlite, "PRAGMA compile_options"),
    )
    .await
    .unwrap();
    let options: Vec<String> = rows
        .iter()
        .map(|row| row.try_get_by_index(0).unwrap())
        .collect();
    // Without the planner stability guarantee, every `LIMIT ?` page was re-parsed and re-planned.
    assert!(options.iter().any(|o| o == "ENABLE_QPSG"), "{options:?}");
    assert!(
        options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
        "{options:?}"
    );
}
