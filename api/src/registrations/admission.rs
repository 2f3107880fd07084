//! How an activity admits people, set by staff: questions asked at registration, staff's
//! approval (registrations wait as PENDING, holding no seat, until staff decide), seats offered
//! for a while when freed (`offer_hours`), and the consents a registrant must have given.
//! An activity without any of these registers exactly as before.

use chrono::{DateTime, Utc};
use entity::{activity, consent_text::Purpose, registration, registration::Status, session, user};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};

use super::questions::{self, QuestionDraft};
use crate::{
    activities::{
        notices::{self, Notice, Registered},
        seats,
    },
    audit::{self, Action},
    consents,
    db::{self, begin_write},
    error::{ApiError, ApiResult},
    mail::Mailer,
    people::Staff,
    validation::optional_paragraph,
};

/// Seats are offered for at most a month.
pub const MAX_OFFER_HOURS: i32 = 720;

/// What `setAdmission` changes; None keeps what is set.
pub struct Admission {
    pub requires_approval: Option<bool>,
    pub offer_hours: Option<i32>,
    pub required_consents: Option<Vec<Purpose>>,
    pub questions: Option<Vec<QuestionDraft>>,
}

/// Sets how the activity admits people (staff).
pub async fn set(
    db: &DatabaseConnection,
    activity_id: i64,
    admission: Admission,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<activity::Model> {
    if let Some(hours) = admission.offer_hours
        && !(0..=MAX_OFFER_HOURS).contains(&hours)
    {
        return Err(ApiError::bad_input(
            "input.offerHours",
            format!("0 to {MAX_OFFER_HOURS} hours"),
        ));
    }
    let tx = begin_write(db).await?;
    let activity = seats::lock(&tx, activity_id).await?;
    if let Some(purposes) = &admission.required_consents {
        let texts = consents::current_texts(&tx).await?;
        if let Some(unpublished) = purposes.iter().find(|p| !texts.contains_key(p)) {
            return Err(ApiError::bad_input(
                "input.requiredConsents",
                format!(
                    "{}: publish its text before requiring it",
                    sea_orm::ActiveEnum::to_value(unpublished)
                ),
            ));
        }
    }
    if let Some(drafts) = admission.questions {
        questions::replace(&tx, activity.id, drafts).await?;
    }
    let mut active: activity::ActiveModel = activity.clone().into();
    if let Some(requires) = admission.requires_approval {
        active.requires_approval = Set(requires);
    }
    if let Some(hours) = admission.offer_hours {
        active.offer_hours = Set(hours);
    }
    if let Some(purposes) = admission.required_consents {
        active.required_consents = Set(consents::join_purposes(&purposes));
    }
    active.updated_at = Set(now);
    let updated = active.update(&tx).await?;
    audit::record(
        &tx,
        by.person(),
        Action::ActivityUpdated,
        [activity.id],
        Some("admission"),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// Staff decide a PENDING registration: approved, it takes a seat (or the waiting list when
/// the activity is full) and its owner is told as at any registration; declined, its owner is
/// mailed the reason. Anything but PENDING: CONFLICT.
pub async fn decide(
    db: &DatabaseConnection,
    mailer: &Mailer,
    registration_id: i64,
    approve: bool,
    reason: Option<String>,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<registration::Model> {
    let reason = optional_paragraph("reason", reason, 2_000)?;
    let found = db::get::<registration::Entity>(db, registration_id, "registration").await?;
    let sessions = session::of_activity(found.activity_id).all(db).await?;
    let person = db::get::<user::Entity>(db, found.user_id, "user").await?;
    let tx = begin_write(db).await?;
    // Under the activity's lock: a decision never races a cancellation or another decision.
    seats::lock(&tx, found.activity_id).await?;
    let pending = db::get::<registration::Entity>(&tx, registration_id, "registration").await?;
    if pending.status != Status::Pending {
        return Err(ApiError::conflict("only a PENDING registration is decided"));
    }
    let mut active: registration::ActiveModel = pending.into();
    active.updated_at = Set(now);
    let decided = if approve {
        let (activity, status, position) = seats::take(&tx, found.activity_id).await?;
        if activity.status != activity::Status::Published {
            return Err(ApiError::conflict("the activity is not open"));
        }
        active.status = Set(status);
        active.position = Set(position);
        let decided = active.update(&tx).await?;
        let registered = Registered {
            registration: &decided,
            person: &person,
            activity: &activity,
            sessions: &sessions,
        };
        notices::tell_registered(mailer, &tx, registered, now).await?;
        decided
    } else {
        active.status = Set(Status::Declined);
        active.decline_reason = Set(reason.clone());
        let decided = active.update(&tx).await?;
        let notice = Notice::RegistrationDeclined {
            registration_id,
            reason,
        };
        notices::tell(mailer, &tx, notice, now).await?;
        decided
    };
    let detail = if approve { "approved" } else { "declined" };
    audit::record(
        &tx,
        by.person(),
        Action::RegistrationDecided,
        [registration_id],
        Some(detail),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(decided)
}
