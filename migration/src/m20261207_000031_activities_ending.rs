//! Every list of the programme counts its matches (`totalCount`), and the frontend's filter
//! keeps the activities ending after a moment (`ends_at >= ?`) that are not drafts: an index
//! holding both columns lets the count read the index alone instead of every activity's row
//! (SQLite, and PostgreSQL's index-only scans), the one part of a page whose work grows with
//! the programme.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "idx_activities_ends_at_status";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Activities::Table)
                    .col(Activities::EndsAt)
                    .col(Activities::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(Activities::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    EndsAt,
    Status,
}
