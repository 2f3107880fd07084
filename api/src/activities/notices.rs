//! What an activity's people are told about their registrations, by mail with a calendar
//! entry: a seat or a waiting place, a promotion, a cancellation, a change of dates or place.
//! Written here, sent through `Mailer::send` in the caller's transaction.

use chrono::{DateTime, Utc};
use entity::{activity, registration, session, user};
use minijinja::context;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::{
    db,
    error::ApiResult,
    mail::{Letter, Mailer, Recipient, calendar::Method},
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A waiting registration moved to a seat.
    PromotedFromWaitlist { registration_id: i64 },
    /// A freed seat is held for a waiting registration until its offer lapses.
    SeatOffered { registration_id: i64 },
    /// An offered seat was not taken in time and went to the next in line.
    OfferLapsed { registration_id: i64 },
    /// Staff declined a registration, for `reason`.
    RegistrationDeclined {
        registration_id: i64,
        reason: Option<String>,
    },
    /// A registration was cancelled by its owner or by staff.
    RegistrationCancelled { registration_id: i64 },
    /// An activity was cancelled; these registrations were active until then.
    ActivityCancelled {
        activity_id: i64,
        registration_ids: Vec<i64>,
    },
    /// The dates or the place of a published activity changed.
    ActivityChanged { activity_id: i64 },
}

/// A registration with its owner, its activity and the activity's sessions, as a rule holds
/// them.
#[derive(Clone, Copy)]
pub struct Registered<'a> {
    pub registration: &'a registration::Model,
    pub person: &'a user::Model,
    pub activity: &'a activity::Model,
    pub sessions: &'a [session::Model],
}

/// Who a mail goes to.
/// Renders the notice's mails and writes them to the outbox through `db` (the caller's
/// transaction).
pub async fn tell(
    mailer: &Mailer,
    db: &impl ConnectionTrait,
    notice: Notice,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    use Notice::*;
    match notice {
        PromotedFromWaitlist { registration_id } => {
            about_registration(
                mailer,
                db,
                registration_id,
                "promoted",
                Some(Method::Request),
                None,
                now,
            )
            .await
        }
        SeatOffered { registration_id } => {
            about_registration(mailer, db, registration_id, "seat_offered", None, None, now).await
        }
        OfferLapsed { registration_id } => {
            about_registration(mailer, db, registration_id, "offer_lapsed", None, None, now).await
        }
        RegistrationDeclined {
            registration_id,
            reason,
        } => {
            about_registration(
                mailer,
                db,
                registration_id,
                "registration_declined",
                None,
                reason,
                now,
            )
            .await
        }
        RegistrationCancelled { registration_id } => {
            about_registration(
                mailer,
                db,
                registration_id,
                "registration_cancelled",
                Some(Method::Cancel),
                None,
                now,
            )
            .await
        }
        ActivityCancelled {
            activity_id,
            registration_ids,
        } => {
            let reason = activity::Entity::find_by_id(activity_id)
                .one(db)
                .await?
                .and_then(|a| a.cancellation_reason);
            for registration_id in registration_ids {
                about_registration(
                    mailer,
                    db,
                    registration_id,
                    "activity_cancelled",
                    Some(Method::Cancel),
                    reason.clone(),
                    now,
                )
                .await?;
            }
            Ok(())
        }
        ActivityChanged { activity_id } => {
            let confirmed = registration::Entity::find()
                .filter(registration::Column::ActivityId.eq(activity_id))
                .filter(registration::Column::Status.eq(registration::Status::Confirmed))
                .all(db)
                .await?;
            for registration in confirmed {
                about_registration(
                    mailer,
                    db,
                    registration.id,
                    "activity_changed",
                    Some(Method::Request),
                    None,
                    now,
                )
                .await?;
            }
            Ok(())
        }
    }
}

async fn about_registration(
    mailer: &Mailer,
    db: &impl ConnectionTrait,
    registration_id: i64,
    kind: &'static str,
    method: Option<Method>,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let registration = db::get::<registration::Entity>(db, registration_id, "registration").await?;
    let person = db::get::<user::Entity>(db, registration.user_id, "user").await?;
    let activity = db::get::<activity::Entity>(db, registration.activity_id, "activity").await?;
    let sessions = session::of_activity(activity.id).all(db).await?;
    let about = Registered {
        registration: &registration,
        person: &person,
        activity: &activity,
        sessions: &sessions,
    };
    registration_letter(mailer, db, about, kind, method, reason, now).await
}

/// Tells a new registration's owner it has a seat or a place in the waiting list, from the
/// rows the registering rule already holds: it runs under the activity's lock, which every
/// statement saved shortens for the registrations queued behind it.
pub async fn tell_registered(
    mailer: &Mailer,
    db: &impl ConnectionTrait,
    about: Registered<'_>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let (kind, method) = match about.registration.status {
        registration::Status::Confirmed => ("registration_confirmed", Some(Method::Request)),
        registration::Status::Pending => ("registration_pending", None),
        _ => ("registration_waitlisted", None),
    };
    registration_letter(mailer, db, about, kind, method, None, now).await
}

async fn registration_letter(
    mailer: &Mailer,
    db: &impl ConnectionTrait,
    about: Registered<'_>,
    kind: &'static str,
    method: Option<Method>,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let Registered {
        registration,
        person,
        activity,
        sessions,
    } = about;
    let locale = mailer.locale_of(person);
    let mut letter = Letter::new(
        kind,
        Recipient::Account(person),
        context! {
            name => &person.name,
            activity => &activity.title,
            when => mailer.when(sessions, locale),
            position => registration.position,
            reason => reason,
            expires => registration.offer_expires_at.map(|at| {
                format!("{} {}", mailer.day(at, locale), mailer.time(at))
            }),
            link => format!("{}/registrations/{}", mailer.public_url, registration.id),
        },
    );
    if let Some(method) = method {
        letter = letter.with_calendar(mailer.calendar(method, activity, sessions));
    }
    // A seat, given or moved: the convocation goes with it.
    if matches!(
        kind,
        "registration_confirmed" | "promoted" | "activity_changed"
    ) && let Some(convocation) =
        super::convocation::attachment(db, mailer, person, activity, sessions).await?
    {
        letter = letter.with_attachment(convocation);
    }
    mailer.send(db, letter, now).await
}
