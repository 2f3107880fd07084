//! Sharing, tagging and withdrawing photos; the register; what an account's deletion removes.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::{
    activity, audit_event::Action, consent_text::Purpose, photo, photo_person, registration, user,
};
use rand::distr::{Alphanumeric, SampleString};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
    sea_query::Query,
};

use super::{
    MAX_CAPTION_CHARS, MAX_CREDIT_CHARS, Rights, Use, join_uses, picture, policy, rights_allow,
};
use crate::{
    audit, consents,
    db::{self, begin_write},
    error::{ApiError, ApiResult},
    heavy,
    people::Staff,
    storage::Storage,
    validation::{optional_paragraph, required_text},
};

/// What a person shares: the file's bytes, the rights it grants, a caption.
pub struct Sharing {
    pub activity_id: i64,
    pub bytes: Vec<u8>,
    pub rights: Rights,
    pub caption: Option<String>,
}

/// Shares a photo of an activity: its author is a confirmed registrant of it, or staff. The
/// picture is checked and written again without its metadata, then stored with its
/// thumbnail; the row is written last, so that a photo on record always has its files.
pub async fn share(
    db: &DatabaseConnection,
    storage: &Storage,
    author: &user::Model,
    sharing: Sharing,
    now: DateTime<Utc>,
) -> ApiResult<photo::Model> {
    let activity = db::get::<activity::Entity>(db, sharing.activity_id, "activity").await?;
    if !policy::may_share(author, is_confirmed(db, activity.id, author.id).await?) {
        return Err(ApiError::Forbidden);
    }
    let rights = checked_rights(sharing.rights, now)?;
    let caption = optional_paragraph("caption", sharing.caption, MAX_CAPTION_CHARS)?;
    let bytes = sharing.bytes;
    let prepared = heavy::run(move || picture::prepare("file", &bytes)).await??;

    let name = Alphanumeric.sample_string(&mut rand::rng(), 32);
    let file_key = format!("photos/{name}.{}", prepared.extension);
    let thumbnail_key = format!("photos/{name}-thumbnail.jpg");
    storage.put(&file_key, prepared.file).await?;
    storage.put(&thumbnail_key, prepared.thumbnail).await?;
    let stored = photo::ActiveModel {
        activity_id: Set(activity.id),
        author_id: Set(author.id),
        file_key: Set(file_key.clone()),
        thumbnail_key: Set(thumbnail_key.clone()),
        media_type: Set(prepared.media_type.to_owned()),
        width: Set(i32::try_from(prepared.width).unwrap_or(i32::MAX)),
        height: Set(i32::try_from(prepared.height).unwrap_or(i32::MAX)),
        caption: Set(caption),
        uses: Set(join_uses(&rights.uses)),
        rights_until: Set(rights.until),
        credit: Set(rights.credit),
        withdrawn_at: Set(None),
        shows_former_member: Set(false),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    match stored {
        Ok(photo) => Ok(photo),
        Err(error) => {
            delete_files(storage, vec![file_key, thumbnail_key]).await;
            Err(error.into())
        }
    }
}

fn checked_rights(rights: Rights, now: DateTime<Utc>) -> ApiResult<Rights> {
    if rights.uses.is_empty() {
        return Err(ApiError::bad_input(
            "rights.uses",
            "grant at least one use (WEB, SOCIAL, PRINT, PRESS)",
        ));
    }
    if rights.until.is_some_and(|until| until <= now) {
        return Err(ApiError::bad_input("rights.until", "must be in the future"));
    }
    Ok(Rights {
        credit: required_text("rights.credit", rights.credit, MAX_CREDIT_CHARS)?,
        ..rights
    })
}

async fn is_confirmed(db: &impl ConnectionTrait, activity_id: i64, person: i64) -> ApiResult<bool> {
    Ok(confirmed_among(db, activity_id, [person])
        .await?
        .contains(&person))
}

/// Of `people`, those holding a confirmed seat on the activity.
async fn confirmed_among(
    db: &impl ConnectionTrait,
    activity_id: i64,
    people: impl IntoIterator<Item = i64>,
) -> ApiResult<HashSet<i64>> {
    Ok(registration::Entity::find()
        .select_only()
        .column(registration::Column::UserId)
        .filter(registration::Column::ActivityId.eq(activity_id))
        .filter(registration::Column::UserId.is_in(people))
        .filter(registration::Column::Status.eq(registration::Status::Confirmed))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Sets who appears in a photo (exactly `people`, confirmed registrants of its activity), in
/// one transaction with its audit row.
pub async fn tag(
    db: &DatabaseConnection,
    staff: Staff<'_>,
    photo_id: i64,
    people: Vec<i64>,
    now: DateTime<Utc>,
) -> ApiResult<photo::Model> {
    let photo = db::get::<photo::Entity>(db, photo_id, "photo").await?;
    let mut people = people;
    people.sort_unstable();
    people.dedup();
    let registrants = confirmed_among(db, photo.activity_id, people.iter().copied()).await?;
    if let Some(stranger) = people.iter().find(|id| !registrants.contains(id)) {
        return Err(ApiError::bad_input(
            "userIds",
            format!("user {stranger} is not a confirmed registrant of the photo's activity"),
        ));
    }
    let tx = begin_write(db).await?;
    photo_person::Entity::delete_many()
        .filter(photo_person::Column::PhotoId.eq(photo.id))
        .exec(&tx)
        .await?;
    if !people.is_empty() {
        photo_person::Entity::insert_many(people.iter().map(|&user_id| {
            photo_person::ActiveModel {
                photo_id: Set(photo.id),
                user_id: Set(user_id),
                created_at: Set(now),
            }
        }))
        .exec_without_returning(&tx)
        .await?;
    }
    let detail = people
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    audit::record(
        &tx,
        staff.person(),
        Action::PhotoTagged,
        [photo.id],
        Some(&format!("people: {detail}")),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(photo)
}

/// Its author withdraws the rights: the photo stays, never reusable again. Withdrawing twice
/// changes nothing. Anyone who may not see the photo finds none.
pub async fn withdraw(
    db: &DatabaseConnection,
    person: &user::Model,
    photo_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<photo::Model> {
    let photo = visible(db, person, photo_id).await?;
    if !policy::may_withdraw(person, &photo) {
        return Err(ApiError::Forbidden);
    }
    if photo.withdrawn_at.is_some() {
        return Ok(photo);
    }
    let mut row: photo::ActiveModel = photo.into();
    row.withdrawn_at = Set(Some(now));
    Ok(row.update(db).await?)
}

/// The photo, if `person` may see it; NOT_FOUND otherwise, as for one that does not exist.
pub async fn visible(
    db: &impl ConnectionTrait,
    person: &user::Model,
    photo_id: i64,
) -> ApiResult<photo::Model> {
    let photo = photo::Entity::find_by_id(photo_id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("photo"))?;
    let tagged = people_in(db, photo.id).await?;
    if policy::may_see(person, &photo, &tagged) {
        Ok(photo)
    } else {
        Err(ApiError::NotFound("photo"))
    }
}

async fn people_in(db: &impl ConnectionTrait, photo_id: i64) -> ApiResult<Vec<i64>> {
    Ok(photo_person::Entity::find()
        .select_only()
        .column(photo_person::Column::UserId)
        .filter(photo_person::Column::PhotoId.eq(photo_id))
        .into_tuple::<i64>()
        .all(db)
        .await?)
}

/// Of the people tagged in photos, those who block reuse: no IMAGE_RIGHTS consent to its
/// current text (never given, withdrawn, or given to an older version).
pub async fn blocking(
    db: &impl ConnectionTrait,
    tagged: impl IntoIterator<Item = i64>,
) -> ApiResult<HashSet<i64>> {
    let tagged: HashSet<i64> = tagged.into_iter().collect();
    let given = consents::given_by(db, tagged.iter().copied(), &[Purpose::ImageRights]).await?;
    let consenting = given.get(&Purpose::ImageRights);
    Ok(tagged
        .into_iter()
        .filter(|person| !consenting.is_some_and(|who| who.contains(person)))
        .collect())
}

/// What the register lists.
pub struct RegisterFilter {
    pub activity_id: Option<i64>,
    /// Only the photos that may be used so today.
    pub reusable_for: Option<Use>,
}

/// The register, newest first: staff only.
pub async fn register(
    db: &impl ConnectionTrait,
    _staff: Staff<'_>,
    filter: RegisterFilter,
    now: DateTime<Utc>,
) -> ApiResult<Select<photo::Entity>> {
    let mut select = photo::Entity::find();
    if let Some(activity_id) = filter.activity_id {
        select = select.filter(photo::Column::ActivityId.eq(activity_id));
    }
    if let Some(use_) = filter.reusable_for {
        let tagged: Vec<i64> = photo_person::Entity::find()
            .select_only()
            .column(photo_person::Column::UserId)
            .distinct()
            .into_tuple::<i64>()
            .all(db)
            .await?;
        let blocking = blocking(db, tagged).await?;
        let blocked_photos = Query::select()
            .column(photo_person::Column::PhotoId)
            .from(photo_person::Entity)
            .and_where(photo_person::Column::UserId.is_in(blocking))
            .to_owned();
        select = select
            .filter(photo::Column::WithdrawnAt.is_null())
            .filter(photo::Column::ShowsFormerMember.eq(false))
            .filter(
                Condition::any()
                    .add(photo::Column::RightsUntil.is_null())
                    .add(photo::Column::RightsUntil.gt(now)),
            )
            // No use's code is part of another's (WEB, SOCIAL, PRINT, PRESS).
            .filter(photo::Column::Uses.contains(sea_orm::ActiveEnum::to_value(&use_)))
            .filter(photo::Column::Id.not_in_subquery(blocked_photos));
    }
    Ok(select)
}

/// Whether `photo` is reusable now in some granted way, given who blocks.
pub fn reusable(photo: &photo::Model, blocked_by: &[i64], now: DateTime<Utc>) -> bool {
    blocked_by.is_empty() && rights_allow(photo, None, now)
}

/// `person`'s own photos, newest first.
pub async fn of_author(db: &impl ConnectionTrait, person: i64) -> ApiResult<Vec<photo::Model>> {
    Ok(photo::Entity::find()
        .filter(photo::Column::AuthorId.eq(person))
        .order_by_desc(photo::Column::Id)
        .all(db)
        .await?)
}

/// Photos whose rights end between `now` and `until` (for the monthly report).
pub async fn ending_between(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> ApiResult<Vec<photo::Model>> {
    Ok(photo::Entity::find()
        .filter(photo::Column::WithdrawnAt.is_null())
        .filter(photo::Column::RightsUntil.gt(now))
        .filter(photo::Column::RightsUntil.lte(until))
        .order_by_asc(photo::Column::RightsUntil)
        .order_by_asc(photo::Column::Id)
        .all(db)
        .await?)
}

/// Removes the person's photos and the tags naming it, inside the deletion's transaction;
/// returns the files to remove once it committed. The photos it was tagged in keep that
/// somebody who can no longer consent is in them: never reusable again.
pub async fn forget_person(db: &impl ConnectionTrait, person: i64) -> ApiResult<Vec<String>> {
    let photos = of_author(db, person).await?;
    let tagged_in = Query::select()
        .column(photo_person::Column::PhotoId)
        .from(photo_person::Entity)
        .and_where(photo_person::Column::UserId.eq(person))
        .to_owned();
    photo::Entity::update_many()
        .col_expr(
            photo::Column::ShowsFormerMember,
            sea_orm::sea_query::Expr::value(true),
        )
        .filter(photo::Column::Id.in_subquery(tagged_in))
        .exec(db)
        .await?;
    photo_person::Entity::delete_many()
        .filter(photo_person::Column::UserId.eq(person))
        .exec(db)
        .await?;
    photo::Entity::delete_many()
        .filter(photo::Column::AuthorId.eq(person))
        .exec(db)
        .await?;
    Ok(photos
        .into_iter()
        .flat_map(|photo| [photo.file_key, photo.thumbnail_key])
        .collect())
}

/// Removes stored files whose rows are gone. A file that cannot be removed now is logged: no
/// row points to it, so nobody can be served it.
pub async fn delete_files(storage: &Storage, keys: Vec<String>) {
    for key in keys {
        if let Err(error) = storage.delete(&key).await {
            tracing::error!(%error, key, "a photo's file could not be removed");
        }
    }
}
