//! The programme of a training, as a training body must publish it (in France, for funded
//! trainings and Qualiopi): objectives, prerequisites, audience, methods, how learning is
//! evaluated, whom a person with a disability contacts, and the duration.

use chrono::{DateTime, Utc};
use entity::{activity, session, training_programme};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, sea_query::OnConflict};

use crate::{
    activities,
    config::Locale,
    error::{ApiError, ApiResult},
    numbers::{real, whole},
    pdf::{self, Line},
    people::Staff,
    validation::{optional_paragraph, required_paragraph, required_text},
};

pub const MAX_OBJECTIVES: usize = 12;
const MAX_OBJECTIVE_CHARS: usize = 300;
const MAX_PARAGRAPH_CHARS: usize = 2_000;
/// A programme longer than this is a typing error, not a training.
const MAX_DURATION_HOURS: f64 = 2_000.0;

/// A programme as staff write it.
pub struct ProgrammeDraft {
    pub objectives: Vec<String>,
    pub prerequisites: Option<String>,
    pub audience: Option<String>,
    pub methods: String,
    pub evaluation: String,
    pub accessibility: String,
    /// `None`: the sessions' total.
    pub duration_hours: Option<f64>,
}

/// Staff set (or replace) the programme of an activity they see.
pub async fn set(
    db: &impl ConnectionTrait,
    activity_id: i64,
    draft: ProgrammeDraft,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<training_programme::Model> {
    activities::service::get_visible(db, activity_id, by.person()).await?;
    let row = checked(draft, activity_id, now)?;
    training_programme::Entity::insert(row)
        .on_conflict(
            OnConflict::column(training_programme::Column::ActivityId)
                .update_columns([
                    training_programme::Column::Objectives,
                    training_programme::Column::Prerequisites,
                    training_programme::Column::Audience,
                    training_programme::Column::Methods,
                    training_programme::Column::Evaluation,
                    training_programme::Column::Accessibility,
                    training_programme::Column::DurationMinutes,
                    training_programme::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    of(db, activity_id)
        .await?
        .ok_or(ApiError::NotFound("programme"))
}

fn checked(
    draft: ProgrammeDraft,
    activity_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<training_programme::ActiveModel> {
    if draft.objectives.is_empty() || draft.objectives.len() > MAX_OBJECTIVES {
        return Err(ApiError::bad_input(
            "objectives",
            format!("give 1 to {MAX_OBJECTIVES} objectives"),
        ));
    }
    let objectives = draft
        .objectives
        .into_iter()
        .enumerate()
        .map(|(i, text)| required_text(&format!("objectives[{i}]"), text, MAX_OBJECTIVE_CHARS))
        .collect::<ApiResult<Vec<_>>>()?;
    let duration_minutes = match draft.duration_hours {
        None => None,
        Some(hours) if hours > 0.0 && hours <= MAX_DURATION_HOURS => {
            whole(hours * 60.0).and_then(|minutes| i32::try_from(minutes).ok())
        }
        Some(_) => {
            return Err(ApiError::bad_input(
                "durationHours",
                format!("must be more than 0 and at most {MAX_DURATION_HOURS}"),
            ));
        }
    };
    let paragraph = |field: &str, text| required_paragraph(field, text, MAX_PARAGRAPH_CHARS);
    let optional = |field: &str, text| optional_paragraph(field, text, MAX_PARAGRAPH_CHARS);
    Ok(training_programme::ActiveModel {
        activity_id: Set(activity_id),
        objectives: Set(objectives.join("\n")),
        prerequisites: Set(optional("prerequisites", draft.prerequisites)?),
        audience: Set(optional("audience", draft.audience)?),
        methods: Set(paragraph("methods", draft.methods)?),
        evaluation: Set(paragraph("evaluation", draft.evaluation)?),
        accessibility: Set(paragraph("accessibility", draft.accessibility)?),
        duration_minutes: Set(duration_minutes),
        updated_at: Set(now),
    })
}

pub async fn of(
    db: &impl ConnectionTrait,
    activity_id: i64,
) -> ApiResult<Option<training_programme::Model>> {
    Ok(training_programme::Entity::find_by_id(activity_id)
        .one(db)
        .await?)
}

pub fn objectives(programme: &training_programme::Model) -> Vec<&str> {
    programme.objectives.lines().collect()
}

/// The duration in hours: as written, or else the sessions' total.
pub fn duration_hours(programme: &training_programme::Model, sessions: &[session::Model]) -> f64 {
    let minutes = programme.duration_minutes.map_or_else(
        || {
            sessions
                .iter()
                .map(|s| (s.ends_at - s.starts_at).num_minutes())
                .sum::<i64>()
        },
        i64::from,
    );
    real(minutes) / 60.0
}

/// The programme as a PDF: French first (a French legal document), English where the reader
/// chose it.
pub fn document(
    office: &str,
    activity: &activity::Model,
    programme: &training_programme::Model,
    sessions: &[session::Model],
    locale: Locale,
) -> ApiResult<Vec<u8>> {
    let fr = locale == Locale::Fr;
    let label = |fr_text: &'static str, en_text: &'static str| if fr { fr_text } else { en_text };
    let mut lines = vec![
        Line::title(20.0, office),
        Line::title(
            16.0,
            format!(
                "{} « {} »",
                label("Programme de la formation", "Training programme"),
                activity.title
            ),
        ),
        Line::blank(),
        Line::title(13.0, label("Objectifs", "Objectives")),
    ];
    lines.extend(
        objectives(programme)
            .into_iter()
            .map(|objective| Line::text(11.0, format!("• {objective}"))),
    );
    let sections = [
        (
            label("Prérequis", "Prerequisites"),
            programme.prerequisites.as_deref(),
        ),
        (label("Public", "Audience"), programme.audience.as_deref()),
        (
            label("Méthodes pédagogiques", "Methods"),
            Some(programme.methods.as_str()),
        ),
        (
            label("Évaluation", "Evaluation"),
            Some(programme.evaluation.as_str()),
        ),
        (
            label("Accessibilité", "Accessibility"),
            Some(programme.accessibility.as_str()),
        ),
    ];
    for (title, text) in sections {
        let Some(text) = text else { continue };
        lines.push(Line::blank());
        lines.push(Line::title(13.0, title));
        lines.extend(text.lines().map(|line| Line::text(11.0, line)));
    }
    lines.push(Line::blank());
    lines.push(Line::title(
        13.0,
        format!(
            "{} {} h",
            label("Durée :", "Duration:"),
            duration_hours(programme, sessions)
        ),
    ));
    pdf::render(
        format!("{} {}", label("Programme", "Programme"), activity.title),
        office.to_owned(),
        &lines,
    )
}
