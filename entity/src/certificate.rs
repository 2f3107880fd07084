use sea_orm::entity::prelude::*;

/// A certificate of attendance, issued once per registration when its activity completes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Random, unique, what a funder checks.
    #[sea_orm(unique)]
    pub number: String,
    #[sea_orm(unique)]
    pub registration_id: i64,
    pub user_id: i64,
    pub activity_id: i64,
    /// The length of the sessions attended.
    pub minutes_attended: i32,
    pub issued_at: DateTimeUtc,
    /// The organisation named on it, as its holder was known when it was issued.
    pub organisation_name: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
