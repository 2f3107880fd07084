//! A private calendar feed (`GET /calendar/{secret}.ics`, `http::calendar_feed`) of the sessions of a person's
//! confirmed registrations, so partners subscribe once in their calendar app. The secret is
//! the credential; resetting it revokes the old URL.

use std::collections::HashMap;

use entity::{activity, registration, session, user};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};

use crate::{
    error::{ApiError, ApiResult},
    mail::calendar,
    state::AppState,
};

/// Gives `user` a new feed secret (the old URL stops working) and returns it.
pub async fn reset(db: &DatabaseConnection, person: &user::Model) -> ApiResult<String> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    let mut active: user::ActiveModel = person.clone().into();
    active.calendar_secret = Set(Some(secret.clone()));
    active.update(db).await?;
    Ok(secret)
}

pub async fn revoke(db: &DatabaseConnection, person: &user::Model) -> ApiResult<()> {
    let mut active: user::ActiveModel = person.clone().into();
    active.calendar_secret = Set(None);
    active.update(db).await?;
    Ok(())
}

/// The feed behind `secret`: the iCalendar text of the person's confirmed sessions.
pub async fn feed(state: &AppState, secret: &str) -> ApiResult<String> {
    if secret.len() != 64 {
        return Err(ApiError::NotFound("calendar"));
    }
    let person = user::Entity::find()
        .filter(user::Column::CalendarSecret.eq(secret))
        .one(&state.db)
        .await?
        .ok_or(ApiError::NotFound("calendar"))?;
    let activities: Vec<activity::Model> = registration::Entity::find()
        .find_also_related(activity::Entity)
        .filter(registration::Column::UserId.eq(person.id))
        .filter(registration::Column::Status.eq(registration::Status::Confirmed))
        .filter(
            activity::Column::Status
                .is_in([activity::Status::Published, activity::Status::Completed]),
        )
        .all(&state.db)
        .await?
        .into_iter()
        .filter_map(|(_, activity)| activity)
        .collect();
    let mut sessions: HashMap<i64, Vec<session::Model>> = HashMap::new();
    for session in session::Entity::find()
        .filter(session::Column::ActivityId.is_in(activities.iter().map(|a| a.id)))
        .order_by_asc(session::Column::StartsAt)
        .all(&state.db)
        .await?
    {
        sessions
            .entry(session.activity_id)
            .or_default()
            .push(session);
    }
    let entries: Vec<_> = activities
        .into_iter()
        .map(|a| {
            let own = sessions.remove(&a.id).unwrap_or_default();
            (a, own)
        })
        .collect();
    Ok(calendar::feed("Klub", &entries, &state.mailer.host))
}
