use async_graphql::{Context, Enum, ID, Object};
use entity::mail;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    error::ApiResult,
    graphql::connections::{Direction, Page, PageArgs, page_cost, paginate},
    graphql::context::ContextExt,
    graphql::scalars::Timestamp,
    people::Access,
};

/// Whether a mail left.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "mail::Status")]
pub enum MailStatus {
    /// Waiting to be sent (or to be retried).
    Pending,
    /// Accepted by the mail server.
    Sent,
    /// Gave up: refused for good or still failing after every retry.
    Failed,
}

pub struct Mail(mail::Model);

/// A mail in the outbox.
#[Object]
impl Mail {
    /// The mail's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The recipient's address.
    async fn to(&self) -> &str {
        &self.0.to_address
    }
    /// The subject.
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    /// What it is about, e.g. `registration_confirmed`, `invitation_account`.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// Whether it left.
    async fn status(&self) -> MailStatus {
        self.0.status.into()
    }
    /// How many times sending was tried.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// The last failure's message, if any.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// When it was written.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at.into()
    }
    /// When it left.
    async fn sent_at(&self) -> Option<Timestamp> {
        self.0.sent_at.map(Timestamp)
    }
}

#[derive(Default)]
pub struct MailQuery;

#[Object]
impl MailQuery {
    /// Staff only: the outbox, oldest first — what left and what is stuck.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn mails(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only mails in this state.")] status: Option<MailStatus>,
        #[graphql(desc = "How many to return (20 by default, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The cursor after which the page starts (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> ApiResult<Page<i64, Mail>> {
        ctx.viewer().require(Access::Staff)?;
        // A mail's status changes without announcing it: this answer is never kept.
        crate::clock::read_unannounced_rows();
        let args = PageArgs::parse(first, after)?;
        let mut select = mail::Entity::find();
        if let Some(status) = status {
            select = select.filter(mail::Column::Status.eq(mail::Status::from(status)));
        }
        paginate(
            &ctx.state()?.db,
            select,
            mail::Column::Id,
            Direction::Ascending,
            args,
            |m| m.id,
            Mail,
        )
        .await
    }
}
