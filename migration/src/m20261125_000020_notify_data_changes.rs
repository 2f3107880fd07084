//! Every instance keeps the answers to queries in memory until a row changes
//! (`api/src/responses.rs`). On PostgreSQL a trigger on every table tells every instance, at
//! commit, that data changed, whoever changed it: the server, a script or an operator at a `psql`
//! prompt. The accounts' notifications (`notify_user_changes`) move to the same channel: a
//! listener hears one channel in commit order, so the fence a mutation sends after its commit
//! is heard after both kinds of change (`api/src/changes.rs`).
//!
//! Row triggers, not statement triggers: a statement that changes nothing (the outbox worker's
//! claim of an empty queue, say) must not empty every instance's memory. PostgreSQL sends one
//! notification per transaction for identical payloads, however many rows it wrote.
//!
//! A table created by a later migration needs the same two triggers ([`watch`]); a test
//! checks that every table has them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The channel every change is announced on.
pub const CHANNEL: &str = "klub_changes";

const UP: &[&str] = &[
    "CREATE OR REPLACE FUNCTION klub_user_changed() RETURNS trigger AS $$
     BEGIN
         IF TG_OP = 'TRUNCATE' THEN
             PERFORM pg_notify('klub_changes', '*');
         ELSE
             PERFORM pg_notify('klub_changes', OLD.id::text);
         END IF;
         RETURN NULL;
     END $$ LANGUAGE plpgsql",
    "CREATE OR REPLACE FUNCTION klub_data_changed() RETURNS trigger AS $$
     BEGIN
         PERFORM pg_notify('klub_changes', 'data');
         RETURN NULL;
     END $$ LANGUAGE plpgsql",
];

const DOWN: &[&str] = &[
    "CREATE OR REPLACE FUNCTION klub_user_changed() RETURNS trigger AS $$
     BEGIN
         IF TG_OP = 'TRUNCATE' THEN
             PERFORM pg_notify('klub_users', '*');
         ELSE
             PERFORM pg_notify('klub_users', OLD.id::text);
         END IF;
         RETURN NULL;
     END $$ LANGUAGE plpgsql",
];

/// The tables of the current schema but the migrations' own.
const TABLES: &str = "SELECT tablename::text FROM pg_tables
     WHERE schemaname = current_schema() AND tablename <> 'seaql_migrations'";

/// Announces every change of `table` on [`CHANNEL`] (PostgreSQL; nothing to do on SQLite,
/// whose update hook hears every row).
pub async fn watch(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    if !is_postgres(manager) {
        return Ok(());
    }
    let db = manager.get_connection();
    db.execute_unprepared(&format!(
        r#"CREATE TRIGGER klub_data_changed AFTER INSERT OR UPDATE OR DELETE ON "{table}"
           FOR EACH ROW EXECUTE FUNCTION klub_data_changed()"#
    ))
    .await?;
    db.execute_unprepared(&format!(
        r#"CREATE TRIGGER klub_data_truncated AFTER TRUNCATE ON "{table}"
           FOR EACH STATEMENT EXECUTE FUNCTION klub_data_changed()"#
    ))
    .await?;
    Ok(())
}

/// Tables that no answer kept in memory reads: their changes are not announced, so that the
/// writes nobody's answer depends on — a failed log-in's count, the outbox marking a mail sent,
/// a link claimed — do not empty every instance's memory. An answer that reads one of them is
/// never kept (`api/src/clock.rs`, `volatile`); SQLite's update hook skips them the same way.
pub const UNANSWERED_TABLES: &[&str] = &[
    "login_throttles",
    "mails",
    "email_verifications",
    "password_resets",
];

/// Stops announcing the changes of `table` (see [`UNANSWERED_TABLES`]).
pub async fn unwatch(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    if !is_postgres(manager) {
        return Ok(());
    }
    manager
        .get_connection()
        .execute_unprepared(&format!(
            r#"DROP TRIGGER IF EXISTS klub_data_changed ON "{table}";
               DROP TRIGGER IF EXISTS klub_data_truncated ON "{table}""#
        ))
        .await?;
    Ok(())
}

fn is_postgres(manager: &SchemaManager<'_>) -> bool {
    manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Postgres
}

async fn tables(manager: &SchemaManager<'_>) -> Result<Vec<String>, DbErr> {
    let rows = manager
        .get_connection()
        .query_all_raw(sea_orm_migration::sea_orm::Statement::from_string(
            manager.get_database_backend(),
            TABLES,
        ))
        .await?;
    rows.iter().map(|row| row.try_get_by_index(0)).collect()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if !is_postgres(manager) {
            return Ok(());
        }
        let db = manager.get_connection();
        for statement in UP {
            db.execute_unprepared(statement).await?;
        }
        for table in tables(manager).await? {
            watch(manager, &table).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if !is_postgres(manager) {
            return Ok(());
        }
        let db = manager.get_connection();
        for table in tables(manager).await? {
            db.execute_unprepared(&format!(
                r#"DROP TRIGGER IF EXISTS klub_data_changed ON "{table}";
                   DROP TRIGGER IF EXISTS klub_data_truncated ON "{table}""#
            ))
            .await?;
        }
        db.execute_unprepared("DROP FUNCTION IF EXISTS klub_data_changed()")
            .await?;
        for statement in DOWN {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }
}
