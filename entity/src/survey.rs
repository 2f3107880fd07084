use sea_orm::entity::prelude::*;

/// A questionnaire of an activity, one per purpose. Questions, answers and anonymity are the
/// same for every purpose; who is asked, when, and who reads differ (`api/src/followup/
/// questionnaire.rs` and its users).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "surveys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub activity_id: i64,
    pub purpose: Purpose,
    /// Answers name no author, anywhere.
    pub anonymous: bool,
    /// COLD only: how many weeks after the activity ends it is sent.
    pub weeks_after: Option<i32>,
    /// When its people were invited to answer (END and COLD, once).
    pub invited_at: Option<DateTimeUtc>,
    /// When those who had not answered were reminded (COLD and POSITIONING, once).
    pub reminded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// What a questionnaire is for.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Purpose {
    /// Satisfaction, when the activity completes.
    #[sea_orm(string_value = "END")]
    End,
    /// Satisfaction again, weeks after the activity ended.
    #[sea_orm(string_value = "COLD")]
    Cold,
    /// Where each trainee starts, before the first session.
    #[sea_orm(string_value = "POSITIONING")]
    Positioning,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
