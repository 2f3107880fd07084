use sea_orm_migration::{prelude::*, schema::*};

/// Questions partners bring to a club meeting, and one vote per person and question.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ClubQuestions::Table)
                    .col(big_pk_auto(ClubQuestions::Id))
                    .col(big_integer(ClubQuestions::MeetingId))
                    .col(big_integer(ClubQuestions::AuthorId))
                    .col(text(ClubQuestions::Text))
                    // Kept with the votes under one transaction, so lists sort without a count.
                    .col(integer(ClubQuestions::Votes).default(0))
                    .col(boolean(ClubQuestions::Answered).default(false))
                    .col(text_null(ClubQuestions::Answer))
                    .col(timestamp_with_time_zone(ClubQuestions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ClubQuestions::Table, ClubQuestions::MeetingId)
                            .to(Activities::Table, Activities::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ClubQuestions::Table, ClubQuestions::AuthorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_club_questions_meeting_votes")
                    .table(ClubQuestions::Table)
                    .col(ClubQuestions::MeetingId)
                    .col(ClubQuestions::Votes)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClubVotes::Table)
                    .col(big_integer(ClubVotes::QuestionId))
                    .col(big_integer(ClubVotes::UserId))
                    .primary_key(
                        Index::create()
                            .col(ClubVotes::QuestionId)
                            .col(ClubVotes::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ClubVotes::Table, ClubVotes::QuestionId)
                            .to(ClubQuestions::Table, ClubQuestions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ClubVotes::Table, ClubVotes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ClubVotes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ClubQuestions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ClubQuestions {
    Table,
    Id,
    MeetingId,
    AuthorId,
    Text,
    Votes,
    Answered,
    Answer,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ClubVotes {
    Table,
    QuestionId,
    UserId,
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
