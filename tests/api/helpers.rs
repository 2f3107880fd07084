//! Starting the real server for one test: a fresh database (a SQLite file in a temporary folder,
//! or a PostgreSQL database of its own when `TEST_DATABASE_URL` is set), a free port, and a
//! client that speaks GraphQL over HTTP with the contract documents.

use std::{collections::HashMap, path::PathBuf, sync::OnceLock};

use api::{Application, Config};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

pub const ADMIN_EMAIL: &str = "admin@klub.test";
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDatabase,
    /// The running server's state: its clock (tests move it forward) and statement counter.
    pub state: api::state::AppState,
    /// Where mails go when a test gives no SMTP server: one folder for every instance on the
    /// same database, as a deployment's instances send to one SMTP server (whichever instance's
    /// outbox takes a mail, the test finds it).
    pub mail_dir: std::sync::Arc<tempfile::TempDir>,
    /// Where photos go when a test gives no object store.
    pub media_dir: tempfile::TempDir,
    /// Where `/metrics` is served (a loopback port of its own).
    pub metrics_address: Option<String>,
    _server: RunningServer,
}

/// Stops its server when the test ends, so finished tests leave no workers behind.
pub struct RunningServer(actix_web::dev::ServerHandle);

impl Drop for RunningServer {
    fn drop(&mut self) {
        // `stop` sends its command at once; the returned future only waits for completion.
        drop(self.0.stop(false));
    }
}

/// Settings a test may change before the server starts.
pub type Env = Vec<(&'static str, String)>;

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Vec::new()).await
}

pub async fn spawn_app_with(env: Env) -> TestApp {
    let db = TestDatabase::create().await;
    spawn_on(db, env).await
}

/// Starts a server on an existing test database (e.g. a restart).
pub async fn spawn_on(db: TestDatabase, env: Env) -> TestApp {
    let mail_dir = std::sync::Arc::new(tempfile::tempdir().expect("a mail folder"));
    spawn_with_mail(db, mail_dir, env).await
}

/// Starts a second instance beside `first`: on its database, sending to its mail folder.
pub async fn spawn_beside(first: &TestApp, env: Env) -> TestApp {
    spawn_with_mail(first.db.same(), first.mail_dir.clone(), env).await
}

async fn spawn_with_mail(
    db: TestDatabase,
    mail_dir: std::sync::Arc<tempfile::TempDir>,
    env: Env,
) -> TestApp {
    let media_dir = tempfile::tempdir().expect("a media folder");
    let mut vars: HashMap<&str, String> = HashMap::from([
        ("KLUB_MAIL_DIR", mail_dir.path().display().to_string()),
        ("KLUB_MEDIA_DIR", media_dir.path().display().to_string()),
        ("KLUB_OUTBOX_POLL_MS", "100".into()),
        ("DATABASE_URL", db.url.clone()),
        ("KLUB_LISTEN", "127.0.0.1:0".into()),
        ("KLUB_ADMIN_EMAIL", ADMIN_EMAIL.into()),
        ("KLUB_ADMIN_PASSWORD", ADMIN_PASSWORD.into()),
        ("KLUB_HTTP_WORKERS", "2".into()),
        ("KLUB_DB_MAX_CONNECTIONS", "5".into()),
        ("KLUB_METRICS_LISTEN", "127.0.0.1:0".into()),
        // Every test signs its people up from 127.0.0.1; `attacks.rs` tries the default.
        ("KLUB_SIGN_UPS_PER_CLIENT", "100000".into()),
    ]);
    vars.extend(env);
    let config = Config::from_lookup(|name| vars.get(name).cloned()).expect("test configuration");
    let app = Application::build(config).await.expect("the server starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    let server = RunningServer(app.handle());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        db,
        state,
        mail_dir,
        media_dir,
        metrics_address,
        _server: server,
    }
}

/// The answer to one GraphQL request.
#[derive(Debug)]
pub struct Gql {
    pub status: StatusCode,
    pub body: Value,
}

impl Gql {
    /// The `data`, after checking there was no error.
    pub fn data(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {:#}",
            self.body
        );
        &self.body["data"]
    }

    /// The `extensions.code` of the first error, if any.
    pub fn error_code(&self) -> Option<&str> {
        self.body["errors"][0]["extensions"]["code"].as_str()
    }

    pub fn error_field(&self) -> Option<&str> {
        self.body["errors"][0]["extensions"]["field"].as_str()
    }

    /// Asserts the request failed with `code` and returns the first error.
    pub fn expect_error(&self, code: &str) -> &Value {
        assert_eq!(
            self.error_code(),
            Some(code),
            "expected {code}, got {:#}",
            self.body
        );
        &self.body["errors"][0]
    }
}

impl TestApp {
    pub async fn post_json(&self, body: &Value, token: Option<&str>) -> Gql {
        let request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(body);
        answer_to(request, token).await
    }

    pub async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Gql {
        self.post_json(&json!({ "query": query, "variables": variables }), token)
            .await
    }

    /// Sends the contract operation `name`, exactly as the frontend writes it.
    pub async fn op(&self, name: &str, variables: Value, token: Option<&str>) -> Gql {
        let document = contract_document(name);
        self.post_json(
            &json!({ "query": document, "variables": variables, "operationName": name }),
            token,
        )
        .await
    }

    /// Sends the contract operation `name` as the GraphQL multipart request a frontend's
    /// upload link sends (see [`upload_to`]).
    pub async fn upload(
        &self,
        name: &str,
        variables: Value,
        file: (&str, &str, Vec<u8>),
        token: Option<&str>,
    ) -> Gql {
        upload_to(&self.client, &self.address, name, variables, file, token).await
    }

    /// Signs up a partner and returns its token and id.
    pub async fn sign_up(&self, email: &str, name: &str) -> (String, String) {
        let answer = self
            .op(
                "SignUp",
                json!({ "input": { "email": email, "password": PASSWORD, "name": name, "organisation": "Hôtel du Port" } }),
                None,
            )
            .await;
        let payload = &answer.data()["signUp"];
        (
            payload["token"].as_str().expect("a token").to_owned(),
            payload["user"]["id"].as_str().expect("an id").to_owned(),
        )
    }

    pub async fn log_in(&self, email: &str, password: &str) -> String {
        let answer = self
            .op(
                "LogIn",
                json!({ "email": email, "password": password }),
                None,
            )
            .await;
        answer.data()["logIn"]["token"]
            .as_str()
            .expect("a token")
            .to_owned()
    }

    pub async fn admin_token(&self) -> String {
        self.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// A logged-in account of the given kind, created through the API as staff would.
    pub async fn persona(&self, persona: Persona, tag: &str) -> Option<String> {
        let email = format!("{tag}-{}@klub.test", persona.slug());
        match persona {
            Persona::Anonymous => None,
            Persona::Admin => {
                let (token, id) = self.sign_up(&email, tag).await;
                self.promote(&id, "ADMIN").await;
                Some(token)
            }
            Persona::Animator => {
                let (token, id) = self.sign_up(&email, tag).await;
                self.promote(&id, "ANIMATOR").await;
                Some(token)
            }
            Persona::Trainer => {
                let (token, id) = self.sign_up(&email, tag).await;
                self.promote(&id, "TRAINER").await;
                Some(token)
            }
            Persona::Partner => Some(self.sign_up(&email, tag).await.0),
            Persona::TrainedPartner => {
                let (token, id) = self.sign_up(&email, tag).await;
                let admin = self.admin_token().await;
                self.op(
                    "SetTrained",
                    json!({ "userId": id, "trained": true }),
                    Some(&admin),
                )
                .await
                .data();
                Some(token)
            }
        }
    }

    /// The id of a group the caller sees, by name.
    pub async fn group_id(&self, token: &str, name: &str) -> String {
        let groups = self.op("Groups", json!({}), Some(token)).await;
        groups.data()["groups"]
            .as_array()
            .expect("a list of groups")
            .iter()
            .find(|g| g["name"] == name)
            .unwrap_or_else(|| panic!("no group {name}"))["id"]
            .as_str()
            .expect("an id")
            .to_owned()
    }

    pub async fn user_id(&self, token: &str) -> String {
        self.op("Me", json!({}), Some(token)).await.data()["me"]["id"]
            .as_str()
            .expect("an id")
            .to_owned()
    }

    /// Staff record `registration` present at every session of its activity.
    pub async fn attend(&self, staff: &str, registration: &Value) {
        self.op(
            "RecordAttendance",
            json!({ "registrationId": registration["id"], "attended": true }),
            Some(staff),
        )
        .await
        .data();
    }

    pub async fn complete(&self, staff: &str, activity: &str) {
        self.op("CompleteActivity", json!({ "id": activity }), Some(staff))
            .await
            .data();
    }

    pub async fn promote(&self, user_id: &str, role: &str) {
        let admin = self.admin_token().await;
        self.op(
            "SetUserRole",
            json!({ "userId": user_id, "role": role }),
            Some(&admin),
        )
        .await
        .data();
    }
}

impl TestApp {
    /// A staff-made activity starting in `days` days, with two 3-hour sessions a day apart;
    /// `overrides` replace fields of the input. Returns its id.
    pub async fn create_activity(&self, staff: &str, days: i64, overrides: Value) -> String {
        let start = self.state.now() + chrono::Duration::days(days);
        let mut input = json!({
            "kind": "WORKSHOP",
            "title": "Google Business Profile",
            "capacity": 10,
            "priceCents": 4000,
            "sessions": [
                { "startsAt": start.to_rfc3339(), "endsAt": (start + chrono::Duration::hours(3)).to_rfc3339() },
                { "startsAt": (start + chrono::Duration::days(1)).to_rfc3339(),
                  "endsAt": (start + chrono::Duration::days(1) + chrono::Duration::hours(3)).to_rfc3339() },
            ],
        });
        if let (Some(input), Some(overrides)) = (input.as_object_mut(), overrides.as_object()) {
            for (key, value) in overrides {
                input.insert(key.clone(), value.clone());
            }
        }
        let answer = self
            .op("CreateActivity", json!({ "input": input }), Some(staff))
            .await;
        answer.data()["createActivity"]["id"]
            .as_str()
            .expect("an activity id")
            .to_owned()
    }

    /// Creates and publishes an activity; see [`TestApp::create_activity`].
    pub async fn published_activity(&self, staff: &str, days: i64, overrides: Value) -> String {
        let id = self.create_activity(staff, days, overrides).await;
        self.op("PublishActivity", json!({ "id": id }), Some(staff))
            .await
            .data();
        id
    }

    pub async fn register(&self, activity: &str, token: &str) -> Value {
        let answer = self
            .op(
                "RegisterForActivity",
                json!({ "activityId": activity }),
                Some(token),
            )
            .await;
        answer.data()["registerForActivity"].clone()
    }

    /// Everyone in `tokens` registers for `activity` at the same moment.
    pub async fn register_all(&self, activity: &str, tokens: &[String]) -> Vec<Gql> {
        futures_util::future::join_all(tokens.iter().map(|token| {
            self.op(
                "RegisterForActivity",
                json!({ "activityId": activity }),
                Some(token),
            )
        }))
        .await
    }

    pub async fn activity(&self, id: &str, staff: &str) -> Value {
        let answer = self.op("Activity", json!({ "id": id }), Some(staff)).await;
        answer.data()["activity"].clone()
    }

    /// `count` partner accounts written straight to the database (hashing a password per
    /// account through `signUp` would dominate the concurrency tests) with their tokens.
    pub async fn many_partners(&self, count: usize) -> Vec<String> {
        use entity::user;
        use sea_orm::{ActiveValue::Set, EntityTrait};
        let now = self.state.now();
        let first = format!("{:x}", rand::random::<u32>());
        user::Entity::insert_many((0..count).map(|i| user::ActiveModel {
            email: Set(format!("partner{i}-{first}@example.fr")),
            name: Set(format!("Partner {i}")),
            organisation: Set(Some(format!("Business {i}"))),
            role: Set(user::Role::Partner),
            trained: Set(false),
            password_hash: Set("not-a-hash: logs in by token only".into()),
            created_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(&self.state.db)
        .await
        .expect("partners inserted");
        let ids: Vec<i64> = user::Entity::find()
            .all(&self.state.db)
            .await
            .expect("partners read")
            .into_iter()
            .filter(|u| u.email.ends_with(&format!("-{first}@example.fr")))
            .map(|u| u.id)
            .collect();
        ids.into_iter()
            .map(|id| self.state.tokens.issue(id, 0, now).expect("a token"))
            .collect()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Persona {
    Anonymous,
    Partner,
    TrainedPartner,
    Animator,
    Admin,
    /// A TRAINER account: an external trainer staff invited.
    Trainer,
}

impl Persona {
    pub const ALL: [Persona; 6] = [
        Persona::Anonymous,
        Persona::Partner,
        Persona::TrainedPartner,
        Persona::Animator,
        Persona::Admin,
        Persona::Trainer,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Persona::Anonymous => "anonymous",
            Persona::Partner => "partner",
            Persona::TrainedPartner => "trained",
            Persona::Animator => "animator",
            Persona::Admin => "admin",
            Persona::Trainer => "trainer",
        }
    }
}

pub fn contract_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("contract")
}

/// Operations beyond the contract, written as the frontend would write them.
pub fn operations_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("operations")
}

/// Every `.graphql` document of the contract and of the operations beyond it.
pub fn operation_documents() -> Vec<PathBuf> {
    let mut paths: Vec<_> = [contract_dir(), operations_dir()]
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).expect("a documents folder"))
        .map(|entry| entry.expect("a readable entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "graphql"))
        .collect();
    paths.sort();
    paths
}

/// The text of the document (contract or beyond) that defines operation `name`.
pub fn contract_document(name: &str) -> &'static str {
    static DOCUMENTS: OnceLock<Vec<String>> = OnceLock::new();
    let documents = DOCUMENTS.get_or_init(|| {
        operation_documents()
            .iter()
            .map(|path| std::fs::read_to_string(path).expect("a readable document"))
            .collect()
    });
    documents
        .iter()
        .find(|document| {
            document.lines().any(|line| {
                ["query ", "mutation ", "subscription "].iter().any(|kind| {
                    line.strip_prefix(kind).is_some_and(|rest| {
                        rest.strip_prefix(name)
                            .is_some_and(|after| after.starts_with(['(', ' ', '{']))
                    })
                })
            })
        })
        .unwrap_or_else(|| panic!("no contract operation named {name}"))
}

/// A database that exists for one test only.
pub struct TestDatabase {
    pub url: String,
    kind: DatabaseKind,
}

enum DatabaseKind {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { server_url: String, name: String },
    Shared,
}

impl TestDatabase {
    pub async fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(server_url) if server_url.starts_with("postgres") => {
                let name = format!("klub_test_{:016x}", rand::random::<u64>());
                let server = Database::connect(&server_url)
                    .await
                    .expect("PostgreSQL answers");
                server
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("test database created");
                server.close().await.ok();
                let base = server_url
                    .rsplit_once('/')
                    .map(|(base, _)| base)
                    .expect("TEST_DATABASE_URL ends with a database name");
                Self {
                    url: format!("{base}/{name}"),
                    kind: DatabaseKind::Postgres { server_url, name },
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("a temporary folder");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("klub.db").display());
                Self {
                    url,
                    kind: DatabaseKind::Sqlite(dir),
                }
            }
        }
    }
}

impl TestDatabase {
    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres")
    }

    /// For a test that only means something on PostgreSQL: on SQLite, says so on the
    /// terminal (past the harness' capture, so a skip never passes silently) and returns true.
    pub fn skips_unless_postgres(&self, test: &str, why: &str) -> bool {
        self.skips_unless(true, test, why)
    }

    /// For a test that only means something on SQLite, likewise.
    pub fn skips_unless_sqlite(&self, test: &str, why: &str) -> bool {
        self.skips_unless(false, test, why)
    }

    fn skips_unless(&self, postgres: bool, test: &str, why: &str) -> bool {
        if self.is_postgres() == postgres {
            return false;
        }
        let (here, only) = if postgres {
            ("SQLite", "PostgreSQL")
        } else {
            ("PostgreSQL", "SQLite")
        };
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED on {here} ({only} only): {test} — {why}"
        );
        true
    }

    /// Another handle on the same database, for a second server instance. Only the original
    /// handle drops the database.
    pub fn same(&self) -> TestDatabase {
        TestDatabase {
            url: self.url.clone(),
            kind: DatabaseKind::Shared,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let DatabaseKind::Postgres { server_url, name } = &self.kind {
            let (server_url, name) = (server_url.clone(), name.clone());
            // Drop runs inside the test's runtime, which cannot block on itself: use a thread
            // with a runtime of its own.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime");
                runtime.block_on(async {
                    if let Ok(server) = Database::connect(&server_url).await {
                        let _ = server
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                        server.close().await.ok();
                    }
                });
            });
            let _ = dropped.join();
        }
    }
}

/// Runs the scheduler's jobs once, as a tick would.
pub async fn run_scheduler(app: &TestApp) {
    api::scheduler::run_once(&app.state).await;
}

/// Polls an activity (as staff) until `done` holds, for up to 10 seconds: for effects of the
/// server's own background jobs.
pub async fn eventually(
    app: &TestApp,
    activity: &str,
    staff: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..100 {
        let seen = app.activity(activity, staff).await;
        if done(&seen) {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("activity {activity} never reached the expected state")
}

/// The token in the link of the newest mail of `kind` (`invitation_account`,
/// `password_reset`, `email_verification`), read from the delivered `.eml` file as its reader
/// would read the mail: the outbox sends what is due first. The stored row holds no token.
pub async fn latest_mailed_token(app: &TestApp, kind: &str) -> Option<String> {
    mailed_token(app, kind, None).await
}

/// [`latest_mailed_token`] of the newest such mail sent to `address`.
pub async fn latest_mailed_token_to(app: &TestApp, kind: &str, address: &str) -> Option<String> {
    mailed_token(app, kind, Some(address)).await
}

async fn mailed_token(app: &TestApp, kind: &str, address: Option<&str>) -> Option<String> {
    use entity::mail;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let mut rows = mail::Entity::find().filter(mail::Column::Kind.eq(kind));
    if let Some(address) = address {
        rows = rows.filter(mail::Column::ToAddress.eq(address));
    }
    let row = rows
        .order_by_desc(mail::Column::Id)
        .one(&app.state.db)
        .await
        .expect("the outbox answers")?;
    let text = delivered(app, row.id).await?;
    let start = text.find("token=")? + "token=".len();
    Some(
        text[start..]
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect(),
    )
}

/// Delivers what is due, again and again (the server's own worker may hold some rows), until
/// `done` gives a value; 5 s at most.
async fn deliver_until<T>(app: &TestApp, mut done: impl AsyncFnMut() -> Option<T>) -> Option<T> {
    for _ in 0..100 {
        api::mail::outbox::deliver_due(&app.state)
            .await
            .expect("the outbox delivers");
        if let Some(value) = done().await {
            return Some(value);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    None
}

/// The text body of outbox row `id` once it is delivered and marked SENT.
pub async fn delivered(app: &TestApp, id: i64) -> Option<String> {
    use entity::mail;
    use sea_orm::EntityTrait;
    deliver_until(app, async || {
        let sent = mail::Entity::find_by_id(id)
            .one(&app.state.db)
            .await
            .expect("the outbox answers")
            .is_some_and(|row| row.status == mail::Status::Sent);
        delivered_text(app, id).filter(|_| sent)
    })
    .await
}

/// Waits until the outbox holds no PENDING mail — each sent, or failed for good. Afterwards
/// no more mail leaves: what a test counts then is final.
pub async fn outbox_settled(app: &TestApp) {
    use entity::mail;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    deliver_until(app, async || {
        let pending = mail::Entity::find()
            .filter(mail::Column::Status.eq(mail::Status::Pending))
            .count(&app.state.db)
            .await
            .expect("the outbox answers");
        (pending == 0).then_some(())
    })
    .await
    .expect("no mail still pending after 5 s");
}

/// The text body of the delivered mail of outbox row `id`, from the mail folder.
fn delivered_text(app: &TestApp, id: i64) -> Option<String> {
    let marker = format!("<klub-mail-{id}@");
    std::fs::read_dir(app.mail_dir.path())
        .expect("the mail folder")
        .filter_map(|entry| std::fs::read(entry.ok()?.path()).ok())
        .find(|bytes| String::from_utf8_lossy(bytes).contains(&marker))
        .and_then(|bytes| {
            mail_parser::MessageParser::default()
                .parse(&bytes)?
                .body_text(0)
                .map(std::borrow::Cow::into_owned)
        })
}

/// The token of the newest account invitation.
pub async fn latest_invitation_token(app: &TestApp) -> String {
    latest_mailed_token(app, "invitation_account")
        .await
        .expect("an invitation mail")
}

/// A graphql-transport-ws client on `/graphql/ws`.
pub struct Socket(
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
);

impl Socket {
    /// Connects and sends `connection_init` with the token; returns once acknowledged.
    pub async fn connect(app: &TestApp, token: &str) -> Self {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let url = format!("{}/graphql/ws", app.address.replace("http://", "ws://"));
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("WebSocket connects");
        let mut socket = Self(socket);
        socket
            .send(json!({ "type": "connection_init", "payload": { "token": token } }))
            .await;
        let ack = socket.next().await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        socket
    }

    /// Connects and subscribes (id "1") to a group's posts with the contract's `GroupPosts`.
    pub async fn posts(app: &TestApp, token: &str, group: &str) -> Self {
        let mut socket = Self::connect(app, token).await;
        socket
            .start("1", "GroupPosts", json!({ "groupId": group }))
            .await;
        socket
    }

    /// Sends operation `name` (contract or beyond) under `id`.
    pub async fn start(&mut self, id: &str, name: &str, variables: Value) {
        self.send(json!({
            "id": id, "type": "subscribe",
            "payload": { "query": contract_document(name), "operationName": name, "variables": variables },
        }))
        .await;
    }

    pub async fn send(&mut self, message: Value) {
        use futures_util::SinkExt;
        self.0
            .send(tokio_tungstenite::tungstenite::Message::text(
                message.to_string(),
            ))
            .await
            .expect("the socket takes the message");
    }

    /// The next JSON message (10 s at most).
    pub async fn next(&mut self) -> Value {
        self.next_within(std::time::Duration::from_secs(10))
            .await
            .expect("a message within 10 s")
    }

    /// The next JSON message, or `None` when none comes in time or the socket closed.
    pub async fn next_within(&mut self, wait: std::time::Duration) -> Option<Value> {
        use futures_util::StreamExt;
        loop {
            let message = tokio::time::timeout(wait, self.0.next())
                .await
                .ok()??
                .ok()?;
            if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
                return serde_json::from_str(&text).ok();
            }
        }
    }
}

/// A Debian tool some tests need (Chromium, pdftotext): when `path` is missing, its `package`
/// is installed on first use on a Debian machine run as root, like the crates `cargo test`
/// fetches; elsewhere the failure says how.
///
/// Tests run in parallel and dpkg takes one installation at a time: they queue here, and apt
/// waits for a lock held by another process instead of failing the first run on a fresh machine.
pub fn debian_tool(path: &std::path::Path, package: &str) {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if path.exists() {
        return;
    }
    let installed = std::process::Command::new("apt-get")
        .args([
            "install",
            "-y",
            "-q",
            "-o",
            "DPkg::Lock::Timeout=300",
            package,
        ])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .is_ok_and(|status| status.success());
    assert!(
        installed && path.exists(),
        "these tests need {}: `apt-get install {package}`",
        path.display()
    );
}

/// Sends the contract operation `name` to the server at `address` as the GraphQL multipart
/// request, `file` = (name, content type, bytes) as its `$file` variable.
pub async fn upload_to(
    client: &reqwest::Client,
    address: &str,
    name: &str,
    variables: Value,
    file: (&str, &str, Vec<u8>),
    token: Option<&str>,
) -> Gql {
    let (file_name, content_type, bytes) = file;
    let mut variables = variables;
    variables["file"] = Value::Null;
    let operations = json!({
        "query": contract_document(name),
        "operationName": name,
        "variables": variables,
    });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.file"] }).to_string())
        .part(
            "0",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(file_name.to_owned())
                .mime_str(content_type)
                .expect("a content type"),
        );
    let request = client.post(format!("{address}/graphql")).multipart(form);
    answer_to(request, token).await
}

/// Sends `request`, with `token` as its bearer if any, and reads the GraphQL answer.
async fn answer_to(request: reqwest::RequestBuilder, token: Option<&str>) -> Gql {
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    let response = request.send().await.expect("request sent");
    let status = response.status();
    let body = response.json().await.expect("a JSON answer");
    Gql { status, body }
}
