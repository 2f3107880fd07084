use sea_orm::entity::prelude::*;

/// A conversation in a group; maybe a question awaiting an accepted answer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "threads")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub group_id: i64,
    pub author_id: i64,
    pub title: String,
    pub is_question: bool,
    pub locked: bool,
    pub accepted_post_id: Option<i64>,
    /// Replies after the opening post.
    pub reply_count: i32,
    /// When someone other than the author first replied.
    pub first_response_at: Option<DateTimeUtc>,
    pub last_post_at: DateTimeUtc,
    /// When the animators were told the question is overdue.
    pub overdue_alerted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// From the opening post to the first reply by someone else: wall-clock seconds, and
    /// seconds of opening hours (what the answer target counts).
    pub first_response_seconds: Option<i64>,
    pub first_response_open_seconds: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
