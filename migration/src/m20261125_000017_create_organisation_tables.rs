use sea_orm_migration::{prelude::*, schema::*};

/// Partner businesses, what registrations pay, and certificates of attendance:
/// - `organisations` and their `organisation_members` (a person in at most one: the member's
///   id is the key);
/// - `payments`: how a registration to a paid activity was settled (no row: still DUE);
/// - `certificates`: one per registration, with a number that is random and unique;
/// - a mail may carry one attachment (a certificate's PDF).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organisations::Table)
                    .col(big_pk_auto(Organisations::Id))
                    .col(string_len(Organisations::Name, 200))
                    .col(string_len(Organisations::Sector, 16))
                    .col(string_len_null(Organisations::Commune, 100))
                    .col(string_len_null(Organisations::Website, 300))
                    .col(timestamp_with_time_zone(Organisations::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrganisationMembers::Table)
                    .col(big_integer(OrganisationMembers::UserId).primary_key())
                    .col(big_integer(OrganisationMembers::OrganisationId))
                    .col(string_len(OrganisationMembers::Role, 16))
                    .col(timestamp_with_time_zone(OrganisationMembers::AddedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrganisationMembers::Table, OrganisationMembers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                OrganisationMembers::Table,
                                OrganisationMembers::OrganisationId,
                            )
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_organisation_members_organisation_id")
                    .table(OrganisationMembers::Table)
                    .col(OrganisationMembers::OrganisationId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(big_integer(Payments::RegistrationId).primary_key())
                    .col(string_len(Payments::Status, 16))
                    .col(integer(Payments::AmountCents))
                    .col(string_len_null(Payments::Funder, 200))
                    .col(string_len_null(Payments::Reference, 200))
                    .col(timestamp_with_time_zone(Payments::RecordedAt))
                    .col(big_integer_null(Payments::RecordedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Payments::Table, Payments::RegistrationId)
                            .to(Registrations::Table, Registrations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Certificates::Table)
                    .col(big_pk_auto(Certificates::Id))
                    .col(string_len(Certificates::Number, 32).unique_key())
                    .col(big_integer(Certificates::RegistrationId).unique_key())
                    .col(big_integer(Certificates::UserId))
                    .col(big_integer(Certificates::ActivityId))
                    .col(integer(Certificates::MinutesAttended))
                    .col(timestamp_with_time_zone(Certificates::IssuedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Certificates::Table, Certificates::RegistrationId)
                            .to(Registrations::Table, Registrations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_certificates_user_id")
                    .table(Certificates::Table)
                    .col(Certificates::UserId)
                    .to_owned(),
            )
            .await?;
        for column in [
            string_len_null(Mails::AttachmentName, 200),
            string_len_null(Mails::AttachmentType, 100),
            blob_null(Mails::Attachment),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Mails::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Mails::Attachment,
            Mails::AttachmentType,
            Mails::AttachmentName,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Mails::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            Certificates::Table.into_iden(),
            Payments::Table.into_iden(),
            OrganisationMembers::Table.into_iden(),
            Organisations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
    Name,
    Sector,
    Commune,
    Website,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OrganisationMembers {
    Table,
    UserId,
    OrganisationId,
    Role,
    AddedAt,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    RegistrationId,
    Status,
    AmountCents,
    Funder,
    Reference,
    RecordedAt,
    RecordedBy,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    Number,
    RegistrationId,
    UserId,
    ActivityId,
    MinutesAttended,
    IssuedAt,
}

#[derive(DeriveIden)]
enum Mails {
    Table,
    AttachmentName,
    AttachmentType,
    Attachment,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Registrations {
    Table,
    Id,
}
