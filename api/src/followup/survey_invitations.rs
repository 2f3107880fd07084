//! Who is asked to answer a survey: the attendees of its completed activity, mailed once; and
//! the surveys a person is invited to.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::{
    activity, registration,
    survey::{self, Purpose},
    survey_participation, user,
};
use minijinja::context;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr,
};

use super::audience::{attendees, present};
use super::questionnaire::answered_among;
use super::surveys::of_activity;
use crate::{
    error::ApiResult,
    mail::{Letter, Mailer, Recipient},
};

/// Invites the attendees of a completed activity to its survey at the end, if it has one.
pub async fn invite_attendees(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    activity: &activity::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    match of_activity(db, activity.id).await? {
        Some(survey) => invite(db, mailer, activity, &survey, "survey_invitation", now).await,
        None => Ok(()),
    }
}

/// Mails `letter` with the survey's link to every attendee of the activity, once: the
/// conditional update of `invited_at` is the claim, so several instances never send twice.
pub(super) async fn invite(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    activity: &activity::Model,
    survey: &survey::Model,
    letter: &'static str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let claimed = survey::Entity::update_many()
        .col_expr(survey::Column::InvitedAt, Expr::value(now))
        .filter(survey::Column::Id.eq(survey.id))
        .filter(survey::Column::InvitedAt.is_null())
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(());
    }
    mail_attendees(db, mailer, activity, survey, letter, false, now).await
}

/// Mails `letter` with the survey's link to the activity's attendees (only to those who have
/// not answered yet when `unanswered_only`).
pub(super) async fn mail_attendees(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    activity: &activity::Model,
    survey: &survey::Model,
    letter: &'static str,
    unanswered_only: bool,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let link = format!("{}/surveys/{}", mailer.public_url, survey.id);
    let attendees = attendees(db, activity.id).await?;
    let answered = if unanswered_only {
        answered_among(db, survey.id, attendees.iter().map(|p| p.id)).await?
    } else {
        HashSet::new()
    };
    for person in attendees {
        if answered.contains(&person.id) {
            continue;
        }
        let letter = Letter::new(
            letter,
            Recipient::address_of(&person),
            context! {
                name => &person.name,
                activity => &activity.title,
                anonymous => survey.anonymous,
                link => &link,
            },
        );
        mailer.send(db, letter, now).await?;
    }
    Ok(())
}

/// Whether `person` attended at least one session of the activity.
pub(super) async fn attended(
    db: &impl ConnectionTrait,
    activity_id: i64,
    person: &user::Model,
) -> ApiResult<bool> {
    Ok(!attended_activities(db, person, Some(activity_id))
        .await?
        .is_empty())
}

/// The activities (or the one of `only`) where `person` attended at least one session.
async fn attended_activities(
    db: &impl ConnectionTrait,
    person: &user::Model,
    only: Option<i64>,
) -> ApiResult<HashSet<i64>> {
    let mut registrations = registration::Entity::find()
        .filter(registration::Column::UserId.eq(person.id))
        .filter(registration::Column::Status.ne(registration::Status::Cancelled));
    if let Some(activity_id) = only {
        registrations = registrations.filter(registration::Column::ActivityId.eq(activity_id));
    }
    let registrations = registrations.all(db).await?;
    let present = present(db, &registrations).await?;
    Ok(registrations
        .into_iter()
        .filter(|r| present.contains(&r.id))
        .map(|r| r.activity_id)
        .collect())
}

/// The surveys `person` is invited to answer (those of completed activities it attended: at
/// the end, and the cold one once sent), newest first, each with whether it answered.
pub async fn invited(
    db: &impl ConnectionTrait,
    person: &user::Model,
) -> ApiResult<Vec<(survey::Model, bool)>> {
    let activities = attended_activities(db, person, None).await?;
    let completed: Vec<i64> = activity::Entity::find()
        .filter(activity::Column::Id.is_in(activities))
        .filter(activity::Column::Status.eq(activity::Status::Completed))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let surveys = survey::Entity::find()
        .filter(survey::Column::ActivityId.is_in(completed))
        .filter(
            Condition::any()
                .add(survey::Column::Purpose.eq(Purpose::End))
                .add(
                    Condition::all()
                        .add(survey::Column::Purpose.eq(Purpose::Cold))
                        .add(survey::Column::InvitedAt.is_not_null()),
                ),
        )
        .order_by_desc(survey::Column::Id)
        .all(db)
        .await?;
    let answered: HashSet<i64> = survey_participation::Entity::find()
        .filter(survey_participation::Column::UserId.eq(person.id))
        .filter(survey_participation::Column::SurveyId.is_in(surveys.iter().map(|s| s.id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.survey_id)
        .collect();
    Ok(surveys
        .into_iter()
        .map(|s| {
            let done = answered.contains(&s.id);
            (s, done)
        })
        .collect())
}
