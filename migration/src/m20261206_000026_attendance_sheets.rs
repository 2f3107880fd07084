use sea_orm_migration::{prelude::*, schema::*};

use crate::{cascade, m20261125_000020_notify_data_changes::watch};

/// The signed half-days of trainings. `sign_ins`: the code that is open for a half-day (a
/// slot), one per slot, replaced when its trainer renews it. `slot_presences`: each slot's
/// signatures and corrections, in order (`seq`), each row holding the hash of its content and
/// of the row before it. Rows keep the signer's name and no foreign key to the registration:
/// they are the training body's record and stay when an account goes, its name, signature and
/// reasons erased (`erased`): the chain covers those through `content_hash`, so it still holds. `attendances.minutes`:
/// the minutes realised of a session attended in part (one half-day of two signed); empty for
/// a whole session.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SignIns::Table)
                    .col(big_integer(SignIns::SlotId).primary_key())
                    .col(big_integer(SignIns::SessionId))
                    .col(string_len(SignIns::CodeHash, 64).unique_key())
                    .col(timestamp_with_time_zone(SignIns::ClosesAt))
                    .col(big_integer(SignIns::OpenedBy))
                    .col(timestamp_with_time_zone(SignIns::OpenedAt))
                    .foreign_key(&mut cascade(
                        SignIns::Table,
                        SignIns::SessionId,
                        Sessions::Table,
                        Sessions::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SlotPresences::Table)
                    .col(big_pk_auto(SlotPresences::Id))
                    .col(big_integer(SlotPresences::SlotId))
                    .col(big_integer(SlotPresences::SessionId))
                    .col(integer(SlotPresences::Seq))
                    .col(big_integer_null(SlotPresences::RegistrationId))
                    .col(string_len(SlotPresences::PersonName, 200))
                    .col(string_len(SlotPresences::Presence, 32))
                    .col(text_null(SlotPresences::Signature))
                    .col(text_null(SlotPresences::Reason))
                    .col(boolean(SlotPresences::Erased).default(false))
                    .col(string_len(SlotPresences::ContentHash, 64))
                    .col(big_integer(SlotPresences::RecordedBy))
                    .col(timestamp_with_time_zone(SlotPresences::RecordedAt))
                    .col(string_len(SlotPresences::PrevHash, 64))
                    .col(string_len(SlotPresences::Hash, 64))
                    .foreign_key(&mut cascade(
                        SlotPresences::Table,
                        SlotPresences::SessionId,
                        Sessions::Table,
                        Sessions::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        // Two writers that read the same last row both try its successor's `seq`: one wins,
        // the other retries on the new last row, so a chain never forks.
        manager
            .create_index(
                Index::create()
                    .name("idx_slot_presences_slot_seq")
                    .table(SlotPresences::Table)
                    .col(SlotPresences::SlotId)
                    .col(SlotPresences::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_slot_presences_session")
                    .table(SlotPresences::Table)
                    .col(SlotPresences::SessionId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Attendances::Table)
                    .add_column(integer_null(Attendances::Minutes))
                    .to_owned(),
            )
            .await?;
        watch(manager, "sign_ins").await?;
        watch(manager, "slot_presences").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Attendances::Table)
                    .drop_column(Attendances::Minutes)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(SlotPresences::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SignIns::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SignIns {
    Table,
    SlotId,
    SessionId,
    CodeHash,
    ClosesAt,
    OpenedBy,
    OpenedAt,
}

#[derive(DeriveIden)]
enum SlotPresences {
    Table,
    Id,
    SlotId,
    SessionId,
    Seq,
    RegistrationId,
    PersonName,
    Presence,
    Signature,
    Reason,
    Erased,
    ContentHash,
    RecordedBy,
    RecordedAt,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Attendances {
    Table,
    Minutes,
}
