use sea_orm::entity::prelude::*;

/// One published version of the self-diagnostic.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "diagnostics")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// 1, 2, …: publishing again makes the next one current.
    #[sea_orm(unique)]
    pub version: i32,
    pub title: String,
    pub published_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
