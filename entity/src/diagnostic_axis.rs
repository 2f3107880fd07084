use sea_orm::entity::prelude::*;

/// An axis of digital maturity (website, online reviews, …) in one diagnostic version.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "diagnostic_axes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub diagnostic_id: i64,
    pub position: i32,
    pub name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
