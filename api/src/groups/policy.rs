//! Who may do what in the groups: their members, and the author of a question or staff.

use entity::{
    group::{self, Audience},
    group_member, thread, user,
};
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::{
    error::ApiResult,
    ids::{GroupId, UserId},
    people::policy::{is_owner_or_staff, is_staff},
};

async fn is_custom_member(
    db: &impl ConnectionTrait,
    group: GroupId,
    person: UserId,
) -> ApiResult<bool> {
    Ok(group_member::Entity::find_by_id((group.0, person.0))
        .one(db)
        .await?
        .is_some())
}

pub async fn is_member(
    db: &impl ConnectionTrait,
    group: &group::Model,
    person: &user::Model,
) -> ApiResult<bool> {
    Ok(is_staff(person)
        || match group.audience {
            Audience::Staff => false,
            Audience::StaffAndTrainedPartners => person.trained,
            Audience::Custom => is_custom_member(db, GroupId(group.id), UserId(person.id)).await?,
        })
}

/// The question's author, or staff, chooses its accepted answer.
pub fn may_accept_answer(person: &user::Model, question: &thread::Model) -> bool {
    is_owner_or_staff(person, question.author_id)
}
