use sea_orm::entity::prelude::*;

/// A reminder of an activity: `offset_hours` before its first session starts or after its last
/// one ends, to the registrants matching `recipients`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reminder_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub activity_id: i64,
    pub anchor: Anchor,
    pub offset_hours: i32,
    /// Recipient filters (`CONFIRMED`, `WAITLISTED`, `ATTENDED`, `NO_SHOW`), comma-separated.
    pub recipients: String,
    pub message: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Anchor {
    #[sea_orm(string_value = "BEFORE_START")]
    BeforeStart,
    #[sea_orm(string_value = "AFTER_END")]
    AfterEnd,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
