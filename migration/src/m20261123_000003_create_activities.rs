use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Activities::Table)
                    .col(big_pk_auto(Activities::Id))
                    .col(string_len(Activities::Kind, 16))
                    .col(string_len(Activities::Status, 16))
                    .col(string_len(Activities::Audience, 24))
                    .col(string_len(Activities::Title, 200))
                    .col(text_null(Activities::Description))
                    .col(string_len_null(Activities::Location, 500))
                    .col(integer(Activities::Capacity))
                    .col(integer_null(Activities::MinParticipants))
                    .col(timestamp_with_time_zone_null(
                        Activities::RegistrationDeadline,
                    ))
                    .col(integer(Activities::PriceCents).default(0))
                    .col(string_len_null(Activities::TrainerName, 200))
                    .col(string_len_null(Activities::CoOrganiser, 200))
                    .col(integer_null(Activities::MinAttendancePercent))
                    .col(string_len_null(Activities::CancellationReason, 500))
                    // First session start and last session end, kept with the sessions so the
                    // programme can be ordered and filtered without a join.
                    .col(timestamp_with_time_zone(Activities::StartsAt))
                    .col(timestamp_with_time_zone(Activities::EndsAt))
                    // Seat counters, changed only by the registration rules under the
                    // activity's row lock; they make seatsLeft and waitlistCount free to read.
                    .col(integer(Activities::ConfirmedCount).default(0))
                    .col(integer(Activities::WaitlistCount).default(0))
                    .col(big_integer(Activities::CreatedBy))
                    .col(timestamp_with_time_zone(Activities::CreatedAt))
                    .col(timestamp_with_time_zone(Activities::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Activities::Table, Activities::CreatedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_activities_starts_at_id",
                vec![Activities::StartsAt, Activities::Id],
            ),
            (
                "idx_activities_status_starts_at",
                vec![Activities::Status, Activities::StartsAt],
            ),
            (
                "idx_activities_kind_starts_at",
                vec![Activities::Kind, Activities::StartsAt],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Activities::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.clone()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Activities::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
    Kind,
    Status,
    Audience,
    Title,
    Description,
    Location,
    Capacity,
    MinParticipants,
    RegistrationDeadline,
    PriceCents,
    TrainerName,
    CoOrganiser,
    MinAttendancePercent,
    CancellationReason,
    StartsAt,
    EndsAt,
    ConfirmedCount,
    WaitlistCount,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
