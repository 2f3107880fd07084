//! The follow-up of an activity, what keeps its people learning after it: staff messages to
//! them, reminder rules, the satisfaction surveys (at the end and weeks later) through the
//! questionnaire engine, and a club meeting's minutes. It lives with the
//! activities because an `Activity` shows its reminders and its survey.

pub mod audience;
pub mod cold_surveys;
pub mod messages;
mod minutes;
pub mod questionnaire;
pub mod reminders;
pub mod survey_invitations;
pub mod survey_results;
pub mod surveys;

use chrono::{DateTime, Utc};
use entity::activity;
use sea_orm::ConnectionTrait;

pub use audience::RecipientFilter;

use crate::{error::ApiResult, mail::Mailer};

/// What an activity's completion sets off, inside the transaction that completes it: its
/// attendees are invited to the survey, and a club meeting's minutes go to the trained partners.
pub async fn on_completed(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    activity: &activity::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    survey_invitations::invite_attendees(db, mailer, activity, now).await?;
    if activity.kind == activity::Kind::ClubMeeting {
        minutes::send(db, mailer, activity, now).await?;
    }
    Ok(())
}
