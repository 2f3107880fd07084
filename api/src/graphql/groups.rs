use async_graphql::{Context, Enum, ID, Object, Subscription};
use entity::{group, post, thread};
use futures_util::Stream;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::groups::{moderation, notifications, service};
use crate::{
    auth::Credentials,
    error::{ApiError, ApiResult},
    graphql::connections::{Direction, Page, PageArgs, page_cost, paginate},
    graphql::inputs::parse_id,
    graphql::limits::SubscriptionSlots,
    graphql::people::User,
    graphql::scalars::Timestamp,
    ids::{GroupId, UserId},
    people::Access,
    {graphql::context::ContextExt, state::AppState},
};

/// Who belongs to a group.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "group::Audience")]
pub enum GroupAudience {
    /// Staff.
    Staff,
    /// Staff and trained partners.
    StaffAndTrainedPartners,
    /// Members added by hand.
    Custom,
}

/// What mail a member gets from a group.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::group_notification::Level")]
pub enum NotificationLevel {
    /// Each new thread and reply, shortly after.
    EveryPost,
    /// Each new thread, shortly after.
    NewThreads,
    /// One mail a day listing the day's new threads and replies; none when nothing happened.
    DailyDigest,
    /// No mail, not even replies to one's own threads.
    Muted,
}

pub struct Group(group::Model);

/// A closed discussion group.
#[Object]
impl Group {
    /// The group's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The group's name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Who belongs to it.
    async fn audience(&self) -> GroupAudience {
        self.0.audience.into()
    }
    /// How the group's activity reaches the caller by mail (DAILY_DIGEST unless it chose).
    async fn my_notification_level(&self, ctx: &Context<'_>) -> ApiResult<NotificationLevel> {
        let me = ctx.viewer().require(Access::Member)?;
        Ok(
            notifications::level_of(&ctx.state()?.db, GroupId(self.0.id), UserId(me.id))
                .await?
                .into(),
        )
    }
    /// How many belong to it.
    async fn member_count(&self, ctx: &Context<'_>) -> ApiResult<u64> {
        service::member_count(&ctx.state()?.db, &self.0).await
    }
    /// Open questions with no reply yet.
    async fn unanswered_count(&self, ctx: &Context<'_>) -> ApiResult<u64> {
        Ok(service::unanswered(
            thread::Entity::find().filter(thread::Column::GroupId.eq(self.0.id)),
        )
        .count(&ctx.state()?.db)
        .await?)
    }
    /// Newest first.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn threads(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only questions without an accepted answer.")] unanswered_only: Option<
            bool,
        >,
        #[graphql(desc = "How many to return (20 by default, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The cursor after which the page starts (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> ApiResult<Page<i64, Thread>> {
        let args = PageArgs::parse(first, after)?;
        paginate(
            &ctx.state()?.db,
            service::threads_of(self.0.id, unanswered_only.unwrap_or(false)),
            thread::Column::Id,
            Direction::Descending,
            args,
            |t| t.id,
            Thread,
        )
        .await
    }
}

pub struct Thread(thread::Model);

/// A conversation in a group.
#[Object]
impl Thread {
    /// The thread's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Its title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Whether it asks a question that awaits an accepted answer.
    async fn is_question(&self) -> bool {
        self.0.is_question
    }
    /// Locked threads take no new replies.
    async fn locked(&self) -> bool {
        self.0.locked
    }
    /// Replies after the opening post.
    async fn reply_count(&self) -> i32 {
        self.0.reply_count
    }
    /// When its last post was written.
    async fn last_post_at(&self) -> Timestamp {
        self.0.last_post_at.into()
    }
    /// When it was started.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at.into()
    }
    /// Seconds from the opening post to the first reply by someone else; null until then.
    async fn first_response_seconds(&self) -> Option<i64> {
        self.0
            .first_response_at
            .map(|at| (at - self.0.created_at).num_seconds())
    }
    /// Who started it.
    async fn author(&self, ctx: &Context<'_>) -> ApiResult<User> {
        Ok(User::new(ctx.loaders()?.user(self.0.author_id).await?))
    }
    /// Its group.
    async fn group(&self, ctx: &Context<'_>) -> ApiResult<Group> {
        Ok(Group(ctx.loaders()?.group(self.0.group_id).await?))
    }
    /// The reply its author accepted, if any.
    async fn accepted_answer(&self, ctx: &Context<'_>) -> ApiResult<Option<Post>> {
        match self.0.accepted_post_id {
            Some(id) => Ok(Some(Post(ctx.loaders()?.post(id).await?))),
            None => Ok(None),
        }
    }
    /// Oldest first; the first post opens the thread.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn posts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return (20 by default, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The cursor after which the page starts (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> ApiResult<Page<i64, Post>> {
        let args = PageArgs::parse(first, after)?;
        paginate(
            &ctx.state()?.db,
            post::Entity::find().filter(post::Column::ThreadId.eq(self.0.id)),
            post::Column::Id,
            Direction::Ascending,
            args,
            |p| p.id,
            Post,
        )
        .await
    }
}

pub struct Post(post::Model);

/// A message in a thread.
#[Object]
impl Post {
    /// The post's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The text; "(removed)" once moderation removed it.
    async fn body(&self) -> &str {
        if self.0.removed {
            "(removed)"
        } else {
            &self.0.body
        }
    }
    /// Whether it was removed (its text is then no longer shown).
    async fn removed(&self) -> bool {
        self.0.removed
    }
    /// When it was written.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at.into()
    }
    /// When it was last edited.
    async fn edited_at(&self) -> Option<Timestamp> {
        self.0.edited_at.map(Timestamp)
    }
    /// Who wrote it.
    async fn author(&self, ctx: &Context<'_>) -> ApiResult<User> {
        Ok(User::new(ctx.loaders()?.user(self.0.author_id).await?))
    }
    /// Its thread.
    async fn thread(&self, ctx: &Context<'_>) -> ApiResult<Thread> {
        Ok(Thread(ctx.loaders()?.thread(self.0.thread_id).await?))
    }
}

#[derive(Default)]
pub struct GroupQuery;

#[Object]
impl GroupQuery {
    /// The groups the caller belongs to.
    async fn groups(&self, ctx: &Context<'_>) -> ApiResult<Vec<Group>> {
        let me = ctx.viewer().require(Access::Member)?;
        let groups = service::visible_groups(&ctx.state()?.db, me).await?;
        Ok(groups.into_iter().map(Group).collect())
    }

    /// A group the caller belongs to; NOT_FOUND otherwise.
    async fn group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group.")] id: ID,
    ) -> ApiResult<Group> {
        let me = ctx.viewer().require(Access::Member)?;
        let id = parse_id("id", &id)?;
        Ok(Group(
            service::visible_group(&ctx.state()?.db, id, me).await?,
        ))
    }

    /// A thread of a group the caller belongs to; NOT_FOUND otherwise.
    async fn thread(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The thread.")] id: ID,
    ) -> ApiResult<Thread> {
        let me = ctx.viewer().require(Access::Member)?;
        let id = parse_id("id", &id)?;
        Ok(Thread(
            service::visible_thread(&ctx.state()?.db, id, me).await?,
        ))
    }

    /// Staff only: questions waiting longer than the answer target (counted in opening hours)
    /// without a reply from someone else, oldest first.
    async fn overdue_questions(&self, ctx: &Context<'_>) -> ApiResult<Vec<Thread>> {
        ctx.viewer().require(Access::Staff)?;
        let state = ctx.state()?;
        let config = &state.config;
        let overdue = moderation::overdue_questions(
            &state.db,
            config.opening_hours,
            config.answer_target,
            config.timezone,
            state.now(),
        )
        .await?;
        Ok(overdue.into_iter().map(Thread).collect())
    }
}

#[derive(Default)]
pub struct GroupMutation;

#[Object]
impl GroupMutation {
    /// Staff only: a new group; a CUSTOM one starts with its creator as member.
    async fn create_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group's name.")] name: String,
        #[graphql(desc = "Who belongs to it.")] audience: GroupAudience,
    ) -> ApiResult<Group> {
        let me = ctx.viewer().staff()?;
        let state = ctx.state()?;
        Ok(Group(
            service::create_group(&state.db, name, audience.into(), me, state.now()).await?,
        ))
    }

    /// Staff only: adds someone to a CUSTOM group.
    async fn add_group_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A group whose audience is CUSTOM.")] group_id: ID,
        #[graphql(desc = "The account added.")] user_id: ID,
    ) -> ApiResult<Group> {
        ctx.viewer().require(Access::Staff)?;
        let group = GroupId(parse_id("groupId", &group_id)?);
        let person = UserId(parse_id("userId", &user_id)?);
        Ok(Group(
            service::add_member(&ctx.state()?.db, group, person).await?,
        ))
    }

    /// Members: opens a thread with its first post; `isQuestion` awaits an accepted answer.
    async fn start_thread(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group.")] group_id: ID,
        #[graphql(desc = "The thread's title (one line).")] title: String,
        #[graphql(desc = "The first post (a paragraph).")] body: String,
        #[graphql(desc = "Whether it asks a question that awaits an accepted answer.")]
        is_question: Option<bool>,
    ) -> ApiResult<Thread> {
        let me = ctx.viewer().require(Access::Member)?;
        let group_id = parse_id("groupId", &group_id)?;
        let thread = service::start_thread(
            ctx.state()?,
            group_id,
            me,
            title,
            body,
            is_question.unwrap_or(false),
        )
        .await?;
        Ok(Thread(thread))
    }

    /// Members: replies in a thread (CONFLICT when it is locked).
    async fn reply(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The thread replied to.")] thread_id: ID,
        #[graphql(desc = "The reply (a paragraph).")] body: String,
    ) -> ApiResult<Post> {
        let me = ctx.viewer().require(Access::Member)?;
        let thread_id = parse_id("threadId", &thread_id)?;
        Ok(Post(
            service::reply(ctx.state()?, thread_id, me, body).await?,
        ))
    }

    /// A member chooses how the group's activity reaches it by mail. At any level but MUTED,
    /// a reply in a thread it started and an answer accepted on its question come at once.
    async fn set_group_notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group.")] group_id: ID,
        #[graphql(desc = "What mail the caller gets from it.")] level: NotificationLevel,
    ) -> ApiResult<Group> {
        let me = ctx.viewer().require(Access::Member)?;
        let group_id = parse_id("groupId", &group_id)?;
        Ok(Group(
            notifications::set_level(&ctx.state()?.db, group_id, me, level.into()).await?,
        ))
    }

    /// The question's author or staff: accepts a reply as the answer.
    async fn accept_answer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reply accepted as the answer to the caller's question.")] post_id: ID,
    ) -> ApiResult<Thread> {
        let me = ctx.viewer().require(Access::Member)?;
        let post_id = parse_id("postId", &post_id)?;
        Ok(Thread(
            service::accept_answer(ctx.state()?, post_id, me).await?,
        ))
    }
}

#[derive(Default)]
pub struct ModerationMutation;

#[Object]
impl ModerationMutation {
    /// Staff only: replaces a post's text (it shows as edited).
    async fn edit_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The caller's post (staff: any).")] post_id: ID,
        #[graphql(desc = "The new text (a paragraph).")] body: String,
    ) -> ApiResult<Post> {
        let me = ctx.viewer().staff()?;
        let state = ctx.state()?;
        let post_id = parse_id("postId", &post_id)?;
        let post = moderation::edit_post(&state.db, post_id, body, me, state.now()).await?;
        Ok(Post(post))
    }

    /// Staff only: removes a post; it stays in place as "(removed)".
    async fn remove_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post removed (its text is no longer shown).")] post_id: ID,
    ) -> ApiResult<Post> {
        let me = ctx.viewer().staff()?;
        let state = ctx.state()?;
        let post_id = parse_id("postId", &post_id)?;
        let post = moderation::remove_post(&state.db, post_id, me, state.now()).await?;
        Ok(Post(post))
    }

    /// Staff only: locks (or unlocks) a thread against new replies.
    async fn lock_thread(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The thread.")] thread_id: ID,
        #[graphql(desc = "Whether replies are refused.")] locked: Option<bool>,
    ) -> ApiResult<Thread> {
        let me = ctx.viewer().staff()?;
        let state = ctx.state()?;
        let thread_id = parse_id("threadId", &thread_id)?;
        let locked = locked.unwrap_or(true);
        let thread = moderation::set_locked(&state.db, thread_id, locked, me, state.now()).await?;
        Ok(Thread(thread))
    }
}

#[derive(Default)]
pub struct GroupSubscription;

#[Subscription]
impl GroupSubscription {
    /// New posts in a group the caller belongs to, as they are written. The stream ends
    /// when the caller loses access (left the group, role changed, session revoked, account
    /// deleted): access is checked again before each post is sent. At most 10 subscriptions
    /// per connection (TOO_MANY_REQUESTS beyond).
    async fn post_added(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group whose new posts are pushed (its members only).")] group_id: ID,
    ) -> Result<impl Stream<Item = Post> + use<>, ApiError> {
        let me = ctx.viewer().require(Access::Member)?;
        let state = ctx.state()?.clone();
        let group_id = parse_id("groupId", &group_id)?;
        service::visible_group(&state.db, group_id, me).await?;
        let credentials = ctx
            .data_opt::<Credentials>()
            .cloned()
            .ok_or(ApiError::Unauthenticated)?;
        let slot = ctx
            .data_opt::<SubscriptionSlots>()
            .map(SubscriptionSlots::take)
            .transpose()?;
        let receiver = state.posts.subscribe();
        Ok(futures_util::stream::unfold(
            (receiver, slot),
            move |(mut receiver, slot)| {
                let (state, credentials) = (state.clone(), credentials.clone());
                async move {
                    loop {
                        match receiver.recv().await {
                            Ok(added) if added.group_id == group_id => {
                                if !still_member(&state, &credentials, group_id).await {
                                    return None;
                                }
                                return Some((Post(added.post), (receiver, slot)));
                            }
                            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                                continue;
                            }
                            Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                        }
                    }
                }
            },
        ))
    }
}

/// Whether the credentials still name an account that belongs to the group (a failure to
/// tell counts as no: the stream ends and the client can subscribe again).
async fn still_member(state: &AppState, credentials: &Credentials, group_id: i64) -> bool {
    let Ok(viewer) = credentials.viewer(state).await else {
        return false;
    };
    match viewer.user() {
        Some(me) => service::visible_group(&state.db, group_id, me)
            .await
            .is_ok(),
        None => false,
    }
}
