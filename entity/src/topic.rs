use sea_orm::entity::prelude::*;

/// A topic (a tool, a theme) staff gather demand for, so that workshops are scheduled where
/// partners want them.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "topics")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// How many interested partners make an activity worth scheduling.
    pub threshold: i32,
    /// The diagnostic axis it helps with, if any.
    pub axis_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    /// When interest reached the threshold and staff were told (once).
    pub reached_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
