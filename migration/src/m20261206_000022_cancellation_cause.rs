use sea_orm_migration::prelude::*;

/// `activities.cancellation_cause`: why an activity was cancelled, as a value the programme's
/// report counts (`STAFF`, `TOO_FEW_PARTICIPANTS`), beside the reason people are told. Earlier
/// cancellations are read from the scheduler's reason, the only one it ever gave.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Activities::Table)
                    .add_column(ColumnDef::new(Activities::CancellationCause).string_len(24))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE activities SET cancellation_cause = CASE \
               WHEN cancellation_reason = 'Not enough participants' THEN 'TOO_FEW_PARTICIPANTS' \
               ELSE 'STAFF' END \
             WHERE status = 'CANCELLED'",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Activities::Table)
                    .drop_column(Activities::CancellationCause)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    CancellationCause,
}
