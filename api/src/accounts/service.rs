//! What a person does with its own account: signing up, and getting back in with a link
//! mailed to its address (password reset). Above `auth` (sessions, passwords) and
//! `invitations` (what waits at an address), which both serve it.

use chrono::{DateTime, Duration, Utc};
use entity::{password_reset, user};
use minijinja::context;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};

use super::address;
use crate::{
    auth::{
        Password, mailed,
        service::{Session, open_session, revoke_sessions},
        throttle,
    },
    db::begin_write,
    error::{ApiError, ApiResult},
    invitations,
    mail::{Letter, Recipient},
    people::{self, NewPerson},
    state::AppState,
};

/// How long a password reset link works.
pub const RESET_VALID_MINUTES: i64 = 60;
/// A second reset request within this time sends no second mail (no mail bombing).
const RESET_RESEND_MINUTES: i64 = 5;

/// What a person gives to sign up.
pub struct SignUp {
    pub email: String,
    pub password: String,
    pub name: String,
    pub organisation: Option<String>,
}

/// Self sign-up always creates a partner, whose address is unproven until it opens the link
/// mailed to it; staff accounts come from an admin.
/// Counted per client before the password is hashed ([`throttle::admit_sign_up`]).
pub async fn sign_up(
    state: &AppState,
    client: &throttle::ClientAddress,
    input: SignUp,
) -> ApiResult<Session> {
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
    throttle::admit_sign_up(
        &state.db,
        client,
        state.config.sign_ups_per_client,
        state.now(),
    )
    .await?;
    let hash = state.passwords.hash(password).await?;
    let now = state.now();
    let tx = begin_write(&state.db).await?;
    let user = people::service::create(&tx, person, hash, now).await?;
    address::send_link(state, &tx, &user, now).await?;
    tx.commit().await?;
    open_session(state, user)
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
    let token = new_reset(&tx, &user, now).await?;
    let mailer = &state.mailer;
    let letter = Letter::new(
        "password_reset",
        Recipient::Account(&user),
        context! {
            name => &user.name,
            link => mailer.secret_link("/password/reset?token="),
            minutes => RESET_VALID_MINUTES,
        },
    );
    mailer.send(&tx, letter.with_secret(token), now).await?;
    tx.commit().await?;
    Ok(())
}

/// A new reset token for `user`, stored as its hash; valid [`RESET_VALID_MINUTES`].
async fn new_reset(
    db: &impl ConnectionTrait,
    user: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<String> {
    let token = mailed::new_token();
    password_reset::Entity::insert(password_reset::ActiveModel {
        user_id: Set(user.id),
        token_hash: Set(mailed::hash(&token)),
        created_at: Set(now),
        expires_at: Set(now + Duration::minutes(RESET_VALID_MINUTES)),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(token)
}

/// The operator's way back in (`klub admin reset-password`): a one-time link that sets the
/// password of the account at `email`, printed on the operator's terminal instead of mailed.
pub async fn operator_reset_link(state: &AppState, email: String) -> ApiResult<String> {
    let email = people::Email::parse("email", email)?;
    let tx = begin_write(&state.db).await?;
    let user = people::service::find_by_email(&tx, &email)
        .await?
        .filter(|user| user.deleted_at.is_none())
        .ok_or(ApiError::NotFound("account"))?;
    let token = new_reset(&tx, &user, state.now()).await?;
    tx.commit().await?;
    Ok(format!(
        "{}/password/reset?token={token}",
        state.mailer.public_url
    ))
}

/// The operator's first admin, or another one (`klub admin create`): an ADMIN account without
/// a password, and the one-time link that sets it; opening it proves the address, as a mailed
/// reset link does.
pub async fn operator_create_admin(state: &AppState, email: String) -> ApiResult<String> {
    let email = people::Email::parse("email", email)?;
    let now = state.now();
    let tx = begin_write(&state.db).await?;
    if people::service::find_by_email(&tx, &email).await?.is_some() {
        return Err(ApiError::conflict(format!(
            "{} already has an account: `klub admin reset-password` gives it a way in",
            email.as_str()
        )));
    }
    let name = email
        .as_str()
        .split('@')
        .next()
        .unwrap_or_default()
        .to_owned();
    let person = NewPerson::parse(email.as_str().to_owned(), name, None, user::Role::Admin)?;
    // Not a PHC string: no password matches it until the link sets one.
    let user = people::service::create(&tx, person, "!unset".into(), now).await?;
    let token = new_reset(&tx, &user, now).await?;
    tx.commit().await?;
    Ok(format!(
        "{}/password/reset?token={token}",
        state.mailer.public_url
    ))
}

/// The staff account an operator's command acts as: the one at `email`, or the first admin.
pub async fn operator_staff(state: &AppState, email: Option<String>) -> ApiResult<user::Model> {
    let found = match email {
        Some(email) => {
            let email = people::Email::parse("by", email)?;
            people::service::find_by_email(&state.db, &email)
                .await?
                .filter(|user| user.deleted_at.is_none() && user.role.is_staff())
        }
        None => {
            user::Entity::find()
                .filter(user::Column::Role.eq(user::Role::Admin))
                .filter(user::Column::DeletedAt.is_null())
                .order_by_asc(user::Column::Id)
                .one(&state.db)
                .await?
        }
    };
    found.ok_or_else(|| {
        ApiError::bad_input(
            "by",
            "no such staff account: create an admin first (`klub admin create EMAIL`)",
        )
    })
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
    let (user, activities) = invitations::acceptance::hand_over(&tx, user, now).await?;
    tx.commit().await?;
    invitations::acceptance::register_invited(state, &user, activities, now).await;
    open_session(state, user)
}
