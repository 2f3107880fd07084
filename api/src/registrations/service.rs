//! The registration rules: registering, cancelling, attendance, reminders. Seats and the
//! waiting list belong to [`activities::seats`], under whose lock every rule here runs.

use chrono::{DateTime, Utc};
use entity::{
    activity::{self, Status as ActivityStatus},
    attendance, registration,
    registration::Status,
    session, user,
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter, Select, SqlErr, sea_query::OnConflict,
};

use crate::{
    activities::{
        self,
        notices::{self, Notice, Registered},
        seats,
    },
    audit::{self, Action},
    consents,
    db::begin_write,
    error::{ApiError, ApiResult},
    ids::{ActivityId, UserId},
    mail::Mailer,
    people::Staff,
    registrations::{
        policy::{self, Placement},
        questions::{self, AnswerDraft},
    },
};

/// Registers `registrant` for an activity: a seat if one is free, the waiting list otherwise;
/// PENDING, holding no seat, when the activity requires staff's approval. Registering again
/// returns the active registration. The [`Placement`] decides whether the partner's rules
/// (drafts hidden, the audience, approval, required answers and consents) apply.
pub async fn register(
    db: &DatabaseConnection,
    mailer: &Mailer,
    activity_id: i64,
    registrant: &user::Model,
    placement: Placement<'_>,
    answers: Vec<AnswerDraft>,
    now: DateTime<Utc>,
) -> ApiResult<registration::Model> {
    // Judged before the transaction, so that refusals and repeats take no lock; judged again
    // on the row the seat statement returns, which is the activity as it is under the lock.
    let activity = crate::db::get::<activity::Entity>(db, activity_id, "activity").await?;
    if placement.sees(registrant, &activity)
        && let Some(existing) =
            active_registration(db, ActivityId(activity_id), UserId(registrant.id)).await?
    {
        return Ok(existing);
    }
    admissible(&activity, registrant, placement, now)?;
    let asks = placement.asks_admission();
    if asks {
        crate::demand::require_priority(db, &activity, registrant, now).await?;
    }
    let questions = questions::of_activity(db, activity_id).await?;
    let answers = questions::checked_answers(&questions, answers, asks)?;
    if asks {
        let required = consents::parse_purposes(&activity.required_consents);
        let missing = consents::missing(db, registrant.id, &required).await?;
        if !missing.is_empty() {
            return Err(ApiError::ConsentsRequired(
                missing.iter().map(ActiveEnum::to_value).collect(),
            ));
        }
    }
    let sessions = session::of_activity(activity_id).all(db).await?;

    let tx = begin_write(db).await?;
    let (activity, status, position) = if asks && activity.requires_approval {
        (seats::lock(&tx, activity_id).await?, Status::Pending, None)
    } else {
        seats::take(&tx, activity_id).await?
    };
    admissible(&activity, registrant, placement, now)?;
    let inserted = registration::ActiveModel {
        activity_id: Set(activity_id),
        user_id: Set(registrant.id),
        status: Set(status),
        position: Set(position),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await;
    let registration = match inserted {
        Ok(registration) => registration,
        // The same person registering twice at once: the unique index let one through.
        Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            drop(tx);
            return active_registration(db, ActivityId(activity_id), UserId(registrant.id))
                .await?
                .ok_or_else(|| ApiError::conflict("already registered"));
        }
        Err(error) => return Err(error.into()),
    };
    questions::store(&tx, registration.id, answers).await?;
    if now >= activity.registration_closes_at()
        && let Placement::By(staff) = placement
    {
        audit::record(
            &tx,
            staff,
            Action::LateRegistration,
            [registration.id],
            Some(&format!("activity {activity_id}")),
            now,
        )
        .await?;
    }
    // Nobody is told of a seat at an activity that is over: it is being recorded after the fact.
    if sessions.iter().any(|session| session.ends_at > now) {
        let registered = Registered {
            registration: &registration,
            person: registrant,
            activity: &activity,
            sessions: &sessions,
        };
        notices::tell_registered(mailer, &tx, registered, now).await?;
    }
    tx.commit().await?;
    Ok(registration)
}

/// Whether `registrant` may register for `activity` as it stands.
fn admissible(
    activity: &activity::Model,
    registrant: &user::Model,
    placement: Placement<'_>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if !placement.sees(registrant, activity) {
        return Err(ApiError::NotFound("activity"));
    }
    if activity.status != ActivityStatus::Published {
        return Err(ApiError::conflict(
            "registration is closed: the activity is not open",
        ));
    }
    // Staff may still place someone: a late arrival, or an activity recorded after the fact
    // so that the year's figures and certificates are whole (audited by `register`).
    if now >= activity.registration_closes_at() && !matches!(placement, Placement::By(_)) {
        return Err(ApiError::conflict(
            "registration is closed: the deadline has passed",
        ));
    }
    if !placement.admits(registrant, activity) {
        return Err(ApiError::Forbidden);
    }
    Ok(())
}

async fn active_registration(
    db: &impl ConnectionTrait,
    activity: ActivityId,
    person: UserId,
) -> ApiResult<Option<registration::Model>> {
    Ok(registration::Entity::find()
        .filter(registration::Column::ActivityId.eq(activity))
        .filter(registration::Column::UserId.eq(person))
        .filter(registration::Column::Status.ne(Status::Cancelled))
        .one(db)
        .await?)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> ApiResult<registration::Model> {
    crate::db::get::<registration::Entity>(db, id, "registration").await
}

/// Cancels a registration on behalf of its owner or of staff. A freed seat goes to the first on
/// the waiting list in the same transaction; a freed waiting place closes its gap.
pub async fn cancel(
    db: &DatabaseConnection,
    mailer: &Mailer,
    id: i64,
    caller: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<registration::Model> {
    let found = get(db, id).await?;
    // Someone else's registration does not exist as far as a partner can tell.
    if !policy::may_handle(caller, &found) {
        return Err(ApiError::NotFound("registration"));
    }
    let tx = begin_write(db).await?;
    let activity = seats::lock(&tx, found.activity_id).await?;
    let registration = get(&tx, id).await?;
    match registration.status {
        Status::Cancelled | Status::Declined => return Ok(registration),
        _ if !policy::may_cancel_after_start(caller) && now >= activity.starts_at => {
            return Err(ApiError::conflict(
                "the activity has started: ask the staff",
            ));
        }
        Status::Confirmed | Status::Offered => {
            seats::give_back_seat(&tx, mailer, &registration, Status::Cancelled, now).await?;
        }
        Status::Pending => {
            seats::leave_waiting_list(&tx, &[id], Status::Cancelled, now).await?;
        }
        Status::Waitlisted => {
            seats::leave_waiting_list(&tx, &[id], Status::Cancelled, now).await?;
            seats::close_waitlist_gap(&tx, activity.id, registration.position.unwrap_or(0), 1)
                .await?;
        }
    }
    notices::tell(
        mailer,
        &tx,
        Notice::RegistrationCancelled {
            registration_id: id,
        },
        now,
    )
    .await?;
    let cancelled = get(&tx, id).await?;
    tx.commit().await?;
    Ok(cancelled)
}

/// Records whether a confirmed registrant attended one session, or every session.
pub async fn record_attendance(
    db: &DatabaseConnection,
    registration_id: i64,
    attended: bool,
    session_id: Option<i64>,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<registration::Model> {
    let tx = begin_write(db).await?;
    let db = &tx;
    let registration = get(db, registration_id).await?;
    if registration.status != Status::Confirmed {
        return Err(ApiError::conflict(
            "only a confirmed registration has attendance",
        ));
    }
    let sessions: Vec<i64> = activities::service::sessions_of(db, registration.activity_id)
        .await?
        .iter()
        .map(|s: &session::Model| s.id)
        .collect();
    let targets = match session_id {
        Some(id) if sessions.contains(&id) => vec![id],
        Some(_) => {
            return Err(ApiError::bad_input(
                "sessionId",
                "is not a session of this registration's activity",
            ));
        }
        None => sessions,
    };
    // Staff saying "attended" mean the whole session, whatever half-days were signed.
    let whole = attended.then_some(Attended { minutes: None });
    set_attended(db, registration_id, targets, whole).await?;
    let detail = format!("registration {registration_id}: attended={attended}");
    audit::record(
        db,
        by.person(),
        Action::AttendanceRecorded,
        [registration.activity_id],
        Some(&detail),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(registration)
}

/// How much of a session a registrant attended: all of it, or `minutes` of it.
pub struct Attended {
    pub minutes: Option<i32>,
}

/// Records `registration_id`'s attendance of `sessions` as `attended`, or none.
pub async fn set_attended(
    db: &impl ConnectionTrait,
    registration_id: i64,
    sessions: impl IntoIterator<Item = i64>,
    attended: Option<Attended>,
) -> ApiResult<()> {
    let sessions: Vec<i64> = sessions.into_iter().collect();
    let Some(Attended { minutes }) = attended else {
        attendance::Entity::delete_many()
            .filter(attendance::Column::RegistrationId.eq(registration_id))
            .filter(attendance::Column::SessionId.is_in(sessions))
            .exec(db)
            .await?;
        return Ok(());
    };
    if sessions.is_empty() {
        return Ok(());
    }
    attendance::Entity::insert_many(sessions.into_iter().map(|session_id| {
        attendance::ActiveModel {
            registration_id: Set(registration_id),
            session_id: Set(session_id),
            minutes: Set(minutes),
        }
    }))
    .on_conflict(
        OnConflict::columns([
            attendance::Column::RegistrationId,
            attendance::Column::SessionId,
        ])
        .update_column(attendance::Column::Minutes)
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The caller's registrations, oldest first.
pub fn of_user(user_id: i64) -> Select<registration::Entity> {
    registration::Entity::find().filter(registration::Column::UserId.eq(user_id))
}

/// The people holding an active registration (a seat, an offer, a waiting or pending place).
pub async fn active_registrants(
    db: &impl ConnectionTrait,
    activity_id: i64,
) -> ApiResult<Vec<user::Model>> {
    let active = registration::Entity::find()
        .filter(registration::Column::ActivityId.eq(activity_id))
        .filter(registration::Column::Status.is_not_in([Status::Cancelled, Status::Declined]))
        .all(db)
        .await?;
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(active.iter().map(|r| r.user_id)))
        .all(db)
        .await?)
}
