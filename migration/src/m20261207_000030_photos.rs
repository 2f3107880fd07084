use sea_orm_migration::{prelude::*, schema::*};

use crate::{cascade, m20261125_000020_notify_data_changes::watch};

/// Photos shared by the participants of an activity, the rights their authors grant, and the
/// people who appear in them.
///
/// - `photos`: where the file and its thumbnail are stored (keys in the configured store), the
///   picture's size, the rights (`uses` comma-separated, `rights_until`, `credit`) and
///   `withdrawn_at` once its author took them back (the photo stays on record),
///   `shows_former_member` once somebody tagged in it deleted their account.
/// - `photo_people`: who appears in a photo, tagged by staff.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Photos::Table)
                    .col(big_pk_auto(Photos::Id))
                    .col(big_integer(Photos::ActivityId))
                    .col(big_integer(Photos::AuthorId))
                    .col(string_len(Photos::FileKey, 200))
                    .col(string_len(Photos::ThumbnailKey, 200))
                    .col(string_len(Photos::MediaType, 20))
                    .col(integer(Photos::Width))
                    .col(integer(Photos::Height))
                    .col(text_null(Photos::Caption))
                    .col(string_len(Photos::Uses, 40))
                    .col(timestamp_with_time_zone_null(Photos::RightsUntil))
                    .col(string_len(Photos::Credit, 200))
                    .col(timestamp_with_time_zone_null(Photos::WithdrawnAt))
                    .col(boolean(Photos::ShowsFormerMember).default(false))
                    .col(timestamp_with_time_zone(Photos::CreatedAt))
                    .foreign_key(&mut cascade(
                        Photos::Table,
                        Photos::ActivityId,
                        Activities::Table,
                        Activities::Id,
                    ))
                    .foreign_key(&mut cascade(
                        Photos::Table,
                        Photos::AuthorId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_photos_activity", Photos::ActivityId),
            ("idx_photos_author", Photos::AuthorId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Photos::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(PhotoPeople::Table)
                    .col(big_integer(PhotoPeople::PhotoId))
                    .col(big_integer(PhotoPeople::UserId))
                    .col(timestamp_with_time_zone(PhotoPeople::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(PhotoPeople::PhotoId)
                            .col(PhotoPeople::UserId),
                    )
                    .foreign_key(&mut cascade(
                        PhotoPeople::Table,
                        PhotoPeople::PhotoId,
                        Photos::Table,
                        Photos::Id,
                    ))
                    .foreign_key(&mut cascade(
                        PhotoPeople::Table,
                        PhotoPeople::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_photo_people_user")
                    .table(PhotoPeople::Table)
                    .col(PhotoPeople::UserId)
                    .to_owned(),
            )
            .await?;
        for table in ["photos", "photo_people"] {
            watch(manager, table).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [PhotoPeople::Table.into_iden(), Photos::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Photos {
    Table,
    Id,
    ActivityId,
    AuthorId,
    FileKey,
    ThumbnailKey,
    MediaType,
    Width,
    Height,
    Caption,
    Uses,
    RightsUntil,
    Credit,
    WithdrawnAt,
    ShowsFormerMember,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PhotoPeople {
    Table,
    PhotoId,
    UserId,
    CreatedAt,
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
