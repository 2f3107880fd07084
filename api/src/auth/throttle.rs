//! Login throttling, counted in the database so that every instance behind the load balancer
//! sees the same failures: after [`MAX_PER_ADDRESS`] failed logins for one email address, or
//! [`MAX_PER_CLIENT`] from one client address, within [`WINDOW_MINUTES`], `logIn` answers
//! TOO_MANY_REQUESTS until the oldest failure leaves the window.

use chrono::{DateTime, Duration, Utc};
use entity::login_failure;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

use crate::error::{ApiError, ApiResult};

pub const MAX_PER_ADDRESS: u64 = 5;
pub const MAX_PER_CLIENT: u64 = 20;
pub const WINDOW_MINUTES: i64 = 15;

/// The client's IP address as the server sees it (see `KLUB_TRUST_FORWARDED_FOR`).
#[derive(Clone, Debug)]
pub struct ClientAddress(pub String);

fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::minutes(WINDOW_MINUTES)
}

/// Refuses the attempt when the address or the client failed too often lately.
pub async fn check(
    db: &impl ConnectionTrait,
    email: &str,
    client: &ClientAddress,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let recent =
        login_failure::Entity::find().filter(login_failure::Column::At.gt(window_start(now)));
    let by_address = recent
        .clone()
        .filter(login_failure::Column::Email.eq(email))
        .count(db)
        .await?;
    if by_address >= MAX_PER_ADDRESS {
        metrics::counter!(crate::metrics::LOGIN_THROTTLED, "by" => "address").increment(1);
        return Err(ApiError::TooManyRequests);
    }
    let by_client = recent
        .filter(login_failure::Column::Client.eq(&client.0))
        .count(db)
        .await?;
    if by_client >= MAX_PER_CLIENT {
        metrics::counter!(crate::metrics::LOGIN_THROTTLED, "by" => "client").increment(1);
        return Err(ApiError::TooManyRequests);
    }
    Ok(())
}

pub async fn record_failure(
    db: &impl ConnectionTrait,
    email: &str,
    client: &ClientAddress,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    login_failure::Entity::insert(login_failure::ActiveModel {
        email: Set(email.chars().take(254).collect()),
        client: Set(client.0.chars().take(64).collect()),
        at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// A successful login, or a password reset, clears the address's failures.
pub async fn clear(db: &impl ConnectionTrait, email: &str) -> ApiResult<()> {
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::Email.eq(email))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets failures that left the window (run by the scheduler).
pub async fn forget_old(db: &impl ConnectionTrait, now: DateTime<Utc>) -> ApiResult<u64> {
    Ok(login_failure::Entity::delete_many()
        .filter(login_failure::Column::At.lte(window_start(now)))
        .exec(db)
        .await?
        .rows_affected)
}
