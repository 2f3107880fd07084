use sea_orm::entity::prelude::*;

/// A complaint about an activity or the service, and staff's answer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "complaints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub author_id: i64,
    pub activity_id: Option<i64>,
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub status: Status,
    pub created_at: DateTimeUtc,
    /// When staff must have answered (`KLUB_COMPLAINT_DAYS` after it was filed).
    pub due_at: DateTimeUtc,
    /// `due_at` while it waits for an answer, the end of time once answered: the staff's
    /// list reads most urgent first.
    pub sort_key: DateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    pub answer: Option<String>,
    /// What changed because of it.
    #[sea_orm(column_type = "Text", nullable)]
    pub actions: Option<String>,
    pub answered_by: Option<i64>,
    pub answered_at: Option<DateTimeUtc>,
}

/// Where a complaint stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "ANSWERED")]
    Answered,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
