//! Every instance keeps the accounts behind sessions in memory (`api/src/auth/viewers.rs`). On
//! PostgreSQL a trigger tells every instance, at commit, which account changed, whoever changed
//! it: the server, a script or an operator at a `psql` prompt. SQLite needs no trigger: the
//! single process that holds the file hears its own writes through SQLite's update hook.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "CREATE OR REPLACE FUNCTION klub_user_changed() RETURNS trigger AS $$
     BEGIN
         IF TG_OP = 'TRUNCATE' THEN
             PERFORM pg_notify('klub_users', '*');
         ELSE
             PERFORM pg_notify('klub_users', OLD.id::text);
         END IF;
         RETURN NULL;
     END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER users_changed AFTER UPDATE OR DELETE ON users
     FOR EACH ROW EXECUTE FUNCTION klub_user_changed()",
    "CREATE TRIGGER users_truncated AFTER TRUNCATE ON users
     FOR EACH STATEMENT EXECUTE FUNCTION klub_user_changed()",
];

const DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS users_truncated ON users",
    "DROP TRIGGER IF EXISTS users_changed ON users",
    "DROP FUNCTION IF EXISTS klub_user_changed()",
];

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    if manager.get_database_backend() != sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, DOWN).await
    }
}
