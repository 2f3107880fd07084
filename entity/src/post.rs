use sea_orm::entity::prelude::*;

/// A message in a thread; the first one opens it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "posts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub thread_id: i64,
    pub author_id: i64,
    pub body: String,
    /// Removed by moderation: stays in place, its text hidden.
    pub removed: bool,
    pub created_at: DateTimeUtc,
    pub edited_at: Option<DateTimeUtc>,
    /// When its immediate mails were written (claimed by one instance); `None` until then.
    pub notified_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
