use sea_orm::entity::prelude::*;

/// This person answered this survey (what they answered is not said here).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_participations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub survey_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
