use sea_orm_migration::{prelude::*, schema::*};

/// The mail outbox: each row is written in the transaction of the change that causes it, and
/// sent later by a worker (any instance), so no mail is lost when the mail server is down.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Mails::Table)
                    .col(big_pk_auto(Mails::Id))
                    .col(string_len(Mails::Kind, 32))
                    .col(string_len(Mails::ToAddress, 254))
                    .col(string_len(Mails::Subject, 300))
                    .col(text(Mails::TextBody))
                    .col(text(Mails::HtmlBody))
                    .col(text_null(Mails::Calendar))
                    .col(string_len(Mails::Status, 16))
                    .col(integer(Mails::Attempts).default(0))
                    .col(text_null(Mails::LastError))
                    .col(timestamp_with_time_zone(Mails::NextAttemptAt))
                    // A worker owns a claimed row until then; past it, another may take it.
                    .col(timestamp_with_time_zone_null(Mails::LeasedUntil))
                    .col(timestamp_with_time_zone(Mails::CreatedAt))
                    .col(timestamp_with_time_zone_null(Mails::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mails_status_next_attempt")
                    .table(Mails::Table)
                    .col(Mails::Status)
                    .col(Mails::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Mails::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Mails {
    Table,
    Id,
    Kind,
    ToAddress,
    Subject,
    TextBody,
    HtmlBody,
    Calendar,
    Status,
    Attempts,
    LastError,
    NextAttemptAt,
    LeasedUntil,
    CreatedAt,
    SentAt,
}
