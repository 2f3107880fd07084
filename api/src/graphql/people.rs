use async_graphql::{Context, Enum, ID, Object};
use entity::user;

use crate::people::service::{self, UserFilter};
use crate::{
    error::{ApiError, ApiResult},
    graphql::connections::{Direction, Page, PageArgs, page_cost, paginate},
    graphql::context::ContextExt,
    graphql::inputs::parse_id,
    graphql::scalars::Timestamp,
    people::Access,
};

/// ADMIN and ANIMATOR are staff; PARTNER is a member of a local business or organisation;
/// TRAINER an external trainer.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "user::Role")]
pub enum Role {
    /// Staff who also manage roles and the office's settings.
    Admin,
    /// Staff who run the programme and the club.
    Animator,
    /// A partner of the network.
    Partner,
    /// A trainer from outside the office, invited by staff: it sees and does only what
    /// concerns the activities it is assigned to deliver (`assignTrainer`, `myTrainings`).
    Trainer,
}

/// The language of the mails a person receives.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::config::Locale")]
pub enum Locale {
    /// French.
    Fr,
    /// English.
    En,
}

pub struct User {
    model: user::Model,
    /// The person is the one asking (e.g. the account `logIn` just opened), though the request
    /// itself carried no token for it.
    is_caller: bool,
}

impl User {
    pub fn new(model: user::Model) -> Self {
        Self {
            model,
            is_caller: false,
        }
    }

    /// The account of the session being opened by this very request.
    pub fn caller(model: user::Model) -> Self {
        Self {
            model,
            is_caller: true,
        }
    }

    /// The trainers staff assigned to an activity, in the order they were assigned.
    pub async fn trainers_of(ctx: &Context<'_>, activity_id: i64) -> ApiResult<Vec<Self>> {
        let loaders = ctx.loaders()?;
        let assigned = loaders
            .trainers()
            .load_one(activity_id)
            .await?
            .unwrap_or_default();
        let ids: Vec<i64> = assigned.iter().map(|trainer| trainer.user_id).collect();
        let users = loaders.users_in_order(&ids).await?;
        Ok(users.into_iter().map(Self::new).collect())
    }
}

/// A person with an account: staff or partner.
#[Object]
impl User {
    /// The account's id.
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }

    /// Visible to the person and to staff only: null, with a FORBIDDEN error, for others.
    async fn email(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        if self.is_caller || ctx.viewer().is_self_or_staff(self.model.id) {
            Ok(Some(&self.model.email))
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// Whether the account proved it owns its address (the mailed link was opened). Shown to
    /// the account itself and to staff; FORBIDDEN for others.
    async fn email_verified(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        if self.is_caller || ctx.viewer().is_self_or_staff(self.model.id) {
            Ok(self.model.email_verified_at.is_some())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// The person's name.
    async fn name(&self) -> &str {
        &self.model.name
    }

    /// The business or association the person belongs to: the organisation it is a member
    /// of, or else the name it gave when it signed up.
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        let loaders = ctx.loaders()?;
        let membership = loaders.memberships().load_one(self.model.id).await?;
        match membership.and_then(|rows| rows.into_iter().next()) {
            Some(membership) => Ok(Some(
                loaders.organisation(membership.organisation_id).await?.name,
            )),
            None => Ok(self.model.organisation.clone()),
        }
    }

    /// The account's role.
    async fn role(&self) -> Role {
        self.model.role.into()
    }

    /// The language of the person's mails; null means the server's default.
    async fn locale(&self) -> Option<Locale> {
        self.model
            .locale
            .as_deref()
            .and_then(crate::config::Locale::parse)
            .map(Into::into)
    }

    /// Completed a training (or marked so by staff): opens the club and the partners' group.
    async fn trained(&self) -> bool {
        self.model.trained
    }

    /// When it was created.
    async fn created_at(&self) -> Timestamp {
        self.model.created_at.into()
    }

    /// The person's private calendar feed URL, if turned on (`resetCalendarFeed`). Visible to
    /// the person only.
    async fn calendar_feed_url(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        let is_self =
            self.is_caller || ctx.viewer().user().is_some_and(|me| me.id == self.model.id);
        if !is_self {
            return Ok(None);
        }
        let public_url = &ctx.state()?.config.public_url;
        Ok(self
            .model
            .calendar_secret
            .as_deref()
            .map(|secret| crate::people::calendar_feed_url(public_url, secret)))
    }
}

/// Parses a GraphQL `ID` naming a row.
#[derive(Default)]
pub struct PeopleQuery;

#[Object]
impl PeopleQuery {
    /// Staff only: the directory of people, oldest account first.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only accounts with this role.")] role: Option<Role>,
        #[graphql(desc = "Only partners who are (or are not) trained.")] trained: Option<bool>,
        #[graphql(validator(max_length = 200), desc = "Part of a name or address.")] search: Option<
            String,
        >,
        #[graphql(desc = "How many to return (20 by default, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The cursor after which the page starts (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> ApiResult<Page<i64, User>> {
        ctx.viewer().require(Access::Staff)?;
        let args = PageArgs::parse(first, after)?;
        let select = service::directory(UserFilter {
            role: role.map(Into::into),
            trained,
            search,
        });
        paginate(
            &ctx.state()?.db,
            select,
            user::Column::Id,
            Direction::Ascending,
            args,
            |user| user.id,
            User::new,
        )
        .await
    }
}

#[derive(Default)]
pub struct PeopleMutation;

#[Object]
impl PeopleMutation {
    /// Admin only: makes someone an admin, an animator or a partner. Takes effect on that
    /// person's very next request. The last admin cannot step down (CONFLICT).
    async fn set_user_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account whose role changes.")] user_id: ID,
        #[graphql(desc = "The new role.")] role: Role,
    ) -> ApiResult<User> {
        let me = ctx.viewer().admin()?;
        let state = ctx.state()?;
        let user_id = parse_id("userId", &user_id)?;
        let user = service::set_role(&state.db, user_id, role.into(), me, state.now()).await?;
        Ok(User::new(user))
    }

    /// The caller chooses the language of its mails.
    async fn set_my_locale(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The language of the caller's mails.")] locale: Locale,
    ) -> ApiResult<User> {
        let me = ctx.viewer().require(Access::Account)?;
        let locale: crate::config::Locale = locale.into();
        Ok(User::new(
            service::set_locale(&ctx.state()?.db, me.id, locale.code()).await?,
        ))
    }

    /// Staff only: marks a partner trained (e.g. trained elsewhere) or not.
    async fn set_trained(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The partner.")] user_id: ID,
        #[graphql(desc = "Whether the partner counts as trained.")] trained: bool,
    ) -> ApiResult<User> {
        let me = ctx.viewer().staff()?;
        let state = ctx.state()?;
        let user_id = parse_id("userId", &user_id)?;
        let user = service::set_trained(&state.db, user_id, trained, me, state.now()).await?;
        Ok(User::new(user))
    }
}
