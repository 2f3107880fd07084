//! Positioning: where each trainee starts, asked before a training so that its trainers adapt
//! it. The activity's trainers or staff set the questions (the questionnaire engine's kinds);
//! each confirmed registrant is asked by mail as its seat is confirmed and reminded, once,
//! 3 days before the first session while it has not answered. A registrant answers once, until
//! the first session ends. Answers are by name and read only by the activity's trainers and
//! staff: a positioning is never anonymous.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use entity::{
    activity, registration, session,
    survey::{self, Purpose},
    survey_answer, survey_question, survey_request, user,
};
use minijinja::context;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, OnConflict},
};

use crate::{
    audit::{self, Action},
    db::{self, begin_write},
    error::{ApiError, ApiResult},
    followup::questionnaire::{self, AnswerDraft, QuestionDraft, Settings},
    mail::{Letter, Mailer, Recipient},
    training::policy,
};

/// Registrants who have not answered are reminded this long before the first session.
pub const REMINDER_BEFORE: Duration = Duration::days(3);

/// One trainee's answers.
pub struct Response {
    pub registration: registration::Model,
    pub answers: Vec<(survey_question::Model, survey_answer::Model)>,
}

/// When the activity's first session ends: positioning closes then.
async fn closes_at(
    db: &impl ConnectionTrait,
    activity_id: i64,
) -> ApiResult<Option<DateTime<Utc>>> {
    Ok(session::of_activity(activity_id)
        .one(db)
        .await?
        .map(|first| first.ends_at))
}

/// Sets the activity's positioning questions, by one of its trainers or staff, until the
/// first answer arrives and before the first session ends.
pub async fn set(
    db: &DatabaseConnection,
    activity_id: i64,
    questions: Vec<QuestionDraft>,
    by: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<survey::Model> {
    let tx = begin_write(db).await?;
    let activity = db::get::<activity::Entity>(&tx, activity_id, "activity").await?;
    policy::require_keeps_sheets(&tx, by, activity.id).await?;
    if closes_at(&tx, activity.id)
        .await?
        .is_none_or(|end| end <= now)
    {
        return Err(ApiError::conflict(
            "positioning is asked before the first session ends",
        ));
    }
    let survey = questionnaire::replace(
        &tx,
        &activity,
        Purpose::Positioning,
        questions,
        Settings::default(),
        now,
    )
    .await?;
    audit::record(&tx, by, Action::SurveySet, [activity.id], None, now).await?;
    tx.commit().await?;
    Ok(survey)
}

/// The positionings `person` is asked to answer: those of the activities where it holds a
/// seat, until their first session ends, each with whether it answered.
pub async fn mine(
    db: &impl ConnectionTrait,
    person: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<Vec<(survey::Model, bool)>> {
    let seats: Vec<i64> = registration::Entity::find()
        .filter(registration::Column::UserId.eq(person.id))
        .filter(registration::Column::Status.eq(registration::Status::Confirmed))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.activity_id)
        .collect();
    let surveys = survey::Entity::find()
        .filter(survey::Column::Purpose.eq(Purpose::Positioning))
        .filter(survey::Column::ActivityId.is_in(seats))
        .order_by_asc(survey::Column::Id)
        .all(db)
        .await?;
    let open = still_open(db, surveys.iter().map(|s| s.activity_id), now).await?;
    let mut mine = Vec::new();
    for survey in surveys {
        if open.contains(&survey.activity_id) {
            let answered = questionnaire::has_answered(db, survey.id, person).await?;
            mine.push((survey, answered));
        }
    }
    Ok(mine)
}

/// Which of `activities` are not cancelled and have not seen their first session end.
async fn still_open(
    db: &impl ConnectionTrait,
    activities: impl IntoIterator<Item = i64>,
    now: DateTime<Utc>,
) -> ApiResult<HashSet<i64>> {
    let live: HashSet<i64> = activity::Entity::find()
        .filter(activity::Column::Id.is_in(activities))
        .filter(activity::Column::Status.eq(activity::Status::Published))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let mut first_end: HashMap<i64, DateTime<Utc>> = HashMap::new();
    for s in session::Entity::find()
        .filter(session::Column::ActivityId.is_in(live.iter().copied()))
        .order_by_desc(session::Column::StartsAt)
        .all(db)
        .await?
    {
        first_end.insert(s.activity_id, s.ends_at);
    }
    Ok(first_end
        .into_iter()
        .filter(|(_, end)| now < *end)
        .map(|(id, _)| id)
        .collect())
}

/// A confirmed registrant answers, once (CONFLICT after), until the first session ends
/// (CONFLICT after); anyone else is FORBIDDEN.
pub async fn answer(
    db: &DatabaseConnection,
    positioning_id: i64,
    person: &user::Model,
    answers: Vec<AnswerDraft>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let survey =
        questionnaire::get(db, positioning_id, Purpose::Positioning, "positioning").await?;
    let seated = registration::Entity::find()
        .filter(registration::Column::ActivityId.eq(survey.activity_id))
        .filter(registration::Column::UserId.eq(person.id))
        .filter(registration::Column::Status.eq(registration::Status::Confirmed))
        .one(db)
        .await?
        .is_some();
    if !seated {
        return Err(ApiError::Forbidden);
    }
    if closes_at(db, survey.activity_id)
        .await?
        .is_none_or(|end| end <= now)
    {
        return Err(ApiError::conflict(
            "the positioning closed when the first session ended",
        ));
    }
    questionnaire::record(db, &survey, person, answers).await
}

/// Every trainee's answers, by registration, in the order they registered. The caller has
/// checked that the reader keeps the activity's sheets.
pub async fn responses(
    db: &impl ConnectionTrait,
    survey: &survey::Model,
) -> ApiResult<Vec<Response>> {
    let questions = questionnaire::questions_by_id(db, survey.id).await?;
    let mut by_person: HashMap<i64, Vec<(survey_question::Model, survey_answer::Model)>> =
        HashMap::new();
    for answer in survey_answer::Entity::find()
        .filter(survey_answer::Column::SurveyId.eq(survey.id))
        .all(db)
        .await?
    {
        let (Some(person), Some(question)) =
            (answer.respondent_id, questions.get(&answer.question_id))
        else {
            continue;
        };
        by_person
            .entry(person)
            .or_default()
            .push((question.clone(), answer));
    }
    let registrations = registration::Entity::find()
        .filter(registration::Column::ActivityId.eq(survey.activity_id))
        .filter(registration::Column::UserId.is_in(by_person.keys().copied()))
        .order_by_asc(registration::Column::Id)
        .all(db)
        .await?;
    Ok(registrations
        .into_iter()
        .filter_map(|registration| {
            let mut answers = by_person.remove(&registration.user_id)?;
            answers.sort_by_key(|(question, _)| question.position);
            Some(Response {
                registration,
                answers,
            })
        })
        .collect())
}

/// The scheduler's job: asks every confirmed registrant not asked yet, and reminds, 3 days
/// before the first session, those who have not answered. Both are claimed in the database
/// (a request row per person, `reminded_at` per positioning), so no instance asks twice.
pub async fn send_due(
    db: &DatabaseConnection,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let positionings = survey::Entity::find()
        .filter(survey::Column::Purpose.eq(Purpose::Positioning))
        .all(db)
        .await?;
    let open = still_open(db, positionings.iter().map(|s| s.activity_id), now).await?;
    for survey in positionings {
        if !open.contains(&survey.activity_id) {
            continue;
        }
        let activity = db::get::<activity::Entity>(db, survey.activity_id, "activity").await?;
        // Read first: most ticks find nothing to do and take no write lock.
        let seated = seated_people(db, activity.id).await?;
        let answered =
            questionnaire::answered_among(db, survey.id, seated.iter().map(|p| p.id)).await?;
        let asked: HashSet<i64> = survey_request::Entity::find()
            .filter(survey_request::Column::SurveyId.eq(survey.id))
            .all(db)
            .await?
            .into_iter()
            .map(|r| r.user_id)
            .collect();
        let waiting: Vec<&user::Model> = seated
            .iter()
            .filter(|p| !answered.contains(&p.id))
            .collect();
        let reminder_due = survey.reminded_at.is_none()
            && activity.starts_at - REMINDER_BEFORE <= now
            && now < activity.starts_at;
        if !reminder_due && waiting.iter().all(|p| asked.contains(&p.id)) {
            continue;
        }
        let tx = begin_write(db).await?;
        let reminding = reminder_due && claim_reminder(&tx, &survey, now).await?;
        for person in waiting {
            let asking = claim_request(&tx, &survey, person, now).await?;
            if asking || reminding {
                let kind = if asking {
                    "positioning_invitation"
                } else {
                    "positioning_reminder"
                };
                ask(&tx, mailer, kind, &activity, &survey, person, now).await?;
            }
        }
        tx.commit().await?;
    }
    Ok(())
}

/// The registrants holding a seat.
async fn seated_people(db: &impl ConnectionTrait, activity_id: i64) -> ApiResult<Vec<user::Model>> {
    let seated = registration::Entity::find()
        .filter(registration::Column::ActivityId.eq(activity_id))
        .filter(registration::Column::Status.eq(registration::Status::Confirmed))
        .all(db)
        .await?;
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(seated.iter().map(|r| r.user_id)))
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?)
}

/// Claims the one reminder of `survey`.
async fn claim_reminder(
    db: &impl ConnectionTrait,
    survey: &survey::Model,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let claimed = survey::Entity::update_many()
        .col_expr(survey::Column::RemindedAt, Expr::value(now))
        .filter(survey::Column::Id.eq(survey.id))
        .filter(survey::Column::RemindedAt.is_null())
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Claims asking `person` for the first time.
async fn claim_request(
    db: &impl ConnectionTrait,
    survey: &survey::Model,
    person: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let inserted = survey_request::Entity::insert(survey_request::ActiveModel {
        survey_id: Set(survey.id),
        user_id: Set(person.id),
        asked_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            survey_request::Column::SurveyId,
            survey_request::Column::UserId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(inserted == 1)
}

async fn ask(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    kind: &'static str,
    activity: &activity::Model,
    survey: &survey::Model,
    person: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let locale = mailer.locale_of(person);
    let letter = Letter::new(
        kind,
        Recipient::address_of(person),
        context! {
            name => &person.name,
            activity => &activity.title,
            day => mailer.day(activity.starts_at, locale),
            link => format!("{}/positionings/{}", mailer.public_url, survey.id),
        },
    );
    mailer.send(db, letter, now).await
}
