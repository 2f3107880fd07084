use sea_orm_migration::{prelude::*, schema::*};

/// When the animators were alerted that a question is overdue: one alert per question.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Threads::Table)
                    .add_column(timestamp_with_time_zone_null(Threads::OverdueAlertedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Threads::Table)
                    .drop_column(Threads::OverdueAlertedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Threads {
    Table,
    OverdueAlertedAt,
}
