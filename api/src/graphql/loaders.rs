//! DataLoaders: nested lists and lookups batch into one statement per kind of row, whatever the
//! size of the page they hang from. A fresh set is made for every request, because some of them
//! (the caller's own registrations) depend on who is asking.

use std::{
    collections::HashMap,
    sync::{Arc, OnceLock},
};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{
    activity, activity_axis, activity_trainer, attendance, certificate, club_question,
    diagnostic_axis, evaluation, group, organisation, organisation_member, payment, photo_person,
    post, registration, registration_answer, registration_question, reminder_rule, session, survey,
    thread, training_programme, user,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Select};

use chrono_tz::Tz;

use crate::{
    error::{ApiError, ApiResult},
    photos,
    training::sheets::{self, Sheets},
};

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

/// The attendance sheets of activities, by activity, read together (`training::sheets`).
pub struct SheetsBy {
    db: DatabaseConnection,
    tz: Tz,
}

impl Loader<i64> for SheetsBy {
    type Value = Arc<Sheets>;
    type Error = ApiError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        Ok(sheets::of_activities(&self.db, keys, self.tz)
            .await?
            .into_iter()
            .map(|(id, sheets)| (id, Arc::new(sheets)))
            .collect())
    }
}

/// Whether each person blocks the reuse of photos showing them: no IMAGE_RIGHTS consent to
/// its current text (`photos::service::blocking`), read for every person of a page at once.
pub struct BlocksPhotosBy {
    db: DatabaseConnection,
}

impl Loader<i64> for BlocksPhotosBy {
    type Value = bool;
    type Error = ApiError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let blocking = photos::service::blocking(&self.db, keys.iter().copied()).await?;
        Ok(keys
            .iter()
            .map(|key| (*key, blocking.contains(key)))
            .collect())
    }
}

fn loader<L: Loader<i64>>(rows: L) -> DataLoader<L, HashMapCache> {
    // Cached for the one request the loaders live for, so a list resolver can prefetch what
    // its nodes will ask for (see `Activity` lists) and the nodes hit the cache.
    // No delay: resolvers run on actix-web's single-threaded workers, so every sibling field
    // has asked for its key before the spawned fetch first runs. The default 1 ms wait only
    // added a millisecond to every request (measured with klub-bench).
    DataLoader::with_cache(rows, tokio::spawn, HashMapCache::default())
        .delay(std::time::Duration::ZERO)
}

pub struct Loaders {
    db: DatabaseConnection,
    viewer_id: Option<i64>,
    tz: Tz,
    users: OnceLock<Rows<user::Entity>>,
    activities: OnceLock<Rows<activity::Entity>>,
    sessions: OnceLock<Rows<session::Entity>>,
    my_registrations: OnceLock<Rows<registration::Entity>>,
    attendances: OnceLock<Rows<attendance::Entity>>,
    club_questions: OnceLock<Rows<club_question::Entity>>,
    reminder_rules: OnceLock<Rows<reminder_rule::Entity>>,
    surveys: OnceLock<Rows<survey::Entity>>,
    programmes: OnceLock<Rows<training_programme::Entity>>,
    trainers: OnceLock<Rows<activity_trainer::Entity>>,
    sheets: OnceLock<DataLoader<SheetsBy, HashMapCache>>,
    evaluations: OnceLock<Rows<evaluation::Entity>>,
    registration_questions: OnceLock<Rows<registration_question::Entity>>,
    registration_answers: OnceLock<Rows<registration_answer::Entity>>,
    activity_axes: OnceLock<Rows<activity_axis::Entity>>,
    axes: OnceLock<Rows<diagnostic_axis::Entity>>,
    memberships: OnceLock<Rows<organisation_member::Entity>>,
    members: OnceLock<Rows<organisation_member::Entity>>,
    organisations: OnceLock<Rows<organisation::Entity>>,
    payments: OnceLock<Rows<payment::Entity>>,
    certificates: OnceLock<Rows<certificate::Entity>>,
    groups: OnceLock<Rows<group::Entity>>,
    threads: OnceLock<Rows<thread::Entity>>,
    posts: OnceLock<Rows<post::Entity>>,
    photo_people: OnceLock<Rows<photo_person::Entity>>,
    blocks_photos: OnceLock<DataLoader<BlocksPhotosBy, HashMapCache>>,
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
        Self::one(self.users(), id, "user").await
    }

    /// The accounts with these ids, in the order given, in one batch; an id without an
    /// account is left out.
    pub async fn users_in_order(&self, ids: &[i64]) -> ApiResult<Vec<user::Model>> {
        let mut found = self.users().load_many(ids.iter().copied()).await?;
        Ok(ids
            .iter()
            .filter_map(|id| found.remove(id)?.into_iter().next())
            .collect())
    }

    pub async fn activity(&self, id: i64) -> ApiResult<activity::Model> {
        Self::one(self.activities(), id, "activity").await
    }

    pub async fn organisation(&self, id: i64) -> ApiResult<organisation::Model> {
        Self::one(self.organisations(), id, "organisation").await
    }

    pub async fn group(&self, id: i64) -> ApiResult<group::Model> {
        Self::one(self.groups(), id, "group").await
    }

    pub async fn thread(&self, id: i64) -> ApiResult<thread::Model> {
        Self::one(self.threads(), id, "thread").await
    }

    pub async fn post(&self, id: i64) -> ApiResult<post::Model> {
        Self::one(self.posts(), id, "post").await
    }

    /// Loaders are built on first use: most operations need one or two of them.
    pub fn new(db: &DatabaseConnection, viewer_id: Option<i64>, tz: Tz) -> Self {
        Self {
            db: db.clone(),
            viewer_id,
            tz,
            users: OnceLock::new(),
            activities: OnceLock::new(),
            sessions: OnceLock::new(),
            my_registrations: OnceLock::new(),
            attendances: OnceLock::new(),
            club_questions: OnceLock::new(),
            reminder_rules: OnceLock::new(),
            surveys: OnceLock::new(),
            programmes: OnceLock::new(),
            trainers: OnceLock::new(),
            sheets: OnceLock::new(),
            evaluations: OnceLock::new(),
            registration_questions: OnceLock::new(),
            registration_answers: OnceLock::new(),
            activity_axes: OnceLock::new(),
            axes: OnceLock::new(),
            memberships: OnceLock::new(),
            members: OnceLock::new(),
            organisations: OnceLock::new(),
            payments: OnceLock::new(),
            certificates: OnceLock::new(),
            groups: OnceLock::new(),
            threads: OnceLock::new(),
            posts: OnceLock::new(),
            photo_people: OnceLock::new(),
            blocks_photos: OnceLock::new(),
        }
    }

    pub fn users(&self) -> &Rows<user::Entity> {
        self.users.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                user::Entity::find(),
                user::Column::Id,
                |u| u.id,
            ))
        })
    }

    pub fn activities(&self) -> &Rows<activity::Entity> {
        self.activities.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                activity::Entity::find(),
                activity::Column::Id,
                |a| a.id,
            ))
        })
    }

    /// An activity's sessions in date order.
    pub fn sessions(&self) -> &Rows<session::Entity> {
        self.sessions.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                session::Entity::find()
                    .order_by_asc(session::Column::StartsAt)
                    .order_by_asc(session::Column::Id),
                session::Column::ActivityId,
                |s| s.activity_id,
            ))
        })
    }

    /// The caller's registrations by activity, newest first. A page of `activities` feeds
    /// it the newest only (read with the page), which is all `myRegistration` reads.
    pub fn my_registrations(&self) -> &Rows<registration::Entity> {
        self.my_registrations.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                registration::Entity::find()
                    // No caller, no registrations: -1 matches no account.
                    .filter(registration::Column::UserId.eq(self.viewer_id.unwrap_or(-1)))
                    .order_by_desc(registration::Column::Id),
                registration::Column::ActivityId,
                |r| r.activity_id,
            ))
        })
    }

    /// The sessions a registration attended.
    pub fn attendances(&self) -> &Rows<attendance::Entity> {
        self.attendances.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                attendance::Entity::find(),
                attendance::Column::RegistrationId,
                |a| a.registration_id,
            ))
        })
    }

    /// A club meeting's questions: most votes first, then oldest.
    pub fn club_questions(&self) -> &Rows<club_question::Entity> {
        self.club_questions.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                club_question::Entity::find()
                    .order_by_desc(club_question::Column::Votes)
                    .order_by_asc(club_question::Column::CreatedAt)
                    .order_by_asc(club_question::Column::Id),
                club_question::Column::MeetingId,
                |q| q.meeting_id,
            ))
        })
    }

    /// An activity's reminder rules, oldest first.
    pub fn reminder_rules(&self) -> &Rows<reminder_rule::Entity> {
        self.reminder_rules.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                reminder_rule::Entity::find().order_by_asc(reminder_rule::Column::Id),
                reminder_rule::Column::ActivityId,
                |r| r.activity_id,
            ))
        })
    }

    /// An activity's survey at the end (at most one).
    pub fn surveys(&self) -> &Rows<survey::Entity> {
        self.surveys.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                survey::Entity::find().filter(survey::Column::Purpose.eq(survey::Purpose::End)),
                survey::Column::ActivityId,
                |s| s.activity_id,
            ))
        })
    }

    /// The training programme of an activity, by activity.
    pub fn programmes(&self) -> &Rows<training_programme::Entity> {
        self.programmes.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                training_programme::Entity::find(),
                training_programme::Column::ActivityId,
                |p| p.activity_id,
            ))
        })
    }

    /// Who delivers an activity, by activity.
    pub fn trainers(&self) -> &Rows<activity_trainer::Entity> {
        self.trainers.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                activity_trainer::Entity::find(),
                activity_trainer::Column::ActivityId,
                |t| t.activity_id,
            ))
        })
    }

    /// Who appears in a photo, by photo, in the order they were tagged.
    pub fn photo_people(&self) -> &Rows<photo_person::Entity> {
        self.photo_people.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                photo_person::Entity::find().order_by_asc(photo_person::Column::UserId),
                photo_person::Column::PhotoId,
                |tag| tag.photo_id,
            ))
        })
    }

    /// Of `people`, those who block the reuse of photos showing them, in their order.
    pub async fn image_rights_blocking(&self, people: &[i64]) -> ApiResult<Vec<i64>> {
        let blocks = self
            .blocks_photos
            .get_or_init(|| {
                loader(BlocksPhotosBy {
                    db: self.db.clone(),
                })
            })
            .load_many(people.iter().copied())
            .await?;
        Ok(people
            .iter()
            .copied()
            .filter(|person| blocks.get(person).copied().unwrap_or(false))
            .collect())
    }

    /// The half-days' attendance sheets of an activity, by activity.
    pub fn sheets(&self) -> &DataLoader<SheetsBy, HashMapCache> {
        self.sheets.get_or_init(|| {
            loader(SheetsBy {
                db: self.db.clone(),
                tz: self.tz,
            })
        })
    }

    /// A trainee's judgements against its programme's objectives, by registration.
    pub fn evaluations(&self) -> &Rows<evaluation::Entity> {
        self.evaluations.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                evaluation::Entity::find().order_by_asc(evaluation::Column::Objective),
                evaluation::Column::RegistrationId,
                |e| e.registration_id,
            ))
        })
    }

    /// The questions an activity asks at registration, in order, by activity.
    pub fn registration_questions(&self) -> &Rows<registration_question::Entity> {
        self.registration_questions.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                registration_question::Entity::find()
                    .order_by_asc(registration_question::Column::Position),
                registration_question::Column::ActivityId,
                |q| q.activity_id,
            ))
        })
    }

    /// A registration's answers to its activity's questions, by registration.
    pub fn registration_answers(&self) -> &Rows<registration_answer::Entity> {
        self.registration_answers.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                registration_answer::Entity::find(),
                registration_answer::Column::RegistrationId,
                |a| a.registration_id,
            ))
        })
    }

    /// The maturity axes an activity works on, by activity.
    pub fn activity_axes(&self) -> &Rows<activity_axis::Entity> {
        self.activity_axes.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                activity_axis::Entity::find(),
                activity_axis::Column::ActivityId,
                |a| a.activity_id,
            ))
        })
    }

    pub fn axes(&self) -> &Rows<diagnostic_axis::Entity> {
        self.axes.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                diagnostic_axis::Entity::find().order_by_asc(diagnostic_axis::Column::Position),
                diagnostic_axis::Column::Id,
                |a| a.id,
            ))
        })
    }

    /// A person's organisation membership (at most one), by person.
    pub fn memberships(&self) -> &Rows<organisation_member::Entity> {
        self.memberships.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                organisation_member::Entity::find(),
                organisation_member::Column::UserId,
                |m| m.user_id,
            ))
        })
    }

    /// An organisation's members, by organisation.
    pub fn members(&self) -> &Rows<organisation_member::Entity> {
        self.members.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                organisation_member::Entity::find()
                    .order_by_asc(organisation_member::Column::AddedAt)
                    .order_by_asc(organisation_member::Column::UserId),
                organisation_member::Column::OrganisationId,
                |m| m.organisation_id,
            ))
        })
    }

    pub fn organisations(&self) -> &Rows<organisation::Entity> {
        self.organisations.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                organisation::Entity::find(),
                organisation::Column::Id,
                |o| o.id,
            ))
        })
    }

    /// A registration's payment (at most one).
    pub fn payments(&self) -> &Rows<payment::Entity> {
        self.payments.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                payment::Entity::find(),
                payment::Column::RegistrationId,
                |p| p.registration_id,
            ))
        })
    }

    /// A registration's certificate (at most one).
    pub fn certificates(&self) -> &Rows<certificate::Entity> {
        self.certificates.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                certificate::Entity::find(),
                certificate::Column::RegistrationId,
                |c| c.registration_id,
            ))
        })
    }

    pub fn groups(&self) -> &Rows<group::Entity> {
        self.groups.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                group::Entity::find(),
                group::Column::Id,
                |g| g.id,
            ))
        })
    }

    pub fn threads(&self) -> &Rows<thread::Entity> {
        self.threads.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                thread::Entity::find(),
                thread::Column::Id,
                |t| t.id,
            ))
        })
    }

    pub fn posts(&self) -> &Rows<post::Entity> {
        self.posts.get_or_init(|| {
            loader(RowsBy::new(
                &self.db,
                post::Entity::find(),
                post::Column::Id,
                |p| p.id,
            ))
        })
    }
}
