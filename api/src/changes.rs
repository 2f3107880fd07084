//! How an instance hears that rows changed, so that what it keeps in memory — the accounts
//! behind sessions ([`ViewerCache`]) and the answers to queries ([`ResponseCache`]) — never
//! outlives them, on this instance or another.
//!
//! - PostgreSQL: triggers send `NOTIFY klub_changes` at commit, whoever writes (migrations
//!   `notify_user_changes` and `notify_data_changes`): a changed account's id, and `data` for
//!   a row of any table. Every instance listens and trusts its memory only while it listens;
//!   before its listener is up, or after a lost connection until it listens again, everything
//!   is read from the database. A mutation's answer waits until this instance's listener has
//!   heard every change committed before it ([`Changes::settle`]): notifications arrive in
//!   commit order, so the caller's next request meets nothing older than its own change.
//! - SQLite: the process that holds the file hears each of its own writes through SQLite's
//!   update hook, before commit ([`Changes::written`]); the caches read what they keep so that
//!   no uncommitted change slips in (see each). Memory belongs to the file: servers of one
//!   process on one file share it. Several processes on one file are not supported (several
//!   instances need PostgreSQL).

use std::{
    collections::HashMap,
    sync::{
        Arc, OnceLock, Weak,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use async_graphql::{
    Request, Response, ServerResult,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextPrepareRequest},
    parser::types::{ExecutableDocument, OperationType},
};
use migration::m20261125_000020_notify_data_changes::UNANSWERED_TABLES;
use parking_lot::Mutex;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::{
    auth::ViewerCache,
    config::SecretString,
    db,
    responses::{MemoryTrust, ResponseCache},
    state::AppState,
};

/// The PostgreSQL channel of changes (see migration `notify_data_changes`).
pub const CHANNEL: &str = "klub_changes";
/// How long a mutation's answer waits for its listener before it stops trusting memory.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(2);

pub struct Changes {
    pub viewers: ViewerCache,
    pub answers: ResponseCache,
    /// Whether both may be trusted (PostgreSQL: the listener's heartbeats).
    trust: Arc<MemoryTrust>,
    /// PostgreSQL fences: this instance's name in their payload, the last sent, the last heard.
    instance: u64,
    fences_sent: AtomicU64,
    fences_heard: tokio::sync::watch::Sender<u64>,
    listening: AtomicBool,
}

impl Changes {
    fn new(trusted: bool) -> Self {
        let trust = Arc::new(MemoryTrust::new(trusted));
        Self {
            viewers: ViewerCache::new(trust.clone()),
            answers: ResponseCache::new(trust.clone()),
            trust,
            instance: rand::random(),
            fences_sent: AtomicU64::new(0),
            fences_heard: tokio::sync::watch::Sender::new(0),
            listening: AtomicBool::new(false),
        }
    }

    /// The memory of the database at `url`: on PostgreSQL this instance's own, trusted once
    /// [`spawn_listener`] listens; on SQLite the file's, shared by the servers of this process.
    pub fn for_database(url: &str) -> Arc<Self> {
        if !url.starts_with("sqlite") {
            return Arc::new(Self::new(false));
        }
        static FILES: OnceLock<Mutex<HashMap<String, Weak<Changes>>>> = OnceLock::new();
        let mut files = FILES.get_or_init(Mutex::default).lock();
        files.retain(|_, memory| memory.strong_count() > 0);
        if let Some(memory) = files.get(url).and_then(Weak::upgrade) {
            return memory;
        }
        let memory = Arc::new(Self::new(true));
        files.insert(url.to_owned(), Arc::downgrade(&memory));
        memory
    }

    /// What SQLite's update hook reports: a row of `table` written by this process.
    pub fn written(&self, table: &str, id: i64) {
        if table == "users" {
            self.viewers.forget(id);
        }
        // As PostgreSQL's triggers: rows no kept answer reads empty no memory.
        if !UNANSWERED_TABLES.contains(&table) {
            self.answers.forget_all();
        }
    }

    /// Waits until this instance has heard every change committed so far (PostgreSQL; nothing
    /// to wait for on SQLite, whose hook runs before the writer's commit). Called after each
    /// mutation, before its answer leaves. When the fence cannot be sent or heard in time,
    /// memory is emptied instead.
    pub async fn settle(&self, db: &DatabaseConnection) {
        if db.get_database_backend() != DbBackend::Postgres
            || !self.listening.load(Ordering::Acquire)
        {
            return;
        }
        let fence = self.fences_sent.fetch_add(1, Ordering::Relaxed) + 1;
        let mut heard = self.fences_heard.subscribe();
        let sent = db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [
                    CHANNEL.into(),
                    format!("fence:{}:{fence}", self.instance).into(),
                ],
            ))
            .await;
        let heard = match sent {
            Ok(_) => tokio::time::timeout(SETTLE_TIMEOUT, heard.wait_for(|last| *last >= fence))
                .await
                .is_ok_and(|heard| heard.is_ok()),
            Err(_) => false,
        };
        if !heard {
            tracing::warn!("the change listener is late; forgetting what memory holds");
            self.viewers.forget_all();
            self.answers.forget_all();
        }
    }

    /// Whether memory may be trusted, from what the listener says (PostgreSQL).
    fn trust(&self, listening: bool) {
        self.listening.store(listening, Ordering::Release);
        self.trust.listening(listening);
        // Whatever changed before LISTEN is read from the database, not from memory.
        self.viewers.forget_all();
        self.answers.forget_all();
    }

    /// What the listener heard on [`CHANNEL`].
    fn hear(&self, payload: &str) {
        if let Some(beat) = payload.strip_prefix("beat:") {
            if let Some((instance, sent)) = beat.split_once(':')
                && instance.parse() == Ok(self.instance)
                && let Ok(sent) = sent.parse::<u64>()
            {
                self.trust.heard_heartbeat(sent);
            }
        } else if let Some(fence) = payload.strip_prefix("fence:") {
            if let Some((instance, number)) = fence.split_once(':')
                && instance.parse() == Ok(self.instance)
                && let Ok(number) = number.parse::<u64>()
            {
                self.fences_heard.send_if_modified(|last| {
                    let newer = number > *last;
                    if newer {
                        *last = number;
                    }
                    newer
                });
            }
        } else if payload == "data" {
            self.answers.forget_all();
        } else if let Ok(id) = payload.parse() {
            self.viewers.forget(id);
        } else {
            self.viewers.forget_all();
        }
    }
}

/// On PostgreSQL: listens for changes, trusting memory only while listening. Returns once the
/// first attempt to listen is done, so that a server listens before it serves.
pub async fn spawn_listener(changes: Arc<Changes>, db: &DatabaseConnection, url: SecretString) {
    if db.get_database_backend() == DbBackend::Postgres {
        db::listen(url, CHANNEL, ChangeListener(changes)).await;
    }
}

struct ChangeListener(Arc<Changes>);

impl db::Listener for ChangeListener {
    fn listening(&self, now: bool) {
        self.0.trust(now);
    }

    async fn heard(&self, payload: &str) {
        self.0.hear(payload);
    }

    fn heartbeat(&self) -> Option<String> {
        Some(format!(
            "beat:{}:{}",
            self.0.instance,
            self.0.trust.elapsed_ms()
        ))
    }
}

/// Whether the operation `name` (or the only one) of `document` is a mutation.
pub fn runs_mutation(document: &ExecutableDocument, name: Option<&str>) -> bool {
    document
        .operations
        .iter()
        .any(|(operation_name, operation)| {
            operation.node.ty == OperationType::Mutation
                && (name.is_none() || operation_name.map(|n| n.as_str()) == name)
        })
}

/// Holds each mutation's answer until this instance has heard the changes committed before it
/// ([`Changes::settle`]).
pub struct SettleMutations;

impl ExtensionFactory for SettleMutations {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Settle::default())
    }
}

#[derive(Default)]
struct Settle {
    mutation: AtomicBool,
}

#[async_trait::async_trait]
impl Extension for Settle {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let operation_name = request.operation_name.clone();
        let mutation = runs_mutation(request.parsed_query()?, operation_name.as_deref());
        self.mutation.store(mutation, Ordering::Relaxed);
        next.run(ctx, request).await
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        if self.mutation.load(Ordering::Relaxed)
            && let Ok(state) = ctx.data::<AppState>()
        {
            state.changes.settle(&state.db).await;
        }
        response
    }
}
