//! The rules about people: creating accounts, the staff directory, roles and `trained`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    activity, activity_trainer, mail,
    user::{self, Role},
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait,
    QueryFilter, QuerySelect, Select, SqlErr,
    sea_query::{Expr, Func, LikeExpr},
};

use super::{Admin, Email, NewPerson, Staff};
use crate::{
    audit::{self, Action},
    db::begin_write,
    error::{ApiError, ApiResult},
};

pub async fn create(
    db: &impl ConnectionTrait,
    person: NewPerson,
    password_hash: String,
    now: DateTime<Utc>,
) -> ApiResult<user::Model> {
    let inserted = user::ActiveModel {
        email: Set(person.email.as_str().to_owned()),
        name: Set(person.name),
        organisation: Set(person.organisation),
        role: Set(person.role),
        phone: Set(person.phone),
        locale: Set(person.locale),
        trained: Set(false),
        password_hash: Set(password_hash),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    match inserted {
        Ok(user) => Ok(user),
        Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Err(
            ApiError::conflict("an account with this email already exists"),
        ),
        Err(error) => Err(error.into()),
    }
}

/// Gives an account that never proved its address to whoever just proved it (an invitation
/// link): new name, password and role, every earlier session and feed ended.
pub async fn take_over(
    db: &impl ConnectionTrait,
    id: i64,
    person: NewPerson,
    password_hash: String,
) -> ApiResult<user::Model> {
    user::Entity::update_many()
        .col_expr(user::Column::Name, Expr::value(person.name))
        .col_expr(user::Column::Organisation, Expr::value(person.organisation))
        .col_expr(user::Column::Role, Expr::value(person.role))
        .col_expr(user::Column::Phone, Expr::value(person.phone))
        .col_expr(user::Column::Locale, Expr::value(person.locale))
        .col_expr(user::Column::PasswordHash, Expr::value(password_hash))
        .col_expr(
            user::Column::CalendarSecret,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            user::Column::SessionEpoch,
            Expr::col(user::Column::SessionEpoch).add(1),
        )
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    get(db, id).await
}

/// Records that `person` owns its address: mails sent there that belonged to no account
/// become its own. (Invitations waiting there are the invitations area's to hand over.)
pub async fn prove_address(
    db: &impl ConnectionTrait,
    person: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::EmailVerifiedAt, Expr::value(now))
        .filter(user::Column::Id.eq(person.id))
        .exec(db)
        .await?;
    mail::Entity::update_many()
        .col_expr(mail::Column::UserId, Expr::value(person.id))
        .filter(mail::Column::ToAddress.eq(&person.email))
        .filter(mail::Column::UserId.is_null())
        .exec(db)
        .await?;
    Ok(())
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &Email,
) -> ApiResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?)
}

/// The accounts of `emails`, by address, read in one statement (an import's whole file).
pub async fn by_email(
    db: &impl ConnectionTrait,
    emails: impl IntoIterator<Item = &Email>,
) -> ApiResult<HashMap<String, user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.is_in(emails.into_iter().map(Email::as_str)))
        .all(db)
        .await?
        .into_iter()
        .map(|person| (person.email.clone(), person))
        .collect())
}

pub async fn set_password_hash(
    db: &impl ConnectionTrait,
    id: i64,
    hash: String,
) -> ApiResult<user::Model> {
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    get(db, id).await
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> ApiResult<user::Model> {
    crate::db::get::<user::Entity>(db, id, "user").await
}

/// Filters of the staff directory.
#[derive(Default)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub trained: Option<bool>,
    /// Matched case-insensitively against name, email and organisation.
    pub search: Option<String>,
}

/// Who delivers an activity, as documents name them: the accounts staff assigned, or else the
/// trainer's name written on the activity.
pub async fn trainer_names(
    db: &impl ConnectionTrait,
    activity: &activity::Model,
) -> ApiResult<Option<String>> {
    let assigned: Vec<i64> = activity_trainer::Entity::find()
        .filter(activity_trainer::Column::ActivityId.eq(activity.id))
        .all(db)
        .await?
        .into_iter()
        .map(|trainer| trainer.user_id)
        .collect();
    let mut names: Vec<String> = by_id(db, assigned)
        .await?
        .into_values()
        .map(|person| person.name)
        .collect();
    names.sort();
    Ok(if names.is_empty() {
        activity.trainer_name.clone()
    } else {
        Some(names.join(", "))
    })
}

/// The accounts `ids` names, by id (each once, whatever the repeats).
pub async fn by_id(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> ApiResult<HashMap<i64, user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|person| (person.id, person))
        .collect())
}

pub fn directory(filter: UserFilter) -> Select<user::Entity> {
    let mut select = user::Entity::find();
    if let Some(role) = filter.role {
        select = select.filter(user::Column::Role.eq(role));
    }
    if let Some(trained) = filter.trained {
        select = select.filter(user::Column::Trained.eq(trained));
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        let mut any = Condition::any();
        for column in [
            user::Column::Name,
            user::Column::Email,
            user::Column::Organisation,
        ] {
            any = any.add(
                Expr::expr(Func::lower(Expr::col(column)))
                    .like(LikeExpr::new(pattern.clone()).escape('\\')),
            );
        }
        select = select.filter(any);
    }
    select
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Changes an account's role, and records who did. The last admin cannot step down: somebody
/// must be able to appoint staff.
pub async fn set_role(
    db: &DatabaseConnection,
    user_id: i64,
    role: Role,
    by: Admin<'_>,
    now: DateTime<Utc>,
) -> ApiResult<user::Model> {
    let tx = begin_write(db).await?;
    let user = get(&tx, user_id).await?;
    if user.role == role {
        return Ok(user);
    }
    if user.role == Role::Admin && admins_locked(&tx).await? <= 1 {
        return Err(ApiError::conflict(
            "the last admin cannot lose the ADMIN role",
        ));
    }
    let mut active: user::ActiveModel = user.into();
    active.role = Set(role);
    let user = active.update(&tx).await?;
    let detail = role.to_value();
    audit_change(&tx, by.person(), Action::RoleChanged, user_id, &detail, now).await?;
    tx.commit().await?;
    Ok(user)
}

/// The audit row of a change to account `user_id`.
async fn audit_change(
    db: &impl ConnectionTrait,
    by: &user::Model,
    action: Action,
    user_id: i64,
    detail: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    audit::record(db, by, action, [user_id], Some(detail), now).await
}

/// Counts the admins and locks their rows until the transaction ends, so that two admins
/// stepping down (or leaving) at once are judged one after the other and the second sees
/// the first gone: PostgreSQL's `FOR UPDATE` re-reads a row changed by the transaction it
/// waited for; SQLite has one writer at a time (`begin_write`) and ignores the clause.
pub async fn admins_locked(db: &impl ConnectionTrait) -> ApiResult<usize> {
    Ok(user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin))
        .filter(user::Column::DeletedAt.is_null())
        .lock_exclusive()
        .all(db)
        .await?
        .len())
}

pub async fn set_locale(
    db: &impl ConnectionTrait,
    user_id: i64,
    locale: &str,
) -> ApiResult<user::Model> {
    let mut active: user::ActiveModel = get(db, user_id).await?.into();
    active.locale = Set(Some(locale.to_owned()));
    Ok(active.update(db).await?)
}

/// Staff mark someone trained (or not) by hand; the change is audited.
pub async fn set_trained(
    db: &DatabaseConnection,
    user_id: i64,
    trained: bool,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<user::Model> {
    let tx = begin_write(db).await?;
    let mut active: user::ActiveModel = get(&tx, user_id).await?.into();
    active.trained.set_if_not_equals(trained);
    // Nothing changes, nothing is recorded.
    if !active.is_changed() {
        return get(&tx, user_id).await;
    }
    active.trained_at = Set(trained.then_some(now));
    let user = active.update(&tx).await?;
    let detail = format!("trained={trained}");
    audit_change(
        &tx,
        by.person(),
        Action::TrainedChanged,
        user_id,
        &detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// The staff accounts still in use, to tell them something (demand reached, a complaint filed).
pub async fn staff_members(db: &impl ConnectionTrait) -> ApiResult<Vec<user::Model>> {
    Ok(user::Entity::find()
        .filter(super::policy::staff_accounts())
        .filter(user::Column::DeletedAt.is_null())
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_in_a_search_are_literal() {
        assert_eq!(escape_like(r"50%_off\"), r"50\%\_off\\");
    }
}
