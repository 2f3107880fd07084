use sea_orm_migration::{prelude::*, schema::*};

use crate::cascade;

/// Progress:
/// - the self-diagnostic, versioned (`diagnostics` → axes → questions → options), the
///   assessments that answer one version (their scores stored per axis, so averages are SQL
///   aggregates) and the axes each activity works on;
/// - what the programme's statistics need and did not keep: when a person became trained
///   (`users.trained_at`; earlier ones stay unknown), a question's first response time in
///   wall-clock and in opening-hours seconds (earlier threads keep none);
/// - `monthly_reports`: the claim on each month's report mail.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Diagnostics::Table)
                    .col(big_pk_auto(Diagnostics::Id))
                    .col(integer(Diagnostics::Version).unique_key())
                    .col(string_len(Diagnostics::Title, 200))
                    .col(timestamp_with_time_zone(Diagnostics::PublishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DiagnosticAxes::Table)
                    .col(big_pk_auto(DiagnosticAxes::Id))
                    .col(big_integer(DiagnosticAxes::DiagnosticId))
                    .col(integer(DiagnosticAxes::Position))
                    .col(string_len(DiagnosticAxes::Name, 100))
                    .foreign_key(&mut cascade(
                        DiagnosticAxes::Table,
                        DiagnosticAxes::DiagnosticId,
                        Diagnostics::Table,
                        Diagnostics::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DiagnosticQuestions::Table)
                    .col(big_pk_auto(DiagnosticQuestions::Id))
                    .col(big_integer(DiagnosticQuestions::AxisId))
                    .col(integer(DiagnosticQuestions::Position))
                    .col(string_len(DiagnosticQuestions::Text, 500))
                    .foreign_key(&mut cascade(
                        DiagnosticQuestions::Table,
                        DiagnosticQuestions::AxisId,
                        DiagnosticAxes::Table,
                        DiagnosticAxes::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DiagnosticOptions::Table)
                    .col(big_pk_auto(DiagnosticOptions::Id))
                    .col(big_integer(DiagnosticOptions::QuestionId))
                    .col(integer(DiagnosticOptions::Position))
                    .col(string_len(DiagnosticOptions::Label, 200))
                    .col(integer(DiagnosticOptions::Points))
                    .foreign_key(&mut cascade(
                        DiagnosticOptions::Table,
                        DiagnosticOptions::QuestionId,
                        DiagnosticQuestions::Table,
                        DiagnosticQuestions::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Assessments::Table)
                    .col(big_pk_auto(Assessments::Id))
                    .col(big_integer(Assessments::DiagnosticId))
                    // The organisation assessed; none when the partner has none (then the
                    // partner itself is the one assessed).
                    .col(big_integer_null(Assessments::OrganisationId))
                    .col(big_integer(Assessments::UserId))
                    .col(timestamp_with_time_zone(Assessments::TakenAt))
                    .col(double(Assessments::Score))
                    .foreign_key(&mut cascade(
                        Assessments::Table,
                        Assessments::DiagnosticId,
                        Diagnostics::Table,
                        Diagnostics::Id,
                    ))
                    .foreign_key(&mut cascade(
                        Assessments::Table,
                        Assessments::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AssessmentScores::Table)
                    .col(big_integer(AssessmentScores::AssessmentId))
                    .col(big_integer(AssessmentScores::AxisId))
                    .col(double(AssessmentScores::Score))
                    .primary_key(
                        Index::create()
                            .col(AssessmentScores::AssessmentId)
                            .col(AssessmentScores::AxisId),
                    )
                    .foreign_key(&mut cascade(
                        AssessmentScores::Table,
                        AssessmentScores::AssessmentId,
                        Assessments::Table,
                        Assessments::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AssessmentAnswers::Table)
                    .col(big_integer(AssessmentAnswers::AssessmentId))
                    .col(big_integer(AssessmentAnswers::QuestionId))
                    .col(big_integer(AssessmentAnswers::OptionId))
                    .primary_key(
                        Index::create()
                            .col(AssessmentAnswers::AssessmentId)
                            .col(AssessmentAnswers::QuestionId),
                    )
                    .foreign_key(&mut cascade(
                        AssessmentAnswers::Table,
                        AssessmentAnswers::AssessmentId,
                        Assessments::Table,
                        Assessments::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ActivityAxes::Table)
                    .col(big_integer(ActivityAxes::ActivityId))
                    .col(big_integer(ActivityAxes::AxisId))
                    .primary_key(
                        Index::create()
                            .col(ActivityAxes::ActivityId)
                            .col(ActivityAxes::AxisId),
                    )
                    .foreign_key(&mut cascade(
                        ActivityAxes::Table,
                        ActivityAxes::ActivityId,
                        Activities::Table,
                        Activities::Id,
                    ))
                    .foreign_key(&mut cascade(
                        ActivityAxes::Table,
                        ActivityAxes::AxisId,
                        DiagnosticAxes::Table,
                        DiagnosticAxes::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MonthlyReports::Table)
                    // `YYYY-MM`.
                    .col(string_len(MonthlyReports::Month, 7).primary_key())
                    .col(timestamp_with_time_zone(MonthlyReports::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(timestamp_with_time_zone_null(Users::TrainedAt))
                    .to_owned(),
            )
            .await?;
        for column in [
            Threads::FirstResponseSeconds,
            Threads::FirstResponseOpenSeconds,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Threads::Table)
                        .add_column(big_integer_null(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Threads::FirstResponseOpenSeconds,
            Threads::FirstResponseSeconds,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Threads::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::TrainedAt)
                    .to_owned(),
            )
            .await?;
        for table in [
            MonthlyReports::Table.into_iden(),
            ActivityAxes::Table.into_iden(),
            AssessmentAnswers::Table.into_iden(),
            AssessmentScores::Table.into_iden(),
            Assessments::Table.into_iden(),
            DiagnosticOptions::Table.into_iden(),
            DiagnosticQuestions::Table.into_iden(),
            DiagnosticAxes::Table.into_iden(),
            Diagnostics::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Diagnostics {
    Table,
    Id,
    Version,
    Title,
    PublishedAt,
}

#[derive(DeriveIden)]
enum DiagnosticAxes {
    Table,
    Id,
    DiagnosticId,
    Position,
    Name,
}

#[derive(DeriveIden)]
enum DiagnosticQuestions {
    Table,
    Id,
    AxisId,
    Position,
    Text,
}

#[derive(DeriveIden)]
enum DiagnosticOptions {
    Table,
    Id,
    QuestionId,
    Position,
    Label,
    Points,
}

#[derive(DeriveIden)]
enum Assessments {
    Table,
    Id,
    DiagnosticId,
    OrganisationId,
    UserId,
    TakenAt,
    Score,
}

#[derive(DeriveIden)]
enum AssessmentScores {
    Table,
    AssessmentId,
    AxisId,
    Score,
}

#[derive(DeriveIden)]
enum AssessmentAnswers {
    Table,
    AssessmentId,
    QuestionId,
    OptionId,
}

#[derive(DeriveIden)]
enum ActivityAxes {
    Table,
    ActivityId,
    AxisId,
}

#[derive(DeriveIden)]
enum MonthlyReports {
    Table,
    Month,
    SentAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    TrainedAt,
}

#[derive(DeriveIden)]
enum Threads {
    Table,
    FirstResponseSeconds,
    FirstResponseOpenSeconds,
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
}
