use sea_orm_migration::{prelude::*, schema::*};

use crate::{cascade, m20261125_000020_notify_data_changes::watch};

/// `activity_trainers`: who delivers an activity (staff or TRAINER accounts, several allowed),
/// as staff assigned them.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ActivityTrainers::Table)
                    .col(big_integer(ActivityTrainers::ActivityId))
                    .col(big_integer(ActivityTrainers::UserId))
                    .col(big_integer(ActivityTrainers::AssignedBy))
                    .col(timestamp_with_time_zone(ActivityTrainers::AssignedAt))
                    .primary_key(
                        Index::create()
                            .col(ActivityTrainers::ActivityId)
                            .col(ActivityTrainers::UserId),
                    )
                    .foreign_key(&mut cascade(
                        ActivityTrainers::Table,
                        ActivityTrainers::ActivityId,
                        Activities::Table,
                        Activities::Id,
                    ))
                    .foreign_key(&mut cascade(
                        ActivityTrainers::Table,
                        ActivityTrainers::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut cascade(
                        ActivityTrainers::Table,
                        ActivityTrainers::AssignedBy,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_activity_trainers_user")
                    .table(ActivityTrainers::Table)
                    .col(ActivityTrainers::UserId)
                    .to_owned(),
            )
            .await?;
        watch(manager, "activity_trainers").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ActivityTrainers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ActivityTrainers {
    Table,
    ActivityId,
    UserId,
    AssignedBy,
    AssignedAt,
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
