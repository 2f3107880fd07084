//! The rules of sessions: logging in (throttled), changing a password (hashes upgraded at
//! login), revoking sessions, and the first admin of a fresh install.

use entity::{password_reset, user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, sea_query::Expr};

use super::{Password, Verified, mailed, throttle, throttle::ClientAddress};
use crate::{
    db::begin_write,
    error::{ApiError, ApiResult},
    people::{self, NewPerson},
    state::AppState,
};

/// A logged-in account and its session token.
pub struct Session {
    pub token: String,
    pub user: user::Model,
}

/// The same error, after the same work, whether the address is unknown or the password wrong.
/// Throttled per address and per client before any password work is done.
pub async fn log_in(
    state: &AppState,
    client: &ClientAddress,
    email: String,
    password: String,
) -> ApiResult<Session> {
    let typed = email.trim().to_lowercase();
    let now = state.now();
    throttle::admit(&state.db, &typed, client, now).await?;
    let user = match people::Email::parse("email", email) {
        Ok(email) => people::service::find_by_email(&state.db, &email).await?,
        Err(_) => None,
    }
    .filter(|user| user.deleted_at.is_none());
    let stored = user.as_ref().map(|user| user.password_hash.clone());
    match (state.passwords.verify(password, stored).await?, user) {
        (Verified::Yes { upgraded }, Some(mut user)) => {
            throttle::succeeded(&state.db, &typed, client).await?;
            if let Some(hash) = upgraded {
                user = people::service::set_password_hash(&state.db, user.id, hash).await?;
            }
            open_session(state, user)
        }
        // The attempt was counted when it was admitted.
        _ => Err(ApiError::InvalidCredentials),
    }
}

/// A session token for `user` in its current epoch.
pub fn open_session(state: &AppState, user: user::Model) -> ApiResult<Session> {
    let token = state
        .tokens
        .issue(user.id, user.session_epoch, state.now())
        .map_err(ApiError::internal)?;
    Ok(Session { token, user })
}

/// Replaces the caller's password after checking the current one; every other session ends
/// and the returned one replaces the caller's.
pub async fn change_password(
    state: &AppState,
    me: &user::Model,
    current: String,
    new: String,
) -> ApiResult<Session> {
    let new = Password::parse("newPassword", new)?;
    confirm_password(state, me, "currentPassword", current).await?;
    let hash = state.passwords.hash(new).await?;
    let tx = begin_write(&state.db).await?;
    revoke_sessions(&tx, me.id).await?;
    let user = people::service::set_password_hash(&tx, me.id, hash).await?;
    tx.commit().await?;
    open_session(state, user)
}

/// Checks that the caller typed its own password before a sensitive change; a wrong one is
/// BAD_USER_INPUT on `field`.
pub async fn confirm_password(
    state: &AppState,
    me: &user::Model,
    field: &str,
    password: String,
) -> ApiResult<()> {
    match state
        .passwords
        .verify(password, Some(me.password_hash.clone()))
        .await?
    {
        Verified::Yes { .. } => Ok(()),
        Verified::No => Err(ApiError::bad_input(field, "is not your current password")),
    }
}

/// Ends every session of the caller, this one included (see [`revoke_sessions`]).
pub async fn log_out_everywhere(state: &AppState, me: &user::Model) -> ApiResult<()> {
    let tx = begin_write(&state.db).await?;
    revoke_sessions(&tx, me.id).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every way into the account that a thief of a device or a password may hold: session
/// tokens (the epoch moves), pending password reset links, and the calendar feed's secret URL
/// (a new one replaces it if the feed is on).
pub async fn revoke_sessions(db: &impl ConnectionTrait, user_id: i64) -> ApiResult<()> {
    let new_feed_secret = mailed::new_token();
    user::Entity::update_many()
        .col_expr(
            user::Column::SessionEpoch,
            Expr::col(user::Column::SessionEpoch).add(1),
        )
        .col_expr(
            user::Column::CalendarSecret,
            Expr::case(
                Expr::col(user::Column::CalendarSecret).is_null(),
                Expr::value(Option::<String>::None),
            )
            .finally(Expr::value(new_feed_secret))
            .into(),
        )
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    password_reset::Entity::delete_many()
        .filter(password_reset::Column::UserId.eq(user_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Creates the configured first admin unless an account with that address exists.
pub async fn ensure_bootstrap_admin(
    db: &impl ConnectionTrait,
    state: &AppState,
    email: &str,
    password: &str,
) -> ApiResult<()> {
    let person = NewPerson::parse(
        email.to_owned(),
        "Administrator".into(),
        None,
        user::Role::Admin,
    )?;
    if people::service::find_by_email(db, &person.email)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let hash = state
        .passwords
        .hash(Password::parse("KLUB_ADMIN_PASSWORD", password.to_owned())?)
        .await?;
    match people::service::create(db, person, hash, state.now()).await {
        // The operator gave the address: it needs no proof.
        Ok(admin) => people::service::prove_address(db, &admin, state.now()).await,
        // Another instance starting at the same moment created it first.
        Err(ApiError::Conflict(_)) => Ok(()),
        Err(other) => Err(other),
    }
}
