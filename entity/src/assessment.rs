use sea_orm::entity::prelude::*;

/// A self-diagnostic taken: one version answered in full, never changed afterwards.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "assessments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub diagnostic_id: i64,
    /// The organisation assessed; `None` when the partner belongs to none.
    pub organisation_id: Option<i64>,
    /// Who took it.
    pub user_id: i64,
    pub taken_at: DateTimeUtc,
    /// 0..100: the mean of the axis scores.
    pub score: f64,
    /// Whether the network's averages count it now: they move only when enough
    /// organisations changed, so that two readings never isolate one assessment.
    pub published: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
