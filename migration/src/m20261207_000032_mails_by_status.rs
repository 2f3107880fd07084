//! The outbox asks for the oldest pending mails, in order of id. Both databases walked every
//! mail already sent, or every pending one, to find them: SQLite read all pending mails through
//! `(status, next_attempt_at)` and sorted them by id, PostgreSQL walked the primary key past
//! every mail sent. With 200,000 mails in the table each batch of 20 read them all again, and
//! the outbox slowed as it drained. Now:
//! - `(status, id)` replaces `(status, next_attempt_at)`: the pending mails in order of id,
//!   which SQLite reads for the outbox, and what staff's list of mails by status and the
//!   metrics' counts by status read;
//! - an index of the pending mails alone, in order of id, which PostgreSQL's planner takes
//!   where its estimates (pending mails spread evenly among the sent ones) prefer the primary
//!   key to `(status, id)`. The outbox's statement names `'PENDING'` as a literal, so that a
//!   prepared statement's plan may use it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const BY_STATUS: &str = "idx_mails_status_id";
const PENDING: &str = "idx_mails_pending";
const REPLACED: &str = "idx_mails_status_next_attempt";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(BY_STATUS)
                    .table(Mails::Table)
                    .col(Mails::Status)
                    .col(Mails::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(PENDING)
                    .table(Mails::Table)
                    .col(Mails::Id)
                    .and_where(Expr::col(Mails::Status).eq("PENDING"))
                    .to_owned(),
            )
            .await?;
        manager.drop_index(named(REPLACED)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(REPLACED)
                    .table(Mails::Table)
                    .col(Mails::Status)
                    .col(Mails::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager.drop_index(named(PENDING)).await?;
        manager.drop_index(named(BY_STATUS)).await
    }
}

fn named(name: &str) -> IndexDropStatement {
    Index::drop().name(name).table(Mails::Table).to_owned()
}

#[derive(DeriveIden)]
enum Mails {
    Table,
    Id,
    Status,
    NextAttemptAt,
}
