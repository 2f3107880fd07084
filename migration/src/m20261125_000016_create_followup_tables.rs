use sea_orm_migration::{prelude::*, schema::*};

use crate::cascade;

/// What the follow-up needs:
/// - per member and group, how group activity reaches it by mail (no row: the daily digest);
///   `posts.notified_at` claims a post's immediate mails, `group_digests` a group's day;
/// - `mails.list_unsubscribe`: the one-click unsubscribe URL of a mail (RFC 8058);
/// - reminder rules per activity and the people each has reached (once per person); the one
///   global reminder becomes a rule of every activity still to come, and the reminders already
///   sent count as that rule's deliveries (`registrations.reminded_for` goes);
/// - surveys, their questions, who answered (`survey_participations`) and the answers, which
///   name their author only when the survey is not anonymous.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(GroupNotificationSettings::Table)
                    .col(big_integer(GroupNotificationSettings::GroupId))
                    .col(big_integer(GroupNotificationSettings::UserId))
                    .col(string_len(GroupNotificationSettings::Level, 16))
                    .primary_key(
                        Index::create()
                            .col(GroupNotificationSettings::GroupId)
                            .col(GroupNotificationSettings::UserId),
                    )
                    .foreign_key(&mut cascade(
                        GroupNotificationSettings::Table,
                        GroupNotificationSettings::GroupId,
                        Groups::Table,
                        Groups::Id,
                    ))
                    .foreign_key(&mut cascade(
                        GroupNotificationSettings::Table,
                        GroupNotificationSettings::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Posts::Table)
                    .add_column(timestamp_with_time_zone_null(Posts::NotifiedAt))
                    .to_owned(),
            )
            .await?;
        // Posts written before notifications existed are not news any more.
        manager
            .exec_stmt(
                Query::update()
                    .table(Posts::Table)
                    .value(Posts::NotifiedAt, Expr::col(Posts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_posts_notified_at")
                    .table(Posts::Table)
                    .col(Posts::NotifiedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_posts_created_at")
                    .table(Posts::Table)
                    .col(Posts::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GroupDigests::Table)
                    .col(big_integer(GroupDigests::GroupId))
                    // The office's local day, `YYYY-MM-DD`.
                    .col(string_len(GroupDigests::Day, 10))
                    .col(timestamp_with_time_zone(GroupDigests::SentAt))
                    .primary_key(
                        Index::create()
                            .col(GroupDigests::GroupId)
                            .col(GroupDigests::Day),
                    )
                    .foreign_key(&mut cascade(
                        GroupDigests::Table,
                        GroupDigests::GroupId,
                        Groups::Table,
                        Groups::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Mails::Table)
                    .add_column(text_null(Mails::ListUnsubscribe))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReminderRules::Table)
                    .col(big_pk_auto(ReminderRules::Id))
                    .col(big_integer(ReminderRules::ActivityId))
                    .col(string_len(ReminderRules::Anchor, 16))
                    .col(integer(ReminderRules::OffsetHours))
                    // RecipientFilter values, comma-separated.
                    .col(string_len(ReminderRules::Recipients, 64))
                    .col(text_null(ReminderRules::Message))
                    .col(timestamp_with_time_zone(ReminderRules::CreatedAt))
                    .foreign_key(&mut cascade(
                        ReminderRules::Table,
                        ReminderRules::ActivityId,
                        Activities::Table,
                        Activities::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_reminder_rules_activity_id")
                    .table(ReminderRules::Table)
                    .col(ReminderRules::ActivityId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReminderDeliveries::Table)
                    .col(big_integer(ReminderDeliveries::RuleId))
                    .col(big_integer(ReminderDeliveries::UserId))
                    .col(timestamp_with_time_zone(ReminderDeliveries::SentAt))
                    .primary_key(
                        Index::create()
                            .col(ReminderDeliveries::RuleId)
                            .col(ReminderDeliveries::UserId),
                    )
                    .foreign_key(&mut cascade(
                        ReminderDeliveries::Table,
                        ReminderDeliveries::RuleId,
                        ReminderRules::Table,
                        ReminderRules::Id,
                    ))
                    .foreign_key(&mut cascade(
                        ReminderDeliveries::Table,
                        ReminderDeliveries::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO reminder_rules (activity_id, anchor, offset_hours, recipients, created_at) \
             SELECT id, 'BEFORE_START', 24, 'CONFIRMED', created_at FROM activities \
             WHERE status IN ('DRAFT', 'PUBLISHED')",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO reminder_deliveries (rule_id, user_id, sent_at) \
             SELECT r.id, g.user_id, g.updated_at FROM reminder_rules r \
             JOIN registrations g ON g.activity_id = r.activity_id \
             WHERE g.reminded_for IS NOT NULL",
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Registrations::Table)
                    .drop_column(Registrations::RemindedFor)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Surveys::Table)
                    .col(big_pk_auto(Surveys::Id))
                    .col(big_integer(Surveys::ActivityId).unique_key())
                    .col(boolean(Surveys::Anonymous))
                    // When the attendees were invited to answer: once.
                    .col(timestamp_with_time_zone_null(Surveys::InvitedAt))
                    .col(timestamp_with_time_zone(Surveys::CreatedAt))
                    .col(timestamp_with_time_zone(Surveys::UpdatedAt))
                    .foreign_key(&mut cascade(
                        Surveys::Table,
                        Surveys::ActivityId,
                        Activities::Table,
                        Activities::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SurveyQuestions::Table)
                    .col(big_pk_auto(SurveyQuestions::Id))
                    .col(big_integer(SurveyQuestions::SurveyId))
                    .col(integer(SurveyQuestions::Position))
                    .col(string_len(SurveyQuestions::Kind, 16))
                    .col(text(SurveyQuestions::Text))
                    // A JSON array of the choices of a CHOICE question.
                    .col(text_null(SurveyQuestions::Choices))
                    .foreign_key(&mut cascade(
                        SurveyQuestions::Table,
                        SurveyQuestions::SurveyId,
                        Surveys::Table,
                        Surveys::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SurveyParticipations::Table)
                    .col(big_integer(SurveyParticipations::SurveyId))
                    .col(big_integer(SurveyParticipations::UserId))
                    .primary_key(
                        Index::create()
                            .col(SurveyParticipations::SurveyId)
                            .col(SurveyParticipations::UserId),
                    )
                    .foreign_key(&mut cascade(
                        SurveyParticipations::Table,
                        SurveyParticipations::SurveyId,
                        Surveys::Table,
                        Surveys::Id,
                    ))
                    .foreign_key(&mut cascade(
                        SurveyParticipations::Table,
                        SurveyParticipations::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        // No timestamp and a random id: nothing orders an anonymous answer next to the
        // participation it came with.
        manager
            .create_table(
                Table::create()
                    .table(SurveyAnswers::Table)
                    .col(big_integer(SurveyAnswers::Id).primary_key())
                    .col(big_integer(SurveyAnswers::SurveyId))
                    .col(big_integer(SurveyAnswers::QuestionId))
                    .col(big_integer_null(SurveyAnswers::RespondentId))
                    .col(integer_null(SurveyAnswers::Rating))
                    .col(text_null(SurveyAnswers::Text))
                    .col(text_null(SurveyAnswers::Choice))
                    .foreign_key(&mut cascade(
                        SurveyAnswers::Table,
                        SurveyAnswers::SurveyId,
                        Surveys::Table,
                        Surveys::Id,
                    ))
                    .foreign_key(&mut cascade(
                        SurveyAnswers::Table,
                        SurveyAnswers::QuestionId,
                        SurveyQuestions::Table,
                        SurveyQuestions::Id,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SurveyAnswers::Table, SurveyAnswers::RespondentId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_survey_answers_survey_id")
                    .table(SurveyAnswers::Table)
                    .col(SurveyAnswers::SurveyId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SurveyAnswers::Table.into_iden(),
            SurveyParticipations::Table.into_iden(),
            SurveyQuestions::Table.into_iden(),
            Surveys::Table.into_iden(),
            ReminderDeliveries::Table.into_iden(),
            ReminderRules::Table.into_iden(),
            GroupDigests::Table.into_iden(),
            GroupNotificationSettings::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Registrations::Table)
                    .add_column(timestamp_with_time_zone_null(Registrations::RemindedFor))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Mails::Table)
                    .drop_column(Mails::ListUnsubscribe)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name("idx_posts_created_at").to_owned())
            .await?;
        manager
            .drop_index(Index::drop().name("idx_posts_notified_at").to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Posts::Table)
                    .drop_column(Posts::NotifiedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum GroupNotificationSettings {
    Table,
    GroupId,
    UserId,
    Level,
}

#[derive(DeriveIden)]
enum GroupDigests {
    Table,
    GroupId,
    Day,
    SentAt,
}

#[derive(DeriveIden)]
enum Posts {
    Table,
    NotifiedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Mails {
    Table,
    ListUnsubscribe,
}

#[derive(DeriveIden)]
enum ReminderRules {
    Table,
    Id,
    ActivityId,
    Anchor,
    OffsetHours,
    Recipients,
    Message,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReminderDeliveries {
    Table,
    RuleId,
    UserId,
    SentAt,
}

#[derive(DeriveIden)]
enum Registrations {
    Table,
    RemindedFor,
}

#[derive(DeriveIden)]
enum Surveys {
    Table,
    Id,
    ActivityId,
    Anonymous,
    InvitedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SurveyQuestions {
    Table,
    Id,
    SurveyId,
    Position,
    Kind,
    Text,
    Choices,
}

#[derive(DeriveIden)]
enum SurveyParticipations {
    Table,
    SurveyId,
    UserId,
}

#[derive(DeriveIden)]
enum SurveyAnswers {
    Table,
    Id,
    SurveyId,
    QuestionId,
    RespondentId,
    Rating,
    Text,
    Choice,
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
}
