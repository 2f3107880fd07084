use sea_orm::entity::prelude::*;

/// A group's daily digest for one local day, claimed by the instance that sends it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "group_digests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_id: i64,
    /// `YYYY-MM-DD` in the office's time zone.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: String,
    pub sent_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
