//! Who may see and act on an organisation: its members see it, its managers and staff see its
//! whole life, a member only what is its own.

use entity::{
    organisation,
    organisation_member::{self, Role},
    user,
};
use sea_orm::ConnectionTrait;

use super::service::membership;
use crate::{
    db,
    error::{ApiError, ApiResult},
    people::policy::is_staff,
};

/// Whether `person` manages organisation `organisation_id`.
pub async fn manages(
    db: &impl ConnectionTrait,
    person: &user::Model,
    organisation_id: i64,
) -> ApiResult<bool> {
    Ok(membership(db, person.id)
        .await?
        .is_some_and(|m| m.organisation_id == organisation_id && m.role == Role::Manager))
}

/// The organisation, for its members and staff; NOT_FOUND for anyone else.
pub async fn visible(
    db: &impl ConnectionTrait,
    id: i64,
    person: &user::Model,
) -> ApiResult<organisation::Model> {
    let member = membership(db, person.id)
        .await?
        .is_some_and(|m| m.organisation_id == id);
    if !(member || is_staff(person)) {
        return Err(ApiError::NotFound("organisation"));
    }
    db::get::<organisation::Entity>(db, id, "organisation").await
}

/// What a person may see of an organisation's life: staff and its managers all of it, a
/// member only what is its own; anyone else nothing (FORBIDDEN).
pub enum Sight {
    Everything,
    Own(i64),
}

pub fn sight(person: &user::Model, members: &[organisation_member::Model]) -> ApiResult<Sight> {
    if is_staff(person) {
        return Ok(Sight::Everything);
    }
    match members.iter().find(|m| m.user_id == person.id) {
        Some(m) if m.role == Role::Manager => Ok(Sight::Everything),
        Some(_) => Ok(Sight::Own(person.id)),
        None => Err(ApiError::Forbidden),
    }
}
