//! Who delivers an activity: staff assign staff or TRAINER accounts (several allowed), and a
//! trainer finds the activities it delivers.

use chrono::{DateTime, Utc};
use entity::{
    activity, activity_trainer,
    user::{self, Role},
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Select,
    sea_query::OnConflict,
};

use crate::{
    activities,
    audit::{self, Action},
    db::begin_write,
    error::{ApiError, ApiResult},
    people::{self, Staff},
};

/// Staff assign `user_id` to deliver an activity they see; assigning again changes nothing.
/// Only staff and TRAINER accounts deliver (BAD_USER_INPUT for anyone else).
pub async fn assign(
    db: &DatabaseConnection,
    activity_id: i64,
    user_id: i64,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<activity::Model> {
    let tx = begin_write(db).await?;
    let activity = activities::service::get_visible(&tx, activity_id, by.person()).await?;
    let person = people::service::get(&tx, user_id).await?;
    if person.deleted_at.is_some() {
        return Err(ApiError::NotFound("user"));
    }
    if !(person.role.is_staff() || person.role == Role::Trainer) {
        return Err(ApiError::bad_input(
            "userId",
            "only staff and TRAINER accounts deliver activities",
        ));
    }
    let written = activity_trainer::Entity::insert(activity_trainer::ActiveModel {
        activity_id: Set(activity.id),
        user_id: Set(person.id),
        assigned_by: Set(by.person().id),
        assigned_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            activity_trainer::Column::ActivityId,
            activity_trainer::Column::UserId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&tx)
    .await?;
    if written == 1 {
        audit::record(
            &tx,
            by.person(),
            Action::TrainerAssigned,
            [activity.id],
            Some(&format!("user {}", person.id)),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(activity)
}

/// The activities `person` delivers, soonest first.
pub fn delivered_by(person: &user::Model) -> Select<activity::Entity> {
    activity::Entity::find().filter(
        activity::Column::Id.in_subquery(
            sea_orm::sea_query::Query::select()
                .column(activity_trainer::Column::ActivityId)
                .from(activity_trainer::Entity)
                .and_where(activity_trainer::Column::UserId.eq(person.id))
                .to_owned(),
        ),
    )
}
