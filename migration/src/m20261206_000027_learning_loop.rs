use sea_orm_migration::{prelude::*, schema::*};

use crate::{cascade, m20261125_000020_notify_data_changes::watch};

/// The learning loop. `complaints`: what anyone signed in reports about an activity or the
/// service, and staff's answer; `sort_key` is the answer's deadline while it waits and the end
/// of time once answered, so the list reads "most urgent first" from an index. `evaluations`:
/// how far a trainee mastered each objective of its training's programme.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Complaints::Table)
                    .col(big_pk_auto(Complaints::Id))
                    .col(big_integer(Complaints::AuthorId))
                    .col(big_integer_null(Complaints::ActivityId))
                    .col(string_len(Complaints::Subject, 200))
                    .col(text(Complaints::Body))
                    .col(string_len(Complaints::Status, 16))
                    .col(timestamp_with_time_zone(Complaints::CreatedAt))
                    .col(timestamp_with_time_zone(Complaints::DueAt))
                    .col(timestamp_with_time_zone(Complaints::SortKey))
                    .col(text_null(Complaints::Answer))
                    .col(text_null(Complaints::Actions))
                    .col(big_integer_null(Complaints::AnsweredBy))
                    .col(timestamp_with_time_zone_null(Complaints::AnsweredAt))
                    .foreign_key(&mut cascade(
                        Complaints::Table,
                        Complaints::AuthorId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Complaints::Table, Complaints::ActivityId)
                            .to(Activities::Table, Activities::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_complaints_sort")
                    .table(Complaints::Table)
                    .col(Complaints::SortKey)
                    .col(Complaints::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_complaints_author")
                    .table(Complaints::Table)
                    .col(Complaints::AuthorId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Evaluations::Table)
                    .col(big_integer(Evaluations::RegistrationId))
                    .col(integer(Evaluations::Objective))
                    .col(string_len(Evaluations::Mastery, 16))
                    .col(big_integer(Evaluations::RecordedBy))
                    .col(timestamp_with_time_zone(Evaluations::RecordedAt))
                    .primary_key(
                        Index::create()
                            .col(Evaluations::RegistrationId)
                            .col(Evaluations::Objective),
                    )
                    .foreign_key(&mut cascade(
                        Evaluations::Table,
                        Evaluations::RegistrationId,
                        Registrations::Table,
                        Registrations::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        watch(manager, "complaints").await?;
        watch(manager, "evaluations").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Evaluations::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Complaints::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Complaints {
    Table,
    Id,
    AuthorId,
    ActivityId,
    Subject,
    Body,
    Status,
    CreatedAt,
    DueAt,
    SortKey,
    Answer,
    Actions,
    AnsweredBy,
    AnsweredAt,
}

#[derive(DeriveIden)]
enum Evaluations {
    Table,
    RegistrationId,
    Objective,
    Mastery,
    RecordedBy,
    RecordedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Registrations {
    Table,
    Id,
}
