use sea_orm::entity::prelude::*;

/// How one member hears about one group's activity; without a row, [`Level::DailyDigest`].
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "group_notification_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    pub level: Level,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Level {
    /// Each new thread and reply, shortly after.
    #[sea_orm(string_value = "EVERY_POST")]
    EveryPost,
    /// Each new thread, shortly after.
    #[sea_orm(string_value = "NEW_THREADS")]
    NewThreads,
    /// One mail a day listing the day's threads and replies.
    #[default]
    #[sea_orm(string_value = "DAILY_DIGEST")]
    DailyDigest,
    /// Nothing.
    #[sea_orm(string_value = "MUTED")]
    Muted,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
