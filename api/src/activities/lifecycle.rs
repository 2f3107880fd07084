//! An activity's life cycle: DRAFT → PUBLISHED → COMPLETED, or CANCELLED by staff or, short of its
//! minimum of participants, by the scheduler. Every move is one conditional UPDATE under the
//! activity's lock, so that two instances never both make it.

use chrono::{DateTime, Utc};
use entity::activity::{self, CancellationCause, Kind, Status};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait,
    QueryFilter, sea_query::Expr,
};

use super::seats::{self, lock};
use crate::{
    activities::notices::{self, Notice},
    audit::{self, Action},
    certificates,
    db::{self, begin_write},
    error::{ApiError, ApiResult},
    followup,
    mail::Mailer,
    people::Staff,
};

/// Why an activity is cancelled, and by whom.
#[derive(Clone, Copy)]
pub enum Cancellation<'a> {
    /// A staff member cancelled it, saying why.
    ByStaff { by: Staff<'a>, reason: &'a str },
    /// The scheduler: its registrations closed short of its minimum of participants.
    TooFewParticipants,
}

impl Cancellation<'_> {
    /// What the registered people are told.
    fn reason(&self) -> &str {
        match self {
            Self::ByStaff { reason, .. } => reason,
            Self::TooFewParticipants => "Not enough participants",
        }
    }

    fn cause(&self) -> CancellationCause {
        match self {
            Self::ByStaff { .. } => CancellationCause::Staff,
            Self::TooFewParticipants => CancellationCause::TooFewParticipants,
        }
    }
}

/// Moves an activity from one status to another with one conditional statement, so two
/// requests (or two instances) racing to do it cannot both succeed.
async fn transition(
    db: &impl ConnectionTrait,
    id: i64,
    from: &[Status],
    to: Status,
    cancellation: Option<Cancellation<'_>>,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let mut update = activity::Entity::update_many()
        .col_expr(activity::Column::Status, Expr::value(to))
        .col_expr(activity::Column::UpdatedAt, Expr::value(now))
        .filter(activity::Column::Id.eq(id))
        .filter(activity::Column::Status.is_in(from.iter().copied()));
    if let Some(cancellation) = cancellation {
        update = update
            .col_expr(
                activity::Column::CancellationReason,
                Expr::value(cancellation.reason()),
            )
            .col_expr(
                activity::Column::CancellationCause,
                Expr::value(cancellation.cause()),
            );
    }
    if to == Status::Cancelled {
        // Calendar apps replace an event only with a higher SEQUENCE.
        update = update.col_expr(
            activity::Column::Sequence,
            Expr::col(activity::Column::Sequence).add(1),
        );
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// Moves an activity forward: DRAFT → PUBLISHED (open to registration), or PUBLISHED →
/// COMPLETED (for a TRAINING, every confirmed registrant who attended at least
/// `minAttendancePercent` of its sessions becomes trained; then its follow-up starts, see
/// [`followup::on_completed`]). Under the lock, audited, and idempotent: an activity already
/// there is returned as it is.
pub async fn advance(
    db: &DatabaseConnection,
    mailer: &Mailer,
    id: i64,
    to: Status,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<activity::Model> {
    let (from, refusal, action) = match to {
        Status::Published => (
            Status::Draft,
            "only a draft activity can be published",
            Action::ActivityPublished,
        ),
        Status::Completed => (
            Status::Published,
            "only a published activity can be completed",
            Action::ActivityCompleted,
        ),
        Status::Draft | Status::Cancelled => {
            return Err(ApiError::internal("advance goes to PUBLISHED or COMPLETED"));
        }
    };
    let tx = begin_write(db).await?;
    if let Some(before) = change_status(&tx, id, &[from], to, refusal, now).await? {
        audit::record(&tx, by.person(), action, [id], None, now).await?;
        if to == Status::Published {
            crate::demand::announce(&tx, mailer, id, now).await?;
        }
        if to == Status::Completed {
            let completed = certificates::completers(&tx, &before).await?;
            // Completing a training is what makes a partner trained.
            if before.kind == Kind::Training {
                seats::mark_trained(&tx, &completed, now).await?;
            }
            certificates::issue(&tx, mailer, &before, &completed, now).await?;
            followup::on_completed(&tx, mailer, &before, now).await?;
        }
    }
    let after = db::get::<activity::Entity>(&tx, id, "activity").await?;
    tx.commit().await?;
    Ok(after)
}

/// Moves the activity, under its lock, from one of `from` to `to` and returns it as it was;
/// `None` when it is at `to` already, CONFLICT (`refusal`) when it is anywhere else.
async fn change_status(
    db: &impl ConnectionTrait,
    id: i64,
    from: &[Status],
    to: Status,
    refusal: &str,
    now: DateTime<Utc>,
) -> ApiResult<Option<activity::Model>> {
    let current = lock(db, id).await?;
    if current.status == to {
        return Ok(None);
    }
    if !transition(db, id, from, to, None, now).await? {
        return Err(ApiError::conflict(refusal));
    }
    Ok(Some(current))
}

/// Cancels a draft or published activity and every registration to it, by a staff member or
/// by the scheduler. Returns `None` when the activity was no longer cancellable (e.g. another
/// instance cancelled it first).
pub async fn cancel(
    db: &DatabaseConnection,
    mailer: &Mailer,
    id: i64,
    cancellation: Cancellation<'_>,
    now: DateTime<Utc>,
) -> ApiResult<Option<activity::Model>> {
    let tx = begin_write(db).await?;
    lock(&tx, id).await?;
    if !transition(
        &tx,
        id,
        &[Status::Draft, Status::Published],
        Status::Cancelled,
        Some(cancellation),
        now,
    )
    .await?
    {
        return Ok(None);
    }
    let registration_ids = seats::cancel_all(&tx, id, now).await?;
    notices::tell(
        mailer,
        &tx,
        Notice::ActivityCancelled {
            activity_id: id,
            registration_ids,
        },
        now,
    )
    .await?;
    if let Cancellation::ByStaff { by, reason } = cancellation {
        audit::record(
            &tx,
            by.person(),
            Action::ActivityCancelled,
            [id],
            Some(reason),
            now,
        )
        .await?;
    }
    let cancelled = db::get::<activity::Entity>(&tx, id, "activity").await?;
    tx.commit().await?;
    Ok(Some(cancelled))
}

/// The scheduler's job: cancels, with notice, every published activity with a minimum number
/// of participants whose registrations have closed short of it. Safe to run on several
/// instances at once: the conditional status change lets exactly one of them cancel each.
pub async fn cancel_underbooked(
    db: &DatabaseConnection,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let deadline_passed = Condition::any()
        .add(activity::Column::RegistrationDeadline.lte(now))
        .add(
            Condition::all()
                .add(activity::Column::RegistrationDeadline.is_null())
                .add(activity::Column::StartsAt.lte(now)),
        );
    let due = activity::Entity::find()
        .filter(activity::Column::Status.eq(Status::Published))
        .filter(activity::Column::MinParticipants.is_not_null())
        .filter(
            Expr::col(activity::Column::ConfirmedCount)
                .lt(Expr::col(activity::Column::MinParticipants)),
        )
        .filter(deadline_passed)
        .all(db)
        .await?;
    let mut cancelled = 0;
    for activity in due {
        if cancel(
            db,
            mailer,
            activity.id,
            Cancellation::TooFewParticipants,
            now,
        )
        .await?
        .is_some()
        {
            tracing::info!(
                activity_id = activity.id,
                "cancelled: not enough participants"
            );
            cancelled += 1;
        }
    }
    Ok(cancelled)
}
