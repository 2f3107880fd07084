use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    cascade,
    m20261125_000020_notify_data_changes::{UNANSWERED_TABLES, unwatch, watch},
};

/// What the third probe from outside changed (step 13):
/// - `organisation_invitations`: a manager's offer to join, until the person answers it (a
///   person joins an organisation only by its own consent, or by staff);
/// - `certificates.organisation_name`: the organisation a certificate names, fixed when it is
///   issued (an organisation joined later does not put its name on earlier certificates);
///   earlier certificates take the name their holder was known by when they were issued;
/// - `survey_answers.batch`: anonymous results are released a whole batch of respondents at a
///   time, so that two readings never differ by one person's answers;
/// - `assessments.published`: the assessments the network's averages count, moved only when
///   enough organisations changed;
/// - `mails.about_user_id`: the account a mail was written about, even to an address it never
///   proved, so that deleting the account deletes it (earlier mails: their owner);
/// - the tables no kept answer reads stop announcing their changes (a failed log-in or a mail
///   sent no longer empties every instance's memory).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrganisationInvitations::Table)
                    .col(big_pk_auto(OrganisationInvitations::Id))
                    .col(big_integer(OrganisationInvitations::OrganisationId))
                    .col(big_integer(OrganisationInvitations::UserId))
                    .col(string_len(OrganisationInvitations::Role, 16))
                    .col(big_integer(OrganisationInvitations::InvitedBy))
                    .col(timestamp_with_time_zone(OrganisationInvitations::CreatedAt))
                    .foreign_key(&mut cascade(
                        OrganisationInvitations::Table,
                        OrganisationInvitations::OrganisationId,
                        Organisations::Table,
                        Organisations::Id,
                    ))
                    .foreign_key(&mut cascade(
                        OrganisationInvitations::Table,
                        OrganisationInvitations::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut cascade(
                        OrganisationInvitations::Table,
                        OrganisationInvitations::InvitedBy,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_organisation_invitations_person")
                    .table(OrganisationInvitations::Table)
                    .col(OrganisationInvitations::UserId)
                    .col(OrganisationInvitations::OrganisationId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        watch(manager, "organisation_invitations").await?;

        manager
            .alter_table(
                Table::alter()
                    .table(Certificates::Table)
                    .add_column(string_len_null(Certificates::OrganisationName, 200))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE certificates SET organisation_name = COALESCE(
                    (SELECT o.name FROM organisation_members m
                       JOIN organisations o ON o.id = m.organisation_id
                      WHERE m.user_id = certificates.user_id
                        AND m.added_at <= certificates.issued_at),
                    (SELECT u.organisation FROM users u WHERE u.id = certificates.user_id))",
            )
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(SurveyAnswers::Table)
                    .add_column(integer(SurveyAnswers::Batch).default(0))
                    .to_owned(),
            )
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(Assessments::Table)
                    .add_column(boolean(Assessments::Published).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Mails::Table)
                    .add_column(big_integer_null(Mails::AboutUserId))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("UPDATE mails SET about_user_id = user_id")
            .await?;

        for table in UNANSWERED_TABLES {
            unwatch(manager, table).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in UNANSWERED_TABLES {
            watch(manager, table).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Mails::Table)
                    .drop_column(Mails::AboutUserId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Assessments::Table)
                    .drop_column(Assessments::Published)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SurveyAnswers::Table)
                    .drop_column(SurveyAnswers::Batch)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Certificates::Table)
                    .drop_column(Certificates::OrganisationName)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table(OrganisationInvitations::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum OrganisationInvitations {
    Table,
    Id,
    OrganisationId,
    UserId,
    Role,
    InvitedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    OrganisationName,
}

#[derive(DeriveIden)]
enum SurveyAnswers {
    Table,
    Batch,
}

#[derive(DeriveIden)]
enum Assessments {
    Table,
    Published,
}

#[derive(DeriveIden)]
enum Mails {
    Table,
    AboutUserId,
}
