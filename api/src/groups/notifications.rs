//! How a group's activity reaches its members by mail. Each member picks a level per group
//! (no choice: the daily digest). At any level but MUTED, a reply in a thread one started and
//! an answer accepted on one's question come at once. Nobody hears of their own posts, nobody
//! outside the group hears anything, and no post is mailed twice to anyone:
//! - a post's immediate mails are written by the scheduler job that claims the post
//!   (`posts.notified_at`, one conditional UPDATE) in the transaction that writes them;
//! - a group's digest of a local day is claimed by inserting its `group_digests` row;
//!   the digest leaves out what came at once (replies in one's own threads).
//!
//! Every such mail carries a one-click unsubscribe link (RFC 8058) that mutes that group for
//! that member: the link is signed with the server's secret for one member and one group.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use entity::{
    group, group_digest,
    group_notification::{self, Level},
    post, thread, user,
};
use minijinja::context;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, OnConflict},
};

use super::service::{members_of, visible_group};
use crate::{
    db::{self, begin_write},
    error::ApiResult,
    ids::{GroupId, UserId},
    mail::{Letter, Recipient},
    state::AppState,
};

/// Posts handled per pass of the job.
const BATCH: u64 = 200;

pub async fn level_of(
    db: &impl ConnectionTrait,
    group: GroupId,
    person: UserId,
) -> ApiResult<Level> {
    Ok(group_notification::Entity::find_by_id((group.0, person.0))
        .one(db)
        .await?
        .map(|setting| setting.level)
        .unwrap_or_default())
}

/// Sets how `person` hears about the group; NOT_FOUND outside it.
pub async fn set_level(
    db: &impl ConnectionTrait,
    group_id: i64,
    person: &user::Model,
    level: Level,
) -> ApiResult<group::Model> {
    let group = visible_group(db, group_id, person).await?;
    store_level(db, GroupId(group.id), UserId(person.id), level).await?;
    Ok(group)
}

async fn store_level(
    db: &impl ConnectionTrait,
    group: GroupId,
    person: UserId,
    level: Level,
) -> ApiResult<()> {
    group_notification::Entity::insert(group_notification::ActiveModel {
        group_id: sea_orm::ActiveValue::Set(group.0),
        user_id: sea_orm::ActiveValue::Set(person.0),
        level: sea_orm::ActiveValue::Set(level),
    })
    .on_conflict(
        OnConflict::columns([
            group_notification::Column::GroupId,
            group_notification::Column::UserId,
        ])
        .update_column(group_notification::Column::Level)
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The members who hear from the group, each with their level (MUTED ones left out).
async fn listeners(
    db: &impl ConnectionTrait,
    group: &group::Model,
) -> ApiResult<Vec<(user::Model, Level)>> {
    let levels: HashMap<i64, Level> = group_notification::Entity::find()
        .filter(group_notification::Column::GroupId.eq(group.id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.user_id, s.level))
        .collect();
    Ok(members_of(group)
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|member| {
            let level = levels.get(&member.id).copied().unwrap_or_default();
            (member, level)
        })
        .filter(|(_, level)| *level != Level::Muted)
        .collect())
}

/// The message an unsubscribe link signs.
fn unsubscribe_message(group: GroupId, person: UserId) -> String {
    format!("unsubscribe:{}:{}", person.0, group.0)
}

/// The token of `person`'s unsubscribe link for `group`: `<person>-<group>-<signature>`.
fn unsubscribe_token(state: &AppState, group: GroupId, person: UserId) -> String {
    let signature = state.tokens.sign_link(&unsubscribe_message(group, person));
    format!("{}-{}-{signature}", person.0, group.0)
}

/// The member and group an unsubscribe token names, if the server signed it.
fn read_unsubscribe_token(state: &AppState, token: &str) -> Option<(UserId, GroupId)> {
    let mut parts = token.splitn(3, '-');
    let person = UserId(parts.next()?.parse().ok()?);
    let group = GroupId(parts.next()?.parse().ok()?);
    let signature = parts.next()?;
    state
        .tokens
        .verify_link(&unsubscribe_message(group, person), signature)
        .then_some((person, group))
}

/// Mails `kind` about `group` to `member`, with the group's one-click unsubscribe link.
async fn send(
    state: &AppState,
    db: &impl ConnectionTrait,
    kind: &'static str,
    group: &group::Model,
    member: &user::Model,
    values: minijinja::Value,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let unsubscribe = state.mailer.secret_link("/unsubscribe/");
    let values = context! {
        name => &member.name,
        group => &group.name,
        unsubscribe => &unsubscribe,
        ..values
    };
    let letter = Letter::new(kind, Recipient::address_of(member), values)
        .with_secret(unsubscribe_token(
            state,
            GroupId(group.id),
            UserId(member.id),
        ))
        .with_unsubscribe(unsubscribe);
    state.mailer.send(db, letter, now).await
}

fn thread_link(state: &AppState, thread: &thread::Model) -> String {
    format!("{}/threads/{}", state.config.public_url, thread.id)
}

/// The scheduler's job: the immediate mails of every new post, each post claimed by one
/// instance.
pub async fn notify_new_posts(state: &AppState) -> ApiResult<usize> {
    let now = state.now();
    let waiting = post::Entity::find()
        .filter(post::Column::NotifiedAt.is_null())
        .order_by_asc(post::Column::Id)
        .limit(BATCH)
        .all(&state.db)
        .await?;
    let mut mailed = 0;
    for post in waiting {
        let tx = begin_write(&state.db).await?;
        let claimed = post::Entity::update_many()
            .col_expr(post::Column::NotifiedAt, Expr::value(now))
            .filter(post::Column::Id.eq(post.id))
            .filter(post::Column::NotifiedAt.is_null())
            .exec(&tx)
            .await?;
        if claimed.rows_affected == 1 && !post.removed {
            mailed += notify_post(state, &tx, &post, now).await?;
        }
        tx.commit().await?;
    }
    Ok(mailed)
}

async fn notify_post(
    state: &AppState,
    db: &impl ConnectionTrait,
    post: &post::Model,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let thread = db::get::<thread::Entity>(db, post.thread_id, "thread").await?;
    let group = db::get::<group::Entity>(db, thread.group_id, "group").await?;
    let opening = post::Entity::find()
        .filter(post::Column::ThreadId.eq(thread.id))
        .order_by_asc(post::Column::Id)
        .one(db)
        .await?
        .is_some_and(|first| first.id == post.id);
    let author = db::get::<user::Entity>(db, post.author_id, "user").await?;
    let mut mailed = 0;
    for (member, level) in listeners(db, &group).await? {
        if member.id == post.author_id {
            continue;
        }
        let reply_to_you = !opening && member.id == thread.author_id;
        let wanted = match level {
            Level::EveryPost => true,
            Level::NewThreads => opening,
            Level::DailyDigest | Level::Muted => false,
        };
        if !(reply_to_you || wanted) {
            continue;
        }
        let kind = if reply_to_you {
            "group_reply"
        } else {
            "group_post"
        };
        let values = context! {
            title => &thread.title,
            author => &author.name,
            body => &post.body,
            opening => opening,
            link => thread_link(state, &thread),
        };
        send(state, db, kind, &group, &member, values, now).await?;
        mailed += 1;
    }
    Ok(mailed)
}

/// Tells the question's author, at once, that an answer was accepted, unless they accepted it
/// themselves, muted the group or left it. Called in the transaction that accepts.
pub async fn answer_accepted(
    state: &AppState,
    db: &impl ConnectionTrait,
    question: &thread::Model,
    by: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if question.author_id == by.id {
        return Ok(());
    }
    let group = db::get::<group::Entity>(db, question.group_id, "group").await?;
    let Some((author, _)) = listeners(db, &group)
        .await?
        .into_iter()
        .find(|(member, _)| member.id == question.author_id)
    else {
        return Ok(());
    };
    let values = context! {
        title => &question.title,
        by => &by.name,
        link => thread_link(state, question),
    };
    send(
        state,
        db,
        "group_answer_accepted",
        &group,
        &author,
        values,
        now,
    )
    .await
}

/// The office's local day before the one `now` falls in, and that day's bounds in UTC.
fn yesterday(state: &AppState, now: DateTime<Utc>) -> (NaiveDate, DateTime<Utc>, DateTime<Utc>) {
    let tz = state.config.timezone;
    let today = now.with_timezone(&tz).date_naive();
    let day = today - Duration::days(1);
    let start_of = |date: NaiveDate| {
        tz.from_local_datetime(&date.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map_or(now, |at| at.with_timezone(&Utc))
    };
    (day, start_of(day), start_of(today))
}

/// The scheduler's job: after each local midnight, every group's digest of the day before,
/// to the members who chose it; none when nothing was posted. Once per group and day, however
/// many instances run it.
pub async fn send_digests(state: &AppState) -> ApiResult<usize> {
    let now = state.now();
    let (day, from, to) = yesterday(state, now);
    let day = day.format("%Y-%m-%d").to_string();
    let done: Vec<i64> = group_digest::Entity::find()
        .filter(group_digest::Column::Day.eq(&day))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|d| d.group_id)
        .collect();
    let mut mailed = 0;
    for group in group::Entity::find()
        .filter(group::Column::Id.is_not_in(done))
        .all(&state.db)
        .await?
    {
        let tx = begin_write(&state.db).await?;
        let claimed = group_digest::Entity::insert(group_digest::ActiveModel {
            group_id: sea_orm::ActiveValue::Set(group.id),
            day: sea_orm::ActiveValue::Set(day.clone()),
            sent_at: sea_orm::ActiveValue::Set(now),
        })
        .on_conflict(
            OnConflict::columns([group_digest::Column::GroupId, group_digest::Column::Day])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&tx)
        .await?;
        if claimed == 1 {
            mailed += send_digest(state, &tx, &group, from, to, now).await?;
        }
        tx.commit().await?;
    }
    Ok(mailed)
}

async fn send_digest(
    state: &AppState,
    db: &impl ConnectionTrait,
    group: &group::Model,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let threads: HashMap<i64, thread::Model> = thread::Entity::find()
        .filter(thread::Column::GroupId.eq(group.id))
        .filter(thread::Column::LastPostAt.gte(from))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    if threads.is_empty() {
        return Ok(0);
    }
    let posts = post::Entity::find()
        .filter(post::Column::ThreadId.is_in(threads.keys().copied()))
        .filter(post::Column::CreatedAt.gte(from))
        .filter(post::Column::CreatedAt.lt(to))
        .filter(post::Column::Removed.eq(false))
        .order_by_asc(post::Column::Id)
        .all(db)
        .await?;
    if posts.is_empty() {
        return Ok(0);
    }
    let news = DayNews::new(state, &threads, &posts);
    let mut mailed = 0;
    for (member, level) in listeners(db, group).await? {
        if level != Level::DailyDigest {
            continue;
        }
        let (items, more) = news.digest_of(member.id);
        if items.is_empty() {
            continue;
        }
        let lines: Vec<minijinja::Value> = items
            .iter()
            .map(|(_, news, replies)| {
                context! {
                    title => &news.thread.title,
                    new => news.opened,
                    replies => replies,
                    link => &news.link,
                }
            })
            .collect();
        let values = context! {
            day => state.mailer.day(from, state.mailer.locale_of(&member)),
            threads => lines,
            more => more,
        };
        send(state, db, "group_digest", group, &member, values, now).await?;
        mailed += 1;
    }
    Ok(mailed)
}

/// How many threads a digest lists, in order of their first news; the others are counted in
/// one line. Past a screenful a digest is not read, and listing every thread would make a
/// night's digests grow with members times threads.
const DIGEST_THREADS: usize = 20;

/// A group's news of the day: each thread's, in order of its first post, and for each person
/// the threads whose news differs for them (theirs, or where they posted). A member's digest
/// reads the first threads and those: a night's digests cost the day's posts plus members ×
/// (the digest's length + the threads they took part in), not members × threads × posts.
struct DayNews<'a> {
    threads: Vec<ThreadNews<'a>>,
    /// Indices into `threads`, in order, without repeats.
    involving: HashMap<i64, Vec<usize>>,
}

impl<'a> DayNews<'a> {
    fn new(
        state: &AppState,
        threads: &'a HashMap<i64, thread::Model>,
        posts: &[post::Model],
    ) -> Self {
        let news = news_by_thread(state, threads, posts);
        let position: HashMap<i64, usize> = news
            .iter()
            .enumerate()
            .map(|(index, news)| (news.thread.id, index))
            .collect();
        let mut involving: HashMap<i64, Vec<usize>> = HashMap::new();
        for (index, news) in news.iter().enumerate() {
            involving
                .entry(news.thread.author_id)
                .or_default()
                .push(index);
        }
        for post in posts {
            if let Some(&index) = position.get(&post.thread_id) {
                involving.entry(post.author_id).or_default().push(index);
            }
        }
        for indices in involving.values_mut() {
            indices.sort_unstable();
            indices.dedup();
        }
        Self {
            threads: news,
            involving,
        }
    }

    /// `member`'s digest: the first [`DIGEST_THREADS`] threads with news for them, each with
    /// its place and replies, and how many more there are.
    fn digest_of(&self, member: i64) -> (Vec<(i64, &ThreadNews<'a>, usize)>, usize) {
        let involved = self.involving.get(&member).map_or(&[][..], Vec::as_slice);
        let mut items: Vec<_> = involved
            .iter()
            .filter_map(|&index| self.threads.get(index)?.for_member(member))
            .collect();
        let shown_of_involved = items.len();
        // Any other thread reads for the member as for everyone: the first of them suffice.
        items.extend(
            self.threads
                .iter()
                .enumerate()
                .filter(|(index, _)| involved.binary_search(index).is_err())
                .take(DIGEST_THREADS)
                .filter_map(|(_, news)| news.for_member(member)),
        );
        items.sort_unstable_by_key(|(first, _, _)| *first);
        let with_news = self.threads.len() - involved.len() + shown_of_involved;
        items.truncate(DIGEST_THREADS);
        (items, with_news.saturating_sub(DIGEST_THREADS))
    }
}

/// One thread's news of the day, gathered once for every member's digest.
struct ThreadNews<'a> {
    thread: &'a thread::Model,
    link: String,
    /// Whether the thread was opened that day.
    opened: bool,
    /// The day's first post: a thread stands in a member's digest at its first post that is
    /// not theirs, which is this one unless they wrote it.
    first_post: i64,
    first_author: i64,
    /// The day's first post by someone other than `first_author`.
    first_by_another: Option<i64>,
    replies: usize,
    replies_by: HashMap<i64, usize>,
}

impl ThreadNews<'_> {
    /// Where the thread stands in `member`'s digest, and how many replies it shows: none of
    /// their own threads (what happened there came at once), none of their own replies.
    fn for_member(&self, member: i64) -> Option<(i64, &Self, usize)> {
        if self.thread.author_id == member {
            return None;
        }
        let replies = self.replies - self.replies_by.get(&member).copied().unwrap_or(0);
        if !self.opened && replies == 0 {
            return None;
        }
        let first = if self.first_author == member {
            self.first_by_another?
        } else {
            self.first_post
        };
        Some((first, self, replies))
    }
}

/// The news of each thread from the day's `posts`, in order of each thread's first post.
fn news_by_thread<'a>(
    state: &AppState,
    threads: &'a HashMap<i64, thread::Model>,
    posts: &[post::Model],
) -> Vec<ThreadNews<'a>> {
    let mut news: HashMap<i64, ThreadNews<'a>> = HashMap::new();
    for post in posts {
        let Some(thread) = threads.get(&post.thread_id) else {
            continue;
        };
        let entry = news.entry(thread.id).or_insert_with(|| ThreadNews {
            thread,
            link: thread_link(state, thread),
            opened: false,
            first_post: post.id,
            first_author: post.author_id,
            first_by_another: None,
            replies: 0,
            replies_by: HashMap::new(),
        });
        if entry.first_by_another.is_none() && post.author_id != entry.first_author {
            entry.first_by_another = Some(post.id);
        }
        if post.created_at == thread.created_at && post.author_id == thread.author_id {
            entry.opened = true;
        } else {
            entry.replies += 1;
            *entry.replies_by.entry(post.author_id).or_insert(0) += 1;
        }
    }
    let mut news: Vec<_> = news.into_values().collect();
    news.sort_unstable_by_key(|news| news.first_post);
    news
}

/// What a one-click unsubscribe link names, if the server signed it: the group and the member,
/// whose level there becomes MUTED when `confirm` (the page's button, or a mail client's
/// one-click `POST`; a `GET` only shows the page, since link scanners follow links).
pub async fn unsubscribe(
    state: &AppState,
    token: &str,
    confirm: bool,
) -> ApiResult<Option<(group::Model, user::Model)>> {
    let Some((person, group_id)) = read_unsubscribe_token(state, token) else {
        return Ok(None);
    };
    let group = group::Entity::find_by_id(group_id.0).one(&state.db).await?;
    let member = user::Entity::find_by_id(person.0).one(&state.db).await?;
    let (Some(group), Some(member)) = (group, member) else {
        return Ok(None);
    };
    if confirm {
        store_level(&state.db, group_id, person, Level::Muted).await?;
        // A write like a mutation's: answered once every instance heard it, so the member's
        // next query shows the group muted (PostgreSQL; a no-op on SQLite).
        state.memory.settle(&state.db).await;
    }
    Ok(Some((group, member)))
}
