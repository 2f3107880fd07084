//! Login throttling, counted in the database so that every instance behind the load balancer
//! sees the same attempts: at most [`MAX_PER_ADDRESS`] passwords are judged for one email
//! address, and [`MAX_PER_CLIENT`] from one client address, per [`WINDOW_MINUTES`] window;
//! beyond that `logIn` answers TOO_MANY_REQUESTS without looking at the password.
//!
//! An attempt is counted *before* its password is judged, by one upsert that bumps the
//! counter and returns it ([`admit`]): checking and counting cannot be split, so guesses sent
//! in parallel, to one instance or to several, are each given a distinct number and only the
//! first ones are judged. A successful login gives its slots back.
//!
//! Sign-ups are counted the same way, per client only ([`admit_sign_up`]): each costs a
//! password hash.
//!
//! Short codes shown in a room (a training's sign-in) are guessed the same way too
//! ([`admit_code_guess`]): per person and per client, counted before the code is looked at; a
//! right code gives its slots back, so a room of trainees behind one address never runs out.

use chrono::{DateTime, Duration, Utc};
use entity::login_throttle;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter,
    sea_query::Expr,
};

use crate::{
    db::begin_write,
    error::{ApiError, ApiResult},
};

pub const MAX_PER_ADDRESS: i32 = 5;
pub const MAX_PER_CLIENT: i32 = 20;
pub const WINDOW_MINUTES: i64 = 15;

/// The client's IP address as the server sees it (see `KLUB_TRUST_FORWARDED_FOR`).
#[derive(Clone, Debug)]
pub struct ClientAddress(pub String);

fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::minutes(WINDOW_MINUTES)
}

fn address_key(email: &str) -> String {
    format!("address:{}", email.chars().take(254).collect::<String>())
}

fn client_key(client: &ClientAddress) -> String {
    format!("client:{}", client.0.chars().take(64).collect::<String>())
}

/// Counts one attempt for the address and for the client; refuses it when either has used
/// its attempts of the current window.
pub async fn admit(
    db: &DatabaseConnection,
    email: &str,
    client: &ClientAddress,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    // One transaction: the address's row stays locked until both counts are taken, so
    // concurrent guesses at one address reach the client's count in the same order. Counted
    // separately, the third guess at an address could meet the client's limit after twenty
    // later guesses had raced past it, and fewer than five would be judged.
    let tx = begin_write(db).await?;
    let by_address = bump(&tx, address_key(email), now).await?;
    let by_client = bump(&tx, client_key(client), now).await?;
    tx.commit().await?;
    if by_address > MAX_PER_ADDRESS {
        metrics::counter!(crate::metrics::LOGIN_THROTTLED, "by" => "address").increment(1);
        return Err(ApiError::TooManyRequests);
    }
    if by_client > MAX_PER_CLIENT {
        metrics::counter!(crate::metrics::LOGIN_THROTTLED, "by" => "client").increment(1);
        return Err(ApiError::TooManyRequests);
    }
    Ok(())
}

/// Counts one sign-up from `client`, before its password is hashed; refuses it when the
/// client created `most` accounts in the current window (`KLUB_SIGN_UPS_PER_CLIENT`: a
/// training room behind one address signs up its dozen partners, a script is stopped before
/// each of its requests costs a password hash).
pub async fn admit_sign_up(
    db: &DatabaseConnection,
    client: &ClientAddress,
    most: i32,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let tx = begin_write(db).await?;
    let sign_ups = bump(&tx, format!("sign-up:{}", client_key(client)), now).await?;
    tx.commit().await?;
    if sign_ups > most {
        metrics::counter!(crate::metrics::LOGIN_THROTTLED, "by" => "sign-up").increment(1);
        return Err(ApiError::TooManyRequests);
    }
    Ok(())
}

fn code_guesser_key(purpose: &str, person_id: i64) -> String {
    format!("{purpose}:user:{person_id}")
}

/// Counts one guess at a `purpose` code by `person_id` from `client`; refuses it when the person
/// has used its [`MAX_PER_ADDRESS`] guesses of the window or the client its [`MAX_PER_CLIENT`].
pub async fn admit_code_guess(
    db: &DatabaseConnection,
    purpose: &str,
    person_id: i64,
    client: &ClientAddress,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let tx = begin_write(db).await?;
    let by_person = bump(&tx, code_guesser_key(purpose, person_id), now).await?;
    let by_client = bump(&tx, client_key(client), now).await?;
    tx.commit().await?;
    if by_person > MAX_PER_ADDRESS || by_client > MAX_PER_CLIENT {
        metrics::counter!(crate::metrics::LOGIN_THROTTLED, "by" => "code").increment(1);
        return Err(ApiError::TooManyRequests);
    }
    Ok(())
}

/// A right code: the person and the client get their slots back.
pub async fn code_guess_succeeded(
    db: &impl ConnectionTrait,
    purpose: &str,
    person_id: i64,
    client: &ClientAddress,
) -> ApiResult<()> {
    login_throttle::Entity::update_many()
        .col_expr(
            login_throttle::Column::Attempts,
            Expr::col(login_throttle::Column::Attempts).sub(1),
        )
        .filter(
            login_throttle::Column::Key
                .is_in([code_guesser_key(purpose, person_id), client_key(client)]),
        )
        .filter(login_throttle::Column::Attempts.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

async fn bump(db: &impl ConnectionTrait, key: String, now: DateTime<Utc>) -> ApiResult<i32> {
    crate::db::bump_counter(db, key, Duration::minutes(WINDOW_MINUTES), now).await
}

/// A successful login: the address starts afresh and the client gets its slot back.
pub async fn succeeded(
    db: &impl ConnectionTrait,
    email: &str,
    client: &ClientAddress,
) -> ApiResult<()> {
    clear(db, email).await?;
    login_throttle::Entity::update_many()
        .col_expr(
            login_throttle::Column::Attempts,
            Expr::col(login_throttle::Column::Attempts).sub(1),
        )
        .filter(login_throttle::Column::Key.eq(client_key(client)))
        .filter(login_throttle::Column::Attempts.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// A password reset through a mailed link clears the address's attempts.
pub async fn clear(db: &impl ConnectionTrait, email: &str) -> ApiResult<()> {
    login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::Key.eq(address_key(email)))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets counters whose window has passed (run by the scheduler).
pub async fn forget_old(db: &impl ConnectionTrait, now: DateTime<Utc>) -> ApiResult<u64> {
    Ok(login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::WindowStartedAt.lte(window_start(now)))
        .exec(db)
        .await?
        .rows_affected)
}
