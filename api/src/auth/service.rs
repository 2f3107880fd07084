//! The rules of signing up and logging in.

use entity::user;
use sea_orm::ConnectionTrait;

use super::{Password, schema::SignUpInput};
use crate::{
    error::{ApiError, ApiResult},
    people::{self, NewPerson},
    state::AppState,
};

/// A logged-in account and its session token.
pub struct Session {
    pub token: String,
    pub user: user::Model,
}

/// Self sign-up always creates a partner; staff accounts come from an admin.
pub async fn sign_up(state: &AppState, input: SignUpInput) -> ApiResult<Session> {
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
    let user = people::service::create(&state.db, person, hash, state.now()).await?;
    session_for(state, user)
}

/// The same error, after the same work, whether the address is unknown or the password wrong.
pub async fn log_in(state: &AppState, email: String, password: String) -> ApiResult<Session> {
    let user = match people::Email::parse("email", email) {
        Ok(email) => people::service::find_by_email(&state.db, &email).await?,
        Err(_) => None,
    };
    let stored = user.as_ref().map(|user| user.password_hash.clone());
    match (state.passwords.verify(password, stored).await?, user) {
        (true, Some(user)) => session_for(state, user),
        _ => Err(ApiError::InvalidCredentials),
    }
}

fn session_for(state: &AppState, user: user::Model) -> ApiResult<Session> {
    let token = state
        .tokens
        .issue(user.id, state.now())
        .map_err(ApiError::internal)?;
    Ok(Session { token, user })
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
