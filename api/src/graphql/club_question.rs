//! The question type of a club meeting, kept with the activity that lists its questions
//! (`Activity.clubQuestions`); the club's rules that ask, vote and answer are in `club`.

use async_graphql::{Context, ID, Object};
use entity::club_question;

use crate::{
    error::ApiResult, graphql::context::ContextExt, graphql::people::User,
    graphql::scalars::Timestamp,
};

pub struct ClubQuestion(pub club_question::Model);

/// A question brought to a club meeting.
#[Object]
impl ClubQuestion {
    /// The question's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The question.
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// How many voted for it.
    async fn votes(&self) -> i32 {
        self.0.votes
    }
    /// Handled during the meeting.
    async fn answered(&self) -> bool {
        self.0.answered
    }
    /// A short answer kept for those who could not come.
    async fn answer(&self) -> Option<&str> {
        self.0.answer.as_deref()
    }
    /// When it was asked.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at.into()
    }
    /// Who asked it.
    async fn author(&self, ctx: &Context<'_>) -> ApiResult<User> {
        Ok(User::new(ctx.loaders()?.user(self.0.author_id).await?))
    }
}
