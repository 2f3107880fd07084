use async_graphql::{Context, Enum, ID, InputObject, Object};
use entity::{organisation, organisation_member, registration};

use super::service::{self, OrganisationDraft};
use crate::{
    activities::Registration,
    error::ApiResult,
    pagination::{Direction, Page, PageArgs, page_cost, paginate},
    people::{Access, User},
    state::ContextExt,
    validation::parse_id,
};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "organisation::Sector")]
pub enum Sector {
    Accommodation,
    Food,
    Producer,
    Shop,
    Leisure,
    Association,
    Institution,
    Other,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "organisation_member::Role")]
pub enum OrganisationRole {
    /// Adds members and registers colleagues.
    Manager,
    Member,
}

#[derive(InputObject)]
pub struct CreateOrganisationInput {
    pub name: String,
    pub sector: Sector,
    pub commune: Option<String>,
    /// https://… or http://…
    pub website: Option<String>,
}

/// A partner business and its people.
pub struct Organisation(organisation::Model);

/// A person's place in an organisation.
pub struct OrganisationMember(organisation_member::Model);

#[Object]
impl OrganisationMember {
    async fn role(&self) -> OrganisationRole {
        self.0.role.into()
    }
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
}

#[Object]
impl Organisation {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn sector(&self) -> Sector {
        self.0.sector.into()
    }
    async fn commune(&self) -> Option<&str> {
        self.0.commune.as_deref()
    }
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }
    /// Members who completed a training.
    async fn trained_count(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        let members = self.member_rows(ctx).await?;
        let people = ctx
            .loaders()?
            .users()
            .load_many(members.iter().map(|m| m.user_id))
            .await?;
        let trained = people.values().flatten().filter(|p| p.trained).count();
        Ok(i32::try_from(trained).unwrap_or(i32::MAX))
    }
    /// In the order they joined.
    async fn members(&self, ctx: &Context<'_>) -> ApiResult<Vec<OrganisationMember>> {
        Ok(self
            .member_rows(ctx)
            .await?
            .into_iter()
            .map(OrganisationMember)
            .collect())
    }
    /// The members' registrations, newest first.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn registrations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<i64, Registration>> {
        let args = PageArgs::parse(first, after)?;
        paginate(
            &ctx.state()?.db,
            service::registrations_of(self.0.id),
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
    async fn organisation(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Organisation> {
        let me = ctx.viewer().require(Access::Member)?;
        Ok(Organisation(
            service::visible(&ctx.state()?.db, parse_id("id", &id)?, me).await?,
        ))
    }

    /// Staff only: every organisation, by name.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        sector: Option<Sector>,
        first: Option<i32>,
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

    /// The caller's organisation, if it belongs to one.
    async fn my_organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<Organisation>> {
        let me = ctx.viewer().require(Access::Member)?;
        let db = &ctx.state()?.db;
        match service::membership(db, me.id).await? {
            Some(membership) => Ok(Some(Organisation(
                service::visible(db, membership.organisation_id, me).await?,
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

    /// Staff, or a MANAGER of the organisation: puts a person in it (or changes its role).
    /// A person belongs to at most one organisation (CONFLICT); it is told by mail.
    async fn add_organisation_member(
        &self,
        ctx: &Context<'_>,
        organisation_id: ID,
        user_id: ID,
        role: OrganisationRole,
    ) -> ApiResult<Organisation> {
        let me = ctx.viewer().require(Access::Member)?;
        let state = ctx.state()?;
        Ok(Organisation(
            service::set_member(
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
    /// belong to none, become its MEMBERs (the path for people registered before
    /// organisations existed).
    async fn adopt_organisation_members(
        &self,
        ctx: &Context<'_>,
        organisation_id: ID,
    ) -> ApiResult<Organisation> {
        let viewer = ctx.viewer();
        let staff = viewer.staff()?;
        let state = ctx.state()?;
        let id = parse_id("organisationId", &organisation_id)?;
        service::adopt_by_name(&state.db, id, staff, state.now()).await?;
        Ok(Organisation(
            service::visible(&state.db, id, staff.person()).await?,
        ))
    }

    /// A MANAGER registers a member of its organisation, under the usual seat, audience and
    /// waiting-list rules; anyone else: FORBIDDEN.
    async fn register_colleague(
        &self,
        ctx: &Context<'_>,
        activity_id: ID,
        user_id: ID,
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
