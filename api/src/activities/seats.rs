//! Seats and the waiting list, with one owner: every rule that moves them — registering,
//! cancelling, a larger capacity, cancelling or completing the activity — runs under the
//! activity's row lock ([`lock`]) and goes through these functions.
//!
//! Invariants, held under the lock:
//! - `confirmed_count` = CONFIRMED + OFFERED registrations ≤ capacity (an offered seat is held
//!   for the person until it answers or the offer lapses);
//! - `waitlist_count` = WAITLISTED registrations, whose positions are exactly 1..n;
//! - one active (non-cancelled) registration per person and activity (also a unique index).

use chrono::{DateTime, Utc};
use entity::{
    activity::{self, Status as ActivityStatus},
    attendance, registration,
    registration::Status,
    session, user,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, Select,
    sea_query::Expr,
};

use crate::{
    activities::notices::{self, Notice},
    error::{ApiError, ApiResult},
    mail::Mailer,
};

/// Takes the activity's row lock for the rest of the transaction and returns the row as it is
/// now. Every rule that moves seats or the waiting list starts here (a new registration with
/// [`take`], whose statements lock the same row), so concurrent
/// registrations, cancellations and capacity changes of one activity run one after the other
/// and never act on stale counts (PostgreSQL: the row lock of the UPDATE; SQLite: the
/// database's single writer, taken by `BEGIN IMMEDIATE`).
pub async fn lock(db: &impl ConnectionTrait, id: i64) -> ApiResult<activity::Model> {
    activity::Entity::update_many()
        .col_expr(activity::Column::Id, Expr::col(activity::Column::Id))
        .filter(activity::Column::Id.eq(id))
        .exec_with_returning(db)
        .await?
        .pop()
        .ok_or(ApiError::NotFound("activity"))
}

/// Takes a seat for a new registration if one is free, the next place in the waiting list
/// otherwise, and returns the activity as that statement left it, with the registration's
/// status and waiting-list position. Each is one conditional UPDATE that states the rule in
/// SQL, so that no statement before it holds the activity's lock: on PostgreSQL the lock is
/// taken here and held only for what follows until commit (the registration's row and its
/// mail), which is what a burst of registrations queues behind. A seat freed between the two
/// statements makes the second miss, and the choice is made again.
pub async fn take(
    db: &impl ConnectionTrait,
    id: i64,
) -> ApiResult<(activity::Model, Status, Option<i32>)> {
    // A round misses only when a seat was freed between its two statements.
    const ROUNDS: usize = 8;
    let free =
        || Expr::col(activity::Column::ConfirmedCount).lt(Expr::col(activity::Column::Capacity));
    for _ in 0..ROUNDS {
        if let Some(activity) = count_in(db, id, activity::Column::ConfirmedCount, free()).await? {
            return Ok((activity, Status::Confirmed, None));
        }
        if let Some(activity) =
            count_in(db, id, activity::Column::WaitlistCount, free().not()).await?
        {
            let position = activity.waitlist_count;
            return Ok((activity, Status::Waitlisted, Some(position)));
        }
        if activity::Entity::find_by_id(id).one(db).await?.is_none() {
            return Err(ApiError::NotFound("activity"));
        }
    }
    Err(ApiError::conflict(
        "the activity's seats are changing too fast: try again",
    ))
}

/// Adds one to `counter` of activity `id` if `rule` holds, returning the row it left.
async fn count_in(
    db: &impl ConnectionTrait,
    id: i64,
    counter: activity::Column,
    rule: sea_orm::sea_query::SimpleExpr,
) -> ApiResult<Option<activity::Model>> {
    Ok(activity::Entity::update_many()
        .col_expr(counter, Expr::col(counter).add(1))
        .filter(activity::Column::Id.eq(id))
        .filter(rule)
        .exec_with_returning(db)
        .await?
        .pop())
}

/// Gives these registrations their new status (a seat, or cancelled): either way they hold no
/// place in the waiting list any more.
pub async fn leave_waiting_list(
    db: &impl ConnectionTrait,
    ids: &[i64],
    status: Status,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    registration::Entity::update_many()
        .col_expr(registration::Column::Status, Expr::value(status))
        .col_expr(
            registration::Column::Position,
            Expr::value(Option::<i32>::None),
        )
        .col_expr(registration::Column::UpdatedAt, Expr::value(now))
        .filter(registration::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// Moves every WAITLISTED registration behind `after` forward by `by` places and shrinks the
/// count, so positions stay 1..n.
pub async fn close_waitlist_gap(
    db: &impl ConnectionTrait,
    activity_id: i64,
    after: i32,
    by: i32,
) -> ApiResult<()> {
    registration::Entity::update_many()
        .col_expr(
            registration::Column::Position,
            Expr::col(registration::Column::Position).sub(by),
        )
        .filter(registration::Column::ActivityId.eq(activity_id))
        .filter(registration::Column::Status.eq(Status::Waitlisted))
        .filter(registration::Column::Position.gt(after))
        .exec(db)
        .await?;
    activity::Entity::update_many()
        .col_expr(
            activity::Column::WaitlistCount,
            Expr::col(activity::Column::WaitlistCount).sub(by),
        )
        .filter(activity::Column::Id.eq(activity_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Gives free seats to the head of the waiting list, as many as fit, in a fixed number of
/// statements: at once (CONFIRMED), or, when the activity has `offer_hours`, as an offer that
/// holds the seat until it is answered or lapses (OFFERED, never past the start). Nobody is
/// promoted once the activity has started or if it is not published. Must run under the
/// activity's lock.
pub async fn promote(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    activity_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let Some(activity) = activity::Entity::find_by_id(activity_id).one(db).await? else {
        return Err(ApiError::NotFound("activity"));
    };
    if activity.status != ActivityStatus::Published || now >= activity.starts_at {
        return Ok(());
    }
    let promoted = std::cmp::min(
        activity.capacity - activity.confirmed_count,
        activity.waitlist_count,
    );
    if promoted <= 0 {
        return Ok(());
    }
    let moving_up: Vec<i64> = registration::Entity::find()
        .filter(registration::Column::ActivityId.eq(activity_id))
        .filter(registration::Column::Status.eq(Status::Waitlisted))
        .filter(registration::Column::Position.lte(promoted))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let offer_until = (activity.offer_hours > 0).then(|| {
        std::cmp::min(
            now + chrono::Duration::hours(activity.offer_hours.into()),
            activity.starts_at,
        )
    });
    match offer_until {
        Some(until) => {
            leave_waiting_list(db, &moving_up, Status::Offered, now).await?;
            registration::Entity::update_many()
                .col_expr(registration::Column::OfferExpiresAt, Expr::value(until))
                .filter(registration::Column::Id.is_in(moving_up.iter().copied()))
                .exec(db)
                .await?;
        }
        None => leave_waiting_list(db, &moving_up, Status::Confirmed, now).await?,
    }
    activity::Entity::update_many()
        .col_expr(
            activity::Column::ConfirmedCount,
            Expr::col(activity::Column::ConfirmedCount).add(promoted),
        )
        .filter(activity::Column::Id.eq(activity_id))
        .exec(db)
        .await?;
    close_waitlist_gap(db, activity_id, promoted, promoted).await?;
    for registration_id in moving_up {
        let notice = if offer_until.is_some() {
            Notice::SeatOffered { registration_id }
        } else {
            Notice::PromotedFromWaitlist { registration_id }
        };
        notices::tell(mailer, db, notice, now).await?;
    }
    Ok(())
}

/// A registration holding a seat (CONFIRMED or OFFERED) lets it go, as `status` (cancelled,
/// or an offer declined or lapsed): the seat goes to the next in line. Must run under the
/// activity's lock.
pub async fn give_back_seat(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    registration: &registration::Model,
    status: Status,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    registration::Entity::update_many()
        .col_expr(registration::Column::Status, Expr::value(status))
        .col_expr(
            registration::Column::OfferExpiresAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(registration::Column::UpdatedAt, Expr::value(now))
        .filter(registration::Column::Id.eq(registration.id))
        .exec(db)
        .await?;
    activity::Entity::update_many()
        .col_expr(
            activity::Column::ConfirmedCount,
            Expr::col(activity::Column::ConfirmedCount).sub(1),
        )
        .filter(activity::Column::Id.eq(registration.activity_id))
        .exec(db)
        .await?;
    promote(db, mailer, registration.activity_id, now).await
}

/// Cancels every active registration of an activity being cancelled; returns their ids.
pub async fn cancel_all(
    db: &impl ConnectionTrait,
    activity_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<Vec<i64>> {
    let active: Vec<i64> = registration::Entity::find()
        .filter(registration::Column::ActivityId.eq(activity_id))
        .filter(registration::Column::Status.ne(Status::Cancelled))
        .order_by_asc(registration::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    leave_waiting_list(db, &active, Status::Cancelled, now).await?;
    activity::Entity::update_many()
        .col_expr(activity::Column::ConfirmedCount, Expr::value(0))
        .col_expr(activity::Column::WaitlistCount, Expr::value(0))
        .filter(activity::Column::Id.eq(activity_id))
        .exec(db)
        .await?;
    Ok(active)
}

/// Marks the registrants of `qualified` trained (as of `now` for those who were not).
pub async fn mark_trained(
    db: &impl ConnectionTrait,
    qualified: &[(registration::Model, Vec<attendance::Model>)],
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if !qualified.is_empty() {
        user::Entity::update_many()
            .col_expr(user::Column::Trained, Expr::value(true))
            .col_expr(user::Column::TrainedAt, Expr::value(now))
            .filter(user::Column::Id.is_in(qualified.iter().map(|(r, _)| r.user_id)))
            .filter(user::Column::Trained.eq(false))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// An activity's registrations, in the order they were made.
pub fn registrations_of(activity_id: i64) -> Select<registration::Entity> {
    registration::Entity::find().filter(registration::Column::ActivityId.eq(activity_id))
}

/// Whether a registrant attended every session that has started by `now` (and at least one).
pub fn attended_so_far(sessions: &[session::Model], attended: &[i64], now: DateTime<Utc>) -> bool {
    let mut started = sessions.iter().filter(|s| s.starts_at <= now).peekable();
    if attended.is_empty() {
        return false;
    }
    if started.peek().is_none() {
        return true;
    }
    started.all(|s| attended.contains(&s.id))
}
