use sea_orm_migration::{prelude::*, schema::*};

use crate::{cascade, m20261125_000020_notify_data_changes::watch};

/// Admission: how an activity admits people, and the consents and demand around it.
///
/// - `activities`: `requires_approval` (registrations wait as PENDING for staff), `offer_hours`
///   (a freed seat is OFFERED for that long; 0 promotes at once), `required_consents` (purposes,
///   comma-separated), `topic_id` and `priority_hours` (interested partners register first),
///   `announced_at` and `shortfall_noticed_at` (each told once).
/// - `registrations`: `offer_expires_at` while OFFERED, `decline_reason` once DECLINED.
/// - `registration_questions` and `registration_answers`: asked at registration.
/// - `consent_texts` (versioned per purpose) and `consent_events` (every give and withdrawal,
///   kept with its time and the version).
/// - `topics` and `topic_interests`: demand gathered by topic; `reached_at` once its threshold
///   was reached and staff told.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            boolean(Activities::RequiresApproval)
                .default(false)
                .to_owned(),
            integer(Activities::OfferHours).default(0).to_owned(),
            string_len(Activities::RequiredConsents, 100)
                .default("")
                .to_owned(),
            big_integer_null(Activities::TopicId),
            integer(Activities::PriorityHours).default(0).to_owned(),
            timestamp_with_time_zone_null(Activities::AnnouncedAt),
            timestamp_with_time_zone_null(Activities::ShortfallNoticedAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Activities::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            timestamp_with_time_zone_null(Registrations::OfferExpiresAt),
            text_null(Registrations::DeclineReason),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Registrations::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_registrations_offer_expiry")
                    .table(Registrations::Table)
                    .col(Registrations::OfferExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RegistrationQuestions::Table)
                    .col(big_pk_auto(RegistrationQuestions::Id))
                    .col(big_integer(RegistrationQuestions::ActivityId))
                    .col(integer(RegistrationQuestions::Position))
                    .col(string_len(RegistrationQuestions::Kind, 16))
                    .col(text(RegistrationQuestions::Text))
                    .col(text_null(RegistrationQuestions::Choices))
                    .col(boolean(RegistrationQuestions::Required))
                    .foreign_key(&mut cascade(
                        RegistrationQuestions::Table,
                        RegistrationQuestions::ActivityId,
                        Activities::Table,
                        Activities::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_registration_questions_activity")
                    .table(RegistrationQuestions::Table)
                    .col(RegistrationQuestions::ActivityId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RegistrationAnswers::Table)
                    .col(big_integer(RegistrationAnswers::RegistrationId))
                    .col(big_integer(RegistrationAnswers::QuestionId))
                    .col(text_null(RegistrationAnswers::Text))
                    .col(text_null(RegistrationAnswers::Choice))
                    .col(boolean_null(RegistrationAnswers::Yes))
                    .col(double_null(RegistrationAnswers::Number))
                    .primary_key(
                        Index::create()
                            .col(RegistrationAnswers::RegistrationId)
                            .col(RegistrationAnswers::QuestionId),
                    )
                    .foreign_key(&mut cascade(
                        RegistrationAnswers::Table,
                        RegistrationAnswers::RegistrationId,
                        Registrations::Table,
                        Registrations::Id,
                    ))
                    .foreign_key(&mut cascade(
                        RegistrationAnswers::Table,
                        RegistrationAnswers::QuestionId,
                        RegistrationQuestions::Table,
                        RegistrationQuestions::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_registration_answers_question")
                    .table(RegistrationAnswers::Table)
                    .col(RegistrationAnswers::QuestionId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ConsentTexts::Table)
                    .col(big_pk_auto(ConsentTexts::Id))
                    .col(string_len(ConsentTexts::Purpose, 16))
                    .col(integer(ConsentTexts::Version))
                    .col(text(ConsentTexts::Text))
                    .col(big_integer_null(ConsentTexts::PublishedBy))
                    .col(timestamp_with_time_zone(ConsentTexts::PublishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConsentTexts::Table, ConsentTexts::PublishedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_consent_texts_version")
                    .table(ConsentTexts::Table)
                    .col(ConsentTexts::Purpose)
                    .col(ConsentTexts::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConsentEvents::Table)
                    .col(big_pk_auto(ConsentEvents::Id))
                    .col(big_integer(ConsentEvents::UserId))
                    .col(string_len(ConsentEvents::Purpose, 16))
                    .col(big_integer(ConsentEvents::TextId))
                    .col(boolean(ConsentEvents::Given))
                    .col(timestamp_with_time_zone(ConsentEvents::At))
                    .foreign_key(&mut cascade(
                        ConsentEvents::Table,
                        ConsentEvents::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut cascade(
                        ConsentEvents::Table,
                        ConsentEvents::TextId,
                        ConsentTexts::Table,
                        ConsentTexts::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_consent_events_person")
                    .table(ConsentEvents::Table)
                    .col(ConsentEvents::UserId)
                    .col(ConsentEvents::Purpose)
                    .col(ConsentEvents::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Topics::Table)
                    .col(big_pk_auto(Topics::Id))
                    .col(string_len(Topics::Name, 200))
                    .col(integer(Topics::Threshold))
                    .col(big_integer_null(Topics::AxisId))
                    .col(big_integer_null(Topics::CreatedBy))
                    .col(timestamp_with_time_zone(Topics::CreatedAt))
                    .col(timestamp_with_time_zone_null(Topics::ReachedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Topics::Table, Topics::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TopicInterests::Table)
                    .col(big_integer(TopicInterests::TopicId))
                    .col(big_integer(TopicInterests::UserId))
                    .col(timestamp_with_time_zone(TopicInterests::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(TopicInterests::TopicId)
                            .col(TopicInterests::UserId),
                    )
                    .foreign_key(&mut cascade(
                        TopicInterests::Table,
                        TopicInterests::TopicId,
                        Topics::Table,
                        Topics::Id,
                    ))
                    .foreign_key(&mut cascade(
                        TopicInterests::Table,
                        TopicInterests::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        for table in [
            "registration_questions",
            "registration_answers",
            "consent_texts",
            "consent_events",
            "topics",
            "topic_interests",
        ] {
            watch(manager, table).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TopicInterests::Table.into_iden(),
            Topics::Table.into_iden(),
            ConsentEvents::Table.into_iden(),
            ConsentTexts::Table.into_iden(),
            RegistrationAnswers::Table.into_iden(),
            RegistrationQuestions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_registrations_offer_expiry")
                    .table(Registrations::Table)
                    .to_owned(),
            )
            .await?;
        for column in [Registrations::OfferExpiresAt, Registrations::DeclineReason] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Registrations::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            Activities::RequiresApproval,
            Activities::OfferHours,
            Activities::RequiredConsents,
            Activities::TopicId,
            Activities::PriorityHours,
            Activities::AnnouncedAt,
            Activities::ShortfallNoticedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Activities::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
    RequiresApproval,
    OfferHours,
    RequiredConsents,
    TopicId,
    PriorityHours,
    AnnouncedAt,
    ShortfallNoticedAt,
}

#[derive(DeriveIden)]
enum Registrations {
    Table,
    Id,
    OfferExpiresAt,
    DeclineReason,
}

#[derive(DeriveIden)]
enum RegistrationQuestions {
    Table,
    Id,
    ActivityId,
    Position,
    Kind,
    Text,
    Choices,
    Required,
}

#[derive(DeriveIden)]
enum RegistrationAnswers {
    Table,
    RegistrationId,
    QuestionId,
    Text,
    Choice,
    Yes,
    Number,
}

#[derive(DeriveIden)]
enum ConsentTexts {
    Table,
    Id,
    Purpose,
    Version,
    Text,
    PublishedBy,
    PublishedAt,
}

#[derive(DeriveIden)]
enum ConsentEvents {
    Table,
    Id,
    UserId,
    Purpose,
    TextId,
    Given,
    At,
}

#[derive(DeriveIden)]
enum Topics {
    Table,
    Id,
    Name,
    Threshold,
    AxisId,
    CreatedBy,
    CreatedAt,
    ReachedAt,
}

#[derive(DeriveIden)]
enum TopicInterests {
    Table,
    TopicId,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
