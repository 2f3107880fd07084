//! The rules of accounts and sessions: signing up, logging in (throttled), passwords
//! (change, reset by mail, hashes upgraded at login) and revoking sessions.

use chrono::Duration;
use entity::{password_reset, user};
use minijinja::context;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
    sea_query::Expr,
};

use super::{Password, Verified, address, mailed, throttle, throttle::ClientAddress};
use crate::{
    db::begin_write,
    error::{ApiError, ApiResult},
    mail::outbox::{self, Outgoing},
    people::{self, NewPerson},
    state::AppState,
};

/// How long a password reset link works.
pub const RESET_VALID_MINUTES: i64 = 60;
/// A second reset request within this time sends no second mail (no mail bombing).
const RESET_RESEND_MINUTES: i64 = 5;

/// A logged-in account and its session token.
pub struct Session {
    pub token: String,
    pub user: user::Model,
}

/// What a person gives to sign up.
pub struct SignUp {
    pub email: String,
    pub password: String,
    pub name: String,
    pub organisation: Option<String>,
}

/// Self sign-up always creates a partner, whose address is unproven until it opens the link
/// mailed to it; staff accounts come from an admin.
pub async fn sign_up(state: &AppState, input: SignUp) -> ApiResult<Session> {
    if !state.config.allow_signup {
        return Err(ApiError::Forbidden);
    }
    let person = NewPerson::parse(
        input.email,
        input.name,
        input.organisation,
        user::Role::Partner,
    )?;
    let password = Password::parse("password", input.password)?;
    let hash = state.passwords.hash(password).await?;
    let now = state.now();
    let tx = begin_write(&state.db).await?;
    let user = people::service::create(&tx, person, hash, now).await?;
    address::send_link(state, &tx, &user, now).await?;
    tx.commit().await?;
    open_session(state, user)
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

/// Mails a reset link if `email` names an account. The caller learns nothing either way.
pub async fn request_password_reset(state: &AppState, email: String) -> ApiResult<()> {
    let email = people::Email::parse("email", email)?;
    let now = state.now();
    let tx = begin_write(&state.db).await?;
    let Some(user) = people::service::find_by_email(&tx, &email)
        .await?
        .filter(|user| user.deleted_at.is_none())
    else {
        return Ok(());
    };
    let recent = password_reset::Entity::find()
        .filter(password_reset::Column::UserId.eq(user.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::CreatedAt.gt(now - Duration::minutes(RESET_RESEND_MINUTES)))
        .one(&tx)
        .await?;
    if recent.is_some() {
        return Ok(());
    }
    let token = mailed::new_token();
    password_reset::Entity::insert(password_reset::ActiveModel {
        user_id: Set(user.id),
        token_hash: Set(mailed::hash(&token)),
        created_at: Set(now),
        expires_at: Set(now + Duration::minutes(RESET_VALID_MINUTES)),
        ..Default::default()
    })
    .exec_without_returning(&tx)
    .await?;
    let mailer = &state.mailer;
    let locale = mailer.locale_of(&user);
    let rendered = mailer.templates.render(
        "password_reset",
        locale,
        context! {
            name => &user.name,
            link => mailer.secret_link("/password/reset?token="),
            minutes => RESET_VALID_MINUTES,
        },
    )?;
    outbox::enqueue(
        &tx,
        Outgoing::to_account("password_reset", &user, rendered).with_secret(token),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a new password with a mailed token: single use, valid one hour. Every earlier
/// session of the account ends; the returned session is the only one.
pub async fn reset_password(
    state: &AppState,
    token: String,
    password: String,
) -> ApiResult<Session> {
    let password = Password::parse("password", password)?;
    let now = state.now();
    let invalid = || ApiError::bad_input("token", "this link is invalid, used or expired");
    let reset = password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(mailed::hash(&token)))
        .one(&state.db)
        .await?
        .filter(|reset| reset.used_at.is_none() && reset.expires_at > now)
        .ok_or_else(invalid)?;
    let hash = state.passwords.hash(password).await?;

    let tx = begin_write(&state.db).await?;
    // Claimed with a conditional update: of two simultaneous uses, one wins.
    let claimed = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::Id.eq(reset.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&tx)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(invalid());
    }
    // The other links of this account die with this one.
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::UserId.eq(reset.user_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&tx)
        .await?;
    revoke_sessions(&tx, reset.user_id).await?;
    let user = people::service::set_password_hash(&tx, reset.user_id, hash).await?;
    throttle::clear(&tx, &user.email).await?;
    // The link reached the address: that proves it.
    let (user, activities) = address::prove(&tx, user, now).await?;
    tx.commit().await?;
    crate::invitations::service::register_invited(state, &user, activities, now).await;
    open_session(state, user)
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
        // Another instance starting at the same moment created it first.
        Ok(_) | Err(ApiError::Conflict(_)) => Ok(()),
        Err(other) => Err(other),
    }
}
