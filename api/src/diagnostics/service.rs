//! Publishing versions of the diagnostic, scoring answers, tagging activities.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    activity, activity_axis, diagnostic, diagnostic_axis, diagnostic_option, diagnostic_question,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::{
    db::{self, begin_write},
    error::{ApiError, ApiResult},
    people::Staff,
    validation::required_text,
};

pub const MAX_POINTS: i32 = 4;

pub struct OptionDraft {
    pub label: String,
    pub points: i32,
}

pub struct QuestionDraft {
    pub text: String,
    pub options: Vec<OptionDraft>,
}

pub struct AxisDraft {
    pub name: String,
    pub questions: Vec<QuestionDraft>,
}

/// A version with everything in it, in order.
pub struct Version {
    pub diagnostic: diagnostic::Model,
    pub axes: Vec<diagnostic_axis::Model>,
    pub questions: Vec<diagnostic_question::Model>,
    pub options: Vec<diagnostic_option::Model>,
}

fn position(index: usize) -> i32 {
    i32::try_from(index).unwrap_or(i32::MAX)
}

fn count_between(field: &str, len: usize, min: usize, max: usize) -> ApiResult<()> {
    if (min..=max).contains(&len) {
        Ok(())
    } else {
        Err(ApiError::bad_input(
            field,
            format!("{min} to {max} of them"),
        ))
    }
}

/// Publishes a new version: it becomes the current one; earlier assessments keep theirs.
pub async fn publish(
    db: &DatabaseConnection,
    title: String,
    axes: Vec<AxisDraft>,
    _by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<Version> {
    let title = required_text("title", title, 200)?;
    count_between("axes", axes.len(), 1, 12)?;
    for (a, axis) in axes.iter().enumerate() {
        count_between(&format!("axes[{a}].questions"), axis.questions.len(), 1, 20)?;
        for (q, question) in axis.questions.iter().enumerate() {
            let field = format!("axes[{a}].questions[{q}].options");
            count_between(&field, question.options.len(), 2, 6)?;
            if let Some(o) = question
                .options
                .iter()
                .position(|o| !(0..=MAX_POINTS).contains(&o.points))
            {
                return Err(ApiError::bad_input(
                    format!("{field}[{o}].points"),
                    format!("between 0 and {MAX_POINTS}"),
                ));
            }
            if question.options.iter().all(|o| o.points == 0) {
                return Err(ApiError::bad_input(
                    field,
                    "one option at least is worth points",
                ));
            }
        }
    }
    let tx = begin_write(db).await?;
    let latest = diagnostic::Entity::find()
        .order_by_desc(diagnostic::Column::Version)
        .one(&tx)
        .await?;
    let diagnostic = diagnostic::ActiveModel {
        version: Set(latest.map_or(1, |d| d.version + 1)),
        title: Set(title),
        published_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    for (a, axis) in axes.into_iter().enumerate() {
        let saved_axis = diagnostic_axis::ActiveModel {
            diagnostic_id: Set(diagnostic.id),
            position: Set(position(a)),
            name: Set(required_text(&format!("axes[{a}].name"), axis.name, 100)?),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
        for (q, question) in axis.questions.into_iter().enumerate() {
            let field = format!("axes[{a}].questions[{q}]");
            let saved_question = diagnostic_question::ActiveModel {
                axis_id: Set(saved_axis.id),
                position: Set(position(q)),
                text: Set(required_text(&format!("{field}.text"), question.text, 500)?),
                ..Default::default()
            }
            .insert(&tx)
            .await?;
            for (o, option) in question.options.into_iter().enumerate() {
                diagnostic_option::ActiveModel {
                    question_id: Set(saved_question.id),
                    position: Set(position(o)),
                    label: Set(required_text(
                        &format!("{field}.options[{o}].label"),
                        option.label,
                        200,
                    )?),
                    points: Set(option.points),
                    ..Default::default()
                }
                .insert(&tx)
                .await?;
            }
        }
    }
    let version = load(&tx, diagnostic).await?;
    tx.commit().await?;
    Ok(version)
}

/// The questions of `axes` and their options, in order.
pub async fn questions_of(
    db: &impl ConnectionTrait,
    axes: impl IntoIterator<Item = i64>,
) -> ApiResult<(
    Vec<diagnostic_question::Model>,
    Vec<diagnostic_option::Model>,
)> {
    let questions = diagnostic_question::Entity::find()
        .filter(diagnostic_question::Column::AxisId.is_in(axes))
        .order_by_asc(diagnostic_question::Column::Position)
        .all(db)
        .await?;
    let options = diagnostic_option::Entity::find()
        .filter(diagnostic_option::Column::QuestionId.is_in(questions.iter().map(|q| q.id)))
        .order_by_asc(diagnostic_option::Column::Position)
        .all(db)
        .await?;
    Ok((questions, options))
}

async fn load(db: &impl ConnectionTrait, diagnostic: diagnostic::Model) -> ApiResult<Version> {
    let axes = diagnostic_axis::Entity::find()
        .filter(diagnostic_axis::Column::DiagnosticId.eq(diagnostic.id))
        .order_by_asc(diagnostic_axis::Column::Position)
        .all(db)
        .await?;
    let (questions, options) = questions_of(db, axes.iter().map(|a| a.id)).await?;
    Ok(Version {
        diagnostic,
        axes,
        questions,
        options,
    })
}

/// The current version (the highest), if one was published.
pub async fn current(db: &impl ConnectionTrait) -> ApiResult<Option<Version>> {
    match diagnostic::Entity::find()
        .order_by_desc(diagnostic::Column::Version)
        .one(db)
        .await?
    {
        Some(diagnostic) => Ok(Some(load(db, diagnostic).await?)),
        None => Ok(None),
    }
}

pub async fn version(db: &impl ConnectionTrait, id: i64) -> ApiResult<Version> {
    let diagnostic = db::get::<diagnostic::Entity>(db, id, "diagnostic").await?;
    load(db, diagnostic).await
}

/// Scores 0..100 per axis (points over the most possible) and overall (the mean of the
/// axes), for `chosen`: question id → option id, one per question of the version.
pub fn score(version: &Version, chosen: &HashMap<i64, i64>) -> (Vec<(i64, f64)>, f64) {
    let points: HashMap<i64, i32> = version.options.iter().map(|o| (o.id, o.points)).collect();
    let axis_scores: Vec<(i64, f64)> = version
        .axes
        .iter()
        .map(|axis| {
            let (mut got, mut most) = (0, 0);
            for question in version.questions.iter().filter(|q| q.axis_id == axis.id) {
                most += version
                    .options
                    .iter()
                    .filter(|o| o.question_id == question.id)
                    .map(|o| o.points)
                    .max()
                    .unwrap_or(0);
                got += chosen
                    .get(&question.id)
                    .and_then(|option| points.get(option))
                    .copied()
                    .unwrap_or(0);
            }
            let score = if most == 0 {
                0.0
            } else {
                100.0 * f64::from(got) / f64::from(most)
            };
            (axis.id, score)
        })
        .collect();
    let overall = if axis_scores.is_empty() {
        0.0
    } else {
        axis_scores.iter().map(|(_, s)| s).sum::<f64>()
            / crate::numbers::real_len(axis_scores.len())
    };
    (axis_scores, overall)
}

/// Staff say which axes an activity works on (replacing what it had).
pub async fn tag_activity(
    db: &DatabaseConnection,
    activity_id: i64,
    axis_ids: Vec<i64>,
    _by: Staff<'_>,
) -> ApiResult<activity::Model> {
    let tx = begin_write(db).await?;
    let activity = db::get::<activity::Entity>(&tx, activity_id, "activity").await?;
    let wanted: HashSet<i64> = axis_ids.into_iter().collect();
    let found: HashSet<i64> = diagnostic_axis::Entity::find()
        .filter(diagnostic_axis::Column::Id.is_in(wanted.iter().copied()))
        .select_only()
        .column(diagnostic_axis::Column::Id)
        .into_tuple::<i64>()
        .all(&tx)
        .await?
        .into_iter()
        .collect();
    if let Some(missing) = wanted.difference(&found).next() {
        return Err(ApiError::bad_input(
            "axisIds",
            format!("{missing} is not an axis"),
        ));
    }
    activity_axis::Entity::delete_many()
        .filter(activity_axis::Column::ActivityId.eq(activity.id))
        .exec(&tx)
        .await?;
    for axis_id in wanted {
        activity_axis::ActiveModel {
            activity_id: Set(activity.id),
            axis_id: Set(axis_id),
        }
        .insert(&tx)
        .await?;
    }
    tx.commit().await?;
    Ok(activity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_axis_scores_its_points_over_the_most_possible() {
        let at = chrono::Utc::now();
        let version = Version {
            diagnostic: diagnostic::Model {
                id: 1,
                version: 1,
                title: "SNUT".into(),
                published_at: at,
            },
            axes: vec![
                diagnostic_axis::Model {
                    id: 10,
                    diagnostic_id: 1,
                    position: 0,
                    name: "Site".into(),
                },
                diagnostic_axis::Model {
                    id: 11,
                    diagnostic_id: 1,
                    position: 1,
                    name: "Avis".into(),
                },
            ],
            questions: vec![
                diagnostic_question::Model {
                    id: 20,
                    axis_id: 10,
                    position: 0,
                    text: "a".into(),
                },
                diagnostic_question::Model {
                    id: 21,
                    axis_id: 10,
                    position: 1,
                    text: "b".into(),
                },
                diagnostic_question::Model {
                    id: 22,
                    axis_id: 11,
                    position: 0,
                    text: "c".into(),
                },
            ],
            options: [
                (30, 20, 0),
                (31, 20, 4),
                (32, 21, 1),
                (33, 21, 2),
                (34, 22, 0),
                (35, 22, 3),
            ]
            .into_iter()
            .map(|(id, question_id, points)| diagnostic_option::Model {
                id,
                question_id,
                position: 0,
                label: "x".into(),
                points,
            })
            .collect(),
        };
        let chosen = HashMap::from([(20, 31), (21, 32), (22, 34)]);
        let (axes, overall) = score(&version, &chosen);
        assert_eq!(axes, vec![(10, 500.0 / 6.0), (11, 0.0)]);
        assert!((overall - 250.0 / 6.0).abs() < 1e-9);
    }
}
