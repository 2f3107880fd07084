use sea_orm::entity::prelude::*;

/// The sign-in code open for one half-day of a session (a slot), as its trainer last opened
/// it: only its hash is kept.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_ins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub slot_id: i64,
    pub session_id: i64,
    pub code_hash: String,
    pub closes_at: DateTimeUtc,
    pub opened_by: i64,
    pub opened_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
