//! Proof of address. Anyone can sign up with any address, so an account starts *unproven*:
//! it may do everything a partner does (register, the groups), but nothing that was addressed
//! to its address before it existed becomes its own — pending invitations and their roles,
//! earlier mails — until the address is proven.
//!
//! A mailed link proves that whoever opens it reads the address, not that this person created
//! the account: a stranger may have signed up with the address and know the password. So what
//! waits at the address goes to an account only when the same person proves both:
//! - [`verify`]: the link opened *in a session of the account* it was sent for (the person who
//!   signed up, now reading the mail). Opened without that session — by the address's owner
//!   who never signed up, or by a mail scanner — it proves nothing and stays unused.
//! - a password reset link or an invitation link: whoever opens it sets the account's password
//!   and every earlier session ends, so the account is the address owner's alone before it
//!   receives anything.

use chrono::{DateTime, Duration, Utc};
use entity::{email_verification, user};
use minijinja::context;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr,
};

use crate::{
    auth::mailed,
    db::begin_write,
    error::{ApiError, ApiResult},
    invitations,
    mail::{Letter, Recipient},
    state::AppState,
};

/// How long a verification link works.
pub const VALID_HOURS: i64 = 48;
/// A second request within this time sends no second mail (no mail bombing).
const RESEND_MINUTES: i64 = 5;

/// Mails a verification link to the account's address, inside the caller's transaction.
pub async fn send_link(
    state: &AppState,
    db: &impl ConnectionTrait,
    person: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let token = mailed::new_token();
    email_verification::Entity::insert(email_verification::ActiveModel {
        user_id: Set(person.id),
        email: Set(person.email.clone()),
        token_hash: Set(mailed::hash(&token)),
        created_at: Set(now),
        expires_at: Set(now + Duration::hours(VALID_HOURS)),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    let mailer = &state.mailer;
    let letter = Letter::new(
        "email_verification",
        Recipient::Account(person),
        context! {
            name => &person.name,
            link => mailer.secret_link("/email/verify?token="),
            hours => VALID_HOURS,
        },
    );
    mailer.send(db, letter.with_secret(token), now).await
}

/// Sends a new link unless the address is proven (CONFLICT) or a link left in the last
/// minutes.
pub async fn resend(state: &AppState, me: &user::Model) -> ApiResult<()> {
    if me.email_verified_at.is_some() {
        return Err(ApiError::conflict("this address is already confirmed"));
    }
    let now = state.now();
    let tx = begin_write(&state.db).await?;
    let recent = email_verification::Entity::find()
        .filter(email_verification::Column::UserId.eq(me.id))
        .filter(email_verification::Column::CreatedAt.gt(now - Duration::minutes(RESEND_MINUTES)))
        .one(&tx)
        .await?;
    if recent.is_none() {
        send_link(state, &tx, me, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Opens a verification link in a session of `me`: single use, valid [`VALID_HOURS`], for
/// the account and the address it was sent to only. The account then owns what was addressed
/// to it. Any other caller's attempt leaves the link as it was.
pub async fn verify(state: &AppState, me: &user::Model, token: &str) -> ApiResult<user::Model> {
    let now = state.now();
    let invalid = || ApiError::bad_input("token", "this link is invalid, used or expired");
    let tx = begin_write(&state.db).await?;
    let link = email_verification::Entity::find()
        .filter(email_verification::Column::TokenHash.eq(mailed::hash(token)))
        .one(&tx)
        .await?
        .filter(|link| link.used_at.is_none() && link.expires_at > now)
        .filter(|link| link.user_id == me.id)
        .ok_or_else(invalid)?;
    // Claimed with a conditional update: of two simultaneous uses, one wins.
    let claimed = email_verification::Entity::update_many()
        .col_expr(email_verification::Column::UsedAt, Expr::value(now))
        .filter(email_verification::Column::Id.eq(link.id))
        .filter(email_verification::Column::UsedAt.is_null())
        .exec(&tx)
        .await?;
    let person = user::Entity::find_by_id(link.user_id).one(&tx).await?;
    let person = match person {
        Some(person)
            if claimed.rows_affected == 1
                && person.deleted_at.is_none()
                && person.email == link.email =>
        {
            person
        }
        _ => return Err(invalid()),
    };
    let (person, activities) = invitations::acceptance::hand_over(&tx, person, now).await?;
    tx.commit().await?;
    invitations::acceptance::register_invited(state, &person, activities, now).await;
    Ok(person)
}
