//! Connecting to the database and preparing it: SQLite (the embedded default) or PostgreSQL.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use entity::setting;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ActiveEnum,
    ActiveValue::Set,
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, PrimaryKeyTrait, SqliteTransactionMode, TransactionOptions, TransactionTrait,
    sea_query::{Expr, OnConflict},
    sqlx::postgres::PgListener,
};

use crate::{
    config::{Config, ExposeSecret, SecretString, is_sqlite},
    error::{ApiError, ApiResult},
};

/// Told of every row this process writes on SQLite: its table and its key (rowid).
pub type RowWritten = Arc<dyn Fn(&str, i64) + Send + Sync>;

/// Connects, counting every statement into `statements`, and applies pending migrations. On
/// SQLite, `written` hears each row written through these connections, before its commit.
pub async fn connect(
    config: &Config,
    statements: Arc<AtomicU64>,
    written: RowWritten,
) -> Result<DatabaseConnection, DbErr> {
    let options = options(config, written);
    migrate(&options).await?;
    let mut db = Database::connect(options).await?;
    db.set_metric_callback(move |_| {
        statements.fetch_add(1, Ordering::Relaxed);
    });
    Ok(db)
}

/// Applies the migrations not applied yet (`klub migrate`, and every start). Returns every
/// migration's name, with true for those applied now.
pub async fn migrate_database(config: &Config) -> Result<Vec<(String, bool)>, DbErr> {
    migrate(&options(config, Arc::new(|_, _| {}))).await
}

/// Migrations run on a connection of their own, closed before serving starts: a pooled
/// SQLite connection opened before an `ALTER TABLE` could read rows with the old set of
/// columns (seen as "Missing value for column" at startup, once in a few hundred starts).
async fn migrate(options: &ConnectOptions) -> Result<Vec<(String, bool)>, DbErr> {
    let mut migrating = options.clone();
    migrating.max_connections(1).min_connections(1);
    let migrations = Database::connect(migrating).await?;
    let pending: Vec<String> = Migrator::get_pending_migrations(&migrations)
        .await?
        .iter()
        .map(|migration| migration.name().to_owned())
        .collect();
    Migrator::up(&migrations, None).await?;
    migrations.close().await?;
    Ok(Migrator::migrations()
        .iter()
        .map(|migration| {
            let name = migration.name().to_owned();
            let now = pending.contains(&name);
            (name, now)
        })
        .collect())
}

/// A consistent copy of the embedded SQLite database in `file`, taken while the server may be
/// writing (SQLite's `VACUUM INTO` reads one snapshot). PostgreSQL has its own tools.
pub async fn backup_sqlite(config: &Config, file: &std::path::Path) -> ApiResult<()> {
    if !is_sqlite(config.database_url.expose_secret()) {
        return Err(ApiError::bad_input(
            "database",
            "klub backup copies the embedded SQLite database; on PostgreSQL use pg_dump \
             (pg_dump --format=custom --file FILE \"$DATABASE_URL\")",
        ));
    }
    if file.exists() {
        return Err(ApiError::conflict(format!(
            "{} exists already: Klub never overwrites a backup",
            file.display()
        )));
    }
    let mut options = options(config, Arc::new(|_, _| {}));
    options.max_connections(1).min_connections(1);
    let db = Database::connect(options).await?;
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Sqlite,
        "VACUUM INTO ?",
        [file.to_string_lossy().into_owned().into()],
    ))
    .await?;
    db.close().await?;
    Ok(())
}

/// How Klub connects: pool sizes and timeouts, and SQLite's pragmas.
fn options(config: &Config, written: RowWritten) -> ConnectOptions {
    let url = config.database_url.expose_secret();
    let mut options = ConnectOptions::new(url);
    if is_sqlite(url) {
        // A SQLite connection is a file handle that cannot go stale: checking it before every
        // use cost a thread round trip per statement (measured with klub-bench).
        options.test_before_acquire(false);
    } else {
        // A PostgreSQL connection can die with the network or a server restart. Checking it
        // before every use doubled the round trips of a one-statement request (klub-bench);
        // one idle for a while is checked, and one that dies in use fails that statement
        // (503, UNAVAILABLE) and leaves the pool.
        options.test_before_acquire_if_idle_for(Duration::from_secs(10));
    }
    options
        .max_connections(config.db_max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false)
        // WAL lets readers work beside the writer; the busy timeout makes concurrent writers
        // queue instead of failing with SQLITE_BUSY.
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        })
        .map_sqlx_sqlite_pool_opts(move |pool| {
            let written = written.clone();
            pool.after_connect(move |connection, _| {
                let written = written.clone();
                Box::pin(async move {
                    connection
                        .lock_handle()
                        .await?
                        .set_update_hook(move |row| written(row.table, row.rowid));
                    Ok(())
                })
            })
        });
    options
}

/// A stored enum value written into a statement as a literal rather than bound: PostgreSQL
/// plans a prepared statement for any value, and such a plan guesses badly how many rows a
/// status keeps, or cannot use a partial index on it. Only for constants of the code, never
/// for input.
pub fn literal<E: ActiveEnum<Value = String>>(value: E) -> Expr {
    Expr::cust(format!("'{}'", value.to_value()))
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes later can fail with
/// SQLITE_BUSY when another writer got in between, and the busy timeout does not help there.
/// PostgreSQL ignores the setting; its row locks do the same job.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        isolation_level: None,
        access_mode: None,
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
    })
    .await
}

/// The row of `E` whose key is `id`, or NOT_FOUND naming `what`.
pub async fn get<E>(db: &impl ConnectionTrait, id: i64, what: &'static str) -> ApiResult<E::Model>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    E::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound(what))
}

/// Returns the shared value stored under `key`, storing `make()` first if there is none.
/// Several instances starting at once agree on one value: the first insert wins and the
/// others read it back.
pub async fn shared_setting(
    db: &DatabaseConnection,
    key: &str,
    make: impl FnOnce() -> String,
) -> Result<String, DbErr> {
    setting::Entity::insert(setting::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(make()),
    })
    .on_conflict(
        OnConflict::column(setting::Column::Key)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    setting::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .map(|row| row.value)
        .ok_or_else(|| DbErr::RecordNotFound(format!("setting {key}")))
}

/// A statement written with `?` placeholders, numbered for PostgreSQL.
pub fn statement(
    backend: sea_orm::DbBackend,
    sql: &str,
    values: impl IntoIterator<Item = sea_orm::Value>,
) -> sea_orm::Statement {
    let sql = if backend == sea_orm::DbBackend::Postgres {
        let mut numbered = String::with_capacity(sql.len() + 16);
        let mut n = 0;
        for ch in sql.chars() {
            if ch == '?' {
                n += 1;
                numbered.push_str(&format!("${n}"));
            } else {
                numbered.push(ch);
            }
        }
        numbered
    } else {
        sql.to_owned()
    };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

/// What a PostgreSQL notification channel is relayed to (see [`listen`]).
pub trait Listener: Send + Sync + 'static {
    /// Listening began (`true`) or stopped (`false`). Whatever was notified while not listening
    /// is lost, so memory kept up to date by the channel must not be trusted in between.
    fn listening(&self, _now: bool) {}

    /// One notification's payload.
    fn heard(&self, payload: &str) -> impl Future<Output = ()> + Send;

    /// A payload to notify on the channel every [`HEARTBEAT`], from a connection of its own:
    /// hearing it back proves the listening connection still delivers (none by default).
    fn heartbeat(&self) -> Option<String> {
        None
    }
}

/// How often a listener with a [`Listener::heartbeat`] sends it.
pub const HEARTBEAT: Duration = Duration::from_millis(250);

/// Relays `channel` of the PostgreSQL database at `url` to `listener`, listening again a second
/// after a lost connection. Returns once the first attempt to listen is done, so that a server
/// listens before it serves.
pub async fn listen(url: SecretString, channel: &'static str, listener: impl Listener) {
    let listener = Arc::new(listener);
    let mut subscribed = subscribe(url.expose_secret(), channel, listener.as_ref()).await;
    tokio::spawn(async move {
        loop {
            let error = match subscribed {
                Ok(connection) => {
                    // Heartbeats go out on a connection of their own, so that sending one never
                    // holds up a notification: they only prove the listener still hears.
                    let beating = listener.heartbeat().is_some().then(|| {
                        tokio::spawn(send_heartbeats(url.clone(), channel, listener.clone()))
                    });
                    let error = relay(connection, listener.as_ref()).await;
                    if let Some(beating) = beating {
                        beating.abort();
                    }
                    error
                }
                Err(error) => error,
            };
            tracing::warn!(%error, channel, "listener stopped; listening again shortly");
            listener.listening(false);
            tokio::time::sleep(Duration::from_secs(1)).await;
            subscribed = subscribe(url.expose_secret(), channel, listener.as_ref()).await;
        }
    });
}

async fn subscribe(
    url: &str,
    channel: &str,
    listener: &impl Listener,
) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut connection = PgListener::connect(url).await?;
    connection.listen(channel).await?;
    listener.listening(true);
    Ok(connection)
}

/// Notifies the listener's heartbeat on `channel` every [`HEARTBEAT`] until it is aborted,
/// connecting again a second after a failure: while none goes out, none is heard, and
/// whatever trusts the heartbeats stops trusting.
async fn send_heartbeats(url: SecretString, channel: &'static str, listener: Arc<impl Listener>) {
    use sea_orm::sqlx::Connection;
    loop {
        if let Ok(mut connection) =
            sea_orm::sqlx::postgres::PgConnection::connect(url.expose_secret()).await
        {
            while let Some(payload) = listener.heartbeat() {
                let sent = sea_orm::sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(channel)
                    .bind(payload)
                    .execute(&mut connection)
                    .await;
                if sent.is_err() {
                    break;
                }
                tokio::time::sleep(HEARTBEAT).await;
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Relays until the connection is lost, the only way it ends.
async fn relay(mut connection: PgListener, listener: &impl Listener) -> sea_orm::sqlx::Error {
    loop {
        // `recv` would reconnect on its own and hide the notifications lost meanwhile.
        match connection.try_recv().await {
            Ok(Some(notification)) => listener.heard(notification.payload()).await,
            Ok(None) => {
                return std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "the listening connection was lost",
                )
                .into();
            }
            Err(error) => return error,
        }
    }
}

/// Counts one more event under `key` in a window of `window` shared by every instance, and
/// returns the count: one statement that inserts the counter at 1, or adds 1 to it (starting a
/// new window at 1 when the old one has passed), and reads the result. The conflicting row is
/// locked by the upsert on PostgreSQL and SQLite has one writer, so concurrent bumps are
/// serialised and each gets a distinct number. Used for login attempts (`auth::throttle`) and
/// the outbox's pace; the rows live in `login_throttles`, named for their first use, and are
/// forgotten by `auth::throttle::forget_old`.
pub async fn bump_counter(
    db: &impl ConnectionTrait,
    key: String,
    window: chrono::Duration,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<i32> {
    use entity::login_throttle::{self, Column};
    use sea_orm::{ExprTrait, sea_query::Expr};
    let table = login_throttle::Entity;
    let expired = Expr::col((table, Column::WindowStartedAt)).lte(now - window);
    let row = login_throttle::Entity::insert(login_throttle::ActiveModel {
        key: Set(key),
        attempts: Set(1),
        window_started_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(Column::Key)
            .value(
                Column::Attempts,
                Expr::case(expired.clone(), 1).finally(Expr::col((table, Column::Attempts)).add(1)),
            )
            .value(
                Column::WindowStartedAt,
                Expr::case(expired, now).finally(Expr::col((table, Column::WindowStartedAt))),
            )
            .to_owned(),
    )
    .exec_with_returning(db)
    .await?;
    Ok(row.attempts)
}

/// Held while a process serves an SQLite file: what a server keeps in memory is kept true by
/// hearing its own writes (see `changes.rs`), so another process writing the file (a second
/// server, or `klub import`/`klub admin`) would leave it believing stale rows. The lock is a
/// file beside the database (`klub.db.lock`), locked with `flock`; never the database file
/// itself, whose POSIX locks SQLite would lose when another descriptor on it closes. Servers
/// of one process share it (tests run several on one file).
#[derive(Clone)]
pub struct SqliteServing {
    _file: Arc<std::fs::File>,
}

impl SqliteServing {
    /// Takes the file for this process, or says who holds it. `None` on PostgreSQL and for an
    /// in-memory database.
    pub fn take(config: &Config, purpose: &str) -> ApiResult<Option<Self>> {
        use std::sync::Weak;
        static HELD: std::sync::Mutex<Vec<(std::path::PathBuf, Weak<std::fs::File>)>> =
            std::sync::Mutex::new(Vec::new());
        let Some(path) = lock_path(config.database_url.expose_secret()) else {
            return Ok(None);
        };
        let mut held = HELD
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        held.retain(|(_, file)| file.strong_count() > 0);
        if let Some(file) = held
            .iter()
            .find(|(held_path, _)| *held_path == path)
            .and_then(|(_, file)| file.upgrade())
        {
            return Ok(Some(Self { _file: file }));
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(ApiError::internal)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(ApiError::conflict(format!(
                    "another process is using the SQLite database ({} is locked): {purpose}",
                    path.display()
                )));
            }
            Err(std::fs::TryLockError::Error(error)) => return Err(ApiError::internal(error)),
        }
        let file = Arc::new(file);
        held.push((path, Arc::downgrade(&file)));
        Ok(Some(Self { _file: file }))
    }
}

/// The lock file of an SQLite URL (`sqlite://klub.db?mode=rwc` → `klub.db.lock`).
fn lock_path(url: &str) -> Option<std::path::PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.contains(":memory:")).then(|| format!("{path}.lock").into())
}
