use sea_orm_migration::{prelude::*, schema::*};

/// One row per registration and session attended.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Attendances::Table)
                    .col(big_integer(Attendances::RegistrationId))
                    .col(big_integer(Attendances::SessionId))
                    .primary_key(
                        Index::create()
                            .col(Attendances::RegistrationId)
                            .col(Attendances::SessionId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Attendances::Table, Attendances::RegistrationId)
                            .to(Registrations::Table, Registrations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Attendances::Table, Attendances::SessionId)
                            .to(Sessions::Table, Sessions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_attendances_session")
                    .table(Attendances::Table)
                    .col(Attendances::SessionId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Attendances::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Attendances {
    Table,
    RegistrationId,
    SessionId,
}

#[derive(DeriveIden)]
enum Registrations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
}
