//! `auditLog`: admins read what staff did. The rows are written by `audit::record`, in the
//! transaction of each change; this is their GraphQL view, kept with the people who act.

use async_graphql::{Context, Enum, ID, Object};
use entity::audit_event;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    error::ApiResult,
    graphql::connections::{Direction, Page, PageArgs, page_cost, paginate},
    graphql::context::ContextExt,
    graphql::scalars::Timestamp,
};
use crate::{graphql::people::User, people::Access};

/// A staff action recorded in the audit log.
/// A kind of staff action the audit log records.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "audit_event::Action")]
pub enum AuditAction {
    /// An activity was created.
    ActivityCreated,
    /// An activity was edited.
    ActivityUpdated,
    /// An activity was published.
    ActivityPublished,
    /// An activity was cancelled.
    ActivityCancelled,
    /// An activity was completed.
    ActivityCompleted,
    /// Attendance was recorded.
    AttendanceRecorded,
    /// An account's role changed.
    RoleChanged,
    /// A partner was marked trained or not.
    TrainedChanged,
    /// Invitations were sent.
    InvitationSent,
    /// An invitation was revoked.
    InvitationRevoked,
    /// Staff edited someone's post.
    PostEdited,
    /// A post was removed.
    PostRemoved,
    /// A thread was locked.
    ThreadLocked,
    /// A thread was unlocked.
    ThreadUnlocked,
    /// An activity's people were written to.
    RegistrantsMessaged,
    /// A reminder rule was added.
    ReminderAdded,
    /// A reminder rule was removed.
    ReminderRemoved,
    /// An activity's survey was set.
    SurveySet,
    /// A payment was recorded.
    PaymentRecorded,
    /// An organisation was created.
    OrganisationCreated,
    /// Someone was invited into an organisation, or their role there changed.
    OrganisationMemberSet,
    /// A trainer was assigned to deliver an activity.
    TrainerAssigned,
    /// Staff corrected a presence on a half-day's attendance sheet, with a reason.
    AttendanceCorrected,
    /// Staff registered someone after registration closed (an activity recorded after the
    /// fact, or a late arrival).
    LateRegistration,
    /// Staff approved or declined a registration waiting for their decision.
    RegistrationDecided,
    /// Staff set who appears in a photo.
    PhotoTagged,
}

pub struct AuditEvent(audit_event::Model);

/// Who did what to which record, and when.
#[Object]
impl AuditEvent {
    /// The event's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// When it happened.
    async fn at(&self) -> Timestamp {
        self.0.at.into()
    }

    /// The staff member who acted.
    async fn actor(&self, ctx: &Context<'_>) -> ApiResult<User> {
        Ok(User::new(ctx.loaders()?.user(self.0.actor_id).await?))
    }

    /// What was done.
    async fn action(&self) -> AuditAction {
        self.0.action.into()
    }

    /// `ACTIVITY`, `USER`, `INVITATION`, `POST` or `THREAD`.
    async fn target_type(&self) -> &str {
        &self.0.target_type
    }

    /// The id of the record acted on, as the matching query takes it.
    async fn target_id(&self) -> ID {
        ID(self.0.target_id.to_string())
    }

    /// A short detail: the new role, the cancellation reason, …
    async fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Admin only: the audit log of staff actions, newest first, optionally of one action.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only events of this kind.")] action: Option<AuditAction>,
        #[graphql(desc = "How many to return (20 by default, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The cursor after which the page starts (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> ApiResult<Page<i64, AuditEvent>> {
        ctx.viewer().require(Access::Admin)?;
        let args = PageArgs::parse(first, after)?;
        let mut select = audit_event::Entity::find();
        if let Some(action) = action {
            select =
                select.filter(audit_event::Column::Action.eq(audit_event::Action::from(action)));
        }
        paginate(
            &ctx.state()?.db,
            select,
            audit_event::Column::Id,
            Direction::Descending,
            args,
            |event| event.id,
            AuditEvent,
        )
        .await
    }
}
