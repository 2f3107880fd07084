//! Assessments: a partner answers every question of the current diagnostic version once; the
//! assessment belongs to its organisation (or to itself without one), is dated and never
//! changes. The network's average per axis counts the latest assessment of each organisation
//! that a trained person belongs to, shows only from five organisations up, and moves only
//! when five organisations changed, so no one's score can be read back, by throw-away
//! accounts or by comparing two readings.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    activity, activity_axis, assessment, assessment_answer, assessment_score, diagnostic_axis, user,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};

use crate::{
    activities::policy,
    db::{begin_write, statement},
    diagnostics::service::{self as diagnostics, Version},
    error::{ApiError, ApiResult},
    organisations::service::membership,
    people::policy::is_staff,
};

/// Below this many organisations, the network's averages stay hidden.
pub const ANONYMITY_FLOOR: i64 = 5;
/// How many activities an assessment recommends at most.
pub const RECOMMENDATIONS: u64 = 10;

/// Who an assessment is about: an organisation, or a partner without one.
#[derive(Clone, Copy)]
pub enum Subject {
    Organisation(i64),
    Person(i64),
}

impl Subject {
    pub async fn of(db: &impl ConnectionTrait, person: &user::Model) -> ApiResult<Self> {
        Ok(match membership(db, person.id).await? {
            Some(member) => Self::Organisation(member.organisation_id),
            None => Self::Person(person.id),
        })
    }

    fn condition(self) -> Condition {
        match self {
            Self::Organisation(id) => {
                Condition::all().add(assessment::Column::OrganisationId.eq(id))
            }
            Self::Person(id) => Condition::all()
                .add(assessment::Column::OrganisationId.is_null())
                .add(assessment::Column::UserId.eq(id)),
        }
    }
}

/// Answers every question of the current version, once each: anything missing, foreign or
/// repeated is BAD_USER_INPUT naming the question.
pub async fn submit(
    db: &DatabaseConnection,
    person: &user::Model,
    diagnostic_id: i64,
    answers: Vec<(i64, i64)>,
    now: DateTime<Utc>,
) -> ApiResult<assessment::Model> {
    if is_staff(person) {
        return Err(ApiError::Forbidden);
    }
    let version = diagnostics::current(db)
        .await?
        .ok_or(ApiError::NotFound("diagnostic"))?;
    if version.diagnostic.id != diagnostic_id {
        return Err(ApiError::conflict(
            "a newer version of the diagnostic is published: answer that one",
        ));
    }
    let chosen = checked_answers(&version, answers)?;
    let (axis_scores, overall) = diagnostics::score(&version, &chosen);
    let tx = begin_write(db).await?;
    let organisation_id = match Subject::of(&tx, person).await? {
        Subject::Organisation(id) => Some(id),
        Subject::Person(_) => None,
    };
    let saved = assessment::ActiveModel {
        diagnostic_id: Set(version.diagnostic.id),
        organisation_id: Set(organisation_id),
        user_id: Set(person.id),
        taken_at: Set(now),
        score: Set(overall),
        published: Set(false),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    for (axis_id, score) in axis_scores {
        assessment_score::ActiveModel {
            assessment_id: Set(saved.id),
            axis_id: Set(axis_id),
            score: Set(score),
        }
        .insert(&tx)
        .await?;
    }
    for (question_id, option_id) in chosen {
        assessment_answer::ActiveModel {
            assessment_id: Set(saved.id),
            question_id: Set(question_id),
            option_id: Set(option_id),
        }
        .insert(&tx)
        .await?;
    }
    tx.commit().await?;
    Ok(saved)
}

/// The latest assessment of each organisation (or partner without one) that counts in the
/// network: one a person staff vouched for took part in — a trained member, trained by
/// attending the programme or marked so by staff. Throw-away accounts, with or without an
/// organisation of their own, count for nothing.
const COUNTED: &str = "SELECT a.id AS id, COALESCE(a.organisation_id, -a.user_id) AS subject \
     FROM assessments a \
     WHERE a.id IN (SELECT MAX(id) FROM assessments WHERE diagnostic_id = ? \
                    GROUP BY COALESCE(organisation_id, -user_id)) \
       AND EXISTS (SELECT 1 FROM users u WHERE u.trained AND u.deleted_at IS NULL \
                   AND ((a.organisation_id IS NULL AND u.id = a.user_id) \
                        OR u.id IN (SELECT m.user_id FROM organisation_members m \
                                    WHERE m.organisation_id = a.organisation_id)))";

/// Moves the network's averages to the assessments [`COUNTED`] now, but only once at least
/// [`ANONYMITY_FLOOR`] organisations changed since they last moved (a new assessment, a
/// newer one, one that no longer counts): comparing two readings then isolates a group of
/// five, never one organisation's score.
async fn republish(db: &impl ConnectionTrait, diagnostic_id: i64) -> ApiResult<()> {
    let backend = db.get_database_backend();
    let subjects = |rows: Vec<sea_orm::QueryResult>| -> ApiResult<HashMap<i64, i64>> {
        rows.iter()
            .map(|row| Ok((row.try_get("", "subject")?, row.try_get("", "id")?)))
            .collect()
    };
    let counted = subjects(
        db.query_all_raw(statement(backend, COUNTED, [diagnostic_id.into()]))
            .await?,
    )?;
    let published = subjects(
        db.query_all_raw(statement(
            backend,
            "SELECT id, COALESCE(organisation_id, -user_id) AS subject FROM assessments \
             WHERE published AND diagnostic_id = ?",
            [diagnostic_id.into()],
        ))
        .await?,
    )?;
    let changed = counted
        .iter()
        .filter(|(subject, id)| published.get(subject) != Some(id))
        .count()
        + published
            .keys()
            .filter(|subject| !counted.contains_key(subject))
            .count();
    if i64::try_from(changed).unwrap_or(i64::MAX) < ANONYMITY_FLOOR {
        return Ok(());
    }
    assessment::Entity::update_many()
        .col_expr(assessment::Column::Published, Expr::value(false))
        .filter(assessment::Column::DiagnosticId.eq(diagnostic_id))
        .filter(assessment::Column::Published.eq(true))
        .exec(db)
        .await?;
    assessment::Entity::update_many()
        .col_expr(assessment::Column::Published, Expr::value(true))
        .filter(assessment::Column::Id.is_in(counted.into_values()))
        .exec(db)
        .await?;
    Ok(())
}

fn checked_answers(version: &Version, answers: Vec<(i64, i64)>) -> ApiResult<HashMap<i64, i64>> {
    let options: HashMap<i64, i64> = version
        .options
        .iter()
        .map(|o| (o.id, o.question_id))
        .collect();
    let questions: HashSet<i64> = version.questions.iter().map(|q| q.id).collect();
    let mut chosen = HashMap::new();
    for (index, (question_id, option_id)) in answers.into_iter().enumerate() {
        if !questions.contains(&question_id) {
            return Err(ApiError::bad_input(
                format!("answers[{index}].questionId"),
                format!("question {question_id} is not in this version"),
            ));
        }
        if options.get(&option_id) != Some(&question_id) {
            return Err(ApiError::bad_input(
                format!("answers[{index}].optionId"),
                format!("not an option of question {question_id}"),
            ));
        }
        if chosen.insert(question_id, option_id).is_some() {
            return Err(ApiError::bad_input(
                format!("answers[{index}].questionId"),
                format!("question {question_id} is answered twice"),
            ));
        }
    }
    if let Some(missing) = version
        .questions
        .iter()
        .find(|q| !chosen.contains_key(&q.id))
    {
        return Err(ApiError::bad_input(
            "answers",
            format!(
                "question {} (\"{}\") is not answered",
                missing.id, missing.text
            ),
        ));
    }
    Ok(chosen)
}

/// The subject's assessments, oldest first.
pub async fn history(
    db: &impl ConnectionTrait,
    subject: Subject,
) -> ApiResult<Vec<assessment::Model>> {
    Ok(assessment::Entity::find()
        .filter(subject.condition())
        .order_by_asc(assessment::Column::TakenAt)
        .order_by_asc(assessment::Column::Id)
        .all(db)
        .await?)
}

pub async fn axis_scores(
    db: &impl ConnectionTrait,
    assessment_id: i64,
) -> ApiResult<Vec<(diagnostic_axis::Model, f64)>> {
    let scores = assessment_score::Entity::find()
        .filter(assessment_score::Column::AssessmentId.eq(assessment_id))
        .all(db)
        .await?;
    let mut axes = diagnostic_axis::Entity::find()
        .filter(diagnostic_axis::Column::Id.is_in(scores.iter().map(|s| s.axis_id)))
        .order_by_asc(diagnostic_axis::Column::Position)
        .all(db)
        .await?;
    Ok(axes
        .drain(..)
        .filter_map(|axis| {
            let score = scores.iter().find(|s| s.axis_id == axis.id)?.score;
            Some((axis, score))
        })
        .collect())
}

/// Upcoming published activities `person` may join, tagged with one of the two weakest axes
/// of the assessment (by axis name, so tags on earlier versions count), soonest first.
pub async fn recommendations(
    db: &impl ConnectionTrait,
    assessment_id: i64,
    person: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<Vec<activity::Model>> {
    let mut scores = axis_scores(db, assessment_id).await?;
    scores.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.position.cmp(&b.0.position)));
    let weakest: Vec<String> = scores.into_iter().take(2).map(|(a, _)| a.name).collect();
    let axes: Vec<i64> = diagnostic_axis::Entity::find()
        .filter(diagnostic_axis::Column::Name.is_in(weakest))
        .select_only()
        .column(diagnostic_axis::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let tagged: Vec<i64> = activity_axis::Entity::find()
        .filter(activity_axis::Column::AxisId.is_in(axes))
        .select_only()
        .column(activity_axis::Column::ActivityId)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    Ok(activity::Entity::find()
        .filter(activity::Column::Id.is_in(tagged))
        .filter(activity::Column::Status.eq(activity::Status::Published))
        .filter(activity::Column::StartsAt.gt(now))
        .order_by_asc(activity::Column::StartsAt)
        .order_by_asc(activity::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|a| policy::in_audience(a, person) && a.registration_closes_at() > now)
        .take(usize::try_from(RECOMMENDATIONS).unwrap_or(usize::MAX))
        .collect())
}

/// The network on one axis: how many organisations count, and their average when they are
/// enough to hide each one.
pub struct NetworkAxis {
    pub axis: diagnostic_axis::Model,
    pub average: Option<f64>,
    pub organisations: i64,
}

/// Per axis of the current version, over the assessments last published ([`republish`]):
/// one aggregate statement.
pub async fn network(db: &DatabaseConnection) -> ApiResult<Vec<NetworkAxis>> {
    let Some(version) = diagnostics::current(db).await? else {
        return Ok(Vec::new());
    };
    // Whatever changed — an assessment, a person trained, a member gone — moves the averages
    // when it is read, under the write lock, so that two readers agree on one publication.
    let tx = begin_write(db).await?;
    republish(&tx, version.diagnostic.id).await?;
    let backend = tx.get_database_backend();
    let sql = "SELECT s.axis_id AS axis_id, CAST(AVG(s.score) AS DOUBLE PRECISION) AS average, \
               COUNT(*) AS organisations \
               FROM assessment_scores s JOIN assessments a ON a.id = s.assessment_id \
               WHERE a.published AND a.diagnostic_id = ? \
               GROUP BY s.axis_id";
    let rows = tx
        .query_all_raw(statement(backend, sql, [version.diagnostic.id.into()]))
        .await?;
    tx.commit().await?;
    let mut found: HashMap<i64, (f64, i64)> = HashMap::new();
    for row in rows {
        found.insert(
            row.try_get("", "axis_id")?,
            (
                row.try_get("", "average")?,
                row.try_get("", "organisations")?,
            ),
        );
    }
    Ok(version
        .axes
        .into_iter()
        .map(|axis| {
            let (average, organisations) = found.get(&axis.id).copied().unwrap_or((0.0, 0));
            NetworkAxis {
                axis,
                average: (organisations >= ANONYMITY_FLOOR).then_some(average),
                organisations,
            }
        })
        .collect())
}
