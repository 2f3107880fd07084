use sea_orm_migration::{prelude::*, schema::*};

/// What closing the trust holes needs:
/// - login throttling as one counter row per address and per client, bumped by a single
///   upsert so that checking and counting cannot be split by concurrent guesses (replaces the
///   table of failures, which was counted and written in two steps);
/// - proof of address: `users.email_verified_at` and the mailed verification tokens (accounts
///   that exist already are taken as proven: they were made by staff or before this rule);
/// - mails and invitations belong to an account by id (`user_id`), and a mail's secret (the token of its
///   link) is kept apart from its body and forgotten once the mail has left.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LoginThrottles::Table)
                    // `address:<email>` or `client:<ip>`.
                    .col(string_len(LoginThrottles::Key, 330).primary_key())
                    .col(integer(LoginThrottles::Attempts))
                    .col(timestamp_with_time_zone(LoginThrottles::WindowStartedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(LoginFailures::Table).to_owned())
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(timestamp_with_time_zone_null(Users::EmailVerifiedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(Users::Table)
                    .value(Users::EmailVerifiedAt, Expr::col(Users::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EmailVerifications::Table)
                    .col(big_pk_auto(EmailVerifications::Id))
                    .col(big_integer(EmailVerifications::UserId))
                    // The address the link was sent to: it proves that one only.
                    .col(string_len(EmailVerifications::Email, 254))
                    .col(string_len(EmailVerifications::TokenHash, 64).unique_key())
                    .col(timestamp_with_time_zone(EmailVerifications::CreatedAt))
                    .col(timestamp_with_time_zone(EmailVerifications::ExpiresAt))
                    .col(timestamp_with_time_zone_null(EmailVerifications::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EmailVerifications::Table, EmailVerifications::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(Mails::Table)
                    .add_column(big_integer_null(Mails::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Mails::Table)
                    .add_column(string_len_null(Mails::Secret, 128))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mails_user_id")
                    .table(Mails::Table)
                    .col(Mails::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Invitations::Table)
                    .add_column(big_integer_null(Invitations::UserId))
                    .to_owned(),
            )
            .await?;
        // Mails and invitations already stored belonged to whoever had the address then;
        // a pending account invitation belongs to nobody until it is accepted.
        manager
            .exec_stmt(owner_by_address(Mails::Table, Mails::ToAddress))
            .await?;
        manager
            .exec_stmt(
                owner_by_address(Invitations::Table, Invitations::Email)
                    .and_where(
                        Expr::col(Invitations::Status)
                            .eq("ACCEPTED")
                            .or(Expr::col(Invitations::TokenHash).is_null()),
                    )
                    .to_owned(),
            )
            .await?;
        // Links of mails that have left carried live tokens in their bodies: drop the bodies.
        let removed = "(removed once sent: this mail carried a personal link)";
        manager
            .exec_stmt(
                Query::update()
                    .table(Mails::Table)
                    .value(Mails::TextBody, removed)
                    .value(Mails::HtmlBody, removed)
                    .and_where(Expr::col(Mails::Status).is_in(["SENT", "FAILED"]))
                    .and_where(
                        Expr::col(Mails::Kind).is_in(["invitation_account", "password_reset"]),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_mails_user_id")
                    .table(Mails::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Invitations::Table)
                    .drop_column(Invitations::UserId)
                    .to_owned(),
            )
            .await?;
        for column in [Mails::Secret, Mails::UserId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Mails::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(EmailVerifications::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::EmailVerifiedAt)
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
        manager
            .drop_table(Table::drop().table(LoginThrottles::Table).to_owned())
            .await
    }
}

/// `UPDATE table SET user_id = (the account whose email is in address_column)`.
fn owner_by_address(
    table: impl Iden + Copy + 'static,
    address_column: impl Iden + 'static,
) -> UpdateStatement {
    Query::update()
        .table(table)
        .value(
            Alias::new("user_id"),
            SimpleExpr::SubQuery(
                None,
                Box::new(
                    Query::select()
                        .column((Users::Table, Users::Id))
                        .from(Users::Table)
                        .and_where(
                            Expr::col((Users::Table, Users::Email)).equals((table, address_column)),
                        )
                        .to_owned()
                        .into_sub_query_statement(),
                ),
            ),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum LoginThrottles {
    Table,
    Key,
    Attempts,
    WindowStartedAt,
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
enum Users {
    Table,
    Id,
    Email,
    CreatedAt,
    EmailVerifiedAt,
}

#[derive(DeriveIden)]
enum EmailVerifications {
    Table,
    Id,
    UserId,
    Email,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(Clone, Copy, DeriveIden)]
enum Invitations {
    Table,
    UserId,
    Email,
    Status,
    TokenHash,
}

#[derive(Clone, Copy, DeriveIden)]
enum Mails {
    Table,
    UserId,
    Secret,
    ToAddress,
    TextBody,
    HtmlBody,
    Status,
    Kind,
}
