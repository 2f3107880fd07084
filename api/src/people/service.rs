//! The rules about people: creating accounts, the staff directory, roles and `trained`.

use chrono::{DateTime, Utc};
use entity::user::{self, Role};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter,
    Select, SqlErr,
    sea_query::{Expr, Func, LikeExpr},
};

use super::{Email, NewPerson};
use crate::error::{ApiError, ApiResult};

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

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &Email,
) -> ApiResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?)
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
    user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("user"))
}

/// Filters of the staff directory.
#[derive(Default)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub trained: Option<bool>,
    /// Matched case-insensitively against name, email and organisation.
    pub search: Option<String>,
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

/// Changes a role. The last admin cannot step down: somebody must be able to appoint staff.
pub async fn set_role(
    db: &impl ConnectionTrait,
    user_id: i64,
    role: Role,
) -> ApiResult<user::Model> {
    let user = get(db, user_id).await?;
    if user.role == role {
        return Ok(user);
    }
    if user.role == Role::Admin && is_last_admin(db).await? {
        return Err(ApiError::conflict(
            "the last admin cannot lose the ADMIN role",
        ));
    }
    let mut active: user::ActiveModel = user.into();
    active.role = Set(role);
    Ok(active.update(db).await?)
}

/// Somebody must always be able to appoint staff.
pub async fn is_last_admin(db: &impl ConnectionTrait) -> ApiResult<bool> {
    let admins = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin))
        .filter(user::Column::DeletedAt.is_null())
        .count(db)
        .await?;
    Ok(admins <= 1)
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

pub async fn set_trained(
    db: &impl ConnectionTrait,
    user_id: i64,
    trained: bool,
) -> ApiResult<user::Model> {
    let user = get(db, user_id).await?;
    if user.trained == trained {
        return Ok(user);
    }
    let mut active: user::ActiveModel = user.into();
    active.trained = Set(trained);
    Ok(active.update(db).await?)
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_in_a_search_are_literal() {
        assert_eq!(escape_like(r"50%_off\"), r"50\%\_off\\");
    }
}
