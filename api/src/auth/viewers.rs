//! The accounts behind sessions, kept in memory: reading the caller costs no statement, yet a
//! role change, a revoked session or a deleted account is seen by the very next request, on
//! this instance or another.
//!
//! An entry goes the moment its `users` row changes, whoever changes it:
//! - PostgreSQL: a trigger on `users` sends `NOTIFY klub_users` at commit and every instance
//!   listens. An instance serves from memory only while it listens; before its listener is up,
//!   or after a lost connection until it listens again, every request reads the row. A
//!   mutation's answer waits until this instance's listener has heard every change committed
//!   before it ([`ViewerCache::settle`]): notifications arrive in commit order, so the caller's
//!   next request meets no entry older than its own change.
//! - SQLite: the process that holds the file hears each of its own writes through SQLite's
//!   update hook, before commit, and a miss reads the row under the write lock, so no
//!   uncommitted change slips into memory. The cache belongs to the file: servers of one
//!   process on one file share it. Several processes on one file are not supported (several
//!   instances need PostgreSQL).
//!
//! A generation counter refuses to keep a row read before an invalidation that came after it.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, OnceLock, Weak,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use async_graphql::{
    Request, Response, ServerResult,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextPrepareRequest},
    parser::types::{ExecutableDocument, OperationType},
};
use entity::user;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Statement};

use crate::{
    config::SecretString,
    db::{self, begin_write},
    error::ApiResult,
    state::AppState,
};

/// The PostgreSQL channel of changed accounts (see migration `notify_user_changes`).
pub const USERS_CHANNEL: &str = "klub_users";
/// Past this many entries the cache starts again empty rather than grow without bound.
const MAX_ENTRIES: usize = 50_000;
/// How long a mutation's answer waits for its listener before it stops trusting memory.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(2);

pub struct ViewerCache {
    entries: Mutex<Entries>,
    /// Whether memory may be trusted: always on SQLite; on PostgreSQL while listening.
    trusted: AtomicBool,
    /// PostgreSQL fences: this instance's name in their payload, the last sent, the last heard.
    instance: u64,
    fences_sent: AtomicU64,
    fences_heard: tokio::sync::watch::Sender<u64>,
}

#[derive(Default)]
struct Entries {
    rows: HashMap<i64, Arc<user::Model>>,
    generation: u64,
}

impl ViewerCache {
    fn new(trusted: bool) -> Self {
        Self {
            entries: Mutex::default(),
            trusted: AtomicBool::new(trusted),
            instance: rand::random(),
            fences_sent: AtomicU64::new(0),
            fences_heard: tokio::sync::watch::Sender::new(0),
        }
    }

    /// The cache for the database at `url`: on PostgreSQL this instance's own, trusted once
    /// [`spawn_listener`] listens; on SQLite the file's, shared by the servers of this process.
    pub fn for_database(url: &str) -> Arc<Self> {
        if !url.starts_with("sqlite") {
            return Arc::new(Self::new(false));
        }
        static FILES: OnceLock<Mutex<HashMap<String, Weak<ViewerCache>>>> = OnceLock::new();
        let mut files = lock(FILES.get_or_init(Mutex::default));
        files.retain(|_, cache| cache.strong_count() > 0);
        if let Some(cache) = files.get(url).and_then(Weak::upgrade) {
            return cache;
        }
        let cache = Arc::new(Self::new(true));
        files.insert(url.to_owned(), Arc::downgrade(&cache));
        cache
    }

    /// The account `id` as it is now, from memory when memory can be trusted.
    pub async fn user(
        &self,
        db: &DatabaseConnection,
        id: i64,
    ) -> ApiResult<Option<Arc<user::Model>>> {
        let generation = {
            let entries = lock(&self.entries);
            if self.is_trusted()
                && let Some(row) = entries.rows.get(&id)
            {
                return Ok(Some(row.clone()));
            }
            entries.generation
        };
        let row = match db.get_database_backend() {
            // Under the write lock no writer is between its update hook and its commit.
            DbBackend::Sqlite => {
                let tx = begin_write(db).await?;
                let row = user::Entity::find_by_id(id).one(&tx).await?;
                tx.commit().await?;
                row
            }
            _ => user::Entity::find_by_id(id).one(db).await?,
        };
        let Some(row) = row.map(Arc::new) else {
            return Ok(None);
        };
        let mut entries = lock(&self.entries);
        if self.is_trusted() && entries.generation == generation {
            if entries.rows.len() >= MAX_ENTRIES {
                entries.rows.clear();
            }
            entries.rows.insert(id, row.clone());
        }
        Ok(Some(row))
    }

    /// What SQLite's update hook reports: a row of `table` written by this process.
    pub fn written(&self, table: &str, id: i64) {
        if table == "users" {
            self.forget(id);
        }
    }

    /// Forgets account `id`, and any row of it being read at this moment.
    fn forget(&self, id: i64) {
        let mut entries = lock(&self.entries);
        entries.generation += 1;
        entries.rows.remove(&id);
    }

    fn forget_all(&self) {
        let mut entries = lock(&self.entries);
        entries.generation += 1;
        entries.rows.clear();
    }

    fn is_trusted(&self) -> bool {
        self.trusted.load(Ordering::Acquire)
    }

    fn trust(&self, trusted: bool) {
        self.forget_all();
        self.trusted.store(trusted, Ordering::Release);
    }

    /// Waits until this instance has heard every account change committed so far (PostgreSQL;
    /// nothing to wait for on SQLite, whose hook runs before the writer's commit). Called
    /// after each mutation, before its answer leaves.
    /// When the fence cannot be sent or heard in time, memory is emptied instead.
    pub async fn settle(&self, db: &DatabaseConnection) {
        if db.get_database_backend() != DbBackend::Postgres || !self.is_trusted() {
            return;
        }
        let fence = self.fences_sent.fetch_add(1, Ordering::Relaxed) + 1;
        let mut heard = self.fences_heard.subscribe();
        let sent = db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [
                    USERS_CHANNEL.into(),
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
            tracing::warn!("the account listener is late; reading accounts from the database");
            self.forget_all();
        }
    }

    /// What the listener heard on [`USERS_CHANNEL`].
    fn hear(&self, payload: &str) {
        if let Some(fence) = payload.strip_prefix("fence:") {
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
        } else if let Ok(id) = payload.parse() {
            self.forget(id);
        } else {
            self.forget_all();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The guarded maps stay consistent whatever panicked while holding them.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// On PostgreSQL: listens for changed accounts, trusting memory only while listening. Returns
/// once the first attempt to listen is done, so that a server listens before it serves.
pub async fn spawn_listener(cache: Arc<ViewerCache>, db: &DatabaseConnection, url: SecretString) {
    if db.get_database_backend() == DbBackend::Postgres {
        db::listen(url, USERS_CHANNEL, AccountListener(cache)).await;
    }
}

struct AccountListener(Arc<ViewerCache>);

impl db::Listener for AccountListener {
    fn listening(&self, now: bool) {
        // Whatever changed before LISTEN is read from the database, not from memory.
        self.0.trust(now);
    }

    async fn heard(&self, payload: &str) {
        self.0.hear(payload);
    }
}

/// Holds each mutation's answer until this instance has heard the account changes committed
/// before it ([`ViewerCache::settle`]).
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
            state.viewers.settle(&state.db).await;
        }
        response
    }
}
