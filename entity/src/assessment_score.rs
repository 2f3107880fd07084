use sea_orm::entity::prelude::*;

/// An assessment's score on one axis, 0..100.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "assessment_scores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub assessment_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub axis_id: i64,
    pub score: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
