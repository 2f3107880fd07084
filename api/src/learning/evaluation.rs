//! Evaluation at the end of a training: from the last session's start, a trainer or staff
//! records, per trainee, each programme objective as ACQUIRED, IN_PROGRESS or NOT_ACQUIRED.
//! Recording again replaces the judgement of the objectives given. The certificate prints the
//! results (the French labour code asks it to when an evaluation was planned).

use chrono::{DateTime, Utc};
use entity::{
    evaluation::{self, Mastery},
    registration, session, user,
};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, sea_query::OnConflict};

use crate::{
    db::begin_write,
    error::{ApiError, ApiResult},
    training::{policy, programme},
};

/// One objective's judgement: its index in the programme's objectives (from 0).
pub struct Judgement {
    pub objective: i32,
    pub mastery: Mastery,
}

/// Records `results` for registration `registration_id`, by one of its activity's trainers
/// or staff, once the last session has started.
pub async fn record(
    db: &DatabaseConnection,
    registration_id: i64,
    results: &[Judgement],
    by: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<registration::Model> {
    let tx = begin_write(db).await?;
    let registration =
        crate::db::get::<registration::Entity>(&tx, registration_id, "registration").await?;
    policy::require_keeps_sheets(&tx, by, registration.activity_id).await?;
    if registration.status != registration::Status::Confirmed {
        return Err(ApiError::conflict("only a confirmed trainee is evaluated"));
    }
    let Some(programme) = programme::of(&tx, registration.activity_id).await? else {
        return Err(ApiError::conflict(
            "the activity has no programme: its objectives are what is evaluated",
        ));
    };
    let objectives = programme::objectives(&programme).len();
    let last_start = session::of_activity(registration.activity_id)
        .all(&tx)
        .await?
        .iter()
        .map(|s| s.starts_at)
        .max();
    if last_start.is_none_or(|start| now < start) {
        return Err(ApiError::conflict(
            "a trainee is evaluated from the start of the last session",
        ));
    }
    if results.is_empty() {
        return Err(ApiError::bad_input(
            "results",
            "give at least one objective",
        ));
    }
    for (index, judgement) in results.iter().enumerate() {
        if usize::try_from(judgement.objective).map_or(true, |objective| objective >= objectives) {
            return Err(ApiError::bad_input(
                format!("results[{index}].objective"),
                format!(
                    "the programme has objectives 0 to {}",
                    objectives.saturating_sub(1)
                ),
            ));
        }
    }
    for judgement in results {
        evaluation::Entity::insert(evaluation::ActiveModel {
            registration_id: Set(registration.id),
            objective: Set(judgement.objective),
            mastery: Set(judgement.mastery),
            recorded_by: Set(by.id),
            recorded_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                evaluation::Column::RegistrationId,
                evaluation::Column::Objective,
            ])
            .update_columns([
                evaluation::Column::Mastery,
                evaluation::Column::RecordedBy,
                evaluation::Column::RecordedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(&tx)
        .await?;
    }
    tx.commit().await?;
    Ok(registration)
}
