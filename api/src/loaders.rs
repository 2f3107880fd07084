//! DataLoaders: nested lists and lookups batch into one statement per kind of row, whatever the
//! size of the page they hang from. A fresh set is made for every request, because some of them
//! (the caller's own registrations) depend on who is asking.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{
    activity, activity_axis, attendance, certificate, club_question, diagnostic_axis, group,
    organisation, organisation_member, payment, post, registration, reminder_rule, session, survey,
    thread, user,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Select};

use crate::error::{ApiError, ApiResult};

/// Rows of `E` grouped by the value of `column`, fetched for many keys with one `IN (…)`.
pub struct RowsBy<E: EntityTrait> {
    db: DatabaseConnection,
    base: Select<E>,
    column: E::Column,
    key: fn(&E::Model) -> i64,
}

impl<E: EntityTrait> RowsBy<E> {
    fn new(
        db: &DatabaseConnection,
        base: Select<E>,
        column: E::Column,
        key: fn(&E::Model) -> i64,
    ) -> Self {
        Self {
            db: db.clone(),
            base,
            column,
            key,
        }
    }
}

impl<E> Loader<i64> for RowsBy<E>
where
    E: EntityTrait + Sync,
    E::Model: Clone + Send + Sync,
    E::Column: Send + Sync,
{
    type Value = Vec<E::Model>;
    type Error = ApiError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = self
            .base
            .clone()
            .filter(self.column.is_in(keys.iter().copied()))
            .all(&self.db)
            .await?;
        // Every key gets an entry, empty when it has no rows, so the cache also remembers
        // "nothing there" and nobody asks the database again.
        let mut grouped: HashMap<i64, Vec<E::Model>> =
            keys.iter().map(|key| (*key, Vec::new())).collect();
        for row in rows {
            grouped.entry((self.key)(&row)).or_default().push(row);
        }
        Ok(grouped)
    }
}

pub type Rows<E> = DataLoader<RowsBy<E>, HashMapCache>;

fn loader<E>(rows: RowsBy<E>) -> Rows<E>
where
    E: EntityTrait + Sync,
    E::Model: Clone + Send + Sync,
    E::Column: Send + Sync,
{
    // Cached for the one request the loaders live for, so a list resolver can prefetch what
    // its nodes will ask for (see `Activity` lists) and the nodes hit the cache.
    // No delay: resolvers run on actix-web's single-threaded workers, so every sibling field
    // has asked for its key before the spawned fetch first runs. The default 1 ms wait only
    // added a millisecond to every request (measured with klub-bench).
    DataLoader::with_cache(rows, tokio::spawn, HashMapCache::default())
        .delay(std::time::Duration::ZERO)
}

pub struct Loaders {
    pub users: Rows<user::Entity>,
    pub activities: Rows<activity::Entity>,
    /// An activity's sessions in date order.
    pub sessions: Rows<session::Entity>,
    /// The caller's registrations by activity, newest first. A page of `activities` feeds
    /// it the newest only (read with the page), which is all `myRegistration` reads.
    pub my_registrations: Rows<registration::Entity>,
    /// The sessions a registration attended.
    pub attendances: Rows<attendance::Entity>,
    /// A club meeting's questions: most votes first, then oldest.
    pub club_questions: Rows<club_question::Entity>,
    /// An activity's reminder rules, oldest first.
    pub reminder_rules: Rows<reminder_rule::Entity>,
    /// An activity's survey (at most one).
    pub surveys: Rows<survey::Entity>,
    /// The maturity axes an activity works on, by activity.
    pub activity_axes: Rows<activity_axis::Entity>,
    pub axes: Rows<diagnostic_axis::Entity>,
    /// A person's organisation membership (at most one), by person.
    pub memberships: Rows<organisation_member::Entity>,
    /// An organisation's members, by organisation.
    pub members: Rows<organisation_member::Entity>,
    pub organisations: Rows<organisation::Entity>,
    /// A registration's payment (at most one).
    pub payments: Rows<payment::Entity>,
    /// A registration's certificate (at most one).
    pub certificates: Rows<certificate::Entity>,
    pub groups: Rows<group::Entity>,
    pub threads: Rows<thread::Entity>,
    pub posts: Rows<post::Entity>,
}

impl Loaders {
    /// The one row with this id, through the batching loader.
    async fn one<E>(loader: &Rows<E>, id: i64, what: &'static str) -> ApiResult<E::Model>
    where
        E: EntityTrait + Sync,
        E::Model: Clone + Send + Sync,
        E::Column: Send + Sync,
    {
        loader
            .load_one(id)
            .await?
            .and_then(|rows| rows.into_iter().next())
            .ok_or(ApiError::NotFound(what))
    }

    pub async fn user(&self, id: i64) -> ApiResult<user::Model> {
        Self::one(&self.users, id, "user").await
    }

    pub async fn activity(&self, id: i64) -> ApiResult<activity::Model> {
        Self::one(&self.activities, id, "activity").await
    }

    pub async fn organisation(&self, id: i64) -> ApiResult<organisation::Model> {
        Self::one(&self.organisations, id, "organisation").await
    }

    pub async fn group(&self, id: i64) -> ApiResult<group::Model> {
        Self::one(&self.groups, id, "group").await
    }

    pub async fn thread(&self, id: i64) -> ApiResult<thread::Model> {
        Self::one(&self.threads, id, "thread").await
    }

    pub async fn post(&self, id: i64) -> ApiResult<post::Model> {
        Self::one(&self.posts, id, "post").await
    }

    pub fn new(db: &DatabaseConnection, viewer_id: Option<i64>) -> Self {
        Self {
            users: loader(RowsBy::new(
                db,
                user::Entity::find(),
                user::Column::Id,
                |u| u.id,
            )),
            activities: loader(RowsBy::new(
                db,
                activity::Entity::find(),
                activity::Column::Id,
                |a| a.id,
            )),
            sessions: loader(RowsBy::new(
                db,
                session::Entity::find()
                    .order_by_asc(session::Column::StartsAt)
                    .order_by_asc(session::Column::Id),
                session::Column::ActivityId,
                |s| s.activity_id,
            )),
            my_registrations: loader(RowsBy::new(
                db,
                registration::Entity::find()
                    // No caller, no registrations: -1 matches no account.
                    .filter(registration::Column::UserId.eq(viewer_id.unwrap_or(-1)))
                    .order_by_desc(registration::Column::Id),
                registration::Column::ActivityId,
                |r| r.activity_id,
            )),
            attendances: loader(RowsBy::new(
                db,
                attendance::Entity::find(),
                attendance::Column::RegistrationId,
                |a| a.registration_id,
            )),
            club_questions: loader(RowsBy::new(
                db,
                club_question::Entity::find()
                    .order_by_desc(club_question::Column::Votes)
                    .order_by_asc(club_question::Column::CreatedAt)
                    .order_by_asc(club_question::Column::Id),
                club_question::Column::MeetingId,
                |q| q.meeting_id,
            )),
            reminder_rules: loader(RowsBy::new(
                db,
                reminder_rule::Entity::find().order_by_asc(reminder_rule::Column::Id),
                reminder_rule::Column::ActivityId,
                |r| r.activity_id,
            )),
            surveys: loader(RowsBy::new(
                db,
                survey::Entity::find(),
                survey::Column::ActivityId,
                |s| s.activity_id,
            )),
            activity_axes: loader(RowsBy::new(
                db,
                activity_axis::Entity::find(),
                activity_axis::Column::ActivityId,
                |a| a.activity_id,
            )),
            axes: loader(RowsBy::new(
                db,
                diagnostic_axis::Entity::find().order_by_asc(diagnostic_axis::Column::Position),
                diagnostic_axis::Column::Id,
                |a| a.id,
            )),
            memberships: loader(RowsBy::new(
                db,
                organisation_member::Entity::find(),
                organisation_member::Column::UserId,
                |m| m.user_id,
            )),
            members: loader(RowsBy::new(
                db,
                organisation_member::Entity::find()
                    .order_by_asc(organisation_member::Column::AddedAt)
                    .order_by_asc(organisation_member::Column::UserId),
                organisation_member::Column::OrganisationId,
                |m| m.organisation_id,
            )),
            organisations: loader(RowsBy::new(
                db,
                organisation::Entity::find(),
                organisation::Column::Id,
                |o| o.id,
            )),
            payments: loader(RowsBy::new(
                db,
                payment::Entity::find(),
                payment::Column::RegistrationId,
                |p| p.registration_id,
            )),
            certificates: loader(RowsBy::new(
                db,
                certificate::Entity::find(),
                certificate::Column::RegistrationId,
                |c| c.registration_id,
            )),
            groups: loader(RowsBy::new(
                db,
                group::Entity::find(),
                group::Column::Id,
                |g| g.id,
            )),
            threads: loader(RowsBy::new(
                db,
                thread::Entity::find(),
                thread::Column::Id,
                |t| t.id,
            )),
            posts: loader(RowsBy::new(
                db,
                post::Entity::find(),
                post::Column::Id,
                |p| p.id,
            )),
        }
    }
}
