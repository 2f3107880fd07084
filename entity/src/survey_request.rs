use sea_orm::entity::prelude::*;

/// That a person was asked to answer a questionnaire: claimed once, so that several instances
/// never ask twice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub survey_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    pub asked_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
