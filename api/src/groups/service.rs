//! The rules of the groups. Membership of the two standing groups follows the role and the
//! `trained` flag at every request; CUSTOM groups have members added by hand. Staff belong to
//! every group (they moderate). Outsiders get NOT_FOUND, never FORBIDDEN.

use chrono::{DateTime, Utc};
use entity::{
    group::{self, Audience},
    group_member, post, thread,
    user::{self},
};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, ExprTrait,
    PaginatorTrait, QueryFilter, Select, Statement,
    sea_query::{Expr, OnConflict},
};

use super::policy::{is_member, may_accept_answer};
use crate::{
    db::{self, begin_write},
    error::{ApiError, ApiResult},
    ids::{GroupId, UserId},
    people::{Staff, policy::staff_accounts},
    state::AppState,
    validation::{required_paragraph, required_text},
};

pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_BODY_CHARS: usize = 20_000;

/// A post just written, for live subscribers.
#[derive(Clone, Debug)]
pub struct PostAdded {
    pub group_id: i64,
    pub post: post::Model,
}

/// The group, if `person` belongs to it; NOT_FOUND otherwise, as if it did not exist.
pub async fn visible_group(
    db: &impl ConnectionTrait,
    id: i64,
    person: &user::Model,
) -> ApiResult<group::Model> {
    let group = group::Entity::find_by_id(id).one(db).await?;
    match group {
        Some(group) if is_member(db, &group, person).await? => Ok(group),
        _ => Err(ApiError::NotFound("group")),
    }
}

pub async fn visible_groups(
    db: &impl ConnectionTrait,
    person: &user::Model,
) -> ApiResult<Vec<group::Model>> {
    let mut visible = Vec::new();
    for group in group::Entity::find().all(db).await? {
        if is_member(db, &group, person).await? {
            visible.push(group);
        }
    }
    Ok(visible)
}

/// The people a group's mail goes to and its `memberCount` counts: its audience, or for a
/// CUSTOM group the members added by hand (staff moderate every group without being counted).
pub fn members_of(group: &group::Model) -> Select<user::Entity> {
    let staff = staff_accounts();
    user::Entity::find().filter(match group.audience {
        Audience::Staff => sea_orm::Condition::all().add(staff),
        Audience::StaffAndTrainedPartners => sea_orm::Condition::any()
            .add(staff)
            .add(user::Column::Trained.eq(true)),
        Audience::Custom => sea_orm::Condition::all().add(
            user::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(group_member::Column::UserId)
                    .from(group_member::Entity)
                    .and_where(group_member::Column::GroupId.eq(group.id))
                    .to_owned(),
            ),
        ),
    })
}

pub async fn member_count(db: &impl ConnectionTrait, group: &group::Model) -> ApiResult<u64> {
    Ok(members_of(group).count(db).await?)
}

/// Open questions nobody has replied to yet.
pub fn unanswered(select: Select<thread::Entity>) -> Select<thread::Entity> {
    select
        .filter(thread::Column::IsQuestion.eq(true))
        .filter(thread::Column::ReplyCount.eq(0))
        .filter(thread::Column::AcceptedPostId.is_null())
}

pub fn threads_of(group_id: i64, unanswered_only: bool) -> Select<thread::Entity> {
    let select = thread::Entity::find().filter(thread::Column::GroupId.eq(group_id));
    if unanswered_only {
        unanswered(select)
    } else {
        select
    }
}

pub async fn create_group(
    db: &DatabaseConnection,
    name: String,
    audience: Audience,
    creator: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<group::Model> {
    let name = required_text("name", name, 200)?;
    let group = group::ActiveModel {
        name: Set(name),
        audience: Set(audience),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    if audience == Audience::Custom {
        add_member(db, GroupId(group.id), UserId(creator.person().id)).await?;
    }
    Ok(group)
}

pub async fn add_member(
    db: &DatabaseConnection,
    group: GroupId,
    person: UserId,
) -> ApiResult<group::Model> {
    let group = db::get::<group::Entity>(db, group.0, "group").await?;
    if group.audience != Audience::Custom {
        return Err(ApiError::conflict(
            "members follow the audience of this group",
        ));
    }
    crate::people::service::get(db, person.0).await?;
    group_member::Entity::insert(group_member::ActiveModel {
        group_id: Set(group.id),
        user_id: Set(person.0),
    })
    .on_conflict(
        OnConflict::columns([group_member::Column::GroupId, group_member::Column::UserId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(group)
}

/// A thread whose group `person` belongs to; NOT_FOUND otherwise.
pub async fn visible_thread(
    db: &impl ConnectionTrait,
    id: i64,
    person: &user::Model,
) -> ApiResult<thread::Model> {
    let thread = db::get::<thread::Entity>(db, id, "thread").await?;
    visible_group(db, thread.group_id, person)
        .await
        .map_err(|_| ApiError::NotFound("thread"))?;
    Ok(thread)
}

async fn write_post(
    db: &impl ConnectionTrait,
    thread_id: i64,
    author: &user::Model,
    body: String,
    now: DateTime<Utc>,
) -> ApiResult<post::Model> {
    Ok(post::ActiveModel {
        thread_id: Set(thread_id),
        author_id: Set(author.id),
        body: Set(body),
        removed: Set(false),
        created_at: Set(now),
        edited_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The PostgreSQL channel that carries new posts between instances.
pub const POSTS_CHANNEL: &str = "klub_posts";

/// Tells subscribers about a committed post. On PostgreSQL through NOTIFY, so subscribers of
/// every instance hear it (this instance included, by its own listener); on SQLite, a single
/// process, through the in-process channel.
async fn announce(state: &AppState, group_id: i64, post: &post::Model) -> ApiResult<()> {
    if state.db.get_database_backend() == DbBackend::Postgres {
        state
            .db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [
                    POSTS_CHANNEL.into(),
                    format!("{group_id}:{}", post.id).into(),
                ],
            ))
            .await?;
    } else {
        // Nobody listening is not an error.
        let _ = state.posts.send(PostAdded {
            group_id,
            post: post.clone(),
        });
    }
    Ok(())
}

/// On PostgreSQL: relays every instance's new posts to this instance's subscribers.
pub async fn spawn_post_listener(state: AppState) {
    if state.db.get_database_backend() == DbBackend::Postgres {
        let url = state.config.database_url.clone();
        db::listen(url, POSTS_CHANNEL, PostListener(state)).await;
    }
}

struct PostListener(AppState);

impl db::Listener for PostListener {
    async fn heard(&self, payload: &str) {
        let Some((group_id, post_id)) = payload
            .split_once(':')
            .and_then(|(g, p)| Some((g.parse::<i64>().ok()?, p.parse::<i64>().ok()?)))
        else {
            return;
        };
        match post::Entity::find_by_id(post_id).one(&self.0.db).await {
            Ok(Some(post)) => {
                let _ = self.0.posts.send(PostAdded { group_id, post });
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, post_id, "a new post could not be read"),
        }
    }
}

pub async fn start_thread(
    state: &AppState,
    group_id: i64,
    author: &user::Model,
    title: String,
    body: String,
    is_question: bool,
) -> ApiResult<thread::Model> {
    let group = visible_group(&state.db, group_id, author).await?;
    let title = required_text("title", title, MAX_TITLE_CHARS)?;
    let body = required_paragraph("body", body, MAX_BODY_CHARS)?;
    let now = state.now();
    let tx = begin_write(&state.db).await?;
    let thread = thread::ActiveModel {
        group_id: Set(group.id),
        author_id: Set(author.id),
        title: Set(title),
        is_question: Set(is_question),
        locked: Set(false),
        accepted_post_id: Set(None),
        reply_count: Set(0),
        first_response_at: Set(None),
        last_post_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let post = write_post(&tx, thread.id, author, body, now).await?;
    tx.commit().await?;
    announce(state, group.id, &post).await?;
    Ok(thread)
}

pub async fn reply(
    state: &AppState,
    thread_id: i64,
    author: &user::Model,
    body: String,
) -> ApiResult<post::Model> {
    let thread = visible_thread(&state.db, thread_id, author).await?;
    if thread.locked {
        return Err(ApiError::conflict("this thread is locked"));
    }
    let body = required_paragraph("body", body, MAX_BODY_CHARS)?;
    let now = state.now();
    let tx = begin_write(&state.db).await?;
    let post = write_post(&tx, thread.id, author, body, now).await?;
    thread::Entity::update_many()
        .col_expr(
            thread::Column::ReplyCount,
            Expr::col(thread::Column::ReplyCount).add(1),
        )
        .col_expr(thread::Column::LastPostAt, Expr::value(now))
        .filter(thread::Column::Id.eq(thread.id))
        .exec(&tx)
        .await?;
    if author.id != thread.author_id {
        // Only the first such reply sets it, even when two race.
        let config = &state.config;
        let open = config
            .opening_hours
            .open_time_between(thread.created_at, now, config.timezone);
        thread::Entity::update_many()
            .col_expr(thread::Column::FirstResponseAt, Expr::value(now))
            .col_expr(
                thread::Column::FirstResponseSeconds,
                Expr::value((now - thread.created_at).num_seconds()),
            )
            .col_expr(
                thread::Column::FirstResponseOpenSeconds,
                Expr::value(open.num_seconds()),
            )
            .filter(thread::Column::Id.eq(thread.id))
            .filter(thread::Column::FirstResponseAt.is_null())
            .exec(&tx)
            .await?;
    }
    tx.commit().await?;
    announce(state, thread.group_id, &post).await?;
    Ok(post)
}

/// The question's author or staff accepts a reply as the answer; the author hears of it.
pub async fn accept_answer(
    state: &AppState,
    post_id: i64,
    person: &user::Model,
) -> ApiResult<thread::Model> {
    let db = &state.db;
    let post = db::get::<post::Entity>(db, post_id, "post").await?;
    let thread = visible_thread(db, post.thread_id, person)
        .await
        .map_err(|_| ApiError::NotFound("post"))?;
    if !thread.is_question {
        return Err(ApiError::conflict("only a question has an accepted answer"));
    }
    if !may_accept_answer(person, &thread) {
        return Err(ApiError::Forbidden);
    }
    let already = thread.accepted_post_id == Some(post.id);
    let tx = begin_write(db).await?;
    let mut active: thread::ActiveModel = thread.into();
    active.accepted_post_id = Set(Some(post.id));
    let thread = active.update(&tx).await?;
    if !already {
        super::notifications::answer_accepted(state, &tx, &thread, person, state.now()).await?;
    }
    tx.commit().await?;
    Ok(thread)
}
