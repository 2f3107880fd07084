//! The rules of the programme: listing, creating and editing activities (their life cycle is
//! `lifecycle.rs`). Every change that touches seats runs under the activity's row lock
//! ([`seats::lock`]), the same lock the registration rules take.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    activity::{self, Kind, Status},
    registration, session, user,
};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, ExprTrait,
    FromQueryResult, IdenStatic, Iterable, JoinType, QueryFilter, QueryResult, QuerySelect, Select,
    sea_query::{Alias, Expr, Query},
};

use super::{
    ActivityDraft, SessionDraft, policy,
    seats::{self, lock},
};
use crate::{
    activities::notices::{self, Notice},
    audit::{self, Action},
    db::{self, begin_write},
    error::{ApiError, ApiResult},
    followup,
    mail::Mailer,
    people::Staff,
};

/// What the programme list may be narrowed to.
#[derive(Default)]
pub struct ActivityFilter {
    pub kind: Option<Kind>,
    pub status: Option<Status>,
    /// Activities still running at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Activities starting at or before this time.
    pub to: Option<DateTime<Utc>>,
    pub has_seats_left: Option<bool>,
}

/// The activities `reader` may list: drafts are for staff only.
pub fn programme(filter: ActivityFilter, reader: &user::Model) -> Select<activity::Entity> {
    let mut select = activity::Entity::find();
    if !policy::plans_the_programme(reader) {
        // A constant of the code, written into the statement rather than bound: PostgreSQL's
        // generic plan for a prepared statement guesses that `status <> $n` keeps one row, and
        // then sorts every matching activity to keep a page instead of walking `(starts_at,
        // id)` (1.2–1.7 ms against 0.43 ms at 2,000 activities, EXPLAIN ANALYZE).
        let draft = crate::db::literal(Status::Draft);
        select = select.filter(Expr::col((activity::Entity, activity::Column::Status)).ne(draft));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(activity::Column::Kind.eq(kind));
    }
    if let Some(status) = filter.status {
        select = select.filter(activity::Column::Status.eq(status));
    }
    if let Some(from) = filter.from {
        select = select.filter(activity::Column::EndsAt.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(activity::Column::StartsAt.lte(to));
    }
    if let Some(has_seats_left) = filter.has_seats_left {
        let seats_left =
            Expr::col(activity::Column::ConfirmedCount).lt(Expr::col(activity::Column::Capacity));
        select = select.filter(if has_seats_left {
            Condition::all().add(seats_left)
        } else {
            Condition::all().add(seats_left).not()
        });
    }
    select
}

/// An activity of a list with `person`'s latest registration to it, read by the same
/// statement ([`with_latest_registration`]).
pub struct Listed {
    pub activity: activity::Model,
    pub latest_registration: Option<registration::Model>,
}

/// The prefix of the joined registration's columns.
const LATEST: &str = "latest_";

/// Joins `person`'s latest registration (the one with the highest id) to each activity, so a
/// page and the caller's registrations come in one statement.
pub fn with_latest_registration(
    mut select: Select<activity::Entity>,
    person: i64,
) -> Select<activity::Entity> {
    let latest = Alias::new("latest");
    let newest_id = Query::select()
        .expr(Expr::col(registration::Column::Id).max())
        .from(registration::Entity)
        .and_where(
            Expr::col((registration::Entity, registration::Column::ActivityId))
                .equals((activity::Entity, activity::Column::Id)),
        )
        .and_where(Expr::col((registration::Entity, registration::Column::UserId)).eq(person))
        .to_owned();
    QuerySelect::query(&mut select).join_as(
        JoinType::LeftJoin,
        registration::Entity,
        latest.clone(),
        Expr::col((latest.clone(), registration::Column::Id))
            .eq(Expr::SubQuery(None, Box::new(newest_id.into()))),
    );
    for column in registration::Column::iter() {
        select = select.column_as(
            Expr::col((latest.clone(), column)),
            format!("{LATEST}{}", column.as_str()),
        );
    }
    select
}

impl FromQueryResult for Listed {
    /// The activity's columns come first ([`with_latest_registration`] adds its own after
    /// them) and are read by position; the joined registration, present on few rows, by name.
    fn from_query_result(row: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        let joined = format!("{prefix}{LATEST}");
        // Most activities of a page have no registration of the caller: its NULL id says so
        // without decoding each joined column (sea-orm formats an error for every NULL it meets).
        let latest_registration =
            match row.try_get::<Option<i64>>(&joined, registration::Column::Id.as_str())? {
                Some(_) => Some(registration::Model::from_query_result(row, &joined)?),
                None => None,
            };
        Ok(Self {
            activity: activity::Model::from_leading_columns(row)?,
            latest_registration,
        })
    }
}

/// An activity `reader` may see: a draft is NOT_FOUND for anyone but staff, and a trainer
/// sees only the activities it delivers.
pub async fn get_visible(
    db: &impl ConnectionTrait,
    id: i64,
    reader: &user::Model,
) -> ApiResult<activity::Model> {
    match activity::Entity::find_by_id(id).one(db).await? {
        Some(activity)
            if policy::sees(reader, &activity)
                && (reader.role != user::Role::Trainer
                    || entity::activity_trainer::Entity::find_by_id((id, reader.id))
                        .one(db)
                        .await?
                        .is_some()) =>
        {
            Ok(activity)
        }
        _ => Err(ApiError::NotFound("activity")),
    }
}

/// Creates a DRAFT activity with its sessions and its first reminder rule, `reminder` before
/// its start (`KLUB_REMINDER_HOURS`).
pub async fn create(
    db: &DatabaseConnection,
    draft: ActivityDraft,
    reminder: chrono::Duration,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<activity::Model> {
    if let Some(index) = draft.sessions.iter().position(|s| s.id.is_some()) {
        return Err(ApiError::bad_input(
            format!("sessions[{index}].id"),
            "a new activity's sessions have no id yet",
        ));
    }
    let draft = draft.validated()?;
    let tx = begin_write(db).await?;
    if let Some(topic) = draft.topic_id {
        crate::db::get::<entity::topic::Entity>(&tx, topic, "topic").await?;
    }
    let mut row = activity::ActiveModel {
        status: Set(Status::Draft),
        cancellation_reason: Set(None),
        cancellation_cause: Set(None),
        confirmed_count: Set(0),
        waitlist_count: Set(0),
        sequence: Set(0),
        created_by: Set(by.person().id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    draft.write_to(&mut row);
    let activity = row.insert(&tx).await?;
    save_sessions(&tx, activity.id, &draft.sessions, &[]).await?;
    followup::reminders::add_default(&tx, activity.id, reminder, now).await?;
    audit::record(
        &tx,
        by.person(),
        Action::ActivityCreated,
        [activity.id],
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(activity)
}

/// The activity as a draft, to be edited and validated again.
pub fn draft_of(activity: &activity::Model, sessions: &[session::Model]) -> ActivityDraft {
    ActivityDraft {
        kind: activity.kind,
        title: activity.title.clone(),
        description: activity.description.clone(),
        location: activity.location.clone(),
        audience: activity.audience,
        capacity: activity.capacity,
        min_participants: activity.min_participants,
        registration_deadline: activity.registration_deadline,
        price_cents: activity.price_cents,
        trainer_name: activity.trainer_name.clone(),
        co_organiser: activity.co_organiser.clone(),
        min_attendance_percent: activity.min_attendance_percent,
        topic_id: activity.topic_id,
        priority_hours: activity.priority_hours,
        sessions: sessions
            .iter()
            .map(|s| SessionDraft {
                id: Some(s.id),
                starts_at: s.starts_at,
                ends_at: s.ends_at,
            })
            .collect(),
    }
}

pub async fn sessions_of(
    db: &impl ConnectionTrait,
    activity_id: i64,
) -> ApiResult<Vec<session::Model>> {
    Ok(session::of_activity(activity_id).all(db).await?)
}

/// Edits an activity: `edit` receives it as a draft and returns the new one. Sessions keep
/// their ids, so attendance survives a change of dates. A larger capacity promotes from the
/// waiting list; new dates or place of a published activity are announced to its registrants.
pub async fn update(
    db: &DatabaseConnection,
    mailer: &Mailer,
    id: i64,
    edit: impl FnOnce(ActivityDraft) -> ApiResult<ActivityDraft>,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<activity::Model> {
    let tx = begin_write(db).await?;
    let current = lock(&tx, id).await?;
    if !matches!(current.status, Status::Draft | Status::Published) {
        return Err(ApiError::conflict(
            "only draft or published activities can be edited",
        ));
    }
    let sessions = sessions_of(&tx, id).await?;
    let draft = edit(draft_of(&current, &sessions))?.validated()?;
    if draft.capacity < current.confirmed_count {
        return Err(ApiError::bad_input(
            "capacity",
            format!(
                "must be at least the {} confirmed registrations",
                current.confirmed_count
            ),
        ));
    }
    let known: HashSet<i64> = sessions.iter().map(|s| s.id).collect();
    if draft
        .sessions
        .iter()
        .any(|s| s.id.is_some_and(|id| !known.contains(&id)))
    {
        return Err(ApiError::bad_input(
            "sessions",
            "a session id does not belong to this activity",
        ));
    }
    let old_dates: Vec<_> = sessions
        .iter()
        .map(|s| (s.id, s.starts_at, s.ends_at))
        .collect();
    save_sessions(&tx, id, &draft.sessions, &sessions).await?;
    let dates_changed = old_dates
        != draft
            .sessions
            .iter()
            .map(|s| (s.id.unwrap_or_default(), s.starts_at, s.ends_at))
            .collect::<Vec<_>>();
    let place_changed = draft.location != current.location;

    let mut active: activity::ActiveModel = current.clone().into();
    draft.write_to(&mut active);
    if dates_changed || place_changed {
        active.sequence = Set(current.sequence + 1);
    }
    active.updated_at = Set(now);
    active.update(&tx).await?;

    if draft.capacity > current.capacity {
        seats::promote(&tx, mailer, id, now).await?;
    }
    if current.status == Status::Published && (dates_changed || place_changed) {
        notices::tell(
            mailer,
            &tx,
            Notice::ActivityChanged { activity_id: id },
            now,
        )
        .await?;
    }
    let updated = db::get::<activity::Entity>(&tx, id, "activity").await?;
    audit::record(&tx, by.person(), Action::ActivityUpdated, [id], None, now).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Brings the stored sessions in line with `wanted`: entries with an id update that session,
/// entries without one are created, stored sessions left out are removed.
async fn save_sessions(
    db: &impl ConnectionTrait,
    activity_id: i64,
    wanted: &[SessionDraft],
    stored: &[session::Model],
) -> ApiResult<()> {
    let stored_by_id: HashMap<i64, &session::Model> = stored.iter().map(|s| (s.id, s)).collect();
    let kept: HashSet<i64> = wanted.iter().filter_map(|s| s.id).collect();
    let removed: Vec<i64> = stored
        .iter()
        .map(|s| s.id)
        .filter(|id| !kept.contains(id))
        .collect();
    if !removed.is_empty() {
        session::Entity::delete_many()
            .filter(session::Column::Id.is_in(removed))
            .exec(db)
            .await?;
    }
    for wanted in wanted {
        match wanted.id.and_then(|id| stored_by_id.get(&id)) {
            Some(existing)
                if existing.starts_at == wanted.starts_at && existing.ends_at == wanted.ends_at => {
            }
            Some(existing) => {
                let mut active: session::ActiveModel = (*existing).clone().into();
                active.starts_at = Set(wanted.starts_at);
                active.ends_at = Set(wanted.ends_at);
                active.update(db).await?;
            }
            None => {
                session::ActiveModel {
                    activity_id: Set(activity_id),
                    starts_at: Set(wanted.starts_at),
                    ends_at: Set(wanted.ends_at),
                    ..Default::default()
                }
                .insert(db)
                .await?;
            }
        }
    }
    Ok(())
}
