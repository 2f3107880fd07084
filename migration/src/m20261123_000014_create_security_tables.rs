use sea_orm_migration::{prelude::*, schema::*};

/// What hardening needs: session revocation and account deletion on users, failed logins for
/// throttling across instances, password reset tokens, and the audit log of staff actions.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Session tokens carry the epoch they were issued in; raising it revokes them all.
        // SQLite allows one added column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(integer(Users::SessionEpoch).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(timestamp_with_time_zone_null(Users::DeletedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoginFailures::Table)
                    .col(big_pk_auto(LoginFailures::Id))
                    .col(string_len(LoginFailures::Email, 254))
                    .col(string_len(LoginFailures::Client, 64))
                    .col(timestamp_with_time_zone(LoginFailures::At))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_login_failures_email_at", LoginFailures::Email),
            ("idx_login_failures_client_at", LoginFailures::Client),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(LoginFailures::Table)
                        .col(column)
                        .col(LoginFailures::At)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(PasswordResets::Table)
                    .col(big_pk_auto(PasswordResets::Id))
                    .col(big_integer(PasswordResets::UserId))
                    // SHA-256 of the mailed token; the token itself is never stored.
                    .col(string_len(PasswordResets::TokenHash, 64).unique_key())
                    .col(timestamp_with_time_zone(PasswordResets::CreatedAt))
                    .col(timestamp_with_time_zone(PasswordResets::ExpiresAt))
                    .col(timestamp_with_time_zone_null(PasswordResets::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PasswordResets::Table, PasswordResets::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(big_pk_auto(AuditEvents::Id))
                    .col(timestamp_with_time_zone(AuditEvents::At))
                    .col(big_integer(AuditEvents::ActorId))
                    .col(string_len(AuditEvents::Action, 32))
                    .col(string_len(AuditEvents::TargetType, 32))
                    .col(big_integer(AuditEvents::TargetId))
                    .col(text_null(AuditEvents::Detail))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AuditEvents::Table, AuditEvents::ActorId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvents::Table.into_iden(),
            PasswordResets::Table.into_iden(),
            LoginFailures::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [Users::DeletedAt, Users::SessionEpoch] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    SessionEpoch,
    DeletedAt,
}

#[derive(DeriveIden)]
enum LoginFailures {
    Table,
    Id,
    Email,
    Client,
    At,
}

#[derive(DeriveIden)]
enum PasswordResets {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    At,
    ActorId,
    Action,
    TargetType,
    TargetId,
    Detail,
}
