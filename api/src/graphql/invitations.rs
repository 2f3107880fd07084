use async_graphql::{Context, Enum, ID, InputObject, Object};
use entity::invitation;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::invitations::{
    acceptance,
    service::{self, InviteRequest},
};
use crate::{
    error::ApiResult,
    graphql::connections::{Direction, Page, PageArgs, page_cost, paginate},
    graphql::context::ContextExt,
    graphql::inputs::parse_id,
    graphql::scalars::Timestamp,
    graphql::{
        activities::Activity,
        auth::AuthPayload,
        people::{Role, User},
    },
    people::Access,
};

/// A group of accounts to invite at once.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "service::Invitees")]
pub enum InviteAudience {
    /// Every staff member.
    AllStaff,
    /// Every partner.
    AllPartners,
    /// Partners who completed a training.
    TrainedPartners,
}

/// Where an invitation stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum InvitationStatus {
    /// Sent, not yet accepted, still valid.
    Pending,
    /// Accepted.
    Accepted,
    /// Revoked by staff.
    Revoked,
    /// Not accepted within 14 days.
    Expired,
}

/// Whom to invite: addresses, an audience, or both; to an activity or to create an account.
#[derive(InputObject)]
pub struct InviteInput {
    /// Addresses to invite, with or without an account.
    pub emails: Option<Vec<String>>,
    /// A group of accounts to invite as well.
    pub audience: Option<InviteAudience>,
    /// The activity the invitation is for (required with `audience`).
    pub activity_id: Option<ID>,
    /// The role of accounts created from the invitation (default PARTNER; staff roles: admins
    /// only).
    pub role: Option<Role>,
    /// A personal word added to the mail.
    pub message: Option<String>,
}

pub struct Invitation(invitation::Model);

/// An invitation mailed to an address: to an activity, or to create an account.
#[Object]
impl Invitation {
    /// The invitation's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The address invited.
    async fn email(&self) -> &str {
        &self.0.email
    }
    /// The role the account gets when it accepts.
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    /// Where it stands.
    async fn status(&self, ctx: &Context<'_>) -> ApiResult<InvitationStatus> {
        Ok(match self.0.status {
            invitation::Status::Accepted => InvitationStatus::Accepted,
            invitation::Status::Revoked => InvitationStatus::Revoked,
            invitation::Status::Pending if self.0.expires_at <= ctx.state()?.now() => {
                InvitationStatus::Expired
            }
            invitation::Status::Pending => InvitationStatus::Pending,
        })
    }
    /// When it stops being valid.
    async fn expires_at(&self) -> Timestamp {
        self.0.expires_at.into()
    }
    /// When it was sent.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at.into()
    }
    /// A word from the sender.
    async fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }
    /// The activity invited to, if any.
    async fn activity(&self, ctx: &Context<'_>) -> ApiResult<Option<Activity>> {
        let Some(id) = self.0.activity_id else {
            return Ok(None);
        };
        Ok(Some(Activity(ctx.loaders()?.activity(id).await?)))
    }
    /// Who sent it.
    async fn invited_by(&self, ctx: &Context<'_>) -> ApiResult<User> {
        Ok(User::new(ctx.loaders()?.user(self.0.invited_by).await?))
    }
}

#[derive(Default)]
pub struct InvitationQuery;

#[Object]
impl InvitationQuery {
    /// Staff only: invitations, oldest first.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn invitations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only invitations in this state.")] status: Option<InvitationStatus>,
        #[graphql(desc = "How many to return (20 by default, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The cursor after which the page starts (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> ApiResult<Page<i64, Invitation>> {
        ctx.viewer().require(Access::Staff)?;
        let state = ctx.state()?;
        let args = PageArgs::parse(first, after)?;
        let now = state.now();
        let select = invitation::Entity::find();
        let select = match status {
            None => select,
            Some(InvitationStatus::Accepted) => {
                select.filter(invitation::Column::Status.eq(invitation::Status::Accepted))
            }
            Some(InvitationStatus::Revoked) => {
                select.filter(invitation::Column::Status.eq(invitation::Status::Revoked))
            }
            Some(InvitationStatus::Pending) => select
                .filter(invitation::Column::Status.eq(invitation::Status::Pending))
                .filter(invitation::Column::ExpiresAt.gt(now)),
            Some(InvitationStatus::Expired) => select
                .filter(invitation::Column::Status.eq(invitation::Status::Pending))
                .filter(invitation::Column::ExpiresAt.lte(now)),
        };
        paginate(
            &state.db,
            select,
            invitation::Column::Id,
            Direction::Ascending,
            args,
            |i| i.id,
            Invitation,
        )
        .await
    }
}

#[derive(Default)]
pub struct InvitationMutation;

#[Object]
impl InvitationMutation {
    /// Staff only (inviting staff: admins only). An address with an account gets an invitation
    /// to the activity; an unknown address gets a single-use link to create its account, valid
    /// 14 days. A pending invitation to the same address is re-sent, not duplicated (re-sending
    /// a staff invitation: admins only). An account that has not proven its address counts as
    /// unknown: the link goes to the address, and whoever opens it owns the account.
    async fn invite(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Whom to invite, and to what.")] input: InviteInput,
    ) -> ApiResult<Vec<Invitation>> {
        let me = ctx.viewer().staff()?;
        let state = ctx.state()?;
        let request = InviteRequest {
            emails: input.emails.unwrap_or_default(),
            audience: input.audience.map(Into::into),
            activity_id: input
                .activity_id
                .map(|id| parse_id("activityId", &id))
                .transpose()?,
            role: input.role.unwrap_or(Role::Partner).into(),
            message: input.message,
        };
        let invitations = service::invite(state, me, request).await?;
        Ok(invitations.into_iter().map(Invitation).collect())
    }

    /// Staff only (an invitation to a staff role: admins only): a pending invitation's link
    /// stops working.
    async fn revoke_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pending invitation to revoke.")] id: ID,
    ) -> ApiResult<Invitation> {
        let me = ctx.viewer().staff()?;
        let state = ctx.state()?;
        let id = parse_id("id", &id)?;
        let revoked = service::revoke(&state.db, me, id, state.now()).await?;
        Ok(Invitation(revoked))
    }

    /// No login needed: the token from the mail is the credential. Creates the account with
    /// the invited role, registers it for the invited activity if any, and logs it in. An
    /// unknown, expired, used or revoked token is refused (BAD_USER_INPUT on `token`).
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            validator(max_length = 200),
            desc = "The token of the invitation's link."
        )]
        token: String,
        #[graphql(desc = "The name of the account created, when the address has none.")]
        name: String,
        #[graphql(desc = "The password of the account created, when the address has none.")]
        password: String,
    ) -> ApiResult<AuthPayload> {
        Ok(acceptance::accept(ctx.state()?, &token, name, password)
            .await?
            .into())
    }
}
