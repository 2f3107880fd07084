//! Who may do what with the proof of a training, written once. A trainer is whoever staff
//! assigned to deliver the activity (`activity_trainers`); staff keep every activity's sheets.

use entity::{activity_trainer, user};
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::{
    error::{ApiError, ApiResult},
    people::policy::is_staff,
};

/// Whether `person` delivers the activity `activity_id`.
pub async fn delivers(
    db: &impl ConnectionTrait,
    person: &user::Model,
    activity_id: i64,
) -> ApiResult<bool> {
    Ok(
        activity_trainer::Entity::find_by_id((activity_id, person.id))
            .one(db)
            .await?
            .is_some(),
    )
}

/// Its trainers and staff keep an activity's attendance: they read its sheets, see its
/// registrants' names on them and open the sign-in. FORBIDDEN for anyone else.
pub async fn require_keeps_sheets(
    db: &impl ConnectionTrait,
    person: &user::Model,
    activity_id: i64,
) -> ApiResult<()> {
    if is_staff(person) || delivers(db, person, activity_id).await? {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// [`require_keeps_sheets`] with the activity's trainers already read (a DataLoader reads them
/// once for every half-day of a request).
pub fn require_keeps_sheets_of(
    person: &user::Model,
    trainers: &[activity_trainer::Model],
) -> ApiResult<()> {
    if is_staff(person) || trainers.iter().any(|t| t.user_id == person.id) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// Only its trainers sign a sheet as its trainer. FORBIDDEN for anyone else, staff included.
pub async fn require_delivers(
    db: &impl ConnectionTrait,
    person: &user::Model,
    activity_id: i64,
) -> ApiResult<()> {
    if delivers(db, person, activity_id).await? {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}
