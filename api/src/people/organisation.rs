//! The organisation a person is known by: the organisation it is a member of, or else the
//! free text it gave when it signed up (people registered before organisations existed).

use std::collections::HashMap;

use entity::{organisation, organisation_member, user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::error::ApiResult;

/// The name each of `people` is known by, for those who have one (two statements).
pub async fn names(
    db: &impl ConnectionTrait,
    people: &[&user::Model],
) -> ApiResult<HashMap<i64, String>> {
    let memberships = organisation_member::Entity::find()
        .filter(organisation_member::Column::UserId.is_in(people.iter().map(|p| p.id)))
        .all(db)
        .await?;
    let organisations: HashMap<i64, String> = organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(memberships.iter().map(|m| m.organisation_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let member_of: HashMap<i64, &String> = memberships
        .iter()
        .filter_map(|m| Some((m.user_id, organisations.get(&m.organisation_id)?)))
        .collect();
    Ok(people
        .iter()
        .filter_map(|p| {
            let name = member_of
                .get(&p.id)
                .map(|name| (*name).clone())
                .or_else(|| p.organisation.clone())?;
            Some((p.id, name))
        })
        .collect())
}
