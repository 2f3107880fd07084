use sea_orm_migration::{prelude::*, schema::*};

use crate::{cascade, m20261125_000020_notify_data_changes::watch};

/// `training_programmes`: what a training body publishes of a training (objectives,
/// prerequisites, audience, methods, evaluation, whom a person with a disability contacts,
/// duration), one per activity, printed on its programme PDF.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TrainingProgrammes::Table)
                    .col(big_integer(TrainingProgrammes::ActivityId).primary_key())
                    .col(text(TrainingProgrammes::Objectives))
                    .col(text_null(TrainingProgrammes::Prerequisites))
                    .col(text_null(TrainingProgrammes::Audience))
                    .col(text(TrainingProgrammes::Methods))
                    .col(text(TrainingProgrammes::Evaluation))
                    .col(text(TrainingProgrammes::Accessibility))
                    .col(integer_null(TrainingProgrammes::DurationMinutes))
                    .col(timestamp_with_time_zone(TrainingProgrammes::UpdatedAt))
                    .foreign_key(&mut cascade(
                        TrainingProgrammes::Table,
                        TrainingProgrammes::ActivityId,
                        Activities::Table,
                        Activities::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        watch(manager, "training_programmes").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TrainingProgrammes::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum TrainingProgrammes {
    Table,
    ActivityId,
    Objectives,
    Prerequisites,
    Audience,
    Methods,
    Evaluation,
    Accessibility,
    DurationMinutes,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
}
