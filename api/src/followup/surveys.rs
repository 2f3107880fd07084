//! Satisfaction surveys: the one at the end (END), set by staff, editable until the first
//! answer, sent to the attendees when the activity completes; and the cold one (COLD, see
//! `cold_surveys`). An attendee answers each once. The questionnaire itself is the engine's
//! (`questionnaire`).

use chrono::{DateTime, Utc};
use entity::{
    activity,
    survey::{self, Purpose},
    user,
};
use sea_orm::DatabaseConnection;

use super::questionnaire::{self, AnswerDraft, QuestionDraft, Settings};
use super::survey_invitations::{attended, invite_attendees};
use crate::{
    audit::{self, Action},
    db::{self, begin_write},
    error::{ApiError, ApiResult},
    mail::Mailer,
    people::Staff,
};

/// The activity's survey at the end, if it has one.
pub async fn of_activity(
    db: &impl sea_orm::ConnectionTrait,
    activity_id: i64,
) -> ApiResult<Option<survey::Model>> {
    questionnaire::find(db, activity_id, Purpose::End).await
}

/// Sets the activity's survey at the end. A survey set after the activity completed invites
/// its attendees at once.
pub async fn set(
    db: &DatabaseConnection,
    mailer: &Mailer,
    activity_id: i64,
    questions: Vec<QuestionDraft>,
    anonymous: Option<bool>,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<survey::Model> {
    let tx = begin_write(db).await?;
    let activity = db::get::<activity::Entity>(&tx, activity_id, "activity").await?;
    let settings = Settings {
        anonymous,
        weeks_after: None,
    };
    let survey =
        questionnaire::replace(&tx, &activity, Purpose::End, questions, settings, now).await?;
    audit::record(
        &tx,
        by.person(),
        Action::SurveySet,
        [activity.id],
        None,
        now,
    )
    .await?;
    if activity.status == activity::Status::Completed {
        invite_attendees(&tx, mailer, &activity, now).await?;
    }
    tx.commit().await?;
    Ok(survey)
}

/// An attendee of the completed activity answers a satisfaction survey (the cold one once it
/// was sent), once (CONFLICT after); anyone else is FORBIDDEN. A positioning is not a survey
/// here (NOT_FOUND): it has its own operation.
pub async fn answer(
    db: &DatabaseConnection,
    survey_id: i64,
    person: &user::Model,
    answers: Vec<AnswerDraft>,
) -> ApiResult<()> {
    let survey = db::get::<survey::Entity>(db, survey_id, "survey").await?;
    let open = match survey.purpose {
        Purpose::End => true,
        Purpose::Cold => survey.invited_at.is_some(),
        Purpose::Positioning => return Err(ApiError::NotFound("survey")),
    };
    let activity = db::get::<activity::Entity>(db, survey.activity_id, "activity").await?;
    if !open
        || activity.status != activity::Status::Completed
        || !attended(db, activity.id, person).await?
    {
        return Err(ApiError::Forbidden);
    }
    questionnaire::record(db, &survey, person, answers).await
}
