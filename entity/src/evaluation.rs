use sea_orm::entity::prelude::*;

/// How far a trainee mastered one objective of its training's programme (`objective` is the
/// objective's index there), as a trainer or staff judged it at the end.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "evaluations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub registration_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub objective: i32,
    pub mastery: Mastery,
    pub recorded_by: i64,
    pub recorded_at: DateTimeUtc,
}

/// How far an objective is mastered.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Mastery {
    #[sea_orm(string_value = "ACQUIRED")]
    Acquired,
    #[sea_orm(string_value = "IN_PROGRESS")]
    InProgress,
    #[sea_orm(string_value = "NOT_ACQUIRED")]
    NotAcquired,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
