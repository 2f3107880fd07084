//! Seats offered for a while: with `offer_hours` > 0, a freed seat is OFFERED to the first on
//! the waiting list (`activities::seats::promote`) until `offer_expires_at` (never past the
//! start). Accepting confirms it; declining, or letting it lapse, passes it to the next. Every
//! step runs under the activity's lock, so an offer lapsing while it is accepted ends one way
//! only, and two instances and the scheduler never offer one seat twice.

use chrono::{DateTime, Utc};
use entity::{registration, registration::Status, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use super::policy;
use crate::{
    activities::{
        notices::{self, Notice},
        seats,
    },
    db::{self, begin_write},
    error::{ApiError, ApiResult},
    mail::Mailer,
};

/// The person offered a seat (or staff for it) takes it or lets it go. Not OFFERED, or past
/// `offer_expires_at`: CONFLICT.
pub async fn answer(
    db: &DatabaseConnection,
    mailer: &Mailer,
    registration_id: i64,
    caller: &user::Model,
    accept: bool,
    now: DateTime<Utc>,
) -> ApiResult<registration::Model> {
    let found = db::get::<registration::Entity>(db, registration_id, "registration").await?;
    if !policy::may_handle(caller, &found) {
        return Err(ApiError::NotFound("registration"));
    }
    let tx = begin_write(db).await?;
    seats::lock(&tx, found.activity_id).await?;
    let offered = db::get::<registration::Entity>(&tx, registration_id, "registration").await?;
    if offered.status != Status::Offered {
        return Err(ApiError::conflict(
            "no seat is offered to this registration",
        ));
    }
    if offered.offer_expires_at.is_none_or(|expiry| expiry <= now) {
        return Err(ApiError::conflict("the offer has expired"));
    }
    if accept {
        let mut active: registration::ActiveModel = offered.into();
        active.status = Set(Status::Confirmed);
        active.offer_expires_at = Set(None);
        active.updated_at = Set(now);
        active.update(&tx).await?;
        notices::tell(
            mailer,
            &tx,
            Notice::PromotedFromWaitlist { registration_id },
            now,
        )
        .await?;
    } else {
        seats::give_back_seat(&tx, mailer, &offered, Status::Cancelled, now).await?;
    }
    let answered = db::get::<registration::Entity>(&tx, registration_id, "registration").await?;
    tx.commit().await?;
    Ok(answered)
}

/// The scheduler's job: every lapsed offer passes its seat to the next in line. Each is
/// claimed under its activity's lock by re-reading it there.
pub async fn expire_due(
    db: &DatabaseConnection,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let lapsed = registration::Entity::find()
        .filter(registration::Column::Status.eq(Status::Offered))
        .filter(registration::Column::OfferExpiresAt.lte(now))
        .all(db)
        .await?;
    for found in lapsed {
        let tx = begin_write(db).await?;
        seats::lock(&tx, found.activity_id).await?;
        let offered = db::get::<registration::Entity>(&tx, found.id, "registration").await?;
        if offered.status == Status::Offered
            && offered.offer_expires_at.is_some_and(|expiry| expiry <= now)
        {
            seats::give_back_seat(&tx, mailer, &offered, Status::Cancelled, now).await?;
            let notice = Notice::OfferLapsed {
                registration_id: offered.id,
            };
            notices::tell(mailer, &tx, notice, now).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}
