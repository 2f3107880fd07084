//! The cold satisfaction survey: what attendees think `weeks_after` weeks after the activity
//! ended, once the training has met their work. Staff set it like the survey at the end; the
//! scheduler sends it when its time comes to those who attended, and reminds once, a week
//! later, whoever has not answered. Both sends are claimed in the database, so several
//! instances never send twice. Answered like any satisfaction survey (`surveys::answer`).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::{
    activity,
    survey::{self, Purpose},
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr};

use super::questionnaire::{self, QuestionDraft, Settings};
use super::survey_invitations::{invite, mail_attendees};
use crate::{
    audit::{self, Action},
    db::{self, begin_write},
    error::{ApiError, ApiResult},
    mail::Mailer,
    people::Staff,
};

/// A cold survey is sent 1 to 52 weeks after the end.
pub const WEEKS_AFTER: std::ops::RangeInclusive<i32> = 1..=52;
/// Whoever has not answered is reminded this long after the survey was sent.
pub const REMINDER_AFTER: Duration = Duration::weeks(1);

/// When the cold survey goes out: `weeks_after` weeks after the activity's end, moving with
/// its dates until it is sent.
pub fn sends_at(survey: &survey::Model, activity: &activity::Model) -> Option<DateTime<Utc>> {
    let weeks = survey.weeks_after?;
    Some(
        survey
            .invited_at
            .unwrap_or(activity.ends_at + Duration::weeks(weeks.into())),
    )
}

/// Sets the activity's cold survey (staff).
pub async fn set(
    db: &DatabaseConnection,
    activity_id: i64,
    questions: Vec<QuestionDraft>,
    weeks_after: i32,
    anonymous: Option<bool>,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<survey::Model> {
    if !WEEKS_AFTER.contains(&weeks_after) {
        return Err(ApiError::bad_input(
            "weeksAfter",
            format!(
                "between {} and {} weeks",
                WEEKS_AFTER.start(),
                WEEKS_AFTER.end()
            ),
        ));
    }
    let tx = begin_write(db).await?;
    let activity = db::get::<activity::Entity>(&tx, activity_id, "activity").await?;
    if let Some(sent) = questionnaire::find(&tx, activity.id, Purpose::Cold)
        .await?
        .and_then(|survey| survey.invited_at)
    {
        return Err(ApiError::conflict(format!(
            "the cold survey was sent on {}: it can no longer change",
            sent.date_naive()
        )));
    }
    let settings = Settings {
        anonymous,
        weeks_after: Some(weeks_after),
    };
    let survey =
        questionnaire::replace(&tx, &activity, Purpose::Cold, questions, settings, now).await?;
    audit::record(
        &tx,
        by.person(),
        Action::SurveySet,
        [activity.id],
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(survey)
}

/// The scheduler's job: sends every cold survey whose time has come (its activity completed),
/// and reminds those who have not answered a week after.
pub async fn send_due(
    db: &DatabaseConnection,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let waiting = survey::Entity::find()
        .filter(survey::Column::Purpose.eq(Purpose::Cold))
        .filter(survey::Column::RemindedAt.is_null())
        .all(db)
        .await?;
    let completed: HashMap<i64, activity::Model> = activity::Entity::find()
        .filter(activity::Column::Id.is_in(waiting.iter().map(|s| s.activity_id)))
        .filter(activity::Column::Status.eq(activity::Status::Completed))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    for survey in waiting {
        let Some(activity) = completed.get(&survey.activity_id) else {
            continue;
        };
        match survey.invited_at {
            None if sends_at(&survey, activity).is_some_and(|at| at <= now) => {
                let tx = begin_write(db).await?;
                invite(
                    &tx,
                    mailer,
                    activity,
                    &survey,
                    "cold_survey_invitation",
                    now,
                )
                .await?;
                tx.commit().await?;
            }
            Some(sent) if sent + REMINDER_AFTER <= now => {
                remind(db, mailer, activity, &survey, now).await?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Reminds, once, the attendees who have not answered.
async fn remind(
    db: &DatabaseConnection,
    mailer: &Mailer,
    activity: &activity::Model,
    survey: &survey::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let tx = begin_write(db).await?;
    let claimed = survey::Entity::update_many()
        .col_expr(survey::Column::RemindedAt, Expr::value(now))
        .filter(survey::Column::Id.eq(survey.id))
        .filter(survey::Column::RemindedAt.is_null())
        .exec(&tx)
        .await?;
    if claimed.rows_affected == 1 {
        mail_attendees(&tx, mailer, activity, survey, "survey_reminder", true, now).await?;
    }
    tx.commit().await?;
    Ok(())
}
