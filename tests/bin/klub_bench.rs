//! `klub-bench`: Klub under load, on a prepared dataset, on SQLite and (optionally)
//! PostgreSQL. Run it in release mode (see the README's "Performance" section):
//!
//! ```sh
//! cargo run --release -p klub-tests --bin klub-bench -- [--postgres URL] [--seconds N]
//! ```
//!
//! It starts Klub as a child process (this same binary in server mode), fills a fresh database
//! with 2,000 trained partners, 200 published activities with two sessions each and 20,000
//! registrations, and 2 groups with 250 threads and 5,000 posts, then measures at 1, 8 and 64
//! concurrent clients: browsing (`Activities`, first 20, with `myRegistration`), a registration
//! burst (1,000 partners at once for one 20-seat workshop), and reading a group
//! (`GroupThreads`, first 20, and `Thread`). Each row gives requests per second, p50/p99
//! latency, SQL statements per request (from the server's own counter on `/metrics`) and the
//! server's peak resident memory, next to a trivial actix-web handler measured in the same run.
#![allow(
    clippy::as_conversions,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark computes statistics and prints its figures"
)]
// A measuring tool: a set-up step that fails stops the run with its reason.
#![allow(clippy::expect_used)]

use std::{
    process::{Command, ExitCode, Stdio},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::Utc;
use entity::{activity, group, group_digest, post, registration, session, thread, user};
use klub_tests::{ServerProcess, smtp::SmtpServer};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait,
    QueryFilter,
};
use serde_json::{Value, json};

/// The server under test runs with the allocator the `klub` binary uses.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const JWT_SECRET: &str = "klub-bench-secret-klub-bench-secret-0123456789";
const CLIENTS: [usize; 3] = [1, 8, 64];
const PARTNERS: usize = 2_000;
const ACTIVITIES: usize = 200;
const REGISTRATIONS_PER_ACTIVITY: usize = 100;
const THREADS_PER_GROUP: usize = 125;
const POSTS_PER_THREAD: usize = 20;
const BURST: usize = 1_000;
const BURST_SEATS: i32 = 20;

#[tokio::main]
async fn main() -> ExitCode {
    match std::env::var("KLUB_BENCH_ROLE").as_deref() {
        Ok("server") => return api::cli::run().await,
        Ok("ceiling") => return ceiling().await,
        _ => {}
    }
    let mut postgres = None;
    let mut seconds = 5;
    let mut oha = None;
    let mut wrk = None;
    let mut scale = 1;
    let mut only = None;
    let mut peer = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--postgres", Some(url)) => postgres = Some(url),
            ("--seconds", Some(n)) => seconds = n.parse().unwrap_or(5),
            ("--oha", Some(path)) => oha = Some(path),
            ("--wrk", Some(path)) => wrk = Some(path),
            ("--peer", Some(url)) => peer = Some(url),
            ("--scale", Some(n)) => scale = n.parse().unwrap_or(1).max(1),
            ("--only", Some(part)) if part == "browsing" => only = Some(Part::Browsing),
            ("--only", Some(part)) if part == "burst" => only = Some(Part::Burst),
            ("--only", Some(part)) if part == "crowd" => only = Some(Part::Crowd),
            ("--only", Some(part)) if part == "growth" => only = Some(Part::Growth),
            _ => {
                eprintln!(
                    "usage: klub-bench [--postgres URL] [--seconds N] [--oha PATH] [--wrk PATH] [--peer URL] [--scale N] [--only browsing|burst|crowd|growth]"
                );
                return ExitCode::from(2);
            }
        }
    }
    let bench = Bench {
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(128)
            .build()
            .unwrap_or_default(),
        window: Duration::from_secs(seconds),
        oha,
        wrk,
        scale,
        only,
    };

    println!(
        "| database | scenario | clients | requests | req/s | p50 ms | p99 ms | SQL/req | server peak MiB | req/s vs ceiling |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let ceiling = bench.ceiling_figures().await;
    for figures in &ceiling {
        figures.print(None);
    }

    let folder = tempfile::tempdir().expect("a temporary folder");
    let sqlite = format!(
        "sqlite://{}?mode=rwc",
        folder.path().join("bench.db").display()
    );
    bench.run("SQLite", &sqlite, folder.path(), &ceiling).await;

    if let Some(server) = postgres {
        let name = format!("klub_bench_{:08x}", rand::random::<u32>());
        let admin = Database::connect(&server)
            .await
            .expect("PostgreSQL answers");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("bench database created");
        let base = server
            .rsplit_once('/')
            .map_or(server.as_str(), |(base, _)| base);
        bench
            .run(
                "PostgreSQL",
                &format!("{base}/{name}"),
                folder.path(),
                &ceiling,
            )
            .await;
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
    }

    // The peer's GraphQL endpoint, under the same crowd in the same run.
    if let (Some(peer), Some(wrk)) = (peer, bench.wrk.as_ref()) {
        wrk_peer_crowd(wrk, &peer, folder.path()).print(Some(&ceiling));
    }
    ExitCode::SUCCESS
}

/// The ceiling: the smallest actix-web handler, with the same number of workers as Klub.
async fn ceiling() -> ExitCode {
    let listen = std::env::var("KLUB_LISTEN").unwrap_or_else(|_| "127.0.0.1:0".into());
    let server = actix_web::HttpServer::new(|| {
        actix_web::App::new().route(
            "/",
            actix_web::web::get().to(|| async { actix_web::HttpResponse::Ok().body("ok") }),
        )
    })
    .workers(2)
    .bind(listen);
    match server {
        Ok(server) => match server.run().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::FAILURE,
        },
        Err(_) => ExitCode::FAILURE,
    }
}

struct Bench {
    client: reqwest::Client,
    window: Duration,
    /// oha, to measure browsing as `../shared/peer/run.sh` measures PostGraphile.
    oha: Option<String>,
    /// wrk, to measure the crowd: many partners on many pages, nothing answered from memory.
    wrk: Option<String>,
    /// The dataset's size, as a multiple of the base shape (partners, activities and their
    /// registrations, threads and their posts).
    scale: usize,
    /// The one part `--only` names (to weigh one lever quickly); both without it.
    only: Option<Part>,
}

#[derive(Clone, Copy, PartialEq)]
enum Part {
    /// Pages, `{ __typename }` and, with `--oha`, oha's rows.
    Browsing,
    /// The registration burst.
    Burst,
    /// The crowd alone (with `--wrk`).
    Crowd,
    /// What staff download, whose cost grows with the data: the month's report, a training
    /// file.
    Growth,
}

/// One measured row.
struct Figures {
    database: &'static str,
    scenario: &'static str,
    clients: usize,
    requests: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
    statements_per_request: Option<f64>,
    peak_mib: Option<f64>,
}

impl Figures {
    fn print(&self, ceiling: Option<&[Figures]>) {
        let ratio = ceiling
            .and_then(|rows| rows.iter().find(|row| row.clients == self.clients))
            .map_or("".to_owned(), |row| {
                format!("{:.2}", self.per_second / row.per_second)
            });
        println!(
            "| {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {} | {} | {} |",
            self.database,
            self.scenario,
            self.clients,
            self.requests,
            self.per_second,
            self.p50.as_secs_f64() * 1000.0,
            self.p99.as_secs_f64() * 1000.0,
            self.statements_per_request
                .map_or("".into(), |n| format!("{n:.1}")),
            self.peak_mib.map_or("".into(), |n| format!("{n:.0}")),
            ratio,
        );
    }
}

/// A process this binary started, killed when dropped.
/// Klub (or the trivial handler) as a child process, in a role of this binary.
struct Server(ServerProcess);

impl std::ops::Deref for Server {
    type Target = ServerProcess;
    fn deref(&self) -> &ServerProcess {
        &self.0
    }
}

impl Server {
    async fn start(role: &str, env: &[(&str, String)]) -> Self {
        let mut command = Command::new(std::env::current_exe().expect("this binary"));
        command
            .env("KLUB_BENCH_ROLE", role)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (name, value) in env {
            command.env(name, value);
        }
        Self(ServerProcess::start(command).await)
    }

    async fn statements(&self, client: &reqwest::Client) -> Option<f64> {
        let text = client
            .get(format!("{}/metrics", self.metrics_address))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        text.lines()
            .find(|line| line.starts_with("klub_db_statements_total"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }
}

/// What one request sent: its latency and whether it got what it asked for.
type Outcome = (Duration, bool);

impl Bench {
    fn measures(&self, part: Part) -> bool {
        self.only.is_none_or(|only| only == part)
    }

    /// Runs `request(i)` from `clients` tasks, for the time window or until `limit` requests.
    async fn load<F, Fut>(
        &self,
        clients: usize,
        limit: Option<usize>,
        request: F,
    ) -> (Vec<Outcome>, Duration)
    where
        F: Fn(usize) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = bool> + Send,
    {
        let request = Arc::new(request);
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let deadline = started + self.window;
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let (request, next) = (request.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                let mut outcomes = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let done = match limit {
                        Some(limit) => i >= limit,
                        None => Instant::now() >= deadline,
                    };
                    if done {
                        return outcomes;
                    }
                    let sent = Instant::now();
                    let ok = request(i).await;
                    outcomes.push((sent.elapsed(), ok));
                }
            }));
        }
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.extend(task.await.unwrap_or_default());
        }
        (outcomes, started.elapsed())
    }

    fn figures(
        database: &'static str,
        scenario: &'static str,
        clients: usize,
        outcomes: &[Outcome],
        elapsed: Duration,
    ) -> Figures {
        let mut latencies: Vec<Duration> = outcomes.iter().map(|(latency, _)| *latency).collect();
        latencies.sort();
        let at = |q: f64| {
            latencies
                .get(((latencies.len() as f64 * q).ceil() as usize).saturating_sub(1))
                .copied()
                .unwrap_or_default()
        };
        let failed = outcomes.iter().filter(|(_, ok)| !ok).count();
        if failed > 0 {
            eprintln!("{database} {scenario} ×{clients}: {failed} requests failed");
        }
        Figures {
            database,
            scenario,
            clients,
            requests: outcomes.len(),
            per_second: outcomes.len() as f64 / elapsed.as_secs_f64(),
            p50: at(0.50),
            p99: at(0.99),
            statements_per_request: None,
            peak_mib: None,
        }
    }

    async fn ceiling_figures(&self) -> Vec<Figures> {
        let server = Server::start("ceiling", &[]).await;
        let mut rows = Vec::new();
        for clients in CLIENTS {
            let (client, url) = (self.client.clone(), format!("{}/", server.address));
            let (outcomes, elapsed) = self
                .load(clients, None, move |_| {
                    let (client, url) = (client.clone(), url.clone());
                    async move {
                        match client.get(url).send().await {
                            Ok(response) => {
                                response.status() == 200 && response.bytes().await.is_ok()
                            }
                            Err(_) => false,
                        }
                    }
                })
                .await;
            let mut figures = Self::figures(
                "—",
                "trivial actix-web handler (ceiling)",
                clients,
                &outcomes,
                elapsed,
            );
            figures.peak_mib = server.peak_mib();
            rows.push(figures);
        }
        rows
    }

    async fn run(
        &self,
        database: &'static str,
        url: &str,
        folder: &std::path::Path,
        ceiling: &[Figures],
    ) {
        let mail_dir = folder.join(format!("mail-{database}"));
        // The outbox is measured sending to an SMTP server; elsewhere mail goes to a folder.
        let smtp = match self.measures(Part::Growth) {
            true => Some(SmtpServer::start_counting().await),
            false => None,
        };
        let mail = match &smtp {
            Some(smtp) => ("KLUB_SMTP_URL", smtp.url()),
            None => ("KLUB_MAIL_DIR", mail_dir.display().to_string()),
        };
        let server = Server::start(
            "server",
            &[
                ("DATABASE_URL", url.to_owned()),
                ("KLUB_JWT_SECRET", JWT_SECRET.to_owned()),
                ("KLUB_ADMIN_EMAIL", "admin@bench.klub".to_owned()),
                ("KLUB_ADMIN_PASSWORD", "bench-admin-password".to_owned()),
                mail,
                ("KLUB_SCHEDULER_TICK_SECONDS", "3600".to_owned()),
            ],
        )
        .await;
        let db = Database::connect(url).await.expect("the bench database");
        let seeded = Instant::now();
        let data = seed(&db, self.scale).await;
        eprintln!(
            "{database}: dataset written in {:.1} s",
            seeded.elapsed().as_secs_f64()
        );
        let keys = api::auth::TokenKeys::new(
            JWT_SECRET.as_bytes(),
            server.address.clone(),
            Duration::from_secs(24 * 3600),
        );
        let tokens: Arc<Vec<String>> = Arc::new(
            data.partners
                .iter()
                .map(|id| keys.issue(*id, 0, Utc::now()).unwrap_or_default())
                .collect(),
        );
        let endpoint = format!("{}/graphql", server.address);

        // Each request comes from the next of the 2,000 partners, so the first round of them
        // finds no answer in memory. "never asked before" prices a page that is never in
        // memory: each request narrows the list to activities ending after a different
        // instant of the past, which keeps the same 20 activities. The two
        // `{ __typename }` rows price reading the caller: the same trivial operation with and
        // without a token.
        let scenarios: [(&'static str, Option<&'static str>, Variables); 6] = [
            (
                "Activities (first 20, myRegistration)",
                Some("Activities"),
                Variables::Fixed(json!({ "first": 20 })),
            ),
            (
                "Activities, never asked before",
                Some("Activities"),
                Variables::NeverAskedBefore,
            ),
            (
                "GroupThreads (first 20)",
                Some("GroupThreads"),
                Variables::Fixed(json!({ "groupId": data.group.to_string(), "first": 20 })),
            ),
            ("Thread (20 posts)", Some("Thread"), Variables::EachThread),
            (
                "{ __typename } with a token",
                None,
                Variables::Fixed(json!({})),
            ),
            (
                "{ __typename } without a token",
                None,
                Variables::Fixed(json!({})),
            ),
        ];
        // Counts the pages never asked before, across every run of the scenario.
        let asked = Arc::new(AtomicUsize::new(0));
        let browsing = self.measures(Part::Browsing);
        for (scenario, operation, variables) in scenarios.into_iter().filter(|_| browsing) {
            let document = operation.map_or_else(|| "{ __typename }".to_owned(), operation_text);
            let with_token = !scenario.ends_with("without a token");
            for clients in CLIENTS {
                let before = server.statements(&self.client).await;
                let (client, endpoint, tokens, threads) = (
                    self.client.clone(),
                    endpoint.clone(),
                    tokens.clone(),
                    data.threads.clone(),
                );
                let (document, variables) = (document.clone(), variables.clone());
                let asked = asked.clone();
                let (outcomes, elapsed) = self
                    .load(clients, None, move |i| {
                        let variables = match &variables {
                            Variables::Fixed(variables) => variables.clone(),
                            Variables::EachThread => {
                                json!({ "id": threads[i % threads.len()].to_string() })
                            }
                            Variables::NeverAskedBefore => {
                                let asked = asked.fetch_add(1, Ordering::Relaxed) as i64;
                                let from = chrono::DateTime::UNIX_EPOCH
                                    + chrono::Duration::seconds(asked);
                                json!({ "first": 20, "filter": { "from": from.to_rfc3339() } })
                            }
                        };
                        let mut request = client.post(endpoint.clone()).json(
                            &json!({ "query": document, "variables": variables, "operationName": operation }),
                        );
                        if with_token {
                            request = request.bearer_auth(&tokens[i % tokens.len()]);
                        }
                        async move { answered_without_errors(request).await.is_some() }
                    })
                    .await;
                let after = server.statements(&self.client).await;
                let mut figures = Self::figures(database, scenario, clients, &outcomes, elapsed);
                figures.statements_per_request = per_request(before, after, outcomes.len());
                figures.peak_mib = server.peak_mib();
                figures.print(Some(ceiling));
            }
        }

        if let Some(oha) = self.oha.as_ref().filter(|_| browsing) {
            let activities = json!({ "query": operation_text("Activities"), "variables": { "first": 20 }, "operationName": "Activities" });
            let floor = json!({ "query": "{ __typename }" });
            for (scenario, body, token) in [
                (
                    "Activities (oha, one partner)",
                    &activities,
                    Some(&tokens[0]),
                ),
                (
                    "{ __typename } with a token (oha)",
                    &floor,
                    Some(&tokens[0]),
                ),
                ("{ __typename } without a token (oha)", &floor, None),
            ] {
                oha_figures(
                    (database, scenario),
                    oha,
                    &endpoint,
                    body,
                    token.map(String::as_str),
                )
                .print(Some(ceiling));
            }
        }

        let crowd = browsing || self.measures(Part::Crowd);
        if let Some(wrk) = self.wrk.as_ref().filter(|_| crowd) {
            let cursors = self.page_cursors(&endpoint, &tokens[0]).await;
            let scenario = if self.scale == 1 {
                "crowd: 300 partners × 10 pages, nothing kept (wrk)"
            } else {
                "crowd at the --scale given (wrk)"
            };
            let mut figures = wrk_crowd(
                (database, scenario),
                wrk,
                &endpoint,
                &tokens[..CROWD],
                &cursors,
                folder,
            );
            figures.peak_mib = server.peak_mib();
            figures.print(Some(ceiling));
        }

        if self.measures(Part::Growth) {
            let admin = keys.issue(data.admin, 0, Utc::now()).unwrap_or_default();
            let month = Utc::now().format("%Y-%m");
            for (scenario, path) in [
                (
                    "the month's report (HTML, charts)",
                    format!("/reports/{month}.html"),
                ),
                (
                    "a training file (ZIP, 100 registrations)",
                    format!("/activities/{}/training-file.zip", data.workshop),
                ),
            ] {
                let url = format!("{}{path}", server.address);
                let mut figures = self.downloads(database, scenario, &url, &admin).await;
                figures.peak_mib = server.peak_mib();
                figures.print(None);
            }
        }

        let register = operation_text("RegisterForActivity");
        let bursts = CLIENTS.into_iter().zip(data.burst_workshops);
        for (clients, workshop) in bursts.filter(|_| self.measures(Part::Burst)) {
            let before = server.statements(&self.client).await;
            let (client, endpoint, tokens, register) = (
                self.client.clone(),
                endpoint.clone(),
                tokens.clone(),
                register.clone(),
            );
            let confirmed = Arc::new(AtomicUsize::new(0));
            let counted = confirmed.clone();
            let (outcomes, elapsed) = self
                .load(clients, Some(BURST), move |i| {
                    let request =
                        client
                            .post(endpoint.clone())
                            .bearer_auth(&tokens[i])
                            .json(&json!({
                                "query": register,
                                "variables": { "activityId": workshop.to_string() },
                                "operationName": "RegisterForActivity",
                            }));
                    let counted = counted.clone();
                    async move {
                        let Some(body) = answered_without_errors(request).await else {
                            return false;
                        };
                        if body["data"]["registerForActivity"]["status"] == "CONFIRMED" {
                            counted.fetch_add(1, Ordering::Relaxed);
                        }
                        true
                    }
                })
                .await;
            let after = server.statements(&self.client).await;
            let mut figures = Self::figures(
                database,
                "Registration burst (1,000 → 20 seats)",
                clients,
                &outcomes,
                elapsed,
            );
            figures.statements_per_request = per_request(before, after, outcomes.len());
            figures.peak_mib = server.peak_mib();
            figures.print(Some(ceiling));
            let answered = outcomes.iter().filter(|(_, ok)| *ok).count();
            let seats = confirmed.load(Ordering::Relaxed);
            eprintln!(
                "{database} burst ×{clients}: {answered}/{BURST} answered, {seats} CONFIRMED"
            );
            let stored = registration::Entity::find()
                .filter(registration::Column::ActivityId.eq(workshop))
                .filter(registration::Column::Status.eq(registration::Status::Confirmed))
                .all(&db)
                .await
                .map(|rows| rows.len())
                .unwrap_or_default();
            if answered != BURST || seats != BURST_SEATS as usize || stored != BURST_SEATS as usize
            {
                eprintln!(
                    "{database} burst ×{clients}: INVARIANT BROKEN ({stored} stored as CONFIRMED)"
                );
            }
        }

        // Last, since the outbox goes on sending after its window.
        if let Some(smtp) = &smtp {
            server.reset_peak();
            let (mut digests, mut outbox) = night(database, url, &db, smtp, folder).await;
            digests.peak_mib = server.peak_mib();
            digests.print(None);
            outbox.peak_mib = server.peak_mib();
            outbox.print(None);
        }
        drop(server);
    }
}

/// How long the outbox is watched sending the night's digests.
const OUTBOX_WINDOW: Duration = Duration::from_secs(20);

/// A night: yesterday's digests, written by this process as the scheduler's job writes them
/// (the day's digests not yet sent), then the server's outbox sending them to `smtp`. Each is
/// one row whose p50 and p99 are the whole job's time, and whose rate is mails per second.
async fn night(
    database: &'static str,
    url: &str,
    db: &DatabaseConnection,
    smtp: &SmtpServer,
    folder: &std::path::Path,
) -> (Figures, Figures) {
    let mail_dir = folder.join("mail-digests").display().to_string();
    let config = api::config::Config::from_lookup(|name| match name {
        "DATABASE_URL" => Some(url.to_owned()),
        "KLUB_JWT_SECRET" => Some(JWT_SECRET.to_owned()),
        "KLUB_MAIL_DIR" => Some(mail_dir.clone()),
        _ => None,
    })
    .expect("the configuration of the night's jobs");
    let state = api::startup::prepare(config)
        .await
        .expect("the night's jobs connected");
    // The server's scheduler claimed yesterday's digests when it started, before the dataset.
    group_digest::Entity::delete_many()
        .exec(db)
        .await
        .expect("yesterday's digests not yet sent");
    let before = smtp.count();
    let started = Instant::now();
    let mailed = api::groups::notifications::send_digests(&state)
        .await
        .expect("the night's digests");
    let written = started.elapsed();
    let job = |scenario, count: usize, elapsed: Duration| Figures {
        database,
        scenario,
        clients: 1,
        requests: count,
        per_second: count as f64 / elapsed.as_secs_f64(),
        p50: elapsed,
        p99: elapsed,
        statements_per_request: None,
        peak_mib: None,
    };
    let digests = job("a night's digests (mails written)", mailed, written);

    let waited = Instant::now();
    while smtp.count() == before && waited.elapsed() < OUTBOX_WINDOW {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (first, sending) = (smtp.count(), Instant::now());
    while smtp.count() < before + mailed && sending.elapsed() < OUTBOX_WINDOW {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let sent = smtp.count() - first;
    let outbox = job(
        "the outbox to a local SMTP server (mails sent)",
        sent,
        sending.elapsed(),
    );
    eprintln!(
        "{database}: {mailed} digests written in {:.1} s; the outbox sent {:.0} mails a minute",
        written.as_secs_f64(),
        outbox.per_second * 60.0
    );
    (digests, outbox)
}

/// How many times each download is timed, one after the other.
const DOWNLOADS: usize = 5;

impl Bench {
    /// Downloads `url` with `token` [`DOWNLOADS`] times in a row, each checked to succeed.
    async fn downloads(
        &self,
        database: &'static str,
        scenario: &'static str,
        url: &str,
        token: &str,
    ) -> Figures {
        let started = Instant::now();
        let mut times = Vec::with_capacity(DOWNLOADS);
        for _ in 0..DOWNLOADS {
            let asked = Instant::now();
            let answer = self.client.get(url).bearer_auth(token).send().await;
            let body = match answer {
                Ok(answer) if answer.status().is_success() => answer.bytes().await.ok(),
                Ok(answer) => {
                    eprintln!("{url}: {}", answer.status());
                    None
                }
                Err(error) => {
                    eprintln!("{url}: {error}");
                    None
                }
            };
            times.push((asked.elapsed(), body.is_some_and(|body| !body.is_empty())));
        }
        Self::figures(database, scenario, 1, &times, started.elapsed())
    }
}

/// How many partners the crowd rotates through, and how many pages each asks.
const CROWD: usize = 300;
const CROWD_PAGES: usize = 10;

impl Bench {
    /// The cursors of the first [`CROWD_PAGES`] pages of 20 activities ("" for the first).
    async fn page_cursors(&self, endpoint: &str, token: &str) -> Vec<String> {
        let mut cursors = vec![String::new()];
        while cursors.len() < CROWD_PAGES {
            let after = cursors.last().filter(|c| !c.is_empty()).cloned();
            let request = self.client.post(endpoint).bearer_auth(token).json(&json!({
                "query": operation_text("Activities"),
                "variables": { "first": 20, "after": after },
                "operationName": "Activities",
            }));
            let Some(body) = answered_without_errors(request).await else {
                break;
            };
            match body["data"]["activities"]["pageInfo"]["endCursor"].as_str() {
                Some(cursor) => cursors.push(cursor.to_owned()),
                None => break,
            }
        }
        cursors
    }
}

/// The crowd, measured by wrk (2 threads, 64 connections, 10 s after a 3 s warm-up): each
/// request is the next partner of `tokens` on one of the pages of `cursors`, narrowed to
/// activities ending after an instant no other request used, so nothing kept in memory answers.
fn wrk_crowd(
    row: (&'static str, &'static str),
    wrk: &str,
    endpoint: &str,
    tokens: &[String],
    cursors: &[String],
    folder: &std::path::Path,
) -> Figures {
    let quoted = |items: &[String]| {
        items
            .iter()
            .map(|item| format!("{item:?}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let request = format!(
        r#"local tokens = {{{tokens}}}
local cursors = {{{cursors}}}
local query = {query}
request = function()
  counter = counter + 1
  local n = counter * 2 + tid + OFFSET
  local token = tokens[(n % #tokens) + 1]
  local cursor = cursors[(math.floor(n / #tokens) % #cursors) + 1]
  local after = "null"
  if cursor ~= "" then after = '"' .. cursor .. '"' end
  local from = os.date("!%Y-%m-%dT%H:%M:%SZ", n)
  local body = '{{"operationName":"Activities","query":' .. query .. ',"variables":{{"first":20,"after":' .. after .. ',"filter":{{"from":"' .. from .. '"}}}}}}'
  return wrk.format("POST", nil, {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}}, body)
end
"#,
        tokens = quoted(tokens),
        cursors = quoted(cursors),
        query = lua_string(&operation_text("Activities")),
    );
    wrk_figures(row, wrk, endpoint, &request, folder)
}

/// PostGraphile (`../shared/peer/run.sh` with `PEER_KEEP=1`) under the same crowd: its
/// `activities20` query, each request for the next of its 300 partners on one of 10 pages.
fn wrk_peer_crowd(wrk: &str, endpoint: &str, folder: &std::path::Path) -> Figures {
    let query = PEER_QUERY
        .replace("($userId: Int!)", "($userId: Int!, $offset: Int!)")
        .replace("(first: 20,", "(first: 20, offset: $offset,");
    let request = format!(
        r#"local query = {query}
request = function()
  counter = counter + 1
  local n = counter * 2 + tid + OFFSET
  local user = (n % {CROWD}) + 1
  local offset = (math.floor(n / {CROWD}) % {CROWD_PAGES}) * 20
  local body = '{{"operationName":"Activities","query":' .. query .. ',"variables":{{"userId":' .. user .. ',"offset":' .. offset .. '}}}}'
  return wrk.format("POST", nil, {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer peer"}}, body)
end
"#,
        query = lua_string(&query),
    );
    wrk_figures(
        ("PostGraphile", "crowd: 300 partners × 10 pages (wrk)"),
        wrk,
        endpoint,
        &request,
        folder,
    )
}

/// Klub's `Activities` in PostGraphile's generated API, as `../shared/peer/activities20.graphql`
/// asks it.
const PEER_QUERY: &str = "query Activities($userId: Int!) {
  allActivities(first: 20, orderBy: STARTS_AT_ASC) {
    nodes {
      id kind title status startsAt capacity
      sessions: sessionsByActivityId(orderBy: STARTS_AT_ASC) { nodes { startsAt endsAt } }
      myRegistration: registrationsByActivityId(condition: { userId: $userId }) {
        nodes { id status position }
      }
      confirmed: registrationsByActivityId(condition: { status: \"CONFIRMED\" }) { totalCount }
    }
  }
}";

/// `text` as a Lua string holding its JSON string: pasted whole into a request body.
fn lua_string(text: &str) -> String {
    serde_json::to_string(&serde_json::to_string(text).unwrap_or_default()).unwrap_or_default()
}

/// Runs wrk with `request`, a Lua `request` function that reads `counter`, `tid` and `OFFSET`
/// (a warm-up of 3 s, then 10 s measured from another offset, so the measure never asks what
/// the warm-up asked), each answer holding GraphQL errors counted and reported.
fn wrk_figures(
    (database, scenario): (&'static str, &'static str),
    wrk: &str,
    endpoint: &str,
    request: &str,
    folder: &std::path::Path,
) -> Figures {
    let script = format!(
        r#"local threads = 0
local counter = 0
errors = 0
local all = {{}}
function setup(thread) thread:set("tid", threads); threads = threads + 1; table.insert(all, thread) end
response = function(status, headers, body)
  if string.find(body, '"errors"', 1, true) then errors = errors + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(all) do total = total + thread:get("errors") end
  io.stderr:write("wrk: " .. total .. " answers with GraphQL errors\n")
end
{request}"#
    );
    let run = |duration: &str, offset: u64| {
        let path = folder.join("crowd.lua");
        let _ = std::fs::write(&path, script.replace("OFFSET", &offset.to_string()));
        let output = Command::new(wrk)
            .args(["-t2", "-c64", "-d", duration, "--latency", "-s"])
            .arg(&path)
            .arg(endpoint)
            .output()
            .expect("wrk runs");
        eprint!("{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    run("3s", 0);
    let report = run("10s", 1_000_000_000);
    let field = |prefix: &str| {
        report.lines().find_map(|line| {
            line.trim()
                .strip_prefix(prefix)
                .map(str::trim)
                .map(str::to_owned)
        })
    };
    let duration = |text: Option<String>| {
        let text = text.unwrap_or_default();
        let (number, unit) =
            text.split_at(text.find(|c: char| c.is_alphabetic()).unwrap_or(text.len()));
        let value: f64 = number.parse().unwrap_or_default();
        Duration::from_secs_f64(match unit {
            "us" => value / 1e6,
            "ms" => value / 1e3,
            "s" => value,
            "m" => value * 60.0,
            _ => 0.0,
        })
    };
    if let Some(errors) = field("Non-2xx or 3xx responses:") {
        eprintln!("wrk: {errors} answers other than 2xx");
    }
    let requests = report
        .lines()
        .find(|line| line.contains("requests in"))
        .and_then(|line| line.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_default();
    Figures {
        database,
        scenario,
        clients: 64,
        requests,
        per_second: field("Requests/sec:")
            .and_then(|n| n.parse().ok())
            .unwrap_or_default(),
        p50: duration(field("50%")),
        p99: duration(field("99%")),
        statements_per_request: None,
        peak_mib: None,
    }
}

/// Statements per request between two readings of the server's counter. The first reading's
/// own scrape runs two statements (the outbox depth) after it read the counter.
/// `oha` at 64 connections for 10 s after a 3 s warm-up, as the peer's script runs it.
/// What each request of a scenario asks for.
#[derive(Clone)]
enum Variables {
    Fixed(Value),
    /// The next thread of the group.
    EachThread,
    /// The page of activities, narrowed differently each time (see the scenarios).
    NeverAskedBefore,
}

fn oha_figures(
    (database, scenario): (&'static str, &'static str),
    oha: &str,
    endpoint: &str,
    body: &Value,
    token: Option<&str>,
) -> Figures {
    let run = |duration: &str| {
        let mut command = Command::new(oha);
        command.args([
            "-z",
            duration,
            "-c",
            "64",
            "--no-tui",
            "--output-format",
            "json",
        ]);
        command.args([
            "-m",
            "POST",
            "-T",
            "application/json",
            "-d",
            &body.to_string(),
        ]);
        if let Some(token) = token {
            command.args(["-H", &format!("Authorization: Bearer {token}")]);
        }
        let output = command.arg(endpoint).output().expect("oha runs");
        serde_json::from_slice::<Value>(&output.stdout).expect("oha's JSON summary")
    };
    run("3s");
    let summary = run("10s");
    let statuses = &summary["statusCodeDistribution"];
    if statuses
        .as_object()
        .is_some_and(|codes| codes.keys().any(|code| code != "200"))
    {
        eprintln!("oha: answers other than 200: {statuses}");
    }
    let seconds = |value: &Value| Duration::from_secs_f64(value.as_f64().unwrap_or_default());
    let per_second = summary["summary"]["requestsPerSec"]
        .as_f64()
        .unwrap_or_default();
    Figures {
        database,
        scenario,
        clients: 64,
        requests: statuses
            .as_object()
            .map(|codes| codes.values().filter_map(Value::as_u64).sum::<u64>() as usize)
            .unwrap_or_default(),
        per_second,
        p50: seconds(&summary["latencyPercentiles"]["p50"]),
        p99: seconds(&summary["latencyPercentiles"]["p99"]),
        statements_per_request: None,
        peak_mib: None,
    }
}

fn per_request(before: Option<f64>, after: Option<f64>, requests: usize) -> Option<f64> {
    before
        .zip(after)
        .map(|(before, after)| (after - before - 2.0) / requests.max(1) as f64)
}

/// Sends the request; the body when it came back 200 without GraphQL errors.
async fn answered_without_errors(request: reqwest::RequestBuilder) -> Option<Value> {
    let response = request.send().await.ok()?;
    if response.status() != 200 {
        return None;
    }
    let body: Value = response.json().await.ok()?;
    body.get("errors").is_none().then_some(body)
}

/// The text of one contract operation, as a client sends it (one operation per request).
fn operation_text(name: &str) -> String {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("contract");
    for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
        let source = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let mut lines = source.lines().skip_while(|line| {
            !["query ", "mutation "].iter().any(|kind| {
                line.strip_prefix(kind).is_some_and(|rest| {
                    rest.starts_with(&format!("{name}(")) || rest.starts_with(&format!("{name} "))
                })
            })
        });
        let Some(first) = lines.next() else {
            continue;
        };
        let mut text = vec![first];
        for line in lines {
            text.push(line);
            if line == "}" {
                break;
            }
        }
        return text.join("\n");
    }
    panic!("no contract operation {name}")
}

struct Dataset {
    admin: i64,
    /// An activity of the programme, with its registrations: its training file is timed.
    workshop: i64,
    partners: Vec<i64>,
    group: i64,
    threads: Vec<i64>,
    burst_workshops: [i64; 3],
}

/// Writes the dataset straight into the database, in batches.
async fn seed(db: &DatabaseConnection, scale: usize) -> Dataset {
    let now = Utc::now();
    let admin = user::Entity::find()
        .filter(user::Column::Email.eq("admin@bench.klub"))
        .one(db)
        .await
        .ok()
        .flatten()
        .expect("the bench admin");
    for chunk in (0..PARTNERS * scale).collect::<Vec<_>>().chunks(500) {
        user::Entity::insert_many(chunk.iter().map(|i| user::ActiveModel {
            email: Set(format!("partner{i}@bench.klub")),
            name: Set(format!("Partner {i}")),
            organisation: Set(Some(format!("Business {i}"))),
            role: Set(user::Role::Partner),
            trained: Set(true),
            password_hash: Set("-".into()),
            created_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(db)
        .await
        .expect("partners written");
    }
    let partners: Vec<i64> = user::Entity::find()
        .filter(user::Column::Role.eq(user::Role::Partner))
        .all(db)
        .await
        .expect("partners read")
        .into_iter()
        .map(|u| u.id)
        .collect();

    let activity_row = |title: String, day: i64, capacity: i32, confirmed: i32| {
        let starts_at = now + chrono::Duration::days(day);
        activity::ActiveModel {
            kind: Set(activity::Kind::Workshop),
            status: Set(activity::Status::Published),
            audience: Set(activity::Audience::AllPartners),
            title: Set(title),
            capacity: Set(capacity),
            price_cents: Set(4000),
            starts_at: Set(starts_at),
            ends_at: Set(starts_at + chrono::Duration::days(1) + chrono::Duration::hours(3)),
            confirmed_count: Set(confirmed),
            waitlist_count: Set(0),
            sequence: Set(0),
            created_by: Set(admin.id),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
    };
    for chunk in (0..ACTIVITIES * scale).collect::<Vec<_>>().chunks(500) {
        activity::Entity::insert_many(chunk.iter().map(|i| {
            activity_row(
                format!("Activity {i}"),
                1 + *i as i64 / scale as i64,
                150,
                REGISTRATIONS_PER_ACTIVITY as i32,
            )
        }))
        .exec_without_returning(db)
        .await
        .expect("activities written");
    }
    activity::Entity::insert_many(
        (0..3).map(|i| activity_row(format!("Burst {i}"), 400, BURST_SEATS, 0)),
    )
    .exec_without_returning(db)
    .await
    .expect("burst workshops written");
    let activities = activity::Entity::find()
        .all(db)
        .await
        .expect("activities read");
    let mut burst = activities
        .iter()
        .filter(|a| a.title.starts_with("Burst"))
        .map(|a| a.id);
    let burst_workshops = [
        burst.next().unwrap_or_default(),
        burst.next().unwrap_or_default(),
        burst.next().unwrap_or_default(),
    ];
    let programme: Vec<&activity::Model> = activities
        .iter()
        .filter(|a| a.title.starts_with("Activity"))
        .collect();
    for chunk in programme.chunks(500) {
        session::Entity::insert_many(chunk.iter().flat_map(|a| {
            [0, 1].map(|day| session::ActiveModel {
                activity_id: Set(a.id),
                starts_at: Set(a.starts_at + chrono::Duration::days(day)),
                ends_at: Set(a.starts_at
                    + chrono::Duration::days(day)
                    + chrono::Duration::hours(3)),
                ..Default::default()
            })
        }))
        .exec_without_returning(db)
        .await
        .expect("sessions written");
    }
    let pairs: Vec<(i64, i64)> = programme
        .iter()
        .enumerate()
        .flat_map(|(n, a)| {
            let partners = &partners;
            (0..REGISTRATIONS_PER_ACTIVITY)
                .map(move |k| (a.id, partners[(n * 37 + k) % partners.len()]))
        })
        .collect();
    for chunk in pairs.chunks(2_000) {
        registration::Entity::insert_many(chunk.iter().map(|(activity_id, user_id)| {
            registration::ActiveModel {
                activity_id: Set(*activity_id),
                user_id: Set(*user_id),
                status: Set(registration::Status::Confirmed),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
        }))
        .exec_without_returning(db)
        .await
        .expect("registrations written");
    }

    // The groups' threads and posts are yesterday's: the night's digests tell of them.
    let yesterday = now - chrono::Duration::days(1);
    let groups = group::Entity::find().all(db).await.expect("groups read");
    let club = groups
        .iter()
        .find(|g| g.audience == group::Audience::StaffAndTrainedPartners)
        .map(|g| g.id)
        .expect("the partners' club");
    for g in &groups {
        for chunk in (0..THREADS_PER_GROUP * scale)
            .collect::<Vec<_>>()
            .chunks(500)
        {
            thread::Entity::insert_many(chunk.iter().map(|&i| thread::ActiveModel {
                group_id: Set(g.id),
                author_id: Set(partners[i % partners.len()]),
                title: Set(format!("Question {i} about online reviews")),
                is_question: Set(i % 2 == 0),
                locked: Set(false),
                reply_count: Set(POSTS_PER_THREAD as i32 - 1),
                first_response_at: Set(Some(yesterday)),
                last_post_at: Set(yesterday),
                created_at: Set(yesterday),
                ..Default::default()
            }))
            .exec_without_returning(db)
            .await
            .expect("threads written");
        }
    }
    let threads = thread::Entity::find().all(db).await.expect("threads read");
    let posts: Vec<(i64, usize)> = threads
        .iter()
        .flat_map(|t| (0..POSTS_PER_THREAD).map(move |k| (t.id, k)))
        .collect();
    for chunk in posts.chunks(1_000) {
        post::Entity::insert_many(chunk.iter().map(|(thread_id, k)| post::ActiveModel {
            thread_id: Set(*thread_id),
            author_id: Set(partners[(*thread_id as usize * 7 + k) % partners.len()]),
            body: Set(format!(
                "Reply {k}: here is how we answer reviews on Google and TripAdvisor."
            )),
            removed: Set(false),
            created_at: Set(yesterday),
            ..Default::default()
        }))
        .exec_without_returning(db)
        .await
        .expect("posts written");
    }
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        let _ = db.execute_unprepared("ANALYZE").await;
    }
    Dataset {
        admin: admin.id,
        workshop: programme.first().map_or(0, |a| a.id),
        partners,
        group: club,
        threads: threads
            .iter()
            .filter(|t| t.group_id == club)
            .map(|t| t.id)
            .collect(),
        burst_workshops,
    }
}
