use async_graphql::{Context, Enum, ID, InputObject, Object};
use entity::{organisation, organisation_invitation, organisation_member, registration};

use crate::organisations::{
    membership, policy,
    service::{self, OrganisationDraft},
};
use crate::{
    error::ApiResult,
    graphql::connections::{Direction, Page, PageArgs, page_cost, paginate},
    graphql::context::ContextExt,
    graphql::inputs::parse_id,
    graphql::{people::User, registration::Registration},
    people::Access,
};

/// What a partner business does.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "organisation::Sector")]
pub enum Sector {
    /// Hotels, guest houses, campsites, rentals.
    Accommodation,
    /// Restaurants, cafés, bars.
    Food,
    /// Farms, wineries, craftspeople.
    Producer,
    /// Shops.
    Shop,
    /// Activities, sites and leisure.
    Leisure,
    /// Associations.
    Association,
    /// Public bodies.
    Institution,
    /// Anything else.
    Other,
}

/// A person's role in an organisation.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "organisation_member::Role")]
pub enum OrganisationRole {
    /// Adds members and registers colleagues.
    Manager,
    /// A member: seen by the managers, registered by them.
    Member,
}

/// A new partner business.
#[derive(InputObject)]
pub struct CreateOrganisationInput {
    /// Its name (one line).
    pub name: String,
    /// What it does.
    pub sector: Sector,
    /// Where it is (one line).
    pub commune: Option<String>,
    /// https://… or http://…
    pub website: Option<String>,
}

pub struct Organisation(organisation::Model);

pub struct OrganisationMember(organisation_member::Model);

/// A person's place in an organisation.
#[Object]
impl OrganisationMember {
    /// Their role there.
    async fn role(&self) -> OrganisationRole {
        self.0.role.into()
    }
    /// The person.
    async fn user(&self, ctx: &Context<'_>) -> ApiResult<User> {
        Ok(User::new(ctx.loaders()?.user(self.0.user_id).await?))
    }
}

impl Organisation {
    async fn member_rows(&self, ctx: &Context<'_>) -> ApiResult<Vec<organisation_member::Model>> {
        Ok(ctx
            .loaders()?
            .members()
            .load_one(self.0.id)
            .await?
            .unwrap_or_default())
    }

    /// The member rows, for the organisation's members and staff only: a person invited to
    /// join sees the name, not the people.
    async fn insiders_only(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<(policy::Sight, Vec<organisation_member::Model>)> {
        let me = ctx.viewer().require(Access::Member)?;
        let members = self.member_rows(ctx).await?;
        Ok((policy::sight(me, &members)?, members))
    }
}

pub struct OrganisationInvitation(organisation_invitation::Model);

/// An invitation to join an organisation, waiting for the invited person's answer.
#[Object]
impl OrganisationInvitation {
    /// The invitation's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The role the person will have once it accepts.
    async fn role(&self) -> OrganisationRole {
        self.0.role.into()
    }
    /// Its name and sector; its people are shown to members only.
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Organisation> {
        Ok(Organisation(
            ctx.loaders()?.organisation(self.0.organisation_id).await?,
        ))
    }
    /// Who invited.
    async fn invited_by(&self, ctx: &Context<'_>) -> ApiResult<User> {
        Ok(User::new(ctx.loaders()?.user(self.0.invited_by).await?))
    }
}

/// A partner business and its people.
#[Object]
impl Organisation {
    /// The organisation's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What it does.
    async fn sector(&self) -> Sector {
        self.0.sector.into()
    }
    /// Where it is.
    async fn commune(&self) -> Option<&str> {
        self.0.commune.as_deref()
    }
    /// Its website.
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }
    /// Members who completed a training. Members and staff only (FORBIDDEN).
    async fn trained_count(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        let (_, members) = self.insiders_only(ctx).await?;
        let people = ctx
            .loaders()?
            .users()
            .load_many(members.iter().map(|m| m.user_id))
            .await?;
        let trained = people.values().flatten().filter(|p| p.trained).count();
        Ok(i32::try_from(trained).unwrap_or(i32::MAX))
    }
    /// In the order they joined. Members and staff only (FORBIDDEN); people invited but not
    /// yet accepted are not listed.
    async fn members(&self, ctx: &Context<'_>) -> ApiResult<Vec<OrganisationMember>> {
        let (_, members) = self.insiders_only(ctx).await?;
        Ok(members.into_iter().map(OrganisationMember).collect())
    }
    /// The registrations members made since they joined, newest first: all of them for
    /// managers and staff, its own for a MEMBER; FORBIDDEN to anyone else. What a person did
    /// before joining is not the organisation's.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn registrations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return (20 by default, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The cursor after which the page starts (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> ApiResult<Page<i64, Registration>> {
        let args = PageArgs::parse(first, after)?;
        let (sight, _) = self.insiders_only(ctx).await?;
        paginate(
            &ctx.state()?.db,
            service::registrations_of(self.0.id, sight),
            registration::Column::Id,
            Direction::Descending,
            args,
            |r| r.id,
            Registration,
        )
        .await
    }
}

#[derive(Default)]
pub struct OrganisationQuery;

#[Object]
impl OrganisationQuery {
    /// For its members and staff; anyone else: NOT_FOUND.
    async fn organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation.")] id: ID,
    ) -> ApiResult<Organisation> {
        let me = ctx.viewer().require(Access::Member)?;
        Ok(Organisation(
            policy::visible(&ctx.state()?.db, parse_id("id", &id)?, me).await?,
        ))
    }

    /// Staff only: every organisation, by name.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only organisations of this sector.")] sector: Option<Sector>,
        #[graphql(desc = "How many to return (20 by default, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The cursor after which the page starts (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> ApiResult<Page<(String, i64), Organisation>> {
        ctx.viewer().require(Access::Staff)?;
        let args = PageArgs::parse(first, after)?;
        paginate(
            &ctx.state()?.db,
            service::directory(sector.map(Into::into)),
            (organisation::Column::Name, organisation::Column::Id),
            Direction::Ascending,
            args,
            |o| (o.name.clone(), o.id),
            Organisation,
        )
        .await
    }

    /// The caller's invitations to join an organisation, not yet answered, oldest first.
    async fn my_organisation_invitations(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Vec<OrganisationInvitation>> {
        let me = ctx.viewer().require(Access::Member)?;
        Ok(membership::invitations_of(&ctx.state()?.db, me)
            .await?
            .into_iter()
            .map(OrganisationInvitation)
            .collect())
    }

    /// The caller's organisation, if it belongs to one.
    async fn my_organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<Organisation>> {
        let me = ctx.viewer().require(Access::Member)?;
        let db = &ctx.state()?.db;
        match service::membership(db, me.id).await? {
            Some(membership) => Ok(Some(Organisation(
                policy::visible(db, membership.organisation_id, me).await?,
            ))),
            None => Ok(None),
        }
    }
}

#[derive(Default)]
pub struct OrganisationMutation;

#[Object]
impl OrganisationMutation {
    /// Staff; or a partner belonging to no organisation, which becomes its MANAGER.
    async fn create_organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation; the caller becomes its manager.")]
        input: CreateOrganisationInput,
    ) -> ApiResult<Organisation> {
        let me = ctx.viewer().require(Access::Member)?;
        let state = ctx.state()?;
        let draft = OrganisationDraft {
            name: input.name,
            sector: input.sector.into(),
            commune: input.commune,
            website: input.website,
        };
        Ok(Organisation(
            service::create(&state.db, draft, me, state.now()).await?,
        ))
    }

    /// Staff, or a MANAGER of the organisation. Staff put a person in it at once; a MANAGER
    /// invites, and the person becomes a member only when it accepts
    /// (`answerOrganisationInvitation`); either may change a member's role. A person belongs
    /// to at most one organisation (CONFLICT), staff accounts to none (BAD_USER_INPUT); an
    /// organisation with members keeps a manager (CONFLICT). The person is told by mail.
    async fn add_organisation_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation.")] organisation_id: ID,
        #[graphql(desc = "The account invited (it joins once it accepts).")] user_id: ID,
        #[graphql(desc = "The role it will hold.")] role: OrganisationRole,
    ) -> ApiResult<Organisation> {
        let me = ctx.viewer().require(Access::Member)?;
        let state = ctx.state()?;
        Ok(Organisation(
            membership::set_member(
                &state.db,
                &state.mailer,
                parse_id("organisationId", &organisation_id)?,
                parse_id("userId", &user_id)?,
                role.into(),
                me,
                state.now(),
            )
            .await?,
        ))
    }

    /// Staff only: the partners who gave this organisation's name when they signed up, and
    /// belong to none, are invited to be its MEMBERs (the path for people registered before
    /// organisations existed); each joins when it accepts, as a typed name proves nothing.
    async fn adopt_organisation_members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation whose sign-up names are matched.")] organisation_id: ID,
    ) -> ApiResult<Organisation> {
        let viewer = ctx.viewer();
        let staff = viewer.staff()?;
        let state = ctx.state()?;
        let id = parse_id("organisationId", &organisation_id)?;
        membership::adopt_by_name(&state.db, &state.mailer, id, staff, state.now()).await?;
        Ok(Organisation(
            policy::visible(&state.db, id, staff.person()).await?,
        ))
    }

    /// Accepts (the caller joins with the invited role; CONFLICT when it belongs to an
    /// organisation already) or declines (the invitation is forgotten) an invitation to join.
    /// Another person's invitation: NOT_FOUND. Returns the organisation joined, or null.
    async fn answer_organisation_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invitation to join.")] id: ID,
        #[graphql(desc = "Whether the caller joins.")] accept: bool,
    ) -> ApiResult<Option<Organisation>> {
        let me = ctx.viewer().require(Access::Member)?;
        let state = ctx.state()?;
        let joined =
            membership::answer_invitation(&state.db, parse_id("id", &id)?, accept, me, state.now())
                .await?;
        Ok(joined.map(Organisation))
    }

    /// The caller leaves its organisation: its managers no longer see it nor register it.
    /// CONFLICT when it belongs to none, or is the last manager while others remain.
    async fn leave_organisation(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let me = ctx.viewer().require(Access::Member)?;
        membership::leave(&ctx.state()?.db, me).await?;
        Ok(true)
    }

    /// A MANAGER registers a member of its organisation, under the usual seat, audience and
    /// waiting-list rules, for an activity both the member and the manager could join by
    /// themselves; anyone else: FORBIDDEN.
    async fn register_colleague(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The activity.")] activity_id: ID,
        #[graphql(desc = "The colleague, a member of the caller's organisation.")] user_id: ID,
    ) -> ApiResult<Registration> {
        let me = ctx.viewer().require(Access::Member)?;
        let state = ctx.state()?;
        Ok(Registration(
            service::register_colleague(
                &state.db,
                &state.mailer,
                parse_id("activityId", &activity_id)?,
                parse_id("userId", &user_id)?,
                me,
                state.now(),
            )
            .await?,
        ))
    }
}
