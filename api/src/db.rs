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
    ActiveValue::Set, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, PrimaryKeyTrait, SqliteTransactionMode,
    TransactionOptions, TransactionTrait, sea_query::OnConflict, sqlx::postgres::PgListener,
};

use crate::{
    config::{Config, ExposeSecret, SecretString},
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
    let url = config.database_url.expose_secret();
    let mut options = ConnectOptions::new(url);
    if url.starts_with("sqlite") {
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
    // Migrations run on a connection of their own, closed before serving starts: a pooled
    // SQLite connection opened before an `ALTER TABLE` could read rows with the old set of
    // columns (seen as "Missing value for column" at startup, once in a few hundred starts).
    let mut migrating = options.clone();
    migrating.max_connections(1).min_connections(1);
    let migrations = Database::connect(migrating).await?;
    Migrator::up(&migrations, None).await?;
    migrations.close().await?;

    let mut db = Database::connect(options).await?;
    db.set_metric_callback(move |_| {
        statements.fetch_add(1, Ordering::Relaxed);
    });
    Ok(db)
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
