use sea_orm_migration::{prelude::*, schema::*};

/// Closed discussion groups with threads and posts. The two standing groups are created here,
/// so they exist from the first start on every database.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Groups::Table)
                    .col(big_pk_auto(Groups::Id))
                    .col(string_len(Groups::Name, 200))
                    .col(string_len(Groups::Audience, 32))
                    .col(
                        timestamp_with_time_zone(Groups::CreatedAt)
                            .default(Expr::current_timestamp()),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GroupMembers::Table)
                    .col(big_integer(GroupMembers::GroupId))
                    .col(big_integer(GroupMembers::UserId))
                    .primary_key(
                        Index::create()
                            .col(GroupMembers::GroupId)
                            .col(GroupMembers::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(GroupMembers::Table, GroupMembers::GroupId)
                            .to(Groups::Table, Groups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(GroupMembers::Table, GroupMembers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Threads::Table)
                    .col(big_pk_auto(Threads::Id))
                    .col(big_integer(Threads::GroupId))
                    .col(big_integer(Threads::AuthorId))
                    .col(string_len(Threads::Title, 300))
                    .col(boolean(Threads::IsQuestion).default(false))
                    .col(boolean(Threads::Locked).default(false))
                    .col(big_integer_null(Threads::AcceptedPostId))
                    .col(integer(Threads::ReplyCount).default(0))
                    // The first reply by someone other than the author: the response time.
                    .col(timestamp_with_time_zone_null(Threads::FirstResponseAt))
                    .col(timestamp_with_time_zone(Threads::LastPostAt))
                    .col(timestamp_with_time_zone(Threads::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Threads::Table, Threads::GroupId)
                            .to(Groups::Table, Groups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Threads::Table, Threads::AuthorId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_threads_group_id")
                    .table(Threads::Table)
                    .col(Threads::GroupId)
                    .col(Threads::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Posts::Table)
                    .col(big_pk_auto(Posts::Id))
                    .col(big_integer(Posts::ThreadId))
                    .col(big_integer(Posts::AuthorId))
                    .col(text(Posts::Body))
                    .col(boolean(Posts::Removed).default(false))
                    .col(timestamp_with_time_zone(Posts::CreatedAt))
                    .col(timestamp_with_time_zone_null(Posts::EditedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Posts::Table, Posts::ThreadId)
                            .to(Threads::Table, Threads::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Posts::Table, Posts::AuthorId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_posts_thread_id")
                    .table(Posts::Table)
                    .col(Posts::ThreadId)
                    .col(Posts::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(Groups::Table)
                    .columns([Groups::Name, Groups::Audience])
                    .values_panic(["Staff".into(), "STAFF".into()])
                    .values_panic(["Partners' club".into(), "STAFF_AND_TRAINED_PARTNERS".into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Posts::Table.into_iden(),
            Threads::Table.into_iden(),
            GroupMembers::Table.into_iden(),
            Groups::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    Id,
    Name,
    Audience,
    CreatedAt,
}

#[derive(DeriveIden)]
enum GroupMembers {
    Table,
    GroupId,
    UserId,
}

#[derive(DeriveIden)]
enum Threads {
    Table,
    Id,
    GroupId,
    AuthorId,
    Title,
    IsQuestion,
    Locked,
    AcceptedPostId,
    ReplyCount,
    FirstResponseAt,
    LastPostAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Posts {
    Table,
    Id,
    ThreadId,
    AuthorId,
    Body,
    Removed,
    CreatedAt,
    EditedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
